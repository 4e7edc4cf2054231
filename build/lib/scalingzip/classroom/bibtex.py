"""A small BibTeX reader: entries, names and LaTeX text decoded to Unicode.

What the student release needs of ``references.bib`` to write citations as text
(:mod:`scalingzip.classroom.markdown`): each entry's kind, key, fields with LaTeX accents and
braces decoded ("{\\'e}" becomes "é", "{G}rünwald" "Grünwald"), and its authors split into first,
von, last and jr parts as BibTeX splits them. URLs, DOIs and e-print ids are kept as written.

References: Patashnik, "BibTeXing" (1988), and Markey, "Tame the BeaST" (2009).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["BibEntry", "Name", "latex_to_unicode", "parse_bibtex", "read_bibliography"]

_ACCENTS = {  # accent command -> Unicode combining character
    "'": "\u0301", "`": "\u0300", "^": "\u0302", '"': "\u0308", "~": "\u0303", "=": "\u0304",
    ".": "\u0307", "u": "\u0306", "v": "\u030c", "H": "\u030b", "c": "\u0327", "k": "\u0328",
    "r": "\u030a", "d": "\u0323", "b": "\u0331",
}
_SYMBOLS = {
    "L": "Ł", "l": "ł", "o": "ø", "O": "Ø", "ss": "ß", "aa": "å", "AA": "Å", "ae": "æ", "AE": "Æ",
    "oe": "œ", "OE": "Œ", "i": "ı", "j": "ȷ", "&": "&", "%": "%", "$": "$", "_": "_", "#": "#",
    "{": "{", "}": "}", " ": " ", "textendash": "–", "textemdash": "—", "ldots": "…", "dots": "…",
}
_WRAPPERS = {"emph", "textit", "textbf", "texttt", "textsc", "textrm", "textsf", "textup", "mbox", "text", "url"}
_VERBATIM_FIELDS = {"url", "doi", "eprint"}  # not LaTeX text: kept as written
_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def _group(text: str, start: int) -> int:
    """The index just after the brace group that opens at ``text[start] == "{"``."""
    depth, i = 0, start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
        if depth == 0:
            return i
    raise ValueError(f"unbalanced braces in {text!r}")


def _argument(text: str, i: int, name: str) -> tuple[str, int]:
    """A command's argument at ``text[i:]``: a brace group, a command or one character."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        raise ValueError(f"LaTeX command \\{name} without its argument in {text!r}")
    if text[i] == "{":
        end = _group(text, i)
        return text[i + 1 : end - 1], end
    if text[i] == "\\":
        m = re.compile(r"\\([A-Za-z]+|.)").match(text, i)
        return m.group(0), m.end()
    return text[i], i + 1


def _command(text: str, i: int) -> tuple[str, int]:
    """Decode the LaTeX command at ``text[i] == "\\"``: its Unicode text and the index after it."""
    m = re.compile(r"\\([A-Za-z]+|.)").match(text, i)
    if m is None:
        raise ValueError(f"a lone backslash at the end of {text!r}")
    name, i = m.group(1), m.end()
    if name.isalpha():  # TeX skips the spaces after a control word
        while i < len(text) and text[i] == " " and name not in _ACCENTS:
            i += 1
    if name in _ACCENTS:
        argument, i = _argument(text, i, name)
        base = latex_to_unicode(argument)
        if not base:
            raise ValueError(f"accent \\{name} on nothing in {text!r}")
        base = {"ı": "i", "ȷ": "j"}.get(base[0], base[0]) + base[1:]  # \'\i is í
        return unicodedata.normalize("NFC", base[0] + _ACCENTS[name] + base[1:]), i
    if name in _SYMBOLS:
        return _SYMBOLS[name], i
    if name in _WRAPPERS:
        argument, i = _argument(text, i, name)
        return (argument if name == "url" else latex_to_unicode(argument)), i
    raise ValueError(
        f"unsupported LaTeX command \\{name} in {text!r}: write the character itself (the file is UTF-8) "
        f"or use an accent (\\' \\` \\^ \\\" \\~ \\c ...), a letter such as \\L or \\ss, or \\emph, \\texttt, \\url"
    )


