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

A question with ``manual: true`` is a written question, graded by hand: its one solution cell is
a markdown cell, the model answer, and it has no tests.

Three things are made from a master:

- the book's page (:func:`book_notebook`): delimiters and hidden tests removed, each solution kept
  behind a toggle (``solutions="hidden"``), or replaced by the student's stub (``"none"``);
- the classroom release (:mod:`scalingzip.classroom.release`): otter's student notebook and
  autograder zip;
- grades (:mod:`scalingzip.classroom.grading`, :mod:`scalingzip.classroom.gradebook`).

This module reads masters; :func:`secret_lines` and :func:`find_leaks` say what a student must
never see, and every release and build is searched for it.

Reference: the otter-grader documentation, https://otter-grader.readthedocs.io ("Otter Assign").
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

import yaml

__all__ = [
    "SOLUTION_MODES",
    "ANSWER_PLACEHOLDER",
    "Question",
    "book_notebook",
    "find_leaks",
    "is_master",
    "notebook_text",
    "parse_master",
    "prose_fragments",
    "secret_lines",
    "solution_source",
    "student_source",
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
    solution: tuple[int, ...]  # cells between BEGIN SOLUTION and END SOLUTION (markdown for a manual question)
    public_tests: tuple[int, ...]
    hidden_tests: tuple[int, ...]
    manual: bool = False  # a written question: graded by hand, its model answer a markdown cell

    @property
    def possible(self) -> float:
        """The question's points (otter's default is 1)."""
        return float(1 if self.points is None else self.points)


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
                               solution=[], public_tests=[], hidden_tests=[], manual=bool(config.get("manual")))
                state = "question"
            elif (edge, part) == ("END", "QUESTION"):
                if state != "question":
                    raise ValueError(f"{where}: END QUESTION without an open question (or inside {state})")
                if not current["solution"]:
                    raise ValueError(f"question {current['name']!r} has no solution cell")
                tested = bool(current["public_tests"] or current["hidden_tests"])
                if current["manual"] and tested:
                    raise ValueError(f"question {current['name']!r} is manual (graded by hand) and has tests")
                if not current["manual"] and not tested:
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
            wanted = "markdown" if current["manual"] else "code"
            if cell.cell_type != wanted:
                kind = "a manual question's" if current["manual"] else "an autograded question's"
                raise ValueError(f"{where}: only {wanted} cells may sit between BEGIN and END SOLUTION of {kind} answer")
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


ANSWER_PLACEHOLDER = "_Type your answer here, replacing this text._"  # otter's text in a manual question's answer cell
# The lead of a model answer, in either edition: "**Model answer.**" or "**参考答案。**"
_MODEL_ANSWER_LEAD = re.compile(r"^\s*\*\*(Model answer|参考答案)[.。]?\*\*\s*", re.I)


def model_answer_dropdown(source: str) -> str:
    """A manual question's model answer as the book shows it: a "Model answer" dropdown, closed
    until the reader opens it. A leading ``**Model answer.**`` is dropped, since the title says it; a
    Chinese lead, ``**参考答案。**``, becomes the title 参考答案."""
    lead = _MODEL_ANSWER_LEAD.match(source.strip())
    title = "参考答案" if lead and lead.group(1) == "参考答案" else "Model answer"
    body = _MODEL_ANSWER_LEAD.sub("", source.strip(), count=1)
    fence = "`" * max(4, 1 + max((len(m) for m in re.findall(r"`{3,}", body)), default=0))
    return f"{fence}{{admonition}} {title}\n:class: dropdown solution\n\n{body}\n{fence}"


def book_notebook(nb, solutions: str = "hidden"):
    """The page the book renders from a master (a new notebook; ``nb`` is not changed).

    Delimiter cells, the config cell and hidden tests are removed; public tests stay, as code the
    reader can run. With ``solutions="hidden"`` each solution cell keeps its code, tagged
    ``hide-input`` so the book shows it only when clicked, and each manual question's model answer
    sits in a closed "Model answer" dropdown; with ``"none"`` a solution cell holds the student's
    stub, a model answer otter's placeholder (:data:`ANSWER_PLACEHOLDER`), and the notebook is
    marked not to be executed (the stubs would fail their checks).

    Raises:
        ValueError: for an unknown ``solutions`` mode, or a malformed master.
    """
    if solutions not in SOLUTION_MODES:
        raise ValueError(f"solutions must be one of {SOLUTION_MODES}, not {solutions!r}")
    questions = parse_master(nb)
    answer_cells = {i for q in questions if q.manual for i in q.solution}
    solution_cells = {i for q in questions if not q.manual for i in q.solution}
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
        if i in answer_cells:
            if solutions == "hidden":
                cell.source = model_answer_dropdown(cell.source)
                tags += [] if "solution" in tags else ["solution"]
            else:
                cell.source = ANSWER_PLACEHOLDER
                tags = [t for t in tags if t != "solution"] + ["answer"]
        elif i in solution_cells:
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

    Solution lines are those inside the BEGIN/END SOLUTION fences (and lines marked ``# SOLUTION``)
    and the prose of every model answer (:func:`prose_fragments`: runs of plain words, which read
    the same in the notebook, in a page's text and in JSON); hidden-test lines are those of hidden
    test cells. Only distinctive lines are kept: stripped,
    at least 16 characters, not a comment, and not occurring anywhere else in the master (not even
    inside a longer line, or in markdown once its backticks are gone), so finding one in a file
    means the secret leaked.
    """
    questions = parse_master(nb)
    hidden_cells = {i for q in questions for i in q.hidden_tests}
    answer_cells = {i for q in questions if q.manual for i in q.solution}
    solution_cells = {i for q in questions if not q.manual for i in q.solution}
    solution: set[str] = set()
    hidden: set[str] = set()
    elsewhere: list[str] = []
    for i, cell in enumerate(nb.cells):
        if i in answer_cells:
            solution.update(prose_fragments(_MODEL_ANSWER_LEAD.sub("", cell.source, count=1)))
        elif i in hidden_cells:
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


_ROLE_OR_MATH = re.compile(r"\{[\w:.-]+\}`[^`]*`|\$\$.*?\$\$|\$[^$\n]*\$", re.S)
_NOT_PROSE = re.compile(r"[\n`*_$\\{}\[\]()<>&\"'|#~^=]|--|\.\.\.")


def prose_fragments(markdown: str, min_length: int = 24) -> set[str]:
    """The runs of plain prose in ``markdown`` that any rendering keeps verbatim: the text between
    line breaks, markup, quotes and dashes (which a page may set as typographic characters), with
    roles and formulas left out (a page renders them as other text), stripped, at least
    ``min_length`` characters long."""
    text = _ROLE_OR_MATH.sub("\n", markdown)  # a role's target or a formula is rendered as something else
    return {run.strip() for run in _NOT_PROSE.split(text) if len(run.strip()) >= min_length}


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
