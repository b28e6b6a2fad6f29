"""The entries of :mod:`oauthmail.explain`'s catalog (registered on first use).

Order matters: the first entry that matches wins, so specific wordings (an AADSTS code, a
5.7.139 variant, "Missing code verifier") come before the general ones they also contain
(``invalid_grant``, ``535``, "Connection refused"). ``tests/test_explain.py`` checks that no
entry shadows another for the real wordings it lists.

Texts follow the consoles' own labels: Google Cloud console 「API とサービス」「OAuth 同意画面」
「対象」「テストユーザー」「認証情報」; Microsoft Entra 管理センター「アプリの登録」「認証」
「証明書とシークレット」「API のアクセス許可」; Microsoft 365 管理センター「アクティブなユーザー」
「メール アプリの管理」「認証済み SMTP」.
"""

from __future__ import annotations

from .errors import (
    AuthenticationError,
    ConfigError,
    ConsentError,
    DeliveryError,
    NetworkError,
    OAuthMailError,
    TokenError,
)
from .explain import Entry, register
from .i18n import Msg
from .i18n.labels import L_START, quote

_T = tuple[str, str]


def _e(
    id: str,
    code: str,
    patterns: tuple[str, ...],
    kind: type[OAuthMailError],
    title: _T,
    what: _T,
    causes: tuple[_T, ...],
    fix: _T,
    where: _T | None = None,
) -> Entry:
    """An entry from (en, ja) pairs: keeps the table below readable."""
    return Entry(
        id=id,
        code=code,
        patterns=patterns,
        kind=kind,
        title=Msg(en=title[0], ja=title[1]),
        what=Msg(en=what[0], ja=what[1]),
        causes=tuple(Msg(en=en, ja=ja) for en, ja in causes),
        fix=Msg(en=fix[0], ja=fix[1]),
        where=Msg(en=where[0], ja=where[1]) if where else None,
    )


# Where things are, reused by several entries.
_GCP_TEST_USERS = (
    "Google Cloud console → Google Auth Platform → Audience → Test users (formerly APIs & Services → OAuth consent "
    "screen)",
    "Google Cloud コンソール →「Google Auth Platform」→「対象」→「テストユーザー」（旧「API とサービス」→「OAuth 同意画面」）",
)
_GCP_CLIENTS = (
    "Google Cloud console → Google Auth Platform → Clients → your client (formerly APIs & Services → Credentials → "
    "OAuth 2.0 Client IDs)",
    "Google Cloud コンソール →「Google Auth Platform」→「クライアント」→ 対象のクライアント（旧「API とサービス」→"
    "「認証情報」→「OAuth 2.0 クライアント ID」）",
)
_GCP_PUBLISHING = (
    "Google Cloud console → Google Auth Platform → Audience → Publishing status (formerly APIs & Services → OAuth "
    "consent screen)",
    "Google Cloud コンソール →「Google Auth Platform」→「対象」→「公開ステータス」（旧「API とサービス」→「OAuth 同意画面」）",
)
_GOOGLE_PERMISSIONS = (
    "myaccount.google.com → Security → Your connections to third-party apps & services",
    "myaccount.google.com →「セキュリティ」→「サードパーティ製のアプリとサービスとのつながり」",
)
_ENTRA_AUTH = (
    "Microsoft Entra admin center → Entra ID → App registrations → your app → Authentication (Azure portal: "
    "Microsoft Entra ID → App registrations)",
    "Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」→ 対象のアプリ →「認証」（Azure portal では"
    "「Microsoft Entra ID」→「アプリの登録」）",
)
_ENTRA_SECRETS = (
    "Microsoft Entra admin center → Entra ID → App registrations → your app → Certificates & secrets → "
    "Client secrets",
    "Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」→ 対象のアプリ →「証明書とシークレット」→「クライアント シークレット」",
)
_ENTRA_PERMS = (
    "Microsoft Entra admin center → Entra ID → App registrations → your app → API permissions → Grant admin "
    "consent",
    "Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」→ 対象のアプリ →「API のアクセス許可」→「管理者の同意を与えます」",
)
_ENTRA_OVERVIEW = (
    "Microsoft Entra admin center → Entra ID → App registrations → your app → Overview (Application (client) ID, "
    "Directory (tenant) ID) and Authentication → Supported account types",
    "Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」→ 対象のアプリ →「概要」（アプリケーション (クライアント) ID・"
    "ディレクトリ (テナント) ID）と「認証」→「サポートされているアカウントの種類」",
)
_ENTRA_SIGNIN_LOGS = (
    "Microsoft Entra admin center → Identity → Monitoring & health → Sign-in logs; "
    "Protection → Conditional Access",
    "Microsoft Entra 管理センター →「Entra ID」→「監視と正常性」→「サインイン ログ」、および「Entra ID」→「条件付きアクセス」",
)
_M365_SMTP = (
    "Microsoft 365 admin center → Users → Active users → the user → Mail → Manage email apps → Authenticated SMTP",
    "Microsoft 365 管理センター →「ユーザー」→「アクティブなユーザー」→ 対象ユーザー →「メール」→"
    "「メール アプリの管理」→「認証済み SMTP」",
)
_NET_SETTINGS = (
    "Your computer's network/proxy settings (HTTPS_PROXY, NO_PROXY) and the company firewall",
    "このコンピューターのネットワーク／プロキシ設定（HTTPS_PROXY・NO_PROXY）と社内ファイアウォール",
)
_REDO_CONSENT = (
    "Run the consent step again (notebook button or `oauthmail consent …`) and use the new token INI.",
    "同意の手順（ノートブックのボタンまたは `oauthmail consent …`）をもう一度行い、新しいトークン INI を使ってください。",
)

# HTTPS APIs (Graph sendMail, Gmail messages.send) first: their codes are specific, and Graph's
# ErrorSendAsDenied must not fall to the SMTP SendAsDenied entry (entries: oauthmail/transports/_catalog_api.py).
from .registration._catalog_microsoft import REGISTRATION_ENTRIES  # noqa: E402  (register microsoft; narrower)
from .transports._catalog_api import API_ENTRIES  # noqa: E402

register(*REGISTRATION_ENTRIES)

register(*API_ENTRIES)

# ------------------------------------------------------------------------------------------------
# SMTP replies (Microsoft 365 / Exchange Online)
# ------------------------------------------------------------------------------------------------

