"""Structured pruning of byte transformers: whole attention heads and MLP neurons, then a smaller model.

Unstructured sparsity shortens the weights' code, but a dense CPU kernel multiplies the zeros all
the same. Removing whole units makes the matrices smaller, so the model itself gets faster:

* A **head** of block ``l`` is the ``head_size`` rows of each of Q, K and V in ``attn.qkv`` and the
  ``head_size`` columns of ``attn.proj`` that read its output. :func:`mask_heads` masks them (and
  the rows' biases) with the pruning masks of :mod:`scalingzip.nn.pruning`, which removes the
  head's contribution exactly.
* An **MLP neuron** ``j`` is row ``j`` of ``mlp.0`` (with its bias) and column ``j`` of ``mlp.2``;
  :func:`mask_neurons` masks them (GELU(0) = 0, so the neuron then outputs nothing).
* :func:`head_scores` and :func:`neuron_scores` say which to remove: the L2 norm of the unit's
  slice of the matrix that reads it (``attn.proj``'s columns, ``mlp.2``'s columns: how much it
  writes into the residual stream), or its Taylor importance |Σ W ⊙ ∂L/∂W| over that slice, which
  is exactly |∂L/∂ξ| for a gate ξ multiplying the unit's output (Michel et al. 2019's head
  importance; Molchanov et al. 2019's group Taylor criterion). :func:`prune_heads` and
  :func:`prune_neurons` remove the lowest-scored units across all blocks, always leaving each
  block at least one.
* :func:`shrink_transformer` builds a :class:`SlimTransformer`, the dense model without the dead
  units, which computes the same function (a unit is dead when the weights that read it are zero,
  or when its value path, V rows or ``mlp.0`` row, and their biases, are zero). Then
  :func:`measure_speedup` times the two on a CPU.

Why a new class and not new fields of :class:`~scalingzip.nn.transformer.TransformerConfig`: the
config's fields are hashed into the keys of every stored study run and into the checksum of every
saved model file (``dataclasses.asdict``), so a new field, even defaulting to None, would change
all of them. :class:`SlimConfig` instead holds the original config and a head count and MLP width
per block; :class:`SlimTransformer` is a ``ByteTransformer`` (same forward, same parameter names)
whose blocks have those widths, each head keeping the original ``head_size``.

References:
    P. Michel, O. Levy and G. Neubig (2019), "Are Sixteen Heads Really Better than One?", NeurIPS.
    P. Molchanov, A. Mallya, S. Tyree, I. Frosio and J. Kautz (2019), "Importance Estimation for
    Neural Network Pruning", CVPR.
    E. Voita, D. Talbot, F. Moiseev, R. Sennrich and I. Titov (2019), "Analyzing Multi-Head
    Self-Attention: Specialized Heads Do the Heavy Lifting, the Rest Can Be Pruned", ACL.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from scalingzip.nn.determinism import one_thread
from scalingzip.nn.pruning import _current, _mask, _set_mask
from scalingzip.nn.saliency import Loss, _check_batches, lm_loss, weight_gradients
from scalingzip.nn.transformer import Block, ByteTransformer, TransformerConfig

__all__ = [
    "SlimConfig",
    "SlimTransformer",
    "SpeedUp",
    "head_scores",
    "mask_heads",
    "mask_neurons",
    "measure_speedup",
    "neuron_scores",
    "prune_heads",
    "prune_neurons",
    "shrink_transformer",
    "unit_counts",
]

UNIT_SCORES = ("norm", "taylor")


@dataclass(frozen=True, kw_only=True)
class SlimConfig:
    """The shape of a structurally pruned byte transformer: its original config, and per block the
    heads kept (each of the original ``head_size``) and the MLP width kept. Frozen: it keys a cache."""

    base: TransformerConfig  # the unpruned shape: d_model, n_ctx, vocabulary and head size
    heads: tuple[int, ...]  # heads in each block, 1 to base.n_head
    ff_widths: tuple[int, ...]  # MLP hidden width of each block, at least 1

    def __post_init__(self) -> None:
        if not isinstance(self.base, TransformerConfig):
            raise TypeError(f"base must be a TransformerConfig; got {type(self.base).__name__}")
        for name, values, top in (("heads", self.heads, self.base.n_head), ("ff_widths", self.ff_widths, None)):
            if not isinstance(values, tuple) or len(values) != self.base.n_layer:
                raise ValueError(f"{name} must be a tuple with one entry per block ({self.base.n_layer}); "
                                 f"got {values!r}")
            if any(isinstance(v, bool) or not isinstance(v, int) or v < 1 or (top is not None and v > top)
                   for v in values):
                raise ValueError(f"each of {name} must be an int from 1 to {top or 'any'}; got {values!r}")

    # what ByteTransformer's forward and the package's helpers read from a config
    @property
    def n_layer(self) -> int:
        return self.base.n_layer

    @property
    def d_model(self) -> int:
        return self.base.d_model

    @property
    def n_ctx(self) -> int:
        return self.base.n_ctx

    @property
    def vocab_size(self) -> int:
        return self.base.vocab_size

    @property
    def head_size(self) -> int:
        return self.base.d_model // self.base.n_head


class SlimTransformer(ByteTransformer):
    """A :class:`~scalingzip.nn.transformer.ByteTransformer` whose blocks have their own head counts
    and MLP widths (a :class:`SlimConfig`). Same forward and parameter names; its weights are set by
    :func:`shrink_transformer` (the initial ones are drawn from the global generator)."""

    def __init__(self, config: SlimConfig) -> None:
        if not isinstance(config, SlimConfig):
            raise TypeError(f"config must be a SlimConfig; got {type(config).__name__}")
        super().__init__(config.base)
        self.blocks = nn.ModuleList(Block(config.base, n_head=h, d_ff=f)
                                    for h, f in zip(config.heads, config.ff_widths))
        self.config = config


def _blocks(model: nn.Module) -> list[Block]:
    if not isinstance(model, ByteTransformer):
        raise TypeError(f"expected a ByteTransformer (or SlimTransformer); got {type(model).__name__}")
    return list(model.blocks)


def _head_rows(block: Block, h: int) -> torch.Tensor:
    """Rows of ``attn.qkv`` that compute head ``h``'s query, key and value."""
    hs, inner = block.attn.head_size, block.attn.n_head * block.attn.head_size
    own = torch.arange(h * hs, (h + 1) * hs)
    return torch.cat([own, own + inner, own + 2 * inner])


