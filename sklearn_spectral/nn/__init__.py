"""Pure torch modules and math (no scikit-learn)."""

from .global_spectral import GlobalSpectralNetwork, binomial_inverse, dense_forward
from .spectral_layer import (
    ACTIVATIONS,
    SpectralLinear,
    SpectralMLP,
    dense_adjacency,
    spectral_weight,
)

__all__ = [
    "ACTIVATIONS",
    "GlobalSpectralNetwork",
    "SpectralLinear",
    "SpectralMLP",
    "binomial_inverse",
    "dense_forward",
    "dense_adjacency",
    "spectral_weight",
]
