"""Checking the HTTPS path without sending anything (for ``oauthmail doctor``).

Why an empty send: neither API has a read-only call that ``Mail.Send`` / ``gmail.send`` alone may
make (``/me`` needs User.Read, ``users.getProfile`` needs a read scope). Both check the token and
its scope before they look at the request, so an empty ``sendMail`` / ``messages.send`` answers
``401``/``403`` for a token problem and ``400`` (no recipients / no message) when the token would
be accepted — and nothing can be delivered. For Graph the token's own claims (audience, ``scp``)
are read first, which names an Outlook-for-SMTP token before any request.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import urlsplit

from ..errors import AuthenticationError, OAuthMailError
from ._http import ApiClient, RetryPolicy

#: Graph's application id, the other form its tokens' ``aud`` takes.
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


def token_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT access token (not verified: for diagnosis only), or None if it is opaque."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def graph_claims_problem(claims: dict[str, Any] | None) -> str | None:
    """A Graph-shaped error text when the claims show the token cannot send through Graph, else None."""
    if claims is None:
        return None
    aud = str(claims.get("aud", "")).rstrip("/")
    host = urlsplit(aud).netloc.lower() if "://" in aud else aud.lower()
    if aud and host != GRAPH_APP_ID and not host.startswith(("graph.microsoft", "microsoftgraph.")):
        return f"HTTP 401 InvalidAuthenticationToken Access token validation failure. Invalid audience ({aud})."
    scp = str(claims.get("scp", "")).split()
    if scp and not {"Mail.Send", "Mail.Send.Shared"} & set(scp):
        return "HTTP 403 ErrorAccessDenied Access is denied. Check credentials and try again."
    return None


def probe(transport: str, base_url: str, token: str, *, timeout: float = 10) -> float:
    """Seconds the check took; raises the kit's error (catalog-translated) when the API would refuse the token."""
    from ..explain import NOT_RECOGNISED, NOT_RECOGNISED_FIX, error_for

    t0 = time.perf_counter()
    base = base_url.rstrip("/")
    if transport == "graph":
        text = graph_claims_problem(token_claims(token))
        if text is not None:
            raise error_for(text, AuthenticationError) or AuthenticationError(NOT_RECOGNISED, NOT_RECOGNISED_FIX)
        from .graph import send_mail_url

        url = send_mail_url(base, "", "")
    else:
        from .gmail_api import send_url

        url = send_url(base)
    service = "Microsoft Graph" if transport == "graph" else "Gmail API"
    client = ApiClient(service, timeout=timeout, retry=RetryPolicy(max_retries=1, max_wait=5))
    try:
        resp = client.request("POST", url, token=token, json_body={})
        if resp.status_code not in (200, 202, 400):
            err: OAuthMailError = client.fail(resp, url)
            raise err
    finally:
        client.close()
    return time.perf_counter() - t0
