"""Setup records: who set up which mailbox, how, and when — for an auditor or the next admin.

A record holds what the token INI says about an account (provider, shortened client id, client
type, redirect URI, scopes, tenant, SMTP host/port/security, transport), the notebook's ticked
steps with their times, the doctor's results, the test send's result with its masked transcript,
the kit's and the libraries' versions, and ``user@host`` + time. It never holds a secret: the
fields are chosen one by one (the INI is not copied), and every string goes through
:func:`oauthmail.secrets.redact` with the account's real secret values before it is written.

Usage::

    rec = build_record("oauthmail.ini", steps=checklist, doctor=report, send_result=result)
    write_record(rec, "setup.html")          # or .md / .json; default: OAUTHMAIL_HOME/records/
"""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import html
import json
import platform
import socket
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import __version__, tokenfile
from .errors import ConfigError
from .i18n import Msg, current_language, normalize_lang
from .secrets import printable, redact, shorten_id

FORMATS = ("md", "json", "html")
RECORD_VERSION = 1

#: Libraries whose versions go into a record (absent ones are listed as "-").
LIBRARIES = ("google-auth", "google-auth-oauthlib", "msal", "requests", "cryptography", "ipywidgets")

BAD_FORMAT = Msg(
    en="A record can be written as .md, .json or .html, not {suffix!r} ({path}).",
    ja="記録の形式は .md・.json・.html のいずれかです。{suffix!r} は使えません（{path}）。",
)
BAD_FORMAT_HINT = Msg(
    en="Give --out a file name ending in .md, .json or .html.",
    ja="--out には .md・.json・.html で終わるファイル名を指定してください。",
)
BAD_RECORD = Msg(
    en="{path} is not a setup record in JSON ({reason}).",
    ja="{path} は JSON 形式のセットアップ記録ではありません（{reason}）。",
)
BAD_RECORD_HINT = Msg(
    en="Use the .json record written by `oauthmail record --out FILE.json` (Markdown and HTML records are for "
    "people, not for re-checking).",
    ja="`oauthmail record --out ファイル.json` で書いた .json の記録を指定してください（Markdown と HTML の記録は"
    "人が読むためのもので、診断のやり直しには使えません）。",
)

BAD_STEPS = Msg(
    en="{path} is not a checklist in JSON ({reason}).",
    ja="{path} は JSON 形式のチェックリストではありません（{reason}）。",
)
BAD_STEPS_HINT = Msg(
    en='Give a JSON list like [{{"id": "consent", "label": "Consent", "done": true, "at": "2026-11-21T10:00:00Z"}}].',
    ja='[{{"id": "consent", "label": "同意", "done": true, "at": "2026-11-21T10:00:00Z"}}] のような JSON の配列を指定してください。',
)

T_TITLE = Msg(en="oauthmail setup record", ja="oauthmail セットアップ記録")
T_SETUP = Msg(en="Setup", ja="設定内容")
T_STEPS = Msg(en="Steps", ja="手順")
T_DOCTOR = Msg(en="Checks (oauthmail doctor)", ja="診断結果（oauthmail doctor）")
T_SEND = Msg(en="Test message", ja="テスト送信")
T_TRANSCRIPT = Msg(en="SMTP transcript (secrets masked)", ja="SMTP のやり取り（秘密情報は伏せ字）")
T_VERSIONS = Msg(en="Versions", ja="バージョン")
T_EXTRA = Msg(en="Notes", ja="補足")
T_NO_SECRET = Msg(
    en="This record contains no client secret, refresh token or access token.",
    ja="この記録にはクライアント シークレット・リフレッシュ トークン・アクセス トークンは含まれていません。",
)
T_NONE = Msg(en="(none)", ja="（なし）")
T_DONE = Msg(en="done", ja="完了")
T_NOT_DONE = Msg(en="not done", ja="未完了")
T_SENT_OK = Msg(en="delivered to the server", ja="サーバーが受け付けました")
T_SENT_FAIL = Msg(en="failed", ja="失敗")

