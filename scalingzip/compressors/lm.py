"""Language models as exact lossless compressors: ideal code lengths, exact coding, online coding.

A byte-level model gives, at every position, a distribution over the next byte; an arithmetic
coder turns those distributions into a code whose length is ``sum(-log2 p(x_t | x_<t))`` plus a
few bytes. This module does that for real, with three guarantees:

* **The decoder sees exactly the encoder's probabilities, by construction.** Both sides run one
  function, :func:`_walk`, which feeds the same tokens through the same incremental computation
  (a key/value cache) in the same batch shapes on one CPU thread. The encoder reads each next byte
  from the data, the decoder from the coded stream; nothing else differs. Floating point is then
  deterministic, and the probabilities agree to the last bit.
* **Different numerics are detected, not decoded into garbage.** A file records a CRC-32 of the
  model's output on a fixed probe text (and, in online mode, of the weights after every training
  round); a machine whose PyTorch or CPU computes other floats refuses with a clear message.
* **Speed by batching.** The data is cut into up to 64 contiguous streams that are coded side by
  side, one byte of each per step, so a step costs one small matrix product per layer for all of
  them. The context is a sliding window: the model sees between ``n_ctx / 2`` and ``n_ctx - 1``
  previous bytes of its stream (the first window sees all it can).

Functions:

* :func:`byte_code_lengths` / :func:`code_length_bits`: the ideal code length, computed fast in
  whole windows (teacher forcing), for exactly the contexts the coder uses.
* :func:`lm_encode` / :func:`lm_decode`: exact coding with a fixed (pretrained) model, through
  constriction's range coder; :func:`compress_with_model` / :func:`decompress_with_model` wrap
  the stream in the checksummed ``SZIP`` container with the model's shape and checksum.
* :func:`prequential_encode` / :func:`prequential_decode`: online coding. The model starts from a
  seed, codes a block, trains on everything coded so far, codes the next block, and so on; the
  decoder replays the same training, so no weights are sent and the code length is the area under
  the online loss curve (Blier & Ollivier 2018).

References:
    A. P. Dawid (1984), "Statistical theory: the prequential approach", JRSS A 147(2).
    L. Blier and Y. Ollivier (2018), "The description length of deep learning models", NeurIPS.
    F. Bellard (2019, 2021), NNCP: lossless data compression with neural networks (technical
    reports, bellard.org/nncp).
    G. Delétang et al. (2024), "Language modeling is compression", ICLR.
"""

from __future__ import annotations

import hashlib
import math
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from scalingzip.coding import container
from scalingzip.nn.transformer import ByteTransformer, TransformerConfig, build_model

