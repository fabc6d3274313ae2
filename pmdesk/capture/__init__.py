"""Capture a running Python interpreter's heap for pmdesk — pure standard library, importable without Qt,
numpy or numba, so it can be installed in (or copied into) the process being debugged.

    import pmdesk.capture
    pmdesk.capture.snapshot("app.pyheap")          # now
    pmdesk.capture.install("/tmp/app-{pid}-{time}.pyheap", signal_number=signal.SIGUSR2)  # later

`snapshot` writes every object the garbage collector tracks and every object reachable from them
(`gc.get_objects`, `gc.get_referents`) with its type and `sys.getsizeof` size (an instance's `__dict__`
is an object of its own), which objects each refers to (with the key, index, attribute or local name where
one is known), `sys.modules`, and every thread's frames with their locals. pmdesk indexes the file like a
Java heap dump: class histogram, dominator tree, retained sizes, paths to roots, suspects, duplicate strings.

The file format, version 1 — little-endian 64-bit words after a 16-byte header `pmdesk pyheap 1\\n`; each
record is a tag word and its fields:
  0 END     objects written (the file is complete only with it)
  1 STRING  byte length, then UTF-8 bytes padded to a word; strings are numbered 0, 1, … in file order
  2 TYPE    the type object's id, its name (a string number: 'module.QualName')
  3 OBJECT  id, its type's id, size in bytes (sys.getsizeof), n, then the ids of the n objects it refers to
            (a list's or tuple's in index order)
  4 LABELS  id, n, then n pairs (position among its references, name string) — a dict's keys, slots, a
            module's __dict__, a function's __globals__ and other attributes of built-in types
  5 ROOT    kind (1 sys.modules), the object's id, a name string
  6 THREAD  ident, name string, n, then its n frames' ids, innermost first
  7 FRAME   frame id, function string, file string, line, n, then n pairs (local name string, object id)
  8 VALUE   id, preview string (a str's first characters, a number's repr), hash of the whole value, length
  9 META    a JSON string: the Python version, pid, argv, when, how long the capture took
Ids are `id()`s (addresses in CPython). A reader must accept records it does not know only by failing.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import signal
import sys
import threading
import time
from array import array
from collections.abc import Callable
from types import BuiltinMethodType, CellType, FunctionType, MethodType, ModuleType
from typing import Any

MAGIC = b"pmdesk pyheap 1\n"
END, STRING, TYPE, OBJECT, LABELS, ROOT, THREAD, FRAME, VALUE, META = range(10)
ROOT_MODULES = 1
CO_OPTIMIZED = 0x1       # inspect.CO_OPTIMIZED: a function's frame (its f_locals is made on demand)
PREVIEW_CHARS = 200      # of a str kept to show it
FLUSH_WORDS = 1 << 20    # words buffered before a write
LABELLED_DICT_MAX = 100_000  # a bigger dict's values are not named by their keys (time)


class _Writer:
    """Words buffered and written; `own` holds the ids of the capture's own objects (its buffers among them:
    an array is an object the collector tracks), which the snapshot leaves out."""

    def __init__(self, f: Any, own: set[int]) -> None:
        self.f = f
        self.own = own
        self.words = array("q")
        self.strings: dict[str, int] = {}
        own.update((id(self), id(self.words), id(self.strings)))

    def flush(self) -> None:
        if sys.byteorder != "little":
            self.words.byteswap()
        self.f.write(self.words.tobytes())
        self.words = array("q")
        self.own.add(id(self.words))

    def string(self, text: str) -> int:
        sid = self.strings.get(text)
        if sid is None:
            data = text.encode("utf-8", "surrogatepass")
            sid = self.strings[text] = len(self.strings)
            w = self.words
            w.append(STRING)
            w.append(len(data))
            pad = data + b"\0" * (-len(data) % 8)
            w.frombytes(pad if sys.byteorder == "little" else array("q", pad).tobytes())
        return sid


def _type_name(t: type) -> str:
    mod = getattr(t, "__module__", None)
    qual = getattr(t, "__qualname__", None) or getattr(t, "__name__", "?")
    return qual if mod in (None, "builtins") else f"{mod}.{qual}"


_NAMED_ATTRIBUTES: dict[type, tuple[str, ...]] = {
    ModuleType: ("__dict__",),
    FunctionType: ("__globals__", "__code__", "__defaults__", "__kwdefaults__", "__closure__", "__dict__",
                       "__name__", "__qualname__", "__module__", "__annotations__", "__doc__"),
    BuiltinMethodType: ("__self__",),
    MethodType: ("__func__", "__self__"),
    CellType: ("cell_contents",),
}


def _labels(o: Any, refs: list[Any]) -> list[tuple[int, str]]:
    """(position among refs, name) for what a dict's str keys and an object's slots name. Nothing that could
    run the program's code is called (no getattr: a property or __getattr__ could), and no instance's
    __dict__ is asked for (asking makes CPython 3.11+ build one where it kept the values inline)."""
    pos: dict[int, int] = {}
    for i, r in enumerate(refs):
        pos.setdefault(id(r), i)
    out = []
    t = type(o)
    named = _NAMED_ATTRIBUTES.get(t)
    if named:  # built-in types whose attributes are plain slots: reading them runs no program code
        for name in named:
            i = pos.get(id(getattr(o, name, None)))
            if i is not None:
                out.append((i, name))
        return out
    if t is dict:
        if len(o) <= LABELLED_DICT_MAX:
            for k, v in o.items():
                i = pos.get(id(v))
                if i is not None and type(k) is str:
                    out.append((i, f"[{k[:80]!r}]"))
        return out
    for cls in t.__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots if isinstance(slots, (tuple, list)) else ():
            desc = cls.__dict__.get(name)
            if type(desc).__name__ != "member_descriptor":
                continue
            try:
                v = desc.__get__(o, t)
            except AttributeError:  # an empty slot
                continue
            if id(v) in pos:
                out.append((pos[id(v)], name))
    return out


def snapshot(path: str | os.PathLike[str], *, values: bool = True) -> dict[str, Any]:
    """Write the interpreter's heap to `path` (the format above); returns what was written: objects, bytes,
    seconds. `values`: keep strings' first characters and hashes (duplicate strings, previews)."""
    t0 = time.perf_counter()
    was_enabled = gc.isenabled()
    gc.disable()  # no collection may free (and so renumber) objects while they are walked
    tmp = f"{os.fspath(path)}.part"
    try:
        with open(tmp, "wb") as f:
            n = _write(f, values, t0)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    finally:
        if was_enabled:
            gc.enable()
    seconds = time.perf_counter() - t0
    return {"path": os.fspath(path), "objects": n, "bytes": os.path.getsize(path), "seconds": round(seconds, 3)}


