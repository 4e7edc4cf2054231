"""Synthetic sources whose entropy rate is known exactly: ground truth for code lengths.

Real text has no known entropy, so a claim such as "the loss approaches the entropy of the
source" can only be checked on a source built for the purpose. Two families:

* **i.i.d.**: every symbol drawn independently from one distribution ``p``; the entropy rate is
  ``H(p)`` bits per symbol.
* **Markov of order k**: each symbol drawn from a distribution that depends on the ``k``
  symbols before it. With a transition table ``P(x | s)`` over contexts ``s`` and the
  stationary distribution ``pi`` of the chain on contexts, the entropy rate is
  ``sum_s pi(s) H(P(. | s))`` bits per symbol (Cover & Thomas 2006, Theorem 4.2.4).

Both sample a byte string with a seeded generator and report the entropy rate with it. No
compressor can beat ``n * entropy_rate`` bits on average; a good one approaches it.

Reference:
    Cover & Thomas 2006, *Elements of Information Theory*, 2nd ed., chapter 4.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SyntheticSource", "iid_source", "markov_source"]


@dataclass(frozen=True, kw_only=True)
class SyntheticSource:
    """A sampled byte string with the exact entropy rate of the process that produced it."""

    data: bytes  # the sample, one symbol per byte
    entropy_rate_bits: float  # bits per symbol of the generating process
    alphabet_size: int  # symbols are the byte values 0 .. alphabet_size - 1
    order: int  # Markov order (0 for i.i.d.)
    seed: int  # seed of the sample (and of the random transition table, for Markov)


def _entropy_bits(p: np.ndarray) -> np.ndarray:
    """Entropy of each row of a probability matrix, in bits (0 log 0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log2(p), 0.0)
    return terms.sum(axis=-1)


def iid_source(p, n: int, *, seed: int = 0) -> SyntheticSource:
    """Draw ``n`` symbols independently from the distribution ``p`` over ``len(p) <= 256`` bytes.

    Args:
        p: probabilities of the byte values 0 .. len(p) - 1 (non-negative, summing to 1).
        n: number of symbols.
        seed: seed of the sample.
    """
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or not 1 <= p.size <= 256:
        raise ValueError(f"p must be a vector of 1 to 256 probabilities; got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0) or abs(p.sum() - 1) > 1e-9:
        raise ValueError("p must hold finite, non-negative probabilities that sum to 1")
    if n < 0:
        raise ValueError(f"n must be >= 0; got {n}")
    rng = np.random.default_rng(seed)
    data = rng.choice(p.size, size=n, p=p).astype(np.uint8).tobytes()
    return SyntheticSource(
        data=data, entropy_rate_bits=float(_entropy_bits(p)), alphabet_size=p.size, order=0, seed=seed
    )


def markov_source(
    n: int, *, order: int = 2, alphabet_size: int = 4, concentration: float = 0.5, seed: int = 0
) -> SyntheticSource:
    """Sample a random Markov source of order ``k`` and ``n`` symbols from it.

    The transition table gives every context of ``order`` symbols its own next-symbol
    distribution, drawn from a symmetric Dirichlet with the given ``concentration`` (small
    values make the source predictable, large values make it close to uniform). The chain
    starts in a context drawn from its stationary distribution, so the sample is stationary
    from its first symbol.

    Args:
        n: number of symbols.
        order: Markov order k >= 1.
        alphabet_size: symbols are the byte values 0 .. alphabet_size - 1; ``alphabet_size **
            order`` contexts must not exceed 65,536.
        concentration: Dirichlet concentration of each context's distribution, > 0.
        seed: seeds both the transition table and the sample.
    """
    if order < 1:
        raise ValueError(f"order must be >= 1 (use iid_source for order 0); got {order}")
    if not 2 <= alphabet_size <= 256:
        raise ValueError(f"alphabet_size must be between 2 and 256; got {alphabet_size}")
    n_contexts = alphabet_size**order
    if n_contexts > 65_536:
        raise ValueError(f"alphabet_size ** order = {n_contexts} contexts is too many; keep it <= 65,536")
    if not concentration > 0:
        raise ValueError(f"concentration must be positive; got {concentration}")
    if n < 0:
        raise ValueError(f"n must be >= 0; got {n}")
    rng = np.random.default_rng(seed)
    table = rng.dirichlet(np.full(alphabet_size, concentration), size=n_contexts)  # (contexts, symbols)

    # Context s = (x_{t-k}, ..., x_{t-1}) as a base-|A| number; the next context drops the oldest.
    next_context = (np.arange(n_contexts)[:, None] * alphabet_size) % n_contexts + np.arange(alphabet_size)
    pi = np.full(n_contexts, 1.0 / n_contexts)
    for _ in range(10_000):  # power iteration for the stationary distribution over contexts
        new = np.zeros(n_contexts)
        np.add.at(new, next_context.ravel(), (pi[:, None] * table).ravel())
        if np.abs(new - pi).sum() < 1e-13:
            pi = new
            break
        pi = new
    entropy_rate = float(pi @ _entropy_bits(table))

    symbols = np.empty(n, dtype=np.uint8)
    context = int(rng.choice(n_contexts, p=pi / pi.sum()))
    cumulative = np.cumsum(table, axis=1)
    uniforms = rng.random(n)
    for t in range(n):
        x = int(np.searchsorted(cumulative[context], uniforms[t] * cumulative[context, -1], side="right"))
        x = min(x, alphabet_size - 1)
        symbols[t] = x
        context = int(next_context[context, x])
    return SyntheticSource(
        data=symbols.tobytes(), entropy_rate_bits=entropy_rate, alphabet_size=alphabet_size, order=order, seed=seed
    )
