"""Hoffmann et al.'s parametric scaling law: fitting it and reading off the optimal model size.

The law (Hoffmann et al. 2022, §3.3 Eq. 2) models the final training loss, in nats per token,
of a model with N parameters trained on D tokens as

    L(N, D) = E + A / N^alpha + B / D^beta,

an irreducible loss E plus a term for the finite model and one for the finite data. It is
fitted (their Eq. 3, App. D.2) by minimising, over theta = (a, b, e, alpha, beta) with
A = e^a, B = e^b, E = e^e,

    sum_i Huber_delta( LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i ),   delta = 1e-3,

with L-BFGS from a grid of 4,500 starting points, keeping the best. Besiroglu et al. (2024)
refitted the digitised data and found that Hoffmann's optimiser had stopped early; one cause
is averaging the Huber terms instead of summing them, which shrinks the scale of the objective
and its gradient so that the optimiser's stopping tests fire too soon. This module sums them.

Under the approximation C = 6 N D (FLOPs), the loss-minimising split of a budget C is
Hoffmann's Eq. 4: N_opt = G (C/6)^(beta/(alpha+beta)), D_opt = (C/6)^(alpha/(alpha+beta)) / G,
with G = (alpha A / (beta B))^(1/(alpha+beta)).

References: Hoffmann et al. 2022 (``hoffmann2022training``), Besiroglu et al. 2024
(``besiroglu2024chinchilla``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar, Literal, Protocol

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize, minimize_scalar

from scalingzip.scaling import _checks
from scalingzip.scaling._lbfgs import minimize_lbfgs_batched

__all__ = [
    "ChinchillaLike",
    "ChinchillaLaw",
    "ChinchillaGrid",
    "HOFFMANN_GRID",
    "ChinchillaFit",
    "ComputeOptimal",
    "chinchilla_loss",
    "chinchilla_objective",
    "fit_chinchilla",
    "compute_optimal",
    "compute_optimal_numerical",
    "synthetic_chinchilla_data",
    "POLISH_OPTIONS",
]

THETA_NAMES = ("a", "b", "e", "alpha", "beta")  # order of the optimiser's parameter vector


class ChinchillaLike(Protocol):
    """Anything with the five constants of the law: a fit or a published record."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float


def chinchilla_loss(N: ArrayLike, D: ArrayLike, law: ChinchillaLike) -> np.ndarray | float:
    """Evaluate L(N, D) = E + A / N^alpha + B / D^beta.

    Args:
        N: parameters (Hoffmann counts all parameters, embeddings included).
        D: training tokens. Broadcast against ``N``.
        law: the constants (a :class:`ChinchillaFit` or a published :class:`ChinchillaLaw`).

    Returns:
        Loss in nats per token, a float for scalar inputs and an array otherwise.
    """
    n = _checks.positive_array("N", N, ndim=None)
    d = _checks.positive_array("D", D, ndim=None)
    loss = law.E + law.A * n ** (-law.alpha) + law.B * d ** (-law.beta)
    return float(loss) if np.ndim(loss) == 0 else loss


@dataclass(frozen=True, kw_only=True)
class ChinchillaLaw:
    """A published set of constants for L(N, D) = E + A / N^alpha + B / D^beta."""

    E: float  # irreducible loss, nats/token
    A: float  # model-size coefficient, nats/token at N = 1
    B: float  # data coefficient, nats/token at D = 1
    alpha: float  # exponent of N
    beta: float  # exponent of D
    citation: str = ""  # BibTeX key in the book's references.bib
    where: str = ""  # table, equation or appendix of the source
    note: str = ""  # how the numbers were obtained, and caveats

    parameter_names: ClassVar[tuple[str, ...]] = ("E", "A", "B", "alpha", "beta")

    def predict(self, N: ArrayLike, D: ArrayLike) -> np.ndarray | float:
        """Loss in nats/token of N parameters trained on D tokens."""
        return chinchilla_loss(N, D, self)


