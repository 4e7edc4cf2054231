"""The loss is the file: the exact code of a single-epoch training stream is its summed training loss."""

import numpy as np
import pytest

from scalingzip.compressors.epoch import EpochConfig, decode_epoch, encode_epoch, train_epoch
from scalingzip.data import document_splits
from scalingzip.nn.transformer import PRESETS, TransformerConfig

CONFIG = EpochConfig(batch_size=4, seq_len=32, lr=3e-3, warmup_steps=2, seed=0)
SMALL = PRESETS["1k"]


@pytest.fixture(scope="module")
def stream():
    return document_splits("cpython-docs").train[:3000]  # 23 full batches and a partial one


def test_training_alone_measures_the_same_code_length(stream):
    result = train_epoch(stream, SMALL, CONFIG)
    assert len(result.batch_bits) == 24 and result.batch_bytes.sum() == len(stream)
    assert result.batch_bits[0] / result.batch_bytes[0] == pytest.approx(8.0, abs=0.1)  # untrained: ~uniform
    assert result.batch_bits[-3:].sum() / result.batch_bytes[-3:].sum() < 7.5  # and it learns within the epoch


def test_the_file_is_the_summed_loss_and_decodes_byte_exact(stream):
    code = encode_epoch(stream, SMALL, CONFIG)
    summed_bits = code.result.bits
    assert summed_bits == pytest.approx(train_epoch(stream, SMALL, CONFIG).bits, rel=1e-9)  # same training
    assert abs(8 * len(code.stream) - summed_bits) <= 0.001 * summed_bits + 64 * 8
    back = decode_epoch(code.stream, code.n, SMALL, CONFIG, code.result.weights_crc)
    assert back == stream


def test_damage_and_drift_are_refused(stream):
    data = stream[:600]
    code = encode_epoch(data, SMALL, CONFIG)
    with pytest.raises(ValueError, match="not whole 32-bit words"):
        decode_epoch(code.stream[:-1], code.n, SMALL, CONFIG, code.result.weights_crc)
    with pytest.raises(ValueError, match="other weights"):
        decode_epoch(code.stream, code.n, SMALL, CONFIG, code.result.weights_crc ^ 1)
    flipped = bytearray(code.stream)
    flipped[len(flipped) // 2] ^= 0x10
    with pytest.raises(ValueError):  # the decoder fails, or trains on other bytes and ends with other weights
        decode_epoch(bytes(flipped), code.n, SMALL, CONFIG, code.result.weights_crc)
    with pytest.raises(ValueError, match="does not fit"):
        train_epoch(data, TransformerConfig(n_layer=1, d_model=8, n_head=2, n_ctx=16), CONFIG)
    with pytest.raises(ValueError, match="batch_size"):
        EpochConfig(batch_size=0)
    assert np.isfinite(train_epoch(b"", SMALL, CONFIG).bits)
