# -*- coding: utf-8 -*-
"""An in-memory stand-in for Keycloak's admin REST API, for the reconcilers' unit tests only.

It keeps realms with their client scopes, roles, groups, clients, identity providers and users,
and answers the paths the reconcilers use the way Keycloak does (ids on create, 409 for a name
that exists, full representations on listings). The integration tests run against the real
Keycloak; this fake only lets each object kind's reconciler be tested alone and quickly.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import itertools

try:
    from urllib.parse import unquote
except ImportError:  # pragma: no cover
    from urllib import unquote  # noqa

from ansible_collections.krci.platform.plugins.module_utils._keycloak_client import KeycloakError

_IDS = itertools.count(1)


def new_id():
    return "id-%d" % next(_IDS)


class FakeRealm:
    def __init__(self, rep):
        self.rep = dict(rep)
        self.scopes = {}          # id -> scope (with protocolMappers)
        self.default_scopes = {"default": [], "optional": []}  # ids
        self.roles = {}           # name -> role (with composites: names)
        self.groups = {}          # id -> group (parent, realmRoles: names)
        self.clients = {}         # id -> client (protocolMappers, default/optional scope names)
        self.idps = {}            # alias -> provider (mappers)
        self.users = {}           # id -> user (groups: ids, realmRoles: names)
        self.secrets = {}         # client id -> secret


class FakeKeycloak:
    """Duck-types KeycloakClient: request, get, get_or_none, create, put, delete, known_realms, requests_sent."""

    def __init__(self):
        self.realms = {}
        self.known_realms = set()
        self.requests_sent = {}
        self.conflict_on_create = set()   # paths whose next create answers 409 (a concurrent writer)

    # --- the client's interface ---
    def request(self, method, path, what, body=None, params=None):
        self.requests_sent[method] = self.requests_sent.get(method, 0) + 1
        return _Reply(self._route(method, path, body, params or {}, what))

    def get(self, path, what, params=None):
        return self.request("GET", path, what, params=params).data

    def get_or_none(self, path, what, params=None):
        try:
            return self.get(path, what, params)
        except KeycloakError as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, path, body, what):
        try:
            return self.request("POST", path, what, body=body).data
        except KeycloakError as exc:
            if exc.status == 409:
                return None
            raise

    def put(self, path, body, what):
        return self.request("PUT", path, what, body=body).data

    def delete(self, path, what, body=None):
        return self.request("DELETE", path, what, body=body).data

    def writes(self):
        return sum(count for method, count in self.requests_sent.items() if method != "GET")

    # --- the server ---
    def _route(self, method, path, body, params, what):
        parts = [unquote(p) for p in path.strip("/").split("/") if p]
        if not parts:
            if method == "POST":
                if body["realm"] in self.realms:
                    raise KeycloakError("%s: HTTP 409: Conflict" % what, 409)
                self.realms[body["realm"]] = FakeRealm(body)
                return body["realm"]
            raise KeycloakError("%s: HTTP 405" % what, 405)
        realm = self.realms.get(parts[0])
        if realm is None:
            raise KeycloakError("%s: HTTP 404: Realm not found." % what, 404)
        rest = parts[1:]
        if not rest:
            if method == "GET":
                return copy.deepcopy(realm.rep)
            realm.rep.update(body)
            return None
        handler = getattr(self, "_" + rest[0].replace("-", "_"), None)
        if handler is None:
            raise KeycloakError("%s: HTTP 404: no route %s" % (what, path), 404)
        if method == "POST" and "/".join(rest) in self.conflict_on_create:
            self.conflict_on_create.discard("/".join(rest))
            self._concurrent_create(realm, rest, body)
            raise KeycloakError("%s: HTTP 409: Conflict" % what, 409)
        return handler(realm, method, rest[1:], body, params, what)

    def _concurrent_create(self, realm, rest, body):
        """Another writer created the object just before this request."""
        self._route("POST", "/%s/%s" % (realm.rep["realm"], "/".join(rest)), body, {}, "a concurrent run")

    @staticmethod
    def _missing(what):
        return KeycloakError("%s: HTTP 404: Could not find it" % what, 404)

    # realm roles
    def _roles(self, realm, method, rest, body, params, what):
        if not rest:
            if method == "GET":
                return [copy.deepcopy(r) for r in realm.roles.values()]
            if body["name"] in realm.roles:
                raise KeycloakError("%s: HTTP 409" % what, 409)
            realm.roles[body["name"]] = dict(copy.deepcopy(body), id=new_id(), composites=[])
            return body["name"]  # Keycloak's Location names a role by its name
        role = realm.roles.get(rest[0])
        if role is None:
            raise self._missing(what)
        if len(rest) == 1:
            if method == "GET":
                return copy.deepcopy(role)
            if method == "DELETE":
                del realm.roles[rest[0]]
                return None
            role.update({k: v for k, v in body.items() if k != "composites"})
            return None
        return self._role_mapping(role, "composites", method, body, realm)

    def _role_mapping(self, owner, key, method, body, realm):
        names = owner.setdefault(key, [])
        if method == "GET":
            return [copy.deepcopy(realm.roles[name]) for name in names]
        for role in body:
            if method == "POST" and role["name"] not in names:
                names.append(role["name"])
            elif method == "DELETE" and role["name"] in names:
                names.remove(role["name"])
        return None

    # client scopes, their mappers and the realm's default scopes
    def _client_scopes(self, realm, method, rest, body, params, what):
        if not rest:
            if method == "GET":
                return [copy.deepcopy(s) for s in realm.scopes.values()]
            if any(s["name"] == body["name"] for s in realm.scopes.values()):
                raise KeycloakError("%s: HTTP 409" % what, 409)
            scope_id = new_id()
            realm.scopes[scope_id] = dict(copy.deepcopy(body), id=scope_id, protocolMappers=[])
            return scope_id
        scope = realm.scopes.get(rest[0])
        if scope is None:
            raise self._missing(what)
        if len(rest) == 1:
            if method == "DELETE":
                del realm.scopes[rest[0]]
            else:
                scope.update(copy.deepcopy(body))
            return None
        return self._mappers(scope, method, rest[3:], body, what)

    @staticmethod
    def _mappers(owner, method, rest, body, what):
        mappers = owner.setdefault("protocolMappers", [])
        if method == "GET":
            return copy.deepcopy(mappers)
        if method == "POST":
            if any(m["name"] == body["name"] for m in mappers):
                raise KeycloakError("%s: HTTP 409" % what, 409)
            mapper = dict(copy.deepcopy(body), id=new_id())
            mappers.append(mapper)
            return mapper["id"]
        for mapper in mappers:
            if mapper["id"] == rest[0]:
                mapper.update(copy.deepcopy(body))
        return None

    def _default_default_client_scopes(self, realm, method, rest, body, params, what):
        return self._realm_defaults(realm, "default", method, rest)

    def _default_optional_client_scopes(self, realm, method, rest, body, params, what):
        return self._realm_defaults(realm, "optional", method, rest)

    @staticmethod
    def _realm_defaults(realm, kind, method, rest):
        ids = realm.default_scopes[kind]
        if method == "GET":
            return [{"id": i, "name": realm.scopes[i]["name"]} for i in ids]
        if rest[0] not in ids:
            ids.append(rest[0])
        return None

    # groups
    def _groups(self, realm, method, rest, body, params, what):
        if not rest:
            if method == "GET":
                return [self._group_rep(realm, g) for g in realm.groups.values() if g["parent"] is None]
            return self._new_group(realm, None, body, what)
        group = realm.groups.get(rest[0])
        if group is None:
            raise self._missing(what)
        if len(rest) == 1:
            if method == "DELETE":
                for child in [g for g in realm.groups.values() if g["parent"] == rest[0]]:
                    del realm.groups[child["id"]]
                del realm.groups[rest[0]]
            else:
                group.update({k: v for k, v in body.items() if k in ("name", "attributes")})
            return None
        if rest[1] == "children":
            if method == "GET":
                return [self._group_rep(realm, g) for g in realm.groups.values() if g["parent"] == rest[0]]
            return self._new_group(realm, rest[0], body, what)
        return self._role_mapping(group, "realmRoles", method, body, realm)  # role-mappings/realm

    @staticmethod
    def _new_group(realm, parent, body, what):
        if any(g["name"] == body["name"] and g["parent"] == parent for g in realm.groups.values()):
            raise KeycloakError("%s: HTTP 409" % what, 409)
        group_id = new_id()
        realm.groups[group_id] = {"id": group_id, "name": body["name"], "parent": parent,
                                  "attributes": copy.deepcopy(body.get("attributes") or {}),
                                  "realmRoles": list(body.get("realmRoles") or [])}
        return group_id

    @staticmethod
    def _group_rep(realm, group):
        rep = {k: copy.deepcopy(v) for k, v in group.items() if k != "parent"}
        rep["subGroupCount"] = sum(1 for g in realm.groups.values() if g["parent"] == group["id"])
        return rep

    def _group_path(self, realm, group):
        path = "/" + group["name"]
        while group["parent"]:
            group = realm.groups[group["parent"]]
            path = "/" + group["name"] + path
        return path

    # clients
    def _clients(self, realm, method, rest, body, params, what):
        if not rest:
            if method == "GET":
                found = [c for c in realm.clients.values()
                         if "clientId" not in params or c["clientId"] == params["clientId"]]
                first, size = int(params.get("first", 0)), int(params.get("max", 100))
                return copy.deepcopy(found[first:first + size])
            return self._new_client(realm, body, what)
        client = realm.clients.get(rest[0])
        if client is None:
            raise self._missing(what)
        if len(rest) == 1:
            if method == "DELETE":
                del realm.clients[rest[0]]
            else:
                client.update({k: copy.deepcopy(v) for k, v in body.items() if k != "protocolMappers"})
            return None
        sub = rest[1]
        if sub == "protocol-mappers":
            return self._mappers(client, method, rest[3:], body, what)
        if sub in ("default-client-scopes", "optional-client-scopes"):
            key = "defaultClientScopes" if sub.startswith("default") else "optionalClientScopes"
            if method == "GET":
                return [{"name": name} for name in client[key]]
            name = realm.scopes[rest[2]]["name"]
            if name not in client[key]:
                client[key].append(name)
            return None
        if sub == "service-account-user":
            return {"id": client["serviceAccountUser"]}
        if sub == "client-secret":
            return {"type": "secret", "value": realm.secrets[client["id"]]}
        raise self._missing(what)

    @staticmethod
    def _new_client(realm, body, what):
        if any(c["clientId"] == body["clientId"] for c in realm.clients.values()):
            raise KeycloakError("%s: HTTP 409" % what, 409)
        client_id = new_id()
        client = dict(copy.deepcopy(body), id=client_id)
        client["protocolMappers"] = [dict(m, id=new_id()) for m in body.get("protocolMappers") or []]
        client.setdefault("defaultClientScopes", [])
        client.setdefault("optionalClientScopes", [])
        user_id = new_id()
        realm.users[user_id] = {"id": user_id, "username": "service-account-" + body["clientId"], "groups": [],
                                "realmRoles": []}
        client["serviceAccountUser"] = user_id
        realm.clients[client_id] = client
        realm.secrets[client_id] = "secret-of-" + body["clientId"]
        return client_id

    # identity providers
    def _identity_provider(self, realm, method, rest, body, params, what):
        rest = rest[1:]  # instances
        if not rest:
            if method == "GET":
                return [self._idp_rep(p) for p in realm.idps.values()]
            if body["alias"] in realm.idps:
                raise KeycloakError("%s: HTTP 409" % what, 409)
            realm.idps[body["alias"]] = dict(copy.deepcopy(body), mappers=[])
            return body["alias"]
        provider = realm.idps.get(rest[0])
        if provider is None:
            raise self._missing(what)
        if len(rest) == 1:
            if method == "DELETE":
                del realm.idps[rest[0]]
            else:
                provider.update({k: copy.deepcopy(v) for k, v in body.items() if k != "mappers"})
            return None
        mappers = provider["mappers"]
        if method == "GET":
            return copy.deepcopy(mappers)
        if method == "POST":
            mapper = dict(copy.deepcopy(body), id=new_id())
            mappers.append(mapper)
            return mapper["id"]
        for mapper in mappers:
            if mapper["id"] == rest[2]:
                mapper.update(copy.deepcopy(body))
        return None

    @staticmethod
    def _idp_rep(provider):
        rep = {k: copy.deepcopy(v) for k, v in provider.items() if k != "mappers"}
        if (rep.get("config") or {}).get("clientSecret"):
            rep["config"]["clientSecret"] = "**********"  # Keycloak never returns it
        return rep

    # users
    def _users(self, realm, method, rest, body, params, what):
        if not rest:
            if method == "GET":
                return [copy.deepcopy({k: v for k, v in u.items() if k not in ("groups", "realmRoles", "credentials")})
                        for u in realm.users.values() if u["username"] == params.get("username")]
            if any(u["username"] == body["username"] for u in realm.users.values()):
                raise KeycloakError("%s: HTTP 409" % what, 409)
            user_id = new_id()
            realm.users[user_id] = dict(copy.deepcopy(body), id=user_id, groups=[], realmRoles=[])
            return user_id
        user = realm.users.get(rest[0])
        if user is None:
            raise self._missing(what)
        if len(rest) == 1:
            user.update({k: copy.deepcopy(v) for k, v in body.items()})
            return None
        if rest[1] == "groups":
            if method == "GET":
                return [{"id": g, "path": self._group_path(realm, realm.groups[g])} for g in user["groups"]]
            if rest[2] not in user["groups"]:
                user["groups"].append(rest[2])
            return None
        return self._role_mapping(user, "realmRoles", method, body, realm)  # role-mappings/realm

    # the partial import of new roles, group trees and clients
    def _partialImport(self, realm, method, rest, body, params, what):  # pylint: disable=invalid-name
        roles, groups, clients = body["roles"]["realm"], body["groups"], body["clients"]
        if any(r["name"] in realm.roles for r in roles) or \
                any(c["clientId"] == k["clientId"] for c in clients for k in realm.clients.values()) or \
                any(g["name"] == k["name"] and k["parent"] is None for g in groups for k in realm.groups.values()):
            raise KeycloakError("%s: HTTP 409: Conflict" % what, 409)
        for role in roles:
            realm.roles[role["name"]] = dict(copy.deepcopy(role), id=new_id(), composites=[])

        def add_tree(group, parent):
            group_id = self._new_group(realm, parent, group, what)
            for sub in group.get("subGroups") or []:
                add_tree(sub, group_id)
        for group in groups:
            add_tree(group, None)
        for client in clients:
            self._new_client(realm, client, what)
        return {"added": len(roles) + len(groups) + len(clients)}


class _Reply:
    def __init__(self, data):
        self.data = data
