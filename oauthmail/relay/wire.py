"""The kit's logged-in upstream connection, driven from the relay's event loop (no worker thread per message).

The kit's :class:`~oauthmail.mailer.Mailer` opens the connection in a worker thread — connect, STARTTLS,
the XOAUTH2 login with its refresh-once rule — because that code is blocking. Once it is logged in,
the messages themselves only write lines and read replies, and handing each message to a thread and
back cost more than the upstream's own round trips (see README, Performance). So :class:`Wire` takes
the connection's socket (an ``ssl.SSLSocket``, kept as is: no second handshake), switches it to
non-blocking mode and waits for it with the event loop's ``add_reader``/``add_writer``.
:meth:`Wire.release` hands it back to blocking mode (for ``QUIT``, or to the thread for a reconnect).

Not an SMTP implementation: it moves lines and replies; the relay's rules are in :mod:`.upstream`.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from typing import Any

#: A reply line longer than this is not SMTP (smtplib's own limit).
MAX_LINE = 8192


class Wire:
    """Lines out, replies in, on a connected (and logged-in) socket; every wait bounded by ``timeout``."""

    def __init__(self, conn: smtplib.SMTP, timeout: float) -> None:
        if conn.sock is None:
            raise smtplib.SMTPServerDisconnected("not connected")
        self.sock: Any = conn.sock
        sock: Any = conn.sock
        self.timeout = timeout
        self.loop = asyncio.get_running_loop()
        self.fd = sock.fileno()
        self.buf = bytearray()
        self._waiter: asyncio.Future[None] | None = None
        sock.setblocking(False)
        pending = conn.file  # anything smtplib had already read past the login's last reply
        if pending is not None:
            try:
                self.buf += pending.peek(MAX_LINE)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                pass

    async def _wait(self, readable: bool) -> None:
        fut: asyncio.Future[None] = self.loop.create_future()

        def ready() -> None:
            if not fut.done():
                fut.set_result(None)

        def late() -> None:
            if not fut.done():
                fut.set_exception(TimeoutError(f"no answer from upstream in {self.timeout:.0f} s"))

        (self.loop.add_reader if readable else self.loop.add_writer)(self.fd, ready)
        timer = self.loop.call_later(self.timeout, late)
        self._waiter = fut
        try:
            await fut
        finally:
            self._waiter = None
            timer.cancel()
            (self.loop.remove_reader if readable else self.loop.remove_writer)(self.fd)

    async def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            try:
                n = self.sock.send(view)
            except (ssl.SSLWantWriteError, BlockingIOError):
                await self._wait(readable=False)
                continue
            except ssl.SSLWantReadError:
                await self._wait(readable=True)
                continue
            view = view[n:]

    async def _fill(self) -> None:
        while True:
            try:
                chunk = self.sock.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                await self._wait(readable=True)
                continue
            except ssl.SSLWantWriteError:
                await self._wait(readable=False)
                continue
            if not chunk:
                raise smtplib.SMTPServerDisconnected("upstream closed the connection")
            self.buf += chunk
            return

    async def readline(self) -> bytes:
        while True:
            end = self.buf.find(b"\n")
            if end >= 0:
                line = bytes(self.buf[:end + 1])
                del self.buf[:end + 1]
                return line
            if len(self.buf) > MAX_LINE:
                raise smtplib.SMTPServerDisconnected("upstream sent a line too long for SMTP")
            await self._fill()

    async def getreply(self) -> tuple[int, bytes]:
        """One reply, multi-line joined with ``\\n`` — as :meth:`smtplib.SMTP.getreply` returns it."""
        lines: list[bytes] = []
        while True:
            line = await self.readline()
            code, sep, text = line[:3], line[3:4], line[4:].strip(b" \t\r\n")
            if not code.isdigit():
                raise smtplib.SMTPServerDisconnected("upstream sent something that is not an SMTP reply")
            lines.append(text)
            if sep != b"-":
                return int(code), b"\n".join(lines)

    def release(self) -> None:
        """Back to blocking mode with the kit's time-out; the loop stops watching the socket (call on the loop)."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.cancel()
        self.loop.remove_reader(self.fd)
        self.loop.remove_writer(self.fd)
        try:
            self.sock.settimeout(self.timeout)
        except OSError:  # already closed
            pass
