"""ipywidgets 8 views: each builds its widgets and binds them to one controller's methods.

No logic lives here that a controller does not have; the tests click these buttons
(``view.button.click()``) and set values without a browser. Secrets typed into a Password box
are read once and cleared; no Label/HTML ever shows one.
"""

from __future__ import annotations

import html
import threading
import time
from typing import Any

from ..errors import OAuthMailError
from ..i18n import Msg
from ..i18n.labels import (
    L_ACC_ANY,
    L_ACC_ORG,
    L_ACC_PERSONAL,
    L_ACC_TENANT,
    L_ACCOUNT,
    L_ACCOUNT_TYPE,
    L_APP_KIND,
    L_BODY,
    L_CANCEL,
    L_CAUSES,
    L_CHECK,
    L_CLIENT_ID,
    L_CLIENT_KIND,
    L_CLIENT_SECRET,
    L_CONFIDENTIAL,
    L_DEVICE,
    L_DOCTOR,
    L_DOWNLOAD_RECORD,
    L_EMAIL,
    L_EMAIL_PH,
    L_ERROR,
    L_EXPIRES,
    L_EXPLAIN,
    L_EXPLAIN_TEXT,
    L_EXPORT,
    L_HINT,
    L_INI_NO_DOWNLOAD,
    L_INI_PATH,
    L_KIND_DESKTOP,
    L_KIND_WEB,
    L_LOAD,
    L_MODE,
    L_MODE_REAL_NOTE,
    L_MODE_SANDBOX_NOTE,
    L_OPEN_LINK,
    L_PASTE,
    L_PASTE_BUTTON,
    L_PASTE_PH,
    L_PUBLIC,
    L_REAL_GOOGLE,
    L_REAL_MICROSOFT,
    L_SANDBOX,
    L_SEND,
    L_START,
    L_SUBJECT,
    L_TENANT,
    L_TO,
    L_TO_PH,
    L_TRANSCRIPT,
    L_TRANSPORT,
    L_UPLOAD,
    L_USE_SANDBOX,
    L_USE_VALUES,
    L_VIA_GMAIL_API,
    L_VIA_GRAPH,
    L_VIA_SMTP,
    L_WHAT,
    L_WHERE,
)
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

# --- widget texts --------------------------------------------------------------------------------


L_AUTO = Msg(en="(ticked automatically: autorun)", ja="（自動実行のため自動でチェック）")
L_ELAPSED = Msg(en="{seconds} s", ja="{seconds} 秒")


W_STATE_ON = Msg(
    en="Heads-up: JupyterLab is set to save widget state, which would write what you type into widgets into this "
    ".ipynb. The kit clears the secret box after use; to be safe, turn off Settings → {setting} "
    "({note}make lab and Binder turn it off for you).",
    ja="注意: JupyterLab がウィジェットの状態を保存する設定になっています。このままでは、ウィジェットに入力した内容が"
    "この .ipynb に書き込まれます。キットはシークレットの入力欄を使用後に空にしますが、念のため「設定」メニューの"
    "{setting}のチェックを外してください（{note}make lab と Binder では最初からオフです）。",
)
#: Said only while the Japanese language pack has no translation for the item (labsetup.lab_label).
W_STATE_ENGLISH_ITEM = Msg(en="JupyterLab shows this item in English in every language; ",
                           ja="この項目は日本語版の JupyterLab でも英語のまま表示されます。")


def widget_state_warning(lang: str) -> str:
    """W_STATE_ON with the setting quoted exactly as this JupyterLab's Settings menu shows it."""
    from ..labsetup import SAVE_STATE_DOMAIN, SAVE_STATE_LABEL, lab_label, quote_lab_label

    untranslated = lang == "ja" and lab_label(SAVE_STATE_LABEL, SAVE_STATE_DOMAIN, lang) == SAVE_STATE_LABEL
    return W_STATE_ON.format(lang, setting=quote_lab_label(SAVE_STATE_LABEL, SAVE_STATE_DOMAIN, lang),
                             note=W_STATE_ENGLISH_ITEM.format(lang) if untranslated else "")


def _w() -> Any:
    import ipywidgets

    return ipywidgets


#: Room for the longest Japanese field label (about 15 full-width characters).
LABEL = {"description_width": "15em"}


def _fit(w: Any) -> Any:
    """A button as wide as its text (a VBox would otherwise stretch it across the cell)."""
    return w.Layout(width="max-content", min_width="8em")


