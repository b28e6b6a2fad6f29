"""Consent pieces that need no provider: environment, error texts, flow files, results, Google's URL."""

from __future__ import annotations

import json
import os
import stat
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oauthmail import tokenfile
from oauthmail.consent import (
    ConsentResult,
    detect_environment,
    finish,
    finish_device_code,
    google_client_from_values,
    load_flow,
    save_flow,
    save_result,
    start_device_code,
    start_google,
)
from oauthmail.consent.flow import discard_flow
from oauthmail.consent.google import choose_redirect, jwt_claims, relaxed_token_scope, userinfo_url
from oauthmail.consent.problems import provider_error
from oauthmail.consent.result import check_email
from oauthmail.errors import ConsentError

SECRET = "GOCSPX-unit-test-secret-000000"


# --- environment -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "kind", "remote"),
    [
        ({"COLAB_RELEASE_TAG": "x"}, "colab", True),
        ({"CODESPACES": "true"}, "codespaces", True),
        ({"BINDER_SERVICE_HOST": "1.2.3.4", "JUPYTERHUB_USER": "u"}, "binder", True),
        ({"JUPYTERHUB_USER": "alice"}, "jupyterhub", True),
        ({"VSCODE_IPC_HOOK_CLI": "/tmp/x", "SSH_CONNECTION": "1 2 3 4"}, "vscode-remote", True),
        ({"REMOTE_CONTAINERS": "true"}, "vscode-remote", True),
        ({"SSH_CONNECTION": "1 2 3 4"}, "ssh", True),
        ({"DISPLAY": ":0"}, "local", False),
        ({}, "headless", False),
    ],
)
def test_detect_environment(env: dict[str, str], kind: str, remote: bool) -> None:
    found = detect_environment(env, platform="linux")
    assert (found.kind, found.remote) == (kind, remote)
    assert found.label.startswith("Running on")
    assert found.suggested_mode == ("paste" if remote else "loopback")
    if remote:
        assert "copy the full address" in found.advice and not found.browser_available


def test_environment_on_mac_and_japanese(monkeypatch: pytest.MonkeyPatch) -> None:
    found = detect_environment({}, platform="darwin")
    assert found.kind == "local" and found.browser_available and found.advice == ""
    monkeypatch.setenv("OAUTHMAIL_LANG", "ja")
    assert "JupyterHub" in detect_environment({"JUPYTERHUB_USER": "a"}).label
    assert "貼り付け" in detect_environment({"JUPYTERHUB_USER": "a"}).advice


# --- provider errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "desc", "code", "words"),
    [
        ("access_denied", "", "access_denied", "Cancel or Deny"),
        ("access_denied", "App has not completed the Google verification process", "access_denied", "test users"),
        ("redirect_uri_mismatch", "", "redirect_uri_mismatch", "return address"),
        ("invalid_client", "The OAuth client was not found.", "invalid_client", "invalid_client"),
        ("invalid_grant", "Bad Request", "invalid_grant", "expired, was already used"),
        ("invalid_client", "AADSTS7000215: Invalid client secret provided.", "AADSTS7000215", "Secret ID"),
        ("invalid_client", "AADSTS7000218: The request body must contain client_secret", "AADSTS7000218", "Web"),
        ("invalid_request", "AADSTS50011: The redirect URI does not match", "AADSTS50011", "return address"),
        ("invalid_client", "AADSTS700025: Client is public", "AADSTS700025", "public"),
        ("invalid_grant", "AADSTS65001: The user or administrator has not consented", "AADSTS65001", "administrator"),
        ("unauthorized_client", "AADSTS700016: Application not found in the directory", "AADSTS700016", "don't fit"),
        ("interaction_required", "AADSTS50076: Due to a configuration change", "AADSTS50076", "MFA"),
        ("invalid_request", "AADSTS9002327: Tokens issued for the 'Single-Page Application'", "AADSTS9002327",
         "Single-page"),
        ("weird_error", "something", "weird_error", "weird_error"),
    ],
)
def test_provider_errors(error: str, desc: str, code: str, words: str) -> None:
    exc = provider_error(error, desc, redirect_uri="http://127.0.0.1:48888/callback", email="a@example.com",
                         scopes=["https://outlook.office.com/SMTP.Send"])
    assert isinstance(exc, ConsentError)
    assert exc.code == code
    assert words in exc.what("en") + exc.hint("en")
    assert exc.what("ja") != exc.what("en") and exc.hint("ja")
    assert "{" not in exc.what("en") + exc.hint("en")


