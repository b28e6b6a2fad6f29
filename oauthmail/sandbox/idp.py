"""The identity providers' rules, without HTTP: codes, tokens, consent, device codes, errors.

Two shapes share one state: Google (``/o/oauth2/auth``, ``/token``: PKCE, no refresh-token
rotation, Testing-status 7-day refresh tokens, granular consent) and the Microsoft identity
platform v2 (``/{tenant}/oauth2/v2.0/...``: PKCE, rotation, device code, one resource per
token). Every refusal is worded the way the real service words it, because the kit's error
catalog and the people in a class learn from those words.

Tokens are random strings looked up in this state (the SMTP server asks :meth:`check_access_token`);
Microsoft access tokens are additionally JWT-shaped and as long as real ones (1.5-2.5 KB), so
clients that split, log or size-check them meet the real thing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from .config import GoogleClient, MicrosoftApp, SandboxConfig, SandboxUser

GOOGLE_MAIL_SCOPE = "https://mail.google.com/"
GOOGLE_SCOPE_ALIASES = {
    "email": "https://www.googleapis.com/auth/userinfo.email",
    "profile": "https://www.googleapis.com/auth/userinfo.profile",
}
GOOGLE_BASIC_SCOPES = {"openid", "https://www.googleapis.com/auth/userinfo.email",
                       "https://www.googleapis.com/auth/userinfo.profile"}
GOOGLE_KNOWN_SCOPES = GOOGLE_BASIC_SCOPES | {
    GOOGLE_MAIL_SCOPE,
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/gmail.readonly",
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/gmail.modify",
}
MS_RESERVED_SCOPES = {"openid", "profile", "offline_access", "email"}
MS_GRAPH = "https://graph.microsoft.com"
MS_OUTLOOK = "https://outlook.office.com"
MS_TENANT_ALIASES = {"common", "organizations", "consumers"}


# -- small pure helpers ----------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_json(obj: Any) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    """RFC 7636: S256 compares base64url(sha256(verifier)); plain compares the strings."""
    if (method or "plain").upper() == "S256":
        return secrets.compare_digest(b64url(hashlib.sha256(verifier.encode("ascii", "replace")).digest()), challenge)
    return secrets.compare_digest(verifier, challenge)


def split_scopes(value: str | None) -> list[str]:
    out: list[str] = []
    for s in (value or "").replace(",", " ").split():
        if s not in out:
            out.append(s)
    return out


def expand_google_scopes(scopes: list[str]) -> list[str]:
    """Google answers with full URLs: ``email`` → ``…/auth/userinfo.email``."""
    out: list[str] = []
    for s in scopes:
        full = GOOGLE_SCOPE_ALIASES.get(s, s)
        if full not in out:
            out.append(full)
    return out


def ms_resource(scope: str) -> str | None:
    """The resource (audience) a Microsoft scope belongs to; None for the OIDC ones."""
    if scope.lower() in MS_RESERVED_SCOPES:
        return None
    if scope.startswith(("https://", "api://")):
        parts = urlsplit(scope)
        base = f"{parts.scheme}://{parts.netloc}"
        return MS_OUTLOOK if parts.netloc.lower() in ("outlook.office.com", "outlook.office365.com") else base
    return MS_GRAPH


def ms_short_scope(scope: str) -> str:
    """``https://outlook.office.com/SMTP.Send`` → ``SMTP.Send`` (the ``scp`` claim's form)."""
    return scope.rsplit("/", 1)[-1] if "://" in scope else scope


def is_loopback_uri(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    return parts.scheme == "http" and (parts.hostname or "") in ("127.0.0.1", "localhost", "::1")


def google_redirect_allowed(client: GoogleClient, uri: str) -> bool:
    """Web clients: exact string match. Desktop clients: any loopback port and path (facts 2-5)."""
    if client.kind == "installed":
        return is_loopback_uri(uri)
    return uri in client.redirect_uris


def _norm_path(path: str) -> str:
    return path or "/"


def ms_redirect_platform(app: MicrosoftApp, uri: str) -> str | None:
    """``"web"``/``"public"`` when ``uri`` matches a registered redirect, else None.

    Entra compares scheme, host and path exactly (path case-sensitive); for localhost the port is
    ignored (fact 39), and a registered URI without a path matches ``/``.
    """
    try:
        want = urlsplit(uri)
        _ = want.port  # a malformed port is no match
    except ValueError:
        return None
    for platform, registered in (("web", app.web_redirect_uris), ("public", app.public_redirect_uris)):
        for reg in registered:
            if reg == uri:
                return platform
            try:
                have = urlsplit(reg)
            except ValueError:
                continue
            if (have.scheme == want.scheme and (have.hostname or "") == (want.hostname or "")
                    and (have.hostname or "") in ("localhost", "127.0.0.1")
                    and _norm_path(have.path) == _norm_path(want.path) and not want.query):
                return platform
    return None


def _rand(n: int) -> str:
    return secrets.token_urlsafe(n)


def user_oid(email: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "oauthmail-sandbox:" + email.lower()))


def google_sub(email: str) -> str:
    return str(int(hashlib.sha256(email.lower().encode()).hexdigest(), 16))[:21]


# -- state ------------------------------------------------------------------------------------

