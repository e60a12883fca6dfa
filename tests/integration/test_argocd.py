"""The argocd role through the separated playbook: hub push, dedicated pull instances, SSO, isolation.

Separated: 'workloads' (dev, test, uat) is the push target; 'staging' and 'production' run their
own Argo CD. The install manifest is upstream's v3.6.1 install.yaml from the Argo CD module the sandbox builds (the
sandbox inventory points the role at it, as an air-gapped site points at its copy).
"""

import base64
import json

import pytest
import yaml

from conftest import REPO, changed_tasks, kube_client, play, playbook, recap, run

IN_CLUSTER = "https://kubernetes.default.svc"

# The last module of the separated group (conftest.MODULE_ORDER): its GitOps-only runs change the
# Argo CD settings and leave them so. test_baseline proves the whole playbook's re-run and check.
pytestmark = pytest.mark.sandbox("separated")


@pytest.fixture(scope="module")
def converged(sandbox_pool, tools_env):
    return sandbox_pool.converged("separated", tools_env)


def gitops_only(state, env, *extra):
    """Just the GitOps play (as a user may run it after changing Argo CD settings)."""
    return play(state, env, "gitops", *extra)


def api(state, cluster):
    client, api_client = kube_client(state["clusters"][cluster])
    return client, api_client


def test_every_instance_runs_and_sso_is_wired_with_the_secret_referenced(converged):
    state, _ = converged
    for cluster, instance in (("platform", "hub"), ("staging", "staging"), ("production", "production")):
        client, api_client = api(state, cluster)
        apps = client.AppsV1Api(api_client)
        deployments = apps.list_namespaced_deployment("argocd").items
        assert len(deployments) == 6
        for deployment in deployments:
            conditions = {c.type: c.status for c in deployment.status.conditions}
            assert conditions.get("Available") == "True", deployment.metadata.name
        controller = apps.read_namespaced_stateful_set("argocd-application-controller", "argocd")
        assert controller.status.ready_replicas == controller.spec.replicas
        core = client.CoreV1Api(api_client)
        config = core.read_namespaced_config_map("argocd-cm", "argocd").data
        oidc = yaml.safe_load(config["oidc.config"])
        assert oidc["issuer"] == "%s/realms/krci" % state["keycloak"]["url"]
        assert oidc["clientID"] == "argocd-%s" % instance
        assert oidc["clientSecret"] == "$keycloak-oidc-client:clientSecret"  # referenced, not inlined
        assert config["admin.enabled"] == "false" and config["url"] == "https://argocd-%s.krci.test" % instance
        secret = core.read_namespaced_secret("keycloak-oidc-client", "argocd").data
        assert base64.b64decode(secret["clientID"]).decode() == "argocd-%s" % instance
        assert base64.b64decode(secret["clientSecret"]).decode() not in json.dumps(config)
        rbac = core.read_namespaced_config_map("argocd-rbac-cm", "argocd").data
        assert rbac["policy.default"] == ""
        policy = [line.strip() for line in rbac["policy.csv"].splitlines() if line.strip()]
        assert policy[0] == "g, krci-administrators, role:admin"
        assert not [line for line in policy if "role:readonly" in line or ", *, allow" in line]  # nothing global
        if instance == "production":
            # As the cluster's RoleBindings: nobody but administrators in production.
            assert policy == ["g, krci-administrators, role:admin"]
        elif instance == "hub":
            assert "p, role:krci-developer, applications, sync, dev/*, allow" in policy
            assert "p, role:krci-viewer, applications, get, dev/*, allow" in policy
            assert not [line for line in policy if "role:krci-developer, applications, sync, uat" in line]


