"""Triage: signatures that put two crashes of one bug from different runs (ASLR) in one bucket and a different
fault of the same program in another — on cores of a real program crashed here under gdb — and the same for
the thread dumps, heap dumps and error logs in tests/data; `pmdesk triage --json`'s contract; hostile and
unreadable files as error rows (a worker killed by the memory limit, a timeout); systemd-coredump's storage
names and a coredumpctl listing; the retention policy (dry run, then compressed copies that read the same);
the inbox's marks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pmdesk.model.dump import Dump
from pmdesk.model.triage import inbox as inboxes
from pmdesk.model.triage import retention
from pmdesk.model.triage.buckets import bucket_rows
from pmdesk.model.triage.pool import Limits, summarise_all
from pmdesk.model.triage.signature import signature_of
from pmdesk.model.triage.sources import find, resolve_listing

DATA = Path(__file__).parent / "data"
PROGRAM = r"""
#include <stdlib.h>
#include <string.h>
struct config { int *slots; };
__attribute__((noinline)) void store_value(struct config *c, int v) { c->slots[3] = v; }
__attribute__((noinline)) void check_budget(int v) { if (v > 10) abort(); }
int main(int argc, char **argv) {
    struct config c = {0};
    if (argc > 1 && strcmp(argv[1], "abort") == 0) check_budget(42);
    store_value(&c, 42);
    return 0;
}
"""


def _core(program: Path, mode: str, out: Path) -> None:
    """A core of `program` written by gdb where it died (address randomisation on, as outside gdb)."""
    subprocess.run(["gdb", "-q", "-batch", "-ex", "set disable-randomization off", "-ex", "run",
                    "-ex", f"generate-core-file {out}", "--args", str(program), mode],
                   capture_output=True, timeout=120, check=False)
    if not out.exists():
        pytest.skip("gdb wrote no core here")


@pytest.fixture(scope="module")
def crashes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of real cores: three runs of one null dereference, one abort of the same program."""
    if not (shutil.which("gdb") and shutil.which("gcc")):
        pytest.skip("needs gdb and gcc")
    d = tmp_path_factory.mktemp("crashes")
    (d / "two.c").write_text(PROGRAM)
    subprocess.run(["gcc", "-g", "-O1", "-o", str(d / "two"), str(d / "two.c")], check=True)
    for name, mode in (("segv-run1.core", "segv"), ("segv-run2.core", "segv"), ("segv-run3.core", "segv"),
                       ("abort.core", "abort")):
        _core(d / "two", mode, d / name)
    return d


def _crash(path: Path, index: Path):  # noqa: ANN202
    from pmdesk.model.crash.store import load_crash

    with Dump.open(str(path), index_dir=index) as d:
        return load_crash(d), signature_of(d)


def test_one_bug_from_two_runs_is_one_bucket_a_different_fault_another(crashes: Path, tmp_path: Path) -> None:
    (c1, s1), (c2, s2), (c3, s3) = (_crash(crashes / n, tmp_path) for n in
                                    ("segv-run1.core", "segv-run2.core", "abort.core"))
    base = [next(m.base for m in c.modules if m.name.endswith("/two")) for c in (c1, c2)]
    assert base[0] != base[1], "address randomisation was off: the two runs are not a test of it"
    assert s1.signature == s2.signature == "store_value"
    assert s3.signature == "abort | check_budget"
    assert s1.kind == "crash" and s1.reason.startswith("SIGSEGV")


