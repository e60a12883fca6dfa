# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Vault's lifecycle: initialize once, unseal, and hand the root token over to a scoped admin AppRole.

For internal collection use only. Works against HashiCorp Vault and OpenBao alike.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible_collections.krci.platform.plugins.module_utils._vault_client import VaultError
from ansible_collections.krci.platform.plugins.module_utils._vault_keys import FileKeyStore


def initialize(client, store, shares, threshold, force=False, check_mode=False, credentials=None, pgp_keys=None):
    """(changed, info). Never makes new keys for an initialized Vault.

    The key shares go to ``store`` (each encrypted to one operator's PGP key when ``pgp_keys`` are
    given), the initial root token to ``credentials`` (the key store when None, as before 0.3)."""
    credentials = credentials or store
    if threshold > shares:
        raise VaultError("key_threshold (%d) is greater than key_shares (%d); no Vault can be unsealed that way"
                         % (threshold, shares))
    if pgp_keys and len(pgp_keys) != shares:
        raise VaultError("pgp_keys has %d key(s) but key_shares is %d; give one operator's PGP public key per share"
                         % (len(pgp_keys), shares))
    if client.init_status():
        return False, {"initialized": True, "keys_written_to": None, "credential_written_to": None}
    for target in (store, credentials) if credentials is not store else (store,):
        if target.exists() and not force:
            raise VaultError("%s is not initialized, but %s already holds keys or a credential: possible data loss "
                             "(a new Vault over old keys?). Move the old ones away, or set force=true"
                             % (client.url, target.describe()))
        target.check_writable()
    if check_mode:
        return True, {"initialized": False, "keys_written_to": store.describe(),
                      "credential_written_to": credentials.describe()}
    seal_type = client.seal_status().get("type") or "shamir"
    prefix = "secret" if seal_type == "shamir" else "recovery"  # auto-unseal: the shares are recovery keys
    body = {prefix + "_shares": shares, prefix + "_threshold": threshold}
    if pgp_keys:
        body["pgp_keys" if seal_type == "shamir" else "recovery_pgp_keys"] = list(pgp_keys)
    reply = client.call("PUT", "sys/init", "initialize %s" % client.url, body=body)
    data = {"keys": reply.get("keys"), "keys_base64": reply.get("keys_base64"),
            "recovery_keys": reply.get("recovery_keys"), "recovery_keys_base64": reply.get("recovery_keys_base64"),
            "pgp_encrypted": bool(pgp_keys), "seal_type": seal_type, "threshold": threshold, "shares": shares,
            "url": client.url}
    credential = {"root_token": reply.get("root_token"), "url": client.url}
    written = []
    try:
        credentials.write(dict(data, **credential) if credentials is store else credential)
        written.append(credentials)
        if credentials is not store:
            store.write(data)
    except Exception as exc:  # pylint: disable=broad-except
        # Vault is initialized now: the keys must not be lost. Keep them next to the controller's home.
        rescue = FileKeyStore(os.path.expanduser("~/.krci-vault-init-rescue-%d.json" % int(time.time())))
        rescue.write(dict(data, **credential))
        failed = store if written else credentials
        raise VaultError("initialized %s but writing the keys to %s failed (%s); they are in %s (mode 0600): "
                         "move them to a safe place now" % (client.url, failed.describe(), exc, rescue.path))
    return True, {"initialized": True, "keys_written_to": store.describe(),
                  "credential_written_to": credentials.describe(), "secrets": dict(data, **credential)}


def await_version(client, version, timeout=120.0, interval=1.0, sleep=None, clock=None):
    """The seal status once the server at ``client.url`` answers as release ``version`` (a replaced server: its pod is
    recreated, then the new process starts), sealed or not. Fails naming the release it last saw."""
    sleep, clock = sleep or time.sleep, clock or time.monotonic
    deadline = clock() + timeout
    seen = "no answer"
    while True:
        try:
            status = client.seal_status()
            if status.get("version") == version:
                return status
            seen = "release %s" % status.get("version")
        except VaultError as exc:
            seen = str(exc)
        if clock() >= deadline:
            raise VaultError("%s does not run OpenBao %s after %ss (last: %s); check that its pod was replaced with "
                             "the new image and that vault_unseal_urls reach each server"
                             % (client.url, version, int(timeout), seen))
        sleep(interval)


def unseal(client, keys, check_mode=False):
    """(changed, status). Submits keys until unsealed; says how many were accepted if that is not enough."""
    status = client.seal_status()
    if not status.get("initialized", True):
        raise VaultError("%s is not initialized; run vault_init first" % client.url)
    if not status["sealed"]:
        return False, status
    if (status.get("type") or "shamir") != "shamir":
        # Auto-unseal: the server unseals itself with its KMS key; keys (recovery keys) cannot do it.
        return False, _await_auto_unseal(client, status)
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


