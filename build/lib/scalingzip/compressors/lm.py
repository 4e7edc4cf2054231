"""Bytes coded exactly by a pretrained language model: ideal code lengths and exact coding.

A byte-level model gives, at every position, a distribution over the next byte; an arithmetic
coder turns those distributions into a code whose length is ``sum(-log2 p(x_t | x_<t))`` plus a
few bytes. This module does that for real, with three guarantees:

* **The decoder sees exactly the encoder's probabilities, by construction.** Both sides run one
  function, :func:`walk_streams`, which feeds the same tokens through the same incremental computation
  (a key/value cache) in the same batch shapes on one CPU thread
  (:func:`~scalingzip.nn.determinism.one_thread`). The encoder reads each next byte from the
  data, the decoder from the coded stream; nothing else differs. Floating point is then
  deterministic, and the probabilities agree to the last bit.
* **Different numerics are detected, not decoded into garbage.** A file records a CRC-32 of the
  model's output on a fixed probe text; a machine whose PyTorch or CPU computes other floats
  refuses with a clear message.
* **Speed by batching.** The data is cut into up to 64 contiguous streams that are coded side by
  side, one byte of each per step, so a step costs one small matrix product per layer for all of
  them. The context is a sliding window: the model sees between ``n_ctx / 2`` and ``n_ctx - 1``
  previous bytes of its stream (the first window sees all it can).

Functions:

* :func:`byte_code_lengths` / :func:`code_length_bits`: the ideal code length, computed fast in
  whole windows (teacher forcing), for exactly the contexts the coder uses.
* :func:`lm_encode` / :func:`lm_decode`: exact coding with a fixed (pretrained) model, through
  constriction's range coder.
* The ``lm`` compressor (``compress(data, "lm", model=...)``, or :func:`compress_with_model` /
  :func:`decompress_with_model`): the stream in the ``SZIP`` container with the model's shape,
  its checksum and the probe CRC. The model may be given as a file (:mod:`.model_files`).

The model that learns while it codes is :mod:`scalingzip.compressors.online`.

References:
    F. Bellard (2019, 2021), NNCP: lossless data compression with neural networks (technical
    reports, bellard.org/nncp).
    G. Delétang et al. (2024), "Language modeling is compression", ICLR.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from scalingzip.coding.container import Header
from scalingzip.compressors import Compressor, Encoded, as_bytes, compress, decompress, read_header, register
from scalingzip.compressors.model_files import load_model
from scalingzip.nn.determinism import one_thread, weights_checksum
from scalingzip.nn.transformer import ByteTransformer, TransformerConfig

__all__ = [
    "LMStream",
    "SHAPE_FIELDS",
    "StreamLayout",
    "byte_code_lengths",
    "code_length_bits",
    "compress_with_model",
    "decompress_with_model",
    "lm_decode",
    "lm_encode",
    "shape_fields",
    "shape_from_fields",
    "stream_layout",
    "walk_streams",
]

START_BYTE = 10  # every stream is read as if it followed a newline
MAX_STREAMS = 64
MIN_STREAM_BYTES = 512
PROBE_TEXT = b"Prediction is compression: a model that predicts the next byte well codes it in few bits.\n"


# ---------------------------------------------------------------------------------------------
# layout of the streams and the deterministic incremental computation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamLayout:
    """How ``n`` bytes are cut into ``n_streams`` contiguous streams of at most ``stream_len``."""

    n: int
    n_streams: int
    stream_len: int

    @property
    def lengths(self) -> np.ndarray:
        starts = np.arange(self.n_streams) * self.stream_len
        return np.clip(self.n - starts, 0, self.stream_len)

    def split(self, data: bytes) -> np.ndarray:
        """``(n_streams, stream_len + 1)`` int64 tokens: the start byte, then each stream (0-padded)."""
        seq = np.zeros((self.n_streams, self.stream_len + 1), dtype=np.int64)
        seq[:, 0] = START_BYTE
        flat = np.frombuffer(data, dtype=np.uint8)
        for j, length in enumerate(self.lengths):
            seq[j, 1 : 1 + length] = flat[j * self.stream_len : j * self.stream_len + length]
        return seq

    def join(self, seq: np.ndarray) -> bytes:
        return b"".join(seq[j, 1 : 1 + length].astype(np.uint8).tobytes() for j, length in enumerate(self.lengths))


def stream_layout(n: int, *, max_streams: int = MAX_STREAMS, min_stream_bytes: int = MIN_STREAM_BYTES) -> StreamLayout:
    """The layout used for ``n`` bytes: as many streams as fit, each at least ``min_stream_bytes`` long."""
    if n == 0:
        return StreamLayout(0, 0, 0)
    s = max(1, min(max_streams, n // min_stream_bytes))
    length = -(-n // s)
    return StreamLayout(n, -(-n // length), length)


class _Incremental:
    """A key/value cache over a batch of streams: ``prefill`` a window's start, then ``step``."""

    def __init__(self, model: ByteTransformer, batch: int) -> None:
        c = model.config
        self.model = model
        self.nh, self.hs = c.n_head, c.d_model // c.n_head
        self.scale = 1.0 / math.sqrt(self.hs)
        # keys with time last: a query's products with them are then one contiguous matrix product
        self.k = torch.zeros(c.n_layer, batch, self.nh, self.hs, c.n_ctx)
        self.v = torch.zeros(c.n_layer, batch, self.nh, c.n_ctx, self.hs)

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        m = self.model
        return m.ln_f(x) @ m.tok_emb.weight.T

    def prefill(self, tokens: torch.Tensor) -> torch.Tensor:
        """Run ``tokens`` (B, P) at positions 0..P-1; return the logits for position P, (B, 256)."""
        m = self.model
        B, P = tokens.shape
        x = m.tok_emb(tokens) + m.pos_emb.weight[:P]
        for i, block in enumerate(m.blocks):
            a = block.attn
            q, k, v = a.qkv(block.ln_1(x)).split(x.shape[-1], dim=2)
            q, k, v = (t.view(B, P, self.nh, self.hs).transpose(1, 2) for t in (q, k, v))
            self.k[i, ..., :P] = k.transpose(-1, -2)
            self.v[i, :, :, :P] = v
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            x = x + a.proj(y.transpose(1, 2).reshape(B, P, -1))
            x = x + block.mlp(block.ln_2(x))
        return self._logits(x[:, -1])

    def step(self, tokens: torch.Tensor, t: int) -> torch.Tensor:
        """Feed one token per stream at window position ``t``; return the logits for ``t + 1``.

        Written with functional calls on the model's own weights (the same function as the
        modules compute) because at one token per stream the cost is call overhead, not FLOPs.
        """
        m = self.model
        B, C = tokens.shape[0], m.config.d_model
        x = m.tok_emb.weight[tokens] + m.pos_emb.weight[t]  # (B, C)
        for i, block in enumerate(m.blocks):
            a = block.attn
            h = F.layer_norm(x, (C,), block.ln_1.weight, block.ln_1.bias, block.ln_1.eps)
            q, k, v = F.linear(h, a.qkv.weight, a.qkv.bias).view(B, 3, self.nh, self.hs).unbind(1)
            self.k[i, ..., t] = k
            self.v[i, :, :, t] = v
            att = (q[:, :, None] @ self.k[i, ..., : t + 1]) * self.scale  # (B, nh, 1, t+1)
            y = att.softmax(dim=-1) @ self.v[i, :, :, : t + 1]  # (B, nh, 1, hs)
            x = x + F.linear(y.reshape(B, C), a.proj.weight, a.proj.bias)
            h = F.layer_norm(x, (C,), block.ln_2.weight, block.ln_2.bias, block.ln_2.eps)
            up, act, down = block.mlp
            x = x + F.linear(F.gelu(F.linear(h, up.weight, up.bias)), down.weight, down.bias)
        return self._logits(x)


