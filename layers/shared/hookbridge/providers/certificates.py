"""Keys fetched at verify time: an X.509 certificate named by a URL in the request (AWS SNS's
``SigningCertURL``, PayPal's ``PAYPAL-CERT-URL``), and RSA PKCS#1 v1.5 signatures checked with it. What is
the sender's own (which URLs, which subject, what is signed) is in its module (``aws_sns``, ``paypal``).

- Fetched only over HTTPS from a host the sender's rules allow (the caller's ``allowed`` check runs first:
  a URL on any other host is refused without a fetch), with no redirect followed, a small size limit and
  a short timeout inside the sender's wait and our function's own.
- Cached per instance, keyed by URL, bounded (``CertificateStore``): the warm path makes no network call.
  A fetch that the host refuses (404: a made-up path) is remembered briefly, and an instance fetches at most
  ``FETCH_BUDGET`` certificates a minute, so that requests naming made-up paths on an allowed host cost at
  most that many fetches; beyond it a request is answered 503 (the sender retries) without a fetch.
- A certificate is used only while it is valid (notBefore..notAfter) and when its subject's common name is
  one the sender signs with.
- A subscription may pin certificates in its secret's ``public_keys`` (``usable_certificates``): then those
  alone are used and nothing is ever fetched (the local stack, the tests, an operator who wants no fetch).

Why not the `cryptography` package: its arm64 wheel is 14 MB unpacked, the layer's whole budget
(``public_keys`` says more). What is needed here is small and standard: DER is read with python-ecdsa's
length reader (already in the layer), the certificate's PEM with the standard library's ``ssl``, and an RSA
PKCS#1 v1.5 signature is checked the way RFC 8017 (8.2.2) recommends: the expected encoding is built and
compared whole with ``pow(signature, e, n)``, never parsed (no Bleichenbacher-2006 parsing flaw). The tests
hold it to `cryptography` and to a published SNS validator (tests/senders/test_aws_sns.py).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import http.client
import re
import ssl
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from ecdsa.der import UnexpectedDER, read_length  # type: ignore[import-untyped]

from hookbridge.errors import Unauthorized, Unavailable

# DigestInfo prefixes of EMSA-PKCS1-v1_5 (RFC 8017, 9.2 note 1).
_DIGEST_INFO = {
    "sha1": bytes.fromhex("3021300906052b0e03021a05000414"),
    "sha256": bytes.fromhex("3031300d060960864801650304020105000420"),
}
_RSA_ENCRYPTION = bytes.fromhex("2a864886f70d010101")  # OID 1.2.840.113549.1.1.1, its DER content
_COMMON_NAME = bytes.fromhex("550403")  # OID 2.5.4.3
MIN_RSA_BITS = 2048
MAX_CERTIFICATE_BYTES = 16_384  # an SNS certificate is ~1.8 KB, PayPal's ~2.8 KB
FETCH_TIMEOUT_SECONDS = 0.8  # connect and each read; the ingest function has 3 s, SNS waits 15 s
FETCH_BUDGET = 10  # certificate fetches an instance makes in any minute
CACHE_SIZE = 32  # certificates an instance keeps (SNS signs with one per region at a time)
REFUSED_FOR_SECONDS = 300  # how long a URL its host answered 404 (or another refusal) is not fetched again


@dataclass(frozen=True, slots=True)
class Certificate:
    """What verification needs of an X.509 certificate."""

    modulus: int
    exponent: int
    not_before: float
    not_after: float
    common_names: tuple[str, ...]

    def usable(self, now: float, names: frozenset[str]) -> bool:
        try:
            self.check(now, names)
        except Unauthorized:
            return False
        return True

    def check(self, now: float, names: frozenset[str]) -> None:
        if not self.not_before <= now <= self.not_after:
            raise Unauthorized("signing certificate outside its validity")
        if not names.intersection(self.common_names):
            raise Unauthorized("signing certificate names another subject")

    def verifies(self, message: bytes, signature: bytes, algorithm: str) -> bool:
        return rsa_pkcs1v15_verifies(self.modulus, self.exponent, message, signature, algorithm)


def rsa_pkcs1v15_verifies(n: int, e: int, message: bytes, signature: bytes, algorithm: str) -> bool:
    """RSASSA-PKCS1-v1_5 verification (RFC 8017, 8.2.2), by encoding and comparing."""
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    s = int.from_bytes(signature)
    if s >= n:
        return False
    return hmac.compare_digest(pow(s, e, n).to_bytes(k), _emsa_pkcs1v15(message, algorithm, k))


def rsa_pkcs1v15_sign(n: int, d: int, message: bytes, algorithm: str) -> bytes:
    """An RSASSA-PKCS1-v1_5 signature: for the samples and tests only (a test key, never a sender's)."""
    k = (n.bit_length() + 7) // 8
    return pow(int.from_bytes(_emsa_pkcs1v15(message, algorithm, k)), d, n).to_bytes(k)


def _emsa_pkcs1v15(message: bytes, algorithm: str, k: int) -> bytes:
    t = _DIGEST_INFO[algorithm] + hashlib.new(algorithm, message).digest()
    if k < len(t) + 11:
        raise Unauthorized("RSA key too short")
    return b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


# --- DER ------------------------------------------------------------------------------------------------


def _tlv(data: bytes) -> tuple[int, bytes, bytes]:
    """The first DER element of ``data``: its tag, its content, and what follows it."""
    if len(data) < 2:
        raise UnexpectedDER("truncated")
    length, length_length = read_length(data[1:])
    start = 1 + length_length
    if start + length > len(data):
        raise UnexpectedDER("truncated")
    return data[0], data[start : start + length], data[start + length :]


def _expect(data: bytes, tag: int) -> tuple[bytes, bytes]:
    found, content, rest = _tlv(data)
    if found != tag:
        raise UnexpectedDER(f"tag {found:#x}, expected {tag:#x}")
    return content, rest


def _integer(data: bytes) -> tuple[int, bytes]:
    content, rest = _expect(data, 0x02)
    if not content or content[0] & 0x80:
        raise UnexpectedDER("not a positive integer")
    return int.from_bytes(content), rest


def _time(data: bytes) -> tuple[float, bytes]:
    tag, content, rest = _tlv(data)
    text = content.decode("ascii")
    if tag == 0x17 and len(text) == 13:  # UTCTime YYMMDDHHMMSSZ (RFC 5280: 50-99 are 19xx)
        year = int(text[:2])
        text = f"{1900 + year if year >= 50 else 2000 + year}{text[2:]}"
    elif tag != 0x18 or len(text) != 15:  # GeneralizedTime YYYYMMDDHHMMSSZ
        raise UnexpectedDER("not a certificate time")
    return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC).timestamp(), rest


