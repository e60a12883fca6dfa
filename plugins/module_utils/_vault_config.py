# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Declarative Vault / OpenBao configuration: mounts, auth methods, policies, Kubernetes and JWT auth.

For internal collection use only. Read, compare the keys given, write only the difference.
Nothing it was not given is touched; ``prune`` lists, by name, what may be removed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.krci.platform.plugins.module_utils._changes import ChangeSet
from ansible_collections.krci.platform.plugins.module_utils._vault_client import VaultError

import hashlib
import json
import uuid

WRITE_ONLY = ("token_reviewer_jwt", "oidc_client_secret")
# Vault never returns a write-only value, so the auth mount keeps a digest of the ones last written (a mount option):
# a new client secret or reviewer token is written, an unchanged one is not.
WRITTEN_DIGEST_OPTION = "krci.platform/write-only-digest"
MASK = "********"

# Built-in types of HashiCorp Vault and OpenBao; anything else must be a registered plugin.
KNOWN_AUTH_TYPES = frozenset(["approle", "cert", "jwt", "oidc", "kerberos", "kubernetes", "ldap", "radius", "userpass",
                              "token", "aws", "azure", "gcp", "github", "okta", "alicloud", "cf", "oci"])
KNOWN_SECRETS_TYPES = frozenset(["kv", "kv-v1", "kv-v2", "pki", "transit", "database", "ssh", "totp", "aws", "azure",
                                 "gcp", "consul", "nomad", "rabbitmq", "ldap", "openldap", "kubernetes", "cubbyhole",
                                 "identity", "terraform", "transform", "kmip"])


def written_digest(mount, config):
    """A digest of the write-only values of an auth mount's config (None without any): SHA-256, bound to the mount."""
    values = dict((k, v) for k, v in (config or {}).items() if k in WRITE_ONLY and v)
    if not values:
        return None
    return "sha256:" + hashlib.sha256(json.dumps([mount, values], sort_keys=True).encode("utf-8")).hexdigest()


def _same(want, have):
    if isinstance(want, dict):
        return isinstance(have, dict) and all(k in have and _same(v, have[k]) for k, v in want.items())
    if isinstance(want, list):
        if not isinstance(have, list):
            return False
        return sorted(str(v) for v in want) == sorted(str(v) for v in have)
    if isinstance(want, bool) or isinstance(have, bool):
        return str(want).lower() == str(have).lower()
    if isinstance(want, (int, float)) or isinstance(have, (int, float)):
        return str(want) == str(have)
    return want == have


def _mask(obj):
    if isinstance(obj, dict):
        return dict((k, MASK if k in WRITE_ONLY and v else _mask(v)) for k, v in obj.items())
    return obj


