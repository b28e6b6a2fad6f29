"""The notebook steps as plain objects: state plus the library calls, no ipywidgets.

Each controller is what a widget's ``on_click``/``observe`` calls, and what the tests drive
directly. A controller keeps a ``status`` (``idle``/``working``/``waiting``/``done``/``failed``/
``cancelled``), a ``message`` in the person's language, and the last error as an
:class:`~oauthmail.errors.OAuthMailError` (shown as what + hint). Views subscribe with
:meth:`Controller.subscribe` to redraw; callbacks may run on a background thread.

Long waits (the browser coming back, the device code being entered) run on a thread with a
:class:`threading.Event` to cancel them, so the widgets stay live (pitfall P39).
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import stat
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .._observable import Observable
from ..clients import ClientConfig
from ..errors import ConfigError, ConsentError, OAuthMailError
from ..i18n import Msg
from ..i18n.labels import (
    L_CANCEL,
    L_CONFIDENTIAL,
    L_KIND_DESKTOP,
    L_KIND_WEB,
    L_PUBLIC,
    L_START,
    L_USE_SANDBOX,
    L_USE_VALUES,
    quote,
    security_name,
)
from ..providers import LOOPBACK_HOSTS
from ..secrets import redact, shorten_id
from .clientvalues import (
    EMPTY_SECRET,
    EMPTY_SECRET_HINT_MICROSOFT,
    GOOGLE_WEB_REDIRECT,
    MICROSOFT_WEB_REDIRECT,
    parse_client_upload,
    parse_expiry,
)
from .session import Session
from .steps import Step

# --- messages ------------------------------------------------------------------------------------

STOPPED_WAITING = Msg(en="Stopped waiting. Run the step again when ready.",
                      ja="待つのをやめました。準備ができたら、もう一度実行してください。")
SEND_ABANDONED = Msg(
    en="Stopped waiting for the mail server. If it had already accepted the message, it may still arrive: check "
    "the mailbox before sending again.",
    ja="メールサーバーの応答を待つのをやめました。サーバーがすでに受け付けていた場合はメールが届くことがあります。"
    "再送信する前に受信箱を確認してください。",
)
UNEXPECTED = Msg(en="Unexpected problem: {name}: {text}", ja="想定外の問題が起きました: {name}: {text}")
UNEXPECTED_HINT = Msg(
    en="Run the cell again. If it keeps happening, open 04_troubleshooting and run the doctor.",
    ja="セルをもう一度実行してください。繰り返す場合は 04_troubleshooting を開いて診断（doctor）を実行してください。",
)
CLIENT_READY = Msg(en="Client ready: {kind}, ID {client_id}, secret {secret} (from {source}).",
                   ja="クライアントの準備ができました: {kind}、ID {client_id}、シークレット {secret}（{source}）。")
#: The client kinds and sources CLIENT_READY names, as the widgets name them.
CLIENT_KINDS = {"web": L_KIND_WEB, "installed": L_KIND_DESKTOP, "confidential": L_CONFIDENTIAL, "public": L_PUBLIC}
SOURCE_TYPED = Msg(en="typed values", ja="入力した値")
SOURCE_SANDBOX = Msg(en="the sandbox", ja="サンドボックスから取り込み")
SOURCE_FILE = Msg(en="{name}", ja="{name} から読み込み")
NO_SECRET = Msg(en="none", ja="なし")
CLIENT_SANDBOX = Msg(
    en="Sandbox: the values come from the practice server (in the real console you would copy or download them).",
    ja="サンドボックス: 値は練習用サーバーから取り込みました（本番ではコンソールからコピーまたはダウンロードします）。",
)
SANDBOX_CLIENT_IN_REAL = Msg(en="The sandbox client is only for the sandbox; the switch above is set to Real.",
                             ja="サンドボックスのクライアントはサンドボックス専用です。上の切り替えが「本番」になっています。")
SANDBOX_CLIENT_IN_REAL_HINT = Msg(
    en="Upload your own client JSON or type your console's values, or switch back to Sandbox (practice).",
    ja="ご自分のクライアント JSON をアップロードするかコンソールの値を入力してください。練習するなら「サンドボックス（練習）」に戻してください。",
)
CLIENT_TYPED_SANDBOX = Msg(
    en="Sandbox: these values sign in at the practice server (not at {provider}), as the switch above says.",
    ja="サンドボックス: 上の切り替えが「サンドボックス」なので、この値でのサインイン先は練習用サーバーです（{provider} ではありません）。",
)
SANDBOX_JSON_IN_REAL = Msg(
    en="The client JSON {path} points at the sandbox ({host}), but the switch above is set to Real.",
    ja="クライアント JSON {path} はサンドボックス（{host}）を指していますが、上の切り替えが「本番」になっています。",
)
SANDBOX_REFUSED = Msg(en="The sandbox sign-in page refused this client: {error}: {detail}",
                      ja="サンドボックスのサインイン画面がこのクライアントを拒否しました: {error}: {detail}")
SANDBOX_UNKNOWN_CLIENT_HINT = Msg(
    en="The sandbox does not know the client ID {client_id} (in the real console: a typo, or the ID of another "
    "project or tenant). Copy the client ID and secret again exactly from the sandbox's practice client, press "
    f"{quote(L_USE_VALUES, 'en')}, and start the sign-in again; or press {quote(L_USE_SANDBOX, 'en')}.",
    ja="サンドボックスにはクライアント ID {client_id} が登録されていません（本番のコンソールなら、打ち間違いか、別の"
    "プロジェクト・テナントの ID です）。サンドボックスの練習用クライアントから ID とシークレットを正確にコピーし直して"
    f"{quote(L_USE_VALUES, 'ja')}を押し、もう一度サインインを始めてください。または{quote(L_USE_SANDBOX, 'ja')}を"
    "押してください。",
)
SANDBOX_REFUSED_HINT = Msg(
    en="This is what the browser would show. Check the values you typed against the sandbox's practice client, "
    f"press {quote(L_USE_VALUES, 'en')}, and start the sign-in again.",
    ja="ブラウザーにも同じ内容が表示されます。入力した値をサンドボックスの練習用クライアントと見比べ、"
    f"{quote(L_USE_VALUES, 'ja')}を押してから、もう一度サインインを始めてください。",
)
NO_CLIENT = Msg(en="The client step is not done yet.", ja="クライアントの手順がまだ終わっていません。")
NO_CLIENT_HINT = Msg(en="Go back to the client cell, upload the JSON or type the values, and press the button.",
                     ja="クライアントのセルに戻り、JSON をアップロードするか値を入力してボタンを押してください。")
NO_TOKEN = Msg(en="There is no token yet.", ja="まだトークンがありません。")
NO_TOKEN_HINT = Msg(en="Run the sign-in (consent) step first.", ja="先にサインイン（同意）の手順を実行してください。")
CONSENT_OPEN = Msg(en="Open the link, sign in as {who} and allow access. Waiting for the browser (up to {minutes} min)…",
                   ja="リンクを開き、{who}でサインインしてアクセスを許可してください。ブラウザーからの戻りを待っています（最大 {minutes} 分）…")
SENDING_ACCOUNT = Msg(en="the sending account", ja="送信元のアカウント")
#: An address in a Japanese sentence takes a space before the particle; 「送信元のアカウントで」 none.
WHO_ADDRESS = Msg(en="{email}", ja="{email} ")
CONSENT_REMOTE = Msg(
    en="This notebook runs on a remote machine, so the sign-in page cannot come back here by itself. Open the "
    "link, allow access, and when the browser shows \"This site can't be reached\", copy the whole address "
    "from the address bar and paste it below.",
    ja="このノートブックは別のマシンで動いているため、サインイン後のページが自動ではここに戻りません。リンクを開いて"
    "許可し、ブラウザーに「このサイトにアクセスできません」と出たら、アドレスバーのアドレスを丸ごとコピーして下に貼り付けてください。",
)
CONSENT_DONE = Msg(en="Signed in as {account}. The token is saved in {ini} (mode 600).",
                   ja="{account} としてサインインしました。トークンは {ini} に保存しました（パーミッション 600）。")
CONSENT_CANCELLED = Msg(en=f"Sign-in cancelled. Press {quote(L_START, 'en')} to start again.",
                        ja=f"サインインを中止しました。やり直すには{quote(L_START, 'ja')}を押してください。")
CONSENT_BUSY = Msg(en=f"A sign-in is already waiting. Finish it or press {quote(L_CANCEL, 'en')} first.",
                   ja=f"サインインがすでに待機中です。最後まで進めるか、先に{quote(L_CANCEL, 'ja')}を押してください。")
CONSENT_BUSY_HINT = Msg(en="Only one sign-in can listen on the return address at a time.",
                        ja="リダイレクト URI で待ち受けられるサインインは一度に 1 つだけです。")
CONSENT_PORT_WAIT = Msg(
    en="Port {port} is busy with another sign-in on this computer; waiting for it to finish (up to a minute)…",
    ja="ポート {port} はこのコンピューターの別のサインインが使用中です。終わるのを待っています（最大 1 分）…",
)
CONSENT_PORT_WAIT_REMOTE = Msg(
    en="(Port {port} on the server is busy with another person's sign-in; that does not matter here: "
    "paste the address as described.)",
    ja="（サーバーのポート {port} は別の人のサインインが使用中ですが、ここでは問題ありません。説明どおりアドレスを貼り付けてください。）",
)
CONSENT_PORT_WAIT_LENT = Msg(
    en="Port {port} is used by another program's connection (the system gave it the port); waiting for that "
    "connection to end (up to a minute)…",
    ja="ポート {port} は別のプログラムの通信に使われています（システムがそのポートを割り当てました）。その接続が終わるのを"
    "待っています（最大 1 分）…",
)
CONSENT_PORT_WAIT_LENT_REMOTE = Msg(
    en="(Port {port} on the server is used by another program's connection; that does not matter here: paste the "
    "address as described.)",
    ja="（サーバーのポート {port} は別のプログラムの通信に使われていますが、ここでは問題ありません。説明どおりアドレスを"
    "貼り付けてください。）",
)
DEVICE_CODE = Msg(en="On any device, open {uri} and enter the code {code}. Waiting…",
                  ja="どの端末でもよいので {uri} を開き、コード {code} を入力してください。待機中…")
SENDING = Msg(en="Sending…", ja="送信中…")
SENT = Msg(en="Delivered to {recipients} through {host}:{port} ({security}) in {elapsed:.1f} s. Message-ID: {message_id}",
           ja="送信しました。宛先: {recipients}、経由: {host}:{port}（{security}）、{elapsed:.1f} 秒。Message-ID: {message_id}")
EMPTY_RECIPIENT = Msg(en="The recipient is empty.", ja="宛先が空です。")
EMPTY_RECIPIENT_HINT = Msg(en="Enter one address, e.g. your own, to receive the test message.",
                           ja="テストメールを受け取るアドレス（自分のアドレスなど）を 1 つ入れてください。")
BAD_RECIPIENT = Msg(en="\"{value}\" is not an e-mail address.", ja="「{value}」はメールアドレスではありません。")
TEST_SUBJECT = Msg(en="oauthmail test message", ja="oauthmail テストメール")
TEST_BODY = Msg(
    en="This message was sent by oauthmail with OAuth2 (XOAUTH2). If you can read it, the setup works.",
    ja="このメールは oauthmail が OAuth2（XOAUTH2）で送信しました。読めていれば設定は完了です。",
)
EXPORTED = Msg(en="Exported: token INI {ini} ({mode}); setup record {record}.",
               ja="書き出しました: トークン INI {ini}（{mode}）、セットアップ記録 {record}。")
INI_PRIVATE = Msg(en="private, chmod 600", ja="本人だけが読める（chmod 600）")
INI_NOT_PRIVATE = Msg(en="readable by others ({mode}) — run chmod 600", ja="他人も読める状態（{mode}）— chmod 600 を実行してください")
INI_LOADED = Msg(en="{path}: {count} account(s): {accounts}. Default: {default}.",
                 ja="{path}: アカウント {count} 件: {accounts}。既定: {default}。")
EMPTY_PATH = Msg(en="The path is empty.", ja="パスが空です。")
EMPTY_PATH_HINT = Msg(en="Enter the path of your token INI, e.g. ~/.config/oauthmail/oauthmail.ini.",
                      ja="トークン INI のパスを入れてください（例: ~/.config/oauthmail/oauthmail.ini）。")
EXPLAIN_EMPTY = Msg(en="Paste an error message first.", ja="先にエラーメッセージを貼り付けてください。")
ENV_LOCAL = Msg(en="local kernel (the browser can come back to this machine)",
                ja="ローカルのカーネル（ブラウザーからこのマシンに戻れます）")
ENV_REMOTE = Msg(en="remote kernel ({label}): use the paste box at sign-in",
                 ja="リモートのカーネル（{label}）: サインイン時は貼り付け欄を使います")
ROW_KERNEL = Msg(en="kernel", ja="カーネル")
ROW_BINDER = Msg(en="Binder", ja="Binder")
REACH_OK = Msg(en="reachable ({ms} ms)", ja="接続できます（{ms} ミリ秒）")
REACH_FAIL = Msg(en="not reachable: {reason}", ja="接続できません: {reason}")
BINDER_NOTE = Msg(
    en="Public Binder blocks outgoing SMTP (ports 25/465/587): real sending will not work there; use the sandbox.",
    ja="公開 Binder では外向きの SMTP（25・465・587 番ポート）が遮断されています。本番の送信はできないので、サンドボックスを使ってください。",
)


#: The sandbox's answers for a client ID it does not know (Google, Entra authorize and token endpoints).
UNKNOWN_CLIENT_ERRORS = frozenset({"invalid_client", "unauthorized_client", "AADSTS700016"})

#: Paste errors that are the person's copy slip, not the end of the sign-in.
PASTE_MISTAKES = frozenset({"paste_empty", "paste_no_code"})


def error_of(exc: BaseException) -> OAuthMailError:
    """Every failure as an OAuthMailError (unknown ones wrapped, their text redacted)."""
    if isinstance(exc, OAuthMailError):
        return exc
    return OAuthMailError(UNEXPECTED, UNEXPECTED_HINT, name=type(exc).__name__, text=redact(str(exc))[:300])


class Controller(Observable):
    """Status, message and error, plus subscribers to redraw a view."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.error: OAuthMailError | None = None
        self._lock = threading.RLock()

    def _set(self, status: str, message: str = "", error: OAuthMailError | None = None) -> None:
        self.status, self.message, self.error = status, message, error
        self._changed()

    def _fail(self, exc: BaseException) -> OAuthMailError:
        err = error_of(exc)
        self._set("failed", err.what(self.session.lang), err)
        return err

    # --- network steps on a thread (widgets stay live, the wait can be abandoned) ---------------

    _task: threading.Thread | None = None
    started_at: float = 0.0
    #: Shown when a person stops waiting (subclasses say what that means for their step).
    abandoned_text: Msg | None = None

    def busy(self) -> bool:
        return self._task is not None and self._task.is_alive()

    def start_task(self, work: Callable[..., object], *args: Any) -> bool:
        """Run ``work(*args)`` on a daemon thread; ``False`` when one is still running."""
        with self._lock:
            if self.busy():
                return False
            self.started_at = time.monotonic()
            self._task = threading.Thread(target=work, args=args, name=f"oauthmail-{type(self).__name__}",
                                          daemon=True)
            self._task.start()
            return True

    def wait_task(self, timeout: float | None = None) -> bool:
        """Block until the background step ends (autorun, tests); ``True`` when it is over."""
        task = self._task
        if task is not None:
            task.join(timeout)
        return not self.busy()

    def elapsed(self) -> float:
        return time.monotonic() - self.started_at if self.started_at else 0.0

    def abandon(self) -> None:
        """Stop waiting for the step (the thread is left to time out; a late answer is still shown)."""
        if self.busy() or self.status == "working":
            self._set("cancelled", (self.abandoned_text or STOPPED_WAITING).format(self.session.lang))


