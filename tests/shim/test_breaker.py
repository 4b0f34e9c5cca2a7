"""The circuit breaker's states: closed, open after a run of failures, half-open for one probe."""

from shim.breaker import CircuitBreaker


def make() -> tuple[CircuitBreaker, list[float]]:
    now = [0.0]
    return CircuitBreaker(threshold=3, cooldown=10, clock=lambda: now[0]), now


def test_it_opens_after_a_run_of_failures_only():
    breaker, _ = make()
    breaker.failed()
    breaker.failed()
    breaker.succeeded()  # a success ends the run
    breaker.failed()
    breaker.failed()
    assert breaker.allow()

    breaker.failed()
    assert breaker.state == "open"
    assert not breaker.allow()


def test_after_the_cooldown_one_probe_decides():
    breaker, now = make()
    for _ in range(3):
        breaker.failed()
    now[0] += 10

    assert breaker.allow()
    assert not breaker.allow()  # only one probe at a time
    breaker.failed()
    assert breaker.state == "open"

    now[0] += 10
    assert breaker.allow()
    breaker.succeeded()
    assert breaker.state == "closed"
    assert breaker.allow()
