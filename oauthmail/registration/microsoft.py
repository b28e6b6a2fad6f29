"""Creating the Microsoft app registration through Graph: one stateful object, then a one-line call.

:class:`MicrosoftRegistration` runs the steps the portal would take a person through and reports
each one (:class:`StepResult`, to ``on_step``) so a notebook can tick them off and a terminal can
print them: sign in with a bootstrap client → read the directory (tenant, roles) → create the app →
its service principal → (web) a secret with an end date → (admin) consent for the whole
organisation, else the admin-consent address → wait until sign-in knows the new app (AADSTS700016
right after creation is expected) → with an INI: consent with the new app, write the INI, send a
test message, write the setup record.

Everything made is listed in ``OAUTHMAIL_HOME/registrations/microsoft-<appId>.json`` as soon as it
exists (so a stop half-way leaves a trail, and 03/04 can show and remove it), and in the setup
record; the secret never is: it goes from Graph's answer straight into the token INI.

::

    from oauthmail.registration import register_microsoft
    reg = register_microsoft(authority="https://login.microsoftonline.com/organizations",
                             ini="my.ini", email="me@contoso.com")
    reg.app_id, [s.status for s in reg.steps]
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import OAuthMailError
from ..i18n import Msg, current_language, normalize_lang
from ..providers import is_known_microsoft_host, microsoft_cloud_for_authority
from . import microsoft_bodies as bodies
from . import microsoft_messages as m
from .microsoft_graph import Graph, RegistrationError
from .microsoft_signin import BootstrapSignIn, GraphToken, bootstrap_name

MODES = ("browser", "no_browser", "paste", "device")
#: Steps a notebook does with its own widgets after the app exists (``app_only``).
APP_ONLY_SKIPS = ("consent", "test_send", "record")
#: Graph answers while a fresh object is not yet readable everywhere (retried within the wait budget).
NOT_YET = ("Request_ResourceNotFound", "Request_BadRequest")


# --- small pure helpers --------------------------------------------------------------------------

def authority_for(tenant: str | None = None, authority: str | None = None) -> str:
    """``--authority`` as given, else the global cloud's ``/organizations`` (or ``/<tenant>``)."""
    if authority:
        return authority.strip().rstrip("/")
    from ..providers import microsoft_authority

    return microsoft_authority(tenant or "organizations")


def graph_url_for(authority: str, graph_url: str | None = None) -> str:
    """Where Graph requests go: ``--graph-url``, else the cloud's Graph, else (a test provider) its origin."""
    if graph_url:
        return graph_url.rstrip("/")
    if is_known_microsoft_host(authority):
        return microsoft_cloud_for_authority(authority).graph_url
    return bodies.login_base(authority)


def app_authority(authority: str, tenant_id: str, accounts: str) -> str:
    """The authority the new app signs in at: the tenant's own (single/multi), ``/common`` for personal."""
    return f"{bodies.login_base(authority)}/{'common' if accounts == 'personal' else tenant_id}"


def where_flags(authority: str) -> str:
    """``--authority URL`` for the commands a person is told to run next."""
    return f"--authority {authority}"


def registrations_dir() -> Path:
    from ..paths import home

    return home() / "registrations"


def registry_path(app_id: str) -> Path:
    return registrations_dir() / f"microsoft-{app_id}.json"


