"""Microsoft consent through MSAL's auth code flow and device flow.

Why these MSAL calls: ``initiate_auth_code_flow`` returns a JSON-serialisable dict (state, PKCE
verifier, nonce) that survives a kernel restart, and ``response_mode="query"`` puts the code in the
address bar, so a person on a remote kernel can paste it back (fact 63). ``acquire_token_interactive``
is never used (P33): it is public-client only, has no path and hides the code in a form post. Reserved
scopes are never passed (P31); one resource per token (P21). Authorities on hosts MSAL does not know
(test providers, private clouds) get ``instance_discovery=False``. MSAL's ``UserWarning`` about
``response_mode`` is kept away from people.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from ..clients import (
    ClientConfig,
    microsoft_client,
    msal_http_client,
    needs_instance_discovery_off,
    tenant_from_authority,
)
from ..errors import ConsentError
from ..i18n import Msg
from ..providers import (
    MSAL_RESERVED_SCOPES,
    Transport,
    is_known_microsoft_host,
    microsoft_cloud_for_authority,
)
from ..secrets import redact
from .flowdict import FLOW_KIND, ConsentFlow
from .problems import (
    CANCELLED,
    CANCELLED_HINT,
    DENIED,
    DENIED_HINT,
    DEVICE_EXPIRED,
    DEVICE_EXPIRED_HINT,
    DEVICE_NEEDS_PUBLIC,
    DEVICE_NEEDS_PUBLIC_HINT,
    GOOGLE_DEVICE,
    GOOGLE_DEVICE_HINT,
    NO_REFRESH_TOKEN,
    NO_REFRESH_TOKEN_HINT,
    SCOPE_NOT_GRANTED,
    SCOPE_NOT_GRANTED_HINT,
    STATE_MISMATCH,
    STATE_MISMATCH_HINT,
    TIMEOUT,
    TIMEOUT_HINT,
    WRONG_PROVIDER_CLIENT,
    WRONG_PROVIDER_CLIENT_HINT,
    network_error,
    provider_error,
    require_pkce,
    unavailable,
)
from .quiet import quiet_library_logs
from .result import ConsentResult, check_email

#: The address the kit's Entra Web app is registered with (seed 000).
DEFAULT_MS_REDIRECT = "http://localhost:48888/callback"

AUTHORITY_UNKNOWN = Msg(
    en="Microsoft does not know the sign-in authority {authority} (tenant name or ID wrong, or not a Microsoft "
    "sign-in address).",
    ja="サインイン先（authority）{authority} を Microsoft が認識できませんでした（テナント名・テナント ID の誤り、"
    "または Microsoft のサインイン アドレスではありません）。",
)
AUTHORITY_UNKNOWN_HINT = Msg(
    en="Use common, organizations, consumers, your tenant ID (Entra admin center → Overview) or your domain; for "
    "government or China clouds give --authority https://login.microsoftonline.us/<tenant> or "
    "https://login.partner.microsoftonline.cn/<tenant>.",
    ja="common、organizations、consumers、テナント ID（Entra 管理センター →「概要」）、またはドメインを指定してください。"
    "政府機関向けや中国のクラウドでは --authority https://login.microsoftonline.us/<テナント> または "
    "https://login.partner.microsoftonline.cn/<テナント> を指定します。",
)



#: The device-code instruction in the reader's language. Microsoft sends its own ``message`` in English
#: unless the request names a market; English readers keep Microsoft's wording as it is.
DEVICE_MESSAGE = Msg(en="To sign in, open {uri} in a web browser and enter the code {code}.",
                     ja="サインインするには、Web ブラウザーで {uri} を開き、コード {code} を入力してください。")


def device_message(provider_message: str, uri: str, code: str, lang: str | None = None) -> str:
    """What to show for a device code: Microsoft's text in English, the kit's own in Japanese."""
    from ..i18n import current_language

    if (lang or current_language()) == "ja" and uri and code:
        return DEVICE_MESSAGE.format("ja", uri=uri, code=code)
    return provider_message

def ms_scopes(authority: str, transport: Transport | str = "smtp") -> list[str]:
    """One resource's send scope for the authority's cloud; never a reserved scope (P31)."""
    cloud = microsoft_cloud_for_authority(authority)
    scope = cloud.graph_scope if transport == "graph" else cloud.smtp_scope
    return [s for s in [scope] if s not in MSAL_RESERVED_SCOPES]


def _ms_client(
    client: ClientConfig | dict[str, Any],
    tenant: str | None,
    authority: str | None,
) -> ClientConfig:
    if isinstance(client, dict):
        cfg = microsoft_client(str(client.get("client_id", "")), client.get("client_secret") or None,
                               tenant=tenant or str(client.get("tenant") or "common"),
                               authority=authority or client.get("authority") or None)
    else:
        cfg = client
    if cfg.provider != "microsoft":
        raise ConsentError(WRONG_PROVIDER_CLIENT, WRONG_PROVIDER_CLIENT_HINT, code="wrong_client_type",
                           actual=cfg.provider, expected="microsoft")
    if authority:
        auth = authority.strip().rstrip("/")
        return dataclasses.replace(cfg, authority=auth, tenant=tenant_from_authority(auth))
    if tenant and tenant != cfg.tenant and tenant != "common":
        parts = urlsplit(cfg.authority)
        return dataclasses.replace(cfg, authority=f"{parts.scheme}://{parts.netloc}/{tenant}", tenant=tenant)
    return cfg


def msal_app(cfg: ClientConfig) -> Any:
    """A ``ConfidentialClientApplication`` (with secret) or ``PublicClientApplication`` for ``cfg``."""
    import msal
    import requests

    session = msal_http_client()
    kwargs: dict[str, Any] = {"authority": cfg.authority, "http_client": session}
    if needs_instance_discovery_off(cfg.authority):
        kwargs["instance_discovery"] = False
    try:
        try:
            if cfg.client_secret:
                return msal.ConfidentialClientApplication(cfg.client_id, client_credential=cfg.client_secret,
                                                          **kwargs)
            return msal.PublicClientApplication(cfg.client_id, **kwargs)
        except BaseException:
            session.close()  # the constructor asked the authority and failed: nothing else will close it
            raise
    except requests.RequestException as exc:
        raise network_error(cfg.authority, exc, [cfg.client_secret]) from None
    except msal.exceptions.MsalError as exc:
        raise unavailable(cfg.authority, exc) from None
    except ValueError as exc:
        raise ConsentError(AUTHORITY_UNKNOWN, AUTHORITY_UNKNOWN_HINT, code="authority_unknown",
                           authority=cfg.authority, details=redact(str(exc), [cfg.client_secret])[:300]) from None


@contextlib.contextmanager
def closing_http(app: Any) -> Iterator[Any]:
    """Close the MSAL app's HTTP session when the call is done.

    Why: MSAL's own ``requests`` session sits in a reference cycle, so its connections would stay open until
    the cyclic garbage collector runs; a notebook kernel lives for hours.
    """
    try:
        yield app
    finally:
        app.http_client.close()


def start_microsoft(
    client: ClientConfig | dict[str, Any],
    *,
    email: str | None = None,
    redirect_uri: str = DEFAULT_MS_REDIRECT,
    tenant: str = "common",
    authority: str | None = None,
    transport: Transport | str = "smtp",
    login_hint: str | None = None,
) -> ConsentFlow:
    """MSAL's auth code flow (PKCE, query response) as a plain dict; open ``flow["auth_uri"]``."""
    cfg = _ms_client(client, tenant, authority)
    app = msal_app(cfg)
    scopes = ms_scopes(cfg.authority, transport)
    hint = login_hint or email
    with warnings.catch_warnings(), closing_http(app):
        warnings.simplefilter("ignore")
        msal_flow = app.initiate_auth_code_flow(scopes, redirect_uri=redirect_uri or DEFAULT_MS_REDIRECT,
                                                response_mode="query", login_hint=hint or None)
    if "auth_uri" not in msal_flow:
        raise provider_error(str(msal_flow.get("error", "")), str(msal_flow.get("error_description", "")),
                             redirect_uri=redirect_uri, secrets=[cfg.client_secret])
    require_pkce(str(msal_flow["auth_uri"]), msal_flow.get("code_verifier"))
    return ConsentFlow({
        "kind": FLOW_KIND,
        "version": 1,
        "provider": "microsoft",
        "mode": "auth_code",
        "client": cfg.to_dict(),
        "client_type": cfg.client_type,
        "auth_uri": msal_flow["auth_uri"],
        "redirect_uri": msal_flow.get("redirect_uri") or redirect_uri,
        "state": msal_flow["state"],
        "msal_flow": msal_flow,
        "scopes": scopes,
        "email": email or "",
        "transport": transport,
        "created_at": time.time(),
        "warnings": list(cfg.warnings),
    })


