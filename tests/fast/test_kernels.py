"""The optional compiled optimizer kernels (numba) compute what the NumPy path computes.

Both paths are always tested: the NumPy path everywhere, the compiled one wherever
numba imports (the ``test`` extra installs it, so CI runs these). ``MIN_SIZE`` is
lowered to 0 to send small test vectors through the kernel.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.datasets import make_classification

import glassnet as gn
from glassnet.fast import codes
from glassnet.fast import kernels as _kernels
from glassnet.fast.flat import FlatView
from helpers import needs_numba, run_python

OPTIMIZERS = {
    "sgd": lambda: gn.SGD(0.3),
    "sgd-wd": lambda: gn.SGD(0.3, weight_decay=1e-2),
    "momentum": lambda: gn.SGD(0.1, momentum=0.9),
    "momentum-wd": lambda: gn.SGD(0.1, momentum=0.9, weight_decay=1e-2),
    "nesterov": lambda: gn.SGD(0.1, momentum=0.9, nesterov=True),
    "nesterov-wd": lambda: gn.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=1e-2),
    "adam": lambda: gn.Adam(0.01),
    "adam-l2": lambda: gn.Adam(0.01, weight_decay=1e-2),
    "adamw": lambda: gn.AdamW(0.01),
    "adamw-0": lambda: gn.AdamW(0.01, weight_decay=0.0),
}
RTOL = {np.float32: 1e-6, np.float64: 1e-12}


def _kernel_results(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What ``kernels_for`` returns from now on, one entry a call.

    ``_kernels._loaded`` is cached for the whole session, so it cannot tell whether
    this test's update went through the compiled kernel; a non-None entry here can.
    """
    results: list[Any] = []
    real = _kernels.kernels_for

    def recording(*arrays: np.ndarray) -> Any:
        results.append(real(*arrays))
        return results[-1]

    monkeypatch.setattr(_kernels, "kernels_for", recording)
    return results


def _steps(
    make: object, dtype: type, compiled: bool, rng_seed: int, monkeypatch: pytest.MonkeyPatch
) -> tuple[gn.Sequential, gn.Optimizer]:
    """Five flat steps of a fresh optimizer on a small model, through the chosen path.

    ``FlatView.step``: the compiled kernel (``compiled_update``) where it should
    run, else the optimizer's own rule (``Optimizer.step_flat``).
    """
    monkeypatch.setattr(_kernels, "MIN_SIZE", 0 if compiled else 10**12)
    rng = np.random.default_rng(rng_seed)
    model = gn.mlp([7, 16, 3], rng=0, dtype=dtype)
    opt = make()  # type: ignore[operator]
    for _ in range(5):
        model.flat_grads[...] = rng.standard_normal(model.flat_grads.shape)
        flat = FlatView.of(model)
        assert flat is not None
        flat.step(opt)
    return model, opt


