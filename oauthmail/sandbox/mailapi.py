"""The sandbox's HTTPS mail APIs: Graph-shaped ``sendMail`` and Gmail-API-shaped ``messages.send``.

They check what the real services check, with their wordings, and deliver into the same mailbox
as the SMTP server:

* Graph: the token's audience must be ``https://graph.microsoft.com`` (an Outlook SMTP token or a
  Google token gets ``401 InvalidAuthenticationToken``) and its ``scp`` must hold ``Mail.Send``
  (else ``403 ErrorAccessDenied``); another mailbox (``/users/{address}/…``) needs a Send As right
  (:meth:`MailApi.grant_send_as`, else ``403 ErrorSendAsDenied``). MIME (``text/plain`` base64)
  and the draft + upload session path (``createUploadSession``, chunked ``PUT``, ``send``).
* Gmail: a live Google token (``401 UNAUTHENTICATED`` otherwise) with ``gmail.send``,
  ``gmail.compose``, ``gmail.modify`` or ``https://mail.google.com/`` (else ``403
  insufficientPermissions`` / ``ACCESS_TOKEN_SCOPE_INSUFFICIENT``); a user without Gmail
  (:meth:`MailApi.set_mail_disabled`) gets ``400 failedPrecondition`` "Mail service not enabled".
  ``raw`` JSON and the ``uploadType=multipart`` / ``media`` upload endpoint.
* The fault ``api_status`` (``429``/``503``, optionally ``{"status": 429, "retry_after": 1,
  "times": 2}``) answers the next requests with that status and a ``Retry-After`` header.

Nothing here logs a token; only the method, the path and the status are kept (:attr:`MailApi.log`).
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .idp import GOOGLE_MAIL_SCOPE, MS_GRAPH, AccessGrant, IdentityProvider
from .mailbox import deliver

GMAIL_SEND_SCOPES = frozenset({
    GOOGLE_MAIL_SCOPE,
    "https://www.googleapis.com/auth/gmail.send",
    "https://www.googleapis.com/auth/gmail.compose",
    "https://www.googleapis.com/auth/gmail.modify",
})
GRAPH_SEND_SCOPES = frozenset({"Mail.Send", "Mail.Send.Shared"})
MAX_BODY = 60 * 1024 * 1024
MAX_GRAPH_REQUEST = 4 * 1024 * 1024
API_PREFIXES = ("/v1.0/", "/beta/", "/gmail/v1/", "/upload/gmail/v1/", "/_upload/")
GRAPH_PREFIXES = ("/v1.0/", "/beta/")

GRAPH_ERRORS = {
    "empty": "Access token is empty.",
    "malformed": "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE "
                 "Compact Serialization Format.",
    "expired": "Lifetime validation failed, the token is expired.",
    "audience": "Access token validation failure. Invalid audience.",
    "scope": "Access is denied. Check credentials and try again.",
    "send_as": "The user account which was used to submit this request does not have the right to send mail on "
               "behalf of the specified sending account., Cannot submit message.",
}
GMAIL_UNAUTHENTICATED = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                         "cookie or other valid authentication credential. See "
                         "https://developers.google.com/identity/sign-in/web/devconsole-project.")


@dataclass
class Draft:
    user: str
    mailbox: str
    message: dict[str, Any]
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)


@dataclass
class Upload:
    draft_id: str
    name: str
    content_type: str
    size: int
    expires_at: float
    authtoken: str = ""
    data: bytearray = field(default_factory=bytearray)


def graph_error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    """Graph's error body (with the innerError a real reply carries)."""
    return status, {"error": {"code": code, "message": message, "innerError": {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
        "request-id": secrets.token_hex(16), "client-request-id": secrets.token_hex(16)}}}


