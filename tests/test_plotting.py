import warnings

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_friedman1
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from sklearn_spectral import (
    GrowingMLPRegressor,
    SpectralMLPClassifier,
    SpectralNASRegressor,
    SpectralPruner,
)
from sklearn_spectral.plotting import (
    GrowthHistoryDisplay,
    PruningCurveDisplay,
    SpectrumDisplay,
    TopologyDisplay,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_and_quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield
    plt.close("all")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_spectrum_of_a_spectral_mlp_and_of_a_nas_network(iris):
    X, y = iris
    clf = SpectralMLPClassifier((8, 6), max_iter=20, device="cpu").fit(X, y)
    display = SpectrumDisplay.from_estimator(clf)
    assert [len(line.get_xdata()) for line in display.lines_] == [8, 6, 3]
    top = display.lines_[0].get_ydata()
    assert np.all(np.diff(top) <= 0)  # sorted, largest first
    nas = SpectralNASRegressor((5,), max_iter=20, device="cpu").fit(X, X[:, 0] ** 2)
    display = SpectrumDisplay.from_estimator(nas)
    assert [len(line.get_xdata()) for line in display.lines_] == [4, 5, 1]
    assert [t.get_text() for t in display.ax_.get_legend().get_texts()] == [
        "input",
        "hidden 1",
        "output",
    ]


def test_topology_draws_every_nonzero_block_with_width_by_norm():
    X, y = make_friedman1(300, random_state=0)
    X = StandardScaler().fit_transform(X)
    nas = SpectralNASRegressor((6, 6), random_state=0, device="cpu", max_iter=60)
    nas.fit(X, y)
    display = TopologyDisplay.from_estimator(nas)
    norms = nas.topology_["block_norms"]
    assert set(display.block_lines_) == {
        (int(i), int(j)) for i, j in zip(*np.nonzero(norms), strict=True)
    }
    widths = {k: line.get_linewidth() for k, line in display.block_lines_.items()}
    strongest = max(display.block_lines_, key=lambda k: norms[k])
    assert widths[strongest] == max(widths.values())
    assert [len(c.get_offsets()) for c in display.node_collections_] == [10, 6, 6, 1]


def test_topology_of_a_spectral_mlp_has_the_adjacent_blocks(iris):
    X, y = iris
    clf = SpectralMLPClassifier((8,), max_iter=20, device="cpu").fit(X, y)
    display = TopologyDisplay.from_estimator(clf)
    assert sorted(display.block_lines_) == [(1, 0), (2, 1)]


def test_growth_history_display():
    X, y = make_friedman1(300, random_state=0)
    X = StandardScaler().fit_transform(X)
    reg = GrowingMLPRegressor(random_state=0, device="cpu", max_iter=30).fit(X, y)
    display = GrowthHistoryDisplay.from_estimator(reg)
    widths = display.width_line_.get_ydata()
    assert widths[0] == sum(reg.initial_hidden_layer_sizes)  # before any growth
    assert reg.growth_history_[0]["neurons_added"] > 0 and widths[1] > widths[0]
    assert widths[-1] == sum(reg.hidden_layer_sizes_)
    assert len(display.loss_line_.get_xdata()) == reg.n_iter_
    assert len(display.singular_value_collections_) == len(reg.growth_history_)


def test_pruning_curve_display(iris):
    X, y = iris
    net = SpectralMLPClassifier((16,), max_iter=50, device="cpu", random_state=0)
    pruner = SpectralPruner(net).fit(X, y)
    display = PruningCurveDisplay.from_estimator(pruner, X, y, fractions=[0, 0.5, 0.9])
    np.testing.assert_allclose(display.line_.get_xdata(), [0, 50, 90])
    assert display.line_.get_ydata()[0] == pruner.unpruned_estimator_.score(X, y)
    assert display.ax_.get_legend().get_texts()[0].get_text() == "eigenvalue"


def test_displays_refuse_estimators_without_eigenvalues():
    X, y = make_friedman1(100, random_state=0)
    reg = GrowingMLPRegressor(device="cpu", max_iter=5).fit(X, y)
    with pytest.raises(TypeError, match="no eigenvalues"):
        SpectrumDisplay.from_estimator(reg)
