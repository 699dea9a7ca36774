"""scikit-learn's estimator contract without importing scikit-learn up front.

Importing anything from ``sklearn`` loads ``sklearn.utils.fixes``, which imports
``scipy.stats`` and, where installed, pandas: seconds on every ``delta plan``, though
planning only evaluates fitted linear laws.  These bases give the profiler's models the
same contract — ``get_params``/``set_params`` read from the keyword-only ``__init__``,
so ``sklearn.base.clone``, pipelines and grid searches work; ``__sklearn_tags__``;
``score``; and :func:`check_is_fitted` raising ``sklearn.exceptions.NotFittedError`` —
and import scikit-learn only where scikit-learn is already needed (its tags, R², the
error of an unfitted model).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
from numpy.typing import ArrayLike


class BaseEstimator:
    """Parameters from ``__init__``, as :class:`sklearn.base.BaseEstimator` reads them."""

    @classmethod
    def _get_param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        params = inspect.signature(init).parameters.values()
        for p in params:
            if p.kind == p.VAR_POSITIONAL:
                raise RuntimeError(f"{cls.__name__}.__init__ may not take *args "
                                   "(scikit-learn estimators name every parameter)")
        return sorted(p.name for p in params if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The estimator's parameters (and, with ``deep``, those of nested estimators)."""
        out: dict[str, Any] = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                out.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            out[name] = value
        return out

    def set_params(self, **params: Any) -> BaseEstimator:
        """Set parameters (``name`` or ``nested__name``); returns ``self``."""
        valid = self.get_params(deep=True)
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ValueError(f"invalid parameter {name!r} for estimator {self!r}; valid "
                                 f"parameters are {sorted(self._get_param_names())}")
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
                valid[name] = value
        for name, sub_params in nested.items():
            valid[name].set_params(**sub_params)
        return self

    def __repr__(self) -> str:
        defaults = {p.name: p.default
                    for p in inspect.signature(type(self).__init__).parameters.values()}
        shown = [f"{k}={v!r}" for k, v in self.get_params(deep=False).items()
                 if not _same(v, defaults.get(k, inspect.Parameter.empty))]
        return f"{type(self).__name__}({', '.join(shown)})"

    def __sklearn_tags__(self) -> Any:  # sklearn.utils.Tags, imported lazily
        from sklearn.utils import Tags, TargetTags

        return Tags(estimator_type=None, target_tags=TargetTags(required=False),
                    transformer_tags=None, regressor_tags=None, classifier_tags=None)


class RegressorMixin:
    """A regressor: sklearn's ``"regressor"`` tags and R² as ``score``."""

    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import RegressorTags

        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.estimator_type = "regressor"
        tags.regressor_tags = RegressorTags()
        tags.target_tags.required = True
        return tags

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Coefficient of determination R² of ``predict(X)`` against ``y``."""
        from sklearn.metrics import r2_score

        return float(r2_score(y, self.predict(X), sample_weight=sample_weight))  # type: ignore


def check_is_fitted(estimator: Any, attributes: str | list[str]) -> None:
    """Raise ``sklearn.exceptions.NotFittedError`` unless ``estimator`` has ``attributes``."""
    names = [attributes] if isinstance(attributes, str) else list(attributes)
    if not all(hasattr(estimator, a) for a in names):
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(f"This {type(estimator).__name__} instance is not fitted yet. "
                             "Call 'fit' with appropriate arguments before using this "
                             "estimator.")


def _same(a: Any, b: Any) -> bool:
    """Whether a parameter still has its default (arrays compared without ambiguity)."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
