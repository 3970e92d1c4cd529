"""Bad input for every public estimator: hypothesis strategies and the contract.

A :class:`Case` holds what is given to ``fit`` (``X``, ``y``,
``sample_weight``) and to the prediction methods (``X_test``, and ``y_test``
for ``score``). :func:`fit_cases` spoils the fit data (shapes, dtypes, NaN and
infinity, huge and tiny magnitudes, constant columns, duplicated rows, one
sample or one class, labels, sparse matrices, pandas frames, sample weights);
:func:`predict_cases` fits clean data and spoils only ``X_test``.

:func:`check_case` states the contract: every case ends either in a valid
result (finite output of the right shape, predicted labels among
``classes_``) or in a ``ValueError`` / ``TypeError`` whose message names the
problem (one of the case's keywords). Any other exception (a torch
``RuntimeError``, a bare ``FloatingPointError``, ``IndexError``, ...)
propagates and is a failure; warnings (``ConvergenceWarning``,
``DataConversionWarning``) are fine. A fit that diverges on huge inputs
raises ``DivergenceError``, a ``ValueError`` that is also a
``FloatingPointError``.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from hypothesis import strategies as st
from sklearn.base import clone, is_classifier

#: Largest float32: the networks train in float32.
FLOAT32_MAX = float(np.finfo(np.float32).max)

# Keywords an error message must contain, by problem.
NON_FINITE = ("nan", "infinity")
TOO_LARGE = ("too large",)
DIVERGED = ("diverged",)
STRINGS = ("convert", "string", "cast str")
SAMPLE_WEIGHT = ("sample_weight", "sample weight", "convert")
FEATURES = ("feature",)


@dataclass
class Case:
    """One bad input: what ``fit`` and the prediction methods receive.

    ``stage`` says where an error may be raised (``"fit"`` or
    ``"predict"``), ``errors`` the keywords one of which its message must
    contain (empty: the input is valid and no error is allowed) and
    ``must_raise`` whether an error is required.
    """

    kind: str
    X: object
    y: object
    X_test: object = None
    sample_weight: object = None
    y_test: object = None
    stage: str = "fit"
    errors: tuple = ()
    must_raise: bool = False

    def __post_init__(self):
        if self.X_test is None:
            self.X_test = self.X


# ---------------------------------------------------------------------------
# Clean data to spoil


def task_of(estimator):
    """``"classifier"`` or ``"regressor"``."""
    return "classifier" if is_classifier(estimator) else "regressor"


@st.composite
def _clean(draw, task, min_n=4, max_n=20, max_p=8):
    """``(X, y, rng)``: a small float64 problem with every class present."""
    n = draw(st.integers(min_n, max_n), label="n_samples")
    p = draw(st.integers(1, max_p), label="n_features")
    rng = np.random.RandomState(draw(st.integers(0, 2**16), label="seed"))
    X = rng.normal(size=(n, p))
    if task == "classifier":
        k = draw(st.integers(2, min(n, 4)), label="n_classes")
        y = rng.permutation(np.arange(n) % k)
    else:
        y = X @ rng.normal(size=p) + 0.1 * rng.normal(size=n)
    return X, y, rng


def _cells(draw, rng, shape, label="cells"):
    """Random cell indices of a 2-D array: one cell, a column, a row or all."""
    n, p = shape
    where = draw(st.sampled_from(["cell", "column", "row", "all"]), label=label)
    mask = np.zeros(shape, dtype=bool)
    if where == "cell":
        mask[rng.randint(n), rng.randint(p)] = True
    elif where == "column":
        mask[:, rng.randint(p)] = True
    elif where == "row":
        mask[rng.randint(n)] = True
    else:
        mask[:] = True
    return mask


def _magnitude_errors(values):
    """Expected outcome of X holding ``values``: (errors, must_raise)."""
    top = float(np.max(np.abs(values))) if np.size(values) else 0.0
    if top > FLOAT32_MAX:
        return TOO_LARGE, True
    if top > 1e6:  # float32 training may overflow: a clear divergence error
        return DIVERGED, False
    return (), False


# ---------------------------------------------------------------------------
# Fit-time cases


@st.composite
def x_dtypes(draw, task):
    """Valid X in every dtype and container: int, bool, float16/32, object..."""
    X, y, rng = draw(_clean(task))
    form = draw(
        st.sampled_from(
            [
                "int8",
                "int64",
                "uint8",
                "bool",
                "float16",
                "float32",
                "object",
                "list",
                "fortran",
                "strided",
                "read-only",
                "numeric strings",
            ]
        ),
        label="form",
    )
    if form in ("int8", "int64"):
        X = np.round(3 * X).astype(form)
    elif form == "uint8":
        X = np.round(3 * np.abs(X)).astype(np.uint8)
    elif form == "bool":
        X = X > 0
    elif form in ("float16", "float32", "object"):
        X = X.astype(form)
    elif form == "list":
        X, y = X.tolist(), y.tolist()
    elif form == "fortran":
        X = np.asfortranarray(X)
    elif form == "strided":
        X = np.repeat(X, 2, axis=1)[:, ::2]
    elif form == "read-only":
        X.flags.writeable = False
    else:  # numpy converts "1.5" to 1.5
        X = np.round(X, 3).astype(str)
    return Case(f"X {form}", X, y)


@st.composite
def magnitudes(draw, task):
    """Huge (1e39 overflows float32; up to the float64 maximum) and tiny values."""
    X, y, rng = draw(_clean(task))
    scale = draw(
        st.sampled_from(
            [1e-300, 5e-324, 1e-40, 1e-8, 1e8, 1e20, 1e30, 3e38, 1e39, 1e200, 1.7e308]
        ),
        label="scale",
    )
    mask = _cells(draw, rng, X.shape)
    with np.errstate(over="ignore"):
        X = np.where(mask, X * scale, X)
    X = np.where(np.isfinite(X), X, np.sign(X) * np.finfo(float).max)
    errors, must = _magnitude_errors(X)
    return Case(f"X x {scale:g}", X, y, errors=errors, must_raise=must)


@st.composite
def non_finite(draw, task):
    """NaN, inf or -inf in X (float64 or float32)."""
    X, y, rng = draw(_clean(task))
    value = draw(st.sampled_from([np.nan, np.inf, -np.inf]), label="value")
    X[_cells(draw, rng, X.shape)] = value
    if draw(st.booleans(), label="float32"):
        X = X.astype(np.float32)
    return Case(f"X with {value}", X, y, errors=NON_FINITE, must_raise=True)


@st.composite
def object_values(draw, task):
    """Object X holding strings, None, huge Python ints or nested lists."""
    X, y, rng = draw(_clean(task))
    value = draw(
        st.sampled_from(["a", "", "1,5", None, 10**20, 10**40, 10**400, [1.0]]),
        label="value",
    )
    X = X.astype(object)
    mask = _cells(draw, rng, X.shape)
    for i, j in zip(*np.nonzero(mask), strict=True):
        X[i, j] = value
    if isinstance(value, str):
        errors, must = STRINGS, True
    elif value is None:
        errors, must = NON_FINITE, True
    elif isinstance(value, int):
        errors = TOO_LARGE + DIVERGED + ("float",)
        must = value > FLOAT32_MAX
    else:
        errors, must = ("sequence",), True
    name = f"10**{len(str(value)) - 1}" if isinstance(value, int) else repr(value)
    return Case(f"X object with {name}", X, y, errors=errors, must_raise=must)


@st.composite
def bad_shapes(draw, task):
    """1-D, 3-D, scalar and None X, zero features, zero or one sample."""
    X, y, rng = draw(_clean(task))
    shape = draw(
        st.sampled_from(
            [
                "1-D",
                "3-D",
                "scalar",
                "None",
                "0 features",
                "0 samples",
                "1 sample",
                "y too short",
                "complex",
            ]
        ),
        label="shape",
    )
    errors = {
        "1-D": ("2d array",),
        "3-D": ("dim 3",),
        "scalar": ("2d array",),
        "None": ("2d array",),
        "0 features": ("0 feature",),
        "0 samples": ("0 sample",),
        "1 sample": ("1 sample",),
        "y too short": ("inconsistent numbers of samples",),
        "complex": ("complex",),
    }[shape]
    if shape == "1-D":
        X = X[:, 0]
    elif shape == "3-D":
        X = X[:, :, None]
    elif shape == "scalar":
        X = 1.5
    elif shape == "None":
        X = None
    elif shape == "0 features":
        X = X[:, :0]
    elif shape == "0 samples":
        X, y = X[:0], y[:0]
    elif shape == "1 sample":
        X, y = X[:1], y[:1]
    elif shape == "y too short":
        y = y[:-1]
    else:
        X = X + 1j
    return Case(f"X {shape}", X, y, X_test=X, errors=errors, must_raise=True)


@st.composite
def degenerate_data(draw, task):
    """Constant columns, duplicated rows (conflicting labels), two samples."""
    X, y, rng = draw(_clean(task))
    form = draw(
        st.sampled_from(
            [
                "constant column",
                "all columns constant",
                "duplicated rows",
                "all rows identical",
                "two samples",
            ]
        ),
        label="form",
    )
    if form.endswith("constant"):
        value = draw(st.sampled_from([0.0, 1.0, -3.5, 1e-300, 1e3]), label="value")
        X[:, :] = value
    elif form == "constant column":
        value = draw(st.sampled_from([0.0, 1.0, -3.5, 1e-300, 1e3]), label="value")
        X[:, rng.randint(X.shape[1])] = value
    elif form == "duplicated rows":
        X = X[rng.randint(len(X), size=len(X))]
    elif form == "all rows identical":
        X = np.repeat(X[:1], len(X), axis=0)
    else:
        X, y = X[:2], (y[:2] if task == "regressor" else np.array([0, 1]))
    return Case(form, X, y)


@st.composite
def targets(draw, task):
    """Labels of every type (unseen at score time) or odd regression targets."""
    X, y, rng = draw(_clean(task))
    n = len(y)
    if task == "classifier":
        form = draw(
            st.sampled_from(
                [
                    "strings",
                    "bool",
                    "negative ints",
                    "huge ints",
                    "integral floats",
                    "object strings",
                    "one sample per class",
                    "column vector",
                    "pandas categorical",
                    "one class",
                    "continuous",
                    "mixed types",
                    "None labels",
                    "NaN label",
                    "2-D",
                ]
            ),
            label="labels",
        )
        y_test = None
        errors, must = (), False
        if form == "strings":
            y = np.array(["cat", "dog", "bird", "fish"])[y]
            y_test = np.where(np.arange(n) % 2, y, "unseen")
        elif form == "bool":
            y = (y % 2).astype(bool)
        elif form == "negative ints":
            y = -10 * y - 1
            y_test = np.where(np.arange(n) % 2, y, 99)
        elif form == "huge ints":
            y = y.astype(np.int64) * 2**60 - 2**62
        elif form == "integral floats":
            y = 2.0 * y - 1.0
            y_test = np.where(np.arange(n) % 2, y, -7.0)
        elif form == "object strings":
            y = np.array(["a", "b", "c", "d"], dtype=object)[y]
        elif form == "one sample per class":
            y = np.arange(n)
            y_test = y[::-1] + n // 2
        elif form == "column vector":
            y = y[:, None]
        elif form == "pandas categorical":
            y = pd.Series(pd.Categorical(np.array(["lo", "mid", "hi", "top"])[y]))
        elif form == "one class":
            y = np.full(n, "only")
            errors, must = ("class",), True
        elif form == "continuous":
            y = rng.normal(size=n)
            y[:2] = [0.5, 1.5]
            errors, must = ("unknown label type",), True
        elif form == "mixed types":
            y = np.array([1, "a", 2.5, "b"], dtype=object)[y]
            errors, must = ("type",), True
        elif form == "None labels":
            y = np.array([None, "a", "b", "c"], dtype=object)[y]
            errors, must = ("type", "label"), True
        elif form == "NaN label":
            y = y.astype(float)
            y[rng.randint(n)] = np.nan
            errors, must = NON_FINITE, True
        else:
            # multiclass-multioutput (a 0/1 matrix would be a valid multilabel y)
            y = np.c_[y, y + 2]
            errors, must = ("multilabel indicator matrix",), True
        return Case(f"y {form}", X, y, y_test=y_test, errors=errors, must_raise=must)
    form = draw(
        st.sampled_from(
            [
                "ints",
                "bool",
                "float32",
                "x 1e200",
                "x 1e300",
                "x 1e-300",
                "constant",
                "2 outputs",
                "column vector",
                "object numbers",
                "strings",
                "NaN",
                "inf",
                "3-D",
            ]
        ),
        label="targets",
    )
    errors, must = (), False
    if form == "ints":
        y = np.round(10 * y).astype(int)
    elif form == "bool":
        y = y > 0
    elif form == "float32":
        y = y.astype(np.float32)
    elif form.startswith("x "):
        y = y * float(form[2:])
    elif form == "constant":
        y = np.full(n, 4.2)
    elif form == "2 outputs":
        y = np.c_[y, -3 * y]
    elif form == "column vector":
        y = y[:, None]
    elif form == "object numbers":
        y = y.astype(object)
    elif form == "strings":
        y = np.array(["a", "b"])[(y > 0).astype(int)]
        errors, must = STRINGS, True
    elif form in ("NaN", "inf"):
        y[rng.randint(n)] = float(form.lower())
        errors, must = NON_FINITE, True
    else:
        y = y[:, None, None]
        errors, must = ("dim 3",), True
    return Case(f"y {form}", X, y, errors=errors, must_raise=must)


@st.composite
def sample_weights(draw, task):
    """Valid weights (ints, zeros, tiny, huge, a scalar) and mismatched ones."""
    X, y, rng = draw(_clean(task))
    n = len(y)
    form = draw(
        st.sampled_from(
            [
                "ones",
                "ints",
                "random",
                "some zeros",
                "scalar",
                "list",
                "float32",
                "tiny 1e-320",
                "huge 1e308",
                "1e300 and 1e-300",
                "too short",
                "too long",
                "negative",
                "NaN",
                "inf",
                "all zero",
                "2-D",
                "strings",
            ]
        ),
        label="sample_weight",
    )
    valid = {
        "ones": np.ones(n),
        "ints": rng.randint(1, 5, size=n),
        "random": rng.uniform(0.1, 3, size=n),
        "some zeros": np.where(np.arange(n) % 3 == 0, 0.0, 1.0),
        "scalar": 2.5,
        "list": [1.0] * n,
        "float32": rng.uniform(0.1, 3, size=n).astype(np.float32),
        "tiny 1e-320": np.full(n, 1e-320),
        "huge 1e308": np.full(n, 1e308),
        "1e300 and 1e-300": np.where(np.arange(n) % 2, 1e300, 1e-300),
    }
    if form in valid:
        return Case(f"sample_weight {form}", X, y, sample_weight=valid[form])
    bad = {
        "too short": np.ones(n - 1),
        "too long": np.ones(n + 1),
        "negative": np.where(np.arange(n) == 0, -1.0, 1.0),
        "NaN": np.where(np.arange(n) == 0, np.nan, 1.0),
        "inf": np.where(np.arange(n) == 0, np.inf, 1.0),
        "all zero": np.zeros(n),
        "2-D": np.ones((n, 2)),
        "strings": np.array(["heavy"] * n),
    }[form]
    return Case(
        f"sample_weight {form}",
        X,
        y,
        sample_weight=bad,
        errors=SAMPLE_WEIGHT,
        must_raise=True,
    )


_SPARSE = {
    "csr_matrix": sp.csr_matrix,
    "csc_matrix": sp.csc_matrix,
    "coo_matrix": sp.coo_matrix,
    "csr_array": sp.csr_array,
    "csc_array": sp.csc_array,
    "lil_matrix": sp.lil_matrix,
}


@st.composite
def sparse_inputs(draw, task):
    """scipy.sparse X (CSR, CSC and others), some with NaN or huge values."""
    X, y, rng = draw(_clean(task))
    fmt = draw(st.sampled_from(sorted(_SPARSE)), label="format")
    X[rng.uniform(size=X.shape) < 0.5] = 0.0
    content = draw(
        st.sampled_from(["floats", "ints", "empty", "NaN", "1e39"]), label="content"
    )
    errors, must = (), False
    if content == "ints":
        X = np.round(3 * X).astype(np.int64)
    elif content == "empty":
        X[:] = 0.0
    elif content == "NaN":
        X[0, 0] = np.nan
        errors, must = NON_FINITE, True
    elif content == "1e39":
        X[0, 0] = 1e39
        errors, must = TOO_LARGE, True
    X = _SPARSE[fmt](X)
    X_test = X if draw(st.booleans(), label="sparse X_test") else X.toarray()
    return Case(
        f"sparse {fmt} {content}", X, y, X_test=X_test, errors=errors, must_raise=must
    )


def _some(x):
    """A mask of the positive entries of ``x``, and always of the first."""
    mask = x > 0
    mask[0] = True
    return mask


_PANDAS_COLUMNS = {
    # name: (build(x, rng), errors, must_raise)
    "float64": (lambda x, rng: x, (), False),
    "float32": (lambda x, rng: x.astype(np.float32), (), False),
    "int": (lambda x, rng: np.round(3 * x).astype(int), (), False),
    "bool": (lambda x, rng: x > 0, (), False),
    "Int64": (
        lambda x, rng: pd.array(np.round(x).astype(int), dtype="Int64"),
        (),
        False,
    ),
    "numeric category": (
        lambda x, rng: pd.Categorical(np.round(x).astype(int)),
        (),
        False,
    ),
    "object numbers": (lambda x, rng: pd.Series(x, dtype=object), (), False),
    "strings": (
        lambda x, rng: np.array(["lo", "hi"])[(x > 0).astype(int)],
        STRINGS,
        True,
    ),
    "string category": (
        lambda x, rng: pd.Categorical(np.array(["lo", "hi"])[(x > 0).astype(int)]),
        STRINGS,
        True,
    ),
    "Int64 with NA": (
        lambda x, rng: pd.array(
            np.where(_some(x), None, np.round(x)).tolist(), dtype="Int64"
        ),
        NON_FINITE,
        True,
    ),
    "boolean with NA": (
        lambda x, rng: pd.array(np.where(_some(x), None, True).tolist(), "boolean"),
        NON_FINITE,
        True,
    ),
    # numpy casts datetime64 to float (ns since 1970), mixed with others not.
    "datetime": (
        lambda x, rng: pd.date_range("2020-01-01", periods=len(x)),
        ("datetime", "dtype", "timestamp") + DIVERGED,
        False,
    ),
}


@st.composite
def pandas_frames(draw, task):
    """DataFrames with mixed numeric, bool, categorical and string columns."""
    X, y, rng = draw(_clean(task))
    kinds = draw(
        st.lists(
            st.sampled_from(sorted(_PANDAS_COLUMNS)),
            min_size=X.shape[1],
            max_size=X.shape[1],
        ),
        label="columns",
    )
    names = draw(st.sampled_from(["strings", "ints", "mixed"]), label="column names")
    columns = {}
    errors = set()
    for j, kind in enumerate(kinds):
        build, kind_errors, _ = _PANDAS_COLUMNS[kind]
        name = {"strings": f"c{j}", "ints": j, "mixed": f"c{j}" if j % 2 else j}
        columns[name[names]] = build(X[:, j], rng)
        errors.update(kind_errors)
    X = pd.DataFrame(columns)
    must = any(_PANDAS_COLUMNS[k][2] for k in kinds)
    if names == "mixed" and X.shape[1] > 1:
        errors.add("feature names")
        must = True
    y = pd.Series(y) if draw(st.booleans(), label="y Series") else y
    return Case(
        f"pandas {kinds} names {names}",
        X,
        y,
        errors=tuple(sorted(errors)),
        must_raise=must,
    )


def fit_cases(task):
    """Every kind of bad fit input for a ``"classifier"`` or ``"regressor"``."""
    return st.one_of(
        x_dtypes(task),
        magnitudes(task),
        non_finite(task),
        object_values(task),
        bad_shapes(task),
        degenerate_data(task),
        targets(task),
        sample_weights(task),
        sparse_inputs(task),
        pandas_frames(task),
    )


# ---------------------------------------------------------------------------
# Predict-time cases: clean fit data, bad X_test


@st.composite
def predict_cases(draw, task):
    """Clean fit data; X_test spoiled (or odd but valid)."""
    X, y, rng = draw(_clean(task))
    n, p = X.shape
    X_test = rng.normal(size=(draw(st.integers(1, 6), label="n_test"), p))
    form = draw(
        st.sampled_from(
            [
                "one row",
                "int",
                "bool",
                "float32",
                "object",
                "sparse",
                "huge",
                "tiny",
                "too large for float32",
                "NaN",
                "inf",
                "string",
                "more features",
                "fewer features",
                "1-D",
                "3-D",
                "0 rows",
                "pandas after numpy",
                "numpy after pandas",
                "pandas columns reordered",
            ]
        ),
        label="X_test",
    )
    errors, must = (), False
    if form == "one row":
        X_test = X_test[:1]
    elif form == "int":
        X_test = np.round(3 * X_test).astype(int)
    elif form == "bool":
        X_test = X_test > 0
    elif form == "float32":
        X_test = X_test.astype(np.float32)
    elif form == "object":
        X_test = X_test.astype(object)
    elif form == "sparse":
        X_test = sp.csr_matrix(np.where(X_test > 0, X_test, 0.0))
    elif form == "huge":
        X_test = X_test * draw(st.sampled_from([1e8, 1e20, 1e30, 1e38]), "scale")
    elif form == "tiny":
        X_test = X_test * draw(st.sampled_from([1e-300, 5e-324, 1e-40]), "scale")
    elif form == "too large for float32":
        X_test[0, 0] = draw(st.sampled_from([1e39, 1e200, 1.7e308]), "value")
        errors, must = TOO_LARGE, True
    elif form in ("NaN", "inf"):
        X_test[_cells(draw, rng, X_test.shape)] = float(form.lower())
        errors, must = NON_FINITE, True
    elif form == "string":
        X_test = X_test.astype(object)
        X_test[0, 0] = "oops"
        errors, must = STRINGS, True
    elif form == "more features":
        X_test = np.c_[X_test, X_test[:, :1]]
        errors, must = FEATURES, True
    elif form == "fewer features":
        X_test = X_test[:, :-1]
        errors, must = FEATURES, True
    elif form == "1-D":
        X_test = X_test[0]
        errors, must = ("2d array",), True
    elif form == "3-D":
        X_test = X_test[:, :, None]
        errors, must = ("dim 3",), True
    elif form == "0 rows":
        X_test = X_test[:0]
        errors, must = ("0 sample",), True
    elif form == "pandas after numpy":
        X_test = pd.DataFrame(X_test, columns=[f"c{j}" for j in range(p)])
    elif form == "numpy after pandas":
        X = pd.DataFrame(X, columns=[f"c{j}" for j in range(p)])
    else:
        X = pd.DataFrame(X, columns=[f"c{j}" for j in range(p)])
        X_test = pd.DataFrame(X_test, columns=X.columns)[X.columns[::-1]]
        if p > 1:
            errors, must = ("feature names",), True
    y_test = None
    if task == "classifier" and X_test.ndim == 2 and X_test.shape[0] > 0:
        y_test = np.arange(X_test.shape[0]) + 2  # labels 2, 3... unseen
    return Case(
        f"X_test {form}",
        X,
        y,
        X_test=X_test,
        y_test=y_test,
        stage="predict",
        errors=errors,
        must_raise=must,
    )


# ---------------------------------------------------------------------------
# The contract


class ContractError(AssertionError):
    """An estimator broke the bad-input contract on a case."""


def _expect_error(case, stage, method, exc):
    message = str(exc)
    if stage != case.stage or not case.errors:
        raise ContractError(
            f"{case.kind!r}: {method} raised {type(exc).__name__} on input that "
            f"should work: {message}"
        ) from exc
    if not any(k.lower() in message.lower() for k in case.errors):
        raise ContractError(
            f"{case.kind!r}: {method} raised {type(exc).__name__} whose message "
            f"names none of {case.errors}: {message}"
        ) from exc


def _n_rows(X):
    return X.shape[0] if hasattr(X, "shape") else len(X)


def _check_output(est, case, method, out, y):
    n = _n_rows(case.X_test)
    out = np.asarray(out)
    where = f"{case.kind!r}: {method}"
    if method == "predict" and is_classifier(est):
        if out.shape != (n,):
            raise ContractError(f"{where} has shape {out.shape}, expected ({n},)")
        if not np.isin(out, est.classes_).all():
            raise ContractError(f"{where} returned labels outside classes_: {out}")
        return
    if not np.isfinite(out).all():
        raise ContractError(f"{where} returned non-finite values: {out}")
    if method == "predict":
        y = np.asarray(y)
        expected = (n,) if y.ndim == 1 else (n, y.shape[1])
    elif method in ("predict_proba", "predict_log_proba"):
        expected = (n, len(est.classes_))
        proba = out if method == "predict_proba" else np.exp(out)
        if not np.allclose(proba.sum(axis=1), 1.0) or (proba < 0).any():
            raise ContractError(f"{where} rows are not probabilities: {out}")
    elif method == "decision_function":
        k = len(est.classes_)
        expected = (n,) if k == 2 else (n, k)
    else:  # transform
        expected = (n, est.hidden_layer_sizes_[-1])
    if out.shape != expected:
        raise ContractError(f"{where} has shape {out.shape}, expected {expected}")


METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
)


def check_case(estimator, case):
    """Fit a clone of ``estimator`` on ``case`` and predict; check the contract.

    Returns ``"valid"`` when everything ran and every output was valid, else
    ``"error"`` (a clear ``ValueError`` / ``TypeError`` was raised). Raises
    :class:`ContractError` when the contract is broken; any exception other
    than ``ValueError`` / ``TypeError`` propagates.
    """
    est = clone(estimator)
    fit_kw = {} if case.sample_weight is None else {"sample_weight": case.sample_weight}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence, data conversion: fine
        try:
            est.fit(case.X, case.y, **fit_kw)
        except (ValueError, TypeError) as exc:
            _expect_error(case, "fit", "fit", exc)
            return "error"
        if case.stage == "fit" and case.must_raise:
            raise ContractError(f"{case.kind!r}: fit accepted it without an error")
        if is_classifier(est) and len(est.classes_) < 2:
            raise ContractError(f"{case.kind!r}: fitted with classes {est.classes_}")
        raised = 0
        methods = [m for m in METHODS if hasattr(est, m)]
        for method in methods:
            try:
                out = getattr(est, method)(case.X_test)
            except (ValueError, TypeError) as exc:
                _expect_error(case, "predict", method, exc)
                raised += 1
                continue
            _check_output(est, case, method, out, case.y)
        if case.must_raise and raised < len(methods):
            raise ContractError(
                f"{case.kind!r}: only {raised} of {methods} raised an error"
            )
        if case.y_test is not None and not raised:
            score = est.score(case.X_test, case.y_test)
            if not np.isfinite(score) or (is_classifier(est) and not 0 <= score <= 1):
                raise ContractError(f"{case.kind!r}: score {score}")
    return "error" if raised else "valid"
