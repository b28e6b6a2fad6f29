"""The error catalog: real wordings from the providers and the network map to the right fix."""

from __future__ import annotations

import base64
import json

import pytest

from oauthmail.consent.loopback import PORT_BUSY, PORT_LENT
from oauthmail.errors import AuthenticationError, NetworkError, OAuthMailError, TokenError
from oauthmail.explain import (
    CATALOG,
    all_matches,
    decode_challenges,
    describe,
    error_for,
    explain,
    find,
    hint_for,
)
from oauthmail.registration._catalog_microsoft import REGISTRATION_SAMPLES
from oauthmail.transports._catalog_api import API_SAMPLES
from tests.test_explain_localised import FALLBACK_SAMPLES

GMAIL_334 = "334 " + base64.b64encode(
    json.dumps({"status": "400", "schemes": "Bearer", "scope": "https://mail.google.com/"}).encode()
).decode()
GMAIL_334_401 = "334 " + base64.b64encode(
    b'{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}'
).decode()

#: Real wordings (as the providers, libraries and OS send them) → the entry that must answer.
SAMPLES: dict[str, list[str]] = {
    "smtp-535-5.7.139-security-defaults": [
        "535 5.7.139 Authentication unsuccessful, user is locked by your organization's security defaults policy. "
        "Contact your administrator. [TYAPR01CA0123.jpnprd01.prod.outlook.com]",
        "(535, b'5.7.139 Authentication unsuccessful, user is locked by your organization\\'s security defaults "
        "policy. Contact your administrator.')",
    ],
    "smtp-535-5.7.139-basic": [
        "535 5.7.139 Authentication unsuccessful, basic authentication is disabled. [BN9PR03CA0044.namprd03.prod]",
        "SMTPAuthenticationError: (535, b'5.7.139 Authentication unsuccessful, basic authentication is disabled.')",
    ],
    "smtp-535-5.7.139-criteria": [
        "535 5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated "
        "successfully. Contact your administrator. [PN3PR01CA0063.INDPRD01.PROD.OUTLOOK.COM]",
        "(535, b'5.7.139 Authentication unsuccessful, the request did not meet the criteria to be authenticated "
        "successfully.')",
    ],
    "smtp-535-5.7.139": [
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. "
        "Visit https://aka.ms/smtp_auth_disabled for more information. [SN4PR0501CA0054.namprd05.prod.outlook.com]",
        "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Mailbox. "
        "Visit https://aka.ms/smtp_auth_disabled for more information.",
        "smtplib.SMTPAuthenticationError: (535, b'5.7.139 Authentication unsuccessful, SmtpClientAuthentication "
        "is disabled for the Tenant.')",
    ],
    "smtp-535-5.7.3": [
        "535 5.7.3 Authentication unsuccessful [SN4PR0501CA0123.namprd05.prod.outlook.com]",
        "smtplib.SMTPAuthenticationError: (535, b'5.7.3 Authentication unsuccessful "
        "[TYCP286CA0012.JPNP286.PROD.OUTLOOK.COM]')",
    ],
    "smtp-550-5.7.30": [
        "550 5.7.30 Basic authentication is not supported for Client Submission. "
        "[MW4PR03CA0012.namprd03.prod.outlook.com]",
        "SMTPSenderRefused: (550, b'5.7.30 Basic authentication is not supported for Client Submission.', "
        "'a@example.com')",
    ],
    "smtp-530-5.7.57": [
        "530 5.7.57 Client not authenticated to send mail. [BN6PR1101CA0012.namprd11.prod.outlook.com]",
        "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM",
        "530 5.7.0 Must issue a STARTTLS command first. d2sm1234567pfh.30 - gsmtp",
        "530-5.7.0 Authentication Required. For more information, go to\n530 5.7.0  "
        "https://support.google.com/mail/?p=WantAuthError - gsmtp",
    ],
    "smtp-554-5.2.252": [
        "554 5.2.252 SendAsDenied; alice@contoso.com not allowed to send as bob@contoso.com; "
        "STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; Failed to process message "
        "due to a permanent exception with message Cannot submit message.",
        "550 5.7.60 SMTP; Client does not have permissions to send as this sender",
    ],
    "smtp-500-5.5.6": [
        "500 5.5.6 Authentication Exchange line is too long",
        "(500, b'5.5.6 Authentication Exchange line is too long')",
    ],
    "smtp-gmail-password-login": [
        "534-5.7.9 Application-specific password required. Learn more at\n534 5.7.9  "
        "https://support.google.com/mail/?p=InvalidSecondFactor d2sm1234567pfh.30 - gsmtp",
        "534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1> Please log in via your web browser and\n"
        "534-5.7.14 then try again.",
    ],
    "smtp-gmail-535-5.7.8": [
        "535-5.7.8 Username and Password not accepted. For more information, go to\n"
        "535 5.7.8  https://support.google.com/mail/?p=BadCredentials d9443c01a7336-2a1c8e3b4f1sm1234567pjb.1 - gsmtp",
        GMAIL_334,
        GMAIL_334_401,
        "535-5.7.1 Username and Password not accepted. Learn more at\n535 5.7.1 "
        "http://support.google.com/mail/bin/answer.py?answer=14257 - gsmtp",
    ],
    "smtp-550-5.1.1": [
        "550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking "
        "the recipient's email address for typos or\n550 5.1.1 unnecessary spaces.",
        "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found",
    ],
    "smtp-sending-limit": [
        "550 5.4.5 Daily user sending limit exceeded. For more information on Gmail\n550 5.4.5 sending limits go to",
        "554 5.2.0 STOREDRV.Submission.Exception:OutboundSpamException; Failed to process message due to a "
        "permanent exception",
    ],
    "smtp-4xx-temporary": [
        "421-4.7.0 Try again later, closing connection. (EHLO)\n421-4.7.0 For more information, go to",
        "454 4.7.0 Too many login attempts, please try again later. d2sm1234567pfh.30 - gsmtp",
        "454 4.7.0 Cannot authenticate due to temporary system problem. Try again later.",
        "421 4.3.2 Service not available, closing transmission channel",
    ],
    "smtp-no-xoauth2": [
        "smtplib.SMTPNotSupportedError: SMTP AUTH extension not supported by server.",
        "smtplib.SMTPException: No suitable authentication method found.",
    ],
    "aadsts-50011": [
        "AADSTS50011: The redirect URI 'http://localhost:48888/callback' specified in the request does not match "
        "the redirect URIs configured for the application '00000000-1111-2222-3333-444444444444'.",
        "invalid_request: AADSTS50011: The reply URL specified in the request does not match the reply URLs "
        "configured for the application.",
    ],
    "aadsts-7000218": [
        "invalid_client: AADSTS7000218: The request body must contain the following parameter: "
        "'client_assertion' or 'client_secret'. Trace ID: 1234",
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
    ],
    "aadsts-7000215": [
        "invalid_client: AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request "
        "is the client secret value, not the client secret ID",
        "{'error': 'invalid_client', 'error_description': 'AADSTS7000215: Invalid client secret provided.'}",
    ],
    "aadsts-7000222": [
        "invalid_client: AADSTS7000222: The provided client secret keys for app '0000' are expired.",
        "AADSTS7000222: The provided client secret keys are expired. Visit the Azure portal to create new keys",
    ],
    "aadsts-700025": [
        "invalid_client: AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should "
        "be presented.",
        "AADSTS700025: Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
    ],
    "aadsts-9002327": [
        "invalid_request: AADSTS9002327: Tokens issued for the 'Single-Page Application' client-type may only be "
        "redeemed via cross-origin requests.",
        "AADSTS9002327: Tokens issued for the 'Single-Page Application' client-type may only be redeemed",
    ],
    "aadsts-65001": [
        "invalid_grant: AADSTS65001: The user or administrator has not consented to use the application with ID "
        "'0000' named 'oauthmail'. Send an interactive authorization request for this user and resource.",
        "AADSTS90094: The grant requires admin permission.",
        "Need admin approval — oauthmail needs permission to access resources in your organization",
    ],
    "aadsts-700016": [
        "unauthorized_client: AADSTS700016: Application with identifier '0000' was not found in the directory "
        "'Contoso'. This can happen if the application has not been installed by the administrator",
        "AADSTS50194: Application '0000'(oauthmail) is not configured as a multi-tenant application. Usage of the "
        "/common endpoint is not supported for such applications created after '10/15/2018'.",
        "unauthorized_client: The client does not exist or is not enabled for consumers.",
        "AADSTS9002332: Application '0000'(oauthmail) is configured for use by Microsoft Account users only.",
        "ValueError: Unable to get authority configuration for https://login.microsoftonline.com/contoso.example. "
        "Authority would typically be in a format of https://login.microsoftonline.com/your_tenant",
    ],
    "aadsts-50076": [
        "invalid_grant: AADSTS50076: Due to a configuration change made by your administrator, or because you "
        "moved to a new location, you must use multi-factor authentication to access '0000'.",
        "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow "
        "token issuance.",
        "AADSTS530035: Access has been blocked by security defaults.",
    ],
    "aadsts-700022": [
        "invalid_scope: AADSTS700022: The provided value for the input parameter scope is not valid because it "
        "contains more than one resource.",
        "AADSTS28000: Provided value for the input parameter scope is not valid because it contains more than one "
        "resource. Scope https://outlook.office.com/SMTP.Send https://graph.microsoft.com/Mail.Send is not valid.",
    ],
    "aadsts-54005": [
        "invalid_grant: AADSTS54005: OAuth2 Authorization code was already redeemed, please retry with a new valid "
        "code or use an existing refresh token.",
        "invalid_grant: Malformed auth code.",
    ],
    "oauth-invalid_grant-malformed": [
        "(invalid_grant) Bad Request",
        "google.auth.exceptions.RefreshError: ('invalid_grant: Bad Request', {'error': 'invalid_grant', "
        "'error_description': 'Bad Request'})",
        "invalid_grant: AADSTS70000: The provided value for the 'code' parameter is not valid.",
    ],
    "oauth-code-verifier": [
        "oauthlib.oauth2.rfc6749.errors.InvalidGrantError: (invalid_grant) Missing code verifier.",
        "invalid_grant: AADSTS501481: The Code_Verifier does not match the code_challenge supplied in the "
        "authorization request.",
        "oauthlib.oauth2.rfc6749.errors.MismatchingStateError: (mismatching_state) CSRF Warning! State not equal "
        "in request and response.",
        "ValueError: state mismatch: abc vs def",
    ],
    "aadsts-70008": [
        "invalid_grant: AADSTS70008: The provided authorization code or refresh token has expired due to "
        "inactivity. Send a new interactive authorization request for this user and resource.",
        "invalid_grant: AADSTS700082: The refresh token has expired due to inactivity. The token was issued on "
        "2026-01-01T00:00:00Z and was inactive for 90.00:00:00.",
        "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed.",
    ],
    "oauth-oob": [
        "redirect_uri=urn:ietf:wg:oauth:2.0:oob",
        "AttributeError: 'InstalledAppFlow' object has no attribute 'run_console'",
        "The out-of-band (OOB) flow has been blocked in order to keep users secure.",
    ],
    "oauth-insecure-transport": [
        "oauthlib.oauth2.rfc6749.errors.InsecureTransportError: (insecure_transport) OAuth 2 MUST utilize https.",
        "InsecureTransportError: (insecure_transport) OAuth 2 MUST utilize https.",
    ],
    "google-device-scope": [
        "invalid_scope: Invalid device flow scope: https://mail.google.com/",
        "Only clients of type 'TVs and Limited Input devices' can use the OAuth 2.0 flow for TV and Limited-Input "
        "Device Applications.",
    ],
    "oauth-scope-changed": [
        "Warning: Scope has changed from \"https://mail.google.com/ openid\" to \"openid\".",
        "Scope has changed from \"https://mail.google.com/\" to \"https://www.googleapis.com/auth/userinfo.email\".",
    ],
    "google-not-test-user": [
        "Access blocked: oauthmail has not completed the Google verification process. oauthmail has not completed "
        "the Google verification process. The app is currently being tested, and can only be accessed by "
        "developer-approved testers. If you think you should have access, contact the developer. "
        "Error 403: access_denied",
        "Error 403: access_denied — The developer hasn't given you access to this app.",
    ],
    "google-admin-policy": [
        "Error 400: admin_policy_enforced",
        "Error 403: org_internal — This client is restricted to users within its organization.",
        "Error 403: disallowed_useragent",
    ],
    "oauth-access_denied": [
        "http://127.0.0.1:48888/callback?error=access_denied&state=abc",
        "oauthlib.oauth2.rfc6749.errors.AccessDeniedError: (access_denied)",
        "access_denied: AADSTS65004: User declined to consent to access the app.",
    ],
    "google-redirect_uri_mismatch": [
        "Error 400: redirect_uri_mismatch",
        "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. The redirect URI "
        "in the request, http://localhost:59771/, does not match the ones authorized for the OAuth client.",
    ],
    "google-client-not-found": [
        "Error 401: invalid_client The OAuth client was not found.",
        "The OAuth client was not found.",
    ],
    "oauth-invalid_client": [
        "google.auth.exceptions.RefreshError: ('invalid_client: Unauthorized', {'error': 'invalid_client', "
        "'error_description': 'Unauthorized'})",
        "(invalid_client) The OAuth client secret is incorrect",
    ],
    "google-secret-missing": [
        "{\n  \"error\": \"invalid_request\",\n  \"error_description\": \"client_secret is missing.\"\n}",
        "google.auth.exceptions.RefreshError: ('invalid_request: client_secret is missing.', {'error': "
        "'invalid_request', 'error_description': 'client_secret is missing.'})",
    ],
    "oauth-unauthorized_client": [
        "google.auth.exceptions.RefreshError: ('unauthorized_client: Unauthorized', {'error': "
        "'unauthorized_client', 'error_description': 'Unauthorized'})",
        "{\"error\": \"unauthorized_client\", \"error_description\": \"Client is unauthorized to retrieve access "
        "tokens using this method\"}",
    ],
    "oauth-invalid_scope": [
        "invalid_scope: Some requested scopes were invalid. {valid=[openid], invalid=[mail.google.com]}",
        "invalid_scope: AADSTS70011: The provided request must include a 'scope' input parameter. The provided "
        "value for the input parameter 'scope' is not valid.",
        "ValueError: You cannot use any scope value that is reserved. Your input: ['offline_access']",
    ],
    "token-missing-fields": [
        "google.auth.exceptions.RefreshError: The credentials do not contain the necessary fields need to refresh "
        "the access token. You must specify refresh_token, token_uri, client_id, and client_secret.",
        "RefreshError: The credentials do not contain the necessary fields need to refresh the access token.",
    ],
    "oauth-missing-code": [
        "oauthlib.oauth2.rfc6749.errors.MissingCodeError: (missing_code) Missing code parameter in response.",
        "MissingCodeError: (missing_code) Missing code parameter in response.",
    ],
    "google-no-refresh-token": [
        "Google did not return a refresh token (this happens when you had already approved this app).",
        "KeyError: the token response has no refresh_token (refresh_token: None)",
    ],
    "google-from-rewritten": [
        "X-Google-Original-From: Sales <sales@example.com>",
        "x-google-original-from: bob@example.com",
    ],
    "oauth-invalid_request": [
        "Error 400: invalid_request Missing required parameter: redirect_uri",
        "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy for keeping apps "
        "secure. Error 400: invalid_request",
    ],
    "oauth-invalid_grant": [
        "google.auth.exceptions.RefreshError: ('invalid_grant: Token has been expired or revoked.', "
        "{'error': 'invalid_grant', 'error_description': 'Token has been expired or revoked.'})",
        "Token has been expired or revoked.",
        "{\"error\": \"invalid_grant\"}",
    ],
    "net-proxy": [
        "HTTPSConnectionPool(host='oauth2.googleapis.com', port=443): Max retries exceeded with url: /token "
        "(Caused by ProxyError('Unable to connect to proxy', OSError('Tunnel connection failed: 407 Proxy "
        "Authentication Required')))",
        "requests.exceptions.ProxyError: HTTPSConnectionPool(host='login.microsoftonline.com', port=443): Max "
        "retries exceeded (Caused by ProxyError('Cannot connect to proxy.', NewConnectionError('Failed to "
        "establish a new connection: [Errno 111] Connection refused')))",
    ],
    "wininet-12157": [
        "[Try get access token from https://oauth2.googleapis.com/token]\nError HttpSendRequest [12157]\n"
        "ERR-0028:OAUTH 認証サーバからアクセストークンが取得できませんでした。",
        "Error HttpSendRequest [12157]",
    ],
    "wininet-12045": [
        "[Try get access token from https://oauth2.googleapis.com/token]\nError HttpSendRequest [12045]\n"
        "ERR-0028:OAUTH 認証サーバからアクセストークンが取得できませんでした。",
        "Error HttpSendRequest [12045]",
    ],
    "wininet-12029": [
        "[Try get access token from https://oauth2.googleapis.com/token]\nError HttpSendRequest [12029]\n"
        "ERR-0028:OAUTH 認証サーバからアクセストークンが取得できませんでした。",
        "Error HttpSendRequest [12029]",
    ],
    "token-uri-wrong": [
        "[Try get access token from https://oauth2.googleapis.com/tokn]\nError InternetCrackUrl [12006]\n"
        "ERR-0028:OAUTH 認証サーバからアクセストークンが取得できませんでした。",
        "HTTP 404 from the token endpoint https://oauth2.googleapis.com/tokens",
        "requests.exceptions.MissingSchema: Invalid URL 'oauth2.googleapis.com/token': No scheme supplied.",
    ],
    "tls-wrong-mode": [
        "ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)",
        "smtplib.SMTPNotSupportedError: STARTTLS extension not supported by server.",
    ],
    "tls-untrusted": [
        "HTTPSConnectionPool(host='oauth2.googleapis.com', port=443): Max retries exceeded with url: /token "
        "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify "
        "failed: unable to get local issuer certificate (_ssl.c:1006)')))",
        "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed "
        "certificate in certificate chain (_ssl.c:1006)",
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self signed certificate in certificate chain",
    ],
    "net-dns": [
        "socket.gaierror: [Errno -2] Name or service not known",
        "socket.gaierror: [Errno 11001] getaddrinfo failed",
        "socket.gaierror: [Errno 8] nodename nor servname provided, or not known",
        "HTTPSConnectionPool(host='oauth2.googleapis.cmo', port=443): Max retries exceeded (Caused by "
        "NameResolutionError(\"Failed to resolve 'oauth2.googleapis.cmo' ([Errno -3] Temporary failure in name "
        "resolution)\"))",
        "Error HttpSendRequest [12007]",
    ],
    "net-refused": [
        "ConnectionRefusedError: [Errno 111] Connection refused",
        "ConnectionRefusedError: [WinError 10061] No connection could be made because the target machine actively "
        "refused it",
    ],
    "net-timeout": [
        "TimeoutError: [Errno 110] Connection timed out",
        "socket.timeout: timed out",
        "HTTPSConnectionPool(host='oauth2.googleapis.com', port=443): Max retries exceeded with url: /token (Caused "
        "by ConnectTimeoutError(<urllib3.connection.HTTPSConnection object>, 'Connection to oauth2.googleapis.com "
        "timed out. (connect timeout=10)'))",
        "TimeoutError: [WinError 10060] A connection attempt failed because the connected party did not properly "
        "respond after a period of time",
    ],
    "smtp-disconnected": [
        "smtplib.SMTPServerDisconnected: Connection unexpectedly closed",
        "smtplib.SMTPServerDisconnected: please run connect() first",
        "ConnectionResetError: [Errno 104] Connection reset by peer",
    ],
    "local-port-busy": [
        "OSError: [Errno 98] Address already in use",
        "OSError: [WinError 10048] Only one usage of each socket address (protocol/network address/port) is "
        "normally permitted",
        # the kit's own two messages, as `oauthmail consent` prints them and a person pastes them back
        *(msg.format(lang, host="127.0.0.1", port=48888, low=32768, high=60999)
          for msg in (PORT_BUSY, PORT_LENT) for lang in ("en", "ja")),
    ],
    "local-no-browser": [
        "webbrowser.Error: could not locate runnable browser",
        "Found no browser in current environment. If this program is being run inside a container which either "
        "(1) has access to host network",
    ],
}

