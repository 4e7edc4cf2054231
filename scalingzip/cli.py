"""The command line, ``python -m scalingzip`` (:func:`main`): ``compress``, ``decompress``,
``train-lm``, ``sweep``, ``assign``, ``grade``, ``challenge``, ``leaderboard`` and ``bench`` (the tables of
:mod:`scalingzip.benchmarks`).

Modes of ``compress`` are the compressors of bytes in the registry of :mod:`scalingzip.compressors`
(``compress --list`` prints them; the file records which one, so ``decompress`` needs no mode):

* ``mixing`` (default): online context mixing (:mod:`scalingzip.coding.mixing`), which starts from
  nothing and learns while it codes; no model file, any machine decodes it.
* ``lm --model FILE``: a byte-level transformer trained beforehand by ``train-lm``; the file
  records the model's shape and checksum, and ``decompress`` needs the same model file.
* ``lm-online [--preset SIZE]``: a byte-level transformer that learns while it codes
  (:mod:`scalingzip.compressors.online`); slow, kept to show the prequential code of a neural
  network at work.
* ``ppm``, ``order0``, ``static``, ``stored``: the classical coders of chapter 2.

A mode's needs (``--model``) and options (``--preset``) are read from its registry entry, and a
file that its compressor cannot make shorter is stored as it is.

``sweep STUDY`` runs a scaling study of :mod:`scalingzip.studies` through :func:`scalingzip.studies.sweep.run_sweep`:
runs already recorded under ``results/STUDY/`` are skipped, so an interrupted sweep resumes.

``assign`` writes each lab's student notebook and autograder zip (:func:`scalingzip.classroom.release.release`)
under ``_build/assignments/LAB/``; ``grade LAB SUBMISSIONS`` grades notebooks offline with that zip,
each within a time and memory limit (:mod:`scalingzip.classroom.grading`), into the lab's gradebook
under ``grades/LAB/`` (:mod:`scalingzip.classroom.gradebook`), which releasing again never touches.

``challenge score ENTRY...`` and ``challenge references`` score compression-challenge entries on the
hidden text, each side in a sandbox (:mod:`scalingzip.classroom.challenge`); ``leaderboard
GRADES_DIR`` writes the challenge's board, one static HTML page (:mod:`scalingzip.classroom.leaderboard`).

Every failure (missing or existing file, corrupt input, wrong model, numerics that differ on this
machine) prints one ``error:`` line to stderr and returns a non-zero exit status; the output file is
written to a temporary name and moved into place only when everything checked out.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["DEFAULT_ASSIGNMENTS", "DEFAULT_GRADES", "DEFAULT_LABS", "DEFAULT_MODEL_PATH", "DEFAULT_RESULTS", "add_commands",
           "assign_labs", "compress_file", "decompress_file", "grade_submissions", "list_modes", "pretrain_config",
           "repository_root", "run", "run_study", "train_lm"]

DEFAULT_MODEL_PATH = Path("scalingzip") / "models" / "lm-python-docs.pt"  # the package's own (model_files)
DEFAULT_RESULTS = Path("results")  # a study's records go to DEFAULT_RESULTS / study name
DEFAULT_LABS = Path("labs")  # the otter masters
DEFAULT_ASSIGNMENTS = Path("_build") / "assignments"  # a lab's release goes to DEFAULT_ASSIGNMENTS / lab
DEFAULT_GRADES = Path("grades")  # a lab's grades go to DEFAULT_GRADES / lab: outside _build, never removed by assign


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


def _report(verb: str, src: Path, n_in: int, n_out: int, n_raw: int, seconds: float, mode: str) -> str:
    rate = 8 * (n_out if verb == "compressed" else n_in) / n_raw if n_raw else 0.0
    speed = n_raw / seconds / 1e3 if seconds > 0 else float("inf")
    return (f"{verb} {src}: {n_in:,} B -> {n_out:,} B, {rate:.3f} bits/byte, "
            f"{seconds:.2f} s, {speed:,.0f} KB/s [{mode}]")


def _file_compressor(name: str):
    """The registered compressor ``name``, if it codes a file's bytes."""
    from scalingzip import compressors

    try:
        spec = compressors.get(name)
    except ValueError:
        names = ", ".join(compressors.registered(takes="bytes"))
        raise CommandError(f"unknown mode {name!r}; choose one of {names}") from None
    if spec.takes != "bytes":
        raise CommandError(f"the {name!r} compressor codes {spec.takes}, not a file's bytes")
    return spec


