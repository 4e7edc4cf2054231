"""A network's own weights coded exactly: the ``weights`` compressor, and the length of that code.

A trained network is the first part of a two-part code; :mod:`scalingzip.nn.pruning` makes it
shorter (masks, quantisation), and this module writes it down for real.
:func:`encode_weights` writes the positions of the nonzero weights (an adaptive binary arithmetic
code of each layer's mask) and their codebook indices (an adaptive code over the codebook) with
the course's coder, the codebooks and the remaining parameters (biases) as float32, inside the
``SZIP`` container with a CRC-32 of the decoded weights. :func:`decode_weights` inverts it into a
copy of a template network, and :func:`weights_code_length_bits` is the length of that code in
bits (the length *of* a model, where :func:`scalingzip.coding.adaptive.adaptive_code_length_bits`
is the length of data *under* one), next to :func:`float32_bits`, the size of the weights stored
plainly. As a registered compressor: ``compress(net, "weights", method="kmeans", bits=5)`` and
``decompress(blob, template=net)``. Codebooks of 1 to 16 bits.

:func:`two_part_code_length_bits` adds the second part, the code length of held-out bytes under
the quantised network (:func:`~scalingzip.compressors.epoch.evaluate_bits`), so that a study can
choose the sparsity and bit width with the shortest total (Grünwald 2007, the MDL principle).

Only the weights of ``nn.Linear``, ``nn.Conv1d``, ``nn.Conv2d`` and ``nn.Embedding`` layers are pruned and
quantised; biases and every other parameter are kept exactly.

References:
    S. Han, H. Mao and W. J. Dally (2016), "Deep Compression: Compressing Deep Neural Networks with
    Pruning, Trained Quantization and Huffman Coding", ICLR.
    P. D. Grünwald (2007), "The Minimum Description Length Principle", MIT Press (two-part codes).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

from scalingzip.coding.adaptive import AdaptiveModel
from scalingzip.coding.arithmetic import ArithmeticDecoder, ArithmeticEncoder
from scalingzip.coding.container import Header
from scalingzip.compressors import Compressor, Encoded, compress, decompress, read_header, register
from scalingzip.compressors.epoch import EpochConfig, evaluate_bits
from scalingzip.nn.pruning import (
    clone,
    layer_weights,
    plain_parameters,
    prunable_layers,
    quantize_kmeans,
    quantize_model,
    quantize_uniform,
)

__all__ = ["TwoPartLength", "decode_weights", "encode_weights", "float32_bits", "two_part_code_length_bits",
           "weights_code_length_bits"]


_METHODS = {"float32": 0, "uniform": 1, "kmeans": 2}
_MAX_CODEBOOK_BITS = 16


def _size_format(bits: int) -> str:
    """How a layer's codebook size is written: two bytes, or four at 16 bits (2**16 levels do not fit two)."""
    return ">H" if bits < 16 else ">I"


def _index_model(k: int) -> AdaptiveModel:
    """The adaptive model of a layer's codebook indices, the same on both sides. Its counts' cap
    must exceed twice the alphabet: the default 2**16 up to 16,384 levels (every code of 14 bits or
    fewer is as it always was), four times the alphabet above."""
    return AdaptiveModel(k, max_total=max(1 << 16, 4 * k))


def _encode(model: nn.Module, *, method: str = "kmeans", bits: int = 5, progress: bool = False) -> Encoded:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(_METHODS)}; got {method!r}")
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= _MAX_CODEBOOK_BITS:
        raise ValueError(f"bits must be an int from 1 to {_MAX_CODEBOOK_BITS}; got {bits!r}")
    encoder = ArithmeticEncoder()
    side = bytearray()
    decoded = []
    for weights, keep in layer_weights(model):
        mask_model = AdaptiveModel(2)
        for bit in keep:
            mask_model.encode(int(bit), encoder)
        kept = weights[keep]
        if method == "float32" or kept.size == 0:
            side += kept.astype("<f4").tobytes()
            values = kept
        else:
            q = (quantize_kmeans if method == "kmeans" else quantize_uniform)(kept, bits)
            used = np.unique(q.indices)  # store only the levels in use: every stored byte matters
            codebook, indices = q.codebook[used], np.searchsorted(used, q.indices)
            side += struct.pack(_size_format(bits), len(codebook)) + codebook.astype("<f4").tobytes()
            index_model = _index_model(len(codebook))
            for i in indices:
                index_model.encode(int(i), encoder)
            values = codebook[indices]
        full = np.zeros_like(weights)
        full[keep] = values
        decoded.append(full)
    for p in plain_parameters(model):
        raw = p.cpu().numpy().astype("<f4").reshape(-1)
        side += raw.tobytes()
        decoded.append(raw)
    stream = encoder.finish()
    payload = struct.pack(">Q", len(side)) + bytes(side) + stream
    params = {"method": _METHODS[method], "bits": bits, "n_layers": len(prunable_layers(model)),
              "n_params": sum(d.size for d in decoded)}
    return Encoded(params, np.concatenate(decoded).astype("<f4").tobytes(), payload)


