"""The molecule scenarios (extensions/molecule), run as a role author runs them, on the sandboxes this
session converged (KRCI_MOLECULE_REUSE/KEEP: create finds the sandbox up, destroy leaves it), and the
scenarios' own failure modes: a role made non-idempotent fails at idempotence, a false verify fails at
verify, a sandbox that is down and may not start is named with the command that starts it.

The option scenarios converge an already converged sandbox here (the first converge of each option is
the pool's, which every other test module checks); `molecule test -s <scenario>` from a clean clone
starts and stops a sandbox of its own (docs/molecule.md).
"""

import os
import shutil

import pytest
import yaml

from conftest import REPO, run

ROLE_SCENARIOS = ["cluster_baseline", "keycloak", "operators", "vault", "argocd"]


@pytest.fixture
def molecule_env(sandbox_pool, tools_env):
    """The session's sandboxes (the pool set KRCI_SANDBOX_HOME and KRCI_SANDBOX_INVENTORY_DIR), reused and kept.

    The pool converged them (every option test module checks that a re-run of its plays changes nothing), so the
    scenarios' prepare plays, which are those plays, are skipped (KRCI_MOLECULE_PREPARED)."""
    return dict(tools_env, KRCI_SANDBOX_HOME=os.environ["KRCI_SANDBOX_HOME"],
                KRCI_SANDBOX_INVENTORY_DIR=os.environ["KRCI_SANDBOX_INVENTORY_DIR"],
                KRCI_MOLECULE_REUSE="true", KRCI_MOLECULE_KEEP="true", KRCI_MOLECULE_PREPARED="true",
                NO_COLOR="1", PY_COLORS="0")


def molecule(env, *args, cwd=REPO):
    return run(["molecule"] + list(args), env, timeout=1800, cwd=cwd)


def text_of(result):
    return " ".join((result.stdout + result.stderr).split())


def failed_tasks(output):
    """The lines around each failed task of a molecule run (its summary at the end pushes them out of a tail)."""
    lines = output.splitlines()
    marks = [i for i, line in enumerate(lines) if "fatal:" in line or "FAILED!" in line or "failed:" in line]
    return "\n".join("\n".join(lines[max(0, i - 3):i + 25]) for i in marks[:5])


def assert_passed(result, scenarios, actions=("converge", "idempotence", "verify")):
    text = text_of(result)
    output = result.stdout + result.stderr
    assert result.returncode == 0, failed_tasks(output) + "\n...\n" + output[-4000:]
    for scenario in scenarios:
        for action in actions:
            assert "%s > %s: Executed: Successful" % (scenario, action) in text, (scenario, action)
    assert "[WARNING]" not in result.stdout + result.stderr


@pytest.mark.sandbox("shared")
def test_every_role_scenario_and_the_shared_option_pass(sandbox_pool, tools_env, molecule_env):
    """Every role scenario's whole sequence; the shared option's verify on the converged sandbox.

    option-shared's converge and idempotence steps are playbooks/shared.yml run twice on a sandbox that the
    pool converged; test_baseline's shared test already runs that no-op (and a check run) and asserts
    changed=0 and no object written, so repeating it here would only cost about 90 s of the suite's budget.
    Its converge playbook is exactly that playbook (test_the_option_scenarios_converge_their_option_playbook)."""
    sandbox_pool.converged("shared", tools_env)
    result = molecule(molecule_env, "test", *[arg for name in ROLE_SCENARIOS for arg in ("-s", name)])
    assert_passed(result, ROLE_SCENARIOS)
    result = molecule(molecule_env, "verify", "-s", "option-shared")
    assert_passed(result, ["option-shared"], actions=("verify",))


@pytest.mark.sandbox("shared")
def test_a_running_sandbox_is_used_only_when_asked_and_a_stopped_one_started_only_when_allowed(sandbox_pool, molecule_env):
    """Bad input: each refusal names what to run."""
    sandbox_pool.get("shared")
    asked_not = dict(molecule_env, KRCI_MOLECULE_REUSE="false")
    result = molecule(asked_not, "create", "-s", "cluster_baseline")
    assert result.returncode != 0
    assert "the shared sandbox already runs; set KRCI_MOLECULE_REUSE=true" in text_of(result)
    molecule(molecule_env, "destroy", "-s", "cluster_baseline")
    not_allowed = dict(molecule_env, KRCI_MOLECULE_START="false")
    result = molecule(not_allowed, "create", "-s", "option-isolated")
    assert result.returncode != 0
    assert ("the isolated sandbox is down and KRCI_MOLECULE_START=false; start it: python -m sandbox up "
            "--option isolated") in text_of(result)
    molecule(not_allowed, "destroy", "-s", "option-isolated")


