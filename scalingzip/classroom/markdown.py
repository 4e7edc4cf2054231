"""A lab's MyST markdown turned into the plain markdown that JupyterLab renders.

The labs are written in MyST, Jupyter Book's markdown. The notebook released to students (and the
one the book offers for download) is opened in plain JupyterLab, which renders CommonMark with
``$``/``$$`` math and nothing else: without this module a student reads ``{footcite}`key```,
``(eq-label)`` after an equation and exercises as code blocks. :func:`plain_notebook` converts
every markdown cell of a notebook; :func:`plain_markdown` converts one.

Converted (everything else, CommonMark, HTML, tables, math and code, is left as it is):

- roles: citations (``footcite``, ``cite`` and its ``:p``/``:t``/``:ps``/``:ts``/``:author``/
  ``:year`` forms) become author-year text, "(Delétang et al., 2024)", read from a BibTeX file;
  ``doc`` the target's title in italics; Python object roles (``mod``, ``func``, ...) inline code;
  ``ref``, ``numref`` and ``eq`` the text, the title or the number they point to; ``math``
  ``$...$``; ``term``, ``abbr``, ``code``, ``file``, ``sub``, ``sup``, ``kbd``, ``download``;
- labelled equations (``$$ ... $$ (label)``, a ``(label)=`` line before a ``$$`` block, the
  ``math`` directive, ``\\label{...}`` in display math) get ``\\tag{n}``, numbered in notebook
  order; ``(label)=`` lines and MyST comments (``%``) are removed;
- directives, in backtick or colon fences: ``exercise`` becomes a numbered heading, ``solution``
  is removed (solutions never reach students), ``admonition`` and the named admonitions
  (``note``, ``warning``, ...) block quotes, ``prf:*`` (sphinx-proof) numbered block quotes,
  ``footbibliography``/``bibliography`` the list of the works cited, ``code-block``/``code`` a
  code fence, ``math`` display math, ``figure``/``image`` an image.

Refused, with a ``ValueError`` that names the construct: any other role or directive (``glue``
included: its values exist only in the book's build), an unknown citation key, a ``{doc}``
target that is not there, a reference to a label the notebook does not define, a label defined
twice, and MyST that could not be converted (a directive inside a block quote). Nothing is left
raw silently, and converting converted markdown changes nothing.

References: the MyST syntax guide (https://myst-parser.readthedocs.io), sphinx-exercise,
sphinx-proof and sphinxcontrib-bibtex's author-year style. The BibTeX file is read by
:mod:`scalingzip.classroom.bibtex`.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from scalingzip.classroom.bibtex import BibEntry, read_bibliography

__all__ = ["MarkdownContext", "Target", "plain_markdown", "plain_notebook"]


# --------------------------------------------------------------------------------------------
# Citations: labels and reference-list items
# --------------------------------------------------------------------------------------------


def _join_and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _author_label(entry: BibEntry, *, full: bool = False) -> str:
    """Who a citation names: "Rissanen", "Cleary and Witten", "Delétang et al." (or all of them)."""
    names = [name.surname for name in entry.authors]
    if not names:
        return entry.fields.get("organization") or entry.fields.get("title", entry.key)
    if entry.et_al or (len(names) > 2 and not full):
        return f"{names[0]} et al."
    return _join_and(names)


def _year_labels(entries: Sequence[BibEntry]) -> dict[str, str]:
    """Each entry's year, with a, b, ... where two cited works share authors and year."""
    groups: dict[tuple[str, str], list[BibEntry]] = {}
    for entry in entries:
        groups.setdefault((_author_label(entry), entry.year), []).append(entry)
    labels = {}
    for group in groups.values():
        ordered = sorted(group, key=_sort_key)
        for i, entry in enumerate(ordered):
            labels[entry.key] = entry.year + ("abcdefghijklmnopqrstuvwxyz"[i] if len(group) > 1 else "")
    return labels


def _sort_key(entry: BibEntry) -> tuple[str, str, str]:
    def plain(text: str) -> str:
        return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()

    first = entry.authors[0].last if entry.authors else _author_label(entry)
    return plain(first), entry.year, plain(entry.fields.get("title", ""))


def _escape(text: str) -> str:
    """Markdown's emphasis characters escaped outside ``$...$`` math."""
    pieces = re.split(r"(\$[^$]*\$)", text)
    return "".join(p if p.startswith("$") else re.sub(r"([*_\[\]<>`])", r"\\\1", p) for p in pieces)


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def _reference(entry: BibEntry, year: str) -> str:
    """One reference-list item: "Authors (Year). *Title*. Venue, details. <link>"."""
    f = entry.fields
    names = [name.abbreviated() for name in entry.authors]
    if entry.et_al:
        names.append("et al.")
    authors = (", ".join(names[:-1]) + ", & " + names[-1]) if len(names) > 1 else (names or [_author_label(entry)])[0]
    parts = [f"{_escape(authors)} ({year}).", _sentence(f"*{_escape(f.get('title', entry.key))}*")]
    url_like = re.compile(r"^\s*https?://\S+\s*$")
    venue = next(
        (f[k] for k in ("journal", "booktitle", "howpublished", "school", "institution", "publisher")
         if k in f and not url_like.match(f[k])), "",
    )
    if venue:
        volume = f.get("volume", "") + (f"({f['number']})" if "number" in f and "volume" in f else "")
        details = [venue] + [d for d in (volume, f.get("pages", "")) if d and entry.kind == "article"]
        parts.append(_sentence(_escape(", ".join(details))))
    link = (f"https://doi.org/{f['doi']}" if "doi" in f else f.get("url")) or next(
        (m.group(0) for k in ("howpublished", "note") if (m := re.search(r"https?://[^\s,;]+", f.get(k, "")))), None
    )
    if link:
        parts.append(f"<{link}>")
    return " ".join(parts)


