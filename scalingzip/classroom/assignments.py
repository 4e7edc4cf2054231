"""Classroom assignments from the labs: each lab notebook is an otter-grader master.

A master notebook (the "Otter Assign" format of otter-grader) holds, for every question, the
statement, one solution cell whose student part is fenced by ``# BEGIN SOLUTION`` / ``# END
SOLUTION`` comment lines, public tests and hidden tests. Raw cells delimit the parts::

    # ASSIGNMENT CONFIG        (first cell: otter's settings)
    # BEGIN QUESTION           (YAML: name, points)
      statement (markdown)
    # BEGIN SOLUTION  ...  # END SOLUTION   (the solution cell between them)
    # BEGIN TESTS  ...  # END TESTS         (one test function and its call per cell)
    # END QUESTION

A test cell whose first line is a comment containing the word "hidden" (or whose test-config
block says ``hidden: true``) is a hidden test: the autograder runs it, students never see it.

Three things are made from a master:

- the book's page (:func:`book_notebook`): delimiters and hidden tests removed, each solution kept
  behind a toggle (``solutions="hidden"``), or replaced by the student's stub (``"none"``);
- the classroom release (:func:`release`): otter's student notebook and autograder zip;
- grades (:func:`grade`): otter's offline grading of submissions, no container needed.

Reference: the otter-grader documentation, https://otter-grader.readthedocs.io ("Otter Assign").
"""

from __future__ import annotations

import copy
import csv
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

__all__ = [
    "GradeResult",
    "Question",
    "Release",
    "book_notebook",
    "find_leaks",
    "grade",
    "is_master",
    "notebook_text",
    "parse_master",
    "release",
    "secret_lines",
    "solution_source",
    "student_source",
    "write_grades_csv",
]

SOLUTION_MODES = ("hidden", "none")
_CONFIG = re.compile(r"^\s*#\s*ASSIGNMENT\s+CONFIG\b", re.I)
_DELIMITER = re.compile(r"^\s*#\s*(BEGIN|END)\s+(QUESTION|SOLUTION|TESTS|PROMPT)\b", re.I)
_HIDDEN_WORD = re.compile(r"\bhidden\b", re.I)
_TEST_CONFIG = re.compile(r"^\s*#\s*BEGIN\s+TEST\s+CONFIG\b", re.I)
_TEST_CONFIG_END = re.compile(r"^\s*#\s*END\s+TEST\s+CONFIG\b", re.I)
_MARKER_LINE = re.compile(r"^\s*#\s*(BEGIN|END)\s+SOLUTION(\s+NO\s+PROMPT)?\s*$", re.I)
_MARKER_SUFFIX = re.compile(r"\s*#\s*SOLUTION(\s+NO\s+PROMPT)?\s*$")


@dataclass(frozen=True, kw_only=True)
class Question:
    """One question of a master: its name, points and the indices of its cells."""

    name: str
    points: float | None  # as written in the master; otter's default is 1
    statement: tuple[int, ...]  # markdown cells between BEGIN QUESTION and BEGIN SOLUTION
    solution: tuple[int, ...]  # code cells between BEGIN SOLUTION and END SOLUTION
    public_tests: tuple[int, ...]
    hidden_tests: tuple[int, ...]


def _first_line(cell) -> str:
    return cell.source.lstrip("\n").split("\n", 1)[0]


def is_master(nb) -> bool:
    """Whether ``nb`` is an otter master: its first non-empty cell is a raw ``# ASSIGNMENT CONFIG``."""
    for cell in nb.cells:
        if cell.source.strip():
            return cell.cell_type == "raw" and bool(_CONFIG.match(_first_line(cell)))
    return False


def _is_hidden_test(source: str) -> bool:
    """Otter's rule: a first line that is a comment with the word "hidden", or ``hidden: true`` in a
    ``# BEGIN TEST CONFIG`` / ``# END TEST CONFIG`` block at the top of the cell."""
    lines = source.lstrip("\n").split("\n")
    if _TEST_CONFIG.match(lines[0]):
        end = next((i for i, line in enumerate(lines) if _TEST_CONFIG_END.match(line)), None)
        if end is None:
            raise ValueError(f"a test cell opens a TEST CONFIG block and never ends it:\n{source}")
        config = yaml.safe_load("\n".join(lines[1:end])) or {}
        if "hidden" in config:
            return bool(config["hidden"])
    return lines[0].lstrip().startswith("#") and bool(_HIDDEN_WORD.search(lines[0]))


