"""Hoffmann et al.'s Approach 2: IsoFLOP profiles and the compute-optimal exponents they give.

For each compute budget C, fit a parabola to loss against log N over the runs of that budget; its
minimum is N_opt(C), with D_opt = C / (6 N_opt). Power laws through those minima give the growth
exponents a and b of N_opt and D_opt (:func:`fit_isoflop`). :func:`synthetic_isoflop_data` makes
runs from a known law, to test the method on an answer known in advance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numpy.typing import ArrayLike

from scalingzip.scaling import _checks
from scalingzip.scaling.chinchilla import ChinchillaLike, chinchilla_loss, compute_optimal
from scalingzip.scaling.power_laws import PowerLawFit, fit_power_law

__all__ = ["IsoFLOPFit", "fit_isoflop", "synthetic_isoflop_data"]


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
