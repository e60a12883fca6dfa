# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes client and bulk server-side apply with truthful check mode and diff.

For internal collection use only.

The contract (read, compare, write only the difference): for each object, GET the live object,
server-side apply it as a dry run, compare the two without server-owned fields; only when they
differ, and not in check mode, send the real apply. A converged cluster therefore sees no write.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import hashlib
import json
import os
import re
import tempfile
import time

from ansible_collections.krci.platform.plugins.module_utils import _flavour
from ansible_collections.krci.platform.plugins.module_utils._changes import ChangeSet
from ansible_collections.krci.platform.plugins.module_utils._retry import call_with_retry

from ansible_collections.krci.platform.plugins.module_utils._kube_client import (  # noqa: F401  pylint: disable=unused-import
    HAS_DEPS, IMPORT_ERROR, ApiClient, ApiError, KubeConfigError, NotFoundError, ResourceNotFoundError, load_connection)

try:
    import urllib3
except ImportError:  # pragma: no cover - reported by the module through HAS_DEPS
    pass

# Fields the server owns: never part of what we compare.
_SERVER_METADATA = ("managedFields", "resourceVersion", "generation", "creationTimestamp", "uid", "selfLink")
_MASK = "********"


class KubeError(Exception):
    """A Kubernetes operation failed; the message names the action, the object, the cause and the fix."""


class KindNotServed(KubeError):
    """The API server does not serve a kind (its CustomResourceDefinition is not installed)."""


def _status_of(exc):
    return getattr(exc, "status", None)


def _is_connection_error(exc):
    if not HAS_DEPS:
        return False
    return isinstance(exc, (urllib3.exceptions.HTTPError, ConnectionError, OSError))


