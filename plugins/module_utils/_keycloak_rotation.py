# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rotation of Keycloak credentials: confidential clients' secrets and the admin's password.

For internal collection use only. Each rotation records its name (``rotation_id``), so a re-run with the same
name rotates only what a failed run left. The admin's password is kept where the collection reads it (a
controller file or a Kubernetes Secret); the new password is written there as ``next`` before Keycloak takes
it, so no failure can leave a password that works nowhere written down.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import secrets
import string
from urllib.parse import quote

from ansible_collections.krci.platform.plugins.module_utils._keycloak_client import KeycloakClient, KeycloakError, find_client
from ansible_collections.krci.platform.plugins.module_utils._rotation import MARK

# Keycloak client attributes are flat strings; the same name as the other credentials' mark.
CLIENT_MARK = MARK
_ALPHABET = string.ascii_letters + string.digits


def new_secret(length=32):
    """A random secret of letters and digits (Keycloak's own client secrets are 32 such characters)."""
    return "".join(secrets.choice(_ALPHABET) for _index in range(length))


def rotate_client_secrets(client, realm, client_ids, rotation_id, check_mode, make=new_secret):
    """(rotated, unchanged): each client of ``client_ids`` gets a new secret unless ``rotation_id`` made its secret.

    One update per client sets the secret and the rotation's mark together, so a client is never left with a new
    secret and no record of it. Keycloak refuses the old secret from then on.
    """
    path = "/" + quote(realm, safe="")
    rotated, unchanged = [], []
    for client_id in client_ids:
        current = find_client(client, realm, client_id)
        if current is None:
            raise KeycloakError("client %s of realm %s does not exist; converge the platform first (its option "
                                "playbook), then rotate" % (client_id, realm))
        if current.get("publicClient"):
            raise KeycloakError("client %s of realm %s is public: it has no secret to rotate" % (client_id, realm))
        if (current.get("attributes") or {}).get(CLIENT_MARK) == rotation_id:
            unchanged.append(client_id)
            continue
        rotated.append(client_id)
        if not check_mode:
            body = dict(current, secret=make(), attributes=dict(current.get("attributes") or {}, **{CLIENT_MARK: rotation_id}))
            client.put(path + "/clients/" + current["id"], body, "set a new secret of client %s of realm %s"
                       % (client_id, realm))
    return rotated, unchanged


# --- the admin's password --------------------------------------------------------------------------------------

class FilePassword:
    """The sandbox's and a CLI user's credentials file: JSON with keycloak_admin_username/password (mode 0600)."""

    def __init__(self, path):
        self.path = os.path.expanduser(path)

    def describe(self):
        return "file %s" % self.path

    def read(self):
        try:
            with open(self.path) as handle:
                data = json.load(handle)
        except (IOError, OSError, ValueError) as exc:
            raise KeycloakError("read %s: %s; give the credentials file the collection logs in with" % (self.describe(), exc))
        return {"username": data.get("keycloak_admin_username"), "password": data.get("keycloak_admin_password"),
                "next": data.get("keycloak_admin_password_next"), "rotation": data.get("keycloak_admin_rotation"),
                "next_rotation": data.get("keycloak_admin_next_rotation"), "_raw": data}

    def write(self, doc):
        data = dict(doc["_raw"])
        for key, field in (("keycloak_admin_password", "password"), ("keycloak_admin_password_next", "next"),
                           ("keycloak_admin_rotation", "rotation"), ("keycloak_admin_next_rotation", "next_rotation")):
            if doc.get(field):
                data[key] = doc[field]
            else:
                data.pop(key, None)
        temporary = self.path + ".tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)
        doc["_raw"] = data


