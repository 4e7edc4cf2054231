"""The checks of a build in a browser, the same for both editions: ``tests/test_book.py`` runs them on
the English build, ``tests/test_book_zh.py`` on the Chinese one, each in its own worker of
``pytest -n 2``. Each of those modules defines the ``edition`` fixture, (name, HTML folder), and
imports everything listed in ``__all__``: these tests, the ``browser_audit`` fixture, and the
``builds`` and ``book`` fixtures both editions' checks start from.

Every page of the build, served on the loopback interface, is read once in Chromium driven by
Playwright (tests/browser.py, which runs on its own too: ``python tests/browser.py _build/html``).
Screenshots go to .artifacts/browser/EDITION/: light/ a screenshot of each page, dark/ each figure
as shown in dark mode.
"""

import os
from pathlib import Path

import pytest

import browser  # tests/browser.py: the book in Chromium
from book_builds import Build, both_editions

ROOT = Path(__file__).resolve().parents[1]
LABS = sorted((ROOT / "labs").glob("lab_*.ipynb"))
ARTIFACTS = ROOT / ".artifacts" / "browser"
# Per edition: a term to search for, the chapter that defines it, more terms, and how the glossary is called.
EDITIONS = {
    "en": dict(term="entropy", page="chapters/02_lossless_compression.html", terms=browser.SEARCH_TERMS,
               glossary="glossary", dark_figures=True),
    "zh": dict(term="剪枝", page="chapters/07_pruning.html",
               terms=("霍夫曼", "Chinchilla", "术语表", "参考答案", "霍夫曼编码", "缩放定律"), glossary="术语表",
               dark_figures=False),  # its figures are the English edition's files (test_figures_are_readable...)
}


@pytest.fixture(scope="module")
def builds(tmp_path_factory, worker_id) -> dict[str, Build]:
    """Both editions' builds, by edition (tests/book_builds.py)."""
    return both_editions(tmp_path_factory, worker_id)


@pytest.fixture(scope="module")
def book(builds) -> tuple[Path, str]:
    """The English build's HTML folder and its log."""
    return builds["en"].html, builds["en"].log


@pytest.fixture(scope="module")
def browser_audit(edition) -> browser.BookAudit:
    """What every page of the build did in the browser (:func:`browser.audit_book`). With no
    Chromium the browser tests are skipped, the reason and the install command in the run's summary;
    under CI (the environment variable ``CI`` set, as ``.ci/run`` and CI services do), where a
    Chromium is installed first, a missing one is a failure."""
    name, html = edition
    try:
        return browser.audit_book(html, ARTIFACTS / name, search_term=EDITIONS[name]["term"],
                                  search_terms=EDITIONS[name]["terms"], dark_figures=EDITIONS[name]["dark_figures"])
    except browser.NoBrowserError as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {error}", pytrace=False)
        pytest.skip(f"browser tests not run: {error}")


def _listed(problems: list[str], limit: int = 40) -> str:
    more = f"\n... and {len(problems) - limit} more" if len(problems) > limit else ""
    return "\n".join(problems[:limit]) + more

def test_every_page_loads_in_a_browser_without_errors(edition, browser_audit):
    """No console error, no uncaught exception, no failed request (the server's error answers
    included) and no request to any host but the loopback one, on any page of the build."""
    _, html = edition
    assert set(browser_audit.pages) == set(browser.book_pages(html))
    assert len(browser_audit.pages) >= 3
    problems = browser_audit.load_problems()
    assert not problems, "pages with errors in the browser:\n" + _listed(problems)


def test_math_is_typeset_in_the_browser_by_the_books_mathjax(browser_audit):
    with_math = [r for r in browser_audit.pages.values() if r.math_elements]
    assert with_math, "no page with math: the check would check nothing"
    problems = browser_audit.math_problems()
    assert not problems, "math not typeset by the build's MathJax:\n" + _listed(problems)
    for report in with_math:
        assert report.mathjax_containers >= report.math_elements, report.name


def test_every_image_loads(browser_audit):
    assert sum(r.images for r in browser_audit.pages.values()) > 0, "no image in the whole book"
    problems = browser_audit.image_problems()
    assert not problems, "images that did not load:\n" + _listed(problems)


def test_solutions_are_hidden_until_clicked(browser_audit):
    """Chapter exercises' solutions (sphinx-exercise) and the labs' reference solutions are folded
    away: hidden until their toggle is clicked, shown after. Every lab has some."""
    problems = browser_audit.solution_problems()
    for lab in LABS:
        name = f"labs/{lab.stem}.html"
        if browser_audit.pages[name].solutions == 0:
            problems.append(f"{name}: no solution toggle found")
    assert sum(r.solutions for r in browser_audit.pages.values()) > 0
    assert not problems, "solutions not hidden behind a working toggle:\n" + _listed(problems)


def test_search_finds_a_known_term(edition, browser_audit):
    """The book's search page, searching for a term the course defines, lists chapters (the one
    that defines it among them, while it exists), and only pages of the build. In the Chinese
    edition the term is Chinese, found through jieba's word splitting of the index."""
    name, html = edition
    SEARCH_TERM, SEARCH_PAGE = EDITIONS[name]["term"], EDITIONS[name]["page"]
    assert not browser_audit.search_problems, "the search page had errors:\n" + _listed(browser_audit.search_problems)
    pages = {link.split("#")[0] for link in browser_audit.search_links}
    assert any(p.startswith("chapters/") for p in pages), f"searching {SEARCH_TERM!r} found no chapter: {sorted(pages)}"
    if (html / SEARCH_PAGE).is_file():
        assert SEARCH_PAGE in pages, f"searching {SEARCH_TERM!r} did not find {SEARCH_PAGE}; found {sorted(pages)}"
    assert all((html / p).is_file() for p in pages), f"search results that are not pages: {sorted(pages)}"


