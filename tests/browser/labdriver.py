"""Driving JupyterLab in headless Chromium the way a person does.

Pure helpers (a free port, the Chromium launch arguments, why the browser tests are skipped), a
stateful :class:`LabServer` (one JupyterLab process) and a :class:`LabPage` (one browser tab on
it, with person-sized actions: open a notebook, run it, type into a widget, upload a file through
the picker, click a button by its label, follow the tab a link opens, wait for a text, take a
screenshot). Every wait is an explicit wait for a visible state, never a fixed sleep.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.sandbox_fixtures import free_port

#: Debian's Chromium; ``OAUTHMAIL_CHROMIUM`` points at another Chromium-based browser if needed.
CHROMIUM = Path(os.environ.get("OAUTHMAIL_CHROMIUM") or "/usr/bin/chromium")

#: Debian Chromium as this machine can run it: no sandbox as root, no GPU, and no background
#: connections (the closed network refuses them by the dozen otherwise). Playwright adds a fresh,
#: empty --user-data-dir and --headless itself.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
)

#: Milliseconds: generous, because 2 shared cores run the server, the kernels and the browser.
LONG = 60_000
MEDIUM = 30_000

#: JupyterLab settings for the test server (the user settings folder): widget state never saved into
#: the notebook (also the default, pinned here as it is for `make lab` and Binder), no news toast, and
#: every cell kept in the DOM so locators find widgets in cells scrolled out of view.
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyter-widgets/jupyterlab-manager/plugin": {"saveState": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
}


def browser_skip_reason(chromium: Path = CHROMIUM) -> str:
    """Why the browser tests cannot run here ("" when they can)."""
    if os.environ.get("OAUTHMAIL_SKIP_BROWSER", "").strip() in ("1", "true", "yes"):
        return "OAUTHMAIL_SKIP_BROWSER is set"
    if not chromium.exists():
        return f"{chromium} not found"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (pip install -e '.[browser]')"
    return ""


def launch_chromium(pw: Any, executable: Path = CHROMIUM) -> Any:
    """Debian's Chromium through Playwright (its own browser download is impossible here)."""
    return pw.chromium.launch(executable_path=str(executable), headless=True, args=list(CHROMIUM_ARGS))


TRANSLATION_PLUGIN = "@jupyterlab/translation-extension:plugin"


def locale_for(notebook: str) -> str:
    """``ja/…`` notebooks are walked with JupyterLab in Japanese."""
    return "ja_JP" if notebook.replace("\\", "/").split("/")[0] == "ja" else "en"


def write_lab_settings(folder: Path, settings: dict[str, dict[str, Any]] = LAB_SETTINGS) -> None:
    """Write ``<plugin>.jupyterlab-settings`` files the way JupyterLab's user settings folder holds them."""
    for plugin, values in settings.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


