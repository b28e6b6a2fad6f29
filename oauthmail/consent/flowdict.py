"""The flow dict: plain JSON data between "start" and "finish", with a repr that hides its secrets.

A flow holds the client secret and the PKCE verifier (that is what lets it survive a kernel
restart), and notebooks display whatever a cell returns. So :class:`ConsentFlow` is a ``dict`` —
``json.dumps`` and ``flow["auth_uri"]`` work as usual — whose ``repr`` (and so a notebook's
output) shows only what a person needs.
"""

from __future__ import annotations

from typing import Any

from ..secrets import MASK

FLOW_KIND = "oauthmail-consent-flow"

#: Keys shown as they are; everything else is masked in ``repr``.
_SHOWN = ("provider", "mode", "client_type", "auth_uri", "redirect_uri", "user_code", "verification_uri",
          "message", "scopes", "email", "transport")


class ConsentFlow(dict[str, Any]):
    """A started sign-in (see :func:`oauthmail.consent.start_google`); ``repr`` masks secrets."""

    def __repr__(self) -> str:
        shown = {k: self[k] for k in _SHOWN if k in self}
        client = self.get("client")
        if isinstance(client, dict):
            shown["client_id"] = client.get("client_id", "")
        hidden = sorted(k for k in self if k not in shown and k not in ("client_id",))
        inner = ", ".join(f"{k!r}: {v!r}" for k, v in shown.items())
        return f"ConsentFlow({{{inner}, ...{len(hidden)} more keys: {MASK}}})"

    __str__ = __repr__
