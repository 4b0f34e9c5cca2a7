"""What each `shim serve --workers N` process imports (uvicorn starts workers from import
strings): the settings from the environment the parent checked and handed down, the bounded
protocol and the app. Every worker shares the state that must be shared: Redis with
SHIM_REDIS_URL, else the SQLite file in WAL mode (nonces, cursors, sign-in's request tokens,
the all-v1 switch, stored routes, comparison records)."""

from starlette.applications import Starlette

from shim.config import Settings
from shim.edge import server
from shim.serving.app import create_app

settings = Settings.from_env()
Protocol = server.protocol(settings)


def app() -> Starlette:
    server.lean_tls()
    return create_app(settings)
