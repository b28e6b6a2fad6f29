"""The notebook steps' controllers, driven directly (no widgets), against the real sandbox.

Every step is exercised with good and bad input: a wrong JSON file, an empty secret, a pasted
URL without a code, a missing INI… and each failure must say what to do (error + hint).
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from oauthmail.ui.controllers import (
    ChecklistController,
    ClientController,
    ConsentController,
    DoctorController,
    EnvironmentController,
    ExplainController,
    ExportController,
    IniController,
    SendController,
)
from oauthmail.ui.session import Session, notebook_language
from oauthmail.ui.steps import STEPS, step


@pytest.fixture
def sandbox_config() -> dict[str, Any]:
    """Microsoft's Web redirect on a free port too, so runs in parallel never fight over 48888."""
    from tests.sandbox_fixtures import free_port

    return {"microsoft_web_redirect_uris": [f"http://localhost:{free_port()}/callback"]}


def make_session(provider: str = "google", sandbox: Any = None, lang: str = "en") -> Session:
    s = Session.create(provider, mode="sandbox", lang=lang)  # type: ignore[arg-type]
    if sandbox is not None:
        s.attach_sandbox(sandbox)
    return s


def real_session(provider: str = "google") -> Session:
    """Real mode: typed values keep the provider's own endpoints (no sandbox is needed or started)."""
    return Session.create(provider, mode="real", lang="en")  # type: ignore[arg-type]


def failed_with(ctrl: Any, code: str) -> None:
    assert ctrl.status == "failed", ctrl.message
    assert ctrl.error is not None
    assert ctrl.error.code == code, (ctrl.error.code, ctrl.error.what("en"))
    assert ctrl.error.hint("en") and ctrl.error.hint("ja")
    assert ctrl.message == ctrl.error.what(ctrl.session.lang)


def signed_in(sandbox: Any, provider: str = "google") -> tuple[Session, ConsentController]:
    s = make_session(provider, sandbox)
    assert ClientController(s).use_sandbox("web") is not None
    c = ConsentController(s, timeout=30)
    c.start()
    assert c.status == "waiting", c.message
    c.approve_in_sandbox()
    assert c.wait(30), c.message
    return s, c


# --- language and session ----------------------------------------------------------------------


def test_language_from_env_then_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ja").mkdir()
    monkeypatch.setenv("OAUTHMAIL_LANG", "en")
    assert notebook_language(tmp_path / "ja") == "en"
    monkeypatch.delenv("OAUTHMAIL_LANG")
    assert notebook_language(tmp_path / "ja") == "ja"
    monkeypatch.chdir(tmp_path / "ja")
    assert notebook_language() == "ja"
    assert Session.create("google").lang == "ja"


def test_sandbox_and_real_tokens_never_share_a_file(oauthmail_home: Path) -> None:
    s = make_session()
    assert s.ini() == oauthmail_home / "sandbox.ini"
    s.mode = "real"
    assert s.ini() == oauthmail_home / "oauthmail.ini"


def test_autorun_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHMAIL_AUTORUN", "1")
    assert Session.create("google").autorun
    monkeypatch.setenv("OAUTHMAIL_AUTORUN", "0")
    assert not Session.create("google").autorun


# --- checklists --------------------------------------------------------------------------------


def test_checklist_records_ticks_with_time_and_auto_mark() -> None:
    s = make_session()
    c = ChecklistController(s, step("google.consent_screen"))
    assert [tid for tid, _ in c.labels()] == ["external", "named"]
    c.set("external", True)
    assert not c.complete()
    c.set("named", True)
    assert c.complete() and c.status == "done"
    c.set("named", False)
    assert not c.complete()
    rec = {r["id"]: r for r in s.steps_for_record()}
    assert rec["google.consent_screen.external"]["done"] is True
    assert rec["google.consent_screen.named"]["done"] is False
    assert rec["google.consent_screen.external"]["at"].endswith("Z")
    ChecklistController(s, step("google.scopes")).tick_all(auto=True)
    rec = {r["id"]: r for r in s.steps_for_record()}
    assert "autorun" in rec["google.scopes.mail_scope"]["label"]
    assert s.record_extra()["auto_ticked_steps"] == ["google.scopes.mail_scope"]


