#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: aws_eks_access_entry
short_description: An IAM principal's access to an EKS cluster (EKS access entry and access policies)
version_added: 0.8.0
description:
  - Gives the IAM role or user O(principal_arn) access to the EKS cluster O(cluster_name) through an EKS access
    entry, with the Kubernetes groups, the user name and the EKS access policies given (for the automation role,
    C(AmazonEKSClusterAdminPolicy) on the whole cluster), or removes it (O(state=absent)).
  - The cluster's authentication mode must admit access entries; a cluster in C(CONFIG_MAP) mode (the EKS API's
    default at creation) is switched to O(authentication_mode) first. EKS allows only the way C(CONFIG_MAP) to
    C(API_AND_CONFIG_MAP) to C(API); a step back fails naming it.
  - Reads, compares and writes only what differs - C(UpdateAccessEntry) for groups or user name, C(AssociateAccessPolicy)
    and C(DisassociateAccessPolicy) per policy (policies not listed are removed when O(purge_policies)). A re-run
    with the same settings makes no write.
  - Untested against a live account - moto has no access entries; the calls are unit-tested against botocore's
    EKS API model (Stubber).
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.aws_connection
options:
  cluster_name:
    description: The EKS cluster.
    type: str
    required: true
  principal_arn:
    description: The IAM role or user ARN.
    type: str
    required: true
  kubernetes_groups:
    description: Kubernetes groups the principal is in (for RBAC bindings of the collection or yours).
    type: list
    elements: str
    default: []
  username:
    description: The Kubernetes user name; EKS derives one from the ARN when unset.
    type: str
  access_policies:
    description: EKS access policies and their scope.
    type: list
    elements: dict
    default: []
    suboptions:
      policy_arn:
        description: For example C(arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy).
        type: str
        required: true
      namespaces:
        description: The namespaces the policy applies in; the whole cluster when empty.
        type: list
        elements: str
        default: []
  purge_policies:
    description: Remove the associated policies O(access_policies) does not list.
    type: bool
    default: true
  authentication_mode:
    description: The cluster's authentication mode when it is C(CONFIG_MAP) (never moved back).
    type: str
    choices: [API, API_AND_CONFIG_MAP]
    default: API_AND_CONFIG_MAP
  state:
    description: Whether the access entry exists.
    type: str
    choices: [present, absent]
    default: present
  wait_timeout:
    description: Seconds to wait for an authentication mode change to finish.
    type: int
    default: 900
attributes:
  check_mode:
    description: Reads and reports what would change; writes nothing.
    support: full
  diff_mode:
    description: The entry's groups, user name and policies, and the cluster's mode, before and after.
    support: full
"""

EXAMPLES = r"""
- name: The automation role administers the cluster
  krci.platform.aws_eks_access_entry:
    cluster_name: krci-platform
    principal_arn: arn:aws:iam::111111111111:role/krci-automation
    access_policies:
      - policy_arn: arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy
"""

RETURN = r"""
access_entry_arn:
  description: The access entry's ARN (none after O(state=absent) or in check mode before it exists).
  returned: always
  type: str
authentication_mode:
  description: The cluster's authentication mode after the task.
  returned: always
  type: str
calls:
  description: The AWS calls the task made, in order.
  returned: always
  type: list
  elements: str
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.krci.platform.plugins.module_utils._aws_client import (
    AWS_CONNECTION_SPEC, AwsError, run_task)

MODES = ("CONFIG_MAP", "API_AND_CONFIG_MAP", "API")


def _scope(namespaces):
    return {"type": "namespace", "namespaces": sorted(namespaces)} if namespaces else {"type": "cluster"}


def _policies(associated):
    return dict((p["policyArn"], _scope((p.get("accessScope") or {}).get("namespaces") or []))
                for p in associated)


def read_entry(aws, cluster, principal):
    found = aws.read_or_none("eks", "describe_access_entry", clusterName=cluster, principalArn=principal)
    return found["accessEntry"] if found else None


def ensure_mode(aws, cluster, wanted, check_mode, timeout, sleep=time.sleep, clock=time.monotonic):
    """(changed, mode before, mode after): the cluster admits access entries."""
    described = aws.call("eks", "describe_cluster", name=cluster)["cluster"]
    mode = (described.get("accessConfig") or {}).get("authenticationMode") or "CONFIG_MAP"
    if mode != "CONFIG_MAP":
        if MODES.index(mode) > MODES.index(wanted):
            raise AwsError("cluster %s is in authentication mode %s; EKS cannot move it back to %s (set "
                           "authentication_mode: %s)" % (cluster, mode, wanted, mode))
        if mode == wanted:
            return False, mode, mode
    if check_mode:
        return True, mode, wanted
    update = aws.call("eks", "update_cluster_config", name=cluster,
                      accessConfig={"authenticationMode": wanted})["update"]
    deadline = clock() + timeout
    while True:
        status = aws.call("eks", "describe_update", name=cluster, updateId=update["id"])["update"]
        if status["status"] == "Successful":
            return True, mode, wanted
        if status["status"] in ("Failed", "Cancelled"):
            errors = "; ".join("%s: %s" % (e.get("errorCode"), e.get("errorMessage")) for e in status.get("errors") or [])
            raise AwsError("cluster %s: switching the authentication mode to %s %s: %s"
                           % (cluster, wanted, status["status"].lower(), errors or "no reason given"))
        if clock() > deadline:
            raise AwsError("cluster %s: the authentication mode update %s is still %s after %ds; run again later"
                           % (cluster, update["id"], status["status"], timeout))
        sleep(10)


