"""The two editions of the book: the English one at the repository's root and the Chinese one in ``zh/``.

The editions share their code. Each chapter of ``zh/`` is a notebook with the same cells as its
English counterpart, in the same order: its markdown is Chinese, and **every code cell is
identical**, source and metadata. Jupyter-cache hashes a notebook by its code cells alone, so the
two editions share one execution: every glued number and every figure is the same in both. A lab
of ``zh/labs/`` is an otter master like the English one, whose tests speak Chinese: its code cells
match the English lab's once comments and string literals are set aside
(:func:`code_without_prose`), and its raw cells (otter's delimiters and settings) are identical.

:func:`problems` lists every way an edition's notebook departs from its English counterpart;
``tests/test_editions.py`` runs it on every pair, and a translator runs it on one file::

    python -m scalingzip.book.editions zh/chapters/01_what_scaling_laws_are.ipynb

As a Sphinx extension (in both books' ``_config.yml``, with ``edition: en`` or ``zh``) it links
every page to the same page of the other edition (the sidebar's ``other_edition``), points the
Chinese build at the English build's execution cache (``$SCALINGZIP_EXECUTION_CACHE`` overrides
it for both), puts the edition's own words in the theme's place where the theme has none for its
language (``edition_interface``: :func:`translate_interface`), and, once the Chinese build
succeeds, copies its pages to the English build's ``html/zh/``, so the published book is one
folder with both editions.
"""

from __future__ import annotations

import ast
import html
import io
import json
import os
import re
import shutil
import sys
import tokenize
from pathlib import Path

__all__ = ["EDITION_ROOTS", "code_without_prose", "counterpart", "english_build_dir", "fstring_expressions",
           "glue_names", "problems", "setup", "translate_interface"]

ROOT = Path(__file__).resolve().parents[2]
EDITION_ROOTS = {"en": Path("."), "zh": Path("zh")}  # relative to the repository's root
_GLUE = re.compile(r"\{glue(?::[a-z]+)?\}`([^`:]+)")
# The MyST a translation keeps: roles with their targets (cross-references, citations, glue), directives,
# and labels. Each markdown cell must hold the same ones as its English cell.
_ROLE = re.compile(r"\{([a-z:-]+)\}`([^`]*)`")
_DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{([a-z:-]+)\}", re.M)
_LABEL = re.compile(r"^\((\S+)\)=\s*$|^:label:\s*(\S+)|^:name:\s*(\S+)|\$\$\s*\((\S+)\)", re.M)
_TEXT_ROLES = ("doc", "ref", "numref")  # their link text may be translated: compare the target only


def counterpart(path: str | Path) -> Path:
    """The English file of a ``zh/`` file (same path below the edition's root)."""
    path = Path(path).resolve()
    relative = path.relative_to(ROOT / EDITION_ROOTS["zh"])
    return ROOT / relative


def glue_names(nb: dict) -> list[str]:
    """The glued values a notebook's markdown shows, in order of appearance."""
    return [m.group(1) for cell in nb["cells"] if cell["cell_type"] == "markdown"
            for m in _GLUE.finditer(_source(cell))]


def code_without_prose(source: str) -> str:
    """Python source with its comments removed and every string literal replaced by ``''``: what a
    lab's code means, whatever language its messages are in. Lines that do not tokenize (an IPython
    magic) are kept as they are."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return source
    kept = []
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            continue
        if tok.type == tokenize.STRING:
            kept.append((tokenize.STRING, "''"))
        elif tok.type in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            kept.append((tok.type, tok.string if tok.type != tokenize.NL else "\n"))
        else:
            kept.append((tok.type, tok.string))
    text = tokenize.untokenize(kept)
    return "\n".join(line.rstrip() for line in text.splitlines() if line.strip())


def fstring_expressions(source: str) -> list[str]:
    """The expressions that the f-strings of Python ``source`` evaluate, sorted (``f"{n:,} bytes of {name!r}"``
    gives ``n`` and ``name``). A lab's messages are f-strings evaluated only when a test fails, so the
    editions' messages must compute the same things, whatever their words. Source that does not
    parse (an IPython magic) has none."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FormattedValue):
            found.append(ast.unparse(node.value))
    return sorted(found)


