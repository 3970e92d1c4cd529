"""Sparse training in reciprocal space: masks, their dynamics, the estimator."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_spectral import SpectralMLPClassifier, SpectralMLPRegressor
from sklearn_spectral.nn import SpectralMLP
from sklearn_spectral.nn.sparse import (
    layer_densities,
    n_kept,
    set_masks_,
    top_magnitude_mask,
)


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _net(sizes=(6, 9, 4), seed=0):
    return SpectralMLP(sizes, generator=torch.Generator().manual_seed(seed)).double()


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, random_state=0, stratify=y)


@pytest.mark.parametrize("density", [1.0, 0.5, 0.1, 0.01, 1e-9])
def test_masks_keep_exactly_the_largest_magnitudes(density):
    w = torch.randn(13, 7, generator=torch.Generator().manual_seed(1))
    mask = top_magnitude_mask(w, density)
    k = n_kept(w.numel(), density)
    assert int(mask.sum()) == k == max(1, round(density * 91))
    dropped = w.abs()[~mask]
    assert dropped.numel() == 0 or w.abs()[mask].min() >= dropped.max()


def test_masked_entries_are_zero_in_the_forward_pass():
    net = _net()
    set_masks_(net, 0.3)
    assert layer_densities(net) == [n_kept(54, 0.3) / 54, n_kept(36, 0.3) / 36]
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(5, 6, generator=gen, dtype=torch.float64)
    h = x
    for k, layer in enumerate(net.layers):
        w = layer.phi * (layer.lambda_in - layer.lambda_out.unsqueeze(1))
        assert (layer.weight()[~layer.mask] == 0).all()
        h = h @ (w * layer.mask).T + layer.bias
        if k == 0:
            h = torch.relu(h)
    torch.testing.assert_close(net(x), h)
    set_masks_(net, 1.0)  # dense again
    assert [layer.mask for layer in net.layers] == [None, None]


def test_the_support_moves_in_reciprocal_space_but_not_in_direct_space():
    net = _net()
    set_masks_(net, 0.3)
    before = [layer.mask.clone() for layer in net.layers]
    # Training the eigenvalue of one node (on its kept weights) rescales its
    # whole row, masked entries included: they enter the support.
    with torch.no_grad():
        net.layers[0].lambda_out[3] *= 50.0
    moved = set_masks_(net, 0.3)
    assert moved > 0
    assert bool(net.layers[0].mask[3].all())
    assert not torch.equal(net.layers[0].mask, before[0])
    assert layer_densities(net)[0] == n_kept(54, 0.3) / 54  # still exact
    # Direct space: a masked weight gets no gradient, so it never changes.
    layer = torch.nn.Linear(6, 9).double()
    mask = before[0]
    optimizer = torch.optim.Adam(layer.parameters(), lr=0.1)
    masked_start = layer.weight.detach()[~mask].clone()
    for _ in range(20):
        optimizer.zero_grad()
        x = torch.randn(8, 6, dtype=torch.float64)
        (x @ (layer.weight * mask).T).square().sum().backward()
        assert (layer.weight.grad[~mask] == 0).all()
        optimizer.step()
    torch.testing.assert_close(layer.weight.detach()[~mask], masked_start)


def test_sparse_estimator_reports_its_masks(digits):
    X, _, y, _ = digits
    clf = SpectralMLPClassifier(
        (64,), density=0.1, max_iter=30, random_state=0, device="cpu"
    ).fit(X, y)
    assert len(clf.masks_) == 2
    for coef, mask, density in zip(clf.coefs_, clf.masks_, clf.densities_, strict=True):
        assert mask.shape == coef.shape and mask.dtype == bool
        assert (coef[~mask] == 0).all()
        assert density == pytest.approx(mask.mean())
        assert density >= 0.1
    assert clf.n_support_changes_ > 0  # the dynamic support moved
    # Every hidden node left has kept incoming and outgoing weights.
    assert clf.masks_[0].any(axis=0).all() and clf.masks_[1].any(axis=1).all()
    static = SpectralMLPClassifier(
        (64,), density=0.1, mask="static", max_iter=30, random_state=0, device="cpu"
    ).fit(X, y)
    assert static.n_support_changes_ == 0
    dense = SpectralMLPClassifier((64,), max_iter=5, random_state=0, device="cpu")
    dense.fit(X, y)
    assert all(m.all() for m in dense.masks_) and dense.densities_ == [1.0, 1.0]


def test_cutting_the_empty_nodes_changes_no_prediction(digits, monkeypatch):
    from sklearn_spectral.train import sparsity

    X, X_test, y, _ = digits
    kw = dict(density=0.05, max_iter=20, random_state=0, device="cpu")
    compact = SpectralMLPClassifier((64,), **kw).fit(X, y)
    monkeypatch.setattr(sparsity.SparseMasks, "on_fit_end", lambda self, t: None)
    full = SpectralMLPClassifier((64,), **kw).fit(X, y)
    assert compact.coefs_[0].shape[1] < full.coefs_[0].shape[1] == 64
    np.testing.assert_allclose(
        compact.predict_proba(X_test), full.predict_proba(X_test), atol=1e-10
    )


def test_dynamic_masks_beat_a_static_mask_at_low_density(digits):
    # The paper's claim, on a small budget: at 5 % of the weights the support
    # that follows the eigenvalues learns more than the one drawn at the start.
    X, X_test, y, y_test = digits
    scores = {
        mask: SpectralMLPClassifier(
            (256,), density=0.05, mask=mask, random_state=0, device="cpu"
        )
        .fit(X, y)
        .score(X_test, y_test)
        for mask in ("dynamic", "static")
    }
    assert scores["dynamic"] > scores["static"] + 0.02
    assert scores["dynamic"] > 0.9


def test_sparse_regressor_warm_start_partial_fit_and_pickle():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    reg = SpectralMLPRegressor(
        (32,), density=0.2, max_iter=40, random_state=0, device="cpu"
    ).fit(X, y)
    width = reg.coefs_[0].shape[1]
    clone = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(clone.predict(X), reg.predict(X))
    # A warm start goes on with the fitted masks (no redraw at the same density).
    masks = [m.copy() for m in reg.masks_]
    reg.set_params(warm_start=True, mask="static", max_iter=5).fit(X, y)
    for before, after in zip(masks, reg.masks_, strict=True):
        np.testing.assert_array_equal(before, after)
    assert reg.coefs_[0].shape[1] == width
    # partial_fit keeps every node (a later chunk may need one).
    stream = SpectralMLPRegressor((32,), density=0.2, random_state=0, device="cpu")
    for _ in range(3):
        stream.partial_fit(X, y)
    assert stream.coefs_[0].shape[1] == 32
    assert stream.densities_[0] == pytest.approx(n_kept(5 * 32, 0.2) / (5 * 32))


@pytest.mark.parametrize("density", [0.0, -0.5, 1.5])
def test_density_out_of_range_is_refused(density):
    with pytest.raises(InvalidParameterError, match="density"):
        SpectralMLPClassifier(density=density).fit([[0.0], [1.0]], [0, 1])
