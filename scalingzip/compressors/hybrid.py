"""Context mixing with a pretrained transformer as one more input: the ``hybrid`` compressor.

The context-mixing model (:mod:`scalingzip.coding.mixing`) learns while it codes, from counts; a
pretrained transformer (:mod:`.lm`) arrives knowing the language of its training text. The hybrid
gives the transformer's prediction to the mixer as one more input, beside the counts, and lets
the mixer learn, bit by bit, how much to trust it:

* For each byte the transformer gives a distribution over 256 values, computed exactly as the
  ``lm`` compressor computes it (the same streams, windows and key/value cache,
  :func:`~.lm.walk_streams`, on one thread, so that the decoder gets the same floats). It is
  rounded to integer counts, ``floor(p * 2**20) + 1``, and for each bit of the byte the mixer's
  input is the stretched probability that the bit is 1, given the bits before it.
* Because the transformer codes the data as up to 64 contiguous streams side by side, one byte of
  each per step, the mixer codes the bytes in that same interleaved order. Statistics, mixers and
  secondary estimation are shared by all streams; each stream keeps its own byte contexts (the
  previous bytes, the words, the column, the match model's position). One range coder writes all
  the bits. The mixer therefore sees each stream's past, and every other stream's past up to the
  same step.
* **Never worse than context mixing alone.** The encoder also codes the data with the plain
  ``mixing`` model and keeps the shorter of the two; the header's ``with_lm`` field says which.
  A text the transformer does not know costs at most the header's few extra bytes.

Decoding runs the transformer one step at a time, so the hybrid is as slow as the ``lm``
compressor (tens of KB/s where context mixing does a hundred and more); it pays where the
transformer knows the text. The decoder needs the same model file, checked as for ``lm`` (shape,
weights' checksum, and a probe of the machine's arithmetic).
"""

from __future__ import annotations

import numpy as np
from tqdm import tqdm

from scalingzip.coding.container import Header
from scalingzip.compressors import Compressor, Encoded, as_bytes, register
from scalingzip.compressors.lm import (
    SHAPE_FIELDS,
    _as_model,
    _check_same_model,
    _probe_crc,
    shape_fields,
    stream_layout,
    walk_streams,
)
from scalingzip.nn.determinism import one_thread, weights_checksum
from scalingzip.nn.transformer import ByteTransformer

__all__ = ["LM_COUNT_BITS", "hybrid_decode", "hybrid_encode"]

LM_COUNT_BITS = 20  # a byte of probability p gets floor(p * 2**20) + 1 counts


def _cumulative(probs: np.ndarray) -> np.ndarray:
    """Integer cumulative counts (k, 257) of float distributions (k, 256): identical floats, identical counts."""
    counts = np.floor(probs * (1 << LM_COUNT_BITS)).astype(np.int64) + 1
    cum = np.zeros((probs.shape[0], 257), np.int64)
    np.cumsum(counts, axis=1, out=cum[:, 1:])
    return cum


class _Coder:
    """The shared model and range coder, and each stream's own contexts."""

    def __init__(self, n: int, n_streams: int, stream_len: int, table_bits: int, decoding: bool, src: np.ndarray):
        from scalingzip.coding import mixing as mx

        self.mx = mx
        self.state = mx._State(n_streams * stream_len, table_bits)
        self.coder = self.state.regs[:5].copy()
        self.stream_regs = np.zeros((n_streams, len(self.state.regs)), np.int64)
        self.stream_regs[:, mx._NL] = np.arange(n_streams) * stream_len  # each stream starts a line
        self.stream_hashes = np.zeros((n_streams, mx.N_CONTEXTS), np.int64)
        self.switches = mx._switches(())
        self.decoding = decoding
        self.table_bits = table_bits
        self.src = src
        self.stream_len = stream_len
        size = n + n // 64 + 16 if not decoding else n_streams * stream_len
        self.out = np.zeros(size, np.uint8)
        self.ideal = 0.0

    def code(self, probs: np.ndarray, streams: np.ndarray, t: int) -> None:
        mx, st = self.mx, self.state
        index = streams * self.stream_len + t
        self.ideal += mx._code_streams(
            self.src, index, streams, self.decoding, self.table_bits, mx.SQUASH, mx.STRETCH, mx.RATES,
            mx.COUNT_LIMITS, self.switches, _cumulative(probs), self.out, np.zeros(0), self.coder, st.tables, st.hist,
            st.hmap, st.match_counters, st.match_table, st.w_match, st.w_byte, st.w_prev, st.w_class, st.sse1,
            st.sse2, st.sse3, self.stream_hashes, st.history, self.stream_regs)


def _flat(layout, data: bytes) -> np.ndarray:
    return layout.split(data)[:, 1:].astype(np.uint8).ravel()


