"""Canonical Huffman codes: optimality against an independent reference, and the bit packing."""

import heapq
import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalingzip.coding import (
    entropy_bits,
    expected_length_bits,
    huffman_code,
    huffman_code_lengths,
    huffman_decode,
    huffman_encode,
)


counts = st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=80).filter(lambda c: sum(c) > 0)


def reference_cost(weights):
    """Total weighted code length of a Huffman code = the sum of the weights of merged nodes."""
    heap = [w for w in weights if w > 0]
    if len(heap) == 1:
        return heap[0]  # one symbol: one bit each
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    return cost


@given(counts)
def test_optimal_against_independent_reference(c):
    code = huffman_code(c)
    total = sum(c)
    assert sum(c[s] * len(word) for s, word in code.items()) == reference_cost(c)
    avg = expected_length_bits(c, code)
    assert avg == pytest.approx(reference_cost(c) / total)
    used = [w for w in c if w > 0]
    if len(used) > 1:
        h = entropy_bits(np.array(used) / total)
        assert h - 1e-9 <= avg < h + 1


@given(counts)
def test_code_is_prefix_free_canonical_and_complete(c):
    code = huffman_code(c)
    assert set(code) == {s for s, w in enumerate(c) if w > 0}  # zero counts get no codeword
    words = sorted(code.values())
    assert all(not b.startswith(a) for a, b in zip(words, words[1:]))
    if len(code) > 1:
        assert sum(2.0 ** -len(w) for w in words) == pytest.approx(1.0)  # Kraft equality
    # canonical: ordered by (length, symbol), each codeword is the previous one plus 1, shifted
    order = sorted(code, key=lambda s: (len(code[s]), s))
    for prev, cur in zip(order, order[1:]):
        a, b = code[prev], code[cur]
        assert int(b, 2) == (int(a, 2) + 1) << (len(b) - len(a))


def test_small_examples_and_ties():
    assert huffman_code({"x": 7}) == {"x": "0"}
    assert huffman_code([0, 3, 0]) == {1: "0"}
    assert huffman_code({"a": 5, "b": 2, "c": 1, "d": 1}) == {"a": "0", "b": "10", "c": "110", "d": "111"}
    # four equal weights: every symbol gets 2 bits, in symbol order
    assert huffman_code([1, 1, 1, 1]) == {0: "00", 1: "01", 2: "10", 3: "11"}
    # mapping and sequence inputs agree; the result does not depend on insertion order
    assert huffman_code({2: 1, 0: 1, 1: 2}) == huffman_code([1, 2, 1])
    assert huffman_code_lengths([1, 1, 2, 4]) == {0: 3, 1: 3, 2: 2, 3: 1}


@given(st.binary(min_size=1, max_size=400))
def test_encode_decode_round_trip(data):
    code = huffman_code(Counter(data))
    packed = huffman_encode(data, code)
    n_bits = sum(len(code[b]) for b in data)
    assert len(packed) == math.ceil(n_bits / 8)
    assert bytes(huffman_decode(packed, code, len(data))) == data


def test_decode_refuses_bad_input():
    code = huffman_code({"a": 3, "b": 1, "c": 1})
    packed = huffman_encode("abcabcc", code)  # 12 bits in 2 bytes
    assert len(packed) == 2 and huffman_decode(packed, code, 7) == list("abcabcc")
    with pytest.raises(ValueError, match="truncated"):
        huffman_decode(packed[:1], code, 7)
    with pytest.raises(ValueError, match="past the last symbol"):
        huffman_decode(packed + b"\x00", code, 7)
    with pytest.raises(ValueError, match="past the last symbol"):
        huffman_decode(packed, code, 5)
    with pytest.raises(ValueError, match="no codeword"):
        huffman_encode("abz", code)
    with pytest.raises(ValueError, match="prefix"):
        huffman_decode(packed, {"a": "0", "b": "01"}, 1)


def test_bad_frequencies_say_what_to_fix():
    with pytest.raises(ValueError, match="at least one symbol"):
        huffman_code([0, 0])
    with pytest.raises(ValueError, match=">= 0"):
        huffman_code([1, -2])
    with pytest.raises(TypeError, match="Counter"):
        huffman_code(b"abc")
    with pytest.raises(ValueError, match="no codeword"):
        expected_length_bits([1, 1, 1], {0: "0", 1: "1"})
