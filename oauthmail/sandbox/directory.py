"""The sandbox's Entra directory as Microsoft Graph v1.0 shows it: app registrations and their consent.

What is served (HTTPS listener, ``{graph_url}/v1.0/…``), with Graph's documented shapes and status
codes, because the kit is also run against real Entra and other implementations:

* ``POST /applications`` (201 + the object; ``id`` is the object id, ``appId`` the client id),
  ``GET /applications[?$filter=appId eq '…']``, ``GET|PATCH|DELETE /applications/{id}`` and
  ``/applications(appId='…')``, ``POST /applications/{id}/addPassword`` (200 + the
  ``passwordCredential``; ``secretText`` only in that answer) and ``/removePassword`` (204);
* ``POST|GET /servicePrincipals`` (``$filter=appId eq '…'``; Microsoft Graph's own service principal
  with its ``oauth2PermissionScopes``), ``DELETE /servicePrincipals/{id}``;
* ``POST|GET /oauth2PermissionGrants`` (``consentType`` ``AllPrincipals`` or ``Principal``), ``DELETE``;
* ``GET /organization``, ``GET /me``, ``GET /me/memberOf`` (and ``transitiveMemberOf``, with the
  ``/microsoft.graph.directoryRole`` cast), ``GET|PATCH /policies/authorizationPolicy``.

Errors are ``{"error": {"code", "message", "innerError"}}``: 401 ``InvalidAuthenticationToken``,
403 ``Authorization_RequestDenied`` ("Insufficient privileges to complete the operation."), 404
``Request_ResourceNotFound``, 400 ``Request_BadRequest``.

Rules: a token's ``scp`` must carry a directory permission (``Directory.AccessAsUser.All``, which the
Azure CLI's token has, or ``Application.ReadWrite.All`` …); with it the caller acts with their own
roles (:data:`ADMIN_ROLES`). Members may register apps while the tenant switch "Users can register
applications" (``authorizationPolicy.defaultUserRolePermissions.allowedToCreateApps``) is on; only
an admin grants consent for everyone. A personal account has no directory.

An application created here is at once a client of the sandbox's sign-in, token endpoint and mail
server (it is added to the configuration the identity provider reads), after the optional
propagation delay (``app_propagation_delay`` seconds: until then the token endpoint answers
AADSTS700016, as Entra does for a fresh app). Deleting it removes it there too: its refresh tokens
stop working at once, and — unlike Entra, whose access tokens live until they expire — the sandbox
also drops its live access tokens, so a class sees the effect of a deletion without waiting an hour.

State is kept per state folder in ``directory.json`` (0600; it holds the secrets' values, as a
tenant does).
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .config import MicrosoftApp, SandboxConfig, SandboxUser
from .idp import MS_GRAPH, AccessGrant, IdentityProvider, ms_resource, ms_short_scope, user_oid

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
AZURE_CLI_APP_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
GRAPH_CLI_APP_ID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"

#: Microsoft Graph's delegated permissions the sandbox knows: value → (id, consent type).
GRAPH_SCOPES: dict[str, tuple[str, str]] = {
    "SMTP.Send": ("258f6531-6087-4cc4-bb90-092c5fb3ed3f", "User"),
    "Mail.Send": ("e383f46e-2787-4529-855e-0e479a3ffac0", "User"),
    "offline_access": ("7427e0e9-2fba-42fe-b0c0-848c9e6a8182", "User"),
    "User.Read": ("e1fe6dd8-ba31-4d61-89e7-88639da4683d", "User"),
    "openid": ("37f7f235-527c-4136-accd-4a02d197296e", "User"),
    "email": ("64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0", "User"),
    "profile": ("14dad69e-099b-42c9-810b-d002981feec1", "User"),
    "Application.ReadWrite.All": ("bdfbf15f-ee85-4955-8675-146e8e5296b5", "Admin"),
    "DelegatedPermissionGrant.ReadWrite.All": ("41ce6ca6-6826-4807-84f1-1c82854f7ee5", "Admin"),
    "Directory.AccessAsUser.All": ("0e263e50-5827-48a4-b97c-d940288653c7", "Admin"),
    "Directory.Read.All": ("06da0dbc-49e2-44d2-8312-53f166ab848a", "Admin"),
    "Directory.ReadWrite.All": ("c5366453-9fb0-48a5-a156-24f0c49a4b84", "Admin"),
}
ADMIN_SCOPES = frozenset(v for v, (_, kind) in GRAPH_SCOPES.items() if kind == "Admin")

#: What the Azure CLI's Graph token carries (its preauthorized permissions; ``.default``).
AZURE_CLI_SCOPES = ("Application.ReadWrite.All", "AuditLog.Read.All", "Directory.AccessAsUser.All", "email",
                    "Group.ReadWrite.All", "openid", "profile", "User.ReadWrite.All")

#: Directory roles by template id (the ids are Entra's).
ROLES: dict[str, tuple[str, str]] = {
    "62e90394-69f5-4237-9190-012177145e10": ("Global Administrator",
                                             "Can manage all aspects of Microsoft Entra ID and Microsoft services "
                                             "that use Microsoft Entra identities."),
    "e8611ab8-c189-46e8-94e1-60213ab1f814": ("Privileged Role Administrator",
                                             "Can manage role assignments in Microsoft Entra ID, and all aspects of "
                                             "Privileged Identity Management."),
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": ("Application Administrator",
                                             "Can create and manage all aspects of app registrations and "
                                             "enterprise apps."),
    "158c047a-c907-4556-b7ef-446551a6b5f7": ("Cloud Application Administrator",
                                             "Can create and manage all aspects of app registrations and enterprise "
                                             "apps except App Proxy."),
    "cf1c38e5-3621-4004-a7cb-879624dced7c": ("Application Developer",
                                             "Can create application registrations independent of the 'Users can "
                                             "register applications' setting."),
}
ROLE_BY_NAME = {name.lower(): tid for tid, (name, _) in ROLES.items()}
#: Roles that may grant tenant-wide consent (and manage any app registration).
ADMIN_ROLES = frozenset({"62e90394-69f5-4237-9190-012177145e10", "e8611ab8-c189-46e8-94e1-60213ab1f814",
                         "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "158c047a-c907-4556-b7ef-446551a6b5f7"})
#: Roles that may register apps when members may not.
CREATOR_ROLES = ADMIN_ROLES | {"cf1c38e5-3621-4004-a7cb-879624dced7c"}

DIRECTORY_READ = frozenset({"Directory.AccessAsUser.All", "Directory.Read.All", "Directory.ReadWrite.All",
                            "Application.Read.All", "Application.ReadWrite.All"})
APP_WRITE = frozenset({"Directory.AccessAsUser.All", "Directory.ReadWrite.All", "Application.ReadWrite.All"})
GRANT_WRITE = frozenset({"Directory.AccessAsUser.All", "Directory.ReadWrite.All",
                         "DelegatedPermissionGrant.ReadWrite.All"})
AUDIENCES = ("AzureADMyOrg", "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount")
APP_PROPERTIES = frozenset({
    "displayName", "signInAudience", "web", "publicClient", "spa", "isFallbackPublicClient",
    "requiredResourceAccess", "api", "description", "notes", "tags", "identifierUris", "info",
    "optionalClaims", "groupMembershipClaims", "appRoles", "keyCredentials", "passwordCredentials",
    "serviceManagementReference", "isDeviceOnlyAuthSupported", "parentalControlSettings",
})
PRIVILEGES = "Insufficient privileges to complete the operation."
MSA_NO_DIRECTORY = ("The ability to create applications outside of a directory has been deprecated. You may get a "
                    "new directory by joining the M365 Developer Program or signing up for Azure. See "
                    "https://aka.ms/MsaDeprecateInfo for more information.")
SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.~"
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


# -- small pure helpers ------------------------------------------------------------------------

def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def parse_iso(value: str) -> float:
    """``2027-06-01T00:00:00Z`` (or with fractions / an offset of zero) → epoch seconds."""
    text = value.strip().replace("Z", "+00:00")
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def graph_error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": code, "message": message, "innerError": {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
        "request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())}}}


def not_found(ident: str) -> tuple[int, dict[str, Any]]:
    return graph_error(404, "Request_ResourceNotFound",
                       f"Resource '{ident}' does not exist or one of its queried reference-property objects are not "
                       f"present.")


def bad_request(message: str) -> tuple[int, dict[str, Any]]:
    return graph_error(400, "Request_BadRequest", message)


def filter_eq(query: dict[str, str], name: str) -> str | None:
    """The value of ``$filter=<name> eq 'value'`` (the one filter form the kit and the tools use)."""
    text = query.get("$filter", "")
    m = re.fullmatch(rf"\s*{re.escape(name)}\s+eq\s+'((?:[^']|'')*)'\s*", text, re.IGNORECASE)
    return m.group(1).replace("''", "'") if m else None


def redirect_ok(uri: str, platform: str) -> bool:
    """Entra's rule: https, or http on localhost/127.0.0.1 (publicClient may also use custom schemes)."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    if parts.scheme == "https" and parts.netloc:
        return True
    if parts.scheme == "http":
        return (parts.hostname or "") in ("localhost", "127.0.0.1")
    return platform == "publicClient" and bool(parts.scheme) and "://" in uri


