"""Benchmark: the ladder of models from order 0 to context mixing, on one text (``bench ladder``).

Prediction is compression one model at a time: each rung adds one idea to the one below and the
table says how many bits per byte it saves on the same text. The rungs:

1. ``order0``: adaptive byte counts, no context;
2. ``ppm`` of order 2;
3. ``ppm`` of order 5: PPMD, the best of the classical context models;
4. context mixing with its orders 0-6 and 8 only, direct counters, one weight set, no SSE
   (:func:`~scalingzip.coding.mixing.mixing_code_lengths` with every part of
   :data:`~scalingzip.coding.mixing.PARTS` switched off), then the same with, in turn, the mixers'
   contexts (weight sets chosen by context), the bit histories, the word contexts, the column
   context, the match model and secondary estimation switched back on: the last rung is the
   ``mixing`` mode itself;
5. the ``hybrid`` mode: the same mixer with a pretrained transformer's predictions as one more
   input (:mod:`scalingzip.compressors.hybrid`). Each text gets the shipped model trained on its
   own corpus where there is one (``python-docs``: the 100k model of chapter 3;
   ``cpython-docs``: the 300k model), and the 300k model otherwise (:data:`TEXT_MODELS`);
   ``--model FILE`` gives every text the same one.

What a part saves depends on what is already there (bit histories, for one, pay only once the
mixer can weigh them by context), so the table also gives each part's *leave-one-out* cost: the
bits per byte the full model loses without it (:func:`leave_one_out`).

The first three rungs, the mixing mode and the hybrid are real blobs of :func:`scalingzip.compressors.compress` (each
decompressed and checked); the ablated models in between are ideal code lengths (their streams
would be within a few bytes of them). Beside the ladder stand two references, ``xz -9e`` (Python's
lzma with the same preset) and ``zpaq -m5`` where it is installed (an archive: a few dozen bytes of
header and file name included).

``--texts NAME ...`` picks texts of :data:`scalingzip.benchmarks.compressors.TEXTS` (default
``pride-and-prejudice``, which ships with the package); ``--no-transformer`` leaves the hybrid rung
out; ``--save FILE`` writes the rungs as JSON
with the machine and the versions, for the book to read (chapter 3 reads
``results/benchmarks/ladder.json``, made by ``python -m scalingzip bench ladder --texts
python-docs pride-and-prejudice cpython-docs --save results/benchmarks/ladder.json``, about five
minutes).
"""

from __future__ import annotations

import argparse
import json
import lzma
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from scalingzip.benchmarks.compressors import TOOLS, Missing, load_texts, machine_info, measure_tool
from scalingzip.coding.mixing import MODEL_VERSION, PARTS, mixing_code_lengths
from scalingzip.compressors import compress, decompress, get

__all__ = ["Rung", "ladder", "leave_one_out", "main", "references"]

HYBRID_LABEL = "+ transformer input (hybrid)"
TEXT_MODELS = {"python-docs": "python-docs"}  # text -> the corpus of its hybrid rung's model; else cpython-docs

# (label, what it adds) of the context-mixing rungs, in order; each switches one more part back on
_MIXING_RUNGS = (
    ("mixing: orders 0-6, 8", None),
    ("+ mixer contexts", "mixer contexts"),
    ("+ bit histories", "histories"),
    ("+ word contexts", "words"),
    ("+ column context", "column"),
    ("+ match model", "match"),
    ("+ SSE (the mixing mode)", "sse"),
)


@dataclass(frozen=True, kw_only=True)
class Rung:
    """One model of the ladder on the text."""

    label: str
    compressed_bytes: float  # a blob's length, or an ideal code length / 8 for an ablated model
    bits_per_byte: float
    seconds: float  # compressing (and, for a blob, decompressing and checking)
    blob: bool  # a real blob that was decompressed and checked, or an ideal code length


def _blob_rung(label: str, data: bytes, name: str, **kwargs) -> Rung:
    start = time.perf_counter()
    blob = compress(data, name, **kwargs)
    if decompress(blob, **{k: kwargs[k] for k in get(name).decode_needs}) != data:
        raise RuntimeError(f"{label} did not round-trip")
    return Rung(label=label, compressed_bytes=len(blob), bits_per_byte=8 * len(blob) / len(data),
                seconds=time.perf_counter() - start, blob=True)