# The HTTPS API entries keep their real wordings next to them (Graph, Gmail API).
SAMPLES.update(API_SAMPLES)
# oauthmail register microsoft (oauthmail/registration/_catalog_microsoft.py).
SAMPLES.update(REGISTRATION_SAMPLES)
# The catch-alls by code (oauthmail/_catalog_fallback.py): their cited wordings are in test_explain_localised.
SAMPLES.update(FALLBACK_SAMPLES)


def test_every_entry_has_two_real_wordings() -> None:
    ids = [e.id for e in CATALOG]
    explain("warm up")  # loads the catalog
    ids = [e.id for e in CATALOG]
    assert len(ids) == len(set(ids)), "duplicate ids"
    missing = [i for i in ids if len(SAMPLES.get(i, [])) < 2]
    assert not missing, f"entries without two samples: {missing}"


@pytest.mark.parametrize(
    ("expected", "text"), [(eid, text) for eid, texts in SAMPLES.items() for text in texts]
)
def test_first_match_is_the_right_entry(expected: str, text: str) -> None:
    entry = explain(text)
    assert entry is not None, text
    assert entry.id == expected, [e.id for e in all_matches(text)]


@pytest.mark.parametrize("entry_id", sorted(SAMPLES))
def test_entries_are_complete_in_both_languages(entry_id: str) -> None:
    entry = find(entry_id)
    assert entry.code
    assert entry.causes, entry_id
    for lang in ("en", "ja"):
        d = describe(entry, lang)
        for key in ("title", "what", "fix"):
            assert d[key].strip(), (entry_id, lang, key)
            assert "{" not in d[key] or "status" in d[key], (entry_id, lang, key)  # no unfilled placeholder
        assert all(c.strip() for c in d["causes"])
    for msg in (entry.title, entry.what, entry.fix, *entry.causes, *( [entry.where] if entry.where else [])):
        assert msg.placeholders("en") == msg.placeholders("ja")
        assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in msg.ja), msg.ja


