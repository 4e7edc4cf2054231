"""Entropy, cross-entropy, KL divergence and bits per byte."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalingzip.coding import bits_per_byte, cross_entropy_bits, entropy_bits, kl_bits


weights = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=40).filter(lambda w: sum(w) > 1e-3)


def normalise(w):
    p = np.array(w, dtype=np.float64)
    return p / p.sum()


def test_known_values():
    assert entropy_bits([1.0]) == 0.0
    assert entropy_bits([0.5, 0.5]) == pytest.approx(1.0)
    assert entropy_bits(np.full(256, 1 / 256)) == pytest.approx(8.0)
    assert entropy_bits([0.5, 0.25, 0.25, 0.0]) == pytest.approx(1.5)  # 0 log 0 = 0
    assert cross_entropy_bits([0.5, 0.5], [0.25, 0.75]) == pytest.approx(-0.5 * math.log2(0.25) - 0.5 * math.log2(0.75))
    assert kl_bits([0.5, 0.5], [0.5, 0.5]) == 0.0


def test_cross_entropy_is_infinite_where_q_misses_a_symbol():
    assert cross_entropy_bits([0.5, 0.5], [1.0, 0.0]) == math.inf
    assert kl_bits([0.5, 0.5], [1.0, 0.0]) == math.inf
    # but a symbol that never occurs (p = 0) may have q = 0
    assert cross_entropy_bits([1.0, 0.0], [1.0, 0.0]) == 0.0


@given(weights, st.data())
def test_gibbs_inequality_and_decomposition(w, data):
    p = normalise(w)
    q = normalise(data.draw(st.lists(st.floats(min_value=1e-6, max_value=1.0), min_size=len(w), max_size=len(w))))
    h, ce, kl = entropy_bits(p), cross_entropy_bits(p, q), kl_bits(p, q)
    assert 0.0 <= h <= math.log2(len(p)) + 1e-9
    assert kl >= 0.0
    assert ce == pytest.approx(h + kl, abs=1e-9)
    assert ce >= h - 1e-9


@pytest.mark.parametrize(
    ("p", "match"),
    [
        ([0.5, 0.6], "divide by its sum"),
        ([1.5, -0.5], "negative"),
        ([float("nan"), 1.0], "NaN"),
        ([], "non-empty"),
        ([[0.5, 0.5]], "1-D"),
    ],
)
def test_bad_probability_vectors_say_what_to_fix(p, match):
    with pytest.raises(ValueError, match=match):
        entropy_bits(p)


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="same length"):
        kl_bits([0.5, 0.5], [1.0])


def test_bits_per_byte():
    assert bits_per_byte(8 * 100, 400) == 2.0
    with pytest.raises(ValueError, match="positive"):
        bits_per_byte(10, 0)
    with pytest.raises(TypeError):
        bits_per_byte(10, 2.5)
    with pytest.raises(ValueError, match="finite"):
        bits_per_byte(-1, 10)
