"""``oauthmail register google``: gcloud for the project and the Gmail API, console links, the JSON hand-off.

No Google account exists here, so gcloud is the honest double: ``tests/fake_gcloud.py`` on ``PATH``,
recording its argv and answering with gcloud's real texts (each cited there). The hand-off from the
downloaded client JSON into consent runs for real against the sandbox, and the token it saves sends.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from oauthmail import tokenfile
from oauthmail.errors import ConfigError, OAuthMailError
from oauthmail.registration.google import (
    GoogleRegistration,
    check_project_id,
    console_steps,
    find_downloaded_client,
    valid_project_id,
)
from oauthmail.registration.google_gcloud import Gcloud, classify, error_line, suggest_project_id

FAKE_SOURCE = Path(__file__).with_name("fake_gcloud.py")
ALICE = "alice@example.com"
BOB = "bob@example.com"
CLIENT_SECRET = "GOCSPX-" + "k" * 28


class FakeGcloud:
    """The fake's files: ``bin/gcloud``, its state and its log."""

    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.bin.mkdir()
        self.exe = self.bin / "gcloud"
        self.exe.write_text(f"#!{sys.executable}\n" + FAKE_SOURCE.read_text(encoding="utf-8"), encoding="utf-8")
        self.exe.chmod(0o755)
        self.state_file = root / "gcloud-state.json"
        self.log_file = root / "gcloud-argv.jsonl"
        self.set(account=ALICE)

    def set(self, **state: Any) -> None:
        self.state_file.write_text(json.dumps(state), encoding="utf-8")

    def state(self) -> dict[str, Any]:
        return dict(json.loads(self.state_file.read_text(encoding="utf-8")))

    def calls(self) -> list[list[str]]:
        if not self.log_file.exists():
            return []
        return [json.loads(line) for line in self.log_file.read_text(encoding="utf-8").splitlines()]

    def env(self, path_first: bool = True) -> dict[str, str]:
        return {"FAKE_GCLOUD_STATE": str(self.state_file), "FAKE_GCLOUD_LOG": str(self.log_file),
                "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}" if path_first else os.environ["PATH"]}


@pytest.fixture
def fake_gcloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeGcloud:
    fake = FakeGcloud(tmp_path)
    for key, value in fake.env().items():
        monkeypatch.setenv(key, value)
    return fake


