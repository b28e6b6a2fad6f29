"""Base URLs as Microsoft and Google print them (issue 11 item 2).

``https://graph.microsoft.com/v1.0`` (Graph Explorer, the SDKs' ``base_url``), ``…/beta`` and
``https://gmail.googleapis.com/gmail/v1`` (the Gmail API discovery document's root + service path)
are accepted as well as the bare origins — in the INI, with ``--api-url`` and in the record — and
deliver. The sandbox answers a doubled version segment as the real services do (Graph: 400
"Resource not found for the segment 'v1.0'."; Google: 404 "Method not found."), so these tests
prove that the client normalises and does not merely find a lenient server.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from test_transport_e2e import ALICE, BOB, DAVE, google_ini, ms_ini

from oauthmail import providers, tokenfile
from oauthmail.errors import ConfigError
from oauthmail.mailer import send
from oauthmail.transports import normalize_api_url
from oauthmail.transports.gmail_api import send_url
from oauthmail.transports.graph import send_mail_url


@pytest.mark.parametrize(("url", "expected"), [
    ("https://graph.microsoft.com", ("https://graph.microsoft.com", "v1.0")),
    ("https://graph.microsoft.com/", ("https://graph.microsoft.com", "v1.0")),
    ("https://graph.microsoft.com/v1.0", ("https://graph.microsoft.com", "v1.0")),
    ("https://graph.microsoft.com/v1.0/", ("https://graph.microsoft.com", "v1.0")),
    ("https://graph.microsoft.com/beta", ("https://graph.microsoft.com", "beta")),
    ("https://graph.microsoft.us/v1.0", ("https://graph.microsoft.us", "v1.0")),
    ("  https://microsoftgraph.chinacloudapi.cn/v1.0  ", ("https://microsoftgraph.chinacloudapi.cn", "v1.0")),
    ("https://127.0.0.1:8443/v1.0", ("https://127.0.0.1:8443", "v1.0")),
    ("https://graph.microsoft.com/v1.0/me", None),
    ("https://graph.microsoft.com/v2.0", None),
    ("https://graph.microsoft.com/v1.0/v1.0", None),
    ("https://graph.microsoft.com/?x=1", None),
    ("graph.microsoft.com/v1.0", None),
])
def test_graph_base_url_forms(url: str, expected: tuple[str, str] | None) -> None:
    assert providers.split_api_url("graph", url) == expected


@pytest.mark.parametrize(("url", "expected"), [
    ("https://gmail.googleapis.com", "https://gmail.googleapis.com"),
    ("https://gmail.googleapis.com/", "https://gmail.googleapis.com"),
    ("https://gmail.googleapis.com/gmail/v1", "https://gmail.googleapis.com"),
    ("https://gmail.googleapis.com/gmail/v1/", "https://gmail.googleapis.com"),
    ("https://www.googleapis.com/gmail/v1", "https://www.googleapis.com"),
    ("https://gmail.googleapis.com/gmail/v1/users/me", None),
    ("https://gmail.googleapis.com/v1", None),
    ("https://gmail.googleapis.com/gmail/v2", None),
])
def test_gmail_base_url_forms(url: str, expected: str | None) -> None:
    split = providers.split_api_url("gmail-api", url)
    assert (split[0] if split else None) == expected


def test_every_form_builds_the_same_request_urls() -> None:
    for base in ("https://graph.microsoft.com", "https://graph.microsoft.com/v1.0/"):
        assert send_mail_url(base, "a@b", "a@b") == "https://graph.microsoft.com/v1.0/me/sendMail"
        assert send_mail_url(base, "box@b", "a@b") == "https://graph.microsoft.com/v1.0/users/box@b/sendMail"
    assert send_mail_url("https://graph.microsoft.com/beta", "a@b", "a@b") == "https://graph.microsoft.com/beta/me/sendMail"
    for base in ("https://gmail.googleapis.com", "https://gmail.googleapis.com/gmail/v1"):
        assert send_url(base) == "https://gmail.googleapis.com/gmail/v1/users/me/messages/send"
        assert send_url(base, upload=True) == ("https://gmail.googleapis.com/upload/gmail/v1/users/me/messages/send"
                                               "?uploadType=multipart")
    assert normalize_api_url("graph", "https://graph.microsoft.com/v1.0") == "https://graph.microsoft.com"
    assert normalize_api_url("graph", "https://graph.microsoft.com/beta/") == "https://graph.microsoft.com/beta"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_an_unexpected_path_names_the_forms_expected(lang: str) -> None:
    with pytest.raises(ConfigError) as caught:
        normalize_api_url("graph", "https://graph.microsoft.com/v1.0/me/sendMail")
    e = caught.value
    assert e.code == "bad_api_url" and "/v1.0/me/sendMail" in e.what(lang)
    assert "https://graph.microsoft.com/v1.0" in e.hint(lang) and "https://graph.microsoft.com/beta" in e.hint(lang)
    with pytest.raises(ConfigError) as caught:
        normalize_api_url("gmail-api", "https://gmail.googleapis.com/gmail/v1/users/me/messages/send")
    assert "https://gmail.googleapis.com/gmail/v1" in caught.value.hint(lang)


def test_the_ini_says_which_line_and_which_forms(tmp_path: Path) -> None:
    ini = tmp_path / "t.ini"
    ini.write_text("[oauthmail]\nversion = 1\n\n[dave@contoso.example]\nprovider = microsoft\nclient_id = x\n"
                   "authority = https://login.microsoftonline.com/common\nrefresh_token = r\n"
                   "transport = graph\ngraph_url = https://graph.microsoft.com/v1.0/me\n", encoding="utf-8")
    os.chmod(ini, 0o600)
    with pytest.raises(ConfigError) as caught:
        tokenfile.read(ini)
    for lang in ("en", "ja"):
        text = caught.value.what(lang)
        assert "10" in text and "graph_url" in text and "https://graph.microsoft.com/v1.0 " in text + " ", text
    ini.write_text(ini.read_text().replace("/v1.0/me", "/v1.0"))
    assert tokenfile.read(ini).account(None).graph_url == "https://graph.microsoft.com/v1.0"


# --- the sandbox answers as the services do --------------------------------------------------------


def _post(url: str, token: str, sb: Any, body: bytes = b"{}") -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    ctx = ssl.create_default_context(cafile=str(sb.ca_file))
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            return resp.status, {}
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_the_sandbox_refuses_a_doubled_version_segment_as_graph_and_gmail_do(sandbox: Any) -> None:
    ms = sandbox.mint_tokens("microsoft", sandbox.microsoft_web_client_id, DAVE,
                             ["https://graph.microsoft.com/Mail.Send"])["access_token"]
    status, body = _post(f"{sandbox.graph_url}/v1.0/v1.0/me/sendMail", ms, sandbox)
    assert status == 400 and body["error"]["code"] == "BadRequest"
    assert body["error"]["message"] == "Resource not found for the segment 'v1.0'."
    web = json.loads(Path(sandbox.client_secrets_web).read_text())["web"]
    g = sandbox.mint_tokens("google", web["client_id"], ALICE, ["https://www.googleapis.com/auth/gmail.send"])
    status, body = _post(f"{sandbox.gmail_api_url}/gmail/v1/gmail/v1/users/me/messages/send", g["access_token"],
                         sandbox)
    assert status == 404 and body["error"]["message"] == "Method not found." and body["error"]["status"] == "NOT_FOUND"


# --- both forms deliver --------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "/v1.0", "/v1.0/", "/beta"])
def test_graph_delivers_with_every_form_in_the_ini(sandbox: Any, tmp_path: Path, suffix: str) -> None:
    ini = ms_ini(sandbox, tmp_path)
    tokenfile.update_account(ini, DAVE, graph_url=sandbox.graph_url + suffix)
    result = send(ini, to=[BOB], subject=f"graph {suffix or 'origin'}", body="b")
    assert result.ok and result.transport == "graph"
    version = "beta" if suffix == "/beta" else "v1.0"
    assert ("POST", f"/{version}/me/sendMail", 202) in sandbox.mailapi.log
    assert sandbox.mailbox.wait_for(1)[-1]["Subject"] == f"graph {suffix or 'origin'}"


@pytest.mark.parametrize("suffix", ["", "/gmail/v1", "/gmail/v1/"])
def test_gmail_api_delivers_with_every_form_in_the_ini(sandbox: Any, tmp_path: Path, suffix: str) -> None:
    ini = google_ini(sandbox, tmp_path)
    tokenfile.update_account(ini, ALICE, gmail_api_url=sandbox.gmail_api_url + suffix)
    result = send(ini, to=[BOB], subject=f"gmail {suffix or 'origin'}", body="b")
    assert result.ok and result.transport == "gmail-api"
    assert sandbox.mailbox.wait_for(1)[-1]["Subject"] == f"gmail {suffix or 'origin'}"


def test_api_url_flag_and_record_take_the_versioned_form(sandbox: Any, tmp_path: Path) -> None:
    ini = google_ini(sandbox, tmp_path)
    env = {**os.environ, **sandbox.env()}
    p = subprocess.run([sys.executable, "-m", "oauthmail", "send", "--ini", str(ini), "--to", BOB, "--subject",
                        "flag", "--body", "b", "--api-url", f"{sandbox.gmail_api_url}/gmail/v1"],
                       capture_output=True, text=True, env=env, timeout=90)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([sys.executable, "-m", "oauthmail", "send", "--ini", str(ini), "--to", BOB, "--subject",
                        "flag", "--body", "b", "--api-url", f"{sandbox.gmail_api_url}/gmail/v1/users/me"],
                       capture_output=True, text=True, env=env, timeout=90)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "hint:" in p.stderr and "https://gmail.googleapis.com/gmail/v1" in p.stderr and "{" not in p.stderr
    tokenfile.update_account(ini, ALICE, gmail_api_url=f"{sandbox.gmail_api_url}/gmail/v1")
    out = tmp_path / "record.json"
    p = subprocess.run([sys.executable, "-m", "oauthmail", "record", "--ini", str(ini), "--out", str(out)],
                       capture_output=True, text=True, env=env, timeout=90)
    assert p.returncode == 0, p.stderr
    assert out.exists()
