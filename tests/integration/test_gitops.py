"""GitOps proven by the real programs, on every option: Argo CD's own controllers and server.

The sandbox runs the real Argo CD (built from the Go module proxy) for every instance of the
topology: the hub on the platform cluster, a dedicated one in each pull cluster. They read only what
the collection installed and configured; the GitOps repository is on the sandbox's Git server, and
the platform's app-of-apps files in it are the ones the collection's run report wrote
(reports/gitops/), committed as an operator would.
"""

import base64
import time
from pathlib import Path

import pytest
import yaml

from argocd_api import ArgoCDUser, wait_for
from conftest import assert_ok, changed_tasks, kube_client, playbook
from keycloak_admin import KeycloakAdmin
from sandbox import core, gitops, topology

OPTIONS = ("shared", "isolated", "separated")
# Git down, the repo-server killed and a re-run while Argo CD syncs do not depend on the option: the option
# with both a hub and pull instances on separate clusters.
FAULTS_OPTION = "separated"
PASSWORD = "Gitops-Pass-2026!"
USERS = {"ada": "krci-administrators", "dev": "krci-developers", "vic": "krci-viewers"}
# The access table the clusters' RoleBindings use (plugins/module_utils/_platform.ACCESS).
ACCESS = {"dev": {"dev": "edit", "vic": "view"}, "test": {"dev": "edit", "vic": "view"},
          "uat": {"dev": "view", "vic": "view"}, "staging": {"dev": "view", "vic": "view"},
          "production": {"dev": "none", "vic": "none"}}
SYNC_TIMEOUT = 180


class GitOps:
    def __init__(self, option, state, instances, layout):
        self.option = option
        self.state = state
        self.instances = instances
        self.layout = layout
        self.clusters = {c["name"]: c for c in topology.clusters(option)}
        self.work = Path(state["home"]) / "git" / "tests"

    def env_cluster(self, env):
        return next(name for name, c in self.clusters.items() if env in (c.get("environments") or []))

    def instance_of(self, env):
        cluster = self.env_cluster(env)
        return cluster if self.clusters[cluster].get("gitops") == "pull" else "hub"

    def cluster_of_instance(self, instance):
        return self.instances[instance]["cluster"]

    def kube(self, cluster):
        client, api_client = kube_client(self.state["clusters"][cluster])
        return client, api_client

    def applications(self, instance):
        client, api_client = self.kube(self.cluster_of_instance(instance))
        items = client.CustomObjectsApi(api_client).list_namespaced_custom_object(
            "argoproj.io", "v1alpha1", "argocd", "applications")["items"]
        return {a["metadata"]["name"]: a for a in items}

    def expected(self, instance):
        return sorted(p.stem for p in (self.layout / "argocd" / instance).glob("*.yaml"))

    def checkout(self):
        return gitops.Checkout(self.state["git"], self.work).clone()

    def login(self, instance, user):
        return ArgoCDUser(self.instances[instance]["server_url"], self.state["keycloak"]["ca_file"], user, PASSWORD)

    def wait_synced(self, instance, names, revision=None, timeout=SYNC_TIMEOUT):
        pending = {}

        def probe():
            apps = self.applications(instance)
            pending.clear()
            for name in names:
                status = apps.get(name, {}).get("status", {})
                sync, health = status.get("sync", {}), status.get("health", {})
                if (sync.get("status") != "Synced" or health.get("status") != "Healthy"
                        or (revision and sync.get("revision") != revision)):
                    pending[name] = (sync.get("status"), health.get("status"), sync.get("revision"),
                                     [c.get("message", "")[:200] for c in status.get("conditions") or []])
            return not pending
        try:
            return wait_for(probe, timeout, "%s: %s Synced and Healthy at %s" % (instance, names, revision or "HEAD"))
        except AssertionError as exc:
            raise AssertionError("%s; still pending: %s" % (exc, pending)) from None

    def config_value(self, env):
        client, api_client = self.kube(self.env_cluster(env))
        try:
            return client.CoreV1Api(api_client).read_namespaced_config_map("krci-demo", "krci-" + env).data
        except client.exceptions.ApiException as exc:
            if exc.status == 404:
                return None
            raise


