"""Pure helpers for Microsoft app registration: the Graph request bodies and the addresses around them.

Nothing here talks to the network, so each rule can be tested on its own and read next to the
Graph v1.0 documentation it follows (``application-post-applications``, ``application-addpassword``,
``serviceprincipal-post-serviceprincipals``, ``oauth2permissiongrant-post``):

* :func:`application_body` — ``displayName``, ``signInAudience`` (from ``--accounts``), the redirect URIs
  on the platform that decides the client type (``publicClient`` for public, ``web`` for web: fact 40),
  ``isFallbackPublicClient`` ("Allow public client flows", needed for device sign-in), and
  ``requiredResourceAccess`` for Microsoft Graph (``SMTP.Send`` or ``Mail.Send``, plus
  ``offline_access``, ``openid``, ``email``; the ids are Microsoft's, provider-facts fact L52);
* :func:`password_body` — a secret with an ``endDateTime`` (a secret cannot be set at creation);
* :func:`grant_body` — tenant-wide consent (``consentType: AllPrincipals``);
* :func:`admin_consent_url` — what a non-admin hands to an admin.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

#: Microsoft Graph's application id (``resourceAppId`` of its permissions).
GRAPH_RESOURCE_APP_ID = "00000003-0000-0000-c000-000000000000"

#: Delegated Microsoft Graph permission ids (``type: "Scope"``), provider-facts fact L52.
PERMISSION_IDS: dict[str, str] = {
    "SMTP.Send": "258f6531-6087-4cc4-bb90-092c5fb3ed3f",
    "Mail.Send": "e383f46e-2787-4529-855e-0e479a3ffac0",
    "offline_access": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182",
    "openid": "37f7f235-527c-4136-accd-4a02d197296e",
    "email": "64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0",
    "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
    "profile": "14dad69e-099b-42c9-810b-d002981feec1",
}

#: The first-party public clients that can sign in before the person has any app (fact L54).
AZURE_CLI = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
GRAPH_CLI = "14d82eec-204b-4c2f-b7e8-296a70dab67e"
BOOTSTRAP_NAMES = {AZURE_CLI: "Microsoft Azure CLI", GRAPH_CLI: "Microsoft Graph Command Line Tools"}

#: Directory roles (template ids) that may grant consent for the whole organisation.
ADMIN_ROLE_TEMPLATES = frozenset({
    "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
    "e8611ab8-c189-46e8-94e1-60213ab1f814",  # Privileged Role Administrator
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",  # Application Administrator
    "158c047a-c907-4556-b7ef-446551a6b5f7",  # Cloud Application Administrator
})

ACCOUNTS = ("single", "multi", "personal")
AUDIENCE = {
    "single": "AzureADMyOrg",
    "multi": "AzureADMultipleOrgs",
    "personal": "AzureADandPersonalMicrosoftAccount",
}
CLIENT_TYPES = ("public", "web")

#: Where the browser comes back: MSAL's form for public clients (any port, path ``/``) and the seed's
#: ``/callback`` on 48888 (the notebooks' listener); the Web platform gets the seed's address only.
PUBLIC_REDIRECTS = ("http://localhost", "http://localhost:48888/callback")
WEB_REDIRECT = "http://localhost:48888/callback"
DEFAULT_NAME = "oauthmail mailer"


def sign_in_audience(accounts: str) -> str:
    """``--accounts single|multi|personal`` → Graph's ``signInAudience``."""
    try:
        return AUDIENCE[accounts]
    except KeyError:
        raise ValueError(f"accounts must be one of {', '.join(ACCOUNTS)}, not {accounts!r}") from None


def send_permission(transport: str) -> str:
    """The delegated permission a transport needs: ``Mail.Send`` for Graph, else ``SMTP.Send`` (fact 35)."""
    return "Mail.Send" if transport == "graph" else "SMTP.Send"


def permissions(transport: str) -> list[str]:
    """Every permission the app asks for, in the order the portal lists them."""
    return [send_permission(transport), "offline_access", "openid", "email"]


def redirect_uris(client_type: str) -> list[str]:
    return list(PUBLIC_REDIRECTS) if client_type == "public" else [WEB_REDIRECT]


