import math

import numpy as np
import pytest
import torch

from sklearn_spectral.nn import ACTIVATIONS
from sklearn_spectral.nn.global_spectral import (
    GlobalSpectralNetwork,
    binomial_inverse,
    dense_forward,
    path_richness,
    used_nodes,
)

SIZES = [
    (3, 2),  # B = 1: no hidden layer
    (4, 5, 2),  # B = 2
    (3, 6, 4, 1),  # B = 3
    (5, 4, 7, 3, 6, 2),  # B = 5
]


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _random_network(sizes, activation="tanh", seed=0):
    """Float64 network with nonzero eigenvalues in every layer and random biases."""
    net = GlobalSpectralNetwork(sizes, activation=activation, generator=_gen(seed))
    net.double()
    g = _gen(seed + 1000)
    with torch.no_grad():
        for lam in net.eigenvalues:
            lam.copy_(torch.randn(lam.shape, generator=g, dtype=torch.float64))
        for b in net.biases:
            b.copy_(0.3 * torch.randn(b.shape, generator=g, dtype=torch.float64))
    return net


def _x(sizes, seed=1, n=7):
    return torch.randn(n, sizes[0], generator=_gen(seed), dtype=torch.float64)


def _dense_blocks(net):
    A = net.dense_adjacency()
    offsets = [0, *torch.tensor(net.layer_sizes).cumsum(0).tolist()]
    n = len(net.layer_sizes)
    return A, [
        [A[offsets[i] : offsets[i + 1], offsets[j] : offsets[j + 1]] for j in range(n)]
        for i in range(n)
    ]


def _literal_recurrence(net, x):
    """The carry recurrence of the SPARCS blocks, written with two products."""
    act = ACTIVATIONS[net.activation]
    lams, n_blocks = net.eigenvalues, len(net.phis)
    z = x
    for k, phi in enumerate(net.phis):
        u = z @ phi.T
        a = (z * lams[k]) @ phi.T - lams[k + 1] * u
        if k == n_blocks - 1:
            return a + net.biases[k]
        z = act(a + net.biases[k]) - u


@pytest.mark.parametrize("activation", ["tanh", "elu"])
@pytest.mark.parametrize("sizes", SIZES)
def test_recurrence_equals_dense_forward_pass(sizes, activation):
    net = _random_network(sizes, activation)
    x = _x(sizes)
    out = net(x)
    assert out.dtype == torch.float64 and out.shape == (7, sizes[-1])
    torch.testing.assert_close(out, dense_forward(net, x), rtol=0, atol=1e-10)
    torch.testing.assert_close(out, _literal_recurrence(net, x), rtol=0, atol=1e-12)


@pytest.mark.parametrize("sizes", SIZES[1:])
def test_recurrence_gradients_equal_dense_gradients(sizes):
    net = _random_network(sizes, "elu", seed=3)
    x = _x(sizes, seed=4)
    params = list(net.parameters())
    grads = torch.autograd.grad(net(x).square().sum(), params)
    dense_grads = torch.autograd.grad(dense_forward(net, x).square().sum(), params)
    for g, dg in zip(grads, dense_grads, strict=True):
        torch.testing.assert_close(g, dg, rtol=0, atol=1e-9)


def test_dense_forward_uses_post_activations_not_carry():
    # A depth where the distinction matters: with z_j instead of h_j in the
    # long-range blocks (or pre-activations), the result would differ.
    sizes = (3, 4, 4, 2)
    net = _random_network(sizes, "tanh", seed=5)
    x = _x(sizes, seed=6)
    _, W = _dense_blocks(net)
    a2 = x @ W[1][0].T + net.biases[0]
    h2 = torch.tanh(a2)
    a3 = x @ W[2][0].T + h2 @ W[2][1].T + net.biases[1]
    h3 = torch.tanh(a3)
    out = x @ W[3][0].T + h2 @ W[3][1].T + h3 @ W[3][2].T + net.biases[2]
    torch.testing.assert_close(net(x), out, rtol=0, atol=1e-10)
    # Feeding pre-activations to the later blocks gives something else.
    wrong = x @ W[3][0].T + a2 @ W[3][1].T + a3 @ W[3][2].T + net.biases[2]
    assert (net(x) - wrong).abs().max() > 1e-3


