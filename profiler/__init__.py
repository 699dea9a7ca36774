"""Runtime models per endpoint and hardware: pure, no I/O, no TensorFlow."""

from profiler.base import Quantiles, RuntimeProfile
from profiler.hardware import HardwareSpec
from profiler.profiles import fit_profiles

__all__ = ["HardwareSpec", "Quantiles", "RuntimeProfile", "fit_profiles"]