def _await_auto_unseal(client, status, timeout=30.0, interval=1.0, sleep=None, clock=None):
    """The status once an auto-unseal server has unsealed itself; VaultError naming its seal when it does not."""
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    deadline = clock() + timeout
    while status["sealed"]:
        if clock() >= deadline:
            raise VaultError("%s is sealed and its seal is %s (auto-unseal): it unseals itself with its KMS key and has "
                             "not within %ds; look in its log for the KMS call that failed (its IRSA role, the key "
                             "policy, the key's region), since recovery keys cannot unseal it"
                             % (client.url, status.get("type"), timeout))
        sleep(interval)
        status = client.seal_status()
    client.wait_active()
    return status


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
# Backups (playbooks/backup.yml): a raft snapshot is OpenBao's data as stored, sealed by its keys.
path "sys/storage/raft/snapshot" { capabilities = ["read"] }
# Rotation (playbooks/rotate.yml): new unseal/recovery key shares, given the current ones (OpenBao 2.4+).
path "sys/rotate/root/*" { capabilities = ["create", "read", "update", "delete"] }
path "sys/rotate/recovery/*" { capabilities = ["create", "read", "update", "delete"] }
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


def _reconcile_policy(client, token, policy_name, policy, check_mode):
    """Write the admin policy with the admin's own token when its text differs; True when it did (or would)."""
    saved, client.token = client.token, token
    try:
        current = client.call("GET", "sys/policies/acl/%s" % policy_name, "read policy %s" % policy_name, ok=(200, 404))
        if ((current or {}).get("data") or {}).get("policy", "").strip() == policy.strip():
            return False
        if not check_mode:
            client.call("PUT", "sys/policies/acl/%s" % policy_name, "update policy %s to this collection's"
                        % policy_name, body={"policy": policy})
        return True
    finally:
        client.token = saved


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


def hand_over(client, store, mount, role, policy_name, policy, token_ttl, revoke_root, check_mode, before=None):
    """Replace the initial root token by a scoped AppRole kept in ``store``; returns (changed, info).

    ``before`` (a callable returning what it moved, or None) brings a credential kept elsewhere into
    ``store`` first; in check mode the store is then read as it would be."""
    moved = before() if before else None
    if moved and check_mode:
        return True, {"admin_role": role, "root_token_revoked": revoke_root, "moved": moved}
    changed, info = _hand_over(client, store, mount, role, policy_name, policy, token_ttl, revoke_root, check_mode)
    info["moved"] = moved
    return changed, info


def _hand_over(client, store, mount, role, policy_name, policy, token_ttl, revoke_root, check_mode):
    data = store.read()
    admin = data.get("admin")
    if admin:
        try:
            token = approle_login(client, admin)
        except VaultError as exc:
            raise VaultError("the admin AppRole stored in %s does not log in (%s); restore it, or put a root token "
                             "(bao operator generate-root) in the store as root_token and remove admin"
                             % (store.describe(), exc))
        # A collection upgrade may widen the admin policy (backups read raft snapshots): the admin writes its own.
        policy_changed = _reconcile_policy(client, token, policy_name, policy, check_mode)
        root = data.get("root_token")
        if not (revoke_root and root):
            return policy_changed, {"admin_role": admin.get("role"), "root_token_revoked": not root,
                                    "policy_updated": policy_changed}
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


# --- restore ------------------------------------------------------------------------------------------------------

def snapshot_seal_config(snapshot):
    """The seal configuration a raft snapshot holds (``core/seal-config``, stored outside the barrier, in clear):
    ``{"type", "secret_shares", "secret_threshold", ...}``; VaultError when the snapshot has none."""
    import io  # pylint: disable=import-outside-toplevel
    import json  # pylint: disable=import-outside-toplevel
    import tarfile  # pylint: disable=import-outside-toplevel

    try:
        with tarfile.open(fileobj=io.BytesIO(snapshot), mode="r:gz") as archive:
            state = archive.extractfile("state.bin").read()
    except (tarfile.TarError, KeyError, AttributeError, OSError) as exc:
        raise VaultError("the snapshot is not a raft snapshot (%s)" % exc)
    at = state.find(b"core/seal-config")
    if at < 0 or state[at + len(b"core/seal-config"):at + len(b"core/seal-config") + 1] != b"\x12":
        raise VaultError("the snapshot holds no seal configuration (core/seal-config)")
    at += len(b"core/seal-config") + 1
    size, shift = 0, 0
    while True:  # the value's length: a protobuf varint
        byte = state[at]
        at += 1
        size |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    try:
        config = json.loads(state[at:at + size].decode("utf-8"))
    except ValueError as exc:
        raise VaultError("the snapshot's seal configuration is not JSON (%s)" % exc)
    return config


