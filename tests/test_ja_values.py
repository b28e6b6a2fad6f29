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
    (socket.gaierror(-2, "Name or service not known"), "ホスト名を解決できません", "Name or service not known"),
    (OSError(errno.ENETUNREACH, "Network is unreachable"), "ネットワークに到達できません", "Network is unreachable"),
    (OSError(errno.EADDRINUSE, "Address already in use"), "アドレス（ポート）はすでに使われています", "Address already in use"),
    (PermissionError(errno.EACCES, "Permission denied"), "アクセスが拒否されました", "Permission denied"),
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
    assert "ネットワークに到達できません（Network is unreachable）" in err.what("ja")
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
