"""The compression challenge's leaderboard (scalingzip.classroom.leaderboard): the ranking, the
reference and failed entries, escaping of what students wrote, anonymised ids, reading a gradebook
folder and its errors, the page written atomically, its colours' contrast, and the page itself read
in Chromium, light and dark, on a phone's screen."""

import argparse
import hashlib
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from scalingzip.classroom import leaderboard
from scalingzip.classroom.challenge import Score
from scalingzip.classroom.grading import GradeResult
from scalingzip.classroom.leaderboard import anonymous_id, board_html, load_entries, write_board

import browser  # tests/browser.py: Chromium, the WCAG contrast ratio, the phone's screen

TEXT = 100_000  # bytes of the hidden text, in every entry below
SCRIPT_NAME = "<script>alert(1)</script>"
IMG_NAME = '"><img src=x onerror=alert(1)>'
IMG_ERROR = "decoded bytes differ at 17 <img src=x onerror=alert(2)>"


def score(name: str, artifact: int = 0, compressed: int | None = 1_000, error: str | None = None, **kw) -> Score:
    return Score(name=name, text_bytes=TEXT, artifact_bytes=artifact, compressed_bytes=compressed, compress_s=1.0,
                 decompress_s=2.0, error=error, **kw)


class _Table(HTMLParser):
    """The rows of the board's table body, each ``(tr class, [cell texts])``, entities decoded."""

    def __init__(self):
        super().__init__()
        self.rows: list[tuple[str, list[str]]] = []
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append((dict(attrs).get("class", ""), []))
        elif tag in ("td", "th") and self._in_body:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1][1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def rows(page: str) -> list[tuple[str, list[str]]]:
    table = _Table()
    table.feed(page)
    return [(cls, cells) for cls, cells in table.rows if cls != "section"]


# --- The page ---------------------------------------------------------------------------------


def test_ranked_by_total_bytes_then_artifact_then_name():
    entries = [
        score("dave", artifact=500, compressed=500),  # total 1,000, larger artifact
        score("carol", artifact=100, compressed=900),  # total 1,000, smaller artifact: before dave
        score("bob", artifact=100, compressed=900),  # the same as carol: by name, before her
        score("alice", artifact=5_000, compressed=20_000),  # total 25,000: last
        score("eve", artifact=0, compressed=999),  # total 999: first
    ]
    ranked = rows(board_html(entries))
    assert [(cells[0], cells[1]) for _, cells in ranked] == [
        ("1", "eve"), ("2", "bob"), ("3", "carol"), ("4", "dave"), ("5", "alice")]
    assert ranked[4][1][2:6] == ["25,000", "2.000", "5,000", "20,000"]  # total, bits/byte, artifact, compressed
    assert ranked[4][1][6:] == ["1.00", "2.00"]  # seconds


def test_numbers_have_thousands_separators_and_bits_per_byte_three_decimals():
    entries = [Score(name="big", text_bytes=3_000_000, artifact_bytes=1_234_567, compressed_bytes=1_000_000,
                     compress_s=1234.5, decompress_s=None),
               Score(name="small", text_bytes=3_000_000, artifact_bytes=1, compressed_bytes=0)]
    (_, small), (_, big) = rows(board_html(entries))
    assert big[2:6] == ["2,234,567", "5.959", "1,234,567", "1,000,000"]  # 8 * 2,234,567 / 3,000,000 = 5.9588...
    assert big[6:] == ["1,234.50", "\N{EM DASH}"]  # no time measured: a dash
    assert small[2:4] == ["1", "0.000"]  # 8 / 3,000,000 rounds to 0.000


def test_references_are_in_the_order_but_tagged_and_unranked():
    entries = [score("alice", compressed=3_000), score("xz -9", compressed=2_000, reference=True),
               score("bob", compressed=1_000), score("gzip -9", compressed=4_000, reference=True)]
    page = board_html(entries)
    assert [(cls, cells[0], cells[1]) for cls, cells in rows(page)] == [
        ("student", "1", "bob"), ("reference", "reference", "xz -9"),
        ("student", "2", "alice"), ("reference", "reference", "gzip -9")]
    assert re.search(r"tr\.reference th, tr\.reference td \{[^}]*font-style: italic", page)  # drawn apart
    assert "var(--ref-bg)" in page
    assert "2 students ranked, 0 failed, 2 reference entries" in page


def test_failed_entries_come_after_the_ranked_ones_with_their_reasons():
    entries = [score("zed", compressed=None, error="over the time limit: stopped after 600 s"),
               score("amy", artifact=1, compressed=None, error="decoded 12 bytes wrong"),
               score("bob", compressed=50_000),
               score("cat", compressed=None),  # no error given, but no output either
               score("zstd", compressed=None, error="not installed", reference=True)]
    table = rows(board_html(entries))
    assert [cells[1] for _, cells in table] == ["bob", "amy", "cat", "zed", "zstd"]
    assert table[0] == ("student", table[0][1]) and table[0][1][0] == "1"
    failed = {cells[1]: (cls, cells) for cls, cells in table[1:]}
    assert failed["amy"] == ("failed", ["\N{EM DASH}", "amy", "decoded 12 bytes wrong"])  # unranked, with its reason
    assert failed["zed"][1][2] == "over the time limit: stopped after 600 s"
    assert failed["cat"][1][2] == "no compressed output"
    assert failed["zstd"] == ("failed reference", ["reference", "zstd", "not installed"])


def test_names_and_errors_from_entries_are_escaped():
    entries = [score(SCRIPT_NAME), score(IMG_NAME, compressed=2_000),
               score("mallory", compressed=None, error=IMG_ERROR)]
    page = board_html(entries, title="<b>Board</b>", caption="<i>text</i> & more")
    for raw in ("<script", "<img", "<b>Board", "<i>text"):
        assert raw not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert "&lt;b&gt;Board&lt;/b&gt;" in page and "&lt;i&gt;text&lt;/i&gt; &amp; more" in page
    shown = [cells[1:3] for _, cells in rows(page)]  # read back as text, they are what the students wrote
    assert shown[0][0] == SCRIPT_NAME and shown[1][0] == IMG_NAME and shown[2] == ["mallory", IMG_ERROR]


def test_the_page_is_self_contained_html5():
    page = board_html([score("alice"), score("xz", reference=True)])
    assert page.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert '<meta charset="utf-8">' in page and '<meta name="viewport" content="width=device-width' in page
    assert "@media (prefers-color-scheme: dark)" in page and "overflow-x: auto" in page
    assert not re.search(r"https?:|//|url\(|@import|<script|<link|<img|src=", page, re.I)  # nothing to fetch or run
    assert "default-src 'none'" in page  # and the browser is told so


def test_every_text_colour_contrasts_with_its_background_in_both_modes():
    for mode, colours in leaderboard.PALETTE.items():
        for text, background in leaderboard.TEXT_ON_BACKGROUND:
            ratio = browser.contrast_ratio(float(browser.relative_luminance(_rgb(colours[text]))),
                                           float(browser.relative_luminance(_rgb(colours[background]))))
            assert ratio >= 4.5, f"{mode}: {text} on {background}: contrast {ratio:.2f}"
    assert leaderboard.PALETTE["light"]["bg"] != leaderboard.PALETTE["dark"]["bg"]
    page = board_html([score("alice")])
    light, dark = page.split("@media (prefers-color-scheme: dark)")[:2]
    assert f"--bg: {leaderboard.PALETTE['light']['bg']};" in light
    assert f"--bg: {leaderboard.PALETTE['dark']['bg']};" in dark


def _rgb(hex_colour: str) -> list[int]:
    return [int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)]


