"""Percentile bootstrap intervals for the parameters of any fit in :mod:`scalingzip.scaling`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from scalingzip.scaling import _checks

__all__ = ["BootstrapResult", "bootstrap"]


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
