"""One client session's upstream: a :class:`~oauthmail.mailer.Mailer` kept open across the session's messages.

The mailer logs in from a worker thread (its code is blocking); the messages then go from the event
loop over the same socket (:mod:`.wire`), no thread per message. The mailer does the token (the INI's cached one, shared
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

import asyncio
import re
import select
import smtplib
from collections.abc import Callable
from concurrent.futures import Executor, Future
from datetime import datetime, timezone
from email import message_from_bytes
from email.policy import SMTP as SMTP_POLICY
from email.utils import getaddresses
from pathlib import Path
from typing import Any, TypeVar

from ..errors import NetworkError, OAuthMailError
from ..mailer import Mailer
from ..secrets import redact
from ..smtp import Transcript
from .wire import Wire

T = TypeVar("T")


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


_BARE = re.compile(r"[^<>()\s,;:\\\"\[\]]*@?[^<>()\s,;:\\\"\[\]]*")


def _angle(address: str) -> str:
    """``<address>``: aiosmtpd hands over bare addr-specs, so smtplib's parsing is only for anything else."""
    return f"<{address}>" if _BARE.fullmatch(address) else smtplib.quoteaddr(address)


def _text(msg: bytes | str) -> str:
    return msg.decode("utf-8", "replace") if isinstance(msg, (bytes, bytearray)) else str(msg)