def error_html(err: OAuthMailError | None, lang: str, fallback: str = "") -> str:
    """What happened and what to do, in the person's language (escaped)."""
    if err is None:
        return html.escape(fallback)
    return (f"<div class='oauthmail-error' style='color:#a00'><b>{html.escape(L_ERROR.format(lang))}:</b> "
            f"{html.escape(err.what(lang))}<br><b>{html.escape(L_HINT.format(lang))}:</b> "
            f"{html.escape(err.hint(lang))}</div>")


def status_html(ctrl: Any) -> str:
    lang = ctrl.session.lang
    if ctrl.status == "failed" or (ctrl.status == "waiting" and ctrl.error is not None):
        return error_html(ctrl.error, lang, ctrl.message)
    color = {"done": "#070", "waiting": "#a60", "working": "#a60", "cancelled": "#666"}.get(ctrl.status, "#333")
    return f"<span style='color:{color}'>{html.escape(ctrl.message)}</span>"


class View:
    """A box of widgets over a controller; shown by returning ``view.box`` or displaying the view."""

    box: Any

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)  # type: ignore[no-untyped-call]


class WaitIndicator:
    """Progress while a controller's network step runs on its thread, with a button to stop waiting."""

    def __init__(self, ctrl: Any, limit: int = 30) -> None:
        w = _w()
        self.ctrl = ctrl
        self.progress = w.IntProgress(value=0, min=0, max=limit, bar_style="info")
        self.elapsed = w.Label()
        self.cancel_button = w.Button(description=L_CANCEL.format(ctrl.session.lang), button_style="warning",
                                      layout=_fit(w))
        self.cancel_button.on_click(lambda _b: self.ctrl.abandon())
        self.box = w.HBox([self.progress, self.elapsed, self.cancel_button], layout=w.Layout(display="none"))
        self._ticker: threading.Thread | None = None

    def update(self) -> None:
        working = self.ctrl.status == "working"
        self.box.layout.display = "flex" if working else "none"
        if working and (self._ticker is None or not self._ticker.is_alive()):
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while self.ctrl.status == "working":
            secs = int(self.ctrl.elapsed())
            self.progress.value = min(secs, self.progress.max)
            self.elapsed.value = L_ELAPSED.format(self.ctrl.session.lang, seconds=secs)
            time.sleep(0.5)
        self.progress.value = 0
        self.elapsed.value = ""


class ModeView(View):
    """Sandbox (practice) or the real provider: one switch."""

    def __init__(self, session: Any, on_change: Any = None) -> None:
        w = _w()
        lang = session.lang
        self.session = session
        real = L_REAL_GOOGLE if session.provider == "google" else L_REAL_MICROSOFT
        self.toggle = w.ToggleButtons(options=[(L_SANDBOX.format(lang), "sandbox"), (real.format(lang), "real")],
                                      value=session.mode, description=L_MODE.format(lang),
                                      style={"description_width": "initial", "button_width": "auto"})
        self.note = w.HTML()
        self.warning = w.HTML()
        from ..labsetup import widget_state_saving_on

        if widget_state_saving_on():
            self.warning.value = f"<div style='color:#a60'>⚠ {html.escape(widget_state_warning(lang))}</div>"
        self._on_change = on_change
        self.toggle.observe(self._changed, names="value")
        self._render()
        self.box = w.VBox([self.toggle, self.note, self.warning])

    def _changed(self, change: dict[str, Any]) -> None:
        self.session.mode = change["new"]
        self.session.client = None
        self.session.ini_path = None
        self._render()
        if self._on_change:
            self._on_change()

    def _render(self) -> None:
        note = L_MODE_SANDBOX_NOTE if self.session.mode == "sandbox" else L_MODE_REAL_NOTE
        self.note.value = f"<i>{html.escape(note.format(self.session.lang))}</i>"


class ChecklistView(View):
    def __init__(self, ctrl: ChecklistController) -> None:
        w = _w()
        self.ctrl = ctrl
        self.boxes: dict[str, Any] = {}
        for tid, label in ctrl.labels():
            cb = w.Checkbox(value=ctrl.is_done(tid), description=label, indent=False,
                            layout=_fit(w))
            cb.observe(lambda change, tid=tid: self._ticked(tid, change["new"]), names="value")
            self.boxes[tid] = cb
        self.note = w.HTML()
        self._auto = False
        self.box = w.VBox([*self.boxes.values(), self.note])

    def _ticked(self, tid: str, value: bool) -> None:
        self.ctrl.set(tid, bool(value), auto=self._auto)

    def tick_all(self, *, auto: bool = False) -> None:
        """Tick every box as a click would (autorun marks them automatic)."""
        self._auto = auto
        try:
            for cb in self.boxes.values():
                cb.value = True
        finally:
            self._auto = False
        if auto:
            self.note.value = f"<small>{html.escape(L_AUTO.format(self.ctrl.session.lang))}</small>"


