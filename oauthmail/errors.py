"""The exceptions a person can meet, each saying what happened and what to do.

::

    OAuthMailError            what (Msg) + hint (Msg) + params; str() is the English "what"
    ├── ConfigError           a file, flag or value the person gave is wrong (INI, client JSON, header)
    ├── ConsentError          the sign-in / consent step failed (denied, mismatch, timeout, state)
    ├── TokenError            a refresh token could not be turned into an access token
    ├── AuthenticationError   the mail server refused the token (535 …)
    ├── DeliveryError         the server took the login but refused the message (5xx on MAIL/RCPT/DATA)
    └── NetworkError          DNS, TCP, TLS, proxy and time-outs

Every error carries two :class:`~oauthmail.i18n.Msg` texts, ``what`` and ``hint``, with the
parameters to fill them. The command prints ``error: <what>`` and ``hint: <hint>``; notebooks
show both in the person's language. Parameters must never hold a secret: callers pass
:func:`oauthmail.secrets.mask`-ed values or none at all.
"""

from __future__ import annotations

from .i18n import Msg

TYPE_CHECKING = False  # no ``typing`` at run time: every command imports this module (start-up time)
if TYPE_CHECKING:
    from typing import Any

GENERIC_HINT = Msg(
    en="Run `oauthmail doctor --ini FILE` to check each step, or `oauthmail explain \"<message>\"`.",
    ja="`oauthmail doctor --ini ファイル` で各段階を診断するか、`oauthmail explain \"<メッセージ>\"` で意味を調べてください。",
)


def _clean(text: str) -> str:
    from .secrets import printable, redact

    return printable(redact(text))


class OAuthMailError(Exception):
    """Base class: ``what`` happened and a ``hint`` of what to do, in English and Japanese."""

    kind = "error"

    def __init__(
        self,
        what: Msg,
        hint: Msg | None = None,
        /,
        *,
        details: str | None = None,
        code: str | None = None,
        **params: Any,
    ) -> None:
        self.what_msg = what
        self.hint_msg = hint or GENERIC_HINT
        # The last defence, whatever the caller passed: parameters and details often carry text from the other
        # side (a server reply, a library message); no secret value or token shape, no terminal control.
        self.params: dict[str, Any] = {k: _clean(v) if isinstance(v, str) else v for k, v in params.items()}
        #: Raw text from the other side (server reply, decoded challenge), masked.
        self.details = _clean(details) if isinstance(details, str) else details
        #: A short stable identifier (``"535 5.7.139"``, ``"invalid_grant"``, ``"AADSTS50011"``).
        self.code = code
        #: Warnings that still hold although this error ended the call ("the sandbox was started"), for a
        #: caller that shows them or retries (``add_note`` needs Python 3.11).
        self.warnings: list[str] = []
        super().__init__(self.what("en"))

    def text_params(self) -> dict[str, Any]:
        """Everything this error carries, for its texts: ``code``, ``details``, ``smtp_code`` and the params.

        By construction every parameter an error is given can be named in its ``what`` and ``hint``
        (``(HTTP 400 {code})`` is filled from ``code=``); a ``{name}`` no one gave stays visible and
        ``tests/test_error_placeholders.py`` fails on it.
        """
        carried: dict[str, Any] = {}
        for name in ("code", "details", "smtp_code"):
            value = getattr(self, name, None)
            if value is not None:
                carried[name] = value
        carried.update(self.params)
        return carried

    def what(self, lang: str | None = None) -> str:
        """What happened, in ``lang`` (default: the current language)."""
        return self.what_msg.format(lang, **self.text_params())

    def hint(self, lang: str | None = None) -> str:
        """What to do about it, in ``lang``."""
        return self.hint_msg.format(lang, **self.text_params())

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """A JSON-friendly view for ``--json`` output, records and notebooks."""
        return {
            "type": type(self).__name__,
            "code": self.code,
            "error": self.what(lang),
            "hint": self.hint(lang),
            "details": self.details,
        }


class ConfigError(OAuthMailError):
    """A file, option or value given by the person is wrong or missing."""

    kind = "configuration"


class ConsentError(OAuthMailError):
    """The consent (sign-in) step did not produce a usable token."""

    kind = "consent"


class TokenError(OAuthMailError):
    """A refresh token could not be exchanged for an access token."""

    kind = "token"


class AuthenticationError(OAuthMailError):
    """The mail server refused the access token."""

    kind = "authentication"

    def __init__(self, what: Msg, hint: Msg | None = None, /, *, smtp_code: int | None = None,
                 **kwargs: Any) -> None:
        self.smtp_code = smtp_code
        super().__init__(what, hint, **kwargs)


class DeliveryError(OAuthMailError):
    """The server accepted the login but refused the message or a recipient."""

    kind = "delivery"

    def __init__(self, what: Msg, hint: Msg | None = None, /, *, smtp_code: int | None = None,
                 **kwargs: Any) -> None:
        self.smtp_code = smtp_code
        super().__init__(what, hint, **kwargs)


class NetworkError(OAuthMailError):
    """DNS, TCP, TLS, proxy or a time-out."""

    kind = "network"


__all__ = [
    "GENERIC_HINT",
    "AuthenticationError",
    "ConfigError",
    "ConsentError",
    "DeliveryError",
    "NetworkError",
    "OAuthMailError",
    "TokenError",
]
