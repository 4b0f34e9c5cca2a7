"""shim/edge/server.py's bounded protocol subclasses uvicorn's HttpToolsProtocol: it overrides the
callbacks uvicorn and httptools call by name and reads attributes uvicorn keeps private. uvicorn
is pinned to the minor it was written against (pyproject.toml); this names whatever a new one
no longer has, before a connection finds out, and checks that ordinary requests are answered
byte for byte as by uvicorn's own httptools protocol."""

import ast
import inspect
import re
import socket
import textwrap
from pathlib import Path

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

from shim.config import Settings
from shim.edge import server
from tests.servers import read_body, serving

# What Bounded reads through an attribute of its own, and whose it is.
THROUGH = {"cycle": RequestResponseCycle, "parser": httptools.HttpRequestParser}


def _self_attributes(tree: ast.AST) -> list[ast.Attribute]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
    ]


def assigned(cls: type) -> set[str]:
    """The names a class has, with those its methods assign to `self`."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    return set(dir(cls)) | {node.attr for node in _self_attributes(tree)}


def relied_on() -> dict[str, type]:
    """Every name Bounded takes from uvicorn or httptools, with the class that must have it:
    the methods it overrides (public, or reached through super()) and what it reads from `self`,
    `self.cycle` and `self.parser` without defining it."""
    tree = ast.parse(Path(inspect.getfile(server)).read_text())
    bounded = next(
        node for node in ast.walk(tree) if isinstance(node, ast.ClassDef) and node.name == "Bounded"
    )
    own = {
        target.id
        for node in bounded.body
        for target in (getattr(node, "targets", None) or [getattr(node, "target", None)])
        if isinstance(target, ast.Name)
    } | {
        node.name
        for node in bounded.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    names: dict[str, type] = {name: HttpToolsProtocol for name in own if not name.startswith("_")}
    for node in ast.walk(bounded):
        if not isinstance(node, ast.Attribute):
            continue
        if isinstance(node.value, ast.Call) and ast.unparse(node.value) == "super()":
            names[node.attr] = HttpToolsProtocol
        inner = node.value
        if isinstance(inner, ast.Attribute) and ast.unparse(inner) in {"self.cycle", "self.parser"}:
            names[f"{inner.attr}.{node.attr}"] = THROUGH[inner.attr]
    for node in _self_attributes(bounded):
        if node.attr not in own:
            names.setdefault(node.attr, HttpToolsProtocol)
    return names


def missing(bases: dict[type, set[str]]) -> list[str]:
    """The names relied on that their class (here given as the names it has) lacks."""
    return sorted(
        name for name, owner in relied_on().items() if name.rpartition(".")[2] not in bases[owner]
    )


def test_uvicorn_has_all_the_bounded_protocol_relies_on():
    have: dict[type, set[str]] = {
        HttpToolsProtocol: assigned(HttpToolsProtocol),
        RequestResponseCycle: assigned(RequestResponseCycle),
        httptools.HttpRequestParser: set(dir(httptools.HttpRequestParser)),
    }

    gone = missing(have)

    assert gone == [], (
        f"uvicorn {uvicorn.__version__} (or httptools) no longer has {', '.join(gone)}, which "
        "shim/edge/server.py's Bounded protocol relies on: adapt it before raising the pin in "
        "pyproject.toml"
    )


def test_the_check_names_what_a_changed_uvicorn_lacks():
    """Against classes with nothing, every callback, attribute and parser call is named."""
    gone = missing(
        {HttpToolsProtocol: set(), RequestResponseCycle: set(), httptools.HttpRequestParser: set()}
    )

    expected = {
        "on_url",
        "on_header",
        "send_400_response",
        "connections",
        "cycle.response_complete",
    }
    assert expected | {"parser.get_method", "loop", "transport"} <= set(gone)


async def describe(scope, receive, send) -> None:
    """Answers each request with its method, path, query and body's length."""
    if scope["type"] != "http":
        return
    body = await read_body(receive)
    text = f"{scope['method']} {scope['path']} {scope['query_string'].decode()} {len(body)}"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": text.encode()})


# Pipelined on one connection: a query, a body by length and by chunks, a head near the limit.
ORDINARY = (
    b"GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
    b"POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
    b"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    b"HEAD /d HTTP/1.1\r\nHost: h\r\nX-Big: " + b"x" * 15_000 + b"\r\n\r\n"
    b"GET /e HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
)


def exchange(port: int, data: bytes) -> bytes:
    """What the server sends back for `data`, until it closes, without its date lines."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return re.sub(rb"date: [^\r]*\r\n", b"", answer)


def test_ordinary_requests_are_answered_as_uvicorns_own_protocol_answers():
    answers = {}
    for name, http in (("bounded", server.protocol(Settings())), ("uvicorn", "httptools")):
        with serving(describe, http=http) as port:
            answers[name] = exchange(port, ORDINARY)

    assert answers["bounded"] == answers["uvicorn"]
    assert answers["bounded"].count(b"HTTP/1.1 200 OK") == 5
    assert b"POST /c  3" in answers["bounded"]