def latex_to_unicode(text: str) -> str:
    """BibTeX field text as plain Unicode: accents and letters decoded, braces dropped.

    ``{\\'e}`` and ``\\'{e}`` give "é", ``{\\"u}`` "ü", ``{\\L}`` "Ł", ``{G}r{\\"u}nwald``
    "Grünwald"; ``--`` and ``---`` give en and em dashes, ``~`` a no-break space; ``\\emph``,
    ``\\texttt`` and ``\\url`` keep their argument; ``$...$`` math is kept with its dollars.
    Whitespace runs become one space.

    Raises:
        ValueError: for a LaTeX command it does not know (named in the message) or unbalanced braces.
    """
    text = re.sub(r"\s+", " ", text).strip()
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            decoded, i = _command(text, i)
            out.append(decoded)
        elif c == "$":
            end = text.find("$", i + 1)
            end = len(text) - 1 if end < 0 else end
            out.append(text[i : end + 1])
            i = end + 1
        elif c in "{}":
            i += 1
        elif c == "~":
            out.append("\u00a0")
            i += 1
        elif text.startswith("---", i):
            out.append("—")
            i += 3
        elif text.startswith("--", i):
            out.append("–")
            i += 2
        else:
            out.append(c)
            i += 1
    return unicodedata.normalize("NFC", "".join(out))


@dataclass(frozen=True, kw_only=True)
class Name:
    """One person's name, split as BibTeX splits "First von Last" and "von Last, Jr, First"."""

    first: str = ""  # given names, e.g. "Claude E." or "Paul-Ambroise"
    von: str = ""  # lower-case particles, e.g. "van den"
    last: str  # family name, e.g. "Delétang"
    jr: str = ""  # e.g. "Jr."

    @property
    def surname(self) -> str:
        """The name a citation shows: "Delétang", "van den Oord"."""
        return f"{self.von} {self.last}".strip()

    def abbreviated(self) -> str:
        """The name as a reference list shows it: "Delétang, G.", "Duquenne, P.-A."."""
        initials = " ".join(
            "-".join(f"{_first_letter(part)}." for part in word.split("-") if _first_letter(part))
            for word in self.first.split()
        )
        return ", ".join(part for part in (self.surname, initials, self.jr) if part)


def _first_letter(text: str) -> str:
    return next((c for c in text if c.isalpha()), "")


