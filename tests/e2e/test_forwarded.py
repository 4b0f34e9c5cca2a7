"""X-Forwarded-Proto and X-Forwarded-For are believed from SHIM_TRUSTED_PROXIES only: uvicorn
believed them from 127.0.0.1 by default, so a request signed for https:// was accepted over
plain HTTP. `shim serve` in its own process, over plain HTTP."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from shim.config import ConfigError, Settings
from tests.e2e.processes import start, stop
from tests.fakes import FakeV2, serving_fake, sign, twitter_user

pytestmark = pytest.mark.e2e

MUTE = "/1.1/mutes/users/create.json?user_id=783214"


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serving_fake(FakeV2(twitter_user())) as url:
        yield url


def mute_signed_for_https(
    tmp_path: Path, upstream: str, workers: str, **env: str
) -> tuple[int, int | None]:
    """A mute signed for https://, sent over plain HTTP saying X-Forwarded-Proto: https."""
    process, host = start(tmp_path, None, upstream, "--workers", workers, env=env)
    try:
        headers = sign("POST", f"https://{host}{MUTE}") | {"X-Forwarded-Proto": "https"}
        answer = requests.post(f"http://{host}{MUTE}", headers=headers, timeout=10)
    finally:
        output = stop(process)
    assert "Traceback" not in output
    errors = answer.json().get("errors") if answer.status_code != 200 else None
    return answer.status_code, errors[0]["code"] if errors else None


@pytest.mark.parametrize("workers", ["1", "2"])
def test_forwarded_headers_are_ignored_by_default(tmp_path, upstream, workers):
    assert mute_signed_for_https(tmp_path, upstream, workers) == (401, 32)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_forwarded_headers_are_believed_from_a_trusted_proxy(tmp_path, upstream, workers):
    trusted = mute_signed_for_https(tmp_path, upstream, workers, SHIM_TRUSTED_PROXIES="127.0.0.1")
    assert trusted == (200, None)


def test_connection_settings():
    settings = Settings.from_env({"SHIM_MAX_CONNECTIONS": "50"})
    assert (settings.client_connections, settings.trusted_proxies) == (5, ())  # a tenth
    listed = Settings.from_env({"SHIM_TRUSTED_PROXIES": "10.0.0.0/8, ::1"}).trusted_proxies
    assert listed == ("10.0.0.0/8", "::1/128")
    for wrong in (
        {"SHIM_CLIENT_CONNECTIONS": "0"},
        {"SHIM_MAX_CONNECTIONS": "50", "SHIM_CLIENT_CONNECTIONS": "51"},
        {"SHIM_TRUSTED_PROXIES": "proxy.example.com"},
        {"SHIM_TRUSTED_PROXIES": "10.0.0.0/33"},
    ):
        with pytest.raises(ConfigError):
            Settings.from_env(wrong)