def _result(cfg: ClientConfig, flow: dict[str, Any], res: dict[str, Any]) -> ConsentResult:
    """A :class:`ConsentResult` from MSAL's token result (error dicts become :class:`ConsentError`)."""
    secrets = [cfg.client_secret, res.get("access_token"), res.get("refresh_token")]
    if "error" in res and not res.get("access_token"):
        raise provider_error(str(res.get("error")), str(res.get("error_description") or ""),
                             redirect_uri=flow.get("redirect_uri", ""), scopes=flow["scopes"], secrets=secrets)
    granted = str(res.get("scope") or "").split()
    wanted = flow["scopes"][0]
    short = wanted.rsplit("/", 1)[-1].lower()
    if granted and not any(g == wanted or g.rsplit("/", 1)[-1].lower() == short for g in granted):
        raise ConsentError(SCOPE_NOT_GRANTED, SCOPE_NOT_GRANTED_HINT, code="scope_not_granted", scope=wanted,
                           granted=" ".join(granted))
    refresh_token = str(res.get("refresh_token") or "")
    if not refresh_token:
        raise ConsentError(NO_REFRESH_TOKEN, NO_REFRESH_TOKEN_HINT, code="no_refresh_token", provider="Microsoft")
    claims = res.get("id_token_claims") or {}
    names = [v for k in ("preferred_username", "email", "upn", "unique_name")
             if isinstance(v := claims.get(k), str) and "@" in v]
    email = names[0] if names else ""
    expires_in = res.get("expires_in")
    expires_at = (datetime.now(timezone.utc) + timedelta(seconds=float(expires_in))
                  if isinstance(expires_in, (int, float, str)) and str(expires_in).isdigit() else None)
    return ConsentResult(
        provider="microsoft",
        email=email,
        client_id=cfg.client_id,
        client_secret=cfg.client_secret,
        refresh_token=refresh_token,
        access_token=str(res.get("access_token") or ""),
        expires_at=expires_at,
        scopes=list(flow["scopes"]),
        authority=cfg.authority,
        tenant=cfg.tenant,
        client_type=cfg.client_type,
        redirect_uri=flow.get("redirect_uri", ""),
        transport=str(flow.get("transport") or "smtp"),
        warnings=list(flow.get("warnings", [])),
        identities=names,
    )


