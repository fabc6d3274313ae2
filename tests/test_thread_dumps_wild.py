"""Thread dumps as other tools and machines leave them (tests/data/threads/wild, made by make.sh there with the
real JVM, Go runtime and CPython): threads that share names, frames indented with spaces, UTF-16 files, an
excerpt without the dump's header, lines out of order, ThreadInfo.toString() logs, Go ancestors and a log
prefix, faulthandler's current thread alone — each answer equal to what the producing runtime said."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pmdesk import cli
from pmdesk.model.dump import Dump
from tests.conftest import DATA

WILD = DATA / "threads" / "wild"


def threads_doc(path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    assert cli.main(["threads", str(path), "--index-dir", str(tmp_path / "i"), "--json"]) == 0, path
    out, err = capsys.readouterr()
    assert "warning" not in err, err
    return json.loads(out)


def shape(doc: dict) -> list[tuple]:
    """What a reader sees of each thread: name, id, state, frames, what it holds and waits for."""
    return [(t["name"], t["id"], t["state"], [(f["function"], f["file"], f["line"]) for f in t["frames"]],
             sorted(t["holds"]), t["waits_for"]) for t in doc["threads"]]


@pytest.mark.parametrize("name", ["same-names.jstack.txt", "same-names.jstack-l.txt"])
def test_threads_with_the_same_names_keep_every_deadlock(name: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Three cycles of DeadlockThread-A/-B: as many deadlocks as the JVM's own report ('Found 3 deadlocks.'),
    each pairing the threads by id — also without -l, where the ReentrantLock owners are only in the report."""
    text = (WILD / name).read_text()
    jvm = int(re.search(r"^Found (\d+) deadlocks?\.", text, re.M)[1])
    doc = threads_doc(WILD / name, tmp_path, capsys)
    assert len(doc["deadlocks"]) == jvm == 3
    assert sorted(sorted(d["ids"]) for d in doc["deadlocks"]) == [["#12", "#13"], ["#14", "#15"], ["#16", "#17"]]
    assert all(d["threads"] == ["DeadlockThread-A", "DeadlockThread-B"] for d in doc["deadlocks"])


