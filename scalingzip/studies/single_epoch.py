"""The loss is the file: single-epoch scaling of byte transformers on 10 MB of CPython's documentation.

Every run of this study reads the training split of ``cpython-docs`` (10,159,820 bytes, 460
documents) once, in one fixed order, and is scored on each batch *before* it trains on it, so its
summed training loss is a prequential code of the bytes it read, model paid
(:mod:`scalingzip.compressors.epoch`); the held-out test split (397,963 bytes, 14 documents) gives
its final loss. The documents are read in the order of a hash of their paths
(:func:`training_stream`), so that every prefix of the stream is a sample of the whole corpus, not
the C API's pages first.

The recipe (:func:`epoch_config`) is AdamW (beta2 0.95) with batches of 16 windows of 127 bytes
(2,032 bytes a step), a warm-up of :data:`WARMUP_STEPS` steps, then a constant rate and a linear
cool-down over the last fifth of the steps (warm-up, stable, decay: Hagele et al. 2024). Because the rate before a
run's cool-down does not depend on the run's length, one long run (the *trunk*, over all 10.16 MB)
also yields every shorter run of the recipe: :func:`~scalingzip.compressors.epoch.train_epoch`
forks a copy where the shorter run's cool-down starts, and the copy ends exactly as that run
trained alone would (a test checks it). The peak rate is :func:`default_lr`, ``LR_SCALE / d_model``,
which the ``lr`` group checks at three sizes.

The design (:func:`study`), groups sharing runs where their configs coincide:

* ``size``: the model family :data:`SHAPES`, 11 shapes from 888 to 1,045,872 non-embedding
  parameters (a factor of about 2 apart), each a trunk over the whole split. Each trunk's forks
  are its runs in the other groups; its final model is also quantised and coded
  (the two-part code).
* ``isoflop``: the same trunks, read at :data:`ISOFLOP_BUDGETS` (six budgets from 1e11 to 5e12
  FLOP, counted in full: attention and the output layer included, Porian et al. 2024), each
  spent by every shape whose byte count D = C / (FLOP per byte) lies between
  :data:`MIN_BYTES` and the whole split.
* ``data``: the largest shape's runs at 2**19 ... 2**23 bytes and the whole split.
* ``seeds``: three shapes at 2**21 bytes with seeds 1 and 2 (seed 0 is the trunk's fork).
* ``lr``: three shapes at 2**21 bytes with peak rates c / d_model for c in :data:`LR_SWEEP` (1/16
  to 1/2), scored on the validation split.
* ``repeat``: the 59,240-parameter shape trained on 2**21 bytes of which only 2**17 ... 2**20 are
  distinct (2 to 16 epochs; its one-epoch run is the trunk's fork at 2**21), the repeated-data group for Muennighoff et al.'s effective-data law.
  Only this group reads a byte twice.
* ``baselines``: gzip -9, bzip2 -9, xz -9e, zstd -19 (each where installed) and the course's
  context-mixing coder on the same stream's prefixes.
* ``file``: the smallest shape's run over 2**21 bytes, arithmetic-coded as it trains and decoded
  again: the file's size against the summed loss.
* ``check``: the cheapest runs, which ``tests/test_single_epoch.py`` reruns against their records.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from scalingzip.compressors.epoch import EpochConfig, EpochResult, evaluate_bits, train_epoch
from scalingzip.nn.flops import count_parameters, transformer_flops
from scalingzip.nn.transformer import TransformerConfig, build_model

__all__ = [
    "BASELINE_TOOLS",
    "ISOFLOP_BUDGETS",
    "SHAPES",
    "BaselineRun",
    "EpochFileRun",
    "EpochRun",
    "all_runs",
    "default_lr",
    "epoch_config",
    "flops_per_byte",
    "isoflop_bytes",
    "study",
    "training_stream",
]

CORPUS = "cpython-docs"
BATCH_SIZE = 16  # windows a step
SEQ_LEN = 127  # bytes a window, each read after the start byte (the model's window is 128)
BATCH_BYTES = BATCH_SIZE * SEQ_LEN
WARMUP_STEPS = 50  # about 100 KB
COOLDOWN = 0.2  # the last fifth of each run's steps
LR_SCALE = 0.125  # peak rate LR_SCALE / d_model; see default_lr
BETA2 = 0.95  # AdamW's second-moment decay
MIN_BYTES = 2**18  # the shortest IsoFLOP run: 129 steps
QUANTISE = (("kmeans", 3), ("kmeans", 4), ("kmeans", 5), ("kmeans", 6), ("kmeans", 8), ("uniform", 6),
            ("uniform", 8))  # the two-part code's codebooks, for each trunk's final model

# depth and width grow together, four heads of width >= 4 from the third shape on
SHAPES: tuple[TransformerConfig, ...] = tuple(TransformerConfig(n_layer=L, d_model=d, n_head=h) for L, d, h in (
    (1, 8, 2), (1, 12, 2), (2, 12, 2), (2, 16, 4), (2, 24, 4), (3, 28, 4), (3, 40, 4), (4, 48, 4), (4, 64, 4),
    (5, 80, 4), (6, 120, 4)))
ISOFLOP_BUDGETS: tuple[float, ...] = (1e11, 2.2e11, 5e11, 1.1e12, 2.4e12, 5e12)  # training FLOP, full count
DATA_BYTES: tuple[int, ...] = (2**19, 2**20, 2**21, 2**22, 2**23)  # the largest shape's shorter runs
SEED_SHAPES = (1, 5, 8)  # indices into SHAPES
SEED_BYTES = 2**21
LR_SWEEP = (0.0625, 0.125, 0.25, 0.5)  # lr x d_model, the lr group's rates
REPEAT_SHAPE = 6
REPEAT_TOTAL = 2**21
REPEAT_UNIQUE = (2**17, 2**18, 2**19, 2**20)
BASELINE_TOOLS = ("gzip", "bzip2", "xz", "zstd", "mixing")
MIXING_MODEL = 3  # the version of scalingzip.coding.mixing's model the baselines use (checked when one runs)
BASELINE_BYTES = (2**15, 2**17, 2**19, 2**21, 2**23)  # and the whole split
FILE_BYTES = 2**21  # the smallest shape's run written as a file: the same run as its trunk's fork at 2**21
CHECK_BYTES = 2**16  # the cheapest runs, which the tests rerun


@functools.lru_cache(maxsize=1)
def training_stream() -> bytes:
    """The training split's documents joined in the order of SHA-256("order:" + path)."""
    from scalingzip.data.cpython_docs import load_documents

    docs = [d for d in load_documents() if d.split == "train"]
    docs.sort(key=lambda d: hashlib.sha256(f"order:{d.path}".encode()).digest())
    return b"".join(d.text for d in docs)


