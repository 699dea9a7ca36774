"""Planning through a shared DELTA service (``delta run --server``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from delta.client import DeltaClient
from delta.config import Testbed
from delta.observations import Observation


class ServicePlanner:
    """Asks a DELTA service for each round's plan and reports the run's tasks to it.

    The service plans from everything reported to it, by this run and by other
    controllers; this machine's local history is not sent.
    """

    def __init__(self, client: DeltaClient):
        self.client = client

    def __call__(self, testbed: Testbed, observations: Sequence[Observation]) -> dict[str, Any]:
        return self.client.plan(yaml.safe_dump(testbed.model_dump(mode="json")))

    def report(self, observations: Sequence[Observation]) -> int:
        """Store a finished round's tasks on the service (committed when this returns)."""
        return self.client.report(observations)
