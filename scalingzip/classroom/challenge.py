"""The compression challenge: a compressor scored by the total description length of a text it never saw.

An **entry** is a folder with two things (:class:`Entry`, :func:`save_entry`, :func:`load_entry`):

- ``submission.py``, a Python module with two functions::

      def compress(data: bytes, artifacts: dict[str, bytes]) -> bytes: ...
      def decompress(blob: bytes, artifacts: dict[str, bytes]) -> bytes: ...

  (``compress(data)`` with one parameter is accepted too);
- ``artifacts/``, the files the decoder needs (weights, dictionaries, tables), given to both
  functions as a dict from file name to bytes.

Its **score** (:func:`score`) is the description length of the hidden text under the entry's
two-part code, in bytes: the decoder (``submission.py`` and every artifact) plus the compressed
text. Lower is better, and an entry scores only if the decoder gives back the text byte for byte.
Counting the decoder's source is the Hutter Prize's rule: a table typed into the source is paid
for like a table in a file. The course's package is the shared library every entry may import, but
its data (the corpora, the pretrained models) is not visible to an entry: a model it uses is an
artifact, and paid for.

**Nothing passes from encoder to decoder unpaid.** ``compress`` and ``decompress`` run in two
separate processes, one after the other. Each starts from a fresh copy of the entry; the decoder
receives the entry and the compressed bytes, nothing else. The routes (:data:`SANDBOXES`):

- ``"bwrap"`` (the default): each process runs under bubblewrap (Debian's ``bubblewrap``) with no
  network and a private, empty view of the file system. The system's ``/usr``, the interpreter and
  the course's code are bound read-only (its data hidden); the entry's folder is ``/entry`` and
  ``/tmp`` is a private memory file system. A file the encoder writes anywhere, an environment
  variable it sets, a module global, a socket: none reaches the decoder. The hidden text is not
  visible to either process except as the encoder's input.
- ``"none"``: plain child processes with a cleared environment, the entry's private folder as
  their working directory, ``HOME`` and ``TMPDIR``. Module globals and environment variables do
  not pass, nor files written to those folders; a file written to an absolute path elsewhere (say
  ``/var/tmp``) does, and so does the network. Use it only where bubblewrap cannot run (in some
  containers) and the class is trusted, or with otter's container grading.

**Limits** (:class:`Limits`), enforced on each process and all it starts, with a clear message:
60 s of CPU on one core (the process is pinned to one), 2 GB of memory, 16 MB of artifacts
(decimal, as in OpenAI's Parameter Golf), plus a wall-clock limit for one that sleeps.

Run as ``python -m scalingzip.classroom.challenge MODE FOLDER`` this module is the child: it
loads ``FOLDER/submission.py`` and its artifacts, runs ``compress`` or ``decompress`` on
``FOLDER/input.bin`` and writes ``FOLDER/output.bin``.

References: the Hutter Prize's rules (http://prize.hutter1.net); Rissanen's two-part code (1978).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["ARTIFACTS_DIR", "HIDDEN_PEPS", "LIMITS", "REFERENCES", "SANDBOXES", "SUBMISSION_FILE", "Entry", "Limits",
           "Score", "find_hidden_text", "hidden_text_from_peps", "load_entry", "read_text_file", "record",
           "reference_entries", "reference_totals", "sandbox_problem", "save_entry", "score", "score_cached",
           "score_here", "score_references", "stored_references"]

SUBMISSION_FILE = "submission.py"
ARTIFACTS_DIR = "artifacts"
SANDBOXES = ("bwrap", "none")
RECORD_ENV = "SCALINGZIP_CHALLENGE_RECORD"  # where the grading child wants the score written
SANDBOX_ENV = "SCALINGZIP_CHALLENGE_SANDBOX"  # an instructor's choice of route, when a call names none
HIDDEN_TEXT = Path("challenge") / "hidden-text.txt.xz"  # under the labs' folder: the autograder's file
_ARTIFACT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_POLL_S = 0.05
_MAX_OUTPUT = 1 << 28  # no single file a child writes may pass 256 MB


@dataclass(frozen=True, kw_only=True)
class Limits:
    """What one entry may use; each process (compressing, decompressing) gets its own CPU and memory."""

    cpu_s: float = 60.0  # CPU seconds, all threads and child processes together, pinned to one core
    memory_bytes: int = 2 * 10**9  # resident memory of the process and all it starts
    artifact_bytes: int = 16 * 10**6  # the decoder's source plus its artifacts
    wall_s: float | None = None  # wall-clock seconds; default twice the CPU limit plus 30 s

    def __post_init__(self) -> None:
        if not (self.cpu_s > 0 and self.memory_bytes > 0 and self.artifact_bytes > 0):
            raise ValueError("every limit must be positive")

    @property
    def wall(self) -> float:
        return self.wall_s if self.wall_s is not None else 2 * self.cpu_s + 30


LIMITS = Limits()


@dataclass(frozen=True, kw_only=True)
class Score:
    """One entry's result on the hidden text: what the board shows."""

    name: str  # a student's id, or a reference entry's label
    text_bytes: int  # length of the hidden text
    artifact_bytes: int  # the decoder's source plus every artifact file: what the decoder is given
    compressed_bytes: int | None = None  # None when the entry failed
    compress_s: float | None = None  # CPU seconds of the compressing process
    decompress_s: float | None = None  # CPU seconds of the decompressing process
    error: str | None = None  # why it scored nothing: bytes decoded wrong, a limit, a crash
    reference: bool = False  # a reference entry (drawn as a line on the board), not a student's
    sandbox: str = ""  # the route it was scored under

    @property
    def correct(self) -> bool:
        return self.error is None and self.compressed_bytes is not None

    @property
    def total_bytes(self) -> int | None:
        """The score: artifact bytes plus compressed bytes (lower is better); None when it failed."""
        return self.artifact_bytes + self.compressed_bytes if self.correct else None

    @property
    def bits_per_byte(self) -> float | None:
        """The total, in bits per byte of the hidden text."""
        return 8 * self.total_bytes / self.text_bytes if self.correct else None

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Score:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class Entry:
    """A submitted compressor: the module's source and the artifacts its decoder is given."""

    source: bytes
    artifacts: Mapping[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.source, bytes):
            raise TypeError(f"source must be bytes (the text of {SUBMISSION_FILE}), got {type(self.source).__name__}")
        for name, data in self.artifacts.items():
            _check_artifact_name(name)
            if not isinstance(data, (bytes, bytearray)):
                raise TypeError(f"artifact {name!r} must be bytes, got {type(data).__name__}")

    @property
    def artifact_bytes(self) -> int:
        """What the decoder costs: its source plus every artifact, in bytes."""
        return len(self.source) + sum(len(v) for v in self.artifacts.values())

    def digest(self) -> str:
        """SHA-256 of the source and the artifacts, names included: which entry was scored."""
        h = hashlib.sha256(self.source)
        for name in sorted(self.artifacts):
            h.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(self.artifacts[name]).digest())
        return h.hexdigest()


