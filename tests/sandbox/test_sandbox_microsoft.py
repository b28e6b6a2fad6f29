"""Microsoft-identity-platform-shaped sign-in against the sandbox, driven by the real MSAL."""

from __future__ import annotations

import base64
import hashlib
import json
import smtplib
import threading
import warnings
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from oauthmail.clients import msal_http_client
from oauthmail.errors import ConsentError

SMTP_SEND = "https://outlook.office.com/SMTP.Send"
GRAPH_SEND = "https://graph.microsoft.com/Mail.Send"
DAVE = "dave@contoso.example"


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _claims(jwt: str) -> dict[str, Any]:
    part = jwt.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


_SESSIONS: list[Any] = []


def _http() -> Any:
    """A session for MSAL, closed after the test (MSAL's own would wait for the garbage collector)."""
    _SESSIONS.append(msal_http_client())
    return _SESSIONS[-1]


@pytest.fixture(autouse=True)
def _close_msal_sessions() -> Any:
    yield
    while _SESSIONS:
        _SESSIONS.pop().close()


def _confidential(sb: Any, secret: str | None = None) -> Any:
    import msal

    return msal.ConfidentialClientApplication(sb.microsoft_web_client_id,
                                              client_credential=secret or sb.microsoft_web_client_secret,
                                              authority=sb.microsoft_authority, instance_discovery=False, http_client=_http())


def _public(sb: Any, client_id: str | None = None) -> Any:
    import msal

    return msal.PublicClientApplication(client_id or sb.microsoft_public_client_id,
                                        authority=sb.microsoft_authority, instance_discovery=False, http_client=_http())


def _start(app: Any, scopes: list[str], redirect: str) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MSAL recommends form_post; the kit uses query on purpose
        return dict(app.initiate_auth_code_flow(scopes, redirect_uri=redirect))


def xoauth2(user: str, token: str) -> str:
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def test_web_app_auth_code_flow_then_send(sandbox: Any, loopback: Any) -> None:
    app = _confidential(sandbox)
    # Entra ignores the port of a localhost redirect but the path must match (fact 39).
    redirect_uri = f"http://localhost:{loopback.port}/callback"
    flow = _start(app, [SMTP_SEND], redirect_uri)
    redirect = sandbox.approve(flow["auth_uri"], DAVE)
    assert loopback.event.wait(5)
    result = app.acquire_token_by_auth_code_flow(flow, _query(redirect))
    assert "access_token" in result, result
    at = result["access_token"]
    assert 1500 <= len(at) <= 2560 and at.count(".") == 2
    claims = _claims(at)
    assert claims["aud"] == "https://outlook.office.com" and claims["scp"] == "SMTP.Send"
    assert result["id_token_claims"]["preferred_username"] == DAVE
    # MSAL sends sha256(nonce) and compares it with the id token's claim.
    assert result["id_token_claims"]["nonce"] == hashlib.sha256(flow["nonce"].encode()).hexdigest()
    assert app.get_accounts()[0]["username"] == DAVE  # client_info made a proper cache entry

    with smtplib.SMTP(sandbox.smtp_host, sandbox.smtp_starttls_port, timeout=10) as smtp:
        smtp.starttls()
        smtp.ehlo()
        # Exchange's documented shape: bare AUTH XOAUTH2, then the token after an empty 334.
        code, reply = smtp.auth("XOAUTH2", lambda c=None: xoauth2(DAVE, at), initial_response_ok=False)
        assert (code, reply) == (235, b"2.7.0 Authentication successful")
        smtp.sendmail(DAVE, ["erin@contoso.example"], f"From: {DAVE}\r\nSubject: from entra\r\n\r\nhi\r\n".encode())
    assert sandbox.mailbox.wait_for(1)[-1]["Subject"] == "from entra"


def test_refresh_rotates_and_old_token_keeps_working_like_entra(sandbox: Any) -> None:
    app = _confidential(sandbox)
    flow = _start(app, [SMTP_SEND], sandbox.microsoft_web_redirect_uri)
    first = app.acquire_token_by_auth_code_flow(flow, _query(sandbox.approve(flow["auth_uri"], DAVE, follow=False)))
    second = app.acquire_token_by_refresh_token(first["refresh_token"], [SMTP_SEND])
    assert second["refresh_token"] != first["refresh_token"]
    # One refresh token, other resource: a Graph token (and a Graph token is refused by SMTP).
    graph = app.acquire_token_by_refresh_token(second["refresh_token"], ["User.Read"])
    assert "access_token" not in graph and "AADSTS65001" in graph["error_description"]


