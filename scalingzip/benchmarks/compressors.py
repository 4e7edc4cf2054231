"""Benchmark: the course's compressors beside every general-purpose compressor on this machine
(``python -m scalingzip bench compressors``).

For each text it prints one row per compressor: bits per byte, size relative to ``xz -9e``,
compression and decompression speed in KB/s (1 KB = 1000 bytes of the original text), and the peak
resident set (MB, 10**6 bytes) of compressing and of decompressing. Every row is decompressed and
compared byte for byte before it is printed; a row that does not round-trip is an error
(:class:`RoundTripError`). The rows:

* the course's modes, the compressors of bytes in :mod:`scalingzip.compressors` (what
  ``python -m scalingzip compress --mode`` offers), with ``compress``'s fallback to ``stored``. The
  ``lm`` and ``hybrid`` modes get the pretrained model that ships with the package (``--model`` for another); slow
  modes (``lm-online``, ``hybrid``) run only with ``--slow``, and then on the first text only;
* Python's built-in ``zlib`` (level 9), ``bz2`` (9) and ``lzma`` (preset 9 | PRESET_EXTREME);
* every external program of :data:`TOOLS` found on ``PATH``: ``gzip -9``, ``bzip2 -9``,
  ``xz -9e``, ``zstd -19`` and ``-22 --ultra``, ``brotli -q 11 -w 24``, ``zpaq -m5`` and 7-Zip's
  PPMd (``7z a -m0=PPMd -mx=9``). zpaq and 7-Zip are archivers: their size is the whole archive,
  so it includes the archive's header and the file's name and attributes (a few dozen bytes, up to
  a few hundred). A program that is not installed is listed as missing, never an error.

How it measures:

* Speed is the time of the compress and the decompress call alone. An external program's time is
  the wall time of its process, which reads its input from and writes its output to a temporary
  folder (process start and file I/O included, and about a millisecond for GNU time, below). A
  Python compressor runs in a fresh child process that times only its call, after its imports and
  a warm-up on a few bytes (which loads Numba's compiled loops and the model).
* Peak memory is the process's peak resident set (``ru_maxrss``), for an external program its
  own; for a Python compressor that of a fresh interpreter, so it **includes the Python
  interpreter, the package's imports (NumPy, Numba, PyTorch where the mode needs them), the model
  and the warm-up**. The column ``idle MB`` is the peak of the same child doing everything but the
  coding: the baseline to subtract. It is measured by a small process between this one and the
  command, GNU ``time -f %M`` where installed, else a Python launcher that forks, execs and reads
  the child's ``os.wait4``: Linux carries a process's high-water mark across ``exec``, so a command
  forked straight from this process (which holds PyTorch, some 300 MB) would report at least that.
  The launcher's own few MB are such a floor; GNU time's is about 1 MB.
* One core: children get ``OMP_NUM_THREADS=1`` (and the BLAS and Numba equivalents), and the
  programs that can use threads are told to use one (``xz -T1``, ``zstd -T1``, ``zpaq -t1``,
  ``7z -mmt=1``).

The texts (``--texts`` picks them by name; one absent on this machine is skipped with a note):
``python-docs``, the held-out test split of the course corpus; ``cpython-docs``, the held-out test
split (by document) of the newer corpus; ``vim``, the first 300,000 bytes of the Vim user manual;
``licences``, Debian's licence texts; ``c-headers``, the C library's headers of :data:`C_HEADERS`
concatenated, first 250,000 bytes; three texts of other kinds that ship with the package
(:mod:`scalingzip.data.snapshots`): ``pride-and-prejudice`` (English prose), ``zh-python-docs``
(modern Chinese) and ``guwen-guanzhi`` (classical Chinese), 250 kB each; and any ``--file PATH``. ``bench lm`` measures the first, third
and fourth in-process, without the external programs and the memory.

``--json PATH`` saves the tables with the machine (CPU, Python, the programs' versions);
``--save-figure PATH`` draws bits per byte of every compressor on every text. Timings and memory
are one machine's at one time: they go into no test.
"""

