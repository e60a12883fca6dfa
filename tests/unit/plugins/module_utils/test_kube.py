import json
import re
import time

import pytest

from ansible_collections.krci.platform.plugins.module_utils import _kube


def test_normalize_drops_server_fields_and_status():
    live = {"apiVersion": "v1", "kind": "Namespace", "status": {"phase": "Active"},
            "metadata": {"name": "a", "uid": "1", "resourceVersion": "9", "managedFields": [], "generation": 2,
                         "creationTimestamp": "t", "labels": {"x": "y"},
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}}}
    assert _kube.normalize(live) == {"apiVersion": "v1", "kind": "Namespace",
                                     "metadata": {"name": "a", "labels": {"x": "y"}}}
    assert live["metadata"]["uid"] == "1"  # the input is not modified


def test_secret_values_are_masked_in_diffs():
    secret = {"kind": "Secret", "data": {"password": "c2VjcmV0"}, "stringData": {"token": "abc"}}
    masked = _kube.mask_secrets(secret)
    assert masked["data"] == {"password": "********"} and masked["stringData"] == {"token": "********"}
    assert secret["data"]["password"] == "c2VjcmV0"


@pytest.mark.parametrize("body,message", [
    ({"kind": "Namespace", "metadata": {"name": "a"}}, "definitions[0]: apiVersion is missing"),
    ({"apiVersion": "v1", "metadata": {"name": "a"}}, "definitions[0]: kind is missing"),
    ({"apiVersion": "v1", "kind": "Namespace", "metadata": {}}, "definitions[0] (Namespace): metadata.name is missing"),
])
def test_invalid_definitions_fail_before_any_request(body, message):
    with pytest.raises(_kube.KubeError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
                       .replace(")", r"\)")):
        _kube.apply_all(client=None, definitions=[body], field_manager="m", force_conflicts=False,
                        check_mode=True, dump=str)


