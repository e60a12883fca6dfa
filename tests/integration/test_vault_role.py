"""The vault role through the separated option's playbook, on the sandbox's real OpenBao, Keycloak and API servers.

Separated: 'workloads' (dev, test, uat) is a push target; 'staging' and 'production' are pull clusters.
"""

import base64
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import assert_ok, changed_tasks, kube_client, play, playbook, recap, run, static_volumes
from keycloak_admin import KeycloakAdmin
from vault_client import Vault, admin_token, credential_path, eso_token, key_shares, key_store
from sandbox import core as sandbox_core


pytestmark = pytest.mark.sandbox("separated")


@pytest.fixture(scope="module")
def converged(sandbox_pool, tools_env):
    """The separated sandbox as the pool converged it: a first run at -vvv that kept the root token, then a run
    that handed Vault over to the admin AppRole (conftest.CONVERGE_RUNS)."""
    state, runs = sandbox_pool.converged("separated", tools_env)
    return state, runs


def test_keys_stay_in_the_locked_down_secret_and_the_root_token_is_handed_over(converged):
    """Later runs (test_baseline's no-op and check) use the stored admin AppRole only."""
    state, (first, second) = converged
    assert "-vvv" in first.args and "vault_revoke_root_token=false" in first.args
    assert recap(first.stdout)["platform"]["changed"] > 0
    stored = first.snapshot  # the key store as the first run left it
    assert len(stored["keys"]) == 5 and stored["threshold"] == 3
    assert stored["admin"]["role"] == "krci-platform-admin" and stored["root_token"]
    for value in stored["keys"] + stored["keys_base64"] + [stored["root_token"], stored["admin"]["secret_id"]]:
        assert value not in first.stdout and value not in first.stderr  # the first run was at -vvv
    assert "root token revoked False" in " ".join(first.stdout.split())
    assert "root token revoked True" in " ".join(second.stdout.split())
    vault = Vault(state)
    assert vault.call("GET", "auth/token/lookup-self", stored["root_token"]).status_code == 403
    after = key_store(state)
    assert after["root_token"] is None and after["admin"] == stored["admin"] and after["keys"] == stored["keys"]
    # The key shares' Secret holds shares only; the credential is apart, in a file of mode 0600.
    shares = key_shares(state)
    assert "admin" not in shares and "root_token" not in shares and shares["pgp_encrypted"] is False
    assert oct(credential_path(state).stat().st_mode & 0o777) == "0o600"


def test_environment_isolation_through_kubernetes_auth(converged):
    state, _ = converged
    vault = Vault(state)
    token = admin_token(state)
    for env in ("staging", "production", "dev"):
        reply = vault.call("POST", "kv-%s/data/app" % env, token, json={"data": {"password": "pw-" + env}})
        assert reply.status_code == 200, reply.text
    audit = vault.call("GET", "sys/audit", token).json()
    assert "krci-audit/" in audit.get("data", audit)

    # A staging ServiceAccount token (TokenRequest, audience vault) logs in through the staging mount and
    # reads staging only.
    login = vault.login("kubernetes-staging", "eso-staging", eso_token(state["clusters"]["staging"]))
    assert login.status_code == 200, login.text
    auth = login.json()["auth"]
    assert auth["policies"] == ["default", "krci-staging-read"]
    staging = auth["client_token"]
    assert vault.call("GET", "kv-staging/data/app", staging).json()["data"]["data"] == {"password": "pw-staging"}
    assert vault.call("GET", "kv-production/data/app", staging).status_code == 403
    # The staging mount has no role for production, and a token of the wrong audience is refused.
    assert vault.login("kubernetes-staging", "eso-production", eso_token(state["clusters"]["staging"])).status_code != 200
    assert vault.login("kubernetes-staging", "eso-staging",
                       eso_token(state["clusters"]["staging"], audience="other")).status_code != 200
    # A dev (workloads cluster) token is denied on the production mount, and on production's role anywhere.
    dev = eso_token(state["clusters"]["workloads"])
    assert vault.login("kubernetes-production", "eso-production", dev).status_code != 200
    login = vault.login("kubernetes-workloads", "eso-dev", dev)
    assert login.status_code == 200, login.text
    assert vault.call("GET", "kv-production/data/app", login.json()["auth"]["client_token"]).status_code == 403

    # Pull clusters hand Vault no credential: their mounts verify tokens with public keys only and
    # never call the cluster; push targets' Kubernetes mounts hold a reviewer token.
    mounts = vault.call("GET", "sys/auth", token).json()["data"]
    for pull in ("production", "staging"):
        assert mounts["kubernetes-%s/" % pull]["type"] == "jwt"
        config = vault.call("GET", "auth/kubernetes-%s/config" % pull, token).json()["data"]
        assert config["jwt_validation_pubkeys"] and not config.get("oidc_discovery_url") and not config.get("jwks_url")
    assert mounts["kubernetes-workloads/"]["type"] == "kubernetes"
    config = vault.call("GET", "auth/kubernetes-workloads/config", token).json()["data"]
    assert config["token_reviewer_jwt_set"] is True
    client, api = kube_client(state["clusters"]["platform"])
    for secret in client.CoreV1Api(api).list_secret_for_all_namespaces().items:
        for value in (secret.data or {}).values():
            text = base64.b64decode(value).decode(errors="replace")
            assert "kubernetes-production" not in text and state["clusters"]["production"]["api_url"] not in text


