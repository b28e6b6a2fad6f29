"""The token INI (contract, format version 1): read, validate, and write it safely.

One file holds one ``[oauthmail]`` section and a section per account, named by its address::

    [oauthmail]
    version = 1
    default_account = alice@example.com

    [alice@example.com]
    provider = google
    client_id = ...
    refresh_token = ...

Why a parser of our own and not :mod:`configparser`: errors must name the line, inline
``; comments`` (as in the contract's example) must be allowed, and unknown keys must survive a
rewrite in their place. Writes go through :func:`atomic_write` (temp file in the same folder,
``fsync``, mode 0600, ``os.replace``) while holding :func:`locked`, a lock on a side file
``<name>.lock`` — the INI itself is replaced on every write, so it cannot carry the lock.
:func:`update_account` re-reads the file under the lock, so a refresh token rotated by another
process is never overwritten with an older one.
"""

from __future__ import annotations

import os
import stat
import sys
from datetime import datetime, timezone

from ._plain import Plain
from .errors import ConfigError
from .i18n import Msg
from .providers import (
    API_URL_FORMS,
    PROVIDERS,
    SASL_MECHANISMS,
    SECURITIES,
    TRANSPORTS,
    is_https_url,
    split_api_url,
)
from .secrets import MASK, looks_like_secret, mask, redact, remember

# Start-up time: a send reads the INI, so reading imports neither ``typing`` nor ``dataclasses`` nor
# ``contextlib`` (plain classes, a class-based lock) nor ``pathlib`` (see :func:`_plain_path`); writing
# and error messages import ``pathlib`` when they need it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from types import TracebackType
    from typing import Any


def __getattr__(name: str) -> object:
    """``tokenfile.Path`` as before (imported on first use: start-up time)."""
    if name == "Path":
        from pathlib import Path

        return Path
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _plain_path(path: object) -> str | None:
    """``path`` itself when ``str(Path(path).expanduser())`` would give it back unchanged, else ``None``.

    A plain POSIX path (no ``~``, no empty or ``.`` part, no trailing slash) opens the same file and
    reads the same in messages as its :class:`~pathlib.Path`, without importing :mod:`pathlib`.
    """
    if not isinstance(path, str) or os.sep != "/" or os.altsep or not path or path[0] == "~":
        return None
    parts = path[1:].split("/") if path[0] == "/" else path.split("/")
    return path if all(part and part != "." for part in parts) else None


def _as_path(path: str | Path) -> Path:
    from pathlib import Path

    return Path(path)

FORMAT_VERSION = 1
META = "oauthmail"

# --- messages -------------------------------------------------------------------------------------

INI_NOT_FOUND = Msg(
    en="The token file {path} does not exist.",
    ja="トークン INI {path} が見つかりません。",
)
INI_NOT_FOUND_HINT = Msg(
    en="Check the path, or create the file with `oauthmail consent google|microsoft --ini {path}`.",
    ja="パスを確認するか、`oauthmail consent google|microsoft --ini {path}` で作成してください。",
)
INI_UNREADABLE = Msg(
    en="The token file {path} cannot be read ({reason}).",
    ja="トークン INI {path} を読めません（{reason}）。",
)
INI_UNREADABLE_HINT = Msg(
    en="Check that the file belongs to you and is readable (chmod 600 {path}).",
    ja="ファイルの所有者が自分で、読み取れることを確認してください（chmod 600 {path}）。",
)
INI_SYNTAX = Msg(
    en="{path}, line {line}: {problem}",
    ja="{path} の {line} 行目: {problem}",
)
INI_SYNTAX_HINT = Msg(
    en="Each line must be `[section]`, `key = value`, a comment starting with ; or #, or empty. "
    "Fix that line, or export the file again from the notebook or `oauthmail consent`.",
    ja="各行は `[セクション]`、`キー = 値`、; か # で始まるコメント、空行のいずれかです。"
    "その行を直すか、ノートブックまたは `oauthmail consent` でファイルを書き出し直してください。",
)
P_NOT_KEY_VALUE = Msg(en="expected `key = value`, found {text!r}", ja="`キー = 値` の形ではありません: {text!r}")
P_NOT_KEY_VALUE_HIDDEN = Msg(
    en="expected `key = value`, found a line of {length} characters without `=` (not shown: it looks like a "
    "token or secret, perhaps a value that wrapped onto its own line)",
    ja="`キー = 値` の形ではなく、`=` のない {length} 文字の行があります（トークンかシークレットのようなので表示しません。"
    "値の途中で改行されたのかもしれません）",
)
P_BAD_SECTION = Msg(en="a section header must look like [name]", ja="セクション見出しは [名前] の形で書きます")
P_DUP_SECTION = Msg(en="section [{section}] appears twice (first on line {first})",
                    ja="セクション [{section}] が 2 回あります（最初は {first} 行目）")
