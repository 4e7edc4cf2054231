"""The compression challenge's leaderboard: one static HTML page that ranks the class by total description length.

Each entry of the challenge (:class:`~scalingzip.classroom.challenge.Score`) is scored by the bytes
it needs to hand a hidden text over: its decoder's artifact (source and every file it reads) plus
the compressed text. :func:`board_html` ranks the entries on that total, fewest bytes first (ties:
the smaller artifact first, then the name), and draws the page:

- students are ranked 1, 2, ... among themselves; **reference entries** (gzip, xz, the course's own
  compressors...) sit in the same order, in italics with a "reference" tag and no rank, so a
  student sees which baselines they beat;
- entries that **failed** (wrong bytes decoded, over a limit, a crash) follow, unranked, each with
  its reason;
- every column the score is made of: total bytes, bits per byte of the hidden text (8 x total /
  its length), artifact bytes, compressed bytes, and the CPU seconds of each direction.

The page is one self-contained file: inline CSS, no script, no font, image or URL from anywhere
(a ``Content-Security-Policy`` that forbids them all says so to the browser too), so it reads the
same opened from a disk, mailed, or put on any web server. It follows the reader's light or dark
mode (:data:`PALETTE`, every pair of text and background colours at a contrast ratio of 4.5 or
more, WCAG's level AA) and, on a phone, scrolls the table sideways inside its box, never the page.
A name or an error message comes from a student's submission: each is escaped, so it shows as text.

With ``anonymise``, a student's name is replaced by an id, ``entry-`` and 8 hex digits of a keyed
hash of it (:func:`anonymous_id`): the same for a name on every board made with the same key, and
not to be undone by hashing the class list. :func:`write_board` keeps the key in the gradebook
(``.leaderboard-key``, made on first use), so an instructor can tell each student their id.

The entries come from a class's gradebook (:mod:`~scalingzip.classroom.gradebook`): the
``challenge`` record of each ``results/STUDENT.json`` (:func:`load_entries`), and from a file of
reference entries, JSON of the form::

    {"text": {"name": "held-out docs", "sha256": "..."},      # free metadata about the hidden text
     "entries": [{"name": "xz -9", "text_bytes": ..., "artifact_bytes": 0, "compressed_bytes": ...,
                  "compress_s": ..., "decompress_s": ..., "error": null, "reference": true}, ...]}

each entry a :meth:`Score.to_json <scalingzip.classroom.challenge.Score.to_json>` (every entry read
from it is a reference, whatever its ``reference`` says).

On the command line (:func:`add_command`, :func:`run`)::

    python -m scalingzip leaderboard grades/lab_compression_challenge [--references refs.json] [--anonymise]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import html
import json
import os
import secrets
import tempfile
from collections.abc import Sequence
from numbers import Real
from pathlib import Path

from scalingzip.classroom.challenge import Score
from scalingzip.classroom.grading import GradeResult

__all__ = ["PALETTE", "WORDS", "add_command", "anonymous_id", "board_html", "board_iframe", "load_entries", "run",
           "write_board"]

CHALLENGE_LAB = "lab_compression_challenge"
BOARD_NAME = "leaderboard.html"  # the page's default name, in the gradebook's folder
KEY_NAME = ".leaderboard-key"  # the anonymised ids' key, in the gradebook's folder (keep it private)
_GRADE_HINT = f"grade the challenge lab first: python -m scalingzip grade {CHALLENGE_LAB} SUBMISSIONS"

# The page's colours, light and dark (the reader's system setting picks one). Text is drawn only
# in the pairs of TEXT_ON_BACKGROUND, each at a WCAG contrast ratio of 4.5 or more (tested).
PALETTE: dict[str, dict[str, str]] = {
    "light": {"bg": "#ffffff", "fg": "#1f2328", "muted": "#57606a", "border": "#c9d1d9", "head-bg": "#eef1f4",
              "ref-bg": "#fff5cc", "ref-fg": "#5a4100", "tag-bg": "#7a5a00", "tag-fg": "#ffffff", "error": "#a40e26"},
    "dark": {"bg": "#0d1117", "fg": "#e6edf3", "muted": "#9ea7b3", "border": "#3d444d", "head-bg": "#1c2430",
             "ref-bg": "#2b2410", "ref-fg": "#f5d77a", "tag-bg": "#f5d77a", "tag-fg": "#1f1600", "error": "#ff9aa2"},
}
TEXT_ON_BACKGROUND = (  # (text, background): every pair the stylesheet below draws
    ("fg", "bg"), ("muted", "bg"), ("fg", "head-bg"), ("muted", "head-bg"), ("ref-fg", "ref-bg"),
    ("muted", "ref-bg"), ("tag-fg", "tag-bg"), ("error", "bg"),
)
_NONE = '<span class="none">&#8212;</span>'  # an em dash, for a number there is none of
# The board's own words, by language (the book's editions): headings, tags and sentences. Every value is
# plain text, escaped where it is drawn; ``{n}`` and the like are filled in with numbers.
WORDS = {
    "en": dict(
        lang="en", rank="Rank", entry="Entry",
        columns=("Total bytes", "Bits per byte", "Artifact bytes", "Compressed bytes", "Compress s", "Decompress s"),
        reference="reference", failed_section="Failed: not ranked", no_entry="No entry yet.",
        no_output="no compressed output", ranking="the ranking",
        summary="Ranked by total bytes: the decoder's artifact (its source and every file it reads) plus the "
                "compressed hidden text; fewer is better.",
        bits_per_byte=" Bits per byte = 8 \u00d7 total / {bytes}, the hidden text's length in bytes.",
        counts="{students} ranked, {failed} failed, {references} (tagged, not ranked).",
        students=("student", "students"), references=("reference entry", "reference entries")),
    "zh": dict(
        lang="zh-Hans", rank="名次", entry="参赛作品",
        columns=("总字节数", "每字节比特数", "制品字节数", "压缩后字节数", "压缩秒数", "解压秒数"),
        reference="参考", failed_section="失败：不参与排名", no_entry="还没有参赛作品。",
        no_output="没有压缩输出", ranking="排名",
        summary="按总字节数排名：解码器的制品（它的源代码和它读取的每个文件）加上压缩后的隐藏文本；越少越好。",
        bits_per_byte="每字节比特数 = 8 \u00d7 总字节数 / {bytes}（隐藏文本的字节数）。",
        counts="{students}名学生参与排名，{failed}名失败，{references}个参考作品（有标记，不参与排名）。",
        students=("", ""), references=("", "")),
}

_STYLE = """
:root { color-scheme: light dark; %(light)s }
@media (prefers-color-scheme: dark) { :root { %(dark)s } }
*, *::before, *::after { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body { margin: 0 auto; max-width: 75rem; padding: 1rem; background: var(--bg); color: var(--fg);
       font: 1rem/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; line-height: 1.2; margin: 0 0 .5rem; }
p { margin: .25rem 0 .75rem; }
.caption, .summary { color: var(--muted); }
.board { overflow-x: auto; max-width: 100%%; border: 1px solid var(--border); border-radius: 6px; }
.board:focus-visible { outline: 2px solid var(--fg); outline-offset: 2px; }
table { border-collapse: collapse; width: 100%%; font-variant-numeric: tabular-nums; }
th, td { padding: .45rem .5rem; border-bottom: 1px solid var(--border); text-align: left; vertical-align: top; }
tbody tr:last-child th, tbody tr:last-child td { border-bottom: 0; }
thead th { background: var(--head-bg); color: var(--fg); font-weight: 600; vertical-align: bottom;
           overflow-wrap: normal; }
thead th.num { text-align: right; }
td.num { text-align: right; white-space: nowrap; }
td.rank { white-space: nowrap; }
tbody th { font-weight: 600; min-width: 7rem; max-width: 18rem; }
tr.reference th, tr.reference td { background: var(--ref-bg); color: var(--ref-fg); font-style: italic; }
.tag { display: inline-block; padding: 0 .4rem; border-radius: 3px; background: var(--tag-bg); color: var(--tag-fg);
       font-size: .8rem; font-style: normal; font-weight: 600; }
.none { color: var(--muted); }
tbody.failed th { font-weight: 400; }
tbody.failed tr.section th { background: var(--head-bg); color: var(--fg); font-weight: 600; }
td.error { color: var(--error); white-space: pre-wrap; min-width: 16rem; }
"""


def _css_variables(colours: dict[str, str]) -> str:
    return " ".join(f"--{name}: {value};" for name, value in colours.items())


def anonymous_id(name: str, key: str = "") -> str:
    """The id that stands for ``name`` on an anonymised board: ``entry-`` and 8 hex digits.

    With a ``key`` (a secret string), the digits are those of HMAC-SHA256(key, name): nobody without
    the key can tell whose id it is, even by hashing every name of the class list. Without one they
    are SHA-256(name)'s, which anyone with a list of names can match.
    """
    return "entry-" + _digest(name, key)[:8]


def _digest(name: str, key: str) -> str:
    if key:
        return hmac.new(key.encode("utf-8"), name.encode("utf-8"), hashlib.sha256).hexdigest()
    return hashlib.sha256(name.encode("utf-8")).hexdigest()


def _anonymous_ids(names: set[str], key: str) -> dict[str, str]:
    """An id for each name, :func:`anonymous_id`'s 8 hex digits, more if two names share them."""
    for digits in range(8, 65, 4):
        ids = {name: "entry-" + _digest(name, key)[:digits] for name in names}
        if len(set(ids.values())) == len(ids):
            return ids
    raise AssertionError("SHA-256 collision")  # unreachable for distinct names


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _checked(score: Score, where: str) -> Score:
    """``score`` itself, after checking that each field has its type and a possible value.

    Raises:
        ValueError: naming ``where`` and the field.
    """
    if not isinstance(score, Score):
        raise ValueError(f"{where}: a board's entries are Score records, not {type(score).__name__}")
    problems = []
    if not isinstance(score.name, str) or not score.name.strip():
        problems.append(f"name {score.name!r} is not a non-empty string")
    if not _is_int(score.text_bytes) or score.text_bytes < 0:
        problems.append(f"text_bytes {score.text_bytes!r} is not a count of bytes")
    if not _is_int(score.artifact_bytes) or score.artifact_bytes < 0:
        problems.append(f"artifact_bytes {score.artifact_bytes!r} is not a count of bytes")
    if score.compressed_bytes is not None and (not _is_int(score.compressed_bytes) or score.compressed_bytes < 0):
        problems.append(f"compressed_bytes {score.compressed_bytes!r} is not a count of bytes")
    for field in ("compress_s", "decompress_s"):
        value = getattr(score, field)
        number = isinstance(value, Real) and not isinstance(value, bool)
        if value is not None and not (number and 0 <= value < float("inf")):
            problems.append(f"{field} {value!r} is not a number of seconds")
    if score.error is not None and not isinstance(score.error, str):
        problems.append(f"error {score.error!r} is not a string")
    if not isinstance(score.reference, bool):
        problems.append(f"reference {score.reference!r} is not true or false")
    if not problems and score.correct and score.text_bytes == 0:
        problems.append("text_bytes is 0: a scored entry compressed a text of some length")
    if problems:
        raise ValueError(f"{where}: " + "; ".join(problems))
    return score


def _count(n: int) -> str:
    return f"{n:,}"


def _seconds(s: float | None) -> str:
    return _NONE if s is None else f"{s:,.2f}"


def board_html(entries: Sequence[Score], *, title: str = "Compression challenge", anonymise: bool = False,
               caption: str = "", key: str = "", language: str = "en") -> str:
    """The leaderboard of ``entries``: a complete HTML5 page, self-contained (inline CSS, no script, no URL).

    Entries that scored are ranked by total bytes (artifact plus compressed), fewest first; ties go
    to the smaller artifact, then to the name shown. Students are numbered 1..n among themselves;
    reference entries sit in the same order, tagged and unnumbered. Entries that failed follow,
    unranked, with their error. Every string from an entry (name, error), ``title`` and ``caption``
    are escaped. With ``anonymise``, a student's name is shown as :func:`anonymous_id` of it under
    ``key`` (references keep their labels). The board's own words are in ``language``, a key of
    :data:`WORDS` (``"en"`` or ``"zh"``, the book's editions).

    Raises:
        ValueError: if an entry is not a well-formed :class:`~scalingzip.classroom.challenge.Score`
            (the message names it and the field), or if the entries that scored were scored on
            texts of different lengths (a board compares entries on one hidden text), or if
            ``language`` is not a key of :data:`WORDS`.
    """
    if language not in WORDS:
        raise ValueError(f"language must be one of {sorted(WORDS)}, got {language!r}")
    words = WORDS[language]
    entries = [_checked(e, f"entry {i} ({getattr(e, 'name', '?')!r})") for i, e in enumerate(entries)]
    lengths: dict[int, list[str]] = {}
    for e in entries:
        if e.correct:
            lengths.setdefault(e.text_bytes, []).append(e.name)
    if len(lengths) > 1:
        seen = "; ".join(f"{n:,} bytes: {', '.join(sorted(names)[:3])}" for n, names in sorted(lengths.items()))
        raise ValueError(f"the entries were scored on texts of different lengths ({seen}); a board compares "
                         "entries on one hidden text: score the references on the same text as the class")
    ids = _anonymous_ids({e.name for e in entries if not e.reference}, key) if anonymise else {}
    shown = {id(e): (e.name if e.reference else ids.get(e.name, e.name)) for e in entries}

    def esc(text: str) -> str:
        return html.escape(text, quote=True)

    ranked = sorted((e for e in entries if e.correct), key=lambda e: (e.total_bytes, e.artifact_bytes, shown[id(e)]))
    failed = sorted((e for e in entries if not e.correct), key=lambda e: (e.reference, shown[id(e)]))
    rows, rank = [], 0
    tag = f'<span class="tag">{esc(words["reference"])}</span>'
    for e in ranked:
        if e.reference:
            cls, rank_cell = "reference", tag
        else:
            rank += 1
            cls, rank_cell = "student", str(rank)
        numbers = (_count(e.total_bytes), f"{e.bits_per_byte:,.3f}", _count(e.artifact_bytes),
                   _count(e.compressed_bytes), _seconds(e.compress_s), _seconds(e.decompress_s))
        rows.append(f'<tr class="{cls}"><td class="rank">{rank_cell}</td><th scope="row">{esc(shown[id(e)])}</th>'
                    + "".join(f'<td class="num">{n}</td>' for n in numbers) + "</tr>")
    failed_rows = []
    for e in failed:
        rank_cell = tag if e.reference else _NONE
        message = e.error if e.error is not None else words["no_output"]
        cls = "failed reference" if e.reference else "failed"
        failed_rows.append(f'<tr class="{cls}"><td class="rank">{rank_cell}</td>'
                           f'<th scope="row">{esc(shown[id(e)])}</th>'
                           f'<td class="error" colspan="6">{esc(message)}</td></tr>')

    students = sum(not e.reference for e in ranked)
    students_failed = sum(not e.reference for e in failed)
    references = sum(e.reference for e in entries)
    text_bytes = next(iter(lengths), None)

    def counted(n: int, nouns: tuple[str, str]) -> str:
        noun = nouns[n != 1]
        return f"{n} {noun}" if noun else str(n)

    summary = esc(words["summary"] + (words["bits_per_byte"].format(bytes=_count(text_bytes))
                                      if text_bytes is not None else ""))
    counts = esc(words["counts"].format(students=counted(students, words["students"]), failed=students_failed,
                                        references=counted(references, words["references"])))
    head = "".join([f'<th scope="col">{esc(label)}</th>' for label in (words["rank"], words["entry"])]
                   + [f'<th scope="col" class="num">{esc(label)}</th>' for label in words["columns"]])
    if entries:
        body = [f'<div class="board" role="region" aria-label="{esc(title)}: {esc(words["ranking"])}" tabindex="0">',
                f"<table>\n<thead><tr>{head}</tr></thead>",
                "<tbody>", *rows, "</tbody>"]
        if failed_rows:
            body += ['<tbody class="failed">',
                     f'<tr class="section"><th scope="rowgroup" colspan="8">{esc(words["failed_section"])}</th></tr>',
                     *failed_rows, "</tbody>"]
        body += ["</table>", "</div>"]
    else:
        body = [f'<p class="summary">{esc(words["no_entry"])}</p>']
    style = _STYLE % {"light": _css_variables(PALETTE["light"]), "dark": _css_variables(PALETTE["dark"])}
    return "\n".join([
        "<!DOCTYPE html>",
        f'<html lang="{words["lang"]}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        # Nothing but the inline stylesheet may load or run, whatever the page holds.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'; '
        "base-uri 'none'; form-action 'none'\">",
        '<meta name="color-scheme" content="light dark">',
        f"<title>{esc(title)}</title>",
        f"<style>{style}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{esc(title)}</h1>",
        *([f'<p class="caption">{esc(caption)}</p>'] if caption else []),
        *([f'<p class="summary">{summary}</p>', f'<p class="summary">{counts}</p>'] if entries else []),
        *body,
        "</main>",
        "</body>",
        "</html>",
        "",
    ])


# --- Reading a class's entries --------------------------------------------------------------------


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None


def _score(data, where: str, *, reference: bool, name: str = "") -> Score:
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a challenge score is a JSON object, not {type(data).__name__}")
    try:
        score = Score.from_json({**data, "reference": reference, "name": data.get("name") or name})
    except TypeError as err:  # a missing or unknown field
        raise ValueError(f"{where}: not a challenge score ({err})") from None
    return _checked(score, where)


def _read_references(path: str | os.PathLike) -> tuple[dict, list[Score]]:
    """The hidden text's metadata and the reference entries of a references file (see the module's docstring)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file of reference entries")
    data = _read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise ValueError(f'{path}: a references file is {{"text": {{...}}, "entries": [score, ...]}}, '
                         "with a list of entries")
    text = data.get("text") or {}
    if not isinstance(text, dict):
        raise ValueError(f"{path}: its \"text\" is an object of metadata, not {type(text).__name__}")
    return text, [_score(e, f"{path}, entry {i}", reference=True) for i, e in enumerate(data["entries"])]


def _results_dir(grades_dir: str | os.PathLike) -> Path:
    folder = Path(grades_dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such gradebook folder; {_GRADE_HINT}")
    results = folder / "results"
    if not results.is_dir():
        raise FileNotFoundError(f"{folder} has no results/ folder, so nothing was graded into it; {_GRADE_HINT}")
    return results


def board_iframe(entries: Sequence[Score], **options) -> str:
    """The board as an ``<iframe>`` whose ``srcdoc`` is :func:`board_html`'s page: for a notebook's output
    or a book page, where the page's own styles must not mix with the host's (``options`` as there)."""
    page = board_html(entries, **options)
    rows = len(entries) + 1
    height = 150 + 42 * rows + (40 if options.get("caption") else 0)
    return (f'<iframe title="{html.escape(options.get("title", "Compression challenge"), quote=True)}" '
            f'sandbox="" style="width: 100%; height: {height}px; border: 0;" '
            f'srcdoc="{html.escape(page, quote=True)}"></iframe>')


def load_entries(grades_dir: str | os.PathLike, *, references: str | os.PathLike | None = None) -> list[Score]:
    """The challenge's entries: each student's score in a gradebook folder, then the reference entries.

    A student's entry is the ``challenge`` record of ``grades_dir/results/STUDENT.json`` (a
    :class:`~scalingzip.classroom.grading.GradeResult`), named by the record, or by the student's id
    (the file's stem) where the record names no one; results without a record (another lab, or a
    notebook that could not be graded) are skipped. ``references`` is a file of reference entries
    (see the module's docstring). Students come in the order of their files' names.

    Raises:
        FileNotFoundError: if ``grades_dir`` or its ``results/`` does not exist (grade the lab
            first), or ``references`` is not a file.
        ValueError: if a file is not valid JSON or not a grade result or a score (the message names it).
    """
    entries = []
    for path in sorted(_results_dir(grades_dir).glob("*.json")):
        data = _read_json(path)
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a grade result is a JSON object, not {type(data).__name__}")
        try:
            result = GradeResult.from_json(data)
        except TypeError as err:
            raise ValueError(f"{path}: not a grade result ({err})") from None
        if result.challenge is not None:
            entries.append(_score(result.challenge, f"{path}, its challenge score", reference=False, name=path.stem))
    if references is not None:
        entries += _read_references(references)[1]
    return entries


# --- Writing the page -----------------------------------------------------------------------------


def _board_key(folder: Path) -> str:
    """The gradebook's key for anonymised ids, made (random, 128 bits) the first time it is needed."""
    path = folder / KEY_NAME
    if not path.exists():
        try:
            with open(path, "x", encoding="utf-8") as f:  # "x": two boards written at once make one key
                f.write(secrets.token_hex(16) + "\n")
        except FileExistsError:
            pass
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise ValueError(f"{path} is empty; delete it to make a new key (every anonymised id changes)")
    return key


def _caption(text: dict) -> str:
    items = [f"{k}: {v}" for k, v in text.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
    return "Hidden text: " + "; ".join(items) if items else ""


def write_board(grades_dir: str | os.PathLike, out: str | os.PathLike | None = None, *,
                references: str | os.PathLike | None = None, anonymise: bool = False, language: str = "en") -> Path:
    """Write the leaderboard of a gradebook folder (:func:`load_entries`, :func:`board_html`) to
    ``out`` (default ``grades_dir/leaderboard.html``), atomically, and return its path.

    Anonymised ids are keyed by the gradebook's ``.leaderboard-key`` (made on first use): the same
    student has the same id on every board of this gradebook. The page is written to a temporary
    file beside ``out`` and moved into place, so a reader never sees half of it. The board's own words
    are in ``language`` (:data:`WORDS`).

    Raises:
        FileNotFoundError: as :func:`load_entries`, or if ``out``'s folder does not exist.
        ValueError: as :func:`load_entries` and :func:`board_html`, if no result holds a challenge
            score, or if ``out`` is a folder.
    """
    return _write_board(grades_dir, out, references=references, anonymise=anonymise, language=language)[0]


def _write_board(grades_dir, out, *, references, anonymise, language="en") -> tuple[Path, list[Score]]:
    """:func:`write_board`'s work; returns the page's path and the entries it shows."""
    folder = Path(grades_dir)
    entries = load_entries(folder)
    if not entries:
        results = _results_dir(folder)
        raise ValueError(f"no result in {results} holds a challenge score ({len(list(results.glob('*.json')))} "
                         f"results read): is {folder} the gradebook of {CHALLENGE_LAB}? {_GRADE_HINT}")
    caption = ""
    if references is not None:
        text, reference_entries = _read_references(references)
        entries += reference_entries
        caption = _caption(text)
    out = folder / BOARD_NAME if out is None else Path(out)
    if out.is_dir():
        raise ValueError(f"{out} is a folder; give the page's file name")
    directory = out.parent
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no such folder to write the board in")
    if language not in WORDS:  # before a key is made or anything written
        raise ValueError(f"language must be one of {sorted(WORDS)}, got {language!r}")
    page = board_html(entries, anonymise=anonymise, caption=caption, key=_board_key(folder) if anonymise else "",
                      language=language)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(page)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would keep a web server from serving it
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out, entries


# --- The command line -----------------------------------------------------------------------------


def add_command(sub: argparse._SubParsersAction) -> None:
    """Add ``leaderboard GRADES_DIR [--out FILE] [--references FILE] [--anonymise] [--language L] [--quiet]`` to a
    top-level parser's subcommands (``dest="command"``, as :func:`scalingzip.cli.main` makes them)."""
    b = sub.add_parser("leaderboard", help="write the compression challenge's leaderboard: one static HTML page")
    b.add_argument("grades_dir", type=Path, metavar="GRADES_DIR",
                   help=f"the challenge's gradebook folder, e.g. grades/{CHALLENGE_LAB}")
    b.add_argument("--out", type=Path, help=f"the page to write (default GRADES_DIR/{BOARD_NAME})")
    b.add_argument("--references", type=Path, metavar="FILE",
                   help='reference entries to rank beside the class: JSON {"text": {...}, "entries": [score, ...]}')
    b.add_argument("--anonymise", action="store_true",
                   help=f"show each student as an id (keyed by GRADES_DIR/{KEY_NAME}, made on first use)")
    b.add_argument("--language", choices=sorted(WORDS), default="en",
                   help="the language of the board's own words: en (default) or zh, as the book's editions")
    b.add_argument("--quiet", action="store_true", help="no report")


def run(args: argparse.Namespace) -> str:
    """Write the board that ``leaderboard``'s arguments ask for; return a one-line report.

    Raises:
        scalingzip.cli.CommandError: with the reason, for anything the user can fix.
    """
    from scalingzip.cli import CommandError  # here, not at the top: the command line imports this module

    try:
        path, entries = _write_board(args.grades_dir, args.out, references=args.references, anonymise=args.anonymise,
                                     language=args.language)
    except (OSError, ValueError) as err:
        raise CommandError(str(err)) from None
    students = sum(not e.reference for e in entries)
    ranked = sum(e.correct and not e.reference for e in entries)
    references = len(entries) - students
    return (f"wrote {path}: {ranked} of {students} students ranked ({students - ranked} failed), {references} "
            f"reference entries" + (f"; ids keyed by {Path(args.grades_dir) / KEY_NAME}" if args.anonymise else ""))