def test_object_ref():
    assert _kube.object_ref({"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "n"}}) == \
        "NetworkPolicy n/p"
    assert _kube.object_ref({"kind": "Namespace", "metadata": {"name": "n"}}) == "Namespace n"


@pytest.mark.parametrize("obj,reason", [
    ({"kind": "CustomResourceDefinition", "status": {"conditions": [{"type": "Established", "status": "True"}]}}, None),
    ({"kind": "CustomResourceDefinition", "status": {}}, "not Established"),
    ({"kind": "Deployment", "spec": {"replicas": 2},
      "status": {"updatedReplicas": 2, "availableReplicas": 2, "conditions": [{"type": "Available", "status": "True"}]}},
     None),
    ({"kind": "Deployment", "spec": {"replicas": 2}, "status": {"availableReplicas": 1, "conditions": [
        {"type": "Available", "status": "False", "message": "Deployment does not have minimum availability."}]}},
     "not Available (1/2 replicas available; Deployment does not have minimum availability.)"),
    ({"kind": "Deployment", "spec": {"replicas": 2},
      "status": {"updatedReplicas": 1, "conditions": [{"type": "Available", "status": "True"}]}},
     "rollout in progress (1/2 replicas updated)"),
    ({"kind": "Deployment", "spec": {"replicas": 1},
      "status": {"replicas": 2, "updatedReplicas": 1, "availableReplicas": 1,
                 "conditions": [{"type": "Available", "status": "True"}]}},
     "rollout in progress (1 old replicas pending termination; new pods not available)"),
    ({"kind": "Deployment", "spec": {"replicas": 2},
      "status": {"replicas": 2, "updatedReplicas": 2, "availableReplicas": 1,
                 "conditions": [{"type": "Available", "status": "True"}]}},
     "rollout in progress (1/2 updated replicas available)"),
    ({"kind": "Deployment", "metadata": {"generation": 3}, "spec": {"replicas": 1},
      "status": {"observedGeneration": 2, "updatedReplicas": 1, "conditions": [{"type": "Available", "status": "True"}]}},
     "the controller has not seen generation 3 yet"),
    ({"kind": "StatefulSet", "spec": {"replicas": 3}, "status": {"readyReplicas": 1, "updatedReplicas": 3}},
     "1/3 replicas ready"),
    ({"kind": "StatefulSet", "spec": {"replicas": 3}, "status": {"readyReplicas": 3, "updatedReplicas": 1}},
     "3/3 replicas ready"),
    # OnDelete (OpenBao): a changed template replaces no pod by itself; the pods being ready is readiness.
    ({"kind": "StatefulSet", "spec": {"replicas": 3, "updateStrategy": {"type": "OnDelete"}},
      "status": {"readyReplicas": 3, "updatedReplicas": 0}}, None),
    ({"kind": "DaemonSet", "status": {"desiredNumberScheduled": 2, "numberReady": 2}}, None),
    ({"kind": "Job", "status": {"conditions": [{"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"}]}},
     "not Complete; failed: BackoffLimitExceeded"),
    ({"kind": "ConfigMap"}, None),
    ({"kind": "Route", "spec": {"host": "a.apps.test"}}, "not admitted by a router yet (no status.ingress for host a.apps.test)"),
    ({"kind": "Route", "spec": {"host": "a.apps.test"}, "status": {"ingress": [
        {"host": "a.apps.test", "conditions": [{"type": "Admitted", "status": "True"}]}]}}, None),
    # A router's answer for the host the Route had before is not an answer for this one.
    ({"kind": "Route", "spec": {"host": "b.apps.test"}, "status": {"ingress": [
        {"host": "a.apps.test", "conditions": [{"type": "Admitted", "status": "True"}]}]}},
     "not admitted by a router yet (no status.ingress for host b.apps.test)"),
])
def test_readiness_of_each_kind(obj, reason):
    assert _kube.not_ready_reason(obj) == reason


def test_manifests_are_read_in_order_lists_flattened_and_exclusions_left_out(tmp_path):
    first = tmp_path / "install.yaml"
    first.write_text("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-cm}\n---\n"
                     "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: controller}\n---\n")
    second = tmp_path / "more.json"
    second.write_text('{"apiVersion": "v1", "kind": "List", "items": ['
                      '{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "server"}}]}')
    objects = _kube.load_manifests([str(first), str(second)], exclude=[{"kind": "ConfigMap", "name": "argocd-cm"}])
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [("ServiceAccount", "controller"),
                                                                     ("Service", "server")]


@pytest.mark.parametrize("text,message", [
    (None, "read {path}: "),
    ("- just\n- a list\n", "{path}: a document is not an object (list)"),
    ("kind: [unclosed\n", "parse {path}: "),
])
def test_unreadable_manifests_name_the_file(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(_kube.KubeError, match="^" + re.escape(message.format(path=path))):
        _kube.load_manifests([str(path)])


class _Resource:
    def __init__(self, kind, namespaced):
        self.kind, self.namespaced = kind, namespaced


class _Client:
    """Answers as a converged cluster: every object exists as given (dry run equal to live)."""
    api_url = "https://api.test"

    def __init__(self):
        self.applied = []

    def resource(self, api_version, kind, wait_seconds=0):
        return _Resource(kind, kind != "Namespace")

    def get(self, resource, name, namespace):
        return {"metadata": {"name": name, "namespace": namespace}}

    def apply(self, resource, body, field_manager, force_conflicts, dry_run):
        self.applied.append((body["metadata"].get("namespace"), dry_run))
        return {"metadata": {"name": body["metadata"]["name"], "namespace": body["metadata"].get("namespace")}}


def test_namespaced_objects_without_a_namespace_go_to_the_default_one_and_keep_their_own():
    definitions = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}},
                   {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a"}},
                   {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "b", "namespace": "other"}}]
    client = _Client()
    changed, objects, _diffs = _kube.apply_all(client, definitions, "m", False, True, str, default_namespace="argocd")
    assert not changed
    assert [o["ref"] for o in objects] == ["Namespace argocd", "ServiceAccount argocd/a", "ServiceAccount other/b"]
    assert definitions[1]["metadata"]["namespace"] == "argocd"  # in place: wait_ready finds it
    with pytest.raises(_kube.KubeError, match="ServiceAccount c: metadata.namespace is missing"):
        _kube.apply_all(client, [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "c"}}],
                        "m", False, True, str)


def test_a_parsed_manifest_is_cached_and_parsed_again_when_it_changes(tmp_path, monkeypatch):
    monkeypatch.setattr(_kube, "MANIFEST_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "install.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    assert [o["metadata"]["name"] for o in _kube.load_manifests([str(path)])] == ["a"]
    assert len(list((tmp_path / "cache").iterdir())) == 1
    # Served from the cache: the file's own parse is not needed any more.
    cached = list((tmp_path / "cache").iterdir())[0]
    cached.write_text('[{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "from-cache"}}]')
    assert [o["metadata"]["name"] for o in _kube.load_manifests([str(path)])] == ["from-cache"]
    # A changed file (size, mtime) is parsed again.
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bb}\n")
    assert [o["metadata"]["name"] for o in _kube.load_manifests([str(path)])] == ["bb"]


