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
