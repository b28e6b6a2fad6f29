"""The sandbox's page token in the links the kit shows (mailbox page, device sign-in page).

The mailbox and device sign-in pages of a sandbox open only with its page token (``t=`` in the link,
then a cookie): on a shared machine another user, or a web page whose name resolves to 127.0.0.1, must
not read practice mail or approve a device sign-in. The token lives in ``sandbox.json`` (mode 0600), so
only the person who started the sandbox can read it; the device-code endpoint itself (public, like
Microsoft's) returns the plain page address, and :func:`known_page_link` adds the token when the kit
shows that address to its own user.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_known: dict[str, str] = {}  # netloc -> page token, for sandboxes started in this process
_lock = threading.Lock()


def with_page_token(url: str, token: str) -> str:
    """``url`` with ``t=token`` in its query (replacing any ``t`` there); unchanged when ``token`` is empty."""
    if not token:
        return url
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"] + [("t", token)]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _origins(info: dict[str, Any]) -> list[str]:
    return [urlsplit(str(info.get(key) or "")).netloc for key in ("base_url", "ui_url") if info.get(key)]


def remember(info: dict[str, Any]) -> None:
    """A sandbox started in this process: its pages' addresses get its token."""
    token = str(info.get("page_token") or "")
    with _lock:
        for netloc in _origins(info):
            _known[netloc] = token


def _token_for(netloc: str, state_dir: str | Path | None) -> str:
    with _lock:
        if netloc in _known:
            return _known[netloc]
    if state_dir is None:
        from ..paths import sandbox_dir

        state_dir = sandbox_dir()
    try:
        info = json.loads((Path(state_dir) / "sandbox.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if isinstance(info, dict) and netloc in _origins(info):
        return str(info.get("page_token") or "")
    return ""


def known_page_link(url: str, state_dir: str | Path | None = None) -> str:
    """``url`` with its sandbox's page token when it is a page of a sandbox this user runs, else ``url``."""
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return url
    token = _token_for(netloc, state_dir) if netloc else ""
    return with_page_token(url, token) if token else url
