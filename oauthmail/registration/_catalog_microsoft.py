"""Catalog entries for creating the Microsoft app registration (``oauthmail register microsoft``).

Registered by :mod:`oauthmail._catalog` ahead of the general Entra entries: these are narrower (a Graph
directory code, or a sign-in error that names one of the bootstrap clients), so an AADSTS53003 that
names the Azure CLI gets the registration's fix while the same code for the person's own app keeps
the general one. Each pattern is a wording the services really send.
"""

from __future__ import annotations

from ..errors import ConfigError, ConsentError
from ..explain import Entry
from ..transports._catalog_api import _e

#: The bootstrap clients, as sign-in errors name them (id or display name).
_BOOTSTRAP = (r"(?:04b07795-8ddb-461a-bbee-02f9e1bf7b46|14d82eec-204b-4c2f-b7e8-296a70dab67e|Microsoft Azure CLI|"
              r"Microsoft Graph Command Line Tools|Microsoft Graph PowerShell)")
_MANUAL = (
    "Or create the app by hand in the portal (notebook 02, \"create it yourself\") and run `oauthmail consent "
    "microsoft --client-id …`.",
    "または、ポータルで手作業でアプリを作成し（ノートブック 02 の「自分で作成する」）、`oauthmail consent microsoft "
    "--client-id …` を実行してください。",
)
_USER_SETTINGS = (
    "Microsoft Entra admin center → Entra ID → Users → User settings → \"Users can register applications\"",
    "Microsoft Entra 管理センター →「Entra ID」→「ユーザー」→「ユーザー設定」→「ユーザーはアプリケーションを登録できる」",
)
_CONSENT_SETTINGS = (
    "Microsoft Entra admin center → Entra ID → Enterprise apps → Consent and permissions",
    "Microsoft Entra 管理センター →「Entra ID」→「エンタープライズ アプリ」→「同意とアクセス許可」",
)


