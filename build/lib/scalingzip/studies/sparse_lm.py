"""Pruning, sparsity and quantisation of the single-epoch study's byte transformers (chapter 7).

The models are those of :mod:`scalingzip.studies.single_epoch`: a shape of its family
:data:`~scalingzip.studies.single_epoch.SHAPES`, trained by its recipe
(:func:`~scalingzip.studies.single_epoch.epoch_config`, seed 0) once over the first D bytes of its
training stream. A base trained here on 2**21 bytes is the very run the chapter-5 study forked off
its trunk at 2**21 bytes, float for float on one machine (its records' weight checksums say so).
Every run trains its own base, so a run is a pure function of its config.

Losses are code lengths in bits of held-out bytes, read as an epoch reads them
(:func:`~scalingzip.compressors.epoch.evaluate_bits`): on the **sample** (:func:`held_out_sample`,
whole documents of the test split, 65,194 bytes) for the many comparisons, on the whole test split
(397,963 bytes) for the few headline numbers, and on the validation split for the sensitivity
scan, whose curves choose an allocation and must not see the bytes that judge it. Calibration
data (Taylor, Wanda, SNIP) are training bytes the model has already read.

Which weights are pruned: the blocks' ``nn.Linear`` weights (:func:`block_linears`, Kaplan's N less
the biases and gains) in the groups that prune a trained model, as Wanda and SparseGPT do (the
embedding, which is also the tied output layer, stays dense); those and the token embedding in
``sparse-scratch``, so that every weight that costs FLOPs is sparse; every layer the weights' code
stores in ``twopart``, where the question is the length of that code.

The design (:func:`study`), each group's runs a config class of its own:

* ``criteria`` (:class:`OneShotRun`, bases of shapes 4, 6 and 8 at 2**21 bytes): one-shot pruning
  by each of :data:`CRITERIA` at each of :data:`SPARSITIES`; a per-layer sensitivity scan
  (:func:`~scalingzip.nn.sensitivity.sensitivity_scan`) and the allocation it implies; each
  criterion at 50 % and 90 % fine-tuned, mask fixed, on the next 2**18 bytes of the stream, beside
  the dense base fine-tuned alike (the control for the extra data).
* ``structured``: the same runs (their structured part): attention heads (25, 50 %), MLP neurons
  (25, 50, 75 %) and both at 50 %, removed by norm and by Taylor importance, each model shrunk
  (:func:`~scalingzip.nn.structured.shrink_transformer`) and measured: loss, parameters, forward
  FLOPs. Its CPU time is ``python -m scalingzip bench prune``'s, never a record's.
* ``sparse-scratch`` (:class:`ScratchRun`): shape 8 trained sparse from the start at 2**21 bytes,
  with a fixed random ERK mask, a SNIP mask chosen at initialisation, SET and RigL, each at the two
  densities whose training FLOPs equal those of dense shapes 7 and 6 (:func:`scratch_pairs`), and
  the dense runs of shapes 5 and 7 that, with the ``criteria`` bases, draw the dense L(C) at that D.
* ``gradual`` (:class:`GradualRun`, shape 6, 2**20 bytes): the base's training continued on the
  next 2**19 bytes while Zhu and Gupta's schedule prunes it to 50 % or 90 %, beside one-shot
  pruning then the same continued training, and the dense continuation.
* ``ticket`` (:class:`TicketRun`, shape 6, 2**20 bytes): iterative magnitude pruning, 20 % of the
  remaining weights a round to 83 %, each round retrained from the weights and optimiser of step 50
  (the end of the warm-up); the last mask also trained from a new random initialisation.
* ``twopart`` (:class:`TwoPartRun`, shape 8 at 2**19, 2**21 and 2**22 bytes, shape 6 at 2**21):
  magnitude pruning to each of :data:`TWOPART_SPARSITIES` times each codebook of 2 to 16 bits,
  uniform and k-means: the weights' exact code length and the sample's under the decoded model.
* ``check``: the cheapest runs, which ``tests/test_sparse_lm.py`` reruns against their records.

Each config's ``cost()`` estimates its CPU seconds on one thread of the 2-core machine that made
the chapter-5 records (:func:`_train_seconds`, :func:`_eval_seconds`: see their calibration), so
``python -m scalingzip sweep sparse --dry-run`` says how long the study takes.

References:
    M. Zhu and S. Gupta (2017), "To prune, or not to prune", arXiv:1710.01878.
    J. Frankle, G. K. Dziugaite, D. M. Roy and M. Carbin (2020), "Linear Mode Connectivity and the
    Lottery Ticket Hypothesis", ICML (rewinding to an early step).
    U. Evci, T. Gale, J. Menick, P. S. Castro and E. Elsen (2020), "Rigging the Lottery", ICML.
    M. Sun, Z. Liu, A. Bair and J. Z. Kolter (2024), "A Simple and Effective Pruning Approach for
    Large Language Models", ICLR (Wanda).
    E. Frantar, C. Riquelme, N. Houlsby, D. Alistarh and U. Evci (2024), "Scaling Laws for Sparsely-
    Connected Foundation Models", ICLR.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn.utils import prune

from scalingzip.compressors.epoch import EpochConfig, EpochResult, evaluate_bits, train_epoch
from scalingzip.compressors.weights import float32_bits, two_part_code_length_bits, weights_code_length_bits
from scalingzip.nn import pruning as P
from scalingzip.nn.flops import count_parameters, sparse_forward_flops
from scalingzip.nn.saliency import calibration_batches, saliency, snip_scores
from scalingzip.nn.sensitivity import allocate_sparsity, sensitivity_scan
from scalingzip.nn.sparse_training import PruneRegrow, sparse_init, sparse_training_flops
from scalingzip.nn.structured import head_scores, neuron_scores, prune_heads, prune_neurons, shrink_transformer
from scalingzip.nn.transformer import ByteTransformer, TransformerConfig, build_model
from scalingzip.studies.single_epoch import (
    CORPUS,
    SEQ_LEN,
    SHAPES,
    WARMUP_STEPS,
    epoch_config,
    flops_per_byte,
    training_stream,
)

__all__ = [
    "CRITERIA",
    "SPARSITIES",
    "GradualRun",
    "OneShotRun",
    "ScratchRun",
    "TicketRun",
    "TwoPartRun",
    "all_runs",
    "block_linears",
    "equal_flop_density",
    "held_out_sample",
    "scratch_pairs",
    "study",
]

# --- the design's numbers ---------------------------------------------------------------------
CRITERIA = ("random", "magnitude-layer", "magnitude-global", "taylor", "wanda", "sensitivity")
SPARSITIES = (0.25, 0.5, 0.7, 0.8, 0.9, 0.95)  # one-shot, of the blocks' Linear weights
FINETUNE_SPARSITIES = (0.5, 0.9)
FINETUNE_BYTES = 2**18  # the stream's bytes after the base's, read once with the mask fixed
SCAN_SPARSITIES = (0.25, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98)  # beyond 0.95, so its allocation can differ from uniform
SCAN_BYTES = 2**15  # of the validation split
CALIBRATION_BYTES = 2**15  # the last training bytes the base read (Taylor, Wanda), the first a sparse run reads (SNIP)
HEAD_FRACTIONS = (0.25, 0.5)
NEURON_FRACTIONS = (0.25, 0.5, 0.75)
UNIT_SCORES = ("norm", "taylor")
SAMPLE_BYTES = 2**16  # at most, of whole test documents (held_out_sample)

BASE_SHAPES = (4, 6, 8)  # indices into SHAPES: 14,496, 59,240 and 200,064 non-embedding parameters
BASE_BYTES = 2**21

SCRATCH_SHAPE = 8
SCRATCH_PARTNERS = (7, 6)  # the dense shapes whose training FLOPs the sparse runs match: densities ~0.50, ~0.16
SCRATCH_METHODS = ("static", "snip", "set", "rigl")
DENSE_CURVE = (5, 7)  # dense runs at BASE_BYTES that the criteria bases lack, for L(C)
REGROW_EVERY = 50  # steps between SET/RigL updates (Evci et al. use 100 of a much longer run)
REGROW_FRACTION = 0.3  # f_0
REGROW_END = 0.75  # no update in the last quarter of the steps

GRADUAL_SHAPE = 6
GRADUAL_BYTES = 2**20
CONTINUE_BYTES = 2**19
GRADUAL_SPARSITIES = (0.5, 0.9)
GRADUAL_END = 0.75  # the schedule reaches its target at this fraction of the continued run's steps

TICKET_SHAPE = 6
TICKET_BYTES = 2**20
ROUND_RATE = 0.2
TICKET_TARGET = 0.8  # rounds until the sparsity reaches it: 1 - 0.8**8 = 0.832
REINIT_SEED = 1000

TWOPART_RUNS = ((8, 2**21), (6, 2**21), (8, 2**19), (8, 2**22))  # (shape index, D)
TWOPART_SPARSITIES = (0.0, 0.25, 0.5, 0.75, 0.9)
TWOPART_BITS = (2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16)
TWOPART_METHODS = ("uniform", "kmeans")

CHECK_SHAPE = 0
CHECK_BYTES = 2**16


# --- data ------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _split(name: str) -> bytes:
    from scalingzip.data import document_splits

    return getattr(document_splits(CORPUS), name)


@functools.lru_cache(maxsize=4)
def held_out_sample(n_bytes: int = SAMPLE_BYTES) -> bytes:
    """Whole documents of the test split, taken in the order of SHA-256("order:" + path) (the
    training stream's order) when they still fit in ``n_bytes``, joined: 65,194 bytes of 5
    documents for 2**16.

    Raises:
        ValueError: if no document fits.
    """
    from scalingzip.data.cpython_docs import load_documents

    docs = sorted((d for d in load_documents() if d.split == "test"),
                  key=lambda d: hashlib.sha256(f"order:{d.path}".encode()).digest())
    out, size = [], 0
    for d in docs:
        if size + len(d.text) <= n_bytes:
            out.append(d.text)
            size += len(d.text)
    if not out:
        raise ValueError(f"no test document fits in {n_bytes} bytes; the smallest has {min(len(d.text) for d in docs)}")
    return b"".join(out)


def _stream(start: int, stop: int) -> bytes:
    stream = training_stream()
    if stop > len(stream):
        raise ValueError(f"bytes {start}..{stop} asked of a {len(stream)}-byte training stream")
    return stream[start:stop]


# --- models ----------------------------------------------------------------------------------

def block_linears(model: nn.Module) -> list[str]:
    """Names of the blocks' ``nn.Linear`` layers (attention's qkv and proj, the MLP's two), in order."""
    return [name for name, m in P.prunable_layers(model).items()
            if name.startswith("blocks.") and isinstance(m, nn.Linear)]


def _flop_layers(model: nn.Module) -> list[str]:
    """The layers whose weights cost FLOPs: the blocks' Linear layers and the token embedding
    (the tied output layer); not the position embedding, a lookup."""
    return [*block_linears(model), "tok_emb"]


def _train(shape: TransformerConfig, epoch: EpochConfig, data: bytes, *, model: nn.Module | None = None,
           on_step: Callable | None = None) -> tuple[nn.Module, EpochResult]:
    """One epoch over ``data`` (a fresh model of the recipe, or ``model``); the trained model and its result."""
    out: dict[str, Any] = {}
    result = train_epoch(data, shape, epoch, forks=(len(data),), on_fork=lambda n, m, r: out.update(model=m),
                         model=model, on_step=on_step)
    return out["model"], result


def _layer_sparsity(model: nn.Module, names: list[str]) -> dict[str, float]:
    return {name: round(P.sparsity(model, [name]), 6) for name in names}


def _install(model: nn.Module, masks: dict[str, torch.Tensor]) -> None:
    """Put these masks on a model that has none (torch's own reparametrisation)."""
    layers = P.prunable_layers(model)
    for name, mask in masks.items():
        prune.custom_from_mask(layers[name], "weight", mask.clone())


# --- cost: CPU seconds of one run on one thread, two runs at a time on the 2-core machine -------
# Training: microseconds per byte of each shape of SHAPES, read off the chapter-5 records made
# that way (wall time less evaluations, over the bytes trained, forks' cool-downs included; the
# records of one shape agree within 10 %). Measured beside training on shapes 4, 6 and 8:
# evaluation costs about 0.35 of training per byte; training with masks, SET or RigL is within
# the noise of training without (20 %), counted 1.15; the weights' exact code costs about 2.5 us a
# weight plus 5 us a kept weight, times 1.3 for the second run on the machine, and quantising
# again for the evaluation 0.5 us a weight. Checked on one run of each kind over 2**17 to 2**18
# bytes of shapes 4 and 6: alone on the machine, where training ran 1.5 times as fast as in the
# records, they took 0.58 to 0.65 of these estimates, so the estimates are within 15 %, high.
TRAIN_US_PER_BYTE = (10.5, 9.6, 19.3, 25.1, 31.8, 47.0, 53.8, 54.0, 69.5, 122.4, 235.0)
EVAL_PER_TRAIN = 0.35
MASKED_TRAIN = 1.15


def _train_seconds(shape: TransformerConfig, n_bytes: float) -> float:
    us = TRAIN_US_PER_BYTE[SHAPES.index(shape)] if shape in SHAPES else 8 + flops_per_byte(shape) / 3e4
    return n_bytes * us * 1e-6


def _eval_seconds(shape: TransformerConfig, n_bytes: float) -> float:
    return EVAL_PER_TRAIN * _train_seconds(shape, n_bytes)


def _code_seconds(n_weights: int, density: float) -> float:
    return n_weights * (1.3 * (2.5e-6 + 5e-6 * density) + 0.5e-6)


def _n_weights(shape: TransformerConfig) -> int:
    """Weights of every prunable layer: the blocks' matrices and both embeddings."""
    d, f, L = shape.d_model, shape.ff_width, shape.n_layer
    return L * (4 * d * d + 2 * d * f) + (shape.vocab_size + shape.n_ctx) * d


TEST_BYTES = 397_963  # the test split (its length is checked by a test)


# --- group criteria (and structured) ------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class OneShotRun:
    """A base trained by the recipe, then pruned at once in every way of ``criteria`` and
    ``structured`` (see the module's docstring), and fine-tuned at ``finetune_sparsities``."""

    model: TransformerConfig
    epoch: EpochConfig
    bytes: int  # D: the base reads the training stream's first D bytes once
    criteria: tuple[str, ...] = CRITERIA
    sparsities: tuple[float, ...] = SPARSITIES  # of the blocks' Linear weights
    finetune_criteria: tuple[str, ...] = CRITERIA  # each also in criteria
    finetune_sparsities: tuple[float, ...] = FINETUNE_SPARSITIES  # each also in sparsities
    finetune_bytes: int = FINETUNE_BYTES  # the stream's bytes D .. D + finetune_bytes
    scan_sparsities: tuple[float, ...] = SCAN_SPARSITIES
    scan_bytes: int = SCAN_BYTES  # of the validation split
    calibration_bytes: int = CALIBRATION_BYTES  # the last of the base's training bytes
    head_fractions: tuple[float, ...] = HEAD_FRACTIONS  # of all heads, removed across blocks
    neuron_fractions: tuple[float, ...] = NEURON_FRACTIONS  # of all MLP neurons
    sample_bytes: int = SAMPLE_BYTES
    corpus: str = CORPUS

    def __post_init__(self) -> None:
        _check_corpus(self.corpus)
        unknown = set(self.criteria) - set(CRITERIA)
        if unknown or not self.criteria:
            raise ValueError(f"criteria must be among {', '.join(CRITERIA)}; got {self.criteria!r}")
        if not (set(self.finetune_sparsities) <= set(self.sparsities) and set(self.finetune_criteria) <= set(self.criteria)):
            raise ValueError("finetune_criteria and finetune_sparsities must be among criteria and sparsities "
                             "(their pruned models are reused)")
        if "sensitivity" in self.criteria and max(self.sparsities) > max(self.scan_sparsities):
            raise ValueError("the sensitivity scan must reach the largest sparsity; extend scan_sparsities")
        for f in (*self.head_fractions, *self.neuron_fractions, *self.sparsities):
            if not 0 < f < 1:
                raise ValueError(f"fractions and sparsities must lie in (0, 1); got {f!r}")

    def cost(self) -> float:
        s, sample = self.model, len(held_out_sample(self.sample_bytes))
        evals = len(self.criteria) * len(self.sparsities) + 2 * (len(self.head_fractions) + len(self.neuron_fractions) + 1)
        finetunes = len(self.finetune_criteria) * len(self.finetune_sparsities) + 1
        scan = (4 * s.n_layer * len(self.scan_sparsities) + 1) * self.scan_bytes if "sensitivity" in self.criteria else 0
        return (_train_seconds(s, self.bytes + finetunes * self.finetune_bytes * MASKED_TRAIN + 3 * self.calibration_bytes)
                + _eval_seconds(s, evals * sample + scan + (finetunes + 1) * (TEST_BYTES + sample)))

    def execute(self, device: torch.device) -> dict[str, Any]:
        # runs on the CPU on one thread whatever ``device`` says, as the chapter-5 study does
        sample, test, cfg = held_out_sample(self.sample_bytes), _split("test"), self.epoch
        base, result = _train(self.model, cfg, _stream(0, self.bytes))
        names = block_linears(base)
        batches = calibration_batches(_stream(self.bytes - self.calibration_bytes, self.bytes), seq_len=SEQ_LEN,
                                      batch_size=16)
        count = count_parameters(base)
        metrics: dict[str, Any] = {
            "params_non_embedding": count.non_embedding, "params_total": count.total,
            "pruned_layers": names, "pruned_weights": sum(P.prunable_layers(base)[n].weight.numel() for n in names),
            "sample_bytes": len(sample), "test_bytes": len(test), "flops_per_byte": flops_per_byte(self.model),
            "base": {"prequential_bits": result.bits, "sample_bits": evaluate_bits(base, sample, cfg),
                     "test_bits": evaluate_bits(base, test, cfg), "weights_crc32": result.weights_crc},
        }
        scan = None
        if "sensitivity" in self.criteria:
            scan = sensitivity_scan(base, _split("val")[:self.scan_bytes], sparsities=self.scan_sparsities,
                                    layers=names, seq_len=SEQ_LEN)
            metrics["scan"] = {"layers": list(scan.layers), "n_weights": scan.n_weights.tolist(),
                               "sparsities": scan.sparsities.tolist(), "bits_per_byte": scan.bits_per_byte.tolist(),
                               "scan_bytes": self.scan_bytes}
        pruned: dict[tuple[str, float], nn.Module] = {}
        oneshot = []
        for criterion in self.criteria:
            scores = saliency(base, {"magnitude-layer": "magnitude", "magnitude-global": "magnitude",
                                     "sensitivity": "magnitude"}.get(criterion, criterion),
                              batches=batches, layers=names)
            for s in self.sparsities:
                net = P.clone(base)
                if criterion == "sensitivity":
                    P.prune_by_scores(net, scores, allocate_sparsity(scan, s).sparsity, scope="layer")
                else:
                    scope = {"magnitude-layer": "layer", "wanda": "row"}.get(criterion, "global")
                    P.prune_by_scores(net, scores, s, scope=scope)
                oneshot.append({"criterion": criterion, "sparsity": s, "sample_bits": evaluate_bits(net, sample, cfg),
                                "layer_sparsity": _layer_sparsity(net, names)})
                if s in self.finetune_sparsities and criterion in self.finetune_criteria:
                    pruned[criterion, s] = net
        metrics["oneshot"] = oneshot
        finetune = []
        more = _stream(self.bytes, self.bytes + self.finetune_bytes)
        for (criterion, s), net in [(("dense", 0.0), P.clone(base)), *pruned.items()]:
            before = _pruned(net, names)
            net, tuned = _train(self.model, cfg, more, model=net)
            assert _pruned(net, names) == before, "fine-tuning keeps the mask"
            finetune.append({"criterion": criterion, "sparsity": s, "pruned": before,
                             "prequential_bits": tuned.bits, "sample_bits": evaluate_bits(net, sample, cfg),
                             "test_bits": evaluate_bits(net, test, cfg)})
        metrics["finetune"] = finetune
        metrics["structured"] = _structured(base, batches, self.head_fractions, self.neuron_fractions, sample, cfg)
        metrics["dense_forward_flops_per_token"] = sparse_forward_flops(base, seq_len=SEQ_LEN + 1)
        return metrics


def _structured(base: ByteTransformer, batches: list, head_fractions: tuple[float, ...],
                neuron_fractions: tuple[float, ...], sample: bytes, cfg: EpochConfig) -> list[dict[str, Any]]:
    """Heads, neurons, and both at 50 %, removed by each of :data:`UNIT_SCORES`, each model shrunk and measured."""
    n_heads = sum(b.attn.n_head for b in base.blocks)
    n_neurons = sum(b.mlp[0].out_features for b in base.blocks)
    out = []
    for score in UNIT_SCORES:
        heads = head_scores(base, method=score, batches=batches)
        neurons = neuron_scores(base, method=score, batches=batches)
        plans = ([(f, 0.0) for f in head_fractions] + [(0.0, f) for f in neuron_fractions] + [(0.5, 0.5)])
        for fh, fn in plans:
            net = P.clone(base)
            if fh:
                prune_heads(net, round(fh * n_heads), scores=heads)
            if fn:
                prune_neurons(net, round(fn * n_neurons), scores=neurons)
            slim = shrink_transformer(net)
            count = count_parameters(slim)
            out.append({"score": score, "head_fraction": fh, "neuron_fraction": fn,
                        "heads": list(slim.config.heads), "ff_widths": list(slim.config.ff_widths),
                        "params_non_embedding": count.non_embedding, "params_total": count.total,
                        "forward_flops_per_token": sparse_forward_flops(slim, seq_len=SEQ_LEN + 1),
                        "sample_bits": evaluate_bits(slim, sample, cfg)})
    return out


def _check_corpus(corpus: str) -> None:
    if corpus != CORPUS:
        raise ValueError(f"this study runs on {CORPUS!r}; got {corpus!r}")


# --- group sparse-scratch ----------------------------------------------------------------------

SCRATCH = ("dense", *SCRATCH_METHODS)


@dataclass(frozen=True, kw_only=True)
class ScratchRun:
    """A model trained by the recipe from its first step, dense or sparse (``density`` of the
    weights that cost FLOPs kept, :func:`_flop_layers`): a fixed random mask (``"static"``, ERK
    densities), a mask chosen by SNIP's scores at initialisation (``"snip"``), or a mask moved by
    SET or RigL (:class:`~scalingzip.nn.sparse_training.PruneRegrow`) every ``every`` steps."""

    model: TransformerConfig
    epoch: EpochConfig
    bytes: int
    method: str = "dense"  # one of SCRATCH
    density: float = 1.0  # kept / weights of the FLOP-costing layers; 1 for "dense"
    every: int = REGROW_EVERY  # SET, RigL: steps between mask updates
    fraction: float = REGROW_FRACTION  # SET, RigL: f_0, the fraction of active weights moved first
    end: float = REGROW_END  # SET, RigL: no update after this fraction of the steps
    mask_seed: int = 0  # the random mask, SET's regrowth
    calibration_bytes: int = CALIBRATION_BYTES  # SNIP: the stream's first bytes
    sample_bytes: int = SAMPLE_BYTES
    corpus: str = CORPUS

    def __post_init__(self) -> None:
        _check_corpus(self.corpus)
        if self.method not in SCRATCH:
            raise ValueError(f"method must be one of {', '.join(SCRATCH)}; got {self.method!r}")
        if (self.method == "dense") != (self.density == 1.0) or not 0 < self.density <= 1:
            raise ValueError("density must be 1 for method 'dense' and in (0, 1) for a sparse method")

    def steps(self) -> int:
        return self.epoch.steps(self.bytes)

    def cost(self) -> float:
        train = _train_seconds(self.model, self.bytes) * (1.0 if self.method == "dense" else MASKED_TRAIN)
        return train + _eval_seconds(self.model, TEST_BYTES + len(held_out_sample(self.sample_bytes)))

    def build(self) -> ByteTransformer:
        """The initial model, its masks installed (what :meth:`execute` trains)."""
        model = build_model(self.model, seed=self.epoch.seed)
        layers = _flop_layers(model)
        if self.method in ("static", "set", "rigl"):
            sparse_init(model, self.density, distribution="erk", seed=self.mask_seed, layers=layers)
        elif self.method == "snip":
            batches = calibration_batches(_stream(0, self.calibration_bytes), seq_len=SEQ_LEN, batch_size=16)
            P.prune_by_scores(model, snip_scores(model, batches, layers=layers), 1 - self.density, scope="global")
        return model

    def execute(self, device: torch.device) -> dict[str, Any]:
        sample, test, cfg = held_out_sample(self.sample_bytes), _split("test"), self.epoch
        model = self.build()
        on_step, grown = None, [0]
        if self.method in ("set", "rigl"):
            regrow = PruneRegrow(self.method, every=self.every, end=max(1, round(self.end * self.steps())),
                                 fraction=self.fraction, seed=self.mask_seed, layers=_flop_layers(model))

            def on_step(step: int, net: nn.Module, opt: torch.optim.Optimizer, batch: torch.Tensor) -> None:
                grown[0] += regrow.step(net, opt, step, batch)

        model, result = _train(self.model, cfg, _stream(0, self.bytes), model=model, on_step=on_step)
        method = {"dense": "static", "snip": "static"}.get(self.method, self.method)
        flops = sparse_training_flops(model, method=method, every=self.every, seq_len=SEQ_LEN + 1)
        layers = _flop_layers(model)
        return {"params_non_embedding": count_parameters(build_model(self.model)).non_embedding,
                "sparse_weights": sum(P.prunable_layers(model)[n].weight.numel() for n in layers),
                "density": round(1 - P.sparsity(model, layers), 6),
                "layer_density": {n: round(1 - s, 6) for n, s in _layer_sparsity(model, layers).items()},
                "training_flops_per_byte": flops.training, "training_flops": flops.training * self.bytes,
                "forward_flops_per_token": flops.sparse_forward, "regrown_weights": grown[0],
                "prequential_bits": result.bits, "weights_crc32": result.weights_crc,
                "sample_bytes": len(sample), "sample_bits": evaluate_bits(model, sample, cfg),
                "test_bytes": len(test), "test_bits": evaluate_bits(model, test, cfg)}


def equal_flop_density(shape: TransformerConfig, partner: TransformerConfig, *, method: str = "static",
                       every: int = REGROW_EVERY) -> float:
    """The density of ``shape``'s FLOP-costing weights at which its sparse training costs the FLOPs
    per byte of ``partner`` trained densely (:func:`~scalingzip.nn.sparse_training.sparse_training_flops`,
    T = 128). Every kept weight of those layers costs 2 FLOP a token forward, wherever it is, so
    the density fixes the cost whatever the mask: ``3 f_S`` for a fixed mask or SET, and RigL's
    ``3 f_S + (2 f_S + f_D) / every`` (counted over the whole run, as if RigL also updated in its
    last quarter, where it does not: less than 1 % too much here).

    Raises:
        ValueError: if ``partner`` costs more than ``shape`` dense, or less than its attention alone.
    """
    model = build_model(shape)
    layers = P.prunable_layers(model)
    n = sum(layers[name].weight.numel() for name in _flop_layers(model))
    f_dense = sparse_forward_flops(model, seq_len=SEQ_LEN + 1)
    attention = f_dense - 2 * n  # what no mask removes
    target = flops_per_byte(partner)
    if method == "rigl":
        f_sparse = (target - f_dense / every) / (3 + 2 / every)
    elif method in ("static", "snip", "set"):
        f_sparse = target / 3
    else:
        raise ValueError(f"method must be one of {', '.join(SCRATCH_METHODS)}; got {method!r}")
    kept = round((f_sparse - attention) / 2)
    if not 0 < kept < n:
        raise ValueError(f"no density of this shape costs the partner's {target:.4g} FLOP per byte")
    return kept / n


def scratch_pairs() -> list[tuple[ScratchRun, Any]]:
    """Each sparse run of ``sparse-scratch`` with its dense partner of equal training FLOPs and
    bytes: a :class:`ScratchRun` (shape 7) or the ``criteria`` group's :class:`OneShotRun` base (shape 6)."""
    design = study()
    dense = {r.model: r for r in design["sparse-scratch"] if r.method == "dense"}
    dense.update({r.model: r for r in design["criteria"] if r.model not in dense and r.bytes == BASE_BYTES})
    return [(r, dense[SHAPES[p]]) for r in design["sparse-scratch"] if r.method != "dense"
            for p in SCRATCH_PARTNERS if r.density == equal_flop_density(r.model, SHAPES[p], method=r.method)]


# --- group gradual ---------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class GradualRun:
    """A base over ``bytes``, then its training continued over the next ``continue_bytes``: dense;
    pruned while training to each of ``sparsities`` by Zhu and Gupta's cubic schedule (layer by layer,
    by magnitude, from the first step to ``end`` of the steps); and pruned at once, then trained."""

    model: TransformerConfig
    epoch: EpochConfig
    bytes: int
    continue_bytes: int = CONTINUE_BYTES
    sparsities: tuple[float, ...] = GRADUAL_SPARSITIES
    end: float = GRADUAL_END
    sample_bytes: int = SAMPLE_BYTES
    corpus: str = CORPUS

    def __post_init__(self) -> None:
        _check_corpus(self.corpus)
        if not all(0 < s < 1 for s in self.sparsities) or not 0 < self.end <= 1:
            raise ValueError("sparsities must lie in (0, 1) and end in (0, 1]")

    def cost(self) -> float:
        runs = 1 + 2 * len(self.sparsities)
        return (_train_seconds(self.model, self.bytes + 1.1 * runs * self.continue_bytes)
                + _eval_seconds(self.model, (runs + 1) * (TEST_BYTES + len(held_out_sample(self.sample_bytes)))))

    def execute(self, device: torch.device) -> dict[str, Any]:
        sample, test, cfg = held_out_sample(self.sample_bytes), _split("test"), self.epoch
        base, result = _train(self.model, cfg, _stream(0, self.bytes))
        names = block_linears(base)
        more = _stream(self.bytes, self.bytes + self.continue_bytes)
        end = max(1, round(self.end * cfg.steps(len(more))))

        def measure(net: nn.Module, res: EpochResult) -> dict[str, Any]:
            return {"sparsity": round(_pruned(net, names) / _weights(net, names), 6), "prequential_bits": res.bits,
                    "sample_bits": evaluate_bits(net, sample, cfg), "test_bits": evaluate_bits(net, test, cfg)}

        metrics: dict[str, Any] = {"sample_bytes": len(sample), "test_bytes": len(test), "schedule_end_step": end,
                                   "base": {"prequential_bits": result.bits, "weights_crc32": result.weights_crc,
                                            "sample_bits": evaluate_bits(base, sample, cfg),
                                            "test_bits": evaluate_bits(base, test, cfg)}}
        metrics["dense"] = measure(*_train(self.model, cfg, more, model=P.clone(base)))
        metrics["gradual"], metrics["oneshot"] = [], []
        for target in self.sparsities:
            tuned = _train(self.model, cfg, more, model=P.clone(base), on_step=_zhu_gupta(target, end, names))
            metrics["gradual"].append({"target": target, **measure(*tuned)})
            net = P.clone(base)
            P.magnitude_prune(net, target, scope="layer", layers=names)
            before = evaluate_bits(net, sample, cfg)
            metrics["oneshot"].append({"target": target, "sample_bits_before": before,
                                       **measure(*_train(self.model, cfg, more, model=net))})
        return metrics


def _zhu_gupta(target: float, end: int, names: list[str]) -> Callable:
    """An ``on_step`` hook that prunes the layers ``names``, each by magnitude, to Zhu and Gupta's
    s(t) from 0 at step 0 to ``target`` at step ``end``, whenever s(t) has grown by a weight."""
    def on_step(step: int, net: nn.Module, opt: torch.optim.Optimizer, batch: torch.Tensor) -> None:
        s = P.gradual_sparsity(step, final=target, start=0, end=end)
        if round(s * _weights(net, names)) > _pruned(net, names):
            P.magnitude_prune(net, s, scope="layer", layers=names)
    return on_step


def _weights(model: nn.Module, names: list[str]) -> int:
    layers = P.prunable_layers(model)
    return sum(layers[n].weight.numel() for n in names)


def _pruned(model: nn.Module, names: list[str]) -> int:
    layers = P.prunable_layers(model)
    return sum(int((layers[n].weight_mask == 0).sum()) for n in names if hasattr(layers[n], "weight_mask"))


# --- group ticket ----------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class TicketRun:
    """Iterative magnitude pruning with rewinding (Frankle et al. 2020). Round 0 trains the base
    densely; after each round the ``round_rate`` smallest of the remaining Linear weights (global
    magnitude) are pruned, and the next round trains from step 0 again, identically, to step
    ``rewind_step``, where it installs the mask: the weights and AdamW's state of that step,
    rewound exactly, then the recipe to its end with the mask fixed. Rounds go on until the sparsity
    reaches ``target``; the last mask is also trained, alike, from an initialisation of seed
    ``reinit_seed`` (the control)."""

    model: TransformerConfig
    epoch: EpochConfig
    bytes: int
    rewind_step: int = WARMUP_STEPS
    round_rate: float = ROUND_RATE
    target: float = TICKET_TARGET
    reinit_seed: int = REINIT_SEED
    sample_bytes: int = SAMPLE_BYTES
    corpus: str = CORPUS

    def __post_init__(self) -> None:
        _check_corpus(self.corpus)
        if not 0 < self.round_rate < 1 or not 0 < self.target < 1:
            raise ValueError("round_rate and target must lie in (0, 1)")
        if not 1 <= self.rewind_step < self.epoch.steps(self.bytes):
            raise ValueError(f"rewind_step must be a step of the run (1 to {self.epoch.steps(self.bytes) - 1})")

    def rounds(self) -> list[float]:
        """The sparsity of each pruned round: 1 - (1 - rate)^k, until it reaches the target."""
        k = math.ceil(math.log(1 - self.target) / math.log(1 - self.round_rate) - 1e-9)
        return [round(1 - (1 - self.round_rate) ** i, 6) for i in range(1, k + 1)]

    def cost(self) -> float:
        runs = len(self.rounds()) + 2
        return (_train_seconds(self.model, runs * self.bytes * 1.05)
                + _eval_seconds(self.model, runs * len(held_out_sample(self.sample_bytes)) + 3 * TEST_BYTES))

    def execute(self, device: torch.device) -> dict[str, Any]:
        sample, test, cfg = held_out_sample(self.sample_bytes), _split("test"), self.epoch
        data = _stream(0, self.bytes)
        rewound: list[int] = []

        def rewind_to(masks: dict[str, torch.Tensor]) -> Callable:
            def on_step(step: int, net: nn.Module, opt: torch.optim.Optimizer, batch: torch.Tensor) -> None:
                if step == self.rewind_step:
                    rewound.append(_crc(net))
                    _install(net, masks)
            return on_step

        net, result = _train(self.model, cfg, data, on_step=rewind_to({}))
        names = block_linears(net)
        metrics: dict[str, Any] = {"sample_bytes": len(sample), "test_bytes": len(test),
                                   "dense": {"prequential_bits": result.bits, "sample_bits": evaluate_bits(net, sample, cfg),
                                             "test_bits": evaluate_bits(net, test, cfg)}, "rounds": []}
        masks: dict[str, torch.Tensor] = {}
        for s in self.rounds():
            P.magnitude_prune(net, s, layers=names)  # global: masks only grow
            masks = {n: m for n, m in P.masks(net).items() if n in names}
            net, result = _train(self.model, cfg, data, on_step=rewind_to(masks))
            metrics["rounds"].append({"sparsity": round(P.sparsity(net, names), 6), "prequential_bits": result.bits,
                                      "sample_bits": evaluate_bits(net, sample, cfg)})
        metrics["ticket"] = {**metrics["rounds"][-1], "test_bits": evaluate_bits(net, test, cfg),
                             "layer_sparsity": _layer_sparsity(net, names)}
        control, result = _train(self.model, dataclasses.replace(cfg, seed=self.reinit_seed), data,
                                 on_step=lambda step, m, opt, b: _install(m, masks) if step == self.rewind_step else None)
        metrics["reinit"] = {"sparsity": round(P.sparsity(control, names), 6), "prequential_bits": result.bits,
                             "sample_bits": evaluate_bits(control, sample, cfg),
                             "test_bits": evaluate_bits(control, test, cfg)}
        metrics["rewound_weights_crc32"] = rewound  # the same in every round: the rewinding is exact
        return metrics


def _crc(model: nn.Module) -> int:
    from scalingzip.nn.determinism import weights_crc32

    return weights_crc32(model)


# --- group twopart ---------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class TwoPartRun:
    """A base, pruned by global magnitude over every layer the weights' code stores to each of
    ``sparsities``, then quantised by each of ``methods`` to each of ``bits``: the weights' exact
    code length (:func:`~scalingzip.compressors.weights.weights_code_length_bits`) and the sample's
    code length under the quantised model; plus the sparse model in float32."""

    model: TransformerConfig
    epoch: EpochConfig
    bytes: int
    sparsities: tuple[float, ...] = TWOPART_SPARSITIES
    bits: tuple[int, ...] = TWOPART_BITS
    methods: tuple[str, ...] = TWOPART_METHODS
    sample_bytes: int = SAMPLE_BYTES
    corpus: str = CORPUS

    def __post_init__(self) -> None:
        _check_corpus(self.corpus)
        if not all(0 <= s < 1 for s in self.sparsities) or not set(self.methods) <= {"uniform", "kmeans"}:
            raise ValueError("sparsities must lie in [0, 1) and methods among 'uniform', 'kmeans'")
        if not all(isinstance(b, int) and 1 <= b <= 16 for b in self.bits):
            raise ValueError(f"bits must be ints from 1 to 16; got {self.bits!r}")

    def cost(self) -> float:
        n, per_sparsity = _n_weights(self.model), len(self.bits) * len(self.methods) + 1
        codes = sum(_code_seconds(n, 1 - s) * per_sparsity for s in self.sparsities)
        evals = len(self.sparsities) * per_sparsity * len(held_out_sample(self.sample_bytes)) + 2 * TEST_BYTES
        return _train_seconds(self.model, self.bytes) + codes + _eval_seconds(self.model, evals)

    def execute(self, device: torch.device) -> dict[str, Any]:
        sample, test, cfg = held_out_sample(self.sample_bytes), _split("test"), self.epoch
        base, result = _train(self.model, cfg, _stream(0, self.bytes))
        count = count_parameters(base)
        metrics: dict[str, Any] = {
            "params_non_embedding": count.non_embedding, "params_total": count.total,
            "weights": sum(m.weight.numel() for m in P.prunable_layers(base).values()),
            "float32_bits": float32_bits(base), "sample_bytes": len(sample), "test_bytes": len(test),
            "base": {"prequential_bits": result.bits, "weights_crc32": result.weights_crc,
                     "sample_bits": evaluate_bits(base, sample, cfg), "test_bits": evaluate_bits(base, test, cfg)},
            "grid": []}
        for s in self.sparsities:
            net = P.clone(base)
            if s > 0:
                P.magnitude_prune(net, s)
            metrics["grid"].append({"sparsity": s, "method": "float32", "bits": 32,
                                    "model_bits": weights_code_length_bits(net, method="float32"),
                                    "sample_bits": evaluate_bits(net, sample, cfg)})
            for method in self.methods:
                for b in self.bits:
                    code = two_part_code_length_bits(net, sample, method=method, bits=b, seq_len=SEQ_LEN)
                    metrics["grid"].append({"sparsity": s, "method": method, "bits": b, "model_bits": code.model_bits,
                                            "sample_bits": code.data_bits})
        return metrics


# --- the design ------------------------------------------------------------------------------

def _recipe(index: int) -> tuple[TransformerConfig, EpochConfig]:
    return SHAPES[index], epoch_config(SHAPES[index])


def study() -> dict[str, list]:
    """The runs of chapter 7's transformer study, by group (``structured`` shares ``criteria``'s runs)."""
    bases = [OneShotRun(model=s, epoch=e, bytes=BASE_BYTES) for s, e in map(_recipe, BASE_SHAPES)]
    shape, cfg = _recipe(SCRATCH_SHAPE)
    scratch = [ScratchRun(model=s, epoch=e, bytes=BASE_BYTES) for s, e in map(_recipe, DENSE_CURVE)]
    scratch += [ScratchRun(model=shape, epoch=cfg, bytes=BASE_BYTES, method=m,
                           density=equal_flop_density(shape, SHAPES[p], method=m))
                for p in SCRATCH_PARTNERS for m in SCRATCH_METHODS]
    check_shape, check_cfg = _recipe(CHECK_SHAPE)
    return {
        "criteria": bases,
        "structured": bases,
        "sparse-scratch": scratch,
        "gradual": [GradualRun(model=s, epoch=e, bytes=GRADUAL_BYTES) for s, e in [_recipe(GRADUAL_SHAPE)]],
        "ticket": [TicketRun(model=s, epoch=e, bytes=TICKET_BYTES) for s, e in [_recipe(TICKET_SHAPE)]],
        "twopart": [TwoPartRun(model=SHAPES[i], epoch=epoch_config(SHAPES[i]), bytes=d) for i, d in TWOPART_RUNS],
        "check": [OneShotRun(model=check_shape, epoch=check_cfg, bytes=CHECK_BYTES, sparsities=(0.5, 0.9),
                             finetune_criteria=("magnitude-global",), finetune_sparsities=(0.9,), finetune_bytes=2**13,
                             scan_bytes=2**12, calibration_bytes=2**12, sample_bytes=2**13),
                  ScratchRun(model=check_shape, epoch=check_cfg, bytes=2**15, method="rigl", density=0.5, every=4,
                             calibration_bytes=2**12, sample_bytes=2**13),
                  TwoPartRun(model=check_shape, epoch=check_cfg, bytes=CHECK_BYTES, sparsities=(0.0, 0.5), bits=(2, 8),
                             sample_bytes=2**13)],
    }


def all_runs() -> list:
    """Every run of :func:`study` once, in a stable order."""
    return list(dict.fromkeys(r for runs in study().values() for r in runs))
