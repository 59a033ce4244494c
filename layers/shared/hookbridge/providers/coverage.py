"""What a definition's signature proves about a request, worked out once from its auth: the parts of the
request an attacker holding one captured genuine request cannot change without the signature failing.

Dedupe is made of those parts only, by construction: a value found where no signature reaches (GitHub's
``X-GitHub-Delivery``, a Mailgun ``event-data`` beside a signed token) is published as metadata, but a
request that differs from a stored one only there is the same request to dedupe, so a captured request
rewrapped with new unsigned values is a duplicate and never reaches the bus twice. What the request
proves, per kind of scheme:

- a token or basic auth proves the sender knows the secret, and binds nothing: whoever holds it is the
  sender, so every part counts as proven;
- an HMAC or a public-key signature over ``{body}`` proves the body's bytes, and the headers, URL (path and
  query) and method its template names; over ``{params}`` (Twilio) the form's parameters as a set of
  name-value pairs, which is what the request is then identified by;
- a JWT under the shared secret proves the body when a claim holds its SHA-256 (Vonage's payload_hash),
  else binds nothing, as a token;
- an HMAC inside the body proves the fields it names, of the body (Mailgun: a timestamp and a one-time
  token, which then identify the request) or of each item (Adyen: each item is published on its own and
  identified by its signed fields, the items no signature covers are refused);
- a shared value in each item of a batch (Microsoft Graph's clientState) binds nothing, as a token: each
  item is published on its own and identified by what it says without that value (``item_content``).

A definition whose schemes prove different parts (with ``require = "any"``) is refused: which one passed
would change what identifies a request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hookbridge.model import FORM_FIELDS, WebhookRequest
from hookbridge.providers.definition import (
    BasicAuth,
    BodyHmac,
    BodyToken,
    DefinitionError,
    Hmac,
    Jwt,
    ProviderDefinition,
    PublicKey,
    Scheme,
    Source,
    Token,
)
from hookbridge.providers.signed_content import form_parameters, sorted_url

# What identifies a verified request for content dedupe when no proven event id does: None for the body's
# own bytes (whose SHA-256 the pipeline computes anyway), else the bytes the signature covers.
Proof = Callable[[WebhookRequest, Any, "str | None"], "bytes | None"]
# The signed message of one item of a batch whose items are signed one by one (Adyen).
ItemProof = Callable[[Any], bytes]


@dataclass(frozen=True, slots=True)
class Coverage:
    everything: bool = False  # a token or basic auth: the request binds nothing, the secret is the sender
    body: bool = False  # the raw body's bytes
    params: bool = False  # a form's parameters as a set of pairs (the bytes' order and repeats are not)
    # The query's and form's parameters signed as one run of names and values with nothing between them
    # (Plivo's {sorted_url}): proven as a whole only, since {"ab": "c"} and {"a": "bc"} sign alike. No one
    # value is proven, and the request is identified by that run (a captured request re-split is the same).
    joined_params: bool = False
    # A form's parameters signed with nothing between a name and its value or the next name (Twilio's
    # {params}, Plivo's {sorted_url}): a field's value is not proven, whatever else the scheme proves.
    unseparated: bool = False
    url: bool = False  # the URL the sender called: its path (route segments) and query
    headers: frozenset[str] = frozenset()  # lower-cased
    fields: tuple[str, ...] = ()  # body_hmac: the signed dotted paths, of the body or of each item
    items: str | None = None  # body_hmac: the path of the items signed one by one

    def covers(self, source: Source, *, in_item: bool = False) -> bool:
        """Whether a value found at ``source`` (in a batch's item when ``in_item``) is proven."""
        if self.everything:
            return True
        if source.joined is not None:
            parts = (Source.model_validate({"json": path}) for path in source.joined)
            return all(self.covers(part, in_item=in_item) for part in parts)
        if source.json_path is not None or source.first_key_of is not None:
            if self.unseparated:
                return False  # a form's field (a JSON body's too, signed through a digest: conservatively)
            if self.body or self.params:
                return True
            if self.fields and source.json_path is not None and (self.items is not None) == in_item:
                return any(source.json_path == f or source.json_path.startswith(f + ".") for f in self.fields)
            return False
        if source.header is not None:
            return source.header.lower() in self.headers
        if source.query is not None and self.joined_params:
            return False  # decoded and run together with the others: proven as a whole only
        return self.url  # a route segment or a query parameter


def of_definition(definition: ProviderDefinition) -> Coverage:
    """The parts the schemes prove: with require = "all" what any of them proves, with "any" what each
    one does (whichever passed)."""
    assert definition.auth is not None
    each = [_of_scheme(scheme) for scheme in definition.auth.schemes]
    if definition.auth.require == "all":
        return _any_proves(each)
    kinds = {_identified_by(c) for c in each}
    if len(kinds) > 1:
        raise DefinitionError(
            f"{definition.name}.toml: auth: with require = 'any' every scheme must prove the request alike "
            f"(here {' and '.join(sorted(kinds))}), else what identifies it would depend on which one passed"
        )
    return _each_proves(each)


def _any_proves(each: list[Coverage]) -> Coverage:
    """What schemes that must all pass prove together: what any of them proves."""
    return Coverage(
        everything=any(c.everything for c in each),
        body=any(c.body for c in each),
        params=any(c.params for c in each),
        joined_params=any(c.joined_params for c in each),
        unseparated=all(c.unseparated for c in each),
        url=any(c.url for c in each),
        headers=frozenset().union(*(c.headers for c in each)),
        fields=next((c.fields for c in each if c.fields), ()),
        items=next((c.items for c in each if c.items), None),
    )


def _each_proves(each: list[Coverage]) -> Coverage:
    """What schemes of which any one may pass prove whichever passed: what each of them proves."""
    return Coverage(
        everything=all(c.everything for c in each),
        body=all(c.body or c.everything for c in each),
        params=all(c.params or c.everything for c in each),
        joined_params=all(c.joined_params or c.everything for c in each),
        unseparated=any(c.unseparated for c in each),
        url=all(c.url or c.everything for c in each),
        headers=frozenset.intersection(*(c.headers for c in each)),
        fields=each[0].fields,
        items=each[0].items,
    )


def _identified_by(coverage: Coverage) -> str:
    """What a scheme identifies a request by (``build_proof``), where token and body schemes agree."""
    if coverage.params:
        return "the form's parameters"
    if coverage.joined_params:
        return "the query's and form's parameters as signed"
    if coverage.everything or coverage.body:
        return "the body"
    return f"the signed fields {', '.join(coverage.fields)}"


def _of_scheme(scheme: Scheme) -> Coverage:
    if isinstance(scheme, Token | BasicAuth):
        return Coverage(everything=True)
    if isinstance(scheme, BodyToken):
        # A shared value binds nothing, as a header token; in each item of a batch, each item is published
        # on its own and claimed by what it says (item_content), so an item sent again in another batch is
        # not published twice.
        return Coverage(everything=True, items=scheme.items)
    if isinstance(scheme, BodyHmac):
        return Coverage(fields=scheme.fields, items=scheme.items)
    if isinstance(scheme, Jwt):
        # A token over the body's hash proves the body; one without proves the sender knows the secret and
        # binds nothing (monday.com's): whoever holds the secret is the sender, as with a token.
        if scheme.body_sha256_claim is None:
            return Coverage(everything=True)
        return Coverage(body=True, url=scheme.audience == "url")
    assert isinstance(scheme, Hmac | PublicKey)
    headers = {h.lower() for h in scheme.signed_headers()}
    if scheme.timestamp is not None and scheme.timestamp.header is not None:
        headers.add(scheme.timestamp.header.lower())
    digest = isinstance(scheme, Hmac) and scheme.body_sha256_query is not None
    return Coverage(
        body="{body}" in scheme.signed or digest,
        params="{params}" in scheme.signed,
        url="{url}" in scheme.signed or "{sorted_url}" in scheme.signed,
        headers=frozenset(headers),
        joined_params="{sorted_url}" in scheme.signed,
        unseparated="{params}" in scheme.signed or "{sorted_url}" in scheme.signed,
    )


def check(definition: ProviderDefinition, coverage: Coverage) -> None:
    """A definition that would publish what its signature does not prove is refused, naming the field."""
    name = f"{definition.name}.toml"
    if coverage.items is not None:
        if definition.batch is None or definition.batch.items != (coverage.items,):
            raise DefinitionError(
                f"{name}: batch: items must be exactly the signed items {coverage.items!r}: an item no "
                "signature covers would be published"
            )
    elif not (coverage.everything or coverage.body or coverage.params) and definition.batch is not None:
        # A form signed as one run of names and values (joined_params) proves no item either.
        raise DefinitionError(f"{name}: batch: the signature does not cover the body, so not its items")


def build_proof(definition: ProviderDefinition, coverage: Coverage) -> Proof:
    """What identifies a verified request for content dedupe (see ``Proof``)."""
    if coverage.everything:
        return lambda request, payload, form: None
    if coverage.params:
        # Twilio signs a form's pairs, sorted and each once: two bodies with the same pairs are one request.
        # A JSON body is signed through its digest (bodySHA256), so by its bytes.
        def params(request: WebhookRequest, payload: Any, form: str | None) -> bytes | None:
            return form_parameters(request.body, request.headers).encode() if form == FORM_FIELDS else None

        return params
    if coverage.body:
        return lambda request, payload, form: None
    if coverage.joined_params:
        # The parameters as Plivo signs them, without the host (the path is the subscription's) or nonce.
        def joined(request: WebhookRequest, payload: Any, form: str | None) -> bytes | None:
            return sorted_url(f"?{request.raw_query}", request.body, request.headers).encode()

        return joined
    if coverage.fields and coverage.items is None:
        message = field_message(definition)
        return lambda request, payload, form: message(payload)
    return lambda request, payload, form: None  # items signed one by one: the items identify it


def proofs(definition: ProviderDefinition, coverage: Coverage) -> dict[str, Any]:
    """The Provider fields that say what identifies a request and its items."""
    return {
        "proof": build_proof(definition, coverage),
        "item_proof": build_item_proof(definition, coverage),
        # A token signed in place of the content changes with each retry the sender signs anew.
        "claims_event_id": bool(coverage.fields) and coverage.items is None and not coverage.everything,
    }


def build_item_proof(definition: ProviderDefinition, coverage: Coverage) -> ItemProof | None:
    """For a batch whose items are signed one by one: one item's signed message."""
    if coverage.items is None:
        return None
    assert definition.auth is not None
    token = next((s for s in definition.auth.schemes if isinstance(s, BodyToken) and s.items), None)
    if token is not None:
        return item_content(token.json_path)
    return field_message(definition)


def item_content(token_path: str) -> Callable[[Any], bytes]:
    """What identifies an item that carries a shared value (Microsoft Graph's notification with its
    clientState): everything it says but that value, as canonical JSON (keys sorted, no spaces), so that
    the same item re-serialized or with its keys reordered is the same, and the claim key is no function
    of the secret. The value is left out of what is hashed, not of what is stored."""
    parents, last = token_path.split(".")[:-1], token_path.split(".")[-1]

    def without(value: Any, keys: list[str]) -> Any:
        if not isinstance(value, dict):
            return value
        if not keys:
            return {k: v for k, v in value.items() if k != last}
        return {k: without(v, keys[1:]) if k == keys[0] else v for k, v in value.items()}

    def content(item: Any) -> bytes:
        trimmed = without(item, parents)
        return json.dumps(trimmed, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    return content


def field_message(definition: ProviderDefinition) -> Callable[[Any], bytes]:
    from hookbridge.providers.body_signatures import signed_message

    assert definition.auth is not None
    scheme = next(s for s in definition.auth.schemes if isinstance(s, BodyHmac))
    return lambda value: signed_message(scheme, value)


def claim_of(message: bytes) -> str:
    """The hex digest an element's signed message is claimed under (``hookbridge.aws.storage``)."""
    return hashlib.sha256(message).hexdigest()
