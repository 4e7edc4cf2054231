"""The ``SZIP`` file format: a self-describing header, checksums, and a payload.

This module is the format only. It knows nothing of the compressors that write it (they live in
:mod:`scalingzip.compressors`, which registers each one's name and header fields): it packs a
name, named integer fields, the data's length and CRC-32 and a payload into a blob, and reads
them back, checking everything a file can check without decoding. Layout (integers big-endian)::

    offset  size  field
    0       4     magic b"SZIP"
    4       1     format version (2)
    5       1     m = length of the compressor's name (1..32)
    6       m     compressor name, ASCII
    .       1     k = number of header fields
    .       ...   k times: 1-byte name length, ASCII name, 4-byte unsigned value
    .       8     original length in bytes
    .       4     CRC-32 of the original bytes (zlib.crc32)
    .       8     payload length in bytes
    .       4     CRC-32 of the payload
    .       4     CRC-32 of every header byte above
    .       ...   payload: the compressor's side information, if any, then the coded stream

Nothing wrong is ever returned: the header has its own CRC-32 (so a damaged length or field is
reported as such, not acted upon), the payload length must match the bytes present, the payload
must match its CRC-32 before any of it is decoded (so every single-bit flip anywhere in a blob is
reported, even one that would happen to decode to the right bytes), and :func:`check_output`
compares what a decoder produced with the length and CRC-32 stored at compression time. Every
failure is a ``ValueError`` that says what is wrong. Version 1 blobs, which had no payload CRC,
are refused with a message saying so.

References:
    P. Deutsch (1996), RFC 1952 "GZIP file format specification version 4.3" (magic bytes,
    CRC-32 of the data, original length).
    W. W. Peterson and D. T. Brown (1961), "Cyclic codes for error detection", Proceedings of
    the IRE 49(1) (a CRC detects every single-bit error and every burst of up to its width).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

__all__ = ["FORMAT_VERSION", "MAGIC", "Header", "check_output", "pack", "unpack"]

MAGIC = b"SZIP"
FORMAT_VERSION = 2  # 2 added the payload's CRC-32; version 1 blobs are refused with a clear message
MAX_NAME_BYTES = 32


def _check_fields(fields: dict) -> dict[str, int]:
    if len(fields) > 255:
        raise ValueError(f"a header holds at most 255 fields; got {len(fields)}")
    out = {}
    for key, value in fields.items():
        if not isinstance(key, str) or not key.isascii() or not 1 <= len(key) <= 255:
            raise ValueError(f"field names must be ASCII strings of 1 to 255 characters; got {key!r}")
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"parameter {key} must be an int, got {type(value).__name__}")
        if not 0 <= value < 1 << 32:
            raise ValueError(f"parameter {key}={value} does not fit the header's 32-bit unsigned field")
        out[key] = int(value)
    return out


def pack(name: str, fields: dict[str, int], data: bytes, payload: bytes) -> bytes:
    """Wrap ``payload``, coded from ``data`` by the compressor ``name``, in the header.

    Args:
        name: the compressor's name, ASCII, 1 to 32 characters.
        fields: the header's integer fields, in the order they are written (each in [0, 2**32)).
        data: the bytes the decoder must give back (their length and CRC-32 are stored).
        payload: the coded bytes.
    """
    if not isinstance(name, str) or not name.isascii() or not 1 <= len(name) <= MAX_NAME_BYTES:
        raise ValueError(f"the compressor's name must be 1 to {MAX_NAME_BYTES} ASCII characters; got {name!r}")
    fields = _check_fields(fields)
    header = bytearray(MAGIC)
    header += struct.pack(">BB", FORMAT_VERSION, len(name)) + name.encode("ascii")
    header += struct.pack(">B", len(fields))
    for key, value in fields.items():
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
    """What :func:`unpack` read and checked: the compressor's name, its fields, the data's length and CRC."""

    name: str  # the compressor that wrote the blob
    params: dict[str, int]  # its header fields, in stored order
    n: int
    crc: int
    payload: bytes


def unpack(blob: bytes) -> Header:
    """Read and check the header of a blob; the payload is returned undecoded.

    Raises:
        TypeError: if ``blob`` is not bytes-like.
        ValueError: on bad magic, an unsupported version, a damaged header (CRC mismatch), a
            truncated payload, trailing bytes or a damaged payload (CRC mismatch). Whether the
            name and fields are those of a known compressor is checked by
            :func:`scalingzip.compressors.read_header`.
    """
    if not isinstance(blob, (bytes, bytearray, memoryview)):
        raise TypeError(f"blob must be bytes from a compressor, got {type(blob).__name__}")
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
    name = rd.take(rd.uint("B", "name length"), "name")
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
        compressor = name.decode("ascii")
        params = {key.decode("ascii"): value for key, value in params_raw}
    except UnicodeDecodeError:
        raise ValueError("corrupt header: a name is not ASCII") from None
    payload = blob[rd.pos :]
    if len(payload) < n_payload:
        raise ValueError(f"truncated payload: header says {n_payload} bytes, only {len(payload)} present")
    if len(payload) > n_payload:
        raise ValueError(f"trailing garbage: {len(payload) - n_payload} byte(s) after the payload")
    if zlib.crc32(payload) != payload_crc:
        raise ValueError("corrupt payload: its CRC-32 does not match (the coded bytes were damaged)")
    return Header(compressor, params, n, data_crc, payload)


def check_output(data: bytes, header: Header) -> bytes:
    """Return ``data`` if its length and CRC-32 are the header's, else raise ``ValueError``."""
    if len(data) != header.n:
        raise ValueError(f"decoded {len(data)} bytes but the header says {header.n}; the blob is corrupt")
    if zlib.crc32(data) != header.crc:
        raise ValueError("CRC mismatch: the decoded bytes differ from the original; the payload is corrupt")
    return data
