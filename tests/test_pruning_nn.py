import copy

import pytest
import torch

from sklearn_spectral.nn.global_spectral import GlobalSpectralNetwork, dense_forward
from sklearn_spectral.nn.growing import GrowingMLP
from sklearn_spectral.nn.pruning import (
    CRITERIA,
    count_parameters,
    node_scores,
    prune,
    remove_layers,
    select_nodes,
)
from sklearn_spectral.nn.spectral_layer import SpectralMLP

F64 = torch.float64
MLP_SIZES = (5, 7, 6, 3)
GLOBAL_SIZES = [(4, 5, 2), (3, 6, 4, 2), (5, 4, 7, 3, 6, 2)]


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _x(n_features, seed=1, n=9):
    return torch.randn(n, n_features, generator=_gen(seed), dtype=F64)


def _spectral(sizes=MLP_SIZES, activation="tanh", seed=0, **kwargs):
    net = SpectralMLP(sizes, activation=activation, generator=_gen(seed), **kwargs)
    net.double()
    with torch.no_grad():
        for layer in net.layers:
            layer.lambda_out.copy_(
                torch.randn(layer.lambda_out.shape, generator=_gen(seed + 7), dtype=F64)
            )
    return net


def _dense(sizes=MLP_SIZES, activation="tanh", seed=0):
    return GrowingMLP(sizes, activation=activation, generator=_gen(seed)).double()


def _global(sizes, activation="tanh", seed=0):
    """Float64 network with nonzero eigenvalues everywhere and random biases."""
    net = GlobalSpectralNetwork(sizes, activation=activation, generator=_gen(seed))
    net.double()
    g = _gen(seed + 1000)
    with torch.no_grad():
        for lam in net.eigenvalues:
            lam.copy_(torch.randn(lam.shape, generator=g, dtype=F64))
        for b in net.biases:
            b.copy_(0.5 * torch.randn(b.shape, generator=g, dtype=F64))
    return net


def _all(widths):
    return [torch.arange(n) for n in widths]


def _without(width, removed):
    return torch.tensor([i for i in range(width) if i not in set(removed)])


# ---------------------------------------------------------------- fraction 0


@pytest.mark.parametrize(
    "make",
    [
        _spectral,
        _dense,
        lambda: _global(GLOBAL_SIZES[1]),
        lambda: _global(GLOBAL_SIZES[2], activation="logistic"),
    ],
)
def test_fraction_zero_keeps_everything(make):
    net = make()
    n_in = net.layer_sizes[0] if hasattr(net, "layer_sizes") else MLP_SIZES[0]
    x = _x(n_in)
    for criterion in ("rescaled", "connectivity", "random"):
        for scope in ("layer", "global"):
            keep = select_nodes(node_scores(net, criterion), 0.0, scope=scope)
            assert [k.tolist() for k in keep] == [
                list(range(len(s))) for s in node_scores(net, "random")
            ]
            small = prune(net, keep)
            assert type(small) is type(net)
            assert count_parameters(small) == count_parameters(net)
            torch.testing.assert_close(small(x), net(x), rtol=0, atol=0)