@pytest.fixture(scope="module", params=[pytest.param(o, marks=pytest.mark.sandbox(o)) for o in OPTIONS])
def ops(request, sandbox_pool, tools_env):
    option = request.param
    state, _ = sandbox_pool.converged(option, tools_env)
    layout = Path(state["inventory"]).parent / "reports" / "gitops"
    instances = core.start_argocd(option)
    core.publish_gitops(option, layout)
    admin = KeycloakAdmin(state)
    for user, group in USERS.items():
        admin.ensure_user(user, PASSWORD, groups=[group])
    yield GitOps(option, sandbox_pool.state, instances, layout)
    # Argo CD keeps running for test_promotion (next in the session's order), which stops it.


def test_every_environment_comes_from_git_push_into_targets_and_pull_in_its_own_cluster(ops):
    wanted = {instance: ops.expected(instance) for instance in ops.instances}
    # The layout the collection wrote: one Application per environment, each under the instance that deploys it.
    deployed = sorted(env for names in wanted.values() for env in names)
    assert deployed == sorted(e for c in ops.clusters.values() for e in c.get("environments") or [])
    for instance, names in wanted.items():
        assert names, "%s has no Applications in the layout" % instance
        ops.wait_synced(instance, names + ["krci-root"])
        for env in names:
            assert ops.instance_of(env) == instance, "%s deployed by %s" % (env, instance)
    for env in deployed:
        client, api_client = ops.kube(ops.env_cluster(env))
        deployment = client.AppsV1Api(api_client).read_namespaced_deployment("krci-demo", "krci-" + env)
        conditions = {c.type: c.status for c in deployment.status.conditions or []}
        assert conditions.get("Available") == "True", (env, conditions)
        # Argo CD's own mark (annotation tracking, v3's default): this Application manages it.
        tracking = deployment.metadata.annotations.get("argocd.argoproj.io/tracking-id", "")
        assert tracking == "%s:apps/Deployment:krci-%s/krci-demo" % (env, env)


