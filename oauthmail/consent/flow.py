"""Finishing a flow, whichever way the answer came back, and keeping a flow across a kernel restart.

A flow is the plain dict :func:`~oauthmail.consent.start_google` / :func:`~oauthmail.consent.start_microsoft`
return. :func:`finish` takes whatever came back (the captured callback URL, a pasted address, its
query, a dict or a bare code), checks ``state`` (a different one is a possible CSRF), the address
asked for, then redeems the code. :func:`run_consent` does the whole loopback round trip.
:func:`save_flow` / :func:`load_flow` keep the flow under ``OAUTHMAIL_HOME`` with mode 0600, since
it holds the PKCE verifier and the client secret.
"""

from __future__ import annotations

import hmac
import json
import threading
import time
import webbrowser
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from .. import paths
from ..clients import ClientConfig
from ..errors import ConsentError, OAuthMailError
from ..i18n import Msg
from ..i18n.labels import L_START, quote
from ..tokenfile import atomic_write
from .flowdict import FLOW_KIND, ConsentFlow
from .google import finish_google
from .loopback import LoopbackListener
from .microsoft import finish_device_code, finish_microsoft
from .paste import parse_redirect
from .problems import (
    STATE_MISMATCH,
    STATE_MISMATCH_HINT,
    provider_error,
)
from .quiet import quiet_library_logs
from .result import ConsentResult, check_email, save_result

#: Codes expire after about 10 minutes; a saved flow older than this cannot be finished.
FLOW_MAX_AGE = 3600.0

FLOW_MISSING = Msg(
    en="There is no saved sign-in to finish ({path}).",
    ja="完了させる途中のサインインが保存されていません（{path}）。",
)
FLOW_STALE = Msg(
    en="The sign-in was started in an earlier session (more than {minutes} minutes ago).",
    ja="このサインインは以前のセッションで（{minutes} 分以上前に）始めたものです。",
)
FLOW_BAD = Msg(
    en="The saved sign-in {path} is damaged or not a sign-in file.",
    ja="保存されたサインイン {path} が壊れているか、サインインのファイルではありません。",
)
FLOW_RESTART_HINT = Msg(
    en=f"Start the sign-in again (for example click {quote(L_START, 'en')} again) and complete it in one go.",
    ja=f"サインインを最初からやり直して（{quote(L_START, 'ja')}をもう一度押すなど）、途中で止めずに最後まで進めてください。",
)
NOT_A_FLOW = Msg(
    en="This is not a sign-in flow started by start_google / start_microsoft / start_device_code.",
    ja="これは start_google／start_microsoft／start_device_code で始めたサインインではありません。",
)


def _check_flow(flow: Mapping[str, Any]) -> None:
    if not isinstance(flow, Mapping) or flow.get("kind") != FLOW_KIND or flow.get("provider") not in (
            "google", "microsoft"):
        raise ConsentError(NOT_A_FLOW, FLOW_RESTART_HINT, code="not_a_flow")


def finish(flow: dict[str, Any], pasted_or_captured: str | Mapping[str, object]) -> ConsentResult:
    """Redeem the answer (URL, query, dict or bare code) for tokens; errors say what to do."""
    _check_flow(flow)
    if flow.get("mode") == "device_code":
        with quiet_library_logs():
            return check_email(finish_device_code(flow), flow.get("email") or None)
    params = parse_redirect(pasted_or_captured, example=flow.get("redirect_uri") or "http://127.0.0.1:48888/callback")
    state = params.get("state")
    if state is not None and not hmac.compare_digest(state.encode(), str(flow.get("state", "")).encode()):
        raise ConsentError(STATE_MISMATCH, STATE_MISMATCH_HINT, code="state_mismatch")
    if params.get("error"):
        raise provider_error(params["error"], params.get("error_description", ""),
                             redirect_uri=flow.get("redirect_uri", ""), email=flow.get("email", ""),
                             scopes=flow.get("scopes", []), provider=str(flow.get("provider", "")))
    params.setdefault("state", str(flow.get("state", "")))
    with quiet_library_logs():
        result = finish_google(flow, params) if flow["provider"] == "google" else finish_microsoft(flow, params)
    return check_email(result, flow.get("email") or None)


def open_in_browser(url: str) -> bool:
    """Try the system browser; ``False`` when there is none (headless, remote)."""
    try:
        return bool(webbrowser.open(url, new=1, autoraise=True))
    except webbrowser.Error:
        return False


def run_consent(
    flow: dict[str, Any],
    *,
    open_browser: bool = True,
    timeout: float | None = 300,
    on_url: Callable[[str], object] | None = None,
    cancel: threading.Event | None = None,
    listener: LoopbackListener | None = None,
    listen: str | None = None,
) -> ConsentResult:
    """Listen on the flow's redirect (or ``listen``, behind a proxy), show/open the URL, wait, and finish."""
    _check_flow(flow)
    if flow.get("mode") == "device_code":
        if on_url is not None:
            on_url(str(flow.get("verification_uri", "")))
        if open_browser and flow.get("verification_uri"):
            open_in_browser(str(flow["verification_uri"]))
        with quiet_library_logs():
            result = finish_device_code(flow, cancel=cancel, timeout=timeout)
        return check_email(result, flow.get("email") or None)
    own = listener is None
    active = listener or LoopbackListener(flow["redirect_uri"], state=flow["state"], listen=listen)
    active.start()
    try:
        if on_url is not None:
            on_url(flow["auth_uri"])
        if open_browser:
            open_in_browser(flow["auth_uri"])
        url = active.wait(timeout, cancel)
    finally:
        if own:
            active.stop()
    return finish(flow, url)