def broken_collection(tmp_path, scenario, converge, verify=None, sequence=None):
    """A collection-shaped directory holding one scenario that extends the repository's base config."""
    root = tmp_path / "broken"
    (root / "extensions" / "molecule" / scenario).mkdir(parents=True)
    shutil.copy(REPO / "galaxy.yml", root / "galaxy.yml")
    base = yaml.safe_load((REPO / "extensions" / "molecule" / "config.yml").read_text())
    shared = REPO / "extensions" / "molecule" / "shared"
    base["provisioner"]["playbooks"] = {"create": str(shared / "create.yml"), "destroy": str(shared / "destroy.yml")}
    base["provisioner"]["env"]["ANSIBLE_COLLECTIONS_PATH"] = str(REPO / ".collections")
    (root / "extensions" / "molecule" / "config.yml").write_text(yaml.safe_dump(base))
    directory = root / "extensions" / "molecule" / scenario
    (directory / "molecule.yml").write_text(yaml.safe_dump({
        "provisioner": {"env": {"KRCI_MOLECULE_OPTION": "shared"},
                        "inventory": {"links": {"hosts": os.environ["KRCI_SANDBOX_INVENTORY_DIR"] + "/shared"}}},
        "scenario": {"test_sequence": sequence or ["destroy", "create", "converge", "idempotence", "verify", "destroy"]}}))
    (directory / "converge.yml").write_text(yaml.safe_dump(converge))
    if verify:
        (directory / "verify.yml").write_text(yaml.safe_dump(verify))
    return root


@pytest.mark.sandbox("shared")
def test_a_role_made_non_idempotent_fails_at_the_idempotence_step(sandbox_pool, molecule_env, tmp_path):
    sandbox_pool.get("shared")
    role = tmp_path / "roles" / "baseline_broken"
    shutil.copytree(REPO / "roles" / "cluster_baseline", role)
    tasks = yaml.safe_load((role / "tasks" / "main.yml").read_text())
    tasks.append({"name": "A task that changes something on every run",
                  "ansible.builtin.command": "true"})  # no changed_when: reported changed each time
    (role / "tasks" / "main.yml").write_text(yaml.safe_dump(tasks))
    root = broken_collection(tmp_path, "broken-idempotence", [
        {"name": "Converge the broken copy of the baseline role", "hosts": "all", "gather_facts": False,
         "roles": [{"role": str(role)}]}])
    result = molecule(molecule_env, "test", "-s", "broken-idempotence", cwd=root)
    text = text_of(result)
    assert result.returncode != 0
    assert "broken-idempotence > converge: Executed: Successful" in text
    assert "Idempotence test failed because of the following tasks" in text
    assert "A task that changes something on every run" in text
    assert "broken-idempotence > verify: Executed: Successful" not in text


@pytest.mark.sandbox("shared")
def test_a_false_verify_fails_at_the_verify_step(sandbox_pool, molecule_env, tmp_path):
    sandbox_pool.get("shared")
    root = broken_collection(tmp_path, "broken-verify", [
        {"name": "Converge the baseline", "ansible.builtin.import_playbook": str(REPO / "playbooks/common/baseline.yml")}],
        verify=[{"name": "Verify something false", "hosts": "role_platform", "gather_facts": False, "tasks": [
            {"name": "The platform cluster has no system namespace",
             "kubernetes.core.k8s_info": {"kubeconfig": "{{ krci_kubeconfig }}", "kind": "Namespace",
                                          "name": "krci-system"}, "register": "ns"},
            {"name": "Assert the opposite of the truth",
             "ansible.builtin.assert": {"that": "ns.resources | length == 0", "fail_msg": "krci-system exists"}}]}],
        sequence=["destroy", "create", "converge", "verify", "destroy"])
    result = molecule(molecule_env, "test", "-s", "broken-verify", cwd=root)
    text = text_of(result)
    assert result.returncode != 0
    assert "broken-verify > converge: Executed: Successful" in text
    assert "krci-system exists" in text and "broken-verify > verify: Executed: Failed" in text


def test_the_option_scenarios_converge_their_option_playbook():
    """What the option scenarios' converge and idempotence steps run is the option playbook itself, which
    test_baseline converges, re-runs and checks for every option."""
    for option in ("shared", "separated", "isolated"):
        converge = yaml.safe_load((REPO / "extensions" / "molecule" / ("option-" + option) / "converge.yml").read_text())
        assert converge == [{"name": "Converge the %s option" % option,
                             "ansible.builtin.import_playbook": "../../../playbooks/%s.yml" % option}], option


@pytest.mark.parametrize("option", ["isolated", "separated"])
def test_the_other_option_scenarios_differ_from_the_shared_one_only_by_the_option(option):
    """option-shared's verify runs above; option-isolated and option-separated are the same scenario with
    another option, so running them would only repeat test_baseline's converge, no-op and check runs of
    those options (about 150 s of the suite's budget). This proves they are that same scenario."""
    def normalised(name, relative):
        text = (REPO / "extensions" / "molecule" / ("option-" + name) / relative).read_text()
        text = text.replace("../shared/", "../<common>/").replace(name, "<option>")
        return [line for line in text.splitlines() if not line.startswith("#")]
    for relative in ("molecule.yml", "converge.yml"):
        assert normalised(option, relative) == normalised("shared", relative), relative
    scenario = yaml.safe_load((REPO / "extensions" / "molecule" / ("option-" + option) / "molecule.yml").read_text())
    assert scenario["provisioner"]["env"]["KRCI_MOLECULE_OPTION"] == option
    assert scenario["provisioner"]["inventory"]["links"]["hosts"].endswith("/" + option)
