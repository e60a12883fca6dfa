"""Every role's changes on one cluster, for the run report."""

from ansible_collections.krci.platform.plugins.filter.change_summary import host_changes


def test_every_role_that_ran_on_the_host_is_counted_and_other_variables_are_not():
    host_vars = {"cluster_baseline_changes": {"created": 2, "updated": 0, "unchanged": 10},
                 "argocd_changes": {"created": 0, "updated": 1, "unchanged": 40},
                 "krci_changes_elsewhere": {"created": 99, "updated": 99, "unchanged": 99}}
    assert host_changes(host_vars) == {"created": 2, "updated": 1, "deleted": 0, "unchanged": 50}
    assert host_changes({}) == {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
