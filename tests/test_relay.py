"""`oauthmail relay`: real sockets, aiosmtpd in front, the sandbox's XOAUTH2-only server (or Graph) behind."""

from __future__ import annotations

import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sandbox_fixtures import *  # noqa: F403
from test_core_support import GOOGLE_USER, MS_USER, secrets_in, write_ini

from oauthmail import tokenfile
from oauthmail.errors import ConfigError
from oauthmail.relay import Relay, RelayLog, logins, set_password
from oauthmail.relay.listen import check_listen, parse_listen
from oauthmail.relay.passwords import hash_password, verify_password


def msg(sender: str, subject: str, to: str = "bob@example.com") -> bytes:
    return f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n".encode()


class Running:
    def __init__(self, relay: Relay, password: str, log: RelayLog, ini: Path) -> None:
        self.relay, self.password, self.log, self.ini = relay, password, log, ini

    @property
    def port(self) -> int:
        return self.relay.port

    def client(self, user: str = GOOGLE_USER, password: str | None = None) -> smtplib.SMTP:
        c = smtplib.SMTP("127.0.0.1", self.port, timeout=30)
        c.login(user, self.password if password is None else password)
        return c

    def all_secrets(self) -> list[str]:
        return [*secrets_in(self.ini), self.password]


class _Sink:
    def write(self, s: str) -> int:
        return len(s)

    def flush(self) -> None:
        pass


def start_relay(ini: Path, account: str = GOOGLE_USER, debug: bool = False) -> Running:
    _, password = set_password(ini, account)
    log = RelayLog(_Sink())  # type: ignore[arg-type]
    relay = Relay(ini, logins(ini), port=0, log=log, debug=debug).start()
    return Running(relay, password, log, ini)


@pytest.fixture
def relay(sandbox: Any, tmp_path: Path) -> Iterator[Running]:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    r = start_relay(ini, debug=True)
    try:
        yield r
    finally:
        r.relay.stop()
        for line in r.log.lines:  # secrets searched in every log line (debug transcripts included)
            for s in r.all_secrets():
                assert s not in line, line


def test_plain_smtplib_auth_plain_reaches_an_xoauth2_only_server(sandbox: Any, relay: Running) -> None:
    with relay.client() as c:
        assert c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "one")) == {}
        c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "two"))
    got = sandbox.mailbox.messages()
    assert [m["Subject"] for m in got] == ["one", "two"]
    assert all(m["X-Sandbox-Authenticated-User"] == GOOGLE_USER for m in got)
    # one upstream connection for the session's two messages, the transaction pipelined (RFC 2920)
    assert sum("connect " in line for line in relay.log.lines) == 1
    assert any("MAIL FROM:<alice@example.com>" in line and "RCPT TO:<bob@example.com>" in line and "DATA" in line
               for line in relay.log.lines)
    lines = [line for line in relay.log.lines if " message from=" in line]
    assert len(lines) == 2 and all("upstream='250" in line and "ms=" in line and "to=1" in line for line in lines)


def test_auth_login_too(sandbox: Any, relay: Running) -> None:
    c = smtplib.SMTP("127.0.0.1", relay.port, timeout=30)
    c.ehlo()
    c.user, c.password = GOOGLE_USER, relay.password
    code, _ = c.auth("LOGIN", c.auth_login, initial_response_ok=False)
    assert code == 235
    c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "login"))
    c.quit()
    assert sandbox.mailbox.messages()[0]["Subject"] == "login"


def test_wrong_relay_password_is_535_without_upstream_contact(sandbox: Any, tmp_path: Path) -> None:
    from oauthmail.sandbox.lifecycle import bind_stable

    upstream = socket.socket()
    # Below the ephemeral range, as the sandbox's own ports: a stray reconnect aimed at an old ephemeral port
    # (an ended kernel's ZMQ socket, say) cannot land here and pass for the relay's contact (seen once in CI).
    bind_stable(lambda port: upstream.bind(("127.0.0.1", port)))
    upstream.listen(5)
    upstream.settimeout(0.5)
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, extra={"smtp_port": str(upstream.getsockname()[1])})
    text = ini.read_text().replace(f"smtp_port = {sandbox.smtp_starttls_port}\n", "")
    ini.write_text(text)
    r = start_relay(ini)
    before = len(sandbox.token_requests)
    try:
        c = smtplib.SMTP("127.0.0.1", r.port, timeout=10)
        with pytest.raises(smtplib.SMTPAuthenticationError) as info:
            c.login(GOOGLE_USER, "not-the-password")
        assert info.value.smtp_code == 535
        code, _ = c.mail(GOOGLE_USER)
        assert code == 530  # no MAIL without a login
        c.close()
        with pytest.raises(socket.timeout):
            upstream.accept()  # nobody connected upstream
        assert len(sandbox.token_requests) == before
    finally:
        r.relay.stop()
        upstream.close()
    assert any("refused" in line and "no upstream contact" in line for line in r.log.lines)
    assert all("not-the-password" not in line for line in r.log.lines)


