"""The activation registry: one place for what the methods know of each."""

import pytest
import torch

from sklearn_spectral.nn import ACTIVATIONS, get_activation


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_backward_is_autograd_and_the_values_at_zero_hold(name):
    act = get_activation(name)
    z = torch.linspace(-3, 3, 61, dtype=torch.float64).requires_grad_()
    out = act(z)
    grad = torch.randn(
        61, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
    )
    (expected,) = torch.autograd.grad(out, z, grad)
    torch.testing.assert_close(act.backward(out.detach(), grad), expected)
    zero = torch.zeros(1, dtype=torch.float64)
    assert float(act(zero)) == act.at_zero
    if name != "relu":  # (ReLU: the slope of its linear part, see the docs)
        eps = 1e-6
        slope = (act(zero + eps) - act(zero - eps)) / (2 * eps)
        assert float(slope) == pytest.approx(act.slope_at_zero, rel=1e-6)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_identity_shift_passes_outputs_on_exactly(name):
    act = get_activation(name)
    h = act(torch.linspace(-5, 5, 101, dtype=torch.float64))  # any layer output
    shift = act.identity_shift
    if act.linear_range in ("everywhere", "nonnegative"):
        torch.testing.assert_close(act(h + shift) - shift, h, rtol=0, atol=1e-15)
    else:
        assert shift is None


def test_an_unknown_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"one of \['elu', 'identity'"):
        get_activation("softplus")