def _head_cols(block: Block, h: int) -> slice:
    hs = block.attn.head_size
    return slice(h * hs, (h + 1) * hs)


def _masked_bias(module: nn.Linear) -> torch.Tensor:
    return _current(module, "bias") if module.bias is not None else torch.zeros(module.weight.shape[0])


def _dead_heads(block: Block) -> list[bool]:
    """A head contributes nothing if ``proj`` reads none of it, or its values (and their biases) are zero."""
    proj, qkv, bias = _current(block.attn.proj), _current(block.attn.qkv), _masked_bias(block.attn.qkv)
    out = []
    for h in range(block.attn.n_head):
        v_rows = _head_rows(block, h)[2 * block.attn.head_size:]
        out.append(bool((proj[:, _head_cols(block, h)] == 0).all())
                   or bool((qkv[v_rows] == 0).all() and (bias[v_rows] == 0).all()))
    return out


def _dead_neurons(block: Block) -> list[bool]:
    """A neuron contributes nothing if ``mlp.2`` reads none of it, or its input row and bias are zero."""
    up, down, bias = _current(block.mlp[0]), _current(block.mlp[2]), _masked_bias(block.mlp[0])
    return ((down == 0).all(dim=0) | ((up == 0).all(dim=1) & (bias == 0))).tolist()