def test_provider_error_redacts_description() -> None:
    exc = provider_error("invalid_grant", f"bad code for secret {SECRET}", secrets=[SECRET])
    assert SECRET not in (exc.details or "")


def test_catalog_fallback_for_other_errors() -> None:
    exc = provider_error("admin_policy_enforced", "")
    assert isinstance(exc, ConsentError) and exc.what("en")


# --- Google start (no network) ----------------------------------------------------------------------


def _web(redirects: list[str] | None = None) -> object:
    return google_client_from_values("123.apps.googleusercontent.com", SECRET, client_type="web",
                                     redirect_uris=redirects if redirects is not None else
                                     ["http://127.0.0.1:48888/callback"])


def test_start_google_builds_pkce_offline_consent_url() -> None:
    flow = start_google(_web(), email="alice@example.com")  # type: ignore[arg-type]
    q = parse_qs(urlsplit(flow["auth_uri"]).query)
    assert q["redirect_uri"] == ["http://127.0.0.1:48888/callback"]
    assert q["access_type"] == ["offline"] and q["prompt"] == ["consent"]
    assert q["code_challenge_method"] == ["S256"] and "code_challenge" in q
    assert q["login_hint"] == ["alice@example.com"]
    assert set(q["scope"][0].split()) == {"https://mail.google.com/", "openid",
                                          "https://www.googleapis.com/auth/userinfo.email"}
    assert q["state"] == [flow["state"]] and len(flow["code_verifier"]) >= 43
    assert flow["code_verifier"] not in flow["auth_uri"]
    json.dumps(flow)  # plain data


def test_start_google_desktop_gets_free_loopback_port() -> None:
    cfg = google_client_from_values("1.apps.googleusercontent.com", SECRET, client_type="installed")
    flow = start_google(cfg, transport="gmail-api")
    assert flow["redirect_uri"].startswith("http://127.0.0.1:") and flow["redirect_uri"].endswith("/")
    assert "gmail.send" in flow["auth_uri"]


def test_redirect_choice_and_p1() -> None:
    assert choose_redirect(_web([]), None) == "http://127.0.0.1:48888/callback"  # type: ignore[arg-type]
    assert choose_redirect(_web(["https://x.example/cb", "http://127.0.0.1:5000/cb"]),  # type: ignore[arg-type]
                           None) == "http://127.0.0.1:5000/cb"
    with pytest.raises(ConsentError) as info:
        choose_redirect(_web(), "http://localhost:48888/callback")  # type: ignore[arg-type]
    assert info.value.code == "redirect_uri_mismatch"
    assert "http://localhost:48888/callback" in info.value.what("en")
    assert "Authorized redirect URIs" in info.value.hint("en")
    with pytest.raises(ConsentError):
        choose_redirect(_web(["https://x.example/cb"]), None)  # type: ignore[arg-type]
    desktop = google_client_from_values("1", SECRET, client_type="installed")
    with pytest.raises(ConsentError) as info:
        choose_redirect(desktop, "https://example.com/cb")
    assert info.value.code == "redirect_not_loopback"


def test_google_device_flow_is_p13() -> None:
    cfg = google_client_from_values("1", SECRET, client_type="installed")
    with pytest.raises(ConsentError) as info:
        start_device_code(cfg)
    assert info.value.code == "google_device_flow" and "Gmail" in info.value.what("en")
    with pytest.raises(ConsentError):
        start_device_code({"installed": {}})
    flow = start_google(cfg)
    with pytest.raises(ConsentError) as info:
        finish_device_code(flow)
    assert info.value.code == "not_device_flow"


def test_relaxed_scope_is_restored() -> None:
    assert "OAUTHLIB_RELAX_TOKEN_SCOPE" not in os.environ
    with relaxed_token_scope():
        assert os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] == "1"
    assert "OAUTHLIB_RELAX_TOKEN_SCOPE" not in os.environ