def _check_artifact_name(name: str) -> None:
    if not isinstance(name, str) or not _ARTIFACT_NAME.match(name):
        raise ValueError(f"artifact name {name!r}: use letters, digits, '.', '_' and '-' (at most 100, "
                         "not starting with '.'), one folder level")


def save_entry(folder: str | os.PathLike, source: str | bytes, artifacts: Mapping[str, bytes] | None = None,
               *, limits: Limits = LIMITS) -> Path:
    """Write an entry to ``folder`` (``submission.py`` and ``artifacts/``), replacing one there.

    Raises:
        ValueError: a bad artifact name, or the entry over the artifact limit.
    """
    entry = Entry(source.encode("utf-8") if isinstance(source, str) else bytes(source), dict(artifacts or {}))
    _check_size(entry, limits)
    folder = Path(folder)
    if (folder / ARTIFACTS_DIR).is_dir():
        shutil.rmtree(folder / ARTIFACTS_DIR)
    (folder / ARTIFACTS_DIR).mkdir(parents=True)
    (folder / SUBMISSION_FILE).write_bytes(entry.source)
    for name, data in entry.artifacts.items():
        (folder / ARTIFACTS_DIR / name).write_bytes(bytes(data))
    return folder


def load_entry(folder: str | os.PathLike, *, limits: Limits = LIMITS) -> Entry:
    """Read an entry folder, checking it as the grader does.

    Raises:
        FileNotFoundError: no folder, or no ``submission.py`` in it.
        ValueError: a link, a sub-folder or a badly named file among the artifacts (the decoder gets
            plain files only), or the entry over the artifact limit.
    """
    folder = Path(folder)
    source_path = folder / SUBMISSION_FILE
    if not folder.is_dir():
        raise FileNotFoundError(f"no entry folder at {folder}")
    if source_path.is_symlink() or not source_path.is_file():
        raise FileNotFoundError(f"{folder} has no {SUBMISSION_FILE} (a plain file defining compress and decompress)")
    artifacts = {}
    art = folder / ARTIFACTS_DIR
    if art.is_symlink():
        raise ValueError(f"{art} is a link: the artifacts must be plain files in a plain folder")
    if art.exists():
        if not art.is_dir():
            raise ValueError(f"{art} is not a folder")
        for path in sorted(art.iterdir()):
            if path.is_symlink() or not path.is_file():
                raise ValueError(f"artifact {path.name!r} is a link or a folder: the decoder gets plain files only")
            _check_artifact_name(path.name)
            artifacts[path.name] = path.read_bytes()
    entry = Entry(source_path.read_bytes(), artifacts)
    _check_size(entry, limits)
    return entry


