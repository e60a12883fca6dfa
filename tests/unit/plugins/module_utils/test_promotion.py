# -*- coding: utf-8 -*-
"""Promotion: the version rules, the chain of environments, the image edit, and one promotion end to end
against a real (local, bare) Git repository."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess

import pytest

from ansible_collections.krci.platform.plugins.module_utils import _platform, _promotion, _topology
from ansible_collections.krci.platform.plugins.module_utils._git import WorkingCopy
from ansible_collections.krci.platform.plugins.module_utils._promote import Promotion
from ansible_collections.krci.platform.plugins.module_utils._promotion import PromotionError

IMAGE = "registry.example.com/team/krci-demo"
DEV = "1.2.3-dev.20261201.abc1234"
A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
APPS = [{"name": "krci-demo", "image": IMAGE}]


def plan(option, **settings):
    clusters = _topology.clusters(option)
    for index, cluster in enumerate(clusters):
        cluster["api_url"] = "https://127.0.0.1:%d" % (6443 + index)
    settings.setdefault("applications", APPS)
    return _platform.plan(clusters, settings)


@pytest.mark.parametrize("version,kind", [("1.2.3", "release"), ("1.2.3-rc.1", "rc"), (DEV, "dev"),
                                          ("1.2.3+build.7", "release"), ("10.0.0-rc.12+meta", "rc")])
def test_versions_of_the_three_kinds(version, kind):
    assert _promotion.parse_version(version)["kind"] == kind


@pytest.mark.parametrize("version,words", [
    ("1.2", "not a semantic version"), ("v1.2.3", "not a semantic version"), ("01.2.3", "not a semantic version"),
    ("1.2.3-beta.1", "none of the kinds"), ("1.2.3-dev.20261301.abc1234", "not a date"),
    ("1.2.3-dev.20261201.XYZ", "none of the kinds"), ("1.2.3-rc.01", "not a semantic version")])
def test_versions_refused(version, words):
    with pytest.raises(PromotionError, match=words):
        _promotion.parse_version(version)


def test_image_tag_replaces_build_metadata_plus():
    assert _promotion.image_tag("1.2.3+build.7") == "1.2.3_build.7"


@pytest.mark.parametrize("option,order,pulls", [
    ("shared", ["dev", "test", "staging", "production"], ["production"]),
    ("separated", ["dev", "test", "uat", "staging", "production"], ["staging", "production"]),
    ("isolated", ["dev", "test", "uat", "staging", "production"], ["staging", "production"]),
])
def test_environments_in_order_with_their_paths_and_models(option, order, pulls):
    envs = plan(option)["promotion"]["environments"]
    assert [e["name"] for e in envs] == order
    assert [e["name"] for e in envs if e["gitops"] == "pull"] == pulls
    assert all(e["path"] == "environments/" + e["name"] and e["application"] == e["name"] for e in envs)
    assert [e["trigger"] for e in envs] == ["Auto", "Auto"] + ["Manual"] * (len(order) - 2)
    assert envs[-1]["accepts"] == ["release"] and envs[0]["accepts"] == ["dev", "rc", "release"]
    # A pull environment is deployed by its own cluster's instance, never the hub.
    assert all(e["argocd_instance"] == e["cluster"] for e in envs if e["gitops"] == "pull")


def test_pipelines_from_the_topology():
    result = plan("separated", applications=APPS + [{"name": "api", "image": IMAGE + "-api", "group": "krci-demo"},
                                                    {"name": "web", "image": IMAGE + "-web"}])
    objects = result["promotion"]["pipelines"]
    pipelines = [o for o in objects if o["kind"] == "CDPipeline"]
    assert [p["metadata"]["name"] for p in pipelines] == ["krci-demo", "web"]
    assert pipelines[0]["spec"]["applications"] == ["api", "krci-demo"]
    stages = [o for o in objects if o["kind"] == "Stage" and o["spec"]["cdPipeline"] == "krci-demo"]
    assert [(s["spec"]["name"], s["spec"]["order"], s["spec"]["triggerType"]) for s in stages] == [
        ("dev", 0, "Auto"), ("test", 1, "Auto"), ("uat", 2, "Manual"), ("staging", 3, "Manual"),
        ("production", 4, "Manual")]
    assert stages[0]["spec"]["clusterName"] == "workloads" and stages[0]["metadata"]["name"] == "krci-demo-dev"
    assert stages[4]["metadata"]["annotations"]["krci.platform/gitops"] == "pull"
    shared = plan("shared")["promotion"]["pipelines"]
    assert [s["spec"]["clusterName"] for s in shared if s["kind"] == "Stage"][:2] == ["in-cluster", "in-cluster"]


@pytest.mark.parametrize("settings,words", [
    ({"applications": [{"name": "Bad_Name", "image": IMAGE}]}, "krci_applications\\[0\\].name"),
    ({"applications": [{"name": "x", "image": IMAGE + ":1.0"}]}, "without tag or digest"),
    ({"applications": [{"name": "x", "image": IMAGE}, {"name": "x", "image": IMAGE}]}, "declared twice"),
    ({"applications": [{"name": "x", "image": IMAGE, "group": "g" * 51}]}, "krci_applications\\[0\\].group"),
    ({"promotion_accepts": {"production": ["rc", "release"]}}, "production takes releases only"),
    ({"promotion_accepts": {"qa": ["rc"]}}, "promotion_accepts.qa"),
    ({"sealed_secrets_environments": ["dev", "production"]}, "production keeps its secrets"),
    ({"cd_pipelines_namespace": "Not A Namespace"}, "cd_pipelines_namespace"),
])
def test_bad_promotion_settings_name_the_field(settings, words):
    errors = plan("shared", **settings)["errors"]
    assert any(__import__("re").search(words, e) for e in errors), errors


def test_sealed_secrets_where_dev_and_test_run():
    assert [n for n, c in plan("shared")["clusters"].items() if c["sealed_secrets"]] == ["platform"]
    assert [n for n, c in plan("isolated")["clusters"].items() if c["sealed_secrets"]] == ["dev", "test"]
    assert [n for n, c in plan("separated", sealed_secrets_environments=["uat"])["clusters"].items()
            if c["sealed_secrets"]] == ["workloads"]


MANIFEST = """apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: app
          image: "%s"  # the build
        - name: sidecar
          image: other.example.com/sidecar:1.0
