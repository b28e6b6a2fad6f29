"""Pure helpers of the sandbox: SASL parsing, redirect matching, PKCE, scopes, configuration errors."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oauthmail.errors import ConfigError
from oauthmail.sandbox.config import GoogleClient, MicrosoftApp, SandboxConfig
from oauthmail.sandbox.idp import (
    expand_google_scopes,
    google_redirect_allowed,
    ms_redirect_platform,
    ms_resource,
    pkce_matches,
)
from oauthmail.sandbox.smtp import _header_from, _rewrite_from, parse_oauthbearer, parse_xoauth2

users = st.emails()
tokens = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, blacklist_characters="\x01"),
                 min_size=1, max_size=300).map(str.strip).filter(bool)


@given(users, tokens)
def test_xoauth2_round_trip(user: str, token: str) -> None:
    assert parse_xoauth2(f"user={user}\x01auth=Bearer {token}\x01\x01".encode()) == (user, token)


@given(users, tokens)
def test_oauthbearer_round_trip(user: str, token: str) -> None:
    gs2 = user.replace("=", "=3D").replace(",", "=2C")
    raw = f"n,a={gs2},\x01host=127.0.0.1\x01port=587\x01auth=Bearer {token}\x01\x01".encode()
    assert parse_oauthbearer(raw) == (user, token)


@given(st.binary(max_size=200))
def test_sasl_parsers_never_raise_on_garbage(raw: bytes) -> None:
    for parse in (parse_xoauth2, parse_oauthbearer):
        result = parse(raw)
        assert result is None or isinstance(result, tuple)


def test_sasl_parsers_reject_incomplete_input() -> None:
    assert parse_xoauth2(b"user=a@b\x01\x01") is None
    assert parse_xoauth2(b"auth=Bearer x\x01\x01") is None
    assert parse_xoauth2(b"user=a@b\x01auth=Basic x\x01\x01") is None
    assert parse_oauthbearer(b"n,a=a@b,") is None
    assert parse_xoauth2(b"\xff\xfe") is None


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", min_size=43,
               max_size=128))
def test_pkce_s256_and_plain(verifier: str) -> None:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert pkce_matches(verifier, challenge, "S256")
    assert not pkce_matches(verifier + "x", challenge, "S256")
    assert pkce_matches(verifier, verifier, "plain")


def test_google_redirect_rules() -> None:
    web = GoogleClient("web", "web", "id", "App", ["http://127.0.0.1:48888/callback"])
    desktop = GoogleClient("installed", "installed", "id2", "App", ["http://localhost"])
    assert google_redirect_allowed(web, "http://127.0.0.1:48888/callback")
    for wrong in ("http://127.0.0.1:48889/callback", "http://127.0.0.1:48888/callback/",
                  "http://localhost:48888/callback", "https://127.0.0.1:48888/callback"):
        assert not google_redirect_allowed(web, wrong)
    for ok in ("http://127.0.0.1:5000/", "http://localhost:1/Callback", "http://[::1]:9/x"):
        assert google_redirect_allowed(desktop, ok)
    for bad in ("https://127.0.0.1/", "http://example.com:80/", "urn:ietf:wg:oauth:2.0:oob", "not a url"):
        assert not google_redirect_allowed(desktop, bad)


def test_microsoft_redirect_rules() -> None:
    app = MicrosoftApp("web", "id", "App", web_redirect_uris=["http://localhost:48888/callback"],
                       public_redirect_uris=["http://localhost"])
    assert ms_redirect_platform(app, "http://localhost:48888/callback") == "web"
    assert ms_redirect_platform(app, "http://localhost:1234/callback") == "web"  # port ignored (fact 39)
    assert ms_redirect_platform(app, "http://localhost:1234/Callback") is None  # path case matters
    assert ms_redirect_platform(app, "http://localhost:5555") == "public"
    assert ms_redirect_platform(app, "http://localhost:5555/") == "public"
    assert ms_redirect_platform(app, "http://127.0.0.1:5555/callback") is None
    assert ms_redirect_platform(app, "https://example.com/callback") is None


def test_scopes() -> None:
    assert expand_google_scopes(["email", "openid", "email"]) == [
        "https://www.googleapis.com/auth/userinfo.email", "openid"]
    assert ms_resource("https://outlook.office.com/SMTP.Send") == "https://outlook.office.com"
    assert ms_resource("https://outlook.office365.com/SMTP.Send") == "https://outlook.office.com"
    assert ms_resource("Mail.Send") == "https://graph.microsoft.com"
    assert ms_resource("offline_access") is None


def test_from_rewrite_keeps_body_and_original() -> None:
    raw = b"Subject: s\r\nFrom: Team\r\n <team@example.com>\r\nTo: x@y\r\n\r\nFrom: not a header\r\n"
    assert _header_from(raw) == "team@example.com"
    out = _rewrite_from(raw, "alice@example.com")
    assert out.endswith(b"\r\n\r\nFrom: not a header\r\n")
    assert b"From: alice@example.com" in out and b"X-Google-Original-From: Team <team@example.com>" in out
    assert b"To: x@y" in out


@pytest.mark.parametrize(("data", "needle"), [
    ({"colour": "blue"}, "unknown key 'colour'"),
    ({"users": [{"email": "nobody", "provider": "google"}]}, "not an e-mail address"),
    ({"users": [{"email": "a@b", "provider": "yahoo"}]}, "provider must be"),
    ({"users": [{"mail": "a@b"}]}, "unexpected keyword"),
    ({"lifetimes": {"forever": 1}}, "unknown lifetime 'forever'"),
    ({"google_clients": [{"key": "w", "kind": "tv", "client_id": "x", "app_name": "A"}]}, "kind must be"),
    ({"microsoft_apps": [{"key": "a", "client_id": "104729384756-sandboxweb7k3m9q2x5c8v1b4n6.apps."
                                                    "googleusercontent.com", "app_name": "A"}]}, "share a client_id"),
])
def test_bad_configuration_says_what_is_wrong(data: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        SandboxConfig.from_dict(data)
    assert needle in err.value.what() and err.value.hint()


def test_config_overrides() -> None:
    cfg = SandboxConfig.from_dict({"google_web_redirect_uris": ["http://127.0.0.1:1/cb"],
                                   "microsoft_web_redirect_uris": ["http://localhost/x"], "faults": {"token_delay": 1}})
    assert cfg.google_client_by_key("web").redirect_uris == ["http://127.0.0.1:1/cb"]  # type: ignore[union-attr]
    assert cfg.microsoft_app_by_key("web").web_redirect_uris == ["http://localhost/x"]  # type: ignore[union-attr]
    assert cfg.faults == {"token_delay": 1}
    assert SandboxConfig.load(cfg) is cfg


@pytest.mark.parametrize("text", [
    "535-5.7.8 Username and Password not accepted. For more information, go to\r\n535 5.7.8  x - gsmtp",
    "535 5.7.3 Authentication unsuccessful [host]",
    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. "
    "Visit https://aka.ms/smtp_auth_disabled for more information. [host]",
    "530 5.7.57 Client not authenticated to send mail. [host]",
    "550 5.7.30 Basic authentication is not supported for Client Submission. [host]",
    "504 5.7.4 Unrecognized authentication type [host]",
    "554 5.2.252 SendAsDenied; dave@contoso.example not allowed to send as boss@contoso.example",
    "Error 400: redirect_uri_mismatch",
    "invalid_grant: Token has been expired or revoked.",
    "invalid_grant: Missing code verifier.",
    "AADSTS50011: x", "AADSTS7000218: x", "AADSTS7000215: x", "AADSTS700025: x", "AADSTS700016: x",
    "AADSTS54005: x", "AADSTS501481: x", "AADSTS700082: x", "AADSTS28000: x", "AADSTS65001: x",
])
def test_the_kits_catalog_explains_what_the_sandbox_says(text: str) -> None:
    """Contract between the sandbox's wording and oauthmail.explain: a class can look each one up."""
    from oauthmail.explain import explain

    assert explain(text) is not None


def test_the_documented_config_example_parses() -> None:
    import json
    import re

    import oauthmail.sandbox.config as config_module

    doc = config_module.__doc__ or ""
    example = re.search(r"::\n\n(.*?)\n\n", doc, re.S)
    assert example is not None
    cfg = SandboxConfig.from_dict(json.loads(example.group(1)))
    assert cfg.users[0].email == "alice@example.com" and cfg.faults == {"token_status": 500}
    assert cfg.google_client_by_key("web").redirect_uris == ["http://127.0.0.1:5000/callback"]  # type: ignore[union-attr]
