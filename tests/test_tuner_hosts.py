"""Hosts and dollars: endpoints without data host moved data; shared hosts bill once;
budgets bind; the front's dollars are the chosen layout's."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from delta.errors import InfeasibleError
from tests.test_tuner import CLOUD, KNOWN, LawProfile, by_endpoint, clear_case, problems, site
from tuner import RoundSpec, make_plan

# $3.60/h: a dollar figure is a thousandth of the seconds billed.
PRICE = 3.6


def test_an_endpoint_without_data_hosts_moved_data():
    p, prof = clear_case(candidates=(), endpoints=(
        site("hpc", samples=0, movable=False), site("slow"), site("pi", movable=False)))
    prof.update(hpc=LawProfile("hpc", 0.5, 1e-4), pi=LawProfile("pi", 0.5, 1e-3))
    plan = make_plan(p, prof)
    by = by_endpoint(plan)
    assert set(by) == {"slow", "pi"}  # hpc holds no data: no assignment of its own
    assert by["slow"].runs_on == "hpc" and "runs on hpc" in by["slow"].reason
    assert [(m.data_of, m.to) for m in plan.moves] == [("slow", "hpc")]
    assert any("hold no data of their own" in n for n in plan.notes)


def test_a_shared_paid_endpoint_bills_its_time_once():
    p, prof = clear_case(candidates=(), endpoints=(
        site("fast", movable=False, price_per_hour=PRICE), site("slow")))
    plan = make_plan(p, prof)
    assert by_endpoint(plan)["slow"].runs_on == "fast"
    # Both sites train side by side on "fast" for 4.5 s: 4.5 s billed, not 9.
    assert plan.round.makespan_s == pytest.approx(4.5)
    assert plan.round.usd == pytest.approx(4.5e-3)
    assert sum(a.predicted_usd for a in plan.assignments) == pytest.approx(4.5e-3)


def test_budget_per_round_binds_and_the_front_respects_it():
    # The cloud instance is the fast choice; a budget below its price keeps the data home.
    p, prof = clear_case(rounds=100)
    free = make_plan(p, prof)
    paid = free.round.usd
    assert paid > 0 and by_endpoint(free)["slow"].runs_on == "cloud"
    capped = make_plan(replace(p, budget_usd_per_round=0.5 * paid), prof)
    assert capped.round.usd <= 0.5 * paid and by_endpoint(capped)["slow"].runs_on != "cloud"
    assert all(pt.usd <= 0.5 * paid for pt in capped.pareto)
    # A budget with room changes nothing.
    roomy = make_plan(replace(p, budget_usd_per_round=2 * paid), prof)
    assert roomy.to_dict()["round"] == free.to_dict()["round"]
    # Paid endpoints only and no money: the one-line error names the budget.
    with pytest.raises(InfeasibleError) as err:
        make_plan(replace(p, candidates=(), budget_usd_per_round=0.0, endpoints=(
            site("fast", movable=False, price_per_hour=PRICE),
            site("slow", movable=False, price_per_hour=PRICE))), prof)
    assert err.value.field == "objective.budget_usd_per_round"


def test_the_dollars_objective_adds_up():
    # In place on paid endpoints: each site bills its own p50 time.
    p, prof = clear_case(candidates=(), endpoints=(
        site("fast", movable=False, price_per_hour=PRICE),
        site("slow", movable=False, price_per_hour=2 * PRICE)))
    prof["slow"] = LawProfile("slow", 0.5, 2e-3)
    plan = make_plan(p, prof)
    by = by_endpoint(plan)
    want = sum(PRICE * k * by[e].predicted_seconds.p50 / 3600 for e, k in
               (("fast", 1), ("slow", 2)))
    assert plan.round.usd == pytest.approx(want)
    # Along the front, more work costs more dollars on paid endpoints.
    work = sorted(plan.pareto, key=lambda pt: pt.work_scale)
    assert [pt.usd for pt in work] == sorted(pt.usd for pt in work)
    # With the instance: its held time, start-up amortised, plus nothing for free sites.
    p, prof = clear_case()
    plan = make_plan(p, prof)
    assert plan.round.usd == pytest.approx(sum(a.predicted_usd for a in plan.assignments))


@st.composite
def with_idle_hosts(draw):
    """The property cases of test_tuner, plus endpoints that hold no data of their own."""
    problem, prof, deadline = draw(problems())
    idle = []
    for j in range(draw(st.integers(1, 2))):
        eid = f"idle{j}"
        idle.append(site(eid, samples=0, movable=False,
                         price_per_hour=draw(st.sampled_from([0.0, 0.5]))))
        prof[eid] = LawProfile(eid, draw(st.floats(0.05, 3)), draw(st.floats(1e-6, 1e-3)))
    return replace(problem, endpoints=problem.endpoints + tuple(idle)), prof, deadline


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(with_idle_hosts())
def test_idle_hosts_keep_every_constraint(case):
    problem, prof, deadline = case
    try:
        plan = make_plan(problem, prof, deadline_s=deadline, n_trials=20, seed=1)
    except InfeasibleError as err:
        assert err.field in KNOWN
        return
    idle = {e.id for e in problem.endpoints if e.samples == 0}
    movable = {e.id for e in problem.endpoints if e.movable}
    event(f"moves to an idle host: {any(m.to in idle for m in plan.moves)}")
    assert not idle & {a.endpoint for a in plan.assignments}
    assert len(plan.assignments) >= problem.min_participants
    if problem.budget_usd_per_round is not None:
        assert plan.round.usd <= problem.budget_usd_per_round * (1 + 1e-9) + 1e-12
    for a in plan.assignments:
        assert a.runs_on == a.endpoint or a.endpoint in movable
        if deadline is not None:
            assert a.predicted_seconds.p90 <= deadline * (1 + 1e-6)
    # The dollars objective is what the assignments bill plus egress, amortised.
    spec = {e.id: e for e in problem.endpoints}
    egress = sum(spec[m.data_of].bytes / 1e9 * spec[m.data_of].egress_usd_per_gb
                 for m in plan.moves) / problem.rounds
    assert plan.round.usd == pytest.approx(sum(a.predicted_usd for a in plan.assignments)
                                           + egress, rel=1e-6, abs=1e-9)


def test_a_site_that_trains_nothing_holds_no_instance():
    # Found by test_idle_hosts_keep_every_constraint: "e2" cannot finish one sample by the
    # deadline anywhere, and the layout that sent it to the instance billed the instance
    # (and counted a move) for a site that sat the round out.
    tiny = {"samples": 1, "bytes": 0, "bandwidth_mbps": 1.0, "latency_ms": 0.0}
    p, _ = clear_case(endpoints=(
        site("e0", **tiny), site("e1", **tiny), site("e2", **tiny),
        site("idle", samples=0, movable=False)), round=RoundSpec(samples=1, epochs=1),
        rounds=1, exchange_usd_per_hour=2.0,
        candidates=(replace(CLOUD, id="c0", market="spot", price_per_hour=1.0, startup_s=0.0),))
    prof = {"e0": LawProfile("e0", 1.0, 1e-5), "e1": LawProfile("e1", 1.0, 2 ** -7),
            "e2": LawProfile("e2", 2.0, 2 ** -7, per_epoch=0.05),
            "c0": LawProfile("c0", 2.0, 2 ** -7), "idle": LawProfile("idle", 0.5, 1e-3)}
    plan = make_plan(p, prof, deadline_s=2.0, n_trials=20, seed=1)
    assert [d[0] for d in plan.dropped] == ["e2"]
    assert all(m.to != "c0" for m in plan.moves)
    assert plan.round.usd == pytest.approx(sum(a.predicted_usd for a in plan.assignments))
    (chosen,) = [pt for pt in plan.pareto if pt.chosen]
    assert chosen.moves == len(plan.moves) and chosen.usd == plan.round.usd
