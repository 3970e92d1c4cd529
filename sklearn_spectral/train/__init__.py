"""Training policies plugged into the training loop as callbacks."""

from .callback import Callback, ProximalStep
from .growth import Growth

__all__ = ["Callback", "Growth", "ProximalStep"]
