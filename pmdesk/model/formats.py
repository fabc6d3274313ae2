"""The format registry: one entry per format pmdesk reads, and everything other code used to look up by a
format's name — its reader, the words a user knows it by, the data kinds it produces (which decide the
CLI commands and docks that apply), its Overview and status-line text, and its desktop file types (MIME
types with the content rules that mirror the reader's sniff; the installers are generated from them).

Adding a format is one reader package and one line in FORMATS. Nothing outside readers/ and this module
compares a format's name (tests/test_registry.py walks the code to keep it so).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any

from pmdesk.base.errors import PmdeskError, UnsupportedFormat
from pmdesk.readers import Reader, describe_head, not_yet_read, read_head, sniff_with
from pmdesk.readers.apple import AppleReportReader
from pmdesk.readers.elfcore import ElfCoreReader
from pmdesk.readers.goheap import GoHeapReader
from pmdesk.readers.heapy import HeapyReader
from pmdesk.readers.hprof import HprofReader
from pmdesk.readers.hserr import HsErrReader
from pmdesk.readers.jfr import JfrReader
from pmdesk.readers.memray import MemrayReader
from pmdesk.readers.minidump import MinidumpReader
from pmdesk.readers.perfdata import PerfDataReader
from pmdesk.readers.pprof import PprofReader
from pmdesk.readers.pyheap import PyHeapReader
from pmdesk.readers.stacktext import StackTextReader
from pmdesk.readers.threaddump import ThreadDumpReader
from pmdesk.readers.tombstone import TombstoneReader
from pmdesk.readers.tracemalloc import TracemallocReader

if TYPE_CHECKING:
    from pmdesk.model.dump import Dump


class Kind(StrEnum):
    """A kind of data a dump holds; docks and commands declare the kinds they work on, whatever the format."""

    HEAP_GRAPH = "heap_graph"  # objects, references, GC roots: dominators, retained sizes, paths, suspects
    CRASH = "crash"            # a native crash: cause, threads with registers and frames, modules, memory
    THREADS = "threads"        # thread dumps: threads, states, stacks, locks held and waited for
    SAMPLES = "samples"        # stack samples with weights: profiles, flame graphs
    EVENTS = "events"          # typed, timed events (JFR)


KIND_NOUNS = {  # what a command of this kind reads, in the user's words
    Kind.HEAP_GRAPH: "heap dumps",
    Kind.CRASH: "crash dumps (ELF cores, minidumps, Apple reports, tombstones, JVM error logs)",
    Kind.THREADS: "thread dumps",
    Kind.SAMPLES: "profiles", Kind.EVENTS: "JFR recordings",
}


@dataclass(frozen=True)
class Magic:
    """A shared-mime-info content rule: `value` at `offset` (anywhere up to `offset_end` when given), and
    every rule of `also` too (nested matches)."""

    value: bytes
    offset: int = 0
    offset_end: int | None = None
    also: tuple[Magic, ...] = ()
    priority: int = 80  # 80 and above: tried before file names (content wins where a glob is claimed elsewhere)

    def matches(self, head: bytes) -> bool:
        if self.offset_end is None:
            here = head[self.offset:self.offset + len(self.value)] == self.value
        else:
            here = self.value in head[self.offset:self.offset_end + len(self.value)]
        return here and all(m.matches(head) for m in self.also)


@dataclass(frozen=True)
class MimeType:
    """A desktop file type of a format (freedesktop shared-mime-info; Windows ProgIDs and macOS UTIs are
    derived from it by installers/generate.py)."""

    name: str                      # 'application/x-java-hprof'
    comment: str                   # 'Java heap dump'
    globs: tuple[str, ...] = ()    # '*.hprof'
    magic: tuple[Magic, ...] = ()
    sub_class_of: str | None = None
    system: bool = False           # declared by shared-mime-info itself (application/x-core): not redefined
    uti: str | None = None         # macOS type identifier, when not derived from the name
    # extensions Windows and macOS offer pmdesk for (they associate by extension alone) where the globs name
    # files by a pattern of their whole name, which a desktop on Linux matches but those cannot ('log' for
    # hs_err_pid*.log); never a glob here, so Linux does not type every .log file as this
    open_with: tuple[str, ...] = ()


def _lazy(target: str) -> Callable[..., Any]:
    """A function named 'module:function', imported when first called (the registry stays light: naming a
    format's overview must not import numpy)."""
    module, name = target.split(":")

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__qualname__ = call.__name__ = target
    return call


KIND_OVERVIEW = {  # the Overview / `pmdesk info` facts of each kind, for formats that do not give their own
    Kind.HEAP_GRAPH: "pmdesk.model.heap.histogram:overview", Kind.CRASH: "pmdesk.model.crash.report:overview",
    Kind.THREADS: "pmdesk.model.threads.dumps:overview", Kind.EVENTS: "pmdesk.model.jfr.events:overview",
    Kind.SAMPLES: "pmdesk.model.samples.profile:overview",
}
KIND_STATUS = {  # the status line after a dump opened
    Kind.HEAP_GRAPH: "pmdesk.model.heap.histogram:status_line", Kind.CRASH: "pmdesk.model.crash.report:status_line",
    Kind.THREADS: "pmdesk.model.threads.dumps:status_line", Kind.EVENTS: "pmdesk.model.jfr.events:status_line",
    Kind.SAMPLES: "pmdesk.model.samples.profile:status_line",
}


@dataclass(frozen=True)
class Format:
    """One format: its reader and what the rest of pmdesk needs to know about it."""

    reader: Reader
    what: str                          # the file in the user's words, after "is": 'a Java heap dump'
    kinds: tuple[Kind, ...]            # the data kinds its index holds
    mime: tuple[MimeType, ...] = ()
    overview_fn: str | None = None     # 'module:function' (Dump -> [(label, value)]); default: the first kind's
    status_fn: str | None = None       # 'module:function' (Dump -> str); default: the first kind's
    graph_fn: str | None = None        # heap_graph kind: 'module:function' giving the object graph
                                       # (index/derive/heap_graph.py GraphSource)
    graph_model_fn: str | None = None  # heap_graph kind: 'module:Class', the HeapGraph (sub)class its queries
                                       # go through; default the generic model/heap/graph.HeapGraph
    overview: Callable[[Dump], list[tuple[str, str]]] = field(init=False, repr=False, compare=False)
    status_line: Callable[[Dump], str] = field(init=False, repr=False, compare=False)
    graph_source: Callable[..., Any] | None = field(init=False, repr=False, compare=False)
    graph_model: Callable[..., Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overview", _lazy(self.overview_fn or KIND_OVERVIEW[self.kinds[0]]))
        object.__setattr__(self, "status_line", _lazy(self.status_fn or KIND_STATUS[self.kinds[0]]))
        object.__setattr__(self, "graph_source", _lazy(self.graph_fn) if self.graph_fn else None)
        object.__setattr__(self, "graph_model", _lazy(self.graph_model_fn or "pmdesk.model.heap.graph:HeapGraph"))

    @property
    def name(self) -> str:
        return self.reader.SPEC.name

    @property
    def description(self) -> str:
        return self.reader.SPEC.description

    def has(self, kind: Kind) -> bool:
        return kind in self.kinds

    @property
    def file_filter(self) -> str:
        """The file dialog's filter line: 'Java heap dumps (…) (*.hprof *.hprof.gz *.bin)'."""
        return f"{self.description} ({' '.join('*' + e for e in self.reader.SPEC.extensions)})"


HPROF_MIME = MimeType("application/x-java-hprof", "Java heap dump", ("*.hprof", "*.hprof.gz"),
                      (Magic(b"JAVA PROFILE 1.0."),), uti="org.pmdesk.hprof")
GO_HEAP_MIME = MimeType("application/x-go-heapdump", "Go heap dump", ("*.heapdump",), (Magic(b"go1.7 heap dump\n"),),
                        uti="org.pmdesk.goheapdump")
PY_HEAP_MIME = MimeType("application/x-pmdesk-pyheap", "Python heap snapshot", ("*.pyheap",),
                        (Magic(b"pmdesk pyheap 1\n"),), uti="org.pmdesk.pyheap")
TRACEMALLOC_MIME = MimeType("application/x-python-tracemalloc", "tracemalloc snapshot", ("*.tracemalloc",),
                            (Magic(b"\x80", 0, None, (Magic(b"tracemalloc", 2, 64), Magic(b"Snapshot", 2, 96))),),
                            uti="org.pmdesk.tracemalloc")  # a binary pickle naming tracemalloc.Snapshot first
MEMRAY_MIME = MimeType("application/x-memray-capture", "memray capture", ("*.memray", "memray-*.bin"), (
    Magic(b"memray\0"), Magic(b"\x04\x22\x4d\x18", 0, None, (Magic(b"memray\0", 4, 64),))), uti="org.pmdesk.memray")
HEAPY_MIME = MimeType("text/x-heapy-stat", "heapy stat dump", ("*.heapy",), (Magic(b".loader: _load_stat\n"),),
                      "text/plain", uti="org.pmdesk.heapy")
JFR_MIME = MimeType("application/x-java-flight-recording", "Java Flight Recorder recording", ("*.jfr",),
                    (Magic(b"FLR\0"),), uti="org.pmdesk.jfr")
JAVA_THREADS_MIME = MimeType("text/x-java-thread-dump", "Java thread dump", ("*.tdump",), (
    Magic(b"Full thread dump", 0, 4096),            # jstack, jcmd Thread.print, SIGQUIT output
    Magic(b'"threadDump"', 0, 4096),                # jcmd Thread.dump_to_file -format=json
    Magic(b"Z\n", 0, 64, (Magic(b"\n\n#", 0, 256),)),  # its text form: pid, ISO time, version, then #tid "name"
    Magic("Full thread dump".encode("utf-16-le"), 0, 4096),  # saved as UTF-16 by Windows tools
    Magic(b'"', 0, None, (Magic(b" tid=0x", 1, 512, (Magic(b" nid=", 1, 512),)),)),  # threads without the header
    Magic(b'"', 0, None, (Magic(b" prio=", 1, 256, (Magic(b" Id=", 1, 256),)),)),  # ThreadInfo.toString()
), "text/plain", uti="org.pmdesk.threaddump")
GO_THREADS_MIME = MimeType("text/x-go-goroutine-dump", "Go goroutine dump", (), (
    Magic(b"goroutine "), Magic(b"\ngoroutine ", 0, 4096),
    Magic(b" goroutine ", 0, 4096, (Magic(b"]:\n", 0, 4096),))), "text/plain", uti="org.pmdesk.goroutines")  # a log's
_FIRST_CALL = Magic(b" (most recent call first):", 0, 4096)
PYTHON_THREADS_MIME = MimeType("text/x-python-faulthandler-dump", "Python faulthandler dump", (), (
    Magic(b"Thread 0x", 0, 4096, (_FIRST_CALL,)), Magic(b"Current thread 0x", 0, 4096, (_FIRST_CALL,)),
    Magic(b"Stack (most recent call first):\n"),  # the current thread alone (all_threads=False)
    Magic(b"\n\nStack (most recent call first):\n", 0, 4096)),
    "text/plain", uti="org.pmdesk.pythontraceback")
CORE_MIME = MimeType("application/x-core", "ELF core dump", ("*.core",), (  # shared-mime-info's own rules:
    Magic(b"\x7fELF", 0, None, (Magic(b"\x01", 5), Magic(b"\x04\x00", 16))),  # ELF, little-endian, ET_CORE
    Magic(b"\x7fELF", 0, None, (Magic(b"\x02", 5), Magic(b"\x00\x04", 16)))), system=True, uti="org.pmdesk.core")
COMPRESSED_CORE_MIME = MimeType("application/x-compressed-core", "compressed ELF core dump", (
    "core.*.zst", "core.*.xz", "core.*.gz", "*.core.zst", "*.core.xz", "*.core.gz"))  # systemd-coredump's names
# .ips is also an IPS patch's extension: GIO lets content decide between types claiming the same glob, so
# the glob is declared here and the magic tells an Apple report (its JSON metadata line) from a patch ('PATCH')
APPLE_CRASH_MIME = MimeType("application/x-apple-crash-report", "Apple crash report", ("*.ips", "*.crash"), (
    Magic(b'"bug_type"', 0, 1024, (Magic(b"{"),)),        # .ips: the one-line JSON metadata
    Magic(b"Incident Identifier:", 0, 8),                  # iOS and newer macOS .crash text
    Magic(b"Process:", 0, 8, (Magic(b"\nReport Version:", 0, 2048),))), "text/plain", uti="org.pmdesk.applecrash")
TOMBSTONE_MIME = MimeType("application/x-android-tombstone", "Android tombstone", (
    "tombstone_[0-9][0-9]", "tombstone_[0-9][0-9].pb", "*.tombstone"),  # debuggerd's names
    (Magic(b"*** *** *** *** *** *** *** *** *** *** *** *** *** *** *** ***"),), "text/plain",
    uti="org.pmdesk.tombstone")
HSERR_MIME = MimeType("text/x-java-fatal-error-log", "HotSpot fatal error log", ("hs_err_pid*.log",), (
    Magic(b"# A fatal error has been detected by the Java Runtime Environment:", 0, 4096),
    Magic(b"# An unexpected error has been detected by ", 0, 4096),
    Magic(b"# There is insufficient memory for the Java Runtime Environment to continue.", 0, 4096)),
    "text/plain", uti="org.pmdesk.hserr", open_with=("log",))
MINIDUMP_MIME = MimeType("application/x-dmp", "minidump", ("*.dmp", "*.mdmp"), (Magic(b"MDMP"),),
                         uti="org.pmdesk.minidump")
# profiles: pprof is protobuf (no content rule a desktop can test inside gzip); the text forms by their shape
PERF_DATA_MIME = MimeType("application/x-perf-data", "perf recording", ("perf.data", "perf.data.old", "*.perf"), (
    Magic(b"PERFILE2"), Magic(b"2ELIFREP")), uti="org.pmdesk.perfdata")
PPROF_MIME = MimeType("application/x-pprof", "pprof profile", ("*.pprof", "*.pb.gz"), uti="org.pmdesk.pprof")
FOLDED_MIME = MimeType("text/x-folded-stacks", "folded stacks", ("*.folded", "*.collapsed"), (), "text/plain",
                       uti="org.pmdesk.folded")
PERF_SCRIPT_MIME = MimeType("text/x-perf-script", "perf script output", ("*.perf-script",), (
    Magic(b": \n\t", 0, 4096),), "text/plain", uti="org.pmdesk.perfscript")  # a sample's header, then its frames
BPFTRACE_MIME = MimeType("text/x-bpftrace-output", "bpftrace output", (), (
    Magic(b"@[\n"), Magic(b"[\n", 0, 4096, (Magic(b"\n@", 0, 4096), Magic(b"]: ", 0, 4096))),  # a stack key
    Magic(b'{"type": "attached_probes"'), Magic(b'{"type": "map"')), "text/plain", uti="org.pmdesk.bpftrace")
OFFCPU_MIME = MimeType("text/x-offcputime-output", "offcputime output", (), (
    Magic(b"    -                ", 0, 4096),), "text/plain", uti="org.pmdesk.offcputime")

FORMATS: tuple[Format, ...] = (
    Format(HprofReader, "a Java heap dump", (Kind.HEAP_GRAPH,), (HPROF_MIME,),
           overview_fn="pmdesk.model.heap.hprof:overview",
           graph_fn="pmdesk.index.hprof.graph_input:graph_input", graph_model_fn="pmdesk.model.heap.hprof:HprofGraph"),
    Format(GoHeapReader, "a Go heap dump", (Kind.HEAP_GRAPH, Kind.SAMPLES), (GO_HEAP_MIME,),
           overview_fn="pmdesk.model.heap.go_heap:overview", graph_fn="pmdesk.index.goheap.graph_input:graph_input",
           graph_model_fn="pmdesk.model.heap.go_heap:GoHeapGraph"),
    Format(PyHeapReader, "a Python heap snapshot", (Kind.HEAP_GRAPH,), (PY_HEAP_MIME,),
           overview_fn="pmdesk.model.heap.py_heap:overview", graph_fn="pmdesk.index.pyheap.graph_input:graph_input",
           graph_model_fn="pmdesk.model.heap.py_heap:PyHeapGraph"),
    Format(JfrReader, "a JFR recording", (Kind.EVENTS, Kind.SAMPLES), (JFR_MIME,)),
    Format(ElfCoreReader, "an ELF core dump", (Kind.CRASH, Kind.THREADS), (CORE_MIME, COMPRESSED_CORE_MIME)),
    Format(AppleReportReader, "an Apple crash report", (Kind.CRASH,), (APPLE_CRASH_MIME,)),
    Format(TombstoneReader, "an Android tombstone", (Kind.CRASH,), (TOMBSTONE_MIME,)),
    Format(MinidumpReader, "a minidump", (Kind.CRASH,), (MINIDUMP_MIME,)),
    Format(HsErrReader, "a HotSpot fatal error log", (Kind.CRASH,), (HSERR_MIME,)),
    Format(ThreadDumpReader, "a thread dump", (Kind.THREADS,), (JAVA_THREADS_MIME, GO_THREADS_MIME,
                                                                PYTHON_THREADS_MIME)),
    Format(PerfDataReader, "a perf recording", (Kind.SAMPLES,), (PERF_DATA_MIME,)),
    Format(TracemallocReader, "a tracemalloc snapshot", (Kind.SAMPLES,), (TRACEMALLOC_MIME,),
           overview_fn="pmdesk.model.samples.allocations:overview"),
    Format(MemrayReader, "a memray capture", (Kind.SAMPLES,), (MEMRAY_MIME,),
           overview_fn="pmdesk.model.samples.memray_capture:overview"),
    Format(PprofReader, "a pprof profile", (Kind.SAMPLES,), (PPROF_MIME,)),
    Format(HeapyReader, "a heapy stat dump", (Kind.SAMPLES,), (HEAPY_MIME,),
           overview_fn="pmdesk.model.samples.heapy:overview"),
    Format(StackTextReader, "a profile as text", (Kind.SAMPLES,), (FOLDED_MIME, PERF_SCRIPT_MIME, BPFTRACE_MIME,
                                                                    OFFCPU_MIME)),
)

SESSION_MIME = MimeType("application/x-pmdesk-session", "pmdesk session", ("*.pmdesk",),
                        (Magic(b'"format": "pmdesk-session"', 0, 16),), "application/json", uti="org.pmdesk.session")


@cache
def formats() -> tuple[Format, ...]:
    """FORMATS in the order sniffing asks them (lowest reader priority first); names and priorities unique."""
    names = [f.name for f in FORMATS]
    prios = [f.reader.SPEC.priority for f in FORMATS]
    if len(set(names)) != len(names) or len(set(prios)) != len(prios):
        raise RuntimeError("reader names and priorities must be unique")
    return tuple(sorted(FORMATS, key=lambda f: f.reader.SPEC.priority))


def format_named(name: str) -> Format:
    """The format whose reader is called `name` (as an index records it)."""
    for f in formats():
        if f.name == name:
            return f
    raise KeyError(name)


def format_of(reader: Reader) -> Format:
    return format_named(reader.SPEC.name)


def known_formats() -> str:
    return ", ".join(f.description for f in formats())


def sniff(path: str) -> Format:
    """The format of `path`, chosen by content; raises UnsupportedFormat naming what pmdesk reads."""
    reader = sniff_with(path, [f.reader for f in formats()])
    if reader is None:
        head = read_head(path)
        known = not_yet_read(head)
        if known:
            raise UnsupportedFormat(path, f"is {known}, which pmdesk does not read yet (pmdesk formats lists what "
                                          "it reads)")
        raise UnsupportedFormat(path, f"looks like {describe_head(head)}, not a format pmdesk reads; it reads "
                                      f"{_kinds_in_words()} (pmdesk formats lists them)")
    return format_of(reader)


def _kinds_in_words() -> str:
    """'heap dumps, crash dumps, thread dumps and JFR recordings': the kinds, short however many formats."""
    words = [KIND_NOUNS[k].split(" (")[0] for k in Kind if any(f.has(k) for f in formats())]
    return ", ".join(words[:-1]) + " and " + words[-1]


def wrong_kind(path: str | os.PathLike[str], fmt: Format, command: str, needs: Sequence[Kind],
               suggest: str | None = None) -> PmdeskError:
    """The one-line error for a command given a file of a format it does not read."""
    nouns = " or ".join(KIND_NOUNS[k] for k in needs)
    tip = f" (try: pmdesk {suggest} {os.fspath(path)})" if suggest else ""
    return PmdeskError(path, f"is {fmt.what}; '{command}' reads {nouns}{tip}")