def _myst(text: str) -> list[str]:
    """The roles (with their targets), directives and labels of a markdown text, sorted."""
    items = []
    for role, body in _ROLE.findall(text):
        if role in _TEXT_ROLES and "<" in body and body.endswith(">"):
            body = body[body.rindex("<") + 1:-1]  # {doc}`text <target>`: the target
        items.append(f"{{{role}}}`{body}`")
    items += [f"directive {name}" for _, name in _DIRECTIVE.findall(text)]
    items += ["label " + next(g for g in groups if g) for groups in _LABEL.findall(text)]
    return sorted(items)


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def problems(en_nb: dict, zh_nb: dict, *, lab: bool) -> list[str]:
    """Every departure of an edition's notebook from the English one (an empty list: they match)."""
    found = []
    en_cells, zh_cells = en_nb["cells"], zh_nb["cells"]
    if [c["cell_type"] for c in en_cells] != [c["cell_type"] for c in zh_cells]:
        found.append(f"the cells differ in number or kind: English {len(en_cells)} "
                     f"{''.join(c['cell_type'][0] for c in en_cells)}, this {len(zh_cells)} "
                     f"{''.join(c['cell_type'][0] for c in zh_cells)} (c = code, m = markdown, r = raw)")
        return found
    if en_nb.get("metadata", {}).get("kernelspec") != zh_nb.get("metadata", {}).get("kernelspec"):
        found.append("the kernelspec differs")
    for i, (en, zh) in enumerate(zip(en_cells, zh_cells)):
        where = f"cell {i} ({en['cell_type']})"
        if en["cell_type"] == "code":
            if en.get("metadata", {}) != zh.get("metadata", {}):
                found.append(f"{where}: its metadata differs")
            same = (code_without_prose(_source(en)) == code_without_prose(_source(zh))) if lab else \
                (_source(en) == _source(zh))
            if not same:
                found.append(f"{where}: its code differs" + (" (beyond comments and strings)" if lab else ""))
            elif lab and (values := fstring_expressions(_source(en))) != (own := fstring_expressions(_source(zh))):
                found.append(f"{where}: its f-strings compute other values (English: {values[:6]}, this: {own[:6]}); "
                             "a message may change its words, not its values")
        elif en["cell_type"] == "raw" and _source(en) != _source(zh):
            found.append(f"{where}: a raw cell (otter's delimiters and settings) must be identical")
        elif en["cell_type"] == "markdown":
            if en.get("metadata", {}) != zh.get("metadata", {}):
                found.append(f"{where}: its metadata differs")
            en_myst, zh_myst = _myst(_source(en)), _myst(_source(zh))
            if en_myst != zh_myst:
                lost = sorted(set(en_myst) - set(zh_myst))[:4]
                added = sorted(set(zh_myst) - set(en_myst))[:4]
                found.append(f"{where}: its MyST differs (English only: {lost}; here only: {added}); keep every "
                             "role's target, directive and label as it is")
    if glue_names(en_nb) != glue_names(zh_nb):
        en_names, zh_names = glue_names(en_nb), glue_names(zh_nb)
        missing = sorted(set(en_names) - set(zh_names))
        extra = sorted(set(zh_names) - set(en_names))
        if missing or extra:
            found.append(f"the glued values differ: missing {missing[:8]}, extra {extra[:8]}")
    return found


# --- the Sphinx extension: each page links to the same page in the other edition ------------------

OTHER = {"en": ("zh", "中文版", "zh-Hans"), "zh": ("en", "English edition", "en")}
CACHE_ENV = "SCALINGZIP_EXECUTION_CACHE"  # one execution cache for both editions (the English build's)
OUTPUT_ENV = "SCALINGZIP_BOOK_OUTPUT"  # where the English edition's _build is (its --path-output)


def english_build_dir(app) -> Path:
    """The English edition's ``_build`` folder: ``$SCALINGZIP_BOOK_OUTPUT/_build``, else the checkout's."""
    return Path(os.environ.get(OUTPUT_ENV) or Path(app.confdir).resolve().parent) / "_build"


