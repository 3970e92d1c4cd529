"""Node relevance and structured pruning of hidden nodes (Buffoni, Civitelli,
Giambagli, Chicchi, Fanelli, "Spectral pruning of fully connected layered
neural networks", Sci. Rep. 12, 11201, 2022).

Three steps, each usable on its own:

1. :func:`node_scores`: one relevance score per hidden node (higher = more
   relevant) by a criterion of :data:`CRITERIA`;
2. :func:`select_nodes`: the nodes to keep, per layer or with one global
   ranking, never leaving a layer below ``min_width`` nodes;
3. :func:`prune`: a new, physically smaller module holding the kept nodes.

Supported modules: every network with the hidden-node interface
:class:`~sklearn_spectral.nn.hidden_nodes.HiddenNodes` (the package's
:class:`~sklearn_spectral.nn.spectral_layer.SpectralMLP`,
:class:`~sklearn_spectral.nn.growing.GrowingMLP`, a dense MLP, and
:class:`~sklearn_spectral.nn.global_spectral.GlobalSpectralNetwork`). Hidden
layer ``k`` (0-based over the hidden layers) is the output of ``layers[k]`` of
an MLP and layer ``k + 1`` of ``GlobalSpectralNetwork.layer_sizes`` (its
eigenvalues are ``eigenvalues[k + 1]``, its incoming eigenvector block
``phis[k]``, its outgoing one ``phis[k + 1]``).

**Bias folding.** A removed node whose activation is a constant ``c`` is not
needed: its contribution ``W[:, i] c`` to the later layers can be added to
their biases. :func:`prune` does this with ``c = sigma(b_i)``, the activation
the node has when its incoming weights are zero, so pruning is *exact* for
such nodes and for nodes whose outgoing weights are zero (the fold then adds
zero). For other nodes it replaces the node by its activation at zero input
(an approximation). Layers are processed from the input side, so a removed
node fed only by removed nodes (and kept nodes through zero weights) is
constant too and is folded exactly. The exactness conditions differ between
the layer-wise and the global parametrization; see :func:`prune`.
"""

import copy

import torch

from .global_spectral import GlobalSpectralNetwork
from .hidden_nodes import HiddenNodes

__all__ = [
    "CRITERIA",
    "count_parameters",
    "node_scores",
    "prune",
    "remove_layers",
    "select_nodes",
]

#: Node relevance criteria of :func:`node_scores`.
CRITERIA = ("eigenvalue", "rescaled", "connectivity", "random")

_SCOPES = ("layer", "global")


def _check_module(module):
    if not isinstance(module, HiddenNodes):
        raise TypeError(
            "module must be a network with hidden nodes (SpectralMLP, GrowingMLP, "
            f"GlobalSpectralNetwork or another HiddenNodes), got "
            f"{type(module).__name__}"
        )


def count_parameters(module):
    """Number of scalars in all parameters of ``module``, trainable or not.

    Parameters
    ----------
    module : torch.nn.Module

    Returns
    -------
    int

    Examples
    --------
    >>> import torch
    >>> from sklearn_spectral.nn import SpectralMLP
    >>> net = SpectralMLP([4, 8, 3], generator=torch.Generator().manual_seed(0))
    >>> count_parameters(net)  # (32 + 4 + 8 + 8) + (24 + 8 + 3 + 3)
    90
    """
    return sum(p.numel() for p in module.parameters())


