"""The person's own ``gcloud``: find it, run it, and say what each of its failures means.

Only what Google lets a command line do (provider facts 59): select or create the project
(``gcloud projects describe|create``) and enable the Gmail API (``gcloud services enable
gmail.googleapis.com``), signed in as the person (``gcloud auth login``). The runner is
injectable, and the tests put a fake ``gcloud`` on ``PATH`` that answers with gcloud's real
texts (cited there).

::

    gc = Gcloud.find()                      # None when gcloud is not installed
    gc.account()                            # "alice@example.com", or None when nobody is logged in
    gc.ensure_project("my-mail-1234", create=True)
    gc.enable_gmail("my-mail-1234")
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..i18n import Msg
from ..secrets import redact

GMAIL_SERVICE = "gmail.googleapis.com"
#: Where a person accepts Google Cloud's Terms of Service (opening the console once asks for it).
TERMS_URL = "https://console.cloud.google.com/"
INSTALL_URL = "https://cloud.google.com/sdk/docs/install"


@dataclass(frozen=True)
class GcloudResult:
    """What one gcloud run answered."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


Runner = Callable[[Sequence[str]], GcloudResult]

# --- what went wrong, each with its fix -------------------------------------------------------------

GCLOUD_NOT_FOUND = Msg(en="gcloud was not found at {path}.", ja="{path} に gcloud が見つかりません。")
GCLOUD_NOT_FOUND_HINT = Msg(
    en="Install the Google Cloud CLI (" + INSTALL_URL + ") and run `gcloud auth login`, or run "
    "`oauthmail register google --no-gcloud --project ID` to do the two gcloud steps in the console instead.",
    ja="Google Cloud CLI をインストールし（" + INSTALL_URL + "）`gcloud auth login` を実行するか、"
    "`oauthmail register google --no-gcloud --project ID` でその 2 つの手順をコンソールで行ってください。",
)
NOT_LOGGED_IN = Msg(en="gcloud is installed, but no Google account is logged in to it.",
                    ja="gcloud はインストールされていますが、Google アカウントでログインしていません。")
NOT_LOGGED_IN_HINT = Msg(
    en="Run `gcloud auth login` (a browser opens; sign in with the account that will own the project), then run "
    "this command again. Or add --no-gcloud to do the project and the Gmail API in the console instead.",
    ja="`gcloud auth login` を実行し（ブラウザーが開きます。プロジェクトの所有者にするアカウントでログイン）、この"
    "コマンドをもう一度実行してください。--no-gcloud を付ければ、プロジェクトと Gmail API をコンソールで行えます。",
)
PROJECT_TAKEN = Msg(en="The project ID {project} is already used by another Google Cloud project.",
                    ja="プロジェクト ID {project} は別の Google Cloud プロジェクトがすでに使っています。")
PROJECT_TAKEN_HINT = Msg(
    en="Project IDs are unique across all of Google Cloud and are never reused. Choose another one, for example "
    "--project {suggestion} (6-30 characters: lower-case letters, digits, hyphens).",
    ja="プロジェクト ID は Google Cloud 全体で一意で、再利用もできません。別の ID を指定してください"
    "（例: --project {suggestion}。6〜30 文字の英小文字・数字・ハイフン）。",
)
TOS_NOT_ACCEPTED = Msg(en="Google Cloud refused: {account} has not accepted the Google Cloud Terms of Service yet.",
                       ja="Google Cloud に拒否されました: {account} はまだ Google Cloud の利用規約に同意していません。")
TOS_NOT_ACCEPTED_HINT = Msg(
    en="Open " + TERMS_URL + " once, signed in as {account}, accept the Terms of Service (and pick your country), "
    "then run this command again.",
    ja="{account} でログインした状態で " + TERMS_URL + " を一度開き、利用規約に同意して（国も選択）から、"
    "このコマンドをもう一度実行してください。",
)
BILLING = Msg(en="Google Cloud refused because of billing: {message}",
              ja="請求（課金）の設定が原因で Google Cloud に拒否されました: {message}")