def _numpy_steps(make: object, rng_seed: int) -> gn.Sequential:
    """The same five steps by the readable route: the rule once per named array."""
    model = gn.mlp([7, 16, 3], rng=0)
    opt = make()  # type: ignore[operator]
    rng = np.random.default_rng(rng_seed)
    for _ in range(5):
        model.flat_grads[...] = rng.standard_normal(model.flat_grads.shape)
        opt.step(model.parameters(), model.gradients())
    return model


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
def test_compiled_and_numpy_updates_agree(
    opt: str, dtype: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    used = _kernel_results(monkeypatch)
    fast_model, fast_opt = _steps(OPTIMIZERS[opt], dtype, True, 1, monkeypatch)
    assert _kernels._loaded, "the compiled kernel was not used"
    assert any(k is not None for k in used), "the compiled kernel was not used"
    used.clear()
    ref_model, ref_opt = _steps(OPTIMIZERS[opt], dtype, False, 1, monkeypatch)
    assert all(k is None for k in used), "the reference run used the compiled kernel"
    assert fast_model.flat_params.dtype == dtype
    # The kernel restates Optimizer.update: the same numbers as Optimizer.step_flat.
    np.testing.assert_allclose(
        fast_model.flat_params, ref_model.flat_params, rtol=RTOL[dtype], atol=0
    )
    assert fast_opt.t == ref_opt.t == 5
    # Same state, keyed by parameter name, as views into the one flat vector per slot.
    assert fast_opt.state.keys() == ref_opt.state.keys()
    if opt not in ("sgd", "sgd-wd"):  # plain SGD keeps no state
        assert fast_opt.state.keys() == fast_model.parameters().keys()
    layout = FlatView.of(fast_model).layout  # type: ignore[union-attr]
    for name, slots in ref_opt.state.items():
        assert slots.keys() == fast_opt.state[name].keys()
        for key, ref in slots.items():
            got = fast_opt.state[name][key]
            np.testing.assert_allclose(got, ref, rtol=RTOL[dtype], atol=1e-30)
            assert got.base is fast_opt.flat_state(key, fast_model.flat_params, layout)


@needs_numba
@pytest.mark.parametrize("opt", ["momentum", "adam", "adamw"])
def test_training_with_the_kernel_matches_and_checkpoints(
    opt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    X, y = make_classification(120, n_features=6, n_informative=4, n_classes=3, random_state=0)
    results = []
    used = _kernel_results(monkeypatch)
    for compiled in (True, False):
        monkeypatch.setattr(_kernels, "MIN_SIZE", 0 if compiled else 10**12)
        used.clear()
        model = gn.mlp([6, 10, 3], "relu", rng=0, dtype=np.float32)
        optimizer = OPTIMIZERS[opt]()
        gn.train(model, gn.SoftmaxCrossEntropy(), optimizer, X, y, epochs=3, batch_size=40, rng=0)
        results.append((model.flat_params.copy(), optimizer.state_dict()))
        if compiled:
            assert any(k is not None for k in used), "the compiled kernel was not used"
        else:
            assert all(k is None for k in used), "the reference run used the compiled kernel"
    (fast, fast_state), (ref, ref_state) = results
    np.testing.assert_allclose(fast, ref, rtol=1e-6, atol=1e-7)
    assert fast_state["t"] == ref_state["t"] == 9
    # A checkpoint taken on the compiled path resumes on the NumPy path, and back.
    for resume_compiled in (False, True):
        monkeypatch.setattr(_kernels, "MIN_SIZE", 0 if resume_compiled else 10**12)
        model = gn.mlp([6, 10, 3], "relu", rng=0, dtype=np.float32)
        model.flat_params[...] = fast
        optimizer = OPTIMIZERS[opt]()
        optimizer.load_state_dict(fast_state)
        gn.train(model, gn.SoftmaxCrossEntropy(), optimizer, X, y, epochs=1, batch_size=40, rng=1)
        results.append((model.flat_params.copy(), optimizer.state_dict()))
    np.testing.assert_allclose(results[2][0], results[3][0], rtol=1e-6, atol=1e-7)


class DoubleGrad(gn.Adam):
    """Adam on twice the gradient: its own ``_decay``, a formula no kernel restates."""

    def _decay(self, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        return 2 * g


class HalfStepSGD(gn.SGD):
    """SGD with its own update rule (half the step)."""

    def update(self, p: np.ndarray, g: np.ndarray, slot: Any) -> None:
        p -= 0.5 * self.lr * g


class SameAdamW(gn.AdamW):
    """A subclass that changes no formula: it may take the kernel."""


@needs_numba
@pytest.mark.parametrize("make", [DoubleGrad, HalfStepSGD], ids=["own-decay", "own-update"])
def test_a_subclass_rule_keeps_the_numpy_path(make: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _kernels.kernel_code(make(lr=0.1)) == -1
    used = _kernel_results(monkeypatch)
    model, opt = _steps(lambda: make(lr=0.1), np.float64, True, 2, monkeypatch)
    assert used == [], "the compiled kernel was considered for a rule it does not restate"
    ref_model = _numpy_steps(lambda: make(lr=0.1), 2)  # the per-array rule: the subclass's
    np.testing.assert_allclose(model.flat_params, ref_model.flat_params, rtol=1e-12)
    assert opt.t == 5


def test_kernel_codes_go_to_the_formulas_the_kernels_restate() -> None:
    code = _kernels.kernel_code
    assert code(gn.ReLU()) == codes.RELU
    assert code(gn.LeakyReLU(0.2)) == codes.LEAKY_RELU
    assert code(gn.Identity()) == codes.IDENTITY
    assert code(gn.Tanh()) == codes.TANH
    assert code(gn.Sigmoid()) == codes.LOGISTIC
    assert code(gn.SGD(0.1, momentum=0.9)) == codes.SGD  # the caller tells momentum apart
    assert code(gn.Adam()) == codes.ADAM
    assert code(gn.AdamW()) == codes.ADAMW
    assert code(SameAdamW()) == codes.ADAMW
    for other in (gn.Dense(2, 2, rng=0), gn.Softmax(), DoubleGrad(), HalfStepSGD(0.1)):
        assert code(other) == -1, other

    class OwnReLU(gn.ReLU):
        def backward(self, grad: np.ndarray) -> np.ndarray:
            return grad

    assert code(OwnReLU()) == -1

    class SteepTanh(gn.Tanh):  # another formula: tanh(2x)
        def _f(self, x: np.ndarray, out: np.ndarray | None, ws: Any) -> np.ndarray:
            return np.tanh(2 * x, out=out)

    assert code(SteepTanh()) == -1


def test_dispatch_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    big = np.zeros(_kernels.MIN_SIZE, np.float32)
    small = np.zeros(_kernels.MIN_SIZE - 1, np.float32)
    assert _kernels.kernels_for(small, small) is None  # small: numba is not even tried
    monkeypatch.setenv(_kernels.ENV_OFF, "1")
    assert _kernels.kernels_for(big, big) is None
    assert not _kernels.available()
    monkeypatch.setenv(_kernels.ENV_OFF, "0")
    monkeypatch.setattr(_kernels, "_loaded", False)  # as if numba were missing
    assert _kernels.kernels_for(big, big) is None
    monkeypatch.setattr(_kernels, "_loaded", "kernels")  # as if loaded
    assert _kernels.kernels_for(big, big) == "kernels"
    assert _kernels.kernels_for(big.astype(np.float16), big.astype(np.float16)) is None
    assert _kernels.kernels_for(big, big.astype(np.float64)) is None
    assert _kernels.kernels_for(big, np.zeros(2 * big.size, np.float32)[::2]) is None


def forget_the_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if numba were not installed: ``import numba`` fails, no kernel module is loaded."""
    import glassnet.fast

    monkeypatch.delenv(_kernels.ENV_OFF, raising=False)
    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` raises ImportError
    for name in [n for n in sys.modules if n.startswith("glassnet.fast.jitted")]:
        monkeypatch.delitem(sys.modules, name)  # loaded by earlier tests
        monkeypatch.delattr(glassnet.fast, name.rpartition(".")[2], raising=False)
    monkeypatch.setattr(_kernels, "_loaded", None)
    monkeypatch.setattr(_kernels, "_step", None)


@pytest.mark.parametrize("opt", ["nesterov-wd", "adam-l2", "adamw"])
def test_without_numba_the_numpy_path_runs(opt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    forget_the_kernels(monkeypatch)
    monkeypatch.setattr(_kernels, "MIN_SIZE", 0)
    model, _ = _steps(OPTIMIZERS[opt], np.float64, True, 3, monkeypatch)
    assert _kernels._loaded is False  # tried, and remembered as missing
    assert "glassnet.fast.jitted" not in sys.modules
    ref_model = _numpy_steps(OPTIMIZERS[opt], 3)
    np.testing.assert_allclose(model.flat_params, ref_model.flat_params, rtol=1e-13)


def test_import_and_small_models_do_not_import_numba() -> None:
    code = (
        "import sys, numpy as np, glassnet as gn\n"
        "assert 'numba' not in sys.modules, 'import glassnet imported numba'\n"
        "X = np.random.default_rng(0).standard_normal((64, 2)); y = (X[:, 0] > 0).astype(int)\n"
        "for opt in (gn.SGD(0.5), gn.SGD(0.1, momentum=0.9), gn.Adam(), gn.AdamW()):\n"
        "    gn.train(gn.mlp([2, 32, 2], rng=0), gn.SoftmaxCrossEntropy(), opt, X, y, epochs=2)\n"
        "assert 'numba' not in sys.modules, 'a small model imported numba'\n"
    )
    run_python(code)


@needs_numba
def test_the_kernel_benchmark_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks import kernels as bench

    monkeypatch.setattr(_kernels, "MIN_SIZE", _kernels.MIN_SIZE)  # it switches MIN_SIZE
    times = [*bench.optimizer_step([3, 5, 2], steps=2, rounds=1)]
    assert all(t > 0 for t in times)
    assert float(bench.one_time_cost()) > 0


_INTERRUPTED_IMPORT = """
import sys
import numpy as np

class CtrlC:  # Ctrl-C while __TARGET__ is being imported, once
    fired = False

    def find_spec(self, name, path=None, target=None):
        if name == __TARGET__ and not CtrlC.fired:
            CtrlC.fired = True
            raise KeyboardInterrupt
        return None

sys.meta_path.insert(0, CtrlC())
import glassnet as gn
from glassnet.fast import kernels

X = np.random.default_rng(0).normal(size=(64, 3))
y = (X[:, 0] > 0).astype(int)

def fit():  # asked for by name: whatever "auto" would pick for so small a run
    model = gn.mlp([3, 8, 2], "relu", rng=0)
    return gn.train(model, gn.SoftmaxCrossEntropy(), gn.Adam(), X, y, epochs=2,
                    route="compiled").route

try:
    fit()
except KeyboardInterrupt:
    pass
else:
    raise SystemExit("the import was not interrupted")
assert CtrlC.fired
# An interrupt is no verdict on numba: nothing is remembered as missing.
assert kernels._loaded is not False and kernels._step is not False, (kernels._loaded, kernels._step)
print(fit(), kernels._loaded.__name__)
"""


@needs_numba
@pytest.mark.parametrize(
    "target",
    ["llvmlite.binding.object_file", "numba.core.typing", "glassnet.fast.jitted_step",
     "scipy.linalg._decomp"],
    ids=["in-llvmlite", "in-numba", "in-the-kernels", "in-scipy-blas"],
)  # fmt: skip
def test_ctrl_c_while_numba_imports_leaves_later_fits_compiled(target: str) -> None:
    # Reliability defect 9: an import of numba cut short by Ctrl-C left numba's finished
    # submodules behind a dropped package, and every later compiled fit in the process
    # failed with "module 'numba' has no attribute 'core'". The retry must start clean.
    script = _INTERRUPTED_IMPORT.replace("__TARGET__", repr(target))
    done = run_python(script, **{_kernels.ENV_OFF: ""})
    assert done.stdout.split() == ["compiled", "glassnet.fast.jitted"], done.stderr


def _built_from(module: Path) -> str:
    """The digest a kernel module's ``BUILT_FROM`` holds: its sibling imports' sources."""
    siblings = sorted(set(re.findall(r"^from \.(\w+) import", module.read_text(), re.M)))
    digest = hashlib.sha256()
    for name in siblings:
        digest.update(name.encode() + b"\0" + (module.parent / f"{name}.py").read_bytes())
    return digest.hexdigest()[:16]


def test_each_kernel_module_names_the_sources_it_is_built_from() -> None:
    # numba's disk cache checks a compiled function's own file only: run_batches would
    # keep the machine code of an older activation kernel (an edited jitted_layers.py
    # or jitted_math.py) unless jitted_step.py changes too. BUILT_FROM makes it change.
    from glassnet.fast import jitted_options

    folder = Path(jitted_options.__file__).parent
    stale = []
    for module in sorted(folder.glob("jitted_*.py")):
        if not re.search(r"^from \.jitted_\w+ import", module.read_text(), re.M):
            continue  # builds on no other kernel module
        found = re.search(r'^BUILT_FROM = "(\w*)"', module.read_text(), re.M)
        want = _built_from(module)
        if found is None or found.group(1) != want:
            stale.append(f'{module.name}: BUILT_FROM = "{want}"')
    # One digest covers another module's BUILT_FROM line: rerun until none is listed.
    assert not stale, "update, then rerun this test:\n" + "\n".join(stale)
