"""``delta prices``: spot price history, forecasts and expected cost."""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from delta.cli.options import DbOption, FormatOption, OutputFormat
from delta.errors import PriceError

app = typer.Typer(help="Spot price history (import, fetch), forecasts of what a spot run "
                  "will cost, and the forecasters' backtest.", no_args_is_help=True)

HistoryOption = Annotated[
    list[Path] | None,
    typer.Option("--history", help="History JSON files ({\"SpotPriceHistory\": [...]}, .gz "
                 "too) instead of the store. Repeat for several.", show_default=False),
]
AdvisorOption = Annotated[
    Path | None,
    typer.Option("--advisor", envvar="DELTA_SPOT_ADVISOR", show_default=False,
                 help="Spot advisor JSON (.gz too) for interruption risk and on-demand price."),
]
QUERY_FIELDS = {"instance_type", "az", "region", "product", "start", "hours", "checkpoint_s"}


@contextmanager
def _progress(label: str, total: int) -> Iterator[Callable[[], None]]:
    """A progress bar on stderr for long work (more than 20 steps, on a terminal)."""
    from rich.console import Console

    console = Console(stderr=True)
    if total <= 20 or not console.is_terminal:
        yield lambda: None
        return
    from rich.progress import Progress

    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda: bar.advance(task)


@app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(help="History JSON files (.gz too).",
                                                show_default=False)],
    db: DbOption = None,
) -> None:
    """Validate FILES and add their records to the store (duplicates are dropped)."""
    from delta.pricing.history import read_history_files
    from delta.pricing.price_store import add_prices
    from delta.store import Store

    batches = [(f, read_history_files([f])) for f in files]  # validate everything first
    with Store(db) as store:
        for f, recs in batches:
            n = add_prices(store, recs)
            typer.echo(f"{f}: {len(recs)} records, {n} new, into {store.path}", err=True)


