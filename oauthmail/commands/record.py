"""``oauthmail record --ini FILE [--account A] --out FILE.{md,json,html}``: the setup record, no secret in it."""

from __future__ import annotations

import argparse
from typing import Any

from ..i18n import Msg

WRITTEN = Msg(en="Setup record written: {path}", ja="セットアップ記録を書き出しました: {path}")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "record", help="write the setup record (no secret in it)",
        description="Write who set up which mailbox, how and when, as Markdown, JSON or HTML (no secret).")
    p.add_argument("--ini", help="token INI (default: OAUTHMAIL_HOME/oauthmail.ini)")
    p.add_argument("--account", help="which account of the INI")
    p.add_argument("--out", help="FILE.md, FILE.json or FILE.html (default: OAUTHMAIL_HOME/records/…)")
    p.add_argument("--doctor", action="store_true", help="run `oauthmail doctor` first and include its results")
    p.add_argument("--steps", help="a JSON file with the notebook's checklist ([{id, label, done, at}])")
    p.add_argument("--note", action="append", default=[], metavar="KEY=VALUE", help="add a note (repeatable)")
    p.add_argument("--lang", dest="cmd_lang", choices=("en", "ja"), help="language of the output")
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