def _client_json(folder: Path, project: str = "my-mail-1234", name: str = "client_secret_123.json") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps({"installed": {
        "client_id": "123456789012-abcdefghijklmnop.apps.googleusercontent.com", "project_id": project,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_secret": CLIENT_SECRET, "redirect_uris": ["http://localhost"]}}), encoding="utf-8")
    return path


# --- gcloud, driven through the fake ---------------------------------------------------------------------


def test_logged_in_gcloud_creates_the_project_and_enables_gmail(fake_gcloud: FakeGcloud) -> None:
    gc = Gcloud.find()
    assert gc is not None and gc.path == str(fake_gcloud.exe)
    reg = GoogleRegistration("my-mail-1234", gcloud=gc, name="Mail kit")
    results = reg.prepare_project(create=True)
    assert [(r.id, r.status) for r in results] == [("project", "created"), ("gmail-api", "enabled")]
    assert reg.account == ALICE
    calls = fake_gcloud.calls()
    assert calls[0][:2] == ["auth", "list"]
    assert calls[1][:3] == ["projects", "describe", "my-mail-1234"]
    assert calls[2][:3] == ["projects", "create", "my-mail-1234"] and "--name=Mail kit" in calls[2]
    assert calls[3][:3] == ["services", "enable", "gmail.googleapis.com"] and "--project=my-mail-1234" in calls[3]
    assert fake_gcloud.state()["enabled"] == {"my-mail-1234": ["gmail.googleapis.com"]}


def test_an_existing_project_is_selected_not_created(fake_gcloud: FakeGcloud) -> None:
    fake_gcloud.set(account=ALICE, owned=["team-mail-42"])
    reg = GoogleRegistration("team-mail-42", gcloud=Gcloud.find())
    assert [r.status for r in reg.prepare_project(create=True)] == ["selected", "enabled"]
    assert not any(c[:2] == ["projects", "create"] for c in fake_gcloud.calls())


@pytest.mark.parametrize(
    ("state", "project", "create", "code", "en_words", "ja_words"),
    [
        ({"account": None}, "my-mail-1234", True, "gcloud_not_logged_in", ["gcloud auth login", "--no-gcloud"],
         ["gcloud auth login", "ログイン"]),
        ({"account": ALICE, "taken": ["taken-mail"]}, "taken-mail", True, "gcloud_project_taken",
         ["--project taken-mail-", "unique"], ["--project taken-mail-", "一意"]),
        ({"account": ALICE, "tos": True}, "my-mail-1234", True, "gcloud_tos",
         ["Terms of Service", "https://console.cloud.google.com/", ALICE], ["利用規約", ALICE]),
        ({"account": ALICE, "quota": True}, "my-mail-1234", True, "gcloud_project_quota",
         ["--project ID", "project_quota_increase", "30 days"], ["上限", "30 日間"]),
        ({"account": ALICE, "deny_create": True}, "my-mail-1234", True, "gcloud_permission_denied",
         ["create projects", "Project Creator"], ["プロジェクトの作成", "プロジェクト作成者"]),
        ({"account": ALICE, "owned": ["org-mail-1"], "deny_enable": True}, "org-mail-1", True,
         "gcloud_permission_denied", ["enable the Gmail API in org-mail-1", "Service Usage Admin"],
         ["org-mail-1 で Gmail API を有効にする", "Service Usage 管理者"]),
        ({"account": ALICE, "owned": ["org-mail-1"], "billing": True}, "org-mail-1", True, "gcloud_billing",
         ["needs no billing", "billing/linkedaccount?project=org-mail-1"], ["請求先アカウント", "org-mail-1"]),
        ({"account": ALICE}, "not-mine-77", False, "gcloud_project_not_found",
         ["not-mine-77", "--no-create"], ["not-mine-77", "--no-create"]),
    ],
)
def test_every_gcloud_failure_has_its_own_message_and_fix(
    fake_gcloud: FakeGcloud, state: dict[str, Any], project: str, create: bool, code: str,
    en_words: list[str], ja_words: list[str],
) -> None:
    fake_gcloud.set(**state)
    reg = GoogleRegistration(project, gcloud=Gcloud.find())
    with pytest.raises(OAuthMailError) as info:
        reg.prepare_project(create=create)
    exc = info.value
    assert exc.code == code
    texts = {lang: exc.what(lang) + "\n" + exc.hint(lang) for lang in ("en", "ja")}
    for lang, words in (("en", en_words), ("ja", ja_words)):
        assert not re.search(r"\{[a-z_]+\}", texts[lang]), texts[lang]  # every placeholder filled
        for word in words:
            assert word in texts[lang], (lang, word, texts[lang])
    assert exc.what("en") != exc.what("ja")


def test_gcloud_not_installed_and_a_wrong_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert Gcloud.find() is None
    with pytest.raises(ConfigError) as info:
        Gcloud.find(str(tmp_path / "nowhere" / "gcloud"))
    assert info.value.code == "gcloud_not_found"
    assert "https://cloud.google.com/sdk/docs/install" in info.value.hint("en")
    assert "インストール" in info.value.hint("ja")


def test_gcloud_texts_are_classified() -> None:
    from tests import fake_gcloud as texts

    assert classify(texts.NOT_LOGGED_IN.format(cmd="gcloud.projects.create")) == "not_logged_in"
    assert classify(texts.TAKEN) == "project_taken"
    assert classify(texts.TOS) == "tos"
    assert classify(texts.QUOTA) == "quota"
    assert classify(texts.BILLING.format(service="gmail.googleapis.com")) == "billing"
    assert classify(texts.ENABLE_DENIED.format(service="gmail.googleapis.com")) == "permission"
    assert classify(texts.DESCRIBE_DENIED.format(account=ALICE, project="p")) == "permission"
    assert classify(texts.CREATE_DENIED) == "permission"
    assert classify("ERROR: (gcloud.projects.create) INTERNAL: try again") == "other"
    assert error_line(texts.TAKEN).startswith("Project creation failed.")
    assert error_line("WARNING: x\nERROR: (gcloud.a.b) token ya29.abcdefghijklmnopqrstu bad") == "token ***** bad"


def test_project_ids() -> None:
    assert valid_project_id("my-mail-1234") and valid_project_id("oauthmail-4f2a")
    for bad in ("My-Mail", "abc", "1mail-project", "mail-", "a" * 31, "my_mail_1234", "my mail"):
        assert not valid_project_id(bad), bad
    with pytest.raises(ConfigError) as info:
        check_project_id("My Project")
    assert info.value.code == "google_bad_project_id" and "oauthmail-" in info.value.hint("en")
    assert valid_project_id(suggest_project_id("taken-mail"))
    assert suggest_project_id("x" * 30, "beef") == "x" * 25 + "-beef"


# --- the console pages ------------------------------------------------------------------------------------


def test_console_deep_links_have_the_project_filled_in() -> None:
    steps = console_steps("my-mail-1234", email=BOB)
    assert [s.url for s in steps] == [
        "https://console.cloud.google.com/auth/branding?project=my-mail-1234",
        "https://console.cloud.google.com/auth/audience?project=my-mail-1234",
        "https://console.cloud.google.com/auth/scopes?project=my-mail-1234",
        "https://console.cloud.google.com/auth/clients/create?project=my-mail-1234",
    ]
    by_id = {s.id: s for s in steps}
    assert BOB in by_id["audience"].text("en") and BOB in by_id["audience"].text("ja")
    assert "https://mail.google.com/" in by_id["data-access"].text("en")
    assert "Desktop app" in by_id["client"].text("en") and "デスクトップ アプリ" in by_id["client"].text("ja")
    assert "ブランディング" in by_id["branding"].title("ja") and "(OAuth consent screen)" in by_id["branding"].title("en")
    api = {s.id: s for s in console_steps("my-mail-1234", transport="gmail-api", with_project_steps=True)}
    assert "https://www.googleapis.com/auth/gmail.send" in api["data-access"].text("ja")
    assert api["project"].url == "https://console.cloud.google.com/projectcreate"
    assert api["gmail-api"].url == "https://console.cloud.google.com/apis/library/gmail.googleapis.com?project=my-mail-1234"
    assert "自分の Google アドレス" in console_steps("my-mail-1234", lang="ja")[1].text("ja")


def test_the_downloaded_json_is_found_newest_first_and_only_if_new(tmp_path: Path) -> None:
    old = _client_json(tmp_path, name="client_secret_old.json")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    since = time.time()
    assert find_downloaded_client(tmp_path, since) is None
    first = _client_json(tmp_path, name="client_secret_1.json")
    newer = _client_json(tmp_path, name="client_secret_2.json")
    os.utime(first, (since + 1, since + 1))
    os.utime(newer, (since + 5, since + 5))
    assert find_downloaded_client(tmp_path, since) == newer
    assert find_downloaded_client(tmp_path / "missing", since) is None


def test_the_json_hand_off_uses_the_kits_reader(tmp_path: Path) -> None:
    reg = GoogleRegistration("my-mail-1234")
    client, warnings = reg.take_client_json(_client_json(tmp_path))
    assert client.client_type == "installed" and warnings == []
    _, warnings = reg.take_client_json(_client_json(tmp_path, project="other-project-9", name="client_secret_x.json"))
    assert warnings and "other-project-9" in warnings[0]
    bad = tmp_path / "client_secret_sa.json"
    bad.write_text(json.dumps({"type": "service_account", "private_key": "x"}), encoding="utf-8")
    with pytest.raises(ConfigError):
        reg.take_client_json(bad)


# --- the command --------------------------------------------------------------------------------------------


def _run(args: list[str], env: dict[str, str], stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "oauthmail", *args], input=stdin, capture_output=True, text=True,
                          env=env, timeout=timeout)


def _base_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"OAUTHMAIL_LANG": "en", "OAUTHMAIL_HOME": str(tmp_path / "home"), "BROWSER": "true"})
    for var in ("SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "JUPYTERHUB_USER"):
        env.pop(var, None)
    return env


def test_cli_without_gcloud_prints_every_page_in_japanese(tmp_path: Path) -> None:
    env = _base_env(tmp_path)
    env["PATH"] = str(Path(sys.executable).parent)  # python, but no gcloud
    secrets = _client_json(tmp_path / "dl", project="my-mail-1234")
    res = _run(["--lang", "ja", "register", "google", "--no-browser", "--client-secrets", str(secrets)], env,
               stdin="my-mail-1234\n")
    assert res.returncode == 0, res.stderr
    assert "gcloud がインストールされていない" in res.stderr and "プロジェクト ID" in res.stderr
    for url in ("https://console.cloud.google.com/projectcreate",
                "https://console.cloud.google.com/apis/library/gmail.googleapis.com?project=my-mail-1234",
                "https://console.cloud.google.com/auth/branding?project=my-mail-1234",
                "https://console.cloud.google.com/auth/clients/create?project=my-mail-1234"):
        assert url in res.stdout.splitlines() or f"   {url}" in res.stdout.splitlines(), url
    assert "「ブランディング」" in res.stdout and "「テストユーザー」" in res.stdout
    assert f"oauthmail consent google --client-secrets {secrets}" in res.stdout
    assert CLIENT_SECRET not in res.stdout + res.stderr


def test_cli_json_summary_with_gcloud(tmp_path: Path) -> None:
    fake = FakeGcloud(tmp_path)
    env = {**_base_env(tmp_path), **fake.env()}
    secrets = _client_json(tmp_path / "dl", project="my-mail-1234")
    res = _run(["register", "google", "--project", "my-mail-1234", "--no-browser", "--json",
                "--client-secrets", str(secrets)], env)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["project"] == "my-mail-1234" and data["account"] == ALICE
    assert [(s["id"], s["status"]) for s in data["steps"]] == [
        ("project", "created"), ("gmail-api", "enabled"), ("client", "downloaded")]
    assert [p["id"] for p in data["pages"]] == ["branding", "audience", "data-access", "client"]
    assert "✓ project my-mail-1234: created (gcloud, as alice@example.com)" in res.stderr
    assert CLIENT_SECRET not in res.stdout + res.stderr


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_cli_gcloud_failure_is_error_and_hint(tmp_path: Path, lang: str) -> None:
    fake = FakeGcloud(tmp_path)
    fake.set(account=ALICE, taken=["taken-mail"])
    env = {**_base_env(tmp_path), **fake.env()}
    res = _run(["--lang", lang, "register", "google", "--project", "taken-mail", "--no-browser"], env)
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert lines[-2].startswith("error: ") and lines[-1].startswith("hint: ") and "Traceback" not in res.stderr
    assert "taken-mail" in lines[-2] and "--project taken-mail-" in lines[-1]
    assert ("一意" in lines[-1]) == (lang == "ja")


def test_cli_no_json_downloaded_is_explained(tmp_path: Path) -> None:
    fake = FakeGcloud(tmp_path)
    env = {**_base_env(tmp_path), **fake.env()}
    res = _run(["register", "google", "--project", "my-mail-1234", "--no-browser", "--downloads",
                str(tmp_path / "dl"), "--wait", "0"], env, stdin="\n")
    assert res.returncode == 1
    assert "error: No downloaded client JSON" in res.stderr and "Download JSON" in res.stderr


def test_cli_bad_input(tmp_path: Path) -> None:
    res = _run(["register", "google", "--no-gcloud", "--project", "My Project", "--no-browser"], _base_env(tmp_path))
    assert res.returncode == 1 and "error: 'My Project' is not a Google Cloud project ID." in res.stderr
    res = _run(["register", "google", "--no-gcloud", "--no-browser"], _base_env(tmp_path), stdin="")
    assert res.returncode == 1 and "error: No project ID was given." in res.stderr and "hint: " in res.stderr
    res = _run(["--lang", "ja", "register", "google", "--no-gcloud", "--project", "my-mail-1234", "--transport",
                "graph"], _base_env(tmp_path))
    assert res.returncode == 1 and "Microsoft 用です" in res.stderr


# --- the whole path against the sandbox: gcloud → pages → downloaded JSON → consent → send ------------------

pytest.importorskip("oauthmail.sandbox")

from tests.test_consent_cli import _read_until  # noqa: E402  (one helper for both walks)


def test_register_then_consent_then_send_against_the_sandbox(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    fake = FakeGcloud(tmp_path)
    env = {**_base_env(tmp_path), **sb.env(), **fake.env()}
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    ini = tmp_path / "my.ini"
    proc = subprocess.Popen(
        [sys.executable, "-m", "oauthmail", "register", "google", "--project", "oauthmail-sandbox", "--no-browser",
         "--downloads", str(downloads), "--ini", str(ini), "--email", ALICE, "--timeout", "60"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    seen: list[str] = []
    _read_until(proc, r"auth/clients/create\?project=oauthmail-sandbox", seen)
    # The person clicks "Download JSON": the browser saves the client file into Downloads.
    shutil.copy(sb.client_secrets_installed, downloads / "client_secret_987-sandbox.apps.googleusercontent.com.json")
    assert proc.stdin is not None
    proc.stdin.write("\n")  # Enter: "look in Downloads"
    proc.stdin.flush()
    url = _read_until(proc, r"^https://127\.0\.0\.1:\d+/.*client_id=", seen)  # consent's --no-browser line
    sb.approve(url, user=ALICE)
    out, err = proc.communicate(timeout=60)
    out = "".join(seen) + out
    assert proc.returncode == 0, err
    assert f"Saved {ALICE} (google) to {ini}" in out.splitlines()[-1]
    assert stat.S_IMODE(ini.stat().st_mode) == 0o600
    assert [c[:2] for c in fake.calls()] == [["auth", "list"], ["projects", "describe"], ["projects", "create"],
                                              ["services", "enable"]]
    account = tokenfile.read(ini).accounts[ALICE]
    for secret in account.secrets():
        assert secret not in out + err
    # The setup record: what gcloud did, the pages done by hand, the sign-in; never a secret.
    records = sorted((tmp_path / "home" / "records").glob("setup-*.json"))
    assert len(records) == 1 and f"setup record: {records[0].with_suffix('.md')}" in err, err
    rec = json.loads(records[0].read_text())
    assert rec["account"] == ALICE and rec["provider"] == "google"
    assert [(s["id"], s["done"]) for s in rec["steps"]] == [
        ("project", True), ("gmail-api", True), ("branding", True), ("audience", True), ("data-access", True),
        ("client", True), ("consent", True)]
    assert rec["steps"][0]["label"] == "Project (gcloud)" and "(in the console, by hand)" in rec["steps"][2]["label"]
    assert {k: rec["extra"][k] for k in ("project_id", "gcloud_account", "created_by")} == {
        "project_id": "oauthmail-sandbox", "gcloud_account": ALICE, "created_by": "oauthmail register google"}
    for written in (tmp_path / "home" / "records").iterdir():
        assert stat.S_IMODE(written.stat().st_mode) == 0o600
        for secret in account.secrets():
            assert secret not in written.read_text()
    sb.mailbox.clear()
    sent = subprocess.run([sys.executable, "-m", "oauthmail", "send", "--ini", str(ini), "--to", BOB, "--subject",
                           "registered by gcloud", "--body", "こんにちは"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert sent.returncode == 0, sent.stderr
    assert [m["Subject"] for m in sb.mailbox.messages()] == ["registered by gcloud"]


def test_register_json_paste_mode_keeps_stdout_for_the_summary(sandbox: Any, tmp_path: Path) -> None:
    """A remote kernel: --paste, and --json so a script reads one JSON document from stdout."""
    sb = sandbox
    fake = FakeGcloud(tmp_path)
    fake.set(account=BOB, owned=["oauthmail-sandbox"])
    env = {**_base_env(tmp_path), **sb.env(), **fake.env()}
    ini = tmp_path / "remote.ini"
    proc = subprocess.Popen(
        [sys.executable, "-m", "oauthmail", "register", "google", "--project", "oauthmail-sandbox", "--no-browser",
         "--json", "--client-secrets", str(sb.client_secrets_installed), "--ini", str(ini), "--paste"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None and proc.stdin is not None
    while True:
        line = proc.stderr.readline()
        assert line, "no authorization URL on stderr"
        if re.match(r"^https://127\.0\.0\.1:\d+/.*client_id=", line):
            break
    proc.stdin.write(sb.approve(line.strip(), user=BOB, follow=False) + "\n")
    proc.stdin.flush()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    data = json.loads(out)  # nothing else on stdout
    assert data["ini"] == str(ini) and data["steps"][0] == {"id": "project", "status": "selected",
                                                             "detail": "oauthmail-sandbox"}
    assert [Path(p).suffix for p in data["records"]] == [".md", ".json", ".html"]
    assert all(Path(p).exists() for p in data["records"])
    assert BOB in tokenfile.read(ini).accounts
    for secret in tokenfile.read(ini).accounts[BOB].secrets():
        assert secret not in out + err
