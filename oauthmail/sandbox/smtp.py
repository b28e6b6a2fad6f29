"""The sandbox mail server: STARTTLS (587-style) and implicit TLS (465-style) with XOAUTH2/OAUTHBEARER.

It answers the way the real servers do, because the kit's diagnosis reads those answers:

* Gmail style: a bad token gets ``334 <base64 JSON {"status":"400","schemes":"Bearer","scope":…}>``;
  the client must answer an empty line (OAUTHBEARER: ``^A``), then ``535-5.7.8 Username and
  Password not accepted…``. Success is ``235 2.7.0 Accepted``.
* Exchange style: ``535 5.7.3 Authentication unsuccessful [host]``; OAUTHBEARER is not offered
  (``504 5.7.4 Unrecognized authentication type``); a mailbox with SMTP AUTH
  switched off answers ``535 5.7.139 …SmtpClientAuthentication is disabled for the Mailbox…``;
  sending as someone else ends in ``554 5.2.252 SendAsDenied``.

The style follows the token's issuer when the token is known, else the mailbox's home provider.
Nothing here logs a token: aiosmtpd's own client-response logging stays off.
"""

from __future__ import annotations

import asyncio
import base64
import collections
import json
import re
import secrets
import socket
import ssl
import threading
import time
from email.utils import formatdate, getaddresses, parseaddr
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session

from .idp import GOOGLE_MAIL_SCOPE, MS_OUTLOOK, AccessGrant, IdentityProvider
from .mailbox import deliver

GMAIL_BAD_CREDENTIALS = ("535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
                         "535 5.7.8  https://support.google.com/mail/?p=BadCredentials {id} - gsmtp")
EXO_HOST = "SN4PR0501CA0123.namprd05.prod.outlook.com"
EXO_AUTH_FAILED = "535 5.7.3 Authentication unsuccessful [{host}]"
EXO_SMTP_DISABLED = ("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the "
                     "Mailbox. Visit https://aka.ms/smtp_auth_disabled for more information. [{host}]")
NOT_AUTHENTICATED = "530 5.7.57 Client not authenticated to send mail. [{host}]"
BASIC_RETIRED = "550 5.7.30 Basic authentication is not supported for Client Submission. [{host}]"
GMAIL_PLAIN_REFUSED = GMAIL_BAD_CREDENTIALS
EXO_NO_OAUTHBEARER = "504 5.7.4 Unrecognized authentication type [{host}]"
AUTH_LINE_TOO_LONG = "500 5.5.6 Authentication Exchange line is too long"


def parse_xoauth2(raw: bytes) -> tuple[str, str] | None:
    """``user=U^Aauth=Bearer T^A^A`` → (user, token)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    fields = dict(part.split("=", 1) for part in text.split("\x01") if "=" in part)
    user, auth = fields.get("user", ""), fields.get("auth", "")
    if not user or not auth.lower().startswith("bearer "):
        return None
    return user, auth[7:].strip()


def parse_oauthbearer(raw: bytes) -> tuple[str, str] | None:
    """RFC 7628: ``n,a=U,^Ahost=…^Aport=…^Aauth=Bearer T^A^A`` → (user, token)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    gs2, sep, rest = text.partition("\x01")
    if not sep:
        return None
    user = ""
    for item in gs2.split(","):
        if item.startswith("a="):
            user = item[2:].replace("=2C", ",").replace("=3D", "=")
    fields = dict(part.split("=", 1) for part in rest.split("\x01") if "=" in part)
    auth = fields.get("auth", "")
    if not auth.lower().startswith("bearer "):
        return None
    return user, auth[7:].strip()


class _QuietSession(Session):
    """aiosmtpd's Session without the deprecation log line on every successful AUTH."""

    @property  # type: ignore[override]
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


