"""The hybrid compressor: context mixing with a pretrained transformer as one more input."""

import numpy as np
import pytest

from scalingzip.coding import container
from scalingzip.coding.mixing import MODEL_VERSION
from scalingzip.compressors import compress, decompress
from scalingzip.compressors.hybrid import hybrid_decode, hybrid_encode
from scalingzip.compressors.model_files import load_model, pretrained_model_path
from scalingzip.data import load_text, split_bytes
from scalingzip.nn.transformer import TransformerConfig, build_model


@pytest.fixture(scope="module")
def model():
    return load_model(pretrained_model_path())[0]


def _inputs():
    rng = np.random.default_rng(2)
    return {
        "empty": b"",
        "one byte": b"Q",
        "all 256 values": bytes(range(256)),
        "long run": b"=" * 2000,
        "random binary": rng.integers(0, 256, 2000, dtype=np.uint8).tobytes(),
        "utf-8 non-latin": "语言模型即压缩器。Языковая модель — это компрессор.".encode() * 10,
        "held-out docs": split_bytes(load_text("python-docs")).test[:3000],
    }


INPUTS = _inputs()


@pytest.mark.parametrize("name", list(INPUTS))
def test_the_hybrid_stream_round_trips_exactly(model, name):
    data = INPUTS[name]
    stream, ideal, tb = hybrid_encode(model, data)
    assert hybrid_decode(model, stream, len(data), table_bits=tb) == data
    assert len(stream) <= ideal / 8 + 8
    blob = compress(data, "hybrid", model=model)
    assert decompress(blob, model=model) == data


def test_the_transformer_pays_on_its_own_kind_of_text_and_never_costs_anything(model):
    docs = INPUTS["held-out docs"]
    blob = compress(docs, "hybrid", model=model)
    header = container.unpack(blob)
    assert header.params["with_lm"] == 1 and header.params["mixing_model"] == MODEL_VERSION
    plain = container.unpack(compress(docs, "mixing"))
    assert len(header.payload) < 0.85 * len(plain.payload)  # the pretrained model knows this language
    noise = INPUTS["random binary"]
    header = container.unpack(compress(noise, "hybrid", model=model))
    plain = container.unpack(compress(noise, "mixing"))
    assert header.params["with_lm"] == 0 and header.payload == plain.payload  # mixing alone, byte for byte


def test_corruption_and_the_wrong_model_are_caught(model):
    data = INPUTS["held-out docs"]
    blob = bytearray(compress(data, "hybrid", model=model))
    header = container.unpack(bytes(blob))
    blob[len(blob) - len(header.payload) // 2] ^= 0x10
    with pytest.raises(ValueError):
        decompress(bytes(blob), model=model)
    other = build_model(TransformerConfig(n_layer=1, d_model=16, n_head=2, n_ctx=32), seed=0)
    with pytest.raises(ValueError, match="shape"):
        decompress(compress(data, "hybrid", model=model), model=other)
    for field, value, message in (("mixing_model", MODEL_VERSION - 1, "version"), ("with_lm", 2, "with_lm")):
        forged = container.pack("hybrid", {**header.params, field: value}, data, header.payload)
        with pytest.raises(ValueError, match=message):
            decompress(forged, model=model)


def test_a_truncated_or_padded_stream_is_refused(model):
    data = INPUTS["held-out docs"][:1500]
    stream, _, tb = hybrid_encode(model, data)
    with pytest.raises(ValueError, match="truncated|corrupt"):
        hybrid_decode(model, stream[:-3], len(data), table_bits=tb)
    with pytest.raises(ValueError, match="after the last symbol|corrupt"):
        hybrid_decode(model, stream + b"\x00\x00", len(data), table_bits=tb)
    with pytest.raises(ValueError, match="empty"):
        hybrid_decode(model, b"", len(data), table_bits=tb)


def test_each_shipped_model_names_the_corpus_it_learnt():
    for corpus in ("python-docs", "cpython-docs"):
        assert load_model(pretrained_model_path(corpus))[1]["corpus"] == corpus
    with pytest.raises(ValueError, match="no pretrained model for 'enwik8'"):
        pretrained_model_path("enwik8")
