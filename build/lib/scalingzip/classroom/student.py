"""What a released lab runs in the student's kernel: finding the notebook's own file.

otter's ``grader.check("question")`` reads a question's public tests from the notebook's metadata,
so otter's ``Notebook`` must be told which file the kernel belongs to. otter's release writes the
lab's file name into its first cell, and a student who renames the file (or whose browser saves
``lab (1).ipynb``) gets a ``NameError`` in every check cell. The released notebook's first cell calls
:func:`this_notebook` instead, which finds the file whatever its name. This module imports nothing
beyond the standard library: it runs in every student's kernel.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

__all__ = ["assignment_name", "this_notebook"]


def assignment_name(path: str | os.PathLike) -> str | None:
    """The otter assignment a notebook file belongs to (its ``metadata.otter.assignment_name``), or
    ``None`` for a file that is not a notebook of a released lab."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    otter = nb.get("metadata", {}).get("otter", {}) if isinstance(nb, dict) else {}
    name = otter.get("assignment_name") if isinstance(otter, dict) else None
    return name if isinstance(name, str) else None


def _session_path() -> Path | None:
    """The notebook the kernel was started for, where the front end says so: Jupyter Server sets
    ``JPY_SESSION_NAME`` in the kernel's environment (and ipykernel exposes it as ``__session__``)."""
    candidates = [os.environ.get("JPY_SESSION_NAME")]
    ipython = sys.modules.get("IPython")  # loaded in a kernel; never imported here
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        candidates.append(shell.user_ns.get("__session__"))
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.endswith(".ipynb") and Path(candidate).is_file():
            return Path(candidate)
    return None


def this_notebook(lab: str, folder: str | os.PathLike = ".") -> str | None:
    """The path of the running notebook of lab ``lab``, for ``otter.Notebook(...)``.

    The front end's session path is used when it names a notebook of this lab; otherwise the
    notebooks of this lab in ``folder`` (the kernel's working directory, where Jupyter starts it:
    the notebook's own folder), and of several copies the one saved last. While otter grades a
    submission the path is not needed (the tests come with the autograder) and ``None`` is returned.

    Raises:
        FileNotFoundError: if no notebook of this lab is in ``folder``, with what to do about it.
    """
    otter = sys.modules.get("otter")  # the init cell imported it; in grading mode otter reads its own tests
    if otter is not None and getattr(getattr(otter, "Notebook", None), "_grading_mode", False):
        return None
    session = _session_path()
    if session is not None and assignment_name(session) == lab:
        return str(session)
    copies = [p for p in Path(folder).glob("*.ipynb") if assignment_name(p) == lab]
    if not copies:
        raise FileNotFoundError(
            f"no notebook of {lab} in {Path(folder).resolve()}: the checks read their tests from this notebook's "
            "file, so start the kernel from the notebook's own folder (open the notebook in JupyterLab or "
            "Jupyter Notebook), and use the student copy of the lab (its page's download, or the release)")
    return str(max(copies, key=lambda p: (p.stat().st_mtime, p.name)))
