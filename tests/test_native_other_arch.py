"""Cores of other architectures against gdb: the corpus programs cross-compiled for ppc64le and run under
qemu-user (gdb-multiarch's answers), and built for i386 and dumped by gdb's gcore (gdb's answers) —
tests/data/native/other_arch/make.sh. Registers from NT_PRSTATUS (32-bit longs and registers on i386), CFI
with each ABI's register numbers, ppc64's back chain where CFI ends (a zero back chain is the outermost frame,
as gdb stops), i386's vDSO (__kernel_vsyscall, every system call's entry: its image copied out of the core),
the futex deadlock — every frame of every thread, function and pc, equal to gdb's. Libc frames need the libc
the cores ran with (Debian's libc6-ppc64el-cross, libc6-i386); without it the deadlock cores are skipped."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from pmdesk.native.symbol_files import SearchPaths, build_id_of_file
from pmdesk.readers.elfcore.core import Core
from tests.conftest import DATA
from tests.test_native_aarch64 import assert_frames_equal, gdb_threads

OTHER = DATA / "native" / "other_arch"


def libc_of(arch: str) -> Path | None:
    """This machine's libc of `arch` when it is the one the cores ran with."""
    for line in (OTHER / "libraries.txt").read_text().splitlines():
        name, lib, build_id = line.split()
        if name == arch:
            return Path(lib) if build_id_of_file(lib) == build_id else None
    return None


@pytest.mark.parametrize("name", ["segv_chain", "mutex_deadlock"])
@pytest.mark.parametrize("arch", ["ppc64le", "i386"])
def test_frames_equal_gdb(name: str, arch: str, tmp_path: Path) -> None:
    libc = libc_of(arch)
    if name != "segv_chain" and libc is None:
        pytest.skip(f"the {arch} libc the core ran with is not installed")
    core_path = tmp_path / f"{name}.{arch}.core"
    with gzip.open(OTHER / f"{name}.{arch}.core.gz") as src, open(core_path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    want = gdb_threads(f"{name}.{arch}", OTHER)
    paths = SearchPaths(exe=str(OTHER / f"{name}.{arch}"), search_dirs=[str(libc.parent)] if libc else [],
                        debuginfod_urls=[])
    core = Core(str(core_path), paths)
    try:
        assert core.machine == {"ppc64le": "EM_PPC64", "i386": "EM_386"}[arch] and not core.notes.problems
        assert_frames_equal(core, want)
        if name == "mutex_deadlock":
            assert len(core.waits()) == 2 and {w.owner for w in core.waits()} == {w.tid for w in core.waits()}
    finally:
        core.close()
