"""Sphinx extension: the search index holds what the pages show, not what they fold away.

Sphinx builds the search index (``searchindex.js``) from each page's doctree, the whole of it. The
book folds some text away until the reader asks for it: the chapters' exercise solutions and the
labs' model answers (sphinx-exercise's ``solution`` dropdowns), the labs' reference solutions
(code cells tagged ``solution``, which :mod:`~scalingzip.book.labpages` adds) and other dropdowns.
Indexed, a word found only in a reference solution leads a reader straight to the lab that holds
it. :func:`searchable` is the doctree the indexer gets instead: a copy without those nodes. The
page itself is written from the original, solutions included.

The other half of the search is in the browser: ``_static/search_snippets.js`` (Jupyter Book loads
every ``_static/*.js``) lists each page once and writes its snippet from the page's prose only,
without code, math source, tables of contents or folded text. ``tests/browser.py`` checks both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Sphinx brings docutils; only the annotations name it
    from docutils import nodes

# Classes of the nodes the pages fold away: sphinx-exercise's solutions (``solution``), any
# ``:class: dropdown`` admonition, sphinx-togglebutton's toggles, and MyST-NB's cells tagged
# ``solution`` (a tag ``T`` becomes the class ``tag_T`` of the cell's container).
FOLDED_CLASSES = frozenset({"solution", "dropdown", "toggle", "tag_solution"})


def is_folded(node: nodes.Node) -> bool:
    """Whether a doctree node is one the page folds away (see :data:`FOLDED_CLASSES`)."""
    attributes = getattr(node, "attributes", None)  # text nodes have none
    return bool(attributes) and not FOLDED_CLASSES.isdisjoint(attributes.get("classes", ()))


def searchable(doctree: nodes.document) -> nodes.document:
    """A copy of ``doctree`` without the nodes the page folds away (:func:`is_folded`), and so
    without what they hold; ``doctree`` itself is left as it is."""
    copy = doctree.deepcopy()
    folded = list(copy.findall(is_folded))
    for node in folded:
        if node.parent is not None:
            node.parent.remove(node)
    return copy


def _index_what_is_shown(app) -> None:
    """``builder-inited``: the HTML builder indexes :func:`searchable` copies of the pages."""
    builder = app.builder
    index_page = getattr(builder, "index_page", None)
    if index_page is None:  # a builder without a search index (LaTeX, linkcheck, ...)
        return

    def index_shown_text(pagename: str, doctree: nodes.document, title: str) -> None:
        index_page(pagename, searchable(doctree), title)

    builder.index_page = index_shown_text


def setup(app):
    app.connect("builder-inited", _index_what_is_shown)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
