"""Turning what the provider or the person sent back into a :class:`ConsentError` that says what to do.

Provider errors arrive three ways: ``?error=...`` on the redirect, an OAuth error from the token
endpoint (oauthlib exception or MSAL's error dict), or an ``AADSTSnnnnn`` code in a description.
The errors a person commonly meets during consent have texts here, worded for *this* step (an
``invalid_grant`` during consent means the code, not a saved refresh token); anything else goes
to the shared catalog (:func:`oauthmail.explain.explain`), then to a generic text that still
shows the provider's own words (redacted).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qs, urlsplit

from ..errors import ConsentError, NetworkError
from ..i18n import Msg
from ..secrets import redact

# --- the person / the flow ------------------------------------------------------------------------

DENIED = Msg(
    en="The sign-in was cancelled: the consent page answered 'access_denied' (Cancel or Deny was clicked).",
    ja="サインインが取り消されました。同意画面で「キャンセル」または「拒否」が選ばれました（access_denied）。",
)
GOOGLE_DENIED = Msg(
    en="Google answered 'access_denied': either Cancel was clicked on the consent page, or Google blocked the sign-in "
    "('Access blocked: … has not completed the Google verification process') because the app is in Testing and this "
    "account is not one of its test users.",
    ja="Google から access_denied が返されました。同意画面で「キャンセル」が押されたか、アプリが「テスト中」でこの"
    "アカウントがテストユーザーではないため、Google がサインインをブロックしました（「アクセスをブロック: … Google の"
    "審査プロセスを完了していません」）。",
)
DENIED_HINT = Msg(
    en="Start again and choose Allow. If Google showed 'Access blocked … has not completed the Google verification "
    "process', your app is in Testing and this account is not a test user: Google Cloud console → Google Auth "
    "Platform → Audience → Test users → add the address, then retry.",
    ja="もう一度始めて「許可」を選んでください。Google で「アクセスをブロック: … Google の審査プロセスを完了していません」と"
    "表示された場合は、アプリが「テスト中」でこのアカウントがテストユーザーではありません。Google Cloud コンソールの"
    "「Google Auth Platform」→「対象」→「テストユーザー」にアドレスを追加してから、やり直してください。",
)
NOT_TEST_USER = Msg(
    en="Google blocked the sign-in: your Google Cloud app is in Testing and {email} is not one of its test users.",
    ja="Google がサインインをブロックしました。Google Cloud のアプリが「テスト中」で、{email} がテストユーザーに入っていません。",
)
NOT_TEST_USER_HINT = Msg(
    en="In Google Cloud console → Google Auth Platform → Audience → Test users, add {email} and retry.",
    ja="Google Cloud コンソールの「Google Auth Platform」→「対象」→「テストユーザー」に {email} を追加して、やり直してください。",
)
REDIRECT_MISMATCH_GOOGLE = Msg(
    en="Google rejected the return address {redirect_uri} (redirect_uri_mismatch).",
    ja="Google がリダイレクト URI {redirect_uri} を受け付けませんでした（redirect_uri_mismatch）。",
)
REDIRECT_MISMATCH_GOOGLE_HINT = Msg(
    en="Your Web client must list exactly {redirect_uri} (same port, no trailing slash, 127.0.0.1 not localhost) "
    "under Authorized redirect URIs (Google Cloud console → Credentials → your client). Add it, save, wait a minute, "
    "download the JSON again and retry.",
    ja="ウェブ クライアントの「承認済みのリダイレクト URI」に {redirect_uri} をそのまま登録する必要があります"
    "（ポートも同じ、末尾のスラッシュなし、localhost ではなく 127.0.0.1）。Google Cloud コンソール →「Google Auth Platform」→「クライアント」（旧「認証情報」）→ 対象のクライアントで追加・保存し、1 分ほど待って JSON をダウンロードし直してから、やり直してください。",
)
REDIRECT_NOT_REGISTERED = Msg(
    en="The return address {redirect_uri} is not among the Web client's redirect URIs ({registered}).",
    ja="リダイレクト URI {redirect_uri} が、ウェブ クライアントのリダイレクト URI（{registered}）に入っていません。",
)
INVALID_CLIENT = Msg(
    en="The provider did not accept the OAuth client (invalid_client): the client ID is unknown or the secret is wrong.",
    ja="プロバイダーが OAuth クライアントを受け付けませんでした（invalid_client）。クライアント ID が存在しないか、"
    "シークレットが違います。",
)
INVALID_CLIENT_HINT = Msg(
    en="Download the client JSON again (or copy the ID and a current secret) from the console page of the client; "
    "if the client was deleted, create a new one.",
    ja="コンソールのクライアントのページから JSON をダウンロードし直すか、ID と有効なシークレットをコピーし直してください。クライアントが削除されていた場合は作り直してください。",
)
INVALID_GRANT = Msg(
    en="The provider refused the sign-in code (invalid_grant): it expired, was already used, or belongs to a sign-in "
    "started earlier (for example before the kernel restarted).",
    ja="プロバイダーがサインインのコードを受け付けませんでした（invalid_grant）。期限切れ、使用済み、または以前に"
    "始めたサインイン（カーネルの再起動前など）のコードです。",
)
INVALID_GRANT_HINT = Msg(
    en="Start the sign-in again and complete it in one go (within about 10 minutes); paste each address only once.",
    ja="サインインを最初からやり直し、途中で止めずに（10 分以内に）完了してください。アドレスの貼り付けは 1 回だけです。",
)
NO_REFRESH_TOKEN = Msg(
    en="{provider} did not return a refresh token, so the program could not keep sending later.",
    ja="{provider} からリフレッシュ トークンが返されませんでした。このままでは後でメールを送り続けられません。",
)
NO_REFRESH_TOKEN_HINT = Msg(
    en="This happens when the app had been approved before. The kit already asks with prompt=consent; remove the app "
    "at myaccount.google.com/permissions (Microsoft: myapps.microsoft.com) and sign in again.",
    ja="以前にこのアプリを許可していた場合に起こります。キットは prompt=consent で再同意を求めています。"
    "myaccount.google.com/permissions（Microsoft は myapps.microsoft.com）でアプリのアクセスを削除してから、"
    "もう一度サインインしてください。",
)
SCOPE_NOT_GRANTED = Msg(
    en="The permission {scope} was not granted, and sending mail needs it (granted: {granted}).",
    ja="メール送信に必要な権限 {scope} が許可されていません（許可された権限: {granted}）。",
)
SCOPE_NOT_GRANTED_HINT = Msg(
    en="Run the consent again and leave 'Read, compose, send and permanently delete all your email from Gmail' "
    "ticked (Microsoft: accept 'Send emails from mailboxes using SMTP AUTH', or ask an admin to grant it).",
    ja="もう一度同意を行い、「Gmail のすべてのメールの閲覧、作成、送信、完全な削除」にチェックを入れたままにしてください"
    "（Microsoft の場合は「SMTP AUTH を使用してメールボックスからメールを送信する」を確認して「承諾」を押すか、管理者に同意を依頼してください）。",
)
STATE_MISMATCH = Msg(
    en="The answer does not belong to this sign-in (its 'state' differs): it may be from an older attempt, or from "
    "someone else (possible cross-site request forgery). Nothing was saved.",
    ja="この応答は今回のサインインのものではありません（state が一致しません）。以前の試行のものか、第三者による"
    "もの（クロスサイト リクエスト フォージェリの可能性）です。何も保存していません。",
)
STATE_MISMATCH_HINT = Msg(
    en="Start the sign-in again and paste the address from that attempt only.",
    ja="サインインを最初からやり直し、その回のアドレスだけを貼り付けてください。",
)
EMAIL_MISMATCH = Msg(
    en="You signed in as {actual}, but the kit was told to set up {expected}. Nothing was saved.",
    ja="{actual} でサインインしましたが、設定する予定のアドレスは {expected} です。何も保存していません。",
)
EMAIL_MISMATCH_HINT = Msg(
    en="Sign in again and pick {expected} in the account chooser (sign out of other accounts first if needed), "
    "or change the address you asked for.",
    ja="もう一度サインインし、アカウントの選択で {expected} を選んでください（必要なら先に他のアカウントから"
    "サインアウトしてください）。または指定したアドレスを変更してください。",
)
NO_EMAIL = Msg(
    en="The provider did not say which address signed in.",
    ja="プロバイダーから、どのアドレスでサインインしたかが返されませんでした。",
)
NO_EMAIL_HINT = Msg(
    en="Give the address yourself (--email ADDRESS, or the address field) and run the consent again.",
    ja="アドレスを自分で指定して（--email アドレス、またはアドレス欄）、もう一度同意を行ってください。",
)
WRONG_PROVIDER_CLIENT = Msg(
    en="This is a {actual} client, but the {expected} sign-in was asked for.",
    ja="これは {actual} のクライアントですが、{expected} のサインインが指定されました。",
)
WRONG_PROVIDER_CLIENT_HINT = Msg(
    en="Use the Google client JSON with Google and the Entra app values with Microsoft.",
    ja="Google には Google のクライアント JSON を、Microsoft には Entra のアプリの値を使ってください。",
)
GOOGLE_DEVICE = Msg(
    en="Google does not allow Gmail permissions on the 'TV and limited input' device sign-in.",
    ja="Google は「テレビと入力機能が限られたデバイス」向けのサインインでは Gmail の権限を許可していません。",
)
GOOGLE_DEVICE_HINT = Msg(
    en="Use the browser sign-in; on a remote notebook use copy-paste of the final address (--paste).",
    ja="ブラウザーでサインインしてください。ノートブックやコマンドがリモートのマシンで動いている場合は、ブラウザーが最後に開いたアドレスをコピーして貼り付けます（コマンドでは --paste）。",
)
DEVICE_NEEDS_PUBLIC = Msg(
    en="Device sign-in needs a public client: no secret is sent, and the app registration must allow public client flows.",
    ja="デバイス コードでのサインインにはパブリック クライアントが必要です。シークレットは送らず、アプリの登録で"
    "パブリック クライアント フローを許可しておく必要があります。",
)
DEVICE_NEEDS_PUBLIC_HINT = Msg(
    en="Drop the client secret, and in Entra admin center → App registrations → your app → Authentication set "
    "'Allow public client flows' to Yes. Or use the browser sign-in with the Web app and its secret.",
    ja="クライアント シークレットを外し、Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」→ 対象のアプリ →「認証」で"
    "「パブリック クライアント フローを許可する」を「はい」にしてください。またはウェブ アプリとシークレットで"
    "ブラウザーのサインインを使ってください。",
)
DEVICE_EXPIRED = Msg(
    en="The device code expired before the sign-in was completed.",
    ja="サインインが完了する前にデバイス コードの有効期限が切れました。",
)
DEVICE_EXPIRED_HINT = Msg(
    en="Start again, then open {verification_uri} and enter the new code within its time limit.",
    ja="もう一度始めて、{verification_uri} を開き、新しいコードを期限内に入力してください。",
)
TIMEOUT = Msg(
    en="No answer from the browser within {seconds} seconds.",
    ja="{seconds} 秒待ちましたが、ブラウザーからの応答がありませんでした。",
)
TIMEOUT_HINT = Msg(
    en="Start again and finish in the browser in time. If the browser showed 'This site can't be reached', the "
    "notebook runs elsewhere: copy the full address from the address bar and paste it instead (--paste). If the "
    "provider showed an error page instead (redirect_uri_mismatch, AADSTS50011 …), run `oauthmail explain` with its text.",
    ja="もう一度始めて、時間内にブラウザーで完了してください。ブラウザーに「このサイトにアクセスできません」と出た場合は"
    "ノートブックが別のマシンで動いています。アドレスバーのアドレスをすべてコピーして貼り付けてください（--paste）。"
    "プロバイダーのエラー画面（redirect_uri_mismatch、AADSTS50011 など）が出た場合は、その文面で `oauthmail explain` を実行してください。",
)
CANCELLED = Msg(en="The sign-in was stopped.", ja="サインインを中止しました。")
CANCELLED_HINT = Msg(en="Start it again when you are ready.", ja="準備ができたら、もう一度始めてください。")
PROVIDER_ERROR = Msg(
    en="The provider refused the sign-in: {error}.",
    ja="プロバイダーがサインインを受け付けませんでした: {error}。",
)
PROVIDER_ERROR_HINT = Msg(
    en="Run `oauthmail explain \"{error}\"` for what it means; check the client ID, secret, redirect address and tenant.",
    ja="`oauthmail explain \"{error}\"` で意味を確認し、クライアント ID・シークレット・リダイレクト URI・テナントを確認してください。",
)
NETWORK = Msg(
    en="Could not reach {url} ({reason}).",
    ja="{url} に接続できませんでした（{reason}）。",
)
NETWORK_HINT = Msg(
    en="Check the network, proxy and clock. For a private CA set SSL_CERT_FILE and REQUESTS_CA_BUNDLE to its PEM file.",
    ja="ネットワーク・プロキシ・時計を確認してください。独自の認証局を使う場合は SSL_CERT_FILE と REQUESTS_CA_BUNDLE に"
    "その PEM ファイルを指定してください。",
)

UNAVAILABLE = Msg(
    en="The sign-in service at {url} answered with an error of its own ({status}); this is usually temporary.",
    ja="{url} のサインイン サービスがサービス側のエラー（{status}）を返しました。多くの場合は一時的なものです。",
)
UNAVAILABLE_HINT = Msg(
    en="Wait a minute and start the sign-in again. If it keeps failing, check the provider's status page.",
    ja="1 分ほど待ってから、サインインをやり直してください。続く場合はプロバイダーの稼働状況ページを確認してください。",
)

# --- Microsoft (AADSTS) ---------------------------------------------------------------------------

AAD_REDIRECT = Msg(
    en="Microsoft rejected the return address {redirect_uri} (AADSTS50011).",
    ja="Microsoft がリダイレクト URI {redirect_uri} を受け付けませんでした（AADSTS50011）。",
)
AAD_REDIRECT_HINT = Msg(
    en="In Entra admin center → App registrations → your app → Authentication, add a Web redirect URI exactly "
    "{redirect_uri} (path and case must match; the port may differ for localhost).",
    ja="Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」→ 対象のアプリ →「認証」で、「Web」のリダイレクト URI に {redirect_uri} を"
    "そのまま追加してください（パスと大文字小文字は一致が必要、localhost のポートは違っても構いません）。",
)
AAD_SECRET_REQUIRED = Msg(
    en="Microsoft requires the client secret for this app: its redirect URI is of type Web (AADSTS7000218).",
    ja="このアプリではクライアント シークレットが必要です。リダイレクト URI の種類が Web になっています（AADSTS7000218）。",
)
AAD_SECRET_REQUIRED_HINT = Msg(
    en="Enter the secret Value (--client-secret or OAUTHMAIL_CLIENT_SECRET). For device sign-in instead, enable "
    "'Allow public client flows' and add a 'Mobile and desktop applications' redirect.",
    ja="シークレットの「値」を入力してください（--client-secret または OAUTHMAIL_CLIENT_SECRET）。デバイス コードでサインインする場合は「パブリック クライアント フローを許可する」を有効にし、「モバイル アプリケーションとデスクトップ アプリケーション」の"
    "リダイレクトを追加してください。",
)
AAD_BAD_SECRET = Msg(
    en="Microsoft says the client secret is wrong or has expired (AADSTS7000215 / 7000222).",
    ja="クライアント シークレットが間違っているか期限切れだと Microsoft が返しました（AADSTS7000215／7000222）。",
)
AAD_BAD_SECRET_HINT = Msg(
    en="Paste the secret Value, not the Secret ID. If it has expired or was not copied when created, make a new one "
    "under Certificates & secrets and copy its Value right away.",
    ja="「シークレット ID」ではなく「値」を貼り付けてください。期限切れや作成時にコピーし忘れた場合は、"
    "「証明書とシークレット」で新しいシークレットを作り、すぐに「値」をコピーしてください。",
)
AAD_PUBLIC_WITH_SECRET = Msg(
    en="This app is registered as a public (desktop) client, so no secret may be sent (AADSTS700025).",
    ja="このアプリはパブリック クライアント（デスクトップ）として登録されているため、シークレットを送れません（AADSTS700025）。",
)
AAD_PUBLIC_WITH_SECRET_HINT = Msg(
    en="Leave the client secret empty, or register the redirect under 'Web' in the app's Authentication page.",
    ja="クライアント シークレットを空にするか、アプリの「認証」ページでリダイレクトを「Web」に登録してください。",
)
AAD_ADMIN_CONSENT = Msg(
    en="Your organisation requires an administrator to approve this app's permissions (AADSTS65001 / 90094).",
    ja="組織の設定により、このアプリの権限には管理者の承認が必要です（AADSTS65001／90094）。",
)
AAD_ADMIN_CONSENT_HINT = Msg(
    en="Ask an admin to grant consent for {scopes} (App registration → API permissions → Grant admin consent), then retry.",
    ja="管理者に {scopes} への同意を依頼してください（アプリの登録 →「API のアクセス許可」→「管理者の同意を与えます」）。その後やり直してください。",
)
AAD_APP_TENANT = Msg(
    en="The app ID and the sign-in authority don't fit together (AADSTS700016 / 50194 / 9002332 / unauthorized_client).",
    ja="アプリ ID とサインイン先（authority）が合っていません（AADSTS700016／50194／9002332／unauthorized_client）。",
)
AAD_APP_TENANT_HINT = Msg(
    en="Check the Application (client) ID; use your tenant ID (not 'common') for a single-tenant app; for "
    "outlook.com/hotmail accounts allow personal Microsoft accounts and use 'consumers' or 'common'.",
    ja="アプリケーション (クライアント) ID を確認してください。シングルテナントのアプリでは common ではなくテナント ID を"
    "使います。outlook.com／hotmail のアカウントでは個人用 Microsoft アカウントを許可し、consumers か common を使ってください。",
)
AAD_POLICY = Msg(
    en="Your organisation's sign-in policy (MFA, Conditional Access or security defaults) blocked this sign-in "
    "(AADSTS50076 / 53003 / 530035).",
    ja="組織のサインイン ポリシー（多要素認証・条件付きアクセス・セキュリティの既定値群）によりサインインがブロックされました"
    "（AADSTS50076／53003／530035）。",
)
AAD_POLICY_HINT = Msg(
    en="Complete multi-factor authentication in the browser and retry, or ask your admin.",
    ja="ブラウザーで多要素認証を完了してからやり直すか、管理者に相談してください。",
)
AAD_SPA = Msg(
    en="The redirect URI is registered as 'Single-page application' (AADSTS9002327).",
    ja="リダイレクト URI が「シングルページ アプリケーション」として登録されています（AADSTS9002327）。",
)
AAD_SPA_HINT = Msg(
    en="Move it to the 'Web' platform in the app's Authentication page (SPA tokens also expire after 24 hours).",
    ja="アプリの「認証」ページで、そのリダイレクト URI を「Web」プラットフォームに移してください（SPA のトークンは 24 時間で切れます）。",
)

_AAD_CODE = re.compile(r"AADSTS(\d{5,8})")

#: AADSTS code → (what, hint, code shown)
_AAD: dict[str, tuple[Msg, Msg]] = {
    "50011": (AAD_REDIRECT, AAD_REDIRECT_HINT),
    "7000218": (AAD_SECRET_REQUIRED, AAD_SECRET_REQUIRED_HINT),
    "7000215": (AAD_BAD_SECRET, AAD_BAD_SECRET_HINT),
    "7000222": (AAD_BAD_SECRET, AAD_BAD_SECRET_HINT),
    "700025": (AAD_PUBLIC_WITH_SECRET, AAD_PUBLIC_WITH_SECRET_HINT),
    "65001": (AAD_ADMIN_CONSENT, AAD_ADMIN_CONSENT_HINT),
    "90094": (AAD_ADMIN_CONSENT, AAD_ADMIN_CONSENT_HINT),
    "700016": (AAD_APP_TENANT, AAD_APP_TENANT_HINT),
    "50194": (AAD_APP_TENANT, AAD_APP_TENANT_HINT),
    "9002332": (AAD_APP_TENANT, AAD_APP_TENANT_HINT),
    "50076": (AAD_POLICY, AAD_POLICY_HINT),
    "53003": (AAD_POLICY, AAD_POLICY_HINT),
    "530035": (AAD_POLICY, AAD_POLICY_HINT),
    "9002327": (AAD_SPA, AAD_SPA_HINT),
    "54005": (INVALID_GRANT, INVALID_GRANT_HINT),
    "501481": (INVALID_GRANT, INVALID_GRANT_HINT),
    "65004": (DENIED, DENIED_HINT),
}

_TEST_USER_WORDS = ("verification process", "developer-approved tester", "test user")


def provider_error(
    error: str,
    description: str = "",
    *,
    redirect_uri: str = "",
    email: str = "",
    scopes: Iterable[str] = (),
    secrets: Iterable[str | None] = (),
    provider: str = "",
) -> ConsentError:
    """The :class:`ConsentError` for an OAuth ``error`` (+ description) seen during consent."""
    err = (error or "").strip()[:80]
    desc = redact((description or "").strip(), secrets)[:600]
    details = f"{err}: {desc}" if desc else err
    params = {"redirect_uri": redirect_uri or "-", "email": email or "-", "scopes": " ".join(scopes) or "-",
              "error": err or "-"}
    aad = _AAD_CODE.search(desc) or _AAD_CODE.search(err)
    if aad and aad.group(1) in _AAD:
        what, hint = _AAD[aad.group(1)]
        return ConsentError(what, hint, code=f"AADSTS{aad.group(1)}", details=details, **params)
    low = err.lower()
    if low == "access_denied":
        if any(w in desc.lower() for w in _TEST_USER_WORDS):
            return ConsentError(NOT_TEST_USER, NOT_TEST_USER_HINT, code="access_denied", details=details, **params)
        if provider == "google":
            return ConsentError(GOOGLE_DENIED, DENIED_HINT, code="access_denied", details=details, **params)
        return ConsentError(DENIED, DENIED_HINT, code="access_denied", details=details, **params)
    if low == "redirect_uri_mismatch":
        return ConsentError(REDIRECT_MISMATCH_GOOGLE, REDIRECT_MISMATCH_GOOGLE_HINT, code=low, details=details,
                            **params)
    if low in ("invalid_client", "unauthorized_client") and "consumers" not in desc.lower():
        return ConsentError(INVALID_CLIENT, INVALID_CLIENT_HINT, code=low, details=details, **params)
    if low == "unauthorized_client":
        return ConsentError(AAD_APP_TENANT, AAD_APP_TENANT_HINT, code=low, details=details, **params)
    if low == "invalid_grant":
        return ConsentError(INVALID_GRANT, INVALID_GRANT_HINT, code=low, details=details, **params)
    from ..explain import explain

    entry = explain(details)
    if entry is not None:
        return ConsentError(entry.what, entry.fix, code=entry.code or entry.id, details=details, **params)
    return ConsentError(PROVIDER_ERROR, PROVIDER_ERROR_HINT, code=err or "provider_error", details=details, **params)


def network_error(url: str, exc: BaseException, secrets: Iterable[str | None] = ()) -> NetworkError:
    """A :class:`NetworkError` for a failed HTTPS call, explained by the catalog when it knows the text (TLS …)."""
    text = redact(str(exc), secrets)
    from ..explain import explain

    entry = explain(text)
    if entry is not None and entry.kind is NetworkError:
        return NetworkError(entry.what, entry.fix, code=entry.code or entry.id, details=text[:600], url=url,
                            reason=text[:200])
    return NetworkError(NETWORK, NETWORK_HINT, code="network", details=text[:600], url=url, reason=text[:200])


def unavailable(url: str, exc: BaseException) -> ConsentError:
    """The provider answered 5xx or something MSAL could not read."""
    return ConsentError(UNAVAILABLE, UNAVAILABLE_HINT, code="provider_unavailable", url=url,
                        status=redact(str(exc))[:80] or type(exc).__name__)


BAD_ADDRESS_CLAIM = Msg(
    en="The sign-in named the account {address}, which is not an e-mail address, so nothing was saved.",
    ja="サインインで返されたアカウント名 {address} がメールアドレスの形ではないため、何も保存しませんでした。",
)
BAD_ADDRESS_CLAIM_HINT = Msg(
    en="Sign in with a mailbox account (name@example.com). If the provider is not Google or Microsoft, check its "
    "address claim (email / preferred_username).",
    ja="メールボックスのアカウント（name@example.com の形）でサインインしてください。Google や Microsoft 以外の"
    "プロバイダーなら、アドレスを返す項目（email／preferred_username）を確認してください。",
)
NO_PKCE = Msg(
    en="The sign-in address was built without PKCE (no code_challenge_method=S256), so the kit will not use it.",
    ja="サインイン用のアドレスが PKCE なし（code_challenge_method=S256 がない）で作られたため、キットはこれを使いません。",
)
NO_PKCE_HINT = Msg(
    en="Update the sign-in libraries: pip install -U 'google-auth-oauthlib>=1.5' msal (or reinstall the kit), "
    "then start the sign-in again.",
    ja="サインイン用のライブラリを更新してください（pip install -U 'google-auth-oauthlib>=1.5' msal、またはキットの"
    "再インストール）。そのあとサインインを最初からやり直してください。",
)


def require_pkce(auth_url: str, verifier: object) -> None:
    """Refuse an authorization URL without an S256 ``code_challenge`` (or a flow without its verifier).

    Without PKCE a code pasted back (where ``state`` cannot be checked) could be someone else's; the
    kit never opens such a URL, whatever the installed library does by default.
    """
    query = parse_qs(urlsplit(auth_url).query)
    if (query.get("code_challenge_method") != ["S256"] or not query.get("code_challenge")
            or not isinstance(verifier, str) or not verifier):
        raise ConsentError(NO_PKCE, NO_PKCE_HINT, code="no_pkce")
