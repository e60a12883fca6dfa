#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: k8s_cluster_version
short_description: Ask a cluster's API server for its version and flavour, the cheapest proof that it answers
version_added: 0.2.0
description:
  - One C(GET /version) with the kubeconfig's credentials; no API discovery (unlike
    M(kubernetes.core.k8s_cluster_info), which reads every API group first).
  - The playbooks' first play uses it on every cluster before any change; a cluster that does not
    answer fails with its API URL.
  - Detects the cluster's flavour from the API groups it serves - OpenShift when it serves both
    C(route.openshift.io/v1) and the C(config.openshift.io/v1) ClusterVersion, plain Kubernetes when it
    serves neither - with two or four more GETs (the ClusterVersion and the cluster C(Ingress) are read
    when this identity may, for the OpenShift version and the ingress domain).
  - I(flavour) (the inventory's C(clusters.<name>.flavour)) decides only where detection cannot (one of
    the two without the other); one that contradicts a clear detection fails, naming the field.
  - Reads only; changes nothing.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
options:
  cluster:
    description: The cluster's name in the inventory, for messages.
    type: str
    default: cluster
  flavour:
    description:
      - The flavour the inventory declares; omit to detect it.
    type: str
    choices: [kubernetes, openshift]
attributes:
  check_mode:
    description: Reads only; runs in check mode too.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Ask the API server for its version
  krci.platform.k8s_cluster_version:
    kubeconfig: /etc/krci/platform.kubeconfig
  register: platform_version

- name: Show it
  ansible.builtin.debug:
    msg: "{{ platform_version.git_version }} at {{ platform_version.api_url }}"
"""

RETURN = r"""
ansible_facts:
  description: C(krci_flavour), the same as I(flavour), as a fact of the host (the roles read it).
  returned: always
  type: dict
  contains:
    krci_flavour:
      description: The cluster's flavour (see I(flavour)).
      type: dict
git_version:
  description: The server's C(gitVersion).
  returned: always
  type: str
  sample: v1.34.4
version:
  description: The whole C(/version) document (C(major), C(minor), C(gitVersion), C(platform), ...).
  returned: always
  type: dict
api_url:
  description: The API server that was asked.
  returned: always
  type: str
flavour:
  description:
    - The cluster's flavour and what it means for the roles (C(krci_flavour) in the playbooks).
  returned: always
  type: dict
  contains:
    name:
      description: C(kubernetes) or C(openshift).
      type: str
    source:
      description: Why (the detection's evidence, or the inventory field).
      type: str
    openshift_version:
      description: The ClusterVersion's desired version, when OpenShift and readable.
      type: str
    ingress_domain:
      description: The cluster C(Ingress)'s C(spec.domain) (the router's apps domain), when OpenShift and readable.
      type: str
    namespace_labels:
      description: The labels every namespace the collection manages gets on this flavour.
      type: dict
    endpoint_kind:
      description: C(Route) or C(Ingress).
      type: str
    pinned_ids_allowed:
      description: Whether a Pod template may pin C(runAsUser)/C(fsGroup) (false under OpenShift's restricted-v2).
      type: bool
    operator_source:
      description: C(olm) or C(helm), the default way operators are installed.
      type: str
    group_prefix:
      description: The prefix of OIDC groups in RBAC subjects (C(oidc:), or none behind OpenShift's OAuth server).
      type: str
    ingress_namespace:
      description: Where the ingress router runs.
      type: str
    dns_namespace:
      description: Where cluster DNS runs.
      type: str
    dns_pod_labels:
      description: The labels of the cluster DNS pods.
      type: dict
  sample:
    name: openshift
    source: "detected: serves route.openshift.io/v1 and config.openshift.io/v1 ClusterVersion"
    openshift_version: 4.20.0
    ingress_domain: apps.ocp.example.com
    namespace_labels: {"security.openshift.io/scc.podSecurityLabelSync": "false"}
    endpoint_kind: Route
    pinned_ids_allowed: false
    operator_source: olm
    group_prefix: ""
    ingress_namespace: openshift-ingress
    dns_namespace: openshift-dns
    dns_pod_labels: {"dns.operator.openshift.io/daemonset-dns": "default"}
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _flavour, _kube
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params


def main(module_class=AnsibleModule):
    argument_spec = dict(KUBE_CONNECTION_SPEC, cluster=dict(type="str", default="cluster"),
                         flavour=dict(type="str", choices=list(_flavour.FLAVOURS)))
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not _kube.HAS_DEPS:
        module.fail_json(msg=missing_required_lib("urllib3 and PyYAML"), exception=str(_kube.IMPORT_ERROR))
    try:
        client = client_from_params(module)
        version = client.server_version()
        seen = client.flavour_evidence()
    except _kube.KubeError as exc:
        module.fail_json(msg=str(exc))
    try:
        flavour = _flavour.resolve(module.params["cluster"], module.params["flavour"], seen)
    except ValueError as exc:
        module.fail_json(msg=str(exc), evidence=seen)
    # The flavour is also this host's fact krci_flavour, which every role reads.
    module.exit_json(changed=False, git_version=(version or {}).get("gitVersion", ""), version=version or {},
                     api_url=client.api_url, flavour=flavour, ansible_facts={"krci_flavour": flavour})


if __name__ == "__main__":
    main()