def _config_inited(app, config) -> None:
    if config.edition not in OTHER:
        raise ValueError(f"edition must be one of {sorted(OTHER)}, got {config.edition!r}")
    cache = os.environ.get(CACHE_ENV)
    if config.edition == "zh" and not cache:
        cache = str(english_build_dir(app) / ".jupyter_cache")
    if cache:
        config.nb_execution_cache_path = cache


def _page_context(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    other, label, lang = OTHER[app.config.edition]
    up = "../" * pagename.count("/")
    root = f"{up}zh/" if app.config.edition == "en" else f"{up}../"
    context["other_edition"] = {"url": f"{root}{pagename}.html", "label": label, "lang": lang}


_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")


def translate_interface(text: str, words: dict[str, str]) -> str:
    """``text`` (a page, or a script that writes HTML) with the interface's English ``words`` in the
    edition's language: each key replaced where it is a whole attribute value (a button's title, an
    ``aria-label``, the search field's placeholder), or a whole text node (surrounding spaces aside)
    outside the page's ``<article>``, and nowhere else, so the pages' own prose and code are never
    touched.

    The themes translate their words through gettext catalogues, but some are written into their
    templates and scripts in English ("Toggle primary sidebar", "Back to top", "Toggle hidden
    content"), and some catalogues have no Simplified Chinese; ``edition_interface`` in an
    edition's ``_config.yml`` lists those words with the edition's own.

    Raises:
        ValueError: if a word or its translation is empty.
    """
    for english, own in words.items():
        if not (isinstance(english, str) and isinstance(own, str) and english.strip() and own.strip()):
            raise ValueError(f"edition_interface: {english!r}: {own!r} is not a word and its translation")
    article = re.search(r"<article\b.*</article>", text, flags=re.S)
    start, end = article.span() if article else (len(text), len(text))
    chrome = [text[:start], text[end:]]
    for english, own in words.items():
        quoted = re.escape(html.escape(english, quote=False))
        node = re.compile(rf"(>\s*){quoted}(\s*<)")
        chrome = [node.sub(lambda m: m[1] + html.escape(own, quote=False) + m[2], part) for part in chrome]
    text = chrome[0] + text[start:end] + chrome[1]
    for english, own in words.items():
        quoted = re.escape(html.escape(english, quote=True))
        attribute = re.compile(rf'(\b(?:{"|".join(_ATTRIBUTES)})="){quoted}(")')
        text = attribute.sub(lambda m: m[1] + html.escape(own, quote=True) + m[2], text)
    return text


def _translate_pages(app, exception) -> None:
    """Every page of a successful HTML build, and every script under ``_static``, with the interface's
    words of ``edition_interface`` (:func:`translate_interface`)."""
    words = app.config.edition_interface
    if exception is not None or not words or app.builder.name != "html":
        return
    out = Path(app.outdir)
    for path in [*out.rglob("*.html"), *(out / "_static").rglob("*.js")]:
        if path.is_file() and not path.is_symlink():
            text = path.read_text(encoding="utf-8")
            translated = translate_interface(text, words)
            if translated != text:
                path.write_text(translated, encoding="utf-8")


def _publish(app, exception) -> None:
    """After a successful build of the Chinese edition, put its pages under the English one's ``zh/``,
    where the editions' links expect them."""
    if exception is not None or app.config.edition != "zh" or app.builder.name != "html":
        return
    target = english_build_dir(app) / "html" / "zh"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(app.outdir, target)


def setup(app):
    app.add_config_value("edition", "en", "env")
    app.add_config_value("edition_interface", {}, "html", types=[dict])  # the theme's English words -> the edition's
    app.connect("config-inited", _config_inited, priority=100)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _translate_pages, priority=400)
    app.connect("build-finished", _publish, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m scalingzip.book.editions zh/PATH.ipynb ...", file=sys.stderr)
        return 2
    status = 0
    for name in argv:
        path = Path(name)
        en = counterpart(path)
        found = problems(json.loads(en.read_text(encoding="utf-8")), json.loads(path.read_text(encoding="utf-8")),
                         lab=path.resolve().parent.name == "labs" and path.name.startswith("lab_"))
        print(f"{name}: " + ("matches " + str(en.relative_to(ROOT)) if not found else f"{len(found)} problem(s)"))
        for line in found:
            print("  " + line)
        status |= bool(found)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
