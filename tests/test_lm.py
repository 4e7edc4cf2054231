"""Language models as exact compressors: scalingzip.compressors.lm, .online and .model_files."""

import numpy as np
import pytest
import torch

from scalingzip.coding import container
from scalingzip.compressors import compress, decompress, lm, online
from scalingzip.compressors.model_files import load_model, save_model
from scalingzip.nn.determinism import one_thread, weights_checksum
from scalingzip.data import load_text
from scalingzip.nn.transformer import TransformerConfig, build_model

SMALL = TransformerConfig(n_layer=1, d_model=16, n_head=2, n_ctx=32)  # windows of 32: several per stream


@pytest.fixture(scope="module")
def model():
    """A small model trained for a few steps, so its predictions are far from uniform."""
    from scalingzip.nn.train import TrainConfig, train

    torch.manual_seed(0)
    m = build_model(SMALL, seed=0)
    text = load_text("python-docs")[:50_000]
    with one_thread():  # two threads on two busy cores are many times slower
        train(m, text, text[:4096], TrainConfig(steps=60, batch_size=8, lr=1e-2, warmup_steps=5, eval_every=0,
                                                eval_bytes=2048), progress=False)
    return m.eval()


def _inputs():
    rng = np.random.default_rng(1)
    docs = load_text("python-docs")
    return {
        "empty": b"",
        "one byte": b"Q",
        "all 256 values": bytes(range(256)),
        "long run": b"=" * 3000,
        "random binary": rng.integers(0, 256, 3000, dtype=np.uint8).tobytes(),
        "utf-8 non-latin": "语言模型即压缩器。Языковая модель — это компрессор.".encode() * 12,
        "code": load_text("python-code")[5000:8000],
        "english prose": docs[200_000:203_000],
    }


INPUTS = _inputs()


@pytest.mark.parametrize("name", list(INPUTS))
def test_round_trip_through_the_api_and_the_container(model, name):
    data = INPUTS[name]
    coded = lm.lm_encode(model, data)
    assert lm.lm_decode(model, coded.stream, len(data)) == data
    assert lm.decompress_with_model(lm.compress_with_model(data, model), model) == data


@pytest.mark.parametrize("name", ["all 256 values", "random binary", "code", "english prose"])
def test_coded_size_within_a_tenth_of_a_percent_plus_16_bytes_of_the_ideal(model, name):
    data = INPUTS[name]
    ideal_bits = lm.code_length_bits(model, data)
    coded = lm.lm_encode(model, data)
    assert len(coded.stream) <= ideal_bits / 8 * 1.001 + 16
    assert coded.ideal_bits == pytest.approx(ideal_bits, rel=1e-6)  # batched vs incremental: rounding only


def test_random_bytes_expand_by_less_than_one_percent_plus_header(model):
    data = INPUTS["random binary"]
    header = len(lm.compress_with_model(b"", model))
    assert len(lm.compress_with_model(data, model)) <= 1.01 * len(data) + header


def test_trained_model_compresses_text(model):
    data = INPUTS["english prose"]
    assert 8 * len(lm.lm_encode(model, data).stream) / len(data) < 6.0  # uniform would be 8


def test_per_byte_lengths_are_in_data_order(model):
    data = INPUTS["english prose"][:1500]
    bits = lm.byte_code_lengths(model, data)
    assert bits.shape == (len(data),) and np.all(bits > 0)
    # the first byte of the data is predicted from the start byte alone, as the first byte of stream 0
    logits = model(torch.tensor([[lm.START_BYTE]]))[0, -1].double()
    expected = -torch.log_softmax(logits, -1)[data[0]].item() / np.log(2)
    assert bits[0] == pytest.approx(expected, rel=1e-6)


def test_layout_covers_the_data_exactly_once():
    for n in (0, 1, 511, 512, 5000, 100_000, 1_000_003):
        layout = lm.stream_layout(n)
        assert layout.lengths.sum() == n and (n == 0 or layout.lengths.min() >= 1)
        assert layout.n_streams <= lm.MAX_STREAMS
        data = (np.arange(n) % 251).astype(np.uint8).tobytes()
        assert layout.join(layout.split(data)) == data


def test_coding_is_independent_of_the_callers_thread_count(model):
    data = INPUTS["code"]
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        a = lm.lm_encode(model, data).stream
        torch.set_num_threads(1)
        b = lm.lm_encode(model, data).stream
    finally:
        torch.set_num_threads(before)
    assert a == b and torch.get_num_threads() == before


def test_wrong_model_is_refused(model):
    blob = lm.compress_with_model(INPUTS["english prose"], model)
    other = build_model(SMALL, seed=1)
    with pytest.raises(ValueError, match="checksum"):
        lm.decompress_with_model(blob, other)
    with pytest.raises(ValueError, match="shape"):
        lm.decompress_with_model(blob, build_model("1k"))


