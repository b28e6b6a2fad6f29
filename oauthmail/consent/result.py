"""What a finished consent gives: the tokens and everything needed to refresh them, and saving it.

The result becomes one account of the token INI (contract: DESIGN.md). Saving checks the
signed-in address against the one the person asked for *before* anything is written, stores the
provider's SMTP server (overridable), keeps the other accounts, and writes 0600 atomically.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path

from ..errors import ConsentError
from ..i18n import Msg
from ..providers import GOOGLE_MAIL_SCOPE, google_defaults, microsoft_cloud_for_authority, microsoft_defaults
from ..secrets import mask, remember
from ..tokenfile import Account, is_address, save_account
from .problems import (
    BAD_ADDRESS_CLAIM,
    BAD_ADDRESS_CLAIM_HINT,
    EMAIL_MISMATCH,
    EMAIL_MISMATCH_HINT,
    NO_EMAIL,
    NO_EMAIL_HINT,
)

SAVED = Msg(
    en="Saved account {email} ({provider}) to {path}.",
    ja="アカウント {email}（{provider}）を {path} に保存しました。",
)

_SECRET_FIELDS = frozenset({"client_secret", "refresh_token", "access_token"})


@dataclass
class ConsentResult:
    """A successful consent. ``repr`` masks the client secret and the tokens."""

    provider: str
    email: str
    client_id: str
    client_secret: str
    refresh_token: str
    access_token: str
    expires_at: datetime | None
    scopes: list[str] = field(default_factory=list)
    auth_uri: str = ""
    token_uri: str = ""
    authority: str = ""
    tenant: str = ""
    client_type: str = ""
    redirect_uri: str = ""
    transport: str = "smtp"
    #: Texts for the person (e.g. the Testing-status 7-day warning), current language.
    warnings: list[str] = field(default_factory=list)
    #: Other addresses the id token names for the same person (Microsoft: UPN vs mail), for :func:`check_email`.
    identities: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        remember(self.client_secret, self.refresh_token, self.access_token)  # redacted from every later output

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _SECRET_FIELDS:
                value = mask(value)
            shown.append(f"{f.name}={value!r}")
        return f"ConsentResult({', '.join(shown)})"

    def secrets(self) -> list[str]:
        """Every secret this result holds (for redaction and tests)."""
        return [s for s in (self.client_secret, self.refresh_token, self.access_token) if s]

    def to_account(
        self,
        smtp_host: str | None = None,
        smtp_port: int | None = None,
        smtp_security: str | None = None,
    ) -> Account:
        """The token-INI account, with the provider's SMTP server unless overridden."""
        if self.provider == "google":
            smtp = google_defaults().smtp
            auth_uri, token_uri, authority = self.auth_uri, self.token_uri, ""
        else:
            cloud = microsoft_cloud_for_authority(self.authority).name
            smtp = microsoft_defaults(self.tenant or "common", cloud=cloud, email=self.email).smtp
            auth_uri, token_uri, authority = "", "", self.authority
        if not smtp_host:  # signed in against the sandbox: use its mail server, not the real provider's
            from ..sandbox.discover import local_mail_server

            smtp = local_mail_server(token_uri or authority) or smtp
        security = smtp_security or smtp.security
        port = smtp_port or (smtp.port if security == smtp.security else (465 if security == "ssl" else 587))
        return Account(
            email=self.email,
            provider=self.provider,
            client_id=self.client_id,
            client_secret=self.client_secret,
            auth_uri=auth_uri,
            token_uri=token_uri,
            authority=authority,
            scopes=list(self.scopes),
            refresh_token=self.refresh_token,
            access_token=self.access_token,
            access_token_expires_at=self.expires_at,
            smtp_host=smtp_host or smtp.host,
            smtp_port=port,
            smtp_security=security,
            sasl_mechanism="XOAUTH2",
            transport=self.transport if self.transport != "smtp" else "",
            # Not needed to send, but the setup record and the next admin want to know how it was made.
            extra={k: v for k, v in (("client_type", self.client_type), ("redirect_uri", self.redirect_uri),
                                     ("tenant", self.tenant)) if v},
        )

    @property
    def has_mail_scope(self) -> bool:
        return GOOGLE_MAIL_SCOPE in self.scopes if self.provider == "google" else bool(self.scopes)


def save_result(
    ini: str | Path,
    result: ConsentResult,
    *,
    make_default: bool = False,
    email: str | None = None,
    smtp_host: str | None = None,
    smtp_port: int | None = None,
    smtp_security: str | None = None,
) -> Path:
    """Add the result as an account of ``ini`` (others kept, 0600); a wrong signed-in address saves nothing."""
    if email and email.strip().lower() != result.email.lower():
        raise ConsentError(EMAIL_MISMATCH, EMAIL_MISMATCH_HINT, code="email_mismatch",
                           expected=email.strip(), actual=result.email)
    path = Path(ini).expanduser()
    save_account(path, result.to_account(smtp_host, smtp_port, smtp_security), make_default=make_default)
    return path


def check_email(result: ConsentResult, expected: str | None) -> ConsentResult:
    """Fill in or check the signed-in address against the one asked for (nothing is saved on a mismatch)."""
    if expected:
        expected = expected.strip()
        known = {a.lower() for a in [result.email, *result.identities] if a}
        if known and expected.lower() in known:
            result.email = expected
        elif result.email and result.email.lower() != expected.lower():
            raise ConsentError(EMAIL_MISMATCH, EMAIL_MISMATCH_HINT, code="email_mismatch", expected=expected,
                               actual=result.email)
        result.email = result.email or expected
    if not result.email:
        raise ConsentError(NO_EMAIL, NO_EMAIL_HINT, code="no_email")
    if not is_address(result.email):
        # An odd or hostile identity provider's claim ("a@b]\ntransport = graph") must not become an INI section.
        raise ConsentError(BAD_ADDRESS_CLAIM, BAD_ADDRESS_CLAIM_HINT, code="bad_address_claim",
                           address=repr(result.email[:120]))
    return result
