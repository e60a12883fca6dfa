# -*- coding: utf-8 -*-
"""The platform plan: what every role applies, derived once from the topology."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.krci.platform.plugins.module_utils import _platform, _topology

IN_CLUSTER = "https://kubernetes.default.svc"


def topology(option):
    clusters = _topology.clusters(option)
    for index, cluster in enumerate(clusters):
        cluster["api_url"] = "https://127.0.0.1:%d" % (6443 + index)
    return clusters


def url_of(option, name):
    return [c["api_url"] for c in topology(option) if c["name"] == name][0]


@pytest.mark.parametrize("option", _topology.OPTIONS)
def test_every_option_plans_without_errors(option):
    result = _platform.plan(topology(option), {"vault": True})
    assert result["errors"] == []
    assert result["hub_cluster"] == "platform"


def test_separated_plan_per_cluster():
    result = _platform.plan(topology("separated"), {"vault": True})
    assert result["environments"] == ["dev", "test", "uat", "staging", "production"]
    assert result["push_targets"] == ["workloads"]
    assert result["pull_clusters"] == ["production", "staging"]
    assert result["argocd"]["instances"] == {"platform": "hub", "production": "production", "staging": "staging"}
    assert result["argocd"]["clients"] == {"hub": "argocd-hub", "production": "argocd-production",
                                           "staging": "argocd-staging"}
    workloads = result["clusters"]["workloads"]
    assert workloads["namespaces"] == {"dev": "krci-dev", "test": "krci-test", "uat": "krci-uat"}
    assert workloads["argocd"] == {"instance": None, "deployed_by": "hub", "push_target": True,
                                   "managed_namespaces": ["krci-dev", "krci-test", "krci-uat"],
                                   "extra_namespaces": []}
    assert workloads["vault"]["mount"] == "kubernetes-workloads"
    assert workloads["vault"]["type"] == "kubernetes"
    assert sorted(workloads["vault"]["roles"]) == ["eso-dev", "eso-test", "eso-uat"]
    assert workloads["client_secrets"] == []
    production = result["clusters"]["production"]
    assert production["argocd"]["instance"] == "production"
    assert production["argocd"]["deployed_by"] == "production"
    assert production["argocd"]["push_target"] is False
    assert production["vault"]["type"] == "jwt"
    assert production["vault"]["roles"]["gitops"]["token_policies"] == ["gitops-production-read"]
    assert production["vault"]["roles"]["eso-production"]["bound_subject"] == \
        "system:serviceaccount:external-secrets:external-secrets"
    assert [c["client"] for c in production["client_secrets"]] == ["argocd-production"]
    assert [s["name"] for s in production["secret_stores"]] == ["vault-production", "vault-gitops"]


def test_hub_projects_deploy_in_cluster_and_to_each_push_target():
    result = _platform.plan(topology("shared"))
    projects = result["clusters"]["platform"]["argocd"]["projects"]
    assert [p["name"] for p in projects] == ["dev", "test", "staging"]
    by_name = {p["name"]: p for p in projects}
    assert by_name["dev"]["destinations"] == [{"server": IN_CLUSTER, "namespace": "krci-dev"}]
    assert by_name["dev"]["remote"] is False
    assert by_name["staging"]["destinations"] == [{"server": url_of("shared", "staging"), "namespace": "krci-staging"}]
    assert by_name["staging"]["remote"] is True
    # A dedicated instance deploys its own cluster only, in-cluster.
    assert result["clusters"]["production"]["argocd"]["projects"] == [
        {"name": "production", "cluster": "production", "server": IN_CLUSTER, "remote": False,
         "destinations": [{"server": IN_CLUSTER, "namespace": "krci-production"}]}]
    # No instance runs in a push target.
    assert "projects" not in result["clusters"]["staging"]["argocd"]


def test_isolated_hub_reaches_dev_test_uat_and_never_a_pull_cluster():
    result = _platform.plan(topology("isolated"))
    assert result["push_targets"] == ["dev", "test", "uat"]
    servers = {d["server"] for p in result["clusters"]["platform"]["argocd"]["projects"] for d in p["destinations"]}
    assert servers == {url_of("isolated", n) for n in ("dev", "test", "uat")}
    for pull in ("staging", "production"):
        assert url_of("isolated", pull) not in json.dumps(result["clusters"]["platform"])
        assert result["clusters"][pull]["argocd"]["deployed_by"] == pull


def test_extra_destinations_join_their_project_and_the_managed_namespaces():
    result = _platform.plan(topology("separated"), {"argocd_extra_destinations": [
        {"project": "dev", "cluster": "workloads", "namespace": "krci-dev-previews"},
        {"project": "staging", "cluster": "staging", "namespace": "krci-staging-canary"}]})
    assert result["errors"] == []
    hub = {p["name"]: p for p in result["clusters"]["platform"]["argocd"]["projects"]}
    assert {"server": url_of("separated", "workloads"), "namespace": "krci-dev-previews"} in hub["dev"]["destinations"]
    assert result["clusters"]["workloads"]["argocd"]["managed_namespaces"] == [
        "krci-dev", "krci-dev-previews", "krci-test", "krci-uat"]
    staging = result["clusters"]["staging"]["argocd"]
    assert staging["projects"][0]["destinations"][1] == {"server": IN_CLUSTER, "namespace": "krci-staging-canary"}
    assert staging["extra_namespaces"] == ["krci-staging-canary"]
    assert staging["managed_namespaces"] == []


@pytest.mark.parametrize("settings, message", [
    ({"argocd_push_targets": ["production"]}, "argocd_push_targets: production is a pull cluster"),
    ({"argocd_push_targets": ["nowhere"]}, "argocd_push_targets: 'nowhere' is not a cluster of the topology"),
    ({"argocd_extra_destinations": [{"project": "dev", "cluster": "elsewhere", "namespace": "x"}]},
     "argocd_extra_destinations[0].cluster: 'elsewhere' is outside the topology"),
    ({"argocd_extra_destinations": [{"project": "qa", "cluster": "workloads", "namespace": "x"}]},
     "argocd_extra_destinations[0].project: 'qa' is not an environment"),
    ({"argocd_extra_destinations": [{"project": "staging", "cluster": "workloads", "namespace": "x"}]},
     "argocd_extra_destinations[0]: cluster workloads does not carry environment staging"),
    ({"argocd_push_targets": [], "argocd_extra_destinations": [{"project": "dev", "cluster": "workloads",
                                                               "namespace": "x"}]},
     "cluster workloads is not in argocd_push_targets"),
    ({"argocd_extra_destinations": [{"project": "dev", "cluster": "workloads", "namespace": "Not_A_Name"}]},
     "argocd_extra_destinations[0].namespace: 'Not_A_Name' is not a namespace name"),
    ({"vault_gitops_mount": "kv-dev"}, "vault_gitops_mount: kv-dev is already the mount of an environment"),
    ({"vault_gitops_mount": "kv gitops"}, "vault_gitops_mount: 'kv gitops' is not a mount name"),
    ({"vault_kv_mount_prefix": "kv/"}, "vault_kv_mount_prefix: 'kv/' makes the mount 'kv/dev'"),
    ({"vault_kubernetes_clusters": ["platform", "ghost"]}, "vault_kubernetes_clusters: ghost not in the topology"),
    ({"vault_oidc_issuer": "keycloak"}, 'vault_oidc_issuer must be a URL (got "keycloak")'),
    ({"namespace_prefix": "KRCI-"}, "krci_namespace_prefix: 'KRCI-' must be lower-case"),
    ({"namespace_prefix": "a" * 60 + "-"}, "which is not a DNS-1123 label"),
    ({"argocd_version": "3.5.1"}, "argocd_version: '3.5.1' is not a release tag"),
    ({"argocd_install_manifest": "/nowhere/install.yaml"}, "argocd_install_manifest: /nowhere/install.yaml is neither"),
    ({"argocd_repo_credentials_from": "git"}, "argocd_repo_credentials_from: 'git'; use environment"),
    ({"argocd_repo_credentials_from": "vault"}, "argocd_repo_credentials_from: vault, but this inventory has no Vault"),
    ({"argocd_repo_credentials_from": "vault", "vault": True, "vault_gitops_mount": ""},
     "argocd_repo_credentials_from: vault needs the GitOps mount"),
    ({"argocd_repo_credentials_from": "vault", "vault": True, "argocd_repo_credentials_key": "/abs"},
     "argocd_repo_credentials_key: '/abs' is not a Vault key path"),
    ({"argocd_root_repo": "github.com/x"}, "argocd_root_repo: 'github.com/x' is not a Git URL"),
    ({"argocd_source_repos": ["https://ok", "ftp://no"]}, "argocd_source_repos: 'ftp://no' is not a Git URL"),
    ({"argocd_root_path_prefix": "../argocd"}, "argocd_root_path_prefix: '../argocd' is not a relative path"),
    ({"argocd_environments_path": "/environments"}, "argocd_environments_path: '/environments' is not a relative"),
    ({"argocd_environments_path": "envs/../../x"}, "argocd_environments_path: 'envs/../../x' is not a relative"),
    ({"argocd_root_revision": "--upload-pack=x"}, "argocd_root_revision: '--upload-pack=x' is not a branch"),
    ({"argocd_git_ca_file": "/nowhere/ca.pem"}, "argocd_git_ca_file: /nowhere/ca.pem is not a file"),
])
def test_bad_settings_are_errors_naming_the_variable(settings, message):
    result = _platform.plan(topology("separated"), settings, file_exists=lambda path: False)
    assert any(message in error for error in result["errors"]), result["errors"]


def test_a_topology_without_environments_is_an_error_for_vault():
    result = _platform.plan([{"name": "platform", "role": "platform", "environments": [], "gitops": "push"}])
    assert "vault_environments is empty: the inventory has no environments" in result["errors"]


def test_one_prefix_names_namespaces_stores_and_hub_rights():
    result = _platform.plan(topology("shared"), {"namespace_prefix": "acme-"})
    assert result["clusters"]["platform"]["namespaces"] == {"dev": "acme-dev", "test": "acme-test"}
    assert result["clusters"]["staging"]["argocd"]["managed_namespaces"] == ["acme-staging"]
    assert [s["namespace"] for s in result["clusters"]["staging"]["secret_stores"]] == ["acme-staging"]
    hub = result["clusters"]["platform"]["argocd"]["projects"]
    assert {d["namespace"] for p in hub for d in p["destinations"]} == {"acme-dev", "acme-test", "acme-staging"}


def test_vault_platform_mounts_and_auth_methods():
    result = _platform.plan(topology("isolated"), {"vault_oidc_issuer": "https://sso.example.com/realms/krci"})
    vault = result["vault"]
    assert vault["kv_mounts"] == {"dev": "kv-dev", "test": "kv-test", "uat": "kv-uat", "staging": "kv-staging",
                                  "production": "kv-production"}
    assert sorted(vault["secrets_engines"]) == ["kv-dev", "kv-gitops", "kv-production", "kv-staging", "kv-test", "kv-uat"]
    types = {mount: method["type"] for mount, method in vault["auth_methods"].items()}
    assert types == {"kubernetes-platform": "kubernetes", "kubernetes-dev": "kubernetes", "kubernetes-test": "kubernetes",
                     "kubernetes-uat": "kubernetes", "kubernetes-staging": "jwt", "kubernetes-production": "jwt",
                     "keycloak": "jwt"}
    assert vault["gitops_instances"] == {"platform": "hub", "production": "production", "staging": "staging"}
    # The platform cluster carries no environment, so it only gets the hub's GitOps role and store.
    assert sorted(result["clusters"]["platform"]["vault"]["roles"]) == ["gitops"]
    assert [s["name"] for s in result["clusters"]["platform"]["secret_stores"]] == ["vault-gitops"]


def test_without_a_gitops_mount_no_gitops_roles_or_stores():
    result = _platform.plan(topology("separated"), {"vault_gitops_mount": ""})
    assert result["vault"]["gitops_instances"] == {}
    assert "gitops" not in result["clusters"]["production"]["vault"]["roles"]
    assert [s["name"] for s in result["clusters"]["production"]["secret_stores"]] == ["vault-production"]


def test_the_plan_is_deterministic_whatever_the_input_order():
    forward = topology("isolated")
    backward = list(reversed(forward))
    for cluster in backward:
        cluster["environments"] = list(reversed(cluster["environments"]))
    first = json.dumps(_platform.plan(forward, {"argocd_push_targets": ["uat", "dev", "test"]}))
    second = json.dumps(_platform.plan(backward, {"argocd_push_targets": ["test", "uat", "dev"]}))
    assert first == second


def test_nothing_about_a_pull_cluster_is_in_the_platform_clusters_part():
    result = _platform.plan(topology("separated"))
    platform = json.dumps(result["clusters"]["platform"])
    for pull in ("staging", "production"):
        assert url_of("separated", pull) not in platform
        assert "argocd-" + pull not in platform


def test_people_auth_binds_one_role_per_group_and_adds_oidc_only_with_a_client_secret():
    policies = {"krci-viewers": "krci-viewers", "krci-administrators": "krci-administrators"}
    issuer = "https://keycloak.example/realms/krci"
    jwt_only = _platform.people_auth(policies, issuer, "", "vault", "https://vault.example/", [], "")
    assert jwt_only["auth_methods"] == {}
    [keycloak] = jwt_only["configs"]
    assert keycloak["mount"] == "keycloak"
    assert keycloak["config"] == {"oidc_discovery_url": issuer, "bound_issuer": issuer}
    assert sorted(keycloak["roles"]) == ["krci-administrators", "krci-viewers"]
    assert keycloak["roles"]["krci-viewers"] == {
        "role_type": "jwt", "user_claim": "preferred_username", "groups_claim": "groups",
        "bound_claims": {"groups": ["krci-viewers"]}, "bound_audiences": ["vault"],
        "token_policies": ["krci-viewers"], "token_ttl": 3600}

    both = _platform.people_auth(policies, issuer, "PEM", "vault", "https://vault.example/",
                                 ["http://localhost:8250/oidc/callback"], "s3cret")
    assert both["auth_methods"] == {"oidc": {"type": "oidc", "description": "Keycloak browser login"}}
    keycloak, oidc = both["configs"]
    assert keycloak["config"]["oidc_discovery_ca_pem"] == "PEM"
    assert oidc["config"]["oidc_client_secret"] == "s3cret" and oidc["config"]["oidc_client_id"] == "vault"
    assert oidc["roles"]["krci-administrators"]["allowed_redirect_uris"] == [
        "https://vault.example/ui/vault/auth/oidc/oidc/callback", "http://localhost:8250/oidc/callback"]
    assert oidc["roles"]["krci-administrators"]["token_policies"] == ["krci-administrators"]


def _granted(policy, role):
    """env -> set of actions a role has in that project, from policy.csv lines."""
    result = {}
    for line in policy:
        parts = [p.strip() for p in line.split(",")]
        if parts[0] == "p" and parts[1] == role:
            env = parts[4].split("/")[0]
            result.setdefault(env, set()).add("%s:%s" % (parts[2], parts[3]))
    return result


@pytest.mark.parametrize("option", _topology.OPTIONS)
def test_every_argocd_policy_agrees_with_the_access_table_the_rolebindings_use(option):
    result = _platform.plan(topology(option), {"vault": True})
    access = result["access"]
    assert access == _platform.ACCESS
    for name, cluster in result["clusters"].items():
        argocd = cluster["argocd"]
        if argocd["instance"] is None:
            continue
        projects = [p["name"] for p in argocd["projects"]]
        policy = argocd["policy"]
        assert policy[0] == "g, krci-administrators, role:admin"
        assert not any("role:readonly" in line or ", *, allow" in line for line in policy)  # nothing global
        for audience, role in (("developers", "role:krci-developer"), ("viewers", "role:krci-viewer")):
            granted = _granted(policy, role)
            for env in projects:
                wanted = {"edit": {"projects:get", "applications:get", "applications:sync"},
                          "view": {"projects:get", "applications:get"}, "none": set()}[access[env][audience]]
                assert granted.get(env, set()) == wanted, (option, name, env, audience)
            assert set(granted) <= set(projects)
            bound = "g, krci-%s, %s" % (audience, role) in policy
            assert bound == bool(granted), (option, name, audience)


def test_the_production_instance_grants_people_nothing_but_administrators():
    result = _platform.plan(topology("separated"), {"vault": True})
    assert result["clusters"]["production"]["argocd"]["policy"] == ["g, krci-administrators, role:admin"]


@pytest.mark.parametrize("access, message", [
    (dict(_platform.ACCESS, production={"developers": "view", "viewers": "none"}),
     "krci_access.production: developers and viewers must be none"),
    (dict(_platform.ACCESS, dev={"developers": "admin", "viewers": "view"}), "krci_access.dev.developers: 'admin'"),
    (dict((k, v) for k, v in _platform.ACCESS.items() if k != "uat"), "no entry for environment uat"),
    (dict(_platform.ACCESS, qa2={"developers": "view", "viewers": "view"}), "krci_access.qa2: not an environment"),
    ("edit", "must be a mapping"),
])
def test_a_bad_access_table_is_a_plan_error_naming_the_field(access, message):
    result = _platform.plan(topology("shared"), {"vault": True, "access": access})
    assert any(message in error for error in result["errors"]), result["errors"]


def test_api_server_authentication_trusts_the_issuer_with_its_ca_and_prefixes_as_the_baseline_binds():
    from ansible_collections.krci.platform.plugins.module_utils._platform import api_server_authentication

    config = api_server_authentication("https://sso.example.com/realms/krci", "kubernetes", "-----BEGIN CERTIFICATE-----")
    assert config["kind"] == "AuthenticationConfiguration"
    jwt = config["jwt"][0]
    assert jwt["issuer"] == {"url": "https://sso.example.com/realms/krci", "audiences": ["kubernetes"],
                             "certificateAuthority": "-----BEGIN CERTIFICATE-----"}
    assert jwt["claimMappings"]["groups"] == {"claim": "groups", "prefix": "oidc:"}
    assert jwt["claimMappings"]["username"] == {"claim": "preferred_username", "prefix": "oidc:"}
    # A public CA: nothing to add; the system's trust is the API server's.
    assert "certificateAuthority" not in api_server_authentication("https://sso.example.com/realms/krci", "k8s")["jwt"][0]["issuer"]


def test_vault_people_policies_follow_the_access_table():
    from ansible_collections.krci.platform.plugins.module_utils._platform import ACCESS, vault_policies

    envs = ["production", "dev", "test", "uat", "staging"]
    policies = vault_policies(ACCESS, envs, "kv-", "kv-gitops", {"platform": "hub", "production": "production"})
    developers, viewers = policies["krci-developers"], policies["krci-viewers"]
    # edit: read and write the values; view: keys and versions only; none: nothing.
    assert 'path "kv-dev/data/*" { capabilities = ["create", "read", "update", "patch", "delete"] }' in developers
    assert 'kv-uat/data/' not in developers and 'path "kv-uat/metadata/*" { capabilities = ["read", "list"] }' in developers
    assert "kv-production" not in developers and "kv-production" not in viewers
    assert "/data/" not in viewers and 'path "kv-staging/metadata/*"' in viewers
    assert 'path "kv-production/*"' in policies["krci-administrators"] and 'path "kv-gitops/*"' in policies["krci-administrators"]
    assert policies["gitops-production-read"].startswith('path "kv-gitops/data/production/*"')
    assert policies["krci-production-read"] == ('path "kv-production/data/*" { capabilities = ["read"] }\n'
                                                'path "kv-production/metadata/*" { capabilities = ["read", "list"] }\n')
    # A table that gives developers edit in uat gives them uat's values.
    wider = dict(ACCESS, uat={"developers": "edit", "viewers": "none"})
    wider_policies = vault_policies(wider, envs, "kv-")
    assert 'path "kv-uat/data/*"' in wider_policies["krci-developers"] and "kv-uat" not in wider_policies["krci-viewers"]
    assert not [name for name in wider_policies if name.startswith("gitops-")]


@pytest.mark.parametrize("option", _topology.OPTIONS)
def test_gitops_layout_gives_each_instance_one_application_per_environment_it_deploys(option):
    repo = "https://git.example.test/krci/gitops.git"
    result = _platform.plan(topology(option), {"argocd_root_repo": repo, "argocd_source_repos": [repo]})
    files = _platform.gitops_layout(result)
    pulls = result["pull_clusters"]
    expected = {}
    for name, cluster in result["clusters"].items():
        deployer = name if name in pulls else "hub"
        for env in cluster["environments"]:
            expected["argocd/%s/%s.yaml" % (deployer, env)] = (name, env)
    assert sorted(files) == sorted(expected)
    for path, (cluster, env) in expected.items():
        app = files[path]
        assert app["kind"] == "Application" and app["metadata"] == {
            "name": env, "namespace": "argocd",
            "labels": {"app.kubernetes.io/part-of": "krci-platform", "krci.platform/environment": env}}
        spec = app["spec"]
        assert spec["project"] == env
        assert spec["source"] == {"repoURL": repo, "targetRevision": "main", "path": "environments/" + env}
        own = cluster == "platform" or cluster in pulls
        server = IN_CLUSTER if own else url_of(option, cluster)
        assert spec["destination"] == {"server": server, "namespace": "krci-" + env}
        assert spec["syncPolicy"] == {"automated": {"prune": True, "selfHeal": True}}
    # Production is never in the hub's path: its own instance reads argocd/production.
    assert not [p for p in files if p.startswith("argocd/hub/") and "production" in p]


def test_gitops_layout_follows_the_path_settings_and_the_git_ca_hosts():
    result = _platform.plan(topology("shared"), {
        "argocd_root_repo": "https://ci@git.example.test:8443/gitops.git", "argocd_root_revision": "release",
        "argocd_source_repos": ["https://apps.example.test/x.git", "ssh://git@ssh.example.test/y.git"],
        "argocd_git_url": "https://creds.example.test/", "argocd_root_path_prefix": "platform/apps",
        "argocd_environments_path": "deploy", "argocd_git_ca_file": "/ca.pem"}, file_exists=lambda path: True)
    assert result["errors"] == []
    files = _platform.gitops_layout(result)
    assert "platform/apps/hub/dev.yaml" in files and "platform/apps/production/production.yaml" in files
    assert files["platform/apps/hub/dev.yaml"]["spec"]["source"]["path"] == "deploy/dev"
    assert files["platform/apps/hub/dev.yaml"]["spec"]["source"]["targetRevision"] == "release"
    assert result["clusters"]["production"]["argocd"]["root_path"] == "platform/apps/production"
    # Every HTTPS host gets the CA (ports and user info stripped); SSH repositories need none.
    assert result["argocd"]["git_tls_hosts"] == ["apps.example.test", "creds.example.test", "git.example.test"]
    without_ca = _platform.plan(topology("shared"), {"argocd_root_repo": "https://git.example.test/g.git"})
    assert without_ca["argocd"]["git_tls_hosts"] == []


def test_openshift_clusters_get_an_oauth_client_whose_secret_only_they_receive():
    from ansible_collections.krci.platform.plugins.module_utils import _flavour

    openshift = _flavour.for_flavour("openshift", {"ingress_domain": "apps.prod.example.com"})
    vanilla = _flavour.for_flavour("kubernetes")
    result = _platform.plan(topology("separated"), {"vault": True, "flavours": {
        "production": openshift, "platform": dict(openshift, ingress_domain="apps.hub.example.com"),
        "workloads": vanilla}})
    assert result["errors"] == []
    clients = result["keycloak"]["openshift_clients"]
    assert sorted(clients) == ["platform", "production"]
    assert clients["production"] == {"client": "openshift-production", "idp_name": "keycloak", "method": "oauth",
                                     "redirect_uri": "https://oauth-openshift.apps.prod.example.com/oauth2callback/keycloak",
                                     "title": "OpenShift OAuth server (production cluster)",
                                     "secret_namespace": "openshift-config"}
    production = result["clusters"]["production"]
    assert production["openshift_oauth"] == clients["production"]
    assert {"client": "openshift-production", "namespace": "openshift-config", "labels": {}} in production["client_secrets"]
    # Nobody else gets that secret: the platform host never holds a pull cluster's credential.
    for name, cluster in result["clusters"].items():
        if name != "production":
            assert "openshift-production" not in [c["client"] for c in cluster["client_secrets"]], name
    assert result["clusters"]["workloads"]["openshift_oauth"] is None
    assert result["clusters"]["staging"]["openshift_oauth"] is None


def test_a_cluster_on_direct_external_oidc_gets_a_console_client_and_the_method_is_checked():
    from ansible_collections.krci.platform.plugins.module_utils import _flavour

    openshift = _flavour.for_flavour("openshift", {"ingress_domain": "apps.prod.example.com"})
    result = _platform.plan(topology("separated"), {"vault": True, "flavours": {
        "production": openshift, "platform": dict(openshift, ingress_domain="apps.hub.example.com")},
        "openshift_authentication": {"production": "external_oidc", "platform": "oauth"}})
    assert result["errors"] == []
    clients = result["keycloak"]["openshift_clients"]
    assert clients["production"]["method"] == "external_oidc"
    assert clients["production"]["redirect_uri"] == "https://console-openshift-console.apps.prod.example.com/auth/callback"
    assert clients["platform"]["method"] == "oauth"
    assert clients["platform"]["redirect_uri"] == "https://oauth-openshift.apps.hub.example.com/oauth2callback/keycloak"
    # The same client secret Secret either way (the console reads clientSecret from it).
    assert {"client": "openshift-production", "namespace": "openshift-config", "labels": {}} in \
        result["clusters"]["production"]["client_secrets"]
    methods = {"production": "oidc", "workloads": "external_oidc"}
    bad = _platform.plan(topology("separated"), {"vault": True, "flavours": {"production": openshift},
                                                 "openshift_authentication": methods})
    assert "cluster production: openshift_authentication 'oidc'; use oauth (the OAuth server's identity provider) " \
        "or external_oidc (the API server verifies the realm's tokens, OpenShift 4.19 and later)" in bad["errors"]
    assert any(e.startswith("cluster workloads: openshift_authentication external_oidc, but the cluster is not OpenShift")
               for e in bad["errors"])


def test_an_openshift_cluster_without_a_readable_apps_domain_is_named():
    from ansible_collections.krci.platform.plugins.module_utils import _flavour

    result = _platform.plan(topology("shared"), {"vault": True, "openshift_idp_name": "Key_cloak", "flavours": {
        "staging": _flavour.for_flavour("openshift", {})}})
    assert any(e.startswith("cluster staging is OpenShift but its ingresses.config.openshift.io 'cluster' has no domain")
               for e in result["errors"])
    assert any(e.startswith("openshift_idp_name: 'Key_cloak' is not a DNS label") for e in result["errors"])


def test_the_oauth_identity_provider_references_its_secret_and_ca_and_keeps_the_others():
    from ansible_collections.krci.platform.plugins.module_utils import _flavour

    idp = _flavour.openid_identity_provider("keycloak", "https://sso.example.com/realms/krci", "openshift-production",
                                            "keycloak-oidc-client", "krci-keycloak-ca")
    assert idp["openID"]["clientSecret"] == {"name": "keycloak-oidc-client"}
    assert idp["openID"]["ca"] == {"name": "krci-keycloak-ca"}
    assert idp["openID"]["claims"]["groups"] == ["groups"] and idp["type"] == "OpenID"
    local = {"name": "local", "type": "HTPasswd", "mappingMethod": "claim", "htpasswd": {"fileData": {"name": "h"}}}
    old = dict(idp, mappingMethod="add")
    assert _flavour.with_identity_provider([local], idp) == [local, idp]
    assert _flavour.with_identity_provider([old, local], idp) == [idp, local]
    assert _flavour.with_identity_provider([], idp) == [idp]


def test_each_argocd_instance_url_is_planned_once_and_checked():
    result = _platform.plan(topology("separated"), {"vault": True, "base_domain": "krci.example.com",
                                                    "argocd_urls": {"staging": "https://cd.staging.krci.example.com/"}})
    assert result["errors"] == []
    assert result["argocd"]["urls"] == {"hub": "https://argocd-hub.krci.example.com",
                                        "production": "https://argocd-production.krci.example.com",
                                        "staging": "https://cd.staging.krci.example.com"}
    bad = _platform.plan(topology("separated"), {"vault": True, "argocd_urls": {
        "hub": "http://argocd.krci.test", "production": "https://Argo.krci.test", "dev": "https://x.krci.test"}})
    assert "argocd_urls.hub: 'http://argocd.krci.test' is not an https URL with a lower-case DNS name as host" in bad["errors"]
    assert any(e.startswith("argocd_urls.production: 'https://Argo.krci.test' is not") for e in bad["errors"])
    assert "argocd_urls.dev: no Argo CD instance of that name (instances: hub, production, staging)" in bad["errors"]
