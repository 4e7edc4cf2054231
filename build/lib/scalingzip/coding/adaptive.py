"""Probability models that drive the arithmetic coder: static, adaptive order-0, and PPM.

A model turns "what came before" into integer frequencies for the next symbol. The coder only
ever sees (low, freq, total) triples, so every model here speaks to it through the same two
methods::

    model.encode(symbol, encoder)   # calls encoder.encode_interval(low, freq, total) >= 1 times
    model.decode(decoder) -> symbol  # calls decoder.decode_target(total) / decoder.consume(...)

and then updates itself in the same way on both sides, which is what makes decoding exact: the
decoder's model is always in the state the encoder's model was in at the same symbol. Models
hold state, so use a fresh one per message.

* :class:`StaticModel`: one fixed table (e.g. from :func:`quantize_probabilities`).
* :class:`AdaptiveModel`: order-0 counts that start at 1 and grow as symbols are seen,
  halved when their total passes a cap (Witten, Neal & Cleary 1987).
* :class:`PPMModel`: prediction by partial matching over the last ``order`` bytes, with PPMD
  escapes, full exclusion and update exclusion (Cleary & Witten 1984; Moffat 1990; Howard 1993).

References:
    J. G. Cleary and I. H. Witten (1984), "Data compression using adaptive coding and partial
    string matching", IEEE Transactions on Communications 32(4).
    A. Moffat (1990), "Implementing the PPM data compression scheme", IEEE Transactions on
    Communications 38(11) (PPMC, exclusion, update exclusion).
    P. G. Howard (1993), "The design and analysis of efficient lossless data compression
    systems", PhD thesis, Brown University (the PPMD escape estimate).
    P. G. Howard and J. S. Vitter (1992), "Analysis of arithmetic coding for data compression",
    Information Processing & Management 28(6).
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Iterable, Sequence

import numpy as np

from .arithmetic import (
    ArithmeticDecoder,
    ArithmeticEncoder,
    _check_freqs,
    _check_symbols,
    quantize_probabilities,
)

__all__ = [
    "AdaptiveModel",
    "CodeLengthMeter",
    "Model",
    "PPMModel",
    "StaticModel",
    "adaptive_code_length_bits",
    "decode_with_model",
    "encode_with_model",
]


class Model:
    """What every model provides; subclasses implement :meth:`encode` and :meth:`decode`."""

    n_symbols: int  # size of the alphabet: symbols are 0 .. n_symbols - 1

    def encode(self, symbol: int, encoder: ArithmeticEncoder) -> None:
        """Code one symbol (one or more intervals) and update the model."""
        raise NotImplementedError

    def decode(self, decoder: ArithmeticDecoder) -> int:
        """Decode one symbol and update the model exactly as :meth:`encode` did."""
        raise NotImplementedError

    def encode_all(self, symbols: Iterable[int], encoder: ArithmeticEncoder) -> None:
        """Encode a sequence (subclasses may do it faster)."""
        encode = self.encode
        for s in symbols:
            encode(s, encoder)

    def decode_all(self, n: int, decoder: ArithmeticDecoder) -> list[int]:
        """Decode ``n`` symbols (subclasses may do it faster)."""
        decode = self.decode
        return [decode(decoder) for _ in range(n)]


class CodeLengthMeter:
    """Stands in for an encoder and adds up ``-log2(freq / total)`` instead of writing bits.

    Passing it to ``model.encode`` measures the ideal code length of what the model would
    code, without producing a stream; tests tie it to the real coder's output length.
    """

    def __init__(self) -> None:
        self.bits = 0.0  # ideal code length so far, in bits

    def encode_interval(self, low: int, freq: int, total: int) -> None:
        """Add the cost of the interval [low, low + freq) out of ``total``: log2(total / freq) bits."""
        if not 0 <= low < low + freq <= total:
            raise ValueError(f"need 0 <= low < low + freq <= total, got low={low}, freq={freq}, total={total}")
        self.bits += math.log2(total / freq)


def encode_with_model(symbols: Iterable[int] | bytes, model: Model) -> bytes:
    """Arithmetic-code ``symbols`` with ``model`` (which is updated as it goes); return the stream."""
    encoder = ArithmeticEncoder()
    model.encode_all(_check_symbols(symbols, model.n_symbols), encoder)
    return encoder.finish()


def decode_with_model(data: bytes, n: int, model: Model) -> list[int]:
    """Decode ``n`` symbols from ``data`` with a fresh copy of the model the encoder used.

    Raises:
        ValueError: if the stream is corrupt, truncated or has trailing bytes.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative int (how many symbols to decode), got {n!r}")
    decoder = ArithmeticDecoder(data)
    out = model.decode_all(int(n), decoder)
    decoder.finish()
    return out