@pytest.mark.parametrize("sizes", SIZES)
def test_eq3_blocks_equal_dense_adjacency(sizes):
    net = _random_network(sizes, seed=7)
    A, dense = _dense_blocks(net)
    blocks = net.blocks()
    n = len(sizes)
    assert len(blocks) == n and all(len(row) == n for row in blocks)
    for i in range(n):
        for j in range(n):
            if i > j:
                assert blocks[i][j].dtype == torch.float64
                assert not blocks[i][j].requires_grad
                torch.testing.assert_close(
                    blocks[i][j], dense[i][j], rtol=0, atol=1e-12
                )
            else:
                assert blocks[i][j] is None
    assert torch.count_nonzero(torch.triu(A, diagonal=1)) == 0
    # The diagonal blocks are exactly diag(lambda_k): no off-diagonal entries.
    for k, lam in enumerate(net.eigenvalues):
        torch.testing.assert_close(dense[k][k], torch.diag(lam), rtol=0, atol=1e-12)
    # The adjacent blocks are the ones the forward pass builds.
    for k, w in enumerate(net.adjacent_blocks()):
        torch.testing.assert_close(w, blocks[k + 1][k], rtol=0, atol=0)


def test_blocks_in_float32_match_float64():
    net = GlobalSpectralNetwork((3, 5, 4, 2), generator=_gen(0))
    b32, b64 = net.blocks(dtype=torch.float32), net.blocks()
    assert b32[3][0].dtype == torch.float32
    torch.testing.assert_close(b32[3][0].double(), b64[3][0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("sizes", SIZES)
def test_binomial_inverse_formula(sizes):
    net = _random_network(sizes, seed=8)
    offsets = [0, *torch.tensor(sizes).cumsum(0).tolist()]
    Phi = torch.eye(offsets[-1], dtype=torch.float64)
    for k, phi in enumerate(net.phis):
        Phi[offsets[k + 1] : offsets[k + 2], offsets[k] : offsets[k + 1]] = phi.detach()
    B = len(sizes) - 1
    torch.testing.assert_close(
        binomial_inverse(Phi, B), torch.linalg.inv(Phi), rtol=0, atol=1e-10
    )
    Lam = torch.diag(torch.cat([lam.detach() for lam in net.eigenvalues]))
    torch.testing.assert_close(
        Phi @ Lam @ binomial_inverse(Phi, B),
        net.dense_adjacency().detach(),
        rtol=0,
        atol=1e-10,
    )


def test_binomial_inverse_rejects_bad_input():
    with pytest.raises(ValueError, match="square"):
        binomial_inverse(torch.ones(2, 3), 1)
    with pytest.raises(ValueError, match="B must be"):
        binomial_inverse(torch.eye(2), -1)


@pytest.mark.parametrize("activation", ["tanh", "elu", "relu", "identity"])
@pytest.mark.parametrize("sizes", SIZES)
def test_perceptron_start_is_exactly_linear(sizes, activation):
    net = GlobalSpectralNetwork(sizes, activation=activation, generator=_gen(2))
    for lam in net.eigenvalues[:-1]:
        assert torch.count_nonzero(lam) == 0
    assert torch.equal(net.eigenvalues[-1], torch.ones(sizes[-1]))
    for b in net.biases:
        assert torch.count_nonzero(b) == 0
    assert all(p.dtype == torch.float32 for p in net.parameters())
    net.double()
    blocks = net.blocks()
    B = len(sizes) - 1
    # Every block into a hidden layer vanishes ...
    for i in range(1, B):
        for j in range(i):
            assert torch.count_nonzero(blocks[i][j]) == 0
    # ... and the input -> output block is (-1)^B lambda_{B+1} phi_B ... phi_1.
    product = net.phis[0].detach()
    for phi in net.phis[1:]:
        product = phi.detach() @ product
    W = blocks[B][0]
    torch.testing.assert_close(W, (-1) ** B * product, rtol=0, atol=1e-12)
    x = _x(sizes, seed=9, n=11)
    out = net(x)
    torch.testing.assert_close(out, x @ W.T + net.biases[-1], rtol=0, atol=1e-12)
    # Linear: f(2x - y) = 2 f(x) - f(y).
    y = _x(sizes, seed=10, n=11)
    torch.testing.assert_close(net(2 * x - y), 2 * out - net(y), rtol=0, atol=1e-12)


def test_phi_init_scale_keeps_the_carry_stable():
    sizes = (64,) * 9
    net = GlobalSpectralNetwork(sizes, generator=_gen(0))
    for phi in net.phis:
        assert abs(phi.std().item() * math.sqrt(phi.shape[1]) - 1) < 0.1
    x = torch.randn(256, 64, generator=_gen(1))
    ratio = net(x).std() / x.std()
    assert 0.2 < ratio < 5


@pytest.mark.parametrize("sizes", SIZES)
def test_forward_with_l2(sizes):
    net = _random_network(sizes, seed=11)
    x = _x(sizes)
    out, l2 = net.forward_with_l2(x)
    torch.testing.assert_close(out, net(x), rtol=0, atol=0)
    # Adjacent blocks and every block into the output layer, by eq. 3.
    blocks = net.blocks()
    last = len(sizes) - 1
    penalized = {(k + 1, k) for k in range(last)} | {(last, j) for j in range(last)}
    expected = sum(blocks[i][j].square().sum() for i, j in penalized)
    torch.testing.assert_close(l2.detach(), expected, rtol=1e-12, atol=0)
    assert l2.requires_grad
    l2.backward()
    assert all(lam.grad is not None for lam in net.eigenvalues)


def _cross_entropy_and_gradient(target):
    def loss_and_gradient(output):
        output = output.detach().requires_grad_()
        with torch.enable_grad():
            loss = torch.nn.functional.cross_entropy(output, target)
        return loss.detach(), torch.autograd.grad(loss, output)[0]

    return loss_and_gradient


@pytest.mark.parametrize("alpha", [0.0, 0.7])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("sizes", SIZES)
def test_loss_and_backward_equals_autograd(sizes, activation, alpha):
    # The hand-written backward of the carry recurrence, the readout chain of
    # the L2 penalty included, against autograd through forward_with_l2.
    net = _random_network(sizes, activation, seed=13)
    x = _x(sizes, seed=14, n=9)
    target = torch.randint(0, sizes[-1], (9,), generator=_gen(15))
    params = list(net.parameters())
    output, l2 = net.forward_with_l2(x)
    loss = torch.nn.functional.cross_entropy(output, target) + 0.5 * alpha * l2 / 9
    expected = torch.autograd.grad(loss, params)
    for p in params:
        p.grad = torch.full_like(p, 123.0)  # every gradient must be replaced
    got = net.loss_and_backward(x, _cross_entropy_and_gradient(target), alpha)
    assert not got.requires_grad
    torch.testing.assert_close(got, loss.detach(), rtol=1e-12, atol=1e-12)
    for p, g in zip(params, expected, strict=True):
        torch.testing.assert_close(p.grad, g, rtol=1e-10, atol=1e-12)


def test_loss_and_backward_skips_frozen_parameters():
    sizes = (3, 6, 4, 2)
    net = _random_network(sizes, seed=16)
    net.phis[1].requires_grad_(False)
    net.eigenvalues[0].requires_grad_(False)
    x = _x(sizes, seed=17)
    target = torch.zeros(7, dtype=torch.long)
    net.loss_and_backward(x, _cross_entropy_and_gradient(target), 0.1)
    assert net.phis[1].grad is None and net.eigenvalues[0].grad is None
    assert net.phis[0].grad is not None and net.eigenvalues[1].grad is not None


def test_proximal_step_soft_thresholds_non_output_eigenvalues():
    net = GlobalSpectralNetwork((2, 3, 4, 2), generator=_gen(0))
    values = [
        [0.05, -0.2],
        [0.3, -0.09, 0.1],
        [-1.0, 0.0, 0.099, 0.5],
        [0.01, -0.05],  # output: never touched
    ]
    with torch.no_grad():
        for lam, v in zip(net.eigenvalues, values, strict=True):
            lam.copy_(torch.tensor(v))
    net.proximal_step(0.1)
    expected = [
        [0.0, -0.1],
        [0.2, 0.0, 0.0],
        [-0.9, 0.0, 0.0, 0.4],
        [0.01, -0.05],
    ]
    for lam, e in zip(net.eigenvalues, expected, strict=True):
        torch.testing.assert_close(lam.detach(), torch.tensor(e))
        assert lam.requires_grad and lam.grad is None
    # Values under the threshold become exact zeros (not -0.0 rounding noise).
    assert net.eigenvalues[0][0].item() == 0.0
    assert net.eigenvalues[1][2].item() == 0.0
    net.proximal_step(0.0)
    for lam, e in zip(net.eigenvalues, expected, strict=True):
        torch.testing.assert_close(lam.detach(), torch.tensor(e))
    with pytest.raises(ValueError, match="threshold"):
        net.proximal_step(-1.0)


def test_same_seed_same_parameters_and_global_rng_untouched():
    sizes = (4, 6, 5, 3)
    state = torch.get_rng_state()
    a = GlobalSpectralNetwork(sizes, generator=_gen(42), hidden_eigenvalue_init=1e-3)
    b = GlobalSpectralNetwork(sizes, generator=_gen(42), hidden_eigenvalue_init=1e-3)
    c = GlobalSpectralNetwork(sizes, generator=_gen(43), hidden_eigenvalue_init=1e-3)
    assert torch.equal(torch.get_rng_state(), state)
    pa, pb, pc = (dict(n.named_parameters()) for n in (a, b, c))
    assert pa.keys() == pb.keys()
    for name in pa:
        assert torch.equal(pa[name], pb[name]), name
    assert not torch.equal(pa["phis.0"], pc["phis.0"])


def test_hidden_eigenvalue_init():
    sizes = (4, 6, 5, 3)
    base = GlobalSpectralNetwork(sizes, generator=_gen(0))
    net = GlobalSpectralNetwork(sizes, generator=_gen(0), hidden_eigenvalue_init=1e-3)
    # The phi's are drawn first, so they do not depend on the option.
    for phi0, phi in zip(base.phis, net.phis, strict=True):
        assert torch.equal(phi0, phi)
    lams = net.eigenvalues
    assert torch.count_nonzero(lams[0]) == 0  # input layer stays at 0
    for lam in lams[1:-1]:
        assert torch.count_nonzero(lam) == lam.numel()
        assert lam.abs().max() <= 1e-3
    assert torch.equal(lams[-1], torch.ones(3))
    with pytest.raises(ValueError, match="hidden_eigenvalue_init"):
        GlobalSpectralNetwork(sizes, hidden_eigenvalue_init=-1.0)


def test_structure_and_validation():
    net = GlobalSpectralNetwork([4, 6, 5, 3], activation="elu", generator=_gen(0))
    assert net.layer_sizes == (4, 6, 5, 3) and net.activation == "elu"
    assert net.n_blocks == 3
    assert [tuple(p.shape) for p in net.phis] == [(6, 4), (5, 6), (3, 5)]
    assert [tuple(p.shape) for p in net.eigenvalues] == [(4,), (6,), (5,), (3,)]
    assert [tuple(p.shape) for p in net.biases] == [(6,), (5,), (3,)]
    assert sum(p.numel() for p in net.parameters()) == 24 + 30 + 15 + 18 + 14
    assert "layer_sizes=(4, 6, 5, 3)" in repr(net)
    assert net.dense_adjacency().shape == (18, 18)
    with pytest.raises(ValueError, match="activation"):
        GlobalSpectralNetwork([2, 2], activation="gelu")
    with pytest.raises(ValueError, match="layer_sizes"):
        GlobalSpectralNetwork([3])
    with pytest.raises(ValueError, match="layer_sizes"):
        GlobalSpectralNetwork([3, 0, 1])


def _compact_forward(net, x, used):
    """Dense pass over the used nodes alone, the others folded into biases.

    An unused node that feeds a used one must output a constant (no input
    reaches it); its value on the first row is added to the used nodes'
    biases and every other unused node is dropped.
    """
    act = ACTIVATIONS[net.activation]
    blocks = net.blocks()
    hs = [x]
    for i in range(1, len(blocks)):  # the full pass, for the constants
        a = net.biases[i - 1] + sum(hs[j] @ blocks[i][j].T for j in range(i))
        hs.append(a if i == len(blocks) - 1 else act(a))
    compact = [x[:, used[0]]]
    for i in range(1, len(blocks)):
        a = net.biases[i - 1][used[i]]
        for j in range(i):
            block = blocks[i][j][used[i]]
            a = a + compact[j] @ block[:, used[j]].T
            feeding = block[:, ~used[j]].ne(0).any(dim=0)
            constant = hs[j][:, ~used[j]][:, feeding]
            assert torch.equal(constant, constant[:1].expand_as(constant))
            a = a + constant[:1] @ block[:, ~used[j]][:, feeding].T
        compact.append(a if i == len(blocks) - 1 else act(a))
    return compact[-1]


def _zero_node(net, layer, node):
    """Zero a node's eigenvector entries: its column of phi_layer and, for a
    hidden node, its row of phi_{layer-1} (0-based layers)."""
    with torch.no_grad():
        net.phis[layer][:, node] = 0
        if layer:
            net.phis[layer - 1][node] = 0


@pytest.mark.parametrize("sizes", SIZES[1:])
@pytest.mark.parametrize("pattern", ["all", "zero_hidden", "zero_layer", "groups"])
def test_removing_unused_nodes_keeps_the_predictions(sizes, pattern):
    net = _random_network(sizes)
    with torch.no_grad():
        if pattern in ("zero_hidden", "zero_layer"):
            for lam in list(net.eigenvalues)[1:-1]:
                lam[::2] = 0  # every other hidden eigenvalue
        if pattern == "zero_layer":
            net.eigenvalues[0].zero_()  # and the inputs'
            net.eigenvalues[1].zero_()  # and all of the first hidden layer
        if pattern == "groups":
            _zero_node(net, 0, 0)  # an input
            for k in range(1, len(sizes) - 1):
                _zero_node(net, k, k % sizes[k])
    used = used_nodes(net.blocks())
    x = _x(sizes, n=9)
    torch.testing.assert_close(
        _compact_forward(net, x, used), dense_forward(net, x), rtol=1e-10, atol=1e-10
    )
    n_unused = sum(int((~u).sum()) for u in used)
    if pattern == "all":
        assert n_unused == 0
    if pattern == "groups":
        assert not used[0][0]
        assert all(not used[k][k % sizes[k]] for k in range(1, len(sizes) - 1))
    if pattern == "zero_layer":
        # No input eigenvalue: only the first hidden layer's switched-on
        # nodes receive input, and it has none.
        assert not used[1].any()


def test_a_zero_eigenvalue_does_not_remove_a_node():
    # Node 0 of the first hidden layer has eigenvalue 0, but it receives
    # phi_1[0, :] diag(lambda_1) from the inputs and feeds the output:
    # removing it would change the predictions.
    net = _random_network((3, 4, 2))
    with torch.no_grad():
        net.eigenvalues[1][0] = 0
    assert used_nodes(net.blocks())[1][0]
    assert net.blocks()[1][0][0].ne(0).all()
    _zero_node(net, 1, 0)
    assert not used_nodes(net.blocks())[1][0]


def test_node_group_norms_and_threshold():
    sizes = (4, 5, 3, 2)
    net = _random_network(sizes)
    phis = [p.detach().clone() for p in net.phis]
    norms = net.node_group_norms()
    assert [len(n) for n in norms] == list(sizes[:-1])
    torch.testing.assert_close(norms[0], phis[0].norm(dim=0))
    for k in (1, 2):
        expected = (phis[k].square().sum(0) + phis[k - 1].square().sum(1)).sqrt()
        torch.testing.assert_close(norms[k], expected)
    # Every group is scaled by max(0, 1 - t / ||g||) of its norm before the
    # step; an entry of phi_k belongs to two groups (its column's node in
    # layer k, its row's node in layer k + 1, unless that is an output).
    t = [torch.full_like(n, 0.1) for n in norms]
    t[1][2] = norms[1][2] + 1.0  # this group falls under its threshold
    net.node_group_threshold_(t)
    scale = [(1 - ti / n).clamp(min=0) for ti, n in zip(t, norms, strict=True)]
    assert scale[1][2] == 0
    for k, phi in enumerate(phis):
        rows = scale[k + 1].unsqueeze(1) if k + 1 < len(scale) else 1.0
        torch.testing.assert_close(net.phis[k], phi * scale[k] * rows)
    assert net.node_group_norms()[1][2] == 0
    # A removed node leaves every block.
    blocks = net.blocks()
    assert blocks[1][0][2].eq(0).all()  # nothing in
    assert all(blocks[i][1][:, 2].eq(0).all() for i in (2, 3))  # nothing out


def _random_global(sizes, seed=0):
    gen = torch.Generator().manual_seed(seed)
    net = GlobalSpectralNetwork(sizes, generator=gen).double()
    with torch.no_grad():
        for lam in net.eigenvalues:
            lam.normal_(generator=gen)
    return net


def test_path_richness_is_the_sparcs_authors_gamma_for_one_hidden_layer():
    """Gamma_ijk = W32[i, j] W21[j, k] (their make_graphs.py), Frobenius norm;
    invariant to phi -> c phi, lambda -> lambda / c."""
    net = _random_global((2, 7, 1))
    blocks = net.blocks()
    W21, W32 = blocks[1][0].numpy(), blocks[2][1].numpy()
    gamma = np.einsum("ij,jk->ijk", W32, W21)
    assert path_richness(blocks) == pytest.approx(np.linalg.norm(gamma), rel=1e-12)
    with torch.no_grad():
        for phi in net.phis:
            phi.mul_(3.0)
        for lam in net.eigenvalues:
            lam.div_(3.0)
    assert path_richness(net.blocks()) == pytest.approx(
        np.linalg.norm(gamma), rel=1e-12
    )


def test_path_richness_sums_every_path_through_hidden_nodes():
    """Brute force over the paths of a deep network with long-range blocks:
    input -> h1 -> out, input -> h2 -> out, input -> h1 -> h2 -> out."""
    net = _random_global((2, 3, 4, 2), seed=1)
    W = net.blocks()
    total = 0.0
    for k in range(2):
        for i in range(2):
            for a in range(3):
                total += (W[3][1][i, a] * W[1][0][a, k]) ** 2
            for b in range(4):
                total += (W[3][2][i, b] * W[2][0][b, k]) ** 2
                for a in range(3):
                    total += (W[3][2][i, b] * W[2][1][b, a] * W[1][0][a, k]) ** 2
    assert path_richness(W) == pytest.approx(float(total) ** 0.5, rel=1e-12)
    # a perceptron (no hidden path) has none
    assert path_richness(GlobalSpectralNetwork((2, 3, 4, 2)).double().blocks()) == 0
