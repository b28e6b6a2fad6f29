"""`oauthmail send` and `oauthmail token` as a person runs them: subprocesses, real sockets."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sandbox_fixtures import *  # noqa: F403  (the sandbox, sandbox_config fixtures)
from test_core_support import GOOGLE_USER, MS_USER, secrets_in, write_ini

from oauthmail import tokenfile


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oauthmail", *args], capture_output=True, text=True,
                          input=stdin, timeout=120, env={**os.environ, **(env or {})})


def assert_clean_failure(p: subprocess.CompletedProcess[str], secrets: list[str]) -> None:
    assert p.returncode != 0
    assert "error: " in p.stderr and "hint: " in p.stderr, p.stderr
    assert "Traceback" not in p.stderr + p.stdout
    for s in secrets:
        assert s not in p.stderr + p.stdout


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_send_japanese_subject_and_attachment(sandbox: Any, tmp_path: Path, security: str) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, security=security)
    secrets = secrets_in(ini)
    att = tmp_path / "資料.txt"
    att.write_text("添付です\n", encoding="utf-8")
    p = run("send", "--ini", str(ini), "--to", "bob@example.com", "--subject", "日本語の件名 ✓",
            "--body", "こんにちは", "--attach", str(att), "--debug")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("sent <") and "@example.com>" in p.stdout
    assert "AUTH XOAUTH2 *****" in p.stderr and "s C: " in p.stderr  # timed, masked transcript
    for s in secrets:
        assert s not in p.stdout + p.stderr
    (msg,) = sandbox.mailbox.messages()
    assert msg["Subject"] == "日本語の件名 ✓"
    (part,) = msg.iter_attachments()
    assert part.get_filename() == "資料.txt" and part.get_content_type() == "text/plain"


def test_overrides_on_the_command_line(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, security="starttls")
    p = run("send", "--ini", str(ini), "--to", "bob@example.com", "--subject", "s", "--body", "b",
            "--smtp-port", str(sandbox.smtp_ssl_port), "--smtp-security", "ssl")
    assert p.returncode == 0, p.stderr
    assert f":{sandbox.smtp_ssl_port} (ssl)" in p.stdout


def test_body_from_stdin_and_file_iso_2022_jp(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    p = run("send", "--ini", str(ini), "--to", "bob@example.com", "--subject", "お知らせ", "--charset",
            "iso-2022-jp", stdin="標準入力の本文\n")
    assert p.returncode == 0, p.stderr
    body = tmp_path / "body.txt"
    body.write_text("ファイルの本文\n", encoding="utf-8")
    p = run("send", "--ini", str(ini), "--to", "bob@example.com", "--subject", "2", "--body-file", str(body))
    assert p.returncode == 0, p.stderr
    first, second = sandbox.mailbox.messages()
    assert first.get_content_charset() == "iso-2022-jp" and first.get_content().strip() == "標準入力の本文"
    assert second.get_content().strip() == "ファイルの本文"


def test_default_ini_comes_from_oauthmail_home(sandbox: Any, oauthmail_home: Path) -> None:
    ini = oauthmail_home / "oauthmail.ini"
    write_ini(sandbox, ini)
    p = run("send", "--to", "bob@example.com", "--subject", "s", "--body", "b")
    assert p.returncode == 0, p.stderr


def test_world_readable_ini_warns(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    os.chmod(ini, 0o644)
    p = run("send", "--ini", str(ini), "--to", "bob@example.com", "--subject", "s", "--body", "b")
    assert p.returncode == 0
    assert p.stderr.startswith("warning:") and "chmod 600" in p.stderr
    p = run("token", "--ini", str(ini), env={"OAUTHMAIL_LANG": "ja"})
    assert p.returncode == 0
    assert p.stderr.startswith("warning: ") and "chmod 600" in p.stderr and "警告: " not in p.stderr


def test_failures_print_error_and_hint_only(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, "microsoft", cached=False)
    secrets = [*secrets_in(ini), toks["access_token"]]
    base = ["send", "--ini", str(ini), "--to", "erin@contoso.example", "--body", "b"]
    # header injection
    p = run(*base, "--subject", "hi\nBcc: victim@example.com")
    assert_clean_failure(p, secrets)
    assert "Subject" in p.stderr
    # missing account
    p = run(*base, "--subject", "s", "--account", "nobody@example.com")
    assert_clean_failure(p, secrets)
    assert MS_USER in p.stderr
    # bad attachment
    p = run(*base, "--subject", "s", "--attach", str(tmp_path / "missing.pdf"))
    assert_clean_failure(p, secrets)
    # 535 5.7.139
    sandbox.set_smtp_auth_disabled(MS_USER)
    p = run(*base, "--subject", "s", "--debug")
    assert_clean_failure(p, [*secrets, *secrets_in(ini)])
    # Microsoft's long token goes after the 334 prompt, masked
    assert "Authenticated SMTP" in p.stderr and "C: AUTH XOAUTH2\n" in p.stderr and "C: *****" in p.stderr
    # Japanese messages
    p = run(*base, "--subject", "s", env={"OAUTHMAIL_LANG": "ja"})
    assert_clean_failure(p, [*secrets, *secrets_in(ini)])
    assert "認証済み SMTP" in p.stderr


def test_bad_ini_and_revoked_token(sandbox: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ini"
    bad.write_text("[oauthmail]\nversion = 1\n\n[a@example.com]\nprovider = yahoo\nclient_id = c\nrefresh_token = r\n")
    p = run("send", "--ini", str(bad), "--to", "b@example.com", "--subject", "s", "--body", "b")
    assert_clean_failure(p, [])
    assert "line 5" in p.stderr
    ini = tmp_path / "t.ini"
    toks = write_ini(sandbox, ini, cached=False)
    sandbox.revoke(toks["refresh_token"])
    p = run("send", "--ini", str(ini), "--to", "b@example.com", "--subject", "s", "--body", "b")
    assert_clean_failure(p, secrets_in(ini))
    assert "consent" in p.stderr


def test_connection_refused_and_untrusted_ca(sandbox: Any, tmp_path: Path) -> None:
    from tests.sandbox_fixtures import free_port

    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    base = ["send", "--ini", str(ini), "--to", "b@example.com", "--subject", "s", "--body", "b"]
    p = run(*base, "--smtp-port", str(free_port()))
    assert_clean_failure(p, secrets_in(ini))
    assert "connection refused" in p.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")}
    p2 = subprocess.run([sys.executable, "-m", "oauthmail", *base], capture_output=True, text=True, env=env,
                        timeout=60)
    assert_clean_failure(p2, secrets_in(ini))
    assert "SSL_CERT_FILE" in p2.stderr


def test_token_command_plain_and_xoauth2(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, "microsoft", cached=False)
    p = run("token", "--ini", str(ini))
    assert p.returncode == 0, p.stderr
    token = p.stdout.strip()
    assert token == tokenfile.read(ini).account().access_token
    assert p.stderr == ""
    p = run("token", "--ini", str(ini), "--xoauth2")
    raw = base64.b64decode(p.stdout.strip()).decode()
    assert raw == f"user={MS_USER}\x01auth=Bearer {token}\x01\x01"
    p = run("token", "--ini", str(tmp_path / "none.ini"))
    assert_clean_failure(p, [])


MSMTP_LIKE = r'''
import base64, shlex, smtplib, ssl, subprocess, sys
host, port, user, passwordeval = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
# msmtp runs `passwordeval` through the shell and takes the first line of its output
token = subprocess.run(passwordeval, shell=True, capture_output=True, text=True, check=True).stdout.splitlines()[0]
ctx = ssl.create_default_context()
with smtplib.SMTP(host, port, timeout=30) as s:
    s.starttls(context=ctx)
    s.ehlo()
    s.auth("XOAUTH2", lambda challenge=None: f"user={user}\x01auth=Bearer {token}\x01\x01" if challenge is None else "")
    s.sendmail(user, [user], b"Subject: via msmtp-style passwordeval\r\n\r\nhello\r\n")
print("ok")
'''


def test_token_works_as_msmtp_passwordeval(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini, cached=False)
    script = tmp_path / "msmtp_like.py"
    script.write_text(MSMTP_LIKE)
    passwordeval = f"{sys.executable} -m oauthmail token --ini {ini}"
    p = subprocess.run([sys.executable, str(script), sandbox.smtp_host, str(sandbox.smtp_starttls_port),
                        GOOGLE_USER, passwordeval], capture_output=True, text=True, timeout=60)
    assert p.stdout.strip() == "ok", p.stderr
    (msg,) = sandbox.mailbox.messages()
    assert msg["Subject"] == "via msmtp-style passwordeval"


def test_send_with_cached_token_imports_no_heavy_library(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "oauthmail", "send", "--ini", str(ini), "--to",
                        "bob@example.com", "--subject", "s", "--body", "b"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    mods = {line.split("|")[-1].strip() for line in p.stderr.splitlines() if line.startswith("import time:")}
    for heavy in ("msal", "google_auth_oauthlib", "requests_oauthlib", "ipywidgets", "google.auth", "requests",
                  "aiosmtpd", "cryptography"):
        assert not any(m == heavy or m.startswith(heavy + ".") for m in mods), heavy
