import base64
import gzip
import json

import pytest
import yaml

from ansible_collections.krci.platform.plugins.module_utils import _helm

CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
       "metadata": {"name": "certificates.cert-manager.io"}}
MANIFEST = """---
# Source: x/templates/workloads.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cert-manager
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: cert-manager-controller
---
apiVersion: v1
kind: Service
metadata:
  name: webhook
  namespace: elsewhere
"""


def stored(release):
    """What the API returns in the Secret's data: base64 of Helm's base64(gzip(json))."""
    helm_value = base64.b64encode(gzip.compress(json.dumps(release).encode()))
    return base64.b64encode(helm_value).decode()


def release():
    return {"name": "cert-manager", "namespace": "cert-manager", "version": 2, "manifest": MANIFEST,
            "chart": {"metadata": {"name": "cert-manager", "version": "v1.21.1"},
                      "files": [{"name": "crds/certificates.yaml",
                                 "data": base64.b64encode(yaml.safe_dump(CRD).encode()).decode()},
                                {"name": "README.md", "data": base64.b64encode(b"kind: Nope").decode()}]}}


def test_the_release_record_decodes():
    assert _helm.decode_release(stored(release()))["version"] == 2


def test_a_broken_record_is_a_clear_error():
    with pytest.raises(_helm.HelmReleaseError, match="cannot decode the Helm release record"):
        _helm.decode_release("not base64!")


def test_objects_are_the_crds_then_the_templates_in_the_release_namespace():
    objects = _helm.release_objects(release(), yaml.safe_load_all)
    assert [(o["kind"], o["metadata"].get("namespace")) for o in objects] == [
        ("CustomResourceDefinition", None), ("Deployment", "cert-manager"), ("ClusterRole", None),
        ("Service", "elsewhere")]


def test_the_latest_revision_wins():
    secrets = [{"metadata": {"name": "v%d" % n, "labels": {"version": str(n)}}} for n in (1, 10, 9)]
    assert _helm.latest_revision(secrets)["metadata"]["name"] == "v10"
    assert _helm.latest_revision([]) is None


def recorded_release(version="v1.21.1", status="deployed", config=None):
    return {"version": 3, "info": {"status": status}, "config": config,
            "chart": {"metadata": {"name": "cert-manager", "version": version}}}


def test_a_release_is_current_at_its_version_deployed_with_the_same_values():
    from ansible_collections.krci.platform.plugins.module_utils._helm import release_state

    wanted = {"crds": {"enabled": True}, "replicas": 2}
    state = release_state(recorded_release(config={"replicas": 2, "crds": {"enabled": True}}), "1.21.1", wanted)
    assert state["current"] and state["chart_current"] and state["reason"] == "current"
    assert state["chart"] == "cert-manager-v1.21.1" and state["revision"] == 3
    assert release_state(recorded_release(config=None), "v1.21.1", {})["current"]  # no values given: Helm stores null


@pytest.mark.parametrize("got,version,values,reason", [
    (recorded_release(version="v1.20.0"), "v1.21.1", None, "chart v1.20.0, wanted v1.21.1"),
    (recorded_release(status="failed"), "v1.21.1", None, "status failed"),
    (recorded_release(config={"replicas": 1}), "v1.21.1", {"replicas": 2}, "its values differ"),
])
def test_anything_else_is_not_current_and_says_why(got, version, values, reason):
    from ansible_collections.krci.platform.plugins.module_utils._helm import release_state

    state = release_state(got, version, values)
    assert not state["current"] and state["reason"] == reason
    assert state["chart_current"] is (not reason.startswith("chart"))


def test_a_summary_keeps_what_readiness_needs_and_no_value(tmp_path):
    got = dict(release(), info={"status": "deployed"}, config={"password": "s3cret", "replicas": 2})
    summary = _helm.release_summary(got, yaml.safe_load_all)
    assert "s3cret" not in json.dumps(summary)
    assert summary["objects"] == [
        {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
         "metadata": {"name": "certificates.cert-manager.io"},
         "spec": {"group": None, "names": {"kind": None}, "versions": []}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "cert-manager", "namespace": "cert-manager"}}]
    state = _helm.summary_state(summary, "v1.21.1", {"replicas": 2, "password": "s3cret"})
    assert state == dict(_helm.release_state(got, "v1.21.1", {"replicas": 2, "password": "s3cret"}))
    assert _helm.summary_state(summary, "v1.21.1", {"replicas": 3})["reason"] == "its values differ"

    cache = _helm.SummaryCache(str(tmp_path / "cache"))
    meta = {"uid": "u1", "name": "sh.helm.release.v1.cm.v1", "resourceVersion": "7"}
    assert cache.get(meta) is None
    cache.put(meta, summary)
    assert cache.get(meta) == summary
    assert cache.get(dict(meta, resourceVersion="8")) is None  # a changed record is read again
    [path] = list((tmp_path / "cache").iterdir())
    assert oct(path.stat().st_mode & 0o777) == "0o600"
