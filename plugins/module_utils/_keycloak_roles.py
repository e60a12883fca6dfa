# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Realm roles and their composites.

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote  # noqa

from ansible_collections.krci.platform.plugins.module_utils._keycloak_model import MARKER


def reconcile_roles(ctx, roles):
    current = dict((r["name"], r) for r in ctx.list("/roles", "read realm roles", {"briefRepresentation": "false"}))
    for role in roles or []:
        want = dict((k, v) for k, v in role.items() if k != "composites")
        ref = "realm role %s" % want["name"]
        have = current.get(want["name"])
        if have is None:
            want["attributes"] = dict(want.get("attributes") or {}, **{MARKER: ["true"]})
            if ctx.batch is not None:
                ctx.record(ref, "created", None, want)
                ctx.batch["roles"]["realm"].append(want)
                if "composites" in role:
                    ctx.after_batch.append(lambda r=ref, n=want["name"], c=role["composites"]: ctx.role_set(
                        r + " composites", "/roles/%s/composites" % quote(n, safe=""), c, False, current=[]))
                continue
        ctx.ensure(ref, have, want,
                   lambda w=want: ctx.client.create(ctx.path + "/roles", w, "create " + ref),
                   lambda body: ctx.client.put(ctx.path + "/roles/" + quote(want["name"], safe=""), body,
                                               "update " + ref))
        if "composites" in role:
            ctx.role_set(ref + " composites", "/roles/%s/composites" % quote(want["name"], safe=""),
                         role["composites"], have is not None)
