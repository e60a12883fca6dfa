# -*- coding: utf-8 -*-
"""Counting what a run changed per cluster, from the registered results of every role."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.krci.platform.plugins.module_utils._changes import summarize


def test_summaries_loops_skips_and_plain_results_add_up():
    apply = {"changed": True, "summary": {"created": 2, "updated": 1, "unchanged": 5}}
    loop = {"results": [{"changed": False, "summary": {"created": 0, "updated": 0, "unchanged": 3}},
                        {"skipped": True, "changed": False}]}
    helm_changed, helm_same = {"changed": True, "status": {}}, {"changed": False, "status": {}}
    earlier = {"created": 1, "updated": 0, "unchanged": 0}
    assert summarize([apply, loop, helm_changed, helm_same, {"skipped": True}, None, earlier]) == \
        {"created": 3, "updated": 2, "unchanged": 9}


def test_nothing_counts_nothing():
    assert summarize([]) == {"created": 0, "updated": 0, "unchanged": 0}
    assert summarize({"skipped": True, "changed": False}) == {"created": 0, "updated": 0, "unchanged": 0}
