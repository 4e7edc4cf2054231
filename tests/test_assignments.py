"""The labs as classroom assignments (otter-grader masters): their structure, the book's student
view, and, for every lab, the release and the offline autograder on real submissions.

The slow part (marked ``assignments``) releases every English lab with ``otter assign`` and grades
two notebooks with its autograder: the untouched student notebook (zero on every question, with a
message for every failed test) and a plausible wrong answer from ``tests/wrong_answers/`` (it
passes the public tests of its question and loses hidden points; every other question keeps full
marks). Every lab's master is graded for full marks on every question in its Chinese edition, whose
code is the English lab's (``tests/test_editions.py`` checks that): each notebook executed once
checks what the two editions share, ``tests/test_assignments_zh.py``, which also grades the
compression challenge as a class with an entry that cheats. This module also installs the course's
wheel, as Gradescope's autograder does, and runs the language-model lab's set-up from it. Grading a
class (batches, regrades, the gradebook) is in ``tests/test_classroom_grading.py``.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml

from scalingzip.classroom.assignments import (ANSWER_PLACEHOLDER, book_notebook, find_leaks, is_master, notebook_text,
                                              parse_master, prose_fragments, secret_lines, solution_source,
                                              student_source)
from scalingzip.classroom.grading import grade
from scalingzip.classroom.release import GRADESCOPE_PYTHON, build_wheel, release

ROOT = Path(__file__).resolve().parents[1]
LABS = sorted((ROOT / "labs").glob("lab_*.ipynb"))
# Both editions' labs: the Chinese masters (zh/labs/) have the same questions, tests and plausible wrong
# answers (their code is the English labs', their messages Chinese); tests/test_assignments_zh.py grades them.
BOTH_EDITIONS = LABS + sorted((ROOT / "zh" / "labs").glob("lab_*.ipynb"))
WRONG = ROOT / "tests" / "wrong_answers"


def read(path: Path):
    return nbformat.read(path, as_version=4)


# --- the format, on a small master ------------------------------------------------------------

def small_master(test_first_line: str = "# HIDDEN"):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    raw, md, code = nbformat.v4.new_raw_cell, nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb.cells = [
        raw("# ASSIGNMENT CONFIG\nname: demo\ntests:\n  files: false\n  ok_format: false"),
        md("# Demo"),
        code("import math"),
        raw("# BEGIN QUESTION\nname: square\npoints: 2"),
        md("Write `square(x)`."),
        raw("# BEGIN SOLUTION"),
        code('def square(x):\n    """x squared."""\n    # BEGIN SOLUTION\n    squared_value = x * x\n    return squared_value\n    # END SOLUTION'),
        raw("# END SOLUTION"),
        raw("# BEGIN TESTS"),
        code("def test_square(square):\n    assert square(3) == 9, 'square(3) is 9'\n\ntest_square(square)"),
        code(f"{test_first_line}\ndef test_negative(square):\n    assert square(-4) == 16\n\ntest_negative(square)"),
        raw("# END TESTS"),
        raw("# END QUESTION"),
        raw("# BEGIN QUESTION\nname: why\npoints: 3\nmanual: true"),
        md("### Written question 1\n\nWhy is a square never negative?"),
        raw("# BEGIN SOLUTION"),
        md("**Model answer.** A product of two numbers of the same sign is positive, and zero squared is zero."),
        raw("# END SOLUTION"),
        raw("# END QUESTION"),
        md("The end."),
    ]
    return nb


def test_parse_master_finds_questions_solutions_and_tests():
    q, why = parse_master(small_master())
    assert (q.name, q.points, q.statement, q.solution, q.public_tests, q.hidden_tests) == ("square", 2, (4,), (6,), (9,), (10,))
    assert (why.name, why.possible, why.manual, why.statement, why.solution, why.public_tests) == ("why", 3.0, True, (14,), (16,), ())
    assert not q.manual


@pytest.mark.parametrize("first_line, hidden", [("# HIDDEN", True), ("# a hidden test", True), ("# Hidden", True),
                                                 ("# hiddenness is not the word", False), ("# public", False)])
def test_hidden_tests_follow_otters_rule(first_line, hidden):
    q = parse_master(small_master(first_line))[0]
    assert (q.hidden_tests == (10,)) is hidden


def test_test_config_block_can_hide_a_test():
    nb = small_master()
    nb.cells[10].source = "# BEGIN TEST CONFIG\nhidden: true\npoints: 1\n# END TEST CONFIG\n" + nb.cells[10].source.split("\n", 1)[1]
    assert parse_master(nb)[0].hidden_tests == (10,)


@pytest.mark.parametrize("edit, message", [
    (lambda cells: cells.pop(7), "out of place|ends inside"),  # no END SOLUTION
    (lambda cells: cells.pop(12), "ends inside|inside another question"),  # no END QUESTION
    (lambda cells: cells.insert(4, nbformat.v4.new_raw_cell("# BEGIN QUESTION\nname: other")), "inside another question"),
    (lambda cells: cells.__setitem__(3, nbformat.v4.new_raw_cell("# BEGIN QUESTION\npoints: 1")), "name"),
    (lambda cells: cells.pop(0), "ASSIGNMENT CONFIG"),
    (lambda cells: cells.__setitem__(16, nbformat.v4.new_code_cell("x = 1")), "only markdown cells .* manual"),
    (lambda cells: cells.__setitem__(6, nbformat.v4.new_markdown_cell("an answer")), "only code cells .* autograded"),
    (lambda cells: cells.insert(17, nbformat.v4.new_raw_cell("# BEGIN TESTS")), "out of place"),
])
def test_malformed_masters_are_refused_with_a_message(edit, message):
    nb = small_master()
    edit(nb.cells)
    with pytest.raises(ValueError, match=message):
        parse_master(nb)


def test_book_view_hides_solutions_and_drops_hidden_tests():
    nb = small_master()
    page = book_notebook(nb, "hidden")
    sources = [c.source for c in page.cells]
    assert not any("BEGIN" in s or "END" in s or "ASSIGNMENT" in s for s in sources)
    assert not any("test_negative" in s for s in sources)
    (solution,) = [c for c in page.cells if "hide-input" in c.metadata.get("tags", [])]
    assert solution.source == 'def square(x):\n    """x squared."""\n    squared_value = x * x\n    return squared_value'
    assert any("test_square" in s for s in sources)
    (answer,) = [c for c in page.cells if "Model answer" in c.source]
    assert answer.source.startswith("````{admonition} Model answer\n:class: dropdown solution\n\nA product of two")
    assert nb.cells[10].source.endswith("test_negative(square)"), "the master itself is not changed"


def test_student_view_holds_stubs_and_is_not_executed():
    page = book_notebook(small_master(), "none")
    text = notebook_text(page)
    assert "x * x" not in text and "test_negative" not in text and not find_leaks(text, small_master())
    assert 'def square(x):\n    """x squared."""\n    ...' in [c.source for c in page.cells]
    assert ANSWER_PLACEHOLDER in [c.source for c in page.cells] and "same sign" not in text
    assert page.metadata["mystnb"]["execution_mode"] == "off"
    with pytest.raises(ValueError, match="solutions must be one of"):
        book_notebook(small_master(), "some")


def test_leaks_are_found():
    nb = small_master()
    answer = {"A product of two numbers of the same sign is positive, and zero squared is zero."}
    assert secret_lines(nb) == ({"squared_value = x * x", "return squared_value", *answer},
                                {"def test_negative(square):", "assert square(-4) == 16", "test_negative(square)"})
    assert find_leaks(notebook_text(book_notebook(nb, "hidden")), nb) == [
        "solution: A product of two numbers of the same sign is positive, and zero squared is zero.",
        "solution: return squared_value", "solution: squared_value = x * x"]
    assert find_leaks(notebook_text(nb), nb)[-1] == "hidden test: test_negative(square)"
    page_text = "<p>A product of two numbers of the same sign is positive, and zero squared is zero.</p>"
    assert len(find_leaks(page_text, nb)) == 1, "a model answer is found in a page's text too"


def test_prose_fragments_are_what_every_rendering_keeps():
    text = ("**Model** the coder's rate -- $-\\log_2 p$ bits {footcite}`rissanen1978modeling,grunwald2007minimum` is "
            "the *log-loss* of the model on held-out text $$\\sum_t \\text{one long formula of plain words}$$")
    assert prose_fragments(text) == {"of the model on held-out text"}


def test_solution_and_student_sources_of_line_markers():
    source = "x = 3 # SOLUTION\ny = x + 1"
    assert solution_source(source) == "x = 3\ny = x + 1"
    assert student_source(source) == "x = ...\ny = x + 1"


# --- every lab --------------------------------------------------------------------------------

def test_every_lab_is_a_master_with_a_wrong_answer():
    assert len(LABS) >= 5
    for path in BOTH_EDITIONS:
        assert is_master(read(path)), f"{path.name} is not an otter master"
        assert (WRONG / f"{path.stem}.py").is_file(), f"no plausible wrong answer for {path.name} in {WRONG}"


@pytest.mark.parametrize("path", BOTH_EDITIONS, ids=lambda p: str(p.relative_to(ROOT).with_suffix("")))
def test_every_question_has_points_public_and_hidden_tests(path):
    nb = read(path)
    questions = parse_master(nb)
    config = nb.cells[0].source
    assert f"name: {path.stem}" in config, "the assignment's name is the lab's file name"
    solution, _ = secret_lines(nb)
    for q in questions:
        assert isinstance(q.points, (int, float)) and q.points > 0, f"{q.name}: give it points"
        assert len(q.solution) == 1, f"{q.name}: one solution cell per question"
        if q.manual:  # a written question: a model answer for the instructor, searched for in every release
            answer = nb.cells[q.solution[0]].source
            lead = "**参考答案。**" if "zh" in path.relative_to(ROOT).parts else "**Model answer.**"
            assert answer.startswith(lead), f"{q.name}: start the model answer with {lead}"
            assert prose_fragments(answer) & solution, f"{q.name}: no line of its model answer can be searched for"
            continue
        assert q.public_tests and q.hidden_tests, f"{q.name}: needs public and hidden tests"
        assert "# BEGIN SOLUTION" in nb.cells[q.solution[0]].source, f"{q.name}: fence the student's part"
    cells = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "{exercise}" not in cells and "{solution}" not in cells, "written questions are manual questions, not exercises"


@pytest.mark.parametrize("path", BOTH_EDITIONS, ids=lambda p: str(p.relative_to(ROOT).with_suffix("")))
def test_student_view_of_every_lab_keeps_no_secret(path):
    nb = read(path)
    solution, hidden = secret_lines(nb)
    assert solution and hidden
    for mode in ("hidden", "none"):
        text = notebook_text(book_notebook(nb, mode))
        found = find_leaks(text, nb)
        if mode == "hidden":  # the book shows solutions (behind a toggle), never hidden tests
            found = [f for f in found if f.startswith("hidden test")]
        assert not found, f"{mode} view of {path.name} shows:\n" + "\n".join(found[:10])


# --- release and grading, lab by lab (slow: every notebook is executed) ------------------------

def load_wrong(stem: str):
    spec = importlib.util.spec_from_file_location(f"wrong_{stem}", WRONG / f"{stem}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.QUESTION, module.CODE


def wrong_submission(solution_nb: Path, question: str, code: str, out: Path) -> Path:
    """The master as otter runs it, with ``question``'s solution cell replaced by ``code``."""
    nb = read(solution_nb)
    checks = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip() == f'grader.check("{question}")']
    assert len(checks) == 1, f"no single grader.check cell for {question}"
    answers = [i for i in range(checks[0]) if "otter_assign_solution_cell" in nb.cells[i].metadata.get("tags", [])
               or "otter_answer_cell" in nb.cells[i].metadata.get("tags", [])]
    assert answers, f"no solution cell before the check of {question}"
    nb.cells[answers[-1]].source = code
    nbformat.write(nb, out)
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The course's wheel, built once for every release of this module (as ``assign`` does)."""
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def check_student_copy(done, master) -> None:
    """What otter's release of a lab gives students: no solution, model answer or hidden test; every
    question's public check; the book's stubs; plain JupyterLab markdown; a notebook that finds
    its own file whatever its name."""
    questions = {q.name: q for q in parse_master(master)}
    student = read(done.student)
    student_text = done.student.read_text(encoding="utf-8")
    found = find_leaks(notebook_text(student), master)
    assert not found, "the student notebook holds:\n" + "\n".join(found[:10])
    public_in_metadata = json.dumps(student.metadata.get("otter", {}).get("tests", {}))
    sources = [c.source.strip() for c in student.cells]
    graded = [name for name, q in questions.items() if not q.manual]
    assert "HIDDEN" not in student_text and all(f'grader.check("{q}")' in sources for q in graded)
    assert public_in_metadata.count("hidden=False") >= len(graded) and "hidden=True" not in public_in_metadata
    answers = [c.source for c in student.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert answers == [ANSWER_PLACEHOLDER if q.manual else student_source(master.cells[q.solution[0]].source)
                       for q in questions.values()], (
        "the book's student view and otter's student notebook must hold the same stubs"
    )
    markdown = "\n".join(c.source for c in student.cells if c.cell_type == "markdown")
    raw_myst = re.findall(r"\{[a-z:-]+\}`|```\{|^\(\S+\)=$|^:label:|\$\$\s*\(\S+\)", markdown, flags=re.M)
    assert not raw_myst, f"the student notebook shows raw MyST: {raw_myst[:5]}"
    assert "this_notebook(" in student.cells[0].source, "the checks find the notebook whatever its file name"


def check_full_marks(full, master) -> None:
    """The master, graded, earns every point of every autograded question, every test passing silently."""
    graded = {q.name: q for q in parse_master(master) if not q.manual}
    assert full.error is None and set(full.scores) == set(graded)
    assert full.total == full.max_total > 0, f"the master scores {full.total}/{full.max_total}:\n{full.feedback}"
    assert full.possible == {name: q.possible for name, q in graded.items()}
    assert all(t.passed and not t.message for t in full.tests) and len({t.name for t in full.tests}) == len(full.tests)


@pytest.mark.assignments
@pytest.mark.parametrize("path", LABS, ids=lambda p: str(p.relative_to(ROOT).with_suffix("")))
def test_release_and_autograder(path, tmp_path, wheel):
    """Each English lab released for Gradescope (the wheel inside) and graded by its autograder: the
    untouched student copy (saved again by a browser as "LAB (1).ipynb") scores zero, with a reason
    for every failed test and no hidden test's code; the plausible wrong answer passes its question's
    public tests, loses hidden points, and every other question keeps all its points, every test
    passing on the reference solutions. (The master's full marks on every question, the wrong
    answer's own included, are graded on the Chinese lab, whose code is this one's:
    tests/test_assignments_zh.py.)"""
    master = read(path)
    questions = {q.name: q for q in parse_master(master)}
    graded_questions = {name: q for name, q in questions.items() if not q.manual}
    done = release(path, tmp_path / "release", wheel=wheel)
    check_student_copy(done, master)

    question, code = load_wrong(path.stem)
    assert question in graded_questions, f"tests/wrong_answers/{path.stem}.py names an unknown question {question!r}"
    wrong = wrong_submission(done.solution, question, code, tmp_path / "wrong.ipynb")
    renamed = tmp_path / f"{path.stem} (1).ipynb"  # the student copy as a browser saves it a second time
    renamed.write_bytes(done.student.read_bytes())
    untouched, plausible = grade(done.autograder, [renamed, wrong])

    assert untouched.error is None and untouched.student == f"{path.stem} (1)"
    assert set(untouched.scores) == set(graded_questions)
    assert all(score == 0 for score in untouched.scores.values()), f"untouched student scores {untouched.scores}"
    for name in graded_questions:
        block = untouched.feedback.split(f"{name} results:", 1)[1]
        assert "Test case failed" in block and re.search(r"(AssertionError|Error): \S", block), (
            f"{name}: the untouched notebook's feedback says no reason:\n{block[:800]}"
        )
        failed = [t for t in untouched.tests if t.question == name and not t.passed]
        assert failed and all(t.message for t in failed), f"{name}: a failed test without a message for the student"
    hidden_lines = secret_lines(master)[1]
    leaked = [line for t in untouched.tests for line in hidden_lines if line in t.message]
    assert not leaked, f"a student's feedback quotes hidden-test code: {leaked[:3]}"
    assert untouched.answers == {q.name: ANSWER_PLACEHOLDER for q in questions.values() if q.manual}

    assert plausible.error is None
    assert plausible.possible == {name: q.possible for name, q in graded_questions.items()}
    assert plausible.public_passed[question], f"the wrong answer fails a public test of {question}:\n{plausible.feedback}"
    assert plausible.scores[question] < plausible.possible[question], (
        f"the wrong answer to {question} keeps all its points: the hidden tests miss it"
    )
    others = {name: score for name, score in plausible.scores.items() if name != question}
    assert all(score == plausible.possible[name] for name, score in others.items()), f"other questions lost points: {others}"
    assert all(t.passed and not t.message for t in plausible.tests if t.question != question), (
        "a test of another question failed on the reference solutions")


@pytest.mark.assignments
def test_gradescope_autograder_installs_the_course_from_its_wheel(tmp_path, wheel):
    """The zip Gradescope runs holds the course's wheel and pins a supported Python; the wheel,
    installed alone, carries the model and data the language-model lab's set-up loads."""
    lab = ROOT / "labs" / "lab_lm_compressor.ipynb"
    done = release(lab, tmp_path / "release", wheel=wheel)
    with zipfile.ZipFile(done.autograder) as zf:
        names = set(zf.namelist())
        environment = yaml.safe_load(zf.read("environment.yml"))
    assert f"files/{wheel.name}" in names
    assert f"python={GRADESCOPE_PYTHON}" in environment["dependencies"] and GRADESCOPE_PYTHON in ("3.10", "3.11", "3.12")
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert f"/autograder/source/files/{wheel.name}" in pip and any(r.startswith("torch==") for r in pip)

    target = tmp_path / "site"  # the wheel alone, as pip installs it into the grading environment
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", "--target",
                           str(target), str(wheel)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    student = read(done.student)
    setup = next(c.source for c in student.cells[1:] if c.cell_type == "code")
    assert "load_model(pretrained_model_path())" in setup
    script = ("import scalingzip, sys\n"
              f"assert scalingzip.__file__.startswith({str(target)!r}), scalingzip.__file__\n"
              + setup + "\nprint('set-up ran from', scalingzip.__file__)\n")
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=work, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"set-up ran from {target}" in proc.stdout


# --- the commands -----------------------------------------------------------------------------

def test_commands_refuse_what_they_cannot_do(tmp_path, capsys):
    from scalingzip.cli import main

    assert main(["assign", "lab_nonexistent", "--out", str(tmp_path), "--quiet"]) == 1
    assert "not a lab master" in capsys.readouterr().err
    assert main(["assign", "--labs-dir", str(tmp_path / "none"), "--quiet"]) == 1
    assert "no such folder" in capsys.readouterr().err
    grades = ["--grades", str(tmp_path / "grades")]
    assert main(["grade", "lab_entropy_huffman", str(tmp_path), "--autograder", str(tmp_path / "x.zip"), *grades]) == 1
    assert "no autograder for lab_entropy_huffman" in capsys.readouterr().err
    (tmp_path / "x.zip").write_bytes(b"")
    assert main(["grade", "lab_entropy_huffman", str(tmp_path / "missing"), "--autograder", str(tmp_path / "x.zip"), *grades]) == 1
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["grade", "lab_entropy_huffman", str(tmp_path / "empty"), "--autograder", str(tmp_path / "x.zip"), *grades]) == 1
    assert "no file to grade" in capsys.readouterr().err
    assert main(["grade", "lab_entropy_huffman", str(tmp_path / "empty"), "--timeout", "0", *grades]) == 1
    assert "must be positive" in capsys.readouterr().err


def test_release_refuses_a_file_that_is_not_a_master(tmp_path):
    plain = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), plain)
    with pytest.raises(ValueError, match="not an otter master"):
        release(plain, tmp_path / "out", gradescope=False)
    with pytest.raises(FileNotFoundError):
        release(tmp_path / "missing.ipynb", tmp_path / "out", gradescope=False)
