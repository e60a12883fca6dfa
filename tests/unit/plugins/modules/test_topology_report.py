"""topology_report draws the picture only when what it shows changed (run in-process, as the action plugin runs it)."""

import functools

from ansible_collections.krci.platform.plugins.module_utils import _report
from ansible_collections.krci.platform.plugins.modules import topology_report
from ansible_collections.krci.platform.plugins.plugin_utils._in_process import InProcessModule, ModuleExit

TOPOLOGY = [{"name": "platform", "role": "platform", "gitops": "push", "environments": ["dev"]},
            {"name": "production", "role": "production", "gitops": "pull", "environments": ["production"]}]


def report(tmp_path, **args):
    params = dict({"option": "shared", "topology": TOPOLOGY, "dest": str(tmp_path)}, **args)
    try:
        topology_report.main(module_class=functools.partial(InProcessModule, "topology_report", params, False, False))
    except ModuleExit as done:
        return done.result
    raise AssertionError("no result")


def test_the_picture_is_drawn_again_only_when_what_it_shows_changed(tmp_path, monkeypatch):
    drawn = []
    real_draw = _report.draw
    monkeypatch.setattr(_report, "draw", lambda *a, **k: drawn.append(a[2]) or real_draw(*a, **k))
    first = report(tmp_path, changes={"platform": {"created": 3, "updated": 0, "unchanged": 0}})
    assert first["changed"] and len(drawn) == 1
    assert (tmp_path / "topology.png").stat().st_size > 0 and (tmp_path / "topology.svg").exists()
    # Other counts: report.md changes, the picture is not drawn again.
    second = report(tmp_path, changes={"platform": {"created": 0, "updated": 0, "unchanged": 3}})
    assert second["changed"] and len(drawn) == 1
    assert report(tmp_path, changes={"platform": {"created": 0, "updated": 0, "unchanged": 3}})["changed"] is False
    # A service placed in the picture, or a missing file: drawn again.
    report(tmp_path, services={"vault": {"where": "platform", "url": "https://vault"}})
    assert len(drawn) == 2
    (tmp_path / "topology.png").unlink()
    report(tmp_path, services={"vault": {"where": "platform", "url": "https://vault"}})
    assert len(drawn) == 3 and (tmp_path / "topology.png").exists()
