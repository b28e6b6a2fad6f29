"""Helpers for the core's integration tests: token INIs written by hand to the contract."""

from __future__ import annotations

import json
import os
import socket
import ssl
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from oauthmail import tokenfile

GOOGLE_USER = "alice@example.com"
MS_USER = "dave@contoso.example"
GOOGLE_SCOPE = "https://mail.google.com/"
MS_SCOPE = "https://outlook.office.com/SMTP.Send"


def google_client(sb: Any) -> tuple[str, str]:
    data = json.loads(Path(sb.client_secrets_web).read_text())["web"]
    return str(data["client_id"]), str(data["client_secret"])


def write_ini(
    sb: Any,
    path: Path,
    provider: str = "google",
    *,
    user: str | None = None,
    security: str = "starttls",
    cached: bool = True,
    public: bool = False,
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Mint tokens in the sandbox and write an INI by hand; returns the tokens and the secrets."""
    lines = ["[oauthmail]", "version = 1", ""]
    if provider == "google":
        user = user or GOOGLE_USER
        client_id, secret = google_client(sb)
        toks = sb.mint_tokens("google", client_id, user, [GOOGLE_SCOPE])
        lines += [f"[{user}]", "provider = google", f"client_id = {client_id}", f"client_secret = {secret}",
                  f"auth_uri = {sb.google_auth_uri}", f"token_uri = {sb.google_token_uri}", f"scopes = {GOOGLE_SCOPE}"]
    else:
        user = user or MS_USER
        if public:
            client_id, secret = sb.microsoft_public_client_id, ""
        else:
            client_id, secret = sb.microsoft_web_client_id, sb.microsoft_web_client_secret
        toks = sb.mint_tokens("microsoft", client_id, user, [MS_SCOPE])
        lines += [f"[{user}]", "provider = microsoft", f"client_id = {client_id}"]
        if secret:
            lines.append(f"client_secret = {secret}")
        lines += [f"authority = {sb.microsoft_authority}", f"scopes = {MS_SCOPE}"]
    lines.append(f"refresh_token = {toks['refresh_token']}")
    if cached:
        expires = datetime.now(timezone.utc) + timedelta(seconds=int(toks["expires_in"]))
        lines += [f"access_token = {toks['access_token']}",
                  f"access_token_expires_at = {tokenfile.format_time(expires)}"]
    port = sb.smtp_ssl_port if security == "ssl" else sb.smtp_starttls_port
    lines += [f"smtp_host = {sb.smtp_host}", f"smtp_port = {port}", f"smtp_security = {security}"]
    for k, v in (extra or {}).items():
        lines.append(f"{k} = {v}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    toks = dict(toks)
    toks["client_secret"] = secret
    toks["user"] = user
    return toks


def secrets_in(path: Path) -> list[str]:
    """Every secret value the INI holds now (to search outputs for)."""
    f = tokenfile.read(path)
    out: list[str] = []
    for acc in f.accounts.values():
        out += [v for v in (acc.refresh_token, acc.access_token, acc.client_secret) if v]
    return out


class SilentServer:
    """Accepts TCP connections and never says a word (for time-out tests)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = int(self.sock.getsockname()[1])
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


class DroppingSmtpServer:
    """A TLS SMTP server that takes the first message's content, then drops the link without a reply.

    Stands for the one case the sandbox cannot show on purpose: a connection lost after the
    content went out and before the server's 250. Later connections behave normally.
    """

    def __init__(self, context: ssl.SSLContext, drop_at: str = "DATA") -> None:
        self.context = context
        #: "DATA": drop after the first message's content; "MAIL": drop at the first MAIL FROM
        #: (before any content, so the client may safely send it again).
        self.drop_at = drop_at
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = int(self.sock.getsockname()[1])
        self.received: list[bytes] = []
        self.dropped = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(raw,), daemon=True).start()

    def _session(self, raw: socket.socket) -> None:
        try:
            conn = self.context.wrap_socket(raw, server_side=True)
            f = conn.makefile("rb")

            def say(line: str) -> None:
                conn.sendall(line.encode() + b"\r\n")

            say("220 dropping.test ESMTP")
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.decode(errors="replace").strip()
                verb = cmd.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    say("250-dropping.test")
                    say("250-AUTH XOAUTH2 OAUTHBEARER")
                    say("250 8BITMIME")
                elif verb == "AUTH":
                    say("235 2.7.0 Accepted")
                elif verb == "MAIL" and self.drop_at == "MAIL" and self.dropped == 0:
                    self.dropped += 1
                    conn.close()
                    return
                elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                    say("250 OK")
                elif verb == "DATA":
                    say("354 go ahead")
                    data = b""
                    while True:
                        chunk = f.readline()
                        if not chunk or chunk == b".\r\n":
                            break
                        data += chunk
                    self.received.append(data)
                    if self.dropped == 0 and self.drop_at == "DATA":
                        self.dropped += 1
                        conn.close()
                        return
                    say("250 2.0.0 OK queued")
                elif verb == "QUIT":
                    say("221 bye")
                    conn.close()
                    return
                else:
                    say("502 unknown")
        except (OSError, ssl.SSLError):
            return

    def close(self) -> None:
        self.sock.close()


def start_sandbox(state_dir: Path, monkeypatch: Any) -> Any:
    """Start a sandbox and point SSL_CERT_FILE/REQUESTS_CA_BUNDLE at its CA (fallback fixture body)."""
    from oauthmail.sandbox import Sandbox

    sb = Sandbox(state_dir=state_dir)
    sb.start()
    for k, v in sb.env().items():
        monkeypatch.setenv(k, v)
    return sb
