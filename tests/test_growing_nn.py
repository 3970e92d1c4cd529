import copy
import math

import pytest
import torch
from torch.nn import functional as F

from sklearn_spectral.nn import (
    GrowingMLP,
    apply_growth,
    growth_statistics,
    line_search,
    propose_growth,
)

ACTIVATIONS = ["identity", "logistic", "tanh", "relu", "elu"]


def half_mse(output, target):
    """``0.5 * ||output - y||^2`` per row, mean over the rows."""
    return 0.5 * (output - target).square().sum(dim=1).mean()


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def _randn(*shape, seed):
    return torch.randn(*shape, generator=_gen(seed), dtype=torch.float64)


def _net(sizes, activation, seed=0):
    return GrowingMLP(sizes, activation=activation, generator=_gen(seed)).double()


def _loss(net, X, y, loss_fn=half_mse):
    with torch.no_grad():
        return float(loss_fn(net(X), y))


def _fit_last_layer(net, X, y):
    """Least-squares output layer: the student already has the best linear part."""
    if net.activation not in ("tanh", "identity"):
        raise NotImplementedError
    with torch.no_grad():
        hidden = X
        for layer in net.layers[:-1]:
            hidden = layer(hidden)
            if net.activation == "tanh":
                hidden = torch.tanh(hidden)
        B = torch.cat([hidden, torch.ones(len(X), 1, dtype=X.dtype)], dim=1)
        W = torch.linalg.lstsq(B, y).solution.T
        net.layers[-1].weight.copy_(W[:, :-1])
        net.layers[-1].bias.copy_(W[:, -1])


def _linear_bottleneck():
    """A width-0 linear student of a width-3 linear teacher, its output layer
    fitted: ``(student, X, y, proposal, loss0)``."""
    teacher = _net([6, 3, 5], "identity", seed=10)
    X = _randn(300, 6, seed=11)
    y = teacher(X).detach()
    student = _net([6, 0, 5], "identity", seed=12)
    _fit_last_layer(student, X, y)
    proposal = propose_growth(growth_statistics(student, 0, X, y, half_mse))
    return student, X, y, proposal, _loss(student, X, y)


# ---------------------------------------------------------------- the module


def test_init_uses_only_the_generator_and_sklearn_bounds():
    torch.manual_seed(0)
    state = torch.get_rng_state()
    a = GrowingMLP([64, 32, 10], generator=_gen(3))
    assert torch.equal(torch.get_rng_state(), state)
    b = GrowingMLP([64, 32, 10], generator=_gen(3))
    for la, lb in zip(a.layers, b.layers, strict=True):
        assert torch.equal(la.weight, lb.weight) and torch.equal(la.bias, lb.bias)
    for activation, factor in [("relu", 6.0), ("logistic", 2.0)]:
        net = GrowingMLP([64, 32, 10], activation=activation, generator=_gen(0))
        for layer in net.layers:
            bound = math.sqrt(factor / (layer.in_features + layer.out_features))
            for p in (layer.weight, layer.bias):
                assert p.abs().max() <= bound
                assert p.abs().max() > 0.9 * bound


@pytest.mark.parametrize("activation, factor", [("relu", 6.0), ("logistic", 2.0)])
def test_shrink_perturb_adds_a_fresh_initialization_to_the_shrunk_weights(
    activation, factor
):
    net = GrowingMLP([6, 5, 2], activation=activation, generator=_gen(0))
    before = copy.deepcopy(net)
    net.shrink_perturb(0.5, 0.0)
    for new, old in zip(net.layers, before.layers, strict=True):
        assert torch.equal(new.weight, 0.5 * old.weight)
        assert torch.equal(new.bias, 0.5 * old.bias)
    # With noise: shrink * theta + noise * (a draw of the initialization,
    # the one a new network from the same generator state makes).
    net = copy.deepcopy(before)
    net.shrink_perturb(0.3, 0.2, _gen(7))
    fresh = GrowingMLP([6, 5, 2], activation=activation, generator=_gen(7))
    for new, old, init in zip(net.layers, before.layers, fresh.layers, strict=True):
        bound = math.sqrt(factor / (old.in_features + old.out_features))
        assert init.weight.abs().max() <= bound
        for p, q, r in [
            (new.weight, old.weight, init.weight),
            (new.bias, old.bias, init.bias),
        ]:
            torch.testing.assert_close(p, 0.3 * q + 0.2 * r)


