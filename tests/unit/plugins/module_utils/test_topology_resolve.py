"""Every bad-inventory case of the topology model: each error names the field and the fix."""

import pytest
import yaml

from ansible_collections.krci.platform.plugins.module_utils import _topology as topology


def kubeconfig(tmp_path, name, server, contexts=None):
    contexts = contexts or [name]
    path = tmp_path / ("%s.kubeconfig" % name)
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": contexts[0],
        "clusters": [{"name": name, "cluster": {"server": server}}],
        "contexts": [{"name": c, "context": {"cluster": name, "user": "u"}} for c in contexts],
        "users": [{"name": "u", "user": {}}],
    }))
    return str(path)


@pytest.fixture
def separated(tmp_path):
    return {name: {"kubeconfig": kubeconfig(tmp_path, name, "https://127.0.0.1:%d" % port)}
            for port, name in enumerate(["platform", "workloads", "staging", "production"], start=6443)}


def errors_of(option, declared, push_targets=None):
    with pytest.raises(topology.TopologyError) as err:
        topology.resolve(option, declared, push_targets)
    return err.value.errors


def test_valid_separated_inventory_resolves_with_urls_and_contexts(separated):
    resolved = {c["name"]: c for c in topology.resolve("separated", separated)}
    assert resolved["workloads"]["environments"] == ["dev", "test", "uat"]
    assert resolved["workloads"]["gitops"] == "push"
    assert resolved["staging"]["gitops"] == resolved["production"]["gitops"] == "pull"
    assert resolved["production"]["api_url"] == "https://127.0.0.1:6446"
    assert resolved["production"]["context"] == "production"


def test_custom_cluster_names_with_roles_resolve(tmp_path):
    declared = {
        "hub": {"role": "platform", "kubeconfig": kubeconfig(tmp_path, "hub", "https://a")},
        "nonprod": {"role": "workloads", "kubeconfig": kubeconfig(tmp_path, "nonprod", "https://b")},
        "stage-eu": {"role": "staging", "kubeconfig": kubeconfig(tmp_path, "stage", "https://c")},
        "prod-eu": {"role": "production", "kubeconfig": kubeconfig(tmp_path, "prod", "https://d")},
    }
    resolved = {c["name"]: c for c in topology.resolve("separated", declared)}
    assert resolved["nonprod"]["environments"] == ["dev", "test", "uat"]
    assert resolved["prod-eu"]["gitops"] == "pull"


def test_unknown_option(separated):
    assert "unknown option 'hybrid'" in errors_of("hybrid", separated)[0]


def test_missing_role(separated):
    del separated["staging"]
    errors = errors_of("separated", separated)
    assert any("needs 1 staging cluster(s), the inventory has 0" in e for e in errors)
    assert any("environments: the separated option needs" in e and "missing: staging" in e for e in errors)


def test_one_role_too_many(separated, tmp_path):
    separated["workloads2"] = {"role": "workloads", "environments": [],
                               "kubeconfig": kubeconfig(tmp_path, "w2", "https://127.0.0.1:7000")}
    errors = errors_of("separated", separated)
    assert any("one too many: workloads, workloads2" in e for e in errors)


def test_production_sharing_a_cluster(separated):
    separated["production"]["environments"] = ["production", "uat"]
    separated["workloads"]["environments"] = ["dev", "test"]
    errors = errors_of("separated", separated)
    assert any(e.startswith("clusters.production.environments: production must be alone") for e in errors)


def test_environment_on_two_clusters_names_both(separated):
    separated["platform"]["environments"] = ["dev"]
    errors = errors_of("separated", separated)
    assert any("environment dev is on two clusters: platform and workloads" in e for e in errors)


def test_pull_cluster_as_push_target(separated):
    errors = errors_of("separated", separated, push_targets=["workloads", "staging"])
    assert any(e.startswith("push_targets: staging is a pull cluster") for e in errors)


def test_gitops_model_is_derived_not_chosen(separated):
    separated["production"]["gitops"] = "push"
    errors = errors_of("separated", separated)
    assert any("clusters.production.gitops: 'push'" in e and "always pull" in e for e in errors)


def test_unknown_environment(separated):
    separated["workloads"]["environments"] = ["dev", "qa-2", "uat", "test"]
    assert any("unknown environment(s) qa-2" in e for e in errors_of("separated", separated))


def test_unknown_key_is_a_typo(separated):
    separated["platform"]["kubecfg"] = "x"
    assert any("clusters.platform: unknown key(s) kubecfg" in e for e in errors_of("separated", separated))


def test_same_api_url_twice(separated, tmp_path):
    separated["staging"]["kubeconfig"] = kubeconfig(tmp_path, "dup", "https://127.0.0.1:6443")
    errors = errors_of("separated", separated)
    assert any("clusters platform and staging have the same API URL https://127.0.0.1:6443" in e for e in errors)


def test_kubeconfig_path_missing_names_cluster_and_path(separated, tmp_path):
    separated["staging"]["kubeconfig"] = str(tmp_path / "nope")
    errors = errors_of("separated", separated)
    assert "clusters.staging: kubeconfig %s does not exist" % (tmp_path / "nope") in errors


def test_kubeconfig_not_set(separated):
    del separated["staging"]["kubeconfig"]
    assert any(e.startswith("clusters.staging.kubeconfig: not set") for e in errors_of("separated", separated))


def test_context_not_in_kubeconfig(separated):
    separated["production"]["context"] = "prod-admin"
    errors = errors_of("separated", separated)
    assert any("clusters.production: context 'prod-admin' is not in kubeconfig" in e and "(it has: production)" in e
               for e in errors)


