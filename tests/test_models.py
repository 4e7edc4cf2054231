"""The byte transformer: shapes, causality, presets, seeding, and configuration errors."""

import pytest
import torch

from scalingzip.nn.flops import count_parameters
from scalingzip.nn.transformer import PRESETS, TransformerConfig, build_model, explicit_attention

SMALL = TransformerConfig(n_layer=2, d_model=16, n_head=4, n_ctx=32)


def _parse_count(name: str) -> float:
    return float(name[:-1]) * {"k": 1e3, "M": 1e6}[name[-1]]


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_names_are_their_rounded_non_embedding_counts(name):
    n = count_parameters(build_model(name)).non_embedding
    assert 0.75 * _parse_count(name) <= n <= 1.25 * _parse_count(name)


def test_presets_span_three_decades():
    counts = [count_parameters(build_model(c)).non_embedding for c in PRESETS.values()]
    assert counts == sorted(counts)
    assert counts[0] < 1.5e3 and counts[-1] > 0.9e6


def test_forward_shape_and_dtype():
    model = build_model(SMALL)
    logits = model(torch.randint(0, 256, (3, 20)))
    assert logits.shape == (3, 20, 256) and logits.dtype == torch.float32


def test_model_is_causal():
    """Changing a later byte must not change the predictions at earlier positions."""
    model = build_model(SMALL).eval()
    x = torch.randint(0, 256, (1, 32), generator=torch.Generator().manual_seed(1))
    y = x.clone()
    y[0, 20] = (y[0, 20] + 1) % 256
    with torch.no_grad():
        a, b = model(x), model(y)
    assert torch.equal(a[0, :20], b[0, :20])
    assert not torch.allclose(a[0, 20:], b[0, 20:])


def test_fused_and_explicit_attention_compute_the_same_function():
    model = build_model(SMALL).eval()
    x = torch.randint(0, 256, (2, 32), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        fused = model(x)
        with explicit_attention(model):
            explicit = model(x)
        again = model(x)
    torch.testing.assert_close(fused, explicit, rtol=1e-5, atol=1e-5)
    assert torch.equal(fused, again), "the context manager restores the fused kernel"


def test_same_seed_same_weights_and_different_seed_different_weights():
    a, b, c = build_model(SMALL, seed=3), build_model(SMALL, seed=3), build_model(SMALL, seed=4)
    for (_, pa), (_, pb), (_, pc) in zip(a.named_parameters(), b.named_parameters(), c.named_parameters()):
        assert torch.equal(pa, pb)
    assert not torch.equal(a.tok_emb.weight, c.tok_emb.weight)


def test_build_model_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    build_model(SMALL, seed=9)
    assert torch.equal(torch.rand(3), expected)


def test_output_layer_is_tied_to_the_embedding():
    model = build_model(SMALL)
    names = [n for n, _ in model.named_parameters()]
    assert not any("head" in n or "lm_" in n for n in names)
    assert count_parameters(model).embedding == 256 * 16 + 32 * 16


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(n_layer=0, d_model=16, n_head=4), "n_layer must be a positive integer"),
        (dict(n_layer=1, d_model=10, n_head=4), "divisible by n_head"),
        (dict(n_layer=1, d_model=16, n_head=4, d_ff=0), "d_ff must be"),
        (dict(n_layer=1, d_model=16, n_head=4, n_ctx=-1), "n_ctx must be"),
    ],
)
def test_bad_configs_are_rejected_with_a_useful_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TransformerConfig(**kwargs)


def test_bad_inputs_to_the_model():
    model = build_model(SMALL)
    with pytest.raises(ValueError, match="exceeds the context"):
        model(torch.zeros(1, 33, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(batch, time\)"):
        model(torch.zeros(33, dtype=torch.long))
    with pytest.raises(ValueError, match="unknown preset"):
        build_model("huge")


def test_config_is_frozen_and_hashable():
    with pytest.raises(AttributeError):
        SMALL.n_layer = 3  # type: ignore[misc]
    assert hash(SMALL) == hash(TransformerConfig(n_layer=2, d_model=16, n_head=4, n_ctx=32))
