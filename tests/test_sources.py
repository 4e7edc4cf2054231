"""Synthetic sources: their stated entropy rates are what a good coder approaches."""

import numpy as np
import pytest

from scalingzip.coding import PPMModel, adaptive_code_length_bits
from scalingzip.data.sources import iid_source, markov_source


def empirical_conditional_entropy_bits(data: bytes, order: int) -> float:
    """Plug-in estimate of H(X_t | previous `order` symbols), in bits per symbol."""
    x = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
    contexts = sum(x[i : len(x) - order + i] * 256**(order - 1 - i) for i in range(order))
    pairs = contexts * 256 + x[order:]
    _, pair_counts = np.unique(pairs, return_counts=True)
    _, ctx_counts = np.unique(contexts, return_counts=True)
    n = pair_counts.sum()
    return float(-(pair_counts * np.log2(pair_counts)).sum() / n + (ctx_counts * np.log2(ctx_counts)).sum() / n)


def test_iid_entropy_rate_and_sample():
    source = iid_source([0.5, 0.25, 0.25], 50_000, seed=1)
    assert source.entropy_rate_bits == pytest.approx(1.5)
    counts = np.bincount(np.frombuffer(source.data, dtype=np.uint8), minlength=3) / 50_000
    np.testing.assert_allclose(counts, [0.5, 0.25, 0.25], atol=0.01)


@pytest.mark.parametrize(("order", "alphabet", "concentration"), [(1, 3, 0.3), (2, 4, 0.5), (3, 2, 1.0)])
def test_markov_entropy_rate_matches_the_sample(order, alphabet, concentration):
    source = markov_source(200_000, order=order, alphabet_size=alphabet, concentration=concentration, seed=3)
    estimate = empirical_conditional_entropy_bits(source.data, order)
    assert 0 < source.entropy_rate_bits < np.log2(alphabet)
    assert estimate == pytest.approx(source.entropy_rate_bits, abs=0.02)
    # Conditioning on more than the true order does not help: same rate (up to estimation bias).
    assert empirical_conditional_entropy_bits(source.data, order + 1) == pytest.approx(estimate, abs=0.02)


def test_an_adaptive_context_coder_approaches_the_entropy_rate():
    source = markov_source(60_000, order=2, alphabet_size=4, concentration=0.4, seed=5)
    bits = adaptive_code_length_bits(source.data, PPMModel(2)) / len(source.data)
    assert source.entropy_rate_bits - 0.01 < bits < source.entropy_rate_bits + 0.08


def test_sampling_is_seeded():
    assert markov_source(1000, seed=7).data == markov_source(1000, seed=7).data
    assert markov_source(1000, seed=7).data != markov_source(1000, seed=8).data


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: iid_source([0.5, 0.6], 10), "sum to 1"),
        (lambda: iid_source(np.ones(300) / 300, 10), "1 to 256"),
        (lambda: markov_source(10, order=0), "order must be >= 1"),
        (lambda: markov_source(10, order=9, alphabet_size=8), "too many"),
        (lambda: markov_source(10, concentration=0), "concentration must be positive"),
        (lambda: markov_source(-1), "n must be >= 0"),
    ],
)
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
