"""Extraction markers for text translated later, where it is used.

`N_("…")` and `Nn_("…", "…")` return their arguments unchanged; `make messages`
extracts them so the catalogs hold their translations.
"""

from __future__ import annotations


def N_(message: str) -> str:
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    return singular, plural
