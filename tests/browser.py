"""Read the built book the way a reader does: in a real browser, over HTTP.

The book's HTML is served on the loopback interface (:class:`BookServer`) and driven with
Playwright in Chromium (Debian's ``chromium`` package or any other Chromium, see
:func:`find_chromium`). :func:`audit_book` opens every page of the build twice, in one browser:
once in a tab at a desktop's size, once in a tab of a phone's (each in a context of its own), and
records in a :class:`PageReport` what the tests in ``test_book.py`` assert:

- what went wrong while it loaded: console errors, uncaught exceptions, failed requests (including
  every answer of 400 or more the server gave, so the browser's own ``/favicon.ico`` counts too)
  and any request to a host other than the loopback one;
- the math: whether MathJax, loaded from the build's own ``_static``, typeset every ``.math``
  element, with no MathJax error and no TeX left as raw text;
- whether every ``<img>`` loaded (lazy ones are made eager first);
- whether each solution (sphinx-exercise's ``solution`` dropdowns, the labs' solution cells) is
  hidden until its toggle is clicked, and shown after;
- in dark mode (the reader's system asks for it; the theme's "auto" mode follows), whether each
  figure is readable: :func:`figure_readability` on a screenshot of it as shown;
- the layout, at a desktop's 1280 x 900: no code block (a code cell's input or output) wider than
  the content column, the book's title and the search field still in view once the sidebar's
  table of contents is scrolled to its end (and the title shown once), every ``hide-input`` cell
  folded (its code behind a toggle);
- the layout on a phone (:data:`PHONE`: 390 x 844, a touch screen, a mobile browser): the page no
  wider than the screen, no code block wider than the column, no inline code split inside a token,
  the menu (the sidebar drawer) showing the book's title once, and no "Ctrl + K" keyboard hint in
  the search field or the search dialog.

It searches the book (:meth:`BookBrowser.search`) for a few terms (:data:`SEARCH_TERMS`, and a
word that only a lab's reference solution holds, :func:`solution_only_word`) and checks what the
results show (:func:`snippet_problems`): each page once, and snippets of prose, with no TeX, no
run of section numbers and no text of a folded solution. And it saves screenshots: a full-page one
of each page, light, and each figure as shown in dark mode.

Every page of the build is visited: each ``*.html`` outside ``_static`` (whose HTML files are
theme templates) and ``_sources``. That includes the generated ``genindex``, ``search`` and
``prf-prf`` pages: readers reach them from the header and the search box, and they load the same
theme scripts, so they can show the same console errors; they cost a fraction of a second each.

Run it on a build folder without pytest::

    .venv/bin/python tests/browser.py _build/html [--artifacts .artifacts/browser]

It prints every problem it finds and exits with 1 if there is one.
"""

from __future__ import annotations

import argparse
import functools
import io
import ipaddress
import os
import re
import shutil
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from PIL import Image

SEARCH_TERM = "entropy"
# Searched for, and their results' snippets checked: terms of the chapters, of the glossary, of the
# tables of contents, and of the labs' model answers (which sit in folded solutions).
SEARCH_TERMS = ("entropy", "Huffman", "Chinchilla", "glossary", "model answer")
VIEWPORT = {"width": 1280, "height": 900}
# A phone: a small screen, a touch screen, a mobile browser (Chrome on Android).
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 1,
    "user_agent": ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                   "Chrome/126.0.0.0 Mobile Safari/537.36"),
}
# Each page's screenshot is a JPEG of the whole page, or of its first four screens when it is
# longer (a chapter is some 20 screens): that shows its layout, header, first math and figures,
# for about 0.3 s and 0.3 MB a page, where a whole chapter costs 1.5 s and 1.5 MB. Every figure
# of every page is saved as well, as shown in dark mode, and the checks themselves read the DOM.
SCREENSHOT_QUALITY = 60
SCREENSHOT_MAX_HEIGHT = 4 * VIEWPORT["height"]
# WCAG's minimum contrast ratio for normal text (level AA): a figure's labels must reach it.
MIN_CONTRAST = 4.5
TIMEOUT_MS = 20_000

INSTALL_HINT = (
    "The browser tests need Chromium. On Debian or Ubuntu: `sudo apt-get install chromium` "
    "(.ci/run does this); anywhere else: `.venv/bin/python -m playwright install chromium`. "
    "Or point the CHROMIUM environment variable at a Chromium or Chrome executable."
)


class NoBrowserError(RuntimeError):
    """No Chromium to drive (the message says how to install one)."""


def find_chromium() -> str:
    """The Chromium to drive: ``$CHROMIUM`` if set, else the first of chromium, chromium-browser,
    google-chrome and google-chrome-stable on the PATH, else the browser ``playwright install
    chromium`` put in Playwright's cache. Raises :class:`NoBrowserError` if there is none."""
    wanted = os.environ.get("CHROMIUM", "").strip()
    if wanted:
        found = shutil.which(wanted)
        if found is None:
            raise NoBrowserError(f"CHROMIUM={wanted!r} is not an executable. {INSTALL_HINT}")
        return found
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    try:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            bundled = p.chromium.executable_path
        if bundled and Path(bundled).is_file():
            return bundled
    except Exception:  # no Playwright browser installed, or none for this platform
        pass
    raise NoBrowserError(f"No Chromium found. {INSTALL_HINT}")


# --- Serving the build ------------------------------------------------------------------------


