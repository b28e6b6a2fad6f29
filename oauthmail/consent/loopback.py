"""The one-shot loopback listener the browser is sent back to after consent.

Why our own and not ``InstalledAppFlow.run_local_server``: a Google Web client or an Entra Web app
registers an exact address such as ``http://127.0.0.1:48888/callback``, and ``run_local_server``
cannot serve a path (provider-facts fact 31, P2). It also serves exactly one request, so a favicon
fetch or a stray tab could eat the sign-in. This listener binds only the redirect's host and port,
keeps serving until the answer with the right ``state`` arrives (stray requests get a page saying so),
answers the browser in English and Japanese, and refuses to move to another port when its port is
busy: the port is registered with the provider (P12).

::

    with LoopbackListener("http://127.0.0.1:48888/callback", state=flow["state"]) as listener:
        url = listener.wait(timeout=300)        # the full callback URL, with code and state
"""

from __future__ import annotations

import errno
import hmac
import html
import http.server
import socket
import sys
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import ConsentError
from ..i18n import Msg
from ..providers import LOOPBACK_HOSTS
from .problems import CANCELLED, CANCELLED_HINT, TIMEOUT, TIMEOUT_HINT

PORT_BUSY = Msg(
    en="Port {port} on {host} is in use (maybe an earlier sign-in is still waiting).",
    ja="{host} のポート {port} は使用中です（以前のサインインがまだ待機しているのかもしれません）。",
)
PORT_BUSY_HINT = Msg(
    en="Restart the kernel or stop the other program, then try again. The port must stay {port} because it is "
    "registered with the provider.",
    ja="カーネルを再起動するか、ポートを使っている他のプログラムを止めてから、やり直してください。ポートはプロバイダーに"
    "登録されているため {port} のままでなければなりません。",
)
PORT_LENT = Msg(
    en="Port {port} on {host} is used by another program's connection: the system gave it to an outgoing connection "
    "(it hands out ports {low}-{high} this way).",
    ja="{host} のポート {port} は、別のプログラムの通信に使われています。システムがこのポートを外向きの接続に"
    "割り当てたためです（ポート {low}～{high} はこの用途に割り当てられます）。",
)
PORT_LENT_HINT = Msg(
    en="Try again in a minute: the port is free again when that connection ends. So that the system never hands it "
    "out again, reserve it (as root): `sysctl -w net.ipv4.ip_local_reserved_ports={port}`, and put the same setting in "
    "/etc/sysctl.d/ to keep it after a restart. The port must stay {port} because it is registered with the provider.",
    ja="1 分ほど待ってからやり直してください。その接続が終わるとポートは空きます。二度と割り当てられないようにするには、"
    "root で `sysctl -w net.ipv4.ip_local_reserved_ports={port}` を実行してポートを予約し、再起動後も残るよう同じ設定を"
    " /etc/sysctl.d/ に書いてください。ポートはプロバイダーに登録されているため {port} のままでなければなりません。",
)
CANNOT_LISTEN = Msg(
    en="Cannot listen on {host}:{port} ({reason}).",
    ja="{host}:{port} で待ち受けできません（{reason}）。",
)
CANNOT_LISTEN_HINT = Msg(
    en="The return address must be a loopback address (127.0.0.1 or localhost) on this machine. On a remote notebook "
    "use the paste mode (--paste) instead.",
    ja="リダイレクト URI はこのマシンのループバック アドレス（127.0.0.1 か localhost）でなければなりません。"
    "リモートのノートブックでは貼り付け方式（--paste）を使ってください。",
)
NOT_LOOPBACK = Msg(
    en="The return address {redirect_uri} is not a http:// loopback address with a port, so the kit cannot listen on it.",
    ja="リダイレクト URI {redirect_uri} はポート付きの http:// のループバック アドレスではないため、キットが待ち受けできません。",
)

