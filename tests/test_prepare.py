"""The prepared view: local datetimes become elapsed minutes from the horizon start, and back."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.io import scenario_from_data
from models.prepare import Prepared, prepare
from models.records import MAX_PART_MINUTES, PreparedItem, PreparedTechnician, split_effort

BERLIN = ZoneInfo("Europe/Berlin")
WEEK = {day: "08:00-16:00" for day in ("mon", "tue", "wed", "thu", "fri")}
BASE: dict[str, Any] = {
    "name": "prepare",
    "timezone": "Europe/Berlin",
    "horizon": {"start": date(2026, 3, 23), "days": 21},  # over the switch to summer time
    "holidays": {"country": "DE", "subdivision": "BY"},
    "skills": ["s"],
    "technicians": [{"id": "tom", "skills": ["s"], "hours": WEEK}],
}


def build(**fields: Any) -> Prepared:
    """Prepare the base scenario with top-level fields replaced."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(fields))
    return prepare(scenario_from_data(data, "test"))


def local(prepared: Prepared, *parts: int) -> int:
    """The minute of a local wall-clock time."""
    return prepared.minute(datetime(*parts))  # type: ignore[arg-type]


def wall(prepared: Prepared, minute: int) -> tuple[int, int, int, int, int]:
    """(year, month, day, hour, minute) of a minute, in local time."""
    moment = prepared.moment(minute)
    return moment.year, moment.month, moment.day, moment.hour, moment.minute


def segments_on(prepared: Prepared, tech: PreparedTechnician, day: date) -> list[tuple]:
    """A technician's available segments of one day, as local (hour, minute) pairs."""
    found = next(d for d in prepared.days if d.date == day)
    return [(wall(prepared, s)[3:], wall(prepared, e)[3:]) for s, e in tech.available_on(found)]


def item(prepared: Prepared, ident: str) -> PreparedItem:
    return prepared.items[prepared.item_index[ident]]


# -- minutes and daylight saving time --------------------------------------------------------
def test_minutes_are_elapsed_from_local_horizon_start() -> None:
    prepared = build()
    assert prepared.origin == datetime(2026, 3, 23, tzinfo=BERLIN)
    assert prepared.origin == datetime(2026, 3, 22, 23, tzinfo=UTC)
    assert local(prepared, 2026, 3, 23, 0, 0) == 0
    assert local(prepared, 2026, 3, 23, 8, 0) == 480
    assert prepared.minute(date(2026, 3, 24)) == 1440
    assert prepared.minute(date(2026, 3, 23), end_of_day=True) == 1440
    aware = datetime(2026, 3, 23, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    assert prepared.minute(aware) == 480


def test_day_of_spring_switch_has_1380_minutes() -> None:
    prepared = build()
    lengths = {d.date: d.end - d.start for d in prepared.days}
    assert lengths[date(2026, 3, 29)] == 1380
    assert all(n == 1440 for d, n in lengths.items() if d != date(2026, 3, 29))
    assert prepared.horizon_end == 21 * 1440 - 60


def test_day_of_autumn_switch_has_1500_minutes() -> None:
    prepared = build(horizon={"start": date(2026, 10, 19), "days": 14})
    lengths = {d.date: d.end - d.start for d in prepared.days}
    assert lengths[date(2026, 10, 25)] == 1500


def test_local_0800_stays_0800_over_the_switch() -> None:
    prepared = build()
    before, after = local(prepared, 2026, 3, 27, 8, 0), local(prepared, 2026, 3, 30, 8, 0)
    assert after - before == 3 * 1440 - 60  # elapsed minutes: one hour less
    assert wall(prepared, before) == (2026, 3, 27, 8, 0)
    assert wall(prepared, after) == (2026, 3, 30, 8, 0)
    assert prepared.moment(after) == datetime(2026, 3, 30, 8, 0, tzinfo=BERLIN)
    tom = prepared.technicians[0]
    starts = {prepared.moment(s).date(): prepared.moment(s).time() for s, _ in tom.available}
    assert {t.isoformat() for t in starts.values()} == {"08:00:00"}
    assert date(2026, 3, 27) in starts
    assert date(2026, 3, 30) in starts


# -- holidays, absences, working hours ---------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "holiday", "name"),
    [(date(2026, 1, 5), date(2026, 1, 6), "Epiphany"),
     (date(2026, 3, 30), date(2026, 4, 6), "Easter Monday"),
     (date(2026, 3, 30), date(2026, 4, 3), "Good Friday")],
)
def test_public_holidays_remove_availability(start: date, holiday: date, name: str) -> None:
    prepared = build(horizon={"start": start, "days": 14})
    assert name in prepared.holidays[holiday]
    day = next(d for d in prepared.days if d.date == holiday)
    assert not day.working
    assert segments_on(prepared, prepared.technicians[0], holiday) == []


