"""scikit-learn's MLPClassifier gallery scenarios, run with any classifier class.

scikit-learn's gallery has four examples that train its ``MLPClassifier``: an
alpha sweep, training curves of SGD and Adam, first-layer "filters" of a digit
classifier, and the classifier comparison. Each function here rebuilds one of
those scenarios (data, preprocessing, parameters, split) around the class it is
given, so glassnet's :class:`glassnet.MLPClassifier` and scikit-learn's run the
same experiment. The code is glassnet's own; the digits filters use
:func:`sklearn.datasets.load_digits` in place of MNIST so nothing is downloaded.

Where an example hides scikit-learn's ``ConvergenceWarning`` with
``filterwarnings("ignore", category=ConvergenceWarning, module="sklearn")``,
the scenario adds the same filter with ``module="glassnet"``, as glassnet's
README tells its users: glassnet's warnings come from glassnet's modules.

Run from the repository root (``--out`` also writes figures)::

    python -m examples.gallery --out gallery-figures
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.datasets import load_digits, load_iris, make_circles, make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

__all__ = [
    "ALPHAS",
    "CURVE_PARAMS",
    "SCENARIOS",
    "OnFit",
    "curve_datasets",
    "hide_convergence_warnings",
    "main",
    "run_classifier_comparison",
    "run_digits_filters",
    "run_mlp_alpha",
    "run_training_curves",
    "two_d_datasets",
]

Dataset = tuple[np.ndarray, np.ndarray]
#: Called after each fit with (key, fitted estimator, X and y it is scored on).
OnFit = Callable[[str, Any, np.ndarray, np.ndarray], None]

#: The alpha grid of the alpha sweep.
ALPHAS: tuple[float, ...] = tuple(float(a) for a in np.logspace(-1, 1, 5))

#: The training-curve settings: label and the parameters they set.
CURVE_PARAMS: dict[str, dict[str, Any]] = {
    "constant": {"solver": "sgd", "learning_rate": "constant", "momentum": 0.0},
    "constant+momentum": {
        "solver": "sgd",
        "learning_rate": "constant",
        "momentum": 0.9,
        "nesterovs_momentum": False,
    },
    "constant+nesterov": {
        "solver": "sgd",
        "learning_rate": "constant",
        "momentum": 0.9,
        "nesterovs_momentum": True,
    },
    "invscaling": {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0.0},
    "invscaling+momentum": {
        "solver": "sgd",
        "learning_rate": "invscaling",
        "momentum": 0.9,
        "nesterovs_momentum": False,
    },
    "invscaling+nesterov": {
        "solver": "sgd",
        "learning_rate": "invscaling",
        "momentum": 0.9,
        "nesterovs_momentum": True,
    },
    "adam": {"solver": "adam"},
}
_SGD_RATE, _ADAM_RATE = 0.2, 0.01


@contextmanager
def hide_convergence_warnings() -> Iterator[None]:
    """Hide ``ConvergenceWarning`` from scikit-learn's and glassnet's modules.

    The examples' own filter names ``module="sklearn"``; glassnet's warnings
    come from ``glassnet.*``, so the same filter with ``module="glassnet"`` is
    added. Anything else still shows.

    Yields
    ------
    None
        The filters hold inside the ``with`` block and are undone after it.
    """
    with warnings.catch_warnings():
        for module in ("sklearn", "glassnet"):
            warnings.filterwarnings("ignore", category=ConvergenceWarning, module=module)
        yield


def two_d_datasets() -> dict[str, Dataset]:
    """Return the gallery's three two-feature datasets.

    Returns
    -------
    dict of str to (X, y)
        "moons", "circles" and "linear" (two informative features, one
        cluster per class, shifted by uniform noise so they overlap a little).
    """
    X, y = make_classification(
        n_features=2, n_redundant=0, n_informative=2, random_state=0, n_clusters_per_class=1
    )
    X = X + 2 * np.random.RandomState(2).uniform(size=X.shape)
    return {
        "moons": make_moons(noise=0.3, random_state=0),
        "circles": make_circles(noise=0.2, factor=0.5, random_state=1),
        "linear": (X, y),
    }


def _split(X: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    return list(train_test_split(X, y, test_size=0.4, random_state=42))


def run_mlp_alpha(
    cls: Callable[..., Any], alphas: tuple[float, ...] = ALPHAS, on_fit: OnFit | None = None
) -> dict[str, float]:
    """Sweep the L2 penalty ``alpha`` of an L-BFGS network on the 2-D datasets.

    Parameters
    ----------
    cls : callable
        An ``MLPClassifier`` class (glassnet's or scikit-learn's), or any
        callable that builds one from keyword parameters.
    alphas : tuple of float, default=ALPHAS
        Penalties to fit, five log-spaced from 0.1 to 10 by default.
    on_fit : callable or None, default=None
        Called as ``on_fit(key, pipeline, X_test, y_test)`` after each fit.

    Returns
    -------
    dict of str to float
        Test accuracy keyed ``"<dataset> alpha=<alpha>"``.
    """
    scores = {}
    for name, (X, y) in two_d_datasets().items():
        X_train, X_test, y_train, y_test = _split(X, y)
        for alpha in alphas:
            model = make_pipeline(
                StandardScaler(),
                cls(
                    solver="lbfgs",
                    alpha=alpha,
                    random_state=1,
                    max_iter=2000,
                    early_stopping=True,
                    hidden_layer_sizes=[10, 10],
                ),
            )
            model.fit(X_train, y_train)
            key = f"{name} alpha={alpha:.3g}"
            scores[key] = float(model.score(X_test, y_test))
            if on_fit is not None:
                on_fit(key, model, X_test, y_test)
    return scores


def curve_datasets() -> dict[str, Dataset]:
    """Return the training-curve datasets, features scaled to [0, 1].

    Returns
    -------
    dict of str to (X, y)
        "iris", "digits", "circles" and "moons".
    """
    raw = {
        "iris": load_iris(return_X_y=True),
        "digits": load_digits(return_X_y=True),
        "circles": make_circles(noise=0.2, factor=0.5, random_state=1),
        "moons": make_moons(noise=0.3, random_state=0),
    }
    return {name: (MinMaxScaler().fit_transform(X), y) for name, (X, y) in raw.items()}


def run_training_curves(
    cls: Callable[..., Any],
    datasets: tuple[str, ...] = ("iris", "digits", "circles", "moons"),
    settings: tuple[str, ...] = tuple(CURVE_PARAMS),
    on_fit: OnFit | None = None,
) -> dict[str, float]:
    """Train SGD (constant and inverse-scaling rates, with and without momentum) and Adam.

    Each dataset trains 400 epochs (digits: 15), ``random_state=0``, SGD at a
    learning rate of 0.2 and Adam at 0.01, under the example's filter (plus
    glassnet's) for ``ConvergenceWarning``.

    Parameters
    ----------
    cls : callable
        An ``MLPClassifier`` class (glassnet's or scikit-learn's), or any
        callable that builds one from keyword parameters.
    datasets : tuple of str, default=all four
        Which datasets of :func:`curve_datasets` to train on.
    settings : tuple of str, default=all of CURVE_PARAMS
        Which settings of :data:`CURVE_PARAMS` to train.
    on_fit : callable or None, default=None
        Called as ``on_fit(key, estimator, X, y)`` after each fit (the
        training set: the example scores on it); ``loss_curve_`` and
        ``loss_`` hold the curve and the final loss.

    Returns
    -------
    dict of str to float
        Training-set accuracy keyed ``"<dataset> <setting>"``.
    """
    scores = {}
    data = curve_datasets()
    for name in datasets:
        X, y = data[name]
        max_iter = 15 if name == "digits" else 400
        for label in settings:
            params = dict(CURVE_PARAMS[label])
            params["learning_rate_init"] = _ADAM_RATE if label == "adam" else _SGD_RATE
            model = cls(random_state=0, max_iter=max_iter, **params)
            with hide_convergence_warnings():
                model.fit(X, y)
            key = f"{name} {label}"
            scores[key] = float(model.score(X, y))
            if on_fit is not None:
                on_fit(key, model, X, y)
    return scores


def run_digits_filters(cls: Callable[..., Any], on_fit: OnFit | None = None) -> dict[str, float]:
    """Train 40 hidden units on 8x8 digits with a few epochs of SGD.

    The example trains on MNIST; here :func:`sklearn.datasets.load_digits`
    (pixels divided by 16) is split 75/25 with ``random_state=0``. Eight
    epochs of SGD at a learning rate of 0.2, ``verbose=10`` (one line per
    epoch), under the example's filter (plus glassnet's). Each column of
    ``coefs_[0]`` is a hidden unit's 8x8 filter.

    Parameters
    ----------
    cls : callable
        An ``MLPClassifier`` class (glassnet's or scikit-learn's), or any
        callable that builds one from keyword parameters.
    on_fit : callable or None, default=None
        Called as ``on_fit("digits", estimator, X_test, y_test)`` after the fit.

    Returns
    -------
    dict of str to float
        "digits train" and "digits test" accuracy.
    """
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, random_state=0)
    model = cls(
        hidden_layer_sizes=(40,),
        max_iter=8,
        alpha=1e-4,
        solver="sgd",
        verbose=10,
        random_state=1,
        learning_rate_init=0.2,
    )
    with hide_convergence_warnings():
        model.fit(X_train, y_train)
    scores = {
        "digits train": float(model.score(X_train, y_train)),
        "digits test": float(model.score(X_test, y_test)),
    }
    if on_fit is not None:
        on_fit("digits", model, X_test, y_test)
    return scores


def run_classifier_comparison(
    cls: Callable[..., Any], on_fit: OnFit | None = None
) -> dict[str, float]:
    """Fit the comparison's network (``alpha=1``, otherwise defaults) on the 2-D datasets.

    Parameters
    ----------
    cls : callable
        An ``MLPClassifier`` class (glassnet's or scikit-learn's), or any
        callable that builds one from keyword parameters.
    on_fit : callable or None, default=None
        Called as ``on_fit(dataset, pipeline, X_test, y_test)`` after each fit.

    Returns
    -------
    dict of str to float
        Test accuracy per dataset.
    """
    scores = {}
    for name, (X, y) in two_d_datasets().items():
        X_train, X_test, y_train, y_test = _split(X, y)
        model = make_pipeline(StandardScaler(), cls(alpha=1, max_iter=1000, random_state=42))
        model.fit(X_train, y_train)
        scores[name] = float(model.score(X_test, y_test))
        if on_fit is not None:
            on_fit(name, model, X_test, y_test)
    return scores


SCENARIOS: dict[str, Callable[..., dict[str, float]]] = {
    "mlp_alpha": run_mlp_alpha,
    "training_curves": run_training_curves,
    "digits_filters": run_digits_filters,
    "classifier_comparison": run_classifier_comparison,
}


def main(argv: list[str] | None = None) -> int:
    """Run every scenario with glassnet's and scikit-learn's class and print a table.

    Parameters
    ----------
    argv : list of str or None, default=None
        Command-line arguments (``sys.argv[1:]`` when None): ``--out DIR``
        writes one PNG per scenario there (matplotlib, Agg backend).

    Returns
    -------
    int
        The exit status, 0.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="folder for the figures")
    args = parser.parse_args(argv)

    from sklearn.neural_network import MLPClassifier as SkMLP

    import glassnet

    classes = {"glassnet": glassnet.MLPClassifier, "sklearn": SkMLP}
    fits: dict[str, dict[str, list[tuple[str, Any, np.ndarray, np.ndarray]]]] = {}
    print(f"{'scenario':<22} {'setting':<30} {'glassnet':>8} {'sklearn':>8} {'diff':>7}")
    for scenario, run in SCENARIOS.items():
        scores = {}
        for who, cls in classes.items():
            kept = fits.setdefault(scenario, {}).setdefault(who, [])
            scores[who] = run(cls, on_fit=lambda *fit, kept=kept: kept.append(fit))
        for key, ours in scores["glassnet"].items():
            theirs = scores["sklearn"][key]
            print(f"{scenario:<22} {key:<30} {ours:8.3f} {theirs:8.3f} {ours - theirs:+7.3f}")
    if args.out is not None:
        from examples.figures import write_figures

        write_figures(fits, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
