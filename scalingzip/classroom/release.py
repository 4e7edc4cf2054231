"""The release of a lab to a class: the student notebook and the autograder, made by ``otter assign``.

:func:`release` runs otter on a master (:mod:`scalingzip.classroom.assignments`) and finishes what
otter writes so that a class can use it:

- **one student copy**: the notebook the book offers for download is this same notebook
  (:func:`student_notebook`); its first cell finds the notebook's file whatever its name
  (:func:`scalingzip.classroom.student.this_notebook`), so a renamed copy still checks;
- **plain JupyterLab markdown**: MyST roles and directives (citations, cross-references, equation
  labels, exercises) become text JupyterLab renders (:mod:`scalingzip.classroom.markdown`);
- **no answer in a student's hands**: every solution line, hidden-test line and model-answer
  fragment of the master (:func:`~scalingzip.classroom.assignments.find_leaks`) is searched for in
  the student notebook, and a release that holds one is refused;
- **an autograder Gradescope can run**: the zip carries the course's package as a wheel (with the
  pretrained model and the data the labs load) and pins Python and the packages the labs import
  to the versions of the environment that released it;
- a ``README.md`` beside the autograder says that its folder holds the solutions.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import nbformat
import yaml

from scalingzip.classroom.assignments import Question, find_leaks, is_master, notebook_text, parse_master

__all__ = ["GRADESCOPE_PYTHON", "Release", "book_root", "build_wheel", "release", "student_notebook"]

GRADESCOPE_PYTHON = "3.11"  # the autograder's Python on Gradescope: one the course supports (3.10-3.12)
# What the labs import at grading time, pinned in the autograder to the releasing environment's versions.
LAB_REQUIREMENTS = ("numpy", "scipy", "matplotlib", "torch", "tqdm", "constriction", "numba", "scikit-learn",
                    "mnist1d", "nbformat", "pyyaml")
_INIT_CELL = re.compile(r"^\s*#\s*Initiali[sz]e Otter", re.I)


@dataclass(frozen=True, kw_only=True)
class Release:
    """What :func:`release` wrote for one lab."""

    name: str
    questions: tuple[Question, ...]  # as parsed from the master
    student: Path  # the student notebook: stubs, public tests, grader.check cells
    autograder: Path  # the zip that grading (offline, or on Gradescope) runs
    solution: Path  # the master as otter runs it: solutions and grader.check cells

    @property
    def points(self) -> float:
        """The lab's total points, written questions included (a question without ``points`` counts 1, as in otter)."""
        return float(sum(q.possible for q in self.questions))


def book_root(path: str | os.PathLike) -> Path:
    """The book's root above ``path``: the nearest folder with a ``_config.yml`` (else ``path``'s folder)."""
    path = Path(path).resolve()
    for folder in [path, *path.parents] if path.is_dir() else path.parents:
        if (folder / "_config.yml").is_file():
            return folder
    return path if path.is_dir() else path.parent


def build_wheel(out_dir: str | os.PathLike) -> Path:
    """Build the course package's wheel from the checkout it is installed from, into ``out_dir``.

    Raises:
        RuntimeError: if the package is not installed from a checkout (no ``pyproject.toml`` beside
            it), or the build fails (the message holds the end of pip's output).
    """
    source = Path(__file__).resolve().parents[2]
    if not (source / "pyproject.toml").is_file():
        raise RuntimeError(f"the package is not installed from a checkout ({source} has no pyproject.toml), "
                           "so its wheel cannot be built here")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        # setuptools writes build/ and an egg-info beside the sources it builds: build a copy, never the checkout
        tree = Path(scratch) / "source"
        shutil.copytree(source / "scalingzip", tree / "scalingzip", ignore=shutil.ignore_patterns("__pycache__"))
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            shutil.copy2(source / name, tree / name)
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "--wheel-dir", scratch,
             str(tree)], capture_output=True, text=True)
        wheels = sorted(Path(scratch).glob("scalingzip-*.whl"))
        if proc.returncode != 0 or len(wheels) != 1:
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
            raise RuntimeError(f"building the course's wheel failed:\n{tail}")
        return Path(shutil.copy2(wheels[0], out_dir / wheels[0].name))