def test_holidays_depend_on_the_subdivision() -> None:
    prepared = build(horizon={"start": date(2026, 1, 5), "days": 7},
                     holidays={"country": "DE", "subdivision": "BE"})
    assert date(2026, 1, 6) not in prepared.holidays  # Epiphany is no holiday in Berlin
    assert segments_on(prepared, prepared.technicians[0], date(2026, 1, 6)) == [((8, 0), (16, 0))]


def test_explicit_holiday_dates_remove_availability() -> None:
    prepared = build(holidays={"country": "DE", "subdivision": "BY", "dates": [date(2026, 3, 25)]})
    assert prepared.holidays[date(2026, 3, 25)] == "holiday"
    assert not prepared.is_working_day(date(2026, 3, 25))
    assert segments_on(prepared, prepared.technicians[0], date(2026, 3, 25)) == []
    assert prepared.is_working_day(date(2026, 3, 24))


def test_whole_day_absences_are_inclusive() -> None:
    tech = {"id": "tom", "skills": ["s"], "hours": WEEK,
            "absences": [{"start": "2026-03-24", "end": "2026-03-25", "reason": "vacation"}]}
    prepared = build(technicians=[tech])
    tom = prepared.technicians[0]
    assert segments_on(prepared, tom, date(2026, 3, 23)) == [((8, 0), (16, 0))]
    assert segments_on(prepared, tom, date(2026, 3, 24)) == []
    assert segments_on(prepared, tom, date(2026, 3, 25)) == []
    assert segments_on(prepared, tom, date(2026, 3, 26)) == [((8, 0), (16, 0))]
    assert tom.absences[0][1] == "vacation"


def test_timed_absences_cut_the_day() -> None:
    tech = {"id": "tom", "skills": ["s"], "hours": WEEK,
            "absences": [{"start": "2026-03-26T10:00", "end": "2026-03-26T12:30"}]}
    prepared = build(technicians=[tech])
    assert segments_on(prepared, prepared.technicians[0], date(2026, 3, 26)) == [
        ((8, 0), (10, 0)), ((12, 30), (16, 0))
    ]


def test_split_days_give_two_segments() -> None:
    tech = {"id": "tom", "skills": ["s"], "hours": {**WEEK, "mon": ["12:30-17:00", "08:00-12:00"]}}
    prepared = build(technicians=[tech])
    assert segments_on(prepared, prepared.technicians[0], date(2026, 3, 23)) == [
        ((8, 0), (12, 0)), ((12, 30), (17, 0))
    ]


def test_capacity_sums_available_minutes() -> None:
    prepared = build(horizon={"start": date(2026, 3, 23), "days": 7})
    assert prepared.capacity(prepared.technicians[0]) == 5 * 480


# -- items ------------------------------------------------------------------------------------
def recurring_block(**fields: Any) -> dict[str, Any]:
    return {"id": "patch", "rule": "FREQ=WEEKLY;BYDAY=MO,WE", "time": "09:00-10:00",
            "skills": ["s"], **fields}


