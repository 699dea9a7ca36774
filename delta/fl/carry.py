"""Late updates carried into the next round, and the devices still busy with them.

A task that finishes after its round closed still trained: its update is carried into
the next round, rebased onto the model that round starts from (``x + (now - base)``,
:func:`~delta.fl.aggregation.base.rebase`) and folded with its weight discounted for one
round of staleness (:func:`~delta.fl.aggregation.base.staleness_discount`) — if it
arrives before that round closes.  A carried update never holds a round open, and is
never carried twice.

Its device stays busy meanwhile, as a one-worker Globus Compute endpoint would be (a
running task is not cancelled; the next one queues behind it): on the virtual clock its
next task starts when the late one ends.  Wall-clock endpoints need no such book-keeping:
their own clock already says it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from delta.fl.aggregation import EagerFold, Update, rebase
from delta.fl.strategies.base import EndpointTask

#: A late task that did finish: the task, its result, its finish on its round's clock.
Late = tuple[EndpointTask, Mapping[str, Any], float]


@dataclass(frozen=True)
class Carried:
    """A late update on its way into the next round."""

    endpoint: str
    from_round: int
    update: Update
    #: The global model it trained from.
    base: list
    #: When it arrives, on the next round's clock.
    arrives_s: float


def carry_over(late: Iterable[Late], busy_s: Mapping[str, float], base: list, close: float,
               round_index: int) -> tuple[list[Carried], dict[str, float]]:
    """What a round passes on: its late updates, and until when each emulated device is
    still busy (on the next round's clock).

    ``busy_s`` is this round's busy devices (they may stay busy past its close), ``base``
    the model this round's tasks trained from, ``close`` when the round closed.
    """
    late = list(late)
    carried = [Carried(t.endpoint, round_index,
                       Update(res["weights"], res["samples"], res["epochs"], staleness=1),
                       base, finish - close) for t, res, finish in late]
    busy = dict(busy_s)
    for t, res, finish in late:
        if "virtual_seconds" in res:
            busy[t.host] = max(busy.get(t.host, 0.0), finish)
    return carried, {h: b - close for h, b in busy.items() if b > close}


def fold_carried(fold: EagerFold, carried: Sequence[Carried], now: list, close: float,
                 complete: bool) -> list[dict[str, Any]]:
    """Fold the carried updates that arrived by ``close`` into ``fold``, rebased onto
    ``now`` (the model the round started from); their run-record entries.

    In a round that is not ``complete`` the global model is kept, and nothing is folded.
    """
    out = []
    for c in carried:
        entry: dict[str, Any] = {"endpoint": c.endpoint, "from_round": c.from_round,
                                 "samples": c.update.samples, "epochs": c.update.epochs,
                                 "arrived_s": round(c.arrives_s, 4), "folded": False,
                                 "weight": 0.0}
        if c.arrives_s > close:
            entry["note"] = "arrived after the round closed: dropped"
        elif not complete:
            entry["note"] = "round incomplete, global model kept: dropped"
        else:
            update = Update(rebase(c.update.weights, c.base, now), c.update.samples,
                            c.update.epochs, staleness=c.update.staleness)
            fold.fold(update)
            entry.update(folded=True, weight=round(fold.aggregator.update_weight(update), 4))
        out.append(entry)
    return out
