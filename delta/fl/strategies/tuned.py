"""``delta``: the tuner's plan from learned profiles, re-planned every round.

Each round refits the profiles from every observation so far (the closed loop) and asks
the planner for samples and epochs.  The round deadline is the plan's slowest p90 plus a
margin once every endpoint's profile rests on its own runs; before that, the testbed's
deadline (if any) applies, and without one the round closes by quorum: at ``1 + margin``
times the arrival of the ``min_participants``-th update.  A first round planned from
declared hardware alone would otherwise wait for its slowest device, which on a testbed
with uninformative hardware costs as much as a whole uniform round; stragglers' updates
go on into the next round (:mod:`delta.fl.carry`) and their durations are still
measured, so the next round is planned from everyone's speed.  An optional calibration
round first measures every endpoint with ``min_epochs``, a short round that still trains.

A device still busy with its late task from the round before (its next task queues
behind it) gets the epochs that fit in what is left of the round's planned makespan, or
sits the round out when not even ``min_epochs`` fit (its carried update may still count).

Data moves: when every endpoint is emulated, movable data may move to another endpoint
(the controller carries the move out once, on the virtual clock), amortised over the
rounds that remain.  Data already moved plans as free only on the hosts that hold a copy
of it, and it keeps training where it does unless another layout is clearly better (the
planner's ``KEEP_TOLERANCE``), so profile noise does not shuffle it.  With real
endpoints, and for cloud candidates (a run has no executor for them), data stays where
it is: moving it is ``delta plan``'s advice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from delta.config import Testbed
from delta.fl.strategies.base import EndpointTask, RoundPlan, Strategy, local_samples
from delta.observations import Observation
from delta.planning import plan_testbed


#: Plans one round: (testbed, observations) -> the plan JSON (``docs/contracts.md``).
Planner = Callable[[Testbed, Sequence[Observation]], dict[str, Any]]


def local_planner(testbed: Testbed, observations: Sequence[Observation]) -> dict[str, Any]:
    """Plan in this process (the default)."""
    return plan_testbed(testbed, observations).to_dict()


class Tuned(Strategy):
    """DELTA's own strategy.

    Parameters
    ----------
    margin:
        The deadline is ``(1 + margin)`` times the plan's largest p90.
    calibrate:
        Run a calibration round (``min_epochs`` everywhere) while some endpoint has no
        observations.
    planner:
        Who plans: :func:`local_planner`, or a shared DELTA service
        (:class:`delta.fl.strategies.service_planner.ServicePlanner`).
    """

    name = "delta"

    def __init__(self, *, margin: float = 0.5, calibrate: bool = False,
                 planner: Planner = local_planner):
        if margin < 0:
            raise ValueError(f"margin must be non-negative, got {margin}")
        self.margin = margin
        self.calibrate = calibrate
        self.planner = planner
        #: (site, host) copies this run made (the controller carries out every move of an
        #: all-emulated testbed): training that data there again costs no transfer.
        self.copies: set[tuple[str, str]] = set()
        #: Where each site's data trained in the last planned round, when not at home.
        self.runs_on: dict[str, str] = {}
        #: Devices still busy at the start of the next round, and for how long.
        self.busy_s: dict[str, float] = {}

    def plan(self, testbed: Testbed, observations: Sequence[Observation],
             round_index: int) -> RoundPlan:
        r = testbed.round
        seen = {o.endpoint for o in observations if o.ok and o.task == "train"}
        samples = local_samples(testbed)
        if self.calibrate and not set(samples) <= seen:
            return RoundPlan(
                tasks=tuple(EndpointTask(ep, n, r.min_epochs, r.batch_size)
                            for ep, n in samples.items()),
                deadline_s=r.deadline_s,
                notes=(f"calibration: {r.min_epochs} epoch(s) everywhere to measure endpoints "
                       "without observations",),
            )
        plan = self.planner(runnable(testbed, round_index, self.copies, self.runs_on),
                            observations)
        self.copies |= {(m["data_of"], m["to"]) for m in plan.get("moves", ())}
        self.runs_on = {a["endpoint"]: host for a in plan["assignments"]
                        if (host := _elsewhere(a)) is not None}
        tasks = tuple(EndpointTask(a["endpoint"], a["samples"], a["epochs"], a["batch_size"],
                                   a["predicted_seconds"]["p90"], runs_on=_elsewhere(a))
                      for a in plan["assignments"])
        notes = tuple(plan["notes"])
        if self.busy_s:
            tasks, busy_notes = fit_busy(tasks, self.busy_s, r.min_epochs,
                                         testbed.objective.min_participants)
            notes += busy_notes
        deadline = r.deadline_s
        if all(a["profile"] == "observations" for a in plan["assignments"]):
            learned = (1.0 + self.margin) * max(t.predicted_p90_s or 0.0 for t in tasks)
            deadline = learned if deadline is None else min(deadline, learned)
        if deadline is None:
            notes += (f"no deadline before every endpoint is measured: the round closes at "
                      f"{1 + self.margin:g}x the arrival of update min_participants",)
        return RoundPlan(tasks=tasks, deadline_s=deadline, notes=notes,
                         quorum_margin=self.margin if deadline is None else None)

    def resume(self, rounds: Sequence[dict[str, Any]]) -> None:
        """Where a resumed run's data sits and trains, from its recorded rounds."""
        self.copies = {(m["data_of"], m["to"]) for r in rounds for m in r.get("moves", ())}
        self.runs_on = {e["endpoint"]: e["runs_on"] for e in (rounds[-1]["endpoints"]
                                                             if rounds else ())
                        if e.get("runs_on", e["endpoint"]) != e["endpoint"]}

    def busy(self, busy_s: Mapping[str, float]) -> None:
        self.busy_s = dict(busy_s)

    def round_finished(self, observations: Sequence[Observation]) -> None:
        report = getattr(self.planner, "report", None)
        if report is not None and observations:
            report(observations)


