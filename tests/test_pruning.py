"""Pruning, quantisation and the coded size of a network (a byte transformer's at 2 to 16 bits, and its two-part code)."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

import tiny_lm  # tests/tiny_lm.py: a tiny byte transformer and real text
from scalingzip.coding import container
from scalingzip.coding.arithmetic import ArithmeticDecoder, ArithmeticEncoder
from scalingzip.compressors import compress, decompress
from scalingzip.compressors.epoch import EpochConfig, evaluate_bits
from scalingzip.compressors import weights as W
from scalingzip.nn import pruning as P
from scalingzip.nn.classifiers import build_classifier

X = torch.randn(16, 1, 8, 8, generator=torch.Generator().manual_seed(1))
Y = torch.randint(0, 10, (16,), generator=torch.Generator().manual_seed(2))


def mlp(width=32, seed=0):
    torch.manual_seed(seed)
    return build_classifier("mlp", width, (1, 8, 8), 10)


def cnn(width=8, seed=0):
    torch.manual_seed(seed)
    return build_classifier("cnn", width, (1, 8, 8), 10)


def train(model, steps=25, lr=1e-2):
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.1)  # decay pulls on pruned weights too
    for _ in range(steps):
        loss = F.cross_entropy(model(X), Y)
        opt.zero_grad()
        loss.backward()
        opt.step()


def n_pruned(model):
    return sum(int((m == 0).sum()) for m in P.masks(model).values())


def n_weights(model):
    return sum(m.numel() for m in P.masks(model).values())


@pytest.mark.parametrize("target", [0.0, 0.3, 0.5, 0.9, 0.999])
def test_the_requested_sparsity_is_reached_exactly(target):
    model = mlp()
    train(model, steps=5)
    per_layer = P.magnitude_prune(model, target)
    assert n_pruned(model) == round(target * n_weights(model))
    assert P.sparsity(model) == pytest.approx(target, abs=1 / n_weights(model))
    model = mlp()
    per_layer = P.magnitude_prune(model, target, scope="layer")
    for name, m in P.masks(model).items():
        assert int((m == 0).sum()) == round(target * m.numel())
        assert per_layer[name] == pytest.approx(target, abs=1 / m.numel())


def test_the_smallest_weights_go_first_and_masks_only_grow():
    model = mlp()
    P.magnitude_prune(model, 0.6)
    layers = P.prunable_layers(model)
    kept = torch.cat([layers[n].weight[m != 0].abs() for n, m in P.masks(model).items()])
    gone = torch.cat([layers[n].weight_orig[m == 0].abs() for n, m in P.masks(model).items()])
    assert gone.max() <= kept.min()
    before = P.masks(model)
    P.magnitude_prune(model, 0.8)  # iterative: the old zeros stay zero
    assert all(bool((P.masks(model)[n][before[n] == 0] == 0).all()) for n in before)
    with pytest.raises(ValueError, match="masks only grow"):
        P.magnitude_prune(model, 0.5)


def test_masked_weights_stay_zero_through_training():
    model = cnn()
    P.magnitude_prune(model, 0.7)
    mask = P.masks(model)
    train(model)
    for name, layer in P.prunable_layers(model).items():
        assert bool((layer.weight[mask[name] == 0] == 0).all())
    assert P.sparsity(model) == pytest.approx(0.7, abs=1e-3)


def test_bad_arguments_are_refused():
    model = mlp()
    for bad in (-0.1, 1.0, 1.5, True, "0.5"):
        with pytest.raises(ValueError, match=r"\[0, 1\)"):
            P.magnitude_prune(model, bad)
    with pytest.raises(ValueError, match="unknown layer 'fc9'"):
        P.magnitude_prune(model, 0.5, layers=["fc9"])
    with pytest.raises(ValueError, match="scope"):
        P.magnitude_prune(model, 0.5, scope="row")
    with pytest.raises(ValueError, match="n_remove"):
        P.prune_units(model, "1", 32)
    with pytest.raises(ValueError, match="unknown layer"):
        P.prune_units(model, "conv1", 2)
    with pytest.raises(ValueError, match="no Linear, Conv or Embedding"):
        P.sparsity(nn.Sequential(nn.ReLU()))
    with pytest.raises(ValueError, match="bits"):
        P.quantize_uniform(np.ones(4), 0)


@pytest.mark.parametrize("make", [mlp, cnn])
def test_structured_pruning_removes_whole_units_and_the_smaller_network_is_the_same_function(make):
    model = make()
    train(model, steps=5)
    names = list(P.prunable_layers(model))
    for name in names[:-1]:  # every layer but the output layer
        n_units = P.prunable_layers(model)[name].weight.shape[0]
        removed = P.prune_units(model, name, n_units // 2)
        assert len(removed) == n_units // 2
    small = P.shrink(model)
    assert sum(p.numel() for p in small.parameters()) < sum(p.numel() for p in model.parameters()) * 0.6
    for name, layer in P.prunable_layers(small).items():
        if name != names[-1]:
            assert layer.weight.shape[0] == P.prunable_layers(model)[name].weight.shape[0] // 2 + \
                P.prunable_layers(model)[name].weight.shape[0] % 2
    with torch.no_grad():
        assert torch.allclose(small(X), model(X), atol=1e-5)


def test_gradual_schedule_is_zhu_and_gupta_cubic():
    kw = dict(final=0.9, start=100, end=1100, every=100)
    assert P.gradual_sparsity(0, **kw) == 0.0 and P.gradual_sparsity(5000, **kw) == 0.9
    values = [P.gradual_sparsity(t, **kw) for t in range(0, 1300, 50)]
    assert values == sorted(values)
    assert P.gradual_sparsity(600, **kw) == pytest.approx(0.9 * (1 - 0.5**3))
    assert P.gradual_sparsity(650, **kw) == P.gradual_sparsity(600, **kw)  # only every 100 steps
    with pytest.raises(ValueError):
        P.gradual_sparsity(10, final=0.5, start=10, end=10)


def test_rewinding_keeps_the_mask_and_reinitializing_changes_the_weights():
    model = mlp()
    init = P.weights_snapshot(model)
    train(model)
    P.magnitude_prune(model, 0.8)
    mask = P.masks(model)
    P.rewind(model, init)
    for name, layer in P.prunable_layers(model).items():
        assert torch.equal(layer.weight_orig, init[name])
        assert torch.equal(P.masks(model)[name], mask[name])
    P.reinitialize(model, seed=7)
    other = P.weights_snapshot(model)
    assert all(not torch.equal(other[n], init[n]) for n in init)
    assert all(torch.equal(P.masks(model)[n], mask[n]) for n in mask)
    P.reinitialize(model, seed=7)
    assert all(torch.equal(P.weights_snapshot(model)[n], other[n]) for n in other)  # seeded


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_quantisation_error_is_within_the_step_bound(bits):
    w = np.random.default_rng(bits).normal(size=3000)
    q = P.quantize_uniform(w, bits)
    step = (w.max() - w.min()) / (2**bits - 1)
    assert np.abs(q.values() - w).max() <= step / 2 + 1e-6
    assert len(q.codebook) == 2**bits and q.indices.min() >= 0 and q.indices.max() < 2**bits
    k = P.quantize_kmeans(w, bits)
    assert len(k.codebook) <= 2**bits
    # k-means fits the distribution at least as well as even spacing (mean squared error)
    assert np.mean((k.values() - w) ** 2) <= np.mean((q.values() - w) ** 2) * 1.001
    # every value goes to its nearest centroid
    nearest = np.abs(w[:, None] - k.codebook[None, :].astype(np.float64)).argmin(1)
    assert np.allclose(k.codebook[nearest], k.values())


@pytest.mark.parametrize("method,bits", [("float32", 5), ("uniform", 3), ("kmeans", 5)])
def test_the_weights_code_round_trips(method, bits):
    model = cnn()
    train(model, steps=5)
    P.magnitude_prune(model, 0.75)
    train(model, steps=3)
    blob = W.encode_weights(model, method=method, bits=bits)
    decoded = W.decode_weights(blob, model)
    assert W.weights_code_length_bits(model, method=method, bits=bits) == 8 * len(blob)
    for name, layer in P.prunable_layers(decoded).items():
        original = P.prunable_layers(model)[name]
        w = (original.weight_orig * original.weight_mask).detach()
        assert bool((layer.weight[w == 0] == 0).all())  # the mask is exact
        kept = w[w != 0].numpy()
        if method == "float32":
            assert torch.equal(layer.weight, w)
        else:  # the kept weights are the quantised ones, to the bit
            q = (P.quantize_kmeans if method == "kmeans" else P.quantize_uniform)(kept, bits)
            assert np.array_equal(layer.weight[w != 0].detach().numpy(), q.values())
        assert torch.equal(layer.bias, original.bias.detach())
    if method == "float32":
        with torch.no_grad():
            assert torch.equal(decoded(X), model(X))
    # sparse and quantised, the code is far smaller than float32
    assert 8 * len(blob) < W.float32_bits(model) * (0.5 if method == "float32" else 0.2)


def test_a_damaged_weights_code_is_refused():
    model = mlp(width=8)
    P.magnitude_prune(model, 0.5)
    blob = W.encode_weights(model, method="kmeans", bits=3)
    header = container.unpack(blob)
    start = len(blob) - len(header.payload)
    for pos in range(start, len(blob)):  # every byte of the payload
        damaged = bytearray(blob)
        damaged[pos] ^= 0x24
        with pytest.raises(ValueError):
            W.decode_weights(bytes(damaged), model)
    with pytest.raises(ValueError, match="does not fit"):
        W.decode_weights(blob, mlp(width=9))
    with pytest.raises(ValueError, match="not encode_weights"):
        W.decode_weights(compress(b"abc", "order0"), model)
    with pytest.raises(ValueError, match="template="):
        decompress(blob)


# --- a byte transformer's weights at 2 to 16 bits, and the two-part code --------------------------


@pytest.mark.parametrize("bits", [2, 4, 8, 12, 13, 16])
@pytest.mark.parametrize("method", ["uniform", "kmeans"])
def test_a_transformer_codes_at_every_bit_width_and_decodes_to_the_quantised_model(method, bits):
    model = tiny_lm.untrained()
    P.magnitude_prune(model, 0.5)
    blob = W.encode_weights(model, method=method, bits=bits)
    decoded, quantised = W.decode_weights(blob, model), P.quantize_model(model, method=method, bits=bits)
    for (name, a), b in zip(decoded.state_dict().items(), quantised.state_dict().values()):
        assert torch.equal(a, b), name  # the coder is lossless after the quantiser
    for name, layer in P.prunable_layers(decoded).items():
        kept = layer.weight[P.masks(model)[name] != 0]
        assert bool((layer.weight[P.masks(model)[name] == 0] == 0).all())
        assert len(torch.unique(kept)) <= min(2**bits, kept.numel())
    if bits == 16:  # finer levels, longer code
        assert len(blob) > len(W.encode_weights(model, method=method, bits=4))


def test_kmeans_at_16_bits_runs_no_more_centroids_than_there_are_values():
    values = np.random.default_rng(0).normal(size=300)
    q = P.quantize_kmeans(values, 16)
    assert len(q.codebook) <= 300 and np.abs(q.values() - values).max() < 0.05
    nearest = np.abs(values[:, None] - q.codebook[None, :].astype(np.float64)).argmin(1)
    assert np.array_equal(q.codebook[nearest], q.values())
    assert len(P.quantize_kmeans(np.array([0.5, -0.5, 0.5]), 16).codebook) == 2


def test_codebooks_of_up_to_65536_levels_fit_the_format():
    assert W._size_format(12) == ">H" and W._size_format(15) == ">H" and W._size_format(16) == ">I"
    assert W._index_model(4096).max_total == 1 << 16  # up to 12 bits, the code is as it always was
    symbols = [0, 65535, 32768, 65535, 7, 0, 65535] * 20
    encoder, model = ArithmeticEncoder(), W._index_model(65536)
    for s in symbols:
        model.encode(s, encoder)
    decoder, model = ArithmeticDecoder(encoder.finish()), W._index_model(65536)
    assert [model.decode(decoder) for _ in symbols] == symbols
    with pytest.raises(ValueError, match="bits"):
        W.encode_weights(mlp(), method="kmeans", bits=17)
    with pytest.raises(ValueError, match="bits"):
        P.quantize_model(mlp(), method="kmeans", bits=0)
    with pytest.raises(ValueError, match="method"):
        P.quantize_model(mlp(), method="lloyd", bits=4)


@pytest.mark.parametrize("method,bits", [("float32", 5), ("kmeans", 3), ("uniform", 16)])
def test_the_two_part_length_is_the_weights_code_plus_the_data_under_the_decoded_model(method, bits):
    model = tiny_lm.trained()
    P.magnitude_prune(model, 0.6)
    held_out = tiny_lm.text()[1][:1000]
    two_part = W.two_part_code_length_bits(model, held_out, method=method, bits=bits, seq_len=31)
    blob = W.encode_weights(model, method=method, bits=bits)
    assert two_part.model_bits == 8 * len(blob)
    assert two_part.data_bits == evaluate_bits(W.decode_weights(blob, model), held_out, EpochConfig(seq_len=31))
    assert two_part.total_bits == two_part.model_bits + two_part.data_bits
    assert two_part.bits_per_byte == two_part.total_bits / 1000 and two_part.n_bytes == 1000
    with pytest.raises(ValueError, match="empty"):
        W.two_part_code_length_bits(model, b"", method=method, bits=bits)
    with pytest.raises(ValueError, match="seq_len"):
        W.two_part_code_length_bits(model, held_out, method=method, bits=bits, seq_len=32)
