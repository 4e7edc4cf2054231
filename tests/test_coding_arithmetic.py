"""The integer range coder and the probability quantiser."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalingzip.coding import (
    MAX_TOTAL_BITS,
    ArithmeticDecoder,
    ArithmeticEncoder,
    code_length_bits,
    quantize_probabilities,
)


# The coder's stated precision: each symbol loses less than total / 2**48 of its interval.
def slack_bits(n_symbols, total):
    return n_symbols * -math.log2(1.0 - total / 2.0**48)


def bound_bytes(ideal_bits, n_symbols, total):
    """Within 2 bits of -log2 P (plus the precision slack), rounded up to whole bytes."""
    return math.ceil((ideal_bits + slack_bits(n_symbols, total) + 2) / 8)


@st.composite
def distributions(draw, max_symbols=300):
    """Probability vectors, often skewed, sometimes with 1e-9 or 0 entries, sometimes one symbol."""
    n = draw(st.integers(min_value=1, max_value=max_symbols))
    kind = draw(st.sampled_from(["uniform-ish", "skewed", "tiny"]))
    w = np.array(draw(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=n, max_size=n)))
    if kind == "skewed":
        w = w ** 8
    elif kind == "tiny":
        w = np.where(w < 0.7, 1e-9, w)
    if w.sum() <= 0:
        w[0] = 1.0
    return w / w.sum()


@st.composite
def coded_messages(draw):
    p = draw(distributions())
    total_bits = draw(st.integers(min_value=max(1, math.ceil(math.log2(p.size))) if p.size > 1 else 1,
                                  max_value=MAX_TOTAL_BITS))
    freqs = quantize_probabilities(p, total_bits)
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    n = draw(st.integers(min_value=0, max_value=600))
    rng = np.random.default_rng(seed)
    symbols = rng.choice(p.size, size=n, p=freqs / freqs.sum())
    return symbols, freqs


@given(distributions(), st.integers(min_value=9, max_value=MAX_TOTAL_BITS))
def test_quantiser_sums_exactly_and_keeps_every_symbol(p, total_bits):
    f = quantize_probabilities(p, total_bits)
    assert f.dtype == np.int64 and f.shape == p.shape
    assert int(f.sum()) == 2**total_bits
    assert f.min() >= 1
    assert np.array_equal(f, quantize_probabilities(p.copy(), total_bits))  # deterministic
    big = p * 2**total_bits >= 1
    if big.all():  # no symbol needs lifting to 1: every frequency is a floor or a ceiling
        assert np.all(np.abs(f - p * 2**total_bits) < 1)


def test_quantiser_handles_extremes():
    p = np.array([1 - 3e-9, 1e-9, 1e-9, 1e-9])
    assert quantize_probabilities(p, 16).tolist() == [65533, 1, 1, 1]
    assert quantize_probabilities([1.0], 8).tolist() == [256]
    assert quantize_probabilities(np.ones(256), 8).tolist() == [1] * 256
    assert quantize_probabilities([3, 1], 2).tolist() == [3, 1]  # counts work too


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (([0.5, 0.5], 0), "between 1 and 24"),
        (([0.0, 0.0], 16), "sums to 0"),
        (([0.5, -0.1], 16), "non-negative"),
        ((np.ones(300), 8), "raise total_bits"),
        (([[0.5, 0.5]], 16), "1-D"),
    ],
)
def test_quantiser_errors(args, match):
    with pytest.raises(ValueError, match=match):
        quantize_probabilities(*args)


@given(coded_messages())
def test_round_trip_and_length_within_bound(message):
    symbols, freqs = message
    enc = ArithmeticEncoder()
    enc.encode_symbols(symbols, freqs)
    data = enc.finish()
    dec = ArithmeticDecoder(data)
    assert dec.decode_symbols(len(symbols), freqs) == symbols.tolist()
    dec.finish()
    ideal = code_length_bits(symbols, freqs)
    total = int(freqs.sum())
    assert len(data) <= bound_bytes(ideal, len(symbols), total)
    assert 8 * len(data) >= ideal - 1e-6  # no code beats -log2 P


@given(coded_messages())
def test_per_symbol_api_writes_the_same_stream(message):
    symbols, freqs = message
    symbols = symbols[:80]
    table = freqs.tolist()
    fast, slow = ArithmeticEncoder(), ArithmeticEncoder()
    fast.encode_symbols(symbols, freqs)
    for s in symbols:
        slow.encode(int(s), table)
    data = fast.finish()
    assert slow.finish() == data
    dec = ArithmeticDecoder(data)
    assert [dec.decode(table) for _ in symbols] == symbols.tolist()
    dec.finish()


def test_empty_one_symbol_alphabet_and_every_byte():
    enc = ArithmeticEncoder()
    data = enc.finish()
    assert len(data) == 1
    ArithmeticDecoder(data).finish()

    # a one-symbol alphabet costs nothing per symbol
    enc = ArithmeticEncoder()
    enc.encode_symbols([0] * 1000, [1])
    data = enc.finish()
    assert len(data) == 1
    dec = ArithmeticDecoder(data)
    assert dec.decode_symbols(1000, [1]) == [0] * 1000
    dec.finish()

    freqs = quantize_probabilities(np.ones(256))
    for message in (bytes(range(256)), b"\x00", b"\xff" * 3):
        enc = ArithmeticEncoder()
        enc.encode_symbols(message, freqs)
        data = enc.finish()
        assert len(data) == len(message)  # exactly 8 bits per byte under a uniform model
        dec = ArithmeticDecoder(data)
        assert bytes(dec.decode_symbols(len(message), freqs)) == message
        dec.finish()


def test_long_messages_meet_the_relative_bound():
    rng = np.random.default_rng(7)
    # skewed 256-symbol distribution, against the quantised probabilities actually used
    p = np.exp(-np.arange(256) / 12.0)
    p /= p.sum()
    freqs = quantize_probabilities(p)
    symbols = rng.choice(256, size=200_000, p=p)
    enc = ArithmeticEncoder()
    enc.encode_symbols(symbols, freqs)
    n_bytes = len(enc.finish())
    ideal = code_length_bits(symbols, freqs)
    assert n_bytes <= ideal / 8 * 1.001 + 16
    # against the unquantised probabilities, where quantisation is benign (all p >= 1e-3)
    p = np.array([0.5, 0.2, 0.15, 0.1, 0.04, 0.01])
    symbols = rng.choice(p.size, size=100_000, p=p)
    enc = ArithmeticEncoder()
    enc.encode_symbols(symbols, quantize_probabilities(p))
    n_bytes = len(enc.finish())
    ideal_true = float(-np.log2(p[symbols]).sum())
    assert n_bytes <= ideal_true / 8 * 1.001 + 16
    # and a very low-entropy source (0.011 bits/symbol), where rounding loss would show first
    p = np.array([0.999, 0.001])
    symbols = rng.choice(2, size=100_000, p=p)
    freqs = quantize_probabilities(p, 24)
    enc = ArithmeticEncoder()
    enc.encode_symbols(symbols, freqs)
    n_bytes = len(enc.finish())
    assert n_bytes <= code_length_bits(symbols, freqs) / 8 * 1.001 + 16


def test_non_power_of_two_totals_use_division_and_bisection():
    rng = np.random.default_rng(3)
    for freqs in ([3, 5, 7], list(range(1, 4000))):  # totals 15 and 7,998,000 (> 2**16: bisection)
        symbols = rng.integers(0, len(freqs), size=2000)
        enc = ArithmeticEncoder()
        enc.encode_symbols(symbols, freqs)
        data = enc.finish()
        dec = ArithmeticDecoder(data)
        assert dec.decode_symbols(len(symbols), freqs) == symbols.tolist()
        dec.finish()


def test_finished_coders_refuse_further_use():
    enc = ArithmeticEncoder()
    enc.encode(1, [1, 1])
    data = enc.finish()
    for call in (lambda: enc.encode(0, [1, 1]), enc.finish, lambda: enc.encode_interval(0, 1, 2)):
        with pytest.raises(ValueError, match="finished"):
            call()
    dec = ArithmeticDecoder(data)
    assert dec.decode([1, 1]) == 1
    dec.finish()
    with pytest.raises(ValueError, match="finished"):
        dec.decode([1, 1])


def test_caller_errors_say_what_to_fix():
    enc = ArithmeticEncoder()
    with pytest.raises(ValueError, match="outside the alphabet"):
        enc.encode(3, [1, 1])
    with pytest.raises(ValueError, match="frequency 0"):
        enc.encode_symbols([0, 1], [1, 0])
    with pytest.raises(ValueError, match="quantize_probabilities"):
        enc.encode_symbols([0], [0.5, 0.5])
    with pytest.raises(ValueError, match="sum to between 1 and 2"):
        enc.encode_symbols([0], [2**24, 1])
    with pytest.raises(ValueError, match="low < low"):
        enc.encode_interval(2, 0, 4)
    with pytest.raises(TypeError, match="must be integers"):
        enc.encode_interval(0.5, 1, 2)
    with pytest.raises(TypeError, match="encode text first"):
        enc.encode_symbols("abc", [1] * 256)
    with pytest.raises(ValueError, match="empty"):
        ArithmeticDecoder(b"")
    with pytest.raises(TypeError):
        ArithmeticDecoder("abc")
    dec = ArithmeticDecoder(b"\x00")
    with pytest.raises(ValueError, match="decode_target"):
        dec.consume(0, 1)


def test_decoder_detects_truncated_extended_and_altered_streams():
    rng = np.random.default_rng(11)
    freqs = quantize_probabilities(np.exp(-np.arange(64) / 6.0))
    symbols = rng.choice(64, size=3000, p=freqs / freqs.sum())
    enc = ArithmeticEncoder()
    enc.encode_symbols(symbols, freqs)
    data = enc.finish()

    def decodes(stream):
        dec = ArithmeticDecoder(stream)
        out = dec.decode_symbols(len(symbols), freqs)
        dec.finish()
        return out == symbols.tolist()

    assert decodes(data)
    with pytest.raises(ValueError, match="truncated"):
        decodes(data[:-2])
    with pytest.raises(ValueError, match="after the last symbol"):
        decodes(data + b"\x00")
    # flipping any bit of the final byte either changes the symbols or breaks the ending
    for bit in range(8):
        altered = data[:-1] + bytes([data[-1] ^ (1 << bit)])
        try:
            assert not decodes(altered)
        except ValueError:
            pass


def test_code_length_accepts_bytes_as_well_as_integer_sequences():
    freqs = quantize_probabilities(np.linspace(1, 2, 256) / np.linspace(1, 2, 256).sum())
    data = bytes(range(256)) + b"hello"
    as_ints = code_length_bits(list(data), freqs)
    assert code_length_bits(data, freqs) == as_ints
    assert code_length_bits(np.frombuffer(data, dtype=np.uint8), freqs) == as_ints