# --------------------------------------------------------------------------------------------
# The context of a conversion
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Target:
    """What a label names, for ``{ref}``, ``{numref}`` and ``{eq}``."""

    kind: str  # "equation", "section", "paragraph", or a numbered item's name: "Exercise", "Figure", "Theorem", ...
    number: int | None = None  # its number in the notebook (None: a section, or an item with :nonumber:)
    title: str = ""  # a section's heading, an item's title or caption, as written (MyST)


@dataclass(frozen=True, kw_only=True)
class MarkdownContext:
    """What converting one markdown cell needs to know about its notebook and the book.

    :func:`plain_notebook` builds it from the whole notebook; for :func:`plain_markdown` on one
    cell, the labels and citations of the cell itself are added to it.
    """

    root: Path = Path(".")  # the book's root: `{doc}` targets that start with "/" are found there
    folder: Path | None = None  # the notebook's folder: other `{doc}` targets are relative to it (None: root)
    bibliography: Mapping[str, BibEntry] = field(default_factory=dict)  # key -> entry (read_bibliography)
    cited: tuple[str, ...] = ()  # keys cited in the notebook, in order: what {footbibliography} lists
    targets: Mapping[str, Target] = field(default_factory=dict)  # every label of the notebook
    counts: Mapping[str, int] = field(default_factory=dict)  # items numbered before this cell, by kind ("Exercise", ...)


# --------------------------------------------------------------------------------------------
# Blocks: a cell's lines cut into text, code, math, targets, comments and directives
# --------------------------------------------------------------------------------------------

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
_DIRECTIVE_INFO = re.compile(r"^\{(?P<name>[^{}\s]+)\}\s*(?P<argument>.*?)\s*$")
_TARGET = re.compile(r"^\s*\((?P<label>[^()\s]+)\)=\s*$")
_MATH_OPEN = re.compile(r"^(?P<indent>\s*)\$\$(?P<rest>.*)$")
_MATH_CLOSE = re.compile(r"^(?P<before>.*?)\$\$\s*(?:\((?P<label>[^()\s]+)\))?\s*$")
_AMS_ENVS = "equation|multline|gather|align|alignat|flalign|eqnarray"
_AMS_OPEN = re.compile(rf"^\s*\\begin\{{(?P<env>(?:{_AMS_ENVS})\*?)\}}")
_COMMENT = re.compile(r"^\s*(%|\+\+\+)")
_OPTION = re.compile(r"^\s*:(?P<key>[\w-]+):(?:\s+(?P<value>.*?))?\s*$")
_TEX_LABEL = re.compile(r"\\label\{(?P<label>[^{}]+)\}")


@dataclass(frozen=True)
class _Text:
    lines: tuple[str, ...]


@dataclass(frozen=True)
class _Code:
    lines: tuple[str, ...]  # a fenced code block, fences included


@dataclass(frozen=True)
class _Removed:
    lines: tuple[str, ...]  # a MyST comment (% ...) or block break (+++)


@dataclass(frozen=True)
class _Label:
    label: str  # a (label)= line


@dataclass(frozen=True)
class _Math:
    lines: tuple[str, ...]  # a $$ block as written
    label: str | None  # the label after its closing $$


@dataclass(frozen=True)
class _AmsMath:
    lines: tuple[str, ...]  # \begin{equation} ... \end{equation} and its kin


@dataclass(frozen=True)
class _Directive:
    name: str
    argument: str
    options: Mapping[str, str]
    body: tuple[str, ...]  # dedented, options removed, blank lines at both ends removed
    indent: str
    line: int  # the opening fence's line in its cell, counted from 1


def _closing(lines: Sequence[str], start: int, pattern: re.Pattern) -> int | None:
    return next((j for j in range(start, len(lines)) if pattern.match(lines[j])), None)


def _directive(lines: Sequence[str], indent: str, info: re.Match, line: int) -> _Directive:
    body = [b[len(indent) :] if b.startswith(indent) else b.lstrip() for b in lines]
    options: dict[str, str] = {}
    where = f"{{{info['name']}}} (line {line})"
    if body and body[0].strip() == "---":
        end = next((j for j in range(1, len(body)) if body[j].strip() == "---"), None)
        if end is None:
            raise ValueError(f"{where}: its '---' options block is never closed")
        loaded = yaml.safe_load("\n".join(body[1:end])) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{where}: the '---' block must hold 'key: value' options")
        options = {str(k): "" if v is None else str(v) for k, v in loaded.items()}
        body = body[end + 1 :]
    else:
        while body and (m := _OPTION.match(body[0])):
            if m["key"] in options:
                raise ValueError(f"{where}: option :{m['key']}: given twice")
            options[m["key"]] = m["value"] or ""
            body = body[1:]
    while body and not body[0].strip():
        body = body[1:]
    while body and not body[-1].strip():
        body = body[:-1]
    return _Directive(info["name"], info["argument"], options, tuple(body), indent, line)