def list_modes() -> str:
    """One line per mode of ``compress``: the registry's compressors of bytes, with what each needs."""
    from scalingzip import compressors

    lines = []
    for name, spec in compressors.registered(takes="bytes").items():
        flags = " ".join([f"--{k} ..." for k in spec.needs] + [f"[--{k} ...]" for k in spec.options if k in _FLAGS])
        lines.append(f"{name + (' ' + flags if flags else ''):28s} {spec.description}")
    return "\n".join(lines)


_FLAGS = ("model", "preset")  # the command-line options passed on to a compressor that takes them


def compress_file(src: Path, dst: Path, *, mode: str = "mixing", model: str | None = None,
                  preset: str | None = None, force: bool = False, progress: bool = True) -> str:
    """Compress ``src`` into ``dst`` with the registered compressor ``mode``; return the one-line report."""
    from scalingzip import compressors

    spec = _file_compressor(mode)
    given = {k: v for k, v in zip(_FLAGS, (model, preset)) if v is not None}
    for k in given:
        if k not in spec.needs + spec.options:
            raise CommandError(f"--mode {mode} takes no --{k}")
    for k in spec.needs:
        if k not in given:
            raise CommandError(f"--mode {mode} needs --{k} ({spec.description})")
    _check_destination(src, dst, force)
    data = _read(src)
    t0 = time.perf_counter()
    try:  # stored as it is if the mode cannot make it shorter
        blob = compressors.compress(data, mode, fallback=True, progress=progress, **given)
        used = compressors.read_header(blob).name
    except (FileNotFoundError, ValueError) as err:
        raise CommandError(str(err)) from None
    seconds = time.perf_counter() - t0
    _write(dst, blob, force)
    label = mode if used == mode else f"{mode}, {used}"
    return _report("compressed", src, len(data), len(blob), len(data), seconds, label)


def decompress_file(src: Path, dst: Path, *, model: str | None = None, force: bool = False,
                    progress: bool = True) -> str:
    """Decompress ``src`` into ``dst``; return the one-line report."""
    from scalingzip import compressors

    _check_destination(src, dst, force)
    blob = _read(src)
    given = {k: v for k, v in zip(_FLAGS, (model,)) if v is not None}
    t0 = time.perf_counter()
    try:
        spec = _file_compressor(compressors.read_header(blob).name)
        for k in spec.decode_needs:
            if k not in given:
                raise CommandError(f"{src} was made by --mode {spec.name}; decompress it with --{k} "
                                   f"(the one it was compressed with)")
        data = compressors.decompress(blob, progress=progress, **given)
    except (FileNotFoundError, ValueError) as err:
        raise CommandError(f"{src}: {err}") from None
    seconds = time.perf_counter() - t0
    _write(dst, data, force)
    return _report("decompressed", src, len(blob), len(data), len(data), seconds, spec.name)


LM_CORPORA = ("python-docs", "cpython-docs")  # what train-lm can train on, each with its own splits


def train_lm(dst: Path, *, preset: str = "100k", steps: int = 2500, force: bool = False,
             progress: bool = True, corpus: str = "python-docs") -> str:
    """Train a model for the ``lm`` and ``hybrid`` modes on a corpus's training split and save it.

    ``corpus`` is ``"python-docs"`` (contiguous splits of the byte stream, :func:`split_bytes`) or
    ``"cpython-docs"`` (its splits by document, :func:`~scalingzip.data.document_splits`)."""
    import torch

    from scalingzip.compressors.model_files import save_model
    from scalingzip.data import document_splits, load_text, split_bytes
    from scalingzip.nn.determinism import one_thread
    from scalingzip.nn.transformer import build_model
    from scalingzip.nn.train import evaluate_bits_per_byte, train

    if dst.is_dir():
        raise CommandError(f"{dst} is a directory; give the model's file name")
    if dst.exists() and not force:
        raise CommandError(f"{dst} exists; pass --force to overwrite it")
    if corpus not in LM_CORPORA:
        raise CommandError(f"train-lm trains on {' or '.join(LM_CORPORA)}, not {corpus!r}")
    config = pretrain_config(steps)
    splits = split_bytes(load_text(corpus)) if corpus == "python-docs" else document_splits(corpus)
    torch.manual_seed(0)
    model = build_model(preset, seed=0)
    t0 = time.perf_counter()
    with one_thread():
        train(model, splits.train, splits.val, config, progress=progress)
        test_bpb = evaluate_bits_per_byte(model, splits.test)
    dst.parent.mkdir(parents=True, exist_ok=True)
    digest = save_model(model, dst, overwrite=force, preset=preset, corpus=corpus, split="train",
                           train_bytes=len(splits.train), train_config=repr(config),
                           test_bits_per_byte=float(test_bpb))
    return (f"trained {preset} for {config.steps} steps in {time.perf_counter() - t0:.0f} s: "
            f"{test_bpb:.3f} bits/byte on the held-out test split; saved {dst} (sha256 {digest[:16]}...)")