def parse_master(nb) -> list[Question]:
    """The questions of a master notebook, checked for a well-formed structure.

    Raises:
        ValueError: if ``nb`` is not a master, or a delimiter is missing, nested or out of place
            (the message names the cell), or a question has no solution cell or no test.
    """
    if not is_master(nb):
        raise ValueError("not an otter master: the first cell must be a raw '# ASSIGNMENT CONFIG' cell")
    questions: list[Question] = []
    state = None  # None (outside), "question", "solution", "tests"
    current: dict = {}
    for i, cell in enumerate(nb.cells):
        first = _first_line(cell)
        delimiter = _DELIMITER.match(first) if cell.cell_type == "raw" else None
        where = f"cell {i} ({first[:40]!r})"
        if delimiter:
            edge, part = delimiter.group(1).upper(), delimiter.group(2).upper()
            if (edge, part) == ("BEGIN", "QUESTION"):
                if state is not None:
                    raise ValueError(f"{where}: a question begins inside another question")
                config = yaml.safe_load(cell.source.split("\n", 1)[1] if "\n" in cell.source else "") or {}
                if not isinstance(config, dict) or "name" not in config:
                    raise ValueError(f"{where}: BEGIN QUESTION needs a YAML 'name:' line")
                current = dict(name=str(config["name"]), points=config.get("points"), statement=[],
                               solution=[], public_tests=[], hidden_tests=[])
                state = "question"
            elif (edge, part) == ("END", "QUESTION"):
                if state != "question":
                    raise ValueError(f"{where}: END QUESTION without an open question (or inside {state})")
                if not current["solution"]:
                    raise ValueError(f"question {current['name']!r} has no solution cell")
                if not current["public_tests"] and not current["hidden_tests"]:
                    raise ValueError(f"question {current['name']!r} has no test")
                questions.append(Question(**{k: tuple(v) if isinstance(v, list) else v for k, v in current.items()}))
                state = None
            elif part in ("SOLUTION", "TESTS"):
                opening = "question" if edge == "BEGIN" else part.lower()
                if state != opening:
                    raise ValueError(f"{where}: {edge} {part} is out of place (inside {state or 'no question'})")
                state = part.lower() if edge == "BEGIN" else "question"
            continue
        if state == "question" and cell.cell_type == "markdown" and not current["solution"]:
            current["statement"].append(i)
        elif state == "solution":
            if cell.cell_type != "code":
                raise ValueError(f"{where}: only code cells may sit between BEGIN and END SOLUTION")
            current["solution"].append(i)
        elif state == "tests":
            if cell.cell_type != "code":
                raise ValueError(f"{where}: only code cells may sit between BEGIN and END TESTS")
            current["hidden_tests" if _is_hidden_test(cell.source) else "public_tests"].append(i)
    if state is not None:
        raise ValueError(f"the notebook ends inside {state} of question {current.get('name')!r}")
    names = [q.name for q in questions]
    if len(set(names)) != len(names):
        raise ValueError(f"question names must be unique: {names}")
    if not questions:
        raise ValueError("the master has no question")
    return questions


def solution_source(source: str) -> str:
    """A solution cell as the book shows it: the full code, without otter's marker comments."""
    lines = [line for line in source.split("\n") if not _MARKER_LINE.match(line)]
    return "\n".join(_MARKER_SUFFIX.sub("", line) for line in lines)


def student_source(source: str) -> str:
    """A solution cell as the student receives it: each fenced block replaced by ``...``.

    This is otter's own transformation (``otter.assign.solutions.replace_solutions``), so the
    book's student view and the released student notebook hold the same code.
    """
    from otter.assign.solutions import replace_solutions

    return "\n".join(replace_solutions(source.split("\n"), "python"))


