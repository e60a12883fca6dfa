"""Helm charts and manifests written for the sandbox that wrap the upstream CRDs of ../shared/testdata.

The sandbox cannot reach the operators' Helm repositories, so ``up`` writes, per operator, a chart
of our own: the real upstream CustomResourceDefinitions (from ../shared/testdata/crds, read at run
time, never copied into this repository) in ``crds/``, and in ``templates/`` a ServiceAccount and
the Deployments the upstream chart runs, with our own minimal pod spec (kwok runs the pods). The
chart has the name and version of the upstream chart, so an inventory pins the same versions it
pins for real clusters.

Tekton Triggers is written as a plain manifest (CRDs + namespace + Deployments), to exercise the
``manifest`` source of the operators role.
"""

import io
import json
import shutil
import tarfile
from pathlib import Path

import yaml

TESTDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "testdata" / "crds"

# component -> chart name, version, testdata folder, Deployments its upstream chart runs.
CHARTS = {
    "cert_manager": ("cert-manager", "v1.21.1", "cert-manager",
                     ["cert-manager", "cert-manager-cainjector", "cert-manager-webhook"]),
    "external_secrets": ("external-secrets", "2.9.0", "external-secrets",
                         ["external-secrets", "external-secrets-cert-controller", "external-secrets-webhook"]),
    "tekton_pipelines": ("tekton-pipeline", "v1.15.0", "tekton-pipeline",
                         ["tekton-pipelines-controller", "tekton-pipelines-webhook"]),
    "codebase_operator": ("codebase-operator", "2.34.0", "edp-codebase-operator", ["codebase-operator"]),
    "cd_pipeline_operator": ("cd-pipeline-operator", "2.30.0", "edp-cd-pipeline-operator",
                             ["cd-pipeline-operator"]),
    "keycloak_operator": ("keycloak-operator", "1.35.0", "edp-keycloak-operator", ["keycloak-operator"]),
}
MANIFESTS = {
    "tekton_triggers": ("v0.37.0", "tekton-triggers", "tekton-pipelines",
                        ["tekton-triggers-controller", "tekton-triggers-webhook"]),
}

_DEPLOYMENT = """\
{{- range .Values.deployments }}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ . }}
  labels:
    app.kubernetes.io/name: {{ . }}
    app.kubernetes.io/instance: {{ $.Release.Name }}
    app.kubernetes.io/version: {{ $.Chart.AppVersion | quote }}
spec:
  replicas: {{ $.Values.replicas }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ . }}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{ . }}
    spec:
      serviceAccountName: {{ $.Values.serviceAccount }}
{{- with $.Values.nodeSelector }}
      nodeSelector: {{ toJson . }}
{{- end }}
      containers:
        - name: manager
          image: "{{ $.Values.image.repository }}/{{ . }}:{{ $.Values.image.tag | default $.Chart.AppVersion }}"
          securityContext:
            allowPrivilegeEscalation: false
            runAsNonRoot: true
            capabilities: {drop: [ALL]}
            seccompProfile: {type: RuntimeDefault}
{{- end }}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .Values.serviceAccount }}
"""


def _values(chart, deployments):
    return {"replicas": 1, "serviceAccount": chart, "deployments": deployments, "nodeSelector": {},
            "image": {"repository": "registry.invalid/sandbox", "tag": ""}}


def write_chart(dest, component, version=None, app_version=None, crd_annotations=None):
    """Write the chart of ``component`` at ``version`` (default: the pinned one) under ``dest``.

    ``crd_annotations`` stamps every CRD of ``crds/`` (a chart version whose CRDs changed).
    Returns the chart directory ``dest/<chart>-<version>``.
    """
    chart, pinned, folder, deployments = CHARTS[component]
    version = version or pinned
    root = Path(dest) / ("%s-%s" % (chart, version))
    (root / "crds").mkdir(parents=True, exist_ok=True)
    (root / "templates").mkdir(exist_ok=True)
    (root / "Chart.yaml").write_text(yaml.safe_dump({
        "apiVersion": "v2", "name": chart, "version": version, "appVersion": app_version or version,
        "description": "Written for the krci.platform sandbox: the upstream %s CRDs and stand-in Deployments"
                       % chart, "type": "application"}, sort_keys=False))
    (root / "values.yaml").write_text(yaml.safe_dump(_values(chart, deployments), sort_keys=False))
    (root / "templates" / "workloads.yaml").write_text(_DEPLOYMENT)
    for crd in sorted((TESTDATA / folder).glob("*.yaml")):
        if crd_annotations:
            docs = [doc for doc in yaml.safe_load_all(crd.read_text()) if doc]
            for doc in docs:
                doc["metadata"].setdefault("annotations", {}).update(crd_annotations)
            (root / "crds" / crd.name).write_text("".join("---\n" + json.dumps(doc) + "\n" for doc in docs))
        else:
            (root / "crds" / crd.name).write_bytes(crd.read_bytes())
    return root


def package(chart_dir):
    """``<chart>-<version>.tgz`` next to the chart directory (the layout 'helm package' writes), which is removed."""
    chart_dir = Path(chart_dir)
    archive = chart_dir.parent / (chart_dir.name + ".tgz")
    name = yaml.safe_load((chart_dir / "Chart.yaml").read_text())["name"]
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(chart_dir.rglob("*")):
            if path.is_file():
                data = path.read_bytes()
                info = tarfile.TarInfo("%s/%s" % (name, path.relative_to(chart_dir).as_posix()))
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
    shutil.rmtree(chart_dir)
    return archive


def write_manifest(dest, component, version=None):
    """Write ``dest/<folder>-<version>.yaml``: the upstream CRDs, a namespace and stand-in Deployments."""
    pinned, folder, namespace, deployments = MANIFESTS[component]
    version = version or pinned
    docs = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}]
    for crd in sorted((TESTDATA / folder).glob("*.yaml")):
        docs.extend(doc for doc in yaml.safe_load_all(crd.read_text()) if doc)
    docs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": folder, "namespace": namespace}})
    for name in deployments:
        labels = {"app.kubernetes.io/name": name}
        docs.append({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace,
                         "labels": dict(labels, **{"app.kubernetes.io/version": version})},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"serviceAccountName": folder, "containers": [{
                                      "name": "manager", "image": "registry.invalid/sandbox/%s:%s" % (name, version),
                                      "securityContext": {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                                                          "capabilities": {"drop": ["ALL"]},
                                                          "seccompProfile": {"type": "RuntimeDefault"}}}]}}}})
    path = Path(dest) / ("%s-%s.yaml" % (folder, version))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join("---\n" + json.dumps(doc) + "\n" for doc in docs))
    return path


def available():
    return all((TESTDATA / spec[2]).is_dir() for spec in CHARTS.values()) and \
        all((TESTDATA / spec[1]).is_dir() for spec in MANIFESTS.values())


def write_all(dest):
    """Every chart and manifest at its pinned version; returns the inventory overrides that use them."""
    overrides = {}
    for component in CHARTS:
        chart_dir = write_chart(dest, component)
        # One chart as an archive, as 'helm pull' stores it in a site's chart directory.
        if component == "keycloak_operator":
            package(chart_dir)
    # Upstream Tekton publishes release manifests, not a chart: the sandbox installs a chart of its own.
    overrides["tekton_pipelines"] = {"source": "path", "chart": CHARTS["tekton_pipelines"][0]}
    for component in MANIFESTS:
        path = write_manifest(dest, component)
        overrides[component] = {"source": "manifest",
                                "manifest": str(path).replace(MANIFESTS[component][0], "{version}")}
    return overrides
