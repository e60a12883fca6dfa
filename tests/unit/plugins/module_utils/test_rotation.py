# -*- coding: utf-8 -*-
"""Rotation: the plan (what a run rotates, bad input named), and each rotation's order against fakes that keep state
the way the servers do: the new credential is kept before the old stops working, a re-run with the same rotation
finishes what was left and changes nothing else."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

import pytest

from ansible_collections.krci.platform.plugins.module_utils import _keycloak_rotation, _rotation, _token_secrets, _vault_rotation
from ansible_collections.krci.platform.plugins.module_utils._keycloak_client import KeycloakError
from ansible_collections.krci.platform.plugins.module_utils._kube import KubeError
from ansible_collections.krci.platform.plugins.module_utils._vault_client import VaultError

PLATFORM = {"hub_cluster": "platform", "push_targets": ["workloads"], "pull_clusters": ["production"], "clusters": {
    "platform": {"client_secrets": [{"client": "argocd-hub"}, {"client": "portal"}, {"client": "vault"}]},
    "workloads": {"client_secrets": []},
    "production": {"client_secrets": [{"client": "argocd-production"}]}}}
EVERYTHING = {"rotate": list(_rotation.CREDENTIALS), "rotation_id": "2026-12-04",
              "services": {"keycloak": True, "vault": True}, "keycloak_admin": {"credentials_file": "/etc/krci/kc.json"}}


# --- the plan ------------------------------------------------------------------------------------------------

def test_the_plan_names_every_client_and_push_target_and_where_the_admin_password_is_kept():
    plan = _rotation.plan(PLATFORM, EVERYTHING)
    assert plan["errors"] == []
    assert plan["rotate"] == list(_rotation.CREDENTIALS)
    assert plan["keycloak_clients"] == ["argocd-hub", "argocd-production", "portal", "vault"]
    assert plan["push_targets"] == ["workloads"]
    assert plan["clusters"]["workloads"] == {"push_token": True, "client_secrets": False}
    assert plan["clusters"]["production"] == {"push_token": False, "client_secrets": True}
    assert plan["vault"] == {"admin_secret_id": True, "unseal_keys": True}
    assert plan["keycloak_admin"] == {"type": "file", "path": "/etc/krci/kc.json"}


def test_tags_narrow_the_list_and_a_pull_cluster_never_gets_a_token():
    plan = _rotation.plan(PLATFORM, dict(EVERYTHING, tags=["argocd_push_tokens"]))
    assert plan["errors"] == [] and plan["rotate"] == ["argocd_push_tokens"]
    assert plan["keycloak_clients"] == [] and plan["keycloak_admin"] is None
    assert not plan["clusters"]["production"]["push_token"]
    plan = _rotation.plan(PLATFORM, dict(EVERYTHING, push_targets=["workloads", "staging"]))
    assert plan["push_targets"] == ["staging", "workloads"]


@pytest.mark.parametrize("changes,message", [
    ({"rotate": ["keycloak_client_secrets", "ssh_host_keys"]},
     "rotate: ssh_host_keys is not a credential this collection rotates; known: keycloak_client_secrets, "
     "argocd_push_tokens, vault_admin_secret_id, vault_unseal_keys, keycloak_admin"),
    ({"rotate": []}, "rotate: a non-empty list of"),
    ({"rotation_id": "Bad_ID"}, "rotate_id: 'Bad_ID' must be 1 to 32 lowercase letters"),
    ({"rotation_id": "x" * 33}, "rotate_id: 'xxxx"),
    ({"tags": ["vault_root_token"]}, "--tags: vault_root_token is not a credential this collection rotates"),
    ({"rotate": ["keycloak_admin"], "tags": ["vault_unseal_keys"]},
     "--tags vault_unseal_keys and rotate keycloak_admin have no credential in common"),
    ({"services": {"keycloak": True}}, "rotate: vault_admin_secret_id, but this inventory configures no Vault"),
    ({"keycloak_admin": {"from_environment": True, "credentials_file": "/x"}},
     "rotate: keycloak_admin, but the admin password comes from KEYCLOAK_ADMIN_PASSWORD"),
    ({"keycloak_admin": {}}, "rotate: keycloak_admin, but no admin password is configured"),
])
def test_bad_input_is_named(changes, message):
    errors = _rotation.plan(PLATFORM, dict(EVERYTHING, **changes))["errors"]
    assert any(message in e for e in errors), errors


def test_an_installed_keycloak_keeps_its_admin_in_the_bootstrap_secret():
    plan = _rotation.plan(PLATFORM, dict(EVERYTHING, keycloak_admin={"installed": True, "namespace": "iam"}))
    assert plan["keycloak_admin"] == {"type": "secret", "namespace": "iam", "name": "keycloak-bootstrap-admin",
                                      "username": "bootstrap-admin"}


def test_a_comma_separated_string_is_a_list():
    assert _rotation.plan(PLATFORM, dict(EVERYTHING, rotate="vault_unseal_keys, keycloak_admin"))["rotate"] == [
        "vault_unseal_keys", "keycloak_admin"]


# --- Keycloak client secrets ---------------------------------------------------------------------------------

class FakeKeycloak:
    def __init__(self, clients):
        self.clients = dict((c["clientId"], dict(c, id="id-" + c["clientId"], secret="old-" + c["clientId"]))
                            for c in clients)
        self.puts = []

    def get(self, path, what, params=None):
        assert path == "/krci/clients"
        found = self.clients.get(params["clientId"])
        return [dict(found)] if found else []

    def put(self, path, body, what):
        self.puts.append(body["clientId"])
        self.clients[body["clientId"]] = body


def test_client_secrets_rotate_once_per_rotation_and_a_missing_client_is_named():
    keycloak = FakeKeycloak([{"clientId": "argocd-hub", "attributes": {"pkce": "S256"}}, {"clientId": "vault"}])
    rotated, unchanged = _keycloak_rotation.rotate_client_secrets(keycloak, "krci", ["argocd-hub", "vault"], "r1",
                                                                  True)
    assert rotated == ["argocd-hub", "vault"] and keycloak.puts == []  # check mode writes nothing
    rotated, unchanged = _keycloak_rotation.rotate_client_secrets(keycloak, "krci", ["argocd-hub", "vault"], "r1",
                                                                  False)
    assert rotated == ["argocd-hub", "vault"] and unchanged == []
    hub = keycloak.clients["argocd-hub"]
    assert hub["secret"] != "old-argocd-hub" and len(hub["secret"]) == 32
    assert hub["attributes"] == {"pkce": "S256", "krci.platform/rotation": "r1"}  # the others kept
    assert _keycloak_rotation.rotate_client_secrets(keycloak, "krci", ["argocd-hub", "vault"], "r1", False) == (
        [], ["argocd-hub", "vault"])
    with pytest.raises(KeycloakError, match="client portal of realm krci does not exist; converge the platform first"):
        _keycloak_rotation.rotate_client_secrets(keycloak, "krci", ["portal"], "r2", False)
    keycloak.clients["kubernetes"] = {"clientId": "kubernetes", "publicClient": True, "id": "k"}
    with pytest.raises(KeycloakError, match="public: it has no secret"):
        _keycloak_rotation.rotate_client_secrets(keycloak, "krci", ["kubernetes"], "r2", False)


# --- the Keycloak admin's password ---------------------------------------------------------------------------

class FakeAdminKeycloak:
    """The master realm's admin: which password logs in; the admin API resets it."""

    def __init__(self, password, fail_reset=False):
        self.password = password
        self.fail_reset = fail_reset


