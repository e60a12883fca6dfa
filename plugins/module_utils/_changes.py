# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Counting what a run changed, per cluster, from the results the roles registered.

For internal collection use only. Pure Python.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

ACTIONS = ("created", "updated", "deleted", "unchanged")


def summarize(results):
    """{created, updated, deleted, unchanged} over registered task results, summaries or lists of them.

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


class ChangeSet:
    """What one module call did to a server, object by object: the records, diffs and summary it returns.

    Shared by k8s_apply, keycloak_realm and vault_config. ``dump`` renders an object as text for the
    diff; ``mask`` hides its secret values first (each system knows its own secret fields).
    """

    def __init__(self, dump=repr, mask=None):
        self.dump = dump
        self.mask = mask or (lambda obj: obj)
        self.objects = []
        self.diffs = []

    def record(self, ref, action, before=None, after=None):
        """One object's outcome; a change also gets a before/after diff (absent before: created)."""
        self.objects.append({"ref": ref, "action": action})
        if action == "unchanged":
            return
        self.diffs.append({
            "before_header": "%s (%s)" % (ref, "live" if before is not None else "absent"),
            "after_header": "%s (%s)" % (ref, action),
            "before": self.dump(self.mask(before)) if before is not None else "",
            "after": self.dump(self.mask(after)) if after is not None else "",
        })

    def mark(self):
        """A point to roll back to (rollback) when the records after it are to be redone."""
        return len(self.objects), len(self.diffs)

    def rollback(self, mark):
        del self.objects[mark[0]:]
        del self.diffs[mark[1]:]

    @property
    def changed(self):
        return any(o["action"] != "unchanged" for o in self.objects)

    def summary(self, actions=ACTIONS):
        return dict((action, sum(1 for o in self.objects if o["action"] == action)) for action in actions)
