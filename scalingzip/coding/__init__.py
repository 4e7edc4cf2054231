"""Lossless coding: entropy, Huffman and arithmetic codes, models, a file format, baselines.

Which module holds what:

* :mod:`.entropy` - ``entropy_bits``, ``cross_entropy_bits``, ``kl_bits``, ``bits_per_byte``.
* :mod:`.huffman` - canonical Huffman codes: ``huffman_code``, ``huffman_encode``/``huffman_decode``.
* :mod:`.arithmetic` - the integer range coder ``ArithmeticEncoder``/``ArithmeticDecoder`` and
  ``quantize_probabilities``, the one place probabilities become integer frequencies.
* :mod:`.models` - ``StaticModel``, ``AdaptiveModel`` (order 0), ``PPMModel`` (order k).
* :mod:`.mixing` - the online context-mixing model (a neural mixer that learns while it codes).
* :mod:`.container` - ``compress``/``decompress``: a self-describing, checksummed format.
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
from .container import MODELS, ModelSpec, compress, decompress
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
    model_code_length_bits,
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
    "MODELS",
    "PNG_FILTERS",
    "STATE_BITS",
    "STDLIB_COMPRESSORS",
    "AdaptiveModel",
    "ArithmeticDecoder",
    "ArithmeticEncoder",
    "CodeLengthMeter",
    "CompressionResult",
    "Model",
    "ModelSpec",
    "PPMModel",
    "StaticModel",
    "baseline_results",
    "bits_per_byte",
    "block_dct2",
    "block_idct2",
    "code_length_bits",
    "compress",
    "constriction_decode",
    "constriction_encode",
    "cross_entropy_bits",
    "dct",
    "decode_with_model",
    "decompress",
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
    "mixing_code_lengths",
    "mixing_decode",
    "mixing_encode",
    "model_code_length_bits",
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
