/* Search results that read as prose.
 *
 * Sphinx 7.4's searchtools.js (the search page's script) lists a page once for each way it matched
 * (its title, a section's title, a glossary term, its full text), so one page can fill several
 * results, and writes under each one 240 characters of the text of the page's [role=main]: the
 * download menu, the page's table of contents, code, cell outputs, the TeX source of the math and
 * the text of folded solutions included. Jupyter Book loads this file on every page (every
 * _static/*.js); where there is a search, it replaces four functions of searchtools' `Search`
 * object before the search runs:
 *
 * - _performSearch: each page once, with the best-scoring of its matches (and its anchor);
 * - htmlToText: the prose of the page's article (or of the anchored section, or a glossary term
 *   with its definition), without code, math source, tables of contents, citation marks, or
 *   anything folded away (solutions, dropdowns, toggles, hidden cells);
 * - makeSearchSummary: the snippet starts near the first query word, at a word boundary;
 * - the result titles lose their TeX (a section title "where C \approx 6ND comes from").
 *
 * What is folded away is not indexed either (scalingzip.book.search). tests/browser.py searches
 * the built book and checks the snippets.
 */
"use strict";

(() => {
  // What a snippet never quotes.
  const NOT_PROSE = [
    ".headerlink", "script", "style", "noscript", "template",
    "h1",  // the page's title, which the result's link already shows
    "pre", "div.highlight", ".cell_input", ".cell_output", ".output",  // code and its outputs
    ".toctree-wrapper", "nav", ".contents", "#bd-toc-nav",  // tables of contents
    ".footnote-reference", ".eqno",  // citation marks, equation numbers
    // folded away: solutions and model answers, dropdowns, toggles, hidden cells
    "details", ".solution", ".dropdown", ".toggle", ".toggle-hidden",
    ".tag_solution", ".tag_hide-input", ".tag_hide-cell", ".tag_remove-input", ".tag_remove-cell",
  ].join(", ");
  const BLOCKS = "p, li, dt, dd, div, section, h1, h2, h3, h4, h5, h6, td, th, caption, figcaption, blockquote";

  // TeX commands a plain-text snippet can write as a character.
  const TEX = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", eta: "η", theta: "θ",
    lambda: "λ", mu: "μ", pi: "π", sigma: "σ", tau: "τ", phi: "φ", Delta: "Δ", Sigma: "Σ",
    approx: "≈", propto: "∝", times: "×", cdot: "·", le: "≤", leq: "≤", ge: "≥", geq: "≥",
    ne: "≠", neq: "≠", infty: "∞", to: "→", log: "log", ln: "ln", exp: "exp", min: "min",
    max: "max", sum: "Σ", ldots: "…", dots: "…", quad: " ", qquad: " ", ",": " ", ";": " ",
    "%": "%", "{": "", "}": "",
  };

  /** Short TeX as plain text ("C \approx 6ND" -> "C ≈ 6ND"), or "" when it is not short and
   *  simple enough to read without typesetting (a fraction, a matrix, a sum with limits). */
  const texToText = (tex) => {
    const text = tex
      .replace(/^\s*\\[([]/, "").replace(/\\[)\]]\s*$/, "")  // the delimiters \( \) or \[ \]
      .replace(/\\(text|mathrm|mathit|operatorname|mathbf|mathcal)\s*\{([^{}]*)\}/g, "$2")
      .replace(/\\([A-Za-z]+|[,;%{}])/g, (whole, name) => (name in TEX ? TEX[name] : whole))
      .replace(/[{}]/g, "")
      .replace(/\s+/g, " ")
      .trim();
    return text.length > 40 || /\\|\$/.test(text) ? "" : text;
  };

  /** A result's title (HTML from the index) without TeX commands. */
  const plainTitle = (title) =>
    title.replace(/\\\(([^]*?)\\\)/g, (_, tex) => texToText(tex) || "…")
      .replace(/\\([A-Za-z]+)/g, (whole, name) => (name in TEX ? TEX[name] : ""))
      .replace(/[{}]/g, "");

  /** The text of `element` as a reader would quote it: blocks apart, white space collapsed, and
   *  any TeX that was left as text (math the parser did not recognise) read as characters. */
  const prose = (element) => {
    element.querySelectorAll(NOT_PROSE).forEach((el) => el.remove());
    element.querySelectorAll(BLOCKS).forEach((el) => el.append(" "));
    return element.textContent
      .replace(/\\([A-Za-z]+)/g, (whole, name) => (name in TEX ? TEX[name] : ""))
      .replace(/\$+/g, "")
      .replace(/\s+/g, " ")
      .replace(/ ([.,;:!?)])/g, "$1")  // where a citation mark or a formula was
      .trim();
  };

  const htmlToText = (htmlString, anchor) => {
    const doc = new DOMParser().parseFromString(htmlString, "text/html");
    // Inline math becomes its plain text where it has one ("p", "C ≈ 6ND"); the rest goes.
    doc.querySelectorAll("span.math").forEach((el) => el.replaceWith(texToText(el.textContent)));
    doc.querySelectorAll("div.math").forEach((el) => el.remove());
    const article = doc.querySelector("article.bd-article") || doc.querySelector('[role="main"]');
    if (!article) return "";
    if (anchor) {
      let target = null;
      try {
        target = doc.getElementById(decodeURIComponent(anchor.slice(1)));
      } catch (error) {  // a malformed anchor: the whole article instead
        target = null;
      }
      if (target && article.contains(target) && !target.closest(NOT_PROSE)) {
        const box = doc.createElement("div");
        box.append(target.cloneNode(true));
        // A glossary term's anchor is its <dt> (the English term; the Chinese one follows in a
        // <dt> of its own): its definition, the <dd>, follows them.
        if (target.tagName === "DT") {
          let next = target.nextElementSibling;
          for (; next && next.tagName === "DT"; next = next.nextElementSibling) box.append(next.cloneNode(true));
          for (; next && next.tagName === "DD"; next = next.nextElementSibling) box.append(next.cloneNode(true));
        }
        const text = prose(box);
        if (text) return text;
      }
    }
    return prose(article);
  };

  const queryWords = () =>
    (new URLSearchParams(window.location.search).get("q") || "")
      .toLowerCase().split(/[^\p{Letter}\p{Number}_]+/u).filter((word) => word.length > 1);

  const makeSearchSummary = (htmlText, keywords, anchor) => {
    const text = Search.htmlToText(htmlText, anchor);
    if (!text) return null;
    const lower = text.toLowerCase();
    const found = [...queryWords(), ...[...keywords].map((k) => k.toLowerCase())]
      .map((word) => lower.indexOf(word)).filter((i) => i > -1);
    const at = found.length ? Math.min(...found) : 0;
    let start = Math.max(0, at - 100);
    if (start > 0) start = text.indexOf(" ", start) + 1 || start;  // at a word's start
    if (start > at) start = at;
    let end = Math.min(text.length, start + 240);
    if (end < text.length) {
      const space = text.lastIndexOf(" ", end);
      if (space > at) end = space;  // at a word's end
    }
    const summary = document.createElement("p");
    summary.classList.add("context");
    summary.textContent = (start > 0 ? "… " : "") + text.slice(start, end).trim() + (end < text.length ? " …" : "");
    return summary;
  };

  /** Each page once: of the results for one page (one docname), the best-scoring one. Sphinx
   *  returns them in increasing order of score (the page shows them from the end). */
  const eachPageOnce = (results) => {
    const seen = new Set();
    const kept = [];
    for (const result of [...results].reverse()) {
      if (seen.has(result[0])) continue;
      seen.add(result[0]);
      result[1] = plainTitle(String(result[1]));
      kept.push(result);
    }
    return kept.reverse();
  };

  const patch = () => {
    if (typeof Search === "undefined" || Search._proseSnippets) return;
    const performSearch = Search._performSearch;
    Search._performSearch = (...args) => eachPageOnce(performSearch(...args));
    Search.htmlToText = htmlToText;
    Search.makeSearchSummary = makeSearchSummary;
    Search._proseSnippets = true;
  };

  // The theme loads this file before searchtools.js, whose search starts when the document is
  // parsed; this listener was added first, so it runs first.
  patch();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", patch);
})();
