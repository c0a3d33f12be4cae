"""One browser tab's training run: data, network, optimizer, history, and what it shows.

A :class:`Session` is plain Python and NumPy: the server calls its methods from
worker threads, one at a time per session (its ``lock``), so the event loop
never runs the maths.
"""

from __future__ import annotations

import base64
import copy
import threading
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..core.functional import softmax
from ..core.layers import Dense
from ..core.losses import SoftmaxCrossEntropy
from ..core.optim import SGD, Adam, AdamW, Optimizer
from ..core.sequential import Sequential, mlp
from ..teach.explain import derive, render
from ..training.loop import train
from ..training.state import History
from .data import MAX_CLASSES, Data, DataError, generate, split
from .settings import Settings

__all__ = ["CASE_TITLE", "DATA_KEYS", "GRID", "Session", "make_optimizer"]

#: Boundary grid points per axis.
GRID = 100
#: Coarser grid for each hidden unit's own picture.
UNIT_GRID = 24
#: Settings that change the data (the rest change only the network and its training).
DATA_KEYS = ("dataset", "classes", "noise", "samples", "seed")
#: The title ``glassnet explain`` gives a one-hot derivation.
CASE_TITLE = "Case 1: a class label, so y is one-hot and ∂L/∂z = ŷ − y"


def make_optimizer(s: Settings) -> Optimizer:
    """The optimizer the settings name (AdamW's decoupled decay is the L2 setting)."""
    if s.optimizer == "sgd":
        return SGD(s.lr, momentum=s.momentum)
    if s.optimizer == "adamw":
        return AdamW(s.lr, weight_decay=s.l2)
    return Adam(s.lr)


def _b64(a: NDArray[Any]) -> str:
    return base64.b64encode(np.ascontiguousarray(a).tobytes()).decode("ascii")


def _cells(lo: float, hi: float, n: int) -> NDArray[np.float64]:
    """Cell centres: pixel column c of an n-cell picture shows the point at its centre."""
    return lo + (np.arange(n) + 0.5) / n * (hi - lo)


