"""Values shown to a Japanese reader are Japanese: OS errors, the client summary, the setup record.

The raw value stays beside the translation where it helps a search (「接続を拒否されました（Connection
refused）」, 「ウェブ アプリケーション（web）」); English output keeps the raw text.
"""

from __future__ import annotations

import errno
import re
import socket
from pathlib import Path

import pytest

from oauthmail import tokenfile
from oauthmail.i18n.oserrors import os_reason
from oauthmail.record import build_record, render
from oauthmail.tls import network_error
from oauthmail.ui.controllers import REACH_FAIL, probe

ASCII_WORDS = re.compile(r"(?<![\w.:/@-])(?:web|installed|typed|sandbox|yes|no|starttls|smtp|google|microsoft)(?![\w.:/@-])")


@pytest.mark.parametrize(("error", "japanese", "raw"), [
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), "接続を拒否されました", "Connection refused"),
    ("HTTPSConnectionPool(host='x', port=443): Max retries exceeded (Caused by NewConnectionError("
     "'<urllib3.connection.HTTPSConnection>: Failed to establish a new connection: [Errno 111] Connection refused'))",
     "接続を拒否されました", "[Errno 111] Connection refused"),
    (socket.gaierror(-2, "Name or service not known"), "DNS でホスト名を解決できません", "Name or service not known"),
    (OSError(errno.ENETUNREACH, "Network is unreachable"), "ネットワークに到達できません", "Network is unreachable"),
    (OSError(errno.EADDRINUSE, "Address already in use"), "このアドレスとポートはすでに使われています", "Address already in use"),
    (PermissionError(errno.EACCES, "Permission denied"), "権限がないためアクセスできません", "Permission denied"),
    ("timed out", "タイムアウトしました", "timed out"),
])
def test_common_os_errors_in_japanese_with_the_raw_text(error: object, japanese: str, raw: str) -> None:
    msg = os_reason(error)  # type: ignore[arg-type]
    assert msg.format("ja").startswith(japanese) and f"（{raw}" in msg.format("ja")
    assert raw in msg.format("en") and not re.search(r"[ぁ-ん]", msg.format("en"))


def test_unknown_os_error_is_shown_as_it_is_and_braces_survive() -> None:
    assert os_reason(OSError(errno.EXDEV, "Invalid cross-device {link}")).format("ja") == "Invalid cross-device {link}"


def test_reachability_line_for_a_closed_port_is_japanese() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ok, reason, _ = probe("127.0.0.1", port, timeout=2)
    assert not ok
    line = REACH_FAIL.format("ja", reason=reason)
    assert line.startswith("接続できません: 接続を拒否されました（") and "Errno" not in line.split("（")[0]
    assert REACH_FAIL.format("en", reason=reason) == "not reachable: Connection refused"


def test_network_error_for_other_os_errors_names_it_in_japanese() -> None:
    err = network_error(OSError(errno.ENETUNREACH, "Network is unreachable"), "smtp.gmail.com:587")
    # The reason sits in the message's own brackets: the raw text follows a colon, no nested pair.
    assert "（ネットワークに到達できません: Network is unreachable）" in err.what("ja")
    assert "Network is unreachable" in err.what("en")


def test_client_summary_names_kind_and_source_as_the_widgets_do() -> None:
    from oauthmail.clients import google_client_from_values
    from oauthmail.ui.controllers import ClientController
    from oauthmail.ui.session import Session

    ctrl = ClientController(Session.create("google", mode="real", lang="ja"))
    cfg = google_client_from_values("1234-abc.apps.googleusercontent.com", "GOCSPX-not-a-real-secret", client_type="web",
                                    redirect_uris=["http://127.0.0.1:48888/callback"])
    ctrl._accept(cfg, "typed")
    assert "ウェブ アプリケーション" in ctrl.message and "入力した値" in ctrl.message
    assert not ASCII_WORDS.search(ctrl.message), ctrl.message


