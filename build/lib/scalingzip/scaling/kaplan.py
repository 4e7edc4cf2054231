"""Kaplan et al.'s scaling laws and their closed-form FLOP counts (no torch needed).

Kaplan et al. (2020) fit the loss of Transformer language models, in nats per token on
WebText2 with a 1024-token context, as power laws of the number of *non-embedding* parameters
N, the tokens D and the compute C (§1.2, Eqs. 1.1-1.5), and count the FLOPs of a Transformer
from its shape (§2.1, Eqs. 2.1-2.2): about 2N per token forward, 6N per token for training.
The default constants come from :data:`scalingzip.scaling.published.KAPLAN_2020`.
:mod:`scalingzip.nn.flops` counts the parameters and FLOPs of an actual torch model; this module
holds the formulas. Public names are re-exported by :mod:`scalingzip.scaling`.

Reference: Kaplan et al. 2020 (``kaplan2020scaling``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from scalingzip.scaling import _checks
from scalingzip.scaling.published import KAPLAN_2020, PF_DAY_FLOP

__all__ = [
    "kaplan_loss_N",
    "kaplan_loss_D",
    "kaplan_loss_ND",
    "kaplan_loss_C",
    "non_embedding_params",
    "flops_per_token_6n",
    "flops_per_token_forward",
    "flops_per_token_training",
    "training_flops",
    "flops_to_pf_days",
    "pf_days_to_flops",
]


def _out(x: np.ndarray) -> np.ndarray | float:
    """A float for 0-d results, the array otherwise."""
    return float(x) if np.ndim(x) == 0 else x


# --- Kaplan et al. 2020 -----------------------------------------------------------------


def kaplan_loss_N(
    N: ArrayLike, *, N_c: float = KAPLAN_2020.N_c, alpha_N: float = KAPLAN_2020.alpha_N
) -> np.ndarray | float:
    """L(N) = (N_c / N)^alpha_N: loss in nats/token of N non-embedding parameters trained to
    convergence on enough data (Kaplan et al. 2020, Eq. 1.1)."""
    return _out((N_c / _checks.positive_array("N", N, ndim=None)) ** alpha_N)


def kaplan_loss_D(
    D: ArrayLike, *, D_c: float = KAPLAN_2020.D_c, alpha_D: float = KAPLAN_2020.alpha_D
) -> np.ndarray | float:
    """L(D) = (D_c / D)^alpha_D: loss in nats/token of a large model trained on D tokens with
    early stopping (Eq. 1.2)."""
    return _out((D_c / _checks.positive_array("D", D, ndim=None)) ** alpha_D)


def kaplan_loss_C(
    C_min_pf_days: ArrayLike,
    *,
    C_c_pf_days: float = KAPLAN_2020.C_c_pf_days,
    alpha_C_min: float = KAPLAN_2020.alpha_C_min,
) -> np.ndarray | float:
    """L(C_min) = (C_c / C_min)^alpha_C_min: loss in nats/token at compute-efficient training,
    C_min in PF-days (Eq. 1.3; convert FLOP with :func:`flops_to_pf_days`)."""
    return _out((C_c_pf_days / _checks.positive_array("C_min_pf_days", C_min_pf_days, ndim=None)) ** alpha_C_min)


def kaplan_loss_ND(
    N: ArrayLike,
    D: ArrayLike,
    *,
    N_c: float = KAPLAN_2020.joint_N_c,
    D_c: float = KAPLAN_2020.joint_D_c,
    alpha_N: float = KAPLAN_2020.joint_alpha_N,
    alpha_D: float = KAPLAN_2020.joint_alpha_D,
) -> np.ndarray | float:
    """L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D, nats/token (Eq. 1.5, Table 2).

    N counts non-embedding parameters and D tokens; the two broadcast. As D grows it tends to
    (N_c/N)^alpha_N, the L(N) law with these (joint-fit) constants.
    """
    n = _checks.positive_array("N", N, ndim=None)
    d = _checks.positive_array("D", D, ndim=None)
    return _out(((N_c / n) ** (alpha_N / alpha_D) + D_c / d) ** alpha_D)


# --- FLOP counts (Kaplan et al. 2020, §2.1) ----------------------------------------------


def _layer_shape(n_layer: int, d_model: int, d_attn: int | None, d_ff: int | None) -> tuple[int, int, int, int]:
    for name, value in (("n_layer", n_layer), ("d_model", d_model)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    d_attn = d_model if d_attn is None else d_attn
    d_ff = 4 * d_model if d_ff is None else d_ff
    for name, value in (("d_attn", d_attn), ("d_ff", d_ff)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer (or None for the default); got {value!r}")
    return int(n_layer), int(d_model), int(d_attn), int(d_ff)


def non_embedding_params(n_layer: int, d_model: int, d_attn: int | None = None, d_ff: int | None = None) -> int:
    """N ~ 2 d_model n_layer (2 d_attn + d_ff), Kaplan et al.'s count of non-embedding parameters.

    With the standard shape (d_attn = d_model, d_ff = 4 d_model) this is 12 n_layer d_model^2
    (Eq. 2.1). Biases and layer norms are neglected; :mod:`scalingzip.nn.flops` counts a real
    model's parameters exactly.
    """
    n_layer, d_model, d_attn, d_ff = _layer_shape(n_layer, d_model, d_attn, d_ff)
    return 2 * d_model * n_layer * (2 * d_attn + d_ff)


def flops_per_token_forward(
    n_layer: int, d_model: int, n_ctx: int, d_attn: int | None = None, d_ff: int | None = None
) -> int:
    """Forward-pass FLOP per token, 2N + 2 n_layer n_ctx d_attn (Kaplan et al. 2020, Eq. 2.2).

    2N counts a multiply and an add per weight; the second term is the attention scores and
    their weighted sum over an ``n_ctx``-token context. Defaults: d_attn = d_model,
    d_ff = 4 d_model.
    """
    n_layer, d_model, d_attn, d_ff = _layer_shape(n_layer, d_model, d_attn, d_ff)
    if int(n_ctx) != n_ctx or n_ctx < 1:
        raise ValueError(f"n_ctx must be a positive integer (tokens of context); got {n_ctx!r}")
    return 2 * non_embedding_params(n_layer, d_model, d_attn, d_ff) + 2 * n_layer * int(n_ctx) * d_attn


def flops_per_token_training(
    n_layer: int, d_model: int, n_ctx: int, d_attn: int | None = None, d_ff: int | None = None
) -> int:
    """Training FLOP per token: forward plus a backward pass of twice its cost, 3x forward."""
    return 3 * flops_per_token_forward(n_layer, d_model, n_ctx, d_attn, d_ff)


def flops_per_token_6n(N: ArrayLike) -> np.ndarray | float:
    """Training FLOP per token, 6N: the usual approximation when n_ctx << 12 d_model."""
    return _out(6.0 * _checks.positive_array("N", N, ndim=None))


def training_flops(N: ArrayLike, D: ArrayLike) -> np.ndarray | float:
    """Training compute C = 6 N D in FLOP for N parameters and D tokens (broadcast)."""
    return _out(6.0 * _checks.positive_array("N", N, ndim=None) * _checks.positive_array("D", D, ndim=None))


def flops_to_pf_days(C: ArrayLike) -> np.ndarray | float:
    """Convert FLOP to PF-days (1 PF-day = 8.64e19 FLOP)."""
    return _out(_checks.positive_array("C", C, ndim=None) / PF_DAY_FLOP)


def pf_days_to_flops(pf_days: ArrayLike) -> np.ndarray | float:
    """Convert PF-days to FLOP (1 PF-day = 8.64e19 FLOP)."""
    return _out(_checks.positive_array("pf_days", pf_days, ndim=None) * PF_DAY_FLOP)
