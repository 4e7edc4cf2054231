"""Sphinx extension: two fixes to the HTML that the pinned Sphinx and theme write, so that every
page of the book loads without a console error (the browser tests in ``tests/test_book.py``
check it).

- **A script written twice.** Sphinx 7.4 writes twice each inline script that an extension adds
  with ``app.add_js_file(None, body=...)`` after the HTML builder starts: it keeps the script once
  under the name ``None`` and adds it again from its registry under the name ``""``, so the two
  do not look alike (sphinx-doc/sphinx#13402, fixed in Sphinx 8.2, which Jupyter Book 1 cannot
  use). For sphinx-thebe's ``const THEBE_JS_URL = ...`` the second copy throws "Identifier
  'THEBE_JS_URL' has already been declared" on every page. :func:`_drop_duplicate_scripts`
  keeps the first of scripts that differ only by that name.
- **No default colour mode.** pydata-sphinx-theme 0.15 starts each page with the mode stored in
  the reader's browser, or the theme option ``default_mode``, which Jupyter Book leaves empty: on
  a reader's first visit the theme logs "Got invalid theme mode: . Resetting to auto." as an
  error. :func:`_default_colour_mode` sets the option to ``auto`` (follow the reader's system),
  what the theme falls back to anyway.
"""

from __future__ import annotations


def _default_colour_mode(app, config) -> None:
    """``config-inited``: the theme's first colour mode is "auto" unless the book sets one."""
    options = config.html_theme_options
    if not options.get("default_mode"):
        options["default_mode"] = "auto"


def _script_key(script) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    return (
        str(getattr(script, "filename", script) or ""),
        getattr(script, "priority", None),
        tuple(sorted((str(k), str(v)) for k, v in attributes.items())),
    )


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree) -> None:
    """``html-page-context`` (last): each script once, the first occurrence kept in place."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("config-inited", _default_colour_mode)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
