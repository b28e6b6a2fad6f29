"""The HTTPS transports' small pure helpers and error mapping, with the providers' real wordings."""

from __future__ import annotations

import base64
import email
import email.policy
import itertools
import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oauthmail import tokenfile
from oauthmail.errors import AuthenticationError, ConfigError, DeliveryError
from oauthmail.message import build_message
from oauthmail.sandbox.mailapi import _upload_body
from oauthmail.tokens import microsoft_scopes
from oauthmail.transports import api_base_url, resolve_transport
from oauthmail.transports._http import (
    RetryPolicy,
    api_error,
    error_text,
    retry_after_seconds,
    wait_before_retry,
)
from oauthmail.transports.gmail_api import multipart_related, raw_body, send_url
from oauthmail.transports.graph import mailbox_path, needs_upload_session, send_mail_url, upload_ranges
from oauthmail.transports.mime import api_mime_bytes, graph_json_message

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL2dyYXBoIn0.c2lnbmF0dXJlc2lnbmF0dXJl"

GRAPH_401 = json.dumps({"error": {"code": "InvalidAuthenticationToken",
                                  "message": "Access token validation failure. Invalid audience.",
                                  "innerError": {"date": "2026-11-21T06:00:00", "request-id": "x"}}})
GRAPH_403 = json.dumps({"error": {"code": "ErrorAccessDenied",
                                  "message": "Access is denied. Check credentials and try again."}})
GRAPH_SEND_AS = json.dumps({"error": {"code": "ErrorSendAsDenied", "message": (
    "The user account which was used to submit this request does not have the right to send mail on behalf of the "
    "specified sending account., Cannot submit message.")}})
GRAPH_429 = json.dumps({"error": {"code": "ApplicationThrottled",
                                  "message": "Application is over its MailboxConcurrency limit."}})
