"""X's documentation as the reference holds it: `../shared/reference/x-docs/` when present,
else the copies in tests/data/reference/ (which must then be the same bytes); and X's endpoint
map read as rows, which the tables of `mappings/unserved.py` and `mappings/replacements.py` are
checked against."""

from pathlib import Path

ROOT = Path(__file__).parents[1]
SHARED = ROOT.parent / "shared" / "reference" / "x-docs"
COPIES = ROOT / "tests" / "data" / "reference"


def x_doc(name: str) -> str:
    """The text of one x-docs page; the copy must not have drifted from the reference."""
    copy = (COPIES / name).read_text()
    if (SHARED / name).is_file():
        shared = (SHARED / name).read_text()
        assert copy == shared, f"tests/data/reference/{name} differs from the reference: recopy it"
        return shared
    return copy


def endpoint_map() -> list[tuple[str, list[tuple[str, str]]]]:
    """The map's rows: the v2 column, and the v1.1 column's calls as (method, path)."""
    rows = []
    for line in x_doc("endpoint-map.mdx").splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) < 6 or cells[2].startswith((":", "Standard")):
            continue
        calls = []
        for item in cells[2].replace(r"\_", "_").split("<br />"):
            if item.strip():
                method, path, *_ = item.split()  # "GET statuses/sample (1%)"
                calls.append((method, f"/1.1/{path}.json"))
        rows.append((cells[4], calls))
    return rows
