"""Routing translated endpoints to v1.1 or v2, comparing them, and what operators see of it."""

import asyncio
import html
import json
import os
import time
from dataclasses import replace
from pathlib import Path

import pytest

import shim.serving.app
from mappings import ENDPOINTS
from mappings.routing import bucket
from shim.config import ConfigError
from shim.operator.cli import main
from shim.stores.routes import RoutingFile
from shim.stores.sqlite import SQLiteSwitch, connect
from tests.conftest import MakeClient
from tests.fake_timelines import TWITTER_TIMELINE, add_recorded
from tests.fakes import (
    ALICE,
    COMPARE_ROUTING,
    ERRORS,
    HANG_UP,
    OWNER,
    FakeV2,
    sign,
    v2_response,
)
from tests.stored import Stored

BASE = "http://testserver"
CREATE = f"{BASE}/1.1/mutes/users/create.json?screen_name=Twitter"
DESTROY = f"{BASE}/1.1/mutes/users/destroy.json?screen_name=Twitter"
ADMIN_TOKEN = "fake-admin-token-of-32-characters"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def routed(make_client: MakeClient, config, text: str):
    return make_client(config_path=config(text), admin_token=ADMIN_TOKEN)


def test_v1_mode_passes_the_call_to_v11_as_it_came(make_client, config, fake_v2: FakeV2):
    client = routed(make_client, config, '[routes."mutes/users/create"]\nmode = "v1"\n')
    response = client.post(CREATE, headers=sign("POST", CREATE))

    assert response.status_code == 200
    assert response.json()["geo_enabled"] is True  # v1.1's own value; v2 has none
    assert fake_v2.paths() == [("POST", "/1.1/mutes/users/create.json")]


def test_a_rollout_keeps_each_user_on_one_side(make_client, config, fake_v2: FakeV2):
    share = bucket(ALICE.user_id)
    outside = routed(
        make_client, config, f'[routes."mutes/users/create"]\nmode = "v2"\nrollout = {share - 1}\n'
    )
    for _ in range(3):
        outside.post(CREATE, headers=sign("POST", CREATE))
    assert {path for _, path in fake_v2.paths()} == {"/1.1/mutes/users/create.json"}

    fake_v2.calls.clear()
    inside = routed(
        make_client, config, f'[routes."mutes/users/create"]\nmode = "v2"\nrollout = {share}\n'
    )
    for _ in range(3):
        inside.post(CREATE, headers=sign("POST", CREATE))
    assert "/1.1/mutes/users/create.json" not in {path for _, path in fake_v2.paths()}


COMPARE_ALL = COMPARE_ROUTING


def test_compare_serves_the_primary_and_records_both(make_client, config, fake_v2: FakeV2):
    client = routed(make_client, config, COMPARE_ALL)
    muted = client.post(CREATE, headers=sign("POST", CREATE))
    report = client.portal.call(client.app.state.resources.comparisons.report)

    assert muted.json()["geo_enabled"] is True  # v1.1 served
    create = report["mutes/users/create"]
    assert (create["requests"], create["matches"]) == (1, 0)
    assert "followers_count" in create["noise"]  # differs between the two v1.1 answers too
    assert "followers_count" not in create["fields"]
    assert create["fields"]["geo_enabled"]["known"] == "no-v2-source"
    assert all(field["known"] for field in create["fields"].values()), create["fields"]


def test_unmuting_a_user_not_muted_is_272_from_both_versions(make_client, config, fake_v2):
    client = routed(make_client, config, COMPARE_ALL)
    unmuted = client.post(DESTROY, headers=sign("POST", DESTROY))
    report = client.portal.call(client.app.state.resources.comparisons.report)

    assert (unmuted.status_code, unmuted.json()["errors"][0]["code"]) == (403, 272)
    assert ("DELETE", f"/2/users/{ALICE.user_id}/muting/783214") not in fake_v2.paths()
    assert report["mutes/users/destroy"]["matches"] == 1


def test_an_unmute_compared_finds_the_user_unmuted_the_second_time(make_client, config, fake_v2):
    fake_v2.muted.add((ALICE.user_id, "783214"))
    client = routed(make_client, config, COMPARE_ALL)
    unmuted = client.post(DESTROY, headers=sign("POST", DESTROY))
    report = client.portal.call(client.app.state.resources.comparisons.report)

    assert unmuted.status_code == 200  # v2 served, and unmuted
    fields = report["mutes/users/destroy"]["fields"]
    assert fields["(status)"]["examples"] == [{"v1": 403, "v2": 200}]
    assert fields["(code)"]["known"] == "unmute-compared-twice"


