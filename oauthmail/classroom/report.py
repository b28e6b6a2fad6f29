"""The trainer's view of a class: every student's setup records, as one table and one picture.

It reads **only** setup records (``OAUTHMAIL_HOME/records/*.json``, written by the notebooks'
export step or ``oauthmail record``; :mod:`oauthmail.record` chose their fields so that no secret is
in them). It never opens a token INI, a sandbox folder or a mailbox. A folder it may not read (another
user's home on a shared host, where the trainer is not an administrator) is skipped and listed, with
the reason, instead of stopping the report.

Usage::

    report = build_report("/home/jupyter-*/.config/oauthmail")
    print(render_table(report, "ja"))
    Path("class.html").write_text(render_html(report, "ja"), encoding="utf-8")
"""

from __future__ import annotations

import glob
import html
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..i18n import Msg
from ..i18n.width import display_width
from ..secrets import redact

# --- texts ------------------------------------------------------------------------------------------

T_TITLE = Msg(en="Class setup report", ja="クラスの設定状況")
T_STUDENT = Msg(en="Student", ja="受講者")
T_PROVIDER = Msg(en="Provider", ja="プロバイダー")
T_ACCOUNT = Msg(en="Account", ja="アカウント")
T_STEPS = Msg(en="Steps", ja="手順")
T_CONSENT = Msg(en="Consent", ja="同意")
T_SEND = Msg(en="Test message", ja="テスト送信")
T_EXPORT = Msg(en="Record", ja="記録")
T_LAST_ERROR = Msg(en="Last error", ja="直近のエラー")
T_WHAT_TO_DO = Msg(en="what to do", ja="対処方法")
T_RECORDED = Msg(en="Recorded at", ja="記録日時")
T_SUMMARY = Msg(
    en="Class of {students}: {consented} signed in, {delivered} delivered the test message, {missing} without a record yet.",
    ja="受講者 {students} 人: サインイン済み {consented} 人、テスト送信成功 {delivered} 人、記録なし {missing} 人。",
)
T_SKIPPED = Msg(en="Skipped {path}: {reason}.", ja="{path} は読み飛ばしました: {reason}。")
T_SKIPPED_HEAD = Msg(en="Folders not read", ja="読めなかったフォルダー")
T_NO_RECORD = Msg(en="no record yet", ja="記録なし")
T_NO_HOMES = Msg(en="No folder matches {pattern}.", ja="{pattern} に一致するフォルダーがありません。")
T_LEGEND = Msg(en="Legend", ja="凡例")
T_NO_SECRET = Msg(
    en="Built from setup records only: no token, refresh token or client secret is read or shown.",
    ja="セットアップ記録だけから作成しています。トークン・リフレッシュ トークン・クライアント シークレットは読み込みも表示もしていません。",
)
R_PERMISSION = Msg(en="permission denied (run the report as the hub's administrator, e.g. with sudo)",
                   ja="アクセス権がありません（ハブの管理者として実行してください。例: sudo）")
R_BROKEN = Msg(en="{name} is not a readable setup record ({reason})",
               ja="{name} は読み取れるセットアップ記録ではありません（{reason}）")

#: Cell states of the picture and the table, with their mark and colour.
STATES: dict[str, tuple[str, str, Msg]] = {
    "done": ("✔", "#2da44e", Msg(en="done", ja="完了")),
    "partial": ("◐", "#d4a72c", Msg(en="partly done", ja="一部完了")),
    "todo": ("·", "#d0d7de", Msg(en="not done", ja="未完了")),
    "failed": ("✖", "#cf222e", Msg(en="failed", ja="失敗")),
    "none": ("?", "#f6f8fa", Msg(en="no record", ja="記録なし")),
}

#: Columns after the console steps: what the notebook itself did.
OUTCOMES = ("consent", "send", "export")
OUTCOME_LABELS: dict[str, Msg] = {"consent": T_CONSENT, "send": T_SEND, "export": T_EXPORT}


# --- the data ---------------------------------------------------------------------------------------


@dataclass
class Student:
    """What the records of one student's OAUTHMAIL_HOME say (the newest record wins)."""

    name: str
    home: str
    record: str = ""
    provider: str = ""
    account: str = ""
    created_at: str = ""
    #: Console step id → ``done`` / ``partial`` / ``todo`` (ticks grouped by step).
    steps: dict[str, str] = field(default_factory=dict)
    #: Step id → its title in the record's language (the label of the first tick, for steps unknown here).
    step_titles: dict[str, str] = field(default_factory=dict)
    consent: str = "none"
    send: str = "none"
    export: str = "none"
    #: The last error's raw text (secret-free, as recorded) and its explanation (oauthmail.explain).
    error: str = ""
    explanation: dict[str, Any] | None = None
    records: int = 0

    def state(self, column: str) -> str:
        if column in OUTCOMES:
            return str(getattr(self, column))
        if not self.record:
            return "none"
        return self.steps.get(column, "todo")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "home": self.home, "record": self.record, "records": self.records,
            "provider": self.provider, "account": self.account, "created_at": self.created_at,
            "steps": dict(self.steps), "consent": self.consent, "send": self.send, "export": self.export,
            "error": self.error, "explanation": self.explanation,
        }