class Session:
    """A training run and everything the page asks of it.

    Parameters
    ----------
    settings : Settings, optional
        Defaults when None.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.lock = threading.Lock()
        self.settings = settings or Settings()
        s = self.settings
        self.data = generate(s.dataset, s.samples, s.noise, s.seed, s.classes)
        self.reset()

    # -- building -------------------------------------------------------------------------

    def reset(self) -> None:
        """Fresh weights, optimizer and history on the current data and settings."""
        s = self.settings
        n = len(self.data.y)
        self.train_idx, self.test_idx = split(n, s.test, s.seed)
        self.rng = np.random.default_rng(s.seed)
        k = self.data.n_classes
        self.model: Sequential = mlp([2, *s.hidden, k], s.activation, rng=self.rng)
        self.optimizer = make_optimizer(s)
        self.loss = SoftmaxCrossEntropy(label_smoothing=s.smoothing)
        self.history = History()
        # The fast route needs hard labels without smoothing; both give the same maths.
        self.route = "fast" if s.smoothing == 0 else "readable"
        self.l2 = 0.0 if s.optimizer == "adamw" else s.l2
        self.edited = False
        X = self.data.X
        lo, hi = X.min(axis=0), X.max(axis=0)
        pad = 0.1 * np.maximum(hi - lo, 1e-9) + 0.1
        self.bounds = [float(lo[0] - pad[0]), float(hi[0] + pad[0]),
                       float(lo[1] - pad[1]), float(hi[1] + pad[1])]  # fmt: skip
        self._grid = self._points(GRID)
        self._unit_grid = self._points(UNIT_GRID)

    def _points(self, n: int) -> NDArray[np.float64]:
        x0, x1, y0, y1 = self.bounds
        gx, gy = np.meshgrid(_cells(x0, x1, n), _cells(y0, y1, n))
        return np.c_[gx.ravel(), gy.ravel()]  # row r (y grows with r), column c

    def configure(self, s: Settings) -> None:
        """Take new settings: new data when a data setting changed, then a fresh run."""
        old = self.settings
        self.settings = s
        if self.data.source == "generated" or any(
            getattr(old, k) != getattr(s, k) for k in DATA_KEYS
        ):
            self.data = generate(s.dataset, s.samples, s.noise, s.seed, s.classes)
        self.reset()

    def use_data(self, data: Data) -> None:
        """Train on uploaded data from now on (a fresh run)."""
        self.data = data
        self.reset()

    def add_point(self, x: float, y: float, label: int) -> None:
        """Add a training point; a new class (``label == n_classes``) restarts the run."""
        k = self.data.n_classes
        if not (np.isfinite(x) and np.isfinite(y)):
            raise DataError("the point's coordinates must be finite numbers.")
        if not 0 <= label <= k or label >= MAX_CLASSES:
            raise DataError(f"the class must be 0 to {min(k, MAX_CLASSES - 1)}; got {label}.")
        d = self.data
        classes = d.classes + ([self._new_class()] if label == k else [])
        self.data = Data(
            np.vstack([d.X, [[x, y]]]), np.append(d.y, label).astype(np.intp), classes, "edited"
        )
        if label == k:
            self.reset()
        self.train_idx = np.append(self.train_idx, len(self.data.y) - 1)
        self.edited = True

    def _new_class(self) -> Any:
        existing = set(self.data.classes)
        if all(isinstance(c, int) for c in existing):
            return max(existing) + 1
        i = len(existing)
        while f"class {i}" in existing:
            i += 1
        return f"class {i}"

    # -- training ---------------------------------------------------------------------

    @property
    def epoch(self) -> int:
        return len(self.history.loss)

    def train_for(self, budget_s: float, max_epochs: int) -> int:
        """Train whole epochs until ``budget_s`` seconds or ``max_epochs`` pass; return how many."""
        s = self.settings
        d = self.data
        X_tr, y_tr = d.X[self.train_idx], d.y[self.train_idx]
        val = (d.X[self.test_idx], d.y[self.test_idx]) if len(self.test_idx) else None
        start = time.perf_counter()
        done = 0
        while done < max_epochs:
            train(
                self.model, self.loss, self.optimizer, X_tr, y_tr,
                epochs=1, batch_size=min(s.batch, len(y_tr)), rng=self.rng,
                validation_data=val, l2=self.l2, history=self.history, route=self.route,
            )  # fmt: skip
            done += 1
            if time.perf_counter() - start >= budget_s:
                break
        return done

    # -- what the page shows ----------------------------------------------------------

    def dense(self) -> list[Dense]:
        return [layer for layer in self.model if isinstance(layer, Dense)]

    def probabilities(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(softmax(self.model.forward(X), axis=1), dtype=np.float64)

    def frame(self, since: int = 0, units: bool = False) -> dict[str, Any]:
        """The boundary, the curves after epoch ``since`` and the weights, as JSON.

        ``grid`` is base64 of uint8 ``round(255·p)``, class-major: class ``k``'s
        ``GRID × GRID`` picture, row ``r`` at height ``y`` growing with ``r``.
        """
        P = self.probabilities(self._grid)
        h = self.history
        out: dict[str, Any] = {
            "type": "frame",
            "epoch": self.epoch,
            "since": since,
            "grid": _b64(np.rint(P.T * 255).astype(np.uint8)),
            "grid_n": GRID,
            "n_classes": int(P.shape[1]),
            "curves": {
                "loss": h.loss[since:],
                "accuracy": h.accuracy[since:],
                "val_loss": h.val_loss[since:],
                "val_accuracy": h.val_accuracy[since:],
            },
            "weights": [np.round(layer.W, 4).tolist() for layer in self.dense()],
            "sent_at": time.time(),
        }
        if units:
            out["units"] = self._units()
        return out

    def _units(self) -> list[str]:
        """Each hidden unit's output on a coarse grid, scaled to 0..255 by its largest |value|."""
        pictures = []
        a: NDArray[Any] = self._unit_grid
        for layer in list(self.model)[:-1]:
            a = layer.forward(a)
            if isinstance(layer, Dense):
                continue
            scale = np.maximum(np.max(np.abs(a), axis=0), 1e-12)
            img = np.rint((a / scale + 1) * 127.5).astype(np.uint8)
            pictures += [_b64(img[:, j]) for j in range(a.shape[1])]
        return pictures

    def explain(self, index: int) -> dict[str, Any]:
        """The derivation for training point ``index`` at the current weights.

        The numbers are :func:`glassnet.derive` of the network's logits there,
        laid out by :func:`glassnet.teach.explain.render` as ``glassnet explain``
        prints them; the step is what the optimizer (a copy, with its state)
        would do to the last layer if this point were the whole batch.
        """
        n = len(self.data.y)
        if not 0 <= index < n:
            raise DataError(f"point {index} does not exist; there are {n} points.")
        x = self.data.X[index]
        label = int(self.data.y[index])
        z = np.asarray(self.model.forward(x[None, :])[0], dtype=np.float64)
        h: NDArray[Any] = x[None, :]
        for layer in list(self.model)[:-1]:
            h = layer.forward(h)
        d = derive(z, label)
        fused = SoftmaxCrossEntropy(label_smoothing=self.settings.smoothing)
        fused.forward(z[None, :], np.array([label]))
        g_z = np.asarray(fused.backward(), dtype=np.float64)[0]
        last = self.dense()[-1]
        g_W = np.outer(h[0], g_z) + self.l2 * last.W
        names = [name for name, p in self.model.parameters().items() if p is last.W or p is last.b]
        params = self.model.parameters()
        after = {name: params[name].copy() for name in names}
        ghost = copy.deepcopy(self.optimizer)
        ghost.step(after, dict(zip(names, [g_W, g_z], strict=True)))
        label_text = self.data.classes[label]
        return {
            "type": "explain",
            "index": index,
            "x": x.tolist(),
            "label": label,
            "label_name": str(label_text),
            "epoch": self.epoch,
            "z": d.z.tolist(),
            "y": d.y.tolist(),
            "y_hat": d.y_hat.tolist(),
            "loss": d.loss,
            "jacobian": d.jacobian.tolist(),
            "dL_dy_hat": d.dL_dy_hat.tolist(),
            "same_term": d.same_term.tolist(),
            "other_terms": d.other_terms.tolist(),
            "chain": d.chain.tolist(),
            "shortcut": d.shortcut.tolist(),
            "library": d.library.tolist(),
            "agrees": bool(d.agrees),
            "difference": d.difference,
            "text": render(d, title=CASE_TITLE),
            "command": "glassnet explain --logits="
            + ",".join(repr(float(v)) for v in z)
            + f" --label {label}",
            "smoothing": self.settings.smoothing,
            "grad_z": g_z.tolist(),
            "h": h[0].tolist(),
            "step_W": (after[names[0]] - last.W).tolist(),
            "step_b": (after[names[1]] - last.b).tolist(),
            "optimizer": repr(self.optimizer),
            "t": self.optimizer.t,
        }
