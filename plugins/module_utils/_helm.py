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
import os

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
    return summary_state(release_summary(release), version, values)


# Readiness is read from these kinds only (as _kube.READINESS_KINDS).
_READINESS_KINDS = ("CustomResourceDefinition", "Deployment", "StatefulSet", "DaemonSet", "Job")


def skeleton(obj):
    """What readiness needs of an object: its kind, name and namespace; for a CRD its group, kind and versions."""
    meta = obj.get("metadata") or {}
    result = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
              "metadata": dict((k, meta[k]) for k in ("name", "namespace") if meta.get(k))}
    if obj.get("kind") == "CustomResourceDefinition":
        spec = obj.get("spec") or {}
        result["spec"] = {"group": spec.get("group"), "names": {"kind": (spec.get("names") or {}).get("kind")},
                          "versions": [{"name": v.get("name"), "served": v.get("served", True)}
                                       for v in spec.get("versions") or []]}
    return result


def config_digest(values):
    """A digest of user-supplied values (a release record's ``config``), so that no value is kept on disk."""
    import hashlib  # pylint: disable=import-outside-toplevel

    return hashlib.sha256(json.dumps(values or {}, sort_keys=True, separators=(",", ":"),
                                     default=str).encode("utf-8")).hexdigest()


def release_summary(release, load_all=None):
    """What the readiness check needs of a release record: chart, status, a digest of its values and (with
    ``load_all``) the skeletons of the objects whose readiness is read. Holds no value of the release."""
    meta = (release.get("chart") or {}).get("metadata") or {}
    return {"revision": release.get("version"), "status": (release.get("info") or {}).get("status"),
            "chart_name": meta.get("name"), "chart_version": meta.get("version"),
            "config_digest": config_digest(release.get("config")),
            "objects": [skeleton(o) for o in release_objects(release, load_all) if o.get("kind") in _READINESS_KINDS]
            if load_all else []}


def summary_state(summary, version=None, values=None):
    """The state of a release_summary() against the chart version and values wanted (see release_state)."""
    state = {"found": True, "revision": summary.get("revision"), "status": summary.get("status"),
             "chart": "%s-%s" % (summary.get("chart_name"), summary.get("chart_version"))}
    state["chart_current"] = version is None or _bare_version(summary.get("chart_version")) == _bare_version(version)
    reasons = []
    if not state["chart_current"]:
        reasons.append("chart %s, wanted %s" % (summary.get("chart_version"), version))
    if state["status"] != "deployed":
        reasons.append("status %s" % state["status"])
    if values is not None and summary.get("config_digest") != config_digest(_plain(values)):
        reasons.append("its values differ")
    state["current"] = not reasons
    state["reason"] = "; ".join(reasons) or "current"
    return state


# Summaries of release records (chart, status, a digest of the values, what to check), by the record
# Secret's uid and resourceVersion: a converged cluster's records are not read and decoded again.
SUMMARY_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "krci-platform", "helm-releases")


class SummaryCache:
    """Release summaries on the controller, by the release Secret's uid and resourceVersion: a revision's
    record never changes without a new resourceVersion, so a cached summary is that record's. Files are
    private (0600); a cache that cannot be read or written is skipped."""

    def __init__(self, directory):
        self.directory = directory

    def _path(self, secret_meta):
        import hashlib  # pylint: disable=import-outside-toplevel

        key = "%s\0%s\0%s" % (secret_meta.get("uid"), secret_meta.get("name"), secret_meta.get("resourceVersion"))
        return os.path.join(self.directory, hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + ".json")

    def get(self, secret_meta):
        if not secret_meta.get("uid") or not secret_meta.get("resourceVersion"):
            return None
        try:
            with open(self._path(secret_meta)) as handle:
                return json.load(handle)
        except (OSError, IOError, ValueError):
            return None

    def put(self, secret_meta, summary):
        import tempfile  # pylint: disable=import-outside-toplevel

        if not secret_meta.get("uid") or not secret_meta.get("resourceVersion"):
            return
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(handle, "w") as out:
                json.dump(summary, out)
            os.replace(temporary, self._path(secret_meta))
        except (OSError, IOError, TypeError, ValueError):
            pass