def test_width_zero_forward_and_l2():
    net = _net([4, 0, 3], "relu")
    X = _randn(5, 4, seed=1)
    assert net.hidden_sizes == [0]
    out, l2 = net.forward_with_l2(X)
    torch.testing.assert_close(out, net.layers[1].bias.expand(5, 3))
    assert float(l2.detach()) == 0.0
    net = _net([4, 2, 3], "tanh")
    out, l2 = net.forward_with_l2(X)
    torch.testing.assert_close(out, net(X))
    expected = sum(float(layer.weight.detach().square().sum()) for layer in net.layers)
    assert float(l2.detach()) == pytest.approx(expected)


@pytest.mark.parametrize("width", [0, 1])
def test_grow_appends_rows_and_columns(width):
    net = _net([4, width, 3], "tanh")
    X = _randn(6, 4, seed=2)
    before = net(X).detach()
    old_w1 = net.layers[0].weight.detach().clone()
    old_b1 = net.layers[0].bias.detach().clone()
    old_w2 = net.layers[1].weight.detach().clone()
    fan_in, fan_out = _randn(2, 5, seed=3), _randn(3, 2, seed=4)
    net.grow(0, fan_in, fan_out)
    assert net.hidden_sizes == [width + 2]
    assert net.layers[0].weight.shape == (width + 2, 4)
    assert net.layers[1].weight.shape == (3, width + 2)
    assert net.layers[0].in_features == 4 and net.layers[0].out_features == width + 2
    torch.testing.assert_close(net.layers[0].weight[:width], old_w1)
    torch.testing.assert_close(net.layers[0].weight[width:], fan_in[:, :-1])
    torch.testing.assert_close(net.layers[0].bias[:width], old_b1)
    torch.testing.assert_close(net.layers[0].bias[width:], fan_in[:, -1])
    torch.testing.assert_close(net.layers[1].weight[:, :width], old_w2)
    expected = before + torch.tanh(X @ fan_in[:, :-1].T + fan_in[:, -1]) @ fan_out.T
    torch.testing.assert_close(net(X), expected)
    with pytest.raises(ValueError, match="fan_in"):
        net.grow(0, _randn(2, 4, seed=5), fan_out)


@pytest.mark.parametrize("fused", [False, True])
def test_grow_keeps_adam_state_and_pads_with_zeros(fused):
    net = GrowingMLP([4, 3, 2], generator=_gen(0))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2, fused=fused)
    X, y = torch.randn(16, 4, generator=_gen(1)), torch.randint(0, 2, (16,))
    for _ in range(3):
        opt.zero_grad()
        F.cross_entropy(net(X), y).backward()
        opt.step()
    old = [net.layers[0].weight, net.layers[0].bias, net.layers[1].weight]
    saved = [{k: v.clone() for k, v in opt.state[p].items()} for p in old]
    untouched = net.layers[1].bias
    net.grow(
        0,
        torch.randn(2, 5, generator=_gen(2)),
        torch.randn(2, 2, generator=_gen(3)),
        opt,
    )
    new = [net.layers[0].weight, net.layers[0].bias, net.layers[1].weight]
    params = [p for group in opt.param_groups for p in group["params"]]
    assert all(any(q is p for p in params) for q in new + [untouched])
    assert not any(p is q for p in params for q in old)
    assert all(p not in opt.state for p in old)
    for p, state, dim in zip(new, saved, [0, 0, 1], strict=True):
        moved = opt.state[p]
        assert torch.equal(moved["step"], state["step"])
        for key in ("exp_avg", "exp_avg_sq"):
            assert moved[key].shape == p.shape
            n_old = state[key].shape[dim]
            assert torch.equal(moved[key].narrow(dim, 0, n_old), state[key])
            assert not moved[key].narrow(dim, n_old, 2).any()
    before = [p.detach().clone() for p in new]
    opt.zero_grad()
    F.cross_entropy(net(X), y).backward()
    opt.step()
    assert float(opt.state[new[0]]["step"]) == 4.0
    for p, b in zip(new, before, strict=True):
        assert not torch.equal(p.detach(), b)
    assert not torch.equal(new[0].detach()[3:], before[0][3:])


