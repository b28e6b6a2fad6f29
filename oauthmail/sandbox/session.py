"""``oauthmail.sandbox.start()``: a sandbox for another project's tests, signed-in INIs included.

::

    import oauthmail

    with oauthmail.sandbox.start() as sb:             # a fresh folder, removed afterwards
        ini = sb.sign_in("alice@example.com")         # real consent; the simulated user clicks Allow
        oauthmail.send(ini, to="bob@example.com", subject="hi", body="…")
        assert sb.mailbox.messages()[-1]["Subject"] == "hi"

While it runs, ``SSL_CERT_FILE`` and ``REQUESTS_CA_BUNDLE`` point at its CA (so requests, MSAL,
google-auth and smtplib trust it, in this process and in the programs it starts); they are put
back when it stops. Its Web clients use free loopback ports, not the documented 48888, so tests
running side by side never meet. The pytest fixtures in :mod:`oauthmail.testing` wrap this.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from ..consent.loopback import free_localhost_port
from ..errors import ConfigError
from ..i18n import Msg
from .config import SandboxConfig
from .server import Sandbox
from .web import free_port

NOT_A_USER = Msg(
    en="{user} is not a user of this sandbox (its users: {users}).",
    ja="{user} はこのサンドボックスのユーザーではありません（ユーザー: {users}）。",
)
NOT_A_USER_HINT = Msg(
    en="Sign in as one of its users, or add the address under \"users\" in the sandbox configuration.",
    ja="そのユーザーのどれかでサインインするか、サンドボックスの設定の \"users\" にそのアドレスを加えてください。",
)
CA_ENV = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


def isolated_config(config: SandboxConfig | dict[str, Any] | str | Path | None = None
                ) -> SandboxConfig | dict[str, Any] | str | Path:
    """``config`` with free loopback ports for the Web clients and a 1-second device-code interval (a dict's
    own keys win)."""
    if config is not None and not isinstance(config, dict):
        return config
    base: dict[str, Any] = {
        "google_web_redirect_uris": [f"http://127.0.0.1:{free_port()}/callback"],
        "microsoft_web_redirect_uris": [f"http://localhost:{free_localhost_port()}/callback"],
        "device_code_interval": 1,
    }
    base.update(config or {})
    return base


class SandboxSession(Sandbox):
    """A :class:`Sandbox` that owns a throw-away folder, sets the CA variables and signs users in."""

    def __init__(self, state_dir: str | Path | None = None,
                 config: SandboxConfig | dict[str, Any] | str | Path | None = None, *, set_env: bool = True) -> None:
        self._own_dir = state_dir is None
        if state_dir is None:
            state_dir = tempfile.mkdtemp(prefix="oauthmail-sandbox-")
        super().__init__(state_dir, isolated_config(config))
        self.set_env = set_env
        self._saved_env: dict[str, str | None] | None = None
        self._signed_in = 0

    def start(self) -> SandboxSession:
        super().start()
        if self.set_env and self._saved_env is None:
            self._saved_env = {name: os.environ.get(name) for name in CA_ENV}
            os.environ.update(self.env())
        return self

    def stop(self) -> None:
        super().stop()
        saved, self._saved_env = self._saved_env, None
        for name, value in (saved or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self._own_dir:
            import shutil

            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> SandboxSession:
        return self.start()

    def sign_in(self, user: str | None = None, ini: str | Path | None = None, *, transport: str = "smtp") -> Path:
        """Sign ``user`` in through the real consent path and save the account to ``ini``; returns its path.

        ``user``: a sandbox user (default: the first Google test user, ``alice@example.com``);
        Google users sign in with the Web client, Microsoft users with the Web app (client secret).
        ``ini``: default ``<state folder>/oauthmail.ini``; the first account signed in is its default.
        The saved account sends through the sandbox's mail server (STARTTLS).
        """
        from .. import consent

        cfg = self.config
        if user is None:
            user = next(u.email for u in cfg.users if u.provider == "google" and u.test_user)
        found = cfg.user(user)
        if found is None:
            raise ConfigError(NOT_A_USER, NOT_A_USER_HINT, user=user, users=", ".join(u.email for u in cfg.users),
                              code="sandbox_no_user")
        target = Path(ini).expanduser() if ini is not None else self.state_dir / "oauthmail.ini"
        email = found.email

        def browser(url: str) -> None:
            self.approve(url, user=email)

        first = self._signed_in == 0
        if found.provider == "google":
            consent.google(self.client_secrets_web, target, email=email, open_browser=False, timeout=30,
                           on_url=browser, transport=transport, make_default=first)
        else:
            consent.microsoft(self.microsoft_web_client_id, target, client_secret=self.microsoft_web_client_secret,
                              authority=self.microsoft_authority, redirect_uri=self.microsoft_web_redirect_uri,
                              email=email, open_browser=False, timeout=30, on_url=browser, transport=transport,
                              make_default=first)
        self._signed_in += 1
        return target


def start(state_dir: str | Path | None = None,
          config: SandboxConfig | dict[str, Any] | str | Path | None = None, *, set_env: bool = True
          ) -> SandboxSession:
    """A started sandbox for tests, usable as a context manager (it stops, and removes its folder, on exit).

    ``state_dir``: default a new temporary folder (removed when it stops); ``config``: users, lifetimes,
    faults (``docs/DESIGN.md``). ``set_env=False`` leaves ``SSL_CERT_FILE``/``REQUESTS_CA_BUNDLE`` alone
    (then trust ``sb.ca_file`` yourself, e.g. ``os.environ.update(sb.env())``).
    """
    return SandboxSession(state_dir, config, set_env=set_env).start()
