"""Build the English and Japanese notebooks from ONE source, so their code cells are identical.

Markdown cells are ``md(en=..., ja=...)`` pairs; code cells are shared. The output has no
outputs, no execution counts and no widget state (nbstripout-style), kernelspec python3.

    python tools/build_notebooks.py           # write notebooks/en/*.ipynb and notebooks/ja/*.ipynb
    python tools/build_notebooks.py --check   # exit 1 if the committed notebooks differ

``tests/test_notebooks_build.py`` runs the check, so an edit made in JupyterLab and saved
(which would add outputs) or an edit to one language only fails the tests.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "notebooks"
LANGS = ("en", "ja")


@dataclass(frozen=True)
class Cell:
    kind: str  # "markdown" | "code"
    en: str
    ja: str = ""

    def text(self, lang: str) -> str:
        if self.kind == "code":
            return self.en
        if lang == "en":
            return with_labels(self.en, "en")
        return join_wrapped_japanese(with_labels(self.ja, "ja"))


_LABEL_TOKEN = re.compile(r"⟦(?:([a-z_.]+):)?(L_[A-Z_]+)⟧")


def with_labels(text: str, lang: str) -> str:
    """``⟦L_START⟧`` → the widget's own label, bold: ⟦L_START⟧ / ⟦L_START⟧.

    The labels are the constants the widgets show (``oauthmail/i18n/labels.py``), so a notebook can
    never name a button or a choice differently from the screen.
    """
    import importlib

    def one(m: re.Match[str]) -> str:  # ⟦L_START⟧ (oauthmail.i18n.labels) or ⟦ui.register:L_REMOVE_APP⟧
        module = importlib.import_module("oauthmail." + (m.group(1) or "i18n.labels"))
        label = getattr(module, m.group(2))
        return f"**{label.en}**" if lang == "en" else f"**「{label.ja}」**"

    return _LABEL_TOKEN.sub(one, text)


_CJK = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef→]$")  # → : a console path wrapped mid-way
_BLOCK_START = re.compile(r"^\s*(?:[-*+] |#|>|\||```|\d+[.)] |$)")
#: Kana and kanji that are not punctuation (「、」「。」「」」「）」 etc. are U+3000 to U+303F and U+FF00 to U+FF65).
_WORD_CHAR = re.compile(r"[\u3041-\u30fa\u30fc-\u30ff\u4e00-\u9fff]")
_JA = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")


def _joiner(prev: str, line: str) -> str | None:
    """How to join a wrapped line to the one before it: ``""``, ``" "``, or ``None`` (keep the break).

    A Japanese word followed by ASCII, inline code or emphasis gets the half-width space the style asks for
    (「その後 `invalid_grant`」), which also keeps an opening ``**`` left-flanking in CommonMark; after
    Japanese punctuation nothing is added (「、**」 is already flanking, and 「、 」 would be a stray space).
    A line ending in a closing ``**`` or code span before Japanese text is joined too, with a space
    unless the emphasis ends on a kana or kanji (「**テスト中**です」 stays bold without one).
    """
    nxt = line.lstrip()
    if not prev or not nxt or _BLOCK_START.match(line) or prev.lstrip().startswith(("|", "#")):
        return None
    last, first = prev[-1], nxt[0]
    if _CJK.search(prev):
        if _WORD_CHAR.match(last) and (first.isascii() and (first.isalnum() or first in "`*_[(<")):
            return " "
        return ""
    if _JA.match(first) and prev.endswith(("**", "`")) and _JA.search(prev):
        if prev.endswith("**") and _WORD_CHAR.match(prev[-3:-2] or " ") and _WORD_CHAR.match(first):
            return ""
        return " " if _WORD_CHAR.match(first) else ""
    return None


def join_wrapped_japanese(text: str) -> str:
    """Join source lines wrapped inside a Japanese sentence.

    Markdown turns a line break into a space, which reads as a stray gap in Japanese
    ("ポートを 塞いでいる"). A line that ends in a Japanese character is joined with the next one
    unless the next starts a block (list item, heading, quote, table, fence, blank line); code fences
    and tables are left exactly as written. :func:`_joiner` decides whether a space goes between.
    """
    out: list[str] = []
    in_fence = False
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            out.append(line)
            continue
        quoted = bool(out) and out[-1].startswith(">") and line.startswith(">") and line[1:].strip() != ""
        inner = line[1:].lstrip() if quoted else line  # a quote's next line continues the quote
        glue = None if in_fence or not out else _joiner(out[-1], inner)
        if glue is None:
            out.append(line)
        else:
            out[-1] = out[-1] + glue + inner.lstrip()
    return "\n".join(out)


def md(en: str, ja: str) -> Cell:
    return Cell("markdown", en.strip("\n"), ja.strip("\n"))


def code(src: str) -> Cell:
    return Cell("code", src.strip("\n"))


def checklist(step_id: str) -> Cell:
    return code(f'kit.checklist("{step_id}")')


def header(name: str, en_title: str, ja_title: str) -> Cell:
    """Title plus the link to the other edition (same file name in the sibling folder)."""
    return md(
        f"# {en_title}\n\n*日本語版: [../ja/{name}](../ja/{name})*",
        f"# {ja_title}\n\n*English edition: [../en/{name}](../en/{name})*",
    )


SANDBOX_EN = "**In the sandbox:** nothing to do in a real console here; tick the box to practise. "
SANDBOX_JA = "**サンドボックスでは:** 本物のコンソールでの操作は不要です。練習としてチェックを入れてください。"

BINDER = md(
    """
> **On public Binder (mybinder.org)** outgoing SMTP (ports 25, 465 and 587) is blocked, so a real test
> message cannot leave. Use the sandbox there; it runs inside the same machine. Real sending works from
> your own computer or a server that may open SMTP connections.
""",
    """
> **公開 Binder（mybinder.org）では** 外向きの SMTP（25・465・587 番ポート）が遮断されているため、
> 本番のテストメールは送れません。Binder ではサンドボックスを使ってください（同じマシンの中で動きます）。
> 本番の送信は、ご自分のパソコンや SMTP 接続を許可されたサーバーから行ってください。
""",
)

# =================================================================================================
# 00 start
# =================================================================================================

#: After the test message: which transport to pick, and what to do when SMTP is refused or blocked.
MAILERS = [
    md(
        """
## Your mail program

Pick the program that sends your mail — msmtp, neomutt/mutt, git send-email, Postfix (with sasl-xoauth2), a
Python script, curl or swaks — to see its configuration, written the way that program's manual expects. It
gets each access token from `oauthmail token`, so no secret is in it. **Copy** puts the text on your
clipboard; **Write file** saves it in the kit's `exports` folder (and the setup record notes it); **Test it**
sends a message to yourself with it, when that program is installed here. A program that only knows a
password can send through `oauthmail relay` instead (see the README).
""",
        """
## 使っているメーラーの設定

メーラー（msmtp、neomutt／mutt、git send-email、Postfix と sasl-xoauth2、Python のスクリプト、curl、swaks）を
選ぶと、そのメーラーのマニュアルどおりの書き方で設定を表示します。アクセス トークンは
そのつど `oauthmail token` から受け取るので、設定に秘密情報は入りません。**コピー** でクリップボードに写し、
**ファイルに書き出す** でキットの `exports` フォルダーに保存します（セットアップ記録にも残ります）。
**試しに送る** は、そのプログラムがこの環境に入っていれば、自分宛てにテストメールを送ります。
パスワードしか扱えないプログラムは、代わりに `oauthmail relay` を通して送れます（README を参照）。
""",
    ),
    code("kit.mailers()"),
]


#: The sign-in panel offers the HTTPS transport of its own provider only (oauthmail/ui/views.py).
HTTPS_VIA = {"google": "⟦L_VIA_GMAIL_API⟧", "microsoft": "⟦L_VIA_GRAPH⟧"}
HTTPS_HOW_EN = ("**In this notebook:** in the sign-in step above, choose {via} under ⟦L_TRANSPORT⟧, sign in "
                "again and send the test again.")
HTTPS_HOW_ELSEWHERE_EN = ("**In the notebooks:** in the sign-in step of 01_gmail or 02_microsoft365, choose "
                          "⟦L_VIA_GRAPH⟧ or ⟦L_VIA_GMAIL_API⟧ under ⟦L_TRANSPORT⟧, sign in again and send the test again.")
HTTPS_HOW_JA = ("**このノートブックでは:** 上のサインインの手順で、⟦L_TRANSPORT⟧ から {via} を選び、"
                "サインインし直してからテスト送信をもう一度行います。")
HTTPS_HOW_ELSEWHERE_JA = ("**ノートブックでは:** 01_gmail または 02_microsoft365 のサインインの手順で、⟦L_TRANSPORT⟧ から "
                          "⟦L_VIA_GRAPH⟧ または ⟦L_VIA_GMAIL_API⟧ を選び、サインインし直してからテスト送信をもう一度行います。")


def transports(panel_above: bool, provider: str = "") -> Cell:
    """When to send over HTTPS instead of SMTP; ``panel_above``: this notebook has ``provider``'s sign-in panel."""
    return md(
        f"""
## SMTP or HTTPS? Choosing a transport

The kit can send the same message three ways; the sign-in is the same, only the permission differs:

| transport | permission asked at sign-in | port | pick it when |
|---|---|---|---|
| `smtp` (default) | Gmail `https://mail.google.com/`, Microsoft `SMTP.Send` | 587 / 465 | your mailer speaks SMTP (most tools do) |
| `graph` | Microsoft Graph `Mail.Send` | 443 (HTTPS) | Microsoft 365 with SMTP AUTH switched off, or mail ports blocked |
| `gmail-api` | Gmail `gmail.send` (cannot read mail) | 443 (HTTPS) | Gmail with mail ports blocked, or you want the narrowest permission |

**Switch to HTTPS** when:

- the test message fails with `535 5.7.139` (SMTP AUTH is off for the tenant or the mailbox, and the admin
  will not turn it on), or
- connecting to port 587 / 465 times out or is refused (the network blocks mail ports; public Binder always
  does).

{HTTPS_HOW_EN.format(via=HTTPS_VIA[provider]) if panel_above else HTTPS_HOW_ELSEWHERE_EN}

From the command line, sign in again with the transport and send:

```
oauthmail consent microsoft … --transport graph      # asks for Mail.Send, writes transport = graph
oauthmail send --ini FILE --to … --subject …         # follows the INI; or --transport graph|gmail-api|smtp
```

From Python: `oauthmail.transports.send_via("graph", ini, message)`. Large attachments go through Graph's
upload session (or Gmail's upload endpoint) by themselves; `oauthmail doctor` checks the HTTPS path without
sending anything.
""",
        f"""
## SMTP か HTTPS か — 送信方法の選び方

キットは同じメッセージを 3 通りの方法で送れます。サインインの手順は同じで、求める許可だけが違います。

| 送信方法 | サインイン時に求める許可 | ポート | 選ぶ場面 |
|---|---|---|---|
| `smtp`（既定） | Gmail は `https://mail.google.com/`、Microsoft は `SMTP.Send` | 587／465 | メーラーが SMTP を使う場合（ほとんどのツール） |
| `graph` | Microsoft Graph の `Mail.Send` | 443（HTTPS） | Microsoft 365 で SMTP 認証が無効、またはメール用ポートが塞がれている |
| `gmail-api` | Gmail の `gmail.send`（メールは読めません） | 443（HTTPS） | Gmail でメール用ポートが塞がれている、または許可を最小にしたい |

次のような場合は **HTTPS に切り替えてください**。

- テスト送信が `535 5.7.139` で失敗する（テナントかメールボックスで SMTP 認証がオフになっていて、管理者も
  オンにしない）。
- 587／465 番ポートへの接続がタイムアウトするか、拒否される（ネットワークがメール用ポートを塞いでいる。
  公開 Binder では常に塞がれています）。

{HTTPS_HOW_JA.format(via=HTTPS_VIA[provider]) if panel_above else HTTPS_HOW_ELSEWHERE_JA}

コマンドラインでは、送信方法を指定してサインインし直し、送信します。

```
oauthmail consent microsoft … --transport graph      # Mail.Send を求め、transport = graph を書き込む
oauthmail send --ini ファイル --to … --subject …     # INI に従う。--transport graph|gmail-api|smtp でも指定可
```

Python からは `oauthmail.transports.send_via("graph", ini, message)` で送れます。大きな添付ファイルは
Graph のアップロード セッション（Gmail はアップロード用エンドポイント）で自動的に送られます。
`oauthmail doctor` は何も送らずに HTTPS の経路を確認します。
""",
    )


