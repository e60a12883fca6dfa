"""The operators role through the separated playbook, on the sandbox's real API servers and helm.

The charts are the sandbox's own (sandbox/charts.py): the real upstream CRDs of ../shared/testdata
plus stand-in Deployments that kwok runs, named and versioned like the upstream charts, installed
from a local chart directory as an air-gapped site would. Tekton Triggers comes from a manifest.
"""

import json
import re
from pathlib import Path

import pytest
import yaml

from conftest import (REPO, assert_ok, changed_tasks, kube_client, play, playbook, playbooks_at_once, recap, run,
                      run_with_api_server_stopped)
from sandbox import charts, core

TESTDATA = REPO.parent / "shared" / "testdata" / "crds"
PLATFORM_RELEASES = {
    ("cert-manager", "cert-manager", "cert-manager-v1.21.1"),
    ("external-secrets", "external-secrets", "external-secrets-2.9.0"),
    ("tekton-pipelines", "tekton-pipelines", "tekton-pipeline-v1.15.0"),
    ("codebase-operator", "krci", "codebase-operator-2.34.0"),
    ("cd-pipeline-operator", "krci", "cd-pipeline-operator-2.30.0"),
    ("keycloak-operator", "krci", "keycloak-operator-1.35.0"),
}
PLATFORM_CRDS = ["cert-manager", "external-secrets", "tekton-pipeline", "tekton-triggers", "edp-codebase-operator",
                 "edp-cd-pipeline-operator", "edp-keycloak-operator"]


def crd_names(folder):
    return sorted(yaml.safe_load(path.read_text())["metadata"]["name"] for path in (TESTDATA / folder).glob("*.yaml"))


def helm_releases(state, cluster, env):
    result = run([Path(state["bin_dir"]) / "helm", "list", "-A", "-o", "json",
                  "--kubeconfig", state["clusters"][cluster]["kubeconfig"]], env)
    assert result.returncode == 0, result.stderr
    return {(r["name"], r["namespace"]): r for r in json.loads(result.stdout)}


def inventory_overrides(state):
    return yaml.safe_load(Path(state["inventory"]).read_text())["vars"]["operators_overrides"]


pytestmark = pytest.mark.sandbox("separated")


def operators_only(state, env, *extra):
    """Just the operators play (as a user may run it), on the platform cluster."""
    return play(state, env, "operators", "--limit", "platform", *extra)


@pytest.fixture(scope="module")
def converged(sandbox_pool, tools_env):
    state, _ = sandbox_pool.converged("separated", tools_env)
    return state


def test_every_operator_runs_at_its_pinned_version(converged, tools_env):
    state = converged
    releases = helm_releases(state, "platform", tools_env)
    assert {(r["name"], r["namespace"], r["chart"]) for r in releases.values()} == PLATFORM_RELEASES
    assert all(r["status"] == "deployed" for r in releases.values())
    # External Secrets in every other cluster; upstream's Sealed Secrets chart where dev and test run (the plan's
    # sealed_secrets clusters), and nowhere else.
    for cluster in ("workloads", "staging", "production"):
        others = helm_releases(state, cluster, tools_env)
        expected = [("external-secrets", "external-secrets-2.9.0")]
        if cluster == "workloads":
            expected.append(("sealed-secrets", "sealed-secrets-2.18.4"))
        assert sorted((r["name"], r["chart"]) for r in others.values()) == sorted(expected), cluster

    for cluster, folders in (("platform", PLATFORM_CRDS), ("production", ["external-secrets"])):
        client, api = kube_client(state["clusters"][cluster])
        extensions = client.ApiextensionsV1Api(api)
        served = {crd.metadata.name: crd for crd in extensions.list_custom_resource_definition().items}
        for folder in folders:
            for name in crd_names(folder):
                conditions = {c.type: c.status for c in served[name].status.conditions}
                assert conditions["Established"] == "True", name
        apps = client.AppsV1Api(api)
        for namespace in {"platform": ["cert-manager", "external-secrets", "tekton-pipelines", "krci"],
                          "production": ["external-secrets"]}[cluster]:
            deployments = apps.list_namespaced_deployment(namespace).items
            assert deployments, namespace
            for deployment in deployments:
                assert deployment.status.available_replicas == deployment.spec.replicas, deployment.metadata.name
            labels = client.CoreV1Api(api).read_namespace(namespace).metadata.labels
            assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    # cert-manager lives on the platform cluster only.
    client, api = kube_client(state["clusters"]["production"])
    served = {c.metadata.name for c in client.ApiextensionsV1Api(api).list_custom_resource_definition().items}
    assert "certificates.cert-manager.io" not in served


# The platform CA issuer chain and the External Secrets stores are verified by the molecule scenarios
# operators and vault (extensions/molecule/*/verify.yml).


