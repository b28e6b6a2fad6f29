"""aiosmtpd's :class:`~aiosmtpd.smtp.SMTP` with two of its per-message costs taken out, same replies and results.

The relay answers every client command itself, so aiosmtpd's own work per message is on the path of
every message (README, Performance). Two parts of it cost more than the relay's whole upstream work:

* ``_getaddr`` (MAIL and RCPT): :mod:`email`'s header parser takes ~30 µs per address, and aiosmtpd
  1.4 also defines a ``typing.Protocol`` class on every call. A plain ``<local@domain>`` (dot-atoms
  only, ASCII) is taken with one regular expression; anything else still goes to the same parser.
* DATA: aiosmtpd reads the content one line per ``readuntil`` and per loop turn (28 for a short
  message). :meth:`LeanSMTP.smtp_DATA` reads up to each ``.<CRLF>`` (a line ending in a dot is the
  only place the end can be) or one stream-limit's worth at a time, then applies aiosmtpd's rules
  to the whole: the lone dot ends it, a line over ``line_length_limit`` → ``500``, more than
  ``data_size_limit`` → ``552`` (content dropped at once, as aiosmtpd does), dots unstuffed.

``tests/test_relay_smtpd.py`` drives this class and aiosmtpd's own over real sockets with the same
inputs and compares what each handler received and what each client was told.
"""

from __future__ import annotations

import asyncio
import re
from email._header_value_parser import get_addr_spec, get_angle_addr
from email.errors import HeaderParseError

from aiosmtpd.smtp import MISSING, SMTP, log

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
#: ``<dot-atom@dot-atom>`` and what follows it: the one shape taken without :mod:`email`'s parser.
_SIMPLE_ANGLE = re.compile(rf"<({_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*)>")

TOO_LONG = "500 Line too long (see RFC5321 4.5.3.1.6)"
TOO_MUCH = "552 Error: Too much mail data"


class LeanSMTP(SMTP):
    """aiosmtpd's SMTP; ``_getaddr`` and the reading of DATA's content done with fewer Python steps."""

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """aiosmtpd 1.4's address parsing: same parser and results, a regular expression for ``<a@b.c>``."""
        if not arg:
            return "", ""
        m = _SIMPLE_ANGLE.match(arg)
        if m is not None:
            rest = arg[m.end():]
            if rest[:1] in (" ", "\t"):
                rest = rest.lstrip()  # the parser's trailing CFWS (a comment would follow: parse it)
            if rest[:1] != "(":
                addr = m.group(1)
                if self.local_part_limit and len(addr.rpartition("@")[0]) > self.local_part_limit:
                    return None, None
                return addr, rest
        try:
            address, rest = (get_angle_addr if arg.lstrip().startswith("<") else get_addr_spec)(arg)
        except HeaderParseError:
            return None, None
        addr = str(address.addr_spec)
        if self.local_part_limit and len(addr.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return addr, str(rest)

    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd 1.4.6's ``smtp_DATA`` (same checks, replies and hooks) with the content read in pieces."""
        if await self.check_helo_needed():
            return
        if await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        await self.data_started()
        problem, original_content = await self._read_content()
        if problem:
            await self.push(problem)
            self._set_post_data_state()  # type: ignore[no-untyped-call]
            return
        content: str | bytes = original_content
        if self._decode_data:
            if self.enable_SMTPUTF8:
                content = original_content.decode("utf-8", errors="surrogateescape")
            else:
                try:
                    content = original_content.decode("ascii", errors="strict")
                except UnicodeDecodeError:
                    await self.push("500 Error: strict ASCII mode")
                    return
        self.envelope.content = content
        self.envelope.original_content = original_content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()  # type: ignore[no-untyped-call]
        await self.push("250 OK" if status is MISSING else status)

    async def data_started(self) -> None:
        """Called once the client has its ``354`` and is sending the content (the relay writes upstream here)."""

    async def _read_content(self) -> tuple[str, bytes]:
        """The content up to the lone dot: ``("", unstuffed bytes)`` or ``(error reply, b"")``."""
        reader = self._reader
        limit = self.data_size_limit
        parts: list[bytes] = []
        size = 0  # what aiosmtpd counts against the limit: every line before the lone dot, stuffing included
        tail = b"\r\n"  # the last two bytes so far; the DATA line's CRLF comes before the first line
        problem = ""
        while self.transport is not None:  # pragma: nobranch (a lost connection cancels this coroutine)
            try:
                piece = await reader.readuntil(b".\r\n")
                body = piece[:-3]
                end = (body[-2:] if len(body) >= 2 else (tail + body)[-2:]) == b"\r\n"
            except asyncio.LimitOverrunError as exc:  # no ".\r\n" within the stream limit: take what is there
                piece = await reader.read(exc.consumed)
                end = False
            except asyncio.CancelledError:
                log.info("Connection lost during DATA")
                self._writer.close()
                raise
            if end:
                piece = body
            size += len(piece)
            if not problem:
                parts.append(piece)
                if limit and size > limit:  # aiosmtpd's verdict, once the line that crossed the limit is complete
                    data = b"".join(parts)
                    parts = [data]
                    problem = _over_limit(data, limit, self.line_length_limit)
                    if problem:
                        parts.clear()  # dropped at once, as aiosmtpd does
            tail = (tail + piece)[-2:] if len(piece) < 2 else piece[-2:]
            if end:
                break
        if problem:
            return problem, b""
        data = b"".join(parts)
        if _too_long(data, self.line_length_limit):
            return TOO_LONG, b""
        if data.startswith(b"."):  # RFC 5321 4.5.2: a leading dot is removed from every line
            data = data[1:]
        return "", data.replace(b"\r\n.", b"\r\n")


def _over_limit(data: bytes, limit: int, line_length_limit: int) -> str:
    """aiosmtpd's answer for content over ``limit`` (its lines are counted in order): "" while it cannot tell yet.

    A too-long line reached before or at the limit → ``500``; the limit crossed by normal lines → ``552``.
    """
    total = 0
    lines = data.split(b"\r\n")
    for line in lines[:-1]:
        if len(line) > line_length_limit:  # aiosmtpd's reader overruns before it counts the line
            return TOO_LONG
        total += len(line) + 2
        if total > limit:
            return TOO_MUCH
        if len(line) + 2 > line_length_limit:
            return TOO_LONG
    return TOO_LONG if len(lines[-1]) > line_length_limit else ""


def _too_long(data: bytes, line_length_limit: int) -> bool:
    """A line longer than aiosmtpd allows (its limit counts the CRLF)."""
    if len(data) <= line_length_limit:
        return False
    return max(map(len, data.split(b"\r\n"))) + 2 > line_length_limit