def _common_names(name: bytes) -> tuple[str, ...]:
    found = []
    while name:
        rdn, name = _expect(name, 0x31)  # SET OF AttributeTypeAndValue
        while rdn:
            attribute, rdn = _expect(rdn, 0x30)
            oid, value = _expect(attribute, 0x06)
            if oid == _COMMON_NAME:
                found.append(_tlv(value)[1].decode("utf-8"))
    return tuple(found)


def parse_certificate(der: bytes) -> Certificate:
    """The RSA key, validity and subject common names of a DER X.509 certificate; Unauthorized otherwise.

    The certificate's own signature is not checked: it is trusted because it came over HTTPS from the
    sender's host (TLS proves the host), as AWS's own SNS validators trust it."""
    try:
        certificate, _ = _expect(der, 0x30)
        tbs, _ = _expect(certificate, 0x30)
        if tbs[:1] == b"\xa0":  # [0] EXPLICIT version
            tbs = _tlv(tbs)[2]
        _, tbs = _integer(tbs)  # serial number
        _, tbs = _expect(tbs, 0x30)  # signature algorithm
        _, tbs = _expect(tbs, 0x30)  # issuer
        validity, tbs = _expect(tbs, 0x30)
        not_before, validity = _time(validity)
        not_after, _ = _time(validity)
        subject, tbs = _expect(tbs, 0x30)
        modulus, exponent = _rsa_key_info(tbs)
        names = _common_names(subject)
    except (UnexpectedDER, ValueError, IndexError) as exc:  # UnicodeDecodeError is a ValueError
        raise Unauthorized(f"signing certificate unreadable: {exc}") from None
    check_rsa_key(modulus, exponent)
    return Certificate(modulus, exponent, not_before, not_after, names)