P_DUP_KEY = Msg(en="key `{key}` appears twice in [{section}] (first on line {first})",
                ja="[{section}] にキー `{key}` が 2 回あります（最初は {first} 行目）")
P_KEY_OUTSIDE = Msg(en="`{key}` is outside any [section]", ja="`{key}` がどのセクションにも属していません")
P_MISSING = Msg(en="[{section}] has no `{key}`", ja="[{section}] に `{key}` がありません")
P_BAD_CHOICE = Msg(en="`{key} = {value}` must be one of: {choices}",
                   ja="`{key} = {value}` は次のいずれかでなければなりません: {choices}")
P_BAD_PORT = Msg(en="`smtp_port = {value}` is not a port number (1-65535)",
                 ja="`smtp_port = {value}` はポート番号（1〜65535）ではありません")
P_BAD_TIME = Msg(en="`{key} = {value}` is not a time like 2026-11-21T10:00:00Z",
                 ja="`{key} = {value}` は 2026-11-21T10:00:00Z のような日時ではありません")
P_BAD_VERSION = Msg(en="format version {value} is not supported (this kit reads version 1)",
                    ja="形式のバージョン {value} には対応していません（このキットが読めるのは 1 です）")
P_BAD_DEFAULT = Msg(en="default_account = {value} names no [section] in this file",
                    ja="default_account = {value} に当たるセクションがこのファイルにありません")
P_BAD_ADDRESS = Msg(en="section [{section}] is not an e-mail address", ja="セクション名 [{section}] がメールアドレスではありません")
P_BAD_ADDRESS_WRITE = Msg(
    en="the account name {section!r} is not an e-mail address (one @, no spaces, brackets or control characters), "
    "so it was not written",
    ja="アカウント名 {section!r} はメールアドレスの形ではない（@ が 1 つ、空白・角かっこ・制御文字なし）ため、書き込みませんでした",
)
P_BAD_URL = Msg(en="`{key} = {value}` is not an https:// address", ja="`{key} = {value}` は https:// のアドレスではありません")
P_BAD_API_PATH = Msg(
    en="`{key} = {value}` has a path the kit does not expect: give {expected}",
    ja="`{key} = {value}` のパスは想定外です。次の形で指定してください: {expected}",
)
P_CONTROL = Msg(en="the value of `{key}` contains a control character", ja="`{key}` の値に制御文字が含まれています")

NO_ACCOUNTS = Msg(en="{path} holds no account.", ja="{path} にアカウントがありません。")
NO_ACCOUNTS_HINT = Msg(
    en="Run `oauthmail consent google|microsoft --ini {path}` to add one.",
    ja="`oauthmail consent google|microsoft --ini {path}` でアカウントを追加してください。",
)
NO_SUCH_ACCOUNT = Msg(en="{path} has no account {account}.", ja="{path} にアカウント {account} がありません。")
NO_SUCH_ACCOUNT_HINT = Msg(
    en="Accounts in this file: {accounts}. Pass one of them with --account.",
    ja="このファイルにあるアカウント: {accounts}。--account でどれかを指定してください。",
)
WHICH_ACCOUNT = Msg(en="{path} holds several accounts and none is the default.",
                    ja="{path} には複数のアカウントがあり、既定のものが決まっていません。")