def test_recurring_occurrences_skip_holidays() -> None:
    prepared = build(horizon={"start": date(2026, 3, 30), "days": 14},
                     recurring=[recurring_block()])
    ids = [i.id for i in prepared.items if i.kind == "recurring"]
    # Mondays 03-30 and 04-06 (Easter Monday: skipped), Wednesdays 04-01 and 04-08
    assert ids == ["patch@2026-03-30", "patch@2026-04-01", "patch@2026-04-08"]


def test_recurring_occurrences_keep_local_time_over_the_switch() -> None:
    prepared = build(recurring=[recurring_block(rule="FREQ=DAILY;BYDAY=FR,MO")])
    for ident in ("patch@2026-03-27", "patch@2026-03-30"):
        occurrence = item(prepared, ident)
        assert occurrence.fixed is not None
        start, end = occurrence.fixed
        assert wall(prepared, start)[3:] == (9, 0)
        assert end - start == 60 == occurrence.effort
        assert occurrence.parts == (60,)


def test_recurring_with_fixed_technician() -> None:
    techs = [{"id": "tom", "skills": ["s"], "hours": WEEK},
             {"id": "una", "skills": ["s"], "hours": WEEK}]
    prepared = build(technicians=techs, recurring=[recurring_block(technician="una")])
    occurrence = item(prepared, "patch@2026-03-23")
    assert occurrence.technician == prepared.technician_index["una"]
    assert occurrence.eligible == (prepared.technician_index["una"],)
    una = prepared.technicians[prepared.technician_index["una"]]
    assert prepared.allowed(occurrence, una) == [occurrence.fixed]


def test_recurring_is_not_allowed_for_an_absent_technician() -> None:
    tech = {"id": "tom", "skills": ["s"], "hours": WEEK,
            "absences": [{"start": "2026-03-23", "end": "2026-03-23"}]}
    prepared = build(technicians=[tech], recurring=[recurring_block()])
    tom = prepared.technicians[0]
    assert prepared.allowed(item(prepared, "patch@2026-03-23"), tom) == []
    assert prepared.allowed(item(prepared, "patch@2026-03-25"), tom) != []


def test_window_across_midnight_is_one_interval() -> None:
    customer = {"id": "c", "maintenance_windows": [{"days": ["thu"], "time": "22:00-02:00"}]}
    prepared = build(customers=[customer])
    start, end = local(prepared, 2026, 3, 26, 22, 0), local(prepared, 2026, 3, 27, 2, 0)
    assert (start, end) in prepared.windows["c"]
    assert end - start == 240


def test_window_in_the_night_of_the_switch_is_an_hour_shorter() -> None:
    customer = {"id": "c", "maintenance_windows": [{"days": ["sat"], "time": "22:00-04:00"}]}
    prepared = build(customers=[customer])
    lengths = sorted(e - s for s, e in prepared.windows["c"])
    assert lengths == [300, 360, 360]  # 2026-03-28 (switch), 04-04, 04-11


def request(**fields: Any) -> dict[str, Any]:
    return {"id": "sr", "received": "2026-03-27T10:30", "effort": "1h", "skills": ["s"], **fields}


@pytest.mark.parametrize(
    ("received", "lead_time", "due"),
    [
        ("2026-03-27T10:30", "1d", (2026, 3, 30, 10, 30)),  # Friday -> Monday, over the switch
        ("2026-03-23T09:12", "3d", (2026, 3, 26, 9, 12)),
        ("2026-04-02T09:00", "2d", (2026, 4, 8, 9, 0)),  # Good Friday, weekend, Easter Monday
        ("2026-03-28T11:00", "1d", (2026, 3, 30, 11, 0)),  # received on a Saturday
        ("2026-03-24T09:00", "4h", (2026, 3, 24, 13, 0)),  # hours: clock time
        ("2026-03-24T09:00", "1d2h", (2026, 3, 25, 11, 0)),
    ],
)
def test_request_due_counts_working_days(received: str, lead_time: str, due: tuple) -> None:
    prepared = build(service_requests=[request(received=received, lead_time=lead_time)])
    sr = item(prepared, "sr")
    assert sr.due is not None
    assert wall(prepared, sr.due) == due


