"""One error root for DELTA.

Every error a user can cause derives from :class:`DeltaError`.  The edges translate it
once: the CLI into a one-line message and exit code 2, the gRPC servicer into
``INVALID_ARGUMENT`` (or ``FAILED_PRECONDITION`` for infeasible plans).
"""

from __future__ import annotations


class DeltaError(Exception):
    """Base of every error DELTA reports to a user.

    Parameters
    ----------
    message:
        What is wrong, in one line.
    source:
        The file (or other input) the problem is in, if any.
    field:
        The field path inside that input, e.g. ``endpoints[2].round.epochs``.
    """

    exit_code = 2

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.field = field

    def __str__(self) -> str:
        where = ": ".join(p for p in (self.source, self.field) if p)
        return f"{where}: {self.message}" if where else self.message


class ConfigError(DeltaError):
    """A testbed file is missing, malformed or invalid."""


class ObservationError(DeltaError):
    """An observation record or file is malformed."""


class StoreError(DeltaError):
    """The observation store cannot be opened or is from a newer DELTA."""


class InfeasibleError(DeltaError):
    """No plan satisfies the constraints; names the binding constraint."""


class PriceError(DeltaError):
    """Spot price history, a price query or a price fetch is malformed or cannot be answered."""
