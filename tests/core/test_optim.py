"""Optimizers against their update formulas written out by hand."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def _run(opt: gn.Optimizer, p0: np.ndarray, grads: list[np.ndarray]) -> np.ndarray:
    p = p0.copy()
    for g in grads:
        opt.step({"w": p}, {"w": g})
    return p


@pytest.fixture
def problem(rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray]]:
    return rng.normal(size=(3, 2)), [rng.normal(size=(3, 2)) for _ in range(4)]


def test_plain_sgd(problem: tuple[np.ndarray, list[np.ndarray]]) -> None:
    p0, gs = problem
    expected = p0 - 0.1 * sum(gs)
    np.testing.assert_allclose(_run(gn.SGD(0.1), p0, gs), expected, atol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True], ids=["classical", "nesterov"])
def test_sgd_momentum(nesterov: bool, problem: tuple[np.ndarray, list[np.ndarray]]) -> None:
    p0, gs = problem
    lr, mu, wd = 0.05, 0.9, 0.01
    p, v = p0.copy(), np.zeros_like(p0)
    for g in gs:
        g = g + wd * p
        v = mu * v - lr * g
        p = p + (mu * v - lr * g if nesterov else v)
    got = _run(gn.SGD(lr, momentum=mu, nesterov=nesterov, weight_decay=wd), p0, gs)
    np.testing.assert_allclose(got, p, atol=1e-15)


def test_adam(problem: tuple[np.ndarray, list[np.ndarray]]) -> None:
    p0, gs = problem
    lr, b1, b2, eps, wd = 0.01, 0.8, 0.99, 1e-8, 0.1
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    for t, g in enumerate(gs, start=1):
        g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    got = _run(gn.Adam(lr, betas=(b1, b2), eps=eps, weight_decay=wd), p0, gs)
    np.testing.assert_allclose(got, p, atol=1e-14)


def test_adamw_decouples_the_decay(problem: tuple[np.ndarray, list[np.ndarray]]) -> None:
    p0, gs = problem
    lr, b1, b2, eps, wd = 0.01, 0.9, 0.999, 1e-8, 0.05
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    for t, g in enumerate(gs, start=1):
        p = p - lr * wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    got = _run(gn.AdamW(lr, weight_decay=wd), p0, gs)
    np.testing.assert_allclose(got, p, atol=1e-14)


def test_first_adam_step_moves_each_entry_by_lr(
    problem: tuple[np.ndarray, list[np.ndarray]],
) -> None:
    p0, gs = problem
    got = _run(gn.Adam(0.01), p0, gs[:1])
    # With bias correction the first step is lr · g/|g| (up to eps).
    np.testing.assert_allclose(got, p0 - 0.01 * np.sign(gs[0]), atol=1e-8)


@pytest.mark.parametrize(
    "opt", [gn.SGD(0.1, momentum=0.5), gn.Adam(0.1), gn.AdamW(0.1)], ids=["sgd", "adam", "adamw"]
)
def test_updates_are_in_place_and_keep_float32(opt: gn.Optimizer) -> None:
    p = np.ones(3, dtype=np.float32)
    ref = p
    opt.step({"w": p}, {"w": np.full(3, 0.5, dtype=np.float32)})
    assert ref is p and p.dtype == np.float32 and np.all(p < 1)
    assert opt.t == 1 and set(opt.state) == {"w"}


def test_state_dict_round_trip(problem: tuple[np.ndarray, list[np.ndarray]]) -> None:
    p0, gs = problem
    a = gn.Adam(0.01)
    p = _run(a, p0, gs[:2])
    b = gn.Adam(0.01)
    b.load_state_dict(a.state_dict())
    q = p.copy()
    a.step({"w": p}, {"w": gs[2]})
    b.step({"w": q}, {"w": gs[2]})
    np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: gn.SGD(0.0), r"lr must be in \(0.0, inf\); got 0.0"),
        (lambda: gn.SGD(-1), r"lr must be in"),
        (lambda: gn.Adam(float("nan")), r"lr must be in"),
        (lambda: gn.SGD(0.1, momentum=1.0), r"momentum must be in \[0.0, 1.0\)"),
        (lambda: gn.SGD(0.1, nesterov=True), r"nesterov=True needs momentum > 0"),
        (lambda: gn.Adam(0.1, betas=(0.9, 1.0)), r"betas\[1\] must be in"),
        (lambda: gn.Adam(0.1, eps=0), r"eps must be in"),
    ],
    ids=[
        "lr-zero",
        "lr-negative",
        "lr-nan",
        "momentum-one",
        "nesterov-no-momentum",
        "beta2-one",
        "eps-zero",
    ],
)
def test_bad_settings_raise_with_the_name(make, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        make()


def test_mismatched_names_raise() -> None:
    with pytest.raises(ValueError, match="same names"):
        gn.SGD(0.1).step({"a": np.ones(1)}, {"b": np.ones(1)})


@pytest.mark.parametrize(
    "make",
    [lambda: gn.SGD(0.1, momentum=0.9, nesterov=True), lambda: gn.Adam(0.01),
     lambda: gn.AdamW(0.01, weight_decay=0.1)],
)  # fmt: skip
def test_step_flat_in_blocks_equals_one_pass(make, rng: np.random.Generator) -> None:  # type: ignore[no-untyped-def]
    from glassnet.core.optim import FLAT_BLOCK

    n = 2 * FLAT_BLOCK + 1234  # over the blocking threshold, with a short last block
    p0 = rng.normal(size=n).astype(np.float32)
    layout = [("0.W", 0, n - 10, (n - 10,)), ("0.b", n - 10, n, (10,))]
    blocked, whole = make(), make()
    pb, pw = p0.copy(), p0.copy()
    for _ in range(3):
        g = rng.normal(size=n).astype(np.float32)
        blocked.step_flat(pb, g, layout)
        whole.t += 1  # the same step, applied to the whole vector in one pass
        whole.update(pw, g, lambda key: whole.flat_state(key, pw, layout))
    np.testing.assert_array_equal(pb, pw)  # elementwise: bit for bit
    np.testing.assert_array_equal(blocked.state["0.W"][next(iter(blocked.state["0.W"]))],
                                  whole.state["0.W"][next(iter(whole.state["0.W"]))])  # fmt: skip
    assert pb.dtype == np.float32