from __future__ import annotations

import argparse
import bz2
import functools
import glob
import hashlib
import json
import lzma
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["C_HEADERS", "PYTHON_CODECS", "SLOW_MODES", "TEXTS", "TOOLS", "Missing", "Row", "RoundTripError", "Text",
           "Tool", "compressor_rows", "format_table", "load_texts", "machine_info", "measure_python", "measure_tool",
           "memory_meter", "reference", "save_figure", "tool_versions"]

SLOW_MODES = ("lm-online", "hybrid")  # run only with --slow, on the first text
VIM_MANUAL_BYTES = 300_000
C_HEADER_BYTES = 250_000
# C standard and POSIX headers of the GNU C library (Debian's libc6-dev), in sorted order
C_HEADERS = ("assert.h", "ctype.h", "dirent.h", "errno.h", "fcntl.h", "getopt.h", "glob.h", "inttypes.h",
             "limits.h", "locale.h", "math.h", "netdb.h", "pthread.h", "regex.h", "signal.h", "stdint.h",
             "stdio.h", "stdlib.h", "string.h", "time.h", "unistd.h", "wchar.h")
ONE_THREAD = {v: "1" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")}

# Python's built-in compressors: the same as scalingzip.coding.STDLIB_COMPRESSORS, defined here so
# that their child process imports the standard library only. label -> (compress, decompress)
PYTHON_CODECS: dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]] = {
    "zlib 9 (Python)": (lambda d: zlib.compress(d, 9), zlib.decompress),
    "bz2 9 (Python)": (lambda d: bz2.compress(d, 9), bz2.decompress),
    "lzma 9e (Python)": (lambda d: lzma.compress(d, preset=9 | lzma.PRESET_EXTREME), lzma.decompress),
}


class RoundTripError(RuntimeError):
    """A compressor's output did not decompress to its input."""


@dataclass(frozen=True, kw_only=True)
class Tool:
    """An external compressor, run in a temporary folder that holds the input as the file ``text``.

    A stream compressor (``stdout=True``) writes to standard output, which goes to the file
    ``blob`` when compressing and to ``back/text`` when decompressing; an archiver writes ``blob``
    itself and extracts into the folder ``back``.
    """

    name: str  # the row's label, e.g. "xz -9e"
    program: str  # looked up on PATH
    compress: tuple[str, ...]  # arguments that compress "text" (into "blob", or to stdout)
    decompress: tuple[str, ...]  # arguments that give "text" back (into "back/", or to stdout)
    blob: str  # the compressed file's name
    stdout: bool = True  # a stream compressor (else an archiver)
    version: tuple[str, ...] = ("--version",)  # arguments that print the version on the first line


TOOLS = (
    Tool(name="gzip -9", program="gzip", compress=("-9", "-c", "text"), decompress=("-d", "-c", "text.gz"),
         blob="text.gz"),
    Tool(name="bzip2 -9", program="bzip2", compress=("-9", "-c", "text"), decompress=("-d", "-c", "text.bz2"),
         blob="text.bz2"),
    Tool(name="xz -9e", program="xz", compress=("-9e", "-T1", "-c", "text"),
         decompress=("-d", "-T1", "-c", "text.xz"), blob="text.xz"),
    Tool(name="zstd -19", program="zstd", compress=("-19", "--ultra", "-T1", "-q", "-c", "text"),
         decompress=("-d", "-q", "-c", "text.zst"), blob="text.zst"),
    Tool(name="zstd -22 --ultra", program="zstd", compress=("-22", "--ultra", "-T1", "-q", "-c", "text"),
         decompress=("-d", "-q", "-c", "text.zst"), blob="text.zst"),
    Tool(name="brotli -q 11 -w 24", program="brotli", compress=("-q", "11", "-w", "24", "-c", "text"),
         decompress=("-d", "-c", "text.br"), blob="text.br"),
    Tool(name="zpaq -m5 (archive)", program="zpaq", compress=("a", "text.zpaq", "text", "-m5", "-t1"),
         decompress=("x", "text.zpaq", "-to", "back", "-t1"), blob="text.zpaq", stdout=False, version=()),
    Tool(name="7z PPMd -mx=9 (archive)", program="7z",
         compress=("a", "-t7z", "-m0=PPMd", "-mx=9", "-mmt=1", "-bd", "text.7z", "text"),
         decompress=("x", "-bd", "-oback", "text.7z"), blob="text.7z", stdout=False, version=()),
)


