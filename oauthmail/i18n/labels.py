"""The kit's button, field and choice labels, in both languages: ONE place for each.

The widgets (:mod:`oauthmail.ui.views`) show these constants, and every text that tells a person which
button to press (the notebooks built by ``tools/build_notebooks.py``, the error catalog, status lines)
quotes them with :func:`quote`, so a label changed here changes everywhere and nothing can drift.
Light on purpose (only :class:`~oauthmail.i18n.Msg`): the error catalog imports it.
"""

from __future__ import annotations

from . import Msg


def quote(label: Msg, lang: str) -> str:
    """How a text names a button or a choice: 「サインインを開始」 in Japanese, 'Start sign-in' in English."""
    return f"「{label.ja}」" if lang == "ja" else f"'{label.en}'"


L_MODE = Msg(en="Where to sign in", ja="サインイン先")
L_SANDBOX = Msg(en="Sandbox (practice)", ja="サンドボックス（練習）")
L_REAL_GOOGLE = Msg(en="Real Google", ja="本番の Google")
L_REAL_MICROSOFT = Msg(en="Real Microsoft", ja="本番の Microsoft")
L_MODE_SANDBOX_NOTE = Msg(
    en="Practice mode: a local Google-like / Microsoft-like sign-in and mail server. Nothing leaves this machine.",
    ja="練習モード: このマシンの中で動く Google 風・Microsoft 風のサインインとメールサーバーを使います。外部には何も送りません。",
)
L_MODE_REAL_NOTE = Msg(
    en="Real mode: you need the values from your own console, and the test message really goes out.",
    ja="本番モード: ご自分のコンソールで作った値が必要です。テストメールは実際に送信されます。",
)
L_UPLOAD = Msg(en="Client JSON", ja="クライアント JSON")
L_CLIENT_ID = Msg(en="Client ID", ja="クライアント ID")
L_CLIENT_SECRET = Msg(en="Client secret", ja="クライアント シークレット")
L_CLIENT_KIND = Msg(en="Client type", ja="クライアントの種類")
L_KIND_DESKTOP = Msg(en="Desktop app", ja="デスクトップ アプリ")
L_KIND_WEB = Msg(en="Web application", ja="ウェブ アプリケーション")
L_TENANT = Msg(en="Tenant", ja="テナント")
L_ACCOUNT_TYPE = Msg(en="Accounts", ja="アカウントの種類")
L_ACC_ORG = Msg(en="Work or school (organizations)", ja="職場または学校（organizations）")
L_ACC_ANY = Msg(en="Any Microsoft account (common)", ja="すべての Microsoft アカウント（common）")
L_ACC_PERSONAL = Msg(en="Personal only (consumers)", ja="個人用のみ（consumers）")
L_ACC_TENANT = Msg(en="My tenant only (tenant ID below)", ja="自分のテナントのみ（下にテナント ID）")
L_EXPIRES = Msg(en="Secret expires", ja="シークレットの有効期限")
L_USE_VALUES = Msg(en="Use these values", ja="この値を使う")
L_USE_SANDBOX = Msg(en="Use the sandbox client", ja="サンドボックスのクライアントを使う")
L_PUBLIC = Msg(en="Public client (no secret, device code)", ja="パブリック クライアント（シークレットなし・デバイス コード）")
L_APP_KIND = Msg(en="App type", ja="アプリの種類")
L_CONFIDENTIAL = Msg(en="Web app with a client secret", ja="クライアント シークレットを使う Web アプリ")
L_EMAIL = Msg(en="Sign in as", ja="サインインするアドレス")
L_EMAIL_PH = Msg(en="you@example.com (optional: checked after sign-in)", ja="you@example.com（任意。サインイン後に照合します）")
L_TRANSPORT = Msg(en="Send through", ja="送信方法")
L_VIA_SMTP = Msg(en="SMTP (port 587, XOAUTH2) — default", ja="SMTP（587 番ポート、XOAUTH2）— 既定")
L_VIA_GRAPH = Msg(en="Microsoft Graph over HTTPS (Mail.Send)", ja="Microsoft Graph（HTTPS、Mail.Send）")
L_VIA_GMAIL_API = Msg(en="Gmail API over HTTPS (gmail.send)", ja="Gmail API（HTTPS、gmail.send）")
L_START = Msg(en="Start sign-in", ja="サインインを開始")
L_DEVICE = Msg(en="Sign in with a device code", ja="デバイス コードでサインイン")
L_CANCEL = Msg(en="Cancel", ja="中止")
L_OPEN_LINK = Msg(en="Open the sign-in page", ja="サインイン ページを開く")
L_PASTE = Msg(en="Address after sign-in", ja="サインイン後のアドレス")
L_PASTE_PH = Msg(en="http://…/callback?code=… (the whole address)", ja="http://…/callback?code=…（アドレス全体）")
L_PASTE_BUTTON = Msg(en="Finish with this address", ja="このアドレスで完了")
L_TO = Msg(en="To", ja="宛先")
L_TO_PH = Msg(en="empty: the signed-in address", ja="空欄ならサインインしたアドレス")
L_SUBJECT = Msg(en="Subject", ja="件名")
L_BODY = Msg(en="Body", ja="本文")
L_SEND = Msg(en="Send test message", ja="テストメールを送信")
L_TRANSCRIPT = Msg(en="SMTP conversation (tokens masked)", ja="SMTP のやり取り（トークンは伏せ字）")
L_EXPORT = Msg(en="Export INI and setup record", ja="INI とセットアップ記録を書き出す")
L_DOWNLOAD_RECORD = Msg(en="Download the setup record", ja="セットアップ記録をダウンロード")
L_INI_NO_DOWNLOAD = Msg(
    en="The INI holds your refresh token, so it is not offered as a download: copy it from this path "
    "with your file manager or terminal, and keep it private.",
    ja="INI にはリフレッシュ トークンが入っているため、ダウンロード リンクは出しません。このパスからファイル操作や"
    "ターミナルでコピーし、他人に見せないでください。",
)
L_CHECK = Msg(en="Check this environment", ja="この環境を診断")
L_INI_PATH = Msg(en="INI file", ja="INI ファイル")
L_ACCOUNT = Msg(en="Account (optional)", ja="アカウント（任意）")
L_LOAD = Msg(en="Load", ja="読み込む")
L_DOCTOR = Msg(en="Run the doctor", ja="診断を実行")
L_EXPLAIN_TEXT = Msg(en="Error message", ja="エラーメッセージ")
L_EXPLAIN = Msg(en="Explain", ja="説明を見る")
L_ERROR = Msg(en="Problem", ja="問題")
# The headings of an explanation: the same in `oauthmail explain` and the notebooks' explain box.
L_WHAT = Msg(en="What happened", ja="何が起きたか")
L_CAUSES = Msg(en="Likely causes", ja="考えられる原因")
L_HINT = Msg(en="What to do", ja="対処方法")
L_WHERE = Msg(en="Where", ja="設定する場所")



