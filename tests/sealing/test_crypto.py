"""The primitives of sealed data (libsodium through PyNaCl), as the services use them."""

from __future__ import annotations

import pytest

from inspect_app.sealing import crypto

PARAMS = crypto.kdf_params(1, 1024)


def test_a_wrapped_key_opens_only_with_its_private_key() -> None:
    data_key = crypto.new_data_key()
    alice, mallory = crypto.generate_key_pair(), crypto.generate_key_pair()
    wrapped = crypto.wrap(data_key, alice.public)
    assert crypto.unwrap(wrapped, alice.private) == data_key
    with pytest.raises(crypto.SealError):
        crypto.unwrap(wrapped, mallory.private)


def test_a_sealed_value_is_bound_to_its_label_and_key() -> None:
    key = crypto.new_data_key()
    token = crypto.encrypt_text(key, "Nguyễn Văn An".encode(), b"report-identity")
    assert "Nguy" not in token
    assert crypto.decrypt_text(key, token, b"report-identity").decode() == "Nguyễn Văn An"
    with pytest.raises(crypto.SealError):
        crypto.decrypt_text(key, token, b"photo-facts")  # passed off as another value
    with pytest.raises(crypto.SealError):
        crypto.decrypt_text(crypto.new_data_key(), token, b"report-identity")
    with pytest.raises(crypto.SealError):
        crypto.decrypt_text(key, "c2hvcnQ=", b"report-identity")  # too short, not a 500
    with pytest.raises(crypto.SealError):
        crypto.decrypt_text(key, "not base64 at all!", b"report-identity")


def test_a_locked_private_key_needs_its_password() -> None:
    pair = crypto.generate_key_pair()
    locked = crypto.lock_private_key(pair.private, "correct horse battery", PARAMS, b"k")
    assert pair.private not in locked.ciphertext
    assert crypto.unlock_private_key(locked, "correct horse battery", b"k") == pair.private
    with pytest.raises(crypto.SealError):
        crypto.unlock_private_key(locked, "correct horse batterY", b"k")


def test_a_recovery_key_survives_printing_and_catches_typos() -> None:
    pair = crypto.generate_key_pair()
    text = crypto.format_recovery_key(pair.private)
    assert text.startswith("RK1-") and len(text.split("-")) == 13
    typed = " ".join(text.lower().split("-"))  # spaces, lower case
    assert crypto.parse_recovery_key(typed) == pair.private
    misread = text[:4] + text[4:].replace("O", "0").replace("I", "1").replace("B", "8")
    assert crypto.parse_recovery_key(misread) == pair.private
    assert crypto.public_key_of(crypto.parse_recovery_key(text)) == pair.public
    body = text[4:]
    i = next(
        i for i in range(len(body) - 1) if "-" not in body[i : i + 2] and body[i] != body[i + 1]
    )
    swapped = "RK1-" + body[:i] + body[i + 1] + body[i] + body[i + 2 :]
    for mistyped in (swapped, text[:-1], "RK2-" + body, text + "A"):
        with pytest.raises(crypto.SealError):
            crypto.parse_recovery_key(mistyped)


def test_the_tracking_code_opens_the_reporters_copy() -> None:
    salt = crypto.new_salt()
    key = crypto.code_key("K7M29QXD4HTRB8NC", salt)
    assert key == crypto.code_key("K7M29QXD4HTRB8NC", salt)
    assert key != crypto.code_key("K7M29QXD4HTRB8ND", salt)
    assert key != crypto.code_key("K7M29QXD4HTRB8NC", crypto.new_salt())