def test_checklist_in_japanese() -> None:
    s = make_session(lang="ja")
    labels = ChecklistController(s, step("microsoft.secret")).labels()
    assert "値" in labels[1][1]


def test_unknown_step_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"google\.project"):
        step("google.projekt")
    assert all(s.ticks for s in STEPS.values())


# --- the client --------------------------------------------------------------------------------


GOOD_INSTALLED = {"installed": {"client_id": "123-abc.apps.googleusercontent.com", "client_secret": "GOCSPX-abcdefghijkl",
                                "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                                "token_uri": "https://oauth2.googleapis.com/token",
                                "redirect_uris": ["http://localhost"]}}


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "client_file_empty"),
        (b"   \n", "client_file_empty"),
        (b"client_id=123", "client_not_json"),
        (b"\xff\xfe\x00garbage", "client_not_json"),
        (b"[1, 2]", "client_not_oauth"),
        (json.dumps({"type": "service_account", "private_key": "-----BEGIN"}).encode(), "client_service_account"),
        (json.dumps({"something": {"client_id": "x"}}).encode(), "client_not_oauth"),
        (json.dumps({"installed": {**GOOD_INSTALLED["installed"], "client_secret": ""}}).encode(),
         "client_secret_missing"),
        (json.dumps({"web": {"client_secret": "s", "auth_uri": "https://a", "token_uri": "https://t"}}).encode(),
         "client_field_missing"),
    ],
)
def test_wrong_client_json_says_what_to_do(data: bytes, code: str) -> None:
    c = ClientController(make_session())
    assert c.load_json(data, "client_secret_upload.json") is None
    failed_with(c, code)
    assert c.session.client is None
    if code != "client_file_empty":
        assert "client_secret_upload.json" in c.error.what("en")  # type: ignore[union-attr]


def test_good_client_json_is_accepted_and_secret_never_shown() -> None:
    c = ClientController(make_session())
    cfg = c.load_json(json.dumps(GOOD_INSTALLED).encode(), "client_secret_123.json")
    assert cfg is not None and c.status == "done"
    assert cfg.client_type == "installed"
    assert "GOCSPX-abcdefghijkl" not in c.message
    assert "GOCSPX-abcdefghijkl" not in repr(cfg)
    assert c.session.client is cfg


def test_web_client_without_the_exact_redirect_is_warned() -> None:
    web = {"web": {**GOOD_INSTALLED["installed"], "redirect_uris": ["http://localhost:8080/"]}}
    c = ClientController(make_session())
    assert c.load_json(json.dumps(web).encode()) is not None
    assert any("http://127.0.0.1:48888/callback" in w for w in c.warnings)
    ok = {"web": {**GOOD_INSTALLED["installed"], "redirect_uris": ["http://127.0.0.1:48888/callback"]}}
    c.load_json(json.dumps(ok).encode())
    assert c.warnings == []


def test_oob_file_is_warned_not_refused() -> None:
    old = {"installed": {**GOOD_INSTALLED["installed"], "redirect_uris": ["urn:ietf:wg:oauth:2.0:oob", "http://localhost"]}}
    c = ClientController(make_session())
    assert c.load_json(json.dumps(old).encode()) is not None
    assert any("OOB" in w or "oob" in w for w in c.warnings)


def test_sandbox_client_refused_in_real_mode() -> None:
    s = make_session()
    s.mode = "real"
    c = ClientController(s)
    assert c.use_sandbox() is None
    failed_with(c, "sandbox_client_in_real_mode")


def test_typed_google_values() -> None:
    c = ClientController(real_session())
    assert c.use_google("123-abc.apps.googleusercontent.com", "   ") is None
    failed_with(c, "client_secret_missing")
    assert c.use_google("", "GOCSPX-x") is None
    failed_with(c, "empty_value")
    cfg = c.use_google("123-abc.apps.googleusercontent.com", "GOCSPX-abcdefghijkl", kind="web")
    assert cfg is not None and cfg.client_type == "web"
    assert "http://127.0.0.1:48888/callback" in cfg.redirect_uris