def _master_config(master_nb):
    """The master's ``# ASSIGNMENT CONFIG`` cell, its first line and its settings (a dict)."""
    config_cell = next(c for c in master_nb.cells if c.source.strip())
    header, _, body = config_cell.source.partition("\n")
    return config_cell, header, yaml.safe_load(body) or {}


def _gradescope_master(master_nb, wheel: Path, folder: Path) -> None:
    """Write into ``folder`` the master with a config that makes otter's zip install the course: its
    wheel as a file of the zip, pinned requirements, and the autograder's Python version."""
    config_cell, header, config = _master_config(master_nb)
    shutil.copy2(wheel, folder / wheel.name)
    pins = [f"{name}=={metadata.version(name)}" for name in LAB_REQUIREMENTS]
    (folder / "requirements.txt").write_text(
        "\n".join([f"/autograder/source/files/{wheel.name}", *pins]) + "\n", encoding="utf-8")
    config.update(python_version=GRADESCOPE_PYTHON, requirements="requirements.txt",
                  files=[*config.get("files", []), wheel.name])
    config_cell.source = header + "\n" + yaml.safe_dump(config, sort_keys=False).rstrip()


def _copy_support_files(master: Path, master_nb, folder: Path) -> None:
    """Copy the files the master's config names (``files``, ``autograder_files``: paths relative to
    the master, such as the compression challenge's hidden text) to where otter runs.

    Raises:
        FileNotFoundError: a named file is missing beside the master.
    """
    _, _, config = _master_config(master_nb)
    for name in [*config.get("files", []), *config.get("autograder_files", [])]:
        source = master.parent / name
        if not source.is_file():
            raise FileNotFoundError(f"{master.name} names {name}, which is not at {source}")
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def _otter_assign(master: Path, master_nb, out: Path, wheel: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="release-") as scratch:
        folder = Path(scratch)
        nb = copy.deepcopy(master_nb)
        if wheel is not None:
            _gradescope_master(nb, wheel, folder)
        nbformat.write(nb, folder / master.name)
        _copy_support_files(master, master_nb, folder)
        proc = subprocess.run(
            [sys.executable, "-m", "otter", "assign", "--no-pdfs", "--no-run-tests", master.name, str(out)],
            capture_output=True, text=True, cwd=folder)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
        raise RuntimeError(f"otter assign failed on {master}:\n{tail}")


