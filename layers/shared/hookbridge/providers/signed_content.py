"""What a sender signs, from a definition's template: the body's bytes, a timestamp, headers, the URL it
called, the HTTP method and a form's parameters, spliced as the sender splices them. Compiled once per
scheme at cold start."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from urllib.parse import parse_qs, parse_qsl, urlsplit, urlunsplit

from hookbridge.errors import Unauthorized
from hookbridge.model import WebhookRequest
from hookbridge.providers.definition import PLACEHOLDER
from hookbridge.providers.verification import require_header
from hookbridge.subscription import SubscriptionSecret

FORM = "application/x-www-form-urlencoded"
DEFAULT_PORTS = {"https": "443", "http": "80"}


class Signing:
    """The request as a signer or a verifier sees it: what the template's placeholders are filled from."""

    __slots__ = ("body", "headers", "method", "stamp", "url")

    def __init__(self, body: bytes, stamp: str, headers: Mapping[str, str], url: str, method: str) -> None:
        self.body = body
        self.stamp = stamp
        self.headers = headers  # names lower-cased
        self.url = url
        self.method = method


Builder = Callable[[Signing], bytes]


def builder(template: str, url_unescape: str = "") -> Builder:
    """The bytes a template signs. The body's bytes are spliced in as they are, never decoded."""
    if template == "{body}":
        return lambda signing: signing.body
    if template == "{timestamp}.{body}":
        return lambda signing: signing.stamp.encode() + b"." + signing.body
    # Split once: literal text, and the placeholders between it (PLACEHOLDER's one group).
    pieces = PLACEHOLDER.split(template)
    literals = [p.encode() for p in pieces[0::2]]
    holes = pieces[1::2]
    unescape = _unescaper(url_unescape)

    def build(signing: Signing) -> bytes:
        out = [literals[0]]
        for hole, literal in zip(holes, literals[1:], strict=True):
            if hole == "body":
                out.append(signing.body)
            elif hole == "timestamp":
                out.append(signing.stamp.encode())
            elif hole == "url":
                out.append(unescape(signing.url).encode())
            elif hole == "method":
                out.append(signing.method.encode())
            elif hole == "params":
                out.append(form_parameters(signing.body, signing.headers).encode())
            elif hole == "sorted_url":
                out.append(sorted_url(signing.url, signing.body, signing.headers).encode())
            else:
                out.append(require_header(signing.headers, hole.removeprefix("header:")).encode())
            out.append(literal)
        return b"".join(out)

    return build


def form_parameters(body: bytes, headers: Mapping[str, str]) -> str:
    """A form's parameters as Twilio signs them: sorted by name, each name followed by its value, a name
    given several times once per value (sorted); nothing when the body is not a form. A form that is not
    UTF-8 has no parameters to sign: refused, never signed as empty (its bytes would be unsigned)."""
    if not headers.get("content-type", "").lower().startswith(FORM):
        return ""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise Unauthorized("a form body that is not UTF-8") from exc
    values: dict[str, set[str]] = {}
    for name, value in pairs:
        values.setdefault(name, set()).add(value)
    return "".join(name + value for name in sorted(values) for value in sorted(values[name]))


def sorted_url(url: str, body: bytes, headers: Mapping[str, str]) -> str:
    """The URL and the form's parameters as Plivo's V3 signature signs them (its SDK's construct_post_url):
    the URL without its query; then, when the query or the form has parameters, "?" and the query's
    parameters decoded and sorted ("name=value" joined by "&", a name's values sorted); then, when both
    have some, "."; then the form's parameters sorted by name, each name followed by its value (a name's
    values sorted, every one). A body is signed only as a form's parameters: any other non-empty body (or a
    form that is not UTF-8) carries bytes no signature covers and is refused."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # a Host that is no host ("["): no URL was signed
        raise Unauthorized("the URL called is not a URL") from exc
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    query = parse_qs(parts.query, keep_blank_values=True)
    in_query = "&".join(f"{name}={value}" for name in sorted(query) for value in sorted(query[name]))
    params = _form_lists(body, headers)
    in_form = "".join(name + value for name in sorted(params) for value in sorted(params[name]))
    if not params:
        return f"{base}?{in_query}" if in_query else base
    return f"{base}?{in_query}.{in_form}" if in_query else f"{base}?{in_form}"


def _form_lists(body: bytes, headers: Mapping[str, str]) -> dict[str, list[str]]:
    """Every value of each of a form's names, repeats kept (as the sender signs them)."""
    if not body:
        return {}
    if not headers.get("content-type", "").lower().startswith(FORM):
        raise Unauthorized("body not signed: only a form's parameters are")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unauthorized("a form body that is not UTF-8") from exc
    return parse_qs(text, keep_blank_values=True)


def request_url(request: WebhookRequest, secret: SubscriptionSecret) -> str:
    """The URL the sender called: the secret's url (as given to the sender, when the function sees another
    one, behind a custom domain), else the scheme API Gateway received it on, its Host and path; the
    query string as received appended."""
    if secret.url:
        base = secret.url
    else:
        scheme = request.headers.get("x-forwarded-proto", "https").split(",")[0].strip() or "https"
        base = f"{scheme}://{request.headers.get('host', '')}{request.raw_path}"
    return f"{base}?{request.raw_query}" if request.raw_query else base


def with_and_without_port(url: str) -> list[str]:
    """The URL as reconstructed, then with its default port added or removed: a sender may sign either
    (Twilio's own validator tries both)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a Host that is no host ("[", a port over 65535): only the URL as it is
        return [url]
    default = DEFAULT_PORTS.get(parts.scheme)
    if default is None or not parts.hostname:
        return [url]
    host = parts.hostname if port else f"{parts.hostname}:{default}"
    if port is not None and str(port) != default:
        return [url]
    return [url, urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))]


def _unescaper(characters: str) -> Callable[[str], str]:
    """Decodes the percent-escapes of exactly these characters (HubSpot decodes twelve, keeps the rest)."""
    if not characters:
        return lambda url: url
    escapes = {f"%{ord(c):02X}": c for c in characters}
    pattern = re.compile("|".join(re.escape(e) for e in escapes), re.IGNORECASE)
    return lambda url: pattern.sub(lambda found: escapes[found.group(0).upper()], url)
