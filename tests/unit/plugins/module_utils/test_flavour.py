"""The cluster flavour: detection from the API groups, the inventory's override, and what it means."""

import os

import pytest

from ansible_collections.krci.platform.plugins.module_utils import _flavour

OPENSHIFT = _flavour.evidence(True, ["clusterversions", "ingresses", "oauths"],
                              {"status": {"desired": {"version": "4.20.3"}}}, {"spec": {"domain": "apps.ocp.test"}})
VANILLA = _flavour.evidence(False, [])
ROUTES_ONLY = _flavour.evidence(True, [])
CONFIG_ONLY = _flavour.evidence(False, ["clusterversions"])


def test_openshift_is_both_groups_and_reads_version_and_domain():
    fact = _flavour.resolve("platform", None, OPENSHIFT)
    assert fact["name"] == "openshift" and fact["source"].startswith("detected: serves route.openshift.io/v1 and")
    assert (fact["openshift_version"], fact["ingress_domain"]) == ("4.20.3", "apps.ocp.test")
    assert fact["namespace_labels"] == {"security.openshift.io/scc.podSecurityLabelSync": "false"}
    assert (fact["endpoint_kind"], fact["pinned_ids_allowed"], fact["operator_source"]) == ("Route", False, "olm")
    assert (fact["group_prefix"], fact["ingress_namespace"], fact["dns_namespace"]) == ("", "openshift-ingress",
                                                                                        "openshift-dns")


def test_vanilla_is_neither_group():
    fact = _flavour.resolve("workloads", None, VANILLA)
    assert fact["name"] == "kubernetes" and fact["namespace_labels"] == {} and fact["endpoint_kind"] == "Ingress"
    assert fact["pinned_ids_allowed"] and fact["group_prefix"] == "oidc:" and fact["openshift_version"] is None
    assert _flavour.resolve("workloads", "kubernetes", VANILLA)["name"] == "kubernetes"


def test_version_from_history_when_no_desired():
    seen = _flavour.evidence(True, ["clusterversions"], {"status": {"history": [
        {"state": "Partial", "version": "4.21.0"}, {"state": "Completed", "version": "4.20.1"}]}})
    assert seen["openshift_version"] == "4.20.1"


@pytest.mark.parametrize("declared,seen,message", [
    ("openshift", VANILLA, "clusters.prod.flavour: openshift, but the cluster serves neither route.openshift.io/v1 "
                           "nor config.openshift.io/v1 ClusterVersion, so it is kubernetes: remove the override"),
    ("kubernetes", OPENSHIFT, "clusters.prod.flavour: kubernetes, but the cluster serves route.openshift.io/v1 and "
                              "config.openshift.io/v1 ClusterVersion, so it is openshift"),
    (None, ROUTES_ONLY, "cluster prod serves route.openshift.io/v1 but not config.openshift.io/v1 ClusterVersion, so "
                        "its flavour cannot be detected"),
    ("okd", VANILLA, "clusters.prod.flavour: 'okd'; use kubernetes or openshift"),
])
def test_contradictions_and_ambiguity_are_errors_naming_the_field(declared, seen, message):
    with pytest.raises(ValueError) as err:
        _flavour.resolve("prod", declared, seen)
    assert message in str(err.value)


@pytest.mark.parametrize("declared", ["kubernetes", "openshift"])
def test_the_inventory_decides_where_detection_cannot(declared):
    assert _flavour.resolve("edge", declared, ROUTES_ONLY)["name"] == declared
    assert _flavour.resolve("edge", declared, CONFIG_ONLY)["source"] == "inventory: clusters.edge.flavour"


def test_route_hosts_stay_inside_the_base_domain():
    assert _flavour.route_host("keycloak", None, "apps.ocp.test") == "keycloak.apps.ocp.test"
    assert _flavour.route_host("keycloak", "krci.example.com", "apps.ocp.test") == "keycloak.krci.example.com"
    assert _flavour.route_host("sso", "krci.example.com", None, "SSO.krci.example.com") == "sso.krci.example.com"
    with pytest.raises(ValueError, match="route host sso.evil.test is outside the base domain krci.example.com"):
        _flavour.route_host("sso", "krci.example.com", None, "sso.evil.test")
    with pytest.raises(ValueError, match="has no domain and no base domain is set"):
        _flavour.route_host("vault", None, None)
    with pytest.raises(ValueError, match="is not a DNS name"):
        _flavour.route_host("vault", None, None, "vault_1.example.com")


def test_routes_use_the_lower_case_termination_the_api_takes():
    route = _flavour.route("keycloak", "keycloak", "sso.apps.test", "keycloak", "https", "reencrypt",
                           ca_pem="CA", destination_ca_pem="DEST")
    assert route["spec"]["tls"] == {"termination": "reencrypt", "insecureEdgeTerminationPolicy": "Redirect",
                                    "caCertificate": "CA", "destinationCACertificate": "DEST"}
    with pytest.raises(ValueError, match="route termination 'Edge'"):
        _flavour.route("x", "ns", "x.apps.test", "x", 80, "Edge")


def test_pinned_ids_are_found_and_removed_in_every_pod_template():
    redis = {"kind": "Deployment", "spec": {"template": {"spec": {
        "securityContext": {"runAsUser": 999, "runAsNonRoot": True, "fsGroup": 1000},
        "containers": [{"name": "redis", "securityContext": {"runAsUser": 999, "allowPrivilegeEscalation": False}}]}}}}
    assert _flavour.pinned_ids(redis) == ["spec.securityContext.runAsUser 999", "spec.securityContext.fsGroup 1000",
                                          "container redis: runAsUser 999"]
    clean = _flavour.without_pinned_ids(redis)
    assert _flavour.pinned_ids(clean) == []
    assert clean["spec"]["template"]["spec"]["securityContext"] == {"runAsNonRoot": True}
    assert redis["spec"]["template"]["spec"]["securityContext"]["runAsUser"] == 999  # a copy
    cron = {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
        "containers": [{"name": "c", "securityContext": {"runAsGroup": 0}}]}}}}}}
    assert _flavour.pinned_ids(cron) == ["container c: runAsGroup 0"]
    config_map = {"kind": "ConfigMap", "data": {}}
    assert _flavour.pinned_ids(config_map) == [] and _flavour.without_pinned_ids(config_map) is config_map


