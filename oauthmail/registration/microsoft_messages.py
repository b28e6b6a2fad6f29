"""What Microsoft app registration says to people (English and Japanese), one named constant each."""

from __future__ import annotations

from ..i18n import Msg

# --- the steps, as a checklist ------------------------------------------------------------------

STEP_SIGN_IN = Msg(en="Sign in with {bootstrap}", ja="{bootstrap} でサインイン")
STEP_DIRECTORY = Msg(en="Read your directory (tenant, roles)", ja="ディレクトリ（テナント・ロール）の確認")
STEP_CREATE_APP = Msg(en="Create the app registration", ja="アプリの登録を作成")
STEP_SERVICE_PRINCIPAL = Msg(en="Make the app usable in the tenant (service principal)",
                             ja="テナントでアプリを使えるようにする（サービス プリンシパル）")
STEP_SECRET = Msg(en="Add a client secret (expires {expires})", ja="クライアント シークレットを追加（有効期限 {expires}）")
STEP_TENANT_CONSENT = Msg(en="Consent for the whole organisation", ja="組織全体への同意")
STEP_PROPAGATION = Msg(en="Wait until Microsoft knows the new app", ja="新しいアプリが Microsoft に反映されるのを待つ")
STEP_CONSENT = Msg(en="Sign in with the new app (consent)", ja="新しいアプリでサインイン（同意）")
STEP_TEST = Msg(en="Send a test message", ja="テストメールを送信")
STEP_RECORD = Msg(en="Write the setup record", ja="セットアップ記録を書き出し")

# --- results of the steps ---------------------------------------------------------------------

SIGNED_IN = Msg(en="Signed in as {user}.", ja="{user} としてサインインしました。")
DIRECTORY_READ = Msg(en="Tenant {tenant_name} ({tenant_id}); you are {role}.",
                     ja="テナント {tenant_name}（{tenant_id}）。あなたは{role}です。")
ROLE_ADMIN = Msg(en="an administrator ({roles})", ja="管理者（{roles}）")
ROLE_MEMBER = Msg(en="a member without an admin role", ja="管理者ロールのないメンバー")
APP_CREATED = Msg(en="\"{name}\": Application (client) ID {app_id}, object ID {object_id}; {platform} redirect {redirects}; "
                  "permissions {permissions}.",
                  ja="「{name}」: アプリケーション (クライアント) ID {app_id}、オブジェクト ID {object_id}。「{platform}」の"
                  "リダイレクト URI {redirects}。アクセス許可 {permissions}。")
PLATFORM_PUBLIC = Msg(en="Mobile and desktop", ja="モバイル アプリケーションとデスクトップ アプリケーション")
PLATFORM_WEB = Msg(en="Web", ja="Web")
SP_CREATED = Msg(en="Service principal {sp_id}.", ja="サービス プリンシパル {sp_id}。")
SP_EXISTED = Msg(en="Service principal {sp_id} (already there).", ja="サービス プリンシパル {sp_id}（作成済み）。")
SECRET_ADDED = Msg(en="Secret \"{name}\" added; it expires on {expires}. Its value goes only into the token INI.",
                   ja="シークレット「{name}」を追加しました。有効期限は {expires} です。値はトークン INI にだけ書き込みます。")
SECRET_NOT_SHOWN = Msg(en="The secret value is never shown; it is kept only in memory until written to the INI.",
                       ja="シークレットの値は表示しません。INI に書き込むまでメモリーにだけ保持します。")
GRANTED = Msg(en="Granted {scopes} for everyone in the organisation (admin consent).",
              ja="組織の全員に {scopes} を許可しました（管理者の同意）。")
GRANT_EXISTED = Msg(en="Consent for everyone was already granted.", ja="組織全体への同意はすでに与えられています。")
GRANT_SKIPPED = Msg(en="Skipped (--no-admin-consent): each person consents at sign-in.",
                    ja="スキップしました（--no-admin-consent）。各自がサインイン時に同意します。")