def test_cached_token_refused_535_refreshes_once_and_delivers(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    tokenfile.update_account(ini, GOOGLE_USER, access_token="ya29.revoked-early-" + "x" * 30)
    r = start_relay(ini)
    try:
        with r.client() as c:
            c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "after refresh"))
    finally:
        r.relay.stop()
    assert [m["Subject"] for m in sandbox.mailbox.messages()] == ["after refresh"]
    assert len(sandbox.token_requests) == 1
    assert not tokenfile.read(ini).account().access_token.startswith("ya29.revoked-early-")


def test_upstream_drop_mid_data_gives_4xx_and_no_duplicate(sandbox: Any, relay: Running) -> None:
    sandbox.set_fault("smtp_drop_after", 0)
    with relay.client() as c:
        with pytest.raises(smtplib.SMTPDataError) as info:
            c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "dropped"))
        assert 400 <= info.value.smtp_code < 500
        assert sandbox.mailbox.messages() == []
        sandbox.set_fault("smtp_drop_after", None)
        c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "dropped"))  # the client's own retry
    assert [m["Subject"] for m in sandbox.mailbox.messages()] == ["dropped"]


def test_upstream_down_is_4xx_at_once(sandbox: Any, tmp_path: Path) -> None:
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    tokenfile.update_account(ini, GOOGLE_USER, smtp_port=port)
    r = start_relay(ini)
    try:
        with r.client() as c:
            t0 = time.perf_counter()
            with pytest.raises(smtplib.SMTPDataError) as info:
                c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "x"))
            assert time.perf_counter() - t0 < 5
        assert info.value.smtp_code == 451 and b"4.4.1" in info.value.smtp_error
    finally:
        r.relay.stop()


def test_refused_recipient_refuses_the_whole_message(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, "microsoft")
    r = start_relay(ini, MS_USER)
    try:
        with r.client(MS_USER) as c:
            with pytest.raises(smtplib.SMTPDataError) as info:  # Exchange: SendAsDenied for another From
                c.sendmail("someone@else.example", ["bob@example.com"], msg("someone@else.example", "x"))
            assert info.value.smtp_code >= 500
    finally:
        r.relay.stop()
    assert sandbox.mailbox.messages() == []


def test_twenty_concurrent_sessions_one_token_request(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, cached=False)
    r = start_relay(ini)
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)

    def one(i: int) -> None:
        try:
            with r.client() as c:
                barrier.wait(30)
                c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, f"c{i}"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    r.relay.stop()
    assert errors == []
    assert sorted(m["Subject"] for m in sandbox.mailbox.messages()) == sorted(f"c{i}" for i in range(20))
    assert len(sandbox.token_requests) == 1


def test_graph_account_goes_through_graph(sandbox: Any, tmp_path: Path) -> None:
    from test_transport_e2e import ms_ini

    ini = ms_ini(sandbox, tmp_path, transport="graph")
    r = start_relay(ini, MS_USER)
    try:
        with r.client(MS_USER) as c:
            c.sendmail(MS_USER, ["bob@example.com", "hidden@example.com"], msg(MS_USER, "via graph"))
    finally:
        r.relay.stop()
    (m,) = sandbox.mailbox.messages()
    assert m["X-Sandbox-Transport"] == "graph" and "hidden@example.com" in m["X-Sandbox-Envelope-To"]