def ladder(data: bytes, model=None) -> list[Rung]:
    """Every rung of the ladder on ``data``, bottom first; the ``hybrid`` rung too if ``model`` (a
    pretrained :class:`~scalingzip.nn.transformer.ByteTransformer`) is given."""
    if len(data) == 0:
        raise ValueError("the ladder needs a non-empty text")
    rungs = [_blob_rung("order 0 (adaptive counts)", data, "order0"),
             _blob_rung("PPM order 2", data, "ppm", order=2),
             _blob_rung("PPM order 5", data, "ppm", order=5)]
    off = list(PARTS)
    for label, part in _MIXING_RUNGS[:-1]:
        if part is not None:
            off.remove(part)
        start = time.perf_counter()
        bits = float(mixing_code_lengths(data, without=tuple(off)).sum())
        rungs.append(Rung(label=label, compressed_bytes=bits / 8, bits_per_byte=bits / len(data),
                          seconds=time.perf_counter() - start, blob=False))
    rungs.append(_blob_rung(_MIXING_RUNGS[-1][0], data, "mixing"))
    if model is not None:
        rungs.append(_blob_rung(HYBRID_LABEL, data, "hybrid", model=model))
    return rungs


def leave_one_out(data: bytes) -> dict[str, float]:
    """Bits per byte the full context-mixing model loses on ``data`` without each part of
    :data:`~scalingzip.coding.mixing.PARTS`."""
    full = float(mixing_code_lengths(data).sum())
    return {part: (float(mixing_code_lengths(data, without=(part,)).sum()) - full) / len(data) for part in PARTS}


def references(data: bytes) -> dict[str, int | None]:
    """Bytes of ``xz -9e`` (Python's lzma, same preset) and of a ``zpaq -m5`` archive (None if absent)."""
    out: dict[str, int | None] = {"xz -9e": len(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))}
    zpaq = next(t for t in TOOLS if t.program == "zpaq")
    row = measure_tool(zpaq, data)
    out["zpaq -m5"] = None if isinstance(row, Missing) else row.compressed_bytes
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalingzip bench ladder", description=__doc__.splitlines()[0])
    parser.add_argument("--texts", nargs="+", default=["pride-and-prejudice"], metavar="NAME",
                        help="texts of bench compressors' set (default pride-and-prejudice)")
    parser.add_argument("--save", metavar="FILE", help="write the rungs and the references as JSON")
    parser.add_argument("--model", default=None, help="the hybrid rung's transformer (default: the shipped model)")
    parser.add_argument("--no-transformer", action="store_true", help="leave out the hybrid rung (it codes at tens of KB/s)")
    args = parser.parse_args(argv)
    from scalingzip.compressors.model_files import load_model, pretrained_model_path

    def model_for(name: str) -> tuple[object, str | None]:
        if args.no_transformer:
            return None, None
        path = Path(args.model or pretrained_model_path(TEXT_MODELS.get(name, "cpython-docs")))
        return load_model(path)[0], path.name
    texts, notes = load_texts(args.texts)
    for note in notes:
        print(note)
    records = [_one(text, *model_for(text.name)) for text in texts]
    if args.save and records:
        record = {"mixing_model": MODEL_VERSION, "texts": records, "machine": machine_info()}
        Path(args.save).parent.mkdir(parents=True, exist_ok=True)
        Path(args.save).write_text(json.dumps(record, indent=1) + "\n")
        print(f"saved {args.save}")
    return 0


def _one(text, model, model_file: str | None) -> dict:
    rungs = ladder(text.data, model)
    refs = references(text.data)
    alone = leave_one_out(text.data)
    print(f"{text.title}: {len(text.data):,} bytes; context-mixing model {MODEL_VERSION}"
          + (f"; hybrid with {model_file}" if model_file else ""))
    print(f"{'model':28s} {'bytes':>9s} {'bits/byte':>9s} {'saved':>7s} {'x xz':>6s} {'seconds':>8s}")
    previous = None
    for r in rungs:
        saved = f"{previous - r.bits_per_byte:7.3f}" if previous is not None else f"{'':7s}"
        print(f"{r.label:28s} {r.compressed_bytes:9,.0f} {r.bits_per_byte:9.3f} {saved} "
              f"{r.compressed_bytes / refs['xz -9e']:6.3f} {r.seconds:8.1f}{'' if r.blob else '  (ideal)'}")
        previous = r.bits_per_byte
    print("leave-one-out, bits per byte lost by the full model without: "
          + ", ".join(f"{part} {cost:+.3f}" for part, cost in alone.items()))
    for name, size in refs.items():
        print(f"{name:28s} " + (f"{size:9,d} {8 * size / len(text.data):9.3f}" if size else "  missing"))
    print()
    return {"text": text.name, "title": text.title, "n_bytes": len(text.data), "hybrid_model": model_file,
            "rungs": [asdict(r) for r in rungs],
            "leave_one_out": alone, "references": refs}
