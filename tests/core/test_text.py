"""Accent folding for search: NFC and NFD input, đ/Đ."""

import unicodedata

from inspect_app.text import fold, normalize_text


def test_fold_removes_vietnamese_accents_and_case():
    assert fold("Hàng giả") == "hang gia"
    assert fold("Điện thoại") == "dien thoai"
    assert fold("  ĐỒNG   hồ ") == "dong ho"


def test_fold_handles_nfd_input():
    nfd = unicodedata.normalize("NFD", "Đường Nguyễn Trãi")
    assert fold(nfd) == "duong nguyen trai"


def test_normalize_text_stores_nfc():
    nfd = unicodedata.normalize("NFD", "Hà Nội")
    assert normalize_text(nfd) == unicodedata.normalize("NFC", "Hà Nội")
    assert normalize_text(None) == ""
