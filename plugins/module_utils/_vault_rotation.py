# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rotation of Vault/OpenBao credentials: the admin AppRole's secret ID, and the unseal (or recovery) keys.

For internal collection use only. Each writes the new credential to its store before the old one stops working,
and records the rotation's name (``rotation_id``) there, so a re-run with the same name finishes what a failed
run left and changes nothing else.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.krci.platform.plugins.module_utils._vault_client import VaultError
from ansible_collections.krci.platform.plugins.module_utils._vault_lifecycle import approle_login


# --- the admin AppRole's secret ID ---------------------------------------------------------------------------

def rotate_secret_id(client, store, rotation_id, check_mode):
    """(changed, info): a new secret ID for the stored admin AppRole; the old one destroyed once the new logs in.

    The store keeps ``retire`` (the old secret ID's accessor) between writing the new secret ID and destroying the
    old one, so a run that stopped there has the next run destroy it.
    """
    data = store.read()
    admin = data.get("admin")
    if not admin:
        raise VaultError("%s holds no admin AppRole credential; converge the platform first (the vault role hands the "
                         "root token over to it)" % store.describe())
    mount, role = admin.get("mount", "approle"), admin.get("role")
    try:
        client.token = approle_login(client, admin)
    except VaultError as exc:
        raise VaultError("the admin AppRole stored in %s does not log in (%s); restore its secret ID there, then "
                         "rotate" % (store.describe(), exc))
    changed = False
    if admin.get("retire"):
        changed = True
        if not check_mode:
            _destroy(client, mount, role, admin["retire"])
            admin.pop("retire")
            store.write(data)
    if admin.get("rotation") == rotation_id:
        return changed, {"admin_role": role, "rotated": False, "store": store.describe()}
    if check_mode:
        return True, {"admin_role": role, "rotated": True, "store": store.describe()}
    old = client.call("POST", "auth/%s/role/%s/secret-id/lookup" % (mount, role),
                      "look up the stored secret ID of AppRole %s" % role, body={"secret_id": admin["secret_id"]})
    new = client.call("POST", "auth/%s/role/%s/secret-id" % (mount, role), "make a new secret ID of AppRole %s" % role,
                      body={"metadata": '{"owner": "krci.platform", "rotation": "%s"}' % rotation_id})["data"]
    admin.update(secret_id=new["secret_id"], rotation=rotation_id, retire=(old.get("data") or {}).get("secret_id_accessor"))
    store.write(data)  # first keep the new secret ID, then prove it, then destroy the old one
    approle_login(client, admin)
    if admin.get("retire"):
        _destroy(client, mount, role, admin["retire"])
    admin.pop("retire", None)
    store.write(data)
    return True, {"admin_role": role, "rotated": True, "store": store.describe()}


def _destroy(client, mount, role, accessor):
    client.call("POST", "auth/%s/role/%s/secret-id-accessor/destroy" % (mount, role),
                "destroy the old secret ID of AppRole %s" % role, body={"secret_id_accessor": accessor}, ok=(200, 204, 404))


# --- the unseal (recovery) keys: rotated with verification ------------------------------------------------------

# OpenBao 2.4+ rotates key shares through authenticated endpoints (sys/rotate/root|recovery); its unauthenticated
# sys/rekey endpoints are off by default from 2.5. HashiCorp Vault has sys/rekey only (unauthenticated).
ROTATE_PATHS = {"shamir": "sys/rotate/root", "recovery": "sys/rotate/recovery"}
REKEY_PATHS = {"shamir": "sys/rekey", "recovery": "sys/rekey-recovery-key"}


def _data(reply):
    """The payload of a reply: sys/rotate wraps it in ``data``, sys/rekey does not."""
    return (reply or {}).get("data") or (reply or {})


def endpoints(client, seal_type):
    """(path prefix, key field of the store) for this server and seal: Shamir unseal keys, or recovery keys."""
    kind = "shamir" if (seal_type or "shamir") == "shamir" else "recovery"
    field = "keys" if kind == "shamir" else "recovery_keys"
    try:
        client.call("GET", ROTATE_PATHS[kind] + "/init", "read the key rotation status of %s" % client.url)
        return ROTATE_PATHS[kind], field
    except VaultError as exc:
        if exc.status not in (404, 405):
            raise
    return REKEY_PATHS[kind], field


