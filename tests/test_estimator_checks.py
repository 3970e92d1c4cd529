"""scikit-learn's estimator checks over every public estimator.

Estimators are discovered from ``sklearn_spectral.__all__``, so a new public
estimator is checked automatically (it only needs a ``CHEAP_PARAMS`` entry).
"""

import warnings

import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_global_output_transform_pandas,
    check_set_output_transform,
    check_set_output_transform_pandas,
    parametrize_with_checks,
)

from ._estimators import cheap_instances, transformer_instances

_MINI_BATCH = (
    "float32 training: the weighted and the repeated rows are summed in "
    "another order, and float32 rounding grows over the epochs beyond the "
    "check's rtol=1e-7; with dtype='float64' and no split of the rows the "
    "check passes (tests/test_partial_fit.py)"
)
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": _MINI_BATCH,
    "check_sample_weight_equivalence_on_sparse_data": _MINI_BATCH,
}


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@parametrize_with_checks(
    cheap_instances(), expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def _ids(est):
    return type(est).__name__


@pytest.mark.parametrize("estimator", cheap_instances(), ids=_ids)
def test_dataframe_column_names_consistency(estimator):
    pytest.importorskip("pandas")
    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)


@pytest.mark.parametrize(
    "check",
    [
        check_set_output_transform,
        check_set_output_transform_pandas,
        check_global_output_transform_pandas,
    ],
)
@pytest.mark.parametrize("estimator", transformer_instances(), ids=_ids)
def test_transformer_set_output(estimator, check):
    pytest.importorskip("pandas")
    check(type(estimator).__name__, estimator)
