"""Building the message: UTF-8 or ISO-2022-JP, attachments, and no header injection.

Why the ``compat32`` MIME classes and then a parse into :class:`EmailMessage`: the modern
``email.policy.default`` re-encodes every non-ASCII header as UTF-8 encoded words, so it cannot
write an ISO-2022-JP subject or name (which some Japanese company systems and old phones still
expect). The legacy classes write exactly the charset asked for; parsing the result gives the
caller a normal :class:`EmailMessage` (``msg["Subject"]`` reads back as the original text) whose
source headers are kept verbatim when it is sent.

Normalisations (all others are errors, never silent changes): a display name and an
attachment's file name lose blank characters at their edges, as every mail reader drops them.

Envelope recipients: the returned :class:`OutgoingMessage` has no ``Bcc`` header; the Bcc
addresses live on ``msg.bcc`` and :func:`recipients` returns To + Cc + Bcc. For a message built
elsewhere with a ``Bcc`` header, :func:`recipients` reads it and :func:`message_bytes` drops it.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Mapping, Sequence
from email import encoders
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, getaddresses, make_msgid

from .errors import ConfigError
from .i18n import Msg

# Start-up time of a send: no ``typing`` or ``pathlib`` at run time (``pathlib`` loads with the
# first attachment given by path), regular expressions compiled on first use (``re``'s cache).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Union

    Attachment = Union[str, Path, tuple[str, bytes, "str | None"]]  # noqa: UP007
else:
    Attachment = object  # a name for annotations; the real alias is for type checkers
CHARSETS = ("utf-8", "iso-2022-jp")

HEADER_CONTROL = Msg(
    en="The {header} value contains a line break or another control character.",
    ja="{header} の値に改行などの制御文字が含まれています。",
)
HEADER_CONTROL_HINT = Msg(
    en="Put the value on one line without line breaks or tabs (a line break in a header would let text inject other headers).",
    ja="改行やタブを含まない 1 行の値にしてください（ヘッダーに改行があると、別のヘッダーを紛れ込ませることができてしまいます）。",
)
BAD_ADDRESS = Msg(
    en="{header}: {value!r} is not an e-mail address.",
    ja="{header}: {value!r} はメールアドレスではありません。",
)
BAD_ADDRESS_HINT = Msg(
    en="Write addresses like alice@example.com or \"Alice <alice@example.com>\", one per --to/--cc/--bcc.",
    ja="alice@example.com や \"Alice <alice@example.com>\" の形で、--to・--cc・--bcc ごとに 1 つずつ書いてください。",
)
NON_ASCII_LOCAL = Msg(
    en="{header}: the address {value!r} has non-ASCII characters before the @, which Gmail and Microsoft 365 SMTP do not accept here.",
    ja="{header}: アドレス {value!r} の @ より前に ASCII 以外の文字があります。Gmail や Microsoft 365 の SMTP では使えません。",
)
NON_ASCII_LOCAL_HINT = Msg(
    en="Use the ASCII form of the address.",
    ja="ASCII 文字だけのアドレスを使ってください。",
)
NO_RECIPIENT = Msg(en="The message has no recipient.", ja="宛先がありません。")
NO_RECIPIENT_HINT = Msg(en="Give at least one --to (or --cc/--bcc) address.",
                        ja="--to（または --cc・--bcc）で宛先を 1 つ以上指定してください。")
BAD_CHARSET = Msg(en="The charset {charset!r} is not supported.", ja="文字コード {charset!r} には対応していません。")
BAD_CHARSET_HINT = Msg(en="Use utf-8 (recommended) or iso-2022-jp.", ja="utf-8（おすすめ）か iso-2022-jp を指定してください。")
NOT_ENCODABLE = Msg(
    en="The {header} has characters that ISO-2022-JP cannot carry (for example {char!r}).",
    ja="{header} に ISO-2022-JP で表せない文字があります（例: {char!r}）。",
)
NOT_ENCODABLE_HINT = Msg(
    en="Send with --charset utf-8 (every modern mail program reads it), or replace those characters "
    "(circled numbers, emoji and some kanji are outside ISO-2022-JP).",
    ja="--charset utf-8 で送るか（今のメーラーはすべて読めます）、その文字を置き換えてください"
    "（丸数字・絵文字・一部の漢字は ISO-2022-JP にありません）。",
)
ATTACHMENT_MISSING = Msg(en="The attachment {path} cannot be read ({reason}).",
                         ja="添付ファイル {path} を読めません（{reason}）。")
ATTACHMENT_MISSING_HINT = Msg(en="Check the path and that the file is readable.",
                              ja="パスと、ファイルを読めることを確認してください。")
BLANK_FILENAME = Msg(en="An attachment has a blank file name.", ja="添付ファイルの名前が空です。")
BLANK_FILENAME_HINT = Msg(en="Give the attachment a file name (for example report.pdf).",
                          ja="添付ファイルに名前を付けてください（例: report.pdf）。")
BAD_HEADER_NAME = Msg(en="{header!r} cannot be used as an extra header name.",
                      ja="{header!r} は追加ヘッダーの名前として使えません。")
BAD_HEADER_NAME_HINT = Msg(
    en="Use a name of ASCII letters, digits and '-', such as X-Mailer; From, To, Subject and the other standard "
    "headers are set through their own arguments.",
    ja="X-Mailer のように英数字と '-' だけの名前にしてください。From・To・Subject などの標準ヘッダーは専用の引数で指定します。",
)

_RESERVED = frozenset({"from", "to", "cc", "bcc", "subject", "reply-to", "date", "message-id", "mime-version",
                       "content-type", "content-transfer-encoding", "content-disposition", "sender"})
_HEADER_NAME = r"^[!-9;-~]+$"
_ATOMS = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+( [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$"
_SAFE_FILENAME = r"^[A-Za-z0-9][A-Za-z0-9._+ -]*$"


class OutgoingMessage(EmailMessage):
    """An :class:`EmailMessage` that carries its Bcc recipients outside the headers."""

    #: Set per instance by :func:`build_message`; the class default is never mutated.
    bcc: list[str] = []


# --- small pure helpers -----------------------------------------------------------------------------


def check_header_value(header: str, value: str) -> str:
    """``value`` unchanged, or :class:`ConfigError` if it holds CR, LF or another control character."""
    if any(ord(c) < 32 or ord(c) == 127 or c in "\u2028\u2029\x85" for c in value):
        raise ConfigError(HEADER_CONTROL, HEADER_CONTROL_HINT, header=header, code="header_injection")
    return value


def parse_address(header: str, value: str) -> tuple[str, str]:
    """``"Name <a@b>"`` or ``"a@b"`` → ``(name, "a@b")``, checked (IDN domains made ASCII)."""
    check_header_value(header, value)
    pairs = getaddresses([value])
    if len(pairs) != 1:
        raise ConfigError(BAD_ADDRESS, BAD_ADDRESS_HINT, header=header, value=value[:80], code="bad_address")
    name, addr = pairs[0]
    local, at, domain = addr.rpartition("@")
    if (not at or not local or not domain or any(c.isspace() or c in "<>()[],;:\\\"" for c in addr)
            or domain.startswith(".") or domain.endswith(".") or ".." in domain):
        raise ConfigError(BAD_ADDRESS, BAD_ADDRESS_HINT, header=header, value=value[:80], code="bad_address")
    if not local.isascii():
        raise ConfigError(NON_ASCII_LOCAL, NON_ASCII_LOCAL_HINT, header=header, value=addr[:80], code="bad_address")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise ConfigError(BAD_ADDRESS, BAD_ADDRESS_HINT, header=header, value=value[:80],
                              code="bad_address") from None
    return name, f"{local}@{domain}"


def _as_list(value: Sequence[str] | str | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _encodable(header: str, text: str, charset: str) -> None:
    try:
        text.encode(charset)
    except UnicodeEncodeError as exc:
        raise ConfigError(NOT_ENCODABLE, NOT_ENCODABLE_HINT, header=header, char=text[exc.start:exc.end][:3],
                          code="not_encodable") from None


def _header_text(header: str, text: str, charset: str) -> str | Header:
    """Plain ASCII stays as is; anything else becomes RFC 2047 encoded words in ``charset``."""
    check_header_value(header, text)
    # Plain text would be changed on the way: surrounding blanks are dropped by readers, and a
    # literal "=?...?=" would be decoded as an encoded word. Encoded words keep both exact.
    if text.isascii() and text == text.strip() and "=?" not in text and len(text) < 900:
        return text
    _encodable(header, text, charset)
    return Header(text, "utf-8" if text.isascii() else charset, header_name=header)


def _set(msg: Message, name: str, value: str | Header) -> None:
    # Message.__setitem__ takes a Header too (typeshed says str only).
    msg[name] = value  # type: ignore[assignment]


def _format_one(header: str, name: str, addr: str, charset: str) -> str:
    """``Name <addr>`` written so that a reader gets ``name`` back exactly."""
    if not name:
        return addr
    if name.isascii() and "=?" not in name:
        if re.match(_ATOMS, name):
            return f"{name} <{addr}>"
        # a quoted string keeps runs of blanks and specials that a bare phrase would lose
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + f'" <{addr}>'
    _encodable(header, name, charset)
    return formataddr((name, addr), charset=charset if not name.isascii() else "utf-8")


def _format_addresses(header: str, values: list[str], charset: str, name_override: str | None = None) -> str:
    out = []
    for v in values:
        name, addr = parse_address(header, v)
        if name_override is not None:
            name = name_override
        out.append(_format_one(header, name, addr, charset))
    return ", ".join(out)


def _attachment_part(item: Attachment) -> MIMEBase:
    if isinstance(item, tuple):
        name, data, mime = item
    else:
        from pathlib import Path

        path = Path(item).expanduser()
        name = path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ConfigError(ATTACHMENT_MISSING, ATTACHMENT_MISSING_HINT, path=str(path),
                              reason=exc.strerror or type(exc).__name__, code="attachment_missing") from None
        mime = None
    check_header_value("attachment file name", name)
    name = name.strip()  # mail readers drop blank edges anyway (documented normalisation)
    if not name:
        raise ConfigError(BLANK_FILENAME, BLANK_FILENAME_HINT, code="blank_filename")
    if not mime:
        import mimetypes  # reads the system's type tables: only when there is an attachment

        guessed, encoding = mimetypes.guess_type(name, strict=False)
        mime = guessed if guessed and not encoding else "application/octet-stream"
    check_header_value("attachment MIME type", mime)
    maintype, _, subtype = mime.partition("/")
    if not maintype or not subtype or not re.match(_HEADER_NAME, maintype) or not re.match(_HEADER_NAME, subtype):
        maintype, subtype = "application", "octet-stream"
    part = MIMEBase(maintype, subtype)
    part.set_payload(data)
    encoders.encode_base64(part)
    # Plain names stay plain; anything a reader could change (non-ASCII, blank edges, quotes)
    # goes RFC 2231-encoded, which keeps it byte for byte.
    plain = re.match(_SAFE_FILENAME, name) is not None
    filename: str | tuple[str, str, str] = name if plain else ("utf-8", "", name)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    part.set_param("name", filename)  # type: ignore[arg-type]  # an RFC 2231 triple is accepted
    return part


# --- the builder -----------------------------------------------------------------------------------


def build_message(
    *,
    sender: str,
    to: Sequence[str] | str,
    subject: str,
    body: str = "",
    cc: Sequence[str] | str = (),
    bcc: Sequence[str] | str = (),
    reply_to: str | None = None,
    attachments: Sequence[Attachment] = (),
    charset: str = "utf-8",
    sender_name: str | None = None,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> OutgoingMessage:
    """A ready-to-send message; ``recipients(msg)`` gives the envelope (To + Cc + Bcc)."""
    cs = (charset or "utf-8").lower().replace("_", "-")
    if cs in ("utf8",):
        cs = "utf-8"
    if cs not in CHARSETS:
        raise ConfigError(BAD_CHARSET, BAD_CHARSET_HINT, charset=charset[:40], code="bad_charset")
    to_l, cc_l, bcc_l = _as_list(to), _as_list(cc), _as_list(bcc)
    if not (to_l or cc_l or bcc_l):
        raise ConfigError(NO_RECIPIENT, NO_RECIPIENT_HINT, code="no_recipient")
    _, sender_addr = parse_address("From", sender)
    if sender_name is not None:
        check_header_value("From", sender_name)
        sender_name = sender_name.strip()  # blank edges carry nothing and readers drop them
    bcc_addrs = [parse_address("Bcc", b)[1] for b in bcc_l]

    text_body = body if body.endswith("\n") or not body else body + "\n"
    if cs == "iso-2022-jp":
        _encodable("body", text_body, cs)
        if html is not None:
            _encodable("HTML body", html, cs)
    text_part = MIMEText(text_body, "plain", cs)
    root: Message
    if html is not None:
        alt = MIMEMultipart("alternative")
        alt.attach(text_part)
        alt.attach(MIMEText(html, "html", cs))
        content: Message = alt
    else:
        content = text_part
    if attachments:
        mixed = MIMEMultipart("mixed")
        mixed.attach(content)
        for item in attachments:
            mixed.attach(_attachment_part(item))
        root = mixed
    else:
        root = content

    root["From"] = _format_addresses("From", [sender], cs, sender_name)
    if to_l:
        root["To"] = _format_addresses("To", to_l, cs)
    if cc_l:
        root["Cc"] = _format_addresses("Cc", cc_l, cs)
    if reply_to:
        root["Reply-To"] = _format_addresses("Reply-To", [reply_to], cs)
    _set(root, "Subject", _header_text("Subject", subject, cs))
    root["Date"] = formatdate(localtime=True)
    root["Message-ID"] = make_msgid(domain=sender_addr.rpartition("@")[2])
    for name, value in (headers or {}).items():
        if not re.match(_HEADER_NAME, name) or name.lower() in _RESERVED:
            raise ConfigError(BAD_HEADER_NAME, BAD_HEADER_NAME_HINT, header=name[:60], code="bad_header_name")
        _set(root, name, _header_text(name, value, cs))

    data = root.as_bytes(policy=email.policy.compat32.clone(linesep="\r\n"))
    msg = email.message_from_bytes(data, _class=OutgoingMessage, policy=email.policy.SMTP)
    assert isinstance(msg, OutgoingMessage)
    msg.bcc = bcc_addrs
    return msg


def raw_header(msg: Message, name: str) -> list[str]:
    """The unparsed, unfolded values of one header.

    Why: ``EmailMessage.get`` runs every value through the header registry's parser, which costs
    more than the whole SMTP exchange on a fast link; addresses and ids only need the raw text.
    """
    key = name.lower()
    return [" ".join(str(v).split()) for k, v in msg.raw_items() if k.lower() == key]


def header_value(msg: Message, name: str) -> str:
    """The first raw value of a header, or ``""``."""
    values = raw_header(msg, name)
    return values[0] if values else ""


def recipients(msg: Message) -> list[str]:
    """Envelope recipients: To, Cc and Bcc headers plus ``msg.bcc``, without duplicates."""
    found: list[str] = []
    for header in ("To", "Cc", "Bcc"):
        for value in raw_header(msg, header):
            for _, addr in getaddresses([value]):
                if addr and addr not in found:
                    found.append(addr)
    for addr in getattr(msg, "bcc", []) or []:
        if addr not in found:
            found.append(addr)
    return found


def sender_address(msg: Message) -> str:
    """The bare address of From (or Sender)."""
    value = header_value(msg, "Sender") or header_value(msg, "From")
    pairs = getaddresses([value])
    return pairs[0][1] if pairs else ""


def message_bytes(msg: Message) -> bytes:
    """The bytes to send: CRLF line ends, no Bcc header."""
    if raw_header(msg, "Bcc") or raw_header(msg, "Resent-Bcc"):
        msg = email.message_from_bytes(msg.as_bytes(policy=email.policy.SMTP), policy=email.policy.SMTP)
        del msg["Bcc"]
        del msg["Resent-Bcc"]
    return msg.as_bytes(policy=email.policy.SMTP)
