# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reconcile a whole Keycloak realm through the admin REST API, one object kind after another.

For internal collection use only.

Read, compare, write only the difference. Each object kind has its reconciler (_keycloak_scopes,
_keycloak_roles, _keycloak_groups, _keycloak_clients, _keycloak_idps, _keycloak_users, _keycloak_prune),
all on one RealmContext (_keycloak_context); this module runs them in order: realm settings, client
scopes, then the new roles, group trees and clients together in one partial import, the work that
needs their ids, identity providers, users and prune. ``prune`` deletes only marked objects that left
the input, and never users.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.krci.platform.plugins.module_utils._keycloak_clients import client_secret, reconcile_clients
from ansible_collections.krci.platform.plugins.module_utils._keycloak_client import KeycloakError
from ansible_collections.krci.platform.plugins.module_utils._keycloak_context import RealmContext
from ansible_collections.krci.platform.plugins.module_utils._keycloak_groups import reconcile_groups
from ansible_collections.krci.platform.plugins.module_utils._keycloak_idps import reconcile_identity_providers
from ansible_collections.krci.platform.plugins.module_utils._keycloak_model import (  # noqa: F401  pylint: disable=unused-import
    MARKER, mask, merged, same, subset, validate)
from ansible_collections.krci.platform.plugins.module_utils._keycloak_prune import prune_unlisted
from ansible_collections.krci.platform.plugins.module_utils._keycloak_roles import reconcile_roles
from ansible_collections.krci.platform.plugins.module_utils._keycloak_scopes import reconcile_client_scopes
from ansible_collections.krci.platform.plugins.module_utils._keycloak_users import reconcile_users


def reconcile_realm_settings(ctx, settings):
    current = ctx.client.get_or_none(ctx.path, "read realm %s" % ctx.realm)
    desired = dict(settings or {})
    desired.setdefault("enabled", True)
    ref = "realm %s" % ctx.realm
    if current is None:
        ctx.realm_exists = False
        if ctx.write():
            if ctx.client.create("", dict(desired, realm=ctx.realm), "create " + ref) is None:
                # 409: it exists after all (a concurrent run, or this run's create whose reply was
                # lost in a restart or timed out and was sent again): reconcile it as an existing realm.
                # Keycloak said it exists, so a "Realm not found." now is the create still finishing
                # (measured in CI: a create retried after its 30 s timeout got 409, the read at once
                # 404): known_realms makes the client retry that answer instead of taking it as the verdict.
                ctx.client.known_realms.add(ctx.realm)
                current = ctx.client.get(ctx.path, "read realm %s" % ctx.realm)
            ctx.realm_exists = True
        if current is None:
            ctx.record(ref, "created", None, desired)
            if ctx.write():
                ctx.client.known_realms.add(ctx.realm)
            return
    ctx.client.known_realms.add(ctx.realm)
    ctx.realm_exists = True
    if same(desired, current):
        ctx.record(ref, "unchanged")
        return
    ctx.record(ref, "updated", subset(current, desired), desired)
    if ctx.write():
        ctx.client.put(ctx.path, desired, "update realm %s settings (Keycloak rejected them)" % ctx.realm)


class RealmReconciler(RealmContext):
    """The whole realm, kind by kind (see the module's description)."""

    def client_secret(self, client_id):
        return client_secret(self, client_id)

    def run(self, spec):
        existing_roles = [r["name"] for r in (self.client.get_or_none(self.path + "/roles", "read realm roles") or [])]
        errors = validate(spec, existing_roles)
        if errors:
            raise KeycloakError("invalid input for realm %s, nothing changed: %s" % (self.realm, "; ".join(errors)))
        reconcile_realm_settings(self, spec.get("settings"))
        reconcile_client_scopes(self, spec.get("client_scopes"))
        mark = self.changes.mark()
        self.batch = {"ifResourceExists": "FAIL", "roles": {"realm": []}, "groups": [], "clients": []}
        self.after_batch = []
        reconcile_roles(self, spec.get("roles"))
        reconcile_groups(self, spec.get("groups"))
        reconcile_clients(self, spec.get("clients"))
        batch, self.batch = self.batch, None
        if self.write() and (batch["roles"]["realm"] or batch["groups"] or batch["clients"]):
            try:
                self.client.request("POST", self.path + "/partialImport", "create %d roles, %d groups and %d clients"
                                    % (len(batch["roles"]["realm"]), len(batch["groups"]), len(batch["clients"])),
                                    body=batch)
            except KeycloakError as exc:
                if exc.status != 409:
                    raise
                # Another writer created one of them meanwhile: redo these kinds object by object.
                self.changes.rollback(mark)
                self.client_cache = None
                self.role_cache = {}
                self.after_batch = []
                reconcile_roles(self, spec.get("roles"))
                reconcile_groups(self, spec.get("groups"))
                reconcile_clients(self, spec.get("clients"))
            else:
                self.client_cache = None  # the new clients' ids: one fresh listing
        for step in self.after_batch:
            step()
        self.after_batch = []
        reconcile_identity_providers(self, spec.get("identity_providers"))
        reconcile_users(self, spec.get("users"))
        prune_unlisted(self, spec)
        return self.changes.changed, self.changes.summary(("created", "updated", "deleted", "unchanged"))
