"""Symbols for the images an Apple report lists: each image's dSYM or binary found by UUID (native/dsym.py)
under the user's folders and beside the report, and the names atos would give its offsets."""

from __future__ import annotations

import os
from dataclasses import dataclass

from pmdesk.base.crash import Module
from pmdesk.base.progress import Progress
from pmdesk.native.dsym import Found, find_by_uuid
from pmdesk.native.macho_image import AppleLocation, MachoImage
from pmdesk.native.symbol_files import SearchPaths


@dataclass(frozen=True)
class ImageId:
    name: str
    uuid: str | None


def folders_for(report_path: str, paths: SearchPaths) -> list[str]:
    """Where dSYMs are looked for, in order: the folders the user gave, then the report's own folder."""
    out = [*paths.debug_dirs, *paths.search_dirs]
    here = os.path.dirname(os.path.abspath(report_path))
    return [*dict.fromkeys([*out, here])]


class ReportSymbols:
    """Looks up (image, offset) pairs of one report; each image's files are searched once."""

    def __init__(self, images: list[ImageId], folders: list[str], progress: Progress | None = None) -> None:
        self.images = images
        self.folders = folders
        self.progress = progress  # told before each image's search: the point where the reading can be cancelled
        self._found: dict[int, Found] = {}
        self._open: dict[int, MachoImage] = {}

    def found(self, index: int) -> Found:
        got = self._found.get(index)
        if got is None:
            img = self.images[index]
            if self.progress is not None:
                self.progress.update(0.2 + 0.7 * index / max(len(self.images), 1), f"looking for {img.name}'s dSYM")
            got = self._found[index] = find_by_uuid(img.uuid, img.name, self.folders) if self.folders else Found(None)
        return got

    def describe(self, index: int, module: Module) -> None:
        """Say on the crash model's module where its dSYM came from, or where pmdesk looked and why not."""
        if not self.folders:
            return
        found = self.found(index)
        module.looked, module.warning = found.looked, found.warning
        if found.slice is not None:
            module.binary = module.debug_file = found.slice.path
            module.symbols = True

    def location(self, index: int, offset: int) -> AppleLocation | None:
        if not 0 <= index < len(self.images):
            return None
        found = self.found(index)
        if found.slice is None:
            return None
        image = self._open.get(index)
        if image is None:
            image = self._open[index] = MachoImage(found.slice)
        return image.location(offset)

    def close(self) -> None:
        for image in self._open.values():
            image.close()