class KubeClient:
    """The API client of one kubeconfig/context, with one retry policy for every call."""

    def __init__(self, kubeconfig, context=None, on_retry=None):
        self.kubeconfig = kubeconfig
        self.context = context or None
        self.on_retry = on_retry
        try:
            self.api = ApiClient(load_connection(kubeconfig, self.context), max_connections=PARALLEL_READS)
        except (KubeConfigError, ValueError, OSError, ssl_error()) as exc:
            raise KubeError("load kubeconfig %s (context %s): %s; check the path and the context name"
                            % (kubeconfig, self.context or "current", exc))
        self.api_url = self.api.api_url

    def server_version(self):
        """The API server's /version document (gitVersion, major, minor, platform, ...); no discovery."""
        try:
            return self._retry("read the version of %s" % self.api_url, lambda: self.api.request("GET", "/version"))
        except Exception as exc:  # pylint: disable=broad-except
            raise KubeError("connect to %s: %s; check that the API server runs and the kubeconfig's credentials"
                            % (self.api_url, _reason(exc)))

    def flavour_evidence(self):
        """What tells OpenShift from plain Kubernetes (_flavour.evidence): the Route API, the config.openshift.io
        resources, and the ClusterVersion and cluster Ingress objects when this identity may read them."""
        def optional(path):
            try:
                return self._retry("read %s of %s" % (path, self.api_url), lambda: self.api.request("GET", path))
            except NotFoundError:
                return None
            except ApiError as exc:
                if exc.status in (401, 403):
                    return None
                raise KubeError("read %s of %s: %s" % (path, self.api_url, _reason(exc)))
            except Exception as exc:  # pylint: disable=broad-except
                raise KubeError("read %s of %s: %s" % (path, self.api_url, _reason(exc)))
        route_api = optional(_flavour.ROUTE_API)
        config = optional(_flavour.CONFIG_API) or {}
        resources = [r.get("name") for r in config.get("resources") or []]
        cluster_version = optional(_flavour.CLUSTER_VERSION) if "clusterversions" in resources else None
        ingress = optional(_flavour.CLUSTER_INGRESS) if "ingresses" in resources else None
        return _flavour.evidence(route_api is not None, resources, cluster_version, ingress)

    def _retry(self, what, func):
        return call_with_retry(what, func, _status_of, _is_connection_error, on_retry=self.on_retry)

    def resource(self, api_version, kind, wait_seconds=0):
        """The API resource of a kind; ``wait_seconds`` waits for a CRD applied just before to be served."""
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                return self._retry("discover %s on %s" % (api_version, self.api_url),
                                   lambda: self.api.resource(api_version, kind))
            except ResourceNotFoundError:
                if time.monotonic() >= deadline:
                    raise KindNotServed("%s %s is not served by %s; install its CustomResourceDefinition first"
                                        % (api_version, kind, self.api_url))
                time.sleep(1)
                self.api.forget(api_version)
            except KubeError:
                raise
            except Exception as exc:  # pylint: disable=broad-except
                raise KubeError("connect to %s: %s; check that the API server runs and the kubeconfig's credentials"
                                % (self.api_url, _reason(exc)))

    def serves(self, api_version, kind):
        """Whether the API server serves this kind now (asked again after a no)."""
        try:
            self.resource(api_version, kind)
            return True
        except KindNotServed:
            self.api.forget(api_version)
            return False

    def get(self, resource, name, namespace):
        """The object as a dict, or None when it does not exist."""
        try:
            return self._retry("read %s/%s" % (resource.kind, name),
                               lambda: self.api.request("GET", resource.path(name, namespace)))
        except NotFoundError:
            return None

    def merge_patch(self, resource, name, namespace, patch):
        """A JSON merge patch of one object; the patched object."""
        return self._retry("patch %s/%s" % (resource.kind, name),
                           lambda: self.api.request("PATCH", resource.path(name, namespace), body=patch,
                                                    content_type="application/merge-patch+json"))

    def delete(self, resource, name, namespace):
        """Delete one object; False when it was already gone."""
        try:
            self._retry("delete %s/%s" % (resource.kind, name),
                        lambda: self.api.request("DELETE", resource.path(name, namespace)))
            return True
        except NotFoundError:
            return False

    def list(self, resource, namespace, label_selector):
        """The items (dicts) of a list call."""
        reply = self._retry("list %s in %s" % (resource.kind, namespace),
                            lambda: self.api.request("GET", resource.path(None, namespace),
                                                     query={"labelSelector": label_selector or None}))
        return (reply or {}).get("items") or []

    def list_metadata(self, resource, namespace, label_selector):
        """The items of a list call as metadata only (PartialObjectMetadataList): names and labels of
        objects whose bodies are big (Helm's release Secrets), without transferring the bodies."""
        accept = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"
        reply = self._retry("list %s in %s" % (resource.kind, namespace),
                            lambda: self.api.request("GET", resource.path(None, namespace),
                                                     query={"labelSelector": label_selector or None},
                                                     headers={"Accept": accept}))
        return (reply or {}).get("items") or []

    def review(self, api_version, kind, spec):
        """The status of a review object (SubjectAccessReview, SelfSubjectReview, ...): created, never stored."""
        resource = self.resource(api_version, kind)
        body = {"apiVersion": api_version, "kind": kind}
        if spec is not None:
            body["spec"] = spec
        try:
            reply = self._retry("create a %s on %s" % (kind, self.api_url),
                                lambda: self.api.request("POST", resource.path(), body=body))
        except Exception as exc:  # pylint: disable=broad-except
            raise KubeError("create a %s on %s: %s; the kubeconfig's user needs create on %s"
                            % (kind, self.api_url, _reason(exc), resource.name))
        return (reply or {}).get("status") or {}

    def request_token(self, namespace, name, audiences, expiration_seconds):
        """(token, expirationTimestamp) from the TokenRequest API; nothing is stored in the cluster."""
        accounts = self.resource("v1", "ServiceAccount")
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "spec": {"audiences": audiences or None, "expirationSeconds": expiration_seconds}}
        path = accounts.path(name=name, namespace=namespace) + "/token"
        try:
            reply = self._retry("request a token for ServiceAccount %s/%s" % (namespace, name),
                                lambda: self.api.request("POST", path, body=body))
        except NotFoundError:
            raise KubeError("ServiceAccount %s/%s does not exist on %s; create it first" % (namespace, name, self.api_url))
        except Exception as exc:  # pylint: disable=broad-except
            raise KubeError("request a token for ServiceAccount %s/%s on %s: %s"
                            % (namespace, name, self.api_url, _reason(exc)))
        status = (reply or {}).get("status") or {}
        return status.get("token"), status.get("expirationTimestamp")

    def service_account_issuer(self):
        """(issuer, jwks) of the cluster's ServiceAccount tokens, from its OIDC discovery endpoints."""
        def get(path, accept):
            return self._retry("read %s of %s" % (path, self.api_url),
                               lambda: self.api.request("GET", path, headers={"Accept": accept}))
        try:
            discovery = get("/.well-known/openid-configuration", "application/json") or {}
            jwks = get("/openid/v1/jwks", "application/jwk-set+json, application/json")
        except Exception as exc:  # pylint: disable=broad-except
            raise KubeError("read the ServiceAccount issuer of %s: %s; the kubeconfig's user needs "
                            "system:service-account-issuer-discovery" % (self.api_url, _reason(exc)))
        return discovery.get("issuer"), jwks

    def apply(self, resource, body, field_manager, force_conflicts, dry_run):
        """Server-side apply of one object (a dry run with ``dry_run``); the object the server answers."""
        meta = body["metadata"]
        query = {"fieldManager": field_manager, "force": "true" if force_conflicts else None,
                 "dryRun": "All" if dry_run else None}
        path = resource.path(meta["name"], meta.get("namespace") if resource.namespaced else None)
        return self._retry("apply %s/%s" % (resource.kind, meta["name"]),
                           lambda: self.api.request("PATCH", path, body=body, query=query,
                                                    content_type="application/apply-patch+yaml"))


