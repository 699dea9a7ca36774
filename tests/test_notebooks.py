"""The tradeoff notebooks: committed without outputs, and each runs top to bottom.

Execution uses nbclient with the ``python3`` kernel, which jupyter_client starts with the
interpreter running the tests (the venv's), so the notebooks see the same ``delta``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
IDS = [p.stem for p in PATHS]
#: Notebooks that read ../shared/data (skipped without it, except in CI: see conftest).
#: 01 plans the testbed's cloud candidate, whose hardware comes from the instance-type specs.
NEEDS_SHARED_DATA = {"01_plan_tradeoffs", "03_spot_prices"}


def test_there_are_notebooks():
    # The four; a renamed or deleted one must not silently drop out of CI.
    expected = {"01_plan_tradeoffs", "02_profiles", "03_spot_prices", "04_time_to_accuracy"}
    assert expected <= set(IDS), f"missing in {NOTEBOOKS}: {sorted(expected - set(IDS))}"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_committed_without_outputs(path: Path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and (c.outputs or c.execution_count is not None)]
    assert not dirty, (f"{path.name}: cells {dirty} carry outputs; "
                       "run `make notebooks-strip` before committing")


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_opens_with_a_markdown_cell_saying_what_it_answers(path: Path):
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "run" in first.source.lower()


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_runs_top_to_bottom(path: Path, monkeypatch, request):
    if path.stem in NEEDS_SHARED_DATA:
        request.getfixturevalue("shared_data")
    # Headless: figures render with Agg and are not displayed.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    # Raises CellExecutionError, naming the cell and the traceback, on the first error.
    NotebookClient(nb, kernel_name="python3", timeout=600, allow_errors=False,
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
