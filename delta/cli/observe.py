"""``delta observe``: the observation store."""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from delta.cli.options import DbOption, FormatOption, OutputFormat

app = typer.Typer(help="Import, list and export measured observations.", no_args_is_help=True)


class FileFormat(str, Enum):
    csv = "csv"
    jsonl = "jsonl"


@app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="CSV or JSON lines files.",
                                                show_default=False)],
    db: DbOption = None,
) -> None:
    """Validate FILES and add their records to the store (all or nothing per file)."""
    from delta.observations import read_observations
    from delta.store import Store

    batches = [(f, read_observations(f)) for f in files]  # validate everything first
    with Store(db) as store:
        for f, recs in batches:
            n = store.add(recs)
            typer.echo(f"imported {n} observations from {f} into {store.path}", err=True)


@app.command("export")
def export_command(
    fmt: Annotated[FileFormat, typer.Option("--format", "-f")] = FileFormat.csv,
    endpoint: Annotated[str | None, typer.Option(help="Only this endpoint.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write here, not stdout.")] = None,
    db: DbOption = None,
) -> None:
    """Write stored observations as CSV or JSON lines."""
    from delta.observations import write_observations
    from delta.store import Store

    with Store(db) as store:
        recs = store.observations(endpoint=endpoint)
    if out is None:
        write_observations(recs, fmt.value, sys.stdout)
    else:
        with out.open("w") as fh:
            write_observations(recs, fmt.value, fh)


@app.command("list")
def list_command(
    endpoint: Annotated[str | None, typer.Option(help="Only this endpoint.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 50,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show stored observations, oldest first."""
    from rich.console import Console
    from rich.table import Table

    from delta.store import Store

    with Store(db) as store:
        total = store.count()
        recs = store.observations(endpoint=endpoint, limit=limit)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps([r.to_dict() for r in recs], indent=2))
        return
    t = Table(title=f"{len(recs)} of {total} observations in {store.path}", title_justify="left")
    for col in ("endpoint", "task", "samples", "epochs", "batch", "seconds", "ok"):
        t.add_column(col)
    for r in recs:
        t.add_row(r.endpoint, r.task, str(r.samples), str(r.epochs), str(r.batch_size),
                  f"{r.seconds:.3f}", "yes" if r.ok else "no")
    Console().print(t)