def test_listen_rules() -> None:
    assert parse_listen("127.0.0.1:1587") == ("127.0.0.1", 1587)
    assert parse_listen("[::1]:25") == ("::1", 25)
    with pytest.raises(ConfigError):
        parse_listen("nonsense")
    check_listen("127.0.0.1", None)
    check_listen("::1", None)
    with pytest.raises(ConfigError) as info:
        check_listen("0.0.0.0", None)
    assert info.value.code == "relay_needs_tls"


def test_password_hash_round_trip() -> None:
    stored = hash_password("correct horse", n=2**10)
    assert verify_password("correct horse", stored) and not verify_password("wrong", stored)
    assert not verify_password("x", "garbage") and "correct horse" not in stored


def kit(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oauthmail", *args], capture_output=True, text=True, timeout=60, **kw)


def test_cli_refuses_other_address_without_tls(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    set_password(ini)
    p = kit("relay", "--ini", str(ini), "--listen", "0.0.0.0:0")
    assert p.returncode != 0 and "error: " in p.stderr and "hint: " in p.stderr and "--tls-cert" in p.stderr
    p = kit("relay", "--ini", str(ini), "--listen", "127.0.0.1:0", "--tls-cert", str(tmp_path / "missing.pem"))
    assert p.returncode != 0 and "hint: " in p.stderr and "Traceback" not in p.stderr


def test_cli_no_password_yet_says_how(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    p = kit("relay", "--ini", str(ini), "--listen", "127.0.0.1:0")
    assert p.returncode != 0 and "--new-password" in p.stderr


@pytest.mark.skipif(not shutil.which("swaks"), reason="Debian's swaks is not installed")
def test_cli_relay_with_swaks_check_and_sigterm(sandbox: Any, tmp_path: Path) -> None:
    from test_export import KIT

    from oauthmail.export import write_export
    from tests.sandbox_fixtures import free_port

    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, cached=False)
    p = kit("relay", "--ini", str(ini), "--account", GOOGLE_USER, "--new-password")
    assert p.returncode == 0, p.stderr
    password = p.stdout.split(": ", 1)[1].split()[0]
    assert password not in ini.read_text()
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "oauthmail", "relay", "--ini", str(ini), "--listen",
                             f"127.0.0.1:{port}", "--debug"], stderr=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert "listening on" in first, first
        assert kit("relay", "--check", "--listen", f"127.0.0.1:{port}").returncode == 0
        (script,) = write_export(ini, "swaks", out=tmp_path / "sw.sh", kit=KIT, relay=("127.0.0.1", port)).paths
        env = {**os.environ, "OAUTHMAIL_RELAY_PASSWORD": password}
        s = subprocess.run(["sh", str(script), "bob@example.com", "--header", "Subject: via swaks"], env=env,
                           capture_output=True, text=True, timeout=60)
        assert s.returncode == 0, s.stdout + s.stderr
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    log = first + err
    assert "stopped (1 message(s) delivered)" in log and "AUTH XOAUTH2 *****" in log
    for secret in [*secrets_in(ini), password]:
        assert secret not in log + out
    (m,) = sandbox.mailbox.messages()
    assert m["Subject"] == "via swaks"
    down = kit("relay", "--check", "--listen", f"127.0.0.1:{port}")
    assert down.returncode != 0 and "hint: " in down.stderr


class RefusingUpstream:
    """An aiosmtpd STARTTLS server (the sandbox's certificate) that takes any XOAUTH2 login, advertises
    PIPELINING and refuses one recipient — to check the relay's all-or-nothing rule."""

    def __init__(self, sandbox: Any, refuse: str) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import SMTP, AuthResult

        from oauthmail.sandbox.certs import cert_paths, server_context

        outer = self
        self.delivered: list[list[str]] = []
        self.quits = 0
        ctx = server_context(cert_paths(sandbox.state_dir))

        class Handler:
            async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                                  responses: list[str]) -> list[str]:
                session.host_name = hostname
                return [*responses[:-1], "250-PIPELINING", responses[-1]]

            async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                                  options: list[str]) -> str:
                if address == refuse:
                    return "550 5.1.1 no such user"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                outer.delivered.append(list(envelope.rcpt_tos))
                return "250 2.0.0 OK"

            async def auth_XOAUTH2(self, server: Any, args: list[str]) -> Any:
                return AuthResult(success=True, handled=False, auth_data="x")

            async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
                outer.quits += 1
                return "221 Bye"

        self.sessions: list[SMTP] = []

        class C(Controller):
            def factory(self) -> SMTP:
                smtp = SMTP(self.handler, tls_context=ctx, require_starttls=True, auth_require_tls=True,
                            hostname="refusing.local")
                outer.sessions.append(smtp)
                return smtp

        from tests.sandbox_fixtures import free_port

        self.port = free_port()
        self.controller = C(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def open_sessions(self) -> list[Any]:
        return [s for s in self.sessions if s.transport is not None]

    def close_sessions(self, notice: bytes = b"") -> None:
        """Upstream ends every connection on its side (with a last line first, e.g. a time-out 421)."""
        def close() -> None:
            for s in self.open_sessions():
                if notice:
                    s.transport.write(notice)
                s.transport.close()

        self.controller.loop.call_soon_threadsafe(close)
        deadline = time.time() + 10
        while self.open_sessions() and time.time() < deadline:
            time.sleep(0.02)

    def stop(self) -> None:
        self.controller.stop()


def test_a_refused_recipient_sends_to_nobody_with_pipelining(sandbox: Any, tmp_path: Path) -> None:
    up = RefusingUpstream(sandbox, "nobody@example.com")
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    tokenfile.update_account(ini, GOOGLE_USER, smtp_port=up.port)
    r = start_relay(ini, debug=True)
    try:
        with r.client() as c:
            with pytest.raises(smtplib.SMTPDataError) as info:
                c.sendmail(GOOGLE_USER, ["bob@example.com", "nobody@example.com"], msg(GOOGLE_USER, "x"))
            assert info.value.smtp_code == 550 and b"nobody@example.com" in info.value.smtp_error
            assert up.delivered == []  # the accepted recipient got nothing either
            c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "y"))  # the session goes on
    finally:
        r.relay.stop()
        up.stop()
    assert up.delivered == [["bob@example.com"]]
    assert any("MAIL FROM:" in line and "RCPT TO:" in line for line in r.log.lines)  # it was pipelined


