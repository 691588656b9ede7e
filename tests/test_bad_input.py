"""Bad input never crashes or lies (issue 13): a corpus of bad and edge inputs across every command.

Each case asserts what a user sees: exit status ≠ 0, exactly one ``Error:`` line that names the problem
(the option, the value or the file), no traceback, and no file or folder left behind — neither in the
working directory nor at the requested destination. The cases run in-process through click's ``CliRunner``
(fast); a few run as real subprocesses (the console entry point, and ``paper --output /proc/x`` must fail in
under 5 s, before any computation).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import committed_scalar_spec

from cevns_stats.cli import _register, cli

ROOT = Path(__file__).resolve().parents[1]
WS = ROOT / "workspaces"
BKG_ONLY = WS / "darwin_vector-minimal" / "BkgOnly.json"
PATCHSET = WS / "darwin_vector-minimal" / "patchset.json"
REACH = ["reach", "--model", "scalar-universal", "--eps", "0.01:0.1:3", "--exposures", "1:10:2"]
LQ = ["--model", "lq-s1"]
VEC = ["--model", "vector-universal"]


def _workspace_with(change) -> dict:
    spec = committed_scalar_spec()
    spec = copy.deepcopy(spec)
    change(spec)
    return spec


def _set_obs(value):
    def change(spec):
        spec["observations"][0]["data"][3] = value

    return change


def _set_sample(value):
    def change(spec):
        spec["channels"][0]["samples"][0]["data"][2] = value

    return change


# Files a case may refer to by name; written into the case's empty working directory before it runs.
FIXTURES = {
    "nan_obs.json": lambda: json.dumps(_workspace_with(_set_obs(float("nan")))),
    "negative_obs.json": lambda: json.dumps(_workspace_with(_set_obs(-5.0))),
    "inf_obs.json": lambda: json.dumps(_workspace_with(_set_obs(float("inf")))),
    "nan_sample.json": lambda: json.dumps(_workspace_with(_set_sample(float("nan")))),
    "negative_sample.json": lambda: json.dumps(_workspace_with(_set_sample(-1.0))),
    "patchset_as_ws.json": lambda: PATCHSET.read_text(),
    "not_json.json": lambda: "this is not JSON {",
    "not_a_workspace.json": lambda: json.dumps({"hello": "world"}),
    "ws.json": lambda: json.dumps(committed_scalar_spec()),
    "a_file": lambda: "I am a file",
    "flux.csv": lambda: "E,flux\n1,2\n2,nan\n",
    "eff.txt": lambda: "# E, eff\n1, 0.1\n3, 0.5\n2, 0.9\n",
}
# Folders a case needs (e.g. a folder where a file must be written).
FOLDERS = {
    "clash_ws": ["clash_ws/workspace.json"],
    "clash_paper": ["clash_paper/results.json"],
    "a_folder": ["a_folder"],
}

# (id, args, words the Error line must contain (case-insensitive, all of them))
CASES = [
    # --- rates: detector options
    ("exposure-zero", ["rates", "--exposure", "0"], ["--exposure", "> 0"]),
    ("exposure-negative", ["rates", "--exposure", "-1"], ["--exposure", "-1"]),
    ("exposure-nan", ["rates", "--exposure", "nan"], ["--exposure", "finite"]),
    ("exposure-inf", ["rates", "--exposure", "inf"], ["--exposure", "finite"]),
    ("exposure-huge", ["rates", "--exposure", "1e9"], ["--exposure", "1e6"]),
    ("exposure-text", ["rates", "--exposure", "lots"], ["--exposure", "not a number"]),
    ("threshold-zero", ["rates", "--threshold", "0"], ["--threshold", "> 0"]),
    ("threshold-negative", ["rates", "--threshold", "-1"], ["--threshold"]),
    ("threshold-nan", ["rates", "--threshold", "nan"], ["--threshold", "finite"]),
    (
        "threshold-above-recoil",
        ["rates", "--threshold", "1e6"],
        ["threshold 1e6 kev", "largest possible recoil"],
    ),
    (
        "threshold-above-recoil-step",
        ["rates", "--threshold", "1e9", "--efficiency", "step"],
        ["threshold", "largest possible recoil"],
    ),
    (
        "threshold-above-solar-recoil",
        ["rates", "--channels", "pp", "--threshold", "5"],
        ["threshold 5 kev", "largest possible recoil"],
    ),
    ("resolution-100", ["rates", "--resolution", "100"], ["--resolution", "≤ 1"]),
    ("resolution-negative", ["rates", "--resolution", "-0.1"], ["--resolution", "≥ 0"]),
    ("resolution-nan", ["rates", "--resolution", "nan"], ["--resolution", "finite"]),
    ("channels-comma", ["rates", "--channels", ","], ["--channels", "no channel names"]),
    ("channels-blank", ["rates", "--channels", " , ,"], ["--channels", "no channel names"]),
    ("channels-unknown", ["rates", "--channels", "8B,bogus"], ["bogus", "allowed"]),
    ("target-unknown", ["rates", "--target", "unobtainium"], ["unobtainium"]),
    ("efficiency-unknown", ["rates", "--efficiency", "wobbly"], ["wobbly"]),
    ("efficiency-table-unsorted", ["rates", "--efficiency", "eff.txt"], ["increasing"]),
    ("flux-table-no-equals", ["rates", "--flux-table", "8B"], ["--flux-table", "CHANNEL=PATH"]),
    ("flux-table-nan", ["rates", "--flux-table", "8B=flux.csv"], ["flux.csv"]),
    ("flux-table-unknown-channel", ["rates", "--flux-table", "bogus=flux.csv"], ["bogus"]),
    ("solar-model-unknown", ["rates", "--solar-model", "sun2"], ["--solar-model"]),
    # --- rates: model options
    ("eps-1e6", ["rates", *VEC, "--eps", "1e6"], ["--eps", "1e6", "magnitude ≤ 10"]),
    ("eps-nan", ["rates", *VEC, "--eps", "nan"], ["--eps", "finite"]),
    ("eps-inf", ["rates", *VEC, "--eps", "-inf"], ["--eps", "finite"]),
    ("eps-text", ["rates", *VEC, "--eps", "small"], ["--eps", "not a number"]),
    ("model-unknown", ["rates", "--model", "tensor"], ["--model", "tensor"]),
    ("flavour-unknown", ["rates", "--model", "vector-minimal", "--flavour", "x"], ["--flavour"]),
    ("kappa-zero", ["rates", "--model", "scalar-universal", "--kappa", "0"], ["--kappa", "> 0"]),
    ("kappa-nan", ["rates", "--model", "scalar-universal", "--kappa", "nan"], ["--kappa"]),
    ("lq-mass-zero", ["rates", *LQ, "--lq-mass", "0"], ["--lq-mass", "≥ 10"]),
    ("lq-mass-light", ["rates", *LQ, "--lq-mass", "1"], ["--lq-mass", "contact"]),
    ("lq-coupling-huge", ["rates", *LQ, "--lq-coupling", "20"], ["--lq-coupling", "4π"]),
    ("lq-coupling-negative", ["rates", *LQ, "--lq-coupling", "-1"], ["--lq-coupling", "≥ 0"]),
    # --- rates: outputs (checked before computing)
    ("rates-plot-suffix", ["rates", "--plot", "out.xyz"], ["--plot", ".xyz"]),
    ("rates-plot-no-suffix", ["rates", "--plot", "out"], ["--plot", "no suffix"]),
    ("rates-plot-proc", ["rates", "--plot", "/proc/x/a.png"], ["--plot", "/proc"]),
    ("rates-plot-folder", ["rates", "--plot", "a_folder"], ["--plot"]),
    # --- plot commands
    ("plot-fluxes-suffix", ["plot-fluxes", "-o", "fluxes.xyz"], ["--output", ".xyz"]),
    ("plot-fluxes-proc", ["plot-fluxes", "-o", "/proc/x.png"], ["--output", "/proc"]),
    ("plot-fluxes-proc-nosuffix", ["plot-fluxes", "-o", "/proc/x"], ["--output"]),
    ("plot-fluxes-parent-is-file", ["plot-fluxes", "-o", "a_file/fluxes.png"], ["a_file", "not a folder"]),
    ("plot-fluxes-channels-comma", ["plot-fluxes", "--channels", ","], ["--channels", "no channel names"]),
    ("plot-fluxes-channels-unknown", ["plot-fluxes", "--channels", "9B"], ["9B"]),
    ("plot-efficiency-empty", ["plot-efficiency", "--thresholds", ","], ["--thresholds"]),
    ("plot-efficiency-negative", ["plot-efficiency", "--thresholds", "1,-2"], ["--thresholds", "-2"]),
    ("plot-efficiency-text", ["plot-efficiency", "--thresholds", "1,x"], ["--thresholds", "1,x"]),
    ("plot-efficiency-nan", ["plot-efficiency", "--thresholds", "nan"], ["--thresholds", "finite"]),
    ("plot-efficiency-table-missing", ["plot-efficiency", "--table", "missing.txt"], ["missing.txt"]),
    ("plot-efficiency-suffix", ["plot-efficiency", "-o", "eff.txt"], ["--output", ".txt"]),
    ("plot-spectrum-resolution", ["plot-spectrum", "--resolution", "100"], ["--resolution"]),
    ("plot-spectrum-proc", ["plot-spectrum", "-o", "/proc/x.pdf"], ["--output", "/proc"]),
    ("plot-spectrum-eps", ["plot-spectrum", *VEC, "--eps", "1e3"], ["--eps", "1000"]),
    # --- templates
    ("templates-proc", ["templates", "--output", "/proc/x"], ["--output /proc/x"]),
    ("templates-output-is-file", ["templates", "--output", "a_file"], ["a_file", "is a file"]),
    (
        "templates-threshold",
        ["templates", "--output", "out", "--threshold", "1e6"],
        ["largest possible recoil"],
    ),
    ("templates-no-output", ["templates"], ["--output"]),
    # --- workspace
    ("workspace-proc", ["workspace", "--output", "/proc/x"], ["--output /proc/x"]),
    ("workspace-json-is-folder", ["workspace", "--output", "clash_ws"], ["workspace.json", "folder"]),
    ("workspace-vector-no-grid", ["workspace", "--output", "out", *VEC], ["--grid"]),
    ("workspace-grid-malformed", ["workspace", "--output", "out", *VEC, "--grid", "1:2"], ["--grid", "1:2"]),
    (
        "workspace-grid-huge",
        ["workspace", "--output", "out", *VEC, "--grid", "1e3:1e6:3"],
        ["--grid", "1000"],
    ),
    ("workspace-grid-nan", ["workspace", "--output", "out", *VEC, "--grid", "nan,0.1"], ["--grid", "finite"]),
    (
        "workspace-lq-light",
        ["workspace", "--output", "out", *LQ, "--lq-masses", "1:10:3", "--lq-couplings", "1"],
        ["--lq-masses", "≥ 10"],
    ),
    (
        "workspace-lq-coupling",
        ["workspace", "--output", "out", *LQ, "--lq-masses", "1000", "--lq-couplings", "20"],
        ["--lq-couplings", "4π"],
    ),
    ("workspace-lq-half", ["workspace", "--output", "out", *LQ, "--lq-masses", "1000"], ["both"]),
    (
        "workspace-eps-ref-zero",
        ["workspace", "--output", "out", "--model", "scalar-universal", "--eps-ref", "0"],
        ["--eps-ref", "> 0"],
    ),
    # --- combine (file named in every error about it)
    ("combine-one", ["combine", "ws.json"], ["at least two"]),
    ("combine-missing", ["combine", "ws.json", "missing.json"], ["missing.json"]),
    ("combine-not-json", ["combine", "ws.json", "not_json.json"], ["not_json.json"]),
    ("combine-not-workspace", ["combine", "ws.json", "not_a_workspace.json"], ["not_a_workspace.json"]),
    ("combine-same-twice", ["combine", "ws.json", "ws.json", "-o", "c.json"], ["ws.json"]),
    # --- discover / limit: inputs and workspace data checks
    ("discover-missing", ["discover", "missing.json"], ["missing.json"]),
    ("discover-not-json", ["discover", "not_json.json"], ["not_json.json"]),
    ("discover-not-workspace", ["discover", "not_a_workspace.json"], ["not_a_workspace.json"]),
    ("discover-patchset-as-workspace", ["discover", "patchset_as_ws.json"], ["patchset"]),
    ("discover-nan-observation", ["discover", "nan_obs.json"], ["nan_obs.json", "finite"]),
    ("discover-negative-observation", ["discover", "negative_obs.json"], ["negative_obs.json", "negative"]),
    ("discover-inf-observation", ["discover", "inf_obs.json"], ["inf_obs.json", "finite"]),
    ("discover-nan-sample", ["discover", "nan_sample.json"], ["nan_sample.json", "finite"]),
    ("discover-negative-sample", ["discover", "negative_sample.json"], ["negative_sample.json", "negative"]),
    ("discover-seed-negative", ["discover", "ws.json", "--toys", "10", "--seed", "-1"], ["--seed"]),
    (
        "discover-toys-1e10",
        ["discover", "ws.json", "--toys", "1e10"],
        ["--toys", "10 000 000 000", "≤ 1 000 000 000"],
    ),
    ("discover-toys-fraction", ["discover", "ws.json", "--toys", "2.5"], ["--toys", "whole number"]),
    ("discover-toys-zero", ["discover", "ws.json", "--toys", "0"], ["--toys"]),
    ("discover-seed-without-toys", ["discover", "ws.json", "--seed", "3"], ["--toys"]),
    ("discover-unknown-patch", ["discover", str(BKG_ONLY), "--patch", "nope"], ["nope"]),
    ("limit-nan-observation", ["limit", "nan_obs.json"], ["nan_obs.json", "finite"]),
    ("limit-cl", ["limit", "ws.json", "--cl", "1.5"], ["--cl"]),
    ("limit-eps-max", ["limit", "ws.json", "--eps-max", "-1"], ["--eps-max"]),
    # --- reach
    (
        "reach-eps-huge",
        ["reach", "--model", "scalar-universal", "--eps", "1e3:1e6:3", "--exposures", "1:10:2", "--asimov"],
        ["--eps", "1000", "magnitude ≤ 10"],
    ),
    ("reach-seed-negative", [*REACH, "--seed", "-1"], ["--seed"]),
    ("reach-toys-1e9", [*REACH, "--toys", "1e9"], ["--toys", "1 000 000 000", "≤ 1 000 000"]),
    ("reach-toys-zero", [*REACH, "--toys", "0"], ["--toys"]),
    ("reach-no-model", ["reach", "--eps", "0.1:1:3", "--exposures", "1:10:2", "--asimov"], ["--model"]),
    ("reach-exposure-zero", [*REACH[:-2], "--exposures", "0:10:3", "--asimov"], ["--exposures", "> 0"]),
    ("reach-exposure-huge", [*REACH[:-2], "--exposures", "1:1e9:3", "--asimov"], ["--exposures", "1e6"]),
    ("reach-n-one", [*REACH[:-2], "--exposures", "1:10:1", "--asimov"], ["--exposures", "at least 2"]),
    (
        "reach-eps-crosses-zero",
        ["reach", *VEC, "--eps", "-1:1:3", "--exposures", "1:10:2"],
        ["--eps", "sign"],
    ),
    ("reach-scalar-negative", [*REACH[:3], "--eps", "-0.5:-0.1:3", *REACH[5:]], ["--eps", "positive"]),
    ("reach-exposure-option", [*REACH, "--exposure", "5"], ["--exposures"]),
    ("reach-toys-and-asimov", [*REACH, "--toys", "10", "--asimov"], ["--asimov"]),
    ("reach-output-proc", [*REACH, "--asimov", "--output", "/proc/x.json"], ["--output", "/proc"]),
    ("reach-plot-suffix", [*REACH, "--asimov", "--plot", "reach.xyz"], ["--plot", ".xyz"]),
    ("reach-workers-zero", [*REACH, "--workers", "0"], ["--workers"]),
    # --- lq-limit
    (
        "lq-exposure-nan",
        ["lq-limit", "--experiment", "darwin", "--exposure", "nan"],
        ["--exposure", "finite"],
    ),
    ("lq-exposure-negative", ["lq-limit", "--experiment", "darwin", "--exposure", "-3"], ["--exposure"]),
    ("lq-plot-suffix", ["lq-limit", "--plot", "lq.xyz"], ["--plot", ".xyz"]),
    ("lq-plot-proc", ["lq-limit", "--plot", "/proc/x.png"], ["--plot", "/proc"]),
    ("lq-flavour", ["lq-limit", "--flavour", "e"], ["--flavour"]),
    ("lq-lz-exposure", ["lq-limit", "--experiment", "lz-ws2022", "--exposure", "5"], ["exposure"]),
    # --- paper (destination checked before computing)
    ("paper-proc", ["paper", "--quick", "--output", "/proc/x"], ["/proc/x"]),
    ("paper-output-is-file", ["paper", "--quick", "--output", "a_file"], ["a_file", "is a file"]),
    ("paper-results-is-folder", ["paper", "--quick", "--output", "clash_paper"], ["results.json", "folder"]),
    ("paper-workers-negative", ["paper", "--quick", "--output", "out", "--workers", "-1"], ["--workers"]),
    (
        "paper-scheduler-and-workers",
        ["paper", "--output", "out", "--scheduler", "x:1", "--workers", "2"],
        ["not both"],
    ),
]


@pytest.fixture(scope="module")
def fixture_texts() -> dict:
    return {name: make() for name, make in FIXTURES.items()}


@pytest.fixture(scope="module")
def runner():
    _register()
    return CliRunner()


def _snapshot(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_corpus_is_large_and_covers_every_command(runner):
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 60
    covered = {case[1][0] for case in CASES}
    known = {"rates", "plot-fluxes", "plot-efficiency", "plot-spectrum", "templates", "workspace", "combine"}
    known |= {"discover", "limit", "reach", "lq-limit", "paper"}
    assert known <= covered


@pytest.mark.parametrize(("args", "words"), [pytest.param(c[1], c[2], id=c[0]) for c in CASES])
def test_bad_input(runner, fixture_texts, tmp_path, monkeypatch, args, words):
    for name, text in fixture_texts.items():
        (tmp_path / name).write_text(text)
    for paths in FOLDERS.values():
        for sub in paths:
            (tmp_path / sub).mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    before = _snapshot(tmp_path)
    result = runner.invoke(cli, args, catch_exceptions=True)
    after = _snapshot(tmp_path)
    err = result.stderr
    assert result.exit_code != 0, f"exit 0: silent result\n{result.stdout}"
    assert isinstance(result.exception, SystemExit), f"crashed: {result.exception!r}"
    assert "Traceback" not in err + result.stdout
    error_lines = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1, err
    for word in words:
        assert word.lower() in error_lines[0].lower(), error_lines[0]
    assert after == before, f"left behind: {sorted(after - before)}"
    assert not Path("/proc/x").exists()


def _run(args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "cevns_stats", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "HOME": str(cwd)},
        check=False,
        timeout=120,
    )


def test_paper_unwritable_output_fails_fast_in_a_real_process(tmp_path):
    """Fails in < 5 s: measured as the child's CPU time (the wall clock depends on the machine's load)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = _run(["paper", "--quick", "--no-progress", "--output", "/proc/x"], tmp_path)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("Error:") and "/proc/x" in proc.stderr
    assert cpu < 5.0, f"paper used {cpu:.1f} s of CPU to refuse /proc/x"
    assert wall < 30.0, f"paper took {wall:.1f} s to refuse /proc/x"


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (["rates", "--channels", ","], "--channels"),
        (["workspace", "--output", "/proc/x"], "/proc/x"),
        (["plot-fluxes", "-o", "fluxes.xyz"], ".xyz"),
        (["reach", "--model", "scalar-universal", "--eps", "1e3:1e6:3", "--exposures", "1:10:2"], "--eps"),
    ],
)
def test_real_process(tmp_path, args, word):
    proc = _run(args, tmp_path)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and word in lines[0]
    assert not [p for p in tmp_path.iterdir() if p.name not in (".cache", ".config")]