def test_cluster_secret_stores_read_only_their_environment(converged):
    state, _ = converged
    for name, cluster in state["clusters"].items():
        client, api = kube_client(cluster)
        stores = client.CustomObjectsApi(api).list_cluster_custom_object("external-secrets.io", "v1",
                                                                         "clustersecretstores")["items"]
        by_name = {s["metadata"]["name"]: s["spec"] for s in stores}
        gitops = ["vault-gitops"] if name in ("platform", "staging", "production") else []  # the Argo CD instances
        assert sorted(by_name) == sorted(["vault-%s" % env for env in cluster["environments"]] + gitops), name
        for spec in [by_name[n] for n in gitops]:  # Argo CD's namespace only, the gitops mount only
            assert spec["conditions"] == [{"namespaces": ["argocd"]}]
            assert spec["provider"]["vault"]["path"] == "kv-gitops"
            auth = spec["provider"]["vault"]["auth"]
            assert (auth.get("jwt") or auth.get("kubernetes"))["role"] == "gitops"
        for env in cluster["environments"]:
            spec = by_name["vault-%s" % env]
            assert spec["conditions"] == [{"namespaces": ["krci-%s" % env]}]
            vault_spec = spec["provider"]["vault"]
            assert vault_spec["path"] == "kv-%s" % env and vault_spec["version"] == "v2"
            if cluster["gitops"] == "pull":  # JWT auth with an audience-bound token, verified offline
                auth = vault_spec["auth"]["jwt"]
                assert (auth["path"], auth["role"]) == ("kubernetes-%s" % name, "eso-%s" % env)
                assert auth["kubernetesServiceAccountToken"]["audiences"] == ["vault"]
            else:
                auth = vault_spec["auth"]["kubernetes"]
                assert (auth["mountPath"], auth["role"]) == ("kubernetes-%s" % name, "eso-%s" % env)
                assert auth["serviceAccountRef"]["audiences"] == ["vault"]


def test_keycloak_developer_gets_the_developers_policy(converged):
    state, _ = converged
    admin = KeycloakAdmin(state)
    password = "Pw-" + uuid.uuid4().hex
    admin.ensure_user("dora", password, groups=["krci-developers"])
    client, api = kube_client(state["clusters"]["platform"])
    secret = client.CoreV1Api(api).read_namespaced_secret("keycloak-oidc-client", "vault").data
    reply = admin.session.post(state["keycloak"]["url"] + "/realms/krci/protocol/openid-connect/token", timeout=30,
                               headers={"Authorization": ""}, data={
                                   "grant_type": "password", "client_id": "vault", "scope": "openid",
                                   "client_secret": base64.b64decode(secret["clientSecret"]).decode(),
                                   "username": "dora", "password": password})
    assert reply.status_code == 200, reply.text
    id_token = reply.json()["id_token"]
    vault = Vault(state)
    login = vault.login("keycloak", "krci-developers", id_token)
    assert login.status_code == 200, login.text
    policies = login.json()["auth"]["policies"]
    assert "krci-developers" in policies and "krci-administrators" not in policies
    assert vault.login("keycloak", "krci-administrators", id_token).status_code != 200
    token = login.json()["auth"]["client_token"]
    assert vault.call("POST", "kv-dev/data/dora", token, json={"data": {"a": "b"}}).status_code == 200
    assert vault.call("GET", "kv-production/data/app", token).status_code == 403
    # uat is view in the access table: keys and versions, never a value (as Kubernetes' view reads no Secret).
    assert vault.call("LIST", "kv-uat/metadata/", token).status_code in (200, 404)
    assert vault.call("GET", "kv-uat/data/app", token).status_code == 403


def test_openbao_restarted_sealed_is_unsealed_by_the_next_run(converged, tools_env):
    state, _ = converged
    sandbox_core.restart("separated", "openbao")
    vault = Vault(state)
    assert vault.call("GET", "sys/seal-status").json()["sealed"] is True
    result = play(state, tools_env, "secrets", "-vvv")
    assert_ok(result)
    assert vault.call("GET", "sys/seal-status").json()["sealed"] is False
    stored = key_store(state)
    for value in stored["keys"] + stored["keys_base64"] + [stored["admin"]["secret_id"]]:
        assert value not in result.stdout and value not in result.stderr
    again = play(state, tools_env, "secrets")
    assert all(c["changed"] == 0 for c in assert_ok(again).values()), changed_tasks(again.stdout)


