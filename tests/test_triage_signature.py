"""Native signatures against Socorro's own generator (the PyPI package siggen): on every crash artefact here —
cores, JVM error logs, Apple reports, tombstones, minidumps, ours and the public ones in ../shared — our walk
given Socorro's lists gives siggen's signature, and our normalisation of each frame's function is siggen's
wherever ours does not knowingly differ (glibc's __GI_ aliases, v0 Rust, JVM descriptors and generated classes,
Go receivers, Rust trait impls: see native_signature). Then our own lists, on the same frames, as a user
would want them."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from pmdesk.model.crash.store import load_crash
from pmdesk.model.dump import Dump
from pmdesk.model.formats import Kind, sniff
from pmdesk.model.triage import native_signature
from pmdesk.model.triage.frame_rules import Rules, rules_for
from pmdesk.model.triage.signature import crash_signature
from pmdesk.model.triage.sources import find

siggen_rules = pytest.importorskip("siggen.rules")

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "out"
FOLDERS = [DATA / d for d in ("native", "hserr", "apple", "android", "minidump")] + [
    SHARED / "mobile" / d for d in ("ips", "crash", "minidump", "tombstone")] + [SHARED / "native" / "cores"]


def crash_artefacts() -> list[Path]:
    """Every crash dump under FOLDERS that pmdesk reads."""
    found = find([str(f) for f in FOLDERS if f.is_dir()])
    return sorted(Path(p) for p in found.paths if sniff(p).has(Kind.CRASH))


OURS_DIFFER = re.compile(r"__GI_|\[[0-9a-f]{16}\]|\[clone|\$\$Lambda|\$Proxy|Accessor\d|/0x[0-9a-f]|\)\[*[ZBCSIJFDV]$|"
                         r"\)\[*L[^;]+;$|\.\(| as |::h[0-9a-f]{16}$|^<|\+ \d|__uniq|\.llvm\.")


def socorro_rules() -> Rules:
    """Socorro's three lists as siggen ships them, matched as it matches them (from a frame's start)."""
    def lines(name: str) -> tuple[str, ...]:
        text = resources.files("siggen").joinpath("siglists", f"{name}.txt").read_text()
        return tuple(x.strip() for x in text.splitlines() if x.strip() and not x.lstrip().startswith("#"))
    return Rules(lines("signature_sentinels"), lines("irrelevant_signature_re"), lines("prefix_signature_re"),
                 whole_name=False)


def crashed_frames(path: Path, index: Path) -> tuple[list, object]:  # noqa: ANN001
    with Dump.open(str(path), index_dir=index) as d:
        crash = load_crash(d)
    t = crash.crashed_thread or next((t for t in crash.threads if t.frames), None)
    return (t.frames if t else []), crash


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, list, object]]:
    index = tmp_path_factory.mktemp("idx")
    out = []
    for p in crash_artefacts():
        frames, crash = crashed_frames(p, index)
        if frames:
            out.append((p, frames, crash))
    if len(out) < 10:
        pytest.skip("too few crash artefacts here")
    return out


def test_walk_with_socorros_lists_is_siggens(stacks: list) -> None:  # noqa: ANN001
    tool = siggen_rules.CSignatureTool()
    rules = socorro_rules()
    for path, frames, _crash in stacks:
        names = [native_signature.normalise(f) for f in frames[:native_signature.MAX_FRAMES]]
        ours = native_signature.generate(names, rules, fold_repeats=False) or names[0]
        theirs = tool.generate(names, crashed_thread=0)[0]
        assert ours == theirs, path.name


def test_normalised_functions_are_siggens(stacks: list) -> None:  # noqa: ANN001
    tool = siggen_rules.CSignatureTool()
    compared = 0
    for path, frames, _crash in stacks:
        for f in frames:
            if not f.function or OURS_DIFFER.search(f.function) or (f.file or "").endswith(".rs") or \
                    f.function in native_signature.UNKNOWN + native_signature.AS_IS:
                continue
            assert native_signature.normalise_function(f.function, f.file) == \
                tool.normalize_cpp_function(f.function, f.line), (path.name, f.function)
            compared += 1
    assert compared > 100


def test_our_lists_reach_the_code_that_died(stacks: list) -> None:  # noqa: ANN001
    """With our lists no signature of these crashes is only machinery: libc's abort path, the JVM's error
    handler, Go's and CPython's ways of dying are skipped or joined to the frame that called them."""
    machinery = re.compile(r"^(__pthread_kill\w*|pthread_kill|raise|gsignal|VMError::\S+|os::abort|"
                           r"runtime\.(raise|dieFromSignal|sigfwdgo)|<signal handler called>)( \||$)")
    for path, _frames, crash in stacks:
        sig = crash_signature(crash).signature
        assert not machinery.match(sig.removeprefix("snapshot | ").removeprefix("OOM | ")), (path.name, sig)


def test_rules_per_platform() -> None:
    assert rules_for("iOS 16.1").irrelevant != rules_for("Linux").irrelevant
    assert any("objc_exception_throw" in p for p in rules_for("macOS 14.2").prefix)
    assert any("libart" in p for p in rules_for("Android 13").irrelevant)
    assert rules_for(None) == rules_for("Linux")
