"""The idiom the README gives to silence convergence warnings works for skdeep.

scikit-learn's examples write ``warnings.filterwarnings("ignore",
category=ConvergenceWarning, module="sklearn")``. The ``module`` argument matches
the module a warning is attributed to, which is wherever the warning's
``stacklevel`` lands: for skdeep that is scikit-learn's ``_fit_context`` wrapper
(``sklearn.base``) for the stochastic solvers, but ``skdeep.training.lbfgs`` for
``solver='lbfgs'`` and ``skdeep.estimators.perceptron`` for the perceptron, so the
``module="sklearn"`` idiom lets some of skdeep's warnings through. Filtering by
category alone silences all of them, scikit-learn's included::

    warnings.filterwarnings("ignore", category=ConvergenceWarning)

and so does a ``module`` pattern that names both libraries (``module`` is a regular
expression matched at the start of the module's name)::

    warnings.filterwarnings(
        "ignore", category=ConvergenceWarning, module="sklearn|skdeep"
    )

Each case below warns without the filter (the control) and not with it.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdeep import (
    AdversarialAutoencoder,
    CNNClassifier,
    DenoisingAutoencoder,
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
)

RNG = np.random.RandomState(0)
X = RNG.rand(40, 16)
Y = np.arange(40) % 2

#: A fit of every kind that stops at max_iter before converging.
FITS = {
    "mlp_adam": lambda: MLPClassifier(hidden_layer_sizes=(4,), max_iter=2).fit(X, Y),
    "mlp_lbfgs": lambda: MLPClassifier(
        hidden_layer_sizes=(4,), solver="lbfgs", max_iter=2
    ).fit(X, Y),
    "mlp_regressor_sgd": lambda: MLPRegressor(
        hidden_layer_sizes=(4,), solver="sgd", max_iter=2
    ).fit(X, X[:, 0]),
    "cnn": lambda: CNNClassifier(filters=(2,), hidden_layer_sizes=(4,), max_iter=2).fit(
        X, Y
    ),
    "denoising_autoencoder": lambda: DenoisingAutoencoder(
        n_components=2, hidden_layer_sizes=(4,), max_iter=2
    ).fit(X),
    "adversarial_autoencoder": lambda: AdversarialAutoencoder(
        n_components=2, hidden_layer_sizes=(4,), max_iter=2
    ).fit(X),
    "perceptron": lambda: PerceptronClassifier(max_iter=1, tol=1e-3).fit(X, Y),
}


#: The idioms the README proposes, as ``filterwarnings`` keyword arguments.
IDIOMS = {
    "category": {},
    "sklearn_or_skdeep": {"module": "sklearn|skdeep"},
}


def _convergence_warnings(fit, idiom):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if idiom is not None:
            warnings.filterwarnings("ignore", category=ConvergenceWarning, **idiom)
        fit()
    return [w for w in caught if issubclass(w.category, ConvergenceWarning)]


@pytest.mark.parametrize("idiom", list(IDIOMS))
@pytest.mark.parametrize("case", list(FITS))
def test_the_proposed_filters_silence_convergence_warnings(case, idiom):
    assert _convergence_warnings(FITS[case], None), "the control must warn"
    assert _convergence_warnings(FITS[case], IDIOMS[idiom]) == []


def test_what_the_module_sklearn_idiom_lets_through():
    """Why the README gives another idiom: ``module="sklearn"`` silences the
    stochastic solvers' warnings (attributed to ``sklearn.base``) but not L-BFGS's
    or the perceptron's (attributed to skdeep's modules)."""
    idiom = {"module": "sklearn"}
    assert _convergence_warnings(FITS["mlp_adam"], idiom) == []
    for case in ("mlp_lbfgs", "perceptron"):
        caught = _convergence_warnings(FITS[case], idiom)
        assert caught, case
        assert all(w.filename.find("skdeep") >= 0 for w in caught), case
