"""Parameter and FLOP accounting: where C = 6ND comes from, checked against real models.

Scaling laws are stated in three quantities: N, the number of (non-embedding) parameters; D, the
number of training tokens; and C, the training compute in floating-point operations (FLOP).
For a transformer, almost all of the compute is matrix multiplication, and a matrix product of
an ``(m, k)`` by a ``(k, n)`` matrix costs ``2 m k n`` FLOP (one multiply and one add per term).
A token passing forward through a weight matrix of ``k * n`` entries therefore costs ``2 k n``
FLOP, so the forward pass costs about ``2N`` per token. The backward pass multiplies by each
weight matrix twice (once for the gradient of the input, once for the gradient of the weight),
costing ``4N``; one training token costs ``6N``, and training on D tokens costs ``C = 6ND``.

This module counts both ways: exactly, by running a model under PyTorch's FLOP counter
(:func:`measure_flops`), and in closed form for :class:`~scalingzip.nn.transformer.TransformerConfig`
(:func:`transformer_flops`), so that the notebooks can show where ``6N`` is accurate and where
the attention and output-layer terms it leaves out matter. :func:`sparse_forward_flops` is the
forward count of a pruned model, had its kernels skipped every masked weight. Like Kaplan et al., the counts
include only matrix products: element-wise work (softmax, GELU, LayerNorm, biases) is left out.

References:
    Kaplan et al. 2020, "Scaling Laws for Neural Language Models", section 2.1, Table 1.
    Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models", Appendix F.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from scalingzip.scaling.kaplan import non_embedding_params
from scalingzip.nn.transformer import ByteTransformer, CausalSelfAttention, TransformerConfig, explicit_attention

__all__ = [
    "FlopCount",
    "ParameterCount",
    "TransformerFlops",
    "count_parameters",
    "measure_flops",
    "sparse_forward_flops",
    "transformer_flops",
]


@dataclass(frozen=True, kw_only=True)
class ParameterCount:
    """A model's parameters, split the way Kaplan et al. count them."""

    embedding: int  # entries of nn.Embedding tables (token and position embeddings)
    non_embedding: int  # everything else: the N of Kaplan's scaling laws

    @property
    def total(self) -> int:
        """All parameters (the N of Hoffmann et al., who include embeddings)."""
        return self.embedding + self.non_embedding


def count_parameters(model: nn.Module) -> ParameterCount:
    """Count a model's parameters, separating embedding tables from the rest.

    Shared (tied) tensors are counted once. Every ``nn.Embedding`` weight counts as embedding.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"expected a torch.nn.Module; got {type(model).__name__}")
    embedding_ids = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    embedding = non_embedding = 0
    for p in model.parameters():  # parameters() already yields a tied tensor once
        if id(p) in embedding_ids:
            embedding += p.numel()
        else:
            non_embedding += p.numel()
    return ParameterCount(embedding=embedding, non_embedding=non_embedding)


@dataclass(frozen=True, kw_only=True)
class FlopCount:
    """FLOP measured by running a model, in total and per token."""

    forward: int  # FLOP of the forward pass over the whole batch
    backward: int  # FLOP of the backward pass (0 if it was not run)
    n_tokens: int  # tokens in the batch (batch size times sequence length)

    @property
    def training(self) -> int:
        """Forward plus backward FLOP over the batch: the cost of one training step's gradient."""
        return self.forward + self.backward

    @property
    def training_per_token(self) -> float:
        """Training FLOP per token, to compare with 6N."""
        return self.training / self.n_tokens

    @property
    def forward_per_token(self) -> float:
        """Forward FLOP per token, to compare with 2N."""
        return self.forward / self.n_tokens


def measure_flops(
    model: nn.Module,
    *,
    batch_size: int = 1,
    seq_len: int | None = None,
    backward: bool = True,
    seed: int = 0,
) -> FlopCount:
    """Count the matrix-multiply FLOP of a forward (and backward) pass, exactly.

    The model is run on a random batch of bytes under :class:`torch.utils.flop_counter.FlopCounterMode`,
    which counts every ``mm``, ``bmm`` and ``addmm`` that actually executes. Attention runs as
    explicit matrix products while counting (:func:`~scalingzip.nn.transformer.explicit_attention`), so
    the count is that of a dense implementation, which multiplies masked entries too.

    Args:
        model: a :class:`~scalingzip.nn.transformer.ByteTransformer` (or any module that maps a
            ``(B, T)`` tensor of byte values to ``(B, T, 256)`` logits).
        batch_size: sequences in the batch.
        seq_len: tokens per sequence; defaults to the model's context length ``n_ctx``.
        backward: also run and count the backward pass of the mean cross-entropy.
        seed: seed of the random bytes (the count does not depend on their values).
    """
    config = getattr(model, "config", None)
    if seq_len is None:
        if config is None:
            raise ValueError("seq_len is required for a model without a .config.n_ctx")
        seq_len = config.n_ctx
    if batch_size < 1 or seq_len < 1:
        raise ValueError(f"batch_size and seq_len must be >= 1; got {batch_size} and {seq_len}")
    g = torch.Generator().manual_seed(seed)
    idx = torch.randint(0, 256, (batch_size, seq_len + 1), generator=g)
    x, y = idx[:, :-1], idx[:, 1:]

    with explicit_attention(model):
        with FlopCounterMode(display=False) as forward_counter:
            logits = model(x)
            loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        n_backward = 0
        if backward:
            with FlopCounterMode(display=False) as backward_counter:
                loss.backward()
            n_backward = backward_counter.get_total_flops()
            model.zero_grad(set_to_none=True)
    return FlopCount(
        forward=forward_counter.get_total_flops(),
        backward=n_backward,
        n_tokens=batch_size * seq_len,
    )


