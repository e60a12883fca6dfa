# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: change_summary
short_description: Count the objects that registered task results created, updated or left unchanged
version_added: 0.2.0
description:
  - Sums C(summary) of krci.platform.k8s_apply (and any result with one) over a list of registered
    results, loop results and earlier summaries; a skipped result counts nothing; any other result
    that ran counts as one object, updated when it changed (a Helm release, say).
  - The roles publish what they changed on each cluster with it (the fact C(krci_changes), role to
    summary), and the run report counts every role's changes per cluster.
options:
  _input:
    description: Registered results, summaries, or lists of them.
    type: raw
    required: true
author:
  - krci.platform contributors (@krci-platform)
"""

EXAMPLES = r"""
- name: What this role changed on this cluster
  ansible.builtin.set_fact:
    krci_changes: "{{ krci_changes | default({}) | combine({'argocd': [install_result, config_result] | krci.platform.change_summary}) }}"
"""

RETURN = r"""
_value:
  description: The counts.
  type: dict
  contains:
    created: {description: Objects created., type: int}
    updated: {description: Objects updated., type: int}
    unchanged: {description: Objects that were already as declared., type: int}
"""

from ansible_collections.krci.platform.plugins.module_utils._changes import summarize


# The facts in which each role publishes what it changed on a cluster (see the roles' "Publish" tasks).
ROLE_CHANGE_FACTS = ("cluster_baseline_changes", "operators_changes", "keycloak_changes", "vault_auth_changes",
                     "vault_stores_changes", "argocd_changes")


def change_summary(results):
    return summarize(results)


def host_changes(host_vars):
    """Every role's changes on one cluster, from that host's variables (hostvars[host])."""
    return summarize([host_vars[name] for name in ROLE_CHANGE_FACTS if name in host_vars])


class FilterModule:
    def filters(self):
        return {"change_summary": change_summary, "host_changes": host_changes}