WHICH_ACCOUNT_HINT = Msg(
    en="Pass --account ADDRESS (one of: {accounts}) or set default_account in [oauthmail].",
    ja="--account アドレス（{accounts} のどれか）を指定するか、[oauthmail] に default_account を書いてください。",
)
WORLD_READABLE = Msg(
    en="warning: {path} can be read by other users (mode {mode}); it holds a refresh token. Run: chmod 600 {path}",
    ja="警告: {path} は他のユーザーも読めます（パーミッション {mode}）。リフレッシュ トークンが入っています。"
    "chmod 600 {path} を実行してください。",
)
LOCK_TIMEOUT = Msg(
    en="{path} is locked by another program and stayed locked for {seconds} seconds.",
    ja="{path} は別のプログラムがロックしていて、{seconds} 秒たっても解放されませんでした。",
)
LOCK_TIMEOUT_HINT = Msg(
    en="Wait for the other send or sign-in to finish and try again. If nothing else is running, check who owns "
    "{lock} (in a folder other people can write, another user may hold it): keep token files in a folder only you "
    "can write (chmod 700).",
    ja="別の送信やサインインが終わるのを待ってから、もう一度試してください。ほかに何も動いていない場合は、{lock} の所有者を"
    "確認してください（他の人が書き込めるフォルダーでは、別のユーザーがロックしているかもしれません）。トークン INI は自分だけが書き込めるフォルダーに置いてください（chmod 700）。",
)
LOCK_UNSAFE = Msg(
    en="The lock file {lock} is a symbolic link or not a plain file, so the kit does not open it.",
    ja="ロックファイル {lock} がシンボリック リンクであるか通常のファイルでないため、キットは開きません。",
)
LOCK_UNSAFE_HINT = Msg(
    en="Someone may be trying to make the kit write elsewhere. Remove {lock}, keep token files in a folder only you "
    "can write (chmod 700), and try again.",
    ja="キットに別の場所へ書き込ませようとしている可能性があります。{lock} を削除し、トークン INI は自分だけが書き込めるフォルダーに置いてから（chmod 700）、もう一度試してください。",
)
FOLDER_WRITABLE = Msg(
    en="warning: other users can write the folder {path} (mode {mode}): they could replace its files, or hold the "
    "token file's lock. Run: chmod 700 {path} (or set OAUTHMAIL_HOME to a folder of your own)",
    ja="警告: フォルダー {path} は他のユーザーも書き込めます（パーミッション {mode}）。中のファイルを置き換えられたり、トークン INI のロックを握られたりするおそれがあります。chmod 700 {path} を実行してください（または OAUTHMAIL_HOME を"
    "自分専用のフォルダーにしてください）。",
)
INI_WRITE_FAILED = Msg(en="Could not write {path} ({reason}).", ja="{path} に書き込めませんでした（{reason}）。")
INI_WRITE_FAILED_HINT = Msg(
    en="Check that the folder exists and is writable, and that the disk is not full. The previous file is unchanged.",
    ja="フォルダーが存在し書き込めること、ディスクに空きがあることを確認してください。元のファイルは変わっていません。",
)

# --- the account ---------------------------------------------------------------------------------

#: Keys every account must have.
REQUIRED = ("provider", "client_id", "refresh_token")
#: Keys written by this kit, in the order they are written.
KNOWN_KEYS = (
    "provider", "client_id", "client_secret", "auth_uri", "token_uri", "authority", "scopes",
    "refresh_token", "access_token", "access_token_expires_at", "smtp_host", "smtp_port",
    "smtp_security", "sasl_mechanism", "transport", "graph_url", "gmail_api_url",
)
SECRET_KEYS = frozenset({"client_secret", "refresh_token", "access_token"})