def test_a_row_not_comparable_is_served_but_never_compared(
    make_client, config, fake_v2: FakeV2, monkeypatch
):
    """Compare mode never calls the other version of an endpoint its row marks not comparable
    (a write that is not idempotent would be made twice)."""
    rows = tuple(replace(e, comparable=e.name != "mutes/users/create") for e in ENDPOINTS)
    monkeypatch.setattr(shim.serving.app, "ENDPOINTS", rows)
    client = routed(make_client, config, COMPARE_ALL)
    muted = client.post(CREATE, headers=sign("POST", CREATE))
    report = client.portal.call(client.app.state.resources.comparisons.report)

    assert muted.json()["geo_enabled"] is True  # v1.1 served, as the routing says
    assert ("POST", f"/2/users/{ALICE.user_id}/muting") not in fake_v2.paths()
    assert "mutes/users/create" not in report


def test_compare_report_command(make_client, config, settings, monkeypatch, capsys):
    client = routed(make_client, config, COMPARE_ALL)
    client.post(CREATE, headers=sign("POST", CREATE))
    monkeypatch.setenv("SHIM_DB", settings.db_path)

    assert main(["compare", "report"]) == 0
    text = capsys.readouterr().out
    assert main(["compare", "report", "--json"]) == 0
    machine = json.loads(capsys.readouterr().out)

    assert (
        "mutes/users/create: 1 compared, 0 matched, 1 with known differences only, 0 skipped"
        in text
    )
    assert "geo_enabled: 1x value (known: Fields of the user object v2 no longer has)" in text
    assert "NOT EXPLAINED" not in text
    assert machine["mutes/users/create"]["requests"] == 1


def test_the_routing_file_reloads_when_it_changes(config):
    path = config('[routes."mutes/users/create"]\nmode = "v1"\n')
    now = [0.0]
    table = RoutingFile(
        path, ("mutes/users/create",), SQLiteSwitch(connect(":memory:")), lambda: now[0]
    )

    def mode() -> str:
        return asyncio.run(table.current()).route("mutes/users/create").mode

    assert mode() == "v1"

    Path(path).write_text('[routes."mutes/users/create"]\nmode = "compare"\n')
    os.utime(path, (1, 1))
    now[0] += 2
    assert mode() == "compare"

    Path(path).write_text("this is not toml [")
    os.utime(path, (2, 2))
    now[0] += 2
    assert mode() == "compare"  # the last good one is kept


def test_a_bad_routing_file_stops_the_start(config):
    with pytest.raises(ConfigError, match="rollout"):
        RoutingFile(
            config('[routes."mutes/users/create"]\nrollout = 200\n'),
            ("mutes/users/create",),
            SQLiteSwitch(connect(":memory:")),
        )


def test_one_switch_sends_everything_back_to_v1(make_client, config, fake_v2: FakeV2):
    client = routed(make_client, config, "")
    switched = client.post(f"{BASE}/_shim/all-v1?on=true", headers=ADMIN)
    client.post(CREATE, headers=sign("POST", CREATE))
    client.post(f"{BASE}/_shim/all-v1?on=false", headers=ADMIN)
    client.post(CREATE, headers=sign("POST", CREATE))

    assert switched.json() == {"all_v1": True}
    assert fake_v2.paths()[0] == ("POST", "/1.1/mutes/users/create.json")
    assert ("GET", "/2/users/by/username/Twitter") in fake_v2.paths()[1:]


def test_metrics_scrape(make_client, config):
    client = routed(make_client, config, COMPARE_ALL)
    client.post(CREATE, headers=sign("POST", CREATE))
    text = client.get(f"{BASE}/metrics", headers=ADMIN).text

    assert (
        'shim_requests_total{backend="v1",endpoint="mutes/users/create",status="200"} 1.0' in text
    )
    assert 'shim_upstream_seconds_count{backend="v1",endpoint="mutes/users/create"} 1.0' in text
    assert 'shim_comparisons_total{endpoint="mutes/users/create",outcome="known"} 1.0' in text
    assert 'shim_cache_lookups_total{cache="users",result="miss"}' in text
    assert client.get(f"{BASE}/metrics").status_code == 401


def test_the_dashboard_shows_split_errors_and_comparison(make_client, config):
    client = routed(make_client, config, COMPARE_ALL)
    client.post(CREATE, headers=sign("POST", CREATE))
    client.post(DESTROY, headers=sign("POST", DESTROY))
    page = client.get(f"{BASE}/_shim/", auth=("admin", ADMIN_TOKEN))

    assert page.status_code == 200
    assert "mutes/users/create" in page.text
    assert page.text.count("<svg") >= 4
    assert "v1.1 1 (100%)" in page.text  # create: served by v1.1
    assert "known: unmute-compared-twice" in page.text
    assert client.get(f"{BASE}/_shim/", auth=("admin", "wrong")).status_code == 401


