"""The playground's settings: defaults, limits, and checks with messages for the page.

The same keys name the controls on the page and the parameters in its URL.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .data import DATASETS, MAX_SAMPLES

__all__ = [
    "ACTIVATIONS",
    "MAX_LAYERS",
    "MAX_WIDTH",
    "OPTIMIZERS",
    "Settings",
    "SettingsError",
    "parse_settings",
]

ACTIVATIONS = ("tanh", "relu", "logistic", "leaky_relu", "identity")
OPTIMIZERS = ("sgd", "adam", "adamw")
MAX_LAYERS = 6
MAX_WIDTH = 32


class SettingsError(ValueError):
    """A setting out of range, worded for the page."""


@dataclass
class Settings:
    """Every control of the page, with its default."""

    dataset: str = "moons"
    classes: int = 3
    noise: float = 0.2
    samples: int = 300
    test: float = 0.3
    seed: int = 0
    hidden: list[int] = field(default_factory=lambda: [8, 8])
    activation: str = "tanh"
    optimizer: str = "adam"
    lr: float = 0.03
    momentum: float = 0.9
    batch: int = 32
    l2: float = 0.0
    smoothing: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(raw: dict[str, Any], key: str, lo: float, hi: float, default: float) -> float:
    value = raw.get(key, default)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{key} must be a number; got {value!r}.") from None
    if not (math.isfinite(v) and lo <= v <= hi):
        raise SettingsError(f"{key} must be between {lo:g} and {hi:g}; got {value!r}.")
    return v


def _integer(raw: dict[str, Any], key: str, lo: int, hi: int, default: int) -> int:
    v = _number(raw, key, lo, hi, default)
    if not v.is_integer():
        raise SettingsError(f"{key} must be a whole number; got {raw.get(key)!r}.")
    return int(v)


def _choice(raw: dict[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
    value = raw.get(key, default)
    if value not in allowed:
        raise SettingsError(f"{key} must be one of {', '.join(allowed)}; got {value!r}.")
    return str(value)


def _hidden(value: Any) -> list[int]:
    if isinstance(value, str):
        value = [p for p in value.split(",") if p.strip()] if value.strip() else []
    if not isinstance(value, list):
        raise SettingsError(f"hidden must be a list of layer widths; got {value!r}.")
    if len(value) > MAX_LAYERS:
        raise SettingsError(f"at most {MAX_LAYERS} hidden layers; got {len(value)}.")
    widths = []
    for w in value:
        try:
            n = int(w)
        except (TypeError, ValueError):
            raise SettingsError(f"hidden layer widths must be whole numbers; got {w!r}.") from None
        if not 1 <= n <= MAX_WIDTH:
            raise SettingsError(f"each hidden layer has 1 to {MAX_WIDTH} units; got {n}.")
        widths.append(n)
    return widths


def parse_settings(raw: dict[str, Any]) -> Settings:
    """Check the page's settings; missing keys take their defaults.

    Raises
    ------
    SettingsError
        Naming the setting, the allowed values and what came.
    """
    if not isinstance(raw, dict):
        raise SettingsError("settings must be an object of name: value pairs.")
    d = Settings()
    known = set(d.as_dict())
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SettingsError(f"unknown settings {unknown}; known: {sorted(known)}.")
    return Settings(
        dataset=_choice(raw, "dataset", DATASETS, d.dataset),
        classes=_integer(raw, "classes", 2, 5, d.classes),
        noise=_number(raw, "noise", 0.0, 1.0, d.noise),
        samples=_integer(raw, "samples", 10, MAX_SAMPLES, d.samples),
        test=_number(raw, "test", 0.0, 0.9, d.test),
        seed=_integer(raw, "seed", 0, 2**31 - 1, d.seed),
        hidden=_hidden(raw.get("hidden", d.hidden)),
        activation=_choice(raw, "activation", ACTIVATIONS, d.activation),
        optimizer=_choice(raw, "optimizer", OPTIMIZERS, d.optimizer),
        lr=_number(raw, "lr", 1e-6, 10.0, d.lr),
        momentum=_number(raw, "momentum", 0.0, 0.999, d.momentum),
        batch=_integer(raw, "batch", 1, MAX_SAMPLES, d.batch),
        l2=_number(raw, "l2", 0.0, 1.0, d.l2),
        smoothing=_number(raw, "smoothing", 0.0, 0.5, d.smoothing),
    )
