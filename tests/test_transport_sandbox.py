"""The sandbox's Graph- and Gmail-API-shaped endpoints, driven with plain requests over real TLS."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import requests

from oauthmail.sandbox import SandboxHandle
from oauthmail.sandbox.server import INFO_FILE
from tests.test_transport_e2e import ALICE, BOB, DAVE, ERIN, google_ini, ms_ini

MIME = b"From: dave@contoso.example\r\nTo: alice@example.com\r\nSubject: hi\r\n\r\nbody\r\n"


def _graph(sb: Any, token: str | None, data: bytes = b"", path: str = "/v1.0/me/sendMail",
           ctype: str = "text/plain", method: str = "POST", **kw: Any) -> requests.Response:
    headers = {"Content-Type": ctype, **({"Authorization": f"Bearer {token}"} if token is not None else {})}
    return requests.request(method, sb.graph_url + path, data=data, headers=headers, timeout=10,
                            verify=str(sb.ca_file), **kw)


def _code(resp: requests.Response) -> str:
    return str(resp.json()["error"]["code"])


def test_graph_refuses_bad_tokens_with_graph_wordings(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    r = _graph(sb, None, base64.b64encode(MIME))
    assert r.status_code == 401 and r.json()["error"]["message"] == "Access token is empty."
    r = _graph(sb, "not-a-jwt", base64.b64encode(MIME))
    assert r.status_code == 401 and "IDX14100" in r.json()["error"]["message"]
    gini = google_ini(sb, tmp_path)
    from oauthmail import tokenfile

    google_token = tokenfile.read(gini).account(ALICE).access_token
    r = _graph(sb, google_token, base64.b64encode(MIME))
    assert r.status_code == 401 and "Invalid audience" in r.json()["error"]["message"]
    mini = ms_ini(sb, tmp_path)
    graph_token = tokenfile.read(mini).account(DAVE).access_token
    r = _graph(sb, graph_token, b"%%% not base64 %%%")
    assert r.status_code == 400 and _code(r) == "ErrorMimeContentInvalidBase64String"
    sb.clock.advance(4000)  # past the token's life
    r = _graph(sb, graph_token, base64.b64encode(MIME))
    assert r.status_code == 401 and "expired" in r.json()["error"]["message"]
    assert len(sb.mailbox) == 0


def test_gmail_refuses_missing_and_foreign_tokens(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    url = sb.gmail_api_url + "/gmail/v1/users/me/messages/send"
    raw = {"raw": base64.urlsafe_b64encode(MIME).decode()}
    r = requests.post(url, json=raw, timeout=10, verify=str(sb.ca_file))
    assert r.status_code == 401 and r.json()["error"]["status"] == "UNAUTHENTICATED"
    from oauthmail import tokenfile

    gini = google_ini(sb, tmp_path)
    token = tokenfile.read(gini).account(ALICE).access_token
    r = requests.post(sb.gmail_api_url + f"/gmail/v1/users/{BOB}/messages/send", json=raw, timeout=10,
                      verify=str(sb.ca_file), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and "Delegation denied" in r.json()["error"]["message"]
    r = requests.post(url, json={}, timeout=10, verify=str(sb.ca_file), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 400  # what doctor's probe relies on: token fine, no message
    assert len(sb.mailbox) == 0


def test_upload_session_rules(sandbox: Any, tmp_path: Path) -> None:
    sb = sandbox
    from oauthmail import tokenfile

    token = tokenfile.read(ms_ini(sb, tmp_path)).account(DAVE).access_token
    r = _graph(sb, token, json.dumps({"subject": "s", "toRecipients": [{"emailAddress": {"address": ALICE}}],
                                      "body": {"contentType": "Text", "content": "x"}}).encode(),
               path="/v1.0/me/messages", ctype="application/json")
    assert r.status_code == 201
    draft = r.json()["id"]
    r = _graph(sb, token, json.dumps({"AttachmentItem": {"attachmentType": "file", "name": "a.bin", "size": 10}})
               .encode(), path=f"/v1.0/me/messages/{draft}/attachments/createUploadSession", ctype="application/json")
    upload = r.json()["uploadUrl"]
    ok = {"Content-Range": "bytes 0-4/10", "Content-Type": "application/octet-stream"}
    verify = str(sb.ca_file)
    r = requests.put(upload, data=b"12345", headers={**ok, "Authorization": f"Bearer {token}"}, verify=verify)
    assert r.status_code == 401  # the upload URL carries its own credential: no bearer token
    r = requests.put(upload.split("?")[0] + "?authtoken=wrong", data=b"12345", headers=ok, verify=verify)
    assert r.status_code == 404
    r = requests.put(upload, data=b"12345", headers={**ok, "Content-Range": "bytes 5-9/10"}, verify=verify)
    assert r.status_code == 416
    r = requests.put(upload, data=b"12345", headers=ok, verify=verify)
    assert r.status_code == 200 and r.json()["nextExpectedRanges"] == ["5-"]
    r = requests.put(upload, data=b"67890", headers={**ok, "Content-Range": "bytes 5-9/10"}, verify=verify)
    assert r.status_code == 201
    r = _graph(sb, token, path=f"/v1.0/me/messages/{draft}/send")
    assert r.status_code == 202
    (m,) = sb.mailbox.wait_for(1)
    assert next(m.iter_attachments()).get_payload(decode=True) == b"1234567890"
    r = _graph(sb, token, path=f"/v1.0/me/messages/{draft}/send")
    assert r.status_code == 404 and _code(r) == "ErrorItemNotFound"  # sent drafts are gone


def test_plain_http_listener_does_not_serve_the_apis(sandbox: Any) -> None:
    r = requests.post(sandbox.info["ui_url"] + "/v1.0/me/sendMail", data=b"x", timeout=10)
    assert r.status_code in (403, 404)
    r = requests.put(sandbox.info["ui_url"] + "/_upload/x", data=b"x", timeout=10)
    assert r.status_code == 405


def test_sandbox_json_and_remote_handle(sandbox: Any, tmp_path: Path) -> None:
    info = json.loads((sandbox.state_dir / INFO_FILE).read_text())
    assert info["graph_url"] == info["gmail_api_url"] == info["base_url"]
    handle = SandboxHandle(info)  # another process's view: switches go through the admin API
    assert handle.graph_url == sandbox.graph_url
    handle.grant_send_as(DAVE, ERIN)
    assert ERIN in sandbox.mailapi.send_as[DAVE]
    handle.set_mail_disabled(ALICE)
    assert ALICE in sandbox.mailapi.mail_disabled
    handle.set_mail_disabled(ALICE, False)
    assert ALICE not in sandbox.mailapi.mail_disabled
    handle.set_fault("api_status", {"status": 503, "retry_after": 0, "times": 1})
    r = _graph(sandbox, "x", b"")
    assert r.status_code == 503 and r.headers["Retry-After"] == "0" and _code(r) == "ServiceUnavailable"
    r = _graph(sandbox, None, b"")
    assert r.status_code == 401  # the fault was for one request only
