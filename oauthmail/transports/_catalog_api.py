"""Catalog entries for the HTTPS APIs (Graph ``sendMail``, Gmail ``messages.send``).

Registered by :mod:`oauthmail._catalog` ahead of the SMTP entries: the API codes are specific
(``ErrorSendAsDenied`` must not fall to SMTP's ``SendAsDenied`` entry), and the patterns are
narrow enough not to catch SMTP or token-endpoint wordings.
"""

from __future__ import annotations

from ..errors import AuthenticationError, DeliveryError, OAuthMailError
from ..explain import Entry
from ..i18n import Msg

_T = tuple[str, str]


def _e(id: str, code: str, patterns: tuple[str, ...], kind: type[OAuthMailError], title: _T, what: _T,
       causes: tuple[_T, ...], fix: _T, where: _T | None = None) -> Entry:
    return Entry(id=id, code=code, patterns=patterns, kind=kind, title=Msg(en=title[0], ja=title[1]),
                 what=Msg(en=what[0], ja=what[1]), causes=tuple(Msg(en=a, ja=b) for a, b in causes),
                 fix=Msg(en=fix[0], ja=fix[1]), where=Msg(en=where[0], ja=where[1]) if where else None)


_ENTRA_API_PERMISSIONS = (
    "Microsoft Entra admin center → App registrations → your app → API permissions",
    "Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」→ 対象のアプリ →「API のアクセス許可」",
)
_GCP_DATA_ACCESS = (
    "Google Cloud console → APIs & Services → OAuth consent screen → Data Access (scopes)",
    "Google Cloud コンソール →「Google Auth Platform」→「データアクセス」（スコープ。旧「API とサービス」→「OAuth 同意画面」）",
)