GMAIL_403 = json.dumps({"error": {
    "code": 403, "message": "Request had insufficient authentication scopes.",
    "errors": [{"message": "Insufficient Permission", "domain": "global", "reason": "insufficientPermissions"}],
    "status": "PERMISSION_DENIED",
    "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                 "domain": "googleapis.com"}]}})
GMAIL_400 = json.dumps({"error": {
    "code": 400, "message": "Mail service not enabled",
    "errors": [{"message": "Mail service not enabled", "domain": "global", "reason": "failedPrecondition"}],
    "status": "FAILED_PRECONDITION"}})
GMAIL_401 = json.dumps({"error": {
    "code": 401, "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
    "cookie or other valid authentication credential.",
    "errors": [{"message": "Invalid Credentials", "domain": "global", "reason": "authError",
                "location": "Authorization", "locationType": "header"}], "status": "UNAUTHENTICATED"}})
GMAIL_DISABLED = json.dumps({"error": {
    "code": 403, "message": "Gmail API has not been used in project 1047 before or it is disabled. Enable it by "
    "visiting https://console.developers.google.com/apis/api/gmail.googleapis.com/overview?project=1047 then retry.",
    "errors": [{"message": "…", "domain": "usageLimits", "reason": "accessNotConfigured"}],
    "status": "PERMISSION_DENIED"}})


# --- Retry-After -----------------------------------------------------------------------------------


def test_retry_after_seconds_and_dates() -> None:
    now = datetime(2026, 11, 21, 6, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("5") == 5.0
    assert retry_after_seconds(" 0 ") == 0.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now) == 0.0
    for junk in (None, "", "soon", "nan", "inf", "-inf"):
        assert retry_after_seconds(junk) is None
    assert retry_after_seconds("-3") == 0.0


def test_wait_before_retry_caps() -> None:
    p = RetryPolicy(max_retries=2, max_wait=10, default_wait=1)
    assert wait_before_retry(0, None, p) == 1
    assert wait_before_retry(1, None, p) == 2
    assert wait_before_retry(2, 1.0, p) is None  # out of tries
    assert wait_before_retry(0, 11.0, p) is None  # asked to wait beyond the cap: stop, say so
    assert wait_before_retry(0, 10.0, p) == 10


@given(st.integers(min_value=0, max_value=20), st.one_of(st.none(), st.floats(min_value=0, max_value=1e6)))
def test_wait_never_exceeds_the_cap(attempt: int, after: float | None) -> None:
    p = RetryPolicy()
    wait = wait_before_retry(attempt, after, p)
    assert wait is None or 0 <= wait <= p.max_wait


# --- error bodies → the catalog ---------------------------------------------------------------------


@pytest.mark.parametrize(("status", "body", "code", "cls", "en", "ja"), [
    (401, GRAPH_401, "InvalidAuthenticationToken", AuthenticationError, "Mail.Send", "Mail.Send"),
    (403, GRAPH_403, "ErrorAccessDenied", AuthenticationError, "Mail.Send", "Mail.Send"),
    (403, GRAPH_SEND_AS, "ErrorSendAsDenied", DeliveryError, "Send As", "送信者"),
    (403, GMAIL_403, "ACCESS_TOKEN_SCOPE_INSUFFICIENT", AuthenticationError, "gmail.send", "gmail.send"),
    (400, GMAIL_400, "failedPrecondition", DeliveryError, "Gmail", "Gmail"),
    (401, GMAIL_401, "UNAUTHENTICATED", AuthenticationError, "--transport gmail-api", "--transport gmail-api"),
    (403, GMAIL_DISABLED, "SERVICE_DISABLED", DeliveryError, "Enable", "有効"),
])
def test_api_errors_are_translated(status: int, body: str, code: str, cls: type, en: str, ja: str) -> None:
    exc = api_error(status, body.encode(), service="svc", url="https://graph.example", secrets=[TOKEN])
    assert isinstance(exc, cls) and exc.code == code
    assert en in exc.hint("en") and ja in exc.hint("ja")
    assert exc.what("ja") != exc.what("en")


@pytest.mark.parametrize("body", [GRAPH_429, json.dumps({"error": {
    "code": 429, "message": "User-rate limit exceeded.", "errors": [{"reason": "rateLimitExceeded"}],
    "status": "RESOURCE_EXHAUSTED"}})])
def test_429_after_retries_says_how_long(body: str) -> None:
    exc = api_error(429, body, service="Microsoft Graph", url="https://g", retry_after=120, attempts=4, waited=3)
    assert isinstance(exc, DeliveryError) and exc.code == "HTTP 429"
    assert "120" in exc.hint("en") and "120" in exc.hint("ja") and "4" in exc.what("en")


def test_unknown_error_body_is_generic_and_never_shows_a_token() -> None:
    body = f'{{"error": {{"code": "SomethingNew", "message": "bad token {TOKEN}"}}}}'
    exc = api_error(400, body, service="Microsoft Graph", url="https://g", secrets=[TOKEN])
    assert exc.code == "SomethingNew"
    text = exc.what("en") + exc.what("ja") + exc.hint("en") + (exc.details or "")
    assert TOKEN not in text and "SomethingNew" in text
    # not even a JSON body
    exc2 = api_error(502, "<html>Bad gateway</html>", service="Gmail API", url="https://g")
    assert exc2.code == "HTTP 502" and "Bad gateway" in exc2.what("en")


def test_error_text_shapes() -> None:
    assert error_text(403, GMAIL_403)[0] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    assert error_text(401, GRAPH_401)[0] == "InvalidAuthenticationToken"
    assert error_text(400, '{"error": "invalid_request", "error_description": "x"}')[:2] == ("invalid_request", "x")
    assert error_text(500, b"")[2] == "HTTP 500"
    assert error_text(500, b"\xff\xfe not json")[0] == ""


# --- Graph helpers ---------------------------------------------------------------------------------


def test_mailbox_paths() -> None:
    assert mailbox_path("dave@contoso.example", "Dave@Contoso.example") == "me"
    assert mailbox_path("", "dave@contoso.example") == "me"
    assert mailbox_path("shared+x@contoso.example", "dave@contoso.example") == "users/shared%2Bx@contoso.example"
    assert send_mail_url("https://graph.microsoft.us/", "a@b", "a@b") == "https://graph.microsoft.us/v1.0/me/sendMail"


@given(st.integers(min_value=1, max_value=10_000_000), st.integers(min_value=1000, max_value=5_000_000))
def test_upload_ranges_cover_every_byte_once(size: int, chunk: int) -> None:
    ranges = upload_ranges(size, chunk)
    assert ranges[0][0] == 0 and ranges[-1][1] == size - 1
    for (a, b), (c, _d) in itertools.pairwise(ranges):
        assert c == b + 1 and b - a + 1 == chunk


def test_upload_ranges_bad_chunk() -> None:
    with pytest.raises(ValueError):
        upload_ranges(10, 0)


def test_inline_limit() -> None:
    assert not needs_upload_session(b"x" * 1000)
    assert needs_upload_session(b"x" * (3 * 1024 * 1024))


# --- the message, shaped for the APIs --------------------------------------------------------------


def test_api_mime_keeps_bcc_for_the_api() -> None:
    msg = build_message(sender="dave@contoso.example", to=["a@example.com"], bcc=["hidden@example.com"],
                        subject="件名", body="本文")
    data = api_mime_bytes(msg)
    assert data.startswith(b"Bcc: hidden@example.com\r\n")
    parsed = email.message_from_bytes(data, policy=email.policy.default)
    assert parsed["Subject"] == "件名"


def test_graph_json_form() -> None:
    msg = build_message(sender="dave@contoso.example", to=['"山田 太郎" <taro@example.com>'], cc=["c@example.com"],
                        bcc=["b@example.com"], reply_to="r@example.com", subject="件名", body="本文です",
                        attachments=[("図.png", b"\x89PNG", "image/png")], charset="iso-2022-jp")
    form = graph_json_message(msg)
    body = form.body
    assert body["subject"] == "件名" and body["body"] == {"contentType": "Text", "content": "本文です\n"}
    assert body["toRecipients"] == [{"emailAddress": {"address": "taro@example.com", "name": "山田 太郎"}}]
    assert body["bccRecipients"] == [{"emailAddress": {"address": "b@example.com"}}]
    assert body["replyTo"][0]["emailAddress"]["address"] == "r@example.com"
    assert body["internetMessageId"] == msg["Message-ID"]
    (part,) = form.attachments
    assert part.name == "図.png" and part.data == b"\x89PNG" and part.content_type == "image/png"


# --- Gmail helpers ---------------------------------------------------------------------------------


def test_gmail_raw_and_upload_bodies_round_trip() -> None:
    mime = b"From: a@b\r\nTo: c@d\r\nSubject: x\r\n\r\nbody\r\n"
    raw = raw_body(mime)["raw"]
    assert base64.urlsafe_b64decode(raw) == mime
    body, ctype = multipart_related(mime)
    assert ctype.startswith("multipart/related")
    assert _upload_body(ctype, "multipart", body) == mime
    assert send_url("https://gmail.googleapis.com/") == "https://gmail.googleapis.com/gmail/v1/users/me/messages/send"
    assert send_url("https://g", upload=True).endswith("/upload/gmail/v1/users/me/messages/send?uploadType=multipart")


def test_multipart_boundary_never_in_the_message() -> None:
    mime = b"--oauthmail_fixed\r\n"
    _body, ctype = multipart_related(mime, boundary="oauthmail_fixed")
    assert "oauthmail_fixed" not in ctype


# --- choosing the transport, the URL and the scopes ------------------------------------------------


def _acc(provider: str = "microsoft", **kw: object) -> tokenfile.Account:
    base: dict[str, object] = {"email": "dave@contoso.example", "provider": provider, "client_id": "x", "refresh_token": "r",
                               "authority": "https://login.microsoftonline.us/t" if provider == "microsoft" else ""}
    base.update(kw)
    return tokenfile.Account(**base)  # type: ignore[arg-type]


def test_resolve_transport() -> None:
    assert resolve_transport(_acc()) == "smtp"
    assert resolve_transport(_acc(transport="graph")) == "graph"
    assert resolve_transport(_acc(transport="graph"), "smtp") == "smtp"
    assert resolve_transport(_acc("google"), "GMAIL-API") == "gmail-api"
    with pytest.raises(ConfigError) as err:
        resolve_transport(_acc("google"), "graph")
    assert err.value.code == "transport_provider" and "Microsoft" in err.value.what("ja")
    with pytest.raises(ConfigError) as err:
        resolve_transport(_acc(), "carrier-pigeon")
    assert err.value.code == "unknown_transport"


def test_api_base_url_follows_the_cloud_and_overrides() -> None:
    assert api_base_url(_acc(), "graph") == "https://graph.microsoft.us"
    assert api_base_url(_acc(graph_url="https://graph.example/"), "graph") == "https://graph.example"
    assert api_base_url(_acc(), "graph", "https://override.example") == "https://override.example"
    assert api_base_url(_acc("google"), "gmail-api") == "https://gmail.googleapis.com"
    for bad in ("http://graph.example", "graph.example", "https://"):
        with pytest.raises(ConfigError):
            api_base_url(_acc(), "graph", bad)


def test_one_microsoft_resource_per_token() -> None:
    both = ["https://outlook.office.com/SMTP.Send", "https://graph.microsoft.com/Mail.Send", "offline_access"]
    acc = tokenfile.Account(email="d@c", provider="microsoft", client_id="x", refresh_token="r",
                            authority="https://login.microsoftonline.com/t", scopes=both)
    assert microsoft_scopes(acc) == ["https://outlook.office.com/SMTP.Send"]
    assert microsoft_scopes(acc, "graph") == ["https://graph.microsoft.com/Mail.Send"]
    acc.transport = "graph"
    assert microsoft_scopes(acc) == ["https://graph.microsoft.com/Mail.Send"]
    acc.scopes = []
    assert microsoft_scopes(acc) == ["https://graph.microsoft.com/Mail.Send"]
    acc.scopes = ["Mail.Send"]  # Graph's short form
    assert microsoft_scopes(acc, "graph") == ["Mail.Send"]
