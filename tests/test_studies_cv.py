"""The classifier runs of the vision sweeps."""

import dataclasses

import pytest
import torch

from scalingzip.studies.cv import ClassifierRun, build_classifier
from scalingzip.sweep import config_from_dict, config_key, config_to_dict, run


def test_the_cnn_flattens_and_sizes_its_linear_layer_from_the_input():
    for shape in ((1, 8, 8), (1, 40)):
        model = build_classifier("cnn", 6, shape, 10)
        assert any(isinstance(m, torch.nn.Flatten) for m in model.modules())
        assert model(torch.zeros(5, *shape)).shape == (5, 10)
    with pytest.raises(ValueError, match="unknown arch"):
        build_classifier("resnet", 6, (1, 8, 8), 10)


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



def test_the_cv_study_design():
    from scalingzip.studies import cv

    groups = cv.study()
    for dataset in cv.DATASETS:
        pool = len(cv.split_pool(len(cv.load_dataset(dataset)[0].y_train))[1])
        sizes = [r.n_train for r in groups["data"] if r.dataset == dataset and r.label_noise == 0]
        assert len(sizes) >= 5 and max(sizes) <= pool
        for arch in cv.ARCHS:
            assert len([r for r in groups["width"] if r.dataset == dataset and r.arch == arch]) >= 6
    assert {r.label_noise for r in groups["data"]} == set(cv.LABEL_NOISE)
    assert len(cv.all_runs()) == len(set(cv.all_runs()))
