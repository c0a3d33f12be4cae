"""Figures for :mod:`examples.gallery`: one PNG per scenario, glassnet beside scikit-learn.

Each figure is drawn from the fits the gallery kept (key, fitted estimator, the
X and y it was scored on), with matplotlib's Agg backend so no display is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Fits", "write_figures"]

Fit = tuple[str, Any, np.ndarray, np.ndarray]
#: scenario -> classifier's name -> the fits in the order they ran.
Fits = dict[str, dict[str, list[Fit]]]


def write_figures(fits: Fits, out: Path) -> list[Path]:
    """Write a figure per scenario into ``out`` (created if missing).

    Parameters
    ----------
    fits : dict
        ``fits[scenario][who]`` lists ``(key, estimator, X, y)`` per fit, as
        :func:`examples.gallery.main` collects them.
    out : Path
        Folder for the PNG files.

    Returns
    -------
    list of Path
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    out.mkdir(parents=True, exist_ok=True)
    draw = {
        "mlp_alpha": _boundaries,
        "classifier_comparison": _boundaries,
        "training_curves": _loss_curves,
        "digits_filters": _filters,
    }
    import matplotlib.pyplot as plt

    written = []
    for scenario, by_who in fits.items():
        fig = draw[scenario](by_who)
        fig.suptitle(scenario.replace("_", " "))
        fig.tight_layout(rect=(0.0, 0.0, 1.0, 0.97))  # room for the title
        path = out / f"{scenario}.png"
        fig.savefig(path, dpi=80)
        written.append(path)
        plt.close(fig)
    return written


def _boundaries(by_who: dict[str, list[Fit]]) -> Any:
    """Probability of class 1 over the plane, test points on top."""
    import matplotlib.pyplot as plt

    rows: dict[str, list[Fit]] = {}
    for who, fitted in by_who.items():
        for fit in fitted:
            # the alpha sweep: a row per dataset; the comparison: a row per classifier
            dataset, sweep, _ = fit[0].partition(" alpha=")
            rows.setdefault(f"{who}: {dataset}" if sweep else who, []).append(fit)
    n_cols = max(len(r) for r in rows.values())
    fig, axes = plt.subplots(
        len(rows), n_cols, figsize=(2.4 * n_cols, 2.4 * len(rows)), squeeze=False
    )
    for ax_row, (label, fitted) in zip(axes, rows.items(), strict=True):
        ax_row[0].set_ylabel(label)
        for ax, (key, model, X, y) in zip(ax_row, fitted, strict=False):
            lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
            g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 80), np.linspace(lo[1], hi[1], 80))
            proba = model.predict_proba(np.c_[g0.ravel(), g1.ravel()])[:, 1]
            ax.contourf(g0, g1, proba.reshape(g0.shape), levels=10, cmap="RdBu", alpha=0.8)
            ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", edgecolors="k", s=12)
            ax.set_title(f"{key.split(' ')[-1]}  {model.score(X, y):.2f}", fontsize=8)
            ax.set_xticks(())
            ax.set_yticks(())
    return fig


def _loss_curves(by_who: dict[str, list[Fit]]) -> Any:
    """Training loss per epoch, one panel per dataset; glassnet solid, scikit-learn dashed."""
    import matplotlib.pyplot as plt

    datasets = list(dict.fromkeys(key.split(" ")[0] for key, *_ in next(iter(by_who.values()))))
    fig, axes = plt.subplots(1, len(datasets), figsize=(4 * len(datasets), 3.5), squeeze=False)
    panels = dict(zip(datasets, axes[0], strict=True))
    styles = dict(zip(by_who, ("-", "--", ":"), strict=False))
    for who, fitted in by_who.items():
        for i, (key, model, _, _) in enumerate(fitted):
            dataset, setting = key.split(" ", 1)
            ax = panels[dataset]
            ax.plot(model.loss_curve_, styles[who], color=f"C{i % 7}", label=f"{who} {setting}")
            ax.set_title(dataset)
            ax.set_xlabel("epoch")
    axes[0][0].set_ylabel("training loss")
    axes[0][-1].legend(fontsize=6, loc="upper right")
    return fig


def _filters(by_who: dict[str, list[Fit]]) -> Any:
    """Each hidden unit's incoming weights as an 8x8 image: a block of rows per classifier."""
    import matplotlib.pyplot as plt

    n_cols = 8
    blocks = {who: fitted[0][1].coefs_[0] for who, fitted in by_who.items()}
    rows_per = {who: -(-w.shape[1] // n_cols) for who, w in blocks.items()}
    n_rows = sum(rows_per.values())
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(n_cols, n_rows + 0.5), squeeze=False)
    row = 0
    for who, weights in blocks.items():
        scale = 0.5 * np.abs(weights).max()  # half the largest weight: the patterns show
        for unit in range(rows_per[who] * n_cols):
            ax = axes[row + unit // n_cols][unit % n_cols]
            ax.set_xticks(())
            ax.set_yticks(())
            if unit < weights.shape[1]:
                image = weights[:, unit].reshape(8, 8)
                ax.imshow(image, cmap="gray", vmin=-scale, vmax=scale)
        axes[row][0].set_ylabel(who, fontsize=8)
        row += rows_per[who]
    return fig