def patch_keycloak(monkeypatch, server):
    monkeypatch.setattr(_keycloak_rotation, "_logs_in", lambda url, user, password, verify, timeout:
                        password == server.password)

    class Client:
        def __init__(self, url, realm, client_id, username, password, secret, verify=True, timeout=30):
            assert password == server.password

        def get(self, path, what, params=None):
            return [{"id": "u1", "username": params["username"]}]

        def put(self, path, body, what):
            if server.fail_reset:
                raise KeycloakError("HTTP 503", 503)
            server.password = body["value"]

    monkeypatch.setattr(_keycloak_rotation, "KeycloakClient", Client)


def test_the_admin_password_is_kept_as_next_before_keycloak_takes_it(monkeypatch, tmp_path):
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"keycloak_admin_username": "admin", "keycloak_admin_password": "old", "other": 1}))
    server = FakeAdminKeycloak("old", fail_reset=True)
    patch_keycloak(monkeypatch, server)
    store = _keycloak_rotation.FilePassword(str(path))
    with pytest.raises(KeycloakError):
        _keycloak_rotation.rotate_admin_password("https://kc", store, "r1", False)
    kept = json.loads(path.read_text())
    assert kept["keycloak_admin_password"] == "old" and kept["keycloak_admin_password_next"]  # old still works
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    server.fail_reset = False
    changed, info = _keycloak_rotation.rotate_admin_password("https://kc", store, "r1", False)
    kept = json.loads(path.read_text())
    assert changed and info["rotated"] and kept["keycloak_admin_password"] == server.password != "old"
    assert "keycloak_admin_password_next" not in kept and kept["keycloak_admin_rotation"] == "r1" and kept["other"] == 1
    assert _keycloak_rotation.rotate_admin_password("https://kc", store, "r1", False)[0] is False


