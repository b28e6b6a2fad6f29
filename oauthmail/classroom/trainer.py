"""The trainer's notebook (05_trainer) without widgets: what its buttons do, as plain methods.

:class:`TrainerController` holds the class pattern, reads the records with
:func:`~oauthmail.classroom.report.build_report`, writes the HTML picture for the room's screen and
keeps the table text; it can also re-read the class every so many seconds on a thread of its own
(the "watch" the room's screen wants while students work). :mod:`oauthmail.ui.trainer` is the thin
ipywidgets view over it; the tests drive this class directly.

Like the report, it reads only setup records: never a token INI, a sandbox folder or a mailbox.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from pathlib import Path

from .._observable import Observable
from ..i18n import Msg
from .report import ClassReport, build_report, render_html, render_table

#: Where the students' OAUTHMAIL_HOME folders are with the plain hub config (docs/classroom.md);
#: TLJH's are ``/home/jupyter-*/.config/oauthmail``. ``OAUTHMAIL_CLASS_HOMES`` overrides it.
DEFAULT_PATTERN = "/home/*/.config/oauthmail"

L_PATTERN = Msg(en="Students' folders", ja="受講者のフォルダー")
L_REFRESH = Msg(en="Read the records", ja="記録を読み込む")
L_WATCH = Msg(en="Re-read every 30 s", ja="30 秒ごとに読み込み直す")
L_OPEN_HTML = Msg(en="Download the page for the room's screen", ja="教室の画面用のページをダウンロード")

T_READ = Msg(en="Read {students} folders at {time}: {delivered} delivered the test message.",
             ja="{time} に {students} 人分のフォルダーを読み込みました。テスト送信成功は {delivered} 人です。")
T_WROTE = Msg(en="The page for the room's screen: {path}", ja="教室の画面用のページ: {path}")
T_EMPTY_PATTERN = Msg(en="Enter the pattern of the students' folders first (e.g. {example}).",
                      ja="先に受講者のフォルダーのパターンを入れてください（例: {example}）。")
T_NOTHING = Msg(en="No folder matches {pattern} yet.", ja="{pattern} に一致するフォルダーはまだありません。")
T_FAILED = Msg(en="Could not read the class: {reason}", ja="クラスの記録を読み込めませんでした: {reason}")



def default_pattern() -> str:
    return os.environ.get("OAUTHMAIL_CLASS_HOMES", "").strip() or DEFAULT_PATTERN


def default_html() -> Path:
    """``OAUTHMAIL_HOME/exports/class-report.html`` (the trainer's own folder)."""
    from ..paths import home

    return home() / "exports" / "class-report.html"


class TrainerController(Observable):
    """The pattern, the last report, its table and its picture; :meth:`refresh` is the button."""

    def __init__(self, lang: str = "en", pattern: str | None = None, html_path: str | Path | None = None,
                 *, every: float = 30.0) -> None:
        super().__init__()
        self.lang = lang
        self.pattern = default_pattern() if pattern is None else pattern
        self.html_path = Path(html_path) if html_path is not None else None
        self.every = every
        self.report: ClassReport | None = None
        self.table = ""
        self.html = ""
        self.refreshed = 0
        self._lock = threading.Lock()
        self._watch: threading.Thread | None = None
        self._stop = threading.Event()

    def _set(self, status: str, message: str) -> None:
        self.status, self.message = status, message
        self._changed()

    # --- the button ---------------------------------------------------------------------------

    def refresh(self) -> ClassReport | None:
        """Read every student's records, write the page for the room's screen, keep the table."""
        pattern = (self.pattern or "").strip()
        if not pattern:
            self._set("failed", T_EMPTY_PATTERN.format(self.lang, example=DEFAULT_PATTERN))
            return None
        with self._lock:
            try:
                report = build_report(pattern, self.lang)
                page = render_html(report, self.lang, refresh=max(1, round(self.every)) if self.watching else 0)
                path = self.html_path or default_html()
                from ..tokenfile import atomic_write

                path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                atomic_write(path, page, mode=0o600)
            except OSError as exc:
                self._set("failed", T_FAILED.format(self.lang, reason=f"{type(exc).__name__}: {exc.strerror or exc}"))
                return None
            self.report, self.html, self.html_path = report, page, path
            self.table = render_table(report, self.lang)
            self.refreshed += 1
        counts = report.counts()
        if not report.students and not report.skipped:
            self._set("done", T_NOTHING.format(self.lang, pattern=pattern))
        else:
            self._set("done", T_READ.format(self.lang, students=counts["students"], delivered=counts["delivered"],
                                            time=time.strftime("%H:%M:%S")))
        return report

    @property
    def html_data_uri(self) -> str:
        """The picture as a ``data:`` address (the notebook's download link)."""
        return "data:text/html;charset=utf-8;base64," + base64.b64encode(self.html.encode("utf-8")).decode("ascii")

    # --- re-reading while the class works ---------------------------------------------------------

    @property
    def watching(self) -> bool:
        return self._watch is not None and self._watch.is_alive() and not self._stop.is_set()

    def watch(self, on: bool = True) -> None:
        """Re-read the class every :attr:`every` seconds (``on=False``: stop)."""
        if not on:
            self._stop.set()
            thread, self._watch = self._watch, None
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=5)
            return
        if self.watching:
            return
        self._stop = threading.Event()
        self._watch = threading.Thread(target=self._loop, args=(self._stop,), name="oauthmail-class-watch", daemon=True)
        self._watch.start()

    def _loop(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.refresh()
            stop.wait(self.every)
