"""Microsoft Graph rich notifications' ``validationTokens``: the code its definition
(``definitions/microsoft-graph.toml``) names, for that check alone (its ``verify``; the definition still
describes, signs and withholds the clientState).

Why code and not a definition scheme (a ``jwks_jwt`` kind reading tokens at a JSON path): the check is
conditional (only a delivery that carries ``validationTokens`` has any; a basic one is proven by its
clientState alone, and ``require = "all"`` cannot say "when present"), its issuer is a function of each
token's tenant, the tokens must cover every notification's ``tenantId``, and the key URL must be fixed in
code (as ``google_pubsub``'s), never a value a definition could point elsewhere. A scheme kind would need
all of that in the language, for one sender; this module is the smaller thing.
https://learn.microsoft.com/en-us/graph/change-notifications-with-resource-data#validating-authenticity-of-notifications

A request passes when, in this order (each refusal before any fetch but the last):
- every notification carries the subscription's clientState (the definition's ``body_token`` scheme);
- if the body has no ``validationTokens`` key: that is all (a basic notification). A rich delivery whose
  tokens were removed is then a basic one, proven by its clientState alone: it proves what a basic
  notification proves, no less (and the clientState is never stored or published, ``providers.bodies``);
- else ``validationTokens`` is a list of 1 to ``MAX_TOKENS`` strings (``null``, ``[]`` or anything else:
  refused), and every token is an RS256 JWT with a ``kid`` (``jwks.read_token``: ``none``, ``HS256`` and any
  other algorithm refused before a key is looked up) whose claims are: ``aud`` the secret's ``audience``
  (the subscribing app's application id; none set: every rich delivery is refused), ``azp`` (v2 tokens) or
  ``appid`` (v1) Graph's change-notification publisher ``GRAPH_PUBLISHER``, ``tid`` a tenant and ``iss``
  that tenant's Microsoft identity issuer (``https://sts.windows.net/{tid}/`` or
  ``https://login.microsoftonline.com/{tid}/v2.0``), ``exp`` not past and ``nbf``/``iat`` not ahead
  (``CLOCK_SKEW_SECONDS``); and the tokens' tenants are exactly the notifications' ``tenantId``s (Graph
  sends one token per app and tenant pair present in ``value``: a notification of a tenant without a token,
  or a token of a tenant without a notification, refuses the delivery);
- then each token's signature, under the key of its ``kid``: from the instance's cache of Microsoft
  identity's JWKS (``JWKS_URL``, fixed; ``jwks.JwksStore``: kept for its max-age, an unknown ``kid`` costs at
  most ``jwks.UNKNOWN_KID_BUDGET`` fetches per instance, then 503 without one), or, when the secret pins
  keys in ``public_keys``, from those alone and never the network (the local stack, the tests).

Any bad token refuses the whole delivery (401, nothing stored). A token from another app (one URL shared by
several apps' subscriptions) is refused too: one subscription, one endpoint, one app.
What the tokens add, honestly: that Microsoft issued a token for this app and tenant, recently. They sign
no part of the body (as Google's push tokens), so they bind the delivery to Graph only as a bearer token
does; the clientState is still what each notification must carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from hookbridge.errors import Unauthorized
from hookbridge.model import WebhookRequest, parse_json
from hookbridge.providers.jwks import (
    JwksStore,
    RsaKey,
    Token,
    check_signature,
    pinned_for,
    pinned_keys,
    read_token,
)
from hookbridge.providers.scheme_parts import Verify
from hookbridge.subscription import SubscriptionSecret

NAME = "microsoft-graph"
JWKS_URL = "https://login.microsoftonline.com/common/discovery/v2.0/keys"  # fixed: never the request's
GRAPH_PUBLISHER = "0bf30f3b-4a52-48df-9a82-234910c4a086"  # Graph's change-notification publisher app id
CLOCK_SKEW_SECONDS = 300
MAX_TOKENS = 20  # one per app and tenant pair in the batch: a request may not make us check more
VERIFIED_BY = "body-token+graph-jwt-rs256"

# Per instance: Microsoft identity's keys, fetched once per max-age (jwks.JwksStore). Tests replace it.
STORE = JwksStore(JWKS_URL)


@lru_cache(maxsize=1)
def _client_state() -> Verify:
    """The definition's own scheme (the clientState in every notification)."""
    from hookbridge import providers
    from hookbridge.providers.schemes import build_verify

    return build_verify(providers.definition(NAME))


def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
    proven = _client_state()(request, secret, now)  # the body is JSON with value[] once this passes
    body = parse_json(request.body)
    if not isinstance(body, dict) or "validationTokens" not in body:
        return proven
    tokens = body["validationTokens"]
    if not isinstance(tokens, list) or not 0 < len(tokens) <= MAX_TOKENS:
        raise Unauthorized("validationTokens is not a list of tokens")
    if not all(isinstance(t, str) for t in tokens):
        raise Unauthorized("a validation token is not a string")
    if not secret.audience:
        raise Unauthorized("subscription names no app id (audience): rich notifications are refused")
    read = [read_token(t) for t in tokens]
    tenants = {check_claims(token.claims, secret.audience, now) for token in read}
    # Graph sends one token per app and tenant pair present in value: the tenants must be the same set.
    if {item.get("tenantId") for item in body["value"]} != tenants:  # objects (the clientState's scheme)
        raise Unauthorized("the validation tokens' tenants are not the notifications' tenants")
    for token in read:
        check_signature(token, _keys(token, secret))
    return VERIFIED_BY


def _keys(token: Token, secret: SubscriptionSecret) -> list[RsaKey]:
    if secret.public_keys:  # pinned: only these, never a fetch
        return pinned_for(pinned_keys(secret.public_keys), token.kid)
    return STORE.keys_for(token.kid)


def check_claims(claims: Mapping[str, Any], app_id: str, now: float) -> str:
    """The token's tenant, when its claims are Graph's for this app and current; else Unauthorized."""
    if claims.get("aud") != app_id:
        raise Unauthorized("validation token audience is not this app")
    publisher = claims.get("azp", claims.get("appid"))
    if publisher != GRAPH_PUBLISHER:
        raise Unauthorized("validation token is not from Graph's change-notification publisher")
    tenant = claims.get("tid")
    if not isinstance(tenant, str) or not tenant:
        raise Unauthorized("validation token names no tenant")
    issuers = (f"https://sts.windows.net/{tenant}/", f"https://login.microsoftonline.com/{tenant}/v2.0")
    if claims.get("iss") not in issuers:
        raise Unauthorized("validation token issuer is not the tenant's Microsoft identity")
    expiry = _number(claims.get("exp"))
    if expiry is None or now >= expiry + CLOCK_SKEW_SECONDS:
        raise Unauthorized("validation token expired or without exp")
    for name in ("nbf", "iat"):
        if name in claims and ((at := _number(claims[name])) is None or at > now + CLOCK_SKEW_SECONDS):
            raise Unauthorized(f"validation token {name} not sane")
    return tenant


def _number(value: Any) -> float | None:
    return None if isinstance(value, bool) or not isinstance(value, int | float) else float(value)