def test_with_tls_the_relay_requires_starttls_before_auth(sandbox: Any, tmp_path: Path) -> None:
    import ssl

    from oauthmail.relay.listen import tls_context
    from oauthmail.sandbox.certs import cert_paths

    paths = cert_paths(sandbox.state_dir)
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    _, password = set_password(ini)
    relay = Relay(ini, logins(ini), port=0, tls=tls_context(str(paths.server_cert), str(paths.server_key)),
                  log=RelayLog(_Sink())).start()  # type: ignore[arg-type]
    try:
        c = smtplib.SMTP("127.0.0.1", relay.port, timeout=10)
        c.ehlo()
        assert not c.has_extn("auth")  # no password before TLS
        with pytest.raises(smtplib.SMTPException):
            c.login(GOOGLE_USER, password)
        c.close()
        c = smtplib.SMTP("127.0.0.1", relay.port, timeout=10)
        c.starttls(context=ssl.create_default_context(cafile=str(sandbox.ca_file)))
        c.login(GOOGLE_USER, password)
        c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "over tls"))
        c.quit()
    finally:
        relay.stop()
    assert sandbox.mailbox.messages()[0]["Subject"] == "over tls"


def test_sigterm_finishes_the_message_in_flight(sandbox: Any, tmp_path: Path) -> None:
    from tests.sandbox_fixtures import free_port

    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, cached=False)
    _, password = set_password(ini)
    sandbox.set_fault("token_delay", 2)  # the first message waits for its token: still in flight at SIGTERM
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "oauthmail", "relay", "--ini", str(ini), "--listen",
                             f"127.0.0.1:{port}"], stderr=subprocess.PIPE, text=True)
    replies: list[Any] = []
    try:
        assert proc.stderr is not None and "listening on" in proc.stderr.readline()

        def client() -> None:
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as c:
                c.login(GOOGLE_USER, password)
                replies.append(c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "in flight")))

        other = smtplib.SMTP("127.0.0.1", port, timeout=30)  # an idle session, connected before the stop
        other.login(GOOGLE_USER, password)
        t = threading.Thread(target=client)
        t.start()
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        code, _ = other.mail(GOOGLE_USER)
        assert code == 421  # no new transaction while stopping: that client keeps its message
        other.close()
        t.join(30)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert replies == [{}], err
    assert proc.returncode == 0 and "stopped (1 message(s) delivered)" in err
    assert [m["Subject"] for m in sandbox.mailbox.messages()] == ["in flight"]


