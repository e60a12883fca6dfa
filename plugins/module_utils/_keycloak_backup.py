# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A realm exported through the admin API, for a backup. For internal collection use only.

The partial export gives the realm's settings, clients, client scopes, roles, groups, identity providers and
flows (client and IdP secrets masked); the export adds each confidential client's secret and every user with
their attributes, required actions, groups, realm and client role mappings and federated identities (read user
by user, a page at a time). What the admin API cannot give, a database backup keeps: users' password hashes
and OTP credentials, sessions, events and identity-provider secrets (docs/day2.md).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from urllib.parse import quote

FORMAT = "krci.platform/keycloak-realm/v1"
PAGE = 100


def export_realm(client, realm):
    """The realm's export document, and its counts."""
    base = "/" + quote(realm, safe="")
    reply = client.request("POST", base + "/partial-export", "export realm %s (partial export)" % realm,
                           params={"exportClients": "true", "exportGroupsAndRoles": "true"})
    representation = reply.json()
    for entry in representation.get("clients") or []:
        if entry.get("publicClient") or entry.get("bearerOnly") or entry.get("clientAuthenticatorType") != "client-secret":
            continue
        secret = client.get(base + "/clients/%s/client-secret" % entry["id"],
                            "read the secret of client %s of realm %s" % (entry.get("clientId"), realm)) or {}
        entry["secret"] = secret.get("value")
    users = []
    first = 0
    while True:
        page = client.get(base + "/users", "list users %d-%d of realm %s" % (first, first + PAGE - 1, realm),
                          params={"first": first, "max": PAGE, "briefRepresentation": "false"}) or []
        for user in page:
            what = "user %s of realm %s" % (user.get("username"), realm)
            path = base + "/users/" + user["id"]
            user["groups"] = sorted(g["path"] for g in client.get(path + "/groups", "read the groups of " + what) or [])
            user["federatedIdentities"] = client.get(path + "/federated-identity",
                                                     "read the federated identities of " + what) or []
            mappings = client.get(path + "/role-mappings", "read the role mappings of " + what) or {}
            user["realmRoles"] = sorted(r["name"] for r in mappings.get("realmMappings") or [])
            user["clientRoles"] = dict(sorted(
                (name, sorted(r["name"] for r in entry.get("mappings") or []))
                for name, entry in (mappings.get("clientMappings") or {}).items()))
            users.append(user)
        if len(page) < PAGE:
            break
        first += PAGE
    users.sort(key=lambda u: u.get("username") or "")
    counts = {"clients": len(representation.get("clients") or []),
              "client_scopes": len(representation.get("clientScopes") or []),
              "groups": _count_groups(representation.get("groups") or []),
              "realm_roles": len((representation.get("roles") or {}).get("realm") or []),
              "identity_providers": len(representation.get("identityProviders") or []),
              "users": len(users),
              "federated_identities": sum(len(u["federatedIdentities"]) for u in users)}
    return {"format": FORMAT, "realm": realm, "representation": representation, "users": users}, counts


def _count_groups(groups):
    return sum(1 + _count_groups(g.get("subGroups") or []) for g in groups)


# What a user read from the admin API carries that an import does not take.
_READ_ONLY_USER_FIELDS = ("access", "userProfileMetadata", "disableableCredentialTypes")


def _importable(user):
    return dict((k, v) for k, v in user.items() if k not in _READ_ONLY_USER_FIELDS)


def _without_keys(representation):
    """The realm without its signing key providers: the export masks their private keys, so the new realm makes
    keys of its own (tokens signed before the disaster are invalid after it, as its sessions are gone anyway)."""
    components = dict(representation.get("components") or {})
    components.pop("org.keycloak.keys.KeyProvider", None)
    return dict(representation, components=components)


def usernames(client, realm):
    base = "/" + quote(realm, safe="")
    names, first = set(), 0
    while True:
        page = client.get(base + "/users", "list users %d-%d of realm %s" % (first, first + PAGE - 1, realm),
                          params={"first": first, "max": PAGE, "briefRepresentation": "true"}) or []
        names.update(u.get("username") for u in page)
        if len(page) < PAGE:
            return names
        first += PAGE


def restore_realm(client, document, check_mode=False):
    """Put an export back: (changed, what). A realm that does not exist is imported whole (settings, clients with
    their secrets, scopes, roles, groups, identity providers, flows, users with their groups, roles and federated
    identities, with their IDs); in a realm that exists, only the users it lacks are added (partial import,
    existing objects skipped), so a restore never overwrites what a converge or a person changed since."""
    if document.get("format") != FORMAT:
        raise ValueError("the Keycloak artifact is not a %s document (format %r)" % (FORMAT, document.get("format")))
    realm = document["realm"]
    users = [_importable(u) for u in document.get("users") or []]
    base = "/" + quote(realm, safe="")
    if client.get_or_none(base, "read realm %s" % realm) is None:
        if not check_mode:
            client.create("", dict(_without_keys(document["representation"]), users=users),
                          "import realm %s from the backup (%d users)" % (realm, len(users)))
        return True, {"realm": realm, "imported": True, "users_added": sorted(u["username"] for u in users)}
    have = usernames(client, realm)
    missing = [u for u in users if u.get("username") not in have]
    if missing and not check_mode:
        client.request("POST", base + "/partialImport", "add %d users of the backup to realm %s" % (len(missing), realm),
                       body={"ifResourceExists": "SKIP", "users": missing})
    return bool(missing), {"realm": realm, "imported": False, "users_added": sorted(u["username"] for u in missing)}