_PROVIDER_NAMES = {"google": "Google", "microsoft": "Microsoft"}
_TRANSPORT_NAMES = {"smtp": "SMTP", "graph": "Microsoft Graph", "gmail-api": "Gmail API"}
_SECURITY_NAMES = {"starttls": "STARTTLS", "ssl": "SSL/TLS"}


def _named(raw: str, names: dict[str, str]) -> Msg:
    """A raw INI value as a parameter: kept as it is in English, by its name in Japanese."""
    esc = str(raw).replace("{", "{{").replace("}", "}}")
    return Msg(en=esc, ja=names.get(raw, esc))


def provider_name(raw: str) -> Msg:
    """The provider: 「Google」「Microsoft」 in Japanese text, not the INI's ``google``/``microsoft``."""
    return _named(raw, _PROVIDER_NAMES)


def transport_name(raw: str) -> Msg:
    """The transport: 「Microsoft Graph」「Gmail API」 in Japanese text, not the INI's ``graph``/``gmail-api``."""
    return _named(raw, _TRANSPORT_NAMES)


def security_name(raw: str) -> Msg:
    """The SMTP security: 「STARTTLS」「SSL/TLS」 in Japanese text, not the INI's ``starttls``/``ssl``."""
    return _named(raw, _SECURITY_NAMES)