def test_a_rerun_and_check_mode_change_nothing(converged, tools_env):
    """The operators play on every cluster (test_baseline proves the whole playbook's no-op and check)."""
    state = converged
    before = {key: r["revision"] for key, r in helm_releases(state, "platform", tools_env).items()}
    again_run, check_run = playbooks_at_once(state, tools_env, (), ("--check", "--diff"), name="common/operators")
    again = assert_ok(again_run)
    assert all(r["changed"] == 0 for r in again.values()), changed_tasks(again_run.stdout)
    check = assert_ok(check_run)
    assert all(r["changed"] == 0 for r in check.values()), changed_tasks(check_run.stdout)
    assert {key: r["revision"] for key, r in helm_releases(state, "platform", tools_env).items()} == before


def test_changing_a_pinned_version_upgrades_in_place(converged, tools_env, tmp_path):
    state = converged
    before = helm_releases(state, "platform", tools_env)[("cert-manager", "cert-manager")]
    # The new version's CRDs changed: Helm would keep the old ones, the role applies them.
    newer = charts.write_chart(tmp_path, "cert_manager", "v1.21.2", crd_annotations={"krci.test/schema": "v1.21.2"})
    crds = crd_names("cert-manager")
    overrides = dict(inventory_overrides(state), cert_manager={"version": "v1.21.2", "source": "path",
                                                               "path": str(newer)})
    extra = ("-e", json.dumps({"operators_overrides": overrides}))
    try:
        upgrade = assert_ok(operators_only(state, tools_env, *extra))
        assert upgrade["platform"]["changed"] >= 1
        after = helm_releases(state, "platform", tools_env)[("cert-manager", "cert-manager")]
        assert after["chart"] == "cert-manager-v1.21.2" and after["status"] == "deployed"
        assert int(after["revision"]) == int(before["revision"]) + 1
        client, api = kube_client(state["clusters"]["platform"])
        deployment = client.AppsV1Api(api).read_namespaced_deployment("cert-manager", "cert-manager")
        assert deployment.spec.template.spec.containers[0].image.endswith("/cert-manager:v1.21.2")
        assert deployment.status.updated_replicas == deployment.status.available_replicas == 1
        assert schema_stamps(state, crds) == {"v1.21.2"}
        same = assert_ok(operators_only(state, tools_env, *extra))
        assert same["platform"]["changed"] == 0
    finally:
        assert_ok(operators_only(state, tools_env))
    assert helm_releases(state, "platform", tools_env)[("cert-manager", "cert-manager")]["chart"] == \
        "cert-manager-v1.21.1"
    assert schema_stamps(state, crds) == {None}  # back to the pinned chart's CRDs


def schema_stamps(state, names):
    client, api = kube_client(state["clusters"]["platform"])
    extensions = client.ApiextensionsV1Api(api)
    return {(extensions.read_custom_resource_definition(name).metadata.annotations or {}).get("krci.test/schema")
            for name in names}


def test_a_deployment_that_never_becomes_available_is_named(converged, tools_env):
    state = converged
    overrides = dict(inventory_overrides(state),
                     keycloak_operator={"values": {"nodeSelector": {"krci.test/no-such-node": "true"}}})
    try:
        result = operators_only(state, tools_env, "-e", json.dumps({"operators_overrides": overrides,
                                                                    "operators_wait_timeout": 5}))
        assert result.returncode != 0
        flat = " ".join(result.stdout.split())
        assert "Helm release krci/keycloak-operator: not ready after 5s on %s" % state["clusters"]["platform"]["api_url"] \
            in flat
        assert "Deployment krci/keycloak-operator: rollout in progress" in flat
    finally:
        assert_ok(operators_only(state, tools_env))


@pytest.mark.parametrize("override,message", [
    ({"cert_manager": {"version": "v1.21.2", "source": "path", "path": "{pinned}"}},
     "operators_overrides.cert_manager.version: unknown version v1.21.2 of cert_manager: the chart at {pinned} "
     "is version v1.21.1"),
    ({"cert_manager": {"version": "v9.9.9"}},
     "operators_chart_dir: {charts}/cert-manager-v9.9.9 nor {charts}/cert-manager-v9.9.9.tgz does not exist "
     "on the controller"),
    ({"codebase_operator": {"source": "path", "path": "/nowhere/codebase-operator"}},
     "operators_overrides.codebase_operator.path: /nowhere/codebase-operator does not exist on the controller"),
    ({"tekton_pipelines": {"version": "latest"}},
     "operators_overrides.tekton_pipelines.version: 'latest' is not a version such as 1.2.3 or v1.2.3"),
    ({"kyverno": {"version": "1.15.0"}}, "operators_overrides.kyverno: unknown operator"),
])
def test_bad_operator_input_fails_before_any_change(converged, tools_env, override, message):
    state = converged
    chart_dir = yaml.safe_load(Path(state["inventory"]).read_text())["vars"]["operators_chart_dir"]
    pinned = str(Path(chart_dir) / "cert-manager-v1.21.1")
    override = json.loads(json.dumps(override).replace("{pinned}", pinned))
    before = helm_releases(state, "platform", tools_env)
    result = playbook(state, tools_env, "-e", json.dumps({"operators_overrides": dict(inventory_overrides(state),
                                                                                      **override)}))
    assert result.returncode != 0
    flat = " ".join(result.stdout.split())
    assert message.format(pinned=pinned, charts=chart_dir) in flat
    assert "nothing was changed" in flat
    assert "TASK [krci.platform.cluster_baseline" not in flat and "TASK [Configure the platform realm" not in flat
    assert helm_releases(state, "platform", tools_env) == before