START = [
    header("00_start.ipynb", "oauthmail: send mail with OAuth2 — start here", "oauthmail: OAuth2 でメールを送る — はじめに"),
    md(
        """
This kit takes you from *"I have a Gmail or Microsoft 365 mailbox"* to *"my program sends mail with
OAuth2"*, one console step at a time, and leaves you with three things:

1. a **token INI file** your program (or the `oauthmail` command) uses to send mail,
2. a **test message** that really went through, with the SMTP conversation shown (tokens masked),
3. a **setup record** (Markdown / JSON / HTML) of what was done and when — without any secret in it.

Everything starts in the **sandbox**: a practice Google-like and Microsoft-like sign-in and mail server
running on this machine. When the steps make sense, flip the switch to *Real* and do them for your own
account.
""",
        """
このキットは「Gmail か Microsoft 365 のメールボックスがある」状態から「自分のプログラムが OAuth2 で
メールを送れる」状態まで、コンソールの操作を一つずつ案内します。最後に次の 3 つが手元に残ります。

1. プログラム（または `oauthmail` コマンド）が送信に使う **トークン INI ファイル**
2. 実際に届いた **テストメール** と、そのときの SMTP のやり取り（トークンは伏せ字）
3. 何をいつ行ったかの **セットアップ記録**（Markdown／JSON／HTML。秘密情報は含みません）

最初は **サンドボックス**（このマシンの中で動く、Google 風・Microsoft 風の練習用サインインとメールサーバー）
で進みます。流れがつかめたら「本番」に切り替えて、ご自分のアカウントで同じ手順を行ってください。
""",
    ),
    md(
        """
## What you need

| | Gmail / Google Workspace | Outlook / Microsoft 365 |
|---|---|---|
| account | a Google account (free Gmail is fine) | Microsoft 365 for business (an admin for some steps); outlook.com works for SMTP too |
| console | [Google Cloud console](https://console.cloud.google.com/) | [Microsoft Entra admin center](https://entra.microsoft.com/) and [Microsoft 365 admin center](https://admin.microsoft.com/) |
| time | about 15 minutes | about 20 minutes (plus time for Authenticated SMTP to apply) |
| notebook | [01_gmail.ipynb](01_gmail.ipynb) | [02_microsoft365.ipynb](02_microsoft365.ipynb) |

Already have a token INI? Open [03_existing_ini.ipynb](03_existing_ini.ipynb). Something fails?
[04_troubleshooting.ipynb](04_troubleshooting.ipynb) runs the doctor and explains error messages.

For the sandbox you need nothing at all.
""",
        """
## 必要なもの

| | Gmail／Google Workspace | Outlook／Microsoft 365 |
|---|---|---|
| アカウント | Google アカウント（無料の Gmail で可） | Microsoft 365 法人向け（一部の手順は管理者が必要）。SMTP なら outlook.com も可 |
| コンソール | [Google Cloud コンソール](https://console.cloud.google.com/) | [Microsoft Entra 管理センター](https://entra.microsoft.com/) と [Microsoft 365 管理センター](https://admin.microsoft.com/) |
| 所要時間 | 約 15 分 | 約 20 分（認証済み SMTP の反映待ちを除く） |
| ノートブック | [01_gmail.ipynb](01_gmail.ipynb) | [02_microsoft365.ipynb](02_microsoft365.ipynb) |

すでにトークン INI をお持ちなら [03_existing_ini.ipynb](03_existing_ini.ipynb) へ。うまくいかないときは
[04_troubleshooting.ipynb](04_troubleshooting.ipynb) で診断とエラーメッセージの説明ができます。

サンドボックスで練習するだけなら、何も用意する必要はありません。
""",
    ),
    md(
        """
## Sandbox or real

Each notebook starts with a switch: **Sandbox (practice)** or **Real Google / Real Microsoft**.
In the sandbox the client ID and secret come from the practice server, a simulated browser can approve
the sign-in, and the test message lands in a local mailbox. In real mode you type or upload what your
console gave you, and the message really goes out. Files (sandbox state, token INI, records) are kept in
the kit's folder, `OAUTHMAIL_HOME` (by default `~/.config/oauthmail`), never inside this repository.

Run the next cell (Shift+Enter) to load the kit and check this environment: where the kernel runs (on
a remote kernel the sign-in uses copy-and-paste), the versions, and whether the token and SMTP servers
can be reached from here.
""",
        """
## サンドボックスか本番か

各ノートブックの最初に **サンドボックス（練習）** と **本番の Google／本番の Microsoft** の切り替えがあります。
サンドボックスでは、クライアント ID とシークレットを練習用サーバーから取り込み、サインイン後の同意は
練習用のユーザーが自動で行い、テストメールはこのマシンの中のメールボックスに届きます。本番モードでは、
コンソールで取得した値を入力するかファイルをアップロードし、メールは実際に送信されます。ファイル（サンドボックスの状態・
トークン INI・記録）はキットのフォルダー `OAUTHMAIL_HOME`（既定は `~/.config/oauthmail`）に保存され、
このリポジトリの中には置きません。

次のセルを実行（Shift+Enter）すると、キットを読み込んでこの環境を診断します。カーネルがどこで動いているか
（リモートの場合、サインインはコピーと貼り付けで行います）、各ソフトウェアのバージョン、トークン サーバーと
SMTP サーバーにここから接続できるかを確認します。
""",
    ),
    code(
        """
from oauthmail.ui import Kit

kit = Kit.start("google")
kit.mode()
"""
    ),
    code("kit.environment()"),
    md(
        """
**Reading the result.** *reachable* for `oauth2.googleapis.com:443` / `login.microsoftonline.com:443`
means tokens can be fetched; for `smtp.gmail.com:587` / `smtp.office365.com:587` that mail can be
submitted. *Not reachable* usually means a firewall or a proxy: SMTP ports are often blocked on company
and cloud networks (and always on public Binder). In sandbox mode the sandbox's own ports are checked too.
""",
        """
**結果の見方:** `oauth2.googleapis.com:443` や `login.microsoftonline.com:443` が「接続できます」なら
トークンを取得できます。`smtp.gmail.com:587` や `smtp.office365.com:587` が「接続できます」なら
メールを送信できます。「接続できません」の多くはファイアウォールかプロキシが原因です。社内ネットワークや
クラウドでは SMTP のポートが塞がれていることがよくあります（公開 Binder では必ず塞がれています）。
サンドボックスモードでは、サンドボックス自身のポートも確認します。
""",
    ),
    BINDER,
    md(
        """
## Next

- Gmail → [01_gmail.ipynb](01_gmail.ipynb)
- Outlook / Microsoft 365 → [02_microsoft365.ipynb](02_microsoft365.ipynb)
- I already have an INI → [03_existing_ini.ipynb](03_existing_ini.ipynb)
- Something fails → [04_troubleshooting.ipynb](04_troubleshooting.ipynb)

Everything the notebooks do can also be done with the `oauthmail` command (`oauthmail --help`).
""",
        """
## 次へ

- Gmail → [01_gmail.ipynb](01_gmail.ipynb)
- Outlook／Microsoft 365 → [02_microsoft365.ipynb](02_microsoft365.ipynb)
- INI はもうある → [03_existing_ini.ipynb](03_existing_ini.ipynb)
- うまくいかない → [04_troubleshooting.ipynb](04_troubleshooting.ipynb)

ノートブックで行うことは、すべて `oauthmail` コマンドでも行えます（`oauthmail --help`）。
""",
    ),
]

# =================================================================================================
# 01 Gmail
# =================================================================================================

#: For people with the Google Cloud CLI: steps 1-2 by gcloud, the other pages as links (issue 13 item 6).
REGISTER_GOOGLE = md(
    """
### Have the Google Cloud CLI? Let the kit do steps 1 and 2

If `gcloud` is installed and logged in (`gcloud auth login`), run this in a terminal instead of steps 1 and 2:

```
oauthmail register google --project my-mailer-1234 --ini oauthmail.ini --email you@gmail.com
```

It creates (or selects) the project and enables the Gmail API with your own gcloud login, then prints the
console pages Google offers no API for (branding, audience and test users, data access, create client) as
links with your project filled in, picks up the `client_secret_….json` you download and signs you in. The
steps below stay the way to do it by hand, and are still needed without gcloud.
""",
    """
### Google Cloud CLI をお使いなら: 手順 1〜2 はキットに任せられます

`gcloud` がインストール済みでログインしていれば（`gcloud auth login`）、手順 1〜2 の代わりにターミナルで
次を実行できます。

```
oauthmail register google --project my-mailer-1234 --ini oauthmail.ini --email you@gmail.com
```

ご自分の gcloud のログインでプロジェクトを作成（または選択）して Gmail API を有効にし、Google が API を
用意していないコンソールのページ（ブランディング、対象とテストユーザー、データアクセス、クライアントの作成）を
プロジェクト指定済みのリンクとして表示します。ダウンロードした `client_secret_….json` を受け取って、
そのままサインインまで進みます。以下の手順は手作業で行う方法で、gcloud がない場合はこちらで行います。
""",
)

