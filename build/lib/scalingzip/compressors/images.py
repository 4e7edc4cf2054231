"""Images coded exactly by a pretrained pixel model: the ``pixels`` compressor.

Coding is exact by construction: :func:`encode_images` and :func:`decode_images` run one loop,
over pixel positions, with the whole batch of images at each position; the decoder computes each
position's features from pixels it has already decoded, which equal the encoder's by induction,
in the same batch shape, so the model's floats are the same bit for bit (on one machine, with one
thread: :func:`~scalingzip.nn.determinism.one_thread`). The probabilities
(:func:`~scalingzip.nn.pixel_model.pixel_probabilities`) go to constriction's range coder.

:func:`compress_images` / :func:`decompress_images` (or ``compress(images, "pixels", model=...)``)
wrap the stream in the ``SZIP`` container with the model's shape and the first 64 bits of its
:func:`~scalingzip.nn.determinism.weights_checksum`, so another model is refused and a damaged
blob is detected instead of returning wrong pixels.
"""

from __future__ import annotations

import numpy as np

from scalingzip.coding.container import Header
from scalingzip.coding.context import check_images
from scalingzip.compressors import Compressor, Encoded, compress, decompress, read_header, register
from scalingzip.nn.determinism import one_thread, weights_checksum
from scalingzip.nn.pixel_model import PixelModel, pixel_probabilities

__all__ = ["compress_images", "decode_images", "decompress_images", "encode_images"]


def encode_images(model: PixelModel, images: np.ndarray) -> bytes:
    """Code a batch of images exactly; returns constriction's stream as bytes."""
    import constriction

    c = model.config
    a = check_images(images, c.levels)
    if a.shape[1:] != (c.height, c.width):
        raise ValueError(f"images are {a.shape[1:]}, the model expects {(c.height, c.width)}")
    encoder = constriction.stream.queue.RangeEncoder()
    family = constriction.stream.model.Categorical(perfect=False)
    flat = a.reshape(len(a), -1)
    model.eval()
    with one_thread():
        for t in range(c.height * c.width):
            encoder.encode(flat[:, t].astype(np.int32), family, pixel_probabilities(model, a, t))
    return encoder.get_compressed().astype("<u4").tobytes()


def decode_images(model: PixelModel, stream: bytes, n: int) -> np.ndarray:
    """Decode ``n`` images coded by :func:`encode_images` with the same model.

    Raises:
        ValueError: for a stream that is not whole 32-bit words, runs out, or has words left over.
    """
    import constriction

    c = model.config
    if not isinstance(stream, (bytes, bytearray)) or len(stream) % 4:
        raise ValueError("stream must be bytes of whole 32-bit words: it is truncated or corrupt")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative int; got {n!r}")
    out = np.zeros((int(n), c.height, c.width), dtype=np.int64)
    decoder = constriction.stream.queue.RangeDecoder(np.frombuffer(bytes(stream), dtype="<u4").astype(np.uint32))
    family = constriction.stream.model.Categorical(perfect=False)
    model.eval()
    try:
        with one_thread():
            for t in range(c.height * c.width):
                symbols = decoder.decode(family, pixel_probabilities(model, out, t))
                out[:, t // c.width, t % c.width] = symbols
    except (ValueError, AssertionError, RuntimeError) as err:
        raise ValueError(f"stream is truncated or corrupt: the range decoder failed ({err})") from None
    if not decoder.maybe_exhausted():
        raise ValueError("stream has words left after the last pixel: it is corrupt or has trailing data")
    return out


def _check_model(model: object) -> PixelModel:
    if not isinstance(model, PixelModel):
        raise TypeError(f"model must be a PixelModel; got {type(model).__name__}")
    return model


_SHAPE_FIELDS = ("levels", "height", "width", "radius", "hidden", "layers")


def _encode(images: np.ndarray, *, model: PixelModel, progress: bool = False) -> Encoded:
    model = _check_model(model)
    c = model.config
    if c.levels > 256:
        raise ValueError(f"the container stores pixels as bytes: at most 256 levels, the model has {c.levels}")
    a = check_images(images, c.levels)
    if a.shape[1:] != (c.height, c.width):
        raise ValueError(f"images are {a.shape[1:]}, the model expects {(c.height, c.width)}")
    digest = weights_checksum(model)
    fields = {**{k: getattr(c, k) for k in _SHAPE_FIELDS},
              "model_sha_hi": int(digest[:8], 16), "model_sha_lo": int(digest[8:16], 16)}
    return Encoded(fields, a.astype(np.uint8).tobytes(), encode_images(model, a))


def _decode(header: Header, *, model: PixelModel, progress: bool = False) -> tuple[np.ndarray, bytes]:
    model = _check_model(model)
    c = model.config
    stored = {k: header.params[k] for k in _SHAPE_FIELDS}
    if stored != {k: getattr(c, k) for k in _SHAPE_FIELDS}:
        raise ValueError(f"these images were coded by a pixel model of shape {stored}, not {c}")
    digest = weights_checksum(model)
    if (int(digest[:8], 16), int(digest[8:16], 16)) != (header.params["model_sha_hi"], header.params["model_sha_lo"]):
        raise ValueError("the model's checksum differs from the one the images were coded with: same shape, "
                         "other weights; pass the model they were coded with")
    per_image = c.height * c.width
    if header.n % per_image:
        raise ValueError(f"header says {header.n} pixels, not a whole number of {c.height}x{c.width} images")
    images = decode_images(model, header.payload, header.n // per_image)
    return images, images.astype(np.uint8).tobytes()


def compress_images(model: PixelModel, images: np.ndarray) -> bytes:
    """Code ``images`` with ``model`` into the ``SZIP`` container (compressor ``"pixels"``).

    The header stores the model's shape and the first 64 bits of its checksum (the weights
    themselves are not stored), the number of pixels and the CRC-32 of the images as uint8 bytes
    in raster order.
    """
    return compress(images, "pixels", model=model)


def decompress_images(blob: bytes, model: PixelModel) -> np.ndarray:
    """Invert :func:`compress_images` with the model the images were coded with.

    Raises:
        ValueError: for a blob of another format or compressor, a model of another shape or with
            other weights, or a damaged blob (the container's checks, the range decoder's, and the
            CRC-32 of the decoded pixels).
    """
    _check_model(model)
    name = read_header(blob).name
    if name != "pixels":
        raise ValueError(f"this blob was made by the {name!r} compressor, not a pixel model")
    return decompress(blob, model=model)


register(Compressor(
    name="pixels", takes="images", needs=("model",), decode_needs=("model",), encode=_encode, decode=_decode,
    fields=tuple((k, 0) for k in (*_SHAPE_FIELDS, "model_sha_hi", "model_sha_lo")),
    description="images (uint8, raster order) coded by a pretrained autoregressive pixel model (needs model=)"))