def test_api_url_must_match_the_kubeconfig(separated):
    separated["platform"]["api_url"] = "https://elsewhere:6443"
    assert any("clusters.platform.api_url: https://elsewhere:6443, but context" in e
               for e in errors_of("separated", separated))


def test_isolated_needs_three_workload_clusters(tmp_path):
    declared = {name: {"kubeconfig": kubeconfig(tmp_path, name, "https://h%d" % i)}
                for i, name in enumerate(["platform", "dev", "test", "staging", "production"])}
    errors = errors_of("isolated", declared)
    assert any("needs 3 workloads cluster(s), the inventory has 2 (dev, test)" in e for e in errors)
    assert any("missing: uat" in e for e in errors)


def test_shared_has_no_workloads_cluster(tmp_path):
    declared = {name: {"kubeconfig": kubeconfig(tmp_path, name, "https://h%d" % i)}
                for i, name in enumerate(["platform", "staging", "production", "workloads"])}
    assert any(e.startswith("clusters.workloads.role: not set and 'workloads' is not a cluster of the shared option")
               for e in errors_of("shared", declared))
    declared["workloads"].update(role="workloads", environments=[])
    errors = errors_of("shared", declared)
    assert any("the shared option has 0 workloads cluster(s), the inventory has one too many: workloads" in e
               for e in errors)


def test_unnamed_cluster_of_an_ambiguous_role_needs_environments(tmp_path):
    declared = {name: {"kubeconfig": kubeconfig(tmp_path, name, "https://h%d" % i)}
                for i, name in enumerate(["platform", "dev", "test", "staging", "production"])}
    declared["acceptance"] = {"role": "workloads", "kubeconfig": kubeconfig(tmp_path, "acc", "https://h9")}
    errors = errors_of("isolated", declared)
    assert "clusters.acceptance.environments: must be set for a workloads cluster in the isolated option" in errors


def test_no_clusters():
    assert errors_of("shared", {})[0].startswith("clusters: the inventory declares no clusters")


def test_all_problems_reported_at_once(separated):
    separated["staging"]["kubeconfig"] = "/nonexistent"
    separated["production"]["gitops"] = "push"
    assert len(errors_of("separated", separated)) == 2


def merged_kubeconfig(tmp_path, servers):
    """One kubeconfig with a context per cluster, as an AWX credential injects it."""
    path = tmp_path / "merged.kubeconfig"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": list(servers)[0],
        "clusters": [{"name": n, "cluster": {"server": s}} for n, s in servers.items()],
        "contexts": [{"name": n, "context": {"cluster": n, "user": "u"}} for n in servers],
        "users": [{"name": "u", "user": {}}]}))
    return str(path)


def test_kubeconfig_from_environment_checks_contexts_when_the_variable_is_set(tmp_path):
    names = ["platform", "workloads", "staging", "production"]
    declared = {name: {"context": name} for name in names}
    # At inventory time in AWX the credential may be absent: only the contexts are required.
    resolved = topology.resolve("separated", declared, kubeconfig_from="environment", environ={})
    assert all(c["kubeconfig"] is None for c in resolved)
    path = merged_kubeconfig(tmp_path, {n: "https://10.0.0.%d:6443" % i for i, n in enumerate(names, 1)})
    resolved = {c["name"]: c for c in topology.resolve("separated", declared, kubeconfig_from="environment",
                                                       environ={"K8S_AUTH_KUBECONFIG": path})}
    assert resolved["staging"]["api_url"] == "https://10.0.0.3:6443"
    assert resolved["staging"]["kubeconfig"] is None  # resolved again when the job runs, never a stale path
    declared["production"] = {"context": "prod-typo"}
    with pytest.raises(topology.TopologyError) as err:
        topology.resolve("separated", declared, kubeconfig_from="environment", environ={"K8S_AUTH_KUBECONFIG": path})
    assert any("clusters.production: context 'prod-typo' is not in kubeconfig" in e and "K8S_AUTH_KUBECONFIG" in e
               for e in err.value.errors)
    declared["production"] = {}
    with pytest.raises(topology.TopologyError) as err:
        topology.resolve("separated", declared, kubeconfig_from="environment", environ={})
    assert "clusters.production.context: required with kubeconfig_from: environment" in err.value.errors[0]


def test_unknown_kubeconfig_source_is_named():
    with pytest.raises(topology.TopologyError, match="kubeconfig_from: 'vault'; use file"):
        topology.resolve("separated", {"platform": {}}, kubeconfig_from="vault")


@pytest.mark.parametrize("bad, message", [
    ("Apps", "clusters.Apps: the name becomes the DNS label argocd-Apps"),
    ("apps_1", "clusters.apps_1: the name becomes the DNS label argocd-apps_1"),
    ("-apps", "clusters.-apps: the name becomes"),
    ("a" * 57, "at most 56 characters"),
])
def test_cluster_names_are_validated_as_what_they_become(separated, tmp_path, bad, message):
    declared = dict(separated)
    declared[bad] = {"role": "workloads", "environments": ["dev"],
                     "kubeconfig": kubeconfig(tmp_path, "extra", "https://127.0.0.1:7000")}
    assert any(message in error for error in errors_of("separated", declared))


def test_names_that_differ_only_in_case_are_refused_naming_both(separated, tmp_path):
    declared = dict(separated)
    declared["Workloads"] = dict(declared["workloads"])
    errors = errors_of("separated", declared)
    assert any("clusters.Workloads: differs from clusters.workloads only in case" in error for error in errors)


def test_a_name_of_56_characters_is_fine():
    assert topology.cluster_name_errors({"a" * 56: {}, "apps-2": {}}) == []
