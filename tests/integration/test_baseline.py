"""The option playbooks converge the cluster baseline on the sandbox: idempotent, truthful check
mode and diff, drift repaired, OIDC group RBAC and Pod Security enforced for real."""

import json
import re
import time
import uuid
from pathlib import Path

import pytest
import requests

from conftest import assert_ok, changed_tasks, kube_client, play, playbooks_at_once, recap
from keycloak_admin import KeycloakAdmin
from sandbox import core as sandbox_core

DIFF_HEADER = re.compile(r"^\+\+\+ after: (.+) \((created|updated)\)$", re.M)

# The pool keeps one sandbox up and converges it once (conftest.SandboxPool.converged); the session
# runs the shared tests first, then isolated, then separated (conftest.pytest_collection_modifyitems).
OPTIONS = {
    "shared": ["platform", "staging", "production"],
    "isolated": ["platform", "dev", "test", "uat", "staging", "production"],
    "separated": ["platform", "workloads", "staging", "production"],
}


def resource_versions(state):
    """resourceVersion of every object the baseline manages, per cluster: proof of no writes."""
    versions = {}
    for name, cluster in state["clusters"].items():
        client, api = kube_client(cluster)
        selector = "app.kubernetes.io/managed-by=krci.platform"
        core, net = client.CoreV1Api(api), client.NetworkingV1Api(api)
        rbac = client.RbacAuthorizationV1Api(api)
        for listing in (core.list_namespace(label_selector=selector).items,
                        net.list_network_policy_for_all_namespaces(label_selector=selector).items,
                        core.list_resource_quota_for_all_namespaces(label_selector=selector).items,
                        core.list_limit_range_for_all_namespaces(label_selector=selector).items,
                        rbac.list_role_binding_for_all_namespaces(label_selector=selector).items,
                        rbac.list_cluster_role_binding(label_selector=selector).items):
            for obj in listing:
                versions[(name, obj.kind, obj.metadata.namespace, obj.metadata.name)] = obj.metadata.resource_version
    return versions


def converge_and_check(sandbox_pool, tools_env, option):
    """Converge, re-run (changed=0, no object written), check --diff (no change), verify objects and report.

    The re-run and the check run go at the same time: on a converged sandbox neither may write anything.
    """
    state, runs = sandbox_pool.converged(option, tools_env)
    first = recap(runs[0].stdout)
    assert sorted(first) == sorted(OPTIONS[option] + ["localhost"])
    assert all(first[name]["changed"] >= 1 for name in OPTIONS[option]), first
    # The report counts every role's objects on a cluster: where an Argo CD runs from upstream's manifest, its
    # install alone (57 objects) is more than the whole baseline; under the OpenShift GitOps operator the
    # collection writes the Subscription and the ArgoCD resource, and the operator the rest.
    first_flat = " ".join(runs[0].stdout.split())
    for name, cluster in state["clusters"].items():
        created = int(re.search(r"%s: role \S+, .*?objects of every role created (\d+)," % name, first_flat).group(1))
        instance = cluster["gitops"] == "pull" or name == "platform"
        operator = cluster.get("flavour") == "openshift" and (option, name) not in sandbox_core.MANIFEST_ARGOCD_ON_OPENSHIFT
        assert created > ((10 if operator else 50) if instance else 0), (name, created)
    before = resource_versions(state)
    second, check = playbooks_at_once(state, tools_env, (), ("--check", "--diff"))
    assert all(r["changed"] == 0 for r in assert_ok(second).values()), changed_tasks(second.stdout)
    assert resource_versions(state) == before and len(before) > 10 * len(OPTIONS[option]) // 2
    flat = " ".join(second.stdout.split())
    for name in OPTIONS[option]:
        assert re.search(r"%s: role \S+, .*Kubernetes v1\.34\.4, objects of every role created 0, updated 0" % name, flat)
    assert all(r["changed"] == 0 for r in assert_ok(check).values()), changed_tasks(check.stdout)
    assert DIFF_HEADER.findall(check.stdout) == []
    report = Path(state["inventory"]).parent / "reports"
    text = (report / "report.md").read_text()
    for name in OPTIONS[option]:
        assert "| %s | " % name in text
    assert (report / "topology.png").read_bytes()[:4] == b"\x89PNG"
    verify_baseline(state)
    verify_gitops_isolation(state)


