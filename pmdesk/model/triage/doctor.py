"""`pmdesk doctor`: the post-mortem anti-patterns, checked on this machine — cores disabled (`ulimit -c`, the
RLIMIT_CORE of running processes), where the kernel sends cores (/proc/sys/kernel/core_pattern: a folder that
cannot take them, systemd-coredump and its Storage/Compress/ProcessSizeMax/MaxUse), JVMs that would die without
a heap dump or a flight recording, Go programs without GOTRACEBACK=crash, Python without faulthandler,
programs without build-ids or reachable symbols, and dump storms (one signature many times in an hour) in
triaged folders. Each finding names what is wrong and the command that fixes it.

Reads /proc and /etc only (`root` moves both, for a container's or a chroot's view); changes nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import resource
import shutil
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pmdesk.model.triage.buckets import bucket_rows

STORM_DUMPS = 10          # a bucket with this many dumps …
STORM_WINDOW_S = 3600     # … within an hour is a storm
GIB = 1 << 30


@dataclass(frozen=True)
class Finding:
    check: str       # stable name: 'core.ulimit', 'jvm.heap-dump', …
    severity: str    # 'error' (dumps will be lost) | 'warning' (dumps will be poorer) | 'info'
    what: str
    fix: str         # a command (or the line to add) that fixes it
    pid: int | None = None      # the process it is about (the first, when it is about several)
    pids: tuple[int, ...] = ()  # every process it is about

    def __post_init__(self) -> None:
        if self.pid is not None and not self.pids:
            object.__setattr__(self, "pids", (self.pid,))

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "pids": list(self.pids)}


@dataclass(frozen=True)
class Process:
    pid: int
    exe: str
    argv: list[str]
    env: dict[str, str]
    core_limit: int | None   # bytes; None = unlimited; -1 = not readable


def _read(path: Path, limit: int = 1 << 20) -> str | None:
    try:
        with open(path, "rb") as f:
            return f.read(limit).decode("utf-8", "replace")
    except OSError:
        return None


def processes(root: str = "/") -> list[Process]:
    """The processes this user can see, with what the checks need (those it cannot read are left out)."""
    proc = Path(root) / "proc"
    out = []
    me = os.getpid()
    for d in proc.iterdir() if proc.is_dir() else []:
        if not d.name.isdigit() or int(d.name) == me:
            continue
        cmd = _read(d / "cmdline")
        if not cmd:
            continue   # a kernel thread, or gone
        try:
            exe = os.readlink(d / "exe")
        except OSError:
            exe = ""
        env_text = _read(d / "environ") or ""
        env = dict(kv.split("=", 1) for kv in env_text.split("\0") if "=" in kv)
        out.append(Process(int(d.name), exe, [a for a in cmd.split("\0") if a], env, _core_limit(d)))
    return out


def _core_limit(d: Path) -> int | None:
    text = _read(d / "limits") or ""
    m = re.search(r"^Max core file size\s+(\S+)", text, re.M)
    if not m:
        return -1
    return None if m[1] == "unlimited" else int(m[1])


def _name(p: Process) -> str:
    exe = p.exe if p.exe and not p.exe.endswith(" (deleted)") and not p.exe.startswith("memfd:") else p.argv[0]
    return os.path.basename(exe)


def check_ulimit() -> list[Finding]:
    soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
    if soft == 0:
        fix = "ulimit -c unlimited" + ("" if hard != 0 else "   (the hard limit is 0 too: raise it in "
                                       "/etc/security/limits.conf: '* hard core unlimited')")
        return [Finding("core.ulimit", "error", "core dumps are off in this shell (ulimit -c is 0): a program "
                        "started from it that crashes leaves no core", fix)]
    return []


def check_process_limits(procs: list[Process]) -> list[Finding]:
    """Processes whose core limit is 0, one finding per program (its pids listed)."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for p in procs:
        if p.core_limit == 0:
            by_name[_name(p)].append(p.pid)
    out = []
    for name, pids in sorted(by_name.items()):
        shown = ", ".join(map(str, pids[:8])) + (f" and {len(pids) - 8} more" if len(pids) > 8 else "")
        out.append(Finding("core.rlimit", "warning", f"{name} (pid {shown}) runs with RLIMIT_CORE 0: if it crashes "
                           "there will be no core", " && ".join(f"prlimit --pid {p} --core=unlimited" for p in pids[:8])
                           + "   (for a systemd service: LimitCORE=infinity in its unit)", pids[0], tuple(pids)))
    return out