"""


def test_image_lines_read_and_set_keep_the_rest_of_the_file():
    files = {"environments/dev/deployment.yaml": MANIFEST % (IMAGE + ":1.0.0")}
    assert _promotion.read_state(files, IMAGE) == {"tag": "1.0.0", "digest": None,
                                                   "files": ["environments/dev/deployment.yaml"]}
    changed = _promotion.set_image(files, IMAGE, DEV, A)
    assert changed["environments/dev/deployment.yaml"] == MANIFEST % ("%s:%s@%s" % (IMAGE, DEV, A))
    assert _promotion.read_state(changed, IMAGE)["digest"] == A
    # A repository whose name starts like the application's is another image.
    assert _promotion.read_state({"x.yaml": "  image: %s-api:1.0\n" % IMAGE}, IMAGE) is None


def test_two_builds_in_one_environment_are_refused():
    files = {"a.yaml": "image: %s:1.0\n" % IMAGE, "b.yaml": "image: %s:1.1\n" % IMAGE}
    with pytest.raises(PromotionError, match="different versions"):
        _promotion.read_state(files, IMAGE)


def envs(option="separated"):
    return plan(option)["promotion"]["environments"]


def state(tag, digest):
    return {"tag": tag, "digest": digest, "files": []}


@pytest.mark.parametrize("target,version,states,words", [
    ("production", DEV, {}, "development build; production accepts releases only"),
    ("uat", DEV, {"test": state(DEV, A)}, "uat accepts release candidates and releases only"),
    ("staging", "1.2.3-rc.1", {"dev": state(DEV, A), "test": state(DEV, A)}, "staging comes after uat, which does not run it"),
    ("test", DEV, {"dev": state(DEV, B)}, "the tag %s now points at %s, but dev runs %s from that same tag: the tag moved"
     % (DEV, A, B)),
    ("test", DEV, {"dev": state("1.2.2", B)}, "which runs 1.2.2@%s, not the build %s" % (B, A)),
    ("uat", "1.2.4-rc.1", {"test": state(DEV, A)}, "not a version of the build test runs"),
    ("qa", DEV, {}, "not an environment of this option"),
])
def test_promotions_refused(target, version, states, words):
    with pytest.raises(PromotionError, match=__import__("re").escape(words)):
        _promotion.check_promotion(envs(), target, version, states, A)


def test_promotion_in_order_and_override():
    verdict = _promotion.check_promotion(envs(), "uat", "1.2.3-rc.1", {"test": state(DEV, A)}, A)
    assert verdict["previous"]["name"] == "test" and not verdict["overridden"]
    verdict = _promotion.check_promotion(envs(), "staging", "1.2.3-rc.1", {}, A, override_reason="hotfix INC-1")
    assert verdict["overridden"]
    assert _promotion.check_promotion(envs(), "dev", DEV, {}, A)["previous"] is None


def test_next_environment():
    assert _promotion.next_environment(envs(), {}, A)["name"] == "dev"
    assert _promotion.next_environment(envs(), {"dev": state(DEV, A), "test": state(DEV, A)}, A)["name"] == "uat"
    with pytest.raises(PromotionError, match="no environment after it"):
        _promotion.next_environment(envs(), {"production": state("1.2.3", A)}, A)


@pytest.mark.parametrize("app,why", [
    (None, "does not exist"),
    ({"status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}, "summary": {"images": ["x"]}}},
     "does not run"),
    ({"status": {"sync": {"status": "OutOfSync"}, "health": {"status": "Healthy"},
                 "summary": {"images": ["ref"]}}}, "OutOfSync/Healthy"),
])
def test_application_health(app, why):
    assert why in _promotion.application_health(app, "ref")


# --- One promotion against a real Git repository (a local bare one) ---

def _git(*args, cwd=None):
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@t", GIT_CONFIG_GLOBAL=os.devnull)
    return subprocess.run(["git"] + list(args), cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path):
    bare = tmp_path / "gitops.git"
    _git("init", "-q", "--bare", "-b", "main", str(bare))
    work = tmp_path / "seed"
    _git("init", "-q", "-b", "main", str(work))
    for env in ("dev", "test", "uat", "staging", "production"):
        (work / "environments" / env).mkdir(parents=True)
        (work / "environments" / env / "deployment.yaml").write_text(MANIFEST % (IMAGE + ":1.0.0"))
    _git("add", "-A", cwd=str(work))
    _git("commit", "-q", "-m", "seed", cwd=str(work))
    _git("push", "-q", str(bare), "main", cwd=str(work))
    return bare


def promote(bare, target, version=DEV, digests=None, apps=None, check=False, refreshed=None, **request):
    digests = digests if digests is not None else {}
    asked = []
    refresh = None if refreshed is None else (lambda name: refreshed.append(name) or True)

    def resolve(path, tag):
        asked.append((path, tag))
        return digests.get(tag, A)

    base = {"application": "krci-demo", "image": IMAGE, "version": version, "target": target,
            "environments": envs(), "branch": "main", "digest": None, "override_reason": None,
            "review_branch": False, "manifests": []}
    base.update(request)
    wc = WorkingCopy("file://%s" % bare)
    try:
        result = Promotion(base, wc, resolve, (apps or {}).get, refresh_application=refresh).run(check)
    finally:
        wc.close()
    result["asked"] = asked
    return result


def healthy(ref):
    return {"status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}, "summary": {"images": [ref]}}}


def test_promote_into_dev_commits_once_and_is_idempotent(repo):
    result = promote(repo, "dev", check=True)
    assert result["changed"] and result["commit"] is None and "+          image: \"%s:%s@%s\"" % (IMAGE, DEV, A) in result["patch"]
    assert _git("--git-dir", str(repo), "log", "--oneline").count("\n") == 1
    refreshed = []
    result = promote(repo, "dev", refreshed=refreshed)
    assert result["changed"] and result["asked"] == [("team/krci-demo", DEV)]
    # The hub is asked to look at Git now (what a webhook does), once, for the environment promoted.
    assert refreshed == ["dev"] and result["refreshed"] is True
    message = _git("--git-dir", str(repo), "log", "-1", "--format=%B")
    assert message.startswith("promote krci-demo %s to dev" % DEV) and "Image: %s:%s@%s" % (IMAGE, DEV, A) in message
    assert promote(repo, "dev", refreshed=refreshed)["changed"] is False and refreshed == ["dev"]


def test_promote_needs_the_previous_environment_healthy_with_the_build(repo):
    promote(repo, "dev")
    ref = "%s:%s@%s" % (IMAGE, DEV, A)
    with pytest.raises(PromotionError, match="dev is not healthy with this build: its Argo CD Application does not exist"):
        promote(repo, "test")
    result = promote(repo, "test", apps={"dev": healthy(ref)})
    assert result["changed"] and result["previous"] == "dev"
    # A moved tag: the registry now says another digest for the same version.
    with pytest.raises(PromotionError, match="which runs %s@%s, not the build %s" % (DEV, A, B)):
        promote(repo, "uat", version="1.2.3-rc.1", digests={"1.2.3-rc.1": B}, apps={"test": healthy(ref)})
    # The override is written into the commit.
    result = promote(repo, "uat", version="1.2.3-rc.1", override_reason="test env down, INC-42")
    assert result["override"] == "test env down, INC-42"
    assert "Override: test env down, INC-42" in _git("--git-dir", str(repo), "log", "-1", "--format=%B")


def test_review_branch_and_a_push_that_lost_the_race(repo, tmp_path):
    result = promote(repo, "dev", review_branch=True)
    assert result["review_branch"] == "promote/krci-demo/dev/%s" % DEV
    assert "promote/krci-demo/dev" in _git("--git-dir", str(repo), "branch", "--list")
    assert promote(repo, "dev", review_branch=True)["changed"] is False
    # Another change lands between the clone and the push: the promotion is done again on top of it.
    hook = repo / "hooks" / "pre-receive"
    other = tmp_path / "other"
    _git("clone", "-q", str(repo), str(other))
    (other / "README.md").write_text("another promotion\n")
    _git("add", "-A", cwd=str(other))
    _git("commit", "-q", "-m", "other", cwd=str(other))
    sha = _git("rev-parse", "HEAD", cwd=str(other)).strip()
    _git("push", "-q", str(repo), "HEAD:refs/heads/race", cwd=str(other))
    # (A pre-receive hook runs in git's quarantine, where ref updates are refused unless it is left.)
    hook.write_text("#!/bin/sh\nif [ ! -f %s/raced ]; then touch %s/raced; "
                    "env -u GIT_QUARANTINE_PATH git update-ref refs/heads/main %s || exit 1; fi\n" % (tmp_path, tmp_path, sha))
    hook.chmod(0o755)
    result = promote(repo, "dev")
    assert result["changed"] and result["rebased"]
    log = _git("--git-dir", str(repo), "log", "--format=%s", "main")
    assert log.splitlines()[:2] == ["promote krci-demo %s to dev" % DEV, "other"]


def test_a_hook_that_declines_is_not_retried(repo):
    hook = repo / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(Exception, match="main is protected"):
        promote(repo, "dev")
    assert _git("--git-dir", str(repo), "log", "--oneline").count("\n") == 1


def test_manifests_carried_with_the_promotion(repo):
    sealed = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n"
    result = promote(repo, "dev", manifests=[{"file": "db.sealed.yaml", "content": sealed, "replace": False}])
    assert "environments/dev/db.sealed.yaml" in result["patch"]
    # replace=False keeps the one in Git (a re-sealed value differs on every run).
    again = promote(repo, "dev", manifests=[{"file": "db.sealed.yaml", "content": sealed + "# x\n", "replace": False}])
    assert again["changed"] is False


def test_a_non_fast_forward_push_is_done_again_on_top_of_the_other_change(repo, tmp_path):
    """The classic race: another promotion is pushed between this one's clone and its push (git answers
    'fetch first'); the promotion starts again from the new head, checks the rules again, and loses nothing."""

    class Racing(WorkingCopy):
        raced = False

        def push(self, branch):
            if not Racing.raced:
                Racing.raced = True
                other = tmp_path / "other"
                _git("clone", "-q", str(repo), str(other))
                (other / "environments" / "test" / "deployment.yaml").write_text(MANIFEST % (IMAGE + ":0.9.0"))
                _git("commit", "-qam", "another team's change", cwd=str(other))
                _git("push", "-q", "origin", "main", cwd=str(other))
            return super(Racing, self).push(branch)

    base = {"application": "krci-demo", "image": IMAGE, "version": DEV, "target": "dev", "environments": envs(),
            "branch": "main", "digest": A, "override_reason": None, "review_branch": False, "manifests": []}
    wc = Racing("file://%s" % repo)
    try:
        result = Promotion(base, wc, None, {}.get).run(False)
    finally:
        wc.close()
    assert result["changed"] and result["rebased"] is True
    log = _git("--git-dir", str(repo), "log", "--format=%s", "main").splitlines()
    assert log[:2] == ["promote krci-demo %s to dev" % DEV, "another team's change"]


def test_environments_with_their_own_registry_name_the_copy_and_keep_the_build_s_digest(tmp_path):
    """On AWS production and staging pull from the production account's registry (environments[].image): their
    manifests name the copy, the previous environment is read through its own image, the digest is the build's."""
    copy = "222222222222.dkr.ecr.eu-central-1.amazonaws.com/team/krci-demo"
    bare = tmp_path / "gitops.git"
    _git("init", "-q", "--bare", "-b", "main", str(bare))
    work = tmp_path / "seed"
    _git("init", "-q", "-b", "main", str(work))
    environments = [dict(e, image=copy if e["name"] in ("staging", "production") else IMAGE) for e in envs()]
    for env in environments:
        (work / "environments" / env["name"]).mkdir(parents=True)
        (work / "environments" / env["name"] / "deployment.yaml").write_text(MANIFEST % (env["image"] + ":1.0.0"))
    _git("add", "-A", cwd=str(work))
    _git("commit", "-q", "-m", "seed", cwd=str(work))
    _git("push", "-q", str(bare), "main", cwd=str(work))
    result = promote(bare, "staging", version="1.2.3", environments=environments, override_reason="uat skipped here")
    assert result["image"] == "%s:1.2.3@%s" % (copy, A)
    assert "+          image: \"%s:1.2.3@%s\"" % (copy, A) in result["patch"] and IMAGE not in result["patch"]
    # The build is resolved in its own registry, once.
    assert result["asked"] == [("team/krci-demo", "1.2.3")]
    # Production's previous environment (staging, pull) is read from Git through the copy's repository.
    result = promote(bare, "production", version="1.2.3", environments=environments)
    assert result["changed"] and result["previous"] == "staging" and result["override"] is None
    assert result["image"] == "%s:1.2.3@%s" % (copy, A)
    with pytest.raises(PromotionError, match="staging"):
        promote(bare, "production", version="1.2.3", environments=environments, digests={"1.2.3": B})