register(
    _e(
        "smtp-535-5.7.139-security-defaults", "535 5.7.139",
        (r"(?<![\d.])5\.7\.139.{0,200}security defaults", r"locked by your organi[sz]ation'?s security defaults"),
        AuthenticationError,
        ("Microsoft 365 security defaults block SMTP sign-in",
         "Microsoft 365 のセキュリティの既定値群が SMTP のサインインを止めています"),
        ("The tenant has 'security defaults' turned on, which disables SMTP AUTH for every mailbox, "
         "even with a valid OAuth token.",
         "テナントで「セキュリティの既定値群」が有効になっており、OAuth トークンが正しくても全メールボックスで "
         "SMTP 認証が無効になっています。"),
        (("Security defaults are on for the tenant.", "テナントでセキュリティの既定値群が有効になっている。"),
         ("The account is locked by the security defaults policy.",
          "アカウントがセキュリティの既定値群のポリシーでロックされている。")),
        ("An admin either turns off security defaults (and protects sign-ins with Conditional Access instead), "
         "or you send through Microsoft Graph (--transport graph), which is not affected.",
         "管理者がセキュリティの既定値群をオフにして条件付きアクセスで保護し直すか、影響を受けない "
         "Microsoft Graph 経由の送信（--transport graph）に切り替えてください。"),
        ("Microsoft Entra admin center → Identity → Overview → Properties → Manage security defaults",
         "Microsoft Entra 管理センター →「Entra ID」→「概要」→「プロパティ」→「セキュリティの既定値群の管理」"),
    ),
    _e(
        "smtp-535-5.7.139-basic", "535 5.7.139",
        (r"(?<![\d.])5\.7\.139.{0,80}basic authentication is disabled",),
        AuthenticationError,
        ("A password login was refused by Microsoft 365", "Microsoft 365 がパスワードでのログインを拒否しました"),
        ("The program logged in with a password (Basic authentication), which this tenant has turned off.",
         "プログラムがパスワード（基本認証）でログインしようとしましたが、このテナントでは無効になっています。"),
        (("The program is set to AUTH LOGIN/PLAIN instead of XOAUTH2.",
          "プログラムが XOAUTH2 ではなく AUTH LOGIN／PLAIN を使う設定になっている。"),
         ("An old script still holds the mailbox password.", "古いスクリプトがまだメールボックスのパスワードを使っている。")),
        ("Send with the OAuth token from this kit (`oauthmail send --ini FILE`, or `oauthmail token --xoauth2` "
         "for msmtp and similar tools); remove the stored password.",
         "このキットの OAuth トークンで送信してください（`oauthmail send --ini ファイル`、msmtp などには "
         "`oauthmail token --xoauth2`）。保存してあるパスワードは削除しましょう。"),
    ),
    _e(
        "smtp-535-5.7.139-criteria", "535 5.7.139",
        (r"(?<![\d.])5\.7\.139.{0,80}did not meet the criteria",),
        AuthenticationError,
        ("Microsoft 365 refused this SMTP sign-in by policy", "Microsoft 365 がポリシーにより SMTP サインインを拒否しました"),
        ("The token was accepted as a token, but a sign-in policy of the organisation rejected this login.",
         "トークン自体は有効でしたが、組織のサインイン ポリシーによりこのログインが拒否されました。"),
        (("A Conditional Access policy blocks this location, device or app.",
          "条件付きアクセスのポリシーがこの場所・デバイス・アプリを止めている。"),
         ("The account is disabled or blocked from sign-in.", "アカウントが無効化またはサインイン禁止になっている。")),
        ("Ask an admin to look up this sign-in in the Entra sign-in logs; it names the policy that failed.",
         "管理者に Entra のサインイン ログでこのサインインを確認してもらってください。失敗したポリシー名が表示されます。"),
        _ENTRA_SIGNIN_LOGS,
    ),
    Entry(
        id="smtp-535-5.7.139",
        code="535 5.7.139",
        patterns=(r"(?<![\d.])5\.7\.139", r"SmtpClientAuthentication is disabled", r"aka\.ms/smtp_auth_disabled"),
        kind=AuthenticationError,
        title=Msg(en="SMTP sending is turned off for this Microsoft 365 mailbox",
                  ja="この Microsoft 365 メールボックスでは SMTP 送信がオフになっています"),
        what=Msg(
            en="Your sign-in worked, but Microsoft 365 has SMTP AUTH (Authenticated SMTP) turned off for this mailbox "
            "or tenant.",
            ja="サインインは成功しましたが、Microsoft 365 側でこのメールボックス（またはテナント）の SMTP 認証"
            "（認証済み SMTP）がオフになっています。",
        ),
        causes=(
            Msg(en="Authenticated SMTP is off for the mailbox (SmtpClientAuthenticationDisabled = True).",
                ja="メールボックスの「認証済み SMTP」がオフ（SmtpClientAuthenticationDisabled = True）。"),
            Msg(en="It is off for the whole tenant and the mailbox follows the tenant setting.",
                ja="テナント全体でオフになっており、メールボックスがテナントの設定に従っている。"),
            Msg(en="It was just turned on and has not taken effect yet.", ja="オンにした直後でまだ反映されていない。"),
        ),
        fix=Msg(
            en="An admin opens Microsoft 365 admin center → Users → Active users → the user → Mail → Manage email apps, "
            "ticks 'Authenticated SMTP' and saves (or runs Set-CASMailbox -Identity <user> "
            "-SmtpClientAuthenticationDisabled $false). It can take a while to apply. Or send through Microsoft Graph "
            "instead (--transport graph).",
            ja="管理者が Microsoft 365 管理センター →「ユーザー」→「アクティブなユーザー」→ 対象ユーザー →「メール」→"
            "「メール アプリの管理」を開き、「認証済み SMTP」にチェックを入れて保存します（PowerShell なら "
            "Set-CASMailbox -Identity <ユーザー> -SmtpClientAuthenticationDisabled $false）。"
            "反映まで時間がかかることがあります。Microsoft Graph 経由で送る方法もあります（--transport graph）。",
        ),
        where=Msg(en=_M365_SMTP[0], ja=_M365_SMTP[1]),
    ),
    _e(
        "smtp-535-5.7.3", "535 5.7.3",
        (r"(?<![\d.])5\.7\.3\b", r"535[ -]Authentication unsuccessful"),
        AuthenticationError,
        ("Microsoft 365 rejected the access token", "Microsoft 365 がアクセス トークンを拒否しました"),
        ("Exchange Online did not accept the XOAUTH2 login (535 5.7.3 Authentication unsuccessful).",
         "Exchange Online が XOAUTH2 でのログインを受け付けませんでした（535 5.7.3 Authentication unsuccessful）。"),
        (("The token is for Microsoft Graph (Mail.Send) instead of Outlook: SMTP needs "
          "https://outlook.office.com/SMTP.Send.",
          "トークンが Outlook 用ではなく Microsoft Graph（Mail.Send）用になっている。SMTP には "
          "https://outlook.office.com/SMTP.Send が必要。"),
         ("You signed in as a different account than the address in user= (the INI section).",
          "サインインしたアカウントと、user=（INI のセクション名）のアドレスが違う。"),
         ("The access token has expired.", "アクセス トークンの有効期限が切れている。"),
         ("For a shared mailbox: the signed-in user has no Full Access to it.",
          "共有メールボックスの場合: サインインしたユーザーにフル アクセス権がない。")),
        ("Check the INI: scopes must contain https://outlook.office.com/SMTP.Send and the section must be the "
         "address you signed in with. Then run `oauthmail doctor --ini FILE`; if it still fails, run the consent "
         "step again with the SMTP.Send scope.",
         "INI を確認してください: scopes に https://outlook.office.com/SMTP.Send が含まれ、セクション名が"
         "サインインしたアドレスと同じであること。そのうえで `oauthmail doctor --ini ファイル` を実行し、"
         "それでも失敗するなら SMTP.Send のスコープで同意の手順をやり直してください。"),
        _ENTRA_PERMS,
    ),
    _e(
        "smtp-550-5.7.30", "550 5.7.30",
        (r"(?<![\d.])5\.7\.30\b", r"Basic authentication is not supported for Client Submission"),
        AuthenticationError,
        ("Password login to Microsoft 365 SMTP is retired", "Microsoft 365 の SMTP ではパスワード ログインが廃止されています"),
        ("The program logged in with a password; Microsoft 365 no longer accepts Basic authentication for SMTP.",
         "プログラムがパスワードでログインしましたが、Microsoft 365 の SMTP は基本認証を受け付けなくなっています。"),
        (("The program still uses AUTH LOGIN with the mailbox password.",
          "プログラムがまだメールボックスのパスワードで AUTH LOGIN を使っている。"),),
        ("Use the OAuth token from this kit instead of the password (`oauthmail send`, or "
         "`oauthmail token --xoauth2` for other tools).",
         "パスワードの代わりにこのキットの OAuth トークンを使ってください（`oauthmail send`、他のツールには "
         "`oauthmail token --xoauth2`）。"),
    ),
    _e(
        "smtp-530-5.7.57", "530 5.7.57",
        (r"(?<![\d.])5\.7\.57\b", r"Client (?:was )?not authenticated to send", r"530[ -]5\.7\.0\b",
         r"Must issue a STARTTLS command first", r"530[ -].{0,20}Authentication Required"),
        DeliveryError,
        ("The server wanted a login before MAIL FROM", "MAIL FROM の前にログインが必要です"),
        ("Exchange received the message without a successful login (530 5.7.57 Client not authenticated).",
         "ログインが成功しないまま送信が始まったため、Exchange が拒否しました（530 5.7.57）。"),
        (("The program skipped AUTH, or AUTH failed and the program went on anyway.",
          "プログラムが AUTH を行っていない、または AUTH 失敗後もそのまま送信を続けた。"),
         ("AUTH was sent before STARTTLS (Exchange only offers AUTH after STARTTLS).",
          "STARTTLS の前に AUTH を送った（Exchange は STARTTLS 後にしか AUTH を受け付けない）。")),
        ("Send with `oauthmail send` (it does STARTTLS, EHLO, then AUTH XOAUTH2), or configure your tool for "
         "STARTTLS on port 587 with XOAUTH2.",
         "`oauthmail send` で送るか（STARTTLS → EHLO → AUTH XOAUTH2 の順に行います）、お使いのツールを "
         "587 番ポートの STARTTLS と XOAUTH2 に設定してください。"),
    ),
    _e(
        "smtp-554-5.2.252", "554 5.2.252",
        (r"(?<![\d.])5\.2\.252", r"SendAsDenied", r"(?<![\d.])5\.7\.60\b", r"not have permissions to send as this sender"),
        DeliveryError,
        ("Not allowed to send as this From address", "この差出人（From）としての送信が許可されていません"),
        ("Exchange refused the message because the From address is not the signed-in mailbox and it has no "
         "'Send As' right for it.",
         "From のアドレスがサインインしたメールボックスと違い、その「送信者」（Send As）権限もないため、"
         "Exchange が拒否しました。"),
        (("From is another mailbox, a shared mailbox or a group.", "From が別のメールボックス・共有メールボックス・グループになっている。"),
         ("Send As was granted only recently (it can take up to an hour).", "Send As の権限を付けた直後（反映に最大 1 時間ほど）。")),
        ("Send from the signed-in mailbox, or have an admin grant Send As on the From address "
         "(Exchange admin center → Recipients → Mailboxes → the mailbox → Delegation → Send as).",
         "サインインしたメールボックスから送るか、管理者に From のアドレスへの「送信者」（Send As）権限を付けてもらってください。"
         "権限は Exchange 管理センター →「受信者」→「メールボックス」→ 対象 →「委任」→「送信者」で付けます。"),
        ("Exchange admin center → Recipients → Mailboxes → the mailbox → Delegation → Send as",
         "Exchange 管理センター →「受信者」→「メールボックス」→ 対象のメールボックス →「委任」→「送信者」（Send as）"),
    ),
    _e(
        "smtp-500-5.5.6", "500 5.5.6",
        (r"(?<![\d.])5\.5\.6\b", r"(?:exchange )?line is too long", r"\b500\b.{0,20}line too long"),
        AuthenticationError,
        ("The server found a command line too long", "コマンドの行が長すぎるため、サーバーが拒否しました"),
        ("The token was sent on the same line as AUTH XOAUTH2 and the server's line limit is shorter than that "
         "line (Exchange: 'Authentication Exchange line is too long').",
         "トークンを AUTH XOAUTH2 と同じ行で送ったため、サーバーの 1 行の上限を超えました"
         "（Exchange の 'Authentication Exchange line is too long'）。"),
        (("The client sends the initial response inline (AUTH XOAUTH2 <token>).",
          "クライアントが初期応答を同じ行で送っている（AUTH XOAUTH2 <トークン>）。"),),
        ("Send `AUTH XOAUTH2` alone and the token after the server's empty 334 reply (the kit does this for "
         "Microsoft; in smtplib use auth(..., initial_response_ok=False)).",
         "`AUTH XOAUTH2` だけを送り、サーバーの空の 334 応答の後にトークンを送ってください（キットは Microsoft "
         "向けにそうしています。smtplib なら auth(..., initial_response_ok=False)）。"),
    ),
)

# ------------------------------------------------------------------------------------------------
# SMTP replies (Gmail)
# ------------------------------------------------------------------------------------------------

register(
    _e(
        "smtp-gmail-password-login", "534 5.7.9",
        (r"(?<![\d.])5\.7\.9\b", r"Application-specific password required", r"(?<![\d.])5\.7\.14\b", r"log in via your web browser",
         r"InvalidSecondFactor"),
        AuthenticationError,
        ("Gmail refused a password login", "Gmail がパスワードでのログインを拒否しました"),
        ("The program logged in to Gmail with a password, not with an OAuth token.",
         "プログラムが OAuth トークンではなくパスワードで Gmail にログインしようとしました。"),
        (("The program uses AUTH LOGIN/PLAIN with the account password.",
          "プログラムがアカウントのパスワードで AUTH LOGIN／PLAIN を使っている。"),),
        ("Send with the OAuth token from this kit (`oauthmail send`, or `oauthmail token --xoauth2`).",
         "このキットの OAuth トークンで送ってください（`oauthmail send`、または `oauthmail token --xoauth2`）。"),
    ),
    _e(
        "smtp-gmail-535-5.7.8", "535 5.7.8",
        (r"(?<![\d.])5\.7\.8\b", r"BadCredentials", r"Username and Password not accepted",
         r'"schemes"\s*:\s*"bearer', r"535[ -]5\.7\.1\b"),
        AuthenticationError,
        ("Gmail refused the access token", "Gmail がアクセス トークンを拒否しました"),
        ("Gmail answered the XOAUTH2 login with an error (a 334 with JSON such as {{\"status\":\"400\"}}, then "
         "535 5.7.8 Username and Password not accepted).",
         "Gmail が XOAUTH2 のログインにエラーを返しました（{{\"status\":\"400\"}} などの JSON を含む 334 の後に "
         "535 5.7.8 Username and Password not accepted）。"),
        (("The access token has expired or was revoked.", "アクセス トークンの期限切れ、または取り消し。"),
         ("The token belongs to a different Google account than user= (the INI section).",
          "トークンが user=（INI のセクション名）とは別の Google アカウントのもの。"),
         ("The token lacks the https://mail.google.com/ scope (gmail.send only works with the Gmail API, not SMTP, "
          "or the box was unticked on the consent page).",
          "トークンに https://mail.google.com/ のスコープがない（gmail.send は Gmail API 専用で SMTP では使えない、"
          "または同意画面でチェックが外された）。")),
        ("Run `oauthmail doctor --ini FILE` (it refreshes the token and retries). If it still fails, run the consent "
         "step again with the same Google account and leave every box ticked on the consent page.",
         "`oauthmail doctor --ini ファイル` を実行してください（トークンを更新して再試行します）。それでも失敗する"
         "場合は、同じ Google アカウントで同意の手順をやり直し、同意画面のチェックはすべて付けたままにしてください。"),
        _GOOGLE_PERMISSIONS,
    ),
)

