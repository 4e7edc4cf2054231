"""Numbers glued into prose."""

import math

import pytest
from IPython.core.formatters import format_display_data

from scalingzip.report import Text, sci


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
