"""Starting, describing and stopping the sandbox; the handle notebooks and tests use.

:class:`SandboxHandle` is everything a client needs, read from ``sandbox.json`` (URLs, client
files, users, ports, the mailbox) plus practice switches that go through a small admin API
(clock, faults, SMTP AUTH per mailbox). :class:`Sandbox` is a handle that also *runs* the servers
in background threads of this process, and does the same switches directly.

Stopping keeps everything a person would keep (mailbox, CA, client JSON files, issued tokens) and
rewrites ``sandbox.json`` with ``"status": "stopped"`` (it is not removed, so a trainer can still
read the client ids; :func:`load_info` treats a stopped or unanswering sandbox as absent).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import secrets
import ssl
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .config import FAULT_NAMES, GoogleClient, SandboxConfig
from .mailbox import Mailbox

INFO_FILE = "sandbox.json"


def _write_json(path: Path, data: Any, mode: int = 0o600) -> None:
    """Secret-bearing JSON (admin and page tokens, client secrets): a fresh ``mkstemp`` file, then ``os.replace``.

    Never a fixed temp name opened with ``O_TRUNC``: in a folder another user can write, that name could be
    their symbolic link (or their file, read between our write and our chmod).
    """
    from ..tokenfile import atomic_write

    atomic_write(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", mode)


def google_client_json(client: GoogleClient, auth_uri: str, token_uri: str, certs_uri: str) -> dict[str, Any]:
    """The file the Google Cloud console lets you download, with the sandbox's URLs."""
    body: dict[str, Any] = {
        "client_id": client.client_id,
        "project_id": client.project_id,
        "auth_uri": auth_uri,
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": certs_uri,
        "client_secret": client.client_secret,
        "redirect_uris": list(client.redirect_uris),
    }
    if client.kind == "web":
        origins = sorted({f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in client.redirect_uris})
        body["javascript_origins"] = origins
    return {client.kind: body}


class RemoteClock:
    """The clock of a sandbox in another process (through the admin API)."""

    def __init__(self, handle: SandboxHandle) -> None:
        self._handle = handle

    def now(self) -> float:
        return float(self._handle._admin("clock_now")["now"])

    def advance(self, seconds: float) -> float:
        return float(self._handle._admin("clock_advance", seconds=seconds)["now"])