BILLING_HINT = Msg(
    en="The Gmail API itself is free and needs no billing account. Google asks for one when a project or an account "
    "is over what it allows without billing (a service that needs it, or too many projects): use another project of "
    "yours (--project ID), delete unused projects (https://console.cloud.google.com/cloud-resource-manager), or link "
    "a billing account to {project} (https://console.cloud.google.com/billing/linkedaccount?project={project}).",
    ja="Gmail API 自体は無料で、請求先アカウントは不要です。プロジェクトやアカウントが課金なしで許される範囲を超えると"
    "（課金が必要なサービス、プロジェクト数の上限など）Google が求めてきます。自分の別のプロジェクトを使う"
    "（--project ID）、使っていないプロジェクトを削除する（https://console.cloud.google.com/cloud-resource-manager）、"
    "または {project} に請求先アカウントをリンクしてください"
    "（https://console.cloud.google.com/billing/linkedaccount?project={project}）。",
)
PROJECT_QUOTA = Msg(en="{account} cannot create more Google Cloud projects (the project quota is used up).",
                    ja="{account} はこれ以上 Google Cloud プロジェクトを作れません（プロジェクト数の上限）。")
PROJECT_QUOTA_HINT = Msg(
    en="Use a project you already have (--project ID; the kit enables the Gmail API in it), or delete unused ones "
    "(https://console.cloud.google.com/cloud-resource-manager; a deleted project still counts for 30 days), or ask "
    "Google for more (https://support.google.com/code/contact/project_quota_increase).",
    ja="既存のプロジェクトを使う（--project ID。キットがそのプロジェクトで Gmail API を有効にします）か、使っていない"
    "プロジェクトを削除する（https://console.cloud.google.com/cloud-resource-manager。削除後 30 日間は数に含まれます）"
    "か、上限の引き上げを申請してください（https://support.google.com/code/contact/project_quota_increase）。",
)
DENIED_CREATE = Msg(en="{account} is not allowed to create projects ({command}).",
                    ja="{account} にはプロジェクトの作成の権限がありません（{command}）。")
DENIED_ENABLE = Msg(en="{account} is not allowed to enable the Gmail API in {project} ({command}).",
                    ja="{account} には {project} で Gmail API を有効にする権限がありません（{command}）。")
DENIED_READ = Msg(en="{account} is not allowed to read the project {project} ({command}).",
                  ja="{account} にはプロジェクト {project} の読み取り権限がありません（{command}）。")
PERMISSION_DENIED_HINT = Msg(
    en="In an organisation's Google Workspace, creating projects needs the Project Creator role and enabling APIs "
    "needs Service Usage Admin (or Owner/Editor of the project). Ask your Google Cloud admin, or use a project you "
    "own: --project ID. Check the project ID for typos (gcloud says 'permission' also when a project does not exist).",
    ja="組織の Google Workspace では、プロジェクトの作成に「プロジェクト作成者」ロール、API の有効化に"
    "「Service Usage 管理者」（またはプロジェクトのオーナー／編集者）が必要です。Google Cloud の管理者に依頼するか、"
    "自分が所有するプロジェクトを --project ID で指定してください。ID の入力ミスも確認してください（プロジェクトが"
    "存在しない場合も gcloud は権限がないと答えます）。",
)
PROJECT_NOT_FOUND = Msg(en="The project {project} does not exist or {account} cannot see it.",
                        ja="プロジェクト {project} は存在しないか、{account} からは見えません。")
PROJECT_NOT_FOUND_HINT = Msg(
    en="Check the project ID (not its display name) in https://console.cloud.google.com/cloud-resource-manager, "
    "or leave out --no-create so the kit creates it.",
    ja="https://console.cloud.google.com/cloud-resource-manager でプロジェクト ID（表示名ではありません）を確認するか、"
    "--no-create を外してキットに作成させてください。",
)
GCLOUD_FAILED = Msg(en="gcloud failed ({command}): {message}", ja="gcloud が失敗しました（{command}）: {message}")
GCLOUD_FAILED_HINT = Msg(
    en="Run the same gcloud command yourself to see the whole answer, fix what it says, and run this command "
    "again; or add --no-gcloud to do these steps in the console.",
    ja="同じ gcloud コマンドを自分で実行して全体を確認し、指摘どおりに直してからもう一度実行してください。"
    "--no-gcloud を付ければ、これらの手順をコンソールで行えます。",
)
GCLOUD_TIMEOUT = Msg(en="gcloud did not answer within {seconds} s ({command}).",
                     ja="gcloud が {seconds} 秒以内に応答しませんでした（{command}）。")