def test_the_dashboard_names_a_primary_only_in_compare_mode(make_client, config):
    """A plain v2 route read "mode v2, primary v1": compare mode alone serves one version and
    asks the other, as `shim routing show` says too."""
    text = '[routes."mutes/users/destroy"]\nmode = "compare"\nprimary = "v2"\n'
    client = routed(make_client, config, text)
    client.post(CREATE, headers=sign("POST", CREATE))
    client.post(DESTROY, headers=sign("POST", DESTROY))
    page = client.get(f"{BASE}/_shim/", auth=("admin", ADMIN_TOKEN)).text

    assert "mode v2, rollout 100%" in page
    assert "mode compare, serving v2, rollout 100%" in page
    assert "primary" not in page


def test_a_junk_bearer_token_is_never_compared(make_client, config, fake_v2: FakeV2):
    """It costs one /2/users/me, then nothing: no pass-through, no comparison, no record."""
    client = routed(make_client, config, COMPARE_ROUTING)
    junk = {"Authorization": "Bearer not-a-token-v2-ever-issued"}
    for url in (CREATE, CREATE, f"{BASE}/1.1/lists/statuses.json"):
        response = (
            client.post(url, headers=junk) if "mutes" in url else client.get(url, headers=junk)
        )
        assert (response.status_code, response.json()["errors"][0]["code"]) == (401, 89)

    assert fake_v2.paths() == [("GET", "/2/users/me")]
    assert client.portal.call(client.app.state.resources.comparisons.report) == {}


def test_comparison_records_do_not_grow_with_traffic(make_client, config, fake_v2: FakeV2):
    client = routed(make_client, config, COMPARE_ROUTING)
    db = client.app.state.resources.comparisons._db

    def rows() -> int:
        counts = db.execute("SELECT count(*) FROM comparison_counts").fetchone()[0]
        return int(counts + db.execute("SELECT count(*) FROM comparison_examples").fetchone()[0])

    client.post(CREATE, headers=sign("POST", CREATE))
    after_one = rows()
    for _ in range(30):
        client.post(CREATE, headers=sign("POST", CREATE))

    assert rows() == after_one
    report = client.portal.call(client.app.state.resources.comparisons.report)
    assert report["mutes/users/create"]["requests"] == 31
    assert all(len(f["examples"]) <= 3 for f in report["mutes/users/create"]["fields"].values())


def compared(client):
    return client.portal.call(client.app.state.resources.comparisons.report)["mutes/users/create"]


def test_no_comparison_while_the_upstream_struggles(make_client, config, fake_v2: FakeV2):
    client = routed(make_client, config, COMPARE_ROUTING)
    breaker = client.app.state.resources.upstream.breaker
    while breaker.state == "closed":  # failed calls until it opens
        breaker.record(breaker.allow(), failed=True)
    fake_v2.calls.clear()
    client.post(CREATE, headers=sign("POST", CREATE))

    assert compared(client)["skipped"] == 1
    assert compared(client)["requests"] == 0
    assert fake_v2.paths() == []  # nothing served (130 at once) and nothing shadowed


def test_the_shims_own_failure_is_no_difference(make_client, config, fake_v2: FakeV2):
    """v1.1 answers; every v2 call fails: the v2 side is the shim's own 130, not v2's answer."""
    client = routed(make_client, config, COMPARE_ROUTING)
    fake_v2.canned[("GET", "/2/users/by/username/Twitter")] = HANG_UP
    answer = client.post(CREATE, headers=sign("POST", CREATE))

    assert answer.status_code == 200  # v1.1 is primary for create
    assert compared(client)["skipped"] == 1
    assert compared(client)["fields"] == {}


def test_comparisons_past_their_budget_are_skipped(make_client, config, fake_v2: FakeV2):
    client = routed(make_client, config, COMPARE_ROUTING)
    held = [client.app.state.resources.shadows.take("comparisons") for _ in range(8)]
    client.post(CREATE, headers=sign("POST", CREATE))
    for give_back in held:
        give_back()
    client.post(CREATE, headers=sign("POST", CREATE))

    assert compared(client)["skipped"] == 1
    assert compared(client)["requests"] == 1