def converge(aws, params, check_mode):
    """(changed, entry or None, before, after)."""
    cluster, principal = params["cluster_name"], params["principal_arn"]
    entry = read_entry(aws, cluster, principal)
    if params["state"] == "absent":
        if entry and not check_mode:
            aws.call("eks", "delete_access_entry", clusterName=cluster, principalArn=principal)
        return bool(entry), None, {"exists": bool(entry)}, {"exists": False}
    mode_changed, mode_before, mode_after = ensure_mode(aws, cluster, params["authentication_mode"], check_mode,
                                                        params["wait_timeout"])
    want_policies = dict((p["policy_arn"], _scope(p["namespaces"])) for p in params["access_policies"])
    want = {"kubernetes_groups": sorted(params["kubernetes_groups"]), "policies": want_policies,
            "authentication_mode": mode_after}
    if params["username"]:
        want["username"] = params["username"]
    changed = mode_changed
    if entry is None:
        before = {"authentication_mode": mode_before}
        if not check_mode:
            args = dict(clusterName=cluster, principalArn=principal, kubernetesGroups=want["kubernetes_groups"],
                        type="STANDARD")
            if params["username"]:
                args["username"] = params["username"]
            entry = aws.call("eks", "create_access_entry", **args)["accessEntry"]
            for arn, scope in sorted(want_policies.items()):
                aws.call("eks", "associate_access_policy", clusterName=cluster, principalArn=principal,
                         policyArn=arn, accessScope=scope)
        return True, entry, before, want
    current_policies = _policies(aws.call("eks", "list_associated_access_policies", clusterName=cluster,
                                          principalArn=principal).get("associatedAccessPolicies") or [])
    before = {"kubernetes_groups": sorted(entry.get("kubernetesGroups") or []), "username": entry.get("username"),
              "policies": current_policies, "authentication_mode": mode_before}
    update = {}
    if before["kubernetes_groups"] != want["kubernetes_groups"]:
        update["kubernetesGroups"] = want["kubernetes_groups"]
    if params["username"] and entry.get("username") != params["username"]:
        update["username"] = params["username"]
    associate = sorted(arn for arn, scope in want_policies.items() if current_policies.get(arn) != scope)
    remove = sorted(set(current_policies) - set(want_policies)) if params["purge_policies"] else []
    changed = changed or bool(update or associate or remove)
    if not check_mode:
        if update:
            entry = aws.call("eks", "update_access_entry", clusterName=cluster, principalArn=principal,
                             **update)["accessEntry"]
        for arn in associate:
            aws.call("eks", "associate_access_policy", clusterName=cluster, principalArn=principal, policyArn=arn,
                     accessScope=want_policies[arn])
        for arn in remove:
            aws.call("eks", "disassociate_access_policy", clusterName=cluster, principalArn=principal, policyArn=arn)
    after = dict(before, kubernetes_groups=want["kubernetes_groups"], authentication_mode=mode_after,
                 username=update.get("username", before["username"]),
                 policies=dict((arn, scope) for arn, scope in list(current_policies.items()) + list(want_policies.items())
                               if arn in want_policies or arn not in remove))
    return changed, entry, before, after


def main(module_class=AnsibleModule):
    spec = dict(AWS_CONNECTION_SPEC)
    spec.update(
        cluster_name=dict(type="str", required=True),
        principal_arn=dict(type="str", required=True),
        kubernetes_groups=dict(type="list", elements="str", default=[]),
        username=dict(type="str"),
        access_policies=dict(type="list", elements="dict", default=[], options=dict(
            policy_arn=dict(type="str", required=True),
            namespaces=dict(type="list", elements="str", default=[]),
        )),
        purge_policies=dict(type="bool", default=True),
        authentication_mode=dict(type="str", choices=["API", "API_AND_CONFIG_MAP"], default="API_AND_CONFIG_MAP"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        wait_timeout=dict(type="int", default=900),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True)
    params = module.params
    where = "EKS access entry of %s in %s" % (params["principal_arn"], params["cluster_name"])
    if not params["principal_arn"].startswith("arn:") or ":iam::" not in params["principal_arn"]:
        module.fail_json(msg="%s: principal_arn must be an IAM role or user ARN (arn:aws:iam::<account>:role/<name>)"
                         % where)
    for policy in params["access_policies"]:
        if ":cluster-access-policy/" not in policy["policy_arn"]:
            module.fail_json(msg="%s: access_policies: %s is not an EKS access policy ARN "
                                 "(arn:aws:eks::aws:cluster-access-policy/<name>)" % (where, policy["policy_arn"]))

    def task(aws):
        changed, entry, before, after = converge(aws, params, module.check_mode)
        return changed, {"access_entry_arn": (entry or {}).get("accessEntryArn"),
                         "authentication_mode": (after or {}).get("authentication_mode")}, before, after

    run_task(module, where, task)


if __name__ == "__main__":
    main()
