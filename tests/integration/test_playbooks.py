"""playbooks/<option>.yml against the sandbox of that option, through ansible-playbook.

The tests here hold for every option; they run on the shared sandbox (OPTION), whose stream of tests/run-all.sh has
room, with staging as the push target they stop.
"""

import re
from pathlib import Path

import pytest
import yaml

from conftest import REPO, playbook, recap, run
from sandbox import core


OPTION = "shared"
PUSH_TARGET = "staging"  # a push target of OPTION (plain Kubernetes in the sandbox)
OTHERS = ("platform", "production")  # the option's other clusters


@pytest.mark.sandbox(OPTION)
def test_playbook_of_another_option_fails_first_and_touches_no_cluster(sandbox_pool, tools_env):
    state = sandbox_pool.get(OPTION)
    result = playbook(state, tools_env, name="isolated")
    assert result.returncode != 0
    assert "krci_allocation_option is '%s', but playbooks/isolated.yml converges the 'isolated' option" % OPTION in \
        result.stdout.replace("\n", " ").replace("  ", " ")
    assert "Ask the API server for its version" not in result.stdout


@pytest.mark.sandbox(OPTION)
def test_missing_kubeconfig_is_named_before_any_cluster_is_contacted(sandbox_pool, tools_env, tmp_path):
    state = sandbox_pool.get(OPTION)
    inventory = yaml.safe_load(Path(state["inventory"]).read_text())
    inventory["clusters"]["staging"]["kubeconfig"] = str(tmp_path / "missing.kubeconfig")
    broken = tmp_path / "topology.yml"
    broken.write_text(yaml.safe_dump(inventory))
    result = playbook(dict(state, inventory=str(broken)), tools_env)
    assert result.returncode != 0
    assert "clusters.staging: kubeconfig %s does not exist" % (tmp_path / "missing.kubeconfig") in result.stdout
    assert "Ask the API server for its version" not in result.stdout


@pytest.mark.sandbox(OPTION)
def test_unreachable_cluster_is_named_with_its_url(sandbox_pool, tools_env):
    state = sandbox_pool.get(OPTION)
    core.stop_process(state["option"], PUSH_TARGET + "/kube-apiserver")  # by name: earlier tests restart it
    try:
        result = playbook(state, tools_env)
        assert result.returncode != 0
        url = state["clusters"][PUSH_TARGET]["api_url"]
        flat = " ".join(result.stdout.split())
        assert "cluster %s (%s) is unreachable" % (PUSH_TARGET, url) in flat
        assert recap(result.stdout)[PUSH_TARGET]["failed"] == 1
        # Only the cluster that did not answer is named unreachable; the others are said to have answered.
        for healthy in OTHERS:
            assert "cluster %s (" % healthy not in flat
        assert "%s did not answer (named above with the cause); %s answered" % (PUSH_TARGET, ", ".join(OTHERS)) in flat
        assert "Nothing was changed" in flat and "TASK [krci.platform.keycloak" not in result.stdout
    finally:
        core.start_process(state["option"], PUSH_TARGET + "/kube-apiserver")


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


def _lease_holder(state):
    from conftest import kube_client

    client, api_client = kube_client(state["clusters"]["platform"])
    try:
        lease = client.CoordinationV1Api(api_client).read_namespaced_lease("krci-platform-run", "kube-system")
    except client.exceptions.ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return lease.spec.holder_identity


@pytest.mark.sandbox(OPTION)
def test_two_runs_at_once_one_converges_and_the_other_stops_naming_the_holder(sandbox_pool, tools_env):
    from conftest import assert_ok, playbooks_at_once

    state, _ = sandbox_pool.converged(OPTION, tools_env)
    runs = playbooks_at_once(state, tools_env, ("-e", "krci_run_lease_wait=2"), ("-e", "krci_run_lease_wait=2"))
    winner, loser = sorted(runs, key=lambda r: r.returncode)
    assert_ok(winner)
    assert loser.returncode != 0, loser.stdout[-2000:]
    flat = " ".join(loser.stdout.split())
    assert re.search(r"another run converges this platform: \S+@\S+ shared run \w{8} started \S+ holds "
                     r"Lease kube-system/krci-platform-run on https://127\.0\.0\.1:\d+ since", flat), flat[-2000:]
    # The loser stopped before its first write: no play after the Lease ran, on any cluster.
    assert "PLAY [Platform realm in Keycloak]" not in loser.stdout and "PLAY [Cluster baseline" not in loser.stdout
    # The winner gave the Lease back at its end.
    assert _lease_holder(state) is None


@pytest.mark.sandbox(OPTION)
def test_a_run_killed_with_sigkill_does_not_block_the_next_one(sandbox_pool, tools_env):
    import signal
    import subprocess
    import time

    from conftest import assert_ok

    state, _ = sandbox_pool.converged(OPTION, tools_env)
    run_ = subprocess.Popen(["ansible-playbook", "-i", str(state["inventory"]), str(REPO / "playbooks" / ("%s.yml" % OPTION))],
                            env=tools_env, cwd=str(REPO), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while _lease_holder(state) is None:
            assert run_.poll() is None and time.monotonic() < deadline, "the run never took the Lease"
            time.sleep(0.3)
        holder = _lease_holder(state)
        run_.send_signal(signal.SIGKILL)
    finally:
        run_.kill()
        run_.wait()
    # Its renewer sees the run gone and gives the Lease back (in seconds, not after the 60 s hold).
    deadline = time.monotonic() + 30
    while _lease_holder(state) == holder and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _lease_holder(state) is None
    # The next run takes the Lease without waiting and converges what the killed one may have left.
    assert_ok(playbook(state, tools_env, "-e", "krci_run_lease_wait=0"))