GMAIL = [
    header("01_gmail.ipynb", "Gmail: set up OAuth2 sending step by step", "Gmail: OAuth2 送信の設定を一歩ずつ"),
    md(
        """
This notebook walks through the Google Cloud console, signs you in, sends a test message through
`smtp.gmail.com` with XOAUTH2 and exports the token INI and a setup record. Work through the cells
from top to bottom (Shift+Enter; **Run → Run All Cells** also works: the buttons and boxes then wait
for you). Each console step is one cell: read it, do it in the console, then tick the boxes under it —
the ticks and their times go into the setup record.

Start in the sandbox; switch to **Real Google** when you are ready to do it for your own account.
""",
        """
このノートブックでは、Google Cloud コンソールでの設定、サインイン、`smtp.gmail.com` への XOAUTH2 での
テスト送信、トークン INI とセットアップ記録の書き出しまでを順に行います。上から順にセルを実行して
ください（Shift+Enter。メニューの **「実行」→「すべてのセルを実行」** でまとめて実行してもかまいません。
ボタンやチェックボックスは、そのまま操作を待ちます）。コンソールでの操作は 1 手順につき 1 セルです。読んでコンソールで操作したら、
その下のチェックボックスにチェックを入れてください。チェックとその時刻はセットアップ記録に残ります。

まずはサンドボックスで練習し、準備ができたら **本番の Google** に切り替えてご自分のアカウントで行います。
""",
    ),
    code(
        """
from oauthmail.ui import Kit

kit = Kit.start("google")
kit.mode()
"""
    ),
    md(
        """
### Which kind of OAuth client?

Google offers two client types that work for a mailer, and the guides you may be following differ:

| | **Desktop app** | **Web application** |
|---|---|---|
| used by | command-line tools and scripts (e.g. SMAIL's guide) | products that register a fixed return address (e.g. workflow tools' "Mail component") |
| redirect URI | none to register: any `http://127.0.0.1:<port>/` works | must be registered **exactly**: `http://127.0.0.1:48888/callback` |
| what you keep | the downloaded `client_secret_….json` | client ID and client secret |

Both give the same refresh token. If no product tells you otherwise, **Desktop app** is the simpler
choice. The kit handles both; in the sandbox the Web client with `http://127.0.0.1:48888/callback` is used.
""",
        """
### OAuth クライアントの種類はどちらにする？

メール送信に使える Google のクライアントには 2 種類あり、参照している手順書によって異なります。

| | **デスクトップ アプリ** | **ウェブ アプリケーション** |
|---|---|---|
| 主な用途 | コマンドラインのツールやスクリプト（SMAIL の手順書など） | リダイレクト URI が決まっている製品（ワークフロー製品の「メールコンポーネント」など） |
| リダイレクト URI | 登録不要。`http://127.0.0.1:<ポート>/` ならどれでも可 | **一字一句そのまま** 登録が必要: `http://127.0.0.1:48888/callback` |
| 手元に残すもの | ダウンロードした `client_secret_….json` | クライアント ID とクライアント シークレット |

どちらでも同じリフレッシュ トークンが得られます。製品から指定がなければ **デスクトップ アプリ** の方が
簡単です。キットはどちらにも対応しています。サンドボックスでは `http://127.0.0.1:48888/callback` の
ウェブ クライアントを使います。
""",
    ),
    REGISTER_GOOGLE,
    md(
        f"""
## Step 1 — Create a project

Open the [new project page](https://console.cloud.google.com/projectcreate) (sign in with your Google
account first). Give it any name, e.g. *mailer*, and press **Create**. Make sure the project selector at
the top of the console shows this project before you continue: every later setting belongs to it.

*Why:* the OAuth client and the consent screen live in a project; a separate project keeps the mailer's
settings away from anything else.

{SANDBOX_EN}
""",
        f"""
## 手順 1 — プロジェクトを作る

[新しいプロジェクトのページ](https://console.cloud.google.com/projectcreate) を開きます（先に Google
アカウントでログインしてください）。名前は何でもかまいません（例: *mailer*）。**「作成」** を押します。
先へ進む前に、コンソール上部のプロジェクト選択欄にこのプロジェクトが表示されていることを確認してください。
以降の設定はすべてこのプロジェクトに属します。

*理由:* OAuth クライアントと同意画面はプロジェクトの中に作られます。専用のプロジェクトにしておくと、
ほかの設定と混ざりません。

{SANDBOX_JA}
""",
    ),
    checklist("google.project"),
    md(
        f"""
## Step 2 — Enable the Gmail API

Go to **APIs & Services → Library**, search for **Gmail API**, open it and press **Enable**
([direct link](https://console.cloud.google.com/apis/library/gmail.googleapis.com)). The page then says
*API enabled*.

*Why:* Google only issues Gmail permissions to projects where the Gmail API is switched on.

{SANDBOX_EN}
""",
        f"""
## 手順 2 — Gmail API を有効にする

**「API とサービス」→「ライブラリ」** で **Gmail API** を検索して開き、**「有効にする」** を押します
（[直接開く](https://console.cloud.google.com/apis/library/gmail.googleapis.com)）。
「API が有効です」と表示されれば完了です。

*理由:* Gmail API を有効にしたプロジェクトでないと、Gmail の権限を発行してもらえません。

{SANDBOX_JA}
""",
    ),
    checklist("google.gmail_api"),
    md(
        f"""
## Step 3 — Set up the consent screen (Google Auth Platform): External

Open **Google Auth Platform** from the console's menu ([direct link](https://console.cloud.google.com/auth/overview);
it replaced **APIs & Services → OAuth consent screen**). A project without a consent screen shows
**Get started**: press it and fill in the parts in order.

- **App information** (later shown under **Branding**): an **App name** people will recognise on the
  consent page, e.g. *mailer*, and your address as **User support email**.
- **Audience**: choose **External**. *Internal* appears only for Google Workspace organisations and is
  fine if only people of your organisation will use it.
- **Contact information**: your address.
- Agree to the Google API Services User Data Policy and press **Create**.

*Why:* the consent screen is the page you will see when signing in; *External* is what a free Gmail
account needs.

{SANDBOX_EN}
""",
        f"""
## 手順 3 — 同意画面（Google Auth Platform）を「外部」で作る

コンソールのメニューから **「Google Auth Platform」** を開きます（[直接開く](https://console.cloud.google.com/auth/overview)。
以前の **「API とサービス」→「OAuth 同意画面」** に当たります）。同意画面がまだないプロジェクトでは
**「開始」** が表示されるので、押してから次の項目を順に入力します。

- **アプリ情報**（作成後は **「ブランディング」** に表示されます）: **アプリ名** には、同意画面で見て分かる名前を
  付けます（例: *mailer*）。**ユーザー サポートメール** にはご自分のアドレスを選びます。
- **対象**: **「外部」** を選びます。「内部」は Google Workspace の組織でだけ選べます。組織内の人だけが使う場合は
  「内部」でもかまいません。
- **連絡先情報**: ご自分のアドレスを入力します。
- Google API サービスのユーザーデータに関するポリシーに同意して、**「作成」** を押します。

*理由:* 同意画面はサインインのときに表示されるページです。無料の Gmail アカウントでは「外部」が必要です。

{SANDBOX_JA}
""",
    ),
    checklist("google.consent_screen"),
    md(
        f"""
## Step 4 — Add the Gmail scope

Under **Google Auth Platform → Data Access → Add or remove scopes** (formerly **OAuth consent screen →
Scopes**), add
**`https://mail.google.com/`** — shown as *"Read, compose, send and permanently delete all your email
from Gmail"*. If it is not in the list, paste the address into **Manually add scopes**. Press **Update**,
then **Save**.

*Why:* SMTP sending (`AUTH XOAUTH2`) only accepts a token with this scope. The narrower `gmail.send`
scope works only for the Gmail **API**, not for SMTP. Google marks `https://mail.google.com/` as
*restricted*: for personal use this just means the *unverified app* screen in step 11.

{SANDBOX_EN}
""",
        f"""
## 手順 4 — Gmail のスコープを追加する

**「Google Auth Platform」→「データアクセス」→「スコープを追加または削除」**（旧「OAuth 同意画面」→
「スコープ」）で **`https://mail.google.com/`** を追加します。一覧では「Gmail のすべてのメールの閲覧、作成、送信、
完全な削除」と表示されます。見つからない場合は **「スコープの手動追加」** 欄にこのアドレスを貼り付けます。
**「更新」** を押し、最後に **「保存」** を押します。

*理由:* SMTP での送信（`AUTH XOAUTH2`）は、このスコープを持つトークンしか受け付けません。範囲の狭い
`gmail.send` は Gmail **API** 専用で、SMTP では使えません。`https://mail.google.com/` は「制限付き」
スコープですが、個人で使う分には手順 11 で「このアプリは Google で確認されていません」の画面が出るだけです。

{SANDBOX_JA}
""",
    ),
    checklist("google.scopes"),
    md(
        f"""
## Step 5 — Add test users

Under **Google Auth Platform → Audience → Test users**, press **+ Add users** (formerly **OAuth consent
screen → Test users**), add the Gmail address that will **send** the mail, and save.

*Why:* while the app is in *Testing*, only listed test users may sign in. Anyone else gets
*"Access blocked: … has not completed the Google verification process"* (`Error 403: access_denied`).

{SANDBOX_EN}
""",
        f"""
## 手順 5 — テストユーザーを追加する

**「Google Auth Platform」→「対象」→「テストユーザー」** で **「+ ユーザーを追加」** を押し（旧「OAuth 同意画面」→
「テストユーザー」）、メールを **送信する** Gmail アドレスを追加して保存します。

*理由:* アプリが「テスト中」の間は、登録したテストユーザーしかサインインできません。それ以外の人は
「アクセスをブロック: … は Google の審査プロセスを完了していません」（`エラー 403: access_denied`）になります。

{SANDBOX_JA}
""",
    ),
    checklist("google.test_users"),
    md(
        f"""
## Step 6 — Understand the publishing status ("Testing" means 7 days)

The consent screen starts with the publishing status **Testing**. Two things follow:

- only the **test users** from step 5 can sign in (at most 100);
- **the refresh token stops working 7 days after consent.** A mailer that runs unattended will then
  fail with `invalid_grant: Token has been expired or revoked`.

For a token that lasts, press **Publish app** (Google Auth Platform → **Audience** → *Publishing status*
→ **In production**).
For personal use (fewer than 100 users) Google does not require a review, but the sign-in will show the
*unverified app* warning — that is expected. If you publish after signing in, sign in again: tokens
issued while in Testing keep their 7-day limit.

{SANDBOX_EN}
""",
        f"""
## 手順 6 — 公開ステータスを理解する（「テスト中」は 7 日間）

同意画面の公開ステータスは、最初は **「テスト中」** です。この間は次の 2 つの制限があります。

- サインインできるのは、手順 5 で追加した **テストユーザー** だけです（最大 100 人）。
- **リフレッシュ トークンは、同意から 7 日で使えなくなります。** 無人で動くメール送信は、その時点から
  `invalid_grant: Token has been expired or revoked` で失敗します。

長く使えるトークンにするには、**「対象」→「公開ステータス」** で **「アプリを公開」** を押し、**「本番環境」** にします。
個人利用（100 ユーザー未満）なら Google の審査は不要ですが、サインイン時に「このアプリは Google で確認されていません」の
警告が出ます。これは想定どおりです。サインインしたあとで公開した場合は、もう一度サインインしてください。
「テスト中」に発行されたトークンは 7 日の期限のままです。

{SANDBOX_JA}
""",
    ),
    checklist("google.publishing"),
    md(
        f"""
## Step 7 — Check the summary

Open **Audience** and **Data Access** once more and check that the user type is **External**, that the
scope `https://mail.google.com/` is listed, that your address is a test user, and that the publishing
status is the one you chose.
Fix anything that is off now — mistakes here show up later as sign-in errors that are harder to read.

{SANDBOX_EN}
""",
        f"""
## 手順 7 — 設定内容を見直す

**「対象」** と **「データアクセス」** をもう一度開き、次の点を確かめます。

- ユーザーの種類が **「外部」** になっている。
- スコープに `https://mail.google.com/` が入っている。
- テストユーザーにご自分のアドレスが入っている。
- 公開ステータスが、手順 6 で選んだとおりになっている。

ここで誤りがあると、あとで原因の分かりにくいサインインのエラーになります。今のうちに直してください。

{SANDBOX_JA}
""",
    ),
    checklist("google.summary"),
    md(
        f"""
## Step 8 — Create the OAuth client ID

Go to **Google Auth Platform → Clients → + Create client**
([direct link](https://console.cloud.google.com/auth/clients/create); formerly **APIs & Services →
Credentials → + Create credentials → OAuth client ID**).

- **Application type**: **Desktop app** — or **Web application** if your product's guide asks for it.
- **Name**: anything, e.g. *mailer client*.
- Web application only: under **Authorized redirect URIs** press **+ Add URI** and enter exactly
  **`http://127.0.0.1:48888/callback`** — `127.0.0.1`, not `localhost`; port `48888`; path `/callback`;
  no trailing slash. Any difference gives `Error 400: redirect_uri_mismatch`. A new URI can take a few
  minutes to be accepted.

Press **Create**.

{SANDBOX_EN}
""",
        f"""
## 手順 8 — OAuth クライアントを作る

**「Google Auth Platform」→「クライアント」→「+ クライアントを作成」** を開きます
（[直接開く](https://console.cloud.google.com/auth/clients/create)。以前の **「API とサービス」→「認証情報」→
「+ 認証情報を作成」→「OAuth クライアント ID」** に当たります）。

- **アプリケーションの種類**: **「デスクトップ アプリ」**。製品の手順書で指定があれば **「ウェブ アプリケーション」**。
- **名前**: 何でもかまいません（例: *mailer client*）。
- ウェブ アプリケーションの場合のみ: **「承認済みのリダイレクト URI」** で **「+ URI を追加」** を押し、
  **`http://127.0.0.1:48888/callback`** を一字一句そのまま入力します。`localhost` ではなく `127.0.0.1`、
  ポートは `48888`、パスは `/callback`、末尾に `/` を付けません。少しでも違うと
  `エラー 400: redirect_uri_mismatch` になります。追加した URI が有効になるまで数分かかることがあります。

**「作成」** を押します。

{SANDBOX_JA}
""",
    ),
    checklist("google.client"),
    md(
        f"""
## Step 9 — Keep the client ID and secret (now — the secret is shown once)

The dialog that opens shows the **Client ID** and the **Client secret** (it starts with `GOCSPX-`).
Press **Download JSON** and keep the file (`client_secret_….apps.googleusercontent.com.json`), or copy
both values somewhere safe.

*Why now:* Google shows the full secret **only at creation**; later the console shows only its last
characters. If you lose it, open the client and **Add secret** to make a new one.

{SANDBOX_EN}
""",
        f"""
## 手順 9 — クライアント ID とシークレットを控える（今すぐ。シークレットは一度しか表示されません）

表示されたダイアログに **クライアント ID** と **クライアント シークレット**（`GOCSPX-` で始まります）が
出ます。**「JSON をダウンロード」** を押してファイル（`client_secret_….apps.googleusercontent.com.json`）を
保存するか、両方の値を安全な場所に控えてください。

*理由:* シークレット全体が表示されるのは **作成したときだけ** です。あとからコンソールで見ても、末尾の数文字しか
表示されません。なくした場合は、クライアントを開いて **「シークレットを追加」** で新しく作ります。

{SANDBOX_JA}
""",
    ),
    checklist("google.secret"),
    md(
        """
## Step 10 — Give the client to the kit

**Upload** the downloaded JSON, or type the **Client ID** and **Client secret** and press **Use these
values**. The secret box is emptied as soon as it has been read, and the secret is never shown again.
The kit checks the file right away: a service-account key, a file without a secret, or a Web client
without the exact redirect URI are reported here rather than at sign-in.

**In the sandbox:** press ⟦L_USE_SANDBOX⟧ — it plays the part of the JSON you would download.
""",
        """
## 手順 10 — クライアントをキットに渡す

ダウンロードした JSON を **アップロード** するか、**クライアント ID** と **クライアント シークレット** を
入力して ⟦L_USE_VALUES⟧ を押します。シークレットの入力欄は読み取った直後に空になり、二度と
表示されません。キットはその場でファイルを確認します。サービス アカウントの鍵、シークレットのない
ファイル、正しいリダイレクト URI のないウェブ クライアントなどは、サインインの前にここで知らせます。

**サンドボックスでは:** ⟦L_USE_SANDBOX⟧ を押します。ダウンロードする JSON の代わりになります。
""",
    ),
    code("kit.client()"),
    md(
        """
## Step 11 — Sign in and allow access

Press ⟦L_START⟧ and open the link.

1. **Choose the right account** — the Gmail address you added as a test user. If several accounts are
   signed in, pick that one.
2. **"Google hasn't verified this app"** appears because the scope is restricted and the app is yours,
   not published by a company. Click **Advanced**, then **Go to *app name* (unsafe)**. This is expected.
3. Allow access. Keep the box for Gmail ticked — without it SMTP will refuse the token.

The browser then returns to `http://127.0.0.1:…` and the kit receives the answer by itself.
**On a remote kernel** (JupyterHub, Binder, a server over SSH) the browser cannot reach this machine:
the page shows *"This site can't be reached"* — copy the whole address from the address bar and paste
it into the box that appears. ⟦L_CANCEL⟧ stops waiting at any time.

**In the sandbox:** the practice sign-in page asks which test user you are; choose one and allow.
""",
        """
## 手順 11 — サインインしてアクセスを許可する

⟦L_START⟧ を押し、表示されたリンクを開きます。

1. **正しいアカウントを選ぶ** — テストユーザーに登録した Gmail アドレスです。複数のアカウントで
   ログインしている場合は、そのアカウントを選んでください。
2. **「このアプリは Google で確認されていません」** と表示されるのは、スコープが制限付きで、アプリが企業の
   公開アプリではなくご自分のものだからです。**「詳細」** をクリックし、**「*アプリ名*（安全ではないページ）に
   移動」** をクリックします。想定どおりの画面です。
3. アクセスを許可します。Gmail の項目のチェックは外さないでください。外すと SMTP がトークンを受け付けません。

そのあとブラウザーは `http://127.0.0.1:…` に戻り、キットが自動で結果を受け取ります。
**リモートのカーネル**（JupyterHub、Binder、SSH 先のサーバーなど）では、ブラウザーはこのマシンに届かず
「このサイトにアクセスできません」と表示されます。アドレスバーのアドレスを丸ごとコピーし、表示される
貼り付け欄に貼り付けてください。⟦L_CANCEL⟧ でいつでも待機をやめられます。

**サンドボックスでは:** 練習用のサインイン画面でテストユーザーを選び、許可します。
""",
    ),
    checklist("google.sign_in"),
    code("kit.consent()"),
    md(
        """
## Step 12 — The token file

When the sign-in succeeds the kit writes a **token INI** (mode 600: only you can read it). It holds
one section per account with `client_id`, `client_secret`, `auth_uri`, **`token_uri`**, the scope, the
**refresh token**, and the SMTP server. Every time mail is sent, the refresh token is exchanged at
`token_uri` for a short-lived access token — so a missing or wrong `token_uri` breaks sending, and the
file must be kept private: whoever has it can send mail as you.

Signing in again is needed after you change your Google password, after removing the app's access at
[myaccount.google.com/permissions](https://myaccount.google.com/permissions), after 6 months unused,
and every 7 days while the app is in *Testing*.
""",
        """
## 手順 12 — トークン INI

サインインに成功すると、キットは **トークン INI** を書き出します（パーミッション 600。本人だけが読めます）。
アカウントごとのセクションに `client_id`、`client_secret`、`auth_uri`、**`token_uri`**、スコープ、
**リフレッシュ トークン**、SMTP サーバーが入ります。送信のたびに、リフレッシュ トークンを `token_uri` で
短時間有効なアクセス トークンに交換します。そのため `token_uri` がない・間違っていると送信できません。
また、このファイルを持つ人は誰でもあなたとしてメールを送れるので、他人に見せないでください。

次の場合はサインインのやり直しが必要です: Google のパスワードを変更したとき、
[myaccount.google.com/permissions](https://myaccount.google.com/permissions) でアプリのアクセスを削除したとき、
6 か月使わなかったとき、そしてアプリが「テスト中」の間は 7 日ごと。
""",
    ),
    checklist("common.token_file"),
    md(
        """
## Step 13 — Send a test message

Send one message (to yourself by default). Below the result you see the **SMTP conversation**, like a
mailer's debug output: `EHLO`, `STARTTLS`, `AUTH XOAUTH2 *****` — the token is always masked — then
`235 2.7.0 Accepted`, `MAIL FROM`, `RCPT TO`, `DATA` and the server's `250` with the message ID. If
something fails, the status line says what happened and what to do.

Gmail replaces the *From* address with the signed-in address unless it is a verified *Send mail as*
alias: in Gmail, the gear icon → **See all settings → Accounts and Import → Add another email address**.
""",
        """
## 手順 13 — テストメールを送る

メールを 1 通送ります（既定の宛先はご自分です）。結果の下に、メーラーのデバッグ出力と同じような **SMTP の
やり取り** が表示されます。`EHLO`、`STARTTLS`、`AUTH XOAUTH2 *****`（トークンは必ず伏せ字になります）のあとに
`235 2.7.0 Accepted`、`MAIL FROM`、`RCPT TO`、`DATA` と続き、最後にサーバーがメッセージ ID 付きの `250` を返します。
失敗した場合は、何が起きたかと、どうすればよいかが状態欄に表示されます。

Gmail は、確認済みの送信元アドレスではない送信者（From）を、サインインしたアドレスに置き換えます。別のアドレスから送るには、Gmail の
設定（歯車アイコン）→ **「すべての設定を表示」→「アカウントとインポート」→「他のメール アドレスを追加」** で、
そのアドレスを追加して確認を済ませておきます。
""",
    ),
    code("kit.send_test()"),
    transports(True, "google"),
    md(
        """
## Step 14 — Export the INI and the setup record

⟦L_EXPORT⟧ shows where the token INI is (and makes sure only you can read it) and writes the **setup
record** — steps ticked with their times, the client (ID shortened, secret left out), the consent, the
test message's result — as Markdown, JSON and HTML in the kit's `records` folder. The record has a
download link; the INI deliberately does not, because it holds your refresh token.

Use the INI from a program or the command line:

```
oauthmail send --ini PATH/TO/FILE.ini --to someone@example.com --subject "Hello" --body "Sent with OAuth2"
```
""",
        """
## 手順 14 — INI とセットアップ記録を書き出す

⟦L_EXPORT⟧ を押すと、トークン INI の場所を表示し（本人だけが読めることも確認します）、
**セットアップ記録**（チェックした手順とその時刻、クライアント、同意、テスト送信の結果。クライアント ID は
短縮し、シークレットは含めません）を Markdown・JSON・HTML 形式でキットの `records` フォルダーに保存します。
記録にはダウンロード リンクが付きますが、INI にはリフレッシュ トークンが入っているため、あえて付けていません。

INI はプログラムやコマンドラインから使えます:

```
oauthmail send --ini INIファイルのパス --to someone@example.com --subject "こんにちは" --body "OAuth2 で送信"
```
""",
    ),
    code("kit.export()"),
    *MAILERS,
    md(
        """
## When it does not work

| symptom | what it means | what to do |
|---|---|---|
| `Error 400: redirect_uri_mismatch` | the Web client does not list the exact return address | add `http://127.0.0.1:48888/callback` (step 8), wait a few minutes |
| `Error 403: access_denied` / *Access blocked* | the account is not a test user | add it under Audience → Test users (step 5) |
| `invalid_grant: Token has been expired or revoked` | 7 days in *Testing*, password changed, access removed | sign in again (step 11); publish the app (step 6) |
| `535-5.7.8 Username and Password not accepted` | Gmail refused the token: wrong account, missing scope, expired | sign in again, keep the Gmail box ticked |
| TLS / certificate errors when fetching the token | an old system without TLS 1.2, or a company proxy that re-signs HTTPS | update the system; point `SSL_CERT_FILE` at the company's CA file |
| cannot connect to `oauth2.googleapis.com` | a proxy is required or set wrongly | set `HTTPS_PROXY` correctly (or unset a wrong one) |
| the token URL is invalid / missing | the INI lacks `token_uri` or it was edited | export the INI again from this notebook |

[04_troubleshooting.ipynb](04_troubleshooting.ipynb) runs the doctor on your INI and explains any error
message you paste.
""",
        """
## うまくいかないとき

| 症状 | 意味 | 対処 |
|---|---|---|
| `エラー 400: redirect_uri_mismatch` | ウェブ クライアントに正確なリダイレクト URI が登録されていない | `http://127.0.0.1:48888/callback` を追加して（手順 8）数分待つ |
| `エラー 403: access_denied`／「アクセスをブロック」 | そのアカウントがテストユーザーではない | 「対象」→「テストユーザー」に追加する（手順 5） |
| `invalid_grant: Token has been expired or revoked` | 「テスト中」で 7 日経過、パスワード変更、アクセス削除 | サインインし直す（手順 11）。アプリを公開する（手順 6） |
| `535-5.7.8 Username and Password not accepted` | Gmail がトークンを拒否: 別のアカウント、スコープ不足、期限切れ | サインインし直し、Gmail の項目のチェックを外さない |
| トークン取得時の TLS・証明書のエラー | TLS 1.2 に対応していない古いシステム、または HTTPS を再署名する社内プロキシ | システムを更新する。社内の CA ファイルを `SSL_CERT_FILE` で指定する |
| `oauth2.googleapis.com` に接続できない | プロキシが必要、または設定が誤っている | `HTTPS_PROXY` を正しく設定する（誤った設定なら外す） |
| トークン エンドポイントのアドレスが不正・見つからない | INI に `token_uri` がない、または書き換えられた | このノートブックから INI を書き出し直す |

[04_troubleshooting.ipynb](04_troubleshooting.ipynb) では、INI の診断と、貼り付けたエラーメッセージの説明ができます。
""",
    ),
    BINDER,
]

