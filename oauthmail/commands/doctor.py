"""``oauthmail doctor --ini FILE [--account A] [--json] [--record FILE]``: preflight checks with verdicts and fixes.

Exit status 0 only when no check failed (warnings allowed), 1 otherwise.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..i18n import pick
from . import add_account_option, add_ini_option, add_json_option, add_lang_option


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "doctor", help=pick("preflight checks, each with a verdict and a fix",
                            "送信前の診断（項目ごとに結果と対処方法を示す）"),
        description=pick("Check the token INI, DNS, TCP, TLS, EHLO, the token endpoint, the clock, the refresh and "
        "SMTP AUTH (no message is sent).",
                         "トークン INI、DNS、TCP、TLS、EHLO、トークン エンドポイント、時計、トークンの更新、SMTP AUTH を確認します（メールは送信しません）。"))
    add_ini_option(p)
    add_account_option(p)
    add_json_option(p)
    p.add_argument("--record", metavar="FILE.json", help=pick("also say what changed since this setup record",
                                                              "このセットアップ記録のときから変わったことも示す"))
    p.add_argument("--check", action="append", metavar="ID",
                   help=pick("run only this check (and what it needs); repeatable: ini, secret_expiry, dns, tcp, tls, "
                   "ehlo, token_endpoint, clock, refresh, smtp_auth",
                             "この項目（と、その前提になる項目）だけを確認する。繰り返し指定できる: ini、secret_expiry、dns、tcp、tls、ehlo、token_endpoint、clock、refresh、smtp_auth"))
    p.add_argument("--timeout", type=float, default=10, help=pick("seconds per network step (default 10)",
                                                                  "ネットワークの確認 1 つあたりの制限時間（秒、既定: 10）"))
    add_lang_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from ..doctor import render_table, run_doctor
    from ..i18n import current_language
    from ..paths import default_ini

    record = None
    if args.record:
        from ..record import read_record

        record = read_record(args.record)
    ini = args.ini or str(default_ini())
    account = args.account or (record.account if record is not None else None)
    from ..sandbox.lifecycle import ensure_for_ini

    note = ensure_for_ini(ini, account)  # an INI made against a stopped sandbox: bring it up first
    from . import trust_the_sandbox

    trust_the_sandbox(ini, account)  # a sandbox's INI in a terminal that does not trust its CA (else nothing)
    if note:
        from .send import warn

        warn(note)
    report = run_doctor(ini, account, checks=args.check, timeout=args.timeout, record=record)
    lang = args.cmd_lang or current_language()
    if args.json:
        print(json.dumps(report.to_dict(lang), ensure_ascii=False, indent=2))
    else:
        print(render_table(report, lang))
    return 0 if report.ok else 1
