"""Exceptions raised by glassnet."""

from __future__ import annotations

__all__ = ["ModelFileError", "TrainingDivergedError", "UnsupportedFormatError"]


class TrainingDivergedError(FloatingPointError):
    """Training broke down numerically: a non-finite loss or gradient, or a runaway loss.

    The update that would have used the bad values is not applied: the model
    and the optimizer hold the last good step when this is raised (for a
    runaway loss, the end of the last good epoch).

    Attributes
    ----------
    restored_epoch : int or None
        For a runaway loss, the number of epochs of the failed call that the
        model was rolled back to (0: its state before the first epoch); None
        when the error was raised at a single bad step.
    """

    restored_epoch: int | None = None


class ModelFileError(ValueError):
    """A model file is damaged, forged or not a glassnet model file."""


class UnsupportedFormatError(ModelFileError):
    """A model file was written by a newer glassnet in a format this one cannot read."""
