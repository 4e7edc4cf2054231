"""Pixel models and the context coder as exact image coders, on real digits and a real photograph."""

import numpy as np
import pytest
import torch

from scalingzip.coding import container
from scalingzip.coding.context import context_decode, context_encode, med_predict
from scalingzip.compressors import compress, decompress
from scalingzip.compressors.images import compress_images, decode_images, decompress_images, encode_images
from scalingzip.data import load_digits, load_sample_images
from scalingzip.nn.pixel_model import (PixelModel, PixelModelConfig, causal_offsets, image_code_length_bits,
                                       neighbourhood_features, train_pixel_model)

DIGITS = load_digits()
CONFIG = PixelModelConfig(levels=17, height=8, width=8, hidden=16)


@pytest.fixture(scope="module")
def trained():
    torch.set_num_threads(1)
    model = PixelModel(CONFIG, seed=0)
    losses = train_pixel_model(model, DIGITS.x_train, steps=60, lr=1e-2, seed=0)
    assert losses[-10:].mean() < losses[:10].mean()  # it learned something
    return model


def test_the_neighbourhood_is_causal():
    for radius in (1, 2, 3):
        offsets = causal_offsets(radius)
        assert all(dy < 0 or (dy == 0 and dx < 0) for dy, dx in offsets)
        assert len(offsets) == len(set(offsets)) == radius * (2 * radius + 1) + radius
    images = DIGITS.x_test[:5].astype(np.int64)
    for t in (0, 9, 37, 63):
        changed = images.copy().reshape(5, -1)
        changed[:, t:] = 16 - changed[:, t:]  # rewrite the pixel and everything after it
        a = neighbourhood_features(images, 17, 2, positions=np.array([t]))
        b = neighbourhood_features(changed.reshape(5, 8, 8), 17, 2, positions=np.array([t]))
        assert torch.equal(a, b), f"position {t} reads a pixel the decoder does not know yet"


def test_real_digits_round_trip_at_the_ideal_code_length(trained):
    images = DIGITS.x_test[:120]
    stream = encode_images(trained, images)
    assert np.array_equal(decode_images(trained, stream, len(images)), images)
    ideal = image_code_length_bits(trained, images)
    assert ideal < 8 * len(stream) < ideal + 64  # the coder's overhead is a few words
    assert 8 * len(stream) / images.size < np.log2(17)  # better than storing 17 levels uniformly


def test_bigger_models_have_more_parameters_and_the_same_seed_the_same_weights():
    sizes = [PixelModel(PixelModelConfig(levels=17, height=8, width=8, hidden=h)).n_params for h in (0, 32, 128)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3
    a, b = PixelModel(CONFIG, seed=3), PixelModel(CONFIG, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_damaged_streams_and_bad_inputs_are_refused(trained):
    images = DIGITS.x_test[:20]
    stream = encode_images(trained, images)
    with pytest.raises(ValueError, match="truncated or corrupt"):
        decode_images(trained, stream[:-1], len(images))
    with pytest.raises(ValueError, match="words left"):
        decode_images(trained, stream + bytes(8), len(images))
    with pytest.raises(ValueError, match="expects"):
        encode_images(trained, np.zeros((2, 8, 9), dtype=np.int64))
    with pytest.raises(ValueError, match="0..16"):
        encode_images(trained, np.full((2, 8, 8), 17))
    with pytest.raises(ValueError, match="integer array"):
        encode_images(trained, images.astype(float))
    with pytest.raises(ValueError, match="hidden"):
        PixelModelConfig(levels=17, height=8, width=8, hidden=-1)


def test_the_container_round_trips_and_detects_every_flipped_bit_of_the_payload(trained):
    images = DIGITS.x_test[:6]
    blob = compress_images(trained, images)
    assert np.array_equal(decompress_images(blob, trained), images)
    header = container.unpack(blob)
    assert header.name == "pixels" and header.n == images.size
    start = len(blob) - len(header.payload)
    for bit in range(8 * len(header.payload)):
        damaged = bytearray(blob)
        damaged[start + bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(ValueError):
            decompress_images(bytes(damaged), trained)
    with pytest.raises(ValueError, match="corrupt header"):
        decompress_images(blob[:8] + bytes([blob[8] ^ 1]) + blob[9:], trained)  # in the compressor's name


def test_the_container_refuses_another_model_and_other_blobs(trained):
    blob = compress_images(trained, DIGITS.x_test[:4])
    other = PixelModel(CONFIG, seed=1)
    with pytest.raises(ValueError, match="other weights"):
        decompress_images(blob, other)
    with pytest.raises(ValueError, match="shape"):
        decompress_images(blob, PixelModel(PixelModelConfig(levels=17, height=8, width=8, hidden=8)))
    with pytest.raises(ValueError, match="not a pixel model"):
        decompress_images(compress(b"hello", "order0"), trained)
    with pytest.raises(ValueError, match="model="):  # the registry's decompress needs the model
        decompress(blob)
    with pytest.raises(ValueError, match="needs model="):
        compress(DIGITS.x_test[:1], "pixels")
    assert np.array_equal(decompress(blob, model=trained), DIGITS.x_test[:4])


def test_the_median_edge_detector():
    assert med_predict(10, 20, 25) == 10  # nw above both: an edge, take the smaller
    assert med_predict(10, 20, 5) == 20  # nw below both: take the larger
    assert med_predict(10, 20, 15) == 15  # in between: the plane w + n - nw


def test_the_context_coder_round_trips_real_images_and_refuses_damage():
    images = DIGITS.x_test[:40].astype(np.int64)
    stream = context_encode(images, 17)
    assert np.array_equal(context_decode(stream, images.shape, 17), images)
    assert 8 * len(stream) < images.size * np.log2(17)
    photo = np.asarray(load_sample_images()["flower"][100:164, 200:296, 1])  # a real 64 x 96 crop
    stream = context_encode(photo[None], 256)
    assert np.array_equal(context_decode(stream, (1, *photo.shape), 256)[0], photo)
    assert 8 * len(stream) < 0.8 * 8 * photo.size  # predictable: well under 8 bits per pixel
    with pytest.raises(ValueError):
        context_decode(stream[:-3], (1, *photo.shape), 256)
    with pytest.raises(ValueError):
        context_decode(stream + b"\x00", (1, *photo.shape), 256)
    with pytest.raises(ValueError, match="0..16"):
        context_encode(np.full((1, 4, 4), 17), 17)
    with pytest.raises(ValueError, match="shape"):
        context_decode(stream, (64, 96), 256)
