"""The pages a person reads (English/Japanese, relative links), the handle API and restarts."""

from __future__ import annotations

import json
import re
import smtplib
from pathlib import Path
from typing import Any

import pytest
import requests

from oauthmail.clients import msal_http_client
from oauthmail.sandbox import Sandbox, SandboxHandle, ensure_running, load_info

MAIL = "https://mail.google.com/"


def _auth_url(sb: Any, **extra: str) -> str:
    from google_auth_oauthlib.flow import Flow

    flow = Flow.from_client_secrets_file(str(sb.client_secrets_web), scopes=[MAIL],
                                         redirect_uri=sb.google_web_redirect_uri)
    url, _ = flow.authorization_url(**extra)
    return str(url)


def test_consent_page_in_english_and_japanese(sandbox: Any) -> None:
    url = _auth_url(sandbox)
    en = requests.get(url, timeout=5).text
    assert "oauthmail Sandbox Mailer (Web) wants to access your account" in en
    assert "Read, compose, send and permanently delete all your email from Gmail" in en
    assert "carol@example.com" in en and "not a test user" in en
    assert "Google hasn&#x27;t verified this app" in en  # Testing app + restricted Gmail scope
    ja = requests.get(url + "&hl=ja", timeout=5).text
    assert "アクセスを求めています" in ja and "許可" in ja and "キャンセル" in ja and "確認されていません" in ja
    by_header = requests.get(url, headers={"Accept-Language": "ja-JP,ja;q=0.9"}, timeout=5).text
    assert "アクセスを求めています" in by_header
    # Every form action and link is relative (works behind jupyter-server-proxy).
    for page in (en, ja):
        assert not re.search(r'(action|href)="/', page)


def test_microsoft_consent_and_device_pages(sandbox: Any, request: pytest.FixtureRequest) -> None:
    import msal

    app = msal.PublicClientApplication(sandbox.microsoft_public_client_id, authority=sandbox.microsoft_authority,
                                       instance_discovery=False, http_client=msal_http_client())
    request.addfinalizer(app.http_client.close)  # not left to the garbage collector
    flow = app.initiate_auth_code_flow(["https://outlook.office.com/SMTP.Send"], redirect_uri="http://localhost",
                                       response_mode="query")
    page = requests.get(flow["auth_uri"] + "&hl=ja", timeout=5).text
    assert "SMTP AUTH を使用してメールボックスからメールを送信する" in page and "承諾" in page
    assert "dave@contoso.example" in page and "alice@example.com" not in page
    assert "サインインする" in page and "Google" not in page  # Microsoft's own wording, not Google's
    device = requests.get(sandbox.microsoft_device_verification_uri, timeout=5).text
    assert 'action="devicelogin"' in device and "Enter code" in device


def test_error_page_is_readable(sandbox: Any) -> None:
    r = requests.get(sandbox.microsoft_authority + "/oauth2/v2.0/authorize?client_id="
                     + sandbox.microsoft_web_client_id + "&redirect_uri=http://localhost:1/nope&response_type=code"
                     "&scope=openid&hl=ja", timeout=5)
    assert r.status_code == 400 and "AADSTS50011" in r.text and "サインインのエラー" in r.text