def test_update_layer_adds_weight_and_bias():
    net = _net([3, 2, 2], "relu")
    W, b = net.layers[1].weight.detach().clone(), net.layers[1].bias.detach().clone()
    delta = _randn(2, 3, seed=1)
    net.update_layer(1, delta)
    torch.testing.assert_close(net.layers[1].weight, W + delta[:, :2])
    torch.testing.assert_close(net.layers[1].bias, b + delta[:, 2])


# ---------------------------------------------------------------- statistics


def test_statistics_do_not_depend_on_chunk_size():
    net = _net([5, 3, 4, 3], "tanh")
    X, y = _randn(100, 5, seed=1), torch.randint(0, 3, (100,))
    for h in (0, 1):
        a = growth_statistics(net, h, X, y, F.cross_entropy, chunk_size=7)
        b = growth_statistics(net, h, X, y, F.cross_entropy, chunk_size=4096)
        for name in ("S1", "M", "S2", "M2", "C"):
            torch.testing.assert_close(
                getattr(a, name), getattr(b, name), rtol=0, atol=1e-12
            )
        assert a.loss == pytest.approx(b.loss, abs=1e-12)
        assert a.loss == pytest.approx(_loss(net, X, y, F.cross_entropy))


def test_statistics_match_their_definition():
    net = _net([3, 2, 2], "tanh")
    X, y = _randn(9, 3, seed=1), _randn(9, 2, seed=2)
    stats = growth_statistics(net, 0, X, y, half_mse)
    b2 = torch.cat([X, torch.ones(9, 1, dtype=X.dtype)], 1)
    hidden = torch.tanh(net.layers[0](X)).detach()
    b1 = torch.cat([hidden, torch.ones(9, 1, dtype=X.dtype)], 1)
    g = (net(X) - y).detach()  # d(0.5 ||a - y||^2)/da per row
    torch.testing.assert_close(stats.S1, b1.T @ b1 / 9)
    torch.testing.assert_close(stats.M, b1.T @ g / 9)
    torch.testing.assert_close(stats.S2, b2.T @ b2 / 9)
    torch.testing.assert_close(stats.M2, b2.T @ g / 9)
    torch.testing.assert_close(stats.C, b2.T @ b1 / 9)


# ---------------------------------------------------------------- the proposal


@pytest.mark.parametrize("activation", ["identity", "tanh"])
@pytest.mark.parametrize("student_width", [0, 1])
def test_planted_bottleneck_rank_is_recovered(activation, student_width):
    d_in, rank, d_out, n = 6, 3, 5, 400
    teacher = _net([d_in, rank, d_out], activation, seed=10)
    X = _randn(n, d_in, seed=11)
    y = teacher(X).detach()
    student = _net([d_in, student_width, d_out], activation, seed=12)
    if student_width:
        with torch.no_grad():  # plant the teacher's first neuron
            student.layers[0].weight.copy_(teacher.layers[0].weight[:1])
            student.layers[0].bias.copy_(teacher.layers[0].bias[:1])
    _fit_last_layer(student, X, y)
    stats = growth_statistics(student, 0, X, y, half_mse)
    proposal = propose_growth(stats)
    lam = proposal.singular_values
    assert proposal.first_order_gain < 1e-20  # the linear part is already best
    expected_rank = rank - student_width
    assert proposal.count_above(relative_threshold=1e-8) == expected_rank
    assert float(lam[expected_rank]) < 1e-10 * float(lam[0])
    gamma, loss, loss0 = line_search(
        student, 0, proposal, expected_rank, X, y, half_mse
    )
    assert gamma > 0 and loss < loss0
    apply_growth(student, 0, proposal, gamma, expected_rank)
    assert student.hidden_sizes == [rank]
    assert _loss(student, X, y) == pytest.approx(loss, rel=1e-10)
    if activation == "identity":
        # L(gamma) = (1 - gamma)^2 L(0) and the gain is 2 L(0): gamma_0 = 1,
        # the exact Gauss-Newton step, and one growth reproduces the teacher.
        assert gamma == pytest.approx(1.0, rel=1e-9)
        assert loss < 1e-20 * loss0
        torch.testing.assert_close(student(X), y, rtol=0, atol=1e-10)


