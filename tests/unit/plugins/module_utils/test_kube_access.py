from ansible_collections.krci.platform.plugins.module_utils import _kube_access


class Resource:
    def __init__(self, kind):
        self.kind = kind


class Cluster:
    """Bindings and an authorizer that allows what ``allowed`` says (user, groups) -> bool."""

    def __init__(self, cluster_bindings, role_bindings, allowed, username="kubernetes-admin"):
        self.bindings = {"ClusterRoleBinding": cluster_bindings, "RoleBinding": role_bindings}
        self.allowed = allowed
        self.username = username
        self.reviews = []

    def resource(self, api_version, kind):
        return Resource(kind)

    def list(self, resource, namespace, label_selector):
        return self.bindings[resource.kind]

    def review(self, api_version, kind, spec):
        if kind == "SelfSubjectReview":
            return {"userInfo": {"username": self.username}}
        self.reviews.append(spec)
        return {"allowed": self.allowed(spec["user"], spec["groups"], spec["resourceAttributes"])}


def binding(namespace, *subjects):
    return {"metadata": {"name": "b", "namespace": namespace}, "subjects": list(subjects)}


def test_who_can_asks_every_bound_subject_and_the_built_in_groups():
    cluster = Cluster(
        [binding(None, {"kind": "Group", "name": "oidc:krci-administrators"},
                 {"kind": "ServiceAccount", "name": "gc", "namespace": "kube-system"})],
        # A RoleBinding's ServiceAccount without namespace is the binding's namespace's.
        [binding("vault-keys", {"kind": "ServiceAccount", "name": "reader"}, {"kind": "User", "name": "alice"})],
        lambda user, groups, attrs: ("oidc:krci-administrators" in groups
                                     or user in ("system:serviceaccount:vault-keys:reader", "alice")))
    readers = _kube_access.who_can(cluster, "get", "secrets", "vault-keys", "vault-init")
    assert readers == ["Group oidc:krci-administrators", "ServiceAccount vault-keys/reader", "User alice"]
    users = sorted(spec["user"] for spec in cluster.reviews)
    assert "system:serviceaccount:kube-system:gc" in users
    groups = [spec["groups"] for spec in cluster.reviews if spec["user"] == _kube_access.PROBE_USER]
    expected = ["oidc:krci-administrators", "system:authenticated", "system:serviceaccounts", "system:unauthenticated"]
    assert sorted(g[0] for g in groups) == expected
    assert all(spec["resourceAttributes"] == {"verb": "get", "resource": "secrets", "group": "",
                                              "namespace": "vault-keys", "name": "vault-init"}
               for spec in cluster.reviews)


def test_a_group_every_identity_has_shows_as_that_group():
    cluster = Cluster([], [], lambda user, groups, attrs: "system:authenticated" in groups)
    assert _kube_access.who_can(cluster, "list", "secrets", "vault-keys") == ["Group system:authenticated"]


def test_whoami_names_a_service_account_as_one():
    assert _kube_access.whoami(Cluster([], [], None)) == "User kubernetes-admin"
    cluster = Cluster([], [], None, username="system:serviceaccount:krci-system:krci-automation")
    assert _kube_access.whoami(cluster) == "ServiceAccount krci-system/krci-automation"
