"""The sandbox's real OpenBao as the tests see it: logins, the key store the vault role wrote."""

import base64
import json
from pathlib import Path

import requests

from conftest import kube_client


class Vault:
    def __init__(self, state):
        self.addr = state["openbao"]["addr"]
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.verify = state["openbao"]["ca_file"]

    def call(self, method, path, token=None, **kwargs):
        headers = {"X-Vault-Token": token} if token else {}
        return self.session.request(method, self.addr + "/v1/" + path, headers=headers, timeout=15, **kwargs)

    def login(self, mount, role, jwt):
        return self.call("POST", "auth/%s/login" % mount, json={"role": role, "jwt": jwt})


def eso_token(cluster, audience="vault"):
    client, api = kube_client(cluster)
    reply = client.CoreV1Api(api).create_namespaced_service_account_token("external-secrets", "external-secrets", {
        "spec": {"audiences": [audience], "expirationSeconds": 600}})
    return reply.status.token


def key_shares(state):
    """The key shares' Secret as the vault role left it (vault-keys/vault-init on the platform cluster)."""
    client, api = kube_client(state["clusters"]["platform"])
    secret = client.CoreV1Api(api).read_namespaced_secret("vault-init", "vault-keys")
    return json.loads(base64.b64decode(secret.data["vault-init.json"]))


def credential_path(state):
    """Where the sandbox keeps the admin credential (vault_credential_destination: a file beside it)."""
    return Path(state["home"]) / "vault-admin-credential.json"


def key_store(state):
    """The key shares and the admin credential, read from their two stores, as one dict."""
    return dict(key_shares(state), **json.loads(credential_path(state).read_text()))


def admin_token(state):
    admin = key_store(state)["admin"]
    reply = Vault(state).call("POST", "auth/%s/login" % admin["mount"],
                              json={"role_id": admin["role_id"], "secret_id": admin["secret_id"]})
    assert reply.status_code == 200, reply.text
    return reply.json()["auth"]["client_token"]