def ssl_error():
    import ssl  # pylint: disable=import-outside-toplevel

    return ssl.SSLError


def _reason(exc):
    body = getattr(exc, "body", None)
    if body:
        try:
            return "%s %s" % (getattr(exc, "status", ""), json.loads(body).get("message", body))
        except (ValueError, AttributeError, TypeError):
            return "%s %s" % (getattr(exc, "status", ""), body)
    return str(exc)


def normalize(obj):
    """The object without server-owned fields and status, for comparison and diff."""
    if obj is None:
        return None
    # Copies of the top level, metadata and annotations only (what is removed): a deep copy of a big
    # CRD costs more than the request that read it. The nested values are shared, never changed.
    obj = dict(obj)
    obj.pop("status", None)
    meta = obj["metadata"] = dict(obj.get("metadata") or {})
    for key in _SERVER_METADATA:
        meta.pop(key, None)
    annotations = dict(meta.get("annotations") or {})
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    return obj


def mask_secrets(obj):
    if obj and obj.get("kind") == "Secret":
        obj = copy.deepcopy(obj)
        for field in ("data", "stringData"):
            if obj.get(field):
                obj[field] = dict((k, _MASK) for k in obj[field])
    return obj


def object_ref(body):
    meta = body.get("metadata", {})
    name = meta.get("name")
    if meta.get("namespace"):
        return "%s %s/%s" % (body.get("kind"), meta["namespace"], name)
    return "%s %s" % (body.get("kind"), name)


def validate_definition(body, index):
    for field in ("apiVersion", "kind"):
        if not body.get(field):
            raise KubeError("definitions[%d]: %s is missing" % (index, field))
    if not (body.get("metadata") or {}).get("name"):
        raise KubeError("definitions[%d] (%s): metadata.name is missing" % (index, body.get("kind")))


def load_manifests(paths, exclude=None):
    """The objects of multi-document YAML (or JSON) files, in order; ``List`` kinds are flattened and the
    (kind, name) pairs of ``exclude`` left out. The C parser is used when PyYAML has it (big CRDs)."""
    import yaml  # pylint: disable=import-outside-toplevel

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    skip = set((item["kind"], item["name"]) for item in exclude or [])
    objects = []
    for path in paths:
        docs = _cached_documents(path)
        if docs is None:
            try:
                with open(path, "rb") as handle:
                    docs = list(yaml.load_all(handle, Loader=loader))
            except (IOError, OSError) as exc:
                raise KubeError("read %s: %s; check the path (it is read where the task runs)" % (path, exc))
            except yaml.YAMLError as exc:
                raise KubeError("parse %s: %s" % (path, exc))
            _cache_documents(path, docs)
        for doc in docs:
            if not doc:
                continue
            if not isinstance(doc, dict):
                raise KubeError("%s: a document is not an object (%s)" % (path, type(doc).__name__))
            items = doc.get("items") if str(doc.get("kind", "")).endswith("List") and "items" in doc else [doc]
            objects.extend(o for o in items or []
                           if (o.get("kind"), (o.get("metadata") or {}).get("name")) not in skip)
    return objects


# Reads and dry runs of one call go out this many at a time; writes stay in order, one by one.
PARALLEL_READS = 8


def _crd_kind(body):
    spec = body.get("spec") or {}
    return spec.get("group"), (spec.get("names") or {}).get("kind")


def _group_of(api_version):
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


# Every object this collection applies (but Secrets: their hash would be a hash of their values) carries, per
# field manager, the hash of the body that manager last applied. A live object that has that hash and every
# field of the body as given is already what a server-side apply of the body would leave: no dry run needed.
APPLIED = "krci.platform/applied"


