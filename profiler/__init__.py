"""Runtime models per endpoint and hardware: pure, no I/O, no TensorFlow."""

from profiler.base import Quantiles, RuntimeProfile
from profiler.design import suggest
from profiler.hardware import HardwareSpec
from profiler.profiles import Profile, fit_profiles
from profiler.transfer import TransferModel, fit_transfer, transfer_quantiles

__all__ = ["HardwareSpec", "Profile", "Quantiles", "RuntimeProfile", "TransferModel",
           "fit_profiles", "fit_transfer", "suggest", "transfer_quantiles"]