def test_linear_bottleneck_loss_is_quadratic_in_gamma():
    student, X, y, proposal, loss0 = _linear_bottleneck()
    assert proposal.neuron_gain == pytest.approx(2 * loss0, rel=1e-10)
    for gamma in (0.25, 0.5, 1.5):
        grown = copy.deepcopy(student)
        apply_growth(grown, 0, proposal, gamma, 3)
        assert _loss(grown, X, y) == pytest.approx((1 - gamma) ** 2 * loss0, rel=1e-9)


@pytest.mark.parametrize("activation", ["tanh", "logistic", "elu"])
@pytest.mark.parametrize("hidden_index", [0, 1])
def test_first_order_prediction_matches_measured_drop(activation, hidden_index):
    net = _net([5, 3, 4, 3], activation, seed=1)
    X, y = _randn(300, 5, seed=2), _randn(300, 3, seed=3)
    stats = growth_statistics(net, hidden_index, X, y, half_mse)
    proposal = propose_growth(stats)
    assert proposal.first_order_gain > 0
    for gamma in (1e-3, 1e-4):
        grown = copy.deepcopy(net)
        apply_growth(grown, hidden_index, proposal, gamma, proposal.n_neurons)
        drop = (stats.loss - _loss(grown, X, y)) / gamma
        assert drop == pytest.approx(proposal.predicted_decrease(), rel=0.05)
        if activation == "tanh":
            total = proposal.first_order_gain + proposal.neuron_gain
            assert drop == pytest.approx(total, rel=0.05)
        # The neurons alone, through grow(): -alpha_k^T M2 omega_k each.
        grown = copy.deepcopy(net)
        grown.grow(
            hidden_index,
            math.sqrt(gamma) * proposal.fan_in,
            math.sqrt(gamma) * proposal.fan_out,
        )
        if activation == "logistic":  # what apply_growth compensates
            with torch.no_grad():
                grown.layers[hidden_index + 1].bias -= (
                    0.5 * math.sqrt(gamma) * proposal.fan_out.sum(1)
                )
        drop = (stats.loss - _loss(grown, X, y)) / gamma
        slope = {"tanh": 1.0, "logistic": 0.25, "elu": 1.0}[activation]
        predicted = slope * float(proposal.neuron_first_order.sum())
        assert drop == pytest.approx(predicted, rel=0.05, abs=1e-3 * abs(predicted))


def test_neuron_gain_is_sum_of_squared_singular_values_when_layer_is_best():
    # delta = 0 (least-squares output layer): no cross term, a tanh network
    # loses gamma * sum_k lambda_k^2 to first order.
    net = _net([5, 3, 4], "tanh", seed=4)
    X, y = _randn(300, 5, seed=5), _randn(300, 4, seed=6)
    _fit_last_layer(net, X, y)
    stats = growth_statistics(net, 0, X, y, half_mse)
    proposal = propose_growth(stats)
    assert abs(proposal.first_order_gain) < 1e-12 * proposal.neuron_gain
    torch.testing.assert_close(
        proposal.neuron_first_order, proposal.singular_values[:4].square()
    )
    for k in (1, 2, 4):
        grown = copy.deepcopy(net)
        apply_growth(grown, 0, proposal, 1e-4, k)
        drop = (stats.loss - _loss(grown, X, y)) / 1e-4
        assert drop == pytest.approx(proposal.top(k).neuron_gain, rel=0.01)


