"""docs/clients.md's table, each row run as written: the library as installed (Python from the
venv, Node from tests/node/ with npm), pointed at a real `shim serve` over TLS in front of the fake
v2 by its own option or, where it has none, by host redirection (tests/e2e/redirect.py), trusting
the shim's CA (made by `shim certs`) only through the variable the row names. Each session verifies
its credentials, mutes @Twitter, unmutes it and meets 272 (tests/e2e/recipes.py,
tests/node/recipes.js)."""

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mappings.errors import CODES
from tests.e2e import processes, redirect
from tests.fakes import ALICE, CONSUMER_KEY, CONSUMER_SECRET, FakeV2, serving_fake, twitter_user

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).parents[2]
NODE = ROOT / "tests" / "node"
PYTHON_TWITTER = Path(sys.prefix) / "python-twitter"  # where scripts/install puts it
EXAMPLE = "shim.example.com:8443"  # the shim's host and port as the table writes them
# The table's libraries with an option: what the recipe gives it and where the CA is trusted.
PYTHON = {
    "tweepy": ("{host}", "REQUESTS_CA_BUNDLE"),
    "twython": ("https://{host}/%s", "REQUESTS_CA_BUNDLE"),
    "python-twitter": ("https://{host}/1.1", "REQUESTS_CA_BUNDLE"),
    "Python Twitter Tools": ("{host}", "SSL_CERT_FILE"),
    "peony": ("https://{host}/{{version}}", "SSL_CERT_FILE"),
}
NODE_POINTED = {"twitter-api-v2": "https://{host}/1.1/", "twitter": "https://{host}/1.1"}
# Those used as installed, and the one host each calls (twitter-api-v2's src/globals.ts,
# twitter-lite's `https://${subdomain}.twitter.com`, twit's lib/endpoints.js).
NODE_REDIRECTED = {
    "twitter-api-v2": "api.x.com",
    "twitter-lite": "api.twitter.com",
    "twit": "api.twitter.com",
}
TRUST = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")
TWITTER = {"id_str": "783214", "screen_name": "Twitter"}
# What every session sees through the shim: the caller (the fake's /2/users/me), the mute, the
# unmute, and v1.1's 272 for unmuting a user not muted, as much of it as the client keeps.
SEEN = {"me": "me", "muted": TWITTER, "unmuted": TWITTER, "refused": {"status": 403, "code": 272}}
NOT_MUTING = CODES[272][1]
REFUSED = {
    "twython": {"status": 403, "message": f"Twitter API returned a 403 (Forbidden), {NOT_MUTING}"},
    "python-twitter": {"code": 272, "message": NOT_MUTING},
    "twitter-lite": {"code": 272},
    "twitter": {"code": 272},
}


def table() -> dict[str, list[str]]:
    """docs/clients.md's table of libraries: each row's cells after the library's name (the
    first cell up to a parenthesis)."""
    text = (ROOT / "docs" / "clients.md").read_text()
    rows = re.findall(r"^\| (?!library |---)(.+) \|$", text, re.MULTILINE)
    return {row.split(" | ")[0].split(" (")[0]: row.split(" | ")[1:] for row in rows}


@pytest.fixture(scope="module")
def fake() -> FakeV2:
    return FakeV2(twitter_user())


@pytest.fixture(autouse=True)
def forget(fake: FakeV2) -> None:
    fake.forget()


@pytest.fixture(scope="module")
def upstream(fake: FakeV2) -> Iterator[str]:
    with serving_fake(fake) as url:
        yield url


