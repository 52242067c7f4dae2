"""Personal data at rest: Fernet (AES-128-CBC + HMAC-SHA256) with a key from the environment, and masking."""
from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class PiiKeyMissing(RuntimeError):
    """The service stores personal data and no key was configured."""


class FieldCipher:
    """Encrypts single fields; several comma-separated keys allow rotation (the first one encrypts)."""

    def __init__(self, keys: str | None):
        if not keys:
            raise PiiKeyMissing("WANGGE_PII_KEY is not set; create one with "
                                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'")
        self._fernet = MultiFernet([Fernet(k.strip().encode()) for k in keys.split(",") if k.strip()])

    def encrypt(self, value: str | None) -> str | None:
        return None if value is None else self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str | None) -> str | None:
        if token is None:
            return None
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("a stored personal-data field cannot be decrypted with the configured keys") from exc


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
