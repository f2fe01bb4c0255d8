"""The cryptography of sealed data, in one place, on libsodium (PyNaCl).

- A *data key* (32 random bytes) encrypts sealed values with XChaCha20-Poly1305
  (`nacl.secret.Aead`); a label bound as associated data says what the value is, so
  a ciphertext cannot be passed off as another kind of value.
- A data key is *wrapped* to a public key with a sealed box (X25519 with an
  ephemeral sender key, XSalsa20-Poly1305): only the holder of the private key can
  unwrap it, and the server that wrapped it cannot.
- An officer's private key is *locked* under a key derived from their password with
  Argon2id; the server stores only the locked form.
- The office recovery key is a key pair whose private half is printed once, as
  text with a checksum, and kept offline.
- A reporter's copy of a data key is locked under a key derived from the tracking
  code (80 random bits, so a keyed BLAKE2b is enough and no slow hash is needed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass

import nacl.exceptions
import nacl.hash
import nacl.pwhash
import nacl.utils
from nacl.encoding import RawEncoder
from nacl.public import PrivateKey, PublicKey, SealedBox
from nacl.secret import Aead

KEY_SIZE = Aead.KEY_SIZE
SALT_SIZE = nacl.pwhash.argon2id.SALTBYTES
RECOVERY_PREFIX = "RK1"
_CODE_PERSON = b"inspect-reporter"  # BLAKE2b personalisation: 16 bytes
_BEARER_PERSON = b"inspect-bearer"  # for keys derived from browser-held tokens
_CHECKSUM_SIZE = 4
_MISREAD = str.maketrans("018", "OIB")


class SealError(ValueError):
    """A sealed value cannot be opened with the key given (wrong key or tampered)."""


@dataclass(frozen=True)
class KeyPair:
    public: bytes
    private: bytes


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: operations and memory in bytes."""

    opslimit: int
    memlimit: int


@dataclass(frozen=True)
class LockedKey:
    """A private key encrypted under a password-derived key, with what derives it."""

    salt: bytes
    ciphertext: bytes
    params: KdfParams


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise SealError("malformed sealed value") from exc


def new_data_key() -> bytes:
    return nacl.utils.random(KEY_SIZE)


def encrypt(key: bytes, plaintext: bytes, label: bytes) -> bytes:
    """Encrypt under a data key; the label is authenticated with it."""
    return bytes(Aead(key).encrypt(plaintext, label))


def decrypt(key: bytes, ciphertext: bytes, label: bytes) -> bytes:
    try:
        return bytes(Aead(key).decrypt(ciphertext, label))
    except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
        # ValueError: cffi refuses a ciphertext shorter than its nonce and tag.
        raise SealError("cannot open a sealed value") from exc


def encrypt_text(key: bytes, plaintext: bytes, label: bytes) -> str:
    """`encrypt`, as text for a database column."""
    return b64(encrypt(key, plaintext, label))


def decrypt_text(key: bytes, token: str, label: bytes) -> bytes:
    return decrypt(key, unb64(token), label)


def generate_key_pair() -> KeyPair:
    private = PrivateKey.generate()
    return KeyPair(public=bytes(private.public_key), private=bytes(private))


def public_key_of(private: bytes) -> bytes:
    return bytes(PrivateKey(private).public_key)


def wrap(data_key: bytes, public: bytes) -> str:
    """The data key sealed to a public key (text for a database column)."""
    return b64(SealedBox(PublicKey(public)).encrypt(data_key))


def unwrap(wrapped: str, private: bytes) -> bytes:
    try:
        return bytes(SealedBox(PrivateKey(private)).decrypt(unb64(wrapped)))
    except (nacl.exceptions.CryptoError, nacl.exceptions.TypeError) as exc:
        raise SealError("this key was not wrapped to that private key") from exc


def _password_key(password: str, salt: bytes, params: KdfParams) -> bytes:
    return nacl.pwhash.argon2id.kdf(
        KEY_SIZE,
        password.encode("utf-8"),
        salt,
        opslimit=params.opslimit,
        memlimit=params.memlimit,
    )


def lock_private_key(private: bytes, password: str, params: KdfParams, label: bytes) -> LockedKey:
    salt = nacl.utils.random(SALT_SIZE)
    return LockedKey(salt, encrypt(_password_key(password, salt, params), private, label), params)


def unlock_private_key(locked: LockedKey, password: str, label: bytes) -> bytes:
    """The private key; SealError when the password is not the one it was locked with."""
    return decrypt(_password_key(password, locked.salt, locked.params), locked.ciphertext, label)


def kdf_params(time_cost: int, memory_kib: int) -> KdfParams:
    """Argon2id cost from the password-hashing settings, within libsodium's bounds."""
    argon = nacl.pwhash.argon2id
    return KdfParams(
        opslimit=max(time_cost, argon.OPSLIMIT_MIN),
        memlimit=max(memory_kib * 1024, argon.MEMLIMIT_MIN),
    )


def code_key(canonical_code: str, salt: bytes) -> bytes:
    """The key a tracking code opens (the code has 80 random bits)."""
    return nacl.hash.blake2b(
        canonical_code.encode("ascii"),
        digest_size=KEY_SIZE,
        salt=salt,
        person=_CODE_PERSON,
        encoder=RawEncoder,
    )


def bearer_key(token: str) -> bytes:
    """The key a browser-held random token (≥ 256 bits) opens: a staged photo's
    secrets, a submission receipt. The server keeps only `bearer_hash(token)`."""
    return nacl.hash.blake2b(
        token.encode("ascii"), digest_size=KEY_SIZE, person=_BEARER_PERSON, encoder=RawEncoder
    )


def bearer_hash(token: str) -> str:
    """What the server stores to find a token's row (unrelated to `bearer_key`)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_bearer_token() -> str:
    return secrets.token_urlsafe(32)


def new_salt() -> bytes:
    return nacl.utils.random(nacl.hash.BLAKE2B_SALTBYTES)


def fingerprint(public: bytes) -> str:
    """A short, readable name of a public key: `AB12-CD34-EF56-7890`."""
    digest = hashlib.sha256(public).hexdigest()[:16].upper()
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def format_recovery_key(private: bytes) -> str:
    """Printable text of a recovery private key: prefix, base32 groups, checksum."""
    checksum = hashlib.sha256(private).digest()[:_CHECKSUM_SIZE]
    text = base64.b32encode(private + checksum).decode("ascii").rstrip("=")
    groups = [text[i : i + 5] for i in range(0, len(text), 5)]
    return "-".join([RECOVERY_PREFIX, *groups])


def parse_recovery_key(text: str) -> bytes:
    """The private key in a typed recovery key; SealError on a typo (checksum)."""
    cleaned = "".join(text.split()).replace("-", "").upper()
    if not cleaned.startswith(RECOVERY_PREFIX):
        raise SealError("not a recovery key (it starts with RK1-)")
    # Base32 has no 0, 1 or 8: read them as the letters they are taken for on paper.
    body = cleaned[len(RECOVERY_PREFIX) :].translate(_MISREAD)
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError) as exc:
        raise SealError("the recovery key has characters that do not belong in it") from exc
    private, checksum = raw[:-_CHECKSUM_SIZE], raw[-_CHECKSUM_SIZE:]
    if len(private) != KEY_SIZE or hashlib.sha256(private).digest()[:_CHECKSUM_SIZE] != checksum:
        raise SealError("the recovery key is mistyped (its checksum does not match)")
    return private