__all__ = [
    "BLOCK_HEADER_BYTES",
    "LMStream",
    "OnlineConfig",
    "PrequentialResult",
    "StreamLayout",
    "byte_code_lengths",
    "code_length_bits",
    "compress_with_model",
    "decompress_with_model",
    "lm_decode",
    "lm_encode",
    "load_model",
    "model_checksum",
    "pretrained_model_path",
    "prequential_decode",
    "prequential_encode",
    "save_model",
    "stream_layout",
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


@contextmanager
def _one_thread() -> Iterator[None]:
    """Run PyTorch on one thread (a thread count changes how sums are split, hence the floats)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


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
def _walk(model: ByteTransformer, layout: StreamLayout, seq: np.ndarray, choose: Chooser,
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


def _check_bytes(data: object, name: str = "data") -> bytes:
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes, got {type(data).__name__}; encode text first (s.encode('utf-8'))")
    return bytes(data)


@torch.no_grad()
def byte_code_lengths(model: ByteTransformer, data: bytes, *, layout: StreamLayout | None = None) -> np.ndarray:
    """The ideal code length of every byte, ``-log2 p(x_t | context)``, in bits, in data order.

    The contexts are exactly those :func:`lm_encode` uses (same streams, same sliding windows),
    but each window is computed in one batched pass, so this is much faster than coding. The
    coded size is this sum plus a few bytes (up to float rounding in the last digits).
    """
    model = _check_model(model)
    data = _check_bytes(data)
    layout = layout or stream_layout(len(data))
    if layout.n == 0:
        return np.zeros(0)
    W, H, L = model.config.n_ctx, model.config.n_ctx // 2, layout.stream_len
    seq = torch.from_numpy(layout.split(data))
    bits = torch.zeros(layout.n_streams, L + 1, dtype=torch.float64)
    was_training = model.training
    model.eval()
    try:
        with _one_thread():
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
    data = _check_bytes(data)
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

    with _one_thread(), tqdm(total=len(data), unit="B", unit_scale=True, disable=not progress, desc="encode") as bar:
        _walk(model, layout, seq, choose, bar)
    return LMStream(encoder.get_compressed().astype("<u4").tobytes(), layout, ideal[0])


def lm_decode(model: ByteTransformer, stream: bytes, n: int, *, progress: bool = False) -> bytes:
    """Decode ``n`` bytes coded by :func:`lm_encode` with the same model.

    Raises:
        ValueError: if the stream is not whole 32-bit words, or it runs out or has two or more
            words left over (truncated or corrupt). The container's stored payload length catches
            any trailing bytes, and its CRC-32 any wrong byte that decodes.
    """
    model = _check_model(model)
    stream = _check_bytes(stream, "stream")
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
        with _one_thread(), tqdm(total=int(n), unit="B", unit_scale=True, disable=not progress, desc="decode") as bar:
            _walk(model, layout, seq, choose, bar)
    except (ValueError, AssertionError, RuntimeError) as err:
        raise ValueError(f"stream is truncated or corrupt: the range decoder failed ({err})") from None
    if not decoder.maybe_exhausted():
        raise ValueError("stream has words left after the last byte: it is corrupt or has trailing data")
    return layout.join(seq)


def model_checksum(model: ByteTransformer) -> str:
    """SHA-256 (hex) of the model's shape and every parameter's bytes, in a fixed order."""
    return weights_checksum(_check_model(model))


def weights_checksum(module: torch.nn.Module) -> str:
    """SHA-256 (hex) of ``module.config`` (a dataclass) and every tensor of its state, in a fixed
    order: the check that a decoder holds the model an encoder used (any model with a config)."""
    h = hashlib.sha256(repr(sorted(asdict(module.config).items())).encode())
    for name, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().to("cpu").contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


MODEL_FORMAT = "scalingzip-lm"
MODEL_FORMAT_VERSION = 1


def save_model(model: ByteTransformer, path: str | os.PathLike, *, overwrite: bool = False, **meta: object) -> str:
    """Save a model with its shape, its checksum and ``meta`` (e.g. what it was trained on).

    Returns:
        The checksum (:func:`model_checksum`), which :func:`load_model` verifies.
    """
    model = _check_model(model)
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    digest = model_checksum(model)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    torch.save({"format": MODEL_FORMAT, "version": MODEL_FORMAT_VERSION, "config": asdict(model.config),
                "state_dict": state, "sha256": digest, "meta": dict(meta)}, path)
    return digest


PRETRAINED_MODEL_NAME = "lm-python-docs.pt"


def pretrained_model_path() -> Path:
    """Path of the course's pretrained model: ``models/lm-python-docs.pt`` in the checkout the package
    is installed from (editable install), found from any working directory.

    Raises:
        FileNotFoundError: if the checkout has no such file.
    """
    path = Path(__file__).resolve().parents[1] / "models" / PRETRAINED_MODEL_NAME
    if not path.is_file():
        raise FileNotFoundError(f"no pretrained model at {path}: it ships with the repository "
                                "(install the package from a checkout with pip install -e .), or make it "
                                f"with: python -m scalingzip train-lm {path}")
    return path


def load_model(path: str | os.PathLike) -> tuple[ByteTransformer, dict]:
    """Load a model written by :func:`save_model`; its weights must match the stored checksum.

    Returns:
        ``(model, meta)``; the model is in eval mode.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if the file is not a scalingzip model, or its weights do not match the checksum.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}; make one with: python -m scalingzip train-lm {path}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # pickle/zip errors differ by PyTorch version; all mean the same here
        raise ValueError(f"{path} is not a readable scalingzip model file ({type(err).__name__}: {err})") from None
    if not isinstance(blob, dict) or blob.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path} is not a scalingzip model file (no {MODEL_FORMAT!r} marker)")
    if blob.get("version") != MODEL_FORMAT_VERSION:
        raise ValueError(f"{path} has model-file version {blob.get('version')}; this code reads {MODEL_FORMAT_VERSION}")
    model = ByteTransformer(TransformerConfig(**blob["config"]))
    try:
        model.load_state_dict(blob["state_dict"])
    except RuntimeError as err:
        raise ValueError(f"{path}: the weights do not fit the stored shape ({err})") from None
    if model_checksum(model) != blob["sha256"]:
        raise ValueError(f"{path}: the weights do not match the stored SHA-256; the file is corrupt")
    model.eval()
    return model, dict(blob.get("meta", {}))


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

    with _one_thread():
        _walk(model, layout, seq, choose)
    return crc[0]


