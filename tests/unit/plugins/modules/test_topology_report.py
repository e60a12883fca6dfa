"""topology_report draws the picture only when what it shows changed (run in-process, as the action plugin runs it)."""

import functools

import pytest

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


def test_documents_are_written_as_yaml_only_when_they_differ_and_never_change_the_result(tmp_path):
    documents = {"api-server-authentication.yaml": {"kind": "AuthenticationConfiguration", "jwt": [{"b": 1, "a": 2}]},
                 "gitops/argocd/hub/dev.yaml": {"metadata": {"name": "dev"}}}
    first = report(tmp_path, documents=documents)
    assert first["documents"] == [str(tmp_path / name) for name in sorted(documents)]
    written = tmp_path / "gitops" / "argocd" / "hub" / "dev.yaml"
    assert written.read_text() == "metadata:\n  name: dev\n"
    assert (tmp_path / "api-server-authentication.yaml").read_text() == (
        "jwt:\n- a: 2\n  b: 1\nkind: AuthenticationConfiguration\n")
    mtime = written.stat().st_mtime_ns
    again = report(tmp_path, documents=documents)
    assert again["changed"] is False and written.stat().st_mtime_ns == mtime
    report(tmp_path, documents=dict(documents, **{"gitops/argocd/hub/dev.yaml": {"metadata": {"name": "dev2"}}}))
    assert written.read_text() == "metadata:\n  name: dev2\n"


def test_a_document_outside_the_report_directory_is_refused_before_anything_is_written(tmp_path):
    for name in ("../escape.yaml", "/etc/escape.yaml", "gitops/../../escape.yaml"):
        result = report(tmp_path / "reports", documents={name: {"a": 1}})
        assert result["failed"] and "is not a path inside" in result["msg"], name
    assert not (tmp_path / "reports").exists() and not (tmp_path / "escape.yaml").exists()


def test_check_mode_writes_no_document(tmp_path):
    params = {"option": "shared", "topology": TOPOLOGY, "dest": str(tmp_path / "reports"),
              "documents": {"gitops/a.yaml": {"a": 1}}}
    with pytest.raises(ModuleExit) as done:
        topology_report.main(module_class=functools.partial(InProcessModule, "topology_report", params, True, False))
    result = done.value.result
    assert result["documents"] == [str(tmp_path / "reports" / "gitops" / "a.yaml")]
    assert not (tmp_path / "reports").exists()
