"""``oauthmail.consent.google(...)`` and ``oauthmail.consent.microsoft(...)``: sign in once, save to the INI.

The calls a script makes, and exactly what ``oauthmail consent google|microsoft`` runs. ``mode`` is the
command's: ``"loopback"`` (listen on the redirect; the browser opens unless ``open_browser=False``),
``"paste"`` (a remote machine: nothing listens; the person opens the address and pastes back the one
the browser ended on) or ``"device_code"`` (Microsoft public clients: a code typed on another device).
For a notebook that starts in one cell and finishes in another, use the two-step form:
:func:`~oauthmail.consent.start_google` / :func:`~oauthmail.consent.start_microsoft` give a flow dict,
:func:`~oauthmail.consent.finish` redeems the answer, :func:`~oauthmail.consent.save_result` saves it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..clients import ClientConfig
from ..errors import ConfigError, ConsentError
from ..i18n import Msg
from .result import ConsentResult

MODES = ("loopback", "paste", "device_code")

BAD_MODE = Msg(en="The sign-in mode {mode!r} does not exist.", ja="サインインの方法 {mode!r} はありません。")
BAD_MODE_HINT = Msg(en="Use mode=\"loopback\" (the browser comes back to this computer), \"paste\" (a remote machine) "
                    "or, for a Microsoft public client, \"device_code\".",
                    ja="mode=\"loopback\"（ブラウザーがこのコンピューターに戻ってくる）、\"paste\"（リモートのマシン）、"
                    "Microsoft のパブリック クライアントなら \"device_code\" のどれかを指定してください。")
PASTE_PROMPT = Msg(
    en="Open the address above in a browser, approve, then paste here the full address your browser ended on "
    "(it starts with {redirect_uri}) and press Enter:",
    ja="上のアドレスをブラウザーで開いて許可し、最後に表示されたアドレス（{redirect_uri} で始まります）をすべてここに"
    "貼り付けて Enter を押してください:",
)


def _print(text: str) -> None:
    print(text, flush=True)


def read_pasted(flow: dict[str, Any]) -> str:
    """Ask on stderr for the address the browser ended on and read one line from stdin."""
    print(PASTE_PROMPT(redirect_uri=flow.get("redirect_uri", "")), file=sys.stderr, flush=True)
    return sys.stdin.readline()


def _sign_in(
    client: ClientConfig,
    ini: str | Path | None,
    *,
    mode: str,
    email: str | None,
    open_browser: bool,
    timeout: float | None,
    make_default: bool,
    smtp_host: str | None,
    smtp_port: int | None,
    smtp_security: str | None,
    on_url: Callable[[str], object] | None,
    on_flow: Callable[[dict[str, Any]], object] | None,
    read_answer: Callable[[dict[str, Any]], str] | None,
    cancel: threading.Event | None,
    **start_kwargs: Any,
) -> ConsentResult:
    from .flow import sign_in

    if mode not in MODES:
        raise ConfigError(BAD_MODE, BAD_MODE_HINT, mode=str(mode)[:40], code="consent_mode")
    device = mode == "device_code"
    if on_url is None and not device and (mode == "paste" or not open_browser):
        on_url = _print  # the person must see the address to open it
    if on_flow is None and device:
        def on_flow(flow: dict[str, Any]) -> None:
            _print(str(flow.get("message", "")))
    return sign_in(client, ini, email=email, device_code=device, open_browser=open_browser and not device,
                   timeout=timeout, on_url=on_url, cancel=cancel, make_default=make_default, on_flow=on_flow,
                   paste=mode == "paste", read_answer=read_answer or read_pasted, smtp_host=smtp_host,
                   smtp_port=smtp_port, smtp_security=smtp_security, **start_kwargs)


def google(
    client_secrets: str | Path | dict[str, Any] | ClientConfig,
    ini: str | Path | None = None,
    *,
    email: str | None = None,
    mode: str = "loopback",
    open_browser: bool = True,
    redirect_uri: str | None = None,
    transport: str = "smtp",
    timeout: float | None = 300,
    make_default: bool = False,
    smtp_host: str | None = None,
    smtp_port: int | None = None,
    smtp_security: str | None = None,
    on_url: Callable[[str], object] | None = None,
    on_flow: Callable[[dict[str, Any]], object] | None = None,
    read_answer: Callable[[dict[str, Any]], str] | None = None,
    cancel: threading.Event | None = None,
) -> ConsentResult:
    """Sign in to Google with the OAuth client JSON from Google Cloud and save the account to ``ini``.

    ``ini`` defaults to ``OAUTHMAIL_HOME/oauthmail.ini`` (other accounts in it are kept; 0600).
    ``email``: the address you will sign in as (checked; nothing is saved on a mismatch).
    ``on_url(url)`` is given the address to open (printed when no browser opens);
    ``on_flow(flow)`` the started flow; ``read_answer(flow)`` (paste mode) returns what the person
    pasted (default: a prompt on stderr, one line from stdin). Google has no device-code sign-in
    for Gmail (``mode="device_code"`` says why and what to do instead).
    """
    from ..clients import load_google_client

    if mode == "device_code":
        from .problems import GOOGLE_DEVICE, GOOGLE_DEVICE_HINT

        raise ConsentError(GOOGLE_DEVICE, GOOGLE_DEVICE_HINT, code="google_device_flow")
    return _sign_in(load_google_client(client_secrets), ini, mode=mode, email=email, open_browser=open_browser,
                    timeout=timeout, make_default=make_default, smtp_host=smtp_host, smtp_port=smtp_port,
                    smtp_security=smtp_security, on_url=on_url, on_flow=on_flow, read_answer=read_answer,
                    cancel=cancel, redirect_uri=redirect_uri, transport=transport)


def microsoft(
    client_id: str | ClientConfig,
    ini: str | Path | None = None,
    *,
    client_secret: str | None = None,
    tenant: str = "common",
    authority: str | None = None,
    email: str | None = None,
    mode: str = "loopback",
    open_browser: bool = True,
    redirect_uri: str | None = None,
    transport: str = "smtp",
    timeout: float | None = 300,
    make_default: bool = False,
    smtp_host: str | None = None,
    smtp_port: int | None = None,
    smtp_security: str | None = None,
    on_url: Callable[[str], object] | None = None,
    on_flow: Callable[[dict[str, Any]], object] | None = None,
    read_answer: Callable[[dict[str, Any]], str] | None = None,
    cancel: threading.Event | None = None,
) -> ConsentResult:
    """Sign in to Microsoft 365 / Outlook.com with an Entra app registration and save the account to ``ini``.

    ``client_id``: the Application (client) ID (or a :class:`ClientConfig`); ``client_secret``: the
    secret's Value for a Web (confidential) app, None for a public client. ``tenant`` (``common``,
    ``organizations``, ``consumers``, a tenant id or domain) or a full ``authority`` URL.
    ``mode="device_code"`` (public clients): ``on_flow(flow)`` shows ``flow["message"]`` (printed
    by default) and the call waits until the code is entered. The rest as :func:`google`.
    """
    from ..clients import microsoft_client

    cfg = client_id if isinstance(client_id, ClientConfig) else microsoft_client(
        client_id, client_secret, tenant=tenant, authority=authority)
    start: dict[str, Any] = {"tenant": tenant, "authority": authority, "transport": transport}
    if redirect_uri and mode != "device_code":
        start["redirect_uri"] = redirect_uri
    return _sign_in(cfg, ini, mode=mode, email=email, open_browser=open_browser, timeout=timeout,
                    make_default=make_default, smtp_host=smtp_host, smtp_port=smtp_port, smtp_security=smtp_security,
                    on_url=on_url, on_flow=on_flow, read_answer=read_answer, cancel=cancel, **start)
