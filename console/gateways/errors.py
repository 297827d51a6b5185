"""Everything that can go wrong talking to a gateway, as one sentence for the operator
(`str(error)`) plus the raw detail kept for the call's detail view."""

from __future__ import annotations

from console.errors import ConsoleError


class GatewayError(ConsoleError):
    def __init__(self, message: str, *, detail: str = "", status: int | None = None):
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.status = status


class GatewayUnreachable(GatewayError):
    """Nothing answered: connection refused, unknown host, network down."""


class GatewayTimeout(GatewayError):
    """Connected, but no (complete) answer in time."""


class GatewayTlsError(GatewayError):
    """The TLS handshake failed: certificate, hostname or protocol."""


class GatewayDropped(GatewayError):
    """The connection closed before the answer was complete."""


class GatewayAuthError(GatewayError):
    """401/403: the credential or its scope is wrong."""


class GatewayRejected(GatewayError):
    """The gateway understood and refused the request (400, 422, 500 on create, ...)."""


class GatewayNotFound(GatewayError):
    """404: a wrong base URL or route, or a call that is gone."""


class GatewayRateLimited(GatewayError):
    def __init__(self, message: str, *, retry_after: float | None, detail: str = "", status: int | None = 429):
        super().__init__(message, detail=detail, status=status)
        self.retry_after = retry_after


class GatewayUnavailable(GatewayError):
    """The gateway has no capacity right now (jambonz 480)."""


class GatewayBadResponse(GatewayError):
    """A success status with a body that does not say what it should."""


class GatewayNotConfigured(GatewayError):
    """This process cannot talk to the gateway as configured (its credential is missing here): no retry helps."""


class NotSupported(GatewayError):
    """The provider's API has no way to do this."""


def may_have_reached(error: GatewayError) -> bool:
    """A create request that may have reached the gateway: its answer never came whole (a timeout, a dropped
    connection, a proxy's 502 or 504) or came as a success that could not be read. The call may exist there;
    it is not refused."""
    if isinstance(error, GatewayTimeout | GatewayDropped):
        return True
    if error.status in (502, 504):  # a proxy in front lost the gateway's answer, or never had it in time
        return True
    return isinstance(error, GatewayBadResponse) and (error.status is None or 200 <= error.status < 300)
