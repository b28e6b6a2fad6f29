"""Which mail server belongs to a sign-in on this machine (the sandbox), so consent stores it.

A person who signs in against the sandbox from the command line (its client JSON carries the
sandbox's ``token_uri``) expects ``oauthmail send`` to use the sandbox's mail server, not
smtp.gmail.com. Real providers never live on loopback, so the rule is simple: an identity
provider on 127.0.0.1 / localhost / ::1 is asked (``/_sandbox/health``, public, no secret)
where its mail server listens. Light on purpose: stdlib only.
"""

from __future__ import annotations

import json
import ssl
import urllib.request
from urllib.parse import urlsplit

from ..providers import LOOPBACK_HOSTS, SmtpServer


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` points at this machine."""
    return (urlsplit(url).hostname or "").lower() in LOOPBACK_HOSTS


def local_mail_server(provider_url: str, *, timeout: float = 3.0) -> SmtpServer | None:
    """The sandbox's STARTTLS mail server for an identity-provider URL on loopback, else ``None``."""
    if not provider_url or not is_loopback_url(provider_url):
        return None
    parts = urlsplit(provider_url)
    health = f"{parts.scheme}://{parts.netloc}/_sandbox/health"
    try:
        # Trust as the consent step did: SSL_CERT_FILE / REQUESTS_CA_BUNDLE point at the sandbox CA.
        from ..tls import ssl_context

        context: ssl.SSLContext = ssl_context()
        with urllib.request.urlopen(health, context=context, timeout=timeout) as resp:
            data = json.loads(resp.read().decode("utf-8"))
        smtp = data.get("smtp") or {}
        return SmtpServer(str(smtp["host"]), int(smtp["starttls_port"]), "starttls")
    except Exception:  # not a sandbox, or not answering: keep the provider's defaults
        return None