def student_notebook(otter_student, master_nb, *, name: str, root: Path, folder: Path):
    """otter's student notebook of lab ``name`` finished for the class (a new notebook).

    Its first cell finds the notebook's own file whatever its name; each answer cell records its
    question (``metadata.scalingzip.question``), so grading finds written answers by name; every
    markdown cell is plain JupyterLab markdown (:func:`scalingzip.classroom.markdown.plain_notebook`,
    resolving cross-references and citations from the book at ``root``, relative ones from the
    master's ``folder``).

    Raises:
        RuntimeError: if otter's notebook does not have the cells this expects.
    """
    from scalingzip.classroom.markdown import plain_notebook

    questions = parse_master(master_nb)
    nb = plain_notebook(otter_student, root=root, folder=folder)
    init = [c for c in nb.cells if c.cell_type == "code" and _INIT_CELL.match(c.source)]
    if len(init) != 1:
        raise RuntimeError(f"otter's student notebook of {name} has {len(init)} 'Initialize Otter' cells, expected 1")
    init[0].source = ("# Initialize Otter: grader.check(\"question\") runs that question's public tests.\n"
                      "import otter\n"
                      "from scalingzip.classroom.student import this_notebook\n\n"
                      f"grader = otter.Notebook(this_notebook({name!r}))  # this notebook's file, whatever its name")
    answers = [c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    if len(answers) != len(questions):
        raise RuntimeError(f"otter's student notebook of {name} has {len(answers)} answer cells for "
                           f"{len(questions)} questions")
    for cell, question in zip(answers, questions):
        if (cell.cell_type == "markdown") != question.manual:
            raise RuntimeError(f"{name}: the answer cell of {question.name} is {cell.cell_type}")
        cell.metadata["scalingzip"] = {"question": question.name}
    nb.metadata["scalingzip"] = {"lab": name}
    return nb


_AUTOGRADER_README = """\
# {name}: for the instructor only

This folder holds the lab's **solutions** and its **hidden tests**. Never hand out anything from it;
students get `../student/{name}.ipynb` (the same notebook the book's lab page offers for download).

- `{name}.ipynb`: the master as otter runs it, every reference solution and model answer in it.
- `{name}-autograder.zip`: what grades submissions, with every test, public and hidden:
  `python -m scalingzip grade {name} SUBMISSIONS...` offline, or upload it to Gradescope as the
  autograder of a programming assignment (it installs the course's package from the wheel inside it,
  on Python {python}).
"""


def release(master: str | os.PathLike, out_dir: str | os.PathLike, *, wheel: str | os.PathLike | None = None,
            gradescope: bool = True) -> Release:
    """Write the student notebook and the autograder of one master under ``out_dir``.

    ``out_dir`` is replaced: ``student/LAB.ipynb`` (what students get), ``autograder/LAB-autograder.zip``
    (what grades them), ``autograder/LAB.ipynb`` (the solutions) and ``autograder/README.md``. With
    ``gradescope`` the zip carries the course's wheel (``wheel``, else built by :func:`build_wheel`)
    and pinned requirements. The master is not executed here: grade it to check that it earns full
    marks.

    Raises:
        FileNotFoundError: if ``master`` does not exist.
        ValueError: if it is not a well-formed master.
        RuntimeError: if otter assign fails (the message holds the end of its output), the wheel
            cannot be built, or the student notebook holds a solution, hidden-test or model-answer line.
    """
    master, out_dir = Path(master).resolve(), Path(out_dir).resolve()
    if not master.is_file():
        raise FileNotFoundError(f"no master notebook at {master}")
    master_nb = nbformat.read(master, as_version=4)
    if not is_master(master_nb):
        raise ValueError(f"{master} is not an otter master: its first cell must be a raw '# ASSIGNMENT CONFIG' cell")
    questions = tuple(parse_master(master_nb))
    name = master.stem
    with tempfile.TemporaryDirectory(prefix="release-") as scratch:
        out = Path(scratch) / "out"
        if gradescope and wheel is None:
            wheel = build_wheel(Path(scratch) / "wheel")
        _otter_assign(master, master_nb, out, Path(wheel) if gradescope else None)
        zips = sorted((out / "autograder").glob("*.zip"))
        if len(zips) != 1:
            raise RuntimeError(f"otter assign wrote {len(zips)} autograder zips, expected 1")
        student = student_notebook(nbformat.read(out / "student" / master.name, as_version=4), master_nb,
                                   name=name, root=book_root(master), folder=master.parent)
        leaked = find_leaks(notebook_text(student), master_nb)
        if leaked:
            raise RuntimeError(f"the student notebook of {name} shows what it must not:\n" + "\n".join(leaked[:10]))
        if out_dir.exists():
            shutil.rmtree(out_dir)
        (out_dir / "student").mkdir(parents=True)
        (out_dir / "autograder").mkdir()
        nbformat.write(student, out_dir / "student" / master.name)
        shutil.copy2(zips[0], out_dir / "autograder" / f"{name}-autograder.zip")
        shutil.copy2(out / "autograder" / master.name, out_dir / "autograder" / master.name)
    (out_dir / "autograder" / "README.md").write_text(
        _AUTOGRADER_README.format(name=name, python=GRADESCOPE_PYTHON), encoding="utf-8")
    return Release(name=name, questions=questions, student=out_dir / "student" / master.name,
                   autograder=out_dir / "autograder" / f"{name}-autograder.zip",
                   solution=out_dir / "autograder" / master.name)
