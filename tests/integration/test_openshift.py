"""The isolated option on a mixed topology: platform, production and dev (a push target) with the sandbox's
openshift flavour (OpenShift's API groups as the real CRDs, OLM's and the ArgoCD operator's too; sandbox/openshift.py),
test, uat and staging plain Kubernetes. It is the isolated sandbox every isolated test uses: its converge and no-op
re-run are test_baseline's, so the tests here read what that converge left.

What stands in for OpenShift here, and nothing else: a namespace UID-range allocator, an admission policy with
restricted-v2's UID-range rule, OLM's Subscription resolution (InstallPlan, then the bundle's CRDs and a
Succeeded CSV once approved) and the router's Route admission. Everything the collection sends goes through the
real schemas of those API groups.
"""

import json
import re
import time
import uuid

import pytest
import yaml

from conftest import assert_ok, changed_tasks, kube_client, run, static_volumes, REPO
from sandbox import core
from test_baseline import resource_versions, verify_baseline, verify_gitops_isolation

VARIANT = "isolated"
OPENSHIFT = ["platform", "production", "dev"]
PUSH = "dev"  # the OpenShift push target
pytestmark = pytest.mark.sandbox(VARIANT)

# ansible_collections path for the module_utils the tests read (the same code the collection runs).
from ansible_collections.krci.platform.plugins.module_utils import _flavour  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.krci.platform.plugins.module_utils import _vault_seal  # noqa: E402  pylint: disable=wrong-import-position

SEAL = {"type": "awskms", "region": "eu-central-1", "kms_key_id": "alias/krci-platform-vault-unseal"}
SEAL_PLUGIN = {"command": "openbao-plugin-kms-aws", "sha256sum": "0" * 64}


def _flat(result):
    return " ".join((result.stdout + result.stderr).split())


def test_isolated_converges_on_openshift_and_stays_isolated(sandbox_pool, tools_env):
    """The first converge's report names each cluster's flavour; the re-run and check run that change nothing
    are test_baseline's (test_isolated_converges_idempotently), on this same sandbox."""
    state, runs = sandbox_pool.converged(VARIANT, tools_env)
    first = _flat(runs[0])
    for name in OPENSHIFT:
        assert re.search(r"%s: role \S+, .*?flavour openshift 4\.20\.8, Kubernetes v1\.34\.4" % name, first), name
    for name in ("test", "uat", "staging"):
        assert re.search(r"%s: role \S+, .*?flavour kubernetes, Kubernetes" % name, first), name
    report = (REPO / state["inventory"]).parent / "reports" / "report.md"
    text = report.read_text()
    for name in OPENSHIFT:
        assert re.search(r"\| %s \| \S+ \| [^|]+ \| \S+ \| openshift 4\.20\.8 \|" % name, text), name
    assert re.search(r"\| staging \| staging \| staging \| pull \| kubernetes \|", text)
    # The isolation invariants and the baseline hold unchanged on the mixed topology.
    verify_baseline(state)
    verify_gitops_isolation(state)


