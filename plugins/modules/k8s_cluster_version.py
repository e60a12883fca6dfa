#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: k8s_cluster_version
short_description: Ask a cluster's API server for its version, the cheapest proof that it answers
version_added: 0.2.0
description:
  - One C(GET /version) with the kubeconfig's credentials; no API discovery (unlike
    M(kubernetes.core.k8s_cluster_info), which reads every API group first).
  - The playbooks' first play uses it on every cluster before any change; a cluster that does not
    answer fails with its API URL.
  - Reads only; changes nothing.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.kube_connection
options: {}
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
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _kube
from ansible_collections.krci.platform.plugins.module_utils._kube_args import KUBE_CONNECTION_SPEC, client_from_params


def main(module_class=AnsibleModule):
    module = module_class(argument_spec=dict(KUBE_CONNECTION_SPEC), supports_check_mode=True)
    if not _kube.HAS_DEPS:
        module.fail_json(msg=missing_required_lib("urllib3 and PyYAML"), exception=str(_kube.IMPORT_ERROR))
    try:
        client = client_from_params(module)
        version = client.server_version()
    except _kube.KubeError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, git_version=(version or {}).get("gitVersion", ""), version=version or {},
                     api_url=client.api_url)


if __name__ == "__main__":
    main()
