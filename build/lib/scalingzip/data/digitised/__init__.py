"""Data sets the course ships: small tables of published results, with their provenance.

* :func:`load_chinchilla_points` - Hoffmann et al.'s training runs as plotted in their Figure 4
  (N, C, D = C/(6N), final loss), digitised by the course (:mod:`~scalingzip.data.digitised.digitise`).

Each file's provenance, licence position and citation are in ``README.md`` beside it.
"""

from scalingzip.data.digitised.chinchilla_points import (
    CHINCHILLA_POINTS_SHA256,
    ChinchillaPoints,
    load_chinchilla_points,
)

__all__ = ["CHINCHILLA_POINTS_SHA256", "ChinchillaPoints", "load_chinchilla_points"]
