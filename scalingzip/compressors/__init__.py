"""Compressors: a model plus an exact coder is a compressor. The course's thesis in code.

Every compressor follows one protocol, :class:`Compressor`, and sits in one registry, so that
``compress(data, "ppm", order=3)`` and ``decompress(blob)`` work for all of them, and the command
line, ``bench lm`` and chapter 8 list them from here. Which module holds which:

* :mod:`.classical` - ``stored``, ``static``, ``order0``, ``ppm`` and ``mixing``: the coders of
  :mod:`scalingzip.coding` (count-based, PPM, context mixing), which learn from nothing.
* :mod:`.lm` - ``lm``: bytes coded by a pretrained byte-level transformer (ideal code lengths,
  exact coding, the stream layout).
* :mod:`.hybrid` - ``hybrid``: context mixing with a pretrained transformer's predictions as one
  more input, never longer than ``mixing``.
* :mod:`.online` - ``lm-online``: a transformer that learns while it codes (the prequential code).
* :mod:`.model_files` - saving and loading a transformer with its checksum; the shipped model's path.
* :mod:`.epoch` - one epoch of training in order, and the exact code of the stream it trained on:
  the summed training loss is the file (for the single-epoch scaling study; not a file format).
* :mod:`.images` - ``pixels``: images coded by a pretrained autoregressive pixel model.
* :mod:`.weights` - ``weights``: a network's own weights (pruned, quantised) coded exactly.

A blob is the :mod:`scalingzip.coding.container` format: the compressor's name and header fields,
lengths and CRC-32s, then the payload. The format knows no compressor; this registry does.

Adding a compressor: write a module that calls :func:`register` with a :class:`Compressor`, and add
one line for it to ``_MODULES`` below. Modules are imported on first use, so the classical coders
never load PyTorch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scalingzip.coding import container
from scalingzip.coding.container import Header

__all__ = ["Compressor", "Encoded", "as_bytes", "compress", "decompress", "get", "read_header", "register",
           "registered"]

# The registry: each compressor's name -> the module (under scalingzip.compressors) that registers it.
_MODULES = {
    "stored": "classical",
    "static": "classical",
    "order0": "classical",
    "ppm": "classical",
    "mixing": "classical",
    "lm": "lm",
    "hybrid": "hybrid",
    "lm-online": "online",
    "pixels": "images",
    "weights": "weights",
}
_REGISTRY: dict[str, Compressor] = {}


@dataclass(frozen=True)
class Encoded:
    """What a compressor's ``encode`` returns: the container packs it into a blob."""

    fields: dict[str, int]  # the header's fields, every one of the compressor's, any order
    data: bytes  # the bytes whose length and CRC-32 the header stores: what decode must give back
    payload: bytes  # the coded bytes


@dataclass(frozen=True, kw_only=True)
class Compressor:
    """The protocol every compressor follows: a name, what it codes, and a symmetric encode/decode.

    ``encode(value, *, progress, **kwargs) -> Encoded`` codes ``value`` (of the kind ``takes``
    says); ``kwargs`` are the compressor's ``needs`` (required) and ``options`` (optional).
    ``decode(header, *, progress, **decode_needs) -> (value, data)`` inverts it from the checked
    header and payload, returning the value and the bytes the header's length and CRC-32
    describe, which :func:`decompress` compares before it returns anything. Whatever the decoder
    needs besides the blob (a model, a template network) is in ``decode_needs``.
    """

    name: str  # as stored in the header and passed to compress(name=...)
    description: str  # one line, for tables, help texts and error messages
    fields: tuple[tuple[str, int], ...]  # the header's fields and their defaults, in header order
    takes: str  # what it codes: "bytes", "images" (uint8 array (n, height, width)) or "network"
    needs: tuple[str, ...] = ()  # keyword arguments encode requires, e.g. ("model",)
    options: tuple[str, ...] = ()  # optional keyword arguments of encode
    decode_needs: tuple[str, ...] = ()  # keyword arguments decode requires, e.g. ("model",) or ("template",)
    encode: Callable[..., Encoded]
    decode: Callable[..., tuple[Any, bytes]]


def register(c: Compressor) -> Compressor:
    """Add ``c`` to the registry (called once, by the module that defines it); returns ``c``."""
    if _MODULES.get(c.name) is None:
        raise ValueError(f"compressor {c.name!r} has no line in scalingzip.compressors._MODULES; add one")
    if c.name in _REGISTRY:
        raise ValueError(f"compressor {c.name!r} is registered twice")
    _REGISTRY[c.name] = c
    return c


def get(name: str) -> Compressor:
    """The registered compressor called ``name`` (its module is imported on first use)."""
    if not isinstance(name, str):
        raise TypeError(f"a compressor's name must be a str, one of {', '.join(_MODULES)}; got {type(name).__name__}")
    if name not in _MODULES:
        raise ValueError(f"unknown compressor {name!r}; choose one of {', '.join(_MODULES)}")
    if name not in _REGISTRY:
        importlib.import_module(f"{__name__}.{_MODULES[name]}")
    return _REGISTRY[name]