def test_a_manifest_that_is_not_json_is_parsed_every_time(tmp_path, monkeypatch):
    monkeypatch.setattr(_kube, "MANIFEST_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "install.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {when: 2026-12-02}\n")
    assert str(_kube.load_manifests([str(path)])[0]["data"]["when"]) == "2026-12-02"
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").iterdir())


def test_normalize_leaves_the_live_object_untouched():
    live = {"kind": "ConfigMap", "metadata": {"name": "a", "resourceVersion": "7",
                                              "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
            "data": {"k": "v"}, "status": {}}
    assert _kube.normalize(live) == {"kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}}
    assert live["metadata"]["resourceVersion"] == "7" and "status" in live
    assert live["metadata"]["annotations"] == {"kubectl.kubernetes.io/last-applied-configuration": "{}"}


class _CountingClient(_Client):
    """A converged cluster that counts the reads and dry runs, from several threads at once."""

    def __init__(self):
        super().__init__()
        self.gets = []

    def get(self, resource, name, namespace):
        self.gets.append(name)
        return super().get(resource, name, namespace)


def test_a_converged_call_reads_each_object_once_and_writes_nothing():
    definitions = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c%d" % i, "namespace": "n"}}
                   for i in range(20)]
    client = _CountingClient()
    changed, objects, _diffs = _kube.apply_all(client, definitions, "m", False, False, str)
    assert not changed and [o["ref"] for o in objects] == ["ConfigMap n/c%d" % i for i in range(20)]
    assert sorted(client.gets) == sorted("c%d" % i for i in range(20))
    assert all(dry_run for _namespace, dry_run in client.applied) and len(client.applied) == 20


class _FreshNamespaceClient(_CountingClient):
    """The namespace is missing (so its objects cannot be dry-run yet); everything else exists."""

    def __init__(self):
        super().__init__()
        self.created = False

    def get(self, resource, name, namespace):
        self.gets.append(name)
        if resource.kind == "Namespace" and not self.created:
            return None
        return {"metadata": {"name": name, "namespace": namespace}}

    def apply(self, resource, body, field_manager, force_conflicts, dry_run):
        if resource.kind != "Namespace" and not self.created:
            raise _kube.NotFoundError(404, "Not Found", "")
        if resource.kind == "Namespace" and not dry_run:
            self.created = True
        return super().apply(resource, body, field_manager, force_conflicts, dry_run)


def test_objects_after_a_write_of_the_same_call_are_predicted_again_in_order():
    definitions = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}] + [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c%d" % i, "namespace": "n"}} for i in range(3)]
    client = _FreshNamespaceClient()
    changed, objects, _diffs = _kube.apply_all(client, definitions, "m", False, False, str)
    assert changed
    assert [o["action"] for o in objects] == ["created", "unchanged", "unchanged", "unchanged"]
    # Each ConfigMap: read once in the parallel look (its dry run failed: no namespace yet), once again after.
    assert sorted(client.gets) == ["c0", "c0", "c1", "c1", "c2", "c2", "n"]


def test_the_applied_stamp_is_the_hash_of_the_body_and_secrets_get_none():
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}, "data": {"k": "v"}}
    key = _kube.applied_key("krci-platform")
    assert key == "krci.platform/applied-krci-platform"
    first = _kube.stamped(body, "krci-platform")
    assert first["metadata"]["annotations"][key] == _kube.stamped(first, "krci-platform")["metadata"]["annotations"][key]
    assert "annotations" not in body["metadata"]  # the definition itself is left alone
    changed = _kube.stamped(dict(body, data={"k": "w"}), "krci-platform")
    assert changed["metadata"]["annotations"][key] != first["metadata"]["annotations"][key]
    # Another role's field manager stamps its own annotation: two roles never fight over one field.
    other = _kube.stamped(first, "krci-platform-argocd")["metadata"]["annotations"]
    assert other[key] == first["metadata"]["annotations"][key] and _kube.applied_key("krci-platform-argocd") in other
    assert len(_kube.applied_key("m" * 80).split("/")[1]) <= 63
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"p": "x"}}
    assert _kube.stamped(secret) == secret