def _pipelining_relay(sandbox: Any, tmp_path: Path) -> tuple[RefusingUpstream, Running]:
    up = RefusingUpstream(sandbox, "nobody@example.com")
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    tokenfile.update_account(ini, GOOGLE_USER, smtp_port=up.port)
    return up, start_relay(ini, debug=True)


def test_client_drop_mid_data_after_early_forwarding_delivers_nothing(sandbox: Any, tmp_path: Path) -> None:
    """MAIL/RCPT/DATA go upstream at the client's DATA; a client gone before its final dot → nothing sent."""
    import base64

    up, r = _pipelining_relay(sandbox, tmp_path)
    try:
        with r.client() as c:
            c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "first"))  # upstream now logged in
            with socket.create_connection(("127.0.0.1", r.port), timeout=10) as raw:
                f = raw.makefile("rb")
                auth = base64.b64encode(f"\0{GOOGLE_USER}\0{r.password}".encode()).decode()
                f.readline()
                one = [(f"MAIL FROM:<{GOOGLE_USER}>".encode(), b"250"), (b"RCPT TO:<bob@example.com>", b"250"),
                       (b"DATA", b"354")]
                for line, code in [(b"EHLO x", b"250 "), (f"AUTH PLAIN {auth}".encode(), b"235"), *one,
                                   (b"Subject: second\r\n\r\nwhole\r\n.", b"250"), *one]:
                    raw.sendall(line + b"\r\n")
                    reply = f.readline()
                    while reply[3:4] == b"-":
                        reply = f.readline()
                    assert reply.startswith(code), reply
                raw.sendall(b"Subject: never\r\n\r\nhalf a messa")  # no final dot: the client goes away
            deadline = time.time() + 10
            while not any("abandoned" in line for line in r.log.lines) and time.time() < deadline:
                time.sleep(0.05)
            c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "fourth"))  # the first session goes on
    finally:
        r.relay.stop()
        up.stop()
    assert up.delivered == [["bob@example.com"]] * 3
    assert any("abandoned" in line for line in r.log.lines)
    early = [i for i, line in enumerate(r.log.lines) if "(pipelined)" in line]
    assert len(early) == 4  # one MAIL/RCPT/DATA group per message, the abandoned one included


def test_client_rset_after_mail_sends_nothing_for_it(sandbox: Any, tmp_path: Path) -> None:
    up, r = _pipelining_relay(sandbox, tmp_path)
    try:
        with r.client() as c:
            assert c.mail("someone@else.example")[0] == 250
            assert c.rcpt("carol@example.com")[0] == 250
            assert c.rset()[0] == 250
            c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "after rset"))
    finally:
        r.relay.stop()
        up.stop()
    assert up.delivered == [["bob@example.com"]]
    assert not any("carol@" in line for line in r.log.lines if " C: " in line)  # nothing of it went upstream
    assert any(" C: MAIL FROM:" in line for line in r.log.lines)


def test_relay_address_parsing_matches_aiosmtpd() -> None:
    """RelaySMTP._getaddr drops aiosmtpd's per-call class creation; the results must stay aiosmtpd's."""
    from aiosmtpd.smtp import SMTP

    from oauthmail.relay.server import RelaySMTP

    ours, theirs = RelaySMTP.__new__(RelaySMTP), SMTP.__new__(SMTP)
    for limit in (0, 5):
        ours.local_part_limit = theirs.local_part_limit = limit
        for arg in ("", "<a@example.com>", "<a@example.com> SIZE=10", "a@example.com", " <x@[1.2.3.4]>",
                    '<"q r"@example.com>', "<bad", "<>", "longlocalpart@example.com", "@@"):
            assert ours._getaddr(arg) == theirs._getaddr(arg), arg


def _wait_for(cond: Any, seconds: float = 10) -> bool:
    deadline = time.time() + seconds
    while not cond() and time.time() < deadline:
        time.sleep(0.02)
    return bool(cond())


