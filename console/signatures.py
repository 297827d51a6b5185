"""Checking who sent a webhook: Jambonz-Signature, HTTP Basic, Bearer; all in constant time."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Iterable

DEFAULT_TOLERANCE_S = 300


def check_signature(raw: bytes, header: str | None, secrets: Iterable[str | bytes], now: float,
                            tolerance: float = DEFAULT_TOLERANCE_S) -> str | None:
    """None when `header` signs `raw` with one of `secrets` within `tolerance` seconds (either way);
    otherwise the reason it does not. Secrets may be given already encoded, as the receiver does."""
    if not header:
        return "no Jambonz-Signature header"
    timestamp, signatures = None, []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t":
            timestamp = value
        elif key == "v1":
            signatures.append(value.encode("ascii", "replace"))
    # ASCII digits, as many as a Unix time has: isdigit() also says yes to "²", and int() refuses 4,300 digits
    if timestamp is None or not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12) \
            or not signatures:
        return "a malformed Jambonz-Signature header"
    age = now - int(timestamp)
    if age > tolerance:
        return f"a signature {int(age)} s old (the limit is {int(tolerance)} s)"
    if age < -tolerance:
        return f"a signature dated {int(-age)} s in the future (the limit is {int(tolerance)} s)"
    signed = timestamp.encode() + b"." + raw
    for secret in secrets:
        # hmac.digest is the one-shot C path: a third of hmac.new(...).hexdigest() on every webhook
        expected = (
            hmac.digest(secret if isinstance(secret, bytes) else secret.encode(), signed, "sha256").hex().encode()
        )
        for signature in signatures:
            if hmac.compare_digest(expected, signature):
                return None
    return "a signature that matches none of the webhook secrets"


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header[:6].lower() == "basic ":
        return None
    try:  # a non-ASCII header is a ValueError before it is a binascii.Error
        user, sep, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (ValueError, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def same(a: str, b: str) -> bool:
    # A header that is not UTF-8 reaches us with its bytes as surrogates: compared as they came, never a 500.
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def bearer_matches(header: str | None, secrets: Iterable[str]) -> bool:
    if not header or not header[:7].lower() == "bearer ":
        return False
    token = header[7:].strip()
    return any(same(token, s) for s in secrets)
