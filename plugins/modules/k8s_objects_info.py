#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: k8s_objects_info
short_description: Read several named Kubernetes objects in one call, optionally waiting for a field to be filled
version_added: 0.3.0
description:
  - Reads every object of O(objects) at once (a GET each, in parallel) and returns them in the same order;
    an object that does not exist, or whose kind is not served, is returned as C(null).
  - An object with O(objects[].wait_for) is read again until that field holds a non-empty value
    (the token controller fills a ServiceAccount token Secret moments after it is created), at most
    O(wait_timeout) seconds; then the module fails naming the object and the field.
  - Replaces one M(kubernetes.core.k8s_info) task per object; no API discovery but for the kinds asked.
  - Reads only; changes nothing. Returned Secrets carry their data, so register the result under C(no_log).
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
options:
  objects:
    description: The objects to read.
    type: list
    elements: dict
    required: true
    suboptions:
      api_version:
        description: The C(apiVersion) of the kind.
        type: str
        default: v1
      kind:
        description: The kind.
        type: str
        required: true
      name:
        description: The object's name.
        type: str
        required: true
      namespace:
        description: Its namespace (ignored for cluster-scoped kinds).
        type: str
      wait_for:
        description:
          - A dotted path (C(data.token)) that must hold a non-empty value; the object is read again until it does.
          - In check mode the module does not wait (the object may only be predicted).
        type: str
  wait_timeout:
    description: Seconds to wait for the O(objects[].wait_for) fields.
    type: int
    default: 60
attributes:
  check_mode:
    description: Reads only; runs in check mode too (without waiting).
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Read the cluster CA and the reviewer token (filled by the token controller)
  krci.platform.k8s_objects_info:
    kubeconfig: /etc/krci/workloads.kubeconfig
    objects:
      - {kind: ConfigMap, namespace: kube-system, name: kube-root-ca.crt}
      - {kind: Secret, namespace: vault-auth, name: vault-reviewer, wait_for: data.token}
  register: cluster_reads
  no_log: true

- name: Is cert-manager's ClusterIssuer kind installed?
  krci.platform.k8s_objects_info:
    objects:
      - {api_version: apiextensions.k8s.io/v1, kind: CustomResourceDefinition, name: clusterissuers.cert-manager.io}
  register: issuer_crd
"""

RETURN = r"""
objects:
  description: The objects in the order asked, each as the API server returned it, or C(null) when absent.
  returned: always
  type: list
  elements: dict
api_url:
  description: The API server that was asked.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _kube
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params


def main(module_class=AnsibleModule):
    argument_spec = dict(
        objects=dict(type="list", elements="dict", required=True, options=dict(
            api_version=dict(type="str", default="v1"),
            kind=dict(type="str", required=True),
            name=dict(type="str", required=True),
            namespace=dict(type="str"),
            wait_for=dict(type="str"),
        )),
        wait_timeout=dict(type="int", default=60),
    )
    argument_spec.update(KUBE_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not _kube.HAS_DEPS:
        module.fail_json(msg=missing_required_lib("urllib3 and PyYAML"), exception=str(_kube.IMPORT_ERROR))
    client = None
    try:
        client = client_from_params(module)
        objects = _kube.read_objects(client, module.params["objects"],
                                     0 if module.check_mode else module.params["wait_timeout"])
    except _kube.KubeError as exc:
        module.fail_json(msg=str(exc), api_url=client.api_url if client else None)
    module.exit_json(changed=False, objects=objects, api_url=client.api_url)


if __name__ == "__main__":
    main()
