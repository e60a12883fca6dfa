# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One retry policy for every HTTP API the collection talks to. For internal collection use only.

Retries connection errors, 409 (after the caller re-reads), 412, 429 and 5xx with exponential
backoff and a bounded total time; never 400, 401, 403, 404 or 422, which a retry cannot fix, unless
the caller's ``ambiguous`` classifier says that this answer is one a restarting server also gives
(for example Keycloak's 400 "Cannot parse the JSON" for a reply it could not finish serialising):
those are retried a few times in a row (``ambiguous_attempts``) and then taken as the verdict.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

RETRYABLE_STATUS = frozenset([409, 412, 429, 500, 502, 503, 504])


class RetryExhausted(Exception):
    def __init__(self, what, attempts, last):
        self.what = what
        self.attempts = attempts
        self.last = last
        super(RetryExhausted, self).__init__("%s: gave up after %d attempts: %s" % (what, attempts, last))


def warn_on_retry(warn):
    """An ``on_retry`` callback that reports each retry through ``warn`` (a module's ``warn``)."""
    return lambda what, attempt, exc, delay: warn("%s: attempt %d failed (%s); retrying in %.1fs"
                                                  % (what, attempt, exc, delay))


def call_with_retry(what, func, status_of, is_connection_error, attempts=6, base_delay=0.5, max_delay=8.0,
                    deadline=60.0, on_retry=None, sleep=None, clock=None, ambiguous=None,
                    ambiguous_attempts=4):
    """Call ``func()``; retry on errors that ``status_of``/``is_connection_error`` classify as transient.

    ``status_of(exc)`` returns an HTTP status or None; ``ambiguous(exc)`` (optional) is True for an
    answer that is a verdict from a healthy server but an artefact of a restarting one: retried at
    most ``ambiguous_attempts`` times in a row. ``on_retry(what, attempt, exc, delay)`` is called
    before each sleep (for logging), except after a first attempt that failed on the connection alone: a pooled
    keep-alive connection the server dropped (or a TLS session it refused) is reconnected once without a word; a
    second failure is reported. The last error is re-raised once retries or time are spent.
    """
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    start = clock()
    delay = base_delay
    attempt = 0
    in_a_row = 0
    while True:
        attempt += 1
        try:
            return func()
        except Exception as exc:  # pylint: disable=broad-except
            status = status_of(exc)
            transient = status in RETRYABLE_STATUS or (status is None and is_connection_error(exc))
            if not transient and ambiguous is not None and ambiguous(exc):
                in_a_row += 1
                transient = in_a_row <= ambiguous_attempts
            else:
                in_a_row = 0
            if not transient or attempt >= attempts or clock() - start + delay > deadline:
                raise
            if on_retry is not None and not (attempt == 1 and status is None):
                on_retry(what, attempt, exc, delay)
            sleep(delay)
            delay = min(delay * 2, max_delay)