def _write_frame(w: _Writer, fr: Any, made: list[Any], pending: list[Any]) -> None:
    """A FRAME record (its strings first: a STRING record must not split it); its locals and the frame itself
    are queued to be written. What it builds is freed when it returns (it must not be in the snapshot)."""
    names_values = fr.f_locals
    if fr.f_code.co_flags & CO_OPTIMIZED:  # a function's f_locals is a dict (or proxy) made for asking
        made.append(names_values)
        w.own.add(id(names_values))
    locs = [(w.string(str(name)), v) for name, v in names_values.items()]
    code = fr.f_code
    w.words.extend((FRAME, id(fr), w.string(getattr(code, "co_qualname", code.co_name)), w.string(code.co_filename),
                    fr.f_lineno or 0, len(locs)))
    for sid, v in locs:
        w.words.append(sid)
        w.words.append(id(v))
        pending.append(v)
    pending.append(fr)


def _write(f: Any, values: bool, t0: float) -> int:
    seen: set[int] = set()
    w = _Writer(f, seen)
    f.write(MAGIC)
    pending: list[Any] = []
    types: dict[int, bool] = {}  # type id -> whether its objects' references have names (dicts, slots)
    made: list[Any] = []  # kept alive until the end, so that no other object takes their ids
    seen.update((id(seen), id(pending), id(types), id(f), id(made)))
    here = os.path.abspath(__file__)
    me: Any = sys._getframe()
    while me is not None:  # the capture's own frames are not the program's
        if os.path.abspath(me.f_code.co_filename) == here:
            seen.add(id(me))
        me = me.f_back
    # Threads and their frames (this module's own frames left out).
    names = {t.ident: t.name for t in threading.enumerate()}
    seen.add(id(names))
    for ident, frame in sys._current_frames().items():
        chain = []
        fr: Any = frame
        while fr is not None:
            if os.path.abspath(fr.f_code.co_filename) != here:
                chain.append(fr)
            fr = fr.f_back
        for fr in chain:
            _write_frame(w, fr, made, pending)
        w.words.extend((THREAD, ident or 0, w.string(names.get(ident, f"thread {ident}")), len(chain)))
        w.words.extend(id(fr) for fr in chain)
        del chain, frame, fr
    pending.append(sys.modules)
    w.words.extend((ROOT, ROOT_MODULES, id(sys.modules), w.string("sys.modules")))
    objects = gc.get_objects()
    seen.add(id(objects))
    pending.extend(objects)
    del objects
    n = 0
    getsizeof, referents, words = sys.getsizeof, gc.get_referents, None
    while pending:
        o = pending.pop()
        oid = id(o)
        if oid in seen:
            continue
        seen.add(oid)
        t = type(o)
        tid = id(t)
        labelled = types.get(tid)
        if labelled is None:
            labelled = types[tid] = (t is dict or t in _NAMED_ATTRIBUTES
                                     or any("__slots__" in c.__dict__ for c in t.__mro__[:-1]))
            w.words.extend((TYPE, tid, w.string(_type_name(t))))
            pending.append(t)
        refs = referents(o)
        if t is list or t is tuple:  # their traversal visits the items last first: written in index order
            refs.reverse()
        elif isinstance(o, dict):  # a dict whose keys are all str does not visit them (they cannot make cycles)
            try:
                have = {id(r) for r in refs}
                refs += [k for k in dict.keys(o) if id(k) not in have]
            except RuntimeError:  # changed size while read (another thread): its keys as far as they go
                pass
        try:
            size = getsizeof(o)
        except Exception:  # an object whose __sizeof__ fails: its size is not known
            size = 0
        words = w.words
        words.extend((OBJECT, oid, tid, size, len(refs)))
        words.extend(map(id, refs))
        if refs:
            pending.extend(refs)
            if labelled:
                try:
                    labels = _labels(o, refs)
                except Exception:  # an object whose attributes cannot be read: no names
                    labels = []
                if labels:
                    pairs = [(i, w.string(name)) for i, name in labels]
                    words.extend((LABELS, oid, len(pairs)))
                    for i, sid in pairs:
                        words.append(i)
                        words.append(sid)
        elif values and (t is str or t is bytes):
            preview = o[:PREVIEW_CHARS] if t is str else o[:PREVIEW_CHARS].decode("latin-1")
            words.extend((VALUE, oid, w.string(preview), hash(o), len(o)))
        elif values and (t is int or t is float) and size <= 64:
            words.extend((VALUE, oid, w.string(repr(o)[:PREVIEW_CHARS]), hash(o), 0))
        n += 1
        if len(words) >= FLUSH_WORDS:
            w.flush()
    meta = {"python": sys.version, "implementation": sys.implementation.name, "pid": os.getpid(),
            "argv": sys.argv, "time": time.time(), "capture_seconds": round(time.perf_counter() - t0, 3),
            "executable": sys.executable, "platform": sys.platform}
    w.words.extend((META, w.string(json.dumps(meta))))
    w.words.extend((END, n))
    w.flush()
    return n


