"""The reader of profiles saved as text: `perf script` output, folded stacks, bpftrace map output (text and
`-f json`) and BCC/libbpf-tools offcputime's stack blocks — sniffed by content, one reader for all of them
(the form is told from the first lines)."""

from __future__ import annotations

import re

from pmdesk.base.progress import Progress
from pmdesk.readers.base import IndexSink, ReaderSpec

PERF_HEADER = re.compile(rb"^\S.*?\s+(?:-?\d+/)?-?\d+\s+(?:\[\d+\]\s+)?(?:\d+\.\d+:\s+)?(?:\d+\s+)?[^\s:]\S*?:(?:\s|$)")
PERF_FRAME = re.compile(rb"^\s*[0-9a-fA-F]+\s+.*\(.*\)\s*$")
BPF_START = re.compile(rb"^@\w*\[$", re.M)
BPF_ATTACHING = re.compile(rb"^Attaching \d+ probes?\.\.\.$", re.M)
OFFCPU_BLOCK = re.compile(rb"^\s+-\s+.*? \(\d+\)\n\s+\d+$", re.M)
FOLDED_LINE = re.compile(rb"^.*?\S\s+-?\d+(?:\.\d*)?(?:\s+-?\d+(?:\.\d*)?)?\s*$")
JSON_RECORD = re.compile(rb'^\{"type": ?"(attached_probes|map|printf|lost_events|hist|stats)"')


def form_of(head: bytes) -> str | None:
    """'perf-script' | 'bpftrace' | 'bpftrace-json' | 'offcpu' | 'folded', or None: the text's form."""
    if b"\0" in head:
        return None
    text = head.lstrip()
    if JSON_RECORD.match(text):
        return "bpftrace-json"
    if BPF_START.search(head) or BPF_ATTACHING.match(text):
        return "bpftrace"
    lines = head.split(b"\n")
    if len(head) >= 4096:
        lines = lines[:-1]  # the last may be cut
    content = [ln for ln in lines if ln.strip() and not ln.startswith(b"#")]
    if not content:
        return None
    if PERF_HEADER.match(content[0]) and not content[0].startswith((b" ", b"\t")):
        second = content[1] if len(content) > 1 else b""
        if PERF_FRAME.match(second) or re.search(rb":\s+[0-9a-fA-F]+\s+\S.*\(.*\)\s*$", content[0]):
            return "perf-script"
    if OFFCPU_BLOCK.search(head):
        return "offcpu"
    if all(FOLDED_LINE.match(ln) for ln in content) and any(b";" in ln for ln in content):
        return "folded"
    return None


class StackTextReader:
    SPEC = ReaderSpec(name="stacktext", version=2, priority=75,
                      extensions=(".folded", ".collapsed", ".perf-script", ".bt", ".txt"),
                      description="profiles as text (perf script, folded stacks, bpftrace, offcputime)",
                      schema="samples", kernels=True)

    @staticmethod
    def sniff(head: bytes) -> bool:
        return form_of(head) is not None

    @staticmethod
    def read(path: str, sink: IndexSink, progress: Progress) -> None:
        from pmdesk.readers.stacktext.reader import read_stacks

        read_stacks(path, sink, progress)