def test_gmail_challenge_is_decoded_but_tokens_are_not() -> None:
    assert decode_challenges(GMAIL_334) == ['{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}']
    xoauth2 = base64.b64encode(b"user=a@example.com\x01auth=Bearer ya29.secretvalue1234567890\x01\x01").decode()
    assert decode_challenges(f"AUTH XOAUTH2 {xoauth2}") == []


def test_specific_variants_are_not_shadowed() -> None:
    ids = [e.id for e in CATALOG]
    # Each specific entry must come before the general one it shares wording with.
    for specific, general in [
        ("smtp-535-5.7.139-security-defaults", "smtp-535-5.7.139"),
        ("smtp-535-5.7.139", "smtp-535-5.7.3"),
        ("aadsts-70008", "oauth-invalid_grant"),
        ("aadsts-54005", "oauth-invalid_grant"),
        ("oauth-invalid_grant-malformed", "oauth-invalid_grant"),
        ("oauth-code-verifier", "oauth-invalid_grant"),
        ("aadsts-7000215", "oauth-invalid_client"),
        ("google-client-not-found", "oauth-invalid_client"),
        ("google-not-test-user", "oauth-access_denied"),
        ("google-device-scope", "oauth-invalid_scope"),
        ("net-proxy", "net-refused"),
        ("net-proxy", "net-timeout"),
        ("tls-wrong-mode", "tls-untrusted"),
    ]:
        assert ids.index(specific) < ids.index(general), (specific, general)
    # A text that several entries recognise goes to the first one.
    text = SAMPLES["net-proxy"][1]
    matches = [e.id for e in all_matches(text)]
    assert matches[0] == "net-proxy" and "net-refused" in matches


