"""numpydoc shared by the estimators' docstrings."""

#: numpydoc of the parameters every estimator shares, between ``max_iter``
#: and ``early_stopping`` in their signatures.
SHARED_PARAMETERS_DOC = """    shuffle : bool, default=True
        Whether to shuffle the rows every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds every random choice of the fit (initialization, shuffling, the
        validation split, growth subsamples). The global NumPy and torch
        random states are never used.
    tol : float, default=1e-4
        Minimum improvement of the loss (or validation score) that counts.
    verbose : bool or int, default=False
        Report every epoch: a tqdm progress bar (loss, validation score and,
        for growing networks, the current widths) when tqdm is installed
        (``pip install tqdm``), else one printed line per epoch.
    warm_start : bool, default=False
        Continue from the previously fitted network instead of a new one.
"""

#: numpydoc of ``device`` and ``dtype``, the last parameters of every estimator.
DEVICE_DOC = """    device : str or torch.device, default="auto"
        Training device: ``"auto"`` (CUDA when available), ``"cpu"``,
        ``"cuda"`` or ``"cuda:N"``. The fitted network is kept on the CPU in
        float64, so a model fitted on a GPU unpickles and predicts anywhere.
    dtype : {"float32", "float64"}, default="float32"
        Precision of training. ``"float32"`` is fast, on GPUs above all;
        ``"float64"`` trains as ``MLPClassifier`` computes, and makes fits
        reproducible to rounding: with full batches (``batch_size`` at least
        the rows) and no split of the rows, a row of weight ``k`` then fits
        as ``k`` copies of it, as scikit-learn's sample-weight check asks.
"""

#: numpydoc of the fitted attributes every estimator shares.
SHARED_ATTRIBUTES_DOC = """    n_iter_ : int
        Epochs run by the last call to ``fit`` (as ``MLPClassifier``: a
        ``warm_start`` fit counts its own).
    t_ : int
        Training rows the optimizer has seen, over every ``warm_start`` fit
        (``n_iter_`` times the rows per epoch, as ``MLPClassifier``).
    loss_ : float
        Training loss of the last epoch (``loss_curve_`` has every epoch's).
        Regressors train on ``y`` standardized column by column: their loss
        is half the mean squared error in units of ``y``'s standard
        deviation (scikit-learn's ``MLPRegressor`` reports it in ``y``'s own
        units).
    best_loss_ : float or None
        Lowest training loss (``None`` with early stopping).
    validation_scores_ : list of float or None
        Validation score of every epoch (``None`` without early stopping).
    best_validation_score_ : float or None
        Validation score of the kept model (``None`` without early
        stopping): the best of every epoch, as ``MLPClassifier``, also
        across growth steps; after a decision that replaced the network
        (growth's restored or linear network, SpectralNAS's compaction
        phase), the best since then.
    device_ : str
        Device the network was trained on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when ``X`` has string column
        names.
"""
