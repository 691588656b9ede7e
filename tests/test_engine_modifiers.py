"""Every modifier pyhf 0.7.6 supports, evaluated by the fast engine with pyhf's own likelihood.

The external workspaces (``../shared/data/external_likelihoods``, written by pyhf's authors and ATLAS
HistFitter exports) are read in place; the synthetic ones put each modifier and each odd case (asymmetric
normsys, normsys + histosys on one parameter, staterror over several samples with an empty bin, shapesys
with a zero uncertainty, shared shapefactor, fixed parameters, several measurements, no POI) in one model.
logpdf must equal pyhf's to 1e-8 relative; q0 (where the measurement has a POI) to 1e-6, or, where the two
minimisers stop in different minima, the test says which is deeper and requires ours to be the deeper.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pyhf
import pytest

from cevns_stats.errors import UnsupportedWorkspace, WorkspaceError
from cevns_stats.inference.discovery import generate_toys, q0
from cevns_stats.inference.engine import CompiledModel
from cevns_stats.inference.fit import fit_batch, nll_grad_hess

EXTERNAL = [
    "docs_examples_json_2-bin_1-channel.json",
    "multibin.json",
    "multichannel.json",
    "tests_test_export_workspace_integer_data.json",
    "tests_test_patchset_example_bkgonly.json",
    "tests_test_workspace_poiless.json",
    "val_1bin_lumi.json",
    "val_1bin_normsys.json",
    "val_2bin_2channel_coupledhistosys.json",
    "val_2bin_2channel_couplednorm.json",
    "val_2bin_histosys.json",
    "xmlimport.json",
]


def _normsys(name, hi, lo):
    return {"name": name, "type": "normsys", "data": {"hi": hi, "lo": lo}}


def _histosys(name, nominal, up, down):
    return {
        "name": name,
        "type": "histosys",
        "data": {"hi_data": list(np.multiply(nominal, up)), "lo_data": list(np.multiply(nominal, down))},
    }


def all_modifiers_workspace() -> dict:
    """Two channels (3 and 2 bins) with every modifier type and the cases pyhf users meet."""
    sig_sr, bkg_sr, other_sr = [3.0, 6.0, 2.0], [40.0, 30.0, 0.0], [10.0, 5.0, 2.0]
    bkg_cr, other_cr = [200.0, 150.0], [20.0, 10.0]
    sr = [
        {
            "name": "signal",
            "data": sig_sr,
            "modifiers": [
                {"name": "mu", "type": "normfactor", "data": None},
                {"name": "lumi", "type": "lumi", "data": None},
                _normsys("sig_xsec", 1.2, 0.85),  # asymmetric: hi != 2 - lo
            ],
        },
        {
            "name": "background",
            "data": bkg_sr,
            "modifiers": [
                _normsys("jes", 1.07, 0.9),  # HistFitter's pair: normsys and histosys on one parameter
                _histosys("jes", bkg_sr, [1.05, 1.1, 1.0], [0.97, 0.93, 1.0]),
                {"name": "staterror_SR", "type": "staterror", "data": [2.0, 3.0, 0.0]},
                {"name": "bkg_norm", "type": "shapefactor", "data": None},
                {"name": "lumi", "type": "lumi", "data": None},
            ],
        },
        {
            "name": "other",
            "data": other_sr,
            "modifiers": [
                {"name": "staterror_SR", "type": "staterror", "data": [1.0, 1.5, 0.5]},
                {"name": "other_shape", "type": "shapesys", "data": [2.0, 0.0, 1.0]},  # zero → fixed γ
                _normsys("jes", 1.03, 0.95),
                {"name": "k_other", "type": "normfactor", "data": None},
                {"name": "k_other", "type": "normfactor", "data": None},  # listed twice: pyhf applies it once
            ],
        },
    ]
    cr = [
        {
            "name": "background",
            "data": bkg_cr,
            "modifiers": [
                _normsys("jes", 1.02, 0.97),
                {"name": "bkg_norm", "type": "shapefactor", "data": None},  # shared with SR (2 of 3 bins)
                {"name": "lumi", "type": "lumi", "data": None},
            ],
        },
        {
            "name": "other",
            "data": other_cr,
            "modifiers": [
                _histosys("other_shape_cr", other_cr, [1.3, 1.1], [0.6, 0.8]),
                {"name": "k_other", "type": "normfactor", "data": None},
            ],
        },
    ]
    lumi = {"name": "lumi", "auxdata": [1.0], "sigmas": [0.03], "bounds": [[0.5, 1.5]], "inits": [1.0]}
    return {
        "channels": [{"name": "SR", "samples": sr}, {"name": "CR", "samples": cr}],
        "observations": [{"name": "SR", "data": [58.0, 45.0, 5.0]}, {"name": "CR", "data": [230.0, 165.0]}],
        "measurements": [
            {"name": "free", "config": {"poi": "mu", "parameters": [lumi]}},
            {
                "name": "fixed_k",
                "config": {
                    "poi": "mu",
                    "parameters": [lumi, {"name": "k_other", "fixed": True, "inits": [1.2]}],
                },
            },
            {"name": "xsec_poi", "config": {"poi": "k_other", "parameters": [lumi]}},
            {"name": "no_poi", "config": {"poi": "", "parameters": [lumi]}},
        ],
        "version": "1.0.0",
    }


def _random_points(model: CompiledModel, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lower, upper = model.bounds.T
    pars = model.init + rng.normal(0.0, 0.6, (n, model.n_pars)) * np.minimum(upper - lower, 2.0)
    pars = np.clip(pars, lower + 1e-3 * (upper - lower), upper)
    pars[1] = model.init
    return pars


def _assert_same_likelihood(model: CompiledModel, n_points: int = 30) -> None:
    ref = model.pyhf_model
    cfg = ref.config
    assert model.par_names == tuple(cfg.par_names)
    np.testing.assert_array_equal(model.init, cfg.suggested_init())
    np.testing.assert_array_equal(model.bounds, np.asarray(cfg.suggested_bounds()).reshape(-1, 2))
    np.testing.assert_array_equal(model.fixed, cfg.suggested_fixed())
    np.testing.assert_array_equal(model.aux_nominal, cfg.auxdata)
    pars = _random_points(model, n_points, seed=3)
    data = np.concatenate([model.observed_main, model.observed_aux])
    reference = np.array([ref.logpdf(p, data)[0] for p in pars])
    ours = model.logpdf(pars, model.observed_main, model.observed_aux)
    finite = np.isfinite(reference)
    assert finite.sum() >= n_points // 2
    np.testing.assert_allclose(ours[finite], reference[finite], rtol=1e-8, atol=0)
    np.testing.assert_allclose(
        model.expected_actualdata(pars), [ref.expected_actualdata(p) for p in pars], rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(
        model.expected_auxdata(pars), [ref.expected_auxdata(p) for p in pars], rtol=1e-12, atol=0
    )


@pytest.fixture
def tight_pyhf():
    """pyhf's numpy backend with SLSQP tightened (its default 1e-6 is too loose for a 1e-6 comparison)."""
    pyhf.set_backend("numpy", pyhf.optimize.scipy_optimizer(tolerance=1e-12))
    yield
    pyhf.set_backend("numpy", "scipy")