@pytest.mark.parametrize("live,wanted,expected", [
    ({"a": 1, "b": 2}, {"a": 1}, True),                                   # fields not given: anyone's
    ({"a": "1"}, {"a": 1}, False),                                        # no guessing: the dry run decides
    ({"l": [{"n": "x", "default": 1}]}, {"l": [{"n": "x"}]}, True),        # defaulted fields in list items
    ({"l": [1, 2]}, {"l": [1]}, False),                                   # a list is the list given
    ({"m": {}}, {"m": {"creationTimestamp": None}}, True),                # null given: absent is fine
    ({"flag": 1}, {"flag": True}, False),
])
def test_contains_compares_only_what_is_given(live, wanted, expected):
    assert _kube.contains(live, wanted) is expected


class _StampedClient(_CountingClient):
    """A converged cluster whose objects carry the stamp of the body they were applied with."""

    def __init__(self, definitions):
        super().__init__()
        self.live = dict((d["metadata"]["name"], dict(_kube.stamped(d, "m"), status={"ready": True})) for d in definitions)

    def get(self, resource, name, namespace):
        self.gets.append(name)
        return self.live.get(name)


def test_an_object_applied_with_this_very_body_and_untouched_needs_no_dry_run():
    definitions = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c%d" % i, "namespace": "n"},
                    "data": {"k": str(i)}} for i in range(5)]
    client = _StampedClient(definitions)
    changed, _objects, _diffs = _kube.apply_all(client, definitions, "m", False, False, str)
    assert not changed and client.applied == [] and len(client.gets) == 5
    # A hand edit of a field the body sets: the dry run is asked again (and finds the drift).
    client.live["c3"]["data"] = {"k": "edited"}
    _kube.apply_all(client, definitions, "m", False, True, str)
    assert client.applied == [("n", True)]


class _FillingClient(_Client):
    """The token Secret is empty for the first two reads (the token controller has not filled it)."""

    def __init__(self):
        super().__init__()
        self.reads = {}

    def resource(self, api_version, kind, wait_seconds=0):
        if kind == "ClusterIssuer":
            raise _kube.KindNotServed("cert-manager.io/v1 ClusterIssuer is not served")
        return super().resource(api_version, kind, wait_seconds)

    def get(self, resource, name, namespace):
        self.reads[name] = self.reads.get(name, 0) + 1
        if name == "absent":
            return None
        obj = super().get(resource, name, namespace)
        if name == "token" and self.reads[name] > 2:
            obj["data"] = {"token": "dG9rZW4="}
        return obj


def test_objects_are_read_in_order_absent_ones_are_none_and_a_field_is_waited_for():
    client = _FillingClient()
    wanted = [{"kind": "ConfigMap", "namespace": "kube-system", "name": "ca"},
              {"kind": "Secret", "namespace": "ns", "name": "token", "wait_for": "data.token"},
              {"kind": "Secret", "namespace": "ns", "name": "absent"},
              {"api_version": "cert-manager.io/v1", "kind": "ClusterIssuer", "name": "ca"}]
    objects = _kube.read_objects(client, wanted, wait_timeout=10, poll=0.01)
    assert objects[0]["metadata"]["name"] == "ca"
    assert objects[1]["data"]["token"] == "dG9rZW4="
    assert objects[2] is None and objects[3] is None
    assert client.reads == {"ca": 1, "token": 3, "absent": 1}


def test_a_field_that_never_fills_fails_naming_the_object_and_the_field():
    client = _FillingClient()
    with pytest.raises(_kube.KubeError, match=r"Secret ns/absent to have data.token"):
        _kube.read_objects(client, [{"kind": "Secret", "namespace": "ns", "name": "absent", "wait_for": "data.token"}],
                           wait_timeout=0.05, poll=0.01)
    assert _kube.read_objects(client, [{"kind": "Secret", "namespace": "ns", "name": "absent",
                                        "wait_for": "data.token"}], wait_timeout=0) == [None]


class _ServingClient(_Client):
    """Serves the kinds of ``served``; counts the CRD reads (there should be none) and discovery questions."""

    def __init__(self, served):
        super().__init__()
        self.served, self.asked, self.crd_reads = set(served), [], 0

    def serves(self, api_version, kind):
        self.asked.append((api_version, kind))
        return (api_version, kind) in self.served

    def get(self, resource, name, namespace):
        if resource.kind == "CustomResourceDefinition":
            self.crd_reads += 1
        return super().get(resource, name, namespace)


CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
       "metadata": {"name": "certificates.cert-manager.io"},
       "spec": {"group": "cert-manager.io", "names": {"kind": "Certificate"},
                "versions": [{"name": "v1", "served": True}, {"name": "v1alpha2", "served": False}]}}


