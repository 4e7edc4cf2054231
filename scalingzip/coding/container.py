"""A self-describing compressed format: header, checksums, and an arithmetic-coded payload.

``compress(data, model="ppm", order=5)`` codes ``data`` with one of the models of
:mod:`scalingzip.coding.adaptive` and wraps the stream in a header that names everything the
decoder needs, so ``decompress(blob)`` takes no other argument. Layout (integers big-endian)::

    offset  size  field
    0       4     magic b"SZIP"
    4       1     format version (2)
    5       1     m = length of the model name (1..32)
    6       m     model name, ASCII
    .       1     k = number of model parameters
    .       ...   k times: 1-byte name length, ASCII name, 4-byte unsigned value
    .       8     original length in bytes
    .       4     CRC-32 of the original bytes (zlib.crc32)
    .       8     payload length in bytes
    .       4     CRC-32 of the payload
    .       4     CRC-32 of every header byte above
    .       ...   payload: the model's side information, if any, then the coded stream

Nothing wrong is ever returned: the header has its own CRC-32 (so a damaged length or parameter
is reported as such, not acted upon), the payload length must match the bytes present, the payload
must match its CRC-32 before any of it is decoded (so every single-bit flip anywhere in a blob is
reported, even one that would happen to decode to the right bytes), the range decoder must end
exactly at the end of its stream, and the output must match the length and CRC-32 stored at
compression time. Every failure is a ``ValueError`` that says what is wrong. Version 1 blobs,
which had no payload CRC, are refused with a message saying so.

References:
    P. Deutsch (1996), RFC 1952 "GZIP file format specification version 4.3" (magic bytes,
    CRC-32 of the data, original length).
    W. W. Peterson and D. T. Brown (1961), "Cyclic codes for error detection", Proceedings of
    the IRE 49(1) (a CRC detects every single-bit error and every burst of up to its width).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .arithmetic import ArithmeticDecoder, ArithmeticEncoder, quantize_probabilities
from .adaptive import AdaptiveModel, Model, PPMModel, decode_with_model

__all__ = ["FORMAT_VERSION", "MAGIC", "MODELS", "PYTORCH_MODELS", "Header", "ModelSpec", "check_output", "compress", "decompress",
           "pack", "unpack"]

MAGIC = b"SZIP"
FORMAT_VERSION = 2  # 2 added the payload's CRC-32; version 1 blobs are refused with a clear message
_STATIC_TABLE = struct.Struct(">256H")  # the static model's 256 frequencies, summing to 2**16


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    """A model that :func:`compress` can use, with its parameters as stored in the header."""

    name: str  # as passed to compress(model=...)
    defaults: tuple[tuple[str, int], ...]  # (parameter, default value), in header order
    description: str  # one line for tables and error messages


MODELS: dict[str, ModelSpec] = {
    "stored": ModelSpec(
        name="stored",
        defaults=(),
        description="the bytes as they are: what a coder falls back to when its code would be longer",
    ),
    "static": ModelSpec(
        name="static",
        defaults=(),
        description="semi-static order-0: byte counts quantised to 2**16, stored in 512 bytes, then coded",
    ),
    "order0": ModelSpec(
        name="order0",
        defaults=(("increment", 32), ("max_total", 1 << 16)),
        description="adaptive order-0 byte counts (AdaptiveModel)",
    ),
    "ppm": ModelSpec(
        name="ppm",
        defaults=(("order", 5), ("max_total", 1 << 12)),
        description="PPMD over the previous `order` bytes, with exclusions (PPMModel)",
    ),
    "mixing": ModelSpec(
        name="mixing",
        defaults=(("table_bits", 0),),
        description="online context mixing: order-0..8, word and match models, a neural mixer (mixing.py)",
    ),
    # Written by scalingzip.compressors.lm, which needs a PyTorch model; the parameters are its shape and checks.
    "lm": ModelSpec(
        name="lm",
        defaults=tuple((k, 0) for k in (
            "model_n_layer", "model_d_model", "model_n_head", "model_n_ctx", "model_d_ff", "model_vocab_size",
            "model_sha_hi", "model_sha_lo", "probe_crc")),
        description="a pretrained byte-level transformer (scalingzip.compressors.lm.compress_with_model)",
    ),
    "lm-online": ModelSpec(
        name="lm-online",
        defaults=tuple((k, 0) for k in (
            "model_n_layer", "model_d_model", "model_n_head", "model_n_ctx", "model_d_ff", "model_vocab_size",
            "first_block", "max_block", "steps_per_kib_x1000", "batch_size", "seq_len", "lr_x1e6", "seed")),
        description="a byte-level transformer trained while it codes (scalingzip.compressors.lm.prequential_encode)",
    ),
    # Written by scalingzip.nn.pixel_model: images (uint8, raster order) coded by a pretrained pixel model.
    "pixels": ModelSpec(
        name="pixels",
        defaults=tuple((k, 0) for k in (
            "levels", "height", "width", "radius", "hidden", "layers", "model_sha_hi", "model_sha_lo")),
        description="images coded by a pretrained autoregressive pixel model (scalingzip.nn.pixel_model.compress_images)",
    ),
    # Written by scalingzip.nn.pruning: a network's own weights (masks, quantised values, the rest).
    "weights": ModelSpec(
        name="weights",
        defaults=tuple((k, 0) for k in ("method", "bits", "n_layers", "n_params")),
        description="a network's weights, pruned, quantised and arithmetic-coded (scalingzip.nn.pruning.encode_weights)",
    ),
}
# models whose blobs need PyTorch: (the function that writes them, the function that reads them)
PYTORCH_MODELS = {
    "lm": ("scalingzip.compressors.lm.compress_with_model", "scalingzip.compressors.lm.decompress_with_model"),
    "lm-online": ("scalingzip.compressors.lm.prequential_encode", "scalingzip.compressors.lm.prequential_decode"),
    "pixels": ("scalingzip.nn.pixel_model.compress_images", "scalingzip.nn.pixel_model.decompress_images"),
    "weights": ("scalingzip.nn.pruning.encode_weights", "scalingzip.nn.pruning.decode_weights"),
}

_ADAPTIVE_FACTORIES: dict[str, Callable[..., Model]] = {
    "order0": lambda **p: AdaptiveModel(256, **p),
    "ppm": lambda **p: PPMModel(**p),
}


def _resolve_params(model: str, params: dict) -> dict[str, int]:
    if not isinstance(model, str):
        raise TypeError(f"model must be a str, one of {sorted(MODELS)}; got {type(model).__name__}")
    spec = MODELS.get(model)
    if spec is None:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(sorted(MODELS))}")
    allowed = dict(spec.defaults)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        names = ", ".join(allowed) or "none"
        raise ValueError(f"model {model!r} takes no parameter {unknown[0]!r}; its parameters are: {names}")
    resolved = {**allowed, **params}
    for name, value in resolved.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"parameter {name} must be an int, got {type(value).__name__}")
        if not 0 <= value < 1 << 32:
            raise ValueError(f"parameter {name}={value} does not fit the header's 32-bit unsigned field")
    return {k: int(v) for k, v in resolved.items()}


def _encode_payload(data: bytes, model: str, params: dict[str, int], progress: bool = False) -> bytes:
    if model == "stored":
        return data
    if model == "static":
        counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
        freqs = quantize_probabilities(counts if counts.any() else np.ones(256), 16)
        encoder = ArithmeticEncoder()
        encoder.encode_symbols(data, freqs)
        return _STATIC_TABLE.pack(*freqs.tolist()) + encoder.finish()
    if model == "mixing":
        from .mixing import mixing_encode  # Numba loads only when this model is used

        return mixing_encode(data, table_bits=params["table_bits"], progress=progress).stream
    m = _ADAPTIVE_FACTORIES[model](**params)
    encoder = ArithmeticEncoder()
    m.encode_all(data, encoder)
    return encoder.finish()


def _decode_payload(payload: bytes, n: int, model: str, params: dict[str, int], progress: bool = False) -> bytes:
    if model == "stored":
        return payload
    if model == "static":
        if len(payload) < _STATIC_TABLE.size:
            raise ValueError("truncated payload: the static model's frequency table is incomplete")
        freqs = _STATIC_TABLE.unpack_from(payload)
        if min(freqs) < 1 or sum(freqs) != 1 << 16:
            raise ValueError("corrupt payload: the static model's frequencies must be >= 1 and sum to 65536")
        decoder = ArithmeticDecoder(payload[_STATIC_TABLE.size :])
        out = decoder.decode_symbols(n, freqs)
        decoder.finish()
        return bytes(out)
    if model == "mixing":
        from .mixing import mixing_decode

        try:
            return mixing_decode(payload, n, table_bits=params["table_bits"], progress=progress)
        except TypeError as err:
            raise ValueError(f"corrupt header: {err}") from None
    if model in PYTORCH_MODELS:
        raise ValueError(f"this blob was made by the {model!r} model, which needs PyTorch: decompress it with "
                         f"{PYTORCH_MODELS[model][1]}" + (" (or python -m scalingzip decompress)" if model.startswith("lm") else ""))
    try:
        m = _ADAPTIVE_FACTORIES[model](**params)
    except (TypeError, ValueError) as err:
        raise ValueError(f"header holds a parameter this model refuses: {err}") from None
    return bytes(decode_with_model(payload, n, m))


def compress(data: bytes, model: str = "ppm", *, progress: bool = False, **params: int) -> bytes:
    """Compress bytes losslessly with an arithmetic coder driven by ``model``.

    Args:
        data: the bytes to compress (``bytes``, ``bytearray`` or ``memoryview``); may be empty.
        model: a key of :data:`MODELS`: ``"static"``, ``"order0"``, ``"ppm"`` or ``"mixing"``
            (``"lm"`` and ``"lm-online"`` are written by :mod:`scalingzip.compressors.lm`).
        **params: the model's integer parameters (see ``MODELS[model].defaults``), e.g.
            ``order=3`` for ``"ppm"``. Omitted ones take their defaults; all are stored.
            For ``"mixing"``, ``table_bits`` defaults to a size suited to the input.
        progress: show a progress bar (the ``"mixing"`` model only).

    Returns:
        The blob: header (see the module docstring) followed by the payload.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}; encode text first (s.encode('utf-8'))")
    data = bytes(data)
    if model in PYTORCH_MODELS:
        raise ValueError(f"model {model!r} needs a PyTorch model: use {PYTORCH_MODELS[model][0]}")
    if model == "mixing" and not params.get("table_bits"):
        from .mixing import table_bits_for

        params = {**params, "table_bits": table_bits_for(len(data))}
    resolved = _resolve_params(model, params)
    if model in _ADAPTIVE_FACTORIES:
        _ADAPTIVE_FACTORIES[model](**resolved)  # let the model check its parameters before any work
    return pack(model, resolved, data, _encode_payload(data, model, resolved, progress))


