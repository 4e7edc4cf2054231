"""Sphinx extension: the search index holds what the pages show, not what they fold away.

Sphinx builds the search index (``searchindex.js``) from each page's doctree, the whole of it. The
book folds some text away until the reader asks for it: the chapters' exercise solutions and the
labs' model answers (sphinx-exercise's ``solution`` dropdowns), the labs' reference solutions
(code cells tagged ``solution``, which :mod:`~scalingzip.book.labpages` adds) and other dropdowns.
Indexed, a word found only in a reference solution leads a reader straight to the lab that holds
it. :func:`searchable` is the doctree the indexer gets instead: a copy without those nodes. The
page itself is written from the original, solutions included.

Chinese is written without spaces between words. Sphinx indexes it word by word (jieba splits
the text), but the browser splits a query only at spaces and punctuation, so a phrase typed as one
reads, "霍夫曼编码" (Huffman coding), is looked up as one word the index does not hold, and
finds nothing. :class:`ChineseSearch` gives the Chinese edition a query splitter
(:data:`HAN_SPLITTER`) that cuts such a run into the longest words the index holds.

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


# Sphinx's language_data.js defines this ``splitQuery`` in place of searchtools.js's. It runs when the
# index is loaded (Search._index): a run of Han characters that the index does not hold as a word is
# cut, left to right, into the longest words it holds (forward maximum matching); a lone character it
# does not hold (的, 和) is left out, so it cannot make the search's "every word" fail.
HAN_SPLITTER = r"""
function splitQuery(query) {
  const words = query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu).filter((w) => w);
  const index = typeof Search !== "undefined" ? Search._index : null;
  if (!index) return words;
  const has = (table, w) => Object.prototype.hasOwnProperty.call(table, w);
  const known = (w) => has(index.terms, w) || has(index.titleterms, w);
  const out = [];
  for (const word of words) {
    for (const run of word.match(/\p{Script=Han}+|[^\p{Script=Han}]+/gu)) {
      if (!/\p{Script=Han}/u.test(run) || known(run)) {
        out.push(run);
        continue;
      }
      const chars = Array.from(run);
      for (let i = 0; i < chars.length;) {
        let j = Math.min(chars.length, i + 12);
        while (j > i + 1 && !known(chars.slice(i, j).join(""))) j--;
        const piece = chars.slice(i, j).join("");
        if (known(piece)) out.push(piece);
        i = j;
      }
    }
  }
  return out.length ? out : words;
}
"""


def _chinese_search():
    """Sphinx's Chinese search language (jieba's word splitting for the index) with :data:`HAN_SPLITTER`
    for the queries."""
    from sphinx.search.zh import SearchChinese

    class ChineseSearch(SearchChinese):
        js_splitter_code = HAN_SPLITTER

    return ChineseSearch


def setup(app):
    app.connect("builder-inited", _index_what_is_shown)
    app.add_search_language(_chinese_search())
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