class ClientView(View):
    """Upload the client JSON or type the values; Azure tenant/account type and secret expiry."""

    def __init__(self, ctrl: ClientController) -> None:
        w = _w()
        self.ctrl = ctrl
        s = ctrl.session
        lang = s.lang
        wide = w.Layout(width="70%")
        style = LABEL
        self.upload = w.FileUpload(accept=".json,application/json", multiple=False, description=L_UPLOAD.format(lang),
                                   layout=_fit(w))
        self.client_id = w.Text(description=L_CLIENT_ID.format(lang), layout=wide, style=style)
        self.secret = w.Password(description=L_CLIENT_SECRET.format(lang), layout=wide, style=style)
        self.kind = w.Dropdown(options=[(L_KIND_DESKTOP.format(lang), "installed"), (L_KIND_WEB.format(lang), "web")],
                               value="web", description=L_CLIENT_KIND.format(lang), style=style,
                               layout=w.Layout(width="auto"))
        self.account_type = w.Dropdown(
            options=[(L_ACC_ORG.format(lang), "organizations"), (L_ACC_ANY.format(lang), "common"),
                     (L_ACC_PERSONAL.format(lang), "consumers"), (L_ACC_TENANT.format(lang), "tenant")],
            value="organizations", description=L_ACCOUNT_TYPE.format(lang), style=style, layout=w.Layout(width="auto"))
        self.tenant = w.Text(description=L_TENANT.format(lang), placeholder="00000000-0000-0000-0000-000000000000",
                             layout=wide, style=style)
        self.expires = w.DatePicker(description=L_EXPIRES.format(lang), style=style)
        # A dropdown, not a checkbox: the checklists are the only checkboxes in a notebook.
        self.public = w.Dropdown(options=[(L_CONFIDENTIAL.format(lang), False), (L_PUBLIC.format(lang), True)],
                                 value=False, description=L_APP_KIND.format(lang), style=style,
                                 layout=_fit(w))
        self.button = w.Button(description=L_USE_VALUES.format(lang), button_style="primary",
                               layout=_fit(w))
        self.sandbox_button = w.Button(description=L_USE_SANDBOX.format(lang), layout=_fit(w))
        self.status = w.HTML()
        self.warnings = w.HTML()
        self.upload.observe(self._uploaded, names="value")
        self.button.on_click(lambda _b: self.use_typed())
        self.sandbox_button.on_click(lambda _b: self.ctrl.use_sandbox(self.kind.value if s.provider == "google" else
                                                                      ("public" if self.public.value else "web")))
        ctrl.subscribe(self._render)
        self.mode_changed()
        if s.provider == "google":
            fields = [self.upload, self.client_id, self.secret, self.kind]
        else:
            fields = [self.client_id, self.secret, self.public, self.account_type, self.tenant, self.expires]
        self.box = w.VBox([*fields, w.HBox([self.button, self.sandbox_button]), self.status, self.warnings])

    def mode_changed(self) -> None:
        """The sandbox button only makes sense in the sandbox."""
        self.sandbox_button.layout.display = "" if self.ctrl.session.mode == "sandbox" else "none"
        if self.ctrl.values is not None and self.ctrl.session.client is None:
            self.ctrl.reset()  # the values belonged to the other mode

    def _uploaded(self, change: dict[str, Any]) -> None:
        files = change["new"]
        if not files:
            return
        f = files[0]
        self.ctrl.load_json(bytes(f.content), str(f.name))
        # Drop the uploaded bytes from the widget so the secret is not kept in the widget model.
        self.upload.value = ()

    def use_typed(self) -> None:
        secret = self.secret.value
        self.secret.value = ""  # read once, never kept in the widget (P37)
        if self.ctrl.session.provider == "google":
            self.ctrl.use_google(self.client_id.value, secret, kind=self.kind.value)
        else:
            tenant = self.tenant.value if self.account_type.value == "tenant" else self.account_type.value
            expires = self.expires.value.isoformat() if self.expires.value else ""
            self.ctrl.use_microsoft(self.client_id.value, secret, tenant=tenant, public=self.public.value,
                                    secret_expires=expires)

    def _render(self) -> None:
        self.status.value = status_html(self.ctrl)
        warnings = self.ctrl.warnings if self.ctrl.status == "done" else []
        self.warnings.value = "".join(f"<div style='color:#a60'>⚠ {html.escape(t)}</div>" for t in warnings)