API_ENTRIES: tuple[Entry, ...] = (
    _e(
        "graph-401-invalid-token", "InvalidAuthenticationToken",
        (r"InvalidAuthenticationToken", r"Access token validation failure", r"IDX14100: JWT is not well formed",
         r"Lifetime validation failed, the token is expired"),
        AuthenticationError,
        ("Microsoft Graph did not accept the token", "Microsoft Graph がトークンを受け付けませんでした"),
        ("Graph answered 401 InvalidAuthenticationToken: the token is not for Graph (e.g. an Outlook SMTP.Send "
         "token, 'Invalid audience'), is expired, or is not a token at all.",
         "Graph が 401 InvalidAuthenticationToken を返しました。トークンが Graph 用ではない（例: Outlook の "
         "SMTP.Send 用で「Invalid audience」）、期限切れ、またはトークンとして正しくありません。"),
        (("The account was set up for SMTP (SMTP.Send) and is sent with --transport graph.",
          "SMTP（SMTP.Send）用に設定したアカウントを --transport graph で送った。"),
         ("The token expired or was revoked (password change, admin action).",
          "トークンが期限切れか取り消された（パスワード変更や管理者の操作）。")),
        ("Sending through Graph needs a token for https://graph.microsoft.com/Mail.Send: run the consent step again "
         "with --transport graph (`oauthmail consent microsoft … --transport graph`), or send with --transport smtp.",
         "Graph 経由の送信には https://graph.microsoft.com/Mail.Send 用のトークンが必要です。--transport graph を"
         "付けて同意の手順をやり直す（`oauthmail consent microsoft … --transport graph`）か、--transport smtp で"
         "送ってください。"),
        _ENTRA_API_PERMISSIONS,
    ),
    _e(
        "graph-403-access-denied", "ErrorAccessDenied",
        (r"ErrorAccessDenied", r"Access is denied\. Check credentials and try again"),
        AuthenticationError,
        ("Microsoft Graph denied sending (no Mail.Send)", "Microsoft Graph が送信を拒否しました（Mail.Send がない）"),
        ("Graph answered 403 ErrorAccessDenied: the token has no Mail.Send permission for this mailbox.",
         "Graph が 403 ErrorAccessDenied を返しました。トークンにこのメールボックスへの Mail.Send 権限がありません。"),
        (("Mail.Send is not among the app's delegated Graph permissions, or was not consented.",
          "アプリの委任された Graph のアクセス許可に Mail.Send がない、または同意されていない。"),
         ("The token was issued before Mail.Send was added.", "Mail.Send を追加する前に発行されたトークンを使っている。")),
        ("Add Microsoft Graph → Delegated permissions → Mail.Send to the app (grant admin consent if your tenant "
         "requires it), then run the consent step again with --transport graph.",
         "アプリに「Microsoft Graph」→「委任されたアクセス許可」→「Mail.Send」を追加し（テナントで必要なら"
         "「管理者の同意を与えます」も）、--transport graph を付けて同意の手順をやり直してください。"),
        _ENTRA_API_PERMISSIONS,
    ),
    _e(
        "graph-send-as-denied", "ErrorSendAsDenied",
        (r"ErrorSendAsDenied",
         r"does not have the right to send mail on behalf of the specified sending account"),
        DeliveryError,
        ("Graph: not allowed to send as this From address", "Graph: この差出人（From）として送る権限がありません"),
        ("Graph refused the message because the signed-in account has no Send As right on the From mailbox "
         "(a shared mailbox or another person).",
         "サインインしたアカウントに From のメールボックス（共有メールボックスや別の人）の「送信者」（Send As）"
         "権限がないため、Graph が拒否しました。"),
        (("From is a shared mailbox without Send As for you.", "From が、自分に Send As 権限のない共有メールボックスになっている。"),
         ("Send As was granted only recently (it can take up to an hour).",
          "Send As の権限を付けた直後（反映に最大 1 時間ほど）。")),
        ("Send from the signed-in mailbox, or have an admin grant Send As on the From mailbox (Exchange admin "
         "center → Recipients → Mailboxes → the mailbox → Delegation → Send as) and wait up to an hour.",
         "サインインしたメールボックスから送るか、管理者に From のメールボックスの「送信者」（Send As）権限を付けて"
         "もらい、最大 1 時間ほど待ってください。権限は Exchange 管理センター →「受信者」→「メールボックス」→ 対象 →"
         "「委任」→「送信者」で付けます。"),
    ),
    _e(
        "api-429-throttled", "HTTP 429",
        (r"ApplicationThrottled", r"MailboxConcurrency", r"\brateLimitExceeded\b", r"User-rate limit exceeded",
         r"\bRESOURCE_EXHAUSTED\b"),
        DeliveryError,
        ("The mail API is limiting requests (429)", "メール API が要求数を制限しています（429）"),
        ("Graph or the Gmail API answered 429 Too Many Requests: too many messages or requests in a short time.",
         "Graph または Gmail API が 429 Too Many Requests を返しました。短時間に送ったメールや要求が多すぎます。"),
        (("A batch sends faster than the service allows.", "一括送信の速度がサービスの上限を超えている。"),
         ("Gmail's daily sending limit was reached.", "Gmail の 1 日の送信上限に達した。")),
        ("Wait the number of seconds in Retry-After (the kit waits up to a minute by itself) and send again; send "
         "batches more slowly.",
         "Retry-After の秒数だけ待ってから送り直してください（キットは 1 分までは自動で待ちます）。一括送信は"
         "間隔を空けてください。"),
    ),
    _e(
        "gmail-api-403-scope", "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
        # The short forms Google's client libraries print: Python's ``<HttpError 403 when requesting …
        # returned "Insufficient Permission">``, Java's ``GoogleJsonResponseException: 403 Forbidden``
        # with ``"reason" : "insufficientPermissions"``, Go's ``googleapi: Error 403: …, insufficientPermissions``.
        (r"ACCESS_TOKEN_SCOPE_INSUFFICIENT", r"\binsufficientPermissions\b",
         r"Request had insufficient authentication scopes", r"\bInsufficient Permission\b",
         r"\binsufficient_scope\b"),
        AuthenticationError,
        ("The Gmail API needs the gmail.send permission", "Gmail API には gmail.send の許可が必要です"),
        ("The Gmail API answered 403 (insufficientPermissions / ACCESS_TOKEN_SCOPE_INSUFFICIENT): the token has no "
         "scope that may send mail. The missing scope is https://www.googleapis.com/auth/gmail.send (or a broader "
         "one: gmail.compose, gmail.modify, https://mail.google.com/).",
         "Gmail API が 403（insufficientPermissions／ACCESS_TOKEN_SCOPE_INSUFFICIENT）を返しました。トークンに"
         "メールを送れるスコープがありません。足りないのは https://www.googleapis.com/auth/gmail.send（またはより広い "
         "gmail.compose・gmail.modify・https://mail.google.com/）です。"),
        (("The Gmail box was unticked on Google's consent page.", "Google の同意画面で Gmail のチェックを外した。"),
         ("The token was made for SMTP or with other scopes (a quickstart's gmail.readonly or labels).",
          "トークンを SMTP 用、または別のスコープ（サンプルの gmail.readonly や labels など）で作った。"),
         ("A cached token file from before the scope was added is still used.",
          "スコープを追加する前に保存したトークン INI をまだ使っている。")),
        ("Repeat the consent step for the Gmail API: `oauthmail consent google --client-secrets FILE --transport "
         "gmail-api --ini FILE` (or the notebook's sign-in with 'Gmail API' chosen), and leave the box for "
         "https://www.googleapis.com/auth/gmail.send ticked on Google's page. If Google's page does not list that "
         "permission, add the scope under Data Access first.",
         "Gmail API 用に同意の手順をやり直してください: `oauthmail consent google --client-secrets ファイル "
         "--transport gmail-api --ini ファイル`（またはノートブックで「Gmail API」を選んでサインイン）。Google の"
         "画面では https://www.googleapis.com/auth/gmail.send のチェックを付けたままにします。画面にその権限が"
         "出ない場合は、先に「データアクセス」でスコープを追加してください。"),
        _GCP_DATA_ACCESS,
    ),
    _e(
        "gmail-api-mail-not-enabled", "failedPrecondition",
        (r"Mail service not enabled", r"\bfailedPrecondition\b"),
        DeliveryError,
        ("This Google account has no Gmail", "この Google アカウントでは Gmail が使えません"),
        ("The Gmail API answered 400 failedPrecondition 'Mail service not enabled': the signed-in account has no "
         "Gmail mailbox.",
         "Gmail API が 400 failedPrecondition「Mail service not enabled」を返しました。サインインした"
         "アカウントに Gmail のメールボックスがありません。"),
        (("A Google account made with another e-mail address (no Gmail).",
          "Gmail 以外のメールアドレスで作った Google アカウント（Gmail なし）。"),
         ("Google Workspace: Gmail is turned off for this user or has no licence.",
          "Google Workspace でこのユーザーの Gmail がオフ、またはライセンスがない。")),
        ("Sign in with an account that has Gmail, or ask the Workspace admin to turn Gmail on for the user "
         "(Admin console → Apps → Google Workspace → Gmail → Service status).",
         "Gmail があるアカウントでサインインするか、Workspace の管理者にこのユーザーの Gmail をオンにしてもらって"
         "ください（管理コンソール →「アプリ」→「Google Workspace」→「Gmail」→「サービスのステータス」）。"),
    ),
    _e(
        "gmail-api-disabled", "SERVICE_DISABLED",
        (r"Gmail API has not been used in project", r"\baccessNotConfigured\b", r"\bSERVICE_DISABLED\b"),
        DeliveryError,
        ("The Gmail API is not enabled in the Google Cloud project", "Google Cloud プロジェクトで Gmail API が有効になっていません"),
        ("The project of the OAuth client has not enabled the Gmail API, so every call is refused (403).",
         "OAuth クライアントのプロジェクトで Gmail API が有効になっていないため、呼び出しが拒否されました（403）。"),
        (("Only the OAuth client was created; the Gmail API was never enabled.",
          "OAuth クライアントだけ作り、Gmail API を有効にしていない。"),
         ("It was enabled a few minutes ago (it takes a little while).", "数分前に有効にしたばかり（反映に少し時間がかかる）。")),
        ("Enable it: Google Cloud console → APIs & Services → Library → Gmail API → Enable, wait a few minutes and "
         "send again.",
         "Google Cloud コンソール →「API とサービス」→「ライブラリ」→「Gmail API」→「有効にする」で有効にし、"
         "数分待ってから送り直してください。"),
    ),
    _e(
        "gmail-api-401", "UNAUTHENTICATED",
        (r"Request had invalid authentication credentials", r"\bUNAUTHENTICATED\b"),
        AuthenticationError,
        ("The Gmail API did not accept the token", "Gmail API がトークンを受け付けませんでした"),
        ("The Gmail API answered 401: the token is expired, revoked, or not a Google token.",
         "Gmail API が 401 を返しました。トークンが期限切れ、取り消し済み、または Google のトークンではありません。"),
        (("Access was removed under the Google account's third-party connections.",
          "Google アカウントの「サードパーティ製のアプリとサービスとのつながり」でアクセスを削除した。"),
         ("A Microsoft account's token was sent to the Gmail API.", "Microsoft アカウントのトークンを Gmail API に送った。")),
        ("The kit refreshes a refused cached token once by itself; if it is still refused, run the consent step "
         "again with --transport gmail-api.",
         "キャッシュしたトークンが拒否された場合、キットは 1 回だけ自動で更新します。それでも拒否されるなら、"
         "--transport gmail-api を付けて同意の手順をやり直してください。"),
    ),
)