def _check_size(entry: Entry, limits: Limits) -> None:
    if entry.artifact_bytes > limits.artifact_bytes:
        raise ValueError(f"the entry's source and artifacts hold {entry.artifact_bytes:,} bytes, over the limit "
                         f"of {limits.artifact_bytes:,}")


# --- the sandbox ---------------------------------------------------------------------------------

def sandbox_problem() -> str | None:
    """Why the ``"bwrap"`` route cannot run here (None when it can)."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return ("bubblewrap is not installed: sudo apt-get install bubblewrap (Debian, Ubuntu), or score with "
                f"sandbox='none' ({SANDBOX_ENV}=none), which does not stop files left on disk")
    try:
        done = subprocess.run([bwrap, "--unshare-all", "--ro-bind", "/", "/", "true"], capture_output=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"bubblewrap does not run here ({err})"
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        return (f"bubblewrap cannot make its namespaces here ({why[0]}); in a container, grade with otter's "
                f"container route or sandbox='none'")
    return None


def _route(sandbox: str | None) -> str:
    route = sandbox or os.environ.get(SANDBOX_ENV) or "bwrap"
    if route not in SANDBOXES:
        raise ValueError(f"sandbox must be one of {', '.join(SANDBOXES)}, got {route!r}")
    if route == "bwrap":
        problem = sandbox_problem()
        if problem:
            raise RuntimeError(f"cannot score in a sandbox: {problem}")
    return route


def _package_dir() -> Path:
    import scalingzip

    return Path(scalingzip.__file__).resolve().parent


def _data_dirs(package: Path) -> list[Path]:
    """Folders of the package that hold no Python: its data, hidden from an entry."""
    return sorted(p for p in package.rglob("*") if p.is_dir() and p.name != "__pycache__"
                  and not any(p.rglob("*.py")))


def _bwrap_prefix(entry_dir: Path, cache_dir: Path) -> list[str]:
    package = _package_dir()
    # a private /tmp in memory, capped where this bubblewrap can (0.7 and later), since RSS does not count
    # it; made first, so that the binds below (an interpreter or a checkout under /tmp) land on top of it
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
            *(["--size", str(_TMP_BYTES)] if _bwrap_sizes_tmpfs() else []), "--tmpfs", "/tmp",
            "--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for path in ("/etc/ld.so.cache", "/etc/localtime"):
        args += ["--ro-bind-try", path, path]
    binds = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent,
             package}
    for path in sorted(binds):
        if not str(path).startswith("/usr/"):
            args += ["--ro-bind", str(path), str(path)]
    for data in _data_dirs(package):
        args += ["--tmpfs", str(data)]
    args += ["--proc", "/proc", "--dev", "/dev", "--bind", str(entry_dir), "/entry",
             "--bind", str(cache_dir), "/numba-cache", "--chdir", "/entry"]
    for key, value in _child_env("/tmp", "/numba-cache").items():
        args += ["--setenv", key, value]
    return args


_TMP_BYTES = 512 * 2**20


@functools.cache
def _bwrap_sizes_tmpfs() -> bool:
    done = subprocess.run(["bwrap", "--help"], capture_output=True, text=True)
    return "--size" in done.stdout + done.stderr


def _child_env(home: str, cache: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", "PYTHONHASHSEED": "0",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1",
            "MPLBACKEND": "Agg", "NUMBA_CACHE_DIR": cache}


def _limit_child(limits: Limits):
    def apply() -> None:
        import resource

        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpus[0]})
        cpu = int(limits.cpu_s) + 2  # a backstop per process; the watcher counts the whole tree
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (_MAX_OUTPUT, _MAX_OUTPUT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def _tree(proc):
    import psutil

    try:
        root = psutil.Process(proc.pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _usage(processes) -> tuple[float, int]:
    """CPU seconds (with reaped children) and resident bytes of a process tree, as far as it can be read."""
    import psutil

    cpu, rss = 0.0, 0
    for p in processes:
        try:
            t = p.cpu_times()
            cpu += t.user + t.system + t.children_user + t.children_system
            rss += p.memory_info().rss
        except psutil.Error:
            pass
    return cpu, rss


def _run_child(mode: str, work: Path, route: str, cache: Path, limits: Limits) -> tuple[float, str | None]:
    """Run one side in its sandbox; return its CPU seconds and why it failed (None if it did not)."""
    from scalingzip.classroom.grading import _kill_tree

    python = [sys.executable, "-I", "-m", "scalingzip.classroom.challenge", mode]
    if route == "bwrap":
        cmd, env, cwd = [*_bwrap_prefix(work, cache), *python, "/entry"], {}, None
    else:
        home = work / "home"
        home.mkdir(exist_ok=True)
        cmd, env, cwd = [*python, str(work)], _child_env(str(home), str(cache)), work
    log = work.parent / f"{mode}.log"
    started = time.perf_counter()
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                cwd=cwd, preexec_fn=_limit_child(limits))
        cpu, reason = 0.0, None
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                cpu = max(cpu, rusage.ru_utime + rusage.ru_stime)  # under bwrap, only bwrap's own
                break
            time.sleep(_POLL_S)
            tree_cpu, rss = _usage(_tree(proc))
            cpu = max(cpu, tree_cpu)
            if cpu > limits.cpu_s:
                reason = f"over the CPU limit: {mode} used more than {limits.cpu_s:g} s of CPU"
            elif rss > limits.memory_bytes:
                reason = f"over the memory limit: {mode} used more than {limits.memory_bytes / 1e9:g} GB"
            elif time.perf_counter() - started > limits.wall:
                reason = f"over the time limit: {mode} ran more than {limits.wall:g} s (waiting, or sleeping)"
            if reason:
                _kill_tree(proc)
                return cpu, reason
    if cpu > limits.cpu_s or proc.returncode in (-9, -24, 128 + 24):  # SIGXCPU from the per-process backstop
        return cpu, f"over the CPU limit: {mode} used more than {limits.cpu_s:g} s of CPU"
    try:
        cpu = max(cpu, float((work / "cpu.txt").read_text()))
    except (OSError, ValueError):
        pass
    error = work / "error.txt"
    if error.is_file():
        return cpu, error.read_text(encoding="utf-8", errors="replace")[:2000]
    if proc.returncode != 0 or not (work / "output.bin").is_file():
        tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:] or ["no output"]
        return cpu, f"{mode} crashed (exit status {proc.returncode}): {tail[0][:300]}"
    return cpu, None


def _stage(entry: Entry, folder: Path, data: bytes) -> Path:
    """A fresh copy of the entry with one input, in a folder of its own."""
    folder.mkdir()
    (folder / SUBMISSION_FILE).write_bytes(entry.source)
    (folder / ARTIFACTS_DIR).mkdir()
    for name, value in entry.artifacts.items():
        (folder / ARTIFACTS_DIR / name).write_bytes(bytes(value))
    (folder / "input.bin").write_bytes(data)
    return folder


_WARM_CACHES: dict[str, Path] = {}


def _code_key(route: str) -> str:
    """What the compiled loops depend on: the package's source files, Numba's and Python's versions, the route."""
    import numba

    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(f"{route}\0{numba.__version__}\0{sys.version}\0{package}".encode())
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:24]


