"""The `shim` command: run the proxy and look after its set-up (every command is listed by
`shim --help`, built from the parsers below)."""

import argparse
import asyncio
import json
import logging
import os
import ssl
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx2

from shim import __version__
from shim.config import GRACE, ConfigError, Settings
from shim.edge import logs, processes, server
from shim.operator import (
    certs,
    report_commands,
    routing_commands,
    sandbox_commands,
    token_commands,
)
from shim.operator.check import Verdict, offline
from shim.operator.online_check import online
from shim.operator.parsing import Parser, described
from shim.serving.app import create_app
from shim.serving.recording import check_cassette
from shim.stores.connections import where

DEV_CERTS = "certs"
ROUTING_FILE = "the routing file (TOML) (default: SHIM_CONFIG, else none: every endpoint on v2)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run a `shim` subcommand; the return value is the exit status."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as done:  # --help, or a mistyped command already told
        return int(done.code or 0)
    try:
        settings = Settings.from_env()
        if settings.redis_url:
            where(settings.redis_url)  # its form, before a command opens it (or a check lists it)
        return int(args.run(settings, args))
    except ConfigError as error:
        print(f"shim: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C at a prompt: the operator's choice, not a failure
        print("shim: interrupted", file=sys.stderr)
        return 130  # as a shell reports a command ended by SIGINT


def port(value: str) -> int:
    number = int(value) if value.isdigit() else 0
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, not {value!r}")
    return number


def workers(value: str) -> int:
    number = int(value) if value.isdigit() else 0
    if not 1 <= number <= 64:
        raise argparse.ArgumentTypeError(f"workers is a number from 1 to 64, not {value!r}")
    return number


def parser() -> argparse.ArgumentParser:
    top = Parser(prog="shim", usage="%(prog)s [-h] [--version] COMMAND ...")
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # The commands are listed by `described`, nested ones too, one line each.
    commands = top.add_subparsers(
        required=True, metavar="COMMAND", help=argparse.SUPPRESS, prog="shim"
    )

    serve_cmd = commands.add_parser("serve", help="run the proxy")
    serve_cmd.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    serve_cmd.add_argument("--port", type=port, default=8080, help="the port to listen on")
    serve_cmd.add_argument(
        "--ssl-certfile",
        help="serve TLS with this certificate (PEM) (default: none: plain HTTP unless --dev-tls)",
    )
    serve_cmd.add_argument(
        "--ssl-keyfile", help="the certificate's private key (PEM), with --ssl-certfile"
    )
    serve_cmd.add_argument(
        "--dev-tls",
        action="store_true",
        help="serve TLS with a certificate for localhost made (or kept) in certs/; clients "
        "trust certs/ca.pem",
    )
    serve_cmd.add_argument(
        "--record",
        metavar="CASSETTE",
        help="record upstream traffic, scrubbed, into a cassette (default: none: not recorded)",
    )
    serve_cmd.add_argument("--config", help=ROUTING_FILE)
    serve_cmd.add_argument(
        "--sandbox",
        action="store_true",
        help="in front of a simulated X, with fake keys and tokens it prints: no X account needed",
    )
    serve_cmd.add_argument(
        "--workers",
        type=workers,
        default=1,
        help="processes serving the same port, one per core (state shared in SHIM_DB or Redis)",
    )
    serve_cmd.set_defaults(run=serve)

    check_cmd = commands.add_parser(
        "check", help="check the configuration, the app, each token and what the tier allows"
    )
    check_cmd.add_argument("--json", action="store_true", help="print JSON, for machines")
    check_cmd.add_argument(
        "--offline", action="store_true", help="check local settings and files only"
    )
    check_cmd.add_argument("--config", help=ROUTING_FILE)
    check_cmd.set_defaults(run=check)

    routing_commands.add_commands(commands)

    report_commands.add_commands(commands)

    certs_cmd = commands.add_parser(
        "certs", help="make a local CA and a server certificate, for host redirection"
    )
    certs_cmd.add_argument(
        "--names",
        default="localhost,127.0.0.1",
        help="host names and addresses clients connect to, comma-separated "
        "(e.g. api.twitter.com,upload.twitter.com for clients that upload media; "
        "default: %(default)s)",
    )
    certs_cmd.add_argument(
        "--out", default=DEV_CERTS, help="the folder to write them in, made if missing"
    )
    certs_cmd.set_defaults(run=make_certs)

    stats_cmd = commands.add_parser("stats", help="cache hits and misses of a running shim")
    stats_cmd.add_argument("--url", default="http://127.0.0.1:8080", help="where the shim serves")
    stats_cmd.add_argument(
        "--cacert",
        help="the CA that signed the shim's certificate, e.g. certs/ca.pem from shim certs "
        "(default: none: the system's trusted CAs)",
    )
    stats_cmd.set_defaults(run=stats)

    token_commands.add_commands(commands)
    sandbox_commands.add_command(commands)
    return described(top)


def serve(settings: Settings, args: argparse.Namespace) -> int:
    if args.sandbox:
        with sandbox_commands.sandboxed(settings, args) as simulated:
            return serve(simulated, argparse.Namespace(**{**vars(args), "sandbox": False}))
    settings.require_app()
    if args.config:
        settings = replace(settings, config_path=args.config)
    cert_file, key_file = tls_files(args, settings.log_format)
    if args.record:
        check_cassette(args.record)
    server.refuse_loop(settings.upstream_url, args.host, args.port)
    processes.require_address(args.host, args.port)
    for verdict in offline(settings):
        if verdict.status == "warn":
            logs.early(logging.WARNING, verdict.line(), settings.log_format)
        elif verdict.status == "error":
            raise ConfigError(verdict.line())
    common: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "ssl_certfile": cert_file,
        "ssl_keyfile": key_file,
        "timeout_graceful_shutdown": GRACE,
        "timeout_keep_alive": settings.keepalive_timeout,
        "log_config": logs.config(settings.log_format),  # every handler masks credentials
        # The request's own line (`shim.edge.requests_log`) says what uvicorn's access line did.
        "access_log": False,
        # X-Forwarded-For and -Proto are believed from SHIM_TRUSTED_PROXIES only: uvicorn's
        # default believes 127.0.0.1, and an https:// signature passed over plain HTTP.
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies),
    }
    if args.workers > 1:
        if args.record:
            raise ConfigError("--record writes one cassette from one process: use --workers 1")
        if args.config:
            os.environ["SHIM_CONFIG"] = args.config  # the workers read the environment
        processes.run(
            processes.Config(
                "shim.worker:app",
                factory=True,
                workers=args.workers,
                http="shim.worker:Protocol",
                **common,
            )
        )
        return 0
    if cert_file:
        server.lean_tls()
    if settings.sandbox:  # once every check has passed, so a refusal is still one line
        origin = f"{'https' if cert_file else 'http'}://{args.host}:{args.port}"
        print(sandbox_commands.described(settings, origin), flush=True)
    app = create_app(settings, record=args.record)
    processes.run(processes.Config(app, http=server.protocol(settings), **common))
    return 0