def test_anonymised_ids_are_stable_and_do_not_show_the_name():
    entries = [score("alice_smith", compressed=2_000), score("bob_jones", compressed=None, error="crashed"),
               score("xz -9", reference=True)]
    page = board_html(entries, anonymise=True)
    assert "alice_smith" not in page and "bob_jones" not in page
    assert "xz -9" in page  # references keep their labels
    names = [cells[1] for _, cells in rows(page)]
    alice = "entry-" + hashlib.sha256(b"alice_smith").hexdigest()[:8]
    assert names == ["xz -9", alice, anonymous_id("bob_jones")]
    assert board_html(list(reversed(entries)), anonymise=True) == page  # the same ids, whatever the order
    keyed = [cells[1] for _, cells in rows(board_html(entries, anonymise=True, key="s3cret"))]
    assert keyed[1] == anonymous_id("alice_smith", "s3cret") != alice  # a key changes them (the class list can't)
    assert re.fullmatch(r"entry-[0-9a-f]{8}", keyed[1]) and "alice" not in keyed[1]


def test_entries_from_texts_of_different_lengths_or_malformed_are_refused():
    other = Score(name="xz", text_bytes=TEXT + 1, artifact_bytes=0, compressed_bytes=10, reference=True)
    with pytest.raises(ValueError, match="texts of different lengths.*100,000 bytes: alice; 100,001 bytes: xz"):
        board_html([score("alice"), other])
    with pytest.raises(ValueError, match=r"entry 0 \('alice'\): text_bytes '12' is not a count of bytes"):
        board_html([Score(name="alice", text_bytes="12", artifact_bytes=0, compressed_bytes=1)])
    with pytest.raises(ValueError, match="name '' is not a non-empty string"):
        board_html([score("")])


