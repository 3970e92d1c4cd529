"""scikit-learn estimators whose neural networks find their own architecture."""

from ._growing_mlp import GrowingMLPClassifier, GrowingMLPRegressor
from ._pruner import SpectralPruner
from ._spectral_mlp import SpectralMLPClassifier, SpectralMLPRegressor
from ._spectral_nas import SpectralNASClassifier, SpectralNASRegressor
from ._utils import DivergenceError

__version__ = "0.1.0.dev0"

__all__ = [
    "DivergenceError",
    "GrowingMLPClassifier",
    "GrowingMLPRegressor",
    "SpectralMLPClassifier",
    "SpectralMLPRegressor",
    "SpectralNASClassifier",
    "SpectralNASRegressor",
    "SpectralPruner",
]
