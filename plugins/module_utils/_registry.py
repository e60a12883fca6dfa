# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One client for OCI registries (Distribution API v2): a tag's manifest digest, and an image copied by digest.

For internal collection use only. Anonymous, basic (ECR's ``AWS:<token>``) or bearer-token auth (the token flow
Harbor, Nexus and Distribution use: a 401 names the realm, the token is fetched with the credentials, per
repository and actions), the CA given explicitly, retries of the collection's policy. Blobs pass through a temporary
file, checked against their digest, never whole in memory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import json
import os
import re
import shutil
import tempfile

from ansible_collections.krci.platform.plugins.module_utils import _http
from ansible_collections.krci.platform.plugins.module_utils._retry import RETRYABLE_STATUS, RetryExhausted

INDEX_TYPES = ("application/vnd.oci.image.index.v1+json",
               "application/vnd.docker.distribution.manifest.list.v2+json")
IMAGE_TYPES = ("application/vnd.oci.image.manifest.v1+json",
               "application/vnd.docker.distribution.manifest.v2+json")
MANIFEST_TYPES = ", ".join(INDEX_TYPES + IMAGE_TYPES)
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
CHUNK = 1 << 20


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
        self.tokens = {}  # scope -> bearer token
        self.calls = []  # "METHOD path" of every request, for the task's report

    def _request(self, method, url, what, headers=None, auth=None, ok=(200, 401, 404), attempts=6, **kwargs):
        try:
            return _http.send(self.session, method, url, what, RETRYABLE_STATUS, on_retry=self.on_retry,
                              ok=ok, deadline=30.0, headers=headers, auth=auth, timeout=self.timeout,
                              attempts=attempts, **kwargs)
        except (_http.HTTPStatus, RetryExhausted) as exc:
            raise RegistryError("%s: registry %s answered %s; check that it is up and that the credentials "
                                "may %s" % (what, self.host, exc, "push" if method in ("POST", "PUT", "PATCH")
                                            else "pull"))
        except Exception as exc:  # pylint: disable=broad-except
            if _http.HAS_REQUESTS and _http.is_transport_error(exc):
                raise RegistryError("%s: registry %s is not reachable (%s); bring it back and run again (a copy "
                                    "goes on from what is there), or give the digest" % (what, self.host, exc))
            raise

    def _bearer(self, challenge, repository, actions, what):
        params = {"scope": challenge.get("scope") or "repository:%s:%s" % (repository, actions)}
        if challenge.get("service"):
            params["service"] = challenge["service"]
        url = challenge.get("realm")
        if not url:
            raise RegistryError("%s: registry %s asked for a token without naming its realm" % (what, self.host))
        reply = self._request("GET", url + ("&" if "?" in url else "?") + "&".join(
            "%s=%s" % (k, v) for k, v in sorted(params.items())), what + " (token)", auth=self.auth)
        if reply.status_code != 200:
            raise RegistryError("%s: registry %s refused a %s token (HTTP %s): check the registry's username and "
                                "password" % (what, self.host, actions, reply.status_code))
        body = reply.json()
        return body.get("token") or body.get("access_token")

    def _call(self, method, repository, path, what, actions="pull", headers=None, ok=(200, 404), **kwargs):
        """One request to /v2/<repository>/<path>, authenticated as the registry asks (basic or a bearer token for
        ``repository:<repository>:<actions>``); a 401 after that is an error naming the credentials."""
        url = path if path.startswith("https://") else "%s/v2/%s/%s" % (self.base, repository, path)
        scope = "%s:%s" % (repository, actions)
        headers = dict(headers or {})
        self.calls.append("%s %s" % (method, url.replace(self.base, "", 1).split("?", 1)[0]))
        for _attempt in range(2):
            token = self.tokens.get(scope)
            if token:
                headers["Authorization"] = "Bearer " + token
            reply = self._request(method, url, what, headers=headers, auth=None if token else self.auth,
                                  ok=tuple(ok) + (401,), **kwargs)
            if reply.status_code != 401:
                return reply
            challenge = _challenge(reply.headers.get("WWW-Authenticate"))
            if challenge is None or token:
                break
            self.tokens[scope] = self._bearer(challenge, repository, actions, what)
            if hasattr(kwargs.get("data"), "seek"):
                kwargs["data"].seek(0)  # a file sent with the refused request is sent again from its start
        raise RegistryError("%s: registry %s refused the credentials (HTTP 401): check its username and password "
                            "(an ECR token is valid for 12 hours)" % (what, self.host))

    def digest(self, repository, tag):
        """The manifest digest (sha256:...) the tag points at; RegistryError when absent or unreadable."""
        what = "resolve %s/%s:%s" % (self.host, repository, tag)
        digest = self.manifest_digest(repository, tag, what)
        if digest is None:
            raise RegistryError("%s: no such tag in the registry (HTTP 404): push the image first, or check the "
                                "application's image and the version" % what)
        return digest

    def manifest_digest(self, repository, reference, what=None):
        """The digest of the manifest ``reference`` (a tag or a digest) names, or None when there is none."""
        what = what or "read %s/%s:%s" % (self.host, repository, reference)
        reply = self._call("HEAD", repository, "manifests/%s" % reference, what, headers={"Accept": MANIFEST_TYPES})
        if reply.status_code == 404:
            return None
        digest = reply.headers.get("Docker-Content-Digest")
        if not digest:
            return self.manifest(repository, reference, what)[2]
        return digest

    def manifest(self, repository, reference, what=None):
        """(bytes, media type, digest) of the manifest ``reference`` names; RegistryError when absent."""
        what = what or "read %s/%s@%s" % (self.host, repository, reference)
        reply = self._call("GET", repository, "manifests/%s" % reference, what, headers={"Accept": MANIFEST_TYPES})
        if reply.status_code == 404:
            raise RegistryError("%s: no such manifest in the registry (HTTP 404)" % what)
        body = reply.content
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        if DIGEST.match(reference) and digest != reference:
            raise RegistryError("%s: the registry served a manifest whose digest is %s" % (what, digest))
        media_type = (reply.headers.get("Content-Type") or "").split(";")[0].strip()
        try:
            media_type = json.loads(body.decode("utf-8")).get("mediaType") or media_type
        except ValueError:
            raise RegistryError("%s: the manifest is not JSON" % what)
        return body, media_type, digest

    def has_blob(self, repository, digest):
        reply = self._call("HEAD", repository, "blobs/%s" % digest, "read %s/%s@%s" % (self.host, repository, digest))
        return reply.status_code == 200

    def fetch_blob(self, repository, digest, directory):
        """The blob, downloaded into a file of ``directory`` and checked against its digest; (path, size)."""
        what = "pull %s/%s@%s" % (self.host, repository, digest)
        reply = self._call("GET", repository, "blobs/%s" % digest, what, stream=True)
        if reply.status_code == 404:
            raise RegistryError("%s: no such blob in the registry (HTTP 404)" % what)
        path, checksum, size = os.path.join(directory, digest.replace(":", "-")), hashlib.sha256(), 0
        with open(path, "wb") as out:
            for chunk in reply.iter_content(CHUNK):
                checksum.update(chunk)
                size += len(chunk)
                out.write(chunk)
        if "sha256:" + checksum.hexdigest() != digest:
            raise RegistryError("%s: the blob downloaded has digest sha256:%s (a cut transfer or a corrupt registry);"
                                " nothing of it was pushed" % (what, checksum.hexdigest()))
        return path, size

    def push_blob(self, repository, digest, path, size):
        """Upload a blob (POST, PATCH the content, PUT ?digest=, the flow ECR and Distribution accept); a failed
        upload is started again, at most three times."""
        what = "push %s/%s@%s" % (self.host, repository, digest)
        last = None
        for _attempt in range(3):
            try:
                start = self._call("POST", repository, "blobs/uploads/", what, actions="pull,push", ok=(202,),
                                   headers={"Content-Length": "0"})
                location = self._absolute(start.headers.get("Location"), what)
                headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
                if size:
                    headers["Content-Range"] = "0-%d" % (size - 1)
                with open(path, "rb") as content:
                    patched = self._call("PATCH", repository, location, what, actions="pull,push", ok=(202,),
                                         data=content, attempts=1, headers=headers)
                location = self._absolute(patched.headers.get("Location"), what)
                self._call("PUT", repository, location + ("&" if "?" in location else "?") + "digest=" + digest, what,
                           actions="pull,push", ok=(201,), attempts=1, headers={"Content-Length": "0"})
                return
            except RegistryError as exc:
                last = exc
        raise last

    def _absolute(self, location, what):
        if not location:
            raise RegistryError("%s: registry %s answered an upload without a Location" % (what, self.host))
        return location if location.startswith("https://") else self.base + location

    def put_manifest(self, repository, reference, body, media_type):
        what = "push %s/%s:%s" % (self.host, repository, reference)
        self._call("PUT", repository, "manifests/%s" % reference, what, actions="pull,push", ok=(201,),
                   data=body, headers={"Content-Type": media_type})


