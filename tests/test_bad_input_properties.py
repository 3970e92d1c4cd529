"""Hypothesis properties: bad input never gets past an estimator unnoticed.

Every public estimator, on every case of :mod:`tests._bad_input`, ends in a
valid result or a clear ``ValueError`` / ``TypeError`` (see
:func:`~tests._bad_input.check_case`). Derandomized, so CI runs the same
cases every time; ``benchmarks/bench_bad_input.py`` runs many more, at random.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ._bad_input import check_case, fit_cases, predict_cases, task_of
from ._estimators import cheap_instances

#: Examples per estimator and property; the file runs in about 40 s on two
#: cores with one torch thread.
FIT_EXAMPLES = 150
PREDICT_EXAMPLES = 60

SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _ids(est):
    inner = getattr(est, "estimator", None)
    return type(est).__name__ + (f"-{type(inner).__name__}" if inner else "")


@pytest.mark.parametrize("estimator", cheap_instances(), ids=_ids)
@settings(max_examples=FIT_EXAMPLES, **SETTINGS)
@given(data=st.data())
def test_bad_fit_input(estimator, data):
    check_case(estimator, data.draw(fit_cases(task_of(estimator)), label="case"))


@pytest.mark.parametrize("estimator", cheap_instances(), ids=_ids)
@settings(max_examples=PREDICT_EXAMPLES, **SETTINGS)
@given(data=st.data())
def test_bad_predict_input(estimator, data):
    check_case(estimator, data.draw(predict_cases(task_of(estimator)), label="case"))