def book_notebook(nb, solutions: str = "hidden"):
    """The page the book renders from a master (a new notebook; ``nb`` is not changed).

    Delimiter cells, the config cell and hidden tests are removed; public tests stay, as code the
    reader can run. With ``solutions="hidden"`` each solution cell keeps its code, tagged
    ``hide-input`` so the book shows it only when clicked; with ``"none"`` it holds the student's
    stub, and the notebook is marked not to be executed (the stubs would fail their checks).

    Raises:
        ValueError: for an unknown ``solutions`` mode, or a malformed master.
    """
    if solutions not in SOLUTION_MODES:
        raise ValueError(f"solutions must be one of {SOLUTION_MODES}, not {solutions!r}")
    questions = parse_master(nb)
    solution_cells = {i for q in questions for i in q.solution}
    public = {i for q in questions for i in q.public_tests}
    hidden = {i for q in questions for i in q.hidden_tests}
    out = copy.deepcopy(nb)
    cells = []
    for i, cell in enumerate(out.cells):
        first = _first_line(cell)
        if cell.cell_type == "raw" and (_CONFIG.match(first) or _DELIMITER.match(first)):
            continue
        if i in hidden:
            continue
        tags = list(cell.metadata.get("tags", []))
        if i in solution_cells:
            if solutions == "hidden":
                cell.source = solution_source(cell.source)
                tags += [t for t in ("solution", "hide-input") if t not in tags]
                cell.metadata["mystnb"] = {**cell.metadata.get("mystnb", {}),
                                           "code_prompt_show": "Show the reference solution",
                                           "code_prompt_hide": "Hide the reference solution"}
            else:
                cell.source = student_source(cell.source)
                cell.outputs, cell.execution_count = [], None
                tags = [t for t in tags if t not in ("solution", "hide-input")] + ["answer"]
        elif i in public:
            tags += [] if "check" in tags else ["check"]
        if tags:
            cell.metadata["tags"] = tags
        cells.append(cell)
    out.cells = cells
    if solutions == "none":
        out.metadata.setdefault("mystnb", {})["execution_mode"] = "off"
        for cell in out.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
    return out


def secret_lines(nb) -> tuple[set[str], set[str]]:
    """What students must not see, as lines to search for: ``(solution, hidden_test)``.

    Solution lines are those inside the BEGIN/END SOLUTION fences (and lines marked ``# SOLUTION``);
    hidden-test lines are those of hidden test cells. Only distinctive lines are kept: stripped,
    at least 16 characters, not a comment, and not occurring anywhere else in the master (not even
    inside a longer line, or in markdown once its backticks are gone), so finding one in a file
    means the secret leaked.
    """
    questions = parse_master(nb)
    hidden_cells = {i for q in questions for i in q.hidden_tests}
    solution_cells = {i for q in questions for i in q.solution}
    solution: set[str] = set()
    hidden: set[str] = set()
    elsewhere: list[str] = []
    for i, cell in enumerate(nb.cells):
        if i in hidden_cells:
            hidden.update(line.strip() for line in cell.source.split("\n"))
        elif i in solution_cells:
            inside = False
            for line in cell.source.split("\n"):
                if _MARKER_LINE.match(line):
                    inside = line.strip().upper().startswith("# BEGIN")
                elif inside or _MARKER_SUFFIX.search(line):
                    solution.add(line.strip())
                else:
                    elsewhere.append(line)
        else:
            elsewhere.append(cell.source)
    public = "\n".join(elsewhere)
    rendered = public.replace("`", "")  # markdown's inline code, as a page's text shows it

    def distinctive(lines: set[str]) -> set[str]:
        return {line for line in lines
                if len(line) >= 16 and not line.startswith("#") and line not in public and line not in rendered}

    return distinctive(solution), distinctive(hidden)


def notebook_text(nb) -> str:
    """Every string a notebook holds (sources, outputs, metadata such as otter's public tests),
    decoded, one per line: the text to search for leaks."""
    strings: list[str] = []

    def walk(node) -> None:
        if isinstance(node, str):
            strings.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(nb)
    return "\n".join(strings)


def find_leaks(text: str, nb) -> list[str]:
    """The solution and hidden-test lines of master ``nb`` that occur in ``text`` (e.g. a student
    notebook's JSON or a page's text), each prefixed with what it is."""
    solution, hidden = secret_lines(nb)
    return ([f"solution: {line}" for line in sorted(solution) if line in text]
            + [f"hidden test: {line}" for line in sorted(hidden) if line in text])


@dataclass(frozen=True, kw_only=True)
class Release:
    """What :func:`release` wrote for one lab."""

    name: str
    questions: tuple[Question, ...]  # as parsed from the master
    student: Path  # the student notebook: stubs, public tests, grader.check cells
    autograder: Path  # the zip that otter run (or Gradescope) grades with
    solution: Path  # the master as otter runs it: solutions and grader.check cells

    @property
    def points(self) -> float:
        """The lab's total points (a question without ``points`` counts 1, as in otter)."""
        return float(sum(1 if q.points is None else q.points for q in self.questions))


