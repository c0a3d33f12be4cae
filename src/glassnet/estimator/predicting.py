"""The prediction methods of ``MLPClassifier``: logits and everything derived from them.

Every prediction runs the network's own forward pass, rebuilt from
``coefs_`` and ``intercepts_``, so prediction cannot drift from training.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.utils.validation import check_is_fitted, validate_data

from ..core import functional as F
from ..core.data import check_features, is_sparse, refuse_bad_values
from ..core.sequential import Sequential
from .base import MLPBase
from .inputs import check_no_text
from .multilabel import is_multilabel
from .network import to_model

__all__ = ["PredictionMixin"]

Array = NDArray[np.floating]


class PredictionMixin(MLPBase):
    """``logits``, ``decision_function``, ``predict``, ``predict_proba``, ``predict_log_proba``.

    Mixed into :class:`glassnet.MLPClassifier` (documented there), whose
    ``fit`` sets the fitted attributes they read.
    """

    def logits(self, X: ArrayLike) -> Array:
        """The network's output scores, one column per class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Logits ``z``; ``softmax(z)`` is :meth:`predict_proba`. Binary
            problems get two columns too.

        Raises
        ------
        ValueError
            If X is invalid, or the logits are not finite (features far
            outside the training range).
        """
        check_is_fitted(self)
        check_no_text(X)
        X_arr = validate_data(
            self,
            X,
            reset=False,
            accept_sparse=["csr", "csc"],
            dtype=(np.float64, np.float32),
            ensure_all_finite=False,
        )
        values = X_arr.data if is_sparse(X_arr) else X_arr  # a sparse X's stored values
        with np.errstate(over="ignore", invalid="ignore"):
            finite = bool(np.isfinite(np.sum(values)))  # one pass; exact test only on failure
        if not finite:
            refuse_bad_values(
                values, "X", "Remove or impute them before predicting, as for the data fitted on."
            )
        X_checked = check_features(X_arr, dtype=self.coefs_[0].dtype)
        # The network's own forward pass, so prediction cannot drift from
        # training. Building it costs about 0.09 ms a call (measured on the
        # default 2-32-32-2 network: 0.09 -> 0.18 ms for one row, no change
        # at 1000 rows, where the rows dominate).
        with np.errstate(over="ignore", invalid="ignore"):
            a = self._to_model().forward(X_checked)
        if not np.all(np.isfinite(a)):
            bad = ~np.isfinite(a).all(axis=1)
            raise ValueError(
                f"The logits of {int(bad.sum())} sample(s) are not finite, the first at row "
                f"{int(np.argmax(bad))}: X holds values far beyond what the network can "
                "represent. Scale the features (StandardScaler) as during training."
            )
        return a

    def decision_function(self, X: ArrayLike) -> Array:
        """Logits, in scikit-learn's shape for decision functions.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            For binary problems ``z₁ - z₀``, the log-odds of ``classes_[1]``
            (positive means ``classes_[1]``); otherwise the logits (for
            multilabel ``y``, each label's log-odds). Use :meth:`logits` for
            every column in all cases.
        """
        z = self.logits(X)
        if z.shape[1] == 2 and not is_multilabel(self):
            return z[:, 1] - z[:, 0]
        return z

    def predict_log_proba(self, X: ArrayLike) -> Array:
        """Log-probabilities from the log-softmax of the logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            ``log_softmax(z)`` (log-sum-exp), floored at the log of the
            dtype's smallest normal number (-708.4 in float64, -87.3 in
            float32) so that it equals ``np.log(predict_proba(X))``. Columns
            follow ``classes_``. For multilabel ``y``, each label's
            ``log σ(z) = -softplus(-z)``, floored alike.
        """
        z = self.logits(X)
        if is_multilabel(self):
            logp = -F.softplus(-z)  # log σ(z), never the log of an underflowed σ
        else:
            logp = F.log_softmax(z, axis=1)
        # Floored at the log of the smallest normal number, so that predict_proba
        # (its exp) never underflows to 0 and np.log(predict_proba) equals this, as
        # scikit-learn's contract has it; no probability that small is meaningful.
        return np.maximum(logp, np.log(np.finfo(logp.dtype).tiny), out=logp)

    def predict_proba(self, X: ArrayLike) -> Array:
        """Class probabilities, the softmax of the logits.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Rows sum to 1 (to rounding); columns follow ``classes_``; no entry is
            below the dtype's smallest normal number. For multilabel ``y``, each
            label's own probability ``σ(z)`` (rows need not sum to 1).
        """
        # exp of the floored log-probabilities: never exactly 0, so log-loss and
        # np.log(predict_proba) stay finite (see predict_log_proba).
        return np.exp(self.predict_log_proba(X))

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        """Most probable class of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_labels)
            Labels from ``classes_``; for multilabel ``y``, an int indicator
            matrix, 1 where a label's probability is over 0.5 (``z > 0``).
        """
        z = self.logits(X)  # checks that the estimator is fitted
        if is_multilabel(self):
            return (z > 0).astype(int)
        return cast(NDArray[Any], self.classes_[np.argmax(z, axis=1)])

    def _to_model(self) -> Sequential:
        """The fitted network as a :class:`glassnet.Sequential`, built from ``coefs_``."""
        return to_model(self.coefs_, self.intercepts_, self.activation)
