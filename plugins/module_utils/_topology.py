# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cluster allocation options of KubeRocketCI: one source of truth.

For internal collection use only. Pure Python (no Ansible imports), so modules, plugins,
the sandbox and the tests all read the same model.

Seed 002 defines three options. Production is always alone on its cluster and is always
``pull`` (a dedicated Argo CD inside it reads Git only); in ``separated`` and ``isolated``
staging is ``pull`` too. Every other cluster is a ``push`` target of the hub Argo CD that runs
on the platform cluster.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Environments in promotion order. QA is the same tier as test.
ENVIRONMENTS = ("dev", "test", "uat", "staging", "production")

PUSH = "push"
PULL = "pull"

# option -> ordered list of (cluster name, cluster role, environments, gitops model)
_OPTIONS = {
    "shared": (
        ("platform", "platform", ("dev", "test"), PUSH),
        ("staging", "staging", ("staging",), PUSH),
        ("production", "production", ("production",), PULL),
    ),
    "separated": (
        ("platform", "platform", (), PUSH),
        ("workloads", "workloads", ("dev", "test", "uat"), PUSH),
        ("staging", "staging", ("staging",), PULL),
        ("production", "production", ("production",), PULL),
    ),
    "isolated": (
        ("platform", "platform", (), PUSH),
        ("dev", "workloads", ("dev",), PUSH),
        ("test", "workloads", ("test",), PUSH),
        ("uat", "workloads", ("uat",), PUSH),
        ("staging", "staging", ("staging",), PULL),
        ("production", "production", ("production",), PULL),
    ),
}

OPTIONS = tuple(_OPTIONS)


class TopologyError(ValueError):
    """An allocation option or inventory that breaks the model; the message names the field."""


def clusters(option):
    """The clusters of an option, as a list of dicts (name, role, environments, gitops)."""
    if option not in _OPTIONS:
        raise TopologyError(
            "krci_allocation_option: unknown option %r; choose one of %s" % (option, ", ".join(OPTIONS))
        )
    return [
        {"name": name, "role": role, "environments": list(envs), "gitops": gitops}
        for name, role, envs, gitops in _OPTIONS[option]
    ]


def groups(option):
    """Inventory groups of an option: group name -> list of cluster names."""
    result = {"platform": [], "push_targets": [], "pull_clusters": [], "production": []}
    for env in ENVIRONMENTS:
        result["env_%s" % env] = []
    for cluster in clusters(option):
        if cluster["role"] == "platform":
            result["platform"].append(cluster["name"])
        if cluster["role"] == "production":
            result["production"].append(cluster["name"])
        if cluster["gitops"] == PULL:
            result["pull_clusters"].append(cluster["name"])
        elif cluster["environments"]:
            # The hub Argo CD deploys into this cluster (in-cluster for the platform itself).
            result["push_targets"].append(cluster["name"])
        for env in cluster["environments"]:
            result["env_%s" % env].append(cluster["name"])
    return result