def adaptive_code_length_bits(symbols: Iterable[int] | bytes, model: Model) -> float:
    """Ideal code length, in bits, that ``model`` (updated as it goes) assigns to ``symbols``: the
    length of the data *under* an adaptive model (the length *of* a network's weights is
    :func:`scalingzip.compressors.weights.weights_code_length_bits`)."""
    meter = CodeLengthMeter()
    model.encode_all(_check_symbols(symbols, model.n_symbols), meter)  # type: ignore[arg-type]
    return meter.bits


class StaticModel(Model):
    """A fixed frequency table: symbol s has probability ``freqs[s] / sum(freqs)``.

    Args:
        freqs: non-negative integers summing to 1..2**24; use :meth:`from_probabilities` for a
            probability vector.
    """

    def __init__(self, freqs: Sequence[int] | np.ndarray) -> None:
        self.freqs = _check_freqs(freqs)
        self.n_symbols = len(self.freqs)
        self.total = sum(self.freqs)
        self._cum = list(itertools.accumulate(self.freqs, initial=0))

    @classmethod
    def from_probabilities(cls, p: Sequence[float] | np.ndarray, total_bits: int = 16) -> StaticModel:
        """Build the model from probabilities via :func:`quantize_probabilities`."""
        return cls(quantize_probabilities(p, total_bits))

    def encode(self, symbol: int, encoder: ArithmeticEncoder) -> None:
        _check_symbol_range(symbol, self.n_symbols)
        if self.freqs[symbol] == 0:
            raise ValueError(f"symbol {symbol} has frequency 0, so it has no code; give it frequency >= 1")
        encoder.encode_interval(self._cum[symbol], self.freqs[symbol], self.total)

    def decode(self, decoder: ArithmeticDecoder) -> int:
        target = decoder.decode_target(self.total)
        s = bisect.bisect_right(self._cum, target) - 1
        decoder.consume(self._cum[s], self.freqs[s])
        return s

    def encode_all(self, symbols: Iterable[int], encoder: ArithmeticEncoder) -> None:
        if isinstance(encoder, ArithmeticEncoder):
            encoder.encode_symbols(symbols, self.freqs)
        else:
            super().encode_all(symbols, encoder)

    def decode_all(self, n: int, decoder: ArithmeticDecoder) -> list[int]:
        return decoder.decode_symbols(n, self.freqs)


