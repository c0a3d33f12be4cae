"""Routes are explicit: asked for by name, or chosen by capability with the reason recorded."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_moons

import glassnet as gn
from helpers import needs_numba


def _fit(model: gn.Sequential, X: np.ndarray, y: np.ndarray, **kw: object) -> gn.History:
    loss = kw.pop("loss", gn.SoftmaxCrossEntropy())
    return gn.train(model, loss, gn.Adam(0.01), X, y, epochs=3, rng=0, **kw)  # type: ignore[arg-type]


def test_readable_and_fast_routes_agree_to_six_digits_on_the_moons_run() -> None:
    X, y = make_moons(1000, noise=0.2, random_state=0)
    out = {}
    for route in ("readable", "fast"):
        model = gn.mlp([2, 32, 32, 2], "tanh", rng=0)
        h = gn.train(model, gn.SoftmaxCrossEntropy(), gn.Adam(0.01), X, y, epochs=200,
                     batch_size=200, rng=0, route=route)  # fmt: skip
        assert h.route == route
        assert h.route_reason == f"asked for (route={route!r})"
        out[route] = (h.loss[-1], h.accuracy[-1], model.flat_params.copy())
    assert f"{out['readable'][0]:.6g}" == f"{out['fast'][0]:.6g}"
    assert out["readable"][1] == out["fast"][1]
    np.testing.assert_allclose(out["readable"][2], out["fast"][2], rtol=1e-8, atol=1e-10)


def test_auto_takes_the_fast_route_and_says_why(moons: tuple[np.ndarray, np.ndarray]) -> None:
    h = _fit(gn.mlp([2, 8, 2], "relu", rng=0), *moons)
    assert h.route == "fast"
    assert h.route_reason.startswith("auto: fast forms throughout; not compiled:")


@pytest.mark.parametrize("route", ["quick", "", None, "FAST"])
def test_an_unknown_route_is_refused_with_the_choices(
    route: object, moons: tuple[np.ndarray, np.ndarray]
) -> None:
    with pytest.raises(ValueError, match=r"route must be one of 'auto', 'readable', 'fast'"):
        _fit(gn.mlp([2, 4, 2], rng=0), *moons, route=route)


class OwnTanh(gn.Tanh):
    """Overrides the readable formula only: its fast form would be stale."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        return super().forward(X)


class OwnTanhBothForms(gn.Tanh):
    """Overrides both forms: trusted on the fast route."""

    def forward(self, X: np.ndarray) -> np.ndarray:
        return super().forward(X)

    def forward_into(self, X: np.ndarray, ws: object, inplace: bool) -> np.ndarray:
        return super().forward_into(X, ws, inplace)  # type: ignore[arg-type]


def test_a_subclass_overriding_only_forward_trains_readable_and_says_why(
    moons: tuple[np.ndarray, np.ndarray],
) -> None:
    model = gn.Sequential([gn.Dense(2, 6, rng=0), OwnTanh(), gn.Dense(6, 2, rng=1)])
    h = _fit(model, *moons)
    assert h.route == "readable"
    assert "layer 1: OwnTanh overrides forward (in OwnTanh) but not forward_into" in h.route_reason
    with pytest.raises(ValueError, match=r"route='fast' cannot run this training: layer 1"):
        _fit(model, *moons, route="fast")


def test_a_subclass_overriding_both_forms_keeps_the_fast_route(
    moons: tuple[np.ndarray, np.ndarray],
) -> None:
    model = gn.Sequential([gn.Dense(2, 6, rng=0), OwnTanhBothForms(), gn.Dense(6, 2, rng=1)])
    assert _fit(model, *moons).route == "fast"


def test_a_layer_without_a_fast_form_trains_readable(
    moons: tuple[np.ndarray, np.ndarray],
) -> None:
    model = gn.Sequential([gn.Dense(2, 2, rng=0), gn.Softmax()])
    h = _fit(model, *moons, loss=gn.CrossEntropy())
    assert h.route == "readable"
    assert "Softmax has no fast form" in h.route_reason


class OwnLoss(gn.SoftmaxCrossEntropy):
    def backward(self) -> np.ndarray:
        return super().backward()