# choose(probabilities of the active streams (k, 256) float64, active mask, position) -> k bytes
Chooser = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


@torch.inference_mode()
def walk_streams(model: ByteTransformer, layout: StreamLayout, seq: np.ndarray, choose: Chooser,
          progress: tqdm | None = None) -> None:
    """Visit every position of every stream in coding order; ``choose`` supplies each next byte.

    ``seq`` (from :meth:`StreamLayout.split`, or zeros after the start byte when decoding) is
    filled in place. This is the only place probabilities for coding are computed, for the
    encoder and the decoder alike.
    """
    if layout.n == 0:
        return
    W = model.config.n_ctx
    H = W // 2
    L = layout.stream_len
    lengths = layout.lengths
    runner = _Incremental(model, layout.n_streams)
    was_training = model.training
    model.eval()
    try:
        pos, k = 1, 0
        while pos <= L:
            o = 0 if k == 0 else k * H  # window k covers seq[o : o + W]
            logits = runner.prefill(torch.from_numpy(seq[:, o:pos]))
            end = min(o + W - 1, L)
            while True:
                probs = torch.softmax(logits.double(), dim=-1).numpy()
                active = lengths >= pos
                seq[active, pos] = choose(probs[active], active, pos)
                if progress is not None:
                    progress.update(int(active.sum()))
                if pos == end:
                    break
                logits = runner.step(torch.from_numpy(seq[:, pos]), pos - o)
                pos += 1
            pos += 1
            k += 1
    finally:
        model.train(was_training)


