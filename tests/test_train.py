"""Training: the schedule, determinism, units (bits per byte), learning, and argument errors."""

import math

import numpy as np
import pytest

from scalingzip.nn.transformer import TransformerConfig, build_model
from scalingzip.nn.train import TrainConfig, evaluate_bits_per_byte, lr_at, train

TINY = TransformerConfig(n_layer=1, d_model=16, n_head=2, n_ctx=32)
FAST = TrainConfig(steps=40, batch_size=8, lr=1e-2, warmup_steps=5, eval_every=20, eval_bytes=2048)


def periodic_bytes(n: int, period: int = 7) -> bytes:
    """A deterministic source whose every byte is predictable from the previous one."""
    return bytes((i % period) * 31 % 256 for i in range(n))


def test_learning_rate_schedule():
    config = TrainConfig(steps=100, lr=1.0, warmup_steps=10, min_lr_ratio=0.1)
    assert lr_at(0, config) == pytest.approx(0.1)
    assert lr_at(9, config) == pytest.approx(1.0)
    assert lr_at(10, config) == pytest.approx(1.0)
    assert lr_at(99, config) == pytest.approx(0.1, abs=1e-3)
    lrs = [lr_at(s, config) for s in range(10, 100)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:])), "cosine decay never increases"


def test_untrained_model_costs_about_eight_bits_per_byte():
    data = np.random.default_rng(0).integers(0, 256, 5000).astype(np.uint8).tobytes()
    assert evaluate_bits_per_byte(build_model(TINY), data) == pytest.approx(8.0, abs=0.1)


def test_a_uniform_model_costs_exactly_eight_bits_whatever_the_window():
    model = build_model(TINY)
    for p in model.parameters():
        p.data.zero_()  # all logits equal: exactly 8 bits for every predicted byte
    data = bytes(range(256)) * 3
    for seq_len in (1, 5, 32):
        assert evaluate_bits_per_byte(model, data, seq_len=seq_len) == pytest.approx(8.0, abs=1e-5)


def test_training_learns_a_predictable_source():
    data = periodic_bytes(4000)
    model = build_model(TINY, seed=0)
    result = train(model, data, data, FAST, progress=False)
    assert result.train_bits_per_byte[0] > 7
    assert result.final_eval_bits_per_byte < 2.0
    assert result.eval_steps.tolist() == [20, 40]
    assert result.tokens[-1] == 40 * 8 * 32


def test_training_is_deterministic():
    data = periodic_bytes(3000, period=11)
    a = train(build_model(TINY, seed=1), data, data, FAST, progress=False)
    b = train(build_model(TINY, seed=1), data, data, FAST, progress=False)
    np.testing.assert_array_equal(a.train_bits_per_byte, b.train_bits_per_byte)
    np.testing.assert_array_equal(a.eval_bits_per_byte, b.eval_bits_per_byte)


def test_losses_are_in_bits():
    data = periodic_bytes(2000)
    result = train(build_model(TINY), data, None, TrainConfig(steps=1, warmup_steps=0, batch_size=4), progress=False)
    # An untrained model's cross-entropy is close to ln 256 nats = 8 bits.
    assert result.train_bits_per_byte[0] == pytest.approx(math.log2(256), abs=0.2)
    assert result.eval_steps.size == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(steps=0), "steps and batch_size"),
        (dict(lr=0.0), "lr must be positive"),
        (dict(steps=10, warmup_steps=20), "warmup_steps must be between"),
        (dict(min_lr_ratio=2.0), "min_lr_ratio"),
    ],
)
def test_bad_train_configs(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_bad_data():
    model = build_model(TINY)
    with pytest.raises(ValueError, match="need more than one window"):
        train(model, b"short", None, FAST, progress=False)
    with pytest.raises(TypeError, match="must be bytes"):
        train(model, "text, not bytes", None, FAST, progress=False)
    with pytest.raises(ValueError, match="at least 2 bytes"):
        evaluate_bits_per_byte(model, b"a")
    with pytest.raises(ValueError, match="seq_len must be between"):
        evaluate_bits_per_byte(model, b"abc", seq_len=64)
    with pytest.raises(ValueError, match="byte values"):
        evaluate_bits_per_byte(model, np.array([1, 300]))
