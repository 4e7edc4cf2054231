"""Input checks shared by the scaling-law modules (private).

Every public function of :mod:`scalingzip.scaling` validates its arrays here, so that the
messages read the same everywhere: they name the argument, the bad value and where it is,
and say what would be accepted instead.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def positive_array(name: str, values: ArrayLike, *, ndim: int | None = 1) -> np.ndarray:
    """Return ``values`` as a float64 array, checking that every entry is positive and finite.

    Args:
        name: the argument's name, used in the error message (for example ``"N"``).
        values: anything :func:`numpy.asarray` accepts.
        ndim: required number of dimensions; ``None`` accepts any (scalars included).

    Raises:
        ValueError: if the array has the wrong number of dimensions, is empty, or holds a
            value that is zero, negative, infinite or NaN (the first such value is named).
    """
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of numbers; got {values!r}") from err
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array; got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty; pass at least one value")
    bad = ~(np.isfinite(array) & (array > 0))
    if bad.any():
        where = np.unravel_index(int(np.argmax(bad)), array.shape) if array.ndim else ()
        index = where[0] if len(where) == 1 else where
        location = f" at index {index}" if array.ndim else ""
        raise ValueError(f"{name} must be positive and finite; got {array[where].item()!r}{location}")
    return array


def same_length(**arrays: np.ndarray) -> int:
    """Return the common length of 1-D arrays, or raise naming every length."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ValueError(f"{', '.join(lengths)} must have the same length; {listed}")
    return next(iter(lengths.values()))


def enough_points(function: str, n: int, n_parameters: int) -> None:
    """Raise unless there are more data points than parameters to fit."""
    if n <= n_parameters:
        raise ValueError(
            f"{function} fits {n_parameters} parameters, so it needs at least "
            f"{n_parameters + 1} points; got {n}"
        )


def confidence_level(confidence: float) -> float:
    """Check a confidence level such as 0.95 and return it as a float."""
    value = float(confidence)
    if not 0.0 < value < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1 (e.g. 0.95); got {confidence!r}")
    return value
