"""Settings from SHIM_* environment variables: the only place that reads the environment."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and what to do."""


DEFAULT_DB = "./shim.db"
DEFAULT_UPSTREAM = "https://api.x.com"
DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class Settings:
    """How the shim runs. Secrets are left out of `repr` so they never reach a log."""

    consumer_key: str = ""
    consumer_secret: str = field(default="", repr=False)
    db_path: str = DEFAULT_DB
    access_token: str | None = None
    access_token_secret: str | None = field(default=None, repr=False)
    public_url: str | None = None
    upstream_url: str = DEFAULT_UPSTREAM
    upstream_timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        """Read SHIM_* variables; unset ones keep their defaults."""
        token, token_secret = env.get("SHIM_ACCESS_TOKEN"), env.get("SHIM_ACCESS_TOKEN_SECRET")
        if bool(token) != bool(token_secret):
            raise ConfigError("set both SHIM_ACCESS_TOKEN and SHIM_ACCESS_TOKEN_SECRET, or neither")
        return cls(
            consumer_key=env.get("SHIM_CONSUMER_KEY", ""),
            consumer_secret=env.get("SHIM_CONSUMER_SECRET", ""),
            db_path=env.get("SHIM_DB", DEFAULT_DB),
            access_token=token or None,
            access_token_secret=token_secret or None,
            public_url=env.get("SHIM_PUBLIC_URL") or None,
            upstream_url=env.get("SHIM_UPSTREAM_URL", DEFAULT_UPSTREAM).rstrip("/"),
            upstream_timeout=_seconds(env.get("SHIM_UPSTREAM_TIMEOUT"), DEFAULT_TIMEOUT),
        )

    def require_app(self) -> None:
        """Fail unless the app's consumer key and secret are set: nothing verifies without them."""
        if not self.consumer_key or not self.consumer_secret:
            raise ConfigError(
                "set SHIM_CONSUMER_KEY and SHIM_CONSUMER_SECRET to your X app's API key and secret"
            )


def _seconds(value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise ConfigError(
            f"SHIM_UPSTREAM_TIMEOUT must be a number of seconds, not {value!r}"
        ) from None
    if not 0 < seconds <= 300:
        raise ConfigError("SHIM_UPSTREAM_TIMEOUT must be between 0 and 300 seconds")
    return seconds