class Clock:
    """The sandbox's own clock: real time plus an offset a trainer can move forward."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> float:
        """Move forward (e.g. 8 days to see a Testing refresh token expire); returns the new now()."""
        with self._lock:
            self._offset += float(seconds)
        return self.now()

    @property
    def offset(self) -> float:
        return self._offset


@dataclass
class AccessGrant:
    provider: str
    client_id: str
    user: str
    scopes: list[str]
    audience: str
    issued_at: float
    expires_at: float
    tenant: str = ""


@dataclass
class RefreshGrant:
    provider: str
    client_id: str
    user: str
    scopes: list[str]
    consent_at: float
    last_used: float
    expires_at: float | None = None
    revoked: bool = False
    confidential: bool = False
    tenant: str = ""
    replaced: bool = False


@dataclass
class AuthCode:
    provider: str
    client_id: str
    user: str
    scopes: list[str]
    redirect_uri: str
    expires_at: float
    code_challenge: str = ""
    challenge_method: str = ""
    nonce: str = ""
    used: bool = False
    confidential: bool = False
    tenant: str = ""
    offline: bool = True


@dataclass
class DeviceFlow:
    client_id: str
    scopes: list[str]
    user_code: str
    expires_at: float
    tenant: str
    status: str = "pending"  # pending | approved | denied | redeemed
    user: str = ""


@dataclass
class ConsentRequest:
    """What the consent page is asking about; kept server-side, the form carries only its id."""

    id: str
    provider: str
    client_id: str
    app_name: str
    scopes: list[str]
    redirect_uri: str = ""
    state: str | None = None
    response_mode: str = "query"
    code_challenge: str = ""
    challenge_method: str = ""
    nonce: str = ""
    login_hint: str = ""
    tenant: str = ""
    platform: str = ""
    offline: bool = True
    device_code: str = ""
    created: float = field(default_factory=time.time)


@dataclass
class Outcome:
    """What the browser gets after a page step."""

    kind: str  # "redirect" | "form_post" | "error" | "blocked" | "consent" | "device_done" | "device_code"
    url: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    status: int = 200
    error: str = ""  # e.g. "redirect_uri_mismatch", "AADSTS50011"
    detail: str = ""  # the provider's wording
    request: ConsentRequest | None = None


class OAuthError(Exception):
    """A token-endpoint refusal: HTTP status and the provider-shaped JSON body."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("error", "error"))
        self.status = status
        self.body = body


def with_query(url: str, params: dict[str, str | None]) -> str:
    clean = {k: v for k, v in params.items() if v is not None}
    sep = "&" if urlsplit(url).query else "?"
    return url + sep + urlencode(clean)