def gmail_error(status: int, message: str, reason: str, state: str, detail_reason: str = "",
                location: str = "") -> tuple[int, dict[str, Any]]:
    """Google's error body (``errors[]`` plus the ``details`` ErrorInfo)."""
    item: dict[str, Any] = {"message": message if status != 403 else "Insufficient Permission", "domain": "global",
                            "reason": reason}
    if location:
        item.update(location=location, locationType="header")
    err: dict[str, Any] = {"code": status, "message": message, "errors": [item], "status": state}
    if detail_reason:
        err["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": detail_reason,
                           "domain": "googleapis.com",
                           "metadata": {"service": "gmail.googleapis.com",
                                        "method": "caribou.api.proto.MailboxService.SendMessage"}}]
    return status, {"error": err}


def _bearer(headers: Any) -> str:
    auth = str(headers.get("Authorization", ""))
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


def _addresses(value: Any) -> list[str]:
    return [a for _, a in getaddresses([str(v) for v in value or []]) if a]


class MailApi:
    """The handlers; mounted on the sandbox's HTTPS server (``SandboxApp.api``)."""

    def __init__(self, idp: IdentityProvider, mailbox_dir: Path, base_url: str) -> None:
        self.idp = idp
        self.mailbox_dir = mailbox_dir
        self.base_url = base_url
        self.lock = threading.Lock()
        self.drafts: dict[str, Draft] = {}
        self.uploads: dict[str, Upload] = {}
        self.send_as: dict[str, set[str]] = {}
        self.mail_disabled: set[str] = set()
        #: (method, path without query, status) of every API request, for tests and trainers.
        self.log: list[tuple[str, str, int]] = []

    # -- practice switches ------------------------------------------------------------------

    def grant_send_as(self, user: str, mailbox: str) -> None:
        """``user`` may send as ``mailbox`` (a shared mailbox with Send As granted)."""
        with self.lock:
            self.send_as.setdefault(user.lower(), set()).add(mailbox.lower())

    def set_mail_disabled(self, user: str, disabled: bool = True) -> None:
        """A Google account without Gmail: the API answers 400 failedPrecondition."""
        with self.lock:
            (self.mail_disabled.add if disabled else self.mail_disabled.discard)(user.lower())

    # -- plumbing ---------------------------------------------------------------------------

    @staticmethod
    def handles(path: str) -> bool:
        return path.startswith(API_PREFIXES)

    def handle(self, h: Any, method: str) -> None:
        """Answer one request on the sandbox's handler ``h`` (reads the body itself)."""
        parts = urlsplit(h.path)
        path = parts.path
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(h.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            h.close_connection = True
            return self._reply(h, method, path, 413, {"error": {"code": "RequestEntityTooLarge",
                                                                "message": "The request is too large."}})
        body = h.rfile.read(length) if length else b""
        try:
            status, payload, headers = self._route(h.headers, method, path, query, body)
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            status, payload, headers = 400, {"error": {"code": "BadRequest", "message": str(exc)[:200]}}, {}
        self._reply(h, method, path, status, payload, headers)

    def _reply(self, h: Any, method: str, path: str, status: int, payload: Any,
               headers: dict[str, str] | None = None) -> None:
        with self.lock:
            self.log.append((method, path if not path.startswith("/_upload/") else "/_upload/…", status))
        if payload is None:
            h._send(status, b"", "text/plain", headers)
        else:
            h._send(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                    "application/json; charset=utf-8", headers)

    def _fault(self, graph: bool) -> tuple[int, Any, dict[str, str]] | None:
        value = self.idp.faults.get("api_status")
        if not value:
            return None
        spec = value if isinstance(value, dict) else {"status": value}
        status = int(spec.get("status", 429))
        after = str(spec.get("retry_after", 1))
        times = spec.get("times")
        if times is not None:
            with self.lock:
                left = int(times) - 1
                if left <= 0:
                    self.idp.faults.pop("api_status", None)
                else:
                    self.idp.faults["api_status"] = {**spec, "times": left}
        if graph:
            code = "ApplicationThrottled" if status == 429 else "ServiceUnavailable"
            text = ("Application is over its MailboxConcurrency limit." if status == 429
                    else "The service is temporarily unavailable. Please retry later.")
            s, body = graph_error(status, code, text)
        else:
            s, body = gmail_error(status, "User-rate limit exceeded.  Retry after " + time.strftime(
                "%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + float(after))) if status == 429
                else "The service is currently unavailable.", "rateLimitExceeded" if status == 429
                else "backendError", "RESOURCE_EXHAUSTED" if status == 429 else "UNAVAILABLE")
        return s, body, {"Retry-After": after}

    def _route(self, headers: Any, method: str, path: str, query: dict[str, str],
               body: bytes) -> tuple[int, Any, dict[str, str]]:
        if path.startswith("/_upload/"):
            return self._upload(headers, method, path.rsplit("/", 1)[-1], body, query.get("authtoken", ""))
        graph = path.startswith(GRAPH_PREFIXES)
        fault = self._fault(graph)
        if fault is not None:
            return fault
        if graph:
            return self._graph(headers, method, path, body)
        return self._gmail(headers, method, path, query, body)

    # -- Graph ------------------------------------------------------------------------------

    def _graph_grant(self, headers: Any) -> tuple[AccessGrant | None, tuple[int, Any] | None]:
        token = _bearer(headers)
        if not token:
            return None, graph_error(401, "InvalidAuthenticationToken", GRAPH_ERRORS["empty"])
        grant = self.idp.check_access_token(token)
        if grant is None:
            known = self.idp.known_access_token(token)
            reason = "expired" if known is not None else ("malformed" if token.count(".") != 2 else "audience")
            return None, graph_error(401, "InvalidAuthenticationToken", GRAPH_ERRORS[reason])
        if grant.provider != "microsoft" or grant.audience.rstrip("/") != MS_GRAPH:
            return None, graph_error(401, "InvalidAuthenticationToken", GRAPH_ERRORS["audience"])
        if not GRAPH_SEND_SCOPES & set(grant.scopes):
            return None, graph_error(403, "ErrorAccessDenied", GRAPH_ERRORS["scope"])
        return grant, None

    def _may_send_as(self, user: str, mailbox: str) -> bool:
        return mailbox.lower() == user.lower() or mailbox.lower() in self.send_as.get(user.lower(), set())

    def _graph(self, headers: Any, method: str, path: str, body: bytes) -> tuple[int, Any, dict[str, str]]:
        grant, err = self._graph_grant(headers)
        if err is not None:
            return err[0], err[1], {}
        assert grant is not None
        m = re.fullmatch(r"/(?:v1\.0|beta)/(me|users/([^/]+))(/.*)", path)
        if not m:  # as Graph answers e.g. /v1.0/v1.0/me/sendMail: the first segment it cannot resolve
            segment = [*path.split("/"), ""][2]
            return (*graph_error(400, "BadRequest", f"Resource not found for the segment '{segment}'."), {})
        mailbox = unquote(m.group(2)) if m.group(2) else grant.user
        rest = m.group(3)
        if not self._may_send_as(grant.user, mailbox):
            return (*graph_error(403, "ErrorSendAsDenied", GRAPH_ERRORS["send_as"]), {})
        if len(body) > (MAX_GRAPH_REQUEST if rest == "/sendMail" else MAX_GRAPH_REQUEST * 3 // 2):
            return (*graph_error(413, "RequestBodyTooLarge", "The maximum request length supported is 4MB."), {})
        if method == "POST" and rest == "/sendMail":
            return self._graph_send_mail(headers, grant, mailbox, body)
        if method == "POST" and rest == "/messages":
            return self._graph_create_draft(grant, mailbox, body)
        d = re.fullmatch(r"/messages/([^/]+)(/attachments|/attachments/createUploadSession|/send)?", rest)
        if d:
            draft_id = unquote(d.group(1))
            with self.lock:
                draft = self.drafts.get(draft_id)
            if draft is None or draft.user != grant.user.lower():
                return (*graph_error(404, "ErrorItemNotFound",
                                     "The specified object was not found in the store."), {})
            action = d.group(2) or ""
            if method == "DELETE" and not action:
                with self.lock:
                    self.drafts.pop(draft_id, None)
                return 204, None, {}
            if method == "POST" and action == "/attachments":
                item = json.loads(body)
                draft.attachments.append((str(item["name"]), str(item.get("contentType") or
                                                                 "application/octet-stream"),
                                          base64.b64decode(item["contentBytes"])))
                return 201, {"id": secrets.token_hex(8), "name": item["name"]}, {}
            if method == "POST" and action == "/attachments/createUploadSession":
                item = json.loads(body)["AttachmentItem"]
                key, auth = secrets.token_urlsafe(12), secrets.token_urlsafe(32)
                expires = time.time() + 900
                with self.lock:
                    self.uploads[key] = Upload(draft_id, str(item["name"]), str(item.get("contentType") or
                                                                               "application/octet-stream"),
                                               int(item["size"]), expires, auth)
                return 201, {"uploadUrl": f"{self.base_url}/_upload/{key}?authtoken={auth}",
                             "expirationDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)),
                             "nextExpectedRanges": ["0-"]}, {}
            if method == "POST" and action == "/send":
                with self.lock:
                    self.drafts.pop(draft_id, None)
                return self._deliver_graph(grant, mailbox, _draft_mime(draft))
        return (*graph_error(405, "Request_BadRequest", f"{method} {rest} is not supported by the sandbox."), {})

    def _graph_send_mail(self, headers: Any, grant: AccessGrant, mailbox: str,
                         body: bytes) -> tuple[int, Any, dict[str, str]]:
        ctype = str(headers.get("Content-Type", "")).lower()
        if ctype.startswith("text/plain"):
            try:
                mime = base64.b64decode(body.strip(), validate=True)
            except (binascii.Error, ValueError):
                return (*graph_error(400, "ErrorMimeContentInvalidBase64String",
                                     "Invalid base64 string for MIME content."), {})
            return self._deliver_graph(grant, mailbox, mime)
        data = json.loads(body or b"{}")
        draft = Draft(grant.user.lower(), mailbox, dict(data.get("message") or {}))
        for item in draft.message.pop("attachments", []) or []:
            draft.attachments.append((str(item["name"]), str(item.get("contentType") or "application/octet-stream"),
                                      base64.b64decode(item["contentBytes"])))
        return self._deliver_graph(grant, mailbox, _draft_mime(draft))

    def _graph_create_draft(self, grant: AccessGrant, mailbox: str, body: bytes) -> tuple[int, Any, dict[str, str]]:
        data = json.loads(body or b"{}")
        draft_id = "AAMkAD" + secrets.token_urlsafe(32)
        with self.lock:
            self.drafts[draft_id] = Draft(grant.user.lower(), mailbox, dict(data))
        return 201, {"id": draft_id, "isDraft": True, "subject": data.get("subject", "")}, {}

    def _upload(self, headers: Any, method: str, key: str, body: bytes,
                authtoken: str) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            up = self.uploads.get(key)
        if up is None or up.expires_at < time.time() or not secrets.compare_digest(authtoken, up.authtoken):
            return (*graph_error(404, "ErrorItemNotFound", "The upload session was not found or has expired."), {})
        if method == "DELETE":
            with self.lock:
                self.uploads.pop(key, None)
            return 204, None, {}
        if headers.get("Authorization"):
            return (*graph_error(401, "InvalidAuthenticationToken",
                                 "Do not send an Authorization header to the upload URL."), {})
        m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", str(headers.get("Content-Range", "")).strip())
        if method != "PUT" or not m:
            return (*graph_error(400, "InvalidRequest", "Content-Range header is missing or malformed."), {})
        start, end, total = (int(g) for g in m.groups())
        if total != up.size or start != len(up.data) or end - start + 1 != len(body):
            return (*graph_error(416, "InvalidRange", f"The range {start}-{end}/{total} does not match the "
                                                      f"expected {len(up.data)}-."), {})
        up.data.extend(body)
        if len(up.data) < up.size:
            return 200, {"expirationDateTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(up.expires_at)),
                         "nextExpectedRanges": [f"{len(up.data)}-"]}, {}
        with self.lock:
            self.uploads.pop(key, None)
            draft = self.drafts.get(up.draft_id)
        if draft is None:
            return (*graph_error(404, "ErrorItemNotFound", "The draft of this upload session is gone."), {})
        draft.attachments.append((up.name, up.content_type, bytes(up.data)))
        return 201, None, {"Location": f"{self.base_url}/v1.0/me/messages/{up.draft_id}/attachments/x"}

    def _deliver_graph(self, grant: AccessGrant, mailbox: str, mime: bytes) -> tuple[int, Any, dict[str, str]]:
        msg = _headers(mime)
        header_from = _addresses(msg.get_all("From"))
        if header_from and not self._may_send_as(grant.user, header_from[0]):
            return (*graph_error(403, "ErrorSendAsDenied", GRAPH_ERRORS["send_as"]), {})
        if not header_from:
            mime = f"From: {mailbox}\r\n".encode() + mime
        status = self._deliver(mime, grant.user, mailbox, "graph")
        return (202, None, {}) if status is None else status

    # -- Gmail ------------------------------------------------------------------------------

    def _gmail(self, headers: Any, method: str, path: str, query: dict[str, str],
               body: bytes) -> tuple[int, Any, dict[str, str]]:
        token = _bearer(headers)
        grant = self.idp.check_access_token(token) if token else None
        if grant is None or grant.provider != "google":
            return (*gmail_error(401, GMAIL_UNAUTHENTICATED, "authError", "UNAUTHENTICATED",
                                 "ACCESS_TOKEN_TYPE_UNSUPPORTED" if grant else "", location="Authorization"), {})
        if not GMAIL_SEND_SCOPES & set(grant.scopes):
            return (*gmail_error(403, "Request had insufficient authentication scopes.", "insufficientPermissions",
                                 "PERMISSION_DENIED", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"), {})
        m = re.fullmatch(r"(/upload)?/gmail/v1/users/([^/]+)/messages/send", path)
        if method != "POST" or not m:  # e.g. /gmail/v1/gmail/v1/users/me/messages/send, as Google answers it
            return (*gmail_error(404, "Method not found.", "notFound", "NOT_FOUND"), {})
        user_id = unquote(m.group(2))
        if user_id != "me" and user_id.lower() != grant.user.lower():
            return (*gmail_error(403, f"Delegation denied for {grant.user}", "forbidden", "PERMISSION_DENIED"), {})
        if grant.user.lower() in self.mail_disabled:
            return (*gmail_error(400, "Mail service not enabled", "failedPrecondition", "FAILED_PRECONDITION"), {})
        if m.group(1):
            mime = _upload_body(str(headers.get("Content-Type", "")), query.get("uploadType", ""), body)
        else:
            raw = str(json.loads(body or b"{}").get("raw") or "")
            if not raw:
                return (*gmail_error(400, "Invalid value for ByteString: ", "invalidArgument", "INVALID_ARGUMENT"),
                        {})
            mime = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        msg = _headers(mime)
        if not _addresses([*msg.get_all("To", []), *msg.get_all("Cc", []), *msg.get_all("Bcc", [])]):
            return (*gmail_error(400, "Invalid To header", "invalidArgument", "INVALID_ARGUMENT"), {})
        header_from = _addresses(msg.get_all("From"))
        if header_from and header_from[0].lower() != grant.user.lower():
            from .smtp import _rewrite_from

            mime = _rewrite_from(mime, grant.user)
        status = self._deliver(mime, grant.user, grant.user, "gmail-api")
        if status is not None:
            return status
        gid = secrets.token_hex(8)
        return 200, {"id": gid, "threadId": gid, "labelIds": ["SENT"]}, {}

    # -- delivery ---------------------------------------------------------------------------

    def _deliver(self, mime: bytes, user: str, mailbox: str, transport: str) -> tuple[int, Any, dict[str, str]] | None:
        msg = _headers(mime)
        rcpts = _addresses([*msg.get_all("To", []), *msg.get_all("Cc", []), *msg.get_all("Bcc", [])])
        if not rcpts:
            if transport == "graph":
                return (*graph_error(400, "ErrorInvalidRecipients",
                                     "At least one recipient isn't valid., A message can't be sent because it "
                                     "contains no recipients."), {})
            return (*gmail_error(400, "Invalid To header", "invalidArgument", "INVALID_ARGUMENT"), {})
        head, sep, rest = _split(mime)
        head = re.sub(rb"(?im)^bcc:.*(?:\r?\n[ \t].*)*\r?\n?", b"", head + b"\r\n").rstrip(b"\r\n")
        trace = (f"Received: from client by sandbox.oauthmail.local with HTTPS ({transport}) id {time.time_ns()}\r\n"
                 f"\tfor <{', '.join(rcpts)}>; {formatdate(localtime=True)}\r\n"
                 f"X-Sandbox-Authenticated-User: {user}\r\n"
                 f"X-Sandbox-Transport: {transport}\r\n"
                 f"X-Sandbox-Envelope-From: {mailbox}\r\n"
                 f"X-Sandbox-Envelope-To: {', '.join(rcpts)}\r\n").encode()
        deliver(self.mailbox_dir, trace + head + (sep or b"\r\n\r\n") + rest)
        return None


def _headers(mime: bytes) -> Any:
    """Only the header block, parsed (recipients, From): a 30 MB body is never parsed for that."""
    from email.parser import BytesHeaderParser

    return BytesHeaderParser(policy=email.policy.default).parsebytes(mime)


def _split(raw: bytes) -> tuple[bytes, bytes, bytes]:
    m = re.search(rb"\r?\n\r?\n", raw)
    if not m:
        return raw, b"", b""
    return raw[: m.start()], raw[m.start(): m.end()], raw[m.end():]


def _upload_body(ctype: str, upload_type: str, body: bytes) -> bytes:
    """The message from Gmail's upload endpoint (``media``: the body; ``multipart``: its second part)."""
    if upload_type == "media" or ctype.lower().startswith("message/rfc822"):
        return body
    m = re.search(r'boundary="?([^";]+)"?', ctype)
    if not m:
        raise ValueError("multipart upload without a boundary")
    delim = b"--" + m.group(1).encode()
    pieces = body.split(delim)
    if len(pieces) < 3:
        raise ValueError("multipart upload needs a metadata part and a message part")
    part = pieces[2]
    part = part[2:] if part.startswith(b"\r\n") else part
    _head, _sep, content = _split(part)
    return content[:-2] if content.endswith(b"\r\n") else content


def _names(items: Any) -> list[str]:
    out = []
    for r in items or []:
        addr = (r or {}).get("emailAddress") or {}
        if addr.get("address"):
            name = str(addr.get("name") or "")
            out.append(email.utils.formataddr((name, str(addr["address"]))) if name else str(addr["address"]))
    return out


def _draft_mime(draft: Draft) -> bytes:
    """The message Exchange would build from a Graph draft (JSON) and its attachments."""
    data = draft.message
    msg = EmailMessage(policy=email.policy.SMTP)
    sender = ((data.get("from") or {}).get("emailAddress") or {}).get("address") or draft.mailbox
    msg["From"] = sender
    for header, key in (("To", "toRecipients"), ("Cc", "ccRecipients"), ("Bcc", "bccRecipients"),
                        ("Reply-To", "replyTo")):
        names = _names(data.get(key))
        if names:
            msg[header] = ", ".join(names)
    msg["Subject"] = str(data.get("subject") or "")
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = str(data.get("internetMessageId") or make_msgid(domain="sandbox.oauthmail.local"))
    body = data.get("body") or {}
    subtype = "html" if str(body.get("contentType", "")).lower() == "html" else "plain"
    msg.set_content(str(body.get("content") or ""), subtype=subtype)
    for name, ctype, raw in draft.attachments:
        maintype, _, sub = ctype.partition("/")
        msg.add_attachment(raw, maintype=maintype or "application", subtype=sub or "octet-stream", filename=name)
    return msg.as_bytes()
