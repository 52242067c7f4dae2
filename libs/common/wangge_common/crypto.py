"""Personal data at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key from the environment, and masking."""
from __future__ import annotations

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class PiiKeyMissing(RuntimeError):
    """The service stores personal data and no key was configured."""


class FieldCipher:
    """Encrypts single fields; several comma-separated keys allow rotation (the first one encrypts)."""

    def __init__(self, keys: str | None):
        if not keys:
            raise PiiKeyMissing("WANGGE_PII_KEY is not set; create one with "
                                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'")
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])
        # keyed hashes (to find a person's records by phone without storing it) use a key derived from the first
        self._lookup_key = hashlib.sha256(b"wangge-lookup:" + parts[0].encode()).digest()

    def encrypt(self, value: str | None) -> str | None:
        return None if value is None else self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("a stored personal-data field cannot be decrypted with the configured keys") from exc


    def lookup_hash(self, value: str | None) -> str | None:
        """HMAC-SHA256 of the value under a key derived from this cipher's: equal values hash alike, and without
        the key nobody can test a guess."""
        if not value:
            return None
        return hmac.new(self._lookup_key, value.encode(), hashlib.sha256).hexdigest()


class DataKey:
    """Crypto-shredding: a data key of its own for one person's (or household's) personal data, stored only
    wrapped (encrypted) under the service's key. Destroying the wrapped key makes everything encrypted under it
    unreadable, wherever a copy of the ciphertext went (a backup, a log)."""

    def __init__(self, raw: str):
        self.raw = raw
        self.cipher = FieldCipher(raw)

    @classmethod
    def new(cls) -> "DataKey":
        return cls(new_key())

    def wrap(self, master: FieldCipher) -> str:
        return master.encrypt(self.raw)

    @classmethod
    def unwrap(cls, wrapped: str, master: FieldCipher) -> "DataKey":
        return cls(master.decrypt(wrapped))


def new_key() -> str:
    return Fernet.generate_key().decode()


def mask_phone(phone: str | None) -> str | None:
    """138****1234."""
    if not phone:
        return None
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


def mask_id_number(number: str | None) -> str | None:
    """430382********1234."""
    if not number:
        return None
    return number[:6] + "*" * max(0, len(number) - 10) + number[-4:] if len(number) > 10 else "****"


def mask_name(name: str | None) -> str | None:
    """李*梅: the first character and, for long names, the last."""
    if not name:
        return None
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
