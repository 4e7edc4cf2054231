"""Determinism: the same floats on every run, and a checksum that says whether two networks are one.

An exact coder driven by a network works only if the decoder computes the encoder's probabilities
to the last bit. Two things decide that on one machine:

* **The thread count.** PyTorch splits a sum over threads, and the order of a floating-point sum
  changes its last bits; :func:`one_thread` runs a block on one thread and restores the count
  after, so the result does not depend on the caller's setting. Everyone who pins threads (the
  compressors, the sweep runner, ``train-lm``) uses it.
* **The weights.** :func:`weights_checksum` is a SHA-256 of a network's shape (its ``config``
  dataclass) and every tensor of its state, in a fixed order: a file records it, and a decoder
  holding other weights refuses instead of decoding garbage.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict

import torch

__all__ = ["one_thread", "weights_checksum", "weights_crc32"]


@contextmanager
def one_thread(threads: int = 1) -> Iterator[None]:
    """Run the block with PyTorch on ``threads`` intra-op threads (default one), then restore the count.

    One thread makes a CPU computation reproducible bit for bit (a thread count changes how sums
    are split, hence the floats).
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int; got {threads!r}")
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def weights_checksum(module: torch.nn.Module) -> str:
    """SHA-256 (hex) of ``module.config`` (a dataclass) and every tensor of its state, in a fixed
    order: the check that a decoder holds the network an encoder used (any network with a config)."""
    if not hasattr(module, "config"):
        raise TypeError(f"{type(module).__name__} has no config dataclass to checksum with its weights")
    h = hashlib.sha256(repr(sorted(asdict(module.config).items())).encode())
    for name, tensor in sorted(module.state_dict().items()):
        t = tensor.detach().to("cpu").contiguous()
        h.update(f"{name}:{t.dtype}:{tuple(t.shape)}".encode())
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def weights_crc32(module: torch.nn.Module) -> int:
    """CRC-32 of every tensor of ``module``'s state, in name order: a cheap check, taken after each
    round of training, that a decoder replaying the training holds the encoder's weights bit for bit."""
    crc = 0
    for _, tensor in sorted(module.state_dict().items()):
        crc = zlib.crc32(tensor.detach().contiguous().numpy().tobytes(), crc)
    return crc
