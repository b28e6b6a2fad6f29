"""``oauthmail register google``: gcloud for the project and the Gmail API, console links for the rest.

stdout carries what a person acts on (the console pages, each with its link, and the consent URL
when ``--ini`` goes on into consent with ``--no-browser``); progress goes to stderr. With
``--json`` the summary is the only thing on stdout. No secret is printed: the client JSON is read
by the kit's reader and its secret goes only into the token INI.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..i18n import Msg, pick

GCLOUD_ABSENT = Msg(
    en="gcloud is not installed: do the project and the Gmail API in the console too (two more pages below). "
    "With the Google Cloud CLI logged in, the kit does those two by itself.",
    ja="gcloud がインストールされていないため、プロジェクトの作成と Gmail API の有効化もコンソールで行います（下の 2 ページ）。Google Cloud CLI にログインしていれば、この 2 つはキットが自動で行います。",
)
ASK_PROJECT = Msg(
    en="Project ID (an existing one from the console's project picker, or a new one you will create): ",
    ja="プロジェクト ID（コンソールのプロジェクト選択にある既存の ID、またはこれから作成する新しい ID）: ",
)
NO_PROJECT = Msg(en="No project ID was given.", ja="プロジェクト ID が指定されていません。")
NO_PROJECT_HINT = Msg(
    en="Pass --project ID (6-30 lower-case letters, digits, hyphens), or install and log in to gcloud so the kit can "
    "create one.",
    ja="--project ID（6〜30 文字の英小文字・数字・ハイフン）を指定するか、gcloud をインストールしてログインすれば"
    "キットが作成します。",
)
DONE_PROJECT = Msg(en="✓ project {project}: {status} (gcloud, as {account})",
                   ja="✓ プロジェクト {project}: {status}（gcloud、{account}）")
STATUS_CREATED = Msg(en="created", ja="作成しました")
STATUS_SELECTED = Msg(en="selected (it already exists)", ja="選択しました（既存）")
DONE_GMAIL = Msg(en="✓ Gmail API enabled in {project}", ja="✓ {project} で Gmail API を有効にしました")
PAGES_INTRO = Msg(
    en="Google has no API for these pages; open each one (the project is filled in) and do what it says:",
    ja="次の設定には Google の API がないため、コンソールで行います。各ページを開き（プロジェクトは選択済みです）、書かれているとおりに操作してください:",
)
ASK_JSON = Msg(
    en="When the client JSON is downloaded, press Enter (the kit looks in {folder}) or type the file's path: ",
    ja="クライアント JSON をダウンロードしたら Enter を押す（キットが {folder} を探します）か、ファイルのパスを入力してください: ",
)
WAITING_JSON = Msg(en="Waiting up to {seconds} s for client_secret_….json in {folder}…",
                   ja="{folder} に client_secret_….json が保存されるのを最大 {seconds} 秒待っています…")
GOT_JSON = Msg(en="✓ client JSON: {path} (client {client})", ja="✓ クライアント JSON: {path}（クライアント {client}）")
NO_GRAPH = Msg(en="--transport graph is Microsoft's; a Google account sends with smtp or gmail-api.",
               ja="--transport graph は Microsoft 用です。Google のアカウントは smtp か gmail-api で送ります。")
NO_GRAPH_HINT = Msg(en="Use --transport smtp (the default) or --transport gmail-api.",
                    ja="--transport smtp（既定）または --transport gmail-api を指定してください。")
RECORD_WRITTEN = Msg(en="✓ setup record: {paths}", ja="✓ セットアップ記録: {paths}")
NEXT_CONSENT = Msg(en="Next, sign in once and save the token INI:", ja="次に、一度サインインしてトークン INI を保存します:")


def add_parser(sub: Any) -> None:
    """The ``google`` sub-parser of ``oauthmail register`` (wired by :mod:`oauthmail.commands.register`)."""
    from .consent import add_consent_options

    g: argparse.ArgumentParser = sub.add_parser(
        "google", help=pick("Google: project + Gmail API with gcloud, then the console pages, then consent",
                            "Google: gcloud でプロジェクトと Gmail API を用意し、コンソールのページを開き、最後に同意の手順へ進む"),
        description=pick("Create or select the Google Cloud project and enable the Gmail API with your gcloud login, open "
        "the Google Auth Platform pages that have no API (branding, audience, data access, create client) with the "
        "project filled in, and take the downloaded client JSON; with --ini, go on into consent.",
                         "gcloud にログインしているアカウントで Google Cloud のプロジェクトを作成（または選択）して Gmail API を有効にし、API では設定できない Google Auth Platform のページ（「ブランディング」「対象」「データアクセス」「クライアントを作成」）をそのプロジェクトで開き、ダウンロードされたクライアントの JSON を受け取ります。--ini を付けると、そのまま同意の手順に進みます。"))
    g.add_argument("--project", metavar="ID", help=pick("project ID to select or create (default with gcloud: a new one)",
                                                        "選択または作成するプロジェクトの ID（gcloud があるときの既定: 新しく作る）"))
    g.add_argument("--name", default="oauthmail", help=pick("display name of a project the kit creates (default oauthmail)",
                                                            "キットが作るプロジェクトの表示名（既定: oauthmail）"))
    g.add_argument("--no-create", action="store_true", help=pick("only select an existing project, never create one",
                                                                 "既存のプロジェクトを選ぶだけで、新しくは作らない"))
    g.add_argument("--no-gcloud", action="store_true", help=pick("do not use gcloud even if it is installed",
                                                                 "gcloud がインストールされていても使わない"))
    g.add_argument("--gcloud", metavar="PATH", help=pick("the gcloud to use (default: the one on PATH)",
                                                         "使う gcloud のパス（既定: PATH にあるもの）"))
    g.add_argument("--client-secrets", metavar="FILE", help=pick("the downloaded client JSON (default: wait for it)",
                                                                 "ダウンロード済みのクライアントの JSON（既定: ダウンロードされるのを待つ）"))
    g.add_argument("--downloads", metavar="DIR", help=pick("where the browser saves files (default ~/Downloads)",
                                                           "ブラウザーがファイルを保存するフォルダー（既定: ~/Downloads）"))
    g.add_argument("--wait", type=float, default=600.0, help=pick("seconds to wait for the JSON download (default 600)",
                                                                  "JSON のダウンロードを待つ秒数（既定: 600）"))
    g.add_argument("--json", action="store_true", help=pick("print a machine-readable summary on stdout",
                                                            "結果のまとめを JSON で標準出力に出す"))
    add_consent_options(g)
    g.set_defaults(func=run)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..i18n import current_language
    from ..registration.google import (
        GoogleRegistration,
        default_downloads,
        missing_client_json,
        new_project_id,
    )
    from ..registration.google_gcloud import Gcloud
    from ..secrets import shorten_id

    lang = current_language()
    out = sys.stderr if args.json else sys.stdout
    if args.transport == "graph":
        raise ConfigError(NO_GRAPH, NO_GRAPH_HINT, code="google_no_graph")
    gcloud = None if args.no_gcloud else Gcloud.find(args.gcloud)
    if gcloud is None and not args.no_gcloud:
        _err(GCLOUD_ABSENT())

    project = args.project
    if not project and gcloud is not None:
        project = new_project_id()
    if not project:
        _err(ASK_PROJECT())
        project = sys.stdin.readline().strip()
        if not project:
            raise ConfigError(NO_PROJECT, NO_PROJECT_HINT, code="google_no_project")

    reg = GoogleRegistration(project, gcloud=gcloud, email=args.email, transport=args.transport, name=args.name)
    for result in reg.prepare_project(create=not args.no_create):
        if result.id == "project" and result.status in ("created", "selected"):
            status = STATUS_CREATED if result.status == "created" else STATUS_SELECTED
            _err(DONE_PROJECT(project=reg.project, status=status(), account=reg.account or "?"))
        elif result.id == "gmail-api" and result.status == "enabled":
            _err(DONE_GMAIL(project=reg.project))

    steps = reg.console_steps(lang)
    print(PAGES_INTRO(), file=out)
    for n, step in enumerate(steps, 1):
        print(f"{n}. {step.title(lang)}\n   {step.text(lang)}\n   {step.url}", file=out, flush=True)
    if not args.no_browser and steps:
        import webbrowser

        webbrowser.open(steps[0].url)

    folder = Path(args.downloads).expanduser() if args.downloads else default_downloads()
    path: Path | None = Path(args.client_secrets).expanduser() if args.client_secrets else None
    if path is None:
        _err(ASK_JSON(folder=str(folder)))
        typed = sys.stdin.readline().strip().strip("'\"")
        if typed:
            path = Path(typed).expanduser()
        else:
            _err(WAITING_JSON(seconds=int(args.wait), folder=str(folder)))
            path = reg.wait_for_download(folder, args.wait)
            if path is None:
                raise missing_client_json(folder)
    client, warnings = reg.take_client_json(path)
    for warning in warnings:
        _err(warning)
    _err(GOT_JSON(path=str(path), client=shorten_id(client.client_id)))

    records: list[Path] = []
    if args.ini is not None:
        import contextlib

        from . import consent

        consent_args = argparse.Namespace(**{**vars(args), "provider": "google", "client_secrets": str(path),
                                             "device_code": False})
        with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
            result = consent.sign_in(consent_args)  # with --json, stdout is the summary's alone
        records = _write_record(reg, Path(args.ini).expanduser(), path, result.email, lang)
        _err(RECORD_WRITTEN(paths=", ".join(str(p) for p in records)))
    else:
        print(NEXT_CONSENT(), file=out)
        transport = f" --transport {args.transport}" if args.transport != "smtp" else ""
        print(f"  oauthmail consent google --client-secrets {path} --ini oauthmail.ini{transport}", file=out)
    if args.json:
        summary: dict[str, Any] = {
            "provider": "google",
            "project": reg.project,
            "gcloud": gcloud.path if gcloud else None,
            "account": reg.account,
            "steps": [{"id": r.id, "status": r.status, "detail": r.detail} for r in reg.results],
            "pages": [{"id": s.id, "title": s.title(lang), "todo": s.text(lang), "url": s.url} for s in steps],
            "client_secrets": str(path),
            "client_id": shorten_id(client.client_id),
            "ini": args.ini,
            "records": [str(p) for p in records],
        }
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


def _write_record(reg: Any, ini: Path, client_json: Path, account: str, lang: str) -> list[Path]:
    """The setup record of the account just signed in (what gcloud did, the pages, the sign-in)."""
    from ..record import export_record
    from ..registration.google import record_extra, record_steps

    return export_record(ini, account, lang=lang, steps=record_steps(reg, signed_in=True, lang=lang),
                         extra=record_extra(reg, client_json))
