# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: operators_plan
short_description: Resolve the operators to install, with their chart or manifest source
version_added: 0.1.0
description:
  - Merges the catalog of operators (pinned versions and upstream sources), the enabled list, the
    per-operator overrides and the site-wide chart source (a local chart directory or an OCI
    mirror) into one list of components, and lists every input problem with the variable to fix.
  - Local chart paths are checked on the controller, including that the chart's C(Chart.yaml)
    has the pinned version.
  - Used by the C(krci.platform.operators) role; it never contacts a cluster or a repository.
options:
  _input:
    description: The catalog, operator name to settings (C(chart), C(version), C(repository), ...).
    type: dict
    required: true
  enabled:
    description: Operator names to install, in order.
    type: list
    elements: str
    required: true
  overrides:
    description: Operator name to settings that replace the catalog's.
    type: dict
    default: {}
  chart_dir:
    description: Directory with C(<chart>-<version>) chart directories or C(.tgz) archives.
    type: str
    default: ""
  oci_mirror:
    description: An C(oci://) registry path that holds every chart.
    type: str
    default: ""
author:
  - krci.platform contributors (@krci-platform)
"""

EXAMPLES = r"""
- name: Resolve the plan
  ansible.builtin.set_fact:
    operators_resolved: >-
      {{ operators_catalog | krci.platform.operators_plan(operators_enabled, operators_overrides,
         operators_chart_dir, operators_oci_mirror) }}
"""

RETURN = r"""
_value:
  description: C(components) (what to install, in order) and C(errors) (empty when the input is valid).
  type: dict
"""

import yaml

from ansible_collections.krci.platform.plugins.module_utils._operators import for_cluster, lookup_errors, resolve


def operators_plan(catalog, enabled, overrides=None, chart_dir="", oci_mirror=""):
    components, errors = resolve(dict(catalog or {}), list(enabled or []), dict(overrides or {}),
                                 chart_dir or "", oci_mirror or "", load_yaml=yaml.safe_load)
    return {"components": components, "errors": errors}


def operators_for_cluster(plan, cluster_role, pod_security_level="restricted", sealed_secrets=None, flavour=None):
    """The components of one cluster and the Namespace objects of their namespaces."""
    flavour = flavour or {}
    return for_cluster((plan or {}).get("components") or [], cluster_role, pod_security_level, sealed_secrets,
                       flavour.get("name") or "kubernetes", flavour.get("namespace_labels"))


def operators_lookup_errors(chart_lookups, manifest_lookups=None):
    """Every pinned chart version or manifest that was not found, from the registered lookup results."""
    return lookup_errors(chart_lookups or [], manifest_lookups or [])


class FilterModule:
    def filters(self):
        return {"operators_plan": operators_plan, "operators_for_cluster": operators_for_cluster,
                "operators_lookup_errors": operators_lookup_errors}
