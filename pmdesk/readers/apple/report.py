"""An Apple crash report's file split into its parts: an `.ips` (iOS 15+, macOS 12+) is a one-line JSON
metadata object (bug_type, app_name, os_version, incident_id, slice_uuid, …) and a JSON body; a legacy
`.crash` is text, with or without that JSON line first. IPS report kinds are named by bug_type."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pmdesk.base.errors import DumpFormatError
from pmdesk.readers.base import read_capped

# bug_type of the IPS kinds (Apple's "Interpreting the JSON format of a crash report" and what the OSs write)
BUG_TYPES = {
    "109": "a crash report (legacy text in an IPS wrapper)", "309": "a crash report", "308": "a hang (spin) report",
    "288": "a stackshot", "298": "a jetsam (memory pressure) event", "210": "a kernel panic",
    "385": "an energy (CPU resource) report", "202": "a wakeups resource report", "145": "a disk-writes report",
    "206": "a CPU resource report", "151": "a kernel panic", "187": "a shutdown stall",
}
CRASH_TYPES = ("309",)
LEGACY_TYPES = ("109",)
MAX_REPORT_BYTES = 256 << 20  # the biggest real reports are a few MB; JSON this big is not one
TEXT_MARKERS = (b"Incident Identifier:", b"Process:", b"Exception Type:", b"Hardware Model:")


@dataclass
class AppleFile:
    meta: dict[str, Any]          # the first line's metadata ({} for a .crash without it)
    body: dict[str, Any] | None   # the .ips JSON body
    text: str | None              # the legacy .crash text

    @property
    def bug_type(self) -> str:
        return str(self.meta.get("bug_type") or (self.body or {}).get("bug_type") or "")

    @property
    def kind(self) -> str:
        return BUG_TYPES.get(self.bug_type, f"an IPS report of bug_type {self.bug_type or 'unknown'}")


def sniff_apple(head: bytes) -> bool:
    """An .ips (a JSON first line with bug_type) or a .crash (its header fields in the first lines)."""
    first, _, rest = head.partition(b"\n")
    if first.lstrip().startswith(b"{") and b'"bug_type"' in first:
        return True
    text = head.lstrip(b"\r\n\t ")
    return any(text.startswith(m) for m in TEXT_MARKERS) and (b"\nReport Version:" in head or
                                                              b"\nException Type:" in head or b"\nOS Version:" in head)


def load(path: str) -> AppleFile:
    """The report's parts; DumpFormatError (one line) when it is cut, damaged or not a report."""
    data = read_capped(path, MAX_REPORT_BYTES, "an Apple crash report")
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    first, _, rest = text.partition("\n")
    meta: dict[str, Any] = {}
    if first.lstrip().startswith("{"):
        meta = _json(path, first, "the metadata line")
        if not isinstance(meta, dict):
            raise DumpFormatError(path, "the metadata line is not a JSON object", 0)
        stripped = rest.lstrip()
        if stripped.startswith(("{", "[")):
            body = _json(path, rest, "the report body")
            if not isinstance(body, dict):
                raise DumpFormatError(path, "the report body is not a JSON object", len(first) + 1)
            return AppleFile(meta, body, None)
        if str(meta.get("bug_type")) in CRASH_TYPES and not stripped:
            raise DumpFormatError(path, "has the metadata line of a crash report but no body (cut short?)",
                                  len(first) + 1)
        return AppleFile(meta, None, rest)
    return AppleFile({}, None, text)


def _json(path: str, text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise DumpFormatError(path, f"{what} is nested too deeply to be a crash report", 0) from None
    except json.JSONDecodeError as e:
        cut = e.pos >= len(text.rstrip()) - 1
        raise DumpFormatError(path, f"{what} is {'cut short' if cut else 'not valid JSON'} (line {e.lineno}, "
                                    f"column {e.colno}: {e.msg})", e.pos) from None