def test_typed_microsoft_values() -> None:
    c = ClientController(real_session("microsoft"))
    guid = "11111111-2222-3333-4444-555555555555"
    assert c.use_microsoft(guid, "", tenant="organizations") is None
    failed_with(c, "client_secret_empty")
    assert c.use_microsoft("my-app", "secret-value-xyz") is None
    failed_with(c, "client_id_not_guid")
    assert c.use_microsoft(guid, "value~abc", tenant="bad tenant!") is None
    failed_with(c, "bad_tenant")
    assert c.use_microsoft(guid, "value~abc", secret_expires="next year") is None
    failed_with(c, "bad_date")
    cfg = c.use_microsoft(guid, "66666666-7777-8888-9999-000000000000", secret_expires="2027-05-31")
    assert cfg is not None
    assert any("Secret ID" in w for w in c.warnings)
    assert str(c.session.secret_expires) == "2027-05-31"
    pub = c.use_microsoft(guid, "", public=True, tenant="consumers")
    assert pub is not None and pub.is_public and pub.tenant == "consumers"


# --- consent -----------------------------------------------------------------------------------


def test_consent_without_client_says_go_back() -> None:
    c = ConsentController(make_session())
    assert c.start() == ""
    failed_with(c, "no_client")


def test_google_consent_in_the_sandbox_writes_the_ini(sandbox: Any) -> None:
    s, c = signed_in(sandbox)
    assert s.account in sandbox.users_of("google")
    ini = s.ini()
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600
    text = ini.read_text()
    assert f"smtp_port = {sandbox.smtp_starttls_port}" in text
    assert "refresh_token" in text
    assert "refresh_token" not in c.message and "7 days" in c.message  # Testing-status warning (P5)


def test_microsoft_consent_in_the_sandbox(sandbox: Any) -> None:
    s, _ = signed_in(sandbox, "microsoft")
    assert s.account in sandbox.users_of("microsoft")
    assert "authority = " in s.ini().read_text()


def test_cancel_frees_the_listener_and_can_start_again(sandbox: Any) -> None:
    s = make_session("google", sandbox)
    ClientController(s).use_sandbox("web")
    c = ConsentController(s, timeout=30)
    c.start()
    assert c.listening.wait(10)
    busy = c.start()  # a second start while waiting is refused, not a second listener
    assert busy == c.auth_uri and c.error is not None and c.error.code == "consent_busy"
    t0 = time.monotonic()
    c.cancel()
    assert c.status == "cancelled" and time.monotonic() - t0 < 5
    c.start()
    assert c.status == "waiting", c.message
    c.approve_in_sandbox()
    assert c.wait(30), c.message


@pytest.mark.parametrize(
    ("text", "code"),
    [("", "paste_empty"), ("http://127.0.0.1:48888/callback?state=abc", "paste_no_code"),
     ("hello there", "paste_no_code")],
)
def test_pasted_address_without_code(sandbox: Any, text: str, code: str) -> None:
    s = make_session("google", sandbox)
    ClientController(s).use_sandbox("web")
    c = ConsentController(s, timeout=30)
    c.start()
    try:
        assert not c.paste(text)
        assert c.status == "waiting"  # a wrong paste does not end the sign-in
        assert c.error is not None and c.error.code == code
        assert "code=" in c.error.hint("en") and c.error.hint("ja")
        redirect = sandbox.approve(c.auth_uri, follow=False)
        assert c.paste(redirect), c.message  # the right address pasted next still signs in
        assert c.status == "done" and c.error is None
    finally:
        c.cancel()


def test_pasted_access_denied(sandbox: Any) -> None:
    s = make_session("google", sandbox)
    ClientController(s).use_sandbox("web")
    c = ConsentController(s, timeout=30)
    c.start()
    try:
        redirect = sandbox.deny(c.auth_uri, follow=False)
        assert not c.paste(redirect)
        assert c.status == "failed" and c.error is not None
        assert "access_denied" in (c.error.code or "") + c.error.what("en") + str(c.error.details)
        assert c.wait(10) is False and c.status == "failed"  # the listener stopped; the error stays shown
    finally:
        c.cancel()


