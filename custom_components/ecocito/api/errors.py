"""The portal library's exceptions."""

from __future__ import annotations

from typing import Any


class EcocitoError(Exception):
    """Base class of every error raised by the library."""


class InvalidPortalError(EcocitoError, ValueError):
    """The portal address is not an Ecocito portal address we accept."""


class PortalUserInfoError(InvalidPortalError):
    """The portal address holds a user name or password (``https://user:pw@host``)."""


class AuthenticationError(EcocitoError):
    """The portal refused the login; ``message`` is the portal's own text, if any."""

    def __init__(self, message: str | None = None) -> None:
        """Keep the portal's message."""
        super().__init__(message or "The portal refused the login")
        self.message = message


class PortalConnectionError(EcocitoError):
    """The portal could not be reached: network error, timeout or server error."""


class RateLimitedError(PortalConnectionError):
    """The portal asked us to slow down (HTTP 429)."""

    def __init__(self, retry_after: float) -> None:
        """Keep the delay the portal asked for, in seconds."""
        super().__init__(f"Rate limited by the portal, retry after {retry_after:.0f} s")
        self.retry_after = retry_after


class SessionRefusedError(PortalConnectionError):
    """The portal showed its login page again without saying the password is wrong.

    A temporary failure: only the portal's own error message means wrong credentials.
    """


class ClientClosedError(PortalConnectionError):
    """The client was logged out (the entry is unloading): it sends nothing more."""

    def __init__(self) -> None:
        """Say why nothing was sent."""
        super().__init__("The client was closed")


class PortalChangedError(EcocitoError):
    """The portal answered, but not in a shape we understand; ``what`` names it.

    ``fingerprint`` is the structure of the answer (see ``fingerprint.py``), once the
    client has taken it.
    """

    def __init__(self, what: str) -> None:
        """Name what was missing or malformed."""
        super().__init__(f"Unexpected portal answer: {what}")
        self.what = what
        self.fingerprint: dict[str, Any] | None = None


class UnknownAccountError(EcocitoError):
    """The account is not (or no longer) linked to this login."""

    def __init__(self, account_id: int, message: str | None = None) -> None:
        """Keep the account id and the portal's message."""
        super().__init__(message or f"Account {account_id} is not linked to this login")
        self.account_id = account_id
        self.message = message


class LinkError(EcocitoError):
    """The association wizard refused a step; ``message`` is the portal's own text."""

    def __init__(self, message: str | None = None) -> None:
        """Keep the portal's message."""
        super().__init__(message or "The portal refused to link the account")
        self.message = message


class LinkUnavailableError(LinkError):
    """The portal shows no association wizard that the client understands (modelled part)."""


class UnknownCommuneError(LinkError):
    """The commune is unknown or not served by this portal."""


class InvalidKeyError(LinkError):
    """The activation key is unknown."""


class KeyAlreadyUsedError(LinkError):
    """The activation key was already used (its account is linked to a login)."""


class KeyOtherCommuneError(LinkError):
    """The activation key belongs to a production point of another commune."""
