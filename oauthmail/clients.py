"""Reading what the consoles give you: a Google client JSON, or Azure app values.

A person downloads ``client_secret_<id>.json`` from the Google Cloud console (``installed`` for a
Desktop app, ``web`` for a Web application) or copies three values from the Entra admin center
(Application (client) ID, a client secret *Value*, the tenant). The commonest mistakes are a wrong
file (a service-account key, an API key), a JSON downloaded after the secret stopped being shown
(P17), an old file still listing the retired OOB address (P16), and pasting the Secret *ID* instead
of the secret *Value* (P25). Each is said here, before any browser opens.

::

    client = load_google_client("client_secret_123.json")      # or a dict
    client = google_client_from_values("123.apps.googleusercontent.com", "GOCSPX-...")
    client = microsoft_client("11111111-2222-3333-4444-555555555555", "secret-value", tenant="contoso.com")
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from .errors import ConfigError
from .i18n import Msg
from .providers import (
    GOOGLE_AUTH_URI,
    GOOGLE_TOKEN_URI,
    LOOPBACK_HOSTS,
    is_https_url,
    is_known_microsoft_host,
    microsoft_authority,
)
from .secrets import mask, remember

ClientType = Literal["web", "installed", "confidential", "public"]

OOB_URIS = ("urn:ietf:wg:oauth:2.0:oob", "urn:ietf:wg:oauth:2.0:oob:auto", "oob")
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TENANT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-]{0,252}$")
_API_KEY_RE = re.compile(r"AIza[0-9A-Za-z_\-]{20,}")

# --- messages -------------------------------------------------------------------------------------

FILE_NOT_FOUND = Msg(en="The client file {path} does not exist.", ja="クライアント ファイル {path} が見つかりません。")
FILE_NOT_FOUND_HINT = Msg(
    en="Check the path. In Google Cloud console → APIs & Services → Credentials, the download button (⬇) "
    "next to your OAuth client saves a file named client_secret_<id>.json.",
    ja="パスを確認してください。Google Cloud コンソール →「Google Auth Platform」→「クライアント」（旧「API とサービス」→「認証情報」）で OAuth クライアントのダウンロード ボタン（⬇）を押すと、client_secret_<ID>.json という名前のファイルが保存されます。",
)
FILE_UNREADABLE = Msg(en="The client file {path} cannot be read ({reason}).",
                      ja="クライアント ファイル {path} を読めません（{reason}）。")
FILE_UNREADABLE_HINT = Msg(en="Check that the file belongs to you and is readable.",
                           ja="ファイルの所有者が自分であること、読み取れることを確認してください。")
NOT_JSON = Msg(en="{path} is not a JSON file (line {line}: {reason}).",
               ja="{path} は JSON ファイルではありません（{line} 行目: {reason}）。")
NOT_JSON_HINT = Msg(
    en="Use the file the Google Cloud console downloads for an OAuth client (client_secret_<id>.json), "
    "unchanged. Opening and saving it in a word processor can break it; download it again.",
    ja="Google Cloud コンソールで OAuth クライアントからダウンロードしたファイル（client_secret_<ID>.json）を"
    "そのまま使ってください。ワープロ等で開いて保存すると壊れることがあります。もう一度ダウンロードしてください。",
)
SERVICE_ACCOUNT = Msg(en="{path} is a service-account key, not an OAuth client.",
                      ja="{path} はサービス アカウントの鍵で、OAuth クライアントではありません。")
SERVICE_ACCOUNT_HINT = Msg(
    en="Sending as a person needs an OAuth client ID: Google Cloud console → APIs & Services → Credentials → "
    "Create credentials → OAuth client ID (Desktop app or Web application), then download its JSON.",
    ja="個人のメールボックスから送るには OAuth クライアント ID が必要です。Google Cloud コンソール →「Google Auth Platform」→「クライアント」→「クライアントを作成」（旧「認証情報」→「認証情報を作成」→「OAuth クライアント ID」）で「デスクトップ アプリ」または「ウェブ アプリケーション」を作成し、その JSON をダウンロードしてください。",
)
API_KEY = Msg(en="{path} holds an API key, not an OAuth client.",
              ja="{path} に入っているのは API キーで、OAuth クライアントではありません。")
NOT_CLIENT = Msg(en="{path} is not a Google OAuth client file (it has no \"web\" or \"installed\" section).",
                 ja="{path} は Google の OAuth クライアントのファイルではありません（\"web\" も \"installed\" もありません）。")
FIELD_MISSING = Msg(en="{path}: the \"{section}\" section has no {field}.",
                    ja="{path}: \"{section}\" の中に {field} がありません。")
FIELD_MISSING_HINT = Msg(
    en="Download the JSON again from Google Cloud console → APIs & Services → Credentials → your OAuth client.",
    ja="Google Cloud コンソール →「Google Auth Platform」→「クライアント」（旧「認証情報」）→ 対象の OAuth クライアントから JSON をもう一度ダウンロードしてください。",
)
SECRET_MISSING = Msg(en="{path} has no client secret.", ja="{path} にクライアント シークレットが入っていません。")
SECRET_MISSING_HINT = Msg(
    en="Google only shows a client secret when it is created. Download the JSON at creation time, or add a new "
    "secret on the client page (Credentials → your client → Add secret) and download the JSON again.",
    ja="Google はクライアント シークレットを作成時にしか表示しません。作成直後に JSON をダウンロードするか、"
    "「クライアント」（旧「認証情報」）→ 対象のクライアント →「シークレットを追加」で新しいシークレットを作り、"
    "JSON をダウンロードし直してください。",
)
OOB_ONLY = Msg(
    en="{path} lists the copy-the-code address (urn:ietf:wg:oauth:2.0:oob). Google shut that page down in 2022-2023; "
    "the kit uses the loopback address instead.",
    ja="{path} にはコードをコピーする方式のアドレス（urn:ietf:wg:oauth:2.0:oob）が書かれています。この方式は Google が"
    " 2022〜2023 年に終了しました。このキットは代わりにループバック アドレスを使います。",
)
FIELD_BAD = Msg(en="{path}: in the \"{section}\" section, {field} is not a list of addresses.",
                ja="{path}: \"{section}\" の {field} がアドレスのリストになっていません。")
TOO_DEEP = Msg(en="nested too deeply", ja="入れ子が深すぎます")
BAD_URI = Msg(en="{path}: {field} = {value} is not an https:// address.",
              ja="{path}: {field} = {value} は https:// のアドレスではありません。")
EMPTY_VALUE = Msg(en="The {field} is empty.", ja="{field} が空です。")
EMPTY_VALUE_HINT = Msg(en="Copy it from the console and try again.", ja="コンソールからコピーして、もう一度お試しください。")
CONTROL_CHARS = Msg(en="The {field} contains spaces or line breaks.", ja="{field} に空白や改行が含まれています。")
CONTROL_CHARS_HINT = Msg(en="Copy the value again without anything around it.",
                         ja="前後に何も付けずに、値だけをもう一度コピーしてください。")
BAD_CLIENT_TYPE = Msg(en="Unknown Google client type {value!r} (expected web or installed).",
                      ja="Google のクライアントの種類 {value!r} は使えません（web か installed です）。")
BAD_CLIENT_TYPE_HINT = Msg(en="Use \"web\" for a Web application client and \"installed\" for a Desktop app client.",
                           ja="ウェブ アプリケーションなら \"web\"、デスクトップ アプリなら \"installed\" を指定してください。")
NOT_GUID = Msg(en="The Application (client) ID {value} is not a GUID like 11111111-2222-3333-4444-555555555555.",
               ja="アプリケーション (クライアント) ID {value} が 11111111-2222-3333-4444-555555555555 のような GUID の形ではありません。")
NOT_GUID_HINT = Msg(
    en="Copy 'Application (client) ID' from Entra admin center → App registrations → your app → Overview "
    "(not the Object ID, not the app's name).",
    ja="Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」→ 対象のアプリ →「概要」の「アプリケーション (クライアント) ID」をコピーしてください"
    "（オブジェクト ID やアプリ名ではありません）。",
)
SECRET_LOOKS_LIKE_ID = Msg(
    en="warning: the client secret looks like a GUID, which is what the 'Secret ID' column shows. Microsoft needs the "
    "secret 'Value' (a longer text shown only once, when the secret is created).",
    ja="警告: 入力されたクライアント シークレットが GUID の形をしています。それは「シークレット ID」列の値です。"
    "必要なのはシークレットの「値」（作成時に一度だけ表示される長い文字列）です。",
)
BAD_TENANT = Msg(en="The tenant {value!r} is not valid.", ja="テナント {value!r} は正しくありません。")
BAD_TENANT_HINT = Msg(
    en="Use common, organizations, consumers, your tenant ID (a GUID from Entra admin center → Overview) or your "
    "domain (contoso.onmicrosoft.com).",
    ja="common、organizations、consumers、テナント ID（Microsoft Entra 管理センター →「Entra ID」→「概要」の GUID）、またはドメイン"
    "（contoso.onmicrosoft.com など）を指定してください。",
)
BAD_AUTHORITY = Msg(en="The authority {value!r} is not an https:// address with a tenant.",
                    ja="サインイン先（authority）{value!r} がテナント付きの https:// アドレスではありません。")
BAD_AUTHORITY_HINT = Msg(
    en="Give it like https://login.microsoftonline.com/<tenant> (or login.microsoftonline.us / "
    "login.partner.microsoftonline.cn for government and China clouds).",
    ja="https://login.microsoftonline.com/<テナント> の形で指定してください（政府機関向けは login.microsoftonline.us、"
    "中国は login.partner.microsoftonline.cn）。",
)
API_KEY_HINT = Msg(
    en="An API key cannot sign in to a mailbox. Create an OAuth client ID (Desktop app or Web application) under "
    "APIs & Services → Credentials and download its JSON.",
    ja="API キーではメールボックスにサインインできません。Google Auth Platform の「クライアント」（旧「API とサービス」→「認証情報」）で「デスクトップ アプリ」または「ウェブ アプリケーション」の OAuth クライアントを作成し、その JSON をダウンロードしてください。",
)
NOT_CLIENT_HINT = Msg(
    en="Download the JSON from Google Cloud console → APIs & Services → Credentials → OAuth 2.0 Client IDs → ⬇.",
    ja="Google Cloud コンソール →「Google Auth Platform」→「クライアント」（旧「API とサービス」→「認証情報」→「OAuth 2.0 クライアント ID」）の ⬇ から JSON をダウンロードしてください。",
)


# --- the config -----------------------------------------------------------------------------------


@dataclass
class ClientConfig:
    """An OAuth client as the consent step needs it. ``repr`` masks the secret."""

    provider: Literal["google", "microsoft"]
    client_type: ClientType
    client_id: str
    client_secret: str = ""
    auth_uri: str = ""
    token_uri: str = ""
    redirect_uris: list[str] = field(default_factory=list)
    authority: str = ""
    tenant: str = ""
    project_id: str = ""
    source: str = ""
    #: Texts for the person (already in the current language), e.g. the OOB or Secret-ID warnings.
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        remember(self.client_secret)  # redacted from every later output of this process

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "client_secret":
                value = mask(value)
            shown.append(f"{f.name}={value!r}")
        return f"ClientConfig({', '.join(shown)})"

    @property
    def is_public(self) -> bool:
        """Whether no secret is sent (Microsoft public client)."""
        return self.client_type == "public"

    def google_config(self) -> dict[str, Any]:
        """The ``{"web"|"installed": {...}}`` dict ``Flow.from_client_config`` takes."""
        section: dict[str, Any] = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "auth_uri": self.auth_uri or GOOGLE_AUTH_URI,
            "token_uri": self.token_uri or GOOGLE_TOKEN_URI,
            "redirect_uris": list(self.redirect_uris),
        }
        if self.project_id:
            section["project_id"] = self.project_id
        return {self.client_type: section}

    def to_dict(self) -> dict[str, Any]:
        """Plain data (secret included) for a saved flow; see :meth:`from_dict`."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "warnings"}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClientConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# --- small pure checks ---------------------------------------------------------------------------


