"""Go heap dumps (runtime/debug.WriteHeapDump) on the heap-graph model, against what the Go runtime itself
said of the same process: ReadMemStats just before the dump, what a GC freed when the leak's last reference
was dropped just after it, and `go tool pprof` on the heap profile written just before it
(tests/data/heaps/go/gen.sh)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from pmdesk import cli
from pmdesk.base.errors import PmdeskError
from pmdesk.index.derive.dominators import subtree_sizes
from pmdesk.model.dump import Dump
from pmdesk.model.heap import diff as heap_diff
from pmdesk.model.heap.graph import ensure_graph, heap_graph
from pmdesk.model.heap.report import leak_suspects, threads
from pmdesk.model.samples.profile import Selection, load, select
from tests.conftest import DATA, ROOT, assert_read_only_dump_untouched, run_cli

GO = DATA / "heaps" / "go"
CORPUS_DUMP = ROOT.parent / "shared" / "corpus" / "out" / "native" / "go" / "heapdump.bin"


def truth(n: int) -> dict:
    return json.loads((GO / f"leak-{n}.truth.json").read_text())


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    out = tmp_path_factory.mktemp("go")
    paths = {}
    for n in (1000, 1500):
        paths[n] = out / f"leak-{n}.heapdump"
        paths[n].write_bytes(gzip.decompress((GO / f"leak-{n}.heapdump.gz").read_bytes()))
    return paths


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("index")


def opened(path: Path, index: Path) -> Dump:
    d = Dump.open(path, index_dir=index)
    ensure_graph(d)
    return d


@pytest.mark.parametrize("n", [1000, 1500])
def test_objects_and_bytes_equal_the_runtimes_memstats(dumps: dict[int, Path], index: Path, n: int) -> None:
    d = Dump.open(dumps[n], index_dir=index)
    t = truth(n)
    assert d.meta["summary.objects"] == t["heap_objects"] == d.meta["goheap.memstats.heap_objects"]
    assert d.meta["summary.shallow_bytes"] == t["heap_alloc"] == d.meta["goheap.memstats.heap_alloc"]
    rows = d.conn.execute("SELECT SUM(count), SUM(shallow_bytes) FROM heap_histogram").fetchone()
    assert rows == (t["heap_objects"], t["heap_alloc"])
    assert d.meta["goheap.go_version"] == t["go_version"]


@pytest.mark.parametrize("n", [1000, 1500])
def test_leak_retains_what_the_gc_freed_when_it_was_dropped(dumps: dict[int, Path], index: Path, n: int) -> None:
    g = heap_graph(opened(dumps[n], index))
    t = truth(n)
    node = g.node_of(int(t["registry_addr"], 16))
    assert node is not None
    start, kids = g._dom
    objects = subtree_sizes(len(g.idom), start, kids)[node]
    assert (int(g.retained[node]), int(objects)) == (t["leak_freed_bytes"], t["leak_freed_objects"])
    assert g.meta["graph.unreachable"] == 0  # two GCs ran just before the dump
    suspects, _heap = leak_suspects(g)
    assert suspects[0].objects[0].node == node
    assert suspects[0].accumulation_point is not None
    assert suspects[0].accumulation_point.class_name == "57,344 B from main.fill"  # the map's buckets


def test_goroutines_hold_their_frames_buffers(dumps: dict[int, Path], index: Path) -> None:
    g = heap_graph(opened(dumps[1000], index))
    t = truth(1000)
    workers = [th for th in threads(g) if any(f.method == "main.worker" for f in th.frames)]
    assert len(workers) == t["workers"]
    assert sorted(th.obj.retained_bytes for th in workers) == t["worker_buffer_bytes"]
    for th in workers:
        frame = next(f for f in th.frames if f.method == "main.worker")
        assert frame.retained_bytes == th.obj.retained_bytes
        assert re.fullmatch(r"goroutine \d+ \[chan receive\]", th.name)
    reasons = {th.name.split("[", 1)[1] for th in threads(g)}
    assert "finalizer wait]" in reasons


def test_interfaces_type_the_objects_they_point_at(dumps: dict[int, Path], index: Path) -> None:
    d = Dump.open(dumps[1000], index_dir=index)
    (count,) = d.conn.execute("SELECT count FROM heap_histogram WHERE name = 'main.statusError'").fetchone()
    assert count == truth(1000)["status_errors"]


def _pprof_flat(path: Path) -> dict[str, int]:
    """function -> flat bytes from `go tool pprof -top -unit=B`."""
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"\s*(\d+)B?\s+\S+%\s+\S+%\s+\d+B?\s+\S+%\s+(.+)$", line)
        if m:
            out[m.group(2)] = int(m.group(1))
    return out


@pytest.mark.parametrize("n", [1000, 1500])
def test_live_objects_by_allocation_site_equal_pprof(dumps: dict[int, Path], index: Path, n: int) -> None:
    d = Dump.open(dumps[n], index_dir=index)
    prof = select(load(d), Selection(type="inuse_space"))
    flat = {f["function"]: f["self"] for f in prof.functions()}
    want = _pprof_flat(GO / f"leak-{n}.inuse_space.pprof-top.txt")
    assert want and {k: int(flat.get(k, 0)) for k in want} == want


def test_compare_two_dumps_finds_the_map_grew(dumps: dict[int, Path], index: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    a, b = (heap_graph(opened(dumps[n], index)) for n in (1000, 1500))
    c = heap_diff.compare(a, b)
    grew = {x.name: x for x in c.classes}
    assert grew["1,024 B from main.fill"].count_b - grew["1,024 B from main.fill"].count_a == 500
    top = c.holders[0]
    assert top.retained_b - top.retained_a >= 500 * 1024
    rc, out, _err = run_cli(capsys, "diff", str(dumps[1000]), str(dumps[1500]), "--index-dir", str(index), "--json")
    assert rc == 0 and {"a", "b", "classes", "holders"} <= set(json.loads(out))


def test_heap_commands_give_the_hprof_json_shapes(dumps: dict[int, Path], index: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    f = str(dumps[1000])
    reg = truth(1000)["registry_addr"]
    for argv in (["histogram"], ["biggest"], ["dominators"], ["suspects"], ["object", reg], ["paths", "0xc0"]):
        rc, out, err = run_cli(capsys, *argv[:1], f, *argv[1:], "--index-dir", str(index), "--json")
        if argv[0] == "paths":
            assert rc != 0 and err.count("\n") == 1 and f in err  # no object at that id: one line
            continue
        assert rc == 0, err
        doc = json.loads(out)
        assert doc["file"] == f
    rc, out, _err = run_cli(capsys, "object", f, reg, "--index-dir", str(index), "--json")
    doc = json.loads(out)
    assert doc["gc_roots"] and doc["gc_roots"][0].startswith("global at 0x")
    assert doc["allocation_stack"][0].startswith("main.main ")
    assert doc["fields"][0]["name"] == "+0x0" and doc["fields"][0]["type"] == "pointer"
    rc, out, _err = run_cli(capsys, "info", f, "--index-dir", str(index))
    assert "memstats HeapObjects" in out and "Goroutines" in out
    rc, out, _err = run_cli(capsys, "strings", f, "--index-dir", str(index), "--json")
    assert json.loads(out) == {"file": f, "strings": [], "strings_known": False}  # said, not an empty finding


def test_the_corpus_dump_reads_with_its_garbage_unreachable(index: Path) -> None:
    if not CORPUS_DUMP.exists():
        pytest.skip("../shared/corpus/out/native/go/heapdump.bin not present")
    d = opened(CORPUS_DUMP, index)
    assert d.meta["summary.objects"] == d.meta["goheap.memstats.heap_objects"]
    assert d.meta["summary.shallow_bytes"] == d.meta["goheap.memstats.heap_alloc"]
    g = heap_graph(d)
    assert g.heap_bytes + int(g.shallow[:g.n_objects][g.reach[:g.n_objects] == 2].sum()) == g.shallow.sum()


# ---------------------------------------------------------------- bad input
def test_a_cut_dump_indexes_what_it_holds_and_says_where(dumps: dict[int, Path], tmp_path: Path) -> None:
    data = dumps[1000].read_bytes()
    cut = tmp_path / "cut.heapdump"
    cut.write_bytes(data[:len(data) // 2])
    d = Dump.open(cut, index_dir=tmp_path / "i")
    assert 0 < d.meta["summary.objects"] < truth(1000)["heap_objects"]
    assert d.meta["goheap.truncated_at"] <= len(data) // 2
    assert any(x.code == "goheap.truncated" for x in d.diagnostics())
    ensure_graph(d)  # the graph of what is there


@pytest.mark.parametrize(("what", "damage"), [
    ("header only", lambda b: b[:16]),
    ("unknown tag", lambda b: b[:16] + b"\x63" + b[17:]),
    ("varint that never ends", lambda b: b[:16] + b"\x01" + b"\xff" * 64),
    ("object bigger than the file", lambda b: b[:16] + b"\x01\x80\x80\x80\x80\x01\xff\xff\xff\xff\x0f" + b[16:40]),
])
def test_damaged_dumps_give_one_line(dumps: dict[int, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     what: str, damage) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.heapdump"
    bad.write_bytes(damage(dumps[1000].read_bytes()))
    rc, _out, err = run_cli(capsys, "histogram", str(bad), "--index-dir", str(tmp_path / "i"))
    lines = [ln for ln in err.splitlines() if not ln.startswith("warning:")]
    if rc == 0:  # a cut: what is there is read, and a warning says so
        assert "cut short" in err, what
    else:
        assert rc == cli.EXIT_UNREADABLE and len(lines) == 1 and str(bad) in lines[0], (what, err)
        assert "Traceback" not in err


def test_the_dump_is_never_written(dumps: dict[int, Path], tmp_path: Path) -> None:
    assert_read_only_dump_untouched(dumps[1000], tmp_path, ".heapdump")


def test_not_a_go_heap_dump_is_refused_by_the_reader(tmp_path: Path) -> None:
    from pmdesk.readers.goheap.reader import GoHeapScan

    other = tmp_path / "x.heapdump"
    other.write_bytes(b"JAVA PROFILE 1.0.2\0" + b"\0" * 64)
    with pytest.raises(PmdeskError, match="not a Go heap dump"):
        GoHeapScan(str(other), None, None).run()  # type: ignore[arg-type]


# ---------------------------------------------------------------- the program's DWARF (--exe)
@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    exe = tmp_path_factory.mktemp("exe") / "leakdump"
    exe.write_bytes(gzip.decompress((GO / "leakdump.gz").read_bytes()))  # gen.sh's -trimpath build
    return exe


@pytest.mark.parametrize("n", [1000, 1500])
def test_the_program_types_the_objects_and_names_the_globals(dumps: dict[int, Path], index: Path, program: Path,
                                                             n: int, capsys: pytest.CaptureFixture[str]) -> None:
    t = truth(n)
    f = str(dumps[n])
    with_exe = ["--exe", str(program), "--index-dir", str(index), "--json"]
    rc, out, err = run_cli(capsys, "histogram", f, *with_exe)
    assert rc == 0, err
    doc = json.loads(out)
    counts = {c["name"]: c["count"] for c in doc["classes"]}
    assert counts["main.Session"] == t["sessions"] and counts["main.Registry"] == 1
    assert counts["[]bucket<string,*main.Session>"] >= 1 and counts["[]error"] == 1
    assert (doc["objects"], doc["shallow_bytes"]) == (t["heap_objects"], t["heap_alloc"])
    rc, out, err = run_cli(capsys, "object", f, t["registry_addr"], *with_exe)
    obj = json.loads(out)
    assert obj["class"] == "main.Registry" and obj["gc_roots"] == ["global main.registry (bss)"]
    assert obj["retained_bytes"] == t["leak_freed_bytes"]
    rc, out, _err = run_cli(capsys, "object", f, t["registry_addr"], "--index-dir", str(index), "--json")
    assert json.loads(out)["gc_roots"][0].startswith("global at 0x")  # the plain index, untouched


def test_exe_is_refused_in_one_line_where_it_cannot_serve(dumps: dict[int, Path], tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    f = str(dumps[1000])
    not_elf = tmp_path / "notes.txt"
    not_elf.write_text("not a program")
    for exe in (str(tmp_path / "missing"), str(not_elf)):
        rc, _out, err = run_cli(capsys, "histogram", f, "--exe", exe, "--index-dir", str(tmp_path / "i"))
        assert rc != 0 and err.count("\n") == 1 and exe in err and "Traceback" not in err, err
    hprof = DATA / "leak-nocoops-phase1.hprof"
    rc, _out, err = run_cli(capsys, "histogram", str(hprof), "--exe", str(not_elf), "--index-dir", str(tmp_path / "i"))
    assert rc != 0 and err.count("\n") == 1 and "Go heap dumps only" in err