# =================================================================================================
# 02 Microsoft 365
# =================================================================================================

MICROSOFT = [
    header("02_microsoft365.ipynb", "Outlook / Microsoft 365: set up OAuth2 sending step by step",
           "Outlook／Microsoft 365: OAuth2 送信の設定を一歩ずつ"),
    md(
        """
This notebook walks through the app registration in Microsoft Entra (Azure), the mailbox setting in
the Microsoft 365 admin center, the sign-in, a test message through `smtp.office365.com` with XOAUTH2,
and the export of the token INI and a setup record. Run the cells from top to bottom; tick the boxes
under each console step as you do it.

Start in the sandbox; switch to **Real Microsoft** when you are ready.
""",
        """
このノートブックでは、Microsoft Entra（Azure）でのアプリの登録、Microsoft 365 管理センターでの
メールボックスの設定、サインイン、`smtp.office365.com` への XOAUTH2 でのテスト送信、トークン INI と
セットアップ記録の書き出しまでを順に行います。上から順にセルを実行し、コンソールでの各手順を終えたら
その下のチェックボックスにチェックを入れてください。

まずはサンドボックスで練習し、準備ができたら **本番の Microsoft** に切り替えます。
""",
    ),
    code(
        """
from oauthmail.ui import Kit

kit = Kit.start("microsoft")
kit.mode()
"""
    ),
    # -- the choice: the kit creates the app through Graph (issue 13), or the portal steps below --------
    md(
        """
## Two ways to get the app registration

- **A — let the kit create it (one sign-in).** The next cell signs you in once (with the Azure CLI's
  Microsoft client, which can act before you have an app), then creates through Microsoft Graph what
  steps 2–9 click through: the app with its supported account types, the redirect URI on the right
  platform, the API permissions, *Allow public client flows* for a public client, a secret with an
  expiry for a web app, and — if you are an administrator — admin consent for everyone (otherwise it
  shows the address to send to an admin). Each step ticks off with its result. Then continue at
  **step 10**; the client step already has the new app.
- **B — create it yourself in the portal.** Skip the next cell and follow steps 1–9 as before.

Path A needs a work or school account whose organisation lets members register apps (the default),
or an admin. If you get *Authorization_RequestDenied*, use path B or ask an admin. The same from a
terminal: `oauthmail register microsoft --ini FILE --email ADDR` (`oauthmail unregister microsoft
--client-id ID` removes it again).

**In the sandbox:** press ⟦ui.register:L_REGISTER⟧; the practice sign-in plays Microsoft's.
""",
        """
## アプリの登録を用意する 2 つの方法

- **A — キットに作成させる（サインインは 1 回）。** 次のセルで 1 回サインインすると（まだアプリがなくても使える
  Microsoft の Azure CLI のクライアントを使います）、手順 2〜9 で行う操作を Microsoft Graph で実行します。
  キットが設定するのは、サポートされているアカウントの種類、正しいプラットフォームのリダイレクト URI、API の
  アクセス許可、パブリック クライアントなら「パブリック クライアント フローを許可する」、Web アプリなら
  有効期限付きのシークレット、そしてあなたが管理者なら組織全体への管理者の同意です（管理者でなければ、管理者に
  送るアドレスを表示します）。手順ごとに結果が表示されます。終わったら **手順 10** に進んでください。
  クライアントの手順には新しいアプリの値が入力済みです。
- **B — ポータルで自分で作成する。** 次のセルは飛ばし、これまでどおり手順 1〜9 を行います。

A には、メンバーがアプリを登録できる組織（既定の設定）の職場または学校アカウント、または管理者が必要です。
*Authorization_RequestDenied* と表示されたら、B を使うか管理者に依頼してください。ターミナルでも同じことが
できます: `oauthmail register microsoft --ini ファイル --email アドレス`（削除は
`oauthmail unregister microsoft --client-id ID`）。

**サンドボックスでは:** ⟦ui.register:L_REGISTER⟧ を押します。練習用のサインイン画面が Microsoft の役をします。
""",
    ),
    code("kit.register_app()"),
    md(
        f"""
## Step 1 — Check the mailbox

OAuth2 sending through Microsoft 365 needs a **Microsoft 365 for business** subscription (Business
Basic or higher, or an Exchange Online plan) for the sending mailbox, and for some steps a person with
an admin role (Application Administrator for the app, Exchange or Global Administrator for the mailbox
setting). A personal **outlook.com / hotmail.com** address also works for SMTP if the app allows
personal accounts (step 2).

{SANDBOX_EN}
""",
        f"""
## 手順 1 — メールボックスを確認する

Microsoft 365 経由で OAuth2 送信をするには、送信元メールボックスに **Microsoft 365 法人向け** の契約
（Business Basic 以上、または Exchange Online のプラン）が必要です。また一部の手順には管理者ロールを持つ人が
必要です（アプリにはアプリケーション管理者、メールボックスの設定には Exchange 管理者かグローバル管理者）。
個人用の **outlook.com／hotmail.com** のアドレスも、アプリが個人アカウントを許可していれば（手順 2）SMTP で使えます。

{SANDBOX_JA}
""",
    ),
    checklist("microsoft.license"),
    md(
        f"""
## Step 2 — Register an app

Open [Microsoft Entra admin center → Entra ID → App registrations](https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade)
(or in the Azure portal: **Microsoft Entra ID → App registrations**) and press **+ New registration**.

- **Name**: any name, e.g. *mailer*.
- **Supported account types**: *Accounts in this organizational directory only* for your own
  organisation; *…and personal Microsoft accounts* if outlook.com addresses must sign in too.
- **Redirect URI**: platform **Web**, value exactly **`http://localhost:48888/callback`** (path and case
  must match; a wrong value gives `AADSTS50011`). Do not choose *Single-page application* — its tokens
  cannot be used from a program.

Press **Register**.

{SANDBOX_EN}
""",
        f"""
## 手順 2 — アプリを登録する

[Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」](https://entra.microsoft.com/#view/Microsoft_AAD_RegisteredApps/ApplicationsListBlade)を開き（Azure portal なら **「Microsoft Entra ID」→「アプリの登録」**）、**「+ 新規登録」** を押します。

- **名前**: 何でもかまいません（例: *mailer*）。
- **サポートされているアカウントの種類**: 自分の組織だけなら「この組織ディレクトリのみに含まれるアカウント」。
  outlook.com のアドレスでもサインインするなら「…および個人の Microsoft アカウント」を含むものを選びます。
- **リダイレクト URI**: プラットフォームは **「Web」**、値は **`http://localhost:48888/callback`** を
  一字一句そのまま（パスと大文字小文字が一致しないと `AADSTS50011` になります）。
  「シングルページ アプリケーション」は選ばないでください。そのトークンはプログラムから使えません。

**「登録」** を押します。

{SANDBOX_JA}
""",
    ),
    checklist("microsoft.register"),
    md(
        f"""
## Step 3 — The overview page

After registering you land on the app's **Overview**. Two values matter:

- **Application (client) ID** — a GUID like `1a2b3c4d-…`: the client ID.
- **Directory (tenant) ID** — also a GUID: the tenant to sign in to. An app limited to your organisation
  needs it (signing in through `common` fails with `AADSTS50194`).

(The *Object ID* is something else; you do not need it.)

{SANDBOX_EN}
""",
        f"""
## 手順 3 — 概要ページを確認する

登録するとアプリの **「概要」** ページが開きます。大事な値は 2 つです。

- **アプリケーション (クライアント) ID** — `1a2b3c4d-…` のような GUID。これがクライアント ID です。
- **ディレクトリ (テナント) ID** — これも GUID。サインイン先のテナントです。自分の組織だけのアプリでは
  必要です（`common` でサインインすると `AADSTS50194` になります）。

（「オブジェクト ID」は別物で、使いません。）

{SANDBOX_JA}
""",
    ),
    checklist("microsoft.overview"),
    md(
        f"""
## Step 4 — API permissions

Open **API permissions → + Add a permission → Microsoft Graph → Delegated permissions** and tick:

- **`Mail.Send`** and **`offline_access`** (as many product guides ask), and
- **`SMTP.Send`** — this is the one **SMTP** sending needs.

Then press **Add permissions**.

*Why both:* Graph's `Mail.Send` only works for sending through the Microsoft Graph API (HTTP). Sending
through `smtp.office365.com` needs a token for Outlook's **`SMTP.Send`**; a Graph token is refused with
`535 5.7.3`. The kit asks for `SMTP.Send` at sign-in; listing it here lets an admin approve it in advance.
`offline_access` is what gives a refresh token.

{SANDBOX_EN}
""",
        f"""
## 手順 4 — API のアクセス許可を追加する

**「API のアクセス許可」→「+ アクセス許可の追加」→「Microsoft Graph」→「委任されたアクセス許可」** で次に
チェックを入れます。

- **`Mail.Send`** と **`offline_access`**（多くの製品の手順書が求めるもの）
- **`SMTP.Send`** — **SMTP** で送信するにはこれが必要です。

**「アクセス許可の追加」** を押します。

*両方を追加する理由:* Graph の `Mail.Send` は、Microsoft Graph API（HTTP）で送信するときにしか使えません。
`smtp.office365.com` から送るには **`SMTP.Send`** のトークンが必要で、`Mail.Send` のトークンでは
`535 5.7.3` で拒否されます。キットはサインインのときに `SMTP.Send` を要求します。ここに登録しておけば、
管理者が前もって同意を与えられます。`offline_access` があると、リフレッシュ トークンが発行されます。

{SANDBOX_JA}
""",
    ),
    checklist("microsoft.permissions"),
    md(
        f"""
## Step 5 — Grant admin consent

Still on **API permissions**, press **Grant admin consent for *your organisation*** and confirm. The
*Status* column turns into green ticks.

*Why:* many organisations do not let users approve apps themselves; without admin consent the sign-in
stops at *"Need admin approval"* (`AADSTS65001` / `AADSTS90094`). If you are not an admin, send the
app's name and client ID to one.

{SANDBOX_EN}
""",
        f"""
## 手順 5 — 管理者の同意を与える

同じ **「API のアクセス許可」** で **「<組織名> に管理者の同意を与えます」** を押して確定します。
「状態」の列が緑のチェックに変わります。

*理由:* ユーザーが自分でアプリに同意することを禁止している組織は多く、その場合、管理者の同意がないと
サインインが「管理者の承認が必要」（`AADSTS65001`／`AADSTS90094`）の画面で止まります。ご自分が管理者でない場合は、
アプリ名とクライアント ID を管理者に伝えて依頼してください。

{SANDBOX_JA}
""",
    ),
    checklist("microsoft.admin_consent"),
    md(
        f"""
## Step 6 — Note the client ID and redirect URI

Copy the **Application (client) ID** and the **Directory (tenant) ID** from the Overview, and the
redirect URI from **Authentication** (`http://localhost:48888/callback`). You will enter them below.

{SANDBOX_EN}
""",
        f"""
## 手順 6 — クライアント ID とリダイレクト URI を控える

「概要」から **アプリケーション (クライアント) ID** と **ディレクトリ (テナント) ID** を、**「認証」** から
リダイレクト URI（`http://localhost:48888/callback`）を控えます。このあと入力します。

{SANDBOX_JA}
""",
    ),
    checklist("microsoft.note_ids"),
    md(
        f"""
## Step 7 — Create a client secret (and write down its expiry)

Open **Certificates & secrets → Client secrets → + New client secret**, enter a description, choose an
**expiry** (the longest offered is 24 months) and press **Add**.

*Why the expiry matters:* when the secret expires, refreshing fails with `AADSTS7000222` and mail stops.
Write the date down (enter it below: it goes into the setup record) and plan to create a new secret
before then.

{SANDBOX_EN}
""",
        f"""
## 手順 7 — クライアント シークレットを作る（有効期限も控える）

**「証明書とシークレット」→「クライアント シークレット」→「+ 新しいクライアント シークレット」** を開き、
説明を入れて **有効期限** を選び（最長 24 か月）、**「追加」** を押します。

*理由:* シークレットの期限が切れると更新が `AADSTS7000222` で失敗し、メールが止まります。
日付を控えてください（下で入力するとセットアップ記録に残ります）。期限の前に新しいシークレットを作る予定を立てておきましょう。

{SANDBOX_JA}
""",
    ),
    md(
        f"""
## Step 8 — Copy the secret's **Value** (shown once)

The new secret appears with two columns: **Value** and **Secret ID**. Copy the **Value** now — it is
shown in full only until you leave the page. The *Secret ID* is a GUID and is **not** the secret;
pasting it gives `AADSTS7000215`.

{SANDBOX_EN}
""",
        f"""
## 手順 8 — シークレットの **「値」** をコピーする（一度だけ表示）

作成したシークレットには **「値」** と **「シークレット ID」** の 2 つの列があります。今すぐ **「値」** を
コピーしてください。ページを離れると二度と全体は表示されません。「シークレット ID」は GUID で、
シークレットでは **ありません**。これを貼り付けると `AADSTS7000215` になります。

{SANDBOX_JA}
""",
    ),
    checklist("microsoft.secret"),
    md(
        """
## Step 9 — Give the app's values to the kit

Enter the **client ID**, the **secret Value** (the box is emptied once read; the secret is never shown),
the secret's **expiry** date and, under ⟦L_ACCOUNT_TYPE⟧, who may sign in:

- work or school accounts → ⟦L_ACC_ORG⟧
- your tenant only → ⟦L_ACC_TENANT⟧, then the Directory (tenant) ID in ⟦L_TENANT⟧
- personal accounts only → ⟦L_ACC_PERSONAL⟧
- both → ⟦L_ACC_ANY⟧

Press ⟦L_USE_VALUES⟧.

A **public client** (no secret) can sign in with a **device code** instead: choose ⟦L_PUBLIC⟧ under
⟦L_APP_KIND⟧, but only if the app's *Authentication* page has *Allow public client flows* = **Yes**.

**In the sandbox:** press ⟦L_USE_SANDBOX⟧.
""",
        """
## 手順 9 — アプリの値をキットに渡す

**クライアント ID**、**シークレットの「値」**（入力欄は読み取ったあと空になり、シークレットは表示されません）、
シークレットの **有効期限** を入力し、⟦L_ACCOUNT_TYPE⟧ でサインインできるアカウントを選びます。

- 職場または学校のアカウント → ⟦L_ACC_ORG⟧
- 自分のテナントだけ → ⟦L_ACC_TENANT⟧ を選び、⟦L_TENANT⟧ にディレクトリ (テナント) ID を入力
- 個人用アカウントだけ → ⟦L_ACC_PERSONAL⟧
- 両方 → ⟦L_ACC_ANY⟧

最後に ⟦L_USE_VALUES⟧ を押します。

**パブリック クライアント**（シークレットなし）の場合は、代わりに **デバイス コード** でサインインできます。
アプリの「認証」ページで「パブリック クライアント フローを許可する」が **「はい」** になっている場合に限り、
⟦L_APP_KIND⟧ で ⟦L_PUBLIC⟧ を選んでください。

**サンドボックスでは:** ⟦L_USE_SANDBOX⟧ を押します。
""",
    ),
    code("kit.client()"),
    md(
        f"""
## Step 10 — Turn on Authenticated SMTP for the mailbox

Microsoft 365 switches SMTP sign-in off by default. Without this step the sign-in works but sending
fails with **`535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the
Tenant`**.

In the [Microsoft 365 admin center](https://admin.microsoft.com/#/users): **Users → Active users** →
click the sending user → the panel opens on the right → **Mail** tab → **Manage email apps** → tick
**Authenticated SMTP** → **Save changes**.
(PowerShell: `Set-CASMailbox -Identity user@example.com -SmtpClientAuthenticationDisabled $false`.)

**It does not apply at once** — often minutes, sometimes an hour. If the test message still gets
`5.7.139`, wait and try again; if it persists, open the setting again and check it was saved.

{SANDBOX_EN}
""",
        f"""
## 手順 10 — メールボックスの「認証済み SMTP」を有効にする

Microsoft 365 は既定で SMTP へのサインインを無効にしています。この手順を飛ばすと、サインインはできても
送信が **`535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant`**
で失敗します。

[Microsoft 365 管理センター](https://admin.microsoft.com/#/users) で **「ユーザー」→「アクティブなユーザー」** を開き、
送信するユーザーをクリックします。右側に開くパネルで **「メール」** タブ → **「メール アプリの管理」** を開き、
**「認証済み SMTP」** にチェックを入れて **「変更の保存」** を押します。
（PowerShell の場合: `Set-CASMailbox -Identity user@example.com -SmtpClientAuthenticationDisabled $false`）

**設定はすぐには反映されません**。数分、ときには 1 時間ほどかかります。テスト送信で `5.7.139` が続く場合は
しばらく待ってから再度試し、それでも続くなら設定画面をもう一度開いて保存されているか確認してください。

{SANDBOX_JA}
""",
    ),
    checklist("microsoft.smtp_auth"),
    md(
        """
## Step 11 — Sign in

Press ⟦L_START⟧, open the link and sign in **as the user of the sending mailbox**. Approve the
permissions (including *Send email via SMTP*). The browser returns to `http://localhost:48888/callback`
and the kit picks up the answer. On a remote kernel, paste the address the browser ends on into the box
that appears. With a public client, ⟦L_DEVICE⟧ shows a code to enter at
`microsoft.com/devicelogin` on any device. ⟦L_CANCEL⟧ stops waiting.

**In the sandbox:** the practice sign-in page plays Microsoft's; choose a user and accept.
""",
        """
## 手順 11 — サインインする

⟦L_START⟧ を押してリンクを開き、**送信元メールボックスのユーザーで** サインインします。
要求されたアクセス許可（「SMTP AUTH を使用してメールボックスからメールを送信する」を含む）を確認して **「承諾」** を押します。ブラウザーは
`http://localhost:48888/callback` に戻り、キットが結果を受け取ります。リモートのカーネルでは、ブラウザーが
最後に表示したアドレスを、表示される貼り付け欄に貼り付けてください。パブリック クライアントなら
⟦L_DEVICE⟧ でコードが表示されるので、どの端末でも `microsoft.com/devicelogin` で
入力できます。⟦L_CANCEL⟧ で待機をやめられます。

**サンドボックスでは:** 練習用のサインイン画面が Microsoft の役をします。ユーザーを選んで **「承諾」** を押します。
""",
    ),
    checklist("microsoft.sign_in"),
    code("kit.consent()"),
    md(
        """
## Step 12 — The token file

The kit writes the **token INI** (mode 600) with the client ID and secret, the **authority**
(`https://login.microsoftonline.com/<tenant>`), the scope `https://outlook.office.com/SMTP.Send`, the
**refresh token** and the SMTP server. Microsoft hands out a new refresh token on every refresh; the kit
stores it each time. A refresh token unused for 90 days expires — then sign in again.
""",
        """
## 手順 12 — トークン INI

キットは **トークン INI**（パーミッション 600）に、クライアント ID とシークレット、**認証機関（authority）**
（`https://login.microsoftonline.com/<テナント>`）、スコープ `https://outlook.office.com/SMTP.Send`、
**リフレッシュ トークン**、SMTP サーバーを書き込みます。Microsoft は更新のたびに新しいリフレッシュ トークンを
発行するので、キットはそのつど保存します。90 日使わなかったリフレッシュ トークンは失効するので、その場合は
サインインし直してください。
""",
    ),
    checklist("common.token_file"),
    md(
        """
## Step 13 — Send a test message

The conversation below the result shows `AUTH XOAUTH2 *****` (masked) and the server's answers. A
`535 5.7.139` means step 10 has not applied yet; `535 5.7.3` means the token is not for SMTP (wrong
account, Graph instead of SMTP.Send); `5.7.57` / `SendAsDenied` means the *From* is not the signed-in
mailbox.
""",
        """
## 手順 13 — テストメールを送る

結果の下のやり取りには `AUTH XOAUTH2 *****`（伏せ字）とサーバーの応答が表示されます。
`535 5.7.139` は手順 10 がまだ反映されていないこと、`535 5.7.3` はトークンが SMTP 用ではないこと
（別のアカウント、SMTP.Send ではなく Graph 用）、`5.7.57`／`SendAsDenied` は送信者（From）がサインインした
メールボックスではないことを意味します。
""",
    ),
    code("kit.send_test()"),
    transports(True, "microsoft"),
    md(
        """
## Step 14 — Export the INI and the setup record

The record includes the client secret's expiry date you entered, so whoever reads it later knows when
the secret must be renewed. The INI is shown by path only (it holds the refresh token).
""",
        """
## 手順 14 — INI とセットアップ記録を書き出す

記録には入力したクライアント シークレットの有効期限も残るので、あとで読む人が更新の時期を知ることが
できます。INI はパスだけを表示します（リフレッシュ トークンが入っているため）。
""",
    ),
    code("kit.export()"),
    *MAILERS,
    md(
        """
## When it does not work

| message | what to do |
|---|---|
| `535 5.7.139 … SmtpClientAuthentication is disabled` | step 10 (Authenticated SMTP), then wait |
| `535 5.7.3 Authentication unsuccessful` | sign in again as the mailbox's user; make sure the scope is `SMTP.Send` |
| `AADSTS50011` redirect URI mismatch | Authentication → Web → `http://localhost:48888/callback` (step 2) |
| `AADSTS7000215` invalid client secret | paste the secret's **Value**, not the Secret ID (step 8) |
| `AADSTS7000222` expired secret | create a new secret (step 7) |
| `AADSTS65001` / *Need admin approval* | admin consent (step 5) |
| `AADSTS50194` / `AADSTS700016` | use your tenant ID, not *common*, for a single-tenant app (step 3) |
| `AADSTS50076` / `AADSTS53003` | your organisation's MFA / Conditional Access: complete MFA or ask the admin |

[04_troubleshooting.ipynb](04_troubleshooting.ipynb) explains any error message you paste.
""",
        """
## うまくいかないとき

| メッセージ | 対処 |
|---|---|
| `535 5.7.139 … SmtpClientAuthentication is disabled` | 手順 10（認証済み SMTP）を行い、反映を待つ |
| `535 5.7.3 Authentication unsuccessful` | メールボックスのユーザーでサインインし直す。スコープが `SMTP.Send` か確認する |
| `AADSTS50011`（リダイレクト URI の不一致） | 「認証」→「Web」→ `http://localhost:48888/callback`（手順 2） |
| `AADSTS7000215`（クライアント シークレットが無効） | 「シークレット ID」ではなく「値」を貼り付ける（手順 8） |
| `AADSTS7000222`（シークレットの期限切れ） | 新しいシークレットを作る（手順 7） |
| `AADSTS65001`／「管理者の承認が必要」 | 管理者の同意（手順 5） |
| `AADSTS50194`／`AADSTS700016` | シングルテナントのアプリでは common ではなくテナント ID を使う（手順 3） |
| `AADSTS50076`／`AADSTS53003` | 組織の多要素認証・条件付きアクセス: MFA を完了するか管理者に相談する |

[04_troubleshooting.ipynb](04_troubleshooting.ipynb) では、貼り付けたエラーメッセージを説明します。
""",
    ),
    BINDER,
]