def is_guid(value: str) -> bool:
    """``11111111-2222-3333-4444-555555555555`` (Entra ids, Secret IDs)."""
    return bool(GUID_RE.match(value.strip()))


def is_oob(uri: str) -> bool:
    """Whether a redirect URI is one of Google's retired copy-the-code addresses."""
    return uri.strip().lower() in OOB_URIS


def is_loopback_uri(uri: str) -> bool:
    """``http://127.0.0.1…``, ``http://localhost…`` or ``http://[::1]…``."""
    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def _clean(value: str | None, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ConfigError(EMPTY_VALUE, EMPTY_VALUE_HINT, field=what, code="empty_value")
    if any(c.isspace() or ord(c) < 32 for c in text):
        raise ConfigError(CONTROL_CHARS, CONTROL_CHARS_HINT, field=what, code="control_chars")
    return text


def _check_url(value: str, path: str, name: str) -> str:
    # Parsed, not compared by prefix: https://accounts.google.com@evil.example/ is evil.example's.
    if not is_https_url(value):
        raise ConfigError(BAD_URI, FIELD_MISSING_HINT, path=path, field=name, value=value[:200], code="bad_uri")
    return value


# --- Google --------------------------------------------------------------------------------------


def load_google_client(source: str | Path | dict[str, Any] | ClientConfig) -> ClientConfig:
    """Read a Google client JSON (path or parsed dict) and say clearly what is wrong with it."""
    if isinstance(source, ClientConfig):
        return source
    if isinstance(source, dict):
        return _google_from_data(source, "<client config>")
    path = Path(source).expanduser()
    shown = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(FILE_NOT_FOUND, FILE_NOT_FOUND_HINT, path=shown, code="client_file_not_found") from None
    except OSError as exc:
        raise ConfigError(FILE_UNREADABLE, FILE_UNREADABLE_HINT, path=shown,
                          reason=exc.strerror or type(exc).__name__, code="client_file_unreadable") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(NOT_JSON, NOT_JSON_HINT, path=shown, line=1, reason="not UTF-8 text",
                          code="client_not_json") from None
    if _API_KEY_RE.search(text) and not text.lstrip().startswith("{"):
        raise ConfigError(API_KEY, API_KEY_HINT, path=shown, code="client_api_key")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(NOT_JSON, NOT_JSON_HINT, path=shown, line=exc.lineno, reason=exc.msg,
                          code="client_not_json") from None
    except RecursionError:
        raise ConfigError(NOT_JSON, NOT_JSON_HINT, path=shown, line=1, reason=TOO_DEEP.format(None),
                          code="client_not_json") from None
    if not isinstance(data, dict):
        raise ConfigError(NOT_CLIENT, NOT_CLIENT_HINT, path=shown, code="client_not_oauth")
    cfg = _google_from_data(data, shown)
    cfg.source = shown
    return cfg


def _google_from_data(data: dict[str, Any], shown: str) -> ClientConfig:
    if data.get("type") == "service_account" or "private_key" in data:
        raise ConfigError(SERVICE_ACCOUNT, SERVICE_ACCOUNT_HINT, path=shown, code="client_service_account")
    kind = "web" if isinstance(data.get("web"), dict) else "installed" if isinstance(data.get("installed"), dict) else ""
    if not kind:
        if any(isinstance(v, str) and _API_KEY_RE.fullmatch(v) for v in data.values()):
            raise ConfigError(API_KEY, API_KEY_HINT, path=shown, code="client_api_key")
        raise ConfigError(NOT_CLIENT, NOT_CLIENT_HINT, path=shown, code="client_not_oauth")
    section: dict[str, Any] = data[kind]
    for name in ("client_id", "auth_uri", "token_uri"):
        if not isinstance(section.get(name), str) or not section[name].strip():
            raise ConfigError(FIELD_MISSING, FIELD_MISSING_HINT, path=shown, section=kind, field=name,
                              code="client_field_missing")
    secret = section.get("client_secret")
    if not isinstance(secret, str) or not secret.strip():
        raise ConfigError(SECRET_MISSING, SECRET_MISSING_HINT, path=shown, code="client_secret_missing")
    listed = section.get("redirect_uris")
    if listed is not None and not (isinstance(listed, list) and all(isinstance(u, str) for u in listed)):
        raise ConfigError(FIELD_BAD, FIELD_MISSING_HINT, path=shown, section=kind, field="redirect_uris",
                          code="client_field_bad")
    uris = list(listed or [])
    warnings = []
    if any(is_oob(u) for u in uris):
        warnings.append(OOB_ONLY.format(None, path=shown))
    return ClientConfig(
        provider="google",
        client_type=kind,  # type: ignore[arg-type]
        client_id=section["client_id"].strip(),
        client_secret=secret.strip(),
        auth_uri=_check_url(section["auth_uri"].strip(), shown, "auth_uri"),
        token_uri=_check_url(section["token_uri"].strip(), shown, "token_uri"),
        redirect_uris=[u for u in uris if not is_oob(u)],
        project_id=str(section.get("project_id") or ""),
        warnings=warnings,
    )


def google_client_from_values(
    client_id: str,
    client_secret: str,
    *,
    client_type: str = "web",
    auth_uri: str = GOOGLE_AUTH_URI,
    token_uri: str = GOOGLE_TOKEN_URI,
    redirect_uris: list[str] | None = None,
) -> ClientConfig:
    """A Google client from values typed into a form (id and secret copied from the console)."""
    if client_type not in ("web", "installed"):
        raise ConfigError(BAD_CLIENT_TYPE, BAD_CLIENT_TYPE_HINT, value=client_type, code="client_type")
    cid = _clean(client_id, "client ID / クライアント ID")
    secret = (client_secret or "").strip()
    if not secret:
        raise ConfigError(SECRET_MISSING, SECRET_MISSING_HINT, path="client ID " + cid, code="client_secret_missing")
    secret = _clean(secret, "client secret / クライアント シークレット")
    data = {client_type: {"client_id": cid, "client_secret": secret, "auth_uri": auth_uri, "token_uri": token_uri,
                          "redirect_uris": list(redirect_uris or [])}}
    return _google_from_data(data, "<values>")


# --- Microsoft -----------------------------------------------------------------------------------


def tenant_from_authority(authority: str) -> str:
    """The first path segment of an authority URL (``common``, a GUID, a domain), or ``""``."""
    segments = [s for s in urlsplit(authority).path.split("/") if s]
    return segments[0] if segments else ""


def microsoft_client(
    client_id: str,
    client_secret: str | None = None,
    *,
    tenant: str = "common",
    authority: str | None = None,
) -> ClientConfig:
    """An Entra app registration: confidential with a secret (Web platform), else public."""
    cid = _clean(client_id, "Application (client) ID / アプリケーション (クライアント) ID")
    if not is_guid(cid):
        raise ConfigError(NOT_GUID, NOT_GUID_HINT, value=cid[:60], code="client_id_not_guid")
    warnings: list[str] = []
    secret = (client_secret or "").strip()
    if secret:
        secret = _clean(secret, "client secret / クライアント シークレット")
        if is_guid(secret):
            warnings.append(SECRET_LOOKS_LIKE_ID.format(None))
    if authority:
        auth = authority.strip().rstrip("/")
        tenant_seg = tenant_from_authority(auth) if is_https_url(auth) else ""
        if not tenant_seg:
            raise ConfigError(BAD_AUTHORITY, BAD_AUTHORITY_HINT, value=authority[:200], code="bad_authority")
        ten = tenant_seg
    else:
        ten = (tenant or "common").strip()
        if not _TENANT_RE.match(ten):
            raise ConfigError(BAD_TENANT, BAD_TENANT_HINT, value=ten[:80], code="bad_tenant")
        auth = microsoft_authority(ten)
    return ClientConfig(
        provider="microsoft",
        client_type="confidential" if secret else "public",
        client_id=cid.lower(),
        client_secret=secret,
        authority=auth,
        tenant=ten,
        warnings=warnings,
    )


def needs_instance_discovery_off(authority: str) -> bool:
    """MSAL must not ask Microsoft about hosts it does not know (test providers, private clouds)."""
    return not is_known_microsoft_host(authority)


def msal_http_client(*, verify: bool | str = True, timeout: float | None = None) -> Any:
    """The ``requests`` session to give MSAL, as MSAL would build it (one retry), minus its reference cycle.

    Why: MSAL's own session carries its timeout as ``session.request = partial(session.request, ...)``, a
    cycle, so its connections stay open until the cyclic garbage collector runs, and one made by a
    constructor that raised (a wrong authority) cannot be reached to close. The caller closes this one
    (``app.http_client.close()`` or this object's ``close()``) when the call is done.
    """
    import requests.adapters

    session = _timeout_session_class()()
    session.default_timeout = timeout
    session.verify = verify
    adapter = requests.adapters.HTTPAdapter(max_retries=1)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@functools.cache
def _timeout_session_class() -> type[Any]:
    """``requests.Session`` with a timeout for every request (made once: ``requests`` is imported lazily)."""
    import requests

    class TimeoutSession(requests.Session):
        default_timeout: float | None = None

        def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            if self.default_timeout is not None:
                kwargs.setdefault("timeout", self.default_timeout)
            return super().request(*args, **kwargs)

    return TimeoutSession