def test_namespaces_opt_out_of_the_label_syncer_on_openshift_only(sandbox_pool, tools_env):
    state, _ = sandbox_pool.converged(VARIANT, tools_env)
    for name, cluster in state["clusters"].items():
        client, api = kube_client(cluster)
        managed = client.CoreV1Api(api).list_namespace(label_selector="app.kubernetes.io/managed-by=krci.platform").items
        assert managed, name
        for ns in managed:
            sync = (ns.metadata.labels or {}).get("security.openshift.io/scc.podSecurityLabelSync")
            assert sync == ("false" if name in OPENSHIFT else None), (name, ns.metadata.name)
            assert ns.metadata.labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_operators_come_from_olm_at_exactly_the_pinned_csv(sandbox_pool, tools_env):
    state, _ = sandbox_pool.converged(VARIANT, tools_env)
    gitops = {"openshift-gitops-operator": "openshift-gitops-operator.v1.20.0"}  # where an Argo CD instance runs
    expected = {"platform": dict(gitops, **{"openshift-cert-manager-operator": "cert-manager-operator.v1.18.0",
                                            "openshift-external-secrets-operator": "external-secrets-operator.v1.0.0",
                                            "openshift-pipelines-operator-rh": "openshift-pipelines-operator-rh.v1.20.0"}),
                PUSH: {"openshift-external-secrets-operator": "external-secrets-operator.v1.0.0"},
                # isolated's production runs upstream's Argo CD manifest on OpenShift (sandbox.core), no GitOps operator
                "production": {"openshift-external-secrets-operator": "external-secrets-operator.v1.0.0"}}
    for name, packages in expected.items():
        client, api = kube_client(state["clusters"][name])
        custom = client.CustomObjectsApi(api)
        subs = custom.list_cluster_custom_object("operators.coreos.com", "v1alpha1", "subscriptions")["items"]
        assert {s["spec"]["name"]: s["spec"]["startingCSV"] for s in subs} == packages, name
        for sub in subs:
            assert sub["spec"]["installPlanApproval"] == "Manual"
            assert sub["status"]["installedCSV"] == sub["spec"]["startingCSV"]
            namespace = sub["metadata"]["namespace"]
            plans = custom.list_namespaced_custom_object("operators.coreos.com", "v1alpha1", namespace,
                                                         "installplans")["items"]
            mine = [p for p in plans if p["metadata"]["name"] == sub["status"]["installPlanRef"]["name"]]
            assert mine and mine[0]["spec"]["approved"] is True
            assert mine[0]["spec"]["clusterServiceVersionNames"] == [sub["spec"]["startingCSV"]]
            csv = custom.get_namespaced_custom_object("operators.coreos.com", "v1alpha1", namespace,
                                                      "clusterserviceversions", sub["spec"]["startingCSV"])
            assert csv["status"]["phase"] == "Succeeded"
            if namespace != "openshift-operators":
                groups = custom.list_namespaced_custom_object("operators.coreos.com", "v1", namespace,
                                                              "operatorgroups")["items"]
                assert [g["metadata"]["name"] for g in groups] == [sub["spec"]["name"]]
        # What OLM installed on the vanilla path comes from no chart here: no Helm release of those operators.
        secrets = client.CoreV1Api(api).list_secret_for_all_namespaces(label_selector="owner=helm").items
        releases = {s.metadata.labels["name"] for s in secrets}
        assert not releases & {"cert-manager", "external-secrets", "tekton-pipelines"}, (name, releases)
    # staging (plain Kubernetes) got External Secrets from its chart, no Subscription.
    client, api = kube_client(state["clusters"]["staging"])
    assert not client.ApiextensionsV1Api(api).list_custom_resource_definition(
        field_selector="metadata.name=subscriptions.operators.coreos.com").items
    releases = {s.metadata.labels["name"] for s in client.CoreV1Api(api).list_secret_for_all_namespaces(
        label_selector="owner=helm").items}
    assert "external-secrets" in releases


def _workloads(client, api):
    apps = client.AppsV1Api(api)
    batch = client.BatchV1Api(api)
    for kind, listing in (("Deployment", apps.list_deployment_for_all_namespaces().items),
                          ("StatefulSet", apps.list_stateful_set_for_all_namespaces().items),
                          ("DaemonSet", apps.list_daemon_set_for_all_namespaces().items),
                          ("Job", batch.list_job_for_all_namespaces().items)):
        for obj in listing:
            yield dict(api.sanitize_for_serialization(obj), kind=kind)  # list items carry no kind


