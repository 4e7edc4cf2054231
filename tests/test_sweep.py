"""The sweep runner: config keys, stored records, the executors, and the committed NLP study."""

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from scalingzip.studies import sweep
from scalingzip.data import PYTHON_DOCS_SHA256
from scalingzip.nn.flops import transformer_flops
from scalingzip.nn.transformer import TransformerConfig
from scalingzip.studies import nlp
from scalingzip.studies.sweep import Record, config_from_dict, config_key, config_to_dict, load_records, run, run_sweep
from scalingzip.nn.train import TrainConfig, batch_starts

STUDY_RESULTS = Path(__file__).resolve().parents[1] / "results" / "nlp"
TINY = TransformerConfig(n_layer=1, d_model=8, n_head=2, n_ctx=32)
# a stored loss must be reproduced to this relative tolerance: bit for bit on one machine with one
# thread; other CPUs and BLAS builds round differently, and a few hundred steps amplify that
RERUN_RTOL = 5e-3


def tiny_run(steps: int = 12, seed: int = 0) -> nlp.LMRun:
    return nlp.LMRun(model=TINY, train=TrainConfig(steps=steps, batch_size=4, lr=1e-2, warmup_steps=2,
                                                   eval_every=6, eval_bytes=2048, seed=seed, sampling="epochs"),
                     init_seed=seed)