class Upstream:
    """The upstream side of one client session (one connection, reused; closed with the session)."""

    def __init__(self, ini: str | Path, account: str, *, timeout: float = 30,
                 transcript: Transcript | None = None, executor: Executor | None = None,
                 pool: Pool | None = None) -> None:
        self.account = account
        self.transcript = transcript
        self.timeout = timeout
        self.executor = executor
        self.pool = pool
        self.secrets: list[str] = []
        self._prepare_error: OAuthMailError | None = None
        self._prepared: Future[None] | None = None
        self.wire: Wire | None = None
        pooled = pool.take(account) if pool is not None else None
        #: This session got a connection another session had logged in (kept by the :class:`Pool`).
        self.reused = pooled is not None
        if pooled is not None:
            self.mailer, self.wire = pooled
            self.mailer.transcript = transcript
            self._remember_secrets()
        else:
            self.mailer = Mailer(ini, account, timeout=timeout, transcript=transcript, max_reconnects=1)
        #: MAIL/RCPT/DATA already written upstream (at the client's DATA command): how many replies to read.
        self._early = 0
        #: A transaction is open upstream (commands written, no final reply yet): only closing ends it.
        self.busy = False
        self.payload_started = False

    # -- the connection (opened in a worker thread, then driven from the event loop) -----------------

    def start(self) -> None:
        """Open the connection in the background while the client goes on (called at the client's AUTH)."""
        if self.executor is not None and not self.reused:
            self._prepared = self.executor.submit(self.prepare)

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

    def ready(self) -> bool:
        """Logged in upstream and idle: a transaction can start at once (nothing to wait for)."""
        if self._prepared is not None:
            if not self._prepared.done():
                return False
            self._prepared = None
        return (self._prepare_error is None and not self.busy and self.mailer.conn is not None
                and self.mailer.transport == "smtp" and self.mailer.conn.has_extn("pipelining"))

    def _wire(self) -> Wire:
        if self.wire is None:
            assert self.mailer.conn is not None
            self.wire = Wire(self.mailer.conn, self.timeout)
        return self.wire

    def _drop(self) -> None:
        """Close the connection without QUIT (a transaction may be open: closing is how it is abandoned)."""
        wire, self.wire = self.wire, None
        if wire is not None:
            wire.release()
        self.mailer._drop()
        self.busy, self._early = False, 0

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

    async def _blocking(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def _open(self) -> None:
        self.mailer.open()
        self._remember_secrets()

    # -- the transaction ---------------------------------------------------------------------------

    def _commands(self, mail_from: str, rcpts: list[str], options: list[str]) -> list[str]:
        conn = self.mailer.conn
        assert conn is not None
        wanted = [o for o in options if o.upper().split("=")[0] in ("BODY", "SMTPUTF8", "SIZE")]
        mail_opts = [o for o in wanted if conn.has_extn(o.split("=")[0].lower())]
        mail = f"MAIL FROM:{_angle(mail_from)}" + "".join(f" {o}" for o in mail_opts)
        return [mail, *(f"RCPT TO:{_angle(r)}" for r in rcpts), "DATA"]

    def _note(self, who: str, text: str) -> None:
        t = self.transcript
        if t is not None:
            (t.client if who == "C" else t.server)(text)

    async def _reply(self) -> tuple[int, bytes]:
        code, msg = await self._wire().getreply()
        if self.transcript is not None:
            lines = msg.decode("utf-8", "replace").split("\n")
            for i, text in enumerate(lines):
                self._note("S", f"{code}{'-' if i < len(lines) - 1 else ' '}{text}".rstrip())
        return code, msg

    async def _write_group(self, commands: list[str]) -> None:
        self.busy = True
        self._note("C", " / ".join(commands) + (" (pipelined)" if len(commands) > 1 else ""))
        await self._wire().send("".join(c + "\r\n" for c in commands).encode("ascii"))

    async def begin(self, mail_from: str, rcpts: list[str], options: list[str]) -> None:
        """The client said DATA: write MAIL, every RCPT and DATA now (RFC 2920) if upstream is ready.

        Upstream reads them while the client sends the content; at the end of DATA only the content
        and its final dot remain. Their replies are read — and judged — in :meth:`deliver`. Does
        nothing if upstream is not ready (still logging in, HTTPS, no PIPELINING): :meth:`deliver`
        then does it all.
        """
        if not self.ready() or not (mail_from + "".join(rcpts)).isascii():
            return
        commands = self._commands(mail_from, rcpts, options)
        try:
            await self._write_group(commands)
        except (OSError, smtplib.SMTPException):
            self._drop()  # deliver() reconnects (nothing was sent)
            return
        self._early = len(commands)

    def abort(self) -> None:
        """The client went away, or its content was refused, after :meth:`begin`: upstream gets no final dot."""
        if self.busy:
            if self.transcript is not None:
                self.transcript.note("client transaction abandoned: upstream connection closed, nothing sent")
            self._drop()

    async def deliver(self, mail_from: str, rcpts: list[str], data: bytes,
                      options: list[str] | None = None) -> Verdict:
        """Send one message; never raises (every outcome is a :class:`Verdict` for the client)."""
        if self._prepared is not None:
            prepared, self._prepared = self._prepared, None
            await asyncio.wrap_future(prepared)
        try:
            if self.mailer._https():
                return await self._blocking(self._deliver_https, rcpts, data)
        except OAuthMailError as exc:
            return self._error(exc)
        if self._prepare_error is not None:
            early, self._prepare_error = self._prepare_error, None
            return self._error(early)
        attempts = 0
        while True:
            if self.mailer.conn is None:
                try:
                    await self._blocking(self._open)
                except OAuthMailError as exc:
                    return self._error(exc)
            self._remember_secrets()
            self.payload_started = False
            try:
                try:
                    return await self._transaction(mail_from, rcpts, data, list(options or ()))
                finally:
                    self.busy, self._early = False, 0
            except _Refused as refused:
                return refused.verdict
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPResponseException, OSError):
                in_flight = self.payload_started
                self._drop()
                if in_flight:
                    return Verdict(451, "4.4.2 upstream connection lost while the message was being sent; "
                                        "not resent by the relay (no duplicate); try again")
                if attempts >= 1:
                    return Verdict(451, "4.4.1 upstream connection lost twice before the message was sent; "
                                        "try again later")
                attempts += 1
                if self.transcript is not None:
                    self.transcript.note("upstream connection lost before the content: reconnecting once")

    async def _transaction(self, mail_from: str, rcpts: list[str], data: bytes, options: list[str]) -> Verdict:
        """MAIL, RCPT…, DATA (pipelined when upstream offers it, else one by one), then the content.

        All or nothing: if upstream refuses any recipient the transaction is reset and the client gets
        upstream's refusal, naming the recipient.
        """
        conn = self.mailer.conn
        assert conn is not None
        commands = self._commands(mail_from, rcpts, options)
        replies: list[tuple[int, bytes]] = []
        if self._early:
            replies = [await self._reply() for _ in range(self._early)]
        elif conn.has_extn("pipelining") and (mail_from + "".join(rcpts)).isascii():
            await self._write_group(commands)
            replies = [await self._reply() for _ in commands]
        else:  # one command, one reply; stop at the first refusal
            for command in commands:
                await self._write_group([command])
                replies.append(await self._reply())
                if replies[-1][0] not in (250, 251, 354):
                    break
        if any(code == 421 for code, _ in replies):
            raise smtplib.SMTPServerDisconnected("421")
        problem: Verdict | None = None
        mcode, mmsg = replies[0]
        if mcode != 250:
            problem = Verdict(mcode, _text(mmsg))
        else:
            for rcpt, (rcode, rmsg) in zip(rcpts, replies[1:len(rcpts) + 1], strict=False):
                if rcode not in (250, 251):
                    problem = Verdict(rcode, f"{_text(rmsg)} (recipient <{rcpt}>; nothing was sent)")
                    break
        dcode, dmsg = replies[-1] if len(replies) == len(commands) else (0, b"")
        if problem is None and dcode != 354:
            problem = Verdict(dcode, _text(dmsg))
        if problem is not None:
            if dcode == 354:  # upstream waits for content that must not go: drop the transaction with the line
                self._drop()
            else:
                await self._rset()
            raise _Refused(problem)
        self.payload_started = True
        self._note("C", f"<message content: {len(data)} bytes>")
        await self._wire().send(dot_stuffed(data))
        code, msg = await self._reply()
        if code == 421:
            self._drop()
            return Verdict(451, "4.4.2 upstream closed the connection after the message content; "
                                "it was not accepted, try again")
        return Verdict(code, _text(msg))

    async def _rset(self) -> None:
        try:
            await self._write_group(["RSET"])
            await self._reply()
        except (OSError, smtplib.SMTPException):
            self._drop()

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
        """The client session ended (call on the loop): an open transaction is dropped at once (no final dot,
        nothing delivered); an idle connection goes to the :class:`Pool` for the next session, or gets its
        QUIT in a worker thread."""
        if self.busy:
            self.abort()
            return
        pool = self.pool
        if (pool is not None and self._prepare_error is None and self.mailer.conn is not None
                and (self._prepared is None or self._prepared.done()) and self.mailer.transport == "smtp"):
            self._prepared = None
            try:
                wire = self._wire()
            except (OSError, smtplib.SMTPException):
                wire = None
            if wire is not None:
                self.wire = None
                pool.put(self.account, self.mailer, wire)
                return
        wire, self.wire = self.wire, None
        if wire is not None:
            wire.release()
        if self._prepared is not None and not self._prepared.done():  # still logging in: QUIT when it is done
            self._prepared.add_done_callback(lambda _: self.mailer.close())
            return
        try:
            if self.executor is None:
                raise RuntimeError("no executor")
            self.executor.submit(self.mailer.close)
        except RuntimeError:  # the relay is stopping: its workers are gone, close here
            self.mailer.close()


