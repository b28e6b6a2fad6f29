"""The loopback listener over real sockets: strays, favicon, wrong state, busy port, timeout, cancel."""

from __future__ import annotations

import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from oauthmail.consent import LoopbackListener
from oauthmail.consent.loopback import parse_loopback
from oauthmail.errors import ConsentError
from tests.sandbox_fixtures import free_port as _free_port


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def test_strays_then_the_right_callback() -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}/callback"
    with LoopbackListener(base, state="S1") as listener:
        assert _get(f"http://127.0.0.1:{port}/favicon.ico")[0] == 404
        assert _get(f"http://127.0.0.1:{port}/")[0] == 404
        status, page = _get(base)
        assert status == 200 and "waiting" in page
        status, page = _get(base + "?code=abc&state=OTHER")
        assert status == 400 and "another sign-in" in page and "別のサインイン" in page
        status, page = _get(base + "?code=thecode&state=S1")
        assert status == 200 and "Sign-in complete" in page and "サインインが完了" in page
        assert listener.wait(timeout=1) == base + "?code=thecode&state=S1"
        assert listener.ignored == 4
        # A reload after success does not replace the answer.
        assert "already finished" in _get(base + "?code=zzz&state=S1")[1]
        assert listener.callback_url == base + "?code=thecode&state=S1"
    # The port is free again.
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen()


def test_error_answer_is_captured_with_failure_page() -> None:
    port = _free_port()
    base = f"http://localhost:{port}/callback"
    with LoopbackListener(base, state="S") as listener:
        status, page = _get(f"http://127.0.0.1:{port}/callback?error=access_denied&state=S")
        assert status == 200 and "did not succeed" in page and "access_denied" in page
        assert listener.wait(1).startswith(base + "?error=access_denied")


def test_page_escapes_html() -> None:
    port = _free_port()
    with LoopbackListener(f"http://127.0.0.1:{port}/", state="S"):
        page = _get(f"http://127.0.0.1:{port}/?error=%3Cscript%3E&state=S")[1]
        assert "<script>" not in page and "&lt;script&gt;" in page


def test_busy_port_is_p12_not_another_port() -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        listener = LoopbackListener(f"http://127.0.0.1:{port}/callback", state="S")
        with pytest.raises(ConsentError) as info:
            listener.start()
        assert info.value.code == "port_busy"
        assert str(port) in info.value.what("en") and "registered with the provider" in info.value.hint("en")
        assert "使用中" in info.value.what("ja")
        assert not listener.running


def test_timeout_and_cancel() -> None:
    port = _free_port()
    with LoopbackListener(f"http://127.0.0.1:{port}/callback", state="S") as listener:
        t0 = time.monotonic()
        with pytest.raises(ConsentError) as info:
            listener.wait(timeout=0.3)
        assert info.value.code == "timeout" and time.monotonic() - t0 < 2
        assert "paste" in info.value.hint("en")
        cancel = threading.Event()
        threading.Timer(0.2, cancel.set).start()
        with pytest.raises(ConsentError) as info:
            listener.wait(timeout=10, cancel=cancel)
        assert info.value.code == "cancelled"


def test_two_listeners_one_after_another_same_port() -> None:
    port = _free_port()
    for _ in range(3):
        with LoopbackListener(f"http://127.0.0.1:{port}/cb", state="S") as listener:
            _get(f"http://127.0.0.1:{port}/cb?code=c&state=S")
            assert listener.wait(1).endswith("code=c&state=S")


@pytest.mark.parametrize(
    "uri",
    ["https://127.0.0.1:48888/callback", "http://example.com:48888/cb", "http://127.0.0.1/callback",
     "urn:ietf:wg:oauth:2.0:oob", "http://127.0.0.1:99999/x", ""],
)
def test_not_loopback(uri: str) -> None:
    with pytest.raises(ConsentError) as info:
        parse_loopback(uri)
    assert info.value.code == "not_loopback"


def test_parse_loopback() -> None:
    assert parse_loopback("http://localhost:48888/callback") == ("127.0.0.1", 48888, "/callback")
    assert parse_loopback("http://127.0.0.1:5000") == ("127.0.0.1", 5000, "/")


def test_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
            port = s.getsockname()[1]
    except OSError:
        pytest.skip("no ::1 on this machine")
    with LoopbackListener(f"http://[::1]:{port}/cb", state="S") as listener:
        _get(f"http://[::1]:{port}/cb?code=c6&state=S")
        assert listener.wait(2).endswith("code=c6&state=S")


def test_silent_connection_does_not_block_the_callback() -> None:
    port = _free_port()
    with LoopbackListener(f"http://127.0.0.1:{port}/cb", state="S") as listener, \
            socket.create_connection(("127.0.0.1", port)):
        _get(f"http://127.0.0.1:{port}/cb?code=c&state=S")
        assert listener.wait(2).endswith("code=c&state=S")


def test_behind_a_proxy_public_redirect_local_listen() -> None:
    port = _free_port()
    public = f"https://hub.example/hub/user-redirect/proxy/{port}/callback"
    with LoopbackListener(public, state="S", listen=f"http://127.0.0.1:{port}/callback") as listener:
        _get(f"http://127.0.0.1:{port}/callback?code=px&state=S")  # what jupyter-server-proxy forwards
        assert listener.wait(2) == public + "?code=px&state=S"
