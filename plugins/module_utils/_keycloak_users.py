# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Users (only those listed; never pruned) and their groups.

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def reconcile_users(ctx, users):
    for user in users or []:
        username = user["username"]
        ref = "user %s" % username
        found = ctx.list("/users", "read " + ref, {"username": username, "exact": "true"})
        have = found[0] if found else None
        want = dict((k, v) for k, v in user.items() if k not in ("password", "groups", "realmRoles"))
        want.setdefault("enabled", True)
        if have is None and user.get("password"):
            want["credentials"] = [{"type": "password", "value": user["password"], "temporary": False}]
        ctx.ensure(ref, have, want,
                   lambda w=want: ctx.client.create(ctx.path + "/users", w, "create " + ref),
                   lambda body, h=have: ctx.client.put(ctx.path + "/users/" + h["id"], body, "update " + ref))
        user_id = have["id"] if have else ctx.last_created_id
        if user_id is None and ctx.write():
            found = ctx.list("/users", "read " + ref, {"username": username, "exact": "true"})
            user_id = found[0]["id"] if found else None
        groups = user.get("groups") or []
        listing = ctx.client.get(ctx.path + "/users/%s/groups" % user_id, "read groups of " + ref) \
            if user_id and have else []
        current = [g["path"] for g in listing]
        missing = sorted(set("/" + g.lstrip("/") for g in groups) - set(current))
        gref = ref + " groups"
        if missing:
            ctx.record(gref, "updated" if have else "created", {"groups": sorted(current)},
                       {"groups": sorted(set(current) | set(missing))})
            if ctx.write():
                for path in missing:
                    group_id = ctx.group_id_by_path(path)
                    ctx.client.put(ctx.path + "/users/%s/groups/%s" % (user_id, group_id), None,
                                   "add %s to group %s" % (ref, path))
        elif groups:
            ctx.record(gref, "unchanged")
