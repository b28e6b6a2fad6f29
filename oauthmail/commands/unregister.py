"""``oauthmail unregister microsoft --client-id ID``: delete an app registration (e.g. one the kit made).

Signs in with the same bootstrap client as ``register`` and deletes the application through
Microsoft Graph (``DELETE /applications/{id}``); its service principal and tokens stop working.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..i18n import pick


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("unregister", help=pick("delete an app registration made with `register`",
                                                           "`register` で作ったアプリの登録を削除する"),
                                   description=pick("Remove an app registration (Microsoft: through Microsoft Graph).",
                                                    "アプリの登録を削除します（Microsoft では Microsoft Graph を使います）。"))
    sub = parser.add_subparsers(dest="provider", metavar="PROVIDER")
    sub.required = True
    from .register_microsoft import add_common

    m = sub.add_parser("microsoft", help=pick("Microsoft 365: delete the Entra app registration",
                                              "Microsoft 365: Entra のアプリの登録を削除する"),
                       description=pick("Sign in with the bootstrap client and delete the app registration.",
                                        "最初のサインイン用のクライアント（--bootstrap-client）でサインインし、アプリの登録を削除します。"))
    m.add_argument("--client-id", required=True, help=pick("Application (client) ID of the app to delete",
                                                           "削除するアプリのアプリケーション (クライアント) ID"))
    m.add_argument("--email", help=pick("the account to sign in with (pre-fills the sign-in page)",
                                        "サインインに使うアカウント（サインイン ページにあらかじめ入力される）"))
    add_common(m)
    m.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..registration import microsoft_messages as msgs
    from ..registration.microsoft import unregister_microsoft
    from .register_microsoft import Printer, mode_of

    mode = mode_of(args)
    done = unregister_microsoft(args.client_id, authority=args.authority, tenant=args.tenant,
                                bootstrap_client=args.bootstrap_client, graph_url=args.graph_url, mode=mode,
                                email=args.email, on_url=Printer().url(mode),
                                on_message=lambda text: print(text, flush=True), timeout=args.timeout)
    if args.json:
        print(json.dumps({"removed": True, "app_id": done.app_id, "object_id": done.object_id,
                          "display_name": done.name}, ensure_ascii=False), flush=True)
    else:
        print(msgs.APP_REMOVED(app_id=done.app_id, name=done.name), flush=True)
    sys.stdout.flush()
    return 0
