"""The notebooks' "your mailer" step: the same choices as ``oauthmail export``, a copy button, a test button.

:class:`MailersController` (no widgets: tests drive it) renders and writes a tool's configuration with
:mod:`oauthmail.export` and, where the tool is installed, sends a test message with it to the account
itself. :class:`MailersView` is a thin view: a tool picker, the text with a copy button, "Write file",
"Test it".
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..i18n import Msg
from .controllers import Controller
from .session import Session
from .views import View, _fit, _w, status_html

L_TOOL = Msg(en="Mail program", ja="メーラー")
L_WRITE = Msg(en="Write file", ja="ファイルに書き出す")
L_TEST = Msg(en="Test it", ja="試しに送る")
L_COPY = Msg(en="Copy", ja="コピー")
WRITTEN = Msg(en="Written: {paths}. {usage}", ja="書き出しました: {paths}。{usage}")
TESTED = Msg(en="{tool} sent a test message to {account}.", ja="{tool} で {account} にテストメールを送りました。")
TEST_FAILED = Msg(en="{tool} could not send ({output})", ja="{tool} で送れませんでした（{output}）")
NOT_INSTALLED = Msg(
    en="{program} is not installed here, so the test button is off; the configuration works wherever it is.",
    ja="この環境には {program} が入っていないため、テストのボタンは使えません。設定そのものは {program} のある環境で使えます。",
)
NO_TEST = Msg(
    en="This configuration has no automatic test here; follow the steps above on the machine that runs {tool}.",
    ja="この設定はここでは自動で試せません。{tool} を動かすマシンで上の手順に従ってください。",
)

#: Tools whose test sends a real message with the exported file.
TESTABLE = ("msmtp", "python", "curl", "git-send-email")


class MailersController(Controller):
    """Render, write and test one tool's configuration for the session's INI account."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        from ..export import TOOLS

        self.tools = list(TOOLS)
        self.tool = "msmtp"
        self.text = ""
        self.program = ""
        self.written: list[Path] = []

    def render(self, tool: str | None = None) -> str:
        from ..export import render

        self.tool = tool or self.tool
        try:
            exp = render(self.session.ini(), self.tool, self.session.account or None, lang=self.session.lang)
        except Exception as exc:
            self._fail(exc)
            return ""
        self.program = exp.program
        self.text = "".join((f"# ---- {f.name} ----\n" if len(exp.files) > 1 else "") + f.text for f in exp.files)
        self._set("idle", "" if self.installed() else NOT_INSTALLED.format(self.session.lang, program=self.program))
        return self.text

    def installed(self) -> bool:
        return bool(self.program) and shutil.which(self.program) is not None

    def can_test(self) -> bool:
        return self.tool in TESTABLE and self.installed()

    def write(self) -> list[Path]:
        from ..export import write_export

        try:
            w = write_export(self.session.ini(), self.tool, self.session.account or None, lang=self.session.lang)
        except Exception as exc:
            self._fail(exc)
            return []
        self.written = list(w.paths)
        self._set("done", WRITTEN.format(self.session.lang, paths=", ".join(str(p) for p in w.paths), usage=w.usage))
        return self.written

    def test(self, timeout: float = 90) -> bool:
        """Send a message to the account itself with the exported file (the file is written first)."""
        lang = self.session.lang
        if not self.can_test():
            self._set("idle", NO_TEST.format(lang, tool=self.tool))
            return False
        paths = self.written if self.written and self.written[0].parent.name == self.tool else self.write()
        if not paths:
            return False
        from .. import tokenfile

        account = tokenfile.read(self.session.ini()).account(self.session.account or None).email
        f = str(paths[0])
        with tempfile.TemporaryDirectory() as tmp:
            eml = Path(tmp) / "m.eml"
            eml.write_bytes(f"From: {account}\r\nTo: {account}\r\nSubject: oauthmail export test ({self.tool})\r\n\r\n"
                            f"Sent by {self.tool} with the configuration from oauthmail export.\r\n".encode())
            argv: dict[str, list[str]] = {
                "msmtp": ["msmtp", "-C", f, "-a", account, account],
                "python": ["python3", f, account, f"oauthmail export test ({self.tool})"],
                "curl": ["sh", f, account, str(eml)],
                "git-send-email": ["git", "config", "-f", f, "--get", "sendemail.smtpauth"],
            }
            try:
                p = subprocess.run(argv[self.tool], input=eml.read_text() if self.tool == "msmtp" else None,
                                   capture_output=True, text=True, timeout=timeout)
            except (OSError, subprocess.TimeoutExpired) as exc:
                self._set("failed", TEST_FAILED.format(lang, tool=self.tool, output=type(exc).__name__))
                return False
        from ..secrets import redact

        if p.returncode != 0:
            out = redact((p.stderr or p.stdout).strip())[-300:]
            self._set("failed", TEST_FAILED.format(lang, tool=self.tool, output=out))
            return False
        self._set("done", TESTED.format(lang, tool=self.tool, account=account))
        return True


def copy_html(text: str, label: str) -> str:
    """The text in a ``<pre>`` with a button that copies it in the browser (no kernel round trip)."""
    return (f"<button class='jupyter-button' onclick=\"navigator.clipboard.writeText("
            f"this.nextElementSibling.textContent)\">{html.escape(label)}</button>"
            f"<pre style='max-height:22em;overflow:auto'>{html.escape(text)}</pre>")


class MailersView(View):
    def __init__(self, ctrl: MailersController) -> None:
        w = _w()
        self.ctrl = ctrl
        lang = ctrl.session.lang
        self.picker = w.Dropdown(options=ctrl.tools, value=ctrl.tool, description=L_TOOL.format(lang),
                                 style={"description_width": "initial"})
        self.text = w.HTML()
        self.write_button = w.Button(description=L_WRITE.format(lang), icon="file", layout=_fit(w))
        self.test_button = w.Button(description=L_TEST.format(lang), icon="paper-plane", layout=_fit(w))
        self.status = w.HTML()
        self.picker.observe(lambda change: self.ctrl.render(change["new"]), names="value")
        self.write_button.on_click(lambda _b: self.ctrl.write())
        self.test_button.on_click(lambda _b: self.ctrl.test())
        ctrl.subscribe(self._render)
        self.box = w.VBox([self.picker, self.text, w.HBox([self.write_button, self.test_button]), self.status])
        ctrl.render()

    def _render(self) -> None:
        lang = self.ctrl.session.lang
        self.text.value = copy_html(self.ctrl.text, L_COPY.format(lang)) if self.ctrl.text else ""
        self.test_button.disabled = not self.ctrl.can_test()
        self.status.value = status_html(self.ctrl)