class _Handler(SimpleHTTPRequestHandler):
    """Serves the build's folder; logs nothing, but records every answer of 400 or more."""

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass

    def log_request(self, code="-", size="-"):
        try:
            status = int(code)
        except (TypeError, ValueError):
            return
        if status >= 400:
            self.server.errors.append(f"{status} {urllib.parse.unquote(self.path)}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # The browser closing a connection mid-answer (it has what it needs, or it moved on to
        # the next page) is not an error of the book; anything else is still reported.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class BookServer:
    """``with BookServer(html_dir) as server:`` serves ``html_dir`` at ``server.url`` (on
    127.0.0.1, a free port) from a daemon thread, until the block ends. ``server.errors`` lists
    each request answered with a status of 400 or more, as ``"404 /favicon.ico"``."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.errors: list[str] = []
        self.url = ""
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "BookServer":
        self._httpd = _Server(("127.0.0.1", 0), functools.partial(_Handler, directory=str(self.root)))
        self._httpd.errors = self.errors
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="book-server", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def book_pages(html: Path) -> list[str]:
    """Every page of the build, as paths relative to ``html`` (``chapters/01_x.html``). The Chinese
    edition, published inside the English build as ``zh/``, is a book of its own: audit it on its own."""
    return sorted(
        p.relative_to(html).as_posix() for p in html.rglob("*.html")
        if not {"_static", "_sources"} & set(p.relative_to(html).parts) and p.relative_to(html).parts[0] != "zh"
    )


def cjk_glyphs_differ(html: Path, page: str, characters: str = "熵码率", executable: str | None = None) -> bool:
    """Whether Chinese characters, set in ``page``'s own font, are drawn as distinct glyphs: a system
    without a CJK font draws each as the same empty box, so the screenshots of three characters
    would be identical. Raises :class:`NoBrowserError` if there is no Chromium."""
    executable = executable or find_chromium()
    with BookServer(html) as server, BookBrowser(server.url, executable) as b:
        b.page.goto(server.url + page, wait_until="load")
        shots = []
        for ch in characters:
            b.page.evaluate(
                """(ch) => {
                    let probe = document.getElementById('cjk-probe');
                    if (!probe) {
                        probe = document.createElement('span');
                        probe.id = 'cjk-probe';
                        probe.style.fontSize = '48px';
                        (document.querySelector('article') || document.body).prepend(probe);
                    }
                    probe.textContent = ch;
                    return document.fonts.ready.then(() => true);
                }""", ch)
            shots.append(b.page.locator("#cjk-probe").screenshot())
    return len(set(shots)) == len(characters)


def redirect_of(page: Path) -> str | None:
    """Where a page that only redirects sends its reader (``<meta http-equiv="refresh"
    content="0; url=intro.html">``, the book's ``index.html``), or None for a real page."""
    match = re.search(r"""<meta[^>]+http-equiv=["']?refresh["']?[^>]+content=["']?\d+\s*;\s*url=([^"'>\s]+)""",
                      page.read_text(encoding="utf-8", errors="replace"), re.I)
    return match.group(1) if match else None


def is_loopback(url: str) -> bool:
    """Whether ``url`` stays on this machine (or is not a network URL at all: data:, blob:)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- Dark-mode readability of a figure ---------------------------------------------------------


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of sRGB colours (any shape ``(..., 3)``, values 0-255)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return linear @ np.array([0.2126, 0.7152, 0.0722])


def contrast_ratio(l1: float, l2: float) -> float:
    """WCAG contrast ratio of two relative luminances: 1 (none) to 21 (black on white)."""
    hi, lo = max(l1, l2), min(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


@dataclass
class Readability:
    """How a figure reads on the page, from a screenshot of it as shown (see
    :func:`figure_readability`)."""

    background: tuple[int, int, int]  # the figure's own background: its most common colour
    contrast: float  # between that background and the figure's ink (labels, axes, lines)
    distance_from_page: int  # largest channel difference between that background and the page's
    problems: list[str]


def figure_readability(png: bytes, page_background: tuple[int, int, int]) -> Readability:
    """Judge a screenshot of a figure as the page shows it.

    The figure's background is its most common colour (after rounding each channel to a multiple
    of 8, so that antialiasing does not split it); its ink is whatever lies furthest from that
    background in luminance, the 0.5th or 99.5th percentile of the pixels' luminance (labels,
    ticks, axes and lines of a plot cover well over 0.5% of it). The figure is readable when

    - the WCAG contrast ratio between background and ink is at least :data:`MIN_CONTRAST` (4.5,
      the level for normal text): a transparent figure with black labels, drawn over a dark page,
      has a contrast near 1;
    - its background is not the page's own (no channel within 24 of it): the book's figures are
      drawn on white, so a figure whose background is the dark page's shows a transparency leak,
      and whatever it draws in black (titles, legends, tick labels) sinks into the page.
    """
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).reshape(-1, 3)
    if len(rgb) == 0:
        return Readability((0, 0, 0), 1.0, 0, ["empty screenshot"])
    bins = rgb.astype(np.int64) // 8  # 32 levels a channel
    mode = int(np.argmax(np.bincount((bins[:, 0] << 10) | (bins[:, 1] << 5) | bins[:, 2], minlength=1 << 15)))
    background = tuple(int(((mode >> shift) & 31) * 8 + 4) for shift in (10, 5, 0))
    lum = relative_luminance(rgb)
    bg_lum = float(relative_luminance(np.array(background)))
    ink = np.percentile(lum, [0.5, 99.5])
    contrast = max(contrast_ratio(bg_lum, float(v)) for v in ink)
    distance = int(np.max(np.abs(np.array(background) - np.array(page_background))))
    problems = []
    if contrast < MIN_CONTRAST:
        problems.append(f"contrast {contrast:.2f} between its background and its ink (need {MIN_CONTRAST})")
    if distance <= 24:
        problems.append(f"its background {background} is the dark page's own {tuple(page_background)}")
    return Readability(background, contrast, distance, problems)


# --- Visiting pages ---------------------------------------------------------------------------


@dataclass
class PageReport:
    """What one page did in the browser (lists are empty when all is well)."""

    name: str
    redirect: str = ""  # where the page sends its reader, if it is only a redirect
    seconds: float = 0.0
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    math_elements: int = 0  # .math elements in the page's source (span.math, div.math)
    mathjax_containers: int = 0  # mjx-container elements after typesetting
    math_problems: list[str] = field(default_factory=list)
    images: int = 0
    broken_images: list[str] = field(default_factory=list)
    solutions: int = 0  # solution toggles checked
    solution_problems: list[str] = field(default_factory=list)
    dark_theme: str = ""  # data-theme once dark mode was asked for ("dark" if it worked)
    dark_page_background: tuple[int, int, int] = (0, 0, 0)
    figures: int = 0  # figures checked in dark mode
    figure_problems: list[str] = field(default_factory=list)
    code_blocks: int = 0  # <pre> elements in the article (code cells' inputs and outputs)
    code_problems: list[str] = field(default_factory=list)  # code wider than the column, desktop or phone
    sidebar_scrolled: int = 0  # pixels the sidebar's table of contents scrolled in its check
    sidebar_problems: list[str] = field(default_factory=list)
    folded_cells: int = 0  # hide-input cells checked
    folding_problems: list[str] = field(default_factory=list)
    phone_width: int = 0  # the page's width on the phone (its scrollWidth), CSS pixels
    inline_code: int = 0  # inline code elements checked on the phone
    phone_problems: list[str] = field(default_factory=list)
    solution_text: str = field(default="", repr=False)  # the text of the page's solutions
    other_text: str = field(default="", repr=False)  # the text of the rest of its article
    screenshot: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds per step of the visit


# Run in the page: make lazy images eager and wait until every image has loaded or failed.
_LOAD_IMAGES = """async (timeout) => {
  const imgs = [...document.images];
  imgs.forEach((img) => { img.loading = "eager"; });
  const settled = imgs.map((img) => img.complete ? null : new Promise((resolve) => {
    img.addEventListener("load", resolve, {once: true});
    img.addEventListener("error", resolve, {once: true});
  }));
  await Promise.race([Promise.all(settled), new Promise((r) => setTimeout(r, timeout))]);
  return imgs.map((img) => ({src: img.getAttribute("src") || "", ok: img.complete && img.naturalWidth > 0}));
}"""

# Run in the page after MathJax: what is there of math, typeset or not.
_MATH_FACTS = r"""() => {
  const scripts = [...document.querySelectorAll("script[src]")]
    .map((s) => s.src).filter((src) => /mathjax/i.test(src));
  const untypeset = [...document.querySelectorAll(".math")]
    .filter((el) => !el.querySelector("mjx-container"))
    .map((el) => el.textContent.trim().slice(0, 80));
  const errors = [...document.querySelectorAll("mjx-merror")]
    .map((el) => el.getAttribute("data-mjx-error") || el.textContent.slice(0, 80));
  // TeX left as text: delimiters outside code, scripts and typeset math.
  const skip = "pre, code, script, style, textarea, mjx-container, .highlight";
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.nodeValue;
    if (/\\\(|\\\[|\$\$|\\begin\{/.test(text) && !node.parentElement.closest(skip))
      raw.push(text.trim().slice(0, 80));
  }
  return {
    scripts,
    version: window.MathJax && window.MathJax.version || null,
    math: document.querySelectorAll(".math").length,
    containers: document.querySelectorAll("mjx-container").length,
    untypeset, errors, raw,
  };
}"""

# Solutions: sphinx-exercise's solution admonitions (a sphinx-togglebutton dropdown) and the labs'
# solution cells (a <details> toggle around the cell's input).
_SOLUTIONS = "div.solution, .cell.tag_solution"

# Run in the page: for the first solution ({first: 1}), check that its content is hidden and mark
# its toggle and content for a real click; for all the others ({first: 0}), check that the content
# is hidden, click the toggle and check that the content is shown. Shown means what Playwright's
# is_visible() means: rendered (not in a closed <details>, not display: none, not visibility:
# hidden) with a non-empty box.
_TOGGLE_SOLUTIONS = r"""({selector, first}) => {
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    return el.checkVisibility({visibilityProperty: true}) && box.width > 0 && box.height > 0;
  };
  const all = [...document.querySelectorAll(selector)];
  return (first ? all.slice(0, 1) : all.slice(1)).map((solution, i) => {
    const label = solution.id || `solution cell ${first ? 1 : i + 2}`;
    const details = solution.querySelector("details");
    const toggle = details ? details.querySelector(":scope > summary")
                           : solution.querySelector(":scope > .admonition-title");
    const content = details ? details.querySelector(":scope > :not(summary)")
                            : solution.querySelector(":scope > :not(.admonition-title)");
    if (!toggle || !content) return {label, problem: "no toggle or no content"};
    if (shown(content)) return {label, problem: "shown before its toggle was clicked"};
    if (first) {
      toggle.setAttribute("data-audit-toggle", "");
      content.setAttribute("data-audit-content", "");
      return {label, problem: null};
    }
    toggle.click();
    return {label, problem: shown(content) ? null : "not shown after a click"};
  });
}"""


# --- Layout: desktop and phone --------------------------------------------------------------

# Run in the page: every <pre> of the article (a code cell's input or output, a code block) fits the
# content column. One that is shown must be no wider than its own box (its scrollWidth, which is
# its longest line, at most its clientWidth); one that is folded away (a hidden cell's code, not
# rendered until its toggle is clicked) must at least wrap its lines.
_CODE_WIDTHS = r"""() => {
  const article = document.querySelector("article.bd-article") || document.querySelector("[role=main]");
  const pres = article ? [...article.querySelectorAll("pre")] : [];
  const problems = [];
  for (const pre of pres) {
    const what = JSON.stringify((pre.textContent.trim().split("\n")[0] || "").slice(0, 50));
    const whiteSpace = getComputedStyle(pre).whiteSpace;
    if (pre.checkVisibility() && pre.clientWidth > 0) {
      if (pre.scrollWidth > pre.clientWidth + 1)
        problems.push(`code runs ${pre.scrollWidth - pre.clientWidth} px past its ${pre.clientWidth} px box: ${what}`);
    } else if (!/^(pre-wrap|pre-line|break-spaces)$/.test(whiteSpace)) {
      problems.push(`folded code that will not wrap (white-space: ${whiteSpace}): ${what}`);
    }
  }
  return {count: pres.length, problems};
}"""

# A function, in the page, that counts how many times the book's title (the sidebar's
# .logo__title) is shown inside `root`: visible elements on the screen whose whole text is the
# title and none of whose children's is. Null where the book shows a logo image, not a title.
_COUNT_TITLE = r"""(root) => {
  const norm = (el) => el.textContent.replace(/\s+/g, " ").trim();
  const brand = document.querySelector(".bd-sidebar-primary .logo__title");
  if (!brand || !norm(brand)) return null;
  const title = norm(brand);
  return [...root.querySelectorAll("*")].filter((el) => {
    if (norm(el) !== title || [...el.children].some((child) => norm(child) === title)) return false;
    const box = el.getBoundingClientRect();
    return el.checkVisibility({visibilityProperty: true, opacityProperty: true})
      && box.width > 0 && box.height > 0 && box.right > 0 && box.left < innerWidth;
  }).length;
}"""

# Run in the page (desktop): open every section of the sidebar's table of contents, so that it is as
# long as it gets, scroll the sidebar to its end, and check that the book's title and the search
# field are still on the screen and not covered; then put the sidebar back as it was. Also: the
# title shows once in the sidebar.
_SIDEBAR = r"""() => {
  const countTitle = COUNT_TITLE;
  const sidebar = document.querySelector(".bd-sidebar-primary");
  if (!sidebar || !sidebar.checkVisibility()) return null;
  const closed = [...sidebar.querySelectorAll("details:not([open])")];
  closed.forEach((d) => { d.open = true; });
  const before = sidebar.scrollTop;
  sidebar.scrollTop = sidebar.scrollHeight;
  const scrolled = sidebar.scrollTop;
  const inView = (el, label) => {
    if (!el) return `no ${label} in the sidebar`;
    const box = el.getBoundingClientRect();
    if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true}) || !box.width || !box.height)
      return `the ${label} is not shown`;
    if (box.top < -1 || box.bottom > innerHeight + 1)
      return `the ${label} is out of view (top ${Math.round(box.top)} px, bottom ${Math.round(box.bottom)} px of ${innerHeight}) once the sidebar is scrolled ${scrolled} px to its end`;
    const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
    if (!hit || !el.contains(hit))
      return `the ${label} is covered (by ${hit ? hit.tagName.toLowerCase() + "." + [...hit.classList].join(".") : "nothing"}) once the sidebar is scrolled to its end`;
    return null;
  };
  const problems = [inView(sidebar.querySelector(".navbar-brand"), "book's title"),
                    inView(sidebar.querySelector(".search-button-field"), "search field")].filter(Boolean);
  sidebar.scrollTop = before;
  closed.forEach((d) => { d.open = false; });
  const titles = countTitle(sidebar);
  if (titles !== null && titles !== 1) problems.push(`the book's title is shown ${titles} times in the sidebar`);
  return {scrolled, problems};
}""".replace("COUNT_TITLE", _COUNT_TITLE)

# Run in the page: every hide-input cell (the chapters' bookkeeping, the labs' solutions) shows a
# toggle and not its code, until the toggle is clicked.
_FOLDED_CELLS = r"""() => {
  const cells = [...document.querySelectorAll(".cell.tag_hide-input")];
  const problems = [];
  cells.forEach((cell, i) => {
    const input = cell.querySelector(".cell_input");
    const toggle = cell.querySelector("details > summary");
    const label = `hide-input cell ${i + 1} (${JSON.stringify((input ? input.textContent.trim() : "").split("\n")[0].slice(0, 40))})`;
    if (!input) problems.push(`${label}: no input`);
    else if (input.checkVisibility()) problems.push(`${label}: its code is shown before its toggle is clicked`);
    else if (!toggle || !toggle.checkVisibility()) problems.push(`${label}: no toggle to show its code`);
  });
  return {count: cells.length, problems};
}"""

# Run in the page, before any solution is opened: the text of its solutions (the elements that
# `selector` finds) and the text of the rest of its article, blocks apart and white space collapsed,
# for the search's snippets to be compared with (snippet_problems).
_TEXTS = r"""(selector) => {
  const article = document.querySelector("article.bd-article") || document.querySelector("[role=main]");
  if (!article) return {solution: "", other: ""};
  const text = (el) => {
    el.querySelectorAll("script, style, mjx-container").forEach((e) => e.remove());
    el.querySelectorAll("p, li, dt, dd, div, section, h1, h2, h3, h4, h5, h6, td, th, pre").forEach((e) => e.append(" "));
    return el.textContent.replace(/\s+/g, " ").trim();
  };
  const solutions = [...article.querySelectorAll(selector)].map((el) => text(el.cloneNode(true)));
  const rest = article.cloneNode(true);
  rest.querySelectorAll(selector).forEach((el) => el.remove());
  return {solution: solutions.join(" | "), other: text(rest)};
}"""

# Run in the page (phone): the page no wider than the screen (the elements that reach past it
# named if it is), no inline code split across lines inside a token (a run of characters without a
# space), no keyboard hint shown. The screen's width is given: a mobile browser widens its layout
# viewport (innerWidth) to a page that is too wide, and zooms out.
_PHONE_LAYOUT = r"""(screenWidth) => {
  const problems = [];
  const describe = (el) => el.tagName.toLowerCase() + (el.classList.length ? "." + [...el.classList].slice(0, 3).join(".") : "");
  const width = document.documentElement.scrollWidth;
  if (width > screenWidth + 1) {
    const past = (el) => el.getBoundingClientRect().right > screenWidth + 1 && el.checkVisibility();
    const widest = [...new Set([...document.body.querySelectorAll("*")]
      .filter((el) => past(el) && ![...el.children].some(past)).map(describe))].slice(0, 4);
    problems.push(`the page is ${width} px wide on a ${screenWidth} px screen: ${widest.join(", ")}`);
  }
  // A token is split when some of its boxes lie wholly below others: it spans two lines.
  const splitToken = (code) => {
    const chars = [];
    const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode())
      for (let i = 0; i < node.nodeValue.length; i++) chars.push([node, i, node.nodeValue[i]]);
    for (let start = 0; start < chars.length;) {
      if (/\s/.test(chars[start][2])) { start++; continue; }
      let end = start;
      while (end + 1 < chars.length && !/\s/.test(chars[end + 1][2])) end++;
      const range = document.createRange();
      range.setStart(chars[start][0], chars[start][1]);
      range.setEnd(chars[end][0], chars[end][1] + 1);
      const boxes = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
      if (boxes.length > 1 && Math.max(...boxes.map((r) => r.top)) >= Math.min(...boxes.map((r) => r.bottom)) - 1)
        return chars.slice(start, end + 1).map((c) => c[2]).join("");
      start = end + 1;
    }
    return null;
  };
  const article = document.querySelector("article.bd-article") || document.querySelector("[role=main]");
  const codes = article ? [...article.querySelectorAll("code")].filter((c) => !c.closest("pre") && c.checkVisibility()) : [];
  for (const code of codes) {
    const token = splitToken(code);
    if (token) problems.push(`inline code split inside ${JSON.stringify(token.slice(0, 60))}`);
  }
  const hints = [...document.querySelectorAll(".search-button__kbd-shortcut")]
    .filter((el) => el.checkVisibility({visibilityProperty: true, opacityProperty: true}) && el.getBoundingClientRect().width > 0);
  if (hints.length) problems.push(`a "Ctrl + K" keyboard hint is shown (${hints.length})`);
  return {width, codes: codes.length, problems};
}"""


class BookBrowser:
    """One Chromium, reused for every page: one context and one tab at a desktop's size
    (:data:`VIEWPORT`), and, from the first :meth:`audit_phone`, one on a phone (:data:`PHONE`);
    ``with BookBrowser(server_url, executable) as b:``. ``self.page`` is the tab in use (the
    desktop's but during a phone's visit). Network access outside the loopback interface is cut off
    at the browser (every other host resolves to nothing), so a page that tries shows up as an
    external and a failed request, and the tests never depend on the network."""

    def __init__(self, base_url: str, executable: str, server_errors: list[str] | None = None,
                 dark_figures: bool = True):
        self.base_url = base_url
        self.executable = executable
        self.server_errors = server_errors if server_errors is not None else []
        self.dark_figures = dark_figures  # check each figure in dark mode (audit_page)
        self._report: PageReport | None = None
        self._in_flight: set = set()
        self._phone = None

    def __enter__(self) -> "BookBrowser":
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self.browser = self._pw.chromium.launch(
                executable_path=self.executable,
                args=["--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"],
            )
            self.context = self.browser.new_context(viewport=VIEWPORT, color_scheme="light", device_scale_factor=1)
            self.context.set_default_timeout(TIMEOUT_MS)
            self.page = self.desktop = self.context.new_page()
        except Exception:
            self._pw.stop()
            raise
        self._watch(self.page)
        return self

    def _watch(self, page) -> None:
        """Record what goes wrong in ``page`` in the report of the visit under way."""
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self._record("page_errors", str(error)))
        # A request the browser itself cancels (net::ERR_ABORTED: the page it was for was left,
        # as when index.html redirects at once, or the icon it fetches after the load) is no
        # failure of the resource: a missing one is still a 404 from the server.
        page.on("requestfailed", lambda r: r.failure == "net::ERR_ABORTED"
                or self._record("failed_requests", f"{r.failure} {r.url}"))
        page.on("response", lambda r: r.status >= 400 and self._record("failed_requests", f"{r.status} {r.url}"))
        page.on("request", self._on_request)
        page.on("requestfinished", lambda r: self._in_flight.discard(r))
        page.on("requestfailed", lambda r: self._in_flight.discard(r))

    def _phone_tab(self):
        """The phone's tab, opened on first use, in a context of its own."""
        if self._phone is None:
            context = self.browser.new_context(**PHONE, color_scheme="light")
            context.set_default_timeout(TIMEOUT_MS)
            self._phone = context.new_page()
            self._watch(self._phone)
        return self._phone

    def __exit__(self, *exc) -> None:
        try:
            self.browser.close()
        finally:
            self._pw.stop()

    def _record(self, kind: str, text: str) -> None:
        if self._report is not None:
            getattr(self._report, kind).append(text)

    def _on_request(self, request) -> None:
        self._in_flight.add(request)
        if not is_loopback(request.url):
            self._record("external_requests", request.url)

    def _on_console(self, message) -> None:
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            self._record("console_errors", f"{message.text} ({where})" if where else message.text)

    def _open(self, report: PageReport, path: str, redirects_to: str | None = None) -> None:
        """Load a page, with ``report`` collecting what happens; for a page that only redirects,
        wait until the page it leads to has loaded."""
        self._report = report
        self.page.emulate_media(color_scheme="light")
        self.page.goto(self.base_url + path, wait_until="load")
        if redirects_to is not None:
            target = urllib.parse.urljoin(self.base_url + path, redirects_to)
            self.page.wait_for_url(lambda now: now.split("#")[0] == target.split("#")[0], wait_until="load")
            report.redirect = redirects_to
        self.page.evaluate("() => document.fonts.ready.then(() => true)")

    def _close(self, report: PageReport, server_errors_seen: int) -> None:
        """Let the page's requests finish before the next navigation, so that none is cut off and
        blamed on the page (a condition, not a fixed wait: at most 5 s), and count the server's
        error answers since the page was opened as its failed requests (the browser's own
        ``/favicon.ico`` request fires no page event)."""
        self._settle()
        report.failed_requests += [f"{url} (still loading after 5 s)" for url in sorted(r.url for r in self._in_flight)]
        self._in_flight.clear()
        report.failed_requests += [f"server answered {e}" for e in self.server_errors[server_errors_seen:]]
        self._report = None

    def _settle(self) -> None:
        """Wait until the page's requests have finished (at most 5 s)."""
        deadline = time.monotonic() + 5
        while self._in_flight and time.monotonic() < deadline:
            self.page.wait_for_timeout(20)  # lets Playwright deliver the requests' events

    def abandon(self) -> PageReport:
        """The report of a visit that went wrong, with what it had collected; the next page
        starts afresh."""
        report = self._report or PageReport("")
        self._report = None
        self._in_flight.clear()
        return report

    def audit_page(self, name: str, artifacts: Path | None = None, redirects_to: str | None = None) -> PageReport:
        """Visit one page (a path relative to the build's root) and check it; see the module.
        A page that only redirects (``redirects_to``: see :func:`redirect_of`) is followed and
        only checked for errors while loading."""
        report = PageReport(name)
        start = last = time.perf_counter()
        seen = len(self.server_errors)

        def step(label: str) -> None:
            nonlocal last
            now = time.perf_counter()
            report.timings[label] = now - last
            last = now

        self._open(report, name, redirects_to)
        if redirects_to is not None:  # the page it leads to is checked on its own
            self._close(report, seen)
            report.seconds = time.perf_counter() - start
            return report
        step("load")
        self._check_math(report)
        step("math")
        self._check_images(report)
        step("images")
        if artifacts is not None:
            report.screenshot = self._screenshot(name, artifacts)
            step("screenshot")
        self._check_layout(report)  # before any solution is opened
        step("layout")
        self._check_solutions(report)
        step("solutions")
        self._check_code_widths(report)  # the solutions' code shown too
        step("code")
        if self.dark_figures:
            self._check_dark_figures(report, artifacts)
            step("dark")
        self._close(report, seen)
        step("close")
        report.seconds = time.perf_counter() - start
        return report

    def _wait_for_math(self) -> str | None:
        """Wait until MathJax, if the page loads it, has typeset the page; say why not if it did not."""
        page = self.page
        if not page.evaluate("() => [...document.scripts].some((s) => /mathjax/i.test(s.src))"):
            return None
        try:
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=TIMEOUT_MS)
            page.evaluate("() => MathJax.startup.promise.then(() => true)")
        except Exception as error:
            return f"MathJax did not start: {str(error).splitlines()[0]}"
        return None

    def _check_math(self, report: PageReport) -> None:
        page = self.page
        problem = self._wait_for_math()
        if problem:
            report.math_problems.append(problem)
        facts = page.evaluate(_MATH_FACTS)
        report.math_elements = facts["math"]
        report.mathjax_containers = facts["containers"]
        if facts["math"] == 0:
            return
        if not facts["scripts"]:
            report.math_problems.append("math on the page but no MathJax script")
        for src in facts["scripts"]:
            if not (is_loopback(src) and src.startswith(self.base_url)):
                report.math_problems.append(f"MathJax loaded from outside the build: {src}")
        if not (facts["version"] or "").startswith("3"):
            report.math_problems.append(f"MathJax 3 is not running (version {facts['version']})")
        if facts["containers"] == 0:
            report.math_problems.append(f"{facts['math']} math elements and nothing typeset")
        report.math_problems += [f"not typeset: {t!r}" for t in facts["untypeset"][:5]]
        report.math_problems += [f"MathJax error: {t!r}" for t in facts["errors"][:5]]
        report.math_problems += [f"raw TeX in the text: {t!r}" for t in facts["raw"][:5]]

    def _check_layout(self, report: PageReport) -> None:
        """At the desktop's size: the sidebar keeps the title and the search field in view, every
        hide-input cell is folded, and the texts of the page's solutions and of the rest of its
        article are kept for the search's checks (before any solution is opened)."""
        sidebar = self.page.evaluate(_SIDEBAR)
        if sidebar is not None:
            report.sidebar_scrolled = int(sidebar["scrolled"])
            report.sidebar_problems += sidebar["problems"]
        folded = self.page.evaluate(_FOLDED_CELLS)
        report.folded_cells = folded["count"]
        report.folding_problems += folded["problems"]
        texts = self.page.evaluate(_TEXTS, _SOLUTIONS)
        report.solution_text, report.other_text = texts["solution"], texts["other"]

    def _check_code_widths(self, report: PageReport, where: str = "") -> None:
        widths = self.page.evaluate(_CODE_WIDTHS)
        report.code_blocks = max(report.code_blocks, widths["count"])
        report.code_problems += [f"{where}{p}" for p in widths["problems"]]

    def audit_phone(self, report: PageReport) -> PageReport:
        """Visit ``report``'s page again on the phone (:data:`PHONE`) and add what goes wrong
        there to it: errors while loading, like any visit, and the layout (see the module). The
        search dialog and the menu are opened with a tap, as a reader opens them."""
        start = time.perf_counter()
        seen = len(self.server_errors)
        self.page = self._phone_tab()
        try:
            self._open(report, report.name)
            self._wait_for_math()
            self.page.evaluate("() => new Promise((done) => requestAnimationFrame(() => setTimeout(done)))")  # settled
            layout = self.page.evaluate(_PHONE_LAYOUT, PHONE["viewport"]["width"])
            report.phone_width = int(layout["width"])
            report.inline_code = int(layout["codes"])
            report.phone_problems += layout["problems"]
            self._check_code_widths(report, f"at {PHONE['viewport']['width']} px: ")
            report.phone_problems += self._check_search_dialog() + self._check_menu()
            self._close(report, seen)
        finally:
            self.page = self.desktop
        report.timings["phone"] = time.perf_counter() - start
        report.seconds += report.timings["phone"]
        return report

    def _check_search_dialog(self) -> list[str]:
        """Open the search dialog from the header's search button: no keyboard hint in it."""
        page = self.page
        button = page.locator("button.search-button__button:visible").first
        if not button.count() or page.locator("#search-results").count():
            return []  # no search button, or the search page, whose button goes to its own field
        try:
            button.tap(timeout=5000)
            page.locator(".search-button__wrapper.show input[name=q]").wait_for(state="visible", timeout=5000)
        except Exception as error:
            return [f"the search dialog did not open on a tap ({str(error).splitlines()[0]})"]
        layout = page.evaluate(_PHONE_LAYOUT, PHONE["viewport"]["width"])
        page.keyboard.press("Escape")  # the theme closes the dialog on Escape
        try:
            page.locator(".search-button__wrapper.show").wait_for(state="detached", timeout=2000)
        except Exception:
            return ["the search dialog did not close on Escape"]
        return [f"in the search dialog: {p}" for p in layout["problems"] if "keyboard hint" in p]

    def _check_menu(self) -> list[str]:
        """Open the menu (the primary sidebar, as a drawer) with its button: the book's title shows
        once in it."""
        page = self.page
        toggle = page.locator("button.primary-toggle:visible").first
        if not toggle.count():
            return ["no menu button"]
        shown = """() => { const s = document.querySelector(".bd-sidebar-primary");
          const box = s && s.getBoundingClientRect();
          return !!s && s.checkVisibility({visibilityProperty: true}) && box.left >= -1 && box.right > 0; }"""
        try:
            toggle.tap(timeout=5000)
            page.wait_for_function(shown, timeout=5000)
        except Exception as error:
            return [f"the menu did not open on a tap ({str(error).splitlines()[0]})"]
        titles = page.evaluate(f"() => ({_COUNT_TITLE})(document.querySelector('.bd-sidebar-primary'))")
        return [] if titles in (None, 1) else [f"the menu shows the book's title {titles} times"]

    def _check_images(self, report: PageReport) -> None:
        images = self.page.evaluate(_LOAD_IMAGES, 10_000)
        report.images = len(images)
        report.broken_images = [img["src"] for img in images if not img["ok"]]

    def _screenshot(self, name: str, artifacts: Path) -> str:
        path = artifacts / "light" / (name.replace("/", "__").removesuffix(".html") + ".jpg")
        path.parent.mkdir(parents=True, exist_ok=True)
        height = self.page.evaluate("() => document.documentElement.scrollHeight")
        clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": min(height, SCREENSHOT_MAX_HEIGHT)}
        self.page.screenshot(path=str(path), type="jpeg", quality=SCREENSHOT_QUALITY, full_page=True,
                             clip=clip, animations="disabled", caret="hide")
        return str(path)

    def _check_solutions(self, report: PageReport) -> None:
        """Each solution's content must be hidden, then shown once its toggle is clicked: the
        first one on the page with a real click, where a reader clicks (Playwright checks that
        nothing covers the toggle), the others with the same click event sent from the page, all
        in one go (a real click costs some 0.15 s)."""
        results = self.page.evaluate(_TOGGLE_SOLUTIONS, {"selector": _SOLUTIONS, "first": 1})
        if results:
            first = results[0]
            if first["problem"] is None:
                try:
                    self.page.locator("[data-audit-toggle]").click(timeout=5000)
                    self.page.locator("[data-audit-content]").wait_for(state="visible", timeout=5000)
                except Exception as error:
                    first["problem"] = f"not shown after a click ({str(error).splitlines()[0]})"
            results += self.page.evaluate(_TOGGLE_SOLUTIONS, {"selector": _SOLUTIONS, "first": 0})
        report.solutions = len(results)
        report.solution_problems += [f"{r['label']}: {r['problem']}" for r in results if r["problem"]]

    def _dark_mode(self) -> str:
        """Switch the page to dark mode the way a reader's system does (the theme's default "auto"
        mode follows ``prefers-color-scheme``); if the theme stays light, use its switch."""
        page = self.page
        page.emulate_media(color_scheme="dark")
        is_dark = "() => document.documentElement.dataset.theme === 'dark'"
        try:
            page.wait_for_function(is_dark, timeout=2000)
        except Exception:
            switch = page.locator(".theme-switch-button:visible").first
            for _ in range(3):
                if page.evaluate(is_dark) or not switch.count():
                    break
                switch.click()
        return page.evaluate("() => document.documentElement.dataset.theme")

    def _check_dark_figures(self, report: PageReport, artifacts: Path | None) -> None:
        page = self.page
        report.dark_theme = self._dark_mode()
        # Our own state must not follow us to the next page: the theme keeps the mode there.
        page.evaluate("() => { localStorage.removeItem('mode'); localStorage.removeItem('theme'); }")
        background = page.evaluate("""() => {
          for (let el = document.querySelector('.bd-article') || document.body; el; el = el.parentElement) {
            const c = getComputedStyle(el).backgroundColor.match(/[\\d.]+/g).map(Number);
            if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
          }
          return [255, 255, 255];
        }""")
        report.dark_page_background = tuple(int(v) for v in background)
        figures = page.locator("article img")
        for i in range(figures.count()):
            figure = figures.nth(i)
            if not figure.is_visible():  # e.g. an image for the light theme only
                continue
            src = figure.get_attribute("src") or f"image {i + 1}"
            try:
                png = figure.screenshot(animations="disabled", timeout=10_000)
            except Exception as error:
                report.figure_problems.append(f"{src}: no screenshot ({str(error).splitlines()[0]})")
                continue
            report.figures += 1
            verdict = figure_readability(png, report.dark_page_background)
            if artifacts is not None:
                path = artifacts / "dark" / f"{report.name.replace('/', '__').removesuffix('.html')}__{i + 1:02d}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(png)
            report.figure_problems += [f"{src}: {p}" for p in verdict.problems]
        page.emulate_media(color_scheme="light")

    def search(self, term: str) -> tuple[list[SearchResult], list[str]]:
        """Search the book for ``term`` with its own search page; return the results as the page
        shows them (each with the snippet the page fetched for it) and the problems met on the
        way."""
        report = PageReport(f"search.html?q={term}")
        seen = len(self.server_errors)
        self._open(report, f"search.html?q={urllib.parse.quote(term)}")
        results: list[SearchResult] = []
        try:
            self.page.wait_for_function(
                "() => /Search finished|did not match|搜索完成|没有匹配/i.test(document.querySelector('#search-results')?.innerText || '')",
                timeout=TIMEOUT_MS,
            )
            self._settle()  # the search page fetches each result page for its snippet
            try:  # and writes the snippet when the page has come
                self.page.wait_for_function(
                    "() => [...document.querySelectorAll('#search-results ul.search li')].every((li) => li.querySelector('p.context, span'))",
                    timeout=3000)
            except Exception:
                pass  # a result may have no snippet: its page has no text to quote
            results = [SearchResult(**r) for r in self.page.eval_on_selector_all(
                "#search-results ul.search li",
                """els => els.map((li) => ({href: li.querySelector('a').getAttribute('href'),
                                             title: li.querySelector('a').textContent,
                                             snippet: li.querySelector('p.context')?.textContent || ''}))""")]
        except Exception as error:
            report.page_errors.append(f"the search did not finish: {str(error).splitlines()[0]}")
        self._close(report, seen)
        problems = report.console_errors + report.page_errors + report.failed_requests + report.external_requests
        return results, problems


