"""Sparse training from scratch: exact per-layer densities, random masks, SET and RigL, and their FLOPs."""

import math

import pytest
import torch

import tiny_lm  # tests/tiny_lm.py: a tiny byte transformer and real text
from scalingzip.nn import pruning as P
from scalingzip.nn import sparse_training as SP
from scalingzip.nn.flops import transformer_flops
from scalingzip.nn.saliency import lm_loss, weight_gradients


def kept(model):
    return {name: int((m != 0).sum()) for name, m in P.masks(model).items()}


@pytest.mark.parametrize("distribution", SP.DISTRIBUTIONS)
@pytest.mark.parametrize("density", [0.05, 0.3, 0.8, 1.0])
def test_densities_add_up_to_the_exact_count_and_the_mask_keeps_it(distribution, density):
    model = tiny_lm.untrained()
    sizes = {name: m.weight.numel() for name, m in P.prunable_layers(model).items()}
    densities = SP.sparse_init(model, density, distribution=distribution, seed=3)
    assert all(0 <= d <= 1 for d in densities.values())
    assert sum(kept(model).values()) == round(density * sum(sizes.values()))
    assert all(kept(model)[n] == round(densities[n] * sizes[n]) for n in sizes)
    if distribution == "uniform":
        assert all(abs(densities[n] * sizes[n] - density * sizes[n]) < 1 for n in sizes)


def test_erk_keeps_small_layers_denser_and_caps_them_at_one():
    model = tiny_lm.untrained()
    layers = P.prunable_layers(model)
    ratio = {n: sum(m.weight.shape) / math.prod(m.weight.shape) for n, m in layers.items()}
    densities = SP.layer_densities(model, 0.3)
    for a in ratio:  # the density follows sum(shape) / prod(shape), to a weight's rounding
        for b in ratio:
            if ratio[a] > ratio[b] * 1.01:
                assert densities[a] >= densities[b]
    capped = SP.layer_densities(model, 0.9)
    assert max(capped.values()) == 1.0 and min(capped.values()) < 0.9


def test_a_seeded_mask_is_reproducible():
    a, b, c = tiny_lm.untrained(), tiny_lm.untrained(), tiny_lm.untrained()
    SP.sparse_init(a, 0.2, seed=1)
    SP.sparse_init(b, 0.2, seed=1)
    SP.sparse_init(c, 0.2, seed=2)
    assert all(torch.equal(P.masks(a)[n], P.masks(b)[n]) for n in P.masks(a))
    assert any(not torch.equal(P.masks(a)[n], P.masks(c)[n]) for n in P.masks(a))


@pytest.mark.parametrize("method", SP.METHODS)
def test_prune_and_regrow_keeps_each_layers_count_and_grown_weights_start_at_zero(method):
    model = tiny_lm.untrained()
    SP.sparse_init(model, 0.3, seed=0)
    counts = kept(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    updater = SP.PruneRegrow(method, every=3, end=10, seed=0)
    batches = tiny_lm.batches(12, batch_size=4)
    updates = 0
    for step in range(1, 11):
        loss = lm_loss(model, batches[step])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        before_masks = P.masks(model)
        before = {n: (m.weight_orig * m.weight_mask).detach().clone() for n, m in P.prunable_layers(model).items()}
        grads = weight_gradients(model, P.prunable_layers(model), batches[0], lm_loss)
        grown = updater.step(model, optimizer, step, batch=batches[0])
        assert updater.updates_at(step) == (step in (3, 6, 9)) and (grown > 0 or not updater.updates_at(step))
        if not updater.updates_at(step):
            assert all(torch.equal(P.masks(model)[n], before_masks[n]) for n in before_masks)
            continue
        updates += 1
        assert kept(model) == counts  # the sparsity is exact, layer by layer
        moved = 0
        for name, layer in P.prunable_layers(model).items():
            new, old = P.masks(model)[name] != 0, before_masks[name] != 0
            after = layer.weight_orig * layer.weight_mask
            # new weights are zero, the others unchanged: the function changes by the dropped weights only
            assert torch.equal(after, before[name] * new)
            state = optimizer.state[layer.weight_orig]
            newly = new & ~old
            assert bool((state["exp_avg"][newly] == 0).all()) and bool((state["exp_avg_sq"][newly] == 0).all())
            moved += int(newly.sum())
            if method == "rigl" and newly.any() and (~new & ~old).any():  # the largest gradients were grown
                g = grads[name].abs()
                assert float(g[newly].min()) >= float(g[~new & ~old].max())
        assert moved == grown
    assert updates == 3


def test_the_update_fraction_decays_as_a_cosine():
    updater = SP.PruneRegrow("set", every=10, end=100, fraction=0.3)
    assert updater.fraction_at(0) == pytest.approx(0.3)
    assert updater.fraction_at(50) == pytest.approx(0.15)
    assert updater.fraction_at(100) == pytest.approx(0.0)
    assert [t for t in range(0, 130) if updater.updates_at(t)] == list(range(10, 100, 10))


def test_training_flops_scale_with_density_and_rigl_pays_for_its_dense_gradients():
    config = tiny_lm.CONFIG
    model = tiny_lm.untrained()
    dense = SP.sparse_training_flops(model)
    assert dense.training == transformer_flops(config).training and dense.relative == 1.0
    SP.sparse_init(model, 0.25, distribution="uniform")
    static = SP.sparse_training_flops(model)
    linear_kept = sum(kept(model)[n] for n in tiny_lm.linear_layers(model))
    attention = 4 * config.n_layer * config.n_ctx * config.d_model  # untouched by masks
    assert static.sparse_forward == 2 * linear_kept + 2 * kept(model)["tok_emb"] + attention
    assert static.training == 3 * static.sparse_forward
    assert SP.sparse_training_flops(model, method="set").training == static.training
    rigl = SP.sparse_training_flops(model, method="rigl", every=100)
    assert rigl.training == pytest.approx(static.training + (2 * static.sparse_forward + dense.dense_forward) / 100)
    assert static.relative < 0.45  # a quarter of the weights, plus the dense attention term


def test_bad_input_is_refused():
    model = tiny_lm.untrained()
    for bad in (0.0, -0.5, 1.5, True):
        with pytest.raises(ValueError, match=r"\(0, 1\]"):
            SP.layer_densities(model, bad)
    with pytest.raises(ValueError, match="distribution"):
        SP.sparse_init(model, 0.5, distribution="normal")
    with pytest.raises(ValueError, match="method"):
        SP.PruneRegrow("snip", end=10)
    with pytest.raises(ValueError, match="fraction"):
        SP.PruneRegrow("set", end=10, fraction=1.0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="no mask"):
        SP.PruneRegrow("set", every=1, end=10).step(model, optimizer, 1)
    SP.sparse_init(model, 0.5)
    with pytest.raises(ValueError, match="pass a batch"):
        SP.PruneRegrow("rigl", every=1, end=10).step(model, optimizer, 1)
    with pytest.raises(ValueError, match="optimizer does not train"):
        other = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1)
        SP.PruneRegrow("set", every=1, end=10).step(model, other, 1)
    with pytest.raises(ValueError, match="every"):
        SP.sparse_training_flops(model, method="rigl")