def test_unknown_text_is_honest() -> None:
    assert explain("the printer is on fire") is None
    d = describe(None, "ja")
    assert d["recognised"] is False
    assert "doctor" in d["fix"]
    assert error_for("the printer is on fire") is None
    assert hint_for("the printer is on fire") is None


def test_error_for_uses_the_entry_class_and_fix() -> None:
    exc = error_for(SAMPLES["smtp-535-5.7.139"][0])
    assert isinstance(exc, AuthenticationError)
    assert exc.code == "535 5.7.139"
    assert "認証済み SMTP" in exc.hint("ja")
    assert "Authenticated SMTP" in exc.hint("en")
    exc2 = error_for(SAMPLES["aadsts-70008"][1])
    assert isinstance(exc2, TokenError)
    exc3 = error_for(SAMPLES["tls-untrusted"][0])
    assert isinstance(exc3, NetworkError)
    assert "SSL_CERT_FILE" in exc3.hint("en") and "SSL_CERT_FILE" in exc3.hint("ja")
    assert isinstance(exc3, OAuthMailError)


@pytest.mark.parametrize(
    ("text", "en_words", "ja_words"),
    [
        (SAMPLES["smtp-535-5.7.139"][0], ["Authenticated SMTP", "Set-CASMailbox"], ["認証済み SMTP", "管理センター"]),
        (SAMPLES["google-not-test-user"][0], ["Test users"], ["テストユーザー", "OAuth 同意画面"]),
        (SAMPLES["aadsts-7000215"][0], ["Value", "Certificates & secrets"], ["値", "証明書とシークレット"]),
        (SAMPLES["oauth-invalid_grant"][0], ["consent", "In production"], ["同意", "本番環境"]),
        (SAMPLES["google-redirect_uri_mismatch"][0], ["http://127.0.0.1:48888/callback"], ["承認済みのリダイレクト URI"]),
        (SAMPLES["aadsts-50011"][0], ["http://localhost:48888/callback", "Web"], ["リダイレクト URI", "認証"]),
        (SAMPLES["net-refused"][0], ["587", "465"], ["587", "465"]),
        (SAMPLES["net-proxy"][0], ["HTTPS_PROXY", "NO_PROXY"], ["HTTPS_PROXY", "NO_PROXY"]),
    ],
)
def test_the_fix_says_what_to_do(text: str, en_words: list[str], ja_words: list[str]) -> None:
    entry = explain(text)
    assert entry is not None
    for w in en_words:
        assert w in entry.fix.format("en") + (entry.where.format("en") if entry.where else ""), w
    for w in ja_words:
        assert w in entry.fix.format("ja") + (entry.where.format("ja") if entry.where else ""), w


