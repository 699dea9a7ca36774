"""``delta profile``: runtime predictions, experiment suggestions and fitted profiles.

The planner uses the same API (:func:`profiler.fit_profiles`); this is its edge: files in,
tables or JSON out.  Hardware columns (``cores, clock_ghz, memory_gb, arch,
accelerator``) may appear on any row and describe the row's endpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from delta.cli.options import DbOption, FormatOption, OutputFormat
from delta.errors import ConfigError, ObservationError
from delta.profiling import profiles_for, query_row

app = typer.Typer(help="Predict runtimes with uncertainty, suggest the next experiments, "
                  "and show fitted profiles.", no_args_is_help=True)

ObsOption = Annotated[list[Path], typer.Option(
    "--observations", "-o", help="Observation file(s), CSV or JSON lines. Repeatable.",
    show_default=False)]
TaskOption = Annotated[str, typer.Option("--task", help="Task kind to model.")]


def _hardware(row: dict[str, Any], where: str, source: str):
    """The row's hardware columns as a HardwareSpec, or None when it has none."""
    from profiler import HardwareSpec

    given = {k: row[k] for k in ("cores", "clock_ghz", "memory_gb", "arch", "accelerator")
             if row.get(k) not in (None, "")}
    if not given:
        return None
    try:
        for k, cast in (("cores", int), ("clock_ghz", float), ("memory_gb", float)):
            if k in given:
                given[k] = cast(float(given[k])) if k == "cores" else cast(given[k])
                if not given[k] > 0 or given[k] != given[k]:
                    raise ValueError(f"{k!r} must be positive, got {row[k]!r}")
    except (TypeError, ValueError) as exc:
        msg = str(exc) if "must be" in str(exc) else f"{k!r} must be a number, got {row[k]!r}"
        raise ObservationError(msg, source=source, field=where) from None
    return HardwareSpec(**given)


def _read(paths: list[Path], *, need_seconds: bool, kind: str):
    """``(rows, observations, hardware)`` from CSV / JSON lines files.

    Queries and candidates have no ``seconds``; they are validated like observation
    records with a placeholder duration, and must name samples and epochs.
    """
    from delta.observations import COLUMNS, HARDWARE_FIELDS, observation_from_mapping, read_rows

    rows, recs, hardware = [], [], {}
    for path in paths:
        for where, row in read_rows(path):
            checked = dict(row)
            if not need_seconds:
                # Query keys beyond the record's columns (an id, a label) pass through.
                checked = {k: v for k, v in row.items() if k in (*COLUMNS, *HARDWARE_FIELDS)}
                for col in ("endpoint", "samples", "epochs"):
                    if row.get(col) in (None, ""):
                        raise ObservationError(f"missing column {col!r} in {kind}",
                                               source=str(path), field=where)
                checked["seconds"] = 0
            try:
                rec = observation_from_mapping(checked, where)
            except ObservationError as exc:
                exc.source = str(path)
                raise
            hw = _hardware(row, where, str(path))
            if hw is not None:
                hardware[rec.endpoint] = hw
            rows.append(row)
            recs.append(rec)
    return rows, recs, hardware


def _typed(row: dict[str, Any], rec) -> dict[str, Any]:
    """The row's keys, with the record's validated numbers in place of CSV strings."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k in ("samples", "epochs", "batch_size", "threads", "model_params", "bytes", "cores"):
            out[k] = int(float(v)) if v not in (None, "") else v
        elif k in ("clock_ghz", "memory_gb", "seconds", "timestamp") and v not in (None, ""):
            out[k] = float(v)
        elif k == "endpoint":
            out[k] = rec.endpoint
        else:
            out[k] = v
    return out


@app.command("predict")
def predict_command(
    observations: ObsOption,
    queries: Annotated[Path, typer.Option("--queries", "-q", help="Configurations to "
                                          "predict: observation columns without seconds.",
                                          show_default=False)],
    task: TaskOption = "train",
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Predict p10/p50/p90 seconds for every query row, in order.

    Each endpoint's model is fitted from its observations; an endpoint with none is
    predicted from its hardware columns (learned across the observed endpoints).
    """
    import numpy as np

    _, obs, hardware = _read(observations, need_seconds=True, kind="observations")
    rows, recs, q_hw = _read([queries], need_seconds=False, kind="queries")
    profiles = profiles_for(obs, {**q_hw, **hardware}, recs, task, str(queries))
    out = []
    for row, rec in zip(rows, recs):
        prof = profiles[rec.endpoint]
        q = prof.quantiles(np.array([query_row(prof, rec, row)]))[0]
        out.append({**_typed(row, rec), "p10": round(float(q[0]), 4), "p50": round(float(q[1]), 4),
                    "p90": round(float(q[2]), 4), "profile": prof.source})
    _emit(out, fmt, "Predicted seconds", ("endpoint", "samples", "epochs", "batch_size",
                                          "threads", "model_params", "p10", "p50", "p90",
                                          "profile"))


