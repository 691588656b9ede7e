"""The pieces of the batched fits: starts at predicted minima (:mod:`cevns_stats.inference.starts`) end where
fits from the reference end, in fewer iterations; the Newton step counts releasing a held parameter; the
batched LDLᵀ solve equals LAPACK's and flags matrices that are not positive definite; failed fits are
repeated from a second start; −log L keeps pyhf's conventions at zero rates; the Hessian's Fisher and
second-order parts, the derivatives with per-dataset row scales and the log-factorial table by independent
routes.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from scipy.special import gammaln

from cevns_stats.inference.derivatives import SecondOrder, nll_grad_hess_second, rate_jacobian
from cevns_stats.inference.discovery import generate_toys, q0
from cevns_stats.inference.engine import CompiledModel, log_factorial_sum
from cevns_stats.inference.fit import fit_batch, free_and_box, nll_grad_hess, refit_failed
from cevns_stats.inference.newton import ldl_solve, newton_step
from cevns_stats.inference.simplemodels import counting_workspace
from cevns_stats.inference.starts import linear_response_starts

BENCH = Path(__file__).resolve().parents[1] / "scripts" / "bench_toys.py"


def _bench_model(real_size: bool = False) -> CompiledModel:
    """The 16-parameter, 40-bin model of scripts/bench_toys.py (NSI on every flux channel), or its real-size
    model (3 channels × 81 bins, normsys and histosys on shared parameters)."""
    spec = importlib.util.spec_from_file_location("bench_toys", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    return CompiledModel.from_workspace(
        bench.real_size_workspace() if real_size else bench.benchmark_workspace()
    )


@pytest.fixture(scope="module")
def bench_model() -> CompiledModel:
    return _bench_model()


def _toys(model: CompiledModel, mu: float, n: int, seed: int):
    truth = model.init.copy()
    truth[model.par_index("mu")] = mu
    return generate_toys(model, truth, n, seed=seed, aux="resampled")


def test_start_is_one_newton_step_with_the_reference_hessian(bench_model):
    """Independent route: the toy's own gradient at the reference (the engine's analytic derivatives,
    evaluated on the toy) and the reference's Hessian give the same step as the linear response."""
    model = bench_model
    main, aux = _toys(model, 2.0, 50, seed=3)
    mean = (main.mean(axis=0)[None], aux.mean(axis=0)[None])
    reference = fit_batch(model, *mean)
    assert reference.converged[0]
    free, box = free_and_box(model)
    starts = linear_response_starts(model, (reference.pars, *mean), (main, aux), free=free, box=box)
    ref = np.repeat(reference.pars, main.shape[0], axis=0)
    _, grad, _ = nll_grad_hess(model, ref, main, aux)  # each toy's gradient at the reference point
    _, _, hess = nll_grad_hess(model, reference.pars, *mean)
    step = -np.linalg.solve(hess[0], grad.T).T
    inside = np.all((ref + step > box[0]) & (ref + step < box[1]), axis=1)
    assert inside.sum() >= 45  # the comparison is not only of clipped starts
    np.testing.assert_allclose(starts[inside], (ref + step)[inside], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("mu", [0.5, 2.0])
def test_predicted_starts_reach_the_same_minima_in_fewer_iterations(bench_model, mu):
    model = bench_model
    main, aux = _toys(model, mu, 400, seed=7)
    index = model.par_index("mu")
    result = q0(model, main, aux)  # starts predicted from the fits of the mean dataset
    null_ref = fit_batch(model, main.mean(axis=0), aux.mean(axis=0), fixed={"mu": 0.0}).pars
    null = fit_batch(model, main, aux, fixed={"mu": 0.0}, init=null_ref)  # the same fits from the reference
    free = fit_batch(model, main, aux, init=null.pars)  # the free fits from the background-only fits
    assert result.converged.all() and null.converged.all() and free.converged.all()
    np.testing.assert_allclose(result.null.nll, null.nll, rtol=0, atol=1e-7)
    np.testing.assert_allclose(result.free.nll, free.nll, rtol=0, atol=2e-5)  # within the fits' tolerance
    assert np.median(np.abs(result.free.pars[:, index] - free.pars[:, index])) < 1e-4
    assert result.null.n_iter.mean() < null.n_iter.mean() - 0.8
    assert result.free.n_iter.mean() < free.n_iter.mean() - 0.3


def test_poi_newton_step_of_the_free_starts(bench_model, monkeypatch):
    """The free fits' predicted starts get one Newton step in the signal strength alone: it equals the
    analytic step Σ s(1 − n/ν) / Σ n s²/ν² (ν linear in μ, the other parameters held), and q0's free fits
    then reach the same minima in fewer iterations than from the unrefined starts."""
    from cevns_stats.inference import discovery

    model = bench_model
    index = model.par_index("mu")
    main, aux = _toys(model, 2.0, 400, seed=11)
    starts = np.repeat(model.init[None], main.shape[0], axis=0)
    starts[:, index] = 1.5
    moved = discovery._poi_newton_step(model, starts, main, aux, index, (0.0, 1e4))
    background = model.expected_actualdata(np.where(np.arange(model.n_pars) == index, 0.0, starts))
    signal = (model.expected_actualdata(starts) - background) / 1.5
    rate = background + 1.5 * signal
    step = -np.sum(signal * (1 - main / rate), axis=1) / np.sum(main * signal**2 / rate**2, axis=1)
    np.testing.assert_allclose(moved[:, index], np.clip(1.5 + step, 0.0, None), rtol=1e-10)
    np.testing.assert_array_equal(np.delete(moved, index, axis=1), np.delete(starts, index, axis=1))
    refined = q0(model, main, aux)
    monkeypatch.setattr(discovery, "_poi_newton_step", lambda model, starts, *args: starts)
    unrefined = q0(model, main, aux)
    assert refined.converged.all() and unrefined.converged.all()
    np.testing.assert_allclose(refined.q0, unrefined.q0, rtol=0, atol=1e-6)
    assert refined.free.n_iter.mean() < unrefined.free.n_iter.mean() - 0.3


def test_newton_step_counts_the_release_of_a_held_parameter():
    """θ₀ on its lower bound with a small outward gradient is held; the step of θ₁ turns θ₀'s gradient
    inwards (cross term 0.9), so the decrement adds g₀'²/H₀₀ with g₀' = 0.01 − 0.9·0.5: the fit goes on
    instead of stopping on a bound that its own step makes wrong (a prototype of the predicted starts,
    without the held parameters of the reference, stopped 2.5e-4 above a minimum this way)."""
    hess = np.array([[[1.0, 0.9], [0.9, 1.0]]])
    box = (np.zeros(2), np.full(2, 10.0))
    theta = np.array([[0.0, 1.0]])
    linear = SecondOrder(np.zeros(0, dtype=int), np.zeros((1, 0)))  # the Hessian is its Fisher part
    step, decrement, newton = newton_step(np.array([[0.01, 0.5]]), hess, linear, theta, box)
    assert newton[0] and step[0, 0] == 0.0 and step[0, 1] == pytest.approx(-0.5)
    assert decrement[0] == pytest.approx(0.5**2 + (0.01 - 0.9 * 0.5) ** 2)
    # the gradient stays outward after the step: nothing to add
    _, decrement, _ = newton_step(np.array([[0.5, 0.1]]), hess, linear, theta, box)
    assert decrement[0] == pytest.approx(0.1**2)


def test_ldl_solve_equals_lapack_and_flags_indefinite_matrices():
    rng = np.random.default_rng(4)
    for size in (1, 2, 9, 16, 23):
        factors = rng.normal(size=(200, size, 3 * size))
        hess = factors @ factors.transpose(0, 2, 1)  # positive definite
        hess[:20] -= 2.0 * np.abs(hess[:20]).max() * np.eye(size)  # negative definite: not
        if size > 1:  # saddles: one negative eigenvalue, met at the last pivot at the latest
            rotation = np.linalg.qr(rng.normal(size=(10, size, size)))[0]
            eigenvalues = np.linspace(-1.0, 2.0, size)
            hess[20:30] = rotation @ (eigenvalues[:, None] * rotation.transpose(0, 2, 1))
        flagged = 30 if size > 1 else 20
        rhs = rng.normal(size=(200, size))
        x, ok = ldl_solve(hess, rhs)
        assert ok.tolist() == [False] * flagged + [True] * (200 - flagged)
        np.testing.assert_allclose(
            x[flagged:], np.linalg.solve(hess[flagged:], rhs[flagged:, :, None])[:, :, 0], rtol=1e-9
        )
    singular = np.array([[[1.0, 1.0], [1.0, 1.0]]])  # positive semi-definite only
    assert not ldl_solve(singular, np.ones((1, 2)))[1][0]


def test_failed_fits_are_repeated_from_the_second_start():
    model = CompiledModel.from_workspace(counting_workspace(signal=10.0, background=100.0, sigma=0.05))
    main = np.array([[100.0], [130.0], [160.0]])
    short = fit_batch(model, main, model.aux_nominal, max_iter=1)
    assert short.n_failed > 0
    again = refit_failed(model, main, model.aux_nominal, short, init=model.init, fixed=None)
    full = fit_batch(model, main, model.aux_nominal)
    assert again.converged.all()
    np.testing.assert_allclose(again.nll, full.nll, rtol=1e-12)
    np.testing.assert_array_equal(again.n_iter[~short.converged], 1 + full.n_iter[~short.converged])
    np.testing.assert_array_equal(again.pars[short.converged], short.pars[short.converged])


def test_negative_log_likelihood_at_zero_and_negative_rates():
    """The fast −log L (one logarithm per bin) keeps pyhf's conventions where rates vanish."""
    sample = {
        "name": "signal",
        "data": [10.0],
        "modifiers": [{"name": "mu", "type": "normfactor", "data": None}],
    }
    spec = {
        "channels": [{"name": "bin", "samples": [sample]}],
        "observations": [{"name": "bin", "data": [10.0]}],
        "measurements": [{"name": "m", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }
    model = CompiledModel.from_workspace(spec)
    pars = np.array([[1.0], [0.0], [0.0], [-2.0]])  # rates 10, 0, 0, −20
    data = np.array([[12.0], [0.0], [3.0], [5.0]])
    nll = model.nll(pars, data, model.aux_nominal)
    np.testing.assert_allclose(nll[:2], -model.logpdf(pars[:2], data[:2], model.aux_nominal), rtol=1e-12)
    assert nll[1] == 0.0  # no counts at zero rate: L = 1
    assert np.isposinf(nll[2]) and np.isposinf(nll[3])  # counts at zero rate; a negative rate
    finite = model.nll_is_finite(pars, data, np.zeros((4, 0)))
    assert finite.tolist() == [True, True, False, False]


def test_fisher_part_and_second_order_part_by_independent_routes(bench_model):
    """Fisher part = Σ_b n_b/ν_b² J_kb J_lb + 1/σ² (J from :func:`rate_jacobian`); the rest of the Hessian is
    the second-order part, which is not zero for normsys factors (φ'' ≠ 0)."""
    model = bench_model
    main, aux = _toys(model, 2.0, 30, seed=5)
    rng = np.random.default_rng(8)
    pars = model.init + rng.normal(0.0, 0.4, size=(30, model.n_pars))
    free = np.arange(model.n_pars)
    _, _, hess, second = nll_grad_hess_second(model, pars, main, aux, free)
    jac = rate_jacobian(model, pars, free)  # (n, F, B)
    rate = model.expected_actualdata(pars)
    fisher = np.einsum("nkb,nlb,nb->nkl", jac, jac, main / rate**2)
    constrained = model.aux_par_index
    fisher[:, constrained, constrained] += 1.0 / model.aux_sigma**2
    np.testing.assert_allclose(second.fisher(hess), fisher, rtol=1e-10, atol=1e-10)
    assert np.abs(hess - fisher).max() > 1e-3  # the second-order part matters here
    rows = np.array([4, 0, 17])
    np.testing.assert_array_equal(second.take(rows).fisher(hess[rows]), second.fisher(hess)[rows])


@pytest.mark.parametrize("real_size", [False, True])
def test_derivatives_with_row_scales_equal_finite_differences(real_size):
    """Per-dataset row scales (the reach grid's batched points) in the derivative code, which groups the
    parameters by the number of slots they enter (the real-size model's groups interleave): gradient and
    Hessian against central differences of −log L and of the gradient."""
    model = _bench_model(real_size)
    main, aux = _toys(model, 1.0, 4, seed=9)
    rng = np.random.default_rng(10)
    scale = rng.uniform(0.5, 2.0, size=(4, model.basis.shape[0]))
    pars = model.init + rng.normal(0.0, 0.3, size=(4, model.n_pars))
    free = np.arange(model.n_pars)
    _, grad, hess, _ = nll_grad_hess_second(model, pars, main, aux, free, row_scale=scale)
    h = 1e-6
    for k in range(model.n_pars):
        shift = np.zeros(model.n_pars)
        shift[k] = h
        up, down = (model.nll(pars + s, main, aux, row_scale=scale) for s in (shift, -shift))
        np.testing.assert_allclose(grad[:, k], (up - down) / (2 * h), rtol=1e-5, atol=1e-5)
        grad_up = nll_grad_hess_second(model, pars + shift, main, aux, free, row_scale=scale)[1]
        grad_down = nll_grad_hess_second(model, pars - shift, main, aux, free, row_scale=scale)[1]
        np.testing.assert_allclose(hess[:, k], (grad_up - grad_down) / (2 * h), rtol=1e-5, atol=1e-5)


def test_log_factorial_table_equals_gammaln():
    rng = np.random.default_rng(11)
    counts = rng.poisson(rng.uniform(0.0, 300.0, size=40), size=(50, 40)).astype(float)
    expected = gammaln(counts + 1.0).sum(axis=1)
    np.testing.assert_allclose(log_factorial_sum(counts), expected, rtol=1e-13)
    asimov = counts + 0.25  # not integers: lnΓ directly
    np.testing.assert_allclose(log_factorial_sum(asimov), gammaln(asimov + 1.0).sum(axis=1), rtol=1e-15)
    huge = np.array([[3.0, 1e7]])  # a table would be larger than the data: lnΓ directly
    np.testing.assert_allclose(log_factorial_sum(huge), gammaln(huge + 1.0).sum(axis=1), rtol=1e-15)
