"""The SQL views every index answers to (the query console's vocabulary, documented in the README and shown by
`pmdesk query FILE --views`): a dump's kinds decide which it has. Some are views over the index's own tables;
the heap's per-object ones are tables materialised once into the dump's query store (store.py) from the
graph's arrays — the index itself is never written.

heap graph: objects(id, class, shallow_bytes, retained_bytes, dominator, reachable), classes(name, objects,
shallow_bytes, retained_bytes), refs(source, target, weak), roots(id, class), strings(id, value: strings'
text, boxed numbers' value)
threads: threads(dump, idx, name, id, state, detail, daemon, native_id), frames(dump, thread_idx, thread,
depth, function, file, line, module)
crash: crash_threads(idx, tid, name, crashed, state), crash_frames(thread_idx, tid, thread, depth, pc,
module, module_offset, function, file, line, inlined, trust), crash_modules(name, path, base, end_,
build_id, symbols)
events (JFR): events(type, start_ns, duration_ns, thread)
"""

from __future__ import annotations

from dataclasses import dataclass

from pmdesk.model.formats import Kind


@dataclass(frozen=True)
class View:
    name: str
    kind: Kind
    columns: tuple[str, ...]
    sql: str | None = None        # a view over the index (the main database); None: materialised (store.py)
    what: str = ""


VIEWS: tuple[View, ...] = (
    View("objects", Kind.HEAP_GRAPH, ("id", "class", "shallow_bytes", "retained_bytes", "dominator", "reachable"),
         None, "every object: its id (address), class, shallow and retained bytes, immediate dominator's id "
         "(NULL: the GC roots), reachable (1 strong, 0 only through weak references or not at all)"),
    View("classes", Kind.HEAP_GRAPH, ("name", "objects", "shallow_bytes", "retained_bytes"),
         "SELECT name, count AS objects, shallow_bytes, retained_bytes FROM heap_histogram",
         "the class histogram"),
    View("refs", Kind.HEAP_GRAPH, ("source", "target", "weak"), None,
         "every reference between objects (ids); weak 1 for a weak/soft reference"),
    View("roots", Kind.HEAP_GRAPH, ("id", "class"), None, "the GC roots"),
    View("strings", Kind.HEAP_GRAPH, ("id", "value"), None,
         "the text of every string object and the value of every boxed number"),
    View("threads", Kind.THREADS, ("dump", "idx", "name", "id", "state", "detail", "daemon", "native_id"),
         "SELECT dump_idx AS dump, thread_idx AS idx, name, ident AS id, state, detail, daemon, native_id "
         "FROM td_thread", "every thread of every dump in the file"),
    View("frames", Kind.THREADS, ("dump", "thread_idx", "thread", "depth", "function", "file", "line", "module"),
         "SELECT t.dump_idx AS dump, t.thread_idx, t.name AS thread, f.depth, f.function, f.file, f.line, f.module "
         "FROM td_thread t JOIN td_stack_frame f ON f.stack_id = t.stack_id",
         "every frame of every thread, depth 0 the innermost"),
    View("crash_threads", Kind.CRASH, ("idx", "tid", "name", "crashed", "state"),
         "SELECT idx, tid, name, crashed, state FROM crash_thread", "the crashed process's threads"),
    View("crash_frames", Kind.CRASH, ("thread_idx", "tid", "thread", "depth", "pc", "module", "module_offset",
                                      "function", "file", "line", "inlined", "trust"),
         "SELECT f.thread_idx, t.tid, t.name AS thread, f.depth, f.pc, f.module, f.module_offset, f.function, "
         "f.file, f.line, f.inlined, f.trust FROM crash_frame f JOIN crash_thread t ON t.idx = f.thread_idx",
         "every frame of every thread of the crash"),
    View("crash_modules", Kind.CRASH, ("name", "path", "base", "end_", "build_id", "symbols"),
         "SELECT name, path, base, end_, build_id, symbols FROM crash_module", "the loaded images"),
    View("events", Kind.EVENTS, ("type", "start_ns", "duration_ns", "thread"), None,
         "every event of the recording: its type, start and duration in ns, thread name"),
)


def views_of(kinds: tuple[Kind, ...]) -> list[View]:
    """The views a dump of these kinds answers to."""
    return [v for v in VIEWS if v.kind in kinds]