@functools.lru_cache(maxsize=2)
def _held_out(split: str) -> bytes:
    from scalingzip.data import document_splits

    return getattr(document_splits(CORPUS), split)


def flops_per_byte(shape: TransformerConfig) -> float:
    """Training FLOP per byte, every matrix product counted (attention over 128 positions and the output layer)."""
    return float(transformer_flops(shape, seq_len=SEQ_LEN + 1).training)


def default_lr(shape: TransformerConfig) -> float:
    """The peak rate of a shape: ``LR_SCALE / d_model`` (three significant digits).

    Adam's update of a weight is about the rate whatever its gradient's scale, so a layer of
    width d moves its output about d times the rate: a rate proportional to 1 / d keeps that
    change the same across widths (the rule muP makes exact; Yang et al. 2022). The constant
    was set by a pilot at one size (29,372 parameters, 2**20 bytes: 1/8 and 1/4 within 0.4 % of
    each other, 1/16 and 1/32 worse) and is checked by the ``lr`` group at three sizes.
    """
    return float(f"{LR_SCALE / shape.d_model:.3g}")


def epoch_config(shape: TransformerConfig, *, seed: int = 0, lr: float | None = None) -> EpochConfig:
    """The study's recipe for ``shape`` (see the module's docstring)."""
    return EpochConfig(batch_size=BATCH_SIZE, seq_len=SEQ_LEN, lr=default_lr(shape) if lr is None else lr,
                       warmup_steps=WARMUP_STEPS, beta2=BETA2, seed=seed, schedule="wsd", cooldown=COOLDOWN)