class ConsentView(View):
    """Start button, link, status with progress, paste box (remote kernels), device code, Cancel."""

    def __init__(self, ctrl: ConsentController) -> None:
        w = _w()
        self.ctrl = ctrl
        lang = ctrl.session.lang
        self.email = w.Text(description=L_EMAIL.format(lang), placeholder=L_EMAIL_PH.format(lang),
                            layout=w.Layout(width="80%"), style=LABEL)
        api = (L_VIA_GRAPH, "graph") if ctrl.session.provider == "microsoft" else (L_VIA_GMAIL_API, "gmail-api")
        self.transport = w.Dropdown(options=[(L_VIA_SMTP.format(lang), "smtp"), (api[0].format(lang), api[1])],
                                    value="smtp", description=L_TRANSPORT.format(lang),
                                    style={"description_width": "15em"}, layout=_fit(w))
        self.button = w.Button(description=L_START.format(lang), button_style="primary", icon="sign-in",
                               layout=_fit(w))
        self.device_button = w.Button(description=L_DEVICE.format(lang), layout=_fit(w))
        self.cancel_button = w.Button(description=L_CANCEL.format(lang), button_style="warning", disabled=True,
                                      layout=_fit(w))
        self.link = w.HTML()
        self.status = w.HTML()
        self.progress = w.IntProgress(value=0, min=0, max=max(1, int(ctrl.timeout)), layout=w.Layout(visibility="hidden"))
        self.elapsed = w.Label()
        self.paste = w.Text(description=L_PASTE.format(lang), placeholder=L_PASTE_PH.format(lang),
                            layout=w.Layout(width="80%"), style={"description_width": "initial"})
        self.paste_button = w.Button(description=L_PASTE_BUTTON.format(lang), layout=_fit(w))
        self.paste_row = w.HBox([self.paste, self.paste_button], layout=w.Layout(display="none"))
        self.button.on_click(lambda _b: self.ctrl.start(self.email.value, self.transport.value))
        self.device_button.on_click(lambda _b: self.ctrl.start_device_code())
        self.cancel_button.on_click(lambda _b: self.ctrl.cancel())
        self.paste_button.on_click(lambda _b: self._pasted())
        ctrl.subscribe(self._render)
        buttons = [self.button, self.cancel_button]
        if ctrl.session.provider == "microsoft":
            buttons.insert(1, self.device_button)
        self._ticker: threading.Thread | None = None
        self.box = w.VBox([self.email, self.transport, w.HBox(buttons), self.link, w.HBox([self.progress, self.elapsed]), self.status,
                           self.paste_row])

    def _pasted(self) -> None:
        text = self.paste.value
        self.paste.value = ""  # the address carries a one-time code: do not keep it in the widget
        self.ctrl.paste(text)

    def _tick(self) -> None:
        while self.ctrl.status == "waiting":
            secs = int(self.ctrl.elapsed())
            self.progress.value = min(secs, self.progress.max)
            self.elapsed.value = L_ELAPSED.format(self.ctrl.session.lang, seconds=secs)
            time.sleep(1)
        self.elapsed.value = ""

    def _render(self) -> None:
        c = self.ctrl
        lang = c.session.lang
        waiting = c.status == "waiting"
        self.button.disabled = waiting
        self.device_button.disabled = waiting
        self.cancel_button.disabled = not waiting
        self.progress.layout.visibility = "visible" if waiting else "hidden"
        if not waiting:
            self.elapsed.value = ""
        if c.auth_uri and waiting and not c.device:
            self.link.value = (f"<a href='{html.escape(c.link(), quote=True)}' target='_blank' rel='noopener'>"
                               f"<b>{html.escape(L_OPEN_LINK.format(lang))}</b> ↗</a>")
        elif c.device and waiting:
            self.link.value = (f"<a href='{html.escape(c.device_link(), quote=True)}' target='_blank'>"
                               f"{html.escape(c.device['uri'])}</a> &nbsp; <code style='font-size:150%'>"
                               f"{html.escape(c.device['code'])}</code>")
        else:
            self.link.value = ""
        self.paste_row.layout.display = "flex" if waiting and (c.remote or c.session.mode == "real") and not c.device else "none"
        self.status.value = status_html(c)
        if waiting and (self._ticker is None or not self._ticker.is_alive()):
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()