class SandboxSMTP(SMTP):
    """aiosmtpd's SMTP with long AUTH lines allowed and Exchange's wording for missing AUTH."""

    line_length_limit = 65536

    def __init__(self, *args: Any, implicit_tls: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if implicit_tls:  # the whole connection is TLS: AUTH is advertised and allowed at once
            self._auth_require_tls = False
        limit = 65536
        self.command_size_limits = collections.defaultdict(lambda: limit)
        self.command_size_limit = limit

    def _create_session(self) -> Session:
        return _QuietSession(self.loop)

    async def check_auth_needed(self, caller_method: str) -> bool:
        assert self.session is not None
        if self._auth_required and not self.session.authenticated:
            await self.push(NOT_AUTHENTICATED.format(host=EXO_HOST))
            return True
        return False


class SandboxHandler:
    """aiosmtpd handler: the AUTH mechanisms and delivery into the mailbox folder."""

    def __init__(self, idp: IdentityProvider, mailbox_dir: Path) -> None:
        self.idp = idp
        self.mailbox_dir = mailbox_dir
        self.smtp_auth_disabled: set[str] = {u.email.lower() for u in idp.config.users if u.smtp_auth_disabled}
        self.delivered_since_fault = 0
        self.lock = threading.Lock()
        self.sasl_log: list[dict[str, Any]] = []

    # -- deciding ------------------------------------------------------------------------------

    def _style(self, user: str, grant: AccessGrant | None) -> str:
        if grant is not None:
            return grant.provider
        person = self.idp.user(user)
        return person.provider if person else "google"

    def _judge(self, user: str, token: str) -> tuple[bool, str, str, str]:
        """(ok, style, gmail_status, reason) for one presented token."""
        known = self.idp.known_access_token(token)
        style = self._style(user, known)
        live = self.idp.check_access_token(token)
        if live is None:
            return False, style, "401" if known else "400", "expired" if known else "unknown"
        if live.user.lower() != user.strip().lower():
            return False, style, "400", "other_user"
        if live.provider == "google":
            if GOOGLE_MAIL_SCOPE not in live.scopes:
                return False, style, "400", "scope"
        else:
            if live.audience != MS_OUTLOOK or "SMTP.Send" not in live.scopes:
                return False, style, "400", "audience"
        return True, style, "200", "ok"

    async def _run_mechanism(self, server: SMTP, args: list[str], mechanism: str) -> AuthResult:
        max_line = self.idp.faults.get("smtp_max_auth_line")
        if max_line is not None and len(" ".join(["AUTH", *args])) > int(max_line):
            await server.push(AUTH_LINE_TOO_LONG)
            return AuthResult(success=False, handled=True)
        if len(args) == 2:
            try:
                raw = base64.b64decode(args[1], validate=True)
            except ValueError:
                await server.push("501 5.5.2 Cannot Decode response")
                return AuthResult(success=False, handled=True)
        else:
            answer = await server.challenge_auth("")
            if not isinstance(answer, bytes):
                return AuthResult(success=False, handled=True)
            raw = answer
        parsed = parse_xoauth2(raw) if mechanism == "XOAUTH2" else parse_oauthbearer(raw)
        if parsed is None:
            await server.push("501 5.5.2 Cannot Decode response")
            return AuthResult(success=False, handled=True)
        user, token = parsed
        ok, style, gmail_status, reason = self._judge(user, token)
        if mechanism == "OAUTHBEARER" and style == "microsoft":
            # Exchange Online offers only XOAUTH2 (facts 44, 72).
            await server.push(EXO_NO_OAUTHBEARER.format(host=EXO_HOST))
            return AuthResult(success=False, handled=True)
        with self.lock:
            self.sasl_log.append({"mechanism": mechanism, "user": user, "result": reason, "time": time.time()})
        if ok and style == "microsoft" and user.lower() in self.smtp_auth_disabled:
            await server.push(EXO_SMTP_DISABLED.format(host=EXO_HOST))
            return AuthResult(success=False, handled=True)
        if ok:
            message = "235 2.7.0 Accepted" if style == "google" else "235 2.7.0 Authentication successful"
            return AuthResult(success=True, auth_data=user, message=message)
        if style == "google":
            challenge: dict[str, str] = {"status": gmail_status, "schemes": "Bearer", "scope": GOOGLE_MAIL_SCOPE}
            if mechanism == "OAUTHBEARER":
                challenge = {"status": "invalid_token", "schemes": "bearer", "scope": GOOGLE_MAIL_SCOPE}
            payload = json.dumps(challenge, separators=(",", ":"))
            await server.push("334 " + base64.b64encode(payload.encode()).decode())
            assert server._reader is not None
            await server._reader.readline()  # the client's empty line (XOAUTH2) or ^A (OAUTHBEARER)
            await server.push(GMAIL_BAD_CREDENTIALS.format(id=secrets.token_hex(6)))
            return AuthResult(success=False, handled=True)
        await server.push(EXO_AUTH_FAILED.format(host=EXO_HOST))
        return AuthResult(success=False, handled=True)

    # -- mechanisms (method names are the SASL names aiosmtpd advertises) ---------------------

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self._run_mechanism(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server: SMTP, args: list[str]) -> AuthResult:
        return await self._run_mechanism(server, args, "OAUTHBEARER")

    async def _refuse_password(self, server: SMTP, user: str) -> AuthResult:
        person = self.idp.user(user)
        if person is not None and person.provider == "microsoft":
            await server.push(BASIC_RETIRED.format(host=EXO_HOST))
        else:
            await server.push(GMAIL_PLAIN_REFUSED.format(id="basic"))
        return AuthResult(success=False, handled=True)

    async def auth_PLAIN(self, server: SMTP, args: list[str]) -> AuthResult:
        if len(args) == 2:
            try:
                raw = base64.b64decode(args[1], validate=True)
            except ValueError:
                raw = b""
        else:
            answer = await server.challenge_auth("")
            raw = answer if isinstance(answer, bytes) else b""
        parts = raw.split(b"\x00")
        user = parts[1].decode("utf-8", "replace") if len(parts) == 3 else ""
        return await self._refuse_password(server, user)

    async def auth_LOGIN(self, server: SMTP, args: list[str]) -> AuthResult:
        if len(args) == 2:
            try:
                user_raw: bytes | object = base64.b64decode(args[1], validate=True)
            except ValueError:
                user_raw = b""
        else:
            user_raw = await server.challenge_auth("Username:")
        if not isinstance(user_raw, bytes):
            return AuthResult(success=False, handled=True)
        password = await server.challenge_auth("Password:")
        del password  # never kept
        return await self._refuse_password(server, user_raw.decode("utf-8", "replace"))

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope, hostname: str,
                          responses: list[str]) -> list[str]:
        """Gmail and Exchange both advertise PIPELINING (RFC 2920); aiosmtpd reads pipelined commands in order."""
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if responses else responses

    # -- delivery ------------------------------------------------------------------------------

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        drop_after = self.idp.faults.get("smtp_drop_after")
        if drop_after is not None:
            with self.lock:
                over = self.delivered_since_fault >= int(drop_after)
            if over:
                transport = server.transport
                assert isinstance(transport, asyncio.Transport)
                transport.abort()
                return "421 4.4.2 Connection dropped (sandbox fault smtp_drop_after)"
        user = str(session.auth_data or "")
        person = self.idp.user(user)
        raw = envelope.original_content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        header_from = _header_from(raw)
        mail_from = envelope.mail_from or ""
        is_ms = person is not None and person.provider == "microsoft"
        if is_ms:
            for addr in (mail_from, header_from):
                if addr and addr.lower() != user.lower():
                    return (f"554 5.2.252 SendAsDenied; {user} not allowed to send as {addr}; "
                            f"STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; "
                            f"Failed to process message due to a permanent exception with message "
                            f"[BeginDiagnosticData]Cannot submit message. [{EXO_HOST}]")
        elif header_from and header_from.lower() != user.lower():
            raw = _rewrite_from(raw, user)
        # Gmail and Exchange add a Date when the client sent none.
        date = "" if _has_header(raw, "date") else f"Date: {formatdate(localtime=True)}\r\n"
        trace = (f"Received: from {session.host_name or 'client'} ({session.peer[0] if session.peer else '?'})\r\n"
                 f"\tby sandbox.oauthmail.local with ESMTPSA id {time.time_ns()}\r\n"
                 f"\tfor <{', '.join(envelope.rcpt_tos)}>; {formatdate(localtime=True)}\r\n"
                 f"X-Sandbox-Authenticated-User: {user}\r\n"
                 f"X-Sandbox-Envelope-From: {mail_from}\r\n"
                 f"X-Sandbox-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n{date}").encode()
        await asyncio.get_running_loop().run_in_executor(None, deliver, self.mailbox_dir, trace + raw)
        with self.lock:
            self.delivered_since_fault += 1
        if is_ms:
            return f"250 2.0.0 OK <{time.time_ns()}@{EXO_HOST}> [Hostname={EXO_HOST}]"
        return f"250 2.0.0 OK  {int(time.time())} sandbox{time.time_ns() % 10**8} - gsmtp"


