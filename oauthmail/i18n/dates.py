"""Dates as a Japanese reader reads them: 「2026 年 12 月 2 日（水）18:42:05（日本時間）」, in this computer's zone.

Files meant for programs (the record's JSON, ``Date:`` headers) keep their own form; this is only for what
people read (the mailbox pages and command, the Markdown and HTML setup records).
"""

from __future__ import annotations

from datetime import datetime

from . import Msg

WEEKDAYS_JA = "月火水木金土日"
JAPAN_TIME = Msg(en="Japan time", ja="日本時間")


def japanese_datetime(when: datetime) -> str:
    """``when`` in this computer's time zone; 「日本時間」 at UTC+9, otherwise the offset (「UTC+00:00」)."""
    when = when.astimezone()
    offset = when.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    zone = (JAPAN_TIME.format("ja") if minutes == 540
            else f"UTC{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")
    return (f"{when.year} 年 {when.month} 月 {when.day} 日（{WEEKDAYS_JA[when.weekday()]}）"
            f"{when:%H:%M:%S}（{zone}）")


def shown_iso_time(text: object, lang: str) -> str:
    """An ISO 8601 time (``2026-12-02T01:00:00Z``) as :func:`japanese_datetime` in Japanese; anything else, and
    every value in English, as it is."""
    raw = str(text or "")
    if lang != "ja" or not raw:
        return raw
    try:
        when = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
    except ValueError:
        return raw
    if when.tzinfo is None or "T" not in raw:
        return raw  # a bare date or a time of no known zone: shown as written
    return japanese_datetime(when)
