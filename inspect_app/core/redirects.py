"""The one rule for following a `next` parameter: a path on this site, or home.

Browsers drop tabs and line breaks inside URLs and read a backslash as a slash, so
`/\t/evil.com` and `/\\evil.com` lead off-site as `//evil.com` does; line breaks in a
`Location` header are refused by Werkzeug (a 500). Only a path that starts with a
single slash and holds no control character, whitespace other than a space, or
backslash is followed.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import redirect, url_for
from werkzeug.wrappers import Response

MAX_NEXT_LENGTH = 2000


def is_safe_path(target: str | None) -> bool:
    if not target or len(target) > MAX_NEXT_LENGTH:
        return False
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str | None = None) -> str:
    """`target` if it is a path on this site, else `default` (the home page)."""
    if is_safe_path(target):
        return target
    return default or url_for("core.home")


def redirect_next(target: str | None, default: str | None = None) -> Response:
    return redirect(safe_next(target, default))
