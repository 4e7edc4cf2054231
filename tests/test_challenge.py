"""The compression challenge's scorer (scalingzip.classroom.challenge): entries, limits, and the
sandbox that lets nothing pass from encoder to decoder unpaid.

The sandboxed tests need bubblewrap; outside CI they are skipped without it (``.ci/run`` installs it).
"""

import json
import os
import shutil
from pathlib import Path

import pytest

from scalingzip.classroom import challenge as ch

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = ROOT / "tests" / "challenge_entries"
TEXT = (ROOT / "scalingzip" / "classroom" / "challenge.py").read_bytes()[:20_000]  # any real text

ZLIB = b"""import zlib


def compress(data, artifacts):
    return zlib.compress(data, 9)


def decompress(blob, artifacts):
    return zlib.decompress(blob)
"""


def _bwrap():
    problem = ch.sandbox_problem()
    if problem and not os.environ.get("CI"):
        pytest.skip(problem)
    assert problem is None, problem


@pytest.fixture(scope="module")
def bwrap():
    _bwrap()
    return "bwrap"


def entry(body: str, **artifacts) -> ch.Entry:
    return ch.Entry(body.encode(), artifacts)


# --- entries -------------------------------------------------------------------------------------

def test_an_entry_round_trips_through_its_folder(tmp_path):
    ch.save_entry(tmp_path / "e", ZLIB, {"table.bin": b"\x00\x01", "notes.txt": b"hi"})
    got = ch.load_entry(tmp_path / "e")
    assert got == ch.Entry(ZLIB, {"notes.txt": b"hi", "table.bin": b"\x00\x01"})
    assert got.artifact_bytes == len(ZLIB) + 4  # the source is paid for too
    assert got.digest() != ch.Entry(ZLIB, {"table.bin": b"\x00\x02", "notes.txt": b"hi"}).digest()


def test_entries_the_grader_refuses_say_why(tmp_path):
    with pytest.raises(FileNotFoundError, match="no entry folder"):
        ch.load_entry(tmp_path / "missing")
    (tmp_path / "e").mkdir()
    with pytest.raises(FileNotFoundError, match="submission.py"):
        ch.load_entry(tmp_path / "e")
    ch.save_entry(tmp_path / "e", ZLIB)
    secret = tmp_path / "hidden.txt"
    secret.write_bytes(b"the hidden text")
    (tmp_path / "e" / "artifacts" / "link").symlink_to(secret)  # a link would hand the decoder any file
    with pytest.raises(ValueError, match="link"):
        ch.load_entry(tmp_path / "e")
    (tmp_path / "e" / "artifacts" / "link").unlink()
    (tmp_path / "e" / "artifacts" / "sub").mkdir()
    with pytest.raises(ValueError, match="folder"):
        ch.load_entry(tmp_path / "e")
    with pytest.raises(ValueError, match="artifact name"):
        ch.Entry(ZLIB, {"../escape": b""})
    with pytest.raises(ValueError, match="over the limit of 100"):
        ch.save_entry(tmp_path / "big", ZLIB, {"w.bin": bytes(100)}, limits=ch.Limits(artifact_bytes=100))


def test_a_score_counts_the_decoder_and_the_data():
    s = ch.Score(name="a", text_bytes=1000, artifact_bytes=100, compressed_bytes=150)
    assert s.correct and s.total_bytes == 250 and s.bits_per_byte == 2.0
    failed = ch.Score(name="b", text_bytes=1000, artifact_bytes=100, compressed_bytes=10, error="wrong bytes")
    assert not failed.correct and failed.total_bytes is None and failed.bits_per_byte is None
    assert ch.Score.from_json(s.to_json()) == s


def test_record_hands_the_score_to_the_grader(tmp_path, monkeypatch):
    s = ch.Score(name="a", text_bytes=10, artifact_bytes=1, compressed_bytes=2)
    ch.record(s)  # nobody asked: nothing written, no error
    monkeypatch.setenv(ch.RECORD_ENV, str(tmp_path / "score.json"))
    ch.record(s)
    assert ch.Score.from_json(json.loads((tmp_path / "score.json").read_text())) == s