@dataclass(frozen=True, kw_only=True)
class EpochRun:
    """One run over the training stream's first ``bytes`` bytes, and the shorter runs forked off it.

    With ``unique_bytes`` > 0 the run instead reads the first ``unique_bytes`` bytes again and
    again (the first time in order, then each pass its windows in a seeded order) up to ``bytes``.
    """

    model: TransformerConfig
    epoch: EpochConfig
    bytes: int
    forks: tuple[int, ...] = ()
    unique_bytes: int = 0
    validate: bool = False  # also score the validation split (the lr group's yardstick)
    two_part: bool = False  # quantise and code the final model
    corpus: str = CORPUS

    def __post_init__(self) -> None:
        if self.corpus != CORPUS:
            raise ValueError(f"this study runs on {CORPUS!r}; got {self.corpus!r}")
        if self.unique_bytes and self.forks:
            raise ValueError("a repeated-data run has no forks")

    def cost(self) -> float:
        """Rough CPU seconds: the FLOP at 30 GFLOP/s plus 15 ms a step."""
        steps = self.bytes / BATCH_BYTES * (1 + COOLDOWN * len(self.forks) / 4)
        return steps * (BATCH_BYTES * flops_per_byte(self.model) / 3e10 + 0.015)

    def _data(self) -> bytes:
        stream = training_stream()
        if self.bytes > len(stream):
            raise ValueError(f"{self.bytes} bytes asked of a {len(stream)}-byte training stream")
        if not self.unique_bytes:
            return stream[:self.bytes]
        unique = stream[:self.unique_bytes]
        windows = [unique[i:i + SEQ_LEN] for i in range(0, len(unique), SEQ_LEN)]
        out, rng, first = bytearray(), np.random.default_rng(self.epoch.seed), True
        while len(out) < self.bytes:
            order = range(len(windows)) if first else rng.permutation(len(windows))
            out.extend(b"".join(windows[i] for i in order))
            first = False
        return bytes(out[:self.bytes])

    def execute(self, device: torch.device) -> dict[str, Any]:
        # runs on the CPU whatever ``device`` says: a fork equals its run alone only where the float order is fixed
        data = self._data()
        test = _held_out("test")
        runs: dict[int, dict[str, Any]] = {}

        def finish(n: int, model: torch.nn.Module, result: EpochResult) -> None:
            run = {"bytes": n, "prequential_bits": result.bits, "test_bits": evaluate_bits(model, test, self.epoch),
                   "weights_crc32": result.weights_crc}
            if self.validate:
                run["val_bits"] = evaluate_bits(model, _held_out("val"), self.epoch)
            runs[n] = run

        final: dict[str, Any] = {}

        def finish_any(n: int, model: torch.nn.Module, result: EpochResult) -> None:
            finish(n, model, result)
            if n == len(data):
                final["model"] = model

        result = train_epoch(data, self.model, self.epoch, forks=(*self.forks, len(data)), on_fork=finish_any)
        count = count_parameters(final["model"])
        metrics: dict[str, Any] = {
            "params_non_embedding": count.non_embedding,
            "params_total": count.total,
            "flops_per_byte": flops_per_byte(self.model),
            "flops_6n_per_byte": 6 * count.non_embedding,
            "test_bytes": len(test),
            "val_bytes": len(_held_out("val")) if self.validate else 0,
            "batch_bits": [round(float(b), 2) for b in result.batch_bits],
            "batch_bytes": BATCH_BYTES,
            "runs": [runs[n] for n in sorted(runs)],
            "stream_sha256": hashlib.sha256(data).hexdigest(),
        }
        if self.two_part:
            metrics["two_part"] = _two_part(final["model"], self.model, test, self.epoch)
        return metrics


def _two_part(model: torch.nn.Module, shape: TransformerConfig, test: bytes, config: EpochConfig) -> list[dict]:
    """The final model quantised and coded exactly (:mod:`scalingzip.compressors.weights`), and the
    test split's code length under the decoded model, for each codebook of :data:`QUANTISE`."""
    from scalingzip.compressors.weights import decode_weights, encode_weights, float32_bits

    out = [{"method": "float32", "bits": 32, "model_bits": float32_bits(model),
            "test_bits": evaluate_bits(model, test, config)}]
    for method, bits in QUANTISE:
        blob = encode_weights(model, method=method, bits=bits)
        decoded = decode_weights(blob, build_model(shape, seed=0))
        out.append({"method": method, "bits": bits, "model_bits": 8 * len(blob),
                    "test_bits": evaluate_bits(decoded, test, config)})
    return out


@dataclass(frozen=True, kw_only=True)
class EpochFileRun:
    """A run whose stream is written as a file: arithmetic-coded with the package's exact coder,
    each batch with the model as it stands before training on it, then decoded and compared."""

    model: TransformerConfig
    epoch: EpochConfig
    bytes: int
    corpus: str = CORPUS

    def cost(self) -> float:
        return 2 * EpochRun(model=self.model, epoch=self.epoch, bytes=self.bytes).cost() + self.bytes / 2e4

    def execute(self, device: torch.device) -> dict[str, Any]:
        from scalingzip.compressors.epoch import decode_epoch, encode_epoch

        data = training_stream()[:self.bytes]
        code = encode_epoch(data, self.model, self.epoch)
        back = decode_epoch(code.stream, code.n, self.model, self.epoch, code.result.weights_crc)
        return {"bytes": self.bytes, "file_bytes": len(code.stream), "summed_loss_bits": code.result.bits,
                "decoded_exactly": back == data, "weights_crc32": code.result.weights_crc}


