"""Readiness, as `GET /_shim/ready` answers it, and `Contained`, which keeps every failure of a
request from reaching the server (the real-process cases are tests/e2e/test_load_balancer.py)."""

import asyncio
import dataclasses
import logging
import signal
import time

import pytest
import redis
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from shim.config import Settings
from shim.edge.contained import Contained
from shim.edge.drain import Drain
from shim.edge.requests_log import RequestId
from shim.serving.health import DRAINING, Readiness
from shim.stores.clock import READY_SKEW, StoreClock
from shim.stores.state import open_state
from tests.servers import DURABLE, redis_server


def test_the_checks_run_at_most_once_a_second_however_often_asked(settings: Settings):
    kept = open_state(settings)
    runs = []

    async def check() -> str | None:
        runs.append(time.monotonic())
        await asyncio.sleep(0.05)  # callers arriving meanwhile wait for this one
        return "the store is sulking"

    readiness = Readiness(dataclasses.replace(kept, checks=(check,)), Drain())

    async def poll() -> list[list[str]]:
        return await asyncio.gather(*(readiness.problems() for _ in range(20)))

    assert asyncio.run(poll()) == [["the store is sulking"]] * 20
    assert len(runs) == 1
    asyncio.run(kept.aclose())


def test_a_writable_store_is_ready_and_a_draining_process_is_not(settings: Settings):
    kept = open_state(settings)
    drain = Drain(5)
    readiness = Readiness(kept, drain)
    assert asyncio.run(readiness.problems()) == []
    drain.begin()
    assert asyncio.run(readiness.problems()) == [DRAINING]
    asyncio.run(kept.aclose())


@pytest.mark.parametrize(("off", "ready"), [(READY_SKEW - 5, True), (READY_SKEW + 5, False)])
def test_a_clock_too_far_from_the_stores_is_not_ready(settings: Settings, off: float, ready):
    kept = open_state(settings)
    clock = StoreClock(lambda: time.time() + off)  # this machine's clock, `off` ahead
    now = time.time()
    clock.learn((int(now), 0), time.monotonic(), time.monotonic())
    problems = asyncio.run(dataclasses.replace(kept, clock=clock).problems())
    assert (problems == []) is ready
    assert ready or "ahead of Redis's" in problems[0]
    asyncio.run(kept.aclose())


def test_a_paused_redis_is_not_ready_and_its_url_is_not_told(settings: Settings, tmp_path):
    with redis_server(tmp_path, *DURABLE) as served:
        redis.Redis.from_url(served.url).config_set("requirepass", "hunter2-secret")
        url = served.url.replace("redis://", "redis://:hunter2-secret@")
        kept = open_state(dataclasses.replace(settings, redis_url=url))

        async def ask() -> tuple[list[str], list[str]]:
            before = await kept.problems()
            served.process.send_signal(signal.SIGSTOP)
            try:
                return before, await kept.problems()
            finally:
                served.process.send_signal(signal.SIGCONT)
                await kept.aclose()

        assert asyncio.run(ask()) == ([], ["Redis does not answer"])


def failing_app() -> Starlette:
    async def broken(request: Request) -> Response:
        raise RuntimeError("a bug")

    async def after(request: Request) -> Response:
        return Response("answered", background=BackgroundTask(lambda: 1 / 0))

    return Starlette(
        routes=[Route("/broken", broken), Route("/after", after)],
        middleware=[Middleware(RequestId), Middleware(Contained)],
    )


def test_an_unforeseen_failure_is_500_131_logged_once_with_the_request_id(caplog):
    caplog.set_level(logging.INFO)
    with TestClient(failing_app()) as client:  # raises whatever reaches the server
        answer = client.get("/broken", headers={"X-Request-Id": "a-bug-1"})
    assert answer.status_code == 500
    assert answer.json() == {"errors": [{"code": 131, "message": "Internal error."}]}
    (line,) = [record for record in caplog.records if "a-bug-1" in record.getMessage()]
    assert line.exc_info is not None


def test_a_failure_after_the_answer_keeps_the_answer(caplog):
    with TestClient(failing_app()) as client:
        answer = client.get("/after", headers={"X-Request-Id": "late-1"})
    assert (answer.status_code, answer.text) == (200, "answered")
    assert [r for r in caplog.records if "late-1" in r.getMessage()]
