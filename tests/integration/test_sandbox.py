"""The sandbox itself, on its real servers (option 'shared': 3 control planes, Keycloak, OpenBao)."""

import json
import time
import uuid

import pytest
import requests

from conftest import kube_client, run
from keycloak_admin import KeycloakAdmin, claims
from sandbox import procs

pytestmark = pytest.mark.sandbox("shared")

OPTION = "shared"


@pytest.fixture(scope="module")
def state(sandbox_pool):
    return sandbox_pool.get(OPTION)


@pytest.fixture(scope="module")
def platform(state):
    return state["clusters"]["platform"]


def test_every_api_server_is_ready_and_reports_the_pinned_version(state):
    assert len(state["clusters"]) == 3
    for name, cluster in state["clusters"].items():
        client, api = kube_client(cluster)
        body = api.call_api("/readyz", "GET", auth_settings=["BearerToken"], response_type="str",
                            _return_http_data_only=True, _preload_content=False)
        assert body.status == 200, name
        version = client.VersionApi(api).get_code()
        assert version.git_version == "v1.34.4", name
        assert cluster["api_url"].startswith("https://127.0.0.1:"), name


def test_a_deployment_becomes_available_on_a_kwok_node(platform):
    client, api = kube_client(platform)
    apps = client.AppsV1Api(api)
    name = "web-%s" % uuid.uuid4().hex[:6]
    apps.create_namespaced_deployment("default", {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "c", "image": "registry.invalid/app:1"}]}}},
    })
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = apps.read_namespaced_deployment_status(name, "default").status
        available = [c for c in (status.conditions or []) if c.type == "Available" and c.status == "True"]
        if available and status.ready_replicas == 2:
            break
        time.sleep(1)
    else:
        pytest.fail("Deployment %s did not become Available: %s" % (name, status))
    pods = client.CoreV1Api(api).list_namespaced_pod("default", label_selector="app=%s" % name).items
    assert {p.spec.node_name for p in pods} == {"kwok-node-0"}
    assert all(p.status.phase == "Running" for p in pods)


def test_token_request_token_passes_token_review_and_rbac_applies(platform):
    client, api = kube_client(platform)
    core = client.CoreV1Api(api)
    name = "reviewer-%s" % uuid.uuid4().hex[:6]
    core.create_namespaced_service_account("default", {"metadata": {"name": name}})
    token = core.create_namespaced_service_account_token(name, "default", {
        "spec": {"audiences": ["https://kubernetes.default.svc.cluster.local"], "expirationSeconds": 600}}).status.token
    review = client.AuthenticationV1Api(api).create_token_review({"spec": {"token": token}})
    assert review.status.authenticated is True
    assert review.status.user.username == "system:serviceaccount:default:%s" % name
    # A bogus token is rejected by the same API.
    bogus = client.AuthenticationV1Api(api).create_token_review({"spec": {"token": token[:-4] + "AAAA"}})
    assert not bogus.status.authenticated
    # RBAC is on: the fresh ServiceAccount may not list Secrets.
    reply = requests.get(platform["api_url"] + "/api/v1/namespaces/default/secrets",
                         headers={"Authorization": "Bearer " + token}, verify=api.configuration.ssl_ca_cert,
                         timeout=10)
    assert reply.status_code == 403


