"""Static charts for files (PNG, matplotlib): what a team lead looks at instead of a table."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and in CI
import matplotlib.pyplot as plt


def _band(axis: Any, rows: list[dict[str, Any]], key: str, label: str) -> None:
    """A line with its 95 % interval as error bars, where the rows carry one."""
    levels = [row["level"] for row in rows]
    if any(row.get(key) is None for row in rows):
        return
    means: list[float] = [row[key] for row in rows]
    low = [mean - (row.get(f"{key}_low") or mean) for row, mean in zip(rows, means, strict=True)]
    high = [(row.get(f"{key}_high") or mean) - mean for row, mean in zip(rows, means, strict=True)]
    axis.errorbar(levels, means, yerr=[low, high], marker="o", capsize=3, label=label)


def buffer_tradeoff_png(
    rows: list[dict[str, Any]], policy: str, best: float | None, in_time: list[str]
) -> bytes:
    """Three panels over the buffer level: planned work done, incidents answered in time,
    planned hours displaced by incidents; the smallest level that meets the target marked."""
    figure, (work, service, displaced) = plt.subplots(1, 3, figsize=(13, 4), layout="constrained")
    levels = [row["level"] for row in rows]
    work.plot(levels, [row["planned_hours"] for row in rows], marker="o")
    work.set_title("Planned work done (h)")
    for key in in_time:
        _band(service, rows, key, key.removeprefix("sim_in_time_staffed_"))
    service.set_title("Incidents answered in time (staffed hours)")
    service.set_ylim(0, 1.02)
    service.legend()
    _band(displaced, rows, "sim_displaced_hours", "displaced")
    displaced.set_title("Planned hours displaced by incidents")
    for axis in (work, service, displaced):
        axis.set_xlabel(f"buffer level ({policy})")
        axis.grid(alpha=0.3)
        if best is not None:
            axis.axvline(best, color="green", linestyle="--", alpha=0.7)
    figure.suptitle("Incident buffer trade-off (green: smallest level meeting the target)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()


def variant_bars_png(
    rows: list[dict[str, Any]], panels: list[tuple[str, str]], title: str
) -> bytes:
    """One panel per key figure, one bar per variant (the base first, in grey), grouped by
    buffer level where the rows have levels: a manager sees at a glance what each change
    does. Over several seeds a bar is the mean and its whisker spans min..max."""
    names = list(dict.fromkeys(row["variant"] for row in rows))
    levels = list(dict.fromkeys(row["level"] for row in rows))
    figure, axes = plt.subplots(
        1, len(panels), figsize=(3.2 * len(panels) + 1, 4), layout="constrained", squeeze=False
    )
    width = 0.8 / len(names)
    colours = ["0.6", *[f"C{k}" for k in range(len(names) - 1)]]
    for axis, (key, panel_title) in zip(axes[0], panels, strict=True):
        for n, name in enumerate(names):
            spread = [_spread(rows, key, name, level) for level in levels]
            spots = [g + (n - (len(names) - 1) / 2) * width for g in range(len(levels))]
            means = [mean for mean, _, _ in spread]
            several = any(low != high for _, low, high in spread)
            whiskers = [[m - lo for m, lo, _ in spread], [hi - m for m, _, hi in spread]]
            bars = axis.bar(
                spots,
                means,
                width,
                color=colours[n],
                label=name,
                yerr=whiskers if several else None,
                capsize=2,
            )
            if len(levels) * len(names) <= 8:
                axis.bar_label(bars, fmt="%.3g", fontsize=7)
        axis.set_title(panel_title, fontsize=10)
        if levels == [None]:
            axis.set_xticks([])
        else:
            axis.set_xticks(range(len(levels)), [_level_text(level) for level in levels])
        axis.set_ylim(bottom=0)
        axis.margins(y=0.12)
        axis.grid(axis="y", alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=len(names), fontsize=9)
    figure.suptitle(title)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()


def _spread(
    rows: list[dict[str, Any]], key: str, name: str, level: float | None
) -> tuple[float, float, float]:
    """Mean, min and max of a figure over the rows of one variant and level (the seeds)."""
    values = [
        row[key]
        for row in rows
        if row["variant"] == name and row["level"] == level and row.get(key) is not None
    ]
    if not values:
        return 0.0, 0.0, 0.0
    return sum(values) / len(values), min(values), max(values)


def _level_text(level: float | None) -> str:
    return "own buffer" if level is None else f"level {level:g}"
