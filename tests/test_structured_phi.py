"""Structured eigenvector blocks: phi = u diag(s) vh ("svd") and phi = r q
("qr"), with u, vh and q fixed (Chicchi et al., Phys. Rev. E 2021)."""

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
from sklearn_spectral.nn import (
    QRSpectralLinear,
    SpectralLinear,
    SpectralMLP,
    SVDSpectralLinear,
    dense_adjacency,
)
from sklearn_spectral.nn.pruning import count_parameters


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _layer(cls, n_in, n_out, seed=0):
    return cls(n_in, n_out, generator=torch.Generator().manual_seed(seed)).double()


@pytest.mark.parametrize("n_in, n_out", [(7, 3), (3, 7), (5, 5)])
def test_structured_layers_start_as_the_dense_layer(n_in, n_out):
    dense = _layer(SpectralLinear, n_in, n_out)
    x = torch.randn(4, n_in, dtype=torch.float64)
    for cls in (SVDSpectralLinear, QRSpectralLinear):
        layer = _layer(cls, n_in, n_out)
        torch.testing.assert_close(layer.phi, dense.phi, atol=1e-6, rtol=0)
        torch.testing.assert_close(layer(x), dense(x), atol=1e-5, rtol=0)


@pytest.mark.parametrize("n_in, n_out", [(7, 3), (3, 7)])
def test_factors_and_parameter_counts(n_in, n_out):
    rank = min(n_in, n_out)
    svd = _layer(SVDSpectralLinear, n_in, n_out)
    eye = torch.eye(rank, dtype=torch.float64)
    # (the factors are stored in float32, the layer's dtype at construction)
    orthonormal = dict(atol=1e-6, rtol=0)
    torch.testing.assert_close(svd.u.T @ svd.u, eye, **orthonormal)  # columns
    torch.testing.assert_close(svd.vh @ svd.vh.T, eye, **orthonormal)  # rows
    torch.testing.assert_close(svd.phi, svd.u @ torch.diag(svd.s) @ svd.vh)
    qr = _layer(QRSpectralLinear, n_in, n_out)
    torch.testing.assert_close(qr.q @ qr.q.T, eye, **orthonormal)
    torch.testing.assert_close(qr.phi, qr.r @ qr.q)
    # Trainable numbers behind phi: rank (svd), n_out * rank (qr), against
    # n_in * n_out; eigenvalues and bias as in the dense layer.
    rest = n_in + 2 * n_out
    assert count_parameters(_layer(SpectralLinear, n_in, n_out)) == n_in * n_out + rest
    assert count_parameters(svd) == rank + rest
    assert count_parameters(qr) == n_out * rank + rest
    assert {n for n, _ in svd.named_buffers()} >= {"u", "vh"}
    assert {n for n, _ in qr.named_buffers()} >= {"q"}


@pytest.mark.parametrize("cls", [SVDSpectralLinear, QRSpectralLinear])
def test_structured_weight_is_the_block_of_the_dense_adjacency(cls):
    layer = _layer(cls, 4, 6)
    with torch.no_grad():
        layer.lambda_in.copy_(torch.linspace(-1, 1, 4))
        layer.lambda_out.copy_(torch.linspace(0.5, 2, 6))
        phi = layer.phi
        A = dense_adjacency(phi, layer.lambda_in, layer.lambda_out)
        torch.testing.assert_close(layer.weight(), A[4:, :4])
        # The eigenvalues are those of the adjacency.
        eig = torch.linalg.eigvals(A).real.sort().values
        expected = torch.cat([layer.lambda_in, layer.lambda_out]).sort().values
        torch.testing.assert_close(eig, expected)


@pytest.mark.parametrize("phi", ["svd", "qr"])
def test_removing_nodes_of_a_structured_network_keeps_the_sub_weights(phi):
    net = SpectralMLP(
        [5, 8, 6, 3], generator=torch.Generator().manual_seed(0), phi=phi
    ).double()
    with torch.no_grad():
        for layer in net.layers:
            layer.lambda_out.uniform_(0.5, 2.0)
    before = [w.detach().clone() for w in net.weights()]
    keep = [torch.tensor([0, 2, 3, 7]), torch.tensor([1, 5])]
    net.remove_nodes_(keep, fold_biases=False)
    after = net.weights()
    assert net.hidden_sizes == [4, 2]
    torch.testing.assert_close(after[0], before[0][keep[0]])
    torch.testing.assert_close(after[1], before[1][keep[1]][:, keep[0]])
    torch.testing.assert_close(after[2], before[2][:, keep[1]])
    assert all(type(layer).__name__.lower().startswith(phi) for layer in net.layers)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return train_test_split(X, y, random_state=0, stratify=y)


