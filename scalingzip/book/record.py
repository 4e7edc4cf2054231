"""Sphinx extension: a record of what a build of the book did, kept beside its output.

Building the book executes every notebook, which takes minutes, and checks little; the test
suite checks the build (its warnings, every executed notebook, every page in a browser). So that
the README's two commands execute each notebook once between them, not twice, each build writes
what those checks need into ``_build/build-record-EDITION.json`` (``en`` or ``zh``, both in the
English build's ``_build``, where the Chinese pages are published):

- ``fingerprint``: of the sources the book was built from (:func:`source_fingerprint`);
- ``log``: the build's messages, as its console showed them (each notebook "Executed" or
  "Using cached", every warning);
- ``warnings``: how many warnings and errors it logged (those ``suppress_warnings`` silences
  aside, as for Sphinx's own count);
- ``fresh_cache``: whether the execution cache was empty when the build began, so that every
  notebook the build shows was executed by the build itself, once, in a fresh kernel.

A build that fails writes no record and removes the one before it. :func:`read_record` returns
a record only if it matches the sources as they are now; ``tests/test_book.py`` checks such a
build where there is one (after the README's first command, in a fresh clone) and builds a fresh
one otherwise.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

from scalingzip.book.editions import english_build_dir

__all__ = ["RECORD_VERSION", "read_record", "record_path", "setup", "source_fingerprint"]

RECORD_VERSION = 1
# What no build reads: the tests, the CI set-up and the README change what is checked or said, not what is built.
_NOT_BUILT_FROM = ("tests/", ".ci/", ".github/", "README.md")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def source_fingerprint(root: str | os.PathLike) -> str | None:
    """A SHA-256, in hex, of what a build of the book in ``root`` (or a folder of it, such as ``zh``)
    reads: every file of the whole checkout that git does not ignore (tracked or not, its path and
    its bytes; a link by its target), less the tests, the CI set-up and the README; then the Python
    version and every installed distribution's version. None where ``root`` is not in a git
    checkout (or git is missing): such a build is never reused.
    """
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=root, capture_output=True, text=True,
                             check=True, timeout=60).stdout.strip()
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=top, capture_output=True, check=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    root = Path(top)
    digest = hashlib.sha256()
    for name in sorted(set(os.fsdecode(n) for n in listed.split(b"\0") if n)):
        if name.startswith(_NOT_BUILT_FROM):
            continue
        path = root / name
        if path.is_symlink():
            content = os.readlink(path).encode()
        elif path.is_file():
            content = path.read_bytes()
        else:  # listed by git but deleted since
            continue
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    digest.update(sys.version.encode() + b"\0")
    versions = sorted({f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()
                       if d.metadata["Name"]})
    digest.update("\n".join(versions).encode())
    return digest.hexdigest()


def record_path(build_dir: str | os.PathLike, edition: str) -> Path:
    """Where the record of ``edition``'s build lies in the English build's ``_build`` folder."""
    return Path(build_dir) / f"build-record-{edition}.json"


def read_record(build_dir: str | os.PathLike, edition: str, root: str | os.PathLike) -> dict | None:
    """The record of ``edition``'s last build in ``build_dir`` if it is of this version and was built
    from the sources now at ``root`` (:func:`source_fingerprint`); None otherwise."""
    path = record_path(build_dir, edition)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    fingerprint = source_fingerprint(root)
    if (not isinstance(record, dict) or record.get("version") != RECORD_VERSION or fingerprint is None
            or record.get("fingerprint") != fingerprint):
        return None
    return record


class _Tee(io.TextIOBase):
    """A stream that writes to Sphinx's console stream and keeps a copy."""

    def __init__(self, stream, copy: list[str]) -> None:
        self.stream, self.copy = stream, copy

    def write(self, text: str) -> int:
        self.copy.append(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


def _start(app) -> None:
    """``builder-inited``: note the sources and the cache as the build begins, and keep a copy of
    everything Sphinx's console handlers write from here on."""
    app._record_log = []  # noqa: SLF001 (state of this extension on the application)
    for handler in logging.getLogger("sphinx").handlers:
        if type(handler).__name__ in ("NewLineStreamHandler", "WarningStreamHandler"):
            handler.setStream(_Tee(handler.stream, app._record_log))
    cache = getattr(app.config, "nb_execution_cache_path", "") or ""
    app._record_fresh_cache = not (cache and Path(cache).exists() and any(Path(cache).iterdir()))
    app._record_fingerprint = source_fingerprint(app.confdir)


def _finish(app, exception) -> None:
    """``build-finished``: write the record of a build that succeeded; remove an old one otherwise."""
    if app.builder.name != "html":
        return
    path = record_path(english_build_dir(app) if app.config.edition != "en" else Path(app.outdir).parent,
                       app.config.edition)
    fingerprint = getattr(app, "_record_fingerprint", None)
    if exception is not None or fingerprint is None or source_fingerprint(app.confdir) != fingerprint:
        path.unlink(missing_ok=True)  # failed, not a checkout, or the sources changed while it ran
        return
    log = _ANSI.sub("", "".join(app._record_log))
    record = {
        "version": RECORD_VERSION,
        "edition": app.config.edition,
        "fingerprint": fingerprint,
        "fresh_cache": app._record_fresh_cache,
        "warnings": app._warncount,  # noqa: SLF001 (Sphinx's own count, as in "build succeeded, N warnings")
        "log": log,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def setup(app):
    app.connect("builder-inited", _start)
    app.connect("build-finished", _finish, priority=300)  # before the editions' copy of the Chinese pages
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
