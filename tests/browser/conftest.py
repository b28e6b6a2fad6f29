"""A real browser over the real kit: JupyterLab in headless Debian Chromium, driven by Playwright.

The tests here walk the notebooks the way a person does (open, run, upload, type, click, approve
in a new tab) against the sandbox, and save screenshots of each step. They run with ``make test``
when ``/usr/bin/chromium`` and Playwright are installed, and are skipped with one clear line
otherwise (Playwright's own browser download is impossible on the machines this kit is built on).

Session fixtures: ``browser_env`` (a throw-away OAUTHMAIL_HOME, the sandbox and its CA),
``lab_server`` (JupyterLab on a free loopback port with a random token, widget-state saving pinned
off), ``chromium`` (the browser). Per test: ``lab`` (a :class:`~labdriver.LabPage` on a fresh
context, kernels shut down afterwards).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # labdriver.py, next to this file

from labdriver import (  # noqa: E402
    LabPage,
    LabServer,
    browser_skip_reason,
    launch_chromium,
)
from walk import SandboxFacts  # noqa: E402

from tests.loopback_lock import loopback_port_lock, wait_port_free  # noqa: E402  (shared with the notebook and demo tests)

REPO = HERE.parent.parent
#: Variables by which the kit guesses a remote kernel (oauthmail.consent.environment): a CI machine
#: reached over SSH must not turn the local walks into paste-the-address walks.
REMOTE_HINTS = ("SSH_", "COLAB_", "CODESPACE", "BINDER_", "REMOTE_CONTAINERS", "VSCODE_")
SKIP_LINE = ("browser tests skipped: {reason} — install it with "
             "`sudo apt-get install chromium fonts-noto-cjk`")


# --- collection: mark, or skip with one clear line -------------------------------------------------

def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/browser gets the ``browser`` marker; skipped when Chromium is missing."""
    reason = browser_skip_reason()
    ours = [item for item in items if HERE in Path(str(item.fspath)).resolve().parents]
    for item in ours:
        item.add_marker(pytest.mark.browser)
        if reason and getattr(item.module, "NEEDS_CHROMIUM", True):
            item.add_marker(pytest.mark.skip(reason=SKIP_LINE.format(reason=reason)))
    config.stash[_SKIPPED_KEY] = bool(reason and ours)
    config.stash[_REASON_KEY] = reason or ""


_SKIPPED_KEY = pytest.StashKey[bool]()
_REASON_KEY = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if config.stash.get(_SKIPPED_KEY, False):
        terminalreporter.write_line(SKIP_LINE.format(reason=config.stash.get(_REASON_KEY, "")), yellow=True, bold=True)


