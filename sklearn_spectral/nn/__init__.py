"""Pure torch modules and math (no scikit-learn)."""

from .activations import ACTIVATIONS, Activation, get_activation
from .bottleneck import (
    GrowthProposal,
    GrowthStatistics,
    growth_statistics,
    inverse_sqrt,
    propose_growth,
)
from .global_spectral import (
    GlobalSpectralNetwork,
    binomial_inverse,
    dense_forward,
    path_richness,
    used_nodes,
)
from .growing import GrowingMLP
from .growth_step import apply_growth, line_search
from .hidden_nodes import HiddenNodes
from .spectral_layer import (
    QRSpectralLinear,
    SpectralLinear,
    SpectralMLP,
    SVDSpectralLinear,
    dense_adjacency,
    soft_threshold_,
    spectral_weight,
)

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "GlobalSpectralNetwork",
    "GrowingMLP",
    "GrowthProposal",
    "GrowthStatistics",
    "HiddenNodes",
    "QRSpectralLinear",
    "SVDSpectralLinear",
    "SpectralLinear",
    "SpectralMLP",
    "apply_growth",
    "binomial_inverse",
    "dense_forward",
    "get_activation",
    "growth_statistics",
    "inverse_sqrt",
    "line_search",
    "path_richness",
    "propose_growth",
    "soft_threshold_",
    "dense_adjacency",
    "spectral_weight",
    "used_nodes",
]