def _parse(lines: Sequence[str]) -> list:
    """Cut a cell's lines into blocks; text lines between other blocks form one :class:`_Text`."""
    blocks: list = []
    text: list[str] = []

    def emit(block) -> None:
        if text:
            blocks.append(_Text(tuple(text)))
            text.clear()
        blocks.append(block)

    i = 0
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        info = fence and _DIRECTIVE_INFO.match(fence["info"].strip())
        if fence and not (fence["fence"][0] == "`" and "`" in fence["info"]) and (info or fence["fence"][0] != ":"):
            char, n = fence["fence"][0], len(fence["fence"])
            end = _closing(lines, i + 1, re.compile(rf"^\s*{re.escape(char)}{{{n},}}\s*$"))
            if info:
                if end is None:
                    raise ValueError(f"{{{info['name']}}} (line {i + 1}): the directive's fence is never closed")
                emit(_directive(lines[i + 1 : end], fence["indent"], info, i + 1))
            else:  # a code block; unclosed, it runs to the end of the cell (CommonMark)
                end = len(lines) - 1 if end is None else end
                emit(_Code(tuple(lines[i : end + 1])))
            i = end + 1
            continue
        if m := _TARGET.match(line):
            emit(_Label(m["label"]))
        elif (m := _MATH_OPEN.match(line)) and (math := _math_block(lines, i, m)):
            emit(math[0])
            i = math[1]
            continue
        elif m := _AMS_OPEN.match(line):
            close = re.compile(rf".*\\end\{{{re.escape(m['env'])}\}}")
            end = _closing(lines, i, close)
            if end is None:
                raise ValueError(f"line {i + 1}: \\begin{{{m['env']}}} is never ended")
            emit(_AmsMath(tuple(lines[i : end + 1])))
            i = end + 1
            continue
        elif _COMMENT.match(line):
            emit(_Removed((line,)))
        else:
            text.append(line)
        i += 1
    if text:
        blocks.append(_Text(tuple(text)))
    return blocks


def _math_block(lines: Sequence[str], i: int, opening: re.Match) -> tuple[_Math, int] | None:
    """The ``$$`` block that opens at line ``i`` and the index after it, or None if it is not one."""
    rest = opening["rest"]
    if "$$" in rest:  # one line: $$ ... $$ (label)
        m = _MATH_CLOSE.match(rest)
        return (_Math((lines[i],), m["label"]), i + 1) if m and "$$" not in m["before"] else None
    for j in range(i + 1, len(lines)):
        if "$$" in lines[j]:
            m = _MATH_CLOSE.match(lines[j])
            return (_Math(tuple(lines[i : j + 1]), m["label"]), j + 1) if m and "$$" not in m["before"] else None
    return None


# --------------------------------------------------------------------------------------------
# Inline text: code spans (kept) and roles (converted)
# --------------------------------------------------------------------------------------------

_ROLE_NAME = re.compile(r"(?<!\\)\{(?P<name>[A-Za-z][\w.+:-]*)\}$")
_BACKTICK_OR_ESCAPE = re.compile(r"\\.|`+", re.DOTALL)
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n")
_SUBSTITUTION = re.compile(r"\{\{\s+[A-Za-z_][\w.-]*\s+\}\}")


def _inline_tokens(text: str) -> Iterator[tuple[str, object]]:
    """``("text", str)``, ``("code", str)`` (a code span, backticks included) and
    ``("role", (name, content))`` pieces of ``text``, in order (CommonMark's code-span rules)."""
    start = pos = 0
    while m := _BACKTICK_OR_ESCAPE.search(text, pos):
        pos = m.end()
        if m.group(0).startswith("\\"):
            continue
        n = len(m.group(0))
        limit = _PARAGRAPH_END.search(text, pos)
        close = re.compile(rf"(?<!`)`{{{n}}}(?!`)").search(text, pos, limit.start() if limit else len(text))
        if close is None:
            continue  # a lone run of backticks is literal text
        before = text[start : m.start()]
        role = _ROLE_NAME.search(before)
        if role:
            yield "text", before[: role.start()]
            yield "role", (role["name"], text[pos : close.start()])
        else:
            yield "text", before
            yield "code", text[m.start() : close.end()]
        start = pos = close.end()
    yield "text", text[start:]


def _inline_code(text: str) -> str:
    """``text`` as a markdown code span."""
    text = " ".join(text.split())
    ticks = "`" * (1 + max((len(r) for r in re.findall(r"`+", text)), default=0))
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _split_target(content: str) -> tuple[str | None, str]:
    """A role's ``text <target>`` as (text, target); a bare ``target`` as (None, target)."""
    m = re.fullmatch(r"(?P<text>.*?)\s*<(?P<target>[^<>]+)>", content.strip(), re.DOTALL)
    if m and m["text"]:
        return " ".join(m["text"].split()), m["target"].strip()
    return None, content.strip()


def _math_state(line: str, state: str | None) -> str | None:
    """Whether ``$`` math is open (``"inline"``/``"display"``) after ``line``, given the state before."""
    for kind, value in _inline_tokens(line):
        if kind != "text":
            continue
        text = re.sub(r"\\.", "", str(value))
        i = 0
        while i < len(text):
            if text.startswith("$$", i) and state != "inline":
                state = None if state == "display" else "display"
                i += 2
                continue
            if text[i] == "$" and state != "display":
                state = None if state == "inline" else "inline"
            i += 1
    return state


def _quote(lines: Sequence[str]) -> list[str]:
    """``lines`` as a block quote. Math that spans lines is first joined into one line, since
    JupyterLab finds math before it parses markdown and would keep the ``> `` inside it."""
    joined: list[str] = []
    state = None
    fence = None
    for line in lines:
        if fence is None and (m := _FENCE.match(line)) and state is None:
            fence = re.compile(rf"^\s*{re.escape(m['fence'][0])}{{{len(m['fence'])},}}\s*$")
        elif fence is not None and fence.match(line):
            fence = None
        elif fence is None and state == "display" and joined:
            joined[-1] += " " + re.sub(r"(?<!\\)%.*$", "", line).strip()
            state = _math_state(line, state)
            continue
        elif fence is None and state == "inline" and joined and line.strip():
            joined[-1] += " " + line.strip()
            state = _math_state(line, state)
            continue
        joined.append(line)
        state = None if fence is not None else _math_state(line, None)
    return [f"> {line}" if line.strip() else ">" for line in joined]


