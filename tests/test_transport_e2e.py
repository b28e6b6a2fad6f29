"""Sending over HTTPS against the sandbox, end to end: consent (sb.approve) → send → the mailbox.

Real MSAL and google-auth-oauthlib for the consent, real requests over real TLS for the APIs.
"""

from __future__ import annotations

import configparser
from pathlib import Path
from typing import Any

import pytest

from oauthmail import tokenfile
from oauthmail.consent import (
    finish,
    load_google_client,
    microsoft_client,
    save_result,
    start_google,
    start_microsoft,
)
from oauthmail.errors import AuthenticationError, ConfigError, DeliveryError
from oauthmail.mailer import send, send_message
from oauthmail.message import build_message
from oauthmail.transports import ApiSender, send_via
from oauthmail.transports._http import RetryPolicy
from tests.sandbox_fixtures import free_port

ALICE = "alice@example.com"
BOB = "bob@example.com"
DAVE = "dave@contoso.example"
ERIN = "erin@contoso.example"
JA_SUBJECT = "テスト送信（Graph 経由）"
JA_BODY = "こんにちは。これは OAuth2 で送ったテストメールです。\n"


def ms_ini(sb: Any, tmp_path: Path, transport: str = "graph", user: str = DAVE) -> Path:
    """Consent with the seed-000-like Web app (secret) for ``transport``; the INI points at the sandbox's APIs."""
    client = microsoft_client(sb.microsoft_web_client_id, sb.microsoft_web_client_secret,
                              authority=sb.microsoft_authority)
    flow = start_microsoft(client, redirect_uri=f"http://localhost:{free_port()}/callback", transport=transport,
                           email=user)
    result = finish(flow, sb.approve(flow["auth_uri"], user=user, follow=False))
    ini = tmp_path / f"ms-{transport}.ini"
    save_result(ini, result)
    tokenfile.update_account(ini, user, graph_url=sb.graph_url, smtp_host=sb.smtp_host,
                             smtp_port=sb.smtp_starttls_port)
    return ini


def google_ini(sb: Any, tmp_path: Path, transport: str = "gmail-api", user: str = ALICE) -> Path:
    flow = start_google(load_google_client(sb.client_secrets_web), redirect_uri=sb.google_web_redirect_uri,
                        transport=transport, email=user)
    result = finish(flow, sb.approve(flow["auth_uri"], user=user, follow=False))
    ini = tmp_path / f"g-{transport}.ini"
    save_result(ini, result)
    tokenfile.update_account(ini, user, gmail_api_url=sb.gmail_api_url, smtp_host=sb.smtp_host,
                             smtp_port=sb.smtp_starttls_port)
    return ini


def ini_section(ini: Path, name: str) -> dict[str, str]:
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(ini, encoding="utf-8")
    return dict(cp[name])


# --- Graph ----------------------------------------------------------------------------------------


def test_graph_end_to_end_japanese_attachment_cc_bcc(sandbox: Any, tmp_path: Path) -> None:
    ini = ms_ini(sandbox, tmp_path)
    sec = ini_section(ini, DAVE)
    assert sec["transport"] == "graph"
    assert "https://graph.microsoft.com/Mail.Send" in sec["scopes"].split()
    assert "SMTP.Send" not in sec["scopes"]
    result = send(ini, to=[ALICE], cc=[BOB], bcc=[ERIN], subject=JA_SUBJECT, body=JA_BODY,
                  attachments=[("請求書.pdf", b"%PDF-1.4 sandbox", "application/pdf")])
    assert result.ok and result.transport == "graph" and result.security == "https"
    msgs = sandbox.mailbox.wait_for(1)
    m = msgs[-1]
    assert m["Subject"] == JA_SUBJECT
    assert m["X-Sandbox-Transport"] == "graph"
    assert m["Message-ID"] == result.message_id
    assert m["Bcc"] is None
    assert ERIN in m["X-Sandbox-Envelope-To"] and BOB in m["X-Sandbox-Envelope-To"]
    body = m.get_body(preferencelist=("plain",))
    assert body is not None and "こんにちは" in body.get_content()
    names = [a.get_filename() for a in m.iter_attachments()]
    assert names == ["請求書.pdf"]
    secrets = tokenfile.read(ini).account(DAVE).secrets()
    assert not any(s in result.transcript for s in secrets if s)
    assert "POST" in result.transcript and "/v1.0/me/sendMail" in result.transcript


