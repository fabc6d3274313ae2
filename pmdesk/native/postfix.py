"""Breakpad's postfix expressions, the language of a `.sym` file's `STACK CFI` rules (`.cfa: $rsp 16 +`) and
`STACK WIN` programs (`$eip .raSearchStart ^ = $esp .raSearchStart 4 + =`): whitespace-separated tokens,
decimal literals (a leading `-` negates), variables (`$reg`, `.cfa`, `.raSearch` …), binary `+ - * / % @`
(`@` aligns down), unary `^` (read a word of memory) and `=` (assign to a `$` variable). Arithmetic wraps at the
word size, as Breakpad's unsigned ValueType does. Semantics from Breakpad's src/processor/postfix_evaluator-inl.h."""

from __future__ import annotations

from collections.abc import Callable

Read = Callable[[int], "int | None"]
BINARY = {"+", "-", "*", "/", "%", "@"}


def _value(token: str, values: dict[str, int], mask: int) -> int | None:
    negative = token.startswith("-")
    digits = token[1:] if negative else token
    if digits.isdigit() and digits.isascii():
        return (-int(digits) if negative else int(digits)) & mask
    return values.get(token)


def _binary(op: str, a: int, b: int, mask: int) -> int:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a // b
    if op == "%":
        return a % b
    return a & (mask ^ ((b - 1) & mask))  # '@': align down to a multiple of b


def _run(program: str, values: dict[str, int], read: Read, mask: int, assigned: set[str] | None) -> list[str] | None:
    """The stack left by the program's tokens (values as decimal strings), None when a step fails."""
    stack: list[str] = []
    tokens: list[str] = []
    for token in program.split():
        if len(token) > 1 and token[0] == "=":  # '=$eip' glued: an assignment, then the next token
            tokens += ["=", token[1:]]
        else:
            tokens.append(token)
    for token in tokens:
        if token in BINARY:
            if len(stack) < 2:
                return None
            b, a = _value(stack.pop(), values, mask), _value(stack.pop(), values, mask)
            if a is None or b is None or (token in "/%" and b == 0):
                return None
            stack.append(str(_binary(token, a, b, mask) & mask))
        elif token == "^":
            addr = _value(stack.pop(), values, mask) if stack else None
            v = read(addr) if addr is not None else None
            if v is None:
                return None
            stack.append(str(v & mask))
        elif token == "=":
            if len(stack) < 2:
                return None
            v = _value(stack.pop(), values, mask)
            name = stack.pop()
            if v is None or not name.startswith("$") or _value(name, {}, mask) is not None:
                return None
            values[name] = v
            if assigned is not None:
                assigned.add(name)
        else:
            stack.append(token)
    return stack


def evaluate(program: str, values: dict[str, int], read: Read, mask: int, assigned: set[str]) -> bool:
    """Runs a program of assignments over `values` (updated in place; names assigned added to `assigned`);
    False when a step fails or a value is left over."""
    left = _run(program, values, read, mask, assigned)
    return left is not None and not left


def evaluate_value(expression: str, values: dict[str, int], read: Read, mask: int) -> int | None:
    """The one value an expression leaves, None when it fails or leaves more or fewer."""
    left = _run(expression, dict(values), read, mask, None)
    if left is None or len(left) != 1:
        return None
    return _value(left[0], values, mask)


def rule_set(text: str) -> dict[str, str] | None:
    """A CFI rule set (`.cfa: $rsp 8 + .ra: .cfa -8 + ^ $rbx: .cfa -16 + ^`) as name -> expression; None when
    a name has no expression or an expression no name."""
    rules: dict[str, str] = {}
    name: str | None = None
    expr: list[str] = []
    for token in text.split():
        if token.endswith(":"):
            if name is not None:
                if not expr:
                    return None
                rules[name] = " ".join(expr)
            elif expr:
                return None
            name, expr = token[:-1], []
        else:
            expr.append(token)
    if name is not None:
        if not expr:
            return None
        rules[name] = " ".join(expr)
    return rules
