"""Text normalisation: NFC storage and accent-folded search keys."""

from __future__ import annotations

import unicodedata

_EXTRA_FOLDS = str.maketrans({"đ": "d", "Đ": "d"})


def normalize_text(value: str | None) -> str:
    """NFC-normalise and strip user text; `None` becomes an empty string."""
    if not value:
        return ""
    return unicodedata.normalize("NFC", value).strip()


def fold(value: str | None) -> str:
    """Accent-insensitive, case-insensitive search key: "Điện thoại" -> "dien thoai".

    Works for NFC and NFD input alike; đ/Đ are letters of their own in Unicode, not
    d with a mark, so they are mapped explicitly.
    """
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFD", value.translate(_EXTRA_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().translate(_EXTRA_FOLDS).split())
