"""The sandbox mail server: SASL XOAUTH2/OAUTHBEARER, STARTTLS and implicit TLS, provider wording."""

from __future__ import annotations

import base64
import json
import smtplib
from collections.abc import Callable
from typing import Any

import pytest

MAIL = "https://mail.google.com/"
SMTP_SEND = "https://outlook.office.com/SMTP.Send"
ALICE, DAVE = "alice@example.com", "dave@contoso.example"


def xoauth2(user: str, token: str) -> str:
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


def oauthbearer(user: str, token: str, host: str, port: int) -> str:
    return f"n,a={user},\x01host={host}\x01port={port}\x01auth=Bearer {token}\x01\x01"


def google_token(sb: Any, user: str = ALICE, scopes: list[str] | None = None) -> str:
    client_id = json.loads(sb.client_secrets_web.read_text())["web"]["client_id"]
    return str(sb.mint_tokens("google", client_id, user, scopes or [MAIL])["access_token"])


def ms_token(sb: Any, user: str = DAVE, scopes: list[str] | None = None) -> str:
    return str(sb.mint_tokens("microsoft", sb.microsoft_web_client_id, user, scopes or [SMTP_SEND])["access_token"])


def connect(sb: Any, ssl_port: bool = False) -> smtplib.SMTP:
    if ssl_port:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(sb.smtp_host, sb.smtp_ssl_port, timeout=10)
    else:
        smtp = smtplib.SMTP(sb.smtp_host, sb.smtp_starttls_port, timeout=10)
        smtp.starttls()
    smtp.ehlo()
    return smtp


def challenge_then(answer: str, first: str, seen: list[bytes]) -> Callable[..., str]:
    """smtplib's auth object: the initial response first, then ``answer`` to each 334 (recorded)."""
    def auth(challenge: bytes | None = None) -> str:
        if challenge is None:
            return first
        seen.append(challenge)
        return answer
    return auth


@pytest.mark.parametrize("ssl_port", [False, True])
@pytest.mark.parametrize("mechanism", ["XOAUTH2", "OAUTHBEARER"])
@pytest.mark.parametrize("inline", [True, False])
def test_google_send_every_way(sandbox: Any, ssl_port: bool, mechanism: str, inline: bool) -> None:
    token = google_token(sandbox)
    port = sandbox.smtp_ssl_port if ssl_port else sandbox.smtp_starttls_port
    blob = xoauth2(ALICE, token) if mechanism == "XOAUTH2" else oauthbearer(ALICE, token, sandbox.smtp_host, port)
    with connect(sandbox, ssl_port) as smtp:
        code, _ = smtp.auth(mechanism, lambda c=None: blob, initial_response_ok=inline)
        assert code == 235
        smtp.sendmail(ALICE, [DAVE], f"From: {ALICE}\r\nSubject: {mechanism} {ssl_port} {inline}\r\n\r\nx\r\n".encode())
    assert sandbox.mailbox.wait_for(1)[-1]["Subject"] == f"{mechanism} {ssl_port} {inline}"


def test_ehlo_advertises_auth_only_after_tls(sandbox: Any) -> None:
    with smtplib.SMTP(sandbox.smtp_host, sandbox.smtp_starttls_port, timeout=10) as smtp:
        smtp.ehlo()
        assert "auth" not in smtp.esmtp_features and "starttls" in smtp.esmtp_features
        code, msg = smtp.docmd("AUTH", "XOAUTH2")
        assert code == 530 and b"STARTTLS" in msg
        smtp.starttls()
        smtp.ehlo()
        assert set(smtp.esmtp_features["auth"].split()) == {"XOAUTH2", "OAUTHBEARER", "PLAIN", "LOGIN"}


def test_gmail_bad_token_json_challenge_then_535(sandbox: Any) -> None:
    seen: list[bytes] = []
    with connect(sandbox) as smtp, pytest.raises(smtplib.SMTPAuthenticationError) as err:
        smtp.auth("XOAUTH2", challenge_then("", xoauth2(ALICE, "ya29.not-a-token"), seen))
    assert json.loads(seen[0]) == {"status": "400", "schemes": "Bearer", "scope": MAIL}
    assert err.value.smtp_code == 535
    assert err.value.smtp_error.startswith(b"5.7.8 Username and Password not accepted.")