def test_production_isolation(converged):
    state, _ = converged
    pull = {"staging": state["clusters"]["staging"], "production": state["clusters"]["production"]}
    # On the platform cluster: a cluster Secret for the push target only, nothing about pull clusters.
    client, api_client = api(state, "platform")
    core = client.CoreV1Api(api_client)
    clusters = core.list_namespaced_secret("argocd", label_selector="argocd.argoproj.io/secret-type=cluster").items
    assert [s.metadata.name for s in clusters] == ["cluster-workloads"]
    for secret in core.list_secret_for_all_namespaces().items:
        for value in (secret.data or {}).values():
            text = base64.b64decode(value).decode(errors="replace")
            for name, cluster in pull.items():
                assert cluster["api_url"] not in text, (secret.metadata.namespace, secret.metadata.name, name)
    accounts = [sa.metadata.name for sa in core.list_service_account_for_all_namespaces().items]
    assert not [a for a in accounts if "production" in a or "staging" in a]
    # The production Argo CD: no cluster Secret, projects that deploy in-cluster only, into production only.
    for name in pull:
        client, api_client = api(state, name)
        core = client.CoreV1Api(api_client)
        typed = core.list_namespaced_secret("argocd", label_selector="argocd.argoproj.io/secret-type").items
        assert {s.metadata.labels["argocd.argoproj.io/secret-type"] for s in typed} <= {"repository", "repo-creds"}
        projects = client.CustomObjectsApi(api_client).list_namespaced_custom_object(
            "argoproj.io", "v1alpha1", "argocd", "appprojects")["items"]
        projects = {p["metadata"]["name"]: p["spec"] for p in projects}
        # Its environment's project, and the app-of-apps project (the sandbox inventory names a GitOps repository).
        assert sorted(projects) == ["default", "krci-root", name]
        assert projects[name]["destinations"] == [{"server": IN_CLUSTER, "namespace": "krci-%s" % name}]
        assert projects["krci-root"]["destinations"] == [{"server": IN_CLUSTER, "namespace": "argocd"}]
        assert not projects[name].get("clusterResourceWhitelist")
        assert not projects["default"].get("destinations") and not projects["default"].get("sourceRepos")


def test_hub_projects_push_to_the_registered_target_only(converged):
    state, _ = converged
    client, api_client = api(state, "platform")
    projects = {p["metadata"]["name"]: p["spec"] for p in client.CustomObjectsApi(api_client).list_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "argocd", "appprojects")["items"]}
    assert sorted(projects) == ["default", "dev", "krci-root", "test", "uat"]
    assert not projects["default"].get("destinations")  # the built-in project is locked down
    assert projects["krci-root"]["destinations"] == [{"server": IN_CLUSTER, "namespace": "argocd"}]
    for env, spec in ((e, s) for e, s in projects.items() if e not in ("default", "krci-root")):
        assert spec["destinations"] == [{"server": state["clusters"]["workloads"]["api_url"],
                                         "namespace": "krci-%s" % env}]
    secret = client.CoreV1Api(api_client).read_namespaced_secret("cluster-workloads", "argocd").data
    assert base64.b64decode(secret["server"]).decode() == state["clusters"]["workloads"]["api_url"]
    assert base64.b64decode(secret["namespaces"]).decode() == "krci-dev,krci-test,krci-uat"
    assert base64.b64decode(secret["clusterResources"]).decode() == "false"
    assert json.loads(base64.b64decode(secret["config"]))["bearerToken"]


@pytest.mark.parametrize("namespace,verb,resource,allowed", [
    ("krci-dev", "get", "secrets", True),
    ("krci-uat", "create", "deployments", True),
    ("kube-system", "get", "secrets", False),
    ("argocd-manager", "get", "secrets", False),
    ("", "create", "clusterroles", False),
    ("", "list", "secrets", False),
    # Argo CD lists every namespaced kind of its namespaces (admin omits CSIStorageCapacity): read only, only there.
    ("krci-test", "list", "csistoragecapacities", True),
    ("krci-test", "create", "csistoragecapacities", False),
    ("kube-system", "list", "csistoragecapacities", False),
])
def test_push_target_service_account_is_least_privilege(converged, namespace, verb, resource, allowed):
    state, _ = converged
    client, api_client = api(state, "workloads")
    review = client.AuthorizationV1Api(api_client).create_subject_access_review({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": "system:serviceaccount:argocd-manager:argocd-manager",
                 "groups": ["system:serviceaccounts", "system:serviceaccounts:argocd-manager", "system:authenticated"],
                 "resourceAttributes": {"namespace": namespace, "verb": verb, "resource": resource,
                                        "group": {"deployments": "apps", "clusterroles": "rbac.authorization.k8s.io",
                                                  "csistoragecapacities": "storage.k8s.io"}.get(resource, "")}}})
    assert review.status.allowed is allowed


