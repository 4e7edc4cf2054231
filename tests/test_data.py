"""Offline corpora and deterministic splits."""

import hashlib

import pytest

from scalingzip.data import corpus_info, load_text, split_bytes


def test_python_docs_is_real_english_prose_and_deterministic():
    text = load_text("python-docs")
    assert 300_000 < len(text) < 1_000_000
    assert b"assert" in text[:200] and text.count(b" the ") > 1000
    assert text.decode("utf-8")  # valid UTF-8
    assert load_text("python-docs") == text


def test_corpus_info_describes_the_bytes():
    info = corpus_info("python-docs")
    data = load_text("python-docs")
    assert info.n_bytes == len(data) and info.sha256 == hashlib.sha256(data).hexdigest()


def test_splits_are_contiguous_and_cover_everything():
    data = bytes(range(256)) * 40
    s = split_bytes(data, val_fraction=0.1, test_fraction=0.2)
    assert s.train + s.val + s.test == data
    assert len(s.val) == round(0.1 * len(data)) and len(s.test) == round(0.2 * len(data))


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown corpus"):
        load_text("enwik9")
    with pytest.raises(TypeError, match="must be bytes"):
        split_bytes("text")
    with pytest.raises(ValueError, match="val_fraction must be in"):
        split_bytes(b"abc", val_fraction=1.5)
    with pytest.raises(ValueError, match="must be < 1"):
        split_bytes(b"abc", val_fraction=0.5, test_fraction=0.5)


def test_python_code_is_real_python_source():
    code = load_text("python-code")
    assert 300_000 < len(code) < 1_500_000
    assert code.count(b"def ") > 500 and b"import " in code


def test_a_file_path_loads_its_bytes(tmp_path):
    path = tmp_path / "notes.bin"
    path.write_bytes(bytes(range(256)))
    assert load_text(path) == bytes(range(256))
    assert load_text(str(path)) == bytes(range(256))
    with pytest.raises(ValueError, match="no such file"):
        load_text(tmp_path / "missing.txt")