RECORDED_TWEET = TWITTER_TIMELINE[0]["id_str"]  # one of @Twitter's recorded Tweets
READS = {
    "account/verify_credentials": "/1.1/account/verify_credentials.json",
    "users/show": "/1.1/users/show.json?screen_name=Twitter",
    "users/lookup": "/1.1/users/lookup.json?user_id=783214,999&screen_name=nobody,TWITTER",
    "friendships/lookup": "/1.1/friendships/lookup.json?screen_name=Twitter",
    "blocks/ids": "/1.1/blocks/ids.json",
    "mutes/users/ids": "/1.1/mutes/users/ids.json",
    "friends/ids": "/1.1/friends/ids.json",
    "friends/list": "/1.1/friends/list.json",
    "followers/list": "/1.1/followers/list.json",
    "blocks/list": "/1.1/blocks/list.json",
    "mutes/users/list": "/1.1/mutes/users/list.json",
    "followers/ids": "/1.1/followers/ids.json",
    "friendships/show": "/1.1/friendships/show.json?target_screen_name=Twitter",
    "statuses/user_timeline": "/1.1/statuses/user_timeline.json?screen_name=Twitter",
    "statuses/home_timeline": "/1.1/statuses/home_timeline.json",
    "statuses/mentions_timeline": "/1.1/statuses/mentions_timeline.json",
    "favorites/list": "/1.1/favorites/list.json",
    "statuses/show": f"/1.1/statuses/show.json?id={RECORDED_TWEET}",
    "statuses/show/:id": f"/1.1/statuses/show/{RECORDED_TWEET}.json",
    "statuses/lookup": f"/1.1/statuses/lookup.json?id={RECORDED_TWEET},404",
}


def comparing(names, primary: str) -> str:
    return "".join(f'[routes."{n}"]\nmode = "compare"\nprimary = "{primary}"\n' for n in names)


@pytest.mark.parametrize("primary", ["v1", "v2"])
def test_the_reads_compared_with_v11_differ_only_where_the_readme_says(
    make_client, config, fake_v2: FakeV2, settings, primary
):
    """Each read against v1.1's own answer for @Twitter (the real recorded user object): what
    differs is explained or noise, whichever version serves. @Twitter calls verify_credentials
    itself, the one caller whose v1.1 object the reference has."""
    store = Stored(settings.db_path)
    store.add(OWNER.token, OWNER.secret)
    store.close()
    fake_v2.muted.add((OWNER.user_id, "783214"))
    fake_v2.related["blocking"].add((OWNER.user_id, "783214"))
    fake_v2.related["following"] |= {(OWNER.user_id, "12"), ("6253282", OWNER.user_id)}
    add_recorded(fake_v2)  # @Twitter's Tweets, as v1.1 recorded them
    client = routed(make_client, config, comparing(READS, primary))
    answers = {}
    for name, path in READS.items():
        url = BASE + path
        answers[name] = client.get(url, headers=sign("GET", url, OWNER))
    report = wait_for_comparisons(client, len(READS))

    assert {name: answer.status_code for name, answer in answers.items()} == dict.fromkeys(
        READS, 200
    )
    for name in READS:
        fields = report[name]["fields"]
        assert report[name]["requests"] == 1, name
        assert all(field["known"] for field in fields.values()), (
            name,
            {k: f for k, f in fields.items() if not f["known"]},
        )
    assert "followers_count" in report["users/show"]["noise"]  # v1.1 twice: counts moved
    assert report["account/verify_credentials"]["fields"]["geo_enabled"]["known"] == "no-v2-source"
    assert report["friendships/lookup"]["matches"] == 1  # connections: following, muting, blocking
    for name in ("blocks/ids", "mutes/users/ids", "friends/ids", "followers/ids"):
        assert report[name]["matches"] == 1, name
    # The 20 recorded Tweets, in both: compared field by field.
    for name in ("statuses/user_timeline", "statuses/home_timeline"):
        assert len(answers[name].json()) == 20, name
        assert report[name]["fields"], name
    for name in ("statuses/mentions_timeline", "favorites/list"):
        assert report[name]["matches"] == 1, name
    for name in ("friends/list", "followers/list", "blocks/list", "mutes/users/list"):
        # @Twitter is on each of @Twitter's own lists, and compared there field by field.
        assert "783214" in [user["id_str"] for user in answers[name].json()["users"]], name


def test_a_read_translated_wrong_shows_as_unexplained(make_client, config, fake_v2: FakeV2):
    """The comparison can fail: v2 says @Twitter is not followed, v1.1 says it is."""
    fake_v2.related["following"].clear()
    client = routed(make_client, config, comparing(["friendships/lookup"], "v2"))
    url = BASE + READS["friendships/lookup"]
    client.get(url, headers=sign("GET", url))
    report = wait_for_comparisons(client, 1)

    connections = report["friendships/lookup"]["fields"]["[].connections"]
    assert connections["known"] is None
    assert connections["examples"] == [{"v1": ["following"], "v2": ["none"]}]
    assert report["friendships/lookup"]["matches"] == 0