# ------------------------------------------------------- planted dead nodes


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
@pytest.mark.parametrize("fold", [True, False])
def test_zero_outgoing_node_is_pruned_exactly_mlp(activation, fold):
    x = _x(MLP_SIZES[0])
    spectral = _spectral(activation=activation)
    dense = _dense(activation=activation)
    removed = {0: [2], 1: [0, 4]}
    with torch.no_grad():
        for k, nodes in removed.items():
            spectral.layers[k + 1].phi[:, nodes] = 0.0
            dense.layers[k + 1].weight[:, nodes] = 0.0
    for net in (spectral, dense):
        keep = [_without(w, removed[k]) for k, w in enumerate(MLP_SIZES[1:-1])]
        small = prune(net, keep, fold_biases=fold)
        torch.testing.assert_close(small(x), net(x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("sizes", GLOBAL_SIZES)
@pytest.mark.parametrize("fold", [True, False])
def test_zero_outgoing_phi_is_pruned_exactly_global(sizes, fold):
    """phi_l[:, i] = 0 suffices for any eigenvalues (the carry included)."""
    net = _global(sizes, activation="logistic")  # sigma(b) != 0
    x = _x(sizes[0])
    widths = sizes[1:-1]
    removed = [[k % w, (k + 2) % w] if w > 2 else [0] for k, w in enumerate(widths)]
    with torch.no_grad():
        for k, nodes in enumerate(removed):
            net.phis[k + 1][:, nodes] = 0.0
    assert all(float(lam.detach().abs().min()) > 0 for lam in net.eigenvalues)
    keep = [_without(w, r) for w, r in zip(widths, removed, strict=True)]
    small = prune(net, keep, fold_biases=fold)
    torch.testing.assert_close(small(x), net(x), rtol=0, atol=1e-12)
    torch.testing.assert_close(
        dense_forward(small, x), dense_forward(net, x), rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu", "elu"])
def test_zero_incoming_node_is_folded_exactly_spectral(activation):
    net = _spectral(activation=activation)
    x = _x(MLP_SIZES[0])
    with torch.no_grad():
        net.layers[0].lambda_out[[1, 5]] = 0.0  # lambda_in = 0: rows of W vanish
        net.layers[1].lambda_out[3] = 0.0
        net.layers[0].bias[[1, 5]] = torch.tensor([0.7, -0.4], dtype=F64)
        net.layers[1].bias[3] = 0.9
    assert float(net.layers[0].weight().detach()[[1, 5]].abs().max()) == 0.0
    keep = [_without(7, [1, 5]), _without(6, [3])]
    small = prune(net, keep)
    torch.testing.assert_close(small(x), net(x), rtol=0, atol=1e-12)
    unfolded = prune(net, keep, fold_biases=False)
    assert (unfolded(x) - net(x)).abs().max() > 1e-3


def test_zero_incoming_node_is_folded_exactly_dense():
    net = _dense(activation="logistic")
    x = _x(MLP_SIZES[0])
    with torch.no_grad():
        net.layers[0].weight[2] = 0.0
        net.layers[1].weight[[0, 5]] = 0.0
    keep = [_without(7, [2]), _without(6, [0, 5])]
    small = prune(net, keep)
    torch.testing.assert_close(small(x), net(x), rtol=0, atol=1e-12)


def test_fold_chains_through_removed_nodes_mlp():
    """A removed node fed only by removed nodes is constant: folded exactly."""
    net = _spectral(activation="elu")
    x = _x(MLP_SIZES[0])
    with torch.no_grad():
        net.layers[0].lambda_out[4] = 0.0  # node 4 of layer 0: constant
        net.layers[1].phi[2] = 0.0
        net.layers[1].phi[2, 4] = 1.3  # node 2 of layer 1 reads only node 4
    assert float(net.layers[1].weight()[2].abs().sum()) > 0
    small = prune(net, [_without(7, [4]), _without(6, [2])])
    torch.testing.assert_close(small(x), net(x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("sizes", GLOBAL_SIZES)
def test_zero_incoming_phi_is_folded_exactly_global(sizes):
    """phi_{l-1}[i, :] = 0: constant node, no path through it; fold is exact."""
    net = _global(sizes, activation="logistic")
    x = _x(sizes[0])
    widths = sizes[1:-1]
    with torch.no_grad():
        for k in range(len(widths)):
            net.phis[k][0] = 0.0
    keep = [_without(w, [0]) for w in widths]
    small = prune(net, keep)
    torch.testing.assert_close(small(x), net(x), rtol=0, atol=1e-12)
    dropped = prune(net, keep, fold_biases=False)
    assert (dropped(x) - net(x)).abs().max() > 1e-3


def test_fold_chains_through_removed_nodes_global():
    sizes = (3, 5, 4, 3, 2)
    net = _global(sizes, activation="tanh")
    x = _x(sizes[0])
    with torch.no_grad():
        net.phis[0][1] = 0.0  # node 1 of layer 1: constant, relays nothing
        net.phis[1][2] = 0.0
        net.phis[1][2, 1] = 0.8  # node 2 of layer 2 reads only that node
    small = prune(net, [_without(5, [1]), _without(4, [2]), torch.arange(3)])
    torch.testing.assert_close(small(x), net(x), rtol=0, atol=1e-12)


def test_zero_incoming_weights_are_not_enough_global():
    """lambda_node = lambda_prev kills the incoming blocks, not the relayed paths."""
    sizes = (3, 4, 2)
    net = _global(sizes, activation="tanh")
    x = _x(sizes[0])
    with torch.no_grad():
        net.eigenvalues[0].fill_(0.6)
        net.eigenvalues[1][2] = 0.6
    assert float(net.blocks()[1][0][2].abs().max()) < 1e-15  # no incoming edge
    small = prune(net, [_without(4, [2])])
    assert (small(x) - net(x)).abs().max() > 1e-3
    # ... whereas the pruned net is exactly the one without the paths through it.
    masked = copy.deepcopy(net)
    with torch.no_grad():
        masked.phis[0][2] = 0.0
        masked.phis[1][:, 2] = 0.0
        masked.biases[0][2] = 0.0  # tanh(0) = 0: the fold adds nothing
    small = prune(masked, [_without(4, [2])])
    torch.testing.assert_close(small(x), dense_forward(masked, x), atol=1e-12, rtol=0)


# ------------------------------------------------------- global: masking


def _masked(net, removed):
    """Copy with the removed nodes cut out of Phi (row and column zeroed)."""
    masked = copy.deepcopy(net)
    with torch.no_grad():
        for k, nodes in enumerate(removed):
            masked.phis[k][nodes] = 0.0
            masked.phis[k + 1][:, nodes] = 0.0
            masked.eigenvalues[k + 1][nodes] = 0.0
            masked.biases[k][nodes] = 0.0
    return masked


@pytest.mark.parametrize("sizes", GLOBAL_SIZES)
@pytest.mark.parametrize("activation", ["tanh", "logistic"])
def test_global_prune_equals_masked_dense_forward(sizes, activation):
    net = _global(sizes, activation=activation, seed=3)
    x = _x(sizes[0])
    widths = sizes[1:-1]
    removed = [[1] if w < 5 else [0, 3] for w in widths]
    keep = [_without(w, r) for w, r in zip(widths, removed, strict=True)]
    masked = _masked(net, removed)
    small = prune(net, keep, fold_biases=False)
    assert small.layer_sizes == (sizes[0], *[len(k) for k in keep], sizes[-1])
    reference = dense_forward(masked, x)
    torch.testing.assert_close(small(x), reference, rtol=0, atol=1e-10)
    torch.testing.assert_close(dense_forward(small, x), reference, rtol=0, atol=1e-10)
    # The node's eigenvalue and bias do not matter once it is cut out of Phi.
    free = copy.deepcopy(masked)
    with torch.no_grad():
        for k, nodes in enumerate(removed):
            free.eigenvalues[k + 1][nodes] = 2.5
            free.biases[k][nodes] = 1.5
    torch.testing.assert_close(dense_forward(free, x), reference, rtol=0, atol=1e-12)
    # Long-range blocks: the masked ones with the removed rows/columns deleted.
    rows = [torch.arange(sizes[0]), *keep, torch.arange(sizes[-1])]
    pruned_blocks, masked_blocks = small.blocks(), masked.blocks()
    for i in range(len(sizes)):
        for j in range(i):
            expected = masked_blocks[i][j][rows[i]][:, rows[j]]
            torch.testing.assert_close(
                pruned_blocks[i][j], expected, rtol=0, atol=1e-12
            )


@pytest.mark.parametrize("sizes", GLOBAL_SIZES)
def test_global_fold_adds_the_long_range_contributions(sizes):
    """Fold of one layer = W_{j,l}[:, removed] sigma(b) for every later j (eq. 3)."""
    net = _global(sizes, activation="logistic", seed=5)
    widths = list(sizes[1:-1])
    layer = 1 if len(widths) > 1 else 0  # hidden index of the pruned layer
    removed = [0, 2]
    keep = _all(widths)
    keep[layer] = _without(widths[layer], removed)
    folded = prune(net, keep)
    dropped = prune(net, keep, fold_biases=False)
    blocks = net.blocks()
    constant = torch.sigmoid(net.biases[layer].detach()[removed])
    src = layer + 1
    for j in range(src + 1, len(sizes)):
        shift = blocks[j][src][:, removed] @ constant
        torch.testing.assert_close(
            folded.biases[j - 1] - dropped.biases[j - 1], shift, rtol=0, atol=1e-12
        )
    for j in range(1, src + 1):
        assert torch.equal(folded.biases[j - 1], dropped.biases[j - 1])


# ------------------------------------------------- shapes and parameters


def _mlp_count(sizes, spectral):
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    if spectral:  # phi, lambda_in, lambda_out, bias
        return sum(o * i + i + 2 * o for i, o in pairs)
    return sum(o * i + o for i, o in pairs)


def _global_count(sizes):
    pairs = zip(sizes[:-1], sizes[1:], strict=True)
    return sum(o * i for i, o in pairs) + sum(sizes) + sum(sizes[1:])


@pytest.mark.parametrize("spectral", [True, False])
def test_mlp_shapes_and_count(spectral):
    net = _spectral(train_phi=False) if spectral else _dense()
    before = copy.deepcopy(net.state_dict())
    assert count_parameters(net) == _mlp_count(MLP_SIZES, spectral)
    keep = [torch.tensor([0, 3, 6]), torch.tensor([1, 2, 4, 5])]
    small = prune(net, keep)
    sizes = (5, 3, 4, 3)
    assert type(small) is type(net)
    assert count_parameters(small) == _mlp_count(sizes, spectral)
    assert count_parameters(small) < count_parameters(net)
    pairs = zip(sizes[:-1], sizes[1:], strict=True)
    for layer, (n_in, n_out) in zip(small.layers, pairs, strict=True):
        if spectral:
            assert layer.phi.shape == (n_out, n_in)
            assert layer.lambda_in.shape == (n_in,)
            assert layer.lambda_out.shape == (n_out,)
            assert (layer.in_features, layer.out_features) == (n_in, n_out)
            assert not layer.phi.requires_grad  # train_phi=False survives
            assert not layer.lambda_in.requires_grad
            assert layer.lambda_out.requires_grad
        else:
            assert layer.weight.shape == (n_out, n_in)
            assert (layer.in_features, layer.out_features) == (n_in, n_out)
        assert layer.bias.shape == (n_out,) and layer.bias.requires_grad
    for p in small.parameters():
        assert p.dtype == F64
    if not spectral:
        assert small.hidden_sizes == [3, 4]
    # kept entries are the original ones
    if spectral:
        torch.testing.assert_close(
            small.layers[1].phi, net.layers[1].phi[keep[1]][:, keep[0]]
        )
    else:
        torch.testing.assert_close(
            small.layers[1].weight, net.layers[1].weight[keep[1]][:, keep[0]]
        )
    # input untouched; the pruned net trains
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    small(_x(5)).square().sum().backward()
    assert small.layers[0].bias.grad is not None


def test_global_shapes_and_count():
    sizes = (5, 4, 7, 3, 6, 2)
    net = _global(sizes)
    net.eigenvalues[0].requires_grad_(False)
    before = copy.deepcopy(net.state_dict())
    assert count_parameters(net) == _global_count(sizes)
    keep = [torch.tensor([0, 3]), torch.tensor([6]), torch.arange(3), torch.tensor([1])]
    small = prune(net, keep)
    new_sizes = (5, 2, 1, 3, 1, 2)
    assert small.layer_sizes == new_sizes
    assert count_parameters(small) == _global_count(new_sizes) < count_parameters(net)
    for k, phi in enumerate(small.phis):
        assert phi.shape == (new_sizes[k + 1], new_sizes[k])
    assert [lam.shape[0] for lam in small.eigenvalues] == list(new_sizes)
    assert [b.shape[0] for b in small.biases] == list(new_sizes[1:])
    assert not small.eigenvalues[0].requires_grad
    assert all(p.dtype == F64 for p in small.parameters())
    after = net.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert small(_x(5)).shape == (9, 2)


def test_prune_on_cuda(cuda):
    net = _global((4, 6, 5, 2)).to(cuda)
    small = prune(net, select_nodes(node_scores(net, "rescaled"), 0.5))
    assert all(p.device.type == "cuda" for p in small.parameters())
    spectral = _spectral().to(cuda)
    keep = select_nodes(node_scores(spectral, "eigenvalue"), 0.5)
    assert prune(spectral, keep).layers[0].phi.device.type == "cuda"


# ---------------------------------------------------------------- scores


def test_scores_spectral():
    net = _spectral()
    for k, layer in enumerate(net.layers[:-1]):
        w = layer.weight().detach()
        phi, lam = layer.phi.detach(), layer.lambda_out.detach()
        eig, resc, conn = (node_scores(net, c)[k] for c in CRITERIA[:3])
        torch.testing.assert_close(eig, lam.abs())
        torch.testing.assert_close(resc, lam.abs() * phi.norm(dim=1))
        torch.testing.assert_close(conn, w.abs().sum(dim=1))
        assert eig.dtype == resc.dtype == conn.dtype == F64
    assert [s.shape[0] for s in node_scores(net, "random")] == [7, 6]
    # rescaled is gauge invariant, eigenvalue is not
    gauged = copy.deepcopy(net)
    with torch.no_grad():
        gauged.layers[0].phi.mul_(4.0)
        gauged.layers[0].lambda_out.div_(4.0)
    torch.testing.assert_close(
        node_scores(gauged, "rescaled")[0], node_scores(net, "rescaled")[0]
    )
    torch.testing.assert_close(
        node_scores(gauged, "eigenvalue")[0], node_scores(net, "eigenvalue")[0] / 4
    )


def test_scores_dense_and_global():
    dense = _dense()
    for k, layer in enumerate(dense.layers[:-1]):
        w = layer.weight.detach()
        torch.testing.assert_close(node_scores(dense, "rescaled")[k], w.norm(dim=1))
        torch.testing.assert_close(
            node_scores(dense, "connectivity")[k], w.abs().sum(dim=1)
        )
    sizes = (3, 6, 4, 2)
    net = _global(sizes)
    blocks = net.adjacent_blocks()
    for k in range(2):
        torch.testing.assert_close(
            node_scores(net, "eigenvalue")[k], net.eigenvalues[k + 1].detach().abs()
        )
        torch.testing.assert_close(
            node_scores(net, "rescaled")[k], blocks[k].detach().norm(dim=1)
        )
        torch.testing.assert_close(
            node_scores(net, "connectivity")[k], blocks[k].detach().abs().sum(dim=1)
        )
    # A zero score row silences the node in every long-range incoming block too.
    with torch.no_grad():
        net.phis[1][3] = 0.0
    assert float(node_scores(net, "rescaled")[1][3]) == 0.0
    assert float(net.blocks()[2][0][3].abs().max()) == 0.0


def test_invalid_criteria():
    with pytest.raises(ValueError, match="eigenvalue"):
        node_scores(_dense(), "eigenvalue")
    with pytest.raises(ValueError, match="criterion"):
        node_scores(_spectral(), "magnitude")
    with pytest.raises(TypeError):
        node_scores(torch.nn.Linear(2, 2), "rescaled")


def test_random_is_reproducible_and_leaves_global_rng():
    net = _global((3, 8, 9, 2))
    state = torch.get_rng_state()
    a = node_scores(net, "random", generator=_gen(11))
    b = node_scores(net, "random", generator=_gen(11))
    c = node_scores(net, "random", generator=_gen(12))
    keep_a = select_nodes(a, 0.5, generator=_gen(1))
    keep_b = select_nodes(b, 0.5, generator=_gen(1))
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(a, c, strict=True))
    assert all(torch.equal(x, y) for x, y in zip(keep_a, keep_b, strict=True))
    keep_c = select_nodes(c, 0.5)
    assert any(not torch.equal(x, y) for x, y in zip(keep_a, keep_c, strict=True))


# ---------------------------------------------------------------- selection


def test_layer_scope_counts():
    g = _gen(4)
    scores = [torch.rand(n, generator=g, dtype=F64) for n in (10, 7, 4, 1)]
    for fraction in (0.0, 0.1, 0.3, 0.5, 0.8, 1.0):
        keep = select_nodes(scores, fraction)
        for s, kept in zip(scores, keep, strict=True):
            n = s.numel()
            n_removed = min(round(fraction * n), n - 1)
            assert kept.numel() == n - n_removed
            assert kept.dtype == torch.long
            assert torch.equal(kept, kept.sort().values)
            if n_removed:  # the removed ones are the lowest
                dropped = _without(n, kept.tolist())
                assert s[dropped].max() <= s[kept].min()


def test_global_scope_takes_the_lowest_layer_first():
    low = torch.linspace(0.0, 1.0, 6, dtype=F64)
    high = 10.0 + torch.linspace(0.0, 1.0, 5, dtype=F64)
    keep = select_nodes([high, low], 4 / 11, scope="global")
    assert keep[0].tolist() == list(range(5))
    assert keep[1].tolist() == [4, 5]
    # Layer "low" hits its floor (2): the rest comes from the next-lowest nodes.
    keep = select_nodes([high, low], 7 / 11, scope="global", min_width=2)
    assert keep[1].tolist() == [4, 5]
    assert keep[0].tolist() == [3, 4]  # 7 removed in all
    # Layer scope removes from both.
    keep = select_nodes([high, low], 0.5)
    assert [k.numel() for k in keep] == [3, 3]


@pytest.mark.parametrize("min_width", [1, 2, 3, 50])
@pytest.mark.parametrize("scope", ["layer", "global"])
def test_min_width_is_respected(min_width, scope):
    g = _gen(9)
    scores = [torch.rand(n, generator=g, dtype=F64) for n in (10, 2, 6)]
    for fraction in (0.5, 0.9, 1.0):
        keep = select_nodes(scores, fraction, scope=scope, min_width=min_width)
        for s, kept in zip(scores, keep, strict=True):
            assert kept.numel() >= min(min_width, s.numel())
            if fraction == 1.0:  # exactly the floor, the best nodes
                floor = min(min_width, s.numel())
                assert kept.numel() == floor
                assert set(kept.tolist()) == set(s.argsort()[-floor:].tolist())


def test_ties_are_deterministic():
    scores = [torch.zeros(6, dtype=F64), torch.zeros(4, dtype=F64)]
    assert select_nodes(scores, 0.5)[0].tolist() == [3, 4, 5]
    keep = select_nodes(scores, 0.5, scope="global")
    assert [k.tolist() for k in keep] == [[5], [0, 1, 2, 3]]
    assert select_nodes(scores, 0.5, generator=_gen(0))[0].tolist() == (
        select_nodes(scores, 0.5, generator=_gen(0))[0].tolist()
    )


def test_invalid_selection_and_keep():
    scores = [torch.rand(4, generator=_gen(0))]
    for fraction in (-0.1, 1.1, float("nan")):
        with pytest.raises(ValueError, match="fraction"):
            select_nodes(scores, fraction)
    with pytest.raises(ValueError, match="scope"):
        select_nodes(scores, 0.5, scope="network")
    with pytest.raises(ValueError, match="min_width"):
        select_nodes(scores, 0.5, min_width=0)
    net = _spectral()
    for keep in (
        [torch.arange(7)],  # one layer missing
        [torch.arange(7), torch.tensor([0, 6])],  # 6 out of range
        [torch.arange(7), torch.tensor([-1, 2])],
        [torch.arange(7), torch.tensor([], dtype=torch.long)],  # empty layer
        [torch.arange(7), torch.tensor([1, 1])],
        [torch.arange(7), torch.ones(6, dtype=torch.bool)],
    ):
        with pytest.raises(ValueError, match="keep"):
            prune(net, keep)
    with pytest.raises(ValueError, match="keep"):
        prune(_global((3, 4, 2)), [torch.arange(4), torch.arange(2)])


def test_end_to_end_fraction():
    """Pruning 80 % of the hidden nodes of a GrowingMLP by connectivity."""
    net = _dense(sizes=(6, 20, 10, 2))
    keep = select_nodes(node_scores(net, "connectivity"), 0.8, scope="global")
    assert sum(k.numel() for k in keep) == 30 - 24
    small = prune(net, keep)
    assert small.hidden_sizes == [k.numel() for k in keep]
    assert small(_x(6)).shape == (9, 2)


def test_hidden_outputs_match_the_dense_pass_of_the_global_network():
    from sklearn_spectral.nn import ACTIVATIONS

    gen = torch.Generator().manual_seed(7)
    net = GlobalSpectralNetwork([3, 5, 4, 2], activation="tanh", generator=gen).double()
    with torch.no_grad():
        for lam in net.eigenvalues:
            lam.normal_(generator=gen)
        for b in net.biases:
            b.normal_(generator=gen)
    x = torch.randn(6, 3, generator=gen, dtype=torch.float64)
    A, sizes = net.dense_adjacency(), net.layer_sizes
    offsets = [0, 3, 8, 12, 14]
    hs = [x]
    for i in (1, 2):  # the two hidden layers, every earlier layer feeding them
        rows = slice(offsets[i], offsets[i + 1])
        a = net.biases[i - 1] + sum(
            hs[j] @ A[rows, offsets[j] : offsets[j + 1]].T for j in range(i)
        )
        hs.append(ACTIVATIONS["tanh"](a))
    assert sizes[2] == 4
    outputs = net.hidden_outputs(x)
    assert [o.shape for o in outputs] == [(6, 5), (6, 4)]
    for got, expected in zip(outputs, hs[1:], strict=True):
        torch.testing.assert_close(got, expected.detach())


@pytest.mark.parametrize(
    "net", [_spectral(), _dense(), _global((3, 6, 4, 2))], ids=type
)
def test_hidden_node_interface_is_consistent(net):
    """Widths, layer outputs, scores and removal agree for every network."""
    from sklearn_spectral.nn import HiddenNodes

    assert isinstance(net, HiddenNodes)
    x = _x(net.incoming_weights()[0].shape[1])
    outputs = net.hidden_outputs(x)
    assert [o.shape[1] for o in outputs] == net.hidden_sizes
    assert [w.shape[0] for w in net.incoming_weights()] == net.hidden_sizes
    # Removing nothing changes nothing; removing node 0 of every layer cuts
    # exactly one node per layer from every view of the network.
    same = prune(net, _all(net.hidden_sizes))
    torch.testing.assert_close(same(x), net(x))
    smaller = prune(net, [torch.arange(1, n) for n in net.hidden_sizes])
    assert smaller.hidden_sizes == [n - 1 for n in net.hidden_sizes]
    assert [o.shape[1] for o in smaller.hidden_outputs(x)] == smaller.hidden_sizes
    lams = smaller.node_eigenvalues()
    if lams is not None:
        assert [lam.numel() for lam in lams] == smaller.hidden_sizes
    assert net.hidden_sizes == [n + 1 for n in smaller.hidden_sizes]  # a copy


def test_a_module_without_hidden_nodes_is_refused_by_name():
    with pytest.raises(TypeError, match="Linear"):
        prune(torch.nn.Linear(2, 2), [])


# ------------------------------------------------------------ whole layers


@pytest.mark.parametrize("sizes", [(3, 5, 4, 2), (3, 5, 4, 6, 2), (2, 4, 3, 5, 3, 1)])
@pytest.mark.parametrize("activation", ["tanh", "logistic", "relu"])
def test_removing_a_constant_layer_keeps_the_function(sizes, activation):
    n_hidden = len(sizes) - 2
    x = torch.randn(9, sizes[0], generator=_gen(7), dtype=F64)
    for k in range(n_hidden):
        net = _global(sizes, activation, seed=k)
        with torch.no_grad():  # layer k + 1 and the one before it: lambda = 0
            net.eigenvalues[k].zero_()
            net.eigenvalues[k + 1].zero_()
        assert net.constant_layers() == [k]
        small = remove_layers(net, [k])
        assert small.layer_sizes == sizes[: k + 1] + sizes[k + 2 :]
        assert len(small.phis) == len(small.biases) == len(sizes) - 2
        torch.testing.assert_close(small(x), net(x), rtol=0, atol=1e-12)
        dense = dense_forward(small, x)
        torch.testing.assert_close(dense, small(x), rtol=0, atol=1e-12)
        assert net.layer_sizes == sizes  # the input network is not modified


def test_a_layer_with_zero_eigenvalues_after_a_computing_layer_is_not_constant():
    net = _global((3, 5, 4, 2))
    with torch.no_grad():
        net.eigenvalues[2].zero_()  # the second hidden layer's own eigenvalues
    assert net.constant_layers() == []
    x = torch.randn(9, 3, generator=_gen(7), dtype=F64)
    # ... and removing it changes the function: it still computes.
    assert (remove_layers(net, [1])(x) - net(x)).abs().max() > 1e-3


def test_removing_two_layers_in_any_order_of_the_request():
    net = _global((3, 5, 4, 6, 2))
    with torch.no_grad():
        for k in range(3):
            net.eigenvalues[k].zero_()  # inputs and the first two hidden layers
    assert net.constant_layers() == [0, 1]
    x = torch.randn(9, 3, generator=_gen(7), dtype=F64)
    a, b = remove_layers(net, [0, 1]), remove_layers(net, [1, 0])
    assert a.layer_sizes == b.layer_sizes == (3, 6, 2)
    torch.testing.assert_close(a(x), net(x), rtol=0, atol=1e-12)
    torch.testing.assert_close(b(x), a(x), rtol=0, atol=0)


def test_remove_layers_refuses_layer_wise_networks_and_bad_indices():
    with pytest.raises(TypeError, match="bypasses"):
        remove_layers(_dense(), [0])
    net = _global((3, 5, 4, 2))
    for bad in ([2], [0, 0], [-1]):
        with pytest.raises(ValueError, match="distinct indices"):
            remove_layers(net, bad)
