"""Data the course computes on, all offline: text corpora, images, synthetic sources, tokenizers.

* :mod:`~scalingzip.data.text` - text corpora and their splits: ``load_text("cpython-docs")`` (11 MB
  of CPython's documentation, :mod:`~scalingzip.data.cpython_docs`, split by document with
  ``document_splits``), ``"python-docs"`` (a snapshot of CPython's reference topics),
  ``"python-code"``, any file; ``split_bytes``; ``corpus_info``. The corpus files and their
  licence are in ``corpora/``.
* :mod:`~scalingzip.data.vision` - the vision chapter's data: the digits, MNIST-1D, MNIST, sample photographs.
* :mod:`~scalingzip.data.downloads` - the two opt-in downloads (enwik8, MNIST), checksum-verified.
* :mod:`~scalingzip.data.sources` - synthetic i.i.d. and Markov sources with exact entropy rates.
* :mod:`~scalingzip.data.bpe` - byte-level byte-pair encoding: a tokenizer trained on bytes.
* :mod:`~scalingzip.data.digitised` - published measurements shipped as data: Hoffmann et al.'s
  training runs read from their Figure 4 by the course's own digitiser.

The loaders of the first three are importable from here: ``from scalingzip.data import load_text``.
"""

from scalingzip.data.downloads import DOWNLOADS, MNIST_FILES, MNIST_URL, Download, cache_dir, download
from scalingzip.data.vision import LabelledData, load_digits, load_mnist, load_mnist1d, load_sample_images
from scalingzip.data.text import (
    CORPORA,
    PYTHON_CODE_MODULES,
    PYTHON_DOCS_SHA256,
    PYTHON_DOCS_SNAPSHOT_VERSION,
    CorpusInfo,
    Splits,
    corpus_info,
    document_splits,
    load_text,
    python_docs_from_stdlib,
    split_bytes,
)

__all__ = [
    "CORPORA",
    "DOWNLOADS",
    "Download",
    "PYTHON_CODE_MODULES",
    "PYTHON_DOCS_SHA256",
    "PYTHON_DOCS_SNAPSHOT_VERSION",
    "CorpusInfo",
    "LabelledData",
    "MNIST_FILES",
    "MNIST_URL",
    "Splits",
    "cache_dir",
    "corpus_info",
    "document_splits",
    "download",
    "load_digits",
    "load_mnist",
    "load_mnist1d",
    "load_sample_images",
    "load_text",
    "python_docs_from_stdlib",
    "split_bytes",
]