def test_an_empty_board_says_so():
    page = board_html([])
    assert "No entry yet." in page and "<table" not in page


def test_the_chinese_board_has_the_same_rows_in_its_own_words():
    """The Chinese edition's board (``language="zh"``): the same ranking and numbers, its headings,
    tags, sentences and ``lang`` Chinese, not a word of the English board's own left."""
    entries = [score("alice", compressed=3_000), score("xz -9", compressed=2_000, reference=True),
               score("bob", compressed=1_000), score("zed", compressed=None, error="over the time limit")]
    english, chinese = board_html(entries), board_html(entries, title="压缩挑战", language="zh")
    assert [(cls, cells[1:]) for cls, cells in rows(chinese)] == [(cls, cells[1:]) for cls, cells in rows(english)]
    assert [cells[0] for _, cells in rows(chinese)] == ["1", "参考", "2", "\N{EM DASH}"]
    assert '<html lang="zh-Hans">' in chinese and "<h1>压缩挑战</h1>" in chinese
    assert "名次" in chinese and "每字节比特数" in chinese and "失败：不参与排名" in chinese
    assert "2名学生参与排名，1名失败，1个参考作品" in chinese
    own_words = [w for key, w in leaderboard.WORDS["en"].items() if key not in ("lang", "students", "references")]
    english_words = [w for w in own_words if isinstance(w, str)] + list(leaderboard.WORDS["en"]["columns"])
    shown = re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", chinese, flags=re.S))  # the page's text
    assert not [w for w in english_words if w.split(":")[0].split(" {")[0] in shown]
    assert "还没有参赛作品。" in board_html([], language="zh")
    with pytest.raises(ValueError, match="language must be one of"):
        board_html(entries, language="fr")


# --- The gradebook's folder -------------------------------------------------------------------


def grade_result(student: str, challenge: Score | None, error: str | None = None) -> dict:
    return GradeResult(submission=f"submissions/{student}.ipynb", student=student, scores={"q1": 1.0},
                       possible={"q1": 1.0}, public_passed={"q1": True}, feedback="", error=error,
                       challenge=None if challenge is None else challenge.to_json()).to_json()