def test_graph_iso2022jp_message(sandbox: Any, tmp_path: Path) -> None:
    ini = ms_ini(sandbox, tmp_path)
    send(ini, to=[ALICE], subject="件名は ISO-2022-JP", body="本文も ISO-2022-JP です。", charset="iso-2022-jp")
    m = sandbox.mailbox.wait_for(1)[-1]
    assert m["Subject"] == "件名は ISO-2022-JP"
    assert "iso-2022-jp" in str(m.get("Content-Type", "")).lower()


def test_graph_large_attachment_goes_through_upload_session(sandbox: Any, tmp_path: Path) -> None:
    ini = ms_ini(sandbox, tmp_path)
    big = bytes(range(256)) * (5 * 4096 + 17)  # ~5.2 MB: over Graph's inline limit
    small = b"small file"
    result = send(ini, to=[ALICE], bcc=[BOB], subject="大きな添付", body="添付が大きいです",
                  attachments=[("big.bin", big, "application/octet-stream"), ("note.txt", small, "text/plain")])
    assert result.ok
    m = sandbox.mailbox.wait_for(1)[-1]
    got = {a.get_filename(): a.get_payload(decode=True) for a in m.iter_attachments()}
    assert got["big.bin"] == big and got["note.txt"] == small
    assert m["Subject"] == "大きな添付"
    assert BOB in m["X-Sandbox-Envelope-To"] and m["Bcc"] is None
    log = [(meth, path) for meth, path, _ in sandbox.mailapi.log]
    assert any(p.endswith("/attachments/createUploadSession") for _, p in log)
    assert sum(1 for meth, p in log if meth == "PUT") >= 2  # chunked
    assert any(p.endswith("/send") for _, p in log)
    assert "upload session" in result.transcript
    assert "authtoken" not in result.transcript  # the upload URL's credential is never shown


def test_graph_shared_mailbox_needs_send_as(sandbox: Any, tmp_path: Path) -> None:
    ini = ms_ini(sandbox, tmp_path)
    msg = build_message(sender=ERIN, to=[ALICE], subject="共有メールボックスから", body="x")
    with pytest.raises(DeliveryError) as err:
        send_message(ini, msg)
    assert err.value.code == "ErrorSendAsDenied"
    assert "Send As" in err.value.hint("en") and "送信者" in err.value.hint("ja")
    sandbox.grant_send_as(DAVE, ERIN)
    msg = build_message(sender=ERIN, to=[ALICE], subject="共有メールボックスから", body="x")
    send_message(ini, msg)
    m = sandbox.mailbox.wait_for(1)[-1]
    assert ERIN in m["From"]
    assert any(f"/users/{ERIN}/sendMail" in p for _, p, s in sandbox.mailapi.log if s == 202)


def test_outlook_token_refused_by_graph_and_graph_token_refused_by_smtp(sandbox: Any, tmp_path: Path) -> None:
    smtp_ini = ms_ini(sandbox, tmp_path, transport="smtp")
    # An Outlook (SMTP.Send) token on the Graph endpoint: 401 InvalidAuthenticationToken, explained.
    with pytest.raises(AuthenticationError) as err:
        send_message(smtp_ini, build_message(sender=DAVE, to=[ALICE], subject="s", body="b"),
                     transport="graph", api_url=sandbox.graph_url)
    e = err.value
    assert e.code and "InvalidAuthenticationToken" in e.code
    assert "Mail.Send" in e.hint("en") and "Mail.Send" in e.hint("ja")
    assert "Invalid audience" in (e.details or "")
    # The INI's cached Outlook token was neither used for Graph nor replaced by a Graph one.
    acc = tokenfile.read(smtp_ini).account(DAVE)
    assert acc.transport in ("", "smtp")
    # A Graph token on the SMTP server: 535 5.7.3.
    graph_ini = ms_ini(sandbox, tmp_path, transport="graph")
    with pytest.raises(AuthenticationError) as err2:
        send_message(graph_ini, build_message(sender=DAVE, to=[ALICE], subject="s", body="b"), transport="smtp",
                     smtp_host=sandbox.smtp_host, smtp_port=sandbox.smtp_starttls_port, smtp_security="starttls")
    assert "5.7.3" in (err2.value.details or err2.value.what("en") + str(err2.value.code))


