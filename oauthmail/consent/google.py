"""Google consent through ``google_auth_oauthlib.flow.Flow``, driven step by step.

Why ``Flow`` and not ``InstalledAppFlow.run_local_server``: a Web client's redirect has a path
(P2), and a notebook must be able to start in one cell and finish in another, or after a kernel
restart (P8). So :func:`start_google` returns a plain dict holding ``state`` and the PKCE
``code_verifier``, and :func:`finish_google` rebuilds ``Flow`` with both. The JSON's ``auth_uri`` and
``token_uri`` are honoured (that is how the sandbox is reached). The code is redeemed with
``code=`` rather than the whole ``http://`` URL, so oauthlib's https check (P9) never needs
``OAUTHLIB_INSECURE_TRANSPORT``; ``OAUTHLIB_RELAX_TOKEN_SCOPE`` is set only during the exchange
(P7) and the granted scopes are checked here instead.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..clients import ClientConfig, is_loopback_uri, load_google_client
from ..errors import ConsentError, OAuthMailError
from ..i18n import Msg
from ..providers import (
    GOOGLE_GMAIL_SEND_SCOPE,
    GOOGLE_IDENTITY_SCOPES,
    GOOGLE_MAIL_SCOPE,
    GOOGLE_USERINFO_URI,
    Transport,
    google_defaults,
)
from .flowdict import FLOW_KIND, ConsentFlow
from .problems import (
    NO_REFRESH_TOKEN,
    NO_REFRESH_TOKEN_HINT,
    REDIRECT_MISMATCH_GOOGLE_HINT,
    REDIRECT_NOT_REGISTERED,
    SCOPE_NOT_GRANTED,
    SCOPE_NOT_GRANTED_HINT,
    WRONG_PROVIDER_CLIENT,
    WRONG_PROVIDER_CLIENT_HINT,
    network_error,
    provider_error,
    require_pkce,
)
from .result import ConsentResult

#: The address the kit's Google Web client is registered with (seed 000).
DEFAULT_WEB_REDIRECT = "http://127.0.0.1:48888/callback"

TESTING_WARNING = Msg(
    en="Note: while your Google Cloud app's publishing status is 'Testing', Google expires this refresh token 7 days "
    "after consent. For a token that lasts, set it to 'In production' (an 'unverified app' screen is expected for "
    "personal use) and run the consent again.",
    ja="注意: Google Cloud のアプリの公開ステータスが「テスト中」の間は、このリフレッシュ トークンは同意から 7 日で"
    "失効します。長く使うには「本番環境」に切り替え（個人利用では「このアプリは Google で確認されていません」の画面が出ますが想定どおりです）、"
    "もう一度同意を行ってください。",
)
DESKTOP_NOT_LOOPBACK = Msg(
    en="A Desktop app client can only return to a loopback address (http://127.0.0.1:PORT/), not {redirect_uri}.",
    ja="デスクトップ アプリのクライアントの戻り先はループバック アドレス（http://127.0.0.1:ポート/）だけです。{redirect_uri} は使えません。",
)
DESKTOP_NOT_LOOPBACK_HINT = Msg(
    en="Leave the return address empty (the kit picks a free port), or give http://127.0.0.1:PORT/.",
    ja="リダイレクト URI を空にする（キットが空いているポートを選びます）か、http://127.0.0.1:ポート/ を指定してください。",
)

_env_lock = threading.Lock()


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS says is free now (for Desktop clients, which accept any loopback port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def mail_scope(transport: Transport | str = "smtp") -> str:
    """``https://mail.google.com/`` for SMTP, ``gmail.send`` for the Gmail API."""
    return google_defaults(transport if transport == "gmail-api" else "smtp").scopes[0]