@dataclass(frozen=True, kw_only=True)
class Row:
    """One compressor on one text: sizes, times and peak memory."""

    name: str  # the compressor, e.g. "xz -9e" or "scalingzip mixing"
    kind: str  # "course" (a mode of compress), "python" (standard library) or "tool" (an external program)
    n_bytes: int  # length of the text, bytes
    compressed_bytes: int  # length of the output, bytes (headers and archive headers included)
    compress_seconds: float  # wall time of the compress call (tool: its process)
    decompress_seconds: float
    compress_peak_mb: float  # peak resident set of the compressing process, 10**6 bytes
    decompress_peak_mb: float
    idle_peak_mb: float | None = None  # a Python row's child doing all but the coding; None for a tool

    @property
    def bits_per_byte(self) -> float:
        return 8 * self.compressed_bytes / max(self.n_bytes, 1)

    @property
    def compress_kb_per_s(self) -> float:  # KB of the original text per second, 1 KB = 1000 bytes
        return self.n_bytes / self.compress_seconds / 1e3 if self.compress_seconds > 0 else float("inf")

    @property
    def decompress_kb_per_s(self) -> float:
        return self.n_bytes / self.decompress_seconds / 1e3 if self.decompress_seconds > 0 else float("inf")


@dataclass(frozen=True, kw_only=True)
class Missing:
    """An external compressor whose program is not installed."""

    name: str  # the row's label
    program: str  # what was not found on PATH


@dataclass(frozen=True, kw_only=True)
class Text:
    """A text of the benchmark."""

    name: str  # for --texts, e.g. "vim"; a --file text is named by its path
    title: str  # for the table
    data: bytes


# --- the texts -------------------------------------------------------------------------------------

def _python_docs() -> bytes:
    from scalingzip.data import load_text, split_bytes

    return split_bytes(load_text("python-docs")).test


def _cpython_docs() -> bytes | None:
    from scalingzip.data import document_splits

    try:
        return document_splits("cpython-docs").test
    except FileNotFoundError:
        return None


def _vim() -> bytes | None:
    paths = sorted(glob.glob("/usr/share/vim/vim*/doc/usr_*.txt"))
    return b"".join(Path(p).read_bytes() for p in paths)[:VIM_MANUAL_BYTES] if paths else None


def _licences() -> bytes | None:
    paths = sorted(p for p in glob.glob("/usr/share/common-licenses/*") if os.path.isfile(p) and not os.path.islink(p))
    return b"".join(Path(p).read_bytes() for p in paths) if paths else None


def _c_headers() -> bytes | None:
    paths = [Path("/usr/include") / h for h in C_HEADERS if (Path("/usr/include") / h).is_file()]
    return b"".join(p.read_bytes() for p in paths)[:C_HEADER_BYTES] if paths else None


def _snapshot(name: str) -> Callable[[], bytes]:
    from scalingzip.data.snapshots import load_snapshot

    return functools.partial(load_snapshot, name)