def test_linear_network_has_no_cross_term():
    net = _net([5, 2, 4, 3], "identity", seed=7)
    X, y = _randn(200, 5, seed=8), _randn(200, 3, seed=9)
    for h in (0, 1):
        proposal = propose_growth(growth_statistics(net, h, X, y, half_mse))
        k = proposal.n_neurons
        torch.testing.assert_close(
            proposal.neuron_first_order,
            proposal.singular_values[:k].square(),
            rtol=1e-8,
            atol=1e-14,
        )


@pytest.mark.parametrize("c", [0.5, 3.0])
def test_rescaling_invariance_of_a_linear_network(c):
    # f = W3 (W2 (W1 x + b1) + b2) + b3. W1, b1, b2 times c and W3 times 1/c
    # leave f unchanged; the gradient at a_2 scales as 1/c.
    net = _net([5, 3, 2, 4], "identity", seed=3)
    X, y = _randn(200, 5, seed=4), _randn(200, 4, seed=5)
    scaled = copy.deepcopy(net)
    with torch.no_grad():
        scaled.layers[0].weight.mul_(c)
        scaled.layers[0].bias.mul_(c)
        scaled.layers[1].bias.mul_(c)
        scaled.layers[2].weight.div_(c)
    torch.testing.assert_close(scaled(X), net(X))
    for h, power in [(0, -1), (1, 0)]:
        lam = propose_growth(growth_statistics(net, h, X, y, half_mse)).singular_values
        lam_c = propose_growth(
            growth_statistics(scaled, h, X, y, half_mse)
        ).singular_values
        k = int((lam > 1e-8 * lam[0]).sum())
        assert k > 0
        torch.testing.assert_close(lam_c[:k], lam[:k] * c**power, rtol=1e-8, atol=0)


def test_no_growth_when_the_task_is_fit_exactly():
    net = _net([5, 3, 4], "tanh", seed=1)
    X = _randn(100, 5, seed=2)
    y = net(X).detach()
    stats = growth_statistics(net, 0, X, y, half_mse)
    proposal = propose_growth(stats)
    assert stats.loss == 0.0
    assert proposal.first_order_gain < 1e-24
    assert float(proposal.singular_values.max()) < 1e-12
    assert proposal.count_above(threshold=1e-8) == 0
    gamma, loss, loss0 = line_search(net, 0, proposal, 2, X, y, half_mse)
    assert gamma == 0.0 and loss == loss0 == 0.0


# ---------------------------------------------------------------- growth


@pytest.mark.parametrize(
    "sizes, hidden_index",
    [([4, 0, 3], 0), ([4, 1, 3], 0), ([4, 0, 2, 3], 1), ([4, 0, 2, 3], 0)],
)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_growth_from_small_widths(sizes, hidden_index, activation):
    net = GrowingMLP(sizes, activation=activation, generator=_gen(0))
    X = torch.randn(64, 4, generator=_gen(1))
    y = torch.randint(0, 3, (64,))
    stats = growth_statistics(net, hidden_index, X, y, F.cross_entropy)
    proposal = propose_growth(stats, max_neurons=2)
    d_in = sizes[hidden_index] + 1
    assert proposal.n_neurons <= 2
    assert proposal.fan_in.shape == (proposal.n_neurons, d_in)
    assert proposal.fan_out.shape == (sizes[hidden_index + 2], proposal.n_neurons)
    assert proposal.delta.shape == (
        sizes[hidden_index + 2],
        sizes[hidden_index + 1] + 1,
    )
    k = proposal.n_neurons
    gamma, loss, loss0 = line_search(
        net, hidden_index, proposal, k, X, y, F.cross_entropy
    )
    assert loss0 == pytest.approx(stats.loss, rel=1e-5)
    assert gamma > 0 and loss < loss0
    apply_growth(net, hidden_index, proposal, gamma, k)
    width = sizes[hidden_index + 1] + k
    assert net.hidden_sizes[hidden_index] == width
    assert net(X).shape == (64, 3)
    # line_search evaluated exactly what apply_growth built (float32).
    assert _loss(net, X, y, F.cross_entropy) == pytest.approx(loss, rel=1e-5)


