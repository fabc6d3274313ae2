"""Function names as Apple's tools print them: Swift symbols demangled in Xcode's simplified form
(`swift-demangle --simplified`: no module prefix, no `-> ()`, `specialized` for signature specialisations),
through the `demangle` package (pure Python; its Swift scheme follows the Swift compiler's own demangler and
its SimplifiedUIDemangleOptions); C++ and Rust as elsewhere in pmdesk; anything else as it is."""

from __future__ import annotations

from functools import lru_cache

from pmdesk.native.symbols import demangle

SWIFT_PREFIXES = ("$s", "$S", "$e", "_T0", "@__swiftmacro_", "_$s", "_$S")
MAX_NAME = 4096  # longer names are shown as they are (the demangler's work grows with them)


@lru_cache(maxsize=1)
def _simplified() -> object:
    import demangle as demangler
    from demangle.schemes.swift.options import SIMPLIFIED_OPTIONS

    return demangler.style("llvm", swift=SIMPLIFIED_OPTIONS)


@lru_cache(maxsize=65536)
def apple_name(name: str) -> str:
    """`$s15iOSCrashingTest10CrashClassC11pleaseCrashyyFZTf4d_n` → `specialized static CrashClass.pleaseCrash()`."""
    if len(name) > MAX_NAME:
        return name
    if name.startswith(SWIFT_PREFIXES):
        import demangle as demangler

        try:
            return demangler.demangle(name.removeprefix("_") if name.startswith("_$") else name,
                                      language="swift", style=_simplified())
        except (demangler.DemanglingError, RecursionError, ValueError):
            return name
    return demangle(name)
