"""Sphinx extension: two fixes to the HTML that the pinned Sphinx and Jupyter Book write, so that
every page of the book loads in a browser without an error (the browser tests in
``tests/test_book.py`` check it).

- **Each inline script once.** Sphinx 7.4 writes twice each inline script that an extension adds
  with ``app.add_js_file(None, body=...)`` after the HTML builder has started: it keeps the
  script under the name ``None``, then adds it again from its registry under the name ``""``, and
  the two do not compare equal (sphinx-doc/sphinx#13402, fixed in Sphinx 8.2, which Jupyter Book
  1 cannot use). For sphinx-thebe's ``const THEBE_JS_URL = ...`` (Jupyter Book loads sphinx-thebe
  even with thebe off) the second copy throws "Identifier 'THEBE_JS_URL' has already been
  declared" on every page. :func:`_drop_duplicate_scripts` keeps the first of the scripts that
  differ only by that name.
- **A redirect page with the book's icon.** The book's root page is ``intro``, so
  sphinx-external-toc writes ``index.html`` as a bare ``<meta http-equiv="Refresh">`` line. With
  no icon declared there, the browser asks for ``/favicon.ico``, which does not exist (and, with
  the book served under a path, would not be the book's). :func:`_write_redirect_page` writes
  that page first, as a complete small page that declares the book's icon (``html.favicon`` in
  ``_config.yml``); sphinx-external-toc leaves an existing ``index.html`` alone.
"""

from __future__ import annotations

import html
from pathlib import Path


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


REDIRECT_PAGE = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8" />
<meta http-equiv="Refresh" content="0; url={target}" />
<title>{title}</title>
{icon}</head>
<body><p><a href="{target}">{title}</a></p></body>
</html>
"""


def _write_redirect_page(app, exception) -> None:
    """``build-finished`` (before sphinx-external-toc's): ``index.html``, when the root page is
    another one, as a page that sends the reader there and declares the book's icon."""
    if exception is not None or app.builder.name != "html":
        return
    root = app.config.root_doc
    if root == "index" or "index" in app.env.found_docs:
        return  # index.html is a page of the book
    favicon = str(app.config.html_favicon or "")
    if favicon and "://" not in favicon:
        favicon = f"_static/{Path(favicon).name}"  # where Sphinx copies it
    icon = f'<link rel="icon" href="{html.escape(favicon, quote=True)}" />\n' if favicon else ""
    page = REDIRECT_PAGE.format(
        lang=html.escape(app.config.language or "en", quote=True),
        target=html.escape(f"{root}.html", quote=True),
        title=html.escape(str(app.config.html_title or app.config.project or root)),
        icon=icon,
    )
    (Path(app.outdir) / "index.html").write_text(page, encoding="utf-8")


def setup(app):
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    app.connect("build-finished", _write_redirect_page, priority=400)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
