"""Apple crash reports against the real tools' answers: the corpus .ips rendered as Console's .crash text
(equal to the .crash Console wrote for each) and symbolicated from the real dSYMs (equal to MacSymbolicator's
own output, frame for frame); every corpus .crash read; a Mach-O + dSYM pair built here with clang/ld64.lld/
dsymutil looked up against llvm-symbolizer; and damaged reports as one line."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pmdesk.native.dsym import find_by_uuid
from pmdesk.native.macho import is_macho, slices, symbols
from pmdesk.native.macho_image import MachoImage
from pmdesk.native.swift_names import apple_name
from tests.conftest import DATA, MOBILE, mobile
from tests.conftest import run_cli as run

DSYM = MOBILE / "dsym"
PAIRS = ("single-target-crash", "multi-target-crash", "ios-crash")  # .ips with Console's .crash and the truth
APPLE = DATA / "apple"
TRUTH_FRAME = re.compile(r"^\d+\s+(\S+)\s+\t\s*0x[0-9a-f]+ (.+) \(in (\S+)\) \((.+):(\d+)\)$")


@pytest.mark.parametrize("name", PAIRS)
def test_translate_equals_console(capsys: pytest.CaptureFixture[str], name: str) -> None:
    rc, out, err = run(capsys, "translate", str(mobile("ips", f"macsym-{name}.ips")))
    assert rc == 0, err
    assert out == mobile("crash", f"macsym-{name}.crash").read_text()


@pytest.mark.parametrize("name", PAIRS)
def test_translate_symbolicated_equals_macsymbolicator(capsys: pytest.CaptureFixture[str], name: str) -> None:
    rc, out, err = run(capsys, "translate", "--symbolicate", "--debug-dir", str(mobile("dsym")),
                       str(mobile("ips", f"macsym-{name}.ips")))
    assert rc == 0, err
    truth = mobile("truth", f"macsym-{name}_symbolicated.crash").read_text()
    assert out == truth
    assert sum(bool(TRUTH_FRAME.match(ln)) for ln in truth.splitlines()) >= 2


@pytest.mark.parametrize("name", PAIRS)
def test_stack_frames_equal_the_truth(capsys: pytest.CaptureFixture[str], name: str, index_dir: Path) -> None:
    """Every frame MacSymbolicator named is named the same in the crash model (function, file, line)."""
    truth = [m.groups() for ln in mobile("truth", f"macsym-{name}_symbolicated.crash").read_text().splitlines()
             if (m := TRUTH_FRAME.match(ln))]
    for report in (mobile("ips", f"macsym-{name}.ips"), mobile("crash", f"macsym-{name}.crash")):
        rc, out, err = run(capsys, "stack", str(report), "--debug-dir", str(DSYM), "--json")
        assert rc == 0, err
        doc = json.loads(out)
        assert list(doc) == ["signal", "crashed_thread", "threads", "modules", "deadlocks", "crash_info", "system_info"]
        named = {(f["function"], os.path.basename(f["file"]), str(f["line"])) for t in doc["threads"]
                 for f in t["frames"] if f["file"]}
        assert {(fn, file, line) for _mod, fn, _in, file, line in truth} <= named, report


def test_every_corpus_crash_text_is_read(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    for report in sorted(mobile("crash").glob("*.crash")):
        text = report.read_text()
        rc, out, err = run(capsys, "stack", str(report), "--index-dir", str(index_dir), "--json")
        assert rc == 0, (report, err)
        doc = json.loads(out)
        # the crashed block when there is one (symbolicator's fixture says Crashed Thread 5 of two threads; its
        # snapshot takes thread 1, whose block says Crashed, as pmdesk does), else the header's number
        crashed = re.search(r"^Thread (\d+) Crashed", text, re.M) or re.search(
            r"^(?:Crashed Thread|Triggered by Thread):\s+(\d+)", text, re.M)
        assert doc["crashed_thread"] == int(crashed.group(1)), report
        numbers = {int(n) for n in re.findall(r"^Thread (\d+)(?: Crashed)?:", text, re.M)}
        assert {t["tid"] for t in doc["threads"] if t["tid"] >= 0} == numbers, report
        images = [ln for ln in text.split("Binary Images:", 1)[1].splitlines() if re.match(r"\s*0x", ln)]
        assert len(doc["modules"]) == len(images), report
        assert all(m["build_id"] and len(m["build_id"]) == 32 for m in doc["modules"]), report
        frames = re.findall(r"^\d+\s+.+?\s+0x[0-9a-fA-F]+ ", text.split("Binary Images:")[0], re.M)
        assert sum(len(t["frames"]) for t in doc["threads"]) == len(frames), report


def test_a_dsym_of_another_build_is_refused_and_said(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = run(capsys, "stack", str(mobile("crash", "macsym-ios-report.crash")), "--debug-dir", str(DSYM))
    assert rc == 0
    assert "has UUID 82d13d98219e3040b62a07a297007a7c (arm64), not ecc083fbb51c3168b3d65646b19809ba" in err
    assert "\n#3  0x0000000102bca2a4 in ?? from iOSCrashingTest" in out


def test_info_and_overview_name_the_exception(capsys: pytest.CaptureFixture[str], index_dir: Path) -> None:
    rc, out, err = run(capsys, "info", str(mobile("ips", "macsym-single-target-crash.ips")), "--index-dir",
                       str(index_dir))
    assert rc == 0, err
    assert "EXC_BAD_ACCESS (SIGSEGV) at 0x1 — KERN_INVALID_ADDRESS in CrashingTest + 15941" in out
    assert "Apple crash report" in out


def test_swift_names_in_xcode_simplified_form() -> None:
    """The corpus truth's Swift names, from their mangled forms in the dSYMs."""
    assert apple_name("$s15iOSCrashingTest10CrashClassC06pleaseC0yyFZTf4d_n") == \
        "specialized static CrashClass.pleaseCrash()"
    assert apple_name("$s15iOSCrashingTest14ViewControllerC11viewDidLoadyyFTo") == "@objc ViewController.viewDidLoad()"
    assert apple_name("$s13AnotherTarget13CrashingClassC5crashyyFZTo") == "@objc static CrashingClass.crash()"
    assert apple_name("_ZN3foo3barEi") == "foo::bar(int)"
    assert apple_name("main") == "main"
    assert apple_name("$s" + "1" * 10000) == "$s" + "1" * 10000  # refused, not churned through


