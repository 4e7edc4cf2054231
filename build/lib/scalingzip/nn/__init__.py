"""PyTorch networks, how they are trained, and what they cost.

* :mod:`~scalingzip.nn.transformer` - byte-level causal transformers and their named presets.
* :mod:`~scalingzip.nn.pixel_model` - an autoregressive pixel model of small grey images.
* :mod:`~scalingzip.nn.classifiers` - the image classifiers of the vision studies and their one
  training recipe.
* :mod:`~scalingzip.nn.train` - a seeded training loop and evaluation in bits per byte.
* :mod:`~scalingzip.nn.flops` - parameter and FLOP counts, measured and closed-form.
* :mod:`~scalingzip.nn.pruning` - pruning (unstructured by any score, structured, gradual, lottery
  tickets) and quantisation.
* :mod:`~scalingzip.nn.saliency` - which weights to prune: magnitude, Taylor, SNIP and Wanda scores.
* :mod:`~scalingzip.nn.sensitivity` - each layer's loss against its sparsity, and the per-layer
  sparsities it implies for a global target.
* :mod:`~scalingzip.nn.structured` - whole attention heads and MLP neurons removed, and the smaller
  dense transformer that computes the same function.
* :mod:`~scalingzip.nn.sparse_training` - sparse from the first step: ERK densities, random masks,
  SET and RigL, and their training FLOPs.
* :mod:`~scalingzip.nn.determinism` - one thread where a result must not depend on the machine,
  and checksums of weights.

Coding data or weights exactly with these networks is :mod:`scalingzip.compressors`' job.
"""