def test_code_never_runs_past_the_content_column(browser_audit):
    """Every code block (a code cell's input or output) fits the content column at a desktop's size
    and on a phone: it wraps its long lines. The labs' public tests were the longest."""
    assert sum(r.code_blocks for r in browser_audit.pages.values()) > 0, "no code block in the whole book"
    for lab in LABS:
        assert browser_audit.pages[f"labs/{lab.stem}.html"].code_blocks > 0, f"{lab.stem}: no code block found"
    problems = browser_audit.code_problems()
    assert not problems, "code wider than the content column:\n" + _listed(problems)


def test_sidebar_keeps_the_title_and_the_search_field_in_view(browser_audit):
    """With the sidebar's table of contents opened out and scrolled to its end, the book's title and
    the search field are still on the screen, uncovered, and the title shows once."""
    assert max(r.sidebar_scrolled for r in browser_audit.pages.values()) > 100, (
        "the sidebar never scrolled in its check: the check would check nothing")
    problems = browser_audit.sidebar_problems()
    assert not problems, "the sidebar loses its title or search field:\n" + _listed(problems)


def test_bookkeeping_cells_are_folded_in_the_chapters(browser_audit):
    """Every hide-input cell (tests/test_chapter_cells.py says which chapter cells must be) shows a
    toggle, not its code; every chapter has some."""
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        assert browser_audit.pages[f"chapters/{nb.stem}.html"].folded_cells > 0, f"{nb.stem}: no folded cell"
    problems = browser_audit.folding_problems()
    assert not problems, "cells whose code should be folded:\n" + _listed(problems)


def test_pages_read_well_on_a_phone(browser_audit):
    """On a phone (390 x 844, touch, a mobile browser): no page wider than the screen, no inline
    code split inside a token, the menu showing the book's title once, no "Ctrl + K" hint."""
    visited = [r for r in browser_audit.pages.values() if not r.redirect]
    assert visited and all(r.phone_width > 0 for r in visited), "pages not visited on the phone"
    assert sum(r.inline_code for r in visited) > 0, "no inline code checked on the phone"
    problems = browser_audit.phone_problems()
    assert not problems, "pages that read badly on a phone:\n" + _listed(problems)


def test_search_snippets_are_prose(edition, browser_audit):
    """Searching for the course's terms, for "glossary", for the labs' "model answer" and for a word
    that only a lab's reference solution holds: each page is listed once, and the titles and
    snippets are prose, with no TeX source, no run of section numbers and nothing quoted from a
    folded solution; the solutions are not indexed, so the last word leads to none of them."""
    assert browser_audit.solution_word, "no word found that only the labs' solutions hold"
    searched = set(browser_audit.searches)
    name, _ = edition
    assert {EDITIONS[name]["term"], *EDITIONS[name]["terms"], browser_audit.solution_word} <= searched
    assert not browser_audit.search_problems, "the search page had errors:\n" + _listed(browser_audit.search_problems)
    glossary = [r.page for r in browser_audit.searches[EDITIONS[name]["glossary"]]]
    assert "appendices/glossary.html" in glossary, f"searching for the glossary did not find it: {glossary}"
    snippets = [r.snippet for results in browser_audit.searches.values() for r in results if r.snippet]
    assert len(snippets) > 10, "hardly any snippet to check"
    problems = browser_audit.snippet_problems()
    assert not problems, "search results that are not prose:\n" + _listed(problems)

def test_figures_are_readable_in_dark_mode(edition, browser_audit):
    """In dark mode every figure keeps its own light background and a contrast of at least 4.5
    between that background and its labels (browser.figure_readability). The Chinese edition's
    figures are the English edition's: every image file of its build is byte for byte one of the
    English build's, which are checked in that edition's audit."""
    name, html = edition
    if not EDITIONS[name]["dark_figures"]:
        english = html.parent / "_images"  # the edition is published in the English build's folder
        images = sorted(p for p in (html / "_images").iterdir() if p.is_file())
        assert images, "no image in the edition"
        others = [p.name for p in images if not (english / p.name).is_file() or (english / p.name).read_bytes() != p.read_bytes()]
        assert not others, f"images of the {name} edition that the English one does not have: {others[:10]}"
        return
    assert sum(r.figures for r in browser_audit.pages.values()) > 0, "no figure checked in dark mode"
    problems = browser_audit.dark_mode_problems()
    assert not problems, "figures hard to read in dark mode:\n" + _listed(problems)


def test_screenshots_are_saved(edition, browser_audit):
    shots = [Path(r.screenshot) for r in browser_audit.pages.values() if not r.redirect]
    assert shots and all(p.is_file() and p.stat().st_size > 0 for p in shots)
    dark = ARTIFACTS / edition[0] / "dark"
    assert len(list(dark.glob("*.png"))) == sum(r.figures for r in browser_audit.pages.values())


def test_chinese_text_renders_as_glyphs_in_both_glossaries(edition, browser_audit):
    """The glossaries of both editions show Chinese terms: drawn in the page's fonts, three Chinese
    characters are three different glyphs, not the same empty box (a CJK font is installed by the
    project's set-up: .ci/run installs Debian's fonts-noto-cjk)."""
    _, html = edition
    assert "熵" in (html / "appendices" / "glossary.html").read_text(encoding="utf-8")
    assert browser.cjk_glyphs_differ(html, "appendices/glossary.html"), (
        "Chinese characters render as boxes: install a CJK font (sudo apt-get install fonts-noto-cjk)")


__all__ = ["book", "browser_audit", "builds", *sorted(name for name in dir() if name.startswith("test_"))]