# --- checklists ----------------------------------------------------------------------------------


class ChecklistController(Controller):
    """The ticks of one console step; every change is recorded with its time."""

    def __init__(self, session: Session, step: Step) -> None:
        super().__init__(session)
        self.step = step

    def labels(self) -> list[tuple[str, str]]:
        return [(tid, msg.format(self.session.lang)) for tid, msg in self.step.ticks]

    def set(self, tick_id: str, done: bool, *, auto: bool = False) -> None:
        self.session.tick(self.step, tick_id, done, auto=auto)
        self._set("done" if self.complete() else "idle")

    def tick_all(self, *, auto: bool = False) -> None:
        for tid, _ in self.step.ticks:
            self.session.tick(self.step, tid, True, auto=auto)
        self._set("done")

    def is_done(self, tick_id: str) -> bool:
        t = self.session.ticks.get(f"{self.step.id}.{tick_id}")
        return bool(t and t.done)

    def complete(self) -> bool:
        return all(self.is_done(tid) for tid, _ in self.step.ticks)


# --- the client ----------------------------------------------------------------------------------


class ClientController(Controller):
    """Upload the client JSON or type ID and secret; Azure tenant and secret expiry; sandbox values."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.values: ClientConfig | None = None
        self.warnings: list[str] = []

    def _accept(self, values: ClientConfig, source: str) -> ClientConfig:
        self.values = values
        self.session.client = values
        self.session.client_from_sandbox = source == "sandbox"
        self.warnings = list(values.warnings)
        secret: Msg | str = "*****" if values.client_secret else NO_SECRET
        named = {"typed": SOURCE_TYPED, "sandbox": SOURCE_SANDBOX}.get(source)
        origin = named or Msg(en=SOURCE_FILE.en.format(name=source), ja=SOURCE_FILE.ja.format(name=source))
        text = CLIENT_READY.format(self.session.lang, kind=CLIENT_KINDS.get(values.client_type, values.client_type),
                                   client_id=shorten_id(values.client_id, 12, 6), secret=secret, source=origin)
        if source == "sandbox":
            text += " " + CLIENT_SANDBOX.format(self.session.lang)
        self._set("done", text)
        return values

    def reset(self) -> None:
        """Forget the client (the mode switched between sandbox and real)."""
        self.values = None
        self.warnings = []
        self.session.client = None
        self.session.client_from_sandbox = False
        self._set("idle", "")

    def _accept_typed(self, values: ClientConfig) -> ClientConfig:
        """Values typed by hand: in the sandbox they sign in there, and the status says so."""
        self._accept(values, "typed")
        if self.session.mode == "sandbox":
            name = "Google" if values.provider == "google" else "Microsoft"
            self._set("done", self.message + " " + CLIENT_TYPED_SANDBOX.format(self.session.lang, provider=name))
        return values

    def load_json(self, data: bytes, name: str = "client_secret.json") -> ClientConfig | None:
        """A Google client-secrets file as uploaded (``bytes(upload.value[0].content)``)."""
        try:
            cfg = parse_client_upload(data, name)
            if self.session.mode == "real":
                host = next((h for h in (urlsplit(cfg.auth_uri).hostname, urlsplit(cfg.token_uri).hostname)
                             if h in LOOPBACK_HOSTS), "")
                if host:  # the sandbox's JSON: its tokens must never land in the real INI
                    raise ConfigError(SANDBOX_JSON_IN_REAL, SANDBOX_CLIENT_IN_REAL_HINT, path=name, host=host,
                                      code="sandbox_client_in_real_mode")
            return self._accept(cfg, name)
        except Exception as exc:
            self._fail(exc)
            return None

    def use_google(self, client_id: str, client_secret: str, *, kind: str = "web") -> ClientConfig | None:
        """Typed ID and secret: Google's endpoints in real mode, the sandbox's in sandbox mode."""
        try:
            from ..clients import google_client_from_values

            web = kind == "web"
            client_type = "web" if web else "installed"
            cfg = google_client_from_values(client_id, client_secret, client_type=client_type,
                                            redirect_uris=[GOOGLE_WEB_REDIRECT] if web else None)
            if self.session.mode == "sandbox":
                sb = self.session.sandbox()
                cfg = google_client_from_values(client_id, client_secret, client_type=client_type,
                                                auth_uri=sb.google_auth_uri, token_uri=sb.google_token_uri,
                                                redirect_uris=[str(sb.google_web_redirect_uri)] if web else None)
            return self._accept_typed(cfg)
        except Exception as exc:
            self._fail(exc)
            return None

    def use_microsoft(self, client_id: str, client_secret: str, *, tenant: str = "common", public: bool = False,
                      secret_expires: str = "", authority: str = "") -> ClientConfig | None:
        try:
            from ..clients import microsoft_client

            secret = (client_secret or "").strip()
            if not public and not secret:
                raise ConfigError(EMPTY_SECRET, EMPTY_SECRET_HINT_MICROSOFT, code="client_secret_empty")
            self.session.secret_expires = parse_expiry(secret_expires)
            cfg = microsoft_client(client_id, None if public else secret, tenant=tenant or "common",
                                   authority=authority or None)
            redirect = ""  # the seed's http://localhost:48888/callback
            if self.session.mode == "sandbox" and not authority:
                # Practise typing the values as in the real portal, but sign in at the sandbox.
                sb = self.session.sandbox()
                cfg = microsoft_client(client_id, None if public else secret, authority=sb.microsoft_authority)
                redirect = str(sb.microsoft_web_redirect_uri)
            self.session.redirect_uri = redirect
            return self._accept_typed(cfg)
        except Exception as exc:
            self._fail(exc)
            return None

    def use_sandbox(self, kind: str = "web") -> ClientConfig | None:
        """The sandbox's registered client, standing in for what the console would give."""
        try:
            from ..clients import load_google_client, microsoft_client

            if self.session.mode != "sandbox":
                raise ConfigError(SANDBOX_CLIENT_IN_REAL, SANDBOX_CLIENT_IN_REAL_HINT, code="sandbox_client_in_real_mode")
            sb = self.session.sandbox()
            if self.session.provider == "google":
                cfg = load_google_client(sb.client_secrets_web if kind == "web" else sb.client_secrets_installed)
            elif kind == "public":
                cfg = microsoft_client(sb.microsoft_public_client_id, None, authority=sb.microsoft_authority)
            else:
                cfg = microsoft_client(sb.microsoft_web_client_id, sb.microsoft_web_client_secret,
                                       authority=sb.microsoft_authority)
                self.session.redirect_uri = str(sb.microsoft_web_redirect_uri)
            cfg.warnings = []
            return self._accept(cfg, "sandbox")
        except Exception as exc:
            self._fail(exc)
            return None


