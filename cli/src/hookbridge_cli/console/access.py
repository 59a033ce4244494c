"""Who may use the console, and how a changing request proves it came from the console's own page.

The address `hookbridge console` prints carries a random token; the first request with it gets a session
cookie (HttpOnly, SameSite=Strict, this port's own name) and is redirected to the same page without the
token, so the token stays out of the history and of any Referer. Every other request without the cookie is
answered 401, static files too. A request for another Host (DNS rebinding) is answered 421.

A changing request is a POST carrying the page's CSRF token (a hidden form field); a request that a
browser says is cross-site (Origin not this console, or Sec-Fetch-Site other than same-origin) is answered
403 before the token is looked at.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import URL
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_PARAMETER = "token"  # noqa: S105 - the query parameter's name, not a token
CSRF_FIELD = "csrf"


@dataclass(frozen=True)
class Access:
    port: int
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # What the cookie holds: not the token itself, so a cookie read from disk does not open a new session.
    session: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    @property
    def cookie(self) -> str:
        return f"hookbridge_console_{self.port}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"{self.origin}/?{TOKEN_PARAMETER}={self.token}"

    @property
    def csrf(self) -> str:
        """The token each form carries: derived from the session, never sent as a cookie."""
        return hmac.new(self.session.encode(), b"csrf", hashlib.sha256).hexdigest()

    def hosts(self) -> set[str]:
        return {f"127.0.0.1:{self.port}", f"localhost:{self.port}"}

    def same_origin(self, connection: HTTPConnection) -> bool:
        """False when the browser says the request comes from another site (its Origin or Sec-Fetch-Site)."""
        origin = connection.headers.get("origin")
        if origin is not None and origin not in {f"http://{host}" for host in self.hosts()}:
            return False
        return connection.headers.get("sec-fetch-site", "same-origin") in {"same-origin", "none"}

    def csrf_matches(self, value: object) -> bool:
        return isinstance(value, str) and hmac.compare_digest(value, self.csrf)


class AccessMiddleware:
    """Admits requests with the token or this console's session cookie; refuses the rest (401, 421)."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        response = self._refusal(connection)
        if response is None:
            await self.app(scope, receive, send)
        else:
            await response(scope, receive, send)

    def _refusal(self, connection: HTTPConnection) -> Response | None:
        access = self.access
        if connection.headers.get("host") not in access.hosts():
            return PlainTextResponse("not this console's address", status_code=421)
        offered = connection.query_params.get(TOKEN_PARAMETER)
        if offered is not None and hmac.compare_digest(offered, access.token):
            return _session_started(connection.url, access)
        cookie = connection.cookies.get(access.cookie)
        if cookie is not None and hmac.compare_digest(cookie, access.session):
            return None
        return PlainTextResponse(
            "401: open the address `hookbridge console` printed (it carries the access token)",
            status_code=401,
            headers={"Cache-Control": "no-store"},
        )


def _session_started(url: URL, access: Access) -> Response:
    query = urlencode([(k, v) for k, v in parse_qsl(url.query) if k != TOKEN_PARAMETER])
    response = RedirectResponse(url.path + (f"?{query}" if query else ""), status_code=303)
    response.set_cookie(access.cookie, access.session, httponly=True, samesite="strict", path="/")
    return response
