"""Grading a class: every batch finishes, grades are never lost, feedback students may read.

The fast tests use made-up results; the slow ones (marked ``assignments``) release a small master
with otter and grade real notebooks: a batch of five troublesome submissions, a regrade and a
re-release that keep the class's grades, and the written answers' sheet.
"""

import csv
import json
import os
import time
from pathlib import Path

import nbformat
import pytest

from scalingzip import cli
from scalingzip.classroom.gradebook import Gradebook, LabQuestion
from scalingzip.classroom.grading import GradeResult, TestOutcome, grade, student_message
from scalingzip.classroom.release import release
from scalingzip.classroom.student import assignment_name, this_notebook

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [LabQuestion("square", 2.0), LabQuestion("why", 3.0, manual=True), LabQuestion("cube", 1.0)]


def result(student: str, square: float = 2.0, cube: float = 1.0, *, error: str | None = None, answer: str = "Because.",
           when: str = "2026-12-07T09:00:00+00:00") -> GradeResult:
    tests = (
        TestOutcome(question="square", name="test_square", hidden=False, points=1.0, possible=1.0, passed=True,
                   message="", detail="ok"),
        TestOutcome(question="square", name="test_negative", hidden=True, points=square - 1, possible=1.0,
                   passed=square == 2.0, message="" if square == 2.0 else "AssertionError: negative numbers too",
                   detail="Error at line 3 in test square:\n      assert square(-4) == 16\nAssertionError: negative numbers too"),
        TestOutcome(question="cube", name="test_cube", hidden=False, points=cube, possible=1.0, passed=cube == 1.0,
                   message="", detail=""),
    )
    if error:
        return GradeResult(submission=f"{student}.ipynb", student=student, scores={}, possible={}, public_passed={},
                           feedback="", error=error, graded_at=when)
    return GradeResult(submission=f"{student}.ipynb", student=student, scores={"square": square, "cube": cube},
                       possible={"square": 2.0, "cube": 1.0}, public_passed={"square": True, "cube": True},
                       feedback="otter's report with the line `assert square(-4) == 16`", tests=tests,
                       answers={"why": answer}, graded_at=when)


def rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --- messages students may read ---------------------------------------------------------------

def test_student_message_keeps_the_assertion_and_drops_the_tests_code():
    otter = ("❌ Test case failed\nError at line 14 in test square:\n      assert square(-4) == 16, 'negative'\n"
             "AssertionError: negative numbers\n  and a second line")
    assert student_message(otter) == "AssertionError: negative numbers\n  and a second line"
    assert student_message("❌ Test case failed\nNameError: name 'square' is not defined") == (
        "NameError: name 'square' is not defined")


# --- the gradebook ----------------------------------------------------------------------------

def test_regrading_one_student_keeps_everyone_elses_grade(tmp_path):
    book = Gradebook(tmp_path, "demo", QUESTIONS)
    book.record([result("alice"), result("bob", square=1.0), result("carol", cube=0.0)])
    book.record([result("bob", square=2.0, when="2026-12-08T09:00:00+00:00")])  # bob resubmits
    graded = {r["student"]: r for r in rows(tmp_path / "grades.csv")}
    assert list(graded) == ["alice", "bob", "carol"]
    assert graded["bob"]["square"] == "2" and graded["bob"]["graded_at"].startswith("2026-12-08")
    assert graded["carol"]["cube"] == "0" and graded["alice"]["total"] == "3"
    assert list(graded["alice"])[:6] == ["student", "square", "why", "cube", "total", "possible"], "the lab's order"
    assert graded["alice"]["why"] == "" and graded["alice"]["missing"] == "why"
    assert rows(tmp_path / "lms.csv")[0] == {"id": "alice", "total": "3", "maximum": "6"}


