"""Reading what a person pastes back after the browser failed to reach the loopback address.

On a remote kernel the browser is sent to ``http://127.0.0.1:48888/callback?code=…&state=…`` on
the person's own computer; the page fails to load but the address bar holds the answer (provider-facts
fact 63). People paste the whole address, only its query, the address with quotes or spaces
around it, or just the code; each gives the query parameters, or a clean :class:`ConsentError`
saying what to copy (P10).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from ..errors import ConsentError
from ..i18n import Msg

PASTE_EMPTY = Msg(en="Nothing was pasted.", ja="何も貼り付けられていません。")
PASTE_NO_CODE = Msg(
    en="That doesn't look like the address from the final page (no code= in it).",
    ja="貼り付けた内容は最後のページのアドレスではないようです（code= が含まれていません）。",
)
PASTE_HINT = Msg(
    en="Copy the whole address bar after approving: it starts with {example}? and contains code= "
    "(the page itself may say 'This site can't be reached' — that is expected).",
    ja="許可したあとのアドレスバーの内容をすべてコピーしてください。{example}? で始まり、code= を含んでいます"
    "（ページに「このサイトにアクセスできません」と表示されますが、それで正常です）。",
)

#: Characters an authorization code is made of (Google ``4/0Ab…``, Entra ``0.AX…``, sandbox codes).
_CODE_RE = re.compile(r"^[A-Za-z0-9._~/+=%*!$-]{8,4096}$")
_QUOTES = "\"'`<>「」『』“”\u2018\u2019 \t\r\n\u3000"
_KEYS = ("code", "state", "error", "error_description", "error_uri", "error_subtype", "scope",
         "session_state", "authuser", "prompt", "hd", "iss", "client_info")


def parse_redirect(
    pasted: str | Mapping[str, object],
    *,
    example: str = "http://127.0.0.1:48888/callback",
) -> dict[str, str]:
    """The redirect's query parameters (``code``/``state`` or ``error``…) from whatever was pasted."""
    if isinstance(pasted, Mapping):
        params = {str(k): _first(v) for k, v in pasted.items()}
        return _checked(params, example)
    text = (pasted or "").strip(_QUOTES)
    if not text:
        raise ConsentError(PASTE_EMPTY, PASTE_HINT, code="paste_empty", example=example)
    if "\n" in text or "\r" in text:
        text = next((line.strip(_QUOTES) for line in text.splitlines() if "code=" in line or "error=" in line), text)
    query = ""
    if "://" in text or text.startswith(("/", "?", "localhost", "127.0.0.1")):
        if "://" in text:
            url = text
        elif text.startswith("?"):
            url = "http://x/" + text
        else:
            url = "http://" + text.lstrip("/")
        try:
            parts = urlsplit(url)
        except ValueError:
            raise ConsentError(PASTE_NO_CODE, PASTE_HINT, code="paste_no_code", example=example) from None
        query = parts.query or parts.fragment
    elif "=" in text and ("code=" in text or "error=" in text or "state=" in text):
        query = text.lstrip("?#&")
    elif _CODE_RE.match(text) and "=" not in text.rstrip("="):
        return {"code": text}
    else:
        raise ConsentError(PASTE_NO_CODE, PASTE_HINT, code="paste_no_code", example=example)
    parsed = parse_qs(query, keep_blank_values=False)
    params = {k: v[0] for k, v in parsed.items() if k in _KEYS and v}
    return _checked(params, example)


def _first(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def _checked(params: dict[str, str], example: str) -> dict[str, str]:
    """Keep only answers that carry a code or an error; a code must look like one."""
    if params.get("error"):
        return params
    code = params.get("code", "").strip()
    if not code or any(c.isspace() or ord(c) < 33 for c in code):
        raise ConsentError(PASTE_NO_CODE, PASTE_HINT, code="paste_no_code", example=example)
    params["code"] = code
    return params
