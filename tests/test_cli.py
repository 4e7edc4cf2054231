"""The command line: ``python -m scalingzip``."""

import json
import subprocess
import sys

import numpy as np
import pytest

from scalingzip.cli import BENCHMARKS, main


def test_bench_list_names_every_benchmark(capsys):
    assert main(["bench", "--list"]) == 0
    out = capsys.readouterr().out
    assert set(BENCHMARKS) <= {line.split()[0] for line in out.splitlines() if line.strip()}


def test_every_registered_benchmark_module_exists():
    import importlib

    for module_name, _ in BENCHMARKS.values():
        assert callable(importlib.import_module(f"scalingzip.benchmarks.{module_name}").main)


def test_unknown_benchmark_is_an_error_with_the_choices(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "nonexistent"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_runs_as_a_module():
    proc = subprocess.run([sys.executable, "-m", "scalingzip", "bench", "--list"], capture_output=True, text=True)
    assert proc.returncode == 0 and "coding" in proc.stdout


# --- compress / decompress / train-lm ------------------------------------------------------------

from pathlib import Path  # noqa: E402

from scalingzip.data import load_text  # noqa: E402

TEXT = load_text("python-docs")[300_000:340_000]


def _files(tmp_path: Path, data: bytes = TEXT) -> tuple[Path, Path, Path]:
    src = tmp_path / "in.txt"
    src.write_bytes(data)
    return src, tmp_path / "in.sz", tmp_path / "out.txt"


def test_compress_and_decompress_round_trip_with_a_report(tmp_path, capsys):
    src, packed, out = _files(tmp_path)
    assert main(["compress", str(src), str(packed), "--quiet"]) == 0
    assert main(["decompress", str(packed), str(out)]) == 0
    assert out.read_bytes() == TEXT
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("decompressed") and "bits/byte" in line and "KB/s" in line and "[mixing]" in line
    assert packed.stat().st_size < len(TEXT) / 3


def test_refuses_to_overwrite_unless_forced(tmp_path, capsys):
    src, packed, out = _files(tmp_path)
    packed.write_bytes(b"keep me")
    assert main(["compress", str(src), str(packed), "--quiet"]) == 1
    assert "exists" in capsys.readouterr().err and packed.read_bytes() == b"keep me"
    assert main(["compress", str(src), str(packed), "--quiet", "--force"]) == 0
    assert main(["decompress", str(packed), str(out), "--quiet"]) == 0
    assert main(["decompress", str(packed), str(out), "--quiet"]) == 1
    assert main(["compress", str(src), str(src), "--quiet", "--force"]) == 1
    assert "same file" in capsys.readouterr().err and src.read_bytes() == TEXT


def test_corrupt_or_truncated_input_exits_non_zero_and_writes_nothing(tmp_path, capsys):
    src, packed, out = _files(tmp_path, TEXT[:5000])
    assert main(["compress", str(src), str(packed), "--quiet"]) == 0
    blob = packed.read_bytes()
    for bad in (blob[: len(blob) // 2], blob[:-1], blob[:40] + bytes([blob[40] ^ 1]) + blob[41:], b"not a file"):
        packed.write_bytes(bad)
        assert main(["decompress", str(packed), str(out), "--quiet"]) == 1
        assert capsys.readouterr().err.startswith("error:")
        assert not out.exists() and not list(tmp_path.glob(".out.txt.*"))
    assert main(["decompress", str(tmp_path / "missing.sz"), str(out), "--quiet"]) == 1
    assert "no such file" in capsys.readouterr().err


def test_random_bytes_grow_by_less_than_one_percent_plus_header(tmp_path):
    data = np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes()
    src, packed, out = _files(tmp_path, data)
    assert main(["compress", str(src), str(packed), "--quiet"]) == 0
    assert packed.stat().st_size <= 1.01 * len(data) + 64
    assert main(["decompress", str(packed), str(out), "--quiet"]) == 0 and out.read_bytes() == data


def test_lm_mode_needs_the_same_model(tmp_path, capsys):
    from scalingzip.compressors.model_files import save_model
    from scalingzip.nn.transformer import TransformerConfig, build_model

    from scalingzip.nn.train import TrainConfig, train

    config = TransformerConfig(n_layer=1, d_model=8, n_head=2, n_ctx=32)
    model_a, model_b = tmp_path / "a.pt", tmp_path / "b.pt"
    trained = build_model(config, seed=0)  # trained a little, so that it compresses text (else: stored)
    train(trained, TEXT, TEXT[:2048], TrainConfig(steps=40, batch_size=8, lr=1e-2, warmup_steps=4, eval_every=0,
                                                 eval_bytes=1024), progress=False)
    save_model(trained, model_a)
    save_model(build_model(config, seed=1), model_b)
    src, packed, out = _files(tmp_path, TEXT[:3000])
    assert main(["compress", str(src), str(packed), "--mode", "lm", "--quiet"]) == 1
    assert "--model" in capsys.readouterr().err
    assert main(["compress", str(src), str(packed), "--mode", "lm", "--model", str(model_a), "--quiet"]) == 0
    assert main(["decompress", str(packed), str(out), "--quiet"]) == 1
    assert "--model" in capsys.readouterr().err
    assert main(["decompress", str(packed), str(out), "--model", str(model_b), "--quiet"]) == 1
    assert "checksum" in capsys.readouterr().err and not out.exists()
    assert main(["decompress", str(packed), str(out), "--model", str(model_a), "--quiet"]) == 0
    assert out.read_bytes() == TEXT[:3000]


def test_train_lm_refuses_an_unknown_preset_and_an_existing_file(tmp_path, capsys):
    assert main(["train-lm", str(tmp_path / "m.pt"), "--preset", "huge", "--quiet"]) == 1
    assert "unknown preset" in capsys.readouterr().err
    (tmp_path / "m.pt").write_bytes(b"x")
    assert main(["train-lm", str(tmp_path / "m.pt"), "--steps", "1", "--quiet"]) == 1
    assert "exists" in capsys.readouterr().err


def test_unknown_preset_a_directory_as_output_and_ctrl_c_each_get_one_line(tmp_path, capsys, monkeypatch):
    src, packed, _ = _files(tmp_path)
    assert main(["compress", str(src), str(packed), "--mode", "lm-online", "--preset", "huge", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unknown preset 'huge'") and err.count("\n") == 1 and not packed.exists()
    for argv in (["compress", str(src), str(tmp_path)], ["compress", str(src), str(tmp_path), "--force"],
                 ["train-lm", str(tmp_path)]):
        assert main([*argv, "--quiet"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error:") and "is a directory" in err and err.count("\n") == 1

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("scalingzip.compressors.compress", interrupted)
    assert main(["compress", str(src), str(packed), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert err == "error: interrupted; no output was written\n"
    assert not packed.exists() and not list(tmp_path.glob(f".{packed.name}.*"))


@pytest.mark.parametrize("data", [b"", b"\x00", bytes(range(256)), b"z" * 10_000,
                                  "压缩即预测 — Сжатие".encode() * 30, load_text("python-code")[:8000]],
                         ids=["empty", "one byte", "256 values", "long run", "utf-8", "code"])
def test_round_trip_of_every_kind_of_input(tmp_path, data):
    src, packed, out = _files(tmp_path, data)
    assert main(["compress", str(src), str(packed), "--quiet"]) == 0
    assert main(["decompress", str(packed), str(out), "--quiet"]) == 0
    assert out.read_bytes() == data


def test_lm_online_mode_round_trips_and_says_its_mode(tmp_path, capsys):
    data = TEXT[:12_000]  # long enough for the online model to beat storing the bytes
    src, packed, out = _files(tmp_path, data)
    assert main(["compress", str(src), str(packed), "--mode", "lm-online", "--preset", "1k", "--quiet"]) == 0
    assert main(["decompress", str(packed), str(out)]) == 0
    assert out.read_bytes() == data
    assert "[lm-online]" in capsys.readouterr().out


def test_the_modes_are_the_registrys_compressors_of_bytes(tmp_path, capsys):
    from scalingzip.compressors import registered

    assert main(["compress", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(registered(takes="bytes"))
    src, packed, out = _files(tmp_path, TEXT[:2000])
    for argv, message in ((["--mode", "zip"], "unknown mode 'zip'; choose one of"),
                          (["--mode", "pixels"], "codes images"),
                          (["--mode", "ppm", "--model", "m.pt"], "takes no --model")):
        assert main(["compress", str(src), str(packed), *argv, "--quiet"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error:") and message in err and not packed.exists()
    assert main(["compress", str(src), str(packed), "--mode", "ppm", "--quiet"]) == 0
    assert main(["decompress", str(packed), str(out)]) == 0 and out.read_bytes() == TEXT[:2000]
    assert "[ppm]" in capsys.readouterr().out


def test_bench_train_prints_throughput_per_size(capsys):
    assert main(["bench", "train", "--sizes", "L1d8", "--steps", "1", "--warmup", "0", "--batch", "2"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines() if line.strip().startswith("L1d8")]
    assert len(rows) == 1 and int(rows[0][1].replace(",", "")) == 888 and float(rows[0][4]) > 0


def test_bench_scaling_takes_one_source_of_points(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "scaling", "--data", "points.csv", "--digitised"])
    assert exit_info.value.code == 2 and "not both" in capsys.readouterr().err


def test_bench_prune_saves_its_table(tmp_path, capsys):
    out = tmp_path / "prune.json"
    assert main(["bench", "prune", "--sizes", "L1d8", "--repeats", "1", "--batch", "1", "--save", str(out)]) == 0
    saved = json.loads(out.read_text())
    (row,) = saved["rows"]
    assert row["shape"] == "L1d8" and row["params_pruned"] < row["params_dense"] and row["flop_ratio"] > 1
    assert row["speedup"] > 0 and saved["repeats"] == 1 and saved["threads"] == 1
    assert "L1d8" in capsys.readouterr().out


def test_stored_prune_benchmark_covers_every_structured_model_of_the_study():
    """Chapter 7 reads results/benchmarks/prune.json beside the sparse study's records: every
    structured model of every base must have its timing, with the shape the record holds."""
    from scalingzip.studies import RESULTS, load_study

    saved = json.loads((RESULTS / "benchmarks" / "prune.json").read_text())
    timed = {(r["shape"], r["plan"]): r for r in saved["rows"]}
    for record in load_study("sparse").select("criteria"):
        shape = record.config.model
        for row in record["structured"]:
            key = (f"L{shape.n_layer}d{shape.d_model}",
                   f"{row['score']} h{row['head_fraction']:.2f} n{row['neuron_fraction']:.2f}")
            assert key in timed, f"no timing for {key}: rerun python -m scalingzip bench prune --study --save ..."
            assert timed[key]["heads"] == row["heads"] and timed[key]["ff_widths"] == row["ff_widths"]


def test_train_lm_learns_the_corpus_it_is_given_and_records_it(tmp_path):
    from scalingzip.cli import CommandError, train_lm
    from scalingzip.compressors.model_files import load_model

    line = train_lm(tmp_path / "m.pt", preset="1k", steps=2, progress=False, corpus="cpython-docs")
    assert "held-out test split" in line
    assert load_model(tmp_path / "m.pt")[1]["corpus"] == "cpython-docs"
    with pytest.raises(CommandError, match="python-docs or cpython-docs"):
        train_lm(tmp_path / "n.pt", steps=1, progress=False, corpus="enwik8")
