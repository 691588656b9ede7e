"""The real-data figure (beyond the paper): measured ⁸B flux per experiment, and NSI intervals vs LZ WS2022.

Numbers in (the dict of :func:`cevns_stats.experiments.real_data_results.real_data_results`), Figure out.
Left: the ⁸B flux with its 68 % CL interval per data set and combined, the published values (open markers)
and the B16-GS98 prediction (band). Right: the 90 % CL allowed ε of each NSI benchmark from LZ WS2022 alone
and from the combination XENONnT + PandaX-4T + LZ WS2022.
"""

from __future__ import annotations

import numpy as np

from cevns_stats.plots.common import model_description, new_figure, style

__all__ = ["plot_recast"]

_EXPERIMENT_STYLE = {
    "lz-ws2022": ("LZ WS2022 alone", "tab:grey", -0.15),
    "combined": ("combined", "tab:blue", 0.15),
}


#: Names of the data sets as papers write them (the code names are CLI vocabulary).
_EXPERIMENT_NAMES = {"xenonnt": "XENONnT", "pandax4t": "PandaX-4T", "lz-ws2022": "LZ WS2022"}


def _experiment_name(text: str) -> str:
    """``xenonnt (SR0+SR1)`` → ``XENONnT (SR0+SR1)``; unknown names as they are."""
    head, space, rest = text.partition(" ")
    return _EXPERIMENT_NAMES.get(head, head) + space + rest


def _flux_panel(ax, flux: list, reference: dict, published: dict) -> None:
    y = np.arange(len(flux))[::-1]
    ssm, sigma = reference["flux_cm2_s"] / 1e6, reference["relative_uncertainty"]
    ax.axvspan(ssm * (1 - sigma), ssm * (1 + sigma), color="gold", alpha=0.4, label="B16-GS98 (SSM)")
    for yi, row in zip(y, flux):
        lo, hi = (v / 1e6 for v in row["flux_8B_interval_68_cm2_s"])
        best = row["flux_8B_cm2_s"] / 1e6
        colour = "tab:blue" if row["experiment"] == "combined" else "black"
        ax.errorbar(best, yi, xerr=[[best - lo], [hi - best]], fmt="o", color=colour, capsize=3)
        ax.text(
            0.98,
            yi,
            f"{row['significance_sigma']:.2f}σ",
            transform=ax.get_yaxis_transform(),
            ha="right",
            va="bottom",
            fontsize=8,
        )
        if row["experiment"] in published:
            pub, minus, plus = (v / 1e6 for v in published[row["experiment"]]["flux_cm2_s"])
            ax.errorbar(
                pub, yi - 0.25, xerr=[[minus], [plus]], fmt="s", mfc="white", color="tab:red", capsize=2
            )
    ax.errorbar([], [], xerr=[], fmt="s", mfc="white", color="tab:red", label="published")
    ax.errorbar([], [], xerr=[], fmt="o", color="black", label="this recast (68% CL)")
    ax.set_yticks(y, [_experiment_name(row["experiment"]) for row in flux])
    ax.set_xlabel(r"solar $^8$B flux [$10^6$ cm$^{-2}$ s$^{-1}$]")
    ax.set_xlim(0, 16)
    ax.set_ylim(-0.8, len(flux) - 0.4)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=3, fontsize=8, frameon=False)
    ax.set_title(r"$^8$B CEvNS flux from observed data (significance at right)", fontsize=10)


def _nsi_panel(ax, nsi: list) -> None:
    models = list(dict.fromkeys(row["model"] for row in nsi))
    words = {
        row["model"]: model_description(row.get("model_name", row["model"]), row.get("model_options", {}))
        for row in nsi
    }
    y_of = {m: len(models) - 1 - i for i, m in enumerate(models)}
    for experiment, (label, colour, offset) in _EXPERIMENT_STYLE.items():
        first = True
        for row in (r for r in nsi if r["experiment"] == experiment):
            for lo, hi in row["allowed_intervals_90"]:
                ax.plot(
                    [lo, hi],
                    [y_of[row["model"]] + offset] * 2,
                    color=colour,
                    linewidth=5,
                    solid_capstyle="butt",
                    label=label if first else None,
                )
                first = False
    ax.axvline(0.0, color="black", linewidth=0.6)
    ax.set_yticks(list(y_of.values()), [words[m] for m in y_of])
    ax.set_xlabel(r"NSI coupling $\varepsilon$ (90% CL allowed)")
    ax.set_xlim(-1.0, 1.3)
    ax.set_ylim(-0.6, len(models) - 0.4)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, fontsize=8, frameon=False)
    ax.set_title("NSI: combined data vs LZ WS2022 alone", fontsize=10)


def plot_recast(results: dict):
    """Two-panel Figure of the real-data results (labelled as beyond the paper)."""
    with style(font_size=9):
        fig, (left, right) = new_figure(1, 2, figsize=(11.0, 4.2), constrained_layout=True)
        _flux_panel(left, results["flux"], results["flux_8B_reference"], results["published_flux"])
        _nsi_panel(right, results["nsi"])
        fig.suptitle("Beyond the paper: XENONnT, PandaX-4T and LZ WS2022 observed data (cevns-stats recast)")
    return fig


def __dir__() -> list[str]:
    return __all__
