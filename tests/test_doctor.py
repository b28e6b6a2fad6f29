"""oauthmail doctor against the sandbox: passes when all is well, pinpoints each injected fault with its fix."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from test_core_support import MS_USER, secrets_in, start_sandbox, write_ini

from oauthmail import tokenfile
from oauthmail.cli import main
from oauthmail.doctor import (
    FAIL,
    PASS,
    SKIP,
    WARN,
    Check,
    clock_check,
    clock_skew,
    closure,
    render_table,
    run_doctor,
    secret_expiry_check,
    strip_userinfo,
)
from oauthmail.record import build_record, write_record
from tests.sandbox_fixtures import free_port

try:  # the sandbox engineer's fixture
    from sandbox_fixtures import sandbox
except ImportError:  # pragma: no cover - until tests/sandbox_fixtures.py lands

    @pytest.fixture
    def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
        sb = start_sandbox(tmp_path / "sandbox", monkeypatch)
        yield sb
        sb.stop()


def _statuses(report: Any) -> dict[str, str]:
    return {c.id: c.status for c in report.checks}


def _no_secret(text: str, ini: Path, toks: dict[str, Any]) -> None:
    for value in [*secrets_in(ini), toks["refresh_token"], toks["access_token"], toks.get("client_secret") or "x" * 9]:
        assert value not in text


@pytest.mark.parametrize(("provider", "security"), [("google", "starttls"), ("google", "ssl"),
                                                    ("microsoft", "starttls")])
def test_everything_passes_against_the_sandbox(sandbox: Any, tmp_path: Path, provider: str, security: str) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, provider, security=security, cached=False)
    delivered = len(sandbox.mailbox)
    report = run_doctor(ini, timeout=5)
    st = _statuses(report)
    assert report.ok, render_table(report)
    for check_id in ("ini", "dns", "tcp", "tls", "ehlo", "token_endpoint", "clock", "refresh", "smtp_auth"):
        assert st[check_id] == PASS, (check_id, render_table(report))
    assert st["secret_expiry"] == SKIP  # no expiry recorded; a Google secret has none at all
    detail = report.get("secret_expiry").to_dict("en")["detail"]  # type: ignore[union-attr]
    assert detail == ("Google client secrets have no expiry date" if provider == "google"
                      else "no expiry recorded (client_secret_expires_at)"), detail
    tls = report.get("tls")
    assert tls is not None and "TLS" in tls.to_dict("en")["detail"]
    assert "XOAUTH2" in report.get("ehlo").to_dict()["detail"]  # type: ignore[union-attr]
    text = json.dumps(report.to_dict("en")) + json.dumps(report.to_dict("ja")) + render_table(report, "ja")
    _no_secret(text, ini, toks)
    # The refreshed token was stored (Microsoft rotates the refresh token: the new one must be kept).
    acc = tokenfile.read(ini).account()
    assert acc.access_token and acc.access_token_expires_at is not None
    if provider == "microsoft":
        assert acc.refresh_token != toks["refresh_token"]
    assert len(sandbox.mailbox) == delivered  # AUTH only: no message was sent


def test_smtp_port_closed(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, extra=None)
    tokenfile.update_account(ini, "alice@example.com", smtp_port=free_port())
    report = run_doctor(ini, timeout=3)
    st = _statuses(report)
    assert st["dns"] == PASS and st["tcp"] == FAIL
    assert st["tls"] == SKIP and st["ehlo"] == SKIP and st["smtp_auth"] == SKIP
    assert st["refresh"] == PASS  # the token side is independent of the SMTP port
    tcp = report.get("tcp").to_dict("en")  # type: ignore[union-attr]
    assert "refused" in tcp["detail"] and "587" in tcp["fix"] and "465" in tcp["fix"]
    assert "587" in report.get("tcp").to_dict("ja")["fix"]  # type: ignore[union-attr]
    skipped = report.get("smtp_auth").to_dict("en")  # type: ignore[union-attr]
    assert "skipped" in skipped["detail"]
    assert not report.ok


def test_untrusted_certificate_without_the_ca(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "SSL_CERT_DIR"):
        monkeypatch.delenv(var, raising=False)
    report = run_doctor(ini, timeout=5)
    st = _statuses(report)
    assert st["tcp"] == PASS and st["tls"] == FAIL and st["token_endpoint"] == FAIL
    for check_id in ("tls", "token_endpoint"):
        fix_en = report.get(check_id).to_dict("en")["fix"]  # type: ignore[union-attr]
        fix_ja = report.get(check_id).to_dict("ja")["fix"]  # type: ignore[union-attr]
        assert "SSL_CERT_FILE" in fix_en and "SSL_CERT_FILE" in fix_ja, check_id
    assert st["refresh"] == SKIP and st["smtp_auth"] == SKIP


def test_token_endpoint_down(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    sandbox.set_fault("token_status", 500)
    try:
        report = run_doctor(ini, timeout=5)
    finally:
        sandbox.set_fault("token_status", None)
    st = _statuses(report)
    assert st["tls"] == PASS and st["ehlo"] == PASS
    assert st["token_endpoint"] == FAIL and st["refresh"] == SKIP and st["smtp_auth"] == SKIP
    d = report.get("token_endpoint").to_dict("en")  # type: ignore[union-attr]
    assert "500" in d["detail"] and "500" in d["fix"]
    assert "500" in report.get("token_endpoint").to_dict("ja")["fix"]  # type: ignore[union-attr]


def test_token_endpoint_unreachable(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    tokenfile.update_account(ini, "alice@example.com", token_uri=f"https://127.0.0.1:{free_port()}/token")
    report = run_doctor(ini, checks=["refresh"], timeout=3)
    st = _statuses(report)
    assert set(st) == {"ini", "token_endpoint", "refresh"}  # only what was asked and what it needs
    assert st["token_endpoint"] == FAIL and st["refresh"] == SKIP


def test_wrong_token_uri_404(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    acc = tokenfile.read(ini).account()
    tokenfile.update_account(ini, acc.email, token_uri=acc.token_uri.rsplit("/", 1)[0] + "/no-such-token-path")
    report = run_doctor(ini, checks=["token_endpoint"], timeout=5)
    d = report.get("token_endpoint").to_dict("en")  # type: ignore[union-attr]
    assert report.get("token_endpoint").status == FAIL and "404" in d["detail"]  # type: ignore[union-attr]
    assert "token_uri" in d["fix"]


def test_revoked_refresh_token(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, cached=False)
    sandbox.revoke(toks["refresh_token"])
    report = run_doctor(ini, timeout=5)
    st = _statuses(report)
    assert st["token_endpoint"] == PASS and st["refresh"] == FAIL and st["smtp_auth"] == SKIP
    c = report.get("refresh")
    assert c is not None and c.code == "invalid_grant"
    assert "consent" in c.to_dict("en")["fix"] and "同意" in c.to_dict("ja")["fix"]
    _no_secret(json.dumps(report.to_dict()), ini, toks)


def test_smtp_auth_disabled(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, "microsoft", cached=False)
    sandbox.set_smtp_auth_disabled(MS_USER)
    try:
        report = run_doctor(ini, timeout=5)
    finally:
        sandbox.set_smtp_auth_disabled(MS_USER, False)
    st = _statuses(report)
    assert st["refresh"] == PASS and st["smtp_auth"] == FAIL
    c = report.get("smtp_auth")
    assert c is not None and c.code == "535 5.7.139"
    assert "Authenticated SMTP" in c.to_dict("en")["fix"] and "認証済み SMTP" in c.to_dict("ja")["fix"]
    _no_secret(json.dumps(report.to_dict()) + render_table(report), ini, toks)


def test_bad_ini_fails_first_and_skips_the_rest(tmp_path: Path) -> None:
    ini = tmp_path / "bad.ini"
    ini.write_text("[oauthmail]\nversion = 1\n[alice@example.com]\nprovider = google\n", encoding="utf-8")
    os.chmod(ini, 0o600)
    report = run_doctor(ini)
    st = _statuses(report)
    assert st["ini"] == FAIL and all(s == SKIP for k, s in st.items() if k != "ini")
    assert report.get("ini").to_dict("en")["fix"]  # type: ignore[union-attr]
    missing = run_doctor(tmp_path / "nope.ini")
    assert missing.get("ini").status == FAIL  # type: ignore[union-attr]


def test_world_readable_ini_is_a_warning(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    os.chmod(ini, 0o644)
    report = run_doctor(ini, checks=["ini"])
    c = report.get("ini")
    assert c is not None and c.status == WARN and "chmod 600" in c.to_dict("en")["fix"]
    assert report.ok  # a warning is not a failure


def test_secret_expiry_verdicts() -> None:
    acc = tokenfile.Account(email="a@example.com", provider="microsoft", client_id="x", refresh_token="r",
                            client_secret="s3cr3t-value")
    now = datetime(2026, 11, 21, tzinfo=timezone.utc)
    assert secret_expiry_check(acc, now).status == SKIP
    acc.extra["client_secret_expires_at"] = "2026-12-01T00:00:00Z"
    c = secret_expiry_check(acc, now)
    assert c.status == WARN and "10" in c.to_dict("en")["detail"] and "証明書とシークレット" in c.to_dict("ja")["fix"]
    acc.extra["client_secret_expires_at"] = "2026-11-01T00:00:00Z"
    assert secret_expiry_check(acc, now).status == FAIL
    acc.extra["client_secret_expires_at"] = "2028-01-01T00:00:00Z"
    assert secret_expiry_check(acc, now).status == PASS
    acc.extra["client_secret_expires_at"] = "next spring"
    assert secret_expiry_check(acc, now).status == WARN
    acc.client_secret = ""
    assert secret_expiry_check(acc, now).status == SKIP


def test_clock_skew_verdicts() -> None:
    now = datetime(2026, 11, 21, 6, 0, 0, tzinfo=timezone.utc)
    assert clock_skew("Sat, 21 Nov 2026 06:00:00 GMT", now) == 0
    assert clock_skew("Sat, 21 Nov 2026 05:50:00 GMT", now) == 600
    assert clock_skew(None, now) is None and clock_skew("garbage", now) is None
    assert clock_check(2).status == PASS
    assert clock_check(-90).status == WARN
    fail = clock_check(600)
    assert fail.status == FAIL and "600" in fail.to_dict("en")["detail"] and "進んで" in fail.to_dict("ja")["detail"]
    assert clock_check(None).status == WARN


def test_proxy_credentials_never_shown() -> None:
    assert strip_userinfo("http://user:pa55@proxy.example.com:8080") == "http://proxy.example.com:8080"
    assert strip_userinfo("http://proxy.example.com:3128") == "http://proxy.example.com:3128"


def test_closure_adds_prerequisites() -> None:
    assert closure(["smtp_auth"]) == {"smtp_auth", "ehlo", "tls", "tcp", "dns", "ini", "refresh", "token_endpoint"}


def test_check_dict_formats_msg_params() -> None:
    from oauthmail.doctor import SKIPPED_NEEDS, TITLES

    c = Check("tls", SKIP, detail=SKIPPED_NEEDS, params={"needed": TITLES["tcp"]})
    assert "TCP" in c.to_dict("en")["detail"] and "TCP 接続" in c.to_dict("ja")["detail"]


def test_cli_exit_codes_json_and_record(sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini)
    assert main(["doctor", "--ini", str(ini), "--json"]) == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["ok"] is True and data["checks"][0]["id"] == "ini"
    _no_secret(out, ini, toks)

    rec_path = write_record(build_record(ini), tmp_path / "rec.json")
    assert main(["--lang", "ja", "doctor", "--ini", str(ini), "--record", str(rec_path)]) == 0
    out = capsys.readouterr().out
    assert "✔" in out and "記録した設定との一致" in out

    tokenfile.update_account(ini, toks["user"], smtp_port=free_port())
    assert main(["--lang", "en", "doctor", "--ini", str(ini), "--record", str(rec_path)]) == 1
    out = capsys.readouterr().out
    assert "✖" in out and "smtp_port" in out and "fix:" in out
    _no_secret(out, ini, toks)

    # The record names its account: with several accounts in the INI, that one is re-checked.
    other = write_ini(sandbox, tmp_path / "ms.ini", "microsoft")
    ms_rec = write_record(build_record(tmp_path / "ms.ini"), tmp_path / "ms.json")
    ms_acc = tokenfile.read(tmp_path / "ms.ini").account()
    tokenfile.save_account(ini, ms_acc)  # alice stays the default account
    assert main(["--lang", "en", "doctor", "--ini", str(ini), "--record", str(ms_rec), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["account"] == other["user"]

    assert main(["doctor", "--ini", str(ini), "--record", str(tmp_path / "missing.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "hint:" in err


def test_expired_cached_token_does_not_matter(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    tokenfile.update_account(ini, "alice@example.com",
                             access_token_expires_at=datetime.now(timezone.utc) - timedelta(hours=2))
    assert run_doctor(ini, timeout=5).ok


# --- proxies (HTTPS_PROXY / NO_PROXY are honoured, proxy credentials never shown) ----------------------


class _Proxy:
    """A tiny HTTP CONNECT proxy on 127.0.0.1: tunnels (``status=200``) or refuses (``status=407``)."""

    def __init__(self, status: int = 200) -> None:
        import socket
        import threading

        self.status = status
        self.connects: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = int(self.sock.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        import threading

        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: Any) -> None:
        import socket
        import threading

        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                conn.close()
                return
            data += chunk
        first = data.split(b"\r\n", 1)[0].decode()
        self.connects.append(first)
        if self.status != 200 or not first.startswith("CONNECT "):
            conn.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"corp\"\r\n"
                         b"Content-Length: 0\r\nConnection: close\r\n\r\n")
            conn.close()
            return
        host, port = first.split()[1].rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)), timeout=10)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pump(a: Any, b: Any) -> None:
            try:
                while True:
                    chunk = a.recv(65536)
                    if not chunk:
                        break
                    b.sendall(chunk)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=pump, args=(upstream, conn), daemon=True).start()
        pump(conn, upstream)

    def close(self) -> None:
        self.sock.close()


def _proxy_env(monkeypatch: pytest.MonkeyPatch, url: str, no_proxy: str = "") -> None:
    for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", url)
    if no_proxy:
        monkeypatch.setenv("NO_PROXY", no_proxy)


def test_token_endpoint_through_a_proxy(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, cached=False)
    proxy = _Proxy(200)
    try:
        _proxy_env(monkeypatch, f"http://trainee:pr0xy-pa55@127.0.0.1:{proxy.port}")
        report = run_doctor(ini, checks=["refresh", "clock"], timeout=5)
    finally:
        proxy.close()
    st = _statuses(report)
    assert st["token_endpoint"] == PASS and st["refresh"] == PASS and st["clock"] == PASS, render_table(report)
    assert proxy.connects and proxy.connects[0].startswith("CONNECT 127.0.0.1:")
    detail = report.get("token_endpoint").to_dict("en")["detail"]  # type: ignore[union-attr]
    assert f"via proxy http://127.0.0.1:{proxy.port}" in detail
    text = json.dumps(report.to_dict()) + render_table(report)
    assert "pr0xy-pa55" not in text and "trainee" not in text
    _no_secret(text, ini, toks)


def test_proxy_refuses_407(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    proxy = _Proxy(407)
    try:
        _proxy_env(monkeypatch, f"http://127.0.0.1:{proxy.port}")
        report = run_doctor(ini, checks=["refresh"], timeout=5)
    finally:
        proxy.close()
    c = report.get("token_endpoint")
    assert c is not None and c.status == FAIL and c.code == "proxy", render_table(report)
    assert "HTTPS_PROXY" in c.to_dict("en")["fix"] and "HTTPS_PROXY" in c.to_dict("ja")["fix"]
    assert report.get("refresh").status == SKIP  # type: ignore[union-attr]


def test_no_proxy_is_honoured(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    _proxy_env(monkeypatch, f"http://127.0.0.1:{free_port()}", no_proxy="127.0.0.1,localhost")
    report = run_doctor(ini, checks=["token_endpoint"], timeout=5)
    c = report.get("token_endpoint")
    assert c is not None and c.status == PASS and "via proxy" not in c.to_dict("en")["detail"]


def test_unknown_smtp_host_fails_dns(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    tokenfile.update_account(ini, "alice@example.com", smtp_host="smtp.no-such-host.invalid")
    report = run_doctor(ini, checks=["tcp"], timeout=3)
    c = report.get("dns")
    assert c is not None and c.status == FAIL and c.code == "dns"
    assert "smtp.no-such-host.invalid" in c.to_dict("en")["detail"] and "smtp.gmail.com" in c.to_dict("ja")["fix"]
    assert report.get("tcp").status == SKIP  # type: ignore[union-attr]


def test_silent_server_times_out_at_tls(sandbox: Any, tmp_path: Path) -> None:
    from test_core_support import SilentServer

    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    silent = SilentServer()
    try:
        tokenfile.update_account(ini, "alice@example.com", smtp_port=silent.port)
        report = run_doctor(ini, checks=["ehlo"], timeout=1)
    finally:
        silent.close()
    assert report.get("tcp").status == PASS  # type: ignore[union-attr]
    c = report.get("tls")
    assert c is not None and c.status == FAIL and c.code == "timeout", render_table(report)
    assert "1" in c.to_dict("en")["detail"]


def test_missing_ca_file_is_named(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "company-ca.pem"))
    report = run_doctor(ini, checks=["tls"], timeout=3)
    c = report.get("tls")
    assert c is not None and c.status == FAIL and "company-ca.pem" in c.to_dict("en")["detail"]
    assert "SSL_CERT_FILE" in c.to_dict("en")["fix"]


def test_starttls_and_ssl_mixed_up(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    # STARTTLS requested on the implicit-TLS port: the server waits for a TLS hello, smtplib for a greeting.
    tokenfile.update_account(ini, "alice@example.com", smtp_port=sandbox.smtp_ssl_port, smtp_security="starttls")
    report = run_doctor(ini, checks=["ehlo"], timeout=2)
    c = report.get("tls")
    assert c is not None and c.status == FAIL, render_table(report)
    fix = c.to_dict("en")["fix"]
    assert "587" in fix and "465" in fix
    # And the other way round: ssl on the STARTTLS port.
    tokenfile.update_account(ini, "alice@example.com", smtp_port=sandbox.smtp_starttls_port, smtp_security="ssl")
    report = run_doctor(ini, checks=["ehlo"], timeout=2)
    c = report.get("tls")
    assert c is not None and c.status == FAIL, render_table(report)
    assert "465" in c.to_dict("en")["fix"] or "ssl" in c.to_dict("en")["fix"]


def test_wrong_tenant_is_caught_by_the_probe(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, "microsoft")
    base = sandbox.microsoft_authority.rsplit("/", 1)[0]
    tokenfile.update_account(ini, toks["user"], authority=f"{base}/contoso-typo.example")
    report = run_doctor(ini, checks=["refresh"], timeout=5)
    c = report.get("token_endpoint")
    assert c is not None and c.status == FAIL and c.code == "AADSTS90002", render_table(report)
    assert "tenant" in c.to_dict("en")["fix"] and "テナント" in c.to_dict("ja")["fix"]
    assert report.get("refresh").status == SKIP  # type: ignore[union-attr]


def _ini_with_scopes(sb: Any, path: Path, provider: str, scopes: list[str]) -> dict[str, Any]:
    from test_core_support import google_client

    if provider == "google":
        client_id, secret = google_client(sb)
        user = "alice@example.com"
        head = [f"[{user}]", "provider = google", f"client_id = {client_id}", f"client_secret = {secret}",
                f"token_uri = {sb.google_token_uri}"]
    else:
        client_id, secret, user = sb.microsoft_web_client_id, sb.microsoft_web_client_secret, MS_USER
        head = [f"[{user}]", "provider = microsoft", f"client_id = {client_id}", f"client_secret = {secret}",
                f"authority = {sb.microsoft_authority}"]
    toks = sb.mint_tokens(provider, client_id, user, scopes)
    lines = ["[oauthmail]", "version = 1", "", *head, f"scopes = {' '.join(scopes)}",
             f"refresh_token = {toks['refresh_token']}", f"smtp_host = {sb.smtp_host}",
             f"smtp_port = {sb.smtp_starttls_port}", "smtp_security = starttls"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    return dict(toks, client_secret=secret, user=user)


@pytest.mark.parametrize(("provider", "scopes", "words"), [
    ("google", ["https://www.googleapis.com/auth/gmail.send"], ("https://mail.google.com/", "同意")),
    ("microsoft", ["https://graph.microsoft.com/Mail.Send"], ("SMTP.Send", "Graph")),
])
def test_token_without_the_smtp_scope(sandbox: Any, tmp_path: Path, provider: str, scopes: list[str],
                                      words: tuple[str, str]) -> None:
    ini = tmp_path / "t.ini"
    toks = _ini_with_scopes(sandbox, ini, provider, scopes)
    report = run_doctor(ini, timeout=5)
    refresh = report.get("refresh")
    assert refresh is not None and refresh.status == WARN and refresh.code == "scope", render_table(report)
    assert words[0] in refresh.to_dict("en")["fix"] and words[1] in refresh.to_dict("ja")["fix"]
    auth = report.get("smtp_auth")
    assert auth is not None and auth.status == FAIL and auth.fix is not None  # the server refuses it too
    assert not report.ok
    _no_secret(json.dumps(report.to_dict()) + render_table(report, "ja"), ini, toks)


def test_record_includes_a_real_doctor_report_without_secrets(sandbox: Any, tmp_path: Path) -> None:
    from oauthmail.record import export_record

    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, "microsoft", cached=False)
    report = run_doctor(ini, timeout=5)
    paths = export_record(ini, out_dir=tmp_path / "records", doctor=report, lang="ja",
                          steps=[{"id": "app", "label": "アプリの登録", "done": True, "at": "2026-11-21T05:00:00Z"}])
    assert sorted(p.suffix for p in paths) == [".html", ".json", ".md"]
    for p in paths:
        text = p.read_text(encoding="utf-8")
        assert "✔" in text or '"status": "pass"' in text
        _no_secret(text, ini, toks)


def test_record_command_with_doctor_in_japanese(sandbox: Any, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, cached=False)
    out = tmp_path / "rec.html"
    assert main(["record", "--ini", str(ini), "--doctor", "--lang", "ja", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "リフレッシュ トークンでの更新" in text and "診断結果" in text and "✔" in text
    _no_secret(text + capsys.readouterr().out, ini, toks)


def test_server_without_xoauth2_fails_ehlo(sandbox: Any, tmp_path: Path) -> None:
    """A real STARTTLS server (aiosmtpd, the sandbox's certificate) that offers only AUTH LOGIN PLAIN."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from oauthmail.sandbox.certs import cert_paths, server_context

    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    port = free_port()
    ctx = server_context(cert_paths(Path(sandbox.state_dir)))
    controller = Controller(object(), hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True,
                            authenticator=lambda *a: AuthResult(success=False), auth_require_tls=True,
                            server_hostname="localhost")
    controller.start()
    try:
        tokenfile.update_account(ini, "alice@example.com", smtp_port=port)
        report = run_doctor(ini, checks=["ehlo"], timeout=5)
    finally:
        controller.stop()
    assert report.get("tls").status == PASS, render_table(report)  # type: ignore[union-attr]
    c = report.get("ehlo")
    assert c is not None and c.status == FAIL and c.code == "no_mechanism", render_table(report)
    d = c.to_dict("en")
    assert "LOGIN" in d["detail"] and "XOAUTH2" in d["detail"] and "smtp.gmail.com" in d["fix"]