_HEADER_END = re.compile(rb"\r?\n\r?\n")


def _split_headers(raw: bytes) -> tuple[bytes, bytes]:
    m = _HEADER_END.search(raw)
    if not m:
        return raw, b""
    return raw[: m.start()], raw[m.start():]


def _has_header(raw: bytes, name: str) -> bool:
    head, _ = _split_headers(raw)
    prefix = name.lower().encode() + b":"
    return any(line[: len(prefix)].lower() == prefix for line in re.split(rb"\r?\n", head))


def _header_from(raw: bytes) -> str:
    head, _ = _split_headers(raw)
    text = head.decode("utf-8", "replace")
    unfolded = re.sub(r"\r?\n[ \t]+", " ", text)
    for line in unfolded.splitlines():
        if line.lower().startswith("from:"):
            addrs = getaddresses([line[5:].strip()])
            return addrs[0][1] if addrs else parseaddr(line[5:])[1]
    return ""


def _rewrite_from(raw: bytes, user: str) -> bytes:
    """Gmail's behaviour: a From that is not the account becomes the account (original kept)."""
    head, rest = _split_headers(raw)
    lines = re.split(rb"\r?\n", head)
    out: list[bytes] = []
    original: list[bytes] = []
    in_from = False
    for line in lines:
        if line[:5].lower() == b"from:":
            in_from = True
            original.append(line[5:].strip())
            continue
        if in_from and line[:1] in (b" ", b"\t"):
            original.append(line.strip())
            continue
        in_from = False
        out.append(line)
    out.append(b"From: " + user.encode("utf-8"))
    out.append(b"X-Google-Original-From: " + b" ".join(original))
    return b"\r\n".join(out) + rest