_CONFIG_FIELDS = ("n_layer", "d_model", "n_head", "n_ctx", "d_ff", "vocab_size")


def _config_params(config: TransformerConfig) -> dict[str, int]:
    d = asdict(config)
    return {f"model_{k}": (0 if d[k] is None else int(d[k])) for k in _CONFIG_FIELDS}


def _config_from_params(params: dict[str, int]) -> TransformerConfig:
    d = {k: params[f"model_{k}"] for k in _CONFIG_FIELDS}
    d["d_ff"] = d["d_ff"] or None
    return TransformerConfig(**d)


def compress_with_model(data: bytes, model: ByteTransformer, *, progress: bool = False) -> bytes:
    """Compress ``data`` with a pretrained model into the ``SZIP`` container (model name ``"lm"``).

    The header stores the model's shape, the first 64 bits of :func:`model_checksum`, the probe
    CRC, the length and the CRC-32 of the data; the weights themselves are not stored. Data the
    model cannot compress (random bytes cost a text model more than 8 bits each) is stored as it
    is instead (model ``"stored"``), so nothing grows by more than the header.
    """
    model = _check_model(model)
    data = _check_bytes(data)
    coded = lm_encode(model, data, progress=progress)
    digest = model_checksum(model)
    params = {**_config_params(model.config), "model_sha_hi": int(digest[:8], 16),
              "model_sha_lo": int(digest[8:16], 16), "probe_crc": _probe_crc(model)}
    blob = container.pack("lm", params, data, coded.stream)
    stored = container.compress(data, "stored")
    return stored if len(stored) < len(blob) else blob


def _check_same_model(params: dict[str, int], model: ByteTransformer) -> None:
    stored = _config_from_params(params)
    if stored != model.config:
        raise ValueError(f"this file was compressed with a model of shape {stored}, not {model.config}; "
                         "pass the model file it was compressed with")
    digest = model_checksum(model)
    if (int(digest[:8], 16), int(digest[8:16], 16)) != (params["model_sha_hi"], params["model_sha_lo"]):
        raise ValueError("the model's checksum differs from the one the file was compressed with: "
                         "same shape, other weights; pass the model file it was compressed with")
    if _probe_crc(model) != params["probe_crc"]:
        raise ValueError("this machine computes the model's probabilities differently from the machine that "
                         "compressed the file (another CPU, PyTorch build, library or scalingzip version); "
                         "decoding would produce garbage, so it is refused. Decompress on a machine like the "
                         "one that compressed it.")


def decompress_with_model(blob: bytes, model: ByteTransformer, *, progress: bool = False) -> bytes:
    """Invert :func:`compress_with_model`; the model must be the one it was compressed with."""
    model = _check_model(model)
    header = container.unpack(blob)
    if header.model == "stored":
        return container.decompress(blob)
    if header.model != "lm":
        raise ValueError(f"this blob was made by the {header.model!r} model, not a pretrained language model; "
                         "use scalingzip.coding.decompress")
    _check_same_model(header.params, model)
    data = lm_decode(model, header.payload, header.n, progress=progress)
    return container.check_output(data, header)


