"""`shim tokens add|list|remove|encrypt|new-key`: the users' access tokens in the store
`shim serve` reads (SHIM_DB, or Redis with SHIM_REDIS_URL)."""

import argparse
import asyncio
import getpass
import re
import sys
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from functools import partial
from typing import Any

from cryptography.fernet import Fernet

from shim.config import ConfigError, Settings
from shim.errors import StoreUnavailable
from shim.stores.protocols import Tokens
from shim.stores.tokens import mask, open_tokens

# RFC 3986's unreserved characters: what X's tokens are made of (`12345-abc…`).
TOKEN = re.compile(r"[A-Za-z0-9._~-]{1,200}")


def add_commands(commands: Any) -> None:
    tokens = commands.add_parser("tokens", help="manage users' access tokens").add_subparsers(
        required=True, metavar="ACTION"
    )
    add = tokens.add_parser(
        "add",
        help="store a token and its secret",
        description="Store a token and its secret. The secret is never an argument (the process "
        "list and the shell's history would show it): it is taken from SHIM_TOKEN_SECRET when "
        "set, else asked for at a prompt on a terminal, else read from standard input "
        "(one line).",
    )
    add.add_argument("--token", required=True, help="the access token, e.g. 12345-abc…")
    add.add_argument("--secret", help=argparse.SUPPRESS)  # refused in so many words
    add.add_argument(
        "--replace", action="store_true", help="replace the secret of a token already stored"
    )
    add.set_defaults(run=tokens_add)
    tokens.add_parser("list", help="list stored tokens, masked").set_defaults(run=tokens_list)
    tokens.add_parser(
        "encrypt", help="encrypt secrets stored in clear with SHIM_SECRET_KEY"
    ).set_defaults(run=tokens_encrypt)
    tokens.add_parser("new-key", help="print a new key for SHIM_SECRET_KEY").set_defaults(
        run=tokens_new_key
    )
    remove = tokens.add_parser("remove", help="forget a token")
    remove.add_argument("--token", required=True, help="the access token to forget")
    remove.set_defaults(run=tokens_remove)


Command = Callable[[Tokens, argparse.Namespace], Awaitable[str]]


def _run(settings: Settings, args: argparse.Namespace, command: Command) -> int:
    """Run one command on the token store, as `shim routing` drives the route store: on one
    event loop, the store closed whatever happens (SQLite's file, or Redis's connection)."""
    print(asyncio.run(_on_store(settings, args, command)))
    return 0


async def _on_store(settings: Settings, args: argparse.Namespace, command: Command) -> str:
    try:
        async with aclosing(open_tokens(settings)) as store:
            return await command(store, args)
    except StoreUnavailable:
        raise ConfigError("the token store in Redis did not answer (SHIM_REDIS_URL)") from None


def tokens_add(settings: Settings, args: argparse.Namespace) -> int:
    if args.secret is not None:
        raise ConfigError(
            "--secret puts the secret in the process list and the shell's history: leave it out "
            "and type the secret at the prompt, pipe it on standard input, or set SHIM_TOKEN_SECRET"
        )
    if not TOKEN.fullmatch(args.token):
        raise ConfigError(
            f"{described(args.token)} is not an access token: one is letters, digits and "
            "-._~ only, at most 200 of them (e.g. 12345-abc…)"
        )
    return _run(settings, args, partial(_add, settings.token_secret))


async def _add(given: str | None, store: Tokens, args: argparse.Namespace) -> str:
    if await store.secret(args.token) is not None and not args.replace:
        raise ConfigError(
            f"{mask(args.token)} is stored already: add --replace to give it a new secret"
        )
    secret = given or (
        getpass.getpass("token secret: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    )
    if not secret:
        raise ConfigError("the token's secret is empty")
    await store.add(args.token, secret)
    return f"stored {mask(args.token)}"


def tokens_list(settings: Settings, args: argparse.Namespace) -> int:
    return _run(settings, args, partial(_list, settings.db_path))


async def _list(db_path: str, store: Tokens, args: argparse.Namespace) -> str:
    stored = await store.list()
    if not stored:
        return f"no tokens stored in {db_path}: add one with `shim tokens add --token …`"
    return "\n".join(
        f"{token.masked}\tadded {token.added_at}\t"
        f"secret {'encrypted' if token.encrypted else 'in clear'}"
        for token in stored
    )


def tokens_encrypt(settings: Settings, args: argparse.Namespace) -> int:
    return _run(settings, args, _encrypt)


async def _encrypt(store: Tokens, args: argparse.Namespace) -> str:
    return f"encrypted {await store.encrypt_all()} secrets"


def tokens_new_key(settings: Settings, args: argparse.Namespace) -> int:
    print(Fernet.generate_key().decode())
    return 0


def tokens_remove(settings: Settings, args: argparse.Namespace) -> int:
    return _run(settings, args, _remove)


async def _remove(store: Tokens, args: argparse.Namespace) -> str:
    if not await store.remove(args.token):
        raise ConfigError(
            f"no such token: {described(args.token)}; `shim tokens list` shows the stored ones"
        )
    return f"removed {mask(args.token)}"


def described(token: str) -> str:
    """A token as an error may name it: masked, and its length, so a typo can be told."""
    return f"{mask(token)} ({len(token)} characters)"
