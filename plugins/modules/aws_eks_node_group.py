#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: aws_eks_node_group
short_description: An EKS managed node group, read, compared and changed only where it differs
version_added: 0.3.0
description:
  - Makes the managed node group O(name) of the EKS cluster O(cluster_name) exist with the given sizes, labels and
    tags, or not exist (O(state=absent)).
  - Reads the node group, compares, and calls C(UpdateNodegroupConfig) only when the sizes or labels differ and
    C(TagResource)/C(UntagResource) only when tags differ; a re-run with the same settings makes no write.
    (M(community.aws.eks_nodegroup) updates on every run; this module exists so that a re-run is a no-op.)
  - O(desired_size) is applied when the group is created and whenever the current size is outside
    O(min_size)..O(max_size); within the range it is left to the cluster autoscaler.
  - O(instance_types), O(disk_size), O(subnets) and O(node_role_arn) cannot change on an existing node group; a
    difference fails naming the field (create a node group under another name, then remove the old one).
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.aws_connection
options:
  cluster_name:
    description: The EKS cluster.
    type: str
    required: true
  name:
    description: The node group.
    type: str
    required: true
  node_role_arn:
    description: The nodes' IAM role. Required to create.
    type: str
  subnets:
    description: The subnets of the nodes. Required to create.
    type: list
    elements: str
    default: []
  instance_types:
    description: EC2 instance types.
    type: list
    elements: str
    default: [m6i.large]
  disk_size:
    description: Root volume size of each node, GiB.
    type: int
    default: 50
  min_size:
    description: Fewest nodes.
    type: int
    default: 2
  desired_size:
    description: Nodes at creation (see the description).
    type: int
    default: 2
  max_size:
    description: Most nodes.
    type: int
    default: 4
  labels:
    description: Kubernetes labels of the nodes; those not listed are removed.
    type: dict
    default: {}
  tags:
    description: Tags of the node group; those not listed are removed.
    type: dict
    default: {}
  state:
    description: Whether the node group exists.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description: Wait until the node group is C(ACTIVE) after a create or an update (or gone after a delete).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 1200
attributes:
  check_mode:
    description: Reads and reports what would change; writes nothing.
    support: full
  diff_mode:
    description: The node group's sizes, labels and tags before and after.
    support: full
"""

EXAMPLES = r"""
- name: The platform cluster's nodes
  krci.platform.aws_eks_node_group:
    cluster_name: krci-platform
    name: default
    node_role_arn: arn:aws:iam::111111111111:role/krci-platform-eks-nodes
    subnets: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
    min_size: 2
    desired_size: 2
    max_size: 4
"""

RETURN = r"""
arn:
  description: The node group's ARN (none after O(state=absent)).
  returned: always
  type: str
status:
  description: The node group's status after the task (C(ACTIVE), ...); none when it does not exist.
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


def _view(group):
    scaling = group.get("scalingConfig") or {}
    return {"min_size": scaling.get("minSize"), "desired_size": scaling.get("desiredSize"),
            "max_size": scaling.get("maxSize"), "labels": dict(group.get("labels") or {}),
            "tags": dict(group.get("tags") or {}), "instance_types": sorted(group.get("instanceTypes") or []),
            "disk_size": group.get("diskSize"), "subnets": sorted(group.get("subnets") or []),
            "node_role_arn": group.get("nodeRole")}


def read(aws, cluster, name):
    found = aws.read_or_none("eks", "describe_nodegroup", clusterName=cluster, nodegroupName=name)
    return found["nodegroup"] if found else None


def immutable_differences(current, want):
    """The fields that differ and cannot be updated in place."""
    found = []
    for field in ("instance_types", "disk_size", "subnets", "node_role_arn"):
        if want.get(field) not in (None, []) and current[field] != want[field]:
            found.append("%s is %s, wanted %s" % (field, current[field], want[field]))
    return found


def config_update(current, want):
    """The UpdateNodegroupConfig arguments that make ``current`` match ``want`` (empty when nothing differs)."""
    update = {}
    desired = current["desired_size"]
    if desired is None or not want["min_size"] <= desired <= want["max_size"]:
        desired = min(max(desired if desired is not None else want["desired_size"], want["min_size"]), want["max_size"])
    scaling = {"minSize": want["min_size"], "maxSize": want["max_size"], "desiredSize": desired}
    if (current["min_size"], current["max_size"], current["desired_size"]) != (
            scaling["minSize"], scaling["maxSize"], scaling["desiredSize"]):
        update["scalingConfig"] = scaling
    add = dict((k, v) for k, v in want["labels"].items() if current["labels"].get(k) != v)
    remove = sorted(set(current["labels"]) - set(want["labels"]))
    if add or remove:
        update["labels"] = {}
        if add:
            update["labels"]["addOrUpdateLabels"] = add
        if remove:
            update["labels"]["removeLabels"] = remove
    return update


