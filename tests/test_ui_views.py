"""The ipywidgets views, driven as a person would: ``Button.click()`` and value changes, no browser.

They must call the same controller methods, show what/hint in the person's language, empty the
secret box after use, and never put a secret into a Label/HTML/Text value.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ipywidgets")

import ipywidgets as widgets
from traitlets import Bunch

from oauthmail.ui import Kit
from oauthmail.ui.controllers import (
    ChecklistController,
    ClientController,
    ConsentController,
    DoctorController,
    EnvironmentController,
    ExplainController,
    ExportController,
    IniController,
    SendController,
)
from oauthmail.ui.session import Session
from oauthmail.ui.steps import step
from oauthmail.ui.views import (
    ChecklistView,
    ClientView,
    ConsentView,
    DoctorView,
    EnvironmentView,
    ExplainView,
    ExportView,
    IniView,
    ModeView,
    SendView,
)


@pytest.fixture(autouse=True)
def close_widgets() -> Iterator[None]:
    yield
    widgets.Widget.close_all()


@pytest.fixture
def sandbox_config() -> dict[str, Any]:
    from tests.sandbox_fixtures import free_port

    return {"microsoft_web_redirect_uris": [f"http://localhost:{free_port()}/callback"]}


def session(provider: str = "google", sandbox: Any = None, lang: str = "en") -> Session:
    s = Session.create(provider, mode="sandbox", lang=lang)  # type: ignore[arg-type]
    if sandbox is not None:
        s.attach_sandbox(sandbox)
    return s


def all_text(widget: Any) -> str:
    """Every visible string value in a widget tree (Labels, HTML, Text, descriptions)."""
    out = []
    stack = [widget]
    while stack:
        w = stack.pop()
        for attr in ("value", "description", "placeholder"):
            v = getattr(w, attr, None)
            if isinstance(v, str):
                out.append(v)
        stack.extend(getattr(w, "children", ()) or ())
    return "\n".join(out)


def upload(view: ClientView, data: bytes, name: str = "client_secret.json") -> None:
    view.upload.value = (Bunch(name=name, type="application/json", size=len(data), content=memoryview(data),
                               last_modified=datetime.datetime.now(datetime.timezone.utc)),)


GOOD = {"web": {"client_id": "123-abc.apps.googleusercontent.com", "client_secret": "GOCSPX-topsecretvalue1",
                "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token",
                "redirect_uris": ["http://127.0.0.1:48888/callback"]}}


def test_mode_switch() -> None:
    s = session()
    changed = []
    view = ModeView(s, on_change=lambda: changed.append(s.mode))
    assert view.toggle.value == "sandbox" and "Practice" in view.note.value
    view.toggle.value = "real"
    assert s.mode == "real" and changed == ["real"] and "Real mode" in view.note.value


def test_mode_texts_in_japanese() -> None:
    view = ModeView(session("microsoft", lang="ja"))
    labels = [label for label, _ in view.toggle.options]
    assert labels == ["サンドボックス（練習）", "本番の Microsoft"]


def test_checklist_ticks_by_value_change() -> None:
    s = session()
    view = ChecklistView(ChecklistController(s, step("google.client")))
    view.boxes["created"].value = True
    assert s.ticks["google.client.created"].done and not s.ticks["google.client.created"].auto
    view.tick_all(auto=True)
    assert s.ticks["google.client.redirect"].auto
    assert "autorun" in view.note.value


def test_upload_wrong_file_shows_what_and_hint_in_japanese() -> None:
    view = ClientView(ClientController(session(lang="ja")))
    upload(view, b"not json at all", "meeting-notes.txt")
    html = view.status.value
    assert "meeting-notes.txt" in html and "問題" in html and "対処" in html
    assert view.upload.value == ()  # the bytes are not kept in the widget


def test_upload_good_file_secret_never_shown() -> None:
    ctrl = ClientController(session())
    view = ClientView(ctrl)
    upload(view, json.dumps(GOOD).encode())
    assert ctrl.status == "done" and view.upload.value == ()
    assert "GOCSPX-topsecretvalue1" not in all_text(view.box)


def test_typed_secret_is_cleared_and_never_echoed() -> None:
    s = session()
    s.mode = "real"
    ctrl = ClientController(s)
    view = ClientView(ctrl)
    view.client_id.value = "123-abc.apps.googleusercontent.com"
    view.secret.value = "GOCSPX-typedsecret99"
    view.kind.value = "installed"
    view.button.click()
    assert ctrl.status == "done", ctrl.message
    assert view.secret.value == ""
    assert "GOCSPX-typedsecret99" not in all_text(view.box)
    assert ctrl.values is not None and ctrl.values.client_secret == "GOCSPX-typedsecret99"


def test_empty_secret_from_the_form() -> None:
    ctrl = ClientController(session())
    view = ClientView(ctrl)
    view.client_id.value = "123-abc.apps.googleusercontent.com"
    view.button.click()
    assert ctrl.status == "failed" and "secret" in view.status.value.lower()


def test_microsoft_form_tenant_and_expiry() -> None:


    s = session("microsoft")
    s.mode = "real"
    ctrl = ClientController(s)
    view = ClientView(ctrl)
    view.client_id.value = "11111111-2222-3333-4444-555555555555"
    view.secret.value = "Abc8Q~longsecretvalue"
    view.account_type.value = "tenant"
    view.tenant.value = "contoso.onmicrosoft.com"
    view.expires.value = datetime.date(2027, 1, 31)
    view.button.click()
    assert ctrl.status == "done", ctrl.message
    assert ctrl.values is not None and ctrl.values.tenant == "contoso.onmicrosoft.com"
    assert str(ctrl.session.secret_expires) == "2027-01-31"
    assert view.secret.value == "" and "Abc8Q~longsecretvalue" not in all_text(view.box)


def test_switching_to_real_hides_the_sandbox_client_and_forgets_it(sandbox: Any) -> None:
    s = session("google", sandbox)
    kit = Kit(s)
    kit.mode()
    kit.client()
    view = kit.views["client"]
    assert view.sandbox_button.layout.display == ""
    view.sandbox_button.click()
    assert s.client is not None and "sandbox" in view.status.value
    kit.views["mode"].toggle.value = "real"
    assert view.sandbox_button.layout.display == "none"
    assert s.client is None and "Client ready" not in view.status.value
    assert kit.controllers["client"].status == "idle"


def test_consent_panel_click_through(sandbox: Any) -> None:
    s = session("google", sandbox)
    cview = ClientView(ClientController(s))
    cview.sandbox_button.click()
    ctrl = ConsentController(s, timeout=30)
    view = ConsentView(ctrl)
    assert view.cancel_button.disabled
    view.button.click()
    assert ctrl.wait_listening(10)
    assert view.button.disabled and not view.cancel_button.disabled
    assert "href=" in view.link.value and view.progress.layout.visibility == "visible"
    ctrl.approve_in_sandbox()
    assert ctrl.wait(30), ctrl.message
    assert "Signed in as" in view.status.value and view.link.value == ""
    assert not view.button.disabled and view.cancel_button.disabled
    for secret in (s.client.client_secret,):
        assert secret not in all_text(view.box)


def test_consent_panel_cancel(sandbox: Any) -> None:
    s = session("google", sandbox)
    ClientController(s).use_sandbox()
    ctrl = ConsentController(s, timeout=30)
    view = ConsentView(ctrl)
    view.button.click()
    assert ctrl.wait_listening(10)
    time.sleep(1.2)  # the progress indicator moves while waiting
    assert view.progress.value >= 1
    view.cancel_button.click()
    assert ctrl.status == "cancelled" and "cancelled" in view.status.value.lower()


def test_paste_box_in_real_mode_and_bad_paste(sandbox: Any) -> None:
    s = session("google", sandbox)
    ClientController(s).use_sandbox()
    s.mode = "real"  # the paste row shows in real mode (and on remote kernels)
    ctrl = ConsentController(s, timeout=30)
    view = ConsentView(ctrl)
    view.button.click()
    try:
        assert ctrl.wait_listening(10)
        assert view.paste_row.layout.display == "flex"
        view.paste.value = "http://127.0.0.1:48888/callback?state=xyz"
        view.paste_button.click()
        assert view.paste.value == ""
        assert "code=" in view.status.value and "What to do" in view.status.value
        # the sign-in still waits: the box and the link stay for the right address
        assert ctrl.status == "waiting" and view.paste_row.layout.display == "flex" and "href=" in view.link.value
        view.paste.value = sandbox.approve(ctrl.auth_uri, follow=False)
        view.paste_button.click()
        assert ctrl.status == "done", ctrl.message
    finally:
        ctrl.cancel()


def test_device_code_panel(sandbox: Any) -> None:
    s = session("microsoft", sandbox)
    ctrl_c = ClientController(s)
    cview = ClientView(ctrl_c)
    cview.public.value = True
    cview.sandbox_button.click()
    assert ctrl_c.status == "done", ctrl_c.message
    ctrl = ConsentController(s, timeout=60)
    view = ConsentView(ctrl)
    view.device_button.click()
    assert ctrl.status == "waiting", ctrl.message
    assert ctrl.device["code"] in view.link.value
    sandbox.approve_device_code(ctrl.device["code"])
    assert ctrl.wait(30), ctrl.message


def test_send_and_export_panels(sandbox: Any) -> None:
    s = session("google", sandbox)
    ClientController(s).use_sandbox()
    c = ConsentController(s, timeout=30)
    c.start()
    c.approve_in_sandbox()
    assert c.wait(30)
    sview = SendView(SendController(s))
    assert sview.to.value == s.account and sview.subject.value == "oauthmail test message"
    sview.button.click()
    assert sview.ctrl.wait_task(60)
    assert "Delivered" in sview.status.value, sview.status.value
    assert sview.wait.box.layout.display == "none" and not sview.button.disabled
    assert "AUTH XOAUTH2" in sview.transcript.value
    eview = ExportView(ExportController(s))
    eview.button.click()
    assert "<a download=" in eview.links.value and "data:text/markdown;base64," in eview.links.value
    assert str(s.ini()) in eview.links.value
    # only one download link: the record; the INI is shown by path
    assert eview.links.value.count("<a ") == 1
    from oauthmail.tokenfile import read

    text = all_text(sview.box) + all_text(eview.box)
    for secret in read(s.ini()).account(s.account).secrets():
        assert secret not in text


def test_send_panel_empty_recipient_in_japanese() -> None:
    s = session(lang="ja")
    view = SendView(SendController(s))
    assert view.subject.value == "oauthmail テストメール"
    view.to.value = ""
    view.button.click()
    view.ctrl.wait_task(10)
    assert "宛先" in view.status.value and "対処" in view.status.value


def test_environment_ini_doctor_explain_panels(sandbox: Any, tmp_path: Path) -> None:
    s = session("google", sandbox)
    env = EnvironmentView(EnvironmentController(s))
    env.button.click()
    assert env.ctrl.wait_task(30)
    assert "<table>" in env.table.value and "python" in env.table.value
    ini_view = IniView(IniController(s), str(tmp_path / "missing.ini"))
    ini_view.button.click()
    assert "does not exist" in ini_view.status.value
    kit = Kit(s)
    kit.sandbox_ini()
    ini_view.path.value = str(s.default_ini())
    ini_view.button.click()
    assert "account" in ini_view.status.value
    doc = DoctorView(DoctorController(s))
    doc.button.click()
    assert doc.ctrl.wait_task(60)
    assert "<table>" in doc.table.value and "OK" in doc.table.value
    ex = ExplainView(ExplainController(s), "AADSTS7000215: Invalid client secret provided.")
    ex.button.click()
    assert "<h4>" in ex.result.value


def test_kit_autorun_drives_its_widgets(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHMAIL_AUTORUN", "1")
    kit = Kit.start("microsoft")
    kit.session.attach_sandbox(sandbox)
    kit.mode()
    kit.checklist("microsoft.smtp_auth")
    kit.client()
    kit.consent(timeout=30)
    kit.send_test()
    kit.export()
    assert all(t.auto and t.done for t in kit.session.ticks.values())
    assert kit.controllers["send"].status == "done"
    assert kit.controllers["export"].result.record.exists()


def test_kit_without_autorun_does_not_click(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OAUTHMAIL_AUTORUN", raising=False)
    kit = Kit.start("google")
    kit.session.attach_sandbox(sandbox)
    kit.client()
    kit.checklist("google.project")
    assert kit.controllers["client"].status == "idle"
    assert not kit.session.ticks


def test_send_wait_shows_progress_and_can_be_abandoned(sandbox: Any) -> None:
    from oauthmail.tokenfile import update_account

    s = session("google", sandbox)
    ClientController(s).use_sandbox()
    c = ConsentController(s, timeout=30)
    c.start()
    c.approve_in_sandbox()
    assert c.wait(30)
    update_account(s.ini(), s.account, access_token="", access_token_expires_at=None)
    sandbox.set_fault("token_delay", 3)  # the token server is slow today
    ctrl = SendController(s)
    view = SendView(ctrl)
    view.button.click()
    deadline = time.monotonic() + 5
    while ctrl.status != "working" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ctrl.status == "working" and view.wait.box.layout.display == "flex" and view.button.disabled
    time.sleep(1.2)
    assert view.wait.progress.value >= 1
    view.wait.cancel_button.click()
    assert ctrl.status == "cancelled" and "may still arrive" in view.status.value
    assert ctrl.wait_task(30)
    assert ctrl.status == "done"  # the late answer is shown: it did arrive


@pytest.mark.parametrize(("provider", "transport"), [("microsoft", "graph"), ("google", "gmail-api")])
def test_sign_in_for_https_sending(sandbox: Any, provider: str, transport: str) -> None:
    """SMTP blocked or switched off: the same panel signs in for Graph / the Gmail API, and the test is sent over HTTPS."""
    s = session(provider, sandbox)
    ClientController(s).use_sandbox()
    ctrl = ConsentController(s, timeout=30)
    view = ConsentView(ctrl)
    view.transport.value = transport
    view.button.click()
    ctrl.approve_in_sandbox()
    assert ctrl.wait(30), ctrl.message
    assert f"transport = {transport}" in s.ini().read_text()
    sender = SendController(s)
    result = sender.send(s.account)
    assert result is not None, sender.message
    assert result.transport == transport


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_values_typed_in_the_sandbox_sign_in_there(sandbox: Any, provider: str) -> None:
    """Practise as in the real console: type (copy) the sandbox client's ID and secret, then sign in."""
    s = session(provider, sandbox)
    cctrl = ClientController(s)
    cview = ClientView(cctrl)
    if provider == "google":
        web = json.loads(Path(sandbox.client_secrets_web).read_text())["web"]
        client_id, secret = web["client_id"], web["client_secret"]
        cview.kind.value = "web"
    else:
        client_id, secret = sandbox.microsoft_web_client_id, sandbox.microsoft_web_client_secret
        cview.account_type.value = "organizations"
    cview.client_id.value = client_id
    cview.secret.value = secret
    cview.button.click()
    assert cctrl.status == "done", cctrl.message
    assert cview.secret.value == ""  # read once, then cleared
    assert "practice server" in cview.status.value and secret not in all_text(cview.box)
    assert not s.client_from_sandbox
    ctrl = ConsentController(s, timeout=30)
    view = ConsentView(ctrl)
    view.button.click()
    assert ctrl.wait_listening(10), ctrl.message
    assert ctrl.auth_uri.startswith(sandbox.base_url)
    user = sandbox.users_of(provider)[0]
    ctrl.approve_in_sandbox(user=user)
    assert ctrl.wait(30), ctrl.message
    assert s.account == user and "Signed in" in view.status.value
    text = s.ini().read_text()
    assert f"smtp_port = {sandbox.smtp_starttls_port}" in text
    assert "login.microsoftonline.com" not in text and "accounts.google.com" not in text
    assert secret not in all_text(cview.box) + all_text(view.box)


def test_unknown_typed_client_in_the_sandbox_shows_what_and_hint(sandbox: Any) -> None:
    s = session("microsoft", sandbox, lang="ja")
    cview = ClientView(ClientController(s))
    cview.client_id.value = "99999999-9999-4999-8999-999999999999"
    cview.secret.value = "Abc8Q~not-the-sandbox-secret"
    cview.button.click()
    assert cview.secret.value == ""
    ctrl = ConsentController(s, timeout=30)
    view = ConsentView(ctrl)
    view.button.click()
    assert ctrl.status == "failed"
    assert "AADSTS700016" in view.status.value and "問題" in view.status.value and "対処" in view.status.value
    assert "Abc8Q~not-the-sandbox-secret" not in all_text(view.box) + all_text(cview.box)
    assert not view.button.disabled and view.link.value == ""
