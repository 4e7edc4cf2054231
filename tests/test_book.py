"""The book builds from a clean directory, executing every notebook, with zero warnings, and the
HTML it produces loads nothing from outside itself (MathJax included), so it reads offline.

The labs are otter masters: the book shows each solution behind a toggle and never a hidden test,
and the instructor's build (``SCALINGZIP_LAB_SOLUTIONS=none``) holds no solution at all; both are
checked by searching every file of the build for the masters' solution and hidden-test lines.

Then the build is read in a browser (Chromium, driven by Playwright; ``tests/browser.py``): every
page served on the loopback interface loads with no console error, no failed request and no request
elsewhere, its math typeset by the build's own MathJax, every image loaded, every solution hidden
until clicked, every figure readable in dark mode, and the search finds a known term. The layout is
read at a desktop's size and on a phone: code never runs past the content column, the sidebar keeps
the book's title and the search field in view, the chapters' bookkeeping cells are folded, and on a
phone the page is no wider than the screen, inline code breaks only at its spaces, the menu shows
the title once and no keyboard hint shows. The search's snippets are prose: each page listed once,
no TeX, no run of section numbers, no text of a folded solution. Screenshots are saved under
``.artifacts/browser/``.

This is the slow test, and the one place where the suite executes the chapters and labs: the build
runs every notebook once, in a fresh build directory with a fresh execution cache (so a cached
success can never hide a failing cell), and a test per notebook checks what nbval would, on the
build's own executed copy. (``pytest --nbval-lax chapters/NAME.ipynb`` still checks one notebook
while you work on it.)
"""

import html as html_entities
import io
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
import yaml
from PIL import Image

from scalingzip.book.editions import translate_interface
from scalingzip.classroom.assignments import find_leaks, notebook_text, parse_master, secret_lines

import browser  # tests/browser.py: the book in Chromium

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"

LABS = sorted((ROOT / "labs").glob("lab_*.ipynb"))

pytestmark = pytest.mark.book


