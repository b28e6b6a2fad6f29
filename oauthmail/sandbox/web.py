"""The sandbox's HTTPS server: Google- and Microsoft-shaped endpoints, pages, a small admin API.

Stdlib ``ThreadingHTTPServer``; the TLS handshake happens in the request thread (so one silent
client cannot stall the accept loop). A second, plain-HTTP listener serves the same pages for
jupyter-server-proxy, which forwards to ``http://localhost:<port>`` only.

Logging: off by default. Request lines can carry codes or tokens, so nothing is printed unless
``OAUTHMAIL_SANDBOX_LOG=1``, and then only the method and the path without its query.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from . import pages
from .idp import IdentityProvider, OAuthError, Outcome
from .mailbox import Mailbox

GOOGLE_AUTH_PATHS = ("/o/oauth2/auth", "/o/oauth2/v2/auth")
#: Pages behind the per-sandbox page token: practice mail, and the device sign-in (which needs no client secret).
TOKEN_PATHS = ("/", "/index.html", "/mailbox", "/devicelogin", "/deviceconsent")
PAGE_COOKIE = "oauthmail_sandbox_page"
PAGE_HEADER = "X-Sandbox-Page-Token"
#: Host names that mean this machine (the Host header must be one of them, or the configured host).
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
GOOGLE_CONSENT_PATHS = ("/o/oauth2/consent", "/o/oauth2/v2/consent")
USERINFO_PATHS = ("/v1/userinfo", "/oauth2/v3/userinfo", "/oauth2/v2/userinfo", "/oidc/userinfo")


class SandboxApp:
    """What the request handler needs: the IdP, the mailbox, the admin secret and some hooks."""

    def __init__(self, idp: IdentityProvider, mailbox: Mailbox, admin_token: str,
                 admin_hook: Any = None, page_token: str = "", hosts: frozenset[str] = LOOPBACK_NAMES,
                 check_host: bool = True) -> None:
        self.idp = idp
        self.mailbox = mailbox
        self.admin_token = admin_token
        #: The mailbox and device pages need it (query ``t``, form field ``t``, cookie or header); "" = no check.
        self.page_token = page_token
        #: Host header names accepted (DNS rebinding: a web page whose name resolves to 127.0.0.1).
        self.hosts = hosts
        self.check_host = check_host
        self.admin_hook = admin_hook  # callable(op: str, body: dict) -> dict
        self.api: Any = None  # the HTTPS mail APIs (oauthmail.sandbox.mailapi.MailApi), mounted by the server
        self.directory: Any = None  # Graph's directory endpoints (oauthmail.sandbox.directory), mounted by the server
        #: Where this sandbox's mail server listens ({"host", "starttls_port", "ssl_port"}); public, no secret.
        self.mail_server: dict[str, Any] | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr: tuple[str, int], app: SandboxApp | None, tls: ssl.SSLContext | None) -> None:
        self.app: SandboxApp | None = app
        self.tls = tls
        super().__init__(addr, _Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        if self.tls is not None:
            sock.settimeout(10)
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet: clients hang up
        if os.environ.get("OAUTHMAIL_SANDBOX_LOG"):
            super().handle_error(request, client_address)


def bind_http(host: str, port: int, tls: ssl.SSLContext | None) -> _Server:
    """Bind now (so the port is known before the IdP is built); serve later with :func:`serve_http`."""
    return _Server((host, port), None, tls)


def serve_http(server: _Server, app: SandboxApp) -> threading.Thread:
    server.app = app
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"oauthmail-sandbox-http-{server.server_address[1]}", daemon=True)
    thread.start()
    return thread


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "oauthmail-sandbox"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    timeout = 15

    # -- plumbing --------------------------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError):
                self.close_connection = True
                raise ConnectionAbortedError from None

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, TimeoutError, OSError):
            pass

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("OAUTHMAIL_SANDBOX_LOG"):
            sys.stderr.write(f"sandbox http: {self.command} {urlsplit(self.path).path}\n")

    @property
    def app(self) -> SandboxApp:
        app = self.server.app
        assert app is not None
        return app

    def _query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))

    def _form(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype:
            try:
                data = json.loads(raw or b"{}")
            except ValueError:
                data = {}
            return data if isinstance(data, dict) else {}
        out: dict[str, Any] = {}
        for k, v in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
            if k == "scope" and k in out and self.path.endswith("consent"):
                out[k] = out[k] + " " + v
            else:
                out[k] = v
        self._form_multi = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return out

    def _basic(self) -> tuple[str, str] | None:
        auth = self.headers.get("Authorization", "")
        if not auth.lower().startswith("basic "):
            return None
        try:
            decoded = base64.b64decode(auth[6:].strip()).decode("utf-8")
        except ValueError:
            return None
        user, _, pw = decoded.partition(":")
        return unquote(user), unquote(pw)

    def _lang(self, values: dict[str, str] | None = None) -> str:
        hl = (values or {}).get("hl") or self._query().get("hl")
        if hl:
            return "ja" if hl.lower().startswith("ja") else "en"
        cookie = self.headers.get("Cookie", "")
        if "hl=ja" in cookie:
            return "ja"
        if "hl=en" in cookie:
            return "en"
        accept = self.headers.get("Accept-Language", "")
        return "ja" if accept.lower().startswith("ja") else "en"

    def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None,
              cookies: list[str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Pragma", "no-cache")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        for cookie in cookies or ():
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj).encode("utf-8"), "application/json; charset=utf-8")

    def _html(self, status: int, text: str, lang: str | None = None) -> None:
        headers = {"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}
        q = self._query()
        cookies = []
        if "hl" in q and lang:
            cookies.append(f"hl={lang}; Path=/; SameSite=Lax")
        token = self.app.page_token
        if token and q.get("t") and secrets.compare_digest(q["t"].encode(), token.encode()):
            # Opened through the kit's link: later pages (links, forms) work without the token in the address.
            cookies.append(f"{PAGE_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict")
        self._send(status, text.encode("utf-8"), "text/html; charset=utf-8", headers, cookies)

    def _redirect(self, url: str) -> None:
        self._send(302, b"", "text/html; charset=utf-8", {"Location": url})

    # -- who may ask -------------------------------------------------------------------------

    def _page_token_given(self, form: dict[str, Any] | None = None) -> str:
        for given in (self._query().get("t"), (form or {}).get("t"), self.headers.get(PAGE_HEADER),
                      self._cookie(PAGE_COOKIE)):
            if isinstance(given, str) and given:
                return given
        return ""

    def _cookie(self, name: str) -> str:
        for part in self.headers.get("Cookie", "").split(";"):
            key, _, value = part.strip().partition("=")
            if key == name:
                return value
        return ""

    def _page_token_ok(self, form: dict[str, Any] | None = None) -> bool:
        token = self.app.page_token
        return not token or secrets.compare_digest(self._page_token_given(form).encode(), token.encode())

    def _host_ok(self) -> bool:
        """The Host header names this machine (or the configured host) and this listener's port.

        A page on another site whose name was made to resolve to 127.0.0.1 (DNS rebinding) sends its own
        name. The plain-HTTP page listener behind jupyter-server-proxy may see the hub's name: there a
        valid page token is asked instead.
        """
        if not self.app.check_host:
            return True
        host = self.headers.get("Host", "")
        if host.startswith("["):
            name, _, rest = host[1:].partition("]")
            port = rest[1:] if rest.startswith(":") else ""
        else:
            name, _, port = host.rpartition(":") if host.count(":") == 1 else (host, "", "")
        name = name.lower().rstrip(".")
        if name in self.app.hosts and (not port or port == str(self.server.server_address[1])):
            return True
        return self.server.tls is None and bool(self.app.page_token) and self._page_token_ok()

    def _refuse(self) -> None:
        self.close_connection = True
        self._json(421, {"error": "misdirected_request",
                         "error_description": "This sandbox answers only to 127.0.0.1, localhost and [::1]."})

    def _locked(self, lang: str) -> None:
        self._html(403, pages.locked_page(lang), lang)

    # -- dispatch ----------------------------------------------------------------------------

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        if not self._host_ok():
            return self._refuse()
        path = urlsplit(self.path).path
        if self._api("GET", path):
            return None
        q = self._query()
        lang = self._lang()
        idp = self.app.idp
        if (path in TOKEN_PATHS or path.startswith("/mailbox/")) and not self._page_token_ok():
            return self._locked(lang)
        if path in ("/", "/index.html"):
            links = [("Mailbox", "mailbox"), ("Device sign-in", "devicelogin"),
                     ("Microsoft OpenID configuration",
                      f"{idp.config.tenant_id}/v2.0/.well-known/openid-configuration")]
            return self._html(200, pages.index_page(lang, links, q), lang)
        if path == "/_sandbox/health":
            return self._json(200, {"ok": True, "pid": os.getpid(), "time": idp.clock.now(),
                                    "smtp": self.app.mail_server})
        if path in GOOGLE_AUTH_PATHS:
            return self._outcome(idp.google_authorize(q), "google", lang, q)
        if path in USERINFO_PATHS:
            token = self.headers.get("Authorization", "")[7:].strip()
            status, body = idp.google_userinfo(token)
            return self._json(status, body)
        if path == "/devicelogin":
            return self._html(200, pages.device_entry_page(lang, query=q), lang)
        if path == "/mailbox":
            return self._html(200, pages.mailbox_list_page(self.app.mailbox.messages(), lang, q), lang)
        if path.startswith("/mailbox/"):
            try:
                n = int(path.rsplit("/", 1)[1])
            except ValueError:
                n = 0
            msg = self.app.mailbox.get(n)
            return self._html(200 if msg else 404, pages.mailbox_message_page(msg, n, lang, q), lang)
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
            if not idp.ms_tenant_ok(parts[0]):
                return self._json(400, idp.ms_error(400, "invalid_tenant", 90002,
                                                    f"Tenant '{parts[0]}' not found.").body)
            return self._json(200, idp.ms_openid_configuration(parts[0]))
        if len(parts) == 4 and parts[1:] == ["discovery", "v2.0", "keys"]:
            return self._json(200, {"keys": []})
        if len(parts) == 4 and parts[1:3] == ["oauth2", "v2.0"] and parts[3] == "authorize":
            return self._outcome(idp.ms_authorize(parts[0], q), "microsoft", lang, q)
        return self._json(404, {"error": "not_found", "path": path})

    def do_POST(self) -> None:
        if not self._host_ok():
            return self._refuse()
        path = urlsplit(self.path).path
        idp = self.app.idp
        if self._api("POST", path):
            return None
        form = self._form()
        if path in TOKEN_PATHS and not self._page_token_ok(form):
            return self._locked(self._lang(form))
        if self.server.tls is None and not (path == "/devicelogin" or path == "/deviceconsent"
                                            or path.endswith("/consent")):
            # The plain-HTTP listener exists for pages behind jupyter-server-proxy only.
            return self._json(403, {"error": "https_required",
                                    "error_description": "Use the HTTPS endpoints listed in sandbox.json."})
        if path == "/_sandbox/admin":
            return self._admin(form)
        if path == "/token":
            return self._token(lambda: idp.google_token(form, self._basic()), "google")
        if path in ("/revoke", "/o/oauth2/revoke"):
            token = form.get("token") or self._query().get("token", "")
            if idp.revoke(token):
                return self._json(200, {})
            return self._json(400, {"error": "invalid_token", "error_description": "Token expired or revoked"})
        if path in GOOGLE_CONSENT_PATHS or path == "/deviceconsent" or (
                path.endswith("/oauth2/v2.0/consent")):
            return self._consent(form)
        if path == "/devicelogin":
            lang = self._lang(form)
            found = idp.device_by_user_code(str(form.get("otc", "")))
            if found is None:
                return self._html(400, pages.device_entry_page(lang, bad_code=True,
                                                               query={"t": self._page_token_given(form)}), lang)
            req = idp.device_consent_request(*found)
            return self._consent_page(req, lang, {"hl": lang, "t": self._page_token_given(form)},
                                      action_path="deviceconsent")
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[1:3] == ["oauth2", "v2.0"]:
            if parts[3] == "token":
                return self._token(lambda: idp.ms_token(parts[0], form, self._basic()), "microsoft")
            if parts[3] == "devicecode":
                verification = self._public_base() + "/devicelogin"
                return self._token(lambda: idp.ms_devicecode(parts[0], form, verification), "microsoft",
                                   count=False)
        return self._json(404, {"error": "not_found", "path": path})

    def do_PUT(self) -> None:
        if not self._api("PUT", urlsplit(self.path).path):
            self.close_connection = True
            self._json(405, {"error": "method_not_allowed"})

    def do_DELETE(self) -> None:
        self.do_PUT()

    def do_PATCH(self) -> None:
        self.do_PUT()

    def _api(self, method: str, path: str) -> bool:
        """Hand Graph-/Gmail-API-shaped requests (HTTPS listener only) to the mounted APIs."""
        directory = self.app.directory
        if self.server.tls is not None and directory is not None and directory.handles(path):
            directory.handle(self, self.command)
            return True
        api = self.app.api
        if method == "GET" or self.server.tls is None or api is None or not api.handles(path):
            return False
        api.handle(self, self.command if method == "PUT" else method)
        return True

    def _public_base(self) -> str:
        return self.app.idp.base_url

    # -- pieces ------------------------------------------------------------------------------

    def _token(self, call: Any, provider: str, *, count: bool = True) -> None:
        idp = self.app.idp
        delay = idp.faults.get("token_delay")
        if delay:
            time.sleep(float(delay))
        status = idp.faults.get("token_status")
        if status and int(status) >= 400:
            if provider == "google":
                body: dict[str, Any] = {"error": "internal_failure", "error_description": "Backend Error"}
            else:
                body = idp.ms_error(int(status), "temporarily_unavailable", 50196 if int(status) == 429 else 90033,
                                    "A transient error has occurred. Please try again.").body
            idp.record_request(provider, "fault", "")
            return self._json(int(status), body)
        try:
            result = call()
        except OAuthError as exc:
            return self._json(exc.status, exc.body)
        return self._json(200, result)

    def _outcome(self, out: Outcome, provider: str, lang: str, q: dict[str, str]) -> None:
        if out.kind == "consent":
            assert out.request is not None
            return self._consent_page(out.request, lang, q)
        if out.kind == "redirect":
            return self._redirect(out.url)
        if out.kind == "form_post":
            return self._html(200, pages.form_post_page(out.url, out.fields, lang), lang)
        if out.kind == "blocked":
            return self._html(403, pages.blocked_page(app=out.fields.get("app", ""), detail=out.detail,
                                                      return_url=out.url, email=out.fields.get("email", ""),
                                                      lang=lang), lang)
        if out.kind == "device_done":
            return self._html(200, pages.device_done_page(out.fields.get("result", ""), out.fields.get("app", ""),
                                                          lang), lang)
        return self._html(out.status, pages.error_page(provider=provider, error=out.error, detail=out.detail,
                                                       lang=lang, query=q), lang)

    def _consent_page(self, req: Any, lang: str, q: dict[str, str], action_path: str = "consent") -> None:
        idp = self.app.idp
        client = idp.config.google_client(req.client_id) if req.provider == "google" else None
        testing = bool(client and client.testing)
        users = [(u.email, u.display_name, u.test_user or not testing) for u in idp.users_for(req.provider)]
        selected = req.login_hint or (users[0][0] if users else "")
        restricted = any(sc == "https://mail.google.com/" or "/auth/gmail." in sc for sc in req.scopes)
        text = pages.consent_page(provider=req.provider, req_id=req.id, app=req.app_name, scopes=req.scopes,
                                  users=users, selected=selected, lang=lang, query=q,
                                  granular=req.provider == "google",
                                  unverified=testing and restricted)
        if action_path != "consent":
            text = text.replace('action="consent">', f'action="{action_path}">{pages.token_field(q)}')
        self._html(200, text, lang)

    def _consent(self, form: dict[str, Any]) -> None:
        idp = self.app.idp
        lang = self._lang(form)
        req = idp.take_consent(str(form.get("req", "")))
        if req is None:
            return self._html(400, pages.error_page(provider="", error="invalid_request",
                                                    detail="This sign-in page has expired or was already used. "
                                                           "Start the sign-in again from the app.", lang=lang), lang)
        allow = form.get("action") == "allow"
        email = str(form.get("user", ""))
        if req.provider == "google":
            granted = [v for k, v in getattr(self, "_form_multi", []) if k == "scope"]
            out = idp.google_consent(req, allow, email, granted)
            if out.kind == "blocked":
                out.fields.update({"app": req.app_name, "email": email})
        else:
            out = idp.ms_consent(req, allow, email)
        self._outcome(out, req.provider, lang, {"hl": lang})

    def _admin(self, form: dict[str, Any]) -> None:
        token = self.headers.get("X-Sandbox-Admin", "")
        if not token or not secrets.compare_digest(token, self.app.admin_token) or self.app.admin_hook is None:
            return self._json(403, {"error": "forbidden"})
        try:
            result = self.app.admin_hook(str(form.get("op", "")), form)
        except (ValueError, KeyError, TypeError) as exc:
            return self._json(400, {"error": "bad_request", "error_description": str(exc)})
        self._json(200, result)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


__all__ = ["SandboxApp", "bind_http", "free_port", "serve_http"]
