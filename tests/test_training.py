import warnings

import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from torch.nn import functional as F

from sklearn_spectral.train import Callback
from sklearn_spectral.train.trainer import Trainer


class _OnEpochEnd(Callback):
    """A callback that calls ``fn(trainer)`` after each epoch."""

    def __init__(self, fn):
        self.fn = fn

    def on_epoch_end(self, trainer):
        self.fn(trainer)


def _data(n=64, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=g)
    y = (X @ torch.tensor([[1.0], [-2.0], [0.5]])) + 0.1 * torch.randn(
        n, 1, generator=g
    )
    return X, y


def _mse(out, target, w=None):
    per_sample = 0.5 * (out - target).square().mean(dim=1)
    return per_sample.mean() if w is None else (per_sample * w).mean()


def _neg_mse(out, target, w):
    return -F.mse_loss(out, target).item()


def _linear(seed=0):
    torch.manual_seed(seed)  # test-local: only the module's init
    return torch.nn.Linear(3, 1)


def test_loss_decreases_and_curve_is_recorded():
    X, y = _data()
    trainer = Trainer(
        _linear(),
        _mse,
        learning_rate_init=0.05,
        batch_size=16,
        max_iter=30,
        generator=torch.Generator().manual_seed(0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        trainer.fit(X, y)
    assert trainer.n_iter == len(trainer.loss_curve) >= 2
    assert trainer.loss_curve[-1] < 0.2 * trainer.loss_curve[0]
    assert trainer.best_loss == min(trainer.loss_curve)


def test_no_improvement_stops_like_mlpclassifier():
    # With a zero step the loss never improves by tol: epoch 1 sets the best,
    # then the counter must exceed n_iter_no_change, as in MLPClassifier.
    X, y = _data()
    trainer = Trainer(
        _linear(),
        _mse,
        learning_rate_init=0.0,
        max_iter=100,
        n_iter_no_change=3,
        tol=1e-4,
    )
    trainer.fit(X, y)
    assert trainer.n_iter == 3 + 2
    assert "did not improve" in trainer.stop_reason


def test_max_iter_warns():
    X, y = _data()
    trainer = Trainer(_linear(), _mse, learning_rate_init=0.01, max_iter=2)
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        trainer.fit(X, y)
    assert trainer.n_iter == 2


def test_callbacks_run_every_epoch_and_can_stop():
    X, y = _data()
    seen = []

    def callback(trainer):
        seen.append(trainer.epoch)
        if trainer.epoch == 4:
            trainer.stop_training = True

    trainer = Trainer(_linear(), _mse, max_iter=50, callbacks=[_OnEpochEnd(callback)])
    trainer.fit(X, y)
    assert seen == [1, 2, 3, 4]
    assert trainer.n_iter == 4


def test_early_stopping_keeps_the_best_validation_state():
    X, y = _data(128)
    X_val, y_val = _data(64, seed=1)
    trainer = Trainer(
        _linear(),
        _mse,
        score_fn=_neg_mse,
        learning_rate_init=0.05,
        batch_size=16,
        max_iter=200,
        n_iter_no_change=5,
    )
    trainer.fit(X, y, X_val=X_val, y_val=y_val)
    assert len(trainer.validation_scores) == trainer.n_iter
    with torch.no_grad():
        final = _neg_mse(trainer.module(X_val), y_val, None)
    assert final == pytest.approx(max(trainer.validation_scores), rel=1e-6)


def test_sample_weight_is_a_weighted_mean():
    # Full batch, no shuffle: weights (normalized to mean 1) that zero out the
    # second half give the same fit as training on the first half alone.
    X, y = _data(40)
    w = torch.cat([torch.full((20,), 2.0), torch.zeros(20)])
    kwargs = dict(learning_rate_init=0.05, batch_size=40, max_iter=10, shuffle=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        weighted = Trainer(_linear(), _mse, **kwargs).fit(X, y, w)
        kwargs["batch_size"] = 20
        subset = Trainer(_linear(), _mse, **kwargs).fit(X[:20], y[:20])
    assert weighted.loss_curve == pytest.approx(subset.loss_curve, rel=1e-5)


class _Exploding(torch.nn.Module):
    """Finite until its ``explode_at``-th forward call, then NaN."""

    def __init__(self, explode_at):
        super().__init__()
        self.linear = torch.nn.Linear(3, 1)
        self.calls = 0
        self.explode_at = explode_at

    def forward(self, x):
        self.calls += 1
        out = self.linear(x)
        return out * float("nan") if self.calls >= self.explode_at else out


def test_divergence_after_a_finite_epoch_warns_and_restores_it():
    X, y = _data(32)
    module = _Exploding(explode_at=5)  # 2 batches per epoch: epoch 3 diverges
    states = []
    trainer = Trainer(
        module,
        _mse,
        batch_size=16,
        max_iter=10,
        callbacks=[
            _OnEpochEnd(
                lambda t: states.append(
                    {k: v.clone() for k, v in t.module.state_dict().items()}
                )
            )
        ],
    )
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 3"):
        trainer.fit(X, y)
    assert trainer.n_iter == 2
    for key, value in module.state_dict().items():
        assert torch.equal(value, states[-1][key])
        assert torch.isfinite(value).all()


def test_divergence_in_the_first_epoch_raises():
    X, y = _data(32)
    trainer = Trainer(_Exploding(explode_at=1), _mse, batch_size=16, max_iter=10)
    with pytest.raises(FloatingPointError, match="No finite model"):
        trainer.fit(X, y)


def test_callbacks_see_every_optimizer_step():
    X, y = _data(40)
    steps = []

    class Steps(Callback):
        def on_step_end(self, trainer):
            steps.append(trainer.epoch)

    trainer = Trainer(_linear(), _mse, batch_size=16, max_iter=2, callbacks=[Steps()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        trainer.fit(X, y)
    assert steps == [0, 0, 0, 1, 1, 1]  # 3 batches per epoch, during epochs 1, 2


def test_hand_written_backward_trains_like_autograd():
    # A module with loss_and_backward (SpectralMLP) is trained through it; the
    # loss curve must be the one backward() gives, with alpha and weights.
    from sklearn_spectral.nn import SpectralMLP

    X, y = _data(n=50)
    X, y = X.double(), y.double()
    w = torch.rand(50, generator=torch.Generator().manual_seed(1), dtype=X.dtype)
    curves = []
    for hand_written in (True, False):
        net = SpectralMLP(
            [3, 6, 1], activation="tanh", generator=torch.Generator().manual_seed(0)
        ).double()
        if not hand_written:
            net.loss_and_backward = None  # the trainer falls back to autograd
        trainer = Trainer(
            net,
            _mse,
            alpha=0.1,
            learning_rate_init=0.01,
            batch_size=16,
            max_iter=5,
            generator=torch.Generator().manual_seed(0),
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            trainer.fit(X, y, sample_weight=w)
        curves.append(trainer.loss_curve)
    assert len(curves[0]) == 5
    torch.testing.assert_close(
        torch.tensor(curves[0]), torch.tensor(curves[1]), rtol=1e-10, atol=0
    )


def test_divergence_in_the_first_epoch_of_a_warm_fit_keeps_the_start():
    X, y = _data()
    module = _linear()
    start = {k: v.clone() for k, v in module.state_dict().items()}
    trainer = Trainer(
        module,
        _mse,
        learning_rate_init=1e30,
        max_iter=5,
        generator=torch.Generator().manual_seed(0),
        keep_initial_state=True,
    )
    with pytest.warns(ConvergenceWarning, match="model training started from"):
        trainer.fit(X * 1e20, y)
    assert trainer.n_iter == 0
    for k, v in module.state_dict().items():
        assert torch.equal(v, start[k])
    # Without a model to fall back on, the same fit is an error.
    with pytest.raises(FloatingPointError, match="No finite model"):
        Trainer(_linear(), _mse, learning_rate_init=1e30, max_iter=5).fit(X * 1e20, y)


def test_epoch_loss_weights_the_last_smaller_batch_by_its_rows():
    # 50 rows in batches of 16 (the last one has 2 rows): with a zero step the
    # epoch loss is the loss of the whole data set.
    X, y = _data(n=50)
    module = _linear()
    trainer = Trainer(
        module,
        _mse,
        learning_rate_init=0.0,
        batch_size=16,
        max_iter=1,
        generator=torch.Generator().manual_seed(0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        trainer.fit(X, y)
    with torch.no_grad():
        expected = float(_mse(module(X), y))
    assert trainer.loss_curve[0] == pytest.approx(expected, rel=1e-6)


class _Phase(Callback):
    """Starts one new phase at the first plateau, adding a constant penalty."""

    def __init__(self, penalty=0.0):
        self.started_at = None
        self.value = penalty

    def on_plateau(self, trainer):
        if self.started_at is not None:
            return False
        self.started_at = trainer.n_iter
        return True

    def penalty(self, module):
        return self.value if self.started_at is not None else 0.0


def test_a_plateau_callback_starts_a_new_phase_with_a_fresh_stopping_rule():
    # A zero step never improves: the first phase stops after 1 + 4 epochs,
    # the new phase counts afresh (its first epoch sets the new best), and
    # its penalty enters the recorded loss from its first epoch on.
    X, y = _data()
    phase = _Phase(penalty=10.0)
    trainer = Trainer(
        _linear(),
        _mse,
        learning_rate_init=0.0,
        max_iter=100,
        n_iter_no_change=3,
        callbacks=[phase],
    )
    trainer.fit(X, y)
    assert phase.started_at == 5
    assert trainer.n_iter == 10
    assert "did not improve" in trainer.stop_reason
    first, second = trainer.loss_curve[:5], trainer.loss_curve[5:]
    assert second == pytest.approx([first[0] + 10.0] * 5)
    assert trainer.best_loss == pytest.approx(first[0] + 10.0)


def test_a_new_phase_starts_from_the_best_validation_model():
    # The new phase freezes the model (step 0): its epochs must then score
    # exactly the first phase's best validation model, which is also kept.
    X, y = _data(128)
    X_val, y_val = _data(64, seed=1)
    best_at_switch = {}

    class Freeze(_Phase):
        def on_plateau(self, trainer):
            started = super().on_plateau(trainer)
            if started:
                best_at_switch["score"] = trainer.best_validation_score
                best_at_switch["last"] = trainer.validation_scores[-1]
                for group in trainer.optimizer.param_groups:
                    group["lr"] = 0.0
            return started

    phase = Freeze()
    trainer = Trainer(
        _linear(),
        _mse,
        score_fn=_neg_mse,
        learning_rate_init=0.05,
        batch_size=16,
        max_iter=300,
        n_iter_no_change=5,
        callbacks=[phase],
    )
    trainer.fit(X, y, X_val=X_val, y_val=y_val)
    assert best_at_switch["last"] < best_at_switch["score"]  # not the last model
    in_phase = trainer.validation_scores[phase.started_at :]
    assert in_phase == [best_at_switch["score"]] * 7
    # The frozen phase stopped on the training loss, not the validation score.
    assert trainer.stop_reason.startswith("Training loss")
    with torch.no_grad():
        final = _neg_mse(trainer.module(X_val), y_val, None)
    assert final == pytest.approx(best_at_switch["score"], rel=1e-6)


def test_a_tied_validation_score_goes_to_the_lower_validation_loss():
    # A coarse score (accuracy on a few rows) saturates at once: the epochs
    # it ties improve while the validation loss still does, and the kept
    # model is the tied one of lowest validation loss, not the first.
    X, y = _data(128)
    X_val, y_val = _data(64, seed=1)

    def coarse(out, target, w):  # constant: every epoch ties
        return 1.0

    val_losses = []

    def recorded(out, target, w=None):
        loss = _mse(out, target, w)
        if out.shape[0] == X_val.shape[0] and not torch.is_grad_enabled():
            val_losses.append(float(loss))
        return loss

    trainer = Trainer(
        _linear(),
        recorded,
        score_fn=coarse,
        learning_rate_init=0.05,
        batch_size=16,
        max_iter=200,
        n_iter_no_change=5,
    )
    trainer.fit(X, y, X_val=X_val, y_val=y_val)
    assert trainer.n_iter > 10  # MLPClassifier's rule stops after epoch 7
    assert trainer.best_validation_score == 1.0
    with torch.no_grad():
        final = float(_mse(trainer.module(X_val), y_val))
    assert final == pytest.approx(min(val_losses), rel=1e-6)
    assert final < 0.5 * val_losses[0]


def test_the_best_validation_model_survives_a_change_of_shape():
    # A callback swaps in a network of other shapes (as growth does, without
    # replace_module); it validates worse, so the end of training puts back
    # the best model, whole, as MLPClassifier keeps its best.
    X, y = _data(128)
    X_val, y_val = _data(64, seed=1)

    class Widen(Callback):
        def on_epoch_end(self, trainer):
            if trainer.epoch == 20:
                torch.manual_seed(1)
                trainer.module = torch.nn.Sequential(
                    torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)
                )
                trainer.optimizer = torch.optim.SGD(trainer.module.parameters(), lr=0)

    trainer = Trainer(
        _linear(),
        _mse,
        score_fn=_neg_mse,
        learning_rate_init=0.05,
        batch_size=16,
        max_iter=40,
        n_iter_no_change=100,
        callbacks=[Widen()],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        trainer.fit(X, y, X_val=X_val, y_val=y_val)
    assert max(trainer.validation_scores[20:]) < max(trainer.validation_scores[:20])
    assert isinstance(trainer.module, torch.nn.Linear)
    with torch.no_grad():
        final = _neg_mse(trainer.module(X_val), y_val, None)
    assert final == pytest.approx(max(trainer.validation_scores), rel=1e-6)
    assert trainer.best_validation_score == max(trainer.validation_scores)


def test_the_loop_calls_each_named_event_in_order():
    # One epoch diverges: the callbacks see the steps, the epochs, the
    # rollback to the last finite epoch and the end, in this order.
    X, y = _data(32)
    events = []

    class Recorder(Callback):
        def on_step_end(self, trainer):
            events.append("step")

        def on_epoch_end(self, trainer):
            events.append(f"epoch {trainer.epoch}")

        def on_rollback(self, trainer, epoch):
            events.append(f"rollback to {epoch}")

        def on_fit_end(self, trainer):
            events.append("end")

    trainer = Trainer(
        _Exploding(explode_at=5),
        _mse,
        batch_size=16,
        max_iter=10,
        callbacks=[Recorder()],
    )
    with pytest.warns(ConvergenceWarning, match="diverged at epoch 3"):
        trainer.fit(X, y)
    assert events == [
        "step", "step", "epoch 1",
        "step", "step", "epoch 2",
        "step", "step", "rollback to 2", "end",
    ]  # fmt: skip


def test_the_l2_penalty_of_a_batch_is_divided_by_its_raw_weight_sum():
    """Per batch, alpha * rows / (weight_scale * sum of its mean-1 weights):
    the raw weight sum, as MLPClassifier divides by; taken for every batch of
    the epoch at once, in the order the batches are drawn."""
    g = torch.Generator().manual_seed(0)
    w = torch.rand(23, generator=g)
    w[5:10] = 0.0  # a batch of weight 0 keeps alpha / rows
    trainer = Trainer(_linear(), _mse, alpha=0.3, weight_scale=2.5)
    alphas = trainer._batch_alphas(w, None, batch_size=5)
    expected = []
    for start in range(0, 23, 5):
        batch = w[start : start + 5]
        total = float(batch.double().sum()) * 2.5
        expected.append(0.3 * len(batch) / total if total > 0 else 0.3)
    assert alphas == pytest.approx(expected, rel=1e-12)
    assert len(alphas) == 5 and alphas[1] == 0.3
    assert Trainer(_linear(), _mse)._batch_alphas(w, None, batch_size=5) is None
