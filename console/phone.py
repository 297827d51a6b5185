"""Phone numbers: parse what an operator types, normalise to E.164, explain what is wrong."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult

from console.errors import ConsoleError

# Characters people put in phone numbers; anything else means "not a number" (a SIP user, say).
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")


class PhoneNumberError(ConsoleError, ValueError):
    """A number that cannot be dialled, with the reason in words."""


def is_phone_like(text: str) -> bool:
    return bool(_PHONE_LIKE.match(text.strip())) and any(c.isdigit() for c in text)


def check_region(region: str) -> str:
    region = region.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"{region!r} is not a region code phonenumbers knows (use ISO 3166 codes like US, DE, IN)")
    return region


def example(region: str) -> str:
    """A number of `region` as its people write it with the country code, to show as an example."""
    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        number = phonenumbers.example_number_for_type(region, kind)
        if number is not None:
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return "+1 201-555-0123"


def to_e164(text: str, region: str | None = None) -> str:
    """Normalise `text` to E.164 (+CC...). `region` is used when the number has no +CC prefix."""
    shown = text.strip()
    if not shown:
        raise PhoneNumberError("a phone number is needed")
    try:
        number = phonenumbers.parse(shown, region)
    except NumberParseException as exc:
        raise PhoneNumberError(f"{shown}: {_parse_reason(exc, shown, region)}") from None
    if number.extension:
        raise PhoneNumberError(f"{shown}: extensions cannot be dialled; remove 'ext {number.extension}'")
    code = number.country_code or 0
    where = phonenumbers.region_code_for_country_code(code)
    where = where if where != "ZZ" else f"+{code}"
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        raise PhoneNumberError(f"{shown}: too short for {where} (a local number: add the area code)")
    if reason == ValidationResult.TOO_SHORT:
        raise PhoneNumberError(f"{shown}: too short for {where}")
    if reason == ValidationResult.TOO_LONG:
        raise PhoneNumberError(f"{shown}: too long for {where}")
    if reason == ValidationResult.INVALID_LENGTH:
        raise PhoneNumberError(f"{shown}: wrong number of digits for {where}")
    if reason == ValidationResult.INVALID_COUNTRY_CODE:
        raise PhoneNumberError(f"{shown}: +{number.country_code} is not a country calling code")
    if not phonenumbers.is_valid_number(number):
        raise PhoneNumberError(f"{shown}: not an assigned number range in {where}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse_reason(exc: NumberParseException, text: str, region: str | None) -> str:
    kind = exc.error_type
    if kind == NumberParseException.INVALID_COUNTRY_CODE:
        if text.startswith("+") or region is None:
            return "unknown country code; start with + and the country code, e.g. +1 212 555 0100"
        return f"unknown country code for region {region}"
    if kind == NumberParseException.NOT_A_NUMBER:
        return "not a phone number"
    if kind in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_SHORT_AFTER_IDD):
        return "too short"
    if kind == NumberParseException.TOO_LONG:
        return "too long"
    return "not a phone number"


def pretty(e164: str) -> str:
    """The international form for display: +1 212-555-0100."""
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, None), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except NumberParseException:
        return e164