def finish_microsoft(flow: dict[str, Any], params: dict[str, str]) -> ConsentResult:
    """Redeem the code with MSAL's saved flow dict (one resource's scopes)."""
    import msal
    import requests

    cfg = ClientConfig.from_dict(flow["client"])
    app = msal_app(cfg)
    try:
        with warnings.catch_warnings(), closing_http(app):
            warnings.simplefilter("ignore")
            res = app.acquire_token_by_auth_code_flow(dict(flow["msal_flow"]), params, scopes=flow["scopes"])
    except requests.RequestException as exc:
        raise network_error(cfg.authority, exc, [cfg.client_secret, params.get("code")]) from None
    except msal.exceptions.MsalError as exc:
        raise unavailable(cfg.authority, exc) from None
    except ValueError:
        raise ConsentError(STATE_MISMATCH, STATE_MISMATCH_HINT, code="state_mismatch") from None
    return _result(cfg, flow, res)


def start_device_code(
    client: ClientConfig | dict[str, Any],
    *,
    tenant: str = "common",
    authority: str | None = None,
    email: str | None = None,
    transport: Transport | str = "smtp",
) -> ConsentFlow:
    """Device code sign-in (Microsoft public client only): show ``flow["message"]`` to the person."""
    if (isinstance(client, ClientConfig) and client.provider == "google") or (
            isinstance(client, dict) and ("web" in client or "installed" in client)):
        raise ConsentError(GOOGLE_DEVICE, GOOGLE_DEVICE_HINT, code="google_device_flow")
    import msal
    import requests

    cfg = _ms_client(client, tenant, authority)
    if cfg.client_secret:
        raise ConsentError(DEVICE_NEEDS_PUBLIC, DEVICE_NEEDS_PUBLIC_HINT, code="device_needs_public_client")
    app = msal_app(cfg)
    scopes = ms_scopes(cfg.authority, transport)
    try:
        with closing_http(app):
            dflow = app.initiate_device_flow(scopes=scopes)
    except requests.RequestException as exc:
        raise network_error(cfg.authority, exc) from None
    except msal.exceptions.MsalError as exc:
        raise unavailable(cfg.authority, exc) from None
    if "user_code" not in dflow:
        raise provider_error(str(dflow.get("error", "")), str(dflow.get("error_description", "")), scopes=scopes)
    plain_uri = str(dflow.get("verification_uri") or dflow.get("verification_url") or "")
    # A sandbox's device page opens only with its page token (sandbox.json): the link shown here carries it.
    from ..sandbox.pagelinks import known_page_link

    shown_uri = known_page_link(plain_uri) if plain_uri and not is_known_microsoft_host(cfg.authority) else plain_uri
    return ConsentFlow({
        "kind": FLOW_KIND,
        "version": 1,
        "provider": "microsoft",
        "mode": "device_code",
        "client": cfg.to_dict(),
        "client_type": cfg.client_type,
        "device_flow": dflow,
        "user_code": dflow["user_code"],
        "verification_uri": shown_uri,
        "message": device_message(str(dflow.get("message", "")).replace(plain_uri, shown_uri) if plain_uri
                                  else str(dflow.get("message", "")), shown_uri, str(dflow["user_code"])),
        "expires_at": dflow.get("expires_at"),
        "redirect_uri": "",
        "state": "",
        "scopes": scopes,
        "email": email or "",
        "transport": transport,
        "created_at": time.time(),
        "warnings": list(cfg.warnings),
    })