def pack(model: str, params: dict[str, int], data: bytes, payload: bytes) -> bytes:
    """Wrap a payload coded from ``data`` by ``model`` in the header (for coders outside this module).

    ``params`` must name exactly the parameters of ``MODELS[model]``, in any order.
    """
    resolved = _resolve_params(model, params)
    name = model.encode("ascii")
    header = bytearray(MAGIC)
    header += struct.pack(">BB", FORMAT_VERSION, len(name)) + name
    header += struct.pack(">B", len(resolved))
    for key, value in resolved.items():
        k = key.encode("ascii")
        header += struct.pack(">B", len(k)) + k + struct.pack(">I", value)
    header += struct.pack(">QIQI", len(data), zlib.crc32(data), len(payload), zlib.crc32(payload))
    header += struct.pack(">I", zlib.crc32(header))
    return bytes(header) + payload


class _Reader:
    """Reads header fields in order, turning a short blob into a 'truncated header' error."""

    def __init__(self, blob: bytes) -> None:
        self.blob, self.pos = blob, 0

    def take(self, n: int, what: str) -> bytes:
        if self.pos + n > len(self.blob):
            raise ValueError(f"truncated header: the blob ends inside the {what} field")
        out = self.blob[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint(self, fmt: str, what: str) -> int:
        s = struct.Struct(">" + fmt)
        return s.unpack(self.take(s.size, what))[0]


@dataclass(frozen=True)
class Header:
    """What :func:`unpack` read and checked: the model, its parameters, the data's length and CRC."""

    model: str
    params: dict[str, int]
    n: int
    crc: int
    payload: bytes


def unpack(blob: bytes) -> Header:
    """Read and check the header of a blob; the payload is returned undecoded.

    Raises:
        TypeError: if ``blob`` is not bytes-like.
        ValueError: on bad magic, an unsupported version, a damaged header (CRC mismatch), an
            unknown model or parameter, a truncated payload, trailing bytes or a damaged payload
            (CRC mismatch).
    """
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise TypeError(f"blob must be bytes from compress(), got {type(blob).__name__}")
    blob = bytes(blob)
    rd = _Reader(blob)
    if rd.take(len(MAGIC), "magic") != MAGIC:
        raise ValueError(f"bad magic: this is not a scalingzip blob (it should start with {MAGIC!r})")
    version = rd.uint("B", "version")
    if version < FORMAT_VERSION:
        raise ValueError(f"made by an older version of scalingzip (format {version}, without a payload checksum); "
                         f"this code reads format {FORMAT_VERSION}: decompress it with the version that made it")
    if version != FORMAT_VERSION:
        raise ValueError(f"unsupported format version {version}; this code reads version {FORMAT_VERSION}")
    name = rd.take(rd.uint("B", "model name length"), "model name")
    params_raw = []
    for _ in range(rd.uint("B", "parameter count")):
        key = rd.take(rd.uint("B", "parameter name length"), "parameter name")
        params_raw.append((key, rd.uint("I", "parameter value")))
    n, data_crc, n_payload = rd.uint("Q", "original length"), rd.uint("I", "data CRC"), rd.uint("Q", "payload length")
    payload_crc = rd.uint("I", "payload CRC")
    header_end = rd.pos
    if rd.uint("I", "header CRC") != zlib.crc32(blob[:header_end]):
        raise ValueError("corrupt header: its CRC-32 does not match")
    try:
        model = name.decode("ascii")
        params = {key.decode("ascii"): value for key, value in params_raw}
    except UnicodeDecodeError:
        raise ValueError("corrupt header: model or parameter name is not ASCII") from None
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r} in header; this code knows {', '.join(sorted(MODELS))}")
    expected = [k for k, _ in MODELS[model].defaults]
    if list(params) != expected:
        raise ValueError(f"header gives model {model!r} parameters {list(params)}; expected {expected}")
    payload = blob[rd.pos :]
    if len(payload) < n_payload:
        raise ValueError(f"truncated payload: header says {n_payload} bytes, only {len(payload)} present")
    if len(payload) > n_payload:
        raise ValueError(f"trailing garbage: {len(payload) - n_payload} byte(s) after the payload")
    if zlib.crc32(payload) != payload_crc:
        raise ValueError("corrupt payload: its CRC-32 does not match (the coded bytes were damaged)")
    return Header(model, params, n, data_crc, payload)


def check_output(data: bytes, header: Header) -> bytes:
    """Return ``data`` if its length and CRC-32 are the header's, else raise ``ValueError``."""
    if len(data) != header.n:
        raise ValueError(f"decoded {len(data)} bytes but the header says {header.n}; the blob is corrupt")
    if zlib.crc32(data) != header.crc:
        raise ValueError("CRC mismatch: the decoded bytes differ from the original; the payload is corrupt")
    return data


def decompress(blob: bytes, *, progress: bool = False) -> bytes:
    """Invert :func:`compress`; every check in the module docstring must pass.

    Raises:
        TypeError: if ``blob`` is not bytes-like.
        ValueError: on bad magic, an unsupported version, a damaged header (CRC mismatch), an
            unknown model or parameter, a truncated payload, trailing bytes, a payload that
            does not decode, or decoded bytes whose length or CRC-32 differs from the stored one.
    """
    header = unpack(blob)
    return check_output(_decode_payload(header.payload, header.n, header.model, header.params, progress), header)