def manifest_children(body, media_type):
    """(child manifests [digest], blobs [digest]) a manifest references: an index's manifests, an image's config and
    layers (non-distributable layers, which live elsewhere, excluded)."""
    document = json.loads(body.decode("utf-8"))
    if media_type in INDEX_TYPES or "manifests" in document:
        return [m["digest"] for m in document.get("manifests") or []], []
    blobs = [document["config"]["digest"]] if document.get("config") else []
    blobs += [layer["digest"] for layer in document.get("layers") or [] if not layer.get("urls")]
    return [], blobs


def copy_image(source, source_repository, target, target_repository, digest, tags, check_mode=False):
    """Copy the image ``digest`` (an index with its images, or one image) and its blobs from ``source`` to ``target``
    (``Registry``s) unless there, then point ``tags`` at it in the target. The manifests' bytes are copied as they
    are, so the target's digest is the source's. A tag of the target that points at another digest is refused before
    anything is written. Returns {manifests, blobs, bytes, tags}: what was (in check mode: would be) copied."""
    for tag in tags:
        there = target.manifest_digest(target_repository, tag)
        if there not in (None, digest):
            raise RegistryError("copy to %s/%s:%s: that tag already points at %s, not at %s; a promoted tag never "
                                "moves: give the version its own tag" % (target.host, target_repository, tag,
                                                                         there, digest))
    report = {"manifests": [], "blobs": [], "bytes": 0, "tags": []}
    directory = tempfile.mkdtemp(prefix="krci-image-copy-")
    try:
        _copy_manifest(source, source_repository, target, target_repository, digest, report, directory, check_mode)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    top = None
    for tag in tags:
        if target.manifest_digest(target_repository, tag) == digest:
            continue
        report["tags"].append(tag)
        if not check_mode:
            top = top or source.manifest(source_repository, digest)
            target.put_manifest(target_repository, tag, top[0], top[1])
    return report


def _copy_manifest(source, source_repository, target, target_repository, digest, report, directory, check_mode):
    """An index's images first, then a manifest's blobs, then the manifest itself (by digest): a registry accepts a
    manifest only once what it references is there."""
    if target.manifest_digest(target_repository, digest) == digest:
        return
    body, media_type, _digest = source.manifest(source_repository, digest)
    children, blobs = manifest_children(body, media_type)
    for child in children:
        _copy_manifest(source, source_repository, target, target_repository, child, report, directory, check_mode)
    for blob in blobs:
        if blob in report["blobs"] or target.has_blob(target_repository, blob):
            continue
        report["blobs"].append(blob)
        if check_mode:
            continue
        path, size = source.fetch_blob(source_repository, blob, directory)
        try:
            target.push_blob(target_repository, blob, path, size)
        finally:
            os.remove(path)
        report["bytes"] += size
    report["manifests"].append(digest)
    if not check_mode:
        target.put_manifest(target_repository, digest, body, media_type)
