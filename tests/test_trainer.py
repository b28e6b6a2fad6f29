"""The trainer's notebook (05_trainer): its controller driven directly, and its widgets clicked without a browser."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from oauthmail.classroom.trainer import DEFAULT_PATTERN, TrainerController
from oauthmail.record import record_from_account, write_record
from tests.test_classroom import TICKS_DONE, _account, klass, values  # noqa: F401  (fixtures)


def _pattern(root: Path) -> str:
    return str(root / "*" / "oauthmail")


def test_refresh_reads_the_class_writes_the_page_and_keeps_the_table(
        klass: Path, values: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    page = tmp_path / "trainer" / "class.html"
    ctrl = TrainerController("en", _pattern(klass), page)
    seen: list[str] = []
    ctrl.subscribe(lambda: seen.append(ctrl.status))
    report = ctrl.refresh()
    assert report is not None and ctrl.status == "done" and seen == ["done"]
    assert "Read 4 folders" in ctrl.message and "1 delivered the test message" in ctrl.message
    assert page.read_text(encoding="utf-8") == ctrl.html
    assert page.stat().st_mode & 0o777 == 0o600
    assert 'data-student="s01"' in ctrl.html and "http-equiv" not in ctrl.html
    assert "Class of 4: 2 signed in, 1 delivered" in ctrl.table
    assert base64.b64decode(ctrl.html_data_uri.split(",", 1)[1]).decode() == ctrl.html
    for value in values.values():  # records only: the INIs next to them hold secrets, never read
        assert value not in ctrl.html + ctrl.table


def test_empty_pattern_and_no_match_are_said_plainly(tmp_path: Path) -> None:
    ctrl = TrainerController("ja", "  ", tmp_path / "c.html")
    assert ctrl.refresh() is None and ctrl.status == "failed"
    assert "パターン" in ctrl.message and DEFAULT_PATTERN in ctrl.message
    ctrl.pattern = str(tmp_path / "nobody" / "*")
    assert ctrl.refresh() is not None and ctrl.status == "done"
    assert "一致するフォルダーはまだありません" in ctrl.message


def test_page_that_cannot_be_written_fails_with_a_reason_not_a_traceback(klass: Path, tmp_path: Path) -> None:  # noqa: F811
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    ctrl = TrainerController("en", _pattern(klass), blocker / "class.html")
    assert ctrl.refresh() is None
    assert ctrl.status == "failed" and ctrl.message.startswith("Could not read the class:")


def test_watch_rereads_while_the_class_works(klass: Path, values: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    ctrl = TrainerController("en", _pattern(klass), tmp_path / "c.html", every=0.2)
    ctrl.watch()
    try:
        deadline = time.monotonic() + 10
        while ctrl.refreshed < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ctrl.report is not None and ctrl.report.counts()["delivered"] == 1
        assert 'http-equiv="refresh"' in ctrl.html  # the room's screen reloads itself while watched
        # s03 finishes meanwhile: the next reading shows two delivered.
        rec = record_from_account(_account("s03@example.com", values), steps=TICKS_DONE,
                                  send_result={"ok": True, "message_id": "<m3@x>"})
        write_record(rec, klass / "s03" / "oauthmail" / "records" / "setup-s03.json")
        while ctrl.report.counts()["delivered"] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert ctrl.report.counts()["delivered"] == 2
    finally:
        ctrl.watch(False)
    assert not ctrl.watching
    count = ctrl.refreshed
    time.sleep(0.5)
    assert ctrl.refreshed == count  # stopped means stopped


def test_widgets_click_through_the_controller(klass: Path, tmp_path: Path) -> None:  # noqa: F811
    pytest.importorskip("ipywidgets")
    from oauthmail.ui.trainer import Trainer

    view = Trainer(TrainerController("ja", "", tmp_path / "c.html"))
    view.button.click()
    assert view.ctrl.status == "failed" and view.picture.value == "" and view.table.layout.display == "none"
    view.pattern.value = _pattern(klass)
    view.button.click()
    assert "4 人分" in view.status.value
    assert "<iframe" in view.picture.value and "srcdoc=" in view.picture.value
    assert "download='class-report.html'" in view.picture.value
    assert "受講者 4 人" in view.table.value and view.table.layout.display == "flex"
    view.watch.value = True
    assert view.ctrl.watching
    view.watch.value = False
    assert not view.ctrl.watching


def test_autorun_reads_the_trainers_own_folder(klass: Path, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
                                               capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("ipywidgets")
    from oauthmail.ui.trainer import Trainer

    home = klass / "s01" / "oauthmail"
    monkeypatch.setenv("OAUTHMAIL_HOME", str(home))
    monkeypatch.setenv("OAUTHMAIL_AUTORUN", "1")
    view = Trainer.start(lang="en")
    assert view.ctrl.pattern == str(home)
    assert (home / "exports" / "class-report.html").exists()
    assert "Class of 1: 1 signed in, 1 delivered" in capsys.readouterr().out
