#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, krci.platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: vault_admin_secret_id_rotate
short_description: Rotate the secret ID of the admin AppRole the collection configures Vault with
version_added: 0.9.0
description:
  - Logs in with the admin AppRole stored in O(credential_destination) (M(krci.platform.vault_admin_credential)
    put it there), makes a new secret ID, writes it to the store, proves it logs in, and then destroys the
    old secret ID, which Vault refuses from then on.
  - The store records O(rotation_id); a re-run with the same name changes nothing. Between writing the new
    secret ID and destroying the old one, the store names the old one's accessor, so a run that stopped
    there has the next run destroy it.
  - Nothing secret is returned.
author:
  - krci.platform contributors (@krci-platform)
extends_documentation_fragment:
  - krci.platform.vault_connection
  - krci.platform.vault_key_store.destination
  - krci.platform.vault_key_store.credential_destination
options:
  rotation_id:
    description: The rotation's name, recorded with the credential.
    type: str
    required: true
attributes:
  check_mode:
    description: Logs in with the stored credential and says whether it would rotate; writes nothing.
    support: full
  diff_mode:
    description: Not supported; secret IDs are never shown.
    support: none
"""

EXAMPLES = r"""
- name: A new secret ID for the admin AppRole
  krci.platform.vault_admin_secret_id_rotate:
    url: https://vault.example.com:8200
    key_destination: {type: kubernetes, kubeconfig: /etc/krci/platform.kubeconfig}
    credential_destination: {type: file, path: /etc/krci/vault-admin.json}
    rotation_id: "2026-12-04"
"""

RETURN = r"""
admin_role:
  description: The AppRole whose secret ID was rotated.
  returned: always
  type: str
rotated:
  description: Whether this run made a new secret ID.
  returned: always
  type: bool
store:
  description: Where the credential is kept.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.krci.platform.plugins.module_utils import _vault_client
from ansible_collections.krci.platform.plugins.module_utils import _vault_keys
from ansible_collections.krci.platform.plugins.module_utils._rotation import check_rotation_id
from ansible_collections.krci.platform.plugins.module_utils._vault_args import (CREDENTIAL_STORE_OPTIONS,
                                                                                KEY_STORE_OPTIONS, VAULT_CONNECTION_SPEC,
                                                                                client_from_params)
from ansible_collections.krci.platform.plugins.module_utils._vault_rotation import rotate_secret_id


def main(module_class=AnsibleModule):
    argument_spec = dict(
        key_destination=dict(type="dict", required=True, no_log=False, options=KEY_STORE_OPTIONS),
        credential_destination=dict(type="dict", no_log=False, options=CREDENTIAL_STORE_OPTIONS),
        rotation_id=dict(type="str", required=True),
    )
    argument_spec.update(VAULT_CONNECTION_SPEC)
    module = module_class(argument_spec=argument_spec, supports_check_mode=True)
    if not _vault_client.HAS_REQUESTS:
        module.fail_json(msg=missing_required_lib("requests"))
    params = module.params
    check_rotation_id(module)
    try:
        _keys, store = _vault_keys.stores(params["key_destination"], params["credential_destination"])
        changed, info = rotate_secret_id(client_from_params(module), store, params["rotation_id"], module.check_mode)
    except _vault_client.VaultError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=changed, **info)


if __name__ == "__main__":
    main()
