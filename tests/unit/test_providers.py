from __future__ import annotations

import time

import pytest

from hookbridge import providers
from hookbridge.providers.verification import credentials_match, secret_matches


def test_every_module_loads_as_its_own_provider() -> None:
    assert providers.names() == [
        "adyen",
        "asana",
        "aws-sns",
        "bitbucket",
        "box",
        "braintree",
        "calendly",
        "discord",
        "docusign",
        "dropbox",
        "github",
        "gitlab",
        "google-pubsub",
        "hubspot",
        "intercom",
        "jira",
        "lemonsqueezy",
        "line",
        "linear",
        "mailgun",
        "meta",
        "microsoft-graph",
        "mollie",
        "monday",
        "mux",
        "notion",
        "okta",
        "paddle",
        "pagerduty",
        "paypal",
        "plaid",
        "plivo",
        "postmark",
        "razorpay",
        "sendgrid",
        "sentry",
        "shopify",
        "slack",
        "square",
        "standard-webhooks",
        "stripe",
        "svix",
        "telegram",
        "telnyx",
        "trello",
        "twilio",
        "twitch",
        "typeform",
        "vercel",
        "vonage",
        "workos",
        "zencargo",
        "zendesk",
        "zinc",
        "zippex",
        "zonos",
        "zoom",
    ]
    for name in providers.names():
        provider = providers.load(name)
        assert provider.name == name
        assert provider.event_types
        assert provider.route.startswith(f"/webhooks/{name}/<subscription>")


@pytest.mark.parametrize("name", ["", "Zippex", "zippex.evil", "../x", "_fields", "nosuch", "verification"])
def test_load_refuses_what_is_not_a_provider(name: str) -> None:
    with pytest.raises(ValueError, match="provider"):
        providers.load(name)


def test_secret_matches() -> None:
    assert secret_matches("b", ["a", "b"])
    assert not secret_matches("", ["", "a"])  # an empty configured value never matches
    assert not secret_matches("a,b", ["a", "b"])
    assert not secret_matches("ä", ["a"])


def test_credentials_match() -> None:
    allowed = [("u1", "p1"), ("u2", "p2")]
    assert credentials_match("u2", "p2", allowed)
    assert not credentials_match("u1", "p2", allowed)  # pairs, not any user with any password
    assert not credentials_match("", "", [("", "")])


@pytest.mark.parametrize("host", ["[", "hooks.example.test:99999", "a b"])
@pytest.mark.parametrize("provider", ["twilio", "square", "hubspot"])
def test_a_host_header_that_is_no_host_is_refused_not_an_error(provider: str, host: str) -> None:
    """A sender that signs the URL: the URL is rebuilt from the Host, which anyone can send (it raised
    ValueError from urlsplit, a 500, before)."""
    from tests.support.senders import answer, refused

    signed = {
        "Host": host,
        "X-Twilio-Signature": "eA==",
        "x-square-hmacsha256-signature": "eA==",
        "X-HubSpot-Signature-v3": "eA==",
        "X-HubSpot-Request-Timestamp": str(int(time.time() * 1000)),
    }
    assert refused(answer(provider, {"signing_secrets": ["k"]}, signed, b"{}"))
