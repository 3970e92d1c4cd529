"""Dense references for the global spectral network
(:class:`~sklearn_spectral.nn.global_spectral.GlobalSpectralNetwork`): its
blocks and adjacency, the inverse of ``Phi`` by the binomial formula, the
forward pass through the dense adjacency, and the nodes a network's output
depends on (SPARCS: Peri, Chicchi, Fanelli and Giambagli, "Spectral
Architecture Search for Neural Networks", arXiv:2504.00885). For tests and
diagnostics; training never builds the dense blocks.
"""

import math

import torch

from .activations import ACTIVATIONS

__all__ = [
    "binomial_inverse",
    "dense_forward",
    "network_adjacency",
    "network_blocks",
    "path_richness",
    "used_nodes",
]


def binomial_inverse(Phi, B):
    """Inverse of ``Phi`` by the binomial formula of the SPARCS poster.

    ``Phi^{-1} = sum_{i=0}^{B} (-1)^i C(B+1, i+1) Phi^i``, exact when
    ``Phi - I`` is nilpotent of order ``B + 1`` (``(Phi - I)^{B+1} = 0``), as
    for the block unit-lower-bidiagonal ``Phi`` of a network with ``B + 1``
    layers. It follows from ``Phi^{-1} = sum_{p=0}^{B} (I - Phi)^p`` and the
    hockey-stick identity ``sum_{p=i}^{B} C(p, i) = C(B+1, i+1)``.

    Parameters
    ----------
    Phi : torch.Tensor of shape (N, N)
        Square matrix with ``(Phi - I)^{B+1} = 0``.
    B : int
        Number of weight blocks (layers minus one), ``B >= 0``.

    Returns
    -------
    torch.Tensor of shape (N, N)

    Examples
    --------
    >>> import torch
    >>> Phi = torch.tensor([[1.0, 0.0, 0.0], [2.0, 1.0, 0.0], [0.0, 3.0, 1.0]])
    >>> binomial_inverse(Phi, 2)
    tensor([[ 1.,  0.,  0.],
            [-2.,  1.,  0.],
            [ 6., -3.,  1.]])
    """
    if Phi.ndim != 2 or Phi.shape[0] != Phi.shape[1]:
        raise ValueError(f"Phi must be a square matrix, got shape {tuple(Phi.shape)}")
    if B < 0:
        raise ValueError(f"B must be >= 0, got {B}")
    power = torch.eye(Phi.shape[0], dtype=Phi.dtype, device=Phi.device)
    inverse = torch.zeros_like(power)
    for i in range(B + 1):
        inverse = inverse + (-1) ** i * math.comb(B + 1, i + 1) * power
        power = power @ Phi
    return inverse


@torch.no_grad()
def network_blocks(network, dtype=torch.float64):
    """Dense blocks ``W_{i,j}`` of a ``GlobalSpectralNetwork`` by SPARCS eq. 3.

    Parameters
    ----------
    dtype : torch.dtype, default=torch.float64
        Precision of the computation (float64 keeps deep products exact).

    Returns
    -------
    list of list
        ``(B+1) x (B+1)`` nested list; entry ``[i][j]`` (0-based, ``i > j``)
        is ``W_{i+1,j+1}`` of shape ``(n_{i+1}, n_{j+1})``, every other
        entry is ``None``. No gradient.
    """
    phis = [phi.to(dtype) for phi in network.phis]
    lams = [lam.to(dtype) for lam in network.eigenvalues]
    adjacent = [
        phi * (lams[k] - lams[k + 1].unsqueeze(1)) for k, phi in enumerate(phis)
    ]
    n_layers = len(network.layer_sizes)
    out = [[None] * n_layers for _ in range(n_layers)]
    for j in range(n_layers - 1):
        product = None  # phi_{i-2} ... phi_j (0-based phis[i-2] ... phis[j])
        for i in range(j + 1, n_layers):
            block = adjacent[i - 1] if product is None else adjacent[i - 1] @ product
            out[i][j] = block if (i - 1 - j) % 2 == 0 else -block
            product = phis[i - 1] if product is None else phis[i - 1] @ product
    return out


def _offsets(network):
    """Start index of every layer in the stacked node order, and ``N``."""
    offsets = [0]
    for n in network.layer_sizes:
        offsets.append(offsets[-1] + n)
    return offsets


