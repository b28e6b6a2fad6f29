"""The HTTPS transports on bad networks: proxies, a server that hangs up, time-outs. Real sockets."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from oauthmail import tokenfile
from oauthmail.errors import NetworkError
from oauthmail.mailer import send
from oauthmail.message import build_message
from oauthmail.transports import make_transport
from tests.test_doctor import _Proxy, _proxy_env
from tests.test_transport_e2e import ALICE, DAVE, ms_ini

TOKEN = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJodHRwczovL2dyYXBoLm1pY3Jvc29mdC5jb20ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


class _Silent:
    """Reads a whole HTTP request, then hangs up (``answer=False``) or never answers (``hang=True``)."""

    def __init__(self, hang: bool = False) -> None:
        self.hang = hang
        self.requests = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = int(self.sock.getsockname()[1])
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            head, _, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            while len(body) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                body += chunk
            self.requests += 1
            if self.hang:
                self.conns.append(conn)  # keep it open, never answer
            else:
                conn.close()

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


@pytest.mark.parametrize("hang", [False, True])
def test_no_answer_after_the_message_left_is_unknown_and_not_resent(hang: bool) -> None:
    server = _Silent(hang=hang)
    try:
        sender = make_transport("graph", f"http://127.0.0.1:{server.port}", timeout=1)
        with pytest.raises(NetworkError) as err:
            sender.send(build_message(sender=DAVE, to=[ALICE], subject="s", body="b"), TOKEN, signed_in=DAVE)
    finally:
        server.close()
    e = err.value
    assert e.code == "delivery_unknown"
    assert server.requests == 1  # never sent twice
    assert "Sent" in e.hint("en") and "送信済み" in e.hint("ja")
    assert TOKEN not in e.what("en") + e.hint("en") + str(e.details)


def test_graph_through_a_proxy(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = ms_ini(sandbox, tmp_path)
    proxy = _Proxy(200)
    try:
        _proxy_env(monkeypatch, f"http://trainee:pr0xy-pa55@127.0.0.1:{proxy.port}")
        result = send(ini, to=[ALICE], subject="via proxy", body="b")
    finally:
        proxy.close()
    assert result.ok and any(c.startswith("CONNECT 127.0.0.1:") for c in proxy.connects)
    assert "pr0xy-pa55" not in result.transcript
    assert sandbox.mailbox.wait_for(1)[-1]["Subject"] == "via proxy"


def test_proxy_refusal_is_explained(sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = ms_ini(sandbox, tmp_path)
    proxy = _Proxy(407)
    try:
        _proxy_env(monkeypatch, f"http://trainee:pr0xy-pa55@127.0.0.1:{proxy.port}")
        with pytest.raises(NetworkError) as err:
            send(ini, to=[ALICE], subject="s", body="b")
    finally:
        proxy.close()
    e = err.value
    assert e.code == "proxy"
    assert "HTTPS_PROXY" in e.hint("en") and "HTTPS_PROXY" in e.hint("ja")
    text = e.what("en") + e.what("ja") + e.hint("en") + str(e.details) + str(getattr(e, "transcript", ""))
    assert "pr0xy-pa55" not in text
    for s in tokenfile.read(ini).account(DAVE).secrets():
        assert s not in text
    assert len(sandbox.mailbox) == 0
