"""The hidden activations, and what each method needs to know about them.

One registry, :data:`ACTIVATIONS`: the forward map and its backward kernel
(the networks that back-propagate by hand), the value and slope at 0 (TINY's
new neurons start there), the initialization scale, and the range where the
activation is linear (a linear model held by a network; a hidden layer
inserted without changing the function).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch.nn import functional as F

_aten = torch.ops.aten


@dataclass(frozen=True)
class Activation:
    """A hidden activation; calling it applies it.

    Attributes
    ----------
    name : str
        The ``activation`` parameter's value.
    forward : callable
        ``a = act(z)``.
    backward : callable
        ``backward(output, grad)``: ``grad * act'(z)`` from the output
        ``a = act(z)``, with the kernel autograd itself uses.
    at_zero : float
        ``act(0)``.
    slope_at_zero : float
        ``act'(0)`` in TINY's first-order gain of a new neuron. ReLU is not
        differentiable at 0; ``relu(z) = z / 2 + |z| / 2`` and 0.5 is the
        slope of its linear part.
    glorot_factor : float
        The initialization bound is ``sqrt(glorot_factor / (fan_in +
        fan_out))``, as ``MLPClassifier`` (2 for the logistic activation, 6
        for the others).
    linear_range : {"everywhere", "nonnegative", "near_zero"} or None
        Where ``act`` is the identity (up to ``at_zero``): everywhere, on
        ``z >= 0``, or to first order near 0; ``None``: nowhere.
    output_floor : float or None
        Lowest output (``relu`` 0, ``elu`` -1), ``None`` if unbounded below
        or not needed: with a ``"nonnegative"`` linear range, adding
        ``-output_floor`` to a previous hidden layer's outputs puts them in
        that range.
    """

    name: str
    forward: Callable
    backward: Callable
    at_zero: float
    slope_at_zero: float
    glorot_factor: float
    linear_range: str | None
    output_floor: float | None = None

    def __call__(self, z):
        return self.forward(z)

    @property
    def init_gain(self):
        """Scale of the initialization relative to ``glorot_factor = 6``."""
        return math.sqrt(self.glorot_factor / 6.0)

    @property
    def identity_shift(self):
        """Bias that makes ``act(h + shift) - shift = h`` for every output
        ``h`` of a hidden layer of this activation, or ``None`` where no
        such exact identity exists."""
        if self.linear_range == "everywhere":
            return 0.0
        if self.linear_range == "nonnegative":
            return 0.0 - self.output_floor  # (not -0.0)
        return None


ACTIVATIONS = {
    act.name: act
    for act in (
        Activation(
            "identity",
            lambda z: z,
            lambda output, grad: grad,
            at_zero=0.0,
            slope_at_zero=1.0,
            glorot_factor=6.0,
            linear_range="everywhere",
        ),
        Activation(
            "logistic",
            torch.sigmoid,
            lambda output, grad: _aten.sigmoid_backward(grad, output),
            at_zero=0.5,
            slope_at_zero=0.25,
            glorot_factor=2.0,
            linear_range=None,
        ),
        Activation(
            "tanh",
            torch.tanh,
            lambda output, grad: _aten.tanh_backward(grad, output),
            at_zero=0.0,
            slope_at_zero=1.0,
            glorot_factor=6.0,
            linear_range="near_zero",
        ),
        Activation(
            "relu",
            torch.relu,
            lambda output, grad: _aten.threshold_backward(grad, output, 0),
            at_zero=0.0,
            slope_at_zero=0.5,
            glorot_factor=6.0,
            linear_range="nonnegative",
            output_floor=0.0,
        ),
        Activation(
            "elu",
            F.elu,
            lambda output, grad: _aten.elu_backward(grad, 1.0, 1, 1, True, output),
            at_zero=0.0,
            slope_at_zero=1.0,
            glorot_factor=6.0,
            linear_range="nonnegative",
            output_floor=-1.0,
        ),
    )
}


def get_activation(name):
    """The registered :class:`Activation` called ``name``.

    Raises
    ------
    ValueError
        For an unknown name, listing the known ones.

    Examples
    --------
    >>> import torch
    >>> act = get_activation("relu")
    >>> act(torch.tensor([-1.0, 2.0]))
    tensor([0., 2.])
    >>> act.slope_at_zero, act.identity_shift
    (0.5, 0.0)
    """
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}"
        ) from None
