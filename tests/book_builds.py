"""The book's two editions, built once for the whole test run, or taken from the README's first command.

Executing the book's notebooks takes minutes, so the suite does it at most once, and not at all
where the README's first command has just done it: a build records what it did beside its output
(:mod:`scalingzip.book.record`), and the checkout's ``_build`` is checked as it is when both
editions' records match the sources as they are now and the English build began from an empty
execution cache (so it executed every notebook it shows, each once, in a fresh kernel). Otherwise
(under CI, or after an edit) both editions are built here from a clean directory, with warnings as
errors, the Chinese one after the English one from its execution cache, as the README does.

The two editions' tests run in different workers of ``pytest -n 2`` (``test_book.py``,
``test_book_zh.py``); a lock in the run's shared temporary folder makes the first to come build,
and the other wait for that build and check it too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from scalingzip.book.record import read_record

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
# Set SCALINGZIP_TEST_FRESH_BUILD=1 to build afresh even where the checkout's build is up to date.
FRESH_ENV = "SCALINGZIP_TEST_FRESH_BUILD"


@dataclass(frozen=True)
class Build:
    """One edition's build, as the tests check it."""

    html: Path  # the edition's HTML folder (the Chinese one inside the English one's, as published)
    log: str  # the build's messages: each notebook executed or taken from the cache, every warning
    warnings: int  # Sphinx's count of warnings and errors
    fresh_cache: bool  # it began from an empty execution cache: every notebook it shows, it executed
    origin: str  # "the README's first command" or "this test run"


def jupyter_book(source: Path, out: Path, *extra: str, **env_vars: str) -> str:
    """``jupyter-book build source`` into ``out``, every page, with warnings as errors; return its log.
    A failed build fails the test, with the log's end."""
    env = {**os.environ, "PYTHONWARNINGS": "default", **env_vars}
    proc = subprocess.run([str(JUPYTER_BOOK), "build", str(source), "--path-output", str(out), "--all", "-W",
                           "--keep-going", *extra], capture_output=True, text=True, env=env, timeout=1200)
    log = proc.stdout + proc.stderr
    name = "build.log" if source == ROOT else f"build-{source.name}.log"
    out.mkdir(parents=True, exist_ok=True)
    (out / name).write_text(log, encoding="utf-8")
    if proc.returncode != 0:
        tail = "\n".join(log.splitlines()[-60:])
        pytest.fail(f"jupyter-book build {source} failed (exit {proc.returncode}); full log in {out / name}\n{tail}")
    return log


def _recorded(build_dir: Path) -> dict[str, Build] | None:
    """Both editions' builds in ``build_dir`` (an English build's ``_build``) if their records match the
    sources now and the English build executed every notebook itself; None otherwise."""
    records = {edition: read_record(build_dir, edition, ROOT) for edition in ("en", "zh")}
    if not all(records.values()) or not records["en"]["fresh_cache"]:
        return None
    html = build_dir / "html"
    if not (html / "index.html").is_file() or not (html / "zh" / "index.html").is_file():
        return None
    origin = "the README's first command" if build_dir == ROOT / "_build" else "this test run"
    return {edition: Build(html=html if edition == "en" else html / "zh", log=r["log"], warnings=r["warnings"],
                           fresh_cache=r["fresh_cache"], origin=origin)
            for edition, r in records.items()}


def both_editions(tmp_path_factory, worker_id: str) -> dict[str, Build]:
    """The English and the Chinese build, by edition: the checkout's own where it is up to date (see the
    module's docstring), else one built by the first worker to ask, in the run's shared folder."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":  # each xdist worker has its own basetemp inside the run's
        shared = shared.parent
    with FileLock(str(shared / "book.lock")):
        if not os.environ.get(FRESH_ENV) and (found := _recorded(ROOT / "_build")):
            return found
        out = shared / "book"
        if found := _recorded(out / "_build"):
            return found
        jupyter_book(ROOT, out)
        jupyter_book(ROOT / "zh", out / "zh", SCALINGZIP_BOOK_OUTPUT=str(out))
        found = _recorded(out / "_build")
        assert found, f"the builds in {out} left no record of what they did (scalingzip.book.record)"
        return found