def _coredump_conf(root: str) -> dict[str, str]:
    """systemd-coredump's settings: coredump.conf, then its drop-ins in order (later ones win)."""
    etc = Path(root) / "etc" / "systemd"
    files = [etc / "coredump.conf"] + sorted((etc / "coredump.conf.d").glob("*.conf"))
    conf: dict[str, str] = {}
    for f in files:
        for line in (_read(f) or "").splitlines():
            line = line.strip()
            if line and not line.startswith(("#", ";", "[")) and "=" in line:
                k, v = line.split("=", 1)
                conf[k.strip()] = v.strip()
    return conf


def _size_bytes(text: str) -> int | None:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGTPE]?)B?", text.strip(), re.I)
    if not m:
        return None
    return int(float(m[1]) * 1024 ** " KMGTPE".index(m[2].upper() or " "))


def check_core_pattern(root: str, procs: list[Process]) -> list[Finding]:
    pattern = (_read(Path(root) / "proc/sys/kernel/core_pattern") or "").strip()
    out: list[Finding] = []
    if not pattern:
        return out
    if pattern.startswith("|"):
        handler = pattern[1:].split()[0]
        if "systemd-coredump" in handler:
            out += check_systemd_coredump(root, procs)
        elif "apport" in handler:
            out.append(Finding("core.pattern", "warning", "cores go to apport, which keeps only crashes of packaged "
                               "programs (and drops repeats)", "sudo sysctl -w kernel.core_pattern="
                               "'|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h'   (or install "
                               "systemd-coredump)"))
        elif not os.path.exists(Path(root) / handler.lstrip("/")) and not os.path.exists(handler):
            out.append(Finding("core.pattern", "error", f"core_pattern pipes cores to {handler}, which does not exist: "
                               "every core is lost", "sudo sysctl -w kernel.core_pattern=/var/crash/core.%e.%p.%t"))
        return out
    folder = os.path.dirname(pattern)
    if not folder:
        out.append(Finding("core.pattern", "warning", f"core_pattern is {pattern!r}: each core lands in the crashing "
                           "program's working directory (often read-only, or where nobody looks)",
                           "sudo mkdir -p /var/crash && sudo sysctl -w kernel.core_pattern=/var/crash/core.%e.%p.%t"))
        return out
    if not os.path.isdir(folder):
        out.append(Finding("core.pattern", "error", f"core_pattern writes into {folder}, which does not exist: every "
                           "core is lost", f"sudo mkdir -p {folder} && sudo chmod 1777 {folder}"))
        return out
    free = shutil.disk_usage(folder).free
    biggest = max((_rss(root, p.pid) for p in procs), default=0)
    if biggest and free < biggest:
        out.append(Finding("core.space", "warning", f"{folder} has {free / GIB:.1f} GiB free, less than the largest "
                           f"process here ({biggest / GIB:.1f} GiB resident): its core would be cut short",
                           f"free space on {folder}, or point core_pattern at a bigger volume"))
    if "%p" not in pattern and "%t" not in pattern:
        out.append(Finding("core.pattern", "warning", f"core_pattern {pattern!r} has no %p or %t: each core "
                           "overwrites the last", f"sudo sysctl -w kernel.core_pattern={pattern}.%e.%p.%t"))
    return out


def _rss(root: str, pid: int) -> int:
    text = _read(Path(root) / "proc" / str(pid) / "status") or ""
    m = re.search(r"^VmRSS:\s+(\d+) kB", text, re.M)
    return int(m[1]) * 1024 if m else 0