def _symbolizer(obj: Path, arch: str, addrs: list[int]) -> list[list[tuple[str, str, int]]]:
    """llvm-symbolizer's inline chains (innermost first) for these addresses."""
    r = subprocess.run(["llvm-symbolizer-14", f"--obj={obj}", f"--default-arch={arch}", "--inlines",
                        *[hex(a) for a in addrs]], capture_output=True, text=True, check=True)
    out = []
    for block in r.stdout.strip("\n").split("\n\n"):
        lines = block.splitlines()
        out.append([(lines[i], os.path.basename(lines[i + 1].rsplit(":", 2)[0]), int(lines[i + 1].rsplit(":", 2)[1]))
                    for i in range(0, len(lines), 2)])
    return out


@pytest.mark.skipif(shutil.which("llvm-symbolizer-14") is None, reason="llvm-symbolizer-14 not installed")
@pytest.mark.parametrize("dsym", ["inline_crash.arm64.dSYM", "inline_crash_fat.dSYM"])
def test_dsym_lookups_equal_llvm_symbolizer(dsym: str) -> None:
    """Every 4th byte of the built program's code, in each slice: the outermost function of llvm-symbolizer's
    inline chain, with that entry's file:line (what atos prints without -i)."""
    name = dsym.removesuffix(".dSYM")
    dwarf = APPLE / dsym / "Contents" / "Resources" / "DWARF" / name
    for sl in slices(str(dwarf)):
        binary = next(s for s in slices(str(APPLE / ("inline_crash_fat" if "fat" in name else name)))
                      if s.uuid == sl.uuid)
        addrs, names = symbols(binary)
        code = [a for a, n in zip(addrs, names, strict=True) if n != "__mh_execute_header"]
        probes = list(range(code[0], code[-1] + 12, 4))
        image = MachoImage(sl)
        try:
            for addr, chain in zip(probes, _symbolizer(dwarf, sl.arch, probes), strict=True):
                loc = image.location(addr - sl.text_vmaddr)
                assert loc is not None, (sl.arch, hex(addr))
                if chain[-1][1] == "??":  # padding past the last function: named from the symbol table alone
                    assert loc.function == chain[-1][0] and loc.file is None, (sl.arch, hex(addr))
                else:
                    assert (loc.function, loc.file, loc.line) == chain[-1], (sl.arch, hex(addr))
        finally:
            image.close()


