"""The app in a real browser: ``streamlit run`` in a subprocess, driven by Playwright with the
system Chromium (never a downloaded one). Screenshots go to ``out/screenshots/``.

``python tests/test_app_browser.py --docs`` remakes ``docs/plan_page.png``: the Plan page with
the demo scenario solved for 10 s.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from models.io import load_scenario
from models.prepare import prepare

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
EXAMPLE = ROOT / "scenarios" / "tiny" / "design_example.yaml"
SCREENSHOTS = ROOT / "out" / "screenshots"
WAIT_MS = 60_000
BROKEN = b"""name: Broken
horizon: {start: 2026-03-02, days: 5}
skills: [firewall]
technicians:
  - {id: anna, skills: [fw], hours: {mon: "08:00-16:00"}}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@contextmanager
def running_app(scenario: Path) -> Iterator[str]:
    """``streamlit run`` on a free local port with ``scenario`` opened; yields its URL."""
    port = _free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "ui" / "streamlit_app.py"),
               "--server.address", "127.0.0.1", "--server.port", str(port),
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    env = os.environ | {"MSPPLAN_SCENARIO": str(scenario)}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read() if server.stdout else ""
                raise RuntimeError(f"streamlit did not start:\n{output}")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextmanager
def browser_page(width: int = 1400, height: int = 1100) -> Iterator[Any]:
    """A Chromium page; fails (does not skip) when the system Chromium is missing."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium "
                    "(apt-get install -y chromium; .ci/run does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height},
                                          accept_downloads=True)
            page = context.new_page()
            page.set_default_timeout(WAIT_MS)
            yield page
        finally:
            browser.close()


def _go(page: Any, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    page.get_by_role("heading", name=title, exact=True).wait_for()


def _solve(page: Any, seconds: int) -> None:
    limit = page.get_by_role("spinbutton", name="Time limit (seconds)")
    limit.fill(str(seconds))
    limit.press("Enter")
    page.get_by_role("button", name="Make the plan").click()
    page.get_by_text("Plan ready").wait_for(timeout=WAIT_MS + seconds * 1000)
    page.locator(".js-plotly-plot").first.wait_for()


def _metrics(page: Any) -> dict[str, str]:
    labels = page.get_by_test_id("stMetricLabel").all_inner_texts()
    values = page.get_by_test_id("stMetricValue").all_inner_texts()
    return {label.strip(): value.strip() for label, value in zip(labels, values, strict=True)}


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _download(page: Any, button: str) -> bytes:
    with page.expect_download() as started:
        page.get_by_role("button", name=button).click()
    return Path(started.value.path()).read_bytes()


def _upload(page: Any, name: str, data: bytes) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": "application/x-yaml", "buffer": data}])


def _rename_technician(page: Any, old: str, new: str) -> None:
    """Type into the Name cell of the technicians table's first row (a canvas grid)."""
    grid = page.get_by_test_id("stDataFrame").first
    grid.wait_for()
    box = grid.bounding_box()
    row_height = 35  # Streamlit's grid: a header row, then rows of 35 px
    editor = page.locator("textarea.gdg-input")  # the grid's cell editor
    for _ in range(20):  # a loaded machine draws the canvas rows after the element appears
        page.mouse.dblclick(box["x"] + 110, box["y"] + row_height * 1.5)  # Id | Name | ...
        if editor.count():
            break
        page.wait_for_timeout(500)
    assert editor.input_value() == old
    editor.fill(new)
    editor.press("Enter")


def _events(data: bytes) -> list[Any]:
    return list(Calendar.from_ical(data).walk("VEVENT"))