def gradebook(folder: Path, results: dict[str, dict]) -> Path:
    (folder / "results").mkdir(parents=True)
    for student, data in results.items():
        (folder / "results" / f"{student}.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


def references_file(path: Path, entries: list[Score], text: dict | None = None) -> Path:
    path.write_text(json.dumps({"text": text or {"name": "held-out docs"}, "entries": [e.to_json() for e in entries]}),
                    encoding="utf-8")
    return path


def test_load_entries_reads_each_students_challenge_record_and_the_references(tmp_path):
    folder = gradebook(tmp_path / "grades", {
        "s2": grade_result("s2", score("s2", compressed=3_000)),
        "s1": grade_result("s1", score("", compressed=5_000)),  # no name in the record: the student's id
        "s3": grade_result("s3", None),  # graded, but no challenge record
        "s4": grade_result("s4", None, error="the kernel died while running the notebook"),
        "s5": grade_result("s5", score("s5", compressed=None, error="decoded bytes differ")),
        "s6": grade_result("s6", score("s6", reference=True)),  # a student's record is never a reference
    })
    refs = references_file(tmp_path / "refs.json", [score("xz -9", reference=False)])
    entries = load_entries(folder, references=refs)
    assert [(e.name, e.reference) for e in entries] == [
        ("s1", False), ("s2", False), ("s5", False), ("s6", False), ("xz -9", True)]
    assert entries[0].total_bytes == 5_000 and entries[2].error == "decoded bytes differ"
    assert load_entries(folder) == entries[:-1]


def test_load_entries_says_to_grade_the_lab_first(tmp_path):
    hint = "python -m scalingzip grade lab_compression_challenge SUBMISSIONS"
    with pytest.raises(FileNotFoundError, match=f"{re.escape(str(tmp_path / 'nowhere'))}.*{hint}"):
        load_entries(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match=f"{re.escape(str(tmp_path / 'empty'))} has no results/.*{hint}"):
        load_entries(tmp_path / "empty")
    folder = gradebook(tmp_path / "grades", {"s1": grade_result("s1", score("s1"))})
    with pytest.raises(FileNotFoundError, match="refs.json: no such file of reference entries"):
        load_entries(folder, references=tmp_path / "refs.json")


def test_load_entries_names_the_malformed_file(tmp_path):
    folder = gradebook(tmp_path / "grades", {"s1": grade_result("s1", score("s1"))})
    bad = folder / "results" / "s2.json"
    bad.write_text('{"submission": "s2.ipynb", ', encoding="utf-8")
    with pytest.raises(ValueError, match=f"{re.escape(str(bad))}: not valid JSON"):
        load_entries(folder)
    bad.write_text(json.dumps({"submission": "s2.ipynb"}), encoding="utf-8")
    with pytest.raises(ValueError, match=f"{re.escape(str(bad))}: not a grade result"):
        load_entries(folder)
    broken = grade_result("s2", None)
    broken["challenge"] = {"name": "s2", "text_bytes": TEXT}  # no artifact_bytes
    bad.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(ValueError, match=f"{re.escape(str(bad))}, its challenge score: not a challenge score"):
        load_entries(folder)
    bad.unlink()
    refs = tmp_path / "refs.json"
    refs.write_text(json.dumps([score("xz").to_json()]), encoding="utf-8")  # a bare list, not {"entries": [...]}
    with pytest.raises(ValueError, match="refs.json: a references file is"):
        load_entries(folder, references=refs)


def test_write_board_writes_the_page_atomically(tmp_path):
    folder = gradebook(tmp_path / "grades", {"s1": grade_result("s1", score("s1", compressed=900)),
                                             "s2": grade_result("s2", score(SCRIPT_NAME, compressed=800))})
    refs = references_file(tmp_path / "refs.json", [score("xz -9", compressed=850)], {"name": "held-out <docs>"})
    path = write_board(folder, references=refs)
    assert path == folder / "leaderboard.html"
    page = path.read_text(encoding="utf-8")
    assert [cells[1] for _, cells in rows(page)] == [SCRIPT_NAME, "xz -9", "s1"]
    assert "Hidden text: name: held-out &lt;docs&gt;" in page
    assert sorted(p.name for p in folder.iterdir()) == ["leaderboard.html", "results"]  # no temporary file left
    assert path.stat().st_mode & 0o644 == 0o644  # readable by a web server

    other = write_board(folder, tmp_path / "board.html")
    assert other == tmp_path / "board.html" and "xz -9" not in other.read_text(encoding="utf-8")
    with pytest.raises(FileNotFoundError, match="no such folder to write the board in"):
        write_board(folder, tmp_path / "missing" / "board.html")


def test_write_board_anonymises_with_the_gradebooks_key(tmp_path):
    folder = gradebook(tmp_path / "grades", {"alice_smith": grade_result("alice_smith", score("alice_smith"))})
    first = write_board(folder, anonymise=True).read_text(encoding="utf-8")
    key = (folder / ".leaderboard-key").read_text(encoding="utf-8").strip()
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert "alice_smith" not in first and anonymous_id("alice_smith", key) in first
    assert write_board(folder, anonymise=True).read_text(encoding="utf-8") == first  # the same id every time


def test_write_board_refuses_a_gradebook_without_challenge_scores(tmp_path):
    folder = gradebook(tmp_path / "grades", {"s1": grade_result("s1", None)})
    with pytest.raises(ValueError, match=r"no result in .*results holds a challenge score \(1 results read\)"):
        write_board(folder)
    assert not (folder / "leaderboard.html").exists()


def test_command_line(tmp_path):
    from scalingzip.cli import CommandError

    parser = argparse.ArgumentParser()
    leaderboard.add_command(parser.add_subparsers(dest="command", required=True))
    folder = gradebook(tmp_path / "grades", {"s1": grade_result("s1", score("s1")),
                                             "s2": grade_result("s2", score("s2", compressed=None, error="crash"))})
    refs = references_file(tmp_path / "refs.json", [score("xz -9")])
    args = parser.parse_args(["leaderboard", str(folder), "--references", str(refs), "--anonymise"])
    assert (args.command, args.out, args.quiet) == ("leaderboard", None, False)
    report = leaderboard.run(args)
    assert report.startswith(f"wrote {folder / 'leaderboard.html'}: 1 of 2 students ranked (1 failed), 1 reference")
    assert "s1" not in (folder / "leaderboard.html").read_text(encoding="utf-8")
    leaderboard.run(parser.parse_args(["leaderboard", str(folder), "--language", "zh", "--out", str(tmp_path / "zh.html")]))
    assert '<html lang="zh-Hans">' in (tmp_path / "zh.html").read_text(encoding="utf-8")
    with pytest.raises(CommandError, match="no such gradebook folder; grade the challenge lab first"):
        leaderboard.run(parser.parse_args(["leaderboard", str(tmp_path / "nowhere")]))


# --- In a browser -----------------------------------------------------------------------------

# Run in the page: the colours a few cells are drawn in (the background is the first opaque one of
# the cell and its ancestors), the page's width, and what the hostile names became.
_FACTS = r"""() => {
  const rgba = (c) => c.match(/[\d.]+/g).map(Number);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const cells = {};
  for (const [what, selector] of Object.entries({
      "a student's number": "tr.student td.num", "a student's name": "tr.student th",
      "a reference's number": "tr.reference td.num", "the header": "thead th", "an error": "td.error",
      "the summary": "p.summary"})) {
    const el = document.querySelector(selector);
    cells[what] = el && {text: rgba(getComputedStyle(el).color).slice(0, 3), background: background(el)};
  }
  const board = document.querySelector(".board");
  return {
    cells,
    page: background(document.body),
    scrollWidth: document.documentElement.scrollWidth,
    boardOverflows: board.scrollWidth > board.clientWidth,
    boardOverflowX: getComputedStyle(board).overflowX,
    names: [...document.querySelectorAll("tbody th[scope=row]")].map((th) => th.textContent),
    errors: [...document.querySelectorAll("td.error")].map((td) => td.textContent),
    images: document.querySelectorAll("img").length,
    scripts: document.scripts.length,
  };
}"""


def _visit(chromium, url: str, scheme: str) -> tuple[dict, list[str], list[str]]:
    """What the page shows on a phone in ``scheme``, what went wrong and every URL it requested."""
    context = chromium.new_context(**browser.PHONE, color_scheme=scheme)
    try:
        page = context.new_page()
        problems, requests = [], []
        page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
        page.on("pageerror", lambda e: problems.append(f"uncaught exception: {e}"))
        page.on("dialog", lambda d: (problems.append(f"a dialog opened: {d.message}"), d.dismiss()))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(url, wait_until="load", timeout=browser.TIMEOUT_MS)
        return page.evaluate(_FACTS), problems, requests
    finally:
        context.close()


def test_the_board_in_chromium_light_and_dark_on_a_phone(tmp_path):
    """Opened from disk on a phone (390 x 844), in light and in dark mode: no console error, no request
    off the machine, the hostile names shown as text (no image, no script), table text at a contrast
    of 4.5 or more on a background that changes with the mode, and the page no wider than the screen."""
    try:
        executable = browser.find_chromium()
    except browser.NoBrowserError as error:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {error}", pytrace=False)
        pytest.skip(f"browser test not run: {error}")
    from playwright.sync_api import sync_playwright

    folder = gradebook(tmp_path / "grades", {
        "s1": grade_result("s1", score(SCRIPT_NAME, artifact=12_345, compressed=23_456)),
        "s2": grade_result("s2", score(IMG_NAME, artifact=2_000, compressed=40_000)),
        "s3": grade_result("s3", score("s3", compressed=None, error=IMG_ERROR)),
        "s4": grade_result("s4", score("a_student_with_a_rather_long_identifier_" * 3, compressed=90_000)),
    })
    refs = references_file(tmp_path / "refs.json", [score("xz -9", compressed=40_000)])
    url = write_board(folder, references=refs).resolve().as_uri()
    seen = {}
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=[
            "--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"])
        try:
            for scheme in ("light", "dark"):
                seen[scheme] = _visit(chromium, url, scheme)
        finally:
            chromium.close()
    for scheme, (facts, problems, requests) in seen.items():
        assert not problems, f"{scheme}: {problems}"
        assert requests and all(browser.is_loopback(u) for u in requests), f"{scheme}: requests {requests}"
        assert facts["names"][:2] == [SCRIPT_NAME, "xz -9"] and IMG_NAME in facts["names"]
        assert facts["errors"] == [IMG_ERROR]
        assert facts["images"] == 0 and facts["scripts"] == 0
        for what, colours in facts["cells"].items():
            assert colours, f"{scheme}: no {what} on the page"
            ratio = browser.contrast_ratio(float(browser.relative_luminance(colours["text"])),
                                           float(browser.relative_luminance(colours["background"])))
            assert ratio >= browser.MIN_CONTRAST, f"{scheme}: {what}: contrast {ratio:.2f} ({colours})"
        width = facts["scrollWidth"]
        assert width <= browser.PHONE["viewport"]["width"], f"{scheme}: the page is {width} px wide on a phone"
        assert facts["boardOverflows"] and facts["boardOverflowX"] == "auto"  # the table scrolls in its box
    light, dark = seen["light"][0], seen["dark"][0]
    assert light["page"] != dark["page"]
    assert light["cells"]["a student's number"]["background"] != dark["cells"]["a student's number"]["background"]
    assert max(dark["page"]) < 64 < min(light["page"])  # dark is dark and light is light
