import io
import os
import tarfile

import pytest
import yaml

from ansible_collections.krci.platform.plugins.module_utils._operators import resolve

CATALOG = {
    "cert_manager": {"chart": "cert-manager", "version": "v1.21.1", "repository": "https://charts.jetstack.io",
                     "namespace": "cert-manager", "clusters": "platform", "values": {"crds": {"enabled": True}}},
    "external_secrets": {"chart": "external-secrets", "version": "2.9.0", "namespace": "external-secrets",
                         "repository": "https://charts.external-secrets.io", "clusters": "all"},
    "tekton_pipelines": {"source": "manifest", "version": "v1.15.0", "namespace": "tekton-pipelines",
                         "release": "tekton-pipelines",
                         "manifest": "https://infra.tekton.dev/tekton-releases/pipeline/previous/{version}/release.yaml"},
}
ALL = ["cert_manager", "external_secrets", "tekton_pipelines"]


def plan(enabled=None, overrides=None, chart_dir="", oci_mirror=""):
    return resolve(CATALOG, ALL if enabled is None else enabled, overrides or {}, chart_dir, oci_mirror,
                   load_yaml=yaml.safe_load)


def chart(tmp_path, name, version, archive=False):
    root = tmp_path / ("%s-%s" % (name, version))
    root.mkdir()
    (root / "Chart.yaml").write_text(yaml.safe_dump({"apiVersion": "v2", "name": name, "version": version}))
    if not archive:
        return root
    path = tmp_path / ("%s-%s.tgz" % (name, version))
    with tarfile.open(path, "w:gz") as tar:
        data = (root / "Chart.yaml").read_bytes()
        info = tarfile.TarInfo("%s/Chart.yaml" % name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    (root / "Chart.yaml").unlink()
    root.rmdir()
    return path


def test_default_sources_are_the_upstream_repositories_and_manifests():
    components, errors = plan()
    assert errors == []
    assert [c["name"] for c in components] == ALL
    cert_manager, eso, tekton = components
    assert (cert_manager["source"], cert_manager["chart_ref"], cert_manager["chart_repo_url"],
            cert_manager["chart_version"]) == ("repo", "cert-manager", "https://charts.jetstack.io", "v1.21.1")
    assert cert_manager["helm_values"] == {"crds": {"enabled": True}} and cert_manager["release"] == "cert-manager"
    assert eso["clusters"] == "all"
    assert tekton["source"] == "manifest"
    assert tekton["manifest"] == "https://infra.tekton.dev/tekton-releases/pipeline/previous/v1.15.0/release.yaml"


def test_a_version_override_changes_the_chart_version_and_the_manifest_url():
    components, errors = plan(overrides={"cert_manager": {"version": "v1.22.0"},
                                         "tekton_pipelines": {"version": "v1.16.0"}})
    assert errors == []
    assert components[0]["chart_version"] == "v1.22.0"
    assert "/previous/v1.16.0/release.yaml" in components[2]["manifest"]


def test_an_oci_mirror_serves_every_chart_but_not_the_manifests():
    components, errors = plan(oci_mirror="oci://harbor.example.com/krci-charts/")
    assert errors == []
    assert components[0]["source"] == "oci"
    assert components[0]["chart_ref"] == "oci://harbor.example.com/krci-charts/cert-manager"
    assert components[0]["chart_repo_url"] is None and components[0]["chart_version"] == "v1.21.1"
    assert components[2]["source"] == "manifest"


def test_a_chart_dir_serves_directories_and_archives(tmp_path):
    directory = chart(tmp_path, "cert-manager", "v1.21.1")
    archive = chart(tmp_path, "external-secrets", "2.9.0", archive=True)
    components, errors = plan(chart_dir=str(tmp_path))
    assert errors == []
    assert components[0]["source"] == "path" and components[0]["chart_ref"] == str(directory)
    assert components[1]["chart_ref"] == str(archive) and components[1]["chart_version"] is None


def test_a_disabled_operator_is_left_out():
    components, errors = plan(overrides={"external_secrets": {"enabled": False}})
    assert errors == [] and [c["name"] for c in components] == ["cert_manager", "tekton_pipelines"]


@pytest.mark.parametrize("enabled,overrides,chart_dir,message", [
    (["cert_manager", "sealed_secrets"], {}, "", "operators_enabled: unknown operator 'sealed_secrets'"),
    (None, {"certmanager": {"version": "v1"}}, "", "operators_overrides.certmanager: unknown operator"),
    (None, {"cert_manager": {"versoin": "v1.2.3"}}, "", "operators_overrides.cert_manager.versoin: unknown setting"),
    (None, {"cert_manager": {"version": "latest"}}, "",
     "operators_overrides.cert_manager.version: 'latest' is not a version such as 1.2.3 or v1.2.3"),
    (None, {"cert_manager": {"source": "git"}}, "", "operators_overrides.cert_manager.source: 'git' is not one of"),
    (None, {"cert_manager": {"clusters": "staging"}}, "", "operators_overrides.cert_manager.clusters: 'staging'"),
    (None, {"cert_manager": {"repository": "charts.jetstack.io"}}, "",
     "operators_overrides.cert_manager.repository: 'charts.jetstack.io' is not an http(s) Helm repository URL"),
    (None, {"cert_manager": {"source": "path", "path": "/nowhere/cert-manager"}}, "",
     "operators_overrides.cert_manager.path: /nowhere/cert-manager does not exist on the controller"),
    (None, {"tekton_pipelines": {"manifest": "/nowhere/{version}/release.yaml"}}, "",
     "operators_overrides.tekton_pipelines.manifest: /nowhere/v1.15.0/release.yaml is neither an https URL nor a file"),
    (None, {}, "/nowhere", "operators_chart_dir: /nowhere is not a directory on the controller"),
    (None, {"cert_manager": {"namespace": "Cert_Manager"}}, "",
     "operators_overrides.cert_manager.namespace: 'Cert_Manager' is not a valid name"),
])
def test_bad_input_names_the_variable(enabled, overrides, chart_dir, message):
    components, errors = plan(enabled, overrides, chart_dir)
    assert any(message in e for e in errors), errors


def test_a_local_chart_of_another_version_is_an_unknown_version(tmp_path):
    chart(tmp_path, "cert-manager", "v1.21.1")
    os.rename(str(tmp_path / "cert-manager-v1.21.1"), str(tmp_path / "cert-manager-v9.9.9"))
    _components, errors = plan(enabled=["cert_manager"], overrides={"cert_manager": {"version": "v9.9.9"}},
                               chart_dir=str(tmp_path))
    assert errors == ["operators_overrides.cert_manager.version: unknown version v9.9.9 of cert_manager: "
                      "the chart at %s is version v1.21.1" % (tmp_path / "cert-manager-v9.9.9")]


def test_a_missing_chart_in_the_chart_dir_says_what_to_pull(tmp_path):
    _components, errors = plan(enabled=["cert_manager"], chart_dir=str(tmp_path))
    assert len(errors) == 1
    assert errors[0].startswith("operators_chart_dir: %s/cert-manager-v1.21.1 nor %s/cert-manager-v1.21.1.tgz "
                                "does not exist" % (tmp_path, tmp_path))
    assert "helm pull cert-manager --version v1.21.1" in errors[0]


def test_the_platform_cluster_runs_every_operator_and_the_others_only_the_clusters_all_ones():
    from ansible_collections.krci.platform.plugins.module_utils._operators import for_cluster

    plan, errors = resolve(CATALOG, ALL, {})
    assert not errors
    platform = for_cluster(plan, "platform", "restricted")
    assert [c["name"] for c in platform["components"]] == ALL
    names = [n["metadata"]["name"] for n in platform["namespaces"]]
    assert names == ["cert-manager", "external-secrets", "tekton-pipelines"]
    assert platform["namespaces"][0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    production = for_cluster(plan, "production", "baseline")
    assert [c["name"] for c in production["components"]] == ["external_secrets"]
    assert production["namespaces"] == [{"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": "external-secrets", "labels": {"app.kubernetes.io/part-of": "krci-platform",
                                               "pod-security.kubernetes.io/enforce": "baseline",
                                               "pod-security.kubernetes.io/audit": "baseline",
                                               "pod-security.kubernetes.io/warn": "baseline"}}}]


def test_missing_pinned_versions_are_named_with_their_cause():
    from ansible_collections.krci.platform.plugins.module_utils._operators import lookup_errors

    plan, _errors = resolve(CATALOG, ALL, {})
    chart = {c["name"]: c for c in plan}
    charts = [{"rc": 0, "item": chart["cert_manager"]},
              {"rc": 1, "item": chart["external_secrets"], "stderr_lines": ["x", "Error: chart not found"]}]
    manifests = [{"status": 404, "item": chart["tekton_pipelines"]},
                 {"status": -1, "msg": "Connection refused", "item": chart["tekton_pipelines"]},
                 {"status": 200, "item": chart["tekton_pipelines"]}]
    errors = lookup_errors(charts, manifests)
    assert errors == [
        "operator external_secrets: version 2.9.0 of chart external-secrets in https://charts.external-secrets.io "
        "not found or not readable: Error: chart not found",
        "operator tekton_pipelines: unknown version v1.15.0: https://infra.tekton.dev/tekton-releases/pipeline/"
        "previous/v1.15.0/release.yaml answered 404",
        "operator tekton_pipelines: cannot read https://infra.tekton.dev/tekton-releases/pipeline/previous/v1.15.0/"
        "release.yaml: Connection refused (mirror it and set operators_overrides.tekton_pipelines.manifest)"]
    assert lookup_errors([], []) == []


def test_sealed_secrets_run_where_the_plan_says_scoped_to_its_namespaces():
    from ansible_collections.krci.platform.plugins.module_utils._operators import for_cluster

    catalog = dict(CATALOG, sealed_secrets={
        "chart": "sealed-secrets", "version": "2.18.4", "repository": "https://bitnami-labs.github.io/sealed-secrets",
        "namespace": "sealed-secrets", "clusters": "sealed_secrets", "values": {"fullnameOverride": "sealed-secrets-controller"}})
    plan, errors = resolve(catalog, ALL + ["sealed_secrets"], {})
    assert not errors
    # Not where the plan puts no controller, the platform cluster included.
    assert "sealed_secrets" not in [c["name"] for c in for_cluster(plan, "platform", "restricted")["components"]]
    assert "sealed_secrets" not in [c["name"] for c in for_cluster(plan, "production", "restricted", [])["components"]]
    here = for_cluster(plan, "workloads", "restricted", ["krci-dev", "krci-test"])
    sealed = [c for c in here["components"] if c["name"] == "sealed_secrets"][0]
    values = sealed["helm_values"]
    # Upstream's cluster-wide ClusterRole reads every Secret of the cluster: namespaced Roles instead.
    assert values["rbac"] == {"clusterRole": False, "namespacedRoles": True}
    assert values["additionalNamespaces"] == ["krci-dev", "krci-test", "sealed-secrets"]
    assert "--all-namespaces=false" in values["args"] and values["fullnameOverride"] == "sealed-secrets-controller"
    assert sealed["release_wanted"]["values"] == values
    assert "sealed-secrets" in [n["metadata"]["name"] for n in here["namespaces"]]
    # The catalog's own entry is untouched (one plan, many clusters).
    assert "rbac" not in [c for c in plan if c["name"] == "sealed_secrets"][0]["helm_values"]


def _defaults_catalog():
    path = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles", "operators", "defaults", "main.yml")
    with open(path) as handle:
        defaults = yaml.safe_load(handle)
    return defaults["operators_catalog"], defaults["operators_enabled"]


OPENSHIFT = {"name": "openshift", "namespace_labels": {"security.openshift.io/scc.podSecurityLabelSync": "false"}}


def test_on_openshift_the_packaged_operators_install_through_olm_at_the_pinned_csv():
    from ansible_collections.krci.platform.plugins.module_utils._operators import for_cluster

    catalog, enabled = _defaults_catalog()
    components, errors = resolve(catalog, enabled, {})
    assert errors == []
    here = for_cluster(components, "platform", "restricted", ["krci-dev"], OPENSHIFT["name"],
                       OPENSHIFT["namespace_labels"])
    assert here["errors"] == []
    methods = {c["name"]: c["method"] for c in here["components"]}
    assert methods == {"cert_manager": "olm", "external_secrets": "olm", "tekton_pipelines": "olm",
                       "tekton_triggers": "olm", "codebase_operator": "repo", "cd_pipeline_operator": "repo",
                       "keycloak_operator": "repo", "sealed_secrets": "repo"}
    subs = {s["package"]: s for s in here["subscriptions"]}
    # Tekton Pipelines and Triggers are one package on OpenShift: one Subscription.
    assert subs["openshift-pipelines-operator-rh"]["components"] == ["tekton_pipelines", "tekton_triggers"]
    assert subs["openshift-pipelines-operator-rh"]["operator_group"] is None  # openshift-operators has one
    spec = subs["openshift-cert-manager-operator"]["subscription"]["spec"]
    assert spec == {"name": "openshift-cert-manager-operator", "channel": "stable-v1", "source": "redhat-operators",
                    "sourceNamespace": "openshift-marketplace", "startingCSV": "cert-manager-operator.v1.18.0",
                    "installPlanApproval": "Manual"}
    group = subs["openshift-cert-manager-operator"]["operator_group"]
    assert group["metadata"]["namespace"] == "cert-manager-operator" and "targetNamespaces" not in group["spec"]
    assert subs["openshift-external-secrets-operator"]["operands"][0]["kind"] == "ExternalSecretsConfig"
    # Namespaces: the charts' and the OLM installs' own, never openshift-operators; the flavour's labels on each.
    names = [n["metadata"]["name"] for n in here["namespaces"]]
    assert "openshift-operators" not in names and "cert-manager-operator" in names and "krci" in names
    # The operands' namespaces where the collection puts objects (cert-manager's CA); not Tekton's (OpenShift
    # Pipelines runs it in openshift-pipelines, which its operator creates).
    assert "cert-manager" in names and "external-secrets" in names and "tekton-pipelines" not in names
    assert all(n["metadata"]["labels"]["security.openshift.io/scc.podSecurityLabelSync"] == "false"
               for n in here["namespaces"])
    # A chart without an OLM package drops its pinned UID/fsGroup on OpenShift (null: Helm removes the key).
    sealed = next(c for c in here["components"] if c["name"] == "sealed_secrets")
    assert sealed["helm_values"]["containerSecurityContext"]["runAsUser"] is None
    assert sealed["helm_values"]["containerSecurityContext"]["runAsNonRoot"] is True
    assert sealed["release_wanted"]["values"]["podSecurityContext"] == {"fsGroup": None}
    assert len(sealed["helm_values"]["extraDeploy"]) == 2  # the aggregated ClusterRoles stay


def test_on_vanilla_kubernetes_nothing_uses_olm_and_values_stay():
    from ansible_collections.krci.platform.plugins.module_utils._operators import for_cluster

    catalog, enabled = _defaults_catalog()
    components, errors = resolve(catalog, enabled, {})
    assert errors == []
    here = for_cluster(components, "platform", "restricted", ["krci-dev"])
    assert here["subscriptions"] == [] and here["errors"] == []
    assert {c["method"] for c in here["components"]} == {"repo", "manifest"}
    sealed = next(c for c in here["components"] if c["name"] == "sealed_secrets")
    assert sealed["helm_values"]["containerSecurityContext"]["runAsUser"] == 1001
    extra = [o["metadata"]["name"] for o in sealed["helm_values"]["extraDeploy"]]
    assert extra == ["krci-sealedsecrets-edit", "krci-sealedsecrets-view"]
    assert "openshift_values" not in sealed["helm_values"]
    assert all(set(n["metadata"]["labels"]) == {"app.kubernetes.io/part-of", "pod-security.kubernetes.io/enforce",
                                                "pod-security.kubernetes.io/audit", "pod-security.kubernetes.io/warn"}
               for n in here["namespaces"])


def test_install_helm_keeps_the_chart_on_openshift_and_install_olm_fails_on_vanilla():
    from ansible_collections.krci.platform.plugins.module_utils._operators import for_cluster

    catalog, enabled = _defaults_catalog()
    components, errors = resolve(catalog, enabled, {"cert_manager": {"install": "helm"},
                                                    "external_secrets": {"install": "olm"}})
    assert errors == []
    openshift = for_cluster(components, "platform", "restricted", [], "openshift")
    assert {c["name"]: c["method"] for c in openshift["components"]}["cert_manager"] == "repo"
    vanilla = for_cluster(components, "workloads", "restricted", [], "kubernetes")
    assert vanilla["errors"] == ["operators_overrides.external_secrets.install: olm, but this cluster is kubernetes "
                                 "(no OLM); use auto or helm"]


@pytest.mark.parametrize("override,message", [
    ({"cert_manager": {"install": "maybe"}}, "operators_overrides.cert_manager.install: 'maybe' is not one of auto, olm, helm"),
    ({"keycloak_operator": {"install": "olm"}}, "operators_overrides.keycloak_operator.install: olm, but keycloak_operator "
                                                "has no OLM package in the catalog"),
    ({"tekton_pipelines": {"olm": {"package": "openshift-pipelines-operator-rh", "channel": "pipelines-0.1",
                                   "channels": ["pipelines-1.20"], "csv": "openshift-pipelines-operator-rh.v1.20.0"}}},
     "operators_overrides.tekton_pipelines.olm.channel: unknown channel 'pipelines-0.1' of package "
     "openshift-pipelines-operator-rh (known: pipelines-1.20)"),
    ({"cert_manager": {"olm": {"package": "openshift-cert-manager-operator", "channel": "stable-v1",
                               "csv": "cert-manager-operator-latest"}}},
     "operators_overrides.cert_manager.olm.csv: 'cert-manager-operator-latest' is not a ClusterServiceVersion name"),
    ({"cert_manager": {"olm": {"package": "Cert Manager", "channel": "stable-v1", "csv": "x.v1.0.0", "extra": 1}}},
     "operators_overrides.cert_manager.olm.extra: unknown setting"),
])
def test_bad_olm_input_names_the_field(override, message):
    catalog, enabled = _defaults_catalog()
    _components, errors = resolve(catalog, enabled, override)
    assert any(message in e for e in errors), errors
