"""Model files: a byte-level transformer saved with its shape, its checksum and what it was trained on.

A compressor that uses a pretrained model needs the very same weights on both sides, so a model
file carries, besides the weights, the model's shape (:class:`~scalingzip.nn.transformer.TransformerConfig`)
and the SHA-256 of both (:func:`~scalingzip.nn.determinism.weights_checksum`); :func:`load_model`
refuses a file whose weights do not match it. The file is a ``torch.save`` dictionary::

    {"format": "scalingzip-lm", "version": 1, "config": {...}, "state_dict": {...},
     "sha256": "...", "meta": {...}}

:func:`pretrained_model_path` finds the model that ships with the course, inside the package
(``scalingzip/models/lm-python-docs.pt``, made by ``python -m scalingzip train-lm``), from any working
directory and in an installed wheel too.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import torch

from scalingzip.nn.determinism import weights_checksum
from scalingzip.nn.transformer import ByteTransformer, TransformerConfig

__all__ = ["MODEL_FORMAT", "MODEL_FORMAT_VERSION", "PRETRAINED_MODEL_DIR", "PRETRAINED_MODEL_NAME", "PRETRAINED_MODELS", "load_model", "pretrained_model_path",
           "save_model"]

MODEL_FORMAT = "scalingzip-lm"
MODEL_FORMAT_VERSION = 1


def save_model(model: ByteTransformer, path: str | os.PathLike, *, overwrite: bool = False, **meta: object) -> str:
    """Save a model with its shape, its checksum and ``meta`` (e.g. what it was trained on).

    Returns:
        The checksum (:func:`~scalingzip.nn.determinism.weights_checksum`), which :func:`load_model` verifies.
    """
    if not isinstance(model, ByteTransformer):
        raise TypeError(f"model must be a scalingzip ByteTransformer, got {type(model).__name__}")
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    digest = weights_checksum(model)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    torch.save({"format": MODEL_FORMAT, "version": MODEL_FORMAT_VERSION, "config": asdict(model.config),
                "state_dict": state, "sha256": digest, "meta": dict(meta)}, path)
    return digest


PRETRAINED_MODEL_NAME = "lm-python-docs.pt"
PRETRAINED_MODEL_DIR = Path(__file__).resolve().parents[1] / "models"  # package data (pyproject.toml)
PRETRAINED_MODELS = {"python-docs": PRETRAINED_MODEL_NAME, "cpython-docs": "lm-cpython-docs.pt"}  # corpus -> file


def pretrained_model_path(corpus: str = "python-docs") -> Path:
    """Path of the course's pretrained model for ``corpus``: package data, so it is found from any
    working directory, in a checkout and in an installed wheel.

    * ``"python-docs"``: ``scalingzip/models/lm-python-docs.pt``, the 100k model of chapter 3 and
      the labs (7 minutes of training);
    * ``"cpython-docs"``: ``scalingzip/models/lm-cpython-docs.pt``, a 300k model trained on the
      training split of the course's 10 MB corpus (35 minutes on one thread), for the ``lm`` and
      ``hybrid`` modes on that kind of text.

    Raises:
        ValueError: for another corpus.
        FileNotFoundError: if the package has no such file.
    """
    if corpus not in PRETRAINED_MODELS:
        raise ValueError(f"no pretrained model for {corpus!r}; the package has one for {', '.join(PRETRAINED_MODELS)}")
    path = PRETRAINED_MODEL_DIR / PRETRAINED_MODELS[corpus]
    if not path.is_file():
        how = "" if corpus == "python-docs" else " --corpus cpython-docs --preset 300k --steps 6000"
        raise FileNotFoundError(f"no pretrained model at {path}: it ships with the package; make it again "
                                f"with: python -m scalingzip train-lm {path}{how}")
    return path


def load_model(path: str | os.PathLike) -> tuple[ByteTransformer, dict]:
    """Load a model written by :func:`save_model`; its weights must match the stored checksum.

    Returns:
        ``(model, meta)``; the model is in eval mode.

    Raises:
        FileNotFoundError: if there is no such file.
        ValueError: if the file is not a scalingzip model, or its weights do not match the checksum.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}; make one with: python -m scalingzip train-lm {path}")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # pickle/zip errors differ by PyTorch version; all mean the same here
        raise ValueError(f"{path} is not a readable scalingzip model file ({type(err).__name__}: {err})") from None
    if not isinstance(blob, dict) or blob.get("format") != MODEL_FORMAT:
        raise ValueError(f"{path} is not a scalingzip model file (no {MODEL_FORMAT!r} marker)")
    if blob.get("version") != MODEL_FORMAT_VERSION:
        raise ValueError(f"{path} has model-file version {blob.get('version')}; this code reads {MODEL_FORMAT_VERSION}")
    model = ByteTransformer(TransformerConfig(**blob["config"]))
    try:
        model.load_state_dict(blob["state_dict"])
    except RuntimeError as err:
        raise ValueError(f"{path}: the weights do not fit the stored shape ({err})") from None
    if weights_checksum(model) != blob["sha256"]:
        raise ValueError(f"{path}: the weights do not match the stored SHA-256; the file is corrupt")
    model.eval()
    return model, dict(blob.get("meta", {}))

