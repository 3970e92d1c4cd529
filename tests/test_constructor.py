"""Constructor errors name the public class; its parameters stay the same."""

import inspect

import pytest
from sklearn.base import clone

from sklearn_spectral import SpectralMLPClassifier

from ._estimators import public_estimator_classes

CLASSES = public_estimator_classes()


def _inherited_init(cls):
    """The ``__init__`` that ``cls`` would run without one of its own."""
    for base in cls.__mro__[1:]:
        if "__init__" in base.__dict__:
            return base.__dict__["__init__"]
    return object.__init__


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_unknown_keyword_names_the_public_class(cls):
    with pytest.raises(TypeError, match="not_a_param") as info:
        cls(not_a_param=1)
    assert f"{cls.__name__}.__init__()" in str(info.value)
    assert "Mixin" not in str(info.value)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_signature_and_params_unchanged(cls):
    signature = inspect.signature(cls.__init__)
    names = {p for p in signature.parameters if p != "self"}
    est = cls()
    assert set(est.get_params(deep=False)) == names
    assert set(clone(est).get_params(deep=False)) == names
    original = _inherited_init(cls)
    if getattr(original, "__qualname__", "").startswith("_"):
        # The public class runs a renamed copy of a private mixin's __init__.
        assert inspect.signature(original) == signature
        assert cls.__init__.__code__.co_code == original.__code__.co_code
        assert cls.__init__.__defaults__ == original.__defaults__
        assert cls.__init__.__kwdefaults__ == original.__kwdefaults__


def test_the_copy_is_the_mixins_init():
    from sklearn_spectral._spectral_mlp import _SpectralMLPMixin

    init = SpectralMLPClassifier.__init__
    assert init is not _SpectralMLPMixin.__init__
    assert init.__qualname__ == "SpectralMLPClassifier.__init__"
    assert inspect.signature(init) == inspect.signature(_SpectralMLPMixin.__init__)
    est = SpectralMLPClassifier((7,), train="eigenvalues", max_iter=3)
    assert est.get_params()["hidden_layer_sizes"] == (7,)
    assert est.get_params()["train"] == "eigenvalues"
    assert est.get_params()["max_iter"] == 3
