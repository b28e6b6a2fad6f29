"""Google-shaped sign-in against the sandbox, driven by the real google-auth-oauthlib."""

from __future__ import annotations

import json
import smtplib
import warnings
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from oauthmail.errors import ConsentError

MAIL = "https://mail.google.com/"
EMAIL = "https://www.googleapis.com/auth/userinfo.email"


def _flow(sb: Any, kind: str = "web", redirect: str | None = None, scopes: list[str] | None = None) -> Any:
    from google_auth_oauthlib.flow import Flow

    path = sb.client_secrets_web if kind == "web" else sb.client_secrets_installed
    return Flow.from_client_secrets_file(str(path), scopes=scopes or [MAIL, "openid", EMAIL],
                                         redirect_uri=redirect or sb.google_web_redirect_uri)


def _https(url: str) -> str:
    # What InstalledAppFlow does too: oauthlib insists on https for the authorization response.
    return url.replace("http://", "https://", 1)


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def xoauth2(user: str, token: str) -> str:
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def test_client_files_have_the_console_shape(sandbox: Any) -> None:
    web = json.loads(sandbox.client_secrets_web.read_text())["web"]
    assert set(web) >= {"client_id", "project_id", "auth_uri", "token_uri", "auth_provider_x509_cert_url",
                        "client_secret", "redirect_uris"}
    assert web["auth_uri"] == sandbox.google_auth_uri and web["token_uri"] == sandbox.google_token_uri
    installed = json.loads(sandbox.client_secrets_installed.read_text())["installed"]
    assert installed["redirect_uris"] == ["http://localhost"]
    assert (sandbox.state_dir / f"client_secret_{installed['client_id']}.json").exists()
    assert oct(sandbox.client_secrets_web.stat().st_mode & 0o777) == "0o600"


def test_web_flow_consent_token_refresh_userinfo_and_send(sandbox: Any, google_loopback: Any) -> None:
    loopback = google_loopback
    flow = _flow(sandbox)
    url, state = flow.authorization_url(prompt="consent")
    redirect = sandbox.approve(url, "alice@example.com")  # follows to the loopback listener
    assert loopback.event.wait(5)
    method, path, _ = loopback.requests[0]
    assert method == "GET" and path.startswith("/callback?") and f"state={state}" in path
    token = flow.fetch_token(authorization_response=_https(redirect))
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3599
    assert token["refresh_token"].startswith("1//0") and "id_token" in token
    assert set(token["scope"]) == {MAIL, "openid", EMAIL}

    creds = flow.credentials
    import google.auth.transport.requests as gtr

    old = creds.token
    creds.refresh(gtr.Request())
    assert creds.token != old and creds.refresh_token == token["refresh_token"]  # Google does not rotate

    info = requests.get(sandbox.google_userinfo_uri, headers={"Authorization": f"Bearer {creds.token}"}, timeout=5)
    assert info.json()["email"] == "alice@example.com"

    with smtplib.SMTP(sandbox.smtp_host, sandbox.smtp_starttls_port, timeout=10) as smtp:
        smtp.starttls()
        smtp.ehlo()
        code, reply = smtp.auth("XOAUTH2", lambda c=None: xoauth2("alice@example.com", creds.token))
        assert (code, reply) == (235, b"2.7.0 Accepted")
        smtp.sendmail("alice@example.com", ["bob@example.com"],
                      b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: consent to mailbox\r\n\r\nhi\r\n")
    msgs = sandbox.mailbox.wait_for(1)
    assert msgs[-1]["Subject"] == "consent to mailbox"
    assert msgs[-1]["X-Sandbox-Authenticated-User"] == "alice@example.com"


def test_desktop_client_accepts_any_loopback_port_and_path(sandbox: Any) -> None:
    flow = _flow(sandbox, "installed", redirect="http://127.0.0.1:51234/some/path")
    url, _ = flow.authorization_url()
    redirect = sandbox.approve(url, "bob@example.com", follow=False)
    assert redirect.startswith("http://127.0.0.1:51234/some/path?")
    token = flow.fetch_token(authorization_response=_https(redirect))
    assert "refresh_token" in token


def test_web_client_redirect_mismatch_page(sandbox: Any) -> None:
    flow = _flow(sandbox, redirect="http://127.0.0.1:1/other")
    url, _ = flow.authorization_url()
    with pytest.raises(ConsentError) as err:
        sandbox.approve(url, "alice@example.com", follow=False)
    assert err.value.code == "redirect_uri_mismatch"
    page = requests.get(url, timeout=5)
    assert page.status_code == 400 and "Error 400: redirect_uri_mismatch" in page.text
    assert "redirect_uri=http://127.0.0.1:1/other" in page.text


def test_unknown_client_page(sandbox: Any) -> None:
    url = sandbox.google_auth_uri + "?client_id=nope&redirect_uri=http://127.0.0.1:9/&response_type=code&scope=email"
    with pytest.raises(ConsentError) as err:
        sandbox.approve(url, follow=False)
    assert err.value.code == "invalid_client"
    assert "The OAuth client was not found." in (err.value.what())


def test_deny_redirects_with_access_denied(sandbox: Any) -> None:
    flow = _flow(sandbox)
    url, state = flow.authorization_url()
    redirect = sandbox.deny(url, "alice@example.com", follow=False)
    assert _query(redirect) == {"error": "access_denied", "state": state}


def test_non_test_user_is_blocked(sandbox: Any) -> None:
    flow = _flow(sandbox)
    url, state = flow.authorization_url()
    redirect = sandbox.approve(url, "carol@example.com", follow=False)
    assert _query(redirect) == {"error": "access_denied", "state": state}


def test_granular_consent_can_drop_the_mail_scope(sandbox: Any) -> None:
    flow = _flow(sandbox, scopes=[MAIL, "openid", EMAIL])
    url, _ = flow.authorization_url()
    redirect = sandbox.approve(url, "alice@example.com", follow=False, scopes=[])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Warning, match="Scope has changed"):
            flow.fetch_token(authorization_response=_https(redirect))
    # The raw token endpoint says what was granted.
    code = _query(redirect)["code"]
    assert code  # used once above; a second redemption is refused
    sec = json.loads(sandbox.client_secrets_web.read_text())["web"]
    r = requests.post(sandbox.google_token_uri, data={
        "grant_type": "authorization_code", "code": code, "client_id": sec["client_id"],
        "client_secret": sec["client_secret"], "redirect_uri": sandbox.google_web_redirect_uri,
        "code_verifier": flow.code_verifier}, timeout=5)
    assert r.status_code == 400 and r.json() == {"error": "invalid_grant", "error_description": "Bad Request"}


