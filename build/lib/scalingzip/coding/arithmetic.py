"""Arithmetic coding with integers: a carry-propagating range coder.

An arithmetic coder keeps an interval [low, low + range) of the number line and narrows it, for
each symbol, to the sub-interval whose width is proportional to the symbol's probability. After
n symbols the interval has width P(x_1..x_n), so about -log2 P(x_1..x_n) bits name a number
inside it: the code length is within a couple of bits of the ideal of the whole message.
Finite-precision integers make this exact and streamable: the top byte of ``low`` is written out
once ``range`` has become small, and a carry out of ``low`` is added into the bytes already
written (Martin 1979; Schindler 1998), which replaces the "bits to follow" bookkeeping of the
bit-wise coder of Witten, Neal & Cleary.

Precision, stated once (see the constants below):

* state: ``low`` and ``range`` are 56-bit integers (``STATE_BITS``); ``range`` is kept at or
  above 2**48 by shifting out one byte at a time;
* frequency totals: any integer from 1 to 2**24 (``MAX_TOTAL_BITS``); :func:`quantize_probabilities`
  makes totals of exactly 2**16 by default;
* rounding loss: ``range // total`` truncates, which loses less than ``total / 2**48`` of the
  interval per symbol, i.e. below 2**-24 relative (under 1e-7 bits) at ``total <= 2**24``;
* termination: :meth:`ArithmeticEncoder.finish` writes one byte, so a message of ideal length
  L bits takes at most ``ceil(L / 8) + 2`` bytes.

CPython keeps integers below 2**60 in two 30-bit digits, so a 56-bit state runs as fast as a
32-bit one; the wider state only makes the rounding loss negligible.

References:
    I. H. Witten, R. M. Neal and J. G. Cleary (1987), "Arithmetic coding for data
    compression", Communications of the ACM 30(6).
    A. Moffat, R. M. Neal and I. H. Witten (1998), "Arithmetic coding revisited", ACM
    Transactions on Information Systems 16(3).
    G. N. N. Martin (1979), "Range encoding: an algorithm for removing redundancy from a
    digitised message", Video & Data Recording Conference.
    M. Schindler (1998), "A fast renormalisation for arithmetic coding", Data Compression
    Conference.
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "MAX_TOTAL_BITS",
    "STATE_BITS",
    "ArithmeticDecoder",
    "ArithmeticEncoder",
    "code_length_bits",
    "quantize_probabilities",
]

STATE_BITS = 56  # width of low and range, in bits
MAX_TOTAL_BITS = 24  # frequency totals may go up to 2**MAX_TOTAL_BITS
_TOP = 1 << STATE_BITS  # low < _TOP and range <= _TOP between symbols
_SHIFT = STATE_BITS - 8  # low >> _SHIFT is the byte that leaves the window next
_BOT = 1 << _SHIFT  # range >= _BOT between symbols
_LOW_MASK = _BOT - 1
_MAX_TOTAL = 1 << MAX_TOTAL_BITS
_LUT_MAX_TOTAL = 1 << 16  # decode with a lookup table up to this total, else by bisection
_N_INIT = STATE_BITS // 8  # bytes the decoder reads to fill its window
_PAD = _N_INIT - 1  # zero bytes a well-formed stream is read past its end


def quantize_probabilities(p: Sequence[float] | np.ndarray, total_bits: int = 16) -> np.ndarray:
    """Turn probabilities into integer frequencies that sum to exactly ``2**total_bits``.

    Every symbol gets frequency >= 1, so every symbol stays codable, even one whose probability
    is 0 or 1e-12. The rule is deterministic (pure integer work after one float multiply per
    symbol), so an encoder and a decoder that call it on the same ``p`` get the same table.

    The rule: ``f = max(1, floor(p * 2**total_bits))``; if that sums below the total, the
    missing units go one each to the symbols with the largest fractional parts (ties to the
    lower index); if the floor of 1 pushed the sum above the total, the excess is taken from
    the symbols above 1 in proportion to how far above 1 they are, the last few units from
    the largest frequencies (ties to the lower index). No frequency drops below 1.

    Args:
        p: shape (n,), finite, non-negative, positive sum; it is divided by its sum, so
            counts work as well as probabilities. Needs ``n <= 2**total_bits``.
        total_bits: the frequencies sum to ``2**total_bits``; 1 to ``MAX_TOTAL_BITS`` (24).

    Returns:
        ``int64`` array of shape (n,), every entry >= 1, summing to ``2**total_bits``.
    """
    if isinstance(total_bits, bool) or not isinstance(total_bits, (int, np.integer)):
        raise TypeError(f"total_bits must be an int, got {type(total_bits).__name__}")
    if not 1 <= total_bits <= MAX_TOTAL_BITS:
        raise ValueError(f"total_bits must be between 1 and {MAX_TOTAL_BITS}, got {total_bits}")
    try:
        w = np.array(p, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"p must be a 1-D sequence of numbers, got {type(p).__name__}") from err
    if w.ndim != 1 or w.size == 0:
        raise ValueError(f"p must be a non-empty 1-D array of probabilities, got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("p must be finite and non-negative; clip or fix NaN/inf/negative entries")
    mass = float(w.sum())
    if mass <= 0:
        raise ValueError("p sums to 0; give at least one symbol a positive probability")
    total = 1 << int(total_bits)
    n = w.size
    if n > total:
        raise ValueError(
            f"{n} symbols cannot each get frequency >= 1 out of 2**{total_bits}; raise total_bits"
        )
    scaled = (w / mass) * total
    floor = np.floor(scaled)
    f = np.maximum(floor.astype(np.int64), 1)
    excess = int(f.sum()) - total
    if excess < 0:
        order = np.argsort(-(scaled - floor), kind="stable")
        while excess < 0:  # each pass adds at most one unit per symbol
            k = min(-excess, n)
            f[order[:k]] += 1
            excess += k
    elif excess > 0:
        # spare.sum() = total + excess - n >= excess because n <= total, so every cut below is
        # at most spare - 1 where spare >= 1: the symbols cut keep frequency >= 2.
        spare = f - 1
        cut = (spare * excess) // int(spare.sum())
        f -= cut
        excess -= int(cut.sum())
        # fewer than (number of symbols with spare >= 1) units remain, and those all have f >= 2
        order = np.argsort(-f, kind="stable")
        f[order[:excess]] -= 1
    assert int(f.sum()) == total and int(f.min()) >= 1
    return f


def code_length_bits(symbols: Iterable[int] | np.ndarray, freqs: Sequence[int] | np.ndarray) -> float:
    """Ideal code length, in bits, of ``symbols`` under a static frequency table.

    ``sum_i -log2(freqs[s_i] / sum(freqs))``: what a perfect arithmetic coder would spend. The
    range coder's output is within a few bytes of it (see the module docstring).
    """
    table = np.array(_check_freqs(freqs), dtype=np.float64)
    checked = _check_symbols(symbols, table.size)
    if isinstance(checked, bytes):  # np.array(bytes) would parse the bytes as a number
        syms = np.frombuffer(checked, dtype=np.uint8).astype(np.int64)
    else:
        syms = np.array(checked, dtype=np.int64)
    if syms.size == 0:
        return 0.0
    f = table[syms]
    if np.any(f == 0):
        bad = int(syms[np.argmax(f == 0)])
        raise ValueError(f"symbol {bad} has frequency 0, so it has no code; give it frequency >= 1")
    return float(-np.log2(f / table.sum()).sum())


class ArithmeticEncoder:
    """Range encoder: feed it intervals or symbols, then call :meth:`finish` once.

    Example:
        >>> enc = ArithmeticEncoder()
        >>> enc.encode_symbols(b"abracadabra", quantize_probabilities(np.ones(256)))
        >>> data = enc.finish()
        >>> bytes(ArithmeticDecoder(data).decode_symbols(11, quantize_probabilities(np.ones(256))))
        b'abracadabra'
    """

    def __init__(self) -> None:
        # Invariants between calls (with V = the bytes written so far read as a base-256 integer):
        #   0 <= low < _TOP and _BOT <= range <= _TOP;
        #   V * _TOP + low + range <= 256 ** len(out) * _TOP, i.e. the interval lies in [0, 1),
        #   so a carry out of low always finds a byte below 0xFF to land in.
        self._low = 0
        self._range = _TOP
        self._out = bytearray()
        self._finished = False

    def _check_open(self) -> None:
        if self._finished:
            raise ValueError("this encoder is finished; start a new ArithmeticEncoder for a new message")

    def encode_interval(self, low: int, freq: int, total: int) -> None:
        """Narrow the interval to the symbol that owns [low, low + freq) out of ``total``.

        This is the step every model drives: the symbol's probability is ``freq / total``.

        Args:
            low: cumulative frequency of the symbols before it.
            freq: its frequency, >= 1.
            total: sum of all frequencies, at most ``2**MAX_TOTAL_BITS``.
        """
        self._check_open()
        low, freq, total = _ints(low, freq, total)
        if not 0 <= low < low + freq <= total <= _MAX_TOTAL:
            raise ValueError(
                f"need 0 <= low < low + freq <= total <= 2**{MAX_TOTAL_BITS}, got "
                f"low={low}, freq={freq}, total={total}"
            )
        r = self._range // total
        x = self._low + r * low
        rng = r * freq
        if x >= _TOP:  # carry into the bytes already written
            _propagate_carry(self._out)
            x -= _TOP
        # Keep range >= _BOT: the top byte of low can no longer change except by a carry.
        while rng < _BOT:
            self._out.append(x >> _SHIFT)
            x = (x & _LOW_MASK) << 8
            rng <<= 8
        self._low = x
        self._range = rng

    def encode(self, symbol: int, freqs: Sequence[int]) -> None:
        """Encode one symbol whose probability is ``freqs[symbol] / sum(freqs)``.

        The readable per-symbol form; :meth:`encode_symbols` does the same for a whole
        sequence, much faster.
        """
        table = _check_freqs(freqs)
        _check_symbol(symbol, table)
        self.encode_interval(sum(table[:symbol]), table[symbol], sum(table))

    def encode_symbols(self, symbols: Iterable[int] | np.ndarray | bytes, freqs: Sequence[int] | np.ndarray) -> None:
        """Encode a sequence of symbols, all with the same static frequency table.

        Args:
            symbols: integers in ``[0, len(freqs))``, each with a positive frequency (``bytes``
                work as symbols 0..255).
            freqs: non-negative integer frequencies summing to 1..2**24.
        """
        self._check_open()
        table = _check_freqs(freqs)
        syms = _check_symbols(symbols, len(table))
        _check_coded_freqs(syms, table)
        total = sum(table)
        cum = list(itertools.accumulate(table, initial=0))
        freq = table
        low, rng, out = self._low, self._range, self._out
        append = out.append
        top, bot, shift, mask = _TOP, _BOT, _SHIFT, _LOW_MASK
        if total & (total - 1) == 0:  # power of two: divide by shifting
            tb = total.bit_length() - 1
            for s in syms:
                r = rng >> tb
                low += r * cum[s]
                rng = r * freq[s]
                if low >= top:
                    _propagate_carry(out)
                    low -= top
                while rng < bot:
                    append(low >> shift)
                    low = (low & mask) << 8
                    rng <<= 8
        else:
            for s in syms:
                r = rng // total
                low += r * cum[s]
                rng = r * freq[s]
                if low >= top:
                    _propagate_carry(out)
                    low -= top
                while rng < bot:
                    append(low >> shift)
                    low = (low & mask) << 8
                    rng <<= 8
        self._low, self._range = low, rng

    def finish(self) -> bytes:
        """Write the final byte and return the whole stream; the encoder is closed afterwards.

        The final byte names the smallest multiple of 2**48 that is >= low; it lies inside the
        interval because range >= 2**48. The decoder pads the stream with zero bytes.
        """
        self._check_open()
        v = (self._low + _BOT - 1) >> _SHIFT  # 0..256; 256 means a carry
        if v > 0xFF:
            _propagate_carry(self._out)
            v -= 256
        self._out.append(v)
        self._finished = True
        return bytes(self._out)


class ArithmeticDecoder:
    """Range decoder: the mirror image of :class:`ArithmeticEncoder`.

    It must be driven by the same frequencies, in the same order, as the encoder was. After
    the last symbol, :meth:`finish` checks that the stream was read exactly to its end, so a
    truncated, extended or altered stream is reported rather than silently accepted.
    """

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"data must be bytes from ArithmeticEncoder.finish(), got {type(data).__name__}")
        if len(data) == 0:
            raise ValueError("an arithmetic-coded stream has at least one byte; this one is empty")
        # Invariants between calls: 0 <= code < range and _BOT <= range <= _TOP, where
        # code = (the stream's value in the window) - low of the encoder at the same point.
        self._buf = bytes(data) + bytes(_PAD)
        self._code = int.from_bytes(self._buf[:_N_INIT], "big")
        self._pos = _N_INIT
        self._range = _TOP
        self._r = 0  # range // total from the last decode_target, 0 when none is pending
        self._total = 0
        self._finished = False

    def _check_open(self) -> None:
        if self._finished:
            raise ValueError("this decoder is finished; start a new ArithmeticDecoder for a new stream")

    def decode_target(self, total: int) -> int:
        """Return the value in ``[0, total)`` that the next symbol's interval must contain.

        The model finds the symbol whose ``[low, low + freq)`` holds it, then calls
        :meth:`consume` with that interval.
        """
        self._check_open()
        (total,) = _ints(total)
        if not 1 <= total <= _MAX_TOTAL:
            raise ValueError(f"total must be between 1 and 2**{MAX_TOTAL_BITS}, got {total}")
        r = self._range // total
        v = self._code // r
        if v >= total:
            raise ValueError("corrupt stream: it points outside every symbol's interval")
        self._r, self._total = r, total
        return v

    def consume(self, low: int, freq: int) -> None:
        """Remove the symbol owning [low, low + freq) (out of the last ``total``) from the stream."""
        self._check_open()
        r = self._r
        if r == 0:
            raise ValueError("call decode_target(total) before each consume(low, freq)")
        low, freq = _ints(low, freq)
        if not 0 <= low < low + freq <= self._total:
            raise ValueError(f"need 0 <= low < low + freq <= total={self._total}, got low={low}, freq={freq}")
        code = self._code - r * low
        rng = r * freq
        if not 0 <= code < rng:
            raise ValueError("the interval [low, low + freq) does not contain the decoded target")
        self._r = 0
        try:
            while rng < _BOT:
                code = (code << 8) | self._buf[self._pos]
                self._pos += 1
                rng <<= 8
        except IndexError:
            raise ValueError("stream is truncated or corrupt: it ran out of bytes") from None
        self._code, self._range = code, rng

    def decode(self, freqs: Sequence[int]) -> int:
        """Decode one symbol coded with :meth:`ArithmeticEncoder.encode` and the same ``freqs``."""
        table = _check_freqs(freqs)
        cum = list(itertools.accumulate(table))
        target = self.decode_target(cum[-1])
        s = bisect.bisect_right(cum, target)  # first symbol whose cumulative end exceeds target
        self.consume(cum[s] - table[s], table[s])
        return s

    def decode_symbols(self, n: int, freqs: Sequence[int] | np.ndarray) -> list[int]:
        """Decode ``n`` symbols coded by :meth:`ArithmeticEncoder.encode_symbols` with ``freqs``."""
        self._check_open()
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be a non-negative int (how many symbols to decode), got {n!r}")
        table = _check_freqs(freqs)
        total = sum(table)
        cum = list(itertools.accumulate(table, initial=0))
        freq = table
        if total <= _LUT_MAX_TOTAL:
            lut = np.repeat(np.arange(len(table)), table).tolist()  # value -> symbol
        else:
            ends = cum[1:]
            lut = _BisectTable(ends)
        code, rng, buf, pos = self._code, self._range, self._buf, self._pos
        bot = _BOT
        out: list[int] = []
        append = out.append
        pow2 = total & (total - 1) == 0
        tb = total.bit_length() - 1
        try:
            for _ in range(int(n)):
                r = rng >> tb if pow2 else rng // total
                s = lut[code // r]  # IndexError when the value lies past every interval
                append(s)
                code -= r * cum[s]
                rng = r * freq[s]
                while rng < bot:
                    code = (code << 8) | buf[pos]
                    pos += 1
                    rng <<= 8
        except IndexError:
            raise ValueError("stream is truncated or corrupt: it does not decode to the stated symbols") from None
        finally:
            self._code, self._range, self._pos = code, rng, pos
        return out

    def finish(self) -> None:
        """Check that the stream ended exactly where the encoder ended it; close the decoder.

        Raises:
            ValueError: if bytes are left over, or the last byte is not the one
                :meth:`ArithmeticEncoder.finish` writes (the stream was altered).
        """
        self._check_open()
        self._finished = True
        if self._pos != len(self._buf):
            left = len(self._buf) - self._pos
            raise ValueError(f"stream has {left} byte(s) after the last symbol; it is corrupt or has trailing data")
        if self._code >= _BOT:
            raise ValueError("stream does not end the way ArithmeticEncoder.finish() ends it; it is corrupt")


class _BisectTable:
    """Maps a value to the symbol whose interval holds it, by bisection (for big totals)."""

    def __init__(self, ends: list[int]) -> None:
        self._ends = ends

    def __getitem__(self, v: int) -> int:
        s = bisect.bisect_right(self._ends, v)
        if s >= len(self._ends):
            raise IndexError(v)
        return s


def _ints(*values: int) -> tuple[int, ...]:
    """Python ints from ints or NumPy integers; floats are refused, never truncated."""
    try:
        return tuple(map(operator.index, values))
    except TypeError:
        raise TypeError(f"interval bounds must be integers, got {values!r}") from None


def _propagate_carry(out: bytearray) -> None:
    # By the encoder's invariant the bytes written are not all 0xFF, so this stops in range.
    i = len(out) - 1
    while out[i] == 0xFF:
        out[i] = 0
        i -= 1
    out[i] += 1


def _check_freqs(freqs: Sequence[int] | np.ndarray) -> list[int]:
    """Validate a frequency table and return it as a list of Python ints."""
    if isinstance(freqs, np.ndarray):
        if freqs.ndim != 1 or not np.issubdtype(freqs.dtype, np.integer):
            raise ValueError(
                f"freqs must be a 1-D integer array, got dtype {freqs.dtype} shape {freqs.shape}; "
                "use quantize_probabilities(p) to turn probabilities into frequencies"
            )
        table = freqs.tolist()
    else:
        try:
            table = list(freqs)
        except TypeError:
            raise TypeError(f"freqs must be a sequence of ints, got {type(freqs).__name__}") from None
        for f in table:
            if isinstance(f, bool) or not isinstance(f, (int, np.integer)):
                raise ValueError(
                    f"freqs must hold integers, found {f!r}; "
                    "use quantize_probabilities(p) to turn probabilities into frequencies"
                )
        table = [int(f) for f in table]
    if not table:
        raise ValueError("freqs is empty; give one frequency per symbol")
    if min(table) < 0:
        raise ValueError(f"freqs must be >= 0, found {min(table)}")
    total = sum(table)
    if not 1 <= total <= _MAX_TOTAL:
        raise ValueError(
            f"freqs must sum to between 1 and 2**{MAX_TOTAL_BITS}, got {total}; "
            "rescale them, e.g. with quantize_probabilities"
        )
    return table


def _check_symbol(symbol: int, table: list[int]) -> None:
    if isinstance(symbol, bool) or not isinstance(symbol, (int, np.integer)):
        raise TypeError(f"symbol must be an int, got {type(symbol).__name__}")
    if not 0 <= symbol < len(table):
        raise ValueError(f"symbol {symbol} is outside the alphabet 0..{len(table) - 1}")
    if table[symbol] == 0:
        raise ValueError(f"symbol {symbol} has frequency 0, so it has no code; give it frequency >= 1")


def _check_symbols(symbols: Iterable[int] | np.ndarray | bytes, n: int) -> list[int] | bytes:
    """Return the symbols as ``bytes`` or a list of ints, all in [0, n)."""
    if isinstance(symbols, (bytes, bytearray, memoryview)):
        data = bytes(symbols)
        if data and n < 256 and max(data) >= n:
            raise ValueError(f"byte value {max(data)} is outside the alphabet 0..{n - 1}")
        return data
    if isinstance(symbols, str):
        raise TypeError("symbols must be integers or bytes, not str; encode text first (s.encode())")
    arr = np.asarray(symbols)
    if arr.size == 0:
        return []
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"symbols must be a 1-D sequence of ints, got dtype {arr.dtype} shape {arr.shape}")
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= n:
        bad = lo if lo < 0 else hi
        raise ValueError(f"symbol {bad} is outside the alphabet 0..{n - 1}")
    return arr.tolist()


def _check_coded_freqs(syms: list[int] | bytes, table: list[int]) -> None:
    if min(table) > 0 or len(syms) == 0:
        return
    used = np.bincount(np.frombuffer(syms, dtype=np.uint8) if isinstance(syms, bytes) else np.asarray(syms), minlength=len(table))
    zero = np.flatnonzero((used > 0) & (np.asarray(table) == 0))
    if zero.size:
        raise ValueError(f"symbol {int(zero[0])} has frequency 0, so it has no code; give it frequency >= 1")
