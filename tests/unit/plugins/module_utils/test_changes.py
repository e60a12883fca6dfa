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
    realm = {"changed": True, "summary": {"created": 0, "updated": 0, "deleted": 2, "unchanged": 4}}
    assert summarize([apply, loop, helm_changed, helm_same, {"skipped": True}, None, earlier, realm]) == \
        {"created": 3, "updated": 2, "deleted": 2, "unchanged": 13}


def test_nothing_counts_nothing():
    nothing = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    assert summarize([]) == nothing
    assert summarize({"skipped": True, "changed": False}) == nothing


def test_a_change_set_records_diffs_for_changes_only_with_secrets_masked():
    from ansible_collections.krci.platform.plugins.module_utils._changes import ChangeSet

    changes = ChangeSet(dump=repr, mask=lambda obj: dict(obj, secret="********") if "secret" in obj else obj)
    changes.record("Client a", "unchanged")
    changes.record("Client b", "created", None, {"name": "b", "secret": "s3cr3t"})
    assert changes.changed and changes.summary() == {"created": 1, "updated": 0, "deleted": 0, "unchanged": 1}
    assert changes.diffs == [{"before_header": "Client b (absent)", "after_header": "Client b (created)",
                              "before": "", "after": repr({"name": "b", "secret": "********"})}]
    mark = changes.mark()
    changes.record("Client c", "updated", {"name": "c"}, {"name": "c", "x": 1})
    changes.rollback(mark)
    assert [o["ref"] for o in changes.objects] == ["Client a", "Client b"] and len(changes.diffs) == 1