def _code_and_client(sb: Any) -> tuple[Any, str, dict[str, str]]:
    flow = _flow(sb)
    url, _ = flow.authorization_url()
    code = _query(sb.approve(url, "alice@example.com", follow=False))["code"]
    sec = json.loads(sb.client_secrets_web.read_text())["web"]
    return flow, code, sec


def _post(sb: Any, **data: str) -> requests.Response:
    return requests.post(sb.google_token_uri, data=data, timeout=5)


def test_token_endpoint_errors_are_worded_like_google(sandbox: Any) -> None:
    flow, code, sec = _code_and_client(sandbox)
    base = {"grant_type": "authorization_code", "code": code, "client_id": sec["client_id"],
            "redirect_uri": sandbox.google_web_redirect_uri}
    r = _post(sandbox, **base, client_secret="wrong", code_verifier=flow.code_verifier)
    assert (r.status_code, r.json()["error"]) == (401, "invalid_client")
    r = _post(sandbox, **{**base, "client_id": "unknown"}, client_secret="x")
    assert r.json() == {"error": "invalid_client", "error_description": "The OAuth client was not found."}
    r = _post(sandbox, **base, client_secret=sec["client_secret"])
    assert r.json() == {"error": "invalid_grant", "error_description": "Missing code verifier."}


def test_bad_code_verifier(sandbox: Any) -> None:
    _, code, sec = _code_and_client(sandbox)
    r = _post(sandbox, grant_type="authorization_code", code=code, client_id=sec["client_id"],
              client_secret=sec["client_secret"], redirect_uri=sandbox.google_web_redirect_uri,
              code_verifier="x" * 50)
    assert r.json() == {"error": "invalid_grant", "error_description": "Invalid code verifier."}


def test_testing_refresh_token_expires_after_seven_days(sandbox: Any) -> None:
    sec = json.loads(sandbox.client_secrets_web.read_text())["web"]
    minted = sandbox.mint_tokens("google", sec["client_id"], "alice@example.com", [MAIL])
    data = {"grant_type": "refresh_token", "refresh_token": minted["refresh_token"], "client_id": sec["client_id"],
            "client_secret": sec["client_secret"]}
    assert _post(sandbox, **data).status_code == 200
    sandbox.clock.advance(7 * 86400 + 1)
    r = _post(sandbox, **data)
    assert r.json() == {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}


def test_revoked_refresh_token(sandbox: Any) -> None:
    sec = json.loads(sandbox.client_secrets_web.read_text())["web"]
    minted = sandbox.mint_tokens("google", sec["client_id"], "bob@example.com", [MAIL])
    sandbox.revoke(minted["refresh_token"])
    r = _post(sandbox, grant_type="refresh_token", refresh_token=minted["refresh_token"],
              client_id=sec["client_id"], client_secret=sec["client_secret"])
    assert r.json()["error_description"] == "Token has been expired or revoked."


def test_token_faults(sandbox: Any) -> None:
    sec = json.loads(sandbox.client_secrets_web.read_text())["web"]
    minted = sandbox.mint_tokens("google", sec["client_id"], "alice@example.com", [MAIL])
    data = {"grant_type": "refresh_token", "refresh_token": minted["refresh_token"], "client_id": sec["client_id"],
            "client_secret": sec["client_secret"]}
    sandbox.set_fault("token_status", 500)
    assert _post(sandbox, **data).status_code == 500
    sandbox.set_fault("token_status", None)
    sandbox.set_fault("token_delay", 0.3)
    import time

    t0 = time.monotonic()
    assert _post(sandbox, **data).status_code == 200
    assert time.monotonic() - t0 >= 0.3
    grants = [r["grant_type"] for r in sandbox.token_requests]
    assert grants.count("refresh_token") == 1 and "fault" in grants