REGISTRATION_ENTRIES: tuple[Entry, ...] = (
    _e(
        "graph-403-authorization-requestdenied", "Authorization_RequestDenied",
        (r"Authorization_RequestDenied", r"Insufficient privileges to complete the operation"),
        ConfigError,
        ("You are not allowed to register apps (or to make this change)",
         "アプリを登録する（またはこの変更をする）権限がありません"),
        ("Microsoft Graph answered 403 Authorization_RequestDenied: your account may not create app registrations in "
         "this tenant, or may not grant consent for everyone (that needs an admin role).",
         "Microsoft Graph が 403 Authorization_RequestDenied を返しました。このテナントではあなたのアカウントでアプリの"
         "登録を作成できないか、組織全体への同意を与えられません（管理者ロールが必要です）。"),
        (("An admin switched off \"Users can register applications\".",
          "管理者が「ユーザーはアプリケーションを登録できる」をオフにしている。"),
         ("The step needs an admin role (Cloud Application Administrator or higher), e.g. tenant-wide consent.",
          "その手順には管理者ロール（クラウド アプリケーション管理者以上）が必要（組織全体への同意など）。"),
         ("The token lacks a directory permission (signed in with a client that cannot manage apps).",
          "トークンにディレクトリの権限がない（アプリを管理できないクライアントでサインインした）。")),
        ("Ask an admin to switch \"Users can register applications\" on, to give you the Application Developer role, "
         "or to run `oauthmail register microsoft` themselves. " + _MANUAL[0],
         "管理者に「ユーザーはアプリケーションを登録できる」をオンにしてもらうか、「アプリケーション開発者」ロールを割り当てて"
         "もらうか、管理者自身に `oauthmail register microsoft` を実行してもらってください。" + _MANUAL[1]),
        _USER_SETTINGS,
    ),
    _e(
        "register-personal-account", "MsaDeprecateInfo",
        (r"MsaDeprecateInfo", r"ability to create applications outside of a directory has been deprecated"),
        ConfigError,
        ("A personal Microsoft account cannot register apps", "個人用 Microsoft アカウントではアプリを登録できません"),
        ("You signed in with a personal Microsoft account (outlook.com, hotmail.com, live.com). It has no directory, "
         "and Microsoft no longer lets such accounts register applications.",
         "個人用 Microsoft アカウント（outlook.com、hotmail.com、live.com）でサインインしました。このアカウントには"
         "ディレクトリがなく、Microsoft はこうしたアカウントによるアプリの登録を廃止しました。"),
        (("The browser was already signed in with the personal account.", "ブラウザーが個人用アカウントでサインイン済みだった。"),),
        ("Sign in with a work or school account of a tenant (an app there can still accept personal accounts: "
         "--accounts personal), or use a tenant's portal by hand. To send from Outlook.com without a tenant, use "
         "Outlook.com's own apps.",
         "テナントの職場または学校アカウントでサインインしてください（そのアプリでも個人用アカウントを受け付けられます: "
         "--accounts personal）。または、テナントのポータルで手作業で作成してください。テナントなしで Outlook.com から"
         "送るには Outlook.com 自身のアプリを使います。"),
        ("https://aka.ms/MsaDeprecateInfo (Microsoft's notice)", "https://aka.ms/MsaDeprecateInfo（Microsoft の告知）"),
    ),
    _e(
        "register-bootstrap-blocked", "AADSTS53003",
        (rf"AADSTS(?:53003|530035|53000|50097)\b.*{_BOOTSTRAP}", rf"{_BOOTSTRAP}.*AADSTS(?:53003|530035|53000|50097)\b",
         r"blocked by Conditional Access.*device code", r"device code flow (?:is )?blocked"),
        ConsentError,
        ("Your organisation blocks the client the kit signs in with", "キットがサインインに使うクライアントを組織が止めています"),
        ("A Conditional Access policy or security defaults blocked the sign-in with the Azure CLI / Microsoft Graph "
         "Command Line Tools client, or blocked device-code sign-in (AADSTS53003 / 530035).",
         "条件付きアクセスのポリシーまたはセキュリティの既定値群が、Azure CLI／Microsoft Graph Command Line Tools の"
         "クライアントでのサインイン、またはデバイス コードでのサインインを止めました（AADSTS53003／530035）。"),
        (("Device-code sign-in is blocked (Microsoft recommends it).", "デバイス コードでのサインインが禁止されている（Microsoft の推奨設定）。"),
         ("Only compliant or managed devices may sign in to admin tools.", "管理ツールには準拠済み・管理対象のデバイスからしかサインインできない。")),
        ("Run again without --device-code (browser sign-in on this machine), give your organisation's approved client "
         "with --bootstrap-client ID, or ask an admin to run the command. " + _MANUAL[0],
         "--device-code なしで（このマシンのブラウザーで）やり直すか、組織が許可したクライアントを --bootstrap-client ID で"
         "指定するか、管理者にコマンドを実行してもらってください。" + _MANUAL[1]),
        ("Microsoft Entra admin center → Entra ID → Monitoring & health → Sign-in logs (the policy that applied)",
         "Microsoft Entra 管理センター →「Entra ID」→「監視と正常性」→「サインイン ログ」（適用されたポリシー）"),
    ),
    _e(
        "register-bootstrap-needs-admin", "AADSTS65001",
        (rf"AADSTS(?:65001|90094|90095)\b.*{_BOOTSTRAP}", rf"{_BOOTSTRAP}.*(?:AADSTS(?:65001|90094|90095)\b|"
                                                         r"Need admin approval)", r"AADSTS65002\b"),
        ConsentError,
        ("The sign-in client needs an admin's approval first", "サインインに使うクライアントに、先に管理者の承認が必要です"),
        ("Microsoft Graph Command Line Tools (or your --bootstrap-client) has not been allowed to manage app "
         "registrations in this tenant (AADSTS65001 / 90094), or the Azure CLI was asked for named Graph "
         "permissions it cannot request (AADSTS65002).",
         "Microsoft Graph Command Line Tools（または --bootstrap-client のクライアント）は、このテナントでアプリの登録を"
         "管理することをまだ許されていません（AADSTS65001／90094）。または Azure CLI に、要求できない個別の Graph "
         "アクセス許可を求めました（AADSTS65002）。"),
        (("Application.ReadWrite.All needs an admin's consent.", "Application.ReadWrite.All には管理者の同意が必要。"),),
        ("Use the default bootstrap client (the Azure CLI's: drop --bootstrap-client), or ask an admin to consent to "
         "the client once, or to run the command themselves. " + _MANUAL[0],
         "既定のクライアント（Azure CLI: --bootstrap-client を外す）を使うか、管理者に一度だけそのクライアントへの同意を"
         "与えてもらうか、管理者自身にコマンドを実行してもらってください。" + _MANUAL[1]),
        _CONSENT_SETTINGS,
    ),
    _e(
        "register-verified-publisher", "AADSTS90094",
        (r"verified publisher", r"publisher (?:is )?not verified", r"unverified publisher",
         r"microsoft-user-default-low"),
        ConsentError,
        ("Only apps from verified publishers may be consented to here", "ここでは確認済み発行元のアプリにしか同意できません"),
        ("The tenant lets people consent only to apps from verified publishers; an app the kit just created has no "
         "verified publisher, so an admin must consent to it.",
         "このテナントでは、確認済み発行元のアプリにしかユーザーが同意できません。キットが作成したばかりのアプリには"
         "確認済み発行元がないため、管理者の同意が必要です。"),
        (("User consent is limited to verified publishers (the recommended setting).",
          "ユーザーの同意が確認済み発行元に限られている（推奨設定）。"),),
        ("Send an admin the admin-consent address the kit printed (…/adminconsent?client_id=…); once they approve, "
         "run the consent step again. Publisher verification is not needed for an app used only in your own tenant.",
         "キットが表示した管理者の同意用アドレス（…/adminconsent?client_id=…）を管理者に送ってください。管理者が同意したら"
         "同意の手順をやり直します。自分のテナント内だけで使うアプリには発行元の確認は不要です。"),
        _CONSENT_SETTINGS,
    ),
    _e(
        "register-wrong-tenant", "AADSTS50020",
        (r"AADSTS50020\b", r"AADSTS90072\b", r"does not exist in tenant '[^']*' and cannot access the application",
         r"signed in to tenant .* but .* belongs to another domain"),
        ConsentError,
        ("Signed in to the wrong tenant", "別のテナントにサインインしました"),
        ("The account you signed in with belongs to another tenant than the one asked for (AADSTS50020 / 90072), or "
         "the tenant you reached does not own the mailbox's domain.",
         "サインインしたアカウントは、指定したテナントとは別のテナントのものです（AADSTS50020／90072）。または、サインイン先の"
         "テナントがメールボックスのドメインを所有していません。"),
        (("The browser was already signed in with another account.", "ブラウザーが別のアカウントでサインイン済みだった。"),
         ("--tenant or --authority names another tenant.", "--tenant または --authority が別のテナントを指している。")),
        ("Sign out in the browser (or use a private window), then sign in with an account of the tenant that owns the "
         "mailbox; give --tenant <its domain or tenant ID>.",
         "ブラウザーでサインアウトして（またはプライベート ウィンドウを使って）、メールボックスを所有するテナントのアカウントでサインインし直してください。--tenant <そのドメインかテナント ID> を指定します。"),
        ("Microsoft Entra admin center → Overview (tenant ID and primary domain)",
         "Microsoft Entra 管理センター →「概要」（テナント ID とプライマリ ドメイン）"),
    ),
)