def _cache_home() -> Path | None:
    """This user's folder of compiled loops (``$XDG_CACHE_HOME/scalingzip/challenge``, else
    ``~/.cache/...``), readable by the user alone; None if it cannot be made."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = base / "scalingzip" / "challenge"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK | os.X_OK) else None


def _warm_cache(route: str, limits: Limits) -> Path:
    """Numba's compiled loops of the package, made in the same sandbox as an entry's, so an entry that
    uses the course's coders does not pay their compilation; each side gets a copy.

    They are made once per version of the package: kept in this user's cache folder
    (:func:`_cache_home`) under a key of the package's sources (:func:`_code_key`), each made by a
    process that runs the course's code alone and moved into place whole, so any process after the
    first (each kernel a student restarts, each notebook graded) copies them in milliseconds
    instead of compiling them for seconds. Where there is no such folder, once per process."""
    if route in _WARM_CACHES and _WARM_CACHES[route].is_dir():
        return _WARM_CACHES[route]
    home = _cache_home()
    kept = home / f"numba-{_code_key(route)}" if home is not None else None
    if kept is not None and kept.is_dir():
        _WARM_CACHES[route] = kept
        return kept
    root = Path(tempfile.mkdtemp(prefix="challenge-cache-", dir=home))
    cache = root / "numba"
    cache.mkdir()
    warm = Entry(_WARM_SOURCE.encode())
    work = _stage(warm, root / "warm", b"warm-up: load the compiled loops " * 4)
    _, error = _run_child("warm", work, route, cache, Limits(cpu_s=max(limits.cpu_s, 300.0)))
    shutil.rmtree(work, ignore_errors=True)
    if error:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"the sandbox could not run the course's code: {error}")
    if kept is not None:
        try:
            os.rename(cache, kept)  # whole, or not at all; another process may have put its own first
        except OSError:
            pass
        if kept.is_dir():
            shutil.rmtree(root, ignore_errors=True)
            cache = kept
    _WARM_CACHES[route] = cache
    return cache


_WARM_SOURCE = '''\
import scalingzip.compressors as sz


def compress(data, artifacts):
    for mode in ("stored", "static", "order0", "ppm", "mixing"):
        assert sz.decompress(sz.compress(data, mode)) == data
    return data
'''


def score(entry: Entry, text: bytes, *, name: str = "entry", limits: Limits = LIMITS, sandbox: str | None = None,
          reference: bool = False) -> Score:
    """Score an entry on ``text``: compress it in one sandboxed process, decompress in another.

    Never raises for a bad entry: a decoder that gives back other bytes, an exception, a limit
    exceeded, all score nothing, with the reason in :attr:`Score.error`.

    Raises:
        RuntimeError: the sandbox asked for cannot run on this machine (the message says why).
        TypeError: ``text`` is not bytes.
    """
    if not isinstance(text, (bytes, bytearray)):
        raise TypeError(f"text must be bytes, got {type(text).__name__}")
    text = bytes(text)
    route = _route(sandbox)
    cache = _warm_cache(route, limits)
    result = dict(name=name, text_bytes=len(text), artifact_bytes=entry.artifact_bytes, reference=reference,
                  sandbox=route)
    if entry.artifact_bytes > limits.artifact_bytes:
        return Score(**result, error=f"the source and artifacts hold {entry.artifact_bytes:,} bytes, over the "
                                     f"limit of {limits.artifact_bytes:,}")
    with tempfile.TemporaryDirectory(prefix="challenge-") as scratch:
        scratch = Path(scratch)
        times = {}
        blob = b""
        for side, data in (("compress", text), ("decompress", None)):
            own_cache = scratch / f"{side}-numba"
            shutil.copytree(cache, own_cache)
            work = _stage(entry, scratch / side, blob if data is None else data)
            cpu, error = _run_child(side, work, route, own_cache, limits)
            times[f"{side}_s"] = round(cpu, 3)
            if error:
                return Score(**result, **times, error=error)
            output = (work / "output.bin").read_bytes()
            shutil.rmtree(work)  # nothing of one side survives into the other
            if side == "compress":
                blob = output
        if output != text:
            return Score(**result, **times, compressed_bytes=len(blob), error=_difference(output, text))
    return Score(**result, **times, compressed_bytes=len(blob))


def _difference(got: bytes, want: bytes) -> str:
    if len(got) != len(want):
        return f"decompress gave back {len(got):,} bytes, not the text's {len(want):,}"
    first = next(i for i, (a, b) in enumerate(zip(got, want)) if a != b)
    return f"decompress gave back other bytes: the first difference is at byte {first:,}"


def record(result: Score) -> None:
    """Hand a score to the grading process, when one asked for it (:mod:`scalingzip.classroom.grading`)."""
    path = os.environ.get(RECORD_ENV)
    if path:
        Path(path).write_text(json.dumps(result.to_json()), encoding="utf-8")


# --- the hidden text and the reference entries ---------------------------------------------------

# The default hidden text: five Python Enhancement Proposals, Python's design documents, in the
# reStructuredText of the course corpus but written by other hands for another purpose (each is in
# the public domain or under CC0). It ships with the labs' instructor files, never in the package.
HIDDEN_PEPS = (484, 526, 557, 572, 634)
PEPS_SOURCE = "https://github.com/python/peps, commit ba4deeb7969588d937da609008d05bb83a47b1ab (2026-08-22)"


def hidden_text_from_peps(peps: str | os.PathLike, numbers=HIDDEN_PEPS) -> bytes:
    """The default hidden text, rebuilt from a checkout of python/peps: the PEPs' sources joined in order.

    Raises:
        FileNotFoundError: a PEP's file is missing from ``peps`` (the repository's ``peps/`` folder).
    """
    parts = []
    for number in numbers:
        path = Path(peps) / f"pep-{number:04d}.rst"
        if not path.is_file():
            raise FileNotFoundError(f"no {path.name} in {peps}: give the peps/ folder of a python/peps checkout")
        parts.append(path.read_bytes())
    return b"".join(parts)


def read_text_file(path: str | os.PathLike) -> bytes:
    """A text to score on: a plain file, or one compressed with xz (``.xz``)."""
    import lzma

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no text at {path}")
    if path.suffix == ".xz":
        try:
            return lzma.decompress(path.read_bytes())
        except lzma.LZMAError as err:
            raise ValueError(f"{path} is not a valid xz file ({err})") from None
    return path.read_bytes()


_CODEC_SOURCE = """\
import {module}


