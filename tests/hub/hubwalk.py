"""One student's walk through the hub, for Playwright's async API (ten students in one browser at once).

Sync Playwright cannot drive ten tabs at the same time from one thread, so this is the async twin of
tests/browser's walk: the same selectors (widgets by their catalog label, cells by command id), the
same person-sized steps, plus what a hub adds — the hub's sign-in form, the server spawning, the
consent page reached at ``/user/<name>/proxy/<port>/…`` and the ``127.0.0.1:48888`` address the browser
cannot reach, pasted back into the notebook.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from labdriver import LAB_SETTINGS, TRANSLATION_PLUGIN
from walk import longest_literal, msg_pattern

from oauthmail.i18n import Msg

VISIBLE_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
#: Milliseconds. Generous (ten servers, ten kernels and ten sandboxes on two cores), never unbounded.
SPAWN = 300_000
LONG = 180_000
STEP = 90_000


def texts() -> dict[str, Msg]:
    from oauthmail.sandbox import pages
    from oauthmail.ui import controllers, views

    return {
        "upload": views.L_UPLOAD, "use_sandbox": views.L_USE_SANDBOX, "start": views.L_START,
        "open_link": views.L_OPEN_LINK, "send": views.L_SEND, "export": views.L_EXPORT,
        "client_ready": controllers.CLIENT_READY,
        "consent_done": controllers.CONSENT_DONE, "sent": controllers.SENT, "exported": controllers.EXPORTED,
        "allow": pages.ALLOW, "ms_accept": pages.MS_ACCEPT, "consent_remote": controllers.CONSENT_REMOTE,
        "port_wait": controllers.CONSENT_PORT_WAIT_REMOTE, "paste": views.L_PASTE,
        "paste_button": views.L_PASTE_BUTTON,
    }


def lab_settings(lang: str) -> dict[str, dict[str, Any]]:
    """The JupyterLab user settings of tests/browser, plus JupyterLab's own language for a ja student."""
    settings = dict(LAB_SETTINGS)
    settings[TRANSLATION_PLUGIN] = {"locale": "ja_JP" if lang == "ja" else "en"}
    return settings


@dataclass
class Student:
    name: str
    password: str
    lang: str
    provider: str  # google | microsoft
    home: Path  # the system user's home
    timings: dict[str, float] = field(default_factory=dict)
    saw_port_wait: bool = False
    proxied_consent: str = ""  # the consent page's address as the browser opened it (path only)
    pasted: str = ""  # the 127.0.0.1:48888 address pasted back (path only: it carried a one-time code)
    error: str = ""
    context: Any = None
    page: Any = None
    popups: list[Any] = field(default_factory=list)

    @property
    def notebook(self) -> str:
        return f"{self.lang}/{'01_gmail' if self.provider == 'google' else '02_microsoft365'}.ipynb"

    @property
    def kit_home(self) -> Path:
        return self.home / ".config" / "oauthmail"

    def sandbox_info(self, timeout: float = 90.0) -> dict[str, Any]:
        """The student's sandbox.json (read as root: it is 0600, the student's own).

        The notebook starts the sandbox as a process of its own, which writes the file a moment later.
        """
        path = self.kit_home / "sandbox" / "sandbox.json"
        deadline = time.monotonic() + timeout
        while True:
            try:
                info = json.loads(path.read_text(encoding="utf-8"))
                if info.get("status") == "running":
                    return dict(info)
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: no running sandbox in {path} after {timeout:.0f} s")
            time.sleep(0.5)