def registered(takes: str | None = None) -> dict[str, Compressor]:
    """Every registered compressor (or those that code ``takes``), by name, in registry order."""
    out = {name: get(name) for name in _MODULES}
    return {k: c for k, c in out.items() if takes is None or c.takes == takes}


def as_bytes(data: object, name: str = "data") -> bytes:
    """``data`` as ``bytes`` (from bytes, bytearray or memoryview), else a ``TypeError`` saying what to do."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes, got {type(data).__name__}; encode text first (s.encode('utf-8'))")
    return bytes(data)


def _check_kwargs(c: Compressor, kwargs: dict[str, Any]) -> None:
    unknown = sorted(set(kwargs) - set(c.needs) - set(c.options))
    if unknown:
        names = ", ".join(c.needs + c.options) or "none"
        raise ValueError(f"compressor {c.name!r} takes no parameter {unknown[0]!r}; its parameters are: {names}")
    missing = [k for k in c.needs if kwargs.get(k) is None]
    if missing:
        raise ValueError(f"compressor {c.name!r} needs {missing[0]}=... ({c.description})")


def compress(value: Any, name: str = "ppm", *, fallback: bool = False, progress: bool = False, **kwargs: Any) -> bytes:
    """Compress ``value`` with the registered compressor ``name`` into a self-describing blob.

    Args:
        value: what the compressor codes (``get(name).takes``): bytes for most of them.
        name: a registered compressor, e.g. ``"ppm"``, ``"mixing"``, ``"lm"`` (see :func:`registered`).
        fallback: if the blob would be at least as long as the data stored as they are, return the
            ``"stored"`` blob instead (for compressors of bytes), so nothing grows by more than a header.
        progress: show a progress bar where the compressor has one.
        **kwargs: the compressor's needs and options, e.g. ``order=3`` for ``"ppm"`` or
            ``model=...`` for ``"lm"``.

    Returns:
        The blob: the container's header, then the payload.
    """
    c = get(name)
    if c.takes == "bytes":
        value = as_bytes(value)
    _check_kwargs(c, kwargs)
    coded = c.encode(value, progress=progress, **kwargs)
    missing = [k for k, _ in c.fields if k not in coded.fields]
    assert not missing and len(coded.fields) == len(c.fields), f"{name} encoded other fields than it registered"
    blob = container.pack(name, {k: coded.fields[k] for k, _ in c.fields}, coded.data, coded.payload)
    if fallback:
        if c.takes != "bytes":
            raise ValueError(f"fallback stores bytes as they are; compressor {name!r} codes {c.takes}")
        if name != "stored":
            stored = compress(value, "stored")
            if len(stored) <= len(blob):
                return stored
    return blob


def read_header(blob: bytes) -> Header:
    """Read and check a blob's header: the container's checks, then that a registered compressor
    wrote it with exactly its registered fields. The payload is returned undecoded."""
    header = container.unpack(blob)
    if header.name not in _MODULES:
        raise ValueError(f"unknown compressor {header.name!r} in header; this code knows {', '.join(_MODULES)}")
    expected = [k for k, _ in get(header.name).fields]
    if list(header.params) != expected:
        raise ValueError(f"header gives compressor {header.name!r} fields {list(header.params)}; expected {expected} "
                         "(a blob made by another version of scalingzip? decompress it with the version that made it)")
    return header


def decompress(blob: bytes, *, progress: bool = False, **needs: Any) -> Any:
    """Invert :func:`compress`: the blob names its compressor, which decodes it.

    Args:
        blob: from :func:`compress`.
        progress: show a progress bar where the compressor has one.
        **needs: what the blob's compressor needs, e.g. ``model=`` for ``"lm"`` and ``"pixels"``,
            ``template=`` for ``"weights"``; ones it does not need are ignored (a ``"stored"``
            fallback needs no model).

    Returns:
        What was compressed: bytes, images or a network.

    Raises:
        TypeError: if ``blob`` is not bytes-like.
        ValueError: on bad magic, an unsupported version, a damaged header, an unknown compressor
            or field, a truncated payload, trailing bytes, a payload that does not decode, a
            missing need, or decoded bytes whose length or CRC-32 differ from the stored ones.
    """
    header = read_header(blob)
    c = get(header.name)
    given = {k: needs.get(k) for k in c.decode_needs}
    missing = [k for k, v in given.items() if v is None]
    if missing:
        raise ValueError(f"this blob was made by the {c.name!r} compressor ({c.description}); "
                         f"decompress it with {missing[0]}=...")
    value, data = c.decode(header, progress=progress, **given)
    container.check_output(data, header)
    return value
