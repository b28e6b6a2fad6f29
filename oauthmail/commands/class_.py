"""``oauthmail class report --homes PATTERN [--json] [--html FILE]``: the trainer's view of a class.

The module is ``class_`` because ``class`` is a Python keyword; the command is ``oauthmail class``.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..i18n import Msg, pick
from . import add_json_option, add_lang_option

WRITTEN = Msg(en="Class picture written: {path}", ja="クラスの状況図を書き出しました: {path}")
NO_HOMES = Msg(en="No folder matches {pattern}.", ja="{pattern} に一致するフォルダーがありません。")
NO_HOMES_HINT = Msg(
    en="Give the students' OAUTHMAIL_HOME folders as a quoted glob, e.g. "
    "--homes '/home/jupyter-*/.config/oauthmail' (TLJH) or --homes '/home/*/.config/oauthmail'.",
    ja="受講者の OAUTHMAIL_HOME フォルダーを引用符付きのパターンで指定してください。例: "
    "--homes '/home/jupyter-*/.config/oauthmail'（TLJH）、--homes '/home/*/.config/oauthmail'。",
)
HOMES_HELP = "glob of the students' OAUTHMAIL_HOME folders, quoted (e.g. '/home/jupyter-*/.config/oauthmail')"
HOMES_HELP_JA = ("受講者の OAUTHMAIL_HOME フォルダーを表すパターン（glob）。シェルに展開されないよう引用符で囲む"
                 "（例: '/home/jupyter-*/.config/oauthmail'）")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "class", help=pick("a trainer's view of a class (setup records of every student)",
                           "講師向け: クラス全員のセットアップ記録をまとめて見る"),
        description=pick("Read the setup records of a class (no secret in them) and show who did which step.",
                         "クラスの受講者のセットアップ記録（秘密情報は含まれない）を読み、誰がどの手順まで進んだかを表示します。"))
    actions = p.add_subparsers(dest="class_action", metavar="ACTION")
    r: argparse.ArgumentParser = actions.add_parser(
        "report", help=pick("table (or JSON) of every student, and the steps-by-students picture as HTML",
                            "受講者ごとの一覧表（または JSON）と、進み具合を色分けした図（HTML）"),
        description=pick("Per student: the ticked steps, whether consent and the test message succeeded, the last "
        "error and what to do. Folders that cannot be read are skipped and listed.",
                         "受講者ごとに、チェック済みの手順、同意とテストメールが成功したか、最後のエラーとその対処方法を表示します。読めないフォルダーはスキップし、一覧にして示します。"))
    r.add_argument("--homes", required=True, metavar="PATTERN", help=pick(HOMES_HELP, HOMES_HELP_JA))
    add_json_option(r)
    r.add_argument("--html", metavar="FILE", help=pick("also write the picture (steps by students, coloured) as HTML",
                                                       "受講者ごとの進み具合を色分けした図を HTML ファイルにも書き出す"))
    r.add_argument("--refresh", type=int, default=0, metavar="SECONDS",
                   help=pick("the HTML page reloads itself every SECONDS (for the room's screen)",
                             "HTML のページを SECONDS 秒ごとに自動で再読み込みする（教室のスクリーン用）"))
    add_lang_option(r)
    r.set_defaults(func=run)
    p.set_defaults(func=lambda _args: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..classroom.report import build_report, render_html, render_json, render_table
    from ..errors import ConfigError
    from ..tokenfile import atomic_write

    lang = args.cmd_lang
    if lang:
        from ..i18n import set_language

        set_language(lang)  # error: and hint: lines too
    report = build_report(args.homes, lang)
    if not report.students and not report.skipped:
        raise ConfigError(NO_HOMES, NO_HOMES_HINT, code="no_homes", pattern=args.homes)
    if args.html:
        target = Path(args.html).expanduser()
        atomic_write(target, render_html(report, lang, refresh=args.refresh), mode=0o644)
    print(render_json(report, lang) if args.json else render_table(report, lang))
    if args.html and not args.json:
        print(WRITTEN(lang, path=str(target)))
    return 0