# ---------------------------------------------------------------------------------------------
# online (prequential) coding: the model learns while it codes
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OnlineConfig:
    """How the model learns while coding. Encoder and decoder must use the same one."""

    first_block: int = 1024  # bytes coded by the untrained model
    max_block: int = 8192  # blocks double in size up to this
    steps_per_kib: float = 4.0  # optimizer steps after each block, per KiB of the block
    batch_size: int = 16  # windows per step, drawn from everything coded so far
    seq_len: int = 64  # bytes per window
    lr: float = 3e-3  # Adam learning rate, constant
    seed: int = 0  # seeds the initial weights and the windows

    def __post_init__(self) -> None:
        for name in ("first_block", "max_block", "batch_size", "seq_len"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.max_block < self.first_block:
            raise ValueError(f"max_block ({self.max_block}) must be >= first_block ({self.first_block})")
        if not self.steps_per_kib >= 0 or not self.lr > 0:
            raise ValueError("steps_per_kib must be >= 0 and lr > 0")
        if not isinstance(self.seed, int) or not 0 <= self.seed < 1 << 32:
            raise ValueError(f"seed must be an int in [0, 2**32), got {self.seed!r}")


def _blocks(n: int, online: OnlineConfig) -> list[tuple[int, int]]:
    out, start, size = [], 0, online.first_block
    while start < n:
        out.append((start, min(n, start + size)))
        start += size
        size = min(2 * size, online.max_block)
    return out


def _params_crc(model: ByteTransformer) -> int:
    crc = 0
    for _, tensor in sorted(model.state_dict().items()):
        crc = zlib.crc32(tensor.detach().contiguous().numpy().tobytes(), crc)
    return crc


def _train_round(model: ByteTransformer, opt: torch.optim.Optimizer, seen: np.ndarray, steps: int,
                 online: OnlineConfig, block: int) -> list[float]:
    rng = np.random.default_rng([online.seed, block])
    T = min(online.seq_len, model.config.n_ctx, len(seen) - 1)
    losses: list[float] = []
    if T < 1:  # one byte seen: nothing to learn from yet
        return losses
    model.train()
    for _ in range(steps):
        starts = rng.integers(0, len(seen) - T, size=online.batch_size)
        windows = torch.from_numpy(np.stack([seen[s : s + T + 1] for s in starts]).astype(np.int64))
        logits = model(windows[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.detach()) / math.log(2))
    model.eval()
    return losses


@dataclass(frozen=True)
class PrequentialResult:
    """An online code: the blob, and per block its bounds, coded bytes and ideal bits."""

    blob: bytes
    blocks: list[tuple[int, int]]
    block_bytes: list[int]  # bytes of each block's coded stream
    block_bits: list[float]  # ideal bits of each block

    @property
    def bits_per_byte(self) -> float:
        n = self.blocks[-1][1] if self.blocks else 0
        return 8 * len(self.blob) / n if n else 0.0


def _online_model(config: TransformerConfig | str, online: OnlineConfig) -> tuple[ByteTransformer, torch.optim.Optimizer]:
    model = build_model(config, seed=online.seed)
    opt = torch.optim.Adam(model.parameters(), lr=online.lr, betas=(0.9, 0.98))
    return model, opt


def _steps_for(block: tuple[int, int], online: OnlineConfig) -> int:
    return math.ceil((block[1] - block[0]) / 1024 * online.steps_per_kib)


def _online_params(config: TransformerConfig, online: OnlineConfig) -> dict[str, int]:
    return {**_config_params(config), "first_block": online.first_block, "max_block": online.max_block,
            "steps_per_kib_x1000": round(online.steps_per_kib * 1000), "batch_size": online.batch_size,
            "seq_len": online.seq_len, "lr_x1e6": round(online.lr * 1e6), "seed": online.seed}


def _online_from_params(p: dict[str, int]) -> tuple[TransformerConfig, OnlineConfig]:
    return _config_from_params(p), OnlineConfig(
        first_block=p["first_block"], max_block=p["max_block"], steps_per_kib=p["steps_per_kib_x1000"] / 1000,
        batch_size=p["batch_size"], seq_len=p["seq_len"], lr=p["lr_x1e6"] / 1e6, seed=p["seed"])


_BLOCK_HEAD = struct.Struct(">II")  # coded bytes of the block, CRC-32 of the weights after training on it
BLOCK_HEADER_BYTES = _BLOCK_HEAD.size  # what each block of an online code adds to its coded stream


def prequential_encode(data: bytes, config: TransformerConfig | str = "30k", online: OnlineConfig | None = None,
                       *, progress: bool = False) -> PrequentialResult:
    """Code ``data`` online: code a block, train on all bytes so far, code the next block, ...

    The first block is coded by the untrained, seeded model. Nothing about the weights is sent
    except a CRC-32 after each training round, which lets the decoder notice at once if its
    training drifted from the encoder's (another machine's floats).
    """
    data = _check_bytes(data)
    online = online or OnlineConfig()
    model, opt = _online_model(config, online)
    blocks = _blocks(len(data), online)
    flat = np.frombuffer(data, dtype=np.uint8)
    payload, sizes, bits = bytearray(), [], []
    with _one_thread(), tqdm(total=len(data), unit="B", unit_scale=True, disable=not progress, desc="online") as bar:
        for b, (s, e) in enumerate(blocks):
            coded = lm_encode(model, data[s:e])
            if e < len(data):
                _train_round(model, opt, flat[:e], _steps_for((s, e), online), online, b)
            payload += _BLOCK_HEAD.pack(len(coded.stream), _params_crc(model)) + coded.stream
            sizes.append(len(coded.stream))
            bits.append(coded.ideal_bits)
            bar.update(e - s)
    blob = container.pack("lm-online", _online_params(model.config, online), data, bytes(payload))
    return PrequentialResult(blob, blocks, sizes, bits)


def prequential_decode(blob: bytes, *, progress: bool = False) -> bytes:
    """Invert :func:`prequential_encode` by replaying its training; the blob says how."""
    header = container.unpack(blob)
    if header.model != "lm-online":
        raise ValueError(f"this blob was made by the {header.model!r} model, not online language-model coding")
    try:
        config, online = _online_from_params(header.params)
    except (KeyError, ValueError, TypeError) as err:
        raise ValueError(f"corrupt header: the online-coding parameters are invalid ({err})") from None
    model, opt = _online_model(config, online)
    out = bytearray()
    payload, at = header.payload, 0
    with _one_thread(), tqdm(total=header.n, unit="B", unit_scale=True, disable=not progress, desc="online") as bar:
        for b, (s, e) in enumerate(_blocks(header.n, online)):
            if at + _BLOCK_HEAD.size > len(payload):
                raise ValueError(f"payload is truncated: block {b} is missing")
            size, crc = _BLOCK_HEAD.unpack_from(payload, at)
            at += _BLOCK_HEAD.size
            if at + size > len(payload):
                raise ValueError(f"payload is truncated inside block {b}")
            out += lm_decode(model, payload[at : at + size], e - s)
            at += size
            if e < header.n:
                _train_round(model, opt, np.frombuffer(bytes(out), dtype=np.uint8), _steps_for((s, e), online), online, b)
            if _params_crc(model) != crc:
                raise ValueError(
                    f"after block {b} the decoder's weights differ from the encoder's (CRC-32 mismatch): either the "
                    "file is corrupt or this machine trains with different floating-point results (another CPU, "
                    "PyTorch build or library). Decompress on a machine like the one that compressed it.")
            bar.update(e - s)
    if at != len(payload):
        raise ValueError(f"payload has {len(payload) - at} byte(s) after the last block: corrupt or trailing data")
    return container.check_output(bytes(out), header)
