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


def _bare_version(version):
    return str(version or "").lstrip("v")


def _plain(values):
    """Values as JSON has them (what Helm stored), None and {} alike."""
    return json.loads(json.dumps(values or {}, sort_keys=True))


def release_state(release, version=None, values=None):
    """What the latest revision of a release is, against what is wanted.

    ``chart_current``: the chart is at ``version`` (a leading v ignored); ``current``: that, the
    revision is ``deployed``, and its user-supplied values (``config``, what ``helm get values``
    shows) equal ``values``. ``reason`` says why not, for the log.
    """
    meta = (release.get("chart") or {}).get("metadata") or {}
    status = (release.get("info") or {}).get("status")
    state = {"found": True, "revision": release.get("version"), "status": status,
             "chart": "%s-%s" % (meta.get("name"), meta.get("version"))}
    state["chart_current"] = version is None or _bare_version(meta.get("version")) == _bare_version(version)
    reasons = []
    if not state["chart_current"]:
        reasons.append("chart %s, wanted %s" % (meta.get("version"), version))
    if status != "deployed":
        reasons.append("status %s" % status)
    if values is not None and _plain(release.get("config")) != _plain(values):
        reasons.append("its values differ")
    state["current"] = not reasons
    state["reason"] = "; ".join(reasons) or "current"
    return state