def test_interrupted_folder_write_leaves_nothing(tmp_path):
    """SIGINT (KeyboardInterrupt) while a folder is being written: no folder, no parents, no temporary."""
    from cevns_stats.likelihood.files import atomic_directory

    target = tmp_path / "a" / "b" / "out"

    def write_then_interrupt():
        with atomic_directory(target) as tmp:
            (tmp / "one.txt").write_text("1")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_then_interrupt()
    assert list(tmp_path.iterdir()) == []


def test_interrupted_file_write_keeps_the_old_file(tmp_path):
    from cevns_stats.likelihood.files import write_file_atomic

    target = tmp_path / "result.json"
    target.write_text("old")

    def writer(path):
        Path(path).write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_file_atomic(target, writer)
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_written_files_0644_folders_0755_under_default_umask(tmp_path):
    import os

    from cevns_stats.likelihood.files import atomic_directory, write_file_atomic

    old = os.umask(0o022)
    try:
        with atomic_directory(tmp_path / "new" / "out") as tmp:
            (tmp / "a.txt").write_text("a")
        write_file_atomic(tmp_path / "f" / "x.json", lambda p: Path(p).write_text("{}"))
    finally:
        os.umask(old)
    modes = {p.relative_to(tmp_path).as_posix(): p.stat().st_mode & 0o777 for p in tmp_path.rglob("*")}
    assert modes == {"new": 0o755, "new/out": 0o755, "new/out/a.txt": 0o644, "f": 0o755, "f/x.json": 0o644}
