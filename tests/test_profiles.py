"""Profiles in the stack-samples model, against the real tools' answers made beside them (tests/data/profiles/
make.sh): perf script as FlameGraph's stackcollapse-perf.pl (periods) and perf report's folded call graphs
(sample counts) fold it — on our captures and on FlameGraph's own perf script files from other machines —
bpftrace as stackcollapse-bpftrace.pl, pprof as `go tool pprof -raw/-top`, the diff as difffolded.pl."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from pmdesk.base.errors import PmdeskError
from pmdesk.model.dump import Dump
from pmdesk.model.samples import profile as model
from pmdesk.model.samples.diff import diff
from tests.conftest import DATA, ROOT, run_cli

P = DATA / "profiles"
CORPUS = ROOT.parent / "shared" / "corpus" / "out"
FLAMEGRAPH = sorted((P / "flamegraph").glob("*.perf-script"))
ANNOTATION = {"kernel": "_[k]", "jit": "_[j]", "inlined": "_[i]"}


def folded_file(path: Path) -> Counter[str]:
    """A folded file (a real tool's output) as stack -> weight."""
    out: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        if line.strip():
            stack, _, n = line.rpartition(" ")
            out[stack] += float(n)
    return out


def profile_of(path: Path, index_dir: Path, **selection: str | None) -> model.Profile:
    return model.select(model.load(Dump.open(str(path), index_dir=index_dir)), model.Selection(**selection))


def ours(prof: model.Profile, name=lambda s, f, _root: s.function[f]) -> Counter[str]:
    """Our folded stacks, frames named by `name(samples, frame, the stack's root frame's name)`."""
    out: Counter[str] = Counter()
    s = prof.samples
    for node in range(1, len(prof.parent)):
        if prof.self_w[node] > 0:
            path, n = [], node
            while n > 0:
                path.append(int(prof.frame[n]))
                n = int(prof.parent[n])
            root = s.function[path[-1]]
            out[";".join(name(s, f, root) for f in reversed(path))] += float(prof.self_w[node])
    return out


def tidy(func: str, command: str) -> str:
    """How stackcollapse-perf.pl tidies a name for display (its tidy_generic and tidy_java): arguments after
    the first '(' dropped (not Go's `pkg.(*T).M`), quotes removed, a Java class's leading L dropped."""
    func = func.replace(";", ":")
    if not re.search(r"\.\(.*\)\.", func):
        func = re.sub(r"\((?!anonymous namespace\)).*", "", func)
    func = func.replace('"', "").replace("'", "")
    return re.sub(r"^L", "", func) if command.startswith("java") and "/" in func else func


def as_stackcollapse(annotate: bool):
    """Frames named as stackcollapse-perf.pl names them (with --all's annotations when `annotate`)."""
    def name(s: model.Samples, f: int, root: str) -> str:
        if s.kind[f] == "process":
            return s.function[f].replace(" ", "_")
        return tidy(s.function[f], root) + (ANNOTATION.get(s.kind[f], "") if annotate else "")
    return name


@pytest.mark.parametrize("script", FLAMEGRAPH, ids=lambda p: p.stem)
def test_perf_script_from_the_wild_folds_as_stackcollapse_perf_does(script: Path, index_dir: Path) -> None:
    """FlameGraph's own test captures (other machines, perf 3.x-4.x, Java/JS/Rust, two events in one file):
    every stack and its period equal `stackcollapse-perf.pl --all`'s."""
    prof = profile_of(script, index_dir, type="period")
    assert ours(prof, as_stackcollapse(True)) == folded_file(script.with_suffix(".all.folded"))


def test_perf_script_periods_and_counts_as_stackcollapse_and_perf_report(index_dir: Path) -> None:
    script = P / "perf-fp.script.txt"
    assert ours(profile_of(script, index_dir, type="period"), as_stackcollapse(False)) == \
        folded_file(P / "perf-fp.pl.folded")
    # perf report -g folded,0,caller,count: sample counts per stack, without the command
    want: Counter[str] = Counter()
    for line in (P / "perf-fp.report-folded.txt").read_text().splitlines():
        m = re.match(r"^(\d+) (\S.*)$", line)
        if m:
            want[m[2]] += int(m[1])
    got = Counter({k.split(";", 1)[1]: v for k, v in ours(profile_of(script, index_dir)).items()})
    assert got == want
    # the -F form with pid/tid gives the same stacks
    assert ours(profile_of(P / "perf-fp.pidtid.script.txt", index_dir)) == ours(profile_of(script, index_dir))


def test_corpus_perf_script_and_folded_agree(index_dir: Path) -> None:
    perf = CORPUS / "perf"
    if not perf.exists():
        pytest.skip("../shared/corpus not present")
    assert ours(profile_of(perf / "perf-script.txt", index_dir)) == folded_file(perf / "perf.folded")
    # the recording itself, its binary beside it (perf recorded it at another path)
    assert ours(profile_of(perf / "perf.data", index_dir)) == folded_file(perf / "perf.folded")


def test_perf_script_threads_times_and_events(index_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = P / "perf-fp.script.txt"
    n = len(re.findall(r" cpu-clock: $", path.read_text(), re.M))
    s = model.load(Dump.open(str(path), index_dir=index_dir))
    assert s.types == [("samples", "count"), ("period", "nanoseconds")]
    assert s.events == ["cpu-clock"] and len(s.threads) == 1 and s.threads[0][2] == "workload"
    assert s.time_ns is not None and len(s.time_ns) == n and s.time_ns[0] > 1e9
    first_half = model.select(s, model.Selection(to_s=0.5))
    assert 0 < first_half.count < n and first_half.count + model.select(s, model.Selection(from_s=0.5)).count \
        in (n, n + 1)
    assert model.select(s, model.Selection(thread="workload")).count == n
    rc, _out, err = run_cli(capsys, "profile", str(path), "--index-dir", str(index_dir), "--thread", "nobody")
    assert rc != 0 and "has no thread 'nobody'" in err and "Traceback" not in err


def test_bpftrace_text_folds_as_stackcollapse_bpftrace(index_dir: Path) -> None:
    # stackcollapse-bpftrace.pl keeps bpftrace's +offsets; pmdesk names functions, so the oracle's offsets go
    want: Counter[str] = Counter()
    for stack, n in folded_file(P / "bpftrace-ustack.pl.folded").items():
        want[";".join(re.sub(r"\+\d+$", "", f) for f in stack.split(";"))] += n
    assert ours(profile_of(P / "bpftrace-ustack.txt", index_dir)) == want


def test_bpftrace_json_and_perf_form_with_a_composite_key(index_dir: Path) -> None:
    records = [json.loads(ln) for ln in (P / "bpftrace-ustack.json").read_text().splitlines() if ln.strip()]
    maps = [r["data"]["@"] for r in records if r["type"] == "map"]
    prof = profile_of(P / "bpftrace-ustack.json", index_dir)
    want: Counter[str] = Counter()
    for m in maps:
        for k, v in m.items():
            want[";".join(re.sub(r"\+\d+$", "", f.strip()) for f in reversed(k.strip().split("\n")))] += v
    assert ours(prof) == want and prof.total == sum(want.values())
    perf_form = profile_of(P / "bpftrace-ustack-perf.txt", index_dir)
    stacks = ours(perf_form)
    assert stacks and all(k.startswith("workload;__libc_start_call_main;main;run;") for k in stacks)  # `, comm]`
    # is the root, where stackcollapse-bpftrace.pl puts it
    text = (P / "bpftrace-ustack-perf.txt").read_text()
    assert perf_form.total == sum(int(n) for n in re.findall(r"\]: (\d+)$", text, re.M))


def test_offcputime_blocks(index_dir: Path) -> None:
    prof = profile_of(P / "offcputime.txt", index_dir)
    assert prof.unit == "microseconds"
    text = (P / "offcputime.txt").read_text()
    assert prof.total == sum(int(n) for n in re.findall(r"^\s+(\d+)$", text, re.M))
    sleeper = next(k for k in ours(prof) if "clock_nanosleep" in k)
    assert sleeper.startswith("workload;__libc_init_first;main;run;clock_nanosleep;")
    assert sleeper.endswith(";__schedule;bpf_trace_run4;bpf_prog_6896d07dd3e1383c_sched_switch")


def pprof_raw(path: Path) -> tuple[list[str], Counter[tuple[str, ...]]]:
    """`go tool pprof -raw`: the sample types and, per type, each stack's (innermost first) summed value."""
    lines = path.read_text().splitlines()
    at = lines.index("Samples:")
    types = lines[at + 1].split()
    locations: dict[str, list[str]] = {}
    current: list[str] | None = None
    start = lines.index("Locations")
    for line in lines[start + 1:]:
        if line.startswith("Mappings"):
            break
        m = re.match(r"^\s+(\d+): 0x[0-9a-f]+ M=\d+ (\S+)", line)
        if m:
            current = locations[m[1]] = [m[2]]
        elif current is not None and line.strip():
            current.append(line.split()[0])  # an inlined function's line, below its location
    out: Counter[tuple[str, ...]] = Counter()
    for line in lines[at + 2:start]:
        m = re.match(r"^\s+([\d\s]+): ([\d ]+)$", line.rstrip())
        if m:
            values = [int(v) for v in m[1].split()]
            stack = tuple(f for loc in m[2].split() for f in locations[loc])
            for t, v in zip(types, values, strict=True):
                out[(t.split("/")[0], *stack)] += v
    return [t.split("/")[0] for t in types], out


@pytest.mark.parametrize("name", ["cpu", "heap", "cpu-drop"])
def test_pprof_stacks_equal_go_tool_pprof_raw(name: str, index_dir: Path) -> None:
    """Every stack and value as go tool pprof -raw prints them (cpu-drop: the CPU profile with drop_frames and
    keep_frames added — pruned as pprof prunes it, an inlined sort.Ints cut out of its location)."""
    types, want = pprof_raw(P / "go" / f"{name}.pprof-raw.txt")
    s = model.load(Dump.open(str(P / "go" / f"{name}.pb.gz"), index_dir=index_dir))
    assert [t for t, _u in s.types] == types
    got: Counter[tuple[str, ...]] = Counter()
    for t in types:
        for stack, v in ours(model.select(s, model.Selection(type=t))).items():
            got[(t, *reversed(stack.split(";")))] += v
    assert got == +want  # (stacks of value 0 are not samples of that type)


def pprof_top(path: Path) -> dict[str, tuple[float, float]]:
    """`go tool pprof -top`: function -> (flat, cum) in nanoseconds."""
    scale = {"s": 1e9, "ms": 1e6, "us": 1e3, "µs": 1e3, "ns": 1.0}
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^\s+([\d.]+)(\w+)\s+[\d.]+%\s+[\d.]+%\s+([\d.]+)(\w+)\s+[\d.]+%\s+(.+?)( \(inline\))?$", line)
        if m:
            out[m[5]] = (round(float(m[1]) * scale[m[2]]), round(float(m[3]) * scale[m[4]]))
    return out


@pytest.mark.parametrize("where", ["data", "corpus"])
def test_pprof_top_flat_and_cum_as_go_tool_pprof(where: str, index_dir: Path) -> None:
    folder = P / "go" if where == "data" else CORPUS / "native" / "go"
    if not folder.exists():
        pytest.skip("../shared/corpus not present")
    want = pprof_top(folder / "cpu.pprof-top.txt")
    got = {f["function"]: (f["self"], f["total"]) for f in profile_of(folder / "cpu.pb.gz", index_dir).functions()}
    assert want and all(got[k] == v for k, v in want.items())


def test_pprof_labels_select_as_tagfocus(index_dir: Path) -> None:
    """Samples chosen by a label (pprof.Do's phase=hash), each function's flat and cum as go tool pprof
    -tagfocus gives them; a label no sample has, and a bad pattern, are one-line errors."""
    want = pprof_top(P / "go" / "cpu.tagfocus.pprof-top.txt")
    prof = profile_of(P / "go" / "cpu.pb.gz", index_dir, tag="phase=hash")
    got = {f["function"]: (f["self"], f["total"]) for f in prof.functions()}
    assert want and all(got[k] == v for k, v in want.items()) and prof.samples.label_keys == ["phase"]
    assert "Showing nodes accounting for 1.21s" in (P / "go" / "cpu.tagfocus.pprof-top.txt").read_text()
    assert prof.total == 1.21e9
    for bad in ("nope=x", "phase=(", "phase"):
        with pytest.raises(PmdeskError) as e:
            profile_of(P / "go" / "cpu.pb.gz", index_dir, tag=bad)
        assert "\n" not in str(e.value)


def test_pprof_meta_and_inline_frames(index_dir: Path) -> None:
    s = model.load(Dump.open(str(P / "go" / "cpu.pb.gz"), index_dir=index_dir))
    assert s.meta["samples.default_type"] == "cpu" and s.meta["pprof.period"] == 10_000_000
    assert s.meta["pprof.period_type"] == ["cpu", "nanoseconds"]
    assert s.meta["pprof.mappings"][0]["file"] == "goprof" and s.meta["pprof.labels"] > 0
    # a location's lines: the first the innermost, inlined into the next (go tool pprof -raw prints them so)
    raw = (P / "go" / "cpu.pprof-raw.txt").read_text().split("\nLocations\n")[1].split("\nMappings")[0]
    inlined = {m[1] for m in re.finditer(r"^\s+\d+: 0x[0-9a-f]+ M=\d+ (\S+).*\n\s+(?!\d+:)\S", raw, re.M)}
    assert inlined and {s.function[i] for i, k in enumerate(s.kind) if k == "inlined"} == inlined
    heap = model.load(Dump.open(str(P / "go" / "heap.pb.gz"), index_dir=index_dir))
    assert heap.meta["samples.default_type"] == "inuse_space"  # pprof's default: the last type


def test_focus_ignore_show_hide(index_dir: Path) -> None:
    path = P / "go" / "cpu.pb.gz"
    whole = profile_of(path, index_dir)
    focus = profile_of(path, index_dir, focus="^main.sorter$")
    assert focus.total == next(f["total"] for f in whole.functions() if f["function"] == "main.sorter")
    ignore = profile_of(path, index_dir, ignore="^main.sorter$")
    assert ignore.total == whole.total - focus.total
    hidden = profile_of(path, index_dir, hide="^runtime")
    assert hidden.total == whole.total and not any(k.startswith("runtime") for k in ours(hidden))
    shown = profile_of(path, index_dir, show="^main\\.")
    assert all(f.startswith("main.") for k in ours(shown) for f in k.split(";")) and shown.total == whole.total


def test_sandwich_of_a_function(index_dir: Path) -> None:
    prof = profile_of(P / "perf-fp.script.txt", index_dir)
    through = sum(w for k, w in ours(prof).items() if ";recurse;" in k)
    callees, callers = prof.stacks_through("recurse")
    assert through and ours(callees) == {"recurse;recurse;recurse;recurse;mix": through}
    assert ours(callers) == {"recurse;deep_c;run;main;__libc_start_call_main;workload": through}


def test_diff_folded_equals_difffolded(index_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = P / "perf-fp2.pl.folded", P / "perf-fp.pl.folded"
    for flag, oracle in (((), "perf-fp2-vs-fp.diff.folded"), (("--normalize",), "perf-fp2-vs-fp.diff-n.folded")):
        rc, out, _err = run_cli(capsys, "profile-diff", str(a), str(b), "--folded", *flag, "--index-dir",
                                str(index_dir))
        assert rc == 0 and sorted(out.splitlines()) == sorted((P / oracle).read_text().splitlines())


def test_diff_across_formats_matches_frames_by_name(index_dir: Path) -> None:
    """perf script against the folded stacks stackcollapse-perf.pl made of it: nothing changed."""
    a = profile_of(P / "perf-fp.script.txt", index_dir, type="period")
    b = profile_of(P / "perf-fp.pl.folded", index_dir)
    d = diff(a, b)
    assert all(wa == wb for _f, wa, wb in d.folded())
    assert all(r["delta_total"] == 0 for r in d.functions())


def test_profile_json_contract(index_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _err = run_cli(capsys, "profile", str(P / "go" / "heap.pb.gz"), "--json", "--type", "alloc_space",
                            "--top", "3", "--index-dir", str(index_dir))
    doc = json.loads(out)
    assert rc == 0 and set(doc) == {"file", "source", "type", "unit", "total", "samples", "types", "events",
                                    "functions"}
    assert doc["type"] == "alloc_space" and doc["unit"] == "bytes" and len(doc["functions"]) == 3
    assert set(doc["functions"][0]) == {"function", "module", "self", "total"}
    rc, out, _err = run_cli(capsys, "profile-diff", str(P / "perf-fp2.pl.folded"), str(P / "perf-fp.pl.folded"),
                            "--json", "--index-dir", str(index_dir))
    doc = json.loads(out)
    assert rc == 0 and set(doc) == {"a", "b", "normalized", "scale", "functions"}
    assert set(doc["functions"][0]) == {"function", "module", "a_self", "b_self", "a_total", "b_total",
                                        "delta_self", "delta_total"}


@pytest.mark.parametrize("content, message", [
    (b"a;b 1\nthis is not folded\n", None),
    (b"\x1f\x8b\x08\x00" + b"\x00" * 40, "looks like gzip"),
    (b"PERFILE2" + (104).to_bytes(8, "little") + (2**63).to_bytes(8, "little") * 11, "attribute section"),
    (b"PERFILE2" + (104).to_bytes(8, "little") + (136).to_bytes(8, "little") + (2**63).to_bytes(8, "little") * 10,
     "past its end"),
])
def test_bad_profiles_give_one_line(tmp_path: Path, index_dir: Path, capsys: pytest.CaptureFixture[str],
                                    content: bytes, message: str | None) -> None:
    f = tmp_path / "bad.folded"
    f.write_bytes(content)
    rc, _out, err = run_cli(capsys, "profile", str(f), "--index-dir", str(index_dir))
    assert "Traceback" not in err
    if message:
        assert rc != 0 and message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["perf-fp", "perf-fpz", "perf-pipe", "perf-dwarf", "perf-dwarf-python"])
def test_perf_data_names_every_frame_as_perf_script(name: str, index_dir: Path) -> None:
    """perf.data (frame pointers; `-z`'s one zstd stream over COMPRESSED records; piped, its attrs as records;
    `--call-graph dwarf` of a program without frame pointers, each user stack copy unwound by the CFI of the
    binary beside it and of libc; and of CPython — stacks past the 8 KB copy ending in perf's [unknown], saved
    registers below the stack pointer, .plt CFA expressions, `name@plt` and assembly labels named as perf
    names them):
    every stack and period as perf script gave them when recorded — the workload's frames from the binary
    beside the recording, found by name and build-id; a library or kernel this machine lacks (another libc,
    another kernel) is named by its module, `[libc.so.6]`, never by the wrong file's symbols."""
    data = profile_of(P / f"{name}.data", index_dir, type="period")
    script = profile_of(P / f"{name}.script.txt", index_dir, type="period")
    used = data.samples.meta["perf.binaries"]

    def as_here(s: model.Samples, f: int, _root: str) -> str:
        module = s.module[f]
        missing = (module in used and not used[module]) or (s.kind[f] == "kernel" and not any(
            k == "kernel" and not fn.startswith("[") for fn, k in zip(data.samples.function, data.samples.kind,
                                                                     strict=True)))
        return f"[{Path(module).name}]" if missing and module else s.function[f]

    assert any(used.values()) and ours(data) == ours(script, as_here)
    s = data.samples
    assert s.types == [("samples", "count"), ("period", "nanoseconds")] and s.events == ["cpu-clock"]
    command = {"perf-dwarf": "workload-nofp", "perf-dwarf-python": "python3"}.get(name, "workload")
    assert s.time_ns is not None and s.threads[0][2] == command


@pytest.mark.parametrize("cut", [0.5, 0.97])
def test_a_cut_perf_data_reads_what_it_holds(cut: float, tmp_path: Path, index_dir: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    raw = (P / "perf-fp.data").read_bytes()
    f = tmp_path / "cut.data"
    f.write_bytes(raw[:int(len(raw) * cut)])
    rc, _out, err = run_cli(capsys, "profile", str(f), "--index-dir", str(index_dir))
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2
    assert (rc == 0 and "cut short" in err) or (rc != 0 and str(f) in err)


@pytest.mark.parametrize("name", ["workload", "jdk25-vthreads", "killed-repository"])
def test_a_jfr_recordings_execution_samples_fold_as_jfr_prints_them(name: str, index_dir: Path) -> None:
    """A recording is a profile too: its jdk.ExecutionSample stacks (the first event) are every sample's stack
    as `jfr print --json` gave it, methods named Class.method, each overload its own frame."""
    from tests.test_jfr import JFR, recording

    with gzip.open(JFR / f"{name}.sample-stacks.json.gz", "rt") as f:
        samples = json.load(f)["samples"]
    want = Counter(";".join(reversed(s["frames"])) for s in samples if s["frames"])
    prof = profile_of(recording(name), index_dir)
    with Dump.open(str(recording(name)), index_dir=index_dir) as d:
        from pmdesk.model.jfr.recording import Recording

        rec = Recording.of(d)
        descriptors = [rec.method_descriptors[int(r)] for r in rec.ident_rows.tolist()]
    assert prof.samples.events[0] == "jdk.ExecutionSample" and prof.count == len(samples)
    assert ours(prof, lambda s, f, _r: s.function[f] + (descriptors[f] if f < len(descriptors) else "")) == want
    threads = Counter(prof.samples.threads[t][2] for t in prof.samples.thread[prof.samples.event == 0].tolist())
    assert threads == Counter(s["thread"] for s in samples)


def test_two_jfr_recordings_compare_and_allocations_weigh_bytes(index_dir: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """profile-diff of two recordings (pmdesk's diff of any two profiles), and allocation samples weighed by
    their bytes as JMC weighs them (jdk.ObjectAllocationSample's weight)."""
    from tests.test_jfr import JFR

    rc, out, _err = run_cli(capsys, "profile-diff", str(JFR / "workload.jfr"), str(JFR / "jdk25-vthreads.jfr"),
                            "--json", "--index-dir", str(index_dir))
    assert rc == 0 and json.loads(out)["a"]["source"] == "jfr"
    prof = profile_of(JFR / "workload.jfr", index_dir, event="jdk.ObjectAllocationSample", type="allocated")
    with Dump.open(str(JFR / "workload.jfr"), index_dir=index_dir) as d:
        from pmdesk.model.jfr.recording import Recording

        rec = Recording.of(d)
        ev = rec.events("jdk.ObjectAllocationSample")
        assert prof.total == float(rec.field(ev, "weight")[ev.stack >= 0].sum()) > 0
    assert prof.unit == "bytes"


def test_off_cpu_time_of_each_switch_out_as_perf_reads_the_switch_records(index_dir: Path) -> None:
    """cpu-clock with sched:sched_switch and --switch-events: each switch-out sample weighs, as `off_cpu`
    nanoseconds, from its thread's switch-out record to its next switch-in record as perf script reads them;
    the on-CPU samples weigh nothing off-CPU, the sleeps' stacks (clock_nanosleep) weigh the most."""
    events = []
    for line in (P / "perf-offcpu.switches.txt").read_text().splitlines():
        tid, when, what = line.split(None, 2)
        sec, ns = when.rstrip(":").split(".")
        events.append((int(tid), int(sec) * 10**9 + int(ns), what.strip()))
    want = []
    for k, (tid, t, what) in enumerate(events):
        if what.startswith("sched:sched_switch"):
            later = [(t2, w2) for tid2, t2, w2 in events[k + 1:] if tid2 == tid]
            back = next((t2 for t2, w2 in later if w2.startswith("PERF_RECORD_SWITCH IN")), None)
            out = next((t2 for t2, w2 in later if w2.startswith("PERF_RECORD_SWITCH OUT")), t)
            want.append((t, back - (out if out < back else t) if back is not None else 0))
    s = profile_of(P / "perf-offcpu.data", index_dir).samples
    assert s.events == ["cpu-clock", "sched:sched_switch"] and s.types[2] == ("off_cpu", "nanoseconds")
    switch = s.event == 1
    got = sorted(zip(s.time_ns[switch].tolist(), s.values(2)[switch].tolist(), strict=True))
    assert got == sorted(want) and not s.values(2)[~switch].any()
    prof = profile_of(P / "perf-offcpu.data", index_dir, event="sched:sched_switch", type="off_cpu")
    codes = {x.code for x in Dump.open(str(P / "perf-offcpu.data"), index_dir=index_dir).diagnostics()}
    if "perf.kernel_names" in codes:  # this machine runs another kernel than the recording's: said, not named
        assert prof.functions()[0]["function"] == "[[kernel.kallsyms]]"
    else:
        assert prof.functions()[0]["function"] in {"__schedule", "schedule"}
    assert max(ours(prof).items(), key=lambda kv: kv[1])[0].count("clock_nanosleep")


@pytest.mark.parametrize("name, function", [("perf-fp", "mix"), ("perf-dwarf", "spin")])
def test_annotate_places_samples_on_instructions_as_perf_annotate(name: str, function: str, index_dir: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """pmdesk annotate: every instruction of the function as perf annotate --stdio lists it (address,
    mnemonic) with the same share of the function's samples (by period, as perf's local period)."""
    want = {}
    for line in (P / f"{name}.annotate-{function}.txt").read_text().splitlines():
        m = re.match(r"^\s+([\d.]+) :\s+([0-9a-f]+):\s+(\S+)", line)
        if m:
            want[int(m[2], 16)] = (float(m[1]), m[3])
    rc, out, _err = run_cli(capsys, "annotate", str(P / f"{name}.data"), function, "--type", "period", "--json",
                            "--index-dir", str(index_dir))
    doc = json.loads(out)
    assert rc == 0 and set(doc) == {"function", "module", "binary", "start", "size", "unit", "total", "problem",
                                    "instructions"}
    got = {i["address"]: (i["percent"], i["text"].split()[0]) for i in doc["instructions"]}
    assert want and got == want and doc["problem"] is None
    rc, _out, err = run_cli(capsys, "annotate", str(P / f"{name}.data"), "no_such_function", "--index-dir",
                            str(index_dir))
    assert rc != 0 and "no_such_function" in err and len(err.strip().splitlines()) == 1


def test_symbols_folder_names_a_recordings_binary(tmp_path: Path, index_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A recording moved away from its binary: its frames are the module's name, until --symbols names the
    folder the binary is in (found by build-id there, the DWARF walk done with its CFI); --symbols on a
    profile that is not perf.data, or a folder that is not there, is a one-line error."""
    import shutil

    (tmp_path / "rec").mkdir()
    (tmp_path / "syms").mkdir()
    shutil.copy(P / "perf-dwarf.data", tmp_path / "rec")
    shutil.copy(P / "workload-nofp", tmp_path / "syms")
    rec = str(tmp_path / "rec" / "perf-dwarf.data")
    rc, out, _err = run_cli(capsys, "profile", rec, "--json", "--index-dir", str(index_dir))
    assert rc == 0 and json.loads(out)["functions"][0]["function"] == "[workload-nofp]"
    rc, out, _err = run_cli(capsys, "profile", rec, "--json", "--symbols", str(tmp_path / "syms"), "--index-dir",
                            str(index_dir))
    assert rc == 0 and [f["function"] for f in json.loads(out)["functions"][:2]] == ["spin", "mix"]
    for bad in ([str(P / "go" / "cpu.pb.gz"), "--symbols", str(tmp_path)], [rec, "--debug-dir", "/no/such/dir"]):
        rc, _out, err = run_cli(capsys, "profile", *bad, "--index-dir", str(index_dir))
        assert rc != 0 and len(err.strip().splitlines()) == 1


def test_perf_samples_keep_their_cpu_as_perf_script_prints_it(index_dir: Path) -> None:
    """perf record --sample-cpu: each sample's CPU (the Timeline's CPU lanes), as perf script's [cpu] field."""
    want = Counter(int(m[1]) for m in re.finditer(r"^\S+ +\d+ \[(\d+)\]", (P / "perf-fp.script.txt").read_text(),
                                                    re.M))
    s = profile_of(P / "perf-fp.data", index_dir).samples
    assert want and s.cpu is not None and Counter(s.cpu.tolist()) == want
    assert profile_of(P / "perf-dwarf.data", index_dir).samples.cpu is None  # recorded without --sample-cpu
