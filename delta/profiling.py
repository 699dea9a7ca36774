"""Records in, profiles and experiment choices out: the edge around :mod:`profiler`.

The ``delta profile`` commands and the service's ``SuggestExperiments`` share this, so a
query is fitted and answered the same way whichever door it came in by.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from delta.errors import ObservationError
from delta.observations import Observation


def profiles_for(obs: Sequence[Observation], hardware: Mapping[str, Any],
                 asked: Sequence[Observation], task: str, source: str) -> dict[str, Any]:
    """Profiles of every known endpoint; ``asked`` are the query/candidate records.

    The model's variables are those that vary within an endpoint's observations or
    within what is asked about it, so candidates differing in, say, model size are told
    apart even before any run varied it.
    """
    from profiler import HardwareSpec, fit_profiles
    from profiler.composite import VARIABLES, active_variables
    from profiler.profiles import observation_matrix, usable

    known = {o.endpoint for o in obs} | set(hardware)
    for rec in asked:
        if rec.endpoint not in known:
            raise ObservationError(f"unknown endpoint {rec.endpoint!r} (no observations and "
                                   "no hardware columns for it)", source=source)
    found: set[str] = set()
    for ep in known:
        for group in ([o for o in obs if o.endpoint == ep and usable(o, task)],
                      [r for r in asked if r.endpoint == ep]):
            if group:
                found.update(active_variables(observation_matrix(group)[0]))
    hw = {ep: hardware.get(ep, HardwareSpec()) for ep in known}
    return fit_profiles(obs, hw, task, variables=tuple(v for v in VARIABLES if v in found)
                        or ("work",))


def row_array(rec: Observation) -> list[float]:
    """The record's configuration in :data:`profiler.composite.FEATURES` order."""
    from profiler.composite import FEATURES

    return [float(getattr(rec, f)) for f in FEATURES]


def query_row(prof: Any, rec: Observation, row: Mapping[str, Any]) -> list[float]:
    """A query row; columns the row leaves out take the endpoint's typical values."""
    x = row_array(rec)
    for i, col in ((3, "threads"), (4, "model_params"), (5, "bytes")):
        if row.get(col) in (None, ""):
            x[i] = prof.defaults.get(col, 0.0)
    return x


def suggest_records(observations: Sequence[Observation], candidates: Sequence[Observation],
                    n: int, hardware: Mapping[str, Any] | None = None,
                    task: str = "train", source: str = "candidates") -> list[int]:
    """Indices of the ``n`` candidates to run next, most informative first.

    Candidates are observation records without a meaningful ``seconds``; columns they
    leave at 0 (threads, model size, bytes) take each endpoint's typical values.
    """
    from profiler import HardwareSpec, suggest

    hw = {**{c.endpoint: HardwareSpec() for c in candidates}, **dict(hardware or {})}
    profiles = profiles_for(observations, hw, candidates, task, source)
    rows = [(c.endpoint, query_row(profiles[c.endpoint], c, {
        k: v for k in ("threads", "model_params", "bytes") if (v := getattr(c, k))}))
        for c in candidates]
    return suggest(profiles, rows, n)