class SendView(View):
    def __init__(self, ctrl: SendController) -> None:
        w = _w()
        self.ctrl = ctrl
        lang = ctrl.session.lang
        wide = w.Layout(width="70%")
        self.to = w.Text(value=ctrl.default_recipient(), description=L_TO.format(lang), layout=wide, style=LABEL,
                         placeholder=L_TO_PH.format(lang))
        self.subject = w.Text(value=ctrl.default_subject(), description=L_SUBJECT.format(lang), layout=wide,
                              style=LABEL)
        self.body = w.Textarea(value=ctrl.default_body(), description=L_BODY.format(lang), layout=wide, style=LABEL)
        self.button = w.Button(description=L_SEND.format(lang), button_style="primary", icon="paper-plane",
                               layout=_fit(w))
        self.status = w.HTML()
        self.transcript = w.Textarea(disabled=True, layout=w.Layout(width="95%", height="14em"))
        self.transcript_box = w.Accordion(children=[self.transcript], titles=(L_TRANSCRIPT.format(lang),))
        self.wait = WaitIndicator(ctrl)
        self.button.on_click(lambda _b: self.send())
        ctrl.subscribe(self._render)
        self.box = w.VBox([self.to, self.subject, self.body, self.button, self.wait.box, self.status,
                           self.transcript_box])

    def refresh_defaults(self) -> None:
        if not self.to.value:
            self.to.value = self.ctrl.default_recipient()

    def send(self) -> None:
        self.refresh_defaults()
        self.ctrl.send_async(self.to.value, self.subject.value, self.body.value)

    def _render(self) -> None:
        self.button.disabled = self.ctrl.status == "working"
        self.wait.update()
        self.status.value = status_html(self.ctrl)
        self.transcript.value = self.ctrl.transcript
        if self.ctrl.transcript:
            self.transcript_box.selected_index = 0


class ExportView(View):
    def __init__(self, ctrl: ExportController, *, reexport: bool = False) -> None:
        w = _w()
        self.ctrl = ctrl
        self.reexport = reexport
        self.button = w.Button(description=L_EXPORT.format(ctrl.session.lang), button_style="primary", icon="download",
                               layout=_fit(w))
        self.status = w.HTML()
        self.links = w.HTML()
        self.button.on_click(lambda _b: self.ctrl.export(reexport=self.reexport))
        ctrl.subscribe(self._render)
        self.box = w.VBox([self.button, self.status, self.links])

    def _render(self) -> None:
        lang = self.ctrl.session.lang
        self.status.value = status_html(self.ctrl)
        r = self.ctrl.result
        if r is None or self.ctrl.status != "done":
            self.links.value = ""
            return
        parts = [f"<div><code>{html.escape(str(r.ini))}</code> — {html.escape(L_INI_NO_DOWNLOAD.format(lang))}</div>"]
        if r.record is not None:
            parts.append(f"<div><a download='{html.escape(r.record.name, quote=True)}' "
                         f"href='{r.record_data_uri}'>{html.escape(L_DOWNLOAD_RECORD.format(lang))}</a> "
                         f"(<code>{html.escape(str(r.record))}</code>)</div>")
        self.links.value = "".join(parts)


class EnvironmentView(View):
    def __init__(self, ctrl: EnvironmentController) -> None:
        w = _w()
        self.ctrl = ctrl
        self.button = w.Button(description=L_CHECK.format(ctrl.session.lang), icon="stethoscope",
                               layout=_fit(w))
        self.table = w.HTML()
        self.status = w.HTML()
        self.wait = WaitIndicator(ctrl, limit=5)
        self.button.on_click(lambda _b: self.ctrl.check_async())
        ctrl.subscribe(self._render)
        self.box = w.VBox([self.button, self.wait.box, self.status, self.table])

    def _render(self) -> None:
        self.wait.update()
        self.status.value = status_html(self.ctrl) if self.ctrl.status in ("failed", "cancelled") else ""
        rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in self.ctrl.rows)
        rows += "".join(
            f"<tr><td>{html.escape(r.host)}:{r.port}</td><td style='color:{'#070' if r.ok else '#a00'}'>"
            f"{html.escape(r.text)}</td></tr>" for r in self.ctrl.reach)
        self.table.value = f"<table>{rows}</table>" if rows else ""


