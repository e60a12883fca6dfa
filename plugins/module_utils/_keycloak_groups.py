# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Groups, their subgroups and realm roles (new trees go into the partial import).

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.krci.platform.plugins.module_utils._keycloak_model import MARKER, group_paths


def reconcile_groups(ctx, groups, parent_id=None, parent_path=""):
    current = dict((g["name"], g) for g in ctx.children(parent_id))
    for group in groups or []:
        path = "%s/%s" % (parent_path, group["name"])
        ref = "group %s" % path
        want = dict((k, v) for k, v in group.items() if k not in ("subGroups", "realmRoles"))
        have = current.get(group["name"])
        if have is None and parent_id is None and ctx.batch is not None:
            ctx.batch["groups"].append(_new_group_tree(ctx, group, path))
            continue
        if have is None:
            want["attributes"] = dict(want.get("attributes") or {}, **{MARKER: ["true"]})
        create_path = "/groups" if parent_id is None else "/groups/%s/children" % parent_id
        ctx.ensure(ref, have, want,
                   lambda w=want, p=create_path: ctx.client.create(ctx.path + p, w, "create " + ref),
                   lambda body, h=have: ctx.client.put(ctx.path + "/groups/" + h["id"], body, "update " + ref))
        group_id = have["id"] if have else ctx.last_created_id
        if group_id is None and have is None and ctx.write():
            group_id = ctx.group_id(parent_id, group["name"])  # created by a concurrent run (409)
        if "realmRoles" in group:
            known = None
            if have is not None and "realmRoles" in have:
                known = list(have["realmRoles"])  # the full representation has them: no extra read
            elif have is None:
                known = []
            ctx.role_set(ref + " realm roles", "/groups/%s/role-mappings/realm" % group_id,
                         group["realmRoles"], have is not None and group_id is not None, current=known)
        if group.get("subGroups"):
            if group_id is None:  # check mode: the parent is only predicted
                for sub_path, sub_group in group_paths(group["subGroups"], path):
                    ctx.record("group %s" % sub_path, "created", None, {"name": sub_group["name"]})
            else:
                reconcile_groups(ctx, group["subGroups"], group_id, path)


def _new_group_tree(ctx, group, path):
    """A new group with its subgroups and realm roles, for the partial import; records each."""
    rep = dict((k, v) for k, v in group.items() if k not in ("subGroups", "realmRoles"))
    rep["attributes"] = dict(rep.get("attributes") or {}, **{MARKER: ["true"]})
    ctx.record("group %s" % path, "created", None, dict(rep))
    rep["path"] = path  # the partial import finds groups by path
    if "realmRoles" in group:
        rep["realmRoles"] = list(group["realmRoles"])
        ctx.record("group %s realm roles" % path, "created", {"roles": []}, {"roles": sorted(group["realmRoles"])})
    if group.get("subGroups"):
        rep["subGroups"] = [_new_group_tree(ctx, sub, "%s/%s" % (path, sub["name"])) for sub in group["subGroups"]]
    return rep
