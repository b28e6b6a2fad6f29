"""oauthmail: from "I have a Gmail or Microsoft 365 mailbox" to "my program sends mail with OAuth2".

The few calls a script needs are here, at the root (``docs/api.md``)::

    import oauthmail

    result = oauthmail.send("oauthmail.ini", to="bob@example.com", subject="Report",
                            body="Attached.", attachments=["report.pdf"])
    print(result.message_id)

Importing the package is cheap: each public name loads its module on first use (module
``__getattr__``), and the consent libraries (google-auth-oauthlib, MSAL), the sandbox (aiosmtpd)
and the widgets (ipywidgets) load only when the function that needs them is called. What is
public is ``__all__``; ``tests/test_api.py`` keeps it stable (``CHANGELOG.md``).
"""

from ._version import __version__
from .errors import (
    AuthenticationError,
    ConfigError,
    ConsentError,
    DeliveryError,
    NetworkError,
    OAuthMailError,
    TokenError,
)

TYPE_CHECKING = False  # start-up time: no ``typing`` import at run time
if TYPE_CHECKING:
    from . import consent, sandbox
    from .doctor import Check, DoctorReport
    from .doctor import run_doctor as doctor
    from .explain import explain_text as explain
    from .mailer import BatchResult, Mailer, SendResult, Sent, send, send_message
    from .message import build_message
    from .record import SetupRecord, build_record, read_record, write_record
    from .tokenfile import Account, TokenFile
    from .tokens import AccessToken
    from .tokens import get_access_token as access_token

#: Public name -> (module, attribute). The module is imported the first time the name is used.
_LAZY = {
    "send": ("mailer", "send"),
    "send_message": ("mailer", "send_message"),
    "Mailer": ("mailer", "Mailer"),
    "SendResult": ("mailer", "SendResult"),
    "BatchResult": ("mailer", "BatchResult"),
    "Sent": ("mailer", "Sent"),
    "build_message": ("message", "build_message"),
    "access_token": ("tokens", "get_access_token"),
    "AccessToken": ("tokens", "AccessToken"),
    "TokenFile": ("tokenfile", "TokenFile"),
    "Account": ("tokenfile", "Account"),
    "doctor": ("doctor", None),  # the module itself: calling it runs the checks (see _callable)
    "DoctorReport": ("doctor", "DoctorReport"),
    "Check": ("doctor", "Check"),
    "explain": ("explain", None),  # the module itself: calling it explains a text
    "build_record": ("record", "build_record"),
    "write_record": ("record", "write_record"),
    "read_record": ("record", "read_record"),
    "SetupRecord": ("record", "SetupRecord"),
    "consent": ("consent", None),
    "sandbox": ("sandbox", None),
}

__all__ = [
    "AccessToken",
    "Account",
    "AuthenticationError",
    "BatchResult",
    "Check",
    "ConfigError",
    "ConsentError",
    "DeliveryError",
    "DoctorReport",
    "Mailer",
    "NetworkError",
    "OAuthMailError",
    "SendResult",
    "Sent",
    "SetupRecord",
    "TokenError",
    "TokenFile",
    "__version__",
    "access_token",
    "build_message",
    "build_record",
    "consent",
    "doctor",
    "explain",
    "read_record",
    "sandbox",
    "send",
    "send_message",
    "write_record",
]


def __getattr__(name: str) -> object:
    try:
        module_name, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'oauthmail' has no attribute {name!r}") from None
    module = __import__(f"{__name__}.{module_name}", fromlist=["_"])
    value = module if attribute is None else getattr(module, attribute)
    if attribute is not None:
        globals()[name] = value  # later look-ups skip __getattr__ (a submodule binds itself)
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
