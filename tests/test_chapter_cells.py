"""A chapter folds its bookkeeping away: a code cell that only glues numbers into the prose and
asserts what the prose claims (STYLE.md, convention 11) carries the tag ``hide-input``, so the page
shows its outputs, if any, and a "Show code cell source" toggle instead of the code. The code
still runs, and still asserts, on every build.

Read from the committed notebooks, with Python's own parser: no build, a fraction of a second.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))

GLUE_FUNCTIONS = {"glue", "glue_value"}  # myst_nb.glue and scalingzip.book.report.glue_value
GLUE_MODULES = {"myst_nb", "myst_nb.glue", "scalingzip.book.report"}
FOLDED = {"hide-input", "remove-input"}


def is_glue_call(node: ast.AST) -> bool:
    """``glue(...)``, ``glue_value(...)`` or ``myst_nb.glue(...)`` as a statement of its own."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    return name in GLUE_FUNCTIONS


def is_bookkeeping(node: ast.stmt) -> bool:
    """Whether a statement only keeps the book honest: a glue call, an ``assert``, an import of
    the glue helpers alone, or a loop or ``if`` made of such statements (and the assignments that
    feed them: ``for T, key in ...: n, d = best[T]; glue_value(...)``)."""
    if is_glue_call(node) or isinstance(node, (ast.Assert, ast.Pass)):
        return True
    if isinstance(node, ast.ImportFrom):
        return node.module in GLUE_MODULES and all(a.name in GLUE_FUNCTIONS for a in node.names)
    if isinstance(node, (ast.For, ast.If)):
        body = node.body + node.orelse
        return (any(is_bookkeeping(s) and not isinstance(s, ast.Pass) for s in body)
                and all(is_bookkeeping(s) or isinstance(s, (ast.Assign, ast.AugAssign)) for s in body))
    return False


def statements(source: str) -> list[ast.stmt]:
    """The top-level statements of a cell; IPython's magics and shell lines (``%...``, ``!...``)
    are not Python, and count as teaching code."""
    lines = ["pass  # magic" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    return ast.parse("\n".join(lines)).body


def is_bookkeeping_cell(source: str) -> bool:
    """A code cell whose every statement is bookkeeping (see :func:`is_bookkeeping`), with at least
    one glue call or assertion."""
    body = statements(source)
    return bool(body) and all(is_bookkeeping(s) for s in body) and any(not isinstance(s, ast.Pass) for s in body)


def bookkeeping_tail(source: str) -> int:
    """How many statements at the end of a cell are bookkeeping (0 if the last one is not)."""
    n = 0
    for node in reversed(statements(source)):
        if not is_bookkeeping(node):
            break
        n += 1
    return n


def cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def source_of(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_the_classifier_tells_bookkeeping_from_teaching_code():
    assert is_bookkeeping_cell('glue("h", float(H), display=False)\nassert 0 < H < 8, "a claim"')
    assert is_bookkeeping_cell("from scalingzip.book.report import glue_value\nglue_value('n', n)")
    assert is_bookkeeping_cell("for T, key in pairs:\n    n = best[T]\n    glue_value(f'n_{key}', n)\nassert ok")
    assert is_bookkeeping_cell("myst_nb.glue('x', 1.0, display=False)")
    assert not is_bookkeeping_cell("")
    assert not is_bookkeeping_cell("x = f(y)\nglue_value('x', x)")  # computes something
    assert not is_bookkeeping_cell("print(H)\nassert H > 0")  # prints for the reader
    assert not is_bookkeeping_cell("from scalingzip.book.report import glue_value, sci")
    assert not is_bookkeeping_cell("for x in xs:\n    x.fit()")
    assert bookkeeping_tail("x = f()\nprint(x)\nglue_value('x', x)\nassert x > 0") == 2
    assert bookkeeping_tail("glue_value('x', x)\nplt.show()") == 0


def test_there_are_chapters():
    assert CHAPTERS, "no chapters/*.ipynb"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_bookkeeping_cells_are_folded(path):
    """Every code cell made only of glue calls and assertions has its input folded (``hide-input``,
    or ``remove-input``): the reader sees the prose that quotes the numbers, not the plumbing."""
    unfolded = [
        f"cell {i} ({cell.get('id', 'no id')}): {source_of(cell).splitlines()[0][:60]!r}"
        for i, cell in enumerate(cells(path))
        if cell["cell_type"] == "code" and is_bookkeeping_cell(source_of(cell))
        and not FOLDED & set(cell.get("metadata", {}).get("tags", []))
    ]
    assert not unfolded, (f"{path.name}: bookkeeping cells shown in the page; tag them hide-input:\n"
                          + "\n".join(unfolded))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_chapter_cell_is_removed(path):
    """Folding hides code, it never removes it: no chapter cell is tagged ``remove-cell`` (its code
    would still run, but no reader could see what the build checks)."""
    removed = [i for i, cell in enumerate(cells(path)) if "remove-cell" in cell.get("metadata", {}).get("tags", [])]
    assert not removed, f"{path.name}: cells {removed} are tagged remove-cell"
