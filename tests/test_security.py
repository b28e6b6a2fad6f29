"""Issue 12: the security review's findings, each pinned by a test that failed before its fix.

Items 6 (shared folders, sandbox part) and 7 (the sandbox on a shared host) are in
``tests/sandbox/test_sandbox_security.py``; everything else is here, item by item.
"""

from __future__ import annotations

import errno
import fcntl
import io
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_core_support import write_ini

from oauthmail import secrets, tokenfile
from oauthmail.clients import load_google_client, microsoft_client
from oauthmail.consent import LoopbackListener, start_google, start_microsoft
from oauthmail.consent.paste import parse_redirect
from oauthmail.errors import ConfigError, ConsentError, OAuthMailError, TokenError
from oauthmail.secrets import MASK, redact

GOOGLE_TOKEN = "https://oauth2.googleapis.com/token"


def _web(**section: Any) -> dict[str, Any]:
    base = {"client_id": "123.apps.googleusercontent.com", "client_secret": "GOCSPX-abcdefghijklmnopqrstuvwxyz12",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": GOOGLE_TOKEN,
            "redirect_uris": ["http://127.0.0.1:48888/callback"]}
    base.update(section)
    return {"web": base}


def _ini(section: str = "alice@example.com", **keys: str) -> str:
    lines = ["[oauthmail]", "version = 1", "", f"[{section}]", "provider = google", "client_id = 123.apps",
             "refresh_token = 1//0abcdefghijklmnopqrstuvwxyz"]
    lines += [f"{k} = {v}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def _all_text(exc: OAuthMailError) -> str:
    return " ".join([str(exc), exc.what("en"), exc.what("ja"), exc.hint("en"), exc.hint("ja"),
                     json.dumps(exc.to_dict("en"), ensure_ascii=False), json.dumps(exc.to_dict("ja"), ensure_ascii=False)])


def _shows_part_of(secret: str, text: str, n: int = 8) -> bool:
    return any(secret[i:i + n] in text for i in range(len(secret) - n + 1))


# --- item 1: PKCE by the kit's own choice, checked in every authorization URL ------------------------------


@pytest.fixture
def old_oauthlib_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """google-auth-oauthlib 1.2.0-1.2.4: ``from_client_config`` made no code verifier unless asked."""
    from google_auth_oauthlib.flow import Flow

    original = Flow.from_client_config.__func__  # type: ignore[attr-defined]

    def old(cls: Any, config: Any, scopes: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("autogenerate_code_verifier", False)
        return original(cls, config, scopes, **kwargs)

    monkeypatch.setattr(Flow, "from_client_config", classmethod(old))


def test_google_url_has_s256_even_with_an_old_library_default(old_oauthlib_default: None) -> None:
    flow = start_google(_web())
    query = parse_qs(urlsplit(flow["auth_uri"]).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert flow["code_verifier"]


def test_an_authorization_url_without_pkce_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from google_auth_oauthlib.flow import Flow

    def no_pkce(self: Any, **kwargs: Any) -> tuple[str, str]:
        return "https://accounts.google.com/o/oauth2/auth?client_id=x&state=s", "s"

    monkeypatch.setattr(Flow, "authorization_url", no_pkce)
    with pytest.raises(ConsentError) as info:
        start_google(_web())
    assert info.value.code == "no_pkce" and "PKCE" in info.value.what("ja")


def test_microsoft_url_has_s256(sandbox: Any) -> None:
    cfg = microsoft_client(sandbox.microsoft_web_client_id, sandbox.microsoft_web_client_secret,
                           authority=sandbox.microsoft_authority)
    flow = start_microsoft(cfg, redirect_uri="http://localhost:48888/callback")
    assert parse_qs(urlsplit(flow["auth_uri"]).query)["code_challenge_method"] == ["S256"]


def test_google_auth_oauthlib_minimum_makes_pkce_by_default() -> None:
    text = (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '"google-auth-oauthlib>=1.5"' in text


# --- item 2: a bad INI line never shows a secret ------------------------------------------------------------

SECRET_SHAPES = {
    "google client secret": "GOCSPX-3kQ9zT1vW7xY2aB5cD8eF0gH4iJ",
    "google refresh token": "1//0gAbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdEFGH",
    "google access token": "ya29.a0AfB_byCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "azure secret value": "Abc8Q~dEfGhIjKlMnOpQrStUvWxYz0123456789._",
    "microsoft refresh token": "0.AXYAbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdEFGHijkl",
    "microsoft personal refresh token": "M.C520_BAY.0.U.-CqS8dEfGhIjKlMnOpQrStUvWxYz01234",
    "microsoft personal access token": "EwBwA8l6BAAUbDba3x2OMJElkF7gJ4z/VbCPEz0AAcdefGHIjklm",
    "jwt": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL291dGxvb2sifQ.c2lnbmF0dXJlc2ln",
}


@pytest.mark.parametrize("name", sorted(SECRET_SHAPES))
def test_ini_syntax_errors_never_echo_a_secret(name: str) -> None:
    secret = SECRET_SHAPES[name]
    cases = [
        _ini() + secret + "\n",  # a value that wrapped onto its own line (hand editing)
        _ini(smtp_port=secret),
        _ini(provider_x="1").replace("provider = google", f"provider = {secret}"),
        _ini(access_token_expires_at=secret),
        _ini(smtp_security=secret),
        _ini(token_uri=secret),
        _ini(section=secret),
        _ini().replace("version = 1", f"version = {secret}"),
        _ini().replace("version = 1", f"version = 1\ndefault_account = {secret}"),
    ]
    for text in cases:
        with pytest.raises(ConfigError) as info:
            tokenfile.parse(text, "t.ini")
        shown = _all_text(info.value)
        assert not _shows_part_of(secret, shown), (name, shown)
        assert "line" in info.value.what("en")  # still says where


def test_a_harmless_bad_line_is_still_shown() -> None:
    with pytest.raises(ConfigError) as info:
        tokenfile.parse(_ini() + "smtp port 587\n")
    assert "smtp port 587" in info.value.what("en")
    with pytest.raises(ConfigError) as info:
        tokenfile.parse(_ini(smtp_security="startls"))
    assert "startls" in info.value.what("en")


# --- item 3: loopback exceptions by prefix -----------------------------------------------------------------

LOOKALIKES = ["http://localhost@evil.example/token", "http://127.0.0.1.evil.example/token",
              "https://oauth2.googleapis.com@evil.example/token", "http://localhost:8080/token",
              "http://127.0.0.1/token", "https:///token", "https://exa mple.com/token", "ftp://oauth2.googleapis.com/"]


@pytest.mark.parametrize("url", LOOKALIKES)
def test_token_endpoints_are_https_by_host_not_by_prefix(url: str) -> None:
    with pytest.raises(ConfigError):
        tokenfile.parse(_ini(token_uri=url))
    with pytest.raises(ConfigError):
        load_google_client(_web(token_uri=url))
    with pytest.raises(ConfigError):
        microsoft_client("11111111-2222-3333-4444-555555555555", authority=url.rsplit("/", 1)[0] + "/common")


def test_real_endpoints_still_pass() -> None:
    acc = tokenfile.parse(_ini(token_uri="https://127.0.0.1:8443/token")).account()
    assert acc.token_uri == "https://127.0.0.1:8443/token"
    assert load_google_client(_web()).token_uri == GOOGLE_TOKEN
    assert microsoft_client("11111111-2222-3333-4444-555555555555", authority="https://127.0.0.1:9/t").tenant == "t"


# --- item 4: section names are addresses, on write too ------------------------------------------------------

INJECTED = "mallory@evil.example]\ntransport = graph\ngraph_url = https://evil.example\n[x@y.example"


def test_an_address_claim_cannot_inject_ini_lines(tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    acc = tokenfile.Account(INJECTED, "google", "123.apps", "1//0abcdefghijklmnopqrstuvwxyz")
    with pytest.raises(ConfigError) as info:
        tokenfile.save_account(ini, acc)
    assert info.value.code in ("ini_section", "ini_value")
    assert not ini.exists()
    for bad in ("a@b@c.example", "[a@b.example", "a b@c.example", "a@b.example;x", "@b.example", "a@"):
        with pytest.raises(ConfigError):
            tokenfile.save_account(ini, tokenfile.Account(bad, "google", "123.apps", "1//0abcdefghijklmnopqrstu"))
        with pytest.raises(ConfigError):
            tokenfile.parse(_ini(section=bad))


def test_meta_values_are_checked_like_values(tmp_path: Path) -> None:
    tf = tokenfile.TokenFile(tmp_path / "t.ini")
    tf.meta["default_account"] = "a@b.example\n[evil@x.example]"
    with pytest.raises(ConfigError):
        tf.render()


def test_a_bad_address_claim_is_refused_before_saving() -> None:
    from oauthmail.consent.result import ConsentResult, check_email

    result = ConsentResult("google", INJECTED, "123.apps", "", "1//0abcdefghijklmnopqrstuvwxyz", "", None)
    with pytest.raises(ConsentError) as info:
        check_email(result, None)
    assert info.value.code == "bad_address_claim"


# --- item 5: doctor refreshes through the locked path ------------------------------------------------------


def _lock_is_held(ini: Path) -> bool:
    fd = os.open(str(ini) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        return exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN)
    finally:
        os.close(fd)
    return False


def test_doctor_refreshes_under_the_lock_and_fails_on_a_lost_write(sandbox: Any, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from oauthmail import doctor, tokens

    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, "microsoft", cached=False)
    real = tokens.refresh
    held: list[bool] = []

    def watched(acc: Any, **kwargs: Any) -> Any:
        held.append(_lock_is_held(ini))
        return real(acc, **kwargs)

    monkeypatch.setattr(tokens, "refresh", watched)
    report = doctor.run_doctor(ini, checks=["refresh"], timeout=5)
    assert held == [True]
    assert {c.id: c.status for c in report.checks}["refresh"] == doctor.PASS

    def cannot_write(self: tokenfile.TokenFile) -> None:
        raise ConfigError(tokenfile.INI_WRITE_FAILED, tokenfile.INI_WRITE_FAILED_HINT, path=str(self.path),
                          reason="Read-only file system", code="write_failed")

    with monkeypatch.context() as m:  # the INI only: the sandbox keeps writing its own state
        m.setattr(tokenfile.TokenFile, "save", cannot_write)
        report = doctor.run_doctor(ini, checks=["refresh"], timeout=5)
    check = {c.id: c for c in report.checks}["refresh"]
    assert check.status == doctor.FAIL and check.code == "write_failed"  # a rotated token must not be lost


# --- item 6: the lock in a shared folder ------------------------------------------------------------------


def test_the_lock_refuses_a_symbolic_link(tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    victim = tmp_path / "someone-elses-file"
    os.symlink(victim, str(ini) + ".lock")
    with pytest.raises(ConfigError) as info, tokenfile.locked(ini):
        pass
    assert info.value.code == "lock_unsafe" and not victim.exists()


def test_the_lock_times_out_with_a_clear_message(tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    fd = os.open(str(ini) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # "another user" holds it and never lets go
    try:
        with pytest.raises(ConfigError) as info, tokenfile.locked(ini, timeout=0.3):
            pass
    finally:
        os.close(fd)
    assert info.value.code == "lock_timeout" and "0.3" in info.value.what("en") and info.value.hint("ja")


def test_a_folder_others_can_write_is_warned_about(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    (shared / "t.ini").write_text(_ini(), encoding="utf-8")
    os.chmod(shared / "t.ini", 0o600)
    warnings = tokenfile.read(shared / "t.ini").warnings
    assert any("chmod 700" in w for w in warnings)
    os.chmod(shared, 0o700)
    assert tokenfile.read(shared / "t.ini").warnings == []


# --- item 8: the loopback listener ------------------------------------------------------------------------


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_a_localhost_redirect_listens_on_both_loopbacks() -> None:
    if not _ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback")
    from tests.sandbox_fixtures import free_port

    port = free_port()
    with LoopbackListener(f"http://localhost:{port}/callback", state="s") as listener:
        assert sorted(listener.bound) == ["127.0.0.1", "::1"]
        with socket.create_connection(("::1", port), timeout=5) as conn:
            conn.sendall(b"GET /callback?code=abcdefgh&state=s HTTP/1.0\r\nHost: localhost\r\n\r\n")
            assert b"200" in conn.recv(100)
        assert "code=abcdefgh" in listener.wait(5)


def test_another_program_on_the_ipv6_loopback_port_is_refused() -> None:
    if not _ipv6_loopback():
        pytest.skip("this machine has no IPv6 loopback")
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as other:
        other.bind(("::1", 0))
        other.listen()
        port = other.getsockname()[1]
        try:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", port))
        except OSError:
            pytest.skip("that port is busy on 127.0.0.1 too")
        with pytest.raises(ConsentError) as info:
            LoopbackListener(f"http://localhost:{port}/callback", state="s").start()
        assert info.value.code == "port_busy"


def test_state_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    from oauthmail.consent import flow as flow_module
    from oauthmail.consent import loopback

    calls: list[tuple[bytes, bytes]] = []
    real = loopback.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(loopback.hmac, "compare_digest", spy)
    listener = LoopbackListener("http://127.0.0.1:9/callback", state="right")
    assert listener._handle("/callback?code=abcdefgh&state=wrong")[0] == 400
    assert (b"wrong", b"right") in calls
    with pytest.raises(ConsentError) as info:
        flow_module.finish(start_google(_web()), "http://127.0.0.1:48888/callback?code=abcdefgh&state=wrong")
    assert info.value.code == "state_mismatch" and any(a == b"wrong" for a, _ in calls)


# --- item 9: bad input gets its own message, never "Unexpected problem" -------------------------------------


def test_client_json_shapes_that_used_to_crash(tmp_path: Path) -> None:
    for bad in (5, "http://127.0.0.1:48888/callback", [5], {"a": 1}):
        with pytest.raises(ConfigError) as info:
            load_google_client(_web(redirect_uris=bad))
        assert info.value.code == "client_field_bad"
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_google_client(deep)
    assert info.value.code == "client_not_json"


def test_an_expiry_without_a_utc_form_is_refused_when_read() -> None:
    with pytest.raises(ConfigError) as info:
        tokenfile.parse(_ini(access_token_expires_at="9999-12-31T23:59:59-01:00"))
    assert "access_token_expires_at" in info.value.what("en")


def test_explain_reads_non_utf8_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from oauthmail.cli import main

    class Stdin(io.TextIOWrapper):
        pass

    for data in (b"\xff\xfe\x80\x81 535 5.7.139", "535 5.7.139 認証".encode("cp932"), b"\x80\xff" * 3):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
        code = main(["explain", "-"])
        err = capsys.readouterr().err
        assert code in (0, 1, 2) and "Unexpected" not in err and "Traceback" not in err


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                    max_leaves=12)
SECTION_KEYS = st.sampled_from(["client_id", "client_secret", "auth_uri", "token_uri", "redirect_uris", "project_id",
                                "type", "private_key"])


@given(st.one_of(JSON, st.dictionaries(st.sampled_from(["web", "installed", "type"]),
                                       st.one_of(JSON, st.dictionaries(SECTION_KEYS, JSON, max_size=7)), max_size=2)))
def test_any_client_json_gives_a_client_or_a_clean_error(data: Any) -> None:
    try:
        cfg = load_google_client(data) if isinstance(data, dict) else None
    except ConfigError as exc:
        assert exc.what("en") and exc.what("ja") and exc.hint("ja")
        return
    if cfg is not None:
        assert cfg.client_id and cfg.client_secret and all(isinstance(u, str) for u in cfg.redirect_uris)


URLISH = st.lists(st.sampled_from(["http://", "https://", "127.0.0.1", "localhost", ":48888", "/callback", "?",
                                   "&", "#", "code=", "state=", "error=", "4/0Ab-c_d", "%zz", "%41", "[", "]", "@",
                                   " ", "\n", "「", "\u3000", "'", "\"", "=", "x" * 9, "::1"]), max_size=14).map("".join)


@given(st.one_of(URLISH, st.text(max_size=80)))
def test_any_pasted_text_gives_parameters_or_a_clean_error(text: str) -> None:
    try:
        params = parse_redirect(text)
    except ConsentError as exc:
        assert exc.what("ja") and exc.hint("en")
        return
    assert params.get("code") or params.get("error")


@given(st.one_of(URLISH, st.text(max_size=80)))
def test_any_request_to_the_loopback_listener_gets_a_page(path: str) -> None:
    listener = LoopbackListener("http://127.0.0.1:9/callback", state="s")
    status, page = listener._handle("/" + path)
    assert status in (200, 400, 404) and page.startswith(b"<!doctype html>")


@given(st.one_of(st.binary(max_size=60), st.text(max_size=80).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_any_explain_input_gives_a_result_or_a_clean_error(data: bytes) -> None:
    from oauthmail.commands.explain import decode_input
    from oauthmail.explain import describe, explain

    try:
        text = decode_input(data)
    except ConfigError as exc:
        assert exc.code == "explain_not_text" and exc.what("ja")
        return
    assert describe(explain(text), "ja")["fix"]


@given(st.text(max_size=40), st.datetimes(timezones=st.timezones()) if hasattr(st, "timezones") else st.datetimes())
def test_any_expiry_reads_and_rewrites_or_is_a_clean_error(text: str, when: Any) -> None:
    for value in (text.strip(" \t\r;#") or "x", when.isoformat()):
        try:
            tf = tokenfile.parse(_ini(access_token_expires_at=value))
        except ConfigError:
            continue
        assert tf.render()


# --- item 10: flow secrets in a cell ---------------------------------------------------------------------


def test_a_flow_shown_in_a_cell_hides_its_secrets(sandbox: Any) -> None:
    from oauthmail.ui.controllers import ClientController, ConsentController
    from tests.test_ui_controllers import make_session

    s = make_session("google", sandbox)
    ClientController(s).use_sandbox("web")
    c = ConsentController(s, timeout=30)
    c.start()
    try:
        flow = c.flow
        assert flow is not None
        hidden = [flow["client"]["client_secret"], flow["code_verifier"], flow["state"]]
        pretty = pytest.importorskip("IPython.lib.pretty")
        for shown in (repr(flow), str(flow), pretty.pretty(flow), flow._repr_html_()):  # type: ignore[attr-defined]
            assert not any(h in shown for h in hidden), shown
        assert (Path(os.environ["OAUTHMAIL_HOME"]) / "consent-flow.json").exists()
    finally:
        c.cancel()
    assert not (Path(os.environ["OAUTHMAIL_HOME"]) / "consent-flow.json").exists()  # removed on cancel too


def test_saved_flow_removed_on_every_ending(sandbox: Any) -> None:
    from oauthmail.ui.controllers import ClientController, ConsentController
    from tests.test_ui_controllers import make_session

    saved = Path(os.environ["OAUTHMAIL_HOME"]) / "consent-flow.json"
    s = make_session("google", sandbox)
    ClientController(s).use_sandbox("web")
    timed_out = ConsentController(s, timeout=0.5)
    timed_out.start()
    assert saved.exists()
    timed_out.wait(10)
    assert timed_out.status == "failed" and not saved.exists()
    failed = ConsentController(s, timeout=30)
    failed.start()
    assert saved.exists()
    assert not failed.paste(sandbox.deny(failed.auth_uri, follow=False))
    assert not saved.exists()


# --- item 11: remote text in outputs -----------------------------------------------------------------------


def test_terminal_control_from_the_other_side_is_stripped() -> None:
    reply = "535 5.7.8 \x1b[2J\x1b]0;owned\x07\x1b[31mBad\x1b[0m\rcredentials\x9b"
    exc = TokenError(tokenfile.INI_SYNTAX, reply=reply, path=reply, line=1, problem=reply, details=reply)
    for text in (exc.what("en"), exc.what("ja"), str(exc.details), json.dumps(exc.to_dict())):
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text and "\r" not in text
    assert "Bad" in exc.what("en") and "credentials" in exc.what("en")
    from oauthmail.smtp import Transcript

    t = Transcript()
    t.server(reply)
    assert "\x1b" not in t.text() and "Bad" in t.text()


def test_markdown_records_escape_html() -> None:
    from oauthmail.record import SetupRecord, render_markdown

    rec = SetupRecord.from_dict({"account": "a@b.example", "provider": "google",
                                 "send": {"ok": False, "message_id": "<img src=x onerror=alert(1)>",
                                          "recipients": ["<script>x</script>@b.example"], "host": "<b>h</b>"},
                                 "extra": {"note": "<iframe src=//evil>"}})
    md = render_markdown(rec)
    for raw in ("<img", "<script", "<iframe", "<b>h"):
        assert raw not in md
    assert "&lt;img src=x onerror=alert(1)&gt;" in md


# --- item 12: redaction by shape, and by value on every path ---------------------------------------------

SHAPES = {
    "0.AXYAbCdEfGhIjKlMnOpQrStUvWxYz0123456789": "Entra refresh token",
    "M.C520_BAY.0.U.-CqS8dEfGhIjKlMnOpQrSt": "personal-account refresh token",
    "EwBwA8l6BAAUbDba3x2OMJElkF7gJ4z/VbCPEz0AAc": "personal-account access token",
    "4/0AeanS0abcDEFghiJKLmnoPQRstu": "Google authorization code",
    "DAQABIQEAAADbCdEfGhIjKlMnOpQrStUvWxYz0123": "Entra device code",
    "dXNlcj1hbGljZUBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LmFiYwEB": "base64 XOAUTH2",
    "bixhPWFsaWNlQGV4YW1wbGUuY29tLAFhdXRoPUJlYXJlciB4eXoBAQ==": "base64 OAUTHBEARER",
}


@pytest.mark.parametrize("value", sorted(SHAPES))
def test_each_token_shape_is_masked(value: str) -> None:
    for text in (value, f"server said: {value}.", f'{{"x": "{value}"}}'):
        assert value not in redact(text), SHAPES[value]


def test_codes_in_addresses_and_proxy_passwords_are_masked() -> None:
    out = redact("GET http://127.0.0.1:48888/callback?state=s&code=abcdefgh1234&scope=x")
    assert "abcdefgh1234" not in out and "state=s" in out and "scope=x" in out
    out = redact("ProxyError('Cannot connect to proxy http://alice:s3cret-Pa55@proxy.corp:8080')")
    assert "s3cret-Pa55" not in out and "alice:" in out and "@proxy.corp:8080" in out
    assert redact("device_code=GAcdefghijkl12") == f"device_code={MASK}"
    assert redact("250 2.0.0 OK queued as 0.Alpha") == "250 2.0.0 OK queued as 0.Alpha"


def test_an_accounts_secrets_are_masked_on_paths_that_pass_none(tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    odd = "plainsecretvalue-without-any-shape"
    ini.write_text(_ini(client_secret=odd), encoding="utf-8")
    os.chmod(ini, 0o600)
    tokenfile.read(ini)  # reading the account is enough: its secret values are known from now on
    exc = TokenError(tokenfile.INI_SYNTAX, path="x", line=1, problem=f"server echoed {odd}", details=odd)
    assert odd not in _all_text(exc) and odd not in str(exc.details)
    assert odd not in redact(f"any text {odd}")
    secrets.forget()
    assert odd in redact(f"any text {odd}")
