"""The relay's LeanSMTP against aiosmtpd's own SMTP: same inputs over real sockets, same replies and same content."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP

from oauthmail.relay.smtpd import LeanSMTP


class Keep:
    def __init__(self) -> None:
        self.got: list[tuple[Any, Any, str | None, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.got.append((envelope.original_content, envelope.content, envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 2.0.0 kept"


class _Server:
    """An aiosmtpd server class on its own event loop in a thread, on a free loopback port."""

    def __init__(self, cls: type[SMTP], handler: Keep, **kwargs: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def listen() -> Any:
            return await self.loop.create_server(lambda: cls(handler, **kwargs), "127.0.0.1", 0)

        self.server = asyncio.run_coroutine_threadsafe(listen(), self.loop).result(10)
        self.port = int(self.server.sockets[0].getsockname()[1])

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(params=[{}, {"data_size_limit": 3000}, {"decode_data": True}], ids=["default", "small", "decode"])
def servers(request: Any) -> Iterator[dict[str, tuple[int, Keep]]]:
    out: dict[str, tuple[int, Keep]] = {}
    running = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # aiosmtpd warns about auth without TLS
        for name, cls in (("aiosmtpd", SMTP), ("lean", LeanSMTP)):
            keep = Keep()
            srv = _Server(cls, keep, **request.param)
            running.append(srv)
            out[name] = (srv.port, keep)
    yield out
    for srv in running:
        srv.stop()


def _read_reply(f: Any) -> bytes:
    line = f.readline()
    while line[3:4] == b"-":
        line = f.readline()
    return line.strip()


def _session(port: int, pieces: list[bytes], then: bytes = b"") -> list[bytes]:
    """EHLO, MAIL, RCPT, DATA, then the content in ``pieces`` (sent apart), then ``then``; every reply."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    replies = [_read_reply(f)]
    for cmd in (b"EHLO me", b"MAIL FROM:<a@example.com>", b"RCPT TO:<b@example.com>", b"DATA"):
        s.sendall(cmd + b"\r\n")
        replies.append(_read_reply(f))
    for piece in pieces:
        s.sendall(piece)
        time.sleep(0.02)  # separate reads on the server side
    replies.append(_read_reply(f))
    if then:
        s.sendall(then)
        for _ in range(then.count(b"\r\n")):
            replies.append(_read_reply(f))
    s.close()
    return replies


LONG = b"x" * 5000
CASES: dict[str, list[bytes]] = {
    "plain": [b"Subject: hi\r\n\r\nhello\r\n.\r\n"],
    "empty": [b".\r\n"],
    "empty line only": [b"\r\n.\r\n"],
    "dots": [b".starts with a dot\r\n..\r\n...three\r\nends with a dot.\r\n.\r\n"],
    "line ending in dot last": [b"a.\r\nb.\r\n.\r\n"],
    "bare LF and CR": [b"a\nb\rc\r\n.\nnot the end\r\n.\r\n"],
    "split terminator": [b"Subject: x\r\n\r\nbody\r", b"\n.", b"\r", b"\n"],
    "split after dot line": [b"one\r\n.", b"two\r\n.\r\n"],
    "999 bytes": [b"y" * 999 + b"\r\n.\r\n"],
    "1000 bytes": [b"y" * 1000 + b"\r\n.\r\n"],
    "long line then more": [b"before\r\n" + LONG + b"\r\nafter\r\n.\r\n"],
    "long line in pieces": [LONG[:1500], LONG[1500:] + b"\r\n.\r\n"],
    "big": [b"".join(b"line %d of many.\r\n..dotted %d\r\n" % (i, i) for i in range(3000)) + b".\r\n"],
    "big in pieces": [b"".join(b"l%d.\r\n" % i for i in range(800)), b"".join(b".d%d\r\n" % i for i in range(800)),
                      b"tail\r\n.\r\n"],
    "8bit": ["Subject: ünïcode\r\n\r\nこんにちは\r\n.\r\n".encode()],
    "just over 3000": [b"z" * 70 + b"\r\n"] * 42 + [b".\r\n"],
    "long line across 3000": [b"z" * 70 + b"\r\n"] * 30 + [LONG + b"\r\n.\r\n"],
    "1000 bytes across 3000": [b"z" * 70 + b"\r\n"] * 29 + [b"y" * 1000 + b"\r\n.\r\n"],
}


@pytest.mark.parametrize("case", list(CASES))
def test_data_content_and_replies_match_aiosmtpd(servers: dict[str, tuple[int, Keep]], case: str) -> None:
    results = {}
    for name, (port, keep) in servers.items():
        results[name] = (_session(port, CASES[case]), keep.got)
    assert results["lean"] == results["aiosmtpd"]


def test_commands_pipelined_after_the_final_dot_are_read(servers: dict[str, tuple[int, Keep]]) -> None:
    then = (b"MAIL FROM:<c@example.com>\r\nRCPT TO:<d@example.com>\r\nDATA\r\n.x\r\nsecond.\r\n.\r\nNOOP\r\n"
            b"QUIT\r\n")
    results = {}
    for name, (port, keep) in servers.items():
        results[name] = (_session(port, [b"first\r\n.\r\n"], then), keep.got)
    assert results["lean"] == results["aiosmtpd"]
    assert len(results["lean"][1]) == 2


def test_address_parsing_matches_aiosmtpd() -> None:
    ours, theirs = LeanSMTP.__new__(LeanSMTP), SMTP.__new__(SMTP)
    args = ["", "<a@example.com>", "<a@example.com> SIZE=10", "<a@example.com>  SIZE=10 BODY=8BITMIME",
            "<a@example.com>\tBODY=8BITMIME", "<a@example.com>(comment) SIZE=1", "<a@example.com> (c) SIZE=1",
            "<a@example.com>x", "<A+tag.x@Example.COM>", "<a..b@c.d>", "<.a@b.c>", "<a@b.c.>", "<ä@b.c>",
            "a@example.com", " <x@[1.2.3.4]>", '<"q r"@example.com>', "<bad", "<>", "longlocalpart@example.com",
            "<longlocalpart@example.com>", "@@", "<a@b>", "<@relay:a@b.c>", "<a@b.c> \x0bSIZE=1"]
    for limit in (0, 5):
        ours.local_part_limit = theirs.local_part_limit = limit
        for arg in args:
            assert ours._getaddr(arg) == theirs._getaddr(arg), arg
