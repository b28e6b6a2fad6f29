"""Turning the INI's refresh token into an access token, cached until shortly before it expires.

The fast path (a cached token valid beyond the margin) reads the INI and returns: no lock, and
none of google-auth, MSAL or requests is imported — a send with a cached token pays only for
smtplib. Otherwise the INI's lock is taken, the file re-read (another process may have refreshed
meanwhile), and the refresh made; the new access token, its expiry and a rotated refresh token
(Microsoft issues a new one on every refresh) are stored in ONE atomic write under the lock
before the token is returned, so no process can lose a rotated refresh token.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from . import providers, tokenfile
from ._plain import Plain
from .errors import ConfigError, NetworkError, OAuthMailError, TokenError
from .i18n import Msg
from .secrets import mask, redact, remember
from .tls import CERT_UNTRUSTED, CERT_UNTRUSTED_HINT, TIMED_OUT, TIMED_OUT_HINT, requests_verify

TYPE_CHECKING = False  # start-up time: no ``typing``/``dataclasses``/``pathlib`` on the cached-token path
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

TOKEN_REFUSED = Msg(
    en="The token endpoint refused to renew the access token for {account}: {reply}",
    ja="トークン エンドポイントが {account} のアクセス トークンの更新を拒否しました: {reply}",
)
TOKEN_REFUSED_HINT = Msg(
    en="Check client_id, client_secret and token_uri/authority in the token INI; if they are right, run the consent "
    "step again (notebook or `oauthmail consent`) to get a new refresh token.",
    ja="トークン INI の client_id、client_secret、token_uri／authority を確認してください。正しければ、同意の手順"
    "（ノートブックまたは `oauthmail consent`）をやり直して新しいリフレッシュ トークンを取得してください。",
)
UNREACHABLE = Msg(
    en="The token endpoint {url} could not be reached ({reason}).",
    ja="トークン エンドポイント {url} に接続できませんでした（{reason}）。",
)
UNREACHABLE_HINT = Msg(
    en="Check that this computer is online and can open {url}; behind a proxy set HTTPS_PROXY; "
    "behind corporate TLS inspection set REQUESTS_CA_BUNDLE (or SSL_CERT_FILE) to the company CA. "
    "With the sandbox, check that it is running.",
    ja="このコンピューターがネットにつながり {url} を開けるか確認してください。プロキシ環境では HTTPS_PROXY を設定し、"
    "会社の TLS 検査がある場合は REQUESTS_CA_BUNDLE（または SSL_CERT_FILE）に社内 CA を指定してください。"
    "サンドボックスなら起動しているか確認してください。",
)
PROXY_FAILED = Msg(
    en="The proxy refused or failed the connection to {url} ({reason}).",
    ja="プロキシ経由で {url} に接続できませんでした（{reason}）。",
)
PROXY_FAILED_HINT = Msg(
    en="Check HTTPS_PROXY / HTTP_PROXY (address, port, user and password) or set NO_PROXY for this host; ask IT "
    "whether the proxy allows this address.",
    ja="HTTPS_PROXY／HTTP_PROXY（アドレス・ポート・ユーザー・パスワード）を確認するか、このホストを NO_PROXY に加えてください。"
    "プロキシがこのアドレスを許可しているか情報システム部門に確認してください。",
)
BAD_RESPONSE = Msg(
    en="The token endpoint {url} answered without an access token.",
    ja="トークン エンドポイント {url} の応答にアクセス トークンがありませんでした。",
)
BAD_RESPONSE_HINT = Msg(
    en="Check token_uri / authority in the token INI: it must be the provider's token address.",
    ja="トークン INI の token_uri／authority を確認してください。プロバイダーのトークン用アドレスである必要があります。",
)
PROVIDER_TROUBLE = Msg(
    en="The token endpoint {url} had a problem on its side ({reply}).",
    ja="トークン エンドポイント {url} 側で問題が起きました（{reply}）。",
)
PROVIDER_TROUBLE_HINT = Msg(
    en="This is usually temporary: wait a few minutes and try again. Your token file is unchanged and still valid.",
    ja="多くの場合は一時的なものです。数分待ってからもう一度試してください。トークン INI は変更されておらず、そのまま使えます。",
)
NO_AUTHORITY = Msg(
    en="The Microsoft account {account} has no authority in the token INI.",
    ja="Microsoft アカウント {account} のトークン INI に authority がありません。",
)
NO_AUTHORITY_HINT = Msg(
    en="Add `authority = https://login.microsoftonline.com/<tenant id>` to the [{account}] section, or export the INI again.",
    ja="[{account}] セクションに `authority = https://login.microsoftonline.com/<テナント ID>` を書き足すか、INI を書き出し直してください。",
)


class AccessToken(Plain):
    """An access token ready for XOAUTH2 (its value never shows in ``repr``)."""

    __slots__ = ("email", "expires_at", "refreshed", "token", "warnings")
    __match_args__ = ("token", "expires_at", "email", "refreshed", "warnings")
    _fields = __match_args__

    token: str
    expires_at: datetime
    email: str
    refreshed: bool
    #: Warnings about the INI for a person (world-readable file …).
    warnings: list[str]

    def __init__(self, token: str, expires_at: datetime, email: str, refreshed: bool,
                 warnings: list[str] | None = None) -> None:
        self.token = token
        self.expires_at = expires_at
        self.email = email
        self.refreshed = refreshed
        self.warnings = [] if warnings is None else warnings

    def __repr__(self) -> str:
        return (f"AccessToken(token={mask(self.token)!r}, expires_at={self.expires_at.isoformat()}, "
                f"email={self.email!r}, refreshed={self.refreshed})")

    def seconds_left(self, now: datetime | None = None) -> float:
        """Seconds until the token expires (negative once it has)."""
        return (self.expires_at - (now or datetime.now(timezone.utc))).total_seconds()

    def xoauth2(self, *, encoded: bool = True) -> str:
        """The SASL XOAUTH2 string for this token's account: base64 (``AUTH XOAUTH2 <this>``, msmtp), or
        with ``encoded=False`` the raw ``user=...^Aauth=Bearer ...^A^A`` that :mod:`imaplib` and
        :meth:`smtplib.SMTP.auth` encode themselves. It holds the token: keep it out of logs.
        """
        from .sasl import xoauth2_raw, xoauth2_string

        return xoauth2_string(self.email, self.token) if encoded else xoauth2_raw(self.email, self.token)


class TokenResponse(Plain):
    """What a provider's token endpoint gave back (secrets hidden from ``repr``)."""

    __slots__ = ("access_token", "expires_at", "refresh_token", "scopes", "url")
    __match_args__ = ("access_token", "expires_at", "refresh_token", "scopes", "url")
    _fields = __match_args__

    access_token: str
    expires_at: datetime
    #: The new refresh token when the provider rotated it, else ``None``.
    refresh_token: str | None
    scopes: list[str]
    url: str

    def __init__(self, access_token: str, expires_at: datetime, refresh_token: str | None = None,
                 scopes: list[str] | None = None, url: str = "") -> None:
        remember(access_token, refresh_token)  # redacted from every later output of this process
        self.access_token = access_token
        self.expires_at = expires_at
        self.refresh_token = refresh_token
        self.scopes = [] if scopes is None else scopes
        self.url = url

    def __repr__(self) -> str:
        return (f"TokenResponse(access_token={mask(self.access_token)!r}, expires_at={self.expires_at.isoformat()}, "
                f"refresh_token={mask(self.refresh_token)!r}, scopes={self.scopes!r}, url={self.url!r})")


