"""Input validation, devices, threads and seeding for the torch estimators."""

from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.validation import (
    validate_data,
)

#: Rows per chunk when predicting, so that hidden activations stay bounded.
PREDICT_CHUNK = 65536

#: Largest magnitude of a float32: the networks train in float32, where a
#: larger (finite float64) input would become infinite.
FLOAT32_MAX = float(np.finfo(np.float32).max)

#: Below this many multiply-adds per batch (batch size x parameters), CPU
#: training runs on one thread: on 2 cores, one thread fitted load_digits
#: 1.2x and load_breast_cancer 1.5x faster, while a 1024 x 79k-parameter
#: batch ran 1.4x faster on two (benchmarks/bench_spectral_mlp.py and
#: bench_throughput.py with OMP_NUM_THREADS=1 and 2).
SINGLE_THREAD_WORK = 10_000_000


@contextmanager
def training_threads(module, batch_size, device):
    """Use one torch thread while training a small network on the CPU.

    The thread setting is process-wide in torch; it is restored on exit.
    """
    n_params = sum(p.numel() for p in module.parameters())
    previous = torch.get_num_threads()
    small = device.type == "cpu" and batch_size * n_params < SINGLE_THREAD_WORK
    if small and previous > 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if torch.get_num_threads() != previous:
            torch.set_num_threads(previous)


def to_tensor(array, dtype, device):
    """``array`` as a tensor of ``dtype`` on ``device``, sharing the array's
    memory where torch can (a C-contiguous, writeable NumPy array of that
    dtype, for the CPU), so that training holds no second copy of ``X``."""
    array = np.asarray(array)
    if (
        device.type == "cpu"
        and array.dtype == torch.empty((), dtype=dtype).numpy().dtype
        and array.flags.c_contiguous
        and array.flags.writeable
    ):
        return torch.from_numpy(array)
    return torch.tensor(array, dtype=dtype, device=device)


def as_tensor(array):
    """A torch view of a NumPy array, copied only when torch cannot share it
    (read-only or non-contiguous memory)."""
    array = np.ascontiguousarray(array)
    if not array.flags.writeable:
        array = array.copy()
    return torch.from_numpy(array)


class DivergenceError(FloatingPointError, ValueError):
    """Training diverged before reaching any finite model.

    A ``ValueError`` (the data or the parameters are at fault: inputs too
    large for float32 training, a too large ``learning_rate_init``) that is
    also the ``FloatingPointError`` the trainer raises. Raised by ``fit``
    when no epoch ended with a finite loss; a fit that diverges later keeps
    its last finite model with a ``ConvergenceWarning`` instead.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_spectral import DivergenceError, SpectralMLPRegressor
    >>> X = np.random.RandomState(0).normal(size=(50, 3))
    >>> reg = SpectralMLPRegressor(learning_rate_init=1e30, random_state=0)
    >>> try:
    ...     reg.fit(X * 1e30, X[:, 0])
    ... except DivergenceError as exc:
    ...     print(str(exc)[:32])
    Training diverged at epoch 1: th
    """


def validate_input(estimator, X, y="no_validation", **kwargs):
    """``validate_data`` plus what the float32 networks need.

    Sparse ``X`` is accepted as CSR or CSC (as ``MLPClassifier`` does; other
    formats are converted to CSR) and left to the caller to densify. Numbers
    beyond the float32 range, and Python integers too large for float64,
    raise a ``ValueError``.

    Parameters
    ----------
    estimator : estimator
        The estimator validating its input.
    X : array-like or sparse matrix of shape (n_samples, n_features)
        Input data.
    y : array-like, default="no_validation"
        Targets, validated with ``X`` unless ``"no_validation"``.
    **kwargs : dict
        Passed to :func:`sklearn.utils.validation.validate_data`.

    Returns
    -------
    X or (X, y)
        As ``validate_data`` returns them.
    """
    kwargs.setdefault("accept_sparse", ["csr", "csc"])
    try:
        out = validate_data(estimator, X, y, **kwargs)
    except OverflowError as exc:  # Python ints beyond float64
        raise ValueError(
            f"Input contains a number too large to convert to float64 ({exc})."
        ) from exc
    no_y = y is None or (isinstance(y, str) and y == "no_validation")
    X_checked = out if no_y else out[0]
    values = X_checked.data if sp.issparse(X_checked) else X_checked
    if values.dtype == np.float64 and values.size:
        largest = max(values.max(), -values.min())
        if largest > FLOAT32_MAX:
            raise ValueError(
                f"Input X contains values too large for float32, the precision "
                f"the network computes in: max |x| = {largest:.3g} > "
                f"{FLOAT32_MAX:.3g}. Scale the features, e.g. with StandardScaler."
            )
    return out


def dense_row_chunks(X):
    """``X`` by chunks of ``PREDICT_CHUNK`` rows, as dense arrays."""
    for start in range(0, X.shape[0], PREDICT_CHUNK):
        chunk = X[start : start + PREDICT_CHUNK]
        yield chunk.toarray() if sp.issparse(chunk) else chunk


def resolve_device(device):
    """Turn the ``device`` parameter into a :class:`torch.device`.

    ``"auto"`` picks ``"cuda"`` when available, else ``"cpu"``. Asking for
    CUDA on a machine without it is a ``ValueError``.

    Examples
    --------
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}"
        ) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was requested but CUDA is not available.")
    return dev


def make_rng(random_state):
    """A NumPy ``RandomState`` for one fit, never the global one.

    ``None`` draws fresh OS entropy instead of consuming the global NumPy
    stream, so fitting leaves the global NumPy and torch RNG states untouched.
    """
    if random_state is None:
        return np.random.RandomState(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, np.random.RandomState):
        return random_state
    return np.random.RandomState(random_state)


def torch_generator(rng):
    """A CPU ``torch.Generator`` seeded from ``rng``."""
    return torch.Generator().manual_seed(int(rng.randint(np.iinfo(np.int32).max)))
