"""Webhook bodies made safe to read, for the providers' own readers (console/providers/): JSON parsed
strictly or leniently (MOBtexting's documented example is not valid JSON: bare values, a trailing comma),
values history can hold, numbers however they came. What cannot be understood raises BadPayload with the
reason."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from console.errors import ConsoleError


class BadPayload(ConsoleError, ValueError):
    """A webhook body that cannot be read as this provider's event; the message says why."""


MAX_DEPTH = 32  # webhooks nest two or three levels; deeper is a body made to hurt
INT_LIMIT = 2**63  # what SQLite's INTEGER holds
_LONG_NUMBER = re.compile(rb"\d{19}")  # 2**63 has 19 digits: a body without such a run holds no larger integer


def parse_json_object(raw: bytes, lenient: bool = False) -> dict[str, Any]:
    if not raw.strip():
        raise BadPayload("the body is empty")
    try:
        value = orjson.loads(raw)
        # the usual body: few brackets and no long number cannot be too deep or too big to store
        checked = raw.count(b"{") + raw.count(b"[") <= MAX_DEPTH and not _LONG_NUMBER.search(raw)
    except orjson.JSONDecodeError:
        # json says where the body goes wrong, and reads what orjson refuses (NaN, integers past 64 bits)
        value, checked = _parse_slowly(raw, lenient), False
    if not isinstance(value, dict):
        raise BadPayload(f"the body is JSON but not an object (it is a {type(value).__name__})")
    return value if checked else storable(value)


def storable(value: dict[str, Any]) -> dict[str, Any]:
    """`value`, if history can hold every part of it; otherwise BadPayload saying which part it cannot hold,
    so the body is refused once with a reason and kept, rather than failing to store for ever."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                raise BadPayload(f"the body nests deeper than {MAX_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, int) and not isinstance(item, bool) and not -INT_LIMIT <= item < INT_LIMIT:
            raise BadPayload(f"the body holds an integer of {item.bit_length()} bits; history stores signed "
                             "64-bit integers")
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise BadPayload("the body holds a lone UTF-16 surrogate (\\ud800 to \\udfff), which is not "
                                 "text") from None
    return value


def _parse_slowly(raw: bytes, lenient: bool) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadPayload("the body is not UTF-8 text") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if not lenient:
            raise BadPayload(f"the body is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
        value = _repair(text)
    except RecursionError:
        raise BadPayload("the body is nested too deeply") from None
    except ValueError:  # Python reads no integer of more than 4,300 digits
        raise BadPayload("the body holds a number too long to read") from None
    return value


_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


def _repair(text: str) -> Any:
    """MOBtexting's example JSON: quote bare values (91806828XXXX) and drop trailing commas, reading
    strings as strings (a ':' or ',' inside quotes is left alone)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':  # copy a string through, escapes and all
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif ch == ",":
            j = i + 1
            while j < n and text[j].isspace():
                j += 1
            if j < n and text[j] in "}]":  # a trailing comma
                i += 1
                continue
            out.append(ch)
            i += 1
        elif ch == ":":
            out.append(ch)
            j = i + 1
            while j < n and text[j].isspace():
                j += 1
            k = j
            while k < n and text[k] not in ",}]" and text[j] not in '"{[':
                k += 1
            value = text[j:k].strip()
            if k > j and value and value not in ("true", "false", "null") and not _NUMBER.fullmatch(value):
                out.append(json.dumps(value))
                i = k
            else:
                i = j
        else:
            out.append(ch)
            i += 1
    try:
        return json.loads("".join(out))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise BadPayload(f"the body is not JSON, even read leniently: {getattr(exc, 'msg', exc)}") from None
    except ValueError:
        raise BadPayload("the body holds a number too long to read") from None


def whole(value: Any) -> int | None:
    """A whole number history can store (a signed 64-bit integer), however it came; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < INT_LIMIT:
        value = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,18}\s*", value):
        value = int(value)
    return value if isinstance(value, int) and -INT_LIMIT <= value < INT_LIMIT else None


def seconds(value: Any) -> int | None:
    """A duration as a gateway reports it: a whole number of seconds, never below zero."""
    found = whole(value)
    return found if found is not None and found >= 0 else None


def text(value: Any, limit: int = 500) -> str | None:
    if value is None:
        return None
    return str(value)[:limit]