@dataclass(frozen=True, kw_only=True)
class BaselineRun:
    """A classical compressor on the training stream's first ``bytes`` bytes."""

    tool: str  # one of BASELINE_TOOLS
    bytes: int
    model: int = 0  # tool "mixing": the version of the context-mixing model (MODEL_VERSION); 0 for the others
    corpus: str = CORPUS

    def __post_init__(self) -> None:
        if self.tool not in BASELINE_TOOLS:
            raise ValueError(f"tool must be one of {', '.join(BASELINE_TOOLS)}; got {self.tool!r}")
        if (self.tool == "mixing") != (self.model > 0):
            raise ValueError("model is the context-mixing model's version for tool 'mixing', and 0 for the others")

    def cost(self) -> float:
        return self.bytes / (2e5 if self.tool == "mixing" else 2e6)

    def execute(self, device: torch.device) -> dict[str, Any]:
        data = training_stream()[:self.bytes]
        if self.tool == "mixing":
            from scalingzip.coding.mixing import MODEL_VERSION
            from scalingzip.compressors import compress, decompress

            if self.model != MODEL_VERSION:
                raise ValueError(f"this run asks for version {self.model} of the context-mixing model; "
                                 f"this code has version {MODEL_VERSION}")
            blob = compress(data, "mixing")
            ok = decompress(blob) == data
            version = f"scalingzip mixing, model {MODEL_VERSION}"
        else:
            argv = {"gzip": ["gzip", "-9", "-n", "-c"], "bzip2": ["bzip2", "-9", "-c"], "xz": ["xz", "-9e", "-c"],
                    "zstd": ["zstd", "-19", "-q", "-c"]}[self.tool]
            if shutil.which(argv[0]) is None:
                return {"bytes_in": self.bytes, "compressed_bytes": None, "note": f"{argv[0]} is not installed"}
            blob = subprocess.run(argv, input=data, capture_output=True, check=True).stdout
            ok = subprocess.run([argv[0], "-d", "-c"], input=blob, capture_output=True, check=True).stdout == data
            shown = subprocess.run([argv[0], "--version"], capture_output=True, text=True)
            version = ((shown.stdout or shown.stderr).strip().splitlines() or ["?"])[0].strip(" *")
        if not ok:
            raise AssertionError(f"{self.tool} did not round-trip {self.bytes} bytes")
        return {"bytes_in": self.bytes, "compressed_bytes": len(blob), "version": version}


def isoflop_bytes(shape: TransformerConfig, budget: float) -> int | None:
    """The byte count that spends ``budget`` FLOP on ``shape`` (a whole number of steps), or None
    when it falls outside [:data:`MIN_BYTES`, the whole training split]."""
    d = round(budget / flops_per_byte(shape) / BATCH_BYTES) * BATCH_BYTES
    return d if MIN_BYTES <= d <= len(training_stream()) else None


def _trunk(shape: TransformerConfig) -> EpochRun:
    D = len(training_stream())
    forks = {SEED_BYTES}
    forks.update(d for C in ISOFLOP_BUDGETS if (d := isoflop_bytes(shape, C)) is not None and d < D)
    if shape == SHAPES[-1]:
        forks.update(DATA_BYTES)
    return EpochRun(model=shape, epoch=epoch_config(shape), bytes=D, forks=tuple(sorted(forks)), two_part=True)