def application_body(name: str, *, client_type: str = "public", transport: str = "smtp",
                     accounts: str = "single") -> dict[str, Any]:
    """The ``POST /applications`` body (Graph v1.0 application resource)."""
    if client_type not in CLIENT_TYPES:
        raise ValueError(f"client_type must be public or web, not {client_type!r}")
    audience = sign_in_audience(accounts)
    body: dict[str, Any] = {
        "displayName": name,
        "signInAudience": audience,
        "requiredResourceAccess": [{
            "resourceAppId": GRAPH_RESOURCE_APP_ID,
            "resourceAccess": [{"id": PERMISSION_IDS[p], "type": "Scope"} for p in permissions(transport)],
        }],
    }
    if client_type == "public":
        body["publicClient"] = {"redirectUris": redirect_uris("public")}
        body["isFallbackPublicClient"] = True
    else:
        body["web"] = {"redirectUris": redirect_uris("web")}
        body["isFallbackPublicClient"] = False
    if audience in ("AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount"):
        # Graph refuses personal accounts on v1 tokens ("Property api.requestedAccessTokenVersion is invalid.").
        body["api"] = {"requestedAccessTokenVersion": 2}
    body["notes"] = "Created by oauthmail register microsoft (OAuth2 for SMTP/Graph mail sending)."
    return body


def secret_end(days: int, now: datetime | None = None) -> datetime:
    """When a secret made now for ``days`` days expires (whole seconds, UTC)."""
    if days < 1 or days > 730:
        raise ValueError("secret days must be between 1 and 730")
    start = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    return start + timedelta(days=days)


def iso_z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def password_body(days: int, *, name: str = "oauthmail", now: datetime | None = None) -> dict[str, Any]:
    """The ``POST /applications/{id}/addPassword`` body."""
    return {"passwordCredential": {"displayName": name, "endDateTime": iso_z(secret_end(days, now))}}


def service_principal_body(app_id: str) -> dict[str, Any]:
    return {"appId": app_id}


def grant_scope(transport: str) -> str:
    """The space-separated permissions granted for everyone (Graph's ``scope`` value)."""
    return " ".join(permissions(transport))


def grant_body(client_sp_id: str, graph_sp_id: str, transport: str) -> dict[str, Any]:
    """The ``POST /oauth2PermissionGrants`` body for tenant-wide consent."""
    return {"clientId": client_sp_id, "consentType": "AllPrincipals", "resourceId": graph_sp_id,
            "scope": grant_scope(transport)}


def user_consent_note(policies: list[str] | None) -> str:
    """What the tenant's consent policies mean for a member: ``""`` (may consent, or unknown),
    ``"verified_only"`` (only apps of verified publishers) or ``"none"`` (no user consent at all)."""
    if policies is None:
        return ""
    own = [p for p in policies if p.startswith("ManagePermissionGrantsForSelf.")]
    if not own:
        return "none"
    if all(p.endswith(".microsoft-user-default-low") for p in own):
        return "verified_only"
    return ""


def filter_query(field: str, value: str) -> str:
    """``?$filter=appId eq '…'`` (quotes doubled, URL-encoded)."""
    return "?" + urlencode({"$filter": f"{field} eq '{value.replace(chr(39), chr(39) * 2)}'"}, quote_via=quote)


def login_base(authority: str) -> str:
    parts = urlsplit(authority)
    return f"{parts.scheme}://{parts.netloc}"


def admin_consent_url(authority: str, tenant: str, app_id: str) -> str:
    """The address an admin opens to grant consent for the whole organisation (fact L55)."""
    return f"{login_base(authority)}/{quote(tenant, safe='')}/adminconsent?client_id={quote(app_id, safe='')}"


def portal_app_url(app_id: str, cloud_portal: str = "https://entra.microsoft.com") -> str:
    """The Entra admin center page of the app (to look at or remove it by hand)."""
    return (f"{cloud_portal}/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/"
            f"appId/{quote(app_id, safe='')}")


def bootstrap_scopes(client_id: str, graph_resource: str = "https://graph.microsoft.com") -> list[str]:
    """What the bootstrap client asks for. The Azure CLI only ``.default`` (it is preauthorized and cannot ask
    for named Graph scopes: AADSTS65002); other clients ask by name for what the steps need.

    ``graph_resource`` is the cloud's Graph resource identifier (``https://graph.microsoft.com``,
    ``https://graph.microsoft.us`` …), not the address requests go to (a sandbox or proxy may differ).
    """
    base = graph_resource.rstrip("/")
    if client_id == AZURE_CLI:
        return [f"{base}/.default"]
    return [f"{base}/Application.ReadWrite.All", f"{base}/DelegatedPermissionGrant.ReadWrite.All",
            f"{base}/User.Read"]