# --- What the search shows ----------------------------------------------------------------------


@dataclass
class SearchResult:
    """One result of a search, as the search page lists it."""

    href: str  # the link, relative to the build's root: "chapters/02_x.html#anchor"
    title: str
    snippet: str  # the text under it, quoted from the page ("" if none)

    @property
    def page(self) -> str:
        return self.href.split("#")[0].split("?")[0]


# A section number as Sphinx writes it in a heading or a table of contents ("4.8.1."), and a run of
# them with nothing but space between ("1.1 1.2 1.3 1.4"): four in one snippet quote a table of
# contents, not prose. (A decimal in prose, "0.66 bits", has no dot after it.)
SECTION_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)+\.(?=\s|$)")
SECTION_RUN = re.compile(r"(?:(?<![\w.])\d{1,2}(?:\.\d{1,2})+\.?\s+){4}")
# TeX as source: a command (\log_2, \begin), math delimiters (\( \[) or display dollars.
TEX_SOURCE = re.compile(r"\\[A-Za-z]+|\\[(\[]|\$\$")
# A snippet quotes a folded solution when it shares a run of this many words with the page's
# solutions that the rest of the page does not hold.
QUOTE_WORDS = 6


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def word_runs(text: str, n: int = QUOTE_WORDS) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}


def solution_only_word(pages: dict[str, PageReport]) -> str | None:
    """A word that only the labs' reference solutions hold, for the search to look for: an
    identifier (with an underscore, 8 characters or more) in a lab page's solutions and in no
    page's other text; the most frequent one, then the first in alphabetical order. None if there
    is none (a build without solutions)."""
    shown = set().union(*(set(words(r.other_text)) for r in pages.values()))
    counts = Counter(word for name, r in pages.items() if name.startswith("labs/")
                     for word in re.findall(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b", r.solution_text.lower())
                     if len(word) >= 8 and word not in shown)
    return min(counts, key=lambda word: (-counts[word], word)) if counts else None


def snippet_problems(searches: dict[str, list[SearchResult]], pages: dict[str, PageReport],
                     solution_word: str | None = None) -> list[str]:
    """What is wrong with what the search shows: a page listed more than once for one search, TeX
    source in a result's title or snippet, a snippet with a run of section numbers, a snippet that
    quotes a folded solution (:data:`QUOTE_WORDS` words in a row found in the page's solutions and
    nowhere else on it), and, for ``solution_word`` (:func:`solution_only_word`), a result that
    only a folded solution could have found (solutions are not indexed)."""
    problems = []
    folded = {name: word_runs(r.solution_text) - word_runs(r.other_text)
              for name, r in pages.items() if r.solution_text}
    for term, results in searches.items():
        where = f"searching {term!r}"
        listed = Counter(r.page for r in results)
        problems += [f"{where}: {page} is listed {n} times" for page, n in sorted(listed.items()) if n > 1]
        for r in results:
            for what, text in (("title", r.title), ("snippet", r.snippet)):
                tex = TEX_SOURCE.search(text)
                if tex:
                    problems.append(f"{where}: {r.href}: TeX source {tex.group()!r} in its {what}: {text[:120]!r}")
            if len(SECTION_NUMBER.findall(r.snippet)) >= 4 or SECTION_RUN.search(r.snippet):
                problems.append(f"{where}: {r.href}: section numbers in its snippet: {r.snippet[:120]!r}")
            quoted = sorted(word_runs(r.snippet) & folded.get(r.page, set()))
            if quoted:
                problems.append(f"{where}: {r.href}: its snippet quotes a folded solution: {' '.join(quoted[0])!r}")
            if term == solution_word and r.page in pages and solution_word in words(pages[r.page].solution_text):
                problems.append(f"{where}: {r.href} found by a word that only its folded solutions hold")
    return problems


@dataclass
class BookAudit:
    """Every page's :class:`PageReport`, the searches' results and the time it all took."""

    pages: dict[str, PageReport]
    search_term: str  # the term the search must find chapters for
    searches: dict[str, list[SearchResult]]  # each term searched for, and its results
    search_errors: dict[str, list[str]]  # each term searched for, and what went wrong on its search page
    solution_word: str | None  # a word only the labs' solutions hold (solution_only_word), searched for too
    seconds: float

    @property
    def search_links(self) -> list[str]:
        return [r.href for r in self.searches.get(self.search_term, [])]

    @property
    def search_problems(self) -> list[str]:
        return [f"searching {term!r}: {e}" for term, errors in self.search_errors.items() for e in errors]

    def _per_page(self, what) -> list[str]:
        return [f"{name}: {item}" for name, report in self.pages.items() for item in what(report)]

    def load_problems(self) -> list[str]:
        return self._per_page(lambda r: [f"console error: {e}" for e in r.console_errors]
                              + [f"uncaught exception: {e}" for e in r.page_errors]
                              + [f"failed request: {e}" for e in r.failed_requests]
                              + [f"request outside the build: {e}" for e in r.external_requests])

    def math_problems(self) -> list[str]:
        return self._per_page(lambda r: r.math_problems)

    def image_problems(self) -> list[str]:
        return self._per_page(lambda r: [f"image did not load: {src}" for src in r.broken_images])

    def solution_problems(self) -> list[str]:
        return self._per_page(lambda r: r.solution_problems)

    def dark_mode_problems(self) -> list[str]:
        return self._per_page(lambda r: ([] if r.redirect or r.dark_theme == "dark"
                                         else [f"dark mode did not apply (theme {r.dark_theme!r})"])
                              + r.figure_problems)

    def code_problems(self) -> list[str]:
        """Code blocks wider than the content column, at the desktop's size or the phone's."""
        return self._per_page(lambda r: r.code_problems)

    def sidebar_problems(self) -> list[str]:
        return self._per_page(lambda r: r.sidebar_problems)

    def folding_problems(self) -> list[str]:
        return self._per_page(lambda r: r.folding_problems)

    def phone_problems(self) -> list[str]:
        return self._per_page(lambda r: r.phone_problems)

    def snippet_problems(self) -> list[str]:
        return snippet_problems(self.searches, self.pages, self.solution_word)

    def all_problems(self) -> dict[str, list[str]]:
        return {
            "loading": self.load_problems(),
            "math": self.math_problems(),
            "images": self.image_problems(),
            "solutions": self.solution_problems(),
            "dark mode": self.dark_mode_problems(),
            "code width": self.code_problems(),
            "sidebar": self.sidebar_problems(),
            "folded cells": self.folding_problems(),
            "phone": self.phone_problems(),
            "search": self.search_problems,
            "search snippets": self.snippet_problems(),
        }

    def summary(self) -> str:
        rows = [f"{'page':48} {'s':>5} {'math':>5} {'img':>4} {'sol':>4} {'dark':>4} {'pre':>4} {'fold':>4} "
                f"{'side':>4} {'code':>4} {'phone':>5}"]
        for name, r in self.pages.items():
            steps = " ".join(f"{k}={v:.2f}" for k, v in r.timings.items())
            rows.append(f"{name:48} {r.seconds:5.2f} {r.mathjax_containers:5d} {r.images:4d} {r.solutions:4d} "
                        f"{r.figures:4d} {r.code_blocks:4d} {r.folded_cells:4d} {r.sidebar_scrolled:4d} "
                        f"{r.inline_code:4d} {r.phone_width:5d}  {steps}")
        rows.append("(pre: code blocks; fold: hide-input cells; side: px the sidebar scrolled in its check; "
                    "code: inline code checked on the phone; phone: the page's width there, px)")
        for term, results in self.searches.items():
            listed = ", ".join(r.href for r in results[:4]) + (", ..." if len(results) > 4 else "")
            rows.append(f"search {term!r}: {len(results)} results: {listed}")
            if results:
                rows.append(f"    first snippet: {results[0].snippet[:150]!r}")
        rows.append(f"{len(self.pages)} pages, at two sizes, and {len(self.searches)} searches in {self.seconds:.1f} s")
        return "\n".join(rows)


def audit_book(html: Path, artifacts: Path | None = None, executable: str | None = None,
               search_term: str = SEARCH_TERM, search_terms: tuple[str, ...] = SEARCH_TERMS,
               dark_figures: bool = True) -> BookAudit:
    """Serve ``html``, visit every page of it in Chromium (:meth:`BookBrowser.audit_page`), then
    again on a phone (:meth:`BookBrowser.audit_phone`), search it for ``search_term``, each of
    ``search_terms`` and a word only the labs' solutions hold (:func:`solution_only_word`), and
    return what was found. Screenshots go to ``artifacts`` (emptied first) if given. With
    ``dark_figures`` false, figures are not checked in dark mode (a second edition whose figures
    are the first's files). Raises :class:`NoBrowserError` if there is no Chromium."""
    start = time.perf_counter()
    executable = executable or find_chromium()
    if artifacts is not None:
        shutil.rmtree(artifacts, ignore_errors=True)
        artifacts.mkdir(parents=True)
    pages = {}
    searches, search_errors = {}, {}
    with BookServer(html) as server, \
            BookBrowser(server.url, executable, server.errors, dark_figures) as browser:
        for name in book_pages(Path(html)):
            try:
                pages[name] = browser.audit_page(name, artifacts, redirect_of(Path(html) / name))
            except Exception as error:  # a page the browser could not get through: say so, go on
                report = browser.abandon()
                report.name = name
                report.page_errors.append(f"the page could not be checked: {str(error).splitlines()[0]}")
                pages[name] = report
        for name, report in pages.items():
            if report.redirect or any(e.startswith("the page could not be checked") for e in report.page_errors):
                continue
            try:
                browser.audit_phone(report)
            except Exception as error:
                browser.abandon()
                report.page_errors.append(f"the page could not be checked on the phone: {str(error).splitlines()[0]}")
        solution_word = solution_only_word(pages)
        for term in dict.fromkeys((search_term, *search_terms, *([solution_word] if solution_word else []))):
            searches[term], search_errors[term] = browser.search(term)
    return BookAudit(pages, search_term, searches, search_errors, solution_word, time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a built book in Chromium (see the module's docstring).")
    parser.add_argument("html", type=Path, help="the build's HTML folder, e.g. _build/html")
    parser.add_argument("--artifacts", type=Path, default=Path(__file__).resolve().parents[1] / ".artifacts" / "browser",
                        help="where screenshots go (emptied first; default: .artifacts/browser)")
    args = parser.parse_args(argv)
    try:
        audit = audit_book(args.html, args.artifacts)
    except NoBrowserError as error:
        print(error, file=sys.stderr)
        return 2
    print(audit.summary())
    failed = False
    for kind, problems in audit.all_problems().items():
        if problems:
            failed = True
            print(f"\n{kind}: {len(problems)} problem(s)")
            print("\n".join(f"  {p}" for p in problems))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
