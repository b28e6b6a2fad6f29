"""The trainer's notebook (05_trainer): a thin ipywidgets view over
:class:`oauthmail.classroom.trainer.TrainerController`.

    from oauthmail.ui.trainer import Trainer
    Trainer.start()          # language from the notebook's folder

With ``OAUTHMAIL_AUTORUN=1`` the view reads the trainer's own ``OAUTHMAIL_HOME`` (a class of one:
the records the other notebooks wrote) and presses its button itself, so the notebook runs top to
bottom with no one clicking.
"""

from __future__ import annotations

import html

from ..classroom.trainer import L_OPEN_HTML, L_PATTERN, L_REFRESH, L_WATCH, TrainerController
from .session import autorun_enabled, notebook_language
from .views import LABEL, View, _fit, _w


class Trainer(View):
    """Pattern box, read button, watch toggle, status line, the picture and the console table."""

    def __init__(self, ctrl: TrainerController) -> None:
        w = _w()
        self.ctrl = ctrl
        lang = ctrl.lang
        self.pattern = w.Text(value=ctrl.pattern, description=L_PATTERN.format(lang), style=LABEL,
                              layout=w.Layout(width="48em"))
        self.button = w.Button(description=L_REFRESH.format(lang), button_style="primary", icon="refresh",
                               layout=_fit(w))
        self.watch = w.Checkbox(value=False, description=L_WATCH.format(lang), indent=False)
        self.status = w.HTML()
        self.picture = w.HTML()
        self.table = w.Textarea(disabled=True, layout=w.Layout(width="100%", height="14em"))
        self.table.layout.display = "none"
        self.button.on_click(lambda _b: self.read())
        self.watch.observe(lambda change: self.ctrl.watch(bool(change["new"])), names="value")
        ctrl.subscribe(self._render)
        self.box = w.VBox([self.pattern, w.HBox([self.button, self.watch]), self.status, self.picture, self.table])

    @classmethod
    def start(cls, *, lang: str | None = None, pattern: str | None = None) -> Trainer:
        lang = lang or notebook_language()
        autorun = autorun_enabled()
        if autorun and pattern is None:
            from ..paths import home

            pattern = str(home())  # a class of one: the records the other notebooks wrote
        view = cls(TrainerController(lang, pattern))
        view._ipython_display_()
        if autorun:
            view.button.click()
            print(view.ctrl.table or view.ctrl.message)  # what the run's saved notebook shows as text
        return view

    def read(self) -> None:
        self.ctrl.pattern = self.pattern.value
        self.ctrl.refresh()

    def _render(self) -> None:
        ctrl = self.ctrl
        colour = "#a00" if ctrl.status == "failed" else "#070"
        parts = [f"<span style='color:{colour}'>{html.escape(ctrl.message)}</span>"]
        if ctrl.status == "done" and ctrl.html:
            # The same page as the file, in a frame of its own (its styles stay out of JupyterLab's).
            parts.append(f"<iframe title='class' srcdoc=\"{html.escape(ctrl.html, quote=True)}\" "
                         "style='width:100%;height:24em;border:1px solid #d0d7de;margin-top:.5em'></iframe>")
            parts.append(f"<div><a download='class-report.html' href='{ctrl.html_data_uri}'>"
                         f"{html.escape(L_OPEN_HTML.format(ctrl.lang))}</a> "
                         f"(<code>{html.escape(str(ctrl.html_path))}</code>)</div>")
        self.status.value = parts[0]
        self.picture.value = "".join(parts[1:])
        self.table.value = ctrl.table
        self.table.layout.display = "flex" if ctrl.table else "none"

    def _ipython_display_(self) -> None:
        try:
            from IPython.display import display
        except ImportError:  # plain Python: nothing to draw
            return
        display(self.box)  # type: ignore[no-untyped-call]
