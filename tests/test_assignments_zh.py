"""The Chinese edition's labs (``zh/labs/``) as classroom assignments: each released with ``otter assign``
and its master graded by its own autograder, whose tests speak Chinese; and the compression
challenge graded as a class, with an entry that cheats, and its leaderboard in Chinese.

A Chinese lab is the English lab with Chinese words: its code cells are the English ones once
comments and strings are set aside, its otter cells are identical, and its messages' f-strings
compute the same values (:func:`scalingzip.book.editions.problems`, run on every lab by
``tests/test_editions.py``). The two editions' grading share the work: here every test of every
lab, public and hidden, passes on the reference solutions for full marks; in
``tests/test_assignments.py`` the English autograder gives the untouched student copy zero, with a
reason for every failed test, and the plausible wrong answer loses its hidden points while every
other question keeps its own.
"""

import json
from pathlib import Path

import pytest

from scalingzip.classroom.assignments import parse_master
from scalingzip.classroom.grading import grade
from scalingzip.classroom.release import release

from test_assignments import check_full_marks, check_student_copy, read, wrong_submission

ROOT = Path(__file__).resolve().parents[1]
ZH_LABS = sorted((ROOT / "zh" / "labs").glob("lab_*.ipynb"))
CHALLENGE = "lab_compression_challenge"
REFERENCES = ROOT / "results" / "challenge" / "references.json"


def test_every_english_lab_has_its_chinese_one():
    assert [p.name for p in ZH_LABS] == sorted(p.name for p in (ROOT / "labs").glob("lab_*.ipynb"))


@pytest.mark.assignments
@pytest.mark.parametrize("path", ZH_LABS, ids=lambda p: str(p.relative_to(ROOT).with_suffix("")))
def test_release_and_the_masters_full_marks(path, tmp_path):
    """Each Chinese lab released (the student copy keeps no secret) and its master graded: full marks,
    every test passing silently. The compression challenge's class also holds an entry that hides
    the text instead of sending it (tests/challenge_entries/cheat.py), and gets its leaderboard."""
    master = read(path)
    done = release(path, tmp_path / "release", gradescope=False)
    check_student_copy(done, master)
    ada = tmp_path / "ada.ipynb"  # a student who hands in the reference solutions
    ada.write_bytes(done.solution.read_bytes())
    class_ = [ada]
    if path.stem == CHALLENGE:
        cheat_source = (ROOT / "tests" / "challenge_entries" / "cheat.py").read_text(encoding="utf-8")
        class_.append(wrong_submission(done.solution, "entry", f"SOURCE = {cheat_source!r}\nARTIFACTS = {{}}",
                                       tmp_path / "mallory.ipynb"))
    full, *cheats = grade(done.autograder, class_)
    check_full_marks(full, master)
    if path.stem == CHALLENGE:
        check_the_challenges_class(full, cheats[0], master, tmp_path / "grades")


def check_the_challenges_class(ada, mallory, master, grades: Path) -> None:
    """The compression challenge graded as a class: the master's entry is scored on the hidden text and
    its score reaches the gradebook; an entry that hides the text on disk, in a global or in the
    environment instead of sending it decodes nothing and scores zero on the entry, and keeps every
    other question's points; the leaderboard, in Chinese, ranks both beside the reference entries."""
    from scalingzip.classroom.challenge import Score
    from scalingzip.classroom.gradebook import Gradebook, LabQuestion
    from scalingzip.classroom.leaderboard import write_board

    references = json.loads(REFERENCES.read_text(encoding="utf-8"))
    mixing = next(Score.from_json(e) for e in references["entries"] if e["name"] == "course mixing")
    score = Score.from_json(ada.challenge)
    assert score.correct and score.text_bytes == mixing.text_bytes
    assert score.compressed_bytes == mixing.compressed_bytes  # the course's mixer, integer-exact on any machine
    assert score.total_bytes == score.artifact_bytes + mixing.compressed_bytes

    assert mallory.error is None and mallory.scores["entry"] == 0, mallory.feedback
    assert all(mallory.scores[q] == mallory.possible[q] for q in mallory.scores if q != "entry")
    cheated = Score.from_json(mallory.challenge)
    assert not cheated.correct and "nothing was left behind" in cheated.error, cheated.error

    questions = [LabQuestion(q.name, q.possible, q.manual) for q in parse_master(master)]
    Gradebook(grades, CHALLENGE, questions).record([ada, mallory])
    page = write_board(grades, references=REFERENCES, language="zh").read_text(encoding="utf-8")
    assert page.index("ada") < page.index("mallory")  # ranked first, the failed entry after
    assert "nothing was left behind" in page and "xz -9e" in page and "course mixing" in page
    assert '<html lang="zh-Hans">' in page and "名次" in page
