"""Matplotlib displays of what the estimators learned.

scikit-learn's ``Display`` pattern: build one from a fitted estimator with
``from_estimator`` (or from the numbers directly), then ``plot(ax=None)``;
the drawn artists are kept as attributes. matplotlib is imported only when
something is drawn (``pip install matplotlib``).
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots()
    return ax


def _node_eigenvalues(estimator):
    """One array of node eigenvalues per layer, and the layer names."""
    check_is_fitted(estimator)
    if hasattr(estimator, "topology_"):  # global spectral network: one per layer
        values = estimator.eigenvalues_
        names = ["input"] + [f"hidden {k}" for k in range(1, len(values) - 1)]
        return values, names + ["output"]
    if hasattr(estimator, "eigenvectors_"):  # layer-wise: lambda_out per layer
        values = [
            lam[phi.shape[1] :]
            for lam, phi in zip(
                estimator.eigenvalues_, estimator.eigenvectors_, strict=True
            )
        ]
        names = [f"hidden {k}" for k in range(1, len(values))] + ["output"]
        return values, names
    raise TypeError(f"{type(estimator).__name__} has no eigenvalues to plot.")


class SpectrumDisplay:
    """Eigenvalue spectrum per layer: ``|lambda|`` of every node, sorted.

    Parameters
    ----------
    eigenvalues : list of ndarray
        Node eigenvalues of each layer.
    layer_names : list of str
        One name per layer.

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        One line per layer.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_spectral import SpectralMLPClassifier
    >>> from sklearn_spectral.plotting import SpectrumDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SpectralMLPClassifier((8,), max_iter=20, device="cpu").fit(X, y)
    >>> len(SpectrumDisplay.from_estimator(clf).lines_)
    2
    """

    def __init__(self, eigenvalues, layer_names):
        self.eigenvalues = eigenvalues
        self.layer_names = layer_names

    @classmethod
    def from_estimator(cls, estimator, *, ax=None):
        """Spectrum of a fitted SpectralMLP* or SpectralNAS* estimator."""
        values, names = _node_eigenvalues(estimator)
        return cls(values, names).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the spectrum; returns ``self``."""
        ax = _axes(ax)
        self.lines_ = []
        for values, name in zip(self.eigenvalues, self.layer_names, strict=True):
            magnitudes = np.sort(np.abs(np.asarray(values)))[::-1]
            rank = np.linspace(0, 1, len(magnitudes)) if len(magnitudes) > 1 else [0]
            (line,) = ax.plot(rank, magnitudes, "o-", ms=3, label=name)
            self.lines_.append(line)
        ax.set_xlabel("node rank (0 = largest |lambda|)")
        ax.set_ylabel("|lambda|")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self


