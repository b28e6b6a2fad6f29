"""The console steps the notebooks walk through, as checklists whose ticks go into the setup record.

Plain data (no ipywidgets): each :class:`Step` has a stable id (used by the notebooks, the
record and the tests) and one or a few ticks, each a :class:`~oauthmail.i18n.Msg`. The
notebooks' markdown explains the step; the ticks are what a person confirms having done.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import Msg


@dataclass(frozen=True)
class Step:
    """One console step: a title for the record and the ticks a person confirms."""

    id: str
    title: Msg
    ticks: tuple[tuple[str, Msg], ...]


def _s(step_id: str, title: Msg, *ticks: tuple[str, Msg]) -> Step:
    return Step(step_id, title, tuple(ticks))


# --- Google Cloud (seed 000 chapter 1, seed 001 chapter 2-①) -------------------------------------

G_PROJECT = _s(
    "google.project",
    Msg(en="Google Cloud project", ja="Google Cloud のプロジェクト"),
    ("created", Msg(en="I created (or chose) a project for the mailer", ja="メール送信用のプロジェクトを作成した（または選んだ）")),
)
G_GMAIL_API = _s(
    "google.gmail_api",
    Msg(en="Gmail API enabled", ja="Gmail API の有効化"),
    ("enabled", Msg(en="Gmail API shows \"API enabled\"", ja="Gmail API に「API が有効です」と表示された")),
)
G_CONSENT_SCREEN = _s(
    "google.consent_screen",
    Msg(en="OAuth consent screen (External)", ja="ブランディングと対象（旧「OAuth 同意画面」）"),
    ("external", Msg(en="User type: External (Internal only for a Workspace-only app)",
                     ja="「対象」で「外部」を選んだ（Workspace の組織内だけで使うなら「内部」）")),
    ("named", Msg(en="App name, support e-mail and developer contact filled in",
                  ja="アプリ名・「ユーザー サポートメール」・連絡先のメールアドレスを入力した")),
)
G_SCOPES = _s(
    "google.scopes",
    Msg(en="Gmail scope", ja="Gmail のスコープ（データアクセス）"),
    ("mail_scope", Msg(en="Added https://mail.google.com/ (needed for SMTP)",
                       ja="https://mail.google.com/ を追加した（SMTP 送信に必要）")),
)
G_TEST_USERS = _s(
    "google.test_users",
    Msg(en="Test users", ja="テストユーザー"),
    ("added", Msg(en="The sending Gmail address is on the test-user list",
                  ja="送信に使う Gmail アドレスをテストユーザーに追加した")),
)
G_PUBLISHING = _s(
    "google.publishing",
    Msg(en="Publishing status", ja="公開ステータス"),
    ("understood", Msg(en="I know that in \"Testing\" the refresh token expires after 7 days",
                       ja="「テスト中」のままだとリフレッシュ トークンが 7 日で切れることを理解した")),
)
G_SUMMARY = _s(
    "google.summary",
    Msg(en="Consent screen summary checked", ja="同意画面の設定の確認"),
    ("checked", Msg(en="Reviewed the summary: External, Gmail scope, test user",
                    ja="「外部」・Gmail のスコープ・テストユーザーが設定されていることを確認した")),
)
G_CLIENT = _s(
    "google.client",
    Msg(en="OAuth client ID", ja="OAuth クライアント（旧「認証情報」）"),
    ("created", Msg(en="Created an OAuth client ID (Desktop app, or Web application)",
                    ja="OAuth クライアントを作成した（「デスクトップ アプリ」または「ウェブ アプリケーション」）")),
    ("redirect", Msg(en="Web application only: added exactly http://127.0.0.1:48888/callback",
                     ja="ウェブ アプリケーションの場合: http://127.0.0.1:48888/callback を一字一句そのまま追加した")),
)
G_SECRET = _s(
    "google.secret",
    Msg(en="Client ID and secret kept", ja="クライアント ID とシークレットの保管"),
    ("kept", Msg(en="Downloaded the JSON (or copied ID and secret) right away",
                 ja="作成直後に JSON をダウンロードした（または ID とシークレットを控えた）")),
)
G_SIGN_IN = _s(
    "google.sign_in",
    Msg(en="Signing in", ja="サインイン"),
    ("account", Msg(en="I will choose the same account as the test user", ja="テストユーザーと同じアカウントでサインインすることを確認した")),
    ("unverified", Msg(en="I know \"Google hasn't verified this app\" → Advanced → Go to … is expected",
                       ja="「このアプリは Google で確認されていません」→「詳細」→「…に移動」が想定どおりだと理解した")),
)

# --- Azure / Microsoft 365 (seed 000 chapter 2) ---------------------------------------------------

M_LICENSE = _s(
    "microsoft.license",
    Msg(en="Microsoft 365 business mailbox", ja="Microsoft 365（法人向け）のメールボックス"),
    ("mailbox", Msg(en="The sending mailbox is in Microsoft 365 for business (or is an outlook.com account)",
                    ja="送信元メールボックスが Microsoft 365 法人向け（または outlook.com の個人アカウント）であることを確認した")),
)
M_REGISTER = _s(
    "microsoft.register",
    Msg(en="App registration", ja="アプリの登録"),
    ("registered", Msg(en="New registration created with a name and supported account types",
                       ja="名前とサポートされているアカウントの種類を決めて新規登録した")),
    ("redirect", Msg(en="Redirect URI: platform Web, exactly http://localhost:48888/callback",
                     ja="プラットフォーム「Web」にリダイレクト URI http://localhost:48888/callback をそのまま追加した")),
)
M_OVERVIEW = _s(
    "microsoft.overview",
    Msg(en="Overview page", ja="概要ページ"),
    ("ids", Msg(en="Found the Application (client) ID and Directory (tenant) ID",
                ja="アプリケーション (クライアント) ID とディレクトリ (テナント) ID の場所を確認した")),
)
M_PERMISSIONS = _s(
    "microsoft.permissions",
    Msg(en="API permissions", ja="API のアクセス許可"),
    ("graph", Msg(en="Microsoft Graph delegated: Mail.Send and offline_access",
                  ja="Microsoft Graph の委任されたアクセス許可 Mail.Send と offline_access を追加した")),
    ("smtp", Msg(en="For SMTP: SMTP.Send as well", ja="SMTP で送る場合: SMTP.Send も追加した")),
)
M_ADMIN_CONSENT = _s(
    "microsoft.admin_consent",
    Msg(en="Admin consent", ja="管理者の同意"),
    ("granted", Msg(en="\"Grant admin consent\" done; status shows a green tick",
                    ja="「管理者の同意を与えます」を実行し、状態が緑のチェックになった")),
)
M_NOTE_IDS = _s(
    "microsoft.note_ids",
    Msg(en="Client ID and redirect URI noted", ja="クライアント ID とリダイレクト URI の控え"),
    ("noted", Msg(en="Noted the client ID, tenant ID and redirect URI",
                  ja="クライアント ID・テナント ID・リダイレクト URI を控えた")),
)
M_SECRET = _s(
    "microsoft.secret",
    Msg(en="Client secret", ja="クライアント シークレット"),
    ("created", Msg(en="New client secret created; expiry date written down",
                    ja="新しいクライアント シークレットを作成し、有効期限を控えた")),
    ("value", Msg(en="Copied the Value (not the Secret ID) before leaving the page",
                  ja="ページを離れる前に「値」（シークレット ID ではない）をコピーした")),
)
M_SMTP_AUTH = _s(
    "microsoft.smtp_auth",
    Msg(en="Authenticated SMTP for the mailbox", ja="メールボックスの認証済み SMTP"),
    ("enabled", Msg(en="Microsoft 365 admin center: Authenticated SMTP ticked and saved",
                    ja="Microsoft 365 管理センターで「認証済み SMTP」をオンにして保存した")),
    ("wait", Msg(en="I know it can take a while before it applies", ja="反映まで時間がかかることがあると理解した")),
)
M_SIGN_IN = _s(
    "microsoft.sign_in",
    Msg(en="Signing in", ja="サインイン"),
    ("account", Msg(en="I will sign in as the sending mailbox's user", ja="送信元メールボックスのユーザーでサインインすることを確認した")),
)

# --- common --------------------------------------------------------------------------------------

C_TOKEN_FILE = _s(
    "common.token_file",
    Msg(en="Token file", ja="トークン INI"),
    ("kept", Msg(en="I know the INI holds a refresh token and must stay private (chmod 600)",
                 ja="INI にはリフレッシュ トークンが入っており、他人に見せない（chmod 600）ことを理解した")),
)

STEPS: dict[str, Step] = {
    s.id: s
    for s in (
        G_PROJECT, G_GMAIL_API, G_CONSENT_SCREEN, G_SCOPES, G_TEST_USERS, G_PUBLISHING, G_SUMMARY,
        G_CLIENT, G_SECRET, G_SIGN_IN, M_LICENSE, M_REGISTER, M_OVERVIEW, M_PERMISSIONS,
        M_ADMIN_CONSENT, M_NOTE_IDS, M_SECRET, M_SMTP_AUTH, M_SIGN_IN, C_TOKEN_FILE,
    )
}


def step(step_id: str) -> Step:
    """The step with this id (``KeyError`` names the known ids: a typo in a notebook shows at once)."""
    try:
        return STEPS[step_id]
    except KeyError:
        raise KeyError(f"unknown step {step_id!r}; known: {', '.join(STEPS)}") from None