# --- consent -------------------------------------------------------------------------------------


def browser_link(session: Session, url: str) -> str:
    """The address of a sandbox page as a person's browser must open it: through jupyter-server-proxy when the
    kernel runs on a hub (the browser cannot reach the kernel's 127.0.0.1), unchanged otherwise."""
    if session.mode == "sandbox" and url:
        with contextlib.suppress(Exception):
            return str(session.sandbox().public_url(url))
    return url


class ConsentController(Controller):
    """Start the sign-in, wait for the browser on a thread (cancellable), or take a pasted address."""

    def __init__(self, session: Session, *, timeout: float = 300.0) -> None:
        super().__init__(session)
        self.timeout = timeout
        #: How long a local sign-in waits for a busy registered port (a remote one waits the whole timeout).
        self.busy_wait = 60.0
        self.flow: dict[str, Any] | None = None
        self.auth_uri = ""
        self.device: dict[str, str] = {}
        self.email = ""
        #: ``smtp`` (default), ``graph`` (Microsoft Graph Mail.Send) or ``gmail-api`` (gmail.send), over HTTPS.
        self.transport = "smtp"
        self.remote = False
        self.started_at = 0.0
        self._cancel = threading.Event()
        #: Set (under the lock) when a paste takes over the end of this sign-in, before it wakes the waiting
        #: thread: from then on only the paste says how it ended (done or failed), never the thread.
        self._pasted = threading.Event()
        self._thread: threading.Thread | None = None
        #: Set once the loopback listener is up (the browser may be sent to the link).
        self.listening = threading.Event()

    # helpers ------------------------------------------------------------------------------------

    def _client(self) -> ClientConfig:
        values = self.session.client
        if not isinstance(values, ClientConfig):
            raise ConfigError(NO_CLIENT, NO_CLIENT_HINT, code="no_client")
        return values

    def redirect_prefix(self) -> str:
        uri = str((self.flow or {}).get("redirect_uri") or "")
        if uri:
            return uri
        return MICROSOFT_WEB_REDIRECT if self.session.provider == "microsoft" else GOOGLE_WEB_REDIRECT

    def _new_flow(self) -> dict[str, Any]:
        from .. import consent

        cfg = self._client()
        if cfg.provider == "google":
            return consent.start_google(cfg, email=self.email or None, transport=self.transport)
        redirect = self.session.redirect_uri or MICROSOFT_WEB_REDIRECT
        return consent.start_microsoft(cfg, authority=cfg.authority or None, redirect_uri=redirect,
                                       email=self.email or None, transport=self.transport)

    def _sandbox_client(self) -> bool:
        """Whether the client signs in at the sandbox (sandbox button, or the sandbox's JSON uploaded)."""
        if self.session.mode != "sandbox":
            return False
        if self.session.client_from_sandbox:
            return True
        cfg = self.session.client
        base = str(getattr(self.session.sandbox(), "base_url", "") or "")
        endpoints = (getattr(cfg, "token_uri", ""), getattr(cfg, "authority", ""))
        return bool(base) and any(str(e).startswith(base) for e in endpoints)

    def _check_at_sandbox(self) -> None:
        """Typed or uploaded values in the sandbox: let its sign-in page judge the client now.

        The browser would show the sandbox's refusal (unknown client: ``invalid_client`` /
        AADSTS700016) while the notebook kept waiting; this says it here, as what + hint.
        """
        if self.session.client_from_sandbox or not self._sandbox_client():
            return
        from ..sandbox.user import _parse, _request

        sb = self.session.sandbox()
        try:
            _status, _headers, text = _request("GET", self.auth_uri, sb.ca_file)
        except OAuthMailError:
            return  # the sandbox did not answer: the browser will say so, the wait stays cancellable
        meta = _parse(text).meta
        error = meta.get("sandbox-error", "")
        if not error:
            return
        cfg = self._client()
        hint = SANDBOX_UNKNOWN_CLIENT_HINT if error in UNKNOWN_CLIENT_ERRORS else SANDBOX_REFUSED_HINT
        raise ConsentError(SANDBOX_REFUSED, hint, error=error, detail=meta.get("sandbox-detail", "")[:400],
                           client_id=cfg.client_id, code=f"sandbox_{error}")

    def _save(self, result: Any) -> None:
        from .. import consent

        ini = self.session.ini()
        smtp: dict[str, Any] = {}
        if self._sandbox_client():
            sb = self.session.sandbox()
            smtp = {"smtp_host": sb.smtp_host, "smtp_port": int(sb.smtp_starttls_port), "smtp_security": "starttls"}
        consent.save_result(ini, result, make_default=True, **smtp)
        if smtp:
            from ..tokenfile import update_account

            sb = self.session.sandbox()
            api = {"graph_url": str(getattr(sb, "graph_url", "") or ""),
                   "gmail_api_url": str(getattr(sb, "gmail_api_url", "") or "")}
            update_account(ini, result.email, **{k: v for k, v in api.items() if v})
        extras = dict(getattr(self.session, "app_extras", None) or {})  # an app made by `register microsoft`
        if self.session.secret_expires is not None or extras:
            from ..tokenfile import locked, read

            with locked(ini):
                tf = read(ini)
                acc = tf.account(result.email)
                if self.session.secret_expires is not None:
                    acc.extra["client_secret_expires_at"] = self.session.secret_expires.isoformat() + "T00:00:00Z"
                acc.extra.update(extras)
                tf.save()
        self._discard_saved_flow()
        self.session.account = str(getattr(result, "email", "") or "")
        self.session.ini_path = ini
        self.session.consent_warnings = list(getattr(result, "warnings", []) or [])
        text = CONSENT_DONE.format(self.session.lang, account=self.session.account, ini=str(ini))
        if self.session.consent_warnings:
            text += " " + " ".join(self.session.consent_warnings)
        self._set("done", text)

    @staticmethod
    def _discard_saved_flow() -> None:
        """Remove ``consent-flow.json`` (it holds the PKCE verifier and the client secret) once the sign-in ended,
        however it ended: done, cancelled, timed out or failed."""
        from .. import consent

        with contextlib.suppress(Exception):
            consent.discard_flow()

    # actions ------------------------------------------------------------------------------------

    def start(self, email: str = "", transport: str = "smtp") -> str:
        """Build the authorization link and listen for the browser on a background thread.

        ``email`` (optional) is the address the person means to sign in as: the sign-in page is
        pre-filled with it and a different signed-in account is refused before anything is saved.
        """
        with self._lock:
            self.email = (email or "").strip()
            self.transport = transport if transport in ("smtp", "graph", "gmail-api") else "smtp"
            if self._thread is not None and self._thread.is_alive():
                err = ConsentError(CONSENT_BUSY, CONSENT_BUSY_HINT, code="consent_busy")
                self._set(self.status, err.what(self.session.lang), err)
                return self.auth_uri
            try:
                from .. import consent

                self.remote = bool(getattr(consent.detect_environment(), "remote", False))
                self.flow = self._new_flow()  # a ConsentFlow: displaying it in a cell shows no secret
                self.auth_uri = str(self.flow["auth_uri"])
                self._check_at_sandbox()
                with contextlib.suppress(Exception):
                    consent.save_flow(self.flow)
            except Exception as exc:
                self._fail(exc)
                return ""
            self._cancel = threading.Event()
            self._pasted = threading.Event()
            self.listening = threading.Event()
            self.started_at = time.monotonic()
            who = WHO_ADDRESS.format(self.session.lang, email=self.email) if self.email else SENDING_ACCOUNT.format(self.session.lang)
            text = CONSENT_OPEN.format(self.session.lang, who=who, minutes=int(self.timeout // 60))
            if self.remote:
                text += " " + CONSENT_REMOTE.format(self.session.lang)
            self._set("waiting", text)
            self._thread = threading.Thread(target=self._listen, name="oauthmail-consent", daemon=True)
            self._thread.start()
            return self.auth_uri

    def _listen(self) -> None:
        from .. import consent

        flow, pasted = self.flow, self._pasted
        assert flow is not None
        deadline = time.monotonic() + self.timeout
        busy_until = time.monotonic() + (self.timeout if self.remote else self.busy_wait)
        told = False

        def say(status: str, text: str = "", exc: BaseException | None = None) -> bool:
            """Set what the wait ended with (or a new waiting line) unless a paste owns the end."""
            with self._lock:
                if pasted.is_set() or self.status != "waiting":
                    return False  # finished or ended by a paste, or already over: keep what it said
                if status != "waiting":
                    self._discard_saved_flow()  # the sign-in is over
                if exc is not None:
                    self._fail(exc)
                else:
                    self._set(status, text)
                return True

        while True:
            try:
                result = consent.run_consent(flow, open_browser=False, cancel=self._cancel,
                                             timeout=max(1.0, deadline - time.monotonic()),
                                             on_url=lambda _url: self.listening.set())
                self._save(result)
                return
            except Exception as exc:
                if self._cancel.is_set():
                    say("cancelled", CONSENT_CANCELLED.format(self.session.lang))
                    return
                if getattr(exc, "code", None) != "port_busy" or time.monotonic() >= busy_until:
                    say("failed", exc=exc)  # timed out or failed
                    return
                # Another sign-in on this machine holds the registered port (on a hub: another
                # student). Wait for it, saying so; a remote kernel's person can paste meanwhile.
                if not told:
                    port = getattr(exc, "params", {}).get("port", "")
                    told = True
                    from ..consent.loopback import PORT_LENT

                    if getattr(exc, "what_msg", None) is PORT_LENT:  # a connection, not another sign-in
                        wait = CONSENT_PORT_WAIT_LENT_REMOTE if self.remote else CONSENT_PORT_WAIT_LENT
                    else:
                        wait = CONSENT_PORT_WAIT_REMOTE if self.remote else CONSENT_PORT_WAIT
                    if not say("waiting", f"{self.message} " + wait.format(self.session.lang, port=port)):
                        return
                if self._cancel.wait(0.5):  # cancelled, or finished by a paste
                    say("cancelled", CONSENT_CANCELLED.format(self.session.lang))
                    return

    def paste(self, text: str) -> bool:
        """Finish with the address the browser ended on (remote kernels)."""
        try:
            from .. import consent
            from ..consent.paste import parse_redirect

            parse_redirect(text, example=self.redirect_prefix().split("?")[0])
            if self.flow is None:
                # After a kernel restart: the sign-in started before it was saved (P8); a missing or
                # stale one says to start again.
                self.flow = consent.load_flow()
            pasted = text

            result = consent.finish(self.flow, pasted)
            self._end_by_paste()
            self._save(result)
            return True
        except Exception as exc:
            err = error_of(exc)
            waiting = self.status == "waiting" and self._thread is not None and self._thread.is_alive()
            if waiting and err.code in PASTE_MISTAKES:
                # A wrong paste does not end the sign-in: say what to copy, keep the box and link.
                self._set("waiting", err.what(self.session.lang), err)
            else:
                self._end_by_paste()  # denied, expired, mismatched…: this sign-in is over
                self._discard_saved_flow()
                self._fail(err)
            return False

    def _end_by_paste(self) -> None:
        """Take over the end of the sign-in, then wake the waiting thread (which now only leaves)."""
        with self._lock:
            self._pasted.set()
        self._cancel.set()

    def start_device_code(self) -> None:
        """Microsoft device sign-in (public client with \"Allow public client flows\")."""
        try:
            from .. import consent

            values = self._client()
            self.flow = consent.start_device_code(values, authority=values.authority or None)
        except Exception as exc:
            self._fail(exc)
            return
        self.device = {"uri": str(self.flow.get("verification_uri", "")), "code": str(self.flow.get("user_code", ""))}
        self._cancel = threading.Event()
        self.started_at = time.monotonic()
        self._set("waiting", DEVICE_CODE.format(self.session.lang, **self.device))

        flow = self.flow

        def poll() -> None:
            try:
                result = consent.finish_device_code(flow, cancel=self._cancel)
                self._save(result)
            except Exception as exc:
                if self._cancel.is_set():
                    self._set("cancelled", CONSENT_CANCELLED.format(self.session.lang))
                else:
                    self._fail(exc)

        self._thread = threading.Thread(target=poll, name="oauthmail-device-code", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Stop waiting; the listener closes and the port is freed; the saved flow is removed."""
        self._cancel.set()
        self._discard_saved_flow()
        thread = self._thread
        if thread is not None:
            thread.join(timeout=5)
        if self.status == "waiting":
            self._set("cancelled", CONSENT_CANCELLED.format(self.session.lang))

    def wait_listening(self, timeout: float = 10.0) -> bool:
        """Block until the listener is up (``True``) or the wait ended otherwise (``False``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.listening.is_set():
                return True
            if self.status != "waiting":
                return False
            time.sleep(0.02)
        return self.listening.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the background wait ends (autorun and tests); ``True`` when signed in."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status == "done"

    def device_link(self) -> str:
        return browser_link(self.session, self.device.get("uri", ""))

    def link(self) -> str:
        """The address a person's browser must open (through jupyter-server-proxy on a hub, in the sandbox)."""
        return browser_link(self.session, self.auth_uri)

    def approve_in_sandbox(self, user: str | None = None) -> None:
        """Autorun: the sandbox's simulated user follows the link once the listener is up."""
        from ..sandbox import approve

        self.listening.wait(15)
        sb = self.session.sandbox()
        approve(self.auth_uri, user=user, ca_file=str(sb.ca_file))


# --- sending a test ------------------------------------------------------------------------------


class SendController(Controller):
    """Send one test message with the saved token and keep the masked transcript."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.transcript = ""
        self.result: Any = None

    abandoned_text = SEND_ABANDONED

    def send_async(self, to: str, subject: str = "", body: str = "") -> bool:
        """:meth:`send` on a thread, for the button (the kernel stays responsive, P39)."""
        return self.start_task(self.send, to, subject, body)

    def default_recipient(self) -> str:
        return self.session.account

    def default_subject(self) -> str:
        return TEST_SUBJECT.format(self.session.lang)

    def default_body(self) -> str:
        return TEST_BODY.format(self.session.lang)

    def send(self, to: str, subject: str = "", body: str = "") -> Any:
        recipient = (to or "").strip()
        try:
            if not recipient:
                raise ConfigError(EMPTY_RECIPIENT, EMPTY_RECIPIENT_HINT, code="no_recipient")
            if "@" not in recipient or any(c.isspace() for c in recipient):
                raise ConfigError(BAD_RECIPIENT, EMPTY_RECIPIENT_HINT, value=recipient[:80], code="bad_recipient")
            ini = self.session.ini()
            if not ini.exists():
                raise ConfigError(NO_TOKEN, NO_TOKEN_HINT, code="no_token")
            self._set("working", SENDING.format(self.session.lang))
            if self.session.mode == "sandbox":  # a fresh kernel: bring the sandbox up (same ports) and trust its CA
                self.session.sandbox()
            from ..mailer import send

            result = send(ini, to=[recipient], subject=subject or self.default_subject(),
                          body=body or self.default_body(), account=self.session.account or None, debug=True)
        except Exception as exc:
            self.transcript = redact(str(getattr(exc, "transcript", "") or ""), self._secrets())
            self._fail(exc)
            return None
        self.result = result
        self.session.send_result = result
        self.transcript = redact(str(getattr(result, "transcript", "") or ""), self._secrets())
        recipients = getattr(result, "recipients", None) or [recipient]
        self._set("done", SENT.format(
            self.session.lang, recipients=", ".join(recipients), host=getattr(result, "host", ""),
            port=getattr(result, "port", ""), security=security_name(str(getattr(result, "security", ""))),
            elapsed=float(getattr(result, "elapsed", 0.0) or 0.0), message_id=getattr(result, "message_id", ""),
        ))
        return result

    def _secrets(self) -> list[str]:
        try:
            from ..tokenfile import read

            return [s for acc in read(self.session.ini()).accounts.values() for s in acc.secrets()]
        except Exception:
            return []


# --- loading an existing INI (03) ----------------------------------------------------------------


class IniController(Controller):
    """Point the session at an INI a person already has, and list its accounts (no secret shown)."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.accounts: list[str] = []

    def load(self, path: str, account: str = "") -> bool:
        try:
            if not (path or "").strip():
                raise ConfigError(EMPTY_PATH, EMPTY_PATH_HINT, code="empty_path")
            from ..tokenfile import read

            p = Path(path.strip()).expanduser()
            tf = read(p)
            acc = tf.account(account.strip() or None)
        except Exception as exc:
            self._fail(exc)
            return False
        self.accounts = list(tf.accounts)
        self.session.ini_path = p
        self.session.account = acc.email
        self.session.provider = "microsoft" if acc.provider == "microsoft" else "google"
        text = INI_LOADED.format(self.session.lang, path=str(p), count=len(self.accounts),
                                 accounts=", ".join(self.accounts), default=acc.email)
        if tf.warnings:
            text += " " + " ".join(tf.warnings)
        self._set("done", text)
        return True


# --- export --------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    ini: Path
    ini_private: bool
    ini_mode: str
    record: Path | None
    record_data_uri: str = ""
    record_formats: list[Path] = field(default_factory=list)


def ini_mode(path: Path) -> tuple[bool, str]:
    """Whether only the owner can read the INI, and its mode as ``0o600``."""
    if sys.platform == "win32":  # pragma: no cover
        return True, "n/a"
    mode = stat.S_IMODE(path.stat().st_mode)
    return not (mode & 0o077), oct(mode)


def data_uri(path: Path, mime: str) -> str:
    """A ``data:`` link for a small file (the record only — never the INI, which holds a token)."""
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


class ExportController(Controller):
    """Show where the INI is (and that it is private), and write the setup record next to it."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.result: ExportResult | None = None

    def export(self, *, fix_mode: bool = True, reexport: bool = False) -> ExportResult | None:
        """``reexport``: also write the account alone to ``OAUTHMAIL_HOME/exports/<address>.ini`` (0600)."""
        try:
            ini = self.session.ini()
            if not ini.exists():
                raise ConfigError(NO_TOKEN, NO_TOKEN_HINT, code="no_token")
            if reexport:
                ini = self.reexport(ini)
            private, mode = ini_mode(ini)
            if not private and fix_mode:
                os.chmod(ini, 0o600)
                private, mode = ini_mode(ini)
            from ..record import build_record, default_path, write_record

            record = build_record(ini, self.session.account or None, steps=self.session.steps_for_record(),
                                  doctor=self.session.doctor_report, send_result=self.session.send_result,
                                  extra=self.session.record_extra())
            written = [write_record(record, default_path(record, fmt), lang=self.session.lang)
                       for fmt in ("md", "json", "html")]
            main = written[0]
            self.session.record_path = main
            result = ExportResult(ini, private, mode, main, data_uri(main, "text/markdown"), written)
        except Exception as exc:
            self._fail(exc)
            return None
        self.result = result
        state = INI_PRIVATE.format(self.session.lang) if private else INI_NOT_PRIVATE.format(self.session.lang, mode=mode)
        self._set("done", EXPORTED.format(self.session.lang, ini=str(ini), mode=state, record=str(main)))
        return result


    def reexport(self, source: Path) -> Path:
        """A fresh single-account INI in the kit's folder (atomic, 0600), from whatever file was loaded."""
        from .. import paths
        from ..tokenfile import read, save_account

        acc = read(source).account(self.session.account or None)
        safe = "".join(c if c.isalnum() or c in "@._-" else "_" for c in acc.email)
        folder = paths.home() / "exports"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = folder / f"{safe}.ini"
        if target.resolve() != source.resolve():
            target.unlink(missing_ok=True)  # only this account, as it is now
            save_account(target, acc, make_default=True)
        self.session.ini_path = target
        self.session.account = acc.email
        return target


# --- environment, doctor, explain ----------------------------------------------------------------


@dataclass
class Reach:
    host: str
    port: int
    ok: bool
    text: str


def probe(host: str, port: int, timeout: float = 3.0) -> tuple[bool, Msg | str, float]:
    """TCP connect to host:port: (ok, reason in both languages, seconds)."""
    started = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True, "", time.monotonic() - started
    except OSError as exc:
        from ..i18n.oserrors import os_reason

        return False, os_reason(exc), time.monotonic() - started


REAL_HOSTS: dict[str, list[tuple[str, int]]] = {
    "google": [("oauth2.googleapis.com", 443), ("accounts.google.com", 443), ("smtp.gmail.com", 587)],
    "microsoft": [("login.microsoftonline.com", 443), ("smtp.office365.com", 587)],
}


class EnvironmentController(Controller):
    """Local or remote kernel, versions, and whether the token and SMTP hosts answer."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.rows: list[tuple[str, str]] = []
        self.reach: list[Reach] = []

    def versions(self) -> list[tuple[str, str]]:
        from importlib import metadata

        from .. import __version__

        rows = [("python", sys.version.split()[0]), ("oauthmail", __version__)]
        for dist in ("google-auth-oauthlib", "google-auth", "msal", "ipywidgets", "jupyterlab"):
            try:
                rows.append((dist, metadata.version(dist)))
            except metadata.PackageNotFoundError:
                rows.append((dist, "-"))
        return rows

    def targets(self) -> list[tuple[str, int]]:
        """The provider's token and SMTP hosts (both providers), plus the sandbox's own ports in the sandbox."""
        other = "microsoft" if self.session.provider == "google" else "google"
        real = REAL_HOSTS[self.session.provider] + REAL_HOSTS[other]
        if self.session.mode == "sandbox":
            sb = self.session.sandbox()
            base = urlsplit(str(sb.base_url))
            local = [(base.hostname or "127.0.0.1", int(base.port or 443)),
                     (str(sb.smtp_host), int(sb.smtp_starttls_port)), (str(sb.smtp_host), int(sb.smtp_ssl_port))]
            return local + real
        return real

    def check_async(self, timeout: float = 3.0) -> bool:
        return self.start_task(self.check, timeout)

    def check(self, timeout: float = 3.0) -> list[Reach]:
        lang = self.session.lang
        self._set("working", "…")
        try:
            from ..consent import detect_environment

            env = detect_environment()
            where = ENV_REMOTE.format(lang, label=env.label) if env.remote else ENV_LOCAL.format(lang)
        except Exception:
            where = ENV_LOCAL.format(lang)
        rows = [(ROW_KERNEL.format(lang), where), *self.versions()]
        if os.environ.get("BINDER_SERVICE_HOST") or os.environ.get("BINDER_LAUNCH_HOST"):
            rows.append((ROW_BINDER.format(lang), BINDER_NOTE.format(lang)))
        try:
            targets = self.targets()
        except Exception as exc:
            self._fail(exc)
            return []
        results: list[Reach] = [Reach(h, p, False, "") for h, p in targets]

        def run(i: int) -> None:
            ok, reason, secs = probe(targets[i][0], targets[i][1], timeout)
            text = REACH_OK.format(lang, ms=int(secs * 1000)) if ok else REACH_FAIL.format(lang, reason=reason)
            results[i] = Reach(targets[i][0], targets[i][1], ok, text)

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(targets))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout + 1)
        self.rows, self.reach = rows, results
        self._set("done", "")
        return results


class DoctorController(Controller):
    """Run the preflight checks on the session's INI."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.report: Any = None

    def run_async(self, path: str = "") -> bool:
        return self.start_task(self.run, path)

    def run(self, path: str = "") -> Any:
        try:
            ini = Path(path).expanduser() if path.strip() else self.session.ini()
            from ..doctor import run_doctor

            self._set("working", "…")
            if self.session.mode == "sandbox":  # a fresh kernel: bring the sandbox up (same ports) and trust its CA
                self.session.sandbox()
            from ..sandbox.lifecycle import ensure_for_ini

            ensure_for_ini(ini, self.session.account or None)  # made against a stopped sandbox: bring it up
            report = run_doctor(ini, account=self.session.account or None)
        except Exception as exc:
            self._fail(exc)
            return None
        self.report = report
        self.session.doctor_report = report
        self._set("done", "")
        return report


class ExplainController(Controller):
    """What an error text means and what to do, from the kit's catalog."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.entry: Any = None

    def explain(self, text: str) -> Any:
        from ..explain import NOT_RECOGNISED, NOT_RECOGNISED_FIX, explain

        if not (text or "").strip():
            self.entry = None
            self._set("failed", EXPLAIN_EMPTY.format(self.session.lang))
            return None
        self.entry = explain(text)
        if self.entry is None:
            self._set("done", NOT_RECOGNISED.format(self.session.lang) + " " + NOT_RECOGNISED_FIX.format(self.session.lang))
        else:
            self._set("done", self.entry.title.format(self.session.lang))
        return self.entry
