"""Training policies plugged into the training loop as callbacks."""

from .callback import Callback, ProximalStep
from .compaction import NodeCompaction
from .growth import Growth
from .progress import ProgressReport
from .sparsity import SparseMasks
from .trainer import Trainer

__all__ = [
    "Callback",
    "Growth",
    "NodeCompaction",
    "ProgressReport",
    "ProximalStep",
    "SparseMasks",
    "Trainer",
]