def test_pod_security_admission_enforces_restricted(platform):
    from kubernetes.client.rest import ApiException

    client, api = kube_client(platform)
    core = client.CoreV1Api(api)
    ns = "psa-%s" % uuid.uuid4().hex[:6]
    core.create_namespace({"metadata": {"name": ns, "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}})
    with pytest.raises(ApiException) as err:
        core.create_namespaced_pod(ns, {"metadata": {"name": "priv"}, "spec": {"containers": [
            {"name": "c", "image": "registry.invalid/x:1", "securityContext": {"privileged": True}}]}})
    assert err.value.status == 403
    assert "violates PodSecurity" in err.value.body


def test_keycloak_password_grant_token_authenticates_to_an_api_server_with_groups(state, platform):
    assert state["keycloak"]["url"].startswith("https://127.0.0.1:")
    admin = KeycloakAdmin(state)
    password = "Aa1-" + uuid.uuid4().hex
    admin.ensure_realm()
    admin.ensure_user("alice", password, groups=["krci-developers"])
    id_token = admin.id_token("alice", password)
    assert claims(id_token)["groups"] == ["krci-developers"]
    # The API server's authenticator fetched discovery before the realm existed; it retries on its own.
    deadline = time.monotonic() + 60
    while True:
        reply = requests.post(platform["api_url"] + "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                              headers={"Authorization": "Bearer " + id_token}, verify=state["keycloak"]["ca_file"],
                              json={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
                              timeout=10)
        if reply.status_code == 201 or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert reply.status_code == 201, reply.text
    user = reply.json()["status"]["userInfo"]
    assert user["username"] == "oidc:alice"
    assert "oidc:krci-developers" in user["groups"]
    assert "system:authenticated" in user["groups"]


def test_openbao_starts_sealed_and_uninitialized(state):
    import hvac

    client = hvac.Client(url=state["openbao"]["addr"], verify=state["openbao"]["ca_file"])
    assert client.sys.is_initialized() is False
    assert client.sys.is_sealed() is True
    health = requests.get(state["openbao"]["addr"] + "/v1/sys/health", verify=state["openbao"]["ca_file"], timeout=10)
    assert health.status_code == 501  # uninitialized


def test_helm_install_wait_of_a_test_chart(state, platform, tools_env):
    helm = "%s/helm" % state["bin_dir"]
    chart = str(__import__("pathlib").Path(__file__).parent / "charts" / "hello")
    result = run([helm, "install", "hello", chart, "--namespace", "helm-test", "--create-namespace",
                  "--kubeconfig", platform["kubeconfig"], "--wait", "--timeout", "90s"], tools_env, timeout=180)
    assert result.returncode == 0, result.stderr
    listed = run([helm, "list", "-n", "helm-test", "-o", "json", "--kubeconfig", platform["kubeconfig"]], tools_env)
    releases = json.loads(listed.stdout)
    assert [(r["name"], r["status"]) for r in releases] == [("hello", "deployed")]
    client, api = kube_client(platform)
    deployment = client.AppsV1Api(api).read_namespaced_deployment_status("hello", "helm-test")
    assert deployment.status.available_replicas == 2


def test_tools_are_on_the_sandbox_path(state, tools_env):
    kubectl = run(["%s/kubectl" % state["bin_dir"], "version", "--client", "-o", "json"], tools_env)
    assert json.loads(kubectl.stdout)["clientVersion"]["gitVersion"] == "v1.34.4"
    bao = run(["%s/bao" % state["bin_dir"], "version"], tools_env)
    assert bao.returncode == 0 and "OpenBao" in bao.stdout


def test_service_account_token_module_returns_a_bounded_masked_token(platform, tools_env, tmp_path):
    import yaml

    client, api = kube_client(platform)
    core_v1 = client.CoreV1Api(api)
    name = "reviewer-%s" % uuid.uuid4().hex[:6]
    core_v1.create_namespaced_service_account("default", {"metadata": {"name": name}})
    out = tmp_path / "token.json"
    play = tmp_path / "token.yml"
    play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"krci.platform.k8s_service_account_token": {"kubeconfig": platform["kubeconfig"], "namespace": "default",
                                                     "name": name, "expiration_seconds": 600}, "register": "t",
         "no_log": True},
        {"ansible.builtin.copy": {"content": "{{ t | to_json }}", "dest": str(out), "mode": "0600"}, "no_log": True}]}]))
    result = run(["ansible-playbook", "-vvv", str(play)], dict(tools_env, ANSIBLE_LOCALHOST_WARNING="false"))
    assert result.returncode == 0, result.stdout[-2000:]
    data = json.loads(out.read_text())
    assert data["changed"] is False and data["token"]
    assert data["token"] not in result.stdout + result.stderr
    review = client.AuthenticationV1Api(api).create_token_review({"spec": {"token": data["token"]}})
    assert review.status.user.username == "system:serviceaccount:default:%s" % name


