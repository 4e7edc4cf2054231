"""``bench compressors``: its rows round-trip, a missing program is a row that says so, and its JSON
keeps its schema. No test needs an external compressor: ``shutil.which`` finds none, and the one
external program run is this Python, standing in for a broken compressor."""

import json
import shutil
import sys

import pytest

from scalingzip.benchmarks import compressors as bench
from scalingzip.cli import main
from scalingzip.coding import STDLIB_COMPRESSORS

DATA = b"a small text for the benchmark's rows: " + bytes(range(256)) + b"the end, the end, the end.\n" * 40


@pytest.fixture
def no_programs(monkeypatch):
    """A machine with no compressor installed (and no GNU time: the os.wait4 launcher measures memory)."""
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)


def test_python_rows_round_trip_and_every_missing_program_is_a_line(no_programs):
    rows = bench.compressor_rows(DATA)
    python = [r for r in rows if isinstance(r, bench.Row)]
    assert [r.name for r in python] == list(bench.PYTHON_CODECS)
    for r in python:
        assert r.kind == "python" and r.n_bytes == len(DATA) and 0 < r.bits_per_byte < 8
        assert r.compress_seconds > 0 and r.decompress_seconds > 0
        assert r.compress_peak_mb > 1 and r.idle_peak_mb > 1  # a whole interpreter
    missing = [r for r in rows if isinstance(r, bench.Missing)]
    assert [r.name for r in missing] == [t.name for t in bench.TOOLS]
    table = bench.format_table(rows)
    for tool in bench.TOOLS:
        (line,) = [line for line in table if line.startswith(tool.name + " ")]
        assert f"missing: no {tool.program} on PATH" in line
    (lzma_line,) = [line for line in table if line.startswith("lzma 9e (Python)")]
    assert lzma_line.split()[4] == "1.000"  # without the xz program, sizes are relative to lzma at -9e


def test_python_codecs_are_the_packages_standard_library_baselines():
    for (name, (c, d)), (c0, _) in zip(bench.PYTHON_CODECS.items(), STDLIB_COMPRESSORS.values()):
        assert c(DATA) == c0(DATA) and d(c(DATA)) == DATA, name


def test_a_course_mode_row_runs_in_its_own_child():
    (row,) = bench.compressor_rows(DATA, modes=["static"], python=False, tools=())
    assert row.name == "scalingzip static" and row.kind == "course" and row.bits_per_byte < 8


def test_a_failed_round_trip_is_an_error():
    broken = bench.Tool(name="broken", program=sys.executable, blob="text.z",
                        compress=("-c", "import sys; sys.stdout.buffer.write(open('text', 'rb').read()[::-1])"),
                        decompress=("-c", "import sys; sys.stdout.buffer.write(open('text.z', 'rb').read())"))
    with pytest.raises(bench.RoundTripError, match="broken did not round-trip"):
        bench.measure_tool(broken, DATA)
    honest = bench.Tool(name="reverse", program=sys.executable, blob="text.z", compress=broken.compress,
                        decompress=("-c", "import sys; sys.stdout.buffer.write(open('text.z', 'rb').read()[::-1])"))
    row = bench.measure_tool(honest, DATA)
    assert row.compressed_bytes == len(DATA) and row.compress_peak_mb > 1 and row.idle_peak_mb is None


def test_json_has_the_machine_and_one_table_per_text(tmp_path, capsys, no_programs):
    text = tmp_path / "small.txt"
    text.write_bytes(DATA)
    out = tmp_path / "bench.json"
    assert main(["bench", "compressors", "--texts", "--file", str(text), "--modes", "stored",
                 "--json", str(out)]) == 0
    saved = json.loads(out.read_text())
    assert {"command", "machine", "model", "notes", "units", "texts"} <= set(saved)
    assert {"cpu", "cpus", "python", "system", "tools"} <= set(saved["machine"])
    assert saved["machine"]["memory_meter"] == "os.wait4"  # no GNU time on this pretend machine
    assert saved["machine"]["tools"] == {t.program: None for t in bench.TOOLS}
    (table,) = saved["texts"]
    assert table["name"] == str(text) and table["n_bytes"] == len(DATA) and table["reference"] == "lzma 9e (Python)"
    rows = {r["name"]: r for r in table["rows"]}
    assert list(rows) == ["scalingzip stored", *bench.PYTHON_CODECS, *(t.name for t in bench.TOOLS)]
    assert rows["gzip -9"] == {"name": "gzip -9", "missing": True, "program": "gzip"}
    stored = rows["scalingzip stored"]
    assert stored["compressed_bytes"] > len(DATA) and stored["bits_per_byte"] > 8 and stored["kind"] == "course"
    for key in ("compress_kb_per_s", "decompress_kb_per_s", "compress_peak_mb", "decompress_peak_mb", "idle_peak_mb"):
        assert stored[key] > 0
    printed = capsys.readouterr().out
    assert "missing: no zpaq on PATH" in printed and "scalingzip stored" in printed


def test_unknown_texts_and_no_text_are_usage_errors(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "compressors", "--texts", "nonexistent"])
    with pytest.raises(SystemExit):
        main(["bench", "compressors", "--texts"])
    assert "no text to measure" in capsys.readouterr().err


def test_figure_draws_every_text_without_changing_the_callers_style(tmp_path):
    import matplotlib as mpl

    before = dict(mpl.rcParams)
    rows = [bench.Row(name=name, kind="tool", n_bytes=100, compressed_bytes=size, compress_seconds=1.0,
                      decompress_seconds=1.0, compress_peak_mb=1.0, decompress_peak_mb=1.0)
            for name, size in (("scalingzip mixing", 20), ("xz -9e", 25), ("scalingzip stored", 110))]
    texts = [bench.Text(name=n, title=n, data=b"") for n in ("a", "b")]
    bench.save_figure([(t, rows) for t in texts], tmp_path / "bpb.png")
    assert (tmp_path / "bpb.png").read_bytes()[:4] == b"\x89PNG" and dict(mpl.rcParams) == before