def compress(data, artifacts):
    return {compress}


def decompress(blob, artifacts):
    return {decompress}
"""

_COURSE_SOURCE = """\
import scalingzip.compressors as sz


def compress(data, artifacts):
    return sz.compress(data, "{mode}")


def decompress(blob, artifacts):
    return sz.decompress(blob)
"""

_TRANSFORMER_SOURCE = """\
import json

import scalingzip.compressors as sz
from scalingzip.nn.transformer import ByteTransformer, TransformerConfig


def _model(artifacts):
    template = ByteTransformer(TransformerConfig(**json.loads(artifacts["config.json"])))
    return sz.decompress(artifacts["weights.szip"], template=template).eval()


def compress(data, artifacts):
    return sz.compress(data, "lm", model=_model(artifacts))


def decompress(blob, artifacts):
    return sz.decompress(blob, model=_model(artifacts))
"""

REFERENCES = ("stored", "gzip -9", "xz -9e", "course mixing", "course transformer, 6-bit weights")


def reference_entries(names=REFERENCES) -> dict[str, Entry]:
    """The entries a class is measured against, from nothing to the course's best two-part code.

    ``course transformer, 6-bit weights`` is the package's pretrained 100k transformer
    (``lm-python-docs.pt``), its weights quantised to 64 levels per layer and arithmetic-coded by the
    ``weights`` compressor: a model paid for in the score, used by the ``lm`` coder.
    """
    entries = {}
    for name in names:
        if name == "stored":
            source = _CODEC_SOURCE.format(module="builtins", compress="bytes(data)", decompress="bytes(blob)")
        elif name == "gzip -9":
            source = _CODEC_SOURCE.format(module="gzip", compress="gzip.compress(data, 9, mtime=0)",
                                          decompress="gzip.decompress(blob)")
        elif name == "xz -9e":
            source = _CODEC_SOURCE.format(module="lzma", compress="lzma.compress(data, preset=9 | lzma.PRESET_EXTREME)",
                                          decompress="lzma.decompress(blob)")
        elif name == "course mixing":
            source = _COURSE_SOURCE.format(mode="mixing")
        elif name == "course transformer, 6-bit weights":
            entries[name] = _transformer_entry(bits=6)
            continue
        else:
            raise ValueError(f"no reference entry {name!r}; there are: {', '.join(REFERENCES)}")
        entries[name] = Entry(source.encode())
    return entries


def _transformer_entry(bits: int) -> Entry:
    from dataclasses import asdict as config_dict

    from scalingzip.compressors import compress
    from scalingzip.compressors.model_files import load_model, pretrained_model_path

    model, _ = load_model(pretrained_model_path("python-docs"))
    weights = compress(model, "weights", method="kmeans", bits=bits)
    config = json.dumps(config_dict(model.config), sort_keys=True).encode()
    return Entry(_TRANSFORMER_SOURCE.encode(), {"config.json": config, "weights.szip": weights})


def score_references(text: bytes, *, names=REFERENCES, limits: Limits = LIMITS, sandbox: str | None = None,
                     progress=None) -> list[Score]:
    """Score the reference entries on ``text``, each as a student's entry is scored."""
    scores = []
    for name, entry in reference_entries(names).items():
        scores.append(score(entry, text, name=name, limits=limits, sandbox=sandbox, reference=True))
        if progress is not None:
            progress(scores[-1])
    return scores