def test_jwt_and_userinfo_helpers() -> None:
    import base64

    payload = base64.urlsafe_b64encode(json.dumps({"email": "a@b.c"}).encode()).decode().rstrip("=")
    assert jwt_claims(f"x.{payload}.y") == {"email": "a@b.c"}
    assert jwt_claims("nope") == {} and jwt_claims("a.!!!.b") == {} and jwt_claims(None) == {}
    assert userinfo_url("https://oauth2.googleapis.com/token").startswith("https://openidconnect.googleapis.com")
    assert userinfo_url("https://127.0.0.1:8443/token") == "https://127.0.0.1:8443/v1/userinfo"


# --- finish: state and pasted text before any network -------------------------------------------------


def test_finish_rejects_wrong_state_and_reports_denial() -> None:
    flow = start_google(_web())  # type: ignore[arg-type]
    with pytest.raises(ConsentError) as info:
        finish(flow, "http://127.0.0.1:48888/callback?code=abcdefgh&state=evil")
    assert info.value.code == "state_mismatch" and "forgery" in info.value.what("en")
    with pytest.raises(ConsentError) as info:
        finish(flow, f"http://127.0.0.1:48888/callback?error=access_denied&state={flow['state']}")
    assert info.value.code == "access_denied"
    with pytest.raises(ConsentError) as info:
        finish(flow, "I clicked allow")
    assert info.value.code == "paste_no_code"
    with pytest.raises(ConsentError) as info:
        finish({"kind": "other"}, "code=abc")
    assert info.value.code == "not_a_flow"


# --- flow files ------------------------------------------------------------------------------------


def test_save_and_load_flow(oauthmail_home: Path) -> None:
    flow = start_google(_web())  # type: ignore[arg-type]
    path = save_flow(flow)
    assert path.parent == oauthmail_home
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_flow() == flow
    discard_flow()
    with pytest.raises(ConsentError) as info:
        load_flow()
    assert info.value.code == "flow_missing" and "again" in info.value.hint("en")


def test_stale_and_damaged_flow(tmp_path: Path) -> None:
    flow = start_google(_web())  # type: ignore[arg-type]
    flow["created_at"] = time.time() - 7200
    p = save_flow(flow, tmp_path / "f.json")
    with pytest.raises(ConsentError) as info:
        load_flow(p)
    assert info.value.code == "flow_stale" and "earlier session" in info.value.what("en")
    p.write_text("{not json")
    with pytest.raises(ConsentError) as info:
        load_flow(p)
    assert info.value.code == "flow_bad"


# --- results ---------------------------------------------------------------------------------------


def _result(email: str = "alice@example.com", provider: str = "google") -> ConsentResult:
    return ConsentResult(
        provider=provider, email=email, client_id="cid", client_secret=SECRET, refresh_token="1//0refresh-xyz",
        access_token="ya29.access-xyz", expires_at=datetime(2030, 1, 1, tzinfo=timezone.utc),
        scopes=["https://mail.google.com/"], auth_uri="https://127.0.0.1:1/o/oauth2/auth",
        token_uri="https://127.0.0.1:1/token", authority="https://login.microsoftonline.com/common",
        tenant="common", client_type="web",
    )


def test_result_repr_masks() -> None:
    text = repr(_result())
    assert SECRET not in text and "1//0refresh-xyz" not in text and "ya29.access-xyz" not in text


def test_save_result_two_accounts_and_mismatch(tmp_path: Path) -> None:
    ini = tmp_path / "out.ini"
    save_result(ini, _result())
    save_result(ini, _result("dave@contoso.example", "microsoft"), make_default=True, smtp_security="ssl")
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600
    tf = tokenfile.read(ini)
    assert set(tf.accounts) == {"alice@example.com", "dave@contoso.example"}
    assert tf.default_account == "dave@contoso.example"
    g = tf.account("alice@example.com")
    assert (g.smtp_host, g.smtp_port, g.smtp_security) == ("smtp.gmail.com", 587, "starttls")
    assert g.token_uri == "https://127.0.0.1:1/token" and g.refresh_token == "1//0refresh-xyz"
    m = tf.account("dave@contoso.example")
    assert (m.smtp_host, m.smtp_port, m.smtp_security) == ("smtp.office365.com", 465, "ssl")
    assert m.authority and not m.token_uri
    before = ini.read_text()
    with pytest.raises(ConsentError) as info:
        save_result(ini, _result("bob@example.com"), email="alice@example.com")
    assert info.value.code == "email_mismatch" and "Nothing was saved" in info.value.what("en")
    assert ini.read_text() == before


