"""Argo CD through the OpenShift GitOps operator: the install decision per cluster and the ArgoCD resource,
checked against the operator's real CRD."""

import json
import os

import jsonschema
import pytest
import yaml

from ansible_collections.krci.platform.plugins.module_utils import _argocd_operator, _platform

CRDS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "shared", "testdata", "crds")
OLM = {"package": "openshift-gitops-operator", "channel": "gitops-1.20", "channels": ["latest", "gitops-1.20"],
       "csv": "openshift-gitops-operator.v1.20.0", "namespace": "openshift-gitops-operator",
       "config": {"env": [{"name": "DISABLE_DEFAULT_ARGOCD_INSTANCE", "value": "true"}]}}
OPENSHIFT = {"name": "openshift", "ingress_domain": "apps.x.example.com"}
KUBERNETES = {"name": "kubernetes"}


def schema(path, version):
    with open(os.path.join(CRDS, path)) as handle:
        crd = yaml.safe_load(handle)
    return next(v for v in crd["spec"]["versions"] if v["name"] == version)["schema"]["openAPIV3Schema"]


needs_testdata = pytest.mark.skipif(not os.path.isdir(CRDS), reason="../shared/testdata is not beside the repository")


@needs_testdata
def test_the_resource_fits_the_operators_schema_and_carries_sso_rbac_and_exclusions():
    resource = _argocd_operator.argocd_resource(
        "argocd", "https://argocd-hub.krci.example.com", ["p, role:x, applications, get, dev/*, allow",
                                                          "g, krci-developers, role:x"],
        [{"apiGroups": ["cilium.io"], "kinds": ["CiliumIdentity"]}],
        issuer="https://sso.krci.example.com/realms/krci", client_id="argocd-hub", secret_name="keycloak-oidc-client",
        ca_pem="-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----", route_tls={"certificate": "C", "key": "K"})
    jsonschema.validate(resource, schema("argocd-operator/argoproj.io_argocds.yaml", "v1beta1"))
    spec = resource["spec"]
    oidc = json.loads(spec["oidcConfig"])
    assert oidc["clientSecret"] == "$keycloak-oidc-client:clientSecret" and oidc["enablePKCEAuthentication"] is True
    assert oidc["rootCA"].endswith("-----END CERTIFICATE-----\n")
    assert spec["rbac"] == {"defaultPolicy": "", "scopes": "[groups]",
                            "policy": "p, role:x, applications, get, dev/*, allow\ng, krci-developers, role:x\n"}
    assert yaml.safe_load(spec["resourceExclusions"]) == [{"apiGroups": ["cilium.io"], "kinds": ["CiliumIdentity"]}]
    assert spec["disableAdmin"] is True and "sso" not in spec
    assert spec["server"]["host"] == "argocd-hub.krci.example.com"
    assert spec["server"]["route"] == {"enabled": True, "tls": {
        "termination": "reencrypt", "insecureEdgeTerminationPolicy": "Redirect", "certificate": "C", "key": "K"}}
    assert resource["metadata"]["name"] == "argocd"


def test_without_an_issuer_the_admin_stays_and_no_oidc_is_configured():
    spec = _argocd_operator.argocd_resource("argocd", "https://a.example.com:8443/x", [], [])["spec"]
    assert spec["disableAdmin"] is False and "oidcConfig" not in spec
    assert spec["server"]["host"] == "a.example.com" and spec["rbac"]["policy"] == ""


def test_auto_is_the_operator_on_openshift_and_the_manifest_elsewhere():
    installs, errors = _argocd_operator.install_plan({"platform": "hub", "production": "production"},
                                                     {"platform": OPENSHIFT, "production": KUBERNETES}, {}, OLM)
    assert errors == []
    assert installs["production"] == {"method": "manifest"}
    hub = installs["platform"]
    assert hub["method"] == "operator" and hub["csv"] == "openshift-gitops-operator.v1.20.0"
    spec = hub["subscription"]["spec"]
    assert spec["startingCSV"] == OLM["csv"] and spec["installPlanApproval"] == "Manual"
    assert spec["config"] == OLM["config"] and hub["operator_group"]["metadata"]["namespace"] == OLM["namespace"]