class IniView(View):
    def __init__(self, ctrl: IniController, path: str = "") -> None:
        w = _w()
        self.ctrl = ctrl
        lang = ctrl.session.lang
        self.path = w.Text(value=path, description=L_INI_PATH.format(lang), layout=w.Layout(width="80%"), style=LABEL)
        self.account = w.Text(description=L_ACCOUNT.format(lang), layout=w.Layout(width="60%"), style=LABEL)
        self.button = w.Button(description=L_LOAD.format(lang), button_style="primary", layout=_fit(w))
        self.status = w.HTML()
        self.button.on_click(lambda _b: self.ctrl.load(self.path.value, self.account.value))
        ctrl.subscribe(lambda: setattr(self.status, "value", status_html(self.ctrl)))
        self.box = w.VBox([self.path, self.account, self.button, self.status])


class DoctorView(View):
    def __init__(self, ctrl: DoctorController) -> None:
        w = _w()
        self.ctrl = ctrl
        self.button = w.Button(description=L_DOCTOR.format(ctrl.session.lang), icon="stethoscope",
                               button_style="primary", layout=_fit(w))
        self.status = w.HTML()
        self.table = w.HTML()
        self.wait = WaitIndicator(ctrl, limit=60)
        self.button.on_click(lambda _b: self.ctrl.run_async())
        ctrl.subscribe(self._render)
        self.box = w.VBox([self.button, self.wait.box, self.status, self.table])

    def _render(self) -> None:
        lang = self.ctrl.session.lang
        self.wait.update()
        self.status.value = status_html(self.ctrl)
        report = self.ctrl.report
        if report is None or self.ctrl.status != "done":
            self.table.value = ""
            return
        rows = []
        for check in getattr(report, "checks", []):
            d = check.to_dict(lang)
            status = str(d.get("status", ""))
            color = {"pass": "#070", "warn": "#a60", "fail": "#a00"}.get(status, "#666")
            verdict = DOCTOR_STATUS.get(status)
            shown = verdict.format(lang) if verdict else status
            rows.append(f"<tr><td style='color:{color}'><b>{html.escape(shown)}</b></td>"
                        f"<td>{html.escape(str(d.get('title') or ''))}</td>"
                        f"<td>{html.escape(str(d.get('detail') or ''))}</td>"
                        f"<td>{html.escape(str(d.get('fix') or ''))}</td></tr>")
        self.table.value = "<table>" + "".join(rows) + "</table>"


DOCTOR_STATUS = {
    "pass": Msg(en="OK", ja="OK"),
    "warn": Msg(en="warning", ja="注意"),
    "fail": Msg(en="FAILED", ja="失敗"),
    "skip": Msg(en="skipped", ja="スキップ"),
}


def _text(value: Any, lang: str) -> str:
    """A Msg in ``lang``, or the value as text."""
    if isinstance(value, Msg):
        return value.format(lang)
    return "" if value is None else str(value)


class ExplainView(View):
    def __init__(self, ctrl: ExplainController, text: str = "") -> None:
        w = _w()
        self.ctrl = ctrl
        lang = ctrl.session.lang
        self.text = w.Textarea(value=text, description=L_EXPLAIN_TEXT.format(lang), layout=w.Layout(width="90%"),
                               style=LABEL)
        self.button = w.Button(description=L_EXPLAIN.format(lang), button_style="primary", layout=_fit(w))
        self.result = w.HTML()
        self.button.on_click(lambda _b: self.ctrl.explain(self.text.value))
        ctrl.subscribe(self._render)
        self.box = w.VBox([self.text, self.button, self.result])

    def _render(self) -> None:
        lang = self.ctrl.session.lang
        e = self.ctrl.entry
        if e is None:
            self.result.value = status_html(self.ctrl)
            return
        parts = [f"<h4>{html.escape(_text(e.title, lang))}</h4>",
                 f"<p><b>{html.escape(L_WHAT.format(lang))}:</b> {html.escape(_text(e.what, lang))}</p>",
                 f"<p><b>{html.escape(L_HINT.format(lang))}:</b> {html.escape(_text(e.fix, lang))}</p>"]
        causes = [html.escape(_text(c, lang)) for c in getattr(e, "causes", ())]
        if causes:
            parts.append(f"<p><b>{html.escape(L_CAUSES.format(lang))}:</b></p><ul>"
                         + "".join(f"<li>{c}</li>" for c in causes) + "</ul>")
        where = getattr(e, "where", None)
        if where:
            parts.append(f"<p><b>{html.escape(L_WHERE.format(lang))}:</b> {html.escape(_text(where, lang))}</p>")
        self.result.value = "".join(parts)
