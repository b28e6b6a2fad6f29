"""Setup records: every format written, nothing secret in any of them, re-checkable from JSON."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest

from oauthmail import tokenfile
from oauthmail.cli import main
from oauthmail.errors import ConfigError
from oauthmail.mailer import SendResult
from oauthmail.record import (
    SetupRecord,
    build_record,
    diff_records,
    read_record,
    read_steps,
    record_from_account,
    render,
    tenant_of,
    write_record,
)


def _values() -> dict[str, str]:
    """Secret values of this run, some token-shaped, some not (caught only by value)."""
    return {
        "client_secret": "GOCSPX-" + secrets.token_urlsafe(24),
        "refresh_token": "1//0g" + secrets.token_urlsafe(60),
        "access_token": "ya29." + secrets.token_urlsafe(80),
        "ms_secret": "Q8~" + secrets.token_hex(18),  # Entra secret Values look like this
        "ms_refresh": "0.AX" + secrets.token_hex(40),
    }


@pytest.fixture
def run_values() -> dict[str, str]:
    return _values()


@pytest.fixture
def ini(tmp_path: Path, run_values: dict[str, str]) -> Path:
    path = tmp_path / "oauthmail.ini"
    google = tokenfile.Account(
        email="alice@example.com", provider="google",
        client_id="123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com",
        refresh_token=run_values["refresh_token"], client_secret=run_values["client_secret"],
        token_uri="https://oauth2.googleapis.com/token", scopes=["https://mail.google.com/"],
        access_token=run_values["access_token"], smtp_host="smtp.gmail.com", smtp_port=587, smtp_security="starttls",
        extra={"redirect_uri": "http://127.0.0.1:48888/callback", "client_type": "web"},
    )
    ms = tokenfile.Account(
        email="bob@contoso.example", provider="microsoft", client_id="00000000-1111-2222-3333-444444444444",
        refresh_token=run_values["ms_refresh"], client_secret=run_values["ms_secret"],
        authority="https://login.microsoftonline.com/contoso.onmicrosoft.com",
        scopes=["https://outlook.office.com/SMTP.Send"],
        extra={"client_secret_expires_at": "2027-05-01T00:00:00Z", "redirect_uri": "http://localhost:48888/callback"},
    )
    tokenfile.save_account(path, google, make_default=True)
    tokenfile.save_account(path, ms)
    return path


STEPS = [
    {"id": "project", "label": "Create the Google Cloud project", "done": True, "at": "2026-11-21T05:00:00Z"},
    {"id": "consent", "label": "OAuth 同意画面 <b>テストユーザー</b>", "done": True, "at": "2026-11-21T05:10:00Z"},
    {"id": "publish", "label": "Publish the app", "done": False, "at": None, "junk": "dropped"},
]


def _send_result(values: dict[str, str]) -> SendResult:
    # A transcript as if an unmasked token had slipped through somewhere upstream: the record must still hide it.
    transcript = (
        "C: EHLO host\nS: 250-AUTH XOAUTH2\nC: AUTH XOAUTH2 *****\nS: 235 2.7.0 Accepted\n"
        f"C: leaked {values['access_token']} and {values['refresh_token']}\nC: QUIT\n"
    )
    return SendResult(ok=True, message_id="<abc@example.com>", recipients=["carol@example.com"], refused={},
                      transcript=transcript, account="alice@example.com", host="smtp.gmail.com", port=587,
                      security="starttls", elapsed=0.4321)


def _doctor(values: dict[str, str]) -> dict[str, object]:
    return {"ok": True, "checks": [
        {"id": "refresh", "title": "Refresh token works", "status": "pass",
         "detail": f"client_secret={values['client_secret']}", "fix": None},
        {"id": "clock", "title": "Clock skew", "status": "warn", "detail": "local clock is 90 s ahead",
         "fix": "Set the clock | automatically"},
    ]}


@pytest.mark.parametrize("suffix", ["md", "json", "html"])
def test_every_format_holds_the_setup_and_no_secret(ini: Path, tmp_path: Path, run_values: dict[str, str],
                                                    suffix: str) -> None:
    rec = build_record(ini, steps=STEPS, doctor=_doctor(run_values), send_result=_send_result(run_values),
                       extra={"note": "set up in class", "oops": run_values["ms_secret"]})
    out = write_record(rec, tmp_path / f"setup.{suffix}")
    text = out.read_text(encoding="utf-8")
    for name, value in run_values.items():
        assert value not in text, f"{name} leaked into the {suffix} record"
    assert "alice@example.com" in text
    assert "12345678….com" in text  # shortened client id
    assert "abcdefghijklmnop" not in text
    assert "http://127.0.0.1:48888/callback" in text
    assert "https://mail.google.com/" in text
    assert "smtp.gmail.com" in text and "587" in text
    assert "<abc@example.com>" in text or "&lt;abc@example.com&gt;" in text
    assert "2026-11-21T05:10:00Z" in text
    assert "235 2.7.0 Accepted" in text
    if suffix == "html":
        assert "<b>テストユーザー</b>" not in text and "&lt;b&gt;テストユーザー&lt;/b&gt;" in text
        assert "<script" not in text and "http" in text and "<link" not in text  # self-contained
    if suffix == "json":
        data = json.loads(text)
        assert data["client_secret_set"] is True
        assert data["steps"][2] == {"id": "publish", "label": "Publish the app", "done": False, "at": ""}
        assert data["send"]["ok"] is True and data["send"]["elapsed"] == 0.432
        assert data["versions"]["oauthmail"] and data["versions"]["msal"] != ""
        assert "@" in data["who"] and data["created_at"].endswith("Z")


def test_microsoft_record_has_tenant_and_secret_expiry(ini: Path, run_values: dict[str, str]) -> None:
    rec = build_record(ini, "bob@contoso.example")
    d = rec.to_dict()
    json.dumps(d)  # serialisable
    assert d["tenant"] == "contoso.onmicrosoft.com"
    assert d["client_secret_expires_at"] == "2027-05-01T00:00:00Z"
    assert d["client_type"] == "confidential (web)"
    assert d["smtp_host"] == "smtp.office365.com" and d["smtp_port"] == 587
    for fmt in ("md", "json", "html"):
        text = render(rec, fmt, "ja")
        assert run_values["ms_secret"] not in text and run_values["ms_refresh"] not in text
    assert "セットアップ記録" in render(rec, "md", "ja")


def test_default_location_is_under_oauthmail_home(ini: Path, oauthmail_home: Path) -> None:
    rec = build_record(ini)
    path = write_record(rec)
    assert path.parent == oauthmail_home / "records"
    assert path.suffix == ".md" and path.exists()


def test_bad_suffix_says_what_to_do(ini: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        write_record(build_record(ini), tmp_path / "setup.pdf")
    assert ".md" in info.value.hint("en") and ".html" in info.value.hint("ja")


def test_json_round_trip_and_diff(ini: Path, tmp_path: Path) -> None:
    rec = build_record(ini)
    path = write_record(rec, tmp_path / "r.json")
    again = read_record(path)
    assert again.account == rec.account and again.scopes == rec.scopes
    assert diff_records(again, rec) == []
    acc = tokenfile.read(ini).account()
    acc.smtp_port = 465
    acc.smtp_security = "ssl"
    acc.client_id = "999999999999-other.apps.googleusercontent.com"
    acc.scopes = ["https://www.googleapis.com/auth/gmail.send"]
    changed = {k for k, _, _ in diff_records(again, record_from_account(acc))}
    assert {"smtp_port", "smtp_security", "client_id", "scopes"} <= changed


def test_bad_record_and_steps_files(tmp_path: Path) -> None:
    bad = tmp_path / "r.md"
    bad.write_text("# not json", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_record(bad)
    assert "json" in info.value.hint("en").lower()
    (tmp_path / "s.json").write_text('{"id": 1}', encoding="utf-8")
    with pytest.raises(ConfigError):
        read_steps(tmp_path / "s.json")
    (tmp_path / "s2.json").write_text(json.dumps(STEPS), encoding="utf-8")
    assert [s["id"] for s in read_steps(tmp_path / "s2.json")] == ["project", "consent", "publish"]


def test_record_accepts_a_dict_send_result(ini: Path, run_values: dict[str, str]) -> None:
    as_dict = {"ok": False, "message_id": "", "recipients": [], "transcript": f"x {run_values['client_secret']}",
               "host": "h", "port": 1, "security": "ssl", "elapsed": 1.0, "account": "a", "transport": "smtp"}
    rec = build_record(ini, send_result=as_dict)
    assert rec.send is not None and rec.send["ok"] is False
    assert run_values["client_secret"] not in json.dumps(rec.to_dict())


def test_from_dict_tolerates_missing_and_unknown_keys() -> None:
    rec = SetupRecord.from_dict({"account": "a@example.com", "provider": "google", "future_key": 1})
    assert rec.scopes == [] and rec.smtp_port is None


def test_tenant_of() -> None:
    assert tenant_of("https://login.microsoftonline.com/organizations/") == "organizations"
    assert tenant_of("https://127.0.0.1:8443/tenant-x") == "tenant-x"
    assert tenant_of("") == ""


def test_cli_writes_all_three_formats(ini: Path, tmp_path: Path, run_values: dict[str, str],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    steps = tmp_path / "steps.json"
    steps.write_text(json.dumps(STEPS), encoding="utf-8")
    for fmt in ("md", "json", "html"):
        out = tmp_path / f"cli.{fmt}"
        assert main(["record", "--ini", str(ini), "--out", str(out), "--steps", str(steps),
                     "--note", "trainer=Sato"]) == 0
        text = out.read_text(encoding="utf-8")
        assert "Sato" in text
        for value in run_values.values():
            assert value not in text
    captured = capsys.readouterr()
    assert "cli.html" in captured.out
    for value in run_values.values():
        assert value not in captured.out + captured.err


def test_cli_bad_suffix_is_an_error_with_a_hint(ini: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["record", "--ini", str(ini), "--out", str(tmp_path / "x.txt")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "hint:" in err


def test_record_of_a_real_send_through_the_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_core_support import secrets_in, start_sandbox, write_ini

    from oauthmail.doctor import run_doctor
    from oauthmail.mailer import send

    sb = start_sandbox(tmp_path / "sb", monkeypatch)
    try:
        ini = tmp_path / "t.ini"
        toks = write_ini(sb, ini, "microsoft", cached=False)
        result = send(ini, to="alice@example.com", subject="テスト", body="こんにちは")
        report = run_doctor(ini, timeout=5)
        every = [*secrets_in(ini), toks["refresh_token"], toks["access_token"], toks["client_secret"]]
        paths = [write_record(build_record(ini, steps=STEPS, doctor=report, send_result=result, lang=lang),
                              tmp_path / f"r-{lang}.{fmt}", lang=lang)
                 for fmt in ("md", "json", "html") for lang in ("en", "ja")]
    finally:
        sb.stop()
    for p in paths:
        text = p.read_text(encoding="utf-8")
        for value in every:
            assert value not in text, p.name
        assert "AUTH XOAUTH2" in text and "235" in text  # the masked transcript is there
        assert result.message_id.strip("<>") in text