ADMIN_URL = Msg(
    en="You are not an administrator. If your organisation requires admin approval, send this address to an "
    "admin: {url}",
    ja="あなたは管理者ではありません。組織で管理者の承認が必要な場合は、次のアドレスを管理者に送ってください: {url}",
)
NO_USER_CONSENT = Msg(
    en="In this organisation people cannot consent to apps themselves: the sign-in with the new app will stop at "
    "\"Need admin approval\" until an admin opens the address above.",
    ja="この組織ではユーザーが自分でアプリに同意できません。管理者が上のアドレスを開くまで、新しいアプリでのサインインは"
    "「管理者の承認が必要」で止まります。",
)
VERIFIED_ONLY = Msg(
    en="This organisation lets people consent only to apps from verified publishers; the new app has none, so an "
    "admin must open the address above.",
    ja="この組織では、確認済み発行元のアプリにしかユーザーが同意できません。新しいアプリには確認済み発行元がないため、"
    "管理者が上のアドレスを開く必要があります。",
)
WAITING = Msg(en="Microsoft is still publishing the new app (AADSTS700016 right after creation is expected). "
              "{left} s left…",
              ja="新しいアプリがまだ Microsoft 全体に反映されていません（作成直後の AADSTS700016 は想定どおりです）。あと最大 {left} 秒待ちます…")
READY = Msg(en="The new app is known to sign-in (after {seconds} s).", ja="新しいアプリがサインインで使えるようになりました（{seconds} 秒後）。")
CONSENTED = Msg(en="Signed in as {email}; the token is saved in {ini} (mode 600).",
                ja="{email} としてサインインし、トークンを {ini} に保存しました（パーミッション 600）。")
TEST_SENT = Msg(en="Test message delivered to {to} through {via}.", ja="テストメールを {to} に送りました（経由: {via}）。")
RECORD_WRITTEN = Msg(en="Written: {paths}", ja="書き出しました: {paths}")
SKIPPED_NO_INI = Msg(en="Skipped (no --ini).", ja="スキップしました（--ini なし）。")
NOT_NEEDED = Msg(en="Not needed for a public client (no secret).", ja="パブリック クライアントには不要です（シークレットなし）。")

# --- problems ---------------------------------------------------------------------------------

