"""The calls the public API added on top of the library: consent modes, the sandbox session, Mailer's fields form."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

import oauthmail
from oauthmail.i18n import set_language

ALICE, DAVE = "alice@example.com", "dave@contoso.example"


def test_paste_mode_reads_the_address_the_browser_ended_on(oauthmail_sandbox: Any, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    sb = oauthmail_sandbox
    asked: list[str] = []

    def person(flow: dict[str, Any]) -> str:  # opens the printed address, approves, copies the address bar
        printed = capsys.readouterr().out.strip()
        asked.append(printed)
        return "  " + sb.approve(printed, user=ALICE, follow=False) + "\n"

    ini = tmp_path / "t.ini"
    result = oauthmail.consent.google(sb.client_secrets_web, ini, mode="paste", email=ALICE, read_answer=person)
    assert result.email == ALICE and asked[0].startswith(sb.google_auth_uri)
    assert oauthmail.TokenFile.read(ini).account().email == ALICE and (ini.stat().st_mode & 0o777) == 0o600


def test_device_code_mode_shows_the_message_and_waits(oauthmail_sandbox: Any, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    sb = oauthmail_sandbox
    seen: list[str] = []

    def shown(flow: dict[str, Any]) -> None:
        seen.append(flow["message"])
        sb.approve_device_code(flow["user_code"], user=DAVE)

    result = oauthmail.consent.microsoft(sb.microsoft_public_client_id, tmp_path / "t.ini", mode="device_code",
                                         authority=sb.microsoft_authority, email=DAVE, on_flow=shown, timeout=60)
    assert result.email == DAVE and result.provider == "microsoft" and "code" in seen[0].lower()
    assert capsys.readouterr().out == ""  # on_flow given: nothing printed by the kit


def test_no_browser_prints_the_address(oauthmail_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    sb = oauthmail_sandbox
    from oauthmail.consent import loopback

    started = loopback.LoopbackListener.start

    def start_then_person(self: Any) -> Any:  # the person reads the printed address once the kit listens
        out = started(self)
        import threading

        def later() -> None:
            for _ in range(200):
                printed = capsys.readouterr().out.strip()
                if printed:
                    sb.approve(printed, user=ALICE)
                    return
                threading.Event().wait(0.05)

        threading.Thread(target=later, daemon=True).start()
        return out

    monkeypatch.setattr(loopback.LoopbackListener, "start", start_then_person)
    result = oauthmail.consent.google(sb.client_secrets_web, tmp_path / "t.ini", open_browser=False, timeout=30)
    assert result.email == ALICE


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_wrong_mode_says_which_exist(tmp_path: Path, lang: str) -> None:
    set_language(lang)
    with pytest.raises(oauthmail.ConfigError) as exc:
        oauthmail.consent.microsoft("11111111-2222-3333-4444-555555555555", tmp_path / "t.ini", mode="browser")
    assert exc.value.code == "consent_mode" and "'browser'" in exc.value.what()
    assert "device_code" in exc.value.hint() and ("mode=" in exc.value.hint())
    with pytest.raises(oauthmail.ConsentError) as google_device:
        oauthmail.consent.google("nonexistent.json", mode="device_code")
    assert google_device.value.code == "google_device_flow"  # said before the file is even read


def test_sandbox_start_owns_its_folder_and_puts_the_environment_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/somewhere/ca.pem")
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    with oauthmail.sandbox.start() as sb:
        folder = sb.state_dir
        assert os.environ["SSL_CERT_FILE"] == os.environ["REQUESTS_CA_BUNDLE"] == str(sb.ca_file)
        ini = sb.sign_in(DAVE)  # a Microsoft user, through the Web app on a free port
        assert not sb.microsoft_web_redirect_uri.endswith(":48888/callback")
        sb.sign_in(ALICE, ini)
        tf = oauthmail.TokenFile.read(ini)
        assert list(tf.accounts) == [DAVE, ALICE] and tf.account().email == DAVE  # the first is the default
        oauthmail.send(ini, account=ALICE, to="bob@example.com", subject="s", body="b")
        with pytest.raises(oauthmail.ConfigError) as unknown:
            sb.sign_in("mallory@example.com")
        assert unknown.value.code == "sandbox_no_user" and ALICE in unknown.value.what()
    assert not folder.exists() and not sb.running
    assert os.environ["SSL_CERT_FILE"] == "/somewhere/ca.pem" and "REQUESTS_CA_BUNDLE" not in os.environ


def test_mailer_builds_from_fields_and_refuses_none(oauthmail_ini: Path, oauthmail_sandbox: Any) -> None:
    with oauthmail.Mailer(oauthmail_ini) as mailer:
        sent = mailer.send(to="bob@example.com", subject="fields", body="b", attachments=[("a.txt", b"x", None)])
        with pytest.raises(oauthmail.ConfigError) as nobody:
            mailer.send(subject="to nobody")
    assert nobody.value.code == "no_recipient"
    (msg,) = oauthmail_sandbox.mailbox.messages()
    assert msg["Message-ID"] == sent.message_id and msg["From"] == ALICE and sent.refused == {}


def test_access_token_gives_both_xoauth2_forms(oauthmail_ini: Path) -> None:
    token = oauthmail.access_token(oauthmail_ini)
    raw = token.xoauth2(encoded=False)
    assert raw == f"user={ALICE}\x01auth=Bearer {token.token}\x01\x01"
    assert base64.b64decode(token.xoauth2()).decode() == raw
    assert token.token not in repr(token)