def test_different_numerics_are_refused_before_decoding(model):
    data = INPUTS["english prose"]
    header = container.unpack(lm.compress_with_model(data, model))
    forged = container.pack("lm", {**header.params, "probe_crc": header.params["probe_crc"] ^ 1}, data, header.payload)
    with pytest.raises(ValueError, match="differently"):
        lm.decompress_with_model(forged, model)


def test_corrupt_streams_are_rejected(model):
    data = INPUTS["english prose"]
    blob = lm.compress_with_model(data, model)
    with pytest.raises(ValueError):
        lm.decompress_with_model(blob[:-4], model)
    with pytest.raises(ValueError):
        lm.decompress_with_model(blob + b"\0\0\0\0", model)
    stream = lm.lm_encode(model, data).stream
    with pytest.raises(ValueError, match="32-bit"):
        lm.lm_decode(model, stream[:-1], len(data))
    with pytest.raises(ValueError, match="left|corrupt"):  # the container's length catches a single word too
        lm.lm_decode(model, stream + b"\x01\0\0\0" * 2, len(data))
    header_len = len(blob) - len(stream)
    for i in np.linspace(header_len, len(blob) - 1, 5).astype(int):  # damage throughout the payload
        bad = bytearray(blob)
        bad[i] ^= 0xFF
        with pytest.raises(ValueError):
            lm.decompress_with_model(bytes(bad), model)


def test_save_and_load_keep_the_model_and_verify_its_checksum(model, tmp_path):
    path = tmp_path / "m.pt"
    digest = save_model(model, path, corpus="test")
    loaded, meta = load_model(path)
    assert weights_checksum(loaded) == digest and meta == {"corpus": "test"}
    data = INPUTS["code"]
    assert lm.decompress_with_model(lm.compress_with_model(data, model), loaded) == data
    blob = compress(data, "lm", model=str(path))  # the registry's compressor loads a model file itself
    assert decompress(blob, model=path) == data
    with pytest.raises(ValueError, match="model="):
        decompress(blob)
    with pytest.raises(FileExistsError):
        save_model(model, path)
    blob = torch.load(path, weights_only=True)
    blob["state_dict"]["ln_f.weight"] += 1e-3
    torch.save(blob, path)
    with pytest.raises(ValueError, match="SHA-256"):
        load_model(path)
    with pytest.raises(FileNotFoundError, match="train-lm"):
        load_model(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a readable"):
        load_model(tmp_path / "junk.pt")


ONLINE = online.OnlineConfig(first_block=512, max_block=1024, steps_per_kib=4, batch_size=4, seq_len=16, seed=3)


def test_online_coding_round_trips_and_learns():
    data = load_text("python-docs")[:4000]
    result = online.prequential_encode(data, SMALL, ONLINE)
    assert online.prequential_decode(result.blob) == data
    per_byte = [bits / (e - s) for bits, (s, e) in zip(result.block_bits, result.blocks)]
    assert per_byte[-1] < per_byte[0] - 0.5  # it learned while coding
    payload = sum(result.block_bytes) + 8 * len(result.blocks)
    assert payload <= sum(result.block_bits) / 8 * 1.001 + 16 * len(result.blocks) + 8 * len(result.blocks)
    assert online.prequential_decode(online.prequential_encode(b"", SMALL, ONLINE).blob) == b""


def test_online_decoder_detects_a_training_run_that_drifted():
    data = load_text("python-docs")[:2500]
    header = container.unpack(online.prequential_encode(data, SMALL, ONLINE).blob)
    payload = bytearray(header.payload)
    payload[4] ^= 1  # the weight CRC after block 0
    forged = container.pack("lm-online", header.params, data, bytes(payload))
    with pytest.raises(ValueError, match="weights differ"):
        online.prequential_decode(forged)


def test_bad_arguments_get_clear_errors(model):
    with pytest.raises(TypeError, match="bytes"):
        lm.lm_encode(model, "text")
    with pytest.raises(TypeError, match="ByteTransformer"):
        lm.lm_encode(torch.nn.Linear(2, 2), b"abc")
    with pytest.raises(ValueError, match="n must be"):
        lm.lm_decode(model, b"", -1)
    with pytest.raises(ValueError, match="max_block"):
        online.OnlineConfig(first_block=2048, max_block=1024)


def test_online_coding_with_one_byte_blocks_round_trips():
    tiny = online.OnlineConfig(first_block=1, max_block=4, steps_per_kib=256, batch_size=2, seq_len=8)
    data = b"abcabcabcabd"
    assert online.prequential_decode(online.prequential_encode(data, SMALL, tiny).blob) == data