def test_the_endpoint_route_filter_takes_the_host_from_the_url_on_openshift_only():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.krci.platform.plugins.filter.endpoint_route import endpoint_route

    fact = _flavour.resolve("platform", None, OPENSHIFT)
    route = endpoint_route("https://argocd-hub.krci.example.com/", "argocd-server", "argocd", "argocd-server", "https",
                           fact, "krci.example.com", tls={"caCertificate": "CA"})
    assert route["spec"]["host"] == "argocd-hub.krci.example.com"
    assert route["spec"]["tls"] == {"termination": "reencrypt", "insecureEdgeTerminationPolicy": "Redirect",
                                    "caCertificate": "CA"}
    assert endpoint_route("https://argocd-hub.apps.ocp.test", "argocd-server", "argocd", "argocd-server", "https",
                          fact)["spec"]["host"] == "argocd-hub.apps.ocp.test"
    assert endpoint_route("https://argocd-hub.krci.example.com", "argocd-server", "argocd", "argocd-server", "https",
                          _flavour.resolve("w", None, VANILLA)) is None
    with pytest.raises(AnsibleFilterError, match="argocd-server: route host argocd.evil.test is outside the base domain"):
        endpoint_route("https://argocd.evil.test", "argocd-server", "argocd", "argocd-server", "https", fact,
                       "krci.example.com")
    with pytest.raises(AnsibleFilterError, match="is not an https URL"):
        endpoint_route("http://argocd-hub.krci.example.com", "argocd-server", "argocd", "argocd-server", "https", fact)


AUTHENTICATION_CRD = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "..", "shared", "testdata", "crds",
                                  "openshift", "0000_10_config-operator_01_authentications-Default.crd.yaml")
CONSOLE = {"componentNamespace": "openshift-console", "componentName": "console"}


@pytest.mark.skipif(not os.path.exists(AUTHENTICATION_CRD), reason="../shared/testdata is not beside the repository")
@pytest.mark.parametrize("listed", [[CONSOLE], []])
def test_the_external_oidc_provider_fits_the_authentication_schema_and_names_no_unlisted_client(listed):
    import jsonschema  # pylint: disable=import-outside-toplevel
    import yaml  # pylint: disable=import-outside-toplevel

    with open(AUTHENTICATION_CRD) as handle:
        schema = yaml.safe_load(handle)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    provider = _flavour.external_oidc_provider("keycloak", "https://sso.krci.test/realms/krci", "openshift-production",
                                               "keycloak-oidc-client", "krci-keycloak-ca", listed)
    fields, error = _flavour.with_external_oidc({"type": "IntegratedOAuth"}, provider)
    assert error is None
    jsonschema.validate({"apiVersion": "config.openshift.io/v1", "kind": "Authentication", "metadata": {"name": "cluster"},
                         "spec": fields}, schema)
    assert fields["type"] == "OIDC" and fields["oidcProviders"] == [provider]
    assert provider["issuer"] == {"issuerURL": "https://sso.krci.test/realms/krci", "audiences": ["openshift-production"],
                                  "issuerCertificateAuthority": {"name": "krci-keycloak-ca"}}
    # The names the baseline's RoleBindings bind: no prefix on users or groups, said explicitly.
    assert provider["claimMappings"] == {"username": {"claim": "preferred_username", "prefixPolicy": "NoPrefix"},
                                         "groups": {"claim": "groups", "prefix": ""}}
    # The API refuses a client the cluster does not list in status.oidcClients (its CEL rule).
    if listed:
        assert provider["oidcClients"] == [dict(CONSOLE, clientID="openshift-production",
                                                clientSecret={"name": "keycloak-oidc-client"})]
    else:
        assert "oidcClients" not in provider


def test_another_external_oidc_provider_or_a_webhook_authenticator_is_named_not_replaced():
    provider = _flavour.external_oidc_provider("keycloak", "https://sso.test/realms/krci", "c", "s")
    fields, error = _flavour.with_external_oidc({"type": "OIDC", "oidcProviders": [{"name": "corporate-sso"}]}, provider)
    assert fields is None and "already has the OIDC provider corporate-sso" in error
    fields, error = _flavour.with_external_oidc({"webhookTokenAuthenticator": {"kubeConfig": {"name": "w"}}}, provider)
    assert fields is None and "webhookTokenAuthenticator" in error
    # Ours again (same name) is replaced in place.
    fields, error = _flavour.with_external_oidc({"type": "OIDC", "oidcProviders": [{"name": "keycloak"}]}, provider)
    assert error is None and fields["oidcProviders"] == [provider]


@pytest.mark.parametrize("url, host", [
    ("https://argocd-hub.krci.example.com", "argocd-hub.krci.example.com"),
    ("https://Argo.Example.com:8443/path?q=1", "Argo.Example.com"),
    ("https://user@argo.example.com/", "argo.example.com"),
    ("http://argo.example.com", ""), ("argo.example.com", ""), ("https://", ""), ("https://a:xx/", ""), (None, ""),
])
def test_https_host_is_the_host_of_an_https_url_as_written(url, host):
    assert _flavour.https_host(url) == host