def test_rejected_growth_changes_nothing():
    net = _net([4, 2, 3], "relu")
    X, y = _randn(20, 4, seed=1), _randn(20, 3, seed=2)
    proposal = propose_growth(growth_statistics(net, 0, X, y, half_mse))
    before = copy.deepcopy(net.state_dict())
    apply_growth(net, 0, proposal, 0.0, 2)
    assert net.hidden_sizes == [2]
    for key, value in net.state_dict().items():
        assert torch.equal(value, before[key])
    with pytest.raises(ValueError, match="hidden layer"):
        apply_growth(
            net,
            0,
            propose_growth(
                growth_statistics(_net([4, 2, 2, 3], "relu"), 1, X, y, half_mse)
            ),
            1.0,
            1,
        )


def test_line_search_backtracks_to_the_best_halving():
    # Linear bottleneck, one neuron of three: L(gamma) = L0 - gamma G +
    # gamma^2 G / 2 is smallest at gamma = 1 while gamma_0 = 2 L0 / G > 1.
    student, X, y, proposal, loss0 = _linear_bottleneck()
    G = proposal.predicted_decrease(1)
    gamma0 = 2 * loss0 / G
    assert G == pytest.approx(float(proposal.singular_values[0]) ** 2, rel=1e-10)
    assert 1 < gamma0 < 2

    def model(gamma):
        return loss0 - gamma * G + gamma**2 * G / 2

    gamma, loss, l0 = line_search(student, 0, proposal, 1, X, y, half_mse)
    assert l0 == pytest.approx(loss0)
    halvings = [gamma0 / 2**i for i in range(8)]
    best = min(halvings, key=model)
    assert gamma == pytest.approx(best) and loss == pytest.approx(model(best))
    gamma, loss, _ = line_search(student, 0, proposal, 1, X, y, half_mse, refine=False)
    assert gamma == pytest.approx(gamma0) and loss == pytest.approx(model(gamma0))
    gamma, loss, _ = line_search(student, 0, proposal, 1, X, y, half_mse, gamma_max=0.5)
    assert gamma == pytest.approx(0.5)
    # Nothing accepted within max_evals: rejected.
    assert line_search(student, 0, proposal, 1, X, y, half_mse, armijo_c=1e9) == (
        0.0,
        pytest.approx(loss0),
        pytest.approx(loss0),
    )


def test_known_s2_and_its_inverse_sqrt_give_the_same_proposal():
    from sklearn_spectral.nn import inverse_sqrt

    gen = torch.Generator().manual_seed(3)
    net = GrowingMLP([4, 2, 3], activation="tanh", generator=gen).double()
    X = torch.randn(50, 4, generator=gen, dtype=torch.float64)
    y = torch.randn(50, 3, generator=gen, dtype=torch.float64)
    full = growth_statistics(net, 0, X, y, F.mse_loss)
    reused = growth_statistics(net, 0, X, y, F.mse_loss, S2=full.S2)
    for name in ("S1", "M", "S2", "M2", "C"):
        torch.testing.assert_close(getattr(reused, name), getattr(full, name))
    a = propose_growth(full)
    b = propose_growth(reused, s2_inverse_sqrt=inverse_sqrt(full.S2))
    torch.testing.assert_close(a.fan_in, b.fan_in)
    torch.testing.assert_close(a.singular_values, b.singular_values)