class Account(Plain):
    """One account section. Secrets are hidden from ``repr``; ``lines`` is not compared."""

    __slots__ = (
        "access_token", "access_token_expires_at", "auth_uri", "authority", "client_id", "client_secret", "email",
        "extra", "gmail_api_url", "graph_url", "lines", "provider", "refresh_token", "sasl_mechanism", "scopes",
        "smtp_host", "smtp_port", "smtp_security", "token_uri", "transport",
    )
    __match_args__ = (
        "email", "provider", "client_id", "refresh_token", "client_secret", "auth_uri", "token_uri", "authority",
        "scopes", "access_token", "access_token_expires_at", "smtp_host", "smtp_port", "smtp_security",
        "sasl_mechanism", "transport", "graph_url", "gmail_api_url", "extra", "lines",
    )
    _fields = __match_args__
    _compare = _fields[:-1]

    email: str
    provider: str
    client_id: str
    refresh_token: str
    client_secret: str
    auth_uri: str
    token_uri: str
    authority: str
    scopes: list[str]
    access_token: str
    access_token_expires_at: datetime | None
    smtp_host: str
    smtp_port: int | None
    smtp_security: str
    sasl_mechanism: str
    transport: str
    graph_url: str
    gmail_api_url: str
    #: Keys this kit does not know, kept in file order and written back unchanged.
    extra: dict[str, str]
    #: Line number of each key in the file it was read from (for messages).
    lines: dict[str, int]

    def __init__(
        self,
        email: str,
        provider: str,
        client_id: str,
        refresh_token: str,
        client_secret: str = "",
        auth_uri: str = "",
        token_uri: str = "",
        authority: str = "",
        scopes: list[str] | None = None,
        access_token: str = "",
        access_token_expires_at: datetime | None = None,
        smtp_host: str = "",
        smtp_port: int | None = None,
        smtp_security: str = "",
        sasl_mechanism: str = "",
        transport: str = "",
        graph_url: str = "",
        gmail_api_url: str = "",
        extra: dict[str, str] | None = None,
        lines: dict[str, int] | None = None,
    ) -> None:
        self.email = email
        self.provider = provider
        self.client_id = client_id
        self.refresh_token = refresh_token
        self.client_secret = client_secret
        self.auth_uri = auth_uri
        self.token_uri = token_uri
        self.authority = authority
        self.scopes = [] if scopes is None else scopes
        self.access_token = access_token
        self.access_token_expires_at = access_token_expires_at
        self.smtp_host = smtp_host
        self.smtp_port = smtp_port
        self.smtp_security = smtp_security
        self.sasl_mechanism = sasl_mechanism
        self.transport = transport
        self.graph_url = graph_url
        self.gmail_api_url = gmail_api_url
        self.extra = {} if extra is None else extra
        self.lines = {} if lines is None else lines

    def __repr__(self) -> str:
        shown = []
        for name in self._fields:
            if name == "lines":
                continue
            value = getattr(self, name)
            if name in SECRET_KEYS:
                value = mask(value)
            shown.append(f"{name}={value!r}")
        return f"Account({', '.join(shown)})"

    def secrets(self) -> list[str]:
        """Every secret value this account holds (for redaction and tests)."""
        return [v for v in (self.client_secret, self.refresh_token, self.access_token) if v]

    def to_items(self) -> list[tuple[str, str]]:
        """``(key, value)`` pairs in the order they are written."""
        items: list[tuple[str, str]] = []
        for key in KNOWN_KEYS:
            value = getattr(self, key)
            if value in ("", None, []):
                continue
            if key == "scopes":
                text = " ".join(value)
            elif key == "access_token_expires_at":
                text = format_time(value)
            else:
                text = str(value)
            items.append((key, text))
        items.extend(self.extra.items())
        return items