@dataclass
class ClassReport:
    """Every student found by the pattern, and the folders that could not be read."""

    pattern: str
    students: list[Student] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def columns(self) -> list[str]:
        """The console steps any student ticked (in the kit's order), then consent, send, record."""
        return [*step_columns(self.students), *OUTCOMES]

    def counts(self) -> dict[str, int]:
        return {
            "students": len(self.students),
            "consented": sum(s.consent == "done" for s in self.students),
            "delivered": sum(s.send == "done" for s in self.students),
            "missing": sum(not s.record for s in self.students),
        }

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {
            "pattern": self.pattern,
            "columns": self.columns,
            "counts": self.counts(),
            "students": [s.to_dict() for s in self.students],
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "summary": T_SUMMARY.format(lang, **self.counts()),
        }


# --- small pure helpers -----------------------------------------------------------------------------


def expand_homes(pattern: str) -> list[Path]:
    """The folders a glob pattern names (``~`` expanded), sorted; plain files are left out."""
    found = glob.glob(os.path.expanduser(pattern))
    return sorted(Path(p) for p in found if os.path.isdir(p))


def student_name(home: Path, pattern: str) -> str:
    """The parts of ``home`` that the pattern's wildcards matched (``/home/*/x`` → the user), else its name."""
    pat = Path(os.path.expanduser(pattern)).parts
    parts = home.parts
    picked = [part for p, part in zip(pat, parts, strict=False) if any(c in p for c in "*?[")] if len(pat) == len(parts) else []
    return "/".join(picked) or home.name


def step_of(tick_id: str) -> str:
    """``google.client.redirect`` → ``google.client`` (a tick id is ``<step id>.<tick id>``)."""
    return tick_id.rsplit(".", 1)[0] if tick_id.count(".") >= 2 else tick_id


def group_steps(ticks: Iterable[Mapping[str, Any]]) -> tuple[dict[str, str], dict[str, str]]:
    """Ticks → (step id → ``done``/``partial``/``todo``, step id → a label for it)."""
    done: dict[str, list[bool]] = {}
    labels: dict[str, str] = {}
    for t in ticks:
        sid = step_of(str(t.get("id", "")))
        if not sid:
            continue
        done.setdefault(sid, []).append(bool(t.get("done")))
        labels.setdefault(sid, str(t.get("label", "")))
    states = {sid: "done" if all(v) else ("partial" if any(v) else "todo") for sid, v in done.items()}
    return states, labels


def step_columns(students: Iterable[Student]) -> list[str]:
    """Step ids seen in any record: the kit's known steps in their order, then unknown ones as met."""
    from ..ui.steps import STEPS  # plain data (no ipywidgets)

    seen: list[str] = []
    for s in students:
        seen += [sid for sid in s.steps if sid not in seen]
    known = [sid for sid in STEPS if sid in seen]
    return known + [sid for sid in seen if sid not in known]


def step_title(step_id: str, students: Sequence[Student], lang: str | None) -> str:
    """A column's title: the kit's step title in ``lang``, else what a record called it."""
    from ..ui.steps import STEPS

    if step_id in STEPS:
        return STEPS[step_id].title.format(lang)
    if step_id in OUTCOME_LABELS:
        return OUTCOME_LABELS[step_id].format(lang)
    for s in students:
        if s.step_titles.get(step_id):
            return s.step_titles[step_id]
    return step_id


def last_error(data: Mapping[str, Any]) -> str:
    """The last problem a record tells of: a failed send, else a failing check, else a noted error."""
    send = data.get("send") or {}
    if isinstance(send, Mapping) and send and not send.get("ok") and send.get("error"):
        return str(send["error"])
    doctor = data.get("doctor") or {}
    checks = doctor.get("checks") if isinstance(doctor, Mapping) else None
    for check in reversed(checks or []):
        if isinstance(check, Mapping) and check.get("status") == "fail":
            return str(check.get("detail") or check.get("title") or check.get("id") or "")
    extra = data.get("extra") or {}
    if isinstance(extra, Mapping) and extra.get("last_error"):
        return str(extra["last_error"])
    return ""


