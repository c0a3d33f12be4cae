"""tanh, the logistic function and exp in plain arithmetic, so that compiled loops vectorise.

numba turns ``np.tanh`` and ``np.exp`` into scalar calls of the C library,
one element at a time, which keeps LLVM from vectorising the loop around them
(W1's compiled epoch took 355 µs against NumPy's SIMD 182). Here they are
multiplications, additions, one division, comparisons and bit moves only, so a
loop of them runs 4 (float64) or 8 (float32) elements at a time (AVX2):

* ``e^y`` is reduced as ``y = k·ln 2 + r``, ``|r| ≤ ln 2 / 2`` (Cody and Waite:
  ``ln 2`` in two parts, the first with trailing zero bits so that ``k·ln2_hi``
  is exact), ``e^r − 1 = r + r²·E(r)`` by a polynomial, and ``2^k`` is built in
  the exponent bits (``k`` is read from the bits of ``y/ln 2 + 1.5·2^52``, the
  round-to-nearest trick: no float-to-int conversion, which AVX2 lacks). ``2^k``
  is applied in two halves, so that ``e^y`` underflows gradually through the
  subnormals to 0 and overflows to inf where ``np.exp`` does;
* ``tanh x = x + x³·P(x²)/Q(x²)`` for ``|x| < 0.625``, else
  ``sign(x)·(1 − 2/(e^{2|x|} + 1))``, with ``e^{2|x|} + 1 = (2^k + 1) + 2^k·(e^r − 1)``
  in one rounding. Both sides are computed and one is kept (a select, not a
  branch), with one division between them. ``|x|`` is clamped past the point where
  tanh rounds to ±1 (19.06 in float64, 9.01 in float32), so ±inf give ±1; NaN
  stays NaN, ±0 stay ±0 (``copysign``), tiny and subnormal ``x`` give ``x``;
* ``σ(x)`` is :func:`glassnet.core.functional.sigmoid`'s formula, rounded as it
  rounds, on this ``e = e^{−|x|}``: ``1/(1 + e)`` for ``x ≥ 0``, else ``e·(1/(1 + e))``.

float32 is computed in float32, with polynomials of lower degree. The
coefficients are minimax-like fits of ours (Lawson-weighted least squares at 60
digits with mpmath): ``P/Q`` of degrees 2/3 (float64; 1/2 in float32) to
``(tanh x − x)/x³`` in ``x²`` on [0, 0.625²], relative error 1.7e-17 (5e-11);
``E`` of degree 10 (5) to ``(e^r − 1 − r)/r²``, 2.7e-18 (2.7e-9). Multiply-adds
are fused (``llvm.fma``, one rounding each: every x86-64 CPU with AVX2 has FMA).

Measured (``tests/fast/test_fast_tanh.py`` sweeps the whole range; float32 tanh
also exhaustively): tanh within 2 ulp of ``np.tanh`` (float64: 1 but for one
value in 3 million; float32: every non-negative float, 2 ulp at 4,692 of 2.1e9)
and within an ulp of the exact value (NumPy's float32 tanh: 1.4); exp within an
ulp of ``np.exp`` in float64 and of the exact value in float32 (NumPy's float32
exp: up to 2 ulp off, so 3 between them); σ within 2 ulp of
:func:`~glassnet.core.functional.sigmoid` in float64 and 4 in float32, whose own
three roundings leave it up to 2.7 ulp off the exact value (this one: 2).
Speed, 32k values: float64 tanh ~50 µs against ``np.tanh``'s ~47, float32 ~19
against ~11 (NumPy has AVX-512 code, numba's LLVM keeps to 256-bit vectors):
the point is not to beat NumPy's tanh but to fuse it into the compiled loops.

Imported only through :func:`glassnet.fast.kernels.load` (it imports numba).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import types
from numba.extending import intrinsic, overload

from .jitted_options import jit

__all__ = ["exp", "exp_into", "logistic", "logistic_into", "tanh", "tanh_into"]

#: Digest of the sibling modules this one compiles in (tests/fast/test_kernels.py computes
#: it). numba's disk cache checks only a function's own file: a change to those
#: must change this file too, or their old machine code would be loaded.
BUILT_FROM = "b5f3754629f25d89"

# Inlined into the caller before LLVM sees the loop: a call would stop it vectorising.
_inline = numba.njit(inline="always")


def _fma_typing(typingctx: Any, a: Any, b: Any, c: Any) -> Any:  # pragma: no cover - compiled
    """``a·b + c`` rounded once (``llvm.fma``); all three of one float type."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        t = args[0].type
        fn = builder.module.declare_intrinsic("llvm.fma", [t], ir.FunctionType(t, [t, t, t]))
        return builder.call(fn, args)

    return a(a, a, a), codegen