def certs(folder: Path, *names: str) -> tuple[str, str, str]:
    """docs/clients.md's `shim certs --names …`: (CA, certificate, key) files."""
    out = folder / "certs"
    subprocess.run(
        [sys.executable, "-m", "shim", "certs", "--names", ",".join(names), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    return str(out / "ca.pem"), str(out / "server.pem"), str(out / "server-key.pem")


@contextmanager
def serve(
    folder: Path, tls: tuple[str, str, str], upstream: str, **where: Any
) -> Iterator[tuple[str, str]]:
    """`shim serve` while the caller needs it, (host:port, CA); it must stop cleanly."""
    process, host = processes.start(folder, tls, upstream, **where)
    try:
        yield host, tls[0]
    finally:
        output = processes.stop(process)
        assert "Traceback" not in output
        assert ALICE.secret not in output


@pytest.fixture(scope="module")
def pointed(tmp_path_factory: pytest.TempPathFactory, upstream: str) -> Iterator[tuple[str, str]]:
    """The shim on a free port of 127.0.0.1, for the recipes with an option."""
    folder = tmp_path_factory.mktemp("pointed")
    with serve(folder, certs(folder, "127.0.0.1", "localhost"), upstream) as shim:
        yield shim


@contextmanager
def redirected_shim(folder: Path, upstream: str, *origins: str) -> Iterator[tuple[str, str]]:
    """docs/clients.md's host redirection: certificates for both API names, the shim on port
    443 of a loopback address of its own, signing for `origins`."""
    redirect.require_redirection()
    tls = certs(folder, *NODE_REDIRECTED.values())
    env = {"SHIM_PUBLIC_URL": ",".join(origins)}
    address = redirect.loopback_address()
    with serve(folder, tls, upstream, port=443, host=address, env=env) as shim:
        yield shim


@pytest.fixture(scope="module")
def redirected(
    tmp_path_factory: pytest.TempPathFactory, upstream: str
) -> Iterator[tuple[str, str]]:
    origins = ("https://api.twitter.com", "https://api.x.com")
    with redirected_shim(tmp_path_factory.mktemp("redirected"), upstream, *origins) as shim:
        yield shim


def run(
    command: Sequence[str], trust: str, ca: str, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Run a client's session with the CA trusted only through `trust`; what it saw."""
    clean = {k: v for k, v in os.environ.items() if k not in TRUST}
    done = subprocess.run(
        command,
        cwd=ROOT,
        env={**clean, trust: ca, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    seen: dict[str, Any] = json.loads(done.stdout)
    return seen


def python(library: str, *base: str, ca: str, prefix: Sequence[str] = ()) -> dict[str, Any]:
    """tests/e2e/recipes.py's session of a Python library, its option given `base`."""
    folders = [str(ROOT)]
    if library == "python-twitter":
        if not (PYTHON_TWITTER / "twitter").is_dir():
            pytest.fail(f"python-twitter is not in {PYTHON_TWITTER}: run scripts/install")
        folders.insert(0, str(PYTHON_TWITTER))
    name = "twitter-tools" if library == "Python Twitter Tools" else library
    command = [*prefix, sys.executable, "-m", "tests.e2e.recipes", name, *base]
    return run(command, PYTHON[library][1], ca, {"PYTHONPATH": os.pathsep.join(folders)})


def node(library: str, *base: str, ca: str, prefix: Sequence[str] = ()) -> dict[str, Any]:
    """tests/node/recipes.js's session of a Node library, with `base` for its option."""
    program = shutil.which("node")
    if program is None or not (NODE / "node_modules" / library).is_dir():
        missing = "node is not installed" if program is None else f"{library} is not installed"
        # .ci/run installs them: there, missing is a failure, not a skip.
        (pytest.fail if os.environ.get("CI") else pytest.skip)(
            f"{missing}: run `npm ci --prefix tests/node` (Node 20 or newer)"
        )
    keys = {
        "consumer_key": CONSUMER_KEY,
        "consumer_secret": CONSUMER_SECRET,
        "token": ALICE.token,
        "token_secret": ALICE.secret,
    }
    command = [*prefix, program, str(NODE / "recipes.js"), library, *base]
    return run(command, "NODE_EXTRA_CA_CERTS", ca, {"RECIPE_CREDENTIALS": json.dumps(keys)})


def expected(library: str) -> dict[str, Any]:
    return SEEN | {"refused": REFUSED[library]} if library in REFUSED else SEEN


def check_v2_served(fake: FakeV2) -> None:
    """The session went through v2 alone: the mute, the unmute, and no v1.1 call."""
    assert ("POST", f"/2/users/{ALICE.user_id}/muting") in fake.paths()
    assert [p for p in fake.paths() if p[0] == "DELETE"] == [
        ("DELETE", f"/2/users/{ALICE.user_id}/muting/783214")
    ]
    assert not any(path.startswith("/1.1/") for _, path in fake.paths())
    assert fake.muted == set()


def test_the_table_names_exactly_the_recipes_run_here():
    """Every library the page names is run below as its row says: the option's value, the
    variable trusting the CA, and for those with none, the host its redirection must lead."""
    rows = table()
    assert set(rows) == {*PYTHON, *NODE_POINTED, *NODE_REDIRECTED}
    for library, (base, trust) in PYTHON.items():
        assert base.format(host=EXAMPLE) in rows[library][0]
        assert rows[library][1] == f"`{trust}`"
    for library, base in NODE_POINTED.items():
        assert base.format(host=EXAMPLE) in rows[library][0]
    for library, host in NODE_REDIRECTED.items():
        assert f"host redirection of `{host}`" in rows[library][0]
        assert rows[library][1] == "`NODE_EXTRA_CA_CERTS`"
    assert "host redirection of `api.twitter.com`" in rows["peony"][0]


@pytest.mark.parametrize("library", PYTHON)
def test_python_library_through_its_option(library: str, pointed, fake: FakeV2):
    host, ca = pointed

    seen = python(library, PYTHON[library][0].format(host=host), ca=ca)

    assert seen == expected(library)
    check_v2_served(fake)


def test_peony_without_version_in_its_base_url_loses_1_1(pointed, fake: FakeV2):
    """The recipe the docs gave before: peony puts the API version only where `{version}` is,
    so every call went to /verify_credentials.json and the like, 404, code 34."""
    host, ca = pointed

    seen = python("peony", f"https://{host}/", ca=ca)

    assert seen == {"refused": {"status": 404, "code": 34}}
    assert fake.calls == []


def test_peony_unchanged_through_host_redirection(redirected, fake: FakeV2, tmp_path: Path):
    """As installed, `client.user` included: PeonyClient reads it from api.twitter.com whatever
    base_url says, so only the redirection brings that call to the shim."""
    host, ca = redirected
    prefix = redirect.redirected(tmp_path / "hosts", host.rsplit(":", 1)[0], "api.twitter.com")

    seen = python("peony", ca=ca, prefix=prefix)

    assert seen == SEEN
    check_v2_served(fake)
    assert ("GET", "/2/users/me") in fake.paths()  # client.user, verify_credentials in v2


@pytest.mark.parametrize("library", NODE_POINTED)
def test_node_library_through_its_option(library: str, pointed, fake: FakeV2):
    host, ca = pointed

    seen = node(library, NODE_POINTED[library].format(host=host), ca=ca)

    assert seen == expected(library)
    check_v2_served(fake)


@pytest.mark.parametrize("library", NODE_REDIRECTED)
def test_node_library_unchanged_through_host_redirection(
    library: str, redirected, fake: FakeV2, tmp_path: Path
):
    """Only the one host the library calls is led to the shim: it calls no other."""
    host, ca = redirected
    address = host.rsplit(":", 1)[0]
    prefix = redirect.redirected(tmp_path / "hosts", address, NODE_REDIRECTED[library])

    seen = node(library, ca=ca, prefix=prefix)

    assert seen == expected(library)
    check_v2_served(fake)


def test_a_client_signing_for_api_x_com_needs_it_among_the_shims_origins(
    tmp_path: Path, upstream: str, fake: FakeV2
):
    """twitter-api-v2 signs for https://api.x.com/1.1/…: with only api.twitter.com in
    SHIM_PUBLIC_URL, its signature is checked for the wrong origin and every call is 401/32."""
    with redirected_shim(tmp_path, upstream, "https://api.twitter.com") as (host, ca):
        address = host.rsplit(":", 1)[0]
        prefix = redirect.redirected(tmp_path / "hosts", address, "api.x.com")

        seen = node("twitter-api-v2", ca=ca, prefix=prefix)

    assert seen == {"refused": {"status": 401, "code": 32}}
    assert fake.calls == []
