"""Load on ``delta serve``: Plan and ReportObservations beside the health-check floor.

One command: ``python bench/grpc_load.py``; ``--full`` adds a soak of 32 clients x 10,000
Plan calls and 16 concurrent reporters x 1,000 single-observation calls, counted in the
store. The server is a real ``delta serve`` process on 127.0.0.1 with a fresh store;
clients are threads here, one channel each. For 1, 8 and 32 concurrent clients it
measures, side by side in the same run, a health check (the floor of a unary call), Plan
for a 10-endpoint testbed with fitted profiles (cached by content, as a controller asking
again between reports gets it; ``plan-uncached`` varies the deadline so every call fits
and plans afresh), and ReportObservations of one observation; it prints p50/p99 latency,
throughput and errors, and writes them to bench/results/grpc_load.json.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from delta.client import DeltaClient  # noqa: E402
from delta.observations import Observation  # noqa: E402

N_ENDPOINTS = 10


def testbed() -> str:
    eps = [{"id": f"ep-{i}", "hardware": {"cores": 4, "clock_ghz": 1.0 + 0.2 * i},
            "data": {"samples": 500, "bytes": 100_000}} for i in range(N_ENDPOINTS)]
    return yaml.safe_dump({"name": "bench", "round": {"samples": 500, "epochs": 10},
                           "endpoints": eps})


def seed_observations() -> list[Observation]:
    return [Observation(endpoint=f"ep-{i}", seconds=0.5 + 1e-3 * (1 + i) * s * e, samples=s,
                        epochs=e) for i in range(N_ENDPOINTS)
            for s, e in [(500, 1), (250, 4), (100, 10), (400, 2)]]


def start_server(db: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen([str(Path(sys.executable).parent / "delta"), "serve", "--port", "0",
                             "--db", str(db), "--workers", "32"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if select.select([proc.stderr], [], [], 1.0)[0]:
            line = proc.stderr.readline()
            if "listening on" in line:
                return proc, int(line.split("listening on ")[1].split()[0].rsplit(":", 1)[1])
            if not line:
                break
    proc.kill()
    raise SystemExit("delta serve did not start")


def load(make_call: Callable[[int], Callable[[int], None]], clients: int,
         calls: int) -> dict[str, float]:
    """``clients`` threads each making ``calls`` calls; latency quantiles and throughput."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    barrier = threading.Barrier(clients + 1)

    def worker(w: int) -> None:
        call = make_call(w)
        for i in range(5):  # warm the channel
            call(-1 - i)
        barrier.wait()
        lat = latencies[w]
        for i in range(calls):
            t = time.perf_counter()
            try:
                call(i)
            except grpc.RpcError:
                errors[w] += 1
            lat.append(time.perf_counter() - t)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    flat = sorted(x for lat in latencies for x in lat)
    return {"p50_ms": 1e3 * statistics.median(flat),
            "p99_ms": 1e3 * flat[min(len(flat) - 1, int(0.99 * len(flat)))],
            "calls_per_s": len(flat) / wall, "calls": len(flat), "errors": sum(errors)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=300, help="calls per client per kind")
    ap.add_argument("--full", action="store_true",
                    help="also 32 clients x 10,000 Plan calls and 16 reporters x 1,000 "
                         "observations")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "grpc_load.json")
    args = ap.parse_args()
    calls = args.calls
    tb = testbed()

    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start_server(Path(tmp) / "bench.sqlite3")
        target = f"127.0.0.1:{port}"
        channels: list[grpc.Channel] = []
        try:
            with DeltaClient(target) as c:
                c.report(seed_observations())
                plan = c.plan(tb)
                assert {a["profile"] for a in plan["assignments"]} == {"observations"}

            def channel() -> grpc.Channel:
                ch = grpc.insecure_channel(target)
                channels.append(ch)
                return ch

            def health_call(w: int) -> Callable[[int], None]:
                stub = health_pb2_grpc.HealthStub(channel())
                req = health_pb2.HealthCheckRequest(service="delta.v1.Delta")
                return lambda i: stub.Check(req, timeout=60)

            def plan_call(w: int) -> Callable[[int], None]:
                client = DeltaClient(target, retries=0, timeout=60)
                return lambda i: client.plan(tb)

            def uncached_plan_call(w: int) -> Callable[[int], None]:
                # A different deadline each call: no two requests alike, so every call fits
                # the profiles and plans afresh.
                client = DeltaClient(target, retries=0, timeout=60)
                return lambda i: client.plan(tb, deadline_s=60.0 + 1e-3 * (i + 10 * w + 100))

            def report_call(w: int) -> Callable[[int], None]:
                client = DeltaClient(target, retries=0, timeout=60)
                return lambda i: client.report(
                    [Observation(endpoint=f"load-{w}", seconds=1.0, samples=max(i, 0))],
                    idempotency_key=f"{os.getpid()}/{w}/{i}/{time.monotonic_ns()}")

            rows = []
            for clients in (1, 8, 32):
                for kind, fn in [("health", health_call), ("plan", plan_call),
                                 ("plan-uncached", uncached_plan_call), ("report", report_call)]:
                    if kind == "plan-uncached" and clients > 1:
                        continue
                    n = min(calls, 200) if kind == "plan-uncached" else calls
                    r = load(fn, clients, n)
                    rows.append({"kind": kind, "clients": clients, **r})
                    print(f"{kind:>14} x{clients:<3} p50 {r['p50_ms']:7.3f} ms  "
                          f"p99 {r['p99_ms']:7.3f} ms  {r['calls_per_s']:8.0f} calls/s  "
                          f"{r['calls']} calls  errors {r['errors']}", flush=True)
            floor = {r["clients"]: r["p50_ms"] for r in rows if r["kind"] == "health"}
            for r in rows:
                r["x_floor"] = r["p50_ms"] / floor[r["clients"]]
            print("\nPlan p50 / health p50: " + ", ".join(
                f"{r['clients']} client(s) {r['x_floor']:.2f}x" for r in rows
                if r["kind"] == "plan"))

            ingest = soak = None
            if args.full:
                soak = load(plan_call, 32, 10_000)
                print(f"\nsoak: 32 clients x 10,000 Plan calls: {soak['errors']} errors, "
                      f"p50 {soak['p50_ms']:.3f} ms, p99 {soak['p99_ms']:.3f} ms, "
                      f"{soak['calls_per_s']:.0f} calls/s", flush=True)
                ingest = ingestion(target, Path(tmp) / "bench.sqlite3")
                print(f"\ningestion: 16 reporters x 1,000 single-observation calls: "
                      f"{ingest['stored']} stored of {ingest['sent']} sent, "
                      f"{ingest['errors']} errors, {ingest['calls_per_s']:.0f} calls/s")
        finally:
            for ch in channels:
                ch.close()
            proc.terminate()
            proc.wait(60)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"calls_per_client": calls, "rows": rows,
                                    "soak": soak, "ingestion": ingest}, indent=2))
    print(f"\nwrote {args.out}")


def ingestion(target: str, db: Path) -> dict[str, float]:
    """16 concurrent reporters x 1,000 observations, one per call; count what is stored."""
    from delta.store import Store

    def reporter(w: int) -> Callable[[int], None]:
        client = DeltaClient(target, retries=3, timeout=60)
        return lambda i: (client.report([Observation(endpoint=f"ingest-{w}", seconds=1.0,
                                                     samples=i)],
                                        idempotency_key=f"ingest/{w}/{i}") if i >= 0 else None)

    r = load(reporter, 16, 1000)
    with Store(db) as store:
        stored = sum(len(store.observations(endpoint=f"ingest-{w}")) for w in range(16))
    return {"sent": 16 * 1000, "stored": stored, "errors": r["errors"],
            "calls_per_s": r["calls_per_s"]}


if __name__ == "__main__":
    main()
