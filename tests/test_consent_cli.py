"""``oauthmail consent`` end to end in a subprocess, with the sandbox's simulated user as the browser."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from oauthmail import tokenfile
from tests.sandbox_fixtures import free_port as _free_port

pytest.importorskip("oauthmail.sandbox")

ALICE = "alice@example.com"
BOB = "bob@example.com"


def _env(sb: Any) -> dict[str, str]:
    env = dict(os.environ)
    env.update(sb.env())
    env["OAUTHMAIL_LANG"] = "en"
    for var in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "JUPYTERHUB_USER"):
        env.pop(var, None)
    return env


def _start(sb: Any, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "oauthmail", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(sb))


def _read_until(proc: subprocess.Popen[str], pattern: str, seen: list[str]) -> str:
    assert proc.stdout is not None
    while True:
        line = proc.stdout.readline()
        if not line:
            err = proc.stderr.read() if proc.stderr else ""
            pytest.fail(f"no line matching {pattern!r}; stdout={seen!r} stderr={err!r}")
        seen.append(line)
        if re.search(pattern, line):
            return line.strip()


def _finish(proc: subprocess.Popen[str], seen: list[str]) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=60)
    return proc.returncode, "".join(seen) + out, err


def _assert_no_secrets(text: str, ini: Path, extra: list[str]) -> None:
    tf = tokenfile.read(ini)
    for acc in tf.accounts.values():
        for secret in acc.secrets():
            assert secret not in text
    for secret in extra:
        assert secret not in text


def _smtp_flags(sb: Any) -> list[str]:
    return ["--smtp-host", sb.smtp_host, "--smtp-port", str(sb.smtp_starttls_port), "--smtp-security", "starttls"]


def _send(sb: Any, ini: Path, to: str, account: str | None = None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "oauthmail", "send", "--ini", str(ini), "--to", to, "--subject", "from the CLI",
            "--body", "こんにちは"]
    if account:
        args += ["--account", account]
    return subprocess.run(args, capture_output=True, text=True, env=_env(sb), timeout=60)


def test_google_no_browser_then_send(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    ini = tmp_path / "out.ini"
    proc = _start(sb, "consent", "google", "--client-secrets", str(sb.client_secrets_web), "--ini", str(ini),
                  "--no-browser", "--email", ALICE, "--timeout", "60")  # no SMTP flags: the sandbox's mail server is found
    seen: list[str] = []
    url = _read_until(proc, r"^https://", seen)
    redirect = sb.approve(url, user=ALICE)  # follows the redirect to the listener in the subprocess
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    rc, out, err = _finish(proc, seen)
    assert rc == 0, err
    assert f"Saved {ALICE} (google) to {ini}" in out.splitlines()[-1]
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600
    _assert_no_secrets(out + err, ini, [code])
    sb.mailbox.clear()
    sent = _send(sb, ini, BOB)
    assert sent.returncode == 0, sent.stderr
    _assert_no_secrets(sent.stdout + sent.stderr, ini, [])
    assert [m["Subject"] for m in sb.mailbox.messages()] == ["from the CLI"]


def test_google_paste_mode_default_ini(sandbox: Any, oauthmail_home: Path) -> None:
    sb = sandbox
    ini = oauthmail_home / "oauthmail.ini"  # no --ini: OAUTHMAIL_HOME/oauthmail.ini (contract)
    proc = _start(sb, "consent", "google", "--client-secrets", str(sb.client_secrets_installed), "--paste")
    seen: list[str] = []
    url = _read_until(proc, r"^https://", seen)
    pasted = sb.approve(url, user=BOB, follow=False)
    assert proc.stdin is not None
    proc.stdin.write(pasted + "\n")
    proc.stdin.flush()
    rc, _out, err = _finish(proc, seen)
    assert rc == 0, err
    assert "Paste" in err or "paste" in err
    assert BOB in tokenfile.read(ini).accounts


def test_microsoft_web_app_no_browser_secret_from_env(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    dave = next(u for u in sb.users if not u.endswith("@example.com"))
    ini = tmp_path / "ms.ini"
    port = _free_port()
    env_secret = sb.microsoft_web_client_secret
    os.environ["OAUTHMAIL_CLIENT_SECRET"] = env_secret
    try:
        proc = _start(sb, "consent", "microsoft", "--client-id", sb.microsoft_web_client_id, "--authority",
                      sb.microsoft_authority, "--redirect-uri", f"http://localhost:{port}/callback", "--ini",
                      str(ini), "--no-browser")
    finally:
        del os.environ["OAUTHMAIL_CLIENT_SECRET"]
    seen: list[str] = []
    url = _read_until(proc, r"^https://", seen)
    sb.approve(url, user=dave)
    rc, out, err = _finish(proc, seen)
    assert rc == 0, err
    assert f"Saved {dave} (microsoft)" in out
    _assert_no_secrets(out + err, ini, [env_secret])
    sb.mailbox.clear()
    sent = _send(sb, ini, dave)
    assert sent.returncode == 0, sent.stderr
    assert len(sb.mailbox.messages()) == 1


def test_microsoft_device_code_then_send(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    erin = [u for u in sb.users if not u.endswith("@example.com")][1]
    ini = tmp_path / "dev.ini"
    proc = _start(sb, "consent", "microsoft", "--client-id", sb.microsoft_public_client_id, "--authority",
                  sb.microsoft_authority, "--device-code", "--ini", str(ini), "--timeout", "60", *_smtp_flags(sb))
    seen: list[str] = []
    message = _read_until(proc, r"code", seen)
    uri = re.search(r"https://\S+", message)
    match = re.search(r"code\s+([A-Z0-9-]{6,})", message)
    assert uri and match, message
    threading.Thread(target=sb.approve_device_code, args=(match.group(1), erin), daemon=True).start()
    rc, out, err = _finish(proc, seen)
    assert rc == 0, err
    account = tokenfile.read(ini).account(erin)
    assert account.client_secret == "" and account.refresh_token
    _assert_no_secrets(out + err, ini, [])
    sb.mailbox.clear()
    sent = _send(sb, ini, erin)
    assert sent.returncode == 0, sent.stderr


def test_microsoft_device_code_in_japanese(sandbox: Any, tmp_path: Path) -> None:
    """Microsoft's device-code message is English; under --lang ja the kit says it in Japanese itself."""
    sb = sandbox
    erin = [u for u in sb.users if not u.endswith("@example.com")][1]
    ini = tmp_path / "dev.ini"
    proc = _start(sb, "--lang", "ja", "consent", "microsoft", "--client-id", sb.microsoft_public_client_id,
                  "--authority", sb.microsoft_authority, "--device-code", "--ini", str(ini), "--timeout", "60")
    seen: list[str] = []
    message = _read_until(proc, r"コード", seen)
    match = re.fullmatch(r"サインインするには、Web ブラウザーで (https://\S+) を開き、コード ([A-Z0-9-]{6,}) を入力してください。",
                         message)
    assert match, message
    threading.Thread(target=sb.approve_device_code, args=(match.group(2), erin), daemon=True).start()
    rc, out, err = _finish(proc, seen)
    assert rc == 0, err
    assert "To sign in" not in out + err and "のトークンを" in out