def test_an_unknown_route_is_refused():
    with pytest.raises(ValueError, match="sandbox must be one of"):
        ch.score(entry("x = 1"), b"text", sandbox="docker")
    with pytest.raises(TypeError, match="bytes"):
        ch.score(entry("x = 1"), "text", sandbox="none")


# --- scoring in the sandbox ----------------------------------------------------------------------

def test_a_correct_entry_scores_its_total(bwrap):
    s = ch.score(ch.Entry(ZLIB), TEXT, name="zlib", sandbox=bwrap)
    assert s.error is None, s.error
    import zlib

    assert s.compressed_bytes == len(zlib.compress(TEXT, 9))
    assert s.total_bytes == len(ZLIB) + s.compressed_bytes and s.sandbox == "bwrap"
    assert 0 < s.compress_s < 30 and 0 < s.decompress_s < 30


def test_the_old_one_argument_compress_is_accepted(bwrap):
    body = ZLIB.decode().replace("def compress(data, artifacts):", "def compress(data):")
    assert ch.score(entry(body), TEXT, sandbox=bwrap).correct


@pytest.mark.parametrize("body, message", [
    (ZLIB.decode().replace("return zlib.decompress(blob)", "return zlib.decompress(blob)[:-1]"),
     "gave back 19,999 bytes, not the text's 20,000"),
    (ZLIB.decode().replace("return zlib.decompress(blob)", "return bytes(b ^ (i == 7) for i, b in enumerate(zlib.decompress(blob)))"),
     "first difference is at byte 7"),
    (ZLIB.decode().replace("return zlib.compress(data, 9)", "return zlib.compress(data, 9).hex()"),
     "compress must return bytes, it returned str"),
    (ZLIB.decode().replace("return zlib.decompress(blob)", "return {}['model']"),
     "decompress raised KeyError at line 9: 'model'"),
    ("import numpy\nimport no_such_module\n", "does not import: ModuleNotFoundError"),
    ("def compress(data, artifacts):\n    return data\n", "defines no function decompress"),
])
def test_a_wrong_entry_scores_nothing_and_says_why(bwrap, body, message):
    s = ch.score(entry(body), TEXT, sandbox=bwrap)
    assert not s.correct and s.total_bytes is None
    assert message in s.error, s.error


def test_limits_stop_an_entry_with_a_clear_message(bwrap):
    spin = "def compress(data, artifacts):\n    while True:\n        pass\n"
    s = ch.score(entry(spin), TEXT, sandbox=bwrap, limits=ch.Limits(cpu_s=1.5))
    assert s.error.startswith("over the CPU limit: compress used more than 1.5 s"), s.error
    hog = "def compress(data, artifacts):\n    b = bytearray(400 * 10**6)\n    b[::4096] = b'x' * len(b[::4096])\n    return bytes(b)\n"
    s = ch.score(entry(hog), TEXT, sandbox=bwrap, limits=ch.Limits(memory_bytes=300 * 10**6))
    assert s.error.startswith("over the memory limit: compress used more than 0.3 GB"), s.error
    sleep = "import time\n\ndef compress(data, artifacts):\n    time.sleep(60)\n"
    s = ch.score(entry(sleep), TEXT, sandbox=bwrap, limits=ch.Limits(cpu_s=1, wall_s=2))
    assert s.error.startswith("over the time limit: compress ran more than 2 s"), s.error
    s = ch.score(ch.Entry(ZLIB, {"w.bin": bytes(200)}), TEXT, sandbox=bwrap, limits=ch.Limits(artifact_bytes=200))
    assert "over the limit of 200" in s.error


def test_nothing_passes_from_encoder_to_decoder_unpaid(bwrap):
    """The cheat hides the text in a global, the environment, files everywhere it can write and a
    socket; under the sandbox its decoder finds none of them."""
    s = ch.score(ch.Entry((ENTRIES / "cheat.py").read_bytes()), TEXT, sandbox=bwrap)
    assert not s.correct
    assert "nothing was left behind" in s.error, s.error


