"""``MLPClassifier(route=...)``: how each step is computed, chosen and reported."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_moons
from sklearn.exceptions import ConvergenceWarning

from glassnet import MLPClassifier


@pytest.fixture
def Xy() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_moons(200, noise=0.2, random_state=0)
    return X, y


def _fit(est: MLPClassifier, X: np.ndarray, y: np.ndarray) -> MLPClassifier:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


def test_route_is_a_parameter_that_clones() -> None:
    assert MLPClassifier().get_params()["route"] == "auto"
    est = MLPClassifier(route="readable")
    assert est.get_params()["route"] == "readable"
    assert clone(est).route == "readable"


def test_each_route_fits_predicts_and_says_why(
    route: str, Xy: tuple[np.ndarray, np.ndarray]
) -> None:
    X, y = Xy
    est = _fit(MLPClassifier((8,), "tanh", max_iter=5, route=route, random_state=0), X, y)
    assert est.route_ == route
    assert route in est.route_reason_
    assert est.predict(X).shape == (len(X),)
    auto = _fit(MLPClassifier((8,), max_iter=5, random_state=0), X, y)
    assert auto.route_ in ("readable", "fast", "compiled")
    assert auto.route_reason_.startswith("auto: ")


def test_readable_and_fast_routes_give_the_same_model(Xy: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = Xy
    readable = _fit(MLPClassifier(max_iter=30, route="readable", random_state=0), X, y)
    fast = _fit(MLPClassifier(max_iter=30, route="fast", random_state=0), X, y)
    assert (readable.route_, fast.route_) == ("readable", "fast")
    np.testing.assert_allclose(fast.predict_proba(X), readable.predict_proba(X), atol=1e-9)
    np.testing.assert_array_equal(fast.predict(X), readable.predict(X))


def test_an_impossible_route_is_refused_at_fit(Xy: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = Xy
    est = _fit(MLPClassifier((8,), max_iter=3, random_state=0), X, y)
    before = [c.copy() for c in est.coefs_]
    route_before = est.route_
    est.set_params(route="compiled", class_weight="balanced")  # the kernels take unit weights
    with pytest.raises(ValueError, match=r"route='compiled' cannot run.*class weights"):
        est.fit(X, y)
    for a, b in zip(est.coefs_, before, strict=True):  # the previous model is kept
        np.testing.assert_array_equal(a, b)
    assert est.route_ == route_before  # the refused fit left the fitted state as it was
    with pytest.raises(ValueError, match=r"route='fast' cannot run.*class weights"):
        MLPClassifier(route="fast", class_weight="balanced").fit(X, y)
    with pytest.raises(ValueError, match=r"'route' parameter.*'readable'.*'turbo'"):
        MLPClassifier(route="turbo").fit(X, y)


def test_lbfgs_runs_the_readable_route(Xy: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = Xy
    est = _fit(MLPClassifier((8,), solver="lbfgs", max_iter=5, random_state=0), X, y)
    assert est.route_ == "readable"
    assert "lbfgs" in est.route_reason_ and "loss_and_gradient" in est.route_reason_
    _fit(est.set_params(route="readable"), X, y)
    for route in ("fast", "compiled"):
        with pytest.raises(ValueError, match=rf"route='{route}'.*lbfgs.*readable"):
            MLPClassifier(solver="lbfgs", route=route).fit(X, y)


def test_verbose_names_the_route_once(
    Xy: tuple[np.ndarray, np.ndarray], capsys: pytest.CaptureFixture[str]
) -> None:
    X, y = Xy
    est = _fit(MLPClassifier((8,), max_iter=3, verbose=True, route="readable"), X, y)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Route")]
    assert lines == [f"Route: readable ({est.route_reason_})"]
    _fit(MLPClassifier((8,), solver="lbfgs", max_iter=3, verbose=True), X, y)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Route: readable (") and "lbfgs" in out[0]


def test_the_route_survives_export_and_import(Xy: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = Xy
    est = _fit(MLPClassifier((8,), max_iter=3, route="readable", random_state=0), X, y)
    back = MLPClassifier._import_state(*est._export_state())
    assert (back.route, back.route_, back.route_reason_, back.stopped_by_) == (
        "readable",
        "readable",
        est.route_reason_,
        "max_iter",
    )