def test_a_next_password_keycloak_took_is_promoted_by_the_next_run(monkeypatch, tmp_path):
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"keycloak_admin_username": "admin", "keycloak_admin_password": "old",
                                "keycloak_admin_password_next": "new", "keycloak_admin_next_rotation": "r1"}))
    patch_keycloak(monkeypatch, FakeAdminKeycloak("new"))
    changed, _info = _keycloak_rotation.rotate_admin_password("https://kc", _keycloak_rotation.FilePassword(str(path)),
                                                              "r1", False)
    kept = json.loads(path.read_text())
    assert changed and kept["keycloak_admin_password"] == "new" and kept["keycloak_admin_rotation"] == "r1"


def test_a_stored_password_that_does_not_log_in_is_named(monkeypatch, tmp_path):
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"keycloak_admin_username": "admin", "keycloak_admin_password": "stale"}))
    patch_keycloak(monkeypatch, FakeAdminKeycloak("other"))
    with pytest.raises(KeycloakError, match="the admin password in file .* does not log in as admin"):
        _keycloak_rotation.rotate_admin_password("https://kc", _keycloak_rotation.FilePassword(str(path)), "r1", False)


# --- the admin AppRole's secret ID ---------------------------------------------------------------------------

class MemoryStore:
    def __init__(self, data):
        self.data = json.loads(json.dumps(data))
        self.writes = []

    def describe(self):
        return "memory"

    def read(self):
        return json.loads(json.dumps(self.data))

    def write(self, data):
        self.data = json.loads(json.dumps(data))
        self.writes.append(self.read())


class FakeAppRole:
    def __init__(self):
        self.url = "https://bao.test"
        self.token = None
        self.secret_ids = {"s-old": "acc-old"}
        self.fail_destroy = False

    def call(self, method, path, what, body=None, ok=None):
        if path == "auth/approle/login":
            if body["secret_id"] not in self.secret_ids:
                raise VaultError("HTTP 400: invalid secret id", 400)
            return {"auth": {"client_token": "t"}}
        if path.endswith("/secret-id/lookup"):
            return {"data": {"secret_id_accessor": self.secret_ids[body["secret_id"]]}}
        if path.endswith("/secret-id"):
            new = "s-%d" % len(self.secret_ids)
            self.secret_ids[new] = "acc-" + new
            return {"data": {"secret_id": new, "secret_id_accessor": "acc-" + new}}
        if path.endswith("/secret-id-accessor/destroy"):
            if self.fail_destroy:
                raise VaultError("HTTP 503", 503)
            self.secret_ids = dict((k, v) for k, v in self.secret_ids.items() if v != body["secret_id_accessor"])
            return {}
        raise AssertionError(path)


