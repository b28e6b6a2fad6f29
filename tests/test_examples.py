"""The README's three scripts (examples/) run as a script author runs them, against the sandbox over real sockets.

``send_report.py`` (one message with an attachment), ``send_many.py`` (100 messages, one connection) and
``test_mailing.py`` (a pytest test of "your" code with the ``oauthmail_ini``/``oauthmail_sandbox``
fixtures, run by pytest in a folder of its own, as another project would) — plus ``every_call.py``,
which uses every public call and is type-checked with ``mypy --strict``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ROOT = EXAMPLES.parent


def run(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=dict(os.environ))
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    return p


def test_send_report_sends_one_message_with_its_attachment(oauthmail_ini: Path, oauthmail_sandbox: Any,
                                                           tmp_path: Path) -> None:
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4\n% a tiny report\n")
    p = run([sys.executable, str(EXAMPLES / "send_report.py"), str(oauthmail_ini), "bob@example.com", str(report)],
            tmp_path)
    (msg,) = oauthmail_sandbox.mailbox.messages()
    assert p.stdout.strip() == f"sent {msg['Message-ID']}"
    assert msg["Subject"] == "Monthly report" and msg["From"] == "alice@example.com"
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == "report.pdf" and part.get_content() == report.read_bytes()
    assert len((EXAMPLES / "send_report.py").read_text().strip().splitlines()) <= 10


COUNT_CONNECTIONS = """
import runpy, socket, sys
opened = []
real = socket.create_connection
def counted(address, *args, **kwargs):
    opened.append(address)
    return real(address, *args, **kwargs)
socket.create_connection = counted
script = sys.argv.pop(1)
runpy.run_path(script, run_name="__main__")
print("connections:", len(opened))
"""


def test_send_many_sends_100_messages_over_one_connection(oauthmail_ini: Path, oauthmail_sandbox: Any,
                                                          tmp_path: Path) -> None:
    p = run([sys.executable, "-c", COUNT_CONNECTIONS, str(EXAMPLES / "send_many.py"), str(oauthmail_ini),
             "bob@example.com"], tmp_path)
    assert p.stdout.splitlines() == ["sent 100 messages over 1 connection(s)", "connections: 1"]
    subjects = sorted(m["Subject"] for m in oauthmail_sandbox.mailbox.messages())
    assert subjects == sorted(f"Message {n} of 100" for n in range(1, 101))


def test_the_pytest_example_passes_in_a_project_of_its_own(tmp_path: Path) -> None:
    project = tmp_path / "their-project"
    project.mkdir()
    shutil.copy(EXAMPLES / "test_mailing.py", project)
    p = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_mailing.py"], project)
    assert "1 passed" in p.stdout


def test_the_pytest_example_fails_when_the_code_under_test_is_wrong(tmp_path: Path) -> None:
    project = tmp_path / "their-project"
    project.mkdir()
    text = (EXAMPLES / "test_mailing.py").read_text().replace('subject=f"Job {job} failed"', 'subject=f"Job {job}"')
    (project / "test_mailing.py").write_text(text)
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_mailing.py"],
                       cwd=project, capture_output=True, text=True, timeout=120)
    assert p.returncode == 1 and "1 failed" in p.stdout and "Job nightly-backup failed" in p.stdout


def test_every_call_runs(tmp_path: Path) -> None:
    p = run([sys.executable, str(EXAMPLES / "every_call.py")], tmp_path, timeout=180)
    out = p.stdout
    assert "signed in: alice@example.com dave@contoso.example" in out
    assert "token in transcript: 0" in out and "mailer: <" in out and "3 sent, 0 failed" in out
    assert "doctor: ok" in out and "explain: 535 5.7.139" in out and "delivered: 6" in out
    assert "error: To: 'not an address' is not an e-mail address." in out


BAD_USE = """
import oauthmail

oauthmail.send("x.ini", to="b@example.com", subject=1)
n: int = oauthmail.access_token("x.ini").token
oauthmail.doctor("x.ini").nonexistent
oauthmail.consent.google("c.json", moed="paste")
with oauthmail.Mailer("x.ini") as m:
    m.send(to="b@example.com", subjct="s")
"""


def test_scripts_type_check_strictly_and_misuse_does_not(tmp_path: Path) -> None:
    bad = tmp_path / "bad_use.py"
    bad.write_text(BAD_USE)
    scripts = [str(EXAMPLES / name) for name in ("every_call.py", "send_report.py", "send_many.py")]
    p = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--config-file", str(ROOT / "pyproject.toml"),
                        *scripts, str(bad)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    errors = [line.split(":") for line in p.stdout.splitlines() if ": error:" in line]
    # (mypy's cache may name an earlier run's folder: compare file names)
    assert [e for e in errors if Path(e[0]).name != bad.name] == [], p.stdout  # the examples are clean
    assert [e[1] for e in errors] == ["4", "5", "6", "7", "9"], p.stdout  # each misuse is caught


def test_the_readmes_show_the_examples_as_they_run() -> None:
    import re

    sources = {p.name: p.read_text(encoding="utf-8") for p in EXAMPLES.glob("*.py")}
    for readme, heading in (("README.md", "## From Python"), ("README.ja.md", "## Python から")):
        text = (ROOT / readme).read_text(encoding="utf-8")
        section = text[text.index(heading):]
        shown = re.findall(r"^```python\n(.*?)^```", section, re.M | re.S)
        assert len(shown) == 3, readme
        for code, name in zip(shown, ("send_report.py", "send_many.py", "test_mailing.py"), strict=True):
            assert f"(examples/{name})" in section
            assert code in sources[name], f"{readme} shows {name} differently from examples/{name}"
