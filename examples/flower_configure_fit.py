"""Delegating a Flower-style strategy's ``configure_fit`` to a DELTA service.

Plain Python with Flower's shapes (``FitIns``, a client manager, ``configure_fit`` /
``aggregate_fit``); no Flower install needed. Before each round the strategy asks DELTA
for a plan and gives every client its own samples and epochs; after the round it reports
how long each client really took, so the next plan is better.

    delta serve --port 50051 &
    python examples/flower_configure_fit.py --server 127.0.0.1:50051 --rounds 3

Without ``--server`` it starts a throwaway service on a free port for the demo.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from delta.client import DeltaClient

TESTBED = Path(__file__).with_name("flox-testbed.yaml")


@dataclass
class FitIns:
    """What Flower sends a client for one round of training."""

    parameters: list[float]
    config: dict[str, Any] = field(default_factory=dict)


@dataclass
class Client:
    """A stand-in for a Flower ``ClientProxy``; ``slowness`` plays the device."""

    cid: str
    slowness: float

    def fit(self, ins: FitIns) -> float:
        """Pretend to train; returns the seconds it took (0.1 s per 1000 sample-epochs)."""
        work = ins.config["samples"] * ins.config["epochs"]
        return 0.1 + 1e-4 * self.slowness * work * random.uniform(0.95, 1.05)


class DeltaStrategy:
    """The two hooks of a Flower ``Strategy`` that DELTA takes over."""

    def __init__(self, delta: DeltaClient, testbed: Path):
        self.delta = delta
        self.testbed = testbed
        self.plan: dict[str, Any] = {}

    def configure_fit(self, server_round: int, parameters: list[float],
                      clients: dict[str, Client]) -> list[tuple[Client, FitIns]]:
        self.plan = self.delta.plan(self.testbed)
        return [
            (clients[a["endpoint"]],
             FitIns(parameters, {"samples": a["samples"], "epochs": a["epochs"],
                                 "batch_size": a["batch_size"], "round": server_round}))
            for a in self.plan["assignments"] if a["endpoint"] in clients
        ]

    def aggregate_fit(self, server_round: int,
                      results: list[tuple[Client, FitIns, float]]) -> None:
        self.delta.report(
            [{"endpoint": c.cid, "samples": ins.config["samples"], "epochs": ins.config["epochs"],
              "batch_size": ins.config["batch_size"], "seconds": seconds}
             for c, ins, seconds in results],
            idempotency_key=f"{self.testbed.name}/round-{server_round}")


def run(target: str, rounds: int, token: str | None = None) -> list[float]:
    """Run ``rounds`` rounds against the service at ``target``; returns each round's makespan."""
    import yaml

    endpoints = yaml.safe_load(TESTBED.read_text())["endpoints"]
    clients = {e["id"]: Client(e["id"], e["executor"]["speed"]) for e in endpoints}
    makespans = []
    with DeltaClient(target, token=token) as delta:
        strategy = DeltaStrategy(delta, TESTBED)
        for rnd in range(1, rounds + 1):
            fit = strategy.configure_fit(rnd, [0.0], clients)
            results = [(c, ins, c.fit(ins)) for c, ins in fit]
            strategy.aggregate_fit(rnd, results)
            makespans.append(max(s for _, _, s in results))
            print(f"round {rnd}: makespan {makespans[-1]:.2f} s, "
                  f"{sum(i.config['samples'] * i.config['epochs'] for _, i, _ in results)} "
                  f"sample-epochs, planned speed-up {strategy.plan['speedup']:.2f}x")
    return makespans


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", help="HOST:PORT of delta serve (default: start one here)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--token", help="bearer token, if the server wants one")
    args = ap.parse_args()
    if args.server:
        run(args.server, args.rounds, args.token)
        return
    from delta.service.server import start_server
    from delta.service.servicer import DeltaServicer

    with tempfile.TemporaryDirectory() as tmp:
        running = start_server(DeltaServicer(str(Path(tmp) / "demo.sqlite3")), port=0)
        try:
            run(f"127.0.0.1:{running.port}", args.rounds, args.token)
        finally:
            running.stop(5)


if __name__ == "__main__":
    main()
