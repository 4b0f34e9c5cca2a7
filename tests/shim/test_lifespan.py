"""What the lifespan opens is one frozen value, and every translated route reads that one."""

import dataclasses
import gc

import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from shim.serving.lifespan import Resources
from shim.serving.translated import Translated
from tests.conftest import MakeClient


def test_the_routes_share_one_frozen_value(make_client: MakeClient):
    app = make_client().app
    assert isinstance(app, Starlette)
    resources = app.state.resources
    translated = [
        served
        for route in app.routes
        if isinstance(route, Route)
        and isinstance(served := getattr(route.endpoint, "__self__", None), Translated)
    ]

    assert isinstance(resources, Resources)
    assert translated
    assert all(route.resources is resources for route in translated)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(resources, "settings", resources.settings)  # noqa: B010 (mypy knows it is frozen)


def test_what_start_up_made_is_kept_from_the_collector_while_serving(make_client: MakeClient):
    gc.unfreeze()
    client = make_client()
    assert gc.get_freeze_count() > 0
    assert client.get("/_shim/health").status_code == 200

    client.__exit__(None, None, None)
    assert gc.get_freeze_count() == 0
