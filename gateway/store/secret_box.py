"""Secrets at rest (provider API keys, later OAuth tokens): Fernet under `ENCRYPTION_KEY`.

`ENCRYPTION_KEY` holds one or more Fernet keys, comma-separated, newest first: the first
encrypts, any of them decrypts, so a key is rotated by putting the new one first, running
`llm-gateway rotate-key` (every stored secret re-encrypted with it), then dropping the old
one. A key that decrypts nothing stored is refused at start, before anything is written.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["ENCRYPTION_KEY_ENV", "EncryptionKeyError", "SecretBox"]

ENCRYPTION_KEY_ENV = "ENCRYPTION_KEY"
HOW_TO = (
    "set ENCRYPTION_KEY to a Fernet key, made with: "
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class EncryptionKeyError(Exception):
    """ENCRYPTION_KEY is missing, malformed, or does not open what is stored; the message says
    what to do and never shows a key."""


class SecretBox:
    __slots__ = ("_fernet", "count")

    def __init__(self, keys: Sequence[str]) -> None:
        fernets = []
        for position, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key.strip().encode()))
            except (ValueError, TypeError):
                raise EncryptionKeyError(
                    f"ENCRYPTION_KEY: key {position} of {len(keys)} is not a Fernet key (32 url-safe "
                    f"base64-encoded bytes); {HOW_TO}"
                ) from None
        if not fernets:
            raise EncryptionKeyError(f"ENCRYPTION_KEY is empty; {HOW_TO}")
        self._fernet = MultiFernet(fernets)
        self.count = len(fernets)

    @classmethod
    def from_value(cls, value: str | None) -> SecretBox | None:
        """The box for an ENCRYPTION_KEY value; None when it is unset or blank."""
        if value is None or not value.strip():
            return None
        return cls([part for part in value.split(",") if part.strip()])

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except (InvalidToken, UnicodeDecodeError):
            raise EncryptionKeyError(
                "A stored secret cannot be decrypted with ENCRYPTION_KEY: it was encrypted with another key. "
                "Put the key it was stored with in ENCRYPTION_KEY (after the new one, to rotate)."
            ) from None

    def rotate(self, token: str) -> str:
        """`token` re-encrypted with the first key (decrypted with whichever key opens it)."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise EncryptionKeyError(
                "A stored secret cannot be decrypted with any key in ENCRYPTION_KEY; nothing was rewritten."
            ) from None
