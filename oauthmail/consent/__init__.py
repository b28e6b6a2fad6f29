"""The consent step: from an OAuth client to a refresh token in the token INI.

One call each, as ``oauthmail consent google|microsoft`` runs them (:mod:`oauthmail.consent.calls`)::

    import oauthmail

    oauthmail.consent.google("client_secret.json", "oauthmail.ini")             # browser, loopback
    oauthmail.consent.google("client_secret.json", "oauthmail.ini", mode="paste")  # remote machine
    oauthmail.consent.microsoft("11111111-2222-3333-4444-555555555555", "oauthmail.ini",
                                tenant="contoso.com", mode="device_code")       # public client

The rest of this page is the two-step form for notebooks.

Google goes through ``google_auth_oauthlib.flow.Flow`` and Microsoft through MSAL's auth code
flow, in the MSAL style: a *flow* is a plain JSON-serialisable dict passed between two calls, so a
notebook can start in one cell and finish in another, or after a kernel restart
(:func:`save_flow` / :func:`load_flow`, 0600 under ``OAUTHMAIL_HOME``). Three ways to get the
answer back:

- **loopback** — :func:`run_consent` listens on the flow's redirect (``http://127.0.0.1:48888/callback``
  for the Web clients of the guides; a free port for a Google Desktop client), opens the browser and
  finishes when the callback with the right ``state`` arrives;
- **paste** — on a remote kernel (:func:`detect_environment`), the person opens ``flow["auth_uri"]``,
  approves, and pastes the address the browser could not load into :func:`finish`;
- **device code** — Microsoft public clients only (:func:`start_device_code`,
  :func:`finish_device_code`); Google does not allow Gmail scopes there (P13).

Runnable against the local sandbox (the simulated user plays the browser)::

    import os
    from oauthmail.sandbox import Sandbox
    from oauthmail.consent import load_google_client, start_google, run_consent, save_result

    with Sandbox() as sb:                       # state under OAUTHMAIL_HOME/sandbox
        os.environ.update(sb.env())             # trust its CA (SSL_CERT_FILE, REQUESTS_CA_BUNDLE)
        flow = start_google(load_google_client(sb.client_secrets_web))
        result = run_consent(flow, open_browser=False,
                             on_url=lambda url: sb.approve(url, user="alice@example.com"))
        save_result("out.ini", result)          # [alice@example.com] with refresh token, 0600

The same in one line (start, browser, check, save): ``sign_in(sb.client_secrets_web, "out.ini", on_url=...)``.

Paste mode (remote kernel) and Microsoft::

    flow = start_microsoft(microsoft_client(client_id, secret, tenant="contoso.com"))
    print(flow["auth_uri"])                     # the person opens it and approves
    result = finish(flow, "http://localhost:48888/callback?code=...&state=...")

Public names: :class:`ClientConfig`, :func:`load_google_client`, :func:`google_client_from_values`,
:func:`microsoft_client` (from :mod:`oauthmail.clients`), :func:`start_google`,
:func:`start_microsoft`, :func:`start_device_code`, :func:`finish`, :func:`finish_device_code`,
:class:`ConsentFlow`, :class:`LoopbackListener`, :func:`run_consent`, :func:`run_consent_async`, :func:`parse_redirect`,
:func:`detect_environment`, :class:`Environment`, :class:`ConsentResult`, :func:`save_result`,
:func:`save_flow`, :func:`load_flow`, :func:`discard_flow`, :func:`sign_in`.
"""

from __future__ import annotations

from ..clients import ClientConfig, google_client_from_values, load_google_client, microsoft_client
from .environment import Environment, detect_environment
from .flow import discard_flow, finish, load_flow, run_consent, run_consent_async, save_flow, sign_in
from .flowdict import ConsentFlow
from .google import DEFAULT_WEB_REDIRECT, start_google
from .loopback import LoopbackListener
from .microsoft import DEFAULT_MS_REDIRECT, finish_device_code, start_device_code, start_microsoft
from .paste import parse_redirect
from .result import ConsentResult, save_result

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .calls import google, microsoft
else:
    # ``oauthmail.consent.google`` is the module google.py, called: it runs calls.google (see _callable.py).
    from .._callable import make_callable
    from . import calls

    make_callable(__name__ + ".google", calls.google)
    make_callable(__name__ + ".microsoft", calls.microsoft)

__all__ = [
    "DEFAULT_MS_REDIRECT",
    "DEFAULT_WEB_REDIRECT",
    "ClientConfig",
    "ConsentFlow",
    "ConsentResult",
    "Environment",
    "LoopbackListener",
    "detect_environment",
    "discard_flow",
    "finish",
    "finish_device_code",
    "google",
    "google_client_from_values",
    "load_flow",
    "load_google_client",
    "microsoft",
    "microsoft_client",
    "parse_redirect",
    "run_consent",
    "run_consent_async",
    "save_flow",
    "save_result",
    "sign_in",
    "start_device_code",
    "start_google",
    "start_microsoft",
]
