"""The course's scaling studies: one registry, and :func:`load_study` to read a study's records.

Each study is one module that defines its run configs, its design (``study()``: the runs by
group) and ``all_runs()``, and one line of :data:`STUDIES`:

* ``nlp`` - :mod:`scalingzip.studies.nlp`: byte-level transformers on ``python-docs`` (chapter 5).
* ``epoch`` - :mod:`scalingzip.studies.single_epoch`: single-epoch byte transformers on the 10 MB
  ``cpython-docs``, whose training losses are the code of their stream (chapter 5).
* ``cv`` - :mod:`scalingzip.studies.cv`: image classifiers on the digits and MNIST-1D, and pixel
  models of the digits (chapter 6).
* ``pruning`` - :mod:`scalingzip.studies.pruned`: classifiers pruned, quantised and coded (chapter 7).
* ``sparse`` - :mod:`scalingzip.studies.sparse_lm`: the ``epoch`` study's byte transformers pruned by
  several criteria, trained sparse, and quantised into two-part codes (chapter 7).

The sweep runner (:mod:`scalingzip.studies.sweep`) finds a stored config's class through the
registry's *kinds*, the CLI lists the registry in its help, and ``python -m scalingzip sweep
NAME`` runs a study into ``results/NAME/``. A notebook reads one with :func:`load_study`::

    study = load_study("nlp")              # the design and every run's record; refuses if one is missing
    study.select("size")                   # the records of one group, in the design's order
    study.select("data", init_seed=0)      # ... whose configs have these field values

Adding a study is one module and one line of :data:`STUDIES`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the runner imports torch; the registry stays light for the CLI's help
    from scalingzip.studies.sweep import Record

__all__ = ["RESULTS", "STUDIES", "LoadedStudy", "Study", "load_study", "study_of"]

RESULTS = Path(__file__).resolve().parents[2] / "results"  # the repository's records, one folder per study


@dataclass(frozen=True, kw_only=True)
class Study:
    """One registered study: where it is defined, what it is for, and the configs its records store."""

    name: str  # the command line's name, and the folder of its records under results/
    module: str  # the module that defines study(), all_runs() and the config classes
    chapter: int  # the chapter of the book that analyses it
    description: str  # one line, for the CLI's help
    # kind -> class name in `module`, for every config dataclass a record stores: the run configs
    # and the configs nested in them. A record names its classes by these kinds, never by a module
    # path, so that a class can move without invalidating the records.
    kinds: Mapping[str, str]

    def load_module(self) -> ModuleType:
        """The study's module (imported on first use)."""
        return importlib.import_module(self.module)


STUDIES: dict[str, Study] = {s.name: s for s in (
    Study(name="nlp", module="scalingzip.studies.nlp", chapter=5,
          description="byte-level transformers on python-docs: L(N), L(D), IsoFLOP, prequential codes",
          kinds={"lm": "LMRun", "transformer": "TransformerConfig", "train": "TrainConfig"}),
    Study(name="epoch", module="scalingzip.studies.single_epoch", chapter=5,
          description="single-epoch byte transformers on 10 MB of cpython-docs: the loss is the file",
          kinds={"epoch-run": "EpochRun", "transformer": "TransformerConfig", "epoch": "EpochConfig",
                 "baseline": "BaselineRun", "epoch-file": "EpochFileRun"}),
    Study(name="cv", module="scalingzip.studies.cv", chapter=6,
          description="image classifiers on the digits and MNIST-1D, pixel models of the digits",
          kinds={"classifier": "ClassifierRun", "pixels": "PixelRun"}),
    Study(name="pruning", module="scalingzip.studies.pruned", chapter=7,
          description="classifiers and pixel models pruned, quantised and coded exactly",
          kinds={"prune": "PruneRun", "pixels-prune": "PrunedPixelRun"}),
    Study(name="sparse", module="scalingzip.studies.sparse_lm", chapter=7,
          description="byte transformers pruned by six criteria, structured, trained sparse, coded in two parts",
          kinds={"sparse-oneshot": "OneShotRun", "sparse-scratch": "ScratchRun", "sparse-gradual": "GradualRun",
                 "sparse-ticket": "TicketRun", "sparse-twopart": "TwoPartRun", "transformer": "TransformerConfig",
                 "epoch": "EpochConfig"}),
)}


def study_of(name: str) -> Study:
    """The registered study called ``name``; ``ValueError`` listing the registry if there is none."""
    if name not in STUDIES:
        raise ValueError(f"unknown study {name!r}; choose one of {', '.join(STUDIES)}")
    return STUDIES[name]


@dataclass(frozen=True, kw_only=True)
class LoadedStudy:
    """A study's design and the stored record of each of its runs (what :func:`load_study` returns)."""

    study: Study  # the registry's entry
    design: dict[str, list[Any]]  # group -> run configs, as the study module's study() returns them
    records: dict[Any, Record]  # run config -> its record, every run once, in the order of all_runs()
    results: Path  # the folder the records were read from

    def select(self, group: str, **fields: Any) -> list[Record]:
        """The records of one group of the design, in its order, keeping those whose configs have
        the given field values (``select("width", dataset="digits", arch="cnn")``).

        Raises:
            ValueError: for a group the design does not have, or a field its configs do not have.
        """
        if group not in self.design:
            raise ValueError(f"study {self.study.name} has no group {group!r}; choose among {', '.join(self.design)}")
        configs = self.design[group]
        for name in fields:
            lacking = next((c for c in configs if not hasattr(c, name)), None)
            if lacking is not None:
                raise ValueError(f"{type(lacking).__name__} in group {group!r} has no field {name!r}")
        return [self.records[c] for c in configs if all(getattr(c, k) == v for k, v in fields.items())]


def load_study(name: str, results: str | os.PathLike | None = None) -> LoadedStudy:
    """Read a study's design and the stored records of all its runs.

    Args:
        name: a study of :data:`STUDIES`.
        results: the folder of its records; default ``results/NAME`` of the repository
            (:data:`RESULTS`), where ``python -m scalingzip sweep NAME`` writes them.

    Raises:
        ValueError: for an unknown study, or a record that is damaged, edited or of another schema.
        FileNotFoundError: when runs of the design have no record; the message says how many and
            which command computes them.
    """
    from scalingzip.studies.sweep import config_key, load_records

    study = study_of(name)
    folder = RESULTS / name if results is None else Path(results)
    module = study.load_module()
    runs = module.all_runs()
    missing = [c for c in runs if not (folder / f"{config_key(c)}.json").is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} of {len(runs)} runs of study {name!r} have no record in {folder} "
                                f"(first: {config_key(missing[0])}.json); compute them with "
                                f"`python -m scalingzip sweep {name}`{'' if results is None else ' --results ' + str(folder)}")
    records = load_records(folder, runs)
    return LoadedStudy(study=study, design=module.study(), records={r.config: r for r in records}, results=folder)
