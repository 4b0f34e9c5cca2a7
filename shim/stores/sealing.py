"""Token secrets sealed with SHIM_SECRET_KEY (Fernet: AES-128-CBC and HMAC-SHA256), or kept in
clear without one, alike in both token stores (`shim.stores.tokens`). A store sealed with a key
also holds a check value sealed with it, so a wrong key is refused when the store is opened
instead of failing one user at a time."""

from cryptography.fernet import Fernet, InvalidToken

from shim.config import ConfigError

CHECK = b"twitter-mute-shim key check"
NO_KEY = "this token store is encrypted: set SHIM_SECRET_KEY to its key"


class Sealer:
    """Seals and opens secrets with SHIM_SECRET_KEY, or keeps them in clear without one."""

    def __init__(self, key: str | None) -> None:
        self._fernet = _fernet(key)

    def check(self, stored: str | None) -> str | None:
        """Refuse a store its key does not open; the check value to store in a new one."""
        if stored is None:
            return None if self._fernet is None else self._fernet.encrypt(CHECK).decode()
        if self._fernet is None:
            raise ConfigError(NO_KEY)
        try:
            self._fernet.decrypt(stored.encode())
        except InvalidToken:
            raise ConfigError(
                "SHIM_SECRET_KEY is not the key this token store was encrypted with"
            ) from None
        return None

    def seal(self, secret: str) -> tuple[str, bool]:
        """The secret as stored, and whether it is encrypted."""
        if self._fernet is None:
            return secret, False
        return self._fernet.encrypt(secret.encode()).decode(), True

    def open(self, stored: str, encrypted: bool) -> str:
        if not encrypted:
            return stored
        if self._fernet is None:  # a check value in the store made this fail earlier
            raise ConfigError(NO_KEY)
        return self._fernet.decrypt(stored.encode()).decode()

    def require_key(self) -> None:
        if self._fernet is None:
            raise ConfigError("set SHIM_SECRET_KEY to the key to encrypt with")


def _fernet(key: str | None) -> Fernet | None:
    if not key:
        return None
    try:
        return Fernet(key.encode())
    except ValueError:
        raise ConfigError(
            "SHIM_SECRET_KEY must be a Fernet key (32 bytes, url-safe base64): "
            "make one with `shim tokens new-key`"
        ) from None
