# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prune: delete only objects this collection created (marked) that left the input; never users.

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote  # noqa

from ansible_collections.krci.platform.plugins.module_utils._keycloak_model import MARKER, group_paths


def prune_unlisted(ctx, spec):
    if not ctx.prune or not ctx.realm_exists:
        return
    listed = set(c["clientId"] for c in spec.get("clients") or [])
    for client in list(ctx.clients().values()):
        if (client.get("attributes") or {}).get(MARKER) == "true" and client["clientId"] not in listed:
            ctx.delete("client %s" % client["clientId"], "/clients/" + client["id"], client)
    listed = set(s["name"] for s in spec.get("client_scopes") or [])
    for scope in ctx.list("/client-scopes", "read client scopes"):
        if (scope.get("attributes") or {}).get(MARKER) == "true" and scope["name"] not in listed:
            ctx.delete("client scope %s" % scope["name"], "/client-scopes/" + scope["id"], scope)
    listed = set(r["name"] for r in spec.get("roles") or [])
    for role in ctx.list("/roles", "read realm roles", {"briefRepresentation": "false"}):
        if (role.get("attributes") or {}).get(MARKER) == ["true"] and role["name"] not in listed:
            ctx.delete("realm role %s" % role["name"], "/roles/" + quote(role["name"], safe=""), role)
    listed = set(item[0] for item in group_paths(spec.get("groups")))
    _prune_groups(ctx, None, "", listed)
    listed = set(p["alias"] for p in spec.get("identity_providers") or [])
    for provider in ctx.list("/identity-provider/instances", "read identity providers"):
        if (provider.get("config") or {}).get(MARKER) == "true" and provider["alias"] not in listed:
            ctx.delete("identity provider %s" % provider["alias"],
                       "/identity-provider/instances/" + quote(provider["alias"], safe=""), provider)


def _prune_groups(ctx, parent_id, parent_path, listed):
    for group in ctx.children(parent_id):
        path = "%s/%s" % (parent_path, group["name"])
        if (group.get("attributes") or {}).get(MARKER) == ["true"] and path not in listed:
            ctx.delete("group %s" % path, "/groups/" + group["id"], {"name": group["name"]})
        elif group.get("subGroupCount", 1):
            _prune_groups(ctx, group["id"], path, listed)
