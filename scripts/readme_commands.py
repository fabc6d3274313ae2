"""Rewrites README.md's command table from the CLI's command records (pmdesk/cli/registry.py); with --check,
exits 1 when the README's table is not what this writes (tests/test_registry.py runs it so)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pmdesk.cli.registry import readme_table  # noqa: E402

README = ROOT / "README.md"
BEGIN = "<!-- generated from pmdesk/cli/registry.py by scripts/readme_commands.py: begin -->"
END = "<!-- generated from pmdesk/cli/registry.py by scripts/readme_commands.py: end -->"


def rewritten(text: str) -> str:
    a = text.index(BEGIN) + len(BEGIN)
    b = text.index(END)
    return text[:a] + "\n```\n" + readme_table() + "\n```\n" + text[b:]


def main(argv: list[str]) -> int:
    text = README.read_text()
    new = rewritten(text)
    if "--check" in argv:
        if new != text:
            print("README.md's command table is not what scripts/readme_commands.py writes", file=sys.stderr)
            return 1
        return 0
    README.write_text(new)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
