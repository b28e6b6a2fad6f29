"""``oauthmail doctor --ini FILE [--account A] [--json] [--record FILE]``: preflight checks with verdicts and fixes.

Exit status 0 only when no check failed (warnings allowed), 1 otherwise.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "doctor", help="preflight checks, each with a verdict and a fix",
        description="Check the token INI, DNS, TCP, TLS, EHLO, the token endpoint, the clock, the refresh and "
        "SMTP AUTH (no message is sent).")
    p.add_argument("--ini", help="token INI (default: OAUTHMAIL_HOME/oauthmail.ini)")
    p.add_argument("--account", help="which account of the INI")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--record", metavar="FILE.json", help="also say what changed since this setup record")
    p.add_argument("--check", action="append", metavar="ID",
                   help="run only this check (and what it needs); repeatable: ini, secret_expiry, dns, tcp, tls, "
                   "ehlo, token_endpoint, clock, refresh, smtp_auth")
    p.add_argument("--timeout", type=float, default=10, help="seconds per network step (default 10)")
    p.add_argument("--lang", dest="cmd_lang", choices=("en", "ja"), help="language of the output")
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