def weighted_half_mse(output, target, sample_weight):
    per_row = 0.5 * (output - target).square().sum(dim=1)
    return (per_row * sample_weight).mean()


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_rows_of_weight_zero_change_no_growth_statistic(activation):
    net = _net([4, 3, 2], activation)
    X, y = _randn(30, 4, seed=1), _randn(30, 2, seed=2)
    w = torch.rand(30, generator=_gen(3), dtype=torch.float64)
    w[::3] = 0.0
    y_bad = y.clone()
    y_bad[::3] = 1e6  # an outlier of weight 0 must not matter
    kept = w > 0
    a = growth_statistics(
        net, 0, X, y_bad, weighted_half_mse, sample_weight=w, chunk_size=7
    )
    b = growth_statistics(
        net, 0, X[kept], y[kept], weighted_half_mse, sample_weight=w[kept]
    )
    for name in ("S1", "M", "S2", "M2", "C"):
        torch.testing.assert_close(getattr(a, name), getattr(b, name))
    assert a.loss == pytest.approx(b.loss)
    # Uniform weights are the unweighted statistics.
    c = growth_statistics(
        net, 0, X, y, weighted_half_mse, sample_weight=torch.full((30,), 2.0)
    )
    d = growth_statistics(net, 0, X, y, half_mse)
    torch.testing.assert_close(c.M2, d.M2)
    torch.testing.assert_close(c.S2, d.S2)


def test_held_out_gains_on_the_same_rows_are_the_squared_singular_values():
    net = _net([5, 3, 3], "tanh")
    X, y = _randn(50, 5, seed=4), _randn(50, 3, seed=5)
    stats = growth_statistics(net, 0, X, y, half_mse)
    proposal = propose_growth(stats)
    lam = proposal.singular_values[: proposal.n_neurons]
    torch.testing.assert_close(proposal.held_out_gains(stats), lam.square())
    # Other rows give other gains, and select() keeps gains and lambdas paired.
    other = growth_statistics(net, 0, _randn(50, 5, seed=6), y, half_mse)
    gains = proposal.held_out_gains(other)
    assert not torch.allclose(gains, lam.square())
    picked = proposal.select([2, 0])
    torch.testing.assert_close(picked.held_out_gains(other), gains[[2, 0]])
    assert picked.neuron_gain == pytest.approx(float(lam[2] ** 2 + lam[0] ** 2))


@pytest.mark.parametrize("activation", ["identity", "tanh", "relu", "elu"])
@pytest.mark.parametrize("n_hidden", [1, 3])
def test_from_linear_holds_the_affine_map_on_the_rows(activation, n_hidden):
    X = 5 * _randn(200, 6, seed=7) + 3.0
    W, b = _randn(4, 6, seed=8), _randn(4, seed=9)
    net = GrowingMLP.from_linear(W, b, X, n_hidden=n_hidden, activation=activation)
    assert net.hidden_sizes == [4] * n_hidden
    with torch.no_grad():
        out = net.double()(X)
    expected = X @ W.T + b
    # exact up to float32 storage of the weights; tanh to its linear range
    rtol = 1e-3 if activation == "tanh" else 1e-5
    torch.testing.assert_close(out, expected, rtol=rtol, atol=rtol * 10)
    state = torch.random.get_rng_state()
    GrowingMLP.from_linear(W, b, X)
    assert torch.equal(state, torch.random.get_rng_state())
    with pytest.raises(ValueError, match="linear range"):
        GrowingMLP.from_linear(W, b, X, activation="logistic")


@pytest.mark.parametrize("activation", ["identity", "relu", "elu"])
@pytest.mark.parametrize("sizes", [[5, 3, 2], [5, 4, 0, 3]])
def test_add_hidden_layer_keeps_the_function(activation, sizes):
    net = GrowingMLP(
        sizes, activation=activation, generator=torch.Generator().manual_seed(3)
    ).double()
    X = 3 * _randn(100, 5, seed=4)
    with torch.no_grad():
        before = net(X)
        net.add_hidden_layer()
        after = net(X)
    assert net.hidden_sizes == [*sizes[1:-1], sizes[-2]]
    torch.testing.assert_close(after, before, rtol=1e-12, atol=1e-12)
    # the new layer is trainable like the others, and can grow
    assert len(list(net.parameters())) == 2 * (len(sizes))
    net.grow(len(sizes) - 2, torch.ones(2, sizes[-2] + 1), torch.ones(sizes[-1], 2))
    assert net.hidden_sizes[-1] == sizes[-2] + 2


