"""pyhf workspaces from templates: exact rates, flux nuisances, validation errors, combination, XML, cabinetry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyhf
import pytest
from conftest import NUISANCES, make_templates
from scipy.stats import norm

from cevns_stats.errors import WorkspaceError
from cevns_stats.likelihood.combination import combine_workspaces
from cevns_stats.likelihood.histfactory import export_histfactory, import_histfactory, roundtrip_histfactory
from cevns_stats.likelihood.workspace import (
    build_workspace,
    default_eps_ref,
    eps_ref_of,
    format_value,
    set_eps,
    validate_workspace,
)

PYHF = str(Path(sys.executable).with_name("pyhf"))


def expected(spec: dict, pars: dict | None = None, data=None) -> np.ndarray:
    model = pyhf.Workspace(spec).model()
    init = model.config.suggested_init()
    for name, value in (pars or {}).items():
        init[model.config.par_slice(name)] = [value]
    return np.asarray(model.expected_actualdata(init))


@pytest.mark.parametrize("eps", [-0.7, -0.05, 0.13, 0.5, 2.0])
def test_linear_form_is_exact_for_any_eps(eps):
    ts = make_templates("xenon")
    assert np.any(ts.values["LIN"] < 0)  # negative nominal yields are accepted by pyhf
    spec = set_eps(build_workspace(ts), eps)
    np.testing.assert_allclose(expected(spec), ts.counts(eps).sum(axis=0), rtol=1e-12)
    params = {p["name"]: p for p in spec["measurements"][0]["config"]["parameters"]}
    assert params["nsi_lin"]["fixed"] and params["nsi_quad"]["inits"] == [eps**2]


def test_normsys_scales_every_sample_of_its_channel_only():
    ts = make_templates("xenon")
    spec = set_eps(build_workspace(ts), 0.1)
    counts = ts.counts(0.1)
    for alpha, factor in [(1.0, 1.06), (-1.0, 0.94)]:
        want = counts.sum(axis=0) + (factor - 1.0) * (
            counts[1] + counts[2]
        )  # both ⁷Be lines share one nuisance
        np.testing.assert_allclose(expected(spec, {"nu_flux_7Be": alpha}), want, rtol=1e-12)
    shifted = expected(spec, {"nu_flux_atm_numu": 2.0})
    np.testing.assert_allclose(
        shifted - counts.sum(axis=0), (1.5**2 - 1.0) * counts[3], rtol=1e-10
    )  # code4: hi^α


def test_histosys_is_the_linear_gaussian_and_kept_positive():
    ts = make_templates("argon")
    spec = set_eps(build_workspace(ts, flux_modifier="histosys"), -0.2)
    counts = ts.counts(-0.2)
    np.testing.assert_allclose(
        expected(spec, {"nu_flux_atm_numu": -1.7}) - counts.sum(axis=0),
        0.5 * -1.7 * counts[3],
        rtol=1e-10,
        atol=1e-12,
    )
    bounds = {p["name"]: p.get("bounds") for p in spec["measurements"][0]["config"]["parameters"]}
    lower = bounds["nu_flux_atm_numu"][0][0]
    assert 1.0 + 0.5 * lower == pytest.approx(1e-6) and bounds["nu_flux_8B"][0][0] == -5.0


def test_scalar_form_mu_is_eps_squared_over_eps_ref_squared():
    ts = make_templates("lead", interference=False)
    spec = build_workspace(ts, form="scalar", eps_ref=0.05)
    assert eps_ref_of(spec) == 0.05
    np.testing.assert_allclose(
        expected(spec, {"mu": (0.12 / 0.05) ** 2}), ts.counts(0.12).sum(axis=0), rtol=1e-12
    )
    ref = default_eps_ref(ts)
    assert np.log10(ref) == round(np.log10(ref))
    eps_3sigma = np.sqrt(3 * np.sqrt(ts.values["SM"].sum()) / ts.values["QUAD"].sum())
    assert ref / np.sqrt(10) <= eps_3sigma <= ref * np.sqrt(10)
    with pytest.raises(WorkspaceError, match="LIN = 0"):
        build_workspace(make_templates("lead"), form="scalar")


def test_observations_default_to_sm_asimov_and_user_data_is_checked():
    ts = make_templates("xenon")
    assert build_workspace(ts)["observations"][0]["data"] == pytest.approx(ts.values["SM"].sum(axis=0))
    assert build_workspace(ts, data=np.arange(6.0))["observations"][0]["data"] == list(range(6))
    for bad in ([1.0] * 5, [-1.0] * 6, [np.nan] * 6):
        with pytest.raises(WorkspaceError, match="6 finite counts"):
            build_workspace(ts, data=bad)


def test_format_value_is_sign_safe_and_unique():
    assert [format_value(v) for v in (-0.05, 0.1, 1000.0, 1e-5, -2.5e-7)] == [
        "m0p05",
        "0p1",
        "1000",
        "1em05",
        "m2p5em07",
    ]


@pytest.fixture
def good_spec():
    return build_workspace(make_templates("xenon"), form="sm")


def test_validation_errors_are_clear(good_spec):
    with pytest.raises(WorkspaceError, match="malformed workspace JSON"):
        validate_workspace('{"channels": [')
    spec = json.loads(json.dumps(good_spec))
    spec["channels"][0]["samples"] = []
    with pytest.raises(WorkspaceError, match="has no samples"):
        validate_workspace(spec)
    spec = json.loads(json.dumps(good_spec))
    spec["channels"][0]["samples"][0]["modifiers"] = spec["channels"][0]["samples"][0]["modifiers"][1:]
    with pytest.raises(WorkspaceError, match="lacks its flux nuisance"):
        validate_workspace(spec)
    spec = json.loads(json.dumps(good_spec))
    spec["measurements"][0]["config"]["poi"] = "mu_missing"
    with pytest.raises(WorkspaceError, match="POI 'mu_missing' is not a parameter"):
        validate_workspace(spec)
    spec = json.loads(json.dumps(good_spec))
    spec["observations"][0]["data"] = spec["observations"][0]["data"][:-1]
    with pytest.raises(WorkspaceError, match="observation of channel 'xenon' has 5 bins"):
        validate_workspace(spec)
    spec = json.loads(json.dumps(good_spec))
    spec["channels"][0]["samples"][0]["data"] = "many"
    with pytest.raises(WorkspaceError, match="not a valid pyhf workspace"):
        validate_workspace(spec)


def test_validation_remembers_valid_structures_only(good_spec):
    """A spec whose structure (names, types, lengths) passed is valid whatever its numbers; any other
    structure is checked again, also right after a valid one."""
    validate_workspace(good_spec)
    spec = json.loads(json.dumps(good_spec))
    sample = spec["channels"][0]["samples"][0]
    sample["data"] = [2.5 * x for x in sample["data"]]
    assert validate_workspace(spec) == pyhf.Workspace(spec)
    sample["data"] = sample["data"][:-1]
    with pytest.raises(WorkspaceError, match=r"not a valid pyhf workspace|bins"):
        validate_workspace(spec)
    spec = json.loads(json.dumps(good_spec))
    spec["measurements"][0]["config"]["poi"] = "mu_missing"
    with pytest.raises(WorkspaceError, match="POI 'mu_missing' is not a parameter"):
        validate_workspace(spec)


def test_bad_options_are_rejected():
    ts = make_templates("xenon")
    with pytest.raises(WorkspaceError, match="unique"):
        build_workspace([ts, ts])
    with pytest.raises(WorkspaceError, match="unknown workspace form"):
        build_workspace(ts, form="quadratic")
    with pytest.raises(WorkspaceError, match="unknown flux modifier"):
        build_workspace(ts, flux_modifier="shapesys")


def _discovery_z(spec: dict, signal_data: dict) -> float:
    """Asymptotic one-sided discovery Z (q0) on Asimov data with the signal (μ = 1)."""
    ws = pyhf.Workspace(spec)
    model = ws.model()
    data = np.concatenate([signal_data[c] for c in model.config.channels] + [model.config.auxdata])
    return float(norm.isf(pyhf.infer.hypotest(0.0, data, model, test_stat="q0")))


def test_combined_targets_share_flux_nuisances_and_gain_significance():
    sets = [
        make_templates(t, s, interference=False, seed=i)
        for i, (t, s) in enumerate([("xenon", 1.0), ("argon", 0.6), ("lead", 1.5)])
    ]
    specs = [build_workspace(ts, form="scalar", eps_ref=0.1) for ts in sets]
    combined = combine_workspaces(specs)
    model = pyhf.Workspace(combined).model()
    assert (
        model.config.par_order.count("nu_flux_8B") == 1
        and model.config.param_set("nu_flux_8B").n_parameters == 1
    )
    assert len(combined["measurements"]) == 1 and model.config.poi_name == "mu"
    signal = {ts.metadata["detector"]: ts.counts(0.1).sum(axis=0) for ts in sets}
    z_single = [_discovery_z(spec, signal) for spec in specs]
    z_combined = _discovery_z(combined, signal)
    assert all(z > 0.5 for z in z_single) and z_combined >= max(z_single)


def test_combination_refuses_inconsistent_cevns_workspaces():
    xe, ar = make_templates("xenon", interference=False), make_templates("argon", interference=False, seed=1)
    with pytest.raises(WorkspaceError, match="eps_ref"):
        combine_workspaces(
            [build_workspace(xe, form="scalar", eps_ref=0.1), build_workspace(ar, form="scalar", eps_ref=0.2)]
        )
    with pytest.raises(WorkspaceError, match="incompatible parameter configs"):
        combine_workspaces([set_eps(build_workspace(xe), 0.1), set_eps(build_workspace(ar), 0.2)])
    with pytest.raises(WorkspaceError, match="at least two"):
        combine_workspaces([build_workspace(xe)])


def test_combination_with_an_external_pyhf_workspace():
    external = pyhf.simplemodels.uncorrelated_background(
        signal=[1.0, 2.0], bkg=[10.0, 9.0], bkg_uncertainty=[2.0, 2.0]
    )
    external_spec = dict(pyhf.Workspace.build(external, [10.0, 9.0, *external.config.auxdata], name="other"))
    ours = build_workspace(make_templates("xenon", interference=False), form="scalar", eps_ref=0.1)
    combined = pyhf.Workspace(combine_workspaces([ours, external_spec]))
    assert sorted(combined.channels) == ["singlechannel", "xenon"]
    assert {m["name"] for m in combined["measurements"]} == {"other", "cevns_nsi_scalar_eps_ref_0p1"}
    assert combined.model(measurement_name="other").config.poi_name == "mu"


def _logpdf_by_name(spec: dict, values: dict) -> tuple[np.ndarray, float]:
    ws = pyhf.Workspace(spec)
    model = ws.model()
    pars = np.array([values[name] for name in model.config.par_order])
    return np.asarray(model.expected_data(pars)), float(model.logpdf(pars, ws.data(model))[0])


@pytest.mark.parametrize("flux_modifier", ["normsys", "histosys"])
def test_histfactory_xml_round_trip_is_exact(flux_modifier):
    ts = [make_templates("xenon"), make_templates("lz-ws2022", 0.3, seed=3)]
    spec = set_eps(build_workspace(ts, flux_modifier=flux_modifier), -0.3)
    back = roundtrip_histfactory(spec)
    model = pyhf.Workspace(back).model()
    assert model.config.modifier_settings == {
        "normsys": {"interpcode": "code4"},
        "histosys": {"interpcode": "code4p"},
    }
    assert model.config.suggested_fixed()[model.config.par_slice("nsi_lin")][0]
    assert model.config.suggested_init()[model.config.par_slice("nsi_quad")][0] == pytest.approx(0.09)
    rng = np.random.default_rng(7)
    for _ in range(5):
        values = {"nsi_lin": -0.3, "nsi_quad": 0.09, **{n: rng.uniform(-1.5, 1.5) for n in set(NUISANCES)}}
        ours, back_values = _logpdf_by_name(spec, values), _logpdf_by_name(back, values)
        np.testing.assert_allclose(back_values[0], ours[0], rtol=1e-9)
        assert back_values[1] == pytest.approx(ours[1], rel=1e-9)


def test_histfactory_export_is_relocatable_and_readable_by_pyhf_cli(tmp_path):
    spec = build_workspace(make_templates("xenon", interference=False), form="scalar", eps_ref=0.1)
    top = export_histfactory(spec, tmp_path / "xml")
    assert str(tmp_path) not in top.read_text()
    moved = tmp_path / "moved"
    (tmp_path / "xml").rename(moved)
    out = subprocess.run(
        [PYHF, "xml2json", "FitConfig.xml", "--basedir", "."],
        cwd=moved,
        capture_output=True,
        text=True,
        check=True,
    )
    point = {"mu": 1.3, **dict.fromkeys(NUISANCES, 0.4)}
    rate_back, logpdf_back = _logpdf_by_name(json.loads(out.stdout), point)
    rate, logpdf = _logpdf_by_name(spec, point)
    np.testing.assert_allclose(rate_back, rate, rtol=1e-9)
    assert logpdf_back == pytest.approx(logpdf, rel=1e-9)
    assert import_histfactory(moved / "FitConfig.xml")["channels"][0]["name"] == "xenon"
    with pytest.raises(WorkspaceError, match="not empty"):
        export_histfactory(spec, moved)


def test_pyhf_fit_cli_loads_our_workspace(tmp_path):
    spec = build_workspace(make_templates("xenon", interference=False), form="scalar", eps_ref=0.1)
    path = tmp_path / "workspace.json"
    path.write_text(json.dumps(spec))
    out = subprocess.run([PYHF, "fit", str(path)], capture_output=True, text=True, check=True)
    fitted = json.loads(out.stdout)["mle_parameters"]
    assert fitted["mu"][0] == pytest.approx(0.0, abs=1e-3)  # SM Asimov data: no NSI


def test_cabinetry_fits_our_workspace():
    cabinetry = pytest.importorskip("cabinetry")  # 0.6.0 requires pyhf~=0.7.0: compatible with 0.7.6
    ts = make_templates("xenon", 10.0, interference=False)
    spec = build_workspace(ts, form="scalar", eps_ref=0.1, data=ts.counts(0.1).sum(axis=0))
    model, data = cabinetry.model_utils.model_and_data(spec)
    result = cabinetry.fit.fit(model, data)
    fitted = dict(zip(result.labels, result.bestfit))
    assert fitted["mu"] == pytest.approx(1.0, abs=1e-3) and abs(fitted["nu_flux_8B"]) < 1e-3
    assert 0 < result.uncertainty[result.labels.index("mu")] < 1.0


def test_combination_intersects_differing_parameter_bounds():
    xe, ar = make_templates("xenon", interference=False), make_templates("argon", interference=False)
    specs = [build_workspace(ts, form="scalar", eps_ref=0.1) for ts in (xe, ar)]
    for spec, hi in zip(specs, (7.0, 3.0)):
        pars = spec["measurements"][0]["config"]["parameters"]
        pars[:] = [p for p in pars if p["name"] != "mu"] + [{"name": "mu", "bounds": [[0.0, hi]]}]
    combined = pyhf.Workspace(combine_workspaces(specs))
    model = combined.model()
    assert model.config.suggested_bounds()[model.config.poi_index] == [0.0, 3.0]
    specs[1]["measurements"][0]["config"]["parameters"][-1]["bounds"] = [[8.0, 9.0]]
    with pytest.raises(WorkspaceError, match="do not overlap"):
        combine_workspaces(specs)
