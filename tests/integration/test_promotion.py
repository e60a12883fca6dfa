"""Promotion across the push/pull boundary, on every option, proven by the real Argo CD instances.

One build (one digest in the sandbox's registry, tagged as a development build, a release candidate
and a release) goes dev -> test -> (UAT) -> staging -> production with playbooks/promote.yml: every
step a commit to the GitOps repository, the hub's Argo CD syncing push environments, the pull
clusters' own Argo CD pulling theirs. The runs reach the platform cluster only: the pull clusters'
kubeconfigs carry a revoked token while they run. The real Sealed Secrets controller (built from the
Go module proxy, run where the collection installed upstream's chart) unseals what the
krci.platform.sealed_secret module sealed for dev, and nothing of it in test.
"""

import base64
import json
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import yaml

from argocd_api import wait_for
from conftest import REPO, kube_client, run
from sandbox import core, gitops, topology

OPTIONS = ("shared", "isolated", "separated")
DEV = "1.2.3-dev.20261201.abc1234"
RC = "1.2.3-rc.1"
RELEASE = "1.2.3"
SYNC_TIMEOUT = 180
PLAIN = "Sealed-Plain-Value-7781"


class Promotions:
    def __init__(self, option, state, env):
        self.option = option
        self.state = state
        self.env = dict(env, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json")
        self.clusters = {c["name"]: c for c in topology.clusters(option)}
        self.envs = [e for e in topology.ENVIRONMENTS
                     if any(e in (c.get("environments") or []) for c in self.clusters.values())]
        self.image = "%s/%s" % (state["registry"]["host"], gitops.DEMO_REPOSITORY)
        self.bare = state["git"]["bare"]
        self.timings = {}

    def cluster_of(self, env):
        return next(n for n, c in self.clusters.items() if env in (c.get("environments") or []))

    def pull(self, env):
        return self.clusters[self.cluster_of(env)].get("gitops") == "pull"

    @contextmanager
    def pull_credentials_revoked(self):
        """The pull clusters' kubeconfigs with a token no API server accepts, while a promotion runs."""
        saved = {}
        for name, cluster in self.clusters.items():
            if cluster.get("gitops") != "pull":
                continue
            path = Path(self.state["clusters"][name]["kubeconfig"])
            saved[path] = path.read_text()
            config = yaml.safe_load(saved[path])
            for user in config.get("users") or []:
                user["user"] = {"token": "revoked-during-promotion"}
            path.write_text(yaml.safe_dump(config))
        try:
            yield
        finally:
            for path, text in saved.items():
                path.write_text(text)

    def promote(self, version, target, *extra, application="krci-demo", revoke=True):
        """playbooks/promote.yml; (rc, the promote task's result or None, the failure message, stdout)."""
        argv = ["ansible-playbook", "-i", self.state["inventory"], str(REPO / "playbooks" / "promote.yml"),
                "-e", "application=%s" % application, "-e", "version=%s" % version, "-e", "target=%s" % target] + list(extra)
        if revoke:
            with self.pull_credentials_revoked():
                result = run(argv, self.env)
        else:
            result = run(argv, self.env)
        out = json.loads(result.stdout[result.stdout.index("{"):])
        task_result, failure = None, None
        for task in out["plays"][0]["tasks"]:
            host = task["hosts"].get("platform")
            if host is None:
                continue
            if "Promote one build" in task["task"]["name"]:
                task_result = host
            if host.get("failed"):
                failure = host.get("msg")
        return result.returncode, task_result, failure, result.stdout

    def ok(self, version, target, *extra):
        rc, result, failure, stdout = self.promote(version, target, *extra)
        assert rc == 0 and result is not None, (failure, stdout[-3000:])
        return result

    def refused(self, version, target, words, *extra, **kwargs):
        head = self.head()
        rc, _result, failure, stdout = self.promote(version, target, *extra, **kwargs)
        assert rc != 0, stdout[-2000:]
        assert words in (failure or ""), failure
        assert "nothing was changed" in failure or "promote krci-demo" in failure
        assert self.head() == head, "a refused promotion changed Git"
        return failure

    def all_refused(self, cases):
        """Several refusals at once (none writes): (version, target, words, kwargs) each."""
        with self.pull_credentials_revoked(), ThreadPoolExecutor(max_workers=3) as pool:
            futures = [pool.submit(self.refused, version, target, words, revoke=False, **kwargs)
                       for version, target, words, kwargs in cases]
            return [future.result() for future in futures]

    def webhook(self, env):
        """What the Git forge's webhook to a pull cluster's own Argo CD does: refresh now (the test reaches the
        pull cluster; the promotion never does). Without it the instance finds the commit at its next resync."""
        client, api_client = kube_client(self.state["clusters"][self.cluster_of(env)])
        client.CustomObjectsApi(api_client).patch_namespaced_custom_object(
            "argoproj.io", "v1alpha1", "argocd", "applications", env,
            {"metadata": {"annotations": {"argocd.argoproj.io/refresh": "hard"}}})

    def head(self, branch="main"):
        return subprocess.run(["git", "--git-dir", self.bare, "rev-parse", branch], capture_output=True, text=True,
                              check=True).stdout.strip()

    def deployment_image(self, env):
        client, api_client = kube_client(self.state["clusters"][self.cluster_of(env)])
        deployment = client.AppsV1Api(api_client).read_namespaced_deployment("krci-demo", "krci-" + env)
        return deployment.spec.template.spec.containers[0].image, deployment

    def wait_running(self, env, ref):
        def probe():
            image, deployment = self.deployment_image(env)
            conditions = {c.type: c.status for c in deployment.status.conditions or []}
            return image == ref and conditions.get("Available") == "True" and \
                deployment.status.updated_replicas == deployment.spec.replicas
        wait_for(probe, SYNC_TIMEOUT, "%s running %s" % (env, ref))

    def ref(self, version, digest):
        return "%s:%s@%s" % (self.image, version, digest)


@pytest.fixture(scope="module", params=[pytest.param(o, marks=pytest.mark.sandbox(o)) for o in OPTIONS])
def prom(request, sandbox_pool, tools_env):
    option = request.param
    state, _ = sandbox_pool.converged(option, tools_env)
    core.start_argocd(option)
    core.publish_gitops(option, Path(state["inventory"]).parent / "reports" / "gitops")
    core.start_sealed_secrets(option)
    state = sandbox_pool.get(option)
    digests = {tag: gitops.push_image(state["registry"], gitops.DEMO_REPOSITORY, tag, "krci-demo build abc1234\n")
               for tag in (DEV, RC, RELEASE)}
    assert len(set(digests.values())) == 1
    promotions = Promotions(option, state, tools_env)
    promotions.digest = digests[DEV]
    yield promotions
    core.stop_argocd(option)
    core.stop_sealed_secrets(option)


def test_refused_before_any_change(prom, tools_env):
    prom.all_refused([
        ("1.2", "dev", "version '1.2' is not a semantic version", {}),
        ("1.2.3-beta.1", "dev", "none of the kinds this platform promotes", {}),
        (DEV, "production", "is a development build; production accepts releases only", {}),
        (RC, "staging", "staging comes after %s, which runs 1.0.0 (not pinned to a digest), not the build %s"
         % (prom.envs[prom.envs.index("staging") - 1], prom.digest), {}),
        (DEV, "qa", 'target: "qa" is not next nor an environment of this option', {}),
        (DEV, "dev", 'application: "nope" is not one of krci_applications', {"application": "nope"}),
        ("9.9.9", "dev", "no such tag in the registry (HTTP 404)", {}),
    ])
    core.stop_process(prom.option, "registry")
    try:
        prom.refused(DEV, "dev", "is not reachable")
    finally:
        core.start_process(prom.option, "registry")


def test_one_build_from_dev_to_production_across_the_push_pull_boundary(prom):
    digest = prom.digest
    # --check --diff: the commit's change, nothing pushed.
    head = prom.head()
    rc, result, failure, _ = prom.promote(DEV, "dev", "--check", "--diff")
    assert rc == 0 and result["changed"] and result["commit"] is None, failure
    assert "+        image: %s" % prom.ref(DEV, digest) in result["patch"]
    assert prom.head() == head

    # The hub's controller stopped: the commit lands, Argo CD does not apply it, and test refuses the build
    # that dev does not run yet.
    hub_controller = "argocd-hub/application-controller"
    core.stop_process(prom.option, hub_controller)
    try:
        started = time.monotonic()
        result = prom.ok(DEV, "dev")
        assert result["changed"] and result["image"] == prom.ref(DEV, digest) and result["previous"] is None
        prom.refused(DEV, "test", "dev is not healthy with this build: its Argo CD Application does not run %s yet"
                     % prom.ref(DEV, digest))
    finally:
        core.start_process(prom.option, hub_controller)
    prom.wait_running("dev", prom.ref(DEV, digest))
    prom.timings["dev"] = round(time.monotonic() - started, 1)
    assert prom.ok(DEV, "dev")["changed"] is False

    # Automatic per the rules: next is test.
    started = time.monotonic()
    result = prom.ok(DEV, "next", "-e", "wait=true")
    assert result["environment"] == "test" and result["previous"] == "dev" and result["synced"] is None
    prom.wait_running("test", prom.ref(DEV, digest))
    prom.timings["test"] = round(time.monotonic() - started, 1)

    # Release candidate through UAT (when the option has it) and staging, then the release into production.
    for version, env in [(RC, e) for e in ("uat", "staging") if e in prom.envs] + [(RELEASE, "production")]:
        started = time.monotonic()
        result = prom.ok(version, env, "-e", "wait=true")
        assert result["changed"] and result["environment"] == env and result["gitops"] == ("pull" if prom.pull(env) else "push")
        if prom.pull(env):
            assert result["synced"].startswith("not observable from the platform")
            prom.webhook(env)
        commit_message = subprocess.run(["git", "--git-dir", prom.bare, "log", "-1", "--format=%B", result["commit"]],
                                        capture_output=True, text=True, check=True).stdout
        assert commit_message.startswith("promote krci-demo %s to %s" % (version, env))
        prom.wait_running(env, prom.ref(version, digest))
        prom.timings[env] = round(time.monotonic() - started, 1)
        assert prom.ok(version, env)["changed"] is False
    print("promote -> running, per environment (s): %s" % prom.timings)

    # The same digest everywhere, each environment with the version it was promoted as.
    images = {env: prom.deployment_image(env)[0] for env in prom.envs}
    assert {image.split("@")[1] for image in images.values()} == {digest}, images
    assert images["production"] == prom.ref(RELEASE, digest)

    # A tag that moved: another image pushed under the development build's tag is refused for test.
    moved = gitops.push_image(prom.state["registry"], gitops.DEMO_REPOSITORY, DEV, "another build\n")
    assert moved != digest
    prom.refused(DEV, "test", "the tag %s now points at %s, but dev runs %s from that same tag: the tag moved"
                 % (DEV, moved, digest))


def test_a_push_that_lost_the_race_is_done_again_on_top_and_loses_nothing(prom):
    # Another promotion lands between the clone and the push: a pre-receive hook on the real Git server moves main
    # to another commit once (git's quarantine is left for that), so the promotion's push is refused.
    checkout = gitops.Checkout(prom.state["git"], Path(prom.state["home"]) / "git" / "race").clone()
    checkout.write("environments/README.md", "Another team's change, pushed while a promotion ran.\n")
    other = gitops.commit(str(checkout.dir), "another change")
    gitops._git(["push", "-q", "origin", "HEAD:refs/heads/race"], cwd=str(checkout.dir), env=checkout.env)
    hook = Path(prom.bare) / "hooks" / "pre-receive"
    marker = Path(prom.state["home"]) / "git" / "raced"
    hook.write_text("#!/bin/sh\nif [ ! -f %s ]; then touch %s; env -u GIT_QUARANTINE_PATH git update-ref "
                    "refs/heads/main %s || exit 1; fi\n" % (marker, marker, other))
    hook.chmod(0o755)
    try:
        result = prom.ok(RC, "dev")
    finally:
        hook.unlink()
    assert result["changed"] and result["rebased"] is True
    log = subprocess.run(["git", "--git-dir", prom.bare, "log", "--format=%H %s", "-2", "main"], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert log[0].split(" ", 1)[1] == "promote krci-demo %s to dev" % RC and log[1].split(" ", 1)[0] == other


def test_a_value_sealed_for_dev_opens_in_dev_only_and_never_reaches_git_in_plain(prom, tools_env):
    controllers = prom.state.get("sealed_secrets") or core.start_sealed_secrets(prom.option)
    # Where the plan put the controller: the clusters of dev and test, nowhere else.
    assert sorted(controllers) == sorted({prom.cluster_of("dev"), prom.cluster_of("test")})
    cert = requests.get(controllers[prom.cluster_of("dev")]["cert_url"], timeout=10).text
    cert_file = Path(prom.state["home"]) / "dev-sealing.pem"
    cert_file.write_text(cert)
    # Sealed by the module and carried into dev by a promotion of the version dev runs (only the file changes).
    rc, result, failure, stdout = _seal_and_promote(prom, tools_env, cert_file)
    assert rc == 0, (failure, stdout[-2000:])
    assert result["changed"] and "environments/dev/krci-demo-db.sealed.yaml" in result["patch"]
    client, api_client = kube_client(prom.state["clusters"][prom.cluster_of("dev")])
    core_api = client.CoreV1Api(api_client)

    def unsealed():
        try:
            return core_api.read_namespaced_secret("krci-demo-db", "krci-dev").data
        except client.exceptions.ApiException as exc:
            if exc.status == 404:
                return None
            raise
    data = wait_for(unsealed, SYNC_TIMEOUT, "the dev controller unsealing krci-demo-db")
    assert base64.b64decode(data["password"]).decode() == PLAIN

    # The same sealed value copied to test: test's controller (another key, or the same one with a
    # strict scope bound to krci-dev) cannot open it.
    checkout = gitops.Checkout(prom.state["git"], Path(prom.state["home"]) / "git" / "sealed").clone()
    sealed = yaml.safe_load((checkout.dir / "environments/dev/krci-demo-db.sealed.yaml").read_text())
    sealed["metadata"]["namespace"] = "krci-test"
    sealed["spec"]["template"]["metadata"]["namespace"] = "krci-test"
    checkout.write("environments/test/krci-demo-db.sealed.yaml", sealed)
    checkout.push("The dev SealedSecret copied to test")
    test_client, test_api = kube_client(prom.state["clusters"][prom.cluster_of("test")])
    custom = test_client.CustomObjectsApi(test_api)

    def refused_in_test():
        try:
            obj = custom.get_namespaced_custom_object("bitnami.com", "v1alpha1", "krci-test", "sealedsecrets", "krci-demo-db")
        except test_client.exceptions.ApiException as exc:
            if exc.status == 404:
                return None
            raise
        return [c for c in (obj.get("status") or {}).get("conditions") or []
                if c["type"] == "Synced" and c["status"] == "False"]
    conditions = wait_for(refused_in_test, SYNC_TIMEOUT, "test's controller refusing the dev SealedSecret")
    assert "decrypt" in conditions[0].get("message", ""), conditions
    with pytest.raises(test_client.exceptions.ApiException) as absent:
        test_client.CoreV1Api(test_api).read_namespaced_secret("krci-demo-db", "krci-test")
    assert absent.value.status == 404
    checkout = gitops.Checkout(prom.state["git"], Path(prom.state["home"]) / "git" / "sealed").clone()
    checkout.remove("environments/test/krci-demo-db.sealed.yaml")
    checkout.push("Remove the copy")

    # The plain value is nowhere in the repository's history, on any branch.
    history = subprocess.run(["git", "--git-dir", prom.bare, "log", "-p", "--all"], capture_output=True, text=True,
                             check=True).stdout
    assert PLAIN not in history and "SealedSecret" in history


def _seal_and_promote(prom, env, cert_file):
    playbook = Path(prom.state["home"]) / "seal.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "Seal for dev and carry it with a promotion", "hosts": "role_platform", "gather_facts": False,
        "tasks": [
            {"name": "Seal", "krci.platform.sealed_secret": {
                "name": "krci-demo-db", "namespace": "krci-dev", "data": {"password": "{{ plain }}"},
                "certificate": "{{ lookup('ansible.builtin.file', cert_file) }}"}, "register": "sealed"},
            {"name": "Promote with it", "ansible.builtin.include_role": {"name": "krci.platform.promote"},
             "vars": {"promote_application": "krci-demo", "promote_version": RC, "promote_target": "dev",
                      "promote_manifests": [{"file": "krci-demo-db.sealed.yaml",
                                             "content": "{{ sealed.sealed_secret }}", "replace": False}]}},
        ]}]))
    argv = ["ansible-playbook", "-i", prom.state["inventory"], str(playbook), "-e", "plain=%s" % PLAIN,
            "-e", "cert_file=%s" % cert_file]
    with prom.pull_credentials_revoked():
        result = run(argv, prom.env)
    out = json.loads(result.stdout[result.stdout.index("{"):])
    task_result, failure = None, None
    for play in out["plays"]:
        for task in play["tasks"]:
            host = task["hosts"].get("platform")
            if host and "Promote one build" in task["task"]["name"]:
                task_result = host
            if host and host.get("failed"):
                failure = host.get("msg")
    # no_log: the plain value is in no task's output.
    assert PLAIN not in result.stdout.replace("plain=%s" % PLAIN, "")
    return result.returncode, task_result, failure, result.stdout