class StartGate:
    """Every student presses the sign-in button at the same moment (a student who failed earlier counts)."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.open = asyncio.Event()

    def arrive(self) -> None:
        self.arrived += 1
        if self.arrived >= self.parties:
            self.open.set()

    async def wait(self, timeout: float) -> None:
        self.arrive()
        await asyncio.wait_for(self.open.wait(), timeout)


class Walker:
    """Drives one student's tab; each method is one thing a person does."""

    def __init__(self, student: Student, hub_url: str, uploads: Path) -> None:
        self.s = student
        self.hub = hub_url
        self.uploads = uploads
        self.t = texts()
        self.started = time.monotonic()
        self.codes: list[str] = []

    def mark(self, step: str) -> None:
        self.s.timings[step] = round(time.monotonic() - self.started, 1)
        print(f"{self.s.name}: {step} at {self.s.timings[step]} s", flush=True)  # progress, with -s

    def label(self, key: str) -> str:
        return self.t[key].text(self.s.lang)

    @property
    def page(self) -> Any:
        return self.s.page

    @property
    def panel(self) -> Any:
        return self.page.locator(VISIBLE_PANEL)

    def button(self, key: str) -> Any:
        return self.panel.locator("button.jupyter-button").filter(
            has_text=re.compile(rf"^\s*{re.escape(self.label(key))}\s*$")).first

    async def click(self, key: str) -> None:
        btn = self.button(key)
        await btn.scroll_into_view_if_needed()
        await btn.click()

    async def wait_msg(self, key: str, timeout: int = STEP) -> str:
        """Wait until the notebook shows one of the kit's messages; return its text (checked whole)."""
        msg = self.t[key]
        loc = self.panel.get_by_text(longest_literal(msg, self.s.lang)).last
        await loc.wait_for(state="visible", timeout=timeout)
        shown = await loc.inner_text()
        assert msg_pattern(msg, self.s.lang).search(" ".join(shown.split())) or msg_pattern(msg, self.s.lang).search(shown), (
            f"{self.s.name}: {shown!r} does not read as {msg.text(self.s.lang)!r}")
        return shown

    # --- the hub --------------------------------------------------------------------------------

    async def sign_in_to_hub(self) -> None:
        page = self.page
        await page.goto(f"{self.hub}/hub/login", wait_until="domcontentloaded")
        await page.fill("#username_input", self.s.name)
        await page.fill("#password_input", self.s.password)
        await page.click("#login_submit")
        # The hub starts the student's server (spawn-pending page), then sends the browser to JupyterLab.
        await page.wait_for_url(re.compile(rf"/user/{re.escape(self.s.name)}/lab"), timeout=SPAWN)
        self.mark("hub_sign_in_and_spawn")

    async def open_notebook(self) -> None:
        await self.page.goto(f"{self.hub}/user/{self.s.name}/lab/tree/{self.s.notebook}?reset",
                             wait_until="domcontentloaded")
        await self.panel.wait_for(state="visible", timeout=LONG)
        await self.wait_kernel_ready(LONG)
        await self.wait_idle(LONG)
        self.mark("notebook_open")

    async def wait_kernel_ready(self, timeout: int) -> None:
        """The notebook's kernel is started and idle (a busy hub starts kernels seconds after the page shows).

        Run All before that opens JupyterLab's kernel dialog, and the run never starts.
        """
        await self.page.wait_for_function(
            """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                 const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
                 return !!k && k.connectionStatus === 'connected' && k.status === 'idle'; }""",
            timeout=timeout)

    async def wait_idle(self, timeout: int) -> None:
        await self.page.wait_for_function(
            """(sel) => { const p = document.querySelector(sel); if (!p) return false;
                 return ![...p.querySelectorAll('.jp-InputArea-prompt')].some(e => e.textContent.includes('*'))
                   && !!p.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']"); }""",
            arg=VISIBLE_PANEL, timeout=timeout)

    async def run_all(self) -> None:
        """Run → Run All Cells (by command id), once more if JupyterLab dropped the first while connecting."""
        for attempt in range(2):
            # Not awaiting the command's promise: it settles only when every cell has run (or never, behind a dialog).
            await self.page.evaluate("(id) => { window.jupyterapp.commands.execute(id); }", "notebook:run-all-cells")
            try:
                await self.page.wait_for_function(
                    """(sel) => [...document.querySelectorAll(sel + ' .jp-CodeCell .jp-InputArea-prompt')]
                         .some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))""",
                    arg=VISIBLE_PANEL, timeout=30_000 if attempt == 0 else LONG)
                break
            except Exception:
                if attempt:
                    raise
        await self.page.wait_for_function(
            """(sel) => [...document.querySelectorAll(sel + ' .jp-CodeCell .jp-InputArea-prompt')]
                 .every(e => /\\[\\d+\\]/.test(e.textContent))
               || !!document.querySelector(sel + " .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")""",
            arg=VISIBLE_PANEL, timeout=LONG)
        await self.wait_idle(LONG)
        errors = self.panel.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        texts = [await errors.nth(i).inner_text() for i in range(await errors.count())]
        tracebacks = [t for t in texts if "Traceback" in t or "Error" in t]
        assert not tracebacks, f"{self.s.name}: a cell failed:\n" + "\n---\n".join(t[-1500:] for t in tracebacks)
        await self.button("start").wait_for(state="visible", timeout=STEP)
        self.mark("notebook_ran")

    # --- the notebook's steps ---------------------------------------------------------------------

    async def tick_checklists(self) -> None:
        cells = self.panel.locator(".jp-CodeCell").filter(
            has=self.page.locator(".jp-InputArea-editor", has_text="checklist("))
        boxes = cells.locator(".jp-OutputArea .widget-checkbox input[type=checkbox]")
        count = await boxes.count()
        assert count >= 5, f"{self.s.name}: fewer console-step checkboxes than expected ({count})"
        for i in range(count):
            box = boxes.nth(i)
            await box.scroll_into_view_if_needed()
            if not await box.is_checked():
                await box.check()

    async def client(self) -> None:
        """In the sandbox both notebooks say: press "Use the sandbox client" (it plays the downloaded JSON)."""
        await self.click("use_sandbox")
        await self.wait_msg("client_ready")
        self.mark("client_ready")

    async def start_sign_in(self) -> None:
        """Press Start sign-in; the notebook says to paste (a remote kernel) and, for some, that 48888 is busy."""
        await self.click("start")
        self.mark("pressed_sign_in")
        await self.wait_msg("consent_remote")
        try:
            await self.panel.get_by_text(longest_literal(self.t["port_wait"], self.s.lang)).first.wait_for(
                state="visible", timeout=4_000)
            self.s.saw_port_wait = True
        except Exception:
            self.s.saw_port_wait = False

    async def consent(self) -> None:
        """Open the consent page through the hub, allow, copy the address the browser ended on, paste it."""
        link = self.panel.locator("a", has_text=self.label("open_link")).first
        await link.wait_for(state="visible", timeout=STEP)
        async with self.page.context.expect_page(timeout=STEP) as info:
            await link.click()
        popup = await info.value
        self.s.popups.append(popup)
        await popup.wait_for_load_state("domcontentloaded")
        self.s.proxied_consent = urlsplit(popup.url).path
        assert self.s.proxied_consent.startswith(f"/user/{self.s.name}/proxy/"), (
            f"{self.s.name}: the consent page was not reached through the hub: {popup.url.split('?')[0]}")
        await popup.locator("form#consent").wait_for(state="visible", timeout=STEP)
        # A person's browser is not on the hub's machine: the redirect to 127.0.0.1:48888 finds nothing there
        # ("This site can't be reached") and they copy the address. This browser IS on the hub's machine, and
        # Playwright's route() never sees a redirect's target, so the consent page's answers are fetched here
        # and a redirect to the 48888 address is answered with the browser's "can't be reached" instead.
        returned: list[str] = []

        async def through_hub(route: Any) -> None:
            response = await route.fetch(max_redirects=0)
            location = response.headers.get("location", "")
            if response.status in (301, 302, 303, 307) and ":48888/" in location:
                returned.append(location)
                await route.fulfill(status=200, content_type="text/html",
                                    body="<title>This site can't be reached</title><p>127.0.0.1 refused to connect.</p>")
            else:
                await route.fulfill(response=response)

        await popup.route(re.compile(rf"/user/{re.escape(self.s.name)}/proxy/\d+/"), through_hub)
        users = (await asyncio.to_thread(self.s.sandbox_info))["users"]
        account = users[0] if self.s.provider == "google" else next(u for u in users if not u.endswith("@example.com"))
        row = popup.locator("label.acct", has_text=account)
        if await row.count():
            await row.first.click()
        allow = self.label("allow") if self.s.provider == "google" else self.label("ms_accept")
        await popup.get_by_role("button", name=allow, exact=True).click()
        await popup.get_by_text("127.0.0.1 refused to connect.").wait_for(timeout=STEP)
        assert returned, f"{self.s.name}: the browser never went to the 127.0.0.1:48888 address"
        address = returned[-1]
        assert parse_qs(urlsplit(address).query).get("code"), f"{self.s.name}: no code in the returned address"
        self.s.pasted = urlsplit(address).path
        await popup.close()
        await self.page.bring_to_front()
        box = self.panel.locator(".widget-text").filter(
            has=self.page.locator(".widget-label", has_text=self.label("paste"))).locator("input").first
        await box.fill(address)
        await box.press("Tab")
        await self.click("paste_button")
        await self.wait_msg("consent_done", timeout=LONG)
        self.mark("signed_in")

    async def send(self) -> None:
        await self.click("send")
        await self.wait_msg("sent", timeout=LONG)
        self.mark("sent")

    async def export(self) -> None:
        await self.click("export")
        await self.wait_msg("exported", timeout=LONG)
        self.mark("exported")


async def record_failure(student: Student, folder: Path) -> list[Path]:
    """Screenshots of the student's tabs and the notebook's text, into ``folder``; the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pages = [("lab", student.page)] + [(f"tab{i}", p) for i, p in enumerate(student.popups)]
    for name, page in pages:
        if page is None or page.is_closed():
            continue
        path = folder / f"{student.name}-{name}.png"
        try:
            await page.screenshot(path=str(path), full_page=True, timeout=15_000)
            written.append(path)
        except Exception as exc:
            (folder / f"{student.name}-{name}.txt").write_text(f"screenshot failed: {exc!r}", encoding="utf-8")
    if student.page is not None and not student.page.is_closed():
        try:
            text = await student.page.locator(VISIBLE_PANEL).inner_text(timeout=5_000)
        except Exception as exc:
            text = f"panel text: {exc!r}; url {student.page.url}"
        path = folder / f"{student.name}-notebook.txt"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