def _assemble(chunks: Sequence[list[str] | None]) -> list[str]:
    """The rendered blocks' lines joined; ``None`` is a removed block, whose place leaves exactly
    one blank line between what came before and after it (none at the cell's ends)."""
    out: list[str] = []
    gap = None  # after a removal: "skip" blank lines, or "need" one before the next content
    for chunk in chunks:
        if chunk is None:
            gap = gap or ("need" if out and out[-1].strip() else "skip")
            continue
        for line in chunk:
            if gap and not line.strip():
                if gap == "skip":
                    continue
                gap = None
            elif gap:
                if gap == "need":
                    out.append("")
                gap = None
            out.append(line)
    if gap:
        while out and not out[-1].strip():
            out.pop()
    return out


def _document_title(path: Path) -> str:
    """The first ``# `` heading of a notebook's first markdown cell, or of a markdown file."""
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        first = next((c for c in cells if c.get("cell_type") == "markdown"), None)
        source = first and first["source"]
        text = "".join(source) if isinstance(source, list) else (source or "")
    else:
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.DOTALL)  # front matter
    m = re.search(r"^#[ \t]+(?P<title>.+?)[ \t#]*$", text, re.MULTILINE)
    if m is None:
        raise ValueError(f"{path} has no '# ' title heading (in its first markdown cell) for {{doc}} to show")
    return m["title"]


# --------------------------------------------------------------------------------------------
# The conversion
# --------------------------------------------------------------------------------------------

_OBJECT_ROLES = {"mod", "func", "class", "meth", "attr", "obj", "data", "exc", "const", "type", "any"}
_CODE_ROLES = {"code", "file", "samp", "command", "program", "envvar", "option", "literal"}
_CITE_ROLES = {"cite", "footcite"}
_ADMONITIONS = {
    "note": "Note", "tip": "Tip", "warning": "Warning", "important": "Important", "hint": "Hint",
    "caution": "Caution", "attention": "Attention", "danger": "Danger", "error": "Error", "seealso": "See also",
}
_PROOF_KINDS = {
    "theorem", "lemma", "definition", "proposition", "corollary", "conjecture", "example", "remark",
    "observation", "property", "algorithm", "axiom", "criterion", "assumption", "notation",
}
_OPTIONS = {  # the options each directive accepts; any other is refused
    "exercise": {"label", "class", "nonumber", "hidden", "name"},
    "admonition": {"class", "name"},
    "prf": {"label", "class", "nonumber", "hidden", "name"},
    "footbibliography": {"style"},
    "bibliography": {"style", "cited", "all"},
    "code-block": {"linenos", "lineno-start", "emphasize-lines", "caption", "name", "dedent", "force", "class", "number-lines"},
    "math": {"label", "name", "class", "nowrap"},
    "figure": {"alt", "width", "height", "scale", "align", "name", "class", "figclass", "figwidth", "target", "label"},
    "image": {"alt", "width", "height", "scale", "align", "name", "class", "target"},
}


def _starts_paragraph(line: str) -> bool:
    """Whether ``line`` starts a plain paragraph (so a bold label can go in front of it)."""
    return bool(line.strip()) and not re.match(r"^( {4}|\t|\s*([#>|<]|[*+-](\s|$)|\d+[.)]|`{3}|~{3}|:{3}|\$\$|\\begin))", line)


