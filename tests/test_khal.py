"""Exported calendars in a real terminal calendar: khal imports them and lists every event at
its local time, across the daylight-saving switch and in another zone, and applies updates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from models.ics import export_calendars, make_uid
from models.plan import Plan
from models.prepare import Prepared

KHAL = Path(sys.executable).parent / "khal"
TINY = Path(__file__).resolve().parent.parent / "scenarios" / "tiny"
FORMAT = "%Y-%m-%d %H:%M"


CONFIG = """\
[calendars]
{calendars}
[locale]
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
firstweekday = 0
local_timezone = {zone}
default_timezone = {zone}

[default]
default_calendar = {first}
"""


class Khal:
    """khal with its config, calendars and database in a temporary directory."""

    def __init__(self, root: Path, zone: str, calendars: tuple[str, ...]) -> None:
        self.root = root
        blocks = []
        for name in calendars:
            (root / "calendars" / name).mkdir(parents=True)
            blocks.append(f"[[{name}]]\npath = {root / 'calendars' / name}\ntype = calendar\n")
        self.config = root / "khal.conf"
        self.config.write_text(
            CONFIG.format(calendars="".join(blocks), zone=zone, first=calendars[0]),
            encoding="utf-8",
        )
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(root),
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_DATA_HOME": str(root / "data"),
            "XDG_CACHE_HOME": str(root / "cache"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "TZ": zone,
        }

    def run(self, *args: str) -> str:
        done = subprocess.run(
            [str(KHAL), "-c", str(self.config), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"khal {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def import_file(self, calendar: str, path: Path) -> None:
        self.run("import", "--batch", "-a", calendar, str(path))

    def events(self, calendar: str, start: str, days: int) -> dict[str, dict[str, str]]:
        """Every event of ``days`` days from ``start``, by UID: start, end, title, status."""
        out = self.run(
            "list",
            "-a",
            calendar,
            "--once",
            "--day-format",
            "",
            "--json",
            "uid",
            "--json",
            "start-long",
            "--json",
            "end-long",
            "--json",
            "title",
            "--json",
            "status",
            start,
            f"{days}d",
        )
        found: dict[str, dict[str, str]] = {}
        for line in out.splitlines():
            for event in json.loads(line) if line.strip() else []:
                assert event["uid"] not in found, f"khal lists {event['uid']} twice"
                found[event["uid"]] = event
        return found

    def lines(self, calendar: str, start: str, days: int) -> list[str]:
        """The plain agenda: ``date HH:MM-HH:MM title`` per event and day."""
        out = self.run(
            "list",
            "-a",
            calendar,
            "--day-format",
            "",
            "--format",
            "{start-date} {start-time}-{end-time} {title}",
            start,
            f"{days}d",
        )
        return [line for line in out.splitlines() if line.strip()]


def export(prepared: Prepared, plan: Plan, folder: Path, **kwargs) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for calendar in export_calendars(prepared, plan, **kwargs):
        (folder / calendar.name).write_bytes(calendar.data)
    return folder


def assert_plan_in_khal(
    prepared: Prepared,
    plan: Plan,
    shown: dict[str, dict[str, str]],
    zone: str,
    technician: str | None = None,
) -> None:
    """khal shows every assignment (by UID) and every reserve entry at the plan's instants."""
    local = ZoneInfo(zone)

    def span(start, end) -> tuple[str, str]:
        return start.astimezone(local).strftime(FORMAT), end.astimezone(local).strftime(FORMAT)

    mine = [a for a in plan.assignments if technician in (None, a.technician)]
    for a in mine:
        event = shown.pop(make_uid(prepared.scenario.name, a.item, a.part))
        assert (event["start-long"], event["end-long"]) == span(a.start, a.end), a
        assert event["status"] == "CONFIRMED"
    reserve = Counter(
        span(r.start, r.end) for r in plan.reserve if technician in (None, r.technician)
    )
    rest = Counter(
        (e["start-long"], e["end-long"])
        for e in shown.values()
        if e["title"].endswith(("Incident reserve", "Incident duty"))
    )
    assert rest == reserve
    assert len(shown) == sum(reserve.values())