class SecretPassword:
    """The installed Keycloak's Secret keycloak-bootstrap-admin (key password) on the platform cluster."""

    def __init__(self, kube, namespace, name, username):
        self.kube = kube
        self.namespace = namespace
        self.name = name
        self.username = username
        self.resource = kube.resource("v1", "Secret")

    def describe(self):
        return "Secret %s/%s on %s" % (self.namespace, self.name, self.kube.api_url)

    def read(self):
        secret = self.kube.get(self.resource, self.name, self.namespace)
        if secret is None:
            raise KeycloakError("%s does not exist; the keycloak role writes it when it installs Keycloak"
                                % self.describe())
        data = dict((k, base64.b64decode(v).decode("utf-8")) for k, v in (secret.get("data") or {}).items())
        return {"username": self.username, "password": data.get("password"), "next": data.get("next-password"),
                "rotation": data.get("rotation"), "next_rotation": data.get("next-rotation"), "_raw": data}

    def write(self, doc):
        data = {"password": doc.get("password"), "next-password": doc.get("next"), "rotation": doc.get("rotation"),
                "next-rotation": doc.get("next_rotation")}
        # A merge patch: null removes a key.
        self.kube.merge_patch(self.resource, self.name, self.namespace, {"stringData": None, "data": dict(
            (k, base64.b64encode(v.encode("utf-8")).decode("ascii") if v else None) for k, v in data.items())})


def _logs_in(url, username, password, verify, timeout):
    try:
        KeycloakClient(url, "master", "admin-cli", username, password, None, verify=verify, timeout=timeout,
                       retry_timeout=30).log_in()
        return True
    except KeycloakError as exc:
        if exc.status in (400, 401):
            return False
        raise


def rotate_admin_password(url, store, rotation_id, check_mode, verify=True, timeout=30, make=new_secret):
    """(changed, info): the admin's password replaced by a new one, kept in ``store``; the old one refused.

    Order: the new password is written to the store as ``next``; Keycloak takes it; the store's ``password``
    becomes it. A run that stopped between two steps is finished by the next: a ``next`` that logs in is
    promoted, one that does not is dropped.
    """
    doc = store.read()
    username = doc["username"]
    if not username or not doc.get("password"):
        raise KeycloakError("%s holds no admin username and password" % store.describe())
    finished = False
    if doc.get("next"):
        if _logs_in(url, username, doc["next"], verify, timeout):
            doc.update(password=doc["next"], rotation=doc.get("next_rotation"), next=None, next_rotation=None)
            finished = True
        else:
            doc.update(next=None, next_rotation=None)
        if not check_mode:
            store.write(doc)
    if doc.get("rotation") == rotation_id:
        return finished, {"username": username, "rotated": finished, "store": store.describe()}
    if not _logs_in(url, username, doc["password"], verify, timeout):
        raise KeycloakError("the admin password in %s does not log in as %s at %s; put the working one there, then "
                            "rotate" % (store.describe(), username, url))
    if check_mode:
        return True, {"username": username, "rotated": True, "store": store.describe()}
    old, new = doc["password"], make()
    doc.update(next=new, next_rotation=rotation_id)
    store.write(doc)
    admin = KeycloakClient(url, "master", "admin-cli", username, old, None, verify=verify, timeout=timeout)
    users = [u for u in admin.get("/master/users", "find the admin user %s" % username,
                                  params={"username": username, "exact": "true"}) or [] if u.get("username") == username]
    if not users:
        raise KeycloakError("user %s of realm master not found at %s" % (username, url))
    admin.put("/master/users/%s/reset-password" % users[0]["id"], {"type": "password", "value": new, "temporary": False},
              "set the new password of the admin %s" % username)
    if not _logs_in(url, username, new, verify, timeout):
        raise KeycloakError("Keycloak at %s took the new password of %s but it does not log in; it is kept in %s as "
                            "next" % (url, username, store.describe()))
    doc.update(password=new, rotation=rotation_id, next=None, next_rotation=None)
    store.write(doc)
    if _logs_in(url, username, old, verify, timeout):
        raise KeycloakError("the old admin password of %s still logs in at %s after the rotation" % (username, url))
    return True, {"username": username, "rotated": True, "store": store.describe()}