def tls_files(args: argparse.Namespace, log_format: str) -> tuple[str | None, str | None]:
    """The certificate and key to serve, checked to be a pair before anything listens."""
    if args.dev_tls:
        if args.ssl_certfile or args.ssl_keyfile:
            raise ConfigError("give --dev-tls or --ssl-certfile and --ssl-keyfile, not both")
        issued = certs.issue(Path(DEV_CERTS), ["localhost", "127.0.0.1"])
        trust = f"serving TLS for localhost; clients trust {issued.ca}, {issued.ca_news}"
        logs.early(logging.INFO, trust, log_format)
        return str(issued.cert), str(issued.key)
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        raise ConfigError("give both --ssl-certfile and --ssl-keyfile, or neither")
    if args.ssl_certfile:
        certs.check_pair(args.ssl_certfile, args.ssl_keyfile)
    return args.ssl_certfile, args.ssl_keyfile


def check(settings: Settings, args: argparse.Namespace) -> int:
    """Every verdict, one line each with its fix; exit 1 when any is an error."""
    if args.config:
        settings = replace(settings, config_path=args.config)
    verdicts = offline(settings)
    if any(verdict.status == "error" for verdict in verdicts):
        verdicts.append(Verdict("upstream", "warn", "not asked", "fix the errors above first"))
    elif not args.offline:
        verdicts += asyncio.run(online(settings))
    if args.json:
        print(json.dumps([verdict.as_dict() for verdict in verdicts], indent=2))
    else:
        for verdict in verdicts:
            print(f"{verdict.status.upper():5} {verdict.line()}")
    return 1 if any(verdict.status == "error" for verdict in verdicts) else 0


def make_certs(settings: Settings, args: argparse.Namespace) -> int:
    names = [name.strip() for name in args.names.split(",") if name.strip()]
    issued = certs.issue(Path(args.out), names)
    print(
        f"{issued.ca}: the local CA, {issued.ca_news}; clients trust it through REQUESTS_CA_BUNDLE"
    )
    print("  (requests: tweepy, twython, python-twitter), SSL_CERT_FILE (Python's ssl: Python")
    print("  Twitter Tools, aiohttp, peony), NODE_EXTRA_CA_CERTS (Node clients)")
    print(f"{issued.cert}, {issued.key}: the certificate for {', '.join(names)}; serve it with")
    print(f"  shim serve --ssl-certfile {issued.cert} --ssl-keyfile {issued.key}")
    until = f"{issued.until:%Y-%m-%d}"
    print(f"  valid until {until}: run shim certs again before then (docs/security.md)")
    return 0


def stats(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.admin_token:
        raise ConfigError("set SHIM_ADMIN_TOKEN to the running shim's admin token")
    if args.cacert and os.path.isdir(args.cacert):
        raise ConfigError(f"--cacert {args.cacert} is a folder: name the PEM file in it")
    if args.cacert and not os.path.isfile(args.cacert):
        raise ConfigError(f"--cacert: no such file: {args.cacert}")
    try:
        response = httpx2.get(
            f"{args.url.rstrip('/')}/_shim/stats",
            headers={"Authorization": f"Bearer {settings.admin_token}"},
            verify=ssl.create_default_context(cafile=args.cacert) if args.cacert else True,
        )
    except httpx2.HTTPError as error:
        if "CERTIFICATE_VERIFY_FAILED" in str(error):
            raise ConfigError(
                f"{args.url}'s certificate is not trusted here: pass --cacert with the CA that "
                "signed it (certs/ca.pem, made by shim certs or --dev-tls)"
            ) from None
        raise ConfigError(f"cannot reach {args.url}: {error or type(error).__name__}") from None
    if response.status_code != 200:
        raise ConfigError(f"{args.url} answered {response.status_code}: {response.text}")
    for name, counts in response.json().items():
        looked = counts["hits"] + counts["misses"]
        rate = f"{100 * counts['hits'] / looked:.0f}% hits" if looked else "no lookups"
        # Redis caches count no entries: that would take a scan of the keyspace.
        entries = f", {counts['entries']} entries" if "entries" in counts else ""
        print(f"{name}: {counts['hits']} hits, {counts['misses']} misses ({rate}){entries}")
    return 0
