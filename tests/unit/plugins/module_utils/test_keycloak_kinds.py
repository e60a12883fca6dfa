# -*- coding: utf-8 -*-
"""Each object kind's reconciler against an in-memory admin API (keycloak_fake): create, re-run without a
write, update only what differs, check mode, a concurrent writer's 409, prune of marked objects only.

The whole realm against the real Keycloak: tests/integration/test_keycloak_realm.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.krci.platform.plugins.module_utils import (
    _keycloak_clients, _keycloak_groups, _keycloak_idps, _keycloak_prune, _keycloak_roles, _keycloak_scopes,
    _keycloak_users)
from ansible_collections.krci.platform.plugins.module_utils._keycloak_context import RealmContext
from ansible_collections.krci.platform.plugins.module_utils._keycloak_model import MARKER
from ansible_collections.krci.platform.plugins.module_utils._keycloak_realm import RealmReconciler

from ansible_collections.krci.platform.tests.unit.plugins.module_utils.keycloak_fake import FakeKeycloak


@pytest.fixture
def keycloak():
    fake = FakeKeycloak()
    fake.create("", {"realm": "r", "enabled": True}, "create realm r")
    fake.requests_sent.clear()
    return fake


def context(keycloak, check_mode=False, prune=False):
    return RealmContext(keycloak, "r", check_mode=check_mode, prune=prune)


def actions(ctx):
    return dict((o["ref"], o["action"]) for o in ctx.objects)


def rerun_writes(keycloak, reconcile):
    """Writes of a second reconcile of the same input (0 when converged) and its records."""
    before = keycloak.writes()
    ctx = context(keycloak)
    reconcile(ctx)
    return keycloak.writes() - before, ctx


SCOPES = [{"name": "groups", "type": "default", "protocolMappers": [
    {"name": "groups", "protocolMapper": "oidc-group-membership-mapper", "config": {"claim.name": "groups"}}]}]


def test_client_scopes_with_mappers_and_realm_defaults(keycloak):
    ctx = context(keycloak)
    _keycloak_scopes.reconcile_client_scopes(ctx, SCOPES)
    assert actions(ctx) == {"client scope groups": "created", "client scope groups mapper groups": "created",
                            "realm r default client scope groups": "created"}
    realm = keycloak.realms["r"]
    (scope,) = realm.scopes.values()
    assert scope["attributes"][MARKER] == "true" and scope["protocolMappers"][0]["config"] == {"claim.name": "groups"}
    assert realm.default_scopes["default"] == [scope["id"]]
    writes, again = rerun_writes(keycloak, lambda c: _keycloak_scopes.reconcile_client_scopes(c, SCOPES))
    assert writes == 0 and set(actions(again).values()) == {"unchanged"}
    changed = [dict(SCOPES[0], protocolMappers=[dict(SCOPES[0]["protocolMappers"][0], config={"claim.name": "g"})])]
    writes, update = rerun_writes(keycloak, lambda c: _keycloak_scopes.reconcile_client_scopes(c, changed))
    assert writes == 1 and actions(update)["client scope groups mapper groups"] == "updated"


def test_roles_and_composites_update_only_what_differs(keycloak):
    ctx = context(keycloak)
    _keycloak_roles.reconcile_roles(ctx, [{"name": "viewer"}, {"name": "admin", "composites": ["viewer"]}])
    assert keycloak.realms["r"].roles["admin"]["composites"] == ["viewer"]
    writes, again = rerun_writes(keycloak, lambda c: _keycloak_roles.reconcile_roles(
        c, [{"name": "viewer"}, {"name": "admin", "composites": ["viewer"]}]))
    assert writes == 0 and set(actions(again).values()) == {"unchanged"}
    writes, update = rerun_writes(keycloak, lambda c: _keycloak_roles.reconcile_roles(
        c, [{"name": "viewer", "description": "reads"}, {"name": "admin", "composites": []}]))
    assert actions(update) == {"realm role viewer": "updated", "realm role admin": "unchanged",
                               "realm role admin composites": "updated"}
    assert keycloak.realms["r"].roles["admin"]["composites"] == [] and writes == 2


GROUPS = [{"name": "team", "realmRoles": ["dev"], "subGroups": [{"name": "a"}, {"name": "b"}]}]


def test_group_trees_roles_and_new_subgroups(keycloak):
    keycloak.realms["r"].roles["dev"] = {"name": "dev", "id": "role-dev", "composites": []}
    ctx = context(keycloak)
    _keycloak_groups.reconcile_groups(ctx, GROUPS)
    realm = keycloak.realms["r"]
    paths = sorted(keycloak._group_path(realm, g) for g in realm.groups.values())  # pylint: disable=protected-access
    assert paths == ["/team", "/team/a", "/team/b"]
    assert [g["realmRoles"] for g in realm.groups.values() if g["name"] == "team"] == [["dev"]]
    writes, again = rerun_writes(keycloak, lambda c: _keycloak_groups.reconcile_groups(c, GROUPS))
    assert writes == 0 and set(actions(again).values()) == {"unchanged"}
    grown = [dict(GROUPS[0], subGroups=GROUPS[0]["subGroups"] + [{"name": "c"}])]
    writes, update = rerun_writes(keycloak, lambda c: _keycloak_groups.reconcile_groups(c, grown))
    assert writes == 1 and actions(update)["group /team/c"] == "created"


CLIENT = {"clientId": "argocd-hub", "publicClient": False, "redirectUris": ["https://argocd.example/auth/callback"],
          "defaultClientScopes": ["groups"], "serviceAccountRealmRoles": ["dev"],
          "protocolMappers": [{"name": "aud", "protocolMapper": "oidc-audience-mapper",
                               "config": {"included.client.audience": "argocd-hub"}}]}


def test_clients_with_mappers_scopes_service_account_roles_and_secret(keycloak):
    keycloak.realms["r"].roles["dev"] = {"name": "dev", "id": "role-dev", "composites": []}
    _keycloak_scopes.reconcile_client_scopes(context(keycloak), [{"name": "groups"}])
    ctx = context(keycloak)
    _keycloak_clients.reconcile_clients(ctx, [CLIENT])
    (client,) = [c for c in keycloak.realms["r"].clients.values() if c["clientId"] == "argocd-hub"]
    assert client["attributes"][MARKER] == "true" and client["defaultClientScopes"] == ["groups"]
    assert [m["name"] for m in client["protocolMappers"]] == ["aud"]
    assert keycloak.realms["r"].users[client["serviceAccountUser"]]["realmRoles"] == ["dev"]
    assert _keycloak_clients.client_secret(ctx, "argocd-hub") == "secret-of-argocd-hub"
    writes, again = rerun_writes(keycloak, lambda c: _keycloak_clients.reconcile_clients(c, [CLIENT]))
    assert writes == 0 and set(actions(again).values()) == {"unchanged"}
    moved = dict(CLIENT, redirectUris=["https://cd.example/auth/callback"])
    writes, update = rerun_writes(keycloak, lambda c: _keycloak_clients.reconcile_clients(c, [moved]))
    assert writes == 1 and actions(update)["client argocd-hub"] == "updated"
    assert client["redirectUris"] == ["https://cd.example/auth/callback"]


def test_a_client_created_meanwhile_by_another_writer_is_reconciled_as_existing(keycloak):
    keycloak.conflict_on_create.add("clients")
    ctx = context(keycloak)
    _keycloak_clients.reconcile_clients(ctx, [{"clientId": "portal", "protocolMappers": CLIENT["protocolMappers"]}])
    assert [c["clientId"] for c in keycloak.realms["r"].clients.values()] == ["portal"]
    writes, again = rerun_writes(keycloak, lambda c: _keycloak_clients.reconcile_clients(
        c, [{"clientId": "portal", "protocolMappers": CLIENT["protocolMappers"]}]))
    assert writes == 0, actions(again)


def test_identity_provider_secret_is_written_but_never_compared(keycloak):
    provider = {"alias": "corp", "providerId": "oidc", "config": {"clientId": "krci", "clientSecret": "s3cr3t"},
                "mappers": [{"name": "groups", "identityProviderMapper": "oidc-user-attribute-idp-mapper",
                             "config": {"claim": "groups"}}]}
    ctx = context(keycloak)
    _keycloak_idps.reconcile_identity_providers(ctx, [provider])
    assert keycloak.realms["r"].idps["corp"]["config"]["clientSecret"] == "s3cr3t"
    assert "s3cr3t" not in repr(ctx.diffs)
    writes, again = rerun_writes(keycloak, lambda c: _keycloak_idps.reconcile_identity_providers(c, [provider]))
    assert writes == 0 and set(actions(again).values()) == {"unchanged"}


def test_users_get_their_groups_and_a_password_only_on_create(keycloak):
    _keycloak_groups.reconcile_groups(context(keycloak), [{"name": "devs"}])
    user = {"username": "alice", "email": "alice@example.test", "password": "Secret-12345", "groups": ["devs"]}
    ctx = context(keycloak)
    _keycloak_users.reconcile_users(ctx, [user])
    (alice,) = [u for u in keycloak.realms["r"].users.values() if u["username"] == "alice"]
    assert alice["credentials"][0]["value"] == "Secret-12345" and len(alice["groups"]) == 1
    assert "Secret-12345" not in repr(ctx.diffs)
    writes, again = rerun_writes(keycloak, lambda c: _keycloak_users.reconcile_users(c, [user]))
    assert writes == 0 and set(actions(again).values()) == {"unchanged"}


def test_prune_deletes_only_marked_objects_that_left_the_input_and_never_users(keycloak):
    realm = keycloak.realms["r"]
    _keycloak_clients.reconcile_clients(context(keycloak), [{"clientId": "old"}, {"clientId": "kept"}])
    keycloak.create("/r/clients", {"clientId": "by-hand"}, "a client made by hand (no marker)")
    _keycloak_users.reconcile_users(context(keycloak), [{"username": "bob"}])
    ctx = context(keycloak, prune=True)
    _keycloak_prune.prune_unlisted(ctx, {"clients": [{"clientId": "kept"}]})
    assert sorted(c["clientId"] for c in realm.clients.values()) == ["by-hand", "kept"]
    assert actions(ctx) == {"client old": "deleted"}
    assert "bob" in [u["username"] for u in realm.users.values()]


def test_check_mode_records_everything_and_writes_nothing():
    keycloak = FakeKeycloak()
    spec = {"realm": "new", "settings": {"displayName": "New"}, "client_scopes": SCOPES, "roles": [{"name": "dev"}],
            "groups": GROUPS, "clients": [CLIENT], "identity_providers": [], "users": [{"username": "u"}]}
    reconciler = RealmReconciler(keycloak, "new", check_mode=True)
    changed, summary = reconciler.run(spec)
    assert changed and keycloak.writes() == 0 and keycloak.realms == {}
    assert summary["created"] == len(reconciler.objects) and summary["created"] > 10


def test_the_whole_realm_converges_in_one_partial_import_then_reruns_without_a_write():
    keycloak = FakeKeycloak()
    spec = {"realm": "whole", "settings": {"displayName": "Whole"}, "client_scopes": SCOPES,
            "roles": [{"name": "dev"}, {"name": "admin", "composites": ["dev"]}], "groups": GROUPS,
            "clients": [CLIENT], "identity_providers": [], "users": [{"username": "u", "groups": ["team/a"]}]}
    changed, _summary = RealmReconciler(keycloak, "whole").run(spec)
    assert changed and keycloak.requests_sent["POST"] >= 1
    assert len(keycloak.realms["whole"].clients) == 1 and len(keycloak.realms["whole"].groups) == 3
    before = keycloak.writes()
    changed, summary = RealmReconciler(keycloak, "whole").run(spec)
    assert not changed and keycloak.writes() == before
    assert summary["unchanged"] > 10 and summary["created"] == summary["updated"] == 0


def test_a_cluster_reads_only_the_secrets_of_its_own_clients(keycloak):
    from ansible_collections.krci.platform.plugins.module_utils._keycloak_client import client_secrets

    public = {"clientId": "portal-ui", "publicClient": True, "redirectUris": ["https://portal.example/*"]}
    _keycloak_scopes.reconcile_client_scopes(context(keycloak), [{"name": "groups"}])
    keycloak.realms["r"].roles["dev"] = {"name": "dev", "id": "role-dev", "composites": []}
    _keycloak_clients.reconcile_clients(context(keycloak), [CLIENT, public])
    before = keycloak.writes()
    assert client_secrets(keycloak, "r", ["argocd-hub", "portal-ui", "argocd-production"]) == {
        "argocd-hub": "secret-of-argocd-hub"}
    assert keycloak.writes() == before
    # A realm that does not exist yet (check mode before the first run) has no secrets, and no error.
    assert client_secrets(keycloak, "missing", ["argocd-hub"]) == {}
