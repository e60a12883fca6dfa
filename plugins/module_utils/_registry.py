# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One client for OCI registries (Distribution API v2): a tag's manifest digest.

For internal collection use only. Anonymous, basic or bearer-token auth (the token flow Harbor,
Nexus, ECR and Distribution use: a 401 names the realm, the token is fetched with the credentials),
the CA given explicitly, retries of the collection's policy.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import re

from ansible_collections.krci.platform.plugins.module_utils import _http
from ansible_collections.krci.platform.plugins.module_utils._retry import RETRYABLE_STATUS, RetryExhausted

MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])


class RegistryError(Exception):
    """The registry could not say what a tag is; the message names the registry, the cause and the fix."""


def _challenge(header):
    """{realm, service, scope} of a ``WWW-Authenticate: Bearer ...`` header, or None."""
    if not header or not header.lower().startswith("bearer "):
        return None
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


class Registry(object):
    def __init__(self, host, username=None, password=None, ca_file=None, on_retry=None, timeout=15):
        self.host = host
        self.base = "https://%s" % host
        self.auth = (username, password) if username else None
        self.session = _http.new_session(ca_file or True)
        self.on_retry = on_retry
        self.timeout = timeout
        self.token = None

    def _request(self, method, url, what, headers=None, auth=None):
        try:
            return _http.send(self.session, method, url, what, RETRYABLE_STATUS, on_retry=self.on_retry,
                              ok=(200, 401, 404), deadline=30.0, headers=headers, auth=auth, timeout=self.timeout)
        except (_http.HTTPStatus, RetryExhausted) as exc:
            raise RegistryError("%s: registry %s answered %s; check that it is up and that the credentials "
                                "may pull" % (what, self.host, exc))
        except Exception as exc:  # pylint: disable=broad-except
            if _http.HAS_REQUESTS and _http.is_transport_error(exc):
                raise RegistryError("%s: registry %s is not reachable (%s); nothing was changed: bring it back or "
                                    "give the digest" % (what, self.host, exc))
            raise

    def _bearer(self, challenge, repository, what):
        params = {"scope": challenge.get("scope") or "repository:%s:pull" % repository}
        if challenge.get("service"):
            params["service"] = challenge["service"]
        url = challenge.get("realm")
        if not url:
            raise RegistryError("%s: registry %s asked for a token without naming its realm" % (what, self.host))
        reply = self._request("GET", url + ("&" if "?" in url else "?") + "&".join(
            "%s=%s" % (k, v) for k, v in sorted(params.items())), what + " (token)", auth=self.auth)
        if reply.status_code != 200:
            raise RegistryError("%s: registry %s refused a pull token (HTTP %s): check registry_username and "
                                "registry_password" % (what, self.host, reply.status_code))
        body = reply.json()
        return body.get("token") or body.get("access_token")

    def digest(self, repository, tag):
        """The manifest digest (sha256:...) the tag points at; RegistryError when absent or unreadable."""
        what = "resolve %s/%s:%s" % (self.host, repository, tag)
        url = "%s/v2/%s/manifests/%s" % (self.base, repository, tag)
        headers = {"Accept": MANIFEST_TYPES}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        reply = self._request("HEAD", url, what, headers=headers, auth=None if self.token else self.auth)
        if reply.status_code == 401:
            challenge = _challenge(reply.headers.get("WWW-Authenticate"))
            if challenge is None:
                raise RegistryError("%s: registry %s refused the credentials (HTTP 401): check registry_username "
                                    "and registry_password" % (what, self.host))
            self.token = self._bearer(challenge, repository, what)
            headers["Authorization"] = "Bearer " + self.token
            reply = self._request("HEAD", url, what, headers=headers)
        if reply.status_code == 404:
            raise RegistryError("%s: no such tag in the registry (HTTP 404): push the image first, or check the "
                                "application's image and the version" % what)
        if reply.status_code != 200:
            raise RegistryError("%s: registry %s answered HTTP %s" % (what, self.host, reply.status_code))
        digest = reply.headers.get("Docker-Content-Digest")
        if not digest:
            body = self._request("GET", url, what, headers=headers)
            digest = "sha256:" + hashlib.sha256(body.content).hexdigest()
        return digest
