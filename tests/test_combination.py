"""Combination: the combined likelihood is the product of its parts with shared constraints counted once;
lumi, renames, the same workspace twice, and what is merged by name."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyhf
import pytest
from click.testing import CliRunner
from scipy.stats import norm

from cevns_stats.cli import _register, cli
from cevns_stats.errors import UnknownName, WorkspaceError
from cevns_stats.likelihood.combination import combine, harmonise_bounds, parse_renames
from cevns_stats.likelihood.templates import read_templates
from cevns_stats.likelihood.workspace import build_workspace

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
WORKSPACES = TEMPLATES.parent / "workspaces"
KEEP = ("8B", "hep", "atm_numu")


def _small(target: str) -> dict:
    """A scalar workspace of one target's templates, pruned to three flux channels (fast pyhf models)."""
    spec = build_workspace(
        read_templates(TEMPLATES / f"{target}_scalar-universal_th1keV.json"), form="scalar", eps_ref=0.01
    )
    ws = pyhf.Workspace(spec)
    drop = [s for s in ws.samples if s.split("_", 1)[1] not in KEEP]
    mods = [m for m, _ in ws.modifiers if m.startswith("nu_flux_") and m[8:] not in KEEP]
    return json.loads(json.dumps(ws.prune(samples=drop, modifiers=mods)))


@pytest.fixture(scope="module")
def parts() -> list[dict]:
    return [_small("xenon"), _small("argon")]


def _logpdf(spec: dict, values: dict) -> tuple[float, dict]:
    """log L of the workspace at named parameter values, and its parameters' constraint terms."""
    ws = pyhf.Workspace(spec)
    model = ws.model()
    pars = np.array([values[n] for n in model.config.par_order])
    constraints = {
        n: float(norm.logpdf(0.0, values[n], 1.0)) for n in model.config.par_order if n.startswith("nu_flux_")
    }
    return float(model.logpdf(pars, ws.data(model))[0]), constraints


def test_logpdf_of_combination_is_sum_of_parts_with_shared_constraints_once(parts):
    combined = combine(parts).spec
    rng = np.random.default_rng(7)
    names = pyhf.Workspace(combined).model().config.par_order
    assert sorted(names) == sorted({"mu", *(f"nu_flux_{k}" for k in KEEP)})
    for _ in range(3):
        values = {n: rng.uniform(-1.5, 1.5) for n in names}
        values["mu"] = rng.uniform(0.0, 3.0)
        total, _ = _logpdf(combined, values)
        (first, c1), (second, c2) = (_logpdf(p, values) for p in parts)
        shared = sum(c1[n] for n in set(c1) & set(c2))
        assert total == pytest.approx(first + second - shared, rel=1e-10)


def test_same_workspace_twice_is_refused(parts):
    with pytest.raises(WorkspaceError, match=r"is the same workspace as a\.json"):
        combine([parts[0], parts[0]], labels=["a.json", "b.json"])


def test_rename_keeps_signal_strengths_apart_and_merged_pois_are_reported(parts):
    merged = combine(parts, labels=["xe", "ar"])
    assert merged.merged["pois"] == {"mu": ["xe", "ar"]}
    assert set(merged.merged["parameters"]) == {"mu", *(f"nu_flux_{k}" for k in KEEP)}
    apart = combine(parts, labels=["xe", "ar"], renames=parse_renames(["2:mu=mu_argon"]))
    ws = pyhf.Workspace(apart.spec)
    assert len(ws.measurement_names) == 2  # the renamed POI's measurement is kept apart
    model = ws.model(measurement_name=ws.measurement_names[0])
    assert "mu_argon" in model.config.par_order and model.config.poi_name == "mu"
    assert apart.merged["pois"] == {}
    with pytest.raises(UnknownName, match="nothing named 'nope'"):
        combine(parts, renames=parse_renames(["2:nope=x"]))
    with pytest.raises(WorkspaceError, match=r"\[N:\]OLD=NEW"):
        parse_renames(["mu"])


def test_lumi_workspaces_combine(shared_data, tmp_path):
    folder = shared_data / "external_likelihoods"
    _register()
    result = CliRunner().invoke(
        cli,
        [
            "combine",
            str(folder / "val_1bin_lumi.json"),
            str(folder / "multibin.json"),
            "--rename",
            "2:channel1=multibin_channel",
            "--rename",
            "2:uncorrshape=multibin_uncorrshape",
            "--output",
            str(tmp_path / "c.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    ws = pyhf.Workspace(json.loads((tmp_path / "c.json").read_text()))
    for name in ws.measurement_names:
        assert ws.model(measurement_name=name).config.par_order.count("lumi") == 1
    again = CliRunner().invoke(cli, ["combine", str(folder / "multibin.json"), str(folder / "multibin.json")])
    assert again.exit_code == 1 and "same workspace" in again.output


def test_cli_reports_merged_poi_on_stderr(parts, tmp_path):
    paths = []
    for k, spec in enumerate(parts):
        paths.append(tmp_path / f"{k}.json")
        paths[-1].write_text(json.dumps(spec))
    _register()
    result = CliRunner().invoke(cli, ["combine", *map(str, paths), "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 0
    assert "the POI 'mu' of" in result.stderr and "nu_flux_8B" in result.stderr


def _one_poi(channel: str, bounds: list[float], init: float) -> dict:
    """A one-bin external-style workspace whose POI ``mu`` has the given bounds and init."""
    sample = {"name": "s", "data": [1.0], "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]}
    parameters = [{"name": "mu", "inits": [init], "bounds": [bounds]}]
    return {
        "version": "1.0.0",
        "channels": [{"name": channel, "samples": [sample]}],
        "observations": [{"name": channel, "data": [1.0]}],
        "measurements": [{"name": "meas", "config": {"poi": "mu", "parameters": parameters}}],
    }


def test_harmonise_bounds_no_op_on_publications_intersects_other_bounds_only():
    # Every publication shares mu's init 1 and bounds [0, 10]: nothing to harmonise (the docstring says so).
    published = [
        json.loads((WORKSPACES / f"{d}_vector-minimal" / "BkgOnly.json").read_text())
        for d in ("darwin", "argo", "lead-future")
    ]
    assert harmonise_bounds(published) == published
    doc = harmonise_bounds.__doc__ or ""
    assert "POI_BOUNDS" in doc and "differs per target" not in doc
    # Configs that differ only in bounds (external workspaces) get the intersection; inits are not touched.
    out = harmonise_bounds([_one_poi("a", [0.0, 10.0], 5.0), _one_poi("b", [0.0, 3.0], 1.0)])
    configs = [spec["measurements"][0]["config"]["parameters"][0] for spec in out]
    assert [c["bounds"] for c in configs] == [[[0.0, 3.0]], [[0.0, 3.0]]]
    assert [c["inits"] for c in configs] == [[5.0], [1.0]]
    with pytest.raises(WorkspaceError, match="do not overlap"):
        harmonise_bounds([_one_poi("a", [0.0, 1.0], 0.5), _one_poi("b", [2.0, 3.0], 2.5)])