def test_git_server_serves_the_gitops_repository_to_its_users_only(state, tmp_path):
    """git over HTTPS with the sandbox CA: nothing anonymous, the reader (Argo CD's) may not push, CI may."""
    from sandbox import gitops

    git = state["git"]
    users = gitops.users(git)
    env = {"GIT_SSL_CAINFO": git["ca_file"], "PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GIT_TERMINAL_PROMPT": "0"}

    def url(user):
        return git["repository"].replace("https://", "https://%s:%s@" % (user, users[user]["password"]))

    anonymous = requests.get(git["repository"] + "/info/refs", params={"service": "git-upload-pack"},
                             verify=git["ca_file"], timeout=10)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Basic")
    wrong = run(["git", "ls-remote", url("argocd").replace(users["argocd"]["password"], "wrong")], env, cwd=tmp_path)
    assert wrong.returncode != 0
    without_ca = run(["git", "ls-remote", url("argocd")], dict(env, GIT_SSL_CAINFO="/etc/ssl/certs/ca-certificates.crt"),
                     cwd=tmp_path)
    assert without_ca.returncode != 0 and "certificate" in without_ca.stderr
    clone = run(["git", "clone", "-q", url("argocd"), "work"], env, cwd=tmp_path)
    assert clone.returncode == 0, clone.stderr
    work = tmp_path / "work"
    assert sorted(p.name for p in (work / "environments").iterdir()) == ["dev", "production", "staging", "test"]
    (work / "note.txt").write_text("a change\n")
    gitops.commit(str(work), "a change")
    refused = run(["git", "push", "-q", "origin", "main"], env, cwd=work)
    assert refused.returncode != 0 and "403" in refused.stderr, refused.stderr
    pushed = run(["git", "push", "-q", url("ci"), "main"], env, cwd=work)
    assert pushed.returncode == 0, pushed.stderr
    heads = run(["git", "ls-remote", url("argocd"), "main"], env, cwd=tmp_path)
    assert heads.stdout.split()[0] == run(["git", "rev-parse", "HEAD"], env, cwd=work).stdout.strip()


def test_second_up_is_a_no_op(state):
    from sandbox import core

    started = time.monotonic()
    again = core.up(OPTION, openshift=state.get("openshift") or ())
    assert time.monotonic() - started < 5
    assert [p["pid"] for p in again["processes"]] == [p["pid"] for p in state["processes"]]


def test_secret_files_are_private(state):
    import os
    import stat

    for path in [state["keycloak"]["credentials_file"]] + [c["kubeconfig"] for c in state["clusters"].values()]:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path


@pytest.mark.sandbox("end")
def test_down_leaves_no_process_behind(sandbox_pool):
    """Last of the session: whatever sandbox the other tests left up (a test that broke it was replaced)."""
    state = sandbox_pool.any()
    pids = [p["pid"] for p in state["processes"]]
    # etcd, apiserver, controller-manager, scheduler, kwok per cluster; Keycloak; OpenBao; the Git server (and
    # the OCI registry, the applications' registry; Argo CD's and Sealed Secrets' processes start after a converge;
    # the OpenShift variant adds its one process of test stand-ins, sandbox/openshift.py)
    extras = ("registry", "openshift-stand-ins")
    core_processes = [p for p in state["processes"] if p["name"] not in extras
                      and not p["name"].startswith(("argocd-", "sealed-secrets-"))]
    assert [p["name"] for p in state["processes"]].count("openshift-stand-ins") == (1 if state.get("openshift") else 0)
    assert len(core_processes) == len(state["clusters"]) * 5 + 3, [p["name"] for p in state["processes"]]
    sandbox_pool.close()
    assert [pid for pid in pids if procs.alive(pid)] == []