def wait_for_comparisons(client, count: int, deadline: float = 5.0):
    """The report once `count` comparisons are in it: they run after each answer is sent."""
    end = time.monotonic() + deadline
    while True:
        report = client.portal.call(client.app.state.resources.comparisons.report)
        done = sum(entry["requests"] + entry["skipped"] for entry in report.values())
        if done >= count or time.monotonic() > end:
            return report
        time.sleep(0.02)


def test_tier_refusals_are_explained_to_the_client_and_counted_on_the_dashboard(
    make_client, config, fake_v2: FakeV2
):
    """The Free tier cannot look users up by username: the legacy app hears what to change,
    and the operator sees it per endpoint."""
    fake_v2.canned[("GET", "/2/users/by/username/Twitter")] = v2_response(
        403, ERRORS["tier_without_access"]
    )
    client = routed(make_client, config, "")
    answer = client.post(CREATE, headers=sign("POST", CREATE))
    page = client.get(f"{BASE}/_shim/", auth=("admin", ADMIN_TOKEN)).text
    metrics = client.get(f"{BASE}/metrics", headers=ADMIN).text

    (error,) = answer.json()["errors"]
    assert (answer.status_code, error["code"]) == (403, 453)
    assert "user lookup by username" in error["message"]
    assert "route mutes/users/create to v1" in error["message"]
    assert "access refused: v2 code 453: 1" in page
    assert (
        'shim_access_refused_total{backend="v2",code="453",endpoint="mutes/users/create"} 1.0'
        in metrics
    )


def test_the_override_header_is_honoured_only_with_the_admin_token(
    make_client, config, fake_v2: FakeV2
):
    client = routed(make_client, config, '[routes."mutes/users/create"]\nmode = "v1"\n')
    asks = {"X-Shim-Backend": "v2"}
    for extra in ({}, {"X-Shim-Admin-Token": "wrong"}, {"X-Shim-Admin-Token": ADMIN_TOKEN}):
        fake_v2.calls.clear()
        client.post(CREATE, headers={**sign("POST", CREATE), **asks, **extra})
        served = {path.split("/")[1] for _, path in fake_v2.paths()}
        assert served == ({"2"} if extra.get("X-Shim-Admin-Token") == ADMIN_TOKEN else {"1.1"})


def test_denied_users_stay_on_v1_and_allowed_ones_get_v2(make_client, config, fake_v2: FakeV2):
    client = routed(
        make_client,
        config,
        f'[routes."mutes/users/create"]\nmode = "v2"\ndeny = ["{ALICE.user_id}"]\n'
        '[routes."mutes/users/destroy"]\nmode = "v2"\nrollout = 0\n'
        f'allow = ["{ALICE.user_id}"]\n',
    )
    client.post(CREATE, headers=sign("POST", CREATE))
    client.post(DESTROY, headers=sign("POST", DESTROY))

    assert ("POST", "/1.1/mutes/users/create.json") in fake_v2.paths()
    assert ("POST", "/1.1/mutes/users/destroy.json") not in fake_v2.paths()


def test_a_dry_run_answers_from_v11_and_shows_the_write_it_withheld(
    make_client, config, fake_v2: FakeV2
):
    client = routed(make_client, config, '[routes."mutes/users/create"]\nmode = "dry-run"\n')
    answer = client.post(CREATE, headers=sign("POST", CREATE))
    deadline = time.monotonic() + 5
    while not client.app.state.resources.dry_runs.recent and time.monotonic() < deadline:
        time.sleep(0.02)
    page = client.get(f"{BASE}/_shim/", auth=("admin", ADMIN_TOKEN)).text
    metrics = client.get(f"{BASE}/metrics", headers=ADMIN).text

    assert answer.json()["geo_enabled"] is True  # v1.1's own answer
    assert ("GET", "/2/users/by/username/Twitter") in fake_v2.paths()  # reads are sent
    assert not [p for m, p in fake_v2.paths() if m == "POST" and p.startswith("/2/")]
    planned = f'POST /2/users/{ALICE.user_id}/muting {{"target_user_id": "783214"}}'
    assert client.app.state.resources.dry_runs.recent[0].calls == (planned,)
    assert html.escape(planned) in page
    assert 'shim_dry_runs_total{endpoint="mutes/users/create",outcome="withheld"} 1.0' in metrics
