"""One client session's upstream: a :class:`~oauthmail.mailer.Mailer` kept open across the session's messages.

Runs in a worker thread (smtplib is blocking). The mailer does the token (the INI's cached one, shared
by every session and every restart; a refresh goes through the INI's lock, so concurrent sessions make
one token request), the connection, and the XOAUTH2 login with its rule "a 535 to a cached token:
refresh once, log in again once". This module adds the relay's delivery rules:

* all or nothing: if upstream refuses any recipient the transaction is reset and the client gets
  upstream's refusal (naming the recipient), so no recipient is silently dropped;
* the client's end-of-DATA gets upstream's own verdict (code and text);
* a connection lost before the content went out is reconnected once; lost while the content was
  going out → ``451`` (the client keeps the message and retries; it is not sent twice by the relay);
* upstream unreachable or the login impossible → ``451`` at once, with the kit's own explanation.

Graph / Gmail API accounts (the INI's ``transport``) send through the same mailer over HTTPS.
"""

from __future__ import annotations

import re
import smtplib
from email import message_from_bytes
from email.policy import SMTP as SMTP_POLICY
from email.utils import getaddresses
from pathlib import Path

from ..errors import NetworkError, OAuthMailError
from ..mailer import Mailer
from ..secrets import redact
from ..smtp import Transcript


class Verdict:
    """Upstream's answer for one message, ready to hand to the client."""

    __slots__ = ("code", "text", "transport")

    def __init__(self, code: int, text: str, transport: str = "smtp") -> None:
        self.code = code
        self.text = " ".join(text.split())[:400]
        self.transport = transport

    @property
    def ok(self) -> bool:
        return self.code == 250

    def reply(self) -> str:
        return f"{self.code} {self.text}".strip()


_LEADING_DOT = re.compile(rb"(?m)^\.")


def dot_stuffed(data: bytes) -> bytes:
    """The content as it goes on the wire after ``354``: leading dots doubled, ending in CRLF.CRLF."""
    q = _LEADING_DOT.sub(b"..", data)
    if not q.endswith(b"\r\n"):
        q += b"\r\n"
    return q + b".\r\n"


