"""Microsoft Graph ``sendMail``: the same message over HTTPS (port 443) with a ``Mail.Send`` token.

Why: tenants switch SMTP AUTH off (``535 5.7.139``), networks block 587/465, and public Binder
blocks SMTP entirely, while the registration that grants Graph ``Mail.Send`` still works.

* Up to :data:`INLINE_LIMIT` the MIME message goes in one request:
  ``POST {graph}/v1.0/me/sendMail`` with ``Content-Type: text/plain`` and the MIME base64-encoded
  (Graph's MIME form; its request limit is 4 MB).
* Larger: a draft in Graph's JSON form (``POST …/messages``), small attachments added as
  ``fileAttachment``, each large one through an upload session (``createUploadSession``, then
  chunked ``PUT`` to the upload URL, which carries its own credential and gets no bearer token),
  then ``POST …/messages/{id}/send``. A draft left by a failure is deleted (best effort).
* ``From`` other than the signed-in account: ``/users/{From}/…`` (a shared mailbox with Send As rights).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import quote

from ..errors import DeliveryError, OAuthMailError
from ..i18n import Msg
from ..message import sender_address
from ._http import ApiClient, origin
from .mime import JsonMessage, Part, api_mime_bytes, graph_json_message

SERVICE = "Microsoft Graph"
#: The most base64 MIME sent in one sendMail request (Graph refuses requests over 4 MB).
INLINE_LIMIT = 3 * 1024 * 1024
#: Attachments up to this size go into the draft directly; larger ones through an upload session.
ATTACH_INLINE_LIMIT = 3 * 1024 * 1024
#: Upload chunk: a multiple of 320 KiB, under Graph's 4 MB per request.
CHUNK = 320 * 1024 * 10
#: Graph's limit for one attachment through an upload session.
MAX_ATTACHMENT = 150 * 1024 * 1024

TOO_LARGE = Msg(
    en="The attachment {name} is {size} MB; Microsoft Graph takes at most 150 MB per attachment.",
    ja="添付ファイル {name} は {size} MB です。Microsoft Graph は 1 ファイル 150 MB までです。",
)
TOO_LARGE_HINT = Msg(
    en="Share a large file as a link (OneDrive/SharePoint) instead of attaching it.",
    ja="大きなファイルは添付せず、OneDrive／SharePoint の共有リンクで送ってください。",
)
BAD_REPLY = Msg(
    en="Microsoft Graph answered {url} without the {field} the kit needs (HTTP {status}).",
    ja="Microsoft Graph の {url} からの応答に、必要な {field} がありませんでした（HTTP {status}）。",
)
BAD_REPLY_HINT = Msg(
    en="Check graph_url (or --api-url): it must be the Graph address of your cloud, e.g. https://graph.microsoft.com.",
    ja="graph_url（または --api-url）を確認してください。お使いのクラウドの Graph のアドレス（例: "
    "https://graph.microsoft.com）である必要があります。",
)


@dataclass
class ApiReply:
    """What an HTTPS transport did with one message."""

    message_id: str
    #: The provider's id for the sent message (Gmail), or "" (Graph's sendMail returns none).
    provider_id: str
    url: str
    status: int
    requests: int
    waited: float
    upload_session: bool = False


# --- small pure helpers ----------------------------------------------------------------------------


def mailbox_path(sender: str, signed_in: str) -> str:
    """``me`` for the signed-in account, ``users/{address}`` for another mailbox (shared, Send As)."""
    if not sender or sender.lower() == signed_in.lower():
        return "me"
    return "users/" + quote(sender, safe="@")


def send_mail_url(base_url: str, sender: str, signed_in: str) -> str:
    """``{graph}/v1.0/me/sendMail`` or ``{graph}/v1.0/users/{address}/sendMail`` (``base_url`` in either form)."""
    from . import api_root

    return f"{api_root('graph', base_url)}/{mailbox_path(sender, signed_in)}/sendMail"


def needs_upload_session(mime: bytes, limit: int = INLINE_LIMIT) -> bool:
    """Whether the base64 MIME would exceed Graph's single-request size."""
    return (len(mime) + 2) // 3 * 4 > limit


def upload_ranges(size: int, chunk: int = CHUNK) -> list[tuple[int, int]]:
    """Inclusive byte ranges for the chunked PUTs: ``[(0, chunk-1), …, (…, size-1)]``."""
    if chunk <= 0:
        raise ValueError("chunk must be positive")
    return [(start, min(start + chunk, size) - 1) for start in range(0, size, chunk)] or [(0, -1)]


