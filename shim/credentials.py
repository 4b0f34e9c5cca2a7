"""The users' access tokens and secrets, in an embedded SQLite file (SHIM_DB).

The file holds secrets, so it is created readable by its owner only, and nothing here ever
prints or logs a secret.
"""

import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    added_at TEXT NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class StoredToken:
    """A token as `tokens list` shows it: masked, with no secret."""

    masked: str
    added_at: str


def mask(token: str) -> str:
    """Enough of a token to tell it apart, not enough to use it."""
    user, dash, rest = token.partition("-")
    if dash and user.isdigit():
        return f"{user}-{rest[:3]}…{rest[-3:]}" if len(rest) > 8 else f"{user}-…"
    return f"{token[:3]}…{token[-3:]}" if len(token) > 8 else "…"


def connect(path: str) -> sqlite3.Connection:
    """The shim's SQLite file, created readable by its owner only, in autocommit mode."""
    if path != ":memory:" and not os.path.exists(path):
        # Create the file owner-only before SQLite writes any secret into it.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    # Used from the event loop's thread or a CLI command only.
    return sqlite3.connect(path, check_same_thread=False, isolation_level=None)


class TokenStore:
    """Access-token secrets by token, in one SQLite file."""

    def __init__(self, path: str) -> None:
        self._db = connect(path)
        self._db.execute(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def add(self, token: str, secret: str) -> None:
        """Store a token's secret, replacing any earlier one."""
        added_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._db.execute(
            "INSERT OR REPLACE INTO tokens (token, secret, added_at) VALUES (?, ?, ?)",
            (token, secret, added_at),
        )

    def secret(self, token: str) -> str | None:
        """The secret of a stored token, or None."""
        row = self._db.execute("SELECT secret FROM tokens WHERE token = ?", (token,)).fetchone()
        return row[0] if row else None

    def remove(self, token: str) -> bool:
        """Forget a token; False when it was not stored."""
        return self._db.execute("DELETE FROM tokens WHERE token = ?", (token,)).rowcount > 0

    def list(self) -> list[StoredToken]:
        """Every stored token, masked, oldest first."""
        rows = self._db.execute("SELECT token, added_at FROM tokens ORDER BY added_at, token")
        return [StoredToken(mask(token), added_at) for token, added_at in rows]