def list_registrations() -> list[dict[str, Any]]:
    """The apps the kit made (newest first), as written to ``OAUTHMAIL_HOME/registrations``."""
    out: list[dict[str, Any]] = []
    folder = registrations_dir()
    if not folder.is_dir():
        return out
    for path in folder.glob("microsoft-*.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            data["path"] = str(path)
            out.append(data)
    return sorted(out, key=lambda d: str(d.get("created_at", "")), reverse=True)


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the steps ------------------------------------------------------------------------------------

STEP_TITLES: dict[str, Msg] = {
    "sign_in": m.STEP_SIGN_IN, "directory": m.STEP_DIRECTORY, "create_app": m.STEP_CREATE_APP,
    "service_principal": m.STEP_SERVICE_PRINCIPAL, "secret": m.STEP_SECRET,
    "tenant_consent": m.STEP_TENANT_CONSENT, "propagation": m.STEP_PROPAGATION, "consent": m.STEP_CONSENT,
    "test_send": m.STEP_TEST, "record": m.STEP_RECORD,
}


@dataclass
class StepResult:
    """One step: ``pending`` → ``running``/``waiting`` → ``done`` | ``info`` | ``skipped`` | ``failed``."""

    id: str
    title: str
    status: str = "pending"
    detail: str = ""
    at: str = ""

    @property
    def finished(self) -> bool:
        return self.status in ("done", "info", "skipped", "failed")

    def line(self) -> str:
        mark = {"done": "✓", "info": "i", "skipped": "-", "failed": "✗", "running": "…", "waiting": "…"}.get(
            self.status, " ")
        return f"[{mark}] {self.title}" + (f": {self.detail}" if self.detail else "")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.title, "status": self.status, "detail": self.detail,
                "done": self.status in ("done", "info", "skipped"), "at": self.at}


@dataclass
class RegistrationOptions:
    authority: str
    name: str = bodies.DEFAULT_NAME
    client_type: str = "public"
    transport: str = "smtp"
    accounts: str = "single"
    secret_days: int = 180
    bootstrap_client: str = bodies.AZURE_CLI
    graph_url: str = ""
    mode: str = "browser"
    ini: str | None = None
    email: str | None = None
    make_default: bool = False
    admin_consent: bool = True
    wait: float = 180.0
    poll: float = 2.0
    test_send: bool = True
    redirect_uri: str | None = None
    timeout: float = 300.0
    lang: str | None = None
    #: Stop once the app is known to sign-in and hand its client over (:attr:`MicrosoftRegistration.client`):
    #: the notebook's own consent, send and export steps follow.
    app_only: bool = False