_fma: Any = intrinsic(_fma_typing)  # Any: numba's hints count typingctx as an argument


def _bits_typing(typingctx: Any, x: Any) -> Any:  # pragma: no cover - compiled
    """The bits of a float as a signed integer of its width (a bitcast: no instruction)."""
    width = x.bitwidth

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.IntType(width))

    return types.int64(x) if width == 64 else types.int32(x), codegen


_bits: Any = intrinsic(_bits_typing)  # Any: numba's hints count typingctx as an argument


def _float_of_typing(typingctx: Any, bits: Any, like: Any) -> Any:  # pragma: no cover - compiled
    """The float of ``like``'s type whose bits are the low bits of the integer ``bits``."""
    width = like.bitwidth

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        value = args[0]
        if value.type.width != width:
            value = builder.trunc(value, ir.IntType(width))
        return builder.bitcast(value, ir.DoubleType() if width == 64 else ir.FloatType())

    return like(bits, like), codegen


_float_of: Any = intrinsic(_float_of_typing)  # Any: numba's hints count typingctx as an argument


# --- float64 -----------------------------------------------------------------------
_P64 = (-0.3333333333333333, -0.020498914636091638, -0.00019918313346913106)
_Q64 = (0.46149674390827167, 0.02329148505905441, 0.0002065391886525965)
_E64 = (
    0.5,
    0.1666666666666667,
    0.041666666666666616,
    0.00833333333332611,
    0.0013888888888918198,
    0.00019841269874921943,
    2.480158724538947e-05,
    2.755725525903296e-06,
    2.7557349757688873e-07,
    2.510527984320981e-08,
    2.088939365371626e-09,
)
_INV_LN2 = 1.4426950408889634
_LN2_HI_64 = 6.93147180369123816490e-01  # ln 2 to 32 bits: k·ln2_hi is exact for |k| < 2^20
_LN2_LO_64 = 1.90821492927058770002e-10  # the rest
_SHIFT_64 = 6755399441055744.0  # 1.5·2^52: y + this rounds y to an integer in the low bits
_SHIFT_BITS_64 = 0x4338000000000000  # ... whose bits are these plus that integer
_TANH_CLAMP_64 = 20.0  # past 19.06, 1 − 2/(e^{2x} + 1) rounds to 1
_EXP_FLOOR_64 = -746.0  # below −745.13, e^y rounds to 0
_EXP_CEIL_64 = 710.0  # above 709.78, e^y overflows to inf


@_inline
def _expm1_reduced_64(y: float) -> tuple[int, float]:  # pragma: no cover - compiled
    """``(k, p)`` with ``e^y = 2^k·(1 + p)``: ``k`` nearest ``y / ln 2``, ``p = e^r − 1``."""
    t = _fma(y, _INV_LN2, _SHIFT_64)
    k = t - _SHIFT_64
    r = _fma(k, -_LN2_LO_64, _fma(k, -_LN2_HI_64, y))
    r2 = r * r
    r4 = r2 * r2
    e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10 = _E64
    # Estrin's scheme: shorter chains of dependent operations than Horner's.
    high = _fma(r, e9, e8) + r2 * e10
    mid = _fma(r, e5, e4) + r2 * _fma(r, e7, e6) + r4 * high
    low = _fma(r, e1, e0) + r2 * _fma(r, e3, e2)
    return _bits(t) - _SHIFT_BITS_64, _fma(r2, low + r4 * mid, r)


