"""scalingzip: the helper package of the course "Scaling Laws as Compression".

Every chapter and lab imports it. Each folder holds one concept; the arrows of its imports point
down this list (``tests/test_layout.py`` checks it), and the science never imports the last three:

* :mod:`scalingzip.coding` - exact lossless coding, NumPy only: entropy, Huffman and arithmetic
  coders, adaptive, PPM and context-mixing models, transforms, the self-describing file format.
* :mod:`scalingzip.data` - the data, all offline: text corpora and their splits, image datasets,
  synthetic sources with known entropy, a byte-level BPE tokenizer, digitised published runs.
* :mod:`scalingzip.scaling` - scaling-law mathematics, NumPy and SciPy only: power-law and
  IsoFLOP fits with intervals, the bootstrap, Hoffmann's and Kaplan's laws, the papers' constants.
* :mod:`scalingzip.nn` - PyTorch networks and how they are trained and measured: the byte-level
  transformer, the pixel model, the image classifiers, training, FLOP counts, pruning and
  quantisation, deterministic threads.
* :mod:`scalingzip.compressors` - a model plus an exact coder is a compressor: the course's thesis
  in code. One registry of every compressor (classical, context mixing, pretrained and online
  transformers, images, network weights), which the CLI, the benchmarks and the book iterate.
* :mod:`scalingzip.studies` - the course's scaling studies, one registry of them, the sweep runner
  that executes and stores their runs, and ``load_study`` to read the stored records back.
* :mod:`scalingzip.benchmarks` - the speed and size tables (``python -m scalingzip bench --list``).
* :mod:`scalingzip.book` - what the book's build and prose need: Sphinx extensions, the figure
  style, numbers formatted and glued into the text.
* :mod:`scalingzip.classroom` - the labs as otter-grader masters: release and offline grading.

From the command line: ``python -m scalingzip --help`` (``compress``, ``decompress``, ``train-lm``,
``sweep``, ``assign``, ``grade``, ``bench``).
"""

__version__ = "0.1.0"
