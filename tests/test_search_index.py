"""The search index leaves out what the pages fold away (scalingzip.book.search): a doctree's
searchable copy has no solution cell, no solution and no dropdown, and the page's own doctree
keeps them. Fast: no build (tests/browser.py checks the built book's search)."""

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from scalingzip.book.search import is_folded, searchable


def page() -> nodes.document:
    doc = new_document("page", get_default_settings(Parser))
    section = nodes.section()
    section += nodes.paragraph(text="shown words")
    solution_cell = nodes.container(classes=["cell", "tag_solution", "tag_hide-input"])
    solution_cell += nodes.literal_block(text="secret_helper_name()")
    section += solution_cell
    answer = nodes.admonition(classes=["solution", "dropdown"])
    answer += nodes.paragraph(text="Model answer")
    section += answer
    hidden_code = nodes.container(classes=["cell", "tag_hide-input"])  # folded, but not a solution
    hidden_code += nodes.literal_block(text="glue_value('H', H)")
    section += hidden_code
    doc += section
    return doc


def test_the_searchable_copy_leaves_out_solutions_and_dropdowns():
    doc = page()
    text = searchable(doc).astext()
    assert "shown words" in text and "glue_value" in text
    assert "secret_helper_name" not in text and "Model answer" not in text
    assert "secret_helper_name" in doc.astext() and "Model answer" in doc.astext()  # the page keeps them


def test_what_counts_as_folded():
    assert is_folded(nodes.container(classes=["cell", "tag_solution"]))
    assert is_folded(nodes.admonition(classes=["dropdown"]))
    assert not is_folded(nodes.container(classes=["cell", "tag_hide-input"]))
    assert not is_folded(nodes.Text("solution"))