# =================================================================================================
# 03 existing INI
# =================================================================================================

EXISTING = [
    header("03_existing_ini.ipynb", "I already have a token INI", "トークン INI はもうある"),
    md(
        """
Load a token INI made earlier (by this kit or `oauthmail consent`), send a test message with it, and
export it again together with a setup record — for example to document a mailer that is already
running, or to check a file you were handed.

The INI format is described in the kit's design notes: an `[oauthmail]` section and one section per
account (`provider`, `client_id`, `client_secret`, `token_uri` or `authority`, `scopes`,
`refresh_token`, `smtp_host`, …). Files from other tools (e.g. an `smail_refresh_token.ini`) use other
key names; create a new INI with 01 or 02 instead.
""",
        """
以前に（このキットや `oauthmail consent` で）作ったトークン INI を読み込み、テストメールを送り、
セットアップ記録と一緒に書き出し直します。すでに動いているメール送信の設定を記録に残したいときや、
受け取ったファイルを確認したいときに使います。

INI の形式はキットの設計ノートにあります: `[oauthmail]` セクションと、アカウントごとのセクション
（`provider`、`client_id`、`client_secret`、`token_uri` または `authority`、`scopes`、`refresh_token`、
`smtp_host` など）。ほかのツールのファイル（`smail_refresh_token.ini` など）はキー名が異なるため、
01 または 02 で新しく INI を作ってください。
""",
    ),
    code(
        """
from oauthmail.ui import Kit

kit = Kit.start("google")
kit.mode()
"""
    ),
    md(
        """
## Load the file

Enter the INI's path (and, if it holds several accounts, which one) and press ⟦L_LOAD⟧. Nothing secret is
shown: only the accounts' addresses. A warning appears if other users can read the file.

**In the sandbox:** a practice INI is made for you in the kit's folder (the simulated user signs in).
""",
        """
## ファイルを読み込む

INI のパス（複数のアカウントがあればどれを使うか）を入れて ⟦L_LOAD⟧ を押します。秘密情報は
表示されず、アカウントのアドレスだけが表示されます。他のユーザーも読める状態なら警告が出ます。

**サンドボックスでは:** 練習用の INI をキットのフォルダーに用意します（練習用ユーザーがサインインします）。
""",
    ),
    code("kit.load_ini()"),
    md(
        """
## Check it with the doctor

The doctor checks the file step by step — format and permissions, the token endpoint, refreshing the
token, the SMTP server, the login — and gives each a verdict and a fix.
""",
        """
## 診断（doctor）で確認する

診断は、ファイルの形式とパーミッション、トークン エンドポイント、トークンの更新、SMTP サーバー、SMTP へのログイン（認証）を
順に確認し、それぞれに判定と対処を示します。
""",
    ),
    code("kit.doctor()"),
    md(
        """
## Send a test message
""",
        """
## テストメールを送る
""",
    ),
    code("kit.send_test()"),
    md(
        """
## Export again, with a setup record

The account is written afresh, alone, to `exports/<address>.ini` in the kit's folder (mode 600, written
atomically — the file you loaded is left as it is), and the setup record lists the account, the client
(ID shortened), the doctor's verdicts and the test message's result — no secret.
""",
        """
## 記録と一緒に書き出し直す

アカウントだけを、キットのフォルダーの `exports/<アドレス>.ini` に新しく書き出します（パーミッション 600。
書き込みの途中で止まってもファイルが壊れない方法で保存し、読み込んだ元のファイルはそのままです）。セットアップ記録にはアカウント、
クライアント（ID は短縮）、診断の判定、テスト送信の結果が入ります。秘密情報は含みません。
""",
    ),
    code("kit.export(reexport=True)"),
    md(
        """
## Apps the kit made

Apps created by `oauthmail register microsoft` (or path A of notebook 02) are listed here with their
client ID, tenant and date. ⟦ui.register:L_REMOVE_APP⟧ deletes the chosen one through Microsoft Graph after you
sign in (the same as `oauthmail unregister microsoft --client-id ID`); its tokens stop working.
""",
        """
## キットが作成したアプリ

`oauthmail register microsoft`（またはノートブック 02 の方法 A）で作成したアプリを、クライアント ID・テナント・
日時とともに一覧します。⟦ui.register:L_REMOVE_APP⟧ を押してサインインすると、選んだアプリを Microsoft Graph で
削除します（`oauthmail unregister microsoft --client-id ID` と同じ）。そのアプリのトークンは使えなくなります。
""",
    ),
    code("kit.registrations()"),
    BINDER,
]