def test_request_explicit_due() -> None:
    prepared = build(service_requests=[
        request(id="a", due=date(2026, 3, 31), lead_time="1d"),
        request(id="b", due="2026-03-31T12:00"),
        request(id="c"),
    ])
    assert wall(prepared, item(prepared, "a").due) == (2026, 4, 1, 0, 0)  # end of that day
    assert wall(prepared, item(prepared, "b").due) == (2026, 3, 31, 12, 0)
    assert item(prepared, "c").due is None


def test_request_earliest_is_received_on_the_grid() -> None:
    prepared = build(service_requests=[request(received="2026-03-24T09:12")])
    assert wall(prepared, item(prepared, "sr").earliest) == (2026, 3, 24, 9, 15)


@pytest.mark.parametrize(
    ("effort", "slot", "minutes"),
    [("1h10m", 15, 75), ("1h10m", 30, 90), ("20s", 15, 15), ("2h", 15, 120), ("4h", 15, 240),
     ("4h15m", 15, 255), ("6h", 15, 360), ("7h", 60, 420), ("16h", 15, 960), ("16h", 5, 960)],
)
def test_effort_is_rounded_up_and_split(effort: str, slot: int, minutes: int) -> None:
    prepared = build(slot_minutes=slot, maintenance=[{"id": "m", "effort": effort}])
    work = item(prepared, "m")
    assert work.effort == minutes
    assert sum(work.parts) == minutes
    assert all(0 < p <= MAX_PART_MINUTES and p % slot == 0 for p in work.parts)
    assert max(work.parts) - min(work.parts) <= slot  # equal parts, as far as the grid allows