def test_setup_record_shows_values_by_name(tmp_path: Path) -> None:
    path = tmp_path / "oauthmail.ini"
    acc = tokenfile.Account(
        email="alice@example.com", provider="google", client_id="1234-abc.apps.googleusercontent.com",
        refresh_token="1//not-a-real-refresh-token", client_secret="GOCSPX-not-a-real-secret",
        token_uri="https://oauth2.googleapis.com/token", scopes=["https://mail.google.com/"],
        smtp_host="smtp.gmail.com", smtp_port=587, smtp_security="starttls", extra={"client_type": "web"})
    tokenfile.save_account(path, acc, make_default=True)
    for fmt in ("md", "html"):
        text = render(build_record(path), fmt, "ja")
        assert "ウェブ アプリケーション（web）" in text and "STARTTLS（" in text
        assert "yes" not in text and "はい" in text
        assert "ウェブ アプリケーション" not in render(build_record(path), fmt, "en")


# --- the editor's read of one full `--lang ja` session (issue 14, round 3) -------------------------------


def test_provider_transport_and_security_by_name_in_japanese_raw_in_english() -> None:
    from oauthmail.commands.consent import SAVED_LINE
    from oauthmail.commands.send import SENT
    from oauthmail.i18n.labels import provider_name, security_name

    saved = {"email": "alice@example.com", "provider": provider_name("google"), "path": "/x/my.ini"}
    assert "alice@example.com（Google）" in SAVED_LINE.format("ja", **saved)
    assert "(google)" in SAVED_LINE.format("en", **saved)
    sent = {"message_id": "<m@x>", "account": "alice@example.com", "count": 1, "host": "smtp.gmail.com",
            "port": 587, "security": security_name("starttls"), "elapsed": 0.5}
    ja = SENT.format("ja", **sent)
    assert "STARTTLS" in ja and not ASCII_WORDS.search(ja), ja
    assert "(starttls)" in SENT.format("en", **sent)


def test_doctor_names_the_provider_and_dates_the_certificate() -> None:
    from oauthmail.doctor import D_INI_OK, D_TLS, _cert_date
    from oauthmail.i18n.labels import provider_name

    assert _cert_date("Mar  6 00:56:11 2029 GMT") == "2029-03-06"
    assert _cert_date("not a date") == "not a date"
    line = D_INI_OK.format("ja", path="/x/my.ini", account="dave@contoso.com", provider=provider_name("microsoft"))
    assert line.endswith("（Microsoft）")
    assert "GMT" not in D_TLS.format("ja", version="TLSv1.3", subject="smtp.gmail.com", issuer="GTS CA 1C3",
                                     until=_cert_date("Mar  6 00:56:11 2029 GMT"))


def _contoso_account() -> tokenfile.Account:
    return tokenfile.Account(
        email="dave@contoso.com", provider="microsoft", client_id="5b1c3d7e-2f4a-4b6c-8d9e-0a1b2c3d4e5f",
        refresh_token="0.not-a-real-refresh-token", authority="https://login.microsoftonline.com/contoso.com",
        scopes=["https://outlook.office.com/SMTP.Send"], smtp_host="smtp.office365.com", smtp_port=587,
        smtp_security="starttls")


def test_setup_record_notes_by_name_in_japanese(tmp_path: Path) -> None:
    from oauthmail.i18n import set_language

    path = tmp_path / "oauthmail.ini"
    acc = _contoso_account()
    tokenfile.save_account(path, acc, make_default=True)
    notes = {"provider": "microsoft", "client_type": "web", "transport": "smtp", "admin": False,
             "permissions": "SMTP.Send, offline_access", "tenant_wide_consent": True}
    steps = [{"id": "record", "label": "セットアップ記録を書き出し", "done": True, "at": "2026-12-02T01:00:00Z"}]
    md = render(build_record(path, steps=steps, extra=notes), "md", "ja")
    assert "プロバイダー（provider）: Microsoft" in md and "管理者としてサインイン（admin）: いいえ" in md
    assert "SMTP.Send、offline_access" in md and "（2026 年 12 月 2 日（水）" in md and "T01:00:00Z" not in md
    notes_section = md.split("## 補足", 1)[1].split("## ", 1)[0]
    assert not ASCII_WORDS.search(notes_section.replace("（provider）", "").replace("（transport）", "")
                                  .replace("（web）", "")), notes_section
    set_language("ja")
    try:
        assert '<html lang="ja"' in render(build_record(path, extra=notes), "html", None)
    finally:
        set_language(None)
    en = render(build_record(path, extra=notes), "md", "en")
    assert "- provider: microsoft" in en and "- admin: no" in en


def test_relay_check_names_the_os_error_in_japanese() -> None:
    from oauthmail.errors import NetworkError
    from oauthmail.relay.check import check

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    with pytest.raises(NetworkError) as caught:
        check("127.0.0.1", port, timeout=5)
    assert "接続を拒否されました" in caught.value.what("ja") and "Error" not in caught.value.what("ja")


