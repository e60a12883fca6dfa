# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counting what a run changed, per cluster, from the results the roles registered.

For internal collection use only. Pure Python.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

ACTIONS = ("created", "updated", "unchanged")


def summarize(results):
    """{created, updated, unchanged} over registered task results, summaries or lists of them.

    A result with ``summary`` (k8s_apply, keycloak_realm, vault_config) adds its counts; a loop's
    ``results`` are added one by one; a skipped result counts nothing; any other result that ran
    (kubernetes.core.helm, say) counts as one object, updated when it changed.
    """
    total = dict((action, 0) for action in ACTIONS)

    def add(item):
        if isinstance(item, (list, tuple)):
            for element in item:
                add(element)
            return
        if not isinstance(item, dict) or item.get("skipped"):
            return
        if item and set(item) <= set(ACTIONS):
            for action in ACTIONS:
                total[action] += int(item.get(action) or 0)
        elif isinstance(item.get("summary"), dict):
            add(item["summary"])
        elif isinstance(item.get("results"), list):
            add(item["results"])
        elif "changed" in item:
            total["updated" if item["changed"] else "unchanged"] += 1

    add(results)
    return total
