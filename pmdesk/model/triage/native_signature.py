"""A native crash's signature, Socorro-style: the crashing thread's frames normalised (a C++ function without
its return type, arguments or template arguments, a Rust function without its hash, an unsymbolicated frame
as its file#line or module), then walked by frame_rules' lists — from a sentinel if one is there, skipping
irrelevant frames, keeping prefix frames and the frame after them — and joined with ' | '.

The method is Socorro's (github.com/mozilla-services/socorro-siggen, siggen/rules.py CSignatureTool and
siggen/pipeline.rst); the code and the lists are ours. `generate` takes its rules as an argument, so a test can
run it with Socorro's own lists and compare it with the siggen package frame by frame.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pmdesk.base.crash import Frame
from pmdesk.model.triage.frame_rules import Rules

MAX_FRAMES = 40          # Socorro considers the first 40 frames (inlined ones counted)
MAX_SIGNATURE_CHARS = 255

_OPEN = {"(": ")", "<": ">", "[": "]", "{": "}", "`": "'"}
_QUALIFIERS = ("const&", "const &", "const", "&&", "&", "volatile", "noexcept")
_RUST_HASH = re.compile(r"::h[0-9a-f]{16}$")
_LAMBDA_NUMBER = re.compile(r"::\$_\d+::")
_SPACE_BEFORE = re.compile(r" +(?=[*&,])")
_COMMA = re.compile(r",(?! )")
_COLD_CLONE = re.compile(r" ?\[clone \.[a-z]+(\.\d+)*\]")
_GLIBC_ALIAS = re.compile(r"^__GI_(?=_*[A-Za-z])")   # glibc's internal names: __GI_abort is abort
_RUST_CRATE_HASH = re.compile(r"\[[0-9a-f]{16}\]")   # v0 mangling's crate disambiguator: std[e28293b1aa0f68bd]
_JVM_RETURN = re.compile(r"\)\[*(?:[ZBCSIJFDV]|L[^;()]+;)$")   # a JVM descriptor's return type: m([I)V
# a JVM's generated classes are numbered per run: BusyPool$$Lambda$16/0x00007f5c14003000, $Proxy12,
# GeneratedMethodAccessor7 name the same code in every run
_JVM_GENERATED = ((re.compile(r"\$\$Lambda(\$\d+)?(/0x[0-9a-f]+)?"), "$$Lambda"), (re.compile(r"\$Proxy\d+"), "$Proxy"),
                  (re.compile(r"(Generated(Serialization|Method|Constructor)Accessor)\d+"), r"\1"),
                  (re.compile(r"/0x[0-9a-f]{6,}"), ""))
_INNER_OFFSET = re.compile(r"(?<=\S)\+ \d+ ?(?=\()")   # 'f+ 2154236 (_:_:)': an offset some tools print mid-name
_LLVM_SUFFIX = re.compile(r"\s*\(\.__uniq\.\d+(\.llvm\.\d+)?\)$|\.__uniq\.\d+|\.llvm\.\d+$")  # unique-name suffixes
UNKNOWN = ("??", "???", "<unknown>", "<unknown function>")
AS_IS = ("<signal handler called>",)   # a debugger's words for a frame, not a C++ name


@dataclass(frozen=True)
class NativeSignature:
    signature: str
    proto: str           # every normalised frame considered, joined with ' | ' (what a search matches)
    frames: tuple[str, ...]


def _last_token(function: str) -> str:
    """The function without what comes before its name at the outermost level: a return type, 'static',
    'virtual' (split on spaces outside brackets; an `operator` name keeps its spaces)."""
    if "operator" in function:
        return function
    depth: list[str] = []
    start = 0
    for i, ch in enumerate(function):
        if ch in _OPEN and not (ch == "<" and function[i - 1:i] == "-"):
            depth.append(_OPEN[ch])
        elif depth and ch == depth[-1]:
            depth.pop()
        elif ch == " " and not depth:
            start = i + 1
    return function[start:] if start < len(function) else function


def _collapse(function: str, open_ch: str, close_ch: str, replacement: str, keep: Iterable[str] = ()) -> str:
    """Each outermost `open_ch … close_ch` replaced by `replacement`, except those whose text (or the text just
    before them) contains a word of `keep`."""
    out: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(function):
        if ch == open_ch:
            if depth == 0:
                start = i
            depth += 1
        elif ch == close_ch and depth:
            depth -= 1
            if depth == 0:
                inner = function[start:i + 1]
                before = "".join(out)
                if open_ch == "(" and before.endswith("."):
                    out.append(inner)   # Go's 'main.(*T).m'
                elif any(k in inner for k in keep):   # '(anonymous namespace)', '<A<u32> as B>': kept, and
                    inside = _collapse(inner[1:-1], open_ch, close_ch, replacement, keep)  # its insides collapsed
                    out.append(open_ch + inside + close_ch)
                else:
                    out.append(replacement)
        elif depth == 0:
            out.append(ch)
    if depth:   # unbalanced: keep the rest as it was
        out.append(function[start:])
    return "".join(out)


def _unwrap_inherent(function: str) -> str:
    """'<crate::Type>::method' (a v0-demangled inherent method) as 'crate::Type::method'; a trait's
    '<A as B>::m' stays."""
    if not function.startswith("<"):
        return function
    depth = 0
    for i, ch in enumerate(function):
        depth += (ch == "<") - (ch == ">")
        if depth == 0:
            inner = function[1:i]
            if function[i + 1:i + 3] == "::" and " as " not in inner:
                return inner + function[i + 1:]
            break
    return function


def normalise_function(function: str, file: str | None = None) -> str:
    """A function name as signatures compare it."""
    f = _COLD_CLONE.sub("", _RUST_CRATE_HASH.sub("", _GLIBC_ALIAS.sub("", function.strip())))
    f = _JVM_RETURN.sub(")", _INNER_OFFSET.sub("", _LLVM_SUFFIX.sub("", f)))
    for pattern, replacement in _JVM_GENERATED:
        f = pattern.sub(replacement, f)
    f = _unwrap_inherent(f)
    for q in _QUALIFIERS:
        if f.endswith(" " + q) or f.endswith(")" + q):
            f = f[: -len(q)].rstrip()
    f = _last_token(f)
    f = f.replace("`anonymous namespace'", "(anonymous namespace)")
    f = _LAMBDA_NUMBER.sub("::$::", f)
    rust = bool(file and file.endswith(".rs")) or bool(_RUST_HASH.search(f))
    if "operator<" not in f and "operator>" not in f:
        f = _collapse(f, "<", ">", "<T>", (" as ", " in "))
    f = _collapse(f, "(", ")", "", ("anonymous namespace", "operator"))
    if rust:
        f = _RUST_HASH.sub("", f)
    f = _COMMA.sub(", ", _SPACE_BEFORE.sub("", f)).strip()
    return f or function.strip()


def normalise(frame: Frame) -> str:
    """A frame as a signature names it: its function normalised, else file#line, else its module's file name,
    else its address."""
    if frame.function in AS_IS:
        return frame.function
    if frame.function and frame.function not in UNKNOWN:
        return normalise_function(frame.function, frame.file)
    if frame.file and frame.line:
        return f"{frame.file.rstrip('/').replace(chr(92), '/').rsplit('/', 1)[-1]}#{frame.line}"
    if frame.module:
        return frame.module.replace("\\", "/").rsplit("/", 1)[-1].strip("[]")
    return f"@{frame.pc:#x}"


def generate(frames: Sequence[str], rules: Rules, fold_repeats: bool = True) -> str:
    """The signature of normalised frames (innermost first) under `rules`: '' when no frame is relevant.
    `fold_repeats`: a frame named as the one before it is not said twice (Socorro folds only a library's
    unsymbolicated frames; two overloads of one function read the same once their arguments are gone)."""
    irrelevant, prefix = rules.compiled()
    test = "fullmatch" if rules.whole_name else "match"
    starts = [frames.index(s) for s in rules.sentinels if s in frames]
    if starts:
        frames = frames[min(starts):]
    out: list[str] = []
    for name in frames:
        if not name or getattr(irrelevant, test)(name):
            continue
        if out and name == out[-1] and (fold_repeats or name.lower().endswith((".so", ".dll"))):
            continue   # a library without symbols, frame after frame: once
        out.append(name)
        if not getattr(prefix, test)(name):
            break
    return " | ".join(out)


def signature(frames: Sequence[Frame], rules: Rules) -> NativeSignature:
    """The crashing thread's signature ('EMPTY: no frame data' when it has no frames, its innermost frame's
    name when every frame is machinery)."""
    names = tuple(normalise(f) for f in frames[:MAX_FRAMES])
    sig = generate(names, rules)
    if not sig:
        sig = names[0] if names else "EMPTY: no frame data for the crashing thread"
    if len(sig) > MAX_SIGNATURE_CHARS:
        sig = sig[: MAX_SIGNATURE_CHARS - 3] + "..."
    return NativeSignature(sig, " | ".join(names), names)
