"""``delta plan``: a dry run of one round's plan."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from delta.cli.options import DbOption, FormatOption, OutputFormat
from delta.errors import ConfigError, DeltaError


def plan_command(
    testbed: Annotated[Path, typer.Argument(help="Testbed YAML (or JSON) file.",
                                            show_default=False)],
    observations: Annotated[
        list[Path] | None,
        typer.Option("--observations", "-o", help="Observation file(s), CSV or JSON lines, "
                     "added to what the store holds. Repeatable.", show_default=False),
    ] = None,
    deadline: Annotated[
        float | None,
        typer.Option("--deadline", help="Round deadline in seconds: plan the most work that "
                     "fits (overrides round.deadline_s).", show_default=False),
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option("--policy", help="What gives way on slow endpoints: epochs-first "
                     "(default: cut epochs, keep samples), samples-first, or both "
                     "(overrides round.policy).", show_default=False),
    ] = None,
    prices: Annotated[
        list[Path] | None,
        typer.Option("--prices", help="Spot price history (describe_spot_price_history JSON, "
                     ".gz too) to forecast spot candidates with. Default: the store's prices, "
                     "if any; else declared price_per_hour. Repeatable.", show_default=False),
    ] = None,
    advisor: Annotated[
        Path | None,
        typer.Option("--advisor", envvar="DELTA_SPOT_ADVISOR", show_default=False,
                     help="Spot advisor JSON (.gz too) for interruption risk."),
    ] = None,
    price_time: Annotated[
        str | None,
        typer.Option("--price-time", show_default=False,
                     help="When the round starts, ISO-8601 (default: the newest price known)."),
    ] = None,
    db: DbOption = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Ignore the store.")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Plan one round of TESTBED without dispatching anything.

    Fits a runtime model per endpoint from measured observations (the store plus any
    --observations files), then cuts epochs on slow endpoints and gives fast ones more,
    so the round does at least the uniform baseline's work and finishes sooner.
    Endpoints with no observations are planned from their declared hardware.

    Movable data may move once to a cloud candidate or a faster endpoint when that pays
    off over the remaining rounds; the table shows the moves and the Pareto front of
    makespan, dollars and learning progress, with the point picked by the objective's
    exchange_usd_per_hour.
    """
    from delta.config import load_testbed
    from delta.observations import read_located_observations
    from delta.planning import check_known_endpoints, plan_testbed, spot_cost_model
    from delta.store import Store, default_db_path

    from tuner.problem import POLICIES

    if deadline is not None and not deadline > 0:
        raise ConfigError(f"must be positive, got {deadline:g}", field="--deadline")
    if policy is not None and policy not in POLICIES:
        raise ConfigError(f"unknown policy {policy!r} (one of {', '.join(POLICIES)})",
                          field="--policy")
    tb = load_testbed(testbed)
    obs = []
    for f in observations or []:
        located = read_located_observations(f)
        recs = [o for _, o in located]
        check_known_endpoints(tb, recs, str(f), [w for w, _ in located])
        obs.extend(recs)
    db_path = db or default_db_path()
    if not no_store and db_path.exists():
        with Store(db_path) as store:
            obs.extend(store.observations())
    cost_model, price_notes = spot_cost_model(
        tb, prices or (), store_path=None if no_store else db_path, advisor_file=advisor,
        start=price_time)
    try:
        plan = plan_testbed(tb, obs, deadline_s=deadline, policy=policy, cost_model=cost_model)
        plan = replace(plan, notes=(*plan.notes, *price_notes))
    except DeltaError as exc:
        exc.source = exc.source or str(testbed)  # infeasible plans and cloud specs
        raise
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(plan.to_dict(), indent=2))
    else:
        render_plan(plan, Console(width=max(Console().width, 100)))


def render_plan(plan, console: Console) -> None:
    """The plan as a table, with the baseline and the speed-up over it."""
    t = Table(title=f"Plan for {plan.testbed} ({plan.mode} mode, {plan.policy})",
              title_justify="left")
    for col, just in [("endpoint", "left"), ("runs on", "left"), ("samples", "right"),
                      ("epochs", "right"), ("p50 s", "right"), ("p10–p90 s", "right"),
                      ("usd", "right"), ("from", "left")]:
        t.add_column(col, justify=just, no_wrap=True)
    for a in plan.assignments:
        q = a.predicted_seconds
        t.add_row(a.endpoint, a.runs_on, str(a.samples), str(a.epochs), f"{q.p50:.3g}",
                  f"{q.p10:.3g}–{q.p90:.3g}", f"{a.predicted_usd:.3g}",
                  "runs" if a.profile == "observations" else "hardware")
    console.print(t)
    for a in plan.assignments:
        console.print(f"  {a.endpoint}: {a.reason}", highlight=False)
    r, b = plan.round, plan.baseline
    console.print(
        f"round: makespan {r.makespan_s:.2f} s, ${r.usd:.4f}, {r.sample_epochs} sample-epochs\n"
        f"uniform baseline: makespan {b.makespan_s:.2f} s, ${b.usd:.4f}, "
        f"{b.sample_epochs} sample-epochs\n"
        f"learning progress: {r.progress:.3f} (uniform = 1)\n"
        f"speed-up over uniform: [bold]{plan.speedup:.2f}x[/bold]"
    )
    if plan.moves:
        m = Table(title="Data moves (once)", title_justify="left")
        for col in ("data of", "to", "bytes", "seconds", "usd"):
            m.add_column(col, justify="left" if col in ("data of", "to") else "right")
        for mv in plan.moves:
            m.add_row(mv.data_of, mv.to, str(mv.bytes), f"{mv.seconds:.3g}", f"{mv.usd:.3g}")
        console.print(m)
        for mv in plan.moves:
            console.print(f"  {mv.data_of}: {mv.reason}", highlight=False)
    if len(plan.pareto) > 1:
        shown = _spread(plan.pareto, FRONT_ROWS)
        more = (f"; {len(shown)} of {len(plan.pareto)} points (all in --format json)"
                if len(shown) < len(plan.pareto) else "")
        f = Table(title="Pareto front", title_justify="left", caption_justify="left",
                  caption=f"makespan with one-off moves amortised{more}")
        for col in ("", "makespan s", "usd/round", "progress", "moves", "work"):
            f.add_column(col, justify="right")
        for pt in shown:
            f.add_row("→" if pt.chosen else "", f"{pt.makespan_s:.3g}", f"{pt.usd:.3g}",
                      f"{pt.progress:.3f}", str(pt.moves), f"{pt.work_scale:.2f}x")
        console.print(f)
    for note in plan.notes:
        console.print(f"note: {note}")


FRONT_ROWS = 12


def _spread(points: tuple, k: int) -> list:
    """At most ``k`` points, evenly spaced along the front, always with the chosen one."""
    if len(points) <= k:
        return list(points)
    idx = {round(i * (len(points) - 1) / (k - 2)) for i in range(k - 1)}
    idx |= {i for i, p in enumerate(points) if p.chosen}
    return [points[i] for i in sorted(idx)]