@pytest.mark.parametrize(
    ("kw", "why"),
    [
        ({"loss": OwnLoss()}, "OwnLoss overrides backward"),
        ({"loss": gn.SoftmaxCrossEntropy(class_weight=[1.0, 2.0])}, "class weights"),
        ({"loss": gn.SoftmaxCrossEntropy(label_smoothing=0.1)}, "smooths labels"),
        ({"sample_weight": np.ones(200)}, "samples are weighted"),
    ],
    ids=["loss-subclass", "class-weight", "smoothing", "sample-weight"],
)
def test_what_the_fast_form_cannot_take_falls_back_to_readable(
    kw: dict[str, object], why: str, moons: tuple[np.ndarray, np.ndarray]
) -> None:
    h = _fit(gn.mlp([2, 4, 2], rng=0), *moons, **kw)
    assert h.route == "readable"
    assert why in h.route_reason
    with pytest.raises(ValueError, match=why):
        _fit(gn.mlp([2, 4, 2], rng=0), *moons, route="fast", **kw)


def test_target_rows_train_readable(moons: tuple[np.ndarray, np.ndarray]) -> None:
    X, y = moons
    h = _fit(gn.mlp([2, 4, 2], rng=0), X, gn.one_hot(y, 2))
    assert (h.route, "target rows" in h.route_reason) == ("readable", True)


def test_compiled_is_refused_for_a_network_the_kernels_do_not_restate(
    moons: tuple[np.ndarray, np.ndarray],
) -> None:
    class TracedReLU(gn.ReLU):
        """Its own formula methods (up to date with each other), which no kernel restates."""

        def forward(self, X: np.ndarray) -> np.ndarray:
            return super().forward(X)

        def forward_into(self, X: np.ndarray, ws: Any, inplace: bool) -> np.ndarray:
            return super().forward_into(X, ws, inplace)

    model = gn.Sequential([gn.Dense(2, 4, rng=0), TracedReLU(), gn.Dense(4, 2, rng=0)])
    assert _fit(model, *moons, route="fast").route == "fast"
    with pytest.raises(ValueError, match=r"route='compiled' cannot run this.*TracedReLU"):
        _fit(model, *moons, route="compiled")


def test_compiled_without_numba_is_refused_with_the_install_line(
    moons: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    from glassnet.fast import kernels

    monkeypatch.setattr(kernels, "load_step", lambda: None)  # as when numba is missing
    with pytest.raises(ValueError, match=r"pip install 'glassnet\[fast\]'"):
        _fit(gn.mlp([2, 4, 2], "relu", rng=0), *moons, route="compiled")


def test_the_compiled_saving_grows_with_the_run() -> None:
    from glassnet.fast.routes import STEP_SAVING_S, compiled_saving

    one = compiled_saving(162, 1000, 1, None)
    assert one == pytest.approx(STEP_SAVING_S + 2.5e-11 * 162 * 1000)
    assert compiled_saving(162, 1000, 300, None) == pytest.approx(300 * one)
    assert compiled_saving(162, 1000, 1, 100) > one  # ten steps an epoch, not one
    assert compiled_saving(162, 0, 5, None) == 0.0


@needs_numba
def test_auto_weighs_the_saving_against_what_numba_still_costs(
    moons: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    from glassnet.fast import kernels, routes

    monkeypatch.setattr(kernels, "step_load_seconds", lambda: 0.3)  # as in a fresh process
    short = _fit(gn.mlp([2, 8, 2], "relu", rng=0), *moons)
    assert short.route == "fast"
    assert "would not win back loading numba" in short.route_reason
    monkeypatch.setattr(routes, "STEP_SAVING_S", 1.0)  # as a run long enough to pay
    costs = iter([0.3])  # a fresh process, until the route loads numba
    monkeypatch.setattr(kernels, "step_load_seconds", lambda: next(costs, 0.0))
    long = _fit(gn.mlp([2, 8, 2], "relu", rng=0), *moons)
    assert long.route == "compiled"
    assert "wins back loading numba" in long.route_reason
    # Once this process has loaded the kernels, any run the kernels restate takes them:
    # there is no size to fall under.
    monkeypatch.setattr(kernels, "step_load_seconds", lambda: 0.0)
    monkeypatch.setattr(routes, "STEP_SAVING_S", 1e-4)
    tiny = _fit(gn.mlp([2, 8, 2], "relu", rng=0), *moons)
    assert tiny.route == "compiled"
    assert "loaded in this process" in tiny.route_reason


def test_auto_says_when_numba_is_not_installed(
    moons: tuple[np.ndarray, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    from glassnet.fast import kernels

    monkeypatch.setattr(kernels, "installed", lambda: False)  # as a plain install
    h = _fit(gn.mlp([2, 8, 2], "relu", rng=0), *moons)
    assert h.route == "fast"
    assert h.route_reason.endswith(
        "not compiled: numba is not installed (pip install 'glassnet[fast]' adds it)"
    )
