"""Signing in with the bootstrap client to get a Microsoft Graph token before any app exists.

MSAL's auth code flow with PKCE on ``http://localhost:<free port>`` (the way the Azure CLI itself signs
in; the first-party clients register ``http://localhost``, any port), through the kit's own loopback
listener; the code comes back in the query (``response_mode=query``), so on a remote kernel the
person can paste the address instead (``--paste``); device code as the fallback (``--device-code``),
which Microsoft recommends organisations block, hence not the default. The token lives in memory
only (:class:`GraphToken` never shows it) and is never written anywhere.
"""

from __future__ import annotations

import socket
import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..clients import microsoft_client
from ..errors import ConsentError
from ..providers import microsoft_cloud_for_authority
from .microsoft_bodies import BOOTSTRAP_NAMES, bootstrap_scopes
from .microsoft_graph import RegistrationError
from .microsoft_messages import (
    BOOTSTRAP_BLOCKED,
    BOOTSTRAP_BLOCKED_HINT,
    BOOTSTRAP_NEEDS_ADMIN,
    BOOTSTRAP_NEEDS_ADMIN_HINT,
)

#: AADSTS codes that mean "your organisation blocks this client or this way of signing in".
BLOCKED_CODES = ("53003", "530035", "53000", "50097", "50199")
#: AADSTS codes that mean "an admin must approve the bootstrap client first".
NEEDS_ADMIN_CODES = ("65001", "90094", "90095", "65002")


@dataclass
class GraphToken:
    """A delegated Graph access token of the person who signs in (kept in memory only)."""

    access_token: str = field(repr=False)
    username: str = ""
    tenant_id: str = ""
    expires_at: float = 0.0

    def __repr__(self) -> str:
        return f"GraphToken(username={self.username!r}, tenant_id={self.tenant_id!r}, access_token=***)"


def bootstrap_name(client_id: str) -> str:
    return BOOTSTRAP_NAMES.get(client_id.lower(), f"the client {client_id}")


