"""The collection's own Kubernetes client: kubeconfig loading, paths, discovery per kind, and no `kubernetes` import."""

import base64
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.krci.platform.plugins.module_utils import _kube_client


def write_kubeconfig(tmp_path, user, cluster=None, name="kubeconfig", current="main"):
    config = {
        "apiVersion": "v1", "kind": "Config", "current-context": current,
        "clusters": [{"name": "c", "cluster": dict({"server": "https://127.0.0.1:6443/"}, **(cluster or {}))}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "main", "context": {"cluster": "c", "user": "u"}},
                     {"name": "other", "context": {"cluster": "c", "user": "u"}}],
    }
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_a_token_user_sends_a_bearer_header_and_the_ca_data_is_decoded(tmp_path):
    ca = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    path = write_kubeconfig(tmp_path, {"token": "t0ken"},
                            {"certificate-authority-data": base64.b64encode(ca).decode()})
    connection = _kube_client.load_connection(path)
    assert connection.server == "https://127.0.0.1:6443"
    assert connection.ca_data == ca and connection.verify
    assert connection.headers() == {"Authorization": "Bearer t0ken"}


def test_files_are_relative_to_the_kubeconfig_and_a_token_file_is_read_at_every_request(tmp_path):
    (tmp_path / "ca.crt").write_bytes(b"CA")
    (tmp_path / "token").write_text("first\n")
    path = write_kubeconfig(tmp_path, {"tokenFile": "token"}, {"certificate-authority": "ca.crt"})
    connection = _kube_client.load_connection(path, "other")
    assert connection.ca_data == b"CA"
    assert connection.headers()["Authorization"] == "Bearer first"
    (tmp_path / "token").write_text("rotated")
    assert connection.headers()["Authorization"] == "Bearer rotated"


def test_basic_auth_and_insecure_skip_tls_verify(tmp_path):
    path = write_kubeconfig(tmp_path, {"username": "admin", "password": "pw"}, {"insecure-skip-tls-verify": True})
    connection = _kube_client.load_connection(path)
    assert not connection.verify
    assert connection.headers() == {"Authorization": "Basic " + base64.b64encode(b"admin:pw").decode()}
    context = connection.ssl_context()
    assert not context.check_hostname


@pytest.mark.parametrize("user, cluster, current, context, message", [
    ({"token": "t"}, None, "main", "missing", "no context named 'missing'"),
    ({"token": "t"}, None, "", None, "has no current-context"),
    ({"token": "t"}, {"server": ""}, "main", None, "the cluster has no server URL"),
    ({"client-certificate-data": "@@@", "client-key-data": "x"}, None, "main", None,
     "client-certificate-data is not base64"),
    ({"client-certificate": "missing.crt", "client-key": "k"}, None, "main", None, "cannot read"),
])
def test_kubeconfig_errors_name_the_file_the_context_and_the_field(tmp_path, user, cluster, current, context, message):
    path = write_kubeconfig(tmp_path, user, cluster, current=current)
    with pytest.raises(_kube_client.KubeConfigError, match=message):
        _kube_client.load_connection(path, context)


def test_an_unreadable_kubeconfig_is_named(tmp_path):
    with pytest.raises(_kube_client.KubeConfigError, match="cannot read kubeconfig .*nowhere"):
        _kube_client.load_connection(str(tmp_path / "nowhere"))


def test_exec_plugins_go_through_the_kubernetes_library(tmp_path, monkeypatch):
    path = write_kubeconfig(tmp_path, {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": "aws"}})
    seen = []
    monkeypatch.setattr(_kube_client, "_load_with_kubernetes", lambda p, c: seen.append((p, c)) or "delegated")
    assert _kube_client.load_connection(path) == "delegated"
    assert seen == [(path, "main")]


def test_paths_of_namespaced_and_cluster_scoped_kinds():
    secret = _kube_client.Resource("v1", "Secret", "secrets", True)
    crd = _kube_client.Resource("apiextensions.k8s.io/v1", "CustomResourceDefinition",
                                "customresourcedefinitions", False)
    assert secret.path("a b", "ns") == "/api/v1/namespaces/ns/secrets/a%20b"
    assert secret.path(None, None) == "/api/v1/secrets"
    assert crd.path("x.example.com", "ignored") == "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x.example.com"


class _Discovery(_kube_client.ApiClient):
    """Discovery answered from a table; counts the group-version requests."""

    def __init__(self, served):
        self.served, self.asked = served, []
        self._groups = {}
        import threading
        self._lock = threading.Lock()

    def request(self, method, path, body=None, query=None, headers=None, content_type="application/json"):
        self.asked.append(path)
        if path not in self.served:
            raise _kube_client.NotFoundError(404, "Not Found", "")
        return {"resources": self.served[path]}


def test_discovery_asks_once_per_group_version_and_skips_subresources():
    api = _Discovery({"/api/v1": [{"kind": "Secret", "name": "secrets", "namespaced": True},
                                  {"kind": "TokenRequest", "name": "serviceaccounts/token", "namespaced": True},
                                  {"kind": "Namespace", "name": "namespaces", "namespaced": False}]})
    assert api.resource("v1", "Secret").namespaced
    assert not api.resource("v1", "Namespace").namespaced
    assert api.asked == ["/api/v1"]
    with pytest.raises(_kube_client.ResourceNotFoundError):
        api.resource("v1", "TokenRequest")
    with pytest.raises(_kube_client.ResourceNotFoundError):
        api.resource("argoproj.io/v1alpha1", "Application")
    api.served["/apis/argoproj.io/v1alpha1"] = [{"kind": "Application", "name": "applications", "namespaced": True}]
    api.forget("argoproj.io/v1alpha1")
    assert api.resource("argoproj.io/v1alpha1", "Application").name == "applications"


def test_the_modules_start_without_importing_the_kubernetes_library():
    # The kubernetes package costs more to import than a converged call's requests; only exec plugins need it.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(_kube_client.__file__)))))
    code = ("import sys; from ansible_collections.krci.platform.plugins.module_utils import _kube; "
            "print(sorted(m for m in sys.modules if m == 'kubernetes' or m.startswith('kubernetes.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(root))))
    assert out.stdout.strip() == "[]"