def new_secret() -> str:
    """40 characters, the shape of an Entra secret value (three characters, ``8Q~``, 34 more)."""
    head = "".join(secrets.choice(SECRET_ALPHABET[:62]) for _ in range(3))
    return head + "8Q~" + "".join(secrets.choice(SECRET_ALPHABET) for _ in range(34))


def _guid() -> str:
    return str(uuid.uuid4())


# -- state -------------------------------------------------------------------------------------

@dataclass
class Password:
    key_id: str
    display_name: str
    start: float
    end: float
    secret: str

    def public(self, with_secret: bool = False) -> dict[str, Any]:
        return {"customKeyIdentifier": None, "displayName": self.display_name, "endDateTime": iso(self.end),
                "hint": self.secret[:3], "keyId": self.key_id,
                "secretText": self.secret if with_secret else None, "startDateTime": iso(self.start)}


@dataclass
class Application:
    id: str
    app_id: str
    body: dict[str, Any]
    created: float
    owner: str
    passwords: list[Password] = field(default_factory=list)


@dataclass
class ServicePrincipal:
    id: str
    app_id: str
    display_name: str
    created: float
    first_party: bool = False


@dataclass
class Grant:
    id: str
    client_id: str
    consent_type: str
    principal_id: str | None
    resource_id: str
    scope: str


def bootstrap_apps() -> list[MicrosoftApp]:
    """The first-party public clients that can sign in before any app of the tenant exists."""
    return [
        MicrosoftApp("azure-cli", AZURE_CLI_APP_ID, "Microsoft Azure CLI", public_redirect_uris=["http://localhost"],
                     allow_public_client_flows=True),
        MicrosoftApp("graph-cli", GRAPH_CLI_APP_ID, "Microsoft Graph Command Line Tools",
                     public_redirect_uris=["http://localhost"], allow_public_client_flows=True),
    ]