def test_the_slice_with_the_images_uuid_is_used(tmp_path: Path) -> None:
    fat = slices(str(APPLE / "inline_crash_fat.dSYM" / "Contents" / "Resources" / "DWARF" / "inline_crash_fat"))
    assert {s.arch for s in fat} == {"x86_64", "arm64"} and len({s.uuid for s in fat}) == 2
    for sl in fat:
        found = find_by_uuid(sl.uuid.upper(), "inline_crash_fat", [str(APPLE / "inline_crash_fat.dSYM")])
        assert found.slice is not None and found.slice.arch == sl.arch and found.slice.has_dwarf
    missing = find_by_uuid("00112233-4455-6677-8899-aabbccddeeff", "inline_crash_fat", [str(APPLE)])
    assert missing.slice is None and "inline_crash_fat" in (missing.warning or "") and missing.looked
    assert not is_macho(b"\xca\xfe\xba\xbe\x00\x00\x00\x34")  # a Java class file shares the fat magic


BAD = {
    "cut.ips": ('{"bug_type":"309","app_name":"X"}\n{\n  "threads" : [{"frames":[', "the report body is cut short"),
    "array.ips": ('{"bug_type":"309"}\n[1, 2]\n', "the report body is not a JSON object"),
    "nested.ips": ('{"bug_type":"309"}\n' + "[" * 5_000_000, "nested too deeply"),
    "nobody.ips": ('{"bug_type":"309","name":"X"}\n', "no body"),
    "header.crash": ("Incident Identifier: X\nProcess: Y [1]\nReport Version: 104\n", "no threads or Binary Images"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_damaged_reports_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str) -> None:
    text, says = BAD[name]
    path = tmp_path / name
    path.write_text(text)
    for argv in (["stack", str(path), "--index-dir", str(tmp_path / "idx")], ["translate", str(path)]):
        rc, out, err = run(capsys, *argv)
        if argv[0] == "translate" and name == "header.crash":
            assert rc != 0 and "nothing to translate" in err
            continue
        assert rc != 0 and err.count("\n") == 1 and str(path) in err and says in err, (argv, err)


def test_frames_pointing_past_the_images_are_a_diagnostic(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    body = {"threads": [{"triggered": True, "frames": [{"imageIndex": 7, "imageOffset": 16}, {"imageIndex": "x"}]}],
            "usedImages": [{"name": "A", "base": 4096, "size": 4096, "uuid": "00"}], "exception": {"type": 3}}
    path = tmp_path / "bad-index.ips"
    path.write_text('{"bug_type":"309"}\n' + json.dumps(body))
    rc, out, err = run(capsys, "stack", str(path), "--index-dir", str(tmp_path / "idx"), "--json")
    assert rc == 0, err
    assert [f["module"] for f in json.loads(out)["threads"][0]["frames"]] == ["???", "???"]
    rc, out, err = run(capsys, "translate", str(path))
    assert rc == 0 and "0   ???" in out


def test_last_exception_backtrace_is_a_stack_of_its_own(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """An uncaught NSException's report gives the stack that threw as lastExceptionBacktrace (no report here has
    one: it is added to a real report, in the form Apple documents — a list of frames)."""
    meta, body = mobile("ips", "macsym-ios-crash.ips").read_text().split("\n", 1)
    doc = json.loads(body)
    doc["lastExceptionBacktrace"] = doc["threads"][0]["frames"][2:5]
    path = tmp_path / "leb.ips"
    path.write_text(meta + "\n" + json.dumps(doc))
    rc, out, err = run(capsys, "stack", str(path), "--debug-dir", str(DSYM), "--json")
    assert rc == 0, err
    first = json.loads(out)["threads"][0]
    assert first["name"] == "Last Exception Backtrace" and first["tid"] == -1
    assert first["frames"][0]["function"] == "specialized static CrashClass.pleaseCrash()"
    rc, out, err = run(capsys, "translate", "--debug-dir", str(DSYM), str(path))
    assert rc == 0, err
    block = out.split("Last Exception Backtrace:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(block) == 3 and "specialized static CrashClass.pleaseCrash() (in iOSCrashingTest)" in block[0]
    assert out.index("Last Exception Backtrace:") < out.index("Thread 0 name:")


ODD_VALUES = (None, "x", "", -1, 0, 2**70, -(2**70), 1.5, [], {}, True, [1, 2], {"a": 1}, "0xzz", 10**400)


def _json_paths(o: object, pre: tuple = ()) -> list[tuple]:
    out = [pre] if pre else []
    items = o.items() if isinstance(o, dict) else enumerate(o[:6]) if isinstance(o, list) else ()
    for k, v in items:
        out += _json_paths(v, (*pre, k))
    return out


def test_reports_with_fields_of_the_wrong_type_fail_cleanly(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    """Structure-aware mutants of the corpus .ips (any field replaced by a value of another type or out of
    range): read, indexed and translated, or refused with a one-line error — never an exception."""
    import random

    rng = random.Random("apple-2026")
    sources = [mobile("ips", f"macsym-{n}.ips").read_text().split("\n", 1) for n in PAIRS]
    for i in range(150):
        meta, body = rng.choice(sources)
        doc = json.loads(body)
        for _ in range(rng.randint(1, 4)):
            where = rng.choice(_json_paths(doc))
            node = doc
            for k in where[:-1]:
                node = node[k]
            node[where[-1]] = rng.choice(ODD_VALUES)
        path = tmp_path / f"m{i}.ips"
        path.write_text(meta + "\n" + json.dumps(doc))
        for argv in (["translate", "--debug-dir", str(DSYM), str(path)],
                     ["stack", str(path), "--index-dir", str(tmp_path / "idx"), "--json"]):
            rc, _out, err = run(capsys, *argv)
            assert rc == 0 or (rc == 2 and err.count("\n") == 1 and str(path) in err), (argv, err)


def test_reading_a_report_can_be_cancelled() -> None:
    import threading

    from pmdesk.base.errors import Cancelled
    from pmdesk.base.progress import Progress
    from pmdesk.native.symbol_files import SearchPaths
    from pmdesk.readers.apple import AppleReportReader

    token = threading.Event()
    token.set()
    with pytest.raises(Cancelled):
        AppleReportReader.crash(str(mobile("ips", "macsym-ios-crash.ips")), SearchPaths(debug_dirs=[str(DSYM)]),
                                Progress(token=token))


def test_other_ips_kinds_open_as_a_summary_saying_what_they_are(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    path = tmp_path / "stackshot.ips"
    path.write_text('{"bug_type":"288","name":"Finder","os_version":"macOS 13.1","timestamp":"2023-01-02"}\n'
                    '{"processByPid": {}}\n')
    rc, out, err = run(capsys, "stack", str(path), "--index-dir", str(tmp_path / "idx"))
    assert rc == 0, err
    assert out.startswith(f"{path}: a stackshot (IPS bug_type 288) of Finder, not a crash: 0 threads read")
    rc, out, err = run(capsys, "translate", str(path))
    assert rc == 2 and "is a stackshot (IPS bug_type 288); translate renders crash reports" in err
    big = tmp_path / "big.ips"
    with open(big, "wb") as f:
        f.write(b'{"bug_type":"309"}\n{')
        f.truncate(300 << 20)  # sparse: no disk used
    rc, out, err = run(capsys, "stack", str(big), "--index-dir", str(tmp_path / "idx"))
    assert rc == 2 and "too big to be an Apple crash report" in err and err.count("\n") == 1