class MicrosoftRegistration:
    """Runs the registration steps and keeps what each one made (no secret is ever kept on it)."""

    def __init__(
        self,
        options: RegistrationOptions,
        *,
        on_step: Callable[[StepResult], object] | None = None,
        on_url: Callable[[str], object] | None = None,
        on_message: Callable[[str], object] | None = None,
        read_paste: Callable[[], str] | None = None,
        cancel: threading.Event | None = None,
        session: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if options.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.o = options
        self.on_step = on_step
        self.on_url = on_url
        self.on_message = on_message
        self.read_paste = read_paste or (lambda: sys.stdin.readline())
        self.cancel = cancel or threading.Event()
        self.session = session
        self.sleep = sleep
        self.authority = authority_for(authority=options.authority)
        self.graph_url = graph_url_for(self.authority, options.graph_url or None)
        lang = options.lang
        self.steps: list[StepResult] = [
            StepResult(sid, STEP_TITLES[sid].format(lang, bootstrap=bootstrap_name(options.bootstrap_client),
                                                    expires=f"{options.secret_days} d"))
            for sid in STEP_TITLES if (sid != "secret" or options.client_type == "web")
            and not (options.app_only and sid in APP_ONLY_SKIPS)
        ]
        # What was made (all public values).
        self.user = ""
        self.tenant_id = ""
        self.tenant_name = ""
        self.domains: list[str] = []
        self.is_admin = False
        self.roles: list[str] = []
        self.app_id = ""
        self.object_id = ""
        self.sp_id = ""
        self.secret_expires_at = ""
        self.secret_key_id = ""
        self.admin_consent_url = ""
        self.grant_id = ""
        self.account = ""
        self.record_paths: list[str] = []
        self.send_result: Any = None
        self.error: OAuthMailError | None = None
        #: ``app_only``: the new app as a ClientConfig (a web app's secret inside, never shown).
        self.client: Any = None
        self._secret: str = ""  # only between addPassword and the INI; cleared after
        self._token: GraphToken | None = None

    def __repr__(self) -> str:
        return f"MicrosoftRegistration(app_id={self.app_id!r}, user={self.user!r}, steps={len(self.steps)})"

    # -- reporting ------------------------------------------------------------------------------

    def step(self, sid: str) -> StepResult:
        return next(s for s in self.steps if s.id == sid)

    def _mark(self, sid: str, status: str, detail: str = "") -> None:
        s = self.step(sid)
        s.status, s.detail, s.at = status, detail, now_iso()
        if self.on_step is not None:
            self.on_step(s)

    def _t(self, msg: Msg, **params: Any) -> str:
        return msg.format(self.o.lang, **params)

    def _list(self, items: Any) -> str:
        """A list in a sentence: 「a、b」 in Japanese, "a, b" in English."""
        lang = normalize_lang(self.o.lang) if self.o.lang else current_language()
        return ("、" if lang == "ja" else ", ").join(str(i) for i in items)

    @property
    def app_authority(self) -> str:
        return app_authority(self.authority, self.tenant_id, self.o.accounts) if self.tenant_id else self.authority

    @property
    def permissions(self) -> list[str]:
        return bodies.permissions(self.o.transport)

    @property
    def redirect_uris(self) -> list[str]:
        return bodies.redirect_uris(self.o.client_type)

    def summary(self) -> dict[str, Any]:
        """Everything made, for the registry file, ``--json`` and the setup record (never the secret)."""
        return {
            "provider": "microsoft", "created_by": "oauthmail register microsoft", "created_at": self._created_at,
            "display_name": self.o.name, "app_id": self.app_id, "object_id": self.object_id,
            "service_principal_id": self.sp_id, "tenant_id": self.tenant_id, "tenant_name": self.tenant_name,
            "authority": self.app_authority, "graph_url": self.graph_url, "client_type": self.o.client_type,
            "sign_in_audience": bodies.sign_in_audience(self.o.accounts), "redirect_uris": self.redirect_uris,
            "permissions": self.permissions, "transport": self.o.transport,
            "secret_expires_at": self.secret_expires_at, "secret_key_id": self.secret_key_id,
            "tenant_wide_consent": bool(self.grant_id), "admin_consent_url": self.admin_consent_url,
            "signed_in_as": self.user, "admin": self.is_admin, "account": self.account, "ini": self.o.ini or "",
            "bootstrap_client": self.o.bootstrap_client, "removed_at": "",
            "steps": [s.to_dict() for s in self.steps],
        }

    _created_at = ""

    def _write_registry(self) -> None:
        if not self.app_id:
            return
        from ..tokenfile import atomic_write

        data = self.summary()
        atomic_write(registry_path(self.app_id), json.dumps(data, ensure_ascii=False, indent=1), mode=0o600)

    # -- the run --------------------------------------------------------------------------------

    def run(self) -> MicrosoftRegistration:
        """All steps in order; a failure marks its step ``failed``, is kept on ``error`` and raised."""
        current = "sign_in"
        try:
            if self.o.client_type == "web" and not self.o.ini and not self.o.app_only:
                raise RegistrationError(m.WEB_NEEDS_INI, m.WEB_NEEDS_INI_HINT, code="web_needs_ini")
            if self.o.client_type == "web" and self.o.mode == "device":
                raise RegistrationError(m.DEVICE_NEEDS_PUBLIC, m.DEVICE_NEEDS_PUBLIC_HINT, code="device_needs_public")
            for current, action in (("sign_in", self._sign_in), ("directory", self._directory),
                                    ("create_app", self._create_app), ("service_principal", self._service_principal),
                                    ("secret", self._add_secret), ("tenant_consent", self._tenant_consent),
                                    ("propagation", self._propagation), ("consent", self._consent),
                                    ("test_send", self._test_send), ("record", self._record)):
                if not any(st.id == current for st in self.steps):
                    continue
                self._check_cancel()
                self._mark(current, "running")
                action()
                self._write_registry()
            if self.o.app_only:
                self.client = self.client_config()
            return self
        except OAuthMailError as exc:
            self.error = exc
            if any(s.id == current for s in self.steps):
                self._mark(current, "failed", exc.what(self.o.lang))
            self._write_registry()
            raise
        finally:
            self._secret = ""
            self._token = None

    def _check_cancel(self) -> None:
        if self.cancel.is_set():
            from ..consent.problems import CANCELLED, CANCELLED_HINT

            raise RegistrationError(CANCELLED, CANCELLED_HINT, code="cancelled")

    def _graph(self) -> Graph:
        assert self._token is not None
        return Graph(self.graph_url, self._token.access_token, session=self.session)

    # -- 1. sign in with the bootstrap client ------------------------------------------------------

    def _sign_in(self) -> None:
        signin = BootstrapSignIn(self.authority, self.o.bootstrap_client, login_hint=self.o.email)
        self._token = self._run_sign_in(signin)
        self._mark("sign_in", "done", self._t(m.SIGNED_IN, user=self._token.username or "?"))

    def _run_sign_in(self, signin: BootstrapSignIn) -> GraphToken:
        mode = self.o.mode
        if mode == "device":
            return signin.run_device_code(on_message=self._message, timeout=self.o.timeout, cancel=self.cancel)
        if mode == "paste":
            url = signin.start()
            self._url(url)
            return signin.finish(self.read_paste())
        return signin.run_loopback(on_url=self._url, open_browser=mode == "browser", timeout=self.o.timeout,
                                   cancel=self.cancel)

    def _url(self, url: str) -> None:
        if self.on_url is not None:
            self.on_url(url)

    def _message(self, text: str) -> None:
        if self.on_message is not None:
            self.on_message(text)

    # -- 2. who, which tenant, which roles ---------------------------------------------------------

    def _directory(self) -> None:
        graph = self._graph()
        try:
            me = graph.me()
            org = graph.organization()
            roles = graph.directory_roles()
        finally:
            graph.close()
        self.user = str(me.get("userPrincipalName") or me.get("mail") or (self._token.username if self._token else ""))
        self.tenant_id = str(org.get("id") or (self._token.tenant_id if self._token else ""))
        self.tenant_name = str(org.get("displayName") or self.tenant_id)
        self.domains = [str(d.get("name")) for d in org.get("verifiedDomains") or [] if d.get("name")]
        self.roles = [str(r.get("displayName") or r.get("roleTemplateId")) for r in roles]
        from .microsoft_bodies import ADMIN_ROLE_TEMPLATES

        self.is_admin = any(str(r.get("roleTemplateId")) in ADMIN_ROLE_TEMPLATES for r in roles)
        email = (self.o.email or "").strip().lower()
        if email and self.domains and "@" in email:
            domain = email.rsplit("@", 1)[1]
            if not any(domain == d.lower() or domain.endswith("." + d.lower()) for d in self.domains):
                raise RegistrationError(m.WRONG_TENANT, m.WRONG_TENANT_HINT, code="wrong_tenant",
                                        tenant_name=self.tenant_name, domains=self._list(self.domains), email=email)
        role = (self._t(m.ROLE_ADMIN, roles=self._list(self.roles)) if self.is_admin else self._t(m.ROLE_MEMBER))
        self._mark("directory", "done", self._t(m.DIRECTORY_READ, tenant_name=self.tenant_name,
                                                tenant_id=self.tenant_id, role=role))

    # -- 3. the application --------------------------------------------------------------------

    def _create_app(self) -> None:
        graph = self._graph()
        body = bodies.application_body(self.o.name, client_type=self.o.client_type, transport=self.o.transport,
                                       accounts=self.o.accounts)
        try:
            app = graph.create_application(body)
        except RegistrationError as exc:
            raise self._create_problem(exc) from None
        finally:
            graph.close()
        self.app_id, self.object_id = str(app["appId"]), str(app["id"])
        self._created_at = now_iso()
        platform = m.PLATFORM_PUBLIC if self.o.client_type == "public" else m.PLATFORM_WEB
        self._mark("create_app", "done", self._t(m.APP_CREATED, name=self.o.name, app_id=self.app_id,
                                                 object_id=self.object_id, platform=platform.format(self.o.lang),
                                                 redirects=self._list(self.redirect_uris),
                                                 permissions=self._list(self.permissions)))

    def _create_problem(self, exc: RegistrationError) -> RegistrationError:
        details = exc.details or ""
        if "MsaDeprecateInfo" in details or "outside of a directory" in details:
            return RegistrationError(m.PERSONAL_ACCOUNT, m.PERSONAL_ACCOUNT_HINT, code="personal_account",
                                     details=details, user=self.user or "-")
        if exc.graph_code == "Authorization_RequestDenied":
            return RegistrationError(m.NOT_ALLOWED, m.NOT_ALLOWED_HINT, code="Authorization_RequestDenied",
                                     graph_code=exc.graph_code, status=exc.status, details=details)
        return exc

    def _retrying(self, call: Callable[[], Any]) -> Any:
        """A Graph call on an object made a moment ago: retried while Graph says it is not there yet."""
        deadline = time.monotonic() + max(self.o.wait, 0)
        while True:
            try:
                return call()
            except RegistrationError as exc:
                if exc.graph_code not in NOT_YET or exc.status not in (400, 404) or time.monotonic() >= deadline:
                    raise
                self._check_cancel()
                self.sleep(self.o.poll)

    def _service_principal(self) -> None:
        graph = self._graph()
        try:
            sp = graph.service_principal(self.app_id)
            existed = sp is not None
            if sp is None:
                sp = self._retrying(lambda: graph.create_service_principal(self.app_id))
        finally:
            graph.close()
        self.sp_id = str(sp["id"])
        self._mark("service_principal", "done", self._t(m.SP_EXISTED if existed else m.SP_CREATED, sp_id=self.sp_id))

    def _add_secret(self) -> None:
        graph = self._graph()
        try:
            cred = self._retrying(lambda: graph.add_password(self.object_id, bodies.password_body(self.o.secret_days),
                                                             self.app_id))
        finally:
            graph.close()
        self._secret = str(cred.get("secretText") or "")
        self.secret_expires_at = str(cred.get("endDateTime") or "")
        self.secret_key_id = str(cred.get("keyId") or "")
        self.step("secret").title = self._t(m.STEP_SECRET, expires=self.secret_expires_at[:10])
        self._mark("secret", "done", self._t(m.SECRET_ADDED, name=str(cred.get("displayName") or "oauthmail"),
                                             expires=self.secret_expires_at))

    # -- 4. consent for everyone (admin) or the address for an admin ---------------------------------

    def _tenant_consent(self) -> None:
        self.admin_consent_url = bodies.admin_consent_url(self.authority, self.tenant_id or "organizations",
                                                          self.app_id)
        if not self.is_admin:
            text = self._t(m.ADMIN_URL, url=self.admin_consent_url)
            graph = self._graph()
            try:
                policies = graph.consent_policies()
            finally:
                graph.close()
            note = bodies.user_consent_note(policies)
            if note:
                text += " " + self._t(m.VERIFIED_ONLY if note == "verified_only" else m.NO_USER_CONSENT)
            self._mark("tenant_consent", "info", text)
            return
        if not self.o.admin_consent:
            self._mark("tenant_consent", "skipped", self._t(m.GRANT_SKIPPED))
            return
        graph = self._graph()
        try:
            graph_sp = graph.service_principal(bodies.GRAPH_RESOURCE_APP_ID)
            if graph_sp is None:
                raise RegistrationError(m.GRAPH_REFUSED, m.GRAPH_REFUSED_HINT, code="no_graph_sp", err_code="-",
                                        step="GET /servicePrincipals (Microsoft Graph)", status=404,
                                        message="Microsoft Graph's service principal was not found",
                                        app_id=self.app_id)
            existing = [g for g in graph.grants(self.sp_id) if g.get("consentType") == "AllPrincipals"
                        and g.get("resourceId") == graph_sp["id"]]
            if existing:
                self.grant_id = str(existing[0].get("id") or "")
                self._mark("tenant_consent", "done", self._t(m.GRANT_EXISTED))
                return
            grant = self._retrying(lambda: graph.create_grant(
                bodies.grant_body(self.sp_id, str(graph_sp["id"]), self.o.transport), self.app_id))
        finally:
            graph.close()
        self.grant_id = str(grant.get("id") or "")
        self._mark("tenant_consent", "done", self._t(m.GRANTED, scopes=bodies.grant_scope(self.o.transport)))

    # -- 5. wait until sign-in knows the app ------------------------------------------------------

    def probe(self) -> str:
        """Ask the token endpoint about the new app: ``unknown`` (AADSTS700016, or a fresh secret not yet
        valid: 7000215) or ``ready`` (any other answer, e.g. invalid_grant for the dummy code)."""
        import requests

        from ..tls import requests_verify

        form = {"client_id": self.app_id, "grant_type": "authorization_code", "code": "oauthmail-readiness-probe",
                "redirect_uri": self.o.redirect_uri or self.redirect_uris[-1], "scope": "openid"}
        if self._secret:
            form["client_secret"] = self._secret
        url = f"{self.app_authority}/oauth2/v2.0/token"
        try:
            resp = (self.session or requests).post(url, data=form, timeout=15, verify=requests_verify())
            text = resp.text
        except (requests.RequestException, OSError):
            return "unknown"
        return "unknown" if ("AADSTS700016" in text or "AADSTS7000215" in text) else "ready"

    def _propagation(self) -> None:
        start = time.monotonic()
        deadline = start + max(self.o.wait, 0)
        while self.probe() != "ready":
            left = deadline - time.monotonic()
            if left <= 0:
                raise RegistrationError(m.STILL_UNKNOWN, m.STILL_UNKNOWN_HINT, code="AADSTS700016",
                                        seconds=int(self.o.wait), app_id=self.app_id,
                                        where=where_flags(self.app_authority))
            self._mark("propagation", "waiting", self._t(m.WAITING, left=int(left + 0.999)))
            self._check_cancel()
            self.sleep(min(self.o.poll, max(left, 0.05)))
        self._mark("propagation", "done", self._t(m.READY, seconds=int(time.monotonic() - start)))

    # -- 6. consent with the new app, the INI, a test message, the record ---------------------------

    def client_config(self) -> Any:
        from ..clients import microsoft_client

        return microsoft_client(self.app_id, self._secret or None, authority=self.app_authority)

    def _consent(self) -> None:
        if not self.o.ini:
            self._mark("consent", "skipped", self._t(m.SKIPPED_NO_INI))
            return
        from .. import consent

        cfg = self.client_config()
        email = self.o.email or None
        if self.o.mode == "device":
            flow = consent.start_device_code(cfg, authority=self.app_authority, email=email,
                                             transport=self.o.transport)
            self._message(str(flow.get("message", "")))
            result = consent.finish_device_code(flow, cancel=self.cancel, timeout=self.o.timeout)
            from ..consent.result import check_email

            result = check_email(result, email)
        else:
            redirect = self.o.redirect_uri or (bodies.WEB_REDIRECT if self.o.client_type == "web" else
                                               _free_localhost())
            flow = consent.start_microsoft(cfg, authority=self.app_authority, redirect_uri=redirect, email=email,
                                           transport=self.o.transport)
            if self.o.mode == "paste":
                self._url(str(flow["auth_uri"]))
                result = consent.finish(flow, self.read_paste())
            else:
                result = consent.run_consent(flow, open_browser=self.o.mode == "browser", timeout=self.o.timeout,
                                             on_url=self._url, cancel=self.cancel)
        ini = Path(self.o.ini).expanduser()
        consent.save_result(ini, result, make_default=self.o.make_default, email=email)
        self.account = result.email
        self._secret = ""
        self._store_extras(ini)
        self._mark("consent", "done", self._t(m.CONSENTED, email=self.account, ini=str(ini)))

    def _store_extras(self, ini: Path) -> None:
        from ..tokenfile import locked, read

        with locked(ini):
            tf = read(ini)
            acc = tf.account(self.account)
            acc.extra.update({"app_display_name": self.o.name, "app_object_id": self.object_id,
                              "app_registered_by": "oauthmail register microsoft",
                              "app_permissions": " ".join(self.permissions)})
            if self.secret_expires_at:
                acc.extra["client_secret_expires_at"] = self.secret_expires_at
            if self.o.transport == "graph" and self.graph_url != "https://graph.microsoft.com":
                acc.graph_url = self.graph_url
            tf.save()

    def _test_send(self) -> None:
        if not self.o.ini or not self.account:
            self._mark("test_send", "skipped", self._t(m.SKIPPED_NO_INI))
            return
        if not self.o.test_send:
            self._mark("test_send", "skipped", "--no-test")
            return
        from .. import mailer
        from ..errors import AuthenticationError

        subject = Msg(en="oauthmail test message (app registered by oauthmail)",
                      ja="oauthmail テストメール（oauthmail が登録したアプリ）").format(self.o.lang)
        try:
            res = mailer.send(str(self.o.ini), to=self.account, subject=subject, account=self.account,
                              body=Msg(en="The app registration works: this message was sent with its token.",
                                       ja="アプリの登録は正しく動作しています。このメールはそのトークンで送りました。"
                                       ).format(self.o.lang))
        except AuthenticationError as exc:
            if "5.7.139" in f"{exc.code} {exc.details}":
                raise RegistrationError(m.SMTP_DISABLED, m.SMTP_DISABLED_HINT, code="535 5.7.139", err_code="535 5.7.139",
                                        details=exc.details, email=self.account, app_id=self.app_id,
                                        where=where_flags(self.app_authority), ini=str(self.o.ini)) from None
            raise
        self.send_result = res
        via = f"{res.host}:{res.port}" if getattr(res, "host", "") else self.o.transport
        self._mark("test_send", "done", self._t(m.TEST_SENT, to=self.account, via=via))

    def _record(self) -> None:
        paths = [str(registry_path(self.app_id))]
        if self.o.ini and self.account:
            from ..record import export_record, now_iso

            extra = {k: v for k, v in self.summary().items() if k not in ("steps", "ini", "account", "removed_at")}
            extra = {k: (", ".join(v) if isinstance(v, list) else v) for k, v in extra.items()}
            # The record is this step: it is done once the files below exist (not left "not done" in them).
            steps = [{**s.to_dict(), "status": "done", "done": True, "at": now_iso()} if s.id == "record" else s.to_dict()
                     for s in self.steps]
            written = export_record(str(self.o.ini), self.account, steps=steps,
                                    send_result=self.send_result, extra=extra, lang=self.o.lang)
            paths += [str(p) for p in written]
        self.record_paths = paths
        self._mark("record", "done", self._t(m.RECORD_WRITTEN, paths=self._list(paths)))

    # -- after the run ----------------------------------------------------------------------------

    def next_step(self) -> str:
        if self.account and self.o.ini:
            return self._t(m.NEXT_SEND, ini=self.o.ini)
        return self._t(m.NEXT_CONSENT, app_id=self.app_id, where=where_flags(self.app_authority))

    def done_line(self) -> str:
        return self._t(m.DONE_SUMMARY, name=self.o.name, app_id=self.app_id, tenant=self.tenant_name or self.tenant_id,
                       next=self.next_step())


def _free_localhost() -> str:
    from .microsoft_signin import free_localhost_redirect

    return free_localhost_redirect()


def register_microsoft(*, authority: str | None = None, tenant: str | None = None, **kwargs: Any) -> MicrosoftRegistration:
    """The one-line call: every step with default callbacks (browser sign-in, results to the caller).

    Keywords are :class:`RegistrationOptions` fields and :class:`MicrosoftRegistration` callbacks
    (``on_step``, ``on_url``, ``on_message``, ``read_paste``, ``cancel``).
    """
    callbacks = {k: kwargs.pop(k) for k in ("on_step", "on_url", "on_message", "read_paste", "cancel", "session",
                                            "sleep") if k in kwargs}
    options = RegistrationOptions(authority=authority_for(tenant, authority), **kwargs)
    return MicrosoftRegistration(options, **callbacks).run()


# --- removing an app the kit made ---------------------------------------------------------------------

@dataclass
class Unregistration:
    app_id: str
    name: str = ""
    object_id: str = ""
    user: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def unregister_microsoft(
    client_id: str,
    *,
    authority: str | None = None,
    tenant: str | None = None,
    bootstrap_client: str = bodies.AZURE_CLI,
    graph_url: str | None = None,
    mode: str = "browser",
    email: str | None = None,
    on_url: Callable[[str], object] | None = None,
    on_message: Callable[[str], object] | None = None,
    read_paste: Callable[[], str] | None = None,
    timeout: float = 300.0,
    session: Any = None,
    cancel: threading.Event | None = None,
) -> Unregistration:
    """Sign in with the bootstrap client and delete the app registration (its service principal goes with it)."""
    from .microsoft_messages import APP_NOT_FOUND, APP_NOT_FOUND_HINT

    auth = authority_for(tenant, authority)
    reg = MicrosoftRegistration(RegistrationOptions(authority=auth, bootstrap_client=bootstrap_client,
                                                    graph_url=graph_url or "", mode=mode, email=email,
                                                    timeout=timeout),
                                on_url=on_url, on_message=on_message, read_paste=read_paste, cancel=cancel,
                                session=session)
    signin = BootstrapSignIn(reg.authority, bootstrap_client, login_hint=email)
    token = reg._run_sign_in(signin)
    graph = Graph(reg.graph_url, token.access_token, session=session)
    try:
        app = graph.application_by_app_id(client_id.strip().lower())
        if app is None:
            raise RegistrationError(APP_NOT_FOUND, APP_NOT_FOUND_HINT, code="Request_ResourceNotFound",
                                    app_id=client_id)
        try:
            graph.delete_application(str(app["id"]), client_id)
        except RegistrationError as exc:
            if exc.graph_code == "Authorization_RequestDenied":
                raise RegistrationError(m.NOT_ALLOWED, m.NOT_ALLOWED_HINT, code="Authorization_RequestDenied",
                                        graph_code=exc.graph_code, status=exc.status, details=exc.details) from None
            raise
    finally:
        graph.close()
    path = registry_path(str(app["appId"]))
    if path.exists():
        from ..tokenfile import atomic_write

        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["removed_at"] = now_iso()
            atomic_write(path, json.dumps(data, ensure_ascii=False, indent=1), mode=0o600)
        except (OSError, ValueError):
            pass
    return Unregistration(str(app["appId"]), str(app.get("displayName") or ""), str(app["id"]), token.username)


__all__ = ["MODES", "MicrosoftRegistration", "RegistrationOptions", "StepResult", "Unregistration",
           "app_authority", "authority_for", "graph_url_for", "list_registrations", "register_microsoft",
           "registry_path", "unregister_microsoft"]