def test_the_new_secret_id_is_stored_before_the_old_is_destroyed_and_a_rerun_destroys_a_leftover():
    vault = FakeAppRole()
    store = MemoryStore({"admin": {"mount": "approle", "role": "krci-platform-admin", "role_id": "r", "secret_id": "s-old"}})
    vault.fail_destroy = True
    with pytest.raises(VaultError):
        _vault_rotation.rotate_secret_id(vault, store, "r1", False)
    assert store.data["admin"]["secret_id"] != "s-old" and store.data["admin"]["retire"] == "acc-old"
    assert "s-old" in vault.secret_ids  # the old one still logs in
    vault.fail_destroy = False
    changed, info = _vault_rotation.rotate_secret_id(vault, store, "r1", False)
    assert changed and not info["rotated"] and "s-old" not in vault.secret_ids and "retire" not in store.data["admin"]
    assert _vault_rotation.rotate_secret_id(vault, store, "r1", False)[0] is False
    changed, info = _vault_rotation.rotate_secret_id(vault, store, "r2", True)
    assert changed and info["rotated"] and store.data["admin"]["rotation"] == "r1"  # check mode wrote nothing


# --- the unseal keys -----------------------------------------------------------------------------------------

class FakeRekey:
    """Key rotation with verification: new keys take effect only once verified; cancelling keeps the old ones.
    OpenBao's sys/rotate/root (answers wrapped in data), or HashiCorp Vault's sys/rekey (``openbao=False``)."""

    def __init__(self, keys, threshold, openbao=True):
        self.url = "https://bao.test"
        self.token = None
        self.keys, self.threshold = list(keys), threshold
        self.rekey = None
        self.fail_verify = False
        self.generation = 0
        self.prefix = "sys/rotate/root" if openbao else "sys/rekey"
        self.paths = set()

    def seal_status(self):
        return {"sealed": False, "type": "shamir", "t": self.threshold}

    def call(self, method, path, what, body=None, ok=None):
        self.paths.add(path)
        if not path.startswith(self.prefix + "/"):
            raise VaultError("HTTP 404: unsupported path", 404)
        wrap = (lambda r: {"data": r}) if self.prefix == "sys/rotate/root" else (lambda r: r)
        return wrap(self._call(method, path[len(self.prefix):], body))

    def _call(self, method, path, body):
        if path == "/init":
            if method == "GET":
                return {"started": self.rekey is not None}
            if method == "DELETE":
                self.rekey = None
                return {}
            self.rekey = {"nonce": "n", "given": [], "new": None, "verified": []}
            return {"nonce": "n"}
        if path == "/update":
            self.rekey["given"].append(body["key"])
            if len(self.rekey["given"]) < self.threshold:
                return {"progress": len(self.rekey["given"])}
            if not set(self.rekey["given"]) <= set(self.keys):
                self.rekey = None
                raise VaultError("HTTP 400: failed to validate the key shares", 400)
            self.generation += 1
            self.rekey["new"] = ["g%d-%d" % (self.generation, i) for i in range(len(self.keys))]
            return {"keys": list(self.rekey["new"]), "keys_base64": list(self.rekey["new"]),
                    "verification_required": True, "verification_nonce": "v"}
        if path == "/verify":
            if self.fail_verify:
                raise VaultError("HTTP 503", 503)
            self.rekey["verified"].append(body["key"])
            if len(self.rekey["verified"]) < self.threshold:
                return {"progress": len(self.rekey["verified"])}
            self.keys, self.rekey = self.rekey["new"], None
            return {"complete": True}
        raise AssertionError(path)


