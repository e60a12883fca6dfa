#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: aws_eks_identity_provider
short_description: An EKS cluster's OIDC identity provider (Keycloak SSO for kubectl)
version_added: 0.8.0
description:
  - Associates the OIDC identity provider O(name) with the EKS cluster O(cluster_name) - the Keycloak realm's issuer,
    the C(kubernetes) client, the user name and groups claims and their prefixes - so users log in to the cluster with
    their Keycloak token and the collection's RBAC bindings of Keycloak groups apply; or removes it (O(state=absent)).
  - EKS cannot change an associated configuration. When one differs, the module disassociates it and associates the
    wanted one (OIDC logins fail until the new one is C(ACTIVE); IAM access is unaffected), or fails naming the
    difference when O(replace=false).
  - The issuer must be reachable from EKS on the internet with a publicly trusted certificate (EKS does not take a
    private CA); its URL must equal the tokens' C(iss) exactly.
  - Untested against a live account - moto has no identity provider configs; the calls are unit-tested against
    botocore's EKS API model (Stubber).
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
    description: The configuration's name.
    type: str
    default: keycloak
  issuer_url:
    description: The OIDC issuer (C(https://<keycloak>/realms/<realm>)). Required with O(state=present).
    type: str
  client_id:
    description: The audience of the tokens (the realm's Kubernetes client).
    type: str
    default: kubernetes
  username_claim:
    description: The claim that names the user.
    type: str
    default: preferred_username
  username_prefix:
    description: Prefix of user names, so they cannot collide with IAM-mapped or system users.
    type: str
    default: "oidc:"
  groups_claim:
    description: The claim that lists the user's groups.
    type: str
    default: groups
  groups_prefix:
    description: Prefix of group names (the RBAC bindings name the prefixed groups).
    type: str
    default: "oidc:"
  required_claims:
    description: Claims a token must carry, with their values.
    type: dict
    default: {}
  tags:
    description: Tags of the configuration (set when it is associated).
    type: dict
    default: {}
  replace:
    description: Replace a configuration that differs (see the description); when false, fail instead.
    type: bool
    default: true
  state:
    description: Whether the configuration is associated.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description: Wait until the configuration is C(ACTIVE) (or gone); EKS takes several minutes.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 1800
attributes:
  check_mode:
    description: Reads and reports what would change; writes nothing.
    support: full
  diff_mode:
    description: The configuration before and after.
    support: full
"""

EXAMPLES = r"""
- name: Keycloak logins to the cluster
  krci.platform.aws_eks_identity_provider:
    cluster_name: krci-workloads
    issuer_url: https://sso.example.com/realms/krci
    client_id: kubernetes
"""

RETURN = r"""
status:
  description: The configuration's status after the task (C(CREATING), C(ACTIVE), ...); none when it is not there.
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

FIELDS = (("issuer_url", "issuerUrl"), ("client_id", "clientId"), ("username_claim", "usernameClaim"),
          ("username_prefix", "usernamePrefix"), ("groups_claim", "groupsClaim"), ("groups_prefix", "groupsPrefix"),
          ("required_claims", "requiredClaims"))


def read(aws, cluster, name):
    found = aws.read_or_none("eks", "describe_identity_provider_config", clusterName=cluster,
                             identityProviderConfig={"type": "oidc", "name": name})
    config = ((found or {}).get("identityProviderConfig") or {}).get("oidc")
    return None if not config or config.get("status") == "DELETING" else config


def view(config):
    return dict((option, config.get(key) or ({} if option == "required_claims" else None)) for option, key in FIELDS)


def wait_for(aws, cluster, name, gone, timeout, sleep=time.sleep, clock=time.monotonic):
    deadline = clock() + timeout
    while True:
        config = read(aws, cluster, name)
        status = config.get("status") if config else None
        if (gone and config is None) or (not gone and status == "ACTIVE"):
            return status
        if clock() > deadline:
            raise AwsError("identity provider config %s of %s is still %s after %ds; run again later"
                           % (name, cluster, status or "present", timeout))
        sleep(15)


def converge(aws, params, check_mode):
    """(changed, config or None, before, after)."""
    cluster, name = params["cluster_name"], params["name"]
    config = read(aws, cluster, name)
    before = view(config) if config else {}
    if params["state"] == "absent":
        if config and not check_mode:
            aws.call("eks", "disassociate_identity_provider_config", clusterName=cluster,
                     identityProviderConfig={"type": "oidc", "name": name})
            if params["wait"]:
                wait_for(aws, cluster, name, True, params["wait_timeout"])
        return bool(config), None, before, {}
    want = dict((option, params[option]) for option, _key in FIELDS)
    want["required_claims"] = dict((str(k), str(v)) for k, v in (params["required_claims"] or {}).items())
    if config is not None and before == want:
        return False, config, before, want
    if config is not None:
        differences = ["%s is %r, wanted %r" % (k, before[k], want[k]) for k in sorted(want) if before[k] != want[k]]
        if not params["replace"]:
            raise AwsError("identity provider config %s of %s differs (%s), and EKS cannot change one; set replace: "
                           "true to disassociate and associate it again" % (name, cluster, "; ".join(differences)))
        if not check_mode:
            aws.call("eks", "disassociate_identity_provider_config", clusterName=cluster,
                     identityProviderConfig={"type": "oidc", "name": name})
            wait_for(aws, cluster, name, True, params["wait_timeout"])
    if check_mode:
        return True, config, before, want
    oidc = {"identityProviderConfigName": name}
    for option, key in FIELDS:
        if want[option]:
            oidc[key] = want[option]
    args = dict(clusterName=cluster, oidc=oidc)
    if params["tags"]:
        args["tags"] = dict((str(k), str(v)) for k, v in params["tags"].items())
    aws.call("eks", "associate_identity_provider_config", **args)
    status = wait_for(aws, cluster, name, False, params["wait_timeout"]) if params["wait"] else "CREATING"
    return True, dict(oidc, status=status), before, want


def main(module_class=AnsibleModule):
    spec = dict(AWS_CONNECTION_SPEC)
    spec.update(
        cluster_name=dict(type="str", required=True),
        name=dict(type="str", default="keycloak"),
        issuer_url=dict(type="str"),
        client_id=dict(type="str", default="kubernetes"),
        username_claim=dict(type="str", default="preferred_username"),
        username_prefix=dict(type="str", default="oidc:"),
        groups_claim=dict(type="str", default="groups"),
        groups_prefix=dict(type="str", default="oidc:"),
        required_claims=dict(type="dict", default={}),
        tags=dict(type="dict", default={}),
        replace=dict(type="bool", default=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        wait=dict(type="bool", default=False),
        wait_timeout=dict(type="int", default=1800),
    )
    module = module_class(argument_spec=spec, supports_check_mode=True, required_if=[("state", "present", ["issuer_url"])])
    params = module.params
    where = "EKS identity provider config %s of %s" % (params["name"], params["cluster_name"])
    if params["state"] == "present" and not params["issuer_url"].startswith("https://"):
        module.fail_json(msg="%s: issuer_url %r must be https:// (the realm's issuer, as its tokens' iss)"
                         % (where, params["issuer_url"]))

    def task(aws):
        changed, config, before, after = converge(aws, params, module.check_mode)
        return changed, {"status": (config or {}).get("status") if params["state"] == "present" else None}, \
            before, after

    run_task(module, where, task)


if __name__ == "__main__":
    main()
