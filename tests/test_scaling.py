"""Tests of scalingzip.scaling: fits recover known laws, closed forms match numerics, bad input fails.

All data are synthetic and seeded: drawn from published laws (scalingzip.scaling.published) plus a
stated amount of noise on log-loss. Nothing is downloaded or read from disk.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from scalingzip.scaling.chinchilla import _LogData, _objective_batch
from scalingzip.scaling._lbfgs import minimize_lbfgs_batched
from scalingzip.scaling import (
    BESIROGLU_2024,
    BESIROGLU_2024_HOFFMANN_PROCEDURE,
    HOFFMANN_2022,
    HOFFMANN_GRID,
    KAPLAN_2020,
    PF_DAY_FLOP,
    ChinchillaGrid,
    ChinchillaLaw,
    bootstrap,
    chinchilla_loss,
    chinchilla_objective,
    compute_optimal,
    compute_optimal_numerical,
    fit_chinchilla,
    fit_isoflop,
    fit_power_law,
    fit_saturating_power_law,
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
    synthetic_chinchilla_data,
    synthetic_isoflop_data,
    training_flops,
)

LAW = BESIROGLU_2024_HOFFMANN_PROCEDURE  # E 1.8172, A 477.8, B 2143, alpha 0.3473, beta 0.3672
# 3^5 = 243 starts spanning Hoffmann's grid, for tests that do not need all 4,500.
SMALL_GRID = ChinchillaGrid(
    alpha=(0.0, 1.0, 2.0), beta=(0.0, 1.0, 2.0), e=(-1.0, 0.0, 1.0), a=(0.0, 10.0, 20.0), b=(0.0, 10.0, 20.0)
)
# 72 starts, for comparing with the slow loop of SciPy calls.
TINY_GRID = ChinchillaGrid(alpha=(0.5, 1.5), beta=(0.5, 1.5), e=(-1.0, 1.0), a=(0.0, 10.0, 20.0), b=(0.0, 10.0, 20.0))


# --- FLOP counts and Kaplan's laws ------------------------------------------------------


def test_training_flops_of_chinchilla() -> None:
    assert training_flops(70e9, 1.4e12) == pytest.approx(5.88e23, rel=1e-12)
    assert training_flops(HOFFMANN_2022.chinchilla_N, HOFFMANN_2022.chinchilla_D) == pytest.approx(5.88e23)
    np.testing.assert_allclose(training_flops(np.array([1e9, 2e9]), 1e10), [6e19, 1.2e20])


def test_pf_days() -> None:
    assert PF_DAY_FLOP == 1e15 * 86_400
    assert flops_to_pf_days(8.64e19) == pytest.approx(1.0)
    assert pf_days_to_flops(flops_to_pf_days(3.3e23)) == pytest.approx(3.3e23)


def test_parameter_and_flop_counts_follow_kaplan_eq_2() -> None:
    n_layer, d_model, n_ctx = 12, 768, 1024
    N = non_embedding_params(n_layer, d_model)
    assert N == 12 * n_layer * d_model**2
    assert non_embedding_params(2, 8, d_attn=4, d_ff=16) == 2 * 8 * 2 * (2 * 4 + 16)
    forward = flops_per_token_forward(n_layer, d_model, n_ctx)
    assert forward == 2 * N + 2 * n_layer * n_ctx * d_model
    assert flops_per_token_training(n_layer, d_model, n_ctx) == 3 * forward
    assert flops_per_token_6n(N) == 6 * N
    # 6N is the training cost up to the context term: ratio 1 + n_ctx / (12 d_model).
    assert flops_per_token_training(n_layer, d_model, n_ctx) / (6 * N) == pytest.approx(1 + n_ctx / (12 * d_model))


def test_kaplan_laws() -> None:
    # Doubling N multiplies L(N) by 2^-0.076 ~ 0.95 (Kaplan et al. 2020, §1.2).
    assert kaplan_loss_N(2e9) / kaplan_loss_N(1e9) == pytest.approx(2**-0.076)
    assert kaplan_loss_N(KAPLAN_2020.N_c) == pytest.approx(1.0)
    assert kaplan_loss_D(KAPLAN_2020.D_c) == pytest.approx(1.0)
    assert kaplan_loss_C(KAPLAN_2020.C_c_pf_days) == pytest.approx(1.0)
    assert kaplan_loss_D(1e10) > kaplan_loss_D(1e11)
    # With unlimited data the joint law reduces to L(N) with the joint constants.
    N = np.array([1e7, 1e9])
    np.testing.assert_allclose(kaplan_loss_ND(N, 1e40), (KAPLAN_2020.joint_N_c / N) ** KAPLAN_2020.joint_alpha_N)
    assert kaplan_loss_ND(1e9, 1e9) > kaplan_loss_ND(1e9, 1e11)


# --- power laws -------------------------------------------------------------------------


def test_fit_power_law_recovers_known_law() -> None:
    rng = np.random.default_rng(1)
    x = np.logspace(6, 10, 30)
    y = 8.0 * x**-0.076 * np.exp(0.01 * rng.standard_normal(x.size))
    fit = fit_power_law(x, y)
    assert abs(fit.alpha - 0.076) < 0.005
    assert fit.alpha_ci[0] < 0.076 < fit.alpha_ci[1]
    assert fit.A_ci[0] < 8.0 < fit.A_ci[1]
    assert fit.r_squared > 0.9
    assert fit.predict(1e8) == pytest.approx(fit.A * 1e8**-fit.alpha)


def test_fit_power_law_exact_data_and_growing_quantities() -> None:
    x = np.array([1.0, 10.0, 100.0, 1000.0])
    fit = fit_power_law(x, 3.0 * x**0.5)  # grows: alpha = -0.5 in the y = A x^-alpha convention
    assert fit.alpha == pytest.approx(-0.5)
    assert fit.A == pytest.approx(3.0)
    assert fit.r_squared == pytest.approx(1.0)
    assert fit.alpha_se < 1e-12


def test_power_law_intervals_have_nominal_coverage() -> None:
    # With n = 5 (3 degrees of freedom) a normal-quantile interval would cover ~86% of the
    # time; the t interval covers 95%. 400 seeded repetitions: binomial sd ~1.1%.
    rng = np.random.default_rng(7)
    x = np.logspace(0, 4, 5)
    hits = 0
    for _ in range(400):
        y = 2.0 * x**-0.3 * np.exp(0.05 * rng.standard_normal(x.size))
        lo, hi = fit_power_law(x, y).alpha_ci
        hits += lo < 0.3 < hi
    assert 0.92 <= hits / 400 <= 0.98


def test_fit_saturating_power_law_recovers_floor() -> None:
    rng = np.random.default_rng(2)
    x = np.logspace(7, 11, 25)
    y = 1.69 + 406.4 * x**-0.34 * np.exp(0.002 * rng.standard_normal(x.size))
    fit = fit_saturating_power_law(x, y)
    assert fit.E == pytest.approx(1.69, rel=0.02)
    assert abs(fit.alpha - 0.34) < 0.02
    assert not fit.E_at_bound
    assert fit.r_squared > 0.99
    np.testing.assert_allclose(fit.predict(x), y, rtol=0.01)


def test_saturating_fit_of_a_pure_power_law_puts_the_floor_at_zero() -> None:
    x = np.logspace(3, 9, 12)
    fit = fit_saturating_power_law(x, 5.0 * x**-0.2)
    assert fit.E == pytest.approx(0.0, abs=1e-6)
    assert fit.E_at_bound
    assert fit.alpha == pytest.approx(0.2, abs=1e-4)


# --- Hoffmann's parametric fit -----------------------------------------------------------


def test_chinchilla_gradient_matches_finite_differences() -> None:
    N, D, L = synthetic_chinchilla_data(LAW, n_points=60, noise=0.01, seed=3)
    rng = np.random.default_rng(4)
    thetas = [np.array([6.2, 7.7, 0.6, 0.35, 0.37]), np.array([1.0, 20.0, -1.0, 0.5, 1.5])]
    thetas += [rng.uniform([0, 0, -1, 0, 0], [25, 25, 1, 2, 2]) for _ in range(4)]
    h = 1e-6
    for theta in thetas:
        f, g = chinchilla_objective(theta, N, D, L)
        fd = np.empty(5)
        for k in range(5):
            step = np.zeros(5)
            step[k] = h
            fd[k] = (chinchilla_objective(theta + step, N, D, L)[0] - chinchilla_objective(theta - step, N, D, L)[0]) / (
                2 * h
            )
        np.testing.assert_allclose(g, fd, rtol=1e-4, atol=1e-6 * max(1.0, np.abs(fd).max()))
        assert f > 0
    # The batched evaluation used by the fast fit gives the same values and gradients.
    f_rows, g_rows = _objective_batch(np.array(thetas), _LogData.build(N, D, L), 1e-3)
    for theta, f_row, g_row in zip(thetas, f_rows, g_rows):
        f, g = chinchilla_objective(theta, N, D, L)
        assert f_row == pytest.approx(f, rel=1e-12)
        np.testing.assert_allclose(g_row, g, rtol=1e-9, atol=1e-12 * max(1.0, np.abs(g).max()))


def test_objective_is_the_sum_of_huber_terms() -> None:
    N, D, L = synthetic_chinchilla_data(LAW, n_points=40, noise=0.02, seed=5)
    theta = np.array([np.log(LAW.A), np.log(LAW.B), np.log(LAW.E), LAW.alpha, LAW.beta])
    r = np.log(chinchilla_loss(N, D, LAW)) - np.log(L)
    delta = 1e-3
    huber = np.where(np.abs(r) <= delta, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta))
    assert chinchilla_objective(theta, N, D, L, delta=delta)[0] == pytest.approx(huber.sum(), rel=1e-10)
    # Doubling the data doubles a sum (a mean would stay put).
    twice = chinchilla_objective(theta, np.tile(N, 2), np.tile(D, 2), np.tile(L, 2))[0]
    assert twice == pytest.approx(2 * huber.sum(), rel=1e-10)


def test_noise_free_data_give_back_the_law() -> None:
    N, D, L = synthetic_chinchilla_data(LAW, n_points=80, noise=0.0, seed=6)
    fit = fit_chinchilla(N, D, L, grid=SMALL_GRID)
    # The exponents and the floor are sharply identified; A and B sit in a shallow valley (a 1e-4
    # change in B moves no predicted loss by more than about 1e-7 here), so where the optimiser stops
    # inside it differs between CPUs: they get a tolerance ten times wider, and the predictions one
    # tight enough to catch any real error.
    for name, rel in (("E", 1e-4), ("alpha", 1e-4), ("beta", 1e-4), ("A", 1e-3), ("B", 1e-3)):
        assert getattr(fit, name) == pytest.approx(getattr(LAW, name), rel=rel), name
    np.testing.assert_allclose(fit.predict(N, D), L, rtol=1e-5)
    assert fit.objective < 1e-10
    assert fit.converged


def test_batched_fit_reaches_the_optimum_of_the_scipy_loop() -> None:
    N, D, L = synthetic_chinchilla_data(LAW, n_points=80, noise=0.01, seed=8)
    fast = fit_chinchilla(N, D, L, grid=TINY_GRID, method="batched")
    slow = fit_chinchilla(N, D, L, grid=TINY_GRID, method="scipy")
    assert fast.n_starts == slow.n_starts == TINY_GRID.n_starts == 72
    assert fast.objective == pytest.approx(slow.objective, rel=1e-6)
    assert fast.objective <= slow.objective * (1 + 1e-9)
    for name in ("alpha", "beta", "E"):
        assert getattr(fast, name) == pytest.approx(getattr(slow, name), rel=1e-3), name
    for name in ("A", "B"):
        assert getattr(fast, name) == pytest.approx(getattr(slow, name), rel=1e-2), name


def test_full_hoffmann_grid_recovers_the_besiroglu_refit() -> None:
    # The one test on the full 4,500-start grid: 240 points, 0.3% noise on the loss.
    assert HOFFMANN_GRID.n_starts == 4500
    N, D, L = synthetic_chinchilla_data(LAW, n_points=240, noise=0.003, seed=0)
    fit = fit_chinchilla(N, D, L)
    assert fit.n_starts == 4500 and fit.n_points == 240
    assert fit.converged
    assert abs(fit.alpha - LAW.alpha) < 0.02
    assert abs(fit.beta - LAW.beta) < 0.02
    assert fit.E == pytest.approx(LAW.E, rel=0.02)
    # The optimum is at least as good as the true parameters.
    truth = np.array([np.log(LAW.A), np.log(LAW.B), np.log(LAW.E), LAW.alpha, LAW.beta])
    assert fit.objective <= chinchilla_objective(truth, N, D, L)[0]
    # A fit is usable wherever a law is: its frontier is close to the generator's.
    C = training_flops(70e9, 1.4e12)
    assert compute_optimal(C, fit).tokens_per_parameter == pytest.approx(
        compute_optimal(C, LAW).tokens_per_parameter, rel=0.3
    )
    assert fit.predict(1e9, 2e10) == pytest.approx(LAW.predict(1e9, 2e10), rel=0.01)


def test_lbfgs_batched_solves_each_row() -> None:
    # Each row is a Rosenbrock function with its own curvature k, carried as a third coordinate
    # with zero gradient; every row's minimum is at (1, 1) and k must come back unchanged.
    def fun(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u, v, k = x.T
        f = (1 - u) ** 2 + k * (v - u**2) ** 2
        g = np.column_stack([-2 * (1 - u) - 4 * k * u * (v - u**2), 2 * k * (v - u**2), np.zeros(len(x))])
        return f, g

    k = np.array([1.0, 10.0, 100.0])
    x0 = np.column_stack([[-1.2, 0.0, 2.0], [1.0, -0.5, 2.0], k])
    res = minimize_lbfgs_batched(fun, x0, gtol=1e-9)
    np.testing.assert_allclose(res.x[:, :2], 1.0, atol=1e-5)
    np.testing.assert_array_equal(res.x[:, 2], k)
    assert res.converged.all()


# --- compute-optimal allocation ----------------------------------------------------------


@pytest.mark.parametrize("law", [HOFFMANN_2022, BESIROGLU_2024, BESIROGLU_2024_HOFFMANN_PROCEDURE])
def test_closed_form_optimum_equals_numerical_optimum(law: ChinchillaLaw) -> None:
    C = np.logspace(18, 26, 9)
    closed = compute_optimal(C, law)
    numeric = compute_optimal_numerical(C, law)
    np.testing.assert_allclose(closed.N_opt, numeric.N_opt, rtol=1e-4)
    np.testing.assert_allclose(closed.D_opt, numeric.D_opt, rtol=1e-4)
    np.testing.assert_allclose(6 * closed.N_opt * closed.D_opt, C, rtol=1e-12)
    np.testing.assert_allclose(closed.loss, law.predict(closed.N_opt, closed.D_opt), rtol=1e-12)
    # It is a minimum: any other split of the same budget loses more.
    for factor in (0.8, 1.25):
        assert np.all(chinchilla_loss(closed.N_opt * factor, C / (6 * closed.N_opt * factor), law) > closed.loss)


@given(
    E=st.floats(0.0, 3.0),
    A=st.floats(10.0, 1e4),
    B=st.floats(10.0, 1e4),
    alpha=st.floats(0.1, 1.0),
    beta=st.floats(0.1, 1.0),
    log10_C=st.floats(15.0, 27.0),
)
def test_closed_form_optimum_for_any_law(E: float, A: float, B: float, alpha: float, beta: float, log10_C: float) -> None:
    law = ChinchillaLaw(E=E, A=A, B=B, alpha=alpha, beta=beta)
    C = 10.0**log10_C
    closed = compute_optimal(C, law)
    assume(1.0 < closed.N_opt < C / 6.0)  # the numerical search covers 1 <= N <= C/6
    assert compute_optimal_numerical(C, law).N_opt == pytest.approx(closed.N_opt, rel=1e-4)


def test_compute_optimal_exponents() -> None:
    law = BESIROGLU_2024
    opt = compute_optimal(np.array([1e20, 1e24]), law)
    a = np.log(opt.N_opt[1] / opt.N_opt[0]) / np.log(1e4)
    b = np.log(opt.D_opt[1] / opt.D_opt[0]) / np.log(1e4)
    assert a == pytest.approx(law.beta / (law.alpha + law.beta), rel=1e-10)
    assert b == pytest.approx(law.alpha / (law.alpha + law.beta), rel=1e-10)
    assert isinstance(compute_optimal(1e21, law).N_opt, float)


def test_besiroglu_refit_gives_about_18_tokens_per_parameter_at_chinchillas_budget() -> None:
    # FACTS.md: ~18 tokens per parameter (closed form from the refit, Besiroglu et al. 2024).
    C = training_flops(HOFFMANN_2022.chinchilla_N, HOFFMANN_2022.chinchilla_D)
    assert 17.0 < compute_optimal(C, BESIROGLU_2024).tokens_per_parameter < 19.0


def test_published_records() -> None:
    assert KAPLAN_2020.citation == "kaplan2020scaling"
    assert HOFFMANN_2022.citation == "hoffmann2022training"
    assert BESIROGLU_2024.citation == BESIROGLU_2024_HOFFMANN_PROCEDURE.citation == "besiroglu2024chinchilla"
    assert (HOFFMANN_2022.E, HOFFMANN_2022.A, HOFFMANN_2022.B) == (1.69, 406.4, 410.7)
    assert BESIROGLU_2024.alpha_ci95[0] < BESIROGLU_2024.alpha < BESIROGLU_2024.alpha_ci95[1]
    # Table 3 is consistent with C = 6 N D to within its rounding (the 67B row is 4.7% off).
    for row in HOFFMANN_2022.table3:
        assert training_flops(row.N, row.D) == pytest.approx(row.C, rel=0.05)
    with pytest.raises(dataclasses.FrozenInstanceError):
        HOFFMANN_2022.E = 1.0  # type: ignore[misc]
    assert hash(BESIROGLU_2024_HOFFMANN_PROCEDURE)  # frozen records can key a cache


# --- IsoFLOP profiles --------------------------------------------------------------------


def test_isoflop_noise_free_recovers_the_exponent_exactly() -> None:
    # Sampled symmetrically in log N around each optimum, every profile has the same shape up
    # to scale, so the parabola's bias is the same factor at every budget: the slope is exact.
    N, C, L = synthetic_isoflop_data(LAW, np.logspace(18, 22, 5), n_per_budget=7, span=3.0)
    fit = fit_isoflop(N, C, L)
    assert fit.a == pytest.approx(LAW.beta / (LAW.alpha + LAW.beta), abs=1e-6)
    assert fit.b == pytest.approx(LAW.alpha / (LAW.alpha + LAW.beta), abs=1e-6)
    assert fit.interior.all()


def test_isoflop_recovers_the_exponent_from_noisy_profiles() -> None:
    a_true = LAW.beta / (LAW.alpha + LAW.beta)
    budgets = np.logspace(18, 22, 8)
    N, C, L = synthetic_isoflop_data(LAW, budgets, n_per_budget=9, span=4.0, noise=0.002, seed=0)
    fit = fit_isoflop(N, C, L)
    assert abs(fit.a - a_true) < 0.02
    assert fit.a + fit.b == pytest.approx(1.0, abs=1e-9)  # C = 6 N D ties the two exponents
    np.testing.assert_allclose(6 * fit.N_opt * fit.D_opt, fit.C)
    # The 95% interval of a covers the truth in about 95% of 200 seeded experiments.
    covered = 0
    for seed in range(200):
        N, C, L = synthetic_isoflop_data(LAW, budgets, n_per_budget=9, span=4.0, noise=0.002, seed=seed)
        lo, hi = fit_isoflop(N, C, L).a_ci
        covered += lo < a_true < hi
    assert 0.88 <= covered / 200 <= 0.99


def test_isoflop_rejects_bad_profiles() -> None:
    N, C, L = synthetic_isoflop_data(LAW, np.logspace(18, 21, 4), n_per_budget=5)
    keep = ~((C == C[0]) & (np.arange(C.size) >= 2))  # leave 2 points in the first budget
    with pytest.raises(ValueError, match="distinct model sizes; a parabola needs at least 3"):
        fit_isoflop(N[keep], C[keep], L[keep])
    hump = L.copy()
    first = C == C[0]
    hump[first] = 5.0 - (np.log(N[first]) - np.log(N[first]).mean()) ** 2  # a maximum, not a minimum
    with pytest.raises(ValueError, match="opens downward"):
        fit_isoflop(N, C, hump)
    two = C <= np.unique(C)[1]
    with pytest.raises(ValueError, match="at least 3 distinct compute budgets"):
        fit_isoflop(N[two], C[two], L[two])


# --- bootstrap ---------------------------------------------------------------------------


def test_bootstrap_power_law_is_deterministic_and_covers_the_truth() -> None:
    rng = np.random.default_rng(10)
    x = np.logspace(6, 10, 40)
    y = 8.0 * x**-0.076 * np.exp(0.02 * rng.standard_normal(x.size))
    first = bootstrap(fit_power_law, x, y, n_boot=300, seed=1)
    again = bootstrap(fit_power_law, x, y, n_boot=300, seed=1)
    other = bootstrap(fit_power_law, x, y, n_boot=300, seed=2)
    np.testing.assert_array_equal(first.samples, again.samples)
    assert first.lower == again.lower and first.upper == again.upper
    assert not np.array_equal(first.samples, other.samples)
    assert first.names == ("A", "alpha")
    lo, hi = first.interval("alpha")
    assert lo < 0.076 < hi
    assert lo < first.estimate["alpha"] < hi
    # The percentile interval is close to the t interval for this well-behaved case.
    t_lo, t_hi = fit_power_law(x, y).alpha_ci
    assert (hi - lo) == pytest.approx(t_hi - t_lo, rel=0.3)


def test_bootstrap_saturating_fit_covers_the_truth() -> None:
    rng = np.random.default_rng(11)
    x = np.logspace(7, 11, 30)
    y = 1.69 + 406.4 * x**-0.34 * np.exp(0.01 * rng.standard_normal(x.size))
    res = bootstrap(lambda a, b: fit_saturating_power_law(a, b, E_starts=4), x, y, n_boot=60, seed=0)
    assert res.lower["E"] < 1.69 < res.upper["E"]
    assert res.lower["alpha"] < 0.34 < res.upper["alpha"]
    assert res.n_failed == 0


def test_bootstrap_chinchilla_with_warm_start_covers_the_truth() -> None:
    N, D, L = synthetic_chinchilla_data(LAW, n_points=240, noise=0.01, seed=12)
    full = fit_chinchilla(N, D, L, grid=SMALL_GRID)
    res = bootstrap(lambda n, d, l: fit_chinchilla(n, d, l, init=full), N, D, L, n_boot=60, seed=3)
    assert res.names == ("E", "A", "B", "alpha", "beta")
    for name in ("E", "alpha", "beta"):
        lo, hi = res.interval(name)
        assert lo < getattr(LAW, name) < hi, name
        assert hi - lo > 1e-3, name  # the refits moved: a stalled warm start would give ~0 width


# --- bad input ---------------------------------------------------------------------------

X5 = [1.0, 2.0, 3.0, 4.0, 5.0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: fit_power_law([1.0, 2.0, -3.0, 4.0], [1.0, 2.0, 3.0, 4.0]), r"x must be positive and finite; got -3.0 at index 2"),
        (lambda: fit_power_law(X5, [1.0, 2.0, np.inf, 4.0, 5.0]), r"y must be positive and finite; got inf at index 2"),
        (lambda: fit_power_law(X5, X5[:4]), r"x, y must have the same length"),
        (lambda: fit_power_law([1.0, 2.0], [1.0, 2.0]), r"needs at least 3 points; got 2"),
        (lambda: fit_power_law([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]), r"at least 2 distinct values"),
        (lambda: fit_power_law(X5, X5, confidence=95), r"confidence must lie strictly between 0 and 1"),
        (lambda: fit_saturating_power_law(X5[:3], X5[:3]), r"needs at least 4 points; got 3"),
        (lambda: fit_chinchilla(X5 * 2, X5 * 2, [2.0, np.nan] + [1.0] * 8), r"loss must be positive and finite; got nan at index 1"),
        (lambda: fit_chinchilla(X5, X5, X5), r"needs at least 6 points; got 5"),
        (lambda: fit_chinchilla([0.0] + X5, X5 + [1.0], X5 + [1.0]), r"N must be positive and finite; got 0.0 at index 0"),
        (lambda: fit_chinchilla(X5 + [6.0], X5, X5 + [6.0]), r"N, D, loss must have the same length; N has 6, D has 5"),
        (lambda: fit_chinchilla(X5 + [6.0], X5 + [6.0], X5 + [6.0], delta=0.0), r"delta \(the Huber threshold\) must be positive"),
        (lambda: fit_chinchilla(X5 + [6.0], X5 + [6.0], X5 + [6.0], method="adam"), r"method must be 'batched' or 'scipy'"),
        (lambda: chinchilla_objective([1.0, 2.0], X5, X5, X5), r"theta must be 5 finite numbers"),
        (lambda: ChinchillaGrid(alpha=(), beta=(0.0,), e=(0.0,), a=(0.0,), b=(0.0,)), r"grid.alpha must hold at least one"),
        (lambda: compute_optimal(-1e21, LAW), r"C must be positive and finite; got -1e\+21"),
        (lambda: compute_optimal(1e21, ChinchillaLaw(E=1.7, A=400.0, B=400.0, alpha=0.0, beta=0.3)), r"A, B, alpha and beta all positive"),
        (lambda: bootstrap(fit_power_law, X5, X5, n_boot=1), r"n_boot must be at least 2"),
        (lambda: bootstrap(fit_power_law), r"bootstrap needs the data arrays"),
        (lambda: flops_per_token_forward(0, 768, 1024), r"n_layer must be a positive integer"),
        (lambda: flops_per_token_forward(12, 768, 0), r"n_ctx must be a positive integer"),
        (lambda: training_flops(-70e9, 1.4e12), r"N must be positive and finite"),
        (lambda: kaplan_loss_ND(1e9, []), r"D is empty"),
        (lambda: synthetic_isoflop_data(LAW, [1e20], n_per_budget=2), r"n_per_budget must be at least 3"),
        (lambda: synthetic_chinchilla_data(LAW, N_range=(1e10, 1e8)), r"N_range must be \(low, high\) with 0 < low < high"),
        (lambda: fit_chinchilla(X5 + [6.0], X5 + [6.0], X5 + [6.0], init=ChinchillaLaw(E=0.0, A=1.0, B=1.0, alpha=0.3, beta=0.3)), r"init must have positive, finite E, A and B"),
    ],
)
def test_bad_input_raises_value_error_that_says_what_to_fix(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()
