# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who can do what to one object of a cluster, asked of the cluster's own authorizer.

For internal collection use only. The candidates are every subject a ClusterRoleBinding or a
RoleBinding of the object's namespace names, plus the built-in groups every identity has; each is
asked with a SubjectAccessReview, so aggregated roles, wildcards and every authorizer the API server
runs (RBAC, Node, webhooks) are answered the way the cluster answers them. What this cannot see:
members of ``system:masters`` (a certificate's organisation, never in a binding) and identities a
webhook authorizer grants without a binding; both are named in the result's ``unseen``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor

RBAC = "rbac.authorization.k8s.io/v1"
# A user no binding names: a group's review then answers for the group alone.
PROBE_USER = "krci-platform:access-review"
BUILT_IN_GROUPS = ("system:authenticated", "system:unauthenticated", "system:serviceaccounts")
UNSEEN = "members of system:masters (client certificates with that organisation) and identities a webhook " \
         "authorizer allows without a binding"


def label(subject):
    """'Group oidc:krci-administrators', 'User alice', 'ServiceAccount vault/openbao'."""
    kind, name, namespace = subject
    return "%s %s" % (kind, "%s/%s" % (namespace, name) if kind == "ServiceAccount" else name)


def candidates(client, namespace):
    """Every subject a ClusterRoleBinding or a RoleBinding in ``namespace`` names, and the built-in groups."""
    found = set(("Group", group, None) for group in BUILT_IN_GROUPS)
    bindings = client.list(client.resource(RBAC, "ClusterRoleBinding"), None, None)
    if namespace:
        bindings += client.list(client.resource(RBAC, "RoleBinding"), namespace, None)
    for binding in bindings:
        for subject in binding.get("subjects") or []:
            kind, name = subject.get("kind"), subject.get("name")
            if kind == "ServiceAccount":
                found.add((kind, name, subject.get("namespace") or binding["metadata"].get("namespace")))
            elif kind in ("User", "Group") and name:
                found.add((kind, name, None))
    return sorted(found, key=lambda s: (s[0], s[2] or "", s[1]))


def _review_spec(subject, attributes):
    kind, name, namespace = subject
    if kind == "Group":
        return {"user": PROBE_USER, "groups": [name], "resourceAttributes": attributes}
    if kind == "User":
        return {"user": name, "groups": ["system:authenticated"], "resourceAttributes": attributes}
    return {"user": "system:serviceaccount:%s:%s" % (namespace, name),
            "groups": ["system:serviceaccounts", "system:serviceaccounts:%s" % namespace, "system:authenticated"],
            "resourceAttributes": attributes}


def who_can(client, verb, resource, namespace=None, name=None, group="", parallel=8, subjects=None):
    """The labels of the subjects allowed ``verb`` on the object (sorted), asked one SubjectAccessReview each.

    ``subjects``: the candidates already listed for this namespace (``candidates``), not listed again."""
    attributes = {"verb": verb, "resource": resource, "group": group}
    if namespace:
        attributes["namespace"] = namespace
    if name:
        attributes["name"] = name
    subjects = candidates(client, namespace) if subjects is None else subjects

    def allowed(subject):
        status = client.review("authorization.k8s.io/v1", "SubjectAccessReview", _review_spec(subject, attributes))
        return bool(status.get("allowed"))

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        answers = list(pool.map(allowed, subjects))
    return [label(subject) for subject, yes in zip(subjects, answers) if yes]


def whoami(client):
    """The identity the client's credentials are, as a reader label ('User kubernetes-admin'), from a SelfSubjectReview."""
    status = client.review("authentication.k8s.io/v1", "SelfSubjectReview", None)
    user = (status.get("userInfo") or {}).get("username") or ""
    prefix = "system:serviceaccount:"
    if user.startswith(prefix) and user.count(":") == 3:
        namespace, name = user[len(prefix):].split(":")
        return label(("ServiceAccount", name, namespace))
    return label(("User", user, None))