def _assert_same_q0(model: CompiledModel) -> None:
    """q0 of the observed data equals pyhf's; where the minima differ, ours must be the deeper one."""
    ref, cfg = model.pyhf_model, model.pyhf_model.config
    data = np.concatenate([model.observed_main, model.observed_aux])
    stat, (null_pars, free_pars) = pyhf.infer.test_statistics.q0(
        0.0,
        data,
        ref,
        cfg.suggested_init(),
        cfg.suggested_bounds(),
        cfg.suggested_fixed(),
        return_fitted_pars=True,
    )
    ours = q0(model, model.observed_main, model.observed_aux)
    assert ours.converged.all()
    pyhf_nll = {"free": -ref.logpdf(free_pars, data)[0], "null": -ref.logpdf(null_pars, data)[0]}
    ours_nll = {"free": ours.free.nll[0], "null": ours.null.nll[0]}
    for fit in ("free", "null"):
        deeper = "ours" if ours_nll[fit] < pyhf_nll[fit] else "pyhf's"
        assert ours_nll[fit] <= pyhf_nll[fit] + 1e-7, (
            f"{fit} fit: −log L ours {ours_nll[fit]:.10g}, pyhf {pyhf_nll[fit]:.10g}; {deeper} minimum is deeper"
        )
    if all(abs(ours_nll[f] - pyhf_nll[f]) < 1e-7 for f in ours_nll):
        assert ours.q0[0] == pytest.approx(float(stat), rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("name", EXTERNAL)
def test_external_workspaces_logpdf_and_q0_equal_pyhf(name, shared_data, tight_pyhf):
    spec = json.loads((shared_data / "external_likelihoods" / name).read_text())
    for measurement in [m["name"] for m in spec["measurements"]]:
        model = CompiledModel.from_workspace(spec, measurement=measurement)
        _assert_same_likelihood(model)
        if model.poi_name is not None:
            _assert_same_q0(model)


def test_external_patchset_patches_equal_pyhf(shared_data, tight_pyhf):
    folder = shared_data / "external_likelihoods"
    bkg_only = json.loads((folder / "tests_test_patchset_example_bkgonly.json").read_text())
    patchset = pyhf.PatchSet(json.loads((folder / "tests_test_patchset_example_patchset.json").read_text()))
    for patch in patchset.patches:
        model = CompiledModel.from_workspace(bkg_only, patch=patch)
        _assert_same_likelihood(model)
        _assert_same_q0(model)


@pytest.mark.parametrize("measurement", ["free", "fixed_k", "xsec_poi", "no_poi"])
def test_every_modifier_in_one_workspace_equals_pyhf(measurement, tight_pyhf):
    model = CompiledModel.from_workspace(all_modifiers_workspace(), measurement=measurement)
    assert {t for _, t in model.pyhf_model.config.modifiers} == {
        "normfactor",
        "lumi",
        "normsys",
        "histosys",
        "staterror",
        "shapesys",
        "shapefactor",
    }
    assert "staterror_SR[2]" in model.par_names and "bkg_norm[1]" in model.par_names  # vector parameters
    _assert_same_likelihood(model, n_points=60)
    if measurement == "fixed_k":
        assert model.fixed[model.par_index("k_other")] and model.init[model.par_index("k_other")] == 1.2
    if measurement == "no_poi":
        assert model.poi_name is None
        fit = fit_batch(model, model.observed_main, model.observed_aux)
        assert fit.converged.all()
    else:
        _assert_same_q0(model)


def test_derivatives_of_every_modifier_equal_finite_differences():
    model = CompiledModel.from_workspace(all_modifiers_workspace())
    rng = np.random.default_rng(5)
    pars = np.clip(model.init + rng.normal(0.0, 0.3, (4, model.n_pars)), 0.05, None)
    pars[:, model.par_index("jes")] = [-1.7, -0.4, 0.6, 1.3]  # both code-4 / code-4p regions
    data = np.round(model.expected_actualdata(pars) * 1.1)
    aux = model.expected_auxdata(model.init)[0] * rng.uniform(0.9, 1.1, model.aux_nominal.size)
    aux = np.repeat(aux[None], 4, axis=0)
    _, grad, hess = nll_grad_hess(model, pars, data, aux)
    step = 1e-6
    for k in range(model.n_pars):
        shift = np.zeros(model.n_pars)
        shift[k] = step
        numeric = (model.nll(pars + shift, data, aux) - model.nll(pars - shift, data, aux)) / (2 * step)
        np.testing.assert_allclose(grad[:, k], numeric, rtol=1e-5, atol=1e-5, err_msg=model.par_names[k])
        row = (
            nll_grad_hess(model, pars + shift, data, aux)[1]
            - nll_grad_hess(model, pars - shift, data, aux)[1]
        ) / (2 * step)
        np.testing.assert_allclose(hess[:, k], row, rtol=1e-5, atol=1e-5, err_msg=model.par_names[k])


def test_shapesys_toys_resample_poisson_auxiliary_data(shared_data):
    spec = json.loads(
        (shared_data / "external_likelihoods" / "docs_examples_json_2-bin_1-channel.json").read_text()
    )
    model = CompiledModel.from_workspace(spec)
    assert model.aux_poisson.all()
    _, aux = generate_toys(model, model.init, 2000, seed=1)
    np.testing.assert_array_equal(aux, np.round(aux))  # Poisson counts around τ = (nominal/σ)²
    np.testing.assert_allclose(aux.mean(axis=0), model.aux_nominal, rtol=0.05)


def test_measurement_is_chosen_by_name_and_unknown_names_are_reported():
    spec = all_modifiers_workspace()
    assert CompiledModel.from_workspace(spec, measurement="xsec_poi").poi_name == "k_other"
    with pytest.raises(WorkspaceError, match="nope"):
        CompiledModel.from_workspace(spec, measurement="nope")


def test_what_the_engine_cannot_evaluate_raises_unsupported_workspace():
    spec = all_modifiers_workspace()
    spec["channels"][0]["samples"][0]["modifiers"][2]["data"]["lo"] = 0.0  # code 4 takes log(lo)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # pyhf builds its model first (log(0) in code 4)
        with pytest.raises(UnsupportedWorkspace, match=r"normsys 'sig_xsec'.*lo=0\.0"):
            CompiledModel.from_workspace(spec)
    model = pyhf.Workspace(all_modifiers_workspace()).model(
        modifier_settings={"normsys": {"interpcode": "code1"}, "histosys": {"interpcode": "code0"}}
    )
    with pytest.raises(UnsupportedWorkspace, match="default interpolation"):
        CompiledModel.from_pyhf_model(model)
    assert issubclass(UnsupportedWorkspace, NotImplementedError)
