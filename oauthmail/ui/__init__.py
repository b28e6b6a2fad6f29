"""Widgets for the notebooks: thin ipywidgets views over plain controllers.

``oauthmail.ui.Kit`` is what a notebook cell calls — one line per step::

    from oauthmail.ui import Kit
    kit = Kit.start("google")        # language from the notebook's folder, sandbox by default
    kit.mode()                       # Sandbox (practice) / Real Google
    kit.checklist("google.gmail_api")
    kit.client(); kit.consent(); kit.send_test(); kit.export()

With ``OAUTHMAIL_AUTORUN=1`` each call also drives its own widgets (the same methods a click
calls) in the sandbox, so the notebook runs top to bottom with no one clicking. The controllers
(:mod:`oauthmail.ui.controllers`) import no ipywidgets and are what the tests drive.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..errors import OAuthMailError
from ..i18n import Msg
from .controllers import (
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
from .session import Mode, Provider, Session, notebook_language
from .steps import STEPS, step

AUTORUN_REAL = Msg(
    en="OAUTHMAIL_AUTORUN is set but the mode is Real: nothing is clicked automatically outside the sandbox.",
    ja="OAUTHMAIL_AUTORUN が設定されていますが本番モードです。サンドボックス以外では自動でクリックしません。",
)
AUTORUN_FAILED = Msg(en="Autorun stopped at this step: {what}", ja="自動実行がこの手順で止まりました: {what}")


class AutorunError(RuntimeError):
    """A step failed while the notebook ran by itself (the cell fails, so CI sees where)."""


class Kit:
    """One notebook's steps; each method shows a step's widgets (and drives them in autorun)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.views: dict[str, Any] = {}
        self.controllers: dict[str, Any] = {}

    @classmethod
    def start(cls, provider: Provider = "google", *, mode: Mode | None = None, lang: str | None = None) -> Kit:
        kit = cls(Session.create(provider, mode=mode, lang=lang))
        for change in kit.session.privacy_changes:  # the isolation check at start, said once
            print(change.describe(kit.lang))
        return kit

    # --- plumbing -------------------------------------------------------------------------------

    @property
    def lang(self) -> str:
        return self.session.lang

    @property
    def auto(self) -> bool:
        """Autorun drives widgets only in the sandbox."""
        return self.session.autorun and self.session.mode == "sandbox"

    def _show(self, name: str, view: Any, ctrl: Any = None) -> Any:
        self.views[name] = view
        if ctrl is not None:
            self.controllers[name] = ctrl
        try:
            from IPython.display import display

            display(view.box)  # type: ignore[no-untyped-call]
        except ImportError:  # pragma: no cover - plain Python without IPython
            pass
        return view

    def _check(self, ctrl: Any) -> None:
        if self.auto and ctrl.status == "failed":
            err: OAuthMailError | None = ctrl.error
            what = err.what(self.lang) + " / " + err.hint(self.lang) if err else ctrl.message
            raise AutorunError(AUTORUN_FAILED.format(self.lang, what=what))

    # --- steps ----------------------------------------------------------------------------------

    def mode(self) -> None:
        from .views import ModeView

        self._show("mode", ModeView(self.session, on_change=self._mode_changed))
        if self.session.autorun and self.session.mode != "sandbox":
            print(AUTORUN_REAL.format(self.lang))

    def _mode_changed(self) -> None:
        for view in self.views.values():
            hook = getattr(view, "mode_changed", None)
            if callable(hook):
                hook()

    def checklist(self, step_id: str) -> None:
        from .views import ChecklistView

        ctrl = ChecklistController(self.session, step(step_id))
        view = self._show(f"checklist:{step_id}", ChecklistView(ctrl), ctrl)
        if self.auto:
            view.tick_all(auto=True)

    def environment(self) -> None:
        from .views import EnvironmentView

        ctrl = EnvironmentController(self.session)
        view = self._show("environment", EnvironmentView(ctrl), ctrl)
        if self.auto:
            view.button.click()
            ctrl.wait_task(60)

    def client(self) -> None:
        from .views import ClientView

        ctrl = ClientController(self.session)
        view = self._show("client", ClientView(ctrl), ctrl)
        if getattr(self.session, "app_extras", None) and self.session.client is not None:
            ctrl._accept(self.session.client, "oauthmail register microsoft")  # made by register_app() above
        elif self.auto:
            view.sandbox_button.click()
            self._check(ctrl)

    def register_app(self, timeout: float = 300.0) -> None:
        """02: let the kit create the Microsoft app through Graph (steps tick off; the client step gets it)."""
        from .register import RegisterController, RegisterView

        ctrl = RegisterController(self.session, timeout=timeout)
        view = self._show("register", RegisterView(ctrl), ctrl)
        if self.auto:
            view.button.click()
            ctrl.approve_in_sandbox()
            ctrl.wait_task(timeout)
            self._check(ctrl)

    def registrations(self) -> None:
        """03/04: the apps the kit made, and removing one (in autorun: only listed, nothing removed)."""
        from .register import RegistrationsController, RegistrationsView

        ctrl = RegistrationsController(self.session)
        view = self._show("registrations", RegistrationsView(ctrl), ctrl)
        view.refresh_button.click()

    def consent(self, timeout: float = 300.0) -> None:
        from .views import ConsentView

        ctrl = ConsentController(self.session, timeout=timeout)
        view = self._show("consent", ConsentView(ctrl), ctrl)
        if self.auto:
            # Another program may hold the registered port for a moment (a test, an earlier
            # kernel): try for up to 30 s, as a person would by pressing the button again.
            deadline = time.monotonic() + 30
            while True:
                view.button.click()
                if ctrl.wait_listening(10) or time.monotonic() > deadline:
                    break
                if not (ctrl.error is not None and ctrl.error.code == "port_busy"):
                    break
                time.sleep(1)
            self._check(ctrl)
            ctrl.approve_in_sandbox()
            ctrl.wait(timeout)
            self._check(ctrl)

    def send_test(self) -> None:
        from .views import SendView

        ctrl = SendController(self.session)
        view = self._show("send", SendView(ctrl), ctrl)
        if self.auto:
            view.button.click()
            ctrl.wait_task(120)
            self._check(ctrl)

    def export(self, reexport: bool = False) -> None:
        """``reexport=True`` (03): write the loaded account afresh to ``OAUTHMAIL_HOME/exports/``."""
        from .views import ExportView

        ctrl = ExportController(self.session)
        view = self._show("export", ExportView(ctrl, reexport=reexport), ctrl)
        if self.auto:
            view.button.click()
            self._check(ctrl)

    def mailers(self) -> None:
        """Configuration for the person's own mail program (``oauthmail export``), with copy and test buttons."""
        from .mailers import MailersController, MailersView

        ctrl = MailersController(self.session)
        self._show("mailers", MailersView(ctrl), ctrl)
        if self.auto:  # the text is rendered; sending with a tool is left to the person ("Test it")
            self._check(ctrl)

    def load_ini(self, path: str = "") -> None:
        """03: an INI the person already has (in autorun: one made in the sandbox first)."""
        from .views import IniView

        if not path and self.session.mode == "sandbox":
            path = str(self.sandbox_ini())  # a practice INI, signed in by the simulated user
        ctrl = IniController(self.session)
        view = self._show("ini", IniView(ctrl, path or str(self.session.default_ini())), ctrl)
        if self.auto:
            view.button.click()
            self._check(ctrl)

    def doctor(self) -> None:
        from .views import DoctorView

        ctrl = DoctorController(self.session)
        view = self._show("doctor", DoctorView(ctrl), ctrl)
        if self.session.mode == "sandbox" and not self.session.ini().exists():
            self.load_ini_quiet()
        if self.auto:
            view.button.click()
            ctrl.wait_task(120)
            self._check(ctrl)

    def explain(self, text: str = "") -> None:
        from .views import ExplainView

        ctrl = ExplainController(self.session)
        view = self._show("explain", ExplainView(ctrl, text), ctrl)
        if self.auto and text:
            view.button.click()

    # --- sandbox helpers ------------------------------------------------------------------------

    def sandbox_ini(self) -> Path:
        """A sandbox INI made without widgets (client + consent by the simulated user)."""
        ini = self.session.default_ini()
        if ini.exists():
            return ini
        client = ClientController(self.session)
        if client.use_sandbox("web") is None:
            raise AutorunError(AUTORUN_FAILED.format(self.lang, what=client.message))
        consent = ConsentController(self.session, timeout=120)
        for _ in range(30):
            consent.start()
            if consent.wait_listening(10) or not (consent.error and consent.error.code == "port_busy"):
                break
            time.sleep(1)
        if consent.status == "failed":
            raise AutorunError(AUTORUN_FAILED.format(self.lang, what=consent.message))
        consent.approve_in_sandbox()
        if not consent.wait(120):
            raise AutorunError(AUTORUN_FAILED.format(self.lang, what=consent.message))
        return ini

    def load_ini_quiet(self) -> None:
        IniController(self.session).load(str(self.sandbox_ini()))


__all__ = [
    "STEPS",
    "AutorunError",
    "ChecklistController",
    "ClientController",
    "ConsentController",
    "DoctorController",
    "EnvironmentController",
    "ExplainController",
    "ExportController",
    "IniController",
    "Kit",
    "SendController",
    "Session",
    "notebook_language",
]
