"""Strip outputs and execution counts from notebooks before they are committed.

Usage: ``python notebooks/strip_outputs.py [NOTEBOOK ...]`` (default: every
``notebooks/*.ipynb``), or ``make notebooks-strip``.  ``tests/test_notebooks.py`` fails
when a committed notebook still carries outputs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent


def strip(path: Path) -> bool:
    """Clear outputs, execution counts and run metadata of ``path``; True if it changed."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    # The kernel's version details change with every machine that runs it.
    if "language_info" in nb.metadata:
        nb.metadata.language_info = {"name": nb.metadata.language_info.get("name", "python")}
    for cell in nb.cells:
        # Timing and collapse state are per run, not part of the notebook.
        for key in ("execution", "collapsed", "scrolled"):
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    after = nbformat.writes(nb)
    if after != before:
        path.write_text(after + "\n" if not after.endswith("\n") else after)
    return after != before


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(HERE.glob("*.ipynb"))
    for p in paths:
        if strip(p):
            print(f"stripped {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
