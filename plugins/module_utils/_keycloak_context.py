# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state of one realm reconcile, shared by the reconcilers of each object kind.

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

try:
    from urllib.parse import quote
except ImportError:  # pragma: no cover
    from urllib import quote  # noqa

from ansible_collections.krci.platform.plugins.module_utils._changes import ChangeSet
from ansible_collections.krci.platform.plugins.module_utils._keycloak_client import KeycloakError
from ansible_collections.krci.platform.plugins.module_utils._keycloak_model import mask, merged, same, subset


PAGE = 500


class RealmContext:
    """One realm's reconcile: the admin client, what was recorded, and what was read once per run.

    The reconcilers of each object kind take it as their first argument; ``ensure`` is the one
    create-or-update step they share, ``role_set`` and ``mappers`` the two sub-objects several kinds
    have, and the readers (``clients``, ``scope_ids``, ``children``, ...) read each listing once.
    """

    def __init__(self, client, realm, check_mode=False, prune=False, dump=repr):
        self.client = client
        self.realm = realm
        self.check_mode = check_mode
        self.prune = prune
        self.dump = dump
        self.changes = ChangeSet(dump, mask)
        self.realm_exists = True
        self.path = "/%s" % quote(realm, safe="")
        self.last_created_id = None
        self.role_cache = {}
        self.scope_cache = None
        self.client_cache = None
        # New top-level objects (roles, group trees, clients) wait here and are created together in
        # one partial import; work that needs their ids waits in ``after_batch``.
        self.batch = None
        self.after_batch = []

    @property
    def objects(self):
        return self.changes.objects

    @property
    def diffs(self):
        return self.changes.diffs

    def record(self, ref, action, before=None, after=None):
        self.changes.record(ref, action, before, after)

    def write(self):
        return not self.check_mode

    def ensure(self, ref, current, desired, create, update, compare=None, reread=None):
        """Create if absent, update if the given keys (of ``compare``, default ``desired``) differ.

        ``reread()`` finds the object when the create answered 409 (it exists after all: a concurrent
        run, or this run's earlier attempt whose reply was lost); it is then reconciled as existing.
        """
        self.last_created_id = None
        if current is None:
            mark = self.changes.mark()
            self.record(ref, "created", None, desired)
            if self.write():
                self.last_created_id = create()
                if self.last_created_id is None and reread is not None:
                    found = reread()
                    if found is not None:
                        self.changes.rollback(mark)
                        return self.ensure(ref, found, desired, create, update, compare)
            return "created"
        if same(desired if compare is None else compare, current):
            self.record(ref, "unchanged")
            return "unchanged"
        self.record(ref, "updated", subset(current, desired), desired)
        if self.write():
            update(merged(current, desired))
        return "updated"

    def list(self, suffix, what, params=None):
        if not self.realm_exists:
            return []
        return self.client.get(self.path + suffix, what, params=params) or []

    def mappers(self, owner_ref, base, desired_mappers, owner_exists, listing=None):
        """Reconcile protocol mappers; ``listing`` is the owner's current mappers when already read."""
        if listing is None:
            listing = self.list(base + "/protocol-mappers/models", "read mappers of " + owner_ref) if owner_exists else []
        current = dict((m["name"], m) for m in listing)
        for mapper in desired_mappers or []:
            want = dict(mapper)
            want.setdefault("protocol", "openid-connect")
            ref = "%s mapper %s" % (owner_ref, want["name"])
            have = current.get(want["name"])
            self.ensure(ref, have, want,
                        lambda w=want: self.client.create(self.path + base + "/protocol-mappers/models", w, "create " + ref),
                        lambda body: self.client.put(self.path + base + "/protocol-mappers/models/" + body["id"],
                                                     body, "update " + ref),
                        reread=lambda n=want["name"]: self.mapper_named(base, n))

    def mapper_named(self, base, name):
        listing = self.list(base + "/protocol-mappers/models", "read mappers of " + base)
        return next((m for m in listing if m["name"] == name), None)

    def scope_ids(self):
        """Client scope name -> id, read once per run and kept up to date as scopes are created."""
        if self.scope_cache is None:
            self.scope_cache = dict((s["name"], s["id"]) for s in self.list("/client-scopes", "read client scopes"))
        return self.scope_cache

    def scope_id(self, name):
        if not self.realm_exists:
            return None
        if name not in self.scope_ids() and self.scope_cache:
            self.scope_cache = None  # unknown name: read again once (another writer may have added it)
        return self.scope_ids().get(name)

    def role_reps(self, names):
        reps = []
        for name in names:
            if name not in self.role_cache:
                self.role_cache[name] = self.client.get_or_none(self.path + "/roles/" + quote(name, safe=""),
                                                                "read realm role " + name)
            if self.role_cache[name] is None:
                raise KeycloakError("realm role %s does not exist in realm %s" % (name, self.realm))
            reps.append(self.role_cache[name])
        return reps

    def role_set(self, ref, suffix, names, owner_exists, current=None):
        """Make the realm roles at ``suffix`` exactly ``names`` (the owner is managed).

        ``current`` is the owner's realm role names when already read (a group's full representation).
        """
        if current is not None:
            pass
        elif not (owner_exists and self.realm_exists):
            current = []
        else:
            listing = self.client.get(self.path + suffix, "read " + ref) or []
            current = [r["name"] for r in listing if not r.get("clientRole")]
        add = sorted(set(names) - set(current))
        remove = sorted(set(current) - set(names))
        if not add and not remove:
            self.record(ref, "unchanged")
            return
        self.record(ref, "updated" if owner_exists else "created", {"roles": sorted(current)}, {"roles": sorted(names)})
        if not self.write():
            return
        if add:
            self.client.request("POST", self.path + suffix, "add %s to %s" % (", ".join(add), ref), body=self.role_reps(add))
        if remove:
            self.client.request("DELETE", self.path + suffix, "remove %s from %s" % (", ".join(remove), ref),
                                body=self.role_reps(remove))

    def children(self, parent_id):
        if not self.realm_exists:
            return []
        if parent_id is None:
            return self.client.get(self.path + "/groups", "read groups",
                                   {"briefRepresentation": "false", "max": "1000"}) or []
        return self.client.get(self.path + "/groups/%s/children" % parent_id, "read subgroups",
                               {"briefRepresentation": "false", "max": "1000"}) or []

    def group_id(self, parent_id, name):
        for group in self.children(parent_id):
            if group["name"] == name:
                return group["id"]
        return None

    def group_id_by_path(self, path):
        parent = None
        for name in path.strip("/").split("/"):
            parent = self.group_id(parent, name)
            if parent is None:
                return None
        return parent

    def clients(self):
        """clientId -> full client representation (mappers included), read once per run in pages."""
        if self.client_cache is None:
            self.client_cache = {}
            first = 0
            while self.realm_exists:
                page = self.list("/clients", "read clients", {"first": str(first), "max": str(PAGE)})
                for item in page:
                    self.client_cache[item["clientId"]] = item
                if len(page) < PAGE:
                    break
                first += PAGE
        return self.client_cache

    def client_uuid(self, client_id):
        """The id of a client this run may have created (or a concurrent run did: 409): one fresh read."""
        found = self.list("/clients", "read client " + client_id, {"clientId": client_id})
        if found:
            self.clients()[client_id] = found[0]
            return found[0]["id"]
        return None

    def delete(self, ref, suffix, current):
        self.record(ref, "deleted", subset(current, {"name": 1, "clientId": 1, "alias": 1}) if current else None, None)
        if self.write():
            self.client.delete(self.path + suffix, "delete " + ref)