class VaultConfigurator:
    def __init__(self, client, check_mode=False, dump=repr):
        self.client = client
        self.check_mode = check_mode
        self.dump = dump
        self.changes = ChangeSet(dump, _mask)
        self._policy_cache = {}

    @property
    def objects(self):
        return self.changes.objects

    @property
    def diffs(self):
        return self.changes.diffs

    def _record(self, ref, action, before=None, after=None):
        self.changes.record(ref, action, before, after)

    def _read(self, path, what):
        try:
            return self.client.call("GET", path, what).get("data")
        except VaultError as exc:
            # 404: no such object. In check mode a mount may only be predicted, so its paths do not route yet.
            if exc.status == 404 or (self.check_mode and exc.status in (400, 405)):
                return None
            raise

    def _write(self, path, body, what):
        if not self.check_mode:
            self.client.call("POST", path, what, body=body)

    # --- before any change ---
    def preflight(self, secrets_engines, auth_methods, policies, plugin_types=()):
        """Every input problem, before any write: unknown mount types, policies Vault cannot parse."""
        errors = []
        for kind, wanted, known in (("auth_methods", auth_methods, KNOWN_AUTH_TYPES),
                                    ("secrets_engines", secrets_engines, KNOWN_SECRETS_TYPES)):
            for path, spec in (wanted or {}).items():
                mount_type = (spec or {}).get("type")
                if not mount_type:
                    errors.append("%s[%s].type is required" % (kind, path))
                elif mount_type not in known and mount_type not in plugin_types:
                    errors.append("%s[%s].type: unknown type %r; use one of %s (or list a registered plugin in "
                                  "plugin_types)" % (kind, path, mount_type, ", ".join(sorted(known))))
        for name, text in (policies or {}).items():
            have = self._policy_text(name)
            if have is not None and have.strip() == (text or "").strip():
                continue
            if not (text or "").strip():
                errors.append("policies[%s]: empty policy" % name)
                continue
            if self.check_mode:
                continue  # parsing needs a write; check mode makes none
            # Vault only parses a policy when it is written: parse it under a scratch name first.
            scratch = "krci-validate-%s" % uuid.uuid4().hex[:12]
            try:
                self.client.call("PUT", "sys/policies/acl/%s" % scratch, "parse policy %s" % name, body={"policy": text})
            except VaultError as exc:
                if exc.status == 400:
                    errors.append("policies[%s]: Vault rejected it: %s" % (name, str(exc).split(": ", 2)[-1]))
                    continue
                raise
            self.client.call("DELETE", "sys/policies/acl/%s" % scratch, "delete scratch policy %s" % scratch)
        return errors

    def _policy_text(self, name):
        if name not in self._policy_cache:
            current = self._read("sys/policies/acl/%s" % name, "read policy %s" % name)
            self._policy_cache[name] = (current or {}).get("policy")
        return self._policy_cache[name]

    # --- audit devices ---
    def audit_devices(self, wanted):
        if not wanted:
            return
        current = self.client.call("GET", "sys/audit", "read audit devices")
        current = current.get("data", current)
        for path, spec in wanted.items():
            path = path.strip("/")
            ref = "audit device %s/" % path
            have = current.get(path + "/")
            want = dict((k, v) for k, v in spec.items() if k in ("type", "description", "options", "local"))
            if have is not None:
                if _same(dict((k, v) for k, v in want.items() if k != "description"), have):
                    self._record(ref, "unchanged")
                    continue
                raise VaultError("%s exists with other settings (%s); an audit device cannot change in place: use "
                                 "another path, or disable it by hand" % (ref, dict((k, have.get(k)) for k in want)))
            self._record(ref, "created", None, want)
            if self.check_mode:
                continue
            try:
                self.client.call("PUT", "sys/audit/%s" % path, "enable " + ref, body=want)
            except VaultError as exc:
                if "declarative" in str(exc) or "config" in str(exc):
                    raise VaultError("%s: the server refuses audit devices through the API (%s); declare it in the "
                                     "server configuration, for example: audit \"%s\" \"%s\" { options { ... } }"
                                     % (ref, exc, want.get("type"), path))
                raise

    # --- policies ---
    def policies(self, policies):
        for name, text in (policies or {}).items():
            ref = "policy %s" % name
            have = self._policy_text(name)
            if have is not None and have.strip() == text.strip():
                self._record(ref, "unchanged")
                continue
            self._record(ref, "updated" if have is not None else "created",
                         {"policy": have} if have is not None else None, {"policy": text})
            if not self.check_mode:
                self.client.call("PUT", "sys/policies/acl/%s" % name, "write %s (Vault rejected it)" % ref,
                                 body={"policy": text})

    # --- mounts: secrets engines and auth methods ---
    def _mounts(self, kind, wanted):
        list_path = "sys/mounts" if kind == "secrets engine" else "sys/auth"
        current = self.client.call("GET", list_path, "read %ss" % kind)
        current = current.get("data", current)
        for path, spec in (wanted or {}).items():
            path = path.strip("/")
            ref = "%s %s/" % (kind, path)
            have = current.get(path + "/")
            want_type = spec.get("type")
            if have is None:
                self._record(ref, "created", None, spec)
                body = dict((k, v) for k, v in spec.items() if k in ("type", "description", "options", "config"))
                self._write("%s/%s" % (list_path, path), body, "enable " + ref)
                continue
            if want_type and have.get("type") != want_type:
                raise VaultError("%s is of type %s, not %s; a mount's type cannot change: use another path or "
                                 "disable it by hand" % (ref, have.get("type"), want_type))
            tune = dict((k, v) for k, v in spec.items() if k in ("description", "options"))
            current_view = {"description": have.get("description"), "options": have.get("options") or {}}
            if _same(tune, current_view):
                self._record(ref, "unchanged")
                continue
            self._record(ref, "updated", dict((k, current_view.get(k)) for k in tune), tune)
            self._write("%s/%s/tune" % ("sys/mounts" if kind == "secrets engine" else "sys/auth", path), tune,
                        "tune " + ref)

    def secrets_engines(self, wanted):
        self._mounts("secrets engine", wanted)

    def auth_methods(self, wanted):
        self._mounts("auth method", wanted)

    # --- config and roles of an auth mount (kubernetes, jwt/oidc) ---
    def auth_config(self, mount, config, roles):
        mount = mount.strip("/")
        if config:
            ref = "auth/%s/config" % mount
            have = self._read("auth/%s/config" % mount, "read " + ref)
            comparable = dict((k, v) for k, v in config.items() if k not in WRITE_ONLY)
            digest, options = written_digest(mount, config), None
            if digest is not None:
                options = (self._read("sys/auth/%s/tune" % mount, "read the tuning of auth mount %s/" % mount)
                           or {}).get("options") or {}
            if have is not None and _same(comparable, have) and (digest is None or options.get(WRITTEN_DIGEST_OPTION)
                                                                 == digest):
                self._record(ref, "unchanged")
            else:
                self._record(ref, "updated" if have else "created",
                             dict((k, have.get(k)) for k in comparable) if have else None, config)
                self._write("auth/%s/config" % mount, config, "configure " + ref)
                if digest is not None:
                    self._write("sys/auth/%s/tune" % mount, {"options": dict(options or {}, **{
                        WRITTEN_DIGEST_OPTION: digest})}, "record what was written to " + ref)
        for name, spec in (roles or {}).items():
            ref = "auth/%s/role/%s" % (mount, name)
            have = self._read(ref, "read " + ref)
            if have is not None and _same(spec, have):
                self._record(ref, "unchanged")
                continue
            self._record(ref, "updated" if have else "created",
                         dict((k, have.get(k)) for k in spec) if have else None, spec)
            self._write(ref, spec, "write " + ref)

    # --- prune: only what the user names ---
    def prune(self, names, policies, secrets_engines, auth_methods):
        for item in names or []:
            kind, name = (item.split(":", 1) + [""])[:2]
            name = name.strip("/")
            if kind == "policy" and name not in (policies or {}):
                if self._read("sys/policies/acl/%s" % name, "read policy " + name) is not None:
                    self._record("policy %s" % name, "deleted", {"name": name}, None)
                    if not self.check_mode:
                        self.client.call("DELETE", "sys/policies/acl/%s" % name, "delete policy " + name)
            elif kind in ("secrets", "auth"):
                wanted = secrets_engines if kind == "secrets" else auth_methods
                list_path = "sys/mounts" if kind == "secrets" else "sys/auth"
                current = self.client.call("GET", list_path, "read mounts")
                current = current.get("data", current)
                if name + "/" in current and name not in [p.strip("/") for p in (wanted or {})]:
                    self._record("%s %s/" % (kind, name), "deleted", {"path": name}, None)
                    if not self.check_mode:
                        self.client.call("DELETE", "%s/%s" % (list_path, name), "disable %s/" % name)
            else:
                raise VaultError("prune: %r must be policy:<name>, secrets:<path> or auth:<path>" % item)
