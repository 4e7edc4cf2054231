"""The cpython-docs corpus: shipped, checksummed, split by document, refused when damaged, rebuilt reproducibly."""

import hashlib
import lzma
import shutil

import pytest

from scalingzip.data import CORPORA, corpus_info, document_splits, load_text
from scalingzip.data import cpython_docs as C


@pytest.fixture(scope="module")
def docs():
    return C.load_documents()


def test_the_corpus_loads_offline_and_matches_its_checksum(docs):
    text = load_text("cpython-docs")
    assert "cpython-docs" in CORPORA
    assert len(docs) == 497 and len(text) == 11_046_319
    assert hashlib.sha256(text).hexdigest() == C.TEXT_SHA256
    rows = (C.FOLDER / C.MANIFEST_FILE).read_text(encoding="utf-8").splitlines()[1:]
    assert [r.split("\t")[3] for r in rows] == [hashlib.sha256(d.text).hexdigest() for d in docs]
    assert len({d.path for d in docs}) == len(docs)


def test_splits_are_by_document_fixed_and_large_enough(docs):
    assert all(d.split == C.split_of(d.path) for d in docs), "the manifest's splits follow the hash rule"
    splits = document_splits()
    for name in C.SPLITS:
        assert getattr(splits, name) == b"".join(d.text for d in docs if d.split == name)
    assert len(splits.train) + len(splits.val) + len(splits.test) == len(load_text("cpython-docs"))
    assert len(splits.train) >= 10**7  # the data axis of the study reaches 10^7 training bytes, each seen once
    counts = [sum(d.split == name for d in docs) for name in C.SPLITS]
    assert counts == [460, 23, 14] and len(splits.train) == 10_159_820  # as the module's docstring says
    assert min(len(splits.val), len(splits.test)) > 300_000
    with pytest.raises(ValueError, match="not split by document"):
        document_splits("python-docs")


def test_corpus_info_gives_bytes_documents_licence_and_checksum():
    info = corpus_info("cpython-docs")
    assert (info.n_bytes, info.documents, info.sha256, info.python_version) == (11_046_319, 497, C.TEXT_SHA256, "3.11.2")
    assert "PSF" in info.licence and (C.FOLDER / "LICENSE-Python.txt").is_file()


def test_overlap_with_the_old_corpus_is_what_the_docstring_says():
    old = load_text("python-docs").decode("utf-8")
    splits = document_splits()
    lines_of = {name: {line.strip() for line in getattr(splits, name).decode("utf-8").splitlines()} for name in C.SPLITS}
    lines = [line.strip() for line in old.splitlines() if len(line.strip()) >= 40]
    found = [next((s for s in C.SPLITS if line in lines_of[s]), None) for line in lines]
    assert (len(lines), sum(s is not None for s in found)) == (5957, 391)
    assert found.count("train") == 391


def _copy(tmp_path):
    folder = tmp_path / "corpora"
    folder.mkdir(parents=True)
    for name in (C.TEXT_FILE, C.MANIFEST_FILE):
        shutil.copy(C.FOLDER / name, folder / name)
    return folder


def test_a_missing_file_is_refused_with_how_to_restore_it(tmp_path):
    folder = _copy(tmp_path)
    (folder / C.TEXT_FILE).unlink()
    with pytest.raises(FileNotFoundError, match="git checkout -- scalingzip/data/corpora/"):
        C.load_documents(folder)


def test_a_truncated_file_is_refused(tmp_path):
    folder = _copy(tmp_path)
    blob = (folder / C.TEXT_FILE).read_bytes()
    (folder / C.TEXT_FILE).write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="truncated or damaged"):
        C.load_documents(folder)


def test_an_altered_text_or_manifest_is_refused_naming_the_expected_checksum(tmp_path):
    folder = _copy(tmp_path)
    text = bytearray(lzma.decompress((folder / C.TEXT_FILE).read_bytes()))
    text[1000] ^= 1
    (folder / C.TEXT_FILE).write_bytes(lzma.compress(bytes(text), preset=0))
    with pytest.raises(ValueError, match=C.TEXT_SHA256):
        C.load_documents(folder)
    folder = _copy(tmp_path / "again")
    manifest = (folder / C.MANIFEST_FILE).read_bytes()
    (folder / C.MANIFEST_FILE).write_bytes(manifest.replace(b"\ttest\t", b"\ttrain\t", 1))
    with pytest.raises(ValueError, match=C.MANIFEST_SHA256):
        C.load_documents(folder)


def test_the_snapshot_is_rebuilt_byte_for_byte(tmp_path, monkeypatch):
    sources = tmp_path / "_sources"
    (sources / "library").mkdir(parents=True)
    (sources / "library" / "zlib.rst.txt").write_bytes(b":mod:`zlib` --- Compression\n" * 50)
    (sources / "tutorial.rst.txt").write_bytes("Un café, s'il vous plaît.\n".encode() * 30)
    first = C.build_snapshot(sources, tmp_path / "a")
    second = C.build_snapshot(sources, tmp_path / "b")
    assert first == second
    for name in (C.TEXT_FILE, C.MANIFEST_FILE):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    monkeypatch.setattr(C, "TEXT_SHA256", first[0])
    monkeypatch.setattr(C, "MANIFEST_SHA256", first[1])
    docs = C.load_documents(tmp_path / "a")
    assert [d.path for d in docs] == ["library/zlib.rst.txt", "tutorial.rst.txt"]
    assert docs[1].text == (sources / "tutorial.rst.txt").read_bytes()
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no \\*.txt document"):
        C.build_snapshot(tmp_path / "empty", tmp_path / "c")
