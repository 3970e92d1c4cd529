"""Every public estimator, with cheap parameters for the test suite."""

import inspect

from sklearn.base import BaseEstimator, is_classifier, is_regressor

import sklearn_spectral

#: Cheap settings that still learn the check suite's small problems.
CHEAP_PARAMS = {
    "SpectralMLPClassifier": dict(
        hidden_layer_sizes=(8,), max_iter=60, learning_rate_init=0.02, random_state=0
    ),
    "SpectralMLPRegressor": dict(
        hidden_layer_sizes=(8,), max_iter=60, learning_rate_init=0.02, random_state=0
    ),
    "SpectralNASClassifier": dict(
        hidden_layer_sizes=(8,), max_iter=60, learning_rate_init=0.02, random_state=0
    ),
    "SpectralNASRegressor": dict(
        hidden_layer_sizes=(8,), max_iter=60, learning_rate_init=0.02, random_state=0
    ),
    "GrowingMLPClassifier": dict(
        max_iter=60, learning_rate_init=0.02, grow_every=5, random_state=0
    ),
    "GrowingMLPRegressor": dict(
        max_iter=60, learning_rate_init=0.02, grow_every=5, random_state=0
    ),
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
        instances.append(cls(device="cpu", **CHEAP_PARAMS[cls.__name__]))
    return instances


def supervised_instances():
    return [e for e in cheap_instances() if is_classifier(e) or is_regressor(e)]


def transformer_instances():
    return [e for e in cheap_instances() if hasattr(e, "transform")]
