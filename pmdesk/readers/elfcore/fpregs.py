"""A thread's floating-point and vector registers from its NT_FPREGSET note, as gdb shows them: on x86-64 the
FXSAVE area (x87 st0–st7 with value and raw bits, fctrl/fstat/ftag — the full tag word rebuilt from FXSAVE's
abridged one —, fiseg/fioff/foseg/fooff/fop, mxcsr with its flags, xmm0–xmm15); on aarch64 the FPSIMD state
(v0–v31, fpsr, fpcr)."""

from __future__ import annotations

import struct

MXCSR_FLAGS = ((0, "IE"), (1, "DE"), (2, "ZE"), (3, "OE"), (4, "UE"), (5, "PE"), (6, "DAZ"), (7, "IM"), (8, "DM"),
               (9, "ZM"), (10, "OM"), (11, "UM"), (12, "PM"), (15, "FZ"))
FXSAVE_SIZE = 512
FPSIMD_SIZE = 32 * 16 + 8


def parse_fpregset(desc: bytes, machine: str) -> list[tuple[str, str]]:
    """(register, value as gdb prints it) for each register of the note (empty when its layout is unknown)."""
    if machine == "EM_X86_64" and len(desc) >= FXSAVE_SIZE:
        return _fxsave(desc)
    if machine == "EM_AARCH64" and len(desc) >= FPSIMD_SIZE:
        out = [(f"v{i}", _hex128(desc[16 * i:16 * i + 16])) for i in range(32)]
        fpsr, fpcr = struct.unpack_from("<II", desc, 512)
        return [*out, ("fpsr", f"0x{fpsr:x}"), ("fpcr", f"0x{fpcr:x}")]
    return []


def _hex128(b: bytes) -> str:
    return f"0x{int.from_bytes(b, 'little'):x}"


def _fxsave(d: bytes) -> list[tuple[str, str]]:
    cwd, swd, abridged, fop = struct.unpack_from("<HHBxH", d, 0)
    fioff, fiseg, fooff, foseg, mxcsr = struct.unpack_from("<IHxxIHxxI", d, 8)
    st = [d[32 + 16 * i:32 + 16 * i + 10] for i in range(8)]
    top = (swd >> 11) & 7
    tags = 0
    for phys in range(8):  # FXSAVE keeps one bit per physical register (empty or not); gdb shows the full word
        tag = _x87_tag(st[(phys - top) & 7]) if abridged & (1 << phys) else 3
        tags |= tag << (2 * phys)
    flags = " ".join(name for bit, name in MXCSR_FLAGS if mxcsr & (1 << bit))
    return [
        *((f"st{i}", f"{_x87_value(raw)} (raw 0x{int.from_bytes(raw, 'little'):020x})") for i, raw in enumerate(st)),
        ("fctrl", f"0x{cwd:x}"), ("fstat", f"0x{swd:x}"), ("ftag", f"0x{tags:x}"),
        ("fiseg", f"0x{fiseg:x}"), ("fioff", f"0x{fioff:x}"), ("foseg", f"0x{foseg:x}"), ("fooff", f"0x{fooff:x}"),
        ("fop", f"0x{fop & 0x7FF:x}"), ("mxcsr", f"0x{mxcsr:x} [ {flags} ]"),
        *((f"xmm{i}", _hex128(d[160 + 16 * i:176 + 16 * i])) for i in range(16)),
    ]


def _x87_tag(raw: bytes) -> int:
    """The x87 tag of a non-empty register: 0 valid, 1 zero, 2 special (NaN, infinity, denormal)."""
    mantissa, se = struct.unpack("<QH", raw)
    exponent = se & 0x7FFF
    if exponent == 0x7FFF:
        return 2
    if exponent == 0:
        return 1 if mantissa == 0 else 2
    return 0 if mantissa >> 63 else 2


def _x87_value(raw: bytes) -> str:
    """An 80-bit extended-precision value printed the way gdb prints it (C's %.21Lg)."""
    from decimal import Decimal, localcontext

    mantissa, se = struct.unpack("<QH", raw)
    sign = "-" if se & 0x8000 else ""
    exponent = se & 0x7FFF
    if exponent == 0x7FFF:
        return f"{sign}inf" if mantissa << 1 & 0xFFFF_FFFF_FFFF_FFFF == 0 else f"{sign}nan(0x{mantissa:x})"
    if mantissa == 0:
        return f"{sign}0"
    with localcontext() as ctx:
        ctx.prec = 40
        value = Decimal(mantissa) * Decimal(2) ** (max(exponent, 1) - 16383 - 63)
        text = format(value, ".21g")
    number, _, exp = text.partition("e")
    if "." in number:  # %g drops trailing zeros; its exponent has at least two digits
        number = number.rstrip("0").rstrip(".")
    return sign + number + (f"e{exp[0]}{int(exp[1:]):02d}" if exp else "")