def format_time(value: datetime) -> str:
    """UTC, second precision, ``Z`` suffix: ``2026-11-21T10:00:00Z``."""
    return value.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Parse ``2026-11-21T10:00:00Z`` (or any ISO 8601 time; naive means UTC)."""
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    value = datetime.fromisoformat(t)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    # In UTC now, so a time that has no UTC form (9999-12-31T23:59:59-01:00) is refused when read
    # (OverflowError, a ValueError to the caller) rather than failing the next rewrite.
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{text!r} is out of range") from None


# --- the file ------------------------------------------------------------------------------------


class TokenFile(Plain):
    """A whole token INI: the ``[oauthmail]`` section and the accounts, in file order."""

    __slots__ = ("_path", "accounts", "meta", "warnings")
    __match_args__ = ("path", "meta", "accounts", "warnings")
    _fields = __match_args__

    _path: str | Path
    meta: dict[str, str]
    accounts: dict[str, Account]
    #: Warnings for a person (world-readable file …), already in the current language.
    warnings: list[str]

    def __init__(self, path: str | Path, meta: dict[str, str] | None = None, accounts: dict[str, Account] | None = None,
                 warnings: list[str] | None = None) -> None:
        self._path = path
        self.meta = {"version": str(FORMAT_VERSION)} if meta is None else meta
        self.accounts = {} if accounts is None else accounts
        self.warnings = [] if warnings is None else warnings

    @classmethod
    def read(cls, path: str | Path) -> TokenFile:
        """Read and validate a token INI (:func:`read`): ``oauthmail.TokenFile.read("oauthmail.ini").account()``."""
        return read(path)

    @property
    def path(self) -> Path:
        """The file's path (a :class:`~pathlib.Path`, made on first use: start-up time)."""
        if isinstance(self._path, str):
            self._path = _as_path(self._path)
        return self._path

    @path.setter
    def path(self, value: Path) -> None:
        self._path = value

    @property
    def default_account(self) -> str:
        return self.meta.get("default_account", "")

    def account(self, name: str | None = None) -> Account:
        """The named account, else the default one, else the only one."""
        if name:
            for key, acc in self.accounts.items():
                if key.lower() == name.lower():
                    return acc
            raise ConfigError(NO_SUCH_ACCOUNT, NO_SUCH_ACCOUNT_HINT, path=str(self.path), account=name,
                              accounts=", ".join(self.accounts) or "-", code="no_such_account")
        if not self.accounts:
            raise ConfigError(NO_ACCOUNTS, NO_ACCOUNTS_HINT, path=str(self.path), code="no_accounts")
        if self.default_account and self.default_account in self.accounts:
            return self.accounts[self.default_account]
        if len(self.accounts) == 1:
            return next(iter(self.accounts.values()))
        raise ConfigError(WHICH_ACCOUNT, WHICH_ACCOUNT_HINT, path=str(self.path), accounts=", ".join(self.accounts),
                          code="which_account")

    def set_account(self, account: Account, *, make_default: bool = False) -> None:
        """Add or replace an account (other accounts are kept)."""
        self.accounts[account.email] = account
        if make_default or not self.default_account:
            self.meta["default_account"] = account.email

    def render(self) -> str:
        """The file's text; refuses (:class:`ConfigError`) anything that would not read back as written."""
        out = [f"[{META}]"]
        meta = dict(self.meta)
        meta["version"] = str(FORMAT_VERSION)
        ordered = ["version", "default_account"] + [k for k in meta if k not in ("version", "default_account")]
        for k in ordered:
            if meta.get(k):
                out.append(self._line(k, meta[k]))
        for acc in self.accounts.values():
            if not is_address(acc.email) or acc.email.lower() == META:
                raise ConfigError(INI_SYNTAX, INI_SYNTAX_HINT, path=str(self.path), line="-",
                                  problem=P_BAD_ADDRESS_WRITE.format(None, section=_shown(acc.email, 80)),
                                  code="ini_section")
            out.append("")
            out.append(f"[{acc.email}]")
            out += [self._line(k, v) for k, v in acc.to_items()]
        return "\n".join(out) + "\n"

    def _line(self, key: str, value: str) -> str:
        # Refuse to write what could not be read back unchanged: a key that is not one word, a value with
        # a line break, surrounding white space or a " ;" that would start a comment.
        if (has_control(value) or value != value.strip(_WS) or _strip_inline_comment(value) != value
                or not key or has_control(key) or any(c.isspace() or c in "[]=;#" for c in key)):
            raise ConfigError(INI_SYNTAX, INI_SYNTAX_HINT, path=str(self.path), line="-",
                              problem=P_CONTROL.format(None, key=_shown(key)), code="ini_value")
        return f"{key} = {value}"

    def save(self) -> None:
        """Write the whole file atomically with mode 0600 (take :func:`locked` around read+save)."""
        atomic_write(self.path, self.render())


_WS = " \t\r"


def has_control(value: str) -> bool:
    """Whether ``value`` holds a character that cannot stay on one INI line unchanged."""
    if value.isascii() and value.isprintable():  # the usual case, without a loop over every character
        return False
    return any(ord(c) < 32 or 127 <= ord(c) < 160 or c in "\u2028\u2029" for c in value)


