"""zlib, bz2 and xz as baselines: sizes, bits per byte, round trips."""

import math

import pytest

from scalingzip.coding import STDLIB_COMPRESSORS, baseline_results, measure_compressor
from scalingzip.compressors import compress, decompress
from scalingzip.data import load_text


def test_baselines_on_text():
    text = load_text("python-docs")[:30_000]
    results = baseline_results(text)
    assert [r.name for r in results] == ["zlib -9", "bz2 -9", "xz -9e"]
    for r in results:
        assert r.n_bytes == len(text)
        assert r.bits_per_byte == pytest.approx(8 * r.n_compressed_bytes / len(text))
        assert 1.0 < r.bits_per_byte < 4.0  # English prose compresses, but not to nothing


def test_baselines_on_any_bytes():
    for data in (b"", b"\x00", bytes(range(256))):
        for r in baseline_results(data):
            assert r.n_compressed_bytes > 0
            assert math.isnan(r.bits_per_byte) if not data else r.bits_per_byte > 8  # tiny inputs grow


def test_package_models_plug_in_and_ppm_beats_zlib_on_text():
    text = load_text("python-docs")[:60_000]
    ppm = measure_compressor("ppm", lambda d: compress(d, "ppm", order=4), decompress, text)
    zlib9 = measure_compressor("zlib -9", *STDLIB_COMPRESSORS["zlib -9"], text)
    assert ppm.bits_per_byte < zlib9.bits_per_byte


def test_a_compressor_that_does_not_round_trip_is_refused():
    with pytest.raises(ValueError, match="did not round-trip"):
        measure_compressor("broken", lambda d: d, lambda d: d[:-1], b"abc")
    with pytest.raises(TypeError, match="bytes"):
        baseline_results("text")
