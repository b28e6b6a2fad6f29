"""The sandbox: a local Google-like and Microsoft-like sign-in and an XOAUTH2 mail server.

For classes, newcomers and every test of this project: the real google-auth-oauthlib, MSAL and
smtplib work against it unmodified, over real sockets with real TLS (a CA made in the state
folder). ::

    from oauthmail.sandbox import Sandbox

    with Sandbox(state_dir) as sb:
        flow = Flow.from_client_secrets_file(sb.client_secrets_web, scopes=[...], redirect_uri=...)
        url, _ = flow.authorization_url(prompt="consent")
        redirect = sb.approve(url, "alice@example.com", follow=False)
        ...
        sb.mailbox.messages()

For another project's tests, :func:`start` (``oauthmail.sandbox.start()``) gives a sandbox in a
throw-away folder that also signs users in (``sb.sign_in("alice@example.com")`` returns a ready
token INI); :mod:`oauthmail.testing` has it as pytest fixtures.

Importing this package is cheap; aiosmtpd and cryptography load when a sandbox starts.
"""

from __future__ import annotations

from .config import SandboxConfig, SandboxUser
from .mailbox import Mailbox
from .server import Sandbox, SandboxHandle, ensure_running, load_info
from .session import SandboxSession, start
from .user import approve, approve_device_code

__all__ = [
    "Mailbox",
    "Sandbox",
    "SandboxConfig",
    "SandboxHandle",
    "SandboxSession",
    "SandboxUser",
    "approve",
    "approve_device_code",
    "ensure_running",
    "load_info",
    "start",
]
