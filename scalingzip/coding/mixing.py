"""An online context-mixing model: a byte predictor that learns while it codes.

This is the model behind the default, *prequential* mode of ``python -m scalingzip compress``.
Nothing is trained beforehand and no weights are sent: encoder and decoder start from the same
state and make the same updates after every bit, so the decoder rebuilds every prediction the
encoder used. The code length is therefore the sum of the model's online losses, the area under
its learning curve (Dawid 1984; Blier & Ollivier 2018).

The model works bit by bit (each byte is eight binary decisions, most significant bit first) and
has three layers, in the tradition of PAQ (Mahoney 2005):

1. **Context statistics.** Twelve contexts predict the next bit: the bits of the current byte so
   far, combined with the previous 0, 1, 2, 3, 4, 5, 6 or 8 bytes, the current word, the current
   word and the one before it, the last three words, or the column (bytes since the last newline)
   and the previous byte's class. Each context gives the mixer two inputs:

   * a *direct* estimate, an adaptive counter of ``P(next bit = 1)`` that moves by
     ``1 / (k + 1.5)`` of its error when seen ``k`` times (a frequency count at first, then a
     moving average; the limit on ``k`` is low for long contexts, whose statistics drift);
   * an *indirect* one (Mahoney's indirect context models): the context's last seven bits are
     kept as a bit history, and a table shared by all contexts of the same order learns
     ``P(next bit = 1)`` for each history. A context seen twice with different outcomes is not
     a frequency to be averaged but a pattern ("it alternates") that other contexts have seen too.

   The statistics live in hashed tables in buckets of 16 slots, one bucket per context and half
   byte, so a nibble's four predictions read one cache line. Each bucket holds a check of its
   context's hash; a context whose bucket belongs to another is given the less used of two
   candidate buckets, emptied. A *match model* finds the last occurrence of the preceding five or
   more bytes and predicts the bit that followed it, with a confidence learned per match length.
2. **A neural mixer.** Four single-layer networks (logistic regressions) combine the predictions
   in the logit domain, and their outputs are averaged. Each chooses its weights by a small
   context: the match length and the bit position; the bits of the current byte; the previous
   byte and the bit position; the classes (letter, digit, space, ...) of the previous two bytes
   and the bits of the current one. Each is trained online by gradient descent on the log-loss
   of every bit, right after it is coded.
3. **Secondary estimation.** Three adaptive maps refine the mixed probability given the current
   byte's bits alone, with the previous byte, and with the previous two bytes (hashed); the coded
   probability is a weighted average of the four (secondary estimation, as in PPMd and PAQ).

Everything is integer arithmetic (probabilities in 16 or 22 bits, logits in 1/256 units, weights
in 16.16 fixed point; the squash table is built with :mod:`decimal`, which rounds correctly), so
encoder and decoder agree bit for bit on every machine by construction, not by luck. The bits are
coded with the same 56-bit carry-propagating range coder as :mod:`.arithmetic`, inlined.

The inner loop is compiled with Numba; ``_code.py_func`` is the identical pure-Python function
(thousands of times slower), which the tests run on small inputs to show the compiled code
computes exactly what the Python says.

References:
    M. V. Mahoney (2005), "Adaptive weighing of context models for lossless data compression",
    Florida Tech. technical report CS-2005-16.
    M. V. Mahoney (2013), "Data Compression Explained", mattmahoney.net/dc/dce.html (indirect
    context models, bit histories, hash tables with checks and buckets).
    A. P. Dawid (1984), "Present position and potential developments: some personal views.
    Statistical theory: the prequential approach", JRSS A 147(2).
    L. Blier and Y. Ollivier (2018), "The description length of deep learning models", NeurIPS.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass

import numpy as np
from numba import njit
from tqdm import tqdm

__all__ = ["MODEL_VERSION", "PARTS", "MixingResult", "mixing_code_lengths", "mixing_decode", "mixing_encode", "table_bits_for"]

MODEL_VERSION = 3  # 2: bucketed tables with checks, bit histories, four mixers; 3: word triples, column, SSE on two bytes
N_CONTEXTS = 12  # orders 0, 1, 2, 3, 4, 5, 6, 8, word, word pair, word triple, column
N_INPUTS = 2 * N_CONTEXTS + 3  # direct and indirect estimates + match model + bias + a transformer's
LM_INPUT = 2 * N_CONTEXTS + 2  # the transformer's input: 0 unless a hybrid coder gives its predictions
N_CLASSES = 8  # byte classes of the fourth mixer's context (_byte_class)
LEARNING_RATE = 4  # mixer step: weight += input * error * 4 / 2**13 (fixed point)
SSE_RATE = 5  # secondary estimation moves 1/32 of its error
MIN_TABLE_BITS, MAX_TABLE_BITS = 12, 22


def _squash_stretch() -> tuple[np.ndarray, np.ndarray]:
    """``squash(x) = 2**16 / (1 + exp(-x / 256))`` on x in [-2047, 2047], and its inverse on 12 bits."""
    ctx = decimal.Context(prec=30, rounding=decimal.ROUND_HALF_EVEN)
    squash = np.empty(4095, np.int64)
    for i, x in enumerate(range(-2047, 2048)):
        v = ctx.divide(65536, 1 + ctx.exp(decimal.Decimal(-x) / 256))
        squash[i] = min(max(int(v.to_integral_value(context=ctx)), 1), 65535)
    stretch = np.empty(4096, np.int64)  # stretch[p12] = smallest x with squash(x) >= 16 p12 + 8
    j = 0
    for p12 in range(4096):
        while j < 4094 and squash[j] < 16 * p12 + 8:
            j += 1
        stretch[p12] = j - 2047
    return squash, stretch


SQUASH, STRETCH = _squash_stretch()
RATES = np.array([65536 * 2 // (2 * k + 3) for k in range(1024)], np.int64)  # 2**16 / (k + 1.5)
# the limit on a counter's count: orders 0-3 settle, longer contexts drift
COUNT_LIMITS = np.array([255, 255, 255, 255, 12, 12, 12, 12, 12, 12, 12, 255], np.int64)
COUNTER_START = (1 << 21) << 10  # a counter at p = 1/2, seen 0 times
HISTORY_RATE = 6  # a bit history's probability moves 1/64 of its error


def table_bits_for(n: int) -> int:
    """Size (log2 slots) of each hashed table for an ``n``-byte input: eight slots per byte coded.

    Most contexts recur, so half a bucket per byte costs at most 0.6% on the 250 kB benchmark
    texts against two buckets per byte (2**21 slots against 2**22), and halves the tables, the time
    to touch them and the peak memory on such inputs.
    """
    need = max(int(n), 1) * 8
    return int(min(max(need.bit_length(), MIN_TABLE_BITS), MAX_TABLE_BITS))


@njit(cache=True)
def _hash(h):
    # An integer finaliser (xor-shift-multiply); every product stays below 2**63.
    h &= 0xFFFFFFFF
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & 0xFFFFFFFF
    h ^= h >> 12
    h = (h * 0x297A2D39) & 0xFFFFFFFF
    h ^= h >> 15
    return h


@njit(cache=True)
def _byte_class(b):
    # lower-case letter, upper-case, digit, space, newline, punctuation that ends a phrase, other ASCII, other
    if 97 <= b <= 122:
        return 0
    if 65 <= b <= 90:
        return 1
    if 48 <= b <= 57:
        return 2
    if b == 32:
        return 3
    if b == 10:
        return 4
    if b == 46 or b == 44 or b == 59 or b == 58:
        return 5
    if b < 128:
        return 6
    return 7


@njit(cache=True)
def _update(state, hit, limit, rates):
    # A counter is p (22 bits, P(bit = 1)) << 10 | k (times seen, at most `limit`).
    p = state >> 10
    k = state & 1023
    if hit:
        p += (((1 << 22) - p) * rates[k]) >> 16
    else:
        p -= (p * rates[k]) >> 16
    if k < limit:
        k += 1
    return (min(p, (1 << 22) - 1) << 10) | k


# Registers of the coder and of the byte-level contexts, kept in one int64 array between chunks.
_LOW, _RNG, _CODE, _POS, _NOUT, _C4, _C8, _WORD, _PREV_WORD, _MATCH_PTR, _MATCH_LEN, _WORD2, _NL = range(13)


class _State:
    """Everything the model and the coder remember, so long inputs can be coded in chunks."""

    def __init__(self, n: int, table_bits: int) -> None:
        start = COUNTER_START
        self.tables = np.full((N_CONTEXTS, 1 << table_bits), start, np.uint32)  # values < 2**32
        self.hist = np.ones((N_CONTEXTS, 1 << table_bits), np.uint8)  # a leading 1, then up to 7 bits
        self.hmap = np.full((N_CONTEXTS, 256), 1 << 21, np.int64)  # P(bit = 1) of each history, 22 bits
        self.match_counters = np.full(64, start, np.int64)
        self.match_table = np.zeros(1 << 18, np.int64)
        self.w_match = np.full((9 * 8, N_INPUTS), 65536 // 8, np.int64)
        self.w_byte = np.full((256, N_INPUTS), 65536 // 8, np.int64)
        self.w_prev = np.full((256 * 8, N_INPUTS), 65536 // 8, np.int64)
        self.w_class = np.full((N_CLASSES * N_CLASSES * 256, N_INPUTS), 65536 // 8, np.int64)
        buckets = SQUASH[np.clip((np.arange(33) - 16) * 128, -2047, 2047) + 2047]
        self.sse1 = np.tile(buckets, (256, 1))
        self.sse2 = np.tile(buckets, (65536, 1))
        self.sse3 = np.tile(buckets, (1 << 16, 1))
        self.hashes = np.zeros(N_CONTEXTS, np.int64)
        self.history = np.zeros(n + 1, np.int64)
        self.regs = np.zeros(13, np.int64)
        self.regs[_RNG] = 1 << 56
        self.table_bits = table_bits

    def arrays(self) -> tuple:
        return (self.tables, self.hist, self.hmap, self.match_counters, self.match_table, self.w_match, self.w_byte,
                self.w_prev, self.w_class, self.sse1,
                self.sse2, self.sse3, self.hashes, self.history, self.regs)


@njit(cache=True)
def _code(data, start, stop, decoding, table_bits, squash, stretch, rates, limits, switches, lm_cum, out, costs,
          tables, hist, hmap, match_counters, match_table, w_match, w_byte, w_prev, w_class, sse1, sse2, sse3, hashes,
          history, regs):
    """Encode ``data[start:stop]`` into ``out``, or decode bytes ``start..stop-1`` from ``data`` into ``out``.

    All model and coder state lives in the arrays after ``costs`` (see :class:`_State`), so a
    long input is coded chunk by chunk with the same result as in one call. ``costs[i]``, if
    ``costs`` is not empty, receives the ideal bits of byte ``i``. Returns the total ideal bits.
    ``switches`` (see :func:`_switches`) turns inputs, mixer contexts and SSE off, for ablations.
    ``lm_cum``, if not empty, is a transformer's distribution of the (single) byte to code, as 257
    cumulative integer counts; it gives the mixer one more input (see :mod:`scalingzip.compressors.hybrid`).
    """
    m32 = 0xFFFFFFFF
    golden = 0x9E3779B1
    slots = np.zeros(N_CONTEXTS, np.int64)
    base = np.zeros(N_CONTEXTS, np.int64)
    bucket_bits = table_bits - 4
    bucket_mask = (1 << bucket_bits) - 1
    x = np.zeros(N_INPUTS, np.int64)
    top, shift, bot = 1 << 56, 48, 1 << 48
    low, rng, code, pos, n_out = int(regs[_LOW]), int(regs[_RNG]), int(regs[_CODE]), int(regs[_POS]), int(regs[_NOUT])
    c4, c8, word, prev_word = int(regs[_C4]), int(regs[_C8]), int(regs[_WORD]), int(regs[_PREV_WORD])
    match_ptr, match_len = int(regs[_MATCH_PTR]), int(regs[_MATCH_LEN])
    word2 = int(regs[_WORD2])
    nl = int(regs[_NL])
    if decoding and start == 0:
        for _ in range(7):
            code = (code << 8) | (int(data[pos]) if pos < data.size else 0)
            pos += 1
    total = 0.0
    ablated = False  # an input switched off: multiply the inputs by their switches
    for k in range(N_INPUTS):
        if switches[k] == 0:
            ablated = True
    for i in range(start, stop):
        byte = 0 if decoding else int(data[i])
        before = total
        c0 = 1  # the bits of this byte seen so far, behind a leading 1
        nib = 1
        expected = history[match_ptr] if match_len > 0 else -1
        length_bucket = 1 + (min(match_len, 31) >> 2) if match_len > 0 else 0
        last = c4 & 0xFF
        classes = _byte_class(last) * N_CLASSES + _byte_class((c4 >> 8) & 0xFF)
        for bit_pos in range(8):
            # 1. predictions of every context, in the logit domain
            if bit_pos == 0 or bit_pos == 4:  # each half byte: the bucket of every context
                offset = c0 * golden
                for m in range(N_CONTEXTS):
                    b = (_hash((hashes[m] + offset) & m32) & bucket_mask) << 4
                    check = (_hash((hashes[m] ^ offset ^ 0x55555555) & m32) & 0xFFFFFF) | 1
                    if tables[m, b] != check:
                        other = b ^ 16  # the neighbouring bucket is the second candidate
                        if tables[m, other] == check:
                            b = other
                        else:  # a new context: empty the less used bucket (times its first slot was seen)
                            if (tables[m, other + 1] & 1023) < (tables[m, b + 1] & 1023):
                                b = other
                            tables[m, b] = check
                            for j in range(1, 16):
                                tables[m, b + j] = COUNTER_START
                                hist[m, b + j] = 1
                    base[m] = b
                nib = 1
            for m in range(N_CONTEXTS):
                slots[m] = base[m] + nib
                x[m] = stretch[int(tables[m, slots[m]]) >> 20]
                x[N_CONTEXTS + 2 + m] = stretch[hmap[m, hist[m, slots[m]]] >> 10]
            mc = -1
            expected_bit = 0
            if expected >= 0 and ((expected | 256) >> (8 - bit_pos)) == c0:
                expected_bit = (expected >> (7 - bit_pos)) & 1
                mc = min(match_len, 15) * 2 + expected_bit
                xm = stretch[match_counters[mc] >> 20]
                x[N_CONTEXTS] = xm if expected_bit else -xm
                wm = length_bucket * 8 + bit_pos
            else:
                x[N_CONTEXTS] = 0
                wm = bit_pos
            x[N_CONTEXTS + 1] = 256
            if lm_cum.size:  # P(next bit = 1) under the transformer, given the bits of the byte so far
                first = (c0 - (1 << bit_pos)) << (8 - bit_pos)
                half = 1 << (7 - bit_pos)
                whole = lm_cum[first + 2 * half] - lm_cum[first]
                ones = lm_cum[first + 2 * half] - lm_cum[first + half]
                x[LM_INPUT] = stretch[min(max((ones << 12) // whole, 1), 4095)]
            else:
                x[LM_INPUT] = 0
            if ablated:
                for k in range(N_INPUTS):
                    x[k] *= switches[k]
            # 2. four mixers and their average
            dot_a = 0
            dot_b = 0
            dot_c = 0
            dot_d = 0
            wp = last * 8 + bit_pos
            wd = classes * 256 + c0
            wb = c0
            if switches[N_INPUTS] == 0:  # one weight set for every bit: no mixer contexts
                wm = 0
                wp = 0
                wd = 0
                wb = 0
            for k in range(N_INPUTS):
                dot_a += w_match[wm, k] * x[k]
                dot_b += w_byte[wb, k] * x[k]
                dot_c += w_prev[wp, k] * x[k]
                dot_d += w_class[wd, k] * x[k]
            dot_a = min(max(dot_a >> 16, -2047), 2047)
            dot_b = min(max(dot_b >> 16, -2047), 2047)
            dot_c = min(max(dot_c >> 16, -2047), 2047)
            dot_d = min(max(dot_d >> 16, -2047), 2047)
            mixed = (dot_a + dot_b + dot_c + dot_d) >> 2  # the four mixers' average
            # 3. secondary estimation: interpolate between the two nearest of 33 logit buckets
            t = mixed + 2048
            lo = t >> 7
            wt = t & 127
            c2 = c0 | (last << 8)
            a1 = (sse1[c0, lo] * (128 - wt) + sse1[c0, lo + 1] * wt) >> 7
            a2 = (sse2[c2, lo] * (128 - wt) + sse2[c2, lo + 1] * wt) >> 7
            c3 = _hash(((c4 & 0xFFFF) << 8 | c0) * 0x2F0B4C23 + 77) & 0xFFFF
            a3 = (sse3[c3, lo] * (128 - wt) + sse3[c3, lo + 1] * wt) >> 7
            p = (squash[mixed + 2047] + a1 + a2 + a3) >> 2
            if switches[N_INPUTS + 1] == 0:  # no secondary estimation
                p = squash[mixed + 2047]
            p = min(max(p, 32), 65536 - 32)  # P(bit = 1) in 1/65536
            # code the bit: 1 owns [0, p), 0 owns [p, 65536)
            r = rng >> 16
            if decoding:
                bit = 1 if code < r * p else 0
                if bit:
                    rng = r * p
                else:
                    code -= r * p
                    rng = r * (65536 - p)
                while rng < bot:
                    code = (code << 8) | (int(data[pos]) if pos < data.size else 0)
                    pos += 1
                    rng <<= 8
            else:
                bit = (byte >> (7 - bit_pos)) & 1
                if bit:
                    rng = r * p
                else:
                    low += r * p
                    rng = r * (65536 - p)
                if low >= top:  # carry into the bytes already written
                    j = n_out - 1
                    while out[j] == 255:
                        out[j] = 0
                        j -= 1
                    out[j] += 1
                    low -= top
                while rng < bot:
                    out[n_out] = low >> shift
                    n_out += 1
                    low = (low & (bot - 1)) << 8
                    rng <<= 8
            total += -np.log2(p / 65536.0) if bit else -np.log2(1.0 - p / 65536.0)
            # learn from the bit: mixers by gradient descent on log-loss, then SSE and counters
            err_a = ((bit << 12) - (squash[dot_a + 2047] >> 4)) * LEARNING_RATE
            err_b = ((bit << 12) - (squash[dot_b + 2047] >> 4)) * LEARNING_RATE
            err_c = ((bit << 12) - (squash[dot_c + 2047] >> 4)) * LEARNING_RATE
            err_d = ((bit << 12) - (squash[dot_d + 2047] >> 4)) * LEARNING_RATE
            for k in range(N_INPUTS):
                w_match[wm, k] += (x[k] * err_a) >> 13
                w_byte[wb, k] += (x[k] * err_b) >> 13
                w_prev[wp, k] += (x[k] * err_c) >> 13
                w_class[wd, k] += (x[k] * err_d) >> 13
            target = bit << 16
            sse1[c0, lo] += ((target - sse1[c0, lo]) * (128 - wt)) >> (7 + SSE_RATE)
            sse1[c0, lo + 1] += ((target - sse1[c0, lo + 1]) * wt) >> (7 + SSE_RATE)
            sse2[c2, lo] += ((target - sse2[c2, lo]) * (128 - wt)) >> (7 + SSE_RATE)
            sse2[c2, lo + 1] += ((target - sse2[c2, lo + 1]) * wt) >> (7 + SSE_RATE)
            sse3[c3, lo] += ((target - sse3[c3, lo]) * (128 - wt)) >> (7 + SSE_RATE)
            sse3[c3, lo + 1] += ((target - sse3[c3, lo + 1]) * wt) >> (7 + SSE_RATE)
            for m in range(N_CONTEXTS):
                tables[m, slots[m]] = _update(int(tables[m, slots[m]]), bit, limits[m], rates)
                h = int(hist[m, slots[m]])
                hmap[m, h] += ((bit << 22) - hmap[m, h]) >> HISTORY_RATE
                h = (h << 1) | bit
                if h >= 256:  # keep the last seven bits behind the leading 1
                    h = (h & 127) | 128
                hist[m, slots[m]] = h
            if mc >= 0:
                match_counters[mc] = _update(match_counters[mc], bit == expected_bit, 255, rates)
                if bit != expected_bit:
                    expected = -1
            c0 = (c0 << 1) | bit
            nib = (nib << 1) | bit
        byte = c0 & 255
        history[i] = byte
        if decoding:
            out[i] = byte
        if costs.size:
            costs[i] = total - before
        # the match model: extend the match, or look the last 5+ bytes up
        if match_len > 0 and expected >= 0:
            match_len += 1
            match_ptr += 1
        else:
            match_len = 0
        c8 = ((c8 << 8) | (c4 >> 24)) & m32
        c4 = ((c4 << 8) | byte) & m32
        h5 = _hash(((c4 * 0x2F0B4C23) & m32) ^ (((c8 & 0xFF) * 0x6F4F2A35) & m32)) & ((1 << 18) - 1)
        if match_len == 0 and i >= 5:
            cand = match_table[h5]
            if cand > 0:
                length = 0
                while length < 64 and cand - 1 - length >= 0 and history[cand - 1 - length] == history[i - length]:
                    length += 1
                if length >= 5:  # a real match, not a hash collision
                    match_len = length
                    match_ptr = cand
        match_table[h5] = i + 1
        if byte == 10:
            nl = i
        letter = byte | 32
        if 97 <= letter <= 122:
            word = _hash((word + letter + 1) * 0x3D4D51CB)
        elif word != 0:
            word2 = prev_word
            prev_word = word
            word = 0
        # the contexts of the next byte
        hashes[0] = 0
        hashes[1] = _hash(((c4 & 0xFF) + 0x100) * 0x1F3D5B79)
        hashes[2] = _hash(((c4 & 0xFFFF) + 0x20000) * 0x1F3D5B79)
        hashes[3] = _hash((((c4 & 0xFFFFFF) * 0x1F3D5B79) & m32) ^ 0x3000000)
        hashes[4] = _hash(((c4 * 0x1F3D5B79) & m32) ^ 0x4000000)
        hashes[5] = _hash(((c4 * 0x2F0B4C23) & m32) + (((c8 & 0xFF) * 0x6F4F2A35) & m32) + 5)
        hashes[6] = _hash(((c4 * 0x2F0B4C23) & m32) + (((c8 & 0xFFFF) * 0x6F4F2A35) & m32) + 6)
        hashes[7] = _hash(((c4 * 0x2F0B4C23) & m32) + ((c8 * 0x6F4F2A35) & m32) + 8)
        if word:
            hashes[8] = _hash(word * 0x2F0B4C23 + 9)
        else:
            hashes[8] = _hash(((c4 & 0xFF) + 0x300) * 0x297A2D39)
        hashes[9] = _hash(((word * 0x2F0B4C23) & m32) + ((prev_word * 0x6F4F2A35) & m32) + 10)
        hashes[10] = _hash(((hashes[9] * 0x2F0B4C23) & m32) + ((word2 * 0x6F4F2A35) & m32) + 11)
        hashes[11] = _hash(((min(i - nl, 127) << 3 | _byte_class(byte)) + 0x500) * 0x297A2D39)
    regs[_LOW], regs[_RNG], regs[_CODE], regs[_POS], regs[_NOUT] = low, rng, code, pos, n_out
    regs[_C4], regs[_C8], regs[_WORD], regs[_PREV_WORD] = c4, c8, word, prev_word
    regs[_MATCH_PTR], regs[_MATCH_LEN] = match_ptr, match_len
    regs[_WORD2] = word2
    regs[_NL] = nl
    return total


@njit(cache=True)
def _finish(out, regs):
    # The final byte names the smallest multiple of 2**48 >= low, as ArithmeticEncoder.finish does.
    n_out = regs[_NOUT]
    v = (regs[_LOW] + (1 << 48) - 1) >> 48
    if v > 255:
        j = n_out - 1
        while out[j] == 255:
            out[j] = 0
            j -= 1
        out[j] += 1
        v -= 256
    out[n_out] = v
    return n_out + 1


@njit(cache=True)
def _code_streams(data, index, streams, decoding, table_bits, squash, stretch, rates, limits, switches, lm_cums,
                  out, costs, coder, tables, hist, hmap, match_counters, match_table, w_match, w_byte, w_prev,
                  w_class, sse1, sse2, sse3, stream_hashes, history, stream_regs):
    """Code one byte of each of several streams, in order, with one range coder and one model.

    Byte ``j`` is byte ``index[j]`` of the flat (stream-major) data and belongs to stream
    ``streams[j]``: the statistics, mixers and SSE are shared, while each stream keeps its own
    byte contexts (``stream_regs[s]``, ``stream_hashes[s]``). The coder's registers live in
    ``coder`` between calls. ``lm_cums[j]`` is the transformer's distribution of byte ``j``.
    Returns the ideal bits.
    """
    total = 0.0
    for j in range(index.size):
        regs = stream_regs[streams[j]]
        for r in range(5):  # _LOW, _RNG, _CODE, _POS, _NOUT: the one coder
            regs[r] = coder[r]
        total += _code(data, index[j], index[j] + 1, decoding, table_bits, squash, stretch, rates, limits, switches,
                       lm_cums[j], out, costs, tables, hist, hmap, match_counters, match_table, w_match, w_byte,
                       w_prev, w_class, sse1, sse2, sse3, stream_hashes[streams[j]], history, regs)
        for r in range(5):
            coder[r] = regs[r]
    return total


CHUNK = 1 << 16  # bytes per call of the compiled loop, so a progress bar can move
_NO_LM = np.zeros(0, np.int64)

# The parts of the model an ablation can switch off (mixing_code_lengths(..., without=...)).
PARTS = ("histories", "words", "column", "match", "mixer contexts", "sse")


def _switches(without) -> np.ndarray:
    """1 for every input, the mixer contexts and SSE, with 0 for the parts named in ``without``."""
    unknown = sorted(set(without) - set(PARTS))
    if unknown:
        raise ValueError(f"unknown part(s) {unknown}; the parts are {', '.join(PARTS)}")
    on = np.ones(N_INPUTS + 2, np.int64)
    if "histories" in without:
        on[N_CONTEXTS + 2:LM_INPUT] = 0
    if "words" in without:  # the word, word-pair and word-triple contexts, direct and indirect
        on[[8, 9, 10, N_CONTEXTS + 2 + 8, N_CONTEXTS + 2 + 9, N_CONTEXTS + 2 + 10]] = 0
    if "column" in without:
        on[[11, N_CONTEXTS + 2 + 11]] = 0
    if "match" in without:
        on[N_CONTEXTS] = 0
    if "mixer contexts" in without:
        on[N_INPUTS] = 0
    if "sse" in without:
        on[N_INPUTS + 1] = 0
    return on


def _run(src: np.ndarray, n: int, decoding: bool, table_bits: int, out: np.ndarray, costs: np.ndarray,
         progress: bool, desc: str, switches: np.ndarray | None = None) -> tuple[_State, float]:
    state = _State(n, table_bits)
    switches = _switches(()) if switches is None else switches
    total = 0.0
    with tqdm(total=n, unit="B", unit_scale=True, disable=not progress, desc=desc) as bar:
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            total += _code(src, start, stop, decoding, table_bits, SQUASH, STRETCH, RATES, COUNT_LIMITS, switches,
                           _NO_LM, out, costs, *state.arrays())
            bar.update(stop - start)
        if n == 0 and decoding:  # still read the stream's first bytes, as the encoder wrote them
            _code(src, 0, 0, True, table_bits, SQUASH, STRETCH, RATES, COUNT_LIMITS, switches, _NO_LM, out, costs,
                  *state.arrays())
    return state, total


@dataclass(frozen=True)
class MixingResult:
    """An encoded stream and the ideal code length ``sum(-log2 p)`` of the bits it codes."""

    stream: bytes
    ideal_bits: float
    table_bits: int


def _as_uint8(data: bytes | bytearray | memoryview) -> np.ndarray:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    return np.frombuffer(bytes(data), dtype=np.uint8)


def _check_table_bits(table_bits: int) -> int:
    if isinstance(table_bits, bool) or not isinstance(table_bits, (int, np.integer)):
        raise TypeError(f"table_bits must be an int, got {type(table_bits).__name__}")
    if not MIN_TABLE_BITS <= table_bits <= MAX_TABLE_BITS:
        raise ValueError(f"table_bits must be in {MIN_TABLE_BITS}..{MAX_TABLE_BITS}, got {table_bits}")
    return int(table_bits)


def mixing_encode(data: bytes, *, table_bits: int | None = None, progress: bool = False) -> MixingResult:
    """Code ``data`` with the online context-mixing model.

    Args:
        data: the bytes to code.
        table_bits: log2 of each hashed table's size; the decoder needs the same value. By
            default :func:`table_bits_for` of the length.
        progress: show a progress bar.
    """
    src = _as_uint8(data)
    tb = _check_table_bits(table_bits_for(src.size) if table_bits is None else table_bits)
    out = np.zeros(src.size + src.size // 64 + 16, dtype=np.uint8)  # incompressible: < 0.2% growth
    state, total = _run(src, src.size, False, tb, out, np.zeros(0), progress, "encode")
    n_out = _finish(out, state.regs)
    return MixingResult(out[:n_out].tobytes(), float(total), tb)


def mixing_decode(stream: bytes, n: int, *, table_bits: int, progress: bool = False) -> bytes:
    """Decode ``n`` bytes coded by :func:`mixing_encode` with the same ``table_bits``.

    Raises:
        ValueError: if the stream is truncated, has trailing bytes, or does not end the way the
            encoder ends a stream (a corrupted stream is caught here or by the caller's CRC).
    """
    src = _as_uint8(stream)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    tb = _check_table_bits(table_bits)
    if src.size == 0:
        raise ValueError("a context-mixing stream has at least one byte; this one is empty")
    out = np.zeros(int(n), dtype=np.uint8)
    state, _ = _run(src, int(n), True, tb, out, np.zeros(0), progress, "decode")
    read = int(state.regs[_POS]) - 6  # the decoder reads 6 bytes past the encoder's last one
    if read > src.size:
        raise ValueError("stream is truncated or corrupt: it ran out of bytes before the last symbol")
    if read < src.size:
        raise ValueError(f"stream has {src.size - read} byte(s) after the last symbol; it is corrupt or has trailing data")
    if state.regs[_CODE] >= 1 << 48:
        raise ValueError("stream does not end the way the encoder ends it; it is corrupt")
    return out.tobytes()


def mixing_code_lengths(data: bytes, *, table_bits: int | None = None, without: tuple[str, ...] = ()) -> np.ndarray:
    """Ideal code length of each byte, in bits, under the online model (its online loss curve).

    ``mixing_code_lengths(x).sum()`` is the ``ideal_bits`` of :func:`mixing_encode`; the coded
    stream is within a few bytes of it.

    Args:
        without: parts of the model to switch off (any of :data:`PARTS`), to measure what each
            one saves: their inputs read 0, the mixers use one weight set, or the mixed
            probability is coded without secondary estimation. Such a model is for measuring
            only; no blob records it.
    """
    src = _as_uint8(data)
    tb = _check_table_bits(table_bits_for(src.size) if table_bits is None else table_bits)
    switches = _switches(without)
    out = np.zeros(src.size + src.size // 64 + 16, dtype=np.uint8)
    costs = np.zeros(src.size)
    _run(src, src.size, False, tb, out, costs, False, "", switches)
    return costs