def test_kuberocketci_pipelines_from_the_topology(prom):
    client, api_client = kube_client(prom.state["clusters"]["platform"])
    custom = client.CustomObjectsApi(api_client)
    pipeline = custom.get_namespaced_custom_object("v2.edp.epam.com", "v1", "krci", "cdpipelines", "krci-demo")
    assert pipeline["spec"]["applications"] == ["krci-demo"]
    stages = sorted(custom.list_namespaced_custom_object("v2.edp.epam.com", "v1", "krci", "stages")["items"],
                    key=lambda s: s["spec"]["order"])
    assert [s["spec"]["name"] for s in stages] == prom.envs
    assert [s["spec"]["triggerType"] for s in stages] == ["Auto", "Auto"] + ["Manual"] * (len(prom.envs) - 2)
    for stage in stages:
        env = stage["spec"]["name"]
        cluster = prom.cluster_of(env)
        assert stage["spec"]["clusterName"] == ("in-cluster" if cluster == "platform" else cluster)
        assert stage["spec"]["namespace"] == "krci-" + env
        assert stage["metadata"]["annotations"]["krci.platform/gitops"] == ("pull" if prom.pull(env) else "push")
    # A pull stage names its cluster, and nothing on the platform cluster reaches it: no Secret holds its API URL.
    pull_urls = [prom.state["clusters"][n]["api_url"] for n, c in prom.clusters.items() if c.get("gitops") == "pull"]
    for secret in client.CoreV1Api(api_client).list_secret_for_all_namespaces().items:
        blob = json.dumps(secret.data or {})
        decoded = " ".join(base64.b64decode(v).decode("utf-8", "replace") for v in (secret.data or {}).values())
        assert not any(url in decoded or url in blob for url in pull_urls), secret.metadata.name