def _submit(client, path, keys, threshold, nonce, what):
    """(last reply's payload, None), or (None, the VaultError of the share that was refused)."""
    reply = {}
    for index, key in enumerate(keys[:threshold]):
        try:
            reply = _data(client.call("PUT", path, "%s (share %d of %d)" % (what, index + 1, threshold),
                                      body={"key": key, "nonce": nonce}))
        except VaultError as exc:
            return None, exc
    return reply, None


def _cancel(client, prefix):
    client.call("DELETE", prefix + "/init", "cancel a key rotation in progress on %s" % client.url)


def _start(client, prefix, shares, threshold, what):
    return _data(client.call("PUT", prefix + "/init", what, body={
        "secret_shares": shares, "secret_threshold": threshold, "require_verification": True}))


def keys_valid(client, prefix, keys, threshold):
    """Whether ``keys`` are the server's current key shares, asked without changing anything: a rotation with
    verification is started, the shares given, and the rotation cancelled (the current keys stay valid)."""
    _cancel(client, prefix)
    init = _start(client, prefix, len(keys), threshold, "start a key rotation to check key shares")
    reply, error = _submit(client, prefix + "/update", keys, threshold, init.get("nonce"), "check a key share")
    _cancel(client, prefix)
    return error is None and bool((reply or {}).get("keys"))


def rekey(client, store, rotation_id, check_mode, status=None):
    """(changed, info): new unseal (or recovery) key shares, same count and threshold, in ``store``; the old refused.

    ``client`` carries a token allowed on sys/rotate (the admin AppRole's). With ``require_verification`` the new
    shares take effect only once verified: they are written to the store as ``pending`` first, then verified, then
    made the store's shares. A run that stopped between finds ``pending`` and keeps whichever set the server takes.
    ``status``: the server's seal status when the caller read it already (else it is read here).
    """
    data = store.read()
    if data.get("pgp_encrypted"):
        raise VaultError("the key shares in %s are PGP-encrypted, one per operator: the collection cannot submit "
                         "them; rekey by hand (bao operator rotate-keys -init -pgp-keys=..., each operator giving a "
                         "share)" % store.describe())
    status = status or client.seal_status()
    if status.get("sealed"):
        raise VaultError("%s is sealed; unseal it first (the option playbook's secrets play), then rotate" % client.url)
    prefix, field = endpoints(client, status.get("type") or data.get("seal_type"))
    threshold, shares = int(data.get("threshold") or 0), int(data.get("shares") or 0)
    keys = data.get(field) or []
    if not keys or threshold < 1 or len(keys) < threshold:
        raise VaultError("%s holds %d key share(s) (%s) for a threshold of %s; it cannot rekey %s"
                         % (store.describe(), len(keys), field, threshold or "unknown", client.url))
    info = {"store": store.describe(), "shares": shares or len(keys), "threshold": threshold, "endpoint": prefix}
    changed = False
    pending = data.get("pending")
    if pending:
        changed = True
        if not check_mode:
            if keys_valid(client, prefix, pending[field], threshold):
                data.update(pending)
                data["rotation"] = data.pop("pending_rotation", None)
            data.pop("pending", None)
            data.pop("pending_rotation", None)
            store.write(data)
            keys = data.get(field) or []
    if data.get("rotation") == rotation_id:
        return changed, dict(info, rotated=False)
    if check_mode:
        return True, dict(info, rotated=True)
    _cancel(client, prefix)
    init = _start(client, prefix, shares or len(keys), threshold, "start the key rotation of %s" % client.url)
    reply, error = _submit(client, prefix + "/update", keys, threshold, init.get("nonce"), "give the current key share")
    if error is not None or not (reply or {}).get("keys"):
        _cancel(client, prefix)
        raise VaultError("rekey %s: the key shares in %s were refused (%s); nothing changed, the current keys stay "
                         "valid" % (client.url, store.describe(), error or "no new keys"))
    new = {field: reply["keys"], field + "_base64": reply.get("keys_base64")}
    data.update(pending=new, pending_rotation=rotation_id)
    store.write(data)  # the new shares are kept before they take effect
    verified, error = _submit(client, prefix + "/verify", reply["keys"], threshold, reply.get("verification_nonce"),
                              "verify a new key share")
    if error is not None or not (verified or {}).get("complete"):
        raise VaultError("rekey %s: the verification of the new shares failed (%s); they are kept in %s as pending, "
                         "and the next run keeps whichever set the server takes" % (client.url, error, store.describe()))
    data.update(new)
    data["rotation"] = rotation_id
    data.pop("pending", None)
    data.pop("pending_rotation", None)
    store.write(data)
    return True, dict(info, rotated=True)
