"""Notebook 02's "let the kit create the app": a controller over the Graph registration, and its view.

:class:`RegisterController` runs :class:`~oauthmail.registration.microsoft.MicrosoftRegistration` on a
thread (``app_only``: the notebook's own consent, send and export steps follow) and keeps each step's
result for the view to tick off. When it ends, the session holds the new app as its client, so
``kit.client()`` shows it and ``kit.consent()`` signs in with it. :class:`RegistrationsController`
lists the apps the kit made (``OAUTHMAIL_HOME/registrations``) and removes one (03/04).
"""

from __future__ import annotations

import html
import queue
import threading
from datetime import date
from typing import Any

from ..i18n import Msg
from .controllers import Controller, browser_link
from .session import Session

L_REGISTER = Msg(en="Let the kit create the app", ja="キットにアプリを作成させる")
L_APP_NAME = Msg(en="App name", ja="アプリの名前")
L_APP_TYPE = Msg(en="App type", ja="アプリの種類")
L_PUBLIC_APP = Msg(en="Public client (no secret)", ja="パブリック クライアント（シークレットなし）")
L_WEB_APP = Msg(en="Web (with a secret)", ja="Web（シークレットあり）")
L_REG_EMAIL = Msg(en="Your address", ja="自分のアドレス")
L_REG_TENANT = Msg(en="Tenant (optional)", ja="テナント（任意）")
L_PASTE_DONE = Msg(en="Finish with the pasted address", ja="貼り付けたアドレスで完了")
L_REMOVE_APP = Msg(en="Remove this app", ja="このアプリを削除")
L_REFRESH = Msg(en="Show the apps the kit made", ja="キットが作成したアプリを表示")

OPEN_LINK = Msg(en="Open the link and sign in with the account that will own the app: {url}",
                ja="リンクを開き、アプリの所有者になるアカウントでサインインしてください: {url}")
CREATED = Msg(
    en="App \"{name}\" created (client ID {app_id}). The client step below already has it; go on to step 10.",
    ja="アプリ「{name}」を作成しました（クライアント ID {app_id}）。下のクライアントの手順に値が入力済みなので、手順 10 に進んでください。",
)
WORKING = Msg(en="Creating the app through Microsoft Graph…", ja="Microsoft Graph でアプリを作成しています…")
NONE_MADE = Msg(en="The kit has not made any app yet (OAUTHMAIL_HOME/registrations is empty).",
                ja="キットが作成したアプリはまだありません（OAUTHMAIL_HOME/registrations は空です）。")
REMOVED = Msg(en="Removed \"{name}\" ({app_id}); its tokens stop working.",
              ja="「{name}」（{app_id}）を削除しました。このアプリのトークンは使えなくなります。")
COL_APP = Msg(en="app", ja="アプリ")
COL_CLIENT = Msg(en="client ID", ja="クライアント ID")
COL_TENANT = Msg(en="tenant", ja="テナント")
COL_CREATED = Msg(en="created", ja="作成日時")
COL_STATE = Msg(en="state", ja="状態")
STATE_LIVE = Msg(en="in use", ja="使用中")
STATE_REMOVED = Msg(en="removed {at}", ja="{at} に削除")


def _sandbox_authority(session: Session) -> str:
    return str(session.sandbox().microsoft_authority)