# ------------------------------------------------------------------------------------------------
# SMTP replies (any provider): delivery, limits, temporary failures, protocol
# ------------------------------------------------------------------------------------------------

register(
    _e(
        "smtp-550-5.1.1", "550 5.1.1",
        (r"(?<![\d.])5\.1\.1\b", r"(?:recipient|address) rejected", r"does not exist\. Please try double-checking",
         r"RESOLVER\.ADR\.RecipNotFound"),
        DeliveryError,
        ("A recipient address does not exist", "宛先のアドレスが存在しません"),
        ("The login worked; the server refused a recipient because the mailbox does not exist.",
         "ログインは成功しました。宛先のメールボックスが存在しないため、サーバーが拒否しました。"),
        (("A typo in the address.", "アドレスの入力ミス。"),
         ("The recipient's mailbox was deleted or renamed.", "宛先のメールボックスが削除または名前変更された。")),
        ("Check the recipient address and send again; the other recipients were not affected unless the server "
         "says so.",
         "宛先アドレスを確認して送り直してください。サーバーが特に示さない限り、他の宛先には影響していません。"),
    ),
    _e(
        "smtp-sending-limit", "550 5.4.5",
        (r"(?<![\d.])5\.4\.5\b", r"sending limit exceeded", r"OutboundSpamException", r"(?<![\d.])5\.7\.708\b",
         r"(?<![\d.])5\.1\.90\b", r"exceeded .{0,20}(?:recipient|message) rate limit"),
        DeliveryError,
        ("The mailbox hit a sending limit", "送信上限に達しました"),
        ("The provider stopped accepting mail from this mailbox for now (daily limit or suspected spam).",
         "送信上限または迷惑メールの疑いのため、プロバイダーがこのメールボックスからの送信を一時的に止めています。"),
        (("Too many messages or recipients in one day.", "1 日に送ったメールまたは宛先が多すぎる。"),
         ("The account is restricted after sending that looked like spam.", "迷惑メールと見なされた送信の後に制限された。")),
        ("Wait (Gmail: up to 24 hours). For Microsoft 365, an admin checks Microsoft Defender → Restricted entities "
         "and releases the user. Spread large sends over time.",
         "時間をおいてください（Gmail は最大 24 時間）。Microsoft 365 では管理者が Microsoft Defender →"
         "「制限付きエンティティ」で解除します。大量送信は時間を分けて行ってください。"),
        ("Microsoft Defender portal → Email & collaboration → Review → Restricted entities",
         "Microsoft Defender ポータル →「メールとコラボレーション」→「確認」→「制限付きエンティティ」"),
    ),
    _e(
        "smtp-4xx-temporary", "421/454",
        (r"(?<![\d.])421[ -]", r"(?<![\d.])45[0-4][ -]4\.\d", r"(?<![\d.])432[ -]4\.", r"Too many login attempts",
         r"temporary system problem"),
        DeliveryError,
        ("The mail server asked to try again later", "メールサーバーから、後で再試行するよう求められました"),
        ("A temporary failure (4xx): the server is busy, rate-limiting, or closed the connection. Nothing is "
         "wrong with the setup as such.",
         "一時的な失敗（4xx）です。サーバーが混雑している、回数制限をかけている、または接続を閉じました。"
         "設定そのものの問題ではありません。"),
        (("Too many logins or connections in a short time.", "短時間にログインや接続が多すぎる。"),
         ("The provider has a temporary problem.", "プロバイダー側の一時的な障害。"),
         ("The connection stayed idle too long.", "接続が長く無操作のままだった。")),
        ("Wait a few minutes and send again; reuse one connection for several messages instead of logging in for "
         "each. If it persists for hours, check the provider's service status page.",
         "数分待ってから再送してください。1 通ごとにログインせず、1 つの接続で複数のメールを送るようにしましょう。"
         "何時間も続く場合はプロバイダーのサービス状態ページを確認してください。"),
    ),
    _e(
        "smtp-no-xoauth2", "AUTH",
        (r"No suitable authentication method found", r"AUTH extension not supported", r"does not (?:advertise|offer) "
         r"(?:AUTH )?(?:XOAUTH2|OAUTHBEARER)", r"Unrecognized authentication type", r"504[ -]5\.7\.4\b"),
        AuthenticationError,
        ("The server did not offer XOAUTH2", "サーバーが XOAUTH2 に対応していません"),
        ("The mail server's EHLO reply does not list AUTH XOAUTH2 (or OAUTHBEARER), so a token login is impossible "
         "on this connection.",
         "メールサーバーの EHLO 応答に AUTH XOAUTH2（または OAUTHBEARER）がなく、この接続ではトークンでログインできません。"),
        (("AUTH was asked before STARTTLS (servers only offer it after TLS).",
          "STARTTLS の前に AUTH を求めた（サーバーは TLS の後にしか AUTH を示さない）。"),
         ("Wrong host: a relay or a company mail gateway instead of smtp.gmail.com / smtp.office365.com.",
          "ホストが違う: smtp.gmail.com／smtp.office365.com ではなく社内ゲートウェイや中継サーバーにつないでいる。"),
         ("OAUTHBEARER chosen for Microsoft, which only offers XOAUTH2.",
          "Microsoft に OAUTHBEARER を指定した（Microsoft は XOAUTH2 のみ）。")),
        ("Check smtp_host, smtp_port and smtp_security in the INI (Gmail: smtp.gmail.com 587 starttls; Microsoft: "
         "smtp.office365.com 587 starttls) and set sasl_mechanism = XOAUTH2.",
         "INI の smtp_host・smtp_port・smtp_security を確認し（Gmail: smtp.gmail.com 587 starttls、Microsoft: "
         "smtp.office365.com 587 starttls）、sasl_mechanism = XOAUTH2 にしてください。"),
    ),
)

# ------------------------------------------------------------------------------------------------
# Microsoft identity platform (AADSTS codes) — before the generic OAuth errors they come with
# ------------------------------------------------------------------------------------------------

