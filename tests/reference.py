"""X's documentation as the reference holds it: `../shared/reference/x-docs/` when present,
else the copies in tests/data/reference/ (which must then be the same bytes)."""

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
