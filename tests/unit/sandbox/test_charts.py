import tarfile

import pytest
import yaml

from sandbox import charts

pytestmark = pytest.mark.skipif(not charts.available(), reason="../shared/testdata/crds is not beside the repository")


def test_charts_wrap_the_upstream_crds_at_the_pinned_versions(tmp_path):
    overrides = charts.write_all(tmp_path)
    cert_manager = tmp_path / "cert-manager-v1.21.1"
    meta = yaml.safe_load((cert_manager / "Chart.yaml").read_text())
    assert (meta["name"], meta["version"], meta["appVersion"]) == ("cert-manager", "v1.21.1", "v1.21.1")
    upstream = sorted(p.name for p in (charts.TESTDATA / "cert-manager").glob("*.yaml"))
    assert sorted(p.name for p in (cert_manager / "crds").iterdir()) == upstream
    for name in upstream:
        assert (cert_manager / "crds" / name).read_bytes() == (charts.TESTDATA / "cert-manager" / name).read_bytes()
    values = yaml.safe_load((cert_manager / "values.yaml").read_text())
    assert values["deployments"] == ["cert-manager", "cert-manager-cainjector", "cert-manager-webhook"]
    # One chart is an archive, as 'helm pull' stores it.
    with tarfile.open(tmp_path / "keycloak-operator-1.35.0.tgz") as archive:
        names = archive.getnames()
    assert "keycloak-operator/Chart.yaml" in names and "keycloak-operator/templates/workloads.yaml" in names
    assert not (tmp_path / "keycloak-operator-1.35.0").exists()
    # Tekton Triggers is a manifest whose path carries the version placeholder.
    manifest = overrides["tekton_triggers"]["manifest"]
    assert manifest.endswith("tekton-triggers-{version}.yaml")
    docs = list(yaml.safe_load_all(open(manifest.replace("{version}", "v0.37.0"))))
    kinds = [d["kind"] for d in docs]
    assert kinds[0] == "Namespace" and kinds.count("Deployment") == 2
    assert kinds.count("CustomResourceDefinition") == len(list((charts.TESTDATA / "tekton-triggers").glob("*.yaml")))
    assert overrides["tekton_pipelines"] == {"source": "path", "chart": "tekton-pipeline"}


def test_a_newer_chart_can_carry_changed_crds(tmp_path):
    chart = charts.write_chart(tmp_path, "cert_manager", "v1.21.2", crd_annotations={"krci.test/schema": "v1.21.2"})
    crds = [doc for path in sorted((chart / "crds").iterdir()) for doc in yaml.safe_load_all(path.read_text()) if doc]
    assert len(crds) == len(list((charts.TESTDATA / "cert-manager").glob("*.yaml")))
    assert {crd["metadata"]["annotations"]["krci.test/schema"] for crd in crds} == {"v1.21.2"}
    assert all(crd["kind"] == "CustomResourceDefinition" and crd["spec"]["versions"] for crd in crds)