def test_graph_429_is_retried_after_retry_after(sandbox: Any, tmp_path: Path) -> None:
    ini = ms_ini(sandbox, tmp_path)
    sandbox.set_fault("api_status", {"status": 429, "retry_after": 0, "times": 2})
    waits: list[float] = []
    sender = ApiSender(ini, sleep=waits.append)
    reply, _acc, transport, _base = sender.send(build_message(sender=DAVE, to=[ALICE], subject="retry", body="b"))
    assert transport == "graph" and reply.status == 202
    assert waits == [0.0, 0.0] and reply.requests == 3
    statuses = [s for _, _, s in sandbox.mailapi.log]
    assert statuses == [429, 429, 202]
    assert len(sandbox.mailbox.wait_for(1)) == 1


def test_graph_429_beyond_the_cap_stops_with_advice(sandbox: Any, tmp_path: Path) -> None:
    ini = ms_ini(sandbox, tmp_path)
    sandbox.set_fault("api_status", {"status": 429, "retry_after": 3600})
    waits: list[float] = []
    with pytest.raises(DeliveryError) as err:
        ApiSender(ini, sleep=waits.append, retry=RetryPolicy(max_wait=60)).send(
            build_message(sender=DAVE, to=[ALICE], subject="s", body="b"))
    assert waits == []  # an hour is over the cap: no waiting at all
    assert err.value.code == "HTTP 429"
    assert "3600" in err.value.hint("en") and "3600" in err.value.hint("ja")
    assert len(sandbox.mailbox) == 0


def test_graph_503_retried_then_given_up(sandbox: Any, tmp_path: Path) -> None:
    ini = ms_ini(sandbox, tmp_path)
    sandbox.set_fault("api_status", {"status": 503, "retry_after": 0})
    waits: list[float] = []
    with pytest.raises(DeliveryError) as err:
        ApiSender(ini, sleep=waits.append, retry=RetryPolicy(max_retries=2)).send(
            build_message(sender=DAVE, to=[ALICE], subject="s", body="b"))
    assert waits == [0.0, 0.0]
    assert "503" in err.value.what("en")


