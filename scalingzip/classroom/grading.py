"""Grading submitted notebooks offline with a lab's autograder zip, one at a time, within limits.

:func:`grade` runs otter's grading (``otter.api.grade_submission``: the notebook executed top to
bottom in a fresh kernel of this environment, every test run, public and hidden) for each
submission in a child process of its own, watched from here:

- a submission over its **time limit** (an endless loop) or its **memory limit** is stopped, with
  every process it started;
- a file that is **not a notebook**, the notebook of **another lab**, a **kernel that dies**, or any
  failure of otter's own, gives that submission a result with zero points and a one-line reason
  (:attr:`GradeResult.error`);

so a batch always finishes with one result per submission. Each result holds every test's outcome
(:class:`TestOutcome`) with a message a student may read (the assertion's message, not the test's
code), and the text of the student's answers to the written (manual) questions.

Run as ``python -m scalingzip.classroom.grading ZIP NOTEBOOK OUT_JSON``, this module is the child
process: it grades one notebook and writes what it found as JSON.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["DEFAULT_MEMORY_GB", "DEFAULT_TIMEOUT_S", "GradeResult", "TestOutcome", "autograder_lab", "grade",
           "grade_one", "student_message"]

DEFAULT_TIMEOUT_S = 600.0  # per submission: every lab runs in at most 90 s (the course's limit)
DEFAULT_MEMORY_GB = 4.0  # per submission, every process it starts together (the labs need well under 2 GB)
_POLL_S = 0.2


@dataclass(frozen=True, kw_only=True)
class TestOutcome:
    """One test of one question, as run on one submission."""

    __test__ = False  # not a pytest test class, despite its name

    question: str
    name: str  # the test function's name
    hidden: bool
    points: float  # earned
    possible: float
    passed: bool
    message: str  # for the student: what failed, in the test's own words ("" when it passed); never its code
    detail: str  # otter's message, with the failing line of the test: for the instructor only


@dataclass(frozen=True, kw_only=True)
class GradeResult:
    """The grade of one submission: points per autograded question, every test, the written answers."""

    submission: str  # the file as given
    student: str = ""  # the student's id: the file's stem
    scores: dict[str, float]  # autograded question -> points earned
    possible: dict[str, float]  # autograded question -> points available
    public_passed: dict[str, bool]  # autograded question -> whether every public test passed
    feedback: str  # otter's summary, with the code of failed tests: for the instructor only
    tests: tuple[TestOutcome, ...] = ()
    answers: dict[str, str] = field(default_factory=dict)  # written question -> the student's text
    error: str | None = None  # why the notebook could not be graded (it then scores zero)
    seconds: float = 0.0
    graded_at: str = ""  # ISO 8601, UTC
    challenge: dict | None = None  # the compression challenge's score (scalingzip.classroom.challenge.Score.to_json)

    @property
    def total(self) -> float:
        return float(sum(self.scores.values()))

    @property
    def max_total(self) -> float:
        return float(sum(self.possible.values()))

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> GradeResult:
        return cls(**{**data, "tests": tuple(TestOutcome(**t) for t in data.get("tests", ()))})


def student_message(otter_message: str) -> str:
    """What a student may read of a failed test's message: the exception and its text, without the
    line of the test that otter quotes (``Error at line N in test X:`` and the line below it)."""
    lines = otter_message.strip().split("\n")
    if lines and ("Test case failed" in lines[0] or "Test case passed" in lines[0]):
        lines = lines[1:]
    for i, line in enumerate(lines):
        if line.startswith("Error at line ") and line.rstrip().endswith(":"):
            lines = lines[:i] + lines[i + 2:]
            break
    return "\n".join(lines).strip()


def autograder_lab(autograder: str | os.PathLike) -> str:
    """The assignment name an autograder zip grades (its ``otter_config.json``).

    Raises:
        ValueError: if the file is not an otter autograder zip.
    """
    try:
        with zipfile.ZipFile(autograder) as zf:
            config = json.loads(zf.read("otter_config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise ValueError(f"{autograder} is not an otter autograder zip ({err})") from None
    name = config.get("assignment_name")
    if not isinstance(name, str):
        raise ValueError(f"{autograder} names no assignment in its otter_config.json")
    return name


def _written_answers(nb) -> dict[str, str]:
    """The student's answers to written questions: the markdown answer cells, by question name."""
    answers = {}
    for cell in nb.get("cells", []):
        question = cell.get("metadata", {}).get("scalingzip", {}).get("question")
        if question and cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            answers[question] = "".join(source) if isinstance(source, list) else str(source)
    return answers


