# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the Keycloak reconcilers share: comparison, masking and validation of the input.

Objects are given in Keycloak's own representation (camelCase keys as in the admin API); only the
keys given are compared, so Keycloak's defaults never show up as drift. Objects this collection
creates carry the marker ``krci.platform/managed``.

For internal collection use only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

try:
    from urllib.parse import urlparse
except ImportError:  # pragma: no cover
    from urlparse import urlparse  # noqa

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
    """The object with every secret value masked: secrets, passwords and a credential's value."""
    if isinstance(obj, dict):
        credential = obj.get("type") == "password"
        return dict((k, MASK if (k in _SECRET_KEYS or (credential and k == "value")) and v else mask(v))
                    for k, v in obj.items())
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


def group_paths(groups, parent=""):
    for group in groups or []:
        path = "%s/%s" % (parent, group.get("name"))
        yield path, group
        yield from group_paths(group.get("subGroups"), path)


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
    paths = [item[0] for item in group_paths(spec.get("groups"))]
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
    for path, group in group_paths(spec.get("groups")):
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