@app.command("fetch")
def fetch_command(
    region: Annotated[str, typer.Option(help="EC2 region, e.g. sa-east-1.", show_default=False)],
    instance_types: Annotated[str, typer.Option(
        "--instance-types", help="Comma-separated, e.g. m5.large,c5.xlarge.",
        show_default=False)],
    product: Annotated[str | None, typer.Option(help="e.g. 'Linux/UNIX'. Default: all.",
                                                show_default=False)] = None,
    endpoint_url: Annotated[str | None, typer.Option(
        help="EC2 endpoint (a local test server, say).", show_default=False)] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Fetch spot price history from EC2 (boto3) into the store.

    Asks only for what is newer than the store holds (at most the API's 90 days), follows
    every page, and retries throttling with backoff.
    """
    from delta.pricing.ingest import fetch_into_store, make_client
    from delta.store import Store

    types = [t.strip() for t in instance_types.split(",") if t.strip()]
    if not types:
        raise PriceError("give at least one instance type", field="--instance-types")
    client = make_client(region, endpoint_url=endpoint_url)
    with Store(db) as store:
        results = fetch_into_store(store, client, region=region, instance_types=types,
                                   product=product)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps([{"instance_type": r.instance_type, "since": r.since.isoformat(),
                                "received": r.received, "added": r.added} for r in results]))
        return
    for r in results:
        typer.echo(f"{r.instance_type}: {r.received} records since {r.since:%Y-%m-%d %H:%M}, "
                   f"{r.added} new")


def _history(files: list[Path] | None, db: Path | None, instance_types: list[str]) -> Any:
    from delta.pricing.history import PriceHistory, read_history_files

    if files:
        return PriceHistory.from_records(read_history_files(files))
    from delta.pricing.price_store import load_prices, stored_instance_types
    from delta.store import Store

    with Store(db) as store:
        history = load_prices(store, instance_types=instance_types)
        known = stored_instance_types(store) if not len(history) else []
    if not known:
        if not len(history):
            raise PriceError("no price history in the store; run 'delta prices import' or "
                             "'delta prices fetch', or pass --history", source=str(store.path))
        return history
    wanted = ", ".join(instance_types)
    near = difflib.get_close_matches(instance_types[0], known) if instance_types else []
    hint = f"; did you mean {' or '.join(near[:2])}?" if near else ""
    raise PriceError(f"no price history in the store for {wanted}{hint}",
                     source=str(store.path), field="instance_type")


def _read_queries(path: Path) -> list[dict[str, Any]]:
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise PriceError("no such file", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PriceError(f"cannot read: {exc}", source=str(path)) from None
    rows = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PriceError(f"not JSON: {exc.msg}", source=str(path), field=f"line {n}") from None
        if not isinstance(row, dict):
            raise PriceError("expected a JSON object", source=str(path), field=f"line {n}")
        unknown = sorted(set(row) - QUERY_FIELDS)
        if unknown:
            raise PriceError(f"unknown field {unknown[0]!r} (expected one of "
                             f"{', '.join(sorted(QUERY_FIELDS))})", source=str(path),
                             field=f"line {n}")
        for req in ("instance_type", "product", "start", "hours"):
            if req not in row:
                raise PriceError(f"missing {req!r}", source=str(path), field=f"line {n}")
        rows.append({**row, "_line": n})
    if not rows:
        raise PriceError("no queries in the file", source=str(path))
    return rows


@app.command("forecast")
def forecast_command(
    instance_type: Annotated[str | None, typer.Option(help="e.g. m5.large.",
                                                      show_default=False)] = None,
    product: Annotated[str, typer.Option(help="Product description.")] = "Linux/UNIX",
    az: Annotated[str | None, typer.Option(help="Price this zone.", show_default=False)] = None,
    region: Annotated[str | None, typer.Option(help="Pick the cheapest zone of this region.",
                                               show_default=False)] = None,
    start: Annotated[str | None, typer.Option(help="Run start, ISO-8601 (UTC if no zone).",
                                              show_default=False)] = None,
    hours: Annotated[float | None, typer.Option(help="Run length in hours.",
                                                show_default=False)] = None,
    checkpoint_s: Annotated[float | None, typer.Option(
        help="Checkpoint interval for the lost-work estimate. Default: no checkpoints.",
        show_default=False)] = None,
    queries: Annotated[Path | None, typer.Option(
        help="JSON lines, one run per row (instance_type, az or region, product, start, "
        "hours[, checkpoint_s]); prints one JSON object per row, in order.",
        show_default=False)] = None,
    history: HistoryOption = None,
    advisor: AdvisorOption = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Expected cost of a spot run, with p10-p90, zone and interruption risk.

    The forecaster is chosen per zone by a rolling-origin backtest on that zone's past; only
    prices known at --start are used. Without --az the cheapest zone of --region is picked.
    """
    from delta.pricing.estimate import Estimator
    from delta.pricing.history import read_json_file
    from delta.pricing.risk import Advisor

    if queries is not None:
        rows = _read_queries(queries)
    else:
        missing = [n for n, v in (("--instance-type", instance_type), ("--start", start),
                                  ("--hours", hours)) if v is None]
        if missing:
            raise PriceError(f"missing {', '.join(missing)} (or give --queries FILE)",
                             source="forecast")
        rows = [{"instance_type": instance_type, "product": product, "az": az, "region": region,
                 "start": start, "hours": hours, "checkpoint_s": checkpoint_s, "_line": None}]
    adv = Advisor.from_feed(read_json_file(advisor), str(advisor)) if advisor else None
    est = Estimator(_history(history, db, sorted({str(r["instance_type"]) for r in rows})),
                    advisor=adv)
    answers = []
    with _progress("pricing", len(rows)) as advance:
        for r in rows:
            try:
                answers.append(est.estimate(str(r["instance_type"]), str(r["product"]),
                                            r["start"], r["hours"], az=r.get("az"),
                                            region=r.get("region"),
                                            checkpoint_s=r.get("checkpoint_s")))
            except PriceError as exc:
                if r["_line"] is None:
                    raise
                raise PriceError(exc.message, source=str(queries),
                                 field=f"line {r['_line']}.{exc.field or 'query'}") from None
            advance()
    if queries is not None or fmt is OutputFormat.json:
        for a in answers:
            sys.stdout.write(json.dumps(a.to_dict()) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    a = answers[0]
    t = Table(title=f"{a.instance_type} {a.product} in {a.az}, {a.hours:g} h from {a.start}",
              title_justify="left", show_header=False)
    t.add_row("expected cost", f"${a.expected_usd:.4f}  (p10 ${a.p10_usd:.4f}, "
              f"p90 ${a.p90_usd:.4f})")
    t.add_row("mean price", f"${a.mean_price:.4f}/h (last ${a.last_price:.4f}/h)")
    t.add_row("forecaster", a.model)
    t.add_row("billed", f"{a.billed_s} s")
    if a.p_interrupt is not None:
        t.add_row("interruption", f"{100 * a.p_interrupt:.2f}% within the run; expected lost "
                  f"work ${a.expected_loss_usd:.4f}")
    if a.on_demand_price is not None:
        t.add_row("on-demand", f"${a.on_demand_price:.4f}/h")
    Console().print(t)


@app.command("backtest")
def backtest_command(
    instance_types: Annotated[str | None, typer.Option(
        "--instance-types", help="Comma-separated; default all.", show_default=False)] = None,
    product: Annotated[str | None, typer.Option(help="Only this product.",
                                                show_default=False)] = None,
    horizons: Annotated[str, typer.Option(help="Run lengths in hours, comma-separated.")] =
        "1,24,72",
    origins: Annotated[int, typer.Option(min=1, help="Rolling origins, evenly spaced.")] = 8,
    max_series: Annotated[int, typer.Option(min=1, help="At most this many series.")] = 50,
    history: HistoryOption = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Rolling-origin error table of every forecaster and the per-series choice.

    Mean and median APE of the expected cost per run length, and p10-p90 coverage.
    """
    from dataclasses import asdict

    import numpy as np

    from delta.pricing.estimate import Estimator
    from delta.pricing.evaluation import evaluate, summarize

    try:
        hs = [float(h) for h in horizons.split(",") if h.strip()]
    except ValueError:
        raise PriceError(f"not a list of numbers: {horizons!r}", field="--horizons") from None
    if not hs or any(not h > 0 for h in hs):
        raise PriceError("horizons must be positive hours", field="--horizons")
    types = [t.strip() for t in instance_types.split(",")] if instance_types else []
    hist = _history(history, db, types)
    keys = sorted(k for k in hist if (not types or k.instance_type in types)
                  and (product is None or k.product == product))[:max_series]
    if not keys:
        raise PriceError("no series match", field="--instance-types")
    lo = min(hist[k].start for k in keys) + 7 * 86400.0
    hi = max(hist[k].end for k in keys) - max(hs) * 3600.0
    if hi <= lo:
        raise PriceError("history too short: needs over a week plus the longest horizon",
                         source="backtest")
    est = Estimator(hist)
    with _progress("backtest", len(keys)) as advance:
        cases = evaluate(est, keys, np.linspace(lo, hi, origins), hs, progress=advance)
    if not cases:
        raise PriceError("no series has enough history before the origins", source="backtest")
    rows = summarize(cases)
    if fmt is OutputFormat.json:
        typer.echo(json.dumps([asdict(r) for r in rows], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"rolling-origin backtest: {len(keys)} series, {origins} origins",
              title_justify="left")
    for col in ("hours", "forecaster", "mean APE %", "median APE %", "p10-p90 cover", "cases"):
        t.add_column(col)
    for r in rows:
        t.add_row(f"{r.hours:g}", r.model, f"{100 * r.mean_ape:.3f}", f"{100 * r.median_ape:.3f}",
                  "" if r.coverage is None else f"{100 * r.coverage:.1f}%", str(r.cases))
    Console().print(t)