# name -> (title, loader returning the bytes, or None where the text is absent, and where it is looked for)
TEXTS: dict[str, tuple[str, Callable[[], bytes | None], str]] = {
    "python-docs": ("python-docs test split (held out)", _python_docs, "the package"),
    "cpython-docs": ("cpython-docs test split (held out, by document)", _cpython_docs, "scalingzip/data/corpora"),
    "vim": ("Vim user manual, first 300 kB", _vim, "/usr/share/vim/vim*/doc/usr_*.txt"),
    "licences": ("Debian licence texts", _licences, "/usr/share/common-licenses"),
    "c-headers": ("C headers (glibc), first 250 kB", _c_headers, "/usr/include"),
    "pride-and-prejudice": ("Pride and Prejudice, first 250 kB", _snapshot("pride-and-prejudice"), "the package"),
    "zh-python-docs": ("Python tutorial and HOWTOs in Chinese, first 250 kB", _snapshot("zh-python-docs"),
                       "the package"),
    "guwen-guanzhi": ("Guwen Guanzhi (classical Chinese), first 250 kB", _snapshot("guwen-guanzhi"), "the package"),
}


def load_texts(names: list[str] | None = None, files: list[str] = ()) -> tuple[list[Text], list[str]]:
    """The named texts of :data:`TEXTS` (default all) and the ``files``; and a note for each absent one.

    Raises:
        ValueError: for an unknown name, or a file that does not exist.
    """
    texts, notes = [], []
    for name in TEXTS if names is None else names:
        if name not in TEXTS:
            raise ValueError(f"unknown text {name!r}; choose among {', '.join(TEXTS)}")
        title, loader, where = TEXTS[name]
        data = loader()
        if data is None:
            notes.append(f"{name} skipped: not on this machine ({where})")
        else:
            texts.append(Text(name=name, title=title, data=data))
    for path in files:
        if not Path(path).is_file():
            raise ValueError(f"{path}: no such file; give a text file to --file")
        texts.append(Text(name=str(path), title=str(path), data=Path(path).read_bytes()))
    return texts, notes


# --- processes and their peak memory ---------------------------------------------------------------

# A small process that runs a command and reports its peak resident set (bytes) and wall time (s):
# the fallback where GNU time is not installed. Its own few MB can show as a floor, because Linux
# carries the high-water mark of the forking process across exec.
_LAUNCHER = """import os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(out, "w") as f:
    f.write(f"{seconds!r} {usage.ru_maxrss * (1 if sys.platform == 'darwin' else 1024)}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


@functools.cache
def _gnu_time(path: str | None) -> bool:
    """Whether ``path`` is GNU time, which reports its child's peak resident set (``-f %M``, KiB)."""
    if path is None:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([path, "-f", "%M", "-o", f"{tmp}/m", path, "--version"], capture_output=True)
        return proc.returncode == 0 and Path(f"{tmp}/m").read_text().strip().isdigit()


def memory_meter() -> str:
    """How peak memory is measured here: ``"GNU time"`` or ``"os.wait4"`` (in a small Python launcher)."""
    return "GNU time" if _gnu_time(shutil.which("time")) else "os.wait4"


