"""The simulated person: opens an authorization URL, picks an account, clicks Allow or Deny.

It talks plain HTTP(S) to the sandbox, so it works against a sandbox in this process, in
another process or behind a notebook kernel, and drives the *real* redirect path: the result is
the loopback URL the browser would be sent to (with ``code`` and ``state``, or ``error=…``), and
with ``follow=True`` it requests that URL from the app's loopback listener, like a browser does.
"""

from __future__ import annotations

import html
import http.client
import json
import os
import ssl
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

from ..errors import ConsentError, NetworkError
from ..i18n import Msg

SIM_PAGE_ERROR = Msg(
    en="The sandbox sign-in page answered {error}: {detail}",
    ja="サンドボックスのサインイン画面が {error} を返しました: {detail}",
)
SIM_PAGE_ERROR_HINT = Msg(
    en="This is what a person would see in the browser. Check the client ID, the redirect URI and the account "
       "against the sandbox summary (`oauthmail sandbox` prints them).",
    ja="ブラウザーでも同じ画面が表示されます。クライアント ID、リダイレクト URI、アカウントをサンドボックスの概要"
       "（`oauthmail sandbox` が表示します）と見比べてください。",
)
SIM_NO_USER = Msg(
    en="The account {user} is not offered on this sign-in page (offered: {offered}).",
    ja="このサインイン画面ではアカウント {user} を選べません（選べるのは {offered}）。",
)
SIM_NO_USER_HINT = Msg(
    en="Use one of the sandbox's users for this provider, or add the user to the sandbox configuration.",
    ja="このプロバイダー用のサンドボックスのユーザーを使うか、サンドボックスの設定にユーザーを追加してください。",
)
SIM_UNEXPECTED = Msg(
    en="The sandbox sign-in page did not look as expected (HTTP {status} at {where}).",
    ja="サンドボックスのサインイン画面が想定と違います（{where} で HTTP {status}）。",
)
SIM_UNEXPECTED_HINT = Msg(
    en="Make sure the URL is an authorization URL of the running sandbox (see sandbox.json).",
    ja="URL が動いているサンドボックスの認可 URL か確認してください（sandbox.json を参照）。",
)
SIM_CONNECT = Msg(
    en="Could not reach {where}: {reason}",
    ja="{where} に接続できませんでした: {reason}",
)
SIM_CONNECT_HINT = Msg(
    en="Is the sandbox (or the app's loopback listener) still running? Start it again and retry.",
    ja="サンドボックス（またはアプリのループバック受信）は動いていますか？ もう一度起動してから再試行してください。",
)


