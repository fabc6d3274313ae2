"""Layering and style: import-linter contracts from pyproject.toml, and ruff."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    assert found, f"{name} is not installed (pip install -e '.[test]')"
    return found


def test_import_contracts() -> None:
    r = subprocess.run([tool("lint-imports")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_ruff_clean() -> None:
    r = subprocess.run([tool("ruff"), "check", "pmdesk", "tests", "benchmarks", "installers", "scripts"], cwd=ROOT,
                       capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stdout + r.stderr