class TopologyDisplay:
    """The learned architecture as a layered graph.

    Nodes are drawn column by column, sized by ``|lambda|``; every block
    ``W_{i,j}`` with a nonzero norm is drawn as an arc from layer ``j`` to
    layer ``i`` whose width grows with ``||W_{i,j}||`` (long-range blocks of
    the spectral architecture search included).

    Parameters
    ----------
    eigenvalues : list of ndarray
        Node eigenvalues of each layer (input first).
    block_norms : ndarray of shape (n_layers, n_layers)
        ``||W_{i,j}||`` in the lower triangle.

    Attributes
    ----------
    node_collections_ : list of matplotlib PathCollection
        One scatter per layer.
    block_lines_ : dict
        ``{(i, j): Line2D}`` for every drawn block.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_spectral.plotting import TopologyDisplay
    >>> norms = np.array([[0, 0, 0], [1.0, 0, 0], [0.5, 2.0, 0]])
    >>> display = TopologyDisplay([np.ones(3), np.ones(4), np.ones(1)], norms).plot()
    >>> sorted(display.block_lines_)
    [(1, 0), (2, 0), (2, 1)]
    """

    def __init__(self, eigenvalues, block_norms):
        self.eigenvalues = eigenvalues
        self.block_norms = block_norms

    @classmethod
    def from_estimator(cls, estimator, *, ax=None):
        """Topology of a fitted SpectralNAS* (long-range blocks included) or
        SpectralMLP* (adjacent blocks) estimator."""
        check_is_fitted(estimator)
        if hasattr(estimator, "topology_"):
            return cls(estimator.eigenvalues_, estimator.topology_["block_norms"]).plot(
                ax=ax
            )
        if not hasattr(estimator, "eigenvectors_"):
            raise TypeError(f"{type(estimator).__name__} has no spectral topology.")
        n_in = estimator.coefs_[0].shape[0]
        values = [np.ones(n_in)] + _node_eigenvalues(estimator)[0]
        norms = np.zeros((len(values), len(values)))
        for k, coef in enumerate(estimator.coefs_):
            norms[k + 1, k] = np.linalg.norm(coef)
        return cls(values, norms).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the graph; returns ``self``."""
        ax = _axes(ax)
        norms = np.asarray(self.block_norms, dtype=float)
        largest = norms.max() if norms.max() > 0 else 1.0
        self.block_lines_ = {}
        for i, j in zip(*np.nonzero(np.tril(norms, -1)), strict=True):
            span = i - j
            x = np.linspace(j, i, 30)
            arc = 0.15 * (span - 1) * np.sin(np.pi * (x - j) / span)  # long-range
            (line,) = ax.plot(
                x, 0.5 + arc, color="C1", alpha=0.6, lw=0.5 + 6 * norms[i, j] / largest
            )
            self.block_lines_[(int(i), int(j))] = line
        self.node_collections_ = []
        scale = max(np.abs(np.concatenate(self.eigenvalues)).max(), 1e-12)
        for k, values in enumerate(self.eigenvalues):
            values = np.abs(np.asarray(values))
            y = (np.arange(len(values)) + 0.5) / max(len(values), 1)
            sizes = 5 + 80 * values / scale
            self.node_collections_.append(
                ax.scatter(np.full(len(values), k), y, s=sizes, color="C0", zorder=3)
            )
        ax.set_xticks(range(len(self.eigenvalues)))
        ax.set_xlabel("layer")
        ax.set_yticks([])
        ax.set_title("nodes sized by |lambda|, blocks by ||W_ij||")
        self.ax_, self.figure_ = ax, ax.figure
        return self


class GrowthHistoryDisplay:
    """How a growing network grew: width and loss against epoch, and the
    singular values of the bottleneck at every growth step.

    Parameters
    ----------
    growth_history : list of dict
        ``growth_history_`` of a fitted growing estimator.
    loss_curve : list of float
        ``loss_curve_`` of the same estimator.
    hidden_layer_sizes : tuple of int, default=None
        The fitted widths (``hidden_layer_sizes_``): when growth put back an
        earlier network or a linear model replaced it, the width line ends
        with a step to them at the last epoch.

    Attributes
    ----------
    width_line_, loss_line_ : matplotlib Line2D
    singular_value_collections_ : list of matplotlib PathCollection
        One scatter per growth step.
    axes_ : ndarray of matplotlib Axes
        The width/loss axes and the singular-value axes.
    figure_ : matplotlib Figure
    """

    def __init__(self, growth_history, loss_curve, hidden_layer_sizes=None):
        self.growth_history = growth_history
        self.loss_curve = loss_curve
        self.hidden_layer_sizes = hidden_layer_sizes

    @classmethod
    def from_estimator(cls, estimator, *, axes=None):
        """History of a fitted GrowingMLPClassifier / GrowingMLPRegressor."""
        check_is_fitted(estimator)
        return cls(
            estimator.growth_history_,
            estimator.loss_curve_,
            estimator.hidden_layer_sizes_,
        ).plot(axes=axes)

    def plot(self, axes=None):
        """Draw both panels; returns ``self``."""
        import matplotlib.pyplot as plt

        own_figure = axes is None
        if own_figure:
            _, axes = plt.subplots(1, 2, figsize=(10, 4))
        left, right = axes
        history = self.growth_history
        if history:  # the width before the first step
            first = history[0]
            start = sum(first["hidden_layer_sizes"]) - first["neurons_added"]
        else:
            start = sum(self.hidden_layer_sizes or ())
        epochs = [0] + [h["epoch"] for h in history]
        widths = [start] + [sum(h["hidden_layer_sizes"]) for h in history]
        if self.hidden_layer_sizes is not None:
            epochs.append(max(len(self.loss_curve), epochs[-1]))
            widths.append(sum(self.hidden_layer_sizes))
        (self.width_line_,) = left.step(epochs, widths, where="post", color="C0")
        left.set_xlabel("epoch")
        left.set_ylabel("hidden neurons", color="C0")
        twin = left.twinx()
        (self.loss_line_,) = twin.plot(
            np.arange(1, len(self.loss_curve) + 1), self.loss_curve, color="C1"
        )
        twin.set_ylabel("training loss", color="C1")
        self.singular_value_collections_ = []
        for step, h in enumerate(history):
            values = np.asarray(h["singular_values"])
            self.singular_value_collections_.append(
                right.scatter(np.full(len(values), step), values, s=8)
            )
        right.set_xlabel("growth step")
        right.set_ylabel("singular values lambda_k")
        if own_figure:
            left.figure.tight_layout()
        self.axes_, self.figure_ = np.array([left, right]), left.figure
        return self


class PruningCurveDisplay:
    """Score against the fraction of hidden nodes removed.

    Parameters
    ----------
    fractions, scores : array-like
        From :meth:`SpectralPruner.pruning_curve`.
    label : str, default=None
        Legend label (e.g. the criterion).

    Attributes
    ----------
    line_ : matplotlib Line2D
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    """

    def __init__(self, fractions, scores, *, label=None):
        self.fractions = fractions
        self.scores = scores
        self.label = label

    @classmethod
    def from_estimator(cls, pruner, X, y, *, fractions=None, ax=None):
        """Curve of a fitted :class:`SpectralPruner` on ``X``, ``y``."""
        curve = pruner.pruning_curve(X, y, fractions)
        return cls(curve["fractions"], curve["scores"], label=pruner.criterion).plot(
            ax=ax
        )

    def plot(self, ax=None):
        """Draw the curve; returns ``self``."""
        ax = _axes(ax)
        (self.line_,) = ax.plot(
            100 * np.asarray(self.fractions), self.scores, "o-", label=self.label
        )
        ax.set_xlabel("hidden nodes removed (%)")
        ax.set_ylabel("score")
        if self.label is not None:
            ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self