# ---------------------------------------------------------------------------------------------
# ideal code lengths
# ---------------------------------------------------------------------------------------------


def _check_model(model: object) -> ByteTransformer:
    if not isinstance(model, ByteTransformer):
        raise TypeError(f"model must be a scalingzip ByteTransformer, got {type(model).__name__}")
    if model.config.n_ctx < 4:
        raise ValueError(f"the sliding window needs n_ctx >= 4, got {model.config.n_ctx}")
    return model


def _as_model(model: object) -> ByteTransformer:
    """A model, or a model file's path (loaded and checked by :func:`~.model_files.load_model`)."""
    if isinstance(model, (str, os.PathLike)):
        model, _ = load_model(model)
    return _check_model(model)


@torch.no_grad()
def byte_code_lengths(model: ByteTransformer, data: bytes, *, layout: StreamLayout | None = None) -> np.ndarray:
    """The ideal code length of every byte, ``-log2 p(x_t | context)``, in bits, in data order.

    The contexts are exactly those :func:`lm_encode` uses (same streams, same sliding windows),
    but each window is computed in one batched pass, so this is much faster than coding. The
    coded size is this sum plus a few bytes (up to float rounding in the last digits).
    """
    model = _check_model(model)
    data = as_bytes(data)
    layout = layout or stream_layout(len(data))
    if layout.n == 0:
        return np.zeros(0)
    W, H, L = model.config.n_ctx, model.config.n_ctx // 2, layout.stream_len
    seq = torch.from_numpy(layout.split(data))
    bits = torch.zeros(layout.n_streams, L + 1, dtype=torch.float64)
    was_training = model.training
    model.eval()
    try:
        with one_thread():
            k = 0
            while True:
                o = 0 if k == 0 else k * H
                first = 1 if k == 0 else o + H  # first position this window predicts
                if first > L:
                    break
                end = min(o + W - 1, L)
                logp = torch.log_softmax(model(seq[:, o:end]).double(), dim=-1)  # predicts o+1..end
                targets = seq[:, first : end + 1]
                got = logp[:, first - o - 1 :].gather(-1, targets[..., None])[..., 0]
                bits[:, first : end + 1] = -got / math.log(2)
                k += 1
    finally:
        model.train(was_training)
    mask = torch.arange(L + 1)[None, :] <= torch.from_numpy(layout.lengths)[:, None]
    mask[:, 0] = False
    return bits[mask].numpy()


def code_length_bits(model: ByteTransformer, data: bytes) -> float:
    """Ideal code length of ``data`` under ``model``, in bits: ``byte_code_lengths(...).sum()``."""
    return float(byte_code_lengths(model, data).sum())