@pytest.mark.parametrize("extra,message", [
    ('{"vault_kubernetes_clusters": ["platform", "dev-cluster"]}',
     "vault_kubernetes_clusters: dev-cluster not in the topology"),
    ('{"vault_key_shares": 3, "vault_key_threshold": 4}', "vault_key_threshold (4) is greater than vault_key_shares (3)"),
])
def test_bad_input_fails_before_any_change(converged, tools_env, extra, message):
    state, _ = converged
    vault = Vault(state)
    token = admin_token(state)
    before = vault.call("GET", "sys/auth", token).json()["data"]
    result = playbook(state, tools_env, "-e", extra)
    assert result.returncode != 0
    flat = " ".join(result.stdout.split())
    assert message in flat
    # It stopped in the validation plays: no identity, baseline or secrets play ran.
    assert "TASK [Configure the platform realm" not in flat and "TASK [krci.platform.cluster_baseline" not in flat
    assert vault.call("GET", "sys/auth", token).json()["data"].keys() == before.keys()


def test_vault_role_installs_openbao_on_the_platform_cluster(converged, tools_env, tmp_path):
    """The install path: StatefulSet (raft, TLS, audit) ready on the kwok node, volumes bound; re-run changed=0.

    The server that is then configured is the sandbox's own (vault_addr), as kwok runs no container.
    """
    state, _ = converged
    client, api = kube_client(state["clusters"]["platform"])
    core_v1 = client.CoreV1Api(api)
    static_volumes(state["clusters"]["platform"], "openbao-test", 2)  # data and audit of one server
    play = tmp_path / "install.yml"
    play.write_text(yaml.safe_dump([{"hosts": "role_platform", "gather_facts": False, "roles": [
        {"role": "krci.platform.vault", "vars": {
            "vault_install": True, "vault_replicas": 1, "vault_storage_class": "krci-sandbox",
            "vault_storage_size": "1Gi", "vault_audit_storage_size": "1Gi", "vault_hostname": "vault.krci.test"}}]}]))
    first = run(["ansible-playbook", "-i", state["inventory"], str(play)], tools_env)
    assert first.returncode == 0, first.stdout[-3000:]
    apps = client.AppsV1Api(api)
    statefulset = apps.read_namespaced_stateful_set("openbao", "vault")
    assert statefulset.status.ready_replicas == 1
    assert statefulset.spec.template.spec.containers[0].image == "quay.io/openbao/openbao:2.7.2"
    claims = core_v1.list_namespaced_persistent_volume_claim("vault").items
    assert sorted(c.metadata.name for c in claims) == ["audit-openbao-0", "data-openbao-0"]
    assert all(c.status.phase == "Bound" for c in claims)
    config = core_v1.read_namespaced_config_map("openbao-config", "vault").data["config.hcl"]
    assert 'storage "raft"' in config and "openbao-0.openbao-internal.vault.svc:8200" in config
    assert 'audit "file" "krci-audit"' in config and 'tls_cert_file   = "/openbao/tls/tls.crt"' in config
    namespace = core_v1.read_namespace("vault")
    assert namespace.metadata.labels["pod-security.kubernetes.io/enforce"] == "restricted"
    second = run(["ansible-playbook", "-i", state["inventory"], str(play)], tools_env)
    assert second.returncode == 0 and "changed=0" in second.stdout.split("PLAY RECAP")[1], second.stdout[-3000:]


def test_each_argo_cd_instance_reads_only_its_own_git_credentials(converged):
    """Real logins with the External Secrets ServiceAccount of each cluster through the role 'gitops'."""
    state, _ = converged
    vault = Vault(state)
    token = admin_token(state)
    for instance in ("hub", "staging", "production"):
        reply = vault.call("POST", "kv-gitops/data/%s/repo-creds" % instance, token,
                           json={"data": {"url": "https://git.example.test/%s.git" % instance, "password": "pw"}})
        assert reply.status_code == 200, reply.text
    readers = {}
    for cluster, mount, instance in (("platform", "kubernetes-platform", "hub"),
                                     ("staging", "kubernetes-staging", "staging"),
                                     ("production", "kubernetes-production", "production")):
        login = vault.login(mount, "gitops", eso_token(state["clusters"][cluster]))
        assert login.status_code == 200, login.text
        assert login.json()["auth"]["policies"] == ["default", "gitops-%s-read" % instance]
        readers[instance] = login.json()["auth"]["client_token"]
    for instance, reader in readers.items():
        for other in readers:
            reply = vault.call("GET", "kv-gitops/data/%s/repo-creds" % other, reader)
            if other == instance:
                assert reply.json()["data"]["data"]["url"] == "https://git.example.test/%s.git" % instance
            else:
                assert reply.status_code == 403, (instance, other)
        assert vault.call("GET", "kv-production/data/app", reader).status_code == 403  # not an environment's secrets
    # The push target runs no Argo CD: it has no 'gitops' role, and the hub's role is not production's.
    assert vault.login("kubernetes-workloads", "gitops", eso_token(state["clusters"]["workloads"])).status_code != 200
    assert vault.login("kubernetes-production", "gitops", eso_token(state["clusters"]["platform"])).status_code != 200

