"""The notebook's state for one kernel: language, mode, provider, checklist ticks, paths.

A :class:`Session` is what every controller shares. It knows nothing about ipywidgets; the
notebooks create one through :class:`oauthmail.ui.Kit`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal

from .. import paths
from ..i18n import Lang, Msg, current_language, normalize_lang, set_language
from .steps import Step

AUTO_TICK = Msg(en="(ticked automatically: autorun)", ja="（自動実行による自動チェック）")

Mode = Literal["sandbox", "real"]
Provider = Literal["google", "microsoft"]


def notebook_language(cwd: Path | None = None) -> Lang:
    """``OAUTHMAIL_LANG`` if set, else the notebook's folder (``ja``/``en``), else the locale.

    JupyterLab and nbclient start the kernel in the notebook's folder, so the Japanese edition
    speaks Japanese without anyone setting anything.
    """
    env = os.environ.get("OAUTHMAIL_LANG")
    if env:
        return normalize_lang(env)
    name = (cwd or Path.cwd()).name
    if name in ("ja", "en"):
        return normalize_lang(name)
    return current_language()


def autorun_enabled() -> bool:
    """Contract: ``OAUTHMAIL_AUTORUN=1`` makes every step drive its own widgets."""
    return os.environ.get("OAUTHMAIL_AUTORUN", "").strip().lower() in ("1", "true", "yes", "on")


def now_utc() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Tick:
    """One checklist tick as it goes into the setup record."""

    id: str
    label: str
    done: bool
    at: str
    auto: bool = False

    def as_record(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "done": self.done, "at": self.at, "auto": self.auto}


@dataclass
class Session:
    """Everything the steps of one notebook share."""

    provider: Provider = "google"
    mode: Mode = "sandbox"
    lang: Lang = "en"
    autorun: bool = False
    ticks: dict[str, Tick] = field(default_factory=dict)
    #: The client step's :class:`~oauthmail.clients.ClientConfig`; the signed-in account's address.
    client: Any = None
    client_from_sandbox: bool = False
    account: str = ""
    #: Microsoft redirect registered for the client (the sandbox's, or the seed's localhost one).
    redirect_uri: str = ""
    secret_expires: date | None = None
    consent_warnings: list[str] = field(default_factory=list)
    ini_path: Path | None = None
    send_result: Any = None
    doctor_report: Any = None
    record_path: Path | None = None
    #: What :meth:`check_privacy` changed or could not change under OAUTHMAIL_HOME.
    privacy_changes: list[Any] = field(default_factory=list)
    _sandbox: Any = None
    _sandbox_ours: bool = False  # found or started by :meth:`sandbox` (not attached by a test or trainer)

    @classmethod
    def create(cls, provider: Provider = "google", *, mode: Mode | None = None, lang: str | None = None) -> Session:
        """A session in the notebook's language; sandbox unless ``OAUTHMAIL_MODE=real``."""
        chosen: Lang = normalize_lang(lang) if lang else notebook_language()
        set_language(chosen)
        env_mode = os.environ.get("OAUTHMAIL_MODE", "").strip().lower()
        session = cls(provider=provider, mode=mode or ("real" if env_mode == "real" else "sandbox"),
                      lang=chosen, autorun=autorun_enabled())
        session.check_privacy()
        return session

    def check_privacy(self) -> list[Any]:
        """On a shared host (a hub): OAUTHMAIL_HOME's files made 0600 and folders 0700 (isolation check)."""
        from ..classroom.isolation import tighten

        self.privacy_changes = tighten(paths.home())
        return self.privacy_changes

    # --- paths ----------------------------------------------------------------------------------

    def default_ini(self) -> Path:
        """Sandbox tokens never mix with real ones: ``sandbox.ini`` vs ``oauthmail.ini`` in OAUTHMAIL_HOME."""
        return paths.home() / "sandbox.ini" if self.mode == "sandbox" else paths.default_ini()

    def ini(self) -> Path:
        return self.ini_path or self.default_ini()

    # --- the sandbox ----------------------------------------------------------------------------

    def sandbox(self) -> Any:
        """The running sandbox (brought up when it is not running, shared through OAUTHMAIL_HOME/sandbox).

        Every call checks that the sandbox it found is still the one serving (a lock test, no network):
        one stopped or restarted since (another kernel, ``oauthmail sandbox --stop``, a reboot) is
        brought up again on the same ports. Also points the kernel's TLS trust at the sandbox CA, as
        a person's shell would with ``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE``.
        """
        if self._sandbox is not None and self._sandbox_ours and not _still_serving(self._sandbox):
            self._sandbox = None
        if self._sandbox is None:
            from ..sandbox import ensure_running

            self.attach_sandbox(ensure_running(state_dir=paths.sandbox_dir()))
            self._sandbox_ours = True
        return self._sandbox

    def attach_sandbox(self, handle: Any) -> None:
        """Use an already running sandbox (tests, a trainer's shared one) and trust its CA."""
        self._sandbox = handle
        self._sandbox_ours = False
        os.environ.update(handle.env())

    # --- checklist ------------------------------------------------------------------------------

    def tick(self, step: Step, tick_id: str, done: bool, *, auto: bool = False) -> Tick:
        """Record a tick (with the time) under ``<step id>.<tick id>``."""
        label = dict(step.ticks)[tick_id].format(self.lang)
        t = Tick(f"{step.id}.{tick_id}", label, done, now_utc(), auto)
        self.ticks[t.id] = t
        return t

    def steps_for_record(self) -> list[dict[str, Any]]:
        """Ticks for the record; automatic ones (autorun) say so in their label."""
        out = []
        for t in self.ticks.values():
            item = t.as_record()
            if t.auto:
                item["label"] = f"{t.label} {AUTO_TICK.format(self.lang)}"
            out.append(item)
        return out

    def record_extra(self) -> dict[str, Any]:
        """What the notebook adds to the record: mode, language, autorun, automatic ticks."""
        extra: dict[str, Any] = {"notebook_mode": self.mode, "notebook_language": self.lang,
                                 "autorun": self.autorun}
        auto = [t.id for t in self.ticks.values() if t.auto]
        if auto:
            extra["auto_ticked_steps"] = auto
        if self.secret_expires is not None:
            extra["client_secret_expires"] = self.secret_expires.isoformat()
        if self.consent_warnings:  # e.g. Google's 7-day refresh tokens while the app is in Testing (P5)
            extra["consent_warnings"] = list(self.consent_warnings)
        return extra


def _still_serving(handle: Any) -> bool:
    """Whether ``handle`` still describes the process serving its state folder."""
    from ..sandbox import lifecycle

    if getattr(handle, "running", None) is not None:  # a sandbox in this process
        return bool(handle.running)
    state = handle.state_dir
    current = lifecycle.read_info(state) or {}
    return lifecycle.is_running(state) and current.get("pid") == handle.info.get("pid") \
        and current.get("started_at") == handle.info.get("started_at")