def test_graph_without_mail_send_scope_is_access_denied(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "readonly.ini"
    minted = sandbox.mint_tokens("microsoft", sandbox.microsoft_web_client_id, DAVE,
                                 ["https://graph.microsoft.com/User.Read", "offline_access"])
    acc = tokenfile.Account(email=DAVE, provider="microsoft", client_id=sandbox.microsoft_web_client_id,
                            client_secret=sandbox.microsoft_web_client_secret, authority=sandbox.microsoft_authority,
                            scopes=["https://graph.microsoft.com/User.Read"], refresh_token=minted["refresh_token"],
                            transport="graph", graph_url=sandbox.graph_url)
    tokenfile.save_account(ini, acc)
    with pytest.raises(AuthenticationError) as err:
        send(ini, to=[ALICE], subject="s", body="b")
    assert err.value.code == "ErrorAccessDenied"
    assert "Mail.Send" in err.value.hint("en")
    assert "Mail.Send" in err.value.hint("ja")


def test_cached_graph_token_revoked_early_is_refreshed_once(sandbox: Any, tmp_path: Path) -> None:
    ini = ms_ini(sandbox, tmp_path)
    acc = tokenfile.read(ini).account(DAVE)
    sandbox.idp.access.pop(acc.access_token)  # the cache looks valid but the service no longer knows it
    result = send(ini, to=[ALICE], subject="s", body="b")
    assert result.token_refreshed
    assert "refreshing it once" in result.transcript
    assert [s for _, _, s in sandbox.mailapi.log] == [401, 202]


# --- Gmail API ------------------------------------------------------------------------------------


def test_gmail_api_end_to_end_with_only_gmail_send(sandbox: Any, tmp_path: Path) -> None:
    ini = google_ini(sandbox, tmp_path)
    sec = ini_section(ini, ALICE)
    assert sec["transport"] == "gmail-api"
    assert "https://www.googleapis.com/auth/gmail.send" in sec["scopes"].split()
    assert "https://mail.google.com/" not in sec["scopes"].split()
    result = send(ini, to=[BOB], cc=[DAVE], bcc=[ERIN], subject="Gmail API から", body=JA_BODY,
                  attachments=[("メモ.txt", "日本語の添付".encode(), "text/plain")])
    assert result.transport == "gmail-api" and result.ok
    m = sandbox.mailbox.wait_for(1)[-1]
    assert m["Subject"] == "Gmail API から" and m["X-Sandbox-Transport"] == "gmail-api"
    assert m["Bcc"] is None and ERIN in m["X-Sandbox-Envelope-To"]
    assert [a.get_filename() for a in m.iter_attachments()] == ["メモ.txt"]
    # and gmail.send alone cannot do SMTP: the SMTP server refuses it
    with pytest.raises(AuthenticationError):
        send(ini, to=[BOB], subject="s", body="b", transport="smtp")


def test_gmail_api_large_message_uses_multipart_upload(sandbox: Any, tmp_path: Path) -> None:
    ini = google_ini(sandbox, tmp_path)
    big = b"\x00\x01binary" * 800_000  # ~6.4 MB
    result = send(ini, to=[BOB], subject="big", body="b", attachments=[("big.bin", big, None)])
    assert result.ok
    m = sandbox.mailbox.wait_for(1)[-1]
    assert next(m.iter_attachments()).get_payload(decode=True) == big
    assert any(p.startswith("/upload/gmail/v1/") for _, p, _s in sandbox.mailapi.log)


def test_gmail_api_from_other_address_is_rewritten(sandbox: Any, tmp_path: Path) -> None:
    ini = google_ini(sandbox, tmp_path)
    send_message(ini, build_message(sender="someone@else.example", to=[BOB], subject="s", body="b"))
    m = sandbox.mailbox.wait_for(1)[-1]
    assert ALICE in m["From"] and "someone@else.example" in m["X-Google-Original-From"]


def test_gmail_api_mail_service_not_enabled(sandbox: Any, tmp_path: Path) -> None:
    ini = google_ini(sandbox, tmp_path)
    sandbox.set_mail_disabled(ALICE)
    with pytest.raises(DeliveryError) as err:
        send(ini, to=[BOB], subject="s", body="b")
    assert err.value.code == "failedPrecondition"
    assert "Gmail" in err.value.hint("en") and "Gmail" in err.value.hint("ja")


def test_gmail_api_insufficient_scope(sandbox: Any, tmp_path: Path) -> None:
    ini = google_ini(sandbox, tmp_path, transport="smtp")  # openid + userinfo + mail.google.com
    # narrow the grant to identity only: what a person gets when they untick the Gmail box
    minted = sandbox.mint_tokens("google", load_google_client(sandbox.client_secrets_web).client_id, ALICE,
                                 ["openid", "https://www.googleapis.com/auth/userinfo.email"])
    tokenfile.update_account(ini, ALICE, refresh_token=minted["refresh_token"], access_token=minted["access_token"],
                             transport="gmail-api")
    with pytest.raises(AuthenticationError) as err:
        send(ini, to=[BOB], subject="s", body="b")
    assert err.value.code == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    assert "gmail.send" in err.value.hint("en") and "gmail.send" in err.value.hint("ja")


def test_microsoft_token_refused_by_gmail_api(sandbox: Any, tmp_path: Path) -> None:
    ini = ms_ini(sandbox, tmp_path)
    acc = tokenfile.read(ini).account(DAVE)
    from oauthmail.transports import make_transport

    sender = make_transport("gmail-api", sandbox.gmail_api_url)
    with pytest.raises(AuthenticationError) as err:
        sender.send(build_message(sender=DAVE, to=[ALICE], subject="s", body="b"), acc.access_token,
                    signed_in=DAVE)
    assert err.value.code in ("authError", "UNAUTHENTICATED", "ACCESS_TOKEN_TYPE_UNSUPPORTED")
    assert acc.access_token not in str(err.value) + (err.value.details or "") + err.value.hint("en")


# --- choosing the transport -----------------------------------------------------------------------


def test_transport_must_fit_the_provider(sandbox: Any, tmp_path: Path) -> None:
    ini = google_ini(sandbox, tmp_path)
    with pytest.raises(ConfigError) as err:
        send(ini, to=[BOB], subject="s", body="b", transport="graph")
    assert err.value.code == "transport_provider"
    assert "--transport gmail-api" in err.value.hint("en") and "--transport gmail-api" in err.value.hint("ja")


def test_api_url_must_be_https(sandbox: Any, tmp_path: Path) -> None:
    ini = google_ini(sandbox, tmp_path)
    with pytest.raises(ConfigError) as err:
        send(ini, to=[BOB], subject="s", body="b", api_url="http://127.0.0.1:1")
    assert err.value.code == "bad_api_url"


def test_unreachable_api_says_what_to_check(sandbox: Any, tmp_path: Path) -> None:
    ini = google_ini(sandbox, tmp_path)
    with pytest.raises(Exception) as err:
        send(ini, to=[BOB], subject="s", body="b", api_url=f"https://127.0.0.1:{free_port()}")
    e = err.value
    assert getattr(e, "code", "") == "api_unreachable", e
    assert "HTTPS_PROXY" in e.hint("en") and "HTTPS_PROXY" in e.hint("ja")  # type: ignore[attr-defined]


def test_untrusted_certificate_on_the_api(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = google_ini(sandbox, tmp_path)
    import certifi

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    acc = tokenfile.read(ini).account(ALICE)
    assert acc.access_token  # cached: no token endpoint call (which would fail on TLS first)
    with pytest.raises(Exception) as err:
        send(ini, to=[BOB], subject="s", body="b")
    assert getattr(err.value, "code", "") == "tls_verify"
    assert "REQUESTS_CA_BUNDLE" in err.value.hint("en")  # type: ignore[attr-defined]


def test_send_via_one_liner(sandbox: Any, tmp_path: Path) -> None:
    g = ms_ini(sandbox, tmp_path, transport="graph")
    r = send_via("graph", g, build_message(sender=DAVE, to=[ALICE], subject="s", body="b"))
    assert r.transport == "graph" and r.security == "https" and r.account == DAVE
    assert len(sandbox.mailbox.wait_for(1)) == 1


def test_mailer_batch_over_graph(sandbox: Any, tmp_path: Path) -> None:
    from oauthmail.mailer import Mailer

    ini = ms_ini(sandbox, tmp_path)
    msgs = [build_message(sender=DAVE, to=[ALICE], subject=f"batch {i}", body="b") for i in range(3)]
    msgs.insert(1, build_message(sender=ERIN, to=[ALICE], subject="not allowed", body="b"))  # no Send As on Erin
    with Mailer(ini) as mailer:
        assert mailer.conn is None  # HTTPS: no SMTP connection is opened
        result = mailer.send_many(msgs)
    assert len(result.sent) == 3 and len(result.failed) == 1
    assert result.failed[0][1].code == "ErrorSendAsDenied"
    subjects = sorted(m["Subject"] for m in sandbox.mailbox.wait_for(3))
    assert subjects == ["batch 0", "batch 1", "batch 2"]


def test_gmail_api_from_rewrite_warns(sandbox: Any, tmp_path: Path) -> None:
    ini = google_ini(sandbox, tmp_path)
    r = send_message(ini, build_message(sender="someone@else.example", to=[BOB], subject="s", body="b"))
    assert r.warnings and "someone@else.example" in r.warnings[0]