class LabServer:
    """One JupyterLab on a free loopback port, with a random token and its own throw-away state."""

    def __init__(self, *, root: Path, env: dict[str, str], state: Path, token: str) -> None:
        self.root = root
        self.env = dict(env)
        self.state = state
        self.token = token
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = state / "jupyterlab.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, notebook: str) -> str:
        """The address a person opens; ``?reset`` drops any restored workspace (hidden tabs)."""
        return f"{self.base}/lab/tree/{notebook}?reset&token={self.token}"

    def start(self, timeout: float = 90.0) -> None:
        settings = self.state / "user-settings"
        write_lab_settings(settings)
        for sub in ("config", "runtime", "data", "ipython", "workspaces"):
            (self.state / sub).mkdir(parents=True, exist_ok=True)
        env = dict(self.env)
        env.update({
            "JUPYTER_CONFIG_DIR": str(self.state / "config"),
            "JUPYTER_RUNTIME_DIR": str(self.state / "runtime"),
            "JUPYTER_DATA_DIR": str(self.state / "data"),
            "IPYTHONDIR": str(self.state / "ipython"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONUNBUFFERED": "1",
        })
        self.port = free_port()
        cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={self.root}",
               f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={self.state / 'workspaces'}",
               "--ServerApp.allow_root=True", "--LabApp.news_url=", "--ServerApp.terminals_enabled=False",
               # window.jupyterapp: the tests run JupyterLab commands by id, never through (translated) menus
               "--LabApp.expose_app_in_browser=True"]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, cwd=self.root)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status")
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:]).replace(self.token, "<token>")

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, method=method, data=data,
                                     headers={"Authorization": f"token {self.token}",
                                              **({"Content-Type": "application/json"} if data else {})})
        with urllib.request.urlopen(req, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def set_locale(self, locale: str) -> None:
        """JupyterLab's own language (Settings → Language), read by the next page load."""
        self.api("PUT", f"/lab/api/settings/{TRANSLATION_PLUGIN}", {"raw": json.dumps({"locale": locale})})

    def shutdown_kernels(self) -> None:
        """End every session and kernel so the next test starts clean (and port 48888 is free)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            for session in self.api("GET", "/api/sessions") or []:
                self.api("DELETE", f"/api/sessions/{session['id']}")
            for kernel in self.api("GET", "/api/kernels") or []:
                self.api("DELETE", f"/api/kernels/{kernel['id']}")
        except (OSError, urllib.error.URLError):
            pass

    def stop(self) -> None:
        self.shutdown_kernels()
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    def notebook_file(self, notebook: str) -> Path:
        return self.root / notebook


def update_screenshots() -> bool:
    return os.environ.get("OAUTHMAIL_UPDATE_SCREENSHOTS", "").strip() in ("1", "true", "yes")


class LabPage:
    """One browser tab on JupyterLab, with the actions a person takes in a notebook."""

    VISIBLE_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

    def __init__(self, page: Any, server: LabServer, shots: Path, *, docs_dir: Path | None = None) -> None:
        self.page = page
        self.server = server
        self.shots = shots
        self.docs_dir = docs_dir
        self.notebook = ""
        self._n = 0
        self.popups: list[Any] = []

    # --- where things are -------------------------------------------------------------------------

    @property
    def panel(self) -> Any:
        """The notebook a person is looking at (a restored or background tab never matches)."""
        return self.page.locator(self.VISIBLE_PANEL)

    def cells(self) -> Any:
        return self.panel.locator(".jp-Cell")

    def code_cells(self) -> Any:
        return self.panel.locator(".jp-CodeCell")

    def button(self, label: str, *, nth: int = 0) -> Any:
        """A widget button by its visible label (exact), in the visible notebook."""
        return self.panel.locator("button.jupyter-button").filter(
            has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).nth(nth)

    def widget(self, kind: str, label: str) -> Any:
        """A widget (``password``, ``text``, ``textarea``, ``dropdown``, ``upload`` …) by its description.

        ipywidgets 8 draws a Password as a ``.widget-text`` holding an ``input[type=password]``.
        """
        css = ".widget-text:has(input[type=password])" if kind == "password" else f".widget-{kind}"
        return self.panel.locator(css).filter(has=self.page.locator(".widget-label", has_text=label))

    def text(self, text: str | re.Pattern[str]) -> Any:
        return self.panel.get_by_text(text)

    # --- a person's actions -----------------------------------------------------------------------

    def open(self, notebook: str) -> None:
        """Open a notebook fresh (no restored workspace) and wait for its kernel to be idle.

        JupyterLab is in Japanese for a notebook under ``ja/`` (the language pack, as ``make lab`` starts
        it with ``OAUTHMAIL_START=ja/…``), in English otherwise.
        """
        self.notebook = notebook
        self.server.set_locale(locale_for(notebook))
        self.page.goto(self.server.url(notebook), wait_until="domcontentloaded")
        self.panel.wait_for(state="visible", timeout=LONG)
        self._accept_kernel_dialog()
        self.wait_idle()

    def _accept_kernel_dialog(self) -> None:
        """A notebook without a known kernelspec asks which kernel: answer as a person would."""
        dialog = self.page.locator(".jp-Dialog")
        try:
            dialog.wait_for(state="visible", timeout=1500)
        except Exception:
            return
        self.page.locator(".jp-Dialog .jp-mod-accept").click()

    def kernel_idle(self) -> Any:
        return self.panel.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']")

    def wait_idle(self, timeout: int = LONG) -> None:
        """The kernel is idle and no cell shows ``[*]`` (queued or running)."""
        self.kernel_idle().wait_for(state="attached", timeout=timeout)
        self.page.wait_for_function(
            """(sel) => { const p = document.querySelector(sel); if (!p) return false;
                 return ![...p.querySelectorAll('.jp-InputArea-prompt')].some(e => e.textContent.includes('*'))
                   && !!p.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']"); }""",
            arg=self.VISIBLE_PANEL, timeout=timeout)

    def assert_no_tracebacks(self) -> None:
        """No cell of the visible notebook ended in an error (a person would see a red traceback)."""
        errors = self.panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        texts = [errors.nth(i).inner_text() for i in range(errors.count())]
        tracebacks = [t for t in texts if "Traceback" in t or "Error" in t]
        assert not tracebacks, "a cell failed:\n" + "\n---\n".join(t[-1500:] for t in tracebacks)

    def command(self, command_id: str) -> None:
        """Run a JupyterLab command by its id (the same whatever language the menus are in)."""
        self.page.evaluate("(id) => window.jupyterapp.commands.execute(id)", command_id)

    def menu_labels(self) -> list[str]:
        """The menu bar as a person reads it (to check the UI language, never to find a command)."""
        return [t.strip() for t in self.page.locator(".lm-MenuBar-item").all_inner_texts()]

    def run_all(self, timeout: int = LONG) -> None:
        """Run every cell by the command (Run → Run All Cells), then wait until each code cell has run.

        A menu click while JupyterLab is still connecting the kernel can be dropped; a person
        would click again, and so do we, once, if no cell has started after a while.
        """
        for attempt in range(2):
            self.command("notebook:run-all-cells")  # Run → Run All Cells / 実行 → すべてのセルを実行
            try:
                self.page.wait_for_function(
                    """(sel) => [...document.querySelectorAll(sel + ' .jp-CodeCell .jp-InputArea-prompt')]
                         .some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))""",
                    arg=self.VISIBLE_PANEL, timeout=15_000 if attempt == 0 else timeout)
                break
            except Exception:
                if attempt:
                    raise
        # Every code cell has run, or one failed (JupyterLab then skips the rest; the caller's
        # assert_no_tracebacks says which).
        self.page.wait_for_function(
            """(sel) => [...document.querySelectorAll(sel + ' .jp-CodeCell .jp-InputArea-prompt')]
                 .every(e => /\\[\\d+\\]/.test(e.textContent))
               || !!document.querySelector(sel + " .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")""",
            arg=self.VISIBLE_PANEL, timeout=timeout)
        self.wait_idle(timeout)

    def run_cell(self, index: int, timeout: int = LONG) -> None:
        """Click a cell and press Shift+Enter, as a person stepping through does."""
        cell = self.cells().nth(index)
        cell.scroll_into_view_if_needed()
        cell.locator(".jp-InputArea-prompt").click()
        self.page.keyboard.press("Shift+Enter")
        self.wait_idle(timeout)

    def run_cells_one_by_one(self, timeout: int = LONG) -> None:
        for i in range(self.cells().count()):
            self.run_cell(i, timeout)

    def click(self, label: str, *, nth: int = 0) -> None:
        btn = self.button(label, nth=nth)
        btn.scroll_into_view_if_needed()
        btn.click()

    def fill(self, kind: str, label: str, value: str) -> None:
        """Type into a Text / Password / Textarea widget found by its description."""
        box = self.widget(kind, label).locator("input, textarea").first
        box.scroll_into_view_if_needed()
        box.fill(value)
        box.press("Tab")  # widgets sync their value on change/blur

    def fill_password(self, label: str, value: str) -> None:
        self.fill("password", label, value)

    def upload(self, label: str, path: Path) -> None:
        """Pick a file in the FileUpload's file chooser (the widget's input is never in the DOM)."""
        btn = self.panel.locator(".widget-upload", has_text=label).first
        btn.scroll_into_view_if_needed()
        with self.page.expect_file_chooser() as chooser:
            btn.click()
        chooser.value.set_files(str(path))

    def select(self, label: str, option: str) -> None:
        self.widget("dropdown", label).locator("select").select_option(label=option)

    def follow_popup(self, action: Callable[[], None], timeout: int = MEDIUM) -> Any:
        """Do something that opens a new tab (a ``target=_blank`` link) and return that tab, loaded."""
        with self.page.context.expect_page(timeout=timeout) as info:
            action()
        popup = info.value
        popup.wait_for_load_state("domcontentloaded")
        self.popups.append(popup)
        return popup

    def close_popup(self, popup: Any) -> None:
        """Close a tab the notebook opened and bring JupyterLab back to the front.

        Headless Chromium treats a background tab like a hidden one (no animation frames), so
        screenshots and some widget updates of the notebook would stall until it is in front again.
        """
        if not popup.is_closed():
            popup.close()
        self.page.bring_to_front()

    def click_link(self, text: str) -> Any:
        """Click a link in the notebook that opens in a new tab; return the tab."""
        link = self.panel.locator("a", has_text=text).first
        link.scroll_into_view_if_needed()
        return self.follow_popup(link.click)

    def wait_text(self, text: str | re.Pattern[str], timeout: int = LONG) -> Any:
        loc = self.text(text).first
        loc.wait_for(state="visible", timeout=timeout)
        return loc

    def save(self, timeout: int = MEDIUM) -> Path:
        """Save with the toolbar button (Ctrl+S inside a widget input does not save) and wait for the file."""
        path = self.server.notebook_file(self.notebook)
        before = path.stat().st_mtime_ns if path.exists() else 0
        self.panel.locator("[data-command='docmanager:save']").first.click()
        deadline = time.monotonic() + timeout / 1000
        while time.monotonic() < deadline:
            if path.exists() and path.stat().st_mtime_ns != before and self._dirty_gone():
                return path
            self.page.wait_for_timeout(100)
        raise AssertionError(f"{self.notebook} was not saved within {timeout / 1000:.0f} s")

    def _dirty_gone(self) -> bool:
        return self.page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count() == 0

    # --- screenshots ------------------------------------------------------------------------------

    def shot(self, name: str, *, target: Any = None, doc: str | None = None, page: Any = None,
             doc_target: Any = None) -> Path:
        """A screenshot of the tab (or of ``target`` scrolled into view) into test-artifacts.

        With ``doc`` and ``OAUTHMAIL_UPDATE_SCREENSHOTS=1`` a smaller picture goes to
        ``docs/screenshots/<doc>.png`` (committed: the README and docs show them): the notebook cell
        holding ``target`` (or ``doc_target``), else the whole tab.
        """
        self._n += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{self._n:02d}-{name}.png"
        page = page or self.page
        page.bring_to_front()
        if target is not None:
            target.scroll_into_view_if_needed()
            self.page.wait_for_timeout(150)  # the scroll settles before the pixels are taken
        self._retry(lambda: page.screenshot(path=str(path)))
        if doc and self.docs_dir is not None and update_screenshots():
            self.docs_dir.mkdir(parents=True, exist_ok=True)
            out = self.docs_dir / f"{doc}.png"
            element = doc_target if doc_target is not None else (self.cell_of(target) if target is not None else None)
            if element is not None:
                self._retry(lambda: element.screenshot(path=str(out)))
            else:
                shutil.copyfile(path, out)
        return path

    def cell_of(self, target: Any) -> Any:
        """The notebook cell (input and output) that holds ``target``."""
        return target.locator("xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' jp-Cell ')][1]")

    def _retry(self, take: Callable[[], Any], attempts: int = 3) -> None:
        """Chromium now and then answers "Unable to capture screenshot" on a busy machine: try again."""
        for i in range(attempts):
            try:
                take()
                return
            except Exception:
                if i == attempts - 1:
                    raise
                self.page.wait_for_timeout(500)


    def record_failure(self, console: list[str] | None = None) -> None:
        """After a failed test: a screenshot of every open tab, the browser console, the notebook's text."""
        notes: list[str] = list(console or [])
        for name, page in [("failure", self.page)] + [("failure-tab", p) for p in self.popups if not p.is_closed()]:
            try:
                self.shot(name, page=page)
            except Exception as exc:  # the failure itself is already reported; keep what we can
                notes.append(f"screenshot {name}: {exc!r}")
        try:
            notes.append(self.panel.inner_text(timeout=5000))
        except Exception as exc:
            notes.append(f"panel text: {exc!r}")
        self.shots.mkdir(parents=True, exist_ok=True)
        (self.shots / "failure.txt").write_text("\n".join(notes), encoding="utf-8")


def secrets_in(text: str, values: dict[str, str]) -> list[str]:
    """Names of the secret values (longer than 6 characters) found in ``text``."""
    return sorted(name for name, value in values.items() if value and len(value) > 6 and value in text)
