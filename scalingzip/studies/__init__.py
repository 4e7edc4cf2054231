"""The course's scaling studies: each module defines its runs, its design and its analysis.

* :mod:`scalingzip.studies.nlp` - byte-level transformers on ``python-docs`` (chapter 5).
* :mod:`scalingzip.studies.cv` - image classifiers on the digits and MNIST-1D, and pixel models
  of the digits (chapter 6).
* :mod:`scalingzip.studies.pruned` - classifiers pruned, quantised and coded (chapter 7).

Run one with ``python -m scalingzip sweep NAME``; the records land in ``results/NAME/``.
"""

STUDIES = {
    "nlp": "scalingzip.studies.nlp",
    "cv": "scalingzip.studies.cv",
    "pruning": "scalingzip.studies.pruned",
}
