#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: keycloak_realm_backup
short_description: Export a Keycloak realm with its users into an encrypted backup artifact
version_added: 0.9.0
description:
  - Exports O(realm) through Keycloak's admin REST API - the partial export (settings, clients, client scopes,
    roles, groups, identity providers, flows), each confidential client's secret, and every user with
    attributes, required actions, groups, realm and client role mappings and federated identities, read a page
    of 100 users at a time.
  - The export is encrypted for O(recipient) into O(dest) (see docs/day2.md); the plaintext never touches the disk.
  - What the admin API cannot give, only a database backup keeps - users' password hashes and OTP credentials,
    sessions, events and identity-provider secrets. docs/day2.md gives the database path for the Keycloak the
    collection installs.
  - Reads only; C(changed) is true when an artifact was written (every run that is not a check run writes one).
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.keycloak_connection
  - krci.platform.backup_artifact
options:
  realm:
    description: The realm to export.
    type: str
    required: true
attributes:
  check_mode:
    description: Exports (so problems show), writes nothing.
    support: full
  diff_mode:
    description: Nothing to diff.
    support: none
"""

EXAMPLES = r"""
- name: Back up the platform realm
  krci.platform.keycloak_realm_backup:
    auth_keycloak_url: https://keycloak.example.com
    auth_username: admin
    auth_password: "{{ keycloak_admin_password }}"
    realm: krci
    name: keycloak-realm
    dest: /var/backups/krci/staging/keycloak-realm.enc
    recipient: "{{ lookup('ansible.builtin.file', 'backup.pub') }}"
"""

RETURN = r"""
artifact:
  description: The artifact written - C(name), C(file), C(size) and C(sha256) of the encrypted file,
    C(plaintext_size), C(seconds); in check mode C(name) and C(planned).
  returned: always
  type: dict
counts:
  description: What the export holds - C(clients), C(client_scopes), C(groups), C(realm_roles),
    C(identity_providers), C(users), C(federated_identities).
  returned: always
  type: dict
version:
  description: Keycloak's version, from its server info.
  returned: always
  type: str
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _keycloak_client as kc
from ansible_collections.krci.platform.plugins.module_utils import _backup_args
from ansible_collections.krci.platform.plugins.module_utils._keycloak_args import (
    KEYCLOAK_CONNECTION_RULES, KEYCLOAK_CONNECTION_SPEC, client_from_params)
from ansible_collections.krci.platform.plugins.module_utils._keycloak_backup import export_realm


def main(module_class=AnsibleModule):
    argument_spec = dict(realm=dict(type="str", required=True))
    argument_spec.update(KEYCLOAK_CONNECTION_SPEC)
    argument_spec.update(_backup_args.ARTIFACT_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True, **KEYCLOAK_CONNECTION_RULES)
    if not kc.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    _backup_args.checked(module)
    started = time.time()
    client = client_from_params(module)
    try:
        version = client.server_version()
        document, counts = export_realm(client, module.params["realm"])
    except kc.KeycloakError as exc:
        module.fail_json(msg="%s; no artifact was written" % exc)
    document["keycloak_version"] = version
    _backup_args.write(module, [json.dumps(document, sort_keys=True)], started, counts=counts, version=version)


if __name__ == "__main__":
    main()
