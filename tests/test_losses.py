"""The closed-form loss gradients equal autograd's, and the losses equal the
estimators' ``_loss``."""

import pytest
import torch

from sklearn_spectral import SpectralMLPClassifier, SpectralMLPRegressor
from sklearn_spectral.train.trainer import loss_and_gradient_by_autograd


def _case(kind, weighted, seed=0):
    g = torch.Generator().manual_seed(seed)
    n = 13
    if kind == "binary":
        output = torch.randn(n, 1, generator=g, dtype=torch.float64)
        target = (torch.rand(n, generator=g) > 0.5).double()
        estimator = SpectralMLPClassifier()
    elif kind == "multilabel":
        output = torch.randn(n, 3, generator=g, dtype=torch.float64)
        target = (torch.rand(n, 3, generator=g) > 0.5).double()
        estimator = SpectralMLPClassifier()
    elif kind == "multiclass":
        output = torch.randn(n, 4, generator=g, dtype=torch.float64)
        target = torch.randint(0, 4, (n,), generator=g)
        estimator = SpectralMLPClassifier()
    else:
        output = torch.randn(n, 3, generator=g, dtype=torch.float64)
        target = torch.randn(n, 3, generator=g, dtype=torch.float64)
        estimator = SpectralMLPRegressor()
    weight = torch.rand(n, generator=g, dtype=torch.float64) if weighted else None
    return estimator, output, target, weight


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel", "regression"])
@pytest.mark.parametrize("weighted", [False, True])
def test_closed_form_gradient_equals_autograd(kind, weighted):
    estimator, output, target, weight = _case(kind, weighted)
    loss, grad = estimator._loss_and_gradient(output.clone(), target, weight)
    ref_loss, ref_grad = loss_and_gradient_by_autograd(
        estimator._loss, output, target, weight
    )
    assert grad.shape == output.shape
    torch.testing.assert_close(loss, ref_loss, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-12, atol=1e-14)


def test_closed_form_leaves_the_output_alone():
    estimator, output, target, _ = _case("multiclass", False)
    before = output.clone()
    estimator._loss_and_gradient(output, target, None)
    assert torch.equal(output, before)


@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_loss_is_mlpclassifiers_binary_log_loss(weighted):
    """Summed over the labels of a row, averaged over the rows (weighted)."""
    from sklearn.neural_network._base import binary_log_loss

    estimator, output, target, weight = _case("multilabel", weighted)
    if weight is not None:
        weight = weight / weight.mean()  # the trainer's mean-1 weights
    loss = estimator._loss(output, target, weight)
    expected = binary_log_loss(
        target.numpy(),
        torch.sigmoid(output).numpy(),
        None if weight is None else weight.numpy(),
    )
    assert float(loss) == pytest.approx(expected, rel=1e-10)