def choose_redirect(cfg: ClientConfig, redirect_uri: str | None) -> str:
    """The redirect for this client: given, registered (Web), or a free loopback port (Desktop)."""
    if cfg.client_type == "web":
        registered = cfg.redirect_uris
        if redirect_uri:
            if registered and redirect_uri not in registered:
                raise ConsentError(REDIRECT_NOT_REGISTERED, REDIRECT_MISMATCH_GOOGLE_HINT, code="redirect_uri_mismatch",
                                   redirect_uri=redirect_uri, registered=", ".join(registered))
            return redirect_uri
        loopbacks = [u for u in registered if is_loopback_uri(u)]
        if loopbacks:
            return DEFAULT_WEB_REDIRECT if DEFAULT_WEB_REDIRECT in loopbacks else loopbacks[0]
        if registered:
            raise ConsentError(REDIRECT_NOT_REGISTERED, REDIRECT_MISMATCH_GOOGLE_HINT, code="redirect_uri_mismatch",
                               redirect_uri=DEFAULT_WEB_REDIRECT, registered=", ".join(registered))
        return DEFAULT_WEB_REDIRECT
    if redirect_uri:
        if not is_loopback_uri(redirect_uri):
            raise ConsentError(DESKTOP_NOT_LOOPBACK, DESKTOP_NOT_LOOPBACK_HINT, code="redirect_not_loopback",
                               redirect_uri=redirect_uri[:200])
        return redirect_uri
    return f"http://127.0.0.1:{free_port()}/"


def _google_client(client: ClientConfig | dict[str, Any] | str | Path) -> ClientConfig:
    cfg = load_google_client(client)
    if cfg.provider != "google":
        raise ConsentError(WRONG_PROVIDER_CLIENT, WRONG_PROVIDER_CLIENT_HINT, code="wrong_client_type",
                           actual=cfg.provider, expected="google")
    return cfg


def start_google(
    client: ClientConfig | dict[str, Any] | str | Path,
    *,
    email: str | None = None,
    redirect_uri: str | None = None,
    transport: Transport | str = "smtp",
    login_hint: str | None = None,
) -> ConsentFlow:
    """Build the authorization URL (PKCE S256, offline, prompt=consent) and the flow dict to finish it."""
    from google_auth_oauthlib.flow import Flow

    cfg = _google_client(client)
    redirect = choose_redirect(cfg, redirect_uri)
    scopes = [mail_scope(transport), *GOOGLE_IDENTITY_SCOPES]
    # PKCE by our own choice, not the library's default (some google-auth-oauthlib 1.2 releases made none).
    gflow = Flow.from_client_config(cfg.google_config(), scopes=scopes, redirect_uri=redirect,
                                    autogenerate_code_verifier=True)
    extra: dict[str, str] = {"access_type": "offline", "prompt": "consent"}
    hint = login_hint or email
    if hint:
        extra["login_hint"] = hint
    url, state = gflow.authorization_url(**extra)
    require_pkce(url, gflow.code_verifier)
    return ConsentFlow({
        "kind": FLOW_KIND,
        "version": 1,
        "provider": "google",
        "mode": "auth_code",
        "client": cfg.to_dict(),
        "client_type": cfg.client_type,
        "auth_uri": url,
        "redirect_uri": redirect,
        "state": state,
        "code_verifier": gflow.code_verifier,
        "scopes": scopes,
        "email": email or "",
        "transport": transport,
        "created_at": time.time(),
        "warnings": list(cfg.warnings),
    })


@contextlib.contextmanager
def relaxed_token_scope() -> Iterator[None]:
    """``OAUTHLIB_RELAX_TOKEN_SCOPE`` for one exchange only, restored afterwards (P7)."""
    with _env_lock:
        old = os.environ.get("OAUTHLIB_RELAX_TOKEN_SCOPE")
        os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = "1"
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("OAUTHLIB_RELAX_TOKEN_SCOPE", None)
            else:
                os.environ["OAUTHLIB_RELAX_TOKEN_SCOPE"] = old


def jwt_claims(token: str | None) -> dict[str, Any]:
    """The payload of a JWT received straight from the token endpoint over TLS (not verified: not needed there)."""
    if not token or token.count(".") != 2:
        return {}
    payload = token.split(".")[1]
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return {}
    return data if isinstance(data, dict) else {}


def userinfo_url(token_uri: str) -> str:
    """Google's userinfo endpoint, or ``/v1/userinfo`` on the token endpoint's host for other providers."""
    parts = urlsplit(token_uri)
    if (parts.hostname or "").endswith("googleapis.com") or (parts.hostname or "").endswith("google.com"):
        return GOOGLE_USERINFO_URI
    return f"{parts.scheme}://{parts.netloc}/v1/userinfo"