def parse(text: str, path: str | Path = "<text>") -> TokenFile:
    """Parse and validate INI text; a problem raises :class:`ConfigError` naming the line."""
    shown = str(path)

    def fail(line: int, problem: Msg, **params: Any) -> ConfigError:
        return ConfigError(INI_SYNTAX, INI_SYNTAX_HINT, path=shown, line=line,
                           problem=problem.format(None, **params), code="ini_syntax")

    sections: dict[str, tuple[int, dict[str, tuple[str, int]]]] = {}
    current: dict[str, tuple[str, int]] | None = None
    current_name = ""
    # Only "\n" (and "\r\n") end a line: str.splitlines() would also split on \x85, \u2028 …
    # inside a value and silently cut it.
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip(_WS).lstrip("\ufeff").strip(_WS)
        if not line or line[0] in ";#":
            continue
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 3:
                raise fail(lineno, P_BAD_SECTION)
            current_name = line[1:-1].strip()
            if not current_name:
                raise fail(lineno, P_BAD_SECTION)
            for existing, (first, _) in sections.items():
                if existing.lower() == current_name.lower():
                    raise fail(lineno, P_DUP_SECTION, section=current_name, first=first)
            current = {}
            sections[current_name] = (lineno, current)
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            if looks_like_secret(line):
                raise fail(lineno, P_NOT_KEY_VALUE_HIDDEN, length=len(line))
            raise fail(lineno, P_NOT_KEY_VALUE, text=_shown(line))
        key = key.strip(_WS).lower()
        value = _strip_inline_comment(value.strip(_WS))
        if current is None:
            raise fail(lineno, P_KEY_OUTSIDE, key=key)
        if key in current:
            raise fail(lineno, P_DUP_KEY, key=key, section=current_name, first=current[key][1])
        if has_control(value):
            raise fail(lineno, P_CONTROL, key=key)
        current[key] = (value, lineno)

    tf = TokenFile(path)  # ``tf.path`` is ``Path(path)`` (made when first read)
    meta_line, meta = sections.pop(META, (0, {}))
    if META not in sections:
        for name in list(sections):
            if name.lower() == META:
                meta_line, meta = sections.pop(name)
    tf.meta = {k: v for k, (v, _) in meta.items()}
    version = tf.meta.get("version", str(FORMAT_VERSION))
    if version.strip() != str(FORMAT_VERSION):
        raise fail(meta.get("version", ("", meta_line))[1], P_BAD_VERSION, value=_shown(version))
    tf.meta["version"] = str(FORMAT_VERSION)

    for name, (header_line, items) in sections.items():
        tf.accounts[name] = _account(name, header_line, items, fail)
    default = tf.meta.get("default_account", "")
    if default and default not in tf.accounts:
        matches = [n for n in tf.accounts if n.lower() == default.lower()]
        if not matches:
            raise fail(meta["default_account"][1], P_BAD_DEFAULT, value=_shown(default, 80))
        tf.meta["default_account"] = matches[0]
    return tf


def _account(name: str, header_line: int, items: dict[str, tuple[str, int]], fail: Any) -> Account:
    if not is_address(name):
        raise fail(header_line, P_BAD_ADDRESS, section=_shown(name, 80))
    for key in REQUIRED:
        if not items.get(key, ("", 0))[0]:
            raise fail(items.get(key, ("", header_line))[1], P_MISSING, section=name, key=key)

    def get(key: str) -> str:
        return items.get(key, ("", 0))[0]

    def check_choice(key: str, choices: tuple[str, ...], upper: bool = False) -> str:
        value = get(key)
        if not value:
            return ""
        norm = value.upper() if upper else value.lower()
        if norm not in choices:
            raise fail(items[key][1], P_BAD_CHOICE, key=key, value=_shown(value), choices=" | ".join(choices))
        return norm

    provider = check_choice("provider", PROVIDERS)
    security = check_choice("smtp_security", SECURITIES)
    sasl = check_choice("sasl_mechanism", SASL_MECHANISMS, upper=True)
    transport = check_choice("transport", TRANSPORTS)
    port: int | None = None
    if get("smtp_port"):
        try:
            port = int(get("smtp_port"))
        except ValueError:
            port = 0
        if not 0 < port < 65536:
            raise fail(items["smtp_port"][1], P_BAD_PORT, value=_shown(get("smtp_port")))
    expires: datetime | None = None
    if get("access_token_expires_at"):
        try:
            expires = parse_time(get("access_token_expires_at"))
        except ValueError:
            raise fail(items["access_token_expires_at"][1], P_BAD_TIME, key="access_token_expires_at",
                       value=_shown(get("access_token_expires_at"))) from None
    for key in ("auth_uri", "token_uri", "authority", "graph_url", "gmail_api_url"):
        value = get(key)
        if value and not is_https_url(value):
            raise fail(items[key][1], P_BAD_URL, key=key, value=_shown(value, 80))
    for key, api in (("graph_url", "graph"), ("gmail_api_url", "gmail-api")):
        value = get(key)
        if value and split_api_url(api, value) is None:
            raise fail(items[key][1], P_BAD_API_PATH, key=key, value=_shown(value, 80), expected=API_URL_FORMS[api])
    known = set(KNOWN_KEYS)
    remember(get("client_secret"), get("refresh_token"), get("access_token"))  # redacted everywhere from now on
    return Account(
        email=name,
        provider=provider,
        client_id=get("client_id"),
        client_secret=get("client_secret"),
        auth_uri=get("auth_uri"),
        token_uri=get("token_uri"),
        authority=get("authority"),
        scopes=get("scopes").replace(",", " ").split(),
        refresh_token=get("refresh_token"),
        access_token=get("access_token"),
        access_token_expires_at=expires,
        smtp_host=get("smtp_host"),
        smtp_port=port,
        smtp_security=security,
        sasl_mechanism=sasl,
        transport=transport,
        graph_url=get("graph_url"),
        gmail_api_url=get("gmail_api_url"),
        extra={k: v for k, (v, _) in items.items() if k not in known},
        lines={k: ln for k, (_, ln) in items.items()} | {"[section]": header_line},
    )


