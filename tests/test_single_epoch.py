"""The single-epoch study (chapter 5): its design keeps the issue's promises, its records are
complete, the cheapest of them reproduce, and its file is its loss."""

import hashlib
import math

import numpy as np
import pytest

from scalingzip.studies import load_study
from scalingzip.studies import single_epoch as se
from scalingzip.studies.sweep import machine_name, run

SINGLE_EPOCH_GROUPS = ("size", "isoflop", "data", "seeds", "lr", "file", "check")


@pytest.fixture(scope="module")
def design():
    return se.study()


@pytest.fixture(scope="module")
def study():
    return load_study("epoch")


def test_the_stream_is_the_training_split_reordered_by_document():
    from scalingzip.data import document_splits

    stream, train = se.training_stream(), document_splits("cpython-docs").train
    assert len(stream) == len(train) == 10_159_820 and stream != train
    counts = lambda b: np.bincount(np.frombuffer(b, dtype=np.uint8), minlength=256)
    assert np.array_equal(counts(stream), counts(train))  # the same bytes, in the documents' hashed order
    assert stream[:200] != train[:200]


def test_the_design_is_single_epoch_and_as_large_as_promised(design):
    D = len(se.training_stream())
    for group in SINGLE_EPOCH_GROUPS:
        for r in design[group]:
            assert r.bytes <= D and not getattr(r, "unique_bytes", 0), f"{group} reads a byte twice"
    assert all(r.unique_bytes and r.bytes > r.unique_bytes for r in design["repeat"])
    N = sorted(se.transformer_flops(r.model).non_embedding_params for r in design["size"])
    assert N[-1] >= 1e6 and math.log10(N[-1] / N[0]) >= 3  # three decades, up to a million
    assert max(r.bytes for r in design["size"]) >= 1e7  # ten million training bytes
    per_budget = {C: [s for s in se.SHAPES if se.isoflop_bytes(s, C)] for C in se.ISOFLOP_BUDGETS}
    assert len(per_budget) >= 5 and all(len(s) >= 5 for s in per_budget.values())
    assert math.log10(max(per_budget) / min(per_budget)) >= 1.5
    for C, shapes in per_budget.items():  # every IsoFLOP run is a fork (or the end) of its shape's trunk
        for s in shapes:
            trunk = next(r for r in design["size"] if r.model == s)
            assert se.isoflop_bytes(s, C) in (*trunk.forks, trunk.bytes)
    seeds = {(r.model, r.bytes) for r in design["seeds"]}
    assert len(seeds) >= 3 and all(sum((r.model, r.bytes) == p for r in design["seeds"]) == 2 for p in seeds)
    assert len({r.model for r in design["lr"]}) >= 3


def test_every_run_has_a_record_from_this_design(study):
    D = len(se.training_stream())
    stream_sha = hashlib.sha256(se.training_stream()).hexdigest()
    for r in study.select("size"):
        assert r["stream_sha256"] == stream_sha and r.config.bytes == D
        assert [x["bytes"] for x in r["runs"]] == sorted({*r.config.forks, D})
        assert len(r["batch_bits"]) == math.ceil(D / se.BATCH_BYTES)
        whole = r["runs"][-1]["prequential_bits"]
        assert sum(r["batch_bits"]) == pytest.approx(whole, rel=1e-6)  # the stored curve adds up to the code
    for r in study.select("baselines"):
        assert r["compressed_bytes"] is None or 0 < r["compressed_bytes"] < r.config.bytes


def test_the_file_is_the_summed_loss_and_the_forked_run(study):
    (record,) = study.select("file")
    bits = record["summed_loss_bits"]
    assert record["decoded_exactly"]
    assert abs(8 * record["file_bytes"] - bits) <= 0.001 * bits + 64 * 8
    trunk = next(r for r in study.select("size") if r.config.model == record.config.model)
    fork = next(x for x in trunk["runs"] if x["bytes"] == record.config.bytes)
    # the same run, trained once inside the trunk and once alone while coding: the same floats on one
    # machine; another CPU's floats may differ in the last digits, hence the tolerance
    tolerance = 0 if trunk.machine == record.machine else 1e-3
    assert fork["prequential_bits"] == pytest.approx(bits, rel=tolerance)


@pytest.mark.parametrize("index", [0, 1])
def test_the_cheapest_runs_reproduce_their_records(study, index):
    stored = study.select("check")[index]
    fresh = run(stored.config, device="cpu")
    same_machine = stored.machine == machine_name() and stored.versions["torch"] == fresh.versions["torch"]
    if "runs" not in stored.metrics:  # a classical compressor: the same bytes anywhere with the same tool
        assert fresh["compressed_bytes"] == pytest.approx(stored["compressed_bytes"], rel=0 if same_machine else 0.01)
        return
    for old, new in zip(stored["runs"], fresh["runs"], strict=True):
        for name in ("prequential_bits", "test_bits"):
            if same_machine:  # one thread, the same CPU and library: bit for bit
                assert new[name] == old[name]
            else:  # floating point differs between CPUs; 60 steps of training keep it within 0.5 %
                assert new[name] == pytest.approx(old[name], rel=5e-3)
        if same_machine:
            assert new["weights_crc32"] == old["weights_crc32"]
    assert np.allclose(fresh["batch_bits"], stored["batch_bits"], rtol=0 if same_machine else 5e-3,
                       atol=0.01 if same_machine else 0)


def test_prefix_codes_and_run_points_read_the_records(study):
    trunk = study.select("size")[0]
    bits = np.asarray(trunk["batch_bits"])
    assert se.prefix_bits(trunk, 0) == 0
    assert se.prefix_bits(trunk, 3 * se.BATCH_BYTES) == pytest.approx(bits[:3].sum())
    assert se.prefix_bits(trunk, 2.5 * se.BATCH_BYTES) == pytest.approx(bits[:2].sum() + bits[2] / 2)
    assert se.prefix_bits(trunk, trunk.config.bytes) == pytest.approx(bits.sum())
    with pytest.raises(ValueError, match="n_bytes"):
        se.prefix_bits(trunk, trunk.config.bytes + 1)
    pts = se.run_points(study.select("size"))
    assert len(pts["D"]) == sum(len(r["runs"]) for r in study.select("size"))
    assert np.all(pts["C"] > pts["C6"]) and np.all((pts["loss"] > 0) & (pts["loss"] < 8.5))
    with pytest.raises(ValueError, match="repeated-data"):
        se.run_points(study.select("repeat"))


def test_the_prefix_codes_compare_every_coder_on_the_same_bytes(study):
    D = len(se.training_stream())
    codes = se.codes_of_prefix(study, D)
    assert {"gzip", "xz", "mixing", "network", "network_N"} <= set(codes)
    assert codes["mixing"] < codes["xz"] < codes["gzip"] < 8 * D  # the ladder of the classical coders holds here
    with pytest.raises(ValueError, match="no baseline"):
        se.codes_of_prefix(study, 12345)


def test_the_mixing_baselines_name_the_model_that_computes_them():
    from scalingzip.coding.mixing import MODEL_VERSION

    assert se.MIXING_MODEL == MODEL_VERSION, (
        "the baselines' records are of another model: bump MIXING_MODEL and rerun them")
    with pytest.raises(ValueError, match="model"):
        se.BaselineRun(tool="mixing", bytes=1000)
    with pytest.raises(ValueError, match="model"):
        se.BaselineRun(tool="xz", bytes=1000, model=2)
    with pytest.raises(ValueError, match="tool"):
        se.BaselineRun(tool="lzip", bytes=1000)