def score_here(entry: Entry, text: bytes, *, name: str, reference: bool = True) -> Score:
    """Score trusted code (a reference entry) in this process, without a sandbox: for a quick board
    of the references on a practice text, and for the thresholds of a lab's tests."""
    import importlib.util

    spec = importlib.util.spec_from_loader(f"entry_{hashlib.sha256(entry.source).hexdigest()[:12]}", loader=None)
    module = importlib.util.module_from_spec(spec)
    exec(compile(entry.source, f"<{name}>", "exec"), module.__dict__)  # noqa: S102 - the course's own references
    artifacts = dict(entry.artifacts)
    started = time.process_time()
    blob = bytes(module.compress(text, artifacts))
    compressed = time.process_time()
    out = bytes(module.decompress(blob, artifacts))
    done = time.process_time()
    return Score(name=name, text_bytes=len(text), artifact_bytes=entry.artifact_bytes, compressed_bytes=len(blob),
                 compress_s=round(compressed - started, 3), decompress_s=round(done - compressed, 3),
                 error=None if out == text else _difference(out, text), reference=reference, sandbox="here")


def reference_totals(text: bytes, names=("stored", "gzip -9", "xz -9e", "course mixing")) -> dict[str, int]:
    """The reference entries' scores (total bytes) on ``text``, computed here: the lines a lab's tests draw."""
    totals = {}
    for name, entry in reference_entries(names).items():
        result = score_here(entry, text, name=name)
        if not result.correct:
            raise RuntimeError(f"the reference entry {name!r} failed: {result.error}")
        totals[name] = result.total_bytes
    return totals


