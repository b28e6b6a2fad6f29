"""oauthmail: from "I have a Gmail or Microsoft 365 mailbox" to "my program sends mail with OAuth2".

Importing the package is cheap: the consent libraries (google-auth-oauthlib, MSAL), the sandbox
(aiosmtpd) and the widgets (ipywidgets) load only when the function that needs them is called.
"""

from ._version import __version__
from .errors import (
    AuthenticationError,
    ConfigError,
    ConsentError,
    DeliveryError,
    NetworkError,
    OAuthMailError,
    TokenError,
)

__all__ = [
    "AuthenticationError",
    "ConfigError",
    "ConsentError",
    "DeliveryError",
    "NetworkError",
    "OAuthMailError",
    "TokenError",
    "__version__",
]