class _Converter:
    """One conversion of a cell's markdown, in one of two modes.

    ``collect=True`` is the first pass over a notebook: labels get their numbers, citations are
    recorded, and references to labels not yet known are allowed (the output is thrown away).
    ``collect=False`` converts for real, with every label and citation of the notebook in the
    context. Both passes number items in the same order; the render pass asserts that it finds
    the numbers the collect pass gave.
    """

    def __init__(self, context: MarkdownContext, *, collect: bool):
        self.ctx, self.collect = context, collect
        self.counts = dict(context.counts)  # items numbered so far, by kind
        self.targets: dict[str, Target] = {}  # labels found in this cell
        self.cited: list[str] = []  # keys cited in this cell, in order
        self.pending: list[str] = []  # labels of (label)= lines waiting for their block
        self._years: dict[str, str] | None = None

    # ---- labels and numbers ------------------------------------------------------------------

    def number(self, kind: str) -> int:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return self.counts[kind]

    def label(self, labels: Sequence[str], target: Target) -> None:
        """Record what ``labels`` (and the pending ``(label)=`` lines) name."""
        for label in [*self.pending, *labels]:
            if label in self.targets:
                raise ValueError(f"the label {label!r} is defined twice")
            if self.collect and label in self.ctx.targets and self.ctx.targets[label] != target:
                raise ValueError(f"the label {label!r} is defined twice (here and in another cell)")
            assert self.collect or self.ctx.targets.get(label) == target, (label, target)
            self.targets[label] = target
        self.pending.clear()

    def lookup(self, label: str, role: str, content: str) -> Target | None:
        target = self.ctx.targets.get(label, self.targets.get(label))
        if target is None and not self.collect:
            raise ValueError(
                f"{{{role}}}`{content}`: the notebook defines no label {label!r} (a label inside a removed "
                f"{{solution}} or in another document cannot be shown; write the text instead)"
            )
        return target

    # ---- blocks -------------------------------------------------------------------------------

    def convert(self, source: str) -> str:
        converted = "\n".join(self.lines(source.split("\n")))
        if self.pending:  # (label)= lines at the end of the cell name nothing that has a title
            self.label([], Target(kind="paragraph"))
        return converted

    def lines(self, lines: Sequence[str]) -> list[str]:
        return _assemble([self.block(block) for block in _parse(lines)])

    def block(self, block) -> list[str] | None:
        if isinstance(block, _Label):
            self.pending.append(block.label)
            return None
        if isinstance(block, _Removed):
            return None
        if isinstance(block, _Code):
            return list(block.lines)
        if isinstance(block, _Text):
            return self.text(block.lines)
        if isinstance(block, _Math):
            return self.math(block)
        if isinstance(block, _AmsMath):
            return self.tex_labels(list(block.lines), [])
        return [block.indent + line if line else line for line in self.directive(block) or []] or None

    def text(self, lines: Sequence[str]) -> list[str]:
        content = [line for line in lines if line.strip()]
        if self.pending and content:
            heading = re.match(r"^\s*#{1,6}\s+(.*?)[\s#]*$", content[0])
            self.label([], Target(kind="section", title=heading[1]) if heading else Target(kind="paragraph"))
        return self.inline("\n".join(lines)).split("\n")

    def math(self, block: _Math) -> list[str]:
        lines = list(block.lines)
        labels = [*self.pending, *([block.label] if block.label else [])]
        if not labels:
            return self.tex_labels(lines, [])
        if _TEX_LABEL.search("\n".join(lines)):
            raise ValueError(f"an equation has both a MyST label ({labels[0]}) and a \\label: keep one")
        n = self.number("equation")
        self.pending.clear()
        self.label(labels, Target(kind="equation", number=n))
        closing = _MATH_CLOSE.match(lines[-1])
        if len(lines) == 1:
            body = _MATH_CLOSE.match(_MATH_OPEN.match(lines[0])["rest"])["before"].strip()
            return [f"{_MATH_OPEN.match(lines[0])['indent']}$$ {body} \\tag{{{n}}} $$"]
        indent = re.match(r"\s*", lines[-1]).group(0)
        before = closing["before"].rstrip()
        return lines[:-1] + ([before] if before.strip() else []) + [f"{indent}\\tag{{{n}}}", f"{indent}$$"]

    def tex_labels(self, lines: list[str], labels: Sequence[str]) -> list[str]:
        """Display math with each ``\\label{x}`` replaced by ``\\tag{n}``, numbered; ``labels``
        (and pending ``(label)=`` lines) name the first of these equations."""
        aliases = [*self.pending, *labels]
        self.pending.clear()
        found = _TEX_LABEL.findall("\n".join(lines))
        if aliases and not found:
            raise ValueError(f"the label {aliases[0]!r} names display math without a \\label: number it with one")

        def tag(m: re.Match) -> str:
            n = self.number("equation")
            self.label([m["label"], *(aliases if m["label"] == found[0] else [])], Target(kind="equation", number=n))
            return f"\\tag{{{n}}}"

        return _TEX_LABEL.sub(tag, "\n".join(lines)).split("\n")

    # ---- inline -------------------------------------------------------------------------------

    def inline(self, text: str) -> str:
        pieces = []
        for kind, value in _inline_tokens(text):
            if kind == "role":
                pieces.append(self.role(*value, before="".join(pieces)))
            else:
                if kind == "text" and (m := _SUBSTITUTION.search(str(value))):
                    raise ValueError(f"MyST substitution {m.group(0)} is not supported: write its text")
                pieces.append(str(value))
        return "".join(pieces)

    def role(self, name: str, content: str, before: str = "") -> str:
        short = name.removeprefix("py:")
        text, target = _split_target(content)
        if short in _OBJECT_ROLES:
            if text is not None:
                return _inline_code(text)
            tilde = target.lstrip("!").startswith("~")
            target = target.lstrip("!~").lstrip(".")
            return _inline_code(target.rsplit(".", 1)[-1] if tilde else target)
        if name.split(":")[0] in _CITE_ROLES:
            return self.cite(name, content, before)
        if name == "doc":
            path = self.document(target, content)
            return f"*{_escape(text if text is not None else _document_title(path))}*"
        if name in ("ref", "numref", "eq", "prf:ref"):
            return self.reference(name.removeprefix("prf:"), text, target, content)
        if name == "math":
            return f"${' '.join(content.split())}$"
        if name in ("term", "download", "abbr", "guilabel"):
            return text if text is not None else target
        if name in _CODE_ROLES:
            return _inline_code(content)
        if name in ("sub", "sup", "kbd"):
            return f"<{name}>{content}</{name}>"
        if name.startswith("glue"):
            raise ValueError(
                f"{{{name}}}`{content}`: glued values exist only in the book's build; write the value, "
                "or print it from a code cell"
            )
        raise ValueError(
            f"unsupported MyST role {{{name}}}`{content}`: JupyterLab would show it raw. Use one of "
            "the roles scalingzip.classroom.markdown converts, or plain markdown"
        )

    def cite(self, name: str, content: str, before: str = "") -> str:
        keys = [key.strip() for key in content.split(",") if key.strip()]
        if not keys:
            raise ValueError(f"{{{name}}}`{content}` cites no key")
        unknown = [key for key in keys if key not in self.ctx.bibliography]
        if unknown:
            raise ValueError(
                f"{{{name}}}`{content}`: unknown citation key {unknown[0]!r}: not in the bibliography "
                f"({len(self.ctx.bibliography)} entries; is it references.bib, passed as bib=?)"
            )
        self.cited.extend(key for key in keys if key not in self.cited)
        if self.collect:
            return "(citation)"
        if self._years is None:
            cited = dict.fromkeys([*self.ctx.cited, *self.cited])
            self._years = _year_labels([self.ctx.bibliography[key] for key in cited])
        style = name.partition(":")[2] or "p"
        entries = [self.ctx.bibliography[key] for key in keys]
        who = [_author_label(e, full=style in ("ps", "ts", "authors")) for e in entries]
        years = [self._years.get(e.key, e.year) for e in entries]
        if style in ("p", "ps"):
            # "following Hoffmann et al. {footcite}`key`": the text already names the authors, so the year alone
            if len(entries) == 1 and re.search(re.escape(who[0]) + r"(?:['’]s)?\s*$", before):
                return f"({years[0]})"
            return "(" + "; ".join(f"{w}, {y}" for w, y in zip(who, years, strict=True)) + ")"
        if style in ("t", "ts"):
            return _join_and([f"{w} ({y})" for w, y in zip(who, years, strict=True)])
        if style in ("author", "authors"):
            return _join_and(who)
        if style in ("year", "yearpar"):
            joined = "; ".join(years)
            return f"({joined})" if style == "yearpar" else joined
        raise ValueError(f"unsupported citation role {{{name}}}: use :p, :t, :ps, :ts, :author or :year")

    def document(self, target: str, content: str) -> Path:
        base = self.ctx.root if target.startswith("/") else (self.ctx.folder or self.ctx.root)
        relative = target.lstrip("/")
        names = [relative] if relative.endswith((".ipynb", ".md")) else [relative + ".ipynb", relative + ".md"]
        for name in names:
            if (base / name).is_file():
                return base / name
        raise ValueError(
            f"{{doc}}`{content}`: no document {target!r}: looked for "
            + " and ".join(str(base / name) for name in names)
            + " (relative targets start at the notebook's folder: pass folder=)"
        )

    def reference(self, role: str, text: str | None, label: str, content: str) -> str:
        if role == "ref" and text is not None:
            return text
        target = self.lookup(label, role, content)
        if target is None:
            return "(?)"
        n = target.number
        if role == "eq":
            if target.kind != "equation":
                raise ValueError(f"{{eq}}`{content}`: {label!r} is a {target.kind}, not an equation")
            return f"({n})"
        if role == "numref" and text is not None:
            if n is None and re.search(r"%s|\{number\}", text):
                raise ValueError(f"{{numref}}`{content}`: {label!r} has no number")
            return text.replace("%s", str(n)).replace("{number}", str(n)).replace("{name}", self.inline(target.title))
        if target.kind == "equation":
            return f"Equation ({n})" if role == "numref" else f"({n})"
        if n is not None:
            return f"{target.kind} {n}"
        if target.title:
            return self.inline(target.title)
        raise ValueError(f"{{{role}}}`{content}`: {label!r} names no heading; write {{{role}}}`text <{label}>`")

    # ---- directives ---------------------------------------------------------------------------

    def directive(self, d: _Directive) -> list[str] | None:
        where = f"{{{d.name}}} (line {d.line})"
        kind = "prf" if d.name.startswith("prf:") else "code-block" if d.name == "code" else d.name
        kind = "admonition" if kind in _ADMONITIONS else kind
        if kind in _OPTIONS and (extra := sorted(set(d.options) - _OPTIONS[kind])):
            raise ValueError(f"{where}: option :{extra[0]}: is not supported (allowed: {sorted(_OPTIONS[kind])})")
        if kind in ("code-block", "footbibliography", "bibliography"):
            self.label([d.options["name"]] if d.options.get("name") else [], Target(kind="paragraph"))
        try:
            if d.name == "solution" or (kind in ("exercise", "prf") and "hidden" in d.options):
                self.pending.clear()  # solutions, and what the book hides, never reach students
                return None
            if d.name == "exercise":
                return self.numbered(d, "Exercise", heading=True)
            if d.name == "prf:proof":
                self.label([], Target(kind="proof"))
                return _quote(self.lead("*Proof.*", self.lines(self.content(d))))
            if kind == "prf" and d.name[4:] in _PROOF_KINDS:
                return self.numbered(d, d.name[4:].capitalize(), heading=False)
            if d.name == "admonition":
                if not d.argument:
                    raise ValueError("an admonition needs a title: {admonition} Title")
                self.label([d.options.get("name", "")] if d.options.get("name") else [], Target(kind="admonition"))
                body = self.lines(d.body)
                return _quote([f"**{self.inline(d.argument)}**"] + ([""] + body if body else []))
            if d.name in _ADMONITIONS:
                self.label([d.options["name"]] if d.options.get("name") else [], Target(kind="admonition"))
                return _quote(self.lead(f"**{_ADMONITIONS[d.name]}.**", self.lines(self.content(d))))
            if d.name in ("footbibliography", "bibliography"):
                return self.bibliography(d)
            if kind == "code-block":
                ticks = max([3] + [len(m) + 1 for line in d.body for m in re.findall(r"^\s*(`{3,})", line)])
                return ["`" * ticks + d.argument, *d.body, "`" * ticks]
            if d.name == "math":
                return self.math_directive(d)
            if d.name in ("figure", "image"):
                return self.figure(d)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from error
        if d.name.startswith("glue"):
            raise ValueError(f"{where}: glued values exist only in the book's build; show them from a code cell")
        if d.name in ("solution-start", "solution-end", "exercise-start", "exercise-end"):
            raise ValueError(f"{where}: gated exercises and solutions are not supported; use one {{exercise}} or {{solution}}")
        raise ValueError(
            f"unsupported MyST directive {where}: JupyterLab would show it as a code block. Use one of "
            "the directives scalingzip.classroom.markdown converts, or plain markdown"
        )

    @staticmethod
    def content(d: _Directive) -> list[str]:
        """An admonition's body, its argument (text on the fence's line) first."""
        return [d.argument, *d.body] if d.argument else list(d.body)

    @staticmethod
    def lead(label: str, body: list[str]) -> list[str]:
        """A bold label in front of the body's first paragraph, or on a line of its own."""
        if body and _starts_paragraph(body[0]):
            return [f"{label} {body[0].lstrip()}", *body[1:]]
        return [label] + ([""] + body if body else [])

    def numbered(self, d: _Directive, kind: str, *, heading: bool) -> list[str]:
        """An exercise (a heading) or a theorem-like item (a quote), numbered in notebook order."""
        n = None if "nonumber" in d.options else self.number(kind)
        labels = [d.options[key] for key in ("label", "name") if d.options.get(key)]
        self.label(labels, Target(kind=kind, number=n, title=d.argument))
        title = " ".join([kind] + ([str(n)] if n is not None else []))
        body = self.lines(d.body)
        if heading:
            title += f": {self.inline(d.argument)}" if d.argument else ""
            return [f"#### {title}"] + ([""] + body if body else [])
        title += f" ({self.inline(d.argument)})" if d.argument else ""
        return _quote([f"**{title}.**"] + ([""] + body if body else []))

    def bibliography(self, d: _Directive) -> list[str] | None:
        if self.collect:
            return []
        everything = d.name == "bibliography" and "all" in d.options
        keys = list(self.ctx.bibliography) if everything else list(dict.fromkeys([*self.ctx.cited, *self.cited]))
        entries = sorted((self.ctx.bibliography[key] for key in keys), key=_sort_key)
        years = _year_labels(entries)
        return [f"- {_reference(entry, years[entry.key])}" for entry in entries] or None

    def math_directive(self, d: _Directive) -> list[str]:
        body = [d.argument, *d.body] if d.argument else list(d.body)
        labels = [d.options[key] for key in ("label", "name") if d.options.get(key)]
        if "nowrap" in d.options:
            return self.tex_labels(body, labels)
        parts = [p.strip() for p in re.split(r"\n\s*\n", "\n".join(body)) if p.strip()]
        if len(parts) > 1:  # Sphinx shows blank-line separated equations one below the other
            body = ["\\begin{aligned}", " \\\\\n".join(p if "&" in p else "&" + p for p in parts), "\\end{aligned}"]
        if not (labels or self.pending):
            return self.tex_labels(["$$", *body, "$$"], [])
        n = self.number("equation")
        self.label(labels, Target(kind="equation", number=n))
        return ["$$", *"\n".join(body).split("\n"), f"\\tag{{{n}}}", "$$"]

    def figure(self, d: _Directive) -> list[str]:
        path = d.argument.strip()
        if not path:
            raise ValueError("the image's path is missing")
        path = f"<{path}>" if " " in path else path
        if d.name == "image":
            self.label([d.options["name"]] if d.options.get("name") else [], Target(kind="image"))
            return [f"![{self.inline(d.options.get('alt', ''))}]({path})"]
        blank = next((i for i, line in enumerate(d.body) if not line.strip()), len(d.body))
        caption = " ".join(line.strip() for line in d.body[:blank])
        n = self.number("Figure")
        labels = [d.options[key] for key in ("name", "label") if d.options.get(key)]
        self.label(labels, Target(kind="Figure", number=n, title=caption))
        legend = self.lines(d.body[blank:])
        image = f"![{self.inline(caption or d.options.get('alt', ''))}]({path})"
        return [image] + ([""] + legend if any(line.strip() for line in legend) else [])


