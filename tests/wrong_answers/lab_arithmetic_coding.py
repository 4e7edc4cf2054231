"""lab_arithmetic_coding: a plausible but wrong answer to question arithmetic_coder: the bits are
packed least significant bit first (``out[-1] |= bit << (n % 8)``, the usual way to fill a byte
bit by bit) instead of first bit = top bit, and the decoder reads them back in the same order.

Every round trip works and every stream has the right length, so the public test (round trips,
the bound on the code length, the package's length) passes, as do the hidden tests on extreme
tables and random messages; the hidden test that compares the bytes of the stream with the ones
the statement's rules fix (e.g. b"\\x40" for the empty message) fails, so the autograder takes
that test's point."""

QUESTION = "arithmetic_coder"
CODE = '''STATE_BITS = 32
FULL = (1 << STATE_BITS) - 1
HALF = 1 << (STATE_BITS - 1)
QUARTER = 1 << (STATE_BITS - 2)
MAX_TOTAL = 1 << 16  # totals up to this keep every sub-interval non-empty


class Encoder:
    """Bit-wise arithmetic encoder with 32-bit low/high and bits-to-follow."""

    def __init__(self) -> None:
        self.low, self.high, self.pending = 0, FULL, 0
        self.out = bytearray()
        self.n_bits = 0

    def _put(self, bit: int) -> None:
        if self.n_bits % 8 == 0:
            self.out.append(0)
        self.out[-1] |= bit << (self.n_bits % 8)
        self.n_bits += 1

    def _output(self, bit: int) -> None:
        self._put(bit)
        for _ in range(self.pending):
            self._put(1 - bit)
        self.pending = 0

    def encode(self, symbol: int, cum: list[int]) -> None:
        total, r = cum[-1], self.high - self.low + 1
        self.high = self.low + r * cum[symbol + 1] // total - 1
        self.low = self.low + r * cum[symbol] // total
        while True:
            if self.high < HALF:
                self._output(0)
            elif self.low >= HALF:
                self._output(1)
                self.low -= HALF
                self.high -= HALF
            elif self.low >= QUARTER and self.high < 3 * QUARTER:
                self.pending += 1
                self.low -= QUARTER
                self.high -= QUARTER
            else:
                break
            self.low = 2 * self.low
            self.high = 2 * self.high + 1

    def finish(self) -> bytes:
        self.pending += 1
        self._output(0 if self.low < QUARTER else 1)
        return bytes(self.out)


class Decoder:
    """Mirror of :class:`Encoder`; reads the stream as bits, zeros past its end."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0
        self.low, self.high, self.value = 0, FULL, 0
        for _ in range(STATE_BITS):
            self.value = 2 * self.value + self._next_bit()

    def _next_bit(self) -> int:
        i = self.position
        self.position += 1
        if i >= 8 * len(self.data):
            return 0
        return (self.data[i // 8] >> (i % 8)) & 1

    def decode(self, cum: list[int]) -> int:
        total, r = cum[-1], self.high - self.low + 1
        target = ((self.value - self.low + 1) * total - 1) // r
        symbol = bisect.bisect_right(cum, target) - 1
        self.high = self.low + r * cum[symbol + 1] // total - 1
        self.low = self.low + r * cum[symbol] // total
        while True:
            if self.high < HALF:
                pass
            elif self.low >= HALF:
                self.low -= HALF
                self.high -= HALF
                self.value -= HALF
            elif self.low >= QUARTER and self.high < 3 * QUARTER:
                self.low -= QUARTER
                self.high -= QUARTER
                self.value -= QUARTER
            else:
                break
            self.low = 2 * self.low
            self.high = 2 * self.high + 1
            self.value = 2 * self.value + self._next_bit()
        return symbol
'''