def test_an_oci_registry_mirror_serves_the_charts(converged, tools_env, tmp_path):
    """Harbor/Nexus stand-in: a real OCI registry (CNCF Distribution) on TLS signed by the sandbox CA."""
    state = converged
    registry = core.start_oci_registry(state["option"])
    mirror = "oci://%s/krci-charts" % registry["host"]
    # The site trusts its registry's CA (in an execution environment: the image's trust store).
    env = dict(tools_env, SSL_CERT_FILE=registry["ca_file"])
    helm_bin = str(Path(state["bin_dir"]) / "helm")
    for version in ("2.34.0", "2.34.1"):
        chart_dir = charts.write_chart(tmp_path / "src", "codebase_operator", version)
        packaged = run([helm_bin, "package", chart_dir, "-d", tmp_path / "packages"], env)
        assert packaged.returncode == 0, packaged.stderr
        pushed = run([helm_bin, "push", tmp_path / "packages" / ("codebase-operator-%s.tgz" % version), mirror], env)
        assert pushed.returncode == 0, pushed.stderr
    before = helm_releases(state, "platform", env)[("codebase-operator", "krci")]

    def with_mirror(version):
        overrides = dict(inventory_overrides(state),
                         codebase_operator={"source": "oci", "oci_registry": mirror, "version": version})
        return ("-e", json.dumps({"operators_overrides": overrides}))

    try:
        upgrade = assert_ok(operators_only(state, env, *with_mirror("2.34.1")))
        assert upgrade["platform"]["changed"] >= 1
        after = helm_releases(state, "platform", env)[("codebase-operator", "krci")]
        assert after["chart"] == "codebase-operator-2.34.1"
        assert int(after["revision"]) == int(before["revision"]) + 1
        assert assert_ok(operators_only(state, env, *with_mirror("2.34.1")))["platform"]["changed"] == 0
        # A version the registry does not have: named before any change.
        missing = operators_only(state, env, *with_mirror("2.34.9"))
        assert missing.returncode != 0
        flat = " ".join(missing.stdout.split())
        assert "operator codebase_operator: version 2.34.9 of chart %s/codebase-operator not found or not readable" \
            % mirror in flat
        assert "TASK [krci.platform.operators : Install or upgrade" not in flat
        assert helm_releases(state, "platform", env)[("codebase-operator", "krci")]["revision"] == after["revision"]
    finally:
        assert_ok(operators_only(state, tools_env))


# The GitOps play has checked its inputs on every cluster; the push target's own part is next.
MID_GITOPS = "TASK [krci.platform.argocd : The hub's ServiceAccount in this push target, its token handed to the hub"


def test_push_target_api_server_stopped_mid_run(converged, tools_env):
    """The push target's API server stops once the parallel GitOps play is under way: that cluster's host fails
    naming its API server, every other cluster finishes its part, and a re-run converges with nothing lost."""
    state = converged
    target = state["clusters"]["workloads"]
    argv = ["ansible-playbook", "-i", state["inventory"], str(REPO / "playbooks" / "common" / "gitops.yml")]
    stopped, output, returncode = run_with_api_server_stopped(argv, tools_env, state["option"], "workloads", MID_GITOPS)
    assert stopped, output[-3000:]
    assert returncode != 0
    summary = recap(output)
    # Only the cluster that stopped answering fails; the hub and the pull clusters finish their part.
    assert summary["workloads"]["failed"] == 1, summary
    assert all(summary[name]["failed"] == 0 and summary[name]["unreachable"] == 0
               for name in summary if name != "workloads"), summary
    failure = output[output.index(MID_GITOPS):]
    flat = " ".join(failure.split())
    # The failure is the workloads host's, and its message names the API server that did not answer.
    assert target["api_url"] in flat.split("fatal: [workloads]")[1], flat[-3000:]
    assert "fatal: [platform]" not in flat
    # The play had started: its checks ran before the API server stopped.
    assert "TASK [krci.platform.argocd : Check the Argo CD inputs" in output
    # The hub finished its own part after the failure: its configuration task ran on the platform host.
    assert re.search(r"TASK \[krci\.platform\.argocd : Configure SSO[^\n]*\n(?:[^\n]*\n)*?(ok|changed): \[platform\]",
                     failure), failure[-3000:]

    rerun = assert_ok(play(state, tools_env, "gitops"))
    assert all(r["changed"] == 0 for r in rerun.values()), rerun
    client, api = kube_client(state["clusters"]["platform"])
    secret = client.CoreV1Api(api).read_namespaced_secret("cluster-workloads", "argocd")
    assert secret.metadata.labels["argocd.argoproj.io/secret-type"] == "cluster"