def test_a_new_client_session_reuses_the_logged_in_upstream_connection(sandbox: Any, relay: Running) -> None:
    """One message per client connection (cron, a scanner): upstream's TLS and XOAUTH2 login happen once."""
    for subject in ("first", "second", "third"):
        with relay.client() as c:
            c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, subject))
        _wait_for(lambda: relay.relay.pool.count() == 1)
    assert [m["Subject"] for m in sandbox.mailbox.messages()] == ["first", "second", "third"]
    assert sum("connect " in line for line in relay.log.lines) == 1
    assert sum("reusing a logged-in connection" in line for line in relay.log.lines) == 2
    assert relay.relay.pool.reused == 2


def test_a_pooled_connection_upstream_closed_is_replaced_and_the_message_sent_once(sandbox: Any,
                                                                                 tmp_path: Path) -> None:
    up, r = _pipelining_relay(sandbox, tmp_path)
    probe = len(up.sessions)  # aiosmtpd's Controller checks its server with a connection of its own
    try:
        with r.client() as c:
            c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "one"))
        assert _wait_for(lambda: r.relay.pool.count() == 1)
        up.close_sessions()  # upstream hung up while the connection was kept
        with r.client() as c:
            c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "two"))
        assert _wait_for(lambda: r.relay.pool.count() == 1)
        up.close_sessions(b"421 4.4.2 refusing.local idle too long, closing\r\n")  # with a last word
        with r.client() as c:
            c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "three"))
    finally:
        r.relay.stop()
        up.stop()
    assert up.delivered == [["bob@example.com"]] * 3  # each once
    assert len(up.sessions) - probe == 3 and r.relay.pool.reused == 0


def test_a_pooled_connection_dead_under_the_next_message_is_retried_fresh_once(sandbox: Any,
                                                                             tmp_path: Path) -> None:
    """Dead only when used (it looked alive when taken): nothing of the message went on it, so it goes fresh."""
    from oauthmail.relay import upstream as upstream_mod

    up, r = _pipelining_relay(sandbox, tmp_path)
    probe = len(up.sessions)  # aiosmtpd's Controller checks its server with a connection of its own
    real = upstream_mod._usable
    try:
        with r.client() as c:
            c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "one"))
        assert _wait_for(lambda: r.relay.pool.count() == 1)
        upstream_mod._usable = lambda mailer, wire: True  # type: ignore[assignment]
        up.close_sessions()
        with r.client() as c:
            assert c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "two")) == {}
    finally:
        upstream_mod._usable = real
        r.relay.stop()
        up.stop()
    assert up.delivered == [["bob@example.com"]] * 2
    assert r.relay.pool.reused == 1 and len(up.sessions) - probe == 2
    assert any("reconnecting once" in line for line in r.log.lines)


def test_a_pooled_connection_idle_too_long_gets_quit(sandbox: Any, tmp_path: Path) -> None:
    up = RefusingUpstream(sandbox, "nobody@example.com")
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    tokenfile.update_account(ini, GOOGLE_USER, smtp_port=up.port)
    _, password = set_password(ini, GOOGLE_USER)
    log = RelayLog(_Sink())  # type: ignore[arg-type]
    relay = Relay(ini, logins(ini), port=0, log=log, debug=True, pool_idle=0.3).start()
    r = Running(relay, password, log, ini)
    try:
        with r.client() as c:
            c.sendmail(GOOGLE_USER, ["bob@example.com"], msg(GOOGLE_USER, "one"))
        assert _wait_for(lambda: relay.pool.count() == 1)
        assert _wait_for(lambda: relay.pool.count() == 0 and not up.open_sessions(), 5)
        assert up.quits == 1  # closed politely, not dropped
    finally:
        relay.stop()
        up.stop()
    assert up.delivered == [["bob@example.com"]]


def test_the_log_keeps_only_its_last_lines_in_memory() -> None:
    """A relay runs for months: every line goes to the stream, memory holds the last KEEP only."""
    import io

    from oauthmail.relay.server import RelayLog

    stream = io.StringIO()
    log = RelayLog(stream, secrets=["s3cr3t-value"])
    for n in range(RelayLog.KEEP + 500):
        log.write(f"message {n} token s3cr3t-value")
    assert len(log.lines) == RelayLog.KEEP and log.lines[-1].endswith(f"message {RelayLog.KEEP + 499} token *****")
    assert stream.getvalue().count("\n") == RelayLog.KEEP + 500 and "s3cr3t-value" not in stream.getvalue()