def test_export_header_keeps_spaced_terms_on_one_line() -> None:
    from oauthmail.export.tools import _wrap

    lines = _wrap("`oauthmail export` が alice@example.com 用に書き出した msmtp の設定です。このファイルに秘密情報は"
                  "含まれていません。アクセス トークンはツールが接続するたびに `oauthmail token` から受け取ります。")
    assert len(lines) == 3 and all(line.endswith("。") for line in lines)
    assert _wrap("a " * 60)[0].count("a") <= 48  # English still wraps by width


def test_argparse_errors_in_japanese_with_a_hint() -> None:
    import subprocess
    import sys

    from oauthmail.cli import argparse_message_ja

    assert argparse_message_ja("the following arguments are required: --for") == "次の引数が必要です: --for"
    assert argparse_message_ja("argument --transport: invalid choice: 'x' (choose from 'smtp', 'graph')") == \
        "引数 --transport: 'x' は選べません（選べるのは 'smtp'、'graph'）"
    assert argparse_message_ja("something argparse adds later") == "something argparse adds later"
    done = subprocess.run([sys.executable, "-m", "oauthmail", "--lang", "ja", "export"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2
    assert "error: 次の引数が必要です: --for" in done.stderr and "hint: `oauthmail export --help`" in done.stderr
    assert "the following arguments" not in done.stderr and done.stderr.startswith("使い方: ")


def test_a_reason_in_brackets_never_nests_brackets() -> None:
    """Every message that puts a value in brackets (「…（{reason}）」), filled with an OS error's wording
    (「接続を拒否されました（Connection refused）」), reads 「（接続を拒否されました: Connection refused）」."""
    import importlib
    import pkgutil

    import oauthmail
    from oauthmail.i18n import Msg

    reason = os_reason(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"))
    checked = 0
    for info in pkgutil.walk_packages(oauthmail.__path__, "oauthmail."):
        if info.name.endswith("__main__"):
            continue
        for name, msg in vars(importlib.import_module(info.name)).items():
            inside = set(re.findall(r"（[^（）]*\{(\w+)\}）", msg.ja)) if isinstance(msg, Msg) else set()
            if not inside:
                continue
            try:
                text = msg.format("ja", **{p: reason if p in inside else "x" for p in msg.placeholders("ja")})
            except ValueError:  # a number field ({elapsed:.2f}): not a reason
                continue
            assert not re.search(r"（[^）]*（", text), f"{info.name}.{name}: {text}"
            checked += 1
    assert checked > 20


def test_record_times_read_as_japanese_dates_and_the_json_keeps_iso(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A Japanese admin reads 「2026 年 12 月 2 日（水）10:00:00（日本時間）」; a program reads the JSON's ISO 8601."""
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        path = tmp_path / "oauthmail.ini"
        acc = _contoso_account()
        acc.extra["client_secret_expires_at"] = "2027-06-01T00:00:00Z"
        tokenfile.save_account(path, acc, make_default=True)
        steps = [{"id": "record", "label": "セットアップ記録を書き出し", "done": True, "at": "2026-12-02T01:00:00Z"}]
        rec = build_record(path, steps=steps, extra={"created_at": "2026-12-01T15:30:00Z", "note_at": "not a time"})
        rec.created_at = "2026-12-02T01:02:03Z"
        md, page, data = render(rec, "md", "ja"), render(rec, "html", "ja"), render(rec, "json")
        assert "2026 年 12 月 2 日（水）10:00:00（日本時間）" in md and "2026 年 12 月 2 日（水）10:00:00（日本時間）" in page
        assert "| 記録日時 | 2026 年 12 月 2 日（水）10:02:03（日本時間） |" in md
        assert "2027 年 6 月 1 日（火）09:00:00（日本時間）" in md  # the client secret's expiry
        assert "作成日時（created_at）: 2026 年 12 月 2 日（水）00:30:00（日本時間）" in md
        assert "not a time" in md  # not a time: shown as written
        assert not re.search(r"\d{4}-\d\d-\d\dT", md), md
        assert '"2026-12-02T01:02:03Z"' in data and '"2026-12-02T01:00:00Z"' in data
        assert "2026-12-02T01:00:00Z" in render(rec, "md", "en")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
