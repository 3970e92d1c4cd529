"""Multilabel classification (``y`` a 2-D indicator matrix), as ``MLPClassifier``."""

import warnings

import numpy as np
import pytest
from scipy.special import expit
from sklearn.base import clone
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning, DataConversionWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import (
    GrowingMLPClassifier,
    SpectralMLPClassifier,
    SpectralNASClassifier,
)

_COMMON = dict(random_state=0, device="cpu")
CLASSIFIERS = [
    SpectralMLPClassifier(**_COMMON),
    GrowingMLPClassifier(**_COMMON),
    SpectralNASClassifier(**_COMMON),
]


def _ids(est):
    return type(est).__name__


@pytest.fixture(scope="module")
def data():
    X, Y = make_multilabel_classification(
        600, 20, n_classes=4, random_state=0, allow_unlabeled=True
    )
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, Y, random_state=0)


@pytest.fixture(scope="module")
def mlp_score(data):
    X_train, X_test, Y_train, Y_test = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(random_state=0, max_iter=300).fit(X_train, Y_train)
    return mlp.score(X_test, Y_test)


@pytest.mark.parametrize("est", CLASSIFIERS, ids=_ids)
def test_multilabel_outputs_as_mlpclassifier(est, data, mlp_score):
    X_train, X_test, Y_train, Y_test = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = clone(est).fit(X_train, Y_train)
    assert est.out_activation_ == "logistic"
    np.testing.assert_array_equal(est.classes_, np.arange(4))
    assert est.n_outputs_ == 4
    pred = est.predict(X_test)
    assert pred.shape == Y_test.shape and set(np.unique(pred)) <= {0, 1}
    logits = est.decision_function(X_test)
    proba = est.predict_proba(X_test)
    np.testing.assert_allclose(proba, expit(logits), rtol=1e-12)
    np.testing.assert_allclose(np.exp(est.predict_log_proba(X_test)), proba)
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    # score is the subset accuracy; a network beats always predicting the
    # most frequent label set, and stays near MLPClassifier's
    patterns, counts = np.unique(Y_train, axis=0, return_counts=True)
    baseline = np.mean((Y_test == patterns[counts.argmax()]).all(axis=1))
    score = est.score(X_test, Y_test)
    assert score == np.mean((pred == Y_test).all(axis=1))
    assert score > baseline + 0.1
    assert score > mlp_score - 0.12


def test_single_label_tasks_keep_their_outputs(data):
    X_train, _, Y_train, _ = data
    binary = SpectralMLPClassifier(**_COMMON, max_iter=5)
    multiclass = clone(binary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        binary.fit(X_train, Y_train[:, 0])
        multiclass.fit(X_train, Y_train.sum(axis=1))
    assert binary.out_activation_ == "logistic" and binary.n_outputs_ == 1
    assert binary.predict_proba(X_train).shape == (len(X_train), 2)
    assert multiclass.out_activation_ == "softmax"
    assert multiclass.predict(X_train).ndim == 1


def test_other_2d_targets_are_refused_and_a_column_is_raveled(data):
    X_train, _, Y_train, _ = data
    clf = SpectralMLPClassifier(**_COMMON, max_iter=5)
    for bad in (Y_train * 3 - 1, Y_train + np.eye(4, dtype=int)[0]):
        with pytest.raises(ValueError, match="multilabel indicator matrix"):
            clf.fit(X_train, bad)  # not 0/1, multiclass-multioutput
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(DataConversionWarning):
            clf.fit(X_train, Y_train[:, :1])
    assert clf.predict(X_train).ndim == 1


def test_multilabel_partial_fit_and_warm_start(data):
    X_train, X_test, Y_train, Y_test = data
    clf = SpectralMLPClassifier(**_COMMON, learning_rate_init=0.01)
    for _ in range(20):
        for chunk in np.array_split(np.arange(len(X_train)), 3):
            clf.partial_fit(X_train[chunk], Y_train[chunk], classes=np.arange(4))
    assert clf.predict(X_test).shape == Y_test.shape
    assert clf.score(X_test, Y_test) > 0.3
    with pytest.raises(ValueError, match="4 labels"):
        clf.partial_fit(X_train, Y_train[:, :3])
    with pytest.raises(ValueError, match="classes has 3 entries"):
        clone(clf).partial_fit(X_train, Y_train, classes=[0, 1, 2])
    warm = SpectralMLPClassifier(**_COMMON, max_iter=5, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X_train, Y_train)
        with pytest.raises(ValueError, match="1-D class labels"):
            warm.fit(X_train, Y_train[:, 0])


def test_warm_start_with_other_classes_is_refused_in_mlpclassifiers_words(data):
    X_train, _, Y_train, _ = data
    clf = SpectralMLPClassifier(**_COMMON, max_iter=5, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X_train, Y_train.sum(axis=1) % 3)
        with pytest.raises(
            ValueError,
            match=r"warm_start can only be used where `y` has the same classes as "
            r"in the previous call to fit. Previously got \[0 1 2\], `y` has \[0 1\]",
        ):
            clf.fit(X_train, Y_train[:, 0])


def test_a_sparse_indicator_matrix_is_a_multilabel_target(data):
    import scipy.sparse as sp

    X_train, X_test, Y_train, _ = data
    params = dict(_COMMON, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        dense = SpectralMLPClassifier(**params).fit(X_train, Y_train)
        sparse = SpectralMLPClassifier(**params).fit(X_train, sp.csr_matrix(Y_train))
    np.testing.assert_array_equal(sparse.predict(X_test), dense.predict(X_test))