# =================================================================================================
# 04 troubleshooting
# =================================================================================================

TROUBLE = [
    header("04_troubleshooting.ipynb", "Troubleshooting: doctor and error messages", "トラブルシューティング: 診断とエラーメッセージ"),
    md(
        """
Two tools: the **doctor** checks a token INI step by step, and **explain** tells what an error message
from Google, Microsoft, a mail server or the network means and what to do. Both are also commands:
`oauthmail doctor --ini FILE` and `oauthmail explain "MESSAGE"`.
""",
        """
ここでは 2 つの機能を使います。**診断（doctor）** はトークン INI を段階ごとに確認し、**説明（explain）** は Google・
Microsoft・メールサーバー・ネットワークからのエラーメッセージの意味と対処を示します。どちらもコマンドでも
使えます: `oauthmail doctor --ini ファイル`、`oauthmail explain "メッセージ"`。
""",
    ),
    code(
        """
from oauthmail.ui import Kit

kit = Kit.start("google")
kit.mode()
"""
    ),
    md(
        """
## The doctor

Enter the path of your INI (in the sandbox a practice INI is used) and run the doctor.
""",
        """
## 診断

INI のパスを入れて診断を実行します（サンドボックスでは練習用の INI を使います）。
""",
    ),
    code(
        """
kit.load_ini()
kit.doctor()
"""
    ),
    md(
        """
## Explain an error message

Paste the message exactly as you got it (a line from a log, a browser page, a mailer's output) and press
⟦L_EXPLAIN⟧. An example is filled in.
""",
        """
## エラーメッセージの説明

受け取ったメッセージ（ログの 1 行、ブラウザーのページ、メーラーの出力など）をそのまま貼り付け、
⟦L_EXPLAIN⟧ を押します。例があらかじめ入っています。
""",
    ),
    code('kit.explain("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.")'),
    md(
        """
## Typical failures on the way to the token server

Getting an access token is an HTTPS request to the `token_uri` (Google) or the authority (Microsoft).
When it fails before any answer from the provider, the cause is almost always on your side:

| what you see | cause | what to do |
|---|---|---|
| a "secure channel" error, `SSL: UNSUPPORTED_PROTOCOL`, handshake failure | the system cannot speak TLS 1.2 (very old Windows, old OpenSSL) | update the system (on Windows Server 2008 SP2 the TLS 1.2 update is required) or run the mailer elsewhere |
| `CERTIFICATE_VERIFY_FAILED`, "invalid certificate authority" | a company proxy re-signs HTTPS, or the CA list is outdated | get the company's CA certificate and point `SSL_CERT_FILE` (and `REQUESTS_CA_BUNDLE`) at it |
| cannot connect, connection refused or timed out | a proxy is required, or a wrong proxy is set | set `HTTPS_PROXY=http://proxy:port` correctly, or remove a stale one |
| "invalid URL", "no token_uri" | the INI's `token_uri` is missing, mistyped or the INI was not found | export the INI again (01/02) — don't edit it by hand |

Run the mailer with its debug option (`oauthmail send … --debug`) to see the SMTP conversation with the
token masked; paste the failing line above.
""",
        """
## トークン サーバーに届くまでのよくある失敗

アクセス トークンの取得は、`token_uri`（Google）または認証機関（Microsoft の `authority`）への HTTPS 通信です。プロバイダーからの
応答が返る前に失敗する場合、原因はほぼ手元の環境にあります。

| 表示 | 原因 | 対処 |
|---|---|---|
| 「セキュリティ チャネル」のエラー、`SSL: UNSUPPORTED_PROTOCOL`、ハンドシェイクの失敗 | TLS 1.2 に対応していないシステム（非常に古い Windows、古い OpenSSL） | システムを更新する（Windows Server 2008 SP2 では TLS 1.2 の更新プログラムが必要）か、別の環境で動かす |
| `CERTIFICATE_VERIFY_FAILED`、「無効な認証局」 | 社内プロキシが HTTPS を再署名している、または CA の一覧が古い | 社内の CA 証明書を入手し、`SSL_CERT_FILE`（と `REQUESTS_CA_BUNDLE`）で指定する |
| 接続できない、拒否された、タイムアウト | プロキシが必要、または誤ったプロキシが設定されている | `HTTPS_PROXY=http://プロキシ:ポート` を正しく設定する。古い設定なら外す |
| 「不正な URL」「token_uri がない」 | INI の `token_uri` がない・誤っている、または INI が見つからない | INI を書き出し直す（01／02）。手で編集しない |

`oauthmail send … --debug` で送ると、トークンを伏せた SMTP のやり取りが
見られます。失敗した行を上の欄に貼り付けてください。
""",
    ),
    md(
        """
## An app the kit made does not work, or is half made

`oauthmail register microsoft` stops at the step that failed and says why; what it made so far is listed
below (and in `OAUTHMAIL_HOME/registrations/`). Common cases:

| what you see | what to do |
|---|---|
| `Authorization_RequestDenied` at "Create the app registration" | members may not register apps here: ask an admin, or create the app in the portal (02, path B) |
| `AADSTS700016` for a minute after creation | expected: Microsoft is still publishing the new app; the kit waits (`--wait` seconds) |
| the admin-consent address was shown, then *Need admin approval* | send that address to an admin; once approved, run the consent again |
| `535 5.7.139` at the test message | SMTP AUTH is off for the mailbox: the admin path and the PowerShell line are in the message, or use `--transport graph` |

Remove an app you no longer need with ⟦ui.register:L_REMOVE_APP⟧ (or `oauthmail unregister microsoft --client-id ID`).
""",
        """
## キットが作成したアプリが動かない・作りかけになった

`oauthmail register microsoft` は失敗した手順で止まり、理由を表示します。それまでに作ったものは下の一覧
（と `OAUTHMAIL_HOME/registrations/`）にあります。よくある例:

| 表示 | 対処 |
|---|---|
| 「アプリの登録を作成」で `Authorization_RequestDenied` | この組織ではメンバーがアプリを登録できません。管理者に依頼するか、ポータルで作成します（02 の方法 B） |
| 作成直後の 1 分ほど `AADSTS700016` | 想定どおりです。Microsoft が新しいアプリを反映中で、キットは待ちます（`--wait` 秒） |
| 管理者の同意用アドレスが表示され、そのあと「管理者の承認が必要」 | そのアドレスを管理者に送り、同意してもらったら同意の手順をやり直します |
| テストメールで `535 5.7.139` | メールボックスの SMTP 認証がオフです。管理センターの場所と PowerShell の 1 行がメッセージにあります。`--transport graph` も使えます |

不要になったアプリは ⟦ui.register:L_REMOVE_APP⟧（または `oauthmail unregister microsoft --client-id ID`）で削除します。
""",
    ),
    code("kit.registrations()"),
    transports(False),
    BINDER,
]