#: Real wordings of each entry (for the catalog tests).
API_SAMPLES: dict[str, list[str]] = {
    "graph-401-invalid-token": [
        'HTTP 401 InvalidAuthenticationToken Access token validation failure. Invalid audience.',
        '{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is '
        'expired.","innerError":{"date":"2026-11-21T06:00:00"}}}',
        "IDX14100: JWT is not well formed, there are no dots (.).",
    ],
    "graph-403-access-denied": [
        'HTTP 403 ErrorAccessDenied Access is denied. Check credentials and try again.',
        '{"error":{"code":"ErrorAccessDenied","message":"Access is denied. Check credentials and try again."}}',
    ],
    "graph-send-as-denied": [
        "HTTP 403 ErrorSendAsDenied The user account which was used to submit this request does not have the right "
        "to send mail on behalf of the specified sending account., Cannot submit message.",
        '{"error":{"code":"ErrorSendAsDenied","message":"The user account which was used to submit this request '
        'does not have the right to send mail on behalf of the specified sending account."}}',
    ],
    "api-429-throttled": [
        '{"error":{"code":"ApplicationThrottled","message":"Application is over its MailboxConcurrency limit."}}',
        "HTTP 429 rateLimitExceeded RESOURCE_EXHAUSTED User-rate limit exceeded.  Retry after "
        "2026-11-21T07:00:00.000Z",
    ],
    "gmail-api-403-scope": [
        # googleapiclient's short form (github.com/IIC2233/Syllabus-2018-1/issues/807).
        '<HttpError 403 when requesting https://www.googleapis.com/gmail/v1/users/me/messages/send?alt=json returned '
        '"Insufficient Permission">',
        # google-api-java-client (github.com/googleworkspace/java-samples/issues/53).
        'com.google.api.client.googleapis.json.GoogleJsonResponseException: 403 Forbidden\n{\n  "code" : 403,\n  '
        '"errors" : [ {\n    "domain" : "global",\n    "message" : "Insufficient Permission",\n    "reason" : '
        '"insufficientPermissions"\n  } ],\n  "message" : "Insufficient Permission"\n}',
        "HTTP 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT insufficientPermissions PERMISSION_DENIED Request had "
        "insufficient authentication scopes.",
        '{"error":{"code":403,"message":"Request had insufficient authentication scopes.","errors":[{"message":'
        '"Insufficient Permission","domain":"global","reason":"insufficientPermissions"}],"status":'
        '"PERMISSION_DENIED"}}',
    ],
    "gmail-api-mail-not-enabled": [
        "HTTP 400 failedPrecondition FAILED_PRECONDITION Mail service not enabled",
        '{"error":{"code":400,"message":"Mail service not enabled","errors":[{"message":"Mail service not enabled",'
        '"domain":"global","reason":"failedPrecondition"}],"status":"FAILED_PRECONDITION"}}',
    ],
    "gmail-api-disabled": [
        "Gmail API has not been used in project 104729384756 before or it is disabled. Enable it by visiting "
        "https://console.developers.google.com/apis/api/gmail.googleapis.com/overview?project=104729384756",
        "HTTP 403 SERVICE_DISABLED accessNotConfigured PERMISSION_DENIED",
    ],
    "gmail-api-401": [
        "HTTP 401 authError UNAUTHENTICATED Request had invalid authentication credentials. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential.",
        '{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}',
    ],
}