def _split_top(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` (a regular expression) outside braces."""
    parts, depth, start, i = [], 0, 0, 0
    pattern = re.compile(separator, re.IGNORECASE)
    while i < len(text):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
        elif depth == 0 and (m := pattern.match(text, i)):
            parts.append(text[start:i])
            start = i = m.end()
            continue
        i += 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def _is_von(word: str) -> bool:
    """BibTeX's test for a "von" word: its first letter, outside braces, is lower case."""
    if word.startswith("{") and not word.startswith("{\\"):
        return False  # a braced word such as {Van} is part of the last name
    return _first_letter(latex_to_unicode(word)).islower()


def _parse_name(raw: str) -> Name:
    parts = _split_top(raw, r",")
    if len(parts) > 3:
        raise ValueError(f"too many commas in the name {raw!r}")
    if len(parts) == 1:  # First von Last
        words = _split_top(parts[0], r"\s+")
        von = [i for i, word in enumerate(words[:-1]) if _is_von(word)]
        if von:
            first, middle, last = words[: von[0]], words[von[0] : von[-1] + 1], words[von[-1] + 1 :]
        else:
            first, middle, last = words[:-1], [], words[-1:]
        jr = ""
    else:  # von Last, [Jr,] First
        words = _split_top(parts[0], r"\s+")
        n_von = 0
        while n_von < len(words) - 1 and _is_von(words[n_von]):
            n_von += 1
        middle, last = words[:n_von], words[n_von:]
        jr = parts[1] if len(parts) == 3 else ""
        first = _split_top(parts[-1], r"\s+")
    def text(words: list[str]) -> str:
        return latex_to_unicode(" ".join(words))

    return Name(first=text(first), von=text(middle), last=text(last), jr=latex_to_unicode(jr))


@dataclass(frozen=True, kw_only=True)
class BibEntry:
    """One BibTeX entry: its authors parsed, its fields decoded to Unicode."""

    key: str
    kind: str  # the entry type in lower case: "article", "book", "inproceedings", ...
    authors: tuple[Name, ...] = ()  # the author field, or else the editors
    et_al: bool = False  # the name list ends with "and others"
    fields: Mapping[str, str] = field(default_factory=dict)  # lower-case field name -> text

    @property
    def year(self) -> str:
        return self.fields.get("year", "n.d.")


class _BibReader:
    """A cursor over BibTeX text: entries, ``@string`` macros, ``@comment`` and ``@preamble``."""

    def __init__(self, text: str):
        self.text, self.pos = text, 0
        self.macros = {month: month.capitalize() for month in _MONTHS}

    def fail(self, message: str) -> ValueError:
        line = self.text.count("\n", 0, self.pos) + 1
        return ValueError(f"BibTeX, line {line}: {message}")

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def next_entry(self) -> bool:
        """Move to the next ``@`` outside entries (``%`` lines are comments); False at the end."""
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "@":
                return True
            if c == "%":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            self.pos += 1
        return False

    def expect(self, chars: str) -> str:
        self.skip_space()
        if self.pos >= len(self.text) or self.text[self.pos] not in chars:
            found = self.text[self.pos : self.pos + 20] or "the end of the file"
            raise self.fail(f"expected one of {chars!r}, found {found!r}")
        self.pos += 1
        return self.text[self.pos - 1]

    def word(self, what: str) -> str:
        self.skip_space()
        m = re.compile(r"[^\s,={}()\"#%]+").match(self.text, self.pos)
        if m is None:
            raise self.fail(f"expected {what}")
        self.pos = m.end()
        return m.group(0)

    def value(self) -> str:
        """A field value: ``{...}``, ``"..."``, a number or a macro, joined by ``#``."""
        pieces = []
        while True:
            self.skip_space()
            c = self.text[self.pos : self.pos + 1]
            if c == "{":
                end = _group(self.text, self.pos)
                pieces.append(self.text[self.pos + 1 : end - 1])
                self.pos = end
            elif c == '"':
                depth, i = 0, self.pos + 1
                while i < len(self.text) and not (self.text[i] == '"' and depth == 0):
                    depth += {"{": 1, "}": -1}.get(self.text[i], 0)
                    i += 1
                if i >= len(self.text):
                    raise self.fail('a value in "..." is never closed')
                pieces.append(self.text[self.pos + 1 : i])
                self.pos = i + 1
            else:
                name = self.word("a value")
                if not name.isdigit() and name.lower() not in self.macros:
                    raise self.fail(f"unknown macro {name!r} (define it with @string, or brace the value)")
                pieces.append(name if name.isdigit() else self.macros[name.lower()])
            self.skip_space()
            if self.text[self.pos : self.pos + 1] != "#":
                return "".join(pieces)
            self.pos += 1

    def fields(self, close: str) -> dict[str, str]:
        found: dict[str, str] = {}
        while True:
            self.skip_space()
            if self.text[self.pos : self.pos + 1] == close:
                self.pos += 1
                return found
            name = self.word("a field name").lower()
            if name in found:
                raise self.fail(f"field {name!r} given twice")
            self.expect("=")
            found[name] = self.value()
            if self.expect("," + close) == close:
                return found


def parse_bibtex(text: str) -> dict[str, BibEntry]:
    """The entries of a BibTeX file's text, by key (case as written).

    Supports braced and quoted values, numbers, ``@string`` macros (month names predefined),
    ``#`` concatenation, ``@comment`` and ``@preamble`` (skipped) and ``%`` comment lines between
    entries. Field text is decoded with :func:`latex_to_unicode`, except ``url``, ``doi`` and
    ``eprint``; ``author`` (or, without it, ``editor``) is split into :class:`Name` records.

    Raises:
        ValueError: for malformed BibTeX (with its line number), a key used twice, or LaTeX that
            :func:`latex_to_unicode` refuses.
    """
    reader = _BibReader(text)
    entries: dict[str, BibEntry] = {}
    while reader.next_entry():
        reader.pos += 1
        kind = reader.word("an entry type after '@'").lower()
        close = "}" if reader.expect("{(") == "{" else ")"
        if kind in ("comment", "preamble"):
            reader.pos = _group(text, reader.pos - 1) if close == "}" else text.index(")", reader.pos) + 1
            continue
        if kind == "string":
            reader.macros.update((k, v) for k, v in reader.fields(close).items())
            continue
        key = reader.word("the entry's key")
        if key in entries:
            raise reader.fail(f"the key {key!r} is used twice")
        raw = reader.fields(close) if reader.expect("," + close) == "," else {}
        try:
            names = raw.get("author", raw.get("editor", ""))
            people = [name for name in _split_top(names, r"\s+and\s+") if name] if names else []
            et_al = bool(people) and people[-1].lower() == "others"
            decoded = {k: (v.strip() if k in _VERBATIM_FIELDS else latex_to_unicode(v)) for k, v in raw.items()}
        except ValueError as error:
            raise ValueError(f"BibTeX entry {key!r}: {error}") from error
        entries[key] = BibEntry(
            key=key, kind=kind, fields=decoded, et_al=et_al,
            authors=tuple(_parse_name(p) for p in (people[:-1] if et_al else people)),
        )
    return entries


def read_bibliography(path: str | Path) -> dict[str, BibEntry]:
    """The entries of the BibTeX file at ``path`` (UTF-8), by key; see :func:`parse_bibtex`."""
    return parse_bibtex(Path(path).read_text(encoding="utf-8"))