def test_rekey_keeps_the_new_shares_as_pending_until_verified_and_the_next_run_keeps_the_set_that_works():
    vault = FakeRekey(["k1", "k2", "k3"], 2)
    store = MemoryStore({"keys": ["k1", "k2", "k3"], "keys_base64": [], "shares": 3, "threshold": 2, "seal_type": "shamir"})
    vault.fail_verify = True
    with pytest.raises(VaultError, match="kept in memory as pending"):
        _vault_rotation.rekey(vault, store, "r1", False)
    assert "sys/rekey/init" not in vault.paths  # OpenBao: the authenticated endpoints
    assert store.data["keys"] == ["k1", "k2", "k3"] and store.data["pending"]["keys"]
    assert vault.keys == ["k1", "k2", "k3"]  # not verified: the old ones still unseal
    vault.fail_verify = False
    changed, info = _vault_rotation.rekey(vault, store, "r1", False)
    assert changed and info["rotated"] and "pending" not in store.data
    assert store.data["keys"] == vault.keys and vault.keys[0].startswith("g") and store.data["rotation"] == "r1"
    assert _vault_rotation.rekey(vault, store, "r1", False)[0] is False


def test_hashicorp_vault_is_rekeyed_through_sys_rekey():
    vault = FakeRekey(["k1", "k2"], 2, openbao=False)
    store = MemoryStore({"keys": ["k1", "k2"], "shares": 2, "threshold": 2})
    changed, info = _vault_rotation.rekey(vault, store, "r1", False)
    assert changed and info["endpoint"] == "sys/rekey" and store.data["keys"] == vault.keys != ["k1", "k2"]


def test_pending_shares_the_server_took_are_promoted_without_a_new_rekey():
    vault = FakeRekey(["n1", "n2"], 2)  # the verification went through, the store was not updated
    store = MemoryStore({"keys": ["o1", "o2"], "shares": 2, "threshold": 2, "pending": {"keys": ["n1", "n2"]},
                         "pending_rotation": "r1"})
    changed, info = _vault_rotation.rekey(vault, store, "r1", False)
    assert changed and not info["rotated"] and store.data["keys"] == ["n1", "n2"] and store.data["rotation"] == "r1"
    assert vault.keys == ["n1", "n2"]


def test_pgp_shares_and_a_sealed_server_are_refused_before_any_rekey():
    vault = FakeRekey(["k1"], 1)
    with pytest.raises(VaultError, match="PGP-encrypted, one per operator"):
        _vault_rotation.rekey(vault, MemoryStore({"keys": ["x"], "pgp_encrypted": True, "threshold": 1}), "r1", False)
    vault.seal_status = lambda: {"sealed": True}
    with pytest.raises(VaultError, match="is sealed; unseal it first"):
        _vault_rotation.rekey(vault, MemoryStore({"keys": ["k1"], "threshold": 1, "shares": 1}), "r1", False)


# --- push targets' token Secrets -----------------------------------------------------------------------------

class FakeKube:
    api_url = "https://workloads.test:6443"

    def __init__(self):
        self.objects = {("ServiceAccount", "argocd-manager"): {"metadata": {"name": "argocd-manager"}},
                        ("Secret", "argocd-manager"): {"type": _token_secrets.TOKEN_TYPE, "data": {"token": "b2xk"},
                                                       "metadata": {"name": "argocd-manager", "annotations": {
                                                           _token_secrets.ACCOUNT_ANNOTATION: "argocd-manager"}}}}
        self.deleted = []

    class Resource:
        def __init__(self, kind):
            self.kind = kind

    def resource(self, api_version, kind):
        return self.Resource(kind)

    def get(self, resource, name, namespace):
        return json.loads(json.dumps(self.objects.get((resource.kind, name)))) if (resource.kind, name) in self.objects \
            else None

    def apply(self, resource, body, field_manager, force, dry_run):
        key = (resource.kind, body["metadata"]["name"])
        current = self.objects.setdefault(key, {"metadata": {"name": key[1]}})
        current["metadata"].setdefault("annotations", {}).update(body["metadata"].get("annotations") or {})
        if resource.kind == "Secret":
            current.update(type=body["type"], data={"token": "bmV3"})  # the token controller fills it
        return current

    def list(self, resource, namespace, selector):
        return [o for (kind, _name), o in self.objects.items() if kind == resource.kind]

    def delete(self, resource, name, namespace):
        self.deleted.append(name)
        return self.objects.pop((resource.kind, name), None) is not None


