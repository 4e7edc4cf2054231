"""Sphinx extension: launch buttons (Binder, Colab, JupyterHub) from one repository setting.

The book's ``_config.yml`` names the services once (``launch_buttons``) and leaves the
repository's address empty (``repository: url: ""``). Whoever publishes the course sets that one
address, and every chapter gets buttons that open its notebook on those services from the
repository. This extension keeps the two cases clean:

- no repository URL: no launch buttons at all (sphinx-book-theme would otherwise fail on a page
  with a notebook, or jupyter-book would fill in its own repository as the default);
- a lab page never gets launch buttons, whatever the setting: its notebook in the repository is the
  otter master, with the reference solutions and hidden tests in it (:mod:`scalingzip.book.labpages`
  shows its students a different notebook). Students take the student copy the page offers for
  download, or the one their instructor releases.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import nbformat

from scalingzip.classroom.assignments import is_master

PROVIDERS = ("binderhub_url", "jupyterhub_url", "colab_url", "deepnote_url", "thebe")
LAUNCH_GROUP = "launch-buttons"  # sphinx-book-theme's label of the header button group


def _no_repository_no_buttons(app, config) -> None:
    """``config-inited``: without a repository URL, switch every launch service off."""
    options = config.html_theme_options
    if not str(options.get("repository_url", "") or "").strip():
        buttons = dict(options.get("launch_buttons") or {})
        for key in PROVIDERS:
            if key in buttons:
                buttons[key] = False if key == "thebe" else ""
        options["launch_buttons"] = buttons


@lru_cache(maxsize=None)
def _is_master_file(path: str) -> bool:
    try:
        return is_master(nbformat.read(path, as_version=4))
    except (OSError, ValueError):  # not a readable notebook: not a master
        return False


def _no_buttons_on_labs(app, pagename, templatename, context, doctree) -> None:
    """``html-page-context`` (after the theme added its buttons): drop them from lab pages."""
    path = Path(app.env.doc2path(pagename))
    if path.suffix == ".ipynb" and _is_master_file(str(path)):
        buttons = context.get("header_buttons") or []
        buttons[:] = [b for b in buttons if b.get("label") != LAUNCH_GROUP]


def setup(app):
    app.connect("config-inited", _no_repository_no_buttons, priority=100)
    app.connect("html-page-context", _no_buttons_on_labs, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
