"""Huffman codes: the optimal prefix code for known symbol frequencies, in canonical form.

Huffman's algorithm repeatedly merges the two least frequent subtrees; the depth of a symbol in
the final tree is its code length. Among all prefix codes it minimises the expected length, which
lies in [H, H + 1) bits per symbol for entropy H (H exactly when every probability is a power of
1/2). A *canonical* code keeps the lengths but assigns the codewords in order of (length,
symbol), so the lengths alone describe the code (this is how DEFLATE stores its tables).

Codes are returned as strings of "0" and "1" so they can be read in a notebook; the bit
packing into bytes happens in :func:`huffman_encode` / :func:`huffman_decode`.

References:
    D. A. Huffman (1952), "A method for the construction of minimum-redundancy codes",
    Proceedings of the IRE 40(9).
    E. S. Schwartz and B. Kallick (1964), "Generating a canonical prefix encoding",
    Communications of the ACM 7(3).
    T. M. Cover and J. A. Thomas (2006), "Elements of Information Theory", 2nd ed., sec. 5.6-5.8.
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "expected_length_bits",
    "huffman_code",
    "huffman_code_lengths",
    "huffman_decode",
    "huffman_encode",
]


def _as_weights(freqs: Mapping[Hashable, float] | Sequence[float] | np.ndarray) -> dict:
    """Validate frequencies and return {symbol: weight} for the symbols with weight > 0."""
    if isinstance(freqs, Mapping):
        items = list(freqs.items())
    elif isinstance(freqs, (str, bytes)):
        raise TypeError("freqs must be counts (a mapping or a sequence of numbers); for data, count it first "
                        "(collections.Counter(data))")
    else:
        try:
            items = list(enumerate(freqs))
        except TypeError:
            raise TypeError(f"freqs must be a mapping symbol -> count or a sequence of counts, "
                            f"got {type(freqs).__name__}") from None
    weights = {}
    for sym, w in items:
        if isinstance(w, bool) or not isinstance(w, (int, float, np.integer, np.floating)):
            raise TypeError(f"the frequency of symbol {sym!r} must be a number, got {type(w).__name__}")
        if not np.isfinite(w) or w < 0:
            raise ValueError(f"the frequency of symbol {sym!r} is {w!r}; frequencies must be finite and >= 0")
        if w > 0:
            weights[sym] = w
    if not weights:
        raise ValueError("every frequency is 0; a code needs at least one symbol with a positive count")
    return weights


def _sorted_symbols(symbols: Iterable[Hashable]) -> list:
    try:
        return sorted(symbols)
    except TypeError:
        raise TypeError("symbols must be mutually comparable (all ints, or all str, ...) so ties "
                        "can be broken in a fixed order") from None


def huffman_code_lengths(freqs: Mapping[Hashable, float] | Sequence[float] | np.ndarray) -> dict:
    """Code length in bits of each symbol with a positive frequency, from Huffman's algorithm.

    Ties are broken deterministically: leaves enter the heap in sorted symbol order and each
    merged node gets the next serial number, so equal weights pop oldest first.
    A one-symbol alphabet gets length 1 (a code needs at least one bit per symbol).
    """
    weights = _as_weights(freqs)
    symbols = _sorted_symbols(weights)
    if len(symbols) == 1:
        return {symbols[0]: 1}
    # heap entries: (weight, serial); parent[serial] is the serial of the node it merged into
    heap = [(weights[s], i) for i, s in enumerate(symbols)]
    heapq.heapify(heap)
    parent: list[int] = [-1] * (2 * len(symbols) - 1)
    serial = len(symbols)
    while len(heap) > 1:
        w1, a = heapq.heappop(heap)
        w2, b = heapq.heappop(heap)
        parent[a] = parent[b] = serial
        heapq.heappush(heap, (w1 + w2, serial))
        serial += 1
    # depth of node = depth of its parent + 1; parents have larger serials, so go downwards
    depth = [0] * len(parent)
    for node in range(len(parent) - 2, -1, -1):
        depth[node] = depth[parent[node]] + 1
    return {s: depth[i] for i, s in enumerate(symbols)}


def huffman_code(freqs: Mapping[Hashable, float] | Sequence[float] | np.ndarray) -> dict:
    """Canonical Huffman code for the given frequencies.

    Args:
        freqs: a mapping ``symbol -> count`` or a sequence of counts indexed by symbol (0, 1,
            ...). Counts are finite and >= 0 (probabilities work too); symbols with count 0 get
            no codeword.

    Returns:
        ``{symbol: codeword}`` with codewords as strings of "0"/"1": an optimal prefix code,
        assigned canonically (shorter codes first, then symbols in sorted order, each codeword
        the previous one plus 1, shifted left when the length grows). A single symbol gets "0".

    Example:
        >>> huffman_code({"a": 5, "b": 2, "c": 1, "d": 1})
        {'a': '0', 'b': '10', 'c': '110', 'd': '111'}
    """
    lengths = huffman_code_lengths(freqs)
    order = _canonical_order(lengths)
    code: dict = {}
    value, prev_len = 0, lengths[order[0]]
    for i, s in enumerate(order):
        n = lengths[s]
        if i > 0:
            value = (value + 1) << (n - prev_len)
        code[s] = format(value, f"0{n}b")
        prev_len = n
    return code


def _canonical_order(lengths: dict) -> list:
    """Symbols by (code length, symbol): the order in which canonical codewords are handed out."""
    rank = {s: i for i, s in enumerate(_sorted_symbols(lengths))}
    return sorted(lengths, key=lambda s: (lengths[s], rank[s]))


def expected_length_bits(freqs: Mapping[Hashable, float] | Sequence[float] | np.ndarray, code: Mapping[Hashable, str]) -> float:
    """Average codeword length, in bits per symbol, of ``code`` under the given frequencies.

    ``sum_s w_s len(code[s]) / sum_s w_s``; every symbol with positive weight needs a codeword.
    """
    weights = _as_weights(freqs)
    missing = [s for s in weights if s not in code]
    if missing:
        raise ValueError(f"symbol {missing[0]!r} has a positive frequency but no codeword; build the code from these freqs")
    total = float(sum(weights.values()))
    return float(sum(w * len(code[s]) for s, w in weights.items()) / total)


def huffman_encode(symbols: Iterable[Hashable], code: Mapping[Hashable, str]) -> bytes:
    """Concatenate the codewords of ``symbols`` and pack them into bytes, first bit = top bit.

    The last byte is padded with 0 bits; :func:`huffman_decode` needs the symbol count to know
    where the message ends.
    """
    _check_code(code)
    try:
        bits = "".join([code[s] for s in symbols])
    except KeyError as err:
        raise ValueError(f"symbol {err.args[0]!r} has no codeword; build the code from counts that include it") from None
    if not bits:
        return b""
    n_bytes = (len(bits) + 7) // 8
    return (int(bits, 2) << (8 * n_bytes - len(bits))).to_bytes(n_bytes, "big")


def huffman_decode(data: bytes, code: Mapping[Hashable, str], n_symbols: int) -> list:
    """Decode ``n_symbols`` symbols packed by :func:`huffman_encode` with the same ``code``.

    Raises:
        ValueError: if the bits run out early, hold a bit pattern that is no codeword, or
            continue past the last symbol with anything but the zero padding of the last byte.
    """
    _check_code(code)
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"data must be bytes from huffman_encode, got {type(data).__name__}")
    if isinstance(n_symbols, bool) or not isinstance(n_symbols, (int, np.integer)) or n_symbols < 0:
        raise ValueError(f"n_symbols must be a non-negative int, got {n_symbols!r}")
    decode_table = {word: s for s, word in code.items()}
    max_len = max(len(w) for w in decode_table)
    bits = "".join([format(b, "08b") for b in data])
    out: list = []
    pos = 0
    for _ in range(int(n_symbols)):
        end = pos + 1
        while True:
            if end > len(bits):
                raise ValueError(f"data ends after {len(out)} of {n_symbols} symbols; it is truncated")
            s = decode_table.get(bits[pos:end])
            if s is not None or end - pos >= max_len:
                break
            end += 1
        if s is None:
            raise ValueError(f"bits {bits[pos:end]!r} at bit {pos} match no codeword; the data or code is wrong")
        out.append(s)
        pos = end
    rest = bits[pos:]
    if len(rest) >= 8 or "1" in rest:
        raise ValueError("data continues past the last symbol; pass the right n_symbols or strip trailing bytes")
    return out


def _check_code(code: Mapping[Hashable, str]) -> None:
    if not isinstance(code, Mapping) or not code:
        raise TypeError("code must be a non-empty mapping symbol -> codeword, e.g. from huffman_code")
    words = list(code.values())
    for w in words:
        if not isinstance(w, str) or not w or set(w) - {"0", "1"}:
            raise ValueError(f"codeword {w!r} must be a non-empty string of '0' and '1'")
    ordered = sorted(words)  # a codeword that is a prefix of another sorts right before one that extends it
    for a, b in zip(ordered, ordered[1:]):
        if b.startswith(a):
            raise ValueError(f"codeword {a!r} is a prefix of {b!r}; a prefix code is needed to decode")
