from functools import partial

import pytest
import torch

from sklearn_spectral.nn import (
    SpectralLinear,
    SpectralMLP,
    dense_adjacency,
    spectral_weight,
)
from sklearn_spectral.nn.sparse import set_masks_
from sklearn_spectral.train.trainer import loss_and_gradient_by_autograd


def _random(shape, seed):
    return torch.randn(
        *shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )


@pytest.mark.parametrize("n_in, n_out", [(1, 1), (3, 5), (7, 2)])
def test_weight_is_off_diagonal_block_of_dense_adjacency(n_in, n_out):
    phi, lam_in, lam_out = (
        _random((n_out, n_in), 0),
        _random((n_in,), 1),
        _random((n_out,), 2),
    )
    A = dense_adjacency(phi, lam_in, lam_out)
    W = spectral_weight(phi, lam_in, lam_out)
    torch.testing.assert_close(A[n_in:, :n_in], W, rtol=0, atol=1e-12)
    # The diagonal blocks are the eigenvalues, the upper block is zero.
    torch.testing.assert_close(A[:n_in, :n_in], torch.diag(lam_in), rtol=0, atol=1e-12)
    torch.testing.assert_close(A[n_in:, n_in:], torch.diag(lam_out), rtol=0, atol=1e-12)
    assert torch.count_nonzero(A[:n_in, n_in:]) == 0


def test_dense_adjacency_has_the_eigenvalues_and_eigenvectors():
    phi, lam_in, lam_out = _random((3, 4), 3), _random((4,), 4), _random((3,), 5)
    A = dense_adjacency(phi, lam_in, lam_out)
    Phi = torch.eye(7, dtype=torch.float64)
    Phi[4:, :4] = phi
    # A Phi = Phi Lambda: the columns of Phi are eigenvectors.
    torch.testing.assert_close(A @ Phi, Phi @ torch.diag(torch.cat([lam_in, lam_out])))
    torch.testing.assert_close(
        torch.linalg.inv(Phi), 2 * torch.eye(7, dtype=torch.float64) - Phi
    )


def test_layer_at_init_is_a_dense_layer_with_minus_phi():
    layer = SpectralLinear(4, 3, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(layer.weight(), -layer.phi)
    x = _random((5, 4), 1).float()
    torch.testing.assert_close(layer(x), x @ (-layer.phi).T + layer.bias)


def test_zero_output_eigenvalue_removes_incoming_weights():
    layer = SpectralLinear(4, 3, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        layer.lambda_out[1] = 0.0
    assert torch.count_nonzero(layer.weight()[1]) == 0


def test_eigenvalue_only_perceptron_trains_794_eigenvalues():
    # Giambagli et al. 2021: a 784 -> 10 perceptron with lambda_in and
    # lambda_out trainable and phi frozen has 794 trainable eigenvalues.
    layer = SpectralLinear(784, 10, train_phi=False, train_lambda_in=True)
    trainable = {n: p.numel() for n, p in layer.named_parameters() if p.requires_grad}
    assert trainable == {"lambda_in": 784, "lambda_out": 10, "bias": 10}


def test_mlp_forward_with_l2_matches_forward_and_weights():
    net = SpectralMLP(
        [5, 7, 3], activation="tanh", generator=torch.Generator().manual_seed(0)
    )
    x = _random((4, 5), 0).float()
    out, l2 = net.forward_with_l2(x)
    torch.testing.assert_close(out, net(x))
    expected = sum((layer.weight() ** 2).sum() for layer in net.layers)
    torch.testing.assert_close(l2, expected)
    # The forward pass is the plain MLP of the materialized weights.
    w1, w2 = net.weights()
    h = torch.tanh(x @ w1.T + net.layers[0].bias)
    torch.testing.assert_close(out, h @ w2.T + net.layers[1].bias)


def test_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="activation"):
        SpectralMLP([2, 2], activation="swish")


def _autograd_loss_and_grads(net, x, loss_fn, alpha):
    net.zero_grad(set_to_none=True)
    out, l2 = net.forward_with_l2(x)
    loss = loss_fn(out) + 0.5 * alpha * l2 / x.shape[0]
    loss.backward()
    return loss.detach(), {n: p.grad for n, p in net.named_parameters()}


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu", "elu"])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize(
    "sizes, train_phi, train_lambda_in",
    [([5, 7, 3], True, False), ([5, 7, 6, 2], True, True), ([4, 3], False, True)],
)
@pytest.mark.parametrize("density", [1.0, 0.4])
@pytest.mark.parametrize("phi", ["dense", "svd", "qr"])
def test_hand_written_backward_equals_autograd(
    activation, alpha, sizes, train_phi, train_lambda_in, density, phi
):
    net = SpectralMLP(
        sizes,
        activation=activation,
        train_phi=train_phi,
        train_lambda_in=train_lambda_in,
        generator=torch.Generator().manual_seed(0),
        phi=phi,
    ).double()
    with torch.no_grad():  # eigenvalues away from their initial 0 and 1
        for i, layer in enumerate(net.layers):
            layer.lambda_in.copy_(_random(layer.lambda_in.shape, 10 + i))
            layer.lambda_out.copy_(_random(layer.lambda_out.shape, 20 + i))
    set_masks_(net, density)  # (sparse training: the masked weights)
    x = _random((9, sizes[0]), 1)
    target = _random((9, sizes[-1]), 2)
    weight = _random((9,), 3).abs()

    def loss_fn(out):
        return (weight[:, None] * (out - target) ** 2).mean()

    expected_loss, expected = _autograd_loss_and_grads(net, x, loss_fn, alpha)
    net.zero_grad(set_to_none=True)
    loss = net.loss_and_backward(
        x, partial(loss_and_gradient_by_autograd, loss_fn), alpha
    )
    torch.testing.assert_close(loss, expected_loss, rtol=1e-12, atol=1e-12)
    for name, p in net.named_parameters():
        if expected[name] is None:
            assert p.grad is None, name
        else:
            torch.testing.assert_close(
                p.grad, expected[name], rtol=1e-10, atol=1e-12, msg=name
            )
    # Frozen parameters get no gradient at all.
    phi_parameter = {"dense": "phi", "svd": "s", "qr": "r"}[phi]
    assert (getattr(net.layers[0], phi_parameter).grad is None) == (not train_phi)
    assert (net.layers[0].lambda_in.grad is None) == (not train_lambda_in)
