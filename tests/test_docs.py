"""The README and docs/ say what the code does: the endpoint table is `mappings.ENDPOINTS`, each
`shim` command shown parses with the real parser, each script named exists with the options
shown, each code block is closed, and each link leads to a file and a heading."""

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.version import Version

from mappings import ENDPOINTS
from shim import __version__
from shim.operator.cli import parser

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^\s*```(\w*)")
SCRIPT = re.compile(
    r"(?<![\w/.])((?:scripts|benchmarks)/[\w./-]*\w)((?: --?[\w-]+(?: [^\s`-]\S*)?)*)"
)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def blocks(page: Path) -> Iterator[tuple[str, list[str]]]:
    """Each fenced code block's language and lines."""
    language: str | None = None
    lines: list[str] = []
    for line in page.read_text().splitlines():
        fence = FENCE.match(line)
        if language is None:
            if fence:
                language, lines = fence[1], []
        elif fence:  # a closing fence
            yield language, lines
            language = None
        else:
            lines.append(line.strip())


def commands(page: Path) -> Iterator[list[str]]:
    """The words of each command in the page's shell blocks: where a block shows prompts
    (`$ `), only those lines; a line ending in `\\` or inside a quote runs on to the next."""
    for language, lines in blocks(page):
        prompted = [line[2:] for line in lines if line.startswith("$ ")]
        if language not in ("sh", "text") or (language == "text" and not prompted):
            continue
        pending = ""
        for line in prompted or lines:
            pending += line.removesuffix("\\") + (" " if line.endswith("\\") else "\n")
            lexer = shlex.shlex(pending, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            try:
                words = list(lexer)
            except ValueError:  # an open quote: the command goes on
                continue
            if not line.endswith("\\"):
                pending = ""
                yield from _split(words)


def _split(words: list[str]) -> Iterator[list[str]]:
    """Commands joined by `&&`, `;`, `|` or `$(…)`, each without its `NAME=value` prefixes."""
    command: list[str] = []
    for word in [*words, ";"]:
        if word and set(word) <= set("&;|()<>"):
            yield command
            command = []
        elif command or not re.fullmatch(r"[A-Z_]+=.*", word):
            command.append(word)


def shim_commands() -> list[tuple[str, list[str]]]:
    """Every `shim` command the pages show, as argv after `shim`; `scripts/serve` is
    `shim serve`."""
    found = []
    for page in PAGES:
        for command in commands(page):
            if command and command[0] in ("shim", ".venv/bin/shim"):
                found.append((page.name, command[1:]))
            elif command and command[0] == "scripts/serve":
                found.append((page.name, ["serve", *command[1:]]))
    return found


def test_the_readmes_table_lists_exactly_the_endpoints():
    """Adding a row to `mappings.ENDPOINTS` without its README row fails, and the reverse."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- endpoints -->")[1].split("<!-- /endpoints -->")[0]
    rows = [line.split("|")[1:3] for line in table.splitlines() if line.strip().startswith("| `")]
    listed = [(name.strip(" `"), call.strip(" `")) for name, call in rows]

    expected = [
        (e.name, f"{', '.join(e.methods)} {e.path.removeprefix('/1.1/')}") for e in ENDPOINTS
    ]

    assert sorted(expected) == sorted(listed)


@pytest.mark.parametrize(("page", "argv"), shim_commands(), ids=" ".join)
def test_each_shim_command_shown_parses(page: str, argv: list[str]):
    """Each `shim …` (or `scripts/serve …`) in a shell block is one `shim` accepts as written."""
    try:
        parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"{page}: `shim {shlex.join(argv)}` does not parse")


def test_the_pages_show_every_kind_of_shim_command():
    """The command search above finds what the pages show, so it cannot pass on nothing."""
    shown = {argv[0] for _, argv in shim_commands()}

    assert {"serve", "check", "tokens", "stats", "routing", "certs"} <= shown


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_scripts_named_exist_with_the_options_shown(page: Path):
    """Each `scripts/…` or `benchmarks/…` named is there; a benchmark's options are its own."""
    for path, options in SCRIPT.findall(page.read_text()):
        assert (ROOT / path).exists(), f"{page.name}: {path}"
        for option in re.findall(r"--[\w-]+", options):
            if path.startswith("benchmarks/"):
                assert f'"{option}"' in (ROOT / path).read_text(), f"{path} {option}"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_code_block_names_its_language_and_is_closed(page: Path):
    """A stray fence opens a block with no language and swallows the text after it."""
    fences = [line for line in page.read_text().splitlines() if FENCE.match(line)]

    assert all(language for language, _ in blocks(page))
    assert len(fences) % 2 == 0


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_leads_to_a_file_and_a_heading(page: Path):
    for target in LINK.findall(page.read_text()):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name}: {target}"
        if anchor:
            assert anchor in headings(linked), f"{page.name}: {target}"


def headings(page: Path) -> set[str]:
    """The page's headings as GitHub names their anchors."""
    text = re.sub(r"^\s*```.*?^\s*```", "", page.read_text(), flags=re.MULTILINE | re.DOTALL)
    titles = re.findall(r"^#+ (.+)$", text, re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-") for title in titles}


def test_the_version_is_the_changelogs():
    """`shim --version` and the upstream user-agent say which release this is: the CHANGELOG's
    newest, or a development release of the next one while changes wait under Unreleased (it
    said 0.1.0 three releases on)."""
    text = (ROOT / "CHANGELOG.md").read_text()
    newest = Version(re.findall(r"^## \[(\d+\.\d+\.\d+)\]", text, re.M)[0])
    waiting = text.split("## [Unreleased]", 1)[1].split("\n## [", 1)[0].strip()
    version = Version(__version__)

    if waiting:
        assert version.is_devrelease
        assert version > newest
    else:
        assert version == newest