def test_gmail_oauthbearer_failure_wants_ctrl_a(sandbox: Any) -> None:
    seen: list[bytes] = []
    blob = oauthbearer(ALICE, "ya29.nope", sandbox.smtp_host, sandbox.smtp_starttls_port)
    with connect(sandbox) as smtp, pytest.raises(smtplib.SMTPAuthenticationError) as err:
        smtp.auth("OAUTHBEARER", challenge_then("\x01", blob, seen))
    assert json.loads(seen[0])["status"] == "invalid_token"
    assert err.value.smtp_code == 535


@pytest.mark.parametrize("case", ["other_user", "no_mail_scope", "expired"])
def test_gmail_refuses_wrong_tokens(sandbox: Any, case: str) -> None:
    if case == "no_mail_scope":
        token = google_token(sandbox, scopes=["email"])
    else:
        token = google_token(sandbox, user="bob@example.com" if case == "other_user" else ALICE)
    if case == "expired":
        sandbox.clock.advance(3600)
    with connect(sandbox) as smtp, pytest.raises(smtplib.SMTPAuthenticationError) as err:
        smtp.auth("XOAUTH2", lambda c=None: xoauth2(ALICE, token) if c is None else "")
    assert err.value.smtp_code == 535 and b"5.7.8" in err.value.smtp_error


@pytest.mark.parametrize("case", ["graph", "other_user", "expired", "unknown"])
def test_exchange_refusals_are_5_7_3(sandbox: Any, case: str) -> None:
    if case == "graph":
        token = ms_token(sandbox, scopes=["https://graph.microsoft.com/Mail.Send"])
    elif case == "other_user":
        token = ms_token(sandbox, user="erin@contoso.example")
    elif case == "unknown":
        token = "eyJ0eXAiOiJKV1QifQ.eyJhdWQiOiJ4In0.sig"
    else:
        token = ms_token(sandbox)
        sandbox.clock.advance(3600)
    with connect(sandbox) as smtp, pytest.raises(smtplib.SMTPAuthenticationError) as err:
        smtp.auth("XOAUTH2", lambda c=None: xoauth2(DAVE, token), initial_response_ok=False)
    assert err.value.smtp_code == 535
    assert err.value.smtp_error.startswith(b"5.7.3 Authentication unsuccessful")


def test_smtp_auth_disabled_per_mailbox(sandbox: Any) -> None:
    token = ms_token(sandbox)
    sandbox.set_smtp_auth_disabled(DAVE)
    with connect(sandbox) as smtp, pytest.raises(smtplib.SMTPAuthenticationError) as err:
        smtp.auth("XOAUTH2", lambda c=None: xoauth2(DAVE, token))
    assert err.value.smtp_error.startswith(b"5.7.139 Authentication unsuccessful, SmtpClientAuthentication is "
                                           b"disabled for the Mailbox.")
    sandbox.set_smtp_auth_disabled(DAVE, False)
    with connect(sandbox) as smtp:
        assert smtp.auth("XOAUTH2", lambda c=None: xoauth2(DAVE, token))[0] == 235


def test_mail_before_auth(sandbox: Any) -> None:
    with connect(sandbox) as smtp:
        code, msg = smtp.mail(ALICE)
    assert code == 530 and msg.startswith(b"5.7.57 Client not authenticated to send mail")


def test_exchange_send_as_denied_and_gmail_rewrites_from(sandbox: Any) -> None:
    token = ms_token(sandbox)
    with connect(sandbox) as smtp:
        smtp.auth("XOAUTH2", lambda c=None: xoauth2(DAVE, token))
        with pytest.raises(smtplib.SMTPDataError) as err:
            smtp.sendmail(DAVE, [ALICE], b"From: boss@contoso.example\r\nSubject: x\r\n\r\nx\r\n")
    assert err.value.smtp_code == 554 and err.value.smtp_error.startswith(
        b"5.2.252 SendAsDenied; dave@contoso.example not allowed to send as boss@contoso.example")

    gtoken = google_token(sandbox)
    with connect(sandbox) as smtp:
        smtp.auth("XOAUTH2", lambda c=None: xoauth2(ALICE, gtoken))
        smtp.sendmail(ALICE, [DAVE], b"From: Team <team@example.com>\r\nSubject: alias\r\n\r\nx\r\n")
    msg = sandbox.mailbox.wait_for(1)[-1]
    assert msg["From"] == ALICE and msg["X-Google-Original-From"] == "Team <team@example.com>"