_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----")


def _rsa_key_info(data: bytes) -> tuple[int, int]:
    """The modulus and exponent of the DER SubjectPublicKeyInfo at the start of ``data`` (an RSA key)."""
    key_info, _ = _expect(data, 0x30)
    algorithm, key_info = _expect(key_info, 0x30)
    if _expect(algorithm, 0x06)[0] != _RSA_ENCRYPTION:
        raise UnexpectedDER("not an RSA key")
    bits, _ = _expect(key_info, 0x03)
    if bits[:1] != b"\x00":
        raise UnexpectedDER("unused bits in the key")
    key, _ = _expect(bits[1:], 0x30)
    modulus, key = _integer(key)
    exponent, _ = _integer(key)
    return modulus, exponent


def public_key_numbers(der: bytes) -> tuple[int, int]:
    """The modulus and exponent of a DER SubjectPublicKeyInfo (a PEM "PUBLIC KEY"); Unauthorized when it
    is not an RSA key of sane strength."""
    try:
        modulus, exponent = _rsa_key_info(der)
    except (UnexpectedDER, ValueError, IndexError) as exc:
        raise Unauthorized(f"public key unreadable: {exc}") from None
    check_rsa_key(modulus, exponent)
    return modulus, exponent


def check_rsa_key(modulus: int, exponent: int) -> None:
    if modulus.bit_length() < MIN_RSA_BITS or exponent < 3 or exponent % 2 == 0:
        raise Unauthorized("signing key is too weak")


def pem_to_der(pem: bytes) -> bytes:
    """The DER of the first certificate in ``pem`` (the signer's, where a chain follows it)."""
    found = _PEM_CERTIFICATE.search(pem)
    try:
        if found is None:
            raise ValueError("no certificate")
        return ssl.PEM_cert_to_DER_cert(found.group().decode("ascii"))
    except ValueError as exc:
        raise Unauthorized("signing certificate is not PEM") from exc


def certificate_der(key: str) -> bytes:
    """A certificate pinned in a secret's ``public_keys``: PEM, or base64 of its DER."""
    if key.lstrip().startswith("-----BEGIN"):
        return pem_to_der(key.encode())
    try:
        return base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise Unauthorized("public_keys: not a certificate (PEM or base64 DER)") from None


@lru_cache(maxsize=16)
def pinned(keys: tuple[str, ...]) -> tuple[Certificate, ...]:
    return tuple(parse_certificate(certificate_der(k)) for k in keys)


def usable_certificates(
    url: str, public_keys: tuple[str, ...], names: frozenset[str], now: float, store: CertificateStore
) -> list[Certificate]:
    """The certificates a request's signature may be checked with: the pinned ones valid now for one of
    ``names`` (never a fetch; one out of date does not stop the others), else the one at ``url`` from the
    instance's cache or one fetch, which must be valid now and name one of ``names``. The caller has
    checked ``url`` against the sender's hosts first."""
    if public_keys:
        return [c for c in pinned(public_keys) if c.usable(now, names)]
    fetched = store.get(url)
    fetched.check(now, names)
    return [fetched]


# --- fetching and caching ---------------------------------------------------------------------------------


class Refused(Exception):
    """The host answered, but not with a certificate (404 for a made-up path): the request is not genuine."""


Fetch = Callable[[str], bytes]


def https_fetch(url: str) -> bytes:
    """GET ``url`` over HTTPS (the default context: certificate and host name checked), no redirect followed.
    Raises Refused for an answer that is not a certificate, OSError for the network."""
    return https_get(url, "application/x-pem-file, */*", MAX_CERTIFICATE_BYTES)[0]


