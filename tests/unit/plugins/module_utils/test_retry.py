import pytest

from ansible_collections.krci.platform.plugins.module_utils._retry import call_with_retry


class HTTPError(Exception):
    def __init__(self, status):
        super().__init__("HTTP %d" % status)
        self.status = status


def run(errors, **kwargs):
    calls = []
    sleeps = []

    def func():
        calls.append(1)
        if errors:
            raise errors.pop(0)
        return "ok"

    result = call_with_retry("op", func, lambda e: getattr(e, "status", None),
                             lambda e: isinstance(e, ConnectionError), sleep=sleeps.append, **kwargs)
    return result, len(calls), sleeps


@pytest.mark.parametrize("status", [409, 412, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried_with_backoff(status):
    result, calls, sleeps = run([HTTPError(status), HTTPError(status)])
    assert (result, calls, sleeps) == ("ok", 3, [0.5, 1.0])


def test_connection_errors_are_retried():
    assert run([ConnectionError("refused")])[:2] == ("ok", 2)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_permanent_statuses_fail_at_once(status):
    with pytest.raises(HTTPError):
        run([HTTPError(status)])


def test_gives_up_after_the_attempts():
    with pytest.raises(HTTPError):
        run([HTTPError(503)] * 10, attempts=3)


def test_retry_callback_is_told_each_retry():
    seen = []
    run([HTTPError(429)], on_retry=lambda what, attempt, exc, delay: seen.append((what, attempt, delay)))
    assert seen == [("op", 1, 0.5)]


class Ambiguous(HTTPError):
    pass


def is_ambiguous(exc):
    return isinstance(exc, Ambiguous)


def test_ambiguous_answers_are_retried_a_few_times_in_a_row_then_taken_as_the_verdict():
    ambiguous = is_ambiguous
    assert run([Ambiguous(400), Ambiguous(400)], ambiguous=ambiguous, ambiguous_attempts=2)[:2] == ("ok", 3)
    with pytest.raises(Ambiguous):
        run([Ambiguous(400)] * 3, ambiguous=ambiguous, ambiguous_attempts=2)


def test_a_transient_error_between_ambiguous_answers_resets_their_count():
    # A restart: an odd 400 while shutting down, refused connections, another odd answer while starting.
    errors = [Ambiguous(400), Ambiguous(400), ConnectionError("refused"), Ambiguous(404), Ambiguous(404)]
    result, calls, sleeps = run(errors, ambiguous=is_ambiguous, ambiguous_attempts=2, attempts=10)
    assert len(sleeps) == 5
    assert (result, calls) == ("ok", 6)


def test_without_a_classifier_ambiguous_statuses_fail_at_once():
    with pytest.raises(Ambiguous):
        run([Ambiguous(400)])


def test_one_dropped_connection_is_retried_silently_and_a_second_is_reported():
    seen = []

    def report(what, attempt, exc, delay):
        seen.append(attempt)

    assert run([ConnectionError("reset")], on_retry=report)[:2] == ("ok", 2) and seen == []
    assert run([ConnectionError("reset"), ConnectionError("refused")], on_retry=report)[:2] == ("ok", 3)
    assert seen == [2]
    run([HTTPError(503)], on_retry=report)
    assert seen == [2, 1]  # a status is a server's answer: reported at once