@_inline
def _pow2_64(k: int) -> float:  # pragma: no cover - compiled
    """``2^k`` for ``−1022 ≤ k ≤ 1023``, written in the exponent bits."""
    return _float_of((k + 1023) << 52, 0.0)


@_inline
def _tanh_64(x: Any) -> Any:  # pragma: no cover - compiled
    a = abs(x)
    a = _TANH_CLAMP_64 if a > _TANH_CLAMP_64 else a  # NaN stays NaN
    z = x * x
    p0, p1, p2 = _P64
    q1, q2, q3 = _Q64
    top = x * z * _fma(z, _fma(z, p2, p1), p0)
    bottom = _fma(z, _fma(z, _fma(z, q3, q2), q1), 1.0)
    k, p = _expm1_reduced_64(a + a)
    two_k = _pow2_64(k)
    small = a < 0.625
    q = (top if small else 2.0) / (bottom if small else _fma(two_k, p, two_k + 1.0))
    return np.copysign(x + q if small else 1.0 - q, x)


@_inline
def _exp_64(x: Any) -> Any:  # pragma: no cover - compiled
    # 2^k in two halves: each a normal number for k from −1077 (e^y rounds to 0 below)
    # to 1024 (e^y overflows to inf above), so that e^y underflows gradually, as np.exp.
    y = _EXP_FLOOR_64 if x < _EXP_FLOOR_64 else x  # NaN stays NaN
    y = _EXP_CEIL_64 if y > _EXP_CEIL_64 else y
    k, p = _expm1_reduced_64(y)
    half = k >> 1
    s = _pow2_64(half)
    return _fma(s, p, s) * _pow2_64(k - half)


@_inline
def _logistic_64(x: Any) -> Any:  # pragma: no cover - compiled
    e = _exp_64(-abs(x))
    pos = 1.0 / (1.0 + e)
    return pos if x >= 0 else e * pos


# --- float32: the same, in float32, with shorter polynomials ------------------------------
_f = np.float32
_P32 = (_f(-0.3333333432674408), _f(-0.014773482456803322))
_Q32 = (_f(0.4443204402923584), _f(0.015823474153876305))
_E32 = (
    _f(0.5),
    _f(0.1666666716337204),
    _f(0.041666463017463684),
    _f(0.008333360776305199),
    _f(0.0013933687005192041),
    _f(0.00019857820007018745),
)
_INV_LN2_32 = _f(_INV_LN2)
_LN2_HI_32 = _f(0.693145751953125)  # ln 2 to 16 bits
_LN2_LO_32 = _f(1.428606765330187e-06)
_SHIFT_32 = _f(12582912.0)  # 1.5·2^23
_SHIFT_BITS_32 = 0x4B400000
_TANH_CLAMP_32 = _f(10.0)  # past 9.01, tanh rounds to 1
_EXP_FLOOR_32 = _f(-104.0)  # below −103.97, e^y rounds to 0
_EXP_CEIL_32 = _f(89.0)  # above 88.72, e^y overflows to inf
_ZERO_32, _ONE_32, _TWO_32, _SPLIT_32 = _f(0.0), _f(1.0), _f(2.0), _f(0.625)


@_inline
def _expm1_reduced_32(y: Any) -> tuple[int, Any]:  # pragma: no cover - compiled
    """:func:`_expm1_reduced_64` in float32."""
    t = _fma(y, _INV_LN2_32, _SHIFT_32)
    k = t - _SHIFT_32
    r = _fma(k, -_LN2_LO_32, _fma(k, -_LN2_HI_32, y))
    r2 = r * r
    e0, e1, e2, e3, e4, e5 = _E32
    poly = _fma(r, e1, e0) + r2 * (_fma(r, e3, e2) + r2 * _fma(r, e5, e4))
    return _bits(t) - _SHIFT_BITS_32, _fma(r2, poly, r)


