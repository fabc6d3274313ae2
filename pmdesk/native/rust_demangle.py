"""Rust symbol names in the v0 mangling (`_R…`, RFC 2603; the Rust standard library's since 1.8x) demangled
the way gdb and c++filt print them — libiberty's rendering: crate roots with their disambiguator
(`std[e28293b1aa0f68bd]`), `<T>` and `<T as Trait>` impls, `::<…>` generic arguments on value paths,
`{closure#0}` and `{shim:vtable#0}` for special namespaces, types, consts, back-references and punycode
identifiers."""

from __future__ import annotations

from collections.abc import Callable

BASIC = {"a": "i8", "b": "bool", "c": "char", "d": "f64", "e": "str", "f": "f32", "h": "u8", "i": "isize",
         "j": "usize", "l": "i32", "m": "u32", "n": "i128", "o": "u128", "s": "i16", "t": "u16", "u": "()",
         "v": "...", "x": "i64", "y": "u64", "z": "!", "p": "_"}
SIGNED = {"a", "s", "l", "x", "n", "i"}
UNSIGNED = {"h", "t", "m", "y", "o", "j"}
MAX_DEPTH = 200


class _Invalid(Exception):
    pass


def demangle_v0(name: str) -> str | None:
    """The demangled name, or None when `name` is not a well-formed v0 symbol."""
    at = name.find("_R")
    if at < 0 or at > 2:  # "_R", or with the extra underscore some platforms add
        return None
    body = name[at + 2:]
    dot = body.find(".")  # `.0`, `.llvm.1234` and the like: not part of the name (libiberty drops them too)
    if dot >= 0:
        body = body[:dot]
    if not body or not ("A" <= body[0] <= "Z"):  # an encoding version comes as a decimal number
        i = 0
        while i < len(body) and body[i].isdigit():
            i += 1
        body = body[i:]
    try:
        p = _Printer(body)
        p.path(in_value=True)
        return "".join(p.out)
    except (_Invalid, IndexError, ValueError, RecursionError):
        return None


