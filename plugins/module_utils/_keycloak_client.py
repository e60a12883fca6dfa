# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One HTTP client for Keycloak's admin REST API: one token, refreshed on 401, one retry policy.

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible_collections.krci.platform.plugins.module_utils import _http
from ansible_collections.krci.platform.plugins.module_utils._http import HAS_REQUESTS, HTTPStatus  # noqa: F401  pylint: disable=unused-import

try:
    import requests
except ImportError:  # pragma: no cover
    pass

# 409 is not retried: on create it means "exists", which the reconciler handles.
_RETRY_STATUSES = frozenset([412, 429, 500, 502, 503, 504])


class KeycloakError(Exception):
    """A Keycloak call failed; the message names the action, the object, Keycloak's reason and the fix."""

    def __init__(self, message, status=None):
        super(KeycloakError, self).__init__(message)
        self.status = status


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
                 client_secret=None, verify=True, timeout=30, on_retry=None):
        self.base_url = base_url.rstrip("/")
        self.auth_realm = auth_realm
        self.client_id = client_id
        self.username = username
        self.password = password
        self.client_secret = client_secret
        self.timeout = timeout
        self.on_retry = on_retry
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

    def _send(self, method, url, what, auth=True, count_as=None, **kwargs):
        headers = {}
        if auth:
            headers["Authorization"] = "Bearer " + self._token
        key = count_as or method

        def count():
            self.requests_sent[key] = self.requests_sent.get(key, 0) + 1

        try:
            return _http.send(self.session, method, url, what, _RETRY_STATUSES, on_retry=self.on_retry,
                              on_attempt=count, attempts=8, deadline=120.0, headers=headers, timeout=self.timeout,
                              **kwargs)
        except HTTPStatus as exc:
            raise KeycloakError("%s: HTTP %s: %s" % (what, exc.status, _reason(exc.body)), exc.status)
        except requests.exceptions.SSLError as exc:
            raise KeycloakError("%s: certificate verify failed (%s); set ca_path to the CA that signed "
                                "Keycloak's certificate" % (what, exc))
        except requests.exceptions.RequestException as exc:
            raise KeycloakError("%s: %s; check that Keycloak runs at %s" % (what, exc, self.base_url))

    def request(self, method, path, what, body=None, params=None):
        """Call the admin API (path below /admin/realms); re-authenticate once on 401."""
        if self._token is None:
            self._authenticate()
        url = "%s/admin/realms%s" % (self.base_url, path)
        kwargs = {"params": params}
        if body is not None:
            kwargs["json"] = body
        try:
            return self._send(method, url, what, **kwargs)
        except KeycloakError as exc:
            if exc.status != 401:
                raise
            # Master-realm admin tokens can live 60 s: a long run gets a new one, once.
            self._authenticate()
            return self._send(method, url, what, **kwargs)

    def get(self, path, what, params=None):
        reply = self.request("GET", path, what, params=params)
        return reply.json() if reply.content else None

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

    def writes(self):
        return sum(count for method, count in self.requests_sent.items() if method not in ("GET", "TOKEN"))