def test_khal_lists_a_technicians_events_at_local_times(solved_example, tmp_path):
    prepared, plan = solved_example
    files = export(prepared, plan, tmp_path / "ics")
    khal = Khal(tmp_path / "khal", "Europe/Berlin", ("anna",))
    khal.import_file("anna", files / "anna.ics")
    shown = khal.events("anna", "2026-03-02", 28)
    assert_plan_in_khal(prepared, plan, shown, "Europe/Berlin", technician="anna")


def test_khal_local_times_across_the_dst_switch(solved_dst, tmp_path):
    prepared, plan = solved_dst
    files = export(prepared, plan, tmp_path / "ics")
    khal = Khal(tmp_path / "khal", "Europe/Berlin", ("team",))
    khal.import_file("team", files / "team.ics")
    assert_plan_in_khal(prepared, plan, khal.events("team", "2026-03-23", 14), "Europe/Berlin")
    agenda = khal.lines("team", "2026-03-23", 14)
    for day in ("2026-03-27", "2026-03-30"):  # the Friday before, the Monday after the switch
        assert any(
            line.startswith(f"{day} 08:00-08:30 ")
            and line.endswith("[Recurring] Daily backup check")
            for line in agenda
        )
    for day in ("2026-03-23", "2026-03-30"):
        assert any(
            line.startswith(f"{day} 09:00-11:00 ")
            and line.endswith("[Recurring] Patch day - Depot Nord")
            for line in agenda
        )


def test_khal_in_another_zone_shows_the_same_instants(solved_dst, tmp_path):
    """New York switched on 2026-03-08: Berlin 08:00 is 03:00 there before 03-29, 02:00 after."""
    prepared, plan = solved_dst
    files = export(prepared, plan, tmp_path / "ics")
    khal = Khal(tmp_path / "khal", "America/New_York", ("team",))
    khal.import_file("team", files / "team.ics")
    shown = khal.events("team", "2026-03-22", 16)
    before = shown[make_uid("Tiny DST", "backup-check@2026-03-27", 1)]
    after = shown[make_uid("Tiny DST", "backup-check@2026-03-30", 1)]
    assert (before["start-long"], before["end-long"]) == ("2026-03-27 03:00", "2026-03-27 03:30")
    assert (after["start-long"], after["end-long"]) == ("2026-03-30 02:00", "2026-03-30 02:30")
    assert_plan_in_khal(prepared, plan, shown, "America/New_York")


def test_khal_applies_an_update_with_previous(solved_example, tmp_path, cli):
    prepared, plan = solved_example
    anna = [a for a in plan.assignments if a.technician == "anna"]
    moved, dropped = anna[0], anna[-1]
    later = moved.model_copy(
        update={"start": moved.start + timedelta(days=1), "end": moved.end + timedelta(days=1)}
    )
    new = plan.model_copy(
        update={
            "assignments": [
                later if a is moved else a for a in plan.assignments if a is not dropped
            ]
        }
    )
    old_file, new_file = tmp_path / "old.json", tmp_path / "new.json"
    old_file.write_text(json.dumps(plan.model_dump(mode="json")), encoding="utf-8")
    new_file.write_text(json.dumps(new.model_dump(mode="json")), encoding="utf-8")
    scenario = str(TINY / "design_example.yaml")
    assert cli("export-ics", scenario, str(old_file), "--out", str(tmp_path / "v1")).code == 0
    run = cli(
        "export-ics",
        scenario,
        str(new_file),
        "--out",
        str(tmp_path / "v2"),
        "--previous",
        str(old_file),
    )
    assert run.code == 0, run.err

    khal = Khal(tmp_path / "khal", "Europe/Berlin", ("anna",))
    khal.import_file("anna", tmp_path / "v1" / "anna.ics")
    khal.import_file("anna", tmp_path / "v2" / "anna.ics")
    shown = khal.events("anna", "2026-03-02", 28)
    moved_event = shown[make_uid("Design example", moved.item, moved.part)]
    assert moved_event["start-long"] == later.start.astimezone(prepared.zone).strftime(FORMAT)
    assert moved_event["status"] == "CONFIRMED"
    assert shown[make_uid("Design example", dropped.item, dropped.part)]["status"] == "CANCELLED"
    assert len(shown) == len(anna) + sum(r.technician == "anna" for r in plan.reserve)
