"""The trainer's side of a class on one hub: what each student's setup records say.

:func:`class_report` is the one-line call; :mod:`oauthmail.classroom.report` has the pieces
(:func:`~oauthmail.classroom.report.build_report`, the table, the JSON and the HTML picture).
``oauthmail class report --homes PATTERN`` is the command.
"""

from __future__ import annotations

from pathlib import Path

from .report import ClassReport, Student, build_report, render_html, render_json, render_table

__all__ = ["ClassReport", "Student", "build_report", "class_report", "render_html", "render_json", "render_table"]


def class_report(homes: str, *, html: str | Path | None = None, lang: str | None = None) -> ClassReport:
    """Read the class's records (a glob of OAUTHMAIL_HOME folders); with ``html``, also write the picture."""
    report = build_report(homes, lang)
    if html is not None:
        from ..tokenfile import atomic_write

        atomic_write(Path(html).expanduser(), render_html(report, lang), mode=0o644)
    return report