class _Refused(Exception):
    """Upstream refused MAIL/RCPT/DATA: its verdict goes to the client as it is."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict


def _text(msg: bytes | str) -> str:
    return msg.decode("utf-8", "replace") if isinstance(msg, (bytes, bytearray)) else str(msg)


class Upstream:
    """The upstream side of one client session (one connection, reused; closed with the session)."""

    def __init__(self, ini: str | Path, account: str, *, timeout: float = 30,
                 transcript: Transcript | None = None) -> None:
        self.account = account
        self.transcript = transcript
        self.mailer = Mailer(ini, account, timeout=timeout, transcript=transcript, max_reconnects=1)
        self.secrets: list[str] = []
        self._prepare_error: OAuthMailError | None = None

    def prepare(self) -> None:
        """Open the connection ahead of the first message (called when the client has logged in).

        Runs while the client is still sending MAIL/RCPT/DATA, so a new client connection does not wait
        for upstream's TLS handshake and login afterwards. A failure is kept for the first message.
        """
        try:
            if not self.mailer._https():
                self.mailer.open()
                self._remember_secrets()
        except OAuthMailError as exc:
            self._prepare_error = exc

    def _remember_secrets(self) -> None:
        m = self.mailer
        if m.token is not None:
            self.secrets = [m.token.token]
        if m.account is not None:
            self.secrets += m.account.secrets()

    def _error(self, exc: OAuthMailError) -> Verdict:
        code = "4.4.1" if isinstance(exc, NetworkError) else "4.7.0"
        what = redact(exc.what("en"), self.secrets)
        return Verdict(451, f"{code} upstream: {what} (the message was not sent; try again later)")

    def deliver(self, mail_from: str, rcpts: list[str], data: bytes, options: list[str] | None = None) -> Verdict:
        """Send one message; never raises (every outcome is a :class:`Verdict` for the client)."""
        try:
            if self.mailer._https():
                return self._deliver_https(rcpts, data)
        except OAuthMailError as exc:
            return self._error(exc)
        if self._prepare_error is not None:
            early, self._prepare_error = self._prepare_error, None
            return self._error(early)
        attempts = 0
        while True:
            try:
                self.mailer.open()
            except OAuthMailError as exc:
                return self._error(exc)
            self._remember_secrets()
            conn = self.mailer.conn
            assert conn is not None
            try:
                conn.payload_started = False  # type: ignore[attr-defined]
                wanted = [o for o in options or () if o.upper().split("=")[0] in ("BODY", "SMTPUTF8", "SIZE")]
                mail_opts = [o for o in wanted if conn.has_extn(o.split("=")[0].lower())]
                if conn.has_extn("pipelining") and (mail_from + "".join(rcpts)).isascii():
                    try:
                        return self._pipelined(conn, mail_from, mail_opts, rcpts, data)
                    except _Refused as refused:
                        return refused.verdict
                code, msg = conn.mail(mail_from, mail_opts)
                if code == 421:
                    raise smtplib.SMTPServerDisconnected("421")
                if code != 250:
                    self._rset(conn)
                    return Verdict(code, _text(msg))
                for rcpt in rcpts:
                    code, msg = conn.rcpt(rcpt)
                    if code == 421:
                        raise smtplib.SMTPServerDisconnected("421")
                    if code not in (250, 251):
                        self._rset(conn)
                        return Verdict(code, f"{_text(msg)} (recipient <{rcpt}>; nothing was sent)")
                try:
                    code, msg = conn.data(data)
                except smtplib.SMTPDataError as exc:  # DATA itself refused: no content went out
                    if exc.smtp_code == 421:
                        raise smtplib.SMTPServerDisconnected("421") from None
                    self._rset(conn)
                    return Verdict(exc.smtp_code, _text(exc.smtp_error))
                if code == 421 and getattr(conn, "payload_started", False):
                    self.mailer._drop()
                    return Verdict(451, "4.4.2 upstream closed the connection after the message content; "
                                        "it was not accepted, try again")
                return Verdict(code, _text(msg))
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError):
                in_flight = bool(getattr(conn, "payload_started", False))
                self.mailer._drop()
                if in_flight:
                    return Verdict(451, "4.4.2 upstream connection lost while the message was being sent; "
                                        "not resent by the relay (no duplicate); try again")
                if attempts >= 1:
                    return Verdict(451, "4.4.1 upstream connection lost twice before the message was sent; "
                                        "try again later")
                attempts += 1
                if self.transcript is not None:
                    self.transcript.note("upstream connection lost before the content: reconnecting once")

    def _pipelined(self, conn: smtplib.SMTP, mail_from: str, mail_opts: list[str], rcpts: list[str],
                   data: bytes) -> Verdict:
        """RFC 2920: MAIL, every RCPT and DATA in one write, then the content — two round trips, not 3 + n."""
        mail = f"MAIL FROM:{smtplib.quoteaddr(mail_from)}" + "".join(f" {o}" for o in mail_opts)
        commands = [mail, *(f"RCPT TO:{smtplib.quoteaddr(r)}" for r in rcpts), "DATA"]
        conn.send("".join(c + "\r\n" for c in commands))
        replies = [conn.getreply() for _ in commands]
        if any(code == 421 for code, _ in replies):
            raise smtplib.SMTPServerDisconnected("421")
        (mcode, mmsg), rreplies, (dcode, dmsg) = replies[0], replies[1:-1], replies[-1]
        problem: Verdict | None = None
        if mcode != 250:
            problem = Verdict(mcode, _text(mmsg))
        else:
            for rcpt, (rcode, rmsg) in zip(rcpts, rreplies, strict=True):
                if rcode not in (250, 251):
                    problem = Verdict(rcode, f"{_text(rmsg)} (recipient <{rcpt}>; nothing was sent)")
                    break
        if problem is None and dcode != 354:
            problem = Verdict(dcode, _text(dmsg))
        if problem is not None:
            if dcode == 354:  # upstream waits for content that must not go: drop the transaction with the line
                self.mailer._drop()
            else:
                self._rset(conn)
            raise _Refused(problem)
        conn.send(dot_stuffed(data))
        code, msg = conn.getreply()
        if code == 421:
            self.mailer._drop()
            return Verdict(451, "4.4.2 upstream closed the connection after the message content; "
                                "it was not accepted, try again")
        return Verdict(code, _text(msg))

    @staticmethod
    def _rset(conn: smtplib.SMTP) -> None:
        try:
            conn.rset()
        except (OSError, smtplib.SMTPException):
            pass

    def _deliver_https(self, rcpts: list[str], data: bytes) -> Verdict:
        msg = message_from_bytes(data, policy=SMTP_POLICY)
        listed = {a.lower() for _, a in getaddresses([str(v) for k in ("To", "Cc", "Bcc")
                                                      for v in msg.get_all(k, [])])}
        hidden = [r for r in rcpts if r.lower() not in listed]
        if hidden:  # envelope-only recipients (a Bcc the client already removed): the API reads headers
            msg["Bcc"] = ", ".join(hidden)
        try:
            mid, _ = self.mailer.send(msg)
        except OAuthMailError as exc:
            from ..errors import DeliveryError

            if isinstance(exc, DeliveryError) and exc.smtp_code and 500 <= exc.smtp_code < 600:
                return Verdict(554, f"5.0.0 upstream ({self.mailer.transport}): {redact(exc.what('en'))}")
            return self._error(exc)
        return Verdict(250, f"2.0.0 OK {mid} via {self.mailer.transport}", str(self.mailer.transport))

    def close(self) -> None:
        self.mailer.close()
