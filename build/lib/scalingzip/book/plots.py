"""The course's figure style: figures meant to be read, in light and dark mode alike.

Every figure in the book is drawn after :func:`use_style`: a white figure background (so a
figure stays legible when the book is read in dark mode), labelled axes, a light grid, and one
colour cycle, chosen to stay distinguishable for the common forms of colour blindness (the
Okabe–Ito palette). Power laws live on log–log axes; :func:`loglog` sets them up.

Reference:
    Okabe & Ito 2008, "Color Universal Design (CUD): how to make figures and presentations that
    are friendly to colorblind people".
"""

from __future__ import annotations

import matplotlib as mpl
from matplotlib import ticker
from cycler import cycler
from matplotlib.axes import Axes

__all__ = ["COLORS", "loglog", "use_style"]

# Okabe–Ito: black, orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple.
COLORS = ("#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7")
_CYCLE = (COLORS[5], COLORS[6], COLORS[3], COLORS[1], COLORS[7], COLORS[2], COLORS[0])

_STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 110,
    "savefig.dpi": 150,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#333333",
    "axes.labelcolor": "#111111",
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "axes.grid": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=_CYCLE),
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 9.5,
    "lines.linewidth": 2.0,
    "lines.markersize": 5.5,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "text.color": "#111111",
    "font.size": 10.5,
}


def use_style() -> None:
    """Apply the course's figure style to matplotlib (call once, in a notebook's first cell)."""
    mpl.rcParams.update(_STYLE)


def loglog(ax: Axes, *, minor_grid: bool = True, plain_y: bool = False) -> Axes:
    """Put both axes of ``ax`` on a base-10 log scale, where a power law is a straight line.

    Args:
        ax: the axes to change.
        minor_grid: draw a faint grid at the minor ticks too.
        plain_y: label the y axis with plain numbers (2, 3, 4) instead of powers of ten, which
            reads better when y spans less than a decade, as losses usually do.
    """
    ax.set_xscale("log")
    ax.set_yscale("log")
    if minor_grid:
        ax.grid(True, which="minor", color="#EEEEEE", linewidth=0.4)
    if plain_y:
        ax.yaxis.set_major_formatter(ticker.FormatStrFormatter("%g"))
        ax.yaxis.set_minor_formatter(ticker.FormatStrFormatter("%g"))
    return ax