def hybrid_encode(model: ByteTransformer, data: bytes, *, table_bits: int | None = None,
                  progress: bool = False) -> tuple[bytes, float, int]:
    """Code ``data`` with context mixing plus ``model``'s predictions: (stream, ideal bits, table bits)."""
    from scalingzip.coding import mixing as mx

    data = as_bytes(data)
    tb = mx._check_table_bits(mx.table_bits_for(len(data)) if table_bits is None else table_bits)
    layout = stream_layout(len(data))
    if layout.n == 0:
        coder = _Coder(0, 1, 1, tb, False, np.zeros(1, np.uint8))
        return _finish(coder), 0.0, tb
    seq = layout.split(data)
    truth = seq.copy()
    coder = _Coder(len(data), layout.n_streams, layout.stream_len, tb, False, _flat(layout, data))

    def choose(probs: np.ndarray, active: np.ndarray, pos: int) -> np.ndarray:
        coder.code(probs, np.flatnonzero(active), pos - 1)
        return truth[active, pos]

    with one_thread(), tqdm(total=len(data), unit="B", unit_scale=True, disable=not progress, desc="encode") as bar:
        walk_streams(model, layout, seq, choose, bar)
    return _finish(coder), coder.ideal, tb


def _finish(coder: _Coder) -> bytes:
    regs = coder.stream_regs[0].copy()
    regs[:5] = coder.coder
    n_out = coder.mx._finish(coder.out, regs)
    return coder.out[:n_out].tobytes()


def hybrid_decode(model: ByteTransformer, stream: bytes, n: int, *, table_bits: int, progress: bool = False) -> bytes:
    """Decode ``n`` bytes coded by :func:`hybrid_encode` with the same model and ``table_bits``.

    Raises:
        ValueError: if the stream is empty, truncated, has trailing bytes or does not end the way the
            encoder ends it (the container's CRC catches a corrupt byte that decodes).
    """
    from scalingzip.coding import mixing as mx

    src = np.frombuffer(as_bytes(stream, "stream"), np.uint8)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    tb = mx._check_table_bits(table_bits)
    if src.size == 0:
        raise ValueError("a hybrid stream has at least one byte; this one is empty")
    layout = stream_layout(int(n))
    if layout.n == 0:
        return b""
    seq = layout.split(bytes(int(n)))
    coder = _Coder(int(n), layout.n_streams, layout.stream_len, tb, True, src)

    def choose(probs: np.ndarray, active: np.ndarray, pos: int) -> np.ndarray:
        streams = np.flatnonzero(active)
        coder.code(probs, streams, pos - 1)
        return coder.out[streams * layout.stream_len + pos - 1].astype(np.int64)

    with one_thread(), tqdm(total=int(n), unit="B", unit_scale=True, disable=not progress, desc="decode") as bar:
        walk_streams(model, layout, seq, choose, bar)
    read = int(coder.coder[mx._POS]) - 6  # the decoder reads 6 bytes past the encoder's last one
    if read > src.size:
        raise ValueError("stream is truncated or corrupt: it ran out of bytes before the last symbol")
    if read < src.size:
        raise ValueError(f"stream has {src.size - read} byte(s) after the last symbol; it is corrupt or has trailing data")
    if coder.coder[mx._CODE] >= 1 << 48:
        raise ValueError("stream does not end the way the encoder ends it; it is corrupt")
    return layout.join(seq)


# ---------------------------------------------------------------------------------------------
# the hybrid compressor
# ---------------------------------------------------------------------------------------------

_FIELDS = (*SHAPE_FIELDS, "model_sha_hi", "model_sha_lo", "probe_crc", "table_bits", "mixing_model", "with_lm")


def _encode(data: bytes, *, model: object, progress: bool = False) -> Encoded:
    from scalingzip.coding.mixing import MODEL_VERSION, mixing_encode

    model = _as_model(model)
    stream, _, tb = hybrid_encode(model, data, progress=progress)
    plain = mixing_encode(data, table_bits=tb, progress=progress).stream
    digest = weights_checksum(model)
    fields = {**shape_fields(model.config), "model_sha_hi": int(digest[:8], 16), "model_sha_lo": int(digest[8:16], 16),
              "probe_crc": _probe_crc(model), "table_bits": tb, "mixing_model": MODEL_VERSION,
              "with_lm": int(len(stream) < len(plain))}
    return Encoded(fields, data, stream if fields["with_lm"] else plain)


def _decode(header: Header, *, model: object, progress: bool = False) -> tuple[bytes, bytes]:
    from scalingzip.coding.mixing import MODEL_VERSION, mixing_decode

    params = header.params
    if params["mixing_model"] != MODEL_VERSION:
        raise ValueError(f"this blob was coded by version {params['mixing_model']} of the context-mixing model; "
                         f"this code has version {MODEL_VERSION}: decompress it with the scalingzip that made it")
    if params["with_lm"] not in (0, 1):
        raise ValueError(f"corrupt header: with_lm is {params['with_lm']}, not 0 or 1")
    if not params["with_lm"]:  # the plain model was shorter: the transformer is not needed
        data = mixing_decode(header.payload, header.n, table_bits=params["table_bits"], progress=progress)
        return data, data
    model = _as_model(model)
    _check_same_model(params, model)
    data = hybrid_decode(model, header.payload, header.n, table_bits=params["table_bits"], progress=progress)
    return data, data


register(Compressor(
    name="hybrid", takes="bytes", needs=("model",), decode_needs=("model",), encode=_encode, decode=_decode,
    fields=tuple((k, 0) for k in _FIELDS),
    description="context mixing with a pretrained transformer's predictions as one more input, never longer "
                "than mixing alone (needs model=; as slow as lm)"))