# --------------------------------------------------------------------------------------------
# Leftovers: what a converted cell must not contain
# --------------------------------------------------------------------------------------------

_QUOTED_MYST = re.compile(r"^\s*>[\s>]*((`{3,}|~{3,}|:{3,})\s*\{|\([^()\s]+\)=\s*$|\$\$.*\$\$\s*\([^()\s]+\)\s*$)")


def _check_plain(text: str) -> None:
    """Raise if converted markdown still holds MyST (which only happens where the converter cannot
    see it, such as a directive inside a block quote)."""
    for block in _parse(text.split("\n")):
        if isinstance(block, (_Directive, _Label, _Removed)) or (isinstance(block, _Math) and block.label):
            raise ValueError(f"MyST was left unconverted: {block}")
        if isinstance(block, _Text):
            for kind, value in _inline_tokens("\n".join(block.lines)):
                if kind == "role":
                    raise ValueError(f"the role {{{value[0]}}} was left unconverted")
            for line in block.lines:
                if _QUOTED_MYST.match(line):
                    raise ValueError(f"MyST inside a block quote cannot be converted: {line.strip()!r}")


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def _merged(context: MarkdownContext, converter: _Converter) -> MarkdownContext:
    targets = {**context.targets, **converter.targets}
    cited = tuple(dict.fromkeys([*context.cited, *converter.cited]))
    return replace(context, targets=targets, cited=cited)


