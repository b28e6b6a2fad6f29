"""The trainer's view (``oauthmail class report``): records of a class as a table, JSON and a picture."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from oauthmail import tokenfile
from oauthmail.classroom import build_report, class_report, render_html, render_json, render_table
from oauthmail.classroom.report import group_steps, student_name, width
from oauthmail.cli import main
from oauthmail.record import record_from_account, write_record

REPO = Path(__file__).resolve().parent.parent
BAD_CREDENTIALS = ("535-5.7.8 Username and Password not accepted. For more information, go to "
                   "https://support.google.com/mail/?p=BadCredentials")

TICKS_DONE = [
    {"id": "google.project.created", "label": "project", "done": True, "at": "2026-12-01T09:00:00Z"},
    {"id": "google.client.created", "label": "client", "done": True, "at": "2026-12-01T09:05:00Z"},
    {"id": "google.client.redirect", "label": "redirect", "done": True, "at": "2026-12-01T09:06:00Z"},
]
TICKS_PARTLY = [
    {"id": "google.project.created", "label": "project", "done": True, "at": "2026-12-01T09:00:00Z"},
    {"id": "google.client.created", "label": "client", "done": True, "at": "2026-12-01T09:05:00Z"},
    {"id": "google.client.redirect", "label": "redirect", "done": False, "at": ""},
]


def _account(email: str, values: dict[str, str]) -> tokenfile.Account:
    return tokenfile.Account(
        email=email, provider="google",
        client_id="123456789012-abcdefghijklmnopqrstuvwxyz012345.apps.googleusercontent.com",
        refresh_token=values["refresh"], client_secret=values["secret"], access_token=values["access"],
        token_uri="https://oauth2.googleapis.com/token", scopes=["https://mail.google.com/"],
        smtp_host="smtp.gmail.com", smtp_port=587, smtp_security="starttls")


def _write(home: Path, email: str, values: dict[str, str], ticks: list[dict[str, object]],
           send: dict[str, object] | None) -> Path:
    rec = record_from_account(_account(email, values), steps=ticks, send_result=send)
    records = home / "records"
    records.mkdir(parents=True, exist_ok=True, mode=0o700)
    return write_record(rec, records / f"setup-{email}.json")


@pytest.fixture
def values() -> dict[str, str]:
    return {"secret": "GOCSPX-" + secrets.token_urlsafe(24), "refresh": "1//0g" + secrets.token_urlsafe(60),
            "access": "ya29." + secrets.token_urlsafe(80)}


@pytest.fixture
def klass(tmp_path: Path, values: dict[str, str]) -> Path:
    """Four students: one delivered, one refused by the server, one half way (no record), one broken file."""
    root = tmp_path / "home"
    _write(root / "s01" / "oauthmail", "s01@example.com", values, TICKS_DONE,
           {"ok": True, "message_id": "<m1@x>", "recipients": ["s01@example.com"], "host": "smtp.gmail.com"})
    # The failed send's text as a careless layer might have left it: with the access token in it.
    _write(root / "s02" / "oauthmail", "s02@example.com", values, TICKS_PARTLY,
           {"ok": False, "error": f"{BAD_CREDENTIALS} (token {values['access']})", "host": "smtp.gmail.com"})
    (root / "s03" / "oauthmail").mkdir(parents=True)
    broken = root / "s04" / "oauthmail" / "records"
    broken.mkdir(parents=True)
    (broken / "setup-x.json").write_text("{not json", encoding="utf-8")
    # Secret-bearing files a report must never open.
    for s in ("s01", "s02"):
        (root / s / "oauthmail" / "sandbox.ini").write_text(
            f"[x]\nrefresh_token = {values['refresh']}\nclient_secret = {values['secret']}\n", encoding="utf-8")
    return root


def _no_secret(text: str, values: dict[str, str]) -> None:
    for name, value in values.items():
        assert value not in text, f"{name} shown in the report"


def test_student_name_is_what_the_wildcard_matched() -> None:
    assert student_name(Path("/home/jupyter-ann/.config/oauthmail"), "/home/jupyter-*/.config/oauthmail") == "jupyter-ann"
    assert student_name(Path("/srv/class/a/b"), "/srv/class/*/*") == "a/b"
    assert student_name(Path("/srv/x"), "/srv/x") == "x"


def test_ticks_group_into_steps() -> None:
    states, _labels = group_steps([*TICKS_PARTLY, {"id": "google.scopes.mail_scope", "done": False}])
    assert states == {"google.project": "done", "google.client": "partial", "google.scopes": "todo"}


def test_width_counts_japanese_as_two_columns() -> None:
    assert width("受講者") == 6 and width("abc") == 3


def test_report_reads_each_student(klass: Path, values: dict[str, str]) -> None:
    report = build_report(str(klass / "*" / "oauthmail"), "en")
    by = {s.name: s for s in report.students}
    assert sorted(by) == ["s01", "s02", "s03", "s04"]
    assert (by["s01"].consent, by["s01"].send, by["s01"].steps) == (
        "done", "done", {"google.project": "done", "google.client": "done"})
    assert by["s02"].send == "failed" and by["s02"].steps["google.client"] == "partial"
    assert by["s02"].explanation is not None and by["s02"].explanation["recognised"]
    assert "535" in str(by["s02"].explanation["code"])
    assert not by["s03"].record and by["s03"].consent == "none"
    assert report.columns == ["google.project", "google.client", "consent", "send", "export"]
    assert report.counts() == {"students": 4, "consented": 2, "delivered": 1, "missing": 2}
    assert [p for p, _ in report.skipped] == [str(klass / "s04" / "oauthmail" / "records" / "setup-x.json")]
    _no_secret(render_json(report, "en") + render_table(report, "en") + render_html(report, "en"), values)


def test_newest_record_wins(klass: Path, values: dict[str, str]) -> None:
    home = klass / "s02" / "oauthmail"
    rec = record_from_account(_account("s02@example.com", values), steps=TICKS_DONE,
                              send_result={"ok": True, "message_id": "<m2@x>"})
    rec.created_at = "2999-01-01T00:00:00Z"
    write_record(rec, home / "records" / "setup-later.json")
    student = next(s for s in build_report(str(klass / "*" / "oauthmail")).students if s.name == "s02")
    assert (student.send, student.records, student.error) == ("done", 2, "")


def test_table_and_picture_in_both_languages(klass: Path) -> None:
    report = build_report(str(klass / "*" / "oauthmail"), "ja")
    table = render_table(report, "ja")
    assert "受講者" in table and "テスト送信" in table and "記録なし" in table
    assert "受講者 4 人" in table
    page = render_html(report, "ja", refresh=30)
    assert '<html lang="ja">' in page and 'http-equiv="refresh" content="30"' in page
    assert "Google Cloud のプロジェクト" in page  # the kit's own step title, in Japanese
    assert page.count('data-state="failed"') == 1 and page.count('data-student=') == 4
    en = render_html(build_report(str(klass / "*" / "oauthmail"), "en"), "en")
    assert "Google Cloud project" in en and "Test message" in en and "http-equiv" not in en


def test_command_table_json_and_html(klass: Path, tmp_path: Path, values: dict[str, str],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "class.html"
    assert main(["class", "report", "--homes", str(klass / "*" / "oauthmail"), "--html", str(out),
                 "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "s02" in text and "Class picture written" in text and out.is_file()
    assert main(["class", "report", "--homes", str(klass / "*" / "oauthmail"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in data["students"]] == ["s01", "s02", "s03", "s04"]
    _no_secret(text + json.dumps(data) + out.read_text(encoding="utf-8"), values)


def test_command_no_match_says_what_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["class", "report", "--homes", str(tmp_path / "nobody-*"), "--lang", "ja"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "\nhint: " in err and "Traceback" not in err
    assert "一致するフォルダーがありません" in err


def test_one_line_call_writes_the_picture(klass: Path, tmp_path: Path) -> None:
    report = class_report(str(klass / "*" / "oauthmail"), html=tmp_path / "c.html", lang="en")
    assert len(report.students) == 4 and "s01" in (tmp_path / "c.html").read_text(encoding="utf-8")


def _runs_as_nobody(python: str, readable: str = "") -> bool:
    probe = ["runuser", "-u", "nobody", "--", python, "-c", "import sys; open(sys.argv[1]).close() if sys.argv[1:] else None"]
    try:
        return subprocess.run([*probe, *([readable] if readable else [])], capture_output=True,
                              timeout=30, check=False).returncode == 0
    except OSError:
        return False


@pytest.fixture
def world_tmp() -> Iterator[Path]:
    """A folder another system user can walk into (pytest's own tmp folders are 0700)."""
    path = Path(tempfile.mkdtemp(prefix="oauthmail-class-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_unreadable_folders_are_skipped_and_named(world_tmp: Path, values: dict[str, str]) -> None:
    """A trainer without the right to read a student's home gets the others, and the skipped ones listed."""
    _write(world_tmp / "s01", "s01@example.com", values, TICKS_DONE, {"ok": True})
    _write(world_tmp / "s02", "s02@example.com", values, TICKS_DONE, {"ok": True})
    (world_tmp / "s01").chmod(0o755)
    (world_tmp / "s01" / "records").chmod(0o755)
    for f in (world_tmp / "s01" / "records").iterdir():
        f.chmod(0o644)
    (world_tmp / "s02").chmod(0o700)  # s02's home: its owner only
    args = ["-m", "oauthmail", "class", "report", "--homes", str(world_tmp / "*"), "--json"]
    command, env = [sys.executable, *args], dict(os.environ)
    if os.geteuid() == 0:  # as root everything is readable: run the report as an unprivileged user
        if not shutil.which("runuser"):
            pytest.skip("runuser is needed to run the report as an unprivileged user")
        # The venv's interpreter may live in root's own folder (pyenv): the system Python reads the
        # checkout instead; the report needs nothing beyond the standard library.
        python = sys.executable if _runs_as_nobody(sys.executable) else "/usr/bin/python3"
        if not _runs_as_nobody(python) or not _runs_as_nobody(python, str(REPO / "oauthmail" / "__init__.py")):
            pytest.skip(f"the user nobody can run neither {sys.executable} nor /usr/bin/python3 on {REPO}")
        command = ["runuser", "-u", "nobody", "--", python, *args]
        env = {**os.environ, "PYTHONPATH": str(REPO), "HOME": str(world_tmp)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [s["name"] for s in data["students"]] == ["s01"]
    assert data["skipped"] == [{"path": str(world_tmp / "s02"), "reason": data["skipped"][0]["reason"]}]
    assert "permission denied" in data["skipped"][0]["reason"]
    assert stat.S_IMODE((world_tmp / "s02").stat().st_mode) == 0o700


def test_hub_config_is_the_one_the_guide_shows() -> None:
    """docs/classroom.md shows docs/classroom/jupyterhub_config.py as it is (the file tests/hub/ runs)."""
    guide = (REPO / "docs" / "classroom.md").read_text(encoding="utf-8")
    config = (REPO / "docs" / "classroom" / "jupyterhub_config.py").read_text(encoding="utf-8")
    assert f"```python\n{config}```" in guide
