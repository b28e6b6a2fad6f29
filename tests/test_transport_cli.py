"""``oauthmail consent … --transport`` and ``oauthmail send --transport`` in subprocesses, for all three transports."""

from __future__ import annotations

import configparser
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from oauthmail import tokenfile
from tests.sandbox_fixtures import free_port
from tests.test_core_support import write_ini

ALICE = "alice@example.com"
BOB = "bob@example.com"
DAVE = "dave@contoso.example"


def _env(sb: Any) -> dict[str, str]:
    env = {**os.environ, **sb.env(), "OAUTHMAIL_LANG": "en"}
    for var in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "JUPYTERHUB_USER", "OAUTHMAIL_CLIENT_SECRET"):
        env.pop(var, None)
    return env


def run(sb: Any, *args: str, lang: str = "en") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oauthmail", *args], capture_output=True, text=True, timeout=120,
                          env={**_env(sb), "OAUTHMAIL_LANG": lang})


def consent(sb: Any, *args: str, user: str) -> None:
    """Run ``oauthmail consent … --no-browser`` with the simulated user approving in the 'browser'."""
    proc = subprocess.Popen([sys.executable, "-m", "oauthmail", "consent", *args, "--no-browser", "--timeout", "60"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(sb))
    assert proc.stdout is not None
    seen = []
    while True:
        line = proc.stdout.readline()
        assert line, f"no URL; stdout={seen!r} stderr={proc.stderr.read() if proc.stderr else ''}"
        seen.append(line)
        if re.match(r"^https://", line):
            break
    sb.approve(line.strip(), user=user)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err


def section(ini: Path, name: str) -> dict[str, str]:
    cp = configparser.ConfigParser(interpolation=None)
    cp.read(ini, encoding="utf-8")
    return dict(cp[name])


def secrets(ini: Path) -> list[str]:
    return [s for acc in tokenfile.read(ini).accounts.values() for s in acc.secrets() if s]


def clean_failure(p: subprocess.CompletedProcess[str], ini: Path) -> None:
    assert p.returncode != 0
    assert "error: " in p.stderr and "hint: " in p.stderr, p.stderr
    assert "Traceback" not in p.stdout + p.stderr
    for s in secrets(ini):
        assert s not in p.stdout + p.stderr


def test_graph_consent_and_send_from_the_command_line(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    ini = tmp_path / "graph.ini"
    consent(sb, "microsoft", "--client-id", sb.microsoft_web_client_id, "--client-secret",
            sb.microsoft_web_client_secret, "--authority", sb.microsoft_authority, "--redirect-uri",
            f"http://localhost:{free_port()}/callback", "--ini", str(ini), "--transport", "graph", user=DAVE)
    sec = section(ini, DAVE)
    assert sec["transport"] == "graph" and "https://graph.microsoft.com/Mail.Send" in sec["scopes"]
    p = run(sb, "send", "--ini", str(ini), "--to", ALICE, "--subject", "Graph から", "--body", "本文",
            "--api-url", sb.graph_url, "--debug")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("sent <") and "(https)" in p.stdout
    assert "/v1.0/me/sendMail" in p.stderr  # the --debug transcript, masked
    for s in secrets(ini):
        assert s not in p.stdout + p.stderr
    (m,) = sb.mailbox.wait_for(1)
    assert m["Subject"] == "Graph から" and m["X-Sandbox-Transport"] == "graph"


def test_gmail_api_consent_and_send_from_the_command_line(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    ini = tmp_path / "gmail.ini"
    consent(sb, "google", "--client-secrets", str(sb.client_secrets_web), "--ini", str(ini), "--transport",
            "gmail-api", "--email", ALICE, user=ALICE)
    sec = section(ini, ALICE)
    assert sec["transport"] == "gmail-api"
    assert sec["scopes"].split()[0] == "https://www.googleapis.com/auth/gmail.send"
    assert "https://mail.google.com/" not in sec["scopes"]
    p = run(sb, "send", "--ini", str(ini), "--to", BOB, "--subject", "Gmail API から", "--body", "本文",
            "--transport", "gmail-api", "--api-url", sb.gmail_api_url)
    assert p.returncode == 0, p.stderr
    (m,) = sb.mailbox.wait_for(1)
    assert m["X-Sandbox-Transport"] == "gmail-api"
    # gmail.send alone cannot log in to SMTP: a clean error, in Japanese too
    p = run(sb, "send", "--ini", str(ini), "--to", BOB, "--subject", "s", "--body", "b", "--transport", "smtp",
            "--smtp-host", sb.smtp_host, "--smtp-port", str(sb.smtp_starttls_port), lang="ja")
    clean_failure(p, ini)


def test_smtp_transport_flag_keeps_smtp(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "smtp.ini"
    write_ini(sandbox, ini)
    p = run(sandbox, "send", "--ini", str(ini), "--to", BOB, "--subject", "smtp", "--body", "b", "--transport", "smtp")
    assert p.returncode == 0, p.stderr
    assert f":{sandbox.smtp_starttls_port} (starttls)" in p.stdout
    (m,) = sandbox.mailbox.wait_for(1)
    assert m["X-Sandbox-Transport"] is None


def test_wrong_transport_for_the_provider_is_a_clean_error(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "smtp.ini"
    write_ini(sandbox, ini)
    p = run(sandbox, "send", "--ini", str(ini), "--to", BOB, "--subject", "s", "--body", "b", "--transport", "graph")
    clean_failure(p, ini)
    assert "--transport gmail-api" in p.stderr
    p = run(sandbox, "send", "--ini", str(ini), "--to", BOB, "--subject", "s", "--body", "b", "--transport",
            "gmail-api", "--api-url", "http://plain.example")
    clean_failure(p, ini)
    assert "https://" in p.stderr


def test_outlook_token_on_graph_from_the_command_line(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "ms.ini"
    write_ini(sandbox, ini, "microsoft")
    p = run(sandbox, "send", "--ini", str(ini), "--to", ALICE, "--subject", "s", "--body", "b", "--transport",
            "graph", "--api-url", sandbox.graph_url, lang="ja")
    clean_failure(p, ini)
    assert "Mail.Send" in p.stderr and "同意" in p.stderr
    assert len(sandbox.mailbox) == 0


def test_smtp_send_with_cached_token_still_imports_no_http_library(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "smtp.ini"
    write_ini(sandbox, ini)
    code = ("import sys; from oauthmail.mailer import send; send(sys.argv[1], to='bob@example.com', subject='s', "
            "body='b'); print([m for m in ('requests', 'msal', 'google.auth', 'urllib3') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code, str(ini)], capture_output=True, text=True, env=_env(sandbox),
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
