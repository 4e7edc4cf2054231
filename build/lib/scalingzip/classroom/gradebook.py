"""A class's grades for one lab, kept in a folder that grading adds to and never wipes.

The folder (by default ``grades/LAB/`` at the repository's root: outside ``_build``, which
``assign`` and a book clean remove) holds two kinds of files. What is *recorded*:

- ``results/STUDENT.json``: the last grading of each student's notebook (:class:`~scalingzip.classroom.grading.GradeResult`),
  replaced when that student is graded again, so grading one student, several or the whole class
  merges into the class's grades;
- ``manual.csv``: the sheet of written answers, one row per student and written question, whose
  ``points`` and ``comment`` columns the instructor fills in; regrading keeps them.

And what is *made* from them, every time (:meth:`Gradebook.write`):

- ``grades.csv``: one row per student (the id is the notebook's file stem), questions in the lab's
  order, written questions included, total, maximum and what is missing;
- ``tests.csv``: one row per student and test, public and hidden, with its points and message;
- ``lms.csv``: ``id,total,maximum``, for a learning-management system's grade import;
- ``feedback/STUDENT.txt``: what a student may be handed: every test's points and message, hidden
  tests' messages included, their code not, and the written questions' points and comments;
- ``instructor/STUDENT.txt``: otter's full report, with the failing lines of hidden tests (not for students);
- ``answers.md``: every student's answer to each written question, to read while grading.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from scalingzip.classroom.grading import GradeResult

__all__ = ["Gradebook", "LabQuestion"]

_ID = re.compile(r"^[^./\\][^/\\]*$")  # a file's stem: any name a file can have, not hidden
MANUAL_COLUMNS = ["student", "question", "possible", "points", "comment", "answer"]


@dataclass(frozen=True)
class LabQuestion:
    """What the gradebook needs of a question: its name, points and whether it is graded by hand."""

    name: str
    possible: float
    manual: bool = False


def _number(text: str) -> str:
    return f"{float(text):g}" if text != "" else ""


class Gradebook:
    """The grades of one lab in ``folder``, for the questions ``questions`` (in the lab's order)."""

    def __init__(self, folder: str | os.PathLike, lab: str, questions: Sequence[LabQuestion]):
        if not questions:
            raise ValueError(f"{lab}: a gradebook needs the lab's questions")
        self.folder = Path(folder)
        self.lab = lab
        self.questions = list(questions)

    # --- what is recorded ------------------------------------------------------------------

    @property
    def _results_dir(self) -> Path:
        return self.folder / "results"

    def record(self, results: Iterable[GradeResult]) -> None:
        """Store each result as its student's latest grading and add their written answers to the
        sheet (points and comments already given are kept), then :meth:`write` everything."""
        self._results_dir.mkdir(parents=True, exist_ok=True)
        for result in results:
            if not _ID.match(result.student):
                raise ValueError(f"{result.submission}: the file's stem {result.student!r} is not a usable student id")
            path = self._results_dir / f"{result.student}.json"
            tmp = path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(result.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            tmp.replace(path)  # atomic: an interrupted run leaves the previous grading, never half a file
        self.write()

    def results(self) -> dict[str, GradeResult]:
        """The latest grading of every student, by id."""
        if not self._results_dir.is_dir():
            return {}
        return {p.stem: GradeResult.from_json(json.loads(p.read_text(encoding="utf-8")))
                for p in sorted(self._results_dir.glob("*.json"))}

    def manual_sheet(self) -> dict[tuple[str, str], dict[str, str]]:
        """The instructor's sheet of written answers, by (student, question).

        Raises:
            ValueError: if a filled-in ``points`` is not a number between 0 and the question's points
                (the message names the row).
        """
        path = self.folder / "manual.csv"
        if not path.is_file():
            return {}
        possible = {q.name: q.possible for q in self.questions if q.manual}
        rows = {}
        with open(path, newline="", encoding="utf-8") as f:
            for line, row in enumerate(csv.DictReader(f), start=2):
                key = (row.get("student", ""), row.get("question", ""))
                points = (row.get("points") or "").strip()
                if points:
                    try:
                        value = float(points)
                    except ValueError:
                        raise ValueError(f"{path}, line {line}: points {points!r} is not a number") from None
                    top = possible.get(key[1])
                    if top is not None and not 0 <= value <= top:
                        raise ValueError(f"{path}, line {line}: {value:g} points for {key[1]}, which is worth {top:g}")
                rows[key] = {k: (v or "") for k, v in row.items() if k in MANUAL_COLUMNS}
        return rows

    # --- what is made ----------------------------------------------------------------------

    def write(self) -> None:
        """Make every derived file from the recorded results and the manual sheet."""
        results = self.results()
        sheet = self._write_manual(results)
        self.folder.mkdir(parents=True, exist_ok=True)
        names = [q.name for q in self.questions]
        possible = sum(q.possible for q in self.questions)
        with open(self.folder / "grades.csv", "w", newline="", encoding="utf-8") as grades, \
                open(self.folder / "lms.csv", "w", newline="", encoding="utf-8") as lms:
            g, m = csv.writer(grades), csv.writer(lms)
            g.writerow(["student", *names, "total", "possible", "missing", "error", "graded_at"])
            m.writerow(["id", "total", "maximum"])
            for student, result in results.items():
                points, missing = self._points(result, sheet)
                total = sum(p for p in points.values() if p is not None)
                g.writerow([student, *(_number("" if points[n] is None else str(points[n])) for n in names),
                            f"{total:g}", f"{possible:g}", " ".join(missing), result.error or "", result.graded_at])
                m.writerow([student, f"{total:g}", f"{possible:g}"])
        with open(self.folder / "tests.csv", "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["student", "question", "test", "visibility", "points", "possible", "passed", "message"])
            order = {name: i for i, name in enumerate(names)}
            for student, result in results.items():
                for t in sorted(result.tests, key=lambda t: order.get(t.question, len(order))):
                    w.writerow([student, t.question, t.name, "hidden" if t.hidden else "public", f"{t.points:g}",
                                f"{t.possible:g}", "yes" if t.passed else "no", t.message])
        for kind in ("feedback", "instructor"):
            (self.folder / kind).mkdir(exist_ok=True)
        for student, result in results.items():
            (self.folder / "feedback" / f"{student}.txt").write_text(self.feedback(result, sheet), encoding="utf-8")
            (self.folder / "instructor" / f"{student}.txt").write_text(
                (f"NOT GRADED: {result.error}\n\n" if result.error else "") + result.feedback + "\n", encoding="utf-8")
        self._write_answers(results)

    def pending(self) -> list[tuple[str, str]]:
        """The written answers still to grade: ``(student, question)`` pairs with no points in the sheet."""
        sheet = self.manual_sheet()
        return [(student, name) for student, result in self.results().items()
                for name in self._points(result, sheet)[1]]

    def _points(self, result: GradeResult, sheet) -> tuple[dict[str, float | None], list[str]]:
        """Points per question (``None``: a written question not graded yet) and the names of those missing."""
        points: dict[str, float | None] = {}
        missing = []
        for q in self.questions:
            if q.manual:
                given = sheet.get((result.student, q.name), {}).get("points", "").strip()
                points[q.name] = float(given) if given else (0.0 if result.error and not result.answers else None)
                if points[q.name] is None:
                    missing.append(q.name)
            else:
                points[q.name] = 0.0 if result.error else float(result.scores.get(q.name, 0.0))
        return points, missing

    def _write_manual(self, results: dict[str, GradeResult]) -> dict:
        manual = [q for q in self.questions if q.manual]
        sheet = self.manual_sheet()
        if not manual:
            return sheet
        rows = []
        for q in manual:
            for student, result in results.items():
                row = sheet.get((student, q.name), {})
                rows.append({"student": student, "question": q.name, "possible": f"{q.possible:g}",
                             "points": row.get("points", ""), "comment": row.get("comment", ""),
                             "answer": result.answers.get(q.name, "").strip()})
        for (student, question), row in sheet.items():  # rows of students or questions no longer graded stay
            if student not in results or question not in {q.name for q in manual}:
                rows.append({k: row.get(k, "") for k in MANUAL_COLUMNS})
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / "manual.csv.tmp"
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=MANUAL_COLUMNS)
            w.writeheader()
            w.writerows(rows)
        tmp.replace(self.folder / "manual.csv")
        return {(r["student"], r["question"]): r for r in rows}

    def _write_answers(self, results: dict[str, GradeResult]) -> None:
        manual = [q for q in self.questions if q.manual]
        if not manual:
            return
        lines = [f"# {self.lab}: written answers", "",
                 "Give points in `manual.csv` (columns `points` and `comment`), then run "
                 f"`python -m scalingzip grade {self.lab}` with no notebook to bring them into the grades.", ""]
        for q in manual:
            lines += [f"## {q.name} ({q.possible:g} points)", ""]
            for student, result in results.items():
                answer = result.answers.get(q.name, "").strip() or "(no answer)"
                lines += [f"### {student}", "", *(f"> {line}" for line in answer.split("\n")), ""]
        (self.folder / "answers.md").write_text("\n".join(lines), encoding="utf-8")

    def feedback(self, result: GradeResult, sheet=None) -> str:
        """The feedback a student may be handed: points and messages of every test, no test code."""
        sheet = self.manual_sheet() if sheet is None else sheet
        points, missing = self._points(result, sheet)
        total = sum(p for p in points.values() if p is not None)
        possible = sum(q.possible for q in self.questions)
        lines = [f"{self.lab}: feedback for {result.student}", f"graded {result.graded_at}", ""]
        if result.error:
            lines += [f"Your notebook could not be graded: {result.error}.",
                      "Every autograded question scores 0. Submit the lab's notebook, run top to bottom.", ""]
        lines += [f"Total: {total:g} of {possible:g} points"
                  + (f" (written questions not graded yet: {', '.join(missing)})" if missing else ""), ""]
        tests = {}
        for t in result.tests:
            tests.setdefault(t.question, []).append(t)
        for q in self.questions:
            got = points[q.name]
            shown = "not graded yet" if got is None else f"{got:g}/{q.possible:g}"
            lines.append(f"{q.name}: {shown}" + (" (written question, graded by hand)" if q.manual else ""))
            if q.manual:
                comment = sheet.get((result.student, q.name), {}).get("comment", "").strip()
                lines += [f"    {line}" for line in comment.split("\n")] if comment else []
            for t in tests.get(q.name, []):
                mark = "passed" if t.passed else "FAILED"
                lines.append(f"  {mark:6} {'hidden' if t.hidden else 'public'} test {t.name} ({t.points:g}/{t.possible:g})")
                lines += [f"      {line}" for line in t.message.split("\n")] if t.message else []
        lines += ["", "Hidden tests check the same statement on inputs you did not see: their messages say what "
                  "your code did and what the statement asks."]
        return "\n".join(lines) + "\n"