# ---------------------------------------------------------------------------------------------
# exact coding with a fixed model
# ---------------------------------------------------------------------------------------------


def _constriction():
    import constriction

    return constriction


@dataclass(frozen=True)
class LMStream:
    """A coded stream, the layout it was coded with, and its ideal length ``sum(-log2 p)``."""

    stream: bytes
    layout: StreamLayout
    ideal_bits: float


def lm_encode(model: ByteTransformer, data: bytes, *, progress: bool = False) -> LMStream:
    """Code ``data`` exactly with a fixed model (see the module docstring for the guarantees)."""
    model = _check_model(model)
    data = as_bytes(data)
    layout = stream_layout(len(data))
    c = _constriction()
    encoder = c.stream.queue.RangeEncoder()
    family = c.stream.model.Categorical(perfect=False)
    seq = layout.split(data)
    truth = seq.copy()
    ideal = [0.0]

    def choose(probs: np.ndarray, active: np.ndarray, pos: int) -> np.ndarray:
        symbols = truth[active, pos]
        encoder.encode(symbols.astype(np.int32), family, probs)
        ideal[0] -= float(np.log2(probs[np.arange(len(symbols)), symbols]).sum())
        return symbols

    with one_thread(), tqdm(total=len(data), unit="B", unit_scale=True, disable=not progress, desc="encode") as bar:
        walk_streams(model, layout, seq, choose, bar)
    return LMStream(encoder.get_compressed().astype("<u4").tobytes(), layout, ideal[0])


def lm_decode(model: ByteTransformer, stream: bytes, n: int, *, progress: bool = False) -> bytes:
    """Decode ``n`` bytes coded by :func:`lm_encode` with the same model.

    Raises:
        ValueError: if the stream is not whole 32-bit words, or it runs out or has two or more
            words left over (truncated or corrupt). The container's stored payload length catches
            any trailing bytes, and its CRC-32 any wrong byte that decodes.
    """
    model = _check_model(model)
    stream = as_bytes(stream, "stream")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    if len(stream) % 4:
        raise ValueError(f"stream has {len(stream)} bytes, not whole 32-bit words: it is truncated or corrupt")
    layout = stream_layout(int(n))
    c = _constriction()
    decoder = c.stream.queue.RangeDecoder(np.frombuffer(stream, dtype="<u4").astype(np.uint32))
    family = c.stream.model.Categorical(perfect=False)
    seq = layout.split(bytes(int(n)))

    def choose(probs: np.ndarray, active: np.ndarray, pos: int) -> np.ndarray:
        return np.asarray(decoder.decode(family, probs), dtype=np.int64)

    try:
        with one_thread(), tqdm(total=int(n), unit="B", unit_scale=True, disable=not progress, desc="decode") as bar:
            walk_streams(model, layout, seq, choose, bar)
    except (ValueError, AssertionError, RuntimeError) as err:
        raise ValueError(f"stream is truncated or corrupt: the range decoder failed ({err})") from None
    if not decoder.maybe_exhausted():
        raise ValueError("stream has words left after the last byte: it is corrupt or has trailing data")
    return layout.join(seq)