def restore_snapshot(client, snapshot, keys, check_mode=False, sleep=None, clock=None, status=None):
    """Restore a raft snapshot into a fresh server and unseal it with the keys of the time of the backup.

    (changed, what). A fresh (uninitialized) server is initialized with one throw-away share, unsealed, and given
    the snapshot with ``snapshot-force`` (its data, keyring and tokens replace the throw-away ones, and it seals);
    then the original ``keys`` unseal it. A server that is initialized and sealed (a restore cut off after the
    snapshot, or a restart) is only unsealed with ``keys``. An initialized, unsealed server is left alone: a
    restore never replaces a working server's data.

    Auto-unseal (the snapshot's seal and the server's are not Shamir, such as awskms): the fresh server is initialized
    with one throw-away recovery share and unseals itself with its KMS key; the snapshot replaces its data (the root
    key in it is wrapped by the same KMS key, and the original recovery keys come back with it), and the server is
    waited for until it runs unsealed on the restored data. ``keys`` (the original recovery keys) unseal nothing.
    ``status``: the server's seal status when the caller read it already (else it is read here).
    """
    sleep = sleep or time.sleep
    clock = clock or time.monotonic
    status = status or client.seal_status()
    if status.get("initialized") and not status.get("sealed"):
        return False, "initialized and unsealed already: nothing restored (a restore only fills a fresh server)"
    shape = snapshot_seal_config(snapshot)
    archived_seal, server_seal = shape.get("type") or "shamir", status.get("type") or "shamir"
    if (archived_seal == "shamir") != (server_seal == "shamir"):
        raise VaultError("the snapshot was taken from a server sealed by %s and %s is sealed by %s: restore it into a "
                         "server with the seal of the backup (vault_seal), nothing was restored"
                         % (archived_seal, client.url, server_seal))
    if check_mode:
        return True, ("would restore the snapshot and unseal with the original keys" if not status.get("initialized")
                      else "would unseal with the original keys")
    if server_seal != "shamir":
        return _restore_auto_unseal(client, snapshot, status, sleep, clock)
    if not status.get("initialized"):
        # The throw-away keys have the snapshot's shape (shares, threshold): once the snapshot is in, the server seals
        # and keeps taking keys of the shape it was initialized with, so only then do the original keys fit.
        reply = client.call("PUT", "sys/init", "initialize %s with throw-away keys for the restore" % client.url,
                            body={"secret_shares": shape["secret_shares"], "secret_threshold": shape["secret_threshold"]})
        unseal(client, reply["keys"][:shape["secret_threshold"]])
        _upload_snapshot(client, snapshot, reply["root_token"])
        deadline = clock() + 60
        # The restored keyring takes over: the server seals itself moments after the snapshot is installed.
        while not client.seal_status().get("sealed"):
            if clock() > deadline:
                raise VaultError("%s did not seal after the snapshot was restored; look in its log" % client.url)
            sleep(0.5)
    # Should the server still take keys of another size (a seal configuration it has not reloaded yet), the keys are
    # tried again for a while; any other refusal is final.
    deadline = clock() + 20
    while True:
        try:
            unseal(client, keys)
            break
        except VaultError as exc:
            if clock() < deadline and "invalid key size" in str(exc):
                sleep(1)
                continue
            raise VaultError("%s holds the restored snapshot but the keys given do not unseal it (%s); give the unseal "
                             "keys of the time of the backup (the archive never holds them) and run the restore again"
                             % (client.url, exc))
    return True, "restored and unsealed" if not status.get("initialized") else "unsealed with the original keys"


def _upload_snapshot(client, snapshot, token):
    saved, client.token = client.token, token
    try:
        client.upload("sys/storage/raft/snapshot-force", "restore the raft snapshot into %s" % client.url, snapshot)
    finally:
        client.token = saved


def _restore_auto_unseal(client, snapshot, status, sleep, clock):
    """The auto-unseal half of :func:`restore_snapshot` (the server unseals itself; no key is submitted)."""
    if status.get("initialized"):
        # Sealed and initialized: a restart or a restore cut off after the snapshot; the server unseals itself.
        _await_auto_unseal(client, status, sleep=sleep, clock=clock)
        return True, "unsealed itself with its KMS key"
    reply = client.call("PUT", "sys/init", "initialize %s with a throw-away recovery share for the restore" % client.url,
                        body={"recovery_shares": 1, "recovery_threshold": 1})
    _await_auto_unseal(client, client.seal_status(), sleep=sleep, clock=clock)
    _upload_snapshot(client, snapshot, reply["root_token"])
    # The restored root key, wrapped by the same KMS key, takes over: the server may seal for a moment and unseals
    # itself again. It is done once it answers unsealed after that (or stayed unsealed for a few seconds).
    started, sealed_seen = clock(), False
    while True:
        now = client.seal_status()
        sealed_seen = sealed_seen or now.get("sealed")
        if not now.get("sealed") and (sealed_seen or clock() - started >= 3):
            break
        if clock() - started > 60:
            raise VaultError("%s did not unseal itself with its KMS key after the snapshot was restored; look in its "
                             "log for the KMS call that failed" % client.url)
        sleep(0.5)
    client.wait_active()
    return True, "restored; it unsealed itself with its KMS key"
