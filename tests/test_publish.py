"""BkgOnly + patchset publication (pyhf CLI cross-checks) and the workspace/combine commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyhf
import pytest
from click.testing import CliRunner
from conftest import make_templates

from cevns_stats.errors import WorkspaceError
from cevns_stats.likelihood.patches import apply_patch
from cevns_stats.likelihood.publish import (
    HEPDATA_PLACEHOLDER,
    POI_BOUNDS,
    POI_INIT,
    build_patchset,
    readme_text,
    write_publication,
)
from cevns_stats.physics.interactions import leptoquark_epsilon

PYHF = str(Path(sys.executable).with_name("pyhf"))
EPS_GRID = [-0.05, 0.1, 0.3]


@pytest.fixture(scope="module")
def published():
    sets = [make_templates("xenon"), make_templates("argon", 0.7, seed=2)]
    return sets, *build_patchset(sets, EPS_GRID, kind="eps")


def _rate_at(spec: dict, **pars) -> np.ndarray:
    model = pyhf.Workspace(spec).model()
    init = model.config.suggested_init()
    for name, value in pars.items():
        init[model.config.par_slice(name)] = [value]
    return np.asarray(model.expected_actualdata(init))


def test_patchset_metadata_and_digest(published):
    _, bkg_only, patchset = published
    meta = patchset["metadata"]
    assert meta["labels"] == ["eps"] and meta["references"] == {"hepdata": HEPDATA_PLACEHOLDER}
    assert meta["digests"]["sha256"] == pyhf.utils.digest(bkg_only)
    assert [p["metadata"]["name"] for p in patchset["patches"]] == ["eps_m0p05", "eps_0p1", "eps_0p3"]
    assert [p["metadata"]["values"] for p in patchset["patches"]] == [[e] for e in EPS_GRID]
    pyhf.patchset.PatchSet(patchset).verify(pyhf.Workspace(bkg_only))
    samples = {s["name"] for c in bkg_only["channels"] for s in c["samples"]}
    assert all(name.startswith("SM_") for name in samples)


@pytest.mark.parametrize("index", range(len(EPS_GRID)))
def test_patched_workspace_is_the_model_at_the_grid_point(published, index):
    sets, bkg_only, patchset = published
    eps = EPS_GRID[index]
    spec = apply_patch(bkg_only, patchset, patchset["patches"][index]["metadata"]["name"])
    by_name = {ts.metadata["detector"]: ts for ts in sets}
    order = pyhf.Workspace(spec).model().config.channels  # pyhf sorts channels by name
    want = np.concatenate([by_name[c].counts(eps).sum(axis=0) for c in order])
    np.testing.assert_allclose(_rate_at(spec, mu=1.0), want, rtol=1e-12)
    np.testing.assert_allclose(
        _rate_at(spec, mu=0.0), np.concatenate([by_name[c].values["SM"].sum(0) for c in order])
    )
    poi = bkg_only["measurements"][0]["config"]["parameters"][0]
    assert poi == {"name": "mu", "inits": [POI_INIT], "bounds": [list(POI_BOUNDS)]}  # one convention
    mu_max = patchset["patches"][index]["metadata"].get("mu_max", POI_BOUNDS[1])
    assert mu_max >= 1.0
    for ts in sets:  # every rate stays ≥ 0 up to μ_max, and μ_max is where the first one reaches 0
        nsi = eps * ts.values["LIN"] + eps**2 * ts.values["QUAD"]
        assert np.all(ts.values["SM"] + mu_max * nsi >= -1e-9 * ts.values["SM"].max())
    if "mu_max" in patchset["patches"][index]["metadata"]:
        assert min(np.min(ts.values["SM"] + 1.001 * mu_max * _nsi(ts, eps)) for ts in sets) < 0


def _nsi(ts, eps):
    return eps * ts.values["LIN"] + eps**2 * ts.values["QUAD"]


def test_any_two_publications_combine_with_pyhf(published):
    """Same POI convention everywhere: pyhf's own outer join of two BkgOnly files (different grids, targets)."""
    _, bkg_only, _ = published
    other, _ = build_patchset(make_templates("lead", 0.5, seed=5), [0.3, 0.7], kind="eps")
    combined = pyhf.Workspace.combine(pyhf.Workspace(bkg_only), pyhf.Workspace(other), join="outer")
    assert [p["name"] for p in combined["measurements"][0]["config"]["parameters"]].count("mu") == 1


