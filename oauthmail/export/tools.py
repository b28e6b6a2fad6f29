"""One small renderer per tool: an :class:`~.context.ExportContext` in, an :class:`~.context.Export` out.

Each follows its tool's own documentation (option names checked against the manuals):

========== ==================================================================================
msmtp      ``auth xoauth2`` / ``oauthbearer``, ``passwordeval`` (msmtp(1))
neomutt    ``smtp_url``, ``smtp_authenticators``, ``smtp_oauth_refresh_command`` (neomuttrc(5))
mutt       the same variables (mutt ≥ 2.0 knows xoauth2; muttrc(5))
git        ``sendemail.smtpAuth = XOAUTH2`` and a credential helper printing ``password=<token>``
           (git-send-email(1), gitcredentials(7); XOAUTH2 needs Authen::SASL ≥ 2.1700)
python     :mod:`smtplib` with ``auth("XOAUTH2", …)``
curl       ``--oauth2-bearer``, ``--login-options AUTH=XOAUTH2``, ``--ssl-reqd`` (curl(1))
swaks      ``--auth XOAUTH2`` (swaks ≥ 20240103.0); older swaks (Debian 12's 20201014) only knows
           PLAIN/LOGIN, so the script then goes through ``oauthmail relay``
========== ==================================================================================

The token is never in a file: every tool runs ``oauthmail token`` when it connects.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from urllib.parse import quote

from ..i18n import Msg
from .context import Export, ExportContext, ExportFile, quote_double

HEADER = Msg(
    en="Written by `oauthmail export` for {account} ({tool}). No secret is in this file: the access token "
    "comes from `oauthmail token` each time the tool connects, and the token INI stays the one place "
    "where the refresh token lives.",
    ja="`oauthmail export` が {account} 用に書き出した {tool} の設定です。このファイルに秘密情報は含まれていません。"
    "アクセス トークンはツールが接続するたびに `oauthmail token` から受け取り、リフレッシュ トークンはトークン INI "
    "だけに保存されます。",
)
HEADER_SCRIPT = Msg(
    en=HEADER.en,
    ja="`oauthmail export` が {account} 用に書き出した {tool} のスクリプトです。このファイルに秘密情報は含まれていません。"
    "アクセス トークンは送信のたびに `oauthmail token` から受け取り、リフレッシュ トークンはトークン INI "
    "だけに保存されます。",
)
USE_MSMTP = Msg(
    en="Use it with: msmtp -C {file} -a {account} recipient@example.com < message.txt "
    "(or copy it to ~/.msmtprc, mode 0600).",
    ja="使い方: msmtp -C {file} -a {account} 宛先@example.com < message.txt"
    "（または ~/.msmtprc にコピーし、パーミッションを 600 にしてください）。",
)
USE_MUTT = Msg(
    en="Add `source {file}` to your {tool} configuration ({rc}).",
    ja="{tool} の設定ファイル（{rc}）に `source {file}` を書き加えてください。",
)
USE_GIT = Msg(
    en="Include it in your repository or global configuration: git config --global include.path {file}; "
    "then git send-email works as usual. XOAUTH2 needs git ≥ 2.45 with Authen::SASL ≥ 2.1700.",
    ja="Git の設定（全体なら --global、リポジトリごとならそのリポジトリで）に取り込んでください: git config --global include.path {file}。その後は通常どおり git send-email が使えます。XOAUTH2 には git 2.45 以降と Authen::SASL 2.1700 以降が必要です。",
)
USE_PYTHON = Msg(
    en="Run it: python3 {file} recipient@example.com, or import send() from it in your own script.",
    ja="実行方法: python3 {file} 宛先@example.com。自分のスクリプトから send() を import して使うこともできます。",
)
USE_CURL = Msg(
    en="Run it: sh {file} recipient@example.com message.eml (the message file holds headers and body).",
    ja="実行方法: sh {file} 宛先@example.com message.eml（メッセージファイルにはヘッダーと本文を入れます）。",
)
USE_SWAKS = Msg(
    en="Run it: sh {file} recipient@example.com. A swaks older than 20240103 has no XOAUTH2: the script then "
    "sends through `oauthmail relay` ({relay}) and reads the relay password from OAUTHMAIL_RELAY_PASSWORD.",
    ja="実行方法: sh {file} 宛先@example.com。20240103 より古い swaks は XOAUTH2 に対応していないため、"
    "スクリプトは `oauthmail relay`（{relay}）経由で送り、リレーのパスワードを OAUTHMAIL_RELAY_PASSWORD から読みます。",
)


# The comments and texts inside the scripts (the tools' own option and directive names stay as they are).
PY_DOC = Msg(en="Send mail as {account} with smtplib and XOAUTH2; the token comes from `oauthmail token`.",
             ja="{account} として smtplib と XOAUTH2 でメールを送ります。トークンは `oauthmail token` から受け取ります。")
PY_CA_NOTE = Msg(en='"" = the system\'s certificate store', ja='"" ならシステムの証明書ストアを使う')
PY_TOKEN_DOC = Msg(en="A valid access token (refreshed by the kit when needed; never stored here).",
                   ja="有効なアクセス トークン（必要ならキットが更新します。このファイルには保存しません）。")
PY_CHALLENGE_NOTE = Msg(en="The server answers a refused token with a 334 challenge: the empty reply lets it send its 535.",
                        ja="トークンが拒否されると、サーバーは 334 のチャレンジを返します。空の応答を返すと、サーバーが 535 のエラーを送ってきます。")
PY_SUBJECT = Msg(en="Test from smtplib", ja="smtplib からのテスト")
PY_BODY = Msg(en="Sent with smtplib and XOAUTH2.", ja="smtplib と XOAUTH2 で送信しました。")
PY_SENT = Msg(en="sent", ja="送信しました")
SH_USAGE_CURL = Msg(en="usage: $0 RECIPIENT MESSAGE-FILE", ja="使い方: $0 宛先 メッセージのファイル")
SH_USAGE_SWAKS = Msg(en="usage: $0 RECIPIENT [swaks options]", ja="使い方: $0 宛先 [swaks のオプション]")
SWAKS_TOKEN_NOTE = Msg(en="The token goes in through swaks' environment options, never on the command line (ps).",
                       ja="トークンは swaks の環境変数のオプションで渡し、コマンドライン（ps で見える）には載せません。")
SWAKS_RELAY_NOTE = Msg(
    en="This swaks has no XOAUTH2: send through `oauthmail relay` (AUTH PLAIN with the relay's own\n"
    "password, which never leaves this machine; the relay speaks XOAUTH2 upstream).",
    ja="この swaks は XOAUTH2 に対応していないため、`oauthmail relay` を経由して送ります。\n"
    "リレーには専用のパスワードと AUTH PLAIN でつなぎ（パスワードはこのコンピューターの外に出ません）、\n"
    "リレーがプロバイダーへ XOAUTH2 で送ります。",
)
SWAKS_NO_PASSWORD = Msg(en="set OAUTHMAIL_RELAY_PASSWORD to the relay password (oauthmail relay --new-password)",
                        ja="OAUTHMAIL_RELAY_PASSWORD にリレーのパスワードを設定してください（oauthmail relay --new-password で作れます）")


def _comment(text: str, indent: str = "") -> str:
    return "".join(f"{indent}# {line}\n" for line in text.split("\n"))


def header(ctx: ExportContext, tool: str, prefix: str = "# ", *, script: bool = False) -> str:
    text = (HEADER_SCRIPT if script else HEADER)(ctx.lang, account=ctx.account, tool=tool)
    return "".join(f"{prefix}{line}\n" for line in _wrap(text))


_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_SENTENCE = re.compile(r"[^。]*。|[^。]+$")


def _wrap(text: str, width: int = 96) -> list[str]:
    if _CJK.search(text):  # Japanese: one sentence a line (a break at a space would split 「アクセス トークン」)
        return [s for s in _SENTENCE.findall(text) if s.strip()]
    words, lines, line = text.split(" "), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    return [*lines, line] if line else lines


def _mech(ctx: ExportContext) -> str:
    return ctx.mechanism.lower() if ctx.mechanism.upper() in ("XOAUTH2", "OAUTHBEARER") else "xoauth2"


# --- the renderers -----------------------------------------------------------------------------------


def msmtp(ctx: ExportContext) -> Export:
    lines = [header(ctx, "msmtp").rstrip("\n"), "", "defaults", "tls on",
             f"tls_starttls {'off' if ctx.security == 'ssl' else 'on'}"]
    if ctx.ca_file:
        lines.append(f"tls_trust_file {quote_double(ctx.ca_file)}")
    lines += ["", f"account {ctx.account}", f"host {ctx.host}", f"port {ctx.port}", f"from {ctx.account}",
              f"user {ctx.account}", f"auth {_mech(ctx)}", f"passwordeval {quote_double(ctx.token_command)}",
              "", f"account default : {ctx.account}", ""]
    name = "msmtprc"
    return Export("msmtp", (ExportFile(name, "\n".join(lines)),), USE_MSMTP(ctx.lang, file=name, account=ctx.account),
                  ("msmtp", "-C", "{file}", "-a", ctx.account), "msmtp")


def _mutt(ctx: ExportContext, tool: str) -> Export:
    scheme = "smtps" if ctx.security == "ssl" else "smtp"
    url = f"{scheme}://{quote(ctx.account, safe='')}@{ctx.host}:{ctx.port}/"
    lines = [header(ctx, tool).rstrip("\n"), "",
             f"set from = {quote_double(ctx.account)}",
             f"set smtp_url = {quote_double(url)}",
             f"set smtp_authenticators = {quote_double(_mech(ctx))}",
             f"set smtp_oauth_refresh_command = {quote_double(ctx.token_command)}",
             "set ssl_force_tls = yes"]
    if ctx.security != "ssl":
        lines.append("set ssl_starttls = yes")
    if ctx.ca_file:
        lines.append(f"set ssl_ca_certificates_file = {quote_double(ctx.ca_file)}")
    lines.append("")
    rc = "~/.config/neomutt/neomuttrc" if tool == "neomutt" else "~/.muttrc"
    name = f"{tool}-oauthmail.rc"
    return Export(tool, (ExportFile(name, "\n".join(lines)),), USE_MUTT(ctx.lang, file=name, tool=tool, rc=rc),
                  (), tool)


def neomutt(ctx: ExportContext) -> Export:
    return _mutt(ctx, "neomutt")


def mutt(ctx: ExportContext) -> Export:
    return _mutt(ctx, "mutt")


def git_send_email(ctx: ExportContext) -> Export:
    # gitcredentials(7): a helper starting with "!" is a shell snippet; git calls it with get/store/erase
    # and reads key=value lines. Only "get" answers; store/erase are ignored, so git never keeps the token.
    helper = (f"!f() {{ test \"$1\" = get || exit 0; printf 'username=%s\\n' {shlex.quote(ctx.account)}; "
              f"printf 'password=%s\\n' \"$({ctx.token_command})\"; }}; f")
    lines = [header(ctx, "git send-email").rstrip("\n"), "[sendemail]",
             f"\tsmtpServer = {ctx.host}", f"\tsmtpServerPort = {ctx.port}",
             f"\tsmtpEncryption = {'ssl' if ctx.security == 'ssl' else 'tls'}",
             f"\tsmtpUser = {ctx.account}", f"\tsmtpAuth = {ctx.mechanism.upper()}", f"\tfrom = {ctx.account}"]
    if ctx.ca_file:
        lines.append(f"\tsmtpSSLCertPath = {quote_double(ctx.ca_file)}")
    lines += [f'[credential "smtp://{ctx.host}:{ctx.port}"]', f"\thelper = {quote_double(helper)}", ""]
    name = "gitconfig-sendemail"
    return Export("git-send-email", (ExportFile(name, "\n".join(lines)),), USE_GIT(ctx.lang, file=name),
                  ("git", "config", "-f", "{file}", "--list"), "git")


PYTHON_TEMPLATE = '''{header}"""{doc}"""

import smtplib
import ssl
import subprocess
import sys
from email.message import EmailMessage

HOST, PORT, SECURITY = {host!r}, {port!r}, {security!r}
ACCOUNT = {account!r}
TOKEN_COMMAND = {argv!r}
CA_FILE = {ca!r}  # {ca_note}


def access_token() -> str:
    """{token_doc}"""
    return subprocess.run(TOKEN_COMMAND, check=True, capture_output=True, text=True).stdout.strip()


def send(msg: EmailMessage) -> None:
    token = access_token()
    ctx = ssl.create_default_context(cafile=CA_FILE or None)
    xoauth2 = f"user={{ACCOUNT}}\\x01auth=Bearer {{token}}\\x01\\x01"
    if SECURITY == "ssl":
        conn = smtplib.SMTP_SSL(HOST, PORT, context=ctx, timeout=30)
    else:
        conn = smtplib.SMTP(HOST, PORT, timeout=30)
        conn.starttls(context=ctx)
    with conn:
        conn.ehlo()
        # {challenge_note}
        conn.auth("XOAUTH2", lambda challenge=None: xoauth2 if challenge is None else "", initial_response_ok=True)
        conn.send_message(msg)


if __name__ == "__main__":
    message = EmailMessage()
    message["From"] = ACCOUNT
    message["To"] = sys.argv[1] if len(sys.argv) > 1 else ACCOUNT
    message["Subject"] = sys.argv[2] if len(sys.argv) > 2 else "{subject}"
    message.set_content("{body}")
    send(message)
    print("{sent}")
'''


def python(ctx: ExportContext) -> Export:
    lang = ctx.lang
    text = PYTHON_TEMPLATE.format(header=header(ctx, "Python smtplib", script=True), host=ctx.host,
                                  port=ctx.port, security=ctx.security, argv=list(ctx.token_argv), ca=ctx.ca_file,
                                  account=ctx.account, doc=PY_DOC(lang, account=ctx.account),
                                  ca_note=PY_CA_NOTE(lang), token_doc=PY_TOKEN_DOC(lang),
                                  challenge_note=PY_CHALLENGE_NOTE(lang), subject=PY_SUBJECT(lang),
                                  body=PY_BODY(lang), sent=PY_SENT(lang))
    name = "send_oauthmail.py"
    return Export("python", (ExportFile(name, text, 0o700, "script"),), USE_PYTHON(ctx.lang, file=name),
                  ("python3", "{file}", ctx.account), "python3")


def curl(ctx: ExportContext) -> Export:
    scheme = "smtps" if ctx.security == "ssl" else "smtp"
    opts = [f"--url {shlex.quote(f'{scheme}://{ctx.host}:{ctx.port}')}", "--ssl-reqd",
            f"--mail-from {shlex.quote(ctx.account)}", '--mail-rcpt "$1"', '--upload-file "$2"',
            f"--user {shlex.quote(ctx.account + ':')}",
            f"--login-options {shlex.quote('AUTH=' + ctx.mechanism.upper())}",
            '--oauth2-bearer "$token"']
    if ctx.ca_file:
        opts.append(f"--cacert {shlex.quote(ctx.ca_file)}")
    text = (f"#!/bin/sh\n{header(ctx, 'curl', script=True)}set -eu\n"
            f'[ $# -eq 2 ] || {{ echo "{SH_USAGE_CURL(ctx.lang)}" >&2; exit 2; }}\n'
            f"token=$({ctx.token_command})\n"
            f"exec curl --silent --show-error \\\n  " + " \\\n  ".join(opts) + "\n")
    name = "send-with-curl.sh"
    return Export("curl", (ExportFile(name, text, 0o700, "script"),), USE_CURL(ctx.lang, file=name),
                  ("sh", "{file}", ctx.account, "{message}"), "curl")


def swaks(ctx: ExportContext) -> Export:
    tls = "--tls-on-connect" if ctx.security == "ssl" else "--tls"
    ca = f" --tls-ca-path {shlex.quote(ctx.ca_file)}" if ctx.ca_file else ""
    relay = f"{ctx.relay_host}:{ctx.relay_port}"
    text = (f"#!/bin/sh\n{header(ctx, 'swaks', script=True)}set -eu\n"
            f'[ $# -ge 1 ] || {{ echo "{SH_USAGE_SWAKS(ctx.lang)}" >&2; exit 2; }}\n'
            'to=$1; shift\n'
            "version=$(swaks --version 2>/dev/null | sed -n 's/^swaks version \\([0-9]*\\).*/\\1/p')\n"
            'if [ "${version:-0}" -ge 20240103 ]; then\n'
            + _comment(SWAKS_TOKEN_NOTE(ctx.lang), "  ") +
            f"  SWAKS_OPT_auth_password=$({ctx.token_command}) \\\n"
            f"    exec swaks --server {shlex.quote(ctx.host)} --port {ctx.port} {tls}{ca} --auth XOAUTH2 \\\n"
            f"      --auth-user {shlex.quote(ctx.account)} --from {shlex.quote(ctx.account)} --to \"$to\" \"$@\"\n"
            "fi\n"
            + _comment(SWAKS_RELAY_NOTE(ctx.lang)) +
            f': "${{OAUTHMAIL_RELAY_PASSWORD:?{SWAKS_NO_PASSWORD(ctx.lang)}}}"\n'
            'SWAKS_OPT_auth_password=$OAUTHMAIL_RELAY_PASSWORD \\\n'
            f"  exec swaks --server {shlex.quote(ctx.relay_host)} --port {ctx.relay_port} --auth PLAIN \\\n"
            f"    --auth-user {shlex.quote(ctx.account)} --from {shlex.quote(ctx.account)} --to \"$to\" \"$@\"\n")
    name = "send-with-swaks.sh"
    return Export("swaks", (ExportFile(name, text, 0o700, "script"),), USE_SWAKS(ctx.lang, file=name, relay=relay),
                  ("sh", "{file}", ctx.account), "swaks")


def _postfix(ctx: ExportContext) -> Export:
    from .postfix import postfix

    return postfix(ctx)


RENDERERS: dict[str, Callable[[ExportContext], Export]] = {
    "msmtp": msmtp,
    "neomutt": neomutt,
    "mutt": mutt,
    "git-send-email": git_send_email,
    "postfix": _postfix,
    "python": python,
    "curl": curl,
    "swaks": swaks,
}
TOOLS = tuple(RENDERERS)