def remote_clusters(core_api):
    """The cluster Secrets of the Argo CD in namespace argocd that name another cluster (not the in-cluster
    destination the GitOps operator registers for its namespace-scoped instance)."""
    import base64

    secrets = core_api.list_namespaced_secret("argocd", label_selector="argocd.argoproj.io/secret-type=cluster").items
    return [s for s in secrets
            if base64.b64decode((s.data or {}).get("server", "")).decode() != "https://kubernetes.default.svc"]


def verify_gitops_isolation(state):
    """Per option: the hub registers push targets only; nothing on the platform cluster names a pull
    cluster; every pull cluster's Argo CD has no cluster Secret and deploys in-cluster only."""
    import base64

    pull = [name for name, c in state["clusters"].items() if c["gitops"] == "pull"]
    push = [name for name, c in state["clusters"].items() if c["gitops"] == "push" and name != "platform"]
    client, api = kube_client(state["clusters"]["platform"])
    core = client.CoreV1Api(api)
    registered = remote_clusters(core)
    assert sorted(s.metadata.name for s in registered) == sorted("cluster-%s" % name for name in push)
    for secret in core.list_secret_for_all_namespaces().items:
        text = " ".join(base64.b64decode(v).decode(errors="replace") for v in (secret.data or {}).values())
        for name in pull:
            assert state["clusters"][name]["api_url"] not in text, (secret.metadata.name, name)
    for name in pull:
        client, api = kube_client(state["clusters"][name])
        assert not remote_clusters(client.CoreV1Api(api)), name
        projects = client.CustomObjectsApi(api).list_namespaced_custom_object(
            "argoproj.io", "v1alpha1", "argocd", "appprojects")["items"]
        for project in projects:
            assert all(d["server"] == "https://kubernetes.default.svc" for d in project["spec"].get("destinations") or [])


def verify_baseline(state):
    for name, cluster in state["clusters"].items():
        client, api = kube_client(cluster)
        core = client.CoreV1Api(api)
        namespaces = {ns.metadata.name: ns.metadata.labels for ns in core.list_namespace(
            label_selector="app.kubernetes.io/managed-by=krci.platform").items}
        expected = {"krci-system"} | {"krci-%s" % env for env in cluster["environments"]}
        assert set(namespaces) == expected, name
        for env in cluster["environments"]:
            labels = namespaces["krci-%s" % env]
            assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
            assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.34"
            policies = {p.metadata.name for p in client.NetworkingV1Api(api).list_namespaced_network_policy(
                "krci-%s" % env).items}
            assert {"default-deny-all", "allow-same-namespace", "allow-dns-egress"} <= policies
            bindings = {b.metadata.name: b.role_ref.name for b in client.RbacAuthorizationV1Api(api)
                        .list_namespaced_role_binding("krci-%s" % env).items}
            expected_bindings = {"dev": {"krci-developers": "edit", "krci-viewers": "view"},
                                 "test": {"krci-developers": "edit", "krci-viewers": "view"},
                                 "uat": {"krci-developers": "view", "krci-viewers": "view"},
                                 "staging": {"krci-developers": "view", "krci-viewers": "view"},
                                 "production": {}}[env]
            if cluster["gitops"] == "push" and name != "platform":
                # The hub Argo CD's ServiceAccount (krci.platform.argocd) administers push targets' namespaces,
                # and reads every namespaced kind there (Argo CD caches them all).
                expected_bindings = dict(expected_bindings, **{"krci-argocd-manager": "admin",
                                                               "krci-argocd-manager-read": "krci-argocd-manager-read"})
            if labels.get("argocd.argoproj.io/managed-by") == "argocd":
                # An instance of the OpenShift GitOps operator deploys here: the operator's Roles for it.
                expected_bindings = dict(expected_bindings, **{
                    "argocd-argocd-application-controller": "argocd-argocd-application-controller",
                    "argocd-argocd-server": "argocd-argocd-server"})
            if env in ("dev", "test"):
                # The Sealed Secrets controller (sealed_secrets_environments) may manage Secrets in these
                # namespaces only: a namespaced Role, not upstream's cluster-wide one.
                expected_bindings = dict(expected_bindings, **{"sealed-secrets-controller": "secrets-unsealer"})
            assert bindings == expected_bindings, (name, env)
        automation = client.RbacAuthorizationV1Api(api).read_cluster_role("krci-automation")
        for rule in automation.rules:
            assert "*" not in rule.verbs and "*" not in rule.resources
            assert not {"escalate", "bind", "impersonate"} & set(rule.verbs)
            assert "secrets" not in rule.resources