# --- the command ------------------------------------------------------------------------------------


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None,
         monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    import io

    from oauthmail.cli import main
    from oauthmail.i18n import set_language

    if stdin is not None and monkeypatch is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        rc = main(argv)
    finally:
        set_language(None)
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_explains_in_english_and_japanese(capsys: pytest.CaptureFixture[str]) -> None:
    text = SAMPLES["smtp-535-5.7.139"][0]
    rc, out, _ = _cli(["explain", text], capsys)
    assert rc == 0 and "What to do" in out and "Authenticated SMTP" in out and "535 5.7.139" in out
    rc, out, _ = _cli(["explain", "--lang", "ja", text], capsys)
    assert rc == 0 and "対処方法" in out and "認証済み SMTP" in out and "考えられる原因" in out
    rc, out, _ = _cli(["--lang", "ja", "explain", SAMPLES["google-not-test-user"][0]], capsys)
    assert rc == 0 and "テストユーザー" in out and "設定する場所" in out


def test_cli_json_and_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    rc, out, _ = _cli(["explain", "-", "--json"], capsys, stdin=SAMPLES["smtp-gmail-535-5.7.8"][0],
                      monkeypatch=monkeypatch)
    data = json.loads(out)
    assert rc == 0 and data["recognised"] is True and data["id"] == "smtp-gmail-535-5.7.8"
    assert data["code"] == "535 5.7.8" and data["kind"] == "AuthenticationError" and data["causes"]
    rc, out, _ = _cli(["explain", "--json", "--lang", "ja", GMAIL_334], capsys)
    data = json.loads(out)
    assert rc == 0 and data["lang"] == "ja" and '"status":"400"' in data["decoded"][0]
    rc, out, _ = _cli(["explain", GMAIL_334], capsys)
    assert rc == 0 and 'Server challenge (decoded): {"status":"400"' in out