register(
    _e(
        "aadsts-50011", "AADSTS50011",
        (r"AADSTS50011\b", r"redirect URI .{0,120}does not match the redirect URIs configured"),
        ConsentError,
        ("Microsoft rejected the return address (redirect URI)", "Microsoft がリダイレクト URI を拒否しました"),
        ("The redirect URI the kit sent is not registered for the app (AADSTS50011).",
         "キットが送ったリダイレクト URI がアプリに登録されていません（AADSTS50011）。"),
        (("The URI is missing, or the path/case differs (http://localhost:48888/callback).",
          "URI が未登録、またはパスや大文字小文字が違う（http://localhost:48888/callback）。"),
         ("It was added under another platform than Web.", "「Web」以外のプラットフォームに追加されている。"),
         ("The wrong app (client id) is used.", "別のアプリ（クライアント ID）を使っている。")),
        ("In Entra admin center → App registrations → your app → Authentication, add a Web redirect URI exactly "
         "http://localhost:48888/callback (the path and case must match; the port may differ), save, and retry.",
         "Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」→ 対象のアプリ →「認証」で、「Web」のリダイレクト URI に "
         "http://localhost:48888/callback をそのまま追加して保存し、やり直してください（パスと大文字小文字は一致が"
         "必要、ポートは違っても可）。"),
        _ENTRA_AUTH,
    ),
    _e(
        "aadsts-7000218", "AADSTS7000218",
        (r"AADSTS7000218\b", r"must contain the following parameter: 'client_assertion' or 'client_secret'"),
        TokenError,
        ("Microsoft needs the client secret for this app", "このアプリには Microsoft がクライアント シークレットを求めています"),
        ("The app is confidential (its redirect URI is of type Web), so the token request must carry the secret "
         "(AADSTS7000218).",
         "リダイレクト URI が「Web」のためアプリは機密クライアント扱いで、トークン要求にシークレットが必要です"
         "（AADSTS7000218）。"),
        (("The secret field was left empty.", "シークレットの欄が空だった。"),
         ("Device sign-in was used with a Web-only app registration.", "「Web」のリダイレクトしかないアプリ登録で、デバイス コードでのサインインを使った。")),
        ("Enter the client secret Value. For device sign-in instead, set 'Allow public client flows' = Yes and add a "
         "'Mobile and desktop applications' redirect.",
         "クライアント シークレットの「値」を入力してください。デバイス コードでサインインする場合は「パブリック クライアント "
         "フローを許可する」を「はい」にし、「モバイル アプリケーションとデスクトップ アプリケーション」のリダイレクトを"
         "追加してください。"),
        _ENTRA_AUTH,
    ),
    _e(
        "aadsts-7000215", "AADSTS7000215",
        (r"AADSTS7000215\b", r"Invalid client secret provided", r"AADSTS70002\b"),
        TokenError,
        ("The client secret is wrong", "クライアント シークレットが違います"),
        ("Microsoft rejected the client secret (AADSTS7000215).",
         "Microsoft がクライアント シークレットを受け付けませんでした（AADSTS7000215）。"),
        (("The Secret ID was pasted instead of the secret Value.", "シークレットの「値」ではなく「シークレット ID」を貼り付けた。"),
         ("The secret belongs to another app registration.", "別のアプリ登録のシークレットを使っている。"),
         ("Characters were lost when copying.", "コピーの際に文字が欠けた。")),
        ("Create a new secret under Certificates & secrets, copy its Value (shown only once), and enter it again.",
         "「証明書とシークレット」で新しいシークレットを作り、その「値」（一度しか表示されません）をコピーして"
         "入力し直してください。"),
        _ENTRA_SECRETS,
    ),
    _e(
        "aadsts-7000222", "AADSTS7000222",
        (r"AADSTS7000222\b", r"client secret keys .{0,40}are expired"),
        TokenError,
        ("The client secret has expired", "クライアント シークレットの有効期限が切れています"),
        ("The app's client secret is past its expiry date (AADSTS7000222).",
         "アプリのクライアント シークレットが有効期限を過ぎています（AADSTS7000222）。"),
        (("Secrets expire after the period chosen when created (at most 24 months).",
          "シークレットは作成時に選んだ期間（最長 24 か月）で失効する。"),),
        ("Create a new secret under Certificates & secrets, put its Value in the INI (client_secret) and its expiry "
         "in client_secret_expires_at so `oauthmail doctor` warns next time.",
         "「証明書とシークレット」で新しいシークレットを作り、その「値」を INI の client_secret に、有効期限を "
         "client_secret_expires_at に書いてください（次回は `oauthmail doctor` が事前に警告します）。"),
        _ENTRA_SECRETS,
    ),
    _e(
        "aadsts-700025", "AADSTS700025",
        (r"AADSTS700025\b", r"Client is public so neither 'client_assertion' nor 'client_secret'"),
        TokenError,
        ("This app is public: no secret may be sent", "このアプリはパブリック クライアントなのでシークレットは送れません"),
        ("The app is registered as a public (mobile/desktop) client, but a client secret was sent (AADSTS700025).",
         "アプリがパブリック（モバイル／デスクトップ）クライアントとして登録されているのに、シークレットが送られました"
         "（AADSTS700025）。"),
        (("The redirect URI is under 'Mobile and desktop applications' and a secret was entered.",
          "リダイレクト URI が「モバイル アプリケーションとデスクトップ アプリケーション」にあり、シークレットを入力した。"),),
        ("Clear the secret field (public client), or register the redirect URI under 'Web' to use the secret.",
         "シークレットの欄を空にする（パブリック クライアント）か、シークレットを使うならリダイレクト URI を「Web」に"
         "登録してください。"),
        _ENTRA_AUTH,
    ),
    _e(
        "aadsts-9002327", "AADSTS9002327",
        (r"AADSTS9002327\b", r"Single-Page Application.{0,60}cross-origin"),
        ConsentError,
        ("The redirect URI is registered as a single-page app", "リダイレクト URI がシングルページ アプリとして登録されています"),
        ("Tokens for 'Single-page application' redirects can only be redeemed from a browser (AADSTS9002327).",
         "「シングルページ アプリケーション」のリダイレクトのトークンはブラウザーからしか引き換えられません（AADSTS9002327）。"),
        (("The redirect URI was added under 'Single-page application'.", "リダイレクト URI を「シングルページ アプリケーション」に追加した。"),),
        ("Move the redirect URI to the 'Web' platform (SPA refresh tokens also expire after 24 hours).",
         "リダイレクト URI を「Web」プラットフォームに移してください（SPA のリフレッシュ トークンは 24 時間で失効します）。"),
        _ENTRA_AUTH,
    ),
    _e(
        "aadsts-65001", "AADSTS65001",
        (r"AADSTS65001\b", r"AADSTS90093\b", r"AADSTS90094\b", r"AADSTS90095\b", r"Need admin approval", r"consent_required",
         r"DelegationDoesNotExist", r"AdminConsentRequired"),
        ConsentError,
        ("An administrator must approve this app", "このアプリには管理者の同意が必要です"),
        ("The organisation requires an administrator to consent to the app's permissions (AADSTS65001 / 90094).",
         "組織の設定により、アプリのアクセス許可に管理者の同意が必要です（AADSTS65001／90094）。"),
        (("User consent is turned off in the tenant.", "テナントでユーザーによる同意がオフになっている。"),
         ("SMTP.Send (listed under Microsoft Graph) has not been consented yet.",
          "SMTP.Send（Microsoft Graph の下にある）にまだ同意していない。")),
        ("Ask an admin to open API permissions → Add a permission → Microsoft Graph → Delegated permissions, add "
         "SMTP.Send and click 'Grant admin consent', then run the consent step again.",
         "管理者に「API のアクセス許可」→「アクセス許可の追加」→「Microsoft Graph」→「委任されたアクセス許可」で "
         "SMTP.Send を追加し、「管理者の同意を与えます」を押してもらってから、同意の手順をやり直してください。"),
        _ENTRA_PERMS,
    ),
    _e(
        "aadsts-700016", "AADSTS700016",
        (r"AADSTS700016\b", r"AADSTS50194\b", r"AADSTS9002332\b", r"AADSTS90002\b", r"AADSTS900023\b",
         r"not enabled for consumers", r"isn't configured as a multi-?tenant application",
         r"Unable to get authority configuration"),
        ConsentError,
        ("The app id and the sign-in authority do not fit", "アプリ ID とサインイン先（authority）が合っていません"),
        ("Microsoft could not find the app in this directory, or the app does not accept this kind of account "
         "(AADSTS700016 / 50194 / 9002332).",
         "このディレクトリでアプリが見つからないか、アプリがこの種類のアカウントを受け付けません"
         "（AADSTS700016／50194／9002332）。"),
        (("The client id has a typo or comes from another tenant.", "クライアント ID の入力ミス、または別テナントのもの。"),
         ("A single-tenant app is used with 'common' instead of the tenant ID.",
          "シングルテナントのアプリを、テナント ID ではなく common で使っている。"),
         ("An outlook.com/hotmail account signs in to an app that does not allow personal Microsoft accounts.",
          "個人用 Microsoft アカウントを許可していないアプリに outlook.com／hotmail のアカウントでサインインした。"),
         ("The tenant name or authority URL is wrong.", "テナント名または authority の URL が間違っている。")),
        ("Copy the Application (client) ID and Directory (tenant) ID from the app's Overview and use the tenant ID "
         "(not 'common') for a single-tenant app. For outlook.com/hotmail accounts, set Supported account types to "
         "include personal Microsoft accounts and use 'consumers' or 'common'.",
         "アプリの「概要」から「アプリケーション (クライアント) ID」と「ディレクトリ (テナント) ID」をコピーし、"
         "シングルテナントのアプリでは common ではなくテナント ID を使ってください。outlook.com／hotmail の場合は"
         "「サポートされているアカウントの種類」に個人用 Microsoft アカウントを含め、consumers か common を使います。"),
        _ENTRA_OVERVIEW,
    ),
    _e(
        "aadsts-50076", "AADSTS50076",
        (r"AADSTS50076\b", r"AADSTS50079\b", r"AADSTS53003\b", r"AADSTS530035\b", r"AADSTS53000\b",
         r"AADSTS70043\b", r"AADSTS50158\b"),
        ConsentError,
        ("The organisation's sign-in policy blocked this", "組織のサインイン ポリシーにより止められました"),
        ("Multi-factor authentication, Conditional Access or security defaults stopped this sign-in or refresh "
         "(AADSTS50076 / 53003 / 530035).",
         "多要素認証・条件付きアクセス・セキュリティの既定値群のいずれかが、このサインインまたは更新を止めました"
         "（AADSTS50076／53003／530035）。"),
        (("MFA is required and the sign-in was not interactive.", "MFA が必要なのに対話なしでサインインしようとした。"),
         ("A Conditional Access policy blocks this device, location or app.",
          "条件付きアクセスのポリシーがこのデバイス・場所・アプリを止めている。"),
         ("Security defaults block this kind of sign-in.", "セキュリティの既定値群がこの種類のサインインを止めている。")),
        ("Run the consent step again and complete MFA in the browser. If it is blocked again, ask an admin to check "
         "the Entra sign-in logs for the policy that applied.",
         "同意の手順をやり直し、ブラウザーで MFA を完了してください。それでも止められる場合は、管理者に Entra の"
         "サインイン ログで適用されたポリシーを確認してもらってください。"),
        _ENTRA_SIGNIN_LOGS,
    ),
    _e(
        "aadsts-700022", "AADSTS700022",
        (r"AADSTS700022\b", r"AADSTS28000\b", r"AADSTS28003\b", r"InvalidMultipleResourcesScope",
         r"more than one resource"),
        TokenError,
        ("Scopes of two services in one token request", "1 回のトークン要求に 2 つのサービスのスコープが入っています"),
        ("A token can be for one resource only: Outlook (SMTP.Send) and Microsoft Graph scopes were asked for "
         "together (AADSTS700022 / 28000).",
         "トークンは 1 つのリソース専用です。Outlook（SMTP.Send）と Microsoft Graph のスコープを同時に要求しました"
         "（AADSTS700022／28000）。"),
        (("The INI's scopes mix https://outlook.office.com/… and https://graph.microsoft.com/….",
          "INI の scopes に https://outlook.office.com/… と https://graph.microsoft.com/… が混在している。"),),
        ("Keep only the scopes of the transport you use: SMTP → https://outlook.office.com/SMTP.Send; Graph → "
         "https://graph.microsoft.com/Mail.Send.",
         "使う送信方法のスコープだけにしてください: SMTP → https://outlook.office.com/SMTP.Send、Graph → "
         "https://graph.microsoft.com/Mail.Send。"),
    ),
    _e(
        "aadsts-54005", "AADSTS54005",
        (r"AADSTS54005\b", r"authorization code was already redeemed", r"Malformed auth code",
         r"code (?:was )?already (?:used|redeemed)"),
        ConsentError,
        ("The sign-in code was already used or expired", "サインインのコードは使用済みか期限切れです"),
        ("The one-time code from the redirect was refused: it can be redeemed once, within about 10 minutes "
         "(Microsoft: AADSTS54005; Google: Malformed auth code).",
         "リダイレクトで受け取った使い捨てのコードが拒否されました。コードは 1 回だけ、約 10 分以内に使えます"
         "（Microsoft: AADSTS54005、Google: Malformed auth code）。"),
        (("The same redirect URL was pasted twice.", "同じリダイレクト URL を 2 回貼り付けた。"),
         ("More than ~10 minutes passed between approving and pasting.", "同意してから貼り付けるまでに 10 分以上かかった。"),
         ("The URL was cut when copying.", "コピーの際に URL が途中で切れた。")),
        (f"Click {quote(L_START, 'en')} again (or rerun `oauthmail consent`) and paste the new address right away, "
         "in full.",
         f"{quote(L_START, 'ja')}をもう一度押して（または `oauthmail consent` を実行し直して）、新しいアドレスを"
         "すぐに、途中で切らずに貼り付けてください。"),
    ),
    _e(
        "oauth-invalid_grant-malformed", "invalid_grant",
        (r"invalid_grant.{0,40}Bad Request", r"AADSTS70000\b", r"AADSTS9002313\b"),
        TokenError,
        ("The code or refresh token was refused as malformed", "コードまたはリフレッシュ トークンが不正な形式として拒否されました"),
        ("The provider could not use the one-time sign-in code or the saved refresh token at all "
         "(Google: invalid_grant Bad Request; Microsoft: AADSTS70000).",
         "プロバイダーが、使い捨てのサインイン コードまたは保存済みのリフレッシュ トークンをまったく使えませんでした"
         "（Google: invalid_grant Bad Request、Microsoft: AADSTS70000）。"),
        (("During sign-in: the code was already used, expired (about 10 minutes), or only part of the address was "
          "pasted.",
          "サインイン中なら: コードが使用済み・期限切れ（約 10 分）、またはアドレスの一部しか貼り付けていない。"),
         ("When sending: refresh_token in the INI was cut or edited (a line break, a missing character).",
          "送信時なら: INI の refresh_token が途中で切れている、または編集されている（改行や文字の欠け）。")),
        (f"During sign-in, click {quote(L_START, 'en')} again and paste the new address right away. When sending, run the "
         "consent step again and use the new INI instead of editing refresh_token by hand.",
         f"サインイン中なら{quote(L_START, 'ja')}をもう一度押し、新しいアドレスをすぐ貼り付けてください。送信時なら、"
         "同意の手順をやり直して新しい INI を使ってください（refresh_token を手で編集しないでください）。"),
    ),
    _e(
        "oauth-code-verifier", "code_verifier",
        (r"Missing code verifier", r"AADSTS501481\b", r"code_verifier does not match", r"MismatchingStateError",
         r"state mismatch", r"CSRF Warning", r"Mismatching (?:state|redirect)"),
        ConsentError,
        ("The sign-in was started in another session", "サインインが別のセッションで開始されています"),
        ("The code came back, but the secret value kept from the start of this sign-in (PKCE code verifier or "
         "state) does not belong to it.",
         "コードは戻ってきましたが、このサインインの開始時に保持した値（PKCE の code verifier や state）と"
         "対応していません。"),
        ((f"The kernel restarted between {quote(L_START, 'en')} and pasting the address.",
          f"{quote(L_START, 'ja')}を押してから貼り付けるまでの間に、カーネルが再起動した。"),
         ("The address of an older sign-in attempt was pasted.", "前回のサインインのアドレスを貼り付けた。")),
        (f"Click {quote(L_START, 'en')} again and complete it in one go, in the same notebook session.",
         f"{quote(L_START, 'ja')}をもう一度押し、同じノートブックのセッションのまま最後まで続けてください。"),
    ),
    _e(
        "aadsts-70008", "AADSTS70008",
        (r"AADSTS70008\b", r"AADSTS700082\b", r"AADSTS50173\b", r"AADSTS700084\b", r"AADSTS50133\b",
         r"refresh token has expired due to inactivity"),
        TokenError,
        ("The Microsoft refresh token has expired", "Microsoft のリフレッシュ トークンが失効しています"),
        ("Microsoft no longer accepts the saved refresh token (AADSTS70008 / 700082 / 50173).",
         "保存されているリフレッシュ トークンを Microsoft が受け付けなくなりました（AADSTS70008／700082／50173）。"),
        (("It was unused for 90 days.", "90 日間使われなかった。"),
         ("It was revoked (password reset, 'revoke sessions' by an admin).",
          "取り消された（パスワードのリセット、管理者による「セッションの取り消し」）。"),
         ("An older refresh token was used after rotation (each refresh returns a new one).",
          "更新で新しいトークンに置き換わった後に古いトークンを使った（更新のたびに新しいものが返る）。")),
        (_REDO_CONSENT[0] + " The kit stores the new refresh token after every refresh; keep the INI writable.",
         _REDO_CONSENT[1] + "キットは更新のたびに新しいリフレッシュ トークンを保存するので、INI は書き込み可能にしておいてください。"),
    ),
)

