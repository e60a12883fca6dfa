# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What one rotation run (playbooks/rotate.yml) rotates, per host; checked before anything is touched.

For internal collection use only. A rotation has a name (``rotation_id``): every credential records the
rotation that made it, so a re-run with the same name rotates only what a failed run left, and reports
``changed`` for nothing else.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.krci.platform.plugins.module_utils._choices import chosen

# What rotate.yml can rotate, in the order it rotates them (also its tags).
CREDENTIALS = ("keycloak_client_secrets", "argocd_push_tokens", "vault_admin_secret_id", "vault_unseal_keys",
               "keycloak_admin")
# The rotation's name ends a Secret's name (<service account>-<rotation_id>) and is a Keycloak attribute value.
ROTATION_ID = re.compile(r"^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$")
# Where a rotation records itself: a Keycloak client attribute, a token Secret's annotation, a key store field.
MARK = "krci.platform/rotation"
TOKEN_SECRET_ANNOTATION = "krci.platform/token-secret"


def check_rotation_id(module):
    """Fail a rotation module, naming its option, when ``rotation_id`` cannot be a rotation's name."""
    if not ROTATION_ID.match(module.params["rotation_id"] or ""):
        module.fail_json(msg="rotation_id: %r must be 1 to 32 lowercase letters, digits and '-', starting and ending "
                             "with a letter or digit" % module.params["rotation_id"])


def token_secret_name(service_account, rotation_id):
    """The token Secret a rotation makes for the hub's ServiceAccount in a push target."""
    return "%s-%s" % (service_account, rotation_id)


def plan(platform_plan, settings):
    """The rotation of ``settings`` (``rotate``: a list of CREDENTIALS, ``rotation_id``) over the platform plan.

    Returns ``errors`` (each naming its variable), ``rotation_id``, ``rotate`` (in CREDENTIALS order),
    ``keycloak_clients`` (every confidential client that has a secret, on every cluster), ``push_targets``,
    and per cluster: ``push_token`` (its host makes a new token for the hub) and ``client_secrets`` (its host
    writes its clients' new secrets). A pull cluster's host rotates nothing of the hub's: its own Argo CD's
    client secret is made in Keycloak and read from there by that host, as in a converge.
    """
    errors = list(platform_plan.get("errors") or [])
    wanted, wanted_errors = chosen(settings.get("rotate"), "rotate", CREDENTIALS,
                                   "a credential this collection rotates")
    errors.extend(wanted_errors)
    # --tags narrows the list (the playbook's plays carry the credentials' names as tags).
    tags = [t for t in settings.get("tags") or ["all"] if t not in ("all", "always")]
    unknown = sorted(set(tags) - set(CREDENTIALS))
    if unknown:
        errors.append("--tags: %s %s not a credential this collection rotates; known: %s"
                      % (", ".join(unknown), "is" if len(unknown) == 1 else "are", ", ".join(CREDENTIALS)))
    if tags:
        wanted = [w for w in wanted if w in tags]
        if not wanted and not unknown:
            errors.append("--tags %s and rotate %s have no credential in common: nothing would be rotated"
                          % (",".join(tags), ",".join(settings.get("rotate") or [])))
    services = settings.get("services") or {}
    for credential, service in (("keycloak_client_secrets", "keycloak"), ("keycloak_admin", "keycloak"),
                                ("vault_admin_secret_id", "vault"), ("vault_unseal_keys", "vault")):
        if credential in wanted and not services.get(service):
            errors.append("rotate: %s, but this inventory configures no %s (krci_%s or %s_install)"
                          % (credential, "Keycloak" if service == "keycloak" else "Vault",
                             "keycloak_url" if service == "keycloak" else "vault_addr", service))
    keycloak_admin = None
    if "keycloak_admin" in wanted and services.get("keycloak"):
        keycloak_admin, error = admin_destination(settings.get("keycloak_admin") or {})
        if error:
            errors.append(error)
    rotation_id = settings.get("rotation_id")
    if not isinstance(rotation_id, str) or not ROTATION_ID.match(rotation_id):
        errors.append("rotate_id: %r must be 1 to 32 lowercase letters, digits and '-', starting and ending with a "
                      "letter or digit (it ends a Secret's name and is recorded on every credential it rotates)"
                      % (rotation_id,))
    rotate = [c for c in CREDENTIALS if c in wanted]
    clusters = platform_plan.get("clusters") or {}
    # The Argo CD plan's push targets when given (the keycloak role's plan has no Argo CD settings).
    targets = settings["push_targets"] if settings.get("push_targets") is not None else platform_plan.get("push_targets")
    push_targets = sorted(targets or []) if "argocd_push_tokens" in rotate else []
    clients = sorted(set(secret["client"] for entry in clusters.values() for secret in entry.get("client_secrets") or []))
    if "keycloak_client_secrets" not in rotate:
        clients = []
    per_cluster = {}
    for name, entry in sorted(clusters.items()):
        per_cluster[name] = {"push_token": name in push_targets,
                             "client_secrets": bool(clients and entry.get("client_secrets"))}
    return {"errors": errors, "rotation_id": rotation_id, "rotate": rotate, "keycloak_clients": clients,
            "push_targets": push_targets, "hub_cluster": platform_plan.get("hub_cluster"),
            "vault": {"admin_secret_id": "vault_admin_secret_id" in rotate, "unseal_keys": "vault_unseal_keys" in rotate},
            "keycloak_admin": keycloak_admin if "keycloak_admin" in rotate else None, "clusters": per_cluster}


def admin_destination(source):
    """(destination, error): where the Keycloak admin's rotated password is kept, from where the collection reads it.

    ``source``: ``from_environment`` (KEYCLOAK_ADMIN_PASSWORD is set), ``credentials_file`` (keycloak_credentials_file),
    ``installed`` (the keycloak role installs Keycloak and no admin password is given: the bootstrap admin's Secret),
    ``namespace`` and ``username`` (the installed one's)."""
    if source.get("from_environment"):
        return None, ("rotate: keycloak_admin, but the admin password comes from KEYCLOAK_ADMIN_PASSWORD (an AWX "
                      "credential or the shell), which the collection cannot write: change it in Keycloak and in that "
                      "credential together, or keep it in keycloak_credentials_file")
    if source.get("credentials_file"):
        return {"type": "file", "path": source["credentials_file"]}, None
    if source.get("installed"):
        return {"type": "secret", "namespace": source.get("namespace") or "keycloak", "name": "keycloak-bootstrap-admin",
                "username": source.get("username") or "bootstrap-admin"}, None
    return None, "rotate: keycloak_admin, but no admin password is configured (keycloak_credentials_file)"