class IdentityProvider:
    """All issued codes and tokens, and the rules for issuing them (thread-safe)."""

    def __init__(self, config: SandboxConfig, clock: Clock, base_url: str, state_file: Path | None = None) -> None:
        self.config = config
        self.clock = clock
        self.base_url = base_url
        self.state_file = state_file
        self.faults: dict[str, Any] = dict(config.faults)
        self.lock = threading.RLock()
        self.codes: dict[str, AuthCode] = {}
        self.access: dict[str, AccessGrant] = {}
        self.refresh: dict[str, RefreshGrant] = {}
        self.devices: dict[str, DeviceFlow] = {}
        self.consents: dict[str, ConsentRequest] = {}
        self.token_requests: list[dict[str, Any]] = []
        self._google_consented: set[tuple[str, str]] = set()
        #: The Graph directory (oauthmail.sandbox.directory.GraphDirectory) when mounted: its hooks judge
        #: apps registered through Graph (audience, first-party scopes, admin-only consent, ``.default``).
        self.directory: Any = None
        self._load()

    # -- persistence (refresh and access tokens survive a restart; 0600) ------------------------

    def _load(self) -> None:
        if not self.state_file or not self.state_file.exists():
            return
        try:
            data = json.loads(self.state_file.read_text(encoding="utf-8"))
            self.refresh = {k: RefreshGrant(**v) for k, v in data.get("refresh", {}).items()}
            self.access = {k: AccessGrant(**v) for k, v in data.get("access", {}).items()}
            self.clock.advance(float(data.get("clock_offset", 0.0)))
        except (ValueError, TypeError, OSError):
            self.refresh, self.access = {}, {}

    def save(self) -> None:
        if not self.state_file:
            return
        now = self.clock.now()
        with self.lock:  # snapshot and write together, so an older snapshot never wins
            data = {
                "clock_offset": self.clock.offset,
                "refresh": {k: asdict(v) for k, v in self.refresh.items()},
                "access": {k: asdict(v) for k, v in self.access.items() if v.expires_at > now},
            }
            from ..tokenfile import atomic_write  # mkstemp: no fixed temp name a planted link could catch

            atomic_write(self.state_file, json.dumps(data), sync=False)

    # -- shared bits ----------------------------------------------------------------------------

    def user(self, email: str | None) -> SandboxUser | None:
        return self.config.user(email)

    def users_for(self, provider: str) -> list[SandboxUser]:
        return [u for u in self.config.users if u.provider == provider]

    def record_request(self, provider: str, grant_type: str, client_id: str) -> None:
        with self.lock:
            self.token_requests.append({"provider": provider, "grant_type": grant_type,
                                        "client_id": client_id, "time": self.clock.now()})

    def new_consent(self, **kwargs: Any) -> ConsentRequest:
        req = ConsentRequest(id=_rand(18), **kwargs)
        with self.lock:
            self.consents[req.id] = req
        return req

    def take_consent(self, req_id: str) -> ConsentRequest | None:
        with self.lock:
            return self.consents.pop(req_id, None)

    def peek_consent(self, req_id: str) -> ConsentRequest | None:
        with self.lock:
            return self.consents.get(req_id)

    def check_access_token(self, token: str) -> AccessGrant | None:
        """The grant behind a live access token, or None (unknown or expired)."""
        with self.lock:
            grant = self.access.get(token)
        if grant is None or grant.expires_at <= self.clock.now():
            return None
        return grant

    def known_access_token(self, token: str) -> AccessGrant | None:
        """The grant behind an access token even if expired (to pick the SMTP error style)."""
        with self.lock:
            return self.access.get(token)

    def revoke(self, token: str) -> bool:
        """Revoke a refresh token (and the access tokens of that user and client) or one access token."""
        with self.lock:
            grant = self.refresh.get(token)
            if grant:
                grant.revoked = True
                for key, acc in list(self.access.items()):
                    if acc.client_id == grant.client_id and acc.user == grant.user:
                        del self.access[key]
                self.save()
                return True
            if self.access.pop(token, None):
                self.save()
                return True
        return False

    # -- issuing --------------------------------------------------------------------------------

    def _issue_google_access(self, client_id: str, user: str, scopes: list[str]) -> tuple[str, int]:
        token = "ya29.a0" + _rand(120)
        now = self.clock.now()
        life = self.config.google_access_token
        with self.lock:
            self.access[token] = AccessGrant("google", client_id, user, list(scopes), "google", now, now + life)
        return token, life

    def _google_id_token(self, client_id: str, user: SandboxUser, nonce: str = "") -> str:
        now = int(self.clock.now())
        claims: dict[str, Any] = {
            "iss": self.base_url, "azp": client_id, "aud": client_id, "sub": google_sub(user.email),
            "email": user.email, "email_verified": True, "name": user.display_name, "iat": now, "exp": now + 3600,
        }
        if nonce:
            claims["nonce"] = nonce
        return ".".join([b64url_json({"alg": "RS256", "kid": "sandbox", "typ": "JWT"}), b64url_json(claims),
                         b64url(secrets.token_bytes(256))])

    def _ms_access_token(self, app: MicrosoftApp, user: SandboxUser, resource: str, scopes: list[str],
                         tenant: str, life: int) -> str:
        now = int(self.clock.now())
        tid = self.config.tenant_id
        first, _, last = user.display_name.partition(" ")
        claims: dict[str, Any] = {
            "aud": resource, "iss": f"https://sts.windows.net/{tid}/", "iat": now, "nbf": now, "exp": now + life,
            "acct": 0, "acr": "1", "aio": _rand(60), "amr": ["pwd", "mfa"], "app_displayname": app.app_name,
            "appid": app.client_id, "appidacr": "0", "family_name": last or first, "given_name": first,
            "idtyp": "user", "ipaddr": "127.0.0.1", "name": user.display_name, "oid": user_oid(user.email),
            "platf": "14", "puid": secrets.token_hex(8).upper(), "rh": "0." + _rand(60),
            "scp": " ".join(ms_short_scope(s) for s in scopes), "sid": str(uuid.uuid4()),
            "signin_state": ["kmsi"], "sub": _rand(32), "tid": tid, "unique_name": user.email, "upn": user.email,
            "uti": _rand(16), "ver": "1.0", "wids": ["b79fbf4d-3ef9-4689-8143-76b194e85509"],
            "xms_ftd": _rand(48), "xms_idrel": "1 12", "xms_st": {"sub": _rand(32)}, "xms_tcdt": 1600000000,
            "sandbox_tenant_alias": tenant,
        }
        header = {"typ": "JWT", "nonce": _rand(32), "alg": "RS256", "x5t": _rand(20), "kid": _rand(20)}
        return ".".join([b64url_json(header), b64url_json(claims), b64url(secrets.token_bytes(256))])

    def _ms_id_token(self, app: MicrosoftApp, user: SandboxUser, nonce: str) -> str:
        now = int(self.clock.now())
        tid = self.config.tenant_id
        claims: dict[str, Any] = {
            "ver": "2.0", "iss": f"{self.base_url}/{tid}/v2.0", "sub": _rand(32), "aud": app.client_id,
            "exp": now + 3600, "iat": now, "nbf": now, "name": user.display_name,
            "preferred_username": user.email, "oid": user_oid(user.email), "tid": tid, "aio": _rand(40),
        }
        if nonce:
            claims["nonce"] = nonce
        return ".".join([b64url_json({"typ": "JWT", "alg": "RS256", "kid": "sandbox"}), b64url_json(claims),
                         b64url(secrets.token_bytes(256))])

    def mint_tokens(self, provider: str, client_id: str, user: str, scopes: list[str]) -> dict[str, Any]:
        """Tokens as if consent had just happened (for tests and trainers writing an INI by hand)."""
        person = self.user(user)
        if person is None:
            raise ValueError(f"unknown sandbox user {user!r}")
        now = self.clock.now()
        if provider == "google":
            client = self.config.google_client(client_id)
            if client is None:
                raise ValueError(f"unknown Google client {client_id!r}")
            full = expand_google_scopes(scopes)
            rt = self._new_google_refresh(client, person.email, full, now)
            at, life = self._issue_google_access(client_id, person.email, full)
            self.save()
            return {"refresh_token": rt, "access_token": at, "expires_in": life, "scope": " ".join(full)}
        app = self.config.microsoft_app(client_id)
        if app is None:
            raise ValueError(f"unknown Microsoft app {client_id!r}")
        resources = {r for r in (ms_resource(s) for s in scopes) if r}
        if len(resources) > 1:
            raise ValueError("one token = one resource (AADSTS28000)")
        rt = self._new_ms_refresh(app, person.email, list(scopes), now, app.has_secret, self.config.tenant_id)
        at, life, res_scopes = self._issue_ms_access(app, person, scopes, self.config.tenant_id)
        self.save()
        return {"refresh_token": rt, "access_token": at, "expires_in": life, "scope": " ".join(res_scopes)}

    def _new_google_refresh(self, client: GoogleClient, user: str, scopes: list[str], now: float) -> str:
        token = "1//0g" + _rand(72)
        expires: float | None = None
        if client.testing and not set(scopes) <= GOOGLE_BASIC_SCOPES:
            expires = now + self.config.testing_refresh_token_days * 86400
        with self.lock:
            self.refresh[token] = RefreshGrant("google", client.client_id, user, list(scopes), now, now, expires,
                                               confidential=client.kind == "web")
        return token

    def _new_ms_refresh(self, app: MicrosoftApp, user: str, scopes: list[str], now: float, confidential: bool,
                        tenant: str) -> str:
        token = "1.AUEA" + _rand(420)
        with self.lock:
            self.refresh[token] = RefreshGrant("microsoft", app.client_id, user, list(scopes), now, now, None,
                                               confidential=confidential, tenant=tenant)
        return token

    def _issue_ms_access(self, app: MicrosoftApp, user: SandboxUser, scopes: list[str],
                         tenant: str) -> tuple[str, int, list[str]]:
        if self.directory is not None:
            scopes = self.directory.expand_default(app, scopes)
        res_scopes = [s for s in scopes if ms_resource(s)]
        resource = ms_resource(res_scopes[0]) if res_scopes else MS_GRAPH
        if not res_scopes:
            res_scopes = ["User.Read"]
        assert resource is not None
        life = self.config.microsoft_access_token
        token = self._ms_access_token(app, user, resource, res_scopes, tenant, life)
        now = self.clock.now()
        with self.lock:
            self.access[token] = AccessGrant("microsoft", app.client_id, user.email,
                                             [ms_short_scope(s) for s in res_scopes], resource, now, now + life,
                                             tenant=tenant)
        return token, life, res_scopes

    def pkce_missing(self, params: dict[str, str]) -> str:
        """With ``pkce: required``: why this authorization request is refused (``""`` when it is fine)."""
        if self.config.pkce != "required":
            return ""
        if not params.get("code_challenge"):
            return "Proof Key for Code Exchange is required: missing parameter code_challenge (this sandbox runs " \
                   "with pkce: required)."
        if params.get("code_challenge_method", "") != "S256":
            return "Proof Key for Code Exchange is required with code_challenge_method=S256 (this sandbox runs " \
                   "with pkce: required)."
        return ""

    # == Google =================================================================================

    def google_authorize(self, params: dict[str, str]) -> Outcome:
        client_id = params.get("client_id", "")
        client = self.config.google_client(client_id)
        if client is None:
            return Outcome("error", status=401, error="invalid_client",
                           detail="The OAuth client was not found." if client_id else "Missing required parameter: client_id")
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri:
            return Outcome("error", status=400, error="invalid_request", detail="Missing required parameter: redirect_uri")
        if not google_redirect_allowed(client, redirect_uri):
            return Outcome("error", status=400, error="redirect_uri_mismatch",
                           detail=f"You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 "
                                  f"policy. If you're the app developer, register the redirect URI in the Google "
                                  f"Cloud Console. Request details: redirect_uri={redirect_uri} "
                                  f"flowName=GeneralOAuthFlow")
        state = params.get("state")
        if params.get("response_type", "") != "code":
            return Outcome("redirect", url=with_query(redirect_uri, {
                "error": "unsupported_response_type", "state": state}), status=302)
        scopes = split_scopes(params.get("scope"))
        if not scopes:
            return Outcome("error", status=400, error="invalid_request", detail="Missing required parameter: scope")
        full = expand_google_scopes(scopes)
        unknown = [s for s in full if s not in GOOGLE_KNOWN_SCOPES]
        if unknown:
            return Outcome("error", status=400, error="invalid_scope",
                           detail=f"Some requested scopes were invalid. {{invalid={unknown}}}")
        method = params.get("code_challenge_method", "")
        if params.get("code_challenge") and method and method.upper() not in ("S256", "PLAIN"):
            return Outcome("error", status=400, error="invalid_request",
                           detail="Invalid code_challenge_method value.")
        missing = self.pkce_missing(params)
        if missing:
            return Outcome("error", status=400, error="invalid_request", detail=missing)
        offline = params.get("access_type", "online") == "offline"
        req = self.new_consent(provider="google", client_id=client.client_id, app_name=client.app_name,
                               scopes=full, redirect_uri=redirect_uri, state=state,
                               code_challenge=params.get("code_challenge", ""),
                               challenge_method=method or ("plain" if params.get("code_challenge") else ""),
                               nonce=params.get("nonce", ""), login_hint=params.get("login_hint", ""),
                               offline=offline, platform=params.get("prompt", ""))
        return Outcome("consent", request=req)

    def google_consent(self, req: ConsentRequest, allow: bool, email: str, granted: list[str]) -> Outcome:
        if not allow:
            return Outcome("redirect", status=302, url=with_query(req.redirect_uri, {
                "error": "access_denied", "state": req.state}))
        person = self.user(email)
        client = self.config.google_client(req.client_id)
        assert client is not None
        if person is None or person.provider != "google":
            return Outcome("error", status=400, error="account_not_found",
                           detail=f"Couldn't find your Google Account ({email}).")
        if client.testing and not person.test_user:
            return Outcome("blocked", status=403, error="access_denied",
                           detail=f"{client.app_name} has not completed the Google verification process. The app "
                                  f"is currently being tested, and can only be accessed by developer-approved "
                                  f"testers. If you think you should have access, contact the developer.",
                           url=with_query(req.redirect_uri, {"error": "access_denied", "state": req.state}))
        # Granular consent: the basic scopes cannot be unticked, the others can.
        kept = [s for s in req.scopes if s in GOOGLE_BASIC_SCOPES or s in granted]
        code = "4/0A" + _rand(60)
        key = (client.client_id, person.email)
        with self.lock:
            first = key not in self._google_consented
            self._google_consented.add(key)
        prompt = req.platform
        # Refresh token: Desktop clients always (when offline); Web clients only on the first consent
        # or with prompt=consent (fact 16).
        offline = req.offline and (client.kind == "installed" or first or "consent" in prompt.split())
        with self.lock:
            self.codes[code] = AuthCode("google", client.client_id, person.email, kept, req.redirect_uri,
                                        self.clock.now() + self.config.code_lifetime, req.code_challenge,
                                        req.challenge_method, req.nonce, offline=offline)
        params: dict[str, str | None] = {"state": req.state, "iss": self.base_url, "code": code,
                                         "scope": " ".join(kept), "authuser": "0", "prompt": "consent"}
        if req.state is None:
            params.pop("state")
        return Outcome("redirect", status=302, url=with_query(req.redirect_uri, params))

    def _google_client_auth(self, form: dict[str, str], basic: tuple[str, str] | None) -> GoogleClient:
        client_id = basic[0] if basic else form.get("client_id", "")
        secret = basic[1] if basic else form.get("client_secret")
        client = self.config.google_client(client_id)
        if client is None:
            raise OAuthError(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
        if secret is None or secret == "":
            if client.kind == "web":
                raise OAuthError(400, {"error": "invalid_request", "error_description": "client_secret is missing."})
        elif not secrets.compare_digest(secret, client.client_secret):
            raise OAuthError(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        return client

    def google_token(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        grant_type = form.get("grant_type", "")
        self.record_request("google", grant_type, basic[0] if basic else form.get("client_id", ""))
        client = self._google_client_auth(form, basic)
        now = self.clock.now()
        if grant_type == "authorization_code":
            code_value = form.get("code", "")
            with self.lock:
                code = self.codes.get(code_value)
                if code is None or code.client_id != client.client_id or code.expires_at <= now or code.used:
                    raise OAuthError(400, {"error": "invalid_grant", "error_description": "Bad Request"})
                code.used = True
            if form.get("redirect_uri", "") != code.redirect_uri:
                raise OAuthError(400, {"error": "redirect_uri_mismatch", "error_description": "Bad Request"})
            if code.code_challenge:
                verifier = form.get("code_verifier")
                if not verifier:
                    raise OAuthError(400, {"error": "invalid_grant", "error_description": "Missing code verifier."})
                if not pkce_matches(verifier, code.code_challenge, code.challenge_method):
                    raise OAuthError(400, {"error": "invalid_grant", "error_description": "Invalid code verifier."})
            person = self.user(code.user)
            assert person is not None
            at, life = self._issue_google_access(client.client_id, person.email, code.scopes)
            body: dict[str, Any] = {"access_token": at, "expires_in": life, "scope": " ".join(code.scopes),
                                    "token_type": "Bearer"}
            if code.offline:
                body["refresh_token"] = self._new_google_refresh(client, person.email, code.scopes, now)
                if client.testing and not set(code.scopes) <= GOOGLE_BASIC_SCOPES:
                    body["refresh_token_expires_in"] = self.config.testing_refresh_token_days * 86400
            if "openid" in code.scopes:
                body["id_token"] = self._google_id_token(client.client_id, person, code.nonce)
            self.save()
            return body
        if grant_type == "refresh_token":
            value = form.get("refresh_token", "")
            with self.lock:
                grant = self.refresh.get(value)
            if grant is None or grant.provider != "google" or grant.revoked or (
                    grant.expires_at is not None and grant.expires_at <= now):
                raise OAuthError(400, {"error": "invalid_grant",
                                       "error_description": "Token has been expired or revoked."})
            if grant.client_id != client.client_id:
                raise OAuthError(401, {"error": "unauthorized_client", "error_description": "Unauthorized"})
            asked = expand_google_scopes(split_scopes(form.get("scope")))
            if asked and not set(asked) <= set(grant.scopes):
                raise OAuthError(400, {"error": "invalid_scope",
                                       "error_description": "Bad Request"})
            scopes = asked or grant.scopes
            grant.last_used = now
            person = self.user(grant.user)
            assert person is not None
            at, life = self._issue_google_access(client.client_id, person.email, scopes)
            body = {"access_token": at, "expires_in": life, "scope": " ".join(scopes), "token_type": "Bearer"}
            if grant.expires_at is not None:
                body["refresh_token_expires_in"] = max(0, int(grant.expires_at - now))
            if "openid" in scopes:
                body["id_token"] = self._google_id_token(client.client_id, person)
            self.save()
            return body
        raise OAuthError(400, {"error": "unsupported_grant_type", "error_description": f"Invalid grant_type: {grant_type}"})

    def google_userinfo(self, token: str) -> tuple[int, dict[str, Any]]:
        grant = self.check_access_token(token)
        if grant is None or grant.provider != "google":
            return 401, {"error": "invalid_request", "error_description": "Invalid Credentials"}
        if not set(grant.scopes) & GOOGLE_BASIC_SCOPES:
            return 401, {"error": "insufficient_scope",
                         "error_description": "Request had insufficient authentication scopes."}
        person = self.user(grant.user)
        assert person is not None
        return 200, {"sub": google_sub(person.email), "email": person.email, "email_verified": True,
                     "name": person.display_name}

    # == Microsoft ==============================================================================

    def ms_app(self, client_id: str | None) -> MicrosoftApp | None:
        """The app sign-in knows: one registered through Graph is unknown until its propagation delay passed."""
        app = self.config.microsoft_app(client_id)
        if app is not None and app.visible_at > self.clock.now():
            return None
        return app

    def ms_tenant_ok(self, tenant: str) -> bool:
        return tenant.lower() in MS_TENANT_ALIASES | {self.config.tenant_id.lower(), self.config.tenant_domain.lower()}

    def ms_error(self, status: int, error: str, code: int, text: str, extra: dict[str, Any] | None = None) -> OAuthError:
        body: dict[str, Any] = {
            "error": error,
            "error_description": f"AADSTS{code}: {text} Trace ID: {uuid.uuid4()} Correlation ID: {uuid.uuid4()} "
                                 f"Timestamp: {time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime(self.clock.now()))}",
            "error_codes": [code],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(self.clock.now())),
            "trace_id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4()),
            "error_uri": f"{self.base_url}/error?code={code}",
        }
        if extra:
            body.update(extra)
        return OAuthError(status, body)

    def ms_openid_configuration(self, tenant: str) -> dict[str, Any]:
        base = f"{self.base_url}/{tenant}"
        tid = self.config.tenant_id
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{self.base_url}/{tid}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{self.base_url}/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "http_logout_supported": True, "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce",
                                 "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
            "kerberos_endpoint": f"{base}/kerberos", "tenant_region_scope": "AS",
            "cloud_instance_name": "microsoftonline.com", "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com", "rbac_url": "https://pas.windows.net",
        }

    def _app_not_found(self, client_id: str, tenant: str) -> OAuthError:
        return self.ms_error(400, "unauthorized_client", 700016,
                             f"Application with identifier '{client_id}' was not found in the directory "
                             f"'{self.config.tenant_domain if tenant.lower() in MS_TENANT_ALIASES else tenant}'. "
                             f"This can happen if the application has not been installed by the administrator of "
                             f"the tenant or consented to by any user in the tenant. You may have sent your "
                             f"authentication request to the wrong tenant.")

    def ms_authorize(self, tenant: str, params: dict[str, str]) -> Outcome:
        if not self.ms_tenant_ok(tenant):
            return Outcome("error", status=400, error="AADSTS90002",
                           detail=f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the "
                                  f"correct tenant ID and are signing into the correct cloud.")
        client_id = params.get("client_id", "")
        app = self.ms_app(client_id)
        if app is None:
            err = self._app_not_found(client_id, tenant)
            return Outcome("error", status=400, error="AADSTS700016", detail=err.body["error_description"].split(" Trace ID")[0])
        redirect_uri = params.get("redirect_uri", "")
        platform = ms_redirect_platform(app, redirect_uri) if redirect_uri else None
        if platform is None:
            return Outcome("error", status=400, error="AADSTS50011",
                           detail=f"AADSTS50011: The redirect URI '{redirect_uri}' specified in the request does "
                                  f"not match the redirect URIs configured for the application '{app.client_id}'. "
                                  f"Make sure the redirect URI sent in the request matches one added to your "
                                  f"application in the Azure portal. Navigate to "
                                  f"https://aka.ms/redirectUriMismatchError to learn more about how to fix this.")
        state = params.get("state")
        mode = params.get("response_mode", "query") or "query"
        if params.get("response_type", "") != "code":
            return Outcome("redirect", status=302, url=with_query(redirect_uri, {
                "error": "unsupported_response_type",
                "error_description": "AADSTS70005: response_type 'token' is not enabled for the application.",
                "state": state}))
        scopes = split_scopes(params.get("scope"))
        if not [s for s in scopes if s.lower() != "offline_access"]:
            return Outcome("redirect", status=302, url=with_query(redirect_uri, {
                "error": "invalid_request",
                "error_description": "AADSTS900144: The request body must contain the following parameter: 'scope'.",
                "state": state}))
        problem = self.directory.authorize_problem(app, tenant, scopes) if self.directory is not None else None
        if problem is not None:
            return Outcome("error", status=400, error=f"AADSTS{problem[0]}", detail=f"AADSTS{problem[0]}: {problem[1]}")
        missing = self.pkce_missing(params)
        if missing:
            return Outcome("redirect", status=302, url=with_query(redirect_uri, {
                "error": "invalid_request", "error_description": f"AADSTS9002325: {missing}", "state": state}))
        req = self.new_consent(provider="microsoft", client_id=app.client_id, app_name=app.app_name,
                               scopes=scopes, redirect_uri=redirect_uri, state=state, response_mode=mode,
                               code_challenge=params.get("code_challenge", ""),
                               challenge_method=params.get("code_challenge_method", "") or (
                                   "plain" if params.get("code_challenge") else ""),
                               nonce=params.get("nonce", ""), login_hint=params.get("login_hint", ""),
                               tenant=tenant, platform=platform)
        return Outcome("consent", request=req)

    def _ms_respond(self, req: ConsentRequest, params: dict[str, str | None]) -> Outcome:
        if req.state is not None:
            params["state"] = req.state
        if req.response_mode == "form_post":
            return Outcome("form_post", url=req.redirect_uri,
                           fields={k: v for k, v in params.items() if v is not None})
        return Outcome("redirect", status=302, url=with_query(req.redirect_uri, params))

    def ms_consent(self, req: ConsentRequest, allow: bool, email: str) -> Outcome:
        app = self.config.microsoft_app(req.client_id)
        assert app is not None
        if req.device_code:
            return self._device_consent(req, allow, email)
        if not allow:
            return self._ms_respond(req, {"error": "access_denied",
                                          "error_description": "AADSTS65004: User declined to consent to access the app."})
        person = self.user(email)
        if person is None or person.provider != "microsoft":
            return Outcome("error", status=400, error="AADSTS50034",
                           detail=f"AADSTS50034: The user account {email} does not exist in the "
                                  f"{self.config.tenant_domain} directory. To sign into this application, the "
                                  f"account must be added to the directory.")
        problem = self.directory.consent_problem(app, person, req.scopes) if self.directory is not None else None
        if problem is not None:
            return self._ms_respond(req, {"error": "access_denied",
                                          "error_description": f"AADSTS{problem[0]}: {problem[1]}"})
        code = "1.AUEA" + _rand(300)
        with self.lock:
            self.codes[code] = AuthCode("microsoft", app.client_id, person.email, list(req.scopes), req.redirect_uri,
                                        self.clock.now() + self.config.code_lifetime, req.code_challenge,
                                        req.challenge_method, req.nonce, confidential=req.platform == "web",
                                        tenant=req.tenant)
        return self._ms_respond(req, {"code": code, "client_info": b64url_json(
            {"uid": user_oid(person.email), "utid": self.config.tenant_id}), "session_state": str(uuid.uuid4())})

    def _ms_client_auth(self, app: MicrosoftApp, form: dict[str, str], basic: tuple[str, str] | None,
                        confidential: bool) -> None:
        secret = basic[1] if basic else form.get("client_secret")
        if secret:
            if not app.has_secret or not confidential:
                raise self.ms_error(401, "invalid_client", 700025,
                                    "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")
            if not secrets.compare_digest(secret, app.client_secret):
                raise self.ms_error(401, "invalid_client", 7000215,
                                    f"Invalid client secret provided. Ensure the secret being sent in the request is "
                                    f"the client secret value, not the client secret ID, for a secret added to app "
                                    f"'{app.client_id}'.")
            if app.secret_expires_at is not None and app.secret_expires_at <= self.clock.now():
                raise self.ms_error(401, "invalid_client", 7000222,
                                    f"The provided client secret keys for app '{app.client_id}' are expired. Visit "
                                    f"the Azure portal to create new keys for your app: "
                                    f"https://aka.ms/NewClientSecret, or consider using certificate credentials for "
                                    f"added security: https://aka.ms/certCreds.")
        elif confidential:
            raise self.ms_error(401, "invalid_client", 7000218,
                                "The request body must contain the following parameter: 'client_assertion' or "
                                "'client_secret'.")

    def _ms_token_body(self, app: MicrosoftApp, person: SandboxUser, scopes: list[str], tenant: str,
                       nonce: str, form: dict[str, str], refresh: str | None) -> dict[str, Any]:
        at, life, res_scopes = self._issue_ms_access(app, person, scopes, tenant)
        body: dict[str, Any] = {"token_type": "Bearer", "scope": " ".join(res_scopes), "expires_in": life,
                                "ext_expires_in": life, "access_token": at}
        if refresh:
            body["refresh_token"] = refresh
        if "openid" in [s.lower() for s in scopes]:
            body["id_token"] = self._ms_id_token(app, person, nonce)
        if form.get("client_info") == "1":
            body["client_info"] = b64url_json({"uid": user_oid(person.email), "utid": self.config.tenant_id})
        return body

    def _ms_check_scopes(self, scopes: list[str]) -> None:
        resources = {r for r in (ms_resource(s) for s in scopes) if r}
        if len(resources) > 1:
            raise self.ms_error(400, "invalid_request", 28000,
                                f"Provided value for the input parameter scope is not valid because it contains more "
                                f"than one resource. Scope {' '.join(scopes)} is not valid.")

    def ms_token(self, tenant: str, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        grant_type = form.get("grant_type", "")
        client_id = basic[0] if basic else form.get("client_id", "")
        self.record_request("microsoft", grant_type, client_id)
        if not self.ms_tenant_ok(tenant):
            raise self.ms_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        app = self.ms_app(client_id)
        if app is None:
            raise self._app_not_found(client_id, tenant)
        now = self.clock.now()
        scopes = split_scopes(form.get("scope"))
        if grant_type == "authorization_code":
            with self.lock:
                code = self.codes.get(form.get("code", ""))
                if code is not None and code.used:
                    raise self.ms_error(400, "invalid_grant", 54005,
                                        "OAuth2 Authorization code was already redeemed, please retry with a new valid "
                                        "code or use an existing refresh token.")
                if code is None or code.provider != "microsoft" or code.client_id != app.client_id:
                    raise self.ms_error(400, "invalid_grant", 9002313,
                                        "Invalid request. Request is malformed or invalid.")
            self._ms_client_auth(app, form, basic, code.confidential)
            if code.expires_at <= now:
                raise self.ms_error(400, "invalid_grant", 70008,
                                    "The provided authorization code or refresh token has expired due to "
                                    "inactivity. Send a new interactive authorization request for this user and resource.")
            if form.get("redirect_uri", "") != code.redirect_uri:
                raise self.ms_error(400, "invalid_grant", 70000,
                                    "Provided grant is invalid or malformed. The redirect URI does not match the one "
                                    "used in the authorization request.")
            if code.code_challenge and not pkce_matches(form.get("code_verifier", ""), code.code_challenge,
                                                        code.challenge_method):
                raise self.ms_error(400, "invalid_grant", 501481,
                                    "The Code_Verifier does not match the code_challenge supplied in the "
                                    "authorization request.")
            scopes = scopes or code.scopes
            self._ms_check_scopes(scopes)
            self._ms_check_consented(app, scopes, code.scopes)
            with self.lock:
                code.used = True
            person = self.user(code.user)
            assert person is not None
            rt = None
            if "offline_access" in [s.lower() for s in scopes + code.scopes]:
                rt = self._new_ms_refresh(app, person.email, code.scopes, now, code.confidential, code.tenant)
            body = self._ms_token_body(app, person, scopes, code.tenant, code.nonce, form, rt)
            self.save()
            return body
        if grant_type == "refresh_token":
            with self.lock:
                grant = self.refresh.get(form.get("refresh_token", ""))
            if grant is None or grant.provider != "microsoft" or grant.client_id != app.client_id:
                raise self.ms_error(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
            self._ms_client_auth(app, form, basic, grant.confidential)
            if grant.revoked or grant.replaced:
                raise self.ms_error(400, "invalid_grant", 50173,
                                    "The provided grant has expired due to it being revoked, a fresh auth token is "
                                    "needed. The user might have changed or reset their password.",
                                    {"suberror": "bad_token"})
            idle = self.config.microsoft_refresh_inactivity_days * 86400
            if now - grant.last_used > idle:
                raise self.ms_error(400, "invalid_grant", 700082,
                                    f"The refresh token has expired due to inactivity. The token was issued on "
                                    f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(grant.consent_at))} and was "
                                    f"inactive for {self.config.microsoft_refresh_inactivity_days}.00:00:00.")
            scopes = scopes or grant.scopes
            self._ms_check_scopes(scopes)
            self._ms_check_consented(app, scopes, grant.scopes)
            person = self.user(grant.user)
            assert person is not None
            with self.lock:
                if self.config.microsoft_rotation_invalidates_old:
                    grant.replaced = True
                grant.last_used = now
                rt = self._new_ms_refresh(app, person.email, grant.scopes, now, grant.confidential, grant.tenant)
                self.refresh[rt].consent_at = grant.consent_at
            body = self._ms_token_body(app, person, scopes, grant.tenant, "", form, rt)
            self.save()
            return body
        if grant_type in ("device_code", "urn:ietf:params:oauth:grant-type:device_code"):
            if not app.allow_public_client_flows:
                raise self.ms_error(401, "invalid_client", 7000218,
                                    "The request body must contain the following parameter: 'client_assertion' or "
                                    "'client_secret'.")
            if form.get("client_secret"):
                raise self.ms_error(401, "invalid_client", 700025,
                                    "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")
            with self.lock:
                flow = self.devices.get(form.get("device_code", ""))
            if flow is None or flow.client_id != app.client_id:
                raise self.ms_error(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
            if flow.status == "redeemed":
                raise self.ms_error(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed.")
            if flow.expires_at <= now:
                raise self.ms_error(400, "expired_token", 70020,
                                    "The provided value for the input parameter 'device_code' is not valid. This "
                                    "device code has expired.")
            if flow.status == "denied":
                raise self.ms_error(400, "access_denied", 70000,
                                    "The user has declined to authorize the device.")
            if flow.status == "pending":
                raise self.ms_error(400, "authorization_pending", 70016,
                                    "OAuth 2.0 device flow error. Authorization is pending. Continue polling.")
            flow.status = "redeemed"
            person = self.user(flow.user)
            assert person is not None
            scopes = flow.scopes
            self._ms_check_scopes(scopes)
            rt = None
            if "offline_access" in [s.lower() for s in scopes]:
                rt = self._new_ms_refresh(app, person.email, scopes, now, False, flow.tenant)
            body = self._ms_token_body(app, person, scopes, flow.tenant, "", form, rt)
            self.save()
            return body
        raise self.ms_error(400, "unsupported_grant_type", 70003,
                            f"The app requested an unsupported grant type '{grant_type}'.")

    def _ms_check_consented(self, app: MicrosoftApp, asked: list[str], consented: list[str]) -> None:
        have = {s.lower() for s in consented} | MS_RESERVED_SCOPES
        missing = [s for s in asked if s.lower() not in have]
        if missing:
            raise self.ms_error(400, "invalid_grant", 65001,
                                f"The user or administrator has not consented to use the application with ID "
                                f"'{app.client_id}' named '{app.app_name}'. Send an interactive authorization request "
                                f"for this user and resource.", {"suberror": "consent_required"})

    def ms_devicecode(self, tenant: str, form: dict[str, str], verification_uri: str) -> dict[str, Any]:
        if not self.ms_tenant_ok(tenant):
            raise self.ms_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        app = self.ms_app(form.get("client_id", ""))
        if app is None:
            raise self._app_not_found(form.get("client_id", ""), tenant)
        scopes = split_scopes(form.get("scope"))
        if not [s for s in scopes if s.lower() != "offline_access"]:
            raise self.ms_error(400, "invalid_request", 900144,
                                "The request body must contain the following parameter: 'scope'.")
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
        user_code = "".join(secrets.choice(alphabet) for _ in range(9))
        device_code = "DAQABIQEAAAD" + _rand(150)
        life = self.config.device_code_lifetime
        with self.lock:
            self.devices[device_code] = DeviceFlow(app.client_id, scopes, user_code, self.clock.now() + life, tenant)
        return {"user_code": user_code, "device_code": device_code, "verification_uri": verification_uri,
                "expires_in": life, "interval": self.config.device_code_interval,
                "message": f"To sign in, use a web browser to open the page {verification_uri} and enter the code "
                           f"{user_code} to authenticate."}

    def device_by_user_code(self, user_code: str) -> tuple[str, DeviceFlow] | None:
        wanted = user_code.strip().upper().replace("-", "").replace(" ", "")
        now = self.clock.now()
        with self.lock:
            for key, flow in self.devices.items():
                if flow.user_code == wanted and flow.status == "pending" and flow.expires_at > now:
                    return key, flow
        return None

    def device_consent_request(self, device_code: str, flow: DeviceFlow) -> ConsentRequest:
        app = self.config.microsoft_app(flow.client_id)
        assert app is not None
        return self.new_consent(provider="microsoft", client_id=app.client_id, app_name=app.app_name,
                                scopes=flow.scopes, tenant=flow.tenant, device_code=device_code)

    def _device_consent(self, req: ConsentRequest, allow: bool, email: str) -> Outcome:
        with self.lock:
            flow = self.devices.get(req.device_code)
        if flow is None or flow.status != "pending":
            return Outcome("error", status=400, error="AADSTS70020", detail="AADSTS70020: The device code has expired.")
        if not allow:
            flow.status = "denied"
            return Outcome("device_done", fields={"result": "denied", "app": req.app_name})
        person = self.user(email)
        if person is None or person.provider != "microsoft":
            return Outcome("error", status=400, error="AADSTS50034",
                           detail=f"AADSTS50034: The user account {email} does not exist in the "
                                  f"{self.config.tenant_domain} directory.")
        flow.user = person.email
        flow.status = "approved"
        return Outcome("device_done", fields={"result": "approved", "app": req.app_name})