def check_systemd_coredump(root: str, procs: list[Process]) -> list[Finding]:
    conf = _coredump_conf(root)
    out: list[Finding] = []
    fix_file = "/etc/systemd/coredump.conf.d/pmdesk.conf"
    storage = conf.get("Storage", "external").lower()
    if storage == "none":
        out.append(Finding("coredump.storage", "error", "systemd-coredump is set to Storage=none: it logs crashes but "
                           "keeps no core", f"printf '[Coredump]\\nStorage=external\\n' | sudo tee {fix_file}"))
    if conf.get("Compress", "yes").lower() in ("no", "false", "0", "off"):
        out.append(Finding("coredump.compress", "info", "systemd-coredump stores cores uncompressed (Compress=no); "
                           "pmdesk reads its zstd cores as they are", f"printf '[Coredump]\\nCompress=yes\\n' | "
                           f"sudo tee {fix_file}"))
    limit = _size_bytes(conf.get("ProcessSizeMax", "")) if conf.get("ProcessSizeMax") else 32 * GIB
    big = [p for p in procs if limit is not None and _rss(root, p.pid) > limit]
    for p in big[:5]:
        out.append(Finding("coredump.size", "warning", f"{_name(p)} (pid {p.pid}) is bigger than systemd-coredump's "
                           f"ProcessSizeMax ({limit / GIB:.1f} GiB): its core would not be kept",
                           f"printf '[Coredump]\\nProcessSizeMax=64G\\nExternalSizeMax=64G\\n' | sudo tee {fix_file}",
                           p.pid))
    max_use = _size_bytes(conf.get("MaxUse", "")) if conf.get("MaxUse") else None
    if max_use is not None and max_use < 4 * GIB:
        out.append(Finding("coredump.maxuse", "warning", f"systemd-coredump keeps at most {max_use / GIB:.1f} GiB of "
                           "cores (MaxUse): older ones are removed, triaged or not", "pmdesk triage "
                           "/var/lib/systemd/coredump --keep-policy keep=3,compress   (then raise MaxUse=)"))
    return out


def _java_options(p: Process) -> str:
    return " ".join(p.argv) + " " + p.env.get("JAVA_TOOL_OPTIONS", "") + " " + p.env.get("JDK_JAVA_OPTIONS", "")


def check_runtimes(procs: list[Process]) -> list[Finding]:
    out = []
    for p in procs:
        name = _name(p)
        if name in ("java", "javaw") or p.exe.endswith("/bin/java"):
            opts = _java_options(p)
            if "+HeapDumpOnOutOfMemoryError" not in opts:
                out.append(Finding("jvm.heap-dump", "warning", f"JVM pid {p.pid} runs without "
                                   "-XX:+HeapDumpOnOutOfMemoryError: an OutOfMemoryError will leave no heap dump",
                                   f"jcmd {p.pid} VM.set_flag HeapDumpOnOutOfMemoryError true   (and add "
                                   "-XX:+HeapDumpOnOutOfMemoryError -XX:HeapDumpPath=/var/crash to its options)",
                                   p.pid))
            else:
                m = re.search(r"-XX:HeapDumpPath=(\S+)", opts)
                folder = m[1] if m else (p.env.get("PWD") or "/")
                folder = folder if os.path.isdir(folder) else os.path.dirname(folder) or "/"
                xmx = re.search(r"-Xmx(\d+)([kKmMgG]?)", opts)
                need = int(xmx[1]) * 1024 ** " kmg".index((xmx[2] or " ").lower()) if xmx else 0
                if os.path.isdir(folder) and need and shutil.disk_usage(folder).free < need:
                    out.append(Finding("jvm.heap-dump-space", "warning", f"JVM pid {p.pid} dumps its heap into "
                                       f"{folder}, which has less room than its -Xmx", "point -XX:HeapDumpPath at a "
                                       "volume with room for the whole heap", p.pid))
            if "StartFlightRecording" not in opts and "FlightRecorderOptions" not in opts:
                out.append(Finding("jvm.flight-recorder", "info", f"JVM pid {p.pid} records no flight recording: "
                                   "the minutes before it died will be unknown",
                                   f"jcmd {p.pid} JFR.start name=pmdesk maxage=1h dumponexit=true "
                                   "filename=/var/crash/", p.pid))
        elif _is_python(p) and not _has_faulthandler(p):
            out.append(Finding("python.faulthandler", "info", f"Python pid {p.pid} ({' '.join(p.argv[:3])[:60]}) runs "
                               "without faulthandler: a hang or a fatal signal prints no Python stacks",
                               "run it with PYTHONFAULTHANDLER=1 (or python -X faulthandler)", p.pid))
        elif _is_go(p) and p.env.get("GOTRACEBACK", "") not in ("crash", "core"):
            out.append(Finding("go.traceback", "info", f"Go program {name} (pid {p.pid}) runs without "
                               "GOTRACEBACK=crash: a panic prints one goroutine and leaves no core",
                               "start it with GOTRACEBACK=crash (and ulimit -c unlimited)", p.pid))
    return out


