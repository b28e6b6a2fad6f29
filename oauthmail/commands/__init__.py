"""One module per ``oauthmail`` sub-command; see :mod:`oauthmail.cli`."""

from __future__ import annotations

import os

TYPE_CHECKING = False  # no ``typing`` import at run time (start-up time of the commands)
if TYPE_CHECKING:
    from pathlib import Path


def trust_the_sandbox(ini: str | Path, account: str | None) -> bool:
    """After "certificate not trusted" in a command's own process: trust the sandbox's CA when the
    account was made with it (:func:`oauthmail.sandbox.lifecycle.sandbox_ca_for`); True if the caller
    should try once more (nothing was sent: the handshake failed before any login).

    Every endpoint of such an account is that sandbox's, so the CA replaces whatever ``SSL_CERT_FILE``
    named (often the system bundle) for this process only. Only commands do this, on the error path
    (a send to a real server never looks), and not with ``--smtp-host`` / ``--api-url``; a library
    user's process keeps its own trust (``oauthmail.sandbox.start()`` sets it there).
    """
    from .. import tokenfile
    from ..errors import OAuthMailError
    from ..sandbox.lifecycle import sandbox_ca_for

    try:
        ca = sandbox_ca_for(ini, tokenfile.read(ini).account(account))
    except OAuthMailError:
        return False
    if ca is None or os.environ.get("SSL_CERT_FILE") == str(ca) == os.environ.get("REQUESTS_CA_BUNDLE"):
        return False
    os.environ["SSL_CERT_FILE"] = os.environ["REQUESTS_CA_BUNDLE"] = str(ca)
    return True
