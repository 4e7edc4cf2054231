"""The book builds from a clean directory, executing every notebook, with zero warnings, and the
HTML it produces loads nothing from outside itself (MathJax included), so it reads offline.

The labs are otter masters: the book shows each solution behind a toggle and never a hidden test,
and the instructor's build (``SCALINGZIP_LAB_SOLUTIONS=none``) holds no solution at all; both are
checked by searching every file of the build for the masters' solution and hidden-test lines.

This is the slow test: it executes every notebook once more (nbval executes them too), in a fresh
build directory with a fresh execution cache, so a cached success can never hide a failing cell.
"""

import html as html_entities
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from scalingzip.assignments import find_leaks, notebook_text, parse_master, secret_lines

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"

LABS = sorted((ROOT / "labs").glob("lab_*.ipynb"))

pytestmark = pytest.mark.book


def build(out: Path, **env_vars: str) -> tuple[Path, str]:
    """Build the book into ``out`` with warnings as errors; return its HTML folder and the log."""
    env = {**os.environ, "PYTHONWARNINGS": "default", **env_vars}
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


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> tuple[Path, str]:
    """Build the book into a temporary directory; return its HTML folder and the build log."""
    return build(tmp_path_factory.mktemp("book"))


@pytest.fixture(scope="module")
def book_without_solutions(book, tmp_path_factory) -> tuple[Path, str]:
    """The instructor's build: no solutions. It reuses the first build's execution cache (the
    chapters are the same), so only Sphinx's work is repeated; labs are not executed at all."""
    out = tmp_path_factory.mktemp("book-without-solutions")
    shutil.copytree(book[0].parent / ".jupyter_cache", out / "_build" / ".jupyter_cache")
    return build(out, SCALINGZIP_LAB_SOLUTIONS="none")


def text_of(path: Path) -> str:
    """What a reader or a downloader can get from a file of the build: a page's text (tags
    stripped, entities decoded), a notebook's strings, any other text file as it is."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".html":
        return html_entities.unescape(re.sub(r"<[^>]+>", "", raw))
    if path.suffix == ".ipynb":
        return notebook_text(nbformat.reads(raw, as_version=4))
    return raw


def leaks_in_build(html: Path, kinds: tuple[str, ...]) -> list[str]:
    """Secrets of the labs found in the build: each lab's page and downloadable notebook are
    searched for every solution and hidden-test line of its master (:func:`find_leaks`), and every
    text file of the build for the names of all hidden test functions (generic lines such as
    ``except ValueError:`` also occur in chapters, so only names are searched across files)."""
    found = []
    hidden_names = set()
    for lab in LABS:
        master = nbformat.read(lab, as_version=4)
        for q in parse_master(master):
            for i in q.hidden_tests:
                hidden_names.update(re.findall(r"def (test_\w+)", master.cells[i].source))
        for path in (html / "labs" / f"{lab.stem}.html", html / "_sources" / "labs" / f"{lab.stem}.ipynb"):
            found += [f"{path.relative_to(html)}: {leak}" for leak in find_leaks(text_of(path), master)
                      if leak.startswith(kinds)]
    assert hidden_names
    for path in sorted(html.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".js", ".txt", ".ipynb", ".json", ".md") and "_static" not in path.parts:
            text = path.read_text(encoding="utf-8", errors="replace")
            found += [f"{path.relative_to(html)}: hidden test {name}" for name in sorted(hidden_names) if name in text]
    return found


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


def test_lab_pages_show_solutions_behind_a_toggle(book):
    html, _ = book
    for lab in LABS:
        master = nbformat.read(lab, as_version=4)
        solution, _ = secret_lines(master)
        page = (html / "labs" / f"{lab.stem}.html").read_text(encoding="utf-8")
        text = text_of(html / "labs" / f"{lab.stem}.html")
        missing = [line for line in solution if line not in text]
        assert not missing, f"{lab.stem}: the page lacks solution lines: {missing[:3]}"
        collapsed = page.count('<details class="admonition hide above-input">')
        assert collapsed == len(parse_master(master)), f"{lab.stem}: {collapsed} collapsed solution cells"


def test_no_hidden_test_anywhere_in_the_book(book):
    html, _ = book
    found = leaks_in_build(html, ("hidden test",))
    assert not found, "hidden tests in the build:\n" + "\n".join(found[:20])


def test_downloadable_labs_are_the_student_copies(book):
    html, _ = book
    for lab in LABS:
        download = html / "_sources" / "labs" / f"{lab.stem}.ipynb"
        assert download.is_file(), f"no downloadable notebook for {lab.stem}"
        student = nbformat.read(download, as_version=4)
        found = find_leaks(notebook_text(student), nbformat.read(lab, as_version=4))
        assert not found, f"{download.name} holds:\n" + "\n".join(found[:10])
        assert any("..." in cell.source for cell in student.cells if cell.cell_type == "code")


def test_instructors_build_without_solutions(book_without_solutions):
    html, log = book_without_solutions
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    assert not warnings, "the build printed warnings:\n" + "\n".join(warnings)
    for lab in LABS:
        assert (html / "labs" / f"{lab.stem}.html").is_file()
    found = leaks_in_build(html, ("solution", "hidden test"))
    assert not found, "solutions or hidden tests in the build without solutions:\n" + "\n".join(found[:20])