@dataclass(frozen=True, kw_only=True)
class ChinchillaGrid:
    """Starting points for the fit: every combination of the listed values."""

    alpha: tuple[float, ...]  # exponent of N
    beta: tuple[float, ...]  # exponent of D
    e: tuple[float, ...]  # log E
    a: tuple[float, ...]  # log A
    b: tuple[float, ...]  # log B

    def __post_init__(self) -> None:
        for name in THETA_NAMES:
            values = getattr(self, name)
            if len(values) == 0 or not np.all(np.isfinite(values)):
                raise ValueError(f"grid.{name} must hold at least one finite value; got {values!r}")

    @property
    def n_starts(self) -> int:
        """Number of starting points (the product of the lengths)."""
        return int(np.prod([len(getattr(self, name)) for name in THETA_NAMES]))

    def starts(self) -> np.ndarray:
        """(n_starts, 5) array of starting points, columns (a, b, e, alpha, beta)."""
        values = [getattr(self, name) for name in THETA_NAMES]
        return np.array(list(itertools.product(*values)), dtype=np.float64)


# Hoffmann et al. 2022, App. D.2: 5 * 5 * 5 * 6 * 6 = 4,500 starts.
HOFFMANN_GRID = ChinchillaGrid(
    alpha=(0.0, 0.5, 1.0, 1.5, 2.0),
    beta=(0.0, 0.5, 1.0, 1.5, 2.0),
    e=(-1.0, -0.5, 0.0, 0.5, 1.0),
    a=(0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
    b=(0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
)


@dataclass(frozen=True, kw_only=True)
class ChinchillaFit:
    """The result of :func:`fit_chinchilla`; usable wherever a published law is."""

    E: float  # irreducible loss, nats/token
    A: float  # model-size coefficient
    B: float  # data coefficient
    alpha: float  # exponent of N
    beta: float  # exponent of D
    objective: float  # sum of Huber terms at the optimum (log-loss residuals, dimensionless)
    delta: float  # Huber threshold used
    n_points: int  # data points fitted
    n_starts: int  # starting points tried
    n_converged: int  # starts that met a convergence test
    converged: bool  # the best start met a convergence test (after polishing)
    method: str  # "batched" or "scipy"
    n_evaluations: int = field(default=0, compare=False)  # objective evaluations, all starts

    parameter_names: ClassVar[tuple[str, ...]] = ("E", "A", "B", "alpha", "beta")

    @property
    def theta(self) -> np.ndarray:
        """The optimiser's parameters (a, b, e, alpha, beta) = (log A, log B, log E, alpha, beta)."""
        return np.array([np.log(self.A), np.log(self.B), np.log(self.E), self.alpha, self.beta])

    def predict(self, N: ArrayLike, D: ArrayLike) -> np.ndarray | float:
        """Loss in nats/token of N parameters trained on D tokens."""
        return chinchilla_loss(N, D, self)


# --- the objective ---------------------------------------------------------------------


@dataclass(frozen=True)
class _LogData:
    """Logarithms of the data and constants that every objective call reuses."""

    log_N: np.ndarray  # (n,)
    log_D: np.ndarray  # (n,)
    log_L: np.ndarray  # (n,)
    log_N_min: float
    log_N_max: float
    log_D_min: float
    log_D_max: float

    @classmethod
    def build(cls, N: np.ndarray, D: np.ndarray, loss: np.ndarray) -> _LogData:
        log_N, log_D = np.log(N), np.log(D)
        return cls(
            log_N=log_N,
            log_D=log_D,
            log_L=np.log(loss),
            log_N_min=float(log_N.min()),
            log_N_max=float(log_N.max()),
            log_D_min=float(log_D.min()),
            log_D_max=float(log_D.max()),
        )


_CHUNK_ROWS = 256  # rows of theta evaluated together, so that the work arrays stay in cache


def _objective_batch(theta: np.ndarray, data: _LogData, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """Sum of Huber terms and its gradient for each row of theta (S, 5) = (a, b, e, alpha, beta).

    Per point, r = LSE(u1, u2, e) - log L with u1 = a - alpha log N, u2 = b - beta log D. With
    softmax weights w = exp(u - LSE) and psi = clip(r, -delta, delta) (the Huber derivative):
    df/da = sum psi w1, df/dalpha = -sum psi w1 log N, df/db and df/dbeta alike, and
    df/de = sum psi w3 = sum psi - df/da - df/db because the weights sum to one.
    The Huber value itself is psi * (r - psi / 2), which is r^2/2 inside [-delta, delta] and
    delta (|r| - delta/2) outside.

    Rows are independent; they are processed in chunks of ``_CHUNK_ROWS`` rows that reuse five
    work arrays, instead of allocating (S, n) temporaries for every operation.
    Returns +inf where the value is not finite (the line search then backs off).
    """
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        return _objective_batch_unchecked(theta, data, delta)


def _objective_batch_unchecked(theta: np.ndarray, data: _LogData, delta: float) -> tuple[np.ndarray, np.ndarray]:
    n_rows = theta.shape[0]
    a, b, e, alpha, beta = (np.ascontiguousarray(col) for col in theta.T)
    # Shift each row by an upper bound of its largest exponent (exact at the extreme N or D)
    # so that exp never overflows.
    top_1 = a - alpha * np.where(alpha >= 0, data.log_N_min, data.log_N_max)
    top_2 = b - beta * np.where(beta >= 0, data.log_D_min, data.log_D_max)
    shift = np.maximum(np.maximum(top_1, top_2), e)  # (S,)
    c1 = (a - shift)[:, None]
    c2 = (b - shift)[:, None]
    w3 = np.exp(e - shift)[:, None]
    f = np.empty(n_rows)
    grad = np.empty((n_rows, 5))
    w1, w2, total, r, psi = np.empty((5, min(n_rows, _CHUNK_ROWS), len(data.log_N)))  # reused per chunk
    for i in range(0, n_rows, _CHUNK_ROWS):
        j = min(i + _CHUNK_ROWS, n_rows)
        m = j - i
        W1, W2, T, R, P = w1[:m], w2[:m], total[:m], r[:m], psi[:m]  # (m, n) views
        np.multiply.outer(alpha[i:j], data.log_N, out=W1)
        np.subtract(c1[i:j], W1, out=W1)
        np.exp(W1, out=W1)  # unnormalised weight of the A/N^alpha term
        np.multiply.outer(beta[i:j], data.log_D, out=W2)
        np.subtract(c2[i:j], W2, out=W2)
        np.exp(W2, out=W2)  # ... of the B/D^beta term
        np.add(W1, W2, out=T)
        T += w3[i:j]  # ... plus the E term
        np.log(T, out=R)
        R += shift[i:j, None]
        R -= data.log_L  # residual in log loss
        np.clip(R, -delta, delta, out=P)
        f[i:j] = np.einsum("ij,ij->i", P, R) - 0.5 * np.einsum("ij,ij->i", P, P)
        np.divide(P, T, out=T)  # psi / T turns each weight into softmax weight * psi
        W1 *= T
        W2 *= T
        # Row sums and dot products by einsum rather than BLAS: no BLAS worker threads are
        # woken (they compete for the cores on a busy machine), and a row's result does not
        # depend on which other rows share its chunk.
        grad[i:j, 0] = W1.sum(axis=1)
        grad[i:j, 3] = -np.einsum("ij,j->i", W1, data.log_N)
        grad[i:j, 1] = W2.sum(axis=1)
        grad[i:j, 4] = -np.einsum("ij,j->i", W2, data.log_D)
        grad[i:j, 2] = P.sum(axis=1) - grad[i:j, 0] - grad[i:j, 1]
    f[~np.isfinite(f)] = np.inf
    return f, grad


def _objective_one(theta: np.ndarray, data: _LogData, delta: float) -> tuple[float, np.ndarray]:
    """The same objective and gradient for a single theta (5,), with less per-call overhead.

    SciPy's L-BFGS-B calls this once per evaluation; see :func:`_objective_batch` for the math.
    """
    a, b, e, alpha, beta = theta
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        u1 = a - alpha * data.log_N
        u2 = b - beta * data.log_D
        shift = max(u1.max(), u2.max(), e)
        w1 = np.exp(u1 - shift)
        w2 = np.exp(u2 - shift)
        total = w1 + w2 + np.exp(e - shift)
        r = np.log(total) + (shift - data.log_L)
        psi = np.clip(r, -delta, delta)
        f = float(np.dot(psi, r) - 0.5 * np.dot(psi, psi))
        q = psi / total
        q1 = q * w1
        q2 = q * w2
        grad = np.empty(5)
        grad[0] = q1.sum()
        grad[1] = q2.sum()
        grad[2] = psi.sum() - grad[0] - grad[1]
        grad[3] = -np.dot(q1, data.log_N)
        grad[4] = -np.dot(q2, data.log_D)
    if not np.isfinite(f):
        f = np.inf
    return f, grad


def _check_data(N: ArrayLike, D: ArrayLike, loss: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = _checks.positive_array("N", N)
    d = _checks.positive_array("D", D)
    l = _checks.positive_array("loss", loss)
    _checks.same_length(N=n, D=d, loss=l)
    return n, d, l


def _check_delta(delta: float) -> float:
    if not (np.isfinite(delta) and delta > 0):
        raise ValueError(f"delta (the Huber threshold) must be positive and finite, e.g. 1e-3; got {delta!r}")
    return float(delta)


def chinchilla_objective(
    theta: ArrayLike, N: ArrayLike, D: ArrayLike, loss: ArrayLike, *, delta: float = 1e-3
) -> tuple[float, np.ndarray]:
    """Hoffmann's fitting objective and its analytic gradient at one parameter vector.

    Args:
        theta: (a, b, e, alpha, beta), with A = e^a, B = e^b, E = e^e.
        N, D, loss: the data, 1-D arrays of equal length (parameters, tokens, nats/token).
        delta: Huber threshold, in units of log-loss.

    Returns:
        ``(value, gradient)``: the sum of Huber terms and its (5,) gradient in theta.
    """
    t = np.asarray(theta, dtype=np.float64)
    if t.shape != (5,) or not np.isfinite(t).all():
        raise ValueError(f"theta must be 5 finite numbers (a, b, e, alpha, beta); got {theta!r}")
    data = _LogData.build(*_check_data(N, D, loss))
    return _objective_one(t, data, _check_delta(delta))


# --- the fit ---------------------------------------------------------------------------


# Stopping rules for finishing the best end points. SciPy's default ftol is relative to
# max(|f|, 1); the objective is ~1e-3, so those rules stop a warm start after a few tiny steps
# (the early stop Besiroglu et al. describe). These run on to the minimum itself.
POLISH_OPTIONS = MappingProxyType({"ftol": 1e-15, "gtol": 1e-10})


def fit_chinchilla(
    N: ArrayLike,
    D: ArrayLike,
    loss: ArrayLike,
    *,
    delta: float = 1e-3,
    grid: ChinchillaGrid | None = None,
    init: ChinchillaLike | None = None,
    method: Literal["batched", "scipy"] = "batched",
    n_polish: int = 4,
) -> ChinchillaFit:
    """Fit L(N, D) = E + A/N^alpha + B/D^beta by Hoffmann et al.'s procedure (App. D.2).

    Minimises the *sum* of Huber losses of log-loss residuals from every starting point and
    keeps the best end point. Two optimisers:

    * ``"batched"`` (default): all starts advanced together by
      :func:`scalingzip.scaling._lbfgs.minimize_lbfgs_batched` with SciPy's stopping rules, then the
      best ``n_polish`` end points run on with tight ones (:data:`POLISH_OPTIONS`). About 2 s
      for 4,500 starts on 240 points; also the right choice for a single warm start
      (``init``), which SciPy's default rules would stop after a few steps.
    * ``"scipy"``: one :func:`scipy.optimize.minimize` (L-BFGS-B, analytic gradient, SciPy's
      default tolerances) per start, best kept: the literal procedure, as Besiroglu et al.
      ran it; 25 s or more for the full grid on 240 points. Kept as the reference.

    On the full grid both reach the same optimum; finishing can only lower the objective.

    Args:
        N: parameters per model (Hoffmann counts all parameters), 1-D.
        D: training tokens per model, 1-D, same length (for digitised data, D = C / (6 N)).
        loss: final loss in nats/token, 1-D, same length.
        delta: Huber threshold in log-loss units (Hoffmann: 1e-3).
        grid: starting points. Default: :data:`HOFFMANN_GRID` (4,500 starts), unless ``init``
            is given, in which case only ``init`` is used (pass both to use both).
        init: a law to start from, e.g. the full-data fit when bootstrapping.
        method: ``"batched"`` or ``"scipy"`` (see above).
        n_polish: ``"batched"`` only: how many of the best end points to finish.

    Returns:
        A :class:`ChinchillaFit`.

    Raises:
        ValueError: for non-positive or non-finite data, arrays of different lengths, fewer
            than 6 points, or bad options.
    """
    n, d, l = _check_data(N, D, loss)
    _checks.enough_points("fit_chinchilla", len(n), 5)
    delta = _check_delta(delta)
    if method not in ("batched", "scipy"):
        raise ValueError(f"method must be 'batched' or 'scipy'; got {method!r}")
    if int(n_polish) != n_polish or n_polish < 1:
        raise ValueError(f"n_polish must be a positive integer; got {n_polish!r}")
    starts = []
    if init is not None:
        values = [getattr(init, k, None) for k in ("E", "A", "B", "alpha", "beta")]
        if any(v is None or not np.isfinite(v) for v in values) or min(values[:3]) <= 0:
            raise ValueError("init must have positive, finite E, A and B and finite alpha and beta (e.g. a fit)")
        starts.append(np.array([[np.log(init.A), np.log(init.B), np.log(init.E), init.alpha, init.beta]]))
    if grid is not None or init is None:
        starts.append((grid or HOFFMANN_GRID).starts())
    x0 = np.concatenate(starts)
    data = _LogData.build(n, d, l)

    if method == "scipy":
        ends = [minimize(_objective_one, t, args=(data, delta), jac=True, method="L-BFGS-B") for t in x0]
        best = min(ends, key=lambda res: res.fun)
        theta, objective, converged = best.x, float(best.fun), bool(best.success)
        n_converged = sum(bool(res.success) for res in ends)
        n_evaluations = sum(int(res.nfev) for res in ends)
    else:

        def objective_rows(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return _objective_batch(t, data, delta)

        first = minimize_lbfgs_batched(objective_rows, x0)
        candidates = np.argsort(first.fun, kind="stable")[: int(n_polish)]
        final = minimize_lbfgs_batched(objective_rows, first.x[candidates], **POLISH_OPTIONS)
        best = int(np.argmin(final.fun))
        theta, objective, converged = final.x[best], float(final.fun[best]), bool(final.converged[best])
        n_converged = int(first.converged.sum())
        n_evaluations = first.n_evaluations + final.n_evaluations

    a, b, e, alpha, beta = (float(v) for v in theta)
    return ChinchillaFit(
        E=float(np.exp(e)),
        A=float(np.exp(a)),
        B=float(np.exp(b)),
        alpha=alpha,
        beta=beta,
        objective=objective,
        delta=delta,
        n_points=len(n),
        n_starts=len(x0),
        n_converged=n_converged,
        converged=converged,
        method=method,
        n_evaluations=n_evaluations,
    )


# --- the compute-optimal frontier ------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ComputeOptimal:
    """The loss-minimising model size and data for compute budgets C = 6 N D."""

    C: np.ndarray | float  # training compute, FLOP
    N_opt: np.ndarray | float  # parameters
    D_opt: np.ndarray | float  # tokens
    tokens_per_parameter: np.ndarray | float  # D_opt / N_opt
    loss: np.ndarray | float  # L(N_opt, D_opt), nats/token


def _check_law(fit: ChinchillaLike) -> None:
    for name in ("E", "A", "B", "alpha", "beta"):
        value = getattr(fit, name, None)
        if value is None:
            raise ValueError(f"fit needs the attributes E, A, B, alpha and beta; {name} is missing")
        if not np.isfinite(value):
            raise ValueError(f"fit.{name} must be finite; got {value!r}")
    if min(fit.A, fit.B, fit.alpha, fit.beta) <= 0:
        raise ValueError(
            "a compute-optimal frontier needs A, B, alpha and beta all positive; got "
            f"A={fit.A!r}, B={fit.B!r}, alpha={fit.alpha!r}, beta={fit.beta!r}"
        )


def _record(C: np.ndarray, N: np.ndarray, fit: ChinchillaLike) -> ComputeOptimal:
    D = C / (6.0 * N)
    loss = fit.E + fit.A * N ** (-fit.alpha) + fit.B * D ** (-fit.beta)

    def out(x: np.ndarray) -> np.ndarray | float:
        return float(x) if np.ndim(x) == 0 else x

    return ComputeOptimal(C=out(C), N_opt=out(N), D_opt=out(D), tokens_per_parameter=out(D / N), loss=out(loss))


def compute_optimal(C: ArrayLike, fit: ChinchillaLike) -> ComputeOptimal:
    """Closed-form compute-optimal allocation (Hoffmann et al. 2022, Eq. 4), under C = 6 N D.

    N_opt = G (C/6)^(beta/(alpha+beta)), D_opt = G^-1 (C/6)^(alpha/(alpha+beta)),
    G = (alpha A / (beta B))^(1/(alpha+beta)).

    Args:
        C: training compute in FLOP, a positive number or array of them.
        fit: the law's constants (a :class:`ChinchillaFit` or a published record).

    Returns:
        A :class:`ComputeOptimal` of floats (scalar C) or arrays shaped like C.
    """
    c = _checks.positive_array("C", C, ndim=None)
    _check_law(fit)
    G = (fit.alpha * fit.A / (fit.beta * fit.B)) ** (1.0 / (fit.alpha + fit.beta))
    N = G * (c / 6.0) ** (fit.beta / (fit.alpha + fit.beta))
    return _record(c, N, fit)


def compute_optimal_numerical(C: ArrayLike, fit: ChinchillaLike) -> ComputeOptimal:
    """The same allocation as :func:`compute_optimal`, found by minimising L(N, C/(6N)) numerically.

    For each budget, SciPy's bounded scalar minimiser searches log N over [0, log(C/6)] (the
    loss along the budget line is convex in log N). Slow compared with the closed form; it
    exists to check it.
    """
    c = _checks.positive_array("C", C, ndim=None)
    _check_law(fit)
    flat = np.atleast_1d(c).ravel()
    N = np.empty_like(flat)
    for i, budget in enumerate(flat):

        def loss_along_budget(log_n: float, budget: float = budget) -> float:
            n = np.exp(log_n)
            return fit.A * n ** (-fit.alpha) + fit.B * (budget / (6.0 * n)) ** (-fit.beta)

        upper = max(np.log(budget / 6.0), 1e-9)
        res = minimize_scalar(loss_along_budget, bounds=(0.0, upper), method="bounded", options={"xatol": 1e-10})
        N[i] = np.exp(res.x)
    return _record(c, N.reshape(np.shape(c)), fit)


# --- synthetic data --------------------------------------------------------------------


def synthetic_chinchilla_data(
    law: ChinchillaLike,
    *,
    n_points: int = 240,
    N_range: tuple[float, float] = (7e7, 1.6e10),
    D_range: tuple[float, float] = (5e9, 5e11),
    noise: float = 0.01,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw (N, D, loss) points from a known law, for testing fits and for exercises.

    N and D are drawn log-uniformly and independently; the defaults span the models of
    Hoffmann et al. 2022 (70M-16B parameters, 5B-500B tokens, abstract). The loss is
    ``law.predict(N, D) * exp(noise * z)`` with z standard normal, i.e. Gaussian noise of
    standard deviation ``noise`` on log L.

    Returns:
        ``(N, D, loss)``, three float64 arrays of length ``n_points`` (loss in nats/token).
    """
    if n_points < 1:
        raise ValueError(f"n_points must be at least 1; got {n_points!r}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a non-negative standard deviation of log-loss; got {noise!r}")
    bounds = {}
    for name, pair in (("N_range", N_range), ("D_range", D_range)):
        lo, hi = (_checks.positive_array(name, pair) if len(pair) == 2 else (0.0, 0.0))
        if not 0 < lo < hi:
            raise ValueError(f"{name} must be (low, high) with 0 < low < high; got {pair!r}")
        bounds[name] = (lo, hi)
    (lo_n, hi_n), (lo_d, hi_d) = bounds["N_range"], bounds["D_range"]
    rng = np.random.default_rng(seed)
    N = np.exp(rng.uniform(np.log(lo_n), np.log(hi_n), n_points))
    D = np.exp(rng.uniform(np.log(lo_d), np.log(hi_d), n_points))
    loss = np.asarray(chinchilla_loss(N, D, law)) * np.exp(noise * rng.standard_normal(n_points))
    return N, D, loss
