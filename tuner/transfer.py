"""Moving a site's data: time and egress dollars from declared links (pure).

The profiler may later learn transfer times from ``transfer`` observations; until then
a transfer costs ``latency + bytes / bandwidth`` over the slower of the two links.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def transfer_seconds(nbytes: ArrayLike, bandwidth_mbps: ArrayLike,
                     latency_ms: ArrayLike) -> ArrayLike:
    """Seconds to move ``nbytes`` over a link of ``bandwidth_mbps`` and ``latency_ms``
    (scalars or arrays).

    Examples
    --------
    >>> float(transfer_seconds(10_000_000, 80.0, 20.0))
    1.02
    """
    return np.asarray(latency_ms) / 1000.0 + np.asarray(nbytes) * 8.0 / (
        np.asarray(bandwidth_mbps) * 1e6)


def link(src_mbps: ArrayLike, src_ms: ArrayLike, dst_mbps: ArrayLike,
         dst_ms: ArrayLike) -> tuple[ArrayLike, ArrayLike]:
    """The end-to-end link between two sites: the slower bandwidth, the summed latency."""
    return np.minimum(src_mbps, dst_mbps), np.add(src_ms, dst_ms)


def egress_usd(nbytes: ArrayLike, usd_per_gb: ArrayLike) -> ArrayLike:
    """Egress dollars for ``nbytes`` leaving a site that charges ``usd_per_gb`` (scalars or
    arrays)."""
    return nbytes / 1e9 * usd_per_gb
