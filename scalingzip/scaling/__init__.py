"""Scaling-law mathematics: power-law fits, Kaplan's laws, FLOP counts and the compute frontier.

This is the public import path for everything about scaling laws in the course:

* power laws y = A x^(-alpha), fitted by least squares in log space with t-intervals
  (:func:`fit_power_law`), and saturating laws L = E + A x^(-alpha)
  (:func:`fit_saturating_power_law`);
* Hoffmann et al.'s parametric law L(N, D) = E + A/N^alpha + B/D^beta, its 4,500-start fit
  and the compute-optimal allocation (defined in :mod:`scalingzip.scaling.chinchilla`, re-exported);
* Hoffmann's Approach 2, IsoFLOP profiles (:func:`fit_isoflop`);
* percentile bootstrap intervals for any of these fits (:func:`bootstrap`);
* Hoffmann et al.'s training runs read from their Figure 4 (:func:`load_chinchilla_points`,
  defined in :mod:`scalingzip.data.digitised`);
* Kaplan et al.'s laws and closed-form FLOP counts (loss in nats/token, N = non-embedding
  parameters, C in FLOP unless a name says PF-days; defined in :mod:`scalingzip.scaling.kaplan`);
* the published constants (defined in :mod:`scalingzip.scaling.published`, re-exported).

Sign convention: every power law here is written with a *decaying* exponent,
y = A x^(-alpha), so a loss that falls with x has alpha > 0. A quantity that grows with x,
such as N_opt(C), has a negative alpha; :func:`fit_isoflop` reports its growth exponents
``a = -alpha`` directly.

References: Kaplan et al. 2020 (``kaplan2020scaling``), Hoffmann et al. 2022
(``hoffmann2022training``), Besiroglu et al. 2024 (``besiroglu2024chinchilla``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from scipy.optimize import least_squares

from scalingzip.scaling import _checks
from scalingzip.scaling.chinchilla import (
    HOFFMANN_GRID,
    ChinchillaFit,
    ChinchillaGrid,
    ChinchillaLaw,
    ChinchillaLike,
    ComputeOptimal,
    chinchilla_loss,
    chinchilla_objective,
    compute_optimal,
    compute_optimal_numerical,
    fit_chinchilla,
    synthetic_chinchilla_data,
)
from scalingzip.data.digitised.chinchilla_points import ChinchillaPoints, load_chinchilla_points
from scalingzip.scaling.kaplan import (
    flops_per_token_6n,
    flops_per_token_forward,
    flops_per_token_training,
    flops_to_pf_days,
    kaplan_loss_C,
    kaplan_loss_D,
    kaplan_loss_N,
    kaplan_loss_ND,
    non_embedding_params,
    pf_days_to_flops,
    training_flops,
)
from scalingzip.scaling.published import (
    BESIROGLU_2024,
    BESIROGLU_2024_HOFFMANN_PROCEDURE,
    HOFFMANN_2022,
    KAPLAN_2020,
    PF_DAY_FLOP,
    Besiroglu2024,
    FrontierRow,
    Hoffmann2022,
    Kaplan2020,
)

__all__ = [
    # power laws
    "PowerLawFit",
    "fit_power_law",
    "SaturatingFit",
    "fit_saturating_power_law",
    # Hoffmann's parametric law (scalingzip.scaling.chinchilla)
    "ChinchillaLike",
    "ChinchillaLaw",
    "ChinchillaGrid",
    "HOFFMANN_GRID",
    "ChinchillaFit",
    "chinchilla_loss",
    "chinchilla_objective",
    "fit_chinchilla",
    "ComputeOptimal",
    "compute_optimal",
    "compute_optimal_numerical",
    "synthetic_chinchilla_data",
    # Hoffmann et al.'s runs as plotted in their Fig. 4, digitised (scalingzip.data.digitised)
    "ChinchillaPoints",
    "load_chinchilla_points",
    # IsoFLOP profiles
    "IsoFLOPFit",
    "fit_isoflop",
    "synthetic_isoflop_data",
    # uncertainty
    "BootstrapResult",
    "bootstrap",
    # Kaplan's laws and FLOP counts (scalingzip.scaling.kaplan)
    "kaplan_loss_N",
    "kaplan_loss_D",
    "kaplan_loss_ND",
    "kaplan_loss_C",
    "non_embedding_params",
    "flops_per_token_6n",
    "flops_per_token_forward",
    "flops_per_token_training",
    "training_flops",
    "flops_to_pf_days",
    "pf_days_to_flops",
    # published constants (scalingzip.scaling.published)
    "PF_DAY_FLOP",
    "Kaplan2020",
    "KAPLAN_2020",
    "FrontierRow",
    "Hoffmann2022",
    "HOFFMANN_2022",
    "Besiroglu2024",
    "BESIROGLU_2024",
    "BESIROGLU_2024_HOFFMANN_PROCEDURE",
]


def _out(x: np.ndarray) -> np.ndarray | float:
    """A float for 0-d results, the array otherwise."""
    return float(x) if np.ndim(x) == 0 else x


# --- pure power laws -------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PowerLawFit:
    """y = A x^(-alpha), fitted by ordinary least squares of log y on log x."""

    A: float  # y at x = 1, in the units of y
    alpha: float  # decay exponent (negative when y grows with x)
    log_A_se: float  # standard error of log A (natural log)
    alpha_se: float  # standard error of alpha
    A_ci: tuple[float, float]  # confidence interval of A (exp of the interval of log A)
    alpha_ci: tuple[float, float]  # confidence interval of alpha
    cov_log: tuple[tuple[float, float], tuple[float, float]]  # covariance of (log A, alpha)
    r_squared: float  # coefficient of determination in log space
    n: int  # points fitted
    confidence: float  # level of the intervals, e.g. 0.95

    parameter_names: ClassVar[tuple[str, ...]] = ("A", "alpha")

    def predict(self, x: ArrayLike) -> np.ndarray | float:
        """A x^(-alpha) for positive x."""
        return _out(self.A * _checks.positive_array("x", x, ndim=None) ** (-self.alpha))


def fit_power_law(x: ArrayLike, y: ArrayLike, *, confidence: float = 0.95) -> PowerLawFit:
    """Fit y = A x^(-alpha) by least squares on (log x, log y).

    The intervals come from the OLS covariance s^2 (X^T X)^-1 with s^2 = RSS / (n - 2) and the
    Student t quantile with n - 2 degrees of freedom; they assume independent, equal-variance
    Gaussian noise on log y.

    Args:
        x: positive abscissae (e.g. parameters, tokens or FLOP), 1-D.
        y: positive ordinates (e.g. loss in nats/token), 1-D, same length.
        confidence: level of the intervals, strictly between 0 and 1.

    Returns:
        A :class:`PowerLawFit`.

    Raises:
        ValueError: for non-positive or non-finite values, different lengths, fewer than 3
            points, or fewer than 2 distinct x.
    """
    xs = _checks.positive_array("x", x)
    ys = _checks.positive_array("y", y)
    n = _checks.same_length(x=xs, y=ys)
    _checks.enough_points("fit_power_law", n, 2)
    level = _checks.confidence_level(confidence)
    u, v = np.log(xs), np.log(ys)
    if np.ptp(u) == 0:
        raise ValueError("x must take at least 2 distinct values to fit a power law; all x are equal")
    X = np.column_stack([np.ones(n), -u])  # v = log A - alpha u
    coef, *_ = np.linalg.lstsq(X, v, rcond=None)
    resid = v - X @ coef
    rss = float(resid @ resid)
    tss = float(((v - v.mean()) ** 2).sum())
    cov = rss / (n - 2) * np.linalg.inv(X.T @ X)
    se = np.sqrt(np.diag(cov))
    t = float(stats.t.ppf(0.5 + level / 2, df=n - 2))
    log_A, alpha = (float(c) for c in coef)
    return PowerLawFit(
        A=float(np.exp(log_A)),
        alpha=alpha,
        log_A_se=float(se[0]),
        alpha_se=float(se[1]),
        A_ci=(float(np.exp(log_A - t * se[0])), float(np.exp(log_A + t * se[0]))),
        alpha_ci=(alpha - t * float(se[1]), alpha + t * float(se[1])),
        cov_log=((float(cov[0, 0]), float(cov[0, 1])), (float(cov[1, 0]), float(cov[1, 1]))),
        r_squared=1.0 - rss / tss if tss > 0 else 1.0,
        n=n,
        confidence=level,
    )


# --- saturating power laws -------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SaturatingFit:
    """L = E + A x^(-alpha), fitted by least squares on log L."""

    E: float  # the floor (irreducible loss), in the units of L, in [0, min L)
    A: float  # coefficient
    alpha: float  # decay exponent
    rss_log: float  # sum of squared residuals of log L
    r_squared: float  # R^2 of log(L - E) against log x, with the fitted line
    E_at_bound: bool  # E ended on a bound (0 or just below min L): the floor is not identified
    n: int  # points fitted

    parameter_names: ClassVar[tuple[str, ...]] = ("E", "A", "alpha")

    def predict(self, x: ArrayLike) -> np.ndarray | float:
        """E + A x^(-alpha) for positive x."""
        return _out(self.E + self.A * _checks.positive_array("x", x, ndim=None) ** (-self.alpha))


def fit_saturating_power_law(
    x: ArrayLike, y: ArrayLike, *, E_starts: int = 8, E_max_fraction: float = 1.0 - 1e-6
) -> SaturatingFit:
    """Fit L = E + A x^(-alpha) with E constrained to [0, min L).

    Minimises sum (log(E + A x_i^-alpha) - log L_i)^2 (relative errors, so small and large L
    weigh alike) with SciPy's bounded trust-region least squares and an analytic Jacobian.
    The problem is not convex, so it starts from several floors E_k spread over [0, min L);
    for each, log(L - E_k) is linear in log x and ordinary least squares gives the starting
    A and alpha. The best end point is kept.

    Args:
        x: positive abscissae, 1-D.
        y: positive losses, 1-D, same length.
        E_starts: number of starting floors.
        E_max_fraction: upper bound of E as a fraction of min L (must be below 1).

    Returns:
        A :class:`SaturatingFit`.

    Raises:
        ValueError: for bad values, different lengths or fewer than 4 points.
    """
    xs = _checks.positive_array("x", x)
    ys = _checks.positive_array("y", y)
    n = _checks.same_length(x=xs, y=ys)
    _checks.enough_points("fit_saturating_power_law", n, 3)
    if E_starts < 1:
        raise ValueError(f"E_starts must be at least 1; got {E_starts!r}")
    if not 0.0 < E_max_fraction < 1.0:
        raise ValueError(f"E_max_fraction must lie strictly between 0 and 1; got {E_max_fraction!r}")
    u, v = np.log(xs), np.log(ys)
    if np.ptp(u) == 0:
        raise ValueError("x must take at least 2 distinct values; all x are equal")
    E_hi = E_max_fraction * float(ys.min())

    def residuals(p: np.ndarray) -> np.ndarray:
        E, log_A, alpha = p
        return np.log(E + np.exp(log_A - alpha * u)) - v

    def jacobian(p: np.ndarray) -> np.ndarray:
        E, log_A, alpha = p
        term = np.exp(log_A - alpha * u)
        pred = E + term
        return np.column_stack([1.0 / pred, term / pred, -u * term / pred])

    best = None
    for E0 in np.linspace(0.0, E_hi, E_starts, endpoint=False):
        slope, intercept = np.polyfit(u, np.log(ys - E0), 1)
        p0 = np.array([E0, intercept, -slope])
        res = least_squares(
            residuals, p0, jac=jacobian, bounds=([0.0, -np.inf, -np.inf], [E_hi, np.inf, np.inf]), method="trf"
        )
        if best is None or res.cost < best.cost:
            best = res
    assert best is not None
    E, log_A, alpha = (float(p) for p in best.x)
    w = np.log(ys - E)
    fitted = log_A - alpha * u
    tss = float(((w - w.mean()) ** 2).sum())
    return SaturatingFit(
        E=E,
        A=float(np.exp(log_A)),
        alpha=alpha,
        rss_log=2.0 * float(best.cost),
        r_squared=1.0 - float(((w - fitted) ** 2).sum()) / tss if tss > 0 else 1.0,
        E_at_bound=bool(E <= 1e-6 * E_hi or E >= E_hi * (1 - 1e-6)),
        n=n,
    )


# --- IsoFLOP profiles (Hoffmann et al.'s Approach 2) ------------------------------------


@dataclass(frozen=True, kw_only=True)
class IsoFLOPFit:
    """Per-budget optima from parabolas in log N, and the power laws through them."""

    C: np.ndarray  # (k,) distinct budgets, FLOP, ascending
    N_opt: np.ndarray  # (k,) parameters at each parabola's minimum
    D_opt: np.ndarray  # (k,) tokens, C / (6 N_opt)
    loss_opt: np.ndarray  # (k,) the parabola's minimum loss, nats/token
    curvature: np.ndarray  # (k,) d^2 L / d(ln N)^2 of each parabola (positive)
    interior: np.ndarray  # (k,) bool: the minimum lies inside the sampled range of N
    n_per_budget: np.ndarray  # (k,) points in each profile
    N_fit: PowerLawFit  # N_opt = N_fit.A * C^(-N_fit.alpha)
    D_fit: PowerLawFit  # D_opt = D_fit.A * C^(-D_fit.alpha)
    a: float  # N_opt grows as C^a (a = -N_fit.alpha)
    a_ci: tuple[float, float]
    b: float  # D_opt grows as C^b
    b_ci: tuple[float, float]

    parameter_names: ClassVar[tuple[str, ...]] = ("a", "b")


def fit_isoflop(N: ArrayLike, C: ArrayLike, loss: ArrayLike, *, confidence: float = 0.95) -> IsoFLOPFit:
    """Hoffmann et al.'s Approach 2: the optimal model size per compute budget, then power laws.

    Points are grouped by exactly equal C (round digitised budgets first). For each budget,
    loss = c0 + c1 ln N + c2 (ln N)^2 is fitted by least squares and its minimum
    ln N_opt = -c1 / (2 c2) taken; D_opt = C / (6 N_opt). Then N_opt and D_opt are fitted as
    power laws of C with :func:`fit_power_law`.

    Args:
        N: parameters of each run, 1-D.
        C: training compute of each run in FLOP, 1-D (runs of one budget share a value).
        loss: final loss in nats/token, 1-D.
        confidence: level of the exponents' intervals.

    Returns:
        An :class:`IsoFLOPFit`.

    Raises:
        ValueError: for bad values, different lengths, fewer than 3 budgets, a budget with
            fewer than 3 distinct model sizes, or a parabola that does not open upward.
    """
    n_arr = _checks.positive_array("N", N)
    c_arr = _checks.positive_array("C", C)
    l_arr = _checks.positive_array("loss", loss)
    _checks.same_length(N=n_arr, C=c_arr, loss=l_arr)
    budgets = np.unique(c_arr)
    if len(budgets) < 3:
        raise ValueError(
            f"fit_isoflop needs at least 3 distinct compute budgets to fit N_opt ~ C^a; got {len(budgets)}"
        )
    k = len(budgets)
    N_opt, loss_opt, curv = np.empty(k), np.empty(k), np.empty(k)
    interior, counts = np.empty(k, dtype=bool), np.empty(k, dtype=int)
    for i, budget in enumerate(budgets):
        mask = c_arr == budget
        u, l = np.log(n_arr[mask]), l_arr[mask]
        counts[i] = mask.sum()
        if len(np.unique(u)) < 3:
            raise ValueError(
                f"budget C={budget:.4g} has {len(np.unique(u))} distinct model sizes; a parabola needs "
                "at least 3 (add runs or drop this budget)"
            )
        centre = u.mean()  # centring keeps the quadratic fit well conditioned
        c2, c1, c0 = np.polyfit(u - centre, l, 2)
        if not c2 > 0:
            raise ValueError(
                f"the IsoFLOP parabola for C={budget:.4g} opens downward (curvature {2 * c2:.3g}), so it has "
                "no minimum; sample model sizes on both sides of the optimum or drop this budget"
            )
        vertex = -c1 / (2 * c2)
        N_opt[i] = np.exp(centre + vertex)
        loss_opt[i] = c0 - c1 * c1 / (4 * c2)
        curv[i] = 2 * c2
        interior[i] = u.min() <= centre + vertex <= u.max()
    D_opt = budgets / (6.0 * N_opt)
    N_fit = fit_power_law(budgets, N_opt, confidence=confidence)
    D_fit = fit_power_law(budgets, D_opt, confidence=confidence)
    return IsoFLOPFit(
        C=budgets,
        N_opt=N_opt,
        D_opt=D_opt,
        loss_opt=loss_opt,
        curvature=curv,
        interior=interior,
        n_per_budget=counts,
        N_fit=N_fit,
        D_fit=D_fit,
        a=-N_fit.alpha,
        a_ci=(-N_fit.alpha_ci[1], -N_fit.alpha_ci[0]),
        b=-D_fit.alpha,
        b_ci=(-D_fit.alpha_ci[1], -D_fit.alpha_ci[0]),
    )


def synthetic_isoflop_data(
    law: ChinchillaLike,
    C: ArrayLike,
    *,
    n_per_budget: int = 9,
    span: float = 4.0,
    noise: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IsoFLOP profiles drawn from a known law: for each budget, model sizes around its optimum.

    For each budget, ``n_per_budget`` sizes are spaced evenly in log N from N_opt / span to
    N_opt * span (N_opt from :func:`compute_optimal`), with D = C / (6 N) and loss
    ``law.predict(N, D) * exp(noise * z)``, z standard normal.

    Returns:
        ``(N, C, loss)``, flat arrays of length ``len(C) * n_per_budget``.
    """
    budgets = _checks.positive_array("C", C)
    if n_per_budget < 3:
        raise ValueError(f"n_per_budget must be at least 3 (a parabola per budget); got {n_per_budget!r}")
    if not (np.isfinite(span) and span > 1):
        raise ValueError(f"span must be a factor above 1 (e.g. 4 for N_opt/4 .. 4 N_opt); got {span!r}")
    if not (np.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise must be a non-negative standard deviation of log-loss; got {noise!r}")
    rng = np.random.default_rng(seed)
    centre = np.asarray(compute_optimal(budgets, law).N_opt)
    factors = np.exp(np.linspace(-np.log(span), np.log(span), n_per_budget))
    N = (centre[:, None] * factors[None, :]).ravel()
    Cs = np.repeat(budgets, n_per_budget)
    loss = np.asarray(chinchilla_loss(N, Cs / (6.0 * N), law)) * np.exp(noise * rng.standard_normal(N.size))
    return N, Cs, loss


# --- bootstrap -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class BootstrapResult:
    """Percentile bootstrap intervals for the parameters of a fit."""

    names: tuple[str, ...]  # parameter names, in column order of samples
    estimate: dict[str, float]  # the fit on the full data
    lower: dict[str, float]  # lower end of each interval
    upper: dict[str, float]  # upper end of each interval
    samples: np.ndarray  # (n_ok, n_params) parameters refitted on each resample
    confidence: float  # interval level, e.g. 0.95
    n_boot: int  # resamples drawn
    n_failed: int  # resamples whose fit raised ValueError (skipped)
    seed: int

    def interval(self, name: str) -> tuple[float, float]:
        """(lower, upper) for one parameter."""
        if name not in self.names:
            raise ValueError(f"unknown parameter {name!r}; this result has {', '.join(self.names)}")
        return self.lower[name], self.upper[name]


def bootstrap(
    fit_fn: Callable[..., Any],
    *arrays: ArrayLike,
    n_boot: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
    params: tuple[str, ...] | None = None,
    progress: bool = False,
) -> BootstrapResult:
    """Percentile bootstrap: refit on rows resampled with replacement, take quantiles.

    Works with any fit whose result names its parameters in ``parameter_names`` (all the fits
    here do) or with an explicit ``params``. For :func:`fit_chinchilla`, warm-start each refit
    from the full fit so that 200 resamples take seconds instead of the grid's 4,500 starts
    each::

        full = fit_chinchilla(N, D, L)
        res = bootstrap(lambda n, d, l: fit_chinchilla(n, d, l, init=full), N, D, L, n_boot=200)

    Args:
        fit_fn: called as ``fit_fn(*resampled_arrays)``; returns a fit record.
        *arrays: the data, 1-D arrays of equal length (the rows are resampled together).
        n_boot: number of resamples.
        seed: seed of :func:`numpy.random.default_rng`; the same seed gives the same result.
        confidence: interval level, strictly between 0 and 1.
        params: parameter names to read from each fit (default: its ``parameter_names``).
        progress: show a tqdm progress bar.

    Returns:
        A :class:`BootstrapResult`. Resamples on which ``fit_fn`` raises ``ValueError`` (for
        example too few distinct points) are skipped and counted in ``n_failed``.

    Raises:
        ValueError: if no arrays are given, their lengths differ, ``n_boot`` < 2, or more than
            half of the resamples fail.
    """
    if not arrays:
        raise ValueError("bootstrap needs the data arrays after fit_fn, e.g. bootstrap(fit_power_law, x, y)")
    data = [np.asarray(a) for a in arrays]
    if any(a.ndim != 1 for a in data):
        raise ValueError(f"bootstrap resamples rows of 1-D arrays; got shapes {[a.shape for a in data]}")
    n = _checks.same_length(**{f"array {i}": a for i, a in enumerate(data)})
    if n_boot < 2:
        raise ValueError(f"n_boot must be at least 2 (200 or more for 95% intervals); got {n_boot!r}")
    level = _checks.confidence_level(confidence)
    full = fit_fn(*data)
    names = tuple(params) if params is not None else tuple(getattr(full, "parameter_names", ()))
    if not names:
        raise ValueError("cannot tell which parameters to bootstrap; pass params=('name', ...)")

    rng = np.random.default_rng(seed)
    indices = rng.integers(0, n, size=(n_boot, n))
    rows = range(n_boot)
    if progress:
        from tqdm.auto import tqdm

        rows = tqdm(rows, desc="bootstrap")
    samples, failed = [], 0
    for b in rows:
        idx = indices[b]
        try:
            fit = fit_fn(*(a[idx] for a in data))
        except ValueError:
            failed += 1
            continue
        samples.append([float(getattr(fit, name)) for name in names])
    if failed > n_boot // 2:
        raise ValueError(
            f"{failed} of {n_boot} bootstrap fits raised ValueError; the data are too few or too "
            "degenerate to resample (add points, or check that fit_fn works on the full data)"
        )
    sample_array = np.array(samples)
    lo, hi = np.quantile(sample_array, [0.5 - level / 2, 0.5 + level / 2], axis=0)
    return BootstrapResult(
        names=names,
        estimate={name: float(getattr(full, name)) for name in names},
        lower={name: float(v) for name, v in zip(names, lo)},
        upper={name: float(v) for name, v in zip(names, hi)},
        samples=sample_array,
        confidence=level,
        n_boot=n_boot,
        n_failed=failed,
        seed=seed,
    )