def test_a_commit_reaches_push_and_pull_environments_and_argocd_refuses_what_the_project_forbids(ops):
    push_env = "dev"
    pull_env = "production"
    checkout = ops.checkout()
    stamp = str(time.time())
    for env in (push_env, pull_env):
        path = "environments/%s/configmap.yaml" % env
        obj = yaml.safe_load((checkout.dir / path).read_text())
        obj["data"]["commit"] = stamp
        checkout.write(path, obj)
    # Applications the dev project does not allow: another namespace on dev's cluster, dev's namespace on
    # another cluster the hub knows, and production, which the hub does not know at all.
    in_cluster = "https://kubernetes.default.svc"
    dev_cluster = ops.env_cluster("dev")
    dev_server = in_cluster if dev_cluster == "platform" else ops.state["clusters"][dev_cluster]["api_url"]
    known = [in_cluster] + [ops.state["clusters"][n]["api_url"] for n, c in ops.clusters.items()
                            if c.get("gitops") != "pull" and c.get("role") != "platform" and c.get("environments")]
    production_url = ops.state["clusters"][ops.env_cluster("production")]["api_url"]
    rogue = {
        "rogue-namespace": {"server": dev_server, "namespace": "kube-system"},
        "rogue-cluster": {"server": next(u for u in known if u != dev_server), "namespace": "krci-dev"},
        "rogue-production": {"server": production_url, "namespace": "krci-production"},
    }
    for name, destination in rogue.items():
        checkout.write("argocd/hub/%s.yaml" % name, {
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "namespace": "argocd"},
            "spec": {"project": "dev", "destination": destination,
                     "source": {"repoURL": ops.state["git"]["repository"], "targetRevision": "main",
                                "path": "environments/dev"},
                     "syncPolicy": {"automated": {"prune": True, "selfHeal": True}}}})
    sha = checkout.push("A change for dev and production, and two Applications outside the dev project")
    started = time.monotonic()
    for env in (push_env, pull_env):
        wait_for(lambda env=env: (ops.config_value(env) or {}).get("commit") == stamp, SYNC_TIMEOUT,
                 "the commit in %s's ConfigMap" % env)
        ops.wait_synced(ops.instance_of(env), [env], revision=sha)
    print("commit to both environments synced in %.1fs" % (time.monotonic() - started))

    refusals = {
        "rogue-namespace": "destination server '%s' and namespace 'kube-system' do not match any of the allowed "
                           "destinations in project 'dev'" % dev_server,
        "rogue-cluster": "destination server '%s' and namespace 'krci-dev' do not match any of the allowed "
                         "destinations in project 'dev'" % rogue["rogue-cluster"]["server"],
        "rogue-production": 'cluster "%s" not found' % production_url,
    }

    def refused():
        apps = ops.applications("hub")
        messages = {name: " ".join(c.get("message", "") for c in apps.get(name, {}).get("status", {}).get("conditions") or [])
                    for name in rogue}
        return messages if all(refusals[name] in message for name, message in messages.items()) else None
    wait_for(refused, SYNC_TIMEOUT, "Argo CD refusing the rogue Applications")
    for name in rogue:
        status = ops.applications("hub")[name].get("status", {})
        assert not status.get("operationState") and not status.get("resources"), (name, status)
    client, api_client = ops.kube("platform")
    assert not client.AppsV1Api(api_client).list_namespaced_deployment("kube-system",
                                                                        label_selector="app.kubernetes.io/name=krci-demo").items
    checkout = ops.checkout()
    for name in rogue:
        checkout.remove("argocd/hub/%s.yaml" % name)
    checkout.push("Remove the rogue Applications")
    wait_for(lambda: not set(rogue) & set(ops.applications("hub")), SYNC_TIMEOUT, "the root pruning the rogue Applications")


def test_pull_clusters_heal_hand_edits_and_the_hub_holds_no_way_into_them(ops):
    pulls = [name for name, c in ops.clusters.items() if c.get("gitops") == "pull"]
    assert "production" in pulls
    for cluster in pulls:
        env = ops.clusters[cluster]["environments"][0]
        client, api_client = ops.kube(cluster)
        core_api = client.CoreV1Api(api_client)
        core_api.delete_namespaced_config_map("krci-demo", "krci-" + env)
        apps = client.AppsV1Api(api_client)
        apps.patch_namespaced_deployment("krci-demo", "krci-" + env, {"spec": {"replicas": 3}})
        wait_for(lambda: ops.config_value(env) is not None
                 and apps.read_namespaced_deployment("krci-demo", "krci-" + env).spec.replicas == 1,
                 SYNC_TIMEOUT, "%s's own Argo CD healing the hand edits" % cluster)
    # The real hub's cluster list: in-cluster and the push targets, no pull cluster's API server.
    admin = ops.login("hub", "ada")
    reply = admin.call("GET", "/api/v1/clusters")
    assert reply.status_code == 200, reply.text
    servers = sorted(c["server"] for c in reply.json()["items"])
    pull_urls = [ops.state["clusters"][c]["api_url"] for c in pulls]
    assert not set(servers) & set(pull_urls), servers
    targets = [ops.state["clusters"][n]["api_url"] for n, c in ops.clusters.items()
               if c.get("gitops") != "pull" and c.get("role") != "platform" and c.get("environments")]
    assert servers == sorted(["https://kubernetes.default.svc"] + targets)


def _allowed(reply):
    """A sync the server let through (another operation already running is still a permitted request)."""
    return reply.status_code == 200 or (reply.status_code == 400 and "another operation" in reply.text)


