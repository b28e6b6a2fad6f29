"""The one message builder's output, shaped for the HTTPS APIs.

Both APIs read the recipients from the message's headers (there is no envelope), so the Bcc
addresses, which :func:`oauthmail.message.build_message` keeps off the headers, go back into a
``Bcc:`` header here; Graph and Gmail remove it before delivery. Graph's JSON form (needed for a
draft with an upload session) is derived from the same message, so Japanese subjects, bodies in
ISO-2022-JP and attachments come out the same on every transport.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses
from typing import Any

from ..message import message_bytes, recipients


@dataclass
class Part:
    """One attachment taken out of the message."""

    name: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False


@dataclass
class JsonMessage:
    """Graph's ``message`` resource for a draft, plus the attachments to add to it."""

    body: dict[str, Any]
    attachments: list[Part] = field(default_factory=list)


def api_mime_bytes(msg: Message) -> bytes:
    """The message as the APIs want it: CRLF, with a ``Bcc:`` header holding every Bcc recipient."""
    data = message_bytes(msg)
    bcc = _bcc_addresses(msg)
    if not bcc:
        return data
    return b"Bcc: " + ", ".join(bcc).encode("utf-8") + b"\r\n" + data


def _bcc_addresses(msg: Message) -> list[str]:
    out: list[str] = []
    for value in msg.get_all("Bcc") or []:
        out.extend(a for _, a in getaddresses([str(value)]) if a)
    for addr in getattr(msg, "bcc", []) or []:
        if addr not in out:
            out.append(addr)
    return out


def _parsed(msg: Message) -> EmailMessage:
    """The message with the modern API (the builder's output already is one; parsing 6 MB again costs ~1 s)."""
    if isinstance(msg, EmailMessage):
        return msg
    parsed = email.message_from_bytes(message_bytes(msg), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _recipients_json(value: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for addr in getattr(value, "addresses", ()) or ():
        item: dict[str, Any] = {"address": addr.addr_spec}
        if addr.display_name:
            item["name"] = addr.display_name
        out.append({"emailAddress": item})
    if not out and value:
        out = [{"emailAddress": {"address": a}} for _, a in getaddresses([str(value)]) if a]
    return out


def graph_json_message(msg: Message, *, from_address: str | None = None) -> JsonMessage:
    """Graph's JSON form of ``msg`` (subject, body, To/Cc/Bcc, Reply-To, Message-ID) and its attachments."""
    parsed = _parsed(msg)
    body_part = parsed.get_body(preferencelist=("html", "plain"))
    content = ""
    kind = "Text"
    if body_part is not None:
        content = str(body_part.get_content()).replace("\r\n", "\n")
        kind = "HTML" if body_part.get_content_subtype() == "html" else "Text"
    data: dict[str, Any] = {
        "subject": str(parsed.get("Subject", "")),
        "body": {"contentType": kind, "content": content},
        "toRecipients": _recipients_json(parsed.get("To")),
        "ccRecipients": _recipients_json(parsed.get("Cc")),
        "bccRecipients": [{"emailAddress": {"address": a}} for a in _bcc_addresses(msg)],
    }
    if parsed.get("Reply-To"):
        data["replyTo"] = _recipients_json(parsed.get("Reply-To"))
    mid = str(msg.get("Message-ID") or "").strip()
    if mid:
        data["internetMessageId"] = mid
    if from_address:
        data["from"] = {"emailAddress": {"address": from_address}}
    parts: list[Part] = []
    for att in parsed.iter_attachments():
        assert isinstance(att, EmailMessage)
        payload = att.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else str(att.get_content()).encode("utf-8")
        parts.append(Part(att.get_filename() or "attachment", att.get_content_type(), raw,
                          str(att.get("Content-ID", "")).strip("<> "),
                          att.get_content_disposition() == "inline"))
    return JsonMessage(data, parts)


def all_recipients(msg: Message) -> list[str]:
    """To + Cc + Bcc (for results; the same list the SMTP path uses as its envelope)."""
    return recipients(msg)
