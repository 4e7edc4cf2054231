"""Batched L-BFGS: many independent smooth minimisations advanced together in numpy.

Hoffmann et al. (2022, App. D.2) fit their scaling law from 4,500 starting points and keep the
best. Run one at a time through :func:`scipy.optimize.minimize`, the starts spend most of
their time in Python overhead; here every start is a row of one matrix, so one objective call
evaluates all of them with a few large array operations. Starts that have converged are
dropped from the batch, so the cost follows the slowest starts only while they are running.

The algorithm is textbook L-BFGS (Nocedal & Wright 2006, *Numerical Optimization*, Alg. 7.4
and 7.5) with a backtracking Armijo line search; its stopping tests mirror SciPy's L-BFGS-B
defaults (``gtol`` on the largest gradient entry, ``ftol`` on the relative decrease), so a
batch stops about where a loop of SciPy calls would (the line searches differ).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

__all__ = ["BatchedLBFGSResult", "minimize_lbfgs_batched", "STATUS"]

# Why a row stopped (values of BatchedLBFGSResult.status).
STATUS = MappingProxyType(
    {
        0: "largest gradient entry <= gtol",
        1: "relative decrease of the objective <= ftol",
        2: "line search found no decrease",
        3: "reached max_iter",
    }
)

# A batched objective: rows of X (S, P) -> (values (S,), gradients (S, P)). Rows must not
# interact, and non-finite values must be returned as +inf (the line search then backs off).
BatchObjective = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, kw_only=True)
class BatchedLBFGSResult:
    """The end point of every row of a batched L-BFGS run."""

    x: np.ndarray  # (S, P) final points
    fun: np.ndarray  # (S,) objective at x
    n_iter: np.ndarray  # (S,) accepted steps per row
    status: np.ndarray  # (S,) keys of STATUS
    n_evaluations: int  # rows evaluated in total (a SciPy loop would report the sum of nfev)

    @property
    def converged(self) -> np.ndarray:
        """(S,) bool: the row met a convergence test (status 0 or 1)."""
        return self.status <= 1


def minimize_lbfgs_batched(
    fun: BatchObjective,
    x0: np.ndarray,
    *,
    history: int = 10,
    max_iter: int = 15000,
    gtol: float = 1e-5,
    ftol: float = 2.220446049250313e-09,
    max_backtracks: int = 30,
) -> BatchedLBFGSResult:
    """Minimise one objective from many starting points at once.

    Args:
        fun: batched objective, see :data:`BatchObjective`; it is called with subsets of the
            live rows (only the rows still searching), so a row's value must not depend on
            which other rows are present.
        x0: (S, P) starting points, one per row.
        history: number of curvature pairs kept (SciPy's ``maxcor``).
        max_iter: most accepted steps per row.
        gtol: stop a row when its largest absolute gradient entry is at most this.
        ftol: stop a row when (f_old - f_new) / max(|f_old|, |f_new|, 1) <= ftol.
        max_backtracks: step reductions in one line search before a row gives up.

    Returns:
        A :class:`BatchedLBFGSResult` with one entry per row of ``x0``.

    Raises:
        ValueError: if ``x0`` is not a 2-D finite array or an option is out of range.
    """
    x0 = np.array(x0, dtype=np.float64)
    if x0.ndim != 2 or x0.shape[0] == 0 or x0.shape[1] == 0:
        raise ValueError(f"x0 must be a non-empty (starts, parameters) array; got shape {x0.shape}")
    if not np.isfinite(x0).all():
        raise ValueError("x0 must be finite; replace NaN or infinite starting values")
    if history < 1 or max_iter < 1 or max_backtracks < 1:
        raise ValueError("history, max_iter and max_backtracks must all be at least 1")
    return _run(fun, x0, history=history, max_iter=max_iter, gtol=gtol, ftol=ftol, max_backtracks=max_backtracks)


def _rowdot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Row-wise dot product of two (S, P) arrays."""
    return np.einsum("ij,ij->i", u, v)


def _run(
    fun: BatchObjective,
    x: np.ndarray,
    *,
    history: int,
    max_iter: int,
    gtol: float,
    ftol: float,
    max_backtracks: int,
) -> BatchedLBFGSResult:
    n_rows, n_par = x.shape
    out_x, out_f = x.copy(), np.full(n_rows, np.inf)
    out_iter, out_status = np.zeros(n_rows, dtype=np.int64), np.full(n_rows, 3, dtype=np.int64)
    rows = np.arange(n_rows)  # original index of each live row
    f, g = fun(x)
    n_eval = n_rows
    iters = np.zeros(n_rows, dtype=np.int64)
    finite = np.isfinite(f) & np.isfinite(g).all(axis=1)
    out_f[~finite] = np.nan_to_num(f[~finite], nan=np.inf)
    out_status[~finite] = 2  # nowhere to go from a non-finite start
    rows, x, f, g, iters = rows[finite], x[finite], f[finite], g[finite], iters[finite]
    n_rows = rows.size
    # Curvature pairs in a ring buffer shared by all live rows; slot it % history is written at
    # iteration it. Invariant: a row whose pair failed the curvature test has rho = 0 in that
    # slot, which makes the slot a no-op in the two-loop recursion, so one pointer serves all.
    s_hist = np.zeros((history, n_rows, n_par))
    y_hist = np.zeros((history, n_rows, n_par))
    rho = np.zeros((history, n_rows))
    gamma = np.ones(n_rows)  # initial inverse-Hessian scale s.y / y.y of the newest good pair

    for it in range(max_iter):
        if rows.size == 0:
            break
        # Two-loop recursion: d = -H g with H the L-BFGS inverse-Hessian approximation.
        newest_first = [(it - 1 - j) % history for j in range(history)]
        q = -g
        coef = np.empty((history, rows.size))
        for k in newest_first:
            coef[k] = rho[k] * _rowdot(s_hist[k], q)
            q -= coef[k][:, None] * y_hist[k]
        q *= gamma[:, None]
        for k in reversed(newest_first):
            q += (coef[k] - rho[k] * _rowdot(y_hist[k], q))[:, None] * s_hist[k]
        d = q
        slope = _rowdot(g, d)
        uphill = ~(slope < 0)  # not a descent direction (or NaN): restart from steepest descent
        if uphill.any():
            d[uphill] = -g[uphill]
            slope[uphill] = -_rowdot(g[uphill], g[uphill])
            rho[:, uphill] = 0.0
            gamma[uphill] = 1.0
        # SciPy's first step has length 1 (d = -g); later steps try the full quasi-Newton step.
        step = np.minimum(1.0, 1.0 / np.sqrt(-slope)) if it == 0 else np.ones(rows.size)

        # Backtracking line search on the rows still looking for a sufficient decrease.
        f_new, g_new = np.full(rows.size, np.inf), np.zeros_like(g)
        accepted = np.zeros(rows.size, dtype=bool)
        pending = np.arange(rows.size)
        for _ in range(max_backtracks):
            f_try, g_try = fun(x[pending] + step[pending, None] * d[pending])
            n_eval += pending.size
            ok = f_try <= f[pending] + 1e-4 * step[pending] * slope[pending]  # Armijo
            f_new[pending[ok]], g_new[pending[ok]] = f_try[ok], g_try[ok]
            accepted[pending[ok]] = True
            pending, f_bad = pending[~ok], f_try[~ok]
            if pending.size == 0:
                break
            # Minimiser of the quadratic through f(0), f'(0) and f(step), kept in [0.1, 0.5] step.
            t, s0 = step[pending], slope[pending]
            curv = 2.0 * (f_bad - f[pending] - s0 * t)
            with np.errstate(divide="ignore", invalid="ignore"):
                t_quad = np.where(np.isfinite(f_bad) & (curv > 0), -s0 * t * t / curv, 0.1 * t)
            step[pending] = np.clip(t_quad, 0.1 * t, 0.5 * t)

        s_new = step[:, None] * d
        y_new = g_new - g
        sy, yy = _rowdot(s_new, y_new), _rowdot(y_new, y_new)
        good = accepted & (sy > 1e-10 * yy) & (yy > 0)
        slot = it % history
        s_hist[slot] = np.where(good[:, None], s_new, 0.0)
        y_hist[slot] = np.where(good[:, None], y_new, 0.0)
        rho[slot] = np.where(good, 1.0 / np.where(good, sy, 1.0), 0.0)
        gamma = np.where(good, sy / np.where(good, yy, 1.0), gamma)

        f_old = f
        x = np.where(accepted[:, None], x + s_new, x)
        f = np.where(accepted, f_new, f)
        g = np.where(accepted[:, None], g_new, g)
        iters += accepted
        small_grad = np.abs(g).max(axis=1) <= gtol
        small_decrease = accepted & (f_old - f <= ftol * np.maximum(np.maximum(np.abs(f_old), np.abs(f)), 1.0))
        done = small_grad | small_decrease | ~accepted
        if done.any():
            idx = rows[done]
            out_x[idx], out_f[idx], out_iter[idx] = x[done], f[done], iters[done]
            out_status[idx] = np.where(small_grad[done], 0, np.where(small_decrease[done], 1, 2))
            keep = ~done
            rows, x, f, g, iters = rows[keep], x[keep], f[keep], g[keep], iters[keep]
            s_hist, y_hist, rho, gamma = s_hist[:, keep], y_hist[:, keep], rho[:, keep], gamma[keep]
    if rows.size:  # ran out of iterations: status stays 3
        out_x[rows], out_f[rows], out_iter[rows] = x, f, iters
    return BatchedLBFGSResult(x=out_x, fun=out_f, n_iter=out_iter, status=out_status, n_evaluations=n_eval)
