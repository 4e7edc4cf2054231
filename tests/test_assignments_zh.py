"""The Chinese edition's labs (``zh/labs/``) as classroom assignments: each released with ``otter assign``
and its master graded by its own autograder, whose tests speak Chinese.

A Chinese lab is the English lab with Chinese words: its code cells are the English ones once
comments and strings are set aside, its otter cells are identical, and its messages' f-strings
compute the same values (:func:`scalingzip.book.editions.problems`, run on every lab by
``tests/test_editions.py``). So what the English labs' grading shows of the untouched student copy
and of the plausible wrong answer (``tests/test_assignments.py``) holds here too, and is not run
again; what is the Chinese lab's own is checked: its release (no solution, model answer or hidden
test in the student copy, the stubs of the book's view, plain markdown) and every one of its
Chinese tests, public and hidden, passing on the reference solutions for full marks.
"""

from pathlib import Path

import pytest

from scalingzip.classroom.grading import grade
from scalingzip.classroom.release import release

from test_assignments import check_full_marks, check_student_copy, read

ROOT = Path(__file__).resolve().parents[1]
ZH_LABS = sorted((ROOT / "zh" / "labs").glob("lab_*.ipynb"))


def test_every_english_lab_has_its_chinese_one():
    assert [p.name for p in ZH_LABS] == sorted(p.name for p in (ROOT / "labs").glob("lab_*.ipynb"))


@pytest.mark.assignments
@pytest.mark.parametrize("path", ZH_LABS, ids=lambda p: str(p.relative_to(ROOT).with_suffix("")))
def test_release_and_the_masters_full_marks(path, tmp_path):
    master = read(path)
    done = release(path, tmp_path / "release", gradescope=False)
    check_student_copy(done, master)
    (full,) = grade(done.autograder, [done.solution])
    check_full_marks(full, master)