def explain_error(text: str, lang: str | None) -> dict[str, Any] | None:
    """The catalog's explanation of an error text (``None`` for no error)."""
    if not text:
        return None
    from ..explain import describe, explain

    return describe(explain(text), lang)


def student_from_record(name: str, home: str, path: str, data: Mapping[str, Any], count: int,
                        lang: str | None) -> Student:
    """One student's row from their newest record (a dict as :mod:`oauthmail.record` writes it)."""
    steps, titles = group_steps(t for t in data.get("steps") or [] if isinstance(t, Mapping))
    send = data.get("send")
    error = redact(last_error(data))[:500]
    return Student(
        name=name, home=home, record=path, records=count,
        provider=str(data.get("provider", "")), account=str(data.get("account", "")),
        created_at=str(data.get("created_at", "")), steps=steps, step_titles=titles,
        # A record is written only once the consent step has stored a token for the account.
        consent="done" if data.get("account") else "todo",
        send=("done" if send.get("ok") else "failed") if isinstance(send, Mapping) and send else "todo",
        export="done",
        error=error, explanation=explain_error(error, lang),
    )


def newest_record(records: Sequence[tuple[Path, Mapping[str, Any]]]) -> tuple[Path, Mapping[str, Any]]:
    """The record written last (by its ``created_at``, then by file name, which holds the time)."""
    return max(records, key=lambda r: (str(r[1].get("created_at", "")), r[0].name))


def read_home(home: Path, name: str, lang: str | None = None) -> tuple[Student | None, list[tuple[str, str]]]:
    """A student's row from ``home/records/*.json``; folders and files it may not read come back as skips."""
    skipped: list[tuple[str, str]] = []
    records_dir = home / "records"
    try:
        if not os.access(home, os.R_OK | os.X_OK):
            raise PermissionError(str(home))
        # os.listdir, not glob: glob hides an unreadable folder by finding nothing in it.
        names = os.listdir(records_dir) if records_dir.is_dir() else []
        files = sorted(records_dir / n for n in names if n.endswith(".json"))
    except PermissionError:
        return None, [(str(home), R_PERMISSION.format(lang))]
    loaded: list[tuple[Path, Mapping[str, Any]]] = []
    for path in files:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except PermissionError:
            skipped.append((str(path), R_PERMISSION.format(lang)))
            continue
        except (OSError, ValueError) as exc:
            skipped.append((str(path), R_BROKEN.format(lang, name=path.name, reason=type(exc).__name__)))
            continue
        if not isinstance(data, dict) or "account" not in data or "provider" not in data:
            skipped.append((str(path), R_BROKEN.format(lang, name=path.name, reason="no account/provider")))
            continue
        loaded.append((path, data))
    if not loaded:
        return Student(name=name, home=str(home)), skipped
    path, data = newest_record(loaded)
    return student_from_record(name, str(home), str(path), data, len(loaded), lang), skipped


def build_report(pattern: str, lang: str | None = None) -> ClassReport:
    """The class behind a glob pattern of OAUTHMAIL_HOME folders (one folder per student)."""
    report = ClassReport(pattern)
    for home in expand_homes(pattern):
        student, skipped = read_home(home, student_name(home, pattern), lang)
        report.skipped += skipped
        if student is not None:
            report.students.append(student)
    return report


# --- rendering --------------------------------------------------------------------------------------


width = display_width  # columns a text takes on a console (CJK characters take two)


def pad(text: str, columns: int) -> str:
    return text + " " * max(0, columns - width(text))


