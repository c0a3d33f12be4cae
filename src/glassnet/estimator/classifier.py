"""``MLPClassifier``: glassnet's network behind scikit-learn's estimator contract.

The class holds the public surface; the work lives beside it: ``fit`` in
:mod:`.fitting` (checks in :mod:`.inputs` and :mod:`.validation`), the
solvers in :mod:`.stochastic` and :mod:`.lbfgs`, prediction in :mod:`.predicting`.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.metaestimators import available_if

from ..training.state import Callback
from .fitting import fit_estimator, has_partial_fit
from .predicting import PredictionMixin
from .state import StateHooks

__all__ = ["MLPClassifier"]


class MLPClassifier(PredictionMixin, StateHooks, ClassifierMixin, BaseEstimator):
    """Multi-layer perceptron classifier: scikit-learn's contract, glassnet's network.

    A drop-in for :class:`sklearn.neural_network.MLPClassifier`: every
    constructor parameter of it is accepted under the same name with the same
    meaning, and every fitted attribute it documents exists. Training runs on
    glassnet's own layers, fused softmax + cross-entropy loss (gradient on the
    logits ``ŷ - y``), optimizers and training loop. On top of that it offers
    class weights, label smoothing, float32 end to end, early stopping on the
    validation *loss* with the best weights restored, an explicit validation
    set, a validation-loss curve, gradient clipping, logits, training
    callbacks and a pickle-free export of its state.

    Parameters
    ----------
    hidden_layer_sizes : array-like of int or int, default=(100,)
        Width of each hidden layer (scikit-learn's default network too).
    activation : {"identity", "logistic", "tanh", "relu", "leaky_relu"}, default="relu"
        Hidden-layer activation. "leaky_relu" (slope 0.01) is a glassnet
        extension. Weights and biases start Glorot-uniform for every
        activation, as scikit-learn's (see Notes).
    solver : {"adam", "sgd", "lbfgs", "adamw"}, default="adam"
        "adam" and "sgd" as in scikit-learn; "lbfgs" runs
        ``scipy.optimize.minimize(method="L-BFGS-B")`` on the network's flat
        parameter vector and gradient (full batch); "adamw" is Adam with
        decoupled weight decay (see ``alpha``).
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights (not the biases), as in
        scikit-learn: ``alpha/2 · Σ‖W‖²`` divided by the batch size (or the
        batch's total sample weight). With ``solver="adamw"`` it is instead
        the decoupled weight decay: every step shrinks each parameter by
        ``learning_rate · alpha`` of itself.
    batch_size : int or "auto", default="auto"
        Samples per minibatch; "auto" is ``min(200, n_samples)``. Values above
        the number of samples are clipped. Ignored by "lbfgs".
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Learning-rate schedule, used by ``solver="sgd"`` only: "invscaling"
        sets ``learning_rate_init / (t + 1) ** power_t`` after every epoch
        (``t`` counts samples seen, as ``t_``); "adaptive" divides the rate
        by 5 whenever the monitored value stops improving (see ``tol``), and
        stops once it is at or below 1e-6 (scikit-learn's rule).
    learning_rate_init : float, default=0.01
        Initial step size of "sgd", "adam" and "adamw". (scikit-learn: 0.001.)
    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.
    max_iter : int, default=300
        Maximum number of epochs (iterations for "lbfgs"). Reaching it without
        converging warns with :class:`sklearn.exceptions.ConvergenceWarning`.
        (scikit-learn: 200.)
    shuffle : bool, default=True
        Reshuffle the samples before every epoch.
    random_state : int, RandomState, numpy Generator or None, default=None
        Seeds the initial weights, the shuffles and the early-stopping split.
        An int gives bitwise-reproducible fits. None draws fresh OS entropy
        (NumPy's global state is never used).
    tol : float, default=1e-4
        Minimum improvement. Training stops (or, for "adaptive", the rate is
        divided by 5) when the training loss, or the validation loss with
        early stopping, has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs. For "lbfgs" it is the
        projected-gradient tolerance ``gtol``.
    verbose : bool or int, default=False
        Report progress. On a terminal, a progress bar (epoch, loss,
        validation score; see :class:`glassnet.ProgressBar`); elsewhere (a
        pipe, a log file) scikit-learn's one line per epoch (loss; validation
        loss and score when validating) and the reason for stopping. Either
        way, first a line naming the route and why (``Route: fast (...)``).
    warm_start : bool, default=False
        Start ``fit`` from the previous solution instead of new weights.
    momentum : float in [0, 1), default=0.9
        SGD momentum.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum (when ``momentum > 0``).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        or use ``validation_data`` given to :meth:`fit`, and stop when the
        validation **loss** has not improved by ``tol`` for
        ``n_iter_no_change`` epochs; the weights of the epoch with the lowest
        validation loss are restored. (scikit-learn watches the validation
        accuracy and keeps the most accurate weights.)
    validation_fraction : float in [0, 1), default=0.1
        Share of the training data held out for early stopping.
    beta_1 : float in [0, 1), default=0.9
        Adam's decay rate of the first-moment estimate.
    beta_2 : float in [0, 1), default=0.999
        Adam's decay rate of the second-moment estimate.
    epsilon : float, default=1e-8
        Adam's denominator guard.
    n_iter_no_change : int or inf, default=10
        Epochs without a ``tol`` improvement tolerated before stopping.
    max_fun : int, default=15000
        Maximum number of loss evaluations of "lbfgs".
    class_weight : dict, "balanced" or None, default=None
        glassnet extension. Weight of each class, multiplied with
        ``sample_weight``: a dict maps labels to weights (missing labels
        weigh 1); "balanced" gives class ``k`` the weight
        ``total / (n_classes · total_k)``, the totals taken over the sample
        weights. Weights act *within each batch*, so ``batch_size=1``
        ignores them and small batches weaken them: see Notes.
    label_smoothing : float in [0, 1), default=0.0
        glassnet extension. Train towards ``(1 - ε) · onehot + ε / n_classes``.
    dtype : {None, "float32", "float64"}, default=None
        glassnet extension. Floating-point type of the weights and of every
        computation, fit and predict. None follows X as scikit-learn does:
        float32 data stays float32, anything else becomes float64.
    max_grad_norm : float or None, default=None
        glassnet extension. Rescale the gradient whenever its global L2 norm
        exceeds this (stochastic solvers).
    checkpoint_path : str, path-like or None, default=None
        glassnet extension. During ``fit`` with a stochastic solver, write a
        checkpoint to this file every ``checkpoint_every`` epochs, atomically
        and without pickle (see :class:`glassnet.Checkpoint`): weights,
        optimizer state, ``n_iter_``, the shuffling generator's state, the
        estimator's records (curves, stopping counters, early-stopping best
        weights) and a SHA-256 hash of the hyperparameters and the data.
        With ``warm_start=True`` and an existing file, ``fit`` *resumes*
        that run instead of starting one: it continues bit for bit where the
        checkpoint was written, up to ``max_iter`` epochs in all, and refuses
        (``ValueError`` naming them) a checkpoint whose hyperparameters or
        data differ. ``max_iter``, ``verbose``, ``warm_start``, ``route`` and
        the two checkpoint parameters may change between runs. A path whose
        folder is missing or takes no new files is refused before training.
        Not saved by :func:`glassnet.save` (a model file never chooses where
        to write).
    checkpoint_every : int, default=10
        glassnet extension. Epochs between checkpoints; a crash or Ctrl-C
        loses at most this many epochs of work.
    route : {"auto", "readable", "fast", "compiled"}, default="auto"
        glassnet extension. How each training step is computed (same
        formulas, same results to rounding): "readable" runs each layer's
        own ``forward``/``backward`` as the maths reads; "fast" the same in
        reused buffers; "compiled" the same step in numba (relu-like
        networks, ``pip install 'glassnet[fast]'``). "auto" takes the
        fastest route that can run; a named route that cannot raises
        ``ValueError`` at ``fit`` saying why. "lbfgs" always runs "readable".
        ``route_`` and ``route_reason_`` say what ran and why.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted (one class trains too); multilabel: ``arange(n_labels)``.
    loss_ : float
        Training loss (cross-entropy plus the L2 penalty) of the last epoch,
        averaged over its batches, each measured before its update.
    best_loss_ : float or None
        Lowest ``loss_curve_`` value; None with early stopping (as
        scikit-learn: the validation loss is monitored then).
    loss_curve_ : list of float
        ``loss_`` of every epoch (of every L-BFGS iteration for "lbfgs").
    validation_scores_ : list of float or None
        Validation accuracy after every epoch when validating (early stopping
        or ``validation_data``), else None.
    validation_loss_curve_ : list of float or None
        glassnet extension. Validation loss (the training objective without
        the L2 penalty) after every epoch, or None.
    best_validation_score_ : float or None
        Validation accuracy of the epoch whose weights were kept (the lowest
        validation loss) with early stopping; else None.
    best_validation_loss_ : float or None
        glassnet extension. The lowest validation loss, with early stopping.
    n_iter_ : int
        Epochs run by the last call to ``fit`` or ``partial_fit`` (L-BFGS
        iterations for "lbfgs").
    t_ : int
        Training samples seen by the solver, over all calls (0 for "lbfgs").
    coefs_ : list of ndarray
        ``coefs_[i]`` is the weight matrix of layer ``i``, shape
        (n_inputs, n_units); the last one has shape (n_hidden, n_classes).
    intercepts_ : list of ndarray
        ``intercepts_[i]`` is the bias vector of layer ``i``, shape (n_units,).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names of X when it was a DataFrame with string column names.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units: ``n_classes``, binary problems included.
    out_activation_ : str
        "softmax", or "logistic" (independent sigmoids) for multilabel ``y``.
    interrupted_ : bool
        True when the last fit was cut short and re-raised its exception:
        Ctrl-C (the model holds the last completed step) or another
        exception, from a callback or a checkpoint write say (the model
        holds the last completed epoch). See ``fit``'s Raises.
    stopped_by_ : str
        glassnet extension. Why the last fit ended: "converged" (``tol``),
        "max_iter", "max_fun", "callback" (``state.stop_training``),
        "partial_fit", "interrupted" (Ctrl-C), "diverged", or
        "error: <type>: <message>" for another exception.
    route_ : str
        glassnet extension. The route the last fit ran ("readable", "fast"
        or "compiled"; see ``route``).
    route_reason_ : str
        glassnet extension. Why: asked for, or what ``route="auto"`` found.

    See Also
    --------
    sklearn.neural_network.MLPClassifier : the class this one replaces.

    Notes
    -----
    **Differences from scikit-learn.**

    * The output layer is a softmax for every number of classes, binary
      included: binary problems have two output units (``n_outputs_ == 2``,
      ``coefs_[-1]`` with 2 columns) instead of one logistic unit. The loss
      is the same cross-entropy.
    * ``decision_function`` returns the logits (n_samples, n_classes); for
      binary problems it returns ``z₁ - z₀``, the log-odds of
      ``classes_[1]``, of shape (n_samples,), as scikit-learn's contract for
      binary classifiers asks. :meth:`logits` always gives every column.
    * Early stopping watches the validation loss, not the accuracy, and
      restores the best weights.
    * ``predict_log_proba`` comes from the log-softmax of the logits, never
      from the log of probabilities, so it is finite where the probability
      underflows.
    * Sparse X (SciPy CSR/CSC) stays sparse (readable route). Multilabel ``y``
      (0/1 indicator matrix) trains one sigmoid per label: ``predict`` is 1 where
      ``predict_proba`` > 0.5, ``score`` the subset accuracy. One class trains;
      ``predict_proba`` is then a column of ones (scikit-learn's has two).

    **Initialisation.** Weights and biases are initialised as scikit-learn's:
    uniform on ``±sqrt(6 / (fan_in + fan_out))``, for every activation, relu
    included (``glassnet.mlp`` uses He's rule for relu and zero biases by
    default). Measured on a tabular workload, He's rule for relu cost 0.8
    accuracy points against scikit-learn; drawn biases lift the spiral by 9
    points over zero ones (``benchmarks/DEFAULTS.md``).

    **Class and sample weights act within a batch.** The loss of a batch is
    the weighted mean ``Σ_i w_i ℓ_i / Σ_i w_i`` over its samples, where
    ``w_i`` is the sample's ``sample_weight`` times its class's
    ``class_weight`` (as in PyTorch's weighted cross-entropy). Dividing by
    the batch's own total weight makes the loss independent of the weights'
    scale, but it also means that weights only trade samples off *inside* a
    batch: a batch of one sample has loss ``ℓ_i`` whatever its weight, so
    ``batch_size=1`` ignores class weights, and small batches that seldom
    mix classes weaken them. For weights to take full effect, use batches
    that each hold several classes, or one full batch
    (``batch_size >= n_samples``, or ``solver="lbfgs"``).

    **Defaults, chosen from measurements.** scikit-learn's network (100 relu
    units) with Adam at 0.01, batches of 200, stopping after 10 epochs without
    a 1e-4 improvement: over ten datasets and seeds 0-9 no fit collapses and
    none is a point below scikit-learn's defaults (``benchmarks/DEFAULTS.md``,
    also why not tanh). On ``make_moons(1000, noise=0.2, random_state=s)``,
    30% held out, s = 0..4: 0.971 mean test accuracy, against 0.933 for
    scikit-learn's defaults (which stop at max_iter and warn); near-Bayes is
    about 0.969.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from sklearn.model_selection import train_test_split
    >>> from glassnet import MLPClassifier
    >>> X, y = make_moons(1000, noise=0.2, random_state=0)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    >>> clf = MLPClassifier(random_state=0).fit(X_train, y_train)
    >>> clf.score(X_test, y_test) > 0.95
    True
    >>> clf.predict_proba(X_test[:2]).shape
    (2, 2)
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden_layer_sizes": ["array-like", Interval(numbers.Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu", "leaky_relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam", "adamw"})],
        "alpha": [Interval(numbers.Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(numbers.Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(numbers.Real, 0, None, closed="neither")],
        "power_t": [Interval(numbers.Real, 0, None, closed="left")],
        "max_iter": [Interval(numbers.Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state", np.random.Generator],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="left")],
        "beta_1": [Interval(numbers.Real, 0, 1, closed="left")],
        "beta_2": [Interval(numbers.Real, 0, 1, closed="left")],
        "epsilon": [Interval(numbers.Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(numbers.Integral, 1, None, closed="left"),
            Options(numbers.Real, {np.inf}),
        ],
        "max_fun": [Interval(numbers.Integral, 1, None, closed="left")],
        "class_weight": [None, StrOptions({"balanced"}), dict],
        "label_smoothing": [Interval(numbers.Real, 0, 1, closed="left")],
        "dtype": [None, StrOptions({"float32", "float64"}), type, np.dtype],
        "max_grad_norm": [None, Interval(numbers.Real, 0, None, closed="neither")],
        "checkpoint_path": [None, str, os.PathLike],
        "checkpoint_every": [Interval(numbers.Integral, 1, None, closed="left")],
        "route": [StrOptions({"auto", "readable", "fast", "compiled"})],
    }

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 1e-4,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.01,
        power_t: float = 0.5,
        max_iter: int = 300,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool | int = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int | float = 10,
        max_fun: int = 15000,
        class_weight: Mapping[Any, float] | str | None = None,
        label_smoothing: float = 0.0,
        dtype: Any = None,
        max_grad_norm: float | None = None,
        checkpoint_path: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 10,
        route: str = "auto",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.dtype = dtype
        self.max_grad_norm = max_grad_norm
        self.checkpoint_path = checkpoint_path
        self.checkpoint_every = checkpoint_every
        self.route = route

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        sample_weight: ArrayLike | None = None,
        *,
        validation_data: Sequence[Any] | None = None,
        callbacks: Iterable[Callback] = (),
    ) -> MLPClassifier:
        """Train the network on ``(X, y)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data: NumPy array, list, DataFrame or SciPy sparse (CSR/CSC).
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels (ints, strings, bools, ...), or a 0/1 multilabel indicator.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight per sample; multiplied with ``class_weight``.
            Like class weights, it acts within each batch (no effect with
            ``batch_size=1``): see the class's Notes.
        validation_data : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), \
                default=None
            glassnet extension. A validation set evaluated after every epoch
            into ``validation_scores_`` and ``validation_loss_curve_``. With
            ``early_stopping=True`` it replaces the ``validation_fraction``
            split. Labels must be among those of ``y``.
        callbacks : iterable of glassnet.Callback, default=()
            glassnet extension. Extra training-loop callbacks (progress bars,
            animation frames, custom stopping rules), called after the
            estimator's own. With "lbfgs" they get ``on_train_begin``,
            ``on_epoch_end`` once per iteration (``state.optimizer`` is None;
            setting ``state.stop_training`` ends the run) and
            ``on_train_end``.

        Returns
        -------
        self : MLPClassifier
            The fitted estimator.

        Raises
        ------
        TrainingDivergedError
            When the loss or the gradient goes non-finite (that step is not
            applied), or the loss runs away: over 1000 times its reference
            scale for 3 epochs in a row, or at the end (see
            ``glassnet.train``'s ``divergence_factor``). The estimator keeps
            the weights of the last good step or epoch (the initial ones,
            ``n_iter_ == 0``, if none was good) with matching ``n_iter_``
            and curves; the message names that epoch.
        KeyboardInterrupt
            Re-raised after Ctrl-C, with the estimator fitted at its last
            completed step and ``interrupted_ = True``.
        Exception
            Any other exception during training (a callback's, a checkpoint
            write's) is re-raised with the estimator fitted at the last
            completed epoch, ``interrupted_ = True`` and ``stopped_by_``
            naming it; before any completed epoch, the estimator is left as
            it was before the call. Settings that cannot work (an unwritable
            ``checkpoint_path``, a network too large for the memory, an
            impossible ``route``) raise ``ValueError`` before training.
        """
        fit_estimator(
            self,
            X,
            y,
            sample_weight,
            incremental=False,
            validation_data=validation_data,
            callbacks=callbacks,
        )
        return self

    @available_if(has_partial_fit)
    def partial_fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        classes: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> MLPClassifier:
        """Train for one epoch over ``(X, y)``, continuing from the current weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every label of the whole problem. Required on the first call (it
            fixes ``classes_``), optional later; ``y`` need not contain all of
            them.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : MLPClassifier
        """
        fit_estimator(self, X, y, sample_weight, incremental=True, classes=classes)
        return self

    def __sklearn_tags__(self) -> Any:
        """Tags: dense or sparse input, single-label or multilabel classification."""
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags
