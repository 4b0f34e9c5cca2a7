"""mappings/ stays pure: it imports no I/O, framework or shell module."""

import ast
from pathlib import Path

import pytest

FORBIDDEN = {
    "shim",
    "httpx",
    "httpx2",
    "starlette",
    "uvicorn",
    "sqlite3",
    "asyncio",
    "socket",
    "os",
    "time",
    "oauthlib",
    "requests",
}
MAPPINGS = sorted((Path(__file__).parent.parent / "mappings").rglob("*.py"))


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", MAPPINGS, ids=lambda p: p.name)
def test_mappings_do_no_io(path: Path):
    assert set() == imported(path) & FORBIDDEN
