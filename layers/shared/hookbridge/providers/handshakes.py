"""A definition's handshakes: requests a sender makes to have the endpoint prove itself (Slack's
url_verification, Zoom's endpoint.url_validation, Twitch's webhook_callback_verification, Discord's PING,
Meta's subscribe GET), recognized and answered exactly as the sender requires. They are never stored or
published. A signed handshake is answered only once the provider's auth has passed; Meta's GET is checked
against the verify token the subscription's secret holds. A sender that proves no handshake (Dropbox's GET
?challenge=, Trello's HEAD, Microsoft Graph's bodiless POST ?validationToken=) is answered from the request
alone: an echo as text/plain or JSON, never a value made with the secret (definition.HandshakeSpec)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable
from typing import Any

from hookbridge.errors import Unauthorized
from hookbridge.model import Answer, Handshake, WebhookRequest
from hookbridge.providers._fields import short_str
from hookbridge.providers.bodies import value_at
from hookbridge.providers.definition import ANSWER_PLACEHOLDER, AnswerSpec, HandshakeSpec, Match, Source
from hookbridge.providers.verification import secret_matches
from hookbridge.subscription import SubscriptionSecret

Read = Callable[[WebhookRequest, Any], str | None]
Render = Callable[[WebhookRequest, Any, SubscriptionSecret], Answer]
# A handshake's value is echoed back: keep it to what a sender's challenge is.
MAX_ECHO = 512
# What a value echoed in an answer's header may be: visible ASCII and spaces, never a line break.
_HEADER_TEXT = re.compile(r"[ -~]{1,512}")


def build(spec: HandshakeSpec) -> Handshake:
    conditions = [_condition(match) for match in spec.when]
    render = _renderer(spec.answer)
    token_of = _reader(spec.verify_token) if spec.verify_token is not None else None

    def matches(request: WebhookRequest, payload: Any) -> bool:
        return (
            request.method == spec.method
            and not (spec.empty_body and request.body)
            and all(condition(request, payload) for condition in conditions)
        )

    def answer(request: WebhookRequest, payload: Any, secret: SubscriptionSecret) -> Answer:
        if token_of is not None:
            expected = secret.verify_token.get_secret_value() if secret.verify_token else ""
            given = token_of(request, payload) or ""
            if not expected or not secret_matches(given, [expected]):
                raise Unauthorized(f"{spec.name}: verify token mismatch")
        return render(request, payload, secret)

    token_parameter = spec.verify_token.query if spec.verify_token is not None else None
    learns = _learned(spec.learns) if spec.learns is not None else None
    return Handshake(
        spec.name,
        spec.method,
        matches,
        answer,
        spec.check == "auth",
        spec.refused_status,
        token_parameter,
        learns,
        spec.empty_body,
    )


def _learned(source: Source) -> Read:
    """The secret a handshake hands over: text a header can carry back (Asana echoes it), or None."""
    read = _reader(source)

    def value(request: WebhookRequest, payload: Any) -> str | None:
        found = read(request, payload)
        return found if found is not None and _HEADER_TEXT.fullmatch(found) else None

    return value


def _reader(source: Source) -> Read:
    if source.json_path is not None:
        path = source.json_path
        return lambda request, payload: _echo(value_at(payload, path))
    if source.header is not None:
        header = source.header.lower()
        return lambda request, payload: _echo(request.headers.get(header))
    if source.query is not None:
        name = source.query
        return lambda request, payload: _echo(request.query.get(name))
    raise ValueError("a handshake reads json, a header or a query parameter")


def _condition(match: Match) -> Callable[[WebhookRequest, Any], bool]:
    # The body's value as it is, not _reader's text: a JSON number or boolean is compared below.
    path = match.json_path
    read = _reader(match) if path is None else lambda request, payload: value_at(payload, path)
    wanted = match.equals

    def holds(request: WebhookRequest, payload: Any) -> bool:
        value = read(request, payload)
        if wanted is None:  # present = true: there, whatever it is (an echo's value is then checked by _echo)
            return value is not None
        # A JSON number or boolean is compared as it is written (Discord's PING is "type": 0), and so is an
        # empty list (LINE's verification is a batch of no event: "events": []).
        text = json.dumps(value) if isinstance(value, bool | int | float) or value == [] else value
        return text == wanted

    return holds


def _echo(value: object) -> str | None:
    if isinstance(value, str):
        return value if len(value) <= MAX_ECHO else None
    return short_str(value)


def _renderer(spec: AnswerSpec) -> Render:
    content_type = spec.content_type or ("application/json" if spec.json_body is not None else None)
    headers = tuple(spec.headers.items())
    templated = any(ANSWER_PLACEHOLDER.search(value) for _, value in headers)

    def fill(text: str, request: WebhookRequest, payload: Any, secret: SubscriptionSecret) -> str:
        def value(found: re.Match[str]) -> str:
            keyed, where, name = found.groups()
            read = _reader(_source(where, name))
            raw = read(request, payload)
            if raw is None:
                raise Unauthorized(f"handshake without its {where} {name}")
            if not keyed:
                return str(raw)
            keys = [s.get_secret_value() for s in secret.signing_secrets if s.get_secret_value()]
            if not keys:
                raise Unauthorized("subscription has no signing secret configured")
            return hmac.new(keys[0].encode(), str(raw).encode(), hashlib.sha256).hexdigest()

        return ANSWER_PLACEHOLDER.sub(value, text)

    def header(value: str, request: WebhookRequest, payload: Any, secret: SubscriptionSecret) -> str:
        text = fill(value, request, payload, secret)
        if not _HEADER_TEXT.fullmatch(text):
            raise Unauthorized("handshake value cannot be a header's")
        return text

    def render(request: WebhookRequest, payload: Any, secret: SubscriptionSecret) -> Answer:
        if spec.json_body is not None:
            body = json.dumps({k: fill(v, request, payload, secret) for k, v in spec.json_body.items()})
        else:
            body = fill(spec.body, request, payload, secret)
        if templated:
            filled = tuple((name, header(value, request, payload, secret)) for name, value in headers)
            return Answer(spec.status, body, content_type, filled)
        return Answer(spec.status, body, content_type, headers)

    return render


def _source(where: str, name: str) -> Source:
    return Source.model_validate({where: name})


def accepted_answer(spec: AnswerSpec | None) -> Answer | None:
    """The fixed answer a sender asks for a stored webhook (Adyen's "[accepted]", Discord's 204)."""
    if spec is None:
        return None
    return Answer(spec.status, spec.body, spec.content_type, tuple(spec.headers.items()))
