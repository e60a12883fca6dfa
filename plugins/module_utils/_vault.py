# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Vault / OpenBao client, init and unseal, and where unseal keys live. For internal collection use only.

Works against HashiCorp Vault and OpenBao alike (same /v1 API, X-Vault-Token header).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import time

from ansible_collections.krci.platform.plugins.module_utils import _http
from ansible_collections.krci.platform.plugins.module_utils._http import HAS_REQUESTS, HTTPStatus  # noqa: F401  pylint: disable=unused-import

try:
    import requests
except ImportError:  # pragma: no cover
    pass

# 503 means "sealed" on most paths: a retry cannot help there, the caller decides.
_RETRY_STATUSES = frozenset([412, 429, 500, 502, 504])


class VaultError(Exception):
    """A Vault call failed or was refused; the message names the action, the cause and the fix."""

    def __init__(self, message, status=None):
        super(VaultError, self).__init__(message)
        self.status = status


class VaultClient:
    def __init__(self, url, verify=True, token=None, timeout=30, on_retry=None):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.on_retry = on_retry
        self.session = _http.new_session(verify)
        self.requests_sent = {}

    def _count(self, method):
        self.requests_sent[method] = self.requests_sent.get(method, 0) + 1

    def call(self, method, path, what, body=None, ok=(200, 204)):
        headers = {"X-Vault-Token": self.token} if self.token else {}
        try:
            reply = _http.send(self.session, method, self.url + "/v1/" + path.lstrip("/"), what, _RETRY_STATUSES,
                               on_retry=self.on_retry, on_attempt=lambda: self._count(method), ok=ok, json=body,
                               headers=headers, timeout=self.timeout)
        except HTTPStatus as exc:
            raise VaultError("%s: HTTP %s: %s" % (what, exc.status, _errors(exc.body)), exc.status)
        except requests.exceptions.SSLError as exc:
            raise VaultError("%s: certificate verify failed (%s); set ca_cert to the CA of %s" % (what, exc, self.url))
        except requests.exceptions.RequestException as exc:
            raise VaultError("%s: %s; check that Vault runs at %s" % (what, exc, self.url))
        return reply.json() if reply.content else {}

    def seal_status(self):
        return self.call("GET", "sys/seal-status", "read the seal status of %s" % self.url)

    def init_status(self):
        return self.call("GET", "sys/init", "read the init status of %s" % self.url)["initialized"]

    def wait_active(self, timeout=30.0):
        """After unseal, a raft node needs a moment to become leader before it accepts writes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                leader = self.call("GET", "sys/leader", "read the leader of %s" % self.url)
            except VaultError:
                leader = {}
            if leader.get("is_self") or leader.get("ha_enabled") is False:
                return True
            time.sleep(0.2)
        raise VaultError("%s is unsealed but did not become active in %ds; see its log" % (self.url, timeout))


def _errors(body):
    try:
        return "; ".join(json.loads(body).get("errors") or []) or body
    except (TypeError, ValueError, AttributeError):
        return (body or "").strip()[:300]


# --- where the keys live ----------------------------------------------------------------------

class FileKeyStore:
    """Keys and the initial root token as JSON in a file of mode 0600 on the controller."""

    kind = "file"

    def __init__(self, path):
        self.path = os.path.expanduser(path)

    def describe(self):
        return "file %s" % self.path

    def exists(self):
        return os.path.exists(self.path) and os.path.getsize(self.path) > 0

    def check_writable(self):
        directory = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(directory):
            raise VaultError("key file %s: directory %s does not exist; create it (mode 0700) first" % (self.path, directory))
        if not os.access(directory, os.W_OK):
            raise VaultError("key file %s: directory %s is not writable" % (self.path, directory))

    def write(self, data):
        tmp = self.path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
        os.replace(tmp, self.path)

    def read(self):
        if not self.exists():
            raise VaultError("key file %s does not exist; run vault_init first or give the keys" % self.path)
        mode = os.stat(self.path).st_mode & 0o777
        if mode & 0o077:
            raise VaultError("key file %s has mode %o; it must be readable by its owner only (chmod 600)" % (self.path, mode))
        with open(self.path) as handle:
            return json.load(handle)


def key_store(spec):
    """The store a key_destination/key_source dict names (see KEY_STORE_OPTIONS in _vault_args)."""
    kind = spec.get("type") or "file"
    if kind == "file":
        if not spec.get("path"):
            raise VaultError("key_destination.path is required for type file")
        return FileKeyStore(spec["path"])
    from ansible_collections.krci.platform.plugins.module_utils import _vault_keys  # pylint: disable=import-outside-toplevel

    if kind == "kubernetes":
        return _vault_keys.KubernetesSecretKeyStore(spec.get("kubeconfig"), spec.get("context"),
                                                    spec.get("namespace") or "vault-keys",
                                                    spec.get("name") or "vault-init")
    if kind == "aws_secrets_manager":
        return _vault_keys.AwsSecretsManagerKeyStore(spec.get("secret_name"), spec.get("region"),
                                                     spec.get("endpoint_url"), spec.get("profile"),
                                                     spec.get("kms_key_id"))
    raise VaultError("key_destination.type %r is not supported; use file, kubernetes or aws_secrets_manager" % kind)


# --- init and unseal ---------------------------------------------------------------------------

def initialize(client, store, shares, threshold, force=False, check_mode=False):
    """(changed, info). Never makes new keys for an initialized Vault."""
    if threshold > shares:
        raise VaultError("key_threshold (%d) is greater than key_shares (%d); no Vault can be unsealed that way"
                         % (threshold, shares))
    if client.init_status():
        return False, {"initialized": True, "keys_written_to": None}
    if store.exists() and not force:
        raise VaultError("%s is not initialized, but %s already holds keys: possible data loss (a new Vault "
                         "over old keys?). Move the old keys away, or set force=true" % (client.url, store.describe()))
    store.check_writable()
    if check_mode:
        return True, {"initialized": False, "keys_written_to": store.describe()}
    seal_type = client.seal_status().get("type") or "shamir"
    if seal_type == "shamir":
        body = {"secret_shares": shares, "secret_threshold": threshold}
    else:
        # Auto-unseal (transit, KMS): the server unseals itself; the shares are recovery keys.
        body = {"recovery_shares": shares, "recovery_threshold": threshold}
    reply = client.call("PUT", "sys/init", "initialize %s" % client.url, body=body)
    data = {"keys": reply.get("keys"), "keys_base64": reply.get("keys_base64"), "root_token": reply.get("root_token"),
            "recovery_keys": reply.get("recovery_keys"), "recovery_keys_base64": reply.get("recovery_keys_base64"),
            "seal_type": seal_type, "threshold": threshold, "shares": shares, "url": client.url}
    try:
        store.write(data)
    except Exception as exc:  # pylint: disable=broad-except
        # Vault is initialized now: the keys must not be lost. Keep them next to the controller's home.
        rescue = FileKeyStore(os.path.expanduser("~/.krci-vault-init-rescue-%d.json" % int(time.time())))
        rescue.write(data)
        raise VaultError("initialized %s but writing the keys to %s failed (%s); they are in %s (mode 0600): "
                         "move them to a safe place now" % (client.url, store.describe(), exc, rescue.path))
    return True, {"initialized": True, "keys_written_to": store.describe(), "secrets": data}


def unseal(client, keys, check_mode=False):
    """(changed, status). Submits keys until unsealed; says how many were accepted if that is not enough."""
    status = client.seal_status()
    if not status.get("initialized", True):
        raise VaultError("%s is not initialized; run vault_init first" % client.url)
    if not status["sealed"]:
        return False, status
    if check_mode:
        return True, status
    if status.get("progress"):
        # Stale progress from an earlier, failed attempt would mix with these keys: start over.
        status = client.call("PUT", "sys/unseal", "reset the unseal progress of %s" % client.url, body={"reset": True})
    accepted = 0
    for key in keys:
        try:
            status = client.call("PUT", "sys/unseal", "unseal %s" % client.url, body={"key": key})
        except VaultError as exc:
            raise VaultError("unseal %s: key %d of %d was rejected (%s); %d key(s) accepted before it, threshold %s"
                             % (client.url, accepted + 1, len(keys), exc, accepted, status.get("t")))
        accepted += 1
        if not status["sealed"]:
            client.wait_active()
            return True, status
    raise VaultError("unseal %s: %d key(s) accepted, still sealed (progress %s of threshold %s); give more keys"
                     % (client.url, accepted, status.get("progress"), status.get("t")))


# --- the admin credential that replaces the root token -------------------------------------------

ADMIN_POLICY = """# krci.platform automation: configures mounts, auth methods, policies and audit; no root.
path "sys/auth" { capabilities = ["read", "sudo"] }
path "sys/auth/*" { capabilities = ["create", "read", "update", "delete", "sudo"] }
path "sys/mounts" { capabilities = ["read"] }
path "sys/mounts/*" { capabilities = ["create", "read", "update", "delete"] }
path "sys/policies/acl" { capabilities = ["list"] }
path "sys/policies/acl/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "sys/audit" { capabilities = ["read", "sudo"] }
path "sys/audit/*" { capabilities = ["create", "read", "update", "delete", "sudo"] }
path "auth/*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "kv-*" { capabilities = ["create", "read", "update", "delete", "list"] }
path "sys/leader" { capabilities = ["read"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
"""


def approle_login(client, admin):
    """A token from the stored AppRole credential; VaultError if it no longer works."""
    reply = client.call("POST", "auth/%s/login" % admin.get("mount", "approle"),
                        "log in with the stored admin AppRole %s" % admin.get("role"),
                        body={"role_id": admin.get("role_id"), "secret_id": admin.get("secret_id")})
    return reply["auth"]["client_token"]


def token_from_store(client, store):
    """The token to configure with: the stored admin AppRole, else the initial root token."""
    data = store.read()
    if data.get("admin"):
        return approle_login(client, data["admin"])
    if data.get("root_token"):
        return data["root_token"]
    raise VaultError("%s holds neither an admin credential nor a root token; give token" % store.describe())


def token_works(client, token):
    saved, client.token = client.token, token
    try:
        client.call("GET", "auth/token/lookup-self", "look up the token")
        return True
    except VaultError as exc:
        if exc.status in (401, 403):
            return False
        raise
    finally:
        client.token = saved


def hand_over(client, store, mount, role, policy_name, policy, token_ttl, revoke_root, check_mode):
    """Replace the initial root token by a scoped AppRole kept in ``store``; returns (changed, info)."""
    data = store.read()
    admin = data.get("admin")
    if admin:
        try:
            approle_login(client, admin)
        except VaultError as exc:
            raise VaultError("the admin AppRole stored in %s does not log in (%s); restore it, or put a root token "
                             "(bao operator generate-root) in the store as root_token and remove admin"
                             % (store.describe(), exc))
        root = data.get("root_token")
        if not (revoke_root and root):
            return False, {"admin_role": admin.get("role"), "root_token_revoked": not root}
        # A handover interrupted after the store was written: finish it.
        if not check_mode:
            if token_works(client, root):
                client.token = root
                client.call("POST", "auth/token/revoke-self", "revoke the initial root token")
            data["root_token"] = None
            store.write(data)
        return True, {"admin_role": admin.get("role"), "root_token_revoked": True}
    root = data.get("root_token")
    if not root:
        raise VaultError("%s holds no root token and no admin credential; nothing to hand over" % store.describe())
    if not token_works(client, root):
        raise VaultError("the root token in %s no longer works and no admin credential is stored; generate a new "
                         "root token (bao operator generate-root) and put it in the store as root_token"
                         % store.describe())
    if check_mode:
        return True, {"admin_role": role, "root_token_revoked": revoke_root}
    client.token = root
    enabled = client.call("GET", "sys/auth", "read auth methods")
    if mount + "/" not in enabled.get("data", enabled):
        client.call("POST", "sys/auth/%s" % mount, "enable auth method %s/" % mount,
                    body={"type": "approle", "description": "krci.platform automation"})
    client.call("PUT", "sys/policies/acl/%s" % policy_name, "write policy %s" % policy_name, body={"policy": policy})
    client.call("POST", "auth/%s/role/%s" % (mount, role), "write AppRole %s" % role, body={
        "token_policies": [policy_name], "token_ttl": token_ttl, "token_max_ttl": token_ttl * 4,
        "secret_id_ttl": 0, "secret_id_num_uses": 0, "token_type": "service"})
    role_id = client.call("GET", "auth/%s/role/%s/role-id" % (mount, role), "read the role ID")["data"]["role_id"]
    secret_id = client.call("POST", "auth/%s/role/%s/secret-id" % (mount, role), "make a secret ID",
                            body={"metadata": '{"owner": "krci.platform"}'})["data"]["secret_id"]
    data["admin"] = {"mount": mount, "role": role, "role_id": role_id, "secret_id": secret_id}
    store.write(data)  # first keep the new credential, then prove it, then drop the root token
    approle_login(client, data["admin"])
    if revoke_root:
        client.call("POST", "auth/token/revoke-self", "revoke the initial root token")
        data["root_token"] = None
        store.write(data)
    return True, {"admin_role": role, "root_token_revoked": revoke_root}