@pytest.mark.parametrize("extra,message", [
    ('{"argocd_version": "3.5"}', "argocd_version: '3.5' is not a release tag such as v3.5.1"),
    ('{"argocd_install_manifest": "/nowhere/install.yaml"}',
     "argocd_install_manifest: /nowhere/install.yaml is neither an https URL nor a file on the controller"),
    ('{"argocd_source_repos": ["ftp://example.invalid/repo"]}', "argocd_source_repos: 'ftp://example.invalid/repo' is not a Git URL"),
    ('{"argocd_push_targets": ["workloads", "production"]}',
     "argocd_push_targets: production is a pull cluster: its own Argo CD deploys it from Git, "
     "and the hub must hold no credential for it"),
    ('{"argocd_extra_destinations": [{"project": "dev", "cluster": "elsewhere", "namespace": "krci-dev-x"}]}',
     "argocd_extra_destinations[0].cluster: 'elsewhere' is outside the topology "
     "(clusters: platform, production, staging, workloads)"),
    ('{"argocd_extra_destinations": [{"project": "dev", "cluster": "staging", "namespace": "krci-dev-x"}]}',
     "argocd_extra_destinations[0]: cluster staging does not carry environment dev (it carries: staging)"),
    ('{"argocd_root_repo": "git.example.test/gitops"}', "argocd_root_repo: 'git.example.test/gitops' is not a Git URL"),
    ('{"argocd_repo_credentials_from": "git"}', "argocd_repo_credentials_from: 'git'; use environment (KRCI_GIT_*) or vault"),
    ('{"argocd_repo_credentials_from": "vault", "vault_gitops_mount": ""}',
     "argocd_repo_credentials_from: vault needs the GitOps mount and stores of the vault role"),
])
def test_bad_input_fails_before_any_change(converged, tools_env, extra, message):
    state, _ = converged
    result = playbook(state, tools_env, "-e", extra)
    assert result.returncode != 0
    flat = " ".join(result.stdout.split())
    assert message in flat
    assert "TASK [Configure the platform realm" not in flat and "TASK [krci.platform.cluster_baseline" not in flat


def test_extra_destinations_reach_only_their_environment_cluster(converged, tools_env):
    state, _ = converged
    extra = [{"project": "dev", "cluster": "workloads", "namespace": "krci-dev-previews"},
             {"project": "production", "cluster": "production", "namespace": "krci-production-jobs"}]
    result = gitops_only(state, tools_env, "-e", json.dumps({"argocd_extra_destinations": extra}))
    assert result.returncode == 0, result.stdout[-4000:]
    client, api_client = api(state, "platform")
    custom = client.CustomObjectsApi(api_client)
    dev = custom.get_namespaced_custom_object("argoproj.io", "v1alpha1", "argocd", "appprojects", "dev")
    workloads_url = state["clusters"]["workloads"]["api_url"]
    assert {"server": workloads_url, "namespace": "krci-dev-previews"} in dev["spec"]["destinations"]
    secret = client.CoreV1Api(api_client).read_namespaced_secret("cluster-workloads", "argocd")
    assert "krci-dev-previews" in base64.b64decode(secret.data["namespaces"]).decode().split(",")
    # The hub's ServiceAccount is admin in the new namespace of the push target, and nowhere new else.
    target, target_api = api(state, "workloads")
    binding = target.RbacAuthorizationV1Api(target_api).read_namespaced_role_binding("krci-argocd-manager",
                                                                                     "krci-dev-previews")
    assert binding.role_ref.name == "admin"
    # The production destination stays inside production's own instance; the hub never names it.
    prod, prod_api = api(state, "production")
    project = prod.CustomObjectsApi(prod_api).get_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "argocd", "appprojects", "production")
    assert {"server": IN_CLUSTER, "namespace": "krci-production-jobs"} in project["spec"]["destinations"]
    assert prod.CoreV1Api(prod_api).read_namespace("krci-production-jobs").metadata.labels[
        "pod-security.kubernetes.io/enforce"] == "restricted"
    hub_projects = custom.list_namespaced_custom_object("argoproj.io", "v1alpha1", "argocd", "appprojects")["items"]
    assert all(d["namespace"] != "krci-production-jobs" for p in hub_projects for d in p["spec"]["destinations"])


