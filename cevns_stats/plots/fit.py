"""Pre- and post-fit spectra of a workspace fit (``cevns-stats fit --plot DIR``).

Numbers in, Figure out: :func:`fit_spectra` evaluates pyhf's model per sample at the initial and the
best-fit parameters; :func:`plot_fit_spectra` draws, per channel, the stacked samples before and after the
fit with the observed counts; :func:`write_fit_spectrum` writes PNG and PDF atomically.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pyhf
from matplotlib.ticker import MaxNLocator

from cevns_stats.likelihood.files import write_file_atomic
from cevns_stats.plots.common import new_figure, sample_label, sample_styles, save_figure, style

__all__ = ["ChannelSpectra", "fit_spectra", "plot_fit_spectra", "write_fit_spectrum"]


class ChannelSpectra(NamedTuple):
    """One channel: sample names (S,), pre-fit and post-fit expected counts (S, B), observed counts (B,)."""

    channel: str
    samples: tuple[str, ...]
    prefit: np.ndarray
    postfit: np.ndarray
    observed: np.ndarray


def fit_spectra(
    spec: dict, bestfit, *, measurement: str | None = None, poi_name=None
) -> list[ChannelSpectra]:
    """Per channel, the samples' expected counts at the model's inits and at ``bestfit`` (P,)."""
    ws = pyhf.Workspace(copy.deepcopy(spec))
    meas = ws.get_measurement(measurement_name=measurement, measurement_index=None if measurement else 0)
    model = ws.model(measurement_name=meas["name"], poi_name=poi_name)
    cfg = model.config
    observed = np.asarray(ws.data(model, include_auxdata=False), dtype=float)
    pre = np.asarray(model.main_model.expected_data(cfg.suggested_init(), return_by_sample=True))
    post = np.asarray(model.main_model.expected_data(np.asarray(bestfit, dtype=float), return_by_sample=True))
    out = []
    for channel in cfg.channels:
        sl = cfg.channel_slices[channel]
        out.append(ChannelSpectra(channel, tuple(cfg.samples), pre[:, sl], post[:, sl], observed[sl]))
    return out


def plot_fit_spectra(channels: list[ChannelSpectra]):
    """Figure with one row per channel: stacked samples pre-fit (left) and post-fit (right), data as points.

    Each sample has one fill in the whole figure, distinct from every other sample's
    (:func:`~cevns_stats.plots.common.sample_styles`).
    """
    with style():
        fig, axes = new_figure(len(channels), 2, figsize=(11.0, 3.6 * len(channels)), constrained_layout=True)
        axes = np.atleast_2d(axes)
        styles = sample_styles(dict.fromkeys(name for ch in channels for name in ch.samples))
        for row, ch in zip(axes, channels):
            for ax, values, title in ((row[0], ch.prefit, "pre-fit"), (row[1], ch.postfit, "post-fit")):
                _draw_stack(ax, ch, values, styles)
                ax.set_title(f"{ch.channel}: {title}")
            # one legend per channel, beside the post-fit panel: it hides no bin
            row[1].legend(
                fontsize="x-small", ncol=2, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False
            )
        return fig


def _draw_stack(ax, ch: ChannelSpectra, values: np.ndarray, styles: dict[str, dict]) -> None:
    edges = np.arange(ch.observed.size + 1) - 0.5
    bottom = np.zeros(ch.observed.size)
    for k, name in enumerate(ch.samples):
        counts = np.asarray(values[k], dtype=float)
        if not np.any(counts != 0):
            continue
        ax.stairs(
            bottom + counts,
            edges,
            baseline=bottom,
            fill=True,
            label=sample_label(name),
            **styles[name],
        )
        bottom = bottom + counts
    ax.errorbar(
        np.arange(ch.observed.size), ch.observed, yerr=np.sqrt(ch.observed), fmt="ko", ms=3, label="observed"
    )
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("bin index")
    ax.set_ylabel("events per bin")


def write_fit_spectrum(spec: dict, result, directory, *, measurement: str | None = None) -> list[Path]:
    """Write ``fit_spectrum.png`` and ``.pdf`` into ``directory`` (each through a temporary sibling)."""
    fig = plot_fit_spectra(fit_spectra(spec, result.bestfit, measurement=measurement, poi_name=result.poi))
    return [
        write_file_atomic(Path(directory) / f"fit_spectrum.{suffix}", lambda tmp: save_figure(fig, tmp))
        for suffix in ("png", "pdf")
    ]


def __dir__() -> list[str]:
    return __all__
