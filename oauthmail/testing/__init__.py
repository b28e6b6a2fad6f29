"""pytest fixtures for programs that send mail through oauthmail: a sandbox and a signed-in INI.

Installed with oauthmail, this is a pytest plugin (entry point ``pytest11``: ``oauthmail.testing``), so
the fixtures are there in every test with no import. Where plugins are not loaded automatically
(``PYTEST_DISABLE_PLUGIN_AUTOLOAD``), add ``pytest_plugins = ["oauthmail.testing"]`` to the top
``conftest.py`` or run ``pytest -p oauthmail.testing``. ::

    def test_report_is_mailed(oauthmail_ini, oauthmail_sandbox):
        myapp.mail_report(ini=oauthmail_ini, to="bob@example.com")   # your code, calling oauthmail.send
        (msg,) = oauthmail_sandbox.mailbox.messages()
        assert msg["Subject"] == "Weekly report"

``oauthmail_sandbox``: a started :class:`~oauthmail.sandbox.SandboxSession` in the test's own temporary
folder (~0.2 s), with ``SSL_CERT_FILE``/``REQUESTS_CA_BUNDLE`` pointing at its CA for the test, its
users signed in by ``oauthmail_sandbox.sign_in(user)``. ``oauthmail_ini``: the path of a token INI
where ``alice@example.com`` (Google) is signed in. ``oauthmail_sandbox_config``: override it to
change the sandbox's users, lifetimes or faults.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

TYPE_CHECKING = False
if TYPE_CHECKING:  # the sandbox loads when a test asks for it, not when pytest loads this plugin
    from ..sandbox.session import SandboxSession


@pytest.fixture
def oauthmail_sandbox_config() -> dict[str, Any]:
    """The sandbox's configuration (``docs/DESIGN.md``); override this fixture to change it."""
    return {}


@pytest.fixture
def oauthmail_sandbox(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
                      oauthmail_sandbox_config: dict[str, Any]) -> Iterator[SandboxSession]:
    """A running sandbox for this test (stopped afterwards); the CA variables point at it meanwhile."""
    from ..sandbox.session import SandboxSession

    sb = SandboxSession(tmp_path_factory.mktemp("oauthmail-sandbox"), oauthmail_sandbox_config, set_env=False)
    sb.start()
    try:
        for name, value in sb.env().items():
            monkeypatch.setenv(name, value)
        yield sb
    finally:
        sb.stop()


@pytest.fixture
def oauthmail_ini(oauthmail_sandbox: SandboxSession, tmp_path: Path) -> Path:
    """A token INI (``tmp_path / "oauthmail.ini"``) with ``alice@example.com`` signed in to the sandbox."""
    return oauthmail_sandbox.sign_in(ini=tmp_path / "oauthmail.ini")


__all__ = ["oauthmail_ini", "oauthmail_sandbox", "oauthmail_sandbox_config"]
