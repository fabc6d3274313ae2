"""CLI commands for any dump: `info` (format, reader, index and summary figures) and `index` (build or
rebuild the index, and a heap dump's object graph)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from pmdesk.cli.command import (
    EXE,
    FILE,
    INDEX_DIR,
    JSON,
    Arg,
    Command,
    Invocation,
    Output,
    end_progress,
    terminal_progress,
)
from pmdesk.model.formats import Kind


def info(inv: Invocation) -> Output:
    args = inv.args
    dump = inv.open(args.file)
    m = dump.meta
    doc: dict[str, Any] = {
        "file": args.file, "format": dump.format, "size": m.get("dump.size"),
        "reader": dump.reader.SPEC.name, "reader_version": dump.reader.SPEC.version,
        "index_path": str(dump.index_path), "index_state": "built" if dump.built else "reused",
        "index_seconds": m.get("index.seconds"),
        "summary": {k.split(".", 1)[1]: v for k, v in m.items() if k.startswith("summary.")},
        "details": {k: v for k, v in m.items() if k.startswith(f"{dump.format}.")},
        "graph": {k.split(".", 1)[1]: v for k, v in m.items() if k.startswith("graph.")} or None,
        "diagnostics": len(dump.diagnostics()),
    }

    def text() -> Iterator[str]:
        for label, value in dump.spec.overview(dump):
            yield f"{label + ':':<24}{value}"
        yield f"{'Index state:':<24}{doc['index_state']}"
        yield f"{'Diagnostics:':<24}{doc['diagnostics']}"

    return Output(doc, text, indent=2)


def index(inv: Invocation) -> Output:
    from pmdesk.model.heap.graph import ensure_graph

    args = inv.args
    dump = inv.open(args.file, force=args.force)

    def text() -> Iterator[str]:  # the graph is built after the first line is out
        m = dump.meta
        yield (f"{args.file}: index {'built' if dump.built else 'up to date'} in {m.get('index.seconds', 0):.2f} s "
               f"-> {dump.index_path}")
        if dump.has(Kind.HEAP_GRAPH) and not args.no_graph:
            had = "graph.version" in m
            bar = terminal_progress(f"{os.path.basename(args.file)} graph")
            try:
                ensure_graph(dump, bar)
            finally:
                end_progress(bar)
            m = dump.meta
            yield (f"{args.file}: object graph {'up to date' if had else 'built'} in {m['graph.seconds']:.2f} s: "
                   f"{m['graph.nodes']:,} objects, {m['graph.edges']:,} references")

    return Output(None, text)


def formats(inv: Invocation) -> Output:
    from pmdesk.cli.registry import COMMANDS as ALL
    from pmdesk.model.formats import formats as registered

    doc = {"formats": [{"name": f.name, "description": f.description, "kinds": [str(k) for k in f.kinds],
                        "extensions": list(f.reader.SPEC.extensions), "mime_types": [m.name for m in f.mime],
                        "commands": [c.name for c in ALL if set(c.kinds) & set(f.kinds)]} for f in registered()]}

    def text() -> Iterator[str]:
        for f in doc["formats"]:
            yield f"{f['description']}"
            yield f"    files: {' '.join('*' + e for e in f['extensions'])}   commands: {', '.join(f['commands'])}"

    return Output(doc, text)


COMMANDS = (
    Command("info", "any dump: format, size, reader, index and summary figures", info, (FILE, INDEX_DIR, EXE, JSON),
            summary="format, reader, index path and state, summary figures"),
    Command("index", "any dump: build (or rebuild) the index", index, (
        FILE, INDEX_DIR, EXE, Arg.of("--force", action="store_true", help="rebuild even if a current index exists"),
        Arg.of("--no-graph", action="store_true",
               help="heap dumps: stop after the histogram (no object graph, dominators, retained sizes)")),
        summary="build or rebuild the index (progress bar on a terminal)"),
    Command("formats", "the formats pmdesk reads, their files and the commands for each", formats, (JSON,),
            summary="the formats pmdesk reads and the commands for each"),
)
