# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seal of the OpenBao the vault role installs: Shamir (no stanza) or AWS KMS auto-unseal.

For internal collection use only. ``config(seal, plugin, version)`` checks the seal and gives the server
configuration's stanzas; the install writes them, and the integration test starts a real OpenBao with exactly them.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re

from ansible_collections.krci.platform.plugins.module_utils._aws import REGION

SEAL_KEYS = ("type", "region", "kms_key_id", "endpoint")
PLUGIN_KEYS = ("command", "sha256sum", "directory")
# A key id, key ARN, alias name or alias ARN, as KMS accepts them.
KMS_KEY_ID = re.compile(r"^(alias/[a-zA-Z0-9/_-]{1,250}|[0-9a-f-]{36}|mrk-[0-9a-f]{32}|arn:aws[a-z-]*:kms:[a-z0-9-]+:"
                        r"\d{12}:(key/[0-9a-f-]{36}|key/mrk-[0-9a-f]{32}|alias/[a-zA-Z0-9/_-]{1,250}))$")
# OpenBao 2.7 ships no built-in awskms seal; 2.6 has it (deprecated) beside the plugin.
PLUGIN_ONLY_FROM = (2, 7)


def _version(version):
    match = re.match(r"^v?(\d+)\.(\d+)", str(version or ""))
    return (int(match.group(1)), int(match.group(2))) if match else None


def errors(seal, plugin=None, version=None):
    """Each problem of the seal settings, naming the field; [] when they are fine."""
    if not seal:
        return [] if not plugin else ["vault_seal_plugin: given, but vault_seal is empty (Shamir needs no plugin)"]
    if not isinstance(seal, dict):
        return ["vault_seal: must be a mapping of %s, or {} for Shamir key shares" % ", ".join(SEAL_KEYS)]
    found = []
    unknown = sorted(set(seal) - set(SEAL_KEYS))
    if unknown:
        found.append("vault_seal: unknown key(s) %s; allowed: %s" % (", ".join(map(str, unknown)), ", ".join(SEAL_KEYS)))
    if seal.get("type") != "awskms":
        found.append("vault_seal.type: %r; the collection configures awskms (AWS KMS auto-unseal), or give "
                     "vault_seal: {} for Shamir key shares" % (seal.get("type"),))
    if not isinstance(seal.get("region"), str) or not REGION.match(seal["region"]):
        found.append("vault_seal.region: %r is not an AWS region (for example eu-central-1)" % (seal.get("region"),))
    if not isinstance(seal.get("kms_key_id"), str) or not KMS_KEY_ID.match(seal["kms_key_id"]):
        found.append("vault_seal.kms_key_id: %r is not a KMS key id, key ARN, alias/<name> or alias ARN"
                     % (seal.get("kms_key_id"),))
    endpoint = seal.get("endpoint")
    if endpoint is not None and not (isinstance(endpoint, str) and re.match(r"^https?://[^/\s]+/?$", endpoint)):
        found.append("vault_seal.endpoint: %r must be http(s)://host[:port] (a VPC endpoint of KMS)" % (endpoint,))
    if plugin:
        if not isinstance(plugin, dict):
            return found + ["vault_seal_plugin: must be a mapping of %s" % ", ".join(PLUGIN_KEYS)]
        unknown = sorted(set(plugin) - set(PLUGIN_KEYS))
        if unknown:
            found.append("vault_seal_plugin: unknown key(s) %s; allowed: %s"
                         % (", ".join(map(str, unknown)), ", ".join(PLUGIN_KEYS)))
        if not isinstance(plugin.get("command"), str) or not re.match(r"^[A-Za-z0-9._-]+$", plugin["command"]):
            found.append("vault_seal_plugin.command: %r must be the plugin binary's file name in the plugin directory "
                         "(for example openbao-plugin-kms-aws)" % (plugin.get("command"),))
        if not isinstance(plugin.get("sha256sum"), str) or not re.match(r"^[0-9a-f]{64}$", plugin["sha256sum"]):
            found.append("vault_seal_plugin.sha256sum: must be the binary's SHA-256, 64 lower-case hex digits")
        directory = plugin.get("directory", "/openbao/plugins")
        if not isinstance(directory, str) or not directory.startswith("/"):
            found.append("vault_seal_plugin.directory: %r must be an absolute path in the image" % (directory,))
    elif _version(version) is not None and _version(version) >= PLUGIN_ONLY_FROM:
        found.append("vault_seal: OpenBao %s has no built-in awskms seal (moved to the openbao-plugin-kms-aws plugin "
                     "in 2.7); give vault_seal_plugin {command, sha256sum} of that plugin in your image, or "
                     "vault_version 2.6.x" % version)
    return found


def config(seal, plugin=None, version=None):
    """{errors, hcl, auto_unseal}: the server configuration's seal stanzas (and the KMS plugin's declaration when
    given). No credentials are written: on EKS the pod's IRSA web identity gives the role that may use the key."""
    found = errors(seal, plugin, version)
    if found or not seal:
        return {"errors": found, "hcl": "", "auto_unseal": False}
    lines = []
    if plugin:
        lines.append("plugin_directory = %s" % json.dumps(plugin.get("directory", "/openbao/plugins")))
        lines.append('plugin "kms" "awskms" {')
        lines.append("  command   = %s" % json.dumps(plugin["command"]))
        lines.append("  sha256sum = %s" % json.dumps(plugin["sha256sum"]))
        lines.append("}")
    lines.append('seal "awskms" {')
    for key in ("region", "kms_key_id", "endpoint"):
        if seal.get(key):
            lines.append("  %s = %s" % (key, json.dumps(seal[key])))
    lines.append("}")
    return {"errors": [], "hcl": "\n".join(lines) + "\n", "auto_unseal": True}
