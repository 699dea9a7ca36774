"""Carrying out a plan's data moves: a site's data goes to another endpoint once.

When a round's plan trains a site's data on another endpoint (``runs_on``), the data
must be there first.  The first round that asks pays the move — on the virtual clock
of emulated endpoints, both latencies plus the bytes over the slower hidden link — and
the data stays there for later rounds, which train it on that endpoint without paying
again.  Each move is in the run record (the round's ``moves``) and in the store as a
``transfer`` observation, so transfer profiles learn from it too.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Any

from delta.config import Testbed
from delta.fl.executors.emulated import EmulatedExecutor, move_seconds
from delta.fl.strategies.base import EndpointTask
from delta.observations import Observation


@dataclass
class MovedTasks:
    """A round's tasks after its moves: what moved, when each site's data is ready."""

    tasks: tuple[EndpointTask, ...]
    moves: list[dict[str, Any]] = field(default_factory=list)
    ready_s: dict[str, float] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Placement:
    """Which sites' data sits on which other endpoints (its home copy always stays)."""

    def __init__(self, copies: Iterable[tuple[str, str]] = ()):
        self.copies: set[tuple[str, str]] = set(copies)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Placement:
        """The placement after the rounds of a (resumed) run record."""
        return cls((m["data_of"], m["to"]) for r in record.get("rounds", ())
                   for m in r.get("moves", ()))

    def carry_out(self, tasks: Iterable[EndpointTask], tb: Testbed,
                  executors: Mapping[str, Executor], round_index: int) -> MovedTasks:
        """Move the data each task needs to its host, once.

        A move between executors that cannot carry one out (not both emulated) is not
        made: that task trains at its site instead, with a note.
        """
        out = MovedTasks(tasks=())
        kept = []
        for t in tasks:
            site, host = t.endpoint, t.host
            if host == site or (site, host) in self.copies:
                kept.append(t)
                continue
            src, dst = executors[site], executors[host]
            if not (isinstance(src, EmulatedExecutor) and isinstance(dst, EmulatedExecutor)):
                out.notes.append(f"{site}: data stays (a run moves data only between "
                                 f"emulated endpoints), not moved to {host}")
                kept.append(replace(t, runs_on=None))
                continue
            ep = tb.endpoint(site)
            nbytes = ep.data.bytes
            seconds = move_seconds(nbytes, src, dst)
            usd = (nbytes / 1e9 * ep.network.egress_usd_per_gb
                   + tb.endpoint(host).price_per_hour * seconds / 3600.0)
            out.moves.append({"data_of": site, "to": host, "bytes": nbytes,
                              "seconds": round(seconds, 4), "usd": round(usd, 6)})
            out.ready_s[site] = seconds
            out.observations.append(Observation(
                endpoint=site, task="transfer", bytes=nbytes, seconds=seconds,
                timestamp=time.time(), extra={"round": float(round_index)}))
            self.copies.add((site, host))
            kept.append(t)
        out.tasks = tuple(kept)
        return out
