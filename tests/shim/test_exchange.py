"""A request is authenticated once into one call, answered, and the finished exchange given to
each after-step (metrics, request log, comparison, dry-run record) once; an after-step that
fails leaves the answer as it was."""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shim.credentials import upstream_auth
from shim.serving import lifespan
from shim.serving.comparison import Comparer
from shim.serving.dryrun import DryRuns
from shim.serving.exchange import Exchange
from shim.serving.identity import Identity
from shim.serving.metrics import Metrics
from tests.conftest import MakeClient
from tests.fakes import ALICE, CAROL, COMPARE_ROUTING, sign

BASE = "http://testserver"
CREATE = f"{BASE}/1.1/mutes/users/create.json?screen_name=Twitter"
TIMELINE = f"{BASE}/1.1/lists/statuses.json"
ROUTINGS = {
    "v2": "",
    "v1": '[routes."mutes/users/create"]\nmode = "v1"\n',
    "rollout": '[routes."mutes/users/create"]\nmode = "v2"\nrollout = 50\n',
    "compare": COMPARE_ROUTING,
    "compare, v2 first": '[routes."mutes/users/create"]\nmode = "compare"\nprimary = "v2"\n',
    "dry run": '[routes."mutes/users/create"]\nmode = "dry-run"\n',
}


def counted(calls: list[str], name: str, function: Any) -> Any:
    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(name)
        return function(*args, **kwargs)

    return counting


def routed(make_client: MakeClient, tmp_path: Path, routing: str) -> Any:
    path = tmp_path / "routing.toml"
    path.write_text(routing)
    return make_client(config_path=str(path))


@pytest.mark.parametrize("routing", ROUTINGS.values(), ids=ROUTINGS.keys())
@pytest.mark.parametrize("who", ["oauth1", "bearer"])
def test_the_caller_is_looked_up_once_and_the_bearer_header_read_once(
    make_client: MakeClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, routing, who
):
    """However the route is routed, compared or dry-run, a request looks its caller up at most
    once (`Identity.cached`, which every lookup goes through) and reads its bearer header once."""
    client = routed(make_client, tmp_path, routing)
    calls: list[str] = []
    monkeypatch.setattr(Identity, "cached", counted(calls, "caller", Identity.cached))
    parse = upstream_auth.bearer_token
    for module in list(sys.modules.values()):
        if getattr(module, "bearer_token", None) is parse:
            monkeypatch.setattr(module, "bearer_token", counted(calls, "bearer", parse))
    bearer = {"Authorization": f"Bearer {CAROL.token}"}

    for _ in range(2):  # the second with the caller cached
        calls.clear()
        headers = sign("POST", CREATE) if who == "oauth1" else bearer
        response = client.post(CREATE, headers=headers)

        assert response.status_code == 200
        assert calls.count("bearer") == 1
        assert calls.count("caller") <= 1


Recorded = list[tuple[str, Exchange]]


def recording(steps: Recorded, name: str) -> Callable[..., Any]:
    async def after(*args: Any) -> None:
        steps.append((name, args[-1]))

    return after


@pytest.fixture
def steps(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    """Every after-step replaced by one that records what it receives (before the app is made:
    the app holds its steps)."""
    recorded: Recorded = []
    monkeypatch.setattr(Metrics, "after", recording(recorded, "metrics"))
    monkeypatch.setattr(lifespan, "log_line", recording(recorded, "log"))
    monkeypatch.setattr(Comparer, "after", recording(recorded, "comparison"))
    monkeypatch.setattr(DryRuns, "after", recording(recorded, "dry run"))
    return recorded


def received_once(steps: Recorded) -> Exchange:
    """The one exchange every after-step received, in their order, once each."""
    ((_, exchange), *_) = steps
    assert [name for name, _ in steps] == ["metrics", "log", "comparison", "dry run"]
    assert all(received is exchange for _, received in steps)
    return exchange


def test_each_after_step_receives_a_translated_exchange_once(
    make_client: MakeClient, tmp_path: Path, steps: Recorded
):
    client = routed(make_client, tmp_path, COMPARE_ROUTING)
    response = client.post(CREATE, headers=sign("POST", CREATE))
    exchange = received_once(steps)

    assert (exchange.name, exchange.backend) == ("mutes/users/create", "v1")
    assert exchange.response.status_code == response.status_code == 200
    assert exchange.plan is not None
    assert exchange.plan.shadow == "v2"
    assert exchange.call.caller is not None
    assert exchange.call.caller.user_id == ALICE.user_id  # looked up for the comparison's v2


def test_each_after_step_receives_a_passed_through_exchange_once(
    make_client: MakeClient, steps: Recorded
):
    response = make_client().get(TIMELINE, headers=sign("GET", TIMELINE))
    exchange = received_once(steps)

    assert (exchange.name, exchange.backend) == ("passthrough", "v1")
    assert (exchange.endpoint, exchange.plan, exchange.call.v11) == (None, None, None)
    assert exchange.response.status_code == response.status_code == 200


def broken(*args: Any) -> None:
    raise RuntimeError("an after-step broke")


def test_a_failing_after_step_leaves_a_translated_answer_and_the_next_steps(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    client = make_client()
    expected = client.post(CREATE, headers=sign("POST", CREATE))
    monkeypatch.setattr(Metrics, "served", broken)
    with caplog.at_level("INFO"):
        response = client.post(CREATE, headers=sign("POST", CREATE))

    assert (expected.status_code, expected.json()) == (response.status_code, response.json())
    assert any("Metrics.after failed" in record.getMessage() for record in caplog.records)
    assert any(record.name == "shim.requests" for record in caplog.records)  # the next step ran


def test_a_failing_after_step_leaves_a_passed_through_answer(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
):
    client = make_client()
    monkeypatch.setattr("shim.edge.requests_log.served", broken)
    response = client.get(TIMELINE, headers=sign("GET", TIMELINE))

    assert response.status_code == 200
    assert response.json()["path"] == "/1.1/lists/statuses.json"
