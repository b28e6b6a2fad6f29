"""``oauthmail relay``: a local submission server for mailers that cannot do OAuth2.

The mailer (a scanner, cron, PHP ``mail()``, Debian's swaks…) logs in with ``AUTH PLAIN``/``LOGIN``
as the INI account's address and a relay password the kit generated (stored hashed, never sent
upstream). The relay forwards each message with XOAUTH2 over STARTTLS/TLS — or over Graph / the
Gmail API when the account's ``transport`` says so — and answers the end of DATA only with upstream's
verdict. Usage::

    from oauthmail.relay import serve_in_thread
    with serve_in_thread("oauthmail.ini") as relay:     # 127.0.0.1, a free port
        ...  # smtplib.SMTP("127.0.0.1", relay.port).login(address, password)

Layers: :mod:`.listen` and :mod:`.passwords` (pure helpers), :mod:`.upstream` (one session's
upstream), :mod:`.server` (:class:`Relay`), :mod:`.check` (``--check`` for monitoring).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .passwords import logins, set_password
from .server import Relay, RelayLog


def serve_in_thread(ini: str | Path, accounts: list[str] | None = None, *, host: str = "127.0.0.1",
                    port: int = 0, **kwargs: Any) -> Relay:
    """A :class:`Relay` for the INI's accounts that have a relay password, started in a background thread."""
    return Relay(ini, logins(ini, accounts), host=host, port=port, **kwargs)


__all__ = ["Relay", "RelayLog", "logins", "serve_in_thread", "set_password"]
