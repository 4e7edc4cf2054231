"""Scaling-law mathematics: power-law fits, Kaplan's laws, FLOP counts and the compute frontier.

This is the public import path for everything about scaling laws in the course:

* power laws y = A x^(-alpha), fitted by least squares in log space with t-intervals
  (:func:`fit_power_law`), and saturating laws L = E + A x^(-alpha)
  (:func:`fit_saturating_power_law`);
* Hoffmann et al.'s parametric law L(N, D) = E + A/N^alpha + B/D^beta, its 4,500-start fit
  and the compute-optimal allocation (defined in :mod:`scalingzip.scaling.chinchilla`, re-exported);
* Hoffmann's Approach 2, IsoFLOP profiles (:func:`fit_isoflop`);
* percentile bootstrap intervals for any of these fits (:func:`bootstrap`);
* Hoffmann et al.'s training runs read from their Figure 4 (:func:`load_chinchilla_points`,
  defined in :mod:`scalingzip.data.digitised`);
* Kaplan et al.'s laws and closed-form FLOP counts (loss in nats/token, N = non-embedding
  parameters, C in FLOP unless a name says PF-days; defined in :mod:`scalingzip.scaling.kaplan`);
* the published constants (defined in :mod:`scalingzip.scaling.published`, re-exported).

Sign convention: every power law here is written with a *decaying* exponent,
y = A x^(-alpha), so a loss that falls with x has alpha > 0. A quantity that grows with x,
such as N_opt(C), has a negative alpha; :func:`fit_isoflop` reports its growth exponents
``a = -alpha`` directly.

References: Kaplan et al. 2020 (``kaplan2020scaling``), Hoffmann et al. 2022
(``hoffmann2022training``), Besiroglu et al. 2024 (``besiroglu2024chinchilla``).
"""

from __future__ import annotations

from scalingzip.scaling.bootstrap import BootstrapResult, bootstrap
from scalingzip.scaling.chinchilla import (
    HOFFMANN_GRID,
    ChinchillaFit,
    ChinchillaGrid,
    ChinchillaLaw,
    ChinchillaLike,
    ComputeOptimal,
    chinchilla_loss,
    chinchilla_objective,
    compute_optimal,
    compute_optimal_numerical,
    fit_chinchilla,
    synthetic_chinchilla_data,
)
from scalingzip.data.digitised.chinchilla_points import ChinchillaPoints, load_chinchilla_points
from scalingzip.scaling.isoflop import IsoFLOPFit, fit_isoflop, synthetic_isoflop_data
from scalingzip.scaling.kaplan import (
    flops_per_token_6n,
    flops_per_token_forward,
    flops_per_token_training,
    flops_to_pf_days,
    kaplan_loss_C,
    kaplan_loss_D,
    kaplan_loss_N,
    kaplan_loss_ND,
    non_embedding_params,
    pf_days_to_flops,
    training_flops,
)
from scalingzip.scaling.power_laws import PowerLawFit, SaturatingFit, fit_power_law, fit_saturating_power_law
from scalingzip.scaling.published import (
    BESIROGLU_2024,
    BESIROGLU_2024_HOFFMANN_PROCEDURE,
    HOFFMANN_2022,
    KAPLAN_2020,
    PF_DAY_FLOP,
    Besiroglu2024,
    FrontierRow,
    Hoffmann2022,
    Kaplan2020,
)

__all__ = [
    # power laws
    "PowerLawFit",
    "fit_power_law",
    "SaturatingFit",
    "fit_saturating_power_law",
    # Hoffmann's parametric law (scalingzip.scaling.chinchilla)
    "ChinchillaLike",
    "ChinchillaLaw",
    "ChinchillaGrid",
    "HOFFMANN_GRID",
    "ChinchillaFit",
    "chinchilla_loss",
    "chinchilla_objective",
    "fit_chinchilla",
    "ComputeOptimal",
    "compute_optimal",
    "compute_optimal_numerical",
    "synthetic_chinchilla_data",
    # Hoffmann et al.'s runs as plotted in their Fig. 4, digitised (scalingzip.data.digitised)
    "ChinchillaPoints",
    "load_chinchilla_points",
    # IsoFLOP profiles
    "IsoFLOPFit",
    "fit_isoflop",
    "synthetic_isoflop_data",
    # uncertainty
    "BootstrapResult",
    "bootstrap",
    # Kaplan's laws and FLOP counts (scalingzip.scaling.kaplan)
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
    # published constants (scalingzip.scaling.published)
    "PF_DAY_FLOP",
    "Kaplan2020",
    "KAPLAN_2020",
    "FrontierRow",
    "Hoffmann2022",
    "HOFFMANN_2022",
    "Besiroglu2024",
    "BESIROGLU_2024",
    "BESIROGLU_2024_HOFFMANN_PROCEDURE",
]