@pytest.mark.parametrize("variant", ["spaces", "utf16le", "utf16-bom"])
def test_spaces_for_tabs_and_utf16_read_as_the_dump_itself(variant: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Tabs turned to spaces (expand), UTF-16LE with and without a byte-order mark (iconv): the same threads,
    frames, locks and deadlocks as the dump jstack wrote."""
    plain = threads_doc(WILD / "same-names.jstack-l.txt", tmp_path / "a", capsys)
    other = threads_doc(WILD / f"same-names.jstack-l.{variant}.txt", tmp_path / "b", capsys)
    assert shape(other) == shape(plain) and sum(len(t["frames"]) for t in plain["threads"]) == 44
    assert other["deadlocks"] == plain["deadlocks"]


def test_an_excerpt_without_the_dump_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Four threads copied out of the dump (no 'Full thread dump' line): read, with the two deadlocks they
    hold, their frames as in the whole dump."""
    whole = {t["id"]: t for t in threads_doc(WILD / "same-names.jstack-l.txt", tmp_path / "a", capsys)["threads"]}
    part = threads_doc(WILD / "same-names.excerpt.txt", tmp_path / "b", capsys)
    assert [t["id"] for t in part["threads"]] == ["#14", "#15", "#16", "#17"]
    assert all(t["frames"] == whole[t["id"]]["frames"] for t in part["threads"])
    assert len(part["deadlocks"]) == 2


def test_lines_out_of_order_are_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shuffled = tmp_path / "sorted.txt"
    shuffled.write_text("\n".join(sorted((WILD / "same-names.jstack-l.txt").read_text().splitlines())) + "\n")
    assert cli.main(["threads", str(shuffled), "--index-dir", str(tmp_path / "i")]) == 2
    err = capsys.readouterr().err.strip()
    assert str(shuffled) in err and "out of order" in err and len(err.splitlines()) == 1


def test_threadinfo_tostring_as_agents_log_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """ThreadMXBean.dumpAllThreads' ThreadInfo.toString(): states as the JVM gave them, frames named as jstack
    names them (the loader/module prefix is the frame's module), the three deadlocks, owners from the headers."""
    text = (WILD / "same-names.threadinfo.txt").read_text()
    doc = threads_doc(WILD / "same-names.threadinfo.txt", tmp_path, capsys)
    headers = re.findall(r'^"(.*)"(?: daemon)? prio=\d+ Id=(\d+) ([A-Z_]+)', text, re.M)
    assert [(t["name"], t["id"], t["state"]) for t in doc["threads"]] == [(n, f"#{i}", s) for n, i, s in headers]
    jstack = {t["id"]: t for t in threads_doc(WILD / "same-names.jstack-l.txt", tmp_path / "j", capsys)["threads"]}

    def frames(t: dict) -> list[tuple]:  # a lambda's hidden class is at another address in another run
        return [(re.sub(r"/0x[0-9a-f]+", "", f["function"]), f["file"], f["line"]) for f in t["frames"]]

    for t in doc["threads"]:
        if t["name"].startswith("DeadlockThread"):  # the same program's threads: the same (first eight) frames
            assert frames(t) == frames(jstack[t["id"]])[:len(t["frames"])] and t["frames"]
    assert sorted(sorted(d["ids"]) for d in doc["deadlocks"]) == [["#12", "#13"], ["#14", "#15"], ["#16", "#17"]]


def _goroutines(doc: dict) -> dict[str, dict]:
    return {t["id"]: t for t in doc["threads"]}


def test_go_ancestors_are_kept_apart_from_the_stack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GODEBUG=tracebackancestors: each '[originating from goroutine N]:' block is an ancestor (nearest first,
    with its stack and creator), not frames of the goroutine; the chain leaf → middle → top → main as the
    program started them. A log prefix on every line (the kubelet's CRI format) reads the same."""
    text = (WILD / "go-ancestors.sigquit.txt").read_text()
    doc = threads_doc(WILD / "go-ancestors.sigquit.txt", tmp_path / "a", capsys)
    g = _goroutines(doc)
    assert sum(len(t["ancestors"]) for t in doc["threads"]) == text.count("[originating from goroutine")
    leaf = next(t for t in doc["threads"] if any(f["function"] == "main.leaf" for f in t["frames"]))
    chain = [a["goroutine"] for a in leaf["ancestors"]]
    assert [a["created_by"] for a in leaf["ancestors"]] == ["main.top", "main.main", None]
    middle, top = g[chain[0]], g[chain[1]]
    assert any(f["function"] == "main.middle" for f in middle["frames"]) and chain[2] == "1"
    assert any(f["function"] == "main.top" for f in top["frames"]) and leaf["state"] == "chan receive"
    assert not any(f["function"] == "runtime.newproc" for t in doc["threads"] for f in t["frames"])
    assert middle["waits_for"] is not None  # sync.(*Mutex).Lock, found in its own stack only
    with Dump.open(WILD / "go-ancestors.sigquit.txt", index_dir=tmp_path / "c") as d:  # the registers SIGQUIT
        assert not list(d.diagnostics())  # prints after goroutine 0 are no "unreadable lines"
    logged = threads_doc(WILD / "go-ancestors.cri-log.txt", tmp_path / "b", capsys)

    def structure(d: dict) -> list:
        return sorted((t["state"], [f["function"] for f in t["frames"]], len(t["ancestors"])) for t in d["threads"])

    assert structure(logged) == structure(doc)


@pytest.mark.parametrize("name", ["faulthandler-current-only.stderr.txt", "faulthandler-current-only.segv.stderr.txt"])
def test_faulthandler_current_thread_only(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """all_threads=False writes 'Stack (most recent call first):' and no thread id: one current thread with
    the frames faulthandler printed."""
    text = (WILD / name).read_text()
    frames = re.findall(r'^  File "(.*)", line (\d+) in (.*)$', text, re.M)
    doc = threads_doc(WILD / name, tmp_path, capsys)
    assert len(doc["threads"]) == 1 and doc["threads"][0]["state"] == "current"
    assert [(f["file"], f["line"], f["function"]) for f in doc["threads"][0]["frames"]] == [
        (file, int(line), fn) for file, line, fn in frames]


def test_a_json_dump_without_states_is_not_warned_for(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JDK 21's Thread.dump_to_file JSON carries no thread state (JDK 25 added it): no 'cut off before its
    state line' per thread — the JDK 25 dump with its states taken out reads without a warning."""
    doc = json.loads((DATA / "threads" / "jdk25-vthreads.dump.json").read_text())
    for c in doc["threadDump"]["threadContainers"]:
        for t in c["threads"]:
            t.pop("state", None)
    f = tmp_path / "jdk21.json"
    f.write_text(json.dumps(doc, indent=2))
    assert len(threads_doc(f, tmp_path, capsys)["threads"]) == 21
