"""PyTorch networks, how they are trained, and what they cost.

* :mod:`~scalingzip.nn.transformer` - byte-level causal transformers and their named presets.
* :mod:`~scalingzip.nn.pixel_model` - an autoregressive pixel model of small grey images.
* :mod:`~scalingzip.nn.classifiers` - the image classifiers of the vision studies and their one
  training recipe.
* :mod:`~scalingzip.nn.train` - a seeded training loop and evaluation in bits per byte.
* :mod:`~scalingzip.nn.flops` - parameter and FLOP counts, measured and closed-form.
* :mod:`~scalingzip.nn.pruning` - pruning (unstructured, structured, gradual, lottery tickets)
  and quantisation.
* :mod:`~scalingzip.nn.determinism` - one thread where a result must not depend on the machine,
  and checksums of weights.

Coding data or weights exactly with these networks is :mod:`scalingzip.compressors`' job.
"""