def finish_device_code(
    flow: dict[str, Any],
    *,
    cancel: threading.Event | None = None,
    timeout: float | None = None,
) -> ConsentResult:
    """Poll until the person entered the code (or it expired, was declined, cancelled, timed out)."""
    import msal
    import requests

    if flow.get("mode") != "device_code":
        raise ConsentError(GOOGLE_DEVICE if flow.get("provider") == "google" else DEVICE_NEEDS_PUBLIC,
                           GOOGLE_DEVICE_HINT if flow.get("provider") == "google" else DEVICE_NEEDS_PUBLIC_HINT,
                           code="not_device_flow")
    cfg = ClientConfig.from_dict(flow["client"])
    app = msal_app(cfg)
    dflow = dict(flow["device_flow"])
    deadline = None if timeout is None else time.monotonic() + timeout

    def stop(f: dict[str, Any]) -> bool:
        return bool((cancel is not None and cancel.is_set())
                    or (deadline is not None and time.monotonic() >= deadline)
                    or float(f.get("expires_at", 0)) < time.time())

    exit_condition: Callable[[dict[str, Any]], bool] = stop
    try:
        with quiet_library_logs(), closing_http(app):
            res = app.acquire_token_by_device_flow(dflow, exit_condition=exit_condition)
    except requests.RequestException as exc:
        raise network_error(cfg.authority, exc) from None
    except msal.exceptions.MsalError as exc:
        raise unavailable(cfg.authority, exc) from None
    if res.get("access_token"):
        return check_email(_result(cfg, flow, res), flow.get("email") or None)
    err = str(res.get("error") or "")
    if cancel is not None and cancel.is_set():
        raise ConsentError(CANCELLED, CANCELLED_HINT, code="cancelled")
    if err in ("authorization_pending", "slow_down"):
        if deadline is not None and time.monotonic() >= deadline:
            raise ConsentError(TIMEOUT, TIMEOUT_HINT, code="timeout", seconds=int(timeout or 0))
        raise ConsentError(DEVICE_EXPIRED, DEVICE_EXPIRED_HINT, code="expired_token",
                           verification_uri=flow.get("verification_uri", ""))
    if err in ("expired_token", "code_expired"):
        raise ConsentError(DEVICE_EXPIRED, DEVICE_EXPIRED_HINT, code="expired_token",
                           verification_uri=flow.get("verification_uri", ""))
    if err in ("access_denied", "authorization_declined"):
        raise ConsentError(DENIED, DENIED_HINT, code="access_denied")
    return _result(cfg, flow, res)
