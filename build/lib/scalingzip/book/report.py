"""Computed numbers in prose: how a notebook writes a value into the book's text.

The book quotes no number it does not compute or cite. A notebook computes a value and hands it
to MyST-NB's ``glue``, and the text refers to it by name. Floats glue directly and take a format
in the text (``{glue:text}`name:.3f```); very large or small numbers read better in scientific
notation, which :func:`sci` produces as text that glues without quotation marks.
:func:`glue_value` glues a value for the text without showing it in the page.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["Text", "glue_value", "sci"]

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class Text:
    """A piece of text that Jupyter displays as itself (a ``str`` would display with quotes)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def _repr_pretty_(self, p, cycle: bool) -> None:  # IPython's text/plain hook
        p.text(self.text)


def sci(x: float, digits: int = 3) -> Text:
    """Format a number as ``m × 10ⁿ`` with ``digits`` significant figures.

    Examples:
        >>> sci(5.88e23)
        5.88 × 10²³
        >>> sci(0.000123, 2)
        1.2 × 10⁻⁴
    """
    if not math.isfinite(x):
        raise ValueError(f"cannot format {x!r} in scientific notation")
    if digits < 1:
        raise ValueError(f"digits must be >= 1; got {digits}")
    if x == 0:
        return Text("0")
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    exponent = int(exponent)
    if exponent == 0:
        return Text(mantissa)
    return Text(f"{mantissa} × 10{str(exponent).translate(_SUPERSCRIPT)}")


def glue_value(name: str, value: object) -> None:
    """Glue ``value`` under ``name`` for the text, with no output in the page (MyST-NB's ``glue``).

    NumPy scalars become the Python numbers they hold, which MyST's ``{glue:text}`` formats
    (``:.3f``, ``:,``); everything else is glued as it is.
    """
    from myst_nb import glue  # the book's dependency, imported only by notebooks that glue

    glue(name, value.item() if isinstance(value, np.generic) else value, display=False)