# =================================================================================================
# 05 trainer (issue 16: the trainer's view of a class on one hub; widgets in oauthmail/ui/trainer.py)
# =================================================================================================

TRAINER = [
    header("05_trainer.ipynb", "For the trainer: where is the class?", "講師向け: クラスの進み具合"),
    md(
        """
This notebook is for the person who runs a class on a hub (see [docs/classroom.md](../../docs/classroom.md)).
It reads the **setup records** every student's notebook writes at its export step and shows, per student,
which console steps are ticked, whether the sign-in and the test message succeeded, and the last error with
what to do. It reads nothing else: records hold no token and no secret, and it never opens a student's INI,
practice sandbox or mailbox.

Each student's folder (`~/.config/oauthmail`) is private to that student, so run this notebook where the
students' folders can be read: as the hub's administrator (root), or use the command at the end with `sudo`.
Folders it may not read are listed as skipped, with the reason; the rest of the class is still shown.
""",
        """
このノートブックは、ハブでクラスを運営する講師のためのものです（[docs/classroom.md](../../docs/classroom.md) を参照）。
受講者のノートブックが書き出しの手順で保存する **セットアップ記録** を読み込み、受講者ごとに、チェックの入った
コンソールの手順、サインインとテスト送信の成否、直近のエラーとその対処方法を表示します。読み込むのは記録だけです。
記録にはトークンも秘密情報も入っておらず、受講者の INI・練習用サンドボックス・メールボックスは開きません。

受講者のフォルダー（`~/.config/oauthmail`）は本人だけが読めるので、このノートブックは受講者のフォルダーを読める
環境で実行します。ハブの管理者（root）として実行するか、最後にあるコマンドを `sudo` 付きで使ってください。
読めなかったフォルダーは理由とともに「読めなかったフォルダー」の一覧に出し、残りの受講者はそのまま表示します。
""",
    ),
    md(
        """
## The class at a glance

Enter the pattern of the students' folders — `/home/*/.config/oauthmail` with the hub configuration of
docs/classroom.md, `/home/jupyter-*/.config/oauthmail` on The Littlest JupyterHub — and press
⟦classroom.trainer:L_REFRESH⟧. ⟦classroom.trainer:L_WATCH⟧ keeps the view current while the class works.
The same page is saved as `exports/class-report.html` in your own kit folder; the link under it downloads it
for the room's screen (it reloads itself while you keep re-reading).
""",
        """
## クラス全体を一目で

受講者のフォルダーのパターンを入れて ⟦classroom.trainer:L_REFRESH⟧ を押します。docs/classroom.md のハブ設定なら
`/home/*/.config/oauthmail`、The Littlest JupyterHub なら `/home/jupyter-*/.config/oauthmail` です。
⟦classroom.trainer:L_WATCH⟧ にチェックを入れると、クラスの作業中も表示が最新に保たれます。同じページがご自分の
キットのフォルダーに `exports/class-report.html` として保存され、その下のリンクから教室の画面用にダウンロード
できます（読み込み直している間は、ページも自動で更新されます）。
""",
    ),
    code(
        """
from oauthmail.ui.trainer import Trainer

trainer = Trainer.start()
"""
    ),
    md(
        """
## Reading the picture

One row per student, one column per console step, then the sign-in (consent), the test message and the
record: ✔ done, ◐ partly done, · not done, ✖ failed, ? no record yet. A student with no record has not
reached the export step of 01_gmail or 02_microsoft365 yet. The last column is the last error a record
tells of, with what to do — the same explanation as [04_troubleshooting.ipynb](04_troubleshooting.ipynb)
and `oauthmail explain`.

**Before the class**, try it on your own records: walk 01_gmail in the sandbox, then enter your own folder
(`~/.config/oauthmail`) above — a class of one. (Run top to bottom by itself, this notebook does exactly that.)
""",
        """
## 表の読み方

受講者ごとに 1 行、コンソールの手順ごとに 1 列で、そのあとにサインイン（同意）・テスト送信・記録の列が続きます。
✔ は完了、◐ は一部完了、· は未完了、✖ は失敗、? はまだ記録がないことを表します。記録がない受講者は、
01_gmail または 02_microsoft365 の書き出しの手順までまだ進んでいません。最後の列は記録にある直近のエラーと
その対処方法で、[04_troubleshooting.ipynb](04_troubleshooting.ipynb) や `oauthmail explain` と同じ説明です。

**クラスの前に**、ご自分の記録で試せます。サンドボックスで 01_gmail を最後まで進め、上の欄にご自分のフォルダー
（`~/.config/oauthmail`）を入れてください。受講者 1 人のクラスとして表示されます（このノートブックを自動で
最後まで実行したときも、同じようにご自分のフォルダーを読み込みます）。
""",
    ),
    md(
        """
## The same from a terminal

```sh
sudo oauthmail class report --homes '/home/*/.config/oauthmail' --html class.html --refresh 30
```

prints the table and writes the page; `--lang ja` for Japanese, `--json` for scripts. Run it again (e.g.
with `watch -n 30`) and the page open on the room's screen reloads itself every 30 seconds.
""",
        """
## 同じことをターミナルで

```sh
sudo oauthmail class report --homes '/home/*/.config/oauthmail' --html class.html --refresh 30 --lang ja
```

表を表示してページを書き出します。スクリプトで使うときは `--json` を付けます。繰り返し実行すると（例:
`watch -n 30`）、教室の画面で開いたページは 30 秒ごとに自動で読み込み直されます。
""",
    ),
]

