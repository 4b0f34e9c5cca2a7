"""The pure translation of legacy v1.1 calls into v2 calls: no I/O, no clock, no globals.

`ROUTES` maps each translated v1.1 method and path to its flow. A flow gets the request and a
`Context`: the steps that identify the caller, which it runs once the request's own parameters
are known good, and the cursors the shim has issued.
"""

from collections.abc import Callable, Mapping

from mappings import mutes
from mappings.types import Context, Flow, V11Request

ROUTES: Mapping[tuple[str, str], Callable[[V11Request, Context], Flow]] = {
    ("POST", "/1.1/mutes/users/create.json"): mutes.create,
    ("POST", "/1.1/mutes/users/destroy.json"): mutes.destroy,
    ("GET", "/1.1/mutes/users/ids.json"): mutes.ids,
    ("GET", "/1.1/mutes/users/list.json"): mutes.users_list,
}