def applied_key(field_manager):
    """The annotation of one field manager's stamp (objects several roles apply get one per role)."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", field_manager or "")
    if len(name) > 50:
        name = name[:41] + "-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return "%s-%s" % (APPLIED, name) if name else APPLIED


def stamped(body, field_manager=None):
    """The body to send: with the field manager's stamp, the hash of the body without it."""
    if body.get("kind") == "Secret":
        return body
    key = applied_key(field_manager)
    meta = dict(body.get("metadata") or {})
    annotations = dict(meta.get("annotations") or {})
    annotations.pop(key, None)
    meta["annotations"] = annotations
    plain = dict(body, metadata=dict(meta, annotations=annotations) if annotations else
                 dict((k, v) for k, v in meta.items() if k != "annotations"))
    digest = hashlib.sha256(json.dumps(plain, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8"))
    meta["annotations"] = dict(annotations, **{key: digest.hexdigest()[:24]})
    return dict(body, metadata=meta)


def contains(live, wanted):
    """Whether every field given in ``wanted`` has that value in ``live`` (lists item by item, same length;
    a null given matches an absent field)."""
    if isinstance(wanted, dict):
        return isinstance(live, dict) and all(
            (live.get(key) is None) if value is None else (key in live and contains(live[key], value))
            for key, value in wanted.items())
    if isinstance(wanted, list):
        return isinstance(live, list) and len(live) == len(wanted) and all(
            contains(have, want) for have, want in zip(live, wanted))
    return live == wanted and type(live) is type(wanted) or (
        isinstance(live, (int, float)) and isinstance(wanted, (int, float)) and not isinstance(live, bool)
        and not isinstance(wanted, bool) and live == wanted)


def already_applied(live, body, field_manager=None):
    """The field manager last applied this very body to the live object, and nobody changed a field of it."""
    key = applied_key(field_manager)
    annotation = ((body.get("metadata") or {}).get("annotations") or {}).get(key)
    return bool(annotation) and live is not None and \
        ((live.get("metadata") or {}).get("annotations") or {}).get(key) == annotation and contains(live, body)


def _predict(client, resource, body, field_manager, force_conflicts):
    """(live, predicted) of one object: a GET, and a server-side dry-run apply unless already_applied; no write."""
    meta = body["metadata"]
    existing = client.get(resource, meta["name"], meta.get("namespace") if resource.namespaced else None)
    if already_applied(existing, body, field_manager):
        return existing, existing
    return existing, client.apply(resource, body, field_manager, force_conflicts, dry_run=True)


def _predict_all(client, items, field_manager, force_conflicts):
    """Index -> (live, predicted) or the exception, for every item at once (reads and dry runs only).

    A converged cluster is answered entirely from here; whatever differs or failed is done again
    in order by the caller, after the writes before it."""
    from concurrent.futures import ThreadPoolExecutor  # pylint: disable=import-outside-toplevel

    def one(item):
        index, resource, body = item
        try:
            return index, _predict(client, resource, body, field_manager, force_conflicts)
        except Exception as exc:  # pylint: disable=broad-except
            return index, exc

    if len(items) < 2:
        return dict(one(item) for item in items)
    with ThreadPoolExecutor(max_workers=min(PARALLEL_READS, len(items))) as pool:
        return dict(pool.map(one, items))


MANIFEST_CACHE = os.path.join(os.path.expanduser("~"), ".cache", "krci-platform", "manifests")


def _cache_key(path):
    """The cache file of a manifest: by its path, size and modification time (a changed file is parsed again)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = "%s\0%d\0%d" % (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    return os.path.join(MANIFEST_CACHE, hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + ".json")


def _cached_documents(path):
    """The parsed documents of a manifest from the cache (JSON parses ten times faster than YAML), or None."""
    cache = _cache_key(path)
    if not cache or not os.path.isfile(cache):
        return None
    try:
        with open(cache) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _cache_documents(path, docs):
    """Keep the parsed documents for the next call; a cache that cannot be written is skipped."""
    cache = _cache_key(path)
    if not cache:
        return
    try:
        text = json.dumps(docs)
    except (TypeError, ValueError):
        return  # not JSON (a YAML timestamp, say): parsed again next time
    try:
        os.makedirs(MANIFEST_CACHE, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=MANIFEST_CACHE, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(temporary, cache)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def apply_all(client, definitions, field_manager, force_conflicts, check_mode, dump, default_namespace=None,
              live=None):
    """Apply every definition; return (changed, objects, diffs). ``dump`` renders an object as text.

    ``default_namespace``: where namespaced objects without one go (as ``kubectl apply -n``); set in place,
    so a later wait_ready() on the same definitions finds them.
    ``live``: a dict that receives object ref -> the live object of every unchanged one (wait_ready()
    takes it as its first look, so a converged call reads each object once).
    """
    for index, body in enumerate(definitions):
        validate_definition(body, index)
    changes = ChangeSet(dump, mask_secrets)
    # (group, kind) of the CRDs in this call: their objects may wait to be served.
    crd_kinds = set(_crd_kind(body) for body in definitions if body["kind"] == "CustomResourceDefinition")
    resources = []
    for body in definitions:
        if (_group_of(body["apiVersion"]), body["kind"]) in crd_kinds:
            resources.append(None)  # resolved in order below, after its CRD
            continue
        resource = client.resource(body["apiVersion"], body["kind"])
        if resource.namespaced and not body["metadata"].get("namespace"):
            if not default_namespace:
                raise KubeError("%s: metadata.namespace is missing for a namespaced kind" % object_ref(body))
            body["metadata"]["namespace"] = default_namespace
        resources.append(resource)
    sent = [stamped(body, field_manager) if resource else None for resource, body in zip(resources, definitions)]
    predictions = _predict_all(client, [(i, r, sent[i]) for i, r in enumerate(resources) if r],
                               field_manager, force_conflicts)
    created_crds = set()
    written = False
    for index, body in enumerate(definitions):
        ref = object_ref(body)
        resource = resources[index]
        if resource is None:
            group = _group_of(body["apiVersion"])
            try:
                resource = client.resource(body["apiVersion"], body["kind"],
                                           wait_seconds=60 if (group, body["kind"]) in created_crds else 0)
            except KubeError:
                if not check_mode:
                    raise
                # Check mode: the CRD is only predicted, so its objects are predicted as given.
                changes.record(ref, "created", None, body)
                continue
            if resource.namespaced and not body["metadata"].get("namespace"):
                if not default_namespace:
                    raise KubeError("%s: metadata.namespace is missing for a namespaced kind" % ref)
                body["metadata"]["namespace"] = default_namespace
                ref = object_ref(body)
        body = sent[index] or stamped(body, field_manager)
        prediction = predictions.get(index)
        try:
            if isinstance(prediction, tuple) and not written:
                existing, predicted = prediction
            else:
                # Not predicted yet, or a write of this call came before it (a namespace it goes to,
                # a CRD it is an object of): ask again now.
                existing = client.get(resource, body["metadata"]["name"],
                                      body["metadata"].get("namespace") if resource.namespaced else None)
                try:
                    predicted = existing if already_applied(existing, body, field_manager) else \
                        client.apply(resource, body, field_manager, force_conflicts, dry_run=True)
                except NotFoundError:
                    # Check mode on a fresh cluster: the namespace this object goes to is itself only
                    # predicted, so the server cannot dry-run it. The prediction is the object as given.
                    if not check_mode or existing is not None:
                        raise
                    predicted = body
            before, after = normalize(existing), normalize(predicted)
            if before == after:
                changes.record(ref, "unchanged")
                if live is not None:
                    live[ref] = existing
                continue
            if not check_mode:
                after = normalize(client.apply(resource, body, field_manager, force_conflicts, dry_run=False))
                written = True
        except KubeError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            status = _status_of(exc)
            hint = {409: "another field manager owns a field; set force_conflicts or remove the other manager",
                    403: "the kubeconfig's user may not do this; check its RBAC",
                    422: "the object is invalid; fix the definition"}.get(status, "check the object and the API server")
            raise KubeError("apply %s on %s: %s; %s" % (ref, client.api_url, _reason(exc), hint))
        action = "created" if existing is None else "updated"
        if body["kind"] == "CustomResourceDefinition":
            created_crds.add(_crd_kind(body))
        changes.record(ref, action, before, after)
    return changes.changed, changes.objects, changes.diffs


# Kinds a prune never deletes: a Namespace holds what other owners put there, a CRD's deletion deletes every object
# of its kind (Argo CD's Applications, say). A release that drops one leaves it; the result names it.
PRUNE_KEEPS = ("Namespace", "CustomResourceDefinition")
PRUNE_RECORD_KEY = "objects"


def record_entry(body):
    meta = body["metadata"]
    return [body["apiVersion"], body["kind"], meta.get("namespace") or "", meta["name"]]


def prune(client, record, definitions, field_manager, check_mode, dump):
    """Delete what the last apply recorded in ``record`` and ``definitions`` no longer contain, then record these.

    ``record``: {namespace, name} of a ConfigMap that lists what was applied (as ``kubectl apply --prune`` with an
    ApplySet). A release that drops an object leaves it behind without this. The first call only records (it cannot
    know what an earlier install left). Returns (changed, objects, diffs, kept): ``kept`` names the dropped objects
    of PRUNE_KEEPS kinds, which are left in place. Deletions come before the new record, so a failed run deletes
    them on the next one.
    """
    changes = ChangeSet(dump, mask_secrets)
    resource = client.resource("v1", "ConfigMap")
    live = client.get(resource, record["name"], record["namespace"])
    try:
        before = json.loads(((live or {}).get("data") or {}).get(PRUNE_RECORD_KEY) or "[]")
    except ValueError:
        raise KubeError("ConfigMap %s/%s: data.%s is not the JSON list this collection writes; delete the "
                        "ConfigMap (the next run records again)"
                        % (record["namespace"], record["name"], PRUNE_RECORD_KEY))
    now = sorted(record_entry(body) for body in definitions)
    wanted = set(tuple(entry) for entry in now)
    kept = []
    for entry in sorted(tuple(e) for e in before if isinstance(e, list) and len(e) == 4):
        if entry in wanted:
            continue
        api_version, kind, namespace, name = entry
        ref = object_ref({"kind": kind, "metadata": {"name": name, "namespace": namespace}})
        if kind in PRUNE_KEEPS:
            kept.append(ref)
            continue
        try:
            dropped = client.resource(api_version, kind)
        except KindNotServed:
            continue  # its kind is gone, and so is the object
        existing = client.get(dropped, name, namespace or None)
        if existing is None:
            continue
        if not check_mode:
            client.delete(dropped, name, namespace or None)
        changes.record(ref, "deleted", normalize(existing), None)
    body = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": record["name"], "namespace": record["namespace"],
                         "labels": {"app.kubernetes.io/managed-by": "krci.platform"}},
            "data": {PRUNE_RECORD_KEY: json.dumps(now, separators=(",", ":"))}}
    if ((live or {}).get("data") or {}).get(PRUNE_RECORD_KEY) != body["data"][PRUNE_RECORD_KEY]:
        if not check_mode:
            client.apply(resource, body, field_manager, True, dry_run=False)
        changes.record(object_ref(body), "created" if live is None else "updated",
                       {"data": (live or {}).get("data")} if live else None, {"data": body["data"]})
    return changes.changed, changes.objects, changes.diffs, kept


def jwks_to_pem(jwks):
    """PEM public keys of the RSA/EC keys in a JWKS document, in its order."""
    import base64  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives import serialization  # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.asymmetric import ec, rsa  # pylint: disable=import-outside-toplevel

    def number(value):
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")

    curves = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}
    keys = []
    for key in (jwks or {}).get("keys") or []:
        if key.get("kty") == "RSA":
            public = rsa.RSAPublicNumbers(number(key["e"]), number(key["n"])).public_key()
        elif key.get("kty") == "EC" and key.get("crv") in curves:
            public = ec.EllipticCurvePublicNumbers(number(key["x"]), number(key["y"]), curves[key["crv"]]).public_key()
        else:
            continue
        keys.append(public.public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode().strip())
    return keys


# --- readiness ----------------------------------------------------------------------------

def _condition(obj, kind):
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def not_ready_reason(obj):
    """None when the object is ready, else why not (one line). Kinds without readiness are ready."""
    kind = obj.get("kind")
    status = obj.get("status") or {}
    spec = obj.get("spec") or {}
    generation = (obj.get("metadata") or {}).get("generation")
    if generation and status.get("observedGeneration") is not None and status["observedGeneration"] < generation \
            and kind in ("Deployment", "StatefulSet", "DaemonSet"):
        return "the controller has not seen generation %s yet" % generation
    if kind == "Route":
        admitted = route_admission(obj)
        if admitted is None:
            return "not admitted by a router yet (no status.ingress for host %s)" % spec.get("host")
        if admitted.get("status") != "True":
            return "not admitted by the router: %s %s" % (admitted.get("reason") or "", admitted.get("message") or "")
        return None
    if kind == "ArgoCD" and str(obj.get("apiVersion", "")).startswith("argoproj.io/"):
        return argocd_not_ready(obj)
    if kind == "CustomResourceDefinition":
        cond = _condition(obj, "Established")
        if not cond or cond.get("status") != "True":
            return "not Established%s" % (": %s" % cond.get("message") if cond and cond.get("message") else "")
        return None
    if kind == "Deployment":
        cond = _condition(obj, "Available")
        wanted = spec.get("replicas", 1)
        if not cond or cond.get("status") != "True":
            return "not Available (%s/%s replicas available%s)" % (
                status.get("availableReplicas", 0), wanted, "; %s" % cond.get("message") if cond else "")
        # As 'kubectl rollout status': every replica updated, no old one left, every updated one available.
        updated = status.get("updatedReplicas", 0)
        if updated < wanted:
            return "rollout in progress (%s/%s replicas updated)" % (updated, wanted)
        if status.get("replicas", updated) > updated:
            return "rollout in progress (%s old replicas pending termination; new pods not available)" % (
                status["replicas"] - updated)
        if status.get("availableReplicas", 0) < updated:
            return "rollout in progress (%s/%s updated replicas available)" % (status.get("availableReplicas", 0), updated)
        return None
    if kind == "StatefulSet":
        wanted = spec.get("replicas", 1)
        # OnDelete: the controller replaces no pod by itself (OpenBao's are rolled one at a time, each unsealed), so
        # a changed template is not waited for; readiness is the pods'.
        on_delete = (spec.get("updateStrategy") or {}).get("type") == "OnDelete"
        if status.get("readyReplicas", 0) < wanted or (not on_delete and status.get("updatedReplicas", 0) < wanted):
            return "%s/%s replicas ready" % (status.get("readyReplicas", 0), wanted)
        return None
    if kind == "DaemonSet":
        wanted = status.get("desiredNumberScheduled", 0)
        if status.get("numberReady", 0) < wanted:
            return "%s/%s pods ready" % (status.get("numberReady", 0), wanted)
        return None
    if kind == "Job":
        cond = _condition(obj, "Complete")
        if not cond or cond.get("status") != "True":
            failed = _condition(obj, "Failed")
            return "not Complete%s" % ("; failed: %s" % failed.get("message") if failed else "")
        return None
    return None


READINESS_KINDS = ("CustomResourceDefinition", "Deployment", "StatefulSet", "DaemonSet", "Job", "Route", "ArgoCD")


def argocd_not_ready(argocd):
    """Why an Argo CD operator's ArgoCD resource is not ready (None when it is): its phase Available, every component
    Running, and, with a Route asked for, the router's admitted host equal to spec.server.host."""
    status = argocd.get("status") or {}
    server = (argocd.get("spec") or {}).get("server") or {}
    components = ", ".join("%s %s" % (key, status[key]) for key in ("applicationController", "repo", "redis", "server")
                           if status.get(key))
    if status.get("phase") != "Available":
        return "phase %s (%s)" % (status.get("phase") or "not reported yet: the GitOps operator has not reconciled it",
                                  components or "no component reported")
    wanted = server.get("host") if (server.get("route") or {}).get("enabled") else None
    if wanted and status.get("host") != wanted:
        return "its Route for %s is not admitted by a router yet (status.host %r)" % (wanted, status.get("host") or "")
    return None


def route_admission(route):
    """The Admitted condition of an OpenShift Route for its own host (status.ingress, one entry per router), or
    None while no router has looked at it."""
    host = (route.get("spec") or {}).get("host")
    for ingress in (route.get("status") or {}).get("ingress") or []:
        if host and ingress.get("host") not in (None, host):
            continue
        for cond in ingress.get("conditions") or []:
            if cond.get("type") == "Admitted":
                return cond
    return None


# What admission says when it refuses a workload's pods (OpenShift's SCC admission, Pod Security, a policy):
# waiting longer cannot help.
REFUSALS = ("unable to validate against any security context constraint", "violates PodSecurity",
            "denied request", "is forbidden")


REFUSAL_GRACE = 15

# Refusals that usually end by themselves: a namespace created by the same apply, not yet given its UID range
# by OpenShift's namespace controller. The ReplicaSet controller retries with backoff once it has one, so these
# get a longer grace; one that lasts is reported like any other.
TRANSIENT_REFUSALS = ("has no openshift.io/sa.scc.uid-range annotation",)
TRANSIENT_GRACE = 60


def refused_reason(obj):
    """Why the API server refuses to create the pods of a Deployment (its ReplicaFailure condition), when
    admission refused them, or why the router rejects a Route; None otherwise."""
    if obj.get("kind") == "Route":
        admitted = route_admission(obj)
        if admitted and admitted.get("status") == "False":
            return "the router rejects host %s: %s %s" % ((obj.get("spec") or {}).get("host"), admitted.get("reason") or "",
                                                          admitted.get("message") or "")
        return None
    cond = _condition(obj, "ReplicaFailure") if obj.get("kind") == "Deployment" else None
    message = (cond or {}).get("message") or ""
    if cond and cond.get("status") == "True" and any(text in message for text in REFUSALS):
        return message
    return None


def crd_served(client, crd):
    """Whether the API server serves the kind of a CRD (in one of its served versions); None when the CRD
    does not say its group, kind and versions (then it is read instead)."""
    spec = crd.get("spec") or {}
    group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
    versions = [v.get("name") for v in spec.get("versions") or [] if v.get("served", True) and v.get("name")]
    if not group or not kind or not versions or not hasattr(client, "serves"):
        return None
    return all(client.serves("%s/%s" % (group, version), kind) for version in versions)


def wait_ready(client, definitions, timeout, poll=1.0, live=None):
    """Wait until every CRD is Established and every workload is ready; KubeError names what is not.

    ``live`` (object ref -> live object, from apply_all) is the first look: an object read moments ago
    is not read again in the first look. Every look reads the objects at once (PARALLEL_READS at a time)."""
    from concurrent.futures import ThreadPoolExecutor  # pylint: disable=import-outside-toplevel

    watched = [body for body in definitions if body.get("kind") in READINESS_KINDS]
    known = dict(live or {})
    refused_since = {}
    deadline = time.monotonic() + timeout

    def look(body):
        ref = object_ref(body)
        # Served kinds are Established ones: one small discovery request per group and version,
        # instead of reading the CRD (megabytes of schema).
        served = crd_served(client, body) if body.get("kind") == "CustomResourceDefinition" and ref not in known else None
        if served is not None:
            return None if served else "%s: not Established (its kind is not served yet)" % ref
        if ref in known:
            current = known.pop(ref)
        else:
            resource = client.resource(body["apiVersion"], body["kind"])
            namespace = body["metadata"].get("namespace") if resource.namespaced else None
            current = client.get(resource, body["metadata"]["name"], namespace)
        refused = refused_reason(current) if current is not None else None
        if refused:
            # A refusal that lasts (not one of a namespace still being set up) is final: waiting cannot help.
            since = refused_since.setdefault(ref, time.monotonic())
            if current.get("kind") == "Route":  # the router's answer for that host holds until the other Route goes
                raise KubeError("%s on %s is not admitted, so its URL can never serve: %s. Choose another host (the "
                                "endpoint's URL) or remove the Route that holds it" % (ref, client.api_url, refused.strip()))
            grace = TRANSIENT_GRACE if any(text in refused for text in TRANSIENT_REFUSALS) else REFUSAL_GRACE
            if time.monotonic() - since >= grace:
                raise KubeError("%s on %s: its pods are refused at admission, so it can never become ready: %s. "
                                "Fix its pod template (on OpenShift: no fixed runAsUser/fsGroup outside the namespace's "
                                "range under restricted-v2)" % (ref, client.api_url, refused))
        else:
            refused_since.pop(ref, None)
        reason = "absent" if current is None else not_ready_reason(current)
        return "%s: %s" % (ref, reason) if reason else None

    for body in watched:
        client.resource(body["apiVersion"], body["kind"])  # discovery in order, before the threads
    while True:
        if len(watched) > 1:
            with ThreadPoolExecutor(max_workers=min(PARALLEL_READS, len(watched))) as pool:
                pending = [reason for reason in pool.map(look, watched) if reason]
        else:
            pending = [reason for reason in map(look, watched) if reason]
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise KubeError("not ready after %ss on %s: %s" % (timeout, client.api_url, "; ".join(pending)))
        time.sleep(poll)


def _field(obj, dotted):
    for part in dotted.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def read_objects(client, wanted, wait_timeout, poll=1.0):
    """The objects of ``wanted`` (dicts of api_version, kind, name, namespace, wait_for) in order, each
    a dict or None (absent, or its kind not served); all read at once. Those with ``wait_for`` are read
    again until that dotted field is not empty, at most ``wait_timeout`` seconds (0: no wait)."""
    from concurrent.futures import ThreadPoolExecutor  # pylint: disable=import-outside-toplevel

    resources = []
    for item in wanted:
        try:
            resources.append(client.resource(item.get("api_version") or "v1", item["kind"]))
        except KindNotServed:
            resources.append(None)  # not served (its CRD is not installed): nothing of it exists

    def read(index):
        resource, item = resources[index], wanted[index]
        if resource is None:
            return None
        return client.get(resource, item["name"], item.get("namespace") if resource.namespaced else None)

    def pending(objects):
        return [i for i, item in enumerate(wanted)
                if item.get("wait_for") and not _field(objects[i], item["wait_for"])]

    def read_all(indexes, objects):
        with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL_READS, len(indexes)))) as pool:
            for index, obj in zip(indexes, pool.map(read, indexes)):
                objects[index] = obj

    objects = [None] * len(wanted)
    read_all(list(range(len(wanted))), objects)
    deadline = time.monotonic() + wait_timeout
    waiting = pending(objects) if wait_timeout > 0 else []
    while waiting:
        if time.monotonic() >= deadline:
            raise KubeError("waited %ss on %s for %s" % (wait_timeout, client.api_url, "; ".join(
                "%s %s/%s to have %s" % (wanted[i]["kind"], wanted[i].get("namespace") or "", wanted[i]["name"],
                                         wanted[i]["wait_for"]) for i in waiting)))
        time.sleep(poll)
        read_all(waiting, objects)
        waiting = pending(objects)
    return objects


def dump_yaml(obj):
    import yaml  # pylint: disable=import-outside-toplevel

    return yaml.safe_dump(obj, default_flow_style=False, sort_keys=True)
