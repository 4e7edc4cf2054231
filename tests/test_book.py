"""The book builds from a clean directory, executing every notebook, with zero warnings, and the
HTML it produces loads nothing from outside itself (MathJax included), so it reads offline.

This is the slow test: it executes every notebook once more (nbval executes them too), in a fresh
build directory with a fresh execution cache, so a cached success can never hide a failing cell.
"""

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"

pytestmark = pytest.mark.book


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> tuple[Path, str]:
    """Build the book into a temporary directory; return its HTML folder and the build log."""
    out = tmp_path_factory.mktemp("book")
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    proc = subprocess.run(
        [str(JUPYTER_BOOK), "build", str(ROOT), "--path-output", str(out), "--all", "-W", "--keep-going"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    log = proc.stdout + proc.stderr
    (out / "build.log").write_text(log, encoding="utf-8")
    if proc.returncode != 0:
        tail = "\n".join(log.splitlines()[-60:])
        pytest.fail(f"jupyter-book build failed (exit {proc.returncode}); full log in {out / 'build.log'}\n{tail}")
    return out / "_build" / "html", log


def test_book_builds_with_zero_warnings(book):
    _, log = book
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert not warnings, "the build printed warnings:\n" + "\n".join(warnings)
    assert "build succeeded" in log


def test_every_page_of_the_toc_is_built(book):
    html, _ = book
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    files = re.findall(r"^\s*(?:root|- file):\s*(\S+)", toc, flags=re.M)
    assert files
    for name in files:
        assert (html / f"{name}.html").is_file(), f"{name} is in _toc.yml but was not built"


class _ResourceCollector(HTMLParser):
    """Collects every URL a page would fetch as it loads (scripts, styles, images, frames)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "audio", "video", "embed") and a.get("src"):
            self.urls.append(a["src"])
        if tag == "link" and a.get("href"):
            rel = (a.get("rel") or "").lower()
            if any(r in rel for r in ("stylesheet", "preload", "modulepreload", "icon", "manifest")):
                self.urls.append(a["href"])


EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)


def test_html_loads_nothing_from_outside_the_build(book):
    html, _ = book
    offenders = []
    pages = [p for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts]  # not theme templates
    assert len(pages) >= 3
    for page in pages:
        collector = _ResourceCollector()
        collector.feed(page.read_text(encoding="utf-8"))
        offenders += [f"{page.relative_to(html)}: {url}" for url in collector.urls if EXTERNAL.match(url)]
        missing = [
            url for url in collector.urls
            if not EXTERNAL.match(url) and not url.startswith("data:")
            and not (page.parent / url.split("?")[0].split("#")[0]).exists()
        ]
        offenders += [f"{page.relative_to(html)}: missing local file {url}" for url in missing]
    for sheet in html.rglob("*.css"):
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", sheet.read_text(encoding="utf-8", errors="replace")):
            if EXTERNAL.match(url):
                offenders.append(f"{sheet.relative_to(html)}: {url}")
    assert not offenders, "pages would fetch from outside the build:\n" + "\n".join(sorted(set(offenders))[:50])


def test_math_is_typeset_by_a_local_mathjax(book):
    html, _ = book
    page = (html / "chapters" / "01_what_scaling_laws_are.html").read_text(encoding="utf-8")
    scripts = re.findall(r'<script[^>]+src="([^"]*mathjax[^"]*)"', page, flags=re.I)
    assert scripts, "no MathJax script on a page with math"
    for src in scripts:
        assert not EXTERNAL.match(src)
        assert (html / "chapters" / src.split("?")[0]).resolve().is_file()
    assert (html / "_static" / "mathjax" / "output" / "chtml" / "fonts").is_dir(), "MathJax's fonts are not in the build"