def render_table(report: ClassReport, lang: str | None = None) -> str:
    """The console table: one line per student, then what to do for each last error."""
    columns = report.columns
    steps = columns[: -len(OUTCOMES)]
    head = [T_STUDENT.format(lang), T_PROVIDER.format(lang), T_ACCOUNT.format(lang), T_STEPS.format(lang),
            T_CONSENT.format(lang), T_SEND.format(lang), T_LAST_ERROR.format(lang)]
    rows: list[list[str]] = []
    for s in report.students:
        done = sum(s.state(c) == "done" for c in steps)
        err = ""
        if s.explanation:
            err = str(s.explanation.get("code") or "") if s.explanation.get("recognised") else s.error[:40]
        elif not s.record:
            err = T_NO_RECORD.format(lang)
        rows.append([s.name, s.provider or "-", s.account or "-", f"{done}/{len(steps)}" if steps else "-",
                     STATES[s.consent][0], STATES[s.send][0], err])
    widths = [max(width(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [T_TITLE.format(lang), ""]
    lines.append("  ".join(pad(h, w) for h, w in zip(head, widths, strict=True)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines += ["", T_SUMMARY.format(lang, **report.counts())]
    for s in report.students:
        if s.explanation:
            lines.append(f"- {s.name}: {s.explanation['title']} — {T_WHAT_TO_DO.format(lang)}: {s.explanation['fix']}")
    for path, reason in report.skipped:
        lines.append(T_SKIPPED.format(lang, path=path, reason=reason))
    if not report.students and not report.skipped:
        lines.append(T_NO_HOMES.format(lang, pattern=report.pattern))
    return "\n".join(lines)


def render_json(report: ClassReport, lang: str | None = None) -> str:
    return json.dumps(report.to_dict(lang), ensure_ascii=False, indent=1)


_CSS = (
    "body{font-family:system-ui,'Noto Sans CJK JP',sans-serif;margin:1.5em;color:#1f2328}"
    "h1{font-size:1.4em;margin:0 0 .3em}p{margin:.3em 0}"
    "table.grid{border-collapse:separate;border-spacing:3px;margin-top:1em}"
    "table.grid th{font-weight:600;font-size:.85em;padding:2px 6px;text-align:left}"
    "table.grid thead th{vertical-align:bottom;max-width:7em}"
    "table.grid td.cell{width:2.6em;height:1.9em;text-align:center;border-radius:4px;color:#fff;font-weight:700}"
    "td.todo,td.none{color:#57606a!important}"
    "td.err{font-size:.85em;padding-left:.8em;max-width:30em}"
    ".legend span{display:inline-block;padding:1px 8px;margin-right:6px;border-radius:4px;color:#fff}"
    ".note{color:#57606a;font-size:.85em}"
)


def render_html(report: ClassReport, lang: str | None = None, *, refresh: int = 0) -> str:
    """One page for the room's screen: students by steps as coloured cells, with the last error's fix.

    ``refresh``: reload the page every so many seconds (0: never) while the report is rewritten.
    """
    e = html.escape
    columns = report.columns
    chosen = "ja" if (lang or "").startswith("ja") else "en"
    head = [f"<!DOCTYPE html><html lang=\"{chosen}\"><head><meta charset=\"utf-8\">",
            f"<meta http-equiv=\"refresh\" content=\"{int(refresh)}\">" if refresh > 0 else "",
            f"<title>{e(T_TITLE.format(lang))}</title><style>{_CSS}</style></head><body>",
            f"<h1>{e(T_TITLE.format(lang))}</h1>",
            f"<p id=\"summary\">{e(T_SUMMARY.format(lang, **report.counts()))}</p>"]
    legend = "".join(f"<span style=\"background:{colour};{'color:#57606a' if state in ('todo', 'none') else ''}\">"
                     f"{mark} {e(label.format(lang))}</span>" for state, (mark, colour, label) in STATES.items())
    parts = [*head, f"<p class=\"legend\">{e(T_LEGEND.format(lang))}: {legend}</p>",
             "<table class=\"grid\"><thead><tr>", f"<th>{e(T_STUDENT.format(lang))}</th>"]
    parts += [f"<th data-column=\"{e(c)}\">{e(step_title(c, report.students, lang))}</th>" for c in columns]
    parts.append(f"<th>{e(T_LAST_ERROR.format(lang))}</th></tr></thead><tbody>")
    for s in report.students:
        parts.append(f"<tr data-student=\"{e(s.name)}\"><th title=\"{e(s.account or s.home)}\">{e(s.name)}</th>")
        for c in columns:
            state = s.state(c)
            mark, colour, label = STATES[state]
            parts.append(f"<td class=\"cell {state}\" data-column=\"{e(c)}\" data-state=\"{state}\" "
                         f"style=\"background:{colour}\" title=\"{e(label.format(lang))}\">{mark}</td>")
        if s.explanation:
            parts.append(f"<td class=\"err\"><b>{e(str(s.explanation.get('title', '')))}</b><br>"
                         f"{e(T_WHAT_TO_DO.format(lang))}: {e(str(s.explanation.get('fix', '')))}</td>")
        else:
            parts.append(f"<td class=\"err\">{e(T_NO_RECORD.format(lang)) if not s.record else ''}</td>")
        parts.append("</tr>")
    parts.append("</tbody></table>")
    if report.skipped:
        parts.append(f"<h2>{e(T_SKIPPED_HEAD.format(lang))}</h2><ul>")
        parts += [f"<li><code>{e(p)}</code>: {e(r)}</li>" for p, r in report.skipped]
        parts.append("</ul>")
    parts.append(f"<p class=\"note\">{e(T_NO_SECRET.format(lang))}</p></body></html>\n")
    return "".join(parts)