def _probe_crc(model: ByteTransformer) -> int:
    """CRC-32 of the model's coding probabilities on a fixed text: equal iff the numerics agree."""
    text = (PROBE_TEXT * 8)[: 2 * model.config.n_ctx + 7]
    layout = stream_layout(len(text), min_stream_bytes=len(text) // 2)
    seq = layout.split(text)
    truth = seq.copy()
    crc = [0]

    def choose(probs: np.ndarray, active: np.ndarray, pos: int) -> np.ndarray:
        crc[0] = zlib.crc32(probs.tobytes(), crc[0])
        return truth[active, pos]

    with one_thread():
        walk_streams(model, layout, seq, choose)
    return crc[0]


# ---------------------------------------------------------------------------------------------
# the lm compressor: the stream in the container, with the model's shape and checks
# ---------------------------------------------------------------------------------------------

_CONFIG_FIELDS = ("n_layer", "d_model", "n_head", "n_ctx", "d_ff", "vocab_size")
SHAPE_FIELDS = tuple(f"model_{k}" for k in _CONFIG_FIELDS)  # a transformer's shape as header fields


def shape_fields(config: TransformerConfig) -> dict[str, int]:
    """A transformer's shape as the header fields :data:`SHAPE_FIELDS` (``d_ff=None`` stored as 0)."""
    d = asdict(config)
    return {f"model_{k}": (0 if d[k] is None else int(d[k])) for k in _CONFIG_FIELDS}


def shape_from_fields(params: dict[str, int]) -> TransformerConfig:
    """Invert :func:`shape_fields`."""
    d = {k: params[f"model_{k}"] for k in _CONFIG_FIELDS}
    d["d_ff"] = d["d_ff"] or None
    return TransformerConfig(**d)


def _encode(data: bytes, *, model: object, progress: bool = False) -> Encoded:
    model = _as_model(model)
    coded = lm_encode(model, data, progress=progress)
    digest = weights_checksum(model)
    fields = {**shape_fields(model.config), "model_sha_hi": int(digest[:8], 16),
              "model_sha_lo": int(digest[8:16], 16), "probe_crc": _probe_crc(model)}
    return Encoded(fields, data, coded.stream)


def _check_same_model(params: dict[str, int], model: ByteTransformer) -> None:
    stored = shape_from_fields(params)
    if stored != model.config:
        raise ValueError(f"this file was compressed with a model of shape {stored}, not {model.config}; "
                         "pass the model file it was compressed with")
    digest = weights_checksum(model)
    if (int(digest[:8], 16), int(digest[8:16], 16)) != (params["model_sha_hi"], params["model_sha_lo"]):
        raise ValueError("the model's checksum differs from the one the file was compressed with: "
                         "same shape, other weights; pass the model file it was compressed with")
    if _probe_crc(model) != params["probe_crc"]:
        raise ValueError("this machine computes the model's probabilities differently from the machine that "
                         "compressed the file (another CPU, PyTorch build, library or scalingzip version); "
                         "decoding would produce garbage, so it is refused. Decompress on a machine like the "
                         "one that compressed it.")



def _decode(header: Header, *, model: object, progress: bool = False) -> tuple[bytes, bytes]:
    model = _as_model(model)
    _check_same_model(header.params, model)
    data = lm_decode(model, header.payload, header.n, progress=progress)
    return data, data


def compress_with_model(data: bytes, model: ByteTransformer, *, progress: bool = False) -> bytes:
    """Compress ``data`` with a pretrained model into the ``SZIP`` container (compressor ``"lm"``).

    The header stores the model's shape, the first 64 bits of its
    :func:`~scalingzip.nn.determinism.weights_checksum`, the probe CRC, the length and the CRC-32
    of the data; the weights themselves are not stored. Data the model cannot compress (random
    bytes cost a text model more than 8 bits each) is stored as it is instead (compressor
    ``"stored"``), so nothing grows by more than the header.
    """
    return compress(data, "lm", model=model, fallback=True, progress=progress)


def decompress_with_model(blob: bytes, model: ByteTransformer, *, progress: bool = False) -> bytes:
    """Invert :func:`compress_with_model`; the model must be the one it was compressed with."""
    name = read_header(blob).name
    if name not in ("lm", "stored"):
        raise ValueError(f"this blob was made by the {name!r} compressor, not a pretrained language model; "
                         "use scalingzip.compressors.decompress")
    return decompress(blob, model=_check_model(model), progress=progress)


register(Compressor(
    name="lm", takes="bytes", needs=("model",), decode_needs=("model",), encode=_encode, decode=_decode,
    fields=tuple((k, 0) for k in (*SHAPE_FIELDS, "model_sha_hi", "model_sha_lo", "probe_crc")),
    description="a pretrained byte-level transformer (needs model=, a ByteTransformer or its file from train-lm)"))