def _run(argv: list[str], *, cwd: Path, stdout: Path | None = None,
         env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``argv`` in ``cwd`` (standard output into the file ``stdout``, else discarded); return its
    wall time (s) and its own peak resident set (MB).

    The peak is measured by a small process between this one and the command (GNU time, else a
    Python launcher calling ``os.wait4``): the command's ``ru_maxrss`` can be no smaller than the
    high-water mark of whatever forked it, and this benchmark's own process holds PyTorch.

    Raises:
        RuntimeError: if it exits with a non-zero status (with the end of its standard error).
    """
    err_path, meter = cwd / ".stderr", cwd / ".peak"
    gnu_time = memory_meter() == "GNU time"
    if gnu_time:
        launch = [shutil.which("time"), "-f", "%M", "-o", str(meter)]
    else:
        launch = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(meter)]
    with open(stdout or os.devnull, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        returncode = subprocess.run([*launch, *argv], cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                    env={**os.environ, **ONE_THREAD, **(env or {})}).returncode
        seconds = time.perf_counter() - start
    if returncode != 0:
        tail = err_path.read_text(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"{' '.join(argv[:3])} ... exited with status {returncode}: {' / '.join(tail)}")
    report = meter.read_text().split()
    if gnu_time:  # the last line is %M in KiB; the parent's wall time (GNU time's %e has 10 ms steps)
        return seconds, int(report[-1]) * 1024 / 1e6
    return float(report[0]), int(report[1]) / 1e6


def _check(name: str, data: bytes, back: bytes) -> None:
    if back != data:
        raise RoundTripError(f"{name} did not round-trip: {len(data):,} bytes in, {len(back):,} bytes back"
                             f"{'' if len(back) != len(data) else ', different bytes'}")


def measure_tool(tool: Tool, data: bytes) -> Row | Missing:
    """Compress ``data`` with an external program and decompress it, each in a temporary folder;
    :class:`Missing` if the program is not on ``PATH``.

    Raises:
        RoundTripError: if what comes back differs from ``data``.
        RuntimeError: if the program fails.
    """
    program = shutil.which(tool.program)
    if program is None:
        return Missing(name=tool.name, program=tool.program)
    with tempfile.TemporaryDirectory(prefix="scalingzip-bench-") as tmp:
        folder = Path(tmp)
        (folder / "text").write_bytes(data)
        (folder / "back").mkdir()
        t_c, m_c = _run([program, *tool.compress], cwd=folder, stdout=folder / tool.blob if tool.stdout else None)
        size = (folder / tool.blob).stat().st_size
        t_d, m_d = _run([program, *tool.decompress], cwd=folder, stdout=folder / "back" / "text" if tool.stdout else None)
        back = folder / "back" / "text"
        _check(tool.name, data, back.read_bytes() if back.is_file() else b"")
    return Row(name=tool.name, kind="tool", n_bytes=len(data), compressed_bytes=size, compress_seconds=t_c,
               decompress_seconds=t_d, compress_peak_mb=m_c, decompress_peak_mb=m_d)


def _package_path() -> str:
    """The folder holding the ``scalingzip`` package, for the children's PYTHONPATH."""
    return str(Path(__file__).resolve().parents[2])


def _child_run(name: str, direction: str, folder: Path, model: str) -> tuple[float, float]:
    """Run :func:`_child` in a fresh interpreter; return the time it measured and its peak memory."""
    code = "import sys; from scalingzip.benchmarks.compressors import _child; _child(sys.argv[1:])"
    path = os.pathsep.join([_package_path(), *filter(None, [os.environ.get("PYTHONPATH")])])
    _, peak_mb = _run([sys.executable, "-c", code, name, direction, model], cwd=folder, env={"PYTHONPATH": path})
    seconds = float((folder / "seconds").read_text()) if direction != "idle" else float("nan")
    return seconds, peak_mb


def _codec(name: str, model: str) -> tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]:
    """Compress and decompress of a Python row (imported, loaded and warmed up)."""
    if name in PYTHON_CODECS:
        return PYTHON_CODECS[name]
    from scalingzip.compressors import compress, decompress, get

    mode = name.removeprefix("scalingzip ")
    spec = get(mode)
    given = {}
    if "model" in spec.needs + spec.decode_needs:
        from scalingzip.compressors.model_files import load_model

        given["model"] = load_model(model)[0]
    decompress(compress(b"warm-up: load the compiled loops " * 4, mode, **given), **given)
    return (lambda d: compress(d, mode, fallback=True, **given), lambda b: decompress(b, **given))


def _child(argv: list[str]) -> None:
    """A measurement child, in its folder: NAME DIRECTION MODEL. ``compress`` codes ``text`` into
    ``blob``, ``decompress`` decodes ``blob`` into ``back``, each writing the seconds of its call to
    ``seconds``; ``idle`` does only the imports and the warm-up."""
    name, direction, model = argv
    c, d = _codec(name, model)
    if direction == "idle":
        return
    src, dst, fn = ("text", "blob", c) if direction == "compress" else ("blob", "back", d)
    data = Path(src).read_bytes()
    start = time.perf_counter()
    out = fn(data)
    seconds = time.perf_counter() - start
    Path(dst).write_bytes(out)
    Path("seconds").write_text(repr(seconds))