class _Printer:
    def __init__(self, s: str) -> None:
        self.s, self.pos, self.out, self.depth = s, 0, [], 0
        self.bound_lifetimes = 0

    # ------------------------------------------------------------------ lexing
    def peek(self) -> str:
        return self.s[self.pos] if self.pos < len(self.s) else ""

    def eat(self, c: str) -> bool:
        if self.peek() == c:
            self.pos += 1
            return True
        return False

    def next(self) -> str:
        c = self.s[self.pos]
        self.pos += 1
        return c

    def base62(self) -> int:
        """`_` is 0; digits then `_` are their value plus one."""
        if self.eat("_"):
            return 0
        x = 0
        while not self.eat("_"):
            c = self.next()
            if c.isdigit():
                d = ord(c) - 48
            elif "a" <= c <= "z":
                d = ord(c) - 97 + 10
            elif "A" <= c <= "Z":
                d = ord(c) - 65 + 36
            else:
                raise _Invalid
            x = x * 62 + d
        return x + 1

    def opt_base62(self, tag: str) -> int:
        return self.base62() + 1 if self.eat(tag) else 0

    def decimal(self) -> int:
        """`0`, or digits not starting with 0 (a 0 ends the number: `00` is two zero lengths)."""
        start = self.pos
        if self.eat("0"):
            return 0
        while self.peek().isdigit():
            self.pos += 1
        if start == self.pos:
            raise _Invalid
        return int(self.s[start:self.pos])

    def ident(self) -> tuple[str, int]:
        """(identifier, disambiguator)."""
        dis = self.opt_base62("s")
        return self.raw_ident(), dis

    def raw_ident(self) -> str:
        puny = self.eat("u")
        n = self.decimal()
        self.eat("_")
        text = self.s[self.pos:self.pos + n]
        if len(text) != n:
            raise _Invalid
        self.pos += n
        if puny:
            ascii_part, _, encoded = text.rpartition("_")
            text = (ascii_part + "-" + encoded if ascii_part else encoded).encode().decode("punycode")
        return text

    def backref(self) -> int:
        start = self.pos - 1
        target = self.base62()
        if target >= start:
            raise _Invalid
        return target

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Invalid

    def at_backref(self, fn: object, *args: object) -> None:
        target = self.backref()
        saved = self.pos
        self.pos = target
        fn(*args)  # type: ignore[operator]
        self.pos = saved

    def w(self, text: str) -> None:
        self.out.append(text)

    # ------------------------------------------------------------------ paths
    def path(self, in_value: bool) -> None:
        self.enter()
        tag = self.next()
        if tag == "C":
            name, dis = self.ident()
            self.w(name)
            self.w(f"[{dis:x}]")
        elif tag == "N":
            ns = self.next()
            self.path(in_value)
            name, dis = self.ident()
            if "A" <= ns <= "Z":
                kind = {"C": "closure", "S": "shim"}.get(ns, ns)
                self.w("::{" + kind + (":" + name if name else "") + f"#{dis}" + "}")
            elif name:
                self.w("::" + name)
        elif tag in "MXY":
            if tag != "Y":
                self.opt_base62("s")  # the impl's disambiguator
                self.skip_path()  # the impl's own path, not printed
            self.w("<")
            self.type()
            if tag != "M":
                self.w(" as ")
                self.path(in_value=False)
            self.w(">")
        elif tag == "I":
            self.path(in_value)
            if in_value:
                self.w("::")
            self.w("<")
            self.items(self.generic_arg)
            self.w(">")
        elif tag == "B":
            self.at_backref(self.path, in_value)
        else:
            raise _Invalid
        self.depth -= 1

    def skip_path(self) -> None:
        """Parse a path without printing it (an impl's own path)."""
        mark = len(self.out)
        self.path(in_value=False)
        del self.out[mark:]

    def generic_arg(self) -> None:
        if self.eat("L"):
            self.lifetime(self.base62())
        elif self.eat("K"):
            self.const()
        else:
            self.type()

    def lifetime(self, index: int) -> None:
        if index == 0:
            self.w("'_")
            return
        depth = self.bound_lifetimes - index
        if depth < 0:
            raise _Invalid
        self.w("'" + (chr(ord("a") + depth) if depth < 26 else f"_{depth}"))

    # ------------------------------------------------------------------ types
    def type(self) -> None:
        self.enter()
        tag = self.next()
        if tag in BASIC:
            self.w(BASIC[tag])
        elif tag in "RQ":
            self.w("&")
            if self.eat("L"):
                index = self.base62()
                if index:
                    self.lifetime(index)
                    self.w(" ")
            if tag == "Q":
                self.w("mut ")
            self.type()
        elif tag == "P":
            self.w("*const ")
            self.type()
        elif tag == "O":
            self.w("*mut ")
            self.type()
        elif tag == "A":
            self.w("[")
            self.type()
            self.w("; ")
            self.const()
            self.w("]")
        elif tag == "S":
            self.w("[")
            self.type()
            self.w("]")
        elif tag == "T":
            self.w("(")
            if self.items(self.type) == 1:
                self.w(",")
            self.w(")")
        elif tag == "F":
            self.binder(self.fn_sig)
        elif tag == "D":
            self.w("dyn ")
            self.binder(self.dyn_bounds)
            if not self.eat("L"):
                raise _Invalid
            index = self.base62()
            if index:
                self.w(" + ")
                self.lifetime(index)
        elif tag == "B":
            self.at_backref(self.type)
        else:
            self.pos -= 1
            self.path(in_value=False)
        self.depth -= 1

    def items(self, item: Callable[[], None], sep: str = ", ") -> int:
        """item() repeated up to an `E`, written with `sep` between; how many."""
        n = 0
        while not self.eat("E"):
            if n:
                self.w(sep)
            item()
            n += 1
        return n

    def binder(self, body: object) -> None:
        bound = self.base62() + 1 if self.eat("G") else 0
        if bound:
            self.w("for<")
            for i in range(bound):
                if i:
                    self.w(", ")
                self.bound_lifetimes += 1
                self.lifetime(1)
            self.w("> ")
        body()  # type: ignore[operator]
        self.bound_lifetimes -= bound

    def fn_sig(self) -> None:
        if self.eat("U"):
            self.w("unsafe ")
        if self.eat("K"):
            abi = "C" if self.eat("C") else self.raw_ident().replace("_", "-")
            self.w(f'extern "{abi}" ')
        self.w("fn(")
        self.items(self.type)
        self.w(")")
        if self.eat("u"):
            return
        self.w(" -> ")
        self.type()

    def dyn_bounds(self) -> None:
        self.items(self.dyn_trait, " + ")

    def dyn_trait(self) -> None:
        """A trait path, with its associated-type bindings inside its generic arguments (`Fn<(), Output = T>`)."""
        mark = len(self.out)
        self.path(in_value=False)
        open_args = self.out[-1] == ">" and len(self.out) > mark
        first = True
        while self.eat("p"):
            if first:
                if open_args:
                    self.out.pop()  # reopen the argument list
                    self.w(", ")
                else:
                    self.w("<")
                first = False
            else:
                self.w(", ")
            self.w(self.raw_ident() + " = ")
            self.type()
        if not first:
            self.w(">")

    # ------------------------------------------------------------------ consts
    def const(self) -> None:
        self.enter()
        if self.eat("B"):
            self.at_backref(self.const)
        elif self.eat("p"):
            self.w("_")
        else:
            ty = self.next()
            negative = self.eat("n")
            start = self.pos
            while self.next() != "_":
                pass
            digits = self.s[start:self.pos - 1]
            value = int(digits, 16) if digits else 0
            if ty in SIGNED or ty in UNSIGNED:
                self.w(("-" if negative else "") + (str(value) if value < 1 << 64 else f"0x{digits}"))
            elif ty == "b":
                self.w("true" if value else "false")
            elif ty == "c":
                self.w("'" + _char(value) + "'")
            else:
                raise _Invalid
            self.w(f": {BASIC[ty]}")  # libiberty's verbose rendering, as gdb and c++filt print it
        self.depth -= 1


def _char(value: int) -> str:
    """A char const as libiberty writes it: printable ASCII itself, the usual escapes, else \\u{hex}."""
    special = {9: "\\t", 13: "\\r", 10: "\\n", 92: "\\\\", 39: "\\'"}
    if value in special:
        return special[value]
    return chr(value) if 0x20 <= value < 0x7F else f"\\u{{{value:x}}}"