def fit_busy(tasks: Sequence[EndpointTask], busy_s: Mapping[str, float], min_epochs: int,
             min_participants: int) -> tuple[tuple[EndpointTask, ...], tuple[str, ...]]:
    """Fit the tasks of devices still busy for ``busy_s`` seconds into the round.

    The round's planned makespan is the slowest p90 of the idle devices' tasks; a busy
    device's task gets the epochs that still fit in it after the wait (its p90 scaled by
    epochs: the per-task overhead is small next to training), at least ``min_epochs``,
    and sits the round out when even those do not fit — unless that would leave fewer
    than ``min_participants`` tasks.  Its ``predicted_p90_s`` then includes the wait.
    """
    idle = [t.predicted_p90_s for t in tasks if busy_s.get(t.host, 0.0) <= 0.0
            and t.predicted_p90_s is not None]
    if not idle:
        return tuple(tasks), ()
    makespan = max(idle)
    fitted: list[EndpointTask] = []
    left_out: list[tuple[EndpointTask, float]] = []  # (task, seconds per epoch)
    notes = []
    for t in tasks:
        wait = busy_s.get(t.host, 0.0)
        if wait <= 0.0 or not t.predicted_p90_s:  # nothing to wait for, or to scale
            fitted.append(t)
            continue
        per_epoch = t.predicted_p90_s / t.epochs
        epochs = min(t.epochs, int((makespan - wait) / per_epoch))
        if epochs < min_epochs:
            left_out.append((t, per_epoch))
            continue
        if epochs < t.epochs:
            notes.append(f"{t.endpoint}: {t.host} busy {wait:.3g} s more with its late "
                         f"task: {epochs} epoch(s) instead of {t.epochs}")
        fitted.append(replace(t, epochs=epochs, predicted_p90_s=wait + per_epoch * epochs))
    if len(fitted) < min_participants:  # too few would be left: min_epochs after the wait
        fitted += [replace(t, epochs=min_epochs,
                           predicted_p90_s=busy_s[t.host] + per_epoch * min_epochs)
                   for t, per_epoch in left_out]
    else:
        notes += [f"{t.endpoint}: {t.host} busy {busy_s[t.host]:.3g} s more with its late "
                  f"task, too long to fit {min_epochs} epoch(s): sits the round out"
                  for t, _ in left_out]
    order = {t.endpoint: i for i, t in enumerate(tasks)}
    return tuple(sorted(fitted, key=lambda t: order[t.endpoint])), tuple(notes)


def _elsewhere(assignment: dict[str, Any]) -> str | None:
    """Where a site's data trains when that is not the site itself."""
    host = assignment.get("runs_on", assignment["endpoint"])
    return None if host == assignment["endpoint"] else host


def runnable(testbed: Testbed, round_index: int = 1,
             copies: Iterable[tuple[str, str]] = (),
             runs_on: Mapping[str, str] | None = None) -> Testbed:
    """The testbed as a run can carry it out from round ``round_index`` on.

    No cloud candidates (a run has no executor for them); data pinned unless every
    endpoint is emulated (a move is carried out on the virtual clock); moves amortised
    over the rounds that remain.  ``copies`` are the (site, host) pairs this run already
    moved: they become ``data.copies_at``, so training that data on that host again
    plans as free while any other host still costs the transfer the controller would
    charge.  ``runs_on`` (site to host) is where each site's data trained last round.
    """
    remaining = max(1, testbed.rounds - round_index + 1)
    endpoints = testbed.endpoints
    if any(e.executor.kind != "emulated" for e in endpoints):
        endpoints = [e.model_copy(update={"data": e.data.model_copy(update={"movable": False})})
                     for e in endpoints]
    else:
        held: dict[str, list[str]] = {}
        for site, host in sorted(copies):
            held.setdefault(site, []).append(host)
        now = dict(runs_on or {})
        endpoints = [e.model_copy(update={"data": e.data.model_copy(update={
            "copies_at": list(dict.fromkeys([*e.data.copies_at, *held.get(e.id, ())])),
            "runs_on": now.get(e.id, e.data.runs_on)})})
            if e.id in held or e.id in now else e for e in endpoints]
    return testbed.model_copy(update={"endpoints": endpoints, "cloud": [],
                                      "rounds": remaining})