# --- session fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``test-artifacts/screenshots`` in the checkout (gitignored); each test empties its own folder."""
    path = REPO / "test-artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser_home() -> Iterator[Path]:
    """The OAUTHMAIL_HOME every kernel of the browser session shares (sandbox state, INIs, records).

    A short path of its own (not pytest's long tmp path): the screenshots show it.
    """
    path = Path(tempfile.mkdtemp(prefix="oauthmail-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def browser_sandbox(browser_home: Path) -> Iterator[Any]:
    """The sandbox, started by the test so the kernels reuse it through sandbox.json."""
    from oauthmail.sandbox import Sandbox

    sandbox = Sandbox(state_dir=browser_home / "sandbox")
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture(scope="session")
def kernel_env(browser_home: Path) -> dict[str, str]:
    """The environment JupyterLab (and so every kernel) starts with: a person's, pointed at the tmp home.

    No OAUTHMAIL_AUTORUN (a person clicks) and no OAUTHMAIL_LANG (the notebook's folder decides).
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OAUTHMAIL_", "JUPYTER", "PYTEST_", *REMOTE_HINTS))
           and k not in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")}
    env["OAUTHMAIL_HOME"] = str(browser_home)
    # The sandbox's CA (its path is fixed by the state folder, so it is known before the sandbox runs).
    ca = str(browser_home / "sandbox" / "ca.pem")
    env["SSL_CERT_FILE"] = ca
    env["REQUESTS_CA_BUNDLE"] = ca
    return env


def copy_notebooks(root: Path) -> None:
    """The repository's notebooks, as committed (no outputs), over whatever an earlier walk saved."""
    src = REPO / "notebooks"
    if src.is_dir():
        shutil.copytree(src, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away copy of notebooks/ that JupyterLab serves (saving writes here, never in the repo)."""
    root = tmp_path_factory.mktemp("lab-root")
    copy_notebooks(root)
    return root


@pytest.fixture(scope="session")
def lab_server(lab_root: Path, kernel_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    server = LabServer(root=lab_root, env=kernel_env, state=tmp_path_factory.mktemp("lab-state"),
                       token=secrets.token_hex(16))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def lab(request: pytest.FixtureRequest, chromium: Any, lab_server: LabServer, artifacts_dir: Path) -> Iterator[LabPage]:
    """A fresh browser context and tab on JupyterLab; every kernel is shut down afterwards."""
    with browser_tab(request, chromium, lab_server, artifacts_dir) as driver:
        yield driver


@contextlib.contextmanager
def browser_tab(request: pytest.FixtureRequest, chromium: Any, server: LabServer, artifacts_dir: Path) -> Iterator[LabPage]:
    """A new context (clean cookies and storage) and one tab on ``server``.

    ``ignore_https_errors``: the sandbox's consent pages are served over HTTPS with a certificate from
    the sandbox's own CA, which this throw-away Chromium profile does not trust (a person using the
    sandbox clicks through the warning once; real Google/Microsoft pages have public certificates).
    Only the browser side is relaxed, and only in this test context: the kernel, where codes and
    tokens travel, still checks TLS strictly against the sandbox CA (SSL_CERT_FILE). The alternatives
    were worse here: importing the CA into the profile needs NSS's certutil (not installed), and
    ``--ignore-certificate-errors-spki-list`` is a launch flag for the whole browser, set before the
    sandbox's key exists.
    """
    # The browser speaks the walk's language (Accept-Language), as a Japanese person's Chromium does.
    japanese = re.search(r"(^|[_\[-])ja($|[\]_-])", request.node.name) is not None
    locale = "ja-JP" if japanese else "en-US"
    context = chromium.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900},
                                   locale=locale, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    console: list[str] = []
    context.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("crash", lambda _p: console.append("PAGE CRASHED"))
    name = request.node.name.replace("[", "-").replace("]", "").replace("/", "-")
    shutil.rmtree(artifacts_dir / name, ignore_errors=True)
    driver = LabPage(page, server, artifacts_dir / name, docs_dir=REPO / "docs" / "screenshots")
    try:
        yield driver
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            driver.record_failure(console)
        context.close()
        server.shutdown_kernels()


@pytest.fixture(scope="session")
def remote_lab_server(lab_root: Path, kernel_env: dict[str, str],
                      tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """A second JupyterLab whose kernels believe they run over SSH (a remote machine).

    The kit then shows the paste box at sign-in, as on JupyterHub, Binder or a server over SSH.
    """
    env = dict(kernel_env, SSH_CONNECTION="192.0.2.10 50022 192.0.2.20 22")
    server = LabServer(root=lab_root, env=env, state=tmp_path_factory.mktemp("remote-lab-state"),
                       token=secrets.token_hex(16))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def remote_walk_lab(request: pytest.FixtureRequest, chromium: Any, remote_lab_server: LabServer,
                    artifacts_dir: Path, sandbox_facts: SandboxFacts, browser_home: Path) -> Iterator[LabPage]:
    with loopback_port_lock(), browser_tab(request, chromium, remote_lab_server, artifacts_dir) as driver:
        wait_port_free(48888)
        for ini in browser_home.glob("*.ini"):
            ini.unlink()
        copy_notebooks(remote_lab_server.root)
        yield driver


@pytest.fixture(scope="session")
def sandbox_facts(browser_sandbox: Any, browser_home: Path) -> SandboxFacts:
    """What the running sandbox says about itself (sandbox.json)."""
    return SandboxFacts.read(browser_home / "sandbox", browser_sandbox)


@pytest.fixture
def walk_lab(lab: LabPage, sandbox_facts: SandboxFacts, browser_home: Path) -> Iterator[LabPage]:
    """A tab on JupyterLab with the sandbox running and no token INI left from an earlier walk.

    The notebooks' registered redirect is the fixed port 48888, so two walks (two pytest runs on
    one machine) cannot sign in at the same time: a lock file serialises them, and a port still
    taken by someone else is reported as such instead of as a mysterious time-out.
    """
    with loopback_port_lock():
        wait_port_free(48888)
        for ini in browser_home.glob("*.ini"):
            ini.unlink()
        copy_notebooks(lab.server.root)  # a walk saves its notebook: the next one starts from the original
        yield lab


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item so the ``lab`` fixture can screenshot a failure."""
    rep = yield
    setattr(item, "rep_" + rep.when, rep)
    return rep

