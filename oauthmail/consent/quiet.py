"""Keep the libraries' DEBUG logs from carrying secrets while the kit redeems a code.

At DEBUG level requests-oauthlib logs the token request's headers (HTTP Basic with the client
secret), its body (code, PKCE verifier) and the token response; a notebook that turned on
``logging.basicConfig(level=logging.DEBUG)`` would print them. While a consent call runs, records
below WARNING from those loggers are dropped (warnings and errors still pass).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

#: The module loggers that can log secrets (logger filters apply per logger, not to children).
LOGGERS = (
    "requests_oauthlib.oauth2_session",
    "oauthlib.oauth2.rfc6749",
    "google_auth_oauthlib.flow",
    "msal.application",
    "msal.authority",
    "msal.token_cache",
    "msal.telemetry",
    "msal.oauth2cli.oauth2",
    "msal.oauth2cli.oidc",
    "msal.throttled_http_client",
    "urllib3.connectionpool",
)


class _BelowWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


_FILTER = _BelowWarning()
_lock = threading.Lock()
_depth = 0


@contextlib.contextmanager
def quiet_library_logs() -> Iterator[None]:
    """Drop the consent libraries' DEBUG/INFO records for the duration (nested and thread-safe)."""
    global _depth
    with _lock:
        if _depth == 0:
            for name in LOGGERS:
                logging.getLogger(name).addFilter(_FILTER)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                for name in LOGGERS:
                    logging.getLogger(name).removeFilter(_FILTER)