# ------------------------------------------------------------------------------------------------
# OAuth errors (Google and generic)
# ------------------------------------------------------------------------------------------------

register(
    _e(
        "oauth-oob", "oob",
        (r"urn:ietf:wg:oauth:2\.0:oob", r"run_console", r"out-of-band \(OOB\)", r"OOB flow has been (?:blocked|deprecated)"),
        ConfigError,
        ("The copy-the-code page (OOB) no longer exists", "コードをコピーするページ（OOB）はもう使えません"),
        ("Google shut down the out-of-band flow (urn:ietf:wg:oauth:2.0:oob) in 2022-2023; old guides and old "
         "client JSON files still mention it.",
         "Google は OOB フロー（urn:ietf:wg:oauth:2.0:oob）を 2022〜2023 年に終了しました。古い手順書や古い"
         "クライアント JSON にはまだ記載が残っています。"),
        (("An old guide or tool uses run_console() or the OOB redirect.", "古い手順やツールが `run_console()` や OOB のリダイレクトを使っている。"),),
        ("Use the kit's sign-in: it uses the loopback address (http://127.0.0.1:…). On a remote notebook, copy the "
         "address from the browser's address bar after approving and paste it back.",
         "キットのサインインを使ってください。ループバック アドレス（http://127.0.0.1:…）を使います。リモートの"
         "ノートブックでは、同意したあとブラウザーのアドレスバーの URL をコピーして貼り付けます。"),
    ),
    _e(
        "oauth-insecure-transport", "insecure_transport",
        (r"InsecureTransportError", r"OAuth 2 MUST utilize https", r"insecure_transport"),
        ConsentError,
        ("The OAuth library refused an http:// address", "OAuth ライブラリが http:// のアドレスを拒否しました"),
        ("oauthlib only parses https:// redirect addresses; the loopback address is http://.",
         "oauthlib は https:// のリダイレクト アドレスしか解析しませんが、ループバック アドレスは http:// です。"),
        (("Code outside the kit calls fetch_token(authorization_response='http://127.0.0.1…').",
          "キット以外のコードが fetch_token(authorization_response='http://127.0.0.1…') を呼んでいる。"),),
        ("Use the kit's consent step (it handles the loopback address). In your own code, set "
         "OAUTHLIB_INSECURE_TRANSPORT=1 only for the loopback parse, or replace http:// with https:// in the pasted "
         "address.",
         "キットの同意の手順を使ってください（ループバック アドレスを正しく扱います）。自作コードでは、ループバックの"
         "解析時だけ OAUTHLIB_INSECURE_TRANSPORT=1 を設定するか、貼り付けたアドレスの http:// を https:// に"
         "置き換えてください。"),
    ),
    _e(
        "google-device-scope", "invalid_scope",
        (r"Invalid device flow scope", r"Only clients of type 'TVs and Limited Input devices'"),
        ConsentError,
        ("Google's device sign-in cannot give Gmail access", "Google のデバイス コードでのサインインでは Gmail の権限は得られません"),
        ("Google's 'TV and limited input' device flow allows only a few scopes; Gmail's are not among them.",
         "Google の「テレビと入力機能が限られたデバイス」向けのフローは一部のスコープしか許可せず、Gmail は含まれません。"),
        (("--device-code was used with a Google account.", "Google アカウントで --device-code を使った。"),),
        ("Use the browser sign-in (with copy-paste of the address if your notebook is remote).",
         "ブラウザーでのサインインを使ってください（ノートブックがリモートならアドレスのコピーと貼り付けで）。"),
    ),
    _e(
        "oauth-scope-changed", "scope",
        (r"Scope has changed from", r"mail\.google\.com.{0,40}not granted"),
        ConsentError,
        ("Not every permission was granted", "すべての権限が許可されませんでした"),
        ("The token came back without a scope that was asked for; Gmail lets people untick boxes on the consent "
         "page.",
         "要求したスコープの一部がトークンに含まれていません。Gmail の同意画面ではチェックを外せるためです。"),
        (("The box 'Read, compose, send and permanently delete all your email from Gmail' was unticked.",
          "「Gmail のすべてのメールの閲覧、作成、送信、完全な削除」のチェックが外された。"),),
        ("Run the consent step again and leave every box ticked: SMTP sending needs https://mail.google.com/.",
         "同意の手順をやり直し、チェックはすべて付けたままにしてください。SMTP 送信には https://mail.google.com/ が必要です。"),
        _GOOGLE_PERMISSIONS,
    ),
    _e(
        "google-not-test-user", "access_denied",
        (r"has not completed the Google verification process", r"developer-approved testers",
         r"Error 403: access_denied", r"Access blocked: .{0,80}(?:verification|testers)"),
        ConsentError,
        ("This Google account is not a test user of the app", "この Google アカウントはアプリのテストユーザーではありません"),
        ("The app's publishing status is 'Testing', and only the listed test users may sign in (Error 403: "
         "access_denied).",
         "アプリの公開ステータスが「テスト中」のため、登録されたテストユーザーしかサインインできません"
         "（Error 403: access_denied）。"),
        (("The address was never added under Test users.", "アドレスが「テストユーザー」に追加されていない。"),
         ("You signed in with another Google account than the one added.", "追加したものとは別の Google アカウントでサインインした。")),
        ("In Google Cloud console → Google Auth Platform → Audience → Test users (formerly under OAuth consent "
         "screen), add the address, save, and run the consent step again.",
         "Google Cloud コンソールの「Google Auth Platform」→「対象」→「テストユーザー」（旧「OAuth 同意画面」）に"
         "アドレスを追加して保存し、同意の手順をやり直してください。"),
        _GCP_TEST_USERS,
    ),
    _e(
        "google-admin-policy", "admin_policy_enforced",
        (r"admin_policy_enforced", r"org_internal", r"disallowed_useragent", r"deleted_client"),
        ConsentError,
        ("Google blocked this sign-in by policy", "Google のポリシーによりサインインが止められました"),
        ("Google refused the sign-in for a reason set by an administrator or by the app's settings.",
         "管理者の設定またはアプリの設定により、Google がサインインを拒否しました。"),
        (("admin_policy_enforced: the Workspace admin blocks this app or the Gmail scope.",
          "admin_policy_enforced: Workspace の管理者がこのアプリまたは Gmail のスコープを禁止している。"),
         ("org_internal: the app is 'Internal' and the account is outside its organisation.",
          "org_internal: アプリが「内部」で、アカウントが組織の外のもの。"),
         ("disallowed_useragent: the sign-in page was opened in an embedded browser.",
          "disallowed_useragent: 埋め込みブラウザーでサインイン ページを開いた。"),
         ("deleted_client: the OAuth client was deleted.", "deleted_client: OAuth クライアントが削除されている。")),
        ("Workspace admin: Admin console → Security → Access and data control → API controls → Manage third-party "
         "app access → trust the app. Otherwise open the link in a normal browser, or set the User type / create a "
         "new client.",
         "Workspace の管理者: 管理コンソール →「セキュリティ」→「アクセスとデータ管理」→「API の制御」→"
         "「サードパーティ製アプリのアクセスを管理」でアプリを信頼済みにします。それ以外は、通常のブラウザーで"
         "リンクを開くか、ユーザーの種類を見直すか、新しいクライアントを作ってください。"),
        ("Google Admin console → Security → Access and data control → API controls",
         "Google 管理コンソール →「セキュリティ」→「アクセスとデータ管理」→「API の制御」"),
    ),
    _e(
        "oauth-access_denied", "access_denied",
        (r"access_denied", r"AccessDeniedError", r"AADSTS65004\b", r"user declined", r"UserDeclinedConsent"),
        ConsentError,
        ("The consent was cancelled", "同意がキャンセルされました"),
        ("The provider reported that the person did not allow access (access_denied).",
         "アクセスが許可されなかったとプロバイダーが返しました（access_denied）。"),
        (("Cancel or Deny was clicked on the consent page.", "同意画面で「キャンセル」または「拒否」を押した。"),
         ("The browser was closed before approving.", "同意する前にブラウザーを閉じた。")),
        ("Start the sign-in again and choose Allow (許可) on the consent page.",
         "もう一度サインインを始め、同意画面で「許可」を選んでください。"),
    ),
    _e(
        "google-redirect_uri_mismatch", "redirect_uri_mismatch",
        (r"redirect_uri_mismatch", r"does not match the ones authorized for the OAuth client"),
        ConsentError,
        ("Google rejected the return address (redirect URI)", "Google がリダイレクト URI を拒否しました"),
        ("The redirect URI in the request is not one of the client's Authorized redirect URIs "
         "(Error 400: redirect_uri_mismatch).",
         "要求のリダイレクト URI が、クライアントの「承認済みのリダイレクト URI」にありません"
         "（Error 400: redirect_uri_mismatch）。"),
        (("A Web client without exactly http://127.0.0.1:48888/callback.",
          "ウェブ アプリケーションのクライアントに http://127.0.0.1:48888/callback が正確に登録されていない。"),
         ("Different port, a trailing slash, or localhost instead of 127.0.0.1.",
          "ポートが違う、末尾に「/」が付いている、127.0.0.1 ではなく localhost になっている。"),
         ("The change was saved a moment ago (it can take a few minutes).", "保存した直後（反映に数分かかることがある）。")),
        ("Your Web client must list exactly http://127.0.0.1:48888/callback (same port, no trailing slash, 127.0.0.1 "
         "not localhost) under Authorized redirect URIs. Add it, save, wait a minute, and try again — or use a "
         "Desktop app client.",
         "ウェブ アプリケーションのクライアントの「承認済みのリダイレクト URI」に http://127.0.0.1:48888/callback を"
         "そのまま（同じポート、末尾の「/」なし、localhost ではなく 127.0.0.1）追加して保存し、1 分ほど待ってから"
         "やり直してください。デスクトップ アプリのクライアントを使う方法もあります。"),
        _GCP_CLIENTS,
    ),
    _e(
        "google-client-not-found", "invalid_client",
        (r"OAuth client was not found", r"Error 401: invalid_client"),
        ConfigError,
        ("Google does not know this client ID", "Google がこのクライアント ID を見つけられません"),
        ("The client_id sent to Google does not exist (Error 401: invalid_client, 'The OAuth client was not found.').",
         "Google に送ったクライアント ID が存在しません（Error 401: invalid_client「The OAuth client was not found.」）。"),
        (("A typo or a cut-off client ID.", "クライアント ID の入力ミス、または途中で切れている。"),
         ("The client was deleted or belongs to another project.", "クライアントが削除されている、または別のプロジェクトのもの。")),
        ("Download the client JSON again from Credentials (or copy the Client ID in full) and load it into the kit.",
         "Google Auth Platform の「クライアント」（旧「認証情報」）からクライアント JSON をダウンロードし直すか、"
         "クライアント ID を途中で切らずにコピーして、キットに読み込み直してください。"),
        _GCP_CLIENTS,
    ),
    _e(
        "google-secret-missing", "client_secret",
        (r"client_secret is missing", r"Missing required parameter: client_secret"),
        ConfigError,
        ("The client secret is missing", "クライアント シークレットがありません"),
        ("The token endpoint needs the client secret for this client, and none was sent.",
         "このクライアントではトークン エンドポイントにクライアント シークレットが必要ですが、送られていません。"),
        (("The client JSON was downloaded after creation: Google only shows the full secret when it is created.",
          "クライアント JSON を作成後にダウンロードした（Google は作成時にしかシークレット全体を表示しない）。"),
         ("client_secret is empty in the INI.", "INI の client_secret が空。")),
        ("On the client's page in Credentials, add a new secret, copy it (or download the JSON right away), and run "
         "the consent step again with that file.",
         "Google Auth Platform の「クライアント」（旧「認証情報」）で対象のクライアントを開いて新しいシークレットを追加し、すぐにコピー（または JSON をダウンロード）して、"
         "そのファイルで同意の手順をやり直してください。"),
        _GCP_CLIENTS,
    ),
    _e(
        "oauth-invalid_client", "invalid_client",
        (r"invalid_client", r"client secret is incorrect"),
        TokenError,
        ("The provider rejected the client ID or secret", "プロバイダーがクライアント ID またはシークレットを拒否しました"),
        ("The token endpoint did not accept the client credentials (invalid_client, often just 'Unauthorized').",
         "トークン エンドポイントがクライアントの資格情報を受け付けませんでした（invalid_client、多くは単に"
         "「Unauthorized」）。"),
        (("The client secret in the INI is wrong, old or from another client.",
          "INI のクライアント シークレットが違う・古い・別のクライアントのもの。"),
         ("The secret was reset in the console after the INI was written.", "INI を書いた後にコンソールでシークレットをリセットした。"),
         ("A Web client is used without its secret.", "ウェブ アプリケーションのクライアントをシークレットなしで使っている。")),
        ("Put the current client secret into the INI (client_secret), or download the client JSON again and run the "
         "consent step; Google shows a new secret in full only when it is created.",
         "INI の client_secret を現在のシークレットにするか、クライアント JSON をダウンロードし直して同意の手順を"
         "やり直してください。Google は新しいシークレットを作成時にしか全部表示しません。"),
        _GCP_CLIENTS,
    ),
    _e(
        "oauth-unauthorized_client", "unauthorized_client",
        (r"unauthorized_client",),
        TokenError,
        ("This client may not use this token", "このクライアントではこのトークンを使えません"),
        ("The provider says the client is not allowed to do this (unauthorized_client).",
         "このクライアントにはその操作が許可されていないとプロバイダーが返しました（unauthorized_client）。"),
        (("The refresh token was issued to another client ID than the one in the INI.",
          "リフレッシュ トークンが INI とは別のクライアント ID に発行されたもの。"),
         ("The client type does not allow this grant (e.g. device flow on a Web client).",
          "クライアントの種類がこの方式を許可していない（例: ウェブ アプリケーションでデバイス フロー）。")),
        ("Make sure client_id in the INI is the client that ran the consent; if unsure, run the consent step again and "
         "use the new INI.",
         "INI の client_id が同意を行ったクライアントと同じか確認してください。不明なら同意の手順をやり直し、"
         "新しい INI を使ってください。"),
        _GCP_CLIENTS,
    ),
    _e(
        "oauth-invalid_scope", "invalid_scope",
        (r"invalid_scope", r"AADSTS70011\b", r"AADSTS650053\b", r"reserved.{0,40}scope|scope value that is reserved"),
        ConfigError,
        ("A requested scope is not valid", "要求したスコープが正しくありません"),
        ("The provider rejected one of the requested scopes (invalid_scope).",
         "要求したスコープの 1 つをプロバイダーが拒否しました（invalid_scope）。"),
        (("A typo in the scope.", "スコープの入力ミス。"),
         ("A Microsoft scope without its resource prefix, or openid/profile/offline_access passed to MSAL.",
          "Microsoft のスコープにリソースの接頭辞がない、または openid・profile・offline_access を MSAL に渡した。")),
        ("Use exactly https://mail.google.com/ (Gmail SMTP) or https://outlook.office.com/SMTP.Send (Microsoft SMTP).",
         "スコープは https://mail.google.com/（Gmail の SMTP）または https://outlook.office.com/SMTP.Send"
         "（Microsoft の SMTP）をそのまま使ってください。"),
    ),
    _e(
        "token-missing-fields", "refresh",
        (r"do not contain the necessary fields need to refresh",),
        ConfigError,
        ("The token file lacks what a refresh needs", "トークン INI に更新に必要な項目がありません"),
        ("A refresh needs refresh_token, client_id, client_secret (if any) and token_uri; one is missing.",
         "更新には refresh_token・client_id・client_secret（ある場合）・token_uri が必要ですが、どれかが欠けています。"),
        (("The INI was written by hand or from another tool.", "INI を手で書いた、または別のツールで作った。"),
         ("No refresh token came back at consent (the app had been approved before).",
          "同意の際にリフレッシュ トークンが返されなかった（以前に同意済みだった）。")),
        ("Run the consent step again with the kit (it asks for prompt=consent so a refresh token is returned) and use "
         "the new INI.",
         "キットで同意の手順をやり直し（prompt=consent で要求するのでリフレッシュ トークンが返ります）、新しい INI を"
         "使ってください。"),
        _GOOGLE_PERMISSIONS,
    ),
    _e(
        "oauth-missing-code", "missing_code",
        (r"MissingCodeError", r"Missing code parameter in response", r"\(missing_code\)"),
        ConsentError,
        ("The pasted address has no sign-in code", "貼り付けたアドレスにサインインのコードがありません"),
        ("The text pasted back is not the address of the final page: it has no code= in it.",
         "貼り付けた文字列が最後のページのアドレスではありません（code= が含まれていません）。"),
        (("The link you opened was pasted instead of the address you were sent back to.",
          "戻ってきたページのアドレスではなく、開いたリンクを貼り付けた。"),
         ("Only part of the address bar was copied.", "アドレスバーの一部しかコピーしていない。")),
        ("Copy the whole address bar of the last page (it starts with http://127.0.0.1:48888/callback? or "
         "http://localhost:48888/callback? and contains code=) and paste it again.",
         "最後のページのアドレスバーを全部コピーして（http://127.0.0.1:48888/callback? または "
         "http://localhost:48888/callback? で始まり code= を含みます）、もう一度貼り付けてください。"),
    ),
    _e(
        "google-no-refresh-token", "no refresh_token",
        (r"did not return a refresh token", r"no refresh[_ ]token", r"refresh_token.{0,20}(?:is missing|missing|None)"),
        ConsentError,
        ("No refresh token came back", "リフレッシュ トークンが返されませんでした"),
        ("The sign-in worked, but the provider returned only a short-lived access token and no refresh token.",
         "サインインは成功しましたが、プロバイダーは短時間のアクセス トークンだけを返し、リフレッシュ トークンを"
         "返しませんでした。"),
        (("Google: the app had been approved before and the request lacked prompt=consent / access_type=offline.",
          "Google: 以前に同意済みで、要求に prompt=consent／access_type=offline が付いていなかった。"),
         ("Microsoft: offline_access was not granted.", "Microsoft: offline_access が許可されていない。")),
        ("Run the kit's consent step (it always asks with prompt=consent and access_type=offline). If it still fails, "
         "remove the app's access at myaccount.google.com/permissions and sign in again.",
         "キットの同意の手順を使ってください（常に prompt=consent と access_type=offline を付けます）。それでも"
         "返らない場合は myaccount.google.com/permissions でアプリのアクセスを削除してから再度サインインしてください。"),
        _GOOGLE_PERMISSIONS,
    ),
    _e(
        "google-from-rewritten", "From",
        (r"X-Google-Original-From",),
        DeliveryError,
        ("Gmail replaced the From address", "Gmail が差出人（From）を書き換えました"),
        ("Gmail put the signed-in address in From, because the From you gave is not a verified 'Send mail as' "
         "address (the original is kept in X-Google-Original-From).",
         "指定した From が Gmail で確認済みの送信元アドレス（「アカウントとインポート」→「名前」）ではないため、Gmail がサインインした"
         "アドレスに書き換えました（元の値は X-Google-Original-From に残ります）。"),
        (("From differs from the signed-in Gmail address.", "From がサインインした Gmail のアドレスと違う。"),),
        ("Send from the signed-in address, or add the other address in Gmail → Settings → Accounts → "
         "'Send mail as' and confirm it.",
         "サインインしたアドレスから送るか、Gmail の「設定」（歯車アイコン）→「すべての設定を表示」→"
         "「アカウントとインポート」→「他のメール アドレスを追加」でそのアドレスを追加し、確認を済ませてください。"),
        ("Gmail → Settings → See all settings → Accounts and Import → Send mail as",
         "Gmail →「設定」（歯車アイコン）→「すべての設定を表示」→「アカウントとインポート」→「名前」→「他のメール アドレスを追加」"),
    ),
    _e(
        "oauth-invalid_request", "invalid_request",
        (r"invalid_request", r"Missing required parameter", r"doesn't comply with Google's OAuth 2\.0 policy"),
        ConsentError,
        ("The provider found the sign-in request malformed", "プロバイダーがサインイン要求の形式を不正と判断しました"),
        ("The authorization or token request lacks a parameter or breaks a rule of the provider (invalid_request).",
         "認可要求またはトークン要求にパラメーターが足りないか、プロバイダーの規則に反しています（invalid_request）。"),
        (("An edited or truncated sign-in link.", "サインインのリンクを編集した、または途中で切れた。"),
         ("An old tool that uses a flow Google no longer allows (OOB, embedded browser).",
          "Google が許可しなくなった方式（OOB、埋め込みブラウザー）を使う古いツール。")),
        ("Start the sign-in again from the kit and open the link exactly as given. The details after "
         "invalid_request name the missing parameter.",
         "キットからサインインをやり直し、リンクをそのまま開いてください。invalid_request の後の説明に、足りない"
         "パラメーターが書かれています。"),
    ),
    Entry(
        id="oauth-invalid_grant",
        code="invalid_grant",
        patterns=(r"invalid_grant", r"Token has been expired or revoked"),
        kind=TokenError,
        title=Msg(en="The refresh token no longer works", ja="リフレッシュ トークンが使えなくなっています"),
        what=Msg(en="The provider refused the saved refresh token (invalid_grant).",
                 ja="保存されているリフレッシュ トークンをプロバイダーが受け付けませんでした（invalid_grant）。"),
        causes=(
            Msg(en="Google app in 'Testing': refresh tokens expire 7 days after consent.",
                ja="Google のアプリが「テスト中」: リフレッシュ トークンは同意から 7 日で失効する。"),
            Msg(en="Unused for 6 months (Google) / 90 days (Microsoft).",
                ja="6 か月（Google）／90 日（Microsoft）使われなかった。"),
            Msg(en="The password was changed, or access was removed in the account's security settings.",
                ja="パスワードを変更した、またはアカウントのセキュリティ設定でアクセスを削除した。"),
            Msg(en="Too many tokens were issued for this client (Google keeps 100 per account; the oldest dies).",
                ja="このクライアントに発行したトークンが多すぎる（Google は 1 アカウントあたり 100 個まで、古いものから失効）。"),
        ),
        fix=Msg(
            en="Run the consent step again (notebook or `oauthmail consent`) and use the new token file. To stop the "
            "7-day expiry, set the Google app's publishing status to 'In production' first.",
            ja="同意の手順（ノートブックまたは `oauthmail consent`）をもう一度行い、新しいトークン INI を使ってください。"
            "7 日での失効を避けるには、先に Google のアプリの公開ステータスを「本番環境」にしてください。",
        ),
        where=Msg(en=_GCP_PUBLISHING[0], ja=_GCP_PUBLISHING[1]),
    ),
)