def test_svd_training_learns_with_few_parameters(digits):
    X, X_test, y, y_test = digits
    kwargs = dict(
        hidden_layer_sizes=(100,),
        train_input_eigenvalues=True,
        learning_rate_init=1e-2,
        max_iter=100,
        random_state=0,
        device="cpu",
    )
    svd = SpectralMLPClassifier(phi="svd", **kwargs).fit(X, y)
    dense = SpectralMLPClassifier(**kwargs).fit(X, y)
    # phi keeps its fixed singular vectors: only s (64 + 10 numbers) learned.
    n_svd, n_dense = count_parameters(svd.module_), count_parameters(dense.module_)
    assert n_svd == (64 + 10) + (64 + 100 + 100) + (100 + 10 + 10)
    assert n_svd < n_dense / 15
    assert svd.module_.layers[0].s.shape == (64,)
    # Trained: far above chance (0.1) and above the network it started as.
    assert svd.score(X_test, y_test) > 0.88
    assert svd.score(X_test, y_test) > dense.score(X_test, y_test) - 0.1
    # The fitted attributes hold the built phi.
    layer = svd.module_.layers[0]
    np.testing.assert_allclose(
        svd.eigenvectors_[0], ((layer.u * layer.s) @ layer.vh).detach().numpy()
    )


@pytest.mark.parametrize("phi", ["svd", "qr"])
def test_structured_estimator_sparse_eigenvalue_only_pickle_and_warm_start(phi):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(150, 6))
    y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]
    reg = SpectralMLPRegressor(
        (24,),
        phi=phi,
        density=0.3,
        train_input_eigenvalues=True,
        learning_rate_init=1e-2,
        max_iter=100,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    assert reg.score(X, y) > 0.6  # (a linear fit: R^2 0.2)
    assert all(d >= 0.3 for d in reg.densities_)
    assert not any(np.isnan(c).any() for c in reg.coefs_)
    clone = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(clone.predict(X), reg.predict(X))
    with pytest.raises(ValueError, match="warm_start cannot change the structure"):
        reg.set_params(warm_start=True, phi="dense").fit(X, y)
    # train="eigenvalues" freezes the factors of phi too: the same phi after
    # one epoch and after five, other eigenvalues.
    fits = [
        SpectralMLPRegressor(
            (24,), phi=phi, train="eigenvalues", max_iter=n, random_state=0
        ).fit(X, y)
        for n in (1, 5)
    ]
    factor = "s" if phi == "svd" else "r"
    assert not getattr(fits[1].module_.layers[0], factor).requires_grad
    for one, five in zip(fits[0].eigenvectors_, fits[1].eigenvectors_, strict=True):
        np.testing.assert_array_equal(one, five)
    assert not np.allclose(fits[0].eigenvalues_[0], fits[1].eigenvalues_[0])


def test_unknown_phi_structure_is_refused():
    with pytest.raises(InvalidParameterError, match="phi"):
        SpectralMLPClassifier(phi="cholesky").fit([[0.0], [1.0]], [0, 1])
    with pytest.raises(ValueError, match="phi must be one of"):
        SpectralMLP([2, 3, 1], phi="cholesky")


@pytest.mark.parametrize(
    "phi, setting, trained",
    [
        ("svd", "auto", True),
        ("dense", "auto", False),
        ("qr", "auto", False),
        ("svd", False, False),
        ("dense", True, True),
    ],
)
def test_input_eigenvalues_train_by_default_with_svd_phi(phi, setting, trained):
    # With phi="svd" a layer into one node has a fixed weight direction
    # unless its input eigenvalues train: "auto" trains them there.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    reg = SpectralMLPRegressor(
        (8,), phi=phi, train_input_eigenvalues=setting, max_iter=3, random_state=0
    ).fit(X, X[:, 0])
    for layer in reg.module_.layers:
        assert layer.lambda_in.requires_grad is trained
    assert bool(np.any(reg.eigenvalues_[1][:8] != 0)) is trained  # layer 2 lambda_in
