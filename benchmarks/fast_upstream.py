"""A minimal, fast SMTP submission server for benchmarks: STARTTLS (or implicit TLS), AUTH XOAUTH2, PIPELINING.

It accepts any bearer token and throws every message away after counting it, so what a benchmark
measures is the client's (or the relay's) own cost, not the sandbox's (aiosmtpd + mailbox writes).
Shared by the benchmarks in this folder (the relay benchmark; the send benchmark may use it too)::

    from fast_upstream import FastUpstream
    with FastUpstream(cert_file, key_file) as up:       # a separate process; up.port, up.count()
        ...

Not a mail server: no queue, no checks beyond the command order a client must follow.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import ssl
from multiprocessing.sharedctypes import Synchronized
from types import TracebackType

EHLO_PLAIN = b"250-fast.local\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 STARTTLS\r\n"
EHLO_TLS = b"250-fast.local\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 AUTH XOAUTH2 OAUTHBEARER\r\n"


async def _session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, ctx: ssl.SSLContext,
                   counter: Synchronized, implicit: bool) -> None:  # type: ignore[type-arg]
    tls = implicit
    writer.write(b"220 fast.local ESMTP ready\r\n")
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                writer.write(EHLO_TLS if tls else EHLO_PLAIN)
            elif verb == b"STAR" and not tls:
                writer.write(b"220 2.0.0 Ready to start TLS\r\n")
                await writer.drain()
                await writer.start_tls(ctx)
                tls = True
            elif verb == b"AUTH":
                if len(line.split()) < 3:
                    writer.write(b"334 \r\n")
                    await writer.drain()
                    await reader.readline()
                writer.write(b"235 2.7.0 Accepted\r\n")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                writer.write(b"250 2.1.0 OK\r\n")
            elif verb == b"DATA":
                writer.write(b"354 Go ahead\r\n")
                await writer.drain()
                await reader.readuntil(b"\r\n.\r\n")
                with counter.get_lock():
                    counter.value += 1
                    n = counter.value
                writer.write(b"250 2.0.0 OK <%d@fast.local>\r\n" % n)
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 Bye\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"502 5.5.2 Not implemented\r\n")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
        return
    finally:
        writer.close()


def _serve(cert: str, key: str, port_out: Synchronized, counter: Synchronized,  # type: ignore[type-arg]
           implicit: bool, ready: mp.synchronize.Event) -> None:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)

    async def main() -> None:
        server = await asyncio.start_server(lambda r, w: _session(r, w, ctx, counter, implicit), "127.0.0.1", 0,
                                            ssl=ctx if implicit else None)
        port_out.value = server.sockets[0].getsockname()[1]
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


class FastUpstream:
    """The responder in its own process (so it does not share the measured process's GIL)."""

    def __init__(self, cert_file: str, key_file: str, *, implicit_tls: bool = False) -> None:
        ctx = mp.get_context("spawn")
        self._port = ctx.Value("i", 0)
        self._count = ctx.Value("l", 0)
        self._ready = ctx.Event()
        self._proc = ctx.Process(target=_serve, args=(cert_file, key_file, self._port, self._count, implicit_tls,
                                                      self._ready), daemon=True)

    @property
    def port(self) -> int:
        return int(self._port.value)

    def count(self) -> int:
        return int(self._count.value)

    def start(self) -> FastUpstream:
        self._proc.start()
        if not self._ready.wait(30):
            raise RuntimeError("the fast upstream did not start")
        return self

    def stop(self) -> None:
        self._proc.terminate()
        self._proc.join(10)

    def __enter__(self) -> FastUpstream:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