@_inline
def _pow2_32(k: int) -> Any:  # pragma: no cover - compiled
    """``2^k`` in float32 for ``−126 ≤ k ≤ 127``."""
    return _float_of((k + 127) << 23, _ZERO_32)


@_inline
def _tanh_32(x: Any) -> Any:  # pragma: no cover - compiled
    a = abs(x)
    a = _TANH_CLAMP_32 if a > _TANH_CLAMP_32 else a
    z = x * x
    p0, p1 = _P32
    q1, q2 = _Q32
    top = x * z * _fma(z, p1, p0)
    bottom = _fma(z, _fma(z, q2, q1), _ONE_32)
    k, p = _expm1_reduced_32(a + a)
    two_k = _pow2_32(k)
    small = a < _SPLIT_32
    q = (top if small else _TWO_32) / (bottom if small else _fma(two_k, p, two_k + _ONE_32))
    return np.copysign(x + q if small else _ONE_32 - q, x)


@_inline
def _exp_32(x: Any) -> Any:  # pragma: no cover - compiled
    y = _EXP_FLOOR_32 if x < _EXP_FLOOR_32 else x
    y = _EXP_CEIL_32 if y > _EXP_CEIL_32 else y
    k, p = _expm1_reduced_32(y)
    half = k >> 1
    s = _pow2_32(half)
    return _fma(s, p, s) * _pow2_32(k - half)


@_inline
def _logistic_32(x: Any) -> Any:  # pragma: no cover - compiled
    e = _exp_32(-abs(x))
    pos = _ONE_32 / (_ONE_32 + e)
    return pos if x >= _ZERO_32 else e * pos


def tanh(x: float) -> float:
    """``tanh x`` for compiled code (float64 or float32, in that type); see the module notes.

    Raises
    ------
    TypeError
        When called from Python: it is a compiled building block; use :func:`tanh_into`.
    """
    raise TypeError("jitted_math.tanh runs inside compiled code only; call tanh_into(x, out)")


def exp(x: float) -> float:
    """``e^x`` for compiled code (float64 or float32, in that type); see the module notes.

    Raises
    ------
    TypeError
        When called from Python: it is a compiled building block; use :func:`exp_into`.
    """
    raise TypeError("jitted_math.exp runs inside compiled code only; call exp_into(x, out)")


def logistic(x: float) -> float:
    """``σ(x) = 1 / (1 + e^{−x})`` for compiled code (float64 or float32, in that type).

    Raises
    ------
    TypeError
        When called from Python: it is a compiled building block; use :func:`logistic_into`.
    """
    raise TypeError("jitted_math.logistic runs inside compiled code only; call logistic_into")


def _by_width(impl64: Any, impl32: Any) -> Any:
    """The typing rule of an overload: ``impl32`` for float32, ``impl64`` for float64."""

    def typer(x: Any) -> Any:
        if isinstance(x, types.Float):
            return impl32 if x.bitwidth == 32 else impl64
        return None

    return typer


overload(exp, inline="always")(_by_width(_exp_64.py_func, _exp_32.py_func))
overload(tanh, inline="always")(_by_width(_tanh_64.py_func, _tanh_32.py_func))
overload(logistic, inline="always")(_by_width(_logistic_64.py_func, _logistic_32.py_func))


@jit
def tanh_into(x: Any, out: Any) -> None:  # pragma: no cover - compiled
    """``out[i] ← tanh(x[i])`` over 1-D arrays of one float dtype (tests and benchmarks)."""
    for i in range(x.shape[0]):
        out[i] = tanh(x[i])


@jit
def logistic_into(x: Any, out: Any) -> None:  # pragma: no cover - compiled
    """``out[i] ← σ(x[i])`` over 1-D arrays of one float dtype (tests and benchmarks)."""
    for i in range(x.shape[0]):
        out[i] = logistic(x[i])


@jit
def exp_into(x: Any, out: Any) -> None:  # pragma: no cover - compiled
    """``out[i] ← e^x[i]`` over 1-D arrays of one float dtype (tests and benchmarks)."""
    for i in range(x.shape[0]):
        out[i] = exp(x[i])