def run_consent_async(flow: dict[str, Any], **kwargs: Any) -> Future[ConsentResult]:
    """:func:`run_consent` in a daemon thread, so a notebook's widgets stay live (P39); cancel with ``cancel=``."""
    future: Future[ConsentResult] = Future()

    def work() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(run_consent(flow, **kwargs))
        except OAuthMailError as exc:
            future.set_exception(exc)
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=work, name="oauthmail-consent", daemon=True).start()
    return future


def default_flow_path(provider: str | None = None) -> Path:
    """``OAUTHMAIL_HOME/consent-flow[-provider].json``."""
    name = f"consent-flow-{provider}.json" if provider else "consent-flow.json"
    return paths.home() / name


def save_flow(flow: dict[str, Any], path: str | Path | None = None) -> Path:
    """Keep a started flow (0600, atomic) so it can be finished after a kernel restart."""
    _check_flow(flow)
    target = Path(path).expanduser() if path else default_flow_path()
    atomic_write(target, json.dumps(flow, ensure_ascii=False, indent=1))
    return target


def load_flow(path: str | Path | None = None, *, max_age: float = FLOW_MAX_AGE) -> ConsentFlow:
    """A flow saved by :func:`save_flow`; a missing, damaged or stale one says to start again (P8)."""
    target = Path(path).expanduser() if path else default_flow_path()
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConsentError(FLOW_MISSING, FLOW_RESTART_HINT, code="flow_missing", path=str(target)) from None
    except (OSError, ValueError):
        raise ConsentError(FLOW_BAD, FLOW_RESTART_HINT, code="flow_bad", path=str(target)) from None
    if not isinstance(data, dict) or data.get("kind") != FLOW_KIND:
        raise ConsentError(FLOW_BAD, FLOW_RESTART_HINT, code="flow_bad", path=str(target))
    created = data.get("created_at")
    if not isinstance(created, (int, float)) or time.time() - created > max_age:
        raise ConsentError(FLOW_STALE, FLOW_RESTART_HINT, code="flow_stale", minutes=int(max_age // 60))
    return ConsentFlow(data)


def discard_flow(path: str | Path | None = None) -> None:
    """Remove a saved flow once finished (it holds the PKCE verifier)."""
    target = Path(path).expanduser() if path else default_flow_path()
    target.unlink(missing_ok=True)


def sign_in(
    client: ClientConfig | dict[str, Any] | str | Path,
    ini: str | Path | None = None,
    *,
    email: str | None = None,
    device_code: bool = False,
    open_browser: bool = True,
    timeout: float | None = 300,
    on_url: Callable[[str], object] | None = None,
    cancel: threading.Event | None = None,
    make_default: bool = False,
    on_flow: Callable[[dict[str, Any]], object] | None = None,
    paste: bool = False,
    read_answer: Callable[[dict[str, Any]], str] | None = None,
    smtp_host: str | None = None,
    smtp_port: int | None = None,
    smtp_security: str | None = None,
    **start_kwargs: Any,
) -> ConsentResult:
    """The one-line version: start, wait for the browser (or the device code), check, save to ``ini``.

    ``client`` is a Google client JSON path/dict or a :class:`ClientConfig` (Google or Microsoft);
    ``ini`` defaults to ``OAUTHMAIL_HOME/oauthmail.ini``. Other keywords go to the start function
    (``redirect_uri``, ``tenant``, ``authority``, ``transport``…). ``on_flow`` sees the started flow
    (e.g. to show a device code's ``flow["message"]``). ``paste=True`` (a remote machine): nothing
    listens; ``on_url`` gets the address to open and ``read_answer(flow)`` returns the address the
    browser ended on (or the bare code), which :func:`finish` redeems.
    """
    from ..clients import load_google_client
    from .google import start_google
    from .microsoft import start_device_code, start_microsoft

    cfg = client if isinstance(client, ClientConfig) else load_google_client(client)
    if device_code:
        flow = start_device_code(cfg, email=email, **start_kwargs)
    elif cfg.provider == "google":
        flow = start_google(cfg, email=email, **start_kwargs)
    else:
        flow = start_microsoft(cfg, email=email, **start_kwargs)
    if on_flow is not None:
        on_flow(flow)
    if paste and not device_code:
        if on_url is not None:
            on_url(flow["auth_uri"])
        if read_answer is None:
            from .calls import read_pasted

            read_answer = read_pasted
        result = finish(flow, read_answer(flow))
    else:
        result = run_consent(flow, open_browser=open_browser, timeout=timeout, on_url=on_url, cancel=cancel)
    save_result(ini if ini is not None else paths.default_ini(), result, make_default=make_default, email=email,
                smtp_host=smtp_host, smtp_port=smtp_port, smtp_security=smtp_security)
    return result
