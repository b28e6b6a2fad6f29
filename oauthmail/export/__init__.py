"""``oauthmail export``: ready-made configuration for the mailer you have, pointing at ``oauthmail token``.

Layers, as elsewhere in the kit: pure renderers (:mod:`.tools`, :mod:`.postfix`) turn an
:class:`~.context.ExportContext` into an :class:`~.context.Export`; :func:`render` builds the context
from the INI; :func:`write_export` writes the files (atomically, 0600 unless a file must be shared)
and notes in the INI which tool got which file, for the setup record. Usage::

    from oauthmail.export import write_export
    written = write_export("oauthmail.ini", "msmtp")           # OAUTHMAIL_HOME/exports/msmtp/msmtprc

Never a secret in an exported file: each tool runs ``oauthmail token`` when it connects, and
:func:`write_export` refuses to write a file that contains any secret of the INI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import tokenfile
from ..errors import ConfigError
from ..i18n import Msg
from .context import Export, ExportContext, ExportFile, context_for
from .tools import RENDERERS, TOOLS

UNKNOWN_TOOL = Msg(
    en="The kit cannot write a configuration for {tool!r}.",
    ja="{tool!r} 用の設定は書き出せません。",
)
UNKNOWN_TOOL_HINT = Msg(
    en="Choose one of: {tools}.",
    ja="次のいずれかを指定してください: {tools}。",
)
SECRET_IN_EXPORT = Msg(
    en="The {tool} configuration would contain a secret from the token INI; nothing was written.",
    ja="{tool} の設定にトークン INI の秘密情報が入ってしまうため、何も書き出していません。",
)
SECRET_IN_EXPORT_HINT = Msg(
    en="This is a bug in the kit: please report it (without the file). Exports only ever call `oauthmail token`.",
    ja="キットの不具合です。ファイルを添えずに報告してください。書き出す設定は `oauthmail token` を呼ぶだけのはずです。",
)
OUT_NOT_DIR = Msg(
    en="The {tool} export writes several files, so --out must be a folder ({path} is a file).",
    ja="{tool} の書き出しは複数のファイルになるため、--out にはフォルダーを指定してください（{path} はファイルです）。",
)
OUT_NOT_DIR_HINT = Msg(
    en="Give a folder name (it is created if missing), or leave --out out.",
    ja="フォルダー名を指定するか（なければ作成します）、--out を省いてください。",
)

#: The INI key (per account) listing what was exported: ``tool=path; tool=path``.
EXPORTS_KEY = "exports"


@dataclass(frozen=True)
class Written:
    """Files one export wrote, and how to use them."""

    tool: str
    paths: tuple[Path, ...]
    usage: str
    export: Export


def render(ini: str | Path, tool: str, account: str | None = None, *, lang: str = "en",
           ca_file: str | None = None, kit: list[str] | None = None,
           relay: tuple[str, int] | None = None) -> Export:
    """The :class:`Export` for ``tool`` (nothing written)."""
    renderer = RENDERERS.get(tool)
    if renderer is None:
        raise ConfigError(UNKNOWN_TOOL, UNKNOWN_TOOL_HINT, tool=str(tool)[:40], tools=", ".join(TOOLS),
                          code="unknown_tool")
    ctx = context_for(ini, account, lang=lang, ca_file=ca_file, kit=kit, relay=relay)
    exp = renderer(ctx)
    check_no_secret(ini, exp)
    return exp


def check_no_secret(ini: str | Path, exp: Export) -> None:
    """Refuse an export that contains any secret value of the INI (defence in depth)."""
    tf = tokenfile.read(ini)
    secrets = [s for acc in tf.accounts.values() for s in acc.secrets() if s and len(s) >= 8]
    for f in exp.files:
        if any(s in f.text for s in secrets):
            raise ConfigError(SECRET_IN_EXPORT, SECRET_IN_EXPORT_HINT, tool=exp.tool, code="secret_in_export")


def default_folder(tool: str) -> Path:
    from ..paths import home

    return home() / "exports" / tool


def targets(exp: Export, out: str | Path | None) -> list[Path]:
    """Where each file goes: ``--out`` (a file for one-file exports, a folder otherwise) or the default folder."""
    if out is None:
        folder = default_folder(exp.tool)
        return [folder / f.name for f in exp.files]
    p = Path(out).expanduser()
    if len(exp.files) == 1 and not p.is_dir():
        return [p]
    if p.exists() and not p.is_dir():
        raise ConfigError(OUT_NOT_DIR, OUT_NOT_DIR_HINT, tool=exp.tool, path=str(p), code="out_not_dir")
    return [p / f.name for f in exp.files]


def note_export(ini: str | Path, account: str, tool: str, path: Path) -> None:
    """Remember in the INI (under its lock) which tool got which file; the setup record shows it."""
    with tokenfile.locked(ini):
        tf = tokenfile.read(ini)
        acc = tf.account(account)
        items = parse_exports(acc.extra.get(EXPORTS_KEY, ""))
        items[tool] = str(path)
        acc.extra[EXPORTS_KEY] = "; ".join(f"{k}={v}" for k, v in items.items())
        tf.save()


def parse_exports(value: str) -> dict[str, str]:
    """``tool=path; tool=path`` → {tool: path}."""
    out: dict[str, str] = {}
    for item in value.split(";"):
        tool, sep, path = item.strip().partition("=")
        if sep and tool:
            out[tool.strip()] = path.strip()
    return out


def write_export(ini: str | Path, tool: str, account: str | None = None, *, out: str | Path | None = None,
                 lang: str = "en", ca_file: str | None = None, kit: list[str] | None = None,
                 relay: tuple[str, int] | None = None, record: bool = True) -> Written:
    """Render and write; returns the paths (the first is the main file)."""
    exp = render(ini, tool, account, lang=lang, ca_file=ca_file, kit=kit, relay=relay)
    paths = targets(exp, out)
    for f, p in zip(exp.files, paths, strict=True):
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tokenfile.atomic_write(p, f.text, f.mode)
    acc_email = tokenfile.read(ini).account(account).email
    if record:
        where = paths[0] if len(paths) == 1 else paths[0].parent
        note_export(ini, acc_email, tool, where)
    return Written(tool, tuple(paths), exp.usage, exp)


__all__ = [
    "EXPORTS_KEY",
    "TOOLS",
    "Export",
    "ExportContext",
    "ExportFile",
    "Written",
    "check_no_secret",
    "parse_exports",
    "render",
    "write_export",
]