_SCORED: dict[tuple, Score] = {}


def score_cached(entry: Entry, text: bytes, **options) -> Score:
    """:func:`score`, remembered for the same entry, text and options in this process (a lab's hidden
    tests ask for the same entry's score several times)."""
    key = (entry.digest(), hashlib.sha256(text).hexdigest(), tuple(sorted((k, repr(v)) for k, v in options.items())))
    if key not in _SCORED:
        _SCORED[key] = score(entry, text, **options)
    return _SCORED[key]


def find_hidden_text(folder: str | os.PathLike | None = None) -> bytes:
    """The hidden text as the autograder holds it: ``challenge/hidden-text.txt.xz`` under ``folder``
    (default: the working directory, where otter puts the autograder's files and runs the notebook;
    in the checkout, the master's own folder ``labs/``).

    Raises:
        FileNotFoundError: it is not there (a student's copy of the lab never has it).
    """
    path = Path(folder or ".") / HIDDEN_TEXT
    if not path.is_file():
        raise FileNotFoundError(f"the hidden text is not at {path}: only the autograder has it")
    return read_text_file(path)


def stored_references() -> dict | None:
    """The reference entries scored on the hidden text (``results/challenge/references.json`` in the
    course's checkout), or None where there is no checkout."""
    path = _package_dir().parent / "results" / "challenge" / "references.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


# --- the command line ----------------------------------------------------------------------------

def add_command(sub, labs: Path) -> None:
    """Add ``challenge score`` and ``challenge references`` to the command line's subparsers."""
    c = sub.add_parser("challenge",
                       help="score compression-challenge entries on the hidden text, or the reference entries")
    actions = c.add_subparsers(dest="action", required=True)
    text_help = f"the text to score on, plain or .xz (default {labs / HIDDEN_TEXT}, the hidden text)"
    s = actions.add_parser("score", help="score entry folders (submission.py and artifacts/), each in the sandbox")
    s.add_argument("entries", nargs="+", type=Path, help="entry folders; each one's name is the folder's name")
    r = actions.add_parser("references", help="score the reference entries (stored, gzip, xz, the course's coders)")
    r.add_argument("--save", type=Path, help="write the scores as JSON, as the leaderboard reads them")
    for p in (s, r):
        p.add_argument("--text", type=Path, default=labs / HIDDEN_TEXT, help=text_help)
        p.add_argument("--sandbox", choices=SANDBOXES, help=f"the route (default bwrap, or ${SANDBOX_ENV})")
        p.add_argument("--quiet", action="store_true", help="no progress lines")


