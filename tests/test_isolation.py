"""Per-student isolation on a shared host: everything under OAUTHMAIL_HOME private, checked at start."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from oauthmail import paths
from oauthmail.classroom.isolation import loose, private_mode, tighten
from oauthmail.record import record_from_account, write_record
from oauthmail.ui.session import Session

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_private_mode_keeps_the_owner_bits_only() -> None:
    assert private_mode(0o755, True) == 0o700
    assert private_mode(0o644, False) == 0o600
    assert private_mode(0o755, False) == 0o700


def test_tighten_makes_every_file_and_folder_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "records").mkdir(parents=True)
    (home / "sandbox" / "mailbox").mkdir(parents=True)
    files = [home / "sandbox.ini", home / "records" / "setup.json", home / "sandbox" / "mailbox" / "1.eml"]
    for f in files:
        f.write_text("x", encoding="utf-8")
        f.chmod(0o644)
    for d in (home, home / "records", home / "sandbox", home / "sandbox" / "mailbox"):
        d.chmod(0o755)
    (home / "link").symlink_to("/etc/hostname")  # a link is not followed nor changed
    assert {Path(x.path) for x in loose(home)} == {*files, home, home / "records", home / "sandbox",
                                                   home / "sandbox" / "mailbox"}
    changes = tighten(home)
    assert len(changes) == 7 and all(c.new is not None for c in changes)
    assert all(mode(f) == 0o600 for f in files)
    assert mode(home) == 0o700 and mode(home / "sandbox" / "mailbox") == 0o700
    assert loose(home) == [] and tighten(home) == []
    said = changes[0].describe("ja")
    assert "他のユーザーから読める" in said and ("0o600" in said or "0o700" in said)


def test_a_notebook_start_checks_the_kit_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    home = tmp_path / "kit"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    (home / "oauthmail.ini").write_text("[oauthmail]\n", encoding="utf-8")
    (home / "oauthmail.ini").chmod(0o644)
    monkeypatch.setenv("OAUTHMAIL_HOME", str(home))
    session = Session.create("google", mode="sandbox", lang="en")
    assert {Path(c.path) for c in session.privacy_changes} == {home, home / "oauthmail.ini"}
    assert mode(home) == 0o700 and mode(home / "oauthmail.ini") == 0o600


def test_records_in_the_kit_folder_are_private(tmp_path: Path) -> None:
    from oauthmail import tokenfile

    acc = tokenfile.Account(email="a@example.com", provider="google", client_id="cid", refresh_token="r" * 30,
                            client_secret="s" * 24, token_uri="https://oauth2.googleapis.com/token",
                            scopes=["https://mail.google.com/"])
    rec = record_from_account(acc)
    inside = write_record(rec, paths.records_dir() / "setup.json")
    outside = write_record(rec, tmp_path / "for-the-auditor.md")
    assert mode(inside) == 0o600 and mode(outside) == 0o644
