"""SMTP over real TLS against the sandbox's XOAUTH2 server: login, masking, and every failure."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import pytest
from sandbox_fixtures import *  # noqa: F403  (the sandbox, sandbox_config fixtures)
from test_core_support import GOOGLE_USER, MS_USER, SilentServer, write_ini

from oauthmail import AuthenticationError, NetworkError
from oauthmail.smtp import Transcript, authenticate, connect, quit_quietly, send_bytes
from oauthmail.tls import ssl_context
from tests.sandbox_fixtures import free_port


def login(sb: Any, token: str, user: str, security: str = "starttls", mechanism: str = "XOAUTH2",
          **kw: Any) -> Transcript:
    t = Transcript()
    port = sb.smtp_ssl_port if security == "ssl" else sb.smtp_starttls_port
    conn = connect(sb.smtp_host, port, security, transcript=t, timeout=10)
    try:
        authenticate(conn, user, token, mechanism, transcript=t, **kw)
        send_bytes(conn, user, [user], b"From: " + user.encode() + b"\r\nSubject: t\r\n\r\nhello\r\n")
    finally:
        quit_quietly(conn)
    return t


@pytest.mark.parametrize("security", ["starttls", "ssl"])
@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
def test_login_and_send_with_masked_transcript(sandbox: Any, tmp_path: Path, security: str, mechanism: str) -> None:
    toks = write_ini(sandbox, tmp_path / "t.ini")
    t = login(sandbox, toks["access_token"], GOOGLE_USER, security, mechanism)
    text = t.text()
    assert f"AUTH {mechanism} *****" in text
    assert toks["access_token"] not in text
    assert "235" in text and "<message content:" in text
    if security == "starttls":
        assert "STARTTLS" in text and text.count("ehlo") + text.count("EHLO") >= 2
    assert len(sandbox.mailbox.messages()) == 1


def test_long_microsoft_token_goes_after_the_334_prompt(sandbox: Any, tmp_path: Path) -> None:
    toks = write_ini(sandbox, tmp_path / "t.ini", "microsoft")
    assert len(toks["access_token"]) > 1000
    sandbox.set_fault("smtp_max_auth_line", 500)
    t = login(sandbox, toks["access_token"], MS_USER)
    lines = t.lines
    auth = next(i for i, line in enumerate(lines) if "AUTH XOAUTH2" in line)
    assert lines[auth].endswith("C: AUTH XOAUTH2")  # no inline response
    assert "S: 334" in lines[auth + 1] and lines[auth + 2].endswith("C: *****")
    assert toks["access_token"] not in t.text()


def test_inline_too_long_is_refused_by_a_strict_server(sandbox: Any, tmp_path: Path) -> None:
    toks = write_ini(sandbox, tmp_path / "t.ini", "microsoft")
    sandbox.set_fault("smtp_max_auth_line", 500)
    with pytest.raises(AuthenticationError) as info:
        login(sandbox, toks["access_token"], MS_USER, max_inline=100_000)
    assert "5.5.6" in (info.value.details or "")


def test_gmail_334_json_then_535_5_7_8(sandbox: Any, tmp_path: Path) -> None:
    write_ini(sandbox, tmp_path / "t.ini")
    t = Transcript()
    with pytest.raises(AuthenticationError) as info:
        conn = connect(sandbox.smtp_host, sandbox.smtp_starttls_port, "starttls", transcript=t)
        try:
            authenticate(conn, GOOGLE_USER, "ya29.not-a-real-token-at-all", transcript=t)
        finally:
            quit_quietly(conn)
    err = info.value
    assert err.code == "535 5.7.8" and err.smtp_code == 535
    assert '"status"' in (err.details or "") and "Bearer" in (err.details or "")
    assert "(empty line)" in t.text()  # the challenge was answered with an empty line
    assert "ya29.not-a-real" not in t.text() + str(err) + (err.details or "")


def test_exchange_535_5_7_3(sandbox: Any, tmp_path: Path) -> None:
    toks = write_ini(sandbox, tmp_path / "t.ini", "microsoft")
    with pytest.raises(AuthenticationError) as info:
        login(sandbox, toks["access_token"] + "x", MS_USER)
    assert info.value.code == "535 5.7.3"
    assert "SMTP.Send" in info.value.hint() or "outlook" in info.value.hint().lower()


def test_exchange_535_5_7_139_smtp_auth_disabled(sandbox: Any, tmp_path: Path) -> None:
    toks = write_ini(sandbox, tmp_path / "t.ini", "microsoft")
    sandbox.set_smtp_auth_disabled(MS_USER)
    with pytest.raises(AuthenticationError) as info:
        login(sandbox, toks["access_token"], MS_USER)
    assert info.value.code == "535 5.7.139"
    assert "Authenticated SMTP" in info.value.hint()
    assert "認証済み SMTP" in info.value.hint("ja")


def test_untrusted_certificate(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "SSL_CERT_DIR"):
        monkeypatch.delenv(var, raising=False)
    for security, port in (("starttls", sandbox.smtp_starttls_port), ("ssl", sandbox.smtp_ssl_port)):
        with pytest.raises(NetworkError) as info:
            connect(sandbox.smtp_host, port, security, timeout=10)
        assert info.value.code == "tls_verify"
        assert "SSL_CERT_FILE" in info.value.hint() and "SSL_CERT_FILE" in info.value.hint("ja")


def test_ca_file_env_is_honoured(sandbox: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sandbox.ca_file))
    conn = connect(sandbox.smtp_host, sandbox.smtp_ssl_port, "ssl", timeout=10)
    quit_quietly(conn)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(NetworkError) as info:
        ssl_context()
    assert "SSL_CERT_FILE" in info.value.what()


def test_connection_refused() -> None:
    port = free_port()
    with pytest.raises(NetworkError) as info:
        connect("127.0.0.1", port, "starttls", timeout=5)
    assert info.value.code == "connection_refused"
    assert f"127.0.0.1:{port}" in info.value.what()
    assert "587" in info.value.hint()


def test_timeout_on_a_silent_server() -> None:
    server = SilentServer()
    try:
        for security in ("starttls", "ssl"):
            with pytest.raises(NetworkError) as info:
                connect("127.0.0.1", server.port, security, timeout=0.5)
            assert info.value.code == "timeout", security
            assert "0.5" in info.value.what()
    finally:
        server.close()


def test_wrong_security_mode(sandbox: Any) -> None:
    with pytest.raises(NetworkError) as info:
        connect(sandbox.smtp_host, sandbox.smtp_starttls_port, "ssl", timeout=5)
    assert info.value.code in ("tls_failed", "timeout")
    assert "465" in info.value.hint()
    with pytest.raises(NetworkError):
        connect(sandbox.smtp_host, sandbox.smtp_ssl_port, "starttls", timeout=1)


def test_dns_failure() -> None:
    with pytest.raises(NetworkError) as info:
        connect("no-such-host.invalid", 587, "starttls", timeout=5, context=ssl.create_default_context())
    assert info.value.code == "dns"


def test_transcript_masks_known_secrets_in_any_line() -> None:
    t = Transcript()
    t.add_secret("sekrit-token-value")
    t.server("334 sekrit-token-value")
    t.client("x ya29.abcdefghijklmnop")
    assert "sekrit" not in t.text() and "ya29.abcdefghijklmnop" not in t.text()
    assert all(line.split("s ", 1)[0].strip().replace(".", "").isdigit() for line in t.lines)


def test_oauthbearer_refused_answers_0x01(sandbox: Any, tmp_path: Path) -> None:
    write_ini(sandbox, tmp_path / "t.ini")
    t = Transcript()
    conn = connect(sandbox.smtp_host, sandbox.smtp_starttls_port, "starttls", transcript=t)
    try:
        with pytest.raises(AuthenticationError) as info:
            authenticate(conn, GOOGLE_USER, "ya29.bogus-token-value-xyz", "OAUTHBEARER", transcript=t)
    finally:
        quit_quietly(conn)
    assert info.value.smtp_code == 535
    lines = t.lines
    i = next(n for n, line in enumerate(lines) if "S: 334 " in line)
    assert lines[i + 1].endswith("C: *****")  # the ^A answer, masked like any SASL response
    assert "ya29.bogus" not in t.text()


def test_mechanism_the_server_does_not_offer(sandbox: Any) -> None:
    conn = connect(sandbox.smtp_host, sandbox.smtp_starttls_port, "starttls")
    try:
        conn.esmtp_features["auth"] = "PLAIN LOGIN"  # as a server without OAuth would say
        with pytest.raises(AuthenticationError) as info:
            authenticate(conn, GOOGLE_USER, "tok", "XOAUTH2")
    finally:
        quit_quietly(conn)
    assert info.value.code == "no_mechanism" and "PLAIN LOGIN" in info.value.what()