def _decode(header: Header, *, template: nn.Module, progress: bool = False) -> tuple[nn.Module, bytes]:
    out = clone(template)
    for m in prunable_layers(out).values():
        for name in ("weight", "bias"):
            if hasattr(m, name + "_mask"):
                prune.remove(m, name)
    layers = list(prunable_layers(out).values())
    plain = plain_parameters(out)
    n_params = sum(m.weight.numel() for m in layers) + sum(p.numel() for p in plain)
    method = {v: k for k, v in _METHODS.items()}.get(header.params["method"])
    if method is None or header.params["n_layers"] != len(layers) or header.params["n_params"] != n_params:
        raise ValueError("the blob does not fit this template: another architecture, or a damaged header")
    if not 1 <= header.params["bits"] <= _MAX_CODEBOOK_BITS:
        raise ValueError(f"the header's bits ({header.params['bits']}) are out of range; the blob is damaged")
    payload = header.payload
    try:
        (n_side,) = struct.unpack(">Q", payload[:8])
        side, stream = memoryview(payload[8:8 + n_side]), payload[8 + n_side:]
        if len(side) != n_side:
            raise ValueError("truncated side information")
        decoder = ArithmeticDecoder(stream)
        pos = 0

        def take(n_bytes: int) -> bytes:
            nonlocal pos
            if pos + n_bytes > len(side):
                raise ValueError("truncated side information")
            chunk = bytes(side[pos:pos + n_bytes])
            pos += n_bytes
            return chunk

        decoded = []
        with torch.no_grad():
            for m in layers:
                n = m.weight.numel()
                mask_model = AdaptiveModel(2)
                keep = np.array([mask_model.decode(decoder) for _ in range(n)], dtype=bool)
                n_kept = int(keep.sum())
                if method == "float32" or n_kept == 0:
                    values = np.frombuffer(take(4 * n_kept), dtype="<f4")
                else:
                    size = struct.Struct(_size_format(header.params["bits"]))
                    (k,) = size.unpack(take(size.size))
                    if not 1 <= k <= min(n_kept, 2 ** header.params["bits"]):
                        raise ValueError("codebook size out of range")
                    codebook = np.frombuffer(take(4 * k), dtype="<f4")
                    index_model = _index_model(k)
                    values = codebook[[index_model.decode(decoder) for _ in range(n_kept)]]
                full = np.zeros(n, dtype=np.float32)
                full[keep] = values
                m.weight.copy_(torch.from_numpy(full).reshape(m.weight.shape))
                decoded.append(full)
            for p in plain:
                raw = np.frombuffer(take(4 * p.numel()), dtype="<f4")
                p.copy_(torch.from_numpy(raw.copy()).reshape(p.shape))
                decoded.append(raw)
        decoder.finish()
        if pos != len(side):
            raise ValueError("side information has bytes left over")
    except (ValueError, IndexError, struct.error) as err:
        raise ValueError(f"the weights blob is corrupt: {err}") from None
    return out, np.concatenate(decoded).astype("<f4").tobytes()


def encode_weights(model: nn.Module, *, method: str = "kmeans", bits: int = 5) -> bytes:
    """Code a network's weights: masks, quantised nonzero weights, codebooks and the other parameters.

    Per prunable layer: the mask as an adaptive binary arithmetic code; the kept weights quantised
    per layer with ``method`` (``"kmeans"``, ``"uniform"``, or ``"float32"``: stored exactly, 32 bits
    each) to ``2**bits`` levels (``bits`` from 1 to 16) and their indices as an adaptive arithmetic
    code; the codebook's levels in use as float32. Every other parameter as float32. The whole goes
    into the ``SZIP`` container (model ``"weights"``) with the CRC-32 of the decoded parameters, so a
    damaged blob is refused.

    The weights :func:`decode_weights` returns are the quantised ones, those of
    :func:`~scalingzip.nn.pruning.quantize_model`: quantisation is lossy, the coding after it is not.

    Raises:
        TypeError: if ``model`` is not an ``nn.Module``.
        ValueError: for an unknown method, or bits outside 1 to 16.
    """
    return compress(model, "weights", method=method, bits=bits)


