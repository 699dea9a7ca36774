"""Bytes moved: ``seconds = latency + bytes / bandwidth`` per link.

The declared network of an endpoint (``bandwidth_mbps``, ``latency_ms``) is the prior;
transfer observations (``task="transfer"``, ``bytes``, ``seconds``) update it, so a link
with no measurement is planned from its declaration and one with many from what it did.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from profiler.base import Quantiles
from profiler.law import LinearLaw

#: Log-scale doubt about a declared link (declared bandwidths are often optimistic).
DECLARED_SPREAD = 1.0


class TransferModel(LinearLaw):
    """Transfer time of a payload.  ``X`` column: bytes.

    ``coef_`` is ``(latency_s, seconds_per_megabyte)``.

    Parameters are those of :class:`~profiler.law.LinearLaw`; :func:`declared_prior` turns a
    declared link into ``prior_mean`` / ``prior_cov``.
    """

    terms = ("latency_s", "s_per_mb")

    def basis(self, X: ArrayLike) -> NDArray:
        A = np.asarray(X, dtype=float).reshape(-1, 1)
        return np.column_stack([np.ones(len(A)), A[:, 0] / 1e6])


def declared_prior(bandwidth_mbps: float, latency_ms: float,
                   spread: float = DECLARED_SPREAD) -> tuple[NDArray, NDArray]:
    """``(prior_mean, prior_cov)`` of a :class:`TransferModel` from a declared link."""
    if not bandwidth_mbps > 0:
        raise ValueError(f"bandwidth_mbps must be positive, got {bandwidth_mbps}")
    mean = np.array([max(latency_ms, 0.0) / 1e3, 8.0 / bandwidth_mbps])
    sd = np.maximum(spread * mean, [1e-3, 1e-6])
    return mean, np.diag(sd**2)


def fit_transfer(bytes_: Sequence[float], seconds: Sequence[float], *, bandwidth_mbps: float,
                 latency_ms: float) -> TransferModel:
    """A link's transfer model: the declared link updated by its observed transfers."""
    mean, cov = declared_prior(bandwidth_mbps, latency_ms)
    X = np.asarray(bytes_, dtype=float).reshape(-1, 1)
    return TransferModel(prior_mean=mean, prior_cov=cov).fit(X, np.asarray(seconds, float))


def transfer_quantiles(nbytes: float, bytes_: Sequence[float] = (),
                       seconds: Sequence[float] = (), *, bandwidth_mbps: float,
                       latency_ms: float) -> Quantiles:
    """Predicted seconds to move ``nbytes`` over a link.

    Parameters
    ----------
    nbytes:
        Payload to predict for.
    bytes_, seconds:
        The link's observed transfers (may be empty: then the declared link alone).
    bandwidth_mbps, latency_ms:
        The declared link, the fallback and prior.
    """
    m = fit_transfer(bytes_, seconds, bandwidth_mbps=bandwidth_mbps, latency_ms=latency_ms)
    q = m.predict_quantiles([[nbytes]])[0]
    return Quantiles(float(q[0]), float(q[1]), float(q[2]))