def test_a_crd_is_ready_when_its_kind_is_served_and_is_never_read():
    client = _ServingClient([("cert-manager.io/v1", "Certificate")])
    _kube.wait_ready(client, [CRD], timeout=1, poll=0.01)
    assert client.asked == [("cert-manager.io/v1", "Certificate")] and client.crd_reads == 0


def test_a_crd_whose_kind_is_not_served_times_out_naming_it():
    client = _ServingClient([])
    with pytest.raises(_kube.KubeError, match="certificates.cert-manager.io: not Established"):
        _kube.wait_ready(client, [CRD], timeout=0.05, poll=0.01)
    assert client.crd_reads == 0 and len(client.asked) >= 2  # asked again at every look


class _RouteClient(_Client):
    """A Route another (older) Route's host keeps from being admitted, as the router answers."""

    def get(self, resource, name, namespace):
        return {"kind": "Route", "metadata": {"name": name, "namespace": namespace}, "spec": {"host": "a.apps.test"},
                "status": {"ingress": [{"host": "a.apps.test", "conditions": [
                    {"type": "Admitted", "status": "False", "reason": "HostAlreadyClaimed",
                     "message": "route old already exposes a.apps.test and is older"}]}]}}


def test_a_route_the_router_rejects_fails_at_once_naming_it_and_the_router_s_reason():
    route = {"apiVersion": "route.openshift.io/v1", "kind": "Route", "metadata": {"name": "keycloak", "namespace": "keycloak"},
             "spec": {"host": "a.apps.test"}}
    with pytest.raises(_kube.KubeError) as error:
        _kube.wait_ready(_RouteClient(), [route], timeout=60, poll=0.01)
    message = str(error.value)
    assert message.startswith("Route keycloak/keycloak on https://api.test is not admitted"), message
    assert "HostAlreadyClaimed" in message and "route old already exposes a.apps.test" in message
    assert "Choose another host" in message


NOT_YET = ('pods "k-1" is forbidden: unable to validate against any security context constraint: [provider '
           '"restricted-v2": namespace keycloak has no openshift.io/sa.scc.uid-range annotation]')
OUTSIDE = ('pods "k-1" is forbidden: unable to validate against any security context constraint: [provider '
           '"restricted-v2": .containers[0].runAsUser: Invalid value: 999: must be in the ranges: [1000680000, '
           '1000689999]]')


