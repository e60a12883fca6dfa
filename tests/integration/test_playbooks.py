"""playbooks/<option>.yml against the sandbox of that option, through ansible-playbook."""

import re
from pathlib import Path

import pytest
import yaml

from conftest import REPO, run
from sandbox import core

RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def playbook(option, inventory, env, *extra):
    return run(["ansible-playbook", "-i", inventory, str(REPO / "playbooks" / ("%s.yml" % option))] + list(extra), env)


def recap(output):
    return {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                         "failed": int(m.group(5))} for m in RECAP.finditer(output)}


@pytest.mark.sandbox("separated")
def test_playbook_of_another_option_fails_first_and_touches_no_cluster(sandbox_pool, tools_env):
    state = sandbox_pool.get("separated")
    result = playbook("isolated", state["inventory"], tools_env)
    assert result.returncode != 0
    assert "krci_allocation_option is 'separated', but playbooks/isolated.yml converges the 'isolated' option" in \
        result.stdout.replace("\n", " ").replace("  ", " ")
    assert "Ask the API server for its version" not in result.stdout


@pytest.mark.sandbox("separated")
def test_missing_kubeconfig_is_named_before_any_cluster_is_contacted(sandbox_pool, tools_env, tmp_path):
    state = sandbox_pool.get("separated")
    inventory = yaml.safe_load(Path(state["inventory"]).read_text())
    inventory["clusters"]["staging"]["kubeconfig"] = str(tmp_path / "missing.kubeconfig")
    broken = tmp_path / "topology.yml"
    broken.write_text(yaml.safe_dump(inventory))
    result = playbook("separated", str(broken), tools_env)
    assert result.returncode != 0
    assert "clusters.staging: kubeconfig %s does not exist" % (tmp_path / "missing.kubeconfig") in result.stdout
    assert "Ask the API server for its version" not in result.stdout


@pytest.mark.sandbox("separated")
def test_unreachable_cluster_is_named_with_its_url(sandbox_pool, tools_env):
    state = sandbox_pool.get("separated")
    core.stop_process(state["option"], "workloads/kube-apiserver")  # by name: earlier tests restart it
    try:
        result = playbook("separated", state["inventory"], tools_env)
        assert result.returncode != 0
        url = state["clusters"]["workloads"]["api_url"]
        flat = " ".join(result.stdout.split())
        assert "cluster workloads (%s) is unreachable" % url in flat
        assert recap(result.stdout)["workloads"]["failed"] == 1
        # Only the cluster that did not answer is named unreachable; the others are said to have answered.
        for healthy in ("platform", "staging", "production"):
            assert "cluster %s (" % healthy not in flat
        assert "workloads did not answer (named above with the cause); platform, production, staging answered" in flat
        assert "Nothing was changed" in flat and "TASK [krci.platform.keycloak" not in result.stdout
    finally:
        core.start_process(state["option"], "workloads/kube-apiserver")


def test_example_inventory_without_kubeconfigs_lists_every_problem_and_touches_nothing(tools_env, tmp_path):
    env = dict(tools_env, HOME=str(tmp_path))  # ~/.kube/krci-*.yaml do not exist here
    result = run(["ansible-playbook", "-i", str(REPO / "inventories" / "isolated" / "topology.yml"),
                  str(REPO / "playbooks" / "isolated.yml")], env)
    assert result.returncode != 0
    flat = " ".join(result.stdout.split())
    assert "invalid topology in" in flat
    for name in ("platform", "dev", "test", "uat", "staging", "production"):
        assert "clusters.%s: kubeconfig %s/.kube/krci-%s.yaml does not exist" % (name, tmp_path, name) in flat
    assert "Ask the API server for its version" not in result.stdout
    assert "Apply the baseline objects" not in result.stdout
