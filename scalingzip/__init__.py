"""scalingzip: the helper package of the course "Scaling Laws as Compression".

Every chapter and lab imports it. One module per concept; import what you need from it:

* :mod:`scalingzip.coding` - lossless coding: entropy, Huffman and arithmetic coders, adaptive
  and context models, the online context-mixing model (:mod:`~scalingzip.coding.mixing`), the
  ``compress``/``decompress`` format, classical baselines, predictive and transform coding.
* :mod:`scalingzip.compressors.lm` - language models as exact compressors: ideal code lengths, exact coding
  with a pretrained transformer, and online (prequential) coding while the model trains.
* :mod:`scalingzip.data` - offline corpora (``load_text``: Python's docs, a shipped snapshot, and code, any file)
  and deterministic splits; offline image data (``load_digits``, ``load_sample_images``, ``load_mnist1d``).
* :mod:`scalingzip.data.digitised` - published measurements shipped as data: Hoffmann et al.'s training
  runs read from their Figure 4 by the course's own digitiser (``load_chinchilla_points``).
* :mod:`scalingzip.data.bpe` - byte-level byte-pair encoding: a tokenizer trained on bytes, exact round trips.
* :mod:`scalingzip.data.sources` - synthetic i.i.d. and Markov sources with exact entropy rates.
* :mod:`scalingzip.nn.transformer` - byte-level causal transformers and their named presets.
* :mod:`scalingzip.nn.flops` - parameter and FLOP counts, exact (measured) and closed-form.
* :mod:`scalingzip.nn.train` - a seeded training loop and evaluation, in bits per byte.
* :mod:`scalingzip.scaling` - scaling-law mathematics, one import path for: power-law and
  saturating fits with intervals, the bootstrap, the IsoFLOP method; :mod:`~scalingzip.scaling.chinchilla`
  (Hoffmann et al.'s parametric law, its fit and the compute-optimal frontier, with the batched
  L-BFGS of :mod:`~scalingzip.scaling._lbfgs`); :mod:`~scalingzip.scaling.kaplan` (Kaplan's laws and closed-form
  FLOPs per token); :mod:`~scalingzip.scaling.published` (the papers' constants, with citations).
* :mod:`scalingzip.nn.pixel_model` - autoregressive pixel models and images coded exactly with them (in the
  ``SZIP`` container), and a classical context coder (LOCO-I's predictor, adaptive contexts).
* :mod:`scalingzip.nn.pruning` - pruning (unstructured, structured, gradual, lottery tickets),
  quantisation, and a network's own weights coded exactly.
* :mod:`scalingzip.studies.sweep` - sweeps of training runs: configs hashed into cache keys, results
  stored as JSON, run in this process, in local processes or on a Dask cluster.
* :mod:`scalingzip.studies` - the course's scaling studies (:mod:`~scalingzip.studies.nlp`:
  chapter 5's byte-level transformers; :mod:`~scalingzip.studies.cv`: chapter 6's image
  classifiers and pixel models; :mod:`~scalingzip.studies.pruned`: chapter 7's pruned
  classifiers), their designs and the configs of their runs.
* :mod:`scalingzip.classroom.assignments` - the labs as otter-grader masters: the book's student view, the
  classroom release (student notebook, autograder zip) and offline grading;
  :mod:`~scalingzip.book.labpages` renders them in the book (a Sphinx extension).
* :mod:`scalingzip.book.plots` - the course's figure style.
* :mod:`scalingzip.book.report` - numbers formatted for the book's prose.
* :mod:`scalingzip.cli` - the ``compress``, ``decompress``, ``train-lm``, ``sweep``, ``assign`` and
  ``grade`` commands.

From the command line: ``python -m scalingzip compress IN OUT`` (and ``decompress``,
``train-lm``, ``sweep nlp``, ``assign``, ``grade``), and benchmarks with ``python -m scalingzip bench --list``.
"""

__version__ = "0.1.0"
