"""Per-step optimizer time and whole training-step time with and without the numba kernels.

Run from the repository root (needs numba: ``pip install -e '.[fast]'``)::

    python -m benchmarks.kernels            # W2's and W3's networks, float32, Adam
    python -m benchmarks.kernels --rounds 9

Both paths run in one process, alternating, each timed run after the harness's
settle pause (``benchmarks.run.SETTLE_S``), and the report gives medians. The
optimizer columns time one Adam step over the flat vector alone
(``Optimizer.step_flat``'s NumPy passes against the compiled
``glassnet.fast.kernels.compiled_update``); the training-step columns time a
whole epoch of ``glassnet.train`` (NumPy fast path against the compiled step,
``glassnet.fast.jitted_step.run_batches``). The one-time cost (importing numba,
loading or compiling the cached code) is printed separately: run it twice to
see the cached figure.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np

import glassnet as gn
from glassnet.fast import kernels as _kernels
from glassnet.fast.flat import FlatView

from .run import SETTLE_S

NETWORKS = {"W2": [20, 128, 128, 10], "W3": [784, 512, 512, 10]}
BATCH = {"W2": 256, "W3": 512}
OFF = 10**12  # a MIN_SIZE no vector reaches: the NumPy path


def optimizer_step(sizes: list[int], steps: int, rounds: int) -> tuple[float, float]:
    """Median seconds per Adam flat update: (NumPy path, compiled path)."""
    runs: dict[bool, list[float]] = {False: [], True: []}
    setups = {}
    for compiled in (False, True):
        model = gn.mlp(sizes, "relu", rng=0, dtype=np.float32)
        model.flat_grads[...] = np.random.default_rng(0).standard_normal(model.flat_grads.size)
        flat = FlatView.of(model)
        if flat is None:
            raise RuntimeError("an mlp's parameters must tile its flat vector")
        setups[compiled] = (flat, gn.Adam())
    for r in range(rounds + 1):  # round 0 warms up (and compiles)
        for compiled in (False, True) if r % 2 else (True, False):
            _kernels.MIN_SIZE = 0 if compiled else OFF
            flat, opt = setups[compiled]
            t = time.perf_counter()
            for _ in range(steps):
                flat.step(opt)  # the compiled update where MIN_SIZE lets it, else step_flat
            if r:
                runs[compiled].append((time.perf_counter() - t) / steps)
    return statistics.median(runs[False]), statistics.median(runs[True])


def training_step(name: str, n: int, rounds: int) -> tuple[float, float]:
    """Median seconds per step of one epoch of glassnet.train: (NumPy path, compiled path)."""
    rng = np.random.default_rng(0)
    sizes = NETWORKS[name]
    X = rng.standard_normal((n, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], n)
    steps = -(-n // BATCH[name])
    runs: dict[bool, list[float]] = {False: [], True: []}
    for r in range(rounds + 1):
        for compiled in (False, True) if r % 2 else (True, False):
            _kernels.MIN_SIZE = 0 if compiled else OFF
            model = gn.mlp(sizes, "relu", rng=0, dtype=np.float32)
            time.sleep(SETTLE_S)  # no run pays for the previous one's spinning BLAS threads
            t = time.perf_counter()
            loss = gn.SoftmaxCrossEntropy()
            route = "compiled" if compiled else "fast"
            gn.train(
                model, loss, gn.Adam(), X, y, epochs=1, batch_size=BATCH[name], rng=0, route=route
            )
            if r:
                runs[compiled].append((time.perf_counter() - t) / steps)
    return statistics.median(runs[False]), statistics.median(runs[True])


def one_time_cost() -> str:
    """Import numba and make the first compiled Adam call and training step, in a fresh process."""
    code = (
        "import time, numpy as np, glassnet as gn\n"
        "t = time.perf_counter()\n"
        "from glassnet.fast import kernels as _kernels\n"
        "k = _kernels.load()\n"
        "a = [np.ones(8, np.float32) for _ in range(4)]\n"
        "k.adam_update(*a, *[np.float32(0.5)] * 8)\n"
        "X = np.ones((8, 2), np.float32)\n"
        "m = gn.mlp([2, 4, 2], 'relu', rng=0, dtype=np.float32)\n"
        "gn.train(m, gn.SoftmaxCrossEntropy(), gn.Adam(), X, np.arange(8) % 2, epochs=1,\n"
        "         route='compiled')\n"
        "print(f'{time.perf_counter() - t:.3f}')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    if not _kernels.available():
        sys.exit("numba is not importable (or GLASSNET_NO_NUMBA is set): nothing to compare.")
    print(f"one-time cost in a fresh process (import numba + first call): {one_time_cost()} s")
    print(
        "| network | parameters | Adam step, NumPy | compiled | ratio | train step, NumPy "
        "| compiled | ratio |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, sizes in NETWORKS.items():
        n_params = gn.mlp(sizes, rng=0).flat_params.size
        o_np, o_nb = optimizer_step(sizes, 1000 if name == "W2" else 50, args.rounds)
        t_np, t_nb = training_step(name, 80_000 if name == "W2" else 15_360, args.rounds)
        print(
            f"| {name} | {n_params:,} | {o_np * 1e6:.0f} µs | {o_nb * 1e6:.0f} µs "
            f"| {o_np / o_nb:.2f} | {t_np * 1e3:.2f} ms | {t_nb * 1e3:.2f} ms "
            f"| {t_np / t_nb:.3f} |"
        )


if __name__ == "__main__":
    main()