class RegisterController(Controller):
    """Create the app through Graph (the steps tick off as they finish), then hand it to the session."""

    def __init__(self, session: Session, *, timeout: float = 300.0) -> None:
        super().__init__(session)
        self.timeout = timeout
        self.steps: list[Any] = []
        self.auth_uri = ""
        self.registration: Any = None
        self.url_shown = threading.Event()
        self.remote = False
        self._pasted: queue.Queue[str] = queue.Queue()
        self._cancel = threading.Event()

    def start(self, *, email: str = "", client_type: str = "public", name: str = "", tenant: str = "") -> bool:
        """Run the registration on a thread (``False`` while one is still running)."""
        self.url_shown = threading.Event()
        self._cancel = threading.Event()
        self._set("working", WORKING.format(self.session.lang))
        return self.start_task(self._run, email.strip(), client_type, name.strip(), tenant.strip())

    def _run(self, email: str, client_type: str, name: str, tenant: str) -> None:
        from ..registration import microsoft_bodies as bodies
        from ..registration.microsoft import MicrosoftRegistration, RegistrationOptions, authority_for

        try:
            from ..consent import detect_environment

            self.remote = bool(getattr(detect_environment(), "remote", False))
            sandbox = self.session.mode == "sandbox"
            authority = _sandbox_authority(self.session) if sandbox else authority_for(tenant or None)
            options = RegistrationOptions(
                authority=authority, name=name or bodies.DEFAULT_NAME, client_type=client_type,
                mode="paste" if self.remote else "no_browser", email=email or None, app_only=True,
                poll=1.0 if sandbox else 2.0, timeout=self.timeout, lang=self.session.lang)
            reg = MicrosoftRegistration(options, on_step=self._step, on_url=self._url, read_paste=self._pasted.get,
                                        cancel=self._cancel)
            self.registration = reg
            self.steps = reg.steps
            self._changed()
            reg.run()
        except Exception as exc:
            self._fail(exc)
            return
        self._hand_over(reg)

    def _hand_over(self, reg: Any) -> None:
        from ..registration import microsoft_bodies as bodies

        s = self.session
        s.client = reg.client
        s.client_from_sandbox = False
        s.redirect_uri = bodies.WEB_REDIRECT  # registered under the app's platform by the kit
        s.secret_expires = date.fromisoformat(reg.secret_expires_at[:10]) if reg.secret_expires_at else None
        s.app_extras = {"app_display_name": reg.o.name, "app_object_id": reg.object_id,  # type: ignore[attr-defined]
                        "app_registered_by": "oauthmail register microsoft",
                        "app_permissions": " ".join(reg.permissions)}
        self._set("done", CREATED.format(s.lang, name=reg.o.name, app_id=reg.app_id))

    def _step(self, _step: Any) -> None:
        self._changed()

    def _url(self, url: str) -> None:
        self.auth_uri = url
        self.url_shown.set()
        self._set("waiting", OPEN_LINK.format(self.session.lang, url=browser_link(self.session, url)))

    def paste(self, text: str) -> None:
        """Remote kernels: the address the browser ended on."""
        self._pasted.put(text)

    def cancel(self) -> None:
        self._cancel.set()
        self._pasted.put("")
        self.abandon()

    def approve_in_sandbox(self, user: str | None = None, timeout: float = 60.0) -> None:
        """Autorun: the sandbox's simulated person signs in with the bootstrap client."""
        from ..sandbox import approve

        if not self.url_shown.wait(timeout):
            return
        sb = self.session.sandbox()
        approve(self.auth_uri, user=user, ca_file=str(sb.ca_file))