def test_check_email() -> None:
    r = _result("")
    assert check_email(r, "given@example.com").email == "given@example.com"
    with pytest.raises(ConsentError) as info:
        check_email(_result(""), None)
    assert info.value.code == "no_email" and "--email" in info.value.hint("en")
    with pytest.raises(ConsentError):
        check_email(_result("x@example.com"), "y@example.com")
    assert check_email(_result("X@Example.com"), "x@example.com").email == "x@example.com"  # as the person typed it


# --- cheap import, sovereign scopes, any provider error ----------------------------------------------


def test_import_loads_no_consent_library() -> None:
    import subprocess
    import sys

    code = ("import sys, oauthmail.consent, oauthmail.clients, oauthmail.commands.consent; "
            "print([m for m in sys.modules if m.split('.')[0] in ('msal', 'google_auth_oauthlib', 'requests', "
            "'oauthlib', 'google')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_ms_scopes_per_cloud_and_transport() -> None:
    from oauthmail.consent.microsoft import ms_scopes

    assert ms_scopes("https://login.microsoftonline.com/common") == ["https://outlook.office.com/SMTP.Send"]
    assert ms_scopes("https://login.microsoftonline.us/t") == ["https://outlook.office365.us/SMTP.Send"]
    assert ms_scopes("https://login.partner.microsoftonline.cn/t") == ["https://partner.outlook.cn/SMTP.Send"]
    assert ms_scopes("https://127.0.0.1:8443/t", "graph") == ["https://graph.microsoft.com/Mail.Send"]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=200))
def test_any_provider_error_is_a_clean_consent_error(error: str, description: str) -> None:
    exc = provider_error(error, description + " " + SECRET, secrets=[SECRET])
    assert isinstance(exc, ConsentError)
    assert exc.what("en") and exc.hint("en") and exc.what("ja") and exc.hint("ja")
    assert SECRET not in str(exc.to_dict("en")) + str(exc.to_dict("ja"))


def test_flow_repr_hides_secret_and_verifier() -> None:
    flow = start_google(_web())  # type: ignore[arg-type]
    assert isinstance(flow, dict) and json.loads(json.dumps(flow)) == dict(flow)
    for text in (repr(flow), str(flow), f"{flow}"):
        assert SECRET not in text and flow["code_verifier"] not in text and flow["state"] not in text
        assert flow["auth_uri"].replace(flow["state"], "*****") in text  # the link, its state (CSRF check) masked
    pretty = pytest.importorskip("IPython.lib.pretty")
    shown = pretty.pretty(flow)
    assert SECRET not in shown and flow["code_verifier"] not in shown


def test_wrong_client_type_for_the_provider() -> None:
    from oauthmail.consent import microsoft_client, start_microsoft

    ms = microsoft_client("11111111-2222-3333-4444-555555555555")
    with pytest.raises(ConsentError) as info:
        start_google(ms)
    assert info.value.code == "wrong_client_type" and "microsoft" in info.value.what("en")
    with pytest.raises(ConsentError) as info:
        start_microsoft(_web())  # type: ignore[arg-type]
    assert info.value.code == "wrong_client_type"


def test_check_email_accepts_another_claim_of_the_same_person() -> None:
    r = _result("alice@contoso.onmicrosoft.com", "microsoft")
    r.identities = ["alice@contoso.onmicrosoft.com", "Alice@Contoso.com"]
    assert check_email(r, "alice@contoso.com").email == "alice@contoso.com"
    with pytest.raises(ConsentError):
        check_email(_result("bob@contoso.com", "microsoft"), "alice@contoso.com")


def test_account_keeps_how_it_was_made_and_real_provider_defaults() -> None:
    """Real providers keep their SMTP defaults; client type, redirect and tenant go to the record's keys."""
    r = _result()
    r.token_uri = "https://oauth2.googleapis.com/token"
    r.redirect_uri = "http://127.0.0.1:48888/callback"
    acc = r.to_account()
    assert (acc.smtp_host, acc.smtp_port, acc.smtp_security) == ("smtp.gmail.com", 587, "starttls")
    assert acc.extra == {"client_type": "web", "redirect_uri": "http://127.0.0.1:48888/callback", "tenant": "common"}
    ms = _result("dave@contoso.example", "microsoft").to_account()
    assert ms.smtp_host == "smtp.office365.com" and ms.authority.startswith("https://login.microsoftonline.com/")
