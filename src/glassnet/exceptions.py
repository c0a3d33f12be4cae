"""Exceptions raised by glassnet."""

from __future__ import annotations

__all__ = ["ModelFileError", "TrainingDivergedError", "UnsupportedFormatError"]


class TrainingDivergedError(FloatingPointError):
    """Training produced a non-finite loss or gradient, or a runaway loss.

    The update that would have used the bad values is not applied: the model
    and the optimizer hold the last good step when this is raised.
    """


class ModelFileError(ValueError):
    """A model file is damaged, forged or not a glassnet model file."""


class UnsupportedFormatError(ModelFileError):
    """A model file was written by a newer glassnet in a format this one cannot read."""
