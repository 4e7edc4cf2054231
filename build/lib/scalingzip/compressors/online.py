"""Online (prequential) coding: a transformer that learns while it codes, and sends no weights.

The model starts from a seed, codes a block with :func:`~scalingzip.compressors.lm.lm_encode`,
trains on everything coded so far, codes the next block, and so on; the decoder replays the same
training, so no weights are sent and the code length is the area under the online loss curve
(Blier & Ollivier 2018). Blocks double in size up to a maximum (:class:`OnlineConfig`).

Encoder and decoder train on one thread (:func:`~scalingzip.nn.determinism.one_thread`), so their
weights agree to the last bit; each block records a CRC-32 of the weights after its training
round, so a decoder whose training drifts (another machine's floats) stops at once with a clear
message instead of decoding garbage.

:func:`prequential_encode` returns the blob and each block's size and ideal bits;
:func:`prequential_decode` inverts it. As a registered compressor: ``compress(data, "lm-online",
preset="30k")``.

References:
    A. P. Dawid (1984), "Statistical theory: the prequential approach", JRSS A 147(2).
    L. Blier and Y. Ollivier (2018), "The description length of deep learning models", NeurIPS.
    F. Bellard (2019, 2021), NNCP: lossless data compression with neural networks (technical
    reports, bellard.org/nncp).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from scalingzip.coding import container
from scalingzip.coding.container import Header
from scalingzip.compressors import Compressor, Encoded, as_bytes, read_header, register
from scalingzip.compressors.lm import SHAPE_FIELDS, lm_decode, lm_encode, shape_fields, shape_from_fields
from scalingzip.nn.determinism import one_thread, weights_crc32
from scalingzip.nn.transformer import PRESETS, ByteTransformer, TransformerConfig, build_model

__all__ = ["BLOCK_HEADER_BYTES", "OnlineConfig", "PrequentialResult", "prequential_decode", "prequential_encode"]


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
    return {**shape_fields(config), "first_block": online.first_block, "max_block": online.max_block,
            "steps_per_kib_x1000": round(online.steps_per_kib * 1000), "batch_size": online.batch_size,
            "seq_len": online.seq_len, "lr_x1e6": round(online.lr * 1e6), "seed": online.seed}


def _online_from_params(p: dict[str, int]) -> tuple[TransformerConfig, OnlineConfig]:
    return shape_from_fields(p), OnlineConfig(
        first_block=p["first_block"], max_block=p["max_block"], steps_per_kib=p["steps_per_kib_x1000"] / 1000,
        batch_size=p["batch_size"], seq_len=p["seq_len"], lr=p["lr_x1e6"] / 1e6, seed=p["seed"])


_BLOCK_HEAD = struct.Struct(">II")  # coded bytes of the block, CRC-32 of the weights after training on it
BLOCK_HEADER_BYTES = _BLOCK_HEAD.size  # what each block of an online code adds to its coded stream


def _code_blocks(data: bytes, config: TransformerConfig | str, online: OnlineConfig,
                 progress: bool) -> tuple[Encoded, PrequentialResult]:
    """The online code of ``data``: the container's fields and payload, and each block's size and bits."""
    model, opt = _online_model(config, online)
    blocks = _blocks(len(data), online)
    flat = np.frombuffer(data, dtype=np.uint8)
    payload, sizes, bits = bytearray(), [], []
    with one_thread(), tqdm(total=len(data), unit="B", unit_scale=True, disable=not progress, desc="online") as bar:
        for b, (s, e) in enumerate(blocks):
            coded = lm_encode(model, data[s:e])
            if e < len(data):
                _train_round(model, opt, flat[:e], _steps_for((s, e), online), online, b)
            payload += _BLOCK_HEAD.pack(len(coded.stream), weights_crc32(model)) + coded.stream
            sizes.append(len(coded.stream))
            bits.append(coded.ideal_bits)
            bar.update(e - s)
    encoded = Encoded(_online_params(model.config, online), data, bytes(payload))
    return encoded, PrequentialResult(b"", blocks, sizes, bits)


def _encode(data: bytes, *, preset: TransformerConfig | str = "30k", online: OnlineConfig | None = None,
            progress: bool = False) -> Encoded:
    if isinstance(preset, str) and preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    return _code_blocks(data, preset, online or OnlineConfig(), progress)[0]


def _decode(header: Header, *, progress: bool = False) -> tuple[bytes, bytes]:
    try:
        config, online = _online_from_params(header.params)
    except (KeyError, ValueError, TypeError) as err:
        raise ValueError(f"corrupt header: the online-coding parameters are invalid ({err})") from None
    model, opt = _online_model(config, online)
    out = bytearray()
    payload, at = header.payload, 0
    with one_thread(), tqdm(total=header.n, unit="B", unit_scale=True, disable=not progress, desc="online") as bar:
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
            if weights_crc32(model) != crc:
                raise ValueError(
                    f"after block {b} the decoder's weights differ from the encoder's (CRC-32 mismatch): either the "
                    "file is corrupt or this machine trains with different floating-point results (another CPU, "
                    "PyTorch build or library). Decompress on a machine like the one that compressed it.")
            bar.update(e - s)
    if at != len(payload):
        raise ValueError(f"payload has {len(payload) - at} byte(s) after the last block: corrupt or trailing data")
    return bytes(out), bytes(out)


def prequential_encode(data: bytes, config: TransformerConfig | str = "30k", online: OnlineConfig | None = None,
                       *, progress: bool = False) -> PrequentialResult:
    """Code ``data`` online: code a block, train on all bytes so far, code the next block, ...

    The first block is coded by the untrained, seeded model. Nothing about the weights is sent
    except a CRC-32 after each training round, which lets the decoder notice at once if its
    training drifted from the encoder's (another machine's floats). The blob is the one
    ``compress(data, "lm-online", preset=config, online=online)`` writes; the result adds each
    block's bounds, coded bytes and ideal bits.
    """
    data = as_bytes(data)
    coded, result = _code_blocks(data, config, online or OnlineConfig(), progress)
    blob = container.pack("lm-online", coded.fields, coded.data, coded.payload)
    return PrequentialResult(blob, result.blocks, result.block_bytes, result.block_bits)


def prequential_decode(blob: bytes, *, progress: bool = False) -> bytes:
    """Invert :func:`prequential_encode` by replaying its training; the blob says how."""
    header = read_header(blob)
    if header.name != "lm-online":
        raise ValueError(f"this blob was made by the {header.name!r} compressor, not online language-model coding")
    return container.check_output(_decode(header, progress=progress)[0], header)


_FIELDS = (*SHAPE_FIELDS, "first_block", "max_block", "steps_per_kib_x1000", "batch_size", "seq_len", "lr_x1e6", "seed")
register(Compressor(
    name="lm-online", takes="bytes", options=("preset", "online"), encode=_encode, decode=_decode,
    fields=tuple((k, 0) for k in _FIELDS),
    description="a byte-level transformer that learns while it codes, no weights sent (preset=, default 30k; slow)"))
