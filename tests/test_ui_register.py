"""Notebook 02's "let the kit create the app" and 03/04's list of apps, driven through their controllers and buttons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oauthmail import tokenfile
from oauthmail.ui.controllers import ConsentController, ExportController, SendController
from oauthmail.ui.register import RegisterController, RegistrationsController, steps_html
from oauthmail.ui.session import Session
from tests.sandbox_fixtures import free_port

DAVE = "dave@contoso.example"


def _session(sandbox: Any, lang: str = "en") -> Session:
    s = Session.create("microsoft", mode="sandbox", lang=lang)
    s.attach_sandbox(sandbox)
    return s


def _register(s: Session, client_type: str = "public") -> RegisterController:
    c = RegisterController(s, timeout=60)
    assert c.start(email=DAVE, client_type=client_type)
    c.approve_in_sandbox(DAVE)
    assert c.wait_task(90)
    assert c.status == "done", c.message
    return c


@pytest.mark.parametrize(("client_type", "lang"), [("public", "en"), ("web", "ja")])
def test_kit_made_app_signs_in_sends_and_exports(sandbox: Any, client_type: str, lang: str) -> None:
    s = _session(sandbox, lang)
    c = _register(s, client_type)
    assert all(st.status in ("done", "info") for st in c.steps), [(st.id, st.status) for st in c.steps]
    assert [st.id for st in c.steps][-1] == "propagation"  # the notebook's own cells do consent, send, export
    assert s.client is not None and s.client.client_id == c.registration.app_id
    secret = s.client.client_secret
    assert bool(secret) == (client_type == "web")
    html = steps_html(c.steps)
    assert "data-status='done'" in html and (not secret or secret not in html)
    s.redirect_uri = f"http://localhost:{free_port()}/callback"  # Entra ignores the port on localhost
    consent = ConsentController(s, timeout=60)
    consent.start(email=DAVE)
    consent.approve_in_sandbox(DAVE)
    assert consent.wait(60), consent.message
    acc = tokenfile.read(s.ini()).account(DAVE)
    assert acc.client_id == c.registration.app_id and acc.client_secret == secret
    assert acc.extra["app_registered_by"] == "oauthmail register microsoft"
    assert acc.extra["app_object_id"] == c.registration.object_id
    if client_type == "web":
        assert acc.extra["client_secret_expires_at"].startswith(c.registration.secret_expires_at[:10])
    sandbox.mailbox.clear()
    send = SendController(s)
    send.send(DAVE)
    assert send.status == "done", send.message
    assert len(sandbox.mailbox.messages()) == 1
    ExportController(s).export()
    if secret:
        for path in Path(s.ini()).parent.rglob("*"):
            if path.is_file() and path.suffix != ".ini":
                assert secret not in path.read_text(encoding="utf-8", errors="replace"), path


def test_switch_off_fails_with_the_manual_path_and_lists_made_apps(sandbox: Any) -> None:
    s = _session(sandbox)
    sandbox.set_directory(users_can_register_apps=False)
    c = RegisterController(s, timeout=60)
    c.start(email="erin@contoso.example")
    c.approve_in_sandbox("erin@contoso.example")
    c.wait_task(60)
    assert c.status == "failed" and c.error is not None and c.error.code == "Authorization_RequestDenied"
    assert "portal" in c.error.hint("en") and c.error.hint("ja")
    assert next(st for st in c.steps if st.id == "create_app").status == "failed"
    sandbox.set_directory(users_can_register_apps=True)
    made = _register(s)
    listing = RegistrationsController(s)
    assert [i["app_id"] for i in listing.refresh()] == [made.registration.app_id]
    assert made.registration.app_id in listing.table_html()
    assert listing.remove(made.registration.app_id)
    listing.approve_in_sandbox(DAVE)
    assert listing.wait_task(60)
    assert listing.status == "done", listing.message
    assert listing.items[0]["removed_at"] and sandbox.directory_state["applications"] == []
    s.lang = "ja"  # the times a person reads, as dates in Japanese (the registrations file keeps ISO 8601)
    table = listing.table_html()
    assert "年" in table and "日（" in table and listing.items[0]["created_at"] not in table
    assert listing.items[0]["removed_at"] not in table


def test_buttons_drive_the_same_controller(sandbox: Any) -> None:
    pytest.importorskip("ipywidgets")
    from oauthmail.ui.register import RegisterView

    s = _session(sandbox)
    c = RegisterController(s, timeout=60)
    view = RegisterView(c)
    view.email.value = DAVE
    view.button.click()
    c.approve_in_sandbox(DAVE)
    assert c.wait_task(90) and c.status == "done", c.message
    assert "✓" in view.steps.value and c.registration.app_id in view.status.value


def test_on_a_hub_the_sign_in_link_goes_through_the_proxy(sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A hub's browser cannot open the kernel's 127.0.0.1: the admin sign-in link (and the status line) go
    through jupyter-server-proxy with the page token, as the consent step's link does."""
    from oauthmail.ui.register import RegisterView

    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/student-01/")
    monkeypatch.setenv("JUPYTERHUB_USER", "student-01")
    s = _session(sandbox)
    c = RegisterController(s, timeout=60)
    view = RegisterView(c)
    assert c.start(email=DAVE, client_type="public")
    try:
        assert c.url_shown.wait(30), c.message
        assert c.auth_uri.startswith("https://127.0.0.1:")  # the kernel side still talks to the sandbox itself
        assert "/user/student-01/proxy/" in view.status.value and "127.0.0.1" not in view.status.value
        assert "/user/student-01/proxy/" in c.message and "127.0.0.1" not in c.message
    finally:
        c.cancel()
