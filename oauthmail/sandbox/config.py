"""What the sandbox pretends to have: users, registered clients, lifetimes and faults.

The defaults mirror the two source documents (a Google Web client on
``http://127.0.0.1:48888/callback``, a Google Desktop client, an Azure Web app on
``http://localhost:48888/callback`` with a secret, an Azure public client for device sign-in).
Everything can be changed from a JSON file (``oauthmail sandbox --config FILE``)::

    {"users": [{"email": "alice@example.com", "provider": "google", "test_user": true}],
     "google_web_redirect_uris": ["http://127.0.0.1:5000/callback"],
     "lifetimes": {"google_access_token": 3599, "testing_refresh_token_days": 7},
     "faults": {"token_status": 500}}

Client secrets are not in the defaults: they are made per state folder (``clients.json``, 0600),
so nothing secret-looking lives in the repository.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..i18n import Msg

DEFAULT_TENANT_ID = "72f988bf-0000-4000-8000-5a4db0c0ffee"
DEFAULT_TENANT_DOMAIN = "contoso.example"
DEFAULT_GOOGLE_WEB_REDIRECT = "http://127.0.0.1:48888/callback"
DEFAULT_MICROSOFT_WEB_REDIRECT = "http://localhost:48888/callback"

BAD_CONFIG = Msg(
    en="The sandbox configuration {source} cannot be used: {problem}",
    ja="サンドボックスの設定 {source} は使えません: {problem}",
)
BAD_CONFIG_HINT = Msg(
    en="Fix the JSON file (see the docstring of oauthmail.sandbox.config for its shape) or start without --config.",
    ja="JSON ファイルを直してください（形式は oauthmail.sandbox.config の説明にあります）。または --config なしで起動してください。",
)

#: Faults a trainer or test can switch on (``None`` = off).
FAULT_NAMES = ("token_status", "token_delay", "smtp_drop_after", "smtp_max_auth_line", "api_status")


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback IP address (127.0.0.0/8, ::1)."""
    import ipaddress

    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass
class SandboxUser:
    """A person with a mailbox: their home provider decides consent pages and SMTP wording."""

    email: str
    provider: str  # "google" | "microsoft"
    name: str = ""
    test_user: bool = True  # Google: listed under OAuth consent screen → Test users
    smtp_auth_disabled: bool = False  # Microsoft: Authenticated SMTP unticked for this mailbox
    roles: list[str] = field(default_factory=list)  # Microsoft: directory roles ("Global Administrator", …)
    personal: bool = False  # Microsoft: a personal account (no directory: cannot register apps)

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@", 1)[0].capitalize()


@dataclass
class GoogleClient:
    """An OAuth client as the Google Cloud console registers it."""

    key: str  # "web" | "installed" | anything
    kind: str  # "web" | "installed"
    client_id: str
    app_name: str
    redirect_uris: list[str] = field(default_factory=list)
    project_id: str = "oauthmail-sandbox"
    testing: bool = True  # publishing status "Testing": test users only, 7-day refresh tokens
    client_secret: str = ""  # filled per state folder when empty


@dataclass
class MicrosoftApp:
    """An app registration as the Entra admin center shows it."""

    key: str
    client_id: str
    app_name: str
    web_redirect_uris: list[str] = field(default_factory=list)
    public_redirect_uris: list[str] = field(default_factory=list)
    allow_public_client_flows: bool = False
    has_secret: bool = False
    client_secret: str = ""  # filled per state folder when has_secret and empty
    #: Apps registered through Graph (oauthmail.sandbox.directory): known to sign-in from this time on
    #: (propagation delay), their supported account types, and when their newest secret expires.
    visible_at: float = 0.0
    sign_in_audience: str = ""
    secret_expires_at: float | None = None


def default_users() -> list[SandboxUser]:
    return [
        SandboxUser("alice@example.com", "google", "Alice Example"),
        SandboxUser("bob@example.com", "google", "Bob Example"),
        SandboxUser("carol@example.com", "google", "Carol Example", test_user=False),
        SandboxUser(f"dave@{DEFAULT_TENANT_DOMAIN}", "microsoft", "Dave Contoso", roles=["Global Administrator"]),
        SandboxUser(f"erin@{DEFAULT_TENANT_DOMAIN}", "microsoft", "Erin Contoso"),
    ]