def study() -> dict[str, list]:
    """The runs of chapter 5, by group (the trunks of ``size`` also hold ``isoflop`` and ``data``)."""
    trunks = [_trunk(s) for s in SHAPES]
    lr_shapes = [SHAPES[i] for i in SEED_SHAPES]
    return {
        "size": trunks,
        "isoflop": [t for t in trunks if any(isoflop_bytes(t.model, C) for C in ISOFLOP_BUDGETS)],
        "data": [trunks[-1]],
        "seeds": [EpochRun(model=s, epoch=epoch_config(s, seed=seed), bytes=SEED_BYTES)
                  for s in lr_shapes for seed in (1, 2)],
        "lr": [EpochRun(model=s, epoch=epoch_config(s, lr=float(f"{c / s.d_model:.3g}")), bytes=SEED_BYTES,
                        validate=True) for s in lr_shapes for c in LR_SWEEP],
        "repeat": [EpochRun(model=SHAPES[REPEAT_SHAPE], epoch=epoch_config(SHAPES[REPEAT_SHAPE]), bytes=REPEAT_TOTAL,
                            unique_bytes=u) for u in REPEAT_UNIQUE],
        "baselines": [BaselineRun(tool=t, bytes=n, model=MIXING_MODEL if t == "mixing" else 0) for t in BASELINE_TOOLS
                      for n in (*BASELINE_BYTES, len(training_stream()))],
        "file": [EpochFileRun(model=SHAPES[0], epoch=epoch_config(SHAPES[0]), bytes=FILE_BYTES)],
        "check": [EpochRun(model=SHAPES[0], epoch=epoch_config(SHAPES[0]), bytes=CHECK_BYTES, forks=(CHECK_BYTES // 2,)),
                  BaselineRun(tool="gzip", bytes=BASELINE_BYTES[0])],
    }


def all_runs() -> list:
    """Every run of :func:`study` once, in a stable order."""
    seen: dict[Any, None] = {}
    for runs in study().values():
        seen.update(dict.fromkeys(runs))
    return list(seen)


# --- reading the records --------------------------------------------------------------------------

def run_points(records: list) -> dict[str, np.ndarray]:
    """Every finished single-epoch run held by ``records`` (trunks with their forks, or plain runs),
    as columns: ``shape`` (index into :data:`SHAPES`), ``N`` (non-embedding parameters), ``P``
    (all parameters), ``D`` (bytes), ``C`` (training FLOP, full count), ``C6`` (6ND), ``loss``
    (test split, bits per byte), ``preq`` (the run's prequential code, bits per byte of its
    stream), ``seed`` and ``lr``."""
    rows = []
    for r in records:
        config, m = r.config, r.metrics
        if getattr(config, "unique_bytes", 1):
            raise ValueError("run_points reads single-epoch runs; a repeated-data run has no prequential code")
        for run in m["runs"]:
            rows.append((SHAPES.index(config.model), m["params_non_embedding"], m["params_total"], run["bytes"],
                         m["flops_per_byte"] * run["bytes"], m["flops_6n_per_byte"] * run["bytes"],
                         run["test_bits"] / m["test_bytes"], run["prequential_bits"] / run["bytes"],
                         config.epoch.seed, config.epoch.lr))
    names = ("shape", "N", "P", "D", "C", "C6", "loss", "preq", "seed", "lr")
    columns = list(zip(*rows)) if rows else [()] * len(names)
    return {name: np.array(col, dtype=np.int64 if name in ("shape", "seed") else float)
            for name, col in zip(names, columns)}


def prefix_bits(record, n_bytes: float | np.ndarray) -> np.ndarray:
    """The code length, in bits, of a trunk's first ``n_bytes`` bytes: its batches' losses summed
    up to there (a batch cut by ``n_bytes`` counts pro rata)."""
    bits = np.asarray(record["batch_bits"], dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(bits)])
    ends = np.minimum(np.arange(len(bits) + 1) * record["batch_bytes"], record.config.bytes)
    n = np.asarray(n_bytes, dtype=float)
    if np.any((n < 0) | (n > ends[-1])):
        raise ValueError(f"n_bytes must lie in [0, {ends[-1]}]")
    return np.interp(n, ends, cum)


def codes_of_prefix(loaded, n_bytes: int) -> dict[str, float]:
    """The code length, in bits, of the stream's first ``n_bytes`` bytes under every coder of the
    study: each classical tool that was installed (its compressed size) and ``"network"``, the
    shortest prequential code among the trunks (``"network_N"`` names its size). ``n_bytes`` must
    be one of :data:`BASELINE_BYTES` or the whole stream."""
    out: dict[str, float] = {}
    for r in loaded.select("baselines"):
        if r.config.bytes == n_bytes and r["compressed_bytes"] is not None:
            out[r.config.tool] = 8.0 * r["compressed_bytes"]
    if not out:
        raise ValueError(f"no baseline was run on {n_bytes} bytes; choose among {BASELINE_BYTES} or the whole stream")
    trunks = loaded.select("size")
    codes = [float(prefix_bits(t, n_bytes)) for t in trunks]
    best = int(np.argmin(codes))
    out["network"], out["network_N"] = codes[best], float(trunks[best]["params_non_embedding"])
    return out
