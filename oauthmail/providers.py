"""The provider catalog: endpoints, scopes per transport and mail servers.

Plain data with no network and no heavy import. Everything here can be overridden per account in
the token INI (``auth_uri``, ``token_uri``, ``authority``, ``smtp_host``, ``smtp_port``,
``smtp_security``, ``graph_url``, ``gmail_api_url``) and on the command line.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ._plain import Frozen

# Start-up time: a send imports this module, so no ``typing`` and no ``dataclasses`` at run time
# (the classes below are plain classes with ``__slots__``). The names are ``str`` at run time.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    ProviderName = Literal["google", "microsoft"]
    Security = Literal["starttls", "ssl"]
    Transport = Literal["smtp", "graph", "gmail-api"]
else:
    ProviderName = Security = Transport = str

PROVIDERS: tuple[ProviderName, ...] = ("google", "microsoft")
SECURITIES: tuple[Security, ...] = ("starttls", "ssl")
TRANSPORTS: tuple[Transport, ...] = ("smtp", "graph", "gmail-api")
SASL_MECHANISMS = ("XOAUTH2", "OAUTHBEARER")

#: Hosts that mean "this machine": loopback redirects, and identity providers that can only be the sandbox.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_https_url(url: str) -> bool:
    """An ``https://host…`` address whose host is exactly what it seems: parsed, not compared by prefix.

    Refused: other schemes (plain http included: the sandbox is https only, so no endpoint needs it), a
    ``user@`` part (``https://accounts.google.com@evil.example/`` goes to evil.example), white space,
    back slashes and a bad port.
    """
    if not isinstance(url, str) or any(c.isspace() or c == "\\" or ord(c) < 32 for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return parts.scheme.lower() == "https" and bool(parts.hostname) and "@" not in parts.netloc


GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
GOOGLE_REVOKE_URI = "https://oauth2.googleapis.com/revoke"
GOOGLE_USERINFO_URI = "https://openidconnect.googleapis.com/v1/userinfo"
GOOGLE_MAIL_SCOPE = "https://mail.google.com/"
GOOGLE_GMAIL_SEND_SCOPE = "https://www.googleapis.com/auth/gmail.send"
GOOGLE_IDENTITY_SCOPES = ("openid", "https://www.googleapis.com/auth/userinfo.email")
GMAIL_API_URL = "https://gmail.googleapis.com"

MICROSOFT_SMTP_SCOPE = "https://outlook.office.com/SMTP.Send"
MICROSOFT_GRAPH_SEND_SCOPE = "https://graph.microsoft.com/Mail.Send"
#: Scopes MSAL adds by itself and refuses to be given (provider-facts H55).
MSAL_RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access"})


class SmtpServer(Frozen):
    """A submission server: host, port and ``starttls`` or ``ssl``."""

    __slots__ = ("host", "port", "security")
    __match_args__ = ("host", "port", "security")
    _fields = __match_args__
    host: str
    port: int
    security: Security

    def __init__(self, host: str, port: int, security: Security) -> None:
        self._set(host=host, port=port, security=security)


class Cloud(Frozen):
    """One Microsoft cloud: where people sign in and where mail is submitted."""

    __slots__ = ("graph_scope", "graph_url", "label", "login_host", "name", "smtp", "smtp_scope")
    __match_args__ = ("name", "login_host", "smtp_scope", "smtp", "graph_url", "graph_scope", "label")
    _fields = __match_args__
    name: str
    login_host: str
    smtp_scope: str
    smtp: SmtpServer
    graph_url: str
    graph_scope: str
    label: str

    def __init__(self, name: str, login_host: str, smtp_scope: str, smtp: SmtpServer, graph_url: str,
                 graph_scope: str, label: str = "") -> None:
        self._set(name=name, login_host=login_host, smtp_scope=smtp_scope, smtp=smtp, graph_url=graph_url,
                  graph_scope=graph_scope, label=label)


MICROSOFT_CLOUDS: dict[str, Cloud] = {
    "global": Cloud(
        "global", "login.microsoftonline.com", MICROSOFT_SMTP_SCOPE,
        SmtpServer("smtp.office365.com", 587, "starttls"),
        "https://graph.microsoft.com", MICROSOFT_GRAPH_SEND_SCOPE, "Microsoft 365 (worldwide)",
    ),
    "usgov": Cloud(
        "usgov", "login.microsoftonline.us", "https://outlook.office365.us/SMTP.Send",
        SmtpServer("smtp.office365.us", 587, "starttls"),
        "https://graph.microsoft.us", "https://graph.microsoft.us/Mail.Send", "Microsoft 365 GCC High / DoD",
    ),
    "china": Cloud(
        "china", "login.partner.microsoftonline.cn", "https://partner.outlook.cn/SMTP.Send",
        SmtpServer("smtp.partner.outlook.cn", 587, "starttls"),
        "https://microsoftgraph.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn/Mail.Send",
        "Microsoft 365 operated by 21Vianet",
    ),
}

#: Hosts MSAL knows (instance discovery may stay on); any other authority host is a test or
#: private provider and needs ``instance_discovery=False``.
MICROSOFT_KNOWN_LOGIN_HOSTS = frozenset(
    {c.login_host for c in MICROSOFT_CLOUDS.values()}
    | {"login.microsoft.com", "login.windows.net", "login.chinacloudapi.cn", "login-us.microsoftonline.com"}
)

GMAIL_SMTP = SmtpServer("smtp.gmail.com", 587, "starttls")
GMAIL_SMTP_SSL = SmtpServer("smtp.gmail.com", 465, "ssl")
OUTLOOK_COM_SMTP = SmtpServer("smtp-mail.outlook.com", 587, "starttls")

_CONSUMER_DOMAINS = frozenset({"outlook.com", "hotmail.com", "live.com", "msn.com", "outlook.jp",
                               "hotmail.co.jp", "live.jp"})


class ProviderDefaults(Frozen):
    """What an account of a provider uses unless the INI or a flag says otherwise."""

    __slots__ = ("auth_uri", "authority", "extra", "provider", "sasl_mechanism", "scopes", "smtp", "token_uri")
    __match_args__ = ("provider", "smtp", "scopes", "auth_uri", "token_uri", "authority", "sasl_mechanism", "extra")
    _fields = __match_args__
    provider: ProviderName
    smtp: SmtpServer
    scopes: tuple[str, ...]
    auth_uri: str
    token_uri: str
    authority: str
    sasl_mechanism: str
    extra: dict[str, str]

    def __init__(self, provider: ProviderName, smtp: SmtpServer, scopes: tuple[str, ...], auth_uri: str = "",
                 token_uri: str = "", authority: str = "", sasl_mechanism: str = "XOAUTH2",
                 extra: dict[str, str] | None = None) -> None:
        self._set(provider=provider, smtp=smtp, scopes=scopes, auth_uri=auth_uri, token_uri=token_uri,
                  authority=authority, sasl_mechanism=sasl_mechanism, extra={} if extra is None else extra)


def google_defaults(transport: Transport = "smtp") -> ProviderDefaults:
    """Gmail: smtp.gmail.com:587 STARTTLS and ``https://mail.google.com/`` (``gmail.send`` for the API)."""
    scope = GOOGLE_GMAIL_SEND_SCOPE if transport == "gmail-api" else GOOGLE_MAIL_SCOPE
    return ProviderDefaults("google", GMAIL_SMTP, (scope,), GOOGLE_AUTH_URI, GOOGLE_TOKEN_URI)


def microsoft_authority(tenant: str = "common", cloud: str = "global") -> str:
    """``https://login.microsoftonline.com/<tenant>`` for a cloud and tenant."""
    return f"https://{MICROSOFT_CLOUDS[cloud].login_host}/{tenant or 'common'}"


def microsoft_cloud_for_authority(authority: str) -> Cloud:
    """The cloud an authority URL belongs to (the global cloud for hosts we do not know)."""
    host = (urlsplit(authority).hostname or "").lower()
    for cloud in MICROSOFT_CLOUDS.values():
        if host == cloud.login_host:
            return cloud
    return MICROSOFT_CLOUDS["global"]


def microsoft_defaults(
    tenant: str = "common",
    *,
    cloud: str = "global",
    email: str | None = None,
    transport: Transport = "smtp",
) -> ProviderDefaults:
    """Microsoft 365 (or outlook.com for personal addresses) in the given cloud."""
    c = MICROSOFT_CLOUDS[cloud]
    smtp = c.smtp
    if cloud == "global" and email and email.rsplit("@", 1)[-1].lower() in _CONSUMER_DOMAINS:
        smtp = OUTLOOK_COM_SMTP
    scope = c.graph_scope if transport == "graph" else c.smtp_scope
    return ProviderDefaults("microsoft", smtp, (scope,), authority=microsoft_authority(tenant, cloud))


def is_known_microsoft_host(authority: str) -> bool:
    """Whether MSAL's instance discovery knows this authority's host."""
    return (urlsplit(authority).hostname or "").lower() in MICROSOFT_KNOWN_LOGIN_HOSTS


#: The base-URL forms each HTTPS mail API accepts (the origin, or the versioned root the service prints).
API_URL_FORMS = {
    "graph": "https://graph.microsoft.com, https://graph.microsoft.com/v1.0 or https://graph.microsoft.com/beta",
    "gmail-api": "https://gmail.googleapis.com or https://gmail.googleapis.com/gmail/v1",
}


def split_api_url(transport: str, url: str) -> tuple[str, str] | None:
    """``(origin, version)`` of a Graph or Gmail API base URL given in either form, else None.

    Graph: ``https://graph.microsoft.com`` (→ ``v1.0``), ``…/v1.0`` or ``…/beta`` (as Graph Explorer
    and the SDKs' ``base_url`` print it); the Gmail API: ``https://gmail.googleapis.com`` or
    ``…/gmail/v1`` (the discovery document's ``rootUrl`` + ``servicePath``). A trailing ``/`` is fine;
    any other path, a query or a fragment is not. Plain string work: the send path imports this.
    """
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep or "?" in rest or "#" in rest:
        return None
    host, slash, path = rest.partition("/")
    if not host:
        return None
    path = ("/" + path).rstrip("/").lower() if slash else ""
    origin = f"{scheme.lower()}://{host}"
    if transport == "graph":
        if not path:
            return origin, "v1.0"
        return (origin, path[1:]) if path in ("/v1.0", "/beta") else None
    return (origin, "v1") if path in ("", "/gmail/v1") else None


def default_port(security: str) -> int:
    """587 for STARTTLS, 465 for implicit TLS."""
    return 465 if security == "ssl" else 587