#: Real wordings each entry must recognise (tests/test_explain.py checks two or more per entry).
REGISTRATION_SAMPLES: dict[str, list[str]] = {
    "graph-403-authorization-requestdenied": [
        '{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."'
        ',"innerError":{"date":"2026-12-01T10:00:00"}}}',
        "HTTP 403 Authorization_RequestDenied Insufficient privileges to complete the operation.",
    ],
    "register-personal-account": [
        '{"error":{"code":"Request_BadRequest","message":"The ability to create applications outside of a directory has '
        'been deprecated. You may get a new directory by joining the M365 Developer Program or signing up for Azure. See '
        'https://aka.ms/MsaDeprecateInfo for more information."}}',
        "The ability to create applications outside of a directory has been deprecated.",
    ],
    "register-bootstrap-blocked": [
        "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token "
        "issuance. (client 04b07795-8ddb-461a-bbee-02f9e1bf7b46)",
        "Microsoft Azure CLI: AADSTS530035: Access has been blocked by security defaults.",
    ],
    "register-bootstrap-needs-admin": [
        "AADSTS65001: The user or administrator has not consented to use the application with ID "
        "'14d82eec-204b-4c2f-b7e8-296a70dab67e' named 'Microsoft Graph Command Line Tools'. Send an interactive "
        "authorization request for this user and resource.",
        "AADSTS65002: Consent between first party application '04b07795-8ddb-461a-bbee-02f9e1bf7b46' and first party "
        "resource '00000003-0000-0000-c000-000000000000' must be configured via preauthorization",
    ],
    "register-verified-publisher": [
        "User consent is limited to apps from a verified publisher "
        "(ManagePermissionGrantsForSelf.microsoft-user-default-low)",
        "Need admin approval: the app's publisher is not verified.",
    ],
    "register-wrong-tenant": [
        "AADSTS50020: User account 'bob@fabrikam.com' from identity provider 'https://sts.windows.net/x/' does not "
        "exist in tenant 'Contoso' and cannot access the application '0000'(app) in that tenant.",
        "AADSTS90072: User account 'bob@fabrikam.com' from identity provider 'live.com' does not exist in tenant "
        "'Contoso' and cannot access the application 'x'(y) in that tenant.",
    ],
}

__all__ = ["REGISTRATION_ENTRIES", "REGISTRATION_SAMPLES"]