class SandboxController(Controller):
    """A threaded aiosmtpd controller that binds port 0 and learns the port it got."""

    def __init__(self, handler: SandboxHandler, *, implicit_tls: ssl.SSLContext | None = None,
                 starttls: ssl.SSLContext | None = None, hostname: str = "127.0.0.1", port: int = 0) -> None:
        kwargs: dict[str, Any] = {
            "auth_required": True,
            "auth_require_tls": True,
            "tls_context": starttls,
            "require_starttls": starttls is not None,
            "server_hostname": "sandbox.oauthmail.local",
            "ident": "oauthmail sandbox ESMTP",
        }
        super().__init__(handler, hostname=hostname, port=port, ssl_context=implicit_tls, **kwargs)
        self.implicit_tls = implicit_tls is not None

    def factory(self) -> SMTP:
        return SandboxSMTP(self.handler, implicit_tls=self.implicit_tls, **self.SMTP_kwargs)

    def start(self) -> None:
        if self.port:  # a fixed port in use: say so now, not after aiosmtpd's 5-second ready timeout
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does: TIME_WAIT is fine
                probe.bind((self.hostname, self.port))
        super().start()

    def _trigger_server(self) -> None:
        server = self.server
        assert isinstance(server, asyncio.Server)
        self.port = server.sockets[0].getsockname()[1]
        # Connect once so aiosmtpd builds its protocol object (it does so lazily).
        with socket.create_connection((self.hostname, self.port), 1.0) as sock:
            if self.ssl_context:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                with ctx.wrap_socket(sock) as tls:
                    tls.recv(1024)
            else:
                sock.recv(1024)