def _variants(obj):
    """Copies of a frozen dataclass with one field changed at a time (recursing into dataclass fields)."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            for inner in _variants(value):
                yield f.name, dataclasses.replace(obj, **{f.name: inner[1]})
            continue
        if isinstance(value, bool):
            candidates = [not value]
        elif isinstance(value, int):
            candidates = [value + 1, value * 2]  # d_model + 1 would not divide by n_head
        elif isinstance(value, float):
            candidates = [value * 1.5]
        elif isinstance(value, tuple):
            candidates = [tuple(v * 0.99 for v in value)]
        elif isinstance(value, str):
            candidates = [{"random": "epochs", "epochs": "random", "python-docs": "python-code"}[value]]
        elif value is None:
            candidates = [64]
        else:
            raise AssertionError(f"untested field type {type(value)}")
        for new in candidates:
            try:
                yield f.name, dataclasses.replace(obj, **{f.name: new})
                break
            except ValueError:  # a value the config refuses; try the next
                continue
        else:
            raise AssertionError(f"no valid variant of {f.name}")


def test_the_key_changes_with_every_field_and_only_then():
    base = tiny_run()
    key = config_key(base)
    assert len(key) == 16 and int(key, 16) >= 0
    assert config_key(tiny_run()) == key  # an equal config built again
    assert config_key(config_from_dict(json.loads(json.dumps(config_to_dict(base))))) == key  # through JSON
    changed = list(_variants(base))
    n_fields = len(dataclasses.fields(nlp.LMRun)) - 2 + len(dataclasses.fields(TrainConfig)) + len(
        dataclasses.fields(TransformerConfig))
    assert len(changed) == n_fields
    keys = {config_key(c) for _, c in changed}
    assert key not in keys and len(keys) == n_fields, "a field that does not change the key"


def test_configs_round_trip_through_json_exactly():
    for config in (tiny_run(), nlp.lm_run(nlp.SHAPES[3], 2**18, seed=2)):
        back = config_from_dict(json.loads(json.dumps(config_to_dict(config))))
        assert back == config and isinstance(back.train.betas, tuple)


def test_unregistered_configs_are_refused():
    @dataclasses.dataclass(frozen=True)
    class Stranger:
        x: int = 1

        def execute(self, device):
            return {}

    with pytest.raises(TypeError, match="not a registered run config"):
        config_key(Stranger())
    with pytest.raises(ValueError, match="unknown run kind"):
        config_from_dict({"kind": "nope", "fields": {}})


def test_epoch_sampling_visits_every_window_once_per_epoch():
    n, T = 1000, 10
    config = TrainConfig(steps=10, batch_size=7, warmup_steps=1, sampling="epochs")
    stream = batch_starts(n, T, config, torch.Generator().manual_seed(0))
    windows = list(range(0, n - T, T))  # 99 windows; the last one, at 980, ends at byte 990 < 1000
    drawn = torch.cat([next(stream) for _ in range(2 * len(windows) // 7 + 1)]).tolist()
    assert sorted(drawn[: len(windows)]) == windows  # first epoch: each window once
    assert sorted(drawn[len(windows) : 2 * len(windows)]) == windows  # and again in the second
    assert drawn[: len(windows)] != drawn[len(windows) : 2 * len(windows)]  # in a new order
    again = batch_starts(n, T, config, torch.Generator().manual_seed(0))
    assert torch.equal(next(again), torch.tensor(drawn[:7]))


def test_run_records_what_produced_it_and_is_deterministic():
    first, second = run(tiny_run(), device="cpu"), run(tiny_run(), device="cpu")
    assert first.metrics == second.metrics  # seeded, one thread: bit for bit
    m = first.metrics
    assert first.device == "cpu" and first.threads == 1 and first.versions["torch"] == torch.__version__
    assert m["tokens"] == 12 * 4 * 32 and m["params_non_embedding"] > 0 and m["params_embedding"] == 256 * 8 + 32 * 8
    assert m["flops"] == pytest.approx(m["flops_per_token"] * m["tokens"])
    assert m["curve_tokens"][-1] == m["tokens"] and m["curve_loss"][-1] == pytest.approx(m["loss"], abs=1e-6)
    assert 0 < m["loss"] < 8.5 and len(m["train_curve_loss"]) == 12
    # the prequential code: the first epoch's full batches, each loss taken before its update
    assert m["prequential_bytes"] == len(m["first_epoch_loss"]) * 4 * 32 > 0
    assert m["prequential_bits"] == pytest.approx(sum(m["first_epoch_loss"]) * 4 * 32, rel=1e-4)
    back = Record.from_dict(json.loads(json.dumps(first.to_dict())))
    assert back == first


def test_run_sweep_stores_records_and_reruns_nothing(tmp_path):
    configs = [tiny_run(steps=10), tiny_run(steps=10, seed=1), tiny_run(steps=10)]  # one duplicate
    new = []
    records = run_sweep(configs, results=tmp_path, progress=False, on_record=new.append)
    assert len(records) == 3 and records[0] == records[2] and len(new) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{config_key(c)}.json" for c in configs[:2])
    again = run_sweep(configs, results=tmp_path, progress=False, on_record=new.append)
    assert again == records and len(new) == 2  # loaded, not retrained
    assert load_records(tmp_path) == sorted(records[:2], key=lambda r: r.key)


def test_damaged_or_edited_records_are_refused(tmp_path):
    record = run_sweep([tiny_run(steps=10)], results=tmp_path, progress=False)[0]
    path = tmp_path / f"{record.key}.json"
    data = json.loads(path.read_text())
    data["config"]["fields"]["train"]["lr"] = 0.5  # a different config under the old key
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="hashes to"):
        sweep.load_record(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not a sweep record"):
        sweep.load_record(path)
    with pytest.raises(FileNotFoundError, match="1 of 1 runs have no record"):
        load_records(tmp_path / "elsewhere", [tiny_run(steps=10)])


def test_local_processes_give_the_records_of_this_process(tmp_path):
    configs = [tiny_run(steps=10), tiny_run(steps=10, seed=3)]
    here = run_sweep(configs, results=tmp_path / "here", progress=False)
    pool = run_sweep(configs, results=tmp_path / "pool", workers=2, progress=False)
    assert [r.metrics for r in pool] == [r.metrics for r in here]


@pytest.mark.slow
def test_the_dask_executor_gives_the_records_of_the_local_one(tmp_path):
    distributed = pytest.importorskip("distributed")
    configs = [tiny_run(steps=10), tiny_run(steps=10, seed=4), tiny_run(steps=14)]
    local = run_sweep(configs, results=tmp_path / "local", progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        remote = run_sweep(configs, results=tmp_path / "dask", executor=client, progress=False)
        by_address = run_sweep(configs[:1], results=tmp_path / "address", executor=cluster.scheduler_address,
                               progress=False)
    assert [r.metrics for r in remote] == [r.metrics for r in local]
    assert [r.key for r in remote] == [r.key for r in local]
    assert by_address[0].metrics == local[0].metrics


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="workers must be"):
        run_sweep([tiny_run()], results=tmp_path, workers=0)
    with pytest.raises(TypeError, match="executor must be"):
        run_sweep([tiny_run()], results=tmp_path, executor=42)
    assert sweep.resolve_device("cpu") == torch.device("cpu")
    assert sweep.resolve_device("auto").type in ("cpu", "cuda", "mps")


def test_the_study_design_meets_its_brief():
    groups = nlp.study()
    sizes = {r.model for r in groups["size"]}
    n = sorted(transformer_flops(s).non_embedding_params for s in sizes)
    assert len(sizes) >= 7 and n[-1] / n[0] >= 100  # >= 7 sizes over >= 2 decades of N
    assert len({r.tokens for r in groups["data"]}) >= 5
    per_budget = {}
    for r in groups["isoflop"]:
        C = nlp.train_flops_per_token(r.model) * r.tokens
        per_budget.setdefault(min(nlp.ISOFLOP_BUDGETS, key=lambda b: abs(b - C)), set()).add(r.model)
    assert len(per_budget) >= 3 and all(len(s) >= 5 for s in per_budget.values())
    assert {r.init_seed for r in groups["seeds"]} == {1, 2}


def _cheapest_committed(k: int) -> list[Record]:
    records = load_records(STUDY_RESULTS, nlp.all_runs())
    return sorted(records, key=lambda r: r.wall_seconds)[:k]


def test_the_committed_study_is_complete_and_consistent():
    records = load_records(STUDY_RESULTS, nlp.all_runs())  # raises if a run has no record
    assert len(records) == len(nlp.all_runs())
    for r in records:
        assert r.metrics["corpus_sha256"] == PYTHON_DOCS_SHA256 and r.threads == 1
        assert r.metrics["tokens"] == r.config.tokens


@pytest.mark.slow
def test_rerunning_two_committed_runs_reproduces_their_loss():
    for stored in _cheapest_committed(2):
        fresh = run(stored.config, device="cpu")
        assert fresh.key == stored.key
        assert fresh["loss"] == pytest.approx(stored["loss"], rel=RERUN_RTOL), (stored.key, fresh["loss"])


def test_the_sweep_command(tmp_path, capsys):
    from scalingzip.cli import main

    assert main(["sweep", "nlp", "--dry-run", "--results", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"study nlp: {len(nlp.all_runs())} runs" in out and f"{len(nlp.all_runs())} to run" in out
    assert main(["sweep", "nlp", "--dry-run", "--results", str(STUDY_RESULTS)]) == 0
    assert f"{len(nlp.all_runs())} recorded" in capsys.readouterr().out
    assert main(["sweep", "vision"]) == 1
    assert "error: unknown study 'vision'" in capsys.readouterr().err
    assert main(["sweep", "nlp", "--group", "nope", "--dry-run"]) == 1
    assert "unknown group 'nope'" in capsys.readouterr().err


def test_prune_deletes_only_records_outside_the_design(tmp_path, capsys):
    import shutil

    from scalingzip.cli import main

    size_keys = [config_key(c) for c in nlp.study()["size"]]
    for key in size_keys:  # the size group, all recorded: running it again runs nothing
        shutil.copy(STUDY_RESULTS / f"{key}.json", tmp_path / f"{key}.json")
    stale = run_sweep([tiny_run(steps=10)], results=tmp_path, progress=False)[0].key
    assert main(["sweep", "nlp", "--group", "size", "--dry-run", "--prune", "--results", str(tmp_path)]) == 0
    assert "1 stale record(s) would be deleted" in capsys.readouterr().out
    assert (tmp_path / f"{stale}.json").exists()  # a dry run deletes nothing
    assert main(["sweep", "nlp", "--group", "size", "--prune", "--quiet", "--results", str(tmp_path)]) == 0
    assert not (tmp_path / f"{stale}.json").exists()
    assert sorted(p.stem for p in tmp_path.glob("*.json")) == sorted(size_keys)


def test_sampling_must_be_known():
    with pytest.raises(ValueError, match="sampling must be one of random, epochs"):
        TrainConfig(sampling="shuffled")


def test_every_study_is_registered_once_and_every_config_class_has_a_kind():
    from scalingzip.studies import STUDIES

    assert {s.chapter for s in STUDIES.values()} == {5, 6, 7} and len(STUDIES) == 5
    classes: dict = {}  # a kind shared by two studies (the transformer's shape) names one class
    for study in STUDIES.values():
        module = study.load_module()
        for kind, name in study.kinds.items():
            assert classes.setdefault(kind, getattr(module, name)) is getattr(module, name)
    for study in STUDIES.values():
        for config in study.load_module().all_runs():
            data = config_to_dict(config)  # raises for a class without a kind
            assert data["kind"] in study.kinds and config_from_dict(data) == config
    assert "scalingzip." not in json.dumps(config_to_dict(nlp.all_runs()[0]))  # no module paths in a record


def test_the_sweep_help_lists_every_registered_study(capsys):
    from scalingzip.cli import main
    from scalingzip.studies import STUDIES

    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    for study in STUDIES.values():
        assert f"{study.name} (chapter {study.chapter}" in help_text


def _as_schema_1(record: Record) -> dict:
    """A record as the runner of schema 1 wrote it: nested configs tagged by their old module paths."""
    old_paths = {"transformer": "scalingzip.models:TransformerConfig", "train": "scalingzip.train:TrainConfig"}
    data = json.loads(json.dumps(record.to_dict()))
    for name in ("model", "train"):
        field = data["config"]["fields"][name]
        field["__class__"] = old_paths[field.pop("__kind__")]
    return {**data, "schema": 1, "key": "0123456789abcdef"}


def test_schema_1_records_are_refused_and_the_script_migrates_them(tmp_path):
    import subprocess
    import sys

    record = run(tiny_run(steps=10), device="cpu")
    old = tmp_path / "0123456789abcdef.json"
    old.write_text(json.dumps(_as_schema_1(record), indent=1, sort_keys=True) + "\n")
    with pytest.raises(ValueError, match="schema 1.*migrate_records.py"):
        sweep.load_record(old)
    script = Path(__file__).resolve().parents[1] / "results" / "migrate_records.py"
    for expected in ("1 of 1 records migrated", "0 of 1 records migrated"):  # the second run changes nothing
        out = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, check=True)
        assert expected in out.stdout
    assert not old.exists() and [p.name for p in tmp_path.iterdir()] == [f"{record.key}.json"]
    assert load_records(tmp_path, [tiny_run(steps=10)]) == [record]


def test_load_study_gives_the_design_its_records_and_a_selector(tmp_path):
    import shutil

    from scalingzip.studies import load_study

    study = load_study("nlp")
    assert study.design == nlp.study() and list(study.records) == nlp.all_runs()
    assert [r.config for r in study.select("size")] == nlp.study()["size"]
    seeds = study.select("seeds", init_seed=2)
    assert [r.config for r in seeds] == [c for c in nlp.study()["seeds"] if c.init_seed == 2] and len(seeds) == 3
    assert study.select("size", corpus="python-docs", init_seed=0) == study.select("size")
    with pytest.raises(ValueError, match="no group 'sizes'"):
        study.select("sizes")
    with pytest.raises(ValueError, match="LMRun in group 'size' has no field 'width'"):
        study.select("size", width=3)
    with pytest.raises(ValueError, match="unknown study 'vision'; choose one of nlp, epoch, cv, pruning, sparse"):
        load_study("vision")
    keep = config_key(nlp.all_runs()[0])
    shutil.copy(STUDY_RESULTS / f"{keep}.json", tmp_path)
    with pytest.raises(FileNotFoundError, match=f"{len(nlp.all_runs()) - 1} of {len(nlp.all_runs())} runs of "
                                                "study 'nlp' have no record.*python -m scalingzip sweep nlp"):
        load_study("nlp", results=tmp_path)
