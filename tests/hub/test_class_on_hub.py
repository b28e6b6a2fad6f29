"""Ten students at once on a real JupyterHub, each a system user of this machine (issue 16).

JupyterHub runs ``docs/classroom/jupyterhub_config.py`` (with tests/hub/hub_overrides.py's two test-only
additions: per-student server logs, JupyterLab's command registry exposed) from an environment built
from ``/usr/bin/python3`` that every student can read, configurable-http-proxy from npm, and
LocalProcessSpawner: each student's JupyterLab, kernel and practice sandbox run as that student.

Headless Chromium signs the ten in at once (one browser, ten contexts) with their own passwords. Each
opens the Gmail or the Microsoft 365 notebook, in English or Japanese, runs it, ticks the console steps,
gives the client, presses sign-in at the same moment as the others (the documented return port 48888 is
then busy for all but one: the notebook must say so and still sign everyone in), approves on the consent
page reached through the hub (``/user/<name>/proxy/<port>/…``), pastes the ``127.0.0.1:48888`` address the
browser could not reach, sends the test message and exports. Then another student's account tries to read
the first student's files and practice mailbox, and ``oauthmail class report`` must show ten delivered.

The browser runs Playwright's async API on a thread of its own: Playwright's sync API (tests/browser)
leaves an event loop on the main thread, where ``asyncio.run`` would refuse to start.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hubwalk import Student, Walker, lab_settings, record_failure
from labdriver import CHROMIUM, CHROMIUM_ARGS, update_screenshots, write_lab_settings
from studentenv import CHP, REPO

from tests.loopback_lock import loopback_port_lock
from tests.sandbox_fixtures import free_port

DOC_CONFIG = REPO / "docs" / "classroom" / "jupyterhub_config.py"
OVERRIDES = Path(__file__).resolve().parent / "hub_overrides.py"
#: Ten students; OAUTHMAIL_HUB_CLASS_SIZE makes a smaller class to debug the walk (the test then asks for fewer).
CLASS_SIZE = int(os.environ.get("OAUTHMAIL_HUB_CLASS_SIZE") or 10)
PREFIX = "omhub"  # the test's system users: omhub01 … omhub10 (comment "oauthmail hub test")
COMMENT = "oauthmail hub test"
#: Seconds for the whole class, from the first sign-in to the last export (a bound, not a sleep).
CLASS_TIMEOUT = 720
HOMES = f"/home/{PREFIX}*/.config/oauthmail"
#: (language, provider) of each student: both notebooks, both languages, mixed through the class.
MIX = [("en", "google"), ("ja", "microsoft"), ("ja", "google"), ("en", "microsoft")]


# --- system users --------------------------------------------------------------------------------

def _test_users() -> list[str]:
    return sorted(p.pw_name for p in pwd.getpwall() if p.pw_name.startswith(PREFIX) and p.pw_gecos == COMMENT)


def _pids_of(uid: int) -> list[int]:
    """Processes running as ``uid`` (all of them started by this test's hub for its own users)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            uids = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if int(uids.split()[1]) == uid:
            pids.append(int(entry.name))
    return pids


def _remove_user(name: str) -> None:
    """Stop what still runs as the test user (its sandbox, by the pid it recorded; then any leftover by id)."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return
    state = Path(entry.pw_dir) / ".config" / "oauthmail" / "sandbox"
    if (state / "sandbox.json").exists():
        subprocess.run([sys.executable, "-m", "oauthmail", "sandbox", "--stop", "--state-dir", str(state)],
                       capture_output=True, timeout=60, check=False)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in _pids_of(entry.pw_uid):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while _pids_of(entry.pw_uid) and time.monotonic() < deadline:
            time.sleep(0.1)
    subprocess.run(["userdel", "-r", "-f", name], capture_output=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def students(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Student]]:
    """Ten system users with private homes, each with the notebooks in ~/oauthmail/notebooks."""
    for name in _test_users():  # left over by an interrupted run
        _remove_user(name)
    made: list[Student] = []
    try:
        for i in range(1, CLASS_SIZE + 1):
            name = f"{PREFIX}{i:02d}"
            subprocess.run(["useradd", "-m", "-c", COMMENT, "-s", "/bin/sh", "-K", "UMASK=077", name],
                           check=True, capture_output=True, timeout=60)
            entry = pwd.getpwnam(name)
            home = Path(entry.pw_dir)
            os.chmod(home, 0o700)
            lang, provider = MIX[(i - 1) % len(MIX)]
            notebooks = home / "oauthmail" / "notebooks"
            shutil.copytree(REPO / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            write_lab_settings(home / ".jupyter" / "lab" / "user-settings", lab_settings(lang))
            subprocess.run(["chown", "-R", f"{entry.pw_uid}:{entry.pw_gid}", str(home)], check=True, timeout=60)
            made.append(Student(name, secrets.token_urlsafe(12), lang, provider, home))
        yield made
    finally:
        for s in made:
            _remove_user(s.name)


# --- the hub -------------------------------------------------------------------------------------

class Hub:
    """One JupyterHub process (root) with its proxy, from the students' environment."""

    def __init__(self, env_dir: Path, state: Path, students: list[Student]) -> None:
        self.env_dir = env_dir
        self.state = state
        self.port = free_port()
        self.log = state / "hub.log"
        self.proc: subprocess.Popen[bytes] | None = None
        passwords = state / "class-passwords"
        passwords.write_text("".join(f"{s.name}:{s.password}\n" for s in students), encoding="utf-8")
        os.chmod(passwords, 0o600)
        self.env = {
            "PATH": f"{env_dir / 'bin'}:/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/root",
            "OAUTHMAIL_HUB_DOC_CONFIG": str(DOC_CONFIG),
            "OAUTHMAIL_CLASS_PASSWORDS": str(passwords), "OAUTHMAIL_HUB_STATE": str(state),
            "OAUTHMAIL_HUB_IP": "127.0.0.1", "OAUTHMAIL_HUB_PORT": str(self.port),
            "OAUTHMAIL_HUB_API_PORT": str(free_port()), "OAUTHMAIL_PROXY_API_PORT": str(free_port()),
            "OAUTHMAIL_CHP": str(CHP),
        }

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen([str(self.env_dir / "bin" / "jupyterhub"), "-f", str(OVERRIDES)],
                                         env=self.env, cwd=self.state, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"JupyterHub exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api", timeout=5) as resp:
                    if json.loads(resp.read()).get("version"):
                        return
            except (OSError, ValueError, urllib.error.URLError):
                time.sleep(0.3)
        raise RuntimeError(f"JupyterHub did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """SIGTERM: the hub stops every student's server (cleanup_servers), then its proxy."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def student_env() -> Path:
    from studentenv import ensure

    started = time.monotonic()
    path = ensure()
    print(f"students' environment {path} ready in {time.monotonic() - started:.0f} s")
    return path


@pytest.fixture(scope="module")
def hub(student_env: Path, students: list[Student], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    state = tmp_path_factory.mktemp("hub-state")
    os.chmod(state, 0o700)
    server = Hub(student_env, state, students)
    # The documented return port is the one all ten kernels want: no other walk on this machine meanwhile.
    with loopback_port_lock():
        server.start()
        try:
            yield server
        finally:
            server.stop()


# --- the class, in a browser on a thread of its own ---------------------------------------------

def run_class(hub: Hub, students: list[Student], artifacts: Path) -> dict[str, Any]:
    """Every student's walk at once; returns what went wrong per student and the failure files."""
    from hubwalk import StartGate
    from playwright.async_api import async_playwright

    outcome: dict[str, Any] = {"errors": {}, "files": []}

    async def one(browser: Any, student: Student, gate: StartGate) -> None:
        walker = Walker(student, hub.url, artifacts / "uploads")
        gated = False
        try:
            student.context = await browser.new_context(
                ignore_https_errors=True, viewport={"width": 1280, "height": 900},
                locale="ja-JP" if student.lang == "ja" else "en-US")
            student.context.set_default_timeout(60_000)
            student.page = await student.context.new_page()
            await walker.sign_in_to_hub()
            await walker.open_notebook()
            await walker.run_all()
            await walker.tick_checklists()
            await walker.client()
            gated = True
            await gate.wait(timeout=CLASS_TIMEOUT / 2)  # everyone presses sign-in at the same moment
            await walker.start_sign_in()
            await walker.consent()
            await walker.send()
            await walker.export()
        except BaseException as exc:
            if not gated:
                gate.arrive()  # the others must not wait for a student who is out
            student.error = f"{type(exc).__name__}: {str(exc)[:1500]}"
            outcome["files"] += await record_failure(student, artifacts / "failures")

    async def main() -> None:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS))
            try:
                gate = StartGate(len(students))
                await asyncio.wait_for(asyncio.gather(*(one(browser, s, gate) for s in students)), CLASS_TIMEOUT)
                await shoot_report(browser, artifacts)
            finally:
                for s in students:
                    if s.context is not None:
                        await s.context.close()
                await browser.close()

    def thread_main() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:
            outcome["fatal"] = f"{type(exc).__name__}: {exc}"

    thread = threading.Thread(target=thread_main, name="hub-class-browser")
    thread.start()
    thread.join(CLASS_TIMEOUT + 120)
    if thread.is_alive():
        outcome["fatal"] = f"the class did not finish within {CLASS_TIMEOUT + 120} s"
    return outcome


async def shoot_report(browser: Any, artifacts: Path) -> None:
    """The class report's HTML page as the room's screen shows it (docs/screenshots with the update switch)."""
    page_file = artifacts / "class-report.html"
    proc = subprocess.run([sys.executable, "-m", "oauthmail", "class", "report", "--homes", HOMES, "--html",
                           str(page_file)], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 or not page_file.exists():
        return
    context = await browser.new_context(viewport={"width": 1100, "height": 520}, device_scale_factor=1)
    try:
        page = await context.new_page()
        await page.goto(page_file.as_uri())
        shot = artifacts / "class-report.png"
        await page.screenshot(path=str(shot), full_page=True)
        if update_screenshots():
            shutil.copyfile(shot, REPO / "docs" / "screenshots" / "class-report.png")
    finally:
        await context.close()


def run_as(student: Student, *cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", student.name, "--", *cmd], capture_output=True, text=True, timeout=60)


def failure_note(hub: Hub, students: list[Student], artifacts: Path, outcome: dict[str, Any]) -> str:
    """Copy the hub log and each student's server log next to the screenshots; name them all."""
    folder = artifacts / "failures"
    folder.mkdir(parents=True, exist_ok=True)
    files = [str(p) for p in outcome["files"]]
    shutil.copyfile(hub.log, folder / "hub.log")
    files.append(str(folder / "hub.log"))
    for s in students:
        log = s.home / ".jupyterhub-server.log"
        if log.exists():
            shutil.copyfile(log, folder / f"{s.name}-server.log")
            files.append(str(folder / f"{s.name}-server.log"))
    return "files: " + ", ".join(files)


# --- the test -------------------------------------------------------------------------------------

def test_ten_students_at_once_on_a_real_hub(hub: Hub, students: list[Student], record_property: Any) -> None:
    # In the checkout (gitignored, like tests/browser's screenshots): pytest's own tmp folders are pruned to the
    # last three runs, and other runs on a shared machine would take a failure's files away before anyone looks.
    artifacts = REPO / "test-artifacts" / "hub"
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True)
    started = time.monotonic()
    outcome = run_class(hub, students, artifacts)
    wall = time.monotonic() - started
    load = os.getloadavg()

    # Per-student timings (seconds since that student opened the hub), into the report and the output.
    steps = ["hub_sign_in_and_spawn", "notebook_open", "notebook_ran", "client_ready", "pressed_sign_in",
             "signed_in", "sent", "exported"]
    lines = [f"class of {len(students)} on JupyterHub: {wall:.0f} s wall, load average "
             f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
             "student  lang provider   " + " ".join(f"{s[:10]:>10}" for s in steps) + "  48888 busy"]
    for s in students:
        lines.append(f"{s.name}  {s.lang:4} {s.provider:10} " + " ".join(
            f"{s.timings.get(step, float('nan')):>10.1f}" for step in steps) + f"  {'yes' if s.saw_port_wait else 'no'}")
        record_property(f"{s.name}_timings", json.dumps({"lang": s.lang, "provider": s.provider, **s.timings}))
    record_property("class_wall_seconds", round(wall, 1))
    record_property("load_average", " ".join(f"{x:.2f}" for x in load))
    print("\n".join(lines))
    record_property("timings_table", "\n".join(lines))  # shown in the terminal summary (tests/hub/conftest.py)

    failed = {s.name: s.error for s in students if s.error}
    if failed or outcome.get("fatal"):
        note = failure_note(hub, students, artifacts, outcome)
        raise AssertionError(f"{len(failed)} of {len(students)} students did not finish: "
                             f"{json.dumps(failed, ensure_ascii=False, indent=1)}\n{outcome.get('fatal', '')}\n{note}\n"
                             f"hub log tail:\n{hub.log_tail(30)}")

    # All ten delivered, each into their own practice mailbox, through the hub's proxy and by paste.
    for s in students:
        assert s.proxied_consent.startswith(f"/user/{s.name}/proxy/"), s.proxied_consent
        assert s.pasted, f"{s.name}: nothing was pasted"
        mailbox = Path(s.sandbox_info()["mailbox_dir"])
        assert len(list(mailbox.glob("*.eml"))) == 1, f"{s.name}: {list(mailbox.glob('*.eml'))}"
    # They pressed sign-in at the same moment: the busy return port was said, and everyone signed in anyway.
    busy = [s.name for s in students if s.saw_port_wait]
    assert busy, "no student was told that port 48888 was busy, though all pressed sign-in at once"

    check_isolation(hub, students)
    check_class_report(hub, students, artifacts)


def check_isolation(hub: Hub, students: list[Student]) -> None:
    """Student B, with B's own account, cannot read A's files, nor A's practice mailbox page."""
    a, b = students[0], students[1]
    ini = next(a.kit_home.glob("*.ini"))
    record = next((a.kit_home / "records").glob("*.json"))
    eml = next(Path(a.sandbox_info()["mailbox_dir"]).glob("*.eml"))
    for path in (ini, record, eml, a.kit_home / "sandbox" / "sandbox.json"):
        proc = run_as(b, "cat", str(path))
        assert proc.returncode != 0 and "Permission denied" in proc.stderr, (b.name, str(path), proc.stderr)
        assert proc.stdout == ""
    # Every file under each OAUTHMAIL_HOME is the student's own and closed to everyone else (0600/0700). The one
    # exception is the sandbox's public certificates (ca.pem, server.pem: 0644, certificates without their keys),
    # which sit in the student's 0700 sandbox folder, so no one else can reach them either; the keys are 0600.
    for student in students:
        uid = pwd.getpwnam(student.name).pw_uid
        for path in [student.kit_home, *student.kit_home.rglob("*")]:
            mode = path.lstat().st_mode
            assert path.lstat().st_uid == uid, path
            if stat.S_ISLNK(mode) or (path.parent.name == "sandbox" and path.suffix == ".pem" and "key" not in path.name):
                continue
            assert mode & 0o077 == 0, f"{path} is {stat.filemode(mode)}"
        assert stat.S_IMODE((student.kit_home / "sandbox").stat().st_mode) == 0o700
        assert stat.S_IMODE(student.home.stat().st_mode) == 0o700
    # A's sandbox pages on A's ports: B's request without A's page token is refused; A's token opens it.
    info = a.sandbox_info()
    ui = info["ui_url"]
    for url in (f"{ui}/mailbox", f"{info['base_url']}/mailbox", f"{ui}/mailbox?t=wrong"):
        proc = run_as(b, "curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", url)
        assert proc.stdout.strip() in ("403", "421"), (url.split("?")[0], proc.stdout, proc.stderr)
    mine = run_as(a, "curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", f"{ui}/mailbox?t={info['page_token']}")
    assert mine.stdout.strip() == "200", mine.stdout  # the check above can fail: the page exists


def check_class_report(hub: Hub, students: list[Student], artifacts: Path) -> None:
    """The trainer's view (as root, like `sudo oauthmail class report`) shows the ten delivered."""
    proc = subprocess.run([sys.executable, "-m", "oauthmail", "class", "report", "--homes", HOMES, "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    n = len(students)
    assert report["counts"] == {"students": n, "consented": n, "delivered": n, "missing": 0}, report["counts"]
    assert sorted(s["name"] for s in report["students"]) == [s.name for s in students]
    assert report["skipped"] == []
    table = subprocess.run([sys.executable, "-m", "oauthmail", "class", "report", "--homes", HOMES],
                           capture_output=True, text=True, timeout=120)
    print(table.stdout)
    assert (artifacts / "class-report.png").exists(), "the class report's picture was not taken"
    # A student's own account cannot read the class: the others' homes (0700) are not even listed to them.
    mine = run_as(students[0], str(hub.env_dir / "bin" / "python"), "-m", "oauthmail", "class", "report",
                  "--homes", HOMES, "--json")
    assert mine.returncode == 0, mine.stderr
    seen = json.loads(mine.stdout)
    assert [s["name"] for s in seen["students"]] == [students[0].name], seen["students"]
    assert all(s.name not in mine.stdout for s in students[1:]), mine.stdout
