"""Predictive coding (fixed predictors, PNG filters) and transform coding (DCT, S-transform, quantisation)."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scalingzip.coding import (
    PNG_FILTERS,
    block_dct2,
    block_idct2,
    dct,
    delta_decode,
    delta_encode,
    dequantize,
    energy_compaction,
    entropy_bits,
    idct,
    inverse_s_transform,
    png_filter,
    png_unfilter,
    predictive_decode,
    predictive_encode,
    quantize,
    s_transform,
)


int64_signals = hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=40),
                           elements=st.integers(min_value=-(2**63), max_value=2**63 - 1))
images = hnp.arrays(np.uint8, st.one_of(hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=12),
                                        st.tuples(st.integers(1, 8), st.integers(1, 8), st.integers(1, 4))))


@given(int64_signals, st.integers(min_value=0, max_value=3))
def test_predictors_invert_exactly_even_when_arithmetic_wraps(x, order):
    r = predictive_encode(x, order)
    assert r.dtype == np.int64 and r.shape == x.shape
    assert np.array_equal(predictive_decode(r, order), x)


def test_predictors_know_their_polynomials():
    n = np.arange(50, dtype=np.int64)
    assert np.array_equal(delta_decode(delta_encode(3 * n + 1)), 3 * n + 1)
    assert np.all(delta_encode(3 * n + 1)[1:] == 3)  # a line has constant first differences
    assert np.all(predictive_encode(5 * n - 2, 2)[2:] == 0)  # order 2 predicts a line exactly
    assert np.all(predictive_encode(n * n, 3)[3:] == 0)  # order 3 predicts a parabola exactly


def test_prediction_lowers_entropy_of_a_smooth_signal():
    t = np.arange(4000)
    x = np.round(1000 * np.sin(t / 50.0)).astype(np.int64)

    def empirical_entropy(v):
        _, counts = np.unique(v, return_counts=True)
        return entropy_bits(counts / counts.sum())

    assert empirical_entropy(predictive_encode(x, 2)[2:]) < empirical_entropy(x) - 5


@given(images, st.sampled_from(("adaptive",) + PNG_FILTERS))
def test_png_filters_invert_exactly(image, method):
    filtered, types = png_filter(image, method)
    assert filtered.dtype == np.uint8 and filtered.shape == image.shape and types.shape == (image.shape[0],)
    assert np.array_equal(png_unfilter(filtered, types), image)


def test_png_filters_match_the_specification_on_a_small_example():
    img = np.array([[10, 20, 30], [40, 60, 50]], dtype=np.uint8)
    expect = {
        "none": [[10, 20, 30], [40, 60, 50]],
        "sub": [[10, 10, 10], [40, 20, 246]],  # 50 - 60 = -10 = 246 mod 256
        "up": [[10, 20, 30], [30, 40, 20]],
        "average": [[10, 15, 20], [35, 30, 5]],  # row 2: 40-10//2, 60-(40+20)//2, 50-(60+30)//2
        "paeth": [[10, 10, 10], [30, 20, 246]],
    }
    for name, rows in expect.items():
        filtered, types = png_filter(img, name)
        assert filtered.tolist() == rows, name
        assert types.tolist() == [PNG_FILTERS.index(name)] * 2


def test_adaptive_filtering_helps_a_gradient_image():
    y, x = np.mgrid[0:64, 0:64]
    img = ((x * 3 + y * 2) % 256).astype(np.uint8)
    filtered, _ = png_filter(img)
    assert np.abs(filtered.view(np.int8).astype(int)).sum() < np.abs(img.view(np.int8).astype(int)).sum() / 20


def test_dct_is_the_orthonormal_dct_ii():
    n = 8
    k, i = np.mgrid[0:n, 0:n]
    basis = np.sqrt(2 / n) * np.cos(np.pi * (2 * i + 1) * k / (2 * n))
    basis[0] /= np.sqrt(2)  # reference DCT-II matrix, written from its definition
    assert np.allclose(basis @ basis.T, np.eye(n))
    x = np.random.default_rng(0).normal(size=(3, n))
    assert np.allclose(dct(x), x @ basis.T)
    assert np.allclose(idct(dct(x)), x)


def test_block_dct_preserves_energy_and_compacts_smooth_images():
    y, x = np.mgrid[0:32, 0:48]
    img = 100 + 50 * np.sin(x / 9.0) + 30 * np.cos(y / 7.0)
    c = block_dct2(img, 8)
    assert c.shape == (4, 6, 8, 8)
    assert np.sum(c**2) == pytest.approx(np.sum(img**2))  # Parseval: the transform is orthonormal
    assert np.allclose(block_idct2(c), img)
    assert np.allclose(c[0, 0, 0, 0], 8 * img[:8, :8].mean())
    assert all(energy_compaction(c[i, j], 3) > 0.99 for i in range(4) for j in range(6))
    noise = np.random.default_rng(1).normal(size=64)
    assert energy_compaction(dct(noise), 3) < 0.5
    assert energy_compaction(np.zeros(4), 0) == 1.0


@given(hnp.arrays(np.int64, st.tuples(st.integers(1, 3), st.sampled_from([8, 16, 32])),
                  elements=st.integers(min_value=-(2**63), max_value=2**63 - 1)),
       st.integers(min_value=0, max_value=3))
def test_s_transform_is_exactly_invertible(x, levels):
    y = s_transform(x, levels)
    assert y.dtype == np.int64 and y.shape == x.shape
    assert np.array_equal(inverse_s_transform(y, levels), x)


def test_s_transform_splits_into_means_and_differences():
    x = np.array([5, 3, 8, 8, 0, 7, -3, -4])
    y = s_transform(x, 1)
    assert y.tolist() == [4, 8, 3, -4, 2, 0, -7, 1]  # floor((a+b)/2) then a-b
    assert np.array_equal(inverse_s_transform(s_transform(x, 3), 3), x)


@given(hnp.arrays(np.float64, st.integers(1, 50), elements=st.floats(-1e6, 1e6)),
       st.floats(min_value=1e-3, max_value=1e3))
def test_quantisation_error_is_at_most_half_a_step(x, step):
    q = quantize(x, step)
    assert q.dtype == np.int64
    assert np.all(np.abs(dequantize(q, step) - x) <= step / 2 * (1 + 1e-9) + 1e-9)


def test_errors_say_what_to_fix():
    with pytest.raises(ValueError, match="integers"):
        predictive_encode(np.array([1.5, 2.0]), 1)
    with pytest.raises(ValueError, match="order must be 0, 1, 2 or 3"):
        predictive_encode(np.arange(4), 5)
    with pytest.raises(ValueError, match="uint8"):
        png_filter(np.zeros((2, 2), dtype=np.int32))
    with pytest.raises(ValueError, match="method must be"):
        png_filter(np.zeros((2, 2), dtype=np.uint8), "median")
    with pytest.raises(ValueError, match="one per row"):
        png_unfilter(np.zeros((2, 2), dtype=np.uint8), np.zeros(3, dtype=np.uint8))
    with pytest.raises(ValueError, match="crop or pad"):
        block_dct2(np.zeros((10, 16)), 8)
    with pytest.raises(ValueError, match="multiple of 2\\*\\*levels"):
        s_transform(np.arange(6), 2)
    with pytest.raises(ValueError, match="step must be a finite number > 0"):
        quantize(np.ones(3), 0.0)
    with pytest.raises(ValueError, match="between 0 and the number"):
        energy_compaction(np.ones(3), 4)
    assert math.isclose(energy_compaction(np.array([3.0, 4.0]), 1), 16 / 25)
