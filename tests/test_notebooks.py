"""Committed notebooks carry no outputs and no execution counts: the book build executes them
(tests/test_book.py checks each executed notebook).

Run a single notebook cell by cell while you work on it with ``pytest --nbval-lax chapters/NAME.ipynb``.
"""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for folder in ("chapters", "labs", "zh/chapters", "zh/labs") for p in (ROOT / folder).rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under chapters/ or labs/"
    assert any(p.relative_to(ROOT).parts[0] == "zh" for p in NOTEBOOKS), "no notebooks of the Chinese edition (zh/)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_stored_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        i
        for i, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} carry outputs or execution counts; clear them "
        "(JupyterLab: Edit > Clear Outputs of All Cells, then save) before committing"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_runs_on_the_course_kernel(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3", f"{path.name}: use the python3 kernel"


def test_every_notebook_is_in_the_table_of_contents():
    missing = []
    for path in NOTEBOOKS:
        book = ROOT / "zh" if path.relative_to(ROOT).parts[0] == "zh" else ROOT  # each edition has its own _toc.yml
        if str(path.relative_to(book).with_suffix("")) not in (book / "_toc.yml").read_text(encoding="utf-8"):
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, f"notebooks not listed in their edition's _toc.yml (so never built): {missing}"
