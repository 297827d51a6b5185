"""One family for the console's own errors, each keeping the builtin base its callers catch."""

from __future__ import annotations

import pytest

from console.callfilter import FilterError
from console.errors import ConsoleError
from console.fields import UnknownField
from console.gateways.errors import GatewayAuthError, GatewayError, GatewayRejected
from console.phone import PhoneNumberError
from console.problems import FieldValueError, InvalidInput
from console.profile import ConfigError
from console.records import StoreError
from console.webhooks import BadPayload


@pytest.mark.parametrize(("error", "builtin"), [
    (FilterError("x"), ValueError), (FieldValueError("f", "x"), ValueError), (InvalidInput([]), ValueError),
    (UnknownField("p", "jambonz", []), ValueError), (BadPayload("x"), ValueError),
    (PhoneNumberError("x"), ValueError), (StoreError("x"), RuntimeError), (ConfigError(None, []), Exception),
    (GatewayError("x"), Exception), (GatewayAuthError("x"), GatewayError), (GatewayRejected("x"), GatewayError),
])
def test_every_error_of_the_console_is_a_console_error_and_keeps_its_builtin_base(error: Exception,
                                                                                   builtin: type) -> None:
    assert isinstance(error, ConsoleError) and isinstance(error, builtin)