def _userinfo_email(token_uri: str, access_token: str) -> str:
    import requests

    try:
        resp = requests.get(userinfo_url(token_uri), headers={"Authorization": f"Bearer {access_token}"}, timeout=30)
        if resp.status_code != 200:
            return ""
        data = resp.json()
    except (requests.RequestException, ValueError):
        return ""
    value = data.get("email") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def _scopes(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, (list, tuple)):
        return [str(s) for s in value]
    return []


def finish_google(flow: dict[str, Any], params: dict[str, str]) -> ConsentResult:
    """Redeem the code with the saved ``state`` and ``code_verifier``; check scopes, refresh token, address."""
    import requests
    from google_auth_oauthlib.flow import Flow
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    cfg = ClientConfig.from_dict(flow["client"])
    require_pkce(str(flow.get("auth_uri", "")), flow.get("code_verifier"))
    gflow = Flow.from_client_config(
        cfg.google_config(), scopes=flow["scopes"], redirect_uri=flow["redirect_uri"], state=flow["state"],
        code_verifier=flow.get("code_verifier"), autogenerate_code_verifier=False,
    )
    secrets = [cfg.client_secret, params.get("code"), flow.get("code_verifier")]
    failure: OAuthMailError | None = None
    token: dict[str, Any] = {}
    try:
        with relaxed_token_scope():
            gflow.fetch_token(code=params["code"])
        token = dict(gflow.oauth2session.token or {})
    except OAuth2Error as exc:
        failure = provider_error(exc.error, exc.description or "", redirect_uri=flow["redirect_uri"],
                                 email=flow.get("email", ""), secrets=secrets, provider="google")
    except requests.RequestException as exc:
        failure = network_error(cfg.token_uri, exc, secrets)
    finally:
        gflow.oauth2session.close()
    if failure is not None:
        # Raised out here, not in the handler: a notebook keeps the error it shows, and an error raised
        # inside a handler keeps the library's exception, its frames and their open connection with it.
        raise failure
    granted = _scopes(token.get("scope")) or list(flow["scopes"])
    needed = mail_scope(flow.get("transport", "smtp"))
    if needed not in granted and not (needed == GOOGLE_GMAIL_SEND_SCOPE and GOOGLE_MAIL_SCOPE in granted):
        raise ConsentError(SCOPE_NOT_GRANTED, SCOPE_NOT_GRANTED_HINT, code="scope_not_granted", scope=needed,
                           granted=" ".join(granted) or "-")
    refresh_token = token.get("refresh_token") or ""
    access_token = token.get("access_token") or ""
    if not refresh_token:
        raise ConsentError(NO_REFRESH_TOKEN, NO_REFRESH_TOKEN_HINT, code="no_refresh_token", provider="Google")
    claims = jwt_claims(token.get("id_token"))
    email = claims.get("email") if claims.get("aud") in (None, cfg.client_id) else None
    if not isinstance(email, str) or "@" not in email:
        email = _userinfo_email(cfg.token_uri, access_token) if access_token else ""
    expires_at = None
    if isinstance(token.get("expires_at"), (int, float)):
        expires_at = datetime.fromtimestamp(float(token["expires_at"]), tz=timezone.utc)
    identity = set(GOOGLE_IDENTITY_SCOPES) | {"email", "profile", "https://www.googleapis.com/auth/userinfo.profile"}
    return ConsentResult(
        provider="google",
        email=email or "",
        client_id=cfg.client_id,
        client_secret=cfg.client_secret,
        refresh_token=refresh_token,
        access_token=access_token,
        expires_at=expires_at,
        scopes=[s for s in granted if s not in identity],
        auth_uri=cfg.auth_uri,
        token_uri=cfg.token_uri,
        client_type=cfg.client_type,
        redirect_uri=flow["redirect_uri"],
        transport=str(flow.get("transport") or "smtp"),
        warnings=[*flow.get("warnings", []), TESTING_WARNING.format(None)],
    )