# --- small pure helpers ----------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(timezone.utc)


def cached_token_valid(acc: tokenfile.Account, margin: float = 300, now: datetime | None = None) -> bool:
    """Whether the INI's cached access token stays valid for more than ``margin`` seconds."""
    if not acc.access_token or acc.access_token_expires_at is None:
        return False
    return (acc.access_token_expires_at - (now or _now())).total_seconds() > margin


def token_url(acc: tokenfile.Account) -> str:
    """The address refreshes go to (for messages)."""
    if acc.provider == "microsoft":
        return (acc.authority or "").rstrip("/") + "/oauth2/v2.0/token"
    return acc.token_uri or providers.GOOGLE_TOKEN_URI


def microsoft_scopes(acc: tokenfile.Account, transport: str | None = None) -> list[str]:
    """The INI's scopes of ONE resource (Graph or Outlook, by transport), without MSAL's own ones.

    A token is for one resource only (AADSTS28000), so an INI that holds both SMTP.Send and Graph
    Mail.Send asks for the transport's half; an INI with only the other half keeps it (the server's
    refusal then explains the mix-up).
    """
    cloud = providers.microsoft_cloud_for_authority(acc.authority)
    want = (transport or acc.transport or "smtp").lower()
    scopes = [s for s in acc.scopes if s.lower() not in providers.MSAL_RESERVED_SCOPES]
    graph_host = urlsplit(cloud.graph_url).netloc.lower()

    def is_graph(scope: str) -> bool:
        return "://" not in scope or urlsplit(scope).netloc.lower() == graph_host

    picked = [s for s in scopes if is_graph(s) == (want == "graph")]
    if picked or scopes:
        return picked or scopes
    return [cloud.graph_scope if want == "graph" else cloud.smtp_scope]


