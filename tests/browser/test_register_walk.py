"""Notebook 02, path A in the browser: the kit creates the app registration through Graph, then signs in and sends.

A person types their address, picks a Web app (with a secret), clicks "let the kit create the app", signs
in once as an admin on the sandbox's Microsoft page that opens in a new tab, and watches the steps tick
off; then the notebook's own sign-in, the test message and the export, as in path B. The secret Graph
returned goes only into the token INI: it is searched for in what the notebook shows and saves.
"""

from __future__ import annotations

import re
from pathlib import Path

from labdriver import LONG, LabPage
from test_walks import Walk, assert_lab_language, subject_of
from walk import SandboxFacts, choose_account, wait_msg

from oauthmail import tokenfile
from oauthmail.i18n import Msg


def _texts() -> dict[str, Msg]:
    from oauthmail.ui import register

    return {"email": register.L_REG_EMAIL, "kind": register.L_APP_TYPE, "web": register.L_WEB_APP,
            "register": register.L_REGISTER, "created": register.CREATED}


def test_microsoft_path_a_kit_creates_the_app_ja(walk_lab: LabPage, sandbox_facts: SandboxFacts,
                                                 browser_home: Path) -> None:
    lang = "ja"
    t = _texts()
    walk = Walk(walk_lab, sandbox_facts, browser_home, lang, "microsoft")
    lab = walk.lab
    lab.open(walk.notebook)
    assert_lab_language(lab, lang)
    lab.run_all()
    lab.button(t["register"].text(lang)).wait_for(state="visible", timeout=LONG)
    lab.assert_no_tracebacks()

    admin = next(u for u in sandbox_facts.info["users"] if u.startswith("dave@"))
    # The register widgets come first in the notebook (the consent step further down has its own).
    box = lab.widget("text", t["email"].text(lang)).first.locator("input").first
    box.fill(admin)
    box.press("Tab")  # widgets sync their value on change/blur
    lab.widget("dropdown", t["kind"].text(lang)).first.locator("select").select_option(label=t["web"].text(lang))
    lab.click(t["register"].text(lang))
    link = lab.panel.locator("a[target=_blank]", has_text=re.compile(r"^https://127\.0\.0\.1:\d+/")).first
    link.wait_for(state="visible", timeout=LONG)
    lab.shot("register-waiting", target=link)
    popup = lab.follow_popup(link.click)
    popup.locator("form#consent").wait_for(state="visible", timeout=LONG)
    choose_account(popup, admin)
    lab.shot("register-sign-in", page=popup)
    popup.get_by_role("button", name=walk.s("ms_accept"), exact=True).click()
    created = wait_msg(lab, t["created"], lang, timeout=LONG)
    lab.close_popup(popup)
    steps = lab.panel.locator(".oauthmail-register-steps li[data-status]")
    assert steps.count() >= 5, "the registration's steps are not shown"
    states = steps.evaluate_all("els => els.map(e => e.getAttribute('data-status'))")
    assert set(states) <= {"done", "info", "skipped"}, states
    lab.shot("register-done", target=created)

    popup = walk.start_consent()
    walk.approve(popup, admin)
    eml = walk.send()
    assert subject_of(eml)
    ini, record = walk.export()
    acc = tokenfile.read(ini).account(admin)
    assert acc.client_secret, "the web app's secret did not reach the token INI"
    assert acc.extra.get("app_registered_by") == "oauthmail register microsoft"
    walk.secrets.add("client_secret", acc.client_secret)
    assert walk.secrets.found_in(record.read_text(encoding="utf-8", errors="replace")) == []
    assert walk.secrets.found_in(walk.transcript) == []
    walk.save_and_check()
