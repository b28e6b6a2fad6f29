"""Consent through the real redirect path against the sandbox (real TLS, real Flow and MSAL).

The sandbox's simulated user plays the browser: it opens the authorization URL, picks the
account, clicks Allow or Deny, and follows the redirect to our loopback listener (``follow=True``),
or hands back the address a person would paste (``follow=False``).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest

from oauthmail import tokenfile
from oauthmail.consent import (
    ConsentResult,
    LoopbackListener,
    finish,
    finish_device_code,
    load_flow,
    load_google_client,
    microsoft_client,
    run_consent,
    run_consent_async,
    save_flow,
    save_result,
    start_device_code,
    start_google,
    start_microsoft,
)
from oauthmail.errors import ConsentError, OAuthMailError
from tests.loopback_lock import open_connections_to
from tests.sandbox_fixtures import free_port as _free_port

pytest.importorskip("oauthmail.sandbox")

ALICE = "alice@example.com"
BOB = "bob@example.com"
CAROL = "carol@example.com"  # not a test user


def _ms_redirect() -> str:
    # Entra ignores the port of a localhost redirect (fact 39); a free port keeps parallel runs apart.
    return f"http://localhost:{_free_port()}/callback"


def _users(sb: Any) -> tuple[str, str]:
    ms = [u for u in sb.users if not u.endswith("@example.com")]
    return ms[0], ms[1]


def _send(sb: Any, account: tokenfile.Account, to: str) -> None:
    """Deliver with smtplib + XOAUTH2 over STARTTLS to the sandbox with the token consent returned."""
    ctx = ssl.create_default_context(cafile=str(sb.ca_file))
    auth = f"user={account.email}\x01auth=Bearer {account.access_token}\x01\x01"
    with smtplib.SMTP(sb.smtp_host, sb.smtp_starttls_port, timeout=15) as smtp:
        smtp.starttls(context=ctx)
        smtp.ehlo()
        smtp.auth("XOAUTH2", lambda challenge=None: auth if challenge is None else "")
        smtp.sendmail(account.email, [to], f"From: {account.email}\r\nTo: {to}\r\nSubject: consent ok\r\n\r\nhi\r\n")


def _no_secret_in(text: str, result: ConsentResult) -> None:
    for secret in result.secrets():
        assert secret not in text


def _approve_on_url(sb: Any, user: str, **kw: Any) -> Any:
    return lambda url: sb.approve(url, user=user, **kw)


# --- Google ---------------------------------------------------------------------------------------


def test_google_web_loopback_and_send(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    client = load_google_client(sb.client_secrets_web)
    flow = start_google(client)
    result = run_consent(flow, open_browser=False, timeout=30, on_url=_approve_on_url(sb, ALICE))
    assert result.email == ALICE and result.provider == "google" and result.client_type == "web"
    assert result.refresh_token and result.access_token and result.expires_at
    assert result.scopes == ["https://mail.google.com/"]
    assert result.token_uri == client.token_uri and result.redirect_uri == flow["redirect_uri"]
    _no_secret_in(repr(result), result)
    ini = save_result(tmp_path / "out.ini", result, email=ALICE)
    account = tokenfile.read(ini).account(ALICE)
    assert account.refresh_token == result.refresh_token and (account.smtp_host, account.smtp_port) == (sb.smtp_host, sb.smtp_starttls_port)
    sb.mailbox.clear()
    _send(sb, account, BOB)
    assert [m["Subject"] for m in sb.mailbox.messages()] == ["consent ok"]


def test_google_desktop_loopback_free_port(sandbox: Any) -> None:
    sb = sandbox
    flow = start_google(sb.client_secrets_installed, email=BOB)
    assert flow["redirect_uri"].startswith("http://127.0.0.1:") and flow["client_type"] == "installed"
    result = run_consent(flow, open_browser=False, timeout=30, on_url=_approve_on_url(sb, BOB))
    assert result.email == BOB and result.client_type == "installed" and result.refresh_token


def test_google_paste_mode_after_kernel_restart(sandbox: Any) -> None:
    sb = sandbox
    flow = start_google(sb.client_secrets_web)
    save_flow(flow)
    pasted = sb.approve(flow["auth_uri"], user=ALICE, follow=False)  # the page fails to load; address bar kept
    assert pasted.startswith(flow["redirect_uri"] + "?")
    restored = load_flow()  # a new kernel: only the saved dict is left
    result = finish(restored, f"  {pasted}\n")
    assert result.email == ALICE and result.refresh_token


def test_google_bare_code_paste(sandbox: Any) -> None:
    sb = sandbox
    flow = start_google(sb.client_secrets_web)
    code = parse_qs(urlsplit(sb.approve(flow["auth_uri"], user=ALICE, follow=False)).query)["code"][0]
    assert finish(flow, code).email == ALICE


def test_stray_requests_before_the_real_callback(sandbox: Any) -> None:
    sb = sandbox
    flow = start_google(sb.client_secrets_web)
    base = flow["redirect_uri"]
    seen: list[int] = []

    def browser(url: str) -> None:
        for stray in (urlunsplit(urlsplit(base)._replace(path="/favicon.ico")), base,
                      base + "?" + urlencode({"code": "forged-code-123", "state": "not-the-state"})):
            try:
                with urllib.request.urlopen(stray, timeout=5) as resp:
                    seen.append(resp.status)
            except urllib.error.HTTPError as exc:
                seen.append(exc.code)
        sb.approve(url, user=ALICE)

    listener = LoopbackListener(base, state=flow["state"])
    result = run_consent(flow, open_browser=False, timeout=30, on_url=browser, listener=listener)
    assert seen == [404, 200, 400] and listener.ignored == 3
    assert result.email == ALICE


def test_google_deny(sandbox: Any) -> None:
    sb = sandbox
    flow = start_google(sb.client_secrets_web)
    with pytest.raises(ConsentError) as info:
        run_consent(flow, open_browser=False, timeout=30, on_url=lambda u: sb.deny(u, user=ALICE))
    assert info.value.code == "access_denied" and "Allow" in info.value.hint("en")


def test_google_not_a_test_user(sandbox: Any) -> None:
    sb = sandbox
    flow = start_google(sb.client_secrets_web)
    with pytest.raises(ConsentError) as info:
        finish(flow, sb.approve(flow["auth_uri"], user=CAROL, follow=False))
    assert info.value.code == "access_denied" and "not one of its test users" in info.value.what("en")
    assert "Test users" in info.value.hint("en") and "テストユーザー" in info.value.hint("ja")


def test_google_redirect_not_registered_is_p1(sandbox: Any) -> None:
    sb = sandbox
    with pytest.raises(ConsentError) as info:
        start_google(sb.client_secrets_web, redirect_uri="http://localhost:48888/callback")
    assert info.value.code == "redirect_uri_mismatch"
    # The provider's own check (a JSON edited by hand): the page says redirect_uri_mismatch.
    client = load_google_client(sb.client_secrets_web)
    client.redirect_uris = [f"http://127.0.0.1:{_free_port()}/elsewhere"]
    flow = start_google(client)
    with pytest.raises(ConsentError) as page:
        sb.approve(flow["auth_uri"], user=ALICE, follow=False)
    assert page.value.code == "redirect_uri_mismatch"


def test_google_wrong_secret_is_invalid_client(sandbox: Any) -> None:
    sb = sandbox
    client = load_google_client(sb.client_secrets_web)
    client.client_secret = "GOCSPX-wrong-secret-0000000000"
    flow = start_google(client)
    with pytest.raises(ConsentError) as info:
        finish(flow, sb.approve(flow["auth_uri"], user=ALICE, follow=False))
    assert info.value.code == "invalid_client" and "secret" in info.value.what("en")
    assert "wrong-secret" not in str(info.value.to_dict())


def test_google_code_reuse_and_missing_verifier_are_invalid_grant(sandbox: Any) -> None:
    sb = sandbox
    flow = start_google(sb.client_secrets_web)
    pasted = sb.approve(flow["auth_uri"], user=ALICE, follow=False)
    finish(flow, pasted)
    with pytest.raises(ConsentError) as info:
        finish(flow, pasted)
    assert info.value.code == "invalid_grant" and "again" in info.value.hint("en")
    flow2 = start_google(sb.client_secrets_web)
    pasted2 = sb.approve(flow2["auth_uri"], user=ALICE, follow=False)
    flow2["code_verifier"] = None  # a Flow rebuilt without the saved verifier (P8): refused before any request
    with pytest.raises(ConsentError) as info:
        finish(flow2, pasted2)
    assert info.value.code == "no_pkce"
    code = parse_qs(urlsplit(pasted2).query)["code"][0]
    assert code not in str(info.value.to_dict())


def test_google_unticked_mail_scope_is_p7(sandbox: Any) -> None:
    sb = sandbox
    flow = start_google(sb.client_secrets_web)
    pasted = sb.approve(flow["auth_uri"], user=ALICE, follow=False, scopes=[])
    with pytest.raises(ConsentError) as info:
        finish(flow, pasted)
    assert info.value.code == "scope_not_granted" and "https://mail.google.com/" in info.value.what("en")


def test_google_no_refresh_token_is_p4(sandbox: Any) -> None:
    sb = sandbox
    first = start_google(sb.client_secrets_web)
    finish(first, sb.approve(first["auth_uri"], user=BOB, follow=False))
    flow = start_google(sb.client_secrets_web)
    parts = urlsplit(flow["auth_uri"])
    query = [(k, v) for k, vs in parse_qs(parts.query).items() for v in vs if k != "prompt"]
    flow["auth_uri"] = urlunsplit(parts._replace(query=urlencode(query)))  # an app that forgot prompt=consent
    with pytest.raises(ConsentError) as info:
        finish(flow, sb.approve(flow["auth_uri"], user=BOB, follow=False))
    assert info.value.code == "no_refresh_token" and "myaccount.google.com/permissions" in info.value.hint("en")


def test_google_email_mismatch_saves_nothing(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    flow = start_google(sb.client_secrets_web, email=BOB)
    ini = tmp_path / "out.ini"
    with pytest.raises(ConsentError) as info:
        run_consent(flow, open_browser=False, timeout=30, on_url=_approve_on_url(sb, ALICE))
    assert info.value.code == "email_mismatch" and ALICE in info.value.what("en")
    assert not ini.exists()


def test_state_mismatch_pasted(sandbox: Any) -> None:
    sb = sandbox
    flow_a = start_google(sb.client_secrets_web)
    flow_b = start_google(sb.client_secrets_web)
    pasted_b = sb.approve(flow_b["auth_uri"], user=ALICE, follow=False)
    with pytest.raises(ConsentError) as info:
        finish(flow_a, pasted_b)
    assert info.value.code == "state_mismatch"


def test_timeout_and_busy_port(sandbox: Any) -> None:
    sb = sandbox
    flow = start_google(sb.client_secrets_web)
    with pytest.raises(ConsentError) as info:
        run_consent(flow, open_browser=False, timeout=0.3)
    assert info.value.code == "timeout"
    port = urlsplit(flow["redirect_uri"]).port
    with socket.socket() as other:
        other.bind(("127.0.0.1", port))
        other.listen()
        with pytest.raises(ConsentError) as info:
            run_consent(flow, open_browser=False, timeout=5)
    assert info.value.code == "port_busy" and str(port) in info.value.what("en")


def test_background_consent_with_cancel(sandbox: Any) -> None:
    sb = sandbox
    flow = start_google(sb.client_secrets_web)
    cancel = threading.Event()
    future = run_consent_async(flow, open_browser=False, timeout=30, cancel=cancel)
    cancel.set()
    with pytest.raises(ConsentError) as info:
        future.result(timeout=10)
    assert info.value.code == "cancelled"
    urls: list[str] = []
    flow = start_google(sb.client_secrets_web)
    future = run_consent_async(flow, open_browser=False, timeout=30, on_url=urls.append)
    for _ in range(100):
        if urls:
            break
        threading.Event().wait(0.05)
    sb.approve(urls[0], user=ALICE)
    assert future.result(timeout=30).email == ALICE


# --- Microsoft ------------------------------------------------------------------------------------


def _ms_web(sb: Any, secret: str | None = "") -> Any:
    return microsoft_client(sb.microsoft_web_client_id,
                            sb.microsoft_web_client_secret if secret == "" else secret,
                            authority=sb.microsoft_authority)


def test_microsoft_web_app_with_secret_and_send(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    dave, _ = _users(sb)
    flow = start_microsoft(_ms_web(sb), redirect_uri=_ms_redirect(), email=dave)
    assert "response_mode=query" in flow["auth_uri"]
    assert "offline_access" in flow["auth_uri"] and flow["scopes"] == ["https://outlook.office.com/SMTP.Send"]
    result = run_consent(flow, open_browser=False, timeout=30, on_url=_approve_on_url(sb, dave))
    assert result.email == dave and result.client_type == "confidential" and result.refresh_token
    assert result.authority == sb.microsoft_authority.rstrip("/")
    ini = save_result(tmp_path / "ms.ini", result)
    account = tokenfile.read(ini).account(dave)
    assert account.authority and (account.smtp_host, account.smtp_port) == (sb.smtp_host, sb.smtp_starttls_port) and not account.token_uri
    sb.mailbox.clear()
    _send(sb, account, dave)
    assert len(sb.mailbox.messages()) == 1


def test_microsoft_paste_and_graph_transport(sandbox: Any) -> None:
    sb = sandbox
    dave, _ = _users(sb)
    flow = start_microsoft(_ms_web(sb), redirect_uri=_ms_redirect(), transport="graph")
    assert flow["scopes"] == ["https://graph.microsoft.com/Mail.Send"]
    pasted = sb.approve(flow["auth_uri"], user=dave, follow=False)
    result = finish(flow, pasted)
    assert result.email == dave and result.transport == "graph"


def test_microsoft_device_code(sandbox: Any) -> None:
    sb = sandbox
    _, erin = _users(sb)
    flow = start_device_code(microsoft_client(sb.microsoft_public_client_id, authority=sb.microsoft_authority))
    assert flow["user_code"] and flow["verification_uri"] and flow["user_code"] in flow["message"]
    threading.Timer(0.3, lambda: sb.approve_device_code(flow["user_code"], erin)).start()
    result = finish_device_code(flow, timeout=60)
    assert result.email == erin and result.client_type == "public" and not result.client_secret
    assert result.refresh_token


def test_microsoft_device_code_cancel_and_timeout(sandbox: Any) -> None:
    sb = sandbox
    client = microsoft_client(sb.microsoft_public_client_id, authority=sb.microsoft_authority)
    flow = start_device_code(client)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(ConsentError) as info:
        finish_device_code(flow, cancel=cancel)
    assert info.value.code == "cancelled"
    with pytest.raises(ConsentError) as info:
        finish_device_code(start_device_code(client), timeout=0.5)
    assert info.value.code == "timeout"


def test_microsoft_device_code_with_secret_is_p32(sandbox: Any) -> None:
    with pytest.raises(ConsentError) as info:
        start_device_code(_ms_web(sandbox))
    assert info.value.code == "device_needs_public_client"
    assert "Allow public client flows" in info.value.hint("en")


def test_msal_warnings_do_not_leak(sandbox: Any) -> None:
    import warnings

    sb = sandbox
    dave, _ = _users(sb)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        flow = start_microsoft(_ms_web(sb), redirect_uri=_ms_redirect())
        finish(flow, sb.approve(flow["auth_uri"], user=dave, follow=False))
    assert [str(w.message) for w in caught] == []


def test_microsoft_deny(sandbox: Any) -> None:
    sb = sandbox
    dave, _ = _users(sb)
    flow = start_microsoft(_ms_web(sb), redirect_uri=_ms_redirect())
    with pytest.raises(ConsentError) as info:
        finish(flow, sb.deny(flow["auth_uri"], user=dave, follow=False))
    assert info.value.code in ("AADSTS65004", "access_denied") and "Allow" in info.value.hint("en")


@pytest.mark.parametrize(
    ("secret", "code", "words"),
    [
        ("wrong~secret.value-000000000000000", "AADSTS7000215", "Secret ID"),
        (None, "AADSTS7000218", "secret"),
    ],
)
def test_microsoft_secret_problems(sandbox: Any, secret: str | None, code: str, words: str) -> None:
    sb = sandbox
    dave, _ = _users(sb)
    flow = start_microsoft(_ms_web(sb, secret), redirect_uri=_ms_redirect())
    with pytest.raises(ConsentError) as info:
        finish(flow, sb.approve(flow["auth_uri"], user=dave, follow=False))
    assert info.value.code == code and words in info.value.what("en") + info.value.hint("en")
    if secret:
        assert secret not in str(info.value.to_dict())


def test_microsoft_public_client_with_secret_is_p24(sandbox: Any) -> None:
    sb = sandbox
    _, erin = _users(sb)
    client = microsoft_client(sb.microsoft_public_client_id, "some~secret.value-00000000000000",
                              authority=sb.microsoft_authority)
    flow = start_microsoft(client, redirect_uri=f"http://localhost:{_free_port()}")
    with pytest.raises(ConsentError) as info:
        finish(flow, sb.approve(flow["auth_uri"], user=erin, follow=False))
    assert info.value.code == "AADSTS700025"


def test_microsoft_redirect_mismatch_page(sandbox: Any) -> None:
    sb = sandbox
    flow = start_microsoft(_ms_web(sb), redirect_uri=f"http://localhost:{_free_port()}/wrong-path")
    with pytest.raises(ConsentError) as info:
        sb.approve(flow["auth_uri"], follow=False)
    assert info.value.code == "AADSTS50011"
    # What the person then pastes into `oauthmail explain` / what the kit says for that wording:
    from oauthmail.consent.problems import provider_error

    mapped = provider_error("invalid_request", str(info.value.details or info.value.what("en")),
                            redirect_uri=flow["redirect_uri"])
    assert mapped.code == "AADSTS50011" and flow["redirect_uri"] in mapped.hint("en")


def test_microsoft_unknown_tenant(sandbox: Any) -> None:
    sb = sandbox
    base = sb.microsoft_authority.rsplit("/", 1)[0]
    client = microsoft_client(sb.microsoft_web_client_id, sb.microsoft_web_client_secret,
                              authority=base + "/no-such-tenant.example")
    with pytest.raises(OAuthMailError) as info:
        start_microsoft(client, redirect_uri=_ms_redirect())
    assert info.value.code in ("authority_unknown", "AADSTS90002")


def test_two_accounts_in_one_ini(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    dave, _ = _users(sb)
    ini = tmp_path / "both.ini"
    g = start_google(sb.client_secrets_web)
    save_result(ini, run_consent(g, open_browser=False, timeout=30, on_url=_approve_on_url(sb, ALICE)))
    m = start_microsoft(_ms_web(sb), redirect_uri=_ms_redirect())
    save_result(ini, run_consent(m, open_browser=False, timeout=30, on_url=_approve_on_url(sb, dave)))
    tf = tokenfile.read(ini)
    assert set(tf.accounts) == {ALICE, dave} and tf.default_account == ALICE
    assert tf.account(ALICE).provider == "google" and tf.account(dave).provider == "microsoft"


# --- more paths -----------------------------------------------------------------------------------


def test_google_address_from_userinfo_when_no_id_token(sandbox: Any) -> None:
    from oauthmail.consent.google import _userinfo_email, userinfo_url

    sb = sandbox
    flow = start_google(sb.client_secrets_web)
    result = finish(flow, sb.approve(flow["auth_uri"], user=ALICE, follow=False))
    assert userinfo_url(result.token_uri) == sb.google_userinfo_uri
    assert _userinfo_email(result.token_uri, result.access_token) == ALICE
    assert _userinfo_email(result.token_uri, "not-a-token") == ""


def test_google_gmail_api_transport(sandbox: Any) -> None:
    sb = sandbox
    flow = start_google(sb.client_secrets_web, transport="gmail-api")
    result = finish(flow, sb.approve(flow["auth_uri"], user=ALICE, follow=False))
    assert result.scopes == ["https://www.googleapis.com/auth/gmail.send"] and result.transport == "gmail-api"
    assert result.to_account().transport == "gmail-api"


def test_finish_with_a_captured_dict(sandbox: Any) -> None:
    sb = sandbox
    flow = start_google(sb.client_secrets_web)
    query = parse_qs(urlsplit(sb.approve(flow["auth_uri"], user=ALICE, follow=False)).query)
    assert finish(flow, query).email == ALICE


def test_microsoft_public_client_loopback(sandbox: Any) -> None:
    sb = sandbox
    _, erin = _users(sb)
    client = microsoft_client(sb.microsoft_public_client_id, authority=sb.microsoft_authority)
    flow = start_microsoft(client, redirect_uri=f"http://localhost:{_free_port()}")
    result = run_consent(flow, open_browser=False, timeout=30, on_url=_approve_on_url(sb, erin))
    assert result.email == erin and result.client_type == "public" and not result.client_secret


def test_microsoft_tenant_override_and_save_flow(sandbox: Any) -> None:
    sb = sandbox
    dave, _ = _users(sb)
    flow = start_microsoft(_ms_web(sb), redirect_uri=_ms_redirect(), tenant="organizations", email=dave)
    assert flow["client"]["authority"].endswith("/organizations")
    save_flow(flow)
    result = finish(load_flow(), sb.approve(flow["auth_uri"], user=dave, follow=False))
    assert result.email == dave and result.tenant == "organizations"


# --- the provider or the network misbehaves ---------------------------------------------------------


def test_token_endpoint_500(sandbox: Any) -> None:
    sb = sandbox
    dave, _ = _users(sb)
    g = start_google(sb.client_secrets_web)
    g_answer = sb.approve(g["auth_uri"], user=ALICE, follow=False)
    m = start_microsoft(_ms_web(sb), redirect_uri=_ms_redirect())
    m_answer = sb.approve(m["auth_uri"], user=dave, follow=False)
    sb.set_fault("token_status", 500)
    with pytest.raises(ConsentError) as info:
        finish(g, g_answer)
    assert info.value.what("en") and info.value.hint("ja")
    with pytest.raises(ConsentError) as info:
        finish(m, m_answer)
    assert info.value.code == "provider_unavailable" and "temporary" in info.value.what("en")


def test_untrusted_ca_is_a_network_error_that_says_what_to_do(sandbox: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import certifi

    from oauthmail.errors import NetworkError

    sb = sandbox
    g = start_google(sb.client_secrets_web)
    answer = sb.approve(g["auth_uri"], user=ALICE, follow=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    with pytest.raises(NetworkError) as info:
        finish(g, answer)
    assert "SSL_CERT_FILE" in info.value.hint("en")
    code = parse_qs(urlsplit(answer).query)["code"][0]
    assert code not in str(info.value.to_dict())
    with pytest.raises(NetworkError):
        start_microsoft(_ms_web(sb), redirect_uri=_ms_redirect())


def test_microsoft_unknown_app_page(sandbox: Any) -> None:
    from oauthmail.consent.problems import provider_error

    sb = sandbox
    client = microsoft_client("00000000-1111-4222-8333-444444444444", "x~secret.value-000000000000000000",
                              authority=sb.microsoft_authority)
    flow = start_microsoft(client, redirect_uri=_ms_redirect())
    with pytest.raises(ConsentError) as page:
        sb.approve(flow["auth_uri"], follow=False)
    mapped = provider_error("unauthorized_client", str(page.value.details or page.value.what("en")))
    assert mapped.code == "AADSTS700016" and "tenant ID" in mapped.hint("en")


def test_debug_logging_carries_no_secret(sandbox: Any, caplog: pytest.LogCaptureFixture) -> None:
    import logging

    sb = sandbox
    dave, erin = _users(sb)
    caplog.set_level(logging.DEBUG)
    g = start_google(sb.client_secrets_web)
    g_answer = sb.approve(g["auth_uri"], user=ALICE, follow=False)
    g_result = finish(g, g_answer)
    m = start_microsoft(_ms_web(sb), redirect_uri=_ms_redirect())
    m_answer = sb.approve(m["auth_uri"], user=dave, follow=False)
    m_result = finish(m, m_answer)
    d = start_device_code(microsoft_client(sb.microsoft_public_client_id, authority=sb.microsoft_authority))
    threading.Timer(0.2, lambda: sb.approve_device_code(d["user_code"], erin)).start()
    d_result = finish_device_code(d, timeout=60)
    assert caplog.records  # logging was on
    secrets = [*g_result.secrets(), *m_result.secrets(), *d_result.secrets(), g["code_verifier"],
               m["msal_flow"]["code_verifier"], parse_qs(urlsplit(g_answer).query)["code"][0],
               parse_qs(urlsplit(m_answer).query)["code"][0], d["device_flow"]["device_code"]]
    for secret in secrets:
        assert secret not in caplog.text


def test_device_code_checks_the_address_asked_for(sandbox: Any) -> None:
    sb = sandbox
    dave, erin = _users(sb)
    flow = start_device_code(microsoft_client(sb.microsoft_public_client_id, authority=sb.microsoft_authority),
                             email=dave)
    threading.Timer(0.2, lambda: sb.approve_device_code(flow["user_code"], erin)).start()
    with pytest.raises(ConsentError) as info:
        finish_device_code(flow, timeout=60)
    assert info.value.code == "email_mismatch" and erin in info.value.what("en")


def test_sign_in_one_line(sandbox: Any, oauthmail_home: Path) -> None:
    from oauthmail.consent import sign_in

    sb = sandbox
    dave, erin = _users(sb)
    result = sign_in(sb.client_secrets_web, open_browser=False, timeout=30, on_url=_approve_on_url(sb, ALICE))
    ms = sign_in(_ms_web(sb), open_browser=False, timeout=30, on_url=_approve_on_url(sb, dave),
                 redirect_uri=_ms_redirect())
    public = microsoft_client(sb.microsoft_public_client_id, authority=sb.microsoft_authority)

    def show_code(flow: Any) -> None:
        threading.Timer(0.2, lambda: sb.approve_device_code(flow["user_code"], erin)).start()

    dev = sign_in(public, device_code=True, open_browser=False, timeout=60, on_flow=show_code)
    tf = tokenfile.read(oauthmail_home / "oauthmail.ini")
    assert set(tf.accounts) == {result.email, ms.email, dev.email} == {ALICE, dave, erin}


def _refused_google(sb: Any) -> None:
    client = load_google_client(sb.client_secrets_web)
    client.client_secret = "GOCSPX-wrong-secret-0000000000"
    flow = start_google(client)
    finish(flow, sb.approve(flow["auth_uri"], user=ALICE, follow=False))


def _unknown_tenant(sb: Any) -> None:
    base = sb.microsoft_authority.rsplit("/", 1)[0]
    start_microsoft(microsoft_client(sb.microsoft_web_client_id, sb.microsoft_web_client_secret,
                                     authority=base + "/no-such-tenant.example"), redirect_uri=_ms_redirect())


def _microsoft_sign_ins(sb: Any) -> None:
    dave, erin = _users(sb)
    flow = start_microsoft(_ms_web(sb), redirect_uri=_ms_redirect(), email=dave)
    finish(flow, sb.approve(flow["auth_uri"], user=dave, follow=False))
    device = start_device_code(microsoft_client(sb.microsoft_public_client_id, authority=sb.microsoft_authority))
    threading.Timer(0.3, lambda: sb.approve_device_code(device["user_code"], erin)).start()
    finish_device_code(device, timeout=60)


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp")
@pytest.mark.parametrize("walk", [_microsoft_sign_ins, _refused_google, _unknown_tenant],
                         ids=["microsoft-web-and-device", "google-refused", "microsoft-unknown-tenant"])
def test_sign_ins_leave_no_connection_open(sandbox: Any, walk: Any) -> None:
    """A kernel lives for hours: each HTTPS session of a sign-in is closed when its call is done, also when the
    provider refused (the error's traceback would keep it) or MSAL's constructor failed, not left to the
    cyclic garbage collector (MSAL's own session sits in a reference cycle)."""
    import gc

    sb = sandbox
    ports = {urlsplit(sb.microsoft_authority).port, urlsplit(sb.google_token_uri).port}
    gc.collect()
    gc.disable()
    kept: list[BaseException] = []
    try:
        try:
            walk(sb)
        except OAuthMailError as exc:
            kept.append(exc)  # as a notebook keeps the error it shows (its traceback holds the call's frames)
        left = [c for port in ports for c in open_connections_to(port or 443)]
    finally:
        gc.enable()
    assert left == [], left
    assert bool(kept) == (walk is not _microsoft_sign_ins)
