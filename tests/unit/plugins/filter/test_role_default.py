"""A role's documented default, read where the role does not run (the upgrade plan, the backup manifest, restore)."""

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.krci.platform.plugins.filter.backup import COLLECTION_ROOT, role_default


@pytest.mark.parametrize("role, variable", [("argocd", "argocd_version"), ("keycloak", "keycloak_version"),
                                            ("vault", "vault_version"), ("vault", "vault_replicas")])
def test_the_default_is_the_one_the_role_documents(role, variable):
    with open("%s/roles/%s/defaults/main.yml" % (COLLECTION_ROOT, role)) as handle:
        assert role_default(role, variable) == yaml.safe_load(handle)[variable]
    assert role_default(role, variable) not in (None, "")


def test_an_unknown_role_or_variable_is_named():
    with pytest.raises(AnsibleFilterError, match="krci.platform has no role 'nope'"):
        role_default("nope", "x")
    with pytest.raises(AnsibleFilterError, match="role argocd has no default argocd_nope"):
        role_default("argocd", "argocd_nope")
