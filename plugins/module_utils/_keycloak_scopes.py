# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Client scopes of a realm, their protocol mappers and the realm's default scopes.

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.krci.platform.plugins.module_utils._keycloak_model import MARKER


def reconcile_client_scopes(ctx, scopes):
    current = dict((s["name"], s) for s in ctx.list("/client-scopes", "read client scopes"))
    for scope in scopes or []:
        want = dict((k, v) for k, v in scope.items() if k not in ("protocolMappers", "type"))
        want.setdefault("protocol", "openid-connect")
        want["attributes"] = dict(want.get("attributes") or {}, **{MARKER: "true"})
        ref = "client scope %s" % want["name"]
        have = current.get(want["name"])
        if have is not None:
            want["attributes"].pop(MARKER)  # adopt an existing scope without claiming it for prune
            if not want["attributes"]:
                want.pop("attributes")
        ctx.ensure(ref, have, want,
                   lambda w=want: ctx.client.create(ctx.path + "/client-scopes", w, "create " + ref),
                   lambda body, h=have: ctx.client.put(ctx.path + "/client-scopes/" + h["id"], body, "update " + ref))
        scope_id = have["id"] if have else ctx.last_created_id
        if scope_id is not None:
            ctx.scope_ids()[want["name"]] = scope_id
        else:
            scope_id = ctx.scope_id(want["name"])  # created by a concurrent run (409), or check mode
        ctx.mappers(ref, "/client-scopes/%s" % scope_id, scope.get("protocolMappers"), scope_id is not None)
        if scope.get("type") in ("default", "optional"):
            _realm_default_scope(ctx, want["name"], scope_id, scope["type"])


def _realm_default_scope(ctx, name, scope_id, kind):
    suffix = "/default-%s-client-scopes" % ("default" if kind == "default" else "optional")
    current = [s["name"] for s in ctx.list(suffix, "read realm %s client scopes" % kind)]
    ref = "realm %s %s client scope %s" % (ctx.realm, kind, name)
    if name in current:
        ctx.record(ref, "unchanged")
        return
    ctx.record(ref, "created", None, {"scope": name})
    if ctx.write() and scope_id:
        ctx.client.put(ctx.path + suffix + "/" + scope_id, None, "add " + ref)
