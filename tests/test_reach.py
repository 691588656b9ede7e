"""Reach scans: Z trends, Asimov vs toys, contours, seeds, sign restriction, CLI contract and bad input."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cevns_stats.cli import _register, cli
from cevns_stats.detector.presets import make_detector
from cevns_stats.errors import InvalidInput
from cevns_stats.experiments.projections import reach_setup
from cevns_stats.inference.discovery import generate_toys
from cevns_stats.inference.fit import fit_batch
from cevns_stats.inference.reach import (
    contours,
    crossing,
    eps_reach,
    eps_reach_curve,
    point_asimov,
    point_model,
    point_toys,
    reach_grid,
    row_toys,
)
from cevns_stats.physics.fluxes.catalogue import get_channels
from cevns_stats.physics.interactions import make_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scalar_setup():
    return reach_setup(
        make_detector("xenon", threshold_keV=1.0),
        get_channels(None),
        make_model("scalar-universal"),
        preset="xenon",
    )


@pytest.fixture(scope="module")
def vector_setup():
    return reach_setup(
        make_detector("xenon", threshold_keV=1.0),
        get_channels(None),
        make_model("vector-universal"),
        preset="xenon",
    )


def test_z_grows_with_exposure_and_eps(scalar_setup):
    result = reach_grid(
        scalar_setup, [1.0, 10.0, 100.0], [0.004, 0.008, 0.016], n_toys=200, seed=4, with_asimov=True
    )
    assert np.all(np.diff(result.z_asimov, axis=0) > 0) and np.all(np.diff(result.z_asimov, axis=1) > 0)
    assert np.all(np.diff(result.z_mean, axis=1) > 0)
    assert np.all(np.diff(result.z_mean[:, 1:], axis=0) > 0)  # at the smallest ε Z ~ 0.5: noise-dominated
    assert result.n_failed.shape == (3, 3) and result.n_failed.dtype.kind == "i"
    assert result.settings["b8_events_per_tonne_year"] == pytest.approx(74.7, rel=0.05)
    assert "pp" in result.settings["dropped_empty_channels"]


def test_asimov_matches_toy_median_at_large_counts(scalar_setup):
    exposure, eps = 100.0, 0.008  # ~7000 ⁸B events, Z ≈ 5
    z_asimov = point_asimov(scalar_setup, exposure, eps)
    toys = point_toys(scalar_setup, exposure, eps, n_toys=400, seed=11)
    assert 3.5 < z_asimov < 7.0
    assert toys.z_median == pytest.approx(z_asimov, rel=0.1)
    assert toys.n_failed == 0


def test_row_scale_fits_equal_fits_of_the_scaled_models(scalar_setup):
    # a batch of datasets of differently scaled models (exposure, ε) fitted at once with row_scale
    points = [(10.0, 0.01), (300.0, 0.003)]
    models = [point_model(scalar_setup, e, eps) for e, eps in points]
    data = [generate_toys(m, m.init, 20, seed=k) for k, m in enumerate(models)]
    separate = [fit_batch(m, *d) for m, d in zip(models, data)]
    unit = point_model(scalar_setup, 1.0, 1.0)
    scales = np.array([e * eps**scalar_setup.eps_power for e, eps in points])
    joint = fit_batch(
        unit,
        np.vstack([d[0] for d in data]),
        np.vstack([d[1] for d in data]),
        row_scale=np.repeat(scales, 20, axis=0),
    )
    np.testing.assert_allclose(joint.nll, np.concatenate([f.nll for f in separate]), rtol=1e-10)
    np.testing.assert_allclose(joint.pars, np.vstack([f.pars for f in separate]), atol=1e-5)


def test_row_of_points_equals_points_one_by_one(vector_setup):
    seeds = np.random.SeedSequence(3).spawn(2)
    row = row_toys(vector_setup, 50.0, [-0.02, -0.05], seeds, n_toys=40)
    for eps, seed, got in zip([-0.02, -0.05], seeds, row):
        one = point_toys(vector_setup, 50.0, eps, n_toys=40, seed=seed)
        assert got.n_failed == one.n_failed
        assert got.z_mean == pytest.approx(one.z_mean, rel=1e-6)


def test_paper_mode_and_fixed_aux_run(scalar_setup):
    standard = point_toys(scalar_setup, 100.0, 0.008, n_toys=200, seed=5)
    paper = point_toys(scalar_setup, 100.0, 0.008, n_toys=200, seed=5, mode="paper", toy_aux="fixed")
    assert paper.z_median == pytest.approx(standard.z_median, rel=0.15)  # same median (PHYSICS.md §10)


def test_contours_on_a_synthetic_grid():
    eps = np.geomspace(1e-3, 1e-1, 9)
    eps3 = np.array([0.02, 0.005])  # Z = 3 + 4·log10(ε/ε3): exact under log-linear interpolation
    z = 3.0 + 4.0 * np.log10(eps[None, :] / eps3[:, None])
    found = contours(eps, z)
    np.testing.assert_allclose(found[3.0], eps3, rtol=1e-12)
    np.testing.assert_allclose(found[5.0], np.sqrt(10) * eps3, rtol=1e-12)
    assert math.isnan(crossing(eps, np.zeros(9), 3.0))  # never reached
    assert math.isnan(crossing(eps, np.full(9, 10.0), 3.0))  # already above at the first ε
    assert crossing(-eps, z[0], 3.0) == pytest.approx(-0.02)  # signed ε keeps its sign


def test_same_seed_identical_other_seed_different(scalar_setup):
    grid = ([1.0, 30.0], [0.005, 0.01])
    first = reach_grid(scalar_setup, *grid, n_toys=50, seed=7)
    again = reach_grid(scalar_setup, *grid, n_toys=50, seed=7)
    other = reach_grid(scalar_setup, *grid, n_toys=50, seed=8)
    np.testing.assert_array_equal(first.z_mean, again.z_mean)
    np.testing.assert_array_equal(first.z_median, again.z_median)
    assert not np.array_equal(first.z_mean, other.z_mean)
    # a point's seed depends on its grid index only, not on the size of the grid
    row = reach_grid(scalar_setup, grid[0][:1], grid[1], n_toys=50, seed=7)
    np.testing.assert_array_equal(row.z_mean[0], first.z_mean[0])


def test_signed_models_restrict_to_the_injected_sign(vector_setup, scalar_setup):
    result = reach_grid(vector_setup, [10.0], [-0.02, -0.05, -0.15], asimov=True)
    assert result.settings["eps_sign"] == -1 and result.z_mean is None
    assert np.all(np.diff(result.z_asimov[0]) > 0)
    assert result.contours()[3.0][0] < 0
    with pytest.raises(InvalidInput, match="eps"):
        reach_grid(scalar_setup, [1.0], [-0.01, -0.02], asimov=True)
    with pytest.raises(InvalidInput, match="toys"):
        reach_grid(scalar_setup, [1.0], [0.01, 0.02], n_toys=0)


def test_eps_reach_root(scalar_setup):
    eps3 = eps_reach(scalar_setup, 100.0, z=3.0, eps_min=1e-4)
    assert point_asimov(scalar_setup, 100.0, eps3) == pytest.approx(3.0, abs=2e-3)
    assert eps_reach(scalar_setup, 1000.0, z=3.0, eps_min=1e-4) < eps3


def test_eps_reach_curve_batches_exposures_and_levels(scalar_setup):
    """All roots at once (a repeated exposure with two levels, and the NaN cases) equal the one-point search,
    and the Asimov Z of each separate point fit sits on its level."""
    exposures, levels = [100.0, 1000.0, 100.0, 100.0], [3.0, 3.0, 5.0, 1e-9]
    roots = eps_reach_curve(scalar_setup, exposures, z=levels, eps_min=1e-4)
    assert np.isnan(roots[3])  # Z already above the level at eps_min
    assert np.isnan(eps_reach_curve(scalar_setup, [100.0], z=3.0, eps_min=1e-4, eps_max=1e-3)[0])  # never
    for e, level, root in list(zip(exposures, levels, roots))[:3]:
        assert root == pytest.approx(eps_reach(scalar_setup, e, z=level, eps_min=1e-4), rel=1e-9)
        assert point_asimov(scalar_setup, e, root) == pytest.approx(level, abs=1e-6)
    assert roots[1] < roots[0] < roots[2]


def test_cli_json_contract(tmp_path):
    args = [
        "reach",
        "--preset",
        "xenon",
        "--model",
        "scalar-universal",
        "--exposures",
        "1:100:3",
        "--eps",
        "0.003:0.03:4",
        "--toys",
        "30",
        "--seed",
        "3",
        "--json",
        "--plot",
        str(tmp_path / "reach.png"),
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "cevns_stats", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={
            "PYTHONPATH": str(ROOT),
            "PATH": "/usr/bin:/bin",
            "MPLBACKEND": "Agg",
            "HOME": str(tmp_path),
            "OPENBLAS_NUM_THREADS": "1",
        },
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {
        "exposures",
        "eps",
        "z_mean",
        "z_median",
        "z_asimov",
        "contours",
        "n_toys",
        "n_failed_fits",
        "settings",
    } <= set(out)
    assert len(out["z_mean"]) == 3 and len(out["z_mean"][0]) == 4 and out["n_toys"] == 30
    assert set(out["contours"]) == {"3", "5"} and len(out["contours"]["3"]) == 3
    assert {"preset", "model", "threshold_keV", "b8_events_per_tonne_year", "mode", "toy_aux"} <= set(
        out["settings"]
    )
    assert out["settings"]["mode"] == "standard" and out["settings"]["toy_aux"] == "resampled"
    assert (tmp_path / "reach.png").stat().st_size > 1000
    assert not [
        p for p in tmp_path.iterdir() if p.name.startswith(".reach")
    ]  # atomic writes: no temp files left


BASE = [
    "reach",
    "--preset",
    "xenon",
    "--model",
    "scalar-universal",
    "--exposures",
    "1:10:2",
    "--eps",
    "0.01:0.1:2",
]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"--exposures": "1:2"}, "LO:HI:N"),
        ({"--exposures": "a:b:3"}, "numbers"),
        ({"--exposures": "1:10:1"}, "at least 2"),
        ({"--exposures": "10:1:3"}, "smaller"),
        ({"--exposures": "0:10:3"}, "> 0"),
        ({"--eps": "-0.1:0.1:3"}, "same sign"),
        ({"--eps": "-0.1:-0.01:3"}, "positive range"),
        ({"--toys": "0"}, "--toys"),
        ({"--toys": "-3"}, "--toys"),
        ({"--toys": "5", "--asimov": None}, "not both"),
        ({"--scheduler": "tcp://127.0.0.1:1", "--workers": "2"}, "not both"),
        ({"--exposure": "3"}, "--exposures"),
    ],
)
def test_cli_bad_input(change, needle):
    _register()
    args = list(BASE)
    for key, value in change.items():
        if key in args:
            args[args.index(key) + 1] = value
        else:
            args += [key] if value is None else [key, value]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert needle in result.output and "Traceback" not in result.output


def test_unvalidated_internal_workspaces_pass_pyhf_schema(monkeypatch):
    """reach_setup and the leptoquark projections build their specs without validation (compiled at once,
    never written): the specs they build — scalar and signed forms, an NSI-family variant, a leptoquark
    projection — pass validate_workspace all the same."""
    from cevns_stats.experiments import leptoquark, projections
    from cevns_stats.likelihood.workspace import build_workspace, validate_workspace

    built = []

    def recording(*args, **kwargs):
        spec = build_workspace(*args, **kwargs)
        built.append((kwargs.get("validate"), spec))
        return spec

    monkeypatch.setattr(projections, "build_workspace", recording)
    monkeypatch.setattr(leptoquark, "build_workspace", recording)
    detector, channels = make_detector("argon", threshold_keV=5.0), get_channels(None)
    reach_setup(detector, channels, make_model("scalar-universal"), preset="argon")
    reach_setup(detector, channels, make_model("vector-minimal", flavour="mu", quark="d"), preset="argon")
    reach_setup(detector, channels, make_model("scalar-universal"), nsi_families=("atmospheric",))
    leptoquark.future_model(leptoquark.future_templates("argo", "mu", exposure_tonne_year=10.0))
    assert [validate for validate, _ in built] == [False] * 4
    for _, spec in built:
        validate_workspace(spec)
