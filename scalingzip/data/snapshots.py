"""Three more texts of other kinds, shipped as checked snapshots: English prose and two Chinese texts.

The course's own corpora are documentation in English. A compressor is only as good as it is on
text it was not tuned on, so the benchmarks (``python -m scalingzip bench compressors``) also read
three texts of other kinds, each the first 250 kB (cut at a paragraph break) of a public source:

* ``"pride-and-prejudice"``: Jane Austen, *Pride and Prejudice* (1813), from chapter 1, Project
  Gutenberg eBook #1342 (file ``1342-0.txt`` of github.com/gutenbergbooks/1342 at ``041e520``), line
  ends made LF. English prose, public domain.
* ``"zh-python-docs"``: the Simplified Chinese translation of the Python 3.11 tutorial and
  HOWTOs (the translated strings, ``msgstr``, of ``tutorial/*.po`` then ``howto/*.po`` in sorted order,
  blank line between them; github.com/python/python-docs-zh-cn, branch 3.11 at ``40e2bdd``). Modern
  Chinese in UTF-8 with reStructuredText markup, under the PSF documentation licence
  (``corpora/LICENSE-Python.txt``).
* ``"guwen-guanzhi"``: 古文觀止 (1695), an anthology of classical Chinese prose, in traditional
  characters, as the chinese-poetry collection gives it (``蒙学/guwenguanzhi.json`` of
  github.com/chinese-poetry/chinese-poetry at ``99ebbef``, MIT, ``corpora/LICENSE-chinese-poetry.txt``; the texts are centuries old): each
  volume's title, then each piece's title, source and author, then its paragraphs, blank lines between.

:func:`make_snapshot` rebuilds each text from its source file, which is how the snapshots were made;
:func:`load_snapshot` reads one and checks its SHA-256.
"""

from __future__ import annotations

import ast
import hashlib
import json
import lzma
from pathlib import Path

__all__ = ["SNAPSHOTS", "SNAPSHOT_BYTES", "load_snapshot", "make_snapshot"]

SNAPSHOT_BYTES = 250_000  # each text is cut at the last blank line before this many bytes

# name -> (SHA-256 of the text, what it is)
SNAPSHOTS: dict[str, tuple[str, str]] = {
    "pride-and-prejudice": ("2269575c220bce77119ab9c08c8304bfaec7c73d82bb186893c329811b2545a2",
                            "Pride and Prejudice, first 250 kB (English prose)"),
    "zh-python-docs": ("abb625e1422e029845eb29f53bbc7b5e243a69f7cea9d0e01690511a670ecacf",
                       "Python tutorial and HOWTOs in Chinese, first 250 kB (modern Chinese, UTF-8)"),
    "guwen-guanzhi": ("7a46d0df8f7e8a91f29ff55405d882acb80529d1b42a786e495220b964d4b450",
                      "Guwen Guanzhi, first 250 kB (classical Chinese, UTF-8)"),
}
_FOLDER = Path(__file__).parent / "corpora"


def load_snapshot(name: str) -> bytes:
    """The bytes of the shipped snapshot ``name`` (a key of :data:`SNAPSHOTS`), checked.

    Raises:
        ValueError: for an unknown name, or a snapshot that is missing or not the expected bytes.
    """
    if name not in SNAPSHOTS:
        raise ValueError(f"unknown snapshot {name!r}; choose among {', '.join(SNAPSHOTS)}")
    path = _FOLDER / f"{name}.txt.xz"
    try:
        data = lzma.decompress(path.read_bytes())
    except (OSError, lzma.LZMAError) as err:
        raise ValueError(f"the snapshot {path} is missing or damaged ({err}); reinstall scalingzip") from None
    if hashlib.sha256(data).hexdigest() != SNAPSHOTS[name][0]:
        raise ValueError(f"the snapshot {path} does not have the expected SHA-256; reinstall scalingzip")
    return data


def _cut(data: bytes, limit: int = SNAPSHOT_BYTES) -> bytes:
    end = data.rfind(b"\n\n", 0, limit)
    if end < 0:
        raise ValueError(f"no paragraph break in the first {limit} bytes")
    return data[:end + 1]


def _po_strings(text: str) -> list[str]:
    """The non-empty translations (``msgstr``) of a gettext catalogue, header entry excluded."""
    entries, msgid, msgstr, field = [], [], [], None
    for line in text.splitlines() + [""]:
        if line.startswith("msgid "):
            msgid, msgstr = [ast.literal_eval(line[6:])], []
            field = msgid
        elif line.startswith("msgstr "):
            field = msgstr
            msgstr.append(ast.literal_eval(line[7:]))
        elif line.startswith('"') and field is not None:
            field.append(ast.literal_eval(line))
        else:
            if msgstr and "".join(msgid) and "".join(msgstr):
                entries.append("".join(msgstr))
            field, msgid, msgstr = None, [], []
    return entries


def make_snapshot(name: str, sources: list[Path]) -> bytes:
    """Rebuild the text of snapshot ``name`` from its source files (see the module's docstring):
    the Gutenberg file, the ``.po`` files in their order, or the JSON file."""
    if name == "pride-and-prejudice":
        data = sources[0].read_bytes().replace(b"\r\n", b"\n")
        return _cut(data[data.index(b"It is a truth universally acknowledged"):])
    if name == "zh-python-docs":
        strings = [s for path in sources for s in _po_strings(path.read_text("utf-8"))]
        return _cut("\n\n".join(strings).encode("utf-8"))
    if name == "guwen-guanzhi":
        book = json.loads(sources[0].read_text("utf-8"))
        parts = []
        for volume in book["content"]:
            parts.append(volume["title"])
            for piece in volume["content"]:
                parts.append(piece["chapter"] + "\n" + piece.get("source", "") + " " + piece.get("author", "").strip())
                parts += piece["paragraphs"]
        return _cut("\n\n".join(parts).encode("utf-8"))
    raise ValueError(f"unknown snapshot {name!r}; choose among {', '.join(SNAPSHOTS)}")
