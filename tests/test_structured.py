"""Structured pruning of a byte transformer: heads and MLP neurons out, and a smaller model with the same function."""

import pytest
import torch

import tiny_lm  # tests/tiny_lm.py: a tiny byte transformer trained once per process
from scalingzip.nn import pruning as P
from scalingzip.nn import structured as ST
from scalingzip.nn.determinism import weights_checksum
from scalingzip.nn.flops import count_parameters, measure_flops, sparse_forward_flops, transformer_flops
from scalingzip.nn.train import evaluate_bits_per_byte
from scalingzip.nn.transformer import TransformerConfig, build_model


def logits(model, batch):
    with torch.no_grad():
        return model(batch[:, :-1])


def test_removed_heads_and_neurons_leave_a_smaller_model_with_the_same_function():
    model = tiny_lm.trained()
    ST.mask_heads(model, {0: [1], 1: [0, 2, 3]})
    ST.mask_neurons(model, {0: range(0, 64, 2), 1: range(40)})
    masked_loss = evaluate_bits_per_byte(model, tiny_lm.text()[1])
    small = ST.shrink_transformer(model)
    assert small.config.heads == (3, 1) and small.config.ff_widths == (32, 24)
    assert ST.unit_counts(model) == ((3, 1), (32, 24))
    batch = tiny_lm.batches(1)[0]
    assert torch.allclose(logits(small, batch), logits(model, batch), atol=1e-5)
    assert evaluate_bits_per_byte(small, tiny_lm.text()[1]) == pytest.approx(masked_loss, abs=1e-5)
    # each head is 4 wide: a block keeps 3 * 4 h (d + 1) + 4 h d + d of its attention and f (2d + 1) + d of its MLP
    d = 16
    expected = sum(3 * 4 * h * (d + 1) + 4 * h * d + d + f * (2 * d + 1) + d + 4 * d for h, f in ((3, 32), (1, 24)))
    assert count_parameters(small).non_embedding == expected + 2 * d  # + the final LayerNorm
    assert sum(p.numel() for p in small.parameters()) < sum(p.numel() for p in build_model(tiny_lm.CONFIG).parameters())
    again = ST.shrink_transformer(small)  # nothing left to remove
    assert again.config == small.config and torch.equal(logits(again, batch), logits(small, batch))
    assert len(weights_checksum(small)) == 64  # its shape (a SlimConfig) and weights can be checksummed


def test_unstructured_masks_and_zeroed_value_paths_are_followed_too():
    model = tiny_lm.trained()
    ST.prune_heads(model, 2)
    ST.prune_neurons(model, 50)
    P.magnitude_prune(model, 0.6)  # unstructured on top: its zeros stay zeros in the smaller matrices
    heads, neurons = ST.unit_counts(model)
    assert sum(heads) == 6 and sum(neurons) <= 128 - 50
    block = model.blocks[1]
    live = [h for h in range(4) if bool(P.masks(model)["blocks.1.attn.proj"][:, 4 * h:4 * h + 4].any())]
    v_rows = slice(2 * 16 + 4 * live[0], 2 * 16 + 4 * live[0] + 4)  # a live head's value rows
    mask = P.masks(model)["blocks.1.attn.qkv"]
    mask[v_rows] = 0
    P._set_mask(block.attn.qkv, mask)
    with torch.no_grad():
        block.attn.qkv.bias_orig[v_rows] = 0  # no values: the head outputs zero, whatever its queries and keys
    small = ST.shrink_transformer(model)
    assert small.config.heads == (heads[0], heads[1] - 1) and small.config.ff_widths == neurons
    batch = tiny_lm.batches(1)[0]
    assert torch.allclose(logits(small, batch), logits(model, batch), atol=1e-5)


