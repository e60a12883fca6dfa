# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what a Helm 3 release installed, from the release Secret Helm keeps in the cluster.

For internal collection use only.

Helm stores each revision as Secret ``sh.helm.release.v1.<release>.v<revision>`` (type
``helm.sh/release.v1``) whose ``release`` key is base64 of gzip of the release as JSON. The JSON
holds the rendered ``manifest`` and the chart, whose ``files`` include the ``crds/`` directory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import gzip
import json

_GZIP_MAGIC = b"\x1f\x8b\x08"


class HelmReleaseError(Exception):
    """A release cannot be read; the message says which and why."""


def decode_release(encoded):
    """The release dict from the Secret's ``release`` value (as the API returns it: base64 text)."""
    try:
        raw = base64.b64decode(base64.b64decode(encoded))
        if raw[:3] == _GZIP_MAGIC:
            raw = gzip.decompress(raw)
        return json.loads(raw.decode("utf-8"))
    except (ValueError, TypeError, OSError) as exc:
        raise HelmReleaseError("cannot decode the Helm release record: %s" % exc)


def latest_revision(secrets):
    """The Secret of the highest revision among a release's Secrets (``items`` of a list call)."""
    best = None
    for secret in secrets:
        labels = (secret.get("metadata") or {}).get("labels") or {}
        try:
            revision = int(labels.get("version", "0"))
        except ValueError:
            continue
        if best is None or revision > best[0]:
            best = (revision, secret)
    return best[1] if best else None


def release_objects(release, load_all):
    """Every object the release installed: its chart's CRDs, then the rendered templates.

    ``load_all`` parses a multi-document YAML string (yaml.safe_load_all). Namespaced objects
    without a namespace are placed in the release's namespace, as Helm does.
    """
    namespace = release.get("namespace")
    objects = []
    chart = release.get("chart") or {}
    for item in sorted(chart.get("files") or [], key=lambda f: f.get("name", "")):
        name = item.get("name", "")
        if not name.startswith("crds/") or not name.endswith((".yaml", ".yml", ".json")):
            continue
        text = base64.b64decode(item.get("data") or "").decode("utf-8")
        objects.extend(doc for doc in load_all(text) if isinstance(doc, dict) and doc.get("kind"))
    for doc in load_all(release.get("manifest") or ""):
        if isinstance(doc, dict) and doc.get("kind"):
            meta = doc.setdefault("metadata", {})
            if doc["kind"] not in _CLUSTER_KINDS and not meta.get("namespace"):
                meta["namespace"] = namespace
            objects.append(doc)
    return objects


# Kinds a chart commonly renders that are cluster-scoped (the rest are placed in the release namespace;
# only the readiness kinds matter to the callers, and those are all namespaced but CRDs).
_CLUSTER_KINDS = ("CustomResourceDefinition", "Namespace", "ClusterRole", "ClusterRoleBinding",
                  "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "PriorityClass",
                  "StorageClass", "IngressClass", "APIService", "PersistentVolume")