PAGE_SUCCESS = Msg(
    en="Sign-in complete. You can close this tab and go back to the notebook or terminal.",
    ja="サインインが完了しました。このタブを閉じて、ノートブックまたはターミナルに戻ってください。",
)
PAGE_FAILURE = Msg(
    en="The sign-in did not succeed ({error}). Go back to the notebook or terminal to see what to do.",
    ja="サインインは成功しませんでした（{error}）。ノートブックまたはターミナルに戻って、対処方法を確認してください。",
)
PAGE_WRONG_STATE = Msg(
    en="This answer belongs to another sign-in attempt, so it was ignored. Use the link from the current attempt; "
    "the kit is still waiting.",
    ja="この応答は別のサインインのものなので無視しました。今回のサインインのリンクを使ってください。キットは引き続き待っています。",
)
PAGE_WAITING = Msg(
    en="This is the oauthmail sign-in return address. It is waiting for the answer from the consent page.",
    ja="ここは oauthmail のサインインの戻り先です。同意画面からの応答を待っています。",
)
PAGE_NOT_HERE = Msg(
    en="Nothing here: the sign-in return address is {path}.",
    ja="ここには何もありません。サインインの戻り先は {path} です。",
)
PAGE_DONE = Msg(
    en="This sign-in is already finished. You can close this tab.",
    ja="このサインインはすでに終わっています。このタブは閉じてかまいません。",
)


def parse_loopback(redirect_uri: str) -> tuple[str, int, str]:
    """``(bind host, port, path)`` of a loopback redirect; ``localhost`` binds 127.0.0.1 (and ::1, see
    :meth:`LoopbackListener.start`)."""
    try:
        parts = urlsplit(redirect_uri)
        port = parts.port
    except ValueError:
        port = None
        parts = urlsplit("")
    host = (parts.hostname or "").lower()
    if parts.scheme != "http" or host not in LOOPBACK_HOSTS or not port:
        raise ConsentError(NOT_LOOPBACK, CANNOT_LISTEN_HINT, code="not_loopback", redirect_uri=redirect_uri[:200])
    bind = "127.0.0.1" if host == "localhost" else host
    return bind, port, parts.path or "/"


def free_localhost_port(attempts: int = 50) -> int:
    """A port free now on 127.0.0.1 *and* on ::1 (where this machine has it), for a ``localhost`` redirect.

    A port free on 127.0.0.1 may be in use on ::1 (another program's connection), and the listener binds both.
    """
    port = 0
    for _ in range(attempts):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s4:
            s4.bind(("127.0.0.1", 0))
            port = int(s4.getsockname()[1])
            try:
                with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                    s6.bind(("::1", port))
                return port
            except OSError as exc:
                if exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                    return port  # no IPv6 loopback: 127.0.0.1 is all there is
    return port


def port_busy(host: str, port: int) -> ConsentError:
    """The error for a busy return port: a connection the system lent the port to says so (portholder)."""
    from . import portholder

    span = portholder.lent_range()
    if span is not None and portholder.held_by_connection(port, host):
        return ConsentError(PORT_LENT, PORT_LENT_HINT, code="port_busy", host=host, port=port, low=span[0],
                            high=span[1])
    return ConsentError(PORT_BUSY, PORT_BUSY_HINT, code="port_busy", host=host, port=port)