@dataclass(frozen=True, kw_only=True)
class TransformerFlops:
    """Closed-form counts for a :class:`~scalingzip.nn.transformer.TransformerConfig`, per token."""

    non_embedding_params: int  # N, exactly: weights, biases and LayerNorm gains of the blocks
    kaplan_params: int  # Kaplan's approximation 2 n_layer d_model (2 d_attn + d_ff)
    matmul_forward: int  # 2 x (entries of the blocks' weight matrices)
    attention_forward: float  # 4 n_layer T d_model: QK^T and (attention)V over T keys
    unembedding_forward: int  # 2 d_model vocab: the tied output layer
    seq_len: int  # T, the sequence length the attention term assumes

    @property
    def forward(self) -> float:
        """Forward FLOP per token: everything a dense implementation multiplies."""
        return self.matmul_forward + self.attention_forward + self.unembedding_forward

    @property
    def training(self) -> float:
        """Training FLOP per token: the backward pass costs twice the forward."""
        return 3 * self.forward

    @property
    def six_n(self) -> int:
        """The rule of thumb 6N, with N the exact non-embedding count."""
        return 6 * self.non_embedding_params


def transformer_flops(config: TransformerConfig, *, seq_len: int | None = None) -> TransformerFlops:
    """Count a byte transformer's parameters and per-token FLOP in closed form.

    The count matches :func:`measure_flops` on :class:`~scalingzip.nn.transformer.ByteTransformer`
    exactly (a test checks it). The attention term is for a dense implementation, which
    multiplies the full ``T x T`` score matrix and then masks it: per layer and token it costs
    ``2 T d`` FLOP for the scores and ``2 T d`` for the weighted sum of values. Kaplan et al.'s
    ``2 n_layer n_ctx d_attn`` counts half of that, which is the work of the unmasked
    (causal) entries alone.

    Args:
        config: the model's shape.
        seq_len: tokens per sequence, T; defaults to ``config.n_ctx``.
    """
    if not isinstance(config, TransformerConfig):
        raise TypeError(f"expected a TransformerConfig; got {type(config).__name__}")
    T = config.n_ctx if seq_len is None else seq_len
    if not 1 <= T <= config.n_ctx:
        raise ValueError(f"seq_len must be between 1 and n_ctx={config.n_ctx}; got {T}")
    L, d, f, V = config.n_layer, config.d_model, config.ff_width, config.vocab_size
    weights_per_layer = 4 * d * d + 2 * d * f  # qkv (3d^2) + proj (d^2) + two MLP matrices
    others_per_layer = 3 * d + d + f + d + 4 * d  # biases of qkv, proj, MLP in and out; two LayerNorms
    return TransformerFlops(
        non_embedding_params=L * (weights_per_layer + others_per_layer) + 2 * d,  # + final LayerNorm
        kaplan_params=non_embedding_params(L, d, d_ff=f),
        matmul_forward=2 * L * weights_per_layer,
        attention_forward=4 * L * T * d,
        unembedding_forward=2 * d * V,
        seq_len=T,
    )



def sparse_forward_flops(model: nn.Module, *, seq_len: int | None = None, dense: bool = False) -> float:
    """Forward FLOP per token of a byte transformer whose matrix products skip its masked weights.

    The terms of :func:`transformer_flops`, read from the model's modules rather than its config:
    ``2 x`` (unmasked entries) of every ``nn.Linear`` of the blocks, ``2 x`` (unmasked entries) of
    the token embedding (the tied output layer multiplies by it), and the dense attention term,
    ``4 T x`` (the attention's inner width) per block, which masks do not touch. A weight that is
    zero but not masked still counts. For an unpruned model it equals :func:`transformer_flops`'s
    ``forward`` (and it also counts a structurally shrunk model, whose blocks differ in width).

    Args:
        model: a :class:`~scalingzip.nn.transformer.ByteTransformer` (masked or not, or a subclass).
        seq_len: T, tokens per sequence; defaults to the model's ``n_ctx``.
        dense: count every entry, masked or not (the cost of the same network run densely).

    Raises:
        TypeError: if ``model`` is not a ``ByteTransformer``.
        ValueError: for a ``seq_len`` outside 1 to ``n_ctx``.
    """
    if not isinstance(model, ByteTransformer):
        raise TypeError(f"expected a ByteTransformer; got {type(model).__name__}")
    T = model.config.n_ctx if seq_len is None else seq_len
    if not 1 <= T <= model.config.n_ctx:
        raise ValueError(f"seq_len must be between 1 and n_ctx={model.config.n_ctx}; got {T}")

    def entries(module: nn.Module) -> int:
        mask = getattr(module, "weight_mask", None)
        return module.weight.numel() if dense or mask is None else int((mask != 0).sum())

    matmul = sum(entries(m) for block in model.blocks for m in block.modules() if isinstance(m, nn.Linear))
    attention = sum(4 * T * m.n_head * m.head_size for m in model.modules() if isinstance(m, CausalSelfAttention))
    return float(2 * matmul + attention + 2 * entries(model.tok_emb))
