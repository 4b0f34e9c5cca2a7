"""The operator's state-changing request, the all-v1 switch, refuses cross-site requests: a page
the operator visits while logged in to the dashboard (basic auth, which the browser replays on
its own) cannot flip it. The dashboard's own form carries a token such a page cannot know."""

import re

import pytest

from tests.conftest import MakeClient

SWITCH = "http://testserver/_shim/all-v1"
LOGIN = ("admin", "fake-admin-token")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def client(make_client: MakeClient):
    return make_client(admin_token="fake-admin-token")


def switch_is_on(client) -> bool:
    page = client.get("http://testserver/_shim/", auth=LOGIN).text
    return "the all-v1 switch is on" in page


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example", **FORM},
        {"Sec-Fetch-Site": "cross-site", **FORM},
        {"Sec-Fetch-Site": "same-site", **FORM},
        FORM,  # a form with no token, as a page elsewhere would post it
    ],
)
def test_a_cross_site_post_cannot_flip_the_switch(client, headers):
    answer = client.post(SWITCH, auth=LOGIN, headers=headers, content=b"on=true")

    assert answer.status_code == 403
    assert answer.json()["errors"][0]["code"] == 353
    assert not switch_is_on(client)


def test_the_dashboard_form_flips_it(client):
    page = client.get("http://testserver/_shim/", auth=LOGIN).text
    token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert token is not None
    assert 'action="/_shim/all-v1"' in page

    answer = client.post(
        SWITCH,
        auth=LOGIN,
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin", **FORM},
        content=f"on=true&csrf={token.group(1)}".encode(),
        follow_redirects=False,
    )
    assert answer.status_code == 303  # back to the dashboard
    assert switch_is_on(client)


def test_a_script_with_the_bearer_token_needs_no_form_token(client):
    """A browser never sends a bearer token on its own: such a request is no forgery."""
    answer = client.post(f"{SWITCH}?on=true", headers={"Authorization": "Bearer fake-admin-token"})

    assert answer.json() == {"all_v1": True}
    assert switch_is_on(client)
