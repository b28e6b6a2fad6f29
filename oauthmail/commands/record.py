"""``oauthmail record --ini FILE [--account A] --out FILE.{md,json,html}``: the setup record, no secret in it."""

from __future__ import annotations

import argparse
from typing import Any

from ..i18n import Msg, pick
from . import add_account_option, add_ini_option, add_lang_option

WRITTEN = Msg(en="Setup record written: {path}", ja="セットアップ記録を書き出しました: {path}")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "record", help=pick("write the setup record (no secret in it)",
                            "セットアップ記録を書き出す（秘密情報は含まない）"),
        description=pick("Write who set up which mailbox, how and when, as Markdown, JSON or HTML (no secret).",
                         "誰が、いつ、どのメールボックスをどう設定したかを Markdown／JSON／HTML で書き出します（秘密情報は含みません）。"))
    add_ini_option(p)
    add_account_option(p)
    p.add_argument("--out", help=pick("FILE.md, FILE.json or FILE.html (default: OAUTHMAIL_HOME/records/…)",
                                      "書き出し先: FILE.md、FILE.json、FILE.html のどれか（既定: OAUTHMAIL_HOME/records/…）"))
    p.add_argument("--doctor", action="store_true", help=pick("run `oauthmail doctor` first and include its results",
                                                              "先に `oauthmail doctor` を実行し、診断の結果も記録に入れる"))
    p.add_argument("--steps", help=pick("a JSON file with the notebook's checklist ([{id, label, done, at}])",
                                        "ノートブックのチェックリストの JSON ファイル（`[{id, label, done, at}]`）"))
    p.add_argument("--note", action="append", default=[], metavar="KEY=VALUE", help=pick("add a note (repeatable)",
                                                                                         "メモを追加する（繰り返し指定できる）"))
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..paths import default_ini
    from ..record import build_record, read_steps, write_record

    ini = args.ini or str(default_ini())
    doctor = None
    if args.doctor:
        from ..doctor import run_doctor

        doctor = run_doctor(ini, args.account)
    steps = read_steps(Path(args.steps)) if args.steps else None
    extra: dict[str, str] = {}
    for note in args.note:
        key, _, value = note.partition("=")
        extra[key.strip()] = value.strip()
    rec = build_record(ini, args.account, steps=steps, doctor=doctor, extra=extra or None, lang=args.cmd_lang)
    path = write_record(rec, args.out, lang=args.cmd_lang)
    print(WRITTEN(args.cmd_lang, path=str(path)))
    return 0