_IDLE: dict[tuple[str, str], float] = {}  # (name, model) -> idle child's peak MB, measured once a run


def measure_python(name: str, data: bytes, *, model: str = "") -> Row:
    """Compress and decompress ``data`` with a Python compressor, each in a fresh child process.

    Args:
        name: a key of :data:`PYTHON_CODECS`, or ``"scalingzip MODE"`` for a mode of ``compress``.
        data: the text.
        model: the model file, for a mode that needs one (``lm``).

    Raises:
        RoundTripError: if what comes back differs from ``data``.
        RuntimeError: if a child fails.
    """
    with tempfile.TemporaryDirectory(prefix="scalingzip-bench-") as tmp:
        folder = Path(tmp)
        (folder / "text").write_bytes(data)
        if (name, model) not in _IDLE:
            _IDLE[name, model] = _child_run(name, "idle", folder, model)[1]
        t_c, m_c = _child_run(name, "compress", folder, model)
        t_d, m_d = _child_run(name, "decompress", folder, model)
        _check(name, data, (folder / "back").read_bytes())
        size = (folder / "blob").stat().st_size
    return Row(name=name, kind="python" if name in PYTHON_CODECS else "course", n_bytes=len(data),
               compressed_bytes=size, compress_seconds=t_c, decompress_seconds=t_d, compress_peak_mb=m_c,
               decompress_peak_mb=m_d, idle_peak_mb=_IDLE[name, model])


def compressor_rows(data: bytes, *, modes: list[str] = (), python: bool = True, tools: tuple[Tool, ...] = TOOLS,
                    model: str = "") -> list[Row | Missing]:
    """Every row of one text: the course's ``modes``, Python's built-in compressors (if ``python``),
    then the ``tools`` (:class:`Missing` for those not installed)."""
    names = [f"scalingzip {m}" for m in modes] + (list(PYTHON_CODECS) if python else [])
    return [measure_python(n, data, model=model) for n in names] + [measure_tool(t, data) for t in tools]


def reference(rows: list[Row | Missing]) -> Row | None:
    """The row sizes are compared to: the ``xz -9e`` program, else Python's lzma at the same preset."""
    found = {r.name: r for r in rows if isinstance(r, Row)}
    return found.get("xz -9e") or found.get("lzma 9e (Python)")


def format_table(rows: list[Row | Missing]) -> list[str]:
    """The table's lines: a header, then one line per row (a missing program says so)."""
    ref = reference(rows)
    header = (f"{'compressor':26s} {'bits/byte':>9s} {'x xz':>6s} {'comp KB/s':>10s} {'dec KB/s':>9s} "
              f"{'comp MB':>8s} {'dec MB':>7s} {'idle MB':>8s}")
    lines = [header, "-" * len(header)]
    for r in rows:
        if isinstance(r, Missing):
            lines.append(f"{r.name:26s} missing: no {r.program} on PATH")
            continue
        ratio = f"{r.compressed_bytes / ref.compressed_bytes:6.3f}" if ref else f"{'':6s}"
        idle = f"{r.idle_peak_mb:8.1f}" if r.idle_peak_mb is not None else f"{'':8s}"
        lines.append(f"{r.name:26s} {r.bits_per_byte:9.3f} {ratio} {r.compress_kb_per_s:10,.0f} "
                     f"{r.decompress_kb_per_s:9,.0f} {r.compress_peak_mb:8.1f} {r.decompress_peak_mb:7.1f} {idle}")
    return lines


# --- the machine -----------------------------------------------------------------------------------