def pretrain_config(steps: int = 2500):
    """The training recipe of ``train-lm``: AdamW, warm-up and cosine decay, 128-byte windows."""
    from scalingzip.nn.train import TrainConfig

    return TrainConfig(steps=steps, batch_size=32, seq_len=128, lr=3e-3, warmup_steps=min(100, steps),
                       eval_every=max(1, steps // 10), eval_bytes=0, seed=0)


def _duration(seconds: float) -> str:
    if seconds != seconds:  # NaN: the configs cannot estimate their cost
        return "unknown"
    return f"{seconds / 3600:.1f} h" if seconds >= 5400 else f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


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
        lines = [f"study {name}: {len(configs)} runs; {cached} recorded in {results}, {len(configs) - cached} to run{pruned}"]
        costs = {c: float(getattr(c, "cost", lambda: float("nan"))()) for c in configs}
        todo = {c for c in configs if not (results / f"{config_key(c)}.json").is_file()}
        width = max(10, *map(len, design))  # the group names' column
        lines.append(f"  {'group':<{width}} {'runs':>5} {'to run':>7} {'CPU time to run (estimated)':>28}")
        counted: set = set()
        for group, runs in design.items():
            new = [c for c in dict.fromkeys(runs) if c in todo and c not in counted]  # a shared run counts once
            counted.update(new)
            lines.append(f"  {group:<{width}} {len(runs):>5} {len(new):>7} {_duration(sum(costs[c] for c in new)):>28}")
        total = sum(costs[c] for c in todo)
        lines.append(f"  {'all':<{width}} {len(configs):>5} {len(todo):>7} {_duration(total):>28}"
                     f"   (on {workers} worker(s): at least "
                     f"{_duration(max(total / max(1, workers), max((costs[c] for c in todo), default=0)))} of wall time)")
        return "\n".join(lines)
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


def repository_root() -> Path:
    """The course's checkout the package runs from (the folder with ``_config.yml`` and ``labs/``),
    else the working directory: relative default paths of ``assign`` and ``grade`` start here, so
    the commands work from any folder."""
    checkout = Path(__file__).resolve().parents[1]
    return checkout if (checkout / "_config.yml").is_file() and (checkout / "labs").is_dir() else Path.cwd()


def _here(path: Path) -> Path:
    return path if path.is_absolute() else repository_root() / path


def _unknown_lab(name: str, known: list[str], where: Path) -> CommandError:
    import difflib

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}? " if close else ""
    return CommandError(f"{name!r} is not a lab master in {where}; {hint}the labs are: {', '.join(known)}")


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
    for n in names:
        if Path(n).stem not in found:
            raise _unknown_lab(Path(n).stem, list(found), labs)
    return [found[Path(n).stem] for n in names]


def assign_labs(names: list[str] | None = None, *, labs: Path = DEFAULT_LABS, out: Path = DEFAULT_ASSIGNMENTS,
                check: bool = False, progress: bool = True) -> str:
    """Release every lab (or the named ones): student notebook and autograder zip under ``out/LAB``.

    The course's wheel is built once and goes into every autograder zip (for Gradescope). With
    ``check``, grade each master with its own autograder and fail unless it earns full marks.
    Grades are never under ``out`` (see :func:`grade_submissions`), so releasing again keeps them.
    Returns a report: one line per lab.
    """
    from tqdm import tqdm

    from scalingzip.classroom.grading import grade
    from scalingzip.classroom.release import build_wheel, release

    labs, out = _here(labs), _here(out)
    masters = _masters(labs, names)
    lines = []
    with tempfile.TemporaryDirectory(prefix="wheel-") as scratch:
        try:
            wheel = build_wheel(scratch)
        except RuntimeError as err:
            raise CommandError(str(err)) from None
        for master in tqdm(masters, desc="assign", unit="lab", disable=not progress):
            start = time.perf_counter()
            try:
                done = release(master, out / master.stem, wheel=wheel)
            except (ValueError, RuntimeError) as err:
                raise CommandError(str(err)) from None
            written = sum(q.manual for q in done.questions)
            line = (f"{master.stem}: {len(done.questions)} questions ({written} written), {done.points:g} points; "
                    f"student {done.student}; autograder and solutions (instructor only) {done.autograder.parent}/ "
                    f"({time.perf_counter() - start:.1f} s)")
            if check:
                result = grade(done.autograder, [done.solution])[0]
                if result.error or result.total != result.max_total:
                    raise CommandError(f"{master.stem}: the master scores {result.total:g}/{result.max_total:g}, "
                                       f"not full marks:\n{result.error or result.feedback}")
                line += f"; master scores {result.total:g}/{result.max_total:g} autograded points"
            lines.append(line)
    return "\n".join(lines)


def _submission_files(submissions: list[Path]) -> list[Path]:
    """Every file named, and every file in each folder named (not in hidden folders such as
    ``.ipynb_checkpoints``): each is one student's submission, whatever it holds."""
    files: list[Path] = []
    for path in submissions:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file()
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"{path}: no such file or folder")
    return files