def test_parts_are_at_most_four_hours() -> None:
    assert 0 < MAX_PART_MINUTES <= 240
    assert split_effort(960, 15) == (MAX_PART_MINUTES,) * (960 // MAX_PART_MINUTES)


@given(slot=st.sampled_from([1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60]),
       slots=st.integers(min_value=1, max_value=2000))
def test_split_effort_parts_add_up(slot: int, slots: int) -> None:
    effort = slot * slots
    parts = split_effort(effort, slot)
    assert sum(parts) == effort
    assert all(0 < p <= MAX_PART_MINUTES and p % slot == 0 for p in parts)
    assert len(parts) == -(-effort // MAX_PART_MINUTES)  # as few parts as possible


def test_project_items_carry_dates_and_predecessors() -> None:
    project = {"id": "p", "target": date(2026, 4, 3), "earliest": date(2026, 3, 25), "priority": 1,
               "tasks": [{"id": "t1", "effort": "2h"},
                         {"id": "t2", "effort": "2h", "after": ["t1"], "earliest": "2026-03-30"}]}
    prepared = build(projects=[project])
    t1, t2 = item(prepared, "t1"), item(prepared, "t2")
    assert wall(prepared, t1.earliest) == (2026, 3, 25, 0, 0)
    assert wall(prepared, t2.earliest) == (2026, 3, 30, 0, 0)  # the task's own date wins
    assert wall(prepared, t1.due) == (2026, 4, 4, 0, 0)
    assert t2.after == (t1.index,)
    assert t1.weight == 5


# -- allowed() ----------------------------------------------------------------------------------
def test_allowed_respects_earliest() -> None:
    prepared = build(maintenance=[{"id": "m", "effort": "2h", "earliest": date(2026, 3, 25)}])
    allowed = prepared.allowed(item(prepared, "m"), prepared.technicians[0])
    assert allowed
    assert allowed[0][0] == local(prepared, 2026, 3, 25, 8, 0)
    assert allowed == [iv for iv in prepared.technicians[0].available if iv[0] >= allowed[0][0]]


WINDOWS = [{"days": ["mon", "tue", "wed", "thu", "fri"], "time": "18:00-22:00"},
           {"days": ["sat"], "time": "08:00-12:00"}]


def in_window_scenario(**tech_fields: Any) -> Prepared:
    """tom works 08:00-20:00 on weekdays; ada 08:00-16:00 and may work after hours."""
    techs = [{"id": "tom", "skills": ["s"], "hours": {d: "08:00-20:00" for d in WEEK}},
             {"id": "ada", "skills": ["s"], "hours": WEEK, "after_hours": True, **tech_fields}]
    return build(
        horizon={"start": date(2026, 3, 30), "days": 7}, technicians=techs,
        customers=[{"id": "c", "maintenance_windows": WINDOWS}],
        maintenance=[{"id": "m", "customer": "c", "effort": "2h", "in_window": True}],
    )


def local_spans(prepared: Prepared, intervals: list[tuple[int, int]]) -> list[tuple]:
    return [(wall(prepared, s)[1:], wall(prepared, e)[1:]) for s, e in intervals]


def test_allowed_in_window_within_own_hours() -> None:
    prepared = in_window_scenario()
    tom = prepared.technicians[0]
    allowed = local_spans(prepared, prepared.allowed(item(prepared, "m"), tom))
    # 18:00-20:00 on working days; Good Friday (04-03) is a holiday; no Saturday hours
    assert allowed == [((3, d, 18, 0), (3, d, 20, 0)) for d in (30, 31)] + [
        ((4, d, 18, 0), (4, d, 20, 0)) for d in (1, 2)
    ]


def test_allowed_in_window_after_hours() -> None:
    prepared = in_window_scenario(absences=[{"start": "2026-04-01", "end": "2026-04-01"}])
    ada = prepared.technicians[1]
    allowed = local_spans(prepared, prepared.allowed(item(prepared, "m"), ada))
    # evenings outside her hours, and Saturday morning; not on her absence, not on Good Friday
    assert allowed == [
        ((3, 30, 18, 0), (3, 30, 22, 0)),
        ((3, 31, 18, 0), (3, 31, 22, 0)),
        ((4, 2, 18, 0), (4, 2, 22, 0)),
        ((4, 4, 8, 0), (4, 4, 12, 0)),
    ]


def test_not_in_window_work_stays_in_working_hours() -> None:
    prepared = build(maintenance=[{"id": "m", "effort": "2h"}],
                     technicians=[{"id": "tom", "skills": ["s"], "hours": WEEK,
                                   "after_hours": True}])
    tom = prepared.technicians[0]
    assert prepared.allowed(item(prepared, "m"), tom) == tom.available


def test_eligible_technicians_have_every_skill() -> None:
    techs = [{"id": "tom", "skills": ["s"], "hours": WEEK},
             {"id": "una", "skills": ["s", "t"], "hours": WEEK}]
    prepared = build(skills=["s", "t"], technicians=techs,
                     maintenance=[{"id": "m", "effort": "1h", "skills": ["s", "t"]},
                                  {"id": "n", "effort": "1h"}])
    assert item(prepared, "m").eligible == (1,)
    assert item(prepared, "n").eligible == (0, 1)


@given(
    st.lists(st.integers(0, 200), max_size=12),
    st.integers(-10, 210),
    st.integers(1, 100),
)
def test_clip_keeps_what_lies_inside(cuts: list[int], lo: int, length: int) -> None:
    """``clip`` cuts a sorted, disjoint list (touching intervals included) to [lo, hi) as
    cutting each interval would."""
    from models.intervals import clip

    points = sorted(cuts)
    intervals = [(s, e) for s, e in zip(points[::2], points[1::2], strict=False) if s < e]
    hi = lo + length
    expected = [(max(s, lo), min(e, hi)) for s, e in intervals if s < hi and e > lo]
    assert clip(intervals, lo, hi) == expected
