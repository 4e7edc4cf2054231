"""The command line: ``python -m scalingzip``."""

import subprocess
import sys

import pytest

from scalingzip.__main__ import BENCHMARKS, main


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