NOTEBOOKS: dict[str, list[Cell]] = {
    "00_start.ipynb": START,
    "01_gmail.ipynb": GMAIL,
    "02_microsoft365.ipynb": MICROSOFT,
    "03_existing_ini.ipynb": EXISTING,
    "04_troubleshooting.ipynb": TROUBLE,
    "05_trainer.ipynb": TRAINER,
}


def build(name: str, lang: str) -> nbformat.NotebookNode:
    """One notebook in one language: no outputs, no widget state, stable cell ids."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    stem = name.removesuffix(".ipynb").replace("_", "-")
    for i, cell in enumerate(NOTEBOOKS[name]):
        cell_id = f"{stem}-{i:02d}"
        if cell.kind == "code":
            nb.cells.append(nbformat.v4.new_code_cell(cell.text(lang), id=cell_id))
        else:
            nb.cells.append(nbformat.v4.new_markdown_cell(cell.text(lang), id=cell_id))
    return nb


def render(name: str, lang: str) -> str:
    return nbformat.writes(build(name, lang)) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the committed notebooks")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    stale = []
    for lang in LANGS:
        for name in NOTEBOOKS:
            path = args.out / lang / name
            text = render(name, lang)
            if args.check:
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    stale.append(str(path))
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date (run python tools/build_notebooks.py):", *stale, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