def node_scores(module, criterion, *, generator=None):
    """Relevance score of every hidden node (higher = more relevant).

    Parameters
    ----------
    module : HiddenNodes
        E.g. a SpectralMLP, GrowingMLP or GlobalSpectralNetwork.
    criterion : {"eigenvalue", "rescaled", "connectivity", "random"}
        For hidden node ``i`` with incoming weight row ``W[i, :]``:

        - ``"eigenvalue"``: ``|lambda_i|``, the node's eigenvalue (the paper's
          criterion, ``module.node_eigenvalues()``): ``layers[k].lambda_out``
          of a ``SpectralMLP``, ``eigenvalues[k + 1]`` of a
          ``GlobalSpectralNetwork``. Only
          meaningful when ``lambda_in`` is frozen at 0, and not invariant to
          the gauge ``phi -> c phi, lambda -> lambda / c``. A dense
          ``GrowingMLP`` has no eigenvalues: ValueError.
        - ``"rescaled"``: ``||W[i, :]||_2``, equal to
          ``|lambda_out[i]| ||phi[i, :]||`` when ``lambda_in = 0``
          (gauge-invariant; the authors' later code).
        - ``"connectivity"``: ``sum_j |W[i, j]|`` (the dense baseline).
        - ``"random"``: uniform in ``[0, 1)``, drawn from ``generator``.

        ``W`` is ``module.incoming_weights()[k]``: ``layers[k].weight()``
        (``SpectralMLP``), ``layers[k].weight`` (``GrowingMLP``) or, for a
        ``GlobalSpectralNetwork``, the adjacent incoming block
        ``W_{k+1,k} = phi diag(lambda_prev) - diag(lambda_node) phi`` with
        ``phi = phis[k]``. Every long-range block into the node,
        ``W_{k+1,j} = +-W_{k+1,k} phi_{k-1} ... phi_j``, has this block as its
        left factor, so a zero row silences the node in every incoming block.
    generator : torch.Generator, optional
        Source of the ``"random"`` scores (the global RNG is used only when
        it is None). Ignored by the other criteria.

    Returns
    -------
    list of torch.Tensor
        One float64 CPU vector per hidden layer, of that layer's width.

    Examples
    --------
    >>> import torch
    >>> from sklearn_spectral.nn import SpectralMLP
    >>> net = SpectralMLP([3, 4, 2], generator=torch.Generator().manual_seed(0))
    >>> with torch.no_grad():
    ...     _ = net.layers[0].lambda_out.copy_(torch.tensor([1.0, -3.0, 0.5, 2.0]))
    >>> node_scores(net, "eigenvalue")
    [tensor([1.0000, 3.0000, 0.5000, 2.0000], dtype=torch.float64)]
    >>> [s.shape for s in node_scores(net, "rescaled")]
    [torch.Size([4])]
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    _check_module(module)
    if criterion == "random":
        device = generator.device if generator is not None else "cpu"
        return [
            torch.rand(n, generator=generator, dtype=torch.float64, device=device).cpu()
            for n in module.hidden_sizes
        ]
    with torch.no_grad():
        if criterion == "eigenvalue":
            lams = module.node_eigenvalues()
            if lams is None:
                raise ValueError(
                    "criterion 'eigenvalue' needs a spectral network; a "
                    f"{type(module).__name__} has no eigenvalues (use 'rescaled' "
                    "or 'connectivity')"
                )
            return [lam.detach().to("cpu", torch.float64).abs() for lam in lams]
        weights = [
            w.detach().to("cpu", torch.float64) for w in module.incoming_weights()
        ]
        if criterion == "rescaled":
            return [w.norm(dim=1) for w in weights]
        return [w.abs().sum(dim=1) for w in weights]


def _ascending(scores, generator):
    """Indices sorting ``scores`` ascending; ties by position or at random."""
    if generator is None:
        return torch.sort(scores, stable=True).indices
    perm = torch.randperm(scores.numel(), generator=generator, device=generator.device)
    perm = perm.cpu()
    return perm[torch.sort(scores[perm], stable=True).indices]


def _complement_sorted(width, removed):
    mask = torch.ones(width, dtype=torch.bool)
    mask[removed] = False
    return torch.nonzero(mask).reshape(-1)


def select_nodes(scores, fraction, *, scope="layer", min_width=1, generator=None):
    """Hidden nodes to keep after removing a fraction of the lowest scores.

    Parameters
    ----------
    scores : list of torch.Tensor
        One score vector per hidden layer, e.g. from :func:`node_scores`.
    fraction : float in [0, 1]
        Fraction of the hidden nodes to remove. The counts are rounded with
        Python's :func:`round` (half to even).
    scope : {"layer", "global"}, default="layer"
        ``"layer"``: remove the ``round(fraction * width)`` lowest-scored nodes
        of every layer. ``"global"``: rank all hidden nodes together by their
        raw scores and remove the ``round(fraction * total)`` lowest; a layer
        that reaches ``min_width`` keeps its remaining (best) nodes and the
        removals pass on to the next-lowest nodes of the other layers, so
        exactly ``min(round(fraction * total), total - sum(floors))`` nodes
        go, with ``floor = min(min_width, width)`` per layer. Scores of
        different layers must then be comparable.
    min_width : int, default=1
        No layer is left with fewer than ``min_width`` nodes (a layer
        narrower than that is kept whole): its best nodes are kept instead.
    generator : torch.Generator, optional
        If given, ties between equal scores are broken by a random
        permutation drawn from it (reproducible with a seeded generator).
        By default ties are broken by position (stable sort: the earlier
        layer, then the lower index, is removed first).

    Returns
    -------
    list of torch.LongTensor
        Sorted indices of the kept nodes of every hidden layer (CPU).

    Examples
    --------
    >>> import torch
    >>> scores = [torch.tensor([0.3, 0.1, 0.2, 0.9]), torch.tensor([5.0, 4.0])]
    >>> select_nodes(scores, 0.5)
    [tensor([0, 3]), tensor([0])]
    >>> select_nodes(scores, 0.5, scope="global")
    [tensor([3]), tensor([0, 1])]
    """
    fraction = float(fraction)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be in [0, 1], got {fraction}")
    if scope not in _SCOPES:
        raise ValueError(f"scope must be one of {_SCOPES}, got {scope!r}")
    if isinstance(min_width, bool) or int(min_width) != min_width or min_width < 1:
        raise ValueError(f"min_width must be an integer >= 1, got {min_width!r}")
    min_width = int(min_width)
    scores = [
        torch.as_tensor(s).detach().to("cpu", torch.float64).reshape(-1) for s in scores
    ]
    if any(bool(torch.isnan(s).any()) for s in scores):
        raise ValueError("scores must not contain NaN")
    widths = [s.numel() for s in scores]
    removable = [n - min(min_width, n) for n in widths]
    if scope == "layer":
        keep = []
        for s, n, n_max in zip(scores, widths, removable, strict=True):
            n_remove = min(round(fraction * n), n_max)
            removed = _ascending(s, generator)[:n_remove]
            keep.append(_complement_sorted(n, removed))
        return keep
    if not scores:
        return []
    order = _ascending(torch.cat(scores), generator)
    layer_of = torch.cat(
        [torch.full((n,), k, dtype=torch.long) for k, n in enumerate(widths)]
    )[order]
    # Rank of each node within its own layer, in the global ascending order.
    rank = torch.empty_like(order)
    for k, n in enumerate(widths):
        rank[layer_of == k] = torch.arange(n)
    allowed = rank < torch.tensor(removable, dtype=torch.long)[layer_of]
    n_remove = round(fraction * sum(widths))
    removed = order[allowed][:n_remove]
    removed_layer = layer_of[allowed][:n_remove]
    offsets = [0]
    for n in widths:
        offsets.append(offsets[-1] + n)
    return [
        _complement_sorted(n, removed[removed_layer == k] - offsets[k])
        for k, n in enumerate(widths)
    ]


def _check_keep(keep, widths):
    keep = list(keep)
    if len(keep) != len(widths):
        raise ValueError(
            f"keep must hold one index vector per hidden layer ({len(widths)}), "
            f"got {len(keep)}"
        )
    checked = []
    for k, (kept, n) in enumerate(zip(keep, widths, strict=True)):
        kept = torch.as_tensor(kept).detach().cpu()
        if kept.dtype == torch.bool or kept.is_floating_point() or kept.ndim > 1:
            raise ValueError(
                f"keep[{k}] must be a 1-D vector of integer indices, got "
                f"dtype {kept.dtype} and shape {tuple(kept.shape)}"
            )
        kept = kept.to(torch.long).reshape(-1)
        if kept.numel() and (int(kept.min()) < 0 or int(kept.max()) >= n):
            raise ValueError(f"keep[{k}] has indices outside [0, {n}): {kept.tolist()}")
        unique = torch.unique(kept, sorted=True)
        if unique.numel() != kept.numel():
            raise ValueError(f"keep[{k}] has repeated indices: {kept.tolist()}")
        if n > 0 and unique.numel() == 0:
            raise ValueError(
                f"keep[{k}] is empty: a hidden layer must keep at least 1 node"
            )
        checked.append(unique)
    return checked


def prune(module, keep, *, fold_biases=True):
    """New, smaller module holding only the kept hidden nodes.

    The input module is not modified: the result is a deep copy of the same
    class, dtype and device with the removed hidden nodes physically cut
    out. Every parameter keeps its ``requires_grad`` flag (e.g. a
    ``SpectralMLP`` trained with frozen ``phi``), stored sizes are updated and
    the parameters are new :class:`~torch.nn.Parameter` objects (build the
    optimizer after pruning).

    Parameters
    ----------
    module : HiddenNodes
        E.g. a SpectralMLP, GrowingMLP or GlobalSpectralNetwork.
    keep : list of index vectors
        Indices of the kept nodes of every hidden layer, e.g. from
        :func:`select_nodes`. A nonempty layer must keep at least one node.
    fold_biases : bool, default=True
        Add the removed nodes' constant part to the biases of the later
        layers (see Notes). False drops the removed nodes and their biases.

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ValueError
        If ``keep`` does not have one vector per hidden layer, has indices
        out of range or repeated, or empties a layer.
    TypeError
        If ``module`` does not implement ``HiddenNodes``.

    Notes
    -----
    **SpectralMLP, GrowingMLP.** Hidden layer ``k`` loses rows of
    ``layers[k]`` (``phi``, ``lambda_out``, ``bias``; resp. ``weight``,
    ``bias``) and columns of ``layers[k + 1]`` (``phi``, ``lambda_in``;
    resp. ``weight``). Before the cut,

        b_{k+1} += W_{k+1}[:, removed] @ sigma(b_k[removed]),

    with ``W_{k+1}`` the materialized next weight and ``b_k`` already holding
    the folds of layer ``k - 1``. Pruning is exact when every removed node
    has zero incoming weights from the kept nodes of the previous layer (for
    a ``SpectralMLP`` with ``lambda_in = 0``: ``lambda_out[i] = 0`` or
    ``phi[i, :] = 0``), its activation then being the constant
    ``sigma(b_i)``, or zero outgoing weights (the fold adds zero).

    **GlobalSpectralNetwork.** Node ``i`` of hidden layer ``l = k + 1`` loses
    row ``i`` of ``phis[k]``, column ``i`` of ``phis[k + 1]``, its eigenvalue
    and its bias, and ``layer_sizes`` shrinks. Cutting the node out of
    ``Phi`` removes it from every long-range block and removes every path
    through it: the pruned network is exactly the original one with the
    node's ``phi`` row and column set to zero (then ``A`` has no edge to or
    from the node whatever its eigenvalue and bias), without the fold. The
    fold adds the node's direct contributions to *every* later layer,

        b_j += W_{j,l}[:, removed] @ sigma(b_l[removed])    for all j > l,

    with the long-range blocks ``W_{j,l}`` of SPARCS eq. 3 (computed by
    matrix-vector products). Pruning is exact when each removed node has

    - ``phis[k + 1][:, i] = 0`` (zero outgoing ``phi``), for any eigenvalues:
      every block out of the node and every path through it has this column
      as a factor, and in the carry recurrence ``z_l[i]`` only enters
      through it; the fold adds zero; or
    - ``phis[k][i, kept] = 0`` (zero incoming ``phi`` row over the nodes
      still kept in layer ``l - 1``): the node's pre-activation is then the
      constant ``b_l[i]`` and no path runs through it, so the fold restores
      its whole contribution.

    Zero incoming *weights* are not enough here, unlike in the layer-wise
    case: with ``lambda_l[i] = lambda_{l-1}`` (e.g. all 0, as at the
    perceptron start) the row ``W_{l,l-1}[i, :]`` vanishes but the node still
    relays the long-range paths ``phi_{l} ... [:, i] phi_{l-1}[i, :] ...``,
    which no bias can replace. Layers are processed from the input side,
    each on the network already pruned before it.

    Examples
    --------
    >>> import torch
    >>> from sklearn_spectral.nn import SpectralMLP
    >>> net = SpectralMLP([3, 4, 2], generator=torch.Generator().manual_seed(0))
    >>> with torch.no_grad():
    ...     net.layers[0].lambda_out[1] = 0.0  # node 1 has no incoming weights
    >>> small = prune(net, [torch.tensor([0, 2, 3])])
    >>> small.layers[0].phi.shape, small.layers[1].phi.shape
    (torch.Size([3, 3]), torch.Size([2, 3]))
    >>> x = torch.randn(5, 3, generator=torch.Generator().manual_seed(1))
    >>> torch.allclose(small(x), net(x), atol=1e-6)
    True
    """
    _check_module(module)
    keep = _check_keep(keep, module.hidden_sizes)
    pruned = copy.deepcopy(module)
    pruned.remove_nodes_(keep, fold_biases=bool(fold_biases))
    return pruned


def remove_layers(module, layers):
    """New network without the hidden layers ``layers``.

    Only a network whose long-range blocks let the other layers bypass a
    hidden layer can lose one: a
    :class:`~sklearn_spectral.nn.global_spectral.GlobalSpectralNetwork`. Each
    layer goes by :meth:`~GlobalSpectralNetwork.remove_layer_`, from the
    last to the first (so the indices stay those of ``module``): exactly,
    without changing the function, for the layers of
    :meth:`~GlobalSpectralNetwork.constant_layers`, approximately for the
    others. The input module is not modified.

    Parameters
    ----------
    module : GlobalSpectralNetwork
    layers : iterable of int
        0-based indices over ``module.hidden_sizes``, distinct.

    Returns
    -------
    GlobalSpectralNetwork

    Raises
    ------
    TypeError
        If ``module`` is a layer-wise network (no path around a layer).
    ValueError
        If an index is out of range or repeated.

    Examples
    --------
    >>> import torch
    >>> from sklearn_spectral.nn import GlobalSpectralNetwork
    >>> gen = torch.Generator().manual_seed(0)
    >>> net = GlobalSpectralNetwork([3, 4, 5, 2], generator=gen)
    >>> with torch.no_grad():
    ...     _ = net.eigenvalues[2].uniform_(-1, 1)  # the second hidden layer computes
    >>> net.constant_layers()  # the first hidden layer's block is zero
    [0]
    >>> small = remove_layers(net, [0])
    >>> small.layer_sizes
    (3, 5, 2)
    >>> x = torch.randn(6, 3)
    >>> torch.allclose(small(x), net(x), atol=1e-6)
    True
    """
    if not isinstance(module, GlobalSpectralNetwork):
        raise TypeError(
            "only a GlobalSpectralNetwork (the SpectralNAS estimators' network) "
            "can lose a whole hidden layer: in a layer-wise network no path "
            f"bypasses it; got {type(module).__name__}"
        )
    layers = [int(k) for k in layers]
    n_hidden = len(module.hidden_sizes)
    if len(set(layers)) != len(layers) or not all(0 <= k < n_hidden for k in layers):
        raise ValueError(
            f"layers must be distinct indices of the {n_hidden} hidden layers, "
            f"got {layers}"
        )
    trimmed = copy.deepcopy(module)
    for k in sorted(layers, reverse=True):
        trimmed.remove_layer_(k)
    return trimmed
