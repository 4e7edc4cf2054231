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


def test_a_shorter_run_forked_off_a_longer_one_is_the_run_alone(stream):
    config = EpochConfig(batch_size=4, seq_len=32, lr=3e-3, warmup_steps=2, seed=0, schedule="wsd", cooldown=0.2)
    forks = {}
    trunk = train_epoch(stream, SMALL, config, forks=(700, 1280, len(stream)),
                        on_fork=lambda m, model, result: forks.__setitem__(m, result))
    assert forks[len(stream)].weights_crc == trunk.weights_crc
    for m in (700, 1280):  # 700: the fork leaves before a short last batch; 1280: ten full batches
        alone = train_epoch(stream[:m], SMALL, config)
        assert np.array_equal(forks[m].batch_bits, alone.batch_bits) and forks[m].weights_crc == alone.weights_crc
    # the trunk's bits up to a fork's cool-down are the fork's: the prefix of one run is a code of the prefix
    start = config.cooldown_start(1280)
    assert np.array_equal(trunk.batch_bits[:start], forks[1280].batch_bits[:start])
    with pytest.raises(ValueError, match="schedule='wsd'"):
        train_epoch(stream, SMALL, CONFIG, forks=(700,), on_fork=lambda *a: None)
    with pytest.raises(ValueError, match="each fork"):
        train_epoch(stream, SMALL, config, forks=(len(stream) + 1,), on_fork=lambda *a: None)


def test_the_wsd_schedule_warms_up_holds_and_decays():
    config = EpochConfig(batch_size=1, seq_len=1, lr=1.0, warmup_steps=4, schedule="wsd", cooldown=0.25)
    rates = [config.lr_at(s, 40) for s in range(40)]
    assert rates[:4] == [0.25, 0.5, 0.75, 1.0] and set(rates[4:30]) == {1.0}
    assert rates[30] == 1.0 and rates[-1] == pytest.approx(0.1) and np.all(np.diff(rates[30:]) < 0)
    assert config.cooldown_start(40) == 30 and config.cooldown_start(400) == 300
    with pytest.raises(ValueError, match="schedule"):
        EpochConfig(schedule="linear")
