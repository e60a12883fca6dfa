# -*- coding: utf-8 -*-
"""The upgrade plan: exact known releases, the Kubernetes skew, the steps each component takes, the order."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.krci.platform.plugins.module_utils import _upgrade

PLATFORM = {
    "hub_cluster": "platform",
    "environments": ["dev", "test", "uat", "staging", "production"],
    "clusters": {
        "platform": {"environments": [], "argocd": {"instance": "hub", "install": {"method": "manifest"}}},
        "workloads": {"environments": ["dev", "test", "uat"], "argocd": {"instance": None}},
        "production": {"environments": ["production"],
                       "argocd": {"instance": "production", "install": {"method": "manifest"}}},
        "staging": {"environments": ["staging"], "argocd": {"instance": "staging", "install": {"method": "manifest"}}},
    },
}
KUBERNETES = {name: "v1.34.4" for name in PLATFORM["clusters"]}


def running(argocd="v3.6.1", keycloak="26.4.7", vault="2.7.2"):
    images = {name: {"argocd": "quay.io/argoproj/argocd:%s" % argocd} for name in ("platform", "production", "staging")}
    images["platform"].update(keycloak="quay.io/keycloak/keycloak:%s" % keycloak, vault="quay.io/openbao/openbao:%s" % vault)
    return images


def plan(targets, components=("argocd",), **settings):
    base = {"targets": targets, "components": list(components), "running": running(), "kubernetes": KUBERNETES,
            "vault_install": True, "keycloak_install": True}
    base.update(settings)
    return _upgrade.plan(PLATFORM, base)


def test_argocd_goes_one_instance_at_a_time_hub_first_and_production_last():
    result = plan({"argocd": "v3.6.2"})
    assert result["errors"] == []
    assert [(s["instance"], s["from"], s["to"], s["direction"]) for s in result["steps"]] == [
        ("hub", "v3.6.1", "v3.6.2", "up"), ("staging", "v3.6.1", "v3.6.2", "up"),
        ("production", "v3.6.1", "v3.6.2", "up")]
    assert result["clusters"] == ["platform", "production", "staging"]
    assert result["summary"].startswith("Argo CD hub on platform: v3.6.1 to v3.6.2; Argo CD staging on staging")


def test_the_order_is_openbao_keycloak_then_argocd_and_a_converged_component_has_no_step():
    result = plan({"argocd": "v3.6.2", "keycloak": "26.5.6", "vault": "2.7.2"}, components=_upgrade.COMPONENTS)
    assert result["errors"] == []
    assert [s["component"] for s in result["steps"]] == ["keycloak", "argocd", "argocd", "argocd"]
    assert {c["component"]: c["version"] for c in result["current"]} == {
        "vault": "2.7.2", "keycloak": "26.4.7", "argocd": "v3.6.1"}


def test_same_versions_plan_nothing():
    same = plan({"argocd": "v3.6.1"})
    assert same["steps"] == [] and same["summary"] == "every instance runs its pinned release: nothing to upgrade"


@pytest.mark.parametrize("target,message", [
    ("latest", "argocd_version: 'latest' is not a pinned release; give an exact one such as v3.6.2"),
    ("v3.6", "argocd_version: 'v3.6' is not a pinned release"),
    ("3.6.2", "argocd_version: '3.6.2' is not a pinned release"),
    ("v3.6.9", "argocd_version: v3.6.9 is not a release this collection knows (known: v3.6.2, v3.6.1, v3.6.0"),
    ("v3.1.16", "Argo CD hub (cluster platform): argocd_version v3.1.16 supports Kubernetes 1.30 to 1.33, and "
                "cluster platform runs 1.34"),
])
def test_unpinned_unknown_and_skewed_versions_are_refused(target, message):
    result = plan({"argocd": target})
    assert result["steps"] == [] and any(message in e for e in result["errors"]), result["errors"]


def test_a_release_added_by_upgrade_releases_is_known_within_its_kubernetes_range():
    extra = {"argocd": [{"version": "v3.6.9", "kubernetes": ["1.34", "1.38"]}]}
    result = plan({"argocd": "v3.6.9"}, releases=extra)
    assert result["errors"] == [] and len(result["steps"]) == 3
    bad = plan({"argocd": "v3.6.9"}, releases={"argocd": [{"version": "v3.6.9"}], "redis": []})
    assert any("upgrade_releases.argocd: v3.6.9 needs kubernetes" in e for e in bad["errors"])
    assert any("upgrade_releases: 'redis' is not a component" in e for e in bad["errors"])


def test_argocd_goes_up_one_minor_at_a_time():
    result = plan({"argocd": "v3.6.2"}, running=running(argocd="v3.4.14"))
    assert any("v3.4.14 to v3.6.2 skips a minor release" in e and "go to v3.5 first" in e for e in result["errors"])


def test_keycloak_never_goes_back():
    result = plan({"keycloak": "26.4.5"}, components=["keycloak"])
    assert result["steps"] == []
    assert any("Keycloak keycloak (cluster platform): 26.4.7 back to 26.4.5 is refused" in e
               and "playbooks/restore.yml" in e for e in result["errors"])


def test_a_downgrade_across_a_minor_needs_allow_downgrade_within_one_it_does_not():
    assert plan({"argocd": "v3.6.0"})["errors"] == []
    crossing = plan({"argocd": "v3.5.8"})
    assert any("v3.6.1 back to v3.5.8 crosses a minor release" in e for e in crossing["errors"])
    allowed = plan({"argocd": "v3.5.8"}, allow_downgrade=True)
    assert allowed["errors"] == [] and {s["direction"] for s in allowed["steps"]} == {"down"}


def test_external_servers_and_operator_instances_are_skipped_with_why():
    platform = dict(PLATFORM, clusters=dict(PLATFORM["clusters"], production={
        "environments": ["production"], "argocd": {"instance": "production", "install": {"method": "operator"}}}))
    result = _upgrade.plan(platform, {"targets": {"argocd": "v3.6.2", "keycloak": "26.5.6", "vault": "2.7.2"},
                                      "components": list(_upgrade.COMPONENTS), "running": running(),
                                      "kubernetes": KUBERNETES})
    assert result["errors"] == []
    assert [(s["component"], s["instance"]) for s in result["skipped"]] == [
        ("vault", "openbao"), ("keycloak", "keycloak"), ("argocd", "production")]
    assert "OpenShift GitOps operator" in result["skipped"][2]["why"]
    assert [s["instance"] for s in result["steps"]] == ["hub", "staging"]


def test_an_instance_not_installed_or_on_an_unknown_kubernetes_is_named():
    images = running()
    images["staging"] = {"argocd": None}
    result = plan({"argocd": "v3.6.2"}, running=images, kubernetes=dict(KUBERNETES, production=""))
    assert any("Argo CD staging (cluster staging) is not installed" in e for e in result["errors"])
    assert any("the Kubernetes version of cluster production is unknown" in e for e in result["errors"])


def test_bad_component_lists_are_named():
    assert any("upgrade_components: redis is not a component" in e
               for e in plan({"argocd": "v3.6.2"}, components=["argocd", "redis"])["errors"])
    assert any("upgrade_components: a non-empty list" in e for e in plan({}, components=[])["errors"])


@pytest.mark.parametrize("component,image,version", [
    ("argocd", "quay.io/argoproj/argocd:v3.6.1", "v3.6.1"),
    ("keycloak", "registry.local:5000/keycloak/keycloak:26.4.7", "26.4.7"),
    ("vault", "quay.io/openbao/openbao:v2.7.2", "2.7.2"),
    ("vault", "quay.io/openbao/openbao@sha256:abc", None),
    ("keycloak", "keycloak", None),
])
def test_the_running_release_is_the_image_tag(component, image, version):
    assert _upgrade.image_version(component, image) == version


def test_the_running_release_is_read_from_the_workload_as_the_api_returns_it():
    images = running()
    images["platform"]["argocd"] = {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "image": "busybox:1"}, {"name": "argocd-server", "image": "quay.io/argoproj/argocd:v3.6.0"}]}}}}
    result = plan({"argocd": "v3.6.2"}, running=images)
    assert result["steps"][0]["from"] == "v3.6.0" and result["before"]["argocd"] == "v3.6.0"


def test_a_cluster_read_as_the_role_reads_it_is_a_list_in_read_order():
    images = running()
    images["platform"] = ["quay.io/argoproj/argocd:v3.6.0", None, None]
    result = plan({"argocd": "v3.6.2", "keycloak": "26.4.7", "vault": "2.7.2"}, components=_upgrade.COMPONENTS,
                  running=images, vault_install=False, keycloak_install=False)
    assert result["errors"] == [] and result["steps"][0]["from"] == "v3.6.0"
    assert "Keycloak keycloak: not installed by this collection" in result["left_alone"]


def test_an_installed_openbao_goes_one_patch_back_and_its_step_comes_first():
    result = plan({"vault": "2.7.1", "argocd": "v3.6.2"}, components=["vault", "argocd"])
    assert result["errors"] == [] and result["steps"][0] == {
        "component": "vault", "instance": "openbao", "cluster": "platform", "from": "2.7.2", "to": "2.7.1",
        "direction": "down"}
    assert any("2.7.2 back to 2.6.2 crosses a minor release" in e
               for e in plan({"vault": "2.6.2"}, components=["vault"])["errors"])
    three = plan({"vault": "2.7.1"}, components=["vault"], vault_replicas=3, vault_unseal_urls=["https://a"])
    assert three["steps"] == [] and "vault_unseal_urls has 1 URL(s) for 3 servers" in three["errors"][0]


def pod(ordinal, revision="old", active=False):
    labels = {"controller-revision-hash": revision}
    if active:
        labels["openbao-active"] = "true"
    return {"metadata": {"name": "openbao-%d" % ordinal, "uid": "uid-%d" % ordinal, "labels": labels}}


STATEFULSET = {"spec": {"replicas": 3}, "status": {"updateRevision": "new"}}
URLS = ["https://openbao-0.test:8200", "https://openbao-1.test:8200", "https://openbao-2.test:8200"]


def test_openbao_standbys_are_replaced_first_highest_ordinal_first_and_the_active_last():
    roll = _upgrade.vault_roll([pod(0, active=True), pod(1), pod(2)], STATEFULSET, URLS)
    assert roll["errors"] == []
    assert [(p["name"], p["url"]) for p in roll["pods"]] == [
        ("openbao-2", URLS[2]), ("openbao-1", URLS[1]), ("openbao-0", URLS[0])]


def test_openbao_pods_at_the_new_revision_are_done_so_a_rerun_takes_the_rest():
    roll = _upgrade.vault_roll([pod(0, active=True), pod(1, "new"), pod(2, "new")], STATEFULSET, URLS)
    assert [p["name"] for p in roll["pods"]] == ["openbao-0"]
    assert _upgrade.vault_roll([pod(0, "new")], dict(STATEFULSET, spec={"replicas": 1}), URLS[:1])["pods"] == []


def test_openbao_servers_need_one_url_each_and_the_statefulset_an_update_revision():
    assert "vault_unseal_urls: 1 URL(s) for 3 OpenBao servers" in _upgrade.vault_roll(
        [pod(0)], STATEFULSET, URLS[:1])["errors"][0]
    assert _upgrade.vault_roll([pod(0)], {"spec": {"replicas": 1}, "status": {}}, URLS[:1])["errors"][0].startswith(
        "the StatefulSet openbao has no update revision yet")
    single = _upgrade.vault_roll([pod(0)], dict(STATEFULSET, spec={"replicas": 1}), ["https://vault.test"])
    assert single["pods"] == [{"name": "openbao-0", "uid": "uid-0", "ordinal": 0, "url": "https://vault.test"}]


def test_a_roll_of_openbao_that_stopped_is_finished_by_the_rerun():
    images = running()
    images["platform"]["vault"] = {"spec": {"replicas": 3, "template": {"spec": {"containers": [
        {"name": "openbao", "image": "quay.io/openbao/openbao:2.7.1"}]}}}, "status": {"updatedReplicas": 1}}
    result = plan({"vault": "2.7.1"}, components=["vault"], running=images, vault_replicas=3,
                  vault_unseal_urls=["https://a", "https://b", "https://c"])
    assert result["errors"] == [] and result["steps"][0]["direction"] == "finish"
    assert result["summary"] == "OpenBao openbao on platform: the roll to 2.7.1, finished"
    images["platform"]["vault"]["status"]["updatedReplicas"] = 3
    assert plan({"vault": "2.7.1"}, components=["vault"], running=images)["steps"] == []


# --- a converge's release guard (converge_errors) -------------------------------------------------------------------

def guard(targets, **settings):
    base = {"targets": targets, "running": running(), "vault_install": True, "keycloak_install": True}
    base.update(settings)
    return _upgrade.converge_errors(PLATFORM, base)


def test_a_converge_with_the_running_releases_passes_whatever_the_catalog_says():
    assert guard({"argocd": "v3.6.1", "keycloak": "26.4.7", "vault": "2.7.2"}) == []
    # A release outside the catalog that already runs is the site's own choice: the converge leaves it be.
    assert guard({"argocd": "v3.9.0"}, running=running(argocd="v3.9.0")) == []


def test_a_converge_that_would_change_a_running_release_names_each_instance_and_both_ways_out():
    errors = guard({"argocd": "v3.6.2", "keycloak": "26.4.7", "vault": "2.7.1"})
    vault = ("OpenBao openbao (cluster platform) runs 2.7.2 and vault_version is 2.7.1: a converge does not change a "
             "running release; run playbooks/upgrade.yml, which takes a backup first and upgrades one instance at a "
             "time, each checked (docs/upgrading.md), or set vault_version back to 2.7.2")
    argocd = ["Argo CD %s (cluster %s) runs v3.6.1 and argocd_version is v3.6.2: a converge does not change a running "
              "release; run playbooks/upgrade.yml, which takes a backup first and upgrades one instance at a time, "
              "each checked (docs/upgrading.md), or set argocd_version back to v3.6.1" % (instance, cluster)
              for instance, cluster in (("hub", "platform"), ("staging", "staging"), ("production", "production"))]
    assert errors == [vault] + argocd


def test_the_guard_leaves_what_is_not_installed_not_managed_or_not_a_release_tag():
    fresh = {name: {} for name in PLATFORM["clusters"]}
    assert guard({"argocd": "v3.6.2", "keycloak": "26.5.6", "vault": "2.7.1"}, running=fresh) == []
    external = guard({"keycloak": "26.5.6", "vault": "2.7.1"}, vault_install=False, keycloak_install=False)
    assert external == []
    digest = running()
    digest["platform"]["argocd"] = "quay.io/argoproj/argocd@sha256:" + "a" * 64
    assert [e for e in guard({"argocd": "v3.6.2"}, running=digest) if "hub" in e] == []
    # The workloads as running.yml reads them: a list in READ_ORDER, absent ones None.
    listed = {"platform": [{"spec": {"template": {"spec": {"containers": [
        {"name": "argocd-server", "image": "quay.io/argoproj/argocd:v3.6.1"}]}}}}, None, None]}
    assert len(guard({"argocd": "v3.6.2"}, running=listed)) == 1
