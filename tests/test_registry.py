"""The format registry ties the program to the world: every format has an Overview, a status line, commands
and docks of its kinds, desktop types whose content rules agree with the reader's own sniff on real files,
and the installers (generated from it) claim nothing else. Outside readers/ and the registry no code picks
behaviour by a format's name."""

from __future__ import annotations

import ast
import fnmatch
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from pmdesk.cli.registry import COMMANDS
from pmdesk.model.formats import SESSION_MIME, Kind, formats
from pmdesk.readers.base import SNIFF_BYTES
from tests.conftest import DATA, ROOT

CORPUS = ROOT.parent / "shared" / "corpus" / "out"
COMPRESSED = (b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"\xfd7zXZ\x00")  # desktop content rules cannot see inside


def sample_files() -> list[Path]:
    """Real artefacts of every format and files of no format (truth files, sources, binaries)."""
    roots = [DATA] + ([CORPUS] if CORPUS.exists() else [])
    return sorted(p for r in roots for p in r.rglob("*") if p.is_file() and p.stat().st_size > 0)


def head(p: Path) -> bytes:
    with open(p, "rb") as f:
        return f.read(SNIFF_BYTES)


def resolve(target: str) -> object:
    module, name = target.split(":")
    return getattr(importlib.import_module(module), name)


def test_every_format_has_an_overview_a_status_line_commands_and_a_desktop_type() -> None:
    for f in formats():
        assert callable(resolve(f.overview.__name__)) and callable(resolve(f.status_line.__name__)), f.name
        assert any(set(c.kinds) & set(f.kinds) for c in COMMANDS), f"{f.name}: no command reads its kinds"
        assert f.mime, f"{f.name}: no desktop type"
        assert any(g.startswith("*.") and "." not in g[2:] for m in f.mime for g in m.globs) or any(
            m.open_with for m in f.mime), \
            f"{f.name}: no extension for the Windows and macOS installers"
        if f.has(Kind.HEAP_GRAPH):
            assert f.graph_source is not None and callable(resolve(f.graph_source.__name__)), f.name


def test_docks_of_each_kind_exist() -> None:
    from pmdesk.views.registry import VIEWS

    for f in formats():
        assert any(set(v.KINDS) & set(f.kinds) for v in VIEWS), f"{f.name}: no dock shows its kinds"


def test_desktop_content_rules_agree_with_the_readers_sniff() -> None:
    """A file a format's magic claims is one its reader accepts; a file its reader accepts (by its first
    bytes) is claimed by its magic or named by its globs — on every real artefact here."""
    checked = 0
    for p in sample_files():
        h = head(p)
        for f in formats():
            rules = [m for t in f.mime for m in t.magic]
            claimed = any(m.matches(h) for m in rules)
            accepted = f.reader.sniff(h)
            if claimed:
                assert accepted, f"{p}: {f.name}'s desktop type claims it, its reader does not"
            if accepted and not h.startswith(COMPRESSED):
                named = any(fnmatch.fnmatch(p.name, g) for t in f.mime for g in t.globs)
                assert claimed or named, f"{p}: read by {f.name}, but no desktop type of it claims it"
                checked += 1
    assert checked >= 30


def test_installers_are_what_the_registry_says() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "installers" / "generate.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr + " (run: python installers/generate.py)"
    text = (ROOT / "installers" / "linux" / "pmdesk.desktop.in").read_text()
    claimed = next(ln for ln in text.splitlines() if ln.startswith("MimeType=")).split("=", 1)[1].strip(";").split(";")
    known = {t.name for f in formats() for t in f.mime} | {SESSION_MIME.name}
    assert set(claimed) == known  # e.g. a type no reader reads (.ips before its reader existed) fails here


def test_readme_command_table_is_the_registry() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "readme_commands.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + " (run: python scripts/readme_commands.py)"


def _format_names() -> set[str]:
    return {f.name for f in formats()}


def _violations(tree: ast.AST, names: set[str]) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            consts = [o for o in operands if isinstance(o, ast.Constant) and o.value in names]
            elts = [e for o in operands if isinstance(o, ast.Tuple | ast.List | ast.Set) for e in o.elts
                    if isinstance(e, ast.Constant) and e.value in names]
            formats_attr = any(isinstance(o, ast.Attribute) and (o.attr == "format" or o.attr == "name" and isinstance(
                o.value, ast.Attribute) and o.value.attr == "SPEC") for o in operands)
            if consts or elts and formats_attr:
                out.append((node.lineno, f"compares with the format name {(consts or elts)[0].value!r}"))
            elif formats_attr and any(isinstance(o, ast.Constant) and isinstance(o.value, str) for o in operands):
                out.append((node.lineno, "compares a format with a string"))
        elif isinstance(node, ast.Dict):
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and k.value in names]
            if len(keys) >= 2:
                out.append((node.lineno, f"a per-format dict ({', '.join(keys)})"))
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and "FORMAT" in t.id for t in node.targets):
            if isinstance(node.value, ast.Tuple | ast.List) and any(
                    isinstance(e, ast.Constant) and e.value in names for e in node.value.elts):
                out.append((node.lineno, "a list of format names"))
    return out


def test_no_format_names_outside_readers_and_the_registry() -> None:
    names = _format_names()
    found = []
    for p in sorted((ROOT / "pmdesk").rglob("*.py")):
        rel = p.relative_to(ROOT / "pmdesk").as_posix()
        if rel.startswith("readers/") or rel == "model/formats.py":
            continue
        found += [f"pmdesk/{rel}:{line}: {what}" for line, what in _violations(ast.parse(p.read_text()), names)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("code", [
    'if dump.format == "hprof": pass',
    'x = {"hprof": 1, "jfr": 2}',
    'FORMATS = ("elfcore",)',
    'ok = d.format in ("threads", "jfr")',
    'if reader.SPEC.name != "x": pass',
])
def test_the_walk_catches_what_it_looks_for(code: str) -> None:
    assert _violations(ast.parse(code), _format_names())