def https_get(url: str, accept: str, max_bytes: int) -> tuple[bytes, dict[str, str]]:
    """The bounded fetch every fetched key uses (a certificate here, a JWKS in ``jwks``): GET over HTTPS
    with the default context, a short timeout, no redirect followed, at most ``max_bytes``; the body and the
    answer's headers (a JWKS's Cache-Control). Raises Refused for an answer other than 200 or too large,
    OSError for the network."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise Refused("not an https URL")
    connection = http.client.HTTPSConnection(
        parts.hostname, timeout=FETCH_TIMEOUT_SECONDS, context=ssl.create_default_context()
    )
    try:
        connection.request("GET", parts.path or "/", headers={"Accept": accept})
        response = connection.getresponse()
        body = response.read(max_bytes + 1)
    finally:
        connection.close()
    if response.status != 200 or len(body) > max_bytes:
        raise Refused(f"answered {response.status} with {len(body)} bytes")
    return body, {k.lower(): v for k, v in dict(getattr(response, "headers", {}) or {}).items()}


class CertificateStore:
    """Certificates by URL, fetched once per instance. ``fetch`` is injected (the tests' fetcher makes no
    network call); ``allowed`` is checked by the caller before ``get``."""

    def __init__(
        self,
        fetch: Fetch = https_fetch,
        clock: Callable[[], float] = time.monotonic,
        size: int = CACHE_SIZE,
        budget: int = FETCH_BUDGET,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._size = size
        self._budget = budget
        self._certificates: OrderedDict[str, Certificate] = OrderedDict()
        self._refused: OrderedDict[str, float] = OrderedDict()  # URL -> when it may be fetched again
        self._fetched_at: deque[float] = deque()
        self._lock = threading.Lock()
        self.fetches = 0  # how many fetches were made (the tests and the bench read it)

    def get(self, url: str) -> Certificate:
        with self._lock:
            found = self._certificates.get(url)
            if found is not None:
                self._certificates.move_to_end(url)
                return found
            now = self._clock()
            if self._refused.get(url, now) > now:
                raise Unauthorized("signing certificate URL refused recently")
            while self._fetched_at and self._fetched_at[0] <= now - 60:
                self._fetched_at.popleft()
            if len(self._fetched_at) >= self._budget:
                raise Unavailable("signing certificate fetch budget spent for this minute")
            self._fetched_at.append(now)
            self.fetches += 1
        certificate = self._fetched(url, now)
        with self._lock:
            self._certificates[url] = certificate
            while len(self._certificates) > self._size:
                self._certificates.popitem(last=False)
        return certificate

    def _fetched(self, url: str, now: float) -> Certificate:
        try:
            return parse_certificate(pem_to_der(self._fetch(url)))
        except (Refused, Unauthorized) as exc:
            with self._lock:
                self._refused[url] = now + REFUSED_FOR_SECONDS
                while len(self._refused) > self._size:
                    self._refused.popitem(last=False)
            raise Unauthorized(f"signing certificate not had: {exc}") from None
        except (OSError, http.client.HTTPException) as exc:  # timeouts are OSErrors
            raise Unavailable(f"signing certificate fetch failed: {type(exc).__name__}") from None


# --- test keys (the samples, the tests and the command line; never a function) ----------------------------


def private_key_from_base64(value: str) -> tuple[int, int]:
    """The modulus and private exponent of a base64 DER PKCS#1 RSAPrivateKey (a secret's private_keys)."""
    try:
        return private_key_numbers(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        raise Unauthorized("private_keys: not a base64 DER RSA key") from None


def private_key_numbers(der: bytes) -> tuple[int, int]:
    """The modulus and private exponent of a DER PKCS#1 RSAPrivateKey."""
    try:
        key, _ = _expect(der, 0x30)
        _, key = _expect(key, 0x02)  # version
        n, key = _integer(key)
        _, key = _integer(key)  # public exponent
        d, _ = _integer(key)
    except (UnexpectedDER, IndexError) as exc:
        raise ValueError(f"not an RSA private key: {exc}") from None
    return n, d


def make_test_certificate(common_name: str, days: int = 7300) -> tuple[str, str]:
    """A self-signed RSA-2048 certificate for ``common_name`` valid from yesterday for ``days``, and its
    private key: base64 of each one's DER (the certificate's X.509, the key's PKCS#1). Uses `cryptography`,
    which the command line and the tests have and the layer does not."""
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .sign(private, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    key = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return base64.b64encode(der).decode(), base64.b64encode(key).decode()