class RegistrationsController(Controller):
    """The apps the kit made (from ``OAUTHMAIL_HOME/registrations``), and removing one."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.items: list[dict[str, Any]] = []
        self.auth_uri = ""
        self.url_shown = threading.Event()

    def refresh(self) -> list[dict[str, Any]]:
        from ..registration.microsoft import list_registrations

        self.items = list_registrations()
        self._set("done" if self.items else "idle", "" if self.items else NONE_MADE.format(self.session.lang))
        return self.items

    def remove(self, app_id: str) -> bool:
        self.url_shown = threading.Event()
        return self.start_task(self._remove, app_id)

    def _remove(self, app_id: str) -> None:
        from ..registration.microsoft import unregister_microsoft

        item = next((i for i in self.items if i.get("app_id") == app_id), {})
        try:
            authority = str(item.get("authority") or "")
            if self.session.mode == "sandbox" and not authority:
                authority = _sandbox_authority(self.session)
            done = unregister_microsoft(app_id, authority=authority or None, graph_url=item.get("graph_url") or None,
                                        mode="no_browser", on_url=self._url)
        except Exception as exc:
            self._fail(exc)
            return
        self.refresh()
        self._set("done", REMOVED.format(self.session.lang, name=done.name, app_id=done.app_id))

    def _url(self, url: str) -> None:
        self.auth_uri = url
        self.url_shown.set()
        self._set("waiting", OPEN_LINK.format(self.session.lang, url=browser_link(self.session, url)))

    def approve_in_sandbox(self, user: str | None = None, timeout: float = 60.0) -> None:
        from ..sandbox import approve

        if self.url_shown.wait(timeout):
            approve(self.auth_uri, user=user, ca_file=str(self.session.sandbox().ca_file))

    def table_html(self) -> str:
        lang = self.session.lang
        if not self.items:
            return ""
        head = "".join(f"<th>{html.escape(c.format(lang))}</th>" for c in (COL_APP, COL_CLIENT, COL_TENANT,
                                                                           COL_CREATED, COL_STATE))
        from ..i18n.dates import shown_iso_time

        rows = []
        for i in self.items:
            state = (STATE_REMOVED.format(lang, at=shown_iso_time(i.get("removed_at"), lang)) if i.get("removed_at")
                     else STATE_LIVE.format(lang))
            cells = [i.get("display_name"), i.get("app_id"), i.get("tenant_name") or i.get("tenant_id"),
                     shown_iso_time(i.get("created_at"), lang), state]
            rows.append("<tr>" + "".join(f"<td>{html.escape(str(c or ''))}</td>" for c in cells) + "</tr>")
        return f"<table class='oauthmail-registrations'><tr>{head}</tr>{''.join(rows)}</table>"


# --- views (ipywidgets) -------------------------------------------------------------------------------

def steps_html(steps: list[Any]) -> str:
    marks = {"done": ("✓", "#070"), "info": ("i", "#06a"), "skipped": ("-", "#666"), "failed": ("✗", "#a00"),
             "running": ("…", "#a60"), "waiting": ("…", "#a60")}
    out = []
    for st in steps:
        mark, color = marks.get(st.status, ("○", "#999"))
        detail = f" — {html.escape(st.detail)}" if st.detail else ""
        out.append(f"<li data-step='{html.escape(st.id)}' data-status='{html.escape(st.status)}'>"
                   f"<b style='color:{color}'>{mark}</b> {html.escape(st.title)}{detail}</li>")
    return "<ul class='oauthmail-register-steps' style='list-style:none;padding-left:0'>" + "".join(out) + "</ul>"


class RegisterView:
    """Name, address, app type, one button; each Graph step ticking off below it."""

    def __init__(self, ctrl: RegisterController) -> None:
        from .views import LABEL, _fit, _w, status_html

        w = _w()
        self.ctrl = ctrl
        lang = ctrl.session.lang
        wide = w.Layout(width="70%")
        self.name = w.Text(value="oauthmail mailer", description=L_APP_NAME.format(lang), layout=wide, style=LABEL)
        self.email = w.Text(description=L_REG_EMAIL.format(lang), placeholder="you@contoso.com", layout=wide,
                            style=LABEL)
        self.tenant = w.Text(description=L_REG_TENANT.format(lang), placeholder="contoso.com", layout=wide,
                             style=LABEL)
        self.kind = w.Dropdown(options=[(L_PUBLIC_APP.format(lang), "public"), (L_WEB_APP.format(lang), "web")],
                               value="public", description=L_APP_TYPE.format(lang), style=LABEL,
                               layout=w.Layout(width="auto"))
        self.button = w.Button(description=L_REGISTER.format(lang), button_style="primary", layout=_fit(w))
        self.paste_box = w.Text(layout=wide)
        self.paste_button = w.Button(description=L_PASTE_DONE.format(lang), layout=_fit(w))
        self.paste_row = w.HBox([self.paste_box, self.paste_button], layout=w.Layout(display="none"))
        self.status = w.HTML()
        self.steps = w.HTML()
        self._status_html = status_html
        self.button.on_click(lambda _b: self.ctrl.start(email=self.email.value, client_type=self.kind.value,
                                                        name=self.name.value, tenant=self.tenant.value))
        self.paste_button.on_click(lambda _b: self._paste())
        ctrl.subscribe(self._render)
        self.box = w.VBox([self.name, self.email, self.tenant, self.kind, self.button, self.paste_row, self.status,
                           self.steps])

    def _paste(self) -> None:
        text = self.paste_box.value
        self.paste_box.value = ""
        self.ctrl.paste(text)

    def _render(self) -> None:
        c = self.ctrl
        text = self._status_html(c)
        if c.status == "waiting" and c.auth_uri:
            url = html.escape(browser_link(c.session, c.auth_uri), quote=True)
            text = f"{html.escape(OPEN_LINK.format(c.session.lang, url=''))}<a href='{url}' target='_blank'>{url}</a>"
        self.status.value = text
        self.steps.value = steps_html(c.steps)
        self.paste_row.layout.display = "flex" if (c.remote and c.status == "waiting") else "none"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)  # type: ignore[no-untyped-call]


class RegistrationsView:
    """The apps the kit made, with a button to remove the newest one still in use."""

    def __init__(self, ctrl: RegistrationsController) -> None:
        from .views import _fit, _w, status_html

        w = _w()
        self.ctrl = ctrl
        lang = ctrl.session.lang
        self.refresh_button = w.Button(description=L_REFRESH.format(lang), layout=_fit(w))
        self.remove_button = w.Button(description=L_REMOVE_APP.format(lang), button_style="danger", layout=_fit(w))
        self.choice = w.Dropdown(options=[], layout=w.Layout(width="auto"))
        self.table = w.HTML()
        self.status = w.HTML()
        self._status_html = status_html
        self.refresh_button.on_click(lambda _b: self.ctrl.refresh())
        self.remove_button.on_click(lambda _b: self.choice.value and self.ctrl.remove(str(self.choice.value)))
        ctrl.subscribe(self._render)
        self.box = w.VBox([self.refresh_button, self.table, w.HBox([self.choice, self.remove_button]), self.status])

    def _render(self) -> None:
        c = self.ctrl
        self.table.value = c.table_html()
        live = [(f"{i.get('display_name')} ({i.get('app_id')})", i.get("app_id")) for i in c.items
                if not i.get("removed_at")]
        self.choice.options = live
        self.status.value = self._status_html(c)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)  # type: ignore[no-untyped-call]


__all__ = ["RegisterController", "RegisterView", "RegistrationsController", "RegistrationsView", "steps_html"]
