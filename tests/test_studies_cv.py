"""The classifier and pixel-model runs of the vision study, its design and its committed results."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from scalingzip.studies import cv
from scalingzip.nn.classifiers import build_classifier, evaluate_classifier, minibatch_loss, train_classifier
from scalingzip.studies.cv import ClassifierRun, PixelRun
from scalingzip.studies.sweep import config_from_dict, config_key, config_to_dict, load_records, run

STUDY_RESULTS = Path(__file__).resolve().parents[1] / "results" / "cv"
RERUN_RTOL = 0.005  # machines whose floating-point kernels differ agree to this; the same machine exactly


def test_the_cnn_flattens_and_sizes_its_linear_layer_from_the_input():
    for shape in ((1, 8, 8), (1, 40)):
        model = build_classifier("cnn", 6, shape, 10)
        assert any(isinstance(m, torch.nn.Flatten) for m in model.modules())
        assert model(torch.zeros(5, *shape)).shape == (5, 10)
    with pytest.raises(ValueError, match="unknown arch"):
        build_classifier("resnet", 6, (1, 8, 8), 10)


def test_the_classifier_recipe_is_one_seeded_loop():
    """train_classifier is minibatch AdamW with one randint per step from its generator: the same
    loop written out by hand gives the same weights, and a seed is a fresh generator."""
    x, y = torch.randn(100, 1, 8, 8), torch.randint(0, 10, (100,))
    models = []
    for _ in range(3):
        torch.manual_seed(0)
        models.append(build_classifier("mlp", 8, (1, 8, 8), 10))
    train_classifier(models[0], x, y, steps=20, batch_size=16, seed=3)
    train_classifier(models[1], x, y, steps=20, batch_size=16, generator=torch.Generator().manual_seed(3))
    g, opt = torch.Generator().manual_seed(3), torch.optim.AdamW(models[2].parameters(), lr=3e-3, weight_decay=0.0)
    for _ in range(20):
        loss = minibatch_loss(models[2], x, y, batch_size=16, generator=g)
        opt.zero_grad()
        loss.backward()
        opt.step()
    for model in models[1:]:
        assert all(torch.equal(a, b) for a, b in zip(models[0].parameters(), model.parameters()))
    assert not models[0].training
    score = evaluate_classifier(models[0], x, y)
    assert 0 <= score.error <= 1 and score.bits_per_label > 0
    with pytest.raises(ValueError, match="exactly one of seed"):
        train_classifier(models[0], x, y, steps=1)


def test_a_classifier_run_is_keyed_reproducible_and_learns():
    config = ClassifierRun(dataset="digits", arch="mlp", width=16, steps=150, lr=1e-2)
    assert config_from_dict(config_to_dict(config)) == config
    assert config_key(dataclasses.replace(config, width=17)) != config_key(config)
    a, b = run(config, device="cpu"), run(config, device="cpu")
    assert a.metrics == b.metrics
    assert a["test_error"] < 0.5 and a["test_bits_per_label"] < 3.32  # better than guessing among 10
    small = run(dataclasses.replace(config, n_train=50), device="cpu")
    assert small["n_train"] == 50 and small["test_bits_per_label"] > a["test_bits_per_label"]


def test_bad_classifier_configs_are_refused():
    with pytest.raises(ValueError, match="dataset must be one of"):
        ClassifierRun(dataset="imagenet", arch="mlp", width=8)
    with pytest.raises(ValueError, match="label_noise"):
        ClassifierRun(dataset="digits", arch="mlp", width=8, label_noise=1.0)
    with pytest.raises(ValueError, match="exceeds"):
        run(ClassifierRun(dataset="digits", arch="mlp", width=8, n_train=10_000, steps=1), device="cpu")



def test_early_stopping_stops_and_keeps_the_best_checkpoint():
    config = ClassifierRun(dataset="digits", arch="cnn", width=16, n_train=36, steps=3000, patience=3)
    model, metrics = config.train("cpu")
    assert metrics["steps_run"] < config.steps  # 36 examples overfit long before 3,000 steps
    val = dict(metrics["val_curve"])
    assert metrics["best_step"] in val and val[metrics["best_step"]] == min(val.values())
    assert metrics["val_bits_per_label"] == pytest.approx(min(val.values()), abs=1e-6)
    evals_after_best = [s for s in val if s > metrics["best_step"]]
    assert len(evals_after_best) == config.patience  # it stopped at the first chance
    assert not model.training


def test_a_pixel_run_codes_the_test_digits_exactly_and_learns():
    config = PixelRun(hidden=4, layers=1, steps=40, lr=1e-2, evals=5)
    record = run(config, device="cpu")
    assert record.metrics == run(config, device="cpu").metrics
    # the coded size is the container's, decoded and compared inside the run
    assert record["test_bits_per_pixel"] < record["coded_bits_per_pixel"] < record["test_bits_per_pixel"] + 0.1
    assert record["test_bits_per_pixel"] < np.log2(17)
    with pytest.raises(ValueError, match="exceeds"):
        run(dataclasses.replace(config, n_train=5000), device="cpu")
    with pytest.raises(ValueError, match="layers"):
        PixelRun(hidden=4, layers=0)


def test_the_cv_study_design():
    groups = cv.study()
    for dataset in cv.DATASETS:
        pool = len(cv.split_pool(len(cv.load_dataset(dataset)[0].y_train))[1])
        sizes = sorted({r.n_train or pool for r in groups["data"] if r.dataset == dataset and r.label_noise == 0})
        assert len(sizes) >= 6 and sizes[-1] == pool
        assert all(b == pytest.approx(2 * a, abs=1) for a, b in zip(sizes, sizes[1:]))  # doublings
        for arch in cv.ARCHS:
            assert len({r.width for r in groups["width"] if r.dataset == dataset and r.arch == arch}) >= 6
    assert {r.label_noise for r in groups["data"]} == set(cv.LABEL_NOISE)
    for name, runs in groups.items():  # three seeds for every point
        points = {}
        for r in runs:
            points.setdefault(dataclasses.replace(r, seed=0), set()).add(r.seed)
        assert set(map(frozenset, points.values())) == {frozenset(cv.SEEDS)}, name
    assert len(cv.all_runs()) == len(set(cv.all_runs()))


def test_the_committed_study_is_complete_and_consistent():
    records = load_records(STUDY_RESULTS, cv.all_runs())  # raises if a run has no record
    assert len(records) == len(cv.all_runs()) == len(list(STUDY_RESULTS.glob("*.json")))
    for r in records:
        assert r.threads == 1
        if isinstance(r.config, ClassifierRun):
            assert 0 <= r["test_error"] <= 1 and r["test_bits_per_label"] > 0
            assert r["best_step"] <= r["steps_run"] <= r.config.steps
        else:
            assert r["test_bits_per_pixel"] < r["coded_bits_per_pixel"] < r["test_bits_per_pixel"] + 0.1


def test_rerunning_the_cheapest_committed_runs_reproduces_them():
    records = load_records(STUDY_RESULTS, cv.all_runs())
    for kind in (ClassifierRun, PixelRun):
        stored = min((r for r in records if isinstance(r.config, kind)), key=lambda r: r.wall_seconds)
        fresh = run(stored.config, device="cpu")
        metric = "test_bits_per_label" if kind is ClassifierRun else "test_bits_per_pixel"
        assert fresh[metric] == pytest.approx(stored[metric], rel=RERUN_RTOL), (stored.key, fresh[metric])