# ------------------------------------------------------------------------------------------------
# Network and TLS (proxy first: its errors embed "Connection refused" and "timed out")
# ------------------------------------------------------------------------------------------------

register(
    _e(
        "net-proxy", "proxy",
        (r"ProxyError", r"Tunnel connection failed", r"\b407\b.{0,40}Proxy Authentication", r"Cannot connect to proxy",
         r"Unable to connect to proxy"),
        NetworkError,
        ("The proxy refused the connection", "プロキシが接続を拒否しました"),
        ("The connection to the provider goes through an HTTP proxy, and the proxy refused or could not be reached.",
         "プロバイダーへの接続が HTTP プロキシを経由しており、そのプロキシが拒否したか、つながりませんでした。"),
        (("The proxy needs a login (407 Proxy Authentication Required).", "プロキシにログインが必要（407 Proxy Authentication Required）。"),
         ("HTTPS_PROXY points to a wrong host or port.", "HTTPS_PROXY のホストやポートが間違っている。"),
         ("The proxy blocks the provider's address.", "プロキシがプロバイダーのアドレスを止めている。")),
        ("Set HTTPS_PROXY=http://user:password@proxy.example.com:8080 (ask IT for the address), put local addresses in "
         "NO_PROXY (e.g. 127.0.0.1,localhost), and run `oauthmail doctor` again.",
         "HTTPS_PROXY=http://ユーザー:パスワード@proxy.example.com:8080 のように設定し（アドレスは情報システム部門に"
         "確認）、ローカルのアドレスは NO_PROXY に入れて（例: 127.0.0.1,localhost）、`oauthmail doctor` を"
         "再実行してください。"),
        _NET_SETTINGS,
    ),
    _e(
        "wininet-12157", "WinINet 12157",
        (r"\b12157\b", r"ERROR_INTERNET_SECURITY_CHANNEL_ERROR"),
        NetworkError,
        ("Windows could not set up a secure channel", "Windows がセキュリティ チャネルを確立できませんでした"),
        ("Windows' HTTPS (WinINet error 12157, security channel error) failed to negotiate TLS with the token "
         "endpoint.",
         "Windows の HTTPS 機能（WinINet エラー 12157: セキュリティ チャネル エラー）がトークン エンドポイントと "
         "TLS の交渉に失敗しました。"),
        (("TLS 1.2 is not enabled (Windows Server 2008 SP2, Windows 7 without updates).",
          "TLS 1.2 が有効になっていない（Windows Server 2008 SP2、更新していない Windows 7 など）。"),),
        ("Enable TLS 1.2 (Windows Update / KB4019276 on Server 2008 SP2), or run the kit's Python sender instead.",
         "TLS 1.2 を有効にしてください（Windows Update、Server 2008 SP2 では KB4019276）。または、Windows の"
         "機能を使わずにキット（Python）から送信してください。"),
    ),
    _e(
        "wininet-12045", "WinINet 12045",
        (r"\b12045\b", r"ERROR_INTERNET_INVALID_CA"),
        NetworkError,
        ("Windows does not trust the server's certificate authority", "Windows がサーバー証明書の認証局を信頼していません"),
        ("WinINet error 12045: the server certificate was issued by an unknown or invalid certificate authority.",
         "WinINet エラー 12045: サーバー証明書が未知または無効な認証局から発行されています。"),
        (("The PC lacks current root certificates or TLS 1.2 support.", "コンピューターに最新のルート証明書や TLS 1.2 の対応がない。"),
         ("A company proxy inspects TLS with its own CA.", "社内プロキシが独自の認証局で TLS を検査している。")),
        ("Run Windows Update (root certificates, TLS 1.2); if your company inspects TLS, install its root CA in "
         "Windows' Trusted Root Certification Authorities.",
         "Windows Update を実行してください（ルート証明書・TLS 1.2）。社内で TLS 検査をしている場合は、その"
         "ルート証明書を Windows の「信頼されたルート証明機関」に入れてください。"),
    ),
    _e(
        "wininet-12029", "WinINet 12029",
        (r"\b12029\b", r"ERROR_INTERNET_CANNOT_CONNECT"),
        NetworkError,
        ("Windows could not connect to the server", "Windows がサーバーに接続できませんでした"),
        ("WinINet error 12029: the attempt to connect to the token endpoint failed.",
         "WinINet エラー 12029: トークン エンドポイントへの接続に失敗しました。"),
        (("Wrong proxy settings in Windows.", "Windows のプロキシ設定が間違っている。"),
         ("A firewall blocks outbound HTTPS.", "ファイアウォールが外向きの HTTPS を止めている。")),
        ("Check the proxy in Windows Settings → Network & Internet → Proxy (or `netsh winhttp show proxy`) and that "
         "https://oauth2.googleapis.com / https://login.microsoftonline.com open in a browser.",
         "Windows の「設定」→「ネットワークとインターネット」→「プロキシ」（または `netsh winhttp show proxy`）を"
         "確認し、https://oauth2.googleapis.com や https://login.microsoftonline.com がブラウザーで開けるか"
         "確かめてください。"),
        _NET_SETTINGS,
    ),
    _e(
        "token-uri-wrong", "TokenURI",
        (r"InternetCrackUrl", r"\b12006\b", r"ERROR_INTERNET_UNRECOGNIZED_SCHEME",
         r"\b404\b.{0,80}(?:token|oauth2|authority)", r"(?:token_uri|TokenURI|token endpoint).{0,80}\b404\b",
         r"Not Found.{0,80}/token\b", r"Invalid URL .{0,80}No scheme supplied", r"No connection adapters were found"),
        ConfigError,
        ("The token URL is wrong", "トークン エンドポイントのアドレスが間違っています"),
        ("The address used to fetch access tokens (token_uri / TokenURI / authority) is missing, malformed, or "
         "answers 404 Not Found.",
         "アクセス トークンを取得するアドレス（token_uri／TokenURI／authority）が空、形式が不正、または "
         "404 Not Found を返しています。"),
        (("A typo in token_uri (Google: https://oauth2.googleapis.com/token).",
          "token_uri の入力ミス（Google は https://oauth2.googleapis.com/token）。"),
         ("The INI file could not be found, so the URL is empty.", "INI ファイルが見つからず URL が空になっている。"),
         ("A wrong tenant in the Microsoft authority.", "Microsoft の authority のテナントが間違っている。")),
        ("Set token_uri = https://oauth2.googleapis.com/token (Google) or authority = "
         "https://login.microsoftonline.com/<tenant ID> (Microsoft) in the INI, and check the path to the INI.",
         "INI に token_uri = https://oauth2.googleapis.com/token（Google）または authority = "
         "https://login.microsoftonline.com/<テナント ID>（Microsoft）を設定し、INI のパスも確認してください。"),
    ),
    _e(
        "tls-wrong-mode", "TLS mode",
        (r"WRONG_VERSION_NUMBER", r"wrong version number", r"STARTTLS extension not supported",
         r"record layer failure", r"packet length too long", r"unknown protocol"),
        NetworkError,
        ("STARTTLS and SSL are mixed up for this port", "このポートに対して STARTTLS と SSL の指定が逆です"),
        ("The client and the server disagree on how TLS starts: port 587 uses STARTTLS, port 465 uses TLS from the "
         "first byte (ssl).",
         "TLS の始め方がクライアントとサーバーで食い違っています。587 番は STARTTLS、465 番は最初から TLS（ssl）です。"),
        (("smtp_security = ssl with port 587, or starttls with port 465.",
          "587 番で smtp_security = ssl、または 465 番で starttls にしている。"),
         ("A proxy or antivirus intercepts the connection.", "プロキシやウイルス対策ソフトが接続に割り込んでいる。")),
        ("Use port 587 with smtp_security = starttls, or port 465 with smtp_security = ssl.",
         "587 番なら smtp_security = starttls、465 番なら smtp_security = ssl にしてください。"),
    ),
    _e(
        "tls-untrusted", "CERTIFICATE_VERIFY_FAILED",
        (r"CERTIFICATE_VERIFY_FAILED", r"unable to get local issuer certificate",
         r"self[- ]signed certificate", r"certificate verify failed", r"SSLCertVerificationError",
         r"unable to get issuer certificate", r"certificate has expired", r"Hostname mismatch"),
        NetworkError,
        ("The server's certificate is not trusted", "サーバーの証明書を信頼できません"),
        ("TLS certificate verification failed: the certificate chain does not lead to a certificate authority this "
         "Python trusts.",
         "TLS 証明書の検証に失敗しました。証明書チェーンが、この Python の信頼する認証局にたどり着きません。"),
        (("A company proxy or security product inspects TLS with its own CA ('self-signed certificate in "
          "certificate chain').",
          "社内プロキシやセキュリティ製品が独自の認証局で TLS を検査している（'self-signed certificate in "
          "certificate chain'）。"),
         ("Python's CA list is missing or old (macOS: 'Install Certificates.command' not run).",
          "Python の認証局リストがない、または古い（macOS で「Install Certificates.command」を未実行）。"),
         ("The local sandbox's CA is not configured (SSL_CERT_FILE not set).",
          "サンドボックスの認証局が設定されていない（SSL_CERT_FILE が未設定）。")),
        ("Get your company's root CA as a .pem file (from IT) and point SSL_CERT_FILE and REQUESTS_CA_BUNDLE at a "
         "bundle that contains it; never turn verification off. For the sandbox, use the variables from "
         "`oauthmail sandbox` (ca.pem).",
         "社内のルート証明書を .pem ファイルで入手し（情報システム部門に依頼）、それを含むバンドルを SSL_CERT_FILE と "
         "REQUESTS_CA_BUNDLE に指定してください。検証を無効にしてはいけません。サンドボックスでは "
         "`oauthmail sandbox` が示す変数（ca.pem）を使います。"),
        _NET_SETTINGS,
    ),
    _e(
        "net-dns", "DNS",
        (r"Name or service not known", r"getaddrinfo failed", r"nodename nor servname", r"NameResolutionError",
         r"Temporary failure in name resolution", r"Failed to resolve", r"\b12007\b", r"ERROR_INTERNET_NAME_NOT_RESOLVED",
         r"No address associated with hostname", r"\[Errno -[235]\]", r"Errno 11001"),
        NetworkError,
        ("The server's name could not be resolved", "サーバー名を解決できませんでした"),
        ("DNS did not return an address for the host (SMTP host or token endpoint).",
         "ホスト（SMTP ホストまたはトークン エンドポイント）のアドレスを DNS が返しませんでした。"),
        (("A typo in smtp_host, token_uri or authority.", "smtp_host・token_uri・authority の入力ミス。"),
         ("No internet, or only a proxy can reach outside (direct DNS blocked).",
          "インターネットにつながっていない、またはプロキシ経由でしか外に出られない（直接の DNS が禁止）。"),
         ("VPN or company DNS does not resolve public names.", "VPN や社内 DNS が外部の名前を解決しない。")),
        ("Check the host name in the INI (smtp.gmail.com, smtp.office365.com) and try `nslookup <host>`. Behind a "
         "proxy, set HTTPS_PROXY; SMTP may then need a company relay — ask IT.",
         "INI のホスト名（smtp.gmail.com、smtp.office365.com）を確認し、`nslookup <ホスト>` を試してください。"
         "プロキシ環境では HTTPS_PROXY を設定します。SMTP には社内中継サーバーが必要な場合があるので情報システム"
         "部門に確認してください。"),
        _NET_SETTINGS,
    ),
    _e(
        "net-refused", "connection refused",
        (r"Connection refused", r"ConnectionRefusedError", r"WinError 10061", r"actively refused", r"Errno 111\b",
         r"ECONNREFUSED"),
        NetworkError,
        ("The connection was refused", "接続を拒否されました"),
        ("Nothing accepted the connection on that host and port (Connection refused).",
         "そのホストとポートで接続を受け付けるものがありませんでした（Connection refused）。"),
        (("Wrong port: Gmail and Microsoft use 587 (STARTTLS) or 465 (SSL, Gmail).",
          "ポートが違う: Gmail と Microsoft は 587（STARTTLS）、Gmail は 465（SSL）も可。"),
         ("A firewall or antivirus rejects outbound 587/465 (common on company and hotel networks).",
          "ファイアウォールやウイルス対策ソフトが外向きの 587／465 番を拒否している（社内やホテルの回線でよくある）。"),
         ("The local sandbox is not running.", "サンドボックスが起動していない。")),
        ("Check smtp_host and smtp_port in the INI; try the other port (587 ↔ 465 with the matching smtp_security); "
         "ask IT whether outbound 587/465 is allowed.",
         "INI の smtp_host と smtp_port を確認し、もう一方のポート（587 ↔ 465、smtp_security も合わせる）を"
         "試してください。外向きの 587／465 番ポートが許可されているか情報システム部門に確認してください。"),
        _NET_SETTINGS,
    ),
    _e(
        "net-timeout", "timeout",
        (r"timed out", r"TimeoutError", r"ConnectTimeout", r"ReadTimeout", r"WinError 10060", r"Errno 110\b",
         r"\b12002\b", r"ETIMEDOUT"),
        NetworkError,
        ("The connection timed out", "接続がタイムアウトしました"),
        ("No answer came within the time limit: packets are being dropped on the way.",
         "制限時間内に応答がありませんでした。途中で通信が遮断されている可能性があります。"),
        (("A firewall silently drops outbound 587/465 or 443.", "ファイアウォールが、外向きの 587／465 番や 443 番ポートへの通信を知らせずに遮断している。"),
         ("A proxy is required but not set (HTTPS_PROXY).", "プロキシが必要なのに設定されていない（HTTPS_PROXY）。"),
         ("The network is very slow or down.", "回線が非常に遅い、または切れている。")),
        ("Check that outbound 587/465 (SMTP) and 443 (token endpoint) are allowed; set HTTPS_PROXY if your network "
         "needs a proxy; run `oauthmail doctor` to see which step times out.",
         "外向きの 587／465 番（SMTP）と 443 番（トークン エンドポイント）が許可されているか確認し、プロキシが必要なら "
         "HTTPS_PROXY を設定してください。`oauthmail doctor` でどの段階でタイムアウトするか確認できます。"),
        _NET_SETTINGS,
    ),
    _e(
        "smtp-disconnected", "disconnected",
        (r"Connection unexpectedly closed", r"SMTPServerDisconnected", r"please run connect\(\) first",
         r"Connection reset by peer", r"WinError 10054", r"UNEXPECTED_EOF_WHILE_READING"),
        NetworkError,
        ("The mail server closed the connection", "メールサーバーが接続を切りました"),
        ("The connection ended before the server answered.", "サーバーが応答する前に接続が終了しました。"),
        (("STARTTLS/SSL mixed up (465 needs ssl, 587 starttls).", "STARTTLS と SSL の取り違え（465 は ssl、587 は starttls）。"),
         ("The connection was idle too long, or the server limits connections.",
          "接続が長く無操作だった、またはサーバーが接続数を制限している。"),
         ("A firewall or antivirus cut the connection.", "ファイアウォールやウイルス対策ソフトが接続を切った。")),
        ("Check smtp_port and smtp_security (587 + starttls or 465 + ssl) and try again; `oauthmail doctor` shows "
         "which step drops.",
         "smtp_port と smtp_security の組み合わせ（587 と starttls、または 465 と ssl）を確認して再試行してください。"
         "`oauthmail doctor` でどの段階で切れるか確認できます。"),
    ),
    _e(
        "local-port-busy", "port in use",
        (r"Address already in use", r"Errno 98\b", r"WinError 10048", r"EADDRINUSE",
         # the kit's own words (oauthmail/consent/loopback.py), pasted back into `oauthmail explain`
         r"Port \d+ on \S+ is (?:in use|used by another program's connection)",
         r"のポート \d+ は(?:使用中です|、別のプログラムの通信に使われています)"),
        ConsentError,
        ("The sign-in port is already in use", "サインイン用のポートが使用中です"),
        ("The kit could not listen on its loopback port (usually 48888) because another program holds it.",
         "別のプログラムが使っているため、キットがループバックのポート（通常 48888）で待ち受けできませんでした。"),
        (("An earlier sign-in is still waiting.", "前回のサインインがまだ待ち受けている。"),
         ("Another program uses the port.", "別のプログラムがそのポートを使っている。"),
         ("On Linux, the system gave the port to another program's outgoing connection (48888 lies in the range "
          "it hands out, 32768-60999 by default).",
          "Linux で、システムがそのポートを別のプログラムの外向きの接続に割り当てた（48888 は既定で割り当てに使われる"
          "範囲 32768～60999 に入っている）。")),
        ("Restart the notebook kernel or stop the other program, then try again. The port must stay 48888 because it "
         "is registered with the provider. If the system gave it to a connection, wait a minute and reserve it as "
         "root: `sysctl -w net.ipv4.ip_local_reserved_ports=48888`.",
         "ノートブックのカーネルを再起動するか他のプログラムを止めてから、やり直してください。ポートはプロバイダーに"
         "登録してあるため 48888 のままにする必要があります。システムが接続に割り当てた場合は 1 分ほど待ち、root で "
         "`sysctl -w net.ipv4.ip_local_reserved_ports=48888` を実行して予約してください。"),
    ),
    _e(
        "local-no-browser", "no browser",
        (r"could not locate runnable browser", r"Found no browser"),
        ConsentError,
        ("No browser can be opened here", "ここではブラウザーを開けません"),
        ("The program runs where no browser is available (a remote notebook or server), so the sign-in page cannot "
         "open and return here automatically.",
         "ブラウザーのない環境（リモートのノートブックやサーバー）で動いているため、サインイン ページを開いて自動で"
         "戻ってくることができません。"),
        (("JupyterHub, Colab, a container or SSH session.", "JupyterHub・Colab・コンテナー・SSH の環境。"),),
        ("Use paste mode: open the link on your own computer, approve, and when the browser shows 'This site can't be "
         "reached', copy the full address from the address bar and paste it back (`--paste` / the paste box).",
         "貼り付けモードを使ってください。自分のコンピューターでリンクを開いて同意し、ブラウザーに「このサイトに"
         "アクセスできません」と出たら、アドレスバーの URL を全部コピーして貼り付けます（`--paste` または貼り付け欄）。"),
    ),
)

# ------------------------------------------------------------------------------------------------
# SMTP entries from the core engineer are appended below this line (keep them; first match wins,
# so put specific ones in the blocks above if they must win over a general entry).
# ------------------------------------------------------------------------------------------------