def test_strict_rotation_mode(sandbox: Any) -> None:
    sandbox.idp.config.microsoft_rotation_invalidates_old = True
    minted = sandbox.mint_tokens("microsoft", sandbox.microsoft_web_client_id, DAVE, [SMTP_SEND, "offline_access"])
    app = _confidential(sandbox)
    assert "access_token" in app.acquire_token_by_refresh_token(minted["refresh_token"], [SMTP_SEND])
    again = app.acquire_token_by_refresh_token(minted["refresh_token"], [SMTP_SEND])
    assert again["error"] == "invalid_grant" and "AADSTS50173" in again["error_description"]


def test_graph_token_is_refused_by_smtp(sandbox: Any) -> None:
    minted = sandbox.mint_tokens("microsoft", sandbox.microsoft_web_client_id, DAVE, [GRAPH_SEND])
    assert _claims(minted["access_token"])["aud"] == "https://graph.microsoft.com"
    with smtplib.SMTP(sandbox.smtp_host, sandbox.smtp_starttls_port, timeout=10) as smtp:
        smtp.starttls()
        smtp.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as err:
            smtp.auth("XOAUTH2", lambda c=None: xoauth2(DAVE, minted["access_token"]))
    assert err.value.smtp_code == 535 and err.value.smtp_error.startswith(b"5.7.3 Authentication unsuccessful")


def test_two_resources_in_one_token_request(sandbox: Any) -> None:
    app = _confidential(sandbox)
    flow = _start(app, [SMTP_SEND, GRAPH_SEND], sandbox.microsoft_web_redirect_uri)
    result = app.acquire_token_by_auth_code_flow(flow, _query(sandbox.approve(flow["auth_uri"], DAVE, follow=False)))
    assert "AADSTS28000" in result["error_description"]


def test_missing_and_wrong_secret(sandbox: Any) -> None:
    public_style = _public(sandbox, sandbox.microsoft_web_client_id)  # Web app used without a secret
    flow = _start(public_style, [SMTP_SEND], sandbox.microsoft_web_redirect_uri)
    res = public_style.acquire_token_by_auth_code_flow(flow, _query(sandbox.approve(flow["auth_uri"], DAVE,
                                                                                    follow=False)))
    assert res["error"] == "invalid_client" and res["error_description"].startswith("AADSTS7000218:")

    wrong = _confidential(sandbox, secret="not-the-value")
    flow = _start(wrong, [SMTP_SEND], sandbox.microsoft_web_redirect_uri)
    res = wrong.acquire_token_by_auth_code_flow(flow, _query(sandbox.approve(flow["auth_uri"], DAVE, follow=False)))
    assert res["error_description"].startswith("AADSTS7000215:") and "secret value" in res["error_description"]
    assert res["error_codes"] == [7000215]


def test_secret_sent_by_a_public_client(sandbox: Any) -> None:
    import msal

    app = msal.ConfidentialClientApplication(sandbox.microsoft_public_client_id, client_credential="x" * 40,
                                             authority=sandbox.microsoft_authority, instance_discovery=False,
                                             http_client=_http())
    flow = _start(app, [SMTP_SEND], "http://localhost:5555")
    res = app.acquire_token_by_auth_code_flow(flow, _query(sandbox.approve(flow["auth_uri"], DAVE, follow=False)))
    assert res["error_description"].startswith("AADSTS700025:")


def test_redirect_mismatch_port_ignored_path_matters(sandbox: Any) -> None:
    app = _confidential(sandbox)
    ok = _start(app, [SMTP_SEND], "http://localhost:1234/callback")
    assert "code=" in sandbox.approve(ok["auth_uri"], DAVE, follow=False)
    bad = _start(app, [SMTP_SEND], "http://localhost:48888/Callback")
    with pytest.raises(ConsentError) as err:
        sandbox.approve(bad["auth_uri"], DAVE, follow=False)
    assert err.value.code == "AADSTS50011" and "does not match the redirect URIs" in (err.value.details or
                                                                                       err.value.what())


def test_unknown_app_and_code_reuse_and_verifier(sandbox: Any) -> None:
    import msal

    unknown = msal.PublicClientApplication("00000000-1111-2222-3333-444444444444",
                                           authority=sandbox.microsoft_authority, instance_discovery=False,
                                           http_client=_http())
    flow = _start(unknown, [SMTP_SEND], "http://localhost")
    with pytest.raises(ConsentError) as err:
        sandbox.approve(flow["auth_uri"], DAVE, follow=False)
    assert err.value.code == "AADSTS700016"

    app = _confidential(sandbox)
    flow = _start(app, [SMTP_SEND], sandbox.microsoft_web_redirect_uri)
    response = _query(sandbox.approve(flow["auth_uri"], DAVE, follow=False))
    tampered = dict(flow, code_verifier="y" * 43)
    res = app.acquire_token_by_auth_code_flow(tampered, response)
    assert res["error_description"].startswith("AADSTS501481:")
    assert "access_token" in app.acquire_token_by_auth_code_flow(flow, response)
    res = app.acquire_token_by_auth_code_flow(flow, response)
    assert res["error_description"].startswith("AADSTS54005:")


