import pytest

from ansible_collections.krci.platform.plugins.module_utils import _topology as topology


@pytest.mark.parametrize("option,count", [("shared", 3), ("separated", 4), ("isolated", 6)])
def test_cluster_count_per_option(option, count):
    assert len(topology.clusters(option)) == count


@pytest.mark.parametrize("option", topology.OPTIONS)
def test_production_is_alone_and_pull(option):
    production = [c for c in topology.clusters(option) if "production" in c["environments"]]
    assert len(production) == 1
    assert production[0]["environments"] == ["production"]
    assert production[0]["gitops"] == "pull"
    assert production[0]["role"] == "production"


@pytest.mark.parametrize("option,staging_model", [("shared", "push"), ("separated", "pull"), ("isolated", "pull")])
def test_staging_model(option, staging_model):
    staging = [c for c in topology.clusters(option) if "staging" in c["environments"]]
    assert [c["gitops"] for c in staging] == [staging_model]


@pytest.mark.parametrize("option,environments", [
    ("shared", ["dev", "test", "staging", "production"]),  # seed 002: no UAT tier in the cost-effective option
    ("separated", list(topology.ENVIRONMENTS)),
    ("isolated", list(topology.ENVIRONMENTS)),
])
def test_every_environment_on_exactly_one_cluster(option, environments):
    placed = [env for c in topology.clusters(option) for env in c["environments"]]
    assert sorted(placed) == sorted(environments)


@pytest.mark.parametrize("option", topology.OPTIONS)
def test_one_platform_cluster(option):
    assert [c["role"] for c in topology.clusters(option)].count("platform") == 1


def test_groups_separated():
    groups = topology.groups("separated")
    assert groups["role_platform"] == ["platform"]
    assert groups["push_targets"] == ["workloads"]
    assert groups["pull_clusters"] == ["staging", "production"]
    assert groups["role_production"] == ["production"]
    assert groups["env_dev"] == groups["env_test"] == groups["env_uat"] == ["workloads"]


def test_groups_shared_platform_is_push_target_of_its_own_environments():
    groups = topology.groups("shared")
    assert groups["push_targets"] == ["platform", "staging"]
    assert groups["pull_clusters"] == ["production"]


@pytest.mark.parametrize("option", topology.OPTIONS)
def test_pull_clusters_are_never_push_targets(option):
    groups = topology.groups(option)
    assert not set(groups["pull_clusters"]) & set(groups["push_targets"])


def test_unknown_option_names_the_field_and_the_choices():
    with pytest.raises(topology.TopologyError) as err:
        topology.clusters("hybrid")
    message = str(err.value)
    assert "krci_allocation_option" in message and "'hybrid'" in message
    for option in ("shared", "separated", "isolated"):
        assert option in message


def test_clusters_returns_fresh_lists():
    first = topology.clusters("shared")
    first[0]["environments"].append("production")
    assert "production" not in topology.clusters("shared")[0]["environments"]
