"""What a build of the book records (scalingzip.book.record), and when a record is taken as the build
of the sources at hand: the tests check the README's first build instead of building again only
where its record's fingerprint is that of the checkout now."""

import json
import subprocess

import pytest

from scalingzip.book.record import RECORD_VERSION, read_record, record_path, source_fingerprint


@pytest.fixture
def checkout(tmp_path):
    """A small git checkout: a chapter, a package file, a test, a README and an ignored build."""
    root = tmp_path / "book"
    (root / "chapters").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "chapters" / "a.md").write_text("# A\n", encoding="utf-8")
    (root / "package.py").write_text("X = 1\n", encoding="utf-8")
    (root / "tests" / "test_a.py").write_text("def test_a(): pass\n", encoding="utf-8")
    (root / "README.md").write_text("read me\n", encoding="utf-8")
    (root / ".gitignore").write_text("_build/\n", encoding="utf-8")
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


def test_the_fingerprint_follows_what_the_book_is_built_from(checkout):
    first = source_fingerprint(checkout)
    assert first is not None and len(first) == 64
    assert source_fingerprint(checkout / "chapters") == first, "any folder of the checkout: the whole checkout"
    (checkout / "_build").mkdir()
    (checkout / "_build" / "page.html").write_text("built", encoding="utf-8")
    (checkout / "tests" / "test_a.py").write_text("def test_b(): pass\n", encoding="utf-8")
    (checkout / "README.md").write_text("read me again\n", encoding="utf-8")
    assert source_fingerprint(checkout) == first, "the build's output, the tests and the README are not sources"
    (checkout / "package.py").write_text("X = 2\n", encoding="utf-8")
    assert source_fingerprint(checkout) != first, "an edited file, committed or not"
    (checkout / "package.py").write_text("X = 1\n", encoding="utf-8")
    (checkout / "chapters" / "b.md").write_text("# B\n", encoding="utf-8")
    assert source_fingerprint(checkout) != first, "a new file git does not ignore"
    (checkout / "chapters" / "b.md").unlink()
    assert source_fingerprint(checkout) == first


def test_no_fingerprint_outside_a_git_checkout(tmp_path):
    assert source_fingerprint(tmp_path) is None


def test_a_record_counts_only_for_the_sources_it_was_built_from(checkout):
    build = checkout / "_build"
    build.mkdir()
    record = {"version": RECORD_VERSION, "edition": "en", "fingerprint": source_fingerprint(checkout),
              "fresh_cache": True, "warnings": 0, "log": "chapters/a.md: Executed notebook in 1.00 seconds"}
    record_path(build, "en").write_text(json.dumps(record), encoding="utf-8")
    assert read_record(build, "en", checkout) == record
    assert read_record(build, "zh", checkout) is None, "no record of that edition"
    (checkout / "chapters" / "a.md").write_text("# A, edited\n", encoding="utf-8")
    assert read_record(build, "en", checkout) is None, "the sources changed since"
    (checkout / "chapters" / "a.md").write_text("# A\n", encoding="utf-8")
    record_path(build, "en").write_text(json.dumps({**record, "version": RECORD_VERSION + 1}), encoding="utf-8")
    assert read_record(build, "en", checkout) is None, "another version's record"
    record_path(build, "en").write_text("{not json", encoding="utf-8")
    assert read_record(build, "en", checkout) is None