GCLOUD_TIMEOUT_HINT = Msg(
    en="Check the network or proxy (gcloud honours HTTPS_PROXY) and run this command again; it picks up where it "
    "stopped.",
    ja="ネットワークやプロキシ（gcloud は HTTPS_PROXY に従います）を確認して、もう一度実行してください。"
    "途中から続きを行います。",
)


#: gcloud's own wordings for each kind of failure (samples with sources: tests/test_register_google.py).
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE | re.DOTALL))
    for kind, pattern in (
        ("not_logged_in", r"do not currently have an active account selected|gcloud auth login|Reauthentication "
                          r"(?:failed|required)|problem refreshing your current auth tokens"),
        ("project_taken", r"already in use by another project|Requested entity already exists|\balreadyExists\b"),
        ("tos", r"Terms of Service"),
        ("quota", r"exceeded your allotted project quota|project quota"),
        ("billing", r"\bbilling\b"),
        ("permission", r"PERMISSION_DENIED|does not have permission|Permission denied|caller does not have permission"
                       r"|\b403\b"),
    )
)


def classify(stderr: str) -> str:
    """``not_logged_in`` | ``project_taken`` | ``tos`` | ``quota`` | ``billing`` | ``permission`` | ``other``."""
    for kind, pattern in _KINDS:
        if pattern.search(stderr):
            return kind
    return "other"


def error_line(stderr: str) -> str:
    """gcloud's ``ERROR: (gcloud.x) …`` line without its prefix (or the last line), masked."""
    lines = [ln.strip() for ln in stderr.strip().splitlines() if ln.strip()]
    chosen = next((ln for ln in lines if ln.startswith("ERROR:")), lines[-1] if lines else "")
    chosen = re.sub(r"^ERROR:\s*(\(gcloud[^)]*\)\s*)?", "", chosen)
    return redact(chosen)[:300]