def wait_for(aws, cluster, name, gone, timeout, sleep=time.sleep, clock=time.monotonic):
    deadline = clock() + timeout
    while True:
        group = read(aws, cluster, name)
        status = group.get("status") if group else None
        if (gone and group is None) or (not gone and status == "ACTIVE"):
            return status
        if status in ("CREATE_FAILED", "DEGRADED") and not gone:
            issues = "; ".join("%s: %s" % (i.get("code"), i.get("message"))
                               for i in (group.get("health") or {}).get("issues") or [])
            raise AwsError("node group %s/%s is %s: %s" % (cluster, name, status, issues or "no health issue given"))
        if clock() > deadline:
            raise AwsError("node group %s/%s is still %s after %ds; see its health in the EKS console, then run "
                           "again" % (cluster, name, status or "present", timeout))
        sleep(10)


def converge(aws, params, check_mode):
    """(changed, group or None, before view, after view)."""
    cluster, name = params["cluster_name"], params["name"]
    group = read(aws, cluster, name)
    want = {"min_size": params["min_size"], "desired_size": params["desired_size"], "max_size": params["max_size"],
            "labels": dict((str(k), str(v)) for k, v in params["labels"].items()),
            "tags": dict((str(k), str(v)) for k, v in params["tags"].items()),
            "instance_types": sorted(params["instance_types"]), "disk_size": params["disk_size"],
            "subnets": sorted(params["subnets"]), "node_role_arn": params["node_role_arn"]}
    if params["state"] == "absent":
        if group and not check_mode:
            aws.call("eks", "delete_nodegroup", clusterName=cluster, nodegroupName=name)
            if params["wait"]:
                wait_for(aws, cluster, name, True, params["wait_timeout"])
        return bool(group), None, _view(group) if group else None, None
    if group is None:
        if not params["node_role_arn"] or not params["subnets"]:
            raise AwsError("node group %s/%s does not exist: node_role_arn and subnets are needed to create it"
                           % (cluster, name))
        if not check_mode:
            group = aws.call("eks", "create_nodegroup", clusterName=cluster, nodegroupName=name,
                             scalingConfig={"minSize": want["min_size"], "maxSize": want["max_size"],
                                            "desiredSize": want["desired_size"]},
                             subnets=params["subnets"], instanceTypes=params["instance_types"],
                             diskSize=want["disk_size"], nodeRole=want["node_role_arn"], labels=want["labels"],
                             tags=want["tags"])["nodegroup"]
            if params["wait"]:
                wait_for(aws, cluster, name, False, params["wait_timeout"])
        return True, group, None, want
    current = _view(group)
    frozen = immutable_differences(current, want)
    if frozen:
        raise AwsError("node group %s/%s: %s; these cannot change on an existing node group: create one under another "
                       "name, then remove this one" % (cluster, name, "; ".join(frozen)))
    update = config_update(current, want)
    changed = bool(update)
    if update and not check_mode:
        aws.call("eks", "update_nodegroup_config", clusterName=cluster, nodegroupName=name, **update)
        if params["wait"]:
            wait_for(aws, cluster, name, False, params["wait_timeout"])
    stale = sorted(set(current["tags"]) - set(want["tags"]))
    fresh = dict((k, v) for k, v in want["tags"].items() if current["tags"].get(k) != v)
    if stale or fresh:
        changed = True
        if not check_mode:
            if stale:
                aws.call("eks", "untag_resource", resourceArn=group["nodegroupArn"], tagKeys=stale)
            if fresh:
                aws.call("eks", "tag_resource", resourceArn=group["nodegroupArn"], tags=fresh)
    after = dict(current, labels=want["labels"], tags=want["tags"], min_size=want["min_size"], max_size=want["max_size"],
                 desired_size=update.get("scalingConfig", {}).get("desiredSize", current["desired_size"]))
    return changed, group, current, after


def main(module_class=AnsibleModule):
    spec = dict(AWS_CONNECTION_SPEC)
    spec.update(
        cluster_name=dict(type="str", required=True),
        name=dict(type="str", required=True),
        node_role_arn=dict(type="str"),
        subnets=dict(type="list", elements="str", default=[]),
        instance_types=dict(type="list", elements="str", default=["m6i.large"]),
        disk_size=dict(type="int", default=50),
        min_size=dict(type="int", default=2),
        desired_size=dict(type="int", default=2),
        max_size=dict(type="int", default=4),
        labels=dict(type="dict", default={}),
        tags=dict(type="dict", default={}),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1200),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True)
    params = module.params
    if not 0 <= params["min_size"] <= params["desired_size"] <= params["max_size"] or params["max_size"] < 1:
        module.fail_json(msg="node group %s/%s: min_size <= desired_size <= max_size, and max_size at least 1"
                         % (params["cluster_name"], params["name"]))

    def task(aws):
        changed, group, before, after = converge(aws, params, module.check_mode)
        present = params["state"] == "present"
        return changed, {"arn": (group or {}).get("nodegroupArn") if present else None,
                         "status": (group or {}).get("status") if present else None}, before, after

    run_task(module, "EKS node group %s/%s" % (params["cluster_name"], params["name"]), task)


if __name__ == "__main__":
    main()
