"""The catalog's catch-alls, registered after every other entry (see :func:`oauthmail.explain._load`).

They recognise a text by its code alone when no specific entry did: a Microsoft ``AADSTS`` number
the kit has no entry for (often pasted from a sign-in page in another language, or with the
English text cut off), and Google's "Access blocked: This app's request is invalid" page pasted
without the ``Error 400: …`` line that names the reason. Being last, they never shadow an entry
that knows more; ``tests/test_explain_localised.py`` pins that.
"""

from __future__ import annotations

from .errors import ConsentError
from .explain import Entry, register
from .i18n import Msg

FALLBACK_ENTRIES: tuple[Entry, ...] = (
    Entry(
        id="google-request-invalid",
        code="Error 400",
        patterns=(r"Access blocked:?\s*This app['\u2019]s request is invalid",
                  r"The request (?:sent by|from) this app(?:lication)? is invalid",
                  r"\bAuthorization Error\b.{0,200}accounts\.google\.com|\bAuthorization Error\s*$"),
        kind=ConsentError,
        title=Msg(en="Google refused the sign-in request", ja="Google がサインインの要求を拒否しました"),
        what=Msg(
            en="Google's page says the app's request is invalid ('Access blocked'). The reason is the code on the "
            "line 'Error 400: …' below the title; most often it is redirect_uri_mismatch.",
            ja="Google の画面に「アクセスをブロック: このアプリのリクエストは無効です」と出ています。理由はタイトルの下の"
            "「エラー 400: …」の行のコードに書かれており、多くは redirect_uri_mismatch です。",
        ),
        causes=(
            Msg(en="A Web application client without http://127.0.0.1:48888/callback among its redirect URIs.",
                ja="ウェブ アプリケーションのクライアントのリダイレクト URI に http://127.0.0.1:48888/callback がない。"),
            Msg(en="A sign-in link that was edited or cut when copying.", ja="サインインのリンクを編集した、またはコピーで途中が切れた。"),
        ),
        fix=Msg(
            en="Click 'error details' on Google's page (or copy the line 'Error 400: …') and run `oauthmail explain` "
            "with it. For redirect_uri_mismatch: use a Desktop app client, or add exactly "
            "http://127.0.0.1:48888/callback to the Web client's Authorized redirect URIs.",
            ja="Google の画面の「エラーの詳細」を開くか「エラー 400: …」の行をコピーして、その文面を `oauthmail explain` に渡してください。redirect_uri_mismatch なら、デスクトップ アプリのクライアントを使うか、"
            "ウェブ アプリケーションのクライアントの「承認済みのリダイレクト URI」に http://127.0.0.1:48888/callback を"
            "そのまま追加します。",
        ),
    ),
    Entry(
        id="aadsts-other",
        code="AADSTS",
        patterns=(r"\bAADSTS\d{4,7}\b",),
        kind=ConsentError,
        title=Msg(en="A Microsoft sign-in error (AADSTS code)", ja="Microsoft のサインイン エラー（AADSTS コード）"),
        what=Msg(
            en="Microsoft's sign-in answered with an AADSTS error the kit has no specific entry for. The number "
            "after AADSTS says what went wrong, in any language the page was shown in.",
            ja="Microsoft のサインインが、キットに個別の説明がない AADSTS エラーを返しました。画面が何語でも、"
            "AADSTS の後の番号が原因を表します。",
        ),
        causes=(
            Msg(en="A setting of the app registration or of the tenant (the number tells which).",
                ja="アプリの登録またはテナントの設定（どれかは番号でわかる）。"),
            Msg(en="Only part of the message was copied: the number is what matters.",
                ja="メッセージの一部だけをコピーした（大事なのは番号）。"),
        ),
        fix=Msg(
            en="Open https://login.microsoftonline.com/error, enter the digits after AADSTS and read Microsoft's "
            "description and fix. If the message names an app id or a tenant, check them against the app's "
            "Overview page; then run the consent step again.",
            ja="https://login.microsoftonline.com/error を開き、AADSTS の後の数字を入力して Microsoft の説明と対処を"
            "確認してください。メッセージにアプリ ID やテナントが出ていれば、アプリの「概要」ページと照らし合わせて"
            "から、同意の手順をやり直します。",
        ),
        where=Msg(
            en="Microsoft Entra admin center → App registrations → your app → Overview; Sign-in logs",
            ja="Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」→ 対象のアプリ →「概要」、および「Entra ID」→「監視と正常性」→「サインイン ログ」",
        ),
    ),
)

register(*FALLBACK_ENTRIES)
