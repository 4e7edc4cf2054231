"""The classical compressors: the coders of :mod:`scalingzip.coding`, each registered by name.

None of them needs anything learned in advance; each learns from the data as it codes (or, for
``static``, sends its table first). Their header fields are their integer parameters, e.g.
``compress(data, "ppm", order=3)``; omitted ones take their defaults, and all are stored, so
``decompress(blob)`` needs no argument.

* ``stored``: the bytes as they are; what :func:`scalingzip.compressors.compress` falls back to.
* ``static``: semi-static order 0: byte counts quantised to 2**16, stored in 512 bytes, then coded.
* ``order0``: adaptive order-0 counts (:class:`~scalingzip.coding.adaptive.AdaptiveModel`).
* ``ppm``: PPMD over the previous ``order`` bytes (:class:`~scalingzip.coding.adaptive.PPMModel`).
* ``mixing``: online context mixing (:mod:`scalingzip.coding.mixing`, compiled by Numba on first use).
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import numpy as np

from scalingzip.coding.adaptive import AdaptiveModel, Model, PPMModel, decode_with_model
from scalingzip.coding.arithmetic import ArithmeticDecoder, ArithmeticEncoder, quantize_probabilities
from scalingzip.coding.container import Header
from scalingzip.compressors import Compressor, Encoded, register

__all__: list[str] = []  # everything here is reached through scalingzip.compressors

_STATIC_TABLE = struct.Struct(">256H")  # the static model's 256 frequencies, summing to 2**16


def _resolve(fields: tuple[tuple[str, int], ...], params: dict) -> dict[str, int]:
    """The caller's parameters over the defaults, each checked to be an int."""
    resolved = {**dict(fields), **params}
    for name, value in resolved.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"parameter {name} must be an int, got {type(value).__name__}")
    return {k: int(v) for k, v in resolved.items()}


# --- stored and static -------------------------------------------------------------------------

def _encode_stored(data: bytes, *, progress: bool = False) -> Encoded:
    return Encoded({}, data, data)


def _decode_stored(header: Header, *, progress: bool = False) -> tuple[bytes, bytes]:
    return header.payload, header.payload


def _encode_static(data: bytes, *, progress: bool = False) -> Encoded:
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256)
    freqs = quantize_probabilities(counts if counts.any() else np.ones(256), 16)
    encoder = ArithmeticEncoder()
    encoder.encode_symbols(data, freqs)
    return Encoded({}, data, _STATIC_TABLE.pack(*freqs.tolist()) + encoder.finish())


def _decode_static(header: Header, *, progress: bool = False) -> tuple[bytes, bytes]:
    payload = header.payload
    if len(payload) < _STATIC_TABLE.size:
        raise ValueError("truncated payload: the static model's frequency table is incomplete")
    freqs = _STATIC_TABLE.unpack_from(payload)
    if min(freqs) < 1 or sum(freqs) != 1 << 16:
        raise ValueError("corrupt payload: the static model's frequencies must be >= 1 and sum to 65536")
    decoder = ArithmeticDecoder(payload[_STATIC_TABLE.size :])
    out = bytes(decoder.decode_symbols(header.n, freqs))
    decoder.finish()
    return out, out


# --- adaptive models: order 0 and PPM ------------------------------------------------------------

def _adaptive(fields: tuple[tuple[str, int], ...], factory: Callable[..., Model]) -> tuple[Callable, Callable]:
    """encode and decode for an adaptive model made by ``factory(**fields)``."""

    def encode(data: bytes, *, progress: bool = False, **params: int) -> Encoded:
        resolved = _resolve(fields, params)
        m = factory(**resolved)  # the model checks its parameters before any work
        encoder = ArithmeticEncoder()
        m.encode_all(data, encoder)
        return Encoded(resolved, data, encoder.finish())

    def decode(header: Header, *, progress: bool = False) -> tuple[bytes, bytes]:
        try:
            m = factory(**header.params)
        except (TypeError, ValueError) as err:
            raise ValueError(f"header holds a parameter this model refuses: {err}") from None
        out = bytes(decode_with_model(header.payload, header.n, m))
        return out, out

    return encode, decode


# --- context mixing ------------------------------------------------------------------------------

def _encode_mixing(data: bytes, *, progress: bool = False, table_bits: int = 0) -> Encoded:
    from scalingzip.coding.mixing import MODEL_VERSION, mixing_encode, table_bits_for  # Numba loads only when used

    resolved = _resolve((("table_bits", 0),), {"table_bits": table_bits})
    if not resolved["table_bits"]:
        resolved["table_bits"] = table_bits_for(len(data))
    stream = mixing_encode(data, table_bits=resolved["table_bits"], progress=progress).stream
    return Encoded({**resolved, "model": MODEL_VERSION}, data, stream)


def _decode_mixing(header: Header, *, progress: bool = False) -> tuple[bytes, bytes]:
    from scalingzip.coding.mixing import MODEL_VERSION, mixing_decode

    if header.params["model"] != MODEL_VERSION:
        raise ValueError(f"this blob was coded by version {header.params['model']} of the context-mixing model; "
                         f"this code has version {MODEL_VERSION}: decompress it with the scalingzip that made it")
    try:
        out = mixing_decode(header.payload, header.n, table_bits=header.params["table_bits"], progress=progress)
    except TypeError as err:
        raise ValueError(f"corrupt header: {err}") from None
    return out, out


_ORDER0 = (("increment", 32), ("max_total", 1 << 16))
_PPM = (("order", 5), ("max_total", 1 << 12))
_order0 = _adaptive(_ORDER0, lambda **p: AdaptiveModel(256, **p))
_ppm = _adaptive(_PPM, lambda **p: PPMModel(**p))

register(Compressor(
    name="stored", takes="bytes", fields=(), encode=_encode_stored, decode=_decode_stored,
    description="the bytes as they are: what a coder falls back to when its code would be longer"))
register(Compressor(
    name="static", takes="bytes", fields=(), encode=_encode_static, decode=_decode_static,
    description="semi-static order-0: byte counts quantised to 2**16, stored in 512 bytes, then coded"))
register(Compressor(
    name="order0", takes="bytes", fields=_ORDER0, options=tuple(dict(_ORDER0)), encode=_order0[0], decode=_order0[1],
    description="adaptive order-0 byte counts (AdaptiveModel)"))
register(Compressor(
    name="ppm", takes="bytes", fields=_PPM, options=tuple(dict(_PPM)), encode=_ppm[0], decode=_ppm[1],
    description="PPMD over the previous `order` bytes, with exclusions (PPMModel)"))
register(Compressor(
    name="mixing", takes="bytes", fields=(("table_bits", 0), ("model", 3)), options=("table_bits",),
    encode=_encode_mixing, decode=_decode_mixing,
    description="online context mixing: order-0..8, word, column and match models, bit histories, four mixers "
                "(learns while it codes)"))