def _refused(message):
    return {"kind": "Deployment", "status": {"conditions": [
        {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": message}]}}


class _RefusedClient(_Client):
    """A Deployment whose pods admission refuses with ``message``, as long as the test runs."""

    def __init__(self, message):
        super().__init__()
        self.message = message

    def get(self, resource, name, namespace):
        return dict(_refused(self.message), metadata={"name": name, "namespace": namespace})


def test_a_refusal_for_a_uid_range_not_yet_given_gets_a_longer_grace_and_a_uid_outside_it_fails_sooner(monkeypatch):
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "k", "namespace": "keycloak"}}
    monkeypatch.setattr(_kube, "REFUSAL_GRACE", 0.05)
    monkeypatch.setattr(_kube, "TRANSIENT_GRACE", 0.3)
    for message, grace in ((OUTSIDE, 0.05), (NOT_YET, 0.3)):
        started = time.monotonic()
        with pytest.raises(_kube.KubeError) as error:
            _kube.wait_ready(_RefusedClient(message), [deployment], timeout=30, poll=0.01)
        assert grace <= time.monotonic() - started < grace + 1
        assert "Deployment keycloak/k on https://api.test: its pods are refused at admission" in str(error.value)
        assert message in str(error.value)


def test_both_refusals_are_named():
    assert _kube.refused_reason(_refused(NOT_YET)) == NOT_YET
    assert _kube.refused_reason(_refused(OUTSIDE)) == OUTSIDE


def test_an_argocd_resource_is_ready_when_available_with_its_route_admitted_for_its_host():
    cr = {"apiVersion": "argoproj.io/v1beta1", "kind": "ArgoCD", "metadata": {"name": "argocd"},
          "spec": {"server": {"host": "argocd-hub.apps.x", "route": {"enabled": True}}}}
    assert "not reported yet" in _kube.not_ready_reason(cr)
    pending = dict(cr, status={"phase": "Pending", "server": "Running", "repo": "Pending"})
    assert _kube.not_ready_reason(pending) == "phase Pending (repo Pending, server Running)"
    unadmitted = dict(cr, status={"phase": "Available", "host": ""})
    assert "Route for argocd-hub.apps.x is not admitted" in _kube.not_ready_reason(unadmitted)
    assert _kube.not_ready_reason(dict(cr, status={"phase": "Available", "host": "argocd-hub.apps.x"})) is None
    assert "ArgoCD" in _kube.READINESS_KINDS


class _PruneClient(_Client):
    """A cluster holding ``objects`` ({(kind, namespace, name): body}); deletes and applies change it."""

    def __init__(self, objects):
        super().__init__()
        self.objects = objects
        self.deleted = []

    def resource(self, api_version, kind, wait_seconds=0):
        if kind == "Gone":
            raise _kube.KindNotServed("v1 Gone is not served")
        return _Resource(kind, kind not in ("Namespace", "CustomResourceDefinition", "ClusterRole"))

    def get(self, resource, name, namespace):
        return self.objects.get((resource.kind, namespace or "", name))

    def delete(self, resource, name, namespace):
        self.deleted.append((resource.kind, namespace or "", name))
        return self.objects.pop((resource.kind, namespace or "", name), None) is not None

    def apply(self, resource, body, field_manager, force_conflicts, dry_run):
        self.applied.append(body)
        if not dry_run:
            self.objects[(body["kind"], body["metadata"].get("namespace") or "", body["metadata"]["name"])] = body
        return body


def _obj(kind, name, namespace="argocd", api_version="v1"):
    return {"apiVersion": api_version, "kind": kind, "metadata": dict({"name": name}, **(
        {"namespace": namespace} if namespace else {}))}


RECORD = {"namespace": "argocd", "name": "krci-argocd-install"}


def _recorded(client):
    return json.loads(client.objects[("ConfigMap", "argocd", "krci-argocd-install")]["data"]["objects"])


def test_prune_first_records_then_deletes_what_the_next_release_dropped_but_never_a_namespace_or_crd():
    old = [_obj("Namespace", "argocd", None), _obj("Service", "argocd-application-controller"),
           _obj("Deployment", "argocd-server", api_version="apps/v1"),
           _obj("CustomResourceDefinition", "old.argoproj.io", None, "apiextensions.k8s.io/v1"),
           _obj("ClusterRole", "argocd-old", None, "rbac.authorization.k8s.io/v1"), _obj("Gone", "x")]
    live = dict(((o["kind"], o["metadata"].get("namespace") or "", o["metadata"]["name"]), o) for o in old)
    client = _PruneClient(live)
    changed, objects, _diffs, kept = _kube.prune(client, RECORD, old, "m", False, str)
    # The first call records only.
    assert changed and [o["action"] for o in objects] == ["created"] and client.deleted == [] and kept == []
    assert len(_recorded(client)) == 6
    new = [old[0], old[2]]
    # Check mode: names the deletions, deletes nothing, writes no record.
    changed, objects, diffs, kept = _kube.prune(client, RECORD, new, "m", True, str)
    assert changed and client.deleted == [] and len(_recorded(client)) == 6
    assert [(o["ref"], o["action"]) for o in objects] == [
        ("ClusterRole argocd-old", "deleted"), ("Service argocd/argocd-application-controller", "deleted"),
        ("ConfigMap argocd/krci-argocd-install", "updated")]
    assert diffs[0]["after_header"] == "ClusterRole argocd-old (deleted)"
    assert kept == ["CustomResourceDefinition old.argoproj.io"]
    changed, objects, _diffs, kept = _kube.prune(client, RECORD, new, "m", False, str)
    assert sorted(client.deleted) == [("ClusterRole", "", "argocd-old"), ("Service", "argocd", "argocd-application-controller")]
    assert ("CustomResourceDefinition", "", "old.argoproj.io") in client.objects
    assert _recorded(client) == sorted(_kube.record_entry(o) for o in new)
    # The same release again: nothing to delete, the record as it is.
    assert _kube.prune(client, RECORD, new, "m", False, str)[:2] == (False, [])


def test_a_record_that_is_not_the_collections_is_named_with_the_fix():
    client = _PruneClient({("ConfigMap", "argocd", "krci-argocd-install"): {"data": {"objects": "not json"}}})
    with pytest.raises(_kube.KubeError, match="ConfigMap argocd/krci-argocd-install: data.objects is not the JSON list"):
        _kube.prune(client, RECORD, [], "m", False, str)