def _strip_inline_comment(value: str) -> str:
    """``value ; comment`` → ``value``: a ; or # starts a comment only after white space."""
    for i, ch in enumerate(value):
        if ch in ";#" and i > 0 and value[i - 1] in " \t":
            return value[:i].rstrip()
    return value


def _shown(text: str, limit: int = 40) -> str:
    """A value as a message may echo it: masked when it looks like a token or secret, else cut short."""
    if looks_like_secret(text):
        return MASK
    text = redact(text)
    return text if len(text) <= limit else text[: limit // 2] + "…"


def is_address(name: str) -> bool:
    """An address as a section name: one ``@`` with text on both sides; no white space, control character,
    bracket or INI comment character (an identity provider's odd claim must not open a section of its own)."""
    local, at, domain = name.partition("@")
    return (bool(at and local and domain) and "@" not in domain and not has_control(name)
            and not any(c.isspace() or c in "[];#=\\\"'<>" for c in name))


def given_or_read(ini: str | Path | TokenFile) -> TokenFile:
    """``ini`` itself when it is a :class:`TokenFile` already read, else the file read now.

    Why: a send reads its INI once (the command reads it for the account, the token step reuses it);
    every write still re-reads the file under its lock (``tokens.refresh_and_store``).
    """
    return ini if isinstance(ini, TokenFile) else read(ini)


def path_of(ini: str | Path | TokenFile) -> str | Path:
    """Where ``ini`` lives: the path itself, or the path a :class:`TokenFile` was read from."""
    return ini._path if isinstance(ini, TokenFile) else ini


def read(path: str | Path) -> TokenFile:
    """Read and validate a token INI; adds a warning when others can read it."""
    p: str | Path | None = _plain_path(path)
    if p is None:
        p = _as_path(path).expanduser()
    try:
        with open(p, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        raise ConfigError(INI_NOT_FOUND, INI_NOT_FOUND_HINT, path=str(p), code="ini_not_found") from None
    except OSError as exc:
        raise ConfigError(INI_UNREADABLE, INI_UNREADABLE_HINT, path=str(p), reason=exc.strerror or type(exc).__name__,
                          code="ini_unreadable") from None
    try:
        # What decode("utf-8-sig") does, without loading that codec's module (start-up time).
        text = (data[3:] if data[:3] == b"\xef\xbb\xbf" else data).decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(INI_SYNTAX, INI_SYNTAX_HINT, path=str(p), line=line,
                          problem="not UTF-8 text / UTF-8 のテキストではありません", code="ini_syntax") from None
    tf = parse(text, p)
    for warning in (permission_warning(p), folder_warning(os.path.dirname(os.path.abspath(p)))):
        if warning:
            tf.warnings.append(warning)
    return tf


def read_or_new(path: str | Path) -> TokenFile:
    """The file if it exists, else an empty one to be filled and saved."""
    p = _as_path(path).expanduser()
    if not p.exists():
        return TokenFile(p)
    return read(p)


def permission_warning(path: str | Path) -> str | None:
    """A warning text when group or others may read the file (POSIX only)."""
    if sys.platform == "win32":
        return None
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None
    if mode & 0o077:
        return WORLD_READABLE.format(None, path=str(path), mode=oct(mode))
    return None


def folder_warning(folder: str | Path) -> str | None:
    """A warning text when group or others may write ``folder`` (they could replace files or hold the lock)."""
    if sys.platform == "win32":
        return None
    try:
        mode = os.stat(folder).st_mode
    except OSError:
        return None
    if stat.S_IMODE(mode) & 0o022:
        return FOLDER_WRITABLE.format(None, path=str(folder), mode=oct(stat.S_IMODE(mode)))
    return None


# --- safe writing -------------------------------------------------------------------------------


def atomic_write(path: str | Path, text: str, mode: int = 0o600, *, sync: bool = True) -> None:
    """Write ``text`` to ``path`` so that readers see the old or the new file, never half of one.

    A temp file in the same folder (created 0600 by :func:`tempfile.mkstemp`), flushed and
    fsync'ed, then :func:`os.replace`-d over the target; the folder is fsync'ed too.
    """
    import tempfile  # only when writing: reading a cached token must stay cheap

    p = _as_path(path).expanduser()
    try:
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as exc:
        raise ConfigError(INI_WRITE_FAILED, INI_WRITE_FAILED_HINT, path=str(p), reason=exc.strerror or str(exc),
                          code="write_failed") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise ConfigError(INI_WRITE_FAILED, INI_WRITE_FAILED_HINT, path=str(p), reason=exc.strerror or str(exc),
                          code="write_failed") from None
    if sync and hasattr(os, "O_DIRECTORY"):
        try:
            dfd = os.open(p.parent, os.O_DIRECTORY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass


#: How long :class:`locked` waits for other processes (a refresh holds it for a second or so; twenty at once on
#: a busy machine take well under this; a holder that never lets go is a problem to report, not to wait for).
LOCK_TIMEOUT_SECONDS = 120.0


class locked:  # lower case: used like the function it was, ``with locked(path):``
    """Hold an exclusive lock for ``path`` (on ``<path>.lock``) across read-modify-write.

    A class rather than a :func:`contextlib.contextmanager` generator: ``contextlib`` is not
    imported on the send path (start-up time). Not re-entrant; one ``with`` per instance.
    The lock file is opened without following a symbolic link (``O_NOFOLLOW``: in a shared folder
    another user's link must not make us create or lock their file), and waiting gives up after
    ``timeout`` seconds with :data:`LOCK_TIMEOUT` instead of hanging every refresh.
    """

    def __init__(self, path: str | Path, timeout: float | None = None) -> None:
        self.path = _as_path(path).expanduser()
        self.timeout = LOCK_TIMEOUT_SECONDS if timeout is None else timeout
        self._fd: int | None = None

    def __enter__(self) -> None:
        import time

        p = self.path
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_path = p.with_name(p.name + ".lock")
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(lock_path, flags, 0o600)
        except OSError as exc:
            if os.path.islink(lock_path):
                raise ConfigError(LOCK_UNSAFE, LOCK_UNSAFE_HINT, lock=str(lock_path), code="lock_unsafe") from None
            raise ConfigError(INI_WRITE_FAILED, INI_WRITE_FAILED_HINT, path=str(lock_path),
                              reason=exc.strerror or str(exc), code="write_failed") from None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ConfigError(LOCK_UNSAFE, LOCK_UNSAFE_HINT, lock=str(lock_path), code="lock_unsafe")
            deadline = time.monotonic() + self.timeout
            while not _try_lock(fd):
                if time.monotonic() >= deadline:
                    raise ConfigError(LOCK_TIMEOUT, LOCK_TIMEOUT_HINT, path=str(p), lock=str(lock_path),
                                      seconds=f"{self.timeout:g}", code="lock_timeout")
                time.sleep(0.05)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def _try_lock(fd: int) -> bool:
    """One non-blocking attempt at the exclusive lock."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import errno
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            return False
        raise


def update_account(path: str | Path, email: str, **changes: Any) -> Account:
    """Change some keys of one account under the lock, re-reading the file first.

    Used to store a rotated refresh token and a new access token: whatever other processes
    wrote meanwhile (other accounts, other keys) is kept.
    """
    with locked(path):
        tf = read(path)
        acc = tf.account(email)
        for key, value in changes.items():
            if key not in Account._fields:  # (not hasattr: methods such as replace are no fields)
                raise TypeError(f"unknown account field {key}")
            setattr(acc, key, value)
        tf.save()
        return acc


def save_account(path: str | Path, account: Account, *, make_default: bool = False) -> TokenFile:
    """Add or replace one account in the file (creating it if needed), keeping the others."""
    with locked(path):
        tf = read_or_new(path)
        tf.set_account(account, make_default=make_default)
        tf.save()
        return tf