def test_deny_and_form_post(sandbox: Any, loopback: Any) -> None:
    app = _confidential(sandbox)
    flow = _start(app, [SMTP_SEND], sandbox.microsoft_web_redirect_uri)
    denied = _query(sandbox.deny(flow["auth_uri"], DAVE, follow=False))
    assert denied["error"] == "access_denied" and denied["state"] == flow["state"]
    assert app.acquire_token_by_auth_code_flow(flow, denied)["error"] == "access_denied"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fp = app.initiate_auth_code_flow([SMTP_SEND], redirect_uri=f"http://localhost:{loopback.port}/callback",
                                         response_mode="form_post")
    url = sandbox.approve(fp["auth_uri"], DAVE)
    assert loopback.event.wait(5)
    method, _, body = loopback.requests[0]
    assert method == "POST" and b"code=" in body and "code=" in url


def test_device_code_flow(sandbox: Any) -> None:
    app = _public(sandbox)
    flow = app.initiate_device_flow([SMTP_SEND])
    assert flow["verification_uri"].endswith("/devicelogin") and len(flow["user_code"]) == 9
    threading.Timer(0.2, sandbox.approve_device_code, (flow["user_code"], "erin@contoso.example")).start()
    result = app.acquire_token_by_device_flow(flow)
    assert "access_token" in result and _claims(result["access_token"])["upn"] == "erin@contoso.example"


def test_device_code_pending_denied_expired_and_web_app(sandbox: Any) -> None:
    url = f"{sandbox.microsoft_authority}/oauth2/v2.0/token"
    dc = requests.post(f"{sandbox.microsoft_authority}/oauth2/v2.0/devicecode",
                       data={"client_id": sandbox.microsoft_public_client_id, "scope": SMTP_SEND}, timeout=5).json()
    poll = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": dc["device_code"],
            "client_id": sandbox.microsoft_public_client_id}
    assert requests.post(url, data=poll, timeout=5).json()["error"] == "authorization_pending"
    sandbox.approve_device_code(dc["user_code"], DAVE, deny=True)
    assert requests.post(url, data=poll, timeout=5).json()["error"] == "access_denied"

    dc2 = requests.post(f"{sandbox.microsoft_authority}/oauth2/v2.0/devicecode",
                        data={"client_id": sandbox.microsoft_public_client_id, "scope": SMTP_SEND}, timeout=5).json()
    sandbox.clock.advance(901)
    r = requests.post(url, data={**poll, "device_code": dc2["device_code"]}, timeout=5).json()
    assert r["error"] == "expired_token"

    dc3 = requests.post(f"{sandbox.microsoft_authority}/oauth2/v2.0/devicecode",
                        data={"client_id": sandbox.microsoft_web_client_id, "scope": SMTP_SEND}, timeout=5).json()
    r = requests.post(url, data={**poll, "device_code": dc3["device_code"],
                                 "client_id": sandbox.microsoft_web_client_id}, timeout=5).json()
    assert r["error_description"].startswith("AADSTS7000218:")


def test_wrong_device_code_page(sandbox: Any) -> None:
    with pytest.raises(ConsentError) as err:
        sandbox.approve_device_code("WRONGCODE", DAVE)
    assert err.value.code == "invalid_user_code"


def test_authorities_common_and_unknown_tenant(sandbox: Any) -> None:
    base = sandbox.base_url
    for tenant in ("common", "organizations", "consumers", sandbox.microsoft_tenant_id, "contoso.example"):
        cfg = requests.get(f"{base}/{tenant}/v2.0/.well-known/openid-configuration", timeout=5).json()
        assert cfg["token_endpoint"] == f"{base}/{tenant}/oauth2/v2.0/token"
    r = requests.get(f"{base}/fabrikam.example/v2.0/.well-known/openid-configuration", timeout=5)
    assert r.status_code == 400 and "AADSTS90002" in r.json()["error_description"]


def test_refresh_token_idle_expiry(sandbox: Any) -> None:
    minted = sandbox.mint_tokens("microsoft", sandbox.microsoft_web_client_id, DAVE, [SMTP_SEND, "offline_access"])
    sandbox.clock.advance(91 * 86400)
    res = _confidential(sandbox).acquire_token_by_refresh_token(minted["refresh_token"], [SMTP_SEND])
    assert res["error_description"].startswith("AADSTS700082:")
