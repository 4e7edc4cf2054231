"""The Chinese edition (zh/) beside the English one: the same pages, the same code, the same numbers.

Every chapter, lab, appendix and the front page of the English edition has its counterpart under
``zh/`` at the same path, listed in ``zh/_toc.yml`` in the same place. Each Chinese notebook has the
English one's cells in the same order: chapters with identical code cells (so the editions share
one execution and every glued number and figure), labs with the same code once comments and
string literals are set aside (their tests speak Chinese) and identical raw cells (otter's
delimiters), both with the same MyST roles, directives and labels in every markdown cell
(:func:`scalingzip.book.editions.problems`).
"""

import json
from pathlib import Path

import pytest
import yaml

from scalingzip.book.editions import code_without_prose, problems, translate_interface

ROOT = Path(__file__).resolve().parents[1]
ZH = ROOT / "zh"


def toc_files(toc: Path) -> list[str]:
    data = yaml.safe_load(toc.read_text(encoding="utf-8"))
    files = [data["root"]]

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))
            walk(entry.get("chapters", []))

    for part in data["parts"]:
        walk(part["chapters"])
    return files


def source_of(name: str, root: Path) -> Path:
    for suffix in (".ipynb", ".md"):
        if (root / f"{name}{suffix}").is_file():
            return root / f"{name}{suffix}"
    raise FileNotFoundError(f"no {name}.ipynb or {name}.md under {root}")


PAGES = toc_files(ROOT / "_toc.yml")
NOTEBOOKS = [p for p in PAGES if source_of(p, ROOT).suffix == ".ipynb"]


def test_the_chinese_table_of_contents_lists_the_same_pages_in_the_same_places():
    assert toc_files(ZH / "_toc.yml") == PAGES


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_its_chinese_counterpart(page):
    english = source_of(page, ROOT)
    assert (ZH / english.relative_to(ROOT)).is_file(), f"zh/{english.relative_to(ROOT)} is missing"


@pytest.mark.parametrize("page", NOTEBOOKS)
def test_each_chinese_notebook_matches_its_english_one(page):
    english = source_of(page, ROOT)
    chinese = ZH / english.relative_to(ROOT)
    found = problems(json.loads(english.read_text(encoding="utf-8")), json.loads(chinese.read_text(encoding="utf-8")),
                     lab=english.parent.name == "labs" and english.stem.startswith("lab_"))
    assert not found, f"{chinese.relative_to(ROOT)}:\n" + "\n".join(found[:20])


def test_the_parity_check_sees_what_it_must():
    en = {"metadata": {"kernelspec": {"name": "python3"}}, "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": "See {eq}`eq-a` and {glue:text}`n:,.0f` bytes."},
        {"cell_type": "code", "metadata": {"tags": ["hide-input"]}, "source": "x = f(1)  # one\nassert x, 'why'"},
        {"cell_type": "raw", "metadata": {}, "source": "# BEGIN TESTS"}]}

    def variant(**changes):
        nb = json.loads(json.dumps(en))
        for index, source in changes.items():
            nb["cells"][int(index[1:])]["source"] = source
        return nb

    assert problems(en, variant(c0="见 {eq}`eq-a`，共 {glue:text}`n:,.0f` 字节。"), lab=False) == []
    assert problems(en, variant(c0="见 {eq}`eq-b`。{glue:text}`n:,.0f`"), lab=False)  # a label changed
    assert problems(en, variant(c0="见 {eq}`eq-a`。"), lab=False)  # a glued value lost
    assert problems(en, variant(c1="x = f(1)  # 一\nassert x, '为什么'"), lab=False)  # chapters: identical code
    assert problems(en, variant(c1="x = f(1)  # 一\nassert x, '为什么'"), lab=True) == []  # labs: prose may differ
    assert problems(en, variant(c1="x = f(2)  # one\nassert x, 'why'"), lab=True)  # but not the code
    # a failing test's message is evaluated when it fails: the same values, whatever the words
    en["cells"][1]["source"] = "x = f(1)\nassert x, f'{x!r} is not {y:.2f}'"
    assert problems(en, variant(c1="x = f(1)\nassert x, f'{x!r} 不是 {y:,.3f}'"), lab=True) == []
    assert problems(en, variant(c1="x = f(1)\nassert x, f'{x!r} 不是 {z:.2f}'"), lab=True)
    assert problems(en, variant(c2="# BEGIN TEST"), lab=True)  # raw cells are otter's: identical
    assert code_without_prose("a = 'x'  # c\n") == code_without_prose("a = '乙'\n")


def test_the_interface_words_are_translated_in_the_chrome_only():
    """The themes' English words become the edition's where they are a whole attribute value or a whole
    text node of the page's chrome; the article's prose and code keep theirs, even a code span that
    happens to be one of the words."""
    words = {"Back to top": "回到顶部", "Page": "本页", "Search this book...": "搜索本书……", "a \"b\"": "甲"}
    page = ('<button title="Back to top">\n  Back to top\n</button><nav aria-label="Page">Page</nav>'
            '<input placeholder="Search this book..."><i title="a &quot;b&quot;"></i>'
            '<article class="bd-article"><p>Back to top of the page</p><code>Page</code>'
            '<a class="headerlink" title="Page">#</a></article><footer>Page two</footer>')
    assert translate_interface(page, words) == (
        '<button title="回到顶部">\n  回到顶部\n</button><nav aria-label="本页">本页</nav>'
        '<input placeholder="搜索本书……"><i title="甲"></i>'
        '<article class="bd-article"><p>Back to top of the page</p><code>Page</code>'
        '<a class="headerlink" title="本页">#</a></article><footer>Page two</footer>')
    with pytest.raises(ValueError, match="edition_interface"):
        translate_interface(page, {"Page": " "})


def test_the_chinese_config_translates_the_interface_words_it_lists():
    config = yaml.safe_load((ZH / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]
    words = config["edition_interface"]
    assert {"Search this book...", "Back to top", "Toggle primary sidebar", "Skip to main content"} <= set(words)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in own) for own in words.values()), "each in Chinese"
