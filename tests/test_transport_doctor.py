"""``oauthmail doctor`` on graph / gmail-api accounts: the HTTPS path is checked, nothing is sent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from oauthmail import tokenfile
from oauthmail.consent import load_google_client
from oauthmail.doctor import FAIL, PASS, SKIP, render_table, run_doctor
from oauthmail.transports.probe import graph_claims_problem, token_claims
from tests.test_transport_e2e import ALICE, DAVE, google_ini, ms_ini


def test_graph_account_checks_the_https_path(sandbox: Any, tmp_path: Path) -> None:
    ini = ms_ini(sandbox, tmp_path)
    report = run_doctor(ini)
    by = {c.id: c for c in report.checks}
    assert report.ok, render_table(report)
    assert by["api"].status == PASS and by["smtp_auth"].status == SKIP and by["dns"].status == SKIP
    assert len(sandbox.mailbox) == 0
    table = render_table(report, "ja")
    assert "HTTPS の API" in table
    for s in tokenfile.read(ini).account(DAVE).secrets():
        assert s not in table


def test_gmail_api_account_checks_the_https_path(sandbox: Any, tmp_path: Path) -> None:
    ini = google_ini(sandbox, tmp_path)
    report = run_doctor(ini)
    by = {c.id: c for c in report.checks}
    assert by["api"].status == PASS, render_table(report)
    assert by["smtp_auth"].status == SKIP and "gmail-api" in by["smtp_auth"].to_dict("en")["detail"]
    assert len(sandbox.mailbox) == 0


def test_smtp_account_has_no_api_check(sandbox: Any, tmp_path: Path) -> None:
    ini = ms_ini(sandbox, tmp_path, transport="smtp")
    tokenfile.update_account(ini, DAVE, smtp_security="starttls")
    report = run_doctor(ini)
    assert report.get("api") is None


def test_outlook_token_on_a_graph_account_fails_with_the_fix(sandbox: Any, tmp_path: Path) -> None:
    ini = ms_ini(sandbox, tmp_path, transport="smtp")
    tokenfile.update_account(ini, DAVE, transport="graph", graph_url=sandbox.graph_url)
    report = run_doctor(ini)
    api = report.get("api")
    assert api is not None and api.status == FAIL
    d = api.to_dict("en")
    assert api.code == "InvalidAuthenticationToken" and "Mail.Send" in d["fix"]
    assert "Mail.Send" in api.to_dict("ja")["fix"]


def test_identity_only_google_token_fails_with_the_fix(sandbox: Any, tmp_path: Path) -> None:
    ini = google_ini(sandbox, tmp_path)
    minted = sandbox.mint_tokens("google", load_google_client(sandbox.client_secrets_web).client_id, ALICE,
                                 ["openid", "https://www.googleapis.com/auth/userinfo.email"])
    tokenfile.update_account(ini, ALICE, refresh_token=minted["refresh_token"],
                             scopes=["openid", "https://www.googleapis.com/auth/userinfo.email"])
    report = run_doctor(ini)
    api = report.get("api")
    assert api is not None and api.status == FAIL and api.code == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    assert "gmail.send" in api.to_dict("ja")["fix"]


def test_doctor_command_exit_code(sandbox: Any, tmp_path: Path) -> None:
    ini = ms_ini(sandbox, tmp_path)
    p = subprocess.run([sys.executable, "-m", "oauthmail", "doctor", "--ini", str(ini)], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "HTTPS API accepts the token" in p.stdout


def test_claims_name_the_wrong_token() -> None:
    import base64
    import json

    def jwt(claims: dict[str, Any]) -> str:
        enc = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        return f"eyJhbGciOiJSUzI1NiJ9.{enc}.c2ln"

    assert token_claims("ya29.opaque") is None and token_claims("a.b.c") is None
    outlook = token_claims(jwt({"aud": "https://outlook.office.com", "scp": "SMTP.Send"}))
    assert "Invalid audience" in (graph_claims_problem(outlook) or "")
    no_send = token_claims(jwt({"aud": "https://graph.microsoft.com", "scp": "User.Read"}))
    assert "ErrorAccessDenied" in (graph_claims_problem(no_send) or "")
    ok = token_claims(jwt({"aud": "00000003-0000-0000-c000-000000000000", "scp": "Mail.Send User.Read"}))
    assert graph_claims_problem(ok) is None
    assert graph_claims_problem(token_claims(jwt({"aud": "https://graph.microsoft.us", "scp": "Mail.Send"}))) is None


def test_record_keeps_the_transport_and_the_https_send(sandbox: Any, tmp_path: Path) -> None:
    import json

    from oauthmail.mailer import send
    from oauthmail.record import record_from_account

    ini = ms_ini(sandbox, tmp_path)
    result = send(ini, to=[ALICE], subject="記録", body="b")
    acc = tokenfile.read(ini).account(DAVE)
    rec = record_from_account(acc, ini_path=str(ini), send_result=result, doctor=run_doctor(ini))
    data = rec.to_dict()
    assert data["transport"] == "graph"
    assert data["send"]["transport"] == "graph" and data["send"]["security"] == "https"
    assert "https://graph.microsoft.com/Mail.Send" in data["scopes"]
    text = json.dumps(data, ensure_ascii=False)
    for s in tokenfile.read(ini).account(DAVE).secrets():
        assert s not in text
