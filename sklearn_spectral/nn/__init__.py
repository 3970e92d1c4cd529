"""Pure torch modules and math (no scikit-learn)."""

from .spectral_layer import (
    ACTIVATIONS,
    SpectralLinear,
    SpectralMLP,
    dense_adjacency,
    spectral_weight,
)

__all__ = [
    "ACTIVATIONS",
    "SpectralLinear",
    "SpectralMLP",
    "dense_adjacency",
    "spectral_weight",
]
