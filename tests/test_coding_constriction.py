"""The constriction wrapper: round trips, and agreement with the package coder on one model."""

import numpy as np
import pytest

from scalingzip.coding import (
    ArithmeticDecoder,
    ArithmeticEncoder,
    code_length_bits,
    constriction_decode,
    constriction_encode,
    quantize_probabilities,
)


def test_same_quantised_model_gives_streams_of_the_same_length():
    rng = np.random.default_rng(5)
    p = np.exp(-np.arange(256) / 15.0)
    freqs = quantize_probabilities(p / p.sum(), 16)
    symbols = rng.choice(256, size=40_000, p=freqs / freqs.sum())

    enc = ArithmeticEncoder()
    enc.encode_symbols(symbols, freqs)
    ours = enc.finish()
    dec = ArithmeticDecoder(ours)
    assert dec.decode_symbols(len(symbols), freqs) == symbols.tolist()
    dec.finish()

    theirs = constriction_encode(symbols, freqs / freqs.sum())
    assert np.array_equal(constriction_decode(theirs, freqs / freqs.sum(), len(symbols)), symbols)

    assert abs(len(ours) - len(theirs)) <= 0.001 * len(ours)
    assert len(ours) <= code_length_bits(symbols, freqs) / 8 + 2


def test_one_distribution_per_symbol():
    rng = np.random.default_rng(6)
    logits = rng.normal(size=(3000, 50)) * 3
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    symbols = np.array([rng.choice(50, p=row) for row in probs])
    data = constriction_encode(symbols, probs)
    assert np.array_equal(constriction_decode(data, probs), symbols)
    ideal = float(-np.log2(probs[np.arange(len(symbols)), symbols]).sum())
    assert 8 * len(data) <= ideal * 1.01 + 64


def test_bytes_tiny_probabilities_and_empty_input():
    p = np.full(256, 1e-12)
    p[ord("a")] = 1.0
    data = constriction_encode(b"aaaz", p)
    assert bytes(constriction_decode(data, p, 4).astype(np.uint8)) == b"aaaz"
    assert constriction_encode([], p) == b""
    assert constriction_decode(b"", p, 0).size == 0


def test_errors_say_what_to_fix():
    p = np.array([0.5, 0.5])
    with pytest.raises(ValueError, match="lie in 0..1"):
        constriction_encode([2], p)
    with pytest.raises(ValueError, match="one row per symbol"):
        constriction_encode([0, 1], np.array([[0.5, 0.5]]))
    with pytest.raises(ValueError, match="pass n"):
        constriction_decode(b"\x00" * 4, p)
    with pytest.raises(ValueError, match="whole number of 32-bit words"):
        constriction_decode(b"\x00" * 3, p, 1)
    with pytest.raises(ValueError, match="finite"):
        constriction_encode([0], np.array([np.nan, 1.0]))
