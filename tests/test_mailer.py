"""Sending from Python: send(), send_message() and Mailer.send_many() against the sandbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sandbox_fixtures import *  # noqa: F403  (the sandbox, sandbox_config fixtures)
from test_core_support import GOOGLE_USER, MS_USER, DroppingSmtpServer, write_ini

from oauthmail import AuthenticationError, DeliveryError, tokenfile
from oauthmail.mailer import BatchResult, Mailer, send, send_message, smtp_settings
from oauthmail.message import build_message


def refreshes(sb: Any) -> int:
    return sum(1 for r in sb.token_requests if r.get("grant_type") == "refresh_token")


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_send_japanese_subject_with_attachment(sandbox: Any, tmp_path: Path, security: str) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, security=security)
    att = tmp_path / "請求書.pdf"
    att.write_bytes(b"%PDF-1.4 sandbox")
    result = send(ini, to="bob@example.com", subject="テスト送信です", body="本文", attachments=[att])
    assert result.ok and result.security == security
    assert result.message_id.endswith("@example.com>")
    (msg,) = sandbox.mailbox.messages()
    assert msg["Subject"] == "テスト送信です"
    assert msg["Message-ID"] == result.message_id
    (part,) = msg.iter_attachments()
    assert part.get_filename() == "請求書.pdf" and part.get_content_type() == "application/pdf"
    assert "AUTH XOAUTH2 *****" in result.transcript
    assert toks["access_token"] not in result.transcript and toks["refresh_token"] not in result.transcript


def test_second_send_within_lifetime_makes_no_token_request(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, "microsoft", cached=False)
    first = send(ini, to="erin@contoso.example", subject="1")
    assert first.token_refreshed
    n = refreshes(sandbox)
    second = send(ini, to="erin@contoso.example", subject="2")
    assert not second.token_refreshed and refreshes(sandbox) == n
    assert len(sandbox.mailbox.messages()) == 2


def test_535_with_cached_token_refreshes_once_and_retries(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, "microsoft")
    # a cached token the server no longer accepts (e.g. revoked early), with a future expiry
    tokenfile.update_account(ini, MS_USER, access_token=toks["access_token"][:-4] + "AAAA")
    n = refreshes(sandbox)
    result = send(ini, to="erin@contoso.example", subject="retry")
    assert result.ok and result.token_refreshed
    assert refreshes(sandbox) == n + 1
    assert "refreshing it once" in result.transcript
    assert tokenfile.read(ini).account().refresh_token != toks["refresh_token"]  # rotation stored


def test_fresh_token_refused_is_reported_not_retried(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, "microsoft", cached=False)
    sandbox.set_smtp_auth_disabled(MS_USER)
    n = refreshes(sandbox)
    with pytest.raises(AuthenticationError) as info:
        send(ini, to="erin@contoso.example", subject="x")
    assert info.value.code == "535 5.7.139"
    assert refreshes(sandbox) == n + 1
    assert "AUTH XOAUTH2" in info.value.transcript  # type: ignore[attr-defined]


def test_send_as_someone_else_is_a_delivery_error(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, "microsoft")
    msg = build_message(sender="boss@contoso.example", to="erin@contoso.example", subject="x")
    with pytest.raises(DeliveryError) as info:
        send_message(ini, msg)
    assert "5.2.252" in (info.value.details or "") or info.value.smtp_code in (550, 554)


def test_gmail_from_rewrite_warning(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    msg = build_message(sender="alias@example.org", to="bob@example.com", subject="x")
    result = send_message(ini, msg)
    assert result.ok and "Send mail as" in result.warnings[0]
    assert send(ini, to="bob@example.com", subject="y").warnings == []
    ini.chmod(0o644)
    (warning,) = send(ini, to="bob@example.com", subject="z").warnings
    assert "chmod 600" in warning


def test_twenty_megabyte_attachment(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    blob = bytes(range(256)) * (20 * 1024 * 1024 // 256)
    big = tmp_path / "big.bin"
    big.write_bytes(blob)
    result = send(ini, to="bob@example.com", subject="big", attachments=[big], timeout=120)
    assert result.ok
    (msg,) = sandbox.mailbox.messages()
    (part,) = msg.iter_attachments()
    assert part.get_content() == blob


def test_mailer_sends_many_on_one_connection(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    msgs = [build_message(sender=GOOGLE_USER, to="bob@example.com", subject=f"n{i}") for i in range(20)]
    with Mailer(ini) as m:
        result = m.send_many(msgs)
    assert result.ok and len(result.sent) == 20 and result.reconnects == 0
    assert sorted(x["Message-ID"] for x in sandbox.mailbox.messages()) == sorted(result.sent)


def test_sandbox_drop_after_content_is_unknown_never_twice(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    sandbox.set_fault("smtp_drop_after", 5)  # the server drops the link after taking each later message
    msgs = [build_message(sender=GOOGLE_USER, to="bob@example.com", subject=f"n{i}") for i in range(8)]
    with Mailer(ini) as m:
        result = m.send_many(msgs)
    delivered = [x["Message-ID"] for x in sandbox.mailbox.messages()]
    assert len(delivered) == len(set(delivered))  # nothing twice
    assert sorted(delivered) == sorted(result.sent)
    ids = [x["Message-ID"] for x in msgs]
    assert result.sent[:5] == ids[:5]
    assert ids[5] in result.unknown  # in flight when the link dropped: reported, not resent
    assert sorted(result.sent + result.unknown) == sorted(ids)  # every message accounted for once
    assert result.reconnects >= 1


def test_mailer_drop_before_content_reconnects_and_sends_once(sandbox: Any, tmp_path: Path) -> None:
    from oauthmail.sandbox.certs import cert_paths, server_context

    server = DroppingSmtpServer(server_context(cert_paths(sandbox.state_dir)), drop_at="MAIL")
    try:
        ini = tmp_path / "t.ini"
        write_ini(sandbox, ini, security="ssl")
        msgs = [build_message(sender=GOOGLE_USER, to="bob@example.com", subject=f"n{i}") for i in range(3)]
        with Mailer(ini, smtp_host="127.0.0.1", smtp_port=server.port, smtp_security="ssl") as m:
            result = m.send_many(msgs)
        assert result.ok and result.sent == [x["Message-ID"] for x in msgs]
        assert result.reconnects == 1
        assert len(server.received) == 3
    finally:
        server.close()


def test_mailer_in_flight_drop_is_unknown_and_not_resent(sandbox: Any, tmp_path: Path) -> None:
    from oauthmail.sandbox.certs import cert_paths, server_context

    server = DroppingSmtpServer(server_context(cert_paths(sandbox.state_dir)))
    try:
        ini = tmp_path / "t.ini"
        write_ini(sandbox, ini, security="ssl")
        msgs = [build_message(sender=GOOGLE_USER, to="bob@example.com", subject=f"n{i}") for i in range(3)]
        with Mailer(ini, smtp_host="127.0.0.1", smtp_port=server.port, smtp_security="ssl") as m:
            result: BatchResult = m.send_many(msgs)
        assert result.unknown == [msgs[0]["Message-ID"]]
        assert result.sent == [msgs[1]["Message-ID"], msgs[2]["Message-ID"]]
        assert len(server.received) == 3  # the first was not sent again
        (_, err), = result.failed
        assert "not sent again" in err.hint() or "再送" in err.hint("ja")
    finally:
        server.close()


def test_smtp_settings_precedence() -> None:
    acc = tokenfile.Account(email="a@outlook.com", provider="microsoft", client_id="c", refresh_token="r",
                            authority="https://login.microsoftonline.com/consumers")
    assert smtp_settings(acc).host == "smtp-mail.outlook.com"
    acc2 = tokenfile.Account(email="a@gmail.com", provider="google", client_id="c", refresh_token="r")
    s = smtp_settings(acc2)
    assert (s.host, s.port, s.security, s.mechanism) == ("smtp.gmail.com", 587, "starttls", "XOAUTH2")
    s = smtp_settings(acc2, smtp_security="ssl")
    assert (s.port, s.security) == (465, "ssl")
    s = smtp_settings(acc2, smtp_port=465)
    assert s.security == "ssl"
    acc2.smtp_security = "starttls"
    assert smtp_settings(acc2, smtp_port=465).security == "ssl"  # the port given alone wins
    assert smtp_settings(acc2, smtp_port=2525).security == "starttls"
    acc2.smtp_security = ""
    acc2.smtp_host, acc2.smtp_port, acc2.smtp_security = "mail.example", 2525, "starttls"
    s = smtp_settings(acc2)
    assert (s.host, s.port, s.security) == ("mail.example", 2525, "starttls")
    acc3 = tokenfile.Account(email="a@x.example", provider="microsoft", client_id="c", refresh_token="r",
                             authority="https://login.microsoftonline.us/t")
    assert smtp_settings(acc3).host == "smtp.office365.us"