def tool_versions(tools: tuple[Tool, ...] = TOOLS) -> dict[str, str | None]:
    """Each program's path and the first line it prints about its version (None if not installed)."""
    out: dict[str, str | None] = {}
    for tool in tools:
        program = shutil.which(tool.program)
        if tool.program in out or program is None:
            out.setdefault(tool.program, None)
            continue
        proc = subprocess.run([program, *tool.version], capture_output=True, text=True, errors="replace",
                              stdin=subprocess.DEVNULL, timeout=30)
        lines = [line.strip() for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
        out[tool.program] = f"{program}: {lines[0] if lines else '?'}"
    return out


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass  # not Linux: the platform's own description follows
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, object]:
    """The CPU, the core count, the operating system, Python, how memory is measured, and the
    programs' versions."""
    return {"cpu": _cpu(), "machine": platform.machine(), "cpus": os.cpu_count(), "system": platform.platform(),
            "python": platform.python_version(), "zlib": zlib.ZLIB_RUNTIME_VERSION, "threads": 1,
            "memory_meter": memory_meter(), "tools": tool_versions()}


# --- the figure ------------------------------------------------------------------------------------

def save_figure(results: list[tuple[Text, list[Row | Missing]]], path: str | os.PathLike) -> None:
    """Bits per byte of every compressor (rows, best on top) on every text (one marker each), the
    course's modes in bold: where they stand among the classical tools and zpaq. ``stored`` is
    left out (8 bits per byte and a header)."""
    import matplotlib as mpl

    from scalingzip.book.plots import use_style

    with mpl.rc_context():  # the course's style, without changing the caller's
        use_style()
        _figure(results).savefig(path)


def _figure(results: list[tuple[Text, list[Row | Missing]]]):
    from matplotlib.figure import Figure

    from scalingzip.book.plots import COLORS

    names = list(dict.fromkeys(r.name for _, rows in results for r in rows
                               if isinstance(r, Row) and r.name != "scalingzip stored"))
    bpb = {(t.name, r.name): r.bits_per_byte for t, rows in results for r in rows if isinstance(r, Row)}
    mean = {n: sum(v for (_, m), v in bpb.items() if m == n) / sum(m == n for _, m in bpb) for n in names}
    names.sort(key=lambda n: -mean[n])
    fig = Figure(figsize=(7.0, 0.32 * len(names) + 1.6))
    ax = fig.add_subplot()
    markers = "osD^vP*X"
    for k, (text, _) in enumerate(results):
        ys = [i for i, n in enumerate(names) if (text.name, n) in bpb]
        ax.plot([bpb[text.name, names[i]] for i in ys], ys, linestyle="none", marker=markers[k % len(markers)],
                label=text.title, alpha=0.85)  # the course's colour cycle
    ax.set_yticks(range(len(names)), names)
    for label in ax.get_yticklabels():
        course = label.get_text().startswith("scalingzip ")
        label.set_color(COLORS[0] if course else "#555555")
        label.set_fontweight("bold" if course else "normal")
    ax.set_xlabel("bits per byte (lower is better)")
    ax.set_title("The course's modes (bold) among other compressors")
    ax.legend(loc="upper right", fontsize=8, title="text", title_fontsize=8)
    fig.tight_layout()
    return fig


