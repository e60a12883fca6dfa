# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Clients with their protocol mappers, default/optional scopes, service account roles and secret.

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.krci.platform.plugins.module_utils._keycloak_client import KeycloakError
from ansible_collections.krci.platform.plugins.module_utils._keycloak_model import MARKER


def reconcile_clients(ctx, clients):
    existing = ctx.clients()
    for client in clients or []:
        client_id = client["clientId"]
        ref = "client %s" % client_id
        have = existing.get(client_id)
        want = dict((k, v) for k, v in client.items()
                    if k not in ("protocolMappers", "defaultClientScopes", "optionalClientScopes",
                                 "serviceAccountRealmRoles"))
        want.setdefault("protocol", "openid-connect")
        mappers = [dict(m, protocol=m.get("protocol", "openid-connect")) for m in client.get("protocolMappers") or []]
        if have is None:
            want["attributes"] = dict(want.get("attributes") or {}, **{MARKER: "true"})
            # A new client is created with its mappers in the same request.
            body = dict(want, protocolMappers=mappers) if mappers else want
            if ctx.batch is not None:
                ctx.record(ref, "created", None, want)
                for mapper in mappers:
                    ctx.record("%s mapper %s" % (ref, mapper["name"]), "created", None, mapper)
                ctx.batch["clients"].append(body)
                ctx.after_batch.append(lambda c=client, r=ref: client_extras(ctx, c, r, None))
                continue
            ctx.ensure(ref, None, want, lambda b=body: ctx.client.create(ctx.path + "/clients", b, "create " + ref),
                       None)
            for mapper in mappers:
                ctx.record("%s mapper %s" % (ref, mapper["name"]), "created", None, mapper)
            uuid = ctx.last_created_id
            if uuid is None and ctx.write():
                uuid = ctx.client_uuid(client_id)
            if uuid is not None and mappers and ctx.last_created_id is None:
                # Created by a concurrent run (409): its mappers may differ, so reconcile them.
                ctx.mappers(ref, "/clients/%s" % uuid, mappers, True)
        else:
            have = dict((k, v) for k, v in have.items() if k != "protocolMappers")  # reconciled below, by name
            ctx.ensure(ref, have, want, None,
                       lambda body, h=have: ctx.client.put(ctx.path + "/clients/" + h["id"], body, "update " + ref))
            uuid = have["id"]
            ctx.mappers(ref, "/clients/%s" % uuid, mappers, True,
                        listing=existing[client_id].get("protocolMappers") or [])
        client_extras(ctx, client, ref, have, uuid)


def client_extras(ctx, client, ref, have, uuid=None):
    """Default/optional client scopes and service account roles of a client (new ones: after its import)."""
    if have is None and uuid is None and ctx.write():
        uuid = (ctx.clients().get(client["clientId"]) or {}).get("id")
    base = "/clients/%s" % uuid
    for kind in ("default", "optional"):
        names = client.get("%sClientScopes" % kind)
        if names is not None:
            known = have.get("%sClientScopes" % kind) if have is not None else None
            _client_scopes_of(ctx, ref, base, kind, names, uuid is not None, known)
    if "serviceAccountRealmRoles" in client:
        user = ctx.client.get(ctx.path + base + "/service-account-user", "read service account of " + ref) \
            if uuid is not None else None
        suffix = "/users/%s/role-mappings/realm" % (user["id"] if user else "-")
        ctx.role_set(ref + " service account realm roles", suffix, client["serviceAccountRealmRoles"],
                     user is not None)


def _client_scopes_of(ctx, ref, base, kind, names, exists, known=None):
    suffix = base + "/%s-client-scopes" % kind
    if known is not None:
        current = list(known)  # from the client's full representation
    elif exists:
        current = [s["name"] for s in ctx.client.get(ctx.path + suffix, "read %s scopes of %s" % (kind, ref))]
    else:
        current = []
    missing = sorted(set(names) - set(current))
    sref = "%s %s client scopes" % (ref, kind)
    if not missing:
        ctx.record(sref, "unchanged")
        return
    ctx.record(sref, "updated" if exists else "created", {"scopes": sorted(current)},
               {"scopes": sorted(set(current) | set(names))})
    if ctx.write():
        for name in missing:
            scope_id = ctx.scope_id(name)
            if scope_id is None:
                raise KeycloakError("%s: client scope %s does not exist; add it to client_scopes" % (sref, name))
            ctx.client.put(ctx.path + suffix + "/" + scope_id, None, "add scope %s to %s" % (name, ref))


def client_secret(ctx, client_id):
    found = ctx.clients().get(client_id)
    if found is None and not ctx.check_mode:
        ctx.client_uuid(client_id)
        found = ctx.clients().get(client_id)
    if not found or found.get("publicClient"):
        return None
    secret = ctx.client.get(ctx.path + "/clients/%s/client-secret" % found["id"], "read secret of " + client_id)
    return (secret or {}).get("value")
