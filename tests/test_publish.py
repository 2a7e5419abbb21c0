"""CalDAV publishing against a real Radicale server started by the test (127.0.0.1 only):
collections and events are created, a changed plan updates and deletes, foreign events stay,
and a refusing or missing server gives one clear line, exit 3, no traceback, no password."""

from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from caldav.davclient import DAVClient
from icalendar import Calendar

from models.ics import export_calendars
from models.io import load_scenario
from models.plan import Plan
from models.prepare import Prepared, prepare
from models.publish import Resource, collection_id, fingerprint, split_calendar, url_problem
from solver.solve import SolveParams, solve

EXAMPLE = Path(__file__).resolve().parent.parent / "scenarios" / "tiny" / "design_example.yaml"
USERS = {"planner": "Pl4n-secret-1", "second": "Pl4n-secret-2", "third": "Pl4n-secret-3",
         "fourth": "Pl4n-secret-4"}
"""One user per test that writes, so the tests share one server without seeing each other."""
VAR = "MSPPLAN_CALDAV_PASSWORD"


DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
"""An opener that ignores proxy settings: the server is on 127.0.0.1."""


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Traffic to 127.0.0.1 never goes through a proxy from the environment."""
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")


class Server(NamedTuple):
    url: str
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"radicale exited with {process.returncode}:\n{log.read_text()}")
        try:
            DIRECT.open(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # 401 and friends: it answers
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"radicale did not answer at {url} within 30 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A Radicale CalDAV server on 127.0.0.1 with htpasswd users, stopped afterwards."""
    root = tmp_path_factory.mktemp("radicale")
    users = root / "users"
    users.write_text("".join(f"{u}:{p}\n" for u, p in USERS.items()), encoding="utf-8")
    port = free_port()
    log = root / "radicale.log"
    command = [
        sys.executable, "-m", "radicale", "--config",  # no config files: only these flags
        "--server-hosts", f"127.0.0.1:{port}",
        "--storage-filesystem-folder", str(root / "storage"),
        "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(users),
        "--auth-htpasswd-encryption", "plain", "--auth-delay", "0",
        "--rights-type", "owner_only", "--logging-level", "warning",
    ]
    with log.open("wb") as stream:
        process = subprocess.Popen(command, stdout=stream, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_answering(url, process, log)
        yield Server(url, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def solved() -> tuple[Prepared, Plan]:
    """The design example, prepared and solved (two technicians, reserve entries)."""
    prepared = prepare(load_scenario(EXAMPLE))
    return prepared, solve(prepared, SolveParams(time_limit=2, workers=2)).plan


@pytest.fixture
def requests_seen(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every (method, status) the caldav client sends and gets back."""
    seen: list[tuple[str, int]] = []
    original = DAVClient.request

    def recording(self: DAVClient, url: str, method: str = "GET", *args: Any, **kwargs: Any):
        response = original(self, url, method, *args, **kwargs)
        seen.append((method, response.status))
        return response

    monkeypatch.setattr(DAVClient, "request", recording)
    return seen


def write_plan(plan: Plan, path: Path) -> Path:
    path.write_text(plan.model_dump_json(), encoding="utf-8")
    return path


def publish_cli(cli, server: Server, user: str, plan_path: Path, *extra: str):
    return cli("publish", str(EXAMPLE), str(plan_path), "--url", server.url, "--user", user,
               *extra)


def server_events(server: Server, user: str) -> dict[str, dict[str, list[Any]]]:
    """Per collection id: UID -> the VEVENTs stored under it (read back with caldav)."""
    found: dict[str, dict[str, list[Any]]] = {}
    with DAVClient(url=server.url, username=user, password=USERS[user],
                   enable_rfc6764=False) as client:
        for calendar in client.principal().calendars():
            name = str(calendar.url).rstrip("/").rpartition("/")[2]
            events = found.setdefault(name, {})
            for obj in calendar.get_events():
                for event in Calendar.from_ical(obj.data).events:
                    events.setdefault(str(event["UID"]), []).append(event)
    return found


def exported_uids(prepared: Prepared, plan: Plan) -> dict[str, set[str]]:
    files = export_calendars(prepared, plan)
    return {
        collection_id(tech.id): {r.uid for r in split_calendar(file.data)}
        for tech, file in zip(prepared.technicians, files, strict=False)
    }


# -- the resources, without a server ---------------------------------------------------------
def test_each_resource_is_a_calendar_with_timezone_and_one_event(solved):
    prepared, plan = solved
    file = export_calendars(prepared, plan)[0]
    resources = split_calendar(file.data)
    assert len(resources) == file.events
    for resource in resources:
        calendar = Calendar.from_ical(resource.ical())
        assert "METHOD" not in calendar  # RFC 4791 4.1: not in stored resources
        assert len(calendar.walk("VTIMEZONE")) == 1
        [event] = calendar.events
        assert str(event["UID"]) == resource.uid
        assert fingerprint(event) == fingerprint(resource.event)


def test_a_new_sequence_changes_no_content(solved):
    resource: Resource = split_calendar(export_calendars(*solved)[0].data)[0]
    [event] = Calendar.from_ical(resource.ical(sequence=4)).events
    assert event["SEQUENCE"] == 4
    assert fingerprint(event) == fingerprint(resource.event)


def test_collection_ids_are_path_safe():
    assert collection_id("anna") == "mspplan-anna"
    assert collection_id("team:a.b_c") == "mspplan-team~a.b_c"  # Radicale refuses ':' in paths


@pytest.mark.parametrize(
    ("url", "word"),
    [("ftp://host/", "http"), ("dav.example.com", "http"), ("http://u:pw@host/", "password"),
     ("http://host:port/", "valid")],
)
def test_url_problems(url, word):
    assert word in (url_problem(url) or "")


def test_good_urls_pass():
    assert url_problem("https://dav.example.com/remote.php/dav/") is None
    assert url_problem("http://user@127.0.0.1:5232/") is None


# -- against Radicale ------------------------------------------------------------------------
def test_publish_creates_collections_and_every_event(
    radicale, solved, cli, tmp_path, monkeypatch, requests_seen
):
    prepared, plan = solved
    monkeypatch.setenv(VAR, USERS["planner"])
    run = publish_cli(cli, radicale, "planner", write_plan(plan, tmp_path / "plan.json"))
    assert run.code == 0, run.err
    expected = exported_uids(prepared, plan)
    stored = server_events(radicale, "planner")
    assert set(stored) == set(expected)
    for name, uids in expected.items():
        assert set(stored[name]) == uids
        assert all(len(events) == 1 for events in stored[name].values())
    puts = [status for method, status in requests_seen if method == "PUT"]
    assert puts == [201] * sum(map(len, expected.values()))
    assert ("MKCALENDAR", 201) in requests_seen
    for tech in prepared.technicians:
        count = len(expected[collection_id(tech.id)])
        assert f"{tech.id} (mspplan-{tech.id}, new calendar): {count} created, 0 updated, " \
               f"0 deleted, 0 unchanged" in run.out
    assert USERS["planner"] not in run.out + run.err


def test_display_names_are_the_export_titles(radicale, solved, cli, tmp_path, monkeypatch):
    prepared, plan = solved
    monkeypatch.setenv(VAR, USERS["fourth"])
    assert publish_cli(cli, radicale, "fourth", write_plan(plan, tmp_path / "p.json")).code == 0
    with DAVClient(url=radicale.url, username="fourth", password=USERS["fourth"],
                   enable_rfc6764=False) as client:
        names = {c.get_display_name() for c in client.principal().calendars()}
    assert names == {f"mspplan: {t.name}" for t in prepared.technicians}


def test_a_changed_plan_updates_moved_and_deletes_removed_events(
    radicale, solved, cli, tmp_path, monkeypatch, requests_seen
):
    prepared, plan = solved
    monkeypatch.setenv(VAR, USERS["second"])
    assert publish_cli(cli, radicale, "second", write_plan(plan, tmp_path / "a.json")).code == 0
    assignments = [a for a in plan.assignments if a.technician == "anna"]
    moved, removed = assignments[0], assignments[1]
    changed = plan.model_copy(update={"assignments": [
        a.model_copy(update={"start": a.start + timedelta(hours=1),
                             "end": a.end + timedelta(hours=1)}) if a is moved else a
        for a in plan.assignments if a is not removed
    ]})
    uid_of = {(e.item, e.part): e for e in changed.assignments}
    assert (removed.item, removed.part) not in uid_of

    requests_seen.clear()
    again = publish_cli(cli, radicale, "second", write_plan(changed, tmp_path / "b.json"))
    assert again.code == 0, again.err
    anna = len(exported_uids(prepared, plan)["mspplan-anna"])
    assert f"anna (mspplan-anna): 0 created, 1 updated, 1 deleted, {anna - 2} unchanged" \
        in again.out
    assert "ben (mspplan-ben): 0 created, 0 updated, 0 deleted" in again.out
    assert [s for m, s in requests_seen if m == "PUT"] == [204]
    assert [s for m, s in requests_seen if m == "DELETE"] in ([200], [204])

    stored = server_events(radicale, "second")
    expected = exported_uids(prepared, changed)
    for name, uids in expected.items():
        assert set(stored[name]) == uids  # the removed one is gone, nothing else is
        assert all(len(events) == 1 for events in stored[name].values())  # no duplicates
    moved_event = next(
        events[0] for events in stored["mspplan-anna"].values()
        if events[0]["DTSTART"].dt == moved.start + timedelta(hours=1)
    )
    assert moved_event["DTEND"].dt == moved.end + timedelta(hours=1)
    assert moved_event["SEQUENCE"] == 1


def test_events_of_others_stay_and_stray_mspplan_events_go(
    radicale, solved, cli, tmp_path, monkeypatch
):
    prepared, plan = solved
    monkeypatch.setenv(VAR, USERS["third"])
    plan_path = write_plan(plan, tmp_path / "plan.json")
    assert publish_cli(cli, radicale, "third", plan_path).code == 0
    template = split_calendar(export_calendars(prepared, plan)[0].data)[0]
    with DAVClient(url=radicale.url, username="third", password=USERS["third"],
                   enable_rfc6764=False) as client:
        [calendar] = [c for c in client.principal().calendars()
                      if str(c.url).rstrip("/").endswith("mspplan-anna")]
        for uid in ("lunch-with-a-customer@example.com", "gone-since-long@mspplan"):
            text = template.ical().decode().replace(template.uid, uid)
            calendar.add_event(text)
    run = publish_cli(cli, radicale, "third", plan_path)
    assert run.code == 0, run.err
    assert "anna (mspplan-anna): 0 created, 0 updated, 1 deleted" in run.out
    stored = server_events(radicale, "third")["mspplan-anna"]
    assert "lunch-with-a-customer@example.com" in stored
    assert "gone-since-long@mspplan" not in stored


def test_wrong_password_is_one_clear_line(radicale, solved, cli, tmp_path, monkeypatch):
    _, plan = solved
    secret = "not-the-Pl4n-password"
    monkeypatch.setenv(VAR, secret)
    run = publish_cli(cli, radicale, "planner", write_plan(plan, tmp_path / "plan.json"))
    assert run.code == 3
    assert run.err.strip() == (
        f"mspplan publish: logging in to {radicale.url} as 'planner': the server refused the "
        f"user name or password (HTTP 401 Unauthorized); check --user and the password in {VAR}"
    )
    assert "Traceback" not in run.out + run.err
    assert secret not in run.out + run.err


def test_server_down_is_one_clear_line(solved, cli, tmp_path, monkeypatch):
    _, plan = solved
    monkeypatch.setenv(VAR, "whatever-it-is")
    closed = free_port()  # nothing listens there any more
    run = cli("publish", str(EXAMPLE), str(write_plan(plan, tmp_path / "plan.json")),
              "--url", f"http://127.0.0.1:{closed}/", "--user", "planner")
    assert run.code == 3
    assert run.err.strip() == (f"mspplan publish: logging in to http://127.0.0.1:{closed}/ as "
                               "'planner': cannot reach the server (Connection refused)")
    assert "whatever-it-is" not in run.out + run.err


@pytest.fixture
def plain_web_server() -> Iterator[str]:
    """A plain HTTP file server on 127.0.0.1: answers, but knows no PROPFIND."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_not_a_caldav_url_is_one_clear_line(plain_web_server, solved, cli, tmp_path, monkeypatch):
    _, plan = solved
    monkeypatch.setenv(VAR, "whatever-it-is")
    run = cli("publish", str(EXAMPLE), str(write_plan(plan, tmp_path / "plan.json")),
              "--url", plain_web_server, "--user", "planner")
    assert run.code == 3
    assert "no CalDAV service at this URL (HTTP 501 Not Implemented)" in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_missing_password_variable_names_it(solved, cli, tmp_path, monkeypatch):
    _, plan = solved
    monkeypatch.delenv("MY_DAV_SECRET", raising=False)
    run = cli("publish", str(EXAMPLE), str(write_plan(plan, tmp_path / "plan.json")),
              "--url", "http://127.0.0.1:9/", "--user", "planner", "--password-env",
              "MY_DAV_SECRET")
    assert run.code == 2
    assert "MY_DAV_SECRET is not set" in run.err


def test_a_password_in_the_url_is_refused_and_not_echoed(solved, cli, tmp_path, monkeypatch):
    _, plan = solved
    monkeypatch.setenv(VAR, "x")
    run = cli("publish", str(EXAMPLE), str(write_plan(plan, tmp_path / "plan.json")),
              "--url", "http://planner:hunter2-secret@127.0.0.1:9/", "--user", "planner")
    assert run.code == 2
    assert "holds a password" in run.err
    assert "hunter2-secret" not in run.out + run.err


def test_a_plan_of_another_scenario_is_bad_input(solved, cli, tmp_path, monkeypatch):
    _, plan = solved
    monkeypatch.setenv(VAR, "x")
    other = write_plan(plan.model_copy(update={"scenario": "Other"}), tmp_path / "plan.json")
    run = cli("publish", str(EXAMPLE), str(other), "--url", "http://127.0.0.1:9/",
              "--user", "planner")
    assert run.code == 2
    assert "was made for scenario 'Other'" in run.err