def build(out: Path, config: Path | None = None, **env_vars: str) -> tuple[Path, str]:
    """Build the book into ``out`` with warnings as errors (and another ``_config.yml`` if given);
    return its HTML folder and the log."""
    env = {**os.environ, "PYTHONWARNINGS": "default", **env_vars}
    extra = ["--config", str(config)] if config else []
    proc = subprocess.run(
        [str(JUPYTER_BOOK), "build", str(ROOT), "--path-output", str(out), "--all", "-W", "--keep-going", *extra],
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
def zh_book(book) -> tuple[Path, str]:
    """The Chinese edition, built after the English one as the README does: its chapters' outputs
    come from the English build's execution cache, and its pages are published in the English
    build's ``zh/``. Returns that folder and the build log."""
    html, _ = book
    out = html.parent.parent
    env = {**os.environ, "PYTHONWARNINGS": "default", "SCALINGZIP_BOOK_OUTPUT": str(out)}
    proc = subprocess.run(
        [str(JUPYTER_BOOK), "build", str(ROOT / "zh"), "--path-output", str(out / "zh"), "--all", "-W", "--keep-going"],
        capture_output=True, text=True, env=env, timeout=900)
    log = proc.stdout + proc.stderr
    (out / "build-zh.log").write_text(log, encoding="utf-8")
    if proc.returncode != 0:
        tail = "\n".join(log.splitlines()[-60:])
        pytest.fail(f"the Chinese edition's build failed (exit {proc.returncode}); log in {out / 'build-zh.log'}\n{tail}")
    return html / "zh", log


def test_the_chinese_edition_builds_from_the_english_execution(zh_book):
    """Zero warnings, every page of zh/_toc.yml built, and no chapter executed again: every chapter's
    code cells are the English ones, so their outputs (every glued number, every figure) come from
    the English build's cache."""
    html, log = zh_book
    assert "WARNING" not in log, "\n".join(line for line in log.splitlines() if "WARNING" in line)[:3000]
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
    assert "搜索本书" in (html / "index.html").read_text(encoding="utf-8")


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


PUBLISHED_AT = "https://github.com/example-org/scaling-laws-as-compression"


@pytest.fixture(scope="module")
def book_without_solutions(book, tmp_path_factory) -> tuple[Path, str]:
    """The build an instructor publishes for a class: no solutions, and the repository's address
    set in ``_config.yml`` (``repository: url:``), which turns the launch buttons on. It reuses
    the first build's execution cache (the chapters are the same), so only Sphinx's work is
    repeated; labs are not executed at all."""
    out = tmp_path_factory.mktemp("book-without-solutions")
    shutil.copytree(book[0].parent / ".jupyter_cache", out / "_build" / ".jupyter_cache")
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    published, n = re.subn(r'^(  url: )""', rf'\1"{PUBLISHED_AT}"', config, count=1, flags=re.M)
    assert n == 1, "_config.yml has no empty `repository: url:` line to set"
    (out / "_config.yml").write_text(published, encoding="utf-8")
    return build(out, out / "_config.yml", SCALINGZIP_LAB_SOLUTIONS="none")


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


NOTEBOOKS = sorted(p.relative_to(ROOT) for folder in ("chapters", "labs") for p in (ROOT / folder).glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=str)
def test_every_notebook_ran_in_the_build_without_an_error(book, notebook):
    """nbval's check, without a second execution: the build ran the notebook exactly once in a fresh
    kernel (its log says so, whether scalingzip.book.parallel_execution ran it before Sphinx read it
    or MyST-NB did; `raise_on_error` in _config.yml stops the build at a failing cell) and its
    executed copy holds no error output."""
    html, log = book
    runs = log.replace(str(ROOT) + os.sep, "").count(f"{notebook}: Executed notebook in")
    assert runs == 1, (f"the build executed {notebook} {runs} times, not once"
                       + (" (not in _toc.yml, or taken from a cache?)" if runs == 0 else ""))
    executed = nbformat.read(html.parent / "jupyter_execute" / notebook, as_version=4)
    errors = [f"cell {i}: {out.get('ename')}: {out.get('evalue')}" for i, cell in enumerate(executed.cells)
              if cell.cell_type == "code" for out in cell.get("outputs", []) if out.output_type == "error"]
    assert not errors, f"{notebook} raised in the build:\n" + "\n".join(errors)


def kernel_shutdown_races(lines: list[str]) -> set[int]:
    """Indices of log lines that only report ipykernel's race at kernel shutdown: after a notebook
    has run, the kernel's control handler flushes stdout or stderr into a socket the client has
    already closed, and tornado logs the ZMQError. No cell and no output is affected; any other
    ERROR line, or this one with another traceback, still counts."""
    races = set()
    for i, line in enumerate(lines):
        if line != "ERROR:tornado.general:Uncaught exception in ZMQStream callback":
            continue
        tail = lines[i + 1 : i + 25]
        end = next((j for j, t in enumerate(tail) if t.startswith("zmq.error.ZMQError")), None)
        if (end is not None and tail[end] == "zmq.error.ZMQError: Socket operation on non-socket"
                and any("in process_control" in t for t in tail[:end])
                and any("ipykernel/iostream.py" in t and "in flush" in t for t in tail[:end])):
            races.add(i)
    return races


def test_kernel_shutdown_races_are_recognised_and_nothing_else():
    race = ["ERROR:tornado.general:Uncaught exception in ZMQStream callback", "Traceback (most recent call last):",
            '  File ".../ipykernel/kernelbase.py", line 336, in process_control', "    sys.stdout.flush()",
            '  File ".../ipykernel/iostream.py", line 607, in flush', "    self.pub_thread.schedule(evt.set)",
            "zmq.error.ZMQError: Socket operation on non-socket"]
    assert kernel_shutdown_races(race) == {0}
    assert kernel_shutdown_races(race[:-1] + ["zmq.error.ZMQError: Address already in use"]) == set()
    assert kernel_shutdown_races([race[0], race[1], race[-1]]) == set()


def build_warnings(log: str) -> list[str]:
    """The WARNING and ERROR lines of a build log, less ipykernel's shutdown races."""
    lines = log.splitlines()
    benign = kernel_shutdown_races(lines)
    return [line for i, line in enumerate(lines) if ("WARNING" in line or "ERROR" in line) and i not in benign]


def test_book_builds_with_zero_warnings(book):
    _, log = book
    warnings = build_warnings(log)
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
        autograded = [q for q in parse_master(master) if not q.manual]
        assert collapsed == len(autograded), f"{lab.stem}: {collapsed} collapsed solution cells"
        written = [q for q in parse_master(master) if q.manual]
        assert page.count("Model answer") >= len(written), f"{lab.stem}: a written question's model answer is not in a dropdown"


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
        # the classroom release's student notebook: gradable as this lab, its checks find the file by any name
        assert student.metadata["otter"]["assignment_name"] == lab.stem
        assert f"this_notebook({lab.stem!r})" in student.cells[0].source


def test_instructors_build_without_solutions(book_without_solutions):
    html, log = book_without_solutions
    warnings = build_warnings(log)
    assert not warnings, "the build printed warnings:\n" + "\n".join(warnings)
    for lab in LABS:
        assert (html / "labs" / f"{lab.stem}.html").is_file()
    found = leaks_in_build(html, ("solution", "hidden test"))
    assert not found, "solutions or hidden tests in the build without solutions:\n" + "\n".join(found[:20])


LAUNCH_SERVICES = ("https://mybinder.org/", "https://colab.research.google.com/")


def launch_links(page: Path) -> list[str]:
    return [url for url in re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8"))
            if url.startswith(LAUNCH_SERVICES)]


def test_launch_buttons_follow_the_repository_setting(book, book_without_solutions):
    """With `repository: url:` empty (the default), no page has a launch button; set, every
    chapter opens its own notebook from that repository on Binder and Colab, and no lab page has
    one (its notebook in the repository is the master, solutions included)."""
    default_html, published_html = book[0], book_without_solutions[0]
    assert not [p for p in default_html.rglob("*.html") if launch_links(p)], "launch buttons without a repository"
    chapters = sorted((ROOT / "chapters").glob("*.ipynb"))
    assert chapters
    for nb in chapters:
        links = launch_links(published_html / "chapters" / f"{nb.stem}.html")
        assert len(links) == 2, f"{nb.stem}: expected a Binder and a Colab button, found {links}"
        repo_path = f"chapters/{nb.name}"
        binder, colab = sorted(links, key=lambda url: "colab" in url)
        assert binder == f"https://mybinder.org/v2/gh/example-org/scaling-laws-as-compression/main?urlpath=lab/tree/{repo_path}"
        assert colab == f"https://colab.research.google.com/github/example-org/scaling-laws-as-compression/blob/main/{repo_path}"
    for lab in LABS:
        assert not launch_links(published_html / "labs" / f"{lab.stem}.html"), f"{lab.stem} has launch buttons"


# --- In a browser ------------------------------------------------------------------------------
# Every page of the build, served on the loopback interface, read once in Chromium driven by
# Playwright (tests/browser.py, which runs on its own too: `python tests/browser.py _build/html`).
# Screenshots go to .artifacts/browser/: light/ a screenshot of each page, dark/ each figure as
# shown in dark mode.

ARTIFACTS = ROOT / ".artifacts" / "browser"
# Per edition: a term to search for, the chapter that defines it, more terms, and how the glossary is called.
EDITIONS = {
    "en": dict(term="entropy", page="chapters/02_lossless_compression.html", terms=browser.SEARCH_TERMS,
               glossary="glossary"),
    "zh": dict(term="剪枝", page="chapters/07_pruning.html", terms=("霍夫曼", "Chinchilla", "术语表", "参考答案"),
               glossary="术语表"),
}


@pytest.fixture(scope="module", params=sorted(EDITIONS))
def edition(request, book) -> tuple[str, Path]:
    """Each edition's HTML folder: the English build, and the Chinese one published in its zh/."""
    if request.param == "en":
        return "en", book[0]
    return "zh", request.getfixturevalue("zh_book")[0]


@pytest.fixture(scope="module")
def browser_audit(edition) -> browser.BookAudit:
    """What every page of the build did in the browser (:func:`browser.audit_book`). With no
    Chromium the browser tests are skipped, the reason and the install command in the run's summary;
    under CI (the environment variable ``CI`` set, as ``.ci/run`` and CI services do), where a
    Chromium is installed first, a missing one is a failure."""
    name, html = edition
    try:
        return browser.audit_book(html, ARTIFACTS / name, search_term=EDITIONS[name]["term"],
                                  search_terms=EDITIONS[name]["terms"])
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


def test_the_snippet_checks_catch_what_they_look_for():
    """browser.snippet_problems on made-up results: each defect it looks for is caught."""
    lab = browser.PageReport("labs/lab.html", solution_text="the reference solution calls secret_helper_name and returns the sum of all codes",
                             other_text="the lab asks for a function that returns the sum")
    results = {
        "entropy": [browser.SearchResult("chapters/a.html", "A", "the entropy \\log_2 p of a source"),
                    browser.SearchResult("chapters/a.html#x", "A", "entropy again"),
                    browser.SearchResult("chapters/b.html", "B", "Contents 1.1. Entropy 1.2. Codes 1.3. Huffman 1.4. Arithmetic")],
        "codes": [browser.SearchResult("labs/lab.html", "Lab", "... calls secret_helper_name and returns the sum of all codes ...")],
        "secret_helper_name": [browser.SearchResult("labs/lab.html", "Lab", "")],
        "fine": [browser.SearchResult("chapters/c.html", "C", "A model that predicts well codes in 0.66 bits per byte, 2.1 less.")],
    }
    problems = browser.snippet_problems(results, {"labs/lab.html": lab}, "secret_helper_name")
    assert any("listed 2 times" in p for p in problems)
    assert any("TeX source" in p for p in problems)
    assert any("section numbers" in p for p in problems)
    assert any("quotes a folded solution" in p for p in problems)
    assert any("only its folded solutions hold" in p for p in problems)
    assert not [p for p in problems if "'fine'" in p]
    assert browser.solution_only_word({"labs/lab.html": lab}) == "secret_helper_name"


def test_figures_are_readable_in_dark_mode(browser_audit):
    """In dark mode every figure keeps its own light background and a contrast of at least 4.5
    between that background and its labels (browser.figure_readability)."""
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


def _figure_png(transparent: bool) -> bytes:
    """A small matplotlib figure (black labels and lines), white or transparent."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2), dpi=100)
    ax.plot([1, 10, 100], [3, 2, 1.5], color="black")
    ax.set_xlabel("parameters")
    ax.set_ylabel("loss (bits)")
    ax.set_title("a scaling law")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", facecolor="none" if transparent else "white", transparent=transparent)
    plt.close(fig)
    return buffer.getvalue()


def test_the_dark_mode_check_rejects_a_transparent_figure():
    """browser.figure_readability, on a figure as a dark page shows it: a white figure passes,
    the same figure drawn transparent (black labels straight on the page) fails."""
    page = (18, 18, 18)  # sphinx-book-theme's dark background
    for transparent, readable in ((False, True), (True, False)):
        figure = Image.open(io.BytesIO(_figure_png(transparent))).convert("RGBA")
        shown = Image.new("RGBA", figure.size, page + (255,))
        shown.alpha_composite(figure)
        buffer = io.BytesIO()
        shown.convert("RGB").save(buffer, format="PNG")
        verdict = browser.figure_readability(buffer.getvalue(), page)
        assert (not verdict.problems) == readable, (transparent, verdict)
