"""Published scaling-law constants, as typed records that carry their source.

Every number here is one the course has read in the paper itself (FACTS.md, tag P); each record
names its BibTeX key in ``citation`` and the table or equation in ``where``. The Chinchilla-form
records (:data:`HOFFMANN_2022`, :data:`BESIROGLU_2024`, :data:`BESIROGLU_2024_HOFFMANN_PROCEDURE`)
have the fields ``E, A, B, alpha, beta`` of a fit, so they can be passed wherever a
:class:`~scalingzip.scaling.chinchilla.ChinchillaFit` is accepted (``compute_optimal``, ``predict``).

Units. Kaplan et al. report loss in nats/token on WebText2 with a 1024-token context and count
*non-embedding* parameters; Hoffmann et al. count *all* parameters and train on MassiveText.
The two sets of constants are therefore not interchangeable.

References: Kaplan et al. 2020 (``kaplan2020scaling``), Hoffmann et al. 2022
(``hoffmann2022training``), Besiroglu et al. 2024 (``besiroglu2024chinchilla``).
"""

from __future__ import annotations

from dataclasses import dataclass

from scalingzip.scaling.chinchilla import ChinchillaLaw

__all__ = [
    "Kaplan2020",
    "KAPLAN_2020",
    "FrontierRow",
    "Hoffmann2022",
    "HOFFMANN_2022",
    "Besiroglu2024",
    "BESIROGLU_2024",
    "BESIROGLU_2024_HOFFMANN_PROCEDURE",
    "PF_DAY_FLOP",
]

PF_DAY_FLOP = 8.64e19  # one petaflop/s-day in FLOP: 1e15 FLOP/s * 86,400 s (Kaplan et al. 2020, §1.3)


@dataclass(frozen=True, kw_only=True)
class Kaplan2020:
    """The power laws of Kaplan et al. 2020 (loss in nats/token, N = non-embedding parameters)."""

    alpha_N: float  # L(N) = (N_c / N)^alpha_N, models trained to convergence (Eq. 1.1)
    N_c: float  # non-embedding parameters
    alpha_D: float  # L(D) = (D_c / D)^alpha_D, large models with early stopping (Eq. 1.2)
    D_c: float  # tokens
    alpha_C_min: float  # L(C_min) = (C_c / C_min)^alpha_C_min (Eq. 1.3)
    C_c_pf_days: float  # compute in PF-days
    joint_alpha_N: float  # L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D (Eq. 1.5, Table 2)
    joint_alpha_D: float
    joint_N_c: float  # non-embedding parameters
    joint_D_c: float  # tokens
    N_opt_exponent: float  # compute-efficient N grows as C^N_opt_exponent (§1.2, §6)
    D_opt_exponent: float  # and D as C^D_opt_exponent
    citation: str
    where: str
    note: str = ""


KAPLAN_2020 = Kaplan2020(
    alpha_N=0.076,
    N_c=8.8e13,
    alpha_D=0.095,
    D_c=5.4e13,
    alpha_C_min=0.050,
    C_c_pf_days=3.1e8,
    joint_alpha_N=0.076,
    joint_alpha_D=0.103,
    joint_N_c=6.4e13,
    joint_D_c=1.8e13,
    N_opt_exponent=0.73,
    D_opt_exponent=0.27,
    citation="kaplan2020scaling",
    where="§1.2 Eqs. 1.1-1.3 and 1.5, Table 2, §6",
    note="Loss in nats/token on WebText2 (1024-token context); N counts non-embedding parameters.",
)


@dataclass(frozen=True, kw_only=True)
class FrontierRow:
    """One row of a compute-optimal table: a model size and what it should be trained with."""

    N: float  # parameters
    C: float  # training compute, FLOP
    D: float  # training tokens


@dataclass(frozen=True, kw_only=True)
class Hoffmann2022(ChinchillaLaw):
    """Hoffmann et al. 2022: the fitted law (Approach 3) and the other approaches' results."""

    N_opt_exponent_by_approach: tuple[float, float, float]  # a in N_opt ~ C^a, Approaches 1, 2, 3 (Table 2)
    table3: tuple[FrontierRow, ...]  # Approach 1 projections (Table 3)
    chinchilla_N: float  # Chinchilla's parameters (§1)
    chinchilla_D: float  # Chinchilla's training tokens
    gopher_N: float  # Gopher's parameters, same compute budget
    gopher_D: float  # Gopher's training tokens


HOFFMANN_2022 = Hoffmann2022(
    E=1.69,
    A=406.4,
    B=410.7,
    alpha=0.34,
    beta=0.28,
    citation="hoffmann2022training",
    where="App. D.2 (constants), Table 2 (exponents), Table 3 (projections), §1",
    note=(
        "Approach 3 constants as printed (rounded). Besiroglu et al. 2024 found that the fit had "
        "stopped early. Through compute_optimal they imply several times more tokens per "
        "parameter than the famous ~20, which comes from Approaches 1 and 2 (Table 3)."
    ),
    N_opt_exponent_by_approach=(0.50, 0.49, 0.46),
    table3=(
        FrontierRow(N=400e6, C=1.92e19, D=8.0e9),
        FrontierRow(N=1e9, C=1.21e20, D=20.2e9),
        FrontierRow(N=10e9, C=1.23e22, D=205.1e9),
        FrontierRow(N=67e9, C=5.76e23, D=1.5e12),
        FrontierRow(N=175e9, C=3.85e24, D=3.7e12),
        FrontierRow(N=280e9, C=9.90e24, D=5.9e12),
        FrontierRow(N=1e12, C=1.27e26, D=21.2e12),
    ),
    chinchilla_N=70e9,
    chinchilla_D=1.4e12,
    gopher_N=280e9,
    gopher_D=300e9,
)


@dataclass(frozen=True, kw_only=True)
class Besiroglu2024(ChinchillaLaw):
    """Besiroglu et al. 2024's refit of Hoffmann's data, with its uncertainties."""

    E_se: float  # standard errors of the constants
    A_se: float
    B_se: float
    alpha_se: float
    beta_se: float
    alpha_ci95: tuple[float, float]  # 95% bootstrap intervals
    beta_ci95: tuple[float, float]
    E_ci95: tuple[float, float]
    n_points: int  # points fitted


BESIROGLU_2024 = Besiroglu2024(
    E=1.8172,
    A=482.01,
    B=2085.43,
    alpha=0.3478,
    beta=0.3658,
    E_se=0.03,
    A_se=124.6,
    B_se=1293.0,
    alpha_se=0.02,
    beta_se=0.02,
    alpha_ci95=(0.317, 0.373),
    beta_ci95=(0.331, 0.415),
    E_ci95=(1.769, 1.871),
    n_points=240,
    citation="besiroglu2024chinchilla",
    where="refit (maximum likelihood) of the 240 points digitised from Hoffmann et al. Fig. 4",
    note="The 5 highest-loss of the 245 digitised points are dropped; D = C / (6 N).",
)

BESIROGLU_2024_HOFFMANN_PROCEDURE = ChinchillaLaw(
    E=1.8172,
    A=477.8,
    B=2143.0,
    alpha=0.3473,
    beta=0.3672,
    citation="besiroglu2024chinchilla",
    where="Hoffmann et al.'s own procedure applied to Besiroglu et al.'s 240 digitised points",
    note=(
        "Sum of Huber terms (delta 1e-3), 4,500-start L-BFGS-B, best kept; what fit_chinchilla does, and "
        "fit_chinchilla on Besiroglu et al.'s extraction reproduces these constants to the digits shown. "
        "The course has not found this row in the paper's text, so the chapters do not quote it as theirs."
    ),
)
