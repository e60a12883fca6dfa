# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP client for Keycloak's admin REST API: one token, refreshed on 401, one retry policy.

For internal collection use only.

What a restarting Keycloak answers (measured on 26.4 in the sandbox, and read in its error handler):
- shutting down: connections closed without a reply or reset, replies cut off mid-body (chunked
  streams end early), and, when a streamed listing fails while it is serialised (the database or
  session is closed under it), ``400 {"error": "unknown_error", "error_description": "Cannot parse
  the JSON"}``: Keycloak maps every Jackson error, serialisation included, to that 400; and a read
  whose transaction fails under the closing database as ``409 "Duplicate resource error"`` (its
  mapping of a persistence exception; a read cannot conflict with anything);
- down and starting: connection refused; the first replies after it listens can take seconds;
- half-started: 401/403 for a valid token, a 404 without Keycloak's JSON error (the route is not
  deployed yet) or "Realm not found." for a realm that exists (realm cache warming).
Connection errors, cut-off replies, 429 and 5xx are retried with backoff until ``retry_timeout``;
the answers of the last two groups are also real verdicts from a healthy server, so they are retried
only a few times in a row (``AMBIGUOUS_ATTEMPTS``), the 401 with a new token, and then reported.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.krci.platform.plugins.module_utils import _http
from ansible_collections.krci.platform.plugins.module_utils._http import HAS_REQUESTS, HTTPStatus  # noqa: F401  pylint: disable=unused-import

try:
    import requests
except ImportError:  # pragma: no cover
    pass

# 409 is not retried: on create it means "exists", which the reconciler handles.
_RETRY_STATUSES = frozenset([412, 429, 500, 502, 503, 504])
AMBIGUOUS_ATTEMPTS = 5
# The web layer's own text ("HTTP 404 Not Found"), not Keycloak's word on an object.
_GENERIC = re.compile(r"^HTTP \d{3} ")
_HINTS = {
    400: "Keycloak could not read or write the JSON (it also says so while it shuts down); check the types of "
         "the fields given",
    401: "Keycloak refused the admin token, also after a new one; check auth_realm and that the account is active",
    403: "the admin account lacks a role for this; give it realm-admin (or admin in master)",
}


class KeycloakError(Exception):
    """A Keycloak call failed; the message names the action, the object, Keycloak's reason and the fix."""

    def __init__(self, message, status=None):
        super(KeycloakError, self).__init__(message)
        self.status = status


def _body(body):
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _realm_of(url):
    """The realm an admin URL is about (``/admin/realms/<realm>/...``), or None."""
    marker = "/admin/realms/"
    if marker not in url:
        return None
    rest = url.split(marker, 1)[1].split("?", 1)[0]
    return rest.split("/", 1)[0] or None


def _reason(body):
    try:
        data = json.loads(body)
    except (TypeError, ValueError):
        return (body or "").strip()[:300]
    if isinstance(data, dict):
        return data.get("errorMessage") or data.get("error_description") or data.get("error") or json.dumps(data)
    return json.dumps(data)[:300]