def network_adjacency(network, dtype=torch.float64):
    """Dense ``N x N`` adjacency ``Phi Lambda Phi^{-1}`` of a ``GlobalSpectralNetwork``.

    ``Phi^{-1}`` is solved numerically with
    :func:`torch.linalg.solve_triangular` (``Phi`` is unit lower
    triangular), independently of the binomial formula and of eq. 3; the
    result is exactly lower triangular, so the strictly-upper part of
    ``A`` is exactly zero. Differentiable.

    Parameters
    ----------
    dtype : torch.dtype, default=torch.float64

    Returns
    -------
    torch.Tensor of shape (N, N), ``N = sum(layer_sizes)``
    """
    offsets = _offsets(network)
    Phi = torch.eye(offsets[-1], dtype=dtype, device=network.phis[0].device)
    for k, phi in enumerate(network.phis):
        rows = slice(offsets[k + 1], offsets[k + 2])
        Phi[rows, offsets[k] : offsets[k + 1]] = phi.to(dtype)
    Lam = torch.diag(torch.cat([lam.to(dtype) for lam in network.eigenvalues]))
    eye = torch.eye(offsets[-1], dtype=dtype, device=Phi.device)
    Phi_inv = torch.linalg.solve_triangular(Phi, eye, upper=False, unitriangular=True)
    return Phi @ Lam @ Phi_inv


def dense_forward(network, x):
    """Float64 reference forward pass built from the dense ``Phi Lambda Phi^{-1}``.

    Every block ``W_{i,j}`` (``i > j``) is cut out of
    :meth:`GlobalSpectralNetwork.dense_adjacency` (not from eq. 3), and for
    each layer ``i >= 2``::

        a_i = sum_{j<i} h_j W_{i,j}^T + b_i,
        h_i = sigma(a_i) for hidden layers,  h_{B+1} = a_{B+1},

    with ``h_1 = x`` and ``h_j`` the post-activation output of layer ``j``.
    The diagonal self-loops are not used. ``network(x)`` equals this up to
    float rounding (see the Notes of :class:`GlobalSpectralNetwork`).
    Differentiable with respect to the network's parameters.

    Parameters
    ----------
    network : GlobalSpectralNetwork
    x : torch.Tensor of shape (n_samples, n_1)

    Returns
    -------
    torch.Tensor of shape (n_samples, n_{B+1}), float64
    """
    dtype = torch.float64
    act = ACTIVATIONS[network.activation]
    A = network.dense_adjacency(dtype)
    offsets = _offsets(network)
    n_layers = len(network.layer_sizes)
    hs = [x.to(dtype)]
    for i in range(1, n_layers):
        rows = slice(offsets[i], offsets[i + 1])
        a = network.biases[i - 1].to(dtype)
        for j in range(i):
            a = a + hs[j] @ A[rows, offsets[j] : offsets[j + 1]].T
        hs.append(a if i == n_layers - 1 else act(a))
    return hs[-1]


