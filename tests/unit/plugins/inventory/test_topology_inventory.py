"""The inventory plugin through Ansible's own InventoryManager, as ansible-playbook -i uses it."""

import sys

import yaml
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader


def write_kubeconfig(directory, name, port):
    path = directory / ("%s.kubeconfig" % name)
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": name,
        "clusters": [{"name": name, "cluster": {"server": "https://127.0.0.1:%d" % port}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": "u"}}],
        "users": [{"name": "u", "user": {}}]}))
    return path.name  # relative: resolved against the inventory file's directory


def inventory(tmp_path, option, names, **extra):
    source = {"plugin": "krci.platform.topology", "option": option,
              "clusters": {n: {"kubeconfig": write_kubeconfig(tmp_path, n, 6443 + i)} for i, n in enumerate(names)},
              "vars": {"krci_keycloak_url": "https://sso.example.invalid"}}
    source.update(extra)
    path = tmp_path / "topology.yml"
    path.write_text(yaml.safe_dump(source))
    return InventoryManager(loader=DataLoader(), sources=[str(path)])


def test_hosts_groups_and_vars_of_the_isolated_option(tmp_path):
    inv = inventory(tmp_path, "isolated", ["platform", "dev", "test", "uat", "staging", "production"])
    groups = inv.get_groups_dict()
    assert sorted(groups["all"]) == ["dev", "platform", "production", "staging", "test", "uat"]
    assert groups["push_targets"] == ["dev", "test", "uat"]
    assert sorted(groups["pull_clusters"]) == ["production", "staging"]
    assert groups["role_workloads"] == ["dev", "test", "uat"]
    assert groups["env_uat"] == ["uat"]
    host_vars = inv.get_host("production").get_vars()
    group_vars = inv.groups["all"].get_vars()
    assert host_vars["krci_kubeconfig"] == str(tmp_path / "production.kubeconfig")
    assert host_vars["krci_api_url"] == "https://127.0.0.1:6448"
    assert host_vars["krci_gitops_model"] == "pull"
    assert host_vars["ansible_python_interpreter"] == sys.executable
    assert group_vars["krci_allocation_option"] == "isolated"
    assert group_vars["krci_topology_errors"] == []
    assert group_vars["krci_keycloak_url"] == "https://sso.example.invalid"


def test_invalid_file_still_yields_hosts_and_the_errors_for_the_validation_play(tmp_path):
    inv = inventory(tmp_path, "separated", ["platform", "workloads", "staging"], push_targets=["staging"])
    errors = inv.groups["all"].get_vars()["krci_topology_errors"]
    assert any("needs 1 production cluster(s), the inventory has 0" in e for e in errors)
    assert any(e.startswith("push_targets: staging is a pull cluster") for e in errors)
    assert sorted(inv.get_groups_dict()["all"]) == ["platform", "staging", "workloads"]
    # No derived groups from an invalid topology: nothing may be targeted by GitOps role.
    assert inv.get_groups_dict().get("push_targets", []) == []


def test_other_files_are_not_claimed(tmp_path):
    from ansible.plugins.loader import inventory_loader

    plugin = inventory_loader.get("krci.platform.topology")
    other = tmp_path / "hosts.yml"
    other.write_text("all: {}\n")
    assert plugin.verify_file(str(other)) is False


def test_one_namespace_prefix_names_every_clusters_namespaces(tmp_path):
    inv = inventory(tmp_path, "separated", ["platform", "workloads", "staging", "production"], namespace_prefix="acme-")
    assert inv.groups["all"].get_vars()["krci_namespace_prefix"] == "acme-"
    assert inv.get_host("workloads").get_vars()["krci_namespaces"] == {
        "dev": "acme-dev", "test": "acme-test", "uat": "acme-uat"}
    assert inv.get_host("platform").get_vars()["krci_namespaces"] == {}
    default = inventory(tmp_path, "shared", ["platform", "staging", "production"])
    assert default.get_host("platform").get_vars()["krci_namespaces"] == {"dev": "krci-dev", "test": "krci-test"}


def test_a_namespace_prefix_that_makes_no_namespace_name_is_a_topology_error(tmp_path):
    inv = inventory(tmp_path, "shared", ["platform", "staging", "production"], namespace_prefix="Team_")
    errors = inv.groups["all"].get_vars()["krci_topology_errors"]
    assert errors == ["namespace_prefix: 'Team_' must be lower-case letters, digits and '-' (it starts every "
                      "environment namespace, for example krci-dev)"]


def test_an_eks_cluster_without_a_kubeconfig_gets_the_one_the_aws_play_writes(tmp_path):
    """Before playbooks/aws.yml created the EKS clusters their kubeconfigs do not exist: no error for those (the
    option playbook's reachability check names them); a kubeconfig the topology names must still exist."""
    folder = tmp_path / "eks"
    source = {"plugin": "krci.platform.topology", "option": "separated",
              "clusters": {"platform": {"kubeconfig": write_kubeconfig(tmp_path, "platform", 6443)},
                           "workloads": None, "staging": {}, "production": {"role": "production"}},
              "aws": {"region": "eu-central-1", "accounts": {
                  "development": {"id": "111111111111", "clusters": ["platform", "workloads"]},
                  "production": {"id": "222222222222", "clusters": ["staging", "production", "elsewhere"]}}},
              "vars": {"aws_kubeconfig_dir": str(folder)}}
    path = tmp_path / "topology.yml"
    path.write_text(yaml.safe_dump(source))
    inv = InventoryManager(loader=DataLoader(), sources=[str(path)])
    assert inv.groups["all"].get_vars()["krci_topology_errors"] == []
    assert sorted(inv.get_groups_dict()["all"]) == ["platform", "production", "staging", "workloads"]  # no 'elsewhere'
    assert inv.get_host("workloads").get_vars()["krci_kubeconfig"] == str(folder / "workloads.yaml")
    assert inv.get_host("platform").get_vars()["krci_kubeconfig"] == str(tmp_path / "platform.kubeconfig")
    # Once written, it is read like any other.
    folder.mkdir()
    (folder / "production.yaml").write_text((tmp_path / "platform.kubeconfig").read_text())
    inv = InventoryManager(loader=DataLoader(), sources=[str(path)])
    assert inv.groups["all"].get_vars()["krci_topology_errors"] == [
        "clusters platform and production have the same API URL https://127.0.0.1:6443; each cluster of the "
        "topology is a distinct Kubernetes cluster"]