#: How long a logged-in upstream connection waits for the next client session: well under the 5 minutes a
#: server waits for a command (RFC 5321 4.5.3.2.7), so upstream never closes it on us while it is kept.
POOL_IDLE_SECONDS = 60.0
#: Connections kept per account (more sessions at once get their own; the rest are closed with QUIT).
POOL_PER_ACCOUNT = 4
#: A connection is not kept or reused when its login token expires sooner than this (Gmail's session
#: lasts about the token's lifetime, provider-facts 22).
POOL_TOKEN_MARGIN = 300.0


class Pool:
    """Logged-in upstream connections between client sessions, per account, on the relay's event loop.

    A mailer that connects once per message (cron, a scanner, a monitoring script) would otherwise pay
    upstream's TLS handshake and XOAUTH2 login for every message. A session's idle connection is put
    here with a ``RSET`` (answered ``250``, or it is closed), reused by the account's next session,
    and closed with ``QUIT`` after :data:`POOL_IDLE_SECONDS` unused. One that upstream closed or wrote
    to meanwhile (a time-out notice) is found out before reuse and closed; one that dies under the next
    message is retried on a fresh connection only if nothing of the message was sent on it
    (:meth:`Upstream.deliver`).
    """

    def __init__(self, executor: Executor | None, *, idle: float = POOL_IDLE_SECONDS,
                 per_account: int = POOL_PER_ACCOUNT) -> None:
        self.executor = executor
        self.idle = idle
        self.per_account = per_account
        self.closed = False
        self._kept: dict[str, list[tuple[Mailer, Wire, asyncio.TimerHandle]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.reused = 0

    def take(self, account: str) -> tuple[Mailer, Wire] | None:
        """The account's most recently kept connection that is still good, or None."""
        kept = self._kept.get(account.lower(), [])
        while kept:
            mailer, wire, timer = kept.pop()
            timer.cancel()
            if not self.closed and _usable(mailer, wire):
                self.reused += 1
                return mailer, wire
            self._close(mailer, wire)
        return None

    def put(self, account: str, mailer: Mailer, wire: Wire) -> None:
        """Keep a session's idle, logged-in connection (after its RSET); closed instead when not wanted."""
        if self.closed or len(self._kept.get(account.lower(), [])) >= self.per_account or not _usable(mailer, wire):
            self._close(mailer, wire)
            return
        task = asyncio.get_running_loop().create_task(self._reset_and_keep(account.lower(), mailer, wire))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reset_and_keep(self, account: str, mailer: Mailer, wire: Wire) -> None:
        try:
            if mailer.transcript is not None:
                mailer.transcript.client("RSET (the connection is kept for the next client session)")
            await wire.send(b"RSET\r\n")
            code, _ = await wire.getreply()
        except (OSError, smtplib.SMTPException, TimeoutError):
            code = 0
        kept = self._kept.setdefault(account, [])
        if code != 250 or self.closed or len(kept) >= self.per_account:
            self._close(mailer, wire, quit_=code == 250)
            return
        mailer.transcript = None  # the session it came from is over; the next one brings its own
        entry: list[Any] = []
        timer = asyncio.get_running_loop().call_later(self.idle, self._expire, account, entry)
        entry.extend((mailer, wire, timer))
        kept.append((mailer, wire, timer))

    def _expire(self, account: str, entry: list[Any]) -> None:
        kept = self._kept.get(account, [])
        item = tuple(entry)
        if item in kept:
            kept.remove(item)  # type: ignore[arg-type]
            self._close(entry[0], entry[1])

    def _close(self, mailer: Mailer, wire: Wire, *, quit_: bool = True) -> None:
        wire.release()
        if not quit_:
            mailer._drop()
            return
        try:
            if self.executor is None:
                raise RuntimeError("no executor")
            self.executor.submit(mailer.close)
        except RuntimeError:  # the relay is stopping: its workers are gone, close here
            mailer.close()

    def close_all(self) -> None:
        """The relay is stopping: QUIT every kept connection; later sessions' connections are closed, not kept."""
        self.closed = True
        for kept in self._kept.values():
            while kept:
                mailer, wire, timer = kept.pop()
                timer.cancel()
                self._close(mailer, wire)

    def count(self) -> int:
        return sum(len(k) for k in self._kept.values())


def _usable(mailer: Mailer, wire: Wire) -> bool:
    """Connected, nothing unread from upstream (an EOF or a time-out notice), its token not about to expire."""
    if mailer.conn is None or wire.buf:
        return False
    try:
        if select.select([wire.fd], [], [], 0)[0]:
            return False
    except (OSError, ValueError):
        return False
    token = mailer.token
    if token is None or token.expires_at is None:
        return True
    try:
        left = (token.expires_at - datetime.now(timezone.utc)).total_seconds()
    except TypeError:  # a naive time: the kit writes aware ones, so do not guess
        return False
    return left > POOL_TOKEN_MARGIN