@pytest.mark.parametrize("activation", ["tanh", "logistic"])
def test_add_hidden_layer_needs_an_exact_identity(activation):
    net = GrowingMLP([3, 2, 1], activation=activation)
    with pytest.raises(ValueError, match="no exact identity"):
        net.add_hidden_layer()


@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu", "elu"])
@pytest.mark.parametrize("alpha", [0.0, 0.3])
@pytest.mark.parametrize("sizes", [[5, 7, 3], [5, 7, 6, 2], [4, 1]])
def test_hand_written_backward_equals_autograd(activation, alpha, sizes):
    from functools import partial

    from sklearn_spectral.train.trainer import loss_and_gradient_by_autograd

    net = _net(sizes, activation, seed=1)
    x, target = _randn(9, sizes[0], seed=2), _randn(9, sizes[-1], seed=3)
    weight = _randn(9, seed=4).abs()

    def loss_fn(out):
        return (weight[:, None] * (out - target) ** 2).mean()

    net.zero_grad(set_to_none=True)
    out, l2 = net.forward_with_l2(x)
    expected_loss = loss_fn(out) + 0.5 * alpha * l2 / x.shape[0]
    expected_loss.backward()
    expected = {name: p.grad.clone() for name, p in net.named_parameters()}
    net.layers[0].bias.requires_grad_(False)  # a frozen parameter gets none
    net.zero_grad(set_to_none=True)
    loss = net.loss_and_backward(
        x, partial(loss_and_gradient_by_autograd, loss_fn), alpha
    )
    torch.testing.assert_close(loss, expected_loss.detach(), rtol=1e-12, atol=1e-12)
    for name, p in net.named_parameters():
        if name == "layers.0.bias":
            assert p.grad is None
        else:
            torch.testing.assert_close(p.grad, expected[name], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("activation", ["identity", "tanh", "relu", "elu"])
@pytest.mark.parametrize("depth", [1, 2])
def test_mixture_computes_the_weighted_sum_of_two_networks(activation, depth):
    first = GrowingMLP(
        [4, *[5] * depth, 3],
        activation=activation,
        generator=torch.Generator().manual_seed(0),
    ).double()
    second = GrowingMLP(
        [4, *[2] * depth, 3],
        activation=activation,
        generator=torch.Generator().manual_seed(1),
    )  # (float32: moved to the first network's dtype)
    mixed = GrowingMLP.mixture(first, second, 0.3)
    assert mixed.hidden_sizes == [7] * depth
    assert mixed.layers[0].weight.dtype == torch.float64
    X = 2 * _randn(50, 4, seed=2)
    with torch.no_grad():
        expected = 0.3 * first(X) + 0.7 * second.double()(X)
        torch.testing.assert_close(mixed(X), expected, rtol=1e-6, atol=1e-6)
    # a trainable network of its own: the inputs are not shared with them
    assert len(list(mixed.parameters())) == 2 * (depth + 1)
    assert all(
        p.data_ptr() != q.data_ptr()
        for p in mixed.parameters()
        for q in [*first.parameters(), *second.parameters()]
    )


def test_mixture_needs_networks_of_the_same_shape():
    a = GrowingMLP([4, 5, 3])
    with pytest.raises(ValueError, match="same activation, number of layers"):
        GrowingMLP.mixture(a, GrowingMLP([4, 5, 5, 3]), 0.5)
    with pytest.raises(ValueError, match="same activation"):
        GrowingMLP.mixture(a, GrowingMLP([4, 5, 3], activation="tanh"), 0.5)
    with pytest.raises(ValueError, match="outputs"):
        GrowingMLP.mixture(a, GrowingMLP([4, 5, 2]), 0.5)
