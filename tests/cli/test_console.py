"""`hookbridge console --local`, run as a user runs it beside `hookbridge dev`, driven in a real browser:
headless Chromium from Debian's packages (`apt-get install chromium`) through Playwright. Each page, the
token refusal, the cross-site refusal of a changing request, Replay putting the event on the bus again,
redrive, the live page, Ctrl-C; and no page logs a JavaScript error.

HOOKBRIDGE_CONSOLE_SCREENSHOTS=docs/console saves a screenshot of each page there (docs/operating.md shows
them)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from tests.cli.conftest import HOOKBRIDGE, Dev, Result, free_port, one_line_error, user_environment, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

CHROMIUM = "/usr/bin/chromium"
# No network but the console's own: no component updates, sync or QUIC probes.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = os.environ.get("HOOKBRIDGE_CONSOLE_SCREENSHOTS")


@dataclass
class Console:
    process: subprocess.Popen[str]
    started: dict[str, Any]

    @property
    def url(self) -> str:  # the address it printed, with the token
        return str(self.started["url"])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.started['port']}"

    def interrupt(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=60)
        finally:
            self.process.kill()
        assert self.process.stderr is not None
        return code, self.process.stderr.read()


def start_console(home: Path) -> Console:
    process = subprocess.Popen(  # noqa: S603 - our own command
        [HOOKBRIDGE, "console", "--local", "--no-browser", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=user_environment(home),
    )
    started: dict[str, Any] = {}
    ready = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        started.update(json.loads(process.stdout.readline() or "{}"))
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    if not ready.wait(60) or "url" not in started:
        process.kill()
        raise AssertionError(f"console did not start: {process.stderr.read() if process.stderr else ''}")
    return Console(process, started)


@pytest.fixture(scope="module")
def console(home: Path, dev: Dev) -> Iterator[Console]:
    running = start_console(home)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.interrupt()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no {CHROMIUM}: apt-get install -y chromium (.ci/run does)")
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        yield launched
    finally:
        launched.close()


@dataclass
class Session:
    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def session(browser: Browser, console: Console) -> Iterator[Session]:
    """A browser signed in with the printed address; every JavaScript error it logs fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    opened = Session(context, page)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    # A request cut short by leaving the page (net::ERR_ABORTED) is the browser's doing, not a failure.
    page.on(
        "requestfailed",
        lambda r: opened.errors.append(f"{r.url}: {r.failure}") if "ABORTED" not in str(r.failure) else None,
    )
    answer = page.goto(console.url)
    assert answer is not None
    assert answer.status == 200
    assert page.url == f"{console.base}/"  # the token is out of the address bar
    try:
        yield opened
        assert opened.errors == []
    finally:
        context.close()


def screenshot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def zippex(n: str, event_type: str = "delivery.created") -> tuple[str, str]:
    body = {"id": f"evt_console_{n}", "type": event_type, "created_at": "2026-03-10T14:45:00Z", "n": n}
    return event_type, json.dumps(body)


def on_bus(dev: Dev, stored_id: str) -> list[dict[str, Any]]:
    return [e for e in list(dev.bus) if e["detail"].get("metadata", {}).get("id") == stored_id]