@needs_testdata
def test_the_subscription_fits_olms_schema():
    installs, errors = _argocd_operator.install_plan({"platform": "hub"}, {"platform": OPENSHIFT}, {}, OLM)
    assert errors == []
    jsonschema.validate(installs["platform"]["subscription"],
                        schema("olm/operators.coreos.com_subscriptions.yaml", "v1alpha1"))


@pytest.mark.parametrize("requested, flavour, olm, message", [
    ({"platform": "operator"}, KUBERNETES, OLM, "cluster platform: argocd_install operator, but the cluster is kubernetes"),
    ({"platform": "helm"}, OPENSHIFT, OLM, "cluster platform: argocd_install 'helm' is not one of auto, operator"),
    ({}, OPENSHIFT, dict(OLM, channel="gitops-9.9"), "argocd_olm.channel: unknown channel 'gitops-9.9'"),
    ({}, OPENSHIFT, dict(OLM, csv="1.20.0"), "argocd_olm.csv: '1.20.0' is not a ClusterServiceVersion name"),
    ({}, OPENSHIFT, ["gitops-1.20"], "argocd_olm: ['gitops-1.20'] must be a mapping of package"),
    ("operator", OPENSHIFT, OLM, "argocd_install: 'operator' must be auto, operator or manifest"),
])
def test_bad_install_choices_are_named(requested, flavour, olm, message):
    installs, errors = _argocd_operator.install_plan({"platform": "hub"}, {"platform": flavour}, requested, olm)
    assert any(message in e for e in errors), errors
    assert "platform" not in installs  # nothing planned for a cluster whose choice is wrong


def test_the_pinned_operator_is_the_default_and_a_key_overrides_it():
    installs, errors = _argocd_operator.install_plan({"platform": "hub"}, {"platform": OPENSHIFT}, {}, None)
    assert errors == [] and installs["platform"]["csv"] == _argocd_operator.DEFAULT_OLM["csv"]
    installs, errors = _argocd_operator.install_plan({"platform": "hub"}, {"platform": OPENSHIFT}, {},
                                                     {"channel": "latest", "source": "my-mirror"})
    spec = installs["platform"]["subscription"]["spec"]
    assert errors == [] and (spec["channel"], spec["source"]) == ("latest", "my-mirror")


def test_a_manifest_choice_on_openshift_needs_no_olm_settings():
    installs, errors = _argocd_operator.install_plan({"platform": "hub"}, {"platform": OPENSHIFT},
                                                     {"platform": "manifest"}, "not even a mapping")
    assert errors == [] and installs == {"platform": {"method": "manifest"}}


def test_the_plan_carries_each_instances_install_and_its_in_cluster_namespaces():
    topology = [
        {"name": "platform", "role": "platform", "gitops": "push", "environments": ["dev", "test"],
         "api_url": "https://p:6443"},
        {"name": "production", "role": "production", "gitops": "pull", "environments": ["production"],
         "api_url": "https://q:6443"},
    ]
    plan = _platform.plan(topology, {"flavours": {"platform": OPENSHIFT, "production": OPENSHIFT},
                                     "argocd_install": {"production": "manifest"}, "argocd_olm": OLM})
    assert plan["errors"] == []
    hub, production = plan["clusters"]["platform"]["argocd"], plan["clusters"]["production"]["argocd"]
    assert hub["install"]["method"] == "operator" and production["install"] == {"method": "manifest"}
    assert hub["in_cluster_namespaces"] == ["krci-dev", "krci-test"]
    assert production["in_cluster_namespaces"] == ["krci-production"]
    labelled = _argocd_operator.managed_namespaces("argocd", hub["in_cluster_namespaces"])
    assert [n["metadata"]["labels"] for n in labelled] == [{"argocd.argoproj.io/managed-by": "argocd"}] * 2
