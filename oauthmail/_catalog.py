"""The entries of :mod:`oauthmail.explain`'s catalog (registered on first use)."""

from __future__ import annotations

from .errors import AuthenticationError, TokenError
from .explain import Entry, register
from .i18n import Msg

register(
    Entry(
        id="smtp-535-5.7.139",
        code="535 5.7.139",
        patterns=(r"5\.7\.139", r"SmtpClientAuthentication is disabled"),
        kind=AuthenticationError,
        title=Msg(en="SMTP sending is turned off for this Microsoft 365 mailbox",
                  ja="この Microsoft 365 メールボックスでは SMTP 送信がオフになっています"),
        what=Msg(
            en="Your sign-in worked, but Microsoft 365 has SMTP AUTH (Authenticated SMTP) turned off for this mailbox or tenant.",
            ja="サインインは成功しましたが、Microsoft 365 側でこのメールボックス（またはテナント）の SMTP 認証（認証済み SMTP）がオフになっています。",
        ),
        fix=Msg(
            en="An admin opens Microsoft 365 admin center → Users → Active users → the user → Mail → Manage email apps, "
            "ticks 'Authenticated SMTP' and saves (or runs Set-CASMailbox -Identity <user> -SmtpClientAuthenticationDisabled $false). "
            "It can take a while to apply. Or send through Microsoft Graph instead (--transport graph).",
            ja="管理者が Microsoft 365 管理センター → ユーザー → アクティブなユーザー → 対象ユーザー → メール → メールアプリを管理する を開き、"
            "「認証済み SMTP」にチェックを入れて保存します（PowerShell なら Set-CASMailbox -Identity <ユーザー> -SmtpClientAuthenticationDisabled $false）。"
            "反映まで時間がかかることがあります。Microsoft Graph 経由で送る方法もあります（--transport graph）。",
        ),
    ),
    Entry(
        id="oauth-invalid_grant",
        code="invalid_grant",
        patterns=(r"invalid_grant",),
        kind=TokenError,
        title=Msg(en="The refresh token no longer works", ja="リフレッシュトークンが使えなくなっています"),
        what=Msg(en="The provider refused the saved refresh token (invalid_grant).",
                 ja="保存されているリフレッシュトークンをプロバイダーが受け付けませんでした（invalid_grant）。"),
        fix=Msg(
            en="Run the consent step again (notebook or `oauthmail consent`) and use the new token file.",
            ja="同意の手順（ノートブックまたは `oauthmail consent`）をもう一度行い、新しいトークンファイルを使ってください。",
        ),
    ),
)
