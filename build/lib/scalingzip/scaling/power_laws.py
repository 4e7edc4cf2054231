"""Power laws y = A x^(-alpha), pure and saturating, fitted with their uncertainty.

* :func:`fit_power_law`: ordinary least squares of log y on log x, with t-intervals for alpha and A.
* :func:`fit_saturating_power_law`: L = E + A x^(-alpha) by least squares in log space, for curves
  that level off at a floor E.

Every power law here is written with a decaying exponent (y = A x^(-alpha)); see
:mod:`scalingzip.scaling` for the sign convention.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats
from scipy.optimize import least_squares

from scalingzip.scaling import _checks

__all__ = ["PowerLawFit", "SaturatingFit", "fit_power_law", "fit_saturating_power_law"]


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