def free_localhost_redirect() -> str:
    """``http://localhost:<free port>`` (path ``/``: the first-party clients register ``http://localhost``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    return f"http://localhost:{port}"


def sign_in_problem(client_id: str, error: str, description: str) -> RegistrationError | ConsentError:
    """The bootstrap sign-in's own words for policy blocks and admin approval; else consent's."""
    from ..consent.problems import provider_error

    text = f"{error} {description}"
    name = bootstrap_name(client_id)
    for code in BLOCKED_CODES:
        if f"AADSTS{code}" in text:
            return RegistrationError(BOOTSTRAP_BLOCKED, BOOTSTRAP_BLOCKED_HINT, code=f"AADSTS{code}",
                                     details=description[:400], bootstrap=name, err_code=f"AADSTS{code}")
    for code in NEEDS_ADMIN_CODES:
        if f"AADSTS{code}" in text:
            return RegistrationError(BOOTSTRAP_NEEDS_ADMIN, BOOTSTRAP_NEEDS_ADMIN_HINT, code=f"AADSTS{code}",
                                     details=description[:400], bootstrap=name, err_code=f"AADSTS{code}")
    return provider_error(error, description)


def _token(res: dict[str, Any], client_id: str) -> GraphToken:
    if not res.get("access_token"):
        raise sign_in_problem(client_id, str(res.get("error") or ""), str(res.get("error_description") or ""))
    claims = res.get("id_token_claims") or {}
    username = str(claims.get("preferred_username") or claims.get("upn") or claims.get("email") or "")
    expires = time.time() + float(res.get("expires_in") or 3600)
    return GraphToken(str(res["access_token"]), username, str(claims.get("tid") or ""), expires)


class BootstrapSignIn:
    """One sign-in with a bootstrap client: browser (loopback), paste, or device code."""

    def __init__(self, authority: str, client_id: str, *, login_hint: str | None = None) -> None:
        from ..consent.microsoft import msal_app

        self.client_id = client_id
        self.authority = authority.rstrip("/")
        self.login_hint = login_hint
        self.cfg = microsoft_client(client_id, None, authority=self.authority)
        self.app = msal_app(self.cfg)
        self.scopes = bootstrap_scopes(client_id, microsoft_cloud_for_authority(self.authority).graph_url)
        self.flow: dict[str, Any] = {}

    # -- browser / paste ------------------------------------------------------------------------

    def start(self, redirect_uri: str | None = None) -> str:
        """Begin the auth code flow; returns the address to open."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.flow = self.app.initiate_auth_code_flow(self.scopes, redirect_uri=redirect_uri or
                                                         free_localhost_redirect(), response_mode="query",
                                                         login_hint=self.login_hint or None,
                                                         prompt="select_account")
        if "auth_uri" not in self.flow:
            raise sign_in_problem(self.client_id, str(self.flow.get("error", "")),
                                  str(self.flow.get("error_description", "")))
        return str(self.flow["auth_uri"])

    @property
    def redirect_uri(self) -> str:
        return str(self.flow.get("redirect_uri") or "")

    def finish(self, answer: str | dict[str, str]) -> GraphToken:
        """Redeem the address the browser ended on (or its query parameters)."""
        import msal
        import requests

        from ..consent.paste import parse_redirect
        from ..consent.problems import STATE_MISMATCH, STATE_MISMATCH_HINT, network_error, unavailable
        from ..consent.quiet import quiet_library_logs

        params = parse_redirect(answer, example=self.redirect_uri or "http://localhost:PORT")
        if params.get("error"):
            raise sign_in_problem(self.client_id, params["error"], params.get("error_description", ""))
        if params.get("state") and params["state"] != self.flow.get("state"):
            raise ConsentError(STATE_MISMATCH, STATE_MISMATCH_HINT, code="state_mismatch")
        params.setdefault("state", str(self.flow.get("state", "")))
        try:
            with quiet_library_logs(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = self.app.acquire_token_by_auth_code_flow(dict(self.flow), params, scopes=self.scopes)
        except requests.RequestException as exc:
            raise network_error(self.authority, exc, [params.get("code")]) from None
        except msal.exceptions.MsalError as exc:
            raise unavailable(self.authority, exc) from None
        except ValueError:
            raise ConsentError(STATE_MISMATCH, STATE_MISMATCH_HINT, code="state_mismatch") from None
        return _token(res, self.client_id)

    def run_loopback(self, *, on_url: Callable[[str], object] | None = None, open_browser: bool = True,
                     timeout: float | None = 300, cancel: threading.Event | None = None) -> GraphToken:
        """Listen on the redirect, show/open the address, wait for the browser, redeem."""
        from ..consent.flow import open_in_browser
        from ..consent.loopback import LoopbackListener

        url = self.start()
        listener = LoopbackListener(self.redirect_uri, state=str(self.flow.get("state", "")))
        listener.start()
        try:
            if on_url is not None:
                on_url(url)
            if open_browser:
                open_in_browser(url)
            answer = listener.wait(timeout, cancel)
        finally:
            listener.stop()
        return self.finish(answer)

    # -- device code ----------------------------------------------------------------------------

    def run_device_code(self, *, on_message: Callable[[str], object], timeout: float | None = 900,
                        cancel: threading.Event | None = None) -> GraphToken:
        import msal
        import requests

        from ..consent.problems import network_error, unavailable
        from ..consent.quiet import quiet_library_logs

        try:
            dflow = self.app.initiate_device_flow(scopes=self.scopes)
        except requests.RequestException as exc:
            raise network_error(self.authority, exc) from None
        except msal.exceptions.MsalError as exc:
            raise unavailable(self.authority, exc) from None
        if "user_code" not in dflow:
            raise sign_in_problem(self.client_id, str(dflow.get("error", "")), str(dflow.get("error_description", "")))
        from ..consent.microsoft import device_message

        on_message(device_message(str(dflow.get("message", "")), str(dflow.get("verification_uri", "")),
                                  str(dflow.get("user_code", ""))))
        deadline = None if timeout is None else time.monotonic() + timeout

        def stop(f: dict[str, Any]) -> bool:
            return bool((cancel is not None and cancel.is_set())
                        or (deadline is not None and time.monotonic() >= deadline)
                        or float(f.get("expires_at", 0)) < time.time())

        try:
            with quiet_library_logs():
                res = self.app.acquire_token_by_device_flow(dflow, exit_condition=stop)
        except requests.RequestException as exc:
            raise network_error(self.authority, exc) from None
        except msal.exceptions.MsalError as exc:
            raise unavailable(self.authority, exc) from None
        if not res.get("access_token") and str(res.get("error")) in ("authorization_pending", "slow_down"):
            from ..consent.problems import DEVICE_EXPIRED, DEVICE_EXPIRED_HINT

            raise ConsentError(DEVICE_EXPIRED, DEVICE_EXPIRED_HINT, code="expired_token",
                               verification_uri=str(dflow.get("verification_uri", "")))
        return _token(res, self.client_id)


__all__ = ["BootstrapSignIn", "GraphToken", "bootstrap_name", "free_localhost_redirect", "sign_in_problem"]