def test_credentials_move_to_vault_and_every_instance_gets_its_app_of_apps(converged, tools_env):
    """environment mode writes the Secret; vault mode replaces it by an ExternalSecret read in each cluster.

    The vault-mode runs also set the app-of-apps repository: each instance gets a root Application that
    reads its own path and may create Applications only.
    """
    state, _ = converged
    git = dict(tools_env, KRCI_GIT_URL="https://git.example.test/krci", KRCI_GIT_USERNAME="ci",
               KRCI_GIT_PASSWORD="git-password-from-awx")
    # The sandbox inventory names its own Git server; an inventory without argocd_git_* (an AWX one) leaves the
    # role's defaults, which read the variables the AWX Git credential injects: the same lookups here.
    from_env = {"argocd_git_%s" % key: "{{ lookup('ansible.builtin.env', 'KRCI_GIT_%s') }}" % key.upper()
                for key in ("url", "username", "password")}
    first = gitops_only(state, git, "-e", json.dumps(from_env))
    assert first.returncode == 0, first.stdout[-4000:]
    assert "git-password-from-awx" not in first.stdout
    for cluster in ("platform", "staging", "production"):
        client, api_client = api(state, cluster)
        secret = client.CoreV1Api(api_client).read_namespaced_secret("krci-repo-creds", "argocd")
        assert secret.metadata.labels["argocd.argoproj.io/secret-type"] == "repo-creds"
        assert base64.b64decode(secret.data["password"]).decode() == "git-password-from-awx"

    root_repo = "https://git.example.test/krci-gitops.git"
    vault_mode = ("-e", json.dumps({"argocd_repo_credentials_from": "vault", "argocd_root_repo": root_repo}))
    moved = gitops_only(state, tools_env, *vault_mode)
    assert moved.returncode == 0, moved.stdout[-4000:]
    for cluster, instance in (("platform", "hub"), ("staging", "staging"), ("production", "production")):
        client, api_client = api(state, cluster)
        core = client.CoreV1Api(api_client)
        assert "krci-repo-creds" not in [s.metadata.name for s in core.list_namespaced_secret("argocd").items]
        external = client.CustomObjectsApi(api_client).get_namespaced_custom_object(
            "external-secrets.io", "v1", "argocd", "externalsecrets", "krci-repo-creds-vault")["spec"]
        assert external["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "vault-gitops"}
        assert external["dataFrom"] == [{"extract": {"key": "%s/repo-creds" % instance}}]
        assert external["target"]["template"]["metadata"]["labels"]["argocd.argoproj.io/secret-type"] == "repo-creds"
        custom = client.CustomObjectsApi(api_client)
        root = custom.get_namespaced_custom_object("argoproj.io", "v1alpha1", "argocd", "applications", "krci-root")
        assert root["spec"]["project"] == "krci-root"
        assert root["spec"]["source"] == {"repoURL": root_repo, "targetRevision": "main", "path": "argocd/" + instance}
        assert root["spec"]["destination"] == {"server": IN_CLUSTER, "namespace": "argocd"}
        project = custom.get_namespaced_custom_object("argoproj.io", "v1alpha1", "argocd", "appprojects",
                                                      "krci-root")["spec"]
        assert project["sourceRepos"] == [root_repo]
        assert project["destinations"] == [{"server": IN_CLUSTER, "namespace": "argocd"}]
        assert project["namespaceResourceWhitelist"] == [{"group": "argoproj.io", "kind": "Application"}]
        assert not project.get("clusterResourceWhitelist")
        store = client.CustomObjectsApi(api_client).get_cluster_custom_object(
            "external-secrets.io", "v1", "clustersecretstores", "vault-gitops")["spec"]
        assert store["conditions"] == [{"namespaces": ["argocd"]}]  # no environment namespace can use it
    # The push target runs no Argo CD and gets no store for it.
    target, target_api = api(state, "workloads")
    stores = target.CustomObjectsApi(target_api).list_cluster_custom_object(
        "external-secrets.io", "v1", "clustersecretstores")["items"]
    assert "vault-gitops" not in [s["metadata"]["name"] for s in stores]
    again = gitops_only(state, tools_env, *vault_mode)
    assert again.returncode == 0, again.stdout[-4000:]
    assert {r["changed"] for r in recap(again.stdout).values()} == {0}, changed_tasks(again.stdout)
    # Back to the inventory's settings (its Git server, environment mode) for the tests after this one.
    restored = gitops_only(state, tools_env)
    assert restored.returncode == 0, restored.stdout[-4000:]



def test_no_variable_or_fact_of_the_platform_host_holds_a_pull_clusters_secret(converged, tools_env, tmp_path):
    """The plays that pass facts between hosts leave the platform host holding no credential of a pull
    cluster: not its Argo CD client secret (each pull host reads its own from Keycloak), not a ServiceAccount
    token, not its kubeconfig's keys."""
    state, _ = converged
    dump = tmp_path / "platform-facts.json"
    result = run(["ansible-playbook", "-i", state["inventory"], REPO / "tests/integration/playbooks/platform_facts.yml",
                  "-e", "krci_facts_dump=%s" % dump], tools_env)
    assert result.returncode == 0, result.stdout[-3000:]
    assert recap(result.stdout)["platform"]["changed"] == 0, changed_tasks(result.stdout)
    held = dump.read_text()
    assert "keycloak_realm_result" in held and "vault_platform" in held  # the dump has the facts
    secrets = {}
    for name in ("staging", "production"):
        client, api_client = api(state, name)
        core = client.CoreV1Api(api_client)
        oidc = core.read_namespaced_secret("keycloak-oidc-client", "argocd").data
        secrets["%s Argo CD client secret" % name] = base64.b64decode(oidc["clientSecret"]).decode()
        for secret in core.list_secret_for_all_namespaces(field_selector="type=kubernetes.io/service-account-token").items:
            secrets["%s token %s/%s" % (name, secret.metadata.namespace, secret.metadata.name)] = \
                base64.b64decode(secret.data["token"]).decode()
        kubeconfig = yaml.safe_load(open(state["clusters"][name]["kubeconfig"]))
        for user in kubeconfig["users"]:
            for key, value in user["user"].items():
                secrets["%s kubeconfig %s" % (name, key)] = value
    assert len(secrets) > 2 and all(secrets.values())
    assert [what for what, value in secrets.items() if value in held] == []
    # The hub's own client secret is there (its realm call returned it): the dump is not vacuous.
    hub = api(state, "platform")[0].CoreV1Api(api(state, "platform")[1]).read_namespaced_secret("keycloak-oidc-client", "argocd")
    assert base64.b64decode(hub.data["clientSecret"]).decode() in held


def test_every_instance_trusts_the_issuer_with_exactly_the_ca_it_was_given(converged, tmp_path):
    """Keycloak is served with the sandbox's private CA: each instance's oidc.config carries it as rootCA, and
    with exactly that configuration the issuer's discovery document is fetched (the system CAs alone fail)."""
    import requests

    state, _ = converged
    session = requests.Session()
    session.trust_env = False
    for cluster in ("platform", "staging", "production"):
        client, api_client = api(state, cluster)
        oidc = yaml.safe_load(client.CoreV1Api(api_client).read_namespaced_config_map("argocd-cm", "argocd")
                              .data["oidc.config"])
        assert "BEGIN CERTIFICATE" in oidc["rootCA"], cluster
        ca = tmp_path / ("%s-root-ca.pem" % cluster)
        ca.write_text(oidc["rootCA"])
        reply = session.get(oidc["issuer"] + "/.well-known/openid-configuration", verify=str(ca), timeout=10)
        assert reply.status_code == 200 and reply.json()["issuer"] == oidc["issuer"], cluster
        with pytest.raises(requests.exceptions.SSLError):
            session.get(oidc["issuer"] + "/.well-known/openid-configuration", verify=True, timeout=10)
