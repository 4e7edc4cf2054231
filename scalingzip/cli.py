"""The ``compress``, ``decompress``, ``train-lm``, ``sweep``, ``assign`` and ``grade`` commands of
``python -m scalingzip``.

Modes of ``compress`` (the file records which one, so ``decompress`` needs no mode):

* ``prequential`` (default): the online context-mixing model of :mod:`scalingzip.coding.mixing`,
  which starts from nothing and learns while it codes; no model file, any machine decodes it.
* ``pretrained``: a byte-level transformer trained beforehand by ``train-lm``; the file records
  the model's shape and checksum, and ``decompress`` needs the same model file.
* ``online-lm``: a byte-level transformer that learns while it codes (:func:`scalingzip.compressors.lm.prequential_encode`);
  slow, kept to show the prequential code of a neural network at work.

``sweep STUDY`` runs a scaling study of :mod:`scalingzip.studies` through :func:`scalingzip.studies.sweep.run_sweep`:
runs already recorded under ``results/STUDY/`` are skipped, so an interrupted sweep resumes.

``assign`` writes each lab's student notebook and autograder zip (:func:`scalingzip.classroom.assignments.release`)
under ``_build/assignments/LAB/``; ``grade LAB SUBMISSIONS`` grades notebooks offline with that zip
and writes a CSV of points per question and a feedback file per submission.

Every failure (missing or existing file, corrupt input, wrong model, numerics that differ on this
machine) prints one ``error:`` line to stderr and returns a non-zero exit status; the output file is
written to a temporary name and moved into place only when everything checked out.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["DEFAULT_ASSIGNMENTS", "DEFAULT_LABS", "DEFAULT_MODEL_PATH", "DEFAULT_RESULTS", "add_commands",
           "assign_labs", "compress_file", "decompress_file", "grade_submissions", "pretrain_config", "run",
           "run_study", "train_lm"]

MODES = ("prequential", "pretrained", "online-lm")
DEFAULT_MODEL_PATH = Path("models") / "lm-python-docs.pt"
DEFAULT_RESULTS = Path("results")  # a study's records go to DEFAULT_RESULTS / study name
DEFAULT_LABS = Path("labs")  # the otter masters
DEFAULT_ASSIGNMENTS = Path("_build") / "assignments"  # a lab's release goes to DEFAULT_ASSIGNMENTS / lab


class CommandError(Exception):
    """A problem the user can fix; reported as one line, exit status 1."""


def _read(path: Path) -> bytes:
    if not path.exists():
        raise CommandError(f"{path}: no such file")
    if path.is_dir():
        raise CommandError(f"{path} is a directory; give a file")
    return path.read_bytes()


def _write(path: Path, data: bytes, force: bool) -> None:
    if path.exists() and not force:
        raise CommandError(f"{path} exists; pass --force to overwrite it")
    if path.is_dir():
        raise CommandError(f"{path} is a directory")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise CommandError(f"{directory}: no such directory")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _check_destination(src: Path, dst: Path, force: bool) -> None:
    """Fail before any work if the output is a directory, is the input, or exists and is not forced."""
    if dst.is_dir():
        raise CommandError(f"{dst} is a directory; give the output's file name")
    if dst.exists() and src.resolve() == dst.resolve():
        raise CommandError("input and output are the same file")
    if dst.exists() and not force:
        raise CommandError(f"{dst} exists; pass --force to overwrite it")


def _check_preset(preset: str) -> None:
    from scalingzip.nn.transformer import PRESETS

    if preset not in PRESETS:
        raise CommandError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")


def _load_model(path: str | None):
    from scalingzip.compressors import lm

    if path is None:
        raise CommandError("this mode needs --model FILE (make one with: python -m scalingzip train-lm FILE)")
    try:
        model, _ = lm.load_model(path)
    except (FileNotFoundError, ValueError) as err:
        raise CommandError(str(err)) from None
    return model


def _report(verb: str, src: Path, n_in: int, n_out: int, n_raw: int, seconds: float, mode: str) -> str:
    rate = 8 * (n_out if verb == "compressed" else n_in) / n_raw if n_raw else 0.0
    speed = n_raw / seconds / 1e3 if seconds > 0 else float("inf")
    return (f"{verb} {src}: {n_in:,} B -> {n_out:,} B, {rate:.3f} bits/byte, "
            f"{seconds:.2f} s, {speed:,.0f} KB/s [{mode}]")


def compress_file(src: Path, dst: Path, *, mode: str = "prequential", model: str | None = None,
                  preset: str = "30k", force: bool = False, progress: bool = True) -> str:
    """Compress ``src`` into ``dst``; return the one-line report."""
    from scalingzip.compressors import lm
    from scalingzip.coding import compress

    if mode not in MODES:
        raise CommandError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if mode == "online-lm":
        _check_preset(preset)
    _check_destination(src, dst, force)
    data = _read(src)
    t0 = time.perf_counter()
    if mode == "prequential":
        blob = compress(data, "mixing", progress=progress)
    elif mode == "pretrained":
        blob = lm.compress_with_model(data, _load_model(model), progress=progress)
    else:
        blob = lm.prequential_encode(data, preset, progress=progress).blob
    stored = compress(data, "stored")
    if len(stored) <= len(blob):  # incompressible for this model (compress_with_model may have stored it)
        blob, mode = stored, f"{mode}, stored"
    seconds = time.perf_counter() - t0
    _write(dst, blob, force)
    return _report("compressed", src, len(data), len(blob), len(data), seconds, mode)


def decompress_file(src: Path, dst: Path, *, model: str | None = None, force: bool = False,
                    progress: bool = True) -> str:
    """Decompress ``src`` into ``dst``; return the one-line report."""
    from scalingzip.compressors import lm
    from scalingzip.coding import container

    _check_destination(src, dst, force)
    blob = _read(src)
    t0 = time.perf_counter()
    try:
        header = container.unpack(blob)
        if header.model == "lm":
            data = lm.decompress_with_model(blob, _load_model(model), progress=progress)
            mode = "pretrained"
        elif header.model == "lm-online":
            data = lm.prequential_decode(blob, progress=progress)
            mode = "online-lm"
        else:
            data = container.decompress(blob, progress=progress)
            mode = {"mixing": "prequential"}.get(header.model, header.model)
    except ValueError as err:
        raise CommandError(f"{src}: {err}") from None
    seconds = time.perf_counter() - t0
    _write(dst, data, force)
    return _report("decompressed", src, len(blob), len(data), len(data), seconds, mode)


def train_lm(dst: Path, *, preset: str = "100k", steps: int = 2500, force: bool = False,
             progress: bool = True) -> str:
    """Train the pretrained mode's model on the python-docs training split and save it."""
    import torch

    from scalingzip.compressors import lm
    from scalingzip.data import load_text, split_bytes
    from scalingzip.nn.transformer import build_model
    from scalingzip.nn.train import evaluate_bits_per_byte, train

    if dst.is_dir():
        raise CommandError(f"{dst} is a directory; give the model's file name")
    if dst.exists() and not force:
        raise CommandError(f"{dst} exists; pass --force to overwrite it")
    config = pretrain_config(steps)
    splits = split_bytes(load_text("python-docs"))
    torch.manual_seed(0)
    model = build_model(preset, seed=0)
    t0 = time.perf_counter()
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        train(model, splits.train, splits.val, config, progress=progress)
        test_bpb = evaluate_bits_per_byte(model, splits.test)
    finally:
        torch.set_num_threads(before)
    dst.parent.mkdir(parents=True, exist_ok=True)
    digest = lm.save_model(model, dst, overwrite=force, preset=preset, corpus="python-docs", split="train",
                           train_bytes=len(splits.train), train_config=repr(config),
                           test_bits_per_byte=float(test_bpb))
    return (f"trained {preset} for {config.steps} steps in {time.perf_counter() - t0:.0f} s: "
            f"{test_bpb:.3f} bits/byte on the held-out test split; saved {dst} (sha256 {digest[:16]}...)")