def _secrets(acc: tokenfile.Account) -> list[str]:
    return [acc.refresh_token, acc.client_secret, acc.access_token]


def _error_from_text(text: str, acc: tokenfile.Account, url: str) -> OAuthMailError:
    from .explain import error_for  # the catalog loads only when something went wrong

    clean = redact(text, _secrets(acc))[:500]
    found = error_for(clean, TokenError, account=acc.email, url=url)
    if found is not None:
        return found
    return TokenError(TOKEN_REFUSED, TOKEN_REFUSED_HINT, account=acc.email, reply=clean, details=clean,
                      code="token_refused")


def _network_error(exc: BaseException, url: str, acc: tokenfile.Account, timeout: float = 30) -> OAuthMailError:
    """A requests/urllib3 failure (possibly wrapped by google-auth) as a :class:`NetworkError`."""
    import requests

    chain: list[BaseException] = []
    e: BaseException | None = exc
    while e is not None and len(chain) < 10:
        chain.append(e)
        e = e.__cause__ or e.__context__
    for item in chain:
        if isinstance(item, OAuthMailError):
            return item
    from .i18n.oserrors import os_reason

    reason = os_reason(redact(str(chain[-1]), _secrets(acc))[:200] or type(chain[-1]).__name__)
    text = " ".join(str(x) for x in chain)
    if any(isinstance(x, requests.exceptions.SSLError) for x in chain) or "CERTIFICATE_VERIFY_FAILED" in text:
        return NetworkError(CERT_UNTRUSTED, CERT_UNTRUSTED_HINT, where=url, reason="certificate verify failed",
                            code="tls_verify")
    if any(isinstance(x, requests.exceptions.ProxyError) for x in chain):
        return NetworkError(PROXY_FAILED, PROXY_FAILED_HINT, url=url, reason=reason, code="proxy")
    if any(isinstance(x, (requests.exceptions.Timeout, TimeoutError)) for x in chain):
        return NetworkError(TIMED_OUT, TIMED_OUT_HINT, where=url, timeout=f"{timeout:g}", code="timeout")
    return NetworkError(UNREACHABLE, UNREACHABLE_HINT, url=url, reason=reason, code="token_unreachable")


# --- the provider calls ----------------------------------------------------------------------------


def refresh(account: tokenfile.Account, *, timeout: float = 30, transport: str | None = None) -> TokenResponse:
    """One refresh at the provider (no file I/O): Google via google-auth, Microsoft via MSAL (one resource)."""
    if account.provider == "microsoft":
        return _refresh_microsoft(account, timeout, transport)
    return _refresh_google(account, timeout)