def test_written_points_merge_into_the_grades_and_survive_a_regrade(tmp_path):
    book = Gradebook(tmp_path, "demo", QUESTIONS)
    book.record([result("alice"), result("bob", answer="I do not know.")])
    assert book.pending() == [("alice", "why"), ("bob", "why")]
    sheet = rows(tmp_path / "manual.csv")
    assert [(r["student"], r["question"], r["answer"]) for r in sheet] == [
        ("alice", "why", "Because."), ("bob", "why", "I do not know.")]
    sheet[0].update(points="2.5", comment="Say why the decoder needs the same table.")
    with open(tmp_path / "manual.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(sheet[0]))
        writer.writeheader()
        writer.writerows(sheet)
    book.record([result("alice", square=1.0, answer="Because, better.")])  # a regrade keeps the points
    graded = {r["student"]: r for r in rows(tmp_path / "grades.csv")}
    assert graded["alice"]["why"] == "2.5" and graded["alice"]["total"] == "4.5" and graded["alice"]["missing"] == ""
    assert book.pending() == [("bob", "why")]
    assert rows(tmp_path / "manual.csv")[0]["answer"] == "Because, better."
    feedback = (tmp_path / "feedback" / "alice.txt").read_text(encoding="utf-8")
    assert "why: 2.5/3 (written question" in feedback and "Say why the decoder needs the same table." in feedback
    assert "Because, better." in (tmp_path / "answers.md").read_text(encoding="utf-8")


def test_manual_points_are_checked(tmp_path):
    book = Gradebook(tmp_path, "demo", QUESTIONS)
    book.record([result("alice")])
    text = (tmp_path / "manual.csv").read_text(encoding="utf-8").replace("why,3,,", "why,3,4,")
    (tmp_path / "manual.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: 4 points for why, which is worth 3"):
        book.write()
    (tmp_path / "manual.csv").write_text(text.replace("why,3,4,", "why,3,lots,"), encoding="utf-8")
    with pytest.raises(ValueError, match="line 2: points 'lots' is not a number"):
        book.write()


def test_feedback_holds_every_tests_message_and_no_test_code(tmp_path):
    book = Gradebook(tmp_path, "demo", QUESTIONS)
    book.record([result("alice", square=1.0), result("dave", error="not a Jupyter notebook (no cells)")])
    feedback = (tmp_path / "feedback" / "alice.txt").read_text(encoding="utf-8")
    assert "FAILED hidden test test_negative (0/1)" in feedback and "AssertionError: negative numbers too" in feedback
    assert "passed public test test_square (1/1)" in feedback and "square: 1/2" in feedback
    assert "assert square(-4)" not in feedback and "Error at line" not in feedback, "no line of a test's code"
    assert "assert square(-4) == 16" in (tmp_path / "instructor" / "alice.txt").read_text(encoding="utf-8")
    assert "could not be graded: not a Jupyter notebook" in (tmp_path / "feedback" / "dave.txt").read_text(encoding="utf-8")
    tests = rows(tmp_path / "tests.csv")
    assert [(t["student"], t["test"], t["visibility"], t["points"]) for t in tests] == [
        ("alice", "test_square", "public", "1"), ("alice", "test_negative", "hidden", "0"),
        ("alice", "test_cube", "public", "1")]
    dave = {r["student"]: r for r in rows(tmp_path / "grades.csv")}["dave"]
    assert (dave["total"], dave["why"], dave["missing"], dave["error"]) == ("0", "0", "", "not a Jupyter notebook (no cells)")


# --- the student's notebook finds itself --------------------------------------------------------

def student_copy(path: Path, lab: str = "lab_demo") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["otter"] = {"assignment_name": lab}
    nbformat.write(nb, path)
    return path


def test_a_renamed_notebook_finds_its_own_file(tmp_path, monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    with pytest.raises(FileNotFoundError, match="no notebook of lab_demo"):
        this_notebook("lab_demo", tmp_path)
    student_copy(tmp_path / "other lab.ipynb", "lab_other")
    first = student_copy(tmp_path / "lab_demo (1).ipynb")
    assert this_notebook("lab_demo", tmp_path) == str(first)
    later = student_copy(tmp_path / "my work.ipynb")
    os.utime(later, (time.time() + 10, time.time() + 10))
    assert this_notebook("lab_demo", tmp_path) == str(later), "of several copies, the one saved last"
    monkeypatch.setenv("JPY_SESSION_NAME", str(first))
    assert this_notebook("lab_demo", tmp_path) == str(first), "the front end's session names the notebook"
    assert assignment_name(tmp_path / "other lab.ipynb") == "lab_other" and assignment_name(tmp_path) is None


# --- the commands -----------------------------------------------------------------------------

def test_defaults_are_found_from_any_folder_and_grades_live_outside_what_assign_replaces(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.repository_root() == ROOT
    grades, releases = ROOT / cli.DEFAULT_GRADES, ROOT / cli.DEFAULT_ASSIGNMENTS
    assert not grades.is_relative_to(releases) and not grades.is_relative_to(ROOT / "_build")
    assert "grades/" in (ROOT / ".gitignore").read_text(encoding="utf-8").split("\n"), "grades are never committed"


def test_a_misspelt_lab_gets_the_right_advice(capsys):
    assert cli.main(["grade", "lab_lm_compresor", "nothing.ipynb"]) == 1
    err = capsys.readouterr().err
    assert "did you mean lab_lm_compressor?" in err and "lab_entropy_huffman" in err
    assert cli.main(["assign", "lab_entropy_hufman", "--quiet"]) == 1
    assert "did you mean lab_entropy_huffman?" in capsys.readouterr().err


def test_grade_without_a_release_says_to_release_the_lab(tmp_path, capsys):
    (tmp_path / "alice.ipynb").write_text("{}", encoding="utf-8")
    code = cli.main(["grade", "lab_entropy_huffman", str(tmp_path / "alice.ipynb"), "--autograder",
                     str(tmp_path / "none.zip"), "--grades", str(tmp_path / "grades")])
    assert code == 1
    assert "release the lab first: python -m scalingzip assign lab_entropy_huffman" in capsys.readouterr().err


def test_quiet_grade_still_prints_the_grades(tmp_path, capsys):
    Gradebook(tmp_path, "lab_entropy_huffman", [LabQuestion("entropy", 1.0)])  # an empty gradebook
    assert cli.main(["grade", "lab_entropy_huffman", "--grades", str(tmp_path), "--quiet"]) == 0
    assert "0 students in" in capsys.readouterr().out


# --- real grading (slow: otter executes notebooks) ----------------------------------------------

def demo_master(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    raw, md, code = nbformat.v4.new_raw_cell, nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb.cells = [
        raw("# ASSIGNMENT CONFIG\nname: lab_demo\nexport_cell: false\ncheck_all_cell: false\nrun_tests: false\n"
            "tests:\n  files: false\n  ok_format: false"),
        md("# Lab: squares\n\nSee {footcite}`shannon1948mathematical` and equation {eq}`eq-demo`:\n\n"
           "$$\nx^2 \\ge 0\n$$ (eq-demo)"),
        code("SEED = 0"),
        raw("# BEGIN QUESTION\nname: square\npoints: 2"),
        md("## Task 1\n\nWrite `square(x)`."),
        raw("# BEGIN SOLUTION"),
        code("def square(x):\n    # BEGIN SOLUTION\n    squared_value_of_x = x * x\n    return squared_value_of_x\n"
             "    # END SOLUTION"),
        raw("# END SOLUTION"),
        raw("# BEGIN TESTS"),
        code("def test_square(square):\n    assert square(3) == 9, 'square(3) is 9'\n\ntest_square(square)"),
        code("# HIDDEN\ndef test_negative_numbers(square):\n    assert square(-4) == 16, 'square(-4) is 16: negative "
             "numbers too'\n\ntest_negative_numbers(square)"),
        raw("# END TESTS"),
        raw("# END QUESTION"),
        raw("# BEGIN QUESTION\nname: why\npoints: 3\nmanual: true"),
        md("### Written question 1\n\nWhy is a square never negative?"),
        raw("# BEGIN SOLUTION"),
        md("**Model answer.** Because a product of two numbers with the same sign is positive, and zero squared is zero."),
        raw("# END SOLUTION"),
        raw("# END QUESTION"),
        md("## References\n\n```{footbibliography}\n```"),
    ]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def demo_release(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    (folder / "labs").mkdir()
    (folder / "_config.yml").write_text("title: demo\n", encoding="utf-8")
    (folder / "references.bib").write_text((ROOT / "references.bib").read_text(encoding="utf-8"), encoding="utf-8")
    master = demo_master(folder / "labs" / "lab_demo.ipynb")
    return master, release(master, folder / "release", gradescope=False)


def solved(student_nb: Path, out: Path, *, body: str = "    return x * x", answer: str = "Signs cancel.") -> Path:
    nb = nbformat.read(student_nb, as_version=4)
    for cell in nb.cells:
        if "otter_answer_cell" in cell.metadata.get("tags", []):
            cell.source = f"def square(x):\n{body}" if cell.cell_type == "code" else answer
    nbformat.write(nb, out)
    return out


@pytest.mark.assignments
def test_the_student_copy_reads_as_plain_jupyterlab_markdown(demo_release):
    _, done = demo_release
    nb = nbformat.read(done.student, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "{footcite}" not in text and "{eq}" not in text and "(eq-demo)" not in text and "Shannon" in text
    assert "Model answer" not in text and "product of two numbers" not in text
    assert "_Type your answer here, replacing this text._" in text
    assert nb.metadata["otter"]["assignment_name"] == "lab_demo"
    assert "this_notebook('lab_demo')" in nb.cells[0].source
    (answer,) = [c for c in nb.cells if c.metadata.get("scalingzip", {}).get("question") == "why"]
    assert answer.cell_type == "markdown"
    readme = (done.autograder.parent / "README.md").read_text(encoding="utf-8")
    assert "solutions" in readme and "Never hand out" in readme


@pytest.mark.assignments
def test_a_batch_always_finishes_with_one_row_per_submission(demo_release, tmp_path, capsys):
    _, done = demo_release
    subs = tmp_path / "submissions"
    subs.mkdir()
    solved(done.student, subs / "alice.ipynb")
    solved(done.student, subs / "bob (1).ipynb", body="    return abs(x) * x")  # renamed by the browser, and wrong
    book = nbformat.read(solved(done.student, tmp_path / "carol.ipynb"), as_version=4)
    del book.metadata["otter"]  # a copy without otter's name (a hand-made or old download): graded as this lab
    nbformat.write(book, subs / "carol.ipynb")
    (subs / "dave.pdf").write_bytes(b"%PDF-1.4 not a notebook")
    solved(done.student, subs / "erin.ipynb", body="    while True:\n        pass")  # its check never returns

    grades = tmp_path / "grades"
    code = cli.main(["grade", "lab_demo", str(subs), "--labs-dir", str(done.solution.parents[2] / "labs"),
                     "--autograder", str(done.autograder), "--grades", str(grades), "--timeout", "15", "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    graded = {r["student"]: r for r in rows(grades / "grades.csv")}
    assert list(graded) == ["alice", "bob (1)", "carol", "dave", "erin"], out
    assert (graded["alice"]["square"], graded["alice"]["error"]) == ("2", "")
    assert graded["bob (1)"]["square"] == "1" and "negative numbers too" in (grades / "feedback" / "bob (1).txt").read_text()
    assert graded["carol"]["square"] == "2"
    assert graded["dave"]["error"].startswith("not a Jupyter notebook") and graded["dave"]["total"] == "0"
    assert graded["erin"]["error"].startswith("over the time limit") and graded["erin"]["total"] == "0"
    assert "test_negative_numbers" in (grades / "tests.csv").read_text(encoding="utf-8")
    assert "5 students in" in out and "written answers to grade in manual.csv" in out

    # regrade one student: the others keep their grades; release again: the grades are still there
    solved(done.student, subs / "bob (1).ipynb")
    assert cli.main(["grade", "lab_demo", str(subs / "bob (1).ipynb"), "--labs-dir", str(done.solution.parents[2] / "labs"),
                     "--autograder", str(done.autograder), "--grades", str(grades), "--quiet"]) == 0
    master = done.solution.parents[2] / "labs" / "lab_demo.ipynb"
    release(master, done.student.parents[1], gradescope=False)
    graded = {r["student"]: r for r in rows(grades / "grades.csv")}
    assert list(graded) == ["alice", "bob (1)", "carol", "dave", "erin"]
    assert graded["bob (1)"]["square"] == "2" and graded["erin"]["error"].startswith("over the time limit")
    assert json.loads((grades / "results" / "alice.json").read_text())["answers"]["why"] == "Signs cancel."


@pytest.mark.assignments
def test_a_notebook_of_another_lab_is_refused_with_its_name(demo_release, tmp_path):
    _, done = demo_release
    nb = nbformat.read(solved(done.student, tmp_path / "alice.ipynb"), as_version=4)
    nb.metadata["otter"]["assignment_name"] = "lab_entropy_huffman"
    nbformat.write(nb, tmp_path / "alice.ipynb")
    (graded,) = grade(done.autograder, [tmp_path / "alice.ipynb"])
    assert graded.error == "the notebook of lab_entropy_huffman, not of lab_demo" and graded.total == 0


@pytest.mark.assignments
def test_a_crashing_kernel_and_a_memory_hog_get_their_reasons(demo_release, tmp_path):
    _, done = demo_release
    crash = solved(done.student, tmp_path / "crash.ipynb", body="    import os\n    os._exit(3)")
    hog = solved(done.student, tmp_path / "hog.ipynb",
                 body="    block = bytearray(3 * 2**30)\n    block[::4096] = bytes(len(block[::4096]))\n    return x * x")
    crashed, hogged = grade(done.autograder, [crash, hog], memory_gb=1.5)
    assert crashed.error.startswith("the kernel died") and crashed.total == 0
    assert hogged.error == "over the memory limit: it used more than 1.5 GB" and hogged.total == 0
