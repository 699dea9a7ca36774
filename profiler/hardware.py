"""Hardware descriptions as the profiler sees them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HardwareSpec:
    cores: int = 1
    clock_ghz: float = 1.0
    memory_gb: float = 1.0
    arch: str = "x86_64"
    accelerator: str | None = None

    def capacity(self) -> float:
        """A relative compute capacity for the cold-start prior.

        Small-model training scales sub-linearly with cores, so cores count with a
        square root; the learned prior of the profiler replaces this heuristic.
        """
        return self.clock_ghz * self.cores**0.5
