"""The relay server: aiosmtpd on the client side, :class:`~.upstream.Upstream` (the kit's mailer) upstream.

Client side: ``AUTH PLAIN``/``LOGIN`` required, against the relay passwords (:mod:`.passwords`); the
login is the INI account's address. On loopback plain text is allowed (it never leaves the machine);
any other address needs TLS, and then ``STARTTLS`` is required before AUTH. The client's end-of-DATA
is answered only after upstream answered, with upstream's verdict (see :mod:`.upstream`).
"""

from __future__ import annotations

import asyncio
import collections
import signal
import sys
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TextIO

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from ..secrets import redact
from ..smtp import Transcript
from .listen import check_listen
from .passwords import Verifier
from .smtpd import LeanSMTP
from .upstream import POOL_IDLE_SECONDS, Pool, Upstream, Verdict

SHUTTING_DOWN = "421 4.3.2 oauthmail relay is stopping; try again later"
#: How long a stop waits for messages in flight.
DRAIN_SECONDS = 60.0


class RelayLog:
    """One line per message (and a few about the relay itself); every line masked before it is written.

    ``lines`` keeps only the last :attr:`KEEP` lines: a relay runs for months, the stream has them all.
    """

    KEEP = 1000

    def __init__(self, stream: TextIO | None = None, secrets: list[str] | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.secrets = secrets if secrets is not None else []
        self.lock = threading.Lock()
        self.lines: collections.deque[str] = collections.deque(maxlen=self.KEEP)

    def write(self, text: str) -> None:
        line = f"{time.strftime('%Y-%m-%dT%H:%M:%S')} oauthmail-relay: {redact(text, self.secrets)}"
        with self.lock:
            self.lines.append(line)
            print(line, file=self.stream, flush=True)


class _Echo:
    """A file-like object that sends a transcript's lines to the relay log with the session's tag."""

    def __init__(self, log: RelayLog, tag: str) -> None:
        self.log, self.tag = log, tag

    def write(self, text: str) -> int:
        text = text.rstrip("\n")
        if text:
            self.log.write(f"{self.tag} upstream {text.strip()}")
        return len(text)

    def flush(self) -> None:
        pass


class RelaySMTP(LeanSMTP):
    """aiosmtpd's SMTP with the session's upstream attached; closes it when the client goes."""

    upstream: Upstream | None = None
    account: str = ""
    tag: str = ""
    relay: Relay | None = None

    async def data_started(self) -> None:
        """The client has its ``354``: MAIL/RCPT/DATA go upstream now, so only the content is left at the end.

        Written after the ``354`` so the client starts sending while the relay writes upstream. If the
        content never reaches :meth:`Handler.handle_DATA` (the client drops mid-DATA, the message is
        too big) the upstream transaction is dropped in :meth:`smtp_DATA`: upstream never sees a final dot.
        """
        up, env, relay = self.upstream, self.envelope, self.relay
        if (up is not None and relay is not None and env is not None and env.rcpt_tos
                and env.mail_from is not None and not relay.stopping):
            await up.begin(env.mail_from, list(env.rcpt_tos), list(env.mail_options))

    async def smtp_DATA(self, arg: str) -> None:
        try:
            await super().smtp_DATA(arg)
        finally:
            if self.upstream is not None:
                self.upstream.abort()  # a no-op once handle_DATA has had upstream's verdict

    def connection_lost(self, error: Exception | None) -> None:
        super().connection_lost(error)
        up, self.upstream = self.upstream, None
        if up is not None:
            up.close()


class Handler:
    """aiosmtpd hooks: AUTH against the relay passwords, DATA forwarded upstream."""

    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                     auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        ok = self.relay.verifier.check(login, password)
        del password
        assert isinstance(server, RelaySMTP)
        if not ok:
            self.relay.log.write(f"{server.tag} AUTH {mechanism} refused for {login[:80]!r} (no upstream contact)")
            return AuthResult(success=False, handled=False)
        server.account = self.relay.account_of[login.lower()]
        relay = self.relay
        transcript = Transcript(echo=_Echo(relay.log, server.tag)) if relay.debug else None  # type: ignore[arg-type]
        server.upstream = Upstream(relay.ini, server.account, timeout=relay.timeout, transcript=transcript,
                                   executor=relay.executor, pool=relay.pool)
        if server.upstream.reused:
            if relay.debug:
                relay.log.write(f"{server.tag} upstream: reusing a logged-in connection (kept after RSET)")
        else:
            server.upstream.start()  # upstream opens while the client goes on
        if self.relay.debug:
            self.relay.log.write(f"{server.tag} client AUTH {mechanism} {login} ***** → 235")
        return AuthResult(success=True, auth_data=login)

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        if self.relay.stopping:  # a new transaction while stopping: the client keeps it and retries later
            return SHUTTING_DOWN
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        envelope.rcpt_tos.append(address)
        if self.relay.debug:
            assert isinstance(server, RelaySMTP)
            self.relay.log.write(f"{server.tag} client RCPT TO:<{address}> → 250 (checked upstream at end of DATA)")
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(server, RelaySMTP)
        relay = self.relay
        t0 = time.perf_counter()
        data = envelope.original_content or b""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        if relay.drained:  # the drain is over: nothing may start upstream now
            return SHUTTING_DOWN
        up = server.upstream
        assert up is not None  # made at AUTH, which aiosmtpd requires before MAIL
        relay.in_flight += 1
        relay.idle.clear()
        try:
            verdict: Verdict = await up.deliver(envelope.mail_from or "", list(envelope.rcpt_tos), data,
                                                list(envelope.mail_options))
        finally:
            relay.in_flight -= 1
            if relay.in_flight == 0:
                relay.idle.set()
        relay.log.secrets[:] = list(dict.fromkeys(relay.log.secrets + up.secrets))
        ms = (time.perf_counter() - t0) * 1000
        relay.log.write(f"{server.tag} message from=<{envelope.mail_from}> to={len(envelope.rcpt_tos)} "
                        f"size={len(data)} account={server.account} upstream={verdict.reply()[:160]!r} ms={ms:.1f}")
        relay.delivered += verdict.ok
        return verdict.reply()


class Relay:
    """The relay: a listening aiosmtpd server on its own event loop (thread or main), worker threads upstream."""

    def __init__(self, ini: str | Path, stored: dict[str, str], *, host: str = "127.0.0.1", port: int = 1587,
                 tls: Any = None, debug: bool = False, log: RelayLog | None = None, timeout: float = 30,
                 max_sessions: int = 64, pool_idle: float = POOL_IDLE_SECONDS) -> None:
        check_listen(host, tls)
        self.ini = str(ini)
        self.host, self.port, self.tls = host, port, tls
        self.debug = debug
        self.timeout = timeout
        self.verifier = Verifier(stored)
        from .. import tokenfile

        tf = tokenfile.read(ini)
        by_login = {acc.email.lower(): acc.email for acc in tf.accounts.values()}
        self.account_of = {login: by_login.get(login, login) for login in stored}
        self.log = log or RelayLog()
        self.executor = ThreadPoolExecutor(max_workers=max_sessions, thread_name_prefix="oauthmail-relay")
        #: Logged-in upstream connections kept between client sessions (see :class:`~.upstream.Pool`).
        self.pool = Pool(self.executor, idle=pool_idle)
        self.in_flight = 0
        self.stopping = False
        self.drained = False
        self.idle = asyncio.Event()
        self.delivered = 0
        self._sessions = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    def _factory(self) -> RelaySMTP:
        self._sessions += 1
        with warnings.catch_warnings():  # loopback without TLS is deliberate (checked in __init__)
            warnings.simplefilter("ignore")
            smtp = RelaySMTP(Handler(self), hostname="oauthmail-relay", ident="oauthmail relay",
                             authenticator=Handler(self).authenticate, auth_required=True,
                             auth_require_tls=self.tls is not None, tls_context=self.tls,
                             require_starttls=self.tls is not None, auth_exclude_mechanism=[],
                             data_size_limit=50 * 1024 * 1024, loop=self.loop)
        smtp.relay = self
        smtp.tag = f"[s{self._sessions}]"
        return smtp

    async def _start(self) -> None:
        import logging

        # aiosmtpd's own logger would print a warning per session (loopback without TLS is deliberate) and, at
        # debug level, client lines; the relay writes its own masked lines instead.
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        self.loop = asyncio.get_running_loop()
        self.idle = asyncio.Event()
        self.idle.set()
        self._stopped = asyncio.Event()
        self.server = await self.loop.create_server(self._factory, self.host, self.port)
        sock = self.server.sockets[0]
        self.port = int(sock.getsockname()[1])
        logins = ", ".join(sorted(self.account_of.values()))
        mode = "STARTTLS required" if self.tls else "loopback, no TLS"
        self.log.write(f"listening on {self.host}:{self.port} ({mode}); accounts: {logins}")

    async def _drain(self) -> None:
        assert self.server is not None
        self.stopping = True
        self.server.close()  # no new connections; messages in progress go on, new ones get 421
        self.pool.close_all()
        self.log.write(f"stopping: waiting for {self.in_flight} message(s) in flight")
        try:
            await asyncio.wait_for(self.idle.wait(), DRAIN_SECONDS)
        except asyncio.TimeoutError:
            self.log.write("stopping: messages still in flight after the wait; their clients get no reply")
        self.drained = True
        self.log.write(f"stopped ({self.delivered} message(s) delivered)")

    async def run(self, install_signals: bool = True) -> None:
        """Serve until SIGTERM/SIGINT (or :meth:`request_stop`), then finish the messages in flight."""
        await self._start()
        assert self.loop is not None and self._stopped is not None
        if install_signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                try:
                    self.loop.add_signal_handler(sig, self._stopped.set)
                except (NotImplementedError, RuntimeError):  # Windows / not the main thread
                    pass
        await self._stopped.wait()
        await self._drain()
        self.executor.shutdown(wait=True)

    def request_stop(self) -> None:
        if self.loop is not None and self._stopped is not None:
            self.loop.call_soon_threadsafe(self._stopped.set)

    # -- in a background thread (tests, benchmark, notebooks) ------------------------------------

    def start(self) -> Relay:
        ready = threading.Event()
        failure: list[BaseException] = []

        async def main() -> None:
            try:
                await self._start()
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                return
            ready.set()
            assert self._stopped is not None
            await self._stopped.wait()
            await self._drain()

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True, name="oauthmail-relay")
        self._thread.start()
        ready.wait(30)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        self.request_stop()
        if self._thread is not None:
            self._thread.join(DRAIN_SECONDS + 5)
        self.executor.shutdown(wait=True)

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