def run_command(args) -> str:
    """Run ``challenge score`` or ``challenge references``; return the report. Raises ValueError,
    FileNotFoundError or RuntimeError with a message for the user."""
    import platform

    text = read_text_file(args.text)
    say = (lambda line: None) if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    if args.action == "score":
        scores = []
        for folder in args.entries:
            try:
                entry = load_entry(folder)
            except (FileNotFoundError, ValueError) as err:
                scores.append(Score(name=folder.name, text_bytes=len(text), artifact_bytes=0, error=str(err)))
            else:
                scores.append(score(entry, text, name=folder.name, sandbox=args.sandbox))
            say(_line(scores[-1]))
    else:
        scores = score_references(text, sandbox=args.sandbox, progress=lambda s: say(_line(s)))
        if args.save:
            document = {"text": {"file": args.text.name, "bytes": len(text),
                                 "sha256": hashlib.sha256(text).hexdigest()},
                        "command": "python -m scalingzip challenge references --save " + args.save.as_posix(),
                        "machine": {"processor": platform.processor() or platform.machine(),
                                    "python": platform.python_version(), "cpus": os.cpu_count()},
                        "entries": [s.to_json() for s in scores]}
            args.save.parent.mkdir(parents=True, exist_ok=True)
            tmp = args.save.with_name(args.save.name + ".tmp")
            tmp.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
            tmp.replace(args.save)
    lines = [f"{len(text):,} bytes of text ({args.text.name}); lower is better"] + [_line(s) for s in scores]
    return "\n".join(lines + ([f"saved {args.save}"] if getattr(args, "save", None) else []))


def _line(s: Score) -> str:
    if not s.correct:
        return f"{s.name}: no score ({s.error})"
    return (f"{s.name}: {s.total_bytes:,} bytes = {s.artifact_bytes:,} decoder + {s.compressed_bytes:,} data, "
            f"{s.bits_per_byte:.3f} bits/byte; {s.compress_s:.1f} s + {s.decompress_s:.1f} s of CPU")


# --- the child -----------------------------------------------------------------------------------

def _child(mode: str, folder: str) -> int:
    import importlib.util
    import traceback

    from scalingzip.classroom.grading import _one_line

    folder = Path(folder)
    error = folder / "error.txt"
    try:
        artifacts = {p.name: p.read_bytes() for p in sorted((folder / ARTIFACTS_DIR).iterdir())}
        data = (folder / "input.bin").read_bytes()
        spec = importlib.util.spec_from_file_location("submission", folder / SUBMISSION_FILE)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as err:
            error.write_text(f"{SUBMISSION_FILE} does not import: {type(err).__name__}: {_one_line(str(err), 400)}")
            return 1
        side = "compress" if mode in ("compress", "warm") else "decompress"
        func = getattr(module, side, None)
        if not callable(func):
            error.write_text(f"{SUBMISSION_FILE} defines no function {side}(...)")
            return 1
        try:
            takes_artifacts = len(inspect.signature(func).parameters) >= 2
        except (TypeError, ValueError):
            takes_artifacts = True
        try:
            out = func(data, artifacts) if takes_artifacts or side == "decompress" else func(data)
        except Exception as err:
            frames = traceback.extract_tb(err.__traceback__)
            where = next((f"line {f.lineno}" for f in reversed(frames) if f.filename.endswith(SUBMISSION_FILE)), "")
            at = f" at {where}" if where else ""
            error.write_text(f"{side} raised {type(err).__name__}{at}: {_one_line(str(err), 400)}")
            return 1
        if not isinstance(out, (bytes, bytearray, memoryview)):
            error.write_text(f"{side} must return bytes, it returned {type(out).__name__}")
            return 1
        (folder / "output.bin").write_bytes(bytes(out))
        import resource

        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
        (folder / "cpu.txt").write_text(f"{cpu:.3f}")  # for the board; the limit is the watcher's
        return 0
    except OSError as err:
        error.write_text(f"{mode} could not read or write its files: {_one_line(str(err), 400)}")
        return 1


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("compress", "decompress", "warm"):
        sys.exit("usage: python -m scalingzip.classroom.challenge compress|decompress FOLDER")
    sys.exit(_child(sys.argv[1], sys.argv[2]))
