"""The token INI contract: parsing, line-precise errors, safe writes."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest

from oauthmail import ConfigError
from oauthmail import tokenfile as tf

CONTRACT_EXAMPLE = """\
[oauthmail]
version = 1
default_account = alice@example.com

[alice@example.com]
provider = google                      ; google | microsoft
client_id = 1234-abc.apps.googleusercontent.com
client_secret = s3cr3t-value
auth_uri = https://accounts.google.com/o/oauth2/auth
token_uri = https://oauth2.googleapis.com/token
scopes = https://mail.google.com/
refresh_token = rt-alice-123456
access_token = at-alice-123456                ; optional cache
access_token_expires_at = 2026-11-21T10:00:00Z
smtp_host = smtp.gmail.com
smtp_port = 587
smtp_security = starttls               ; starttls | ssl
sasl_mechanism = XOAUTH2               ; XOAUTH2 | OAUTHBEARER
x_custom = kept as is
"""


def test_contract_example_parses() -> None:
    f = tf.parse(CONTRACT_EXAMPLE, "t.ini")
    acc = f.account()
    assert acc.email == "alice@example.com"
    assert acc.provider == "google"
    assert acc.smtp_port == 587
    assert acc.smtp_security == "starttls"
    assert acc.sasl_mechanism == "XOAUTH2"
    assert acc.scopes == ["https://mail.google.com/"]
    assert acc.access_token_expires_at == datetime(2026, 11, 21, 10, tzinfo=timezone.utc)
    assert acc.extra == {"x_custom": "kept as is"}
    assert "rt-alice" not in repr(acc) and "s3cr3t" not in repr(acc)


def test_roundtrip_keeps_unknown_keys(tmp_path: Path) -> None:
    p = tmp_path / "t.ini"
    p.write_text(CONTRACT_EXAMPLE)
    os.chmod(p, 0o600)
    f = tf.read(p)
    f.save()
    again = tf.read(p)
    assert again.account().extra == {"x_custom": "kept as is"}
    assert again.account().refresh_token == "rt-alice-123456"
    assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert not again.warnings


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("[oauthmail]\nversion = 1\n[a@b.c]\nprovider = yahoo\nclient_id = x\nrefresh_token = y\n", 4, "one of"),
        ("[oauthmail]\nversion = 2\n", 2, "version"),
        ("[a@b.c]\nprovider = google\nclient_id = x\n", 1, "refresh_token"),
        ("[a@b.c]\nprovider google\n", 2, "key = value"),
        ("provider = google\n", 1, "outside"),
        ("[a@b.c]\nprovider = google\nclient_id = x\nrefresh_token = y\nsmtp_port = 99999\n", 5, "port"),
        ("[a@b.c]\nprovider = google\nprovider = google\n", 3, "twice"),
        ("[a@b.c\n", 1, "section"),
        ("[a@b.c]\nprovider = google\nclient_id = x\nrefresh_token = y\naccess_token_expires_at = soon\n", 5, "time"),
    ],
)
def test_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        tf.parse(text, "bad.ini")
    assert f"line {line}:" in info.value.what("en")
    assert words in info.value.what("en")
    assert "行目" in info.value.what("ja")
    assert info.value.hint("en")


def test_world_readable_warns(tmp_path: Path) -> None:
    p = tmp_path / "t.ini"
    p.write_text(CONTRACT_EXAMPLE)
    os.chmod(p, 0o644)
    assert any("chmod 600" in w for w in tf.read(p).warnings)


def test_missing_file_and_account(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        tf.read(tmp_path / "nope.ini")
    assert "does not exist" in str(info.value)
    p = tmp_path / "t.ini"
    p.write_text(CONTRACT_EXAMPLE)
    with pytest.raises(ConfigError) as info2:
        tf.read(p).account("bob@example.com")
    assert "alice@example.com" in info2.value.hint("en")


def test_save_account_keeps_others(tmp_path: Path) -> None:
    p = tmp_path / "t.ini"
    p.write_text(CONTRACT_EXAMPLE)
    bob = tf.Account(email="bob@example.com", provider="microsoft", client_id="cid", refresh_token="rt-bob",
                     authority="https://login.microsoftonline.com/common")
    tf.save_account(p, bob)
    f = tf.read(p)
    assert list(f.accounts) == ["alice@example.com", "bob@example.com"]
    assert f.account().email == "alice@example.com"
    tf.update_account(p, "bob@example.com", refresh_token="rt-bob-2")
    assert tf.read(p).account("bob@example.com").refresh_token == "rt-bob-2"
    assert not list(tmp_path.glob(".t.ini.*.tmp"))


def test_only_newline_ends_a_line_and_c1_controls_are_refused() -> None:
    # str.splitlines() would cut this value at U+2028 and silently drop the rest
    text = "[a@example.com]\nprovider = google\nclient_id = c\nrefresh_token = abc\u2028def\n"
    with pytest.raises(ConfigError) as info:
        tf.parse(text, "t.ini")
    assert "line 4" in info.value.what() and "refresh_token" in info.value.what()
    with pytest.raises(ConfigError):
        tf.parse("[a@example.com]\nprovider = google\nclient_id = c\nrefresh_token = a\x85b\n", "t.ini")
    crlf = "[a@example.com]\r\nprovider = google\r\nclient_id = c\r\nrefresh_token = r\r\n"
    assert tf.parse(crlf, "t.ini").account().refresh_token == "r"


@pytest.mark.parametrize("bad", ["a\nb", " lead", "trail ", "x ;comment", "a\u2028b"])
def test_values_that_would_not_read_back_are_refused_on_write(tmp_path: Path, bad: str) -> None:
    acc = tf.Account(email="a@example.com", provider="google", client_id="c", refresh_token=bad)
    f = tf.TokenFile(tmp_path / "t.ini")
    f.set_account(acc)
    with pytest.raises(ConfigError) as info:
        f.save()
    assert info.value.code == "ini_value" and "refresh_token" in info.value.what()
    assert bad not in info.value.what()
    assert not (tmp_path / "t.ini").exists()
