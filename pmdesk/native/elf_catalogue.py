"""ELF files by build-id under folders the user points at — a symbols folder, an NDK project's `obj/local/<abi>`,
Gradle's `build/intermediates/merged_native_libs/<variant>/out/lib/<abi>`, any layout: the folders are walked
(bounded) and each ELF file's GNU build-id note read, so the build-id alone decides which file describes a
module, as ndk-stack decides by name and Sentry by build-id."""

from __future__ import annotations

import os
from functools import lru_cache

from pmdesk.native.folder_files import files_under
from pmdesk.native.symbol_files import build_id_of_file

ELF_MAGIC = b"\x7fELF"


@lru_cache(maxsize=64)
def _catalogue(folder: str, _mtime_ns: int) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in files_under(folder):
        try:
            with open(path, "rb") as f:
                if f.read(4) != ELF_MAGIC:
                    continue
        except OSError:
            continue
        build_id = build_id_of_file(path)
        if build_id:
            found.setdefault(build_id, path)
    return found


def elf_with_build_id(build_id: str, folders: list[str]) -> tuple[str | None, list[str]]:
    """The first ELF file under `folders` whose build-id is `build_id` (lower-case hex), and where it looked."""
    looked = []
    for folder in folders:
        try:
            mtime = os.stat(folder).st_mtime_ns
        except OSError:
            continue
        looked.append(f"{folder} (build-id {build_id})")
        got = _catalogue(os.path.abspath(folder), mtime).get(build_id.lower())
        if got:
            return got, looked
    return None, looked
