"""The online context-mixing model: exact round trips, size vs ideal, corruption, determinism."""

import zlib

import numpy as np
import pytest

from scalingzip.coding import container, mixing_code_lengths, mixing_decode, mixing_encode
from scalingzip.compressors import compress, decompress
from scalingzip.coding import mixing as mx
from scalingzip.data import load_text


def _inputs() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    docs = load_text("python-docs")
    return {
        "empty": b"",
        "one byte": b"\x00",
        "all 256 values": bytes(range(256)) * 3,
        "long run": b"a" * 20_000,
        "random binary": rng.integers(0, 256, 30_000, dtype=np.uint8).tobytes(),
        "utf-8 non-latin": "压缩即预测。Сжатие — это предсказание. 圧縮は予測です。".encode() * 40,
        "code": load_text("python-code")[:20_000],
        "english prose": docs[100_000:130_000],
    }


INPUTS = _inputs()


@pytest.mark.parametrize("name", list(INPUTS))
def test_round_trip_through_api_and_container(name):
    data = INPUTS[name]
    coded = mixing_encode(data)
    assert mixing_decode(coded.stream, len(data), table_bits=coded.table_bits) == data
    assert decompress(compress(data, "mixing")) == data


@pytest.mark.parametrize("name", [k for k in INPUTS if k != "empty"])
def test_coded_size_is_within_a_tenth_of_a_percent_of_the_ideal(name):
    coded = mixing_encode(INPUTS[name])
    ideal_bytes = coded.ideal_bits / 8
    assert len(coded.stream) <= ideal_bytes * 1.001 + 16
    assert len(coded.stream) >= ideal_bytes - 1


def test_random_bytes_expand_by_less_than_one_percent_plus_header():
    data = INPUTS["random binary"]
    blob = compress(data, "mixing")
    header = len(compress(b"", "mixing")) - 1  # the empty stream is one byte
    assert len(blob) <= len(data) * 1.01 + header


def test_text_compresses_far_below_eight_bits():
    data = INPUTS["english prose"]
    assert 8 * len(mixing_encode(data).stream) / len(data) < 2.5


def test_per_byte_code_lengths_sum_to_the_ideal():
    data = INPUTS["code"][:5000]
    costs = mixing_code_lengths(data)
    assert costs.shape == (len(data),) and np.all(costs > 0)
    assert costs.sum() == pytest.approx(mixing_encode(data).ideal_bits, rel=1e-12)


def test_each_part_of_the_model_pays_on_prose_and_unknown_parts_are_refused():
    data = INPUTS["english prose"][:20_000]
    full = mixing_code_lengths(data).sum()
    assert mixing_code_lengths(data, without=()).sum() == full
    for part in mx.PARTS:
        assert mixing_code_lengths(data, without=(part,)).sum() > full, part
    bare = mixing_code_lengths(data, without=mx.PARTS).sum()
    assert bare > 1.05 * full  # orders 0-8 alone, one weight set, no SSE
    with pytest.raises(ValueError, match="unknown part"):
        mixing_code_lengths(data, without=("dictionary",))


def test_compiled_loop_computes_exactly_what_the_python_says():
    data = b"abracadabra, abracadabra! the cat sat on the mat. " * 4
    tb = 12
    src = np.frombuffer(data, np.uint8)
    out = np.zeros(len(data) * 2 + 16, np.uint8)
    state = mx._State(len(data), tb)
    mx._code.py_func(src, 0, len(data), False, tb, mx.SQUASH, mx.STRETCH, mx.RATES, mx.COUNT_LIMITS,
                     mx._switches(()), mx._NO_LM, out, np.zeros(0), *state.arrays())
    n_out = mx._finish.py_func(out, state.regs)
    assert out[:n_out].tobytes() == mixing_encode(data, table_bits=tb).stream


def test_coding_in_chunks_gives_the_same_stream(monkeypatch):
    data = INPUTS["english prose"][:10_000]
    whole = mixing_encode(data).stream
    monkeypatch.setattr(mx, "CHUNK", 777)
    assert mixing_encode(data).stream == whole
    assert mixing_decode(whole, len(data), table_bits=mx.table_bits_for(len(data))) == data


def test_same_input_same_stream():
    data = INPUTS["utf-8 non-latin"]
    assert mixing_encode(data).stream == mixing_encode(data).stream


