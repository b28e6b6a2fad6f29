"""``oauthmail register PROVIDER``: create what a provider's console would make a person click through.

One command with a sub-parser per provider. This module only wires them: each provider's options
and run live in its own module (``register_google.py``, ``register_microsoft.py``), so a provider
whose module is not there yet simply does not appear.
"""

from __future__ import annotations

import sys
from typing import Any

from ..i18n import pick

#: The provider modules, in the order ``--help`` lists them.
PROVIDERS = ("register_microsoft", "register_google")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "register", help=pick("create the app registration / OAuth client setup (Microsoft by Graph, Google by gcloud)",
                              "アプリの登録や OAuth クライアントを作る（Microsoft は Graph で、Google は gcloud で）"),
        description=pick("Create what the provider's console would otherwise make you click through.",
                         "プロバイダーのコンソールで一つずつクリックして作るものを、コマンドで作ります。"))
    sub = parser.add_subparsers(dest="provider", metavar="PROVIDER")
    sub.required = True
    for name in PROVIDERS:
        qualified = f"oauthmail.commands.{name}"
        try:
            __import__(qualified)
        except ModuleNotFoundError as exc:  # the other provider's module may not be built yet
            if exc.name == qualified:
                continue
            raise
        sys.modules[qualified].add_parser(sub)
