# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: topology
short_description: The clusters of a KubeRocketCI cluster allocation option
version_added: 0.1.0
description:
  - Returns the clusters that an allocation option defines, in order, each with its C(name),
    C(role) (platform, workloads, staging, production), C(environments) and C(gitops) model
    (C(push) for targets of the platform Argo CD, C(pull) for clusters with a dedicated Argo CD).
  - The same model drives the playbooks, the sandbox and the tests.
options:
  _input:
    description: The allocation option.
    type: str
    required: true
    choices: [shared, separated, isolated]
author:
  - krci.platform contributors (@krci-platform)
"""

EXAMPLES = r"""
- name: Names of the clusters the separated option needs
  ansible.builtin.debug:
    msg: "{{ 'separated' | krci.platform.topology | map(attribute='name') }}"
"""

RETURN = r"""
_value:
  description: The clusters of the option.
  type: list
  elements: dict
  contains:
    name: {description: Cluster name, also the inventory host name., type: str}
    role: {description: Cluster role., type: str}
    environments: {description: Environments the cluster carries., type: list, elements: str}
    gitops: {description: C(push) or C(pull)., type: str}
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.krci.platform.plugins.module_utils._topology import TopologyError, clusters


def topology(option):
    try:
        return clusters(option)
    except TopologyError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule:
    def filters(self):
        return {"topology": topology}