def unit_counts(model: nn.Module) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(live heads, live MLP neurons) of each block: what :func:`shrink_transformer` keeps (at least one each)."""
    blocks = _blocks(model)
    return (tuple(max(1, h.count(False)) for h in map(_dead_heads, blocks)),
            tuple(max(1, n.count(False)) for n in map(_dead_neurons, blocks)))


def mask_heads(model: nn.Module, heads: Mapping[int, Iterable[int]]) -> None:
    """Mask whole heads, in place: ``{block index: [head indices]}``. Their Q, K, V rows and biases in
    ``attn.qkv`` and their columns of ``attn.proj`` are masked (other masks are kept).

    Raises:
        ValueError: for a block or head index out of range.
    """
    blocks = _blocks(model)
    for b, hs in heads.items():
        if not 0 <= b < len(blocks):
            raise ValueError(f"block index {b} out of range; the model has {len(blocks)} blocks")
        block, hs = blocks[b], sorted(set(hs))
        if any(not 0 <= h < block.attn.n_head for h in hs):
            raise ValueError(f"block {b} has heads 0 to {block.attn.n_head - 1}; got {hs}")
        if not hs:
            continue
        rows = torch.cat([_head_rows(block, h) for h in hs])
        qkv, proj = block.attn.qkv, block.attn.proj
        with torch.no_grad():
            mask = _mask(qkv).clone()
            mask[rows] = 0
            _set_mask(qkv, mask)
            bias_mask = _mask(qkv, "bias").clone()
            bias_mask[rows] = 0
            _set_mask(qkv, bias_mask, "bias")
            mask = _mask(proj).clone()
            for h in hs:
                mask[:, _head_cols(block, h)] = 0
            _set_mask(proj, mask)


def mask_neurons(model: nn.Module, neurons: Mapping[int, Iterable[int]]) -> None:
    """Mask whole MLP neurons, in place: ``{block index: [neuron indices]}``. Their rows and biases
    of ``mlp.0`` and their columns of ``mlp.2`` are masked (other masks are kept).

    Raises:
        ValueError: for a block or neuron index out of range.
    """
    blocks = _blocks(model)
    for b, js in neurons.items():
        if not 0 <= b < len(blocks):
            raise ValueError(f"block index {b} out of range; the model has {len(blocks)} blocks")
        up, down = blocks[b].mlp[0], blocks[b].mlp[2]
        js = sorted(set(js))
        if any(not 0 <= j < up.out_features for j in js):
            raise ValueError(f"block {b} has neurons 0 to {up.out_features - 1}; got {js}")
        if not js:
            continue
        with torch.no_grad():
            mask = _mask(up).clone()
            mask[js] = 0
            _set_mask(up, mask)
            bias_mask = _mask(up, "bias").clone()
            bias_mask[js] = 0
            _set_mask(up, bias_mask, "bias")
            mask = _mask(down).clone()
            mask[:, js] = 0
            _set_mask(down, mask)


def _unit_scores(model: nn.Module, readers: list[nn.Linear], slices: list[list], method: str,
                 batches: Sequence | None, loss: Loss) -> list[torch.Tensor]:
    """For each block: a score per unit from the columns of ``readers[b]`` listed in ``slices[b]``."""
    if method not in UNIT_SCORES:
        raise ValueError(f"method must be one of {', '.join(UNIT_SCORES)}; got {method!r}")
    if method == "norm":
        return [torch.stack([_current(r)[:, cols].norm() for cols in s]) for r, s in zip(readers, slices)]
    batches = _check_batches(batches, "taylor")
    named = {str(i): r for i, r in enumerate(readers)}
    total = [torch.zeros(len(s), dtype=torch.float64) for s in slices]
    for batch in batches:
        grads = weight_gradients(model, named, batch, loss)
        for i, (r, s) in enumerate(zip(readers, slices)):
            product = (_current(r) * grads[str(i)]).double()
            total[i] += torch.stack([product[:, cols].sum() for cols in s]).abs()  # |∂L/∂(gate)| per batch
    return [(t / len(batches)).float() for t in total]


def head_scores(model: nn.Module, *, method: str = "norm", batches: Sequence | None = None,
                loss: Loss = lm_loss) -> list[torch.Tensor]:
    """A score per head of each block (a list of ``(n_head_b,)`` tensors); low means remove first.

    ``"norm"``: the Frobenius norm of the head's columns of ``attn.proj`` (unitless). ``"taylor"``:
    the mean over ``batches`` of |Σ W ⊙ ∂L/∂W| over those columns, in nats: the first-order change
    of the loss if the head's output were switched off. Heads already removed score zero.

    Raises:
        ValueError: for an unknown method, or ``"taylor"`` without batches.
    """
    blocks = _blocks(model)
    return _unit_scores(model, [b.attn.proj for b in blocks],
                        [[_head_cols(b, h) for h in range(b.attn.n_head)] for b in blocks], method, batches, loss)


def neuron_scores(model: nn.Module, *, method: str = "norm", batches: Sequence | None = None,
                  loss: Loss = lm_loss) -> list[torch.Tensor]:
    """A score per MLP neuron of each block (a list of ``(d_ff_b,)`` tensors), from the neuron's
    column of ``mlp.2`` as :func:`head_scores` does from a head's columns of ``attn.proj``.

    Raises:
        ValueError: for an unknown method, or ``"taylor"`` without batches.
    """
    blocks = _blocks(model)
    return _unit_scores(model, [b.mlp[2] for b in blocks],
                        [[slice(j, j + 1) for j in range(b.mlp[2].in_features)] for b in blocks], method, batches, loss)


def _lowest(scores: list[torch.Tensor], dead: list[list[bool]], n_remove: int, what: str) -> dict[int, list[int]]:
    """The ``n_remove`` lowest-scored live units over all blocks, each block keeping its best live unit."""
    if len(scores) != len(dead) or any(len(s) != len(d) for s, d in zip(scores, dead)):
        raise ValueError(f"scores must hold one tensor per block with one score per {what}; use {what}_scores(model)")
    candidates = []
    for b, (s, d) in enumerate(zip(scores, dead)):
        live = [u for u in range(len(d)) if not d[u]]
        if not live:
            continue
        best = max(live, key=lambda u: (float(s[u]), -u))  # every block keeps one unit
        candidates += [(float(s[u]), b, u) for u in live if u != best]
    if isinstance(n_remove, bool) or not isinstance(n_remove, int) or not 0 <= n_remove <= len(candidates):
        raise ValueError(f"n_remove must be an int from 0 to {len(candidates)} (the live {what}s, less one per "
                         f"block); got {n_remove!r}")
    chosen: dict[int, list[int]] = {}
    for _, b, u in sorted(candidates)[:n_remove]:
        chosen.setdefault(b, []).append(u)
    return {b: sorted(us) for b, us in sorted(chosen.items())}


def prune_heads(model: nn.Module, n_remove: int, *, scores: list[torch.Tensor] | None = None) -> dict[int, list[int]]:
    """Remove (mask) the ``n_remove`` live heads with the lowest ``scores`` (default: :func:`head_scores`'
    norms), compared across all blocks; each block keeps at least one head. Ties go to the lower block
    and head index.

    Returns:
        ``{block index: [heads removed by this call]}``.

    Raises:
        ValueError: for scores of the wrong shape, or ``n_remove`` beyond the removable heads.
    """
    scores = head_scores(model) if scores is None else scores
    chosen = _lowest(scores, [_dead_heads(b) for b in _blocks(model)], n_remove, "head")
    mask_heads(model, chosen)
    return chosen


def prune_neurons(model: nn.Module, n_remove: int, *, scores: list[torch.Tensor] | None = None) -> dict[int, list[int]]:
    """Remove (mask) the ``n_remove`` live MLP neurons with the lowest ``scores`` (default:
    :func:`neuron_scores`' norms), compared across all blocks; each block keeps at least one.

    Returns:
        ``{block index: [neurons removed by this call]}``.

    Raises:
        ValueError: for scores of the wrong shape, or ``n_remove`` beyond the removable neurons.
    """
    scores = neuron_scores(model) if scores is None else scores
    chosen = _lowest(scores, [_dead_neurons(b) for b in _blocks(model)], n_remove, "neuron")
    mask_neurons(model, chosen)
    return chosen


def _keep(dead: list[bool]) -> torch.Tensor:
    live = [u for u, d in enumerate(dead) if not d]
    return torch.tensor(live or [0], dtype=torch.int64)  # a block with no live unit keeps one, all zero


def shrink_transformer(model: nn.Module) -> SlimTransformer:
    """The dense :class:`SlimTransformer` without ``model``'s dead heads and MLP neurons, computing the
    same function (to float rounding: the kept products are the same, summed in fewer terms).

    A unit is dead when its weights and biases are masked or zero as described in the module's
    docstring; a block whose units are all dead keeps one (all zero). Other, unstructured, masks
    are applied: their zeros become plain zeros of the smaller matrices. The global random generator
    is left as it was. The copy is in the mode (train or eval) of ``model``.

    Raises:
        TypeError: if ``model`` is not a ``ByteTransformer``.
    """
    blocks = _blocks(model)
    base = model.config.base if isinstance(model.config, SlimConfig) else model.config
    keep_heads = [_keep(_dead_heads(b)) for b in blocks]
    keep_neurons = [_keep(_dead_neurons(b)) for b in blocks]
    config = SlimConfig(base=base, heads=tuple(len(k) for k in keep_heads),
                        ff_widths=tuple(len(k) for k in keep_neurons))
    state = torch.random.get_rng_state()
    try:
        slim = SlimTransformer(config)
    finally:
        torch.random.set_rng_state(state)
    with torch.no_grad():
        for name in ("tok_emb", "pos_emb"):
            getattr(slim, name).weight.copy_(_current(getattr(model, name)))
        slim.ln_f.load_state_dict(model.ln_f.state_dict())
        for old, new, heads, neurons in zip(blocks, slim.blocks, keep_heads, keep_neurons):
            new.ln_1.load_state_dict(old.ln_1.state_dict())
            new.ln_2.load_state_dict(old.ln_2.state_dict())
            hs = old.attn.head_size
            # the smaller qkv's rows: the kept heads' queries, then their keys, then their values
            rows = torch.cat([_head_rows(old, int(h)) for h in heads])  # (q, k, v) of each head in turn
            rows = rows.reshape(len(heads), 3, hs).transpose(0, 1).reshape(-1)
            cols = torch.cat([torch.arange(hs * int(h), hs * (int(h) + 1)) for h in heads])
            new.attn.qkv.weight.copy_(_current(old.attn.qkv)[rows])
            new.attn.qkv.bias.copy_(_masked_bias(old.attn.qkv)[rows])
            new.attn.proj.weight.copy_(_current(old.attn.proj)[:, cols])
            new.attn.proj.bias.copy_(_masked_bias(old.attn.proj))
            new.mlp[0].weight.copy_(_current(old.mlp[0])[neurons])
            new.mlp[0].bias.copy_(_masked_bias(old.mlp[0])[neurons])
            new.mlp[2].weight.copy_(_current(old.mlp[2])[:, neurons])
            new.mlp[2].bias.copy_(_masked_bias(old.mlp[2]))
    slim.train(model.training)
    return slim


@dataclass(frozen=True, kw_only=True)
class SpeedUp:
    """CPU forward times of two models on one batch, one thread: medians of alternating passes."""

    dense_seconds: float  # median seconds per forward pass of the first model
    small_seconds: float  # median seconds per forward pass of the second
    repeats: int
    # How many times faster the second model is: the median over the alternating pairs of (first's
    # time / second's), which a slow spell of the machine shifts far less than a ratio of medians.
    ratio: float


def measure_speedup(dense: nn.Module, small: nn.Module, *, batch_size: int = 16, seq_len: int | None = None,
                    repeats: int = 7, warmup: int = 2, seed: int = 0) -> SpeedUp:
    """Time the forward pass of ``dense`` and ``small`` on the same random batch of bytes, on one CPU
    thread, no gradients, alternating the two models ``repeats`` times after ``warmup`` untimed
    passes each, and return the medians (the ratio: the median of each pair's ratio). It measures
    this machine now; a benchmark records it, a test never does. A masked model runs its masks' multiplications too: time a copy without masks
    (e.g. :func:`~scalingzip.nn.pruning.quantize_model` with ``method="float32"``) for the dense cost.

    Raises:
        ValueError: for non-positive sizes, or a ``seq_len`` beyond the models' ``n_ctx``.
    """
    for name, value in (("batch_size", batch_size), ("repeats", repeats)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0; got {warmup!r}")
    n_ctx = min(dense.config.n_ctx, small.config.n_ctx)
    T = n_ctx if seq_len is None else seq_len
    if not 1 <= T <= n_ctx:
        raise ValueError(f"seq_len must be between 1 and n_ctx={n_ctx}; got {T}")
    idx = torch.randint(0, 256, (batch_size, T), generator=torch.Generator().manual_seed(seed))
    times: dict[int, list[float]] = {0: [], 1: []}
    modes = (dense.training, small.training)
    dense.eval()
    small.eval()
    try:
        with torch.no_grad(), one_thread():
            for _ in range(warmup):
                dense(idx)
                small(idx)
            for _ in range(repeats):
                for i, m in enumerate((dense, small)):
                    start = time.perf_counter()
                    m(idx)
                    times[i].append(time.perf_counter() - start)
    finally:
        dense.train(modes[0])
        small.train(modes[1])
    return SpeedUp(dense_seconds=statistics.median(times[0]), small_seconds=statistics.median(times[1]),
                   repeats=repeats, ratio=statistics.median(d / s for d, s in zip(times[0], times[1])))
