#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: keycloak_realm_restore
short_description: Put a realm back from a backup artifact (a lost Keycloak), or add the users a realm lacks
version_added: 0.9.0
description:
  - Reads the C(keycloak-realm) artifact of a fetched archive (see M(krci.platform.keycloak_realm_backup)).
  - A realm that does not exist (a new Keycloak after a disaster) is imported whole - settings, clients with their
    secrets (so every consumer's Secret stays valid), client scopes, roles, groups, identity providers, flows, and
    every user with attributes, groups, role mappings and federated identities, with their IDs.
  - In a realm that exists, only the users it lacks are added (a partial import that skips what exists), so a
    restore never overwrites what a converge or a person changed since. A re-run changes nothing.
  - Refuses, before any write, a Keycloak older (major.minor) than the one the archive was made with.
  - Local password hashes are not in the export (see docs/day2.md), so restored local users set a password again,
    or come back from the database backup.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.keycloak_connection
  - krci.platform.backup_restore
attributes:
  check_mode:
    description: Reads Keycloak and says what would be imported or added; writes nothing.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Put the platform realm back
  krci.platform.keycloak_realm_restore:
    auth_keycloak_url: https://keycloak.example.com
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    archive: /tmp/restore
    name: keycloak-realm
    identity: "{{ lookup('ansible.builtin.file', '/secure/backup.key') }}"
"""

RETURN = r"""
realm:
  description: The realm restored.
  returned: success
  type: str
imported:
  description: Whether the whole realm was imported (it did not exist).
  returned: success
  type: bool
users_added:
  description: The usernames imported or added.
  returned: success
  type: list
  elements: str
version:
  description: Keycloak's version.
  returned: success
  type: str
"""

import json

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _backup, _backup_args
from ansible_collections.krci.platform.plugins.module_utils import _keycloak_client as kc
from ansible_collections.krci.platform.plugins.module_utils._keycloak_args import (
    KEYCLOAK_CONNECTION_RULES, KEYCLOAK_CONNECTION_SPEC, client_from_params)
from ansible_collections.krci.platform.plugins.module_utils._keycloak_backup import restore_realm


def main(module_class=AnsibleModule):
    argument_spec = dict(KEYCLOAK_CONNECTION_SPEC)
    argument_spec.update(_backup_args.RESTORE_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True, **KEYCLOAK_CONNECTION_RULES)
    if not kc.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    document = json.loads(_backup_args.read(module))
    client = client_from_params(module)
    try:
        version = client.server_version()
        problem = _backup.version_fits("Keycloak", document.get("keycloak_version"), version)
        if problem:
            module.fail_json(msg=problem)
        changed, what = restore_realm(client, document, module.check_mode)
    except (kc.KeycloakError, ValueError) as exc:
        module.fail_json(msg="restore realm %s: %s" % (document.get("realm"), exc))
    module.exit_json(changed=changed, version=version, **what)


if __name__ == "__main__":
    main()