def test_publication_files_are_0644_and_folder_0755(published, tmp_path):
    _, bkg_only, patchset = published
    out = write_publication(tmp_path / "pub", bkg_only, patchset, readme_text(bkg_only, patchset))
    mask = os.umask(0)
    os.umask(mask)
    assert oct(out.stat().st_mode & 0o777) == oct(0o777 & ~mask)
    assert {oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == {oct(0o666 & ~mask)}


def test_lq_grid_uses_the_leptoquark_epsilon():
    ts = make_templates("xenon")
    ts.metadata["model"] = "lq-s1"
    _, patchset = build_patchset(ts, [(1000.0, 0.5), (2500.0, 1.0)], kind="lq")
    first, second = patchset["patches"]
    assert (
        first["metadata"]["name"] == "m_1000_lambda_0p5" and second["metadata"]["name"] == "m_2500_lambda_1"
    )
    assert patchset["metadata"]["labels"] == ["m_S1_GeV", "lambda"]
    assert first["metadata"]["eps"] == pytest.approx(leptoquark_epsilon(1000.0, 0.5))
    assert first["metadata"]["eps"] < 0
    nsi = first["patch"][0]["value"]["data"]
    eps = leptoquark_epsilon(1000.0, 0.5)
    np.testing.assert_allclose(nsi, eps * ts.values["LIN"][0] + eps**2 * ts.values["QUAD"][0], rtol=1e-12)
    with pytest.raises(WorkspaceError, match="lq-s1"):
        build_patchset(make_templates("xenon"), [(1000.0, 1.0)], kind="lq")


@pytest.mark.parametrize(
    ("grid", "kind", "message"),
    [
        ([0.1, -0.05, 0.1], "eps", "duplicate"),
        ([0.1, float("nan")], "eps", "NaN"),
        ([], "eps", "non-empty"),
        ([0.0, 0.1], "eps", "background-only"),
        ([(1000.0, 1.0), (1000.0, 1.0)], "lq", "duplicate"),
        ([(-1000.0, 1.0)], "lq", "> 0"),
        ([0.1], "theta", "unknown grid kind"),
    ],
)
def test_bad_grids_are_rejected(grid, kind, message):
    ts = make_templates("xenon")
    ts.metadata["model"] = "lq-s1"
    with pytest.raises(WorkspaceError, match=message):
        build_patchset(ts, grid, kind=kind)


def test_write_publication_and_pyhf_cli_agree_with_hypotest(published, tmp_path):
    _, bkg_only, patchset = published
    out = write_publication(
        tmp_path / "pub", bkg_only, patchset, readme_text(bkg_only, patchset, command="test")
    )
    assert sorted(p.name for p in out.iterdir()) == ["BkgOnly.json", "README.md", "patchset.json"]
    readme = (out / "README.md").read_text()
    assert f"pyhf {pyhf.__version__}" in readme and "pyhf cls BkgOnly.json --patch" in readme
    script = (
        f"{PYHF} patchset verify BkgOnly.json patchset.json && "
        f"{PYHF} cls BkgOnly.json --patch <({PYHF} patchset extract patchset.json --name eps_0p1)"
    )
    run = subprocess.run(["bash", "-c", script], cwd=out, capture_output=True, text=True, check=True)
    assert run.stdout.startswith("All good.")
    cli_result = json.loads(run.stdout[run.stdout.index("{") :])
    spec = apply_patch(bkg_only, patchset, "eps_0p1")
    ws = pyhf.Workspace(spec)
    model = ws.model()
    cls_obs, cls_exp = pyhf.infer.hypotest(
        1.0, ws.data(model), model, test_stat="qtilde", return_expected_set=True
    )
    assert cli_result["CLs_obs"] == pytest.approx(float(cls_obs), rel=1e-6, abs=1e-12)
    np.testing.assert_allclose(cli_result["CLs_exp"], np.ravel(cls_exp), rtol=1e-6, atol=1e-12)
    assert 0.0 < cli_result["CLs_obs"] < 0.05  # ε = 0.1 is excluded by the SM Asimov data of these templates


def test_invalid_publication_writes_nothing(published, tmp_path):
    _, bkg_only, patchset = published
    tampered = json.loads(json.dumps(patchset))
    tampered["metadata"]["digests"]["sha256"] = "0" * 64
    with pytest.raises(WorkspaceError, match="invalid patchset"):
        write_publication(tmp_path / "pub", bkg_only, tampered, "readme")
    assert not (tmp_path / "pub").exists() and list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def cli():
    pytest.importorskip("cevns_stats.physics.fluxes.catalogue")
    from cevns_stats.cli import _register, cli

    _register()
    return cli


def _invoke(cli, args):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


CHEAP = ["--channels", "8B,hep,atm_numu", "--threshold", "2"]


def test_cli_vector_patchset_passes_pyhf_verify(cli, tmp_path):
    out = tmp_path / "vec"
    result = _invoke(
        cli,
        [
            "workspace",
            "--preset",
            "xenon",
            "--model",
            "vector-universal",
            *CHEAP,
            "--grid=-0.1:0.1:2",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    names = [p["metadata"]["name"] for p in json.loads((out / "patchset.json").read_text())["patches"]]
    assert names == ["eps_m0p1", "eps_0p1"]
    subprocess.run(
        [PYHF, "patchset", "verify", "BkgOnly.json", "patchset.json"],
        cwd=out,
        check=True,
        capture_output=True,
    )
    assert "cevns-stats workspace" in (out / "README.md").read_text()


def test_cli_lq_patchset_and_scalar_workspace_then_combine(cli, tmp_path):
    result = _invoke(
        cli,
        [
            "workspace",
            "--preset",
            "argon",
            "--model",
            "lq-s1",
            *CHEAP,
            "--lq-masses",
            "1000,2000",
            "--lq-couplings",
            "0.5",
            "--output",
            str(tmp_path / "lq"),
        ],
    )
    assert result.exit_code == 0, result.output
    meta = [p["metadata"] for p in json.loads((tmp_path / "lq" / "patchset.json").read_text())["patches"]]
    assert [m["name"] for m in meta] == ["m_1000_lambda_0p5", "m_2000_lambda_0p5"]
    for preset in ("xenon", "lead"):
        result = _invoke(
            cli,
            [
                "workspace",
                "--preset",
                preset,
                "--model",
                "scalar-universal",
                *CHEAP,
                "--eps-ref",
                "0.01",
                "--output",
                str(tmp_path / preset),
            ],
        )
        assert result.exit_code == 0, result.output
    combined = tmp_path / "combined.json"
    result = _invoke(
        cli,
        [
            "combine",
            str(tmp_path / "xenon" / "workspace.json"),
            str(tmp_path / "lead" / "workspace.json"),
            "--output",
            str(combined),
        ],
    )
    assert result.exit_code == 0, result.output
    model = pyhf.Workspace(json.loads(combined.read_text())).model()
    assert model.config.channels == ["lead", "xenon"] and model.config.par_order.count("nu_flux_8B") == 1


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--model", "vector-universal", "--grid", "0.1,0.1"], 1, "duplicate"),
        (["--model", "vector-universal", "--grid", "0.1,nan"], 2, "finite"),
        (["--model", "vector-universal", "--grid", "0.1:x:3"], 2, "LO:HI:N"),
        (["--model", "vector-universal"], 2, "need --grid"),
        (["--model", "scalar-universal", "--lq-masses", "1000", "--lq-couplings", "1"], 2, "lq-s1"),
    ],
)
def test_cli_bad_input_exits_cleanly_and_writes_nothing(cli, tmp_path, args, code, message):
    result = CliRunner().invoke(
        cli, ["workspace", "--preset", "xenon", *CHEAP, *args, "--output", str(tmp_path / "out")]
    )
    assert result.exit_code == code and message in result.output
    assert list(tmp_path.iterdir()) == []


def test_cli_combine_rejects_malformed_json(cli, tmp_path):
    bad, other = tmp_path / "bad.json", tmp_path / "other.json"
    bad.write_text('{"channels": [')
    other.write_text("{}")
    result = CliRunner().invoke(cli, ["combine", str(bad), str(other), "--output", str(tmp_path / "c.json")])
    assert result.exit_code == 1 and "cannot read a JSON workspace" in result.output
    assert not (tmp_path / "c.json").exists()
