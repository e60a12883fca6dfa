# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP layer for the REST clients (Keycloak, Vault): session, retries, errors.

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.krci.platform.plugins.module_utils._retry import call_with_retry

try:
    import requests

    HAS_REQUESTS = True
except ImportError:  # pragma: no cover
    HAS_REQUESTS = False


class HTTPStatus(Exception):
    """A reply with an unexpected status; ``body`` keeps the server's text for the error message."""

    def __init__(self, status, body):
        super(HTTPStatus, self).__init__("HTTP %s" % status)
        self.status = status
        self.body = body


def new_session(verify):
    session = requests.Session()
    # REQUESTS_CA_BUNDLE and proxies from the environment would override verify (requests #3829);
    # the CA is always given explicitly.
    session.trust_env = False
    session.verify = verify
    return session


class TruncatedReply(Exception):
    """A success status whose JSON body ended early: the server went away while it streamed the reply."""

    def __init__(self, status, error):
        super(TruncatedReply, self).__init__("HTTP %s with a body that is not whole JSON (%s)" % (status, error))


def is_transport_error(exc):
    """Errors of the connection, not answers: refused, reset, timed out, or a reply cut off mid-body."""
    return isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                            requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError,
                            TruncatedReply))


def send(session, method, url, what, retry_statuses, on_retry=None, on_attempt=None, ok=None, attempts=6,
         deadline=60.0, ambiguous=None, ambiguous_attempts=4, parse_json=False, **kwargs):
    """One request with the collection's retry policy; raises HTTPStatus or a requests exception.

    ``on_attempt()`` is called before every attempt (retries included), for request counting.
    ``ambiguous(HTTPStatus)`` marks answers a restarting server gives (see ``_retry``). With
    ``parse_json`` a success body is parsed inside the attempt (kept as ``reply.data``), so a reply cut
    off mid-stream is retried like a reset connection instead of failing the caller's parse.
    """

    def attempt():
        if on_attempt is not None:
            on_attempt()
        reply = session.request(method, url, **kwargs)
        if (ok is not None and reply.status_code not in ok) or (ok is None and reply.status_code >= 400):
            raise HTTPStatus(reply.status_code, reply.text)
        if parse_json:
            try:
                reply.data = reply.json() if reply.content else None
            except ValueError as exc:
                raise TruncatedReply(reply.status_code, exc)
        return reply

    def status_of(exc):
        return exc.status if isinstance(exc, HTTPStatus) and exc.status in retry_statuses else None

    def is_ambiguous(exc):
        return isinstance(exc, HTTPStatus) and ambiguous is not None and ambiguous(exc)

    return call_with_retry(what, attempt, status_of, is_transport_error, on_retry=on_retry, attempts=attempts,
                           deadline=deadline, ambiguous=is_ambiguous, ambiguous_attempts=ambiguous_attempts)