@pytest.mark.parametrize(("user", "code", "text"), [(ALICE, 535, b"5.7.8"), (DAVE, 550, b"5.7.30 Basic authentication")])
def test_password_login_is_refused(sandbox: Any, user: str, code: int, text: bytes) -> None:
    with connect(sandbox) as smtp, pytest.raises(smtplib.SMTPAuthenticationError) as err:
        smtp.login(user, "hunter2")
    assert err.value.smtp_code == code and err.value.smtp_error.startswith(text)


def test_fault_smtp_drop_after(sandbox: Any) -> None:
    token = google_token(sandbox)
    sandbox.set_fault("smtp_drop_after", 1)
    with pytest.raises(smtplib.SMTPServerDisconnected), connect(sandbox) as smtp:
        smtp.auth("XOAUTH2", lambda c=None: xoauth2(ALICE, token))
        smtp.sendmail(ALICE, [DAVE], b"Subject: one\r\n\r\nx\r\n")
        smtp.sendmail(ALICE, [DAVE], b"Subject: two\r\n\r\nx\r\n")
    assert [m["Subject"] for m in sandbox.mailbox.messages()] == ["one"]


def test_fault_smtp_max_auth_line(sandbox: Any) -> None:
    token = ms_token(sandbox)
    assert len(token) > 1500
    sandbox.set_fault("smtp_max_auth_line", 512)
    with connect(sandbox) as smtp:
        code, msg = smtp.docmd("AUTH", "XOAUTH2 " + base64.b64encode(xoauth2(DAVE, token).encode()).decode())
        assert (code, msg) == (500, b"5.5.6 Authentication Exchange line is too long")
        # Sending the token after the empty 334 keeps the command line short.
        assert smtp.auth("XOAUTH2", lambda c=None: xoauth2(DAVE, token), initial_response_ok=False)[0] == 235


def test_long_token_inline_by_default(sandbox: Any) -> None:
    token = ms_token(sandbox)
    with connect(sandbox, ssl_port=True) as smtp:
        assert smtp.auth("XOAUTH2", lambda c=None: xoauth2(DAVE, token))[0] == 235


def test_eml_files_are_atomic_and_traced(sandbox: Any) -> None:
    token = google_token(sandbox)
    with connect(sandbox) as smtp:
        smtp.auth("XOAUTH2", lambda c=None: xoauth2(ALICE, token))
        smtp.sendmail(ALICE, [DAVE, "x@example.org"], "Subject: =?utf-8?b?5pel5pys6Kqe?=\r\n\r\n本文\r\n".encode())
    paths = sandbox.mailbox.paths()
    assert len(paths) == 1 and paths[0].suffix == ".eml"
    assert not [p for p in paths[0].parent.iterdir() if p.name.startswith(".")]
    msg = sandbox.mailbox.messages()[0]
    assert msg["Subject"] == "日本語" and msg["X-Sandbox-Envelope-To"] == f"{DAVE}, x@example.org"
    assert msg["Date"]  # added by the server, as Gmail and Exchange do
    assert token not in paths[0].read_text("utf-8", "replace")


@pytest.mark.parametrize("arg", ["XOAUTH2 !!!notbase64", "XOAUTH2 " + base64.b64encode(b"garbage").decode(),
                                 "OAUTHBEARER " + base64.b64encode(b"n,a=x,").decode()])
def test_malformed_auth_is_answered_not_crashed(sandbox: Any, arg: str) -> None:
    with connect(sandbox) as smtp:
        code, msg = smtp.docmd("AUTH", arg)
        assert (code, msg) == (501, b"5.5.2 Cannot Decode response")
        assert smtp.noop()[0] == 250  # the session is still usable
        assert smtp.docmd("AUTH", "CRAM-MD5")[0] == 504


@pytest.mark.parametrize("inline", [True, False])
def test_exchange_does_not_speak_oauthbearer(sandbox: Any, inline: bool) -> None:
    token = ms_token(sandbox)
    blob = oauthbearer(DAVE, token, sandbox.smtp_host, sandbox.smtp_starttls_port)
    with connect(sandbox) as smtp, pytest.raises(smtplib.SMTPAuthenticationError) as err:
        smtp.auth("OAUTHBEARER", lambda c=None: blob, initial_response_ok=inline)
    assert err.value.smtp_code == 504 and err.value.smtp_error.startswith(b"5.7.4 Unrecognized authentication type")
    from oauthmail.explain import explain

    assert explain(f"{err.value.smtp_code} {err.value.smtp_error.decode()}")  # the kit's catalog knows it
