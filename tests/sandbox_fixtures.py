"""Pytest fixtures for a running sandbox (import with ``pytest_plugins = ["tests.sandbox_fixtures"]``).

``sandbox``: a started :class:`~oauthmail.sandbox.Sandbox` in a fresh state folder (start-up is
~0.15 s, so function scope), with ``SSL_CERT_FILE``/``REQUESTS_CA_BUNDLE`` pointing at its CA, the
Google *Web* client registered on a free loopback port (``sandbox.google_web_redirect_uri``) so
parallel runs never fight over 48888, and a 1-second device-code polling interval.
``sandbox_config``: override to pass another configuration dict.
``loopback``: a one-shot HTTP listener on a free port that records the request a browser makes;
``google_loopback``: the same, listening on the registered Google Web redirect URI.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest


def free_port() -> int:
    """Free on 127.0.0.1 and on ::1: a ``localhost`` redirect's listener binds both."""
    from oauthmail.consent.loopback import free_localhost_port

    return free_localhost_port()


@pytest.fixture
def sandbox_config() -> dict[str, Any]:
    """Extra sandbox configuration for a test module (override it to change users, lifetimes, faults)."""
    return {}


@pytest.fixture
def sandbox(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
            sandbox_config: dict[str, Any]) -> Iterator[Any]:
    from oauthmail.sandbox import Sandbox

    port = free_port()
    config: dict[str, Any] = {
        "google_web_redirect_uris": [f"http://127.0.0.1:{port}/callback"],
        "device_code_interval": 1,
        # A kit that stops sending PKCE (S256) must fail every sign-in test, not pass silently.
        "pkce": "required",
    }
    config.update(sandbox_config)
    state = tmp_path_factory.mktemp("sandbox-state")
    sb = Sandbox(state, config)
    sb.start()
    for key, value in sb.env().items():
        monkeypatch.setenv(key, value)
    try:
        yield sb
    finally:
        sb.stop()


class Loopback:
    """A one-shot loopback listener, like the consent helpers' callback server."""

    def __init__(self, path: str = "/callback", port: int | None = None) -> None:
        self.port = port or free_port()
        self.redirect_uri = f"http://127.0.0.1:{self.port}{path}"
        self.requests: list[tuple[str, str, bytes]] = []
        self.event = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                outer.requests.append((self.command, self.path, self.rfile.read(length) if length else b""))
                body = b"<html><body>You may close this window.</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                outer.event.set()

            do_GET = _record
            do_POST = _record

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    lb = Loopback()
    try:
        yield lb
    finally:
        lb.close()


@pytest.fixture
def google_loopback(sandbox: Any) -> Iterator[Loopback]:
    """The listener behind the sandbox's registered Google Web redirect URI (a free port)."""
    from urllib.parse import urlsplit

    parts = urlsplit(sandbox.google_web_redirect_uri)
    lb = Loopback(parts.path, parts.port)
    try:
        yield lb
    finally:
        lb.close()


__all__ = ["Loopback", "free_port", "google_loopback", "loopback", "sandbox", "sandbox_config"]