def test_squash_and_stretch_tables_are_monotone_inverses():
    assert np.all(np.diff(mx.SQUASH) >= 0) and mx.SQUASH[0] >= 1 and mx.SQUASH[-1] <= 65535
    assert np.all(np.diff(mx.STRETCH) >= 0)
    p12 = np.arange(64, 4096 - 64, 97)
    back = mx.SQUASH[mx.STRETCH[p12] + 2047] >> 4
    # stretch has 1/256 logit steps; squash climbs at most 65536/4/256 = 64 (16-bit) = 4 (12-bit) per step
    assert np.all(np.abs(back - p12) <= 4)


def test_every_single_byte_change_of_a_blob_is_rejected():
    data = b"to be or not to be, that is the question. " * 5
    blob = compress(data, "mixing")
    for i in range(len(blob)):
        bad = bytearray(blob)
        bad[i] ^= 0x5A
        with pytest.raises(ValueError):
            decompress(bytes(bad))


@pytest.mark.parametrize("cut", [1, 2, 5])
def test_truncated_and_extended_streams_are_rejected(cut):
    data = INPUTS["english prose"][:4000]
    coded = mixing_encode(data)
    with pytest.raises(ValueError, match="truncated|corrupt"):
        mixing_decode(coded.stream[:-cut], len(data), table_bits=coded.table_bits)
    with pytest.raises(ValueError, match="after the last symbol|corrupt"):
        mixing_decode(coded.stream + b"\x00" * cut, len(data), table_bits=coded.table_bits)


def test_a_payload_decoded_with_other_table_bits_is_caught():
    data = INPUTS["english prose"][:4000]
    header = container.unpack(compress(data, "mixing"))
    params = {**header.params, "table_bits": header.params["table_bits"] + 1}
    forged = container.pack("mixing", params, data, header.payload)
    with pytest.raises(ValueError, match="CRC|corrupt"):
        decompress(forged)
    assert zlib.crc32(data) == header.crc


def test_a_blob_of_another_model_version_or_without_one_is_refused_with_a_message():
    data = INPUTS["english prose"][:2000]
    header = container.unpack(compress(data, "mixing"))
    assert header.params["model"] == mx.MODEL_VERSION
    older = container.pack("mixing", {**header.params, "model": mx.MODEL_VERSION - 1}, data, header.payload)
    with pytest.raises(ValueError, match=f"version {mx.MODEL_VERSION - 1} of the context-mixing model"):
        decompress(older)
    first = container.pack("mixing", {"table_bits": header.params["table_bits"]}, data, header.payload)
    with pytest.raises(ValueError, match="another version of scalingzip"):
        decompress(first)


def test_bad_arguments_get_clear_errors():
    with pytest.raises(TypeError, match="bytes"):
        mixing_encode("text")
    with pytest.raises(ValueError, match="table_bits"):
        mixing_encode(b"abc", table_bits=40)
    with pytest.raises(ValueError, match="n must be"):
        mixing_decode(b"\x00", -1, table_bits=12)
    with pytest.raises(ValueError, match="empty"):
        mixing_decode(b"", 0, table_bits=12)


def test_table_size_grows_with_the_input_and_is_capped():
    sizes = [mx.table_bits_for(n) for n in (0, 100, 10_000, 1_000_000, 10**9)]
    assert sizes == sorted(sizes) and sizes[0] == mx.MIN_TABLE_BITS and sizes[-1] == mx.MAX_TABLE_BITS


def test_each_part_switches_off_its_own_inputs_only():
    on = mx._switches(())
    assert on.shape == (mx.N_INPUTS + 2,) and on.all()
    n = mx.N_CONTEXTS
    indirect = set(range(n + 2, mx.LM_INPUT))
    assert set(np.flatnonzero(mx._switches(("histories",)) == 0)) == indirect
    assert set(np.flatnonzero(mx._switches(("words",)) == 0)) == {8, 9, 10, n + 10, n + 11, n + 12}
    assert set(np.flatnonzero(mx._switches(("column",)) == 0)) == {11, n + 13}
    assert set(np.flatnonzero(mx._switches(("match",)) == 0)) == {n}
    assert list(np.flatnonzero(mx._switches(("mixer contexts", "sse")) == 0)) == [mx.N_INPUTS, mx.N_INPUTS + 1]