def test_triage_json_contract_and_buckets(crashes: Path, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    shutil.copytree(crashes, folder / "cores")
    for name in ("deadlock-sync.jstack.txt", "deadlock-sync.jcmd-thread-print.txt", "deadlock-sync.sigquit.stdout.log",
                 "deadlock-rlock.jstack.txt"):
        shutil.copy(DATA / "threads" / name, folder / name)
    for log in sorted((DATA / "hserr").glob("jdk*-native-hs_err_pid*.log")):
        shutil.copy(log, folder / log.name)
    (folder / "empty.hprof").write_bytes(b"")
    (folder / "notes.txt").write_text("not a dump\n")
    (folder / "truncated.core").write_bytes((crashes / "abort.core").read_bytes()[:3000])
    r = subprocess.run([sys.executable, "-m", "pmdesk", "triage", str(folder), "--json", "--index-dir",
                        str(tmp_path / "idx")], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert {"buckets", "errors"} <= set(doc)
    for b in doc["buckets"]:
        assert {"signature", "kind", "count", "first_seen", "last_seen", "bytes", "dumps"} <= set(b)
        assert b["count"] == len(b["dumps"]) and all("path" in x for x in b["dumps"])
        assert b["bytes"] == sum(x["bytes"] for x in b["dumps"])
        assert b["first_seen"] <= b["last_seen"]
    by_sig = {b["signature"]: b for b in doc["buckets"]}
    assert {Path(x["path"]).name for x in by_sig["store_value"]["dumps"]} == {f"segv-run{i}.core" for i in (1, 2, 3)}
    assert by_sig["abort | check_budget"]["count"] == 1
    sync = next(b for s, b in by_sig.items() if s.startswith("deadlock | ") and "SyncDeadlock" in s)
    assert sync["count"] == 3 and sync["kind"] == "threads"   # one deadlock as jstack, jcmd and SIGQUIT print it
    assert any("LockDeadlock" in s for s in by_sig)            # the ReentrantLock one is another bucket
    native = [b for b in doc["buckets"] if b["kind"] == "crash" and b["count"] == 2 and b["signature"] == "fault"]
    assert native, "the JDK 17 and 25 logs of one native crash share a bucket"
    errors = {Path(e["path"]).name: e["error"] for e in doc["errors"]}
    assert set(errors) == {"empty.hprof"}
    cut = next(x for b in doc["buckets"] for x in b["dumps"] if x["path"].endswith("truncated.core"))
    assert any("no threads" in w for w in cut["warnings"])   # read as far as it goes, and said so
    assert all("\n" not in e and "Traceback" not in e for e in errors.values())
    assert doc["skipped"] >= 2   # notes.txt, two.c, the program itself


def test_worker_over_its_memory_or_time_is_an_error_row_and_the_run_goes_on(crashes: Path, tmp_path: Path) -> None:
    paths = [str(crashes / "segv-run1.core"), str(crashes / "abort.core")]
    rows = summarise_all(paths, str(tmp_path / "idx"), workers=2, limits=Limits(memory_bytes=8 << 20))
    assert [r["path"] for r in rows] == paths
    assert all("MiB of memory" in r["error"] for r in rows)
    rows = summarise_all(paths[:1], str(tmp_path / "idx"), workers=1, limits=Limits(seconds=0.01))
    assert "longer than" in rows[0]["error"]
    rows = summarise_all(paths, str(tmp_path / "idx"), workers=1)   # a fresh worker after the killed ones
    assert [r["signature"] for r in rows] == ["store_value", "abort | check_budget"]


def test_heap_dumps_of_one_leak_from_two_runs_share_a_signature(tmp_path: Path) -> None:
    a = DATA / "leak-nocoops-phase1.hprof"   # compressed oops off
    b = DATA / "leak-phase2.hprof.gz"        # another run, on, later in the leak
    sigs = []
    for p in (a, b):
        with Dump.open(str(p), index_dir=tmp_path) as d:
            sigs.append(signature_of(d))
    assert sigs[0].signature == sigs[1].signature
    assert sigs[0].signature.startswith("com.example.leak.LeakApp | held by ")
    assert "accumulates in java.util.HashMap$Node[]" in sigs[0].signature


def test_systemd_storage_names_and_coredumpctl_listing(crashes: Path, tmp_path: Path) -> None:
    """systemd-coredump's file names (coredump.c: core.COMM.UID.BOOT_ID.PID.USEC.zst) give the crash time;
    a listing's entries are matched to them by pid and time, and a core it did not keep is an error row."""
    import zstandard

    storage = tmp_path / "coredump"
    storage.mkdir()
    usec = 1764979200123456   # 2025-12-06T00:00:00Z
    name = f"core.two.0.{'ab' * 16}.4242.{usec}.zst"
    (storage / name).write_bytes(zstandard.ZstdCompressor().compress((crashes / "abort.core").read_bytes()))
    listing = [{"time": usec, "pid": 4242, "uid": 0, "gid": 0, "sig": 6, "corefile": "present",
                "exe": "/tmp/two", "size": 1},
               {"time": usec + 5, "pid": 4343, "uid": 0, "gid": 0, "sig": 11, "corefile": "missing",
                "exe": "/usr/bin/big", "size": None}]
    resolved = resolve_listing(listing, str(storage))
    assert resolved[0] == (str(storage / name), None)
    assert "kept no core" in resolved[1][1]
    lst = tmp_path / "list.json"
    lst.write_text(json.dumps(listing))
    found = find([str(lst)], str(storage))
    assert found.paths == [str(storage / name)] and len(found.errors) == 1
    rows = summarise_all(found.paths, str(tmp_path / "idx"), workers=1)
    assert rows[0]["time"] == "2025-12-06T00:00:00Z" and rows[0]["compressed"]
    assert rows[0]["raw_bytes"] == (crashes / "abort.core").stat().st_size > rows[0]["bytes"]
    assert rows[0]["signature"] == "abort | check_budget"


def test_keep_policy_dry_run_then_compressed_copies_read_the_same(crashes: Path, tmp_path: Path) -> None:
    folder = tmp_path / "f"
    folder.mkdir()
    for i in range(3):   # three runs of one bug, a day apart
        shutil.copy(crashes / f"segv-run{i + 1}.core", folder / f"s{i}.core")
        os.utime(folder / f"s{i}.core", (1_700_000_000 + i * 86400,) * 2)
    shutil.copy(DATA / "threads" / "deadlock-sync.jstack.txt", folder / "d.txt")
    rows = summarise_all(find([str(folder)]).paths, str(tmp_path / "idx"), workers=2)
    inbox = inboxes.Inbox(str(folder))
    s1 = next(r for r in rows if r["path"].endswith("s1.core"))
    inbox.annotate(s1["content_key"], "the one the customer sent")
    with pytest.raises(Exception, match="keep=N"):
        retention.Policy.parse("compress")
    plan = retention.plan(rows, retention.Policy.parse("keep=1,compress,delete-after=100000"), inbox)
    what = {Path(a.path).name: (a.action, a.why) for a in plan}
    assert what["s2.core"] == ("keep", "the newest") and what["s1.core"] == ("keep", "annotated")
    assert what["s0.core"][0] == "compress"
    assert what["d.txt"][0] == "keep"   # a text thread dump: its reader reads no compressed form
    assert all(Path(a.path).exists() for a in plan)   # a dry run changed nothing
    before = {Path(a.path).name: signature_of_file(a.path, tmp_path) for a in plan if a.action == "compress"}
    assert retention.apply(plan) == []
    for name, sig in before.items():
        assert not (folder / name).exists()
        assert signature_of_file(str(folder / (name + ".zst")), tmp_path) == sig
    old = retention.plan(summarise_all(find([str(folder)]).paths, str(tmp_path / "idx"), workers=2),
                         retention.Policy.parse("keep=1,delete-after=1"), inbox)
    assert [Path(a.path).name for a in old if a.action == "delete"] == ["s0.core.zst"]


def signature_of_file(path: str, tmp: Path) -> str:
    with Dump.open(path, index_dir=tmp / "sig") as d:
        return signature_of(d).signature


def test_inbox_marks_and_notes_persist_per_folder(tmp_path: Path) -> None:
    key = inboxes.folder_key([str(tmp_path)])
    box = inboxes.load(key, tmp_path / "data")
    box.mark("store_value", "known", "JIRA-12: fixed in 2.3")
    with pytest.raises(ValueError, match="known"):
        box.mark("x", "done")
    inboxes.save(box, tmp_path / "data")
    again = inboxes.load(key, tmp_path / "data")
    assert again.state("store_value").mark == "known" and again.state("store_value").note.startswith("JIRA-12")
    assert again.state("other").mark == "new"
    inboxes.inbox_file(key, tmp_path / "data").write_text("{not json")
    assert inboxes.load(key, tmp_path / "data").buckets == {}


def test_buckets_order_and_representative() -> None:
    rows = [{"path": f"/d/{i}", "kind": "crash", "signature": s, "time": t, "bytes": 1}
            for i, (s, t) in enumerate([("a", "2026-01-02T00:00:00Z"), ("b", "2026-01-01T00:00:00Z"),
                                        ("a", "2026-01-03T00:00:00Z"), ("b", "2026-01-04T00:00:00Z"),
                                        ("c", "2026-01-05T00:00:00Z")])]
    rows.append({"path": "/d/bad", "error": "truncated"})
    got = bucket_rows(rows)
    assert [(b.signature, b.count) for b in got] == [("b", 2), ("a", 2), ("c", 1)]
    assert got[1].representative["path"] == "/d/2" and got[1].first_seen == "2026-01-02T00:00:00Z"


def test_gzip_compressed_heap_dump_is_what_retention_writes() -> None:
    assert retention.compression_for({"format": "hprof", "compressed": False}) == "gzip"
    assert retention.compression_for({"format": "elfcore", "compressed": False}) == "zstd"
    assert retention.compression_for({"format": "minidump", "compressed": False}) is None
    assert retention.compression_for({"format": "elfcore", "compressed": True}) is None


def test_dumps_named_by_url_are_fetched_once_and_keep_their_url(crashes: Path, tmp_path: Path) -> None:
    """An object store's prefix (here through fsspec's file:// driver, as s3:// goes through s3fs): its dumps
    listed, each fetched into the index folder with the object's time, indexed, the row keeping the URL."""
    pytest.importorskip("fsspec")
    os.utime(crashes / "abort.core", (1_700_000_000, 1_700_000_000))
    url = (crashes / "abort.core").as_uri()
    found = find([crashes.as_uri()])
    assert url in found.paths and all(p.startswith("file://") for p in found.paths)
    assert not any(p.endswith((".c", "/two")) for p in found.paths)   # only what a dump format names
    rows = summarise_all([url], str(tmp_path / "idx"), workers=1)
    assert rows[0]["path"] == url and rows[0]["signature"] == "abort | check_budget"
    assert Path(rows[0]["local"]).is_file() and str(tmp_path / "idx") in rows[0]["local"]
    assert rows[0]["time"] == "2023-11-14T22:13:20Z"
    plan = retention.plan(rows + [{**rows[0], "path": url + "2"}], retention.Policy.parse("keep=0,compress"))
    assert {a.action for a in plan} == {"keep"}   # objects in a store are the store's to keep or expire
