"""Hosts and dollars: endpoints without data host moved data; shared hosts bill once;
budgets bind; the front's dollars are the chosen layout's."""

from __future__ import annotations

from dataclasses import replace

import pytest

from delta.errors import InfeasibleError
from tests.test_tuner import LawProfile, by_endpoint, clear_case, site
from tuner import make_plan

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


def test_the_chosen_points_dollars_are_the_plans_and_add_up():
    # In place on paid endpoints: each site bills its own p50 time.
    p, prof = clear_case(candidates=(), endpoints=(
        site("fast", movable=False, price_per_hour=PRICE),
        site("slow", movable=False, price_per_hour=2 * PRICE)))
    prof["slow"] = LawProfile("slow", 0.5, 2e-3)
    plan = make_plan(p, prof)
    chosen = next(pt for pt in plan.pareto if pt.chosen)
    assert chosen.usd == pytest.approx(plan.round.usd)
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
    chosen = next(pt for pt in plan.pareto if pt.chosen)
    assert chosen.usd == pytest.approx(plan.round.usd)
    assert plan.round.usd == pytest.approx(sum(a.predicted_usd for a in plan.assignments))