def release(master: str | os.PathLike, out_dir: str | os.PathLike) -> Release:
    """Write the student notebook and the autograder zip of one master with ``otter assign``.

    ``out_dir`` is replaced. The zip is renamed ``<lab>-autograder.zip`` (otter stamps the time into
    its name). The student notebook is searched for every line of :func:`secret_lines`: a release
    that shows a solution or a hidden test is refused. The master is not executed here;
    :func:`grade` it to check that it earns full marks.

    Raises:
        FileNotFoundError: if ``master`` does not exist.
        ValueError: if it is not a well-formed master.
        RuntimeError: if otter assign fails (the message holds the end of its output), or the
            student notebook it wrote holds a solution or hidden-test line.
    """
    master, out_dir = Path(master).resolve(), Path(out_dir).resolve()
    if not master.is_file():
        raise FileNotFoundError(f"no master notebook at {master}")
    master_nb = nbformat.read(master, as_version=4)
    questions = tuple(parse_master(master_nb))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    proc = subprocess.run(
        [sys.executable, "-m", "otter", "assign", "--no-pdfs", "--no-run-tests", str(master), str(out_dir)],
        capture_output=True, text=True, cwd=master.parent,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
        raise RuntimeError(f"otter assign failed on {master}:\n{tail}")
    zips = sorted((out_dir / "autograder").glob("*.zip"))
    if len(zips) != 1:
        raise RuntimeError(f"otter assign wrote {len(zips)} autograder zips in {out_dir / 'autograder'}, expected 1")
    autograder = zips[0].rename(out_dir / "autograder" / f"{master.stem}-autograder.zip")
    student = out_dir / "student" / master.name
    leaked = find_leaks(notebook_text(nbformat.read(student, as_version=4)), master_nb)
    if leaked:
        raise RuntimeError(f"the student notebook {student} shows what it must not:\n" + "\n".join(leaked[:10]))
    return Release(name=master.stem, questions=questions, student=student, autograder=autograder,
                   solution=out_dir / "autograder" / master.name)


@dataclass(frozen=True, kw_only=True)
class GradeResult:
    """The grade of one submission: points per question and otter's feedback."""

    submission: str
    scores: dict[str, float]  # question -> points earned
    possible: dict[str, float]  # question -> points available
    public_passed: dict[str, bool]  # question -> whether every public test passed
    feedback: str  # otter's summary: which tests failed and their messages
    error: str | None = None  # set when the notebook could not be graded at all

    @property
    def total(self) -> float:
        return float(sum(self.scores.values()))

    @property
    def max_total(self) -> float:
        return float(sum(self.possible.values()))


def grade(autograder: str | os.PathLike, submissions: Iterable[str | os.PathLike]) -> list[GradeResult]:
    """Grade notebooks offline with an autograder zip (``otter.api.grade_submission``).

    Each submission is executed top to bottom in a fresh kernel of this environment (errors in a
    cell do not stop it) and every test, public and hidden, is run; nothing is installed and no
    container is used, so this environment must hold what the labs import.

    Raises:
        FileNotFoundError: if the autograder zip or a submission does not exist.
    """
    from otter.api import grade_submission

    autograder = Path(autograder)
    if not autograder.is_file():
        raise FileNotFoundError(f"no autograder zip at {autograder}; make it with: python -m scalingzip assign")
    paths = [Path(s) for s in submissions]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"no submission at {path}")
    results = []
    for path in paths:
        graded = grade_submission(str(path.resolve()), str(autograder.resolve()), quiet=True)
        error = graded.catastrophic_error
        results.append(GradeResult(
            submission=str(path),
            scores={name: float(graded.get_score(name)) for name in graded.test_files},
            possible={name: float(graded.get_result(name).possible) for name in graded.test_files},
            public_passed={name: bool(graded.get_result(name).passed_all_public) for name in graded.test_files},
            feedback=graded.summary(),
            error=None if error is None else f"{type(error).__name__}: {error}",
        ))
    return results


def write_grades_csv(results: list[GradeResult], path: str | os.PathLike) -> None:
    """One row per submission: its path, points per question, total and maximum."""
    questions = sorted({q for r in results for q in r.possible})
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", *questions, "total", "possible", "error"])
        for r in results:
            writer.writerow([r.submission, *(r.scores.get(q, 0.0) for q in questions), r.total, r.max_total,
                             r.error or ""])