def test_deny_gives_error_and_hint_lines(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    ini = tmp_path / "no.ini"
    proc = _start(sb, "consent", "google", "--client-secrets", str(sb.client_secrets_web), "--ini", str(ini),
                  "--paste")
    seen: list[str] = []
    url = _read_until(proc, r"^https://", seen)
    assert proc.stdin is not None
    proc.stdin.write(sb.deny(url, user=ALICE, follow=False) + "\n")
    proc.stdin.flush()
    rc, _out, err = _finish(proc, seen)
    assert rc == 1
    lines = err.strip().splitlines()
    assert lines[-2].startswith("error: ") and "access_denied" in lines[-2]
    assert lines[-1].startswith("hint: ") and "Traceback" not in err
    assert not ini.exists()


def test_wrong_client_file_and_japanese(sandbox: Any, tmp_path: Path) -> None:
    bad = tmp_path / "sa.json"
    bad.write_text('{"type": "service_account", "private_key": "x"}')
    env = _env(sandbox)
    env["OAUTHMAIL_LANG"] = "ja"
    done = subprocess.run([sys.executable, "-m", "oauthmail", "consent", "google", "--client-secrets", str(bad),
                           "--ini", str(tmp_path / "x.ini")], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert "サービス アカウント" in done.stderr and "hint: " in done.stderr and "Traceback" not in done.stderr


def test_google_device_code_is_refused_with_p13(sandbox: Any, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "oauthmail", "consent", "google", "--client-secrets",
                           str(sandbox.client_secrets_web), "--device-code", "--ini", str(tmp_path / "x.ini")],
                          capture_output=True, text=True, env=_env(sandbox), timeout=60)
    assert done.returncode == 1 and "device sign-in" in done.stderr and "--paste" in done.stderr


def test_microsoft_bad_client_id(sandbox: Any, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "oauthmail", "consent", "microsoft", "--client-id", "my-app",
                           "--ini", str(tmp_path / "x.ini"), "--device-code"],
                          capture_output=True, text=True, env=_env(sandbox), timeout=60)
    assert done.returncode == 1 and "GUID" in done.stderr


def test_secret_id_warning_and_empty_paste(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    secret_id = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
    done = subprocess.run([sys.executable, "-m", "oauthmail", "consent", "microsoft", "--client-id",
                           sb.microsoft_web_client_id, "--client-secret", secret_id, "--authority",
                           sb.microsoft_authority, "--paste", "--ini", str(tmp_path / "x.ini")],
                          input="", capture_output=True, text=True, env=_env(sb), timeout=60)
    assert done.returncode == 1
    assert "Secret ID" in done.stderr and "Nothing was pasted" in done.stderr
    assert done.stdout.startswith("https://") and secret_id not in done.stdout


def test_sandbox_mail_server_is_found_only_on_loopback(sandbox: Any) -> None:
    """An identity provider on loopback is the sandbox: its mail server becomes the account's default."""
    from oauthmail.sandbox.discover import local_mail_server

    found = local_mail_server(sandbox.google_token_uri)
    assert found is not None
    assert (found.host, found.port, found.security) == (sandbox.smtp_host, sandbox.smtp_starttls_port, "starttls")
    assert local_mail_server(sandbox.microsoft_authority) == found
    assert local_mail_server("https://oauth2.googleapis.com/token") is None  # never asks a real provider
    assert local_mail_server("https://127.0.0.1:1/token") is None  # nothing there: provider defaults stay
