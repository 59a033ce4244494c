"""Signatures made with a sender's private key (Discord's Ed25519, SendGrid's ECDSA P-256/SHA-256),
checked with the public keys in the subscription's secret: any one verifying passes (rotation).

The library is python-ecdsa, imported here only, so only the functions of senders that use such a scheme
load it. Why not `cryptography`: its arm64 wheel is 14 MB unpacked, the whole layer's budget, and SAM
publishes a function's new version on a new layer only when the layer list is the same for every
function (a per-sender layer would leave aliases on old code). python-ecdsa is pure Python and widely
used; its documented weakness (timing side channels) concerns signing with a private key, never checking
a signature with a public one. Checking takes ~2-4 ms here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from ecdsa import Ed25519, NIST256p, SigningKey, VerifyingKey  # type: ignore[import-untyped]
from ecdsa.util import sigdecode_der, sigencode_der  # type: ignore[import-untyped]

from hookbridge.errors import Unauthorized
from hookbridge.model import WebhookRequest
from hookbridge.providers.definition import PublicKey
from hookbridge.providers.scheme_parts import (
    Absent,
    Signed,
    Signer,
    Verify,
    signed_url,
    stamp_reader,
    stamp_text,
)
from hookbridge.providers.signed_content import Signing, builder, request_url
from hookbridge.subscription import SubscriptionSecret

VERIFIED_BY = {"ed25519": "ed25519", "ecdsa_p256": "ecdsa-p256-sha256"}


def build_verify(scheme: PublicKey) -> Verify:
    header = scheme.header.lower()
    read_stamp = stamp_reader(scheme.timestamp)
    build = builder(scheme.signed)
    signs_url = "{url}" in scheme.signed
    check = _checker(scheme.kind)
    verified_by = VERIFIED_BY[scheme.kind]

    def verify(request: WebhookRequest, secret: SubscriptionSecret, now: float) -> str:
        keys = [
            key for text in secret.public_keys if (key := _public_key(scheme.kind, scheme.key_format, text))
        ]
        if not keys:
            raise Unauthorized("subscription has no usable public key configured")
        sent = request.headers.get(header)
        if not sent:
            raise Absent(f"missing header {scheme.header}")
        signature = _decoded(sent, scheme.encoding)
        stamp = read_stamp(request.headers, None, now)
        url = request_url(request, secret) if signs_url else ""
        message = build(Signing(request.body, stamp, request.headers, url, request.method))
        matched = False
        for key in keys:  # every key is tried: the time taken does not say which one matched
            matched |= check(key, signature, message)
        if not matched:
            raise Unauthorized("signature mismatch")
        return verified_by

    return verify


def _checker(kind: str) -> Any:
    if kind == "ed25519":
        return lambda key, signature, message: _safely(key.verify, signature, message)
    return lambda key, signature, message: _safely(
        key.verify, signature, message, hashfunc=hashlib.sha256, sigdecode=sigdecode_der
    )


def _safely(verify: Any, *args: Any, **kwargs: Any) -> bool:
    """Whether the signature checks out; any failure (bad signature, malformed bytes) is a no."""
    try:
        return bool(verify(*args, **kwargs))
    except Exception:  # the library raises several kinds for forged or malformed input: all refusals
        return False


def _decoded(sent: str, encoding: str) -> bytes:
    try:
        return (
            bytes.fromhex(sent.strip())
            if encoding == "hex"
            else base64.b64decode(sent.strip(), validate=True)
        )
    except (ValueError, binascii.Error) as exc:
        raise Unauthorized("malformed signature") from exc


@lru_cache(maxsize=64)
def _public_key(kind: str, key_format: str, text: str) -> Any:
    """A public key as the sender shows it (hex or base64 of the raw key, or base64 DER), parsed once; None
    when it is not one (a secret misconfigured verifies nothing: fail closed)."""
    try:
        if kind == "ed25519":
            raw = (
                base64.b64decode(text.strip(), validate=True)
                if key_format == "base64"
                else bytes.fromhex(text.strip())
            )
            return VerifyingKey.from_string(raw, curve=Ed25519)
        der = base64.b64decode(text.strip()) if key_format == "base64_der" else bytes.fromhex(text.strip())
        key = VerifyingKey.from_der(der)
    except Exception:  # malformed hex, base64 or DER: not a key
        return None
    return key if key.curve == NIST256p else None


# ------------------------------------------------------------------------------------------- signing
def build_sign(scheme: PublicKey, id_header: str | None) -> Signer:
    """Signs as the sender does, with the private half of a test key pair (``private_keys``: hex of the
    Ed25519 seed, or base64 DER of the P-256 key). Only `hookbridge send` and the tests do this."""
    build = builder(scheme.signed)
    timestamp = scheme.timestamp

    def sign(
        secret: SubscriptionSecret, body: bytes, at: int, url: str, headers: Mapping[str, str]
    ) -> Signed:
        keys = [k.get_secret_value() for k in secret.private_keys if k.get_secret_value()]
        if not keys:
            raise Unauthorized(f"{scheme.kind} is signed with the sender's private key: the secret has none")
        added: dict[str, str] = {}
        stamp = ""
        if timestamp is not None and timestamp.header:
            stamp = stamp_text(timestamp.format, at)
            added[timestamp.header] = stamp
        target = signed_url(url, secret) if "{url}" in scheme.signed else ""
        lowered = {**headers, **{k.lower(): v for k, v in added.items()}}
        message = build(Signing(body, stamp, lowered, target, "POST"))
        if scheme.kind == "ed25519":
            signature = SigningKey.from_string(bytes.fromhex(keys[0]), curve=Ed25519).sign(message)
        else:
            private = SigningKey.from_der(base64.b64decode(keys[0]))
            # Deterministic (RFC 6979), so a sample signed twice is the same file.
            signature = private.sign_deterministic(message, hashfunc=hashlib.sha256, sigencode=sigencode_der)
        added[scheme.header] = (
            signature.hex() if scheme.encoding == "hex" else base64.b64encode(signature).decode()
        )
        return Signed(added)

    return sign