def test_the_decoder_sees_no_data_no_grader_files_and_no_network(bwrap, tmp_path):
    hidden = tmp_path / "hidden.txt"
    hidden.write_bytes(TEXT)
    paths = "\n".join([str(hidden), str(ROOT / "labs"), str(ROOT / "tests")]).encode()
    s = ch.score(ch.Entry((ENTRIES / "peek.py").read_bytes(), {"paths.txt": paths}), TEXT, sandbox=bwrap)
    assert s.error is None, s.error  # the decoder's every look failed, so it decoded honestly


def test_without_the_sandbox_globals_and_the_environment_still_do_not_pass(tmp_path):
    """The "none" route: separate processes with private folders. A file left at an absolute path
    would pass (the instructor guide says so); the cheat's other channels still fail."""
    body = (ENTRIES / "cheat.py").read_text().replace('PLACES = [', 'PLACES = [] and [')
    s = ch.score(entry(body), TEXT, sandbox="none")
    assert not s.correct and "nothing was left behind" in s.error, s.error
    for leftover in ("/tmp/leak.bin", "/var/tmp/leak.bin", "/dev/shm/leak.bin"):
        assert not Path(leftover).exists()


def test_the_sandbox_needs_bubblewrap_and_says_how_to_get_it(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert "apt-get install bubblewrap" in ch.sandbox_problem()
    with pytest.raises(RuntimeError, match="apt-get install bubblewrap"):
        ch.score(ch.Entry(ZLIB), TEXT, sandbox="bwrap")


def test_the_private_tmp_is_capped(bwrap):
    """Files in the sandbox's /tmp live in memory that the memory limit does not see, so /tmp is capped."""
    fill = '''
def compress(data, artifacts):
    written = 0
    try:
        for i in range(12):
            with open(f"/tmp/f{i}", "wb") as f:
                f.write(bytes(50 * 2**20))
            written += 50
    except OSError:
        pass
    return str(written).encode()


def decompress(blob, artifacts):
    raise RuntimeError(f"{blob.decode()} MB written")
'''
    if not ch._bwrap_sizes_tmpfs():
        pytest.skip("this bubblewrap cannot size a tmpfs (0.7 and later can)")
    s = ch.score(entry(fill), TEXT, sandbox=bwrap)
    assert "MB written" in s.error and int(s.error.split(": ")[-1].split()[0]) <= 512, s.error


def test_the_private_tmp_comes_before_every_bind(tmp_path):
    """A checkout or a virtual environment under /tmp (a fresh clone in CI) must stay visible: the
    private /tmp is mounted first and the binds land on top of it."""
    args = ch._bwrap_prefix(tmp_path / "entry", tmp_path / "cache")
    tmpfs = args.index("/tmp", args.index("--tmpfs"))
    binds = [i for i, a in enumerate(args) if a in ("--ro-bind", "--bind", "--ro-bind-try")]
    assert binds and min(binds) > tmpfs


def test_the_compiled_loops_are_made_once_per_version_of_the_package(tmp_path, monkeypatch):
    """The warm-up that compiles the course's loops for the sandbox runs once per version of the
    package, not once per process: its result is moved whole into the user's cache folder, where
    the next process (here: the same one, its memory cleared) finds it without running anything;
    another version of the package's sources has its own."""
    runs = []

    def fake_warm_up(side, work, route, cache, limits):  # what the warm-up leaves: Numba's index files
        runs.append(side)
        (cache / "loops.nbi").write_bytes(b"compiled")
        return 0.0, None

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(ch, "_run_child", fake_warm_up)
    monkeypatch.setattr(ch, "_WARM_CACHES", {})
    first = ch._warm_cache("none", ch.LIMITS)
    assert runs == ["warm"] and first.parent == tmp_path / "scalingzip" / "challenge"
    assert (first / "loops.nbi").read_bytes() == b"compiled"
    assert [p.name for p in first.parent.iterdir()] == [first.name], "nothing else left behind"
    monkeypatch.setattr(ch, "_WARM_CACHES", {})  # a new process
    assert ch._warm_cache("none", ch.LIMITS) == first and runs == ["warm"]
    monkeypatch.setattr(ch, "_code_key", lambda route: "another-version")
    monkeypatch.setattr(ch, "_WARM_CACHES", {})
    assert ch._warm_cache("none", ch.LIMITS).name == "numba-another-version" and runs == ["warm", "warm"]
