from __future__ import annotations

import pytest

from hookbridge import providers
from hookbridge.providers.verification import credentials_match, secret_matches


def test_every_module_loads_as_its_own_provider() -> None:
    assert providers.names() == [
        "adyen",
        "bitbucket",
        "box",
        "calendly",
        "discord",
        "docusign",
        "github",
        "gitlab",
        "hubspot",
        "intercom",
        "jira",
        "lemonsqueezy",
        "line",
        "linear",
        "mailgun",
        "meta",
        "mollie",
        "mux",
        "paddle",
        "pagerduty",
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
        "twilio",
        "twitch",
        "typeform",
        "vercel",
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