def render_page(title: Msg, *, ok: bool, **params: object) -> bytes:
    """A small self-contained page with the text in Japanese and English."""
    color = "#1a7f37" if ok else "#b35900"
    body = "".join(
        f'<p lang="{lang}">{html.escape(title.format(lang, **params))}</p>' for lang in ("ja", "en")
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>oauthmail</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;line-height:1.6}"
        f"h1{{color:{color};font-size:1.3em}}</style></head><body><h1>oauthmail</h1>{body}</body></html>"
    ).encode()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = sys.platform != "win32"
    listener: LoopbackListener


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.0"
    #: Browsers open speculative connections and may send nothing; don't keep a thread on them forever.
    timeout = 10

    def do_GET(self) -> None:
        status, page = self.server.listener._handle(self.path)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the request line holds the authorization code."""


class LoopbackListener:
    """Listens on the redirect's host and port until the callback with the right ``state`` arrives."""

    def __init__(self, redirect_uri: str, *, state: str | None = None, listen: str | None = None) -> None:
        """``listen``: the local address when ``redirect_uri`` is a public proxy address for it
        (jupyter-server-proxy on JupyterHub: ``https://hub/user-redirect/proxy/48888/callback``
        reaches ``http://127.0.0.1:48888/callback``; fact 65)."""
        self.redirect_uri = redirect_uri
        self.state = state
        self.host, self.port, self.path = parse_loopback(listen or redirect_uri)
        host = (urlsplit(listen or redirect_uri).hostname or "").lower()
        #: Every address the browser may try: ``localhost`` resolves to ::1 first in most browsers, and a
        #: port left free on ::1 could be taken by another local user, who would then receive the code.
        self.hosts = [self.host, "::1"] if host == "localhost" else [self.host]
        self._server: _Server | None = None
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._callback: str | None = None
        #: How many requests were ignored (favicon, wrong path, wrong state) — for tests and status lines.
        self.ignored = 0

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> LoopbackListener:
        """Bind the port (a busy port is :data:`PORT_BUSY`, never another port) and serve in a thread.

        For ``localhost`` both 127.0.0.1 and ::1 are bound; ::1 is skipped only where this machine has
        no IPv6 loopback (then no browser can reach it either).
        """
        if self._server is not None:
            return self
        servers: list[_Server] = []
        try:
            for host in self.hosts:
                server = self._bind(host, optional=host != self.host)
                if server is not None:
                    servers.append(server)
        except BaseException:
            for server in servers:
                server.server_close()
            raise
        for server in servers:
            server.listener = self
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02},
                                      name=f"oauthmail-loopback-{self.port}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._servers = servers
        self._server = servers[0]
        self._thread = self._threads[0]
        return self

    def _bind(self, host: str, *, optional: bool) -> _Server | None:
        try:
            server_class = _Server6 if ":" in host else _Server
            return server_class((host, self.port), _Handler)
        except OSError as exc:
            if optional and exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT, getattr(errno, "EPROTONOSUPPORT", -1)):
                return None  # no IPv6 loopback on this machine
            if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1), errno.EACCES):
                raise port_busy(host, self.port) from None
            raise ConsentError(CANNOT_LISTEN, CANNOT_LISTEN_HINT, code="cannot_listen", host=host,
                               port=self.port, reason=exc.strerror or type(exc).__name__) from None

    def stop(self) -> None:
        """Stop serving and free the port(s) (safe to call twice)."""
        servers, self._servers, self._server = self._servers, [], None
        for server in servers:
            server.shutdown()
            server.server_close()
        threads, self._threads, self._thread = self._threads, [], None
        for thread in threads:
            thread.join(timeout=5)

    @property
    def bound(self) -> list[str]:
        """The addresses listened on now (``["127.0.0.1", "::1"]`` for a ``localhost`` redirect)."""
        return [str(server.server_address[0]) for server in self._servers]

    def __enter__(self) -> LoopbackListener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    # -- waiting ----------------------------------------------------------------------------------

    def wait(self, timeout: float | None = 300, cancel: threading.Event | None = None) -> str:
        """The callback URL (with code or error); :data:`TIMEOUT` or :data:`CANCELLED` otherwise."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._done.wait(0.05):
                assert self._callback is not None
                return self._callback
            if cancel is not None and cancel.is_set():
                raise ConsentError(CANCELLED, CANCELLED_HINT, code="cancelled")
            if deadline is not None and time.monotonic() >= deadline:
                raise ConsentError(TIMEOUT, TIMEOUT_HINT, code="timeout", seconds=int(timeout or 0))

    @property
    def callback_url(self) -> str | None:
        """The captured callback, once it arrived."""
        return self._callback

    # -- one request ------------------------------------------------------------------------------

    def _handle(self, raw_path: str) -> tuple[int, bytes]:
        try:
            parts = urlsplit(raw_path)
        except ValueError:  # e.g. "//callback[": urlsplit takes it for an unbalanced IPv6 host
            parts = None
        if parts is None or parts.path != self.path:
            with self._lock:
                self.ignored += 1
            return 404, render_page(PAGE_NOT_HERE, ok=False, path=self.path)
        params = {k: v[0] for k, v in parse_qs(parts.query).items() if v}
        with self._lock:
            if self._done.is_set():
                return 200, render_page(PAGE_DONE, ok=True)
            if not params.get("code") and not params.get("error"):
                self.ignored += 1
                return 200, render_page(PAGE_WAITING, ok=True)
            if self.state is not None and not hmac.compare_digest(params.get("state", "").encode(),
                                                                  self.state.encode()):
                self.ignored += 1
                return 400, render_page(PAGE_WRONG_STATE, ok=False)
            self._callback = f"{self.redirect_uri.split('?', 1)[0]}?{parts.query}"
            self._done.set()
        if params.get("error"):
            return 200, render_page(PAGE_FAILURE, ok=False, error=params["error"][:80])
        return 200, render_page(PAGE_SUCCESS, ok=True)
