"""Offline corpora and deterministic splits."""

import hashlib
import platform

import numpy as np
import pytest

from scalingzip.data import text as text_module
from scalingzip.data import (PYTHON_DOCS_SHA256, PYTHON_DOCS_SNAPSHOT_VERSION, corpus_info, load_digits,
                             load_mnist1d, load_sample_images, load_text, python_docs_from_stdlib, split_bytes)


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


def test_python_docs_is_one_snapshot_under_every_python():
    data = load_text("python-docs")
    assert hashlib.sha256(data).hexdigest() == PYTHON_DOCS_SHA256
    assert corpus_info("python-docs").python_version == PYTHON_DOCS_SNAPSHOT_VERSION
    if platform.python_version() == PYTHON_DOCS_SNAPSHOT_VERSION:  # the snapshot is what that release ships
        assert python_docs_from_stdlib() == data


def test_a_damaged_snapshot_is_refused(tmp_path, monkeypatch):
    import lzma

    bad = tmp_path / "python-docs.txt.xz"
    bad.write_bytes(lzma.compress(b"not the documentation"))
    monkeypatch.setattr(text_module, "_SNAPSHOT", bad)
    with pytest.raises(ValueError, match="expected SHA-256"):
        load_text("python-docs")
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="missing or damaged"):
        load_text("python-docs")


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


# --- opt-in downloads ---------------------------------------------------------------------------

import hashlib as _hashlib  # noqa: E402
import io as _io  # noqa: E402
import urllib.error as _urlerror  # noqa: E402
import zipfile as _zipfile  # noqa: E402

from scalingzip.data import downloads as _data  # noqa: E402
from scalingzip.data import vision as _vision  # noqa: E402


def _fake_download(monkeypatch, tmp_path, payload: bytes, published: bytes | None = None):
    """Point the enwik8 entry at an archive served from memory; record the URLs asked for."""
    buf = _io.BytesIO()
    with _zipfile.ZipFile(buf, "w") as z:
        z.writestr("enwik8", payload)
    ref = payload if published is None else published
    spec = _data.Download(url="http://example.invalid/enwik8.zip", member="enwik8", n_bytes=len(ref),
                          sha1=_hashlib.sha1(ref).hexdigest(), source="test")
    monkeypatch.setitem(_data.DOWNLOADS, "enwik8", spec)
    monkeypatch.setenv("SCALINGZIP_CACHE", str(tmp_path / "cache"))
    return _serve(monkeypatch, lambda url: buf.getvalue())