NOT_ALLOWED = Msg(
    en="Your organisation does not let you register applications (Graph answered 403 Authorization_RequestDenied: "
    "\"Insufficient privileges to complete the operation.\").",
    ja="組織の設定により、あなたはアプリを登録できません（Graph の応答: 403 Authorization_RequestDenied "
    "\"Insufficient privileges to complete the operation.\"）。",
)
NOT_ALLOWED_HINT = Msg(
    en="An admin can switch on Entra admin center → Entra ID → Users → User settings → \"Users can register "
    "applications\", give you the Application Developer role, or run this command themselves. Or create the app "
    "by hand in the portal (notebook 02, \"create it yourself\") and run `oauthmail consent microsoft --client-id …`.",
    ja="管理者が Microsoft Entra 管理センター →「Entra ID」→「ユーザー」→「ユーザー設定」の「ユーザーはアプリケーションを登録できる」を"
    "オンにするか、あなたに「アプリケーション開発者」ロールを割り当てるか、管理者自身がこのコマンドを実行します。"
    "または、ポータルで手作業でアプリを作成し（ノートブック 02 の「自分で作成する」）、"
    "`oauthmail consent microsoft --client-id …` を実行してください。",
)
PERSONAL_ACCOUNT = Msg(
    en="{user} is a personal Microsoft account, which has no directory: Microsoft no longer lets personal accounts "
    "register applications.",
    ja="{user} は個人用 Microsoft アカウントで、ディレクトリがありません。Microsoft は個人用アカウントによるアプリの登録を"
    "廃止しました。",
)
PERSONAL_ACCOUNT_HINT = Msg(
    en="Sign in with a work or school account of a tenant (any tenant can register an app that accepts personal "
    "accounts: --accounts personal), or create the app by hand in a tenant's portal. Outlook.com mail can also be "
    "sent with Outlook.com's own app password-free clients (Outlook, Thunderbird).",
    ja="テナントの職場または学校アカウントでサインインしてください（どのテナントでも、個人用アカウントを受け付けるアプリを"
    "登録できます: --accounts personal）。または、テナントのポータルで手作業でアプリを作成してください。Outlook.com の"
    "メールは Outlook.com 自身のアプリ（Outlook、Thunderbird など）からも送れます。",
)
BOOTSTRAP_BLOCKED = Msg(
    en="Your organisation's sign-in policy blocked {bootstrap} ({err_code}: Conditional Access or security defaults).",
    ja="組織のサインイン ポリシーにより {bootstrap} が止められました（{err_code}: 条件付きアクセスまたはセキュリティの既定値群）。",
)
BOOTSTRAP_BLOCKED_HINT = Msg(
    en="If device sign-in was blocked, run again without --device-code (browser sign-in on this machine). Or give "
    "your organisation's own approved client with --bootstrap-client ID, or ask an admin to run the command, or "
    "create the app by hand in the portal.",
    ja="デバイス コードでのサインインが止められた場合は、--device-code なしで（このマシンのブラウザーで）やり直してください。"
    "または組織が許可したクライアントを --bootstrap-client ID で指定するか、管理者にコマンドを実行してもらうか、ポータルで"
    "手作業でアプリを作成してください。",
)
BOOTSTRAP_NEEDS_ADMIN = Msg(
    en="{bootstrap} needs an administrator's approval before it can create apps in this tenant ({err_code}).",
    ja="このテナントでアプリを作成するには、{bootstrap} に管理者の承認が必要です（{err_code}）。",
)
BOOTSTRAP_NEEDS_ADMIN_HINT = Msg(
    en="Ask an admin to consent to {bootstrap} once (or to run this command), or use the Azure CLI's client (the "
    "default, no --bootstrap-client), or create the app by hand in the portal.",
    ja="管理者に {bootstrap} への同意を一度だけ与えてもらう（またはこのコマンドを実行してもらう）か、Azure CLI の"
    "クライアント（既定、--bootstrap-client なし）を使うか、ポータルで手作業でアプリを作成してください。",
)
WRONG_TENANT = Msg(
    en="You signed in to tenant {tenant_name} ({domains}), but {email} belongs to another domain.",
    ja="サインイン先はテナント {tenant_name}（{domains}）ですが、{email} は別のドメインのアドレスです。",
)
WRONG_TENANT_HINT = Msg(
    en="Sign in with an account of the tenant that owns {email} (or give --tenant <its domain or ID>); an app "
    "created here would be in the wrong directory. To go on anyway, drop --email.",
    ja="{email} を持つテナントのアカウントでサインインしてください（または --tenant <そのドメインか ID> を指定）。"
    "このまま作ると、アプリが別のディレクトリにできてしまいます。それでも続けるなら --email を外してください。",
)
VERIFIED_PUBLISHER = Msg(
    en="This tenant lets people consent only to apps from verified publishers, so the new app needs an admin's "
    "consent ({err_code}).",
    ja="このテナントでは、確認済み発行元のアプリにしかユーザーが同意できないため、新しいアプリには管理者の同意が必要です（{err_code}）。",
)
VERIFIED_PUBLISHER_HINT = Msg(
    en="Send the admin-consent address to an admin ({url}); once they approve, run the consent again. An app used "
    "only inside your own tenant does not need a verified publisher if an admin consents.",
    ja="管理者の同意用アドレスを管理者に送ってください（{url}）。管理者が同意したら、同意の手順をやり直します。自分のテナント内だけで使う"
    "アプリは、管理者が同意すれば確認済み発行元は不要です。",
)
GRAPH_REFUSED = Msg(en="Microsoft Graph refused \"{step}\" (HTTP {status} {err_code}): {message}",
                    ja="Microsoft Graph が「{step}」を受け付けませんでした（HTTP {status} {err_code}）: {message}")
GRAPH_REFUSED_HINT = Msg(
    en="Run `oauthmail explain \"{err_code}\"`; the app may be half made: `oauthmail unregister microsoft --client-id "
    "{app_id}` removes it, or look at it in the Entra admin center → App registrations.",
    ja="`oauthmail explain \"{err_code}\"` で確認してください。アプリが作りかけの可能性があります。"
    "`oauthmail unregister microsoft --client-id {app_id}` で削除するか、Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」で確認してください。",
)
STILL_UNKNOWN = Msg(
    en="After {seconds} s Microsoft still does not know the new app {app_id} (AADSTS700016).",
    ja="{seconds} 秒待っても、新しいアプリ {app_id} が Microsoft に反映されていません（AADSTS700016）。",
)
STILL_UNKNOWN_HINT = Msg(
    en="It usually takes seconds to a minute. Wait a little and run `oauthmail consent microsoft --client-id {app_id} "
    "{where} --ini FILE` (the app is kept), or raise --wait.",
    ja="通常は数秒から 1 分ほどかかります。少し待ってから `oauthmail consent microsoft --client-id {app_id} {where} "
    "--ini ファイル` を実行してください（アプリは残してあります）。または --wait を長くしてください。",
)
WEB_NEEDS_INI = Msg(
    en="A web app's secret is shown only once, so the kit must write it straight into a token INI.",
    ja="Web アプリのシークレットは一度しか表示されないため、キットが直接トークン INI に書き込む必要があります。",
)
WEB_NEEDS_INI_HINT = Msg(en="Add --ini FILE (and --email ADDR), or use --client-type public (no secret).",
                         ja="--ini ファイル（と --email アドレス）を付けるか、--client-type public（シークレットなし）を使ってください。")
