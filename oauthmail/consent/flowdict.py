"""The flow dict: plain JSON data between "start" and "finish", with a repr that hides its secrets.

A flow holds the client secret and the PKCE verifier (that is what lets it survive a kernel
restart), and notebooks display whatever a cell returns. So :class:`ConsentFlow` is a ``dict`` —
``json.dumps`` and ``flow["auth_uri"]`` work as usual — whose ``repr`` (and so a notebook's
output) shows only what a person needs.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..secrets import MASK

FLOW_KIND = "oauthmail-consent-flow"

#: Keys shown as they are; everything else is masked in ``repr``.
_SHOWN = ("provider", "mode", "client_type", "auth_uri", "redirect_uri", "user_code", "verification_uri",
          "message", "scopes", "email", "transport")


class ConsentFlow(dict[str, Any]):
    """A started sign-in (see :func:`oauthmail.consent.start_google`); ``repr`` masks secrets."""

    def __repr__(self) -> str:
        shown = {k: self[k] for k in _SHOWN if k in self}
        if isinstance(shown.get("auth_uri"), str):
            shown["auth_uri"] = _masked_state(shown["auth_uri"])
        client = self.get("client")
        if isinstance(client, dict):
            shown["client_id"] = client.get("client_id", "")
        hidden = sorted(k for k in self if k not in shown and k not in ("client_id",))
        inner = ", ".join(f"{k!r}: {v!r}" for k, v in shown.items())
        return f"ConsentFlow({{{inner}, ...{len(hidden)} more keys: {MASK}}})"

    __str__ = __repr__

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        """IPython / Jupyter: the masked text, never the dict's items."""
        p.text(repr(self))

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(repr(self))}</pre>"


def _masked_state(url: str) -> str:
    """The authorization URL with its ``state`` (the CSRF check) masked, for display."""
    try:
        parts = urlsplit(url)
        query = [(k, MASK if k == "state" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    except ValueError:
        return MASK
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query, safe="*"), parts.fragment))
