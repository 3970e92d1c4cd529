"""Training policies plugged into the training loop as callbacks."""

from .growth import Growth

__all__ = ["Growth"]