def test_cli_unknown_text_exits_1_honestly(capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _cli(["explain", "the printer is on fire"], capsys)
    assert rc == 1 and "not in the kit's catalog" in out and "oauthmail doctor" in out
    rc, out, _ = _cli(["explain", "--lang", "ja", "プリンターが燃えています"], capsys)
    assert rc == 1 and "一覧にありません" in out


def test_cli_empty_input_is_an_error_with_a_hint(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    rc, _, err = _cli(["explain"], capsys)
    assert rc == 1 and err.startswith("error:") and "hint:" in err
    rc, _, err = _cli(["explain", "-"], capsys, stdin="   \n", monkeypatch=monkeypatch)
    assert rc == 1 and "hint:" in err


def test_cli_json_input_never_echoes_a_token(capsys: pytest.CaptureFixture[str]) -> None:
    token = "ya29.a0AfH6SMBx" + "Q" * 60
    rc, out, _ = _cli(["explain", "--json", f"535 5.7.3 Authentication unsuccessful token={token}"], capsys)
    assert rc == 0 and token not in out


# --- robustness ----------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_gets_an_answer_without_crashing(text: str) -> None:
    entry = explain(text)
    for lang in ("en", "ja"):
        d = describe(entry, lang)
        assert d["fix"]
    decode_challenges(text)


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=1, max_size=200))
def test_base64_of_anything_is_only_decoded_when_it_is_a_json_object(raw: bytes) -> None:
    text = "334 " + base64.b64encode(raw).decode()
    for found in decode_challenges(text):
        assert isinstance(json.loads(found), dict)


def test_timestamps_and_addresses_are_not_reply_codes() -> None:
    assert explain("   0.421 S: 250 OK\n   1.454 4.2 C: QUIT") is None
    assert explain("connected to 10.5.7.3 port 25") is None
    assert explain("server 10.5.7.8 answered 250") is None


def test_long_logs_are_fast() -> None:
    import time

    log = ("250-SIZE 35882577\n" * 2000) + SAMPLES["smtp-535-5.7.139"][0]
    t0 = time.monotonic()
    entry = explain(log)
    assert entry is not None and entry.id == "smtp-535-5.7.139"
    assert time.monotonic() - t0 < 2.0
