"""Take the run away: a model file ``glassnet.load`` reads, and a snippet that rebuilds it.

The page trains a :class:`glassnet.Sequential`; the model file needs an
:class:`glassnet.MLPClassifier`. :func:`to_estimator` fills a fresh estimator's
public fitted attributes with the same weights, so both run the same forward
pass (``MLPClassifier`` predicts through :func:`glassnet.mlp` of its weights)
and predict identically.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import numpy as np

from ..estimator.classifier import MLPClassifier
from ..estimator.modelfile import save
from .session import Session

__all__ = ["model_bytes", "snippet", "to_estimator"]


def to_estimator(session: Session) -> MLPClassifier:
    """An ``MLPClassifier`` holding the session's current weights and settings."""
    s = session.settings
    epochs = session.epoch
    clf = MLPClassifier(
        hidden_layer_sizes=tuple(s.hidden),
        activation=s.activation,
        solver=s.optimizer,
        alpha=s.l2,
        batch_size=s.batch,
        learning_rate_init=s.lr,
        momentum=s.momentum,
        nesterovs_momentum=False,
        label_smoothing=s.smoothing,
        random_state=s.seed,
        max_iter=max(epochs, 1),
    )
    dense = session.dense()
    classes = session.data.classes
    clf.coefs_ = [layer.W.copy() for layer in dense]
    clf.intercepts_ = [layer.b.copy() for layer in dense]
    clf.classes_ = np.asarray(classes)
    clf.n_features_in_ = 2
    clf.n_layers_ = len(dense) + 1
    clf.n_outputs_ = len(classes)
    clf.out_activation_ = "softmax"
    clf.n_iter_ = epochs
    clf.t_ = epochs * len(session.train_idx)
    losses = [float(v) for v in session.history.loss]
    clf.loss_curve_ = losses
    if losses:
        clf.loss_ = losses[-1]
    clf.best_loss_ = min(losses) if losses else np.inf
    clf.validation_scores_ = None
    clf.validation_loss_curve_ = None
    clf.best_validation_score_ = None
    clf.best_validation_loss_ = None
    clf.interrupted_ = False
    return clf


def model_bytes(session: Session) -> bytes:
    """The session's model as the bytes of a ``.glassnet`` file."""
    fd, path = tempfile.mkstemp(suffix=".glassnet")
    os.close(fd)
    try:
        save(to_estimator(session), path)
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def snippet(session: Session) -> str:
    """Python that rebuilds this run: the same data, split, network and epochs.

    The ``glassnet.train`` part repeats the page's calls, so on generated data
    it ends with the page's weights bit for bit; the ``MLPClassifier`` part is
    the same network as a scikit-learn estimator (its own initialisation).
    """
    s = session.settings
    epochs = max(session.epoch, 1)
    generated = session.data.source == "generated"
    if generated:
        data_lines = [
            "from glassnet.playground.data import generate",
            "",
            f"data = generate({s.dataset!r}, {s.samples}, {s.noise!r}, {s.seed}, {s.classes})",
        ]
    else:
        data_lines = [
            "from glassnet.playground.data import parse_csv",
            "",
            "# The page's data: save it with 'Download data (CSV)' next to this script.",
            'with open("playground-data.csv", "rb") as f:',
            "    data = parse_csv(f.read())",
        ]
        if session.edited:
            data_lines.append(
                "# (points were added during the run: this trains on them from the start)"
            )
    opt = {
        "sgd": f"gn.SGD({s.lr!r}, momentum={s.momentum!r})",
        "adam": f"gn.Adam({s.lr!r})",
        "adamw": f"gn.AdamW({s.lr!r}, weight_decay={s.l2!r})",
    }[s.optimizer]
    l2 = 0.0 if s.optimizer == "adamw" else s.l2
    sizes = [2, *s.hidden, session.data.n_classes]
    lines: list[Any] = [
        '"""Rebuild a glassnet playground run."""',
        "import numpy as np",
        "",
        "import glassnet as gn",
        *data_lines,
        "X, y = data.X, data.y",
        "",
        "# The page's split: a seeded permutation, the first round(n * test) held out.",
        f"perm = np.random.default_rng({s.seed}).permutation(len(y))",
        f"n_test = min(int(round(len(y) * {s.test!r})), len(y) - 1)",
        "test, tr = np.sort(perm[:n_test]), np.sort(perm[n_test:])",
        "",
        "# 1. With glassnet.train, as the page trains (same seed: same weights).",
        f"rng = np.random.default_rng({s.seed})",
        f"model = gn.mlp({sizes}, {s.activation!r}, rng=rng)",
        "history = gn.train(",
        f"    model, gn.SoftmaxCrossEntropy(label_smoothing={s.smoothing!r}), {opt},",
        f"    X[tr], y[tr], epochs={epochs}, batch_size=min({s.batch}, len(tr)), rng=rng,",
        f"    validation_data=(X[test], y[test]) if n_test else None, l2={l2!r},",
        f"    route={session.route!r},",
        ")",
        'print("train loss", history.loss[-1], "test accuracy",',
        "      history.val_accuracy[-1] if n_test else None)",
        "",
        "# 2. The same network as a scikit-learn-style estimator (its own initialisation).",
        "clf = gn.MLPClassifier(",
        f"    hidden_layer_sizes={tuple(s.hidden)!r}, activation={s.activation!r},",
        f"    solver={s.optimizer!r}, learning_rate_init={s.lr!r}, batch_size={s.batch},",
        f"    alpha={s.l2!r}, momentum={s.momentum!r}, nesterovs_momentum=False,",
        f"    label_smoothing={s.smoothing!r}, max_iter={epochs}, n_iter_no_change={epochs},",
        f"    random_state={s.seed},",
        ").fit(X[tr], y[tr])",
        'print("MLPClassifier test accuracy", clf.score(X[test], y[test]) if n_test else None)',
    ]
    return "\n".join(lines) + "\n"