def _failed(path: Path, student: str, error: str, started: float, answers: dict | None = None) -> GradeResult:
    return GradeResult(submission=str(path), student=student, scores={}, possible={}, public_passed={}, feedback="",
                       answers=answers or {}, error=error, seconds=time.perf_counter() - started,
                       graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))


def _process_tree_rss(proc) -> int:
    import psutil

    try:
        root = psutil.Process(proc.pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in processes:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def _kill_tree(proc) -> None:
    import psutil

    try:
        root = psutil.Process(proc.pid)
        processes = [*root.children(recursive=True), root]
    except psutil.NoSuchProcess:
        return
    for p in processes:
        try:
            p.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(processes, timeout=10)
    proc.wait()


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def grade_one(autograder: str | os.PathLike, path: str | os.PathLike, *, lab: str | None = None,
              timeout_s: float = DEFAULT_TIMEOUT_S, memory_gb: float = DEFAULT_MEMORY_GB) -> GradeResult:
    """Grade one submission in a child process, within ``timeout_s`` seconds and ``memory_gb`` GB.

    Never raises for a bad submission: what went wrong is in the result's ``error``, with zero points.
    """
    started = time.perf_counter()
    path = Path(path)
    student = path.stem
    lab = lab or autograder_lab(autograder)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
            raise ValueError("it has no cells")
    except (OSError, UnicodeDecodeError, ValueError) as err:
        return _failed(path, student, f"not a Jupyter notebook ({_one_line(str(err), 120)}): submit the lab's .ipynb file",
                       started)
    answers = _written_answers(nb)
    otter_meta = nb.setdefault("metadata", {}).setdefault("otter", {})
    named = otter_meta.get("assignment_name") if isinstance(otter_meta, dict) else None
    if named is not None and named != lab:
        return _failed(path, student, f"the notebook of {named}, not of {lab}", started, answers)
    with tempfile.TemporaryDirectory(prefix="grade-") as scratch:
        copy = Path(scratch) / f"{lab}.ipynb"  # a notebook without otter's name (a hand-made copy) is graded as this lab
        otter_meta["assignment_name"] = lab
        copy.write_text(json.dumps(nb), encoding="utf-8")
        out = Path(scratch) / "result.json"
        log = Path(scratch) / "child.log"
        with open(log, "w", encoding="utf-8") as log_file:
            proc = subprocess.Popen([sys.executable, "-m", "scalingzip.classroom.grading", str(Path(autograder).resolve()),
                                     str(copy), str(out)], stdout=log_file, stderr=subprocess.STDOUT, cwd=scratch,
                                    start_new_session=True)
            limit = int(memory_gb * 2**30)
            reason = None
            while proc.poll() is None:
                time.sleep(_POLL_S)
                if time.perf_counter() - started > timeout_s:
                    reason = (f"over the time limit: stopped after {timeout_s:g} s (an endless loop, or code much "
                              "slower than the lab needs)")
                elif _process_tree_rss(proc) > limit:
                    reason = f"over the memory limit: it used more than {memory_gb:g} GB"
                if reason:
                    _kill_tree(proc)
                    return _failed(path, student, reason, started, answers)
        if proc.returncode != 0 or not out.is_file():
            text = log.read_text(encoding="utf-8", errors="replace")
            if "DeadKernelError" in text or "Kernel died" in text or "kernel died" in text:
                reason = "the kernel died while running the notebook (it crashed, or called exit)"
            else:
                last = [line for line in text.strip().splitlines() if line.strip()][-1:] or ["no output"]
                reason = f"otter could not grade it: {_one_line(last[0])}"
            return _failed(path, student, reason, started, answers)
        data = json.loads(out.read_text(encoding="utf-8"))
    return GradeResult(submission=str(path), student=student, answers=answers, seconds=time.perf_counter() - started,
                       graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                       **{**data, "tests": tuple(TestOutcome(**t) for t in data["tests"])})


def grade(autograder: str | os.PathLike, submissions, *, timeout_s: float = DEFAULT_TIMEOUT_S,
          memory_gb: float = DEFAULT_MEMORY_GB, progress=None) -> list[GradeResult]:
    """Grade notebooks offline with an autograder zip, each in its own process (:func:`grade_one`).

    Each submission is executed top to bottom in a fresh kernel of this environment (errors in a
    cell do not stop it) and every test, public and hidden, is run; nothing is installed and no
    container is used, so this environment must hold what the labs import. One result per
    submission, in order; ``progress``, if given, is called with each result as it is done.

    Raises:
        FileNotFoundError: if the autograder zip or a submission does not exist.
        ValueError: if the zip is not an otter autograder.
    """
    autograder = Path(autograder)
    if not autograder.is_file():
        raise FileNotFoundError(f"no autograder zip at {autograder}; make it with: python -m scalingzip assign")
    lab = autograder_lab(autograder)
    paths = [Path(s) for s in submissions]
    for path in paths:
        if not path.is_file():
            raise FileNotFoundError(f"no submission at {path}")
    results = []
    for path in paths:
        results.append(grade_one(autograder, path, lab=lab, timeout_s=timeout_s, memory_gb=memory_gb))
        if progress is not None:
            progress(results[-1])
    return results


def _test_names(autograder: str, question: str) -> list[str]:
    """The test functions of a question, in order, from its test file in the autograder zip (otter's
    results name them "question - 1", "question - 2", ...)."""
    try:
        with zipfile.ZipFile(autograder) as zf:
            source = zf.read(f"tests/{question}.py").decode("utf-8")
    except (KeyError, OSError, zipfile.BadZipFile):
        return []
    return re.findall(r"^@test_case\(.*?\)\s*\ndef (\w+)\(", source, flags=re.M | re.S)


def _challenge_record(path: Path) -> dict | None:
    """The challenge score a notebook's hidden test left (a valid record, or None)."""
    from scalingzip.classroom.challenge import Score

    try:
        score = Score.from_json(json.loads(path.read_text(encoding="utf-8")))
        return score.to_json() if isinstance(score.text_bytes, int) and isinstance(score.artifact_bytes, int) else None
    except (OSError, ValueError, TypeError):
        return None


def _child(autograder: str, notebook: str, out: str) -> None:
    """Grade one notebook with otter and write the outcome as JSON (the child process's work)."""
    from otter.api import grade_submission

    from scalingzip.classroom.challenge import RECORD_ENV

    record = Path(out).with_name("challenge.json")  # the compression challenge's tests leave the score here
    os.environ[RECORD_ENV] = str(record.resolve())
    graded = grade_submission(notebook, autograder, quiet=True)
    error = graded.catastrophic_error
    tests = []
    for question in graded.test_files:
        result = graded.get_result(question)
        names = _test_names(autograder, question)
        for i, case in enumerate(result.test_case_results):
            test = case.test_case
            name = names[i] if len(names) == len(result.test_case_results) else test.name
            points = float(test.points or 0)
            tests.append(dict(question=question, name=name, hidden=bool(test.hidden),
                              points=points if case.passed else 0.0, possible=points, passed=bool(case.passed),
                              message="" if case.passed else student_message(case.message),
                              detail=case.message))
    data = dict(
        scores={q: float(graded.get_score(q)) for q in graded.test_files},
        possible={q: float(graded.get_result(q).possible) for q in graded.test_files},
        public_passed={q: bool(graded.get_result(q).passed_all_public) for q in graded.test_files},
        feedback=graded.summary(),
        tests=tests,
        error=None if error is None else f"{type(error).__name__}: {_one_line(str(error))}",
        challenge=_challenge_record(record),
    )
    Path(out).write_text(json.dumps(data), encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: python -m scalingzip.classroom.grading AUTOGRADER_ZIP NOTEBOOK OUT_JSON")
    _child(*sys.argv[1:])
