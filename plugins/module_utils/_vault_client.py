# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Vault / OpenBao HTTP client and its error. For internal collection use only.

Works against HashiCorp Vault and OpenBao alike (same /v1 API, X-Vault-Token header).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import time

from ansible_collections.krci.platform.plugins.module_utils import _http
from ansible_collections.krci.platform.plugins.module_utils._http import HAS_REQUESTS, HTTPStatus  # noqa: F401  pylint: disable=unused-import

try:
    import requests
except ImportError:  # pragma: no cover
    pass

# 503 means "sealed" on most paths: a retry cannot help there, the caller decides.
_RETRY_STATUSES = frozenset([412, 429, 500, 502, 504])


class VaultError(Exception):
    """A Vault call failed or was refused; the message names the action, the cause and the fix."""

    def __init__(self, message, status=None):
        super(VaultError, self).__init__(message)
        self.status = status


class VaultClient:
    def __init__(self, url, verify=True, token=None, timeout=30, on_retry=None):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.on_retry = on_retry
        self.session = _http.new_session(verify)
        self.requests_sent = {}

    def _count(self, method):
        self.requests_sent[method] = self.requests_sent.get(method, 0) + 1

    def call(self, method, path, what, body=None, ok=(200, 204)):
        headers = {"X-Vault-Token": self.token} if self.token else {}
        try:
            reply = _http.send(self.session, method, self.url + "/v1/" + path.lstrip("/"), what, _RETRY_STATUSES,
                               on_retry=self.on_retry, on_attempt=lambda: self._count(method), ok=ok, json=body,
                               headers=headers, timeout=self.timeout)
        except HTTPStatus as exc:
            raise VaultError("%s: HTTP %s: %s" % (what, exc.status, _errors(exc.body)), exc.status)
        except requests.exceptions.SSLError as exc:
            raise VaultError("%s: certificate verify failed (%s); set ca_cert to the CA of %s" % (what, exc, self.url))
        except requests.exceptions.RequestException as exc:
            raise VaultError("%s: %s; check that Vault runs at %s" % (what, exc, self.url))
        return reply.json() if reply.content else {}

    def stream(self, path, what, chunk_size=1 << 20):
        """GET ``path`` as a stream of byte chunks (a raft snapshot); the request is retried, the stream is not:
        a server that goes away mid-stream raises VaultError, and the caller drops what it wrote."""
        headers = {"X-Vault-Token": self.token} if self.token else {}
        try:
            reply = _http.send(self.session, "GET", self.url + "/v1/" + path.lstrip("/"), what, _RETRY_STATUSES,
                               on_retry=self.on_retry, on_attempt=lambda: self._count("GET"), ok=(200,),
                               headers=headers, timeout=self.timeout, stream=True)
        except HTTPStatus as exc:
            raise VaultError("%s: HTTP %s: %s" % (what, exc.status, _errors(exc.body)), exc.status)
        except requests.exceptions.RequestException as exc:
            raise VaultError("%s: %s; check that Vault runs at %s" % (what, exc, self.url))
        try:
            yield from reply.iter_content(chunk_size)
        except requests.exceptions.RequestException as exc:
            raise VaultError("%s: the server stopped answering mid-stream (%s)" % (what, exc))
        finally:
            reply.close()

    def upload(self, path, what, data):
        """POST raw bytes (a raft snapshot to restore); retried like every call."""
        headers = {"Content-Type": "application/octet-stream"}
        if self.token:
            headers["X-Vault-Token"] = self.token
        try:
            _http.send(self.session, "POST", self.url + "/v1/" + path.lstrip("/"), what, _RETRY_STATUSES,
                       on_retry=self.on_retry, on_attempt=lambda: self._count("POST"), ok=(200, 204), data=data,
                       headers=headers, timeout=max(self.timeout, 300))
        except HTTPStatus as exc:
            raise VaultError("%s: HTTP %s: %s" % (what, exc.status, _errors(exc.body)), exc.status)
        except requests.exceptions.RequestException as exc:
            raise VaultError("%s: %s; check that Vault runs at %s" % (what, exc, self.url))

    def seal_status(self):
        return self.call("GET", "sys/seal-status", "read the seal status of %s" % self.url)

    def init_status(self):
        return self.call("GET", "sys/init", "read the init status of %s" % self.url)["initialized"]

    def wait_active(self, timeout=30.0):
        """After unseal, a raft node needs a moment to become leader before it accepts writes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                leader = self.call("GET", "sys/leader", "read the leader of %s" % self.url)
            except VaultError:
                leader = {}
            if leader.get("is_self") or leader.get("ha_enabled") is False:
                return True
            time.sleep(0.2)
        raise VaultError("%s is unsealed but did not become active in %ds; see its log" % (self.url, timeout))


def _errors(body):
    try:
        return "; ".join(json.loads(body).get("errors") or []) or body
    except (TypeError, ValueError, AttributeError):
        return (body or "").strip()[:300]