def test_app_in_a_browser_plans_and_exports_the_design_example(tmp_path: Path) -> None:
    prepared = prepare(load_scenario(EXAMPLE))
    work_hours = sum(item.effort for item in prepared.items) / 60
    with running_app(EXAMPLE) as url, browser_page() as page:
        page.goto(url)
        page.get_by_role("heading", name="Scenario", exact=True).wait_for()
        page.get_by_text("is ready to plan").wait_for()
        assert "Design example" in page.get_by_test_id("stCode").inner_text()
        _shot(page, "1-scenario")

        _upload(page, "broken.yaml", BROKEN)
        problems = page.get_by_test_id("stAlert").filter(has_text="cannot be planned yet")
        assert "technicians[0].skills[0]: unknown skill 'fw'" in problems.inner_text()
        sidebar = page.get_by_test_id("stSidebar")
        assert "broken.yaml (has problems)" in sidebar.inner_text()
        _shot(page, "1-scenario-upload-problems")
        page.get_by_role("button", name="Open this file").click()
        page.get_by_text("design_example.yaml is ready to plan").wait_for()
        _rename_technician(page, "Anna Berg", "Anna Edited")
        page.get_by_text("not saved yet").wait_for()
        page.get_by_text("is ready to plan").wait_for()

        _go(page, "Plan")
        page.get_by_text("Nothing planned yet").wait_for()
        _solve(page, 2)
        metrics = _metrics(page)
        assert list(metrics) == ["Planned work", "Utilisation", "Unscheduled", "Late",
                                 "Buffer kept"]
        assert metrics["Planned work"] == f"{work_hours:,.1f} h"  # all the work fits
        assert metrics["Unscheduled"] == "0 items"
        assert re.fullmatch(r"\d+%", metrics["Utilisation"])
        assert page.locator(".js-plotly-plot").count() == 2  # the team and one week
        _shot(page, "2-plan")

        # Back and forth: the scenario's tables keep the edit and do not drop the plan.
        _go(page, "Scenario")
        page.get_by_text("is ready to plan").wait_for()
        _go(page, "Plan")
        page.get_by_text("Plan ready").wait_for()

        _go(page, "Buffers")
        page.get_by_role("button", name="Compare buffers").wait_for()
        _shot(page, "3-buffers")

        _go(page, "Staffing what-if")
        page.get_by_role("button", name="Add variant").click()  # hire one like Anna
        page.get_by_text("hire New technician (like anna)").wait_for()
        limit = page.get_by_role("spinbutton", name="Time limit per plan (seconds)")
        limit.fill("1")
        limit.press("Enter")
        page.get_by_role("button", name="Compare", exact=True).click()
        page.locator(".js-plotly-plot").first.wait_for(timeout=WAIT_MS + 60_000)
        # the table renders after the chart: wait for it before counting (CI raced here once)
        page.get_by_test_id("stDataFrame").first.wait_for()
        assert page.get_by_test_id("stDataFrame").count() == 1  # the side-by-side table
        _shot(page, "4-whatif")

        _go(page, "Export")
        team = _download(page, "Download the team calendar (")
        anna = _download(page, "Download Anna Edited's calendar")  # the edit reached the plan
        every = _download(page, "Download all calendars (zip)")
        _shot(page, "5-export")
    team_events, anna_events = _events(team), _events(anna)
    assert team_events
    assert anna_events
    assert len(anna_events) < len(team_events)
    assert all(str(event["UID"]).endswith("@mspplan") for event in team_events)
    zipped = tmp_path / "calendars.zip"
    zipped.write_bytes(every)
    with zipfile.ZipFile(zipped) as archive:
        assert sorted(archive.namelist()) == ["anna.ics", "ben.ics", "team.ics"]
        assert _events(archive.read("ben.ics"))


def test_a_missing_chromium_fails_the_test_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", tmp_path / "no-chromium")
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium"), \
            browser_page():
        pass


def remake_docs_screenshot(target: Path = ROOT / "docs" / "plan_page.png") -> None:
    """The Plan page with the demo scenario solved for 10 s, as shown in the README."""
    with running_app(ROOT / "scenarios" / "demo.yaml") as url, \
            browser_page(width=1400, height=1500) as page:
        page.goto(url)
        page.get_by_text("is ready to plan").wait_for()
        _go(page, "Plan")
        _solve(page, 10)
        time.sleep(1)  # let plotly finish drawing
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target))


if __name__ == "__main__" and "--docs" in sys.argv:
    remake_docs_screenshot()
