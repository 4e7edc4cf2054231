"""Sphinx extension: the book renders each lab (an otter master) as its students see it.

When Sphinx reads a notebook that is an otter master (:func:`scalingzip.classroom.assignments.is_master`), the
page is built from :func:`scalingzip.classroom.assignments.book_notebook` instead: no otter delimiters, no
hidden tests, and the solutions either behind a "show" toggle or not in the build at all. The
notebook offered for download (``_sources/...ipynb``) is the student's copy in both cases: the
notebook the classroom release hands out (stubs, public tests in ``grader.check`` cells, no
solution, no hidden test, no model answer), so students have one copy, which an instructor grades.

Which one is set by the config value ``lab_solutions`` (``_config.yml``: ``sphinx: config:``) or,
overriding it, the environment variable ``SCALINGZIP_LAB_SOLUTIONS``:

- ``hidden`` (default): solutions in the page, collapsed until the reader clicks them;
- ``none``: the instructor's build for a class: solutions left out, labs not executed.

Changing the value makes Sphinx re-read every page (the value is part of the environment).
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

from scalingzip.classroom.assignments import SOLUTION_MODES, book_notebook, is_master

ENV_VAR = "SCALINGZIP_LAB_SOLUTIONS"


def _mode_from_environment(app, config) -> None:
    value = os.environ.get(ENV_VAR, "").strip()
    if value:
        config.lab_solutions = value
    if config.lab_solutions not in SOLUTION_MODES:
        from sphinx.errors import ConfigError

        raise ConfigError(f"lab_solutions ({ENV_VAR}) must be one of {SOLUTION_MODES}, not {config.lab_solutions!r}")


def _read_master(text: str):
    try:
        nb = nbformat.reads(text, as_version=4)
    except ValueError:  # not a notebook in JSON form (nbformat's NotJSONError is a ValueError): not a master
        return None
    return nb if is_master(nb) else None


def _render_lab(app, docname: str, source: list[str]) -> None:
    """``source-read``: replace a master's text by the page the book shows."""
    if Path(app.env.doc2path(docname)).suffix != ".ipynb":
        return
    nb = _read_master(source[0])
    if nb is not None:
        source[0] = nbformat.writes(book_notebook(nb, app.config.lab_solutions))


def _student_downloads(app, exception) -> None:
    """``build-finished``: the downloadable copy of every lab is the student's notebook of the
    classroom release (:func:`scalingzip.classroom.release.release`), never the master: one student
    copy, gradable, whose checks run whatever its file name."""
    if exception is not None or app.builder.format != "html":
        return
    import shutil
    import tempfile

    from scalingzip.classroom.release import release

    sources = Path(app.outdir) / "_sources"
    for docname in sorted(app.env.found_docs):
        path = Path(app.env.doc2path(docname))
        if path.suffix != ".ipynb":
            continue
        target = sources / Path(docname + ".ipynb")
        if target.exists() and _read_master(path.read_text(encoding="utf-8")) is not None:
            with tempfile.TemporaryDirectory(prefix="lab-download-") as scratch:
                done = release(path, Path(scratch) / "release", gradescope=False)
                shutil.copyfile(done.student, target)


def setup(app):
    app.add_config_value("lab_solutions", "hidden", "env", [str])
    app.connect("config-inited", _mode_from_environment)
    app.connect("source-read", _render_lab)
    app.connect("build-finished", _student_downloads)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
