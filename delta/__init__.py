"""DELTA: cost- and hardware-aware placement and autotuning for federated learning.

``import delta`` stays light: :func:`federated_learning` loads its machinery on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["federated_learning"]


def __getattr__(name: str) -> Any:
    if name == "federated_learning":
        from delta.fl.api import federated_learning

        return federated_learning
    raise AttributeError(f"module 'delta' has no attribute {name!r}")