def default_google_clients() -> list[GoogleClient]:
    return [
        GoogleClient("web", "web", "104729384756-sandboxweb7k3m9q2x5c8v1b4n6.apps.googleusercontent.com",
                     "oauthmail Sandbox Mailer (Web)", [DEFAULT_GOOGLE_WEB_REDIRECT]),
        GoogleClient("installed", "installed",
                     "104729384756-sandboxdesk2h6j8k0l3p5r7t9w.apps.googleusercontent.com",
                     "oauthmail Sandbox Mailer (Desktop)", ["http://localhost"]),
    ]


def default_microsoft_apps() -> list[MicrosoftApp]:
    return [
        MicrosoftApp("web", "5b1c3d7e-2f4a-4b6c-8d9e-0a1b2c3d4e5f", "oauthmail Sandbox Mailer (Web)",
                     web_redirect_uris=[DEFAULT_MICROSOFT_WEB_REDIRECT], has_secret=True),
        MicrosoftApp("public", "9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", "oauthmail Sandbox Mailer (Device)",
                     public_redirect_uris=["http://localhost"], allow_public_client_flows=True),
    ]


@dataclass
class SandboxConfig:
    """Users, clients, lifetimes (seconds unless named otherwise), faults and ports."""

    users: list[SandboxUser] = field(default_factory=default_users)
    google_clients: list[GoogleClient] = field(default_factory=default_google_clients)
    microsoft_apps: list[MicrosoftApp] = field(default_factory=default_microsoft_apps)
    tenant_id: str = DEFAULT_TENANT_ID
    tenant_domain: str = DEFAULT_TENANT_DOMAIN
    google_access_token: int = 3599
    microsoft_access_token: int = 3599
    code_lifetime: int = 600
    device_code_lifetime: int = 900
    device_code_interval: int = 5
    testing_refresh_token_days: int = 7
    microsoft_refresh_inactivity_days: int = 90
    #: Strict practice mode: a rotated Microsoft refresh token stops working at once
    #: (Entra keeps the old one valid; the default follows Entra).
    microsoft_rotation_invalidates_old: bool = False
    faults: dict[str, Any] = field(default_factory=dict)
    #: The directory (Graph app registration): "Users can register applications", user consent allowed,
    #: and seconds before a newly created app is known to sign-in (AADSTS700016 until then).
    users_can_register_apps: bool = True
    users_can_consent: bool = True
    app_propagation_delay: float = 0.0
    #: ``"required"``: an authorization request without an S256 ``code_challenge`` is refused (the
    #: tests switch it on, so a kit that stops sending PKCE fails loudly); ``"optional"`` follows
    #: Google and Entra, which accept a confidential client's request without one. Default:
    #: ``OAUTHMAIL_SANDBOX_PKCE`` (the test suite sets it to ``required``, so kernels started by tests inherit it).
    pkce: str = field(default_factory=lambda: os.environ.get("OAUTHMAIL_SANDBOX_PKCE") or "optional")
    host: str = "127.0.0.1"
    #: Listen on a host other than loopback (``host``: a LAN address, ``0.0.0.0``). Off: the sandbox has no
    #: passwords, so on a shared machine or network anyone reaching it could sign in as its users.
    allow_remote: bool = False
    http_port: int = 0
    ui_port: int = 0
    smtp_starttls_port: int = 0
    smtp_ssl_port: int = 0

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def load(cls, source: SandboxConfig | dict[str, Any] | str | Path | None, *,
             allow_remote: bool = False) -> SandboxConfig:
        """Accept a config object, a dict in the JSON shape, a path to a JSON file, or None.

        ``allow_remote`` (``oauthmail sandbox --allow-remote``) permits a non-loopback ``host``.
        """
        extra = {"allow_remote": True} if allow_remote else {}
        if source is None:
            return cls.from_dict(extra) if extra else cls()
        if isinstance(source, SandboxConfig):
            if allow_remote:
                source.allow_remote = True
            return source
        if isinstance(source, (str, Path)):
            path = Path(source)
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise ConfigError(BAD_CONFIG, BAD_CONFIG_HINT, source=str(path), problem=exc.strerror or str(exc),
                                  code="sandbox_config") from exc
            except json.JSONDecodeError as exc:
                raise ConfigError(BAD_CONFIG, BAD_CONFIG_HINT, source=str(path),
                                  problem=f"line {exc.lineno}: {exc.msg}", code="sandbox_config") from exc
            if not isinstance(data, dict):
                raise ConfigError(BAD_CONFIG, BAD_CONFIG_HINT, source=str(path),
                                  problem="the top level must be a JSON object", code="sandbox_config")
            return cls.from_dict({**data, **extra}, source=str(path))
        return cls.from_dict({**source, **extra})

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "(dict)") -> SandboxConfig:
        """Defaults, then the keys given. Unknown keys are an error (a typo must not pass silently)."""
        cfg = cls()
        scalar = {f.name for f in fields(cls)} - {"users", "google_clients", "microsoft_apps", "faults"}

        def bad(problem: str) -> ConfigError:
            return ConfigError(BAD_CONFIG, BAD_CONFIG_HINT, source=source, problem=problem, code="sandbox_config")

        try:
            for key, value in data.items():
                if key == "users":
                    cfg.users = [SandboxUser(**u) for u in value]
                elif key == "google_clients":
                    cfg.google_clients = [GoogleClient(**c) for c in value]
                elif key == "microsoft_apps":
                    cfg.microsoft_apps = [MicrosoftApp(**a) for a in value]
                elif key == "faults":
                    unknown = set(value) - set(FAULT_NAMES)
                    if unknown:
                        raise bad(f"unknown fault {sorted(unknown)[0]!r} (known: {', '.join(FAULT_NAMES)})")
                    cfg.faults = dict(value)
                elif key == "lifetimes":
                    for name, seconds in value.items():
                        if name not in scalar:
                            raise bad(f"unknown lifetime {name!r}")
                        setattr(cfg, name, int(seconds))
                elif key == "google_web_redirect_uris":
                    cfg = cfg.with_redirects(google_web=list(value))
                elif key == "microsoft_web_redirect_uris":
                    cfg = cfg.with_redirects(microsoft_web=list(value))
                elif key in scalar:
                    setattr(cfg, key, value)
                else:
                    raise bad(f"unknown key {key!r}")
        except TypeError as exc:
            raise bad(str(exc)) from exc
        cfg.validate(source)
        return cfg

    def with_redirects(self, *, google_web: list[str] | None = None,
                       microsoft_web: list[str] | None = None) -> SandboxConfig:
        """A copy whose pre-registered Web clients use other redirect URIs (tests use free ports)."""
        gc = [replace(c, redirect_uris=list(google_web)) if (google_web is not None and c.key == "web") else c
              for c in self.google_clients]
        ma = [replace(a, web_redirect_uris=list(microsoft_web)) if (microsoft_web is not None and a.key == "web")
              else a for a in self.microsoft_apps]
        return replace(self, google_clients=gc, microsoft_apps=ma)

    def validate(self, source: str = "(config)") -> None:
        def bad(problem: str) -> ConfigError:
            return ConfigError(BAD_CONFIG, BAD_CONFIG_HINT, source=source, problem=problem, code="sandbox_config")

        for user in self.users:
            if "@" not in user.email:
                raise bad(f"user {user.email!r} is not an e-mail address")
            if user.provider not in ("google", "microsoft"):
                raise bad(f"user {user.email}: provider must be 'google' or 'microsoft'")
        if not self.allow_remote and not is_loopback_host(self.host):
            raise bad(f"host {self.host!r} is not a loopback address (127.0.0.1, localhost, ::1); the sandbox has "
                      f"no passwords, so it listens on this machine only unless \"allow_remote\": true is set")
        if self.pkce not in ("optional", "required"):
            raise bad(f"pkce must be 'optional' or 'required', not {self.pkce!r}")
        for client in self.google_clients:
            if client.kind not in ("web", "installed"):
                raise bad(f"Google client {client.key}: kind must be 'web' or 'installed'")
        if len({c.client_id for c in self.google_clients} | {a.client_id for a in self.microsoft_apps}) != (
                len(self.google_clients) + len(self.microsoft_apps)):
            raise bad("two clients share a client_id")

    # -- look-ups -----------------------------------------------------------------------------

    def user(self, email: str | None) -> SandboxUser | None:
        if not email:
            return None
        wanted = email.strip().lower()
        return next((u for u in self.users if u.email.lower() == wanted), None)

    def google_client(self, client_id: str | None) -> GoogleClient | None:
        return next((c for c in self.google_clients if c.client_id == client_id), None)

    def google_client_by_key(self, key: str) -> GoogleClient | None:
        return next((c for c in self.google_clients if c.key == key), None)

    def microsoft_app(self, client_id: str | None) -> MicrosoftApp | None:
        return next((a for a in self.microsoft_apps if a.client_id == client_id), None)

    def microsoft_app_by_key(self, key: str) -> MicrosoftApp | None:
        return next((a for a in self.microsoft_apps if a.key == key), None)
