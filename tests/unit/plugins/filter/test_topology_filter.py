import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.krci.platform.plugins.filter.topology import FilterModule


def test_filter_is_registered_and_returns_cluster_names():
    topology = FilterModule().filters()["topology"]
    assert [c["name"] for c in topology("isolated")] == ["platform", "dev", "test", "uat", "staging", "production"]


def test_filter_turns_a_bad_option_into_an_ansible_error():
    topology = FilterModule().filters()["topology"]
    with pytest.raises(AnsibleFilterError, match="unknown option 'nope'"):
        topology("nope")
