import pytest

from sandbox import build

UPSTREAM = """module k8s.io/kubernetes

go 1.24.0

godebug default=go1.24

require (
	github.com/blang/semver/v4 v4.0.0
	k8s.io/api v0.0.0
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/externaljwt => ./staging/src/k8s.io/externaljwt
	github.com/some/fork => github.com/other/fork v1.2.3
)
"""


def test_wrapper_gomod_pins_every_staging_module_and_keeps_go_and_godebug():
    gomod = build._k8s_wrapper_gomod(UPSTREAM, "1.34.4")
    assert "go 1.24.0" in gomod
    assert "godebug default=go1.24" in gomod
    assert "require k8s.io/kubernetes v1.34.4" in gomod
    assert "\tk8s.io/api => k8s.io/api v0.34.4" in gomod
    assert "\tk8s.io/externaljwt => k8s.io/externaljwt v0.34.4" in gomod
    assert "other/fork" not in gomod


def test_version_ldflags_set_git_version_for_server_and_client():
    flags = build._version_ldflags("1.34.4")
    assert "k8s.io/component-base/version.gitVersion=v1.34.4" in flags
    assert "k8s.io/client-go/pkg/version.gitMinor=34" in flags


def test_unknown_component_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("KRCI_CACHE_DIR", str(tmp_path))
    with pytest.raises(build.BuildError, match="unknown component 'kubelet'"):
        build.build_all(["kubelet"])


def test_cached_component_is_not_rebuilt(monkeypatch, tmp_path):
    monkeypatch.setenv("KRCI_CACHE_DIR", str(tmp_path))
    calls = []

    def fake_build(out, log):
        calls.append(out)
        (out / "bin").mkdir()

    first = build._cached("thing", "1.0", fake_build)
    second = build._cached("thing", "1.0", fake_build)
    assert first == second == tmp_path / "thing-1.0"
    assert len(calls) == 1
    assert build.build_info("thing", "1.0")["version"] == "1.0"


def test_failed_build_leaves_no_complete_entry(monkeypatch, tmp_path):
    monkeypatch.setenv("KRCI_CACHE_DIR", str(tmp_path))

    def broken(out, log):
        raise build.BuildError("thing: boom")

    with pytest.raises(build.BuildError):
        build._cached("thing", "2.0", broken)
    assert build.build_info("thing", "2.0") is None
    assert not (tmp_path / "thing-2.0").exists()


def test_missing_go_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(build.shutil, "which", lambda name: None)
    with pytest.raises(build.BuildError, match="Go toolchain is not on PATH"):
        build._go_env()