def _expand(pattern: str) -> str:
    return pattern.format(pid=os.getpid(), time=time.strftime("%Y%m%d-%H%M%S"))


def install(path: str = "pmdesk-{pid}-{time}.pyheap", *, at_exit: bool = False, signal_number: int | None = None,
            on_exception: bool = False, on_memory_error: bool = True) -> None:
    """Write a snapshot to `path` ({pid} and {time} filled in) when something happens: at exit, on a signal
    (`signal_number`, from the main thread), on an unhandled exception, or on an unhandled MemoryError
    (when memory is short the snapshot may fail too: it is written as far as it gets, as `path.part`)."""
    def take(why: str) -> None:
        try:
            out = snapshot(_expand(path))
            print(f"pmdesk.capture: {why}: heap written to {out['path']} ({out['objects']:,} objects)",
                  file=sys.stderr)
        except Exception as e:  # a failing capture must not hide why the program is dying
            print(f"pmdesk.capture: {why}: the heap could not be written: {e}", file=sys.stderr)

    if at_exit:
        atexit.register(take, "at exit")
    if signal_number is not None:
        signal.signal(signal_number, lambda _s, _f: take(f"signal {signal_number}"))
    if on_exception or on_memory_error:
        previous: Callable[..., Any] = sys.excepthook
        previous_thread = threading.excepthook

        def wanted(kind: type[BaseException]) -> bool:
            return on_exception or issubclass(kind, MemoryError)

        def hook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
            if wanted(kind):
                take(f"unhandled {kind.__name__}")
            previous(kind, value, tb)

        def thread_hook(args: Any) -> None:
            if wanted(args.exc_type):
                take(f"unhandled {args.exc_type.__name__} in thread {args.thread.name if args.thread else '?'}")
            previous_thread(args)

        sys.excepthook = hook
        threading.excepthook = thread_hook