def test_mailbox_page_lists_and_shows_messages(sandbox: Any) -> None:
    client_id = json.loads(sandbox.client_secrets_web.read_text())["web"]["client_id"]
    token = sandbox.mint_tokens("google", client_id, "alice@example.com", [MAIL])["access_token"]
    with smtplib.SMTP_SSL(sandbox.smtp_host, sandbox.smtp_ssl_port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.auth("XOAUTH2", lambda c=None: f"user=alice@example.com\x01auth=Bearer {token}\x01\x01")
        smtp.sendmail("alice@example.com", ["bob@example.com"],
                      b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: <b>hello</b>\r\n\r\nline\r\n")
    sandbox.mailbox.wait_for(1)
    listing = requests.get(sandbox.mailbox_url, timeout=5).text  # the link carries the page token
    assert "&lt;b&gt;hello&lt;/b&gt;" in listing and f'href="mailbox/1?t={sandbox.page_token}"' in listing
    one = requests.get(sandbox.page_url("/mailbox/1"), timeout=5)
    assert one.status_code == 200 and "line" in one.text and "alice@example.com" in one.text
    assert requests.get(sandbox.page_url("/mailbox/7"), timeout=5).status_code == 404
    # The same pages over plain HTTP, for jupyter-server-proxy.
    assert "hello" in requests.get(sandbox.page_url("/mailbox", ui=True), timeout=5).text


def test_public_url_through_jupyter_server_proxy(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url = sandbox.base_url + "/o/oauth2/auth?client_id=x"
    assert sandbox.public_url(url) == url
    ui_port = sandbox.info["ui_url"].rsplit(":", 1)[1]
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/alice/")
    # Through the proxy the page listener sees the hub's name: the link carries the page token.
    t = sandbox.page_token
    assert sandbox.public_url(url) == f"/user/alice/proxy/{ui_port}/o/oauth2/auth?client_id=x&t={t}"
    monkeypatch.setenv("JUPYTERHUB_PUBLIC_URL", "https://hub.example.org/user/alice/")
    assert sandbox.public_url(url) == (f"https://hub.example.org/user/alice/proxy/{ui_port}/o/oauth2/auth"
                                       f"?client_id=x&t={t}")
    assert sandbox.public_url("http://127.0.0.1:48888/callback") == "http://127.0.0.1:48888/callback"
    from oauthmail.commands.sandbox import summary

    assert f"/proxy/{ui_port}/mailbox" in summary(sandbox)


def test_handle_from_another_process_view(sandbox: Any) -> None:
    info = load_info(sandbox.state_dir)
    assert info is not None and info["base_url"] == sandbox.base_url
    handle = SandboxHandle(info)
    before = sandbox.clock.now()
    handle.clock.advance(100)
    assert sandbox.clock.now() >= before + 100
    handle.set_fault("token_status", 503)
    assert sandbox.idp.faults["token_status"] == 503
    handle.set_fault("token_status", None)
    handle.set_smtp_auth_disabled("dave@contoso.example")
    assert "dave@contoso.example" in sandbox.smtp_handler.smtp_auth_disabled
    minted = handle.mint_tokens("microsoft", handle.microsoft_web_client_id, "dave@contoso.example",
                                ["https://outlook.office.com/SMTP.Send"])
    handle.revoke(minted["refresh_token"])
    assert sandbox.idp.refresh[minted["refresh_token"]].revoked
    assert handle.token_requests == []
    assert handle.users_of("microsoft") == ["dave@contoso.example", "erin@contoso.example"]
    forged = SandboxHandle({**info, "admin_token": "wrong"})
    with pytest.raises(OSError):
        forged.clock.now()


def test_ensure_running_reuses_or_starts(sandbox: Any, tmp_path: Path) -> None:
    again = ensure_running(sandbox.state_dir)
    assert isinstance(again, SandboxHandle) and again.base_url == sandbox.base_url
    fresh = ensure_running(tmp_path / "kernel", detached=False)  # in this process, as before
    try:
        assert isinstance(fresh, Sandbox) and fresh.running
        assert fresh.google_web_redirect_uri == "http://127.0.0.1:48888/callback"
        assert ensure_running(tmp_path / "kernel") is fresh
    finally:
        fresh.stop()
    assert load_info(tmp_path / "kernel") is None


def test_restart_keeps_refresh_tokens_and_secrets(tmp_path: Path) -> None:
    with Sandbox(tmp_path) as sb:
        client_id = json.loads(sb.client_secrets_web.read_text())["web"]["client_id"]
        secret = json.loads(sb.client_secrets_web.read_text())["web"]["client_secret"]
        rt = sb.mint_tokens("google", client_id, "alice@example.com", [MAIL])["refresh_token"]
        sb.clock.advance(86400)
    assert oct((tmp_path / "tokens.json").stat().st_mode & 0o777) == "0o600"
    with Sandbox(tmp_path) as sb:
        assert json.loads(sb.client_secrets_web.read_text())["web"]["client_secret"] == secret
        r = requests.post(sb.google_token_uri, data={"grant_type": "refresh_token", "refresh_token": rt,
                                                     "client_id": client_id, "client_secret": secret},
                          timeout=5, verify=str(sb.ca_file))
        assert r.status_code == 200
        assert sb.clock.now() > __import__("time").time() + 86000  # the moved clock is kept too


def test_config_file_users_and_clients(tmp_path: Path) -> None:
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({
        "users": [{"email": "trainer@example.com", "provider": "google"},
                  {"email": "ops@fabrikam.example", "provider": "microsoft", "smtp_auth_disabled": True}],
        "lifetimes": {"google_access_token": 60},
    }))
    with Sandbox(tmp_path / "s", cfg) as sb:
        assert sb.users == ["trainer@example.com", "ops@fabrikam.example"]
        client_id = json.loads(sb.client_secrets_web.read_text())["web"]["client_id"]
        assert sb.mint_tokens("google", client_id, "trainer@example.com", [MAIL])["expires_in"] == 60
        assert "ops@fabrikam.example" in sb.smtp_handler.smtp_auth_disabled


def test_plain_http_listener_serves_pages_only(sandbox: Any) -> None:
    ui = sandbox.info["ui_url"]
    r = requests.post(ui + "/token", data={"grant_type": "refresh_token"}, timeout=5)
    assert r.status_code == 403 and r.json()["error"] == "https_required"
    assert requests.post(ui + "/_sandbox/admin", json={"op": "clock_now"}, timeout=5).status_code == 403


def test_approve_without_listener_still_returns_the_address(sandbox: Any) -> None:
    url = _auth_url(sandbox)  # nobody listens on the registered port
    redirect = sandbox.approve(url, "alice@example.com")
    assert redirect.startswith(sandbox.google_web_redirect_uri + "?") and "code=" in redirect


def test_web_client_second_consent_without_prompt_has_no_refresh_token(sandbox: Any) -> None:
    from google_auth_oauthlib.flow import Flow

    def run(**extra: str) -> dict[str, Any]:
        flow = Flow.from_client_secrets_file(str(sandbox.client_secrets_web), scopes=[MAIL],
                                             redirect_uri=sandbox.google_web_redirect_uri)
        url, _ = flow.authorization_url(**extra)
        redirect = sandbox.approve(url, "bob@example.com", follow=False)
        return dict(flow.fetch_token(authorization_response=redirect.replace("http://", "https://", 1)))

    assert "refresh_token" in run()
    assert "refresh_token" not in run()  # Google: only on the first consent (fact 16)
    assert "refresh_token" in run(prompt="consent")


def test_plain_http_client_on_the_https_port_does_not_hang_the_server(sandbox: Any) -> None:
    import socket

    port = int(sandbox.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(5)
        try:
            s.recv(100)
        except OSError:
            pass
    assert requests.get(sandbox.base_url + "/_sandbox/health", timeout=5).json()["ok"] is True


def test_mailbox_dates_read_as_japanese_dates_with_the_raw_header_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    import time as _time
    from email.message import EmailMessage

    from oauthmail.sandbox.pages import mail_date, mailbox_list_page, mailbox_message_page

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    _time.tzset()
    try:
        msg = EmailMessage()
        msg["Date"] = "Wed, 02 Dec 2026 09:42:05 +0000"
        msg.set_content("body")
        msg["Subject"] = "hello"
        assert mail_date(msg["Date"], "ja") == "2026 年 12 月 2 日（水）18:42:05（日本時間）"
        assert mail_date(msg["Date"], "en") == msg["Date"]
        assert mail_date("not a date", "ja") == "not a date"
        listing = mailbox_list_page([msg], "ja", {})
        assert "2026 年 12 月 2 日（水）18:42:05（日本時間）" in listing
        assert 'title="Wed, 02 Dec 2026 09:42:05 +0000"' in listing  # kept for a search, not shown in the cell
        assert ">Wed, 02 Dec 2026" not in listing
        one = mailbox_message_page(msg, 1, "ja", {})
        assert "18:42:05（日本時間）" in one and ">Wed, 02 Dec 2026 09:42:05 +0000</small>" in one
        assert ">Wed, 02 Dec 2026 09:42:05 +0000<" in mailbox_list_page([msg], "en", {})
        monkeypatch.setenv("TZ", "UTC")
        _time.tzset()
        assert mail_date(msg["Date"], "ja") == "2026 年 12 月 2 日（水）09:42:05（UTC+00:00）"
    finally:
        monkeypatch.delenv("TZ")
        _time.tzset()


def test_japanese_summary_follows_the_writing_rules(sandbox: Any) -> None:
    """What `oauthmail --lang ja sandbox` prints: full-width brackets around Japanese, none nested."""
    from oauthmail.commands.sandbox import summary

    text = summary(sandbox, "ja")
    assert "alice@example.com（Google、テストユーザー）" in text
    assert not re.search(r"[\u3040-\u30ff\u4e00-\u9fff]\)|\([\u3040-\u30ff\u4e00-\u9fff]", text), text
    assert not re.search(r"（[^）\n]*（", text), text
