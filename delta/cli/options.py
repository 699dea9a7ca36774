"""Options shared by several commands."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer


class OutputFormat(str, Enum):
    table = "table"
    json = "json"


DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar="DELTA_DB", help="Observation store (SQLite file). "
                 "Default: delta.sqlite3 in the user's data directory.", show_default=False),
]
FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="table for people, json for scripts.")
]