def attachment_json(part: Part) -> dict[str, Any]:
    """A small attachment as Graph's ``fileAttachment``."""
    data: dict[str, Any] = {
        "@odata.type": "#microsoft.graph.fileAttachment",
        "name": part.name,
        "contentType": part.content_type,
        "contentBytes": base64.b64encode(part.data).decode("ascii"),
    }
    if part.content_id:
        data["contentId"] = part.content_id
        data["isInline"] = part.inline
    return data


# --- the transport ---------------------------------------------------------------------------------


class GraphTransport:
    """Sends through Microsoft Graph with a token whose audience is Graph and scope ``Mail.Send``."""

    name = "graph"

    def __init__(self, base_url: str, client: ApiClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client

    def send(self, msg: Message, token: str, *, signed_in: str) -> ApiReply:
        """Send ``msg``; raises the kit's errors (catalog-translated) on any refusal."""
        sender = sender_address(msg) or signed_in
        mid = str(msg.get("Message-ID") or "").strip()
        mime = api_mime_bytes(msg)
        if needs_upload_session(mime):
            return self._send_large(msg, token, sender, signed_in, mid)
        url = send_mail_url(self.base_url, sender, signed_in)
        resp = self.client.request("POST", url, token=token, headers={"Content-Type": "text/plain"},
                                   data=base64.b64encode(mime), sends_mail=True)
        if resp.status_code not in (200, 202):
            raise self.client.fail(resp, url)
        return ApiReply(mid, "", origin(url), resp.status_code, self.client.requests, self.client.waited)

    def _send_large(self, msg: Message, token: str, sender: str, signed_in: str, mid: str) -> ApiReply:
        from . import api_root

        box = f"{api_root('graph', self.base_url)}/{mailbox_path(sender, signed_in)}"
        form: JsonMessage = graph_json_message(msg)
        for part in form.attachments:
            if len(part.data) > MAX_ATTACHMENT:
                raise DeliveryError(TOO_LARGE, TOO_LARGE_HINT, name=part.name,
                                    size=f"{len(part.data) / 1048576:.1f}", code="attachment_too_large")
        self.client.note(f"message over {INLINE_LIMIT // 1048576} MB: draft + upload session")
        resp = self.client.request("POST", f"{box}/messages", token=token, json_body=form.body)
        if resp.status_code not in (200, 201):
            raise self.client.fail(resp, f"{box}/messages")
        draft_id = _field(resp, "id", f"{box}/messages")
        draft = f"{box}/messages/{quote(draft_id, safe='')}"
        try:
            for part in form.attachments:
                if len(part.data) <= ATTACH_INLINE_LIMIT:
                    r = self.client.request("POST", f"{draft}/attachments", token=token,
                                            json_body=attachment_json(part))
                    if r.status_code not in (200, 201):
                        raise self.client.fail(r, f"{draft}/attachments")
                else:
                    self._upload(draft, token, part)
            resp = self.client.request("POST", f"{draft}/send", token=token, data=b"", sends_mail=True)
            if resp.status_code not in (200, 202):
                raise self.client.fail(resp, f"{draft}/send")
        except OAuthMailError as exc:
            if exc.code != "delivery_unknown":
                self._delete_quietly(draft, token)
            raise
        return ApiReply(mid, "", origin(box), resp.status_code, self.client.requests, self.client.waited,
                        upload_session=True)

    def _upload(self, draft: str, token: str, part: Part) -> None:
        url = f"{draft}/attachments/createUploadSession"
        item: dict[str, Any] = {"attachmentType": "file", "name": part.name, "size": len(part.data),
                                "contentType": part.content_type}
        if part.content_id:
            item.update(isInline=part.inline, contentId=part.content_id)
        resp = self.client.request("POST", url, token=token, json_body={"AttachmentItem": item})
        if resp.status_code not in (200, 201):
            raise self.client.fail(resp, url)
        upload_url = _field(resp, "uploadUrl", url)
        self.client.secrets.append(upload_url.partition("?")[2])  # its query is a credential
        size = len(part.data)
        for start, end in upload_ranges(size):
            chunk = part.data[start:end + 1]
            r = self.client.request("PUT", upload_url, data=chunk, headers={
                "Content-Type": "application/octet-stream",
                "Content-Range": f"bytes {start}-{end}/{size}",
            })
            if r.status_code not in (200, 201, 202):
                raise self.client.fail(r, upload_url)

    def _delete_quietly(self, draft: str, token: str) -> None:
        try:
            self.client.request("DELETE", draft, token=token)
        except OAuthMailError:
            pass


def _field(resp: Any, name: str, url: str) -> str:
    try:
        value = resp.json().get(name)
    except ValueError:
        value = None
    if not isinstance(value, str) or not value:
        raise DeliveryError(BAD_REPLY, BAD_REPLY_HINT, url=origin(url), field=name, status=resp.status_code,
                            code="graph_bad_reply")
    return value