def _serve(monkeypatch, respond):
    """Replace the network: ``urlopen(url)`` answers ``respond(url)``; returns the list of URLs asked."""
    asked = []

    class _Response(_io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def urlopen(url, timeout):
        asked.append(url)
        return _Response(respond(url))

    monkeypatch.setattr(_data.urllib.request, "urlopen", urlopen)
    return asked


def test_a_download_is_never_made_without_asking(monkeypatch, tmp_path):
    asked = _fake_download(monkeypatch, tmp_path, b"wiki text " * 100)
    with pytest.raises(FileNotFoundError, match="download"):
        load_text("enwik8")
    assert asked == []


def test_download_verifies_caches_and_is_then_read_offline(monkeypatch, tmp_path):
    payload = b"wiki text " * 100
    asked = _fake_download(monkeypatch, tmp_path, payload)
    path = _data.download("enwik8")
    assert path.read_bytes() == payload and len(asked) == 1
    assert load_text("enwik8") == payload
    assert _data.download("enwik8") == path and len(asked) == 1  # cached: no second request


def test_a_file_with_the_wrong_checksum_is_refused_and_not_cached(monkeypatch, tmp_path):
    _fake_download(monkeypatch, tmp_path, b"tampered " * 100, published=b"original " * 100)
    with pytest.raises(ValueError, match="SHA-1"):
        _data.download("enwik8")
    assert not (tmp_path / "cache" / "enwik8").exists()


def test_offline_download_says_so(monkeypatch, tmp_path):
    _fake_download(monkeypatch, tmp_path, b"x")

    def offline(url, timeout):
        raise _urlerror.URLError("no network")

    monkeypatch.setattr(_data.urllib.request, "urlopen", offline)
    with pytest.raises(ConnectionError, match="offline"):
        _data.download("enwik8")
    with pytest.raises(ValueError, match="no download named"):
        _data.download("shakespeare")


# --- image data ------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    import socket

    def refuse(*args, **kwargs):
        raise AssertionError("a loader tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_digits_are_the_real_1797_images_split_deterministically(no_network):
    d = load_digits()
    x = np.concatenate([d.x_train, d.x_test])
    y = np.concatenate([d.y_train, d.y_test])
    assert x.shape == (1797, 8, 8) and x.dtype == np.uint8 and x.max() == 16 and x.min() == 0
    assert set(np.unique(y)) == set(range(10)) and d.n_classes == 10
    assert len(d.x_test) == round(0.2 * 1797)
    again = load_digits()
    assert np.array_equal(again.x_test, d.x_test) and np.array_equal(again.y_train, d.y_train)
    other = load_digits(seed=1)
    assert not np.array_equal(other.y_test, d.y_test)
    # the split is a permutation: every image once
    key = lambda a: sorted(map(bytes, a.reshape(len(a), -1)))  # noqa: E731
    assert key(x) == key(np.concatenate([other.x_train, other.x_test]))
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=1.0)


def test_sample_images_are_two_colour_photographs(no_network):
    images = load_sample_images()
    assert sorted(images) == ["china", "flower"]
    for img in images.values():
        assert img.shape == (427, 640, 3) and img.dtype == np.uint8 and img.std() > 20


def test_mnist1d_is_generated_locally_deterministically_and_leaves_global_rng_alone(no_network, monkeypatch):
    import random

    import mnist1d.data

    monkeypatch.setattr(mnist1d.data, "get_dataset", lambda *a, **k: pytest.fail("the download path was used"))
    np.random.seed(123)
    random.seed(123)
    expected_np, expected_py = np.random.random(), random.random()
    np.random.seed(123)
    random.seed(123)
    m = load_mnist1d()
    assert (np.random.random(), random.random()) == (expected_np, expected_py)
    assert m.x_train.shape == (4000, 40) and m.x_test.shape == (1000, 40) and m.x_train.dtype == np.float32
    assert set(np.unique(m.y_train)) == set(range(10)) and m.n_classes == 10
    assert np.array_equal(load_mnist1d().x_test, m.x_test)
    small = load_mnist1d(num_samples=200, seed=1)
    assert small.x_train.shape == (160, 40)
    with pytest.raises(ValueError, match="num_samples"):
        load_mnist1d(num_samples=5)


def _idx(array: np.ndarray) -> bytes:
    header = b"\x00\x00\x08" + bytes([array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _fake_mnist(monkeypatch, tmp_path, tamper: str | None = None):
    import gzip

    rng = np.random.default_rng(0)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (6, 28, 28)),
              "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 6),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (2, 28, 28)),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 2)}
    files = {name: gzip.compress(_idx(a), mtime=0) for name, a in arrays.items()}
    monkeypatch.setattr(_data, "MNIST_FILES", {n: _hashlib.md5(b).hexdigest() for n, b in files.items()})
    if tamper:
        files[tamper] = gzip.compress(b"not the file")
    monkeypatch.setenv("SCALINGZIP_CACHE", str(tmp_path / "cache"))
    return arrays, _serve(monkeypatch, lambda url: files[url.rsplit("/", 1)[1]])


def test_mnist_is_opt_in_md5_checked_and_then_read_offline(monkeypatch, tmp_path):
    arrays, asked = _fake_mnist(monkeypatch, tmp_path)
    with pytest.raises(FileNotFoundError, match=r"download\('mnist'\)"):
        _vision.load_mnist()
    assert asked == []
    folder = _data.download("mnist")
    assert len(asked) == 4 and folder == tmp_path / "cache" / "mnist"
    m = _vision.load_mnist()
    assert np.array_equal(m.x_train, arrays["train-images-idx3-ubyte.gz"]) and m.x_train.dtype == np.uint8
    assert np.array_equal(m.y_test, arrays["t10k-labels-idx1-ubyte.gz"]) and m.n_classes == 10
    _data.download("mnist")
    assert len(asked) == 4  # cached and verified: no second request


def test_a_tampered_mnist_file_is_refused_and_not_saved(monkeypatch, tmp_path):
    _fake_mnist(monkeypatch, tmp_path, tamper="t10k-images-idx3-ubyte.gz")
    with pytest.raises(ValueError, match="MD5"):
        _data.download("mnist")
    assert not (tmp_path / "cache" / "mnist" / "t10k-images-idx3-ubyte.gz").exists()
    with pytest.raises(ValueError, match="not an IDX file"):
        _vision._read_idx(b"\x00\x00\x09\x01" + bytes(8), "x", 1)
    with pytest.raises(ValueError, match="header says"):
        _vision._read_idx(_idx(np.zeros((3, 2)))[:-1], "x", 2)


def test_offline_mnist_download_says_so(monkeypatch, tmp_path):
    _fake_mnist(monkeypatch, tmp_path)

    def offline(url, timeout):
        raise _urlerror.URLError("no route to host")

    monkeypatch.setattr(_data.urllib.request, "urlopen", offline)
    with pytest.raises(ConnectionError, match="are you offline"):
        _data.download("mnist")


# --- the snapshots of other kinds of text ------------------------------------------------------------

from scalingzip.data import snapshots as _snapshots  # noqa: E402


@pytest.mark.parametrize("name", list(_snapshots.SNAPSHOTS))
def test_each_snapshot_is_checked_utf8_text_of_its_kind(name):
    data = _snapshots.load_snapshot(name)
    assert _snapshots.SNAPSHOT_BYTES - 1000 < len(data) <= _snapshots.SNAPSHOT_BYTES and data.endswith(b"\n")
    text = data.decode("utf-8")
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in text) / len(text)
    if name == "pride-and-prejudice":
        assert text.startswith("It is a truth universally acknowledged") and han == 0
    else:
        assert han > 0.4  # mostly Chinese characters (the modern text keeps its markup and code)


def test_a_damaged_or_unknown_snapshot_is_refused(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown snapshot 'moby-dick'"):
        _snapshots.load_snapshot("moby-dick")
    import lzma
    (tmp_path / "guwen-guanzhi.txt.xz").write_bytes(lzma.compress(b"\xe5\x8f\xa4\xe6\x96\x87\n"))
    monkeypatch.setattr(_snapshots, "_FOLDER", tmp_path)
    with pytest.raises(ValueError, match="expected SHA-256"):
        _snapshots.load_snapshot("guwen-guanzhi")
    (tmp_path / "guwen-guanzhi.txt.xz").write_bytes(b"not xz")
    with pytest.raises(ValueError, match="missing or damaged"):
        _snapshots.load_snapshot("guwen-guanzhi")


def test_make_snapshot_reads_translations_and_cuts_at_a_paragraph(tmp_path):
    po = tmp_path / "a.po"
    po.write_text('msgid ""\nmsgstr ""\n"Language: zh_CN\\n"\n\n#: a.rst:1\nmsgid "Hello"\nmsgstr "你好"\n\n'
                  'msgid ""\n"Two "\n"lines"\nmsgstr ""\n"两"\n"行"\n\nmsgid "Untranslated"\nmsgstr ""\n', "utf-8")
    assert _snapshots._po_strings(po.read_text("utf-8")) == ["你好", "两行"]
    assert _snapshots.make_snapshot("zh-python-docs", [po]) == "你好\n".encode()
    assert _snapshots._cut(b"a\n\nb\n\ncc", 5) == b"a\n"
    with pytest.raises(ValueError, match="no paragraph break"):
        _snapshots._cut(b"abcdef", 4)
