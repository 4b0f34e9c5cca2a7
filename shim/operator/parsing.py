"""The `shim` command's parser, apart from its commands (`shim.operator.cli`): a mistyped
command is one line, each option shows its default where it has one, and `shim --help` lists
every command, nested ones too, one line each, from the parsers themselves (so a command added
anywhere is listed without another edit)."""

import argparse
from collections.abc import Iterator
from typing import Any, NoReturn


class Help(argparse.HelpFormatter):
    """Each option's default, where it has a value; an option whose default is nothing says
    in its own help what nothing means (never "default: None"). Lines that open with two spaces
    (the list of commands) are kept as written."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (
            "default" in text
            or action.default in (None, False, argparse.SUPPRESS)
            or action.required
            or not action.option_strings
        ):
            return text
        return f"{text} (default: %(default)s)"

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(
            indent + line
            if line.startswith("  ")
            else super(Help, self)._fill_text(line, width, indent)
            for line in text.splitlines()
        )


class Parser(argparse.ArgumentParser):
    """argparse, but a mistyped command is one line, as every other refusal is."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Help)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def described(top: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """List every command, nested ones too, one line each, in `shim --help`; each command's
    own --help opens with its line."""
    listed = list(_commands(top, ()))
    width = max(len(name) for name, _ in listed)
    top.description = "\n".join(
        [
            "Keep Twitter/X API v1.1 apps working on API v2 (docs/configuration.md).",
            "",
            "commands:",
            *(f"  {name:{width}}  {line}" for name, line in listed),
            "",
            "Settings are SHIM_* environment variables; `shim COMMAND --help` shows a command's "
            "options.",
        ]
    )
    return top


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...]) -> Iterator[tuple[str, str]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            lines = {c.dest: (c.help or "").replace("%%", "%") for c in action._choices_actions}
            for name, command in action.choices.items():
                command.description = command.description or lines[name]
                if any(isinstance(a, argparse._SubParsersAction) for a in command._actions):
                    yield from _commands(command, (*path, name))
                else:
                    yield " ".join((*path, name)), lines[name]