#: Field labels, in the order they are shown.
FIELD_LABELS: dict[str, Msg] = {
    "created_at": Msg(en="Recorded at", ja="記録日時"),
    "who": Msg(en="Recorded by", ja="記録者"),
    "provider": Msg(en="Provider", ja="プロバイダー"),
    "account": Msg(en="Account (mailbox)", ja="アカウント（メールボックス）"),
    "client_id": Msg(en="Client ID (shortened)", ja="クライアント ID（短縮表示）"),
    "client_type": Msg(en="Client type", ja="クライアントの種類"),
    "client_secret_set": Msg(en="Client secret stored", ja="クライアント シークレットの保存"),
    "client_secret_expires_at": Msg(en="Client secret expires", ja="クライアント シークレットの有効期限"),
    "redirect_uri": Msg(en="Redirect URI", ja="リダイレクト URI"),
    "scopes": Msg(en="Scopes", ja="スコープ"),
    "tenant": Msg(en="Tenant", ja="テナント"),
    "authority": Msg(en="Authority", ja="認証機関（authority）"),
    "token_uri": Msg(en="Token URL", ja="トークン エンドポイント"),
    "smtp_host": Msg(en="SMTP host", ja="SMTP ホスト"),
    "smtp_port": Msg(en="SMTP port", ja="SMTP ポート"),
    "smtp_security": Msg(en="SMTP security", ja="SMTP の暗号化"),
    "sasl_mechanism": Msg(en="SASL mechanism", ja="SASL 方式"),
    "transport": Msg(en="Transport", ja="送信方法"),
    "ini_path": Msg(en="Token INI", ja="トークン INI"),
    "exports": Msg(en="Exported configurations (oauthmail export)", ja="書き出した設定（oauthmail export）"),
}

#: Fields `oauthmail doctor --record` compares between a record and the current INI.
COMPARED = ("provider", "account", "client_id_sha256", "client_type", "redirect_uri", "scopes", "tenant",
            "authority", "token_uri", "smtp_host", "smtp_port", "smtp_security", "sasl_mechanism", "transport")


# --- small pure helpers -----------------------------------------------------------------------------


def now_iso() -> str:
    """The current UTC time as ``2026-11-21T10:00:00Z``."""
    return datetime.now(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def who() -> str:
    """``user@host`` of the person running the kit (best effort, never fails)."""
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = "?"
    return f"{user}@{socket.gethostname() or '?'}"


def versions(libraries: Iterable[str] = LIBRARIES) -> dict[str, str]:
    """The kit's, Python's and the libraries' versions (``-`` when a library is not installed)."""
    from importlib import metadata

    out = {"oauthmail": __version__, "python": platform.python_version(), "platform": platform.platform()}
    for name in libraries:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return out


def tenant_of(authority: str) -> str:
    """The tenant part of ``https://login.microsoftonline.com/<tenant>`` (empty for none)."""
    parts = [p for p in authority.split("/")[3:] if p]
    return parts[0] if parts else ""


def client_type_of(acc: tokenfile.Account) -> str:
    """What kind of client the account uses: the INI's ``client_type`` if written, else a guess."""
    explicit = acc.extra.get("client_type", "").strip()
    if explicit:
        return explicit
    if acc.provider == "microsoft":
        return "confidential (web)" if acc.client_secret else "public"
    return "with secret (web or installed)" if acc.client_secret else "public (installed)"


def id_fingerprint(value: str) -> str:
    """A short hash of a client id: lets a re-check notice a changed id without showing it in full."""
    return hashlib.sha256(value.encode()).hexdigest()[:16] if value else ""


def scrub(value: Any, secrets: Iterable[str | None]) -> Any:
    """A deep copy of ``value`` with every string passed through :func:`redact` (the last defence)."""
    known = [s for s in secrets if s]
    if isinstance(value, str):
        return redact(value, known)
    if isinstance(value, Mapping):
        return {str(k): scrub(v, known) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v, known) for v in value]
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return redact(str(value), known)