def test_every_pod_template_on_openshift_runs_under_restricted_v2(sandbox_pool, tools_env):
    state, _ = sandbox_pool.converged(VARIANT, tools_env)
    seen = 0
    for name in OPENSHIFT:
        client, api = kube_client(state["clusters"][name])
        for obj in _workloads(client, api):
            if obj["metadata"]["namespace"].startswith("kube-"):
                continue
            seen += 1
            ref = "%s %s/%s on %s" % (obj["kind"], obj["metadata"]["namespace"], obj["metadata"]["name"], name)
            assert _flavour.pinned_ids(obj) == [], ref
            if obj["kind"] == "Deployment":
                # Its pods passed the restricted-v2 UID-range policy: the Deployment is Available.
                conditions = {c["type"]: c for c in obj["status"].get("conditions") or []}
                assert conditions.get("Available", {}).get("status") == "True", (ref, conditions)
                assert "ReplicaFailure" not in conditions, (ref, conditions)
    assert seen >= 6
    # The GitOps operator's redis on OpenShift: no UID of its own (upstream's manifest pins 999; that path, with
    # the pin dropped, is converged on isolated's production: test_baseline).
    client, api = kube_client(state["clusters"]["platform"])
    redis = client.AppsV1Api(api).read_namespaced_deployment("argocd-redis", "argocd")
    assert [o.kind for o in redis.metadata.owner_references] == ["ArgoCD"]
    assert _flavour.pinned_ids(api.sanitize_for_serialization(redis)) == []


