"""Round control: dispatch a plan, fold updates as they arrive, learn from every task.

Each round the strategy plans from every observation so far; the controller sends the
training task to each endpoint's executor and folds each update into the global model
as it arrives (eager aggregation).  A task that fails, is preempted or finishes after the
round's deadline is dropped from the round and recorded; the round completes when at
least ``min_participants`` updates arrived in time.  Every task's measured duration
becomes an observation in the store, so the next round's plan uses it (the closed loop).
A task may train a site's data on another endpoint (``runs_on``): the data moves there
once (:mod:`delta.fl.moves`), and tasks sharing an emulated device share its time.

A late update that did finish is carried into the next round (:mod:`delta.fl.carry`):
rebased onto the model that round starts from and folded with its weight discounted for
staleness, if it arrives before that round closes; its device stays busy meanwhile, so
on the virtual clock its next task starts when the late one ends.  Each round records
what it carried (``carried``).

After every round the global model and the record are checkpointed; a run resumes from
its checkpoint.  Updates in flight to the next round are not checkpointed: a resumed run
starts with none carried and every device idle, so nothing is folded twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from delta.config import Testbed
from delta.errors import ConfigError, DeltaError
from delta.fl import checkpoint
from delta.fl.aggregation import Aggregator, FedAvg, Update
from delta.fl.carry import Carried, Late, carry_over, fold_carried
from delta.fl.executors.base import TaskFailure
from delta.fl.moves import Placement
from delta.fl.strategies.base import EndpointTask, Strategy
from delta.fl.task import evaluate_task, initial_weights, train_task
from delta.observations import Observation

RECORD_VERSION = 1
Event = Callable[[str, dict[str, Any]], None]


@dataclass
class RunSettings:
    """How a run trains; the testbed says where."""

    strategy: Strategy
    rounds: int
    builder: str
    seed: int = 0
    aggregator: Aggregator = field(default_factory=lambda: FedAvg("samples"))
    builder_kwargs: dict[str, Any] = field(default_factory=dict)
    learning_rate: float = 0.1
    threads: int = 1
    #: Wall seconds to wait for any one task before giving it up as failed.
    task_timeout_s: float = 600.0
    #: Data spec of the held-out validation set (``None``: no accuracy).
    validation: dict[str, Any] | None = None


@dataclass
class RunResult:
    """The JSON-ready run record and the final global weights."""

    record: dict[str, Any]
    weights: list


def _clock(executors: Mapping[str, Executor]) -> str:
    kinds = {getattr(ex, "clock", "wall") for ex in executors.values()}
    return kinds.pop() if len(kinds) == 1 else "mixed"


class _Round:
    """One round in flight: its futures, the eager fold and what each endpoint did."""

    def __init__(self, tb: Testbed, plan_tasks: tuple[EndpointTask, ...],
                 deadline: float | None, aggregator: Aggregator, round_index: int,
                 threads: int, ready_s: Mapping[str, float] | None = None,
                 quorum_margin: float | None = None, busy_s: Mapping[str, float] | None = None):
        self.tb, self.deadline, self.round_index = tb, deadline, round_index
        #: Without a deadline: close at (1 + this) x the min_participants-th arrival.
        self.quorum_margin = quorum_margin if deadline is None else None
        self.threads = threads
        self.fold = aggregator.folder()
        self.pending: dict[Future, tuple[EndpointTask, bool]] = {}
        self.entries: list[dict[str, Any]] = []
        self.observations: list[Observation] = []
        self.tasks = plan_tasks
        #: When each moved site's data arrived at its host (virtual seconds).
        self.ready_s = dict(ready_s or {})
        #: Until when each emulated host is still busy with last round's late task.
        self.busy_s = dict(busy_s or {})
        #: Late tasks that did finish: (task, result, finish on this round's clock).
        self.late: list[Late] = []
        self.load: dict[str, int] = {}
        for t in plan_tasks:
            self.load[t.host] = self.load.get(t.host, 0) + 1

    def settle(self, f: Future, task: EndpointTask, wall_s: float) -> dict[str, Any]:
        obs: dict[str, Any] = {"samples": task.samples, "epochs": task.epochs,
                               "batch_size": task.batch_size}
        try:
            res = f.result()
        except TaskFailure as exc:
            outcome, seconds, ok, note = exc.outcome, exc.seconds, False, exc.message
            seconds = wall_s if seconds is None else seconds
        except Exception as exc:  # an adapter that raised something of its own
            outcome, seconds, ok, note = "failed", wall_s, False, f"{type(exc).__name__}: {exc}"
        else:
            seconds = float(res.get("virtual_seconds", wall_s))
            obs.update(samples=res["samples"], epochs=res["epochs"],
                       model_params=res.get("model_params", 0), bytes=res.get("bytes_moved", 0))
            ok, note = True, ""
            finish = self.finish(task, res, wall_s)
            if self.deadline is not None and finish > self.deadline:
                outcome = "late"  # it did finish: its duration is real, its update too late
                self.late.append((task, res, finish))
            else:
                outcome = "ok"
                self.fold.fold(Update(res["weights"], res["samples"], res["epochs"]))
            return self._record(task, outcome, finish, ok, note, obs, own_s=seconds)
        return self._record(task, outcome, seconds, ok, note, obs)

    def finish(self, task: EndpointTask, res: dict[str, Any], wall_s: float) -> float:
        """When a finished task's update is in, on the round's clock.

        An emulated task starts once its data arrived and its device finished last
        round's late task; on a device shared by several tasks each also waits for the
        others' compute (as the planner assumes).  The observation keeps the task's own
        duration, the device's speed.
        """
        if "virtual_seconds" not in res:
            return wall_s
        start = max(self.ready_s.get(task.endpoint, 0.0), self.busy_s.get(task.host, 0.0))
        return (start + float(res["virtual_seconds"])
                + (self.load[task.host] - 1) * float(res.get("compute_seconds", 0.0)))

    def close_at_quorum(self, quorum: int, arrivals: list[float]) -> None:
        """Set the deadline once ``quorum`` updates are in (``arrivals``: their times)."""
        if self.quorum_margin is not None and self.deadline is None and len(arrivals) >= quorum:
            self.deadline = (1.0 + self.quorum_margin) * sorted(arrivals)[quorum - 1]

    def give_up(self, task: EndpointTask, outcome: str, wall_s: float) -> dict[str, Any]:
        """A wall-clock task still running at the deadline (or the task timeout)."""
        obs = {"samples": task.samples, "epochs": task.epochs, "batch_size": task.batch_size}
        return self._record(task, outcome, wall_s, False, "no result in time", obs)

    def _record(self, task: EndpointTask, outcome: str, seconds: float, ok: bool, note: str,
                obs: dict[str, Any], own_s: float | None = None) -> dict[str, Any]:
        price = self.tb.endpoint(task.host).price_per_hour
        entry = {"endpoint": task.endpoint, "runs_on": task.host, "samples": obs["samples"],
                 "epochs": obs["epochs"], "seconds": round(seconds, 4), "outcome": outcome,
                 "usd": round(price * seconds / 3600.0, 6)}
        if task.predicted_p90_s is not None:
            entry["predicted_p90_s"] = round(task.predicted_p90_s, 4)
        if note:
            entry["note"] = note
        self.entries.append(entry)
        # The measurement belongs to the endpoint that trained (the host's profile).
        self.observations.append(Observation(
            endpoint=task.host, seconds=seconds if own_s is None else own_s, ok=ok,
            timestamp=time.time(),
            extra={"round": float(self.round_index)}, threads=self.threads, **obs))
        return entry

    def duration(self) -> float:
        """Until the last update in time arrived, or the deadline if anyone was late."""
        ends = [self.deadline if e["outcome"] == "late" and self.deadline is not None
                else e["seconds"] for e in self.entries]
        return max(ends, default=0.0)


def _initial(settings: RunSettings, evaluator: Executor) -> list:
    try:
        return evaluator.submit(initial_weights, settings.builder,
                                builder_kwargs=settings.builder_kwargs,
                                seed=settings.seed).result(timeout=settings.task_timeout_s)
    except TaskFailure as exc:
        raise ConfigError(f"cannot build the model: {exc.message}", field="model.builder") from None


def run_rounds(tb: Testbed, settings: RunSettings, executors: Mapping[str, Executor],
               evaluator: Executor, data: Mapping[str, dict[str, Any]], *,
               store: Any = None, checkpoint_dir: Path | None = None, resume: bool = False,
               on_event: Event | None = None) -> RunResult:
    """Run ``settings.rounds`` FL rounds of ``tb``; see :func:`iter_rounds`."""
    result = None
    for result in iter_rounds(tb, settings, executors, evaluator, data, store=store,
                              checkpoint_dir=checkpoint_dir, resume=resume, on_event=on_event):
        pass
    assert result is not None  # iter_rounds always yields at least once
    return result


def iter_rounds(tb: Testbed, settings: RunSettings, executors: Mapping[str, Executor],
                evaluator: Executor, data: Mapping[str, dict[str, Any]], *,
                store: Any = None, checkpoint_dir: Path | None = None, resume: bool = False,
                on_event: Event | None = None) -> Iterator[RunResult]:
    """Run ``settings.rounds`` FL rounds of ``tb`` (or the rest of them, resuming).

    Yields the run so far after every round (and once before the first, resuming a
    finished run yields only that), so runs can be interleaved round by round.

    Parameters
    ----------
    executors:
        One executor per endpoint id.
    evaluator:
        Where the initial model is built and the global model evaluated (the local
        engine), so TensorFlow stays out of this process.
    data:
        Each endpoint's data spec for the training task.
    store:
        A :class:`delta.store.Store`: the observations the strategy plans from, and where
        every task's measurement goes.
    checkpoint_dir, resume:
        Checkpoint after every round; with ``resume``, continue from the checkpoint.
    on_event:
        Progress callback: ``("round", ...)``, ``("task", entry)``, ``("round_done", ...)``.
    """
    emit = on_event or (lambda kind, payload: None)
    record: dict[str, Any] = {
        "version": RECORD_VERSION, "testbed": tb.name, "strategy": settings.strategy.name,
        "seed": settings.seed, "aggregation": settings.aggregator.name,
        "weighting": getattr(settings.aggregator, "weighting", None),
        "clock": _clock(executors), "rounds": [],
    }
    weights = None
    carried: list[Carried] = []  # not checkpointed: a resumed run starts without any
    busy_s: dict[str, float] = {}
    if resume and checkpoint_dir is not None and (saved := checkpoint.load(checkpoint_dir)):
        old, weights = saved
        for key in ("testbed", "strategy", "seed"):
            if old.get(key) != record[key]:
                raise DeltaError(f"checkpoint is for {key} {old.get(key)!r}, not "
                                 f"{record[key]!r}", source=str(checkpoint_dir))
        record["rounds"] = old["rounds"]
    if weights is None:
        weights = _initial(settings, evaluator)
    elapsed = record["rounds"][-1]["elapsed_s"] if record["rounds"] else 0.0
    placement = Placement.from_record(record)
    settings.strategy.resume(record["rounds"])
    min_participants = tb.objective.min_participants
    yield RunResult(record=_summarise(record), weights=weights)

    for r in range(len(record["rounds"]) + 1, settings.rounds + 1):
        observations = store.observations() if store is not None else []
        settings.strategy.busy(busy_s)
        plan = settings.strategy.plan(tb, observations, r)
        moved = placement.carry_out(plan.tasks, tb, executors, r)
        deadline = plan.deadline_s
        if deadline is not None and moved.ready_s:
            deadline += max(moved.ready_s.values())  # this round also waits for its moves
        emit("round", {"round": r, "rounds": settings.rounds, "tasks": len(moved.tasks),
                       "deadline_s": deadline, "notes": [*plan.notes, *moved.notes],
                       "moves": moved.moves})
        rnd = _Round(tb, moved.tasks, deadline, settings.aggregator, r, settings.threads,
                     moved.ready_s, plan.quorum_margin, busy_s)
        wall0 = time.perf_counter()
        for i, t in enumerate(moved.tasks):
            ex = executors[t.host]
            f = ex.submit(train_task, settings.builder, weights, data[t.endpoint], t.samples,
                          t.epochs, t.batch_size, builder_kwargs=settings.builder_kwargs,
                          seed=settings.seed * 1_000_003 + r * 1009 + i,
                          learning_rate=settings.learning_rate, threads=settings.threads,
                          **settings.aggregator.task_options())
            rnd.pending[f] = (t, getattr(ex, "clock", "wall") == "virtual")
        _collect(rnd, wall0, settings.task_timeout_s, emit, min_participants)
        deadline = rnd.deadline

        participants = rnd.fold.count
        complete = participants >= min_participants
        round_s = rnd.duration()
        carried_entries = fold_carried(rnd.fold, carried, weights, round_s, complete)
        carried, busy_s = carry_over(rnd.late, rnd.busy_s, weights, round_s, r)
        if complete:
            weights = rnd.fold.result()
        accuracy = None
        if settings.validation is not None:
            accuracy = evaluator.submit(
                evaluate_task, settings.builder, weights, settings.validation,
                builder_kwargs=settings.builder_kwargs,
            ).result(timeout=settings.task_timeout_s)["accuracy"]
        elapsed += round_s
        entry = {
            "round": r, "elapsed_s": round(elapsed, 4), "round_s": round(round_s, 4),
            "wall_s": round(time.perf_counter() - wall0, 4),
            "accuracy": None if accuracy is None else round(accuracy, 4),
            "deadline_s": None if deadline is None else round(deadline, 4),
            "participants": participants, "complete": complete,
            "usd": round(sum(e["usd"] for e in rnd.entries)
                         + sum(m["usd"] for m in moved.moves), 6),
            "endpoints": sorted(rnd.entries, key=lambda e: e["endpoint"]),
            "moves": moved.moves, "carried": carried_entries,
        }
        if not complete:
            entry["note"] = (f"only {participants} update(s) in time, below "
                             f"min_participants={min_participants}: global model kept")
        record["rounds"].append(entry)
        if store is not None:
            store.add([*moved.observations, *rnd.observations])
        settings.strategy.round_finished([*moved.observations, *rnd.observations])
        if checkpoint_dir is not None:
            checkpoint.save(checkpoint_dir, record, weights)
        emit("round_done", entry)
        yield RunResult(record=_summarise(record), weights=weights)


def _summarise(record: dict[str, Any]) -> dict[str, Any]:
    rounds = record["rounds"]
    record["final_accuracy"] = rounds[-1]["accuracy"] if rounds else None
    record["elapsed_s"] = rounds[-1]["elapsed_s"] if rounds else 0.0
    record["usd"] = round(sum(x["usd"] for x in rounds), 6)
    return record


def _collect(rnd: _Round, wall0: float, task_timeout_s: float, emit: Event,
             quorum: int = 1) -> None:
    """Settle every task of the round as it finishes; give up on stragglers in time.

    A round closed by quorum on the virtual clock waits for every task (wall-clock
    arrival order says nothing about virtual time), then settles them in virtual order.
    """
    if rnd.quorum_margin is not None and all(v for _, v in rnd.pending.values()):
        done, _ = wait(list(rnd.pending), timeout=task_timeout_s)
        now = time.perf_counter() - wall0
        ok = {f: rnd.finish(rnd.pending[f][0], f.result(), now) for f in done
              if f.exception() is None and isinstance(f.result(), dict)}
        rnd.close_at_quorum(quorum, list(ok.values()))
        for f in sorted(done, key=lambda f: ok.get(f, 0.0)):
            task, _ = rnd.pending.pop(f)
            emit("task", rnd.settle(f, task, now))
    arrivals: list[float] = []
    while rnd.pending:
        deadline = rnd.deadline
        now = time.perf_counter() - wall0
        limit = task_timeout_s
        if deadline is not None and any(not virt for _, virt in rnd.pending.values()):
            limit = min(limit, deadline)  # wall-clock endpoints are cut at the deadline
        done, _ = wait(list(rnd.pending), timeout=max(limit - now, 0.0),
                       return_when=FIRST_COMPLETED)
        now = time.perf_counter() - wall0
        for f in done:
            task, _ = rnd.pending.pop(f)
            entry = rnd.settle(f, task, now)
            if entry["outcome"] == "ok":
                arrivals.append(entry["seconds"])
            emit("task", entry)
        rnd.close_at_quorum(quorum, arrivals)
        if done:
            continue
        for f, (task, virt) in list(rnd.pending.items()):
            if now >= task_timeout_s:
                outcome = "failed"
            elif not virt and deadline is not None and now >= deadline:
                outcome = "late"
            else:
                continue
            del rnd.pending[f]
            f.cancel()
            emit("task", rnd.give_up(task, outcome, now))
