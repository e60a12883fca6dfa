"""The converged separated platform as a security reviewer examines it, with third-party clients only
(the kubernetes Python client, requests, the real gpg elsewhere): who can read every Secret of every
cluster, whether any secret value shows outside a Secret, who holds Vault's key shares and admin
credential, and whether every OIDC consumer trusts the issuer with exactly the CA the collection wrote.

Issue #14: items 4, 5 and 7, and the secret scan and RBAC listing it asks to keep.
"""

import base64
import json
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import yaml

from conftest import kube_client, run
from vault_client import Vault, admin_token, credential_path, key_shares

pytestmark = pytest.mark.sandbox("separated")

GROUPS = ("oidc:krci-administrators", "oidc:krci-developers", "oidc:krci-viewers")
# Namespaces where the access table lets developers edit (and so read Secrets): dev and test.
DEVELOPER_NAMESPACES = {"krci-dev", "krci-test"}
SECRETISH = re.compile(r"token|password|secret|key|credential|\.json$", re.IGNORECASE)


@pytest.fixture(scope="module")
def converged(sandbox_pool, tools_env):
    return sandbox_pool.converged("separated", tools_env)


# --- third-party views of a cluster ------------------------------------------------------------------

def raw_session(cluster, directory):
    """requests with the kubeconfig's client certificate: to list every kind the API server serves."""
    config = yaml.safe_load(Path(cluster["kubeconfig"]).read_text())
    user = config["users"][0]["user"]
    paths = []
    for field in ("certificate-authority-data", "client-certificate-data", "client-key-data"):
        data = config["clusters"][0]["cluster"][field] if field.startswith("certificate-authority") else user[field]
        path = Path(directory) / ("%s-%s" % (cluster["context"], field))
        path.write_bytes(base64.b64decode(data))
        paths.append(str(path))
    session = requests.Session()
    session.trust_env = False
    session.verify, session.cert = paths[0], (paths[1], paths[2])
    return session


def every_listable_kind(session, api_url):
    """(path, resource) of every kind the API server lists, in its preferred version."""
    kinds = []
    for resource in session.get(api_url + "/api/v1", timeout=10).json()["resources"]:
        kinds.append(("/api/v1", resource))
    for group in session.get(api_url + "/apis", timeout=10).json()["groups"]:
        base = "/apis/" + group["preferredVersion"]["groupVersion"]
        for resource in session.get(api_url + base, timeout=10).json()["resources"]:
            kinds.append((base, resource))
    return [(base, r) for base, r in kinds if "list" in r.get("verbs", []) and "/" not in r["name"]]


def can(authorization, subject, verb, namespace):
    kind, name = subject
    if kind == "Group":
        user, groups = "krci-test:reviewer", [name]
    else:
        account_namespace, account = name.split("/")
        user = "system:serviceaccount:%s:%s" % (account_namespace, account)
        groups = ["system:serviceaccounts", "system:serviceaccounts:" + account_namespace, "system:authenticated"]
    review = authorization.create_subject_access_review({
        "apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
        "spec": {"user": user, "groups": groups,
                 "resourceAttributes": {"verb": verb, "resource": "secrets", "namespace": namespace}}})
    return review.status.allowed


def secret_readers(state, cluster_name):
    """{namespace: sorted readers} for every namespace that holds a Secret: each Keycloak group and every
    ServiceAccount of the cluster, asked with a SubjectAccessReview for get and list of Secrets there."""
    client, api = kube_client(state["clusters"][cluster_name])
    core = client.CoreV1Api(api)
    authorization = client.AuthorizationV1Api(api)
    namespaces = sorted({s.metadata.namespace for s in core.list_secret_for_all_namespaces().items})
    subjects = [("Group", g) for g in GROUPS] + sorted(
        ("ServiceAccount", "%s/%s" % (a.metadata.namespace, a.metadata.name))
        for a in core.list_service_account_for_all_namespaces().items)
    questions = [(ns, subject, verb) for ns in namespaces for subject in subjects for verb in ("get", "list")]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda q: can(authorization, q[1], q[2], q[0]), questions))
    table = {ns: set() for ns in namespaces}
    for (ns, subject, _verb), allowed in zip(questions, answers):
        if allowed:
            table[ns].add("%s %s" % subject)
    return {ns: sorted(readers) for ns, readers in table.items()}


# --- the tests -------------------------------------------------------------------------------------

def test_no_converging_run_prints_a_warning(converged):
    """#14 item 7: a clean run prints no warning (the first run was at -vvv, the second a plain one)."""
    _, runs = converged
    for result in runs:
        text = result.stdout + result.stderr
        assert "[WARNING]" not in text, [line for line in text.splitlines() if "[WARNING]" in line]
        assert "[DEPRECATION WARNING]" not in text


