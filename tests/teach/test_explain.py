"""The worked derivation: every intermediate checked against an independent computation."""

from __future__ import annotations

import re

import numpy as np
import pytest

from glassnet.teach.explain import AGREEMENT_TOLERANCE, derive, render, table
from helpers import agreements


def _loss(z: np.ndarray, y: np.ndarray) -> float:
    """Cross-entropy written out plainly, for finite differences."""
    m = np.max(z)
    return float(-np.sum(y * (z - m - np.log(np.sum(np.exp(z - m))))))


def _numeric_grad(f: object, z: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    out = np.zeros_like(z)
    for i in range(z.size):
        step = np.zeros_like(z)
        step[i] = eps
        out[i] = (f(z + step) - f(z - step)) / (2 * eps)  # type: ignore[operator]
    return out


@pytest.mark.parametrize("k", [2, 3, 5])
def test_label_case_both_jacobian_cases_and_the_routes_agree(
    k: int, rng: np.random.Generator
) -> None:
    z = rng.normal(scale=2.0, size=k)
    label = int(rng.integers(k))
    d = derive(z, label)
    e = np.exp(z - z.max())
    p = e / e.sum()
    np.testing.assert_allclose(d.y_hat, p, rtol=1e-14)
    y = np.eye(k)[label]
    np.testing.assert_array_equal(d.y, y)
    for o in range(k):
        for i in range(k):
            expected = p[o] * (1 - p[o]) if i == o else -p[o] * p[i]
            assert d.jacobian[o, i] == pytest.approx(expected, rel=1e-12, abs=1e-16)
    # The Jacobian is the derivative of softmax: check it by central differences.
    for i in range(k):
        step = np.zeros(k)
        step[i] = 1e-6

        def sm(v: np.ndarray) -> np.ndarray:
            w = np.exp(v - v.max())
            return w / w.sum()

        column = (sm(z + step) - sm(z - step)) / 2e-6
        np.testing.assert_allclose(d.jacobian[:, i], column, atol=1e-8)
    np.testing.assert_allclose(d.same_term, -y * (1 - p), atol=1e-15)
    np.testing.assert_allclose(d.other_terms, p * (1 - y), atol=1e-15)
    np.testing.assert_allclose(d.chain, p - y, atol=AGREEMENT_TOLERANCE)
    np.testing.assert_allclose(d.chain, _numeric_grad(lambda v: _loss(v, y), z), atol=1e-8)
    assert d.loss == pytest.approx(-np.log(p[label]), rel=1e-12)
    assert d.difference < AGREEMENT_TOLERANCE
    assert d.agrees


def test_target_not_summing_to_one_gives_y_hat_times_sum_minus_y(
    rng: np.random.Generator,
) -> None:
    z = rng.normal(size=4)
    y = rng.uniform(0.1, 0.9, size=4)
    d = derive(z, y)
    assert d.label is None
    assert d.target_sum == pytest.approx(y.sum())
    np.testing.assert_allclose(d.shortcut, d.y_hat * y.sum() - y, rtol=1e-14)
    np.testing.assert_allclose(d.chain, _numeric_grad(lambda v: _loss(v, y), z), atol=1e-8)
    # Here ŷ − y is *not* the gradient: the shortcut must use Σy.
    assert np.max(np.abs(d.chain - (d.y_hat - y))) > 1e-3
    np.testing.assert_allclose(d.library, d.chain, atol=AGREEMENT_TOLERANCE)
    assert d.agrees


def test_zero_probability_on_an_unused_class_is_fine_but_on_the_target_is_an_error() -> None:
    d = derive([800.0, 0.0], 0)  # ŷ_1 = exp(-800) is 0 in float64, but y_1 = 0
    assert d.y_hat[1] == 0.0
    np.testing.assert_array_equal(d.dL_dy_hat, [-1.0, 0.0])
    np.testing.assert_allclose(d.chain, [0.0, 0.0], atol=1e-300)
    assert d.loss == 0.0
    with pytest.raises(ValueError, match=r"class 1 has target 1 but probability .* is 0"):
        derive([800.0, 0.0], 1)


@pytest.mark.parametrize(
    ("logits", "target", "message"),
    [
        ([1.0, 2.0], 2, r"label must be a class index in \[0, 2\) for 2 logits; got 2"),
        ([1.0, 2.0], -1, r"label must be a class index in \[0, 2\)"),
        ([1.0, 2.0], 0.5, r"label must be a class index \(an integer\); got 0.5"),
        ([1.0, 2.0], [0.5, 0.2, 0.3], r"target must have one entry per logit \(2\); got 3"),
        ([1.0, 2.0], [0.5, -0.2], r"target must be non-negative"),
        ([1.0, np.nan], 0, r"logits contains NaN or inf"),
        ([1.0], 0, r"logits must be a 1-D vector .* \(at least 2\); got shape \(1,\)"),
        ([[1.0, 2.0]], 0, r"logits must be a 1-D vector"),
    ],
    ids=["label-high", "label-negative", "label-float", "target-length", "target-negative",
         "nan", "one-class", "2-d"],
)  # fmt: skip
def test_bad_input_raises_with_the_argument_named(
    logits: object, target: object, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        derive(logits, target)  # type: ignore[arg-type]


def test_render_shows_both_cases_the_numbers_and_theagreements() -> None:
    d = derive([2.0, 1.0, -1.0], 0)
    text = render(d, title="Case 1")
    assert text.startswith("Case 1\n======")
    assert "case i = o (diagonal):      ∂ŷ_o/∂z_i = ŷ_o (1 − ŷ_o)" in text
    assert "case i ≠ o (off-diagonal):  ∂ŷ_o/∂z_i = −ŷ_o ŷ_i" in text
    assert "∂L/∂ŷ_o = −y_o / ŷ_o" in text
    p0 = np.exp(2.0) / np.sum(np.exp([2.0, 1.0, -1.0]))
    assert f"J[0, 0] = ŷ_0 (1 − ŷ_0) = {p0:.6f} × {1 - p0:.6f} = {p0 * (1 - p0):.6f}" in text
    # The probabilities table: row 0 holds z_0, ŷ_0 and y_0, aligned in columns.
    rows = [line for line in text.splitlines() if re.match(r"^\s+0\s+2\.000000\s", line)]
    assert rows and rows[0].split() == ["0", "2.000000", f"{p0:.6f}", "1.000000"]
    assert "ŷ_i − y_i, as Σy = 1" in text
    diffs = agreements(text)
    assert len(diffs) == 1 and diffs[0] < 1e-12
    assert "agree to machine precision" in text
    second = render(derive([2.0, 1.0, -1.0], [0.5, 0.3, 0.4]))
    assert "Σy = 1.200000" in second and "here Σy ≠ 1, so not ŷ − y" in second
    assert agreements(second)[0] < 1e-12


def test_table_aligns_columns() -> None:
    text = table(["name", "value"], [["a", "1.5"], ["long name", "−22.25"]], indent="")
    lines = text.splitlines()
    assert len({len(line) for line in lines}) == 1  # every line as wide: aligned
    assert lines[2].endswith("   1.5") and lines[3].startswith("long name")


def test_the_multilabel_derivation_gives_y_hat_minus_y_three_ways() -> None:
    from glassnet.teach.explain_multilabel import derive_multilabel, render_multilabel

    d = derive_multilabel([2.0, -1.0, 0.5, 0.0], [1, 0, 0, 1])
    sig = 1.0 / (1.0 + np.exp(-np.array([2.0, -1.0, 0.5, 0.0])))
    np.testing.assert_allclose(d.shortcut, sig - [1, 0, 0, 1], rtol=1e-15)
    assert d.agrees and d.difference < 1e-15
    np.testing.assert_allclose(d.slope, sig * (1 - sig), rtol=1e-15)
    text = render_multilabel(d)
    assert "∂ŷ_k/∂z_i = 0 for i ≠ k" in text and "they agree to machine precision" in text


@pytest.mark.parametrize(
    ("logits", "targets", "match"),
    [([1.0, 2.0], [1, 2], r"targets must lie in \[0, 1\]"), ([800.0], [0], "exactly 0 or 1")],
    ids=["target-out-of-range", "saturated"],
)
def test_the_multilabel_derivation_refuses_what_it_cannot_show(
    logits: list[float], targets: list[float], match: str
) -> None:
    from glassnet.teach.explain_multilabel import derive_multilabel

    with pytest.raises(ValueError, match=match):
        derive_multilabel(logits, targets)