def grade_submissions(lab: str, submissions: list[Path], *, grades: Path | None = None, autograder: Path | None = None,
                      labs: Path = DEFAULT_LABS, timeout_s: float | None = None, memory_gb: float | None = None,
                      progress: bool = True) -> str:
    """Grade submissions (files, or folders of them) with a lab's autograder zip, into the lab's gradebook.

    Each student's id is the file's stem; grading a student again replaces only that student's
    grade. Every submission gets a result, within ``timeout_s`` and ``memory_gb`` each (one that cannot
    be graded scores zero, with the reason). With no submission, the grade files are only made
    again (after points for written questions were entered in ``manual.csv``). Returns a report.
    """
    import nbformat
    from tqdm import tqdm

    from scalingzip.classroom.assignments import parse_master
    from scalingzip.classroom.gradebook import Gradebook, LabQuestion
    from scalingzip.classroom.grading import DEFAULT_MEMORY_GB, DEFAULT_TIMEOUT_S, grade_one

    labs = _here(labs)
    (master,) = _masters(labs, [lab])
    lab = master.stem
    questions = [LabQuestion(q.name, q.possible, q.manual) for q in parse_master(nbformat.read(master, as_version=4))]
    book = Gradebook(_here(grades or DEFAULT_GRADES / lab), lab, questions)
    timeout_s = DEFAULT_TIMEOUT_S if timeout_s is None else timeout_s
    memory_gb = DEFAULT_MEMORY_GB if memory_gb is None else memory_gb
    if timeout_s <= 0 or memory_gb <= 0:
        raise CommandError("--timeout and --memory must be positive")
    files = _submission_files(submissions)
    lines = []
    if submissions:
        zip_path = _here(autograder or DEFAULT_ASSIGNMENTS / lab / "autograder" / f"{lab}-autograder.zip")
        if not zip_path.is_file():
            raise CommandError(f"no autograder for {lab} at {zip_path}; release the lab first: python -m scalingzip assign {lab}")
        if not files:
            raise CommandError("no file to grade in " + ", ".join(map(str, submissions)))
        stems: dict[str, Path] = {}
        for path in files:
            if path.stem in stems:
                raise CommandError(f"{stems[path.stem]} and {path} would both be student {path.stem!r}: "
                                   "give each student's file its own name")
            stems[path.stem] = path
        try:
            for path in tqdm(files, desc=f"grade {lab}", unit="notebook", disable=not progress):
                result = grade_one(zip_path, path, lab=lab, timeout_s=timeout_s, memory_gb=memory_gb)
                book.record([result])  # each grade is kept as soon as it is known
                lines.append(f"{result.student}: {result.total:g}/{result.max_total:g} autograded points"
                             + (f" (not graded: {result.error})" if result.error else ""))
        except ValueError as err:
            raise CommandError(str(err)) from None
    else:
        try:
            book.write()
        except ValueError as err:
            raise CommandError(str(err)) from None
    results = book.results()
    pending = len(book.pending())
    lines.append(f"{len(results)} students in {book.folder}/grades.csv (per test: tests.csv; for an LMS: lms.csv; "
                 f"feedback to hand on: feedback/)"
                 + (f"; {pending} written answers to grade in manual.csv (read them in answers.md), then run "
                    f"python -m scalingzip grade {lab}" if pending else ""))
    return "\n".join(lines)


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``compress``, ``decompress``, ``train-lm``, ``sweep``, ``assign`` and ``grade`` to the top-level parser."""
    c = sub.add_parser("compress", help="compress a file (default: the online context-mixing model)")
    c.add_argument("input", type=Path, nargs="?")
    c.add_argument("output", type=Path, nargs="?")
    c.add_argument("--mode", default="mixing",
                   help="a compressor of the registry (--list prints them): mixing learns while coding, no model "
                        "file (default); lm needs --model; lm-online is a transformer that learns while coding (slow)")
    c.add_argument("--list", action="store_true", help="list the modes, what each needs, and exit")
    c.add_argument("--model", help="model file for --mode lm (from train-lm)")
    c.add_argument("--preset", help="transformer size for --mode lm-online (default 30k)")
    c.add_argument("--force", action="store_true", help="overwrite the output if it exists")
    c.add_argument("--quiet", action="store_true", help="no progress bar and no report")
    d = sub.add_parser("decompress", help="decompress a file made by compress")
    d.add_argument("input", type=Path)
    d.add_argument("output", type=Path)
    d.add_argument("--model", help="the model file it was compressed with (--mode lm only)")
    d.add_argument("--force", action="store_true", help="overwrite the output if it exists")
    d.add_argument("--quiet", action="store_true", help="no progress bar and no report")
    t = sub.add_parser("train-lm", help="train the lm and hybrid modes' transformer on a corpus's training split")
    t.add_argument("output", type=Path, nargs="?", default=DEFAULT_MODEL_PATH,
                   help=f"where to save the model (default {DEFAULT_MODEL_PATH})")
    t.add_argument("--preset", default="100k", help="model size (a key of scalingzip.nn.transformer.PRESETS; default 100k)")
    t.add_argument("--steps", type=int, default=2500, help="optimizer steps (default 2500)")
    t.add_argument("--corpus", default="python-docs", choices=LM_CORPORA,
                   help="the corpus whose training split it learns (default python-docs)")
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
    a.add_argument("--labs-dir", type=Path, default=DEFAULT_LABS,
                   help=f"folder of the masters (default {DEFAULT_LABS}, in the course's checkout)")
    a.add_argument("--out", type=Path, default=DEFAULT_ASSIGNMENTS,
                   help=f"where the releases go, one folder per lab (default {DEFAULT_ASSIGNMENTS}, in the checkout)")
    a.add_argument("--check", action="store_true", help="also grade each master: it must earn full marks")
    a.add_argument("--quiet", action="store_true", help="no progress bar and no report")
    g = sub.add_parser("grade", help="grade submitted notebooks offline with a lab's autograder zip, into the lab's gradebook")
    g.add_argument("lab", help="the lab's name, e.g. lab_entropy_huffman")
    g.add_argument("submissions", nargs="*", type=Path,
                   help="files, or folders of them; each file is one student, whose id is its stem (none: only remake "
                        "the grade files, e.g. after entering points in manual.csv)")
    g.add_argument("--grades", type=Path,
                   help=f"the lab's gradebook folder (default {DEFAULT_GRADES}/LAB in the checkout; kept across releases)")
    g.add_argument("--autograder", type=Path,
                   help=f"the autograder zip (default {DEFAULT_ASSIGNMENTS}/LAB/autograder/LAB-autograder.zip)")
    g.add_argument("--labs-dir", type=Path, default=DEFAULT_LABS, help=f"folder of the masters (default {DEFAULT_LABS})")
    g.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="time limit per submission (default 600); over it, the submission scores zero")
    g.add_argument("--memory", type=float, metavar="GB", help="memory limit per submission (default 4)")
    g.add_argument("--quiet", action="store_true", help="no progress bar (the results are still printed)")
    from scalingzip.classroom import challenge

    challenge.add_command(sub, DEFAULT_LABS)
    from scalingzip.classroom import leaderboard

    leaderboard.add_command(sub)


def run(args: argparse.Namespace) -> int:
    """Run a command parsed by a parser that :func:`add_commands` set up; return the exit status."""
    progress = not args.quiet
    try:
        if args.command == "compress" and args.list:
            line = list_modes()
        elif args.command == "compress":
            if args.output is None:
                raise CommandError("compress needs INPUT and OUTPUT (or --list)")
            line = compress_file(args.input, args.output, mode=args.mode, model=args.model, preset=args.preset,
                                 force=args.force, progress=progress)
        elif args.command == "decompress":
            line = decompress_file(args.input, args.output, model=args.model, force=args.force, progress=progress)
        elif args.command == "assign":
            line = assign_labs(args.labs, labs=args.labs_dir, out=args.out, check=args.check, progress=progress)
        elif args.command == "grade":
            line = grade_submissions(args.lab, args.submissions, grades=args.grades, autograder=args.autograder,
                                     labs=args.labs_dir, timeout_s=args.timeout, memory_gb=args.memory,
                                     progress=progress)
        elif args.command == "challenge":
            from scalingzip.classroom import challenge

            if args.text == DEFAULT_LABS / challenge.HIDDEN_TEXT:
                args.text = _here(args.text)  # the checkout's hidden text, from any folder
            try:
                line = challenge.run_command(args)
            except (FileNotFoundError, ValueError, RuntimeError) as err:
                raise CommandError(str(err)) from None
        elif args.command == "leaderboard":
            from scalingzip.classroom import leaderboard

            line = leaderboard.run(args)
        elif args.command == "sweep":
            line = run_study(args.study, results=args.results, workers=args.workers, scheduler=args.scheduler,
                             device=args.device, groups=args.group, dry_run=args.dry_run, prune=args.prune,
                             progress=progress)
        else:
            _check_preset(args.preset)
            if args.steps < 1:
                raise CommandError("--steps must be >= 1")
            line = train_lm(args.output, preset=args.preset, steps=args.steps, force=args.force, progress=progress,
                            corpus=args.corpus)
    except CommandError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # outputs are written to a temporary file and renamed, so none is partial
        print("error: interrupted; no output was written", file=sys.stderr)
        return 130
    if not args.quiet or args.command == "grade":  # grade's results are its output: --quiet hides only the bar
        print(line)
    return 0


# benchmark name -> module under scalingzip.benchmarks exposing ``main(argv) -> int``
BENCHMARKS = {
    "coding": ("coding", "throughput of the arithmetic coders and bits per byte of every compressor on the course corpus"),
    "scaling": ("scaling", "wall time and parameters of the Chinchilla-style fit"),
    "lm": ("lm", "bits per byte and throughput of the registered compressors of bytes next to gzip, bz2 and xz, on held-out text"),
    "compressors": ("compressors", "the compress modes beside every general-purpose compressor installed (gzip to zpaq and "
                                   "7-Zip's PPMd): bits per byte, speed and peak memory, each row round-tripped"),
    "train": ("train", "training throughput of each transformer size on one core: bytes/s and FLOP/s (6N and full count)"),
    "ladder": ("ladder", "the ladder from order 0 through PPM to context mixing, one part at a time, in bits per byte on "
                         "one text, beside xz and zpaq"),
    "prune": ("prune", "CPU speed-up of the sparse study's transformers with half their heads and MLP neurons removed, "
                       "beside their FLOP ratio"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scalingzip", description="The course's command line: compress and decompress files, train the lm mode's model, run studies, release and grade labs, benchmark.")
    sub = parser.add_subparsers(dest="command", required=True)
    add_commands(sub)
    bench = sub.add_parser("bench", help="run a benchmark and print its table")
    bench.add_argument("name", nargs="?", choices=sorted(BENCHMARKS), help="which benchmark")
    bench.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    bench.add_argument("rest", nargs=argparse.REMAINDER, help="options passed to the benchmark")
    args = parser.parse_args(argv)

    if args.command == "bench":
        if args.list or args.name is None:
            width = max(map(len, BENCHMARKS))
            for name, (_, doc) in sorted(BENCHMARKS.items()):
                print(f"{name:{width}s} {doc}")
            return 0
        module_name, _ = BENCHMARKS[args.name]
        module = importlib.import_module(f"scalingzip.benchmarks.{module_name}")
        return int(module.main(args.rest) or 0)
    if args.command in ("compress", "decompress", "train-lm", "sweep", "assign", "grade", "challenge", "leaderboard"):
        return run(args)
    parser.error(f"unknown command {args.command!r}")  # argparse exits; kept for clarity
    return 2
