# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reconcile a whole Keycloak realm through the admin REST API, object by object.

For internal collection use only.

Read, compare, write only the difference. Objects are given in Keycloak's own representation
(camelCase keys as in the admin API); only the keys given are compared, so Keycloak's defaults
never show up as drift. Objects this module creates carry the marker ``krci.platform/managed``;
``prune`` deletes only marked objects that left the input, and never users.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

try:
    from urllib.parse import quote, urlparse
except ImportError:  # pragma: no cover
    from urllib import quote  # noqa
    from urlparse import urlparse  # noqa

from ansible_collections.krci.platform.plugins.module_utils._changes import ChangeSet
from ansible_collections.krci.platform.plugins.module_utils._keycloak_client import KeycloakError

MARKER = "krci.platform/managed"
MASK = "********"
BUILTIN_ROLES = ("offline_access", "uma_authorization")
PROTOCOLS = ("openid-connect", "saml")
_SECRET_KEYS = ("secret", "password", "clientSecret")
_PAGE = 500


# --- comparison ---------------------------------------------------------------------------

def _scalar_same(want, have):
    if want == have:
        return True
    if isinstance(want, bool) or isinstance(have, bool):
        return str(want).lower() == str(have).lower()
    if isinstance(want, (int, float)) and isinstance(have, str) or isinstance(have, (int, float)) and isinstance(want, str):
        return str(want) == str(have)
    return False


def same(want, have):
    """True if every key/value given in ``want`` is in ``have`` (lists of scalars as sets)."""
    if isinstance(want, dict):
        if not isinstance(have, dict):
            return False
        return all(key in have and same(value, have[key]) for key, value in want.items())
    if isinstance(want, list):
        if not isinstance(have, list):
            # Keycloak keeps group/role attributes as lists; a scalar given means a one-item list.
            return False
        if all(not isinstance(v, (dict, list)) for v in want + have):
            return sorted(str(v) for v in want) == sorted(str(v) for v in have)
        return len(want) == len(have) and all(same(w, h) for w, h in zip(want, have))
    return _scalar_same(want, have)


def merged(current, desired):
    """``current`` updated with ``desired`` (maps merged key by key), for a full PUT."""
    result = copy.deepcopy(current)
    for key, value in desired.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def subset(have, want):
    """The part of ``have`` that ``want`` speaks about, for a readable diff."""
    if not isinstance(want, dict) or not isinstance(have, dict):
        return have
    return dict((key, subset(have.get(key), value)) for key, value in want.items())