def pretrain_config(steps: int = 2500):
    """The training recipe of ``train-lm``: AdamW, warm-up and cosine decay, 128-byte windows."""
    from scalingzip.nn.train import TrainConfig

    return TrainConfig(steps=steps, batch_size=32, seq_len=128, lr=3e-3, warmup_steps=min(100, steps),
                       eval_every=max(1, steps // 10), eval_bytes=0, seed=0)


def run_study(name: str, *, results: Path | None = None, workers: int = 1, scheduler: str | None = None,
              device: str = "auto", groups: list[str] | None = None, dry_run: bool = False,
              prune: bool = False, progress: bool = True) -> str:
    """Run (or, with ``dry_run``, list) the runs of a study that have no record yet; return a report line.

    With ``prune``, first delete the records in the results folder that belong to no run of the
    whole study (left behind when its design changed), and say how many.
    """
    from scalingzip.studies import STUDIES
    from scalingzip.studies.sweep import config_key, run_sweep

    if name not in STUDIES:
        raise CommandError(f"unknown study {name!r}; choose one of {', '.join(STUDIES)}")
    full = STUDIES[name].load_module().study()
    design = full
    if groups:
        unknown = sorted(set(groups) - set(design))
        if unknown:
            raise CommandError(f"unknown group {unknown[0]!r} of study {name}; choose among {', '.join(design)}")
        design = {g: design[g] for g in groups}
    configs = list(dict.fromkeys(c for runs in design.values() for c in runs))
    results = DEFAULT_RESULTS / name if results is None else results
    if results.exists() and not results.is_dir():
        raise CommandError(f"{results} is not a folder")
    pruned = ""
    if prune:
        keep = {config_key(c) for runs in full.values() for c in runs}
        stale = [p for p in results.glob("*.json") if p.stem not in keep] if results.is_dir() else []
        if not dry_run:
            for path in stale:
                path.unlink()
        pruned = f"; {len(stale)} stale record(s) {'would be ' if dry_run else ''}deleted"
    cached = sum((results / f"{config_key(c)}.json").is_file() for c in configs)
    if dry_run:
        sizes = ", ".join(f"{g} {len(r)}" for g, r in design.items())
        return (f"study {name}: {len(configs)} runs ({sizes}); {cached} recorded in {results}, "
                f"{len(configs) - cached} to run{pruned}")
    if workers < 1:
        raise CommandError("--workers must be >= 1")
    if progress:
        where = f"the Dask scheduler {scheduler}" if scheduler else f"{workers} local process(es)"
        print(f"study {name}: {len(configs)} runs, {cached} already recorded; running the rest on {where}; "
              f"records go to {results}/", file=sys.stderr)
    t0 = time.perf_counter()
    try:
        run_sweep(configs, results=results, executor=scheduler, workers=workers, device=device, progress=progress)
    except OSError as err:
        raise CommandError(f"could not reach the Dask scheduler {scheduler}: {err}") from None
    return (f"study {name}: {len(configs)} runs recorded in {results}/ ({len(configs) - cached} new, "
            f"{time.perf_counter() - t0:.0f} s){pruned}")


def _masters(labs: Path, names: list[str] | None) -> list[Path]:
    import nbformat

    from scalingzip.classroom.assignments import is_master

    if not labs.is_dir():
        raise CommandError(f"{labs}: no such folder of labs")
    found = {p.stem: p for p in sorted(labs.glob("*.ipynb")) if is_master(nbformat.read(p, as_version=4))}
    if not found:
        raise CommandError(f"no otter master notebook in {labs}")
    if not names:
        return list(found.values())
    unknown = [n for n in names if Path(n).stem not in found]
    if unknown:
        raise CommandError(f"{unknown[0]!r} is not a lab master in {labs}; choose among {', '.join(found)}")
    return [found[Path(n).stem] for n in names]


def assign_labs(names: list[str] | None = None, *, labs: Path = DEFAULT_LABS, out: Path = DEFAULT_ASSIGNMENTS,
                check: bool = False, progress: bool = True) -> str:
    """Release every lab (or the named ones): student notebook and autograder zip under ``out/LAB``.

    With ``check``, grade each master with its own autograder and fail unless it earns full marks.
    Returns a report: one line per lab.
    """
    from tqdm import tqdm

    from scalingzip.classroom.assignments import grade, release

    lines = []
    for master in tqdm(_masters(labs, names), desc="assign", unit="lab", disable=not progress):
        start = time.perf_counter()
        try:
            done = release(master, out / master.stem)
        except (ValueError, RuntimeError) as err:
            raise CommandError(str(err)) from None
        line = (f"{master.stem}: {len(done.questions)} questions, {done.points:g} points; student {done.student}; "
                f"autograder {done.autograder} ({time.perf_counter() - start:.1f} s)")
        if check:
            result = grade(done.autograder, [done.solution])[0]
            if result.error or result.total != result.max_total:
                raise CommandError(f"{master.stem}: the master scores {result.total:g}/{result.max_total:g}, "
                                   f"not full marks:\n{result.error or result.feedback}")
            line += f"; master scores {result.total:g}/{result.max_total:g}"
        lines.append(line)
    return "\n".join(lines)


def grade_submissions(lab: str, submissions: list[Path], *, out: Path | None = None, autograder: Path | None = None,
                      progress: bool = True) -> str:
    """Grade notebooks (files, or folders of ``*.ipynb``) with a lab's autograder zip.

    Writes ``out/grades.csv`` (points per question, total) and ``out/<submission>.txt`` (otter's
    feedback: each failed test and its message); returns a report, one line per submission.
    """
    from tqdm import tqdm

    from scalingzip.classroom.assignments import grade, write_grades_csv

    zip_path = autograder or DEFAULT_ASSIGNMENTS / lab / "autograder" / f"{lab}-autograder.zip"
    if not zip_path.is_file():
        raise CommandError(f"{zip_path}: no autograder zip; make it with: python -m scalingzip assign {lab}")
    files: list[Path] = []
    for path in submissions:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"{path}: no such file or folder")
    if not files:
        raise CommandError("no notebook to grade")
    stems = [p.stem for p in files]
    if len(set(stems)) != len(stems):
        raise CommandError("two submissions have the same file name; give each student's notebook its own name")
    out = out or DEFAULT_ASSIGNMENTS / lab / "grades"
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for path in tqdm(files, desc=f"grade {lab}", unit="notebook", disable=not progress):
        result = grade(zip_path, [path])[0]
        (out / f"{path.stem}.txt").write_text((result.error or "") + result.feedback + "\n", encoding="utf-8")
        results.append(result)
    write_grades_csv(results, out / "grades.csv")
    lines = [f"{Path(r.submission).name}: {r.total:g}/{r.max_total:g}" + (f" ({r.error})" if r.error else "")
             for r in results]
    return "\n".join(lines + [f"grades: {out / 'grades.csv'}; feedback: {out}/<submission>.txt"])


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``compress``, ``decompress``, ``train-lm``, ``sweep``, ``assign`` and ``grade`` to the top-level parser."""
    c = sub.add_parser("compress", help="compress a file (default: the online context-mixing model)")
    c.add_argument("input", type=Path)
    c.add_argument("output", type=Path)
    c.add_argument("--mode", choices=MODES, default="prequential",
                   help="prequential: learns while coding, no model file (default); pretrained: needs --model; "
                        "online-lm: a transformer that learns while coding (slow)")
    c.add_argument("--model", help="model file for --mode pretrained (from train-lm)")
    c.add_argument("--preset", default="30k", help="transformer size for --mode online-lm (default 30k)")
    c.add_argument("--force", action="store_true", help="overwrite the output if it exists")
    c.add_argument("--quiet", action="store_true", help="no progress bar and no report")
    d = sub.add_parser("decompress", help="decompress a file made by compress")
    d.add_argument("input", type=Path)
    d.add_argument("output", type=Path)
    d.add_argument("--model", help="the model file it was compressed with (pretrained mode only)")
    d.add_argument("--force", action="store_true", help="overwrite the output if it exists")
    d.add_argument("--quiet", action="store_true", help="no progress bar and no report")
    t = sub.add_parser("train-lm", help="train the pretrained mode's transformer on the python-docs training split")
    t.add_argument("output", type=Path, nargs="?", default=DEFAULT_MODEL_PATH,
                   help=f"where to save the model (default {DEFAULT_MODEL_PATH})")
    t.add_argument("--preset", default="100k", help="model size (a key of scalingzip.nn.transformer.PRESETS; default 100k)")
    t.add_argument("--steps", type=int, default=2500, help="optimizer steps (default 2500)")
    t.add_argument("--force", action="store_true", help="overwrite the output if it exists")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    from scalingzip.studies import STUDIES  # the registry of studies (imports no torch)

    w = sub.add_parser("sweep", help="run a scaling study (skips runs already recorded)")
    w.add_argument("study", help="which study: " + "; ".join(
        f"{s.name} (chapter {s.chapter}: {s.description})" for s in STUDIES.values()))
    w.add_argument("--results", type=Path, help=f"folder of the records (default {DEFAULT_RESULTS}/STUDY)")
    w.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                   help="local processes, one run each, one thread per run (default: the number of CPUs)")
    w.add_argument("--scheduler", help="address of a Dask scheduler (tcp://host:8786) to run on instead")
    w.add_argument("--device", default="auto", help="auto (CUDA, else MPS, else CPU), cpu, cuda, ...")
    w.add_argument("--group", action="append", help="run only this group of the study (repeatable)")
    w.add_argument("--dry-run", action="store_true", help="say what would run and exit")
    w.add_argument("--prune", action="store_true",
                   help="first delete records of runs that are no longer in the study's design")
    w.add_argument("--quiet", action="store_true", help="no progress bar")
    a = sub.add_parser("assign", help="write each lab's student notebook and autograder zip (otter assign)")
    a.add_argument("labs", nargs="*", help="lab names, e.g. lab_entropy_huffman (default: every master in --labs-dir)")
    a.add_argument("--labs-dir", type=Path, default=DEFAULT_LABS, help=f"folder of the masters (default {DEFAULT_LABS})")
    a.add_argument("--out", type=Path, default=DEFAULT_ASSIGNMENTS,
                   help=f"where the releases go, one folder per lab (default {DEFAULT_ASSIGNMENTS})")
    a.add_argument("--check", action="store_true", help="also grade each master: it must earn full marks")
    a.add_argument("--quiet", action="store_true", help="no progress bar and no report")
    g = sub.add_parser("grade", help="grade submitted notebooks offline with a lab's autograder zip")
    g.add_argument("lab", help="the lab's name, e.g. lab_entropy_huffman")
    g.add_argument("submissions", nargs="+", type=Path, help="notebooks, or folders of them")
    g.add_argument("--autograder", type=Path,
                   help=f"the autograder zip (default {DEFAULT_ASSIGNMENTS}/LAB/autograder/LAB-autograder.zip)")
    g.add_argument("--out", type=Path, help=f"folder for grades.csv and feedback (default {DEFAULT_ASSIGNMENTS}/LAB/grades)")
    g.add_argument("--quiet", action="store_true", help="no progress bar and no report")


def run(args: argparse.Namespace) -> int:
    """Run a command parsed by a parser that :func:`add_commands` set up; return the exit status."""
    progress = not args.quiet
    try:
        if args.command == "compress":
            line = compress_file(args.input, args.output, mode=args.mode, model=args.model, preset=args.preset,
                                 force=args.force, progress=progress)
        elif args.command == "decompress":
            line = decompress_file(args.input, args.output, model=args.model, force=args.force, progress=progress)
        elif args.command == "assign":
            line = assign_labs(args.labs, labs=args.labs_dir, out=args.out, check=args.check, progress=progress)
        elif args.command == "grade":
            line = grade_submissions(args.lab, args.submissions, out=args.out, autograder=args.autograder,
                                     progress=progress)
        elif args.command == "sweep":
            line = run_study(args.study, results=args.results, workers=args.workers, scheduler=args.scheduler,
                             device=args.device, groups=args.group, dry_run=args.dry_run, prune=args.prune,
                             progress=progress)
        else:
            _check_preset(args.preset)
            if args.steps < 1:
                raise CommandError("--steps must be >= 1")
            line = train_lm(args.output, preset=args.preset, steps=args.steps, force=args.force, progress=progress)
    except CommandError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # outputs are written to a temporary file and renamed, so none is partial
        print("error: interrupted; no output was written", file=sys.stderr)
        return 130
    if not args.quiet:
        print(line)
    return 0