class GraphDirectory:
    """Directory objects and the Graph endpoints over them; mounted on the sandbox's HTTPS server."""

    PATHS = ("/v1.0/applications", "/v1.0/servicePrincipals", "/v1.0/oauth2PermissionGrants",
             "/v1.0/organization", "/v1.0/policies/authorizationPolicy", "/v1.0/me/memberOf",
             "/v1.0/me/transitiveMemberOf")

    def __init__(self, idp: IdentityProvider, config: SandboxConfig, base_url: str,
                 state_file: Path | None = None) -> None:
        self.idp = idp
        self.config = config
        self.base_url = base_url
        self.state_file = state_file
        self.lock = threading.RLock()
        self.apps: dict[str, Application] = {}
        self.sps: dict[str, ServicePrincipal] = {}
        self.grants: dict[str, Grant] = {}
        self.allowed_to_create_apps = bool(config.users_can_register_apps)
        self.users_can_consent = bool(config.users_can_consent)
        self.propagation_delay = float(config.app_propagation_delay)
        self.roles: dict[str, set[str]] = {u.email.lower(): {ROLE_BY_NAME.get(r.lower(), r) for r in u.roles}
                                           for u in config.users}
        #: (method, path, status) of every directory request, for tests and trainers (no bodies).
        self.log: list[tuple[str, str, int]] = []
        for app in bootstrap_apps():
            if config.microsoft_app(app.client_id) is None:
                config.microsoft_apps.append(app)
        self._graph_sp = ServicePrincipal(str(uuid.uuid5(uuid.NAMESPACE_URL, f"graph-sp:{config.tenant_id}")),
                                          GRAPH_APP_ID, "Microsoft Graph", 0.0, first_party=True)
        self.sps[self._graph_sp.id] = self._graph_sp
        for app in bootstrap_apps():
            sp = ServicePrincipal(str(uuid.uuid5(uuid.NAMESPACE_URL, f"sp:{app.client_id}:{config.tenant_id}")),
                                  app.client_id, app.app_name, 0.0, first_party=True)
            self.sps[sp.id] = sp
        self._load()
        idp.directory = self

    # -- persistence --------------------------------------------------------------------------

    def _load(self) -> None:
        if not self.state_file or not self.state_file.exists():
            return
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            for a in data.get("apps", []):
                app = Application(a["id"], a["app_id"], a["body"], a["created"], a["owner"],
                                  [Password(**p) for p in a.get("passwords", [])])
                self.apps[app.id] = app
                self._publish(app, visible_at=0.0)
            for s in data.get("sps", []):
                self.sps[s["id"]] = ServicePrincipal(**s)
            for g in data.get("grants", []):
                self.grants[g["id"]] = Grant(**g)
            policy = data.get("policy", {})
            self.allowed_to_create_apps = bool(policy.get("allowed_to_create_apps", self.allowed_to_create_apps))
            self.users_can_consent = bool(policy.get("users_can_consent", self.users_can_consent))
        except (ValueError, TypeError, KeyError, OSError):
            return

    def save(self) -> None:
        if not self.state_file:
            return
        with self.lock:
            data = {
                "apps": [{"id": a.id, "app_id": a.app_id, "body": a.body, "created": a.created, "owner": a.owner,
                          "passwords": [vars(p) for p in a.passwords]} for a in self.apps.values()],
                "sps": [vars(s) for s in self.sps.values() if not s.first_party],
                "grants": [vars(g) for g in self.grants.values()],
                "policy": {"allowed_to_create_apps": self.allowed_to_create_apps,
                           "users_can_consent": self.users_can_consent},
            }
            from ..tokenfile import atomic_write  # mkstemp: no fixed temp name a planted link could catch

            atomic_write(self.state_file, json.dumps(data), sync=False)

    # -- the identity provider's view of an app --------------------------------------------------

    def _publish(self, app: Application, visible_at: float) -> None:
        """Make (or refresh) the client the sign-in and token endpoints know for this registration."""
        body = app.body
        live = list(app.passwords)
        apps = self.config.microsoft_apps
        old = self.config.microsoft_app(app.app_id)
        client = MicrosoftApp(
            key=f"graph:{app.id}", client_id=app.app_id, app_name=str(body.get("displayName") or ""),
            web_redirect_uris=list((body.get("web") or {}).get("redirectUris") or []),
            public_redirect_uris=list((body.get("publicClient") or {}).get("redirectUris") or []),
            allow_public_client_flows=bool(body.get("isFallbackPublicClient")),
            has_secret=bool(live), client_secret=live[-1].secret if live else "",
            visible_at=old.visible_at if old is not None else visible_at,
            sign_in_audience=str(body.get("signInAudience") or "AzureADMyOrg"),
            secret_expires_at=live[-1].end if live else None,
        )
        if old is not None:
            apps[apps.index(old)] = client
        else:
            apps.append(client)

    def _unpublish(self, app: Application) -> None:
        old = self.config.microsoft_app(app.app_id)
        if old is not None:
            self.config.microsoft_apps.remove(old)
        with self.idp.lock:
            for grant in list(self.idp.refresh.values()):
                if grant.client_id == app.app_id:
                    grant.revoked = True
            for token, acc in list(self.idp.access.items()):
                if acc.client_id == app.app_id:
                    del self.idp.access[token]
        self.idp.save()

    def visible(self, client: MicrosoftApp) -> bool:
        return client.visible_at <= self.idp.clock.now()

    # -- hooks the identity provider calls -------------------------------------------------------

    def authorize_problem(self, app: MicrosoftApp, tenant: str, scopes: list[str]) -> tuple[int, str] | None:
        """An AADSTS (code, text) the authorize endpoint must answer with, or None."""
        audience = app.sign_in_audience
        alias = tenant.lower()
        if audience == "AzureADMyOrg" and alias in ("common", "organizations"):
            return 50194, (f"Application '{app.client_id}'({app.app_name}) is not configured as a multi-tenant "
                           f"application. Usage of the /common endpoint is not supported for such applications "
                           f"created after '10/15/2018'. Use a tenant-specific endpoint or configure the "
                           f"application to be multi-tenant.")
        if audience in ("AzureADMyOrg", "AzureADMultipleOrgs") and alias == "consumers":
            return 9002332, (f"Application '{app.client_id}'({app.app_name}) is configured for use by Azure Active "
                             f"Directory users only. Please do not use the /consumers endpoint to serve this request.")
        if app.client_id == AZURE_CLI_APP_ID:
            explicit = [s for s in scopes if ms_resource(s) == MS_GRAPH and not s.endswith("/.default")]
            if explicit:
                return 65002, (f"Consent between first party application '{AZURE_CLI_APP_ID}' and first party "
                               f"resource '{GRAPH_APP_ID}' must be configured via preauthorization - applications "
                               f"owned and operated by Microsoft must get approval from the API owner before "
                               f"requesting tokens for that API.")
        return None

    def consent_problem(self, app: MicrosoftApp, user: SandboxUser, scopes: list[str]) -> tuple[int, str] | None:
        """AADSTS90094 when this person may not consent to these scopes themselves and no admin has."""
        if self.is_admin(user.email) or app.client_id == AZURE_CLI_APP_ID:
            return None
        wanted = {ms_short_scope(s) for s in scopes} - {"offline_access", "openid", "profile", "email", ".default"}
        granted = self._granted_scopes(app.client_id, user.email)
        missing = wanted - granted
        needs_admin = {s for s in missing if s in ADMIN_SCOPES}
        if needs_admin or (missing and not self.users_can_consent):
            return 90094, ("The grant requires admin permission. Need admin approval: "
                           f"{app.app_name} needs permission to access resources in your organization that only an "
                           f"admin can grant. Please ask an admin to grant permission to this app before you can use "
                           f"it.")
        return None

    def expand_default(self, app: MicrosoftApp, scopes: list[str]) -> list[str]:
        """``https://graph.microsoft.com/.default`` → the permissions this client is allowed (its static list)."""
        if not any(s.endswith("/.default") for s in scopes):
            return scopes
        if app.client_id == AZURE_CLI_APP_ID:
            return [f"{MS_GRAPH}/{s}" for s in AZURE_CLI_SCOPES if s not in ("openid", "profile", "email")]
        reg = self._app_by_app_id(app.client_id)
        if reg is not None:
            out = [f"{MS_GRAPH}/{name}" for name in self._required_scopes(reg)
                   if name not in ("offline_access", "openid", "profile", "email")]
            return out or [f"{MS_GRAPH}/User.Read"]
        return [s for s in scopes if not s.endswith("/.default")] or [f"{MS_GRAPH}/User.Read"]

    def _granted_scopes(self, client_app_id: str, email: str) -> set[str]:
        sp = self._sp_by_app_id(client_app_id)
        if sp is None:
            return set()
        oid = user_oid(email)
        out: set[str] = set()
        with self.lock:
            for g in self.grants.values():
                if g.client_id == sp.id and (g.consent_type == "AllPrincipals" or g.principal_id == oid):
                    out |= set(g.scope.split())
        return out

    # -- who is asking -------------------------------------------------------------------------

    def is_admin(self, email: str) -> bool:
        return bool(self.roles.get(email.lower(), set()) & ADMIN_ROLES)

    def may_create_apps(self, email: str) -> bool:
        return self.allowed_to_create_apps or bool(self.roles.get(email.lower(), set()) & CREATOR_ROLES)

    def _caller(self, headers: Any) -> tuple[AccessGrant | None, tuple[int, dict[str, Any]] | None]:
        auth = str(headers.get("Authorization", ""))
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not token:
            return None, graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        grant = self.idp.check_access_token(token)
        if grant is None:
            known = self.idp.known_access_token(token)
            text = ("Lifetime validation failed, the token is expired." if known is not None
                    else "Access token validation failure. Invalid audience.")
            return None, graph_error(401, "InvalidAuthenticationToken", text)
        if grant.provider != "microsoft" or grant.audience.rstrip("/") != MS_GRAPH:
            return None, graph_error(401, "InvalidAuthenticationToken",
                                     "Access token validation failure. Invalid audience.")
        return grant, None

    # -- plumbing (same shape as the mail API) -------------------------------------------------------

    @classmethod
    def handles(cls, path: str) -> bool:
        if path == "/v1.0/me":
            return True
        return any(path == p or path.startswith((p + "/", p + "(")) for p in cls.PATHS)

    def handle(self, h: Any, method: str) -> None:
        parts = urlsplit(h.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if 0 < length <= 1024 * 1024 else b""
        try:
            body = json.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            status, payload = self.route(h.headers, method, unquote(parts.path), query, body)
        except (ValueError, KeyError, TypeError) as exc:
            status, payload = bad_request(f"Unable to read JSON request payload. {str(exc)[:120]}")
        with self.lock:
            self.log.append((method, parts.path, status))
        if payload is None:
            h._send(status, b"", "text/plain")
        else:
            h._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
                    "charset=utf-8")

    def _ctx(self, what: str) -> str:
        return f"https://graph.microsoft.com/v1.0/$metadata#{what}"

    def route(self, headers: Any, method: str, path: str, query: dict[str, str],
              body: dict[str, Any]) -> tuple[int, Any]:
        grant, err = self._caller(headers)
        if err is not None:
            return err
        assert grant is not None
        caller = self.config.user(grant.user)
        scp = set(grant.scopes)
        rest = path[len("/v1.0"):]
        if rest == "/me":
            return self._me(caller)
        if rest.startswith(("/me/memberOf", "/me/transitiveMemberOf")):
            if not scp & (DIRECTORY_READ | {"User.Read", "User.ReadWrite.All", "Directory.AccessAsUser.All"}):
                return graph_error(403, "Authorization_RequestDenied", PRIVILEGES)
            return self._member_of(caller)
        if (not scp & DIRECTORY_READ and not (rest.startswith("/oauth2PermissionGrants") and scp & GRANT_WRITE)
                and not (rest == "/organization" and "User.Read" in scp)):
            return graph_error(403, "Authorization_RequestDenied", PRIVILEGES)
        if rest == "/organization":
            return self._organization()
        if rest == "/policies/authorizationPolicy":
            return self._policy(method, caller, body, scp)
        if rest.startswith("/applications"):
            return self._applications(method, rest[len("/applications"):], query, body, caller, scp)
        if rest.startswith("/servicePrincipals"):
            return self._service_principals(method, rest[len("/servicePrincipals"):], query, body, caller, scp)
        if rest.startswith("/oauth2PermissionGrants"):
            return self._grants(method, rest[len("/oauth2PermissionGrants"):], query, body, caller, scp)
        return bad_request(f"Resource not found for the segment '{rest.strip('/').split('/')[0]}'.")

    # -- users, roles, tenant -------------------------------------------------------------------

    def _me(self, user: SandboxUser | None) -> tuple[int, Any]:
        if user is None:
            return not_found("me")
        first, _, last = user.display_name.partition(" ")
        return 200, {"@odata.context": self._ctx("users/$entity"), "businessPhones": [],
                     "displayName": user.display_name, "givenName": first, "jobTitle": None, "mail": user.email,
                     "mobilePhone": None, "officeLocation": None, "preferredLanguage": None,
                     "surname": last or None, "userPrincipalName": user.email, "id": user_oid(user.email)}

    def _member_of(self, user: SandboxUser | None) -> tuple[int, Any]:
        roles = sorted(self.roles.get(user.email.lower(), set())) if user else []
        value = [{"@odata.type": "#microsoft.graph.directoryRole",
                  "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"role:{tid}:{self.config.tenant_id}")),
                  "deletedDateTime": None, "description": ROLES.get(tid, ("", ""))[1],
                  "displayName": ROLES.get(tid, (tid, ""))[0], "roleTemplateId": tid} for tid in roles]
        return 200, {"@odata.context": self._ctx("directoryObjects"), "value": value}

    def _organization(self) -> tuple[int, Any]:
        cfg = self.config
        return 200, {"@odata.context": self._ctx("organization"), "value": [{
            "id": cfg.tenant_id, "deletedDateTime": None, "displayName": "Contoso (oauthmail sandbox)",
            "tenantType": "AAD", "countryLetterCode": "JP", "preferredLanguage": "en",
            "createdDateTime": "2020-01-01T00:00:00Z", "onPremisesSyncEnabled": None,
            "verifiedDomains": [{"capabilities": "Email, OfficeCommunicationsOnline", "isDefault": True,
                                 "isInitial": True, "name": cfg.tenant_domain, "type": "Managed"}],
        }]}

    def _policy(self, method: str, caller: SandboxUser | None, body: dict[str, Any],
                scp: set[str]) -> tuple[int, Any]:
        if method == "PATCH":
            if caller is None or not self.is_admin(caller.email) or not scp & APP_WRITE:
                return graph_error(403, "Authorization_RequestDenied", PRIVILEGES)
            perms = body.get("defaultUserRolePermissions") or {}
            if "allowedToCreateApps" in perms:
                self.allowed_to_create_apps = bool(perms["allowedToCreateApps"])
            self.save()
            return 204, None
        return 200, {"@odata.context": self._ctx("policies/authorizationPolicy/$entity"),
                     "id": "authorizationPolicy", "displayName": "Authorization Policy",
                     "description": "Used to manage authorization related settings across the company.",
                     "allowInvitesFrom": "everyone", "allowedToSignUpEmailBasedSubscriptions": True,
                     "allowEmailVerifiedUsersToJoinOrganization": False, "blockMsolPowerShell": False,
                     "defaultUserRolePermissions": {"allowedToCreateApps": self.allowed_to_create_apps,
                                                    "allowedToCreateSecurityGroups": True,
                                                    "allowedToCreateTenants": True,
                                                    "allowedToReadOtherUsers": True,
                                                    "permissionGrantPoliciesAssigned": (
                                                        ["ManagePermissionGrantsForSelf.microsoft-user-default-legacy"]
                                                        if self.users_can_consent else [])}}

    # -- applications ---------------------------------------------------------------------------

    def _app_by_app_id(self, app_id: str) -> Application | None:
        with self.lock:
            return next((a for a in self.apps.values() if a.app_id == app_id), None)

    def _find_app(self, seg: str) -> tuple[Application | None, str]:
        """``/{id}`` or ``(appId='…')`` → the application and what follows."""
        m = re.match(r"^\(appId='([^']*)'\)(/.*)?$", seg)
        if m:
            return self._app_by_app_id(m.group(1)), m.group(2) or ""
        m = re.match(r"^/([^/]+)(/.*)?$", seg)
        if m:
            with self.lock:
                return self.apps.get(m.group(1)), m.group(2) or ""
        return None, ""

    def _app_json(self, app: Application, context: bool = True) -> dict[str, Any]:
        b = app.body
        web = b.get("web") or {}
        out: dict[str, Any] = {}
        if context:
            out["@odata.context"] = self._ctx("applications/$entity")
        out.update({
            "id": app.id, "deletedDateTime": None, "appId": app.app_id, "applicationTemplateId": None,
            "disabledByMicrosoftStatus": None, "createdDateTime": iso(app.created),
            "displayName": b.get("displayName"), "description": b.get("description"),
            "groupMembershipClaims": b.get("groupMembershipClaims"), "identifierUris": list(b.get("identifierUris") or []),
            "isDeviceOnlyAuthSupported": b.get("isDeviceOnlyAuthSupported"),
            "isFallbackPublicClient": b.get("isFallbackPublicClient"), "notes": b.get("notes"),
            "publisherDomain": self.config.tenant_domain, "serviceManagementReference": b.get("serviceManagementReference"),
            "signInAudience": b.get("signInAudience") or "AzureADMyOrg", "tags": list(b.get("tags") or []),
            "tokenEncryptionKeyId": None, "defaultRedirectUri": None, "optionalClaims": b.get("optionalClaims"),
            "addIns": [],
            "api": {"acceptMappedClaims": None, "knownClientApplications": [],
                    "requestedAccessTokenVersion": (b.get("api") or {}).get("requestedAccessTokenVersion"),
                    "oauth2PermissionScopes": [], "preAuthorizedApplications": []},
            "appRoles": [], "info": {"logoUrl": None, "marketingUrl": None, "privacyStatementUrl": None,
                                     "supportUrl": None, "termsOfServiceUrl": None},
            "keyCredentials": [],
            "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
            "passwordCredentials": [p.public() for p in app.passwords],
            "publicClient": {"redirectUris": list((b.get("publicClient") or {}).get("redirectUris") or [])},
            "requiredResourceAccess": list(b.get("requiredResourceAccess") or []),
            "verifiedPublisher": {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None},
            "web": {"homePageUrl": web.get("homePageUrl"), "logoutUrl": web.get("logoutUrl"),
                    "redirectUris": list(web.get("redirectUris") or []),
                    "implicitGrantSettings": {"enableAccessTokenIssuance": False, "enableIdTokenIssuance": False},
                    "redirectUriSettings": [{"uri": u, "index": None} for u in web.get("redirectUris") or []]},
            "spa": {"redirectUris": list((b.get("spa") or {}).get("redirectUris") or [])},
        })
        return out

    def _validate_app(self, body: dict[str, Any], creating: bool) -> tuple[int, Any] | None:
        for key in body:
            if key not in APP_PROPERTIES:
                return bad_request(f"Property '{key}' does not exist as a declared property or extension property.")
        if creating and not str(body.get("displayName") or "").strip():
            return bad_request("Invalid value specified for property 'displayName' of resource 'Application'.")
        audience = body.get("signInAudience", "AzureADMyOrg" if creating else None)
        if audience is not None and audience not in AUDIENCES:
            return bad_request("Invalid value specified for property 'signInAudience' of resource 'Application'.")
        if audience in ("AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount") and (
                body.get("api") or {}).get("requestedAccessTokenVersion") != 2:
            return bad_request("Property api.requestedAccessTokenVersion is invalid.")
        for platform in ("web", "publicClient", "spa"):
            section = body.get(platform)
            if section is None:
                continue
            if not isinstance(section, dict):
                return bad_request(f"Invalid value specified for property '{platform}' of resource 'Application'.")
            uris = section.get("redirectUris") or []
            if not isinstance(uris, list) or not all(isinstance(u, str) and redirect_ok(
                    u, "publicClient" if platform == "publicClient" else platform) for u in uris):
                return bad_request("One or more properties contains invalid values.")
        for rra in body.get("requiredResourceAccess") or []:
            if not isinstance(rra, dict) or not GUID.match(str(rra.get("resourceAppId", ""))):
                return bad_request("Invalid value specified for property 'requiredResourceAccess' of resource "
                                   "'Application'.")
            for ra in rra.get("resourceAccess") or []:
                if not isinstance(ra, dict) or not GUID.match(str(ra.get("id", ""))) or ra.get("type") not in (
                        "Scope", "Role"):
                    return bad_request("Invalid value specified for property 'resourceAccess' of resource "
                                       "'RequiredResourceAccess'.")
        return None

    def _required_scopes(self, app: Application) -> list[str]:
        by_id = {pid: name for name, (pid, _) in GRAPH_SCOPES.items()}
        out: list[str] = []
        for rra in app.body.get("requiredResourceAccess") or []:
            if rra.get("resourceAppId") == GRAPH_APP_ID:
                out += [by_id[ra["id"]] for ra in rra.get("resourceAccess") or [] if ra.get("id") in by_id]
        return out

    def _may_manage(self, caller: SandboxUser | None, app: Application) -> bool:
        return caller is not None and (app.owner == caller.email.lower() or self.is_admin(caller.email))

    def _applications(self, method: str, seg: str, query: dict[str, str], body: dict[str, Any],
                      caller: SandboxUser | None, scp: set[str]) -> tuple[int, Any]:
        if seg in ("", "/"):
            if method == "GET":
                app_id = filter_eq(query, "appId")
                name = filter_eq(query, "displayName")
                with self.lock:
                    found = [a for a in self.apps.values() if (app_id is None or a.app_id == app_id)
                             and (name is None or a.body.get("displayName") == name)]
                return 200, {"@odata.context": self._ctx("applications"),
                             "value": [self._app_json(a, context=False) for a in found]}
            if method != "POST":
                return graph_error(405, "Request_BadRequest", f"The HTTP method '{method}' is not allowed.")
            if not scp & APP_WRITE or caller is None:
                return graph_error(403, "Authorization_RequestDenied", PRIVILEGES)
            if caller.personal:
                return bad_request(MSA_NO_DIRECTORY)
            if not self.may_create_apps(caller.email):
                return graph_error(403, "Authorization_RequestDenied", PRIVILEGES)
            problem = self._validate_app(body, creating=True)
            if problem:
                return problem
            now = self.idp.clock.now()
            stored = {k: v for k, v in body.items() if k != "passwordCredentials"}
            stored.setdefault("signInAudience", "AzureADMyOrg")
            app = Application(_guid(), _guid(), stored, now, caller.email.lower())
            with self.lock:
                self.apps[app.id] = app
                self._publish(app, visible_at=now + self.propagation_delay)
            self.save()
            return 201, self._app_json(app)
        hit, sub = self._find_app(seg)
        if hit is None:
            return not_found(seg.strip("/").split("/")[0])
        app = hit
        if sub == "" and method == "GET":
            return 200, self._app_json(app)
        if not scp & APP_WRITE or not self._may_manage(caller, app):
            return graph_error(403, "Authorization_RequestDenied", PRIVILEGES)
        if sub == "" and method == "DELETE":
            with self.lock:
                self.apps.pop(app.id, None)
                for sp in [s for s in self.sps.values() if s.app_id == app.app_id]:
                    self._drop_sp(sp)
            self._unpublish(app)
            self.save()
            return 204, None
        if sub == "" and method == "PATCH":
            problem = self._validate_app(body, creating=False)
            if problem:
                return problem
            with self.lock:
                app.body.update({k: v for k, v in body.items() if k != "passwordCredentials"})
                self._publish(app, visible_at=0.0)
            self.save()
            return 204, None
        if sub == "/addPassword" and method == "POST":
            cred = body.get("passwordCredential") or {}
            if not isinstance(cred, dict):
                return bad_request("Invalid value specified for property 'passwordCredential'.")
            now = self.idp.clock.now()
            try:
                start = parse_iso(str(cred["startDateTime"])) if cred.get("startDateTime") else now
                end = parse_iso(str(cred["endDateTime"])) if cred.get("endDateTime") else start + 2 * 365 * 86400
            except ValueError:
                return bad_request("Invalid value specified for property 'endDateTime' of resource "
                                   "'PasswordCredential'.")
            if end <= start:
                return bad_request("Key credential end date is invalid.")
            pw = Password(_guid(), str(cred.get("displayName") or ""), start, end, new_secret())
            with self.lock:
                app.passwords.append(pw)
                self._publish(app, visible_at=0.0)
            self.save()
            return 200, {"@odata.context": self._ctx("microsoft.graph.passwordCredential"), **pw.public(True)}
        if sub == "/removePassword" and method == "POST":
            key = str(body.get("keyId") or "")
            with self.lock:
                kept = [p for p in app.passwords if p.key_id != key]
                if len(kept) == len(app.passwords):
                    return bad_request(f"No password credential found with keyId '{key}'.")
                app.passwords = kept
                self._publish(app, visible_at=0.0)
            self.save()
            return 204, None
        return bad_request(f"Resource not found for the segment '{sub.strip('/')}'.")

    # -- service principals ---------------------------------------------------------------------

    def _sp_by_app_id(self, app_id: str) -> ServicePrincipal | None:
        with self.lock:
            return next((s for s in self.sps.values() if s.app_id == app_id), None)

    def _drop_sp(self, sp: ServicePrincipal) -> None:
        self.sps.pop(sp.id, None)
        for g in [g for g in self.grants.values() if g.client_id == sp.id]:
            self.grants.pop(g.id, None)

    def _sp_json(self, sp: ServicePrincipal, context: bool = True) -> dict[str, Any]:
        app = self._app_by_app_id(sp.app_id)
        out: dict[str, Any] = {"@odata.context": self._ctx("servicePrincipals/$entity")} if context else {}
        scopes = []
        if sp.app_id == GRAPH_APP_ID:
            scopes = [{"adminConsentDescription": f"Allows the app to {name} (sandbox).",
                       "adminConsentDisplayName": name, "id": pid, "isEnabled": True, "type": kind,
                       "userConsentDescription": None if kind == "Admin" else f"Allows the app to {name}.",
                       "userConsentDisplayName": None if kind == "Admin" else name, "value": name}
                      for name, (pid, kind) in GRAPH_SCOPES.items()]
        out.update({
            "id": sp.id, "deletedDateTime": None, "accountEnabled": True, "appDisplayName": sp.display_name,
            "appId": sp.app_id, "appOwnerOrganizationId": (self.config.tenant_id if not sp.first_party
                                                           else "f8cdef31-a31e-4b4a-93e4-5f571e91255a"),
            "appRoleAssignmentRequired": False, "displayName": sp.display_name,
            "servicePrincipalNames": [sp.app_id], "servicePrincipalType": "Application",
            "signInAudience": (app.body.get("signInAudience") if app else "AzureADMultipleOrgs"),
            "tags": [], "appRoles": [], "oauth2PermissionScopes": scopes,
            "replyUrls": list(((app.body.get("web") or {}).get("redirectUris") or []) +
                              ((app.body.get("publicClient") or {}).get("redirectUris") or [])) if app else [],
        })
        return out

    def _service_principals(self, method: str, seg: str, query: dict[str, str], body: dict[str, Any],
                            caller: SandboxUser | None, scp: set[str]) -> tuple[int, Any]:
        if seg in ("", "/"):
            if method == "GET":
                app_id = filter_eq(query, "appId")
                with self.lock:
                    found = [s for s in self.sps.values() if app_id is None or s.app_id == app_id]
                return 200, {"@odata.context": self._ctx("servicePrincipals"),
                             "value": [self._sp_json(s, context=False) for s in found]}
            if method != "POST":
                return graph_error(405, "Request_BadRequest", f"The HTTP method '{method}' is not allowed.")
            if not scp & APP_WRITE or caller is None:
                return graph_error(403, "Authorization_RequestDenied", PRIVILEGES)
            app_id = str(body.get("appId") or "")
            app = self._app_by_app_id(app_id)
            if app is None:
                return bad_request(f"The appId '{app_id}' of the service principal does not reference a valid "
                                   f"application object.")
            if not self._may_manage(caller, app):
                return graph_error(403, "Authorization_RequestDenied", PRIVILEGES)
            if self._sp_by_app_id(app_id) is not None:
                return graph_error(409, "Request_MultipleObjectsWithSameKeyValue",
                                   "The service principal cannot be created, updated, or restored because the "
                                   "service principal name " + app_id + " is already in use.")
            sp = ServicePrincipal(_guid(), app_id, str(app.body.get("displayName") or ""), self.idp.clock.now())
            with self.lock:
                self.sps[sp.id] = sp
            self.save()
            return 201, self._sp_json(sp)
        m = re.match(r"^\(appId='([^']*)'\)$", seg)
        with self.lock:
            hit = self._sp_by_app_id(m.group(1)) if m else self.sps.get(seg.strip("/").split("/")[0])
        if hit is None:
            return not_found(seg.strip("/()"))
        sp = hit
        if method == "GET":
            return 200, self._sp_json(sp)
        if method == "DELETE":
            app = self._app_by_app_id(sp.app_id)
            if sp.first_party or app is None or not scp & APP_WRITE or not self._may_manage(caller, app):
                return graph_error(403, "Authorization_RequestDenied", PRIVILEGES)
            with self.lock:
                self._drop_sp(sp)
            self.save()
            return 204, None
        return graph_error(405, "Request_BadRequest", f"The HTTP method '{method}' is not allowed.")

    # -- delegated permission grants --------------------------------------------------------------

    def _grant_json(self, g: Grant, context: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {"@odata.context": self._ctx("oauth2PermissionGrants/$entity")} if context else {}
        out.update({"clientId": g.client_id, "consentType": g.consent_type, "id": g.id,
                    "principalId": g.principal_id, "resourceId": g.resource_id, "scope": g.scope})
        return out

    def _grants(self, method: str, seg: str, query: dict[str, str], body: dict[str, Any],
                caller: SandboxUser | None, scp: set[str]) -> tuple[int, Any]:
        if seg in ("", "/"):
            if method == "GET":
                client = filter_eq(query, "clientId")
                with self.lock:
                    found = [g for g in self.grants.values() if client is None or g.client_id == client]
                return 200, {"@odata.context": self._ctx("oauth2PermissionGrants"),
                             "value": [self._grant_json(g, context=False) for g in found]}
            if method != "POST":
                return graph_error(405, "Request_BadRequest", f"The HTTP method '{method}' is not allowed.")
            if not scp & GRANT_WRITE or caller is None:
                return graph_error(403, "Authorization_RequestDenied", PRIVILEGES)
            kind = str(body.get("consentType") or "")
            if kind not in ("AllPrincipals", "Principal"):
                return bad_request("Invalid value specified for property 'consentType' of resource "
                                   "'OAuth2PermissionGrant'.")
            principal = body.get("principalId")
            if kind == "AllPrincipals" and principal:
                return bad_request("principalId must be null when consentType is AllPrincipals.")
            mine = kind == "Principal" and principal == user_oid(caller.email)
            if not (self.is_admin(caller.email) or (mine and self.users_can_consent)):
                return graph_error(403, "Authorization_RequestDenied", PRIVILEGES)
            with self.lock:
                client_sp = self.sps.get(str(body.get("clientId") or ""))
                resource_sp = self.sps.get(str(body.get("resourceId") or ""))
            if client_sp is None:
                return not_found(str(body.get("clientId") or ""))
            if resource_sp is None:
                return not_found(str(body.get("resourceId") or ""))
            scope = " ".join(str(body.get("scope") or "").split())
            with self.lock:
                for g in self.grants.values():
                    if (g.client_id, g.resource_id, g.consent_type, g.principal_id) == (
                            client_sp.id, resource_sp.id, kind, principal or None):
                        return graph_error(409, "Request_MultipleObjectsWithSameKeyValue",
                                           "Permission entry already exists.")
                grant = Grant(secrets.token_urlsafe(32)[:43], client_sp.id, kind, principal or None,
                              resource_sp.id, scope)
                self.grants[grant.id] = grant
            self.save()
            return 201, self._grant_json(grant)
        gid = seg.strip("/")
        with self.lock:
            known = self.grants.get(gid)
        if known is None:
            return not_found(gid)
        grant = known
        if method == "GET":
            return 200, self._grant_json(grant)
        if method == "DELETE":
            if caller is None or not scp & GRANT_WRITE or not (
                    self.is_admin(caller.email) or grant.principal_id == user_oid(caller.email)):
                return graph_error(403, "Authorization_RequestDenied", PRIVILEGES)
            with self.lock:
                self.grants.pop(gid, None)
            self.save()
            return 204, None
        return graph_error(405, "Request_BadRequest", f"The HTTP method '{method}' is not allowed.")

    # -- practice switches (admin API) ------------------------------------------------------------

    def admin(self, op: str, body: dict[str, Any]) -> dict[str, Any]:
        """``directory_set`` (users_can_register_apps, users_can_consent, app_propagation_delay),
        ``directory_roles`` (user, roles), ``directory_state`` (what exists; never a secret)."""
        if op == "directory_set":
            with self.lock:
                if "users_can_register_apps" in body:
                    self.allowed_to_create_apps = bool(body["users_can_register_apps"])
                if "users_can_consent" in body:
                    self.users_can_consent = bool(body["users_can_consent"])
                if "app_propagation_delay" in body:
                    self.propagation_delay = float(body["app_propagation_delay"])
            self.save()
            return {"ok": True}
        if op == "directory_roles":
            user = str(body["user"]).lower()
            with self.lock:
                self.roles[user] = {ROLE_BY_NAME.get(str(r).lower(), str(r)) for r in body.get("roles") or []}
            return {"ok": True}
        if op == "directory_state":
            return self.state()
        raise ValueError(f"unknown directory operation {op!r}")

    def state(self) -> dict[str, Any]:
        """Apps, service principals and grants as ids and names (no secret), for tests and trainers."""
        with self.lock:
            return {
                "applications": [{"id": a.id, "appId": a.app_id, "displayName": a.body.get("displayName"),
                                  "owner": a.owner, "passwords": len(a.passwords)} for a in self.apps.values()],
                "servicePrincipals": [{"id": s.id, "appId": s.app_id} for s in self.sps.values()
                                      if not s.first_party],
                "grants": [self._grant_json(g, context=False) for g in self.grants.values()],
                "users_can_register_apps": self.allowed_to_create_apps,
                "users_can_consent": self.users_can_consent,
                "app_propagation_delay": self.propagation_delay,
            }


__all__ = ["AZURE_CLI_APP_ID", "GRAPH_APP_ID", "GRAPH_CLI_APP_ID", "GRAPH_SCOPES", "GraphDirectory",
           "bootstrap_apps"]
