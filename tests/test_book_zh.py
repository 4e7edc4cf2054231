"""The Chinese edition's build (``zh/``), made after the English one from its execution cache, as the
README does (``tests/book_builds.py``): zero warnings, no chapter executed again, every page of
``zh/_toc.yml`` built, the themes' words in Chinese, every page of each edition linking to the same
page of the other, and the browser's checks (``tests/book_checks.py``), with Chinese search terms.
"""

import re
from pathlib import Path

import pytest
import yaml

from scalingzip.book.editions import translate_interface

import browser  # tests/browser.py: the book in Chromium
from book_checks import *  # noqa: F403 (the browser's checks and the builds' fixtures, run on this edition)

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.book


@pytest.fixture(scope="module")
def zh_book(builds) -> tuple[Path, str]:
    """The Chinese edition's HTML folder (the English build's ``zh/``, as it is published) and its log."""
    return builds["zh"].html, builds["zh"].log


@pytest.fixture(scope="module")
def edition(zh_book) -> tuple[str, Path]:
    """The edition the browser's checks read (tests/book_checks.py)."""
    return "zh", zh_book[0]


def test_the_chinese_edition_builds_from_the_english_execution(builds, zh_book):
    """Zero warnings, every page of zh/_toc.yml built, and no chapter executed again: every chapter's
    code cells are the English ones, so their outputs (every glued number, every figure) come from
    the English build's cache."""
    html, log = zh_book
    assert "WARNING" not in log, "\n".join(line for line in log.splitlines() if "WARNING" in line)[:3000]
    assert builds["zh"].warnings == 0
    for nb in sorted((ROOT / "zh" / "chapters").glob("*.ipynb")):
        assert f"zh/chapters/{nb.name}: Using cached notebook" in log, f"{nb.name}: not taken from the English cache"
        assert f"zh/chapters/{nb.name}: Executed" not in log, f"{nb.name}: executed again"
    from test_editions import toc_files

    missing = [page for page in toc_files(ROOT / "zh" / "_toc.yml") if not (html / f"{page}.html").is_file()]
    assert not missing, f"pages of zh/_toc.yml not built: {missing}"


def test_the_chinese_pages_speak_chinese_around_the_text(zh_book):
    """The themes' words that they write in English (the search field's placeholder, "Back to top",
    the sidebar toggles, the folded blocks' hints) are Chinese on every page of the Chinese edition:
    every word listed in ``edition_interface`` was put in its place, and none of the hints is left."""
    html, _ = zh_book
    words = yaml.safe_load((ROOT / "zh" / "_config.yml").read_text(encoding="utf-8"))["sphinx"]["config"]["edition_interface"]
    left = []
    for page in browser.book_pages(html):
        text = (html / page).read_text(encoding="utf-8")
        if translate_interface(text, words) != text or "Click to show" in text:
            left.append(page)
    assert not left, f"English interface words left on {len(left)} Chinese pages, e.g. {left[:5]}"
    assert "搜索本书" in (html / "intro.html").read_text(encoding="utf-8")


def test_every_page_links_to_the_same_page_of_the_other_edition(book, zh_book):
    """Each page's sidebar links to the same page in the other edition, and that page exists: the
    Chinese edition sits in the English build's zh/, as it is published."""
    english, chinese = book[0], zh_book[0]
    checked = 0
    for root, other in ((english, chinese), (chinese, english)):
        for name in browser.book_pages(root):
            if browser.redirect_of(root / name):
                continue
            found = re.search(r'<a class="edition-switch" href="([^"]+)"', (root / name).read_text(encoding="utf-8"))
            assert found, f"{root.name}/{name}: no link to the other edition"
            target = ((root / name).parent / found.group(1)).resolve()
            assert target == (other / name).resolve() and target.is_file(), f"{name}: the link leads to {target}"
            checked += 1
    assert checked > 40


# Phrases typed without spaces, as Chinese is written, and a page each must find: the index holds
# 霍夫曼 and 编码, 缩放 and 定律, as words (jieba), and the query is cut the same way in the browser
# (scalingzip.book.search.HAN_SPLITTER). tests/book_checks.py searches them.
PHRASES = {"霍夫曼编码": "chapters/02_lossless_compression.html", "缩放定律": "chapters/01_what_scaling_laws_are.html"}


def test_a_chinese_phrase_is_found_without_spaces(browser_audit):
    for phrase, page in PHRASES.items():
        found = {r.page for r in browser_audit.searches[phrase]}
        assert page in found, f"searching {phrase!r} did not find {page}; found {sorted(found)}"