def test_the_lowest_scored_units_go_first_and_every_block_keeps_one():
    model = tiny_lm.trained()
    scores = ST.head_scores(model)
    removed = ST.prune_heads(model, 3, scores=scores)
    flat = sorted((float(s[h]), b, h) for b, s in enumerate(scores) for h in range(4))
    best = {b: max(range(4), key=lambda h: float(scores[b][h])) for b in range(2)}
    expected = [(b, h) for _, b, h in flat if h != best[b]][:3]
    assert sorted((b, h) for b, hs in removed.items() for h in hs) == sorted(expected)
    assert all(float(ST.head_scores(model)[b][h]) == 0 for b, hs in removed.items() for h in hs)  # masked: zero norm
    ST.prune_heads(model, 3)  # the 3 removable heads left (8 heads, one kept in each block, 3 gone)
    assert ST.unit_counts(model)[0] == (1, 1)
    with pytest.raises(ValueError, match="n_remove must be an int from 0 to 0"):
        ST.prune_heads(model, 1)
    neurons = ST.prune_neurons(model, 126)  # all but one in each block
    assert sum(map(len, neurons.values())) == 126 and ST.unit_counts(model)[1] == (1, 1)
    small = ST.shrink_transformer(model)
    batch = tiny_lm.batches(1)[0]
    assert torch.allclose(logits(small, batch), logits(model, batch), atol=1e-5)


def test_taylor_unit_scores_are_the_gradient_of_a_gate_on_the_unit():
    model = tiny_lm.trained()
    batches = tiny_lm.batches(2)
    scores = ST.neuron_scores(model, method="taylor", batches=batches)
    gate = torch.ones(64, requires_grad=True)
    hook = model.blocks[0].mlp[1].register_forward_hook(lambda m, i, out: out * gate)  # gate GELU's outputs
    expected = torch.zeros(64)
    try:
        for batch in batches:
            out = model(batch[:, :-1])
            loss = torch.nn.functional.cross_entropy(out.reshape(-1, 256), batch[:, 1:].reshape(-1))
            (g,) = torch.autograd.grad(loss, [gate])
            expected += g.abs() / len(batches)
    finally:
        hook.remove()
    assert torch.allclose(scores[0], expected, rtol=1e-3, atol=1e-8)
    heads = ST.head_scores(model, method="taylor", batches=batches)
    assert [tuple(h.shape) for h in heads] == [(4,), (4,)] and all(bool((h >= 0).all()) for h in heads)


def test_flop_counts_follow_masks_and_shrunk_widths():
    config = TransformerConfig(n_layer=2, d_model=16, n_head=4, n_ctx=32)
    dense = build_model(config)
    assert sparse_forward_flops(dense) == transformer_flops(config).forward
    assert sparse_forward_flops(dense, seq_len=7) == transformer_flops(config, seq_len=7).forward
    ST.mask_heads(dense, {0: [0, 1]})
    ST.mask_neurons(dense, {1: range(10)})
    small = ST.shrink_transformer(dense)
    assert sparse_forward_flops(small) == measure_flops(small, batch_size=1).forward_per_token
    # the masked model skips exactly what the smaller one does not have, except the attention term
    attention_saved = 4 * 32 * 2 * 4  # two heads of 4 dimensions over 32 keys
    assert sparse_forward_flops(dense) - attention_saved == sparse_forward_flops(small)
    assert sparse_forward_flops(dense, dense=True) == transformer_flops(config).forward


def test_bad_input_is_refused():
    model = tiny_lm.trained()
    with pytest.raises(ValueError, match="block index 5"):
        ST.mask_heads(model, {5: [0]})
    with pytest.raises(ValueError, match="heads 0 to 3"):
        ST.mask_heads(model, {0: [4]})
    with pytest.raises(ValueError, match="neurons 0 to 63"):
        ST.mask_neurons(model, {0: [64]})
    with pytest.raises(ValueError, match="method"):
        ST.head_scores(model, method="entropy")
    with pytest.raises(ValueError, match="calibration data"):
        ST.neuron_scores(model, method="taylor")
    with pytest.raises(ValueError, match="one tensor per block"):
        ST.prune_heads(model, 1, scores=[torch.ones(4)])
    with pytest.raises(TypeError, match="ByteTransformer"):
        ST.shrink_transformer(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="heads"):
        ST.SlimConfig(base=tiny_lm.CONFIG, heads=(5, 1), ff_widths=(4, 4))
    with pytest.raises(ValueError, match="one entry per block"):
        ST.SlimConfig(base=tiny_lm.CONFIG, heads=(1,), ff_widths=(4, 4))
    for bad in (dict(repeats=0), dict(batch_size=-1), dict(seq_len=33)):  # checked before anything is timed
        with pytest.raises(ValueError):
            ST.measure_speedup(model, model, **bad)
