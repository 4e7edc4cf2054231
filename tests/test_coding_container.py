"""The SZIP format and the registry's compress/decompress: round trips, and every kind of damage
reported, never wrong bytes."""

import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalingzip.coding import PPMModel, adaptive_code_length_bits, container
from scalingzip.compressors import compress, decompress, get, registered
from scalingzip.data import load_text

# the classical compressors: fast, and they need nothing; test_lm, test_pixels and test_pruning cover the others
MODEL_NAMES = ["stored", "static", "order0", "ppm", "mixing"]


@pytest.mark.parametrize("model", MODEL_NAMES)
@given(data=st.binary(max_size=400))
def test_round_trip(model, data):
    assert decompress(compress(data, model)) == data


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_edge_cases(model):
    for data in (b"", b"x", bytes(range(256)), bytes(range(256))[::-1] * 3, b"\x00" * 1000):
        assert decompress(compress(data, model)) == data
    assert decompress(bytearray(compress(memoryview(b"abc"), model))) == b"abc"


def test_parameters_are_stored_and_used():
    text = load_text("python-docs")[:5000]
    for order in (0, 2, 4):
        blob = compress(text, "ppm", order=order)
        assert decompress(blob) == text
        # magic, version, name, parameter count, "order" and "max_total", lengths and CRCs
        header = 4 + 1 + (1 + 3) + 1 + (1 + 5 + 4) + (1 + 9 + 4) + 8 + 4 + 8 + 4 + 4
        ideal_bytes = adaptive_code_length_bits(text, PPMModel(order)) / 8
        assert len(blob) - header <= ideal_bytes + 1


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_every_single_bit_flip_is_detected(model):
    blob = compress(b"hello world, hello world", model)
    for i in range(8 * len(blob)):
        damaged = bytearray(blob)
        damaged[i // 8] ^= 1 << (i % 8)
        with pytest.raises(ValueError):
            decompress(bytes(damaged))


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_every_truncation_and_extension_is_detected(model):
    blob = compress(b"abcabcabd" * 5, model)
    for k in range(len(blob)):
        with pytest.raises(ValueError):
            decompress(blob[:k])
    with pytest.raises(ValueError, match="trailing garbage"):
        decompress(blob + b"\x00")


def _reseal(header_and_payload: bytes, header_end: int) -> bytes:
    """Recompute the header CRC after editing a header field (a forged but well-formed blob)."""
    head = header_and_payload[:header_end]
    return head + struct.pack(">I", zlib.crc32(head)) + header_and_payload[header_end + 4 :]


def test_messages_name_the_problem():
    data = b"some data to compress, some data"
    blob = compress(data, "order0")
    header_end = blob.index(struct.pack(">Q", len(data))) + 8 + 4 + 8 + 4  # original length, data CRC, payload length, payload CRC
    with pytest.raises(ValueError, match="bad magic"):
        decompress(zlib.compress(data))
    with pytest.raises(ValueError, match="unsupported format version 3"):
        decompress(blob[:4] + b"\x03" + blob[5:])
    with pytest.raises(ValueError, match="made by an older version of scalingzip"):
        decompress(blob[:4] + b"\x01" + blob[5:])
    with pytest.raises(ValueError, match="truncated header"):
        decompress(blob[:10])
    with pytest.raises(ValueError, match="corrupt header"):
        decompress(blob[:6] + b"O" + blob[7:])
    with pytest.raises(ValueError, match="truncated payload"):
        decompress(blob[:-1])
    with pytest.raises(ValueError, match="corrupt payload"):  # caught before anything is decoded
        decompress(blob[:-1] + bytes([blob[-1] ^ 0x80]))
    # forged headers whose own CRC is valid: the later checks still catch them
    crc_at = header_end - 16
    forged = blob[:crc_at] + struct.pack(">I", zlib.crc32(data) ^ 1) + blob[crc_at + 4 :]
    with pytest.raises(ValueError, match="CRC mismatch"):
        decompress(_reseal(forged, header_end))
    forged = blob[:6] + b"ORDER0" + blob[12:]
    with pytest.raises(ValueError, match="unknown compressor 'ORDER0'"):
        decompress(_reseal(forged, header_end))
    with pytest.raises(TypeError, match="bytes"):
        decompress("not bytes")


def test_compress_argument_errors():
    with pytest.raises(ValueError, match="unknown compressor 'lz77'; choose one of"):
        compress(b"x", "lz77")
    with pytest.raises(ValueError, match="takes no parameter 'depth'"):
        compress(b"x", "ppm", depth=3)
    with pytest.raises(ValueError, match="order must be between 0 and 8"):
        compress(b"x", "ppm", order=12)
    with pytest.raises(TypeError, match="encode text first"):
        compress("text")
    with pytest.raises(TypeError, match="must be an int"):
        compress(b"x", "ppm", order=2.5)


def test_the_registry_lists_every_compressor_with_its_fields():
    found = registered()
    assert set(MODEL_NAMES) | {"lm", "hybrid", "lm-online", "pixels", "weights"} <= set(found)
    for name, c in found.items():
        assert c.name == name and c.description and c.takes in ("bytes", "images", "network")
        assert get(name) is c
    assert set(registered(takes="bytes")) == set(MODEL_NAMES) | {"lm", "hybrid", "lm-online"}


@pytest.mark.parametrize("name", ["lm", "hybrid", "pixels"])
def test_compressors_that_need_a_model_say_so(name):
    with pytest.raises(ValueError, match="needs model="):
        compress(b"abc", name)


def test_the_stored_fallback_is_taken_only_when_asked_and_shorter():
    import numpy as np

    noise = np.random.default_rng(0).integers(0, 256, 2000, dtype=np.uint8).tobytes()
    coded = compress(noise, "order0")
    stored = compress(noise, "order0", fallback=True)
    assert len(stored) < len(coded) and container.unpack(stored).name == "stored"
    assert decompress(stored) == noise
    text = load_text("python-docs")[:3000]
    assert compress(text, "ppm", fallback=True) == compress(text, "ppm")


def test_the_format_knows_no_compressor():
    blob = container.pack("anything", {"a": 1, "b": 2**32 - 1}, b"data", b"payload")
    header = container.unpack(blob)
    assert (header.name, header.params, header.n, header.payload) == ("anything", {"a": 1, "b": 2**32 - 1}, 4, b"payload")
    assert container.check_output(b"data", header) == b"data"
    with pytest.raises(ValueError, match="unknown compressor 'anything'"):
        decompress(blob)
    with pytest.raises(ValueError, match="32-bit"):
        container.pack("x", {"a": 2**32}, b"", b"")
