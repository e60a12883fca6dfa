#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: aws_iam_oidc_provider
short_description: The IAM OpenID Connect identity provider of a cluster's ServiceAccount issuer (IRSA)
version_added: 0.3.0
description:
  - Makes the IAM OIDC identity provider for O(url) exist with exactly O(client_ids), O(thumbprints) and O(tags),
    or not exist (O(state=absent)). An EKS cluster's issuer becomes trusted this way, so that IAM roles can name
    its ServiceAccounts (IRSA).
  - Neither M(amazon.aws.iam_role) nor any module of amazon.aws or community.aws manages this object; this one
    reads, compares and changes only what differs (client IDs added or removed one by one, thumbprints replaced,
    tags set or removed).
  - IAM no longer needs thumbprints for providers whose issuer it trusts through its own CA library (EKS's);
    leave O(thumbprints) empty there.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.aws_connection
options:
  url:
    description: The issuer URL (C(https://...)), as the cluster reports it (C(identity.oidc.issuer) of EKS).
    type: str
    required: true
  client_ids:
    description: The audiences IAM accepts in tokens of this issuer; STS's for IRSA.
    type: list
    elements: str
    default: [sts.amazonaws.com]
  thumbprints:
    description: SHA-1 fingerprints (40 hex digits) of the issuer's certificate chain; none for EKS issuers.
    type: list
    elements: str
    default: []
  tags:
    description: Tags of the provider; those not listed here are removed.
    type: dict
    default: {}
  state:
    description: Whether the provider exists.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Reads and reports what would change; writes nothing.
    support: full
  diff_mode:
    description: The provider before and after.
    support: full
"""

EXAMPLES = r"""
- name: Trust the EKS cluster's ServiceAccount issuer in its account
  krci.platform.aws_iam_oidc_provider:
    url: "{{ eks_cluster.identity.oidc.issuer }}"
    tags:
      krci.platform/cluster: platform
  register: oidc_provider
"""

RETURN = r"""
arn:
  description: The provider's ARN (none after O(state=absent)).
  returned: always
  type: str
  sample: arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLE
url:
  description: The issuer URL as IAM stores it (without C(https://)).
  returned: always
  type: str
client_ids:
  description: The provider's client IDs after the task.
  returned: always
  type: list
  elements: str
calls:
  description: The AWS calls the task made, in order (C(iam ListOpenIDConnectProviders), ...).
  returned: always
  type: list
  elements: str
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.krci.platform.plugins.module_utils._aws_client import (
    AWS_CONNECTION_SPEC, AwsError, run_task)

THUMBPRINT = re.compile(r"^[0-9a-fA-F]{40}$")


def _strip(url):
    return re.sub(r"^https://", "", url).rstrip("/")


def find(aws, url):
    """(arn, {client_ids, thumbprints, tags}) of the provider for url, or (None, None)."""
    for entry in aws.call("iam", "list_open_id_connect_providers").get("OpenIDConnectProviderList") or []:
        arn = entry["Arn"]
        if arn.split(":oidc-provider/", 1)[-1] != _strip(url):
            continue
        found = aws.call("iam", "get_open_id_connect_provider", OpenIDConnectProviderArn=arn)
        return arn, {"client_ids": sorted(found.get("ClientIDList") or []),
                     "thumbprints": sorted(t.lower() for t in found.get("ThumbprintList") or []),
                     "tags": dict((t["Key"], t["Value"]) for t in found.get("Tags") or [])}
    return None, None


def converge(aws, url, want, state, check_mode, retry=True):
    """(changed, arn, before, after): the provider made to match ``want`` (client_ids, thumbprints, tags)."""
    arn, before = find(aws, url)
    if state == "absent":
        if arn and not check_mode:
            aws.call("iam", "delete_open_id_connect_provider", OpenIDConnectProviderArn=arn)
        return bool(arn), None, before, None
    if arn is None:
        if not check_mode:
            kwargs = {"Url": "https://" + _strip(url), "ClientIDList": want["client_ids"]}
            if want["thumbprints"]:
                kwargs["ThumbprintList"] = want["thumbprints"]
            if want["tags"]:
                kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(want["tags"].items())]
            try:
                arn = aws.call("iam", "create_open_id_connect_provider", **kwargs)["OpenIDConnectProviderArn"]
            except AwsError as exc:
                if exc.code != "EntityAlreadyExists" or not retry:
                    raise
                # Another run (or cluster with the same issuer) created it between the read and the write.
                return converge(aws, url, want, state, check_mode, retry=False)
        return True, arn, None, want
    changed = False
    for client_id in sorted(set(want["client_ids"]) - set(before["client_ids"])):
        changed = True
        if not check_mode:
            aws.call("iam", "add_client_id_to_open_id_connect_provider", OpenIDConnectProviderArn=arn,
                     ClientID=client_id)
    for client_id in sorted(set(before["client_ids"]) - set(want["client_ids"])):
        changed = True
        if not check_mode:
            aws.call("iam", "remove_client_id_from_open_id_connect_provider", OpenIDConnectProviderArn=arn,
                     ClientID=client_id)
    if want["thumbprints"] and want["thumbprints"] != before["thumbprints"]:
        changed = True
        if not check_mode:
            aws.call("iam", "update_open_id_connect_provider_thumbprint", OpenIDConnectProviderArn=arn,
                     ThumbprintList=want["thumbprints"])
    stale = sorted(set(before["tags"]) - set(want["tags"]))
    fresh = dict((k, v) for k, v in want["tags"].items() if before["tags"].get(k) != v)
    if stale:
        changed = True
        if not check_mode:
            aws.call("iam", "untag_open_id_connect_provider", OpenIDConnectProviderArn=arn, TagKeys=stale)
    if fresh:
        changed = True
        if not check_mode:
            aws.call("iam", "tag_open_id_connect_provider", OpenIDConnectProviderArn=arn,
                     Tags=[{"Key": k, "Value": v} for k, v in sorted(fresh.items())])
    after = dict(want, thumbprints=want["thumbprints"] or before["thumbprints"])
    return changed, arn, before, after


def main(module_class=AnsibleModule):
    spec = dict(AWS_CONNECTION_SPEC)
    spec.update(
        url=dict(type="str", required=True),
        client_ids=dict(type="list", elements="str", default=["sts.amazonaws.com"]),
        thumbprints=dict(type="list", elements="str", default=[]),
        tags=dict(type="dict", default={}),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True)
    params = module.params
    url = params["url"]
    if not re.match(r"^https://[^/\s]+(/\S*)?$", url or ""):
        module.fail_json(msg="url: %r is not an https issuer URL (EKS: the cluster's identity.oidc.issuer)" % url)
    bad = [t for t in params["thumbprints"] if not THUMBPRINT.match(t)]
    if bad:
        module.fail_json(msg="thumbprints: %s are not SHA-1 fingerprints (40 hex digits)" % ", ".join(bad))
    if params["state"] == "present" and not params["client_ids"]:
        module.fail_json(msg="client_ids: empty; IRSA needs sts.amazonaws.com")
    want = {"client_ids": sorted(set(params["client_ids"])),
            "thumbprints": sorted(t.lower() for t in params["thumbprints"]),
            "tags": dict((str(k), str(v)) for k, v in params["tags"].items())}

    def task(aws):
        changed, arn, before, after = converge(aws, url, want, params["state"], module.check_mode)
        return changed, {"arn": arn, "url": _strip(url), "client_ids": (after or {}).get("client_ids", [])}, before, after

    run_task(module, "IAM OIDC provider %s" % _strip(url), task)


if __name__ == "__main__":
    main()