def test_who_can_read_every_secret_on_every_cluster(converged, tmp_path):
    """The RBAC listing: per cluster and namespace, who can read its Secrets. Administrators everywhere;
    developers in dev and test only (the access table); viewers and the automation nowhere; and nobody
    reads the key namespaces who cannot read every namespace's Secrets (no binding of their own)."""
    state, _ = converged
    listing = {}
    for cluster in sorted(state["clusters"]):
        table = secret_readers(state, cluster)
        listing[cluster] = table
        everywhere = set.intersection(*(set(r) for r in table.values()))
        for namespace, readers in table.items():
            where = "%s/%s" % (cluster, namespace)
            assert "Group oidc:krci-administrators" in readers, where
            assert "Group oidc:krci-viewers" not in readers, where
            assert ("Group oidc:krci-developers" in readers) == (namespace in DEVELOPER_NAMESPACES), where
            assert "ServiceAccount krci-system/krci-automation" not in readers, where
        for namespace in ("vault-keys", "vault-admin"):
            if namespace in table:
                assert set(table[namespace]) == everywhere, (cluster, namespace, set(table[namespace]) - everywhere)
    assert "vault-keys" in listing["platform"]
    (tmp_path / "secret-readers.json").write_text(json.dumps(listing, indent=2))


def test_key_shares_readers_are_listed_and_one_reader_of_both_is_warned_about(converged, tools_env, tmp_path):
    """#14 item 5: the run lists who can read the shares (the report), the key namespace has no RoleBinding,
    a reader added by hand is named, and a principal that could read both shares and credential is warned about."""
    state, _ = converged
    report = (Path(state["inventory"]).parent / "reports" / "report.md").read_text()
    rows = dict(re.findall(r"^\| vault \| (\w+) \| (.*) \|$", report, re.MULTILINE))
    assert rows["key_shares_at"].startswith("Secret vault-keys/vault-init on ")
    assert rows["key_shares_encrypted"] == "False" and rows["custody_warnings"] == "-"
    assert rows["admin_credential_at"] == "file %s" % credential_path(state)
    assert "Group oidc:krci-administrators" in rows["key_shares_readers"]
    assert "oidc:krci-developers" not in rows["key_shares_readers"]
    # What the module listed is what the cluster answers to a third party (groups and ServiceAccounts).
    independent = secret_readers(state, "platform")["vault-keys"]
    listed = [r.strip() for r in rows["key_shares_readers"].split(",")]
    assert sorted(r for r in listed if r.startswith(("Group oidc:", "ServiceAccount "))) == independent

    client, api = kube_client(state["clusters"]["platform"])
    rbac = client.RbacAuthorizationV1Api(api)
    core = client.CoreV1Api(api)
    assert rbac.list_namespaced_role_binding("vault-keys").items == []
    # A reader added by hand: a Role and RoleBinding in the key namespace for a ServiceAccount of default.
    core.create_namespaced_service_account("default", {"metadata": {"name": "peeker"}})
    rbac.create_namespaced_role("vault-keys", {"metadata": {"name": "peek"}, "rules": [
        {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["vault-init"]}]})
    rbac.create_namespaced_role_binding("vault-keys", {
        "metadata": {"name": "peek"}, "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "peek"},
        "subjects": [{"kind": "ServiceAccount", "name": "peeker", "namespace": "default"}]})
    try:
        platform = state["clusters"]["platform"]
        store = {"type": "kubernetes", "kubeconfig": platform["kubeconfig"], "context": platform["context"]}
        # A credential kept in another Secret of the same cluster: the administrators could read both.
        play = tmp_path / "custody.yml"
        out = tmp_path / "custody.json"
        play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
            {"krci.platform.vault_key_custody_info": {
                "key_source": store, "credential_source": dict(store, namespace="vault-admin")}, "register": "c"},
            {"ansible.builtin.copy": {"content": "{{ c.custody | to_json }}", "dest": str(out), "mode": "0600"}}]}]))
        result = run(["ansible-playbook", str(play)],
                     dict(tools_env, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false"))
        assert result.returncode == 0, result.stdout[-3000:]
        custody = json.loads(out.read_text())
        assert "ServiceAccount default/peeker" in custody["keys_readers"]
        assert "ServiceAccount default/peeker" not in custody["credential_readers"]
        assert "Group oidc:krci-administrators" in custody["shared_readers"]
        assert custody["automation"] not in custody["shared_readers"]
        flat = " ".join(result.stderr.split())
        assert "[WARNING]" in flat and "Group oidc:krci-administrators" in flat and "can read both the key shares" in flat
        for value in key_shares(state)["keys"]:
            assert value not in result.stdout + result.stderr
    finally:
        rbac.delete_namespaced_role_binding("peek", "vault-keys")
        rbac.delete_namespaced_role("peek", "vault-keys")
        core.delete_namespaced_service_account("peeker", "default")


def secret_values(state):
    """Every value of every Secret on every cluster that looks secret (by its key's name), and the nested
    values of JSON documents (Vault's key document, Argo CD's cluster config); certificates, URLs and
    short values left out. Helm's release records are left out (they hold the charts' own objects)."""
    values = set()

    def add(key, value):
        if isinstance(value, dict):
            for inner_key, inner in value.items():
                add(inner_key, inner)
        elif isinstance(value, list):
            for inner in value:
                add(key, inner)
        elif isinstance(value, str) and SECRETISH.search(key or "") and len(value) >= 12 \
                and not value.startswith(("-----BEGIN CERTIFICATE", "http://", "https://")) \
                and "cert" not in (key or "").lower() and not key.lower().startswith("ca"):
            values.add(value)

    for cluster in state["clusters"].values():
        client, api = kube_client(cluster)
        for secret in client.CoreV1Api(api).list_secret_for_all_namespaces().items:
            if secret.type == "helm.sh/release.v1":
                continue
            for key, data in (secret.data or {}).items():
                text = base64.b64decode(data).decode("utf-8", "replace")
                try:
                    add(key, json.loads(text))
                except ValueError:
                    pass
                add(key, text)
    add("credential", json.loads(credential_path(state).read_text()))
    return values


def test_no_secret_value_shows_outside_a_secret(converged, tmp_path):
    """The secret scan: every object of every kind on every cluster but Secrets (ConfigMaps, workloads,
    Argo CD's Applications and projects, stores, annotations), the run's output at -vvv and the report
    files hold no value of any Secret, nor Vault's shares and admin credential."""
    state, runs = converged
    values = secret_values(state)
    assert len(values) > 10 and any(v in values for v in key_shares(state)["keys"])
    scanned = 0
    with tempfile.TemporaryDirectory() as directory:
        for name, cluster in sorted(state["clusters"].items()):
            session = raw_session(cluster, directory)
            for base, resource in every_listable_kind(session, cluster["api_url"]):
                if resource["name"] in ("secrets", "events") or resource["kind"] == "Event":
                    continue
                text = session.get("%s%s/%s" % (cluster["api_url"], base, resource["name"]), timeout=30).text
                scanned += 1
                leaked = [v[:6] + "…" for v in values if v in text]
                assert not leaked, "%s: %s %s holds secret values %s" % (name, base, resource["name"], leaked)
    assert scanned > 100
    reports = Path(state["inventory"]).parent / "reports"
    outputs = [r.stdout + r.stderr for r in runs] + [p.read_text() for p in reports.glob("*.md")]
    outputs += [p.read_text() for p in reports.glob("*.yaml")]
    for text in outputs:
        assert not [v for v in values if v in text]


def test_every_oidc_consumer_fetches_the_issuer_with_exactly_the_ca_the_collection_wrote(converged, tmp_path):
    """#14 item 4 (Argo CD's part is test_argocd's): Vault's people auth mount and the API servers'
    authentication configuration carry the issuer's CA; with exactly that, discovery is fetched, and
    without it (the system's CAs) it fails."""
    state, _ = converged
    session = requests.Session()
    session.trust_env = False
    issuer = "%s/realms/krci" % state["keycloak"]["url"]

    def fetch_with(ca_pem, name):
        path = tmp_path / ("%s.pem" % name)
        path.write_text(ca_pem)
        reply = session.get(issuer + "/.well-known/openid-configuration", verify=str(path), timeout=10)
        assert reply.status_code == 200 and reply.json()["issuer"] == issuer, name
        with pytest.raises(requests.exceptions.SSLError):
            session.get(issuer + "/.well-known/openid-configuration", verify=True, timeout=10)

    config = Vault(state).call("GET", "auth/keycloak/config", admin_token(state))
    assert config.status_code == 200, config.text
    data = config.json()["data"]
    assert data["oidc_discovery_url"] == issuer and "BEGIN CERTIFICATE" in data["oidc_discovery_ca_pem"]
    fetch_with(data["oidc_discovery_ca_pem"], "vault")

    written = yaml.safe_load((Path(state["inventory"]).parent / "reports" / "api-server-authentication.yaml").read_text())
    trusted = written["jwt"][0]["issuer"]
    assert trusted["url"] == issuer and trusted["audiences"] == ["kubernetes"]
    fetch_with(trusted["certificateAuthority"], "api-server")
    # The sandbox's API servers run with this very authenticator (their OIDC logins are test_baseline's):
    # what the collection wrote is what they accept tokens with.
    def same(jwt):  # a CA read with lookup('file') has lost its final newline
        return [dict(a, issuer=dict(a["issuer"], certificateAuthority=a["issuer"]["certificateAuthority"].strip()))
                for a in jwt]

    for cluster in state["clusters"].values():
        running = yaml.safe_load((Path(cluster["kubeconfig"]).parent / "authentication-config.yaml").read_text())
        assert same(running["jwt"]) == same(written["jwt"]), cluster["context"]
