"""``delta run``: dispatch FL rounds on a testbed, learning between rounds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from delta.cli.options import DbOption, FormatOption, OutputFormat


def run_command(
    testbed: Annotated[Path, typer.Argument(help="Testbed YAML (or JSON) file.",
                                            show_default=False)],
    rounds: Annotated[int | None, typer.Option(
        "--rounds", "-r", help="FL rounds (default: the testbed's rounds).",
        show_default=False)] = None,
    strategy: Annotated[str, typer.Option("--strategy", "-s", help="uniform (same work "
                        "everywhere), proportional (by declared hardware) or delta (learned "
                        "profiles, re-planned every round).")] = "delta",
    seed: Annotated[int, typer.Option(help="Seeds data partition, training and injected "
                                           "failures.")] = 0,
    samples: Annotated[int | None, typer.Option(help="Samples per endpoint (overrides the "
                       "testbed's round.samples).", show_default=False)] = None,
    epochs: Annotated[int | None, typer.Option(help="Epochs per round (overrides the "
                      "testbed's round.epochs).", show_default=False)] = None,
    fmt: FormatOption = OutputFormat.table,
    out: Annotated[Path | None, typer.Option("--out", help="Also write the JSON record here.",
                                             show_default=False)] = None,
    aggregation: Annotated[str, typer.Option(help="fedavg or fedprox.")] = "fedavg",
    weighting: Annotated[str | None, typer.Option(
        help="FedAvg weights: samples, sample_epochs or equal (default: sample_epochs for "
        "delta, whose plans move epochs between endpoints; samples otherwise).",
        show_default=False)] = None,
    mu: Annotated[float, typer.Option(help="FedProx proximal weight.")] = 0.01,
    non_iid: Annotated[float | None, typer.Option("--non-iid", help="Dirichlet alpha for a "
                       "non-IID split of sklearn:digits (default: IID).",
                       show_default=False)] = None,
    calibrate: Annotated[bool, typer.Option(help="delta: first a calibration round "
                                                 "(min_epochs everywhere).")] = False,
    margin: Annotated[float, typer.Option(help="delta: deadline = (1 + margin) x the plan's "
                                               "largest p90.")] = 0.5,
    model: Annotated[str | None, typer.Option(help="Model builder 'package.module:function' "
                     "(overrides the testbed).", show_default=False)] = None,
    learning_rate: Annotated[float, typer.Option(help="Local SGD learning rate.")] = 0.1,
    workers: Annotated[int, typer.Option(help="Worker processes of the local endpoint "
                                              "engine.")] = 2,
    engine: Annotated[str, typer.Option(help="Local Globus Compute endpoint engine: process "
                                             "(ProcessPoolEngine) or parsl "
                                             "(GlobusComputeEngine).")] = "process",
    checkpoint: Annotated[Path | None, typer.Option(help="Checkpoint directory (default: "
                          "runs/<testbed>-<strategy>-seed<S> next to the store).",
                          show_default=False)] = None,
    resume: Annotated[bool, typer.Option(help="Continue from the checkpoint.")] = False,
    server: Annotated[str | None, typer.Option(
        "--server", help="delta strategy: plan on a shared DELTA service at HOST:PORT "
        "(delta serve) and report every task to it.", show_default=False)] = None,
    token_file: Annotated[Path | None, typer.Option(
        "--token-file", help="Bearer token for --server.", show_default=False)] = None,
    db: DbOption = None,
) -> None:
    """Run FL rounds of TESTBED on its endpoints and learn from every task.

    Each round the strategy plans samples and epochs per endpoint; the training task runs
    on each endpoint's executor (Globus Compute, the local endpoint engine, or an emulated
    device on a virtual clock); updates are folded in as they arrive; a failed or late
    endpoint is dropped from the round and re-planned.  Every task's duration goes to the
    observation store, so delta's next plan learns from it.
    """
    from delta.config import load_testbed
    from delta.fl.api import default_checkpoint_dir, iter_testbed, with_round
    from delta.fl.strategies import STRATEGIES, make_strategy

    from delta.errors import ConfigError

    for flag, value in (("--rounds", rounds), ("--samples", samples), ("--epochs", epochs)):
        if value is not None and value < 1:
            raise ConfigError(f"must be at least 1, got {value}", field=flag)
    if strategy not in STRATEGIES:
        make_strategy(strategy)  # raises the one-line error before the testbed is read
    planner = _service_planner(server, token_file, strategy) if server else None
    tb = with_round(load_testbed(testbed), f"{testbed} with --samples/--epochs",
                    samples=samples, epochs=epochs)
    ckpt = checkpoint or default_checkpoint_dir(tb, strategy, seed)
    progress = _Progress(Console(stderr=True))
    run = iter_testbed(
        tb, rounds=rounds, strategy=strategy, seed=seed, aggregation=aggregation,
        weighting=weighting, mu=mu, alpha=non_iid, calibrate=calibrate, margin=margin,
        workers=workers, engine=engine, learning_rate=learning_rate, builder=model, db=db,
        checkpoint_dir=ckpt, resume=resume, base_dir=str(testbed.resolve().parent),
        on_event=progress.event, planner=planner,
    )
    result = next(run)  # validates every option and builds the model before any progress
    with progress:
        for result in run:
            pass
    record = result.record
    if out is not None:
        out.write_text(json.dumps(record, indent=2) + "\n")
    if fmt is OutputFormat.json:
        typer.echo(json.dumps(record, indent=2))
    else:
        render_record(record, Console(width=max(Console().width, 100)))


class _Progress:
    """Rich progress on stderr: rounds, and the endpoints of the current round."""

    def __init__(self, console: Console):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.console = console
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                            MofNCompleteColumn(), console=console, transient=True)
        self.rounds_id: Any = None
        self.tasks_id: Any = None

    def __enter__(self) -> _Progress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def event(self, kind: str, p: dict[str, Any]) -> None:
        if kind == "round":
            if self.rounds_id is None:
                self.rounds_id = self.bar.add_task("rounds", total=p["rounds"],
                                                   completed=p["round"] - 1)
            if self.tasks_id is not None:
                self.bar.remove_task(self.tasks_id)
            self.tasks_id = self.bar.add_task(f"round {p['round']} endpoints", total=p["tasks"])
            for note in p["notes"]:
                self.console.print(f"[dim]round {p['round']}: {note}[/dim]")
            for m in p.get("moves", ()):
                self.console.print(f"round {p['round']}: data of {m['data_of']} moves to "
                                   f"{m['to']} ({m['bytes']:,} bytes, {m['seconds']:.3g} s)",
                                   highlight=False)
        elif kind == "task":
            self.bar.advance(self.tasks_id)
            if p["outcome"] != "ok":
                self.console.print(f"  {p['endpoint']}: {p['outcome']} after {p['seconds']:.3g} s"
                                   + (f" ({p['note']})" if p.get("note") else ""),
                                   highlight=False)
        elif kind == "round_done":
            self.bar.advance(self.rounds_id)
            acc = "-" if p["accuracy"] is None else f"{p['accuracy']:.3f}"
            self.console.print(
                f"round {p['round']}: {p['round_s']:.3g} s (elapsed {p['elapsed_s']:.4g} s), "
                f"accuracy {acc}, {p['participants']}/{len(p['endpoints'])} in time"
                f"{_carried(p)}", highlight=False)


def render_record(record: dict[str, Any], console: Console) -> None:
    """The run as a table: one row per round."""
    t = Table(title=f"{record['testbed']}: {record['strategy']} strategy, seed {record['seed']} "
              f"({record['clock']} clock)", title_justify="left")
    for col in ("round", "round s", "elapsed s", "accuracy", "in time", "dropped",
                "epochs (min–max)", "data moved"):
        t.add_column(col, justify="left" if col in ("dropped", "data moved") else "right")
    for r in record["rounds"]:
        dropped = [f"{e['endpoint']} ({e['outcome']})" for e in r["endpoints"]
                   if e["outcome"] != "ok"]
        ep = [e["epochs"] for e in r["endpoints"]]
        t.add_row(str(r["round"]), f"{r['round_s']:.3g}", f"{r['elapsed_s']:.4g}",
                  "-" if r["accuracy"] is None else f"{r['accuracy']:.3f}",
                  f"{r['participants']}/{len(r['endpoints'])}{_carried(r)}",
                  ", ".join(dropped) or "-",
                  f"{min(ep)}–{max(ep)}" if ep else "-",
                  _moved(r.get("moves", ())))
    console.print(t)
    acc = record["final_accuracy"]
    console.print(f"final accuracy {'-' if acc is None else f'{acc:.3f}'}, "
                  f"elapsed {record['elapsed_s']:.4g} s, ${record['usd']:.4f}")


def _carried(r: dict[str, Any]) -> str:
    """`` +N carried``: last round's late updates folded into this round (or nothing)."""
    n = sum(c["folded"] for c in r.get("carried", ()))
    return f" +{n} carried" if n else ""


def _moved(moves) -> str:
    """A round's moves in one cell; the progress lines above name each one."""
    if not moves:
        return "-"
    if len(moves) == 1:
        return f"{moves[0]['data_of']}→{moves[0]['to']}"
    return f"{len(moves)} sites, {sum(m['seconds'] for m in moves):.3g} s"


def _service_planner(server: str, token_file: Path | None, strategy: str):
    """A planner on ``server``; one-line errors for a bad token file or strategy."""
    from delta.errors import ConfigError

    if strategy != "delta":
        raise ConfigError(f"planning on a server needs --strategy delta, not {strategy!r}",
                          field="--server")
    token = None
    if token_file is not None:
        try:
            token = token_file.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read: {exc.strerror or exc}", source=str(token_file),
                              field="--token-file") from None
    from delta.client import DeltaClient
    from delta.fl.strategies.service_planner import ServicePlanner

    return ServicePlanner(DeltaClient(server, token=token))