def decode_weights(blob: bytes, template: nn.Module) -> nn.Module:
    """A copy of ``template`` (same architecture) holding the weights coded in ``blob``.

    The copy has no pruning reparametrisation: pruned weights are plain zeros.

    Raises:
        ValueError: for a blob that is not a weights code, does not fit the template's
            architecture, or is damaged (the container's checks and the CRC of the decoded weights).
    """
    name = read_header(blob).name
    if name != "weights":
        raise ValueError(f"this blob was made by the {name!r} compressor, not encode_weights")
    return decompress(blob, template=template)


def weights_code_length_bits(model: nn.Module, *, method: str = "kmeans", bits: int = 5) -> int:
    """Length in bits of :func:`encode_weights`'s code for ``model``: a real size, header included."""
    return 8 * len(encode_weights(model, method=method, bits=bits))


def float32_bits(model: nn.Module) -> int:
    """Size of every parameter stored plainly as float32, in bits (pruned weights count too)."""
    return 32 * sum(m.weight.numel() for m in prunable_layers(model).values()) + 32 * sum(
        p.numel() for p in plain_parameters(model))


register(Compressor(
    name="weights", takes="network", options=("method", "bits"), decode_needs=("template",),
    encode=_encode, decode=_decode, fields=tuple((k, 0) for k in ("method", "bits", "n_layers", "n_params")),
    description="a network's weights, pruned, quantised and arithmetic-coded (decoding needs template=, "
                "a network of the same architecture)"))


@dataclass(frozen=True, kw_only=True)
class TwoPartLength:
    """A two-part code of held-out bytes: the network's exact code, then the bytes' code under it."""

    model_bits: int  # 8 x the bytes of encode_weights(model, method, bits), header included
    data_bits: float  # code length of the bytes under the quantised network, in bits (evaluate_bits)
    n_bytes: int  # bytes coded by the second part
    method: str
    bits: int  # codebook bits per layer

    @property
    def total_bits(self) -> float:
        """Both parts, in bits: what a study minimises over sparsity and bit width."""
        return self.model_bits + self.data_bits

    @property
    def bits_per_byte(self) -> float:
        """The total per byte of data."""
        return self.total_bits / self.n_bytes


def two_part_code_length_bits(model: nn.Module, data: bytes, *, method: str = "kmeans", bits: int = 5,
                              seq_len: int = 64) -> TwoPartLength:
    """The two-part code length of ``data`` with a byte transformer: first the network's weights as
    :func:`encode_weights` codes them (:func:`weights_code_length_bits`: the masks and quantised
    weights exactly, header included), then the bytes under the network those weights decode to
    (:func:`~scalingzip.nn.pruning.quantize_model`), read as an epoch reads held-out bytes
    (:func:`~scalingzip.compressors.epoch.evaluate_bits`, windows of ``seq_len`` bytes, each byte
    predicted, its bits per byte times its bytes). The second part is a code length measured from
    the log-loss; an arithmetic coder adds at most a few bytes to it.

    Raises:
        TypeError: for a model without a ``config.n_ctx``.
        ValueError: for an unknown method, bits outside 1 to 16, no data, or a ``seq_len`` that
            does not fit the model's context.
    """
    n_ctx = getattr(getattr(model, "config", None), "n_ctx", None)
    if not isinstance(model, nn.Module) or n_ctx is None:
        raise TypeError(f"model must be a byte transformer (a module with config.n_ctx); got {type(model).__name__}")
    data = bytes(data)
    if not data:
        raise ValueError("data is empty: the second part codes held-out bytes; pass some")
    if isinstance(seq_len, bool) or not isinstance(seq_len, int) or not 1 <= seq_len <= n_ctx - 1:
        raise ValueError(f"seq_len must be an int from 1 to n_ctx - 1 = {n_ctx - 1}; got {seq_len!r}")
    model_bits = weights_code_length_bits(model, method=method, bits=bits)
    data_bits = evaluate_bits(quantize_model(model, method=method, bits=bits), data, EpochConfig(seq_len=seq_len))
    return TwoPartLength(model_bits=model_bits, data_bits=data_bits, n_bytes=len(data), method=method, bits=bits)