def used_nodes(blocks):
    """Which nodes the output of a network depends on, from its dense blocks.

    A node is used when it lies on a path of nonzero weights from an input to
    an output. A hidden node no input reaches outputs the constant
    ``sigma(b)``, which folds into the biases of the layers it feeds; a node
    that reaches no output changes nothing. Removing every unused node (and
    folding those constants) leaves the predictions unchanged, so the weights
    between used nodes are all a network needs. Output nodes always count as
    used (an output no input reaches predicts its bias).

    Eigenvalues alone do not say this: node ``r`` of layer ``i`` receives
    ``phi_{i-1}[r, :] diag(lambda_{i-1}) ...`` even when ``lambda_i[r] = 0``,
    so a node whose eigenvalue is 0 still computes once the layer before it
    has one nonzero eigenvalue. Only a zero row of ``phi_{i-1}`` or a zero
    column of ``phi_i`` removes it whatever the eigenvalues.

    Parameters
    ----------
    blocks : list of list
        The nested ``(B+1) x (B+1)`` list of :meth:`GlobalSpectralNetwork.blocks`:
        entry ``[i][j]`` (``i > j``) is the block from layer ``j`` to layer ``i``.

    Returns
    -------
    list of torch.Tensor
        One boolean mask per layer, inputs first.

    Examples
    --------
    >>> import torch
    >>> from sklearn_spectral.nn import GlobalSpectralNetwork
    >>> gen = torch.Generator().manual_seed(0)
    >>> net = GlobalSpectralNetwork([3, 4, 2], generator=gen)
    >>> [int(m.sum()) for m in used_nodes(net.blocks())]  # the perceptron start
    [3, 0, 2]
    """
    n_layers = len(blocks)
    nonzero = [[b if b is None else b != 0 for b in row] for row in blocks]
    sizes = [nonzero[-1][j].shape[1] for j in range(n_layers - 1)]
    sizes.append(nonzero[-1][0].shape[0])
    reached = [torch.ones(sizes[0], dtype=torch.bool)]  # from some input
    for i in range(1, n_layers):
        reached.append(
            torch.stack(
                [(nonzero[i][j] & reached[j]).any(dim=1) for j in range(i)]
            ).any(dim=0)
        )
    reaching = [None] * n_layers  # reaches some output
    reaching[-1] = torch.ones(sizes[-1], dtype=torch.bool)
    for j in range(n_layers - 2, -1, -1):
        reaching[j] = torch.stack(
            [
                (nonzero[i][j] & reaching[i].unsqueeze(1)).any(dim=0)
                for i in range(j + 1, n_layers)
            ]
        ).any(dim=0)
    used = [f & b for f, b in zip(reached, reaching, strict=True)]
    used[-1] = reaching[-1]
    return used


def path_richness(blocks):
    """Topology richness ``||Gamma||``: the norm of the weights of every path
    from an input to an output through hidden nodes.

    SPARCS defines, for one hidden layer, ``Gamma_ijk = W_32[i, j] W_21[j, k]``,
    the weight of the path input ``k`` -> hidden ``j`` -> output ``i``, and
    ``||Gamma||`` its Frobenius norm (the authors' ``make_graphs.py``). For any
    depth, with the long-range blocks, a path is a chain of nonzero-weight
    edges from an input node to an output node whose inner nodes are hidden
    (at least one), and its weight the product of the edge weights::

        ||Gamma||^2 = sum over such paths of (product of their weights)^2.

    With ``S_ij`` the block ``W_ij`` squared entrywise and ``M_j`` the sum of
    the squared path weights from every input to every node of hidden layer
    ``j`` (``M_1 = I``, ``M_j = sum_{l<j} S_jl M_l``), ``||Gamma||^2`` is the
    sum of the entries of ``sum_{hidden l} S_{B+1,l} M_l``: a dynamic
    programme over the layers instead of an enumeration of the paths. The
    direct input-to-output block is no path through a hidden node and does
    not count, so a perceptron has ``||Gamma|| = 0``. Computed from the
    weights, it is invariant to the gauge ``phi -> c phi, lambda -> lambda / c``.

    Parameters
    ----------
    blocks : list of list
        The nested ``(B+1) x (B+1)`` list of
        :meth:`GlobalSpectralNetwork.blocks`: entry ``[i][j]`` (``i > j``) is
        the block from layer ``j`` to layer ``i``.

    Returns
    -------
    float

    Examples
    --------
    >>> import torch
    >>> W21 = torch.tensor([[1.0, 2.0], [0.0, 3.0]])  # 2 inputs -> 2 hidden
    >>> W32 = torch.tensor([[4.0, 5.0]])  # 2 hidden -> 1 output
    >>> W31 = torch.tensor([[7.0, 7.0]])  # the direct block does not count
    >>> blocks = [[None] * 3, [W21, None, None], [W31, W32, None]]
    >>> round(path_richness(blocks) ** 2, 9)  # (4*1)^2 + (4*2)^2 + (5*3)^2
    305.0
    """
    n_layers = len(blocks)
    squared = [[None if b is None else b.square() for b in row] for row in blocks]
    n_inputs = blocks[1][0].shape[1]
    reach = [torch.eye(n_inputs, dtype=blocks[1][0].dtype)]  # M_j, inputs first
    total = 0.0
    for j in range(1, n_layers - 1):
        reach.append(sum(squared[j][k] @ reach[k] for k in range(j)))
        total += float((squared[-1][j] @ reach[j]).sum())
    return math.sqrt(total)
