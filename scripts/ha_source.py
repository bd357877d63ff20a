"""Unpack the Home Assistant wheel for mypy, in syntax the running Python can parse.

Home Assistant 2026.11 needs Python 3.14 and uses its unparenthesised
``except A, B:`` (PEP 758); mypy parses with the interpreter it runs on (3.13 here),
so those clauses get parentheses. Nothing else changes: the types are the same.
"""

from __future__ import annotations

from pathlib import Path
import re
import sys
import zipfile

EXCEPT_TUPLE = re.compile(r"^(\s*except\s+)(?!\()([^:()]+,[^:()]+?)(\s*:)", re.MULTILINE)


def main(wheel: str, target: str) -> None:
    """Extract ``wheel`` into ``target``, rewriting PEP 758 except clauses."""
    out = Path(target)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(out)
    for path in out.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        fixed = EXCEPT_TUPLE.sub(r"\1(\2)\3", text)
        if fixed != text:
            path.write_text(fixed, encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