def test_a_denied_paste_is_never_shown_as_cancelled(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The paste wakes the waiting thread to end the wait; while the paste is still saying "denied" (slow here
    on purpose), the thread must not say "Sign-in cancelled" (a race a clean run met: 'cancelled' won)."""
    s = make_session("google", sandbox)
    ClientController(s).use_sandbox("web")
    c = ConsentController(s, timeout=30)
    seen: list[str] = []
    c.subscribe(lambda: seen.append(c.status))
    c.start()
    try:
        assert c.wait_listening(10)
        redirect = sandbox.deny(c.auth_uri, follow=False)
        discard = c._discard_saved_flow

        def slow_discard() -> None:
            time.sleep(1.0)
            discard()

        monkeypatch.setattr(c, "_discard_saved_flow", slow_discard)
        assert not c.paste(redirect)
        assert c.wait(10) is False
        time.sleep(0.5)
        assert c.status == "failed" and "cancelled" not in seen, seen
    finally:
        c.cancel()


def test_paste_finishes_the_sign_in(sandbox: Any) -> None:
    s = make_session("google", sandbox)
    ClientController(s).use_sandbox("web")
    c = ConsentController(s, timeout=30)
    c.start()
    redirect = sandbox.approve(c.auth_uri, follow=False)  # the browser "could not reach" the address
    assert c.paste(f"  '{redirect}'  "), c.message
    assert c.status == "done" and s.ini().exists()
    c.wait(5)
    assert c.status == "done"


def test_device_code_needs_a_public_client(sandbox: Any) -> None:
    s = make_session("microsoft", sandbox)
    ClientController(s).use_sandbox("web")
    c = ConsentController(s)
    c.start_device_code()
    failed_with(c, "device_needs_public_client")


def test_device_code_sign_in(sandbox: Any) -> None:
    s = make_session("microsoft", sandbox)
    ClientController(s).use_sandbox("public")
    c = ConsentController(s, timeout=60)
    c.start_device_code()
    assert c.status == "waiting", c.message
    assert c.device["code"] and c.device["code"] in c.message
    threading.Thread(target=sandbox.approve_device_code, args=(c.device["code"],), daemon=True).start()
    assert c.wait(30), c.message
    assert s.ini().exists()


# --- sending, export, existing INI ---------------------------------------------------------------


@pytest.mark.parametrize(("to", "code"), [("", "no_recipient"), ("   ", "no_recipient"), ("bob", "bad_recipient"),
                                          ("bob @example.com", "bad_recipient")])
def test_send_bad_recipient(to: str, code: str) -> None:
    c = SendController(make_session())
    assert c.send(to) is None
    failed_with(c, code)


def test_send_before_sign_in() -> None:
    c = SendController(make_session())
    assert c.send("bob@example.com") is None
    failed_with(c, "no_token")


def test_send_and_export_end_to_end(sandbox: Any) -> None:
    s, _ = signed_in(sandbox)
    ChecklistController(s, step("google.project")).tick_all()
    sender = SendController(s)
    assert sender.default_recipient() == s.account
    assert sender.default_subject() == "oauthmail test message"
    result = sender.send(s.account)
    assert result is not None and sender.status == "done", sender.message
    assert "AUTH XOAUTH2" in sender.transcript
    assert any(s.account in m.get("To", "") or s.account in str(m) for m in sandbox.mailbox.messages())
    from oauthmail.tokenfile import read

    secrets = read(s.ini()).account(s.account).secrets()
    for secret in secrets:
        assert secret not in sender.transcript and secret not in sender.message
    # export: INI made private again if someone loosened it; record written without secrets
    os.chmod(s.ini(), 0o644)
    exp = ExportController(s)
    res = exp.export()
    assert res is not None, exp.message
    assert res.ini_private and stat.S_IMODE(s.ini().stat().st_mode) == 0o600
    assert {p.suffix for p in res.record_formats} == {".md", ".json", ".html"}
    assert res.record_data_uri.startswith("data:text/markdown;base64,")
    for p in res.record_formats:
        text = p.read_text()
        for secret in secrets:
            assert secret not in text
    rec = json.loads(next(p for p in res.record_formats if p.suffix == ".json").read_text())
    assert rec["account"] == s.account
    assert rec["send"]["ok"] is True
    assert any(st["id"] == "google.project.created" for st in rec["steps"])
    assert rec["extra"]["notebook_mode"] == "sandbox"
    assert any("7 days" in w for w in rec["extra"]["consent_warnings"])  # P5 stays on the record
    assert str(s.ini()) not in res.record_data_uri  # the INI is never offered as a download


def test_export_before_sign_in() -> None:
    c = ExportController(make_session())
    assert c.export() is None
    failed_with(c, "no_token")


def test_secret_expiry_goes_into_the_ini_and_the_record(sandbox: Any) -> None:
    s = make_session("microsoft", sandbox)
    ClientController(s).use_sandbox("web")
    s.secret_expires = __import__("datetime").date(2027, 5, 31)
    c = ConsentController(s, timeout=30)
    c.start()
    c.approve_in_sandbox()
    assert c.wait(30), c.message
    assert "client_secret_expires_at = 2027-05-31T00:00:00Z" in s.ini().read_text()
    res = ExportController(s).export()
    assert res is not None
    rec = json.loads(next(p for p in res.record_formats if p.suffix == ".json").read_text())
    assert rec["client_secret_expires_at"].startswith("2027-05-31")


def test_load_existing_ini(sandbox: Any, tmp_path: Path) -> None:
    c = IniController(make_session())
    assert not c.load("  ")
    failed_with(c, "empty_path")
    assert not c.load(str(tmp_path / "nope.ini"))
    failed_with(c, "ini_not_found")
    bad = tmp_path / "bad.ini"
    bad.write_text("[oauthmail]\nversion = 1\nthis is not a key\n")
    assert not c.load(str(bad))
    failed_with(c, "ini_syntax")
    s, _ = signed_in(sandbox, "microsoft")
    other = IniController(make_session())
    assert other.load(str(s.ini()))
    assert other.session.account == s.account and other.session.provider == "microsoft"
    assert not other.load(str(s.ini()), "nobody@example.com")
    failed_with(other, "no_such_account")


# --- environment, doctor, explain --------------------------------------------------------------


def test_environment_check_in_the_sandbox(sandbox: Any) -> None:
    c = EnvironmentController(make_session("google", sandbox))
    reach = c.check(timeout=2)
    local = [r for r in reach if r.host == "127.0.0.1"]
    assert len(local) == 3 and all(r.ok for r in local), [(r.host, r.port, r.text) for r in reach]
    assert {"smtp.gmail.com", "smtp.office365.com", "oauth2.googleapis.com"} <= {r.host for r in reach}
    names = [k for k, _ in c.rows]
    assert "kernel" in names and "python" in names and "msal" in names


def test_environment_on_binder_says_smtp_is_blocked(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BINDER_LAUNCH_HOST", "https://mybinder.org/")
    c = EnvironmentController(make_session("google", sandbox, lang="ja"))
    c.check(timeout=1)
    rows = dict(c.rows)
    assert "リモート" in rows["カーネル"] and "SMTP" in rows["Binder"]


def test_environment_reports_unreachable_host(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from oauthmail.ui import controllers

    c = EnvironmentController(make_session("google", sandbox))
    monkeypatch.setattr(c, "targets", lambda: [("127.0.0.1", 1)])
    reach = c.check(timeout=1)
    assert not reach[0].ok and "not reachable" in reach[0].text
    assert controllers.probe("127.0.0.1", 1, 1)[0] is False


def test_doctor_on_a_sandbox_ini(sandbox: Any) -> None:
    s, _ = signed_in(sandbox)
    d = DoctorController(s)
    report = d.run()
    assert report is not None and d.status == "done", d.message
    assert report.checks
    missing = DoctorController(make_session())
    out = missing.run("/nonexistent/x.ini")
    assert (out is None and missing.status == "failed") or not out.ok


def test_explain() -> None:
    c = ExplainController(make_session(lang="ja"))
    assert c.explain("  ") is None and c.status == "failed"
    entry = c.explain("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.")
    assert entry is not None and c.status == "done"
    assert c.message == entry.title.format("ja")
    assert c.explain("completely unknown gibberish 12345") is None
    assert c.status == "done" and "一覧" in c.message


def test_step_texts_exist_in_both_languages() -> None:
    for s in STEPS.values():
        for msg in (s.title, *(m for _, m in s.ticks)):
            assert msg.en.strip() and msg.ja.strip()
            assert msg.placeholders("en") == msg.placeholders("ja")
            assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in msg.ja), msg.ja


def test_signing_in_as_another_account_is_refused(sandbox: Any) -> None:
    users = sandbox.users_of("google")
    s = make_session("google", sandbox)
    ClientController(s).use_sandbox("web")
    c = ConsentController(s, timeout=30)
    c.start(email=users[0])
    assert "login_hint=" in c.auth_uri
    c.approve_in_sandbox(user=users[1])
    assert not c.wait(30)
    failed_with(c, "email_mismatch")
    assert not s.ini().exists()  # nothing saved for the wrong account
    c.start(email=users[1])
    c.approve_in_sandbox(user=users[1])
    assert c.wait(30), c.message
    assert s.account == users[1]


def test_sandbox_json_uploaded_by_hand_sends_to_the_sandbox(sandbox: Any) -> None:
    """A person in sandbox mode uploads the sandbox's client JSON instead of pressing the button."""
    s = make_session("google", sandbox)
    cc = ClientController(s)
    assert cc.load_json(Path(sandbox.client_secrets_web).read_bytes(), "client_secret_web.json") is not None
    c = ConsentController(s, timeout=30)
    c.start()
    c.approve_in_sandbox()
    assert c.wait(30), c.message
    assert f"smtp_port = {sandbox.smtp_starttls_port}" in s.ini().read_text()
    sender = SendController(s)
    assert sender.send(s.account) is not None, sender.message


def test_paste_after_a_kernel_restart(sandbox: Any) -> None:
    """The sign-in was started, the kernel restarted (new controller), the person pastes the address."""
    s = make_session("google", sandbox)
    ClientController(s).use_sandbox("web")
    first = ConsentController(s, timeout=30)
    first.start()
    redirect = sandbox.approve(first.auth_uri, follow=False)
    # A kernel restart ends the wait without any clean-up (a cancel would remove the saved flow: see
    # test_saved_flow_removed_on_every_ending).
    first._discard_saved_flow = lambda: None  # type: ignore[method-assign]
    first.cancel()
    fresh = ConsentController(s, timeout=30)  # nothing in memory
    assert fresh.paste(redirect), fresh.message
    assert s.ini().exists()
    again = ConsentController(s)
    assert not again.paste(redirect)  # the saved flow was discarded once used
    failed_with(again, "flow_missing")


def test_reexport_writes_the_account_alone_to_the_kits_folder(sandbox: Any, oauthmail_home: Path,
                                                               tmp_path: Path) -> None:
    s, _ = signed_in(sandbox, "microsoft")
    other, _ = signed_in(sandbox, "google")  # the same sandbox.ini now holds two accounts
    mine = tmp_path / "handed-over.ini"
    mine.write_bytes(s.ini().read_bytes())
    os.chmod(mine, 0o644)
    loaded = make_session("google", sandbox)
    assert IniController(loaded).load(str(mine), s.account)
    exp = ExportController(loaded)
    res = exp.export(reexport=True)
    assert res is not None, exp.message
    target = oauthmail_home / "exports" / f"{s.account}.ini"
    assert res.ini == target and stat.S_IMODE(target.stat().st_mode) == 0o600
    from oauthmail.tokenfile import read

    assert list(read(target).accounts) == [s.account]
    assert stat.S_IMODE(mine.stat().st_mode) == 0o644  # the loaded file is left as it was
    rec = json.loads(next(p for p in res.record_formats if p.suffix == ".json").read_text())
    assert rec["ini_path"] == str(target) and rec["account"] == s.account
    again = ExportController(loaded).export(reexport=True)  # exporting the export again is harmless
    assert again is not None and list(read(target).accounts) == [s.account]
    assert other.account != s.account


# --- values typed by hand: the sandbox's endpoints in the sandbox, the provider's in real mode -----


def test_typed_microsoft_values_in_the_sandbox_use_its_authority(sandbox: Any) -> None:
    s = make_session("microsoft", sandbox)
    c = ClientController(s)
    cfg = c.use_microsoft(sandbox.microsoft_web_client_id, sandbox.microsoft_web_client_secret,
                          tenant="organizations", secret_expires="2027-05-31")
    assert cfg is not None, c.message
    assert cfg.authority == sandbox.microsoft_authority.rstrip("/")
    assert s.redirect_uri == sandbox.microsoft_web_redirect_uri
    assert not s.client_from_sandbox and "practice server" in c.message
    assert sandbox.microsoft_web_client_secret not in c.message
    consent = ConsentController(s, timeout=30)
    flow = consent._new_flow()
    assert urlsplit(flow["auth_uri"]).netloc == urlsplit(sandbox.base_url).netloc


def test_typed_google_values_in_the_sandbox_use_its_endpoints(sandbox: Any) -> None:
    web = json.loads(Path(sandbox.client_secrets_web).read_text())["web"]
    s = make_session("google", sandbox)
    c = ClientController(s)
    cfg = c.use_google(web["client_id"], web["client_secret"], kind="web")
    assert cfg is not None, c.message
    assert (cfg.auth_uri, cfg.token_uri) == (sandbox.google_auth_uri, sandbox.google_token_uri)
    assert cfg.redirect_uris == [sandbox.google_web_redirect_uri]
    assert "practice server" in c.message and web["client_secret"] not in c.message
    flow = ConsentController(s)._new_flow()
    assert urlsplit(flow["auth_uri"]).netloc == urlsplit(sandbox.base_url).netloc


def test_typed_values_in_real_mode_keep_the_real_endpoints(sandbox: Any) -> None:
    """No network: the flow is only built (Google) or the authority read (MSAL would ask Microsoft)."""
    g = real_session("google")
    g.attach_sandbox(sandbox)  # even with a sandbox running, real mode never points at it
    c = ClientController(g)
    cfg = c.use_google("123-abc.apps.googleusercontent.com", "GOCSPX-abcdefghijkl", kind="installed")
    assert cfg is not None, c.message
    assert "practice server" not in c.message
    flow = ConsentController(g)._new_flow()
    assert urlsplit(flow["auth_uri"]).hostname == "accounts.google.com"
    assert urlsplit(cfg.token_uri).hostname == "oauth2.googleapis.com"
    m = real_session("microsoft")
    m.attach_sandbox(sandbox)
    m.redirect_uri = sandbox.microsoft_web_redirect_uri  # left over from the sandbox button before the switch
    c = ClientController(m)
    cfg = c.use_microsoft("11111111-2222-3333-4444-555555555555", "Abc8Q~longsecretvalue", tenant="organizations")
    assert cfg is not None, c.message
    assert urlsplit(cfg.authority).hostname == "login.microsoftonline.com" and cfg.tenant == "organizations"
    assert m.redirect_uri == ""  # the seed's http://localhost:48888/callback again
    assert ConsentController(m).redirect_prefix() == "http://localhost:48888/callback"


def test_sandbox_json_uploaded_in_real_mode_is_refused(sandbox: Any) -> None:
    s = real_session("google")
    c = ClientController(s)
    assert c.load_json(Path(sandbox.client_secrets_web).read_bytes(), "client_secret_web.json") is None
    failed_with(c, "sandbox_client_in_real_mode")
    assert "client_secret_web.json" in c.message and s.client is None


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_typed_unknown_client_in_the_sandbox_says_what_to_do(sandbox: Any, provider: str) -> None:
    """The sandbox's own refusal (invalid_client / AADSTS700016) reaches the notebook as what + hint."""
    s = make_session(provider, sandbox)
    cc = ClientController(s)
    if provider == "google":
        web = json.loads(Path(sandbox.client_secrets_web).read_text())["web"]
        assert cc.use_google("999-unknown.apps.googleusercontent.com", web["client_secret"]) is not None
    else:
        assert cc.use_microsoft("99999999-9999-4999-8999-999999999999", sandbox.microsoft_web_client_secret) is not None
    c = ConsentController(s, timeout=30)
    assert c.start() == ""  # refused before anything waits for a browser
    code = "sandbox_invalid_client" if provider == "google" else "sandbox_AADSTS700016"
    failed_with(c, code)
    assert c.error is not None
    what = c.error.what("en")
    assert ("invalid_client" if provider == "google" else "AADSTS700016") in what
    assert "does not know the client ID" in c.error.hint("en") and "サンドボックス" in c.error.hint("ja")
    assert not c.listening.is_set() and c._thread is None  # nothing left waiting for a browser
    for secret in (sandbox.microsoft_web_client_secret, web["client_secret"] if provider == "google" else "x" * 40):
        assert secret not in what and secret not in c.error.hint("en")
