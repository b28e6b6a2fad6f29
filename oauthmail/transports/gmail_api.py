"""The Gmail API ``users.messages.send``: the same message over HTTPS with only ``gmail.send``.

Why: ``gmail.send`` is far narrower than SMTP's ``https://mail.google.com/`` (it cannot read
mail), and port 443 passes where 587/465 are blocked.

* Up to :data:`RAW_LIMIT`: ``POST {api}/gmail/v1/users/me/messages/send`` with
  ``{"raw": base64url(MIME)}``.
* Larger (up to Gmail's 35 MB): the upload endpoint,
  ``POST {api}/upload/gmail/v1/users/me/messages/send?uploadType=multipart`` with a
  ``multipart/related`` body (JSON metadata, then the ``message/rfc822``).
"""

from __future__ import annotations

import base64
import secrets
from email.message import Message

from ..errors import DeliveryError
from ..i18n import Msg
from ._http import ApiClient, origin
from .graph import ApiReply
from .mime import api_mime_bytes

SERVICE = "Gmail API"
#: Above this MIME size the multipart upload endpoint is used (the JSON form grows by a third).
RAW_LIMIT = 5 * 1024 * 1024
#: Gmail's maximum message size through the upload endpoint.
MAX_MESSAGE = 35 * 1024 * 1024

TOO_LARGE = Msg(
    en="The message is {size} MB; the Gmail API takes at most 35 MB.",
    ja="メッセージは {size} MB です。Gmail API は 35 MB までです。",
)
TOO_LARGE_HINT = Msg(
    en="Share large files as a Google Drive link instead of attaching them.",
    ja="大きなファイルは添付せず、Google ドライブの共有リンクで送ってください。",
)


# --- small pure helpers ----------------------------------------------------------------------------


def send_url(base_url: str, *, upload: bool = False) -> str:
    """The ``users.messages.send`` address (the media-upload one when ``upload``); ``base_url`` in either form."""
    from . import api_root

    base = api_root("gmail-api", base_url)
    if upload:
        return f"{base}/upload/gmail/v1/users/me/messages/send?uploadType=multipart"
    return f"{base}/gmail/v1/users/me/messages/send"


def raw_body(mime: bytes) -> dict[str, str]:
    """``{"raw": base64url(MIME)}`` (padding kept: Gmail accepts it and it is unambiguous)."""
    return {"raw": base64.urlsafe_b64encode(mime).decode("ascii")}


def multipart_related(mime: bytes, boundary: str | None = None) -> tuple[bytes, str]:
    """The upload body and its Content-Type: JSON metadata part, then the ``message/rfc822`` part."""
    b = boundary or ("oauthmail_" + secrets.token_hex(12))
    while b.encode() in mime:
        b = "oauthmail_" + secrets.token_hex(12)
    body = (f"--{b}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{{}}\r\n"
            f"--{b}\r\nContent-Type: message/rfc822\r\n\r\n").encode("ascii") + mime + f"\r\n--{b}--\r\n".encode()
    return body, f'multipart/related; boundary="{b}"'


# --- the transport ---------------------------------------------------------------------------------


class GmailApiTransport:
    """Sends through the Gmail API with a Google token that has ``gmail.send`` (or broader)."""

    name = "gmail-api"

    def __init__(self, base_url: str, client: ApiClient) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client

    def send(self, msg: Message, token: str, *, signed_in: str) -> ApiReply:
        """Send ``msg``; raises the kit's errors (catalog-translated) on any refusal."""
        del signed_in  # Gmail sends as "me"; a different From must be a verified alias (else Gmail rewrites it)
        mid = str(msg.get("Message-ID") or "").strip()
        mime = api_mime_bytes(msg)
        if len(mime) > MAX_MESSAGE:
            raise DeliveryError(TOO_LARGE, TOO_LARGE_HINT, size=f"{len(mime) / 1048576:.1f}", code="message_too_large")
        upload = len(mime) > RAW_LIMIT
        url = send_url(self.base_url, upload=upload)
        if upload:
            body, ctype = multipart_related(mime)
            resp = self.client.request("POST", url, token=token, headers={"Content-Type": ctype}, data=body,
                                       sends_mail=True)
        else:
            resp = self.client.request("POST", url, token=token, json_body=raw_body(mime), sends_mail=True)
        if resp.status_code != 200:
            raise self.client.fail(resp, url)
        try:
            gid = str(resp.json().get("id") or "")
        except ValueError:
            gid = ""
        return ApiReply(mid, gid, origin(url), resp.status_code, self.client.requests, self.client.waited,
                        upload_session=upload)
