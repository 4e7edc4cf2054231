"""The runs of the pruning study and its design."""

import dataclasses
from pathlib import Path

import pytest

from scalingzip.studies import pruned as S
from scalingzip.studies.sweep import config_from_dict, config_key, config_to_dict, load_records, run

TINY = dict(steps=30, finetune_steps=20, width=16)


@pytest.mark.parametrize("method", S.METHODS)
def test_every_method_reaches_its_sparsity_and_is_coded(method):
    config = S.PruneRun(method=method, sparsity=0.6, round_rate=0.4, **TINY)
    assert config_from_dict(config_to_dict(config)) == config
    metrics = run(config, device="cpu").metrics
    assert metrics["sparsity"] == pytest.approx(0.6, abs=1 / metrics["weights"])
    assert metrics["nonzero_weights"] == metrics["weights"] - round(0.6 * metrics["weights"])
    codes = [metrics["kmeans"][str(b)]["code_bits"] for b in S.QUANT_BITS]
    assert codes == sorted(codes)  # fewer levels, shorter code
    assert max(codes) < metrics["sparse_float32_code_bits"] < metrics["float32_bits"]
    assert ("reinit_test_error" in metrics) == (method == "ticket")


def test_runs_are_deterministic_and_keyed():
    config = S.PruneRun(method="gradual", sparsity=0.5, **TINY)
    assert run(config, device="cpu").metrics == run(config, device="cpu").metrics
    assert config_key(dataclasses.replace(config, sparsity=0.51)) != config_key(config)


def test_rounds_prune_a_fixed_fraction_of_what_remains():
    rounds = S.PruneRun(method="ticket", sparsity=0.9).rounds()
    assert rounds[-1] == 0.9 and rounds == sorted(rounds)
    assert rounds[0] == pytest.approx(0.2) and rounds[1] == pytest.approx(1 - 0.8**2)
    assert S.PruneRun(method="ticket", sparsity=0.0).rounds() == []
    with pytest.raises(ValueError, match="method"):
        S.PruneRun(method="random", sparsity=0.5)
    with pytest.raises(ValueError, match="sparsity"):
        S.PruneRun(method="oneshot", sparsity=1.0)


def test_the_pruning_study_design():
    groups = S.study()
    for method in ("oneshot", "iterative", "gradual"):
        points = {(r.sparsity, r.seed) for r in groups["methods"] if r.method == method}
        assert points == {(q, s) for q in S.SPARSITIES for s in S.SEEDS}
    for run_ in groups["equal-nonzeros"]:  # a pruned width-128 model has the nonzeros of a dense small one
        if run_.sparsity > 0:
            nonzeros = round((1 - run_.sparsity) * S._mlp_weights(128))
            assert any(abs(nonzeros - S._mlp_weights(w)) <= 1 for w in S.SMALL_WIDTHS)
    assert len(S.all_runs()) == len(set(S.all_runs()))


STUDY_RESULTS = Path(__file__).resolve().parents[1] / "results" / "pruning"


def test_the_committed_study_is_complete_and_consistent():
    records = load_records(STUDY_RESULTS, S.all_runs())  # raises if a run has no record
    assert len(records) == len(S.all_runs()) == len(list(STUDY_RESULTS.glob("*.json")))
    for r in records:
        assert r.threads == 1 and r["sparsity"] == pytest.approx(r.config.sparsity, abs=1e-3)
        if isinstance(r.config, S.PruneRun):
            assert r["nonzero_weights"] == r["weights"] - round(r.config.sparsity * r["weights"])
        else:  # both parts of the pixel model's two-part code were measured at every bit width
            assert set(r["kmeans"]) == {str(b) for b in S.PIXEL_QUANT_BITS}


def test_rerunning_the_cheapest_committed_run_reproduces_it():
    records = load_records(STUDY_RESULTS, S.all_runs())
    stored = min(records, key=lambda r: r.wall_seconds)
    fresh = run(stored.config, device="cpu")
    assert fresh["test_bits_per_label"] == pytest.approx(stored["test_bits_per_label"], rel=0.005)
    assert fresh["kmeans"]["5"]["code_bits"] == pytest.approx(stored["kmeans"]["5"]["code_bits"], rel=0.005)