class _Page(HTMLParser):
    """Just enough of a browser: metas, forms with their inputs, and links by id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.forms: dict[str, dict[str, object]] = {}
        self.links: dict[str, str] = {}
        self._form: dict[str, object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "meta" and "name" in a:
            self.meta[a["name"]] = a.get("content", "")
        elif tag == "form":
            self._form = {"action": a.get("action", ""), "inputs": []}
            self.forms[a.get("id", f"form{len(self.forms)}")] = self._form
        elif tag in ("input", "button") and self._form is not None:
            inputs = self._form["inputs"]
            assert isinstance(inputs, list)
            inputs.append(a)
        elif tag == "a" and "id" in a:
            self.links[a["id"]] = a.get("href", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None


def default_ca_file() -> str | None:
    """SSL_CERT_FILE, else the CA named in OAUTHMAIL_HOME/sandbox/sandbox.json, else the system store."""
    env = os.environ.get("SSL_CERT_FILE")
    if env:
        return env
    try:
        from ..paths import sandbox_dir

        info = json.loads((sandbox_dir() / "sandbox.json").read_text(encoding="utf-8"))
        ca = info.get("ca_file")
        return str(ca) if ca else None
    except (OSError, ValueError):
        return None


def _request(method: str, url: str, ca_file: str | Path | None, body: dict[str, str] | None = None,
             timeout: float = 15.0) -> tuple[int, dict[str, str], str]:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        conn = http.client.HTTPSConnection(parts.hostname or "127.0.0.1", parts.port or 443, timeout=timeout,
                                           context=ctx)
    else:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=timeout)
    data = urlencode(body).encode() if body is not None else None
    headers = {"User-Agent": "oauthmail-sandbox-simulated-user"}
    if data is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, target, body=data, headers=headers)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, text
    except (OSError, http.client.HTTPException) as exc:
        raise NetworkError(SIM_CONNECT, SIM_CONNECT_HINT, where=f"{parts.scheme}://{parts.netloc}",
                           reason=type(exc).__name__ + (f": {exc.strerror}" if isinstance(exc, OSError)
                                                        and exc.strerror else ""),
                           code="sandbox_unreachable") from exc
    finally:
        conn.close()


def _parse(text: str) -> _Page:
    p = _Page()
    p.feed(text)
    return p


def _raise_page_error(page: _Page, status: int, where: str) -> None:
    if page.meta.get("sandbox-error"):
        raise ConsentError(SIM_PAGE_ERROR, SIM_PAGE_ERROR_HINT, error=page.meta["sandbox-error"],
                           detail=page.meta.get("sandbox-detail", ""), code=page.meta["sandbox-error"])
    raise ConsentError(SIM_UNEXPECTED, SIM_UNEXPECTED_HINT, status=status, where=urlsplit(where).path,
                       code="sandbox_unexpected_page")


def _fill_consent(page: _Page, form_id: str, user: str | None, deny: bool,
                  scopes: list[str] | None) -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    form = page.forms[form_id]
    inputs = form["inputs"]
    assert isinstance(inputs, list)
    fields: dict[str, str] = {}
    offered: list[str] = []
    preselected = ""
    ticks: list[tuple[str, str]] = []
    for inp in inputs:
        kind, name, value = inp.get("type", "text"), inp.get("name", ""), inp.get("value", "")
        if kind == "hidden":
            fields[name] = value
        elif kind == "radio" and name == "user":
            offered.append(value)
            if "checked" in inp:
                preselected = value
        elif kind == "checkbox" and name == "scope" and (scopes is None or value in scopes):
            ticks.append(("scope", value))
    chosen = user or preselected or (offered[0] if offered else "")
    if offered and chosen.lower() not in [o.lower() for o in offered]:
        raise ConsentError(SIM_NO_USER, SIM_NO_USER_HINT, user=chosen, offered=", ".join(offered),
                           code="sandbox_unknown_user")
    fields["user"] = chosen
    fields["action"] = "deny" if deny else "allow"
    return str(form["action"]), fields, ticks


def _post_multi(url: str, ca_file: str | Path | None, fields: dict[str, str],
                extra: list[tuple[str, str]]) -> tuple[int, dict[str, str], str]:
    # urlencode of a list keeps repeated keys (scope=a&scope=b), as a browser sends ticked boxes.
    parts = urlsplit(url)
    body = urlencode(list(fields.items()) + extra)
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        ctx = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
        conn = http.client.HTTPSConnection(parts.hostname or "127.0.0.1", parts.port or 443, timeout=15, context=ctx)
    else:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=15)
    try:
        conn.request("POST", parts.path or "/", body=body.encode(),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException) as exc:
        raise NetworkError(SIM_CONNECT, SIM_CONNECT_HINT, where=f"{parts.scheme}://{parts.netloc}",
                           reason=type(exc).__name__, code="sandbox_unreachable") from exc
    finally:
        conn.close()


def _deliver(url: str, follow: bool, form_fields: dict[str, str] | None = None) -> str:
    """Hand the redirect to the app's loopback listener, as the browser would.

    Like a browser, a listener that is not there is not an error: the address (with the code) is
    still "in the address bar" and returned, for paste-back flows (remote kernels).
    """
    if follow:
        try:
            if form_fields is not None:
                _request("POST", url, None, form_fields)
            else:
                _request("GET", url, None)
        except NetworkError:
            pass
    return url if form_fields is None else url + ("&" if urlsplit(url).query else "?") + urlencode(form_fields)


def approve(auth_url: str, user: str | None = None, *, ca_file: str | Path | None = None, follow: bool = True,
            deny: bool = False, scopes: list[str] | None = None) -> str:
    """Play the person on the consent page; return the redirect URL (code & state, or error=…).

    ``scopes`` (Google granular consent) keeps only those optional permissions ticked; None keeps all.
    Error pages (redirect_uri_mismatch, AADSTS50011, unknown client…) raise :class:`ConsentError`
    whose ``code`` is the provider's error and whose ``details`` is the page's wording.
    """
    ca = ca_file or default_ca_file()
    status, headers, text = _request("GET", auth_url, ca)
    where = auth_url
    for _ in range(4):
        if status in (301, 302, 303, 307) and "location" in headers:
            return _deliver(headers["location"], follow)
        page = _parse(text)
        if page.meta.get("sandbox-page") == "consent" and "consent" in page.forms:
            action, fields, ticks = _fill_consent(page, "consent", user, deny, scopes)
            where = urljoin(where, action)
            status, headers, text = _post_multi(where, ca, fields, ticks)
            continue
        if page.meta.get("sandbox-page") == "form_post" and "form_post" in page.forms:
            form = page.forms["form_post"]
            inputs = form["inputs"]
            assert isinstance(inputs, list)
            fields = {i.get("name", ""): i.get("value", "") for i in inputs if i.get("type") == "hidden"}
            return _deliver(html.unescape(str(form["action"])), follow, fields)
        if "sandbox-return" in page.links:
            return _deliver(page.links["sandbox-return"], follow)
        _raise_page_error(page, status, where)
    raise ConsentError(SIM_UNEXPECTED, SIM_UNEXPECTED_HINT, status=status, where=urlsplit(where).path,
                       code="sandbox_unexpected_page")


def approve_device_code(verification_uri: str, user_code: str, user: str | None = None, *,
                        ca_file: str | Path | None = None, deny: bool = False) -> None:
    """Open the device sign-in page, enter ``user_code``, pick the account, and accept (or cancel)."""
    ca = ca_file or default_ca_file()
    status, _, text = _request("GET", verification_uri, ca)
    page = _parse(text)
    if "device" not in page.forms:
        _raise_page_error(page, status, verification_uri)
    form = page.forms["device"]
    target = urljoin(verification_uri, str(form["action"]))
    inputs = form["inputs"]
    assert isinstance(inputs, list)
    hidden = {i.get("name", ""): i.get("value", "") for i in inputs if i.get("type") == "hidden"}  # hl, page token
    status, _, text = _request("POST", target, ca, {**hidden, "otc": user_code})
    page = _parse(text)
    if "consent" not in page.forms:
        _raise_page_error(page, status, target)
    action, fields, ticks = _fill_consent(page, "consent", user, deny, None)
    where = urljoin(target, action)
    status, _, text = _post_multi(where, ca, fields, ticks)
    page = _parse(text)
    if page.meta.get("sandbox-page") != "device_done":
        _raise_page_error(page, status, where)
