"""The shell's failures by cause: every cause has exactly one v1.1 answer in the one table."""

import json

import pytest

from mappings.errors import CODES
from shim.errors import ANSWERS, Busy, ShellError, answer, rendered


def causes(base: type[ShellError] = ShellError) -> set[type[ShellError]]:
    """The classes a failure of the shell is raised as: the leaves under `base`."""
    below = base.__subclasses__()
    return set().union(*map(causes, below)) if below else {base}


def test_every_cause_has_one_answer_and_the_table_no_other():
    """A new cause without an answer fails here rather than as a 500, and a row for a class
    that is not raised as such (a base such as Refused) is caught too."""
    assert causes() == set(ANSWERS)


@pytest.mark.parametrize("cause", list(ANSWERS), ids=lambda cause: cause.__name__)
def test_a_cause_is_answered_as_its_row_says(cause: type[ShellError]):
    """The answer is v1.1's error shape, with the row's status, code, message and headers."""
    row, response = ANSWERS[cause], rendered(cause())
    body = json.loads(bytes(response.body))

    assert row.code in CODES
    assert row.status == response.status_code
    assert {"errors": [{"code": row.code, "message": row.message}]} == body
    assert dict(row.headers) == {name: response.headers[name] for name in row.headers}


def test_busy_says_when_to_try_again_only_when_it_knows():
    """The admin pages' throttle names its wait; a share used up names none."""
    waited, busy = answer(Busy(retry_after=7)), answer(Busy())

    assert (waited.status, waited.code, waited.headers) == (429, 88, {"Retry-After": "7"})
    assert (busy.status, busy.code, busy.headers) == (429, 88, {})
