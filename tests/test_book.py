"""The English edition's build: zero warnings, every notebook executed once without an error, every
page of the table of contents built, nothing loaded from outside the build (MathJax included), so
it reads offline, and the browser's checks (``tests/book_checks.py``).

The build is the README's first command's where that one is up to date, else one made by this run
from a clean directory with warnings as errors (``tests/book_builds.py``): either way every
notebook under ``chapters/`` and ``labs/`` was executed exactly once, by that build, in a fresh
kernel, with a fresh execution cache (so a cached success can never hide a failing cell), and a
test per notebook checks what nbval would, on the build's own executed copy. (``pytest --nbval-lax
chapters/NAME.ipynb`` still checks one notebook while you work on it.)

The labs are otter masters: the book shows each solution behind a toggle and never a hidden test,
and the instructor's build (``SCALINGZIP_LAB_SOLUTIONS=none``, built here from the first build's
execution cache) holds no solution at all; both are checked by searching every file of the build
for the masters' solution and hidden-test lines.
"""

import html as html_entities
import io
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from PIL import Image

from scalingzip.classroom.assignments import find_leaks, notebook_text, parse_master, secret_lines

import browser  # tests/browser.py: the book in Chromium
from book_builds import Build, jupyter_book
from book_checks import *  # noqa: F403 (the browser's checks and the builds' fixtures, run on this edition)

ROOT = Path(__file__).resolve().parents[1]
LABS = sorted((ROOT / "labs").glob("lab_*.ipynb"))

pytestmark = pytest.mark.book


@pytest.fixture(scope="module")
def english(builds) -> Build:
    """The English edition's build (tests/book_builds.py)."""
    return builds["en"]


@pytest.fixture(scope="module")
def edition(book) -> tuple[str, Path]:
    """The edition the browser's checks read (tests/book_checks.py)."""
    return "en", book[0]


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
    log = jupyter_book(ROOT, out, "--config", str(out / "_config.yml"), SCALINGZIP_LAB_SOLUTIONS="none")
    return out / "_build" / "html", log


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


def test_book_builds_with_zero_warnings(english):
    warnings = build_warnings(english.log)
    assert not warnings and english.warnings == 0, (
        f"the build ({english.origin}) logged {english.warnings} warnings:\n" + "\n".join(warnings))


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