def subprocess_runner(gcloud: str, timeout: float = 180.0) -> Runner:
    """Run the real (or a fake) gcloud with prompts turned off."""

    def run(args: Sequence[str]) -> GcloudResult:
        env = dict(os.environ)
        env["CLOUDSDK_CORE_DISABLE_PROMPTS"] = "1"
        try:
            proc = subprocess.run([gcloud, *args], capture_output=True, text=True, env=env, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired as exc:
            raise ConfigError(GCLOUD_TIMEOUT, GCLOUD_TIMEOUT_HINT, code="gcloud_timeout", seconds=int(timeout),
                              command="gcloud " + " ".join(args[:2])) from exc
        return GcloudResult(tuple(args), proc.returncode, proc.stdout, proc.stderr)

    return run


def suggest_project_id(project: str, token: str | None = None) -> str:
    """Another ID in the same style: ``my-mail`` → ``my-mail-4821``."""
    suffix = token or os.urandom(2).hex()
    base = re.sub(r"-[0-9a-f]{4}$", "", project)[: 30 - 1 - len(suffix)].rstrip("-")
    return f"{base}-{suffix}"


class Gcloud:
    """The person's gcloud, through an injectable runner."""

    def __init__(self, runner: Runner, path: str = "gcloud") -> None:
        self.runner = runner
        self.path = path
        self._account: str | None = None

    @classmethod
    def find(cls, explicit: str | None = None, timeout: float = 180.0) -> Gcloud | None:
        """The gcloud on ``PATH`` (or at ``explicit``); ``None`` when there is none.

        An ``explicit`` path that does not exist is an error: the person asked for it.
        """
        path = shutil.which(explicit or "gcloud")
        if path is None:
            if explicit:
                raise ConfigError(GCLOUD_NOT_FOUND, GCLOUD_NOT_FOUND_HINT, code="gcloud_not_found", path=explicit)
            return None
        return cls(subprocess_runner(path, timeout), path)

    # --- calls -----------------------------------------------------------------------------------

    def account(self) -> str | None:
        """The logged-in account, or ``None``."""
        res = self.runner(["auth", "list", "--filter=status:ACTIVE", "--format=value(account)"])
        if res.returncode != 0:
            self._fail(res, "gcloud auth list", DENIED_READ, project="")
        accounts = [ln.strip() for ln in res.stdout.splitlines() if ln.strip()]
        self._account = accounts[0] if accounts else None
        return self._account

    def require_account(self) -> str:
        account = self.account()
        if not account:
            raise ConfigError(NOT_LOGGED_IN, NOT_LOGGED_IN_HINT, code="gcloud_not_logged_in")
        return account

    def describe(self, project: str) -> dict[str, Any] | None:
        """The project as gcloud describes it, or ``None`` when it does not exist or is not visible."""
        res = self.runner(["projects", "describe", project, "--format=json"])
        if res.returncode == 0:
            try:
                data = json.loads(res.stdout or "{}")
            except ValueError:
                data = {}
            return data if isinstance(data, dict) else {}
        if classify(res.stderr) == "permission":  # "does not have permission … (or it may not exist)"
            return None
        self._fail(res, "gcloud projects describe", DENIED_READ, project=project)
        raise AssertionError("unreachable")  # pragma: no cover

    def create(self, project: str, name: str) -> None:
        res = self.runner(["projects", "create", project, f"--name={name}", "--quiet"])
        if res.returncode != 0:
            self._fail(res, "gcloud projects create", DENIED_CREATE, project=project)

    def ensure_project(self, project: str, *, create: bool, name: str | None = None) -> str:
        """``"selected"`` when the project exists and is visible, ``"created"`` when the kit made it."""
        if self.describe(project) is not None:
            return "selected"
        if not create:
            raise ConfigError(PROJECT_NOT_FOUND, PROJECT_NOT_FOUND_HINT, code="gcloud_project_not_found",
                              project=project, account=self._account or "?")
        self.create(project, name or project)
        return "created"

    def enable_gmail(self, project: str) -> None:
        res = self.runner(["services", "enable", GMAIL_SERVICE, f"--project={project}", "--quiet"])
        if res.returncode != 0:
            self._fail(res, f"gcloud services enable {GMAIL_SERVICE}", DENIED_ENABLE, project=project)

    # --- failures --------------------------------------------------------------------------------

    def _fail(self, res: GcloudResult, command: str, denied: Msg, *, project: str) -> None:
        kind = classify(res.stderr)
        account = self._account or "?"
        details = redact(res.stderr.strip())[:2000]
        if kind == "not_logged_in":
            raise ConfigError(NOT_LOGGED_IN, NOT_LOGGED_IN_HINT, code="gcloud_not_logged_in", details=details)
        if kind == "project_taken":
            raise ConfigError(PROJECT_TAKEN, PROJECT_TAKEN_HINT, code="gcloud_project_taken", details=details,
                              project=project, suggestion=suggest_project_id(project))
        if kind == "tos":
            raise ConfigError(TOS_NOT_ACCEPTED, TOS_NOT_ACCEPTED_HINT, code="gcloud_tos", details=details,
                              account=account)
        if kind == "quota":
            raise ConfigError(PROJECT_QUOTA, PROJECT_QUOTA_HINT, code="gcloud_project_quota", details=details,
                              account=account)
        if kind == "billing":
            raise ConfigError(BILLING, BILLING_HINT, code="gcloud_billing", details=details,
                              message=error_line(res.stderr), project=project)
        if kind == "permission":
            raise ConfigError(denied, PERMISSION_DENIED_HINT, code="gcloud_permission_denied", details=details,
                              account=account, command=command, project=project)
        raise ConfigError(GCLOUD_FAILED, GCLOUD_FAILED_HINT, code="gcloud_failed", details=details,
                          command=command, message=error_line(res.stderr) or f"exit status {res.returncode}")