def plain_markdown(source: str, *, context: MarkdownContext) -> str:
    """One markdown cell's MyST converted to the markdown JupyterLab renders.

    Items of the cell are numbered after ``context.counts``; its labels and citations are added
    to the context's, so one cell can be converted on its own. (:func:`plain_notebook` converts a
    whole notebook, with numbers and citations consistent across its cells.) Converting the
    result again returns it unchanged.

    Args:
        source: the cell's markdown (MyST).
        context: the notebook and book around the cell (see :class:`MarkdownContext`).

    Returns:
        The converted markdown; ``""`` if nothing is left (a cell that holds only a solution).

    Raises:
        ValueError: for what cannot be converted (see the module's docstring); the message names it.
    """
    collected = _Converter(context, collect=True)
    collected.convert(source)
    full = _merged(context, collected)
    converted = _Converter(full, collect=False).convert(source)
    _check_plain(converted)
    return converted


def _caption_cell(source: str, after):
    """A markdown cell holding a figure's caption, to follow the code cell ``after``."""
    import nbformat  # the classroom extra's dependency, needed only where notebooks are

    cell = nbformat.v4.new_markdown_cell(source)
    if "id" in after:  # deterministic: the same notebook converts to the same file
        cell["id"] = f"{after['id']}-caption"[-64:]
    else:
        del cell["id"]
    return cell