def steps_from(items: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """The notebook checklist as ``{"id", "label", "done", "at"}`` dicts (other keys dropped)."""
    out: list[dict[str, Any]] = []
    for item in items or ():
        out.append({
            "id": str(item.get("id", "")),
            "label": str(item.get("label", "")),
            "done": bool(item.get("done", False)),
            "at": str(item.get("at") or ""),
        })
    return out


def read_steps(path: str | Path) -> list[dict[str, Any]]:
    """A checklist saved as JSON (for ``oauthmail record --steps FILE``)."""
    p = Path(path).expanduser()
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(BAD_STEPS, BAD_STEPS_HINT, path=str(p), reason=type(exc).__name__, code="bad_steps") from None
    if not isinstance(data, list) or not all(isinstance(x, dict) for x in data):
        raise ConfigError(BAD_STEPS, BAD_STEPS_HINT, path=str(p), reason="not a list of objects", code="bad_steps")
    return steps_from(data)


def send_from(result: Any) -> dict[str, Any] | None:
    """A test send (``oauthmail.mailer.SendResult`` or a dict of its keys) as a plain dict."""
    if result is None:
        return None
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        data: Mapping[str, Any] = dataclasses.asdict(result)
    elif callable(getattr(result, "to_dict", None)) and not isinstance(result, (type, Mapping)):
        data = result.to_dict()  # SendResult: a plain class (start-up time), same keys as asdict gave
    elif isinstance(result, Mapping):
        data = result
    else:
        data = {k: getattr(result, k) for k in ("ok", "message_id", "recipients", "transcript", "host", "port",
                                                "security", "elapsed", "account", "transport") if hasattr(result, k)}
    keys = ("ok", "message_id", "recipients", "refused", "transcript", "host", "port", "security", "elapsed",
            "account", "transport", "error")
    out = {k: data[k] for k in keys if k in data}
    if "elapsed" in out and isinstance(out["elapsed"], float):
        out["elapsed"] = round(out["elapsed"], 3)
    return out


def doctor_from(report: Any, lang: str | None = None) -> dict[str, Any] | None:
    """The doctor's report (``DoctorReport`` or its ``to_dict()``) as a plain dict, its texts in ``lang``."""
    if report is None:
        return None
    if isinstance(report, Mapping):
        return dict(report)
    to_dict = getattr(report, "to_dict", None)
    if callable(to_dict):
        result = to_dict(lang)
        if isinstance(result, dict):
            return result
    raise TypeError("doctor must be a DoctorReport or a dict")


# --- the record ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class SetupRecord:
    """One setup, secret-free; :meth:`to_dict` is what every format is rendered from."""

    account: str
    provider: str
    client_id: str
    client_id_sha256: str
    client_type: str
    client_secret_set: bool
    scopes: list[str]
    smtp_host: str
    smtp_port: int | None
    smtp_security: str
    sasl_mechanism: str
    transport: str
    redirect_uri: str = ""
    tenant: str = ""
    authority: str = ""
    token_uri: str = ""
    client_secret_expires_at: str = ""
    ini_path: str = ""
    #: ``tool=file; tool=file`` written by ``oauthmail export`` (which tool got which file).
    exports: str = ""
    steps: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    doctor: dict[str, Any] | None = None
    send: dict[str, Any] | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    versions: dict[str, str] = dataclasses.field(default_factory=dict)
    who: str = ""
    created_at: str = ""
    record_version: int = RECORD_VERSION

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (plain types only)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SetupRecord:
        """A record read back from its JSON form (unknown keys ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        for required in ("account", "provider", "client_id", "client_id_sha256", "client_type", "client_secret_set",
                         "scopes", "smtp_host", "smtp_port", "smtp_security", "sasl_mechanism", "transport"):
            kwargs.setdefault(required, "" if required not in ("scopes", "client_secret_set", "smtp_port") else
                              ([] if required == "scopes" else (False if required == "client_secret_set" else None)))
        return cls(**kwargs)


def record_from_account(
    acc: tokenfile.Account,
    *,
    ini_path: str = "",
    steps: Iterable[Mapping[str, Any]] | None = None,
    doctor: Any = None,
    send_result: Any = None,
    extra: Mapping[str, Any] | None = None,
    secrets: Iterable[str] = (),
    lang: str | None = None,
) -> SetupRecord:
    """The record for one account already read from an INI (pure apart from versions/who/time).

    ``secrets``: more values to scrub besides the account's own (e.g. every account of the INI).
    """
    from .mailer import smtp_settings

    smtp = smtp_settings(acc)
    rec = SetupRecord(
        account=acc.email,
        provider=acc.provider,
        client_id=shorten_id(acc.client_id),
        client_id_sha256=id_fingerprint(acc.client_id),
        client_type=client_type_of(acc),
        client_secret_set=bool(acc.client_secret),
        client_secret_expires_at=acc.extra.get("client_secret_expires_at", ""),
        scopes=list(acc.scopes),
        redirect_uri=acc.extra.get("redirect_uri", ""),
        tenant=tenant_of(acc.authority) if acc.provider == "microsoft" else "",
        authority=acc.authority,
        token_uri=acc.token_uri,
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        smtp_security=smtp.security,
        sasl_mechanism=smtp.mechanism,
        transport=acc.transport or "smtp",
        ini_path=ini_path,
        exports=acc.extra.get("exports", ""),
        steps=steps_from(steps),
        doctor=doctor_from(doctor, lang),
        send=send_from(send_result),
        extra=dict(extra or {}),
        versions=versions(),
        who=who(),
        created_at=now_iso(),
    )
    # Last line of defence: nothing that reaches a file may contain a secret of this account.
    cleaned = scrub(rec.to_dict(), [*acc.secrets(), *secrets])
    return SetupRecord.from_dict(cleaned)


def build_record(
    ini: str | Path,
    account: str | None = None,
    *,
    steps: Iterable[Mapping[str, Any]] | None = None,
    doctor: Any = None,
    send_result: Any = None,
    extra: Mapping[str, Any] | None = None,
    lang: str | None = None,
) -> SetupRecord:
    """The setup record of one account of a token INI (see :class:`SetupRecord`).

    ``lang`` picks the language of the doctor's texts kept in the record (default: the current one).
    """
    tf = tokenfile.read(ini)
    acc = tf.account(account)
    every = [s for a in tf.accounts.values() for s in a.secrets()]
    return record_from_account(acc, ini_path=str(Path(ini).expanduser()), steps=steps, doctor=doctor,
                               send_result=send_result, extra=extra, secrets=every, lang=lang)


# --- rendering --------------------------------------------------------------------------------------


T_YES = Msg(en="yes", ja="はい")
T_SECONDS = Msg(en="{n} s", ja="{n} 秒")
T_NO = Msg(en="no", ja="いいえ")


def _value_names() -> dict[str, dict[str, Msg]]:
    """Raw INI values shown to people by their names in the widgets (the raw value follows in brackets)."""
    from .i18n.labels import L_CONFIDENTIAL, L_KIND_DESKTOP, L_KIND_WEB, L_PUBLIC

    return {
        "provider": {"google": Msg(en="Google", ja="Google"), "microsoft": Msg(en="Microsoft", ja="Microsoft")},
        "client_type": {"web": L_KIND_WEB, "installed": L_KIND_DESKTOP, "confidential": L_CONFIDENTIAL,
                        "confidential (web)": L_CONFIDENTIAL, "public": L_PUBLIC,
                        "with secret (web or installed)": Msg(en="with a client secret (web or desktop)",
                                                              ja="クライアント シークレットあり（ウェブまたはデスクトップ）"),
                        "public (installed)": Msg(en="public client (desktop)", ja="パブリック クライアント（デスクトップ）")},
        "smtp_security": {"starttls": Msg(en="STARTTLS", ja="STARTTLS（平文で接続してから暗号化）"),
                          "ssl": Msg(en="SSL/TLS", ja="SSL/TLS（最初から暗号化）")},
        "security": {"starttls": Msg(en="STARTTLS", ja="STARTTLS"), "ssl": Msg(en="SSL/TLS", ja="SSL/TLS")},
        "transport": {"smtp": Msg(en="SMTP", ja="SMTP"), "graph": Msg(en="Microsoft Graph (HTTPS)",
                                                                      ja="Microsoft Graph（HTTPS）"),
                      "gmail-api": Msg(en="Gmail API (HTTPS)", ja="Gmail API（HTTPS）")},
    }


def _when(value: object, lang: str | None) -> str:
    """A recorded time as the reader reads it (Japanese: 「2026 年 12 月 2 日（水）…」); the JSON keeps ISO 8601."""
    from .i18n.dates import shown_iso_time

    return shown_iso_time(value, "ja" if _is_ja(lang) else "en")


def _value(key: str, value: Any, lang: str | None) -> str:
    if key.endswith("_at") and value:
        return _when(value, lang)
    if key == "scopes":
        return " ".join(value) if value else T_NONE.format(lang)
    if isinstance(value, bool):
        return (T_YES if value else T_NO).format(lang)
    if value in ("", None, []):
        return T_NONE.format(lang)
    name = _value_names().get(key, {}).get(str(value))
    if name is None:
        return str(value)
    shown = name.format(lang)
    if shown.lower().startswith(str(value).lower()):  # 「STARTTLS（…）」 already names it
        return shown
    return f"{shown}（{value}）" if (lang or current_language()) == "ja" else f"{shown} ({value})"


T_SEND_VIA = Msg(en="{where} ({security}, {transport}), {seconds}", ja="{where}（{security}、{transport}）、{seconds}")

#: The Notes section's keys (written by `oauthmail register microsoft`, the notebooks, `oauthmail record --extra`)
#: as people read them; the raw key follows in brackets so a search still finds it.
EXTRA_LABELS: dict[str, Msg] = {
    "provider": Msg(en="Provider", ja="プロバイダー"),
    "created_by": Msg(en="Created by", ja="作成したコマンド"),
    "created_at": Msg(en="Created at", ja="作成日時"),
    "display_name": Msg(en="App name", ja="アプリの名前"),
    "app_id": Msg(en="Application (client) ID", ja="アプリケーション (クライアント) ID"),
    "object_id": Msg(en="Object ID", ja="オブジェクト ID"),
    "service_principal_id": Msg(en="Service principal", ja="サービス プリンシパル"),
    "tenant_id": Msg(en="Tenant ID", ja="テナント ID"),
    "tenant_name": Msg(en="Tenant name", ja="テナント名"),
    "authority": Msg(en="Authority", ja="認証機関"),
    "graph_url": Msg(en="Microsoft Graph address", ja="Microsoft Graph のアドレス"),
    "client_type": Msg(en="Client type", ja="クライアントの種類"),
    "sign_in_audience": Msg(en="Supported account types", ja="サポートされているアカウントの種類"),
    "redirect_uris": Msg(en="Redirect URIs", ja="リダイレクト URI"),
    "permissions": Msg(en="API permissions", ja="API のアクセス許可"),
    "transport": Msg(en="Transport", ja="送信方法"),
    "secret_expires_at": Msg(en="Client secret expires", ja="クライアント シークレットの有効期限"),
    "secret_key_id": Msg(en="Secret ID", ja="シークレット ID"),
    "tenant_wide_consent": Msg(en="Consent for the whole organisation", ja="組織全体への同意"),
    "admin_consent_url": Msg(en="Admin consent address", ja="管理者の同意用アドレス"),
    "signed_in_as": Msg(en="Signed in as", ja="サインインしたアカウント"),
    "admin": Msg(en="Signed in as an admin", ja="管理者としてサインイン"),
    "bootstrap_client": Msg(en="Client used to create the app", ja="アプリの作成に使ったクライアント"),
    "notebook_mode": Msg(en="Notebook mode", ja="ノートブックのモード"),
    "notebook_language": Msg(en="Notebook language", ja="ノートブックの言語"),
    "autorun": Msg(en="Run automatically", ja="自動実行"),
    "auto_ticked_steps": Msg(en="Steps ticked automatically", ja="自動でチェックした手順"),
    "client_secret_expires": Msg(en="Client secret expires", ja="クライアント シークレットの有効期限"),
    "consent_warnings": Msg(en="Warnings at consent", ja="同意のときの警告"),
    "project_id": Msg(en="Google Cloud project ID", ja="Google Cloud のプロジェクト ID"),
    "gcloud_account": Msg(en="gcloud account", ja="gcloud のアカウント"),
    "client_json": Msg(en="Client JSON file", ja="クライアント JSON のファイル"),
}


def _is_ja(lang: str | None) -> bool:
    return (normalize_lang(lang) if lang else current_language()) == "ja"


def _extra_label(key: object, lang: str | None) -> str:
    label = EXTRA_LABELS.get(str(key))
    if label is None:
        return str(key)
    return f"{label.format(lang)}（{key}）" if _is_ja(lang) else str(key)


def _extra_value(key: object, value: object, lang: str | None) -> str:
    if isinstance(value, bool) or str(value) in ("True", "False"):
        return (T_YES if str(value) == "True" else T_NO).format(lang)
    if not _is_ja(lang):
        return ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
    if isinstance(value, str) and key in ("redirect_uris", "permissions", "auto_ticked_steps"):
        value = value.split(", ")  # lists the registration wrote as one string
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    if key == "client_type":  # `register microsoft` writes web / public
        shown = _value("client_type", {"web": "confidential"}.get(str(value), value), lang)
        return shown.replace("（confidential）", f"（{value}）")
    if key in ("provider", "transport"):
        return _value(str(key), value, lang)
    if str(key).endswith("_at"):  # client_secret_expires_at, created_at
        return _when(value, lang)
    return str(value)


_MARK = {"pass": "✔", "warn": "⚠", "fail": "✖", "skip": "-"}


def render_json(rec: SetupRecord) -> str:
    return json.dumps(rec.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _md_cell(text: str) -> str:
    """Text for one Markdown line or table cell: HTML escaped (Markdown viewers render raw HTML: a server reply
    holding ``<img src=…>`` or ``<script>`` must stay text), no terminal control, ``|`` escaped, one line."""
    import html

    return html.escape(printable(text), quote=False).replace("|", "\\|").replace("\n", " ")


def render_markdown(rec: SetupRecord, lang: str | None = None) -> str:
    d = rec.to_dict()
    out = [f"# {T_TITLE.format(lang)}: {_md_cell(rec.account)}", "", f"_{T_NO_SECRET.format(lang)}_", "",
           f"## {T_SETUP.format(lang)}", "", "| | |", "|---|---|"]
    for key, label in FIELD_LABELS.items():
        out.append(f"| {label.format(lang)} | {_md_cell(_value(key, d.get(key), lang))} |")
    out += ["", f"## {T_STEPS.format(lang)}", ""]
    if rec.steps:
        for s in rec.steps:
            mark = "x" if s["done"] else " "
            when = (f"（{_when(s['at'], lang)}）" if _is_ja(lang) else f" ({s['at']})") if s["at"] else ""
            out.append(f"- [{mark}] {_md_cell(s['label'] or s['id'])}{when}")
    else:
        out.append(T_NONE.format(lang))
    out += ["", f"## {T_DOCTOR.format(lang)}", ""]
    checks = (rec.doctor or {}).get("checks") or []
    if checks:
        out += ["| | | | |", "|---|---|---|---|"]
        for c in checks:
            out.append(f"| {_MARK.get(c.get('status', ''), '?')} | {_md_cell(str(c.get('title', c.get('id', ''))))} "
                       f"| {_md_cell(str(c.get('detail', '')))} | {_md_cell(str(c.get('fix') or ''))} |")
    else:
        out.append(T_NONE.format(lang))
    out += ["", f"## {T_SEND.format(lang)}", ""]
    if rec.send:
        s = rec.send
        status = T_SENT_OK.format(lang) if s.get("ok") else T_SENT_FAIL.format(lang)
        out.append(f"- {status}: {_md_cell(str(s.get('message_id', '')))} → "
                   f"{_md_cell(', '.join(s.get('recipients') or []))}")
        out.append(_md_cell("- " + T_SEND_VIA.format(lang, where=f"{s.get('host', '')}:{s.get('port', '')}",
                                                    security=_value('security', s.get('security', ''), lang),
                                                    transport=_value('transport', s.get('transport', 'smtp'), lang),
                                                    seconds=T_SECONDS.format(lang, n=s.get('elapsed', '')))))
        if s.get("transcript"):
            out += ["", f"### {T_TRANSCRIPT.format(lang)}", "", "```", printable(str(s["transcript"])).replace("```", "'''"),
                    "```"]
    else:
        out.append(T_NONE.format(lang))
    if rec.extra:
        out += ["", f"## {T_EXTRA.format(lang)}", ""]
        out += [f"- {_md_cell(_extra_label(k, lang))}: {_md_cell(_extra_value(k, v, lang))}" for k, v in rec.extra.items()]
    out += ["", f"## {T_VERSIONS.format(lang)}", ""]
    out += [f"- {_md_cell(str(k))}: {_md_cell(str(v))}" for k, v in rec.versions.items()]
    return "\n".join(out) + "\n"


_CSS = ("body{font-family:system-ui,'Hiragino Sans','Yu Gothic',sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;color:#222}table{border-collapse:collapse;width:100%;margin:.5rem 0}"
        "td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
        "pre{background:#f5f5f5;padding:.7rem;overflow-x:auto;font-size:.85rem}.pass{color:#1a7f37}"
        ".fail{color:#cf222e}.warn{color:#9a6700}.note{color:#555;font-style:italic}")


def render_html(rec: SetupRecord, lang: str | None = None) -> str:
    e = html.escape
    d = rec.to_dict()
    parts = [f"<!DOCTYPE html><html lang=\"{'ja' if _is_ja(lang) else 'en'}\"><head>"
             "<meta charset=\"utf-8\">", f"<title>{e(T_TITLE.format(lang))}: {e(rec.account)}</title>",
             f"<style>{_CSS}</style></head><body>",
             f"<h1>{e(T_TITLE.format(lang))}: {e(rec.account)}</h1>",
             f"<p class=\"note\">{e(T_NO_SECRET.format(lang))}</p>",
             f"<h2>{e(T_SETUP.format(lang))}</h2><table>"]
    for key, label in FIELD_LABELS.items():
        parts.append(f"<tr><th>{e(label.format(lang))}</th><td>{e(_value(key, d.get(key), lang))}</td></tr>")
    parts.append(f"</table><h2>{e(T_STEPS.format(lang))}</h2>")
    if rec.steps:
        parts.append("<ul>")
        for s in rec.steps:
            mark = "☑" if s["done"] else "☐"
            state = T_DONE.format(lang) if s["done"] else T_NOT_DONE.format(lang)
            when = (("、" if _is_ja(lang) else ", ") + _when(s["at"], lang)) if s["at"] else ""
            inner = f"（{state}{when}）" if _is_ja(lang) else f"({state}{when})"
            parts.append(f"<li>{mark} {e(s['label'] or s['id'])} <small>{e(inner)}</small></li>")
        parts.append("</ul>")
    else:
        parts.append(f"<p>{e(T_NONE.format(lang))}</p>")
    parts.append(f"<h2>{e(T_DOCTOR.format(lang))}</h2>")
    checks = (rec.doctor or {}).get("checks") or []
    if checks:
        parts.append("<table>")
        for c in checks:
            st = str(c.get("status", ""))
            parts.append(f"<tr><td class=\"{e(st)}\">{_MARK.get(st, '?')}</td>"
                         f"<td>{e(str(c.get('title', c.get('id', ''))))}</td><td>{e(str(c.get('detail', '')))}</td>"
                         f"<td>{e(str(c.get('fix') or ''))}</td></tr>")
        parts.append("</table>")
    else:
        parts.append(f"<p>{e(T_NONE.format(lang))}</p>")
    parts.append(f"<h2>{e(T_SEND.format(lang))}</h2>")
    if rec.send:
        s = rec.send
        status = T_SENT_OK.format(lang) if s.get("ok") else T_SENT_FAIL.format(lang)
        parts.append(f"<p class=\"{'pass' if s.get('ok') else 'fail'}\">{e(status)}: "
                     f"{e(str(s.get('message_id', '')))} → {e(', '.join(s.get('recipients') or []))}<br>"
                     + e(T_SEND_VIA.format(lang, where=f"{s.get('host', '')}:{s.get('port', '')}",
                                           security=_value('security', s.get('security', ''), lang),
                                           transport=_value('transport', s.get('transport', 'smtp'), lang),
                                           seconds=T_SECONDS.format(lang, n=s.get('elapsed', '')))) + "</p>")
        if s.get("transcript"):
            parts.append(f"<h3>{e(T_TRANSCRIPT.format(lang))}</h3><pre>{e(str(s['transcript']))}</pre>")
    else:
        parts.append(f"<p>{e(T_NONE.format(lang))}</p>")
    if rec.extra:
        parts.append(f"<h2>{e(T_EXTRA.format(lang))}</h2><table>")
        parts += [f"<tr><th>{e(_extra_label(k, lang))}</th><td>{e(_extra_value(k, v, lang))}</td></tr>"
                  for k, v in rec.extra.items()]
        parts.append("</table>")
    parts.append(f"<h2>{e(T_VERSIONS.format(lang))}</h2><table>")
    parts += [f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in rec.versions.items()]
    parts.append("</table></body></html>\n")
    return "".join(parts)


def render(rec: SetupRecord, fmt: str, lang: str | None = None) -> str:
    """The record as ``md``, ``json`` or ``html`` text."""
    if fmt == "json":
        return render_json(rec)
    if fmt == "html":
        return render_html(rec, lang)
    return render_markdown(rec, lang)


def default_path(rec: SetupRecord, fmt: str = "md") -> Path:
    """``OAUTHMAIL_HOME/records/setup-<account>-<time>.<fmt>``."""
    from .paths import records_dir

    stamp = (rec.created_at or now_iso()).replace(":", "").replace("-", "")
    safe = "".join(c if c.isalnum() or c in "@._-" else "_" for c in rec.account) or "account"
    return records_dir() / f"setup-{safe}-{stamp}.{fmt}"


def write_record(rec: SetupRecord, path: str | Path | None = None, *, lang: str | None = None,
                 fmt: str | None = None) -> Path:
    """Write the record atomically; the format follows the suffix (``.md``, ``.json``, ``.html``)."""
    target = Path(path).expanduser() if path else default_path(rec, fmt or "md")
    suffix = target.suffix.lower().lstrip(".")
    suffix = {"markdown": "md", "htm": "html"}.get(suffix, suffix)
    if suffix not in FORMATS:
        raise ConfigError(BAD_FORMAT, BAD_FORMAT_HINT, suffix=target.suffix, path=str(target), code="record_format")
    tokenfile.atomic_write(target, render(rec, suffix, lang), mode=_record_mode(target))
    return target


def _record_mode(target: Path) -> int:
    """0600 inside OAUTHMAIL_HOME (private on a shared host, like everything there), else 0644."""
    import os

    from .paths import home

    here = os.path.realpath(target.parent)
    kit = os.path.realpath(home())
    return 0o600 if here == kit or here.startswith(kit + os.sep) else 0o644


def export_record(
    ini: str | Path,
    account: str | None = None,
    *,
    out_dir: str | Path | None = None,
    formats: Iterable[str] = FORMATS,
    lang: str | None = None,
    steps: Iterable[Mapping[str, Any]] | None = None,
    doctor: Any = None,
    send_result: Any = None,
    extra: Mapping[str, Any] | None = None,
) -> list[Path]:
    """One call for notebooks: build the record and write it in every format (default: OAUTHMAIL_HOME/records)."""
    rec = build_record(ini, account, steps=steps, doctor=doctor, send_result=send_result, extra=extra, lang=lang)
    paths: list[Path] = []
    for fmt in formats:
        target = default_path(rec, fmt)
        if out_dir is not None:
            target = Path(out_dir).expanduser() / target.name
        paths.append(write_record(rec, target, lang=lang))
    return paths


def read_record(path: str | Path) -> SetupRecord:
    """A JSON record written earlier (for ``oauthmail doctor --record``)."""
    p = Path(path).expanduser()
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(BAD_RECORD, BAD_RECORD_HINT, path=str(p), reason=type(exc).__name__, code="bad_record") \
            from None
    if not isinstance(data, dict) or "account" not in data or "provider" not in data:
        raise ConfigError(BAD_RECORD, BAD_RECORD_HINT, path=str(p), reason="no account/provider", code="bad_record")
    return SetupRecord.from_dict(data)


def diff_records(old: SetupRecord, new: SetupRecord) -> list[tuple[str, Any, Any]]:
    """``(field, recorded, now)`` for every compared field that changed (client id by fingerprint)."""
    a, b = old.to_dict(), new.to_dict()
    changes: list[tuple[str, Any, Any]] = []
    for key in COMPARED:
        va, vb = a.get(key), b.get(key)
        if key == "scopes":
            va, vb = sorted(va or []), sorted(vb or [])
        if (va or None) != (vb or None):
            if key == "client_id_sha256":
                changes.append(("client_id", a.get("client_id"), b.get("client_id")))
            else:
                changes.append((key, va, vb))
    return changes
