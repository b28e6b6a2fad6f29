"""The notebooks' mail-program step: a thin view over MailersController, driven with Button.click()."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sandbox_fixtures import *  # noqa: F403
from test_core_support import GOOGLE_USER, secrets_in, write_ini

from oauthmail import tokenfile
from oauthmail.export import parse_exports
from oauthmail.ui.mailers import MailersController, MailersView
from oauthmail.ui.session import Session


@pytest.fixture(autouse=True)
def _close_widgets() -> Any:
    yield
    import ipywidgets

    ipywidgets.Widget.close_all()


def session_for(ini: Path, lang: str = "en") -> Session:
    s = Session.create("google", mode="sandbox", lang=lang)  # type: ignore[arg-type]
    s.ini_path = ini
    s.account = GOOGLE_USER
    return s


def test_every_tool_renders_secret_free_with_a_copy_button(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    view = MailersView(MailersController(session_for(ini)))
    for tool in view.ctrl.tools:
        view.picker.value = tool
        assert view.ctrl.status != "failed", view.ctrl.message
        assert "navigator.clipboard.writeText" in view.text.value and "token" in view.text.value
        for s in secrets_in(ini):
            assert s not in view.text.value
    view.picker.value = "neomutt"
    assert view.test_button.disabled  # no automatic test for neomutt here


@pytest.mark.skipif(not shutil.which("msmtp"), reason="Debian's msmtp is not installed")
def test_test_button_sends_with_msmtp_and_the_record_notes_the_file(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    view = MailersView(MailersController(session_for(ini, "ja")))
    view.picker.value = "msmtp"
    assert not view.test_button.disabled
    view.test_button.click()
    assert view.ctrl.status == "done", view.ctrl.message
    assert "テストメールを送りました" in view.status.value
    (m,) = sandbox.mailbox.messages()
    assert m["Subject"] == "oauthmail export test (msmtp)" and m["To"] == GOOGLE_USER
    assert "msmtp" in parse_exports(tokenfile.read(ini).account().extra["exports"])


def test_write_button_and_a_broken_ini_says_what_to_do(sandbox: Any, tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    write_ini(sandbox, ini)
    view = MailersView(MailersController(session_for(ini)))
    view.picker.value = "postfix"
    view.write_button.click()
    assert view.ctrl.status == "done" and len(view.ctrl.written) == 5
    ctrl = MailersController(session_for(tmp_path / "missing.ini"))
    ctrl.render("msmtp")
    assert ctrl.status == "failed" and ctrl.error is not None and ctrl.error.hint("en")