class AdaptiveModel(Model):
    """Adaptive order-0 model: frequencies are counts of the symbols seen so far.

    Every count starts at 1 (so every symbol is codable), grows by ``increment`` each time its
    symbol is coded, and all counts are halved (rounding up, so they stay >= 1) whenever their
    total would exceed ``max_total``; halving also lets the model follow drifting statistics.

    Cumulative counts are found in two steps: the symbols are split into blocks of about
    sqrt(n_symbols), and the model keeps each block's sum next to the counts, so a lookup
    scans at most one row of block sums and one block (32 steps for bytes, not 256).

    Args:
        n_symbols: alphabet size (256 for bytes).
        increment: added to a symbol's count after it is coded (>= 1).
        max_total: cap on the sum of counts, between 2 * n_symbols + increment and 2**24.
    """

    def __init__(self, n_symbols: int = 256, *, increment: int = 32, max_total: int = 1 << 16) -> None:
        _check_int("n_symbols", n_symbols, 1, 1 << 16)
        _check_int("increment", increment, 1, 1 << 16)
        _check_int("max_total", max_total, 2 * n_symbols + increment, 1 << 24)
        self.n_symbols, self.increment, self.max_total = n_symbols, increment, max_total
        self._width = max(1, math.isqrt(n_symbols))  # symbols per block
        # Invariants: _block_sums[b] == sum(_counts[b * _width : (b + 1) * _width]) and
        # _total == sum(_counts) <= max_total, with every count >= 1.
        self._counts = [1] * n_symbols
        self._block_sums = self._sum_blocks()
        self._total = n_symbols

    def _sum_blocks(self) -> list[int]:
        w, counts = self._width, self._counts
        return [sum(counts[i : i + w]) for i in range(0, self.n_symbols, w)]

    def _update(self, symbol: int) -> None:
        inc = self.increment
        self._counts[symbol] += inc
        self._block_sums[symbol // self._width] += inc
        self._total += inc
        if self._total > self.max_total:
            self._counts = [(c + 1) >> 1 for c in self._counts]
            self._block_sums = self._sum_blocks()
            self._total = sum(self._block_sums)

    def encode(self, symbol: int, encoder: ArithmeticEncoder) -> None:
        _check_symbol_range(symbol, self.n_symbols)
        block = symbol // self._width
        low = sum(self._block_sums[:block]) + sum(self._counts[block * self._width : symbol])
        encoder.encode_interval(low, self._counts[symbol], self._total)
        self._update(symbol)

    def decode(self, decoder: ArithmeticDecoder) -> int:
        target = decoder.decode_target(self._total)
        rest, block = target, 0
        for b_sum in self._block_sums:  # which block holds the target ...
            if rest < b_sum:
                break
            rest -= b_sum
            block += 1
        s = block * self._width
        for c in self._counts[s : s + self._width]:  # ... and which symbol inside it
            if rest < c:
                break
            rest -= c
            s += 1
        decoder.consume(target - rest, self._counts[s])
        self._update(s)
        return s


class PPMModel(Model):
    """Prediction by partial matching (PPM) over bytes, PPMD variant.

    To code a byte, the model looks at the contexts of length ``order``, ``order - 1``, ..., 0
    that precede it (the text before the start counts as zero bytes). In the longest context
    that has been seen before, each byte seen after it gets frequency ``2c - 1`` (c = its count)
    and an escape gets frequency d (the number of distinct bytes seen), the PPMD estimate. If
    the byte is there it is coded; otherwise the escape is coded and the model drops to the
    next shorter context, excluding the bytes already ruled out (full exclusion). Below order
    0, a uniform distribution over the bytes not yet excluded codes any byte. Afterwards, only
    the contexts that were visited learn the byte (update exclusion).

    Args:
        order: the longest context, in bytes (0..8).
        max_total: when the frequencies in a context add up to more than this, they are halved
            (between 2**8 and 2**24).
    """

    n_symbols = 256

    def __init__(self, order: int = 5, *, max_total: int = 1 << 12) -> None:
        _check_int("order", order, 0, 8)
        _check_int("max_total", max_total, 1 << 8, 1 << 24)
        self.order, self.max_total = order, max_total
        # _tables[j] maps the last j bytes (an int, most recent byte lowest) to a node
        # [sum of frequencies, {byte: frequency}]; frequencies are 2c - 1, so they grow by 2.
        self._tables: list[dict[int, list]] = [{} for _ in range(order + 1)]
        self._masks = [(1 << (8 * j)) - 1 for j in range(order + 1)]
        self._history = 0  # the last `order` bytes, most recent lowest

    def encode(self, symbol: int, encoder: ArithmeticEncoder) -> None:
        _check_symbol_range(symbol, 256)
        self._encode_sequence((int(symbol),), encoder)

    def decode(self, decoder: ArithmeticDecoder) -> int:
        return self.decode_all(1, decoder)[0]

    def encode_all(self, symbols: Iterable[int], encoder: ArithmeticEncoder) -> None:
        self._encode_sequence(_check_symbols(symbols, 256), encoder)

    def _encode_sequence(self, symbols: Iterable[int], encoder: ArithmeticEncoder) -> None:
        tables, masks, order = self._tables, self._masks, self.order
        orders = range(order, -1, -1)
        code = encoder.encode_interval
        update = self._update
        hist = self._history
        for sym in symbols:
            excluded = None
            found = -1
            for j in orders:
                node = tables[j].get(hist & masks[j])
                if node is None:
                    continue
                counts = node[1]
                if excluded is None:
                    f = counts.get(sym)
                    sum_f = node[0]
                    if f is not None:
                        low = 0
                        for s, c in counts.items():
                            if s == sym:
                                break
                            low += c
                        code(low, f, sum_f + len(counts))
                        found = j
                        break
                    code(sum_f, len(counts), sum_f + len(counts))
                    excluded = set(counts)
                else:
                    low = total = d = 0
                    f = None
                    for s, c in counts.items():
                        if s in excluded:
                            continue
                        if s == sym:
                            low, f = total, c
                        total += c
                        d += 1
                    if d == 0:  # everything here was ruled out already: nothing to code
                        continue
                    if f is not None:
                        code(low, f, total + d)
                        found = j
                        break
                    code(total, d, total + d)
                    excluded.update(counts)
            else:
                n_excl = len(excluded) if excluded else 0
                below = sum(1 for e in excluded if e < sym) if excluded else 0
                code(sym - below, 1, 256 - n_excl)
            update(hist, sym, found)
            hist = ((hist << 8) | sym) & masks[order]
        self._history = hist

    def decode_all(self, n: int, decoder: ArithmeticDecoder) -> list[int]:
        tables, masks, order = self._tables, self._masks, self.order
        orders = range(order, -1, -1)
        target, consume = decoder.decode_target, decoder.consume
        update = self._update
        hist = self._history
        out: list[int] = []
        for _ in range(n):
            excluded = None
            found = -1
            sym = -1
            for j in orders:
                node = tables[j].get(hist & masks[j])
                if node is None:
                    continue
                counts = node[1]
                if excluded is None:
                    sum_f = node[0]
                    d = len(counts)
                    t = target(sum_f + d)
                    if t >= sum_f:
                        consume(sum_f, d)
                        excluded = set(counts)
                        continue
                    low = 0
                    for s, c in counts.items():
                        if t < low + c:
                            break
                        low += c
                    consume(low, c)
                    sym, found = s, j
                    break
                live = [(s, c) for s, c in counts.items() if s not in excluded]
                if not live:
                    continue
                total = sum(c for _, c in live)
                t = target(total + len(live))
                if t >= total:
                    consume(total, len(live))
                    excluded.update(counts)
                    continue
                low = 0
                for s, c in live:
                    if t < low + c:
                        break
                    low += c
                consume(low, c)
                sym, found = s, j
                break
            else:
                n_excl = len(excluded) if excluded else 0
                t = target(256 - n_excl)
                consume(t, 1)
                rest = [b for b in range(256) if not excluded or b not in excluded]
                sym = rest[t]
            out.append(sym)
            update(hist, sym, found)
            hist = ((hist << 8) | sym) & masks[order]
        self._history = hist
        return out

    def _update(self, hist: int, sym: int, found: int) -> None:
        """Teach ``sym`` to the contexts of orders ``found .. order`` (all of them if found < 0)."""
        tables, masks, max_total = self._tables, self._masks, self.max_total
        for j in range(self.order, max(found, 0) - 1, -1):
            key = hist & masks[j]
            node = tables[j].get(key)
            if node is None:
                tables[j][key] = [1, {sym: 1}]
                continue
            counts = node[1]
            if sym in counts:
                counts[sym] += 2
                node[0] += 2
            else:
                counts[sym] = 1
                node[0] += 1
            if node[0] > max_total:
                for s in counts:
                    counts[s] = (counts[s] + 1) >> 1
                node[0] = sum(counts.values())


def _check_symbol_range(symbol: int, n: int) -> None:
    if isinstance(symbol, bool) or not isinstance(symbol, (int, np.integer)):
        raise TypeError(f"symbol must be an int, got {type(symbol).__name__}")
    if not 0 <= symbol < n:
        raise ValueError(f"symbol {symbol} is outside the alphabet 0..{n - 1}")


def _check_int(name: str, value: int, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {value}")
