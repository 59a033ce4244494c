"""Who the console answers, in-process (no AWS is reached: every request here is refused or redirected
before a page reads anything): the token, then the session cookie; the Host; a changing request's CSRF
token and same-origin check. tests/cli/test_console.py checks the same through a real browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hookbridge_cli.console.access import Access
from hookbridge_cli.console.live import Live
from hookbridge_cli.console.pages import Console
from hookbridge_cli.target import Target
from starlette.testclient import TestClient

# The test client runs the app on an event loop, whose wake-up socket pair pytest-socket would refuse; no
# connection is made (nothing listens on PORT).
pytestmark = [pytest.mark.enable_socket, pytest.mark.allow_hosts(["127.0.0.1"])]

PORT = 43210
BASE = f"http://127.0.0.1:{PORT}"


@pytest.fixture
def access() -> Access:
    return Access(port=PORT)


@pytest.fixture
def client(access: Access) -> Iterator[TestClient]:
    t = Target("hb", "events", "subscriptions", "bus", "dlq", "http://x", None, 1, False, ())
    app = Console(t, access, "a test", Live(t)).app()
    with TestClient(app, base_url=BASE, follow_redirects=False) as test_client:
        yield test_client


def signed_in(client: TestClient, access: Access) -> None:
    answer = client.get(f"/events/zippex/demo?type=x&token={access.token}")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/events/zippex/demo?type=x"  # the token left out
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"hookbridge_console_{PORT}={access.session};")
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie


@pytest.mark.parametrize("path", ["/", "/events/zippex/demo", "/live", "/api/live", "/static/console.js"])
def test_without_the_token_or_cookie_every_path_is_401(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 401
    assert client.get(f"{path}?token=wrong").status_code == 401
    client.cookies.set(f"hookbridge_console_{PORT}", "forged")
    assert client.get(path).status_code == 401


def test_the_token_sets_the_session_then_the_cookie_is_enough(client: TestClient, access: Access) -> None:
    signed_in(client, access)
    answer = client.get("/static/console.js")
    assert answer.status_code == 200
    assert "content-security-policy" in answer.headers
    assert answer.headers["cache-control"] == "no-store"


def test_another_host_name_is_421_even_with_the_token(client: TestClient, access: Access) -> None:
    answer = client.get(f"/?token={access.token}", headers={"host": f"rebound.example:{PORT}"})
    assert answer.status_code == 421


def test_a_post_needs_the_forms_token_and_a_same_origin_browser(client: TestClient, access: Access) -> None:
    signed_in(client, access)
    assert client.post("/dead-letters/redrive").status_code == 403
    assert client.post("/dead-letters/redrive", data={"csrf": "forged"}).status_code == 403
    for cross_site in ({"origin": "http://attacker.example"}, {"sec-fetch-site": "cross-site"}):
        refused = client.post("/dead-letters/redrive", data={"csrf": access.csrf}, headers=cross_site)
        assert refused.status_code == 403, cross_site
    assert client.get("/dead-letters/redrive").status_code == 405  # a change is never a GET


def test_each_run_has_its_own_token_session_and_csrf() -> None:
    one, two = Access(port=PORT), Access(port=PORT)
    assert len({one.token, two.token}) == len({one.session, two.session}) == len({one.csrf, two.csrf}) == 2
    assert one.token not in one.session