def _is_python(p: Process) -> bool:
    return bool(re.fullmatch(r"python[0-9.]*", _name(p)))


def _has_faulthandler(p: Process) -> bool:
    return p.env.get("PYTHONFAULTHANDLER", "") not in ("", "0") or any(
        a == "faulthandler" or a.endswith("faulthandler") for a in p.argv[1:4])


def _is_go(p: Process) -> bool:
    from pmdesk.native.symbol_files import section_names

    return bool(p.exe) and ".go.buildinfo" in section_names(p.exe)


def check_symbols(procs: list[Process]) -> list[Finding]:
    """Running programs whose crashes could not be symbolicated: no build-id, or no symbols anywhere pmdesk
    looks (the binary itself, /usr/lib/debug, debuginfod)."""
    from pmdesk.native.symbol_files import build_id_of_file, section_names

    out = []
    seen: set[str] = set()
    debuginfod = bool(os.environ.get("DEBUGINFOD_URLS"))
    for p in procs:
        if not p.exe or p.exe in seen or not os.path.isfile(p.exe):
            continue
        seen.add(p.exe)
        bid = build_id_of_file(p.exe)
        if bid is None:
            out.append(Finding("symbols.build-id", "warning", f"{p.exe} has no build-id: its cores cannot be matched "
                               "to its symbols", "link it with -Wl,--build-id", p.pid))
            continue
        local = bool(section_names(p.exe) & {".debug_info", ".symtab"})
        separate = Path(f"/usr/lib/debug/.build-id/{bid[:2]}/{bid[2:]}.debug").exists()
        if not (local or separate or debuginfod):
            out.append(Finding("symbols.missing", "info", f"{p.exe} is stripped and its symbols are nowhere pmdesk "
                               "looks (/usr/lib/debug, debuginfod): its frames will be addresses",
                               "install its -dbgsym package, or export DEBUGINFOD_URLS=https://debuginfod.debian.net",
                               p.pid))
    return out


def check_storms(rows: list[dict[str, Any]]) -> list[Finding]:
    """Buckets of triaged dumps with STORM_DUMPS or more dumps within STORM_WINDOW_S."""
    out = []
    for b in bucket_rows(rows):
        times = sorted(dt.datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp() for r in b.rows)
        lo = best = 0
        for hi in range(len(times)):
            while times[hi] - times[lo] > STORM_WINDOW_S:
                lo += 1
            best = max(best, hi - lo + 1)
        if best >= STORM_DUMPS:
            out.append(Finding("dumps.storm", "warning", f"{b.count} dumps of '{b.signature}' ({best} within an "
                               "hour): a dump storm fills the disk with copies of one bug",
                               "pmdesk triage DIR --keep-policy keep=3,compress --apply   (and rate-limit the dumps: "
                               "-XX:+ExitOnOutOfMemoryError, or systemd's StartLimitBurst)"))
    return out


def doctor(root: str = "/", rows: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """`pmdesk doctor --json`: {"findings": [{check, severity, what, fix, pid, pids}], "checked": [names],
    "processes": N}."""
    procs = processes(root)
    findings = (check_ulimit() + check_process_limits(procs) + check_core_pattern(root, procs) + check_runtimes(procs)
                + check_symbols(procs) + check_storms(rows or []))
    order = {"error": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: (order[f.severity], f.check, f.pid or 0))
    counts: dict[str, int] = defaultdict(int)
    for f in findings:
        counts[f.severity] += 1
    return {"findings": [f.as_json() for f in findings],
            "checked": ["core.ulimit", "core.rlimit", "core.pattern", "coredump", "jvm", "python", "go", "symbols",
                        "dumps.storm"],
            "processes": len(procs), "counts": dict(counts)}
