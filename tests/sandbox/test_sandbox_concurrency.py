"""Many clients at once: a class of twenty refreshing and sending at the same moment."""

from __future__ import annotations

import json
import smtplib
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

MAIL = "https://mail.google.com/"


def test_twenty_parallel_refreshes_and_sends(sandbox: Any) -> None:
    client = json.loads(sandbox.client_secrets_web.read_text())["web"]
    rts = [sandbox.mint_tokens("google", client["client_id"], "alice@example.com", [MAIL])["refresh_token"]
           for _ in range(20)]

    def one(i: int) -> int:
        r = requests.post(sandbox.google_token_uri, timeout=10, data={
            "grant_type": "refresh_token", "refresh_token": rts[i], "client_id": client["client_id"],
            "client_secret": client["client_secret"]})
        token = r.json()["access_token"]
        with smtplib.SMTP(sandbox.smtp_host, sandbox.smtp_starttls_port, timeout=10) as smtp:
            smtp.starttls()
            smtp.ehlo()
            smtp.auth("XOAUTH2", lambda c=None: f"user=alice@example.com\x01auth=Bearer {token}\x01\x01")
            smtp.sendmail("alice@example.com", ["bob@example.com"], f"Subject: n{i}\r\n\r\nx\r\n".encode())
        return r.status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(one, range(20))) == [200] * 20
    subjects = sorted(m["Subject"] for m in sandbox.mailbox.wait_for(20))
    assert subjects == sorted(f"n{i}" for i in range(20))
    assert len({p.name for p in sandbox.mailbox.paths()}) == 20


def test_v2_auth_path_and_login_hint(sandbox: Any) -> None:
    from google_auth_oauthlib.flow import Flow

    flow = Flow.from_client_secrets_file(str(sandbox.client_secrets_web), scopes=[MAIL],
                                         redirect_uri=sandbox.google_web_redirect_uri)
    url, _ = flow.authorization_url(login_hint="bob@example.com")
    url = url.replace("/o/oauth2/auth?", "/o/oauth2/v2/auth?")
    redirect = sandbox.approve(url, follow=False)  # no user given: the hinted account is preselected
    code = parse_qs(urlsplit(redirect).query)["code"][0]
    token = flow.fetch_token(code=code)
    info = requests.get(sandbox.google_userinfo_uri, headers={"Authorization": f"Bearer {token['access_token']}"},
                        timeout=5)
    assert info.status_code == 401  # only the mail scope: no userinfo (ask for email/openid for that)
    assert sandbox.idp.check_access_token(token["access_token"]).user == "bob@example.com"