def mask(obj):
    if isinstance(obj, dict):
        return dict((k, MASK if k in _SECRET_KEYS and v else mask(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [mask(v) for v in obj]
    return obj


# --- validation before any change ---------------------------------------------------------

def _duplicates(items, key):
    seen, dups = set(), []
    for item in items:
        value = item.get(key)
        if value in seen:
            dups.append(value)
        seen.add(value)
    return dups


def _group_paths(groups, parent=""):
    for group in groups or []:
        path = "%s/%s" % (parent, group.get("name"))
        yield path, group
        yield from _group_paths(group.get("subGroups"), path)


def validate(spec, existing_roles):
    """Every problem of the input, before any change; each names the object, the field and the fix."""
    errors = []
    for kind, key in (("clients", "clientId"), ("client_scopes", "name"), ("roles", "name"),
                      ("identity_providers", "alias"), ("users", "username")):
        items = spec.get(kind) or []
        for index, item in enumerate(items):
            if not item.get(key):
                errors.append("%s[%d]: %s is required" % (kind, index, key))
        for dup in _duplicates(items, key):
            errors.append("%s: %s %r is given twice" % (kind, key, dup))
    paths = [item[0] for item in _group_paths(spec.get("groups"))]
    for path in set(p for p in paths if paths.count(p) > 1):
        errors.append("groups: group %s is given twice" % path)
    known_roles = set(r.get("name") for r in spec.get("roles") or []) | set(existing_roles) | set(BUILTIN_ROLES)
    known_roles.add("default-roles-%s" % spec["realm"])
    for client in spec.get("clients") or []:
        ref = "clients[%s]" % client.get("clientId")
        protocol = client.get("protocol", "openid-connect")
        if protocol not in PROTOCOLS:
            errors.append("%s.protocol: unknown client protocol %r; use one of %s" % (ref, protocol, ", ".join(PROTOCOLS)))
        for field in ("redirectUris", "webOrigins"):
            for uri in client.get(field) or []:
                if field == "webOrigins" and uri in ("+", "*"):
                    if uri == "*":
                        errors.append("%s.webOrigins: '*' allows every origin; list the origins" % ref)
                    continue
                parsed = urlparse(uri)
                if uri.strip() in ("*", "/*") or not ((parsed.scheme and parsed.netloc) or uri.startswith("/")):
                    errors.append("%s.%s: %r is not a URI (give absolute URIs such as https://host/path; no bare '*')"
                                  % (ref, field, uri))
        for role in client.get("serviceAccountRealmRoles") or []:
            if role not in known_roles:
                errors.append("%s.serviceAccountRealmRoles: role %r is not defined; add it to roles" % (ref, role))
    for path, group in _group_paths(spec.get("groups")):
        for role in group.get("realmRoles") or []:
            if role not in known_roles:
                errors.append("groups[%s].realmRoles: role %r is not defined; add it to roles" % (path, role))
    for role in spec.get("roles") or []:
        for composite in role.get("composites") or []:
            if composite not in known_roles:
                errors.append("roles[%s].composites: role %r is not defined; add it to roles" % (role.get("name"), composite))
    for user in spec.get("users") or []:
        for role in user.get("realmRoles") or []:
            if role not in known_roles:
                errors.append("users[%s].realmRoles: role %r is not defined" % (user.get("username"), role))
        for group in user.get("groups") or []:
            if ("/" + group.lstrip("/")) not in paths:
                errors.append("users[%s].groups: group %r is not in groups" % (user.get("username"), group))
    for idp in spec.get("identity_providers") or []:
        if idp.get("providerId", "oidc") not in ("oidc", "keycloak-oidc", "saml"):
            errors.append("identity_providers[%s].providerId: %r is not supported; use oidc, keycloak-oidc or saml"
                          % (idp.get("alias"), idp.get("providerId")))
    return errors


# --- the reconciler -----------------------------------------------------------------------

class RealmReconciler:
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
        self._role_cache = {}
        self._scope_cache = None
        self._client_cache = None
        # New top-level objects (roles, group trees, clients) wait here and are created together in
        # one partial import; work that needs their ids waits in ``_after_batch``.
        self._batch = None
        self._after_batch = []

    # -- bookkeeping --
    @property
    def objects(self):
        return self.changes.objects

    @property
    def diffs(self):
        return self.changes.diffs

    def _record(self, ref, action, before=None, after=None):
        self.changes.record(ref, action, before, after)

    def _write(self):
        return not self.check_mode

    def _ensure(self, ref, current, desired, create, update, compare=None, reread=None):
        """Create if absent, update if the given keys (of ``compare``, default ``desired``) differ.

        ``reread()`` finds the object when the create answered 409 (it exists after all: a concurrent
        run, or this run's earlier attempt whose reply was lost); it is then reconciled as existing.
        """
        self.last_created_id = None
        if current is None:
            mark = self.changes.mark()
            self._record(ref, "created", None, desired)
            if self._write():
                self.last_created_id = create()
                if self.last_created_id is None and reread is not None:
                    found = reread()
                    if found is not None:
                        self.changes.rollback(mark)
                        return self._ensure(ref, found, desired, create, update, compare)
            return "created"
        if same(desired if compare is None else compare, current):
            self._record(ref, "unchanged")
            return "unchanged"
        self._record(ref, "updated", subset(current, desired), desired)
        if self._write():
            update(merged(current, desired))
        return "updated"

    # -- realm --
    def realm_settings(self, settings):
        current = self.client.get_or_none(self.path, "read realm %s" % self.realm)
        desired = dict(settings or {})
        desired.setdefault("enabled", True)
        ref = "realm %s" % self.realm
        if current is None:
            self.realm_exists = False
            if self._write():
                if self.client.create("", dict(desired, realm=self.realm), "create " + ref) is None:
                    # 409: it exists after all (a concurrent run, or this run's create whose reply was
                    # lost in a restart): reconcile it as an existing realm.
                    current = self.client.get(self.path, "read realm %s" % self.realm)
                self.realm_exists = True
            if current is None:
                self._record(ref, "created", None, desired)
                if self._write():
                    self.client.known_realms.add(self.realm)
                return
        self.client.known_realms.add(self.realm)
        self.realm_exists = True
        if same(desired, current):
            self._record(ref, "unchanged")
            return
        self._record(ref, "updated", subset(current, desired), desired)
        if self._write():
            self.client.put(self.path, desired, "update realm %s settings (Keycloak rejected them)" % self.realm)

    def _list(self, suffix, what, params=None):
        if not self.realm_exists:
            return []
        return self.client.get(self.path + suffix, what, params=params) or []

    # -- protocol mappers (clients and client scopes) --
    def _mappers(self, owner_ref, base, desired_mappers, owner_exists, listing=None):
        """Reconcile protocol mappers; ``listing`` is the owner's current mappers when already read."""
        if listing is None:
            listing = self._list(base + "/protocol-mappers/models", "read mappers of " + owner_ref) if owner_exists else []
        current = dict((m["name"], m) for m in listing)
        for mapper in desired_mappers or []:
            want = dict(mapper)
            want.setdefault("protocol", "openid-connect")
            ref = "%s mapper %s" % (owner_ref, want["name"])
            have = current.get(want["name"])
            self._ensure(ref, have, want,
                         lambda w=want: self.client.create(self.path + base + "/protocol-mappers/models", w, "create " + ref),
                         lambda body: self.client.put(self.path + base + "/protocol-mappers/models/" + body["id"],
                                                      body, "update " + ref),
                         reread=lambda n=want["name"]: self._mapper_named(base, n))

    def _mapper_named(self, base, name):
        listing = self._list(base + "/protocol-mappers/models", "read mappers of " + base)
        return next((m for m in listing if m["name"] == name), None)

    # -- client scopes --
    def client_scopes(self, scopes):
        current = dict((s["name"], s) for s in self._list("/client-scopes", "read client scopes"))
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
            self._ensure(ref, have, want,
                         lambda w=want: self.client.create(self.path + "/client-scopes", w, "create " + ref),
                         lambda body, h=have: self.client.put(self.path + "/client-scopes/" + h["id"], body, "update " + ref))
            scope_id = have["id"] if have else self.last_created_id
            if scope_id is not None:
                self._scope_ids()[want["name"]] = scope_id
            else:
                scope_id = self._scope_id(want["name"])  # created by a concurrent run (409), or check mode
            self._mappers(ref, "/client-scopes/%s" % scope_id, scope.get("protocolMappers"), scope_id is not None)
            if scope.get("type") in ("default", "optional"):
                self._realm_default_scope(want["name"], scope_id, scope["type"])

    def _scope_ids(self):
        """Client scope name -> id, read once per run and kept up to date as scopes are created."""
        if self._scope_cache is None:
            self._scope_cache = dict((s["name"], s["id"]) for s in self._list("/client-scopes", "read client scopes"))
        return self._scope_cache

    def _scope_id(self, name):
        if not self.realm_exists:
            return None
        if name not in self._scope_ids() and self._scope_cache:
            self._scope_cache = None  # unknown name: read again once (another writer may have added it)
        return self._scope_ids().get(name)

    def _realm_default_scope(self, name, scope_id, kind):
        suffix = "/default-%s-client-scopes" % ("default" if kind == "default" else "optional")
        current = [s["name"] for s in self._list(suffix, "read realm %s client scopes" % kind)]
        ref = "realm %s %s client scope %s" % (self.realm, kind, name)
        if name in current:
            self._record(ref, "unchanged")
            return
        self._record(ref, "created", None, {"scope": name})
        if self._write() and scope_id:
            self.client.put(self.path + suffix + "/" + scope_id, None, "add " + ref)

    # -- realm roles --
    def roles(self, roles):
        current = dict((r["name"], r) for r in self._list("/roles", "read realm roles", {"briefRepresentation": "false"}))
        for role in roles or []:
            want = dict((k, v) for k, v in role.items() if k != "composites")
            ref = "realm role %s" % want["name"]
            have = current.get(want["name"])
            if have is None:
                want["attributes"] = dict(want.get("attributes") or {}, **{MARKER: ["true"]})
                if self._batch is not None:
                    self._record(ref, "created", None, want)
                    self._batch["roles"]["realm"].append(want)
                    if "composites" in role:
                        self._after_batch.append(lambda r=ref, n=want["name"], c=role["composites"]: self._role_set(
                            r + " composites", "/roles/%s/composites" % quote(n, safe=""), c, False, current=[]))
                    continue
            self._ensure(ref, have, want,
                         lambda w=want: self.client.create(self.path + "/roles", w, "create " + ref),
                         lambda body: self.client.put(self.path + "/roles/" + quote(want["name"], safe=""), body,
                                                      "update " + ref))
            if "composites" in role:
                self._role_set(ref + " composites", "/roles/%s/composites" % quote(want["name"], safe=""),
                               role["composites"], have is not None)

    def _role_reps(self, names):
        reps = []
        for name in names:
            if name not in self._role_cache:
                self._role_cache[name] = self.client.get_or_none(self.path + "/roles/" + quote(name, safe=""),
                                                                 "read realm role " + name)
            if self._role_cache[name] is None:
                raise KeycloakError("realm role %s does not exist in realm %s" % (name, self.realm))
            reps.append(self._role_cache[name])
        return reps

    def _role_set(self, ref, suffix, names, owner_exists, current=None):
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
            self._record(ref, "unchanged")
            return
        self._record(ref, "updated" if owner_exists else "created", {"roles": sorted(current)}, {"roles": sorted(names)})
        if not self._write():
            return
        if add:
            self.client.request("POST", self.path + suffix, "add %s to %s" % (", ".join(add), ref), body=self._role_reps(add))
        if remove:
            self.client.request("DELETE", self.path + suffix, "remove %s from %s" % (", ".join(remove), ref),
                                body=self._role_reps(remove))

    # -- groups --
    def _children(self, parent_id):
        if not self.realm_exists:
            return []
        if parent_id is None:
            return self.client.get(self.path + "/groups", "read groups",
                                   {"briefRepresentation": "false", "max": "1000"}) or []
        return self.client.get(self.path + "/groups/%s/children" % parent_id, "read subgroups",
                               {"briefRepresentation": "false", "max": "1000"}) or []

    def groups(self, groups, parent_id=None, parent_path=""):
        current = dict((g["name"], g) for g in self._children(parent_id))
        for group in groups or []:
            path = "%s/%s" % (parent_path, group["name"])
            ref = "group %s" % path
            want = dict((k, v) for k, v in group.items() if k not in ("subGroups", "realmRoles"))
            have = current.get(group["name"])
            if have is None and parent_id is None and self._batch is not None:
                self._batch["groups"].append(self._new_group_tree(group, path))
                continue
            if have is None:
                want["attributes"] = dict(want.get("attributes") or {}, **{MARKER: ["true"]})
            create_path = "/groups" if parent_id is None else "/groups/%s/children" % parent_id
            self._ensure(ref, have, want,
                         lambda w=want, p=create_path: self.client.create(self.path + p, w, "create " + ref),
                         lambda body, h=have: self.client.put(self.path + "/groups/" + h["id"], body, "update " + ref))
            group_id = have["id"] if have else self.last_created_id
            if group_id is None and have is None and self._write():
                group_id = self._group_id(parent_id, group["name"])  # created by a concurrent run (409)
            if "realmRoles" in group:
                known = None
                if have is not None and "realmRoles" in have:
                    known = list(have["realmRoles"])  # the full representation has them: no extra read
                elif have is None:
                    known = []
                self._role_set(ref + " realm roles", "/groups/%s/role-mappings/realm" % group_id,
                               group["realmRoles"], have is not None and group_id is not None, current=known)
            if group.get("subGroups"):
                if group_id is None:  # check mode: the parent is only predicted
                    for sub_path, sub_group in _group_paths(group["subGroups"], path):
                        self._record("group %s" % sub_path, "created", None, {"name": sub_group["name"]})
                else:
                    self.groups(group["subGroups"], group_id, path)

    def _new_group_tree(self, group, path):
        """A new group with its subgroups and realm roles, for the partial import; records each."""
        rep = dict((k, v) for k, v in group.items() if k not in ("subGroups", "realmRoles"))
        rep["attributes"] = dict(rep.get("attributes") or {}, **{MARKER: ["true"]})
        self._record("group %s" % path, "created", None, dict(rep))
        rep["path"] = path  # the partial import finds groups by path
        if "realmRoles" in group:
            rep["realmRoles"] = list(group["realmRoles"])
            self._record("group %s realm roles" % path, "created", {"roles": []}, {"roles": sorted(group["realmRoles"])})
        if group.get("subGroups"):
            rep["subGroups"] = [self._new_group_tree(sub, "%s/%s" % (path, sub["name"])) for sub in group["subGroups"]]
        return rep

    def _group_id(self, parent_id, name):
        for group in self._children(parent_id):
            if group["name"] == name:
                return group["id"]
        return None

    def _group_id_by_path(self, path):
        parent = None
        for name in path.strip("/").split("/"):
            parent = self._group_id(parent, name)
            if parent is None:
                return None
        return parent

    # -- clients --
    def _clients(self):
        """clientId -> full client representation (mappers included), read once per run in pages."""
        if self._client_cache is None:
            self._client_cache = {}
            first = 0
            while self.realm_exists:
                page = self._list("/clients", "read clients", {"first": str(first), "max": str(_PAGE)})
                for item in page:
                    self._client_cache[item["clientId"]] = item
                if len(page) < _PAGE:
                    break
                first += _PAGE
        return self._client_cache

    def _client_uuid(self, client_id):
        """The id of a client this run may have created (or a concurrent run did: 409): one fresh read."""
        found = self._list("/clients", "read client " + client_id, {"clientId": client_id})
        if found:
            self._clients()[client_id] = found[0]
            return found[0]["id"]
        return None

    def clients(self, clients):
        existing = self._clients()
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
                if self._batch is not None:
                    self._record(ref, "created", None, want)
                    for mapper in mappers:
                        self._record("%s mapper %s" % (ref, mapper["name"]), "created", None, mapper)
                    self._batch["clients"].append(body)
                    self._after_batch.append(lambda c=client, r=ref: self._client_extras(c, r, None))
                    continue
                self._ensure(ref, None, want, lambda b=body: self.client.create(self.path + "/clients", b, "create " + ref),
                             None)
                for mapper in mappers:
                    self._record("%s mapper %s" % (ref, mapper["name"]), "created", None, mapper)
                uuid = self.last_created_id
                if uuid is None and self._write():
                    uuid = self._client_uuid(client_id)
                if uuid is not None and mappers and self.last_created_id is None:
                    # Created by a concurrent run (409): its mappers may differ, so reconcile them.
                    self._mappers(ref, "/clients/%s" % uuid, mappers, True)
            else:
                have = dict((k, v) for k, v in have.items() if k != "protocolMappers")  # reconciled below, by name
                self._ensure(ref, have, want, None,
                             lambda body, h=have: self.client.put(self.path + "/clients/" + h["id"], body, "update " + ref))
                uuid = have["id"]
                self._mappers(ref, "/clients/%s" % uuid, mappers, True,
                              listing=existing[client_id].get("protocolMappers") or [])
            self._client_extras(client, ref, have, uuid)

    def _client_extras(self, client, ref, have, uuid=None):
        """Default/optional client scopes and service account roles of a client (new ones: after its import)."""
        if have is None and uuid is None and self._write():
            uuid = (self._clients().get(client["clientId"]) or {}).get("id")
        base = "/clients/%s" % uuid
        for kind in ("default", "optional"):
            names = client.get("%sClientScopes" % kind)
            if names is not None:
                known = have.get("%sClientScopes" % kind) if have is not None else None
                self._client_scopes_of(ref, base, kind, names, uuid is not None, known)
        if "serviceAccountRealmRoles" in client:
            user = self.client.get(self.path + base + "/service-account-user", "read service account of " + ref) \
                if uuid is not None else None
            suffix = "/users/%s/role-mappings/realm" % (user["id"] if user else "-")
            self._role_set(ref + " service account realm roles", suffix, client["serviceAccountRealmRoles"],
                           user is not None)

    def _client_scopes_of(self, ref, base, kind, names, exists, known=None):
        suffix = base + "/%s-client-scopes" % kind
        if known is not None:
            current = list(known)  # from the client's full representation
        elif exists:
            current = [s["name"] for s in self.client.get(self.path + suffix, "read %s scopes of %s" % (kind, ref))]
        else:
            current = []
        missing = sorted(set(names) - set(current))
        sref = "%s %s client scopes" % (ref, kind)
        if not missing:
            self._record(sref, "unchanged")
            return
        self._record(sref, "updated" if exists else "created", {"scopes": sorted(current)},
                     {"scopes": sorted(set(current) | set(names))})
        if self._write():
            for name in missing:
                scope_id = self._scope_id(name)
                if scope_id is None:
                    raise KeycloakError("%s: client scope %s does not exist; add it to client_scopes" % (sref, name))
                self.client.put(self.path + suffix + "/" + scope_id, None, "add scope %s to %s" % (name, ref))

    def client_secret(self, client_id):
        found = self._clients().get(client_id)
        if found is None and not self.check_mode:
            self._client_uuid(client_id)
            found = self._clients().get(client_id)
        if not found or found.get("publicClient"):
            return None
        secret = self.client.get(self.path + "/clients/%s/client-secret" % found["id"], "read secret of " + client_id)
        return (secret or {}).get("value")

    # -- identity providers --
    def identity_providers(self, providers):
        current = dict((p["alias"], p) for p in self._list("/identity-provider/instances", "read identity providers"))
        for provider in providers or []:
            want = dict((k, v) for k, v in provider.items() if k != "mappers")
            want.setdefault("providerId", "oidc")
            ref = "identity provider %s" % want["alias"]
            have = current.get(want["alias"])
            if have is None:
                want["config"] = dict(want.get("config") or {}, **{MARKER: "true"})
            alias = quote(want["alias"], safe="")
            compare = want
            if have is not None and set(str((have.get("config") or {}).get("clientSecret", ""))) == {"*"}:
                # Keycloak never returns an IdP's client secret: it is written on create and with
                # any other change of the provider, but cannot be compared.
                compare = dict(want, config=dict((k, v) for k, v in (want.get("config") or {}).items()
                                                 if k != "clientSecret"))
            self._ensure(ref, have, want,
                         lambda w=want: self.client.create(self.path + "/identity-provider/instances", w, "create " + ref),
                         lambda body: self.client.put(self.path + "/identity-provider/instances/" + alias, body,
                                                      "update " + ref), compare=compare)
            listing = self._list("/identity-provider/instances/%s/mappers" % alias, "read mappers of " + ref) \
                if have else []
            existing = dict((m["name"], m) for m in listing)
            for mapper in provider.get("mappers") or []:
                mwant = dict(mapper, identityProviderAlias=want["alias"])
                mref = "%s mapper %s" % (ref, mapper["name"])
                mhave = existing.get(mapper["name"])
                self._ensure(mref, mhave, mwant,
                             lambda w=mwant: self.client.create(
                                 self.path + "/identity-provider/instances/%s/mappers" % alias, w, "create " + mref),
                             lambda body, h=mhave: self.client.put(
                                 self.path + "/identity-provider/instances/%s/mappers/%s" % (alias, h["id"]), body,
                                 "update " + mref))

    # -- users (only those listed; never pruned) --
    def users(self, users):
        for user in users or []:
            username = user["username"]
            ref = "user %s" % username
            found = self._list("/users", "read " + ref, {"username": username, "exact": "true"})
            have = found[0] if found else None
            want = dict((k, v) for k, v in user.items() if k not in ("password", "groups", "realmRoles"))
            want.setdefault("enabled", True)
            if have is None and user.get("password"):
                want["credentials"] = [{"type": "password", "value": user["password"], "temporary": False}]
            self._ensure(ref, have, want,
                         lambda w=want: self.client.create(self.path + "/users", w, "create " + ref),
                         lambda body, h=have: self.client.put(self.path + "/users/" + h["id"], body, "update " + ref))
            user_id = have["id"] if have else self.last_created_id
            if user_id is None and self._write():
                found = self._list("/users", "read " + ref, {"username": username, "exact": "true"})
                user_id = found[0]["id"] if found else None
            groups = user.get("groups") or []
            listing = self.client.get(self.path + "/users/%s/groups" % user_id, "read groups of " + ref) \
                if user_id and have else []
            current = [g["path"] for g in listing]
            missing = sorted(set("/" + g.lstrip("/") for g in groups) - set(current))
            gref = ref + " groups"
            if missing:
                self._record(gref, "updated" if have else "created", {"groups": sorted(current)},
                             {"groups": sorted(set(current) | set(missing))})
                if self._write():
                    for path in missing:
                        group_id = self._group_id_by_path(path)
                        self.client.put(self.path + "/users/%s/groups/%s" % (user_id, group_id), None,
                                        "add %s to group %s" % (ref, path))
            elif groups:
                self._record(gref, "unchanged")

    # -- prune: only marked objects that left the input --
    def prune_unlisted(self, spec):
        if not self.prune or not self.realm_exists:
            return
        listed = set(c["clientId"] for c in spec.get("clients") or [])
        for client in list(self._clients().values()):
            if (client.get("attributes") or {}).get(MARKER) == "true" and client["clientId"] not in listed:
                self._delete("client %s" % client["clientId"], "/clients/" + client["id"], client)
        listed = set(s["name"] for s in spec.get("client_scopes") or [])
        for scope in self._list("/client-scopes", "read client scopes"):
            if (scope.get("attributes") or {}).get(MARKER) == "true" and scope["name"] not in listed:
                self._delete("client scope %s" % scope["name"], "/client-scopes/" + scope["id"], scope)
        listed = set(r["name"] for r in spec.get("roles") or [])
        for role in self._list("/roles", "read realm roles", {"briefRepresentation": "false"}):
            if (role.get("attributes") or {}).get(MARKER) == ["true"] and role["name"] not in listed:
                self._delete("realm role %s" % role["name"], "/roles/" + quote(role["name"], safe=""), role)
        listed = set(item[0] for item in _group_paths(spec.get("groups")))
        self._prune_groups(None, "", listed)
        listed = set(p["alias"] for p in spec.get("identity_providers") or [])
        for provider in self._list("/identity-provider/instances", "read identity providers"):
            if (provider.get("config") or {}).get(MARKER) == "true" and provider["alias"] not in listed:
                self._delete("identity provider %s" % provider["alias"],
                             "/identity-provider/instances/" + quote(provider["alias"], safe=""), provider)

    def _prune_groups(self, parent_id, parent_path, listed):
        for group in self._children(parent_id):
            path = "%s/%s" % (parent_path, group["name"])
            if (group.get("attributes") or {}).get(MARKER) == ["true"] and path not in listed:
                self._delete("group %s" % path, "/groups/" + group["id"], {"name": group["name"]})
            elif group.get("subGroupCount", 1):
                self._prune_groups(group["id"], path, listed)

    def _delete(self, ref, suffix, current):
        self._record(ref, "deleted", subset(current, {"name": 1, "clientId": 1, "alias": 1}) if current else None, None)
        if self._write():
            self.client.delete(self.path + suffix, "delete " + ref)

    # -- everything --
    def run(self, spec):
        existing_roles = [r["name"] for r in (self.client.get_or_none(self.path + "/roles", "read realm roles") or [])]
        errors = validate(spec, existing_roles)
        if errors:
            raise KeycloakError("invalid input for realm %s, nothing changed: %s" % (self.realm, "; ".join(errors)))
        self.realm_settings(spec.get("settings"))
        self.client_scopes(spec.get("client_scopes"))
        mark = self.changes.mark()
        self._batch = {"ifResourceExists": "FAIL", "roles": {"realm": []}, "groups": [], "clients": []}
        self._after_batch = []
        self.roles(spec.get("roles"))
        self.groups(spec.get("groups"))
        self.clients(spec.get("clients"))
        batch, self._batch = self._batch, None
        if self._write() and (batch["roles"]["realm"] or batch["groups"] or batch["clients"]):
            try:
                self.client.request("POST", self.path + "/partialImport", "create %d roles, %d groups and %d clients"
                                    % (len(batch["roles"]["realm"]), len(batch["groups"]), len(batch["clients"])),
                                    body=batch)
            except KeycloakError as exc:
                if exc.status != 409:
                    raise
                # Another writer created one of them meanwhile: redo these kinds object by object.
                self.changes.rollback(mark)
                self._client_cache = None
                self._role_cache = {}
                self._after_batch = []
                self.roles(spec.get("roles"))
                self.groups(spec.get("groups"))
                self.clients(spec.get("clients"))
            else:
                self._client_cache = None  # the new clients' ids: one fresh listing
        for step in self._after_batch:
            step()
        self._after_batch = []
        self.identity_providers(spec.get("identity_providers"))
        self.users(spec.get("users"))
        self.prune_unlisted(spec)
        return self.changes.changed, self.changes.summary(("created", "updated", "deleted", "unchanged"))