def test_a_pinned_uid_is_refused_naming_the_object_and_the_scc_rule(sandbox_pool, tools_env, tmp_path):
    state, _ = sandbox_pool.converged(VARIANT, tools_env)
    name = "pinned-%s" % uuid.uuid4().hex[:6]
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "krci-dev"},
                  "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                           "template": {"metadata": {"labels": {"app": name}}, "spec": {
                               "securityContext": {"runAsNonRoot": True, "runAsUser": 999,
                                                   "seccompProfile": {"type": "RuntimeDefault"}},
                               "containers": [{"name": "c", "image": "registry.invalid/app:1", "securityContext": {
                                   "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}]}}}}
    playbook = tmp_path / "pinned.yml"
    playbook.write_text(yaml.safe_dump([{"name": "A workload that pins its UID", "hosts": PUSH,
                                         "gather_facts": False, "tasks": [{
                                             "name": "Apply it and wait", "krci.platform.k8s_apply": {
                                                 "kubeconfig": "{{ krci_kubeconfig }}", "context": "{{ krci_context }}",
                                                 "definitions": [deployment], "wait": True, "wait_timeout": 240}}]}]))
    started = time.monotonic()
    result = run(["ansible-playbook", "-i", state["inventory"], str(playbook)], tools_env)
    elapsed = time.monotonic() - started
    client, api = kube_client(state["clusters"][PUSH])
    client.AppsV1Api(api).delete_namespaced_deployment(name, "krci-dev")
    assert result.returncode != 0
    flat = _flat(result)
    assert "Deployment krci-dev/%s on %s: its pods are refused at admission" % (
        name, state["clusters"][PUSH]["api_url"]) in flat
    assert 'provider "restricted-v2"' in flat and "runAsUser: Invalid value: 999: must be in the ranges" in flat
    # Refused, not timed out: the run stops soon after the refusal lasts (15 s), far before wait_timeout.
    assert elapsed < 120, elapsed


@pytest.mark.parametrize("inventory_edit,extra,message", [
    ({"staging": {"flavour": "openshift"}}, {},
     "clusters.staging.flavour: openshift, but the cluster serves neither route.openshift.io/v1 nor "
     "config.openshift.io/v1 ClusterVersion, so it is kubernetes"),
    ({"production": {"flavour": "kubernetes"}}, {},
     "clusters.production.flavour: kubernetes, but the cluster serves route.openshift.io/v1 and config.openshift.io/v1 "
     "ClusterVersion, so it is openshift"),
    ({}, {"argocd_urls": {"hub": "https://argocd.evil.test"}},
     "argocd-hub: route host argocd.evil.test is outside the base domain krci.test; use a name under krci.test"),
    ({}, {"operators_overrides": {"external_secrets": {"install": "olm"}}},
     "cluster staging: operators_overrides.external_secrets.install: olm, but this cluster is kubernetes (no OLM)"),
    ({}, {"operators_overrides": {"tekton_pipelines": {"olm": {
        "package": "openshift-pipelines-operator-rh", "channel": "pipelines-0.9", "channels": ["pipelines-1.20"],
        "csv": "openshift-pipelines-operator-rh.v1.20.0"}}}},
     "operators_overrides.tekton_pipelines.olm.channel: unknown channel 'pipelines-0.9' of package "
     "openshift-pipelines-operator-rh (known: pipelines-1.20)"),
    ({"staging": {"vars": {"argocd_install": "operator"}}}, {},
     "cluster staging: argocd_install operator, but the cluster is kubernetes (no OLM, no GitOps operator); "
     "use auto or manifest"),
    ({}, {"argocd_olm": {"channel": "gitops-0.1"}},
     "argocd_olm.channel: unknown channel 'gitops-0.1' of package openshift-gitops-operator (known: latest, gitops-1.20)"),
])
def test_bad_input_fails_before_any_change(sandbox_pool, tools_env, tmp_path, inventory_edit, extra, message):
    state, _ = sandbox_pool.converged(VARIANT, tools_env)
    inventory = yaml.safe_load(open(state["inventory"]).read())
    for cluster, settings in inventory_edit.items():
        inventory["clusters"][cluster].update(settings)
    path = tmp_path / "topology.yml"
    path.write_text(yaml.safe_dump(inventory))
    before = resource_versions(state)
    result = run(["ansible-playbook", "-i", str(path), str(REPO / "playbooks" / "isolated.yml"),
                  "-e", json.dumps(extra)], tools_env)
    assert result.returncode != 0
    assert message in _flat(result)
    assert "TASK [krci.platform.cluster_baseline" not in result.stdout
    assert resource_versions(state) == before


def test_a_subscription_olm_never_resolves_times_out_naming_it(sandbox_pool, tools_env, tmp_path):
    """OLM down (its stand-in stopped): the Subscription is stored but nothing resolves it."""
    state, _ = sandbox_pool.converged(VARIANT, tools_env)
    package = "krci-test-never-%s" % uuid.uuid4().hex[:5]
    subscription = {"apiVersion": "operators.coreos.com/v1alpha1", "kind": "Subscription",
                    "metadata": {"name": package, "namespace": "openshift-operators"},
                    "spec": {"name": package, "channel": "stable", "source": "redhat-operators",
                             "sourceNamespace": "openshift-marketplace", "startingCSV": package + ".v1.0.0",
                             "installPlanApproval": "Manual"}}
    playbook = tmp_path / "never.yml"
    playbook.write_text(yaml.safe_dump([{"name": "A Subscription nothing resolves", "hosts": PUSH,
                                         "gather_facts": False, "tasks": [{
                                             "name": "Subscribe and wait", "krci.platform.olm_subscription": {
                                                 "kubeconfig": "{{ krci_kubeconfig }}", "context": "{{ krci_context }}",
                                                 "subscription": subscription, "timeout": 8}}]}]))
    core.stop_process(state["option"], "openshift-stand-ins")
    try:
        result = run(["ansible-playbook", "-i", state["inventory"], str(playbook)], tools_env)
    finally:
        core.start_process(state["option"], "openshift-stand-ins")
        client, api = kube_client(state["clusters"][PUSH])
        client.CustomObjectsApi(api).delete_namespaced_custom_object(
            "operators.coreos.com", "v1alpha1", "openshift-operators", "subscriptions", package)
    assert result.returncode != 0
    assert ("Subscription openshift-operators/%s (package %s, channel stable) on %s: CSV %s.v1.0.0 not Succeeded "
            "after 8s: no InstallPlan yet (is OLM running and resolving?" % (
                package, package, state["clusters"][PUSH]["api_url"], package)) in _flat(result)


def test_each_argocd_instance_on_openshift_is_the_gitops_operator_s_argocd_resource(sandbox_pool, tools_env):
    """The real argocd-operator (the reconciler OpenShift GitOps ships; started by the OLM stand-in once the
    Subscription's InstallPlan is approved) made each instance from the ArgoCD resource the collection wrote:
    SSO, RBAC and exclusions in argocd-cm/argocd-rbac-cm are the operator's rendering of it, the Route is the
    operator's and admitted, and the instance may deploy only where its projects deploy."""
    state, _ = sandbox_pool.converged(VARIANT, tools_env)
    issuer = state["keycloak"]["url"] + "/realms/krci"
    # The hub; isolated's production keeps upstream's manifest (its Argo CD is checked below).
    for name, instance, namespaces in (("platform", "hub", []),):
        client, api = kube_client(state["clusters"][name])
        custom, core_api = client.CustomObjectsApi(api), client.CoreV1Api(api)
        sub = custom.get_namespaced_custom_object("operators.coreos.com", "v1alpha1", "openshift-gitops-operator",
                                                  "subscriptions", "openshift-gitops-operator")
        assert sub["spec"]["config"]["env"] == [{"name": "DISABLE_DEFAULT_ARGOCD_INSTANCE", "value": "true"}]
        argocd = custom.get_namespaced_custom_object("argoproj.io", "v1beta1", "argocd", "argocds", "argocd")
        host = "argocd-%s.krci.test" % instance
        assert argocd["status"]["phase"] == "Available" and argocd["status"]["host"] == host, argocd["status"]
        spec = argocd["spec"]
        assert spec["server"]["host"] == host and spec["disableAdmin"] is True
        # argocd-cm and argocd-rbac-cm: the operator's, rendered from the resource (the collection wrote neither).
        config = core_api.read_namespaced_config_map("argocd-cm", "argocd")
        assert [o.kind for o in config.metadata.owner_references] == ["ArgoCD"], name
        assert not any(f.manager.startswith("krci-platform") for f in config.metadata.managed_fields), name
        oidc = yaml.safe_load(config.data["oidc.config"])
        assert oidc["issuer"] == issuer and oidc["clientID"] == "argocd-" + instance
        assert oidc["clientSecret"] == "$keycloak-oidc-client:clientSecret" and oidc["enablePKCEAuthentication"]
        assert config.data["admin.enabled"] == "false" and config.data["url"] == "https://" + host
        assert "CiliumIdentity" in config.data["resource.exclusions"]
        rbac = core_api.read_namespaced_config_map("argocd-rbac-cm", "argocd").data
        assert rbac["policy.default"] == "" and rbac["scopes"] == "[groups]"
        assert rbac["policy.csv"] == spec["rbac"]["policy"] and "g, krci-administrators, role:admin" in rbac["policy.csv"]
        # Its workloads are the operator's (no install manifest applied), under restricted-v2 (no fixed UID).
        server = client.AppsV1Api(api).read_namespaced_deployment("argocd-server", "argocd")
        assert [o.kind for o in server.metadata.owner_references] == ["ArgoCD"]
        assert server.spec.template.spec.service_account_name == "argocd-argocd-server"
        route = custom.get_namespaced_custom_object("route.openshift.io", "v1", "argocd", "routes", "argocd-server")
        assert [o["kind"] for o in route["metadata"]["ownerReferences"]] == ["ArgoCD"]
        assert route["spec"]["host"] == host and route["spec"]["tls"]["termination"] == "reencrypt"
        admitted = route["status"]["ingress"][0]
        assert admitted["host"] == host and admitted["conditions"][0]["status"] == "True"
        # Namespace-scoped: rights only where its projects deploy in its own cluster, labelled for the operator.
        labelled = core_api.list_namespace(label_selector="argocd.argoproj.io/managed-by=argocd").items
        assert sorted(n.metadata.name for n in labelled) == namespaces, name
        for namespace in namespaces:
            roles = client.RbacAuthorizationV1Api(api).list_namespaced_role_binding(namespace).items
            subjects = {s.name for b in roles for s in b.subjects or []}
            assert "argocd-argocd-application-controller" in subjects, (name, namespace, subjects)
        clusterwide = client.RbacAuthorizationV1Api(api).list_cluster_role_binding().items
        assert not [b.metadata.name for b in clusterwide
                    if any(s.namespace == "argocd" for s in b.subjects or [])], name
    # production: upstream's manifest on OpenShift, published by the collection's Route, no ArgoCD resource.
    client, api = kube_client(state["clusters"]["production"])
    assert client.AppsV1Api(api).read_namespaced_deployment("argocd-server", "argocd").metadata.owner_references is None
    route = client.CustomObjectsApi(api).get_namespaced_custom_object("route.openshift.io", "v1", "argocd", "routes",
                                                                      "argocd-server")
    assert route["spec"]["host"] == "argocd-production.krci.test" and not route["metadata"].get("ownerReferences")
    # staging is plain Kubernetes: upstream's manifest, no Route API, no ArgoCD kind.
    client, api = kube_client(state["clusters"]["staging"])
    assert not client.ApiextensionsV1Api(api).list_custom_resource_definition(
        field_selector="metadata.name=routes.route.openshift.io").items
    assert client.AppsV1Api(api).read_namespaced_deployment("argocd-server", "argocd").metadata.owner_references is None


def test_the_realm_is_each_openshift_cluster_s_identity_provider_with_its_secret_referenced(sandbox_pool, tools_env,
                                                                                           tmp_path):
    import base64

    import requests

    from keycloak_admin import KeycloakAdmin

    state, _ = sandbox_pool.converged(VARIANT, tools_env)
    admin = KeycloakAdmin(state)
    issuer = state["keycloak"]["url"] + "/realms/krci"
    for name in OPENSHIFT:
        client, api = kube_client(state["clusters"][name])
        oauth = client.CustomObjectsApi(api).get_cluster_custom_object("config.openshift.io", "v1", "oauths", "cluster")
        [idp] = oauth["spec"]["identityProviders"]
        assert idp["name"] == "keycloak" and idp["type"] == "OpenID" and idp["mappingMethod"] == "claim"
        openid = idp["openID"]
        assert openid["issuer"] == issuer and openid["clientID"] == "openshift-" + name
        assert openid["clientSecret"] == {"name": "keycloak-oidc-client"}  # referenced, never inlined
        assert openid["claims"]["groups"] == ["groups"] and openid["claims"]["preferredUsername"] == ["preferred_username"]
        core_api = client.CoreV1Api(api)
        secret = core_api.read_namespaced_secret("keycloak-oidc-client", "openshift-config")
        written = base64.b64decode(secret.data["clientSecret"]).decode()
        # The secret is the realm's client's, and its redirect URI is the cluster's OAuth callback.
        [kc_client] = admin.session.get(admin.base + "/krci/clients", params={"clientId": "openshift-" + name},
                                        timeout=30).json()
        actual = admin.session.get(admin.base + "/krci/clients/%s/client-secret" % kc_client["id"], timeout=30).json()
        assert written == actual["value"]
        assert kc_client["redirectUris"] == ["https://oauth-openshift.apps.%s.krci.test/oauth2callback/keycloak" % name]
        # The CA the collection wrote is enough to reach the issuer, as the OAuth server would.
        ca = core_api.read_namespaced_config_map(openid["ca"]["name"], "openshift-config").data["ca.crt"]
        ca_file = tmp_path / ("%s-ca.crt" % name)
        ca_file.write_text(ca)
        session = requests.Session()
        session.trust_env = False
        discovery = session.get(issuer + "/.well-known/openid-configuration", verify=str(ca_file), timeout=30).json()
        assert discovery["issuer"] == issuer
    # staging is plain Kubernetes: no OAuth client of its own in the realm.
    assert admin.session.get(admin.base + "/krci/clients", params={"clientId": "openshift-staging"},
                             timeout=30).json() == []


def test_keycloak_and_openbao_installed_on_openshift_are_published_by_admitted_routes(sandbox_pool, tools_env, tmp_path):
    """The install paths of the keycloak and vault roles on the OpenShift platform cluster: Routes instead of
    Ingresses (Keycloak edge to its http port, OpenBao passthrough: it serves its own certificate), namespaces out
    of the label syncer, pods that pass the restricted-v2 stand-in policy; a re-run changes nothing."""
    state, _ = sandbox_pool.converged(VARIANT, tools_env)
    client, api = kube_client(state["clusters"]["platform"])
    core_v1 = client.CoreV1Api(api)
    static_volumes(state["clusters"]["platform"], "openbao-openshift", 2, "1Gi")  # data and audit of one server
    play = tmp_path / "install.yml"
    play.write_text(yaml.safe_dump([{"hosts": "role_platform", "gather_facts": False, "tasks": [
        {"name": "The flavour, as the option playbooks read it", "krci.platform.k8s_cluster_version": {
            "kubeconfig": "{{ krci_kubeconfig }}", "context": "{{ krci_context }}", "cluster": "{{ inventory_hostname }}"},
         "register": "version"},
        {"ansible.builtin.set_fact": {"krci_flavour": "{{ version.flavour }}"}},
        {"name": "Install Keycloak", "ansible.builtin.include_role": {"name": "krci.platform.keycloak", "tasks_from": "install"},
         "vars": {"keycloak_install": True, "keycloak_replicas": 1, "keycloak_hostname": "keycloak.krci.test",
                  "keycloak_database": {"host": "postgres.db.svc", "port": 5432, "database": "keycloak",
                                        "username": "keycloak", "vendor": "postgres"}}},
        {"name": "Install OpenBao", "ansible.builtin.include_role": {"name": "krci.platform.vault", "tasks_from": "install"},
         "vars": {"vault_install": True, "vault_replicas": 1, "vault_storage_class": "krci-sandbox",
                  "vault_storage_size": "1Gi", "vault_audit_storage_size": "1Gi", "vault_hostname": "vault.krci.test",
                  # KMS auto-unseal as on AWS, with the KMS plugin OpenBao 2.7 needs (the stanzas are checked below;
                  # test_aws starts a real OpenBao 2.6 with the seal stanza).
                  "vault_seal": SEAL, "vault_seal_plugin": SEAL_PLUGIN}},
    ]}]))
    env = dict(tools_env, KEYCLOAK_DB_PASSWORD="db-" + uuid.uuid4().hex)
    first = run(["ansible-playbook", "-i", state["inventory"], str(play)], env)
    assert first.returncode == 0, first.stdout[-3000:]
    custom = client.CustomObjectsApi(api)
    routes = {}
    for namespace, name in (("keycloak", "keycloak"), ("vault", "openbao")):
        route = custom.get_namespaced_custom_object("route.openshift.io", "v1", namespace, "routes", name)
        admitted = route["status"]["ingress"][0]
        assert admitted["host"] == route["spec"]["host"] and admitted["conditions"][0]["status"] == "True", route
        routes[name] = route["spec"]
        assert not client.NetworkingV1Api(api).list_namespaced_ingress(namespace).items, namespace
        labels = core_v1.read_namespace(namespace).metadata.labels
        assert labels["security.openshift.io/scc.podSecurityLabelSync"] == "false"
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert routes["keycloak"]["host"] == "keycloak.krci.test"
    assert routes["keycloak"]["to"]["name"] == "keycloak" and routes["keycloak"]["port"] == {"targetPort": "http"}
    assert routes["keycloak"]["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
    assert routes["openbao"]["host"] == "vault.krci.test"
    assert routes["openbao"]["to"]["name"] == "openbao" and routes["openbao"]["port"] == {"targetPort": "https"}
    assert routes["openbao"]["tls"] == {"termination": "passthrough", "insecureEdgeTerminationPolicy": "None"}
    # The server configuration holds the KMS plugin and the seal, as vault_seal_config gives them, in its HCL.
    config = core_v1.read_namespaced_config_map("openbao-config", "vault").data["config.hcl"]
    expected = _vault_seal.config(SEAL, SEAL_PLUGIN, "2.7.2")["hcl"]
    assert expected.strip() in config, config
    assert 'seal "awskms" {' in config and "access_key" not in config
    # Both run: their pods passed the restricted-v2 stand-in policy (UIDs from the namespace's range).
    apps = client.AppsV1Api(api)
    assert apps.read_namespaced_deployment("keycloak", "keycloak").status.available_replicas == 1
    openbao = apps.read_namespaced_stateful_set("openbao", "vault")
    assert openbao.status.ready_replicas == 1
    for kind, workload in (("Deployment", apps.read_namespaced_deployment("keycloak", "keycloak")), ("StatefulSet", openbao)):
        assert _flavour.pinned_ids(dict(api.sanitize_for_serialization(workload), kind=kind)) == [], kind
    second = run(["ansible-playbook", "-i", state["inventory"], str(play)], env)
    assert second.returncode == 0 and "changed=0" in second.stdout.split("PLAY RECAP")[1], second.stdout[-3000:]


def test_production_on_direct_external_oidc_takes_the_realm_in_its_authentication_object(sandbox_pool, tools_env,
                                                                                         tmp_path):
    """keycloak_openshift_authentication external_oidc on production (a host variable): its Authentication object
    names the realm as the one OIDC provider, the console as its client with the secret referenced; the platform
    keeps its OAuth identity provider. A second run changes nothing; external_oidc on a plain Kubernetes cluster
    stops before any change, naming it."""
    import requests

    from keycloak_admin import KeycloakAdmin

    state, _ = sandbox_pool.converged(VARIANT, tools_env)
    play = tmp_path / "identity.yml"
    play.write_text(yaml.safe_dump([
        {"ansible.builtin.import_playbook": str(REPO / "playbooks" / "common" / "validate_option.yml"),
         "vars": {"krci_expected_option": "isolated"}},
        {"ansible.builtin.import_playbook": str(REPO / "playbooks" / "common" / "identity.yml")}]))

    def identity(**host_vars):
        extra = tmp_path / "external-oidc.yml"
        extra.write_text(yaml.safe_dump({"all": {"hosts": dict(
            (host, {"keycloak_openshift_authentication": "external_oidc"}) for host in host_vars)}}))
        # Without the report play that gives the run Lease back, these runs take none.
        return run(["ansible-playbook", "-i", state["inventory"], "-i", str(extra), str(play),
                    "-e", "krci_run_lease_enabled=false"], tools_env)

    first = identity(production=True)
    assert_ok(first)
    issuer = state["keycloak"]["url"] + "/realms/krci"
    client, api = kube_client(state["clusters"]["production"])
    custom = client.CustomObjectsApi(api)
    authentication = custom.get_cluster_custom_object("config.openshift.io", "v1", "authentications", "cluster")
    assert authentication["spec"]["type"] == "OIDC"
    [provider] = authentication["spec"]["oidcProviders"]
    assert provider["name"] == "keycloak"
    assert provider["issuer"] == {"issuerURL": issuer, "audiences": ["openshift-production"],
                                  "issuerCertificateAuthority": {"name": "krci-keycloak-ca"}}
    assert provider["claimMappings"] == {"username": {"claim": "preferred_username", "prefixPolicy": "NoPrefix"},
                                         "groups": {"claim": "groups", "prefix": ""}}
    assert provider["oidcClients"] == [{"componentName": "console", "componentNamespace": "openshift-console",
                                        "clientID": "openshift-production",
                                        "clientSecret": {"name": "keycloak-oidc-client"}}]
    # The CA under the key the API server reads is enough to reach the issuer.
    ca = client.CoreV1Api(api).read_namespaced_config_map("krci-keycloak-ca", "openshift-config").data["ca-bundle.crt"]
    ca_file = tmp_path / "ca-bundle.crt"
    ca_file.write_text(ca)
    session = requests.Session()
    session.trust_env = False
    assert session.get(issuer + "/.well-known/openid-configuration", verify=str(ca_file),
                       timeout=30).json()["issuer"] == issuer
    # The realm's client of production now calls back to its console.
    admin = KeycloakAdmin(state)
    [kc_client] = admin.session.get(admin.base + "/krci/clients", params={"clientId": "openshift-production"},
                                    timeout=30).json()
    assert kc_client["redirectUris"] == ["https://console-openshift-console.apps.production.krci.test/auth/callback"]
    # The platform stays on its OAuth server.
    client, api = kube_client(state["clusters"]["platform"])
    platform = client.CustomObjectsApi(api).get_cluster_custom_object("config.openshift.io", "v1", "authentications",
                                                                      "cluster")
    assert platform["spec"]["type"] == "IntegratedOAuth" and not platform["spec"].get("oidcProviders")

    second = identity(production=True)
    assert all(r["changed"] == 0 for r in assert_ok(second).values()), changed_tasks(second.stdout)

    bad = identity(production=True, staging=True)
    assert bad.returncode != 0
    assert ("cluster staging: openshift_authentication external_oidc, but the cluster is not OpenShift (flavour "
            "kubernetes)") in _flat(bad)
    assert "nothing was changed" in _flat(bad) and "TASK [Configure the platform realm" not in bad.stdout
