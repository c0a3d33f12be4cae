"""The compiled kernels' tanh, σ and exp (glassnet.fast.jitted_math) are NumPy's to an ulp or two.

They are plain arithmetic, so that the kernels' loops vectorise; here they are
swept over the whole float64 and float32 ranges (every 4099th float32, a dense
grid where the formulas switch, saturation and underflow points, subnormals,
±0, ±inf, NaN) and held to NumPy's results in ulps, the distance in
representable numbers. float32 is computed in float32, so it is also held to
the float64 result rounded to float32 (nearly the exact value), which it meets
more closely than NumPy's own float32 does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from glassnet.core import functional as F
from glassnet.fast import kernels as _kernels
from helpers import needs_numba

pytestmark = needs_numba

DTYPES = [np.float64, np.float32]
IDS = ["f64", "f32"]


@pytest.fixture(scope="module")
def k() -> Any:
    kernels = _kernels.load()
    assert kernels is not None
    return kernels


def ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Representable numbers between ``a`` and ``b``, entry by entry (NaN against NaN: 0)."""
    ints = np.int64 if a.dtype == np.float64 else np.int32
    ia, ib = a.view(ints).astype(np.int64), b.view(ints).astype(np.int64)
    low = np.iinfo(ints).min
    # Negative floats' bits count down from -0: fold them onto one increasing line.
    ia = np.where(ia < 0, low - ia, ia)
    ib = np.where(ib < 0, low - ib, ib)
    both_nan = np.isnan(a) & np.isnan(b)
    return np.where(both_nan, 0, np.abs(ia - ib))


def sweep(dtype: type, around: tuple[float, ...]) -> np.ndarray:
    """Values over the whole range of ``dtype``, and densely near the points in ``around``."""
    info = np.finfo(dtype)
    rng = np.random.default_rng(0)
    if dtype == np.float32:  # every 4099th float32: all exponents, many mantissas
        bits = np.arange(0, 2**32, 4099, dtype=np.int64).astype(np.uint32)
        spread = bits.view(np.int32).view(np.float32)
    else:  # random bit patterns: all exponents
        spread = rng.integers(0, 2**64, 300_000, dtype=np.uint64).view(np.float64)
    magnitudes = np.exp(rng.uniform(np.log(float(info.smallest_subnormal)), np.log(50.0), 200_000))
    near = [np.linspace(p * 0.97, p * 1.03, 20_001) for p in around]
    specials = [0.0, np.inf, np.nan, info.smallest_subnormal, info.smallest_normal, info.max]
    specials += [info.smallest_normal * 0.75, info.eps, 1e-30]
    values = np.concatenate([magnitudes, *near, np.asarray(specials)]).astype(dtype)
    with np.errstate(over="ignore"):  # the largest float's neighbour: inf
        values = np.concatenate([values, np.nextafter(values, dtype(np.inf))])
    return np.concatenate([spread, values, -values])


def _near_exact(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """``f`` in float64 rounded to float32: within an ulp of the exact value, mostly on it."""
    with np.errstate(all="ignore"):
        return f(x.astype(np.float64)).astype(np.float32)


def _run(kernel: Callable[..., None], x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    kernel(x, out)
    return out


# Where each switches formula or saturates: tanh's rational/exp split (0.625) and its
# saturation (19.06 / 9.01), exp's underflow and overflow, σ's through exp's.
TANH_POINTS = {np.float64: (0.625, 19.06, 1.0), np.float32: (0.625, 9.01, 1.0)}
EXP_POINTS = {
    np.float64: (745.13, 708.4, 709.78, 0.3466),
    np.float32: (103.97, 87.3, 88.72, 0.3466),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
def test_tanh_is_numpys_within_two_ulps(dtype: type, k: Any) -> None:
    x = sweep(dtype, TANH_POINTS[dtype])
    got = _run(k.tanh_into, x)
    assert got.dtype == dtype
    with np.errstate(all="ignore"):
        ref = np.tanh(x)
    assert int(ulps(got, ref).max()) <= 2
    if dtype == np.float32:  # and the exact value, rounded: closer than NumPy's float32
        assert int(ulps(got, _near_exact(np.tanh, x)).max()) <= 1


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
def test_tanh_is_odd_exact_at_zero_and_saturates(dtype: type, k: Any) -> None:
    x = sweep(dtype, TANH_POINTS[dtype])
    x = x[~np.isnan(x)]
    np.testing.assert_array_equal(_run(k.tanh_into, -x), -_run(k.tanh_into, x))
    edges = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 30.0, -30.0], dtype=dtype)
    got = _run(k.tanh_into, edges)
    np.testing.assert_array_equal(got, [0.0, -0.0, 1.0, -1.0, np.nan, 1.0, -1.0])
    assert list(np.signbit(got[:2])) == [False, True]  # tanh(-0) is -0
    tiny = np.array([np.finfo(dtype).smallest_subnormal, 1e-30, -1e-30], dtype=dtype)
    np.testing.assert_array_equal(_run(k.tanh_into, tiny), tiny)  # tanh x = x there


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
def test_exp_is_numpys_within_an_ulp(dtype: type, k: Any) -> None:
    x = sweep(dtype, EXP_POINTS[dtype])
    got = _run(k.exp_into, x)
    with np.errstate(all="ignore"):
        ref = np.exp(x)
    assert got.dtype == dtype
    if dtype == np.float64:
        assert int(ulps(got, ref).max()) <= 1
    else:  # NumPy's float32 exp is itself up to 2 ulp off near x = 0.35; this one, 1
        assert int(ulps(got, _near_exact(np.exp, x)).max()) <= 1
        assert int(ulps(got, ref).max()) <= 3
    edges = np.array([0.0, -np.inf, np.inf, np.nan, -1000.0, 1000.0], dtype=dtype)
    np.testing.assert_array_equal(_run(k.exp_into, edges), [1.0, 0.0, np.inf, np.nan, 0.0, np.inf])


@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
def test_logistic_is_the_readable_sigmoid_within_a_few_ulps(dtype: type, k: Any) -> None:
    x = sweep(dtype, EXP_POINTS[dtype])
    got = _run(k.logistic_into, x)
    with np.errstate(all="ignore"):
        ref = F.sigmoid(x)
    assert got.dtype == dtype
    # The readable formula rounds three times after exp (float32: up to ~2.7 ulp off
    # the exact value); this one, the same way, on an exp within an ulp of NumPy's.
    assert int(ulps(got, ref).max()) <= (2 if dtype == np.float64 else 4)
    if dtype == np.float32:
        assert int(ulps(got, _near_exact(F.sigmoid, x)).max()) <= 2
    edges = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 800.0, -800.0], dtype=dtype)
    np.testing.assert_array_equal(
        _run(k.logistic_into, edges), [0.5, 0.5, 1.0, 0.0, np.nan, 1.0, 0.0]
    )


def test_called_from_python_they_say_where_they_run() -> None:
    from glassnet.fast import jitted_math

    with pytest.raises(TypeError, match=r"inside compiled code only; call tanh_into"):
        jitted_math.tanh(0.5)