def test_sso_and_rbac_by_each_argocd_server_follow_the_access_table(ops):
    for instance in ops.instances:
        envs = ops.expected(instance)
        admin = ops.login(instance, "ada")
        assert admin.userinfo()["groups"] == ["krci-administrators"]
        assert admin.applications() == sorted(envs + ["krci-root"])
        for env in envs:
            assert _allowed(admin.sync(env)), (instance, env)
        for user in ("dev", "vic"):
            person = ops.login(instance, user)
            info = person.userinfo()
            assert info["loggedIn"] and info["groups"] == [USERS[user]], info
            visible = [env for env in envs if ACCESS[env][user] != "none"]
            assert person.applications() == visible, (instance, user)
            for env in envs:
                reply = person.sync(env)
                if ACCESS[env][user] == "edit":
                    assert _allowed(reply), (instance, user, env, reply.text)
                else:
                    assert reply.status_code == 403, (instance, user, env, reply.status_code, reply.text)
            # Nobody but administrators touches the app-of-apps.
            assert person.sync("krci-root").status_code == 403


def test_faults_git_down_repo_server_killed_and_a_rerun_while_argocd_syncs(ops, tools_env):
    if ops.option != FAULTS_OPTION:
        pytest.skip("the faults are the same programs in every option: run on %s only (suite budget)" % FAULTS_OPTION)
    instance = ops.instance_of("dev")
    admin = ops.login(instance, "ada")
    core.stop_process(ops.option, "git")
    try:
        admin.call("GET", "/api/v1/applications/dev", params={"refresh": "hard"})

        def comparison_error():
            status = ops.applications(instance)["dev"].get("status", {})
            return [c["message"] for c in status.get("conditions") or [] if c["type"] == "ComparisonError"]
        wait_for(comparison_error, SYNC_TIMEOUT, "dev reporting the Git server's outage")
    finally:
        core.start_process(ops.option, "git")
    admin.call("GET", "/api/v1/applications/dev", params={"refresh": "hard"})
    ops.wait_synced(instance, ["dev"])
    wait_for(lambda: not comparison_error(), SYNC_TIMEOUT, "dev's comparison error clearing")

    # A new commit, and the repo-server killed while the controller works on it: the next sync completes.
    checkout = ops.checkout()
    path = "environments/dev/configmap.yaml"
    obj = yaml.safe_load((checkout.dir / path).read_text())
    obj["data"]["fault"] = str(time.time())
    checkout.write(path, obj)
    sha = checkout.push("A change while the repo-server dies")
    admin.call("GET", "/api/v1/applications/dev", params={"refresh": "hard"})
    name = "argocd-%s/repo-server" % instance
    core.stop_process(ops.option, name)
    # While Argo CD catches up, the option's playbook runs again: nothing Argo CD owns changes, and the
    # collection changes nothing Argo CD wrote (no fight over fields).
    rerun = playbook(ops.state, tools_env)
    core.start_process(ops.option, name)
    summary = assert_ok(rerun)
    assert all(r["changed"] == 0 for r in summary.values()), changed_tasks(rerun.stdout)
    ops.wait_synced(instance, ["dev"], revision=sha)
    assert ops.config_value("dev")["fault"] == obj["data"]["fault"]


def test_the_collection_wrote_what_the_real_programs_needed(ops):
    """What running the real Argo CD revealed, fixed in the collection, as it is in the cluster."""
    client, api_client = ops.kube("platform")
    core_api = client.CoreV1Api(api_client)
    config = yaml.safe_load(core_api.read_namespaced_config_map("argocd-cm", "argocd").data["oidc.config"])
    # The realm's clients require PKCE; without this flag argocd-server's login is refused by Keycloak.
    assert config["enablePKCEAuthentication"] is True
    assert config["rootCA"].strip() == Path(ops.state["keycloak"]["ca_file"]).read_text().strip()
    # The Git server's CA, for its host, as the repo-server reads it.
    certs = core_api.read_namespaced_config_map("argocd-tls-certs-cm", "argocd").data
    assert certs == {"127.0.0.1": Path(ops.state["git"]["ca_file"]).read_text().strip() + "\n"}
    creds = core_api.read_namespaced_secret("krci-repo-creds", "argocd").data
    assert base64.b64decode(creds["username"]).decode() == "argocd"  # the read-only user
