"""The pages a person sees in the sandbox: consent, errors, device sign-in, the mailbox.

Plain HTML with inline CSS and no external assets (a class may have no internet). Every link
and form action is *relative*, so the pages also work behind jupyter-server-proxy
(``{prefix}proxy/{port}/…``). Machine-readable hooks for the simulated user: ``<meta
name="sandbox-error">``, ``id="consent"`` forms and ``id="sandbox-return"`` links.
"""

from __future__ import annotations

import html
from email.message import EmailMessage
from urllib.parse import urlencode

from ..i18n import Msg

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Hiragino Sans","Noto Sans JP",sans-serif;
background:#f3f4f6;color:#1f2937;margin:0}
main{max-width:640px;margin:40px auto;background:#fff;border-radius:10px;padding:28px 32px;
box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.35rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
.brand{font-size:.85rem;color:#6b7280;letter-spacing:.02em}
.google .brand b{color:#1a73e8}.microsoft .brand b{color:#2f6fb7}
ul.perm{padding-left:1.1rem}ul.perm li{margin:.35rem 0}
label.acct{display:block;border:1px solid #d1d5db;border-radius:6px;padding:.5rem .7rem;margin:.35rem 0;cursor:pointer}
.buttons{display:flex;gap:.8rem;justify-content:flex-end;margin-top:1.4rem}
button{font-size:1rem;padding:.55rem 1.3rem;border-radius:6px;border:1px solid #9ca3af;background:#fff;cursor:pointer}
button.primary{background:#1a73e8;border-color:#1a73e8;color:#fff}
.microsoft button.primary{background:#2f6fb7;border-color:#2f6fb7}
.err{border-left:4px solid #d93025;padding:.4rem .9rem;background:#fdecea}
.note{color:#4b5563;font-size:.9rem}.lang{float:right;font-size:.85rem}
code,pre{background:#f3f4f6;border-radius:4px;padding:.1rem .3rem;white-space:pre-wrap;word-break:break-all}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #e5e7eb;padding:.4rem;text-align:left;font-size:.92rem}
input[type=text]{font-size:1.2rem;padding:.4rem;width:12em;letter-spacing:.1em}
"""

SANDBOX_BANNER = Msg(en="oauthmail sandbox — practice only, no real account is used",
                     ja="oauthmail サンドボックス — 練習用です。本物のアカウントは使いません")
LOCKED_TITLE = Msg(en="This sandbox page needs its link", ja="このサンドボックスのページはリンクから開いてください")
LOCKED_TEXT = Msg(
    en="The mailbox and device sign-in pages open only through the link the kit shows (it carries this sandbox's "
    "page token, kept in sandbox.json). Open the link from the notebook or from `oauthmail sandbox`.",
    ja="メールボックスとデバイス コード入力のページは、キットが表示するリンク（sandbox.json にあるこのサンドボックスの"
    "ページ用トークンが付いています）からしか開けません。ノートブックか `oauthmail sandbox` の表示にあるリンクを開いてください。",
)
SWITCH_LANG = Msg(en="日本語", ja="English")
GOOGLE_SIGN_IN = Msg(en="Sign in with Google", ja="Google でログイン")
MS_SIGN_IN = Msg(en="Microsoft", ja="Microsoft")
WANTS_ACCESS = Msg(en="{app} wants to access your account", ja="{app} があなたのアカウントへのアクセスを求めています")
CHOOSE_ACCOUNT = Msg(en="Choose an account", ja="アカウントを選んでください")
PERMISSIONS_ASKED = Msg(en="This will allow {app} to:", ja="{app} に次のことを許可します:")
GRANULAR_NOTE = Msg(en="You can untick a permission you do not want to give (the app then may not work).",
                    ja="許可したくない項目はチェックを外せます（その場合アプリが動かないことがあります）。")
NOT_TEST_USER_NOTE = Msg(en="not a test user of this app", ja="このアプリのテストユーザーではありません")
ALLOW = Msg(en="Allow", ja="許可")
DENY = Msg(en="Cancel", ja="キャンセル")  # Google's consent screen: 「キャンセル」 and 「許可」
MS_ACCEPT = Msg(en="Accept", ja="承諾")
MS_CANCEL = Msg(en="Cancel", ja="キャンセル")
MS_PERMISSIONS_TITLE = Msg(en="Permissions requested", ja="要求されているアクセス許可")
MS_UNVERIFIED = Msg(en="{app} — unverified. This app would like to:", ja="{app}（未確認）— このアプリは次のことを求めています:")
UNVERIFIED_WARNING = Msg(
    en="Google hasn't verified this app. The app is requesting access to sensitive info in your Google Account. "
       "On the real page, a developer or test user continues with Advanced → Go to {app} (unsafe).",
    ja="このアプリは Google で確認されていません。アプリは Google アカウントの機密情報へのアクセスを求めています。"
       "本物の画面では、開発者やテストユーザーは「詳細」→「{app}（安全ではないページ）に移動」で先に進みます。",
)
TRUST_NOTE = Msg(en="Only allow this if you trust the app. You can remove access later in your account settings.",
                 ja="信頼できるアプリの場合だけ許可してください。アクセス権は後でアカウント設定から取り消せます。")
ERROR_TITLE = Msg(en="Sign-in error", ja="サインインのエラー")
ERROR_DEV_HINT = Msg(en="If you are the developer of this app, the text above says what to change. "
                        "`oauthmail explain \"<code>\"` explains it step by step.",
                     ja="このアプリの開発者の方へ: 上の文面が何を直せばよいかを示しています。"
                        "`oauthmail explain \"<コード>\"` で手順を確認できます。")
BLOCKED_TITLE = Msg(en="Access blocked: {app} has not completed the Google verification process",
                    ja="アクセスをブロック: {app} は Google の審査プロセスを完了していません")
BLOCKED_RETURN = Msg(en="Back to the app (it receives error=access_denied)",
                     ja="アプリに戻る（アプリには error=access_denied が届きます）")
BLOCKED_FIX = Msg(en="Fix (developer): Google Cloud console → Google Auth Platform → Audience → Test users → add {email}.",
                  ja="対処（開発者向け）: Google Cloud コンソールの「Google Auth Platform」→「対象」→「テストユーザー」に {email} を追加してください。")
FORM_POST_NOTE = Msg(en="Returning to the app…", ja="アプリに戻っています…")
CONTINUE = Msg(en="Continue", ja="続ける")
DEVICE_TITLE = Msg(en="Enter code", ja="コードの入力")
DEVICE_PROMPT = Msg(en="Enter the code displayed on your app or device.",
                    ja="アプリやデバイスに表示されているコードを入力してください。")
DEVICE_NEXT = Msg(en="Next", ja="次へ")
DEVICE_BAD_CODE = Msg(en="That code didn't work. Check the code and try again (codes expire after 15 minutes).",
                      ja="このコードは使えません。コードを確認してもう一度入力してください（コードの有効期限は 15 分です）。")
DEVICE_APPROVED = Msg(en="You have signed in to the {app} application on your device. You may now close this window.",
                      ja="デバイス上の {app} アプリにサインインしました。このウィンドウは閉じてかまいません。")
DEVICE_DENIED = Msg(en="You declined to sign in to {app} on the device. You may now close this window.",
                    ja="デバイスでの {app} へのサインインを拒否しました。このウィンドウは閉じてかまいません。")
MAILBOX_TITLE = Msg(en="Sandbox mailbox", ja="サンドボックスのメールボックス")
MAILBOX_EMPTY = Msg(en="No message delivered yet. Send one with `oauthmail send` or the notebook's Send button.",
                    ja="まだメールは届いていません。`oauthmail send` かノートブックの送信ボタンで送ってみてください。")
MAILBOX_COLS = Msg(en="#|Date|From|To|Subject|Signed-in user", ja="#|日時|差出人|宛先|件名|認証ユーザー")
MAILBOX_BACK = Msg(en="Back to the list", ja="一覧に戻る")
MAILBOX_NOT_FOUND = Msg(en="There is no message number {n}.", ja="{n} 番のメールはありません。")
INDEX_TITLE = Msg(en="oauthmail sandbox is running", ja="oauthmail サンドボックスが動いています")
INDEX_TEXT = Msg(en="Google-like and Microsoft-like sign-in and an XOAUTH2 mail server on this computer.",
                 ja="Google 風・Microsoft 風のサインインと XOAUTH2 メールサーバーがこのコンピューターで動いています。")

#: Permissions in plain words (Google shows its own texts; these follow them).
SCOPE_TEXTS: dict[str, Msg] = {
    "https://mail.google.com/": Msg(en="Read, compose, send and permanently delete all your email from Gmail",
                                    ja="Gmail のすべてのメールの閲覧、作成、送信、完全な削除"),
    "https://www.googleapis.com/auth/gmail.send": Msg(en="Send email on your behalf", ja="あなたの代わりにメールを送信"),
    "https://www.googleapis.com/auth/gmail.readonly": Msg(en="View your email messages and settings",
                                                          ja="メールと設定の表示"),
    "https://www.googleapis.com/auth/gmail.compose": Msg(en="Manage drafts and send emails", ja="下書きの管理とメールの送信"),
    "https://www.googleapis.com/auth/gmail.modify": Msg(en="Read, compose and send emails from your Gmail account",
                                                        ja="Gmail アカウントのメールの閲覧、作成、送信"),
    "https://www.googleapis.com/auth/userinfo.email": Msg(en="See your primary Google Account email address",
                                                          ja="Google アカウントのメインのメールアドレスの表示"),
    "https://www.googleapis.com/auth/userinfo.profile": Msg(
        en="See your personal info, including any personal info you've made publicly available",
        ja="公開しているものを含む、あなたの個人情報の表示"),
    "openid": Msg(en="Associate you with your personal info on Google", ja="Google 上の個人情報とあなたを関連付ける"),
    "SMTP.Send": Msg(en="Send emails from mailboxes using SMTP AUTH.", ja="SMTP AUTH を使用してメールボックスからメールを送信する"),
    "IMAP.AccessAsUser.All": Msg(en="Read and write access to mailboxes via IMAP.",
                                 ja="IMAP によるメールボックスの読み取りと書き込み"),
    "POP.AccessAsUser.All": Msg(en="Read and write access to mailboxes via POP.", ja="POP によるメールボックスの読み取りと書き込み"),
    "Mail.Send": Msg(en="Send mail as you", ja="あなたとしてメールを送信する"),
    "User.Read": Msg(en="Sign you in and read your profile", ja="サインインしてプロファイルを読み取る"),
    "offline_access": Msg(en="Maintain access to data you have given it access to",
                          ja="アクセスを許可したデータへのアクセスを維持する"),
    "profile": Msg(en="View your basic profile", ja="基本プロファイルの表示"),
    "email": Msg(en="View your email address", ja="メールアドレスの表示"),
}
#: Where Microsoft words a permission differently from Google (its consent page says "Sign you in").
MS_SCOPE_TEXTS: dict[str, Msg] = {
    "openid": Msg(en="Sign you in", ja="サインインする"),
}
UNKNOWN_SCOPE = Msg(en="Use the permission {scope}", ja="アクセス許可 {scope} の使用")


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def scope_text(scope: str, lang: str, provider: str = "google") -> str:
    key = scope.rsplit("/", 1)[-1] if scope.startswith(("https://outlook.", "https://graph.microsoft.com/")) else scope
    msg = (MS_SCOPE_TEXTS.get(key) if provider == "microsoft" else None) or SCOPE_TEXTS.get(key) or SCOPE_TEXTS.get(scope)
    return msg.format(lang) if msg else UNKNOWN_SCOPE.format(lang, scope=scope)


def lang_toggle(query: dict[str, str], lang: str) -> str:
    other = "en" if lang == "ja" else "ja"
    q = dict(query)
    q["hl"] = other
    return f'<a class="lang" href="?{esc(urlencode(q))}">{esc(SWITCH_LANG.format(lang))}</a>'


def page(title: str, body: str, lang: str, *, provider: str = "", meta: dict[str, str] | None = None,
         toggle: str = "") -> str:
    metas = "".join(f'<meta name="{esc(k)}" content="{esc(v)}">' for k, v in (meta or {}).items())
    return (
        f'<!doctype html><html lang="{esc(lang)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">{metas}'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>"
        f'<body class="{esc(provider)}"><main>{toggle}<div class="brand">{esc(SANDBOX_BANNER.format(lang))}</div>'
        f"{body}</main></body></html>"
    )


def consent_page(*, provider: str, req_id: str, app: str, scopes: list[str], users: list[tuple[str, str, bool]],
                 selected: str, lang: str, query: dict[str, str], granular: bool, unverified: bool = False) -> str:
    """Account chooser + permissions + Allow/Deny. ``users`` holds (email, name, is_test_user)."""
    rows = []
    for email, name, test_ok in users:
        checked = " checked" if email.lower() == selected.lower() else ""
        note = "" if test_ok else f' <span class="note">({esc(NOT_TEST_USER_NOTE.format(lang))})</span>'
        rows.append(f'<label class="acct"><input type="radio" name="user" value="{esc(email)}"{checked}> '
                    f"<b>{esc(name)}</b> &lt;{esc(email)}&gt;{note}</label>")
    perms = []
    basic = {"openid", "https://www.googleapis.com/auth/userinfo.email",
             "https://www.googleapis.com/auth/userinfo.profile"}
    for s in scopes:
        text = esc(scope_text(s, lang, provider))
        if granular and s not in basic:
            perms.append(f'<li><label><input type="checkbox" name="scope" value="{esc(s)}" checked> {text}</label>'
                         f' <code>{esc(s)}</code></li>')
        else:
            perms.append(f"<li>{text} <code>{esc(s)}</code></li>")
    is_google = provider == "google"
    brand = GOOGLE_SIGN_IN if is_google else MS_SIGN_IN
    allow, deny = (ALLOW, DENY) if is_google else (MS_ACCEPT, MS_CANCEL)
    head = WANTS_ACCESS.format(lang, app=app) if is_google else MS_PERMISSIONS_TITLE.format(lang)
    intro = PERMISSIONS_ASKED.format(lang, app=app) if is_google else MS_UNVERIFIED.format(lang, app=app)
    body = (
        f"<p><b>{esc(brand.format(lang))}</b></p><h1>{esc(head)}</h1>"
        + (f'<div class="err" id="unverified"><p>{esc(UNVERIFIED_WARNING.format(lang, app=app))}</p></div>'
           if unverified else "")
        + '<form id="consent" method="post" action="consent">'
        f'<input type="hidden" name="req" value="{esc(req_id)}"><input type="hidden" name="hl" value="{esc(lang)}">'
        f"<h2>{esc(CHOOSE_ACCOUNT.format(lang))}</h2>{''.join(rows)}"
        f"<h2>{esc(intro)}</h2><ul class=\"perm\">{''.join(perms)}</ul>"
        + (f'<p class="note">{esc(GRANULAR_NOTE.format(lang))}</p>' if granular else "")
        + f'<p class="note">{esc(TRUST_NOTE.format(lang))}</p>'
        f'<div class="buttons"><button type="submit" name="action" value="deny">{esc(deny.format(lang))}</button>'
        f'<button class="primary" type="submit" name="action" value="allow">{esc(allow.format(lang))}</button></div>'
        f"</form>"
    )
    return page(head, body, lang, provider=provider, toggle=lang_toggle(query, lang),
                meta={"sandbox-page": "consent"})


def error_page(*, provider: str, error: str, detail: str, lang: str, query: dict[str, str] | None = None) -> str:
    title = f"Error 400: {error}" if provider == "google" and not error.startswith("AADSTS") else error
    if provider == "google" and error == "invalid_client":
        title = "Error 401: invalid_client"
    body = (f"<h1>{esc(ERROR_TITLE.format(lang))}</h1><div class=\"err\"><p><b>{esc(title)}</b></p>"
            f"<p>{esc(detail)}</p></div><p class=\"note\">{esc(ERROR_DEV_HINT.format(lang))}</p>")
    return page(title, body, lang, provider=provider, meta={"sandbox-error": error, "sandbox-detail": detail},
                toggle=lang_toggle(query or {}, lang))


def blocked_page(*, app: str, detail: str, return_url: str, email: str, lang: str) -> str:
    title = BLOCKED_TITLE.format(lang, app=app)
    body = (f"<h1>{esc(title)}</h1><div class=\"err\"><p>{esc(detail)}</p><p><b>Error 403: access_denied</b></p></div>"
            f"<p class=\"note\">{esc(BLOCKED_FIX.format(lang, email=email))}</p>"
            f'<p><a id="sandbox-return" href="{esc(return_url)}">{esc(BLOCKED_RETURN.format(lang))}</a></p>')
    return page(title, body, lang, provider="google", meta={"sandbox-error": "access_denied", "sandbox-detail": detail})


def form_post_page(url: str, fields: dict[str, str], lang: str) -> str:
    inputs = "".join(f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">' for k, v in fields.items())
    body = (f'<p>{esc(FORM_POST_NOTE.format(lang))}</p><form id="form_post" method="post" action="{esc(url)}">'
            f'{inputs}<noscript><button type="submit">{esc(CONTINUE.format(lang))}</button></noscript></form>'
            "<script>document.getElementById('form_post').submit()</script>")
    return page(FORM_POST_NOTE.format(lang), body, lang, provider="microsoft", meta={"sandbox-page": "form_post"})


def with_token(href: str, query: dict[str, str] | None) -> str:
    """``href`` carrying the page token (``t``) the current page was opened with, so links work without cookies."""
    token = (query or {}).get("t")
    return f"{href}{'&' if '?' in href else '?'}{urlencode({'t': token})}" if token else href


def token_field(query: dict[str, str] | None) -> str:
    """A hidden form field with the page token the current page was opened with."""
    token = (query or {}).get("t")
    return f'<input type="hidden" name="t" value="{esc(token)}">' if token else ""


def locked_page(lang: str) -> str:
    """Answer to a page request without the sandbox's page token (another user of the machine, another site)."""
    return page(LOCKED_TITLE.format(lang), f"<h1>{esc(LOCKED_TITLE.format(lang))}</h1><p>{esc(LOCKED_TEXT.format(lang))}"
                "</p>", lang, meta={"sandbox-error": "page_token"})


def device_entry_page(lang: str, *, bad_code: bool = False, query: dict[str, str] | None = None) -> str:
    err = f'<div class="err"><p>{esc(DEVICE_BAD_CODE.format(lang))}</p></div>' if bad_code else ""
    body = (f"<p><b>Microsoft</b></p><h1>{esc(DEVICE_TITLE.format(lang))}</h1>{err}"
            f"<p>{esc(DEVICE_PROMPT.format(lang))}</p>"
            f'<form id="device" method="post" action="devicelogin"><input type="hidden" name="hl" value="{esc(lang)}">'
            f"{token_field(query)}"
            f'<input type="text" name="otc" autocomplete="off" autofocus>'
            f'<div class="buttons"><button class="primary" type="submit">{esc(DEVICE_NEXT.format(lang))}</button></div>'
            f"</form>")
    meta = {"sandbox-page": "device"}
    if bad_code:
        meta["sandbox-error"] = "invalid_user_code"
    return page(DEVICE_TITLE.format(lang), body, lang, provider="microsoft", meta=meta,
                toggle=lang_toggle(query or {}, lang))


def device_done_page(result: str, app: str, lang: str) -> str:
    text = (DEVICE_APPROVED if result == "approved" else DEVICE_DENIED).format(lang, app=app)
    return page(text, f"<p><b>Microsoft</b></p><h1>{esc(app)}</h1><p>{esc(text)}</p>", lang, provider="microsoft",
                meta={"sandbox-page": "device_done", "sandbox-result": result})


def mail_date(header: object, lang: str) -> str:
    """A ``Date:`` header as a reader of ``lang`` reads it: in Japanese 「2026 年 12 月 2 日（水）18:42:05（日本時間）」
    in this computer's time zone; in English, and for a header that does not parse, the header as it is."""
    raw = str(header or "")
    if lang != "ja" or not raw:
        return raw
    from email.utils import parsedate_to_datetime

    from ..i18n.dates import japanese_datetime

    try:
        return japanese_datetime(parsedate_to_datetime(raw))
    except (TypeError, ValueError, IndexError, OverflowError):
        return raw


def _date_cell(header: object, lang: str, *, raw_below: bool = False) -> str:
    """The date as :func:`mail_date` shows it; the raw header stays on the page for a search (the cell's
    title, and under the date on a message's own page)."""
    raw, shown = str(header or ""), mail_date(header, lang)
    if shown == raw:
        return esc(raw)
    below = f'<br><small class="note">{esc(raw)}</small>' if raw_below else ""
    return f'<span title="{esc(raw)}">{esc(shown)}</span>{below}'


def mailbox_list_page(messages: list[EmailMessage], lang: str, query: dict[str, str]) -> str:
    if not messages:
        rows = f'<p class="note">{esc(MAILBOX_EMPTY.format(lang))}</p>'
    else:
        cols = MAILBOX_COLS.format(lang).split("|")
        head = "".join(f"<th>{esc(c)}</th>" for c in cols)
        lines = []
        for i, msg in enumerate(messages, start=1):
            lines.append(
                f'<tr><td><a href="{esc(with_token(f"mailbox/{i}", query))}">{i}</a></td><td>{_date_cell(msg.get("Date"), lang)}</td>'
                f'<td>{esc(msg.get("From", ""))}</td><td>{esc(msg.get("To", ""))}</td>'
                f'<td><a href="{esc(with_token(f"mailbox/{i}", query))}">{esc(msg.get("Subject", "") or "-")}</a></td>'
                f'<td>{esc(msg.get("X-Sandbox-Authenticated-User", ""))}</td></tr>')
        rows = f"<table><tr>{head}</tr>{''.join(lines)}</table>"
    title = MAILBOX_TITLE.format(lang)
    return page(title, f"<h1>{esc(title)}</h1>{rows}", lang, toggle=lang_toggle(query, lang),
                meta={"sandbox-page": "mailbox"})


def message_text(msg: EmailMessage) -> str:
    """The readable body: the text/plain part, else the HTML part as source."""
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
    return str(content)


def mailbox_message_page(msg: EmailMessage | None, n: int, lang: str, query: dict[str, str]) -> str:
    back = f'<p><a href="{esc(with_token("../mailbox", query))}">{esc(MAILBOX_BACK.format(lang))}</a></p>'
    if msg is None:
        return page(MAILBOX_TITLE.format(lang), f"<p>{esc(MAILBOX_NOT_FOUND.format(lang, n=n))}</p>{back}", lang,
                    meta={"sandbox-error": "not_found"})
    headers = "".join(f"<tr><th>{esc(k)}</th><td>{_date_cell(v, lang, raw_below=True) if k.lower() == 'date' else esc(v)}</td></tr>"
                      for k, v in msg.items())
    attachments = [p.get_filename() for p in msg.iter_attachments()]
    att = ("<p>📎 " + ", ".join(esc(a) for a in attachments if a) + "</p>") if attachments else ""
    body = (f"{back}<h1>{esc(msg.get('Subject', ''))}</h1><table>{headers}</table>{att}"
            f"<pre>{esc(message_text(msg))}</pre>")
    return page(str(msg.get("Subject", "")), body, lang, toggle=lang_toggle(query, lang),
                meta={"sandbox-page": "message"})


def index_page(lang: str, links: list[tuple[str, str]], query: dict[str, str]) -> str:
    items = "".join(f'<li><a href="{esc(with_token(href, query))}">{esc(label)}</a></li>' for label, href in links)
    title = INDEX_TITLE.format(lang)
    return page(title, f"<h1>{esc(title)}</h1><p>{esc(INDEX_TEXT.format(lang))}</p><ul>{items}</ul>", lang,
                toggle=lang_toggle(query, lang))