def _refresh_google(acc: tokenfile.Account, timeout: float) -> TokenResponse:
    import google.auth.exceptions
    import requests
    from google.auth.transport.requests import Request
    from google.oauth2.credentials import Credentials

    url = acc.token_uri or providers.GOOGLE_TOKEN_URI
    session = requests.Session()
    session.verify = requests_verify()

    class _Timed(Request):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            kwargs["timeout"] = timeout
            return super().__call__(*args, **kwargs)  # type: ignore[no-untyped-call]

    creds = Credentials(  # type: ignore[no-untyped-call]
        token=None,
        refresh_token=acc.refresh_token,
        token_uri=url,
        client_id=acc.client_id,
        client_secret=acc.client_secret or None,
        scopes=acc.scopes or None,
    )
    try:
        creds.refresh(_Timed(session))  # type: ignore[no-untyped-call]
    except google.auth.exceptions.RefreshError as exc:
        text = str(exc.args[0]) if exc.args else str(exc)
        if getattr(exc, "retryable", False):  # 5xx / internal_failure, after google-auth's own retries
            reply = redact(text, _secrets(acc))[:200]
            raise TokenError(PROVIDER_TROUBLE, PROVIDER_TROUBLE_HINT, url=url, reply=reply, details=reply,
                             code="token_endpoint_unavailable") from None
        raise _error_from_text(text, acc, url) from None
    except (google.auth.exceptions.TransportError, requests.exceptions.RequestException, OSError) as exc:
        raise _network_error(exc, url, acc, timeout) from None
    finally:
        session.close()
    if not creds.token:
        raise TokenError(BAD_RESPONSE, BAD_RESPONSE_HINT, url=url, code="no_access_token")
    expiry = creds.expiry
    expires_at = (expiry.replace(tzinfo=timezone.utc) if expiry is not None and expiry.tzinfo is None
                  else expiry or _now() + timedelta(seconds=3600))
    new_rt = creds.refresh_token if creds.refresh_token and creds.refresh_token != acc.refresh_token else None
    return TokenResponse(creds.token, expires_at, new_rt, list(creds.granted_scopes or acc.scopes or []), url)


def _refresh_microsoft(acc: tokenfile.Account, timeout: float, transport: str | None = None) -> TokenResponse:
    import msal
    import msal.exceptions
    import requests

    from .clients import msal_http_client

    if not acc.authority:
        raise ConfigError(NO_AUTHORITY, NO_AUTHORITY_HINT, account=acc.email, code="no_authority")
    url = token_url(acc)
    discovery = providers.is_known_microsoft_host(acc.authority)
    session = msal_http_client(verify=requests_verify(), timeout=timeout)
    kwargs: dict[str, Any] = {
        "authority": acc.authority,
        "http_client": session,
        "instance_discovery": discovery,
        "token_cache": msal.TokenCache(),
    }
    try:
        app: Any
        if acc.client_secret:
            app = msal.ConfidentialClientApplication(acc.client_id, client_credential=acc.client_secret, **kwargs)
        else:
            app = msal.PublicClientApplication(acc.client_id, **kwargs)
        result = app.acquire_token_by_refresh_token(acc.refresh_token, scopes=microsoft_scopes(acc, transport))
    except (requests.exceptions.RequestException, OSError) as exc:
        raise _network_error(exc, url, acc, timeout) from None
    except msal.exceptions.MsalServiceError as exc:  # an HTTP 5xx without an OAuth error body
        reply = redact(str(exc), _secrets(acc))[:200]
        raise TokenError(PROVIDER_TROUBLE, PROVIDER_TROUBLE_HINT, url=url, reply=reply, details=reply,
                         code="token_endpoint_unavailable") from None
    except ValueError as exc:  # MSAL: authority discovery failed / invalid authority
        text = str(exc)
        chained = exc.__cause__ or exc.__context__
        if isinstance(chained, (requests.exceptions.RequestException, OSError)):
            raise _network_error(chained, url, acc, timeout) from None
        raise _error_from_text(text, acc, acc.authority) from None
    finally:
        # Closed here, not whenever the garbage collector gets to it: a long-running sender (the relay)
        # would keep one connection per refresh open meanwhile (clients.msal_http_client).
        session.close()
    if not isinstance(result, dict):
        raise TokenError(BAD_RESPONSE, BAD_RESPONSE_HINT, url=url, code="no_access_token")
    if "access_token" not in result:
        text = f"{result.get('error', '')}: {result.get('error_description', '')}"
        raise _error_from_text(text, acc, url)
    expires_in = float(result.get("expires_in") or 3600)
    new_rt = result.get("refresh_token")
    return TokenResponse(
        str(result["access_token"]),
        _now() + timedelta(seconds=expires_in),
        new_rt if new_rt and new_rt != acc.refresh_token else None,
        str(result.get("scope", "")).split(),
        url,
    )