class SandboxHandle:
    """A running sandbox as clients see it: its sandbox.json plus practice switches."""

    def __init__(self, info: dict[str, Any]) -> None:
        self._info = info

    # -- what sandbox.json says --------------------------------------------------------------

    @property
    def info(self) -> dict[str, Any]:
        return self._info

    @property
    def state_dir(self) -> Path:
        return Path(self._info["state_dir"])

    @property
    def ca_file(self) -> Path:
        return Path(self._info["ca_file"])

    @property
    def base_url(self) -> str:
        return str(self._info["base_url"])

    @property
    def google_auth_uri(self) -> str:
        return str(self._info["google"]["auth_uri"])

    @property
    def google_token_uri(self) -> str:
        return str(self._info["google"]["token_uri"])

    @property
    def google_userinfo_uri(self) -> str:
        return str(self._info["google"]["userinfo_uri"])

    @property
    def google_revoke_uri(self) -> str:
        return str(self._info["google"]["revoke_uri"])

    @property
    def client_secrets_web(self) -> Path:
        return Path(self._info["google"]["client_secrets_web"])

    @property
    def client_secrets_installed(self) -> Path:
        return Path(self._info["google"]["client_secrets_installed"])

    @property
    def google_web_redirect_uri(self) -> str:
        return str(self._info["google"]["web_redirect_uris"][0])

    @property
    def microsoft_authority(self) -> str:
        return str(self._info["microsoft"]["authority"])

    @property
    def microsoft_tenant_id(self) -> str:
        return str(self._info["microsoft"]["tenant_id"])

    @property
    def microsoft_web_client_id(self) -> str:
        return str(self._info["microsoft"]["web_client_id"])

    @property
    def microsoft_web_client_secret(self) -> str:
        return str(self._info["microsoft"]["web_client_secret"])

    @property
    def microsoft_web_redirect_uri(self) -> str:
        return str(self._info["microsoft"]["web_redirect_uri"])

    @property
    def microsoft_public_client_id(self) -> str:
        return str(self._info["microsoft"]["public_client_id"])

    @property
    def microsoft_device_verification_uri(self) -> str:
        return str(self._info["microsoft"]["device_verification_uri"])

    @property
    def smtp_host(self) -> str:
        return str(self._info["smtp"]["host"])

    @property
    def smtp_starttls_port(self) -> int:
        return int(self._info["smtp"]["starttls_port"])

    @property
    def smtp_ssl_port(self) -> int:
        return int(self._info["smtp"]["ssl_port"])

    @property
    def users(self) -> list[str]:
        return list(self._info["users"])

    def users_of(self, provider: str) -> list[str]:
        """The sandbox's users whose home is ``google`` or ``microsoft``."""
        return [u["email"] for u in self._info.get("user_details", []) if u.get("provider") == provider]

    @property
    def graph_url(self) -> str:
        """Base URL of the Graph-shaped API (``{graph_url}/v1.0/me/sendMail``)."""
        return str(self._info.get("graph_url") or self.base_url)

    @property
    def gmail_api_url(self) -> str:
        """Base URL of the Gmail-API-shaped API (``{gmail_api_url}/gmail/v1/users/me/messages/send``)."""
        return str(self._info.get("gmail_api_url") or self.base_url)

    @property
    def mailbox_dir(self) -> Path:
        return Path(self._info["mailbox_dir"])

    @property
    def mailbox(self) -> Mailbox:
        return Mailbox(self.mailbox_dir)

    @property
    def mailbox_url(self) -> str:
        """The mailbox page's link, page token included (``…/mailbox?t=…``)."""
        return str(self._info["mailbox_url"])

    @property
    def page_token(self) -> str:
        """What opens the mailbox and device sign-in pages (``t=`` in a link, or the ``X-Sandbox-Page-Token`` header)."""
        return str(self._info.get("page_token") or "")

    def page_url(self, path: str, *, ui: bool = False) -> str:
        """``https://127.0.0.1:PORT{path}?t=TOKEN`` (``ui``: on the plain-HTTP page listener)."""
        from .pagelinks import with_page_token

        base = str(self._info["ui_url"]) if ui else self.base_url
        return with_page_token(base + path, self.page_token)

    def env(self) -> dict[str, str]:
        """Environment variables that make requests, MSAL, google-auth and smtplib trust the sandbox."""
        return {"SSL_CERT_FILE": str(self.ca_file), "REQUESTS_CA_BUNDLE": str(self.ca_file)}

    def public_url(self, url: str) -> str:
        """The URL a person's browser must open: rewritten through jupyter-server-proxy on a hub.

        With ``JUPYTERHUB_SERVICE_PREFIX`` set, ``https://127.0.0.1:PORT/path?q`` becomes
        ``{prefix}proxy/{ui_port}/path?q`` (the plain-HTTP page listener, since the proxy speaks HTTP
        to the kernel side), prefixed with ``JUPYTERHUB_PUBLIC_URL``'s origin when that is known.
        """
        prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
        if not prefix:
            return url
        parts = urlsplit(url)
        base = urlsplit(self.base_url)
        ui = urlsplit(str(self._info.get("ui_url", "")))
        if parts.netloc not in (base.netloc, ui.netloc):
            return url
        if not prefix.endswith("/"):
            prefix += "/"
        from .pagelinks import with_page_token

        # Through the proxy the page listener sees the hub's name, not 127.0.0.1: it asks for the page token.
        url = with_page_token(url, self.page_token)
        parts = urlsplit(url)
        rest = parts.path + (f"?{parts.query}" if parts.query else "")
        path = f"{prefix}proxy/{ui.port or base.port}{rest}"
        public = os.environ.get("JUPYTERHUB_PUBLIC_URL")
        if public:
            p = urlsplit(public)
            return f"{p.scheme}://{p.netloc}{path}"
        return path

    # -- the simulated person ----------------------------------------------------------------

    def approve(self, auth_url: str, user: str | None = None, *, follow: bool = True,
                scopes: list[str] | None = None) -> str:
        """Open ``auth_url``, pick ``user``, click Allow; returns the redirect URL (see :func:`approve`)."""
        from .user import approve

        return approve(auth_url, user, ca_file=self.ca_file, follow=follow, scopes=scopes)

    def deny(self, auth_url: str, user: str | None = None, *, follow: bool = True) -> str:
        """Same as :meth:`approve`, clicking Deny (the app receives ``error=access_denied``)."""
        from .user import approve

        return approve(auth_url, user, ca_file=self.ca_file, follow=follow, deny=True)

    def approve_device_code(self, user_code: str, user: str | None = None, *, deny: bool = False) -> None:
        """The person opens the device page, types ``user_code`` and accepts."""
        from .user import approve_device_code

        approve_device_code(self.microsoft_device_verification_uri, user_code, user, ca_file=self.ca_file,
                            deny=deny)

    # -- practice switches (admin API) -------------------------------------------------------

    def _admin(self, op: str, **params: Any) -> dict[str, Any]:
        body = json.dumps({"op": op, **params}).encode()
        req = urllib.request.Request(self.base_url + "/_sandbox/admin", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-Sandbox-Admin": str(self._info["admin_token"])})
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            result = json.loads(resp.read())
        assert isinstance(result, dict)
        return result

    @property
    def clock(self) -> Any:
        return RemoteClock(self)

    def set_fault(self, name: str, value: Any) -> None:
        """Switch a fault on (``None`` switches it off): token_status, token_delay, smtp_drop_after, smtp_max_auth_line."""
        self._admin("set_fault", name=name, value=value)

    def set_smtp_auth_disabled(self, user: str, disabled: bool = True) -> None:
        """That mailbox answers ``535 5.7.139 … SmtpClientAuthentication is disabled``."""
        self._admin("smtp_auth_disabled", user=user, disabled=disabled)

    def mint_tokens(self, provider: str, client_id: str, user: str, scopes: list[str]) -> dict[str, Any]:
        """Tokens as if consent had happened (refresh_token, access_token, expires_in)."""
        return self._admin("mint_tokens", provider=provider, client_id=client_id, user=user, scopes=scopes)

    def revoke(self, refresh_token: str) -> None:
        self._admin("revoke", token=refresh_token)

    def grant_send_as(self, user: str, mailbox: str) -> None:
        """Graph: ``user`` may send as ``mailbox`` (a shared mailbox with Send As)."""
        self._admin("grant_send_as", user=user, mailbox=mailbox)

    def set_mail_disabled(self, user: str, disabled: bool = True) -> None:
        """Gmail API: that Google account has no Gmail (400 failedPrecondition "Mail service not enabled")."""
        self._admin("mail_disabled", user=user, disabled=disabled)

    @property
    def token_requests(self) -> list[dict[str, Any]]:
        return list(self._admin("token_requests")["requests"])

    # -- the directory (Graph app registration, oauthmail.sandbox.directory) --------------------

    @property
    def microsoft_bootstrap_client_id(self) -> str:
        """The first-party public client that signs in before any app exists (the Azure CLI's id)."""
        return str(self._info["microsoft"].get("bootstrap_client_id") or "04b07795-8ddb-461a-bbee-02f9e1bf7b46")

    def set_directory(self, **switches: Any) -> None:
        """``users_can_register_apps``, ``users_can_consent`` (bools), ``app_propagation_delay`` (seconds)."""
        self._admin("directory_set", **switches)

    def set_roles(self, user: str, roles: list[str]) -> None:
        """That user's directory roles (names such as "Global Administrator", or template ids)."""
        self._admin("directory_roles", user=user, roles=list(roles))

    @property
    def directory_state(self) -> dict[str, Any]:
        """The apps, service principals and grants the directory holds (ids and names, no secret)."""
        return self._admin("directory_state")


class Sandbox(SandboxHandle):
    """Runs the identity providers and the mail server in background threads of this process.

    ``Sandbox(state_dir, config)`` as a context manager, or ``start()``/``stop()``. ``state_dir``
    defaults to ``OAUTHMAIL_HOME/sandbox``; ``config`` is a :class:`SandboxConfig`, a dict in the
    JSON shape, a path to a JSON file, or None.
    """

    def __init__(self, state_dir: str | Path | None = None,
                 config: SandboxConfig | dict[str, Any] | str | Path | None = None) -> None:
        super().__init__({})
        if state_dir is None:
            from ..paths import sandbox_dir

            state_dir = sandbox_dir()
        self._state_dir = Path(state_dir).expanduser().resolve()
        self.config = SandboxConfig.load(config)
        self._running = False
        self._servers: list[Any] = []
        self._controllers: list[Any] = []
        self._lock = threading.Lock()
        self.idp: Any = None
        self.smtp_handler: Any = None
        self.mailapi: Any = None
        self.directory: Any = None
        self._hold: Any = None  # the state folder's lifetime lock (lifecycle.hold) while serving

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> Sandbox:
        """Make or reuse the CA, bind the listeners, write the client files and sandbox.json."""
        with self._lock:
            if self._running:
                return self
            from .lifecycle import hold

            self._state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._hold = hold(self._state_dir)  # one sandbox per state folder (another one: a clear error)
            try:
                self._start()
            except BaseException:
                self._shutdown()  # a port in use half-way must not leave listeners behind
                self._release()
                raise
            self._running = True
        return self

    def _start(self) -> None:
        from . import web
        from .certs import ensure_certificates, server_context
        from .idp import IdentityProvider
        from .smtp import SandboxController, SandboxHandler

        state = self._state_dir
        state.mkdir(parents=True, exist_ok=True, mode=0o700)
        mail_log = logging.getLogger("mail.log")  # aiosmtpd: chatty at INFO; quiet unless asked
        if mail_log.level == logging.NOTSET and not os.environ.get("OAUTHMAIL_SANDBOX_LOG"):
            mail_log.setLevel(logging.WARNING)
        from .config import is_loopback_host

        cfg = self.config
        certs = ensure_certificates(state, () if is_loopback_host(cfg.host) else (cfg.host,))
        tls = server_context(certs)
        self._fill_secrets(state / "clients.json")

        # Ports kept per state folder (lifecycle): those recorded last time, when free, so INIs made
        # earlier still point at the right place; ports fixed by the config (--port-base) are used as given.
        from .lifecycle import bind_preferring, recorded_ports

        earlier = recorded_ports(state)
        moved: list[int] = []

        def bind(field: str, name: str, make: Any) -> Any:
            fixed = int(getattr(cfg, field) or 0)
            bound, lost = bind_preferring(make, fixed or earlier.get(name, 0), fixed=bool(fixed))
            if lost:
                moved.append(earlier[name])
            return bound

        https = bind("http_port", "https", lambda p: web.bind_http(cfg.host, p, tls))
        self._servers = [https]
        ui = bind("ui_port", "ui", lambda p: web.bind_http(cfg.host, p, None))
        self._servers.append(ui)
        port = https.server_address[1]
        base = f"https://{cfg.host}:{port}"
        ui_base = f"http://{cfg.host}:{ui.server_address[1]}"
        self.idp = idp = IdentityProvider(cfg, _clock(), base, state / "tokens.json")
        mailbox_dir = state / "mailbox"
        mailbox_dir.mkdir(exist_ok=True, mode=0o700)
        self.admin_token = secrets.token_urlsafe(24)
        #: Opens the mailbox and device sign-in pages (in sandbox.json, 0600; the links the kit shows carry it).
        page_token = secrets.token_urlsafe(24)
        hosts = web.LOOPBACK_NAMES | {cfg.host.strip("[]").lower()}
        app = web.SandboxApp(idp, Mailbox(mailbox_dir), self.admin_token, self._admin_local,
                             page_token=page_token, hosts=hosts, check_host=not cfg.allow_remote)
        try:
            from .mailapi import MailApi
        except ModuleNotFoundError:  # the mail-API module may not be committed yet: serve without it
            self.mailapi = None
        else:
            self.mailapi = app.api = MailApi(idp, mailbox_dir, base)
        web.serve_http(https, app)
        web.serve_http(ui, app)

        self.smtp_handler = handler = SandboxHandler(idp, mailbox_dir)

        def smtp_on(port: int, **tls_kind: Any) -> Any:
            controller = SandboxController(handler, hostname=cfg.host, port=port, **tls_kind)
            controller.start()
            return controller

        starttls = bind("smtp_starttls_port", "smtp_starttls",
                        lambda p: smtp_on(p, starttls=server_context(certs)))
        self._controllers.append(starttls)
        implicit = bind("smtp_ssl_port", "smtp_ssl", lambda p: smtp_on(p, implicit_tls=server_context(certs)))
        self._controllers.append(implicit)
        app.mail_server = {"host": cfg.host, "starttls_port": starttls.port, "ssl_port": implicit.port}

        files = self._write_client_files(state, base)
        web_app = cfg.microsoft_app_by_key("web") or cfg.microsoft_apps[0]
        public_app = cfg.microsoft_app_by_key("public") or cfg.microsoft_apps[-1]
        from .directory import GraphDirectory

        self.directory = app.directory = GraphDirectory(idp, cfg, base, state / "directory.json")
        web_client = cfg.google_client_by_key("web")
        installed = cfg.google_client_by_key("installed")
        self._info = {
            "version": 1,
            "status": "running",
            "pid": os.getpid(),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "state_dir": str(state),
            "base_url": base,
            "ui_url": ui_base,
            "ca_file": str(certs.ca_cert),
            "google": {
                "client_secrets_web": str(files.get("web", "")),
                "client_secrets_installed": str(files.get("installed", "")),
                "auth_uri": f"{base}/o/oauth2/auth",
                "token_uri": f"{base}/token",
                "userinfo_uri": f"{base}/v1/userinfo",
                "revoke_uri": f"{base}/revoke",
                "web_client_id": web_client.client_id if web_client else "",
                "web_redirect_uris": list(web_client.redirect_uris) if web_client else [],
                "installed_client_id": installed.client_id if installed else "",
            },
            "microsoft": {
                "authority": f"{base}/{cfg.tenant_id}",
                "tenant_id": cfg.tenant_id,
                "tenant_domain": cfg.tenant_domain,
                "web_client_id": web_app.client_id,
                "web_client_secret": web_app.client_secret,
                "web_redirect_uri": (web_app.web_redirect_uris or [""])[0],
                "public_client_id": public_app.client_id,
                "public_redirect_uri": (public_app.public_redirect_uris or [""])[0],
                "device_verification_uri": f"{base}/devicelogin?t={page_token}",
                "smtp_scope": "https://outlook.office.com/SMTP.Send",
                "bootstrap_client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            },
            "smtp": {"host": cfg.host, "starttls_port": starttls.port, "ssl_port": implicit.port},
            "ports": {"https": port, "ui": ui.server_address[1], "smtp_starttls": starttls.port,
                      "smtp_ssl": implicit.port},
            "graph_url": base,
            "gmail_api_url": base,
            "mailbox_dir": str(mailbox_dir),
            "mailbox_url": f"{base}/mailbox?t={page_token}",
            "users": [u.email for u in cfg.users],
            "user_details": [{"email": u.email, "provider": u.provider, "name": u.display_name,
                              "test_user": u.test_user} for u in cfg.users],
            "admin_token": self.admin_token,
            "page_token": page_token,
        }
        if moved:
            self._info["ports_moved"] = moved
        _write_json(state / INFO_FILE, self._info)
        from .pagelinks import remember

        remember(self._info)

    def _fill_secrets(self, path: Path) -> None:
        """Client secrets: from the config, else kept per state folder, else made now."""
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            stored = {}
        changed = False
        for g in self.config.google_clients:
            if not g.client_secret:
                if g.client_id not in stored:
                    stored[g.client_id] = "GOCSPX-" + secrets.token_urlsafe(21)[:28]
                    changed = True
                g.client_secret = stored[g.client_id]
        for a in self.config.microsoft_apps:
            if a.has_secret and not a.client_secret:
                if a.client_id not in stored:
                    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~"
                    stored[a.client_id] = "Sbx8Q~" + "".join(secrets.choice(alphabet) for _ in range(34))
                    changed = True
                a.client_secret = stored[a.client_id]
        if changed or not path.exists():
            _write_json(path, stored)

    def _write_client_files(self, state: Path, base: str) -> dict[str, Path]:
        out: dict[str, Path] = {}
        for client in self.config.google_clients:
            data = google_client_json(client, f"{base}/o/oauth2/auth", f"{base}/token", f"{base}/oauth2/v1/certs")
            path = state / f"client_secret_{client.key}.json"
            _write_json(path, data)
            out[client.key] = path
            if client.kind == "installed":
                _write_json(state / f"client_secret_{client.client_id}.json", data)
        return out

    def stop(self) -> None:
        """Stop serving; keep the mailbox, CA, client files and tokens; mark sandbox.json stopped."""
        with self._lock:
            if not self._running:
                return
            self._running = False
            self._shutdown()
            if self.idp is not None:
                self.idp.save()
            if self._info:
                self._info = {**self._info, "status": "stopped",
                              "stopped_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
                try:
                    _write_json(self._state_dir / INFO_FILE, self._info)
                except OSError:
                    pass
            self._release()

    def _release(self) -> None:
        held, self._hold = self._hold, None
        if held is not None:
            held.release()

    def _shutdown(self) -> None:
        for c in self._controllers:
            try:
                c.stop()
            except (AssertionError, RuntimeError):
                pass
        self._controllers = []
        for s in self._servers:
            if s.app is not None:
                s.shutdown()
            s.server_close()
        self._servers = []

    @property
    def state_dir(self) -> Path:
        return self._state_dir

    # -- practice switches, directly ---------------------------------------------------------

    @property
    def clock(self) -> Any:
        assert self.idp is not None, "start the sandbox first"
        return self.idp.clock

    def set_fault(self, name: str, value: Any) -> None:
        if name not in FAULT_NAMES:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULT_NAMES)}")
        assert self.idp is not None, "start the sandbox first"
        if value is None:
            self.idp.faults.pop(name, None)
        else:
            self.idp.faults[name] = value
        if name == "smtp_drop_after" and self.smtp_handler is not None:
            self.smtp_handler.delivered_since_fault = 0

    def set_smtp_auth_disabled(self, user: str, disabled: bool = True) -> None:
        assert self.smtp_handler is not None, "start the sandbox first"
        if disabled:
            self.smtp_handler.smtp_auth_disabled.add(user.lower())
        else:
            self.smtp_handler.smtp_auth_disabled.discard(user.lower())

    def mint_tokens(self, provider: str, client_id: str, user: str, scopes: list[str]) -> dict[str, Any]:
        assert self.idp is not None, "start the sandbox first"
        return dict(self.idp.mint_tokens(provider, client_id, user, list(scopes)))

    def grant_send_as(self, user: str, mailbox: str) -> None:
        assert self.mailapi is not None, "start the sandbox first"
        self.mailapi.grant_send_as(user, mailbox)

    def set_mail_disabled(self, user: str, disabled: bool = True) -> None:
        assert self.mailapi is not None, "start the sandbox first"
        self.mailapi.set_mail_disabled(user, disabled)

    def revoke(self, refresh_token: str) -> None:
        assert self.idp is not None, "start the sandbox first"
        self.idp.revoke(refresh_token)

    @property
    def token_requests(self) -> list[dict[str, Any]]:
        assert self.idp is not None, "start the sandbox first"
        with self.idp.lock:
            return [dict(r) for r in self.idp.token_requests]

    def _admin_local(self, op: str, body: dict[str, Any]) -> dict[str, Any]:
        """The admin API's implementation (another process's :class:`SandboxHandle` calls it)."""
        if op == "clock_now":
            return {"now": self.clock.now()}
        if op == "clock_advance":
            return {"now": self.clock.advance(float(body["seconds"]))}
        if op == "set_fault":
            self.set_fault(str(body["name"]), body.get("value"))
            return {"ok": True}
        if op == "smtp_auth_disabled":
            self.set_smtp_auth_disabled(str(body["user"]), bool(body.get("disabled", True)))
            return {"ok": True}
        if op == "mint_tokens":
            return self.mint_tokens(str(body["provider"]), str(body["client_id"]), str(body["user"]),
                                    list(body["scopes"]))
        if op == "revoke":
            self.revoke(str(body["token"]))
            return {"ok": True}
        if op == "grant_send_as":
            self.grant_send_as(str(body["user"]), str(body["mailbox"]))
            return {"ok": True}
        if op == "mail_disabled":
            self.set_mail_disabled(str(body["user"]), bool(body.get("disabled", True)))
            return {"ok": True}
        if op == "token_requests":
            return {"requests": self.token_requests}
        if op.startswith("directory_") and self.directory is not None:
            return dict(self.directory.admin(op, body))
        raise ValueError(f"unknown admin operation {op!r}")


def _clock() -> Any:
    from .idp import Clock

    return Clock()


def load_info(state_dir: str | Path | None = None, *, timeout: float = 2.0) -> dict[str, Any] | None:
    """The sandbox.json of a running sandbox that answers, else None."""
    if state_dir is None:
        from ..paths import sandbox_dir

        state_dir = sandbox_dir()
    try:
        info = json.loads((Path(state_dir) / INFO_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or info.get("status") != "running":
        return None
    try:
        ctx = ssl.create_default_context(cafile=str(info["ca_file"]))
        with urllib.request.urlopen(str(info["base_url"]) + "/_sandbox/health", context=ctx,
                                    timeout=timeout) as resp:
            if resp.status != 200:
                return None
    except (OSError, KeyError, ValueError, ssl.SSLError):
        return None
    return info


_in_process: dict[str, Sandbox] = {}
_in_process_lock = threading.Lock()


def ensure_running(state_dir: str | Path | None = None,
                   config: SandboxConfig | dict[str, Any] | str | Path | None = None, *,
                   detached: bool | None = None) -> SandboxHandle:
    """For notebooks and commands: the sandbox of ``state_dir``, brought up if it is not running.

    A live sandbox described by sandbox.json is reused. Otherwise one is started on the ports this
    folder had before (see :mod:`.lifecycle`) — as a process of its own by default, so it outlives
    the kernel that asked and serves the next kernel and the terminal (stop it with
    ``oauthmail sandbox --stop`` or :func:`.lifecycle.stop`); ``detached=False`` runs it in daemon
    threads of this process instead, stopping when the interpreter exits (as before). A start lock
    makes sure two kernels asking at once get one sandbox.
    """
    from . import lifecycle

    if state_dir is None:
        from ..paths import sandbox_dir

        state_dir = sandbox_dir()
    key = str(Path(state_dir).expanduser().resolve())
    with _in_process_lock:
        running = _in_process.get(key)
        if running is not None and running.running:
            return running
        if lifecycle.is_running(key):
            info = load_info(key)
            if info is not None:
                return SandboxHandle(info)
        if detached is None:
            detached = lifecycle.detach_supported()
        if detached:
            return lifecycle.start_detached(key, config)
        Path(key).mkdir(parents=True, exist_ok=True, mode=0o700)
        with lifecycle.start_lock(key):
            info = load_info(key)
            if info is not None and lifecycle.is_running(key):
                return SandboxHandle(info)
            sb = Sandbox(key, config).start()
        _in_process[key] = sb
        atexit.register(sb.stop)
        return sb
