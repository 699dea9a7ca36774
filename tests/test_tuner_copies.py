"""Data that already moved: a copy makes its host free, and data keeps training where it
does unless another layout is clearly better (no shuffling on profile noise)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.test_tuner import LawProfile, by_endpoint, site
from tuner import Problem, RoundSpec, make_plan
from tuner.cost import DeclaredPrice
from tuner.layout import build_context
from tuner.plan import KEEP_TOLERANCE


def _case(slow: dict, k_a: float = 2e-4, k_b: float = 2e-4, rounds: int = 1):
    """A slow site with 1 GB of movable data (1.0 $/GB egress) and two fast hosts."""
    p = Problem(name="copies", rounds=rounds, round=RoundSpec(samples=1000, epochs=10),
                endpoints=(site("slow", bytes=10**9, egress_usd_per_gb=1.0, **slow),
                           site("a", movable=False), site("b", movable=False)))
    prof = {"slow": LawProfile("slow", 0.5, 1e-2), "a": LawProfile("a", 0.5, k_a),
            "b": LawProfile("b", 0.5, k_b)}
    return p, prof


def test_a_move_is_free_only_where_a_copy_already_sits():
    p, prof = _case({"held_at": ("a",)})
    ctx = build_context(p, prof, DeclaredPrice(), None, [])
    to = {t.id: t for t in ctx.targets}
    assert {"a", "b"} <= set(to)
    # A copy at a: no transfer, no latency, no egress.
    assert (to["a"].transfer_s[0], to["a"].one_off_s[0], to["a"].egress_usd[0]) == (0, 0, 0)
    # b holds none: 8 Gbit over the slower 10 Mbit/s link plus both 50 ms, and 1 GB egress.
    assert to["b"].transfer_s[0] == pytest.approx(0.1 + 800.0)
    assert to["b"].egress_usd[0] == pytest.approx(1.0)
    # One round left: 800 s once is not repaid anywhere new, but the copy at a is free.
    plan = make_plan(p, prof)
    slow = by_endpoint(plan)["slow"]
    assert slow.runs_on == "a" and "data already there" in slow.reason
    assert not plan.moves  # nothing moves: the copy is there
    assert plan.round.usd == 0.0  # and no egress is charged for it
    # The front counts transfers too: training on the copy at a is no move.
    assert [pt.moves for pt in plan.pareto if pt.chosen] == [0]
    fresh = make_plan(replace(p, endpoints=(site("slow", bytes=10**9), *p.endpoints[1:])), prof)
    assert by_endpoint(fresh)["slow"].runs_on == "slow" and not fresh.moves


@pytest.mark.parametrize("k_a, kept", [(3.2e-3, True), (1e-2, False)])
def test_data_keeps_training_where_it_does_unless_clearly_better(k_a, kept):
    # Copies at both hosts; b is faster.  Sharing a, one epoch of each of its two sites
    # takes 0.5 + 2000 k_a s: 6.9 s with 3.2e-3 against the 6.5 s round with the data on
    # b (6% slower: it stays); 20.5 s with 1e-2 (it goes).
    p, prof = _case({"held_at": ("a", "b"), "runs_on": "a"}, k_a=k_a, rounds=10)
    free = make_plan(replace(p, endpoints=(replace(p.endpoints[0], runs_on=None),
                                           *p.endpoints[1:])), prof)
    assert by_endpoint(free)["slow"].runs_on == "b"
    plan = make_plan(p, prof)
    assert by_endpoint(plan)["slow"].runs_on == ("a" if kept else "b")
    assert not plan.moves
    assert any("where it does now" in n for n in plan.notes) == kept
    if kept:
        assert plan.round.makespan_s == pytest.approx(6.9)
        assert free.round.makespan_s == pytest.approx(6.5)
        assert any("only 5.8% better" in n for n in plan.notes)
        assert plan.round.makespan_s <= free.round.makespan_s * (1 + KEEP_TOLERANCE)
        # The front stays a front: the kept layout (6% slower, no cheaper) is dominated,
        # so it is not on it and no point is marked chosen; a note says why.
        pts = [(pt.makespan_s, pt.usd, -pt.progress) for pt in plan.pareto]
        assert not any(b != a and all(y <= x for x, y in zip(a, b)) for a in pts for b in pts)
        assert [pt.chosen for pt in plan.pareto].count(True) == 0
        assert any("off the Pareto front" in n for n in plan.notes)


def test_moved_data_does_not_go_home_on_a_prior():
    # The Pi's own profile is a prior that now looks fast (its data moved before it was
    # ever measured): it stays on a rather than going home on that guess.
    p, prof = _case({"held_at": ("a",), "runs_on": "a"}, k_a=3e-3, rounds=10)
    prof["slow"] = LawProfile("slow", 0.1, 1e-5, source="prior")
    plan = make_plan(p, prof)
    assert by_endpoint(plan)["slow"].runs_on == "a" and not plan.moves
    assert any("never measured" in n and "slow on a" in n for n in plan.notes)
    # Measured that fast at home, it goes home.
    prof["slow"] = LawProfile("slow", 0.1, 1e-5)
    assert by_endpoint(make_plan(p, prof))["slow"].runs_on == "slow"
