"""FLOP and parameter accounting: the closed form must equal PyTorch's exact count."""

import pytest
from torch import nn

from scalingzip.nn.flops import count_parameters, measure_flops, transformer_flops
from scalingzip.nn.transformer import PRESETS, TransformerConfig, build_model


@pytest.mark.parametrize("name", ["1k", "10k", "100k"])
def test_closed_form_equals_measured_count(name):
    config = PRESETS[name]
    measured = measure_flops(build_model(config), batch_size=2)
    closed = transformer_flops(config)
    assert measured.forward_per_token == closed.forward
    assert measured.training_per_token == closed.training
    assert measured.backward == 2 * measured.forward


@pytest.mark.parametrize("seq_len", [1, 7, 32])
def test_attention_term_follows_the_sequence_length(seq_len):
    config = TransformerConfig(n_layer=2, d_model=16, n_head=2, n_ctx=32, d_ff=40)
    measured = measure_flops(build_model(config), batch_size=3, seq_len=seq_len)
    assert measured.forward_per_token == transformer_flops(config, seq_len=seq_len).forward


def test_parameter_count_matches_numel_and_splits_embeddings():
    config = PRESETS["30k"]
    model = build_model(config)
    counts = count_parameters(model)
    assert counts.total == sum(p.numel() for p in model.parameters())
    assert counts.embedding == (256 + config.n_ctx) * config.d_model
    assert counts.non_embedding == transformer_flops(config).non_embedding_params


def test_kaplan_approximation_approaches_the_exact_count_for_wide_models():
    wide = transformer_flops(TransformerConfig(n_layer=4, d_model=1024, n_head=8))
    assert abs(wide.kaplan_params / wide.non_embedding_params - 1) < 0.01
    assert abs(wide.training / wide.six_n - 1) < 0.03


def test_tied_parameters_are_counted_once():
    emb = nn.Embedding(10, 4)
    head = nn.Linear(4, 10, bias=False)
    head.weight = emb.weight
    model = nn.ModuleDict({"emb": emb, "head": head})
    assert count_parameters(model).total == 40
    assert count_parameters(model).embedding == 40


def test_bad_arguments():
    with pytest.raises(TypeError, match="nn.Module"):
        count_parameters("model")
    with pytest.raises(TypeError, match="TransformerConfig"):
        transformer_flops("1k")
    with pytest.raises(ValueError, match="seq_len must be between"):
        transformer_flops(PRESETS["1k"], seq_len=1000)
    with pytest.raises(ValueError, match="batch_size and seq_len"):
        measure_flops(build_model("1k"), batch_size=0)
    with pytest.raises(ValueError, match="seq_len is required"):
        measure_flops(nn.Linear(2, 2))


def test_measuring_leaves_no_gradients_behind():
    model = build_model("1k")
    measure_flops(model)
    assert all(p.grad is None for p in model.parameters())
    assert all(m.fused for m in model.modules() if hasattr(m, "fused"))
