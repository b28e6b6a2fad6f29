"""Many sign-ins on one machine (a class on one hub): the registered return port held by someone else.

The documented redirect is one fixed port (48888), so on a hub every student's kernel wants the same
port on the same server. The second sign-in waits with a message instead of failing; on a remote
kernel (a hub) the person's paste works meanwhile, since their browser never reaches that port anyway.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from oauthmail.consent.loopback import PORT_BUSY, PORT_LENT
from oauthmail.i18n import Msg
from oauthmail.ui.controllers import (
    CONSENT_PORT_WAIT,
    CONSENT_PORT_WAIT_LENT,
    CONSENT_PORT_WAIT_REMOTE,
    ClientController,
    ConsentController,
)
from oauthmail.ui.session import Session
from tests.loopback_lock import LentPort


def _session(sandbox: Any) -> Session:
    s = Session.create("google", mode="sandbox", lang="en")
    s.attach_sandbox(sandbox)
    assert ClientController(s).use_sandbox("web") is not None
    return s


class HeldPort:
    """Another program (another student's kernel) listening on the client's registered return port."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen()

    def end(self) -> None:
        self.sock.close()


@pytest.fixture
def held_port(sandbox: Any) -> Iterator[HeldPort]:
    held = HeldPort(urlsplit(sandbox.google_web_redirect_uri).port or 0)
    try:
        yield held
    finally:
        held.end()


#: Who holds the port, the wait's message and the error after the wait: another sign-in (a listener), or
#: a connection the system gave the port to (Linux only: /proc/net/tcp tells them apart).
TAKERS = [
    pytest.param((HeldPort, CONSENT_PORT_WAIT, PORT_BUSY), id="listener"),
    pytest.param((LentPort, CONSENT_PORT_WAIT_LENT, PORT_LENT), id="connection",
                 marks=pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc/net/tcp")),
]


@pytest.fixture
def taken(request: pytest.FixtureRequest, sandbox: Any) -> Iterator[tuple[Any, Msg, Msg]]:
    taker, wait, error = request.param
    holder = taker(urlsplit(sandbox.google_web_redirect_uri).port or 0)
    try:
        yield holder, wait, error
    finally:
        holder.end()


def _wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("taken", TAKERS, indirect=True)
def test_busy_port_waits_with_a_message_then_signs_in(sandbox: Any, taken: tuple[Any, Msg, Msg],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    holder, wait, _ = taken
    for name in ("JUPYTERHUB_USER", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_PREFIX", "SSH_CONNECTION",
                 "SSH_CLIENT", "SSH_TTY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DISPLAY", ":0")  # a person's desktop: the local path
    c = ConsentController(_session(sandbox), timeout=30)
    c.start()
    fixed = wait.text("en").split("{port}")[1].split(";")[0]
    assert _wait_for(lambda: fixed in c.message), c.message
    others = {CONSENT_PORT_WAIT, CONSENT_PORT_WAIT_LENT} - {wait}
    assert all(m.text("en").split("{port}")[1].split(";")[0] not in c.message for m in others), c.message
    assert c.status == "waiting" and c.error is None and not c.listening.is_set()
    holder.end()  # the other sign-in, or the connection, ends
    assert c.wait_listening(10), c.message
    c.approve_in_sandbox()
    assert c.wait(30), c.message


@pytest.mark.parametrize("taken", TAKERS, indirect=True)
def test_busy_port_gives_up_after_the_short_wait(sandbox: Any, taken: tuple[Any, Msg, Msg],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _, _, error = taken
    monkeypatch.delenv("JUPYTERHUB_USER", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    c = ConsentController(_session(sandbox), timeout=30)
    c.busy_wait = 1.0
    c.start()
    assert _wait_for(lambda: c.status == "failed", 10), c.message
    assert c.error is not None and c.error.code == "port_busy" and c.error.what_msg is error
    assert c.error.hint("ja") and c.error.hint("en")
    reserve = "ip_local_reserved_ports"
    assert all((reserve in c.error.hint(lang)) == (error is PORT_LENT) for lang in ("en", "ja"))


def test_on_a_hub_the_paste_works_while_another_student_holds_the_port(
        sandbox: Any, held_port: HeldPort, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "student-02")
    c = ConsentController(_session(sandbox), timeout=30)
    c.start()
    fixed = CONSENT_PORT_WAIT_REMOTE.text("en").split("{port}")[1].split(";")[0]
    assert _wait_for(lambda: fixed in c.message), c.message
    assert c.remote and c.status == "waiting" and c.error is None
    returned = sandbox.approve(c.auth_uri, follow=False)  # the address the student's browser ended on
    assert c.paste(returned), c.message
    assert c.status == "done"
    assert c.wait(5)  # the waiting thread ended too


def test_a_paste_while_waiting_for_the_port_is_never_taken_for_a_cancel(
        sandbox: Any, held_port: HeldPort, monkeypatch: pytest.MonkeyPatch) -> None:
    """The waiting thread wakes when the paste ends the wait; saving the token takes a moment (slow here on
    purpose), and meanwhile the thread must not say "Sign-in cancelled" (the hub test met it for real)."""
    monkeypatch.setenv("JUPYTERHUB_USER", "student-04")
    c = ConsentController(_session(sandbox), timeout=30)
    seen: list[str] = []
    c.subscribe(lambda: seen.append(c.status))
    c.start()
    assert _wait_for(lambda: "busy" in c.message), c.message
    save = c._save

    def slow_save(result: Any) -> None:
        time.sleep(1.5)
        save(result)

    monkeypatch.setattr(c, "_save", slow_save)
    assert c.paste(sandbox.approve(c.auth_uri, follow=False)), c.message
    assert c.wait(5)
    time.sleep(1.0)
    assert c.status == "done" and "cancelled" not in seen, seen


def test_cancel_while_waiting_for_the_port(sandbox: Any, held_port: HeldPort,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "student-03")
    c = ConsentController(_session(sandbox), timeout=30)
    c.start()
    assert _wait_for(lambda: "busy" in c.message), c.message
    t0 = time.monotonic()
    c.cancel()
    assert c.status == "cancelled" and time.monotonic() - t0 < 3
