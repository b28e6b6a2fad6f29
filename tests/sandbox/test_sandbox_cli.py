"""``oauthmail sandbox`` / ``python -m oauthmail.sandbox`` / ``oauthmail mailbox`` as a person runs them."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from oauthmail.cli import main
from oauthmail.i18n import set_language


def _start(args: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    lines: list[str] = []
    assert proc.stdout is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if "Ctrl-C" in line:
            return proc, lines
    proc.kill()
    raise AssertionError("no summary:\n" + "\n".join(lines) + (proc.stderr.read() if proc.stderr else ""))


@pytest.mark.parametrize("how", [["-m", "oauthmail", "sandbox"], ["-m", "oauthmail.sandbox"]])
def test_cli_starts_prints_summary_writes_info_and_stops_on_sigint(tmp_path: Path, how: list[str]) -> None:
    state = tmp_path / "state"
    proc, lines = _start([*how, "--state-dir", str(state)])
    try:
        text = "\n".join(lines)
        info = json.loads((state / "sandbox.json").read_text())
        assert info["status"] == "running" and info["pid"] == proc.pid
        for needle in (info["ca_file"], info["google"]["auth_uri"], info["microsoft"]["authority"],
                       info["mailbox_url"], "alice@example.com", "NOT a test user", str(info["smtp"]["ssl_port"])):
            assert needle in text
        assert info["microsoft"]["web_client_secret"] not in text  # the secret stays in the 0600 file
        assert json.loads(Path(info["google"]["client_secrets_web"]).read_text())["web"]["client_secret"] not in text
        assert oct((state / "sandbox.json").stat().st_mode & 0o777) == "0o600"
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0 and "Sandbox stopped" in err and "Traceback" not in err
    assert json.loads((state / "sandbox.json").read_text())["status"] == "stopped"
    assert (state / "ca.pem").exists() and (state / "mailbox").is_dir()


def test_cli_stops_on_sigterm_and_restart_reuses_ca_and_tokens(tmp_path: Path) -> None:
    from oauthmail.sandbox import load_info

    state = tmp_path / "s"
    proc, _ = _start(["-m", "oauthmail", "--lang", "ja", "sandbox", "--state-dir", str(state)])
    try:
        assert load_info(state) is not None
        ca = (state / "ca.pem").read_bytes()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert load_info(state) is None
    proc, lines = _start(["-m", "oauthmail", "--lang", "ja", "sandbox", "--state-dir", str(state)])
    try:
        assert "サンドボックスを起動しました" in lines[0]
        assert (state / "ca.pem").read_bytes() == ca
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)


def test_cli_bad_config_and_port_base(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"users": [}')
    assert main(["sandbox", "--state-dir", str(tmp_path), "--config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "error: The sandbox configuration" in err and "line 1" in err and "hint:" in err
    bad.write_text('{"faults": {"token_stauts": 500}}')
    assert main(["sandbox", "--state-dir", str(tmp_path), "--config", str(bad)]) == 1
    assert "unknown fault 'token_stauts'" in capsys.readouterr().err
    assert main(["sandbox", "--state-dir", str(tmp_path), "--port-base", "80"]) == 1
    assert "four free ports" in capsys.readouterr().err


def _send(sb: Any, subject: str, body: str = "hello") -> None:
    import smtplib

    client_id = json.loads(sb.client_secrets_web.read_text())["web"]["client_id"]
    token = sb.mint_tokens("google", client_id, "alice@example.com", ["https://mail.google.com/"])["access_token"]
    with smtplib.SMTP_SSL(sb.smtp_host, sb.smtp_ssl_port, timeout=10) as smtp:
        smtp.ehlo()
        smtp.auth("XOAUTH2", lambda c=None: f"user=alice@example.com\x01auth=Bearer {token}\x01\x01")
        smtp.sendmail("alice@example.com", ["bob@example.com"],
                      f"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: {subject}\r\n"
                      f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n".encode())


def test_mailbox_command(sandbox: Any, capsys: pytest.CaptureFixture[str]) -> None:
    state = str(sandbox.state_dir)
    assert main(["mailbox", "--state-dir", state]) == 0
    assert "No message" in capsys.readouterr().out
    _send(sandbox, "first")
    _send(sandbox, "second", "本文です")
    sandbox.mailbox.wait_for(2)
    assert main(["mailbox", "--state-dir", state]) == 0
    out = capsys.readouterr().out
    assert "first" in out and "second" in out and "2 message(s)" in out
    assert main(["mailbox", "--state-dir", state, "--show", "2"]) == 0
    out = capsys.readouterr().out
    assert "Subject: second" in out and "本文です" in out and "X-Sandbox-Authenticated-User: alice@example.com" in out
    try:
        assert main(["--lang", "ja", "mailbox", "--state-dir", state, "--show", "2"]) == 0
        out = capsys.readouterr().out
        assert "件名: second" in out and "認証ユーザー: alice@example.com" in out
        assert re.search(r"^日時: \d{4} 年 \d{1,2} 月 \d{1,2} 日（.）\d\d:\d\d:\d\d（", out, re.M), out
        assert main(["--lang", "ja", "mailbox", "--state-dir", state]) == 0
        assert re.search(r"^1  \d{4} 年 .* \| alice@example.com", capsys.readouterr().out, re.M)
    finally:
        set_language(None)
    assert main(["mailbox", "--state-dir", state, "--json"]) == 0
    assert [m["subject"] for m in json.loads(capsys.readouterr().out)] == ["first", "second"]
    assert main(["mailbox", "--state-dir", state, "--show", "9"]) == 1
    err = capsys.readouterr().err
    assert "no message number 9" in err and "hint:" in err
    assert main(["mailbox", "--state-dir", state, "--clear"]) == 0
    assert len(sandbox.mailbox) == 0


def test_mailbox_command_without_a_sandbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mailbox", "--state-dir", str(tmp_path / "none")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: No sandbox mailbox") and "oauthmail sandbox" in err


def test_port_in_use_says_so_and_leaves_nothing_bound(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from tests.sandbox_fixtures import free_port

    base = free_port()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", base + 2))  # the SMTP STARTTLS port: fails after HTTPS is bound
        busy.listen()
        assert main(["sandbox", "--state-dir", str(tmp_path), "--port-base", str(base)]) == 1
    err = capsys.readouterr().err
    assert "error: The sandbox could not listen" in err and "--port-base" in err
    with socket.socket() as again:  # the HTTPS port was released
        again.bind(("127.0.0.1", base))


def test_cli_output_never_holds_a_secret(tmp_path: Path) -> None:
    """Drive sign-in, refresh and SMTP against a CLI-run sandbox; its output names no secret."""
    import smtplib

    from oauthmail.sandbox import SandboxHandle, load_info

    state = tmp_path / "state"
    proc, lines = _start(["-m", "oauthmail", "sandbox", "--state-dir", str(state)],
                         env={"OAUTHMAIL_SANDBOX_LOG": "1"})
    try:
        info = load_info(state)
        assert info is not None
        sb = SandboxHandle(info)
        client = json.loads(sb.client_secrets_web.read_text())["web"]
        toks = sb.mint_tokens("google", client["client_id"], "alice@example.com", ["https://mail.google.com/"])
        import requests

        r = requests.post(sb.google_token_uri, verify=str(sb.ca_file), timeout=5, data={
            "grant_type": "refresh_token", "refresh_token": toks["refresh_token"],
            "client_id": client["client_id"], "client_secret": client["client_secret"]})
        fresh = r.json()["access_token"]
        with smtplib.SMTP(sb.smtp_host, sb.smtp_starttls_port, timeout=10) as smtp:
            smtp.starttls(context=__import__("ssl").create_default_context(cafile=str(sb.ca_file)))
            smtp.ehlo()
            smtp.auth("XOAUTH2", lambda c=None: f"user=alice@example.com\x01auth=Bearer {fresh}\x01\x01")
        secrets = [client["client_secret"], toks["refresh_token"], toks["access_token"], fresh,
                   info["microsoft"]["web_client_secret"], info["admin_token"]]
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    text = "\n".join(lines) + out + err
    assert "sandbox http: POST /token" in text  # the log is on, and shows paths only
    for value in secrets:
        assert value not in text


def test_default_state_lives_under_oauthmail_home(oauthmail_home: Path) -> None:
    proc, lines = _start(["-m", "oauthmail", "sandbox"])
    try:
        info = json.loads((oauthmail_home / "sandbox" / "sandbox.json").read_text())
        assert info["state_dir"] == str((oauthmail_home / "sandbox").resolve())
        assert any(str(oauthmail_home) in line for line in lines)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    assert proc.returncode == 0