DEVICE_NEEDS_PUBLIC = Msg(
    en="--device-code signs in the new app on another device, which a web app (with a secret) cannot do.",
    ja="--device-code は別の端末で新しいアプリにサインインする方法で、シークレットを持つ Web アプリでは使えません。",
)
DEVICE_NEEDS_PUBLIC_HINT = Msg(en="Use --client-type public with --device-code, or --paste for a web app.",
                               ja="--device-code には --client-type public を使うか、Web アプリでは --paste を使ってください。")
SMTP_DISABLED = Msg(
    en="The app works and {email} signed in, but Exchange Online has SMTP AUTH (Authenticated SMTP) turned off for "
    "this mailbox ({err_code}). No Graph API can switch it on.",
    ja="アプリは動作し {email} のサインインも成功しましたが、Exchange Online でこのメールボックスの SMTP 認証"
    "（認証済み SMTP）がオフになっています（{err_code}）。これをオンにする Graph API はありません。",
)
SMTP_DISABLED_HINT = Msg(
    en="An Exchange admin opens Microsoft 365 admin center → Users → Active users → {email} → Mail → Manage email "
    "apps, ticks \"Authenticated SMTP\" and saves, or runs in Exchange Online PowerShell: "
    "Set-CASMailbox -Identity {email} -SmtpClientAuthenticationDisabled $false (it can take a while to apply). "
    "Or send through Microsoft Graph, which needs no admin: oauthmail consent microsoft --client-id {app_id} "
    "{where} --transport graph --ini {ini} --email {email}",
    ja="Exchange 管理者が Microsoft 365 管理センター →「ユーザー」→「アクティブなユーザー」→ {email} →「メール」→"
    "「メール アプリの管理」を開き、「認証済み SMTP」にチェックを入れて保存するか、Exchange Online PowerShell で "
    "Set-CASMailbox -Identity {email} -SmtpClientAuthenticationDisabled $false を実行します（反映まで時間がかかる"
    "ことがあります）。管理者が要らない方法として Microsoft Graph 経由でも送れます: oauthmail consent microsoft "
    "--client-id {app_id} {where} --transport graph --ini {ini} --email {email}",
)
APP_REMOVED = Msg(en="Removed the app registration {app_id} (\"{name}\"); its tokens stop working.",
                  ja="アプリの登録 {app_id}（「{name}」）を削除しました。このアプリのトークンは使えなくなります。")
APP_NOT_FOUND = Msg(en="There is no app registration with the client ID {app_id} in this tenant.",
                    ja="このテナントにはクライアント ID {app_id} のアプリの登録がありません。")
APP_NOT_FOUND_HINT = Msg(
    en="Check the client ID (Entra admin center → App registrations → All applications) and the tenant (--tenant / "
    "--authority); an app already removed is gone.",
    ja="クライアント ID（Microsoft Entra 管理センター →「Entra ID」→「アプリの登録」→「すべてのアプリケーション」）とテナント（--tenant／"
    "--authority）を確認してください。すでに削除したアプリは見つかりません。",
)
DONE_SUMMARY = Msg(
    en="Done: app \"{name}\" ({app_id}) in tenant {tenant}. Next: {next}",
    ja="完了: テナント {tenant} にアプリ「{name}」（{app_id}）を作成しました。次の手順: {next}",
)
NEXT_CONSENT = Msg(en="oauthmail consent microsoft --client-id {app_id} {where} --ini FILE",
                   ja="oauthmail consent microsoft --client-id {app_id} {where} --ini ファイル")
NEXT_SEND = Msg(en="oauthmail send --ini {ini} --to ADDR --subject S --body TEXT",
                ja="oauthmail send --ini {ini} --to 宛先 --subject 件名 --body 本文")
CANCELLED = Msg(en="Stopped before the end; what was made so far is listed above and in {registry}.",
                ja="途中で止めました。ここまでに作ったものは、上の表示と {registry} に記録してあります。")
