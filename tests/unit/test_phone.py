from __future__ import annotations

import pytest

from console.phone import PhoneNumberError, check_region, is_phone_like, pretty, to_e164


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("+1 212 555 0100", None, "+12125550100"),
        ("(212) 555-0100", "US", "+12125550100"),
        ("0044 20 7946 0958", "GB", "+442079460958"),
        ("030 1234567", "DE", "+49301234567"),
        ("+91 98765 43210", "IN", "+919876543210"),
        ("+1-212-555-0100", "DE", "+12125550100"),  # +CC wins over the region
    ],
)
def test_normalises_to_e164(text: str, region: str | None, e164: str) -> None:
    assert to_e164(text, region) == e164


@pytest.mark.parametrize(
    ("text", "region", "message"),
    [
        ("+1 555 0100", "US", "+1 555 0100: too short for US (a local number: add the area code)"),
        ("+49 30 12", None, "+49 30 12: not an assigned number range in DE"),
        ("+4412345678901234567", None, "+4412345678901234567: too long for GB"),
        ("+999 123", None, "+999 123: unknown country code; start with + and the country code"),
        ("hello", "US", "hello: not a phone number"),
        ("", "US", "a phone number is needed"),
        ("+1 212 555 0100 ext 5", None, "+1 212 555 0100 ext 5: extensions cannot be dialled; remove 'ext 5'"),
    ],
)
def test_says_what_is_wrong(text: str, region: str | None, message: str) -> None:
    with pytest.raises(PhoneNumberError) as info:
        to_e164(text, region)
    assert str(info.value).startswith(message)


def test_phone_like_and_regions() -> None:
    assert is_phone_like("+1 (212) 555-0100") and not is_phone_like("alice") and not is_phone_like("--")
    assert check_region(" de ") == "DE"
    with pytest.raises(ValueError, match="not a region code"):
        check_region("XX")
    assert pretty("+12125550100") == "+1 212-555-0100"
