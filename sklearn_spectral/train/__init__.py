"""Training policies plugged into the training loop as callbacks."""

from .callback import Callback, ProximalStep
from .growth import Growth
from .progress import ProgressReport

__all__ = ["Callback", "Growth", "ProgressReport", "ProximalStep"]
