"""The steps of a notebook walk, shared by the Gmail and Microsoft tests.

Each function is what a person does at one step, found by the widget texts of the kit's own
ja/en catalog (so a reworded label does not break the walk, and a missing translation does).
"""

from __future__ import annotations

import configparser
import json
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from labdriver import LONG, LabPage

from oauthmail.i18n import Msg


def msg_pattern(msg: Msg, lang: str) -> re.Pattern[str]:
    """A regex for the message as shown, whatever its ``{placeholders}`` became (checked in Python)."""
    parts = []
    for literal, name, _spec, _conv in string.Formatter().parse(msg.text(lang)):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append(".*?")
    return re.compile("".join(parts).strip(), re.S)


def longest_literal(msg: Msg, lang: str) -> str:
    """The longest fixed piece of a message: what the browser searches for.

    A regex with wildcards handed to the browser's text search backtracks over every element of a
    long notebook and can hang the tab; a plain substring cannot.
    """
    pieces = [literal.strip() for literal, _n, _s, _c in string.Formatter().parse(msg.text(lang))]
    return max(pieces, key=len)


def wait_msg(lab: LabPage, msg: Msg, lang: str, timeout: int = LONG) -> Any:
    """Wait until the notebook shows ``msg`` (any parameters) and return the element showing it."""
    loc = lab.text(longest_literal(msg, lang)).last
    loc.wait_for(state="visible", timeout=timeout)
    shown = loc.inner_text()
    assert msg_pattern(msg, lang).search(" ".join(shown.split())) or msg_pattern(msg, lang).search(shown), (
        f"{shown!r} does not read as {msg.text(lang)!r}")
    return loc


@dataclass
class SandboxFacts:
    """What the sandbox describes about itself (sandbox.json), as a trainer would read it."""

    state_dir: Path
    info: dict[str, Any]
    sandbox: Any = None  # the running oauthmail.sandbox.Sandbox, when it runs in this process

    @classmethod
    def read(cls, state_dir: Path, sandbox: Any = None) -> SandboxFacts:
        return cls(state_dir, json.loads((state_dir / "sandbox.json").read_text(encoding="utf-8")), sandbox)

    def issued(self) -> dict[str, str]:
        """Every access token, refresh token and code the sandbox has issued so far (by a short name)."""
        idp = getattr(self.sandbox, "idp", None)
        if idp is None:
            return {}
        with idp.lock:
            values = [("access_token", list(idp.access)), ("refresh_token", list(idp.refresh)),
                      ("code", list(idp.codes))]
        return {f"sandbox-issued {kind} #{i}": v for kind, vs in values for i, v in enumerate(vs)}

    @property
    def mailbox(self) -> Path:
        return Path(self.info["mailbox_dir"])

    def messages(self) -> list[Path]:
        return sorted(self.mailbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns) if self.mailbox.is_dir() else []

    @property
    def google_web_json(self) -> Path:
        return Path(self.info["google"]["client_secrets_web"])

@dataclass
class Secrets:
    """Every secret value of one run, to look for in what was saved and shown."""

    values: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, value: str | None) -> None:
        if value:
            self.values[name] = value

    def add_ini(self, ini: Path) -> None:
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(ini, encoding="utf-8")
        for section in parser.sections():
            for key in ("client_secret", "refresh_token", "access_token"):
                self.add(f"{section}:{key}", parser.get(section, key, fallback=""))

    def found_in(self, text: str) -> list[str]:
        return sorted(name for name, value in self.values.items() if len(value) > 6 and value in text)


class CodeCatcher:
    """Remembers the authorization codes the browser carries to the loopback redirect (port 48888)."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.urls: list[str] = []

    def __call__(self, request: Any) -> None:
        url = str(request.url)
        if ":48888/" in url:
            self.urls.append(url)
            self.codes.extend(parse_qs(urlsplit(url).query).get("code", []))


def choose_account(popup: Any, email: str) -> None:
    """Pick the account on the consent page, if the page offers a choice."""
    row = popup.locator("label.acct", has_text=email)
    if row.count():
        row.first.click()
