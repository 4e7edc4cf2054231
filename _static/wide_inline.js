/* Inline code and math too wide for the line scroll sideways in a box of their own, instead of
 * widening the page.
 *
 * On a phone the content column is some 350 px wide, and a fully qualified name such as
 * `scalingzip.studies.single_epoch.training_stream()` is wider than that. The book never splits a
 * token of inline code (_static/readable.css), and MathJax 3 cannot break an inline formula, so
 * such a token or formula would stick out past the screen's edge and make the whole page scroll
 * sideways. This script (Jupyter Book loads every _static/*.js) finds the tokens and formulas wider
 * than the block that holds them and gives them the class `wide-inline`, which readable.css turns
 * into a box as wide as the block that scrolls sideways. Everything that fits is left alone, so
 * its alignment on the line does not change. It runs once the fonts have loaded and MathJax has
 * typeset the page, and again when the window's width changes (a phone turned sideways).
 */
"use strict";

(() => {
  const WIDE = "wide-inline";
  const CANDIDATES = "code span.pre, mjx-container:not([display='true'])";
  const BLOCKS = "p, li, dt, dd, td, th, figcaption, caption, blockquote, div, section, article";

  /** The width of the content box of the block that holds `element`, in CSS pixels. */
  const roomIn = (element) => {
    const block = element.parentElement.closest(BLOCKS);
    const style = getComputedStyle(block);
    return block.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  };

  const fit = () => {
    const article = document.querySelector("article.bd-article");
    if (!article) return;
    const candidates = [...article.querySelectorAll(CANDIDATES)].filter((el) => !el.closest("pre"));
    candidates.forEach((el) => el.classList.remove(WIDE));
    // Measure everything first, then mark: one layout, not one per element.
    // Within 2em of the room counts as too wide: Chinese line breaking keeps a full-width bracket
    // on each side of a token on its line, and the box (readable.css) leaves room for them.
    const slack = (el) => 2 * parseFloat(getComputedStyle(el).fontSize);
    const wide = candidates.filter((el) => el.getBoundingClientRect().width > roomIn(el) - slack(el) + 1);
    wide.forEach((el) => el.classList.add(WIDE));
  };

  let lastWidth = 0;
  const refit = () => {
    if (window.innerWidth === lastWidth) return;
    lastWidth = window.innerWidth;
    fit();
  };

  window.addEventListener("load", () => {
    const typeset = window.MathJax && MathJax.startup && MathJax.startup.promise;
    Promise.all([document.fonts.ready, typeset || Promise.resolve()]).then(fit, fit);
    window.addEventListener("resize", refit);
  });
})();
