"""Hoffmann et al.'s training runs, as plotted in their Figure 4 and digitised by the course.

Hoffmann et al. (2022) fitted their parametric law to the final losses of their training runs
but did not publish them; Figure 4 (left) plots 245 of them, and Besiroglu et al. (2024) showed
that they can be read back and refitted. The course reads them with its own digitiser
(:mod:`scalingzip.data.digitised.digitise`); ``hoffmann2022_fig4.csv`` beside this module holds the
result, and ``README.md`` its provenance and its agreement with Besiroglu et al.'s extraction.

Units: N in parameters (Hoffmann et al. count all of them, embeddings included), C in FLOP,
D in tokens, loss in nats per token (final training loss on MassiveText, as the colour bar shows
it). The figure plots C and N, so D is derived as C / (6 N), the approximation of its x axis.

References: Hoffmann et al. 2022 (``hoffmann2022training``) for the data; Besiroglu et al. 2024
(``besiroglu2024chinchilla``) for the method and the refit.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["CHINCHILLA_POINTS_SHA256", "ChinchillaPoints", "load_chinchilla_points"]

DATA_FILE = "hoffmann2022_fig4.csv"
# SHA-256 of the shipped file; a file that differs is refused (regenerate it with the command in README.md).
CHINCHILLA_POINTS_SHA256 = "3ec56f78a9c21e19cca40e8eb9d26d4e88916b1963209354cb0622260d8b9225"
_COLUMNS = ("N", "C", "D", "loss", "x_pt", "y_pt", "fill")


@dataclass(frozen=True, kw_only=True, eq=False)
class ChinchillaPoints:
    """Training runs of Hoffmann et al. 2022 as plotted in their Figure 4 (left), one per index."""

    N: np.ndarray  # (n,) parameters, embeddings included
    C: np.ndarray  # (n,) training compute, FLOP
    D: np.ndarray  # (n,) training tokens, C / (6 N)
    loss: np.ndarray  # (n,) final training loss, nats/token
    source: str  # the file read

    def __len__(self) -> int:
        return len(self.N)

    def drop_highest_loss(self, k: int) -> ChinchillaPoints:
        """The points without the ``k`` highest losses (Besiroglu et al. drop 5), order kept."""
        if int(k) != k or not 0 <= k < len(self):
            raise ValueError(f"k must be an integer from 0 to {len(self) - 1}; got {k!r}")
        order = np.argsort(self.loss, kind="stable")
        keep = np.sort(order[: len(self) - int(k)])
        return ChinchillaPoints(N=self.N[keep], C=self.C[keep], D=self.D[keep], loss=self.loss[keep],
                                source=f"{self.source}, {int(k)} highest losses dropped")


def load_chinchilla_points(path: str | Path | None = None) -> ChinchillaPoints:
    """Load the 245 digitised runs of Hoffmann et al.'s Figure 4, after checking the file's SHA-256.

    Args:
        path: the CSV to read; by default the copy shipped in ``scalingzip/data/digitised``. Any path
            given must hold exactly the shipped content (the checksum is the same).

    Returns:
        A :class:`ChinchillaPoints`: N in parameters, C in FLOP, D = C/(6N) in tokens, loss in
        nats/token, float64 arrays of length 245 in the figure's document order.

    Raises:
        ValueError: if the file's SHA-256 is not :data:`CHINCHILLA_POINTS_SHA256` (it was edited
            or damaged), or its columns are not ``N, C, D, loss, x_pt, y_pt, fill``.
    """
    if path is None:
        raw = resources.files("scalingzip.data.digitised").joinpath(DATA_FILE).read_bytes()
        source = f"scalingzip/data/digitised/{DATA_FILE}"
    else:
        raw = Path(path).read_bytes()
        source = str(path)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != CHINCHILLA_POINTS_SHA256:
        raise ValueError(
            f"{source} has SHA-256 {digest}, not the shipped {CHINCHILLA_POINTS_SHA256}: the file was changed. "
            "Reinstall the package, or regenerate the file with the command in scalingzip/data/digitised/README.md"
        )
    rows = list(csv.reader(io.StringIO(raw.decode("ascii"))))
    if tuple(rows[0]) != _COLUMNS:
        raise ValueError(f"{source} must have the columns {', '.join(_COLUMNS)}; got {rows[0]}")
    table = np.array([[float(v) for v in row[:4]] for row in rows[1:]], dtype=np.float64)
    N, C, D, loss = table.T
    return ChinchillaPoints(N=N, C=C, D=D, loss=loss, source=source)
