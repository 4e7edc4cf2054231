"""Numbers glued into prose."""

import math

import pytest
from IPython.core.formatters import format_display_data

from scalingzip.book.report import Text, sci


@pytest.mark.parametrize(
    ("x", "digits", "expected"),
    [(5.88e23, 3, "5.88 × 10²³"), (1.2e-4, 2, "1.2 × 10⁻⁴"), (3.0, 2, "3.0"), (0, 3, "0"), (-2.5e10, 2, "-2.5 × 10¹⁰")],
)
def test_sci(x, digits, expected):
    assert str(sci(x, digits)) == expected


def test_text_displays_without_quotes():
    bundle, _ = format_display_data(Text("5.88 × 10²³"))
    assert bundle["text/plain"] == "5.88 × 10²³"


def test_bad_input():
    with pytest.raises(ValueError, match="cannot format"):
        sci(math.inf)
    with pytest.raises(ValueError, match="digits"):
        sci(1.0, 0)


def test_glue_value_glues_numpy_scalars_as_python_numbers_without_display(monkeypatch):
    import myst_nb
    import numpy as np

    from scalingzip.book.report import glue_value

    calls = []
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: calls.append((name, value, display)))
    glue_value("a", np.float64(0.25))
    glue_value("b", np.int64(7))
    glue_value("c", Text("x"))
    assert calls == [("a", 0.25, False), ("b", 7, False), ("c", Text("x"), False)]
    assert type(calls[0][1]) is float and type(calls[1][1]) is int