# --- the stateful step: INI + lock + cache --------------------------------------------------------


def access_token_and_account(
    ini: str | Path | tokenfile.TokenFile,
    account: str | None = None,
    *,
    force_refresh: bool = False,
    margin: float = 300,
    timeout: float = 30,
    transport: str | None = None,
) -> tuple[AccessToken, tokenfile.Account]:
    """Like :func:`get_access_token`, also giving the account (for its SMTP settings).

    ``transport``: a Microsoft account sending by another transport than its INI's needs a token for
    the other resource (Graph vs Outlook): it is refreshed for that one and NOT cached (the INI's
    cache stays for its own transport); a rotated refresh token is stored as always. ``ini`` may be a
    :class:`~oauthmail.TokenFile` already read: its cached token is used without reading the file again.
    """
    tf = tokenfile.given_or_read(ini)
    acc = tf.account(account)
    warnings = list(tf.warnings)
    if not force_refresh and cached_token_valid(acc, margin) and not _other_transport(acc, transport):
        assert acc.access_token_expires_at is not None
        return AccessToken(acc.access_token, acc.access_token_expires_at, acc.email, False, warnings), acc
    resp, acc = refresh_and_store(tokenfile.path_of(ini), acc.email, force=force_refresh, margin=margin,
                                  timeout=timeout, transport=transport)
    if resp is None:  # another process refreshed while we waited for the lock
        assert acc.access_token_expires_at is not None
        return AccessToken(acc.access_token, acc.access_token_expires_at, acc.email, False, warnings), acc
    return AccessToken(resp.access_token, resp.expires_at, acc.email, True, warnings), acc


def _other_transport(acc: tokenfile.Account, transport: str | None) -> bool:
    """A Microsoft account sending by another transport than its INI's needs a token for the other resource."""
    return (acc.provider == "microsoft" and transport is not None
            and transport.lower() != (acc.transport or "smtp").lower())


def _load_library(provider: str) -> None:
    """Import the provider's library now (a second or more on a busy machine) rather than under the lock."""
    if provider == "microsoft":
        import msal  # noqa: F401
    else:
        import google.oauth2.credentials  # noqa: F401
        from google.auth.transport import requests  # noqa: F401


def refresh_and_store(
    ini: str | Path,
    email: str,
    *,
    force: bool = True,
    margin: float = 300,
    timeout: float = 30,
    transport: str | None = None,
) -> tuple[TokenResponse | None, tokenfile.Account]:
    """Refresh under the INI's lock and store the result before anyone uses it (one atomic write).

    The file is re-read under the lock; unless ``force``, a token another process stored meanwhile is
    kept (``(None, account)``). A rotated refresh token is always stored; the access token only when it
    is for the INI's own transport. A failed write raises (:class:`~oauthmail.errors.ConfigError`):
    a rotated refresh token must never live only in memory.
    """
    _load_library(tokenfile.read(ini).account(email).provider)  # not while holding the lock: others wait on it
    with tokenfile.locked(ini):
        tf = tokenfile.read(ini)
        acc = tf.account(email)
        other = _other_transport(acc, transport)
        if not force and not other and cached_token_valid(acc, margin):
            return None, acc
        resp = refresh(acc, timeout=timeout, transport=transport)
        if resp.refresh_token:
            acc.refresh_token = resp.refresh_token
        if not other:
            acc.access_token = resp.access_token
            acc.access_token_expires_at = resp.expires_at
        if resp.refresh_token or not other:
            tf.save()
    return resp, acc


def get_access_token(
    ini: str | Path | tokenfile.TokenFile,
    account: str | None = None,
    *,
    force_refresh: bool = False,
    margin: float = 300,
) -> AccessToken:
    """A valid access token for the account: the cached one, or a fresh one (stored first)."""
    return access_token_and_account(ini, account, force_refresh=force_refresh, margin=margin)[0]
