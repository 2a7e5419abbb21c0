"""The text of generated scenarios: clock spans, date stamps, durations and the YAML file.

The generator writes values the way a person writes them in a scenario file (``08:00-16:30``,
``2h30m``) and lays the file out one flow-style line per entry, so that a generated file
reads like a hand-made one and the same data always give the same bytes.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml

from scenarios.catalogue import Span


def _clock(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def span_text(span: Span) -> str:
    """A span as local clock times: ``08:00-16:30`` (past 24:00 the clock wraps)."""
    return f"{_clock(span[0])}-{_clock(span[1])}"


def spans_text(spans: list[Span]) -> str | list[str]:
    """One span as its text, several (a day with a break) as a list of texts."""
    return span_text(spans[0]) if len(spans) == 1 else [span_text(s) for s in spans]


def stamp(day: date, minute: int) -> str:
    """A local date and time: ``2026-03-02T09:15``."""
    return f"{day.isoformat()}T{_clock(minute)}"


def duration(minutes: int) -> str:
    """Minutes as a scenario duration: 45m, 2h, 2h30m."""
    hours, rest = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest else "")


def to_yaml(data: dict[str, Any]) -> str:
    """Deterministic YAML of a scenario: one flow-style line per technician, customer, item."""
    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{key}:")
            lines += [f"  - {_dump(entry, flow=True)}" for entry in value]
        else:
            nested = isinstance(value, dict | list)
            lines.append(_dump({key: value}, flow=None if nested else False))
    return "\n".join(lines) + "\n"


def _dump(value: Any, *, flow: bool | None) -> str:
    return yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True, sort_keys=False,
                          width=1_000_000).rstrip()
