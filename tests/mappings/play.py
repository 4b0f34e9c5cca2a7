"""Drive a flow by hand: check each batch it yields, answer it, return its result."""

from mappings import ENDPOINTS
from mappings.endpoints import run
from mappings.types import Known, Steps, T, V2Call, V2Reply, V11Reply, V11Request


def play(steps: Steps[T], *rounds: tuple[tuple[V2Call, ...], tuple[V2Reply, ...]]) -> T:
    """Play the rounds against the flow; fail if it wants other calls or more rounds."""
    batch = next(steps)
    for expected, replies in rounds:
        assert expected == batch
        try:
            batch = steps.send(replies)
        except StopIteration as done:
            result: T = done.value
            return result
    raise AssertionError(f"the flow still wants {batch}")


def finish(steps: Steps[T]) -> T:
    """Run steps that need no v2 call."""
    try:
        batch = next(steps)
    except StopIteration as done:
        result: T = done.value
        return result
    raise AssertionError(f"the steps want {batch}")


def translate(request: V11Request, known: Known) -> Steps[V11Reply]:
    """The table's endpoint for the request, run as the shell runs it: its answer, or its
    error raised."""
    (endpoint,) = [e for e in ENDPOINTS if e.path == request.path and request.method in e.methods]
    done = yield from run(endpoint, request, known)
    return done.answer()