def test_a_new_token_secret_becomes_current_and_the_old_is_retired_only_when_asked():
    kube = FakeKube()
    assert _token_secrets.issue(kube, "argocd-manager", "argocd-manager", "r1", True) == (True, "argocd-manager-r1")
    assert ("Secret", "argocd-manager-r1") not in kube.objects  # check mode
    assert _token_secrets.issue(kube, "argocd-manager", "argocd-manager", "r1", False) == (True, "argocd-manager-r1")
    account = kube.objects[("ServiceAccount", "argocd-manager")]
    assert _token_secrets.current_secret_name(account) == "argocd-manager-r1"
    assert ("Secret", "argocd-manager") in kube.objects  # the old token still works
    assert _token_secrets.issue(kube, "argocd-manager", "argocd-manager", "r1", False) == (False, "argocd-manager-r1")
    assert _token_secrets.retire(kube, "argocd-manager", "argocd-manager", True) == ["argocd-manager"]
    assert kube.deleted == []
    assert _token_secrets.retire(kube, "argocd-manager", "argocd-manager", False) == ["argocd-manager"]
    assert _token_secrets.retire(kube, "argocd-manager", "argocd-manager", False) == []


def test_a_missing_service_account_is_named_with_the_fix():
    kube = FakeKube()
    kube.objects.pop(("ServiceAccount", "argocd-manager"))
    with pytest.raises(KubeError, match="ServiceAccount argocd-manager/argocd-manager does not exist on "
                                        "https://workloads.test:6443; converge the cluster first"):
        _token_secrets.issue(kube, "argocd-manager", "argocd-manager", "r1", False)


def test_an_installed_keycloak_s_bootstrap_secret_keeps_the_password_and_drops_next():
    import base64

    class Kube:
        api_url = "https://platform.test:6443"

        def __init__(self):
            self.secret = {"data": {"username": base64.b64encode(b"bootstrap-admin").decode(),
                                    "password": base64.b64encode(b"old").decode()}}

        def resource(self, api_version, kind):
            return kind

        def get(self, resource, name, namespace):
            return json.loads(json.dumps(self.secret))

        def merge_patch(self, resource, name, namespace, patch):
            for key, value in patch["data"].items():
                if value is None:
                    self.secret["data"].pop(key, None)
                else:
                    self.secret["data"][key] = value

    kube = Kube()
    store = _keycloak_rotation.SecretPassword(kube, "keycloak", "keycloak-bootstrap-admin", "bootstrap-admin")
    doc = store.read()
    assert (doc["username"], doc["password"], doc["next"]) == ("bootstrap-admin", "old", None)
    store.write(dict(doc, next="new", next_rotation="r1"))
    assert base64.b64decode(kube.secret["data"]["next-password"]) == b"new"
    store.write(dict(store.read(), password="new", rotation="r1", next=None, next_rotation=None))
    assert store.read()["password"] == "new" and "next-password" not in kube.secret["data"]
    assert base64.b64decode(kube.secret["data"]["username"]) == b"bootstrap-admin"  # the pods' key stays


def test_a_module_s_bad_rotation_id_fails_naming_the_option():
    class Module:
        def __init__(self, value):
            self.params = {"rotation_id": value}
            self.failed = None

        def fail_json(self, msg):
            self.failed = msg

    good, bad = Module("2026-12-04"), Module("Bad_ID")
    _rotation.check_rotation_id(good)
    _rotation.check_rotation_id(bad)
    assert good.failed is None and bad.failed.startswith("rotation_id: 'Bad_ID' must be 1 to 32 lowercase letters")
