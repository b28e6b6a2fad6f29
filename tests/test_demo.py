"""`make demo` / `python -m oauthmail.demo`: the whole path in a terminal, no browser, no account."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from oauthmail import tokenfile
from tests.loopback_lock import loopback_port_lock


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_demo_walks_the_whole_path_and_prints_no_secret(tmp_path: Path, lang: str) -> None:
    env = dict(os.environ, OAUTHMAIL_HOME=str(tmp_path), OAUTHMAIL_LANG=lang)
    for var in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE"):
        env.pop(var, None)
    with loopback_port_lock():  # the Web client's registered redirect is 127.0.0.1:48888
        proc = subprocess.run([sys.executable, "-m", "oauthmail.demo"], capture_output=True, text=True, env=env,
                              timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert ("Sent over STARTTLS" if lang == "en" else "STARTTLS で送信しました") in out
    assert ("Sent over SSL" if lang == "en" else "SSL で送信しました") in out
    ini = tmp_path / "demo" / "demo.ini"
    account = tokenfile.read(ini).account()
    assert account.email == "alice@example.com" and account.refresh_token
    for secret in account.secrets():
        assert secret not in out + proc.stderr
    mailbox = sorted((tmp_path / "demo" / "sandbox" / "mailbox").glob("*.eml"))
    assert len(mailbox) == 2
    record = (tmp_path / "demo" / "setup-record.md").read_text(encoding="utf-8")
    assert "alice@example.com" in record and all(s not in record for s in account.secrets())
