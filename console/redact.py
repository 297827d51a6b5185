"""Keep secrets out of SQLite, logs, exports and the screen."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from pydantic import SecretStr

MASK = "••••"
# A key is secret when its name holds one of these, however it is cased or joined (api_token, auth_token,
# X-Auth-Token, x-api-key, proxy-authorization): one rule for tags, headers, bodies and query strings.
_KEY_WORDS = ("password", "passwd", "secret", "token", "api_key", "apikey", "api-key", "authorization", "bearer",
              "credential")
_SECRET_KEYS = frozenset({"pwd", "pin"})  # short names that say it all, matched whole


def mask(secret: str | SecretStr | None) -> str:
    """What the screen shows of a secret: the last four characters of a long one, nothing of a short one."""
    if secret is None:
        return "(not set)"
    text = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    if not text:
        return "(empty)"
    return MASK + text[-4:] if len(text) >= 16 else MASK


def credential_forms(headers: dict[str, str]) -> list[str]:
    """Every form a credential takes in the headers sent with it: the header, its token, and a Basic pair's
    decoded text and password (a gateway quoting the request back may quote any of them)."""
    found: list[str] = []
    for name, value in headers.items():
        if name.lower() != "authorization":
            continue
        scheme, _, token = value.partition(" ")
        found += [value, token]
        if scheme.lower() == "basic":
            try:
                pair = base64.b64decode(token, validate=True).decode()
            except ValueError:
                continue
            found += [pair, pair.partition(":")[2]]
    return found


@lru_cache(maxsize=4096)  # webhook bodies repeat the same few keys on every event
def is_secret_key(key: str) -> bool:
    k = key.lower()
    return k in _SECRET_KEYS or any(word in k for word in _KEY_WORDS)


def redact(value: Any, known: Iterable[str] = ()) -> Any:
    """A copy of `value` (JSON-like) with secret fields masked, credentials stripped from URLs,
    and every occurrence of a `known` secret string replaced wherever it appears."""
    return Redactor(known)(value)


class Redactor:
    """`redact` with the known secrets prepared once (longest first, so a secret containing another
    is masked whole), for code that redacts on every webhook."""

    def __init__(self, known: Iterable[str] = ()):
        self.secrets = sorted({s for s in known if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, value: Any) -> Any:
        return _redact(value, self.secrets)

    def json(self, value: Any, dumps: Callable[[Any], str]) -> str:
        """`value` redacted, as JSON text. Serialised first: when the text holds no secret-looking word,
        no known secret and no URL, nothing in it can need masking, which is so for nearly every
        webhook, and checking the text is cheaper than walking the value."""
        text = dumps(value)
        lowered = text.lower()
        if ("://" in text or any(word in lowered for word in _KEY_WORDS)
                or any(secret in text for secret in self.secrets)):
            return dumps(_redact(value, self.secrets))
        return text


def _redact(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, SecretStr):
        return MASK
    if isinstance(value, dict):
        # a secret key's text is masked; a secret key holding an object is looked into (auth: {username, password})
        return {k: (MASK if is_secret_key(str(k)) and v not in (None, "") and not isinstance(v, (dict, list))
                    else _redact(v, secrets)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(v, secrets) for v in value]
    if isinstance(value, str):
        return _redact_text(value, secrets)
    return value


_URL = re.compile(r"\b(?:https?|wss?)://[^\s\"'<>]+")


# "key": "value" in JSON text, and key=value in a form or query: the value goes when the key is secret
_JSON_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"')
_FORM_PAIR = re.compile(r"(^|&)([^=&]*)=([^&]*)")


def _redact_text(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    lowered = text.lower()
    if any(word in lowered for word in _KEY_WORDS) or any(key in lowered for key in _SECRET_KEYS):
        # text as it came (a raw webhook body, a stored error): its secret fields are masked where they stand
        text = _JSON_PAIR.sub(lambda m: f'"{m.group(1)}"{m.group(2)}"{MASK}"'
                              if is_secret_key(m.group(1)) and m.group(3) else m.group(0), text)
        if "=" in text and "{" not in text:
            text = _FORM_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}={MASK}"
                                  if is_secret_key(unquote_plus(m.group(2))) and m.group(3) else m.group(0), text)
    if "://" not in text:  # the common case on the webhook hot path: no URL to look into
        return text
    return _URL.sub(lambda m: redact_url(m.group(0)), text)


def redact_url(url: str) -> str:
    """Mask a password in the userinfo and secret-looking query parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, sep, _ = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{host}" if sep else f"{MASK}@{host}"
    query = "&".join(
        f"{key}={MASK}" if is_secret_key(unquote_plus(key)) else pair
        for pair in parts.query.split("&") if pair
        for key in [pair.partition("=")[0]]
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