def answer(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """The console's status and headers for a request from outside the browser."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    data = b"" if method == "POST" else None
    request = urllib.request.Request(url, method=method, headers=headers or {}, data=data)  # noqa: S310
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=15) as got:
            return got.status, got.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers


def test_every_page_and_call_without_the_token_is_refused(console: Console) -> None:
    for path in ("/", "/events/zippex/demo", "/dead-letters", "/live", "/api/live", "/static/console.js"):
        assert answer(console.base + path)[0] == 401, path
    assert answer(f"{console.base}/dead-letters/redrive", "POST")[0] == 401
    assert answer(f"{console.base}/?token=not-the-token")[0] == 401
    status, headers = answer(console.url)
    assert status == 303
    cookie = headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    # Another host name for the same address (DNS rebinding) is refused even with the token.
    assert answer(console.url, headers={"Host": f"attacker.example:{console.started['port']}"})[0] == 421


def test_subscriptions_with_health_last_event_and_dead_letter_depth(
    session: Session, console: Console, dev: Dev, hb: Any
) -> None:
    dev.post_signed("zippex", *zippex("home"))
    assert hb("health", "--local").code == 0
    page = session.page
    page.goto(f"{console.base}/")
    row = page.locator('tr[data-subscription="zippex/demo"]')
    expect(row.locator(".status")).to_have_text("healthy")
    # Filled by the page's script, a few subscriptions at a time (each is a query per index shard and day).
    expect(row.locator("td.last-event.filled")).to_have_text(
        re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]{12}Z$"), timeout=60_000
    )
    # Made when the stack started and no event yet: new, not silent, until its quiet period has passed.
    quiet = page.locator('tr[data-subscription="zencargo/demo"]')
    expect(quiet.locator(".status")).to_have_text("new")
    expect(quiet.locator("td.last-event.filled")).to_have_text("none in 3 days", timeout=60_000)
    expect(page.locator("#dlq-depth")).to_have_text("0")
    # The page shows no secret: the demo subscription's signing secret is nowhere in it.
    assert dev.secret("hookbridge/zippex/demo")["signing_secrets"][0] not in page.content()
    screenshot(page, "subscriptions")
    page.get_by_role("button", name="Check health now").click()
    expect(page.locator("p.done")).to_contain_text("Health checked now:")


def test_events_newest_first_filtered_found_by_id_and_paged(
    session: Session, console: Console, dev: Dev
) -> None:
    kinds = ["delivery.created", "delivery.delivered"] * 3
    sent = [dev.post_signed("zippex", *zippex(f"list{n}", kind)) for n, kind in enumerate(kinds)]
    page = session.page
    page.goto(f"{console.base}/events/zippex/demo")
    ids = page.locator("#events tbody td:nth-child(5)").all_inner_texts()
    assert ids[:6] == sent[::-1]  # newest first
    screenshot(page, "events")

    page.goto(f"{console.base}/events/zippex/demo?type=delivery.delivered")
    types = set(page.locator("#events tbody td:nth-child(2)").all_inner_texts())
    assert types == {"delivery.delivered"}
    assert page.locator("#events tbody td:nth-child(5)").all_inner_texts()[:3] == sent[1::2][::-1]

    # Until the third event's time: the three after it are left out.
    third = page.locator(f'a[href*="{sent[3]}"]').get_attribute("href") or ""
    received = urllib.request.unquote(third.split("at=")[1])
    page.goto(f"{console.base}/events/zippex/demo?until={received}")
    assert page.locator("#events tbody td:nth-child(5)").all_inner_texts()[0] == sent[3]

    # Two a page, following "Older": every event once, in the same order as one long page.
    page.goto(f"{console.base}/events/zippex/demo?limit=500")
    everything = page.locator("#events tbody td:nth-child(5)").all_inner_texts()
    page.goto(f"{console.base}/events/zippex/demo?limit=2")
    paged: list[str] = []
    while True:
        paged += page.locator("#events tbody td:nth-child(5)").all_inner_texts()
        older = page.locator("#older")
        if not older.count():
            break
        with page.expect_navigation():
            older.click()
    assert paged == everything
    assert len(everything) >= 6

    page.goto(f"{console.base}/events/zippex/demo")
    page.get_by_placeholder("the id send, the list or the bus shows").fill(sent[2])
    page.get_by_role("button", name="Find").click()
    expect(page.locator("h1 code")).to_have_text(sent[2])
    assert page.url.startswith(f"{console.base}/events/zippex/demo/{sent[2]}?at=")

    # Its key (as `events list --json` shows it) finds it too, and its page replays it.
    page.goto(f"{console.base}/events/zippex/demo")
    page.get_by_placeholder("the id send, the list or the bus shows").fill("zippex#demo#id#evt_console_list1")
    page.get_by_role("button", name="Find").click()
    expect(page.locator("h1 code")).to_have_text("zippex#demo#id#evt_console_list1")
    page.get_by_role("button", name="Replay").click()
    expect(page.locator("p.done")).to_contain_text("Replayed: 1 event(s)")
    wait_for(lambda: len(on_bus(dev, sent[1])) == 2)

    missing = page.goto(f"{console.base}/events/zippex/demo?id=no-such-event")
    assert missing is not None
    assert missing.status == 404
    expect(page.locator(".problem")).to_contain_text("no event no-such-event for zippex/demo")
    session.errors.clear()  # the browser logs the 404 itself; no script ran


def test_an_event_its_body_its_bus_event_and_replay(session: Session, console: Console, dev: Dev) -> None:
    _, body = zippex("replayed")
    stored_id = dev.post_signed("zippex", "delivery.created", body)
    wait_for(lambda: len(on_bus(dev, stored_id)) == 1)
    page = session.page
    page.goto(f"{console.base}/events/zippex/demo")
    page.locator(f'a[href*="{stored_id}"]').click()
    expect(page.locator("h1")).to_contain_text("delivery.created")
    assert json.loads(page.locator("#body").inner_text()) == json.loads(body)
    assert "\n  " in page.locator("#body").inner_text()  # pretty-printed
    expect(page.locator("details.bus-event summary")).to_have_text("hookbridge.zippex · delivery.created")
    on_page = json.loads(page.locator("details.bus-event pre").inner_text())
    assert on_page == on_bus(dev, stored_id)[0]["detail"]
    screenshot(page, "event")

    page.get_by_role("button", name="Replay").click()
    expect(page.locator("p.done")).to_contain_text("Replayed: 1 event(s) published to the bus again")
    wait_for(lambda: len(on_bus(dev, stored_id)) == 2)
    assert on_bus(dev, stored_id)[1]["detail"] == on_bus(dev, stored_id)[0]["detail"]
    page.reload()  # the redirect after the POST: a reload shows the page, it does not replay again
    time.sleep(1.5)
    assert len(on_bus(dev, stored_id)) == 2


def test_a_form_body_is_shown_as_its_fields(session: Session, console: Console, hb: Any) -> None:
    sent = hb("send", "twilio", "delivered", "--local", "--json")
    assert sent.code == 0, sent
    page = session.page  # Twilio's answer is TwiML, without the id: the newest twilio/demo event is it
    page.goto(f"{console.base}/events/twilio/demo")
    page.locator("#events tbody tr").first.get_by_role("link").click()
    expect(page.locator("table.form")).to_be_visible()
    fields = dict(
        zip(
            page.locator("table.form tbody td:nth-child(1)").all_inner_texts(),
            page.locator("table.form tbody td:nth-child(2)").all_inner_texts(),
            strict=True,
        )
    )
    assert fields["MessageStatus"] == "delivered"


def test_a_changing_request_from_another_site_or_without_the_forms_token_is_refused(
    session: Session, console: Console, dev: Dev
) -> None:
    stored_id = dev.post_signed("zippex", *zippex("csrf"))
    wait_for(lambda: len(on_bus(dev, stored_id)) == 1)
    page = session.page
    page.goto(f"{console.base}/events/zippex/demo?id={stored_id}")
    token = page.locator('input[name="csrf"]').get_attribute("value")
    at = page.locator('input[name="at"]').get_attribute("value")
    replay = f"{console.base}/events/zippex/demo/{stored_id}/replay"
    post = session.context.request.post  # the browser's cookies: only the checks below stand in the way
    assert post(replay, form={"at": at or ""}, max_redirects=0).status == 403
    assert post(replay, form={"csrf": "forged", "at": at or ""}, max_redirects=0).status == 403
    for cross_site in ({"Origin": "http://attacker.example"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = post(
            replay, form={"csrf": token or "", "at": at or ""}, headers=cross_site, max_redirects=0
        )
        assert refused.status == 403, cross_site
    time.sleep(1.5)
    assert len(on_bus(dev, stored_id)) == 1  # nothing was replayed
    accepted = post(replay, form={"csrf": token or "", "at": at or ""}, max_redirects=0)
    assert accepted.status == 303
    wait_for(lambda: len(on_bus(dev, stored_id)) == 2)


def test_the_live_page_shows_bus_events_as_they_arrive(session: Session, console: Console, dev: Dev) -> None:
    page = session.page
    page.goto(f"{console.base}/live")
    tap = page.locator("#tap").inner_text()
    assert tap.startswith("hookbridge-console-")
    rules = [r["Name"] for r in dev.client("events").list_rules(EventBusName="hookbridge")["Rules"]]
    assert tap in rules
    expect(page.locator("#live-status")).to_have_text("Adding new events as they arrive.")
    stored_id = dev.post_signed("zippex", *zippex("live", "delivery.delivered"))
    row = page.locator("#live tbody tr", has_text=stored_id)
    expect(row).to_have_count(1, timeout=30_000)  # added by the page itself: no reload
    expect(row).to_contain_text("delivery.delivered")
    screenshot(page, "live")
    row.get_by_role("link").click()
    expect(page.locator("h1 code")).to_have_text(stored_id)


def test_ctrl_c_stops_in_one_line_and_removes_the_live_pages_tap(home: Path, dev: Dev) -> None:
    running = start_console(home)
    status, headers = answer(running.url)
    assert status == 303
    cookie = headers["set-cookie"].split(";")[0]
    assert answer(f"{running.base}/live", headers={"Cookie": cookie})[0] == 200
    tap = [
        r["Name"]
        for r in dev.client("events").list_rules(EventBusName="hookbridge")["Rules"]
        if r["Name"].startswith("hookbridge-console-")
    ]
    assert len(tap) >= 1
    code, err = running.interrupt()
    assert code == 130
    line = one_line_error(Result(code, "", err))
    assert "interrupted; the console stopped and removed the rule and queue hookbridge-console-" in line
    mine = line.rsplit(" ", 1)[-1]
    assert mine not in [
        r["Name"] for r in dev.client("events").list_rules(EventBusName="hookbridge")["Rules"]
    ]
    assert not [u for u in dev.client("sqs").list_queues().get("QueueUrls", []) if u.endswith(mine)]


def test_a_port_in_use_or_no_local_stack_is_one_line_and_starts_nothing(
    home: Path, dev: Dev, console: Console, tmp_path: Path
) -> None:
    taken = subprocess.run(  # noqa: S603 - our own command
        [HOOKBRIDGE, "console", "--local", "--no-browser", "--port", str(console.started["port"])],
        capture_output=True,
        text=True,
        timeout=60,
        env=user_environment(home),
        check=False,
    )
    assert taken.returncode == 2, taken
    line = one_line_error(Result(taken.returncode, taken.stdout, taken.stderr))
    assert f"port {console.started['port']} on 127.0.0.1 is in use: pick another with --port" in line
    assert taken.stdout == ""  # no address printed

    nothing = subprocess.run(  # noqa: S603 - our own command
        [HOOKBRIDGE, "console", "--local", "--no-browser", "--aws-port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env=user_environment(tmp_path),
        check=False,
    )
    assert nothing.returncode == 3, nothing
    assert "is `hookbridge dev` running?" in one_line_error(Result(3, nothing.stdout, nothing.stderr))


def dead_letters(dev: Dev) -> int:
    sqs = dev.client("sqs")
    queue = sqs.get_queue_url(QueueName="hookbridge-publisher-dlq")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


# Last in the file: it deletes the bus (and with it every rule on it) to make the publisher fail.
def test_dead_letters_name_their_subscription_and_redrive(
    session: Session, console: Console, dev: Dev, hb: Any
) -> None:
    events = dev.client("events")
    events.delete_event_bus(Name="hookbridge")  # every PutEvents fails now
    assert hb("send", "zencargo", "SHIPMENT_DELIVERY_ESTIMATE_CHANGED", "--local").code == 0
    wait_for(lambda: dead_letters(dev) == 1, seconds=90)
    events.create_event_bus(Name="hookbridge")

    page = session.page
    page.goto(f"{console.base}/")
    expect(page.locator("#dlq-depth")).to_have_text("1")
    page.goto(f"{console.base}/dead-letters")
    expect(page.locator("#dlq-depth")).to_have_text("1")
    expect(page.locator("#dead-letters tbody tr")).to_have_count(1)
    expect(page.locator("#dead-letters tbody")).to_contain_text("zencargo/demo (1 events)")
    screenshot(page, "dead-letters")
    page.get_by_role("button", name="Redrive").click()
    expect(page.locator("p.done")).to_have_text("Redrove 1 batch(es).")
    expect(page.locator("#dlq-depth")).to_have_text("0")
    assert dead_letters(dev) == 0