@pytest.mark.sandbox("isolated")
def test_isolated_converges_idempotently(sandbox_pool, tools_env):
    converge_and_check(sandbox_pool, tools_env, "isolated")
    # isolated's production (OpenShift) keeps upstream's manifest (argocd_install: manifest in the sandbox's
    # inventory): its redis pinned UID 999 is dropped for restricted-v2, the rest of its security context stays.
    state = sandbox_pool.state
    assert state["clusters"]["production"]["flavour"] == "openshift"
    client, api = kube_client(state["clusters"]["production"])
    redis = client.AppsV1Api(api).read_namespaced_deployment("argocd-redis", "argocd")
    assert redis.metadata.owner_references is None
    assert redis.spec.template.spec.security_context.run_as_user is None
    assert redis.spec.template.spec.security_context.run_as_non_root is True


@pytest.mark.sandbox("shared")
def test_shared_converges_idempotently(sandbox_pool, tools_env):
    converge_and_check(sandbox_pool, tools_env, "shared")


def _api(cluster, token, method, path, body=None):
    return requests.request(method, cluster["api_url"] + path, headers={"Authorization": "Bearer " + token},
                            json=body, verify=cluster["ca_file"], timeout=15)


def _deployment(name):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [
                         {"name": "c", "image": "registry.invalid/app:1"}]}}}}


