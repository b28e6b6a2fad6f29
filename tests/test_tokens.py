"""Access tokens against the sandbox's Google- and Microsoft-shaped token endpoints (real HTTPS)."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sandbox_fixtures import *  # noqa: F403  (the sandbox, sandbox_config fixtures)
from test_core_support import MS_USER, write_ini

from oauthmail import ConfigError, NetworkError, TokenError, tokenfile
from oauthmail.tokens import AccessToken, cached_token_valid, get_access_token, microsoft_scopes
from tests.loopback_lock import open_connections_to
from tests.sandbox_fixtures import free_port


def refreshes(sb: Any) -> int:
    return sum(1 for r in sb.token_requests if r.get("grant_type") == "refresh_token")


def test_cached_token_is_returned_without_a_request(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini)
    before = refreshes(sandbox)
    tok = get_access_token(ini)
    assert tok.token == toks["access_token"] and not tok.refreshed
    assert refreshes(sandbox) == before
    assert toks["access_token"] not in repr(tok)


def test_fast_path_imports_no_auth_library(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    code = ("import sys; from oauthmail.tokens import get_access_token; get_access_token(sys.argv[1]); "
            "bad=[m for m in ('msal','google.auth','google_auth_oauthlib','requests','requests_oauthlib','ipywidgets')"
            " if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code, str(ini)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_google_refresh_stores_token_and_expiry(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, cached=False)
    before = refreshes(sandbox)
    tok = get_access_token(ini)
    assert tok.refreshed and tok.seconds_left() > 3000
    assert refreshes(sandbox) == before + 1
    acc = tokenfile.read(ini).account()
    assert acc.access_token == tok.token
    assert acc.refresh_token == toks["refresh_token"]  # Google does not rotate
    assert acc.access_token_expires_at is not None
    again = get_access_token(ini)
    assert not again.refreshed and again.token == tok.token
    assert refreshes(sandbox) == before + 1
    assert (ini.stat().st_mode & 0o777) == 0o600


def test_margin_forces_refresh_near_expiry(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    tokenfile.update_account(ini, "alice@example.com",
                             access_token_expires_at=datetime.now(timezone.utc) + timedelta(seconds=100))
    assert get_access_token(ini, margin=60).refreshed is False
    assert get_access_token(ini, margin=300).refreshed is True


def test_microsoft_rotation_is_persisted(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, "microsoft", cached=False)
    tok = get_access_token(ini)
    assert tok.refreshed and len(tok.token) > 1000
    acc = tokenfile.read(ini).account()
    assert acc.refresh_token != toks["refresh_token"]  # rotated, and stored
    assert acc.access_token == tok.token
    # the stored (rotated) refresh token works
    tok2 = get_access_token(ini, force_refresh=True)
    assert tok2.refreshed and tokenfile.read(ini).account().refresh_token != acc.refresh_token


def test_microsoft_public_client(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, "microsoft", cached=False, public=True)
    assert get_access_token(ini).refreshed


def test_microsoft_reserved_scopes_are_not_passed() -> None:
    acc = tokenfile.Account(email="a@b.example", provider="microsoft", client_id="c", refresh_token="r",
                            authority="https://login.microsoftonline.com/common",
                            scopes=["offline_access", "openid", "https://outlook.office.com/SMTP.Send"])
    assert microsoft_scopes(acc) == ["https://outlook.office.com/SMTP.Send"]
    acc.scopes = ["offline_access"]
    assert microsoft_scopes(acc) == ["https://outlook.office.com/SMTP.Send"]
    acc.authority = "https://login.microsoftonline.us/t"
    assert microsoft_scopes(acc) == ["https://outlook.office365.us/SMTP.Send"]


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_revoked_refresh_token_says_run_consent_again(sandbox: Any, tmp_path: Path, provider: str) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, provider, cached=False)
    sandbox.revoke(toks["refresh_token"])
    with pytest.raises(TokenError) as info:
        get_access_token(ini)
    err = info.value
    text = err.what() + err.hint() + (err.details or "") + err.what("ja") + err.hint("ja")
    assert "again" in err.hint() or "consent" in err.hint().lower()
    for secret in (toks["refresh_token"], toks["client_secret"], toks["access_token"]):
        assert secret not in text
    # nothing was written: the old refresh token is still there for a later retry
    assert tokenfile.read(ini).account().refresh_token == toks["refresh_token"]


def test_unreachable_token_endpoint_names_the_url(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, cached=False)
    url = f"https://127.0.0.1:{free_port()}/token"
    text = ini.read_text()
    ini.write_text(text.replace(f"token_uri = {sandbox.google_token_uri}", f"token_uri = {url}"))
    with pytest.raises(NetworkError) as info:
        get_access_token(ini)
    assert url in info.value.what()
    assert "proxy" in info.value.hint().lower()


def test_untrusted_ca_at_token_endpoint(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, "microsoft", cached=False)
    for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "SSL_CERT_DIR", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(NetworkError) as info:
        get_access_token(ini)
    assert info.value.code == "tls_verify"
    assert "SSL_CERT_FILE" in info.value.hint()


def test_missing_file_account_and_bad_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        get_access_token(tmp_path / "nope.ini")
    assert info.value.code == "ini_not_found"
    bad = tmp_path / "bad.ini"
    bad.write_text("[oauthmail]\nversion = 1\n[a@example.com]\nprovider = google\nthis line is wrong\n")
    with pytest.raises(ConfigError) as info:
        get_access_token(bad)
    assert "line 5" in info.value.what()
    good = tmp_path / "g.ini"
    good.write_text("[a@example.com]\nprovider = google\nclient_id = c\nrefresh_token = r\n")
    with pytest.raises(ConfigError) as info:
        get_access_token(good, "zed@example.com")
    assert "a@example.com" in info.value.hint()


def test_cached_token_valid_helper() -> None:
    acc = tokenfile.Account(email="a@example.com", provider="google", client_id="c", refresh_token="r")
    assert not cached_token_valid(acc)
    acc.access_token = "x"
    acc.access_token_expires_at = datetime.now(timezone.utc) + timedelta(seconds=301)
    assert cached_token_valid(acc, 290) and not cached_token_valid(acc, 310)
    assert "xyzxyz" not in repr(AccessToken("xyzxyz", datetime.now(timezone.utc), "a@example.com", False))


def test_microsoft_without_authority_is_a_config_error(tmp_path: Path) -> None:
    ini = tmp_path / "m.ini"
    ini.write_text(f"[{MS_USER}]\nprovider = microsoft\nclient_id = c\nrefresh_token = r\n")
    with pytest.raises(ConfigError) as info:
        get_access_token(ini)
    assert "authority" in info.value.hint()


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_token_endpoint_5xx_says_try_later(sandbox: Any, tmp_path: Path, provider: str) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, provider, cached=False)
    sandbox.set_fault("token_status", 500)
    with pytest.raises(TokenError) as info:
        get_access_token(ini)
    assert info.value.code == "token_endpoint_unavailable"
    assert "try again" in info.value.hint() and "unchanged" in info.value.hint()
    assert tokenfile.read(ini).account().refresh_token == toks["refresh_token"]


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_token_endpoint_timeout(sandbox: Any, tmp_path: Path, provider: str) -> None:
    from oauthmail.tokens import access_token_and_account

    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, provider, cached=False)
    sandbox.set_fault("token_delay", 3)
    with pytest.raises(NetworkError) as info:
        access_token_and_account(ini, timeout=1)
    assert info.value.code == "timeout" and "within 1 seconds" in info.value.what()


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp")
@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_a_refresh_leaves_no_connection_open(sandbox: Any, tmp_path: Path, provider: str) -> None:
    """A long-running sender (the relay, a workflow's Mailer) refreshes every hour: each refresh closes its
    HTTPS connection itself. MSAL's own session sits in a reference cycle, so without closing it the socket
    would wait for the cyclic garbage collector (which a quiet process may not run for hours)."""
    import gc
    from urllib.parse import urlsplit

    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, provider, cached=False)
    acc = tokenfile.read(ini).account()
    port = urlsplit(acc.token_uri or acc.authority or "").port
    assert port
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            get_access_token(ini, force_refresh=True)
        left = open_connections_to(port)
    finally:
        gc.enable()
    assert left == [], left