# --- the command -----------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    from scalingzip.compressors import registered
    from scalingzip.compressors.model_files import pretrained_model_path

    fast = [n for n in registered(takes="bytes") if n not in SLOW_MODES]
    parser = argparse.ArgumentParser(prog="python -m scalingzip bench compressors",
                                     description="The course's compressors beside every general-purpose compressor "
                                                 "installed: bits per byte, speed and peak memory on each text.")
    parser.add_argument("--texts", nargs="*", choices=list(TEXTS), metavar="NAME",
                        help=f"which texts, among {', '.join(TEXTS)} (default all; none named: only --file)")
    parser.add_argument("--file", action="append", default=[], help="another text to measure (repeatable)")
    parser.add_argument("--modes", nargs="*", choices=fast + list(SLOW_MODES), metavar="MODE",
                        help=f"which of the course's modes (default {' '.join(fast)}; none named: none)")
    parser.add_argument("--slow", action="store_true", help=f"also the slow modes ({', '.join(SLOW_MODES)}), "
                        "on the first text only")
    parser.add_argument("--model", default=None, help="model file for the lm mode (default the package's)")
    parser.add_argument("--quick", action="store_true", help="only the first text")
    parser.add_argument("--json", metavar="PATH", help="also save the tables and the machine as JSON")
    parser.add_argument("--save-figure", metavar="PATH",
                        help="also draw bits per byte of each compressor on each text")
    args = parser.parse_args(argv)

    try:
        texts, notes = load_texts(args.texts, args.file)
    except ValueError as err:
        parser.error(str(err))
    if args.quick:
        texts = texts[:1]
    if not texts:
        parser.error("no text to measure: name one with --texts or give --file")
    modes = list(fast if args.modes is None else args.modes)
    modes += [m for m in SLOW_MODES if args.slow and m not in modes]
    model = args.model
    if model is None:
        try:
            model = str(pretrained_model_path())
        except FileNotFoundError:
            model = ""
    for m in [m for m in modes if "model" in registered()[m].needs and not Path(model).is_file()]:
        notes.append(f"scalingzip {m} skipped: it needs a model file (make it with: python -m scalingzip train-lm)")
        modes.remove(m)

    machine = machine_info()
    print(f"machine: {machine['cpu']}, {machine['cpus']} CPUs, Python {machine['python']}; one thread each; "
          f"peak memory by {machine['memory_meter']}")
    if any("model" in registered()[m].needs for m in modes):
        print(f"lm mode's model: {model}")
    print("speeds in KB/s of original text (1 KB = 1000 bytes); peak resident set in MB (10**6 bytes); "
          "'idle MB': a Python row's child doing all but the coding (interpreter, imports, model, warm-up)")
    for note in notes:
        print(note)
    t0 = time.perf_counter()
    results = []
    try:
        for k, text in enumerate(texts):
            chosen = [m for m in modes if k == 0 or m not in SLOW_MODES]
            rows = compressor_rows(text.data, modes=chosen, model=model)
            results.append((text, rows))
            print(f"\n{text.title}: {len(text.data):,} bytes")
            print("\n".join(format_table(rows)), flush=True)
    except (RoundTripError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"\n{len(texts)} text(s) in {time.perf_counter() - t0:.0f} s")
    if args.json:
        _save_json(args.json, results, machine=machine, notes=notes, argv=argv, model=model)
        print(f"saved {args.json}")
    if args.save_figure:
        save_figure(results, args.save_figure)
        print(f"saved {args.save_figure}")
    return 0


def _save_json(path: str, results: list[tuple[Text, list[Row | Missing]]], *, machine: dict, notes: list[str],
               argv: list[str] | None, model: str) -> None:
    def row(r: Row | Missing) -> dict:
        if isinstance(r, Missing):
            return {"name": r.name, "missing": True, "program": r.program}
        return {**asdict(r), "missing": False, "bits_per_byte": r.bits_per_byte,
                "compress_kb_per_s": r.compress_kb_per_s, "decompress_kb_per_s": r.decompress_kb_per_s}

    ref = {t.name: reference(rows) for t, rows in results}
    out = {"command": " ".join(["python -m scalingzip bench compressors", *(sys.argv[1:] if argv is None else argv)]),
           "machine": machine, "model": model, "notes": notes,
           "units": {"speed": "KB/s of original text, 1 KB = 1000 bytes", "memory": "peak resident set, MB = 10**6 bytes",
                     "size": "bytes, headers included"},
           "texts": [{"name": t.name, "title": t.title, "n_bytes": len(t.data),
                      "sha256": hashlib.sha256(t.data).hexdigest(),
                      "reference": ref[t.name].name if ref[t.name] else None,
                      "rows": [row(r) for r in rows]} for t, rows in results]}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(out, indent=1) + "\n")
