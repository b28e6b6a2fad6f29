"""What the notebook adds on top of :mod:`oauthmail.clients`: uploads as bytes, expiry dates, P1 warnings.

:mod:`oauthmail.clients` reads client files and typed values and says what is wrong with them;
a notebook gets an *uploaded* file as bytes (``bytes(upload.value[0].content)``) and never
writes it to disk, so :func:`parse_client_upload` turns the bytes into the parsed dict first
and names the uploaded file in every message.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from ..clients import NOT_JSON, NOT_JSON_HINT, ClientConfig, load_google_client
from ..errors import ConfigError
from ..i18n import Msg
from ..i18n.labels import L_APP_KIND, L_PUBLIC, quote

GOOGLE_WEB_REDIRECT = "http://127.0.0.1:48888/callback"
MICROSOFT_WEB_REDIRECT = "http://localhost:48888/callback"

FILE_EMPTY = Msg(en="The uploaded file {path} is empty.", ja="アップロードしたファイル {path} は空です。")
FILE_EMPTY_HINT = Msg(
    en="Download the client JSON again: Google Cloud console → Google Auth Platform → Clients → your OAuth "
    "client → Download JSON (⬇) (formerly APIs & Services → Credentials).",
    ja="クライアントの JSON をもう一度ダウンロードしてください: Google Cloud コンソールの「Google Auth Platform」→"
    "「クライアント」→ 作成した OAuth クライアント →「JSON をダウンロード」（⬇）。旧「API とサービス」→「認証情報」です。",
)
WARN_WEB_REDIRECT = Msg(
    en="This Web client does not list {uri} as a redirect URI, so Google would answer redirect_uri_mismatch. "
    "Add exactly {uri} under Authorized redirect URIs (same port, 127.0.0.1 not localhost, no trailing slash), "
    "save, wait a minute, and download the JSON again.",
    ja="このウェブ クライアントのリダイレクト URI に {uri} がないため、このままだと Google が redirect_uri_mismatch を"
    "返します。「承認済みのリダイレクト URI」に {uri} を一字一句そのまま（ポートも同じ、localhost ではなく 127.0.0.1、"
    "末尾の／なし）追加して保存し、1 分ほど待ってから JSON をダウンロードし直してください。",
)
EMPTY_SECRET = Msg(en="The client secret is empty.", ja="クライアント シークレットが空です。")
EMPTY_SECRET_HINT_MICROSOFT = Msg(
    en="Paste the secret's Value from Certificates & secrets (shown only right after you create it). For a "
    f"public client (device code sign-in, no secret), choose {quote(L_PUBLIC, 'en')} under "
    f"{quote(L_APP_KIND, 'en')} instead.",
    ja="「証明書とシークレット」で作成したシークレットの「値」を貼り付けてください（作成直後にしか表示されません）。"
    f"シークレットを使わないパブリック クライアント（デバイス コードでのサインイン）の場合は、{quote(L_APP_KIND, 'ja')}で"
    f"{quote(L_PUBLIC, 'ja')}を選んでください。",
)
BAD_DATE = Msg(en="\"{value}\" is not a date like 2027-05-31.", ja="「{value}」は 2027-05-31 のような日付ではありません。")
BAD_DATE_HINT = Msg(
    en="Enter the secret's \"Expires\" date from Certificates & secrets (or leave it empty).",
    ja="「証明書とシークレット」の「有効期限」の日付を入れてください（空欄でもかまいません）。",
)


def parse_client_upload(data: bytes, name: str = "client_secret.json") -> ClientConfig:
    """An uploaded Google client-secrets file (bytes) → :class:`ClientConfig`, errors naming the file."""
    if not data.strip():
        raise ConfigError(FILE_EMPTY, FILE_EMPTY_HINT, path=name, code="client_file_empty")
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(NOT_JSON, NOT_JSON_HINT, path=name, line=1, reason="not UTF-8 text",
                          code="client_not_json") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(NOT_JSON, NOT_JSON_HINT, path=name, line=exc.lineno, reason=exc.msg,
                          code="client_not_json") from None
    try:
        cfg = load_google_client(doc) if isinstance(doc, dict) else load_google_client({"": doc})
    except ConfigError as exc:
        if "path" in exc.params:
            exc.params["path"] = name
            exc.args = (exc.what("en"),)
        raise
    cfg.source = name
    warning = web_redirect_warning(cfg)
    if warning:
        cfg.warnings.append(warning)
    return cfg


def web_redirect_warning(cfg: ClientConfig) -> str:
    """P1: a Web client must list the kit's exact loopback redirect ("" when it does, or for Desktop)."""
    if cfg.provider != "google" or cfg.client_type != "web":
        return ""
    if GOOGLE_WEB_REDIRECT in cfg.redirect_uris:
        return ""
    return WARN_WEB_REDIRECT(uri=GOOGLE_WEB_REDIRECT)


def parse_expiry(text: str | date | None) -> date | None:
    """The client secret's expiry date for the record (empty → ``None``)."""
    if text is None or isinstance(text, date):
        return text
    t = text.strip()
    if not t:
        return None
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(t, fmt).date()
        except ValueError:
            continue
    raise ConfigError(BAD_DATE, BAD_DATE_HINT, value=t[:40], code="bad_date")