def _source(cell) -> str:
    return cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])


def _book_bibfile(root: Path) -> Path:
    """The book's BibTeX file: the first ``bibtex_bibfiles`` entry of its ``_config.yml`` (relative to
    ``root``; the Chinese edition's is ``../references.bib``), else ``root / "references.bib"``."""
    import yaml

    config = root / "_config.yml"
    try:
        files = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("bibtex_bibfiles") or []
    except (OSError, yaml.YAMLError):
        files = []
    return (root / files[0]).resolve() if files else root / "references.bib"


def plain_notebook(nb, *, root: Path, folder: Path | None = None, bib: Path | None = None):
    """A copy of notebook ``nb`` with every markdown cell converted by :func:`plain_markdown`.

    Equations, exercises and other numbered items are numbered in notebook order, and references
    to them (``{eq}``, ``{ref}``, ``{numref}``) may point forward or to another cell; every
    ``{footbibliography}`` lists the works cited anywhere in the notebook outside solutions. A
    markdown cell left empty (one that held only a solution) is removed. A code cell that makes a
    figure with a caption (MyST-NB's ``mystnb: figure:`` metadata) is numbered with the
    ``{figure}`` directives and followed by a new markdown cell, "**Figure n.** caption", since
    JupyterLab shows no caption. ``nb`` is not changed.

    Args:
        nb: the notebook (an ``nbformat`` notebook node, version 4).
        root: the book's root folder.
        folder: the notebook's folder, where relative ``{doc}`` targets start (default ``root``).
        bib: the BibTeX file (default the first of the book's ``bibtex_bibfiles`` in ``root/_config.yml``,
            else ``root / "references.bib"``, when it exists).

    Raises:
        ValueError: for what cannot be converted; the message names the cell's index and id.
    """
    root = Path(root)
    default = _book_bibfile(root)
    bib = Path(bib) if bib is not None else default
    if bib.exists():
        bibliography = read_bibliography(bib)
    elif bib == default:
        bibliography = {}
    else:
        raise ValueError(f"bib: no file {bib}")
    context = MarkdownContext(root=root, folder=Path(folder) if folder else None, bibliography=bibliography)

    def where(i: int) -> str:
        return f"markdown cell {i} (id {nb['cells'][i].get('id', '?')})"

    counts_before: dict[int, Mapping[str, int]] = {}
    captions: dict[int, str] = {}  # code cell -> the caption of the figure it makes
    for i, cell in enumerate(nb["cells"]):  # first pass: numbers, labels and citations of the whole notebook
        figure = cell.get("metadata", {}).get("mystnb", {}).get("figure") if cell["cell_type"] == "code" else None
        if figure:  # a figure made by a code cell: MyST-NB numbers it with the {figure} directives
            n = context.counts.get("Figure", 0) + 1
            target = Target(kind="Figure", number=n, title=str(figure.get("caption", "")))
            names = [figure["name"]] if figure.get("name") else []
            if set(names) & set(context.targets):
                raise ValueError(f"code cell {i}: the figure name {names[0]!r} is defined twice")
            context = replace(context, counts={**context.counts, "Figure": n},
                              targets={**context.targets, **dict.fromkeys(names, target)})
            captions[i] = f"**Figure {n}.** {target.title}".rstrip()
        if cell["cell_type"] != "markdown":
            continue
        counts_before[i] = dict(context.counts)
        collected = _Converter(context, collect=True)
        try:
            collected.convert(_source(nb["cells"][i]))
            clash = set(collected.targets) & set(context.targets)
            if clash:
                raise ValueError(f"the label {min(clash)!r} is defined twice")
        except ValueError as error:
            raise ValueError(f"{where(i)}: {error}") from error
        context = replace(_merged(context, collected), counts=collected.counts)

    out = copy.deepcopy(nb)
    cells = []
    for i, cell in enumerate(out["cells"]):
        if i in counts_before:
            try:
                converted = _Converter(replace(context, counts=counts_before[i]), collect=False).convert(_source(cell))
                _check_plain(converted)
            except ValueError as error:
                raise ValueError(f"{where(i)}: {error}") from error
            if not converted.strip() and _source(cell).strip():
                continue
            cell["source"] = converted
        cells.append(cell)
        if i in captions:  # JupyterLab shows no caption under a figure: a markdown cell gives it
            caption = plain_markdown(captions[i], context=replace(context, counts={}))
            following = nb["cells"][i + 1] if i + 1 < len(nb["cells"]) else None
            if not (following and following["cell_type"] == "markdown" and _source(following) == caption):
                cells.append(_caption_cell(caption, cell))
    out["cells"] = cells
    return out
