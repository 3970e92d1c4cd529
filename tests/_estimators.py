"""Every public estimator, with cheap parameters for the test suite."""

import inspect

from sklearn.base import BaseEstimator, is_classifier, is_regressor

import sklearn_spectral
from sklearn_spectral import SpectralMLPClassifier, SpectralMLPRegressor

_NET = dict(hidden_layer_sizes=(8,), max_iter=60, learning_rate_init=0.02)
_SPARSE = {**_NET, "hidden_layer_sizes": (16,), "density": 0.5}
_GROW = dict(max_iter=60, learning_rate_init=0.02, grow_every=5)

#: Cheap settings that still learn the check suite's small problems; a class
#: may have several (the pruner wraps a classifier and a regressor).
CHEAP_PARAMS = {
    # (and sparse: dynamic masks, and the empty nodes cut out after fit; 16
    # units, since at half the weights 8 left 4 nodes wired to the output)
    "SpectralMLPClassifier": [_NET, _SPARSE],
    "SpectralMLPRegressor": [_NET, _SPARSE],
    # (the check suite's data are too small for NAS's default validation set)
    "SpectralNASClassifier": [{**_NET, "early_stopping": False}],
    "SpectralNASRegressor": [{**_NET, "early_stopping": False}],
    "GrowingMLPClassifier": [_GROW],
    "GrowingMLPRegressor": [_GROW],
    "SpectralPruner": [
        dict(
            estimator=SpectralMLPClassifier(**_NET, device="cpu", random_state=0),
            fine_tune_iter=10,
        ),
        dict(
            estimator=SpectralMLPRegressor(**_NET, device="cpu", random_state=0),
            fine_tune_iter=10,
        ),
    ],
}


def public_estimator_classes():
    classes = [getattr(sklearn_spectral, name) for name in sklearn_spectral.__all__]
    return [c for c in classes if inspect.isclass(c) and issubclass(c, BaseEstimator)]


def cheap_instances():
    instances = []
    for cls in public_estimator_classes():
        if cls.__name__ not in CHEAP_PARAMS:
            raise AssertionError(
                f"{cls.__name__} is public but has no CHEAP_PARAMS entry for the tests"
            )
        for params in CHEAP_PARAMS[cls.__name__]:
            est = cls(**params)
            defaults = {"device": "cpu", "random_state": 0}
            est.set_params(
                **{k: v for k, v in defaults.items() if k in est.get_params()}
            )
            instances.append(est)
    return instances


def supervised_instances():
    return [e for e in cheap_instances() if is_classifier(e) or is_regressor(e)]


def transformer_instances():
    return [e for e in cheap_instances() if hasattr(e, "transform")]