def _wait_authenticated(cluster, token):
    """The API server's OIDC authenticator may still be fetching the realm's keys: wait for it."""
    deadline = time.monotonic() + 60
    while True:
        reply = _api(cluster, token, "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                     {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
        if reply.status_code == 201 or time.monotonic() > deadline:
            assert reply.status_code == 201, reply.text
            return reply.json()["status"]["userInfo"]
        time.sleep(2)


@pytest.mark.sandbox("separated")
def test_keycloak_groups_get_their_access_per_environment(sandbox_pool, tools_env):
    """Real logins with the realm's ID tokens, through the API servers' OIDC authentication: the plain Kubernetes
    clusters of separated (the OpenShift-flavoured clusters of the sandbox have no OAuth server to log in through)."""
    state, _ = sandbox_pool.converged("separated", tools_env)
    admin = KeycloakAdmin(state)
    admin.ensure_realm()
    passwords = {user: "Aa1-" + uuid.uuid4().hex for user in ("dora", "vic", "ada")}
    admin.ensure_user("dora", passwords["dora"], groups=["krci-developers"])
    admin.ensure_user("vic", passwords["vic"], groups=["krci-viewers"])
    admin.ensure_user("ada", passwords["ada"], groups=["krci-administrators"])
    tokens = {user: admin.id_token(user, password) for user, password in passwords.items()}
    clusters = {name: dict(c, ca_file=state["keycloak"]["ca_file"]) for name, c in state["clusters"].items()}
    workloads, production = clusters["workloads"], clusters["production"]
    assert "oidc:krci-developers" in _wait_authenticated(workloads, tokens["dora"])["groups"]
    _wait_authenticated(production, tokens["dora"])

    deploy = "/apis/apps/v1/namespaces/%s/deployments"
    name = "app-%s" % uuid.uuid4().hex[:6]
    # Developers: edit in dev and test, nothing in production.
    assert _api(workloads, tokens["dora"], "POST", deploy % "krci-dev", _deployment(name)).status_code == 201
    assert _api(workloads, tokens["dora"], "POST", deploy % "krci-test", _deployment(name)).status_code == 201
    assert _api(production, tokens["dora"], "POST", deploy % "krci-production", _deployment(name)).status_code == 403
    assert _api(production, tokens["dora"], "GET", deploy % "krci-production").status_code == 403
    # Viewers: read outside production, write nowhere.
    assert _api(workloads, tokens["vic"], "GET", deploy % "krci-dev").status_code == 200
    assert _api(workloads, tokens["vic"], "POST", deploy % "krci-dev", _deployment(name + "-v")).status_code == 403
    assert _api(production, tokens["vic"], "GET", deploy % "krci-production").status_code == 403
    # Administrators: cluster-wide, production included.
    assert _api(production, tokens["ada"], "POST", deploy % "krci-production", _deployment(name)).status_code == 201
    # Nobody got cluster-wide rights by accident.
    assert _api(workloads, tokens["dora"], "GET", "/api/v1/secrets").status_code == 403


@pytest.mark.sandbox("shared")
def test_restricted_pod_is_rejected_in_a_workload_namespace(sandbox_pool, tools_env):
    state, _ = sandbox_pool.converged("shared", tools_env)
    client, api = kube_client(state["clusters"]["platform"])
    from kubernetes.client.rest import ApiException

    with pytest.raises(ApiException) as err:
        client.CoreV1Api(api).create_namespaced_pod("krci-dev", {"metadata": {"name": "root"}, "spec": {
            "containers": [{"name": "c", "image": "registry.invalid/x:1", "securityContext": {"runAsUser": 0}}]}})
    assert err.value.status == 403
    assert 'violates PodSecurity "restricted:v1.34"' in json.loads(err.value.body)["message"]


@pytest.mark.sandbox("separated")
def test_separated_converges_idempotently(sandbox_pool, tools_env):
    converge_and_check(sandbox_pool, tools_env, "separated")


@pytest.mark.sandbox("separated")
def test_drift_is_reported_exactly_by_check_and_repaired_by_a_run(sandbox_pool, tools_env):
    """The baseline play alone (as an operator re-runs it after a drift alert)."""
    state, _ = sandbox_pool.converged("separated", tools_env)
    client, api = kube_client(state["clusters"]["workloads"])
    net = client.NetworkingV1Api(api)
    core = client.CoreV1Api(api)
    net.delete_namespaced_network_policy("allow-dns-egress", "krci-dev")
    core.patch_namespace("krci-uat", {"metadata": {"labels": {"pod-security.kubernetes.io/enforce": "privileged"}}})

    check = play(state, tools_env, "baseline", "--check", "--diff")
    summary = assert_ok(check)
    assert summary["workloads"]["changed"] == 1
    assert all(r["changed"] == 0 for n, r in summary.items() if n != "workloads"), summary
    assert sorted(DIFF_HEADER.findall(check.stdout)) == [
        ("Namespace krci-uat", "updated"), ("NetworkPolicy krci-dev/allow-dns-egress", "created")]
    assert "-    pod-security.kubernetes.io/enforce: privileged" in check.stdout
    assert "+    pod-security.kubernetes.io/enforce: restricted" in check.stdout
    # Check mode changed nothing.
    assert "allow-dns-egress" not in {p.metadata.name for p in net.list_namespaced_network_policy("krci-dev").items}
    assert core.read_namespace("krci-uat").metadata.labels["pod-security.kubernetes.io/enforce"] == "privileged"

    repair = assert_ok(play(state, tools_env, "baseline"))
    assert repair["workloads"]["changed"] == 1
    assert "allow-dns-egress" in {p.metadata.name for p in net.list_namespaced_network_policy("krci-dev").items}
    assert core.read_namespace("krci-uat").metadata.labels["pod-security.kubernetes.io/enforce"] == "restricted"
    again = assert_ok(play(state, tools_env, "baseline"))
    assert all(r["changed"] == 0 for r in again.values())