@app.command("suggest")
def suggest_command(
    observations: ObsOption,
    candidates: Annotated[Path, typer.Option("--candidates", "-c", help="Configurations "
                                             "that could be run next.", show_default=False)],
    n: Annotated[int, typer.Option("--n", "-n", help="How many to choose.")] = 4,
    queries: Annotated[Path | None, typer.Option(
        "--queries", "-q", help="Configurations whose predictions matter (default: the "
        "candidates).", show_default=False)] = None,
    task: TaskOption = "train",
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Choose the N candidates that most reduce predictive uncertainty, in run order.

    An endpoint's first three runs: the shortest within 10% of the best gain
    (once another endpoint has runs); later runs: the best gain.  With no
    observations: its calibration plan.
    """
    import numpy as np

    from profiler import suggest

    if n < 1:
        raise ConfigError(f"must be at least 1, got {n}", field="--n")
    _, obs, hardware = _read(observations, need_seconds=True, kind="observations")
    rows, recs, c_hw = _read([candidates], need_seconds=False, kind="candidates")
    q_rows, q_recs, q_hw = (_read([queries], need_seconds=False, kind="queries")
                            if queries else (rows, recs, {}))
    profiles = profiles_for(obs, {**c_hw, **q_hw, **hardware}, [*recs, *q_recs], task,
                         str(candidates))
    cand = [(r.endpoint, query_row(profiles[r.endpoint], r, row)) for row, r in zip(rows, recs)]
    qs = [(r.endpoint, query_row(profiles[r.endpoint], r, row))
          for row, r in zip(q_rows, q_recs)]
    picks = suggest(profiles, cand, n, qs)
    out = []
    for order, i in enumerate(picks, 1):
        q = profiles[recs[i].endpoint].quantiles(np.array([cand[i][1]]))[0]
        out.append({**_typed(rows[i], recs[i]), "order": order, "p50": round(float(q[1]), 4)})
    _emit(out, fmt, f"Run next ({len(out)} of {len(rows)} candidates)",
          ("order", "endpoint", "samples", "epochs", "batch_size", "threads", "model_params",
           "p50"))


@app.command("show")
def show_command(
    endpoint: Annotated[str, typer.Argument(help="Endpoint id.", show_default=False)],
    observations: Annotated[list[Path] | None, typer.Option(
        "--observations", "-o", help="Observation file(s) added to the store's. Repeatable.",
        show_default=False)] = None,
    db: DbOption = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Ignore the store.")] = False,
    task: TaskOption = "train",
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Show an endpoint's fitted curves per variable, its error so far and data count."""
    from delta.observations import Observation
    from delta.store import Store, default_db_path
    from profiler import HardwareSpec
    from profiler.profiles import usable
    from profiler.summary import curves, error_so_far

    _, obs, hardware = _read(observations or [], need_seconds=True, kind="observations")
    db_path = db or default_db_path()
    if not no_store and db_path.exists():
        with Store(db_path) as store:
            obs.extend(store.observations())
    profiles = profiles_for(obs, hardware, [Observation(endpoint=endpoint, seconds=0)], task,
                         "endpoint")
    prof = profiles[endpoint]
    mine = [o for o in obs if o.endpoint == endpoint and usable(o, task)]
    err = error_so_far(obs, {ep: hardware.get(ep, HardwareSpec()) for ep in profiles},
                       endpoint, task)
    cs = curves(prof, mine)
    doc = {"endpoint": endpoint, "task": task, "source": prof.source,
           "n_observations": prof.n_observations, "noise_sigma": round(prof.model.sigma_, 4),
           "terms": {t: float(c) for t, c in zip(prof.model.terms, prof.model.coef_)},
           "error_so_far": None if err is None else {
               "n": err.n, "median_ape": round(err.median_ape, 4),
               "mean_ape": round(err.mean_ape, 4), "p10_p90_coverage": round(err.coverage, 4)},
           "curves": [{"variable": c.variable, "column": c.column, "points": [
               {c.column: v, "p10": round(q[0], 4), "p50": round(q[1], 4), "p90": round(q[2], 4)}
               for v, q in zip(c.values, c.quantiles)]} for c in cs]}
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(doc, indent=2))
        return
    _show_table(doc)


def _show_table(doc: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 100))
    console.print(f"[bold]{doc['endpoint']}[/bold] ({doc['task']}): {doc['source']}, "
                  f"{doc['n_observations']} observations, run noise ±{doc['noise_sigma']:.0%}",
                  highlight=False)
    err = doc["error_so_far"]
    console.print("error so far (leave-one-out): " + (
        "needs 2 observations" if err is None else
        f"median {err['median_ape']:.1%}, mean {err['mean_ape']:.1%}, p10–p90 covers "
        f"{err['p10_p90_coverage']:.0%} of {err['n']} runs"), highlight=False)
    console.print("terms: " + ", ".join(f"{t}={c:.4g}" for t, c in doc["terms"].items()),
                  highlight=False)
    for c in doc["curves"]:
        console.print(f"{c['variable']}: seconds vs {c['column']} (others at the median)",
                      highlight=False)
        t = Table()
        for col in (c["column"], "p10", "p50", "p90"):
            t.add_column(col, justify="right")
        for p in c["points"]:
            t.add_row(f"{p[c['column']]:g}", f"{p['p10']:.3g}", f"{p['p50']:.3g}",
                      f"{p['p90']:.3g}")
        console.print(t)


def _emit(out: list[dict], fmt: OutputFormat, title: str, cols: tuple[str, ...]) -> None:
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(out, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=title, title_justify="left")
    cols = tuple(c for c in cols if any(c in r for r in out)) or cols
    for c in cols:
        t.add_column(c, justify="left" if c in ("endpoint", "profile") else "right")
    for r in out:
        t.add_row(*[str(r.get(c, "")) for c in cols])
    Console(width=max(Console().width, 120)).print(t)
