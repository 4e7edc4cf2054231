"""Lossless coding: entropy, Huffman and arithmetic codes, adaptive models, a file format, baselines.

NumPy only (the context-mixing model adds Numba): nothing here imports the rest of the package.
The compressors built on these coders, with ``compress``/``decompress``, are in
:mod:`scalingzip.compressors`.

Which module holds what:

* :mod:`.entropy` - ``entropy_bits``, ``cross_entropy_bits``, ``kl_bits``, ``bits_per_byte``.
* :mod:`.huffman` - canonical Huffman codes: ``huffman_code``, ``huffman_encode``/``huffman_decode``.
* :mod:`.arithmetic` - the integer range coder ``ArithmeticEncoder``/``ArithmeticDecoder`` and
  ``quantize_probabilities``, the one place probabilities become integer frequencies.
* :mod:`.adaptive` - ``StaticModel``, ``AdaptiveModel`` (order 0), ``PPMModel`` (order k), and
  ``adaptive_code_length_bits``, the length of data under such a model.
* :mod:`.mixing` - the online context-mixing model (a neural mixer that learns while it codes).
* :mod:`.container` - the ``SZIP`` file format: header fields, lengths, CRC-32s, ``pack``/``unpack``.
* :mod:`.context` - a classical image coder: LOCO-I's median predictor and adaptive contexts.
* :mod:`.baselines` - zlib, bz2 and xz measured in bits per byte.
* :mod:`.constriction_coder` - the fast exact range coder of the ``constriction`` library.
* :mod:`.prediction` - predictive coding: delta / linear prediction, PNG filters.
* :mod:`.transforms` - transform coding: DCT, the integer S-transform, uniform quantisation.
"""

from .arithmetic import (
    MAX_TOTAL_BITS,
    STATE_BITS,
    ArithmeticDecoder,
    ArithmeticEncoder,
    code_length_bits,
    quantize_probabilities,
)
from .baselines import STDLIB_COMPRESSORS, CompressionResult, baseline_results, measure_compressor
from .constriction_coder import constriction_decode, constriction_encode
from .context import context_decode, context_encode, med_predict
from .entropy import bits_per_byte, cross_entropy_bits, entropy_bits, kl_bits
from .huffman import expected_length_bits, huffman_code, huffman_code_lengths, huffman_decode, huffman_encode
from .adaptive import (
    AdaptiveModel,
    CodeLengthMeter,
    Model,
    PPMModel,
    StaticModel,
    decode_with_model,
    encode_with_model,
    adaptive_code_length_bits,
)
from .prediction import (
    PNG_FILTERS,
    delta_decode,
    delta_encode,
    png_filter,
    png_unfilter,
    predictive_decode,
    predictive_encode,
)
from .transforms import (
    block_dct2,
    block_idct2,
    dct,
    dequantize,
    energy_compaction,
    idct,
    inverse_s_transform,
    quantize,
    s_transform,
)

__all__ = [
    "MAX_TOTAL_BITS",
    "PNG_FILTERS",
    "STATE_BITS",
    "STDLIB_COMPRESSORS",
    "AdaptiveModel",
    "ArithmeticDecoder",
    "ArithmeticEncoder",
    "CodeLengthMeter",
    "CompressionResult",
    "Model",
    "PPMModel",
    "StaticModel",
    "adaptive_code_length_bits",
    "baseline_results",
    "bits_per_byte",
    "block_dct2",
    "block_idct2",
    "code_length_bits",
    "constriction_decode",
    "constriction_encode",
    "context_decode",
    "context_encode",
    "cross_entropy_bits",
    "dct",
    "decode_with_model",
    "delta_decode",
    "delta_encode",
    "dequantize",
    "encode_with_model",
    "energy_compaction",
    "entropy_bits",
    "expected_length_bits",
    "huffman_code",
    "huffman_code_lengths",
    "huffman_decode",
    "huffman_encode",
    "idct",
    "inverse_s_transform",
    "kl_bits",
    "measure_compressor",
    "med_predict",
    "mixing_code_lengths",
    "mixing_decode",
    "mixing_encode",
    "png_filter",
    "png_unfilter",
    "predictive_decode",
    "predictive_encode",
    "quantize",
    "quantize_probabilities",
    "s_transform",
]


_LAZY = {"mixing_code_lengths", "mixing_decode", "mixing_encode"}  # need Numba: imported on first use


def __getattr__(name: str):
    if name in _LAZY:
        from . import mixing

        return getattr(mixing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
