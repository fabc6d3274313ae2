"""Screenshots of every format's default layout, as a user first sees it: for each screen (1366×768 and
1600×1000, at Qt scale 1 and 2) a virtual X display with a window manager (xvfb-run + openbox), a fresh
window per artefact (no saved layout), light and dark palettes; then one contact sheet per format
(ImageMagick's montage, 8-bit colour: ~120 KB a sheet) in resources/screenshots/formats/ — each row a
screen size and scale, light then dark. Look at them (and at the single shots, --raw) before committing.

Usage: python scripts/screenshots.py [--out DIR] [--only NAME…]   (needs xvfb-run, openbox, montage)
Inside a display it is run as: python scripts/screenshots.py --shoot OUT_DIR TAG
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
CORPUS = ROOT.parent / "shared" / "corpus" / "out"
SCREENS = (("1366x768", "1"), ("1600x1000", "1"), ("1366x768", "2"), ("1600x1000", "2"))
# (name, artefact): one of each format, the tests' own or the corpus's
ARTEFACTS = (
    ("hprof", ROOT / "resources" / "samples" / "leak-phase1.hprof.gz"),
    ("go-heap", DATA / "heaps" / "go" / "leak-1000.heapdump.gz"),
    ("python-heap", None),  # made by tests/data/heaps/python/leak_program.py
    ("jfr", CORPUS / "jvm" / "workload.jfr"),
    ("thread-dump", DATA / "threads" / "busy-pool.jstack.txt"),
    ("core", DATA / "native" / "cores" / "segv_chain.core"),
    ("go-core", DATA / "native" / "go" / "crash.core.gz"),  # inflated beside its program
    ("python-core", None),  # made by this interpreter (tests/test_python_core.py's program)
    ("apple-report", CORPUS / "mobile" / "ips" / "macsym-ios-crash.ips"),
    ("tombstone", DATA / "android" / "made-tombstone_00.txt"),
    ("minidump", DATA / "minidump" / "threads.dmp"),
    ("hserr", next((DATA / "hserr").glob("jdk17-native-hs_err_pid*.log"), None)),
    ("perf-data", DATA / "profiles" / "perf-dwarf.data"),
    ("tracemalloc", DATA / "samples" / "tracemalloc" / "a.tracemalloc"),
    ("heapy", DATA / "samples" / "heapy" / "growing.heapy"),
    ("memray", DATA / "samples" / "memray" / "alloc.memray"),
)
DARK = {"Window": "#2b2b2b", "WindowText": "#e0e0e0", "Base": "#1e1e1e", "AlternateBase": "#262626",
        "Text": "#e0e0e0", "Button": "#353535", "ButtonText": "#e0e0e0", "Highlight": "#2a6fb0",
        "HighlightedText": "#ffffff", "ToolTipBase": "#353535", "ToolTipText": "#e0e0e0",
        "PlaceholderText": "#909090", "BrightText": "#ff6060", "Link": "#6fa8ff"}


def prepared(work: Path, names: set[str] | None) -> list[tuple[str, Path]]:
    """The artefacts there are (compressed test data inflated into `work`, the Python snapshot made)."""
    out = []
    for name, path in ARTEFACTS:
        if names and name not in names:
            continue
        if name == "python-heap":
            path = work / "leak.pyheap"
            subprocess.run([sys.executable, str(DATA / "heaps" / "python" / "leak_program.py"), str(path),
                            str(work / "leak.json"), "2000"], check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        elif name == "python-core":
            sys.path.insert(0, str(ROOT))
            from benchmarks.runtime_cores import python_core

            path = python_core(work)
            if path is None:
                print(f"{name}: no core can be written here, left out")
                continue
        elif path is None or not path.exists():
            print(f"{name}: no artefact here, left out")
            continue
        elif path.suffix == ".gz" and name in ("go-heap", "go-core"):
            inflated = work / path.stem
            inflated.write_bytes(gzip.decompress(path.read_bytes()))
            if name == "go-core":
                shutil.copy(path.parent / "crash.bin", work / "crash.bin")
            path = inflated
        out.append((name, path))
    return out


def shoot(out: Path, tag: str, artefacts: list[tuple[str, Path]]) -> None:
    """In the display: each artefact in a fresh window, light then dark, saved as OUT/NAME-TAG-PALETTE.png."""
    from PySide6.QtCore import QEventLoop, QSettings, QTimer
    from PySide6.QtGui import QColor, QPalette
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    app.setStyle("Fusion")
    light = QPalette(app.palette())
    dark = QPalette()
    for role, colour in DARK.items():
        dark.setColor(getattr(QPalette.ColorRole, role), QColor(colour))
    from pmdesk.app.main_window import MainWindow

    def wait(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    with tempfile.TemporaryDirectory() as t:
        for name, path in artefacts:
            for pal_name, pal in (("light", light), ("dark", dark)):
                app.setPalette(pal)
                settings = QSettings(str(Path(t) / f"{name}-{pal_name}.ini"), QSettings.Format.IniFormat)
                w = MainWindow(index_dir=str(Path(t) / "idx"), settings=settings, autosave=str(Path(t) / "a.pmdesk"))
                w.show()
                w.open_path(str(path))
                for _ in range(600):
                    wait(100)
                    if w.is_idle():
                        break
                wait(1500)
                app.primaryScreen().grabWindow(0).save(str(out / f"{name}-{tag}-{pal_name}.png"))
                w.close()
                w.deleteLater()
                wait(200)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "resources" / "screenshots" / "formats"))
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--raw", help="keep each screenshot in this folder too")
    ap.add_argument("--shoot", nargs=2, metavar=("DIR", "TAG"), help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.shoot:
        work = Path(args.work)
        shoot(Path(args.shoot[0]), args.shoot[1], [(n, work / p) if not Path(p).is_absolute() else (n, Path(p))
                                                   for n, p in (x.split("=", 1) for x in args.only or [])])
        return
    for tool in ("xvfb-run", "openbox", "montage"):
        if shutil.which(tool) is None:
            sys.exit(f"needs {tool} (apt-get install xvfb openbox imagemagick)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pmdesk-shots-") as t:
        work, raw = Path(t), Path(args.raw) if args.raw else Path(t) / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        arts = prepared(work, set(args.only) if args.only else None)
        spec = [f"{n}={p}" for n, p in arts]
        for size, scale in SCREENS:
            tag = f"{size}-x{scale}"
            print(f"{tag}: {len(arts)} artefacts, light and dark", flush=True)
            inner = (f"openbox >/dev/null 2>&1 & sleep 1; QT_QPA_PLATFORM=xcb QT_SCALE_FACTOR={scale} "
                     f"{sys.executable} {Path(__file__)} --shoot {raw} {tag} --work {work} --only " + " ".join(spec))
            subprocess.run(["xvfb-run", "-a", "-s", f"-screen 0 {size}x24", "bash", "-c", inner], check=True,
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        for name, _p in arts:
            tiles = [str(raw / f"{name}-{s}-x{k}-{pal}.png") for s, k in SCREENS for pal in ("light", "dark")]
            tiles = [x for x in tiles if Path(x).exists()]
            subprocess.run(["montage", *tiles, "-tile", "4x", "-geometry", "560x350>+3+3", "-background", "#808080",
                            "-colors", "96", "+dither", f"PNG8:{out / (name + '.png')}"], check=True)
            print(f"{out / (name + '.png')}")


if __name__ == "__main__":
    main()