class KeycloakClient:
    """Admin API client for ``base_url``. Counts requests per method in ``requests_sent``."""

    def __init__(self, base_url, auth_realm="master", client_id="admin-cli", username=None, password=None,
                 client_secret=None, verify=True, timeout=30, on_retry=None, retry_timeout=180.0):
        self.base_url = base_url.rstrip("/")
        self.auth_realm = auth_realm
        self.client_id = client_id
        self.username = username
        self.password = password
        self.client_secret = client_secret
        self.timeout = timeout
        self.retry_timeout = retry_timeout
        self.on_retry = on_retry
        # Realms this run has seen: a "Realm not found." for one of them is a half-started server.
        self.known_realms = set()
        self.session = _http.new_session(verify)
        self.requests_sent = {}
        self._token = None

    # --- authentication ---
    def _authenticate(self):
        data = {"client_id": self.client_id}
        if self.client_secret:
            data["client_secret"] = self.client_secret
        if self.username:
            data.update(grant_type="password", username=self.username, password=self.password)
        else:
            data["grant_type"] = "client_credentials"
        url = "%s/realms/%s/protocol/openid-connect/token" % (self.base_url, self.auth_realm)
        reply = self._send("POST", url, data=data, auth=False, what="authenticate to %s as %s" % (
            self.base_url, self.username or self.client_id), count_as="TOKEN")
        self._token = reply.json()["access_token"]

    def log_in(self):
        """Authenticate now (KeycloakError with the status when the credentials are refused)."""
        self._authenticate()

    def _ambiguous(self, method, url, exc):
        """True for an answer a restarting Keycloak gives (see the module docstring)."""
        body = _body(exc.body)
        if exc.status == 400:
            return "Cannot parse the JSON" in (exc.body or "")
        if exc.status == 409:
            return method == "GET"
        if exc.status == 401:
            return "/admin/" in url  # the token is renewed before the next attempt
        if exc.status == 403:
            return "/admin/" in url
        if exc.status == 404:
            message = (body or {}).get("error") or (body or {}).get("errorMessage")
            if not message or _GENERIC.match(str(message)):
                return True  # not an answer about an object: the route is not deployed yet
            realm = _realm_of(url)
            return "realm" in str(message).lower() and realm is not None and realm in self.known_realms
        return False

    def _send(self, method, url, what, auth=True, count_as=None, **kwargs):
        headers = {}
        key = count_as or method
        state = {"renew": False}

        def before_attempt():
            if auth:
                if state["renew"] or self._token is None:
                    self._authenticate()
                    state["renew"] = False
                headers["Authorization"] = "Bearer " + self._token
            self.requests_sent[key] = self.requests_sent.get(key, 0) + 1

        def ambiguous(exc):
            if not self._ambiguous(method, url, exc):
                return False
            state["renew"] = exc.status == 401
            return True

        try:
            return _http.send(self.session, method, url, what, _RETRY_STATUSES, on_retry=self.on_retry,
                              on_attempt=before_attempt, attempts=10000, deadline=self.retry_timeout,
                              ambiguous_attempts=AMBIGUOUS_ATTEMPTS,
                              ambiguous=ambiguous, parse_json=method == "GET", headers=headers,
                              timeout=self.timeout, **kwargs)
        except HTTPStatus as exc:
            hint = _HINTS.get(exc.status) if self._ambiguous(method, url, exc) else None
            raise KeycloakError("%s: HTTP %s: %s%s" % (what, exc.status, _reason(exc.body),
                                                       "; " + hint if hint else ""), exc.status)
        except requests.exceptions.SSLError as exc:
            raise KeycloakError("%s: certificate verify failed (%s); set ca_path to the CA that signed "
                                "Keycloak's certificate" % (what, exc))
        except (requests.exceptions.RequestException, _http.TruncatedReply) as exc:
            raise KeycloakError("%s: %s; Keycloak at %s did not answer within retry_timeout (%ss); check that it "
                                "runs" % (what, exc, self.base_url, self.retry_timeout))

    def request(self, method, path, what, body=None, params=None):
        """Call the admin API (path below /admin/realms); a 401 gets a new token (short-lived admin tokens)."""
        url = "%s/admin/realms%s" % (self.base_url, path)
        kwargs = {"params": params}
        if body is not None:
            kwargs["json"] = body
        return self._send(method, url, what, **kwargs)

    def get(self, path, what, params=None):
        return self.request("GET", path, what, params=params).data

    def get_or_none(self, path, what, params=None):
        try:
            return self.get(path, what, params=params)
        except KeycloakError as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, path, body, what):
        """POST; returns the new object's id from Location (None if Keycloak gives none).

        A 409 (it exists already, for example created by a concurrent run) is not an error: the
        caller re-reads and reconciles it.
        """
        try:
            reply = self.request("POST", path, what, body=body)
        except KeycloakError as exc:
            if exc.status == 409:
                return None
            raise
        location = reply.headers.get("Location", "")
        return location.rstrip("/").rsplit("/", 1)[-1] if location else None

    def put(self, path, body, what):
        self.request("PUT", path, what, body=body)

    def delete(self, path, what, body=None):
        try:
            self.request("DELETE", path, what, body=body)
        except KeycloakError as exc:
            if exc.status != 404:
                raise

    def server_version(self):
        """The server's version (the admin console's server info)."""
        reply = self._send("GET", self.base_url + "/admin/serverinfo", "read the server info of %s" % self.base_url)
        return ((reply.data or {}).get("systemInfo") or {}).get("version")

    def writes(self):
        return sum(count for method, count in self.requests_sent.items() if method not in ("GET", "TOKEN"))


def find_client(client, realm, client_id, missing_realm_ok=False):
    """The client whose clientId is exactly ``client_id`` in ``realm`` (Keycloak's search also matches prefixes), or
    None. ``missing_realm_ok``: None too when the realm does not exist (yet: check mode before its first run)."""
    from urllib.parse import quote  # pylint: disable=import-outside-toplevel

    read = client.get_or_none if missing_realm_ok else client.get
    found = read("/%s/clients" % quote(realm, safe=""), "read client %s of realm %s" % (client_id, realm),
                 params={"clientId": client_id}) or []
    return next((c for c in found if c.get("clientId") == client_id), None)


def client_secrets(client, realm, client_ids):
    """clientId -> current secret of each existing confidential client of ``realm`` in ``client_ids``."""
    from urllib.parse import quote  # pylint: disable=import-outside-toplevel

    path = "/" + quote(realm, safe="")
    result = {}
    for client_id in client_ids:
        found = find_client(client, realm, client_id, missing_realm_ok=True)
        if not found or found.get("publicClient"):
            continue
        secret = client.get(path + "/clients/%s/client-secret" % found["id"],
                            "read the secret of client %s of realm %s" % (client_id, realm))
        if (secret or {}).get("value"):
            result[client_id] = secret["value"]
    return result
