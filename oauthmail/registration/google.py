"""Google, as far as Google allows (provider facts 59-60): gcloud for the project and the Gmail API,
the console's own pages for the rest, and the downloaded client JSON handed on to consent.

There is no API for the Google Auth Platform pages (branding, audience, test users, data access)
nor for a Desktop or Web OAuth client, so the kit opens those pages with the project filled in
and waits for the JSON the last one downloads. The URL forms are the console's own
(``https://console.cloud.google.com/auth/branding?project=P``, ``…/auth/audience``,
``…/auth/scopes`` for Data Access, ``…/auth/clients/create``), as Google's help pages
(support.google.com/cloud/answer/15549049, 15549257) and public setup scripts use them.

::

    reg = GoogleRegistration("my-mail-4821", gcloud=Gcloud.find(), email="alice@gmail.com")
    reg.prepare_project(create=True)          # gcloud: describe/create + services enable (skipped without gcloud)
    for step in reg.console_steps(): print(step.url)
    client = reg.take_client_json(path)       # clients.load_google_client, checked against the project
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..clients import ClientConfig, load_google_client
from ..errors import ConfigError
from ..i18n import Msg
from ..providers import GOOGLE_GMAIL_SEND_SCOPE, GOOGLE_MAIL_SCOPE
from .google_gcloud import Gcloud, suggest_project_id

CONSOLE = "https://console.cloud.google.com"
#: 6 to 30 characters, a lower-case letter first, no hyphen last (Resource Manager's rule for project IDs).
PROJECT_ID_RE = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
CLIENT_FILE_GLOB = "client_secret*.json"

BAD_PROJECT_ID = Msg(en="{project!r} is not a Google Cloud project ID.",
                     ja="{project!r} は Google Cloud のプロジェクト ID ではありません。")
BAD_PROJECT_ID_HINT = Msg(
    en="A project ID has 6-30 characters: lower-case letters, digits and hyphens, starting with a letter (for "
    "example {suggestion}). It is the ID shown under the project's name, not the display name.",
    ja="プロジェクト ID は 6〜30 文字の英小文字・数字・ハイフンで、英字で始まります（例: {suggestion}）。"
    "プロジェクト名ではなく、その下に表示される ID です。",
)
NO_CLIENT_JSON = Msg(en="No downloaded client JSON (client_secret_….json) was found in {folder}.",
                     ja="{folder} にダウンロードしたクライアント JSON（client_secret_….json）が見つかりません。")
NO_CLIENT_JSON_HINT = Msg(
    en="After 'Create' on the Clients page, click 'Download JSON' in the dialog, then give the file: "
    "--client-secrets FILE (or type its path at the prompt). The secret is shown in full only in that dialog.",
    ja="「クライアント」のページで「作成」を押した後、ダイアログの「JSON をダウンロード」を押し、--client-secrets でそのファイルを指定してください（またはプロンプトにパスを入力してください）。シークレット全体が表示されるのは"
    "このダイアログだけです。",
)
PROJECT_MISMATCH = Msg(
    en="warning: the client JSON belongs to project {found}, not {project}; the kit uses it as it is.",
    ja="警告: このクライアント JSON はプロジェクト {project} ではなく {found} のものです。そのまま使います。",
)


@dataclass(frozen=True)
class ConsoleStep:
    """One page of the console a person opens, with what to do there."""

    id: str
    title: Msg
    todo: Msg
    url: str
    params: dict[str, str] = field(default_factory=dict)

    def text(self, lang: str | None = None) -> str:
        """What to do on the page, in ``lang``."""
        return self.todo.format(lang, **self.params)


@dataclass(frozen=True)
class StepResult:
    """What the kit did for one step (for the command's output and ``--json``)."""

    id: str
    status: str  # "created" | "selected" | "enabled" | "skipped" | "open"
    detail: str = ""


def valid_project_id(project: str) -> bool:
    return bool(PROJECT_ID_RE.match(project))


def new_project_id(prefix: str = "oauthmail") -> str:
    """A fresh ID (``oauthmail-4f2a``): project IDs are global, so a fixed default would be taken."""
    return suggest_project_id(prefix)


def check_project_id(project: str) -> str:
    project = project.strip()
    if not valid_project_id(project):
        raise ConfigError(BAD_PROJECT_ID, BAD_PROJECT_ID_HINT, code="google_bad_project_id", project=project,
                          suggestion=new_project_id())
    return project


def console_url(path: str, project: str, **query: str) -> str:
    """``https://console.cloud.google.com/<path>?project=<project>`` (plus any other parameters)."""
    params = "&".join(f"{k}={quote(v, safe='')}" for k, v in {"project": project, **query}.items())
    return f"{CONSOLE}/{path}?{params}"


def scope_for(transport: str) -> str:
    """The scope Data Access must list: SMTP needs https://mail.google.com/, the Gmail API gmail.send."""
    return GOOGLE_GMAIL_SEND_SCOPE if transport == "gmail-api" else GOOGLE_MAIL_SCOPE


# Each page: its name in the Google Auth Platform console (fact 60, the older name in brackets) and what to do.
T_PROJECT = Msg(en="Project", ja="プロジェクト")
DO_PROJECT = Msg(en="Create the project with the ID {project} (or select it if it exists).",
                 ja="ID が {project} のプロジェクトを作成します（すでにあれば選択）。")
T_GMAIL_API = Msg(en="APIs & Services → Library → Gmail API", ja="「API とサービス」→「ライブラリ」→「Gmail API」")
DO_GMAIL_API = Msg(en="Click 'Enable'.", ja="「有効にする」を押します。")
T_BRANDING = Msg(en="Google Auth Platform → Branding (OAuth consent screen)",
                 ja="Google Auth Platform →「ブランディング」（OAuth 同意画面）")
DO_BRANDING = Msg(
    en="'Get started' if shown: an app name and the user support email, Next; Audience: External; your contact "
    "email; agree, Create.",
    ja="「開始」が表示されたら: アプリ名と「ユーザー サポートメール」を入力して「次へ」、対象は「外部」、連絡先メール"
    "アドレスを入力し、同意して「作成」。",
)
T_AUDIENCE = Msg(en="Google Auth Platform → Audience (Test users)", ja="Google Auth Platform →「対象」（テストユーザー）")
DO_AUDIENCE = Msg(
    en="Test users → Add users → {email} → Save. (In 'Testing', refresh tokens expire after 7 days; 'Publish app' "
    "to In production keeps them.)",
    ja="「テストユーザー」→「ユーザーを追加」→ {email} →「保存」。（「テスト中」ではリフレッシュ トークンが 7 日で"
    "失効します。「アプリを公開」で「本番環境」にすると失効しません。）",
)
T_DATA_ACCESS = Msg(en="Google Auth Platform → Data Access (Scopes)",
                    ja="Google Auth Platform →「データアクセス」（スコープ）")
DO_DATA_ACCESS = Msg(
    en="Add or remove scopes → add {scope} by hand if it is not listed → Update → Save.",
    ja="「スコープを追加または削除」→ 一覧になければ {scope} を手動で追加 →「更新」→「保存」。",
)
T_CLIENT = Msg(en="Google Auth Platform → Clients → Create client (Credentials)",
               ja="Google Auth Platform →「クライアント」→「クライアントを作成」（認証情報）")
DO_CLIENT = Msg(
    en="Application type: Desktop app → a name → Create → Download JSON (the secret is shown in full only now).",
    ja="アプリケーションの種類:「デスクトップ アプリ」→ 名前 →「作成」→「JSON をダウンロード」（シークレット全体が"
    "表示されるのはこのときだけです）。",
)
YOUR_ADDRESS = Msg(en="your Google address", ja="自分の Google アドレス")
BY_GCLOUD = Msg(en="{title} (gcloud)", ja="{title}（gcloud）")
BY_HAND = Msg(en="{title} (in the console, by hand)", ja="{title}（コンソールで手動）")
T_SIGNED_IN = Msg(en="Sign-in and token INI", ja="サインインとトークン INI")


def console_steps(project: str, *, email: str | None = None, transport: str = "smtp",
                  with_project_steps: bool = False, lang: str | None = None) -> list[ConsoleStep]:
    """The console pages that have no API, in order, with the project filled in.

    ``with_project_steps`` adds the two pages gcloud would have done (no gcloud, or ``--no-gcloud``).
    """
    params = {"project": project, "email": email or YOUR_ADDRESS.format(lang), "scope": scope_for(transport)}
    steps: list[ConsoleStep] = []
    if with_project_steps:
        steps += [
            ConsoleStep("project", T_PROJECT, DO_PROJECT, f"{CONSOLE}/projectcreate", params),
            ConsoleStep("gmail-api", T_GMAIL_API, DO_GMAIL_API,
                        console_url("apis/library/gmail.googleapis.com", project), params),
        ]
    steps += [
        ConsoleStep("branding", T_BRANDING, DO_BRANDING, console_url("auth/branding", project), params),
        ConsoleStep("audience", T_AUDIENCE, DO_AUDIENCE, console_url("auth/audience", project), params),
        ConsoleStep("data-access", T_DATA_ACCESS, DO_DATA_ACCESS, console_url("auth/scopes", project), params),
        ConsoleStep("client", T_CLIENT, DO_CLIENT, console_url("auth/clients/create", project), params),
    ]
    return steps


def default_downloads() -> Path:
    """Where browsers save files: ``XDG_DOWNLOAD_DIR``, else ``~/Downloads``."""
    xdg = os.environ.get("XDG_DOWNLOAD_DIR")
    return Path(xdg).expanduser() if xdg else Path.home() / "Downloads"


def find_downloaded_client(folder: Path, since: float) -> Path | None:
    """The newest ``client_secret*.json`` in ``folder`` saved at or after ``since`` (a Unix time)."""
    try:
        found = [p for p in folder.glob(CLIENT_FILE_GLOB) if p.is_file() and p.stat().st_mtime >= since - 2]
    except OSError:
        return None
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


@dataclass
class GoogleRegistration:
    """One run of ``register google``: what gcloud did, which pages are left, the client JSON."""

    project: str
    gcloud: Gcloud | None = None
    email: str | None = None
    transport: str = "smtp"
    name: str = "oauthmail"
    started: float = field(default_factory=time.time)
    results: list[StepResult] = field(default_factory=list)
    account: str | None = None

    def __post_init__(self) -> None:
        self.project = check_project_id(self.project)

    def prepare_project(self, *, create: bool = True) -> list[StepResult]:
        """With gcloud: select or create the project, enable the Gmail API. Without: nothing (links instead)."""
        if self.gcloud is None:
            self.results += [StepResult("project", "open"), StepResult("gmail-api", "open")]
            return self.results
        self.account = self.gcloud.require_account()
        status = self.gcloud.ensure_project(self.project, create=create, name=self.name)
        self.results.append(StepResult("project", status, self.project))
        self.gcloud.enable_gmail(self.project)
        self.results.append(StepResult("gmail-api", "enabled", "gmail.googleapis.com"))
        return self.results

    def console_steps(self, lang: str | None = None) -> list[ConsoleStep]:
        return console_steps(self.project, email=self.email or self.account, transport=self.transport,
                             with_project_steps=self.gcloud is None, lang=lang)

    def wait_for_download(self, folder: Path, timeout: float, poll: float = 1.0) -> Path | None:
        """The client JSON saved into ``folder`` since the run started, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = find_downloaded_client(folder, self.started)
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(poll)

    def take_client_json(self, path: str | Path) -> tuple[ClientConfig, list[str]]:
        """The client read by the kit's own reader (every mistake explained there), and warnings."""
        client = load_google_client(Path(path).expanduser())
        warnings: list[str] = []
        found = _project_of(Path(path).expanduser())
        if found and found != self.project:
            warnings.append(PROJECT_MISMATCH(found=found, project=self.project))
        self.results.append(StepResult("client", "downloaded", Path(path).name))
        return client, warnings


def record_steps(reg: GoogleRegistration, *, signed_in: bool, lang: str | None = None) -> list[dict[str, Any]]:
    """The setup record's checklist for one ``register google`` run, in the order it was done.

    What gcloud did is done when gcloud said so. The console pages have no API, so the kit cannot see them;
    a sign-in that worked shows that branding, audience and the client were in place (Google refuses the
    consent screen otherwise), and the client page is done once its JSON was taken.
    """
    from ..record import now_iso

    at = now_iso()
    done_by_gcloud = {r.id for r in reg.results if r.status in ("created", "selected", "enabled")}
    client_taken = any(r.id == "client" for r in reg.results)
    steps: list[dict[str, Any]] = []
    for step in reg.console_steps(lang):
        done = client_taken if step.id == "client" else signed_in
        steps.append({"id": step.id, "label": BY_HAND.format(lang, title=step.title(lang)), "done": done,
                      "at": at if done else ""})
    for gid, title in (("gmail-api", T_GMAIL_API), ("project", T_PROJECT)):
        if gid in done_by_gcloud:
            steps.insert(0, {"id": gid, "label": BY_GCLOUD.format(lang, title=title(lang)), "done": True, "at": at})
    steps.append({"id": "consent", "label": T_SIGNED_IN.format(lang), "done": signed_in, "at": at if signed_in else ""})
    return steps


def record_extra(reg: GoogleRegistration, client_json: str | Path) -> dict[str, str]:
    """The record's notes for a ``register google`` run (no secret: names and IDs only)."""
    extra = {"provider": "google", "created_by": "oauthmail register google", "project_id": reg.project,
             "client_json": Path(client_json).name, "transport": reg.transport}
    if reg.account:
        extra["gcloud_account"] = reg.account
    return extra


def _project_of(path: Path) -> str | None:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    section = data.get("installed") or data.get("web") if isinstance(data, dict) else None
    value = section.get("project_id") if isinstance(section, dict) else None
    return value if isinstance(value, str) else None


def missing_client_json(folder: Path) -> ConfigError:
    return ConfigError(NO_CLIENT_JSON, NO_CLIENT_JSON_HINT, code="google_no_client_json", folder=str(folder))
